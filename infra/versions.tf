terraform {
  # 1.8: provider-defined functions (tagdeploy's parse_image_uri); the stack itself needs 1.5.
  required_version = ">= 1.8"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Validated with 5.100.0. hashicorp/aws 6.8.0 and later can set tag mutability exclusion
      # filters natively: see ecr.tf.
      version = "~> 5.100"
    }
    tagdeploy = {
      # A local install of the tagdeploy provider (README.md: "Install the provider").
      source = "terraform.local/tagdeploy/tagdeploy"
    }
  }
}
