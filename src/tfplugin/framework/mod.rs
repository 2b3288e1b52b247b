//! The provider framework: the traits a provider, its resources, data sources and functions
//! implement, and the [`Runtime`] that drives them and enforces Terraform's plan/apply rules
//! (so that no resource can return an inconsistent plan or result).
//!
//! # How a resource is written
//! A resource implements [`Resource`]: a type name, a [`Schema`] in which plan behaviour is
//! declared (`requires_replace()`, `keep_prior_when_unknown()`, `default(..)`, validators), and
//! async `create`/`read`/`update`/`delete` (plus optional `plan`, `import`, `upgrade_state`).
//! Every method that may fail returns `Result<_, Diagnostics>` (or [`ApplyError`], which also
//! carries the truthful partial state); warnings go to [`Ctx::warn`]. Provider data (the
//! configured clients) arrive typed through [`Ctx::data`]; cancellation (StopProvider) through
//! [`Ctx::cancellation`]. The framework does the rest:
//! - plan: starts from Terraform's proposed new state, applies defaults, marks computed
//!   attributes without configuration unknown on create and on any update (unless
//!   `keep_prior_when_unknown`), calls [`Resource::plan`] to refine, computes `requires_replace`
//!   from the declared attributes, then checks the result against the configuration and prior
//!   state and turns a violation into an error diagnostic naming the attribute;
//! - apply: dispatches create/update/delete, checks the new state is wholly known and keeps
//!   every value that was known in the plan, and returns partial state on failure;
//! - read/import/upgrade: shape checks, "gone" as `None`, raw JSON state decoding.

mod apply;
mod plan;
mod runtime;
mod shape;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use runtime::{
    ApplyOutcome, ApplyRequest, ImportOutcome, PlanOutcome, PlanRequest, ReadOutcome, Runtime,
};

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::schema::Schema;
use super::value::{Type, Value};

/// A boxed, sendable future (the object-safe form of the async trait methods).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The per-call context: provider data, cancellation, warnings and private state.
pub struct Ctx<'a, D> {
    data: &'a D,
    cancel: CancellationToken,
    warnings: Diagnostics,
    private: Vec<u8>,
}

impl<'a, D> Ctx<'a, D> {
    /// A context over `data`. The runtime builds these; tests of resources may too.
    pub fn new(data: &'a D, cancel: CancellationToken, private: Vec<u8>) -> Self {
        Self {
            data,
            cancel,
            warnings: Diagnostics::new(),
            private,
        }
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

    pub(crate) fn finish(self) -> (Diagnostics, Vec<u8>) {
        (self.warnings, self.private)
    }
}

/// Values of one change, as ApplyResourceChange delivers them.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The state before (null on create).
    pub prior: &'a Value,
    /// The planned state (may contain unknowns for values only apply can know).
    pub planned: &'a Value,
    /// The configuration.
    pub config: &'a Value,
}

/// The plan a resource may refine in [`Resource::plan`].
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) prior: Value,
    pub(crate) config: Value,
    pub(crate) planned: Value,
    pub(crate) requires_replace: Vec<AttributePath>,
}

impl Plan {
    /// True on create (no prior state).
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }

    /// The prior state (null on create).
    pub fn prior(&self) -> &Value {
        &self.prior
    }

    /// The configuration (may contain unknowns).
    pub fn config(&self) -> &Value {
        &self.config
    }

    /// The planned state so far (defaults applied, computed values unknown where unset).
    pub fn planned(&self) -> &Value {
        &self.planned
    }

    /// Sets a top-level attribute of the planned state (e.g. a computed value known at plan
    /// time). The framework checks afterwards that configured values were not changed.
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Map(fields) = &mut self.planned {
            fields.insert(name.to_owned(), value);
        }
    }

    /// The planned state, for changes below the top level.
    pub fn planned_mut(&mut self) -> &mut Value {
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

/// A failed apply: the diagnostics, and the state that is true now (Terraform saves it). When
/// `state` is `None` the framework reports the prior state (null on create).
#[derive(Debug, Clone)]
pub struct ApplyError {
    /// What went wrong (at least one error).
    pub diagnostics: Diagnostics,
    /// The real state after the partial change, if it differs from the prior state.
    pub state: Option<Value>,
}

impl ApplyError {
    /// Attaches the truthful partial state.
    #[must_use]
    pub fn with_state(mut self, state: Value) -> Self {
        self.state = Some(state);
        self
    }
}

impl From<Diagnostics> for ApplyError {
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            diagnostics,
            state: None,
        }
    }
}

impl From<Diagnostic> for ApplyError {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics::from(diagnostic).into()
    }
}

