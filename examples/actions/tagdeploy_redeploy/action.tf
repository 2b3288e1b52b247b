# Terraform 1.14 and later. Run it when needed (after a secret rotation, or an image re-pushed
# under the same tag):
#
#   terraform apply -invoke=action.tagdeploy_redeploy.restart
action "tagdeploy_redeploy" "restart" {
  config {
    cluster  = "example"
    services = ["example"]
    timeout  = "20m"
  }
}
