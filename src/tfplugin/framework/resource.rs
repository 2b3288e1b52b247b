//! [`Resource`]: what a managed resource type implements, in its own [`Model`]; and
//! [`AnyResource`], its object-safe form on untyped values, into which the framework erases it
//! (reading every value into the model on the way in and writing it back on the way out).

use std::future::Future;
use std::sync::Arc;

use super::{ApplyError, BoxFuture, Change, Ctx, IdentitySchema, Plan};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::model::Model;
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

/// A managed resource type. Implement this; the framework erases it into [`AnyResource`].
///
/// Every value reaches the resource read into its [`Model`] (a struct declared with
/// [`crate::model!`]) and leaves it written from one; the framework converts at the boundary
/// and applies Terraform's rules to the values.
pub trait Resource: Send + Sync + 'static {
    /// The provider's configured data (see [`Provider::Data`]).
    type Data: Send + Sync + 'static;

    /// The configuration, plan and state of this type.
    type Model: Model;

    /// The full type name, e.g. `tagdeploy_prod_tag`.
    fn type_name(&self) -> &'static str;

    /// The schema, with plan behaviour declared on its attributes (usually the model's:
    /// `Model::schema(version).description(..)`).
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators (the configuration may hold
    /// unknown values). Returns every finding.
    fn validate(&self, config: &Self::Model) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Refines the framework's plan for a create or update: fill computed values known at plan
    /// time, add replacement paths, fail early on bad input.
    fn plan(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        plan: &mut Plan<Self::Model>,
    ) -> impl Future<Output = Result<(), Diagnostics>> + Send {
        let _ = (ctx, plan);
        async { Ok(()) }
    }

    /// Called for a destroy plan (the plan itself is always null): a place to warn.
    fn plan_destroy(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        prior: &Self::Model,
    ) -> Result<(), Diagnostics> {
        let _ = (ctx, prior);
        Ok(())
    }

    /// Creates the remote object; returns the new state (wholly known, every planned known
    /// value unchanged).
    fn create(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        change: Change<'_, Self::Model>,
    ) -> impl Future<Output = Result<Self::Model, ApplyError<Self::Model>>> + Send;

    /// Refreshes `state` from the remote object; `None` when it no longer exists.
    fn read(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        state: Self::Model,
    ) -> impl Future<Output = Result<Option<Self::Model>, Diagnostics>> + Send;

    /// Updates the remote object in place.
    fn update(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        change: Change<'_, Self::Model>,
    ) -> impl Future<Output = Result<Self::Model, ApplyError<Self::Model>>> + Send;

    /// Deletes the remote object (the new state is null).
    fn delete(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        prior: &Self::Model,
    ) -> impl Future<Output = Result<(), ApplyError<Self::Model>>> + Send;

    /// Builds a state from an import id (Terraform then calls `read`); every attribute the id
    /// does not determine stays null.
    fn import(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        id: &str,
    ) -> impl Future<Output = Result<Self::Model, Diagnostics>> + Send {
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

    /// Converts raw JSON state written with an older schema `version` to the current model.
    /// Only called when `version` is below the schema version.
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Self::Model, Diagnostics> {
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

/// The object-safe form of [`Resource`] on untyped values, implemented for every resource. Not
/// implemented by hand: register resources with [`resource`].
pub trait AnyResource<D>: Send + Sync {
    /// See [`Resource::type_name`].
    fn type_name(&self) -> &'static str;
    /// See [`Resource::schema`].
    fn schema(&self) -> Schema;
    /// Reads `value` into the model and writes it back (the registry-wide model check).
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics>;
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

    /// The identity schema, for a type registered with [`super::resource_with_identity`].
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }
    /// Reads an identity into the identity model and writes it back (the model check).
    fn identity_round_trip(&self, value: &Value) -> Result<Value, Diagnostics> {
        Ok(value.clone())
    }
    /// See [`super::ResourceIdentity::import_identity`].
    fn import_identity<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        identity: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>> {
        let _ = (ctx, identity);
        let name = self.type_name();
        Box::pin(async move {
            Err(Diagnostic::error(
                "Import By Identity Not Supported",
                format!("The resource type {name} has no identity: import it with `id = \"...\"`."),
            )
            .into())
        })
    }
    /// See [`super::ResourceIdentity::upgrade_identity`].
    fn upgrade_identity(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let _ = (version, raw_json);
        Err(Diagnostic::error(
            "Resource Has No Identity",
            format!(
                "The resource type {} has no identity to upgrade.",
                self.type_name()
            ),
        )
        .into())
    }
}

/// Reads the values of one change into `M`.
fn typed_change<M: Model>(
    change: &Change<'_>,
    type_name: &str,
) -> Result<(Option<M>, M, M), Diagnostics> {
    let prior = match change.prior {
        Some(v) if !v.is_null() => Some(M::decode(v, &format!("the prior state of {type_name}"))?),
        _ => None,
    };
    let planned = M::decode(change.planned, &format!("the planned state of {type_name}"))?;
    let config = M::decode(change.config, &format!("the configuration of {type_name}"))?;
    Ok((prior, planned, config))
}

/// An apply result in `M`, as untyped values.
fn untyped_result<M: Model>(result: Result<M, ApplyError<M>>) -> Result<Value, ApplyError> {
    result
        .map(|state| state.to_value())
        .map_err(|e| ApplyError {
            diagnostics: e.diagnostics,
            state: e.state.map(|s| s.to_value()),
        })
}

impl<R: Resource> AnyResource<R::Data> for R {
    fn type_name(&self) -> &'static str {
        Resource::type_name(self)
    }
    fn schema(&self) -> Schema {
        Resource::schema(self)
    }
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics> {
        R::Model::decode(value, &format!("a value of {}", Resource::type_name(self)))
            .map(|m| m.to_value())
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        let name = Resource::type_name(self);
        match R::Model::decode(config, &format!("the configuration of {name}")) {
            Ok(config) => Resource::validate(self, &config),
            Err(diags) => diags,
        }
    }
    fn plan<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        plan: &'a mut Plan,
    ) -> BoxFuture<'a, Result<(), Diagnostics>> {
        Box::pin(async move {
            let mut typed = plan.typed::<R::Model>(Resource::type_name(self))?;
            Resource::plan(self, ctx, &mut typed).await?;
            plan.planned = typed.planned.to_value();
            plan.requires_replace = typed.requires_replace;
            Ok(())
        })
    }
    fn plan_destroy(&self, ctx: &mut Ctx<'_, R::Data>, prior: &Value) -> Result<(), Diagnostics> {
        let name = Resource::type_name(self);
        let prior = R::Model::decode(prior, &format!("the prior state of {name}"))?;
        Resource::plan_destroy(self, ctx, &prior)
    }
    fn create<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>> {
        Box::pin(async move {
            let (prior, planned, config) =
                typed_change::<R::Model>(&change, Resource::type_name(self))?;
            let change = Change {
                prior: prior.as_ref(),
                planned: &planned,
                config: &config,
            };
            untyped_result(Resource::create(self, ctx, change).await)
        })
    }
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        state: &'a Value,
    ) -> BoxFuture<'a, Result<Option<Value>, Diagnostics>> {
        Box::pin(async move {
            let name = Resource::type_name(self);
            let state = R::Model::decode(state, &format!("the state of {name}"))?;
            let next = Resource::read(self, ctx, state).await?;
            Ok(next.map(|m| m.to_value()))
        })
    }
    fn update<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>> {
        Box::pin(async move {
            let (prior, planned, config) =
                typed_change::<R::Model>(&change, Resource::type_name(self))?;
            let change = Change {
                prior: prior.as_ref(),
                planned: &planned,
                config: &config,
            };
            untyped_result(Resource::update(self, ctx, change).await)
        })
    }
    fn delete<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        prior: &'a Value,
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(async move {
            let name = Resource::type_name(self);
            let prior = R::Model::decode(prior, &format!("the prior state of {name}"))?;
            untyped_result(Resource::delete(self, ctx, &prior).await.map(|()| prior)).map(|_| ())
        })
    }
    fn import<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>> {
        Box::pin(async move { Ok(Resource::import(self, ctx, id).await?.to_value()) })
    }
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        Resource::upgrade_state(self, version, raw_json).map(|m| m.to_value())
    }
}

/// Registers a resource: `vec![resource(ProdTag::default())]`.
pub fn resource<R: Resource>(r: R) -> Arc<dyn AnyResource<R::Data>> {
    Arc::new(r)
}
