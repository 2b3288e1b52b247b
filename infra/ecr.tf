# Release images are pushed once, tagged with their release hash; `prod` and `stage` move
# between them. The mode that allows exactly that is IMMUTABLE_WITH_EXCLUSION with one WILDCARD
# filter per environment tag: every tag is immutable except those.
#
# hashicorp/aws 5.100 (what this stack is validated with) accepts only MUTABLE or IMMUTABLE
# here and has no exclusion filters; 6.8.0 added both. So the repository is created MUTABLE and
# the exclusion mode is set by the AWS CLI (`put-image-tag-mutability`) below, with Terraform
# told to leave the attribute alone. With hashicorp/aws >= 6.8 replace both with:
#
#   image_tag_mutability = "IMMUTABLE_WITH_EXCLUSION"
#   dynamic "image_tag_mutability_exclusion_filter" {
#     for_each = var.environment_tags
#     content {
#       filter      = image_tag_mutability_exclusion_filter.value
#       filter_type = "WILDCARD"
#     }
#   }
#
# Plain IMMUTABLE would make `prod` immutable too: tagdeploy refuses to plan a promotion then.
resource "aws_ecr_repository" "app" {
  name                 = var.name
  image_tag_mutability = "MUTABLE"
  # false: `terraform destroy` refuses to delete a repository that still holds images.
  force_delete = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  lifecycle {
    # Set by terraform_data.tag_mutability below.
    ignore_changes = [image_tag_mutability]
  }
}

resource "terraform_data" "tag_mutability" {
  count = var.protect_release_tags ? 1 : 0

  triggers_replace = [aws_ecr_repository.app.name, var.environment_tags]

  # Needs an AWS CLI that knows --image-tag-mutability-exclusion-filters (v2 or v1 releases
  # from August 2025 on) and the same credentials Terraform uses.
  provisioner "local-exec" {
    # Against the emulator the CLI goes there too (AWS_ENDPOINT_URL_ECR, AWS CLI >= 1.29 / 2.13).
    environment = var.endpoint == null ? {} : { AWS_ENDPOINT_URL_ECR = var.endpoint }
    command = join(" ", concat(
      [
        "aws ecr put-image-tag-mutability",
        "--region", var.region,
        "--repository-name", aws_ecr_repository.app.name,
        "--image-tag-mutability IMMUTABLE_WITH_EXCLUSION",
        "--image-tag-mutability-exclusion-filters",
      ],
      [for tag in var.environment_tags : "filterType=WILDCARD,filter=${tag}"],
    ))
  }
}
