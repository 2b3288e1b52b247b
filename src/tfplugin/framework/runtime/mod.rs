//! The [`Runtime`]: one provider instance with its registered types and configured data. It
//! implements every protocol operation on plain values (the gRPC layer only decodes and
//! encodes) and applies the rules of `plan` and `apply` around each resource call.

mod action;
mod identity;
mod list;
mod resource;

pub use action::ActionEvent;
use identity::identity_block;
pub use resource::{
    ApplyOutcome, ApplyRequest, ImportOutcome, ImportTarget, PlanOutcome, PlanRequest, ReadOutcome,
};

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use super::shape::{show, to_diagnostics};
use super::{
    AnyAction, AnyDataSource, AnyListResource, AnyResource, Ctx, Function, FunctionError,
    IdentitySchema, Provider, apply, plan, probe,
};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::model::Model;
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

struct Entry<T: ?Sized> {
    item: Arc<T>,
    schema: Schema,
}

/// One provider instance: its types (schemas computed once), its configured data and the
/// cancellation token StopProvider fires.
pub struct Runtime<P: Provider> {
    provider: P,
    provider_schema: Schema,
    resources: BTreeMap<&'static str, Entry<dyn AnyResource<P::Data>>>,
    data_sources: BTreeMap<&'static str, Entry<dyn AnyDataSource<P::Data>>>,
    functions: BTreeMap<&'static str, Arc<dyn Function>>,
    /// The identity schemas of the resource types that have one.
    identities: BTreeMap<&'static str, IdentitySchema>,
    actions: BTreeMap<&'static str, Entry<dyn AnyAction<P::Data>>>,
    lists: BTreeMap<&'static str, Entry<dyn AnyListResource<P::Data>>>,
    data: OnceLock<P::Data>,
    stop: CancellationToken,
}

impl<P: Provider> Runtime<P> {
    /// Registers everything `provider` offers.
    pub fn new(provider: P) -> Self {
        let resources: BTreeMap<_, Entry<dyn AnyResource<P::Data>>> = provider
            .resources()
            .into_iter()
            .map(|item| {
                (
                    item.type_name(),
                    Entry {
                        schema: item.schema(),
                        item,
                    },
                )
            })
            .collect();
        let identities = resources
            .iter()
            .filter_map(|(name, e)| Some((*name, e.item.identity_schema()?)))
            .collect();
        let actions = provider
            .actions()
            .into_iter()
            .map(|item| {
                (
                    item.type_name(),
                    Entry {
                        schema: item.schema(),
                        item,
                    },
                )
            })
            .collect();
        let lists = provider
            .list_resources()
            .into_iter()
            .map(|item| {
                (
                    item.type_name(),
                    Entry {
                        schema: item.schema(),
                        item,
                    },
                )
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|item| {
                (
                    item.type_name(),
                    Entry {
                        schema: item.schema(),
                        item,
                    },
                )
            })
            .collect();
        let functions = provider
            .functions()
            .into_iter()
            .map(|f| (f.name(), f))
            .collect();
        Self {
            provider_schema: provider.schema(),
            provider,
            resources,
            data_sources,
            functions,
            identities,
            actions,
            lists,
            data: OnceLock::new(),
            stop: CancellationToken::new(),
        }
    }

    /// The provider type name.
    pub fn type_name(&self) -> &'static str {
        self.provider.type_name()
    }

