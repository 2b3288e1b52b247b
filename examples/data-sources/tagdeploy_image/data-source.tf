# Which release is in production right now: the image `prod` points at, and its other tags.
data "tagdeploy_image" "prod" {
  repository = "example"
  tag        = "prod"
}

output "prod_releases" {
  description = "The release tags on the image prod points at (every tag but the environment tags)."
  value       = [for t in data.tagdeploy_image.prod.tags : t if !contains(["prod", "stage"], t)]
}

output "prod_image_uri" {
  description = "The image pinned by digest, for a task definition that must not follow the tag."
  value       = data.tagdeploy_image.prod.image_uri
}
