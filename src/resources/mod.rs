//! Managed resources, one file each, plus what they share: the `timeouts` block
//! ([`timeouts`]). Domain errors become diagnostics in [`crate::errors`].

pub mod prod_tag;
pub mod timeouts;
