variable "region" {
  description = "The AWS region to create everything in."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the ECR repository, the ECS cluster, the service and the task family."
  type        = string
  default     = "example"
}

variable "subnet_ids" {
  description = "Subnets for the Fargate tasks (private subnets with a NAT gateway or VPC endpoints for ECR, or public ones with assign_public_ip = true)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups for the Fargate tasks."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give each task a public IP (needed in public subnets to pull from ECR without a NAT gateway)."
  type        = bool
  default     = false
}

variable "container_port" {
  description = "The port the container listens on."
  type        = number
  default     = 80
}

variable "cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate task memory (MiB)."
  type        = number
  default     = 512
}

variable "desired_count" {
  description = "Tasks the service runs once a release is promoted."
  type        = number
  default     = 2
}

variable "protect_release_tags" {
  description = "Make every tag immutable except the environment tags (IMMUTABLE_WITH_EXCLUSION), through the AWS CLI: see ecr.tf. With false the repository stays MUTABLE."
  type        = bool
  default     = true
}

variable "environment_tags" {
  description = "The tags that move from release to release (the exclusion filters: they stay mutable)."
  type        = list(string)
  default     = ["prod", "stage"]
}

variable "release" {
  description = "The release hash (an image tag pushed to the repository) that prod should run. null: no promotion yet, the service runs no task."
  type        = string
  default     = null
}

variable "promotion_role_name" {
  description = "An existing IAM role (e.g. your CI's deploy role) to attach the promotion policy to. null: create the policy only."
  type        = string
  default     = null
}

variable "promotion_assume_role_arn" {
  description = "A role the tagdeploy provider assumes to promote (e.g. the role above). null: it uses the caller's credentials."
  type        = string
  default     = null
}

variable "endpoint" {
  description = "Send every AWS call (ECR, ECS, CloudWatch Logs, and the promotion's) to this URL instead of AWS: the local tagdeploy-emulator, e.g. http://127.0.0.1:41234. null: AWS."
  type        = string
  default     = null
}

variable "manage_iam" {
  description = "Create the task execution role and the promotion policy. false: the emulator, which has no IAM (see README.md); pass execution_role_arn instead."
  type        = bool
  default     = true
}

variable "execution_role_arn" {
  description = "An existing task execution role, used when manage_iam is false."
  type        = string
  default     = null
}

variable "wait_for_rollout" {
  description = "Wait for the promotion's rollout to finish before the apply returns."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of the stack (the AWS provider's default_tags)."
  type        = map(string)
  default     = { Stack = "tagdeploy-rfc013" }
}

variable "force_delete" {
  description = "Let `terraform destroy` delete the ECR repository with the images in it. false: destroy fails while it holds images."
  type        = bool
  default     = false
}
