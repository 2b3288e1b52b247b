# The RFC 013 release flow as Terraform: which release hash runs in prod is declared here.
#   terraform apply -var release=hash_2
# moves the `prod` tag onto the image built from hash_2 and redeploys the service; the outputs
# print what the RFC's check.sh printed, and the check block says whether the release is done.

terraform {
  required_providers {
    tagdeploy = {
      source = "terraform.local/tagdeploy/tagdeploy"
    }
  }
}

variable "release" {
  description = "The release hash (an image tag in the repository) that prod should run."
  type        = string
}

variable "wait_for_rollout" {
  description = "Wait for the services to finish rolling out the release."
  type        = bool
  default     = true
}

variable "endpoint" {
  description = "ECR and ECS endpoint: the local tagdeploy-emulator."
  type        = string
}

provider "tagdeploy" {
  region = "us-east-1"
  endpoints {
    ecr = var.endpoint
    ecs = var.endpoint
  }
}

resource "tagdeploy_prod_tag" "example" {
  repository       = "example"
  release_tag      = var.release
  tag              = "prod"
  cluster          = "example"
  services         = ["example"]
  wait_for_rollout = var.wait_for_rollout
  description      = "RFC 013 demo release"
}

data "tagdeploy_task_digests" "example" {
  cluster = "example"
  service = "example"
  tag     = "prod"

  # Read after the promotion, so the report shows its effect.
  depends_on = [tagdeploy_prod_tag.example]
}

output "env_digest" {
  description = "What check.sh printed first: the digest prod points at."
  value       = "prod ENV_DIGEST: ${data.tagdeploy_task_digests.example.env_digest}"
}

output "tasks" {
  description = "One line per running task, as check.sh printed them."
  value = [
    for task in data.tagdeploy_task_digests.example.tasks :
    "TASK_DIGEST: ${coalesce(task.digest, "(not resolved yet)")} (${task.matches ? "match" : "no_match"})"
  ]
}

check "release_complete" {
  assert {
    condition     = data.tagdeploy_task_digests.example.complete
    error_message = "Not every task runs the digest prod points at yet (the rollout may still be in progress)."
  }
}
