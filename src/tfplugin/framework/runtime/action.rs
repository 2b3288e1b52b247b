//! The action operations of the [`Runtime`]: ValidateActionConfig, PlanAction, and
//! InvokeAction as a stream of [`ActionEvent`]s that always ends with exactly one completion.
//!
//! What Terraform 1.15 does with actions, which its documentation does not say: PlanAction and
//! InvokeAction diagnostics are not shown as they are. For an action a resource change
//! triggers, Terraform folds every diagnostic into one ("Failed to plan action" / "Error when
//! invoking action", detail `summary: detail`) pointing at the `action_trigger` block, so
//! attribute paths are lost; for `-invoke` the plan's diagnostics keep their paths but the
//! invocation's are folded the same way. ValidateActionConfig diagnostics keep their attribute
//! paths in every case. An invocation that ends without a completion event leaves Terraform
//! printing neither "Action complete" nor an error.

use tokio::sync::mpsc;

use super::{Runtime, unknown_type};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Progress, Provider};
use crate::tfplugin::value::Value;

/// One event of an invocation, in the order Terraform receives them.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionEvent {
    /// A progress message.
    Progress(String),
    /// The end: errors and warnings (none when the action succeeded without remarks).
    Completed(Diagnostics),
}

impl<P: Provider> Runtime<P> {
    /// ValidateActionConfig: the declared validators plus the action's own checks.
    pub fn validate_action(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.actions.get(type_name) {
            None => unknown_type("action", type_name),
            Some(e) => {
                let mut diags = e.schema.validate(config);
                diags.extend(e.item.validate(config));
                diags
            }
        }
    }

    /// PlanAction: validation again (the configuration may have gained values since), then
    /// the action's own plan.
    pub async fn plan_action(&self, type_name: &str, config: &Value) -> Diagnostics {
        let Some(e) = self.actions.get(type_name) else {
            return unknown_type("action", type_name);
        };
        let mut diags = self.validate_action(type_name, config);
        if diags.has_errors() {
            return diags;
        }
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => return d,
        };
        let mut ctx = self.ctx(data, Vec::new());
        let result = e.item.plan(&mut ctx, config).await;
        let (warnings, _) = ctx.finish();
        diags.extend(warnings);
        if let Err(errors) = result {
            diags.extend(errors);
        }
        diags
    }

    /// InvokeAction: runs the action, sending its progress to `events` as it comes, then one
    /// [`ActionEvent::Completed`]. Returns early, abandoning the action, when `events` is
    /// closed (Terraform stopped listening).
    pub async fn invoke_action(
        &self,
        type_name: &str,
        config: Value,
        events: mpsc::Sender<ActionEvent>,
    ) {
        let diags = self.run_action(type_name, &config, &events).await;
        if let Some(diags) = diags {
            let _ = events.send(ActionEvent::Completed(diags)).await;
        }
    }

    /// The invocation; `None` when Terraform stopped listening.
    async fn run_action(
        &self,
        type_name: &str,
        config: &Value,
        events: &mpsc::Sender<ActionEvent>,
    ) -> Option<Diagnostics> {
        let Some(e) = self.actions.get(type_name) else {
            return Some(unknown_type("action", type_name));
        };
        if !config.is_wholly_known() {
            return Some(
                Diagnostic::error(
                    "Action Configuration Not Known",
                    format!(
                        "Terraform invoked {type_name} with values not known yet. This is a bug in Terraform or in the provider."
                    ),
                )
                .into(),
            );
        }
        let mut diags = self.validate_action(type_name, config);
        if diags.has_errors() {
            return Some(diags);
        }
        let data = match self.data() {
            Ok(d) => d,
            Err(d) => return Some(d),
        };
        let mut ctx = self.ctx(data, Vec::new());
        let (progress, mut messages) = Progress::channel();
        let result = {
            let run = e.item.invoke(&mut ctx, config, &progress);
            tokio::pin!(run);
            loop {
                tokio::select! {
                    // Progress first, so messages reach Terraform in the order they were sent
                    // and before the completion.
                    biased;
                    Some(message) = messages.recv() => {
                        if events.send(ActionEvent::Progress(message)).await.is_err() {
                            return None;
                        }
                    }
                    result = &mut run => break result,
                }
            }
        };
        drop(progress);
        // What was sent before the action returned (a clone it kept may not be dropped yet,
        // so no waiting for more).
        while let Ok(message) = messages.try_recv() {
            if events.send(ActionEvent::Progress(message)).await.is_err() {
                return None;
            }
        }
        let (warnings, _) = ctx.finish();
        diags.extend(warnings);
        if let Err(errors) = result {
            diags.extend(errors);
            if !diags.has_errors() {
                diags.error(
                    "Action Failed",
                    format!(
                        "{type_name} failed without an explanation. This is a bug in the provider."
                    ),
                );
            }
        }
        Some(diags)
    }
}
