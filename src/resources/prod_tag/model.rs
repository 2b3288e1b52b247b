//! The model of `tagdeploy_prod_tag` (schema version 2): every attribute once, with its type,
//! its documentation and its plan behaviour.

use std::collections::BTreeMap;

use crate::model;
use crate::names;
use crate::resources::promotion::{self, ImageModel, Rollout};
use crate::resources::timeouts::Timeouts;
use crate::tfplugin::model::{
    Object, Set, Tf, block, computed, optional, optional_computed, required,
};
use crate::tfplugin::schema::{Schema, validators};
use crate::tfplugin::value::Value;

/// The schema version: 2 since `rollouts` report service deployments (status, lifecycle stage,
/// strategy, RFC status) and `deployments` their ARNs; 1 when `deployments` became a map and
/// `rollouts` appeared (version 0 had a list of deployment objects). See `upgrade.rs`.
pub const VERSION: i64 = 2;

pub use crate::resources::promotion::PAUSE_HOOK_ACTIONS;

model! {
    /// The configuration, plan and state of `resource "tagdeploy_prod_tag"`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ProdTagModel {
        /// `<repository>:<tag>`, also the import ID.
        pub id: Tf<String> => computed(),
        /// The ECR repository that holds the release images and the environment tag, e.g.
        /// `example` or `team/app`.
        pub repository: Tf<String> => required()
            .requires_replace()
            .validate(names::validators::repository()),
        /// The AWS account id of the registry, when the repository is in another account's
        /// registry. Defaults to the caller's account.
        pub registry_id: Tf<String> => optional()
            .requires_replace()
            .validate(names::validators::account_id()),
        /// The environment tag to move onto the release, e.g. `prod` or `stage`. Defaults to
        /// `prod`. Must be mutable in the repository.
        pub tag: Tf<String> => optional_computed()
            .default(Value::string("prod"))
            .requires_replace()
            .validate(names::validators::tag()),
        /// The tag of the release to promote, typically the release hash (`hash_2`). Resolved to
        /// a digest during plan. Exactly one of `release_tag` and `image_digest` must be set.
        pub release_tag: Tf<String> => optional().validate(names::validators::tag()),
        /// The digest the environment tag points at. Set it to pin a digest instead of
        /// `release_tag`; otherwise it is resolved from `release_tag` during plan, and refreshed
        /// from ECR, so a tag moved outside Terraform shows as a change.
        pub image_digest: Tf<String> => optional_computed().validate(names::validators::digest()),
        /// The ECS cluster (name or ARN) of the services to redeploy.
        pub cluster: Tf<String> => required().validate(names::validators::cluster()),
        /// The ECS services (names or ARNs) whose task definitions use the environment tag: each
        /// gets a new deployment so its tasks resolve the new digest. At least one.
        pub services: Tf<Set<String>> => required()
            .validate(promotion::at_least_one_service())
            .validate(validators::each(names::validators::service())),
        /// Wait until the service deployment of every service is `SUCCESSFUL` and its revision
        /// resolved the promoted digest, whatever the service's deployment strategy (rolling,
        /// blue/green, linear, canary: bake times and traffic shifts included). Defaults to
        /// `true`. With `false`, apply returns once the deployments have started; a later apply
        /// with `true` waits for them without starting new ones.
        pub wait_for_rollout: Tf<bool> => optional_computed().default(Value::Bool(true)),
        /// When a rollout fails (ECS rolled the deployment back or stopped it: circuit breaker,
        /// alarms, a lifecycle hook; or it timed out), stop the deployments still in flight
        /// (StopServiceDeployment, ROLLBACK), move the tag back to `previous_digest`, and
        /// redeploy the services ECS does not return to their previous revision itself.
        /// Defaults to `true`.
        pub rollback_on_failure: Tf<bool> => optional_computed().default(Value::Bool(true)),
        /// What apply does when a service deployment pauses at a `PAUSE` lifecycle hook (a
        /// manual approval gate) while it waits: `WAIT` (the default) leaves the decision to
        /// someone else (the console, `aws ecs continue-service-deployment`) or to the hook's
        /// timeout action, within `timeouts`; `CONTINUE` approves the hook; `ROLLBACK` rejects it,
        /// so ECS rolls the deployment back and the tag goes back too.
        pub pause_hook_action: Tf<String> => optional_computed()
            .default(Value::string("WAIT"))
            .validate(validators::one_of(PAUSE_HOOK_ACTIONS)),
        /// Arbitrary values; any change redeploys every service even when the tag does not move
        /// (e.g. to pick up a rebuilt image under the same release).
        pub triggers: Tf<BTreeMap<String, String>> => optional(),
        /// Why this release happened; recorded in state.
        pub description: Tf<String> => optional(),
        /// The digest the environment tag pointed at before the last promotion: the rollback
        /// target. Known during plan.
        pub previous_digest: Tf<String> => computed(),
        /// Every tag on the promoted image, including the environment tag, sorted. Known after
        /// apply when the tag moves (another resource may tag the same image meanwhile).
        pub image_tags: Tf<Vec<String>> => computed(),
        /// The promoted image by digest: `<repository URI>@sha256:…`. Known during plan.
        pub image_uri: Tf<String> => computed(),
        /// The service deployment of each service (keyed as in `services`) that the last apply
        /// started, or adopted when the service was already rolling out the digest: its ARN,
        /// e.g. `arn:aws:ecs:us-east-1:123456789012:service-deployment/example/web/7JpT…`, for
        /// `aws ecs describe-service-deployments` and `tagdeploy_task_digests.deployment_id`. A
        /// plan that redeploys shows one line per service here.
        pub deployments: Tf<BTreeMap<String, Tf<String>>> => computed(),
        /// How the service deployment of each service (keyed as in `services`) stood at the end
        /// of the last apply. Planned as it will be when apply succeeds, so a promotion does not
        /// show it changing.
        pub rollouts: Tf<BTreeMap<String, Rollout>> => computed(),
        /// When the last promotion finished (RFC 3339).
        pub promoted_at: Tf<String> => computed(),
        /// How long operations may take before they fail.
        pub timeouts: Tf<Timeouts> => block(),
    }
}

