//! End-to-end tests: real Terraform binaries against the built provider (and, for the promotion,
//! the emulator). Each test runs once per Terraform version; see `support::terraform`.

mod compat;
mod data_sources;
mod foundation;
mod identity;
mod prod_tag;
mod query;
mod redeploy_action;
mod release;
mod release_note;
mod schema;
mod strategies;
mod strategies_report;
