output "repository_url" {
  description = "Push release images here, tagged with their release hash."
  value       = aws_ecr_repository.app.repository_url
}

output "cluster" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service" {
  description = "The ECS service that runs `<repository>:prod`."
  value       = aws_ecs_service.app.name
}

output "promotion_policy_arn" {
  description = "The least-privilege policy for whoever runs the promotion."
  value       = one(aws_iam_policy.promotion[*].arn)
}

output "promotion_policy" {
  description = "The promotion policy document (also when manage_iam is false and it is not created)."
  value       = data.aws_iam_policy_document.promotion.json
}

output "prod" {
  description = "The digest prod points at, and one line per task (check.sh's output)."
  value = [
    for report in data.tagdeploy_task_digests.prod : concat(
      ["prod ENV_DIGEST: ${report.env_digest}"],
      [for task in report.tasks : "TASK_DIGEST: ${coalesce(task.digest, "(not resolved yet)")} (${task.matches ? "match" : "no_match"})"],
    )
  ]
}
