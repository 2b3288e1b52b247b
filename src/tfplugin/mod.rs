//! The protocol layer: everything Terraform-protocol-shaped lives here, and only here.

pub mod diagnostics;
pub mod framework;
pub mod log;
pub(crate) mod proto;
pub mod schema;
pub mod value;
