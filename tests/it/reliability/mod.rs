//! Reliability and security (issue 6): faults survived, bad input refused, nothing lost, no one
//! else gets in.
//!
//! - `faults`: seeded, bounded emulator faults (throttling, server errors, latency, dropped
//!   connections) during promotion, refresh and data source reads, through real Terraform, plus
//!   the same faults against the provider's own SDK retry settings without Terraform.
//! - `interrupt`: the provider and, separately, Terraform killed at each step of a promotion;
//!   Ctrl-C during the rollout wait.
//! - `interrupt_bake`: the provider killed while every strategy's deployment bakes; the next
//!   apply adopts the same service deployments.
//! - `failed_releases`: unhealthy images with and without the ECS rollback, a release deleted
//!   between plan and apply, a manifest list whose child is missing.
//! - `bad_input`: a table of refused inputs, each on its attribute, with no mutating AWS call.
//! - `fuzz`: bounded proptests of untrusted bytes through the gRPC service and the emulator.
//! - `rate_limits`: AWS's rate limits on (the emulator's `--aws-rate-limits`): 100 services in
//!   one resource, 20 resources × 5 services, the status of 100 services and a data source over
//!   1,000 tasks end correctly; throttling beyond the provider's pacing is retried, never a
//!   failed release.
//! - `boundary`: the process boundary (socket directory, TLS, cookie) and credentials that must
//!   never appear in logs, state or diagnostics, while the AWS calls do appear in the log.
//! - `release_set`: a release set (`tagdeploy_release`) with the provider or Terraform killed
//!   between two images' retags or deployments, and under throttling.
//! - `call_failures`: SDK failures (throttling, server errors, dropped and refused connections,
//!   timeouts) read as sentences that name the call, the attempts and what to do.
//!
//! Their helpers are in `crate::support` (shared with every other test module).

mod bad_input;
mod boundary;
mod call_failures;
mod failed_releases;
mod faults;
mod fuzz;
mod interrupt;
mod interrupt_bake;
mod rate_limits;
mod release_set;
