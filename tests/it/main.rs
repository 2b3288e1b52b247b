//! The integration tests, compiled into one binary so the crate is linked once. Every module
//! below is declared here (a test file not reachable from this list is never compiled):
//!
//! - `protocol`: the gRPC server in-process and the built binary's handshake, TLS and lifecycle.
//! - `domain`: `src/aws/` against the in-process emulator (retag, deploy, wait, roll back,
//!   report, coalesced reads), with the AWS calls counted.
//! - `e2e`: real Terraform binaries (1.11 when installed, 1.15 always) against the built
//!   provider: the foundation (schema, function, shutdown), `tagdeploy_prod_tag`, the data
//!   sources.
//! - `reliability`: faults, interruptions, failed releases, the table of bad inputs for every
//!   type, fuzzing, the process boundary and credentials.
//! - `examples`: every file under `examples/` is formatted, validates, and (where it can) runs.
//! - `release`: packaging, the `infra/` stack, and its IAM policy against what the provider calls.
//! - `docs`: the registry docs under `docs/` are what the schema and `templates/` generate.
//! - `support`: the helpers every module shares (Terraform workspaces, emulators and what they
//!   saw, AWS calls from outside, fault plans, processes); see its documentation.
//!
//! Adding a test: put it in the module of its topic, take helpers from `support` (add one there
//! rather than in the test's module when a second module needs it), and a refused input goes
//! into the table in `reliability::bad_input`.

mod docs;
mod domain;
mod e2e;
mod examples;
mod protocol;
mod release;
mod reliability;
mod support;
