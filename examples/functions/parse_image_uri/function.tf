# Terraform 1.8 and later: provider-defined functions.
locals {
  image = provider::tagdeploy::parse_image_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:hash_2")
}

output "repository" {
  value = local.image.repository # "team/app"
}

output "release" {
  value = local.image.tag # "hash_2"
}

output "pinned" {
  # null: this URI has no digest.
  value = local.image.digest
}
