//! The helpers every RPC of [`ProviderService`] shares: its capabilities, the schema of what a
//! request names, decoding request values with it, and config validation.

use super::convert::{self, decode};
use super::span::Typed;
use super::take;
use std::sync::Arc;

use super::{ProviderService, pb};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Provider, Runtime};
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::{Type, Value};

impl<P: Provider> ProviderService<P> {
    pub(crate) fn new(runtime: Arc<Runtime<P>>) -> Self {
        Self { runtime }
    }

    pub(super) fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            // We want destroy plans, so resources can warn about what a destroy leaves behind.
            plan_destroy: true,
            get_provider_schema_optional: false,
            move_resource_state: false,
            generate_resource_config: false,
        }
    }

    /// The schema of the provider, or of a resource or data source type.
    pub(super) fn schema(&self, typed: Typed<'_>) -> Result<&Schema, Diagnostics> {
        match typed {
            Typed::Provider => Ok(self.runtime.provider_schema()),
            Typed::Resource(name) => self.runtime.resource_schema(name),
            Typed::DataSource(name) => self.runtime.data_source_schema(name),
            Typed::Action(name) => self.runtime.action_schema(name),
            Typed::ListResource(name) => self.runtime.list_resource_schema(name),
        }
    }

    /// Decodes one value of `typed`'s type (`what` names it in errors), collecting any
    /// failure into `diags`; with the type, for encoding the answer.
    pub(super) fn decode_one(
        &self,
        typed: Typed<'_>,
        value: Option<&pb::DynamicValue>,
        what: &str,
        diags: &mut Diagnostics,
    ) -> Option<(Type, Value)> {
        let ty = take(self.schema(typed).map(Schema::implied_type), diags)?;
        let value = take(decode(&ty, value, what), diags)?;
        Some((ty, value))
    }

    /// Decodes the three values a plan or apply request carries (prior state, then the
    /// proposed or planned state, then the configuration) with the resource type's schema,
    /// collecting any failure into `diags`.
    pub(super) fn decode_change(
        &self,
        type_name: &str,
        values: [(Option<&pb::DynamicValue>, &str); 3],
        diags: &mut Diagnostics,
    ) -> Option<(Type, [Value; 3])> {
        let ty = take(
            self.runtime
                .resource_schema(type_name)
                .map(Schema::implied_type),
            diags,
        )?;
        // Stop at the first value that does not decode, as one bad value explains the failure.
        let mut decoded = Vec::with_capacity(values.len());
        for (value, what) in values {
            decoded.push(take(decode(&ty, value, what), diags)?);
        }
        let values: [Value; 3] = decoded.try_into().ok()?;
        Some((ty, values))
    }

    /// ValidateProviderConfig, ValidateResourceConfig, ValidateDataResourceConfig,
    /// ValidateActionConfig and ValidateListResourceConfig: decode, then the declared
    /// validators and the type's own checks.
    pub(super) fn validate_config(
        &self,
        typed: Typed<'_>,
        config: Option<&pb::DynamicValue>,
    ) -> Vec<pb::Diagnostic> {
        let what = match typed {
            Typed::Provider => "provider configuration",
            Typed::ListResource(_) => "list configuration",
            Typed::Resource(_) | Typed::DataSource(_) | Typed::Action(_) => "configuration",
        };
        let mut diags = Diagnostics::new();
        if let Some((_, config)) = self.decode_one(typed, config, what, &mut diags) {
            diags.extend(match typed {
                Typed::Provider => self.runtime.validate_provider(&config),
                Typed::Resource(name) => self.runtime.validate_resource(name, &config),
                Typed::DataSource(name) => self.runtime.validate_data_source(name, &config),
                Typed::Action(name) => self.runtime.validate_action(name, &config),
                Typed::ListResource(name) => self.runtime.validate_list(name, &config),
            });
        }
        convert::diagnostics(diags)
    }

    /// The wire form of every function's signature, by name.
    pub(super) fn functions(&self) -> std::collections::HashMap<String, pb::Function> {
        self.runtime
            .functions()
            .map(|(n, f)| (n.to_owned(), convert::function(&f.signature())))
            .collect()
    }
}
