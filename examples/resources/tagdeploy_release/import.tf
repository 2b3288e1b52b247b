# Terraform 1.5 and later: import with a block, previewed by `terraform plan`.
import {
  to = tagdeploy_release.prod
  id = "prod:api,worker"
}
