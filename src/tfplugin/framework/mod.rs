//! The provider framework: the traits a provider, its resources, data sources and functions
//! implement, and the [`Runtime`] that drives them and enforces Terraform's plan/apply rules
//! (so that no resource can return an inconsistent plan or result).
//!
//! # How a resource is written
//! A resource implements [`Resource`]: a type name, a `Model` (a struct declared with
//! [`crate::model!`], which is also its [`Schema`]: plan behaviour is declared on the fields,
//! `requires_replace()`, `keep_prior_when_unknown()`, `default(..)`, validators), and async
//! `create`/`read`/`update`/`delete` (plus optional `plan`, `import`, `upgrade_state`), all on
//! that model. Every method that may fail returns `Result<_, Diagnostics>` (or [`ApplyError`],
//! which also carries the truthful partial state); warnings go to [`Ctx::warn`]. Provider data
//! (the configured clients) arrive typed through [`Ctx::data`]; cancellation (StopProvider)
//! through [`Ctx::cancellation`]. The framework does the rest:
//! - plan: starts from Terraform's proposed new state, applies defaults, marks computed
//!   attributes without configuration unknown on create and on any update (unless
//!   `keep_prior_when_unknown`; inside a nested attribute, only in objects that are new or
//!   changed), reads the plan into the model and calls [`Resource::plan`] to refine it,
//!   computes `requires_replace` from the declared attributes and nested members, then checks
//!   the result against the configuration and prior state and turns a violation into an error
//!   diagnostic naming the attribute;
//! - apply: dispatches create/update/delete, checks the new state is wholly known and keeps
//!   every value that was known in the plan, and returns partial state on failure;
//! - read/import/upgrade: shape checks, "gone" as `None`, raw JSON state decoding;
//! - registration: every type's model is checked against its schema
//!   ([`Runtime::model_diagnostics`], reported with GetProviderSchema).
//!
//! Terraform 1.12 to 1.14 added three optional families, each its own trait and registry, so a
//! provider without them is unchanged: resource identity ([`ResourceIdentity`], registered with
//! [`resource_with_identity`]), actions ([`Action`], [`Provider::actions`]) and list resources
//! for `terraform query` ([`ListResource`], [`Provider::list_resources`]). Older Terraform
//! releases never call their RPCs.
//!
//! Layout: `resource.rs`, `identity.rs`, `data_source.rs`, `function.rs`, `action.rs`,
//! `list.rs` (the traits), `runtime/` (the operations), `plan/` and `apply.rs` (Terraform's
//! rules), `shape.rs` (shape checks shared by both), `probe.rs` (the values the model check
//! reads).

mod action;
mod apply;
mod data_source;
mod function;
mod identity;
mod list;
mod plan;
mod probe;
mod resource;
mod runtime;
mod shape;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use action::{Action, AnyAction, Progress, action};
pub use data_source::{AnyDataSource, DataSource, data_source};
pub use function::{Function, FunctionError, Parameter, Signature, function};
pub use identity::{IdentityAttribute, IdentitySchema, ResourceIdentity, resource_with_identity};
pub use list::{
    AnyListResource, ListEvent, ListItem, ListRequest, ListResource, ListSink, Listed,
    list_resource,
};
pub use resource::{AnyResource, Resource, resource};
pub use runtime::{
    ActionEvent, ApplyOutcome, ApplyRequest, ImportOutcome, ImportTarget, PlanOutcome, PlanRequest,
    ReadOutcome, Runtime,
};

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::model::Model;
use super::schema::Schema;
use super::value::Value;

/// A boxed, sendable future (the object-safe form of the async trait methods).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The per-call context: provider data, cancellation, warnings and private state.
pub struct Ctx<'a, D> {
    data: &'a D,
    cancel: CancellationToken,
    warnings: Diagnostics,
    private: Vec<u8>,
    /// The identity Terraform sent with the call (null when none).
    identity: Value,
    /// The identity the resource reported, when it did.
    new_identity: Option<Value>,
}

impl<'a, D> Ctx<'a, D> {
    /// A context over `data`. The runtime builds these; tests of resources may too.
    pub fn new(data: &'a D, cancel: CancellationToken, private: Vec<u8>) -> Self {
        Self {
            data,
            cancel,
            warnings: Diagnostics::new(),
            private,
            identity: Value::Null,
            new_identity: None,
        }
    }

    /// The same context, holding the identity Terraform sent with the call.
    #[must_use]
    pub fn with_identity(mut self, identity: Value) -> Self {
        self.identity = identity;
        self
    }

    /// The provider's configured data (e.g. its AWS clients).
    pub fn data(&self) -> &'a D {
        self.data
    }

    /// Cancelled when Terraform calls StopProvider (Ctrl-C): long waits should select on
    /// `ctx.cancellation().cancelled()` and return an error diagnostic.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Adds a warning shown to the user even when the call succeeds.
    pub fn warn(&mut self, diagnostic: Diagnostic) {
        self.warnings.push(Diagnostic {
            severity: super::diagnostics::Severity::Warning,
            ..diagnostic
        });
    }

    /// The resource's private bytes as Terraform stored them (prior/planned private).
    pub fn private(&self) -> &[u8] {
        &self.private
    }

    /// Replaces the private bytes Terraform stores with the result (they are round-tripped
    /// unchanged unless set).
    pub fn set_private(&mut self, bytes: Vec<u8>) {
        self.private = bytes;
    }

    /// The identity Terraform holds for the object, read into the type's identity model `I`
    /// (see [`ResourceIdentity`]): the current identity in `read`, the prior one in `plan`,
    /// the planned one in `create`/`update`, the one asked for when importing by identity.
    /// `None` when Terraform sent none (a Terraform before 1.12, a state written before the
    /// type had an identity, a create) or it does not read into `I`.
    pub fn identity<I: Model>(&self) -> Option<I> {
        if self.identity.is_null() {
            return None;
        }
        match I::from_value(&self.identity) {
            Ok(identity) => Some(identity),
            Err(e) => {
                tracing::warn!(error = %e, "the identity Terraform sent does not read into the identity model");
                None
            }
        }
    }

    /// Reports the identity of the object this call read, planned, applied or imported.
    /// Without it, the framework answers with the identity Terraform sent.
    pub fn set_identity<I: Model>(&mut self, identity: &I) {
        self.new_identity = Some(identity.to_value());
    }

    /// The identity to answer with: the one reported, else the one Terraform sent.
    pub(crate) fn answer_identity(&mut self) -> Value {
        self.new_identity
            .take()
            .unwrap_or_else(|| std::mem::take(&mut self.identity))
    }

    pub(crate) fn finish(self) -> (Diagnostics, Vec<u8>) {
        (self.warnings, self.private)
    }
}

