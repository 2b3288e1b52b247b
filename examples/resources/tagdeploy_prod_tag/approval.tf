# A manual approval gate. Service `web` deploys BLUE_GREEN with a PAUSE lifecycle hook at
# POST_TEST_TRAFFIC_SHIFT (in its deploymentConfiguration.lifecycleHooks, targetType PAUSE):
# green serves the test listener, then ECS waits for an answer before production traffic moves.
# An environment whose checks are automated approves its own gate with
# pause_hook_action = "CONTINUE"; prod waits for a person.
variable "release" {
  type        = string
  description = "The release to ship, e.g. hash_2."
}

# `aws ecs continue-service-deployment ... --action CONTINUE` approves (the apply logs the exact
# command at INFO level); `--action ROLLBACK` rejects: ECS returns to blue and the tag moves
# back. The apply waits as long as the timeouts allow; when they pass first, the deployment is
# stopped (StopServiceDeployment, ROLLBACK) and the tag moves back.
resource "tagdeploy_prod_tag" "web" {
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
}
