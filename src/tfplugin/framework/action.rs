//! [`Action`]: an imperative operation Terraform 1.14+ runs on request
//! (`terraform apply -invoke=action.TYPE.NAME`) or when a resource changes
//! (`lifecycle { action_trigger { … } }`), with its configuration in its own [`Model`]; and
//! [`AnyAction`], its object-safe form on untyped values.
//!
//! Actions keep no state. Terraform validates the configuration (ValidateActionConfig), plans
//! the invocation (PlanAction: the configuration may still hold unknown values), then invokes
//! it (InvokeAction), reading a stream of events: any number of progress messages, then one
//! completion with the diagnostics. The framework builds every event, so each one says what
//! it is (Terraform cannot read an event that does not), and always ends the stream with
//! exactly one completion.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{BoxFuture, Ctx};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::model::Model;
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

/// Where an invocation reports its progress: each message becomes one progress event, shown
/// by Terraform as `Action action.TYPE.NAME (…): message` while the action runs.
#[derive(Debug, Clone)]
pub struct Progress {
    sink: mpsc::UnboundedSender<String>,
}

impl Progress {
    /// A progress sink and the receiving end of its messages.
    pub fn channel() -> (Progress, mpsc::UnboundedReceiver<String>) {
        let (sink, messages) = mpsc::unbounded_channel();
        (Progress { sink }, messages)
    }

    /// Reports one message. Never blocks; a message sent after Terraform stopped listening
    /// is dropped.
    pub fn report(&self, message: impl Into<String>) {
        let _ = self.sink.send(message.into());
    }
}

/// An action type. Implement this; the framework erases it into [`AnyAction`].
pub trait Action: Send + Sync + 'static {
    /// The provider's configured data.
    type Data: Send + Sync + 'static;

    /// The action's configuration (its `config { … }` block).
    type Model: Model;

    /// The full type name, e.g. `tagdeploy_redeploy`.
    fn type_name(&self) -> &'static str;

    /// The configuration schema: required and optional attributes (actions have no computed
    /// values), usually the model's.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators (the configuration may hold
    /// unknown values). ValidateActionConfig and PlanAction run them.
    fn validate(&self, config: &Self::Model) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Checks an invocation before it runs (PlanAction): the configuration may still hold
    /// unknown values when a resource change triggers the action.
    fn plan(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        config: &Self::Model,
    ) -> impl Future<Output = Result<(), Diagnostics>> + Send {
        let _ = (ctx, config);
        async { Ok(()) }
    }

    /// Runs the action with a wholly known configuration, reporting progress as it goes.
    /// Errors and warnings (see [`Ctx::warn`]) end the invocation.
    fn invoke(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        config: Self::Model,
        progress: &Progress,
    ) -> impl Future<Output = Result<(), Diagnostics>> + Send;
}

/// The object-safe form of [`Action`]; register with [`action`].
pub trait AnyAction<D>: Send + Sync {
    /// See [`Action::type_name`].
    fn type_name(&self) -> &'static str;
    /// See [`Action::schema`].
    fn schema(&self) -> Schema;
    /// Reads `value` into the model and writes it back (the registry-wide model check).
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics>;
    /// See [`Action::validate`].
    fn validate(&self, config: &Value) -> Diagnostics;
    /// See [`Action::plan`].
    fn plan<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        config: &'a Value,
    ) -> BoxFuture<'a, Result<(), Diagnostics>>;
    /// See [`Action::invoke`].
    fn invoke<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        config: &'a Value,
        progress: &'a Progress,
    ) -> BoxFuture<'a, Result<(), Diagnostics>>;
}

impl<A: Action> AnyAction<A::Data> for A {
    fn type_name(&self) -> &'static str {
        Action::type_name(self)
    }
    fn schema(&self) -> Schema {
        Action::schema(self)
    }
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics> {
        A::Model::decode(value, &format!("a value of {}", Action::type_name(self)))
            .map(|m| m.to_value())
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        let name = Action::type_name(self);
        match A::Model::decode(config, &format!("the configuration of {name}")) {
            Ok(config) => Action::validate(self, &config),
            Err(diags) => diags,
        }
    }
    fn plan<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, A::Data>,
        config: &'a Value,
    ) -> BoxFuture<'a, Result<(), Diagnostics>> {
        Box::pin(async move {
            let name = Action::type_name(self);
            let config = A::Model::decode(config, &format!("the configuration of {name}"))?;
            Action::plan(self, ctx, &config).await
        })
    }
    fn invoke<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, A::Data>,
        config: &'a Value,
        progress: &'a Progress,
    ) -> BoxFuture<'a, Result<(), Diagnostics>> {
        Box::pin(async move {
            let name = Action::type_name(self);
            let config = A::Model::decode(config, &format!("the configuration of {name}"))?;
            Action::invoke(self, ctx, config, progress).await
        })
    }
}

/// Registers an action: `vec![action(Redeploy)]`.
pub fn action<A: Action>(a: A) -> Arc<dyn AnyAction<A::Data>> {
    Arc::new(a)
}
