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

  # Against the local tagdeploy-emulator (var.endpoint set): every call goes to it (STS only
  # for GetCallerIdentity), and no EC2 metadata service is asked for credentials.
  skip_metadata_api_check = var.endpoint != null

  # On every resource this stack creates (ECR and ECS tag them through TagResource).
  default_tags {
    tags = var.tags
  }

  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      ecr  = endpoints.value
      ecs  = endpoints.value
      logs = endpoints.value
      sts  = endpoints.value
    }
  }
}

data "aws_partition" "current" {}

locals {
  # The registry id of a private ECR repository is the account id: no STS call needed.
  account_id = aws_ecr_repository.app.registry_id
  partition  = data.aws_partition.current.partition
}
