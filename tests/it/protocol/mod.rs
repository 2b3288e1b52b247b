//! Protocol tests: the provider process and gRPC service without Terraform.
