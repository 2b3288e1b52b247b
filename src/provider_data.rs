//! [`ProviderData`]: what the configured provider hands to every resource and data source call
//! (its AWS clients). Its own module so that the types depend on it and not on the provider,
//! which registers them.

use crate::aws::config::Clients;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};

/// What every resource and data source call receives: the AWS clients, or why they are not
/// available yet (provider settings unknown until apply).
#[derive(Debug)]
pub struct ProviderData {
    clients: Result<Clients, Vec<String>>,
}

impl ProviderData {
    /// Provider data holding configured clients.
    pub fn configured(clients: Clients) -> Self {
        Self {
            clients: Ok(clients),
        }
    }

    /// Provider data for a configuration whose settings `unknown` are known only after apply.
    pub fn unknown_settings(unknown: Vec<String>) -> Self {
        Self {
            clients: Err(unknown),
        }
    }

    /// The AWS clients, or an error diagnostic naming the provider settings that are still
    /// unknown (Terraform configures providers during plan with whatever is known).
    pub fn clients(&self) -> Result<&Clients, Diagnostics> {
        self.clients.as_ref().map_err(|unknown| {
            Diagnostic::error(
                "Provider Configuration Not Known Yet",
                format!(
                    "The tagdeploy provider setting(s) {} depend on values known only after apply, so the provider cannot talk to AWS during this plan. Use known values for the provider block (or apply the resources they depend on first with -target).",
                    unknown.join(", ")
                ),
            )
            .into()
        })
    }
}
