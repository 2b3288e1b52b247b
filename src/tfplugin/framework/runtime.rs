//! The [`Runtime`]: one provider instance with its registered types and configured data. It
//! implements every protocol operation on plain values (the gRPC layer only decodes and
//! encodes) and applies the rules of `plan` and `apply` around each resource call.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use super::shape::{nullify_unknowns, to_diagnostics};
use super::{
    AnyDataSource, AnyResource, Change, Ctx, Function, FunctionError, Plan, Provider, apply, plan,
};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::{Value, json};

struct Entry<T: ?Sized> {
    item: Arc<T>,
    schema: Schema,
}

/// A PlanResourceChange call, decoded.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The resource type.
    pub type_name: String,
    /// Prior state (null on create).
    pub prior: Value,
    /// Terraform's proposed new state (null on destroy).
    pub proposed: Value,
    /// The configuration (null on destroy).
    pub config: Value,
    /// Private bytes from the prior state.
    pub prior_private: Vec<u8>,
}

/// The answer to a [`PlanRequest`].
#[derive(Debug, Clone, Default)]
pub struct PlanOutcome {
    /// The planned state (null for destroy or on error).
    pub planned: Value,
    /// Attribute paths whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Private bytes to carry to apply.
    pub planned_private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// An ApplyResourceChange call, decoded.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// The resource type.
    pub type_name: String,
    /// State before (null on create).
    pub prior: Value,
    /// Planned state (null on delete).
    pub planned: Value,
    /// The configuration.
    pub config: Value,
    /// Private bytes from the plan.
    pub planned_private: Vec<u8>,
}

