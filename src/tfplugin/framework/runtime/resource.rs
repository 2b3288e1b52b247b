//! The resource operations of the [`Runtime`]: upgrade, read, plan, apply and import, each
//! with Terraform's rules applied around the resource's own call, and the identity that travels
//! with each of them (see `identity.rs` for its rules).

use super::identity::{Known, settle_identity};
use super::{Runtime, unknown_type};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::shape::{nullify_unknowns, to_diagnostics};
use crate::tfplugin::framework::{Change, Plan, Provider, apply, plan};
use crate::tfplugin::value::{Value, json};

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
    /// The prior identity (null when Terraform holds none).
    pub prior_identity: Value,
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
    /// The planned identity (null for a type without identity, a destroy, or on error).
    pub planned_identity: Value,
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
    /// The planned identity (null when none).
    pub planned_identity: Value,
}

/// The answer to an [`ApplyRequest`]: always a truthful state, even on error.
#[derive(Debug, Clone, Default)]
pub struct ApplyOutcome {
    /// The state now (null after delete or a failed create).
    pub new_state: Value,
    /// Private bytes to store.
    pub private: Vec<u8>,
    /// The identity now (null after delete, or for a type without identity).
    pub new_identity: Value,
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
    /// The object's identity (null when gone, or for a type without identity).
    pub new_identity: Value,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// What an ImportResourceState call names: an import ID, or an identity (Terraform 1.12+,
/// `import { identity = { … } }`).
#[derive(Debug, Clone, PartialEq)]
pub enum ImportTarget {
    /// `import { id = "…" }` or `terraform import ADDR ID`.
    Id(String),
    /// `import { identity = { … } }`: an object of the type's identity schema.
    Identity(Value),
}

/// The answer to an ImportResourceState call.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    /// The imported state, when import succeeded.
    pub state: Option<Value>,
    /// Private bytes to store.
    pub private: Vec<u8>,
    /// The imported object's identity (null when unknown yet: `read` reports it).
    pub identity: Value,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Runtime<P> {
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

    /// ReadResource: refresh; a null result means the object is gone. `identity` is the one
    /// Terraform holds (null when none).
    pub async fn read_resource(
        &self,
        type_name: &str,
        state: Value,
        private: Vec<u8>,
        identity: Value,
    ) -> ReadOutcome {
        let fail = |diagnostics: Diagnostics, state: Value, private: Vec<u8>, identity: Value| {
            ReadOutcome {
                new_state: state,
                private,
                new_identity: identity,
                diagnostics,
            }
        };
        let e = match self.resources.get(type_name) {
            Some(e) => e,
            None => {
                return fail(
                    unknown_type("resource", type_name),
                    state,
                    private,
                    identity,
                );
            }
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => return fail(d, state, private, identity),
        };
        let mut ctx = self.ctx(data, private).with_identity(identity.clone());
        let result = e.item.read(&mut ctx, &state).await;
        let answered = ctx.answer_identity();
        let (mut diags, private) = ctx.finish();
        let schema = self.identities.get(type_name);
        match result {
            Ok(None) => ReadOutcome {
                new_state: Value::Null,
                private,
                new_identity: Value::Null,
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
                let new_identity = settle_identity(
                    schema,
                    answered,
                    Known::Wholly,
                    &format!("{type_name} read"),
                    &mut diags,
                );
                ReadOutcome {
                    new_state: value,
                    private,
                    new_identity,
                    diagnostics: diags,
                }
            }
            Err(errors) => {
                diags.extend(errors);
                // Keep the state Terraform has: a failed refresh must not drop the resource.
                let kept = if schema.is_some() {
                    identity
                } else {
                    Value::Null
                };
                fail(diags, state, private, kept)
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
            prior_identity,
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
        let mut ctx = self.ctx(data, prior_private).with_identity(prior_identity);
        if proposed.is_null() {
            // Destroy: the plan is null; the resource may only warn or object. The planned
            // identity stays null (Terraform drops it with the object).
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
            prior: (!prior.is_null()).then_some(prior),
            config,
            planned,
            requires_replace: Vec::new(),
        };
        let result = e.item.plan(&mut ctx, &mut draft).await;
        let answered = ctx.answer_identity();
        let (mut diags, private) = ctx.finish();
        if let Err(errors) = result {
            diags.extend(errors);
            return fail(diags, private);
        }
        let prior = draft.prior.unwrap_or_default();
        let problems = plan::check(&e.schema, &prior, &draft.config, &draft.planned);
        if !problems.is_empty() {
            diags.extend(to_diagnostics(
                "Provider Produced Invalid Plan",
                &format!("{type_name} planned"),
                problems,
            ));
            return fail(diags, private);
        }
        let mut requires_replace = plan::replace_paths(&e.schema, &prior, &draft.planned);
        if !prior.is_null() {
            for path in draft.requires_replace {
                if !requires_replace.contains(&path) {
                    requires_replace.push(path);
                }
            }
        }
        // Terraform lets a create or a replacement plan an identity it knows only after
        // apply; an update in place keeps a known one.
        let known = if prior.is_null() || !requires_replace.is_empty() {
            Known::Partly
        } else {
            Known::Wholly
        };
        let planned_identity = settle_identity(
            self.identities.get(type_name.as_str()),
            answered,
            known,
            &format!("{type_name} planned"),
            &mut diags,
        );
        if diags.has_errors() {
            return fail(diags, private);
        }
        PlanOutcome {
            planned: draft.planned,
            requires_replace,
            planned_private: private,
            planned_identity,
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
            planned_identity,
        } = req;
        tracing::trace!(resource_type = %type_name, "ApplyResourceChange");
        let Some(e) = self.resources.get(type_name.as_str()) else {
            return ApplyOutcome {
                new_state: prior,
                private: planned_private,
                new_identity: Value::Null,
                diagnostics: unknown_type("resource", &type_name),
            };
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => {
                return ApplyOutcome {
                    new_state: prior,
                    private: planned_private,
                    new_identity: Value::Null,
                    diagnostics: d,
                };
            }
        };
        let identity_schema = self.identities.get(type_name.as_str());
        let mut ctx = self
            .ctx(data, planned_private)
            .with_identity(planned_identity);
        if planned.is_null() {
            let result = e.item.delete(&mut ctx, &prior).await;
            let answered = ctx.answer_identity();
            let (mut diags, private) = ctx.finish();
            return match result {
                Ok(()) => ApplyOutcome {
                    new_state: Value::Null,
                    private,
                    new_identity: Value::Null,
                    diagnostics: diags,
                },
                Err(err) => {
                    diags.extend(err.diagnostics);
                    let mut state = err.state.unwrap_or(prior);
                    nullify_unknowns(&mut state);
                    ApplyOutcome {
                        new_state: state,
                        private,
                        new_identity: settle_identity(
                            identity_schema,
                            answered,
                            Known::WhollyOrDropped,
                            "",
                            &mut diags,
                        ),
                        diagnostics: diags,
                    }
                }
            };
        }
        let change = Change {
            prior: (!prior.is_null()).then_some(&prior),
            planned: &planned,
            config: &config,
        };
        let result = if prior.is_null() {
            e.item.create(&mut ctx, change).await
        } else {
            e.item.update(&mut ctx, change).await
        };
        let answered = ctx.answer_identity();
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
                let new_identity = settle_identity(
                    identity_schema,
                    answered,
                    Known::Wholly,
                    &format!("{type_name} applied"),
                    &mut diags,
                );
                ApplyOutcome {
                    new_state: state,
                    private,
                    new_identity,
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
                // The apply already failed: an identity not yet known is left out rather than
                // reported as a second error.
                let new_identity = if state.is_null() {
                    Value::Null
                } else {
                    settle_identity(
                        identity_schema,
                        answered,
                        Known::WhollyOrDropped,
                        "",
                        &mut diags,
                    )
                };
                ApplyOutcome {
                    new_state: state,
                    private,
                    new_identity,
                    diagnostics: diags,
                }
            }
        }
    }

    /// ImportResourceState, by ID or by identity. Importing by identity must answer with an
    /// identity (Terraform refuses the import otherwise): the resource's, else the one asked
    /// for.
    pub async fn import_resource(&self, type_name: &str, target: ImportTarget) -> ImportOutcome {
        let refuse = |diagnostics: Diagnostics| ImportOutcome {
            diagnostics,
            ..ImportOutcome::default()
        };
        let Some(e) = self.resources.get(type_name) else {
            return refuse(unknown_type("resource", type_name));
        };
        let identity_schema = self.identities.get(type_name);
        if matches!(target, ImportTarget::Identity(_))
            && let Err(d) = self.identity_schema(type_name)
        {
            return refuse(d);
        }
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => return refuse(d),
        };
        let (result, answered, diags, private) = match &target {
            ImportTarget::Id(id) => {
                let mut ctx = self.ctx(data, Vec::new());
                let result = e.item.import(&mut ctx, id).await;
                let answered = ctx.answer_identity();
                let (diags, private) = ctx.finish();
                (result, answered, diags, private)
            }
            ImportTarget::Identity(identity) => {
                let mut ctx = self.ctx(data, Vec::new()).with_identity(identity.clone());
                let result = e.item.import_identity(&mut ctx, identity).await;
                let answered = ctx.answer_identity();
                let (diags, private) = ctx.finish();
                (result, answered, diags, private)
            }
        };
        let mut diags = diags;
        let value = match result {
            Ok(value) => value,
            Err(errors) => {
                diags.extend(errors);
                return ImportOutcome {
                    private,
                    diagnostics: diags,
                    ..ImportOutcome::default()
                };
            }
        };
        let problems = apply::check_known_object(&e.schema, &value);
        if !problems.is_empty() {
            diags.extend(to_diagnostics(
                "Provider Produced Invalid State",
                &format!("{type_name} import"),
                problems,
            ));
            return ImportOutcome {
                private,
                diagnostics: diags,
                ..ImportOutcome::default()
            };
        }
        let identity = settle_identity(
            identity_schema,
            answered,
            Known::Wholly,
            &format!("{type_name} import"),
            &mut diags,
        );
        ImportOutcome {
            state: (!diags.has_errors()).then_some(value),
            private,
            identity,
            diagnostics: diags,
        }
    }
}
