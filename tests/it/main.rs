//! The integration tests, compiled into one binary so the crate is linked once.
//!
//! - `protocol`: the gRPC server in-process and the built binary's handshake, TLS and lifecycle.
//! - `e2e`: real Terraform binaries (1.11 when installed, 1.15 always) against the built provider.
//! - `examples`: every file under `examples/` is formatted, validates, and (where it can) runs.
//! - `release`: packaging, the `infra/` stack, and its IAM policy against what the provider calls.
//! - `docs`: the registry docs under `docs/` are what the schema and `templates/` generate.
//! - `support`: shared helpers (building the provider, filesystem mirror, Terraform runners).

mod docs;
mod domain;
mod e2e;
mod examples;
mod protocol;
mod release;
mod reliability;
mod support;