/// A managed resource type. Implement this; the framework erases it into [`AnyResource`].
pub trait Resource: Send + Sync + 'static {
    /// The provider's configured data (see [`Provider::Data`]).
    type Data: Send + Sync + 'static;

    /// The full type name, e.g. `tagdeploy_prod_tag`.
    fn type_name(&self) -> &'static str;

    /// The schema, with plan behaviour declared on its attributes.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators (the configuration may hold
    /// unknown values). Returns every finding.
    fn validate(&self, config: &Value) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Refines the framework's plan for a create or update: fill computed values known at plan
    /// time, add replacement paths, fail early on bad input.
    fn plan(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        plan: &mut Plan,
    ) -> impl Future<Output = Result<(), Diagnostics>> + Send {
        let _ = (ctx, plan);
        async { Ok(()) }
    }

    /// Called for a destroy plan (the plan itself is always null): a place to warn.
    fn plan_destroy(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        prior: &Value,
    ) -> Result<(), Diagnostics> {
        let _ = (ctx, prior);
        Ok(())
    }

    /// Creates the remote object; returns the new state (wholly known, every planned known
    /// value unchanged).
    fn create(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        change: Change<'_>,
    ) -> impl Future<Output = Result<Value, ApplyError>> + Send;

    /// Refreshes `state` from the remote object; `None` when it no longer exists.
    fn read(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        state: &Value,
    ) -> impl Future<Output = Result<Option<Value>, Diagnostics>> + Send;

    /// Updates the remote object in place.
    fn update(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        change: Change<'_>,
    ) -> impl Future<Output = Result<Value, ApplyError>> + Send;

    /// Deletes the remote object (the new state is null).
    fn delete(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        prior: &Value,
    ) -> impl Future<Output = Result<(), ApplyError>> + Send;

    /// Builds a state from an import id (Terraform then calls `read`). Start from
    /// `self.schema().null_object()` so every attribute is present.
    fn import(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        id: &str,
    ) -> impl Future<Output = Result<Value, Diagnostics>> + Send {
        let _ = (ctx, id);
        let name = self.type_name();
        async move {
            Err(Diagnostic::error(
                "Import Not Supported",
                format!("The resource type {name} cannot be imported."),
            )
            .into())
        }
    }

    /// Converts raw JSON state written with an older schema `version` to the current schema.
    /// Only called when `version` is below the schema version.
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let _ = raw_json;
        Err(Diagnostic::error(
            "Unsupported State Version",
            format!(
                "State of {} was written with schema version {version}, which this provider cannot upgrade.",
                self.type_name()
            ),
        )
        .into())
    }
}

/// The object-safe form of [`Resource`], implemented for every resource. Not implemented by
/// hand: register resources with [`resource`].
pub trait AnyResource<D>: Send + Sync {
    /// See [`Resource::type_name`].
    fn type_name(&self) -> &'static str;
    /// See [`Resource::schema`].
    fn schema(&self) -> Schema;
    /// See [`Resource::validate`].
    fn validate(&self, config: &Value) -> Diagnostics;
    /// See [`Resource::plan`].
    fn plan<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        plan: &'a mut Plan,
    ) -> BoxFuture<'a, Result<(), Diagnostics>>;
    /// See [`Resource::plan_destroy`].
    fn plan_destroy(&self, ctx: &mut Ctx<'_, D>, prior: &Value) -> Result<(), Diagnostics>;
    /// See [`Resource::create`].
    fn create<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>>;
    /// See [`Resource::read`].
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        state: &'a Value,
    ) -> BoxFuture<'a, Result<Option<Value>, Diagnostics>>;
    /// See [`Resource::update`].
    fn update<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>>;
    /// See [`Resource::delete`].
    fn delete<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        prior: &'a Value,
    ) -> BoxFuture<'a, Result<(), ApplyError>>;
    /// See [`Resource::import`].
    fn import<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>>;
    /// See [`Resource::upgrade_state`].
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics>;
}

impl<R: Resource> AnyResource<R::Data> for R {
    fn type_name(&self) -> &'static str {
        Resource::type_name(self)
    }
    fn schema(&self) -> Schema {
        Resource::schema(self)
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        Resource::validate(self, config)
    }
    fn plan<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        plan: &'a mut Plan,
    ) -> BoxFuture<'a, Result<(), Diagnostics>> {
        Box::pin(Resource::plan(self, ctx, plan))
    }
    fn plan_destroy(&self, ctx: &mut Ctx<'_, R::Data>, prior: &Value) -> Result<(), Diagnostics> {
        Resource::plan_destroy(self, ctx, prior)
    }
    fn create<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>> {
        Box::pin(Resource::create(self, ctx, change))
    }
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        state: &'a Value,
    ) -> BoxFuture<'a, Result<Option<Value>, Diagnostics>> {
        Box::pin(Resource::read(self, ctx, state))
    }
    fn update<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>> {
        Box::pin(Resource::update(self, ctx, change))
    }
    fn delete<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        prior: &'a Value,
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(Resource::delete(self, ctx, prior))
    }
    fn import<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>> {
        Box::pin(Resource::import(self, ctx, id))
    }
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        Resource::upgrade_state(self, version, raw_json)
    }
}

