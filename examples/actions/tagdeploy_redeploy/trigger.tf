# The workers run the same environment tag as the API but are not promoted with it: redeploy
# them after every promotion of prod, once the API's rollout has succeeded.
resource "tagdeploy_prod_tag" "api" {
  repository  = "example"
  release_tag = "hash_2"
  cluster     = "example"
  services    = ["example"]

  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.tagdeploy_redeploy.workers]
    }
  }
}

action "tagdeploy_redeploy" "workers" {
  config {
    cluster           = "example"
    services          = ["example-worker"]
    pause_hook_action = "CONTINUE"
  }
}
