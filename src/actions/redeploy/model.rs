//! The configuration of `action "tagdeploy_redeploy"`: every attribute once, with its type and
//! documentation. Actions have no computed values: the defaults are applied at invocation.

use crate::model;
use crate::names;
use crate::resources::promotion::{PAUSE_HOOK_ACTIONS, at_least_one_service};
use crate::resources::timeouts::duration;
use crate::tfplugin::model::{Object, Set, Tf, optional, required};
use crate::tfplugin::schema::{Schema, validators};

model! {
    /// The configuration of `action "tagdeploy_redeploy"`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct RedeployModel {
        /// The ECS cluster (name or ARN) of the services.
        pub cluster: Tf<String> => required().validate(names::validators::cluster()),
        /// The ECS services (names or ARNs) to redeploy: each gets a new deployment (ECS
        /// `forceNewDeployment`), so its tasks resolve their image tags again. At least one.
        pub services: Tf<Set<String>> => required()
            .validate(at_least_one_service())
            .validate(validators::each(names::validators::service())),
        /// Follow every new service deployment until it is `SUCCESSFUL`, reporting each
        /// service's progress; one that ECS rolls back or stops fails the action. Defaults to
        /// `true`. With `false` the action ends once the deployments have started.
        pub wait_for_rollout: Tf<bool> => optional(),
        /// What the action does when a service deployment pauses at a `PAUSE` lifecycle hook
        /// (a manual approval gate) while it waits, as `tagdeploy_prod_tag`'s attribute of the
        /// same name: `WAIT` (the default) leaves the decision to someone else or to the hook's
        /// timeout action, within `timeout`; `CONTINUE` approves the hook; `ROLLBACK` rejects
        /// it, so ECS rolls the deployment back and the action fails.
        pub pause_hook_action: Tf<String> => optional()
            .validate(validators::one_of(PAUSE_HOOK_ACTIONS)),
        /// How long to wait for the rollouts, as a duration such as `"30s"`, `"15m"` or
        /// `"1h30m"`. Defaults to `"15m"`.
        pub timeout: Tf<String> => optional().validate(duration()),
    }
}

/// The schema: the model's, documented.
pub fn schema() -> Schema {
    RedeployModel::schema(0).description(
        "Forces a new deployment of Amazon ECS services, so their tasks resolve their image tags again (after a secret rotation, or an image re-pushed under the same tag), and follows the service deployments as `tagdeploy_prod_tag` does (every strategy, bake times, PAUSE hooks): a deployment that ECS rolls back (circuit breaker, alarms) or stops, or the timeout, fails the action. Run it with `terraform apply -invoke=action.tagdeploy_redeploy.NAME`, or from a resource's `lifecycle { action_trigger { … } }`. Needs Terraform 1.14 or later.",
    )
}
