# Is the release complete everywhere? One report for every service of every image. Given
# `tagdeploy_release.prod.images` instead, it judges the deployments the release recorded.
data "tagdeploy_release_status" "prod" {
  tag = "prod"
  images = {
    api = {
      repository = "api"
      cluster    = "main"
      services   = ["api"]
    }
    worker = {
      repository = "worker"
      cluster    = "batch"
      services   = ["worker", "scheduler"]
    }
  }
}

output "release_status" {
  description = "COMPLETE only when every service of every image is."
  value       = data.tagdeploy_release_status.prod.status
}

output "release_by_image" {
  description = "Each image's status and the digest its tag points at."
  value = {
    for name, image in data.tagdeploy_release_status.prod.images :
    name => "${image.status} ${image.env_digest}"
  }
}
