//! Managed resources, one module each (its model, plan, apply, upgrades), plus what they share:
//! the `timeouts` block model ([`timeouts`]). Domain errors become diagnostics in
//! [`crate::errors`].

pub mod prod_tag;
pub mod timeouts;
