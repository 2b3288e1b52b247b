# A manual approval gate. Service `web` deploys BLUE_GREEN with a PAUSE lifecycle hook at
# POST_TEST_TRAFFIC_SHIFT (in its deploymentConfiguration.lifecycleHooks, targetType PAUSE):
# green serves the test listener, then ECS waits for an answer before production traffic moves.
variable "release" {
  type        = string
  description = "The release to ship, e.g. hash_2."
}

# Stage's checks are automated: it approves its own gate.
resource "tagdeploy_prod_tag" "stage" {
  repository        = "web"
  tag               = "stage"
  release_tag       = var.release
  cluster           = "staging"
  services          = ["web"]
  pause_hook_action = "CONTINUE"
}

# Prod waits for a person: `aws ecs continue-service-deployment ... --action CONTINUE` approves,
# `--action ROLLBACK` rejects (ECS returns to blue and the tag moves back). The apply waits as
# long as the timeouts allow; when they pass first, the deployment is stopped (ROLLBACK).
resource "tagdeploy_prod_tag" "prod" {
  repository        = "web"
  tag               = "prod"
  release_tag       = var.release
  cluster           = "production"
  services          = ["web"]
  pause_hook_action = "WAIT"

  timeouts {
    create = "2h"
    update = "2h"
  }

  depends_on = [tagdeploy_prod_tag.stage]
}
