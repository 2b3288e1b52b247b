//! End-to-end tests: real Terraform binaries against the built provider (and, for the promotion,
//! the emulator). Each test runs once per Terraform version; see `support::terraform`.

mod data_sources;
mod foundation;
mod prod_tag;
mod release;
mod release_note;
mod schema;
mod strategies;
mod strategies_report;