/// Registers a resource: `vec![resource(ProdTag::default())]`.
pub fn resource<R: Resource>(r: R) -> Arc<dyn AnyResource<R::Data>> {
    Arc::new(r)
}

/// A data source type. Implement this; the framework erases it into [`AnyDataSource`].
pub trait DataSource: Send + Sync + 'static {
    /// The provider's configured data.
    type Data: Send + Sync + 'static;

    /// The full type name, e.g. `tagdeploy_image`.
    fn type_name(&self) -> &'static str;

    /// The schema: arguments are required/optional, results computed.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators.
    fn validate(&self, config: &Value) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Reads the data; returns an object with every attribute, configured values unchanged and
    /// no unknowns.
    fn read(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        config: &Value,
    ) -> impl Future<Output = Result<Value, Diagnostics>> + Send;
}

/// The object-safe form of [`DataSource`]; register with [`data_source`].
pub trait AnyDataSource<D>: Send + Sync {
    /// See [`DataSource::type_name`].
    fn type_name(&self) -> &'static str;
    /// See [`DataSource::schema`].
    fn schema(&self) -> Schema;
    /// See [`DataSource::validate`].
    fn validate(&self, config: &Value) -> Diagnostics;
    /// See [`DataSource::read`].
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        config: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>>;
}

impl<S: DataSource> AnyDataSource<S::Data> for S {
    fn type_name(&self) -> &'static str {
        DataSource::type_name(self)
    }
    fn schema(&self) -> Schema {
        DataSource::schema(self)
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        DataSource::validate(self, config)
    }
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, S::Data>,
        config: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>> {
        Box::pin(DataSource::read(self, ctx, config))
    }
}

/// Registers a data source: `vec![data_source(Image)]`.
pub fn data_source<S: DataSource>(s: S) -> Arc<dyn AnyDataSource<S::Data>> {
    Arc::new(s)
}

/// One parameter of a provider-defined function.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Display name (a valid identifier).
    pub name: String,
    /// Accepted type.
    pub ty: Type,
    /// Pass null through instead of letting Terraform reject it.
    pub allow_null: bool,
    /// Pass unknown values through instead of Terraform short-circuiting to unknown.
    pub allow_unknown: bool,
    /// Markdown documentation.
    pub description: String,
}

impl Parameter {
    /// A parameter that rejects null and unknown arguments (Terraform enforces both).
    pub fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ty,
            allow_null: false,
            allow_unknown: false,
            description: description.into(),
        }
    }
}

/// A function's signature and documentation.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Positional parameters.
    pub parameters: Vec<Parameter>,
    /// A final parameter taking any number of arguments.
    pub variadic: Option<Parameter>,
    /// The result type.
    pub returns: Type,
    /// One line.
    pub summary: String,
    /// Markdown documentation.
    pub description: String,
}

/// A function call failure: the text Terraform shows, and the argument at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct FunctionError {
    /// What is wrong, as a sentence.
    pub text: String,
    /// Zero-based index of the argument at fault.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error about argument `index`.
    pub fn argument(index: usize, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            argument: Some(index),
        }
    }
}

/// A provider-defined function (`provider::tagdeploy::NAME(...)`). Called on an unconfigured
/// provider: it gets no provider data.
pub trait Function: Send + Sync + 'static {
    /// The function name, e.g. `parse_image_uri`.
    fn name(&self) -> &'static str;
    /// Parameters, result type and documentation.
    fn signature(&self) -> Signature;
    /// Computes the result from the decoded arguments (one per parameter, variadic ones last).
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

/// Registers a function: `vec![function(ParseImageUri)]`.
pub fn function<F: Function>(f: F) -> Arc<dyn Function> {
    Arc::new(f)
}

/// The provider: its configuration block, how configuration becomes [`Provider::Data`], and
/// what it offers.
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every resource call receives through [`Ctx::data`].
    type Data: Send + Sync + 'static;

    /// The provider type name (`tagdeploy`).
    fn type_name(&self) -> &'static str;

    /// The provider block schema.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators.
    fn validate(&self, config: &Value) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Builds the provider data from the configuration. The configuration may contain unknown
    /// values (during plan); configure with what is known and let resources that need an
    /// unknown setting report it.
    fn configure(
        &self,
        ctx: &mut Ctx<'_, ()>,
        config: &Value,
    ) -> impl Future<Output = Result<Self::Data, Diagnostics>> + Send;

    /// The managed resource types, one line each: `vec![resource(ProdTag::default())]`.
    fn resources(&self) -> Vec<Arc<dyn AnyResource<Self::Data>>>;

    /// The data source types.
    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<Self::Data>>>;

    /// The provider-defined functions.
    fn functions(&self) -> Vec<Arc<dyn Function>>;
}
