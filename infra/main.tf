# The RFC 013 stack for a real AWS account: an ECR repository, an ECS cluster, a Fargate service
# whose task definition runs `<repository>:prod`, and the promotion that moves `prod`.
#
#   ecr.tf        the repository (release tags immutable, environment tags movable)
#   ecs.tf        cluster, task definition, service with the deployment circuit breaker
#   iam.tf        the least-privilege policy for whoever runs the promotion
#   promotion.tf  the release itself, with the tagdeploy provider
#
# README.md walks through it, from the first `terraform apply` to the first promotion.

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}