    /// The provider block schema.
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    /// Every resource type with its schema.
    pub fn resource_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.resources.iter().map(|(name, e)| (*name, &e.schema))
    }

    /// Every data source type with its schema.
    pub fn data_source_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.data_sources.iter().map(|(name, e)| (*name, &e.schema))
    }

    /// Every resource type's identity schema (types without one are absent).
    pub fn identity_schemas(&self) -> impl Iterator<Item = (&'static str, &IdentitySchema)> {
        self.identities.iter().map(|(name, s)| (*name, s))
    }

    /// Every action type with its configuration schema.
    pub fn action_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.actions.iter().map(|(name, e)| (*name, &e.schema))
    }

    /// Every list resource type with its `config` block's schema.
    pub fn list_resource_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.lists.iter().map(|(name, e)| (*name, &e.schema))
    }

    /// The identity schema of one resource type.
    pub fn identity_schema(&self, type_name: &str) -> Result<&IdentitySchema, Diagnostics> {
        self.identities.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Resource Has No Identity",
                format!("The resource type {type_name:?} of this provider has no identity."),
            )
            .into()
        })
    }

    /// The configuration schema of one action type.
    pub fn action_schema(&self, type_name: &str) -> Result<&Schema, Diagnostics> {
        self.actions
            .get(type_name)
            .map(|e| &e.schema)
            .ok_or_else(|| unknown_type("action", type_name))
    }

    /// The `config` block schema of one list resource type.
    pub fn list_resource_schema(&self, type_name: &str) -> Result<&Schema, Diagnostics> {
        self.lists
            .get(type_name)
            .map(|e| &e.schema)
            .ok_or_else(|| unknown_type("list resource", type_name))
    }

    /// The schema of one resource type.
    pub fn resource_schema(&self, type_name: &str) -> Result<&Schema, Diagnostics> {
        self.resources
            .get(type_name)
            .map(|e| &e.schema)
            .ok_or_else(|| unknown_type("resource", type_name))
    }

    /// The schema of one data source type.
    pub fn data_source_schema(&self, type_name: &str) -> Result<&Schema, Diagnostics> {
        self.data_sources
            .get(type_name)
            .map(|e| &e.schema)
            .ok_or_else(|| unknown_type("data source", type_name))
    }

    /// Every function.
    pub fn functions(&self) -> impl Iterator<Item = (&'static str, &Arc<dyn Function>)> {
        self.functions.iter().map(|(name, f)| (*name, f))
    }

    /// One function by name.
    pub fn function(&self, name: &str) -> Option<&Arc<dyn Function>> {
        self.functions.get(name)
    }

    /// Problems in the declared schemas (reported with GetProviderSchema, so a bad declaration
    /// fails loudly in the first test that loads the provider).
    pub fn schema_diagnostics(&self) -> Diagnostics {
        let all = std::iter::once(("provider", &self.provider_schema))
            .chain(self.resource_schemas())
            .chain(self.data_source_schemas())
            .chain(self.action_schemas())
            .chain(self.list_resource_schemas());
        let mut problems: Vec<(&str, String)> = Vec::new();
        for (name, schema) in all {
            if let Err(found) = schema.check() {
                problems.extend(found.into_iter().map(|p| (name, p)));
            }
        }
        for (name, identity) in self.identity_schemas() {
            if let Err(found) = identity.check() {
                problems.extend(found.into_iter().map(|p| (name, p)));
            }
        }
        problems.extend(self.family_problems());
        let mut diags = Diagnostics::new();
        for (name, p) in problems {
            diags.error(
                "Invalid Provider Schema",
                format!("{name}: {p}. This is a bug in the provider."),
            );
        }
        diags.extend(self.model_diagnostics());
        diags
    }

    /// Every registered type's model against its schema: the schema's null object, and
    /// configurations with every configurable value unknown (at the top and inside nested
    /// objects), must read into the model and come back unchanged, so no attribute is misnamed,
    /// missing, or typed without room for what Terraform may send.
    pub fn model_diagnostics(&self) -> Diagnostics {
        let mut found = Diagnostics::new();
        let provider =
            |v: &Value| P::Model::decode(v, "the provider configuration").map(|m| m.to_value());
        let mut check =
            |name: &str,
             schema: &Schema,
             round_trip: &dyn Fn(&Value) -> Result<Value, Diagnostics>| {
                for probe in probe::probes(schema) {
                    match round_trip(&probe) {
                    Ok(back) if back == probe => {}
                    Ok(back) => found.error(
                        "Invalid Provider Model",
                        format!(
                            "{name}: the model does not give back what it read: {} became {}. This is a bug in the provider.",
                            show(&probe),
                            show(&back)
                        ),
                    ),
                    Err(errors) => found.extend(errors),
                }
                }
            };
        check("provider", &self.provider_schema, &provider);
        for (name, e) in &self.resources {
            check(name, &e.schema, &|v| e.item.round_trip(v));
        }
        for (name, e) in &self.data_sources {
            check(name, &e.schema, &|v| e.item.round_trip(v));
        }
        for (name, e) in &self.actions {
            check(name, &e.schema, &|v| e.item.round_trip(v));
        }
        for (name, e) in &self.lists {
            check(name, &e.schema, &|v| e.item.round_trip(v));
        }
        for (name, identity) in &self.identities {
            let Some(e) = self.resources.get(name) else {
                continue;
            };
            let schema = Schema::from_block(identity.version, identity_block(identity));
            check(name, &schema, &|v| e.item.identity_round_trip(v));
        }
        // Several probes may trip over the same attribute: report it once.
        let mut diags = Diagnostics::new();
        for d in found.iter() {
            if !diags.iter().any(|seen| seen == d) {
                diags.push(d.clone());
            }
        }
        diags
    }

    /// StopProvider: cancels every in-flight and future resource call's token.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    fn ctx<'a, D>(&self, data: &'a D, private: Vec<u8>) -> Ctx<'a, D> {
        Ctx::new(data, self.stop.child_token(), private)
    }

    fn data(&self) -> Result<&P::Data, Diagnostics> {
        self.data.get().ok_or_else(|| {
            Diagnostic::error(
                "Provider Not Configured",
                "Terraform called the provider before configuring it. This is a bug in the provider or in Terraform.",
            )
            .into()
        })
    }

    /// ValidateProviderConfig: declared validators plus the provider's own checks.
    pub fn validate_provider(&self, config: &Value) -> Diagnostics {
        let mut diags = self.provider_schema.validate(config);
        match P::Model::decode(config, "the provider configuration") {
            Ok(config) => diags.extend(self.provider.validate(&config)),
            Err(errors) => diags.extend(errors),
        }
        diags
    }

    /// ConfigureProvider: builds the provider data once.
    pub async fn configure(&self, terraform_version: &str, config: &Value) -> Diagnostics {
        tracing::debug!(terraform_version, "configuring provider");
        let mut ctx = self.ctx(&(), Vec::new());
        let result = match P::Model::decode(config, "the provider configuration") {
            Ok(config) => self.provider.configure(&mut ctx, config).await,
            Err(errors) => Err(errors),
        };
        let (mut diags, _) = ctx.finish();
        match result {
            Ok(data) => {
                if self.data.set(data).is_err() {
                    diags.error(
                        "Provider Already Configured",
                        "ConfigureProvider was called twice on one provider process.",
                    );
                }
            }
            Err(errors) => diags.extend(errors),
        }
        diags
    }

    /// ValidateResourceConfig.
    pub fn validate_resource(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.resources.get(type_name) {
            None => unknown_type("resource", type_name),
            Some(e) => {
                let mut diags = e.schema.validate(config);
                diags.extend(e.item.validate(config));
                diags
            }
        }
    }

    /// ValidateDataResourceConfig.
    pub fn validate_data_source(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.data_sources.get(type_name) {
            None => unknown_type("data source", type_name),
            Some(e) => {
                let mut diags = e.schema.validate(config);
                diags.extend(e.item.validate(config));
                diags
            }
        }
    }

    /// ReadDataSource: a wholly known object that keeps every configured value (checked with
    /// the rules Terraform checks a data source's result with, those of a plan from a null
    /// prior state, so computed members of a configured nested attribute may be filled in).
    pub async fn read_data_source(&self, type_name: &str, config: &Value) -> (Value, Diagnostics) {
        let Some(e) = self.data_sources.get(type_name) else {
            return (Value::Null, unknown_type("data source", type_name));
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => return (Value::Null, d),
        };
        let mut ctx = self.ctx(data, Vec::new());
        let result = e.item.read(&mut ctx, config).await;
        let (mut diags, _) = ctx.finish();
        match result {
            Ok(value) => {
                let mut problems = apply::check_known_object(&e.schema, &value);
                if problems.is_empty() {
                    problems = plan::check(&e.schema, &Value::Null, config, &value);
                }
                if problems.is_empty() {
                    (value, diags)
                } else {
                    diags.extend(to_diagnostics(
                        "Provider Produced Invalid Data",
                        &format!("{type_name} read"),
                        problems,
                    ));
                    (Value::Null, diags)
                }
            }
            Err(errors) => {
                diags.extend(errors);
                (Value::Null, diags)
            }
        }
    }

    /// CallFunction (on an unconfigured provider: functions get no provider data).
    pub fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, FunctionError> {
        let f = self.functions.get(name).ok_or_else(|| FunctionError {
            text: format!("This provider has no function named {name:?}."),
            argument: None,
        })?;
        let sig = f.signature();
        let fixed = sig.parameters.len();
        if args.len() < fixed || (sig.variadic.is_none() && args.len() > fixed) {
            return Err(FunctionError {
                text: format!("{name} takes {fixed} argument(s); got {}.", args.len()),
                argument: None,
            });
        }
        f.call(args)
    }
}

pub(super) fn unknown_type(kind: &str, type_name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type named {type_name:?}."),
    )
    .into()
}

#[cfg(test)]
mod tests;
