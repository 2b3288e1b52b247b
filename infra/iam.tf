# What the tagdeploy provider needs, and nothing more: exactly the ECR and ECS actions it calls
# (a test compares this list with the AWS operations the provider issues against the emulator),
# each scoped as narrowly as IAM allows.
data "aws_iam_policy_document" "promotion" {
  # Resolve releases, read and move the environment tag: DescribeImages, DescribeRepositories,
  # BatchGetImage (the manifest, by digest) and PutImage (the same bytes under the new tag).
  statement {
    sid = "EnvironmentTag"
    actions = [
      "ecr:BatchGetImage",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
      "ecr:PutImage",
    ]
    resources = [aws_ecr_repository.app.arn]
  }

  # Redeploy the service and follow its rollout. Both actions support the service ARN.
  statement {
    sid = "Redeploy"
    actions = [
      "ecs:DescribeServices",
      "ecs:UpdateService",
    ]
    resources = [aws_ecs_service.app.id]
  }

  # Follow the service deployment each redeploy starts, answer its PAUSE lifecycle hooks
  # (pause_hook_action), and stop it when a promotion gives up (StopServiceDeployment, ROLLBACK).
  # Scoped by service deployment ARN, which names the cluster and the service.
  statement {
    sid = "ServiceDeployments"
    actions = [
      "ecs:ContinueServiceDeployment",
      "ecs:DescribeServiceDeployments",
      "ecs:StopServiceDeployment",
    ]
    resources = ["arn:${local.partition}:ecs:${var.region}:${local.account_id}:service-deployment/${aws_ecs_cluster.this.name}/${aws_ecs_service.app.name}/*"]
  }

  # The digests a service deployment resolved: its target service revision's container images.
  statement {
    sid       = "ServiceRevisions"
    actions   = ["ecs:DescribeServiceRevisions"]
    resources = ["arn:${local.partition}:ecs:${var.region}:${local.account_id}:service-revision/${aws_ecs_cluster.this.name}/${aws_ecs_service.app.name}/*"]
  }

  # ListTasks takes no task or service ARN (its resource type is the container instance, which
  # Fargate tasks do not have): scope it to the cluster with the ecs:cluster condition key.
  statement {
    sid       = "ListTasks"
    actions   = ["ecs:ListTasks"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  # DescribeTasks is scoped by task ARN: every task of this cluster.
  statement {
    sid       = "DescribeTasks"
    actions   = ["ecs:DescribeTasks"]
    resources = ["arn:${local.partition}:ecs:${var.region}:${local.account_id}:task/${aws_ecs_cluster.this.name}/*"]
  }

  # DescribeTaskDefinition supports no resource-level permissions: "*" is the only valid
  # resource. The data source calls it only for a service with no task, to find its image.
  statement {
    sid       = "TaskDefinition"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "promotion" {
  count = var.manage_iam ? 1 : 0

  name        = "${var.name}-tagdeploy-promotion"
  description = "Promote releases of ${var.name} with the tagdeploy Terraform provider."
  policy      = data.aws_iam_policy_document.promotion.json
}

resource "aws_iam_role_policy_attachment" "promotion" {
  count = var.manage_iam && var.promotion_role_name != null ? 1 : 0

  role       = var.promotion_role_name
  policy_arn = aws_iam_policy.promotion[0].arn
}