/// The schema: the model's, documented.
pub fn schema() -> Schema {
    ProdTagModel::schema(VERSION)
        .description("Promotes a release in Amazon ECR and redeploys the Amazon ECS services that run it: moves the environment tag (`tag`, e.g. `prod`) onto the image of the release (`release_tag` or `image_digest`) without re-pushing it, forces a new deployment of each service so new tasks resolve the new digest, follows the service deployments to the end whatever their strategy (rolling, blue/green, linear, canary), and moves the tag back if they fail. `terraform plan` shows the digest the tag moves from and to, and one line per service that redeploys. Destroying the resource leaves the tag and the services as they are.")
}

impl ProdTagModel {
    /// The state an import starts from, and a list result's object (read then fills in where
    /// the tag points): the defaults of the optional settings, nothing promoted or deployed
    /// yet, and the services unknown to the provider (null).
    pub fn imported(repository: &str, tag: &str, registry_id: Option<String>) -> ProdTagModel {
        ProdTagModel {
            id: format!("{repository}:{tag}").into(),
            repository: repository.into(),
            registry_id: registry_id.into(),
            tag: tag.into(),
            wait_for_rollout: true.into(),
            rollback_on_failure: true.into(),
            pause_hook_action: "WAIT".into(),
            image_tags: Tf::Known(Vec::new()),
            deployments: Tf::Known(Default::default()),
            rollouts: Tf::Known(Default::default()),
            ..ProdTagModel::default()
        }
    }

    /// `<repository>:<tag>` when both are known.
    pub fn import_id(&self) -> Tf<String> {
        match (self.repository.as_str(), self.tag.as_str()) {
            (Some(repository), Some(tag)) => Tf::Known(format!("{repository}:{tag}")),
            _ => Tf::Unknown,
        }
    }

    /// The image this resource promotes, as the shared promotion code sees it.
    pub fn image(&self) -> ImageModel {
        ImageModel {
            repository: self.repository.clone(),
            registry_id: self.registry_id.clone(),
            release_tag: self.release_tag.clone(),
            image_digest: self.image_digest.clone(),
            cluster: self.cluster.clone(),
            services: self.services.clone(),
            previous_digest: self.previous_digest.clone(),
            image_tags: self.image_tags.clone(),
            image_uri: self.image_uri.clone(),
            deployments: self.deployments.clone(),
            rollouts: self.rollouts.clone(),
        }
    }

    /// Takes the image's values back (see [`ProdTagModel::image`]).
    pub fn set_image(&mut self, image: ImageModel) {
        self.repository = image.repository;
        self.registry_id = image.registry_id;
        self.release_tag = image.release_tag;
        self.image_digest = image.image_digest;
        self.cluster = image.cluster;
        self.services = image.services;
        self.previous_digest = image.previous_digest;
        self.image_tags = image.image_tags;
        self.image_uri = image.image_uri;
        self.deployments = image.deployments;
        self.rollouts = image.rollouts;
    }
}
