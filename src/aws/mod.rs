//! The AWS domain: plain Rust, no Terraform types and no unknown values.
//!
//! - [`config`]: from provider settings to an `SdkConfig`, the ECR/ECS clients and the reads
//!   their users share.
//! - [`image`], [`uri`]: digests, repository references, tag selectors and mutability rules, and
//!   ECR image URIs (their naming rules are [`crate::names`]).
//! - [`ecr`]: image lookups and the digest-preserving retag.
//! - [`ecs`]: describing services, forcing deployments, waiting for rollouts; ECS states as
//!   enums.
//! - [`promote`]: the promotion engine, for one image or a set of images released together
//!   (retag, redeploy, wait, roll back, all or nothing), idempotent.
//! - [`report`]: the per-task digest report; [`release_report`]: the report of a set, with the
//!   RFC status of every image and of the whole.
//! - [`coalesce`]: generic batching and single-flight, so concurrent reads share AWS calls.
//! - [`call`], [`telemetry`]: sending an SDK call, observing its attempts (logs), and saying
//!   what happened when it fails.
//! - [`error`]: typed errors with context, as sentences.
//!
//! Dependencies run one way: `config` → `ecr`/`ecs` → `coalesce`, `call` → `error`;
//! `telemetry` → `call`; `promote`/`report` → `ecr`/`ecs`; `release_report` → `report`.

pub mod call;
pub mod coalesce;
pub mod config;
pub mod ecr;
pub mod ecs;
pub mod error;
pub mod image;
pub mod promote;
pub mod release_report;
pub mod report;
pub mod telemetry;
pub mod uri;
