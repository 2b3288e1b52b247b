# What RFC 013's check.sh printed: the digest `prod` points at, then one line per task.
data "tagdeploy_task_digests" "prod" {
  cluster = "example"
  service = "example"
  tag     = "prod"
}

output "env_digest" {
  value = "prod ENV_DIGEST: ${data.tagdeploy_task_digests.prod.env_digest}"
}

output "task_digests" {
  value = [
    for task in data.tagdeploy_task_digests.prod.tasks :
    "TASK_DIGEST: ${coalesce(task.digest, "(not resolved yet)")} (${task.matches ? "match" : "no_match"})"
  ]
}

# A check block reports (as a warning) without failing the run.
check "prod_release_complete" {
  assert {
    condition     = data.tagdeploy_task_digests.prod.complete
    error_message = "Not every task of service example runs the digest prod points at yet."
  }
}
