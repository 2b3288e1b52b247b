//! The AWS domain: plain Rust, no Terraform types and no unknown values.
//!
//! - [`config`]: from provider settings to an `SdkConfig` and the ECR/ECS clients.
//! - [`image`], [`uri`]: digests, repository references, tag selectors and mutability rules, and
//!   ECR image URIs.
//! - [`ecr`]: image lookups and the digest-preserving retag.
//! - [`ecs`]: describing services, forcing deployments, waiting for rollouts.
//! - [`promote`]: the promotion itself (retag, redeploy, wait, roll back), idempotent.
//! - [`report`]: the per-task digest report.
//! - [`coalesce`]: concurrent reads in one provider process sharing AWS calls.
//! - [`pacing`]: AWS's rate limits mirrored per process (calls wait for a token), and calls
//!   retried, paced, when AWS throttles or fails anyway.
//! - [`error`]: typed errors with context.

pub mod coalesce;
pub mod config;
pub mod ecr;
pub mod ecs;
pub mod error;
pub mod image;
pub mod pacing;
pub mod promote;
pub mod report;
pub mod uri;
