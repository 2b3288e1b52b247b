# Release hash_2 to production: move the `prod` tag of repository `example` onto the image
# tagged `hash_2`, redeploy service `example`, and wait for the rollout (the tag moves back if
# the rollout fails).
resource "tagdeploy_prod_tag" "example" {
  repository  = "example"
  tag         = "prod"
  release_tag = "hash_2"
  cluster     = "example"
  services    = ["example"]
  description = "Release hash_2"

  timeouts {
    update = "20m"
  }
}

output "prod_digest" {
  description = "The digest prod points at after the release."
  value       = tagdeploy_prod_tag.example.image_digest
}

output "rollout" {
  description = "Each service's deployment and how far it got."
  value = {
    for service, id in tagdeploy_prod_tag.example.deployments :
    service => "${id} ${tagdeploy_prod_tag.example.rollouts[service].rollout_state}"
  }
}
