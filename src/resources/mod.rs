//! Managed resources, one file each, plus what they share: turning domain errors into
//! diagnostics ([`errors`]) and the `timeouts` block ([`timeouts`]).

pub mod errors;
pub mod prod_tag;
pub mod timeouts;
