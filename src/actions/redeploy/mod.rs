//! `action "tagdeploy_redeploy"`: forces a new deployment of ECS services, so their tasks
//! resolve image tags again (e.g. after a secret rotation or a re-pushed image), and, when
//! waiting, follows each rollout to the end exactly as `tagdeploy_prod_tag` does (a failed or
//! rolled-back deployment fails the action with the resource's diagnostics).
//!
//! - [`model`]: the configuration (`cluster`, `services`, `wait_for_rollout`, `timeout`);
//! - `rollout.rs`: the seam to the ECS deploy-and-wait code, and the progress it reports;
//! - here: validation and the invocation.

pub mod model;
mod rollout;

pub use model::RedeployModel;

use std::time::Duration;

use crate::aws::ecs::{Ecs, PauseAction, WaitOptions};
use crate::errors::{self, Attributes};
use crate::provider_data::ProviderData;
use crate::resources::promotion::{ImagePaths, not_deployable};
use crate::resources::timeouts::{DEFAULT, parse_duration};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Action, Ctx, Progress};
use crate::tfplugin::schema::Schema;

/// Where each kind of error points in this action's configuration.
fn attributes() -> Attributes {
    Attributes::new()
        .cluster(AttributePath::attr(RedeployModel::cluster))
        .services(AttributePath::attr(RedeployModel::services))
        .pause_hook_action(AttributePath::attr(RedeployModel::pause_hook_action))
        .timeouts(AttributePath::attr(RedeployModel::timeout))
}

/// The action type.
#[derive(Debug, Default, Clone, Copy)]
pub struct Redeploy;

impl Action for Redeploy {
    type Data = ProviderData;
    type Model = RedeployModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy_redeploy"
    }

    fn schema(&self) -> Schema {
        model::schema()
    }

    /// With the cluster and services known (not so when a resource change triggers the action
    /// and they depend on it), refuses missing services and services ECS does not deploy on
    /// UpdateService, as `tagdeploy_prod_tag` does at plan: one DescribeServices per 10.
    async fn plan(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        config: &RedeployModel,
    ) -> Result<(), Diagnostics> {
        let (Some(cluster), Some(services)) = (config.cluster.known(), config.known_services())
        else {
            return Ok(());
        };
        // An unconfigured provider (its settings still unknown) leaves the check to invocation.
        let Ok(clients) = ctx.data().clients() else {
            return Ok(());
        };
        let ecs = Ecs::new(clients.ecs.clone());
        let found = ecs
            .services(cluster, &services)
            .await
            .map_err(|e| errors::ecs("Service Lookup Error", &e, &attributes()))?;
        let refusals: Diagnostics = found
            .iter()
            .filter_map(|s| {
                // The action's attributes are at the root, like a `tagdeploy_prod_tag`'s.
                let at = ImagePaths {
                    base: AttributePath::root(),
                    tag: AttributePath::root(),
                };
                not_deployable(s, &at)
            })
            .collect();
        if refusals.has_errors() {
            Err(refusals)
        } else {
            Ok(())
        }
    }

    async fn invoke(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        config: RedeployModel,
        progress: &Progress,
    ) -> Result<(), Diagnostics> {
        let incomplete = || {
            Diagnostics::from(Diagnostic::error(
                "Incomplete Configuration",
                "The configuration of tagdeploy_redeploy is not all known at invocation; this is a bug in the provider or in Terraform.",
            ))
        };
        let cluster = config.cluster.known().cloned().ok_or_else(incomplete)?;
        let services = config.known_services().ok_or_else(incomplete)?;
        let clients = ctx.data().clients()?;
        let ecs = Ecs::new(clients.ecs.clone());
        let wait = config.waits().then(|| WaitOptions {
            on_pause: config.pause_action(),
            ..WaitOptions::new(config.wait_timeout(), ctx.cancellation().clone())
        });
        tracing::info!(cluster = %cluster, services = services.join(","), "redeploying");
        rollout::redeploy(&ecs, &cluster, &services, wait.as_ref(), &|line| {
            progress.report(line);
        })
        .await
        .map(|_| ())
        .map_err(|failure| errors::redeploy(&failure, &attributes()).into())
    }
}

