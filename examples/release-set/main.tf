# A release set: one commit of a monorepo builds three images, each in its own ECR repository
# and run by its own services in two clusters. They go to prod together, all or nothing, and
# the release is reported complete only once every task of every service runs its image.
#
#   terraform apply -var release=hash_2
#
# If one rollout fails (or times out), the apply fails, every image's `prod` tag is back on its
# previous digest, every service that got a new image returns to its previous one, and the
# error tells, image by image, what happened. The next plan still proposes the release.

terraform {
  required_providers {
    tagdeploy = {
      source = "terraform.local/tagdeploy/tagdeploy"
    }
  }
}

variable "release" {
  description = "The release (build) tag every image carries, e.g. the commit hash."
  type        = string
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

resource "tagdeploy_release" "prod" {
  tag         = "prod"
  description = "Release ${var.release}"

  images = {
    api = {
      repository  = "api"
      release_tag = var.release
      cluster     = "main"
      services    = ["api"]
    }
    web = {
      repository  = "web"
      release_tag = var.release
      cluster     = "main"
      services    = ["web"]
    }
    worker = {
      repository  = "worker"
      release_tag = var.release
      cluster     = "batch"
      services    = ["worker", "scheduler"]
    }
  }

  # Approve blue/green PAUSE gates while the release waits (default: WAIT for someone else).
  pause_hook_action = "CONTINUE"

  timeouts {
    create = "30m"
    update = "30m"
  }
}

# Read after the release (depends_on), so it reports the deployments the release recorded.
data "tagdeploy_release_status" "prod" {
  tag        = tagdeploy_release.prod.tag
  images     = tagdeploy_release.prod.images
  depends_on = [tagdeploy_release.prod]
}

output "release" {
  description = "The release record: its id, each image's digest and previous digest, when."
  value = {
    release_id  = tagdeploy_release.prod.release_id
    promoted_at = tagdeploy_release.prod.promoted_at
    images = {
      for name, image in tagdeploy_release.prod.images : name => {
        digest   = image.image_digest
        previous = image.previous_digest
      }
    }
  }
}

output "status" {
  description = "The set's RFC 013 status: COMPLETE only when every image is."
  value       = data.tagdeploy_release_status.prod.status
}
