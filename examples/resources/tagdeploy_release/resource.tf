# Release hash_2 of the monorepo to production, all or nothing: move the `prod` tag of
# repositories `api` and `worker` onto their images tagged `hash_2`, redeploy every service of
# both (in two clusters) at once, and wait for all the rollouts. If one fails, every tag goes
# back and every service that got a new image returns to its previous one.
resource "tagdeploy_release" "prod" {
  tag         = "prod"
  release_id  = "2026-12-01.1"
  description = "Release hash_2"

  images = {
    api = {
      repository  = "api"
      release_tag = "hash_2"
      cluster     = "main"
      services    = ["api"]
    }
    worker = {
      repository  = "worker"
      release_tag = "hash_2"
      cluster     = "batch"
      services    = ["worker", "scheduler"]
    }
  }

  timeouts {
    update = "30m"
  }
}

output "release" {
  description = "What went to prod: the release id, each image's digest, and when."
  value = {
    release_id  = tagdeploy_release.prod.release_id
    promoted_at = tagdeploy_release.prod.promoted_at
    digests     = { for name, image in tagdeploy_release.prod.images : name => image.image_digest }
  }
}
