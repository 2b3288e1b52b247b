//! The protocol layer: everything Terraform-protocol-shaped lives here, and only here.

pub mod value;