impl RedeployModel {
    /// The configured services, when every one is known.
    pub fn known_services(&self) -> Option<Vec<String>> {
        self.services.known().map(|s| s.iter().cloned().collect())
    }

    /// Whether to wait for the rollouts (default true).
    pub fn waits(&self) -> bool {
        self.wait_for_rollout.known().copied().unwrap_or(true)
    }

    /// What the wait does with PAUSE hooks (default: leave them alone).
    pub fn pause_action(&self) -> PauseAction {
        match self.pause_hook_action.as_str() {
            Some("CONTINUE") => PauseAction::Continue,
            Some("ROLLBACK") => PauseAction::Rollback,
            _ => PauseAction::Wait,
        }
    }

    /// How long to wait (default 15 minutes; the validator has refused anything unreadable).
    pub fn wait_timeout(&self) -> Duration {
        self.timeout
            .as_str()
            .and_then(|t| parse_duration(t).ok())
            .unwrap_or(DEFAULT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::AnyAction;
    use crate::tfplugin::model::{Set, Tf};
    use crate::tfplugin::value::Value;

    fn config(pairs: Vec<(&str, Value)>) -> Value {
        let mut value = model::schema().null_object();
        if let Value::Map(fields) = &mut value {
            for (k, v) in pairs {
                fields.insert(k.into(), v);
            }
        }
        value
    }

    #[test]
    fn schema_is_valid_and_has_nothing_computed() {
        let schema = model::schema();
        assert_eq!(schema.check(), Ok(()));
        assert!(
            schema
                .root()
                .attributes()
                .iter()
                .all(|a| !a.presence().is_computed())
        );
    }

    #[test]
    fn defaults_apply_when_unset() {
        let unset = RedeployModel::default();
        assert!(unset.waits());
        assert_eq!(unset.wait_timeout(), DEFAULT);
        let set = RedeployModel {
            wait_for_rollout: false.into(),
            timeout: "90s".into(),
            services: Tf::Known(Set::from_iter(["b".to_owned(), "a".to_owned()])),
            ..RedeployModel::default()
        };
        assert!(!set.waits());
        assert_eq!(set.wait_timeout(), Duration::from_secs(90));
        assert_eq!(set.known_services().map(|s| s.len()), Some(2));
    }

    #[test]
    fn bad_configuration_is_refused_with_its_attribute_path() {
        let bad = config(vec![
            ("cluster", Value::string("no spaces allowed")),
            (
                "services",
                Value::List(vec![Value::string("ok"), Value::string("")]),
            ),
            ("timeout", Value::string("15")),
        ]);
        let mut diags = model::schema().validate(&bad);
        diags.extend(AnyAction::validate(&Redeploy, &bad));
        let paths: Vec<String> = diags
            .iter()
            .filter_map(|d| d.attribute.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(paths, ["cluster", "services[1]", "timeout"], "{diags}");
        let empty = config(vec![
            ("cluster", Value::string("example")),
            ("services", Value::List(Vec::new())),
        ]);
        let diags = model::schema().validate(&empty);
        assert_eq!(
            diags
                .iter()
                .map(|d| d.attribute.as_ref().map(ToString::to_string))
                .collect::<Vec<_>>(),
            [Some("services".to_owned())]
        );
    }

    #[test]
    fn unknown_values_are_not_refused() {
        let unknown = config(vec![
            ("cluster", Value::Unknown),
            ("services", Value::Unknown),
            ("timeout", Value::Unknown),
        ]);
        assert!(model::schema().validate(&unknown).is_empty());
        assert!(AnyAction::validate(&Redeploy, &unknown).is_empty());
    }
}
