//! Managed resources, one module each (its model, plan, apply, upgrades), plus what they share:
//! one image's promotion as Terraform values ([`promotion`], used by both `tagdeploy_prod_tag`
//! and `tagdeploy_release`) and the `timeouts` block model ([`timeouts`]). Domain errors become
//! diagnostics in [`crate::errors`].

pub mod prod_tag;
pub mod promotion;
pub mod release;
pub mod timeouts;
