# Terraform 1.5 and later: import with a block, previewed by `terraform plan`.
import {
  to = tagdeploy_prod_tag.example
  id = "example:prod"
}
