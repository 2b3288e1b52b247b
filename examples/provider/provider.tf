terraform {
  required_providers {
    tagdeploy = {
      # The address a local install uses (see the provider documentation, "Installing").
      source = "terraform.local/tagdeploy/tagdeploy"
    }
  }
}

# Credentials and region come from the standard AWS chain, as for the AWS CLI: environment
# variables, shared config and credentials files, SSO, web identity, ECS and EC2 roles.
provider "tagdeploy" {
  region = "eu-west-1"

  # Optional: promote with a dedicated, least-privilege role (infra/ creates its policy).
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/tagdeploy-promotion"
    session_name = "release"
  }
}

# Against the local tagdeploy-emulator (or VPC endpoints): point both services at it.
provider "tagdeploy" {
  alias  = "local"
  region = "us-east-1"

  endpoints {
    ecr = "http://127.0.0.1:4566"
    ecs = "http://127.0.0.1:4566"
  }
}
