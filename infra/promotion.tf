# The release: which release hash prod runs is declared here.
#
#   terraform apply -var release=hash_2
#
# plans the move of `prod` (from which digest to which), then retags in ECR, forces a new
# deployment of the service, waits for it, and moves `prod` back if the rollout fails.
provider "tagdeploy" {
  region = var.region

  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      ecr = endpoints.value
      ecs = endpoints.value
    }
  }

  dynamic "assume_role" {
    for_each = var.promotion_assume_role_arn == null ? [] : [var.promotion_assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "tagdeploy-release"
    }
  }
}

resource "tagdeploy_prod_tag" "prod" {
  count = var.release == null ? 0 : 1

  repository  = aws_ecr_repository.app.name
  tag         = "prod"
  release_tag = var.release
  cluster     = aws_ecs_cluster.this.name
  # aws_ecs_service.app by name: the service depends on this resource (ecs.tf), not the reverse.
  # It must exist when this is planned, so the first apply is one without `release`.
  services    = [var.name]
  description = "Release ${var.release}"

  wait_for_rollout = var.wait_for_rollout

  # The environment tags must be movable before the first promotion.
  depends_on = [terraform_data.tag_mutability]
}

# What RFC 013's check.sh printed, as data.
data "tagdeploy_task_digests" "prod" {
  count = var.release == null ? 0 : 1

  cluster = aws_ecs_cluster.this.name
  service = aws_ecs_service.app.name
  tag     = "prod"

  depends_on = [tagdeploy_prod_tag.prod, aws_ecs_service.app]
}

check "release_complete" {
  assert {
    condition     = alltrue([for report in data.tagdeploy_task_digests.prod : report.complete])
    error_message = "Not every task runs the digest prod points at yet."
  }
}
