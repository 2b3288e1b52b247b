# Terraform 1.14 and later, in a file ending in .tfquery.hcl:
#
#   terraform query
#   terraform query -generate-config-out=generated.tf
list "tagdeploy_prod_tag" "environments" {
  provider         = tagdeploy
  include_resource = true
  limit            = 500

  config {
    tags              = ["prod", "stage"]
    repository_prefix = "team/"
  }
}
