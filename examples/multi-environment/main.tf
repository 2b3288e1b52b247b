# Stage, then prod. One variable says which release hash runs; `terraform apply` promotes it to
# stage, waits until every stage task runs it, and only then promotes it to prod.
#
#   terraform apply -var release=hash_2
#
# What gates prod is the `precondition` on tagdeploy_prod_tag.prod, not the check blocks:
#
# - A `check` block never stops a run. Its assertions are warnings, reported after the plan or
#   apply, so they say whether an environment is done but cannot hold anything back.
# - A `lifecycle.precondition` fails the resource it belongs to. Referring to the stage report
#   in it also makes prod depend on that report, and the report depends on the stage promotion
#   (depends_on). When stage changes, Terraform reads the report during apply, after the stage
#   rollout, and checks the precondition just before it would promote prod; if stage is not
#   complete, the apply stops with an error and prod does not move.
# - If the stage rollout itself fails, the stage promotion fails (and moves `stage` back), so
#   Terraform skips everything that depends on it, prod included.

terraform {
  required_providers {
    tagdeploy = {
      source = "terraform.local/tagdeploy/tagdeploy"
    }
  }
}

variable "release" {
  description = "The release hash (an image tag in the repository) that stage and then prod should run."
  type        = string
}

variable "stage_wait_for_rollout" {
  description = "Wait for stage's rollout before going on. With false the precondition stops prod until a later apply finds stage complete."
  type        = bool
  default     = true
}

variable "endpoint" {
  description = "ECR and ECS endpoint URL (the local tagdeploy-emulator); null for AWS itself."
  type        = string
  default     = null
}

provider "tagdeploy" {
  region = "us-east-1"

  endpoints {
    ecr = var.endpoint
    ecs = var.endpoint
  }
}

locals {
  repository = "example"
}

# 1. Stage runs the release.
resource "tagdeploy_prod_tag" "stage" {
  repository       = local.repository
  tag              = "stage"
  release_tag      = var.release
  cluster          = "stage"
  services         = ["app"]
  wait_for_rollout = var.stage_wait_for_rollout
  description      = "Release ${var.release} to stage"
}

# 2. What stage runs, read after the stage promotion.
data "tagdeploy_task_digests" "stage" {
  cluster = "stage"
  service = "app"
  tag     = "stage"

  depends_on = [tagdeploy_prod_tag.stage]
}

check "stage_complete" {
  assert {
    condition     = data.tagdeploy_task_digests.stage.complete
    error_message = "Stage is not complete: not every stage task runs the digest the stage tag points at."
  }
}

# 3. Prod follows, only once stage is complete on the same digest.
resource "tagdeploy_prod_tag" "prod" {
  repository  = local.repository
  tag         = "prod"
  release_tag = var.release
  cluster     = "prod"
  services    = ["app"]
  description = "Release ${var.release} to prod after stage"

  lifecycle {
    precondition {
      condition = (
        data.tagdeploy_task_digests.stage.complete &&
        data.tagdeploy_task_digests.stage.env_digest == tagdeploy_prod_tag.stage.image_digest
      )
      error_message = "Prod waits for stage: stage must run ${var.release} on every task, with its rollout COMPLETED. Apply again once it is (with stage_wait_for_rollout = true, apply waits for it)."
    }
  }
}

data "tagdeploy_task_digests" "prod" {
  cluster = "prod"
  service = "app"
  tag     = "prod"

  depends_on = [tagdeploy_prod_tag.prod]
}

check "prod_complete" {
  assert {
    condition     = data.tagdeploy_task_digests.prod.complete
    error_message = "Prod is not complete: not every prod task runs the digest the prod tag points at."
  }
}

output "environments" {
  description = "Per environment: the digest its tag points at and whether every task runs it."
  value = {
    stage = { digest = data.tagdeploy_task_digests.stage.env_digest, complete = data.tagdeploy_task_digests.stage.complete }
    prod  = { digest = data.tagdeploy_task_digests.prod.env_digest, complete = data.tagdeploy_task_digests.prod.complete }
  }
}
