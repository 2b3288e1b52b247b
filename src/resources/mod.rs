//! Managed resources, one module each (its model, plan, apply, upgrades), plus what they share:
//! turning domain errors into diagnostics ([`errors`]) and the `timeouts` block model
//! ([`timeouts`]).

pub mod errors;
pub mod prod_tag;
pub mod timeouts;