/// The answer to an [`ApplyRequest`]: always a truthful state, even on error.
#[derive(Debug, Clone, Default)]
pub struct ApplyOutcome {
    /// The state now (null after delete or a failed create).
    pub new_state: Value,
    /// Private bytes to store.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// The answer to a ReadResource call.
#[derive(Debug, Clone, Default)]
pub struct ReadOutcome {
    /// The refreshed state; null means the object is gone.
    pub new_state: Value,
    /// Private bytes to store.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// The answer to an ImportResourceState call.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    /// The imported state, when import succeeded.
    pub state: Option<Value>,
    /// Private bytes to store.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// One provider instance: its types (schemas computed once), its configured data and the
/// cancellation token StopProvider fires.
pub struct Runtime<P: Provider> {
    provider: P,
    provider_schema: Schema,
    resources: BTreeMap<&'static str, Entry<dyn AnyResource<P::Data>>>,
    data_sources: BTreeMap<&'static str, Entry<dyn AnyDataSource<P::Data>>>,
    functions: BTreeMap<&'static str, Arc<dyn Function>>,
    data: OnceLock<P::Data>,
    stop: CancellationToken,
}

impl<P: Provider> Runtime<P> {
    /// Registers everything `provider` offers.
    pub fn new(provider: P) -> Self {
        let resources = provider
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
            .chain(self.data_source_schemas());
        let mut diags = Diagnostics::new();
        for (name, schema) in all {
            if let Err(problems) = schema.check() {
                for p in problems {
                    diags.error(
                        "Invalid Provider Schema",
                        format!("{name}: {p}. This is a bug in the provider."),
                    );
                }
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
        diags.extend(self.provider.validate(config));
        diags
    }

    /// ConfigureProvider: builds the provider data once.
    pub async fn configure(&self, terraform_version: &str, config: &Value) -> Diagnostics {
        tracing::debug!(terraform_version, "configuring provider");
        let mut ctx = self.ctx(&(), Vec::new());
        let result = self.provider.configure(&mut ctx, config).await;
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

    /// UpgradeResourceState: raw JSON state at `version` to a value of the current schema.
    pub fn upgrade_resource(
        &self,
        type_name: &str,
        version: i64,
        raw_json: &[u8],
    ) -> Result<Value, Diagnostics> {
        let e = self
            .resources
            .get(type_name)
            .ok_or_else(|| unknown_type("resource", type_name))?;
        let current = e.schema.version();
        let value = if version == current {
            json::decode_state(&e.schema.implied_type(), raw_json).map_err(|err| {
                Diagnostics::from(Diagnostic::error(
                    "Unreadable Resource State",
                    format!("The stored state of this {type_name} could not be decoded: {err}."),
                ))
            })?
        } else if version > current {
            return Err(Diagnostic::error(
                "Resource State From A Newer Provider",
                format!(
                    "The state of this {type_name} was written with schema version {version}, but this provider only knows versions up to {current}. Upgrade the provider."
                ),
            )
            .into());
        } else {
            e.item.upgrade_state(version, raw_json)?
        };
        let problems = apply::check_known_object(&e.schema, &value);
        if problems.is_empty() {
            Ok(value)
        } else {
            Err(to_diagnostics(
                "Provider Produced Invalid State",
                &format!("{type_name} upgraded state"),
                problems,
            ))
        }
    }

    /// ReadResource: refresh; a null result means the object is gone.
    pub async fn read_resource(
        &self,
        type_name: &str,
        state: Value,
        private: Vec<u8>,
    ) -> ReadOutcome {
        let fail = |diagnostics: Diagnostics, state: Value, private: Vec<u8>| ReadOutcome {
            new_state: state,
            private,
            diagnostics,
        };
        let e = match self.resources.get(type_name) {
            Some(e) => e,
            None => return fail(unknown_type("resource", type_name), state, private),
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => return fail(d, state, private),
        };
        let mut ctx = self.ctx(data, private);
        let result = e.item.read(&mut ctx, &state).await;
        let (mut diags, private) = ctx.finish();
        match result {
            Ok(None) => ReadOutcome {
                new_state: Value::Null,
                private,
                diagnostics: diags,
            },
            Ok(Some(mut value)) => {
                let problems = apply::check_known_object(&e.schema, &value);
                if !problems.is_empty() {
                    diags.extend(to_diagnostics(
                        "Provider Produced Invalid State",
                        &format!("{type_name} read"),
                        problems,
                    ));
                    nullify_unknowns(&mut value);
                }
                ReadOutcome {
                    new_state: value,
                    private,
                    diagnostics: diags,
                }
            }
            Err(errors) => {
                diags.extend(errors);
                // Keep the state Terraform has: a failed refresh must not drop the resource.
                fail(diags, state, private)
            }
        }
    }

    /// PlanResourceChange: the framework's plan, refined by the resource, then checked.
    pub async fn plan_resource(&self, req: PlanRequest) -> PlanOutcome {
        let PlanRequest {
            type_name,
            prior,
            proposed,
            config,
            prior_private,
        } = req;
        tracing::trace!(resource_type = %type_name, "PlanResourceChange");
        let fail = |diagnostics: Diagnostics, planned_private: Vec<u8>| PlanOutcome {
            planned_private,
            diagnostics,
            ..PlanOutcome::default()
        };
        let Some(e) = self.resources.get(type_name.as_str()) else {
            return fail(unknown_type("resource", &type_name), prior_private);
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => return fail(d, prior_private),
        };
        let mut ctx = self.ctx(data, prior_private);
        if proposed.is_null() {
            // Destroy: the plan is null; the resource may only warn or object.
            let result = e.item.plan_destroy(&mut ctx, &prior);
            let (mut diags, private) = ctx.finish();
            if let Err(errors) = result {
                diags.extend(errors);
            }
            return PlanOutcome {
                planned_private: private,
                diagnostics: diags,
                ..PlanOutcome::default()
            };
        }
        let planned = plan::propose(&e.schema, &prior, &config, proposed);
        let mut draft = Plan {
            prior,
            config,
            planned,
            requires_replace: Vec::new(),
        };
        let result = e.item.plan(&mut ctx, &mut draft).await;
        let (mut diags, private) = ctx.finish();
        if let Err(errors) = result {
            diags.extend(errors);
            return fail(diags, private);
        }
        let problems = plan::check(&e.schema, &draft.prior, &draft.config, &draft.planned);
        if !problems.is_empty() {
            diags.extend(to_diagnostics(
                "Provider Produced Invalid Plan",
                &format!("{type_name} planned"),
                problems,
            ));
            return fail(diags, private);
        }
        let mut requires_replace = plan::replace_paths(&e.schema, &draft.prior, &draft.planned);
        if !draft.prior.is_null() {
            for path in draft.requires_replace {
                if !requires_replace.contains(&path) {
                    requires_replace.push(path);
                }
            }
        }
        PlanOutcome {
            planned: draft.planned,
            requires_replace,
            planned_private: private,
            diagnostics: diags,
        }
    }

    /// ApplyResourceChange: create, update or delete, then the result checks. On failure the
    /// resource's partial state (or the prior state) is returned so Terraform saves the truth.
    pub async fn apply_resource(&self, req: ApplyRequest) -> ApplyOutcome {
        let ApplyRequest {
            type_name,
            prior,
            planned,
            config,
            planned_private,
        } = req;
        tracing::trace!(resource_type = %type_name, "ApplyResourceChange");
        let Some(e) = self.resources.get(type_name.as_str()) else {
            return ApplyOutcome {
                new_state: prior,
                private: planned_private,
                diagnostics: unknown_type("resource", &type_name),
            };
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => {
                return ApplyOutcome {
                    new_state: prior,
                    private: planned_private,
                    diagnostics: d,
                };
            }
        };
        let mut ctx = self.ctx(data, planned_private);
        if planned.is_null() {
            let result = e.item.delete(&mut ctx, &prior).await;
            let (mut diags, private) = ctx.finish();
            return match result {
                Ok(()) => ApplyOutcome {
                    new_state: Value::Null,
                    private,
                    diagnostics: diags,
                },
                Err(err) => {
                    diags.extend(err.diagnostics);
                    let mut state = err.state.unwrap_or(prior);
                    nullify_unknowns(&mut state);
                    ApplyOutcome {
                        new_state: state,
                        private,
                        diagnostics: diags,
                    }
                }
            };
        }
        let change = Change {
            prior: &prior,
            planned: &planned,
            config: &config,
        };
        let result = if prior.is_null() {
            e.item.create(&mut ctx, change).await
        } else {
            e.item.update(&mut ctx, change).await
        };
        let (mut diags, private) = ctx.finish();
        match result {
            Ok(mut state) => {
                let problems = apply::check_result(&e.schema, &planned, &state);
                if !problems.is_empty() {
                    diags.extend(to_diagnostics(
                        "Provider Produced Inconsistent Result",
                        &format!("{type_name} applied"),
                        problems,
                    ));
                    nullify_unknowns(&mut state);
                }
                ApplyOutcome {
                    new_state: state,
                    private,
                    diagnostics: diags,
                }
            }
            Err(err) => {
                diags.extend(err.diagnostics);
                if !diags.has_errors() {
                    diags.error("Apply Failed", format!("The {type_name} change failed without an explanation. This is a bug in the provider."));
                }
                let mut state = err.state.unwrap_or(prior);
                nullify_unknowns(&mut state);
                ApplyOutcome {
                    new_state: state,
                    private,
                    diagnostics: diags,
                }
            }
        }
    }

    /// ImportResourceState.
    pub async fn import_resource(&self, type_name: &str, id: &str) -> ImportOutcome {
        let Some(e) = self.resources.get(type_name) else {
            return ImportOutcome {
                diagnostics: unknown_type("resource", type_name),
                ..ImportOutcome::default()
            };
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => {
                return ImportOutcome {
                    diagnostics: d,
                    ..ImportOutcome::default()
                };
            }
        };
        let mut ctx = self.ctx(data, Vec::new());
        let result = e.item.import(&mut ctx, id).await;
        let (mut diags, private) = ctx.finish();
        match result {
            Ok(value) => {
                let problems = apply::check_known_object(&e.schema, &value);
                if problems.is_empty() {
                    ImportOutcome {
                        state: Some(value),
                        private,
                        diagnostics: diags,
                    }
                } else {
                    diags.extend(to_diagnostics(
                        "Provider Produced Invalid State",
                        &format!("{type_name} import"),
                        problems,
                    ));
                    ImportOutcome {
                        state: None,
                        private,
                        diagnostics: diags,
                    }
                }
            }
            Err(errors) => {
                diags.extend(errors);
                ImportOutcome {
                    state: None,
                    private,
                    diagnostics: diags,
                }
            }
        }
    }

    /// ReadDataSource: a wholly known object that keeps every configured value.
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
                for a in e.schema.root().attributes() {
                    let (c, v) = (config.attr(a.name()), value.attr(a.name()));
                    if !c.is_null() && c.is_wholly_known() && c != v {
                        problems.push((
                            AttributePath::attr(a.name()),
                            "the result changed a configured value".into(),
                        ));
                    }
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

fn unknown_type(kind: &str, type_name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type named {type_name:?}."),
    )
    .into()
}
