//! The AWS domain: plain Rust, no Terraform types and no unknown values.
//!
//! - [`config`]: from provider settings to an `SdkConfig` and the ECR/ECS clients.

pub mod config;