/// Values of one change, as ApplyResourceChange delivers them, read into the resource's model.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a, M = Value> {
    /// The state before (`None` on create).
    pub prior: Option<&'a M>,
    /// The planned state (may contain unknowns for values only apply can know).
    pub planned: &'a M,
    /// The configuration.
    pub config: &'a M,
}

/// The plan a resource may refine in [`Resource::plan`], in the resource's model.
#[derive(Debug, Clone)]
pub struct Plan<M = Value> {
    pub(crate) prior: Option<M>,
    pub(crate) config: M,
    pub(crate) planned: M,
    pub(crate) requires_replace: Vec<AttributePath>,
}

impl<M> Plan<M> {
    /// True on create (no prior state).
    pub fn is_create(&self) -> bool {
        self.prior.is_none()
    }

    /// The prior state (`None` on create).
    pub fn prior(&self) -> Option<&M> {
        self.prior.as_ref()
    }

    /// The configuration (may contain unknowns).
    pub fn config(&self) -> &M {
        &self.config
    }

    /// The planned state so far (defaults applied, computed values unknown where unset).
    pub fn planned(&self) -> &M {
        &self.planned
    }

    /// The planned state, to set values known at plan time. The framework checks afterwards
    /// that configured values were not changed.
    pub fn planned_mut(&mut self) -> &mut M {
        &mut self.planned
    }

    /// Forces replacement when `path` differs between prior and planned state (beyond the
    /// attributes declared with `requires_replace()`).
    pub fn require_replace(&mut self, path: AttributePath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }
}

impl Plan<Value> {
    /// This plan in model `M` (the values of `type_name`, for error messages).
    fn typed<M: Model>(&self, type_name: &str) -> Result<Plan<M>, Diagnostics> {
        let prior = match &self.prior {
            None => None,
            Some(v) => Some(M::decode(v, &format!("the prior state of {type_name}"))?),
        };
        Ok(Plan {
            prior,
            config: M::decode(&self.config, &format!("the configuration of {type_name}"))?,
            planned: M::decode(&self.planned, &format!("the planned state of {type_name}"))?,
            requires_replace: self.requires_replace.clone(),
        })
    }
}

/// A failed apply: the diagnostics, and the state that is true now (Terraform saves it). When
/// `state` is `None` the framework reports the prior state (null on create).
#[derive(Debug, Clone)]
pub struct ApplyError<M = Value> {
    /// What went wrong (at least one error).
    pub diagnostics: Diagnostics,
    /// The real state after the partial change, if it differs from the prior state.
    pub state: Option<M>,
}

impl<M> ApplyError<M> {
    /// Attaches the truthful partial state.
    #[must_use]
    pub fn with_state(mut self, state: M) -> Self {
        self.state = Some(state);
        self
    }
}

impl<M> From<Diagnostics> for ApplyError<M> {
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            diagnostics,
            state: None,
        }
    }
}

impl<M> From<Diagnostic> for ApplyError<M> {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics::from(diagnostic).into()
    }
}

/// The provider: its configuration block, how configuration becomes [`Provider::Data`], and
/// what it offers.
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every resource call receives through [`Ctx::data`].
    type Data: Send + Sync + 'static;

    /// The provider block's configuration.
    type Model: Model;

    /// The provider type name (`tagdeploy`).
    fn type_name(&self) -> &'static str;

    /// The provider block schema.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators.
    fn validate(&self, config: &Self::Model) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Builds the provider data from the configuration. The configuration may contain unknown
    /// values (during plan); configure with what is known and let resources that need an
    /// unknown setting report it.
    fn configure(
        &self,
        ctx: &mut Ctx<'_, ()>,
        config: Self::Model,
    ) -> impl Future<Output = Result<Self::Data, Diagnostics>> + Send;

    /// The managed resource types, one line each: `vec![resource(ProdTag::default())]`.
    fn resources(&self) -> Vec<Arc<dyn AnyResource<Self::Data>>>;

    /// The data source types.
    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<Self::Data>>>;

    /// The provider-defined functions.
    fn functions(&self) -> Vec<Arc<dyn Function>>;

    /// The action types (Terraform 1.14+): `vec![action(Redeploy)]`.
    fn actions(&self) -> Vec<Arc<dyn AnyAction<Self::Data>>> {
        Vec::new()
    }

    /// The list resource types for `terraform query` (Terraform 1.14+):
    /// `vec![list_resource(ProdTagList)]`.
    fn list_resources(&self) -> Vec<Arc<dyn AnyListResource<Self::Data>>> {
        Vec::new()
    }
}
