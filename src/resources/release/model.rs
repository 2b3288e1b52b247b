//! The model of `tagdeploy_release` (schema version 0): the set's own attributes, and its
//! images, each an [`ImageModel`] (the image attributes `tagdeploy_prod_tag` has too).

use std::collections::BTreeMap;

use crate::model;
use crate::names;
use crate::resources::promotion::{ImageModel, PAUSE_HOOK_ACTIONS};
use crate::resources::timeouts::Timeouts;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::model::{Object, Tf, block, computed, optional, optional_computed, required};
use crate::tfplugin::schema::{Schema, Validator, validators};
use crate::tfplugin::value::Value;

/// The schema version.
pub const VERSION: i64 = 0;

model! {
    /// The configuration, plan and state of `resource "tagdeploy_release"`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ReleaseModel {
        /// `<tag>:<image>=<repository>,…`, also the import ID (see Import).
        pub id: Tf<String> => computed(),
        /// The environment tag to move in every image's repository, e.g. `prod` or `stage`.
        /// Defaults to `prod`. Must be mutable in every repository.
        pub tag: Tf<String> => optional_computed()
            .default(Value::string("prod"))
            .requires_replace()
            .validate(names::validators::tag()),
        /// The images released together, by name (letters, digits, `_`, `.` and `-`): each a
        /// repository whose environment tag moves onto a release, and the services that run it.
        /// Adding an image promotes it with the next apply; removing one leaves its tag and its
        /// services as they are.
        pub images: Tf<BTreeMap<String, ImageModel>> => required()
            .validate(at_least_one_image())
            .validate(validators::each_key(names::validators::image_name())),
        /// An identifier of the release, recorded in state (e.g. a version or a change ticket).
        /// Defaults to the release tag when every image names the same one (`hash_2`), else
        /// null.
        pub release_id: Tf<String> => optional_computed().validate(validators::non_empty()),
        /// Why this release happened; recorded in state.
        pub description: Tf<String> => optional(),
        /// Wait until the service deployment of every service of every image is `SUCCESSFUL`
        /// and its revision resolved the image's promoted digest, whatever the service's
        /// deployment strategy (rolling, blue/green, linear, canary: bake times and traffic
        /// shifts included). Defaults to `true`. With `false`, apply returns once the
        /// deployments have started (and nothing is rolled back); a later apply with `true`
        /// waits for them without starting new ones.
        pub wait_for_rollout: Tf<bool> => optional_computed().default(Value::Bool(true)),
        /// When one rollout fails (ECS rolled the deployment back or stopped it: circuit
        /// breaker, alarms, a lifecycle hook; or the wait timed out), undo the whole release:
        /// stop the deployments still in flight (StopServiceDeployment, ROLLBACK), move every
        /// image's tag back to its `previous_digest`, and redeploy every service that got a new
        /// image and that ECS does not return to its previous revision itself. Defaults to
        /// `true`.
        pub rollback_on_failure: Tf<bool> => optional_computed().default(Value::Bool(true)),
        /// What apply does when a service deployment pauses at a `PAUSE` lifecycle hook (a
        /// manual approval gate) while it waits: `WAIT` (the default) leaves the decision to
        /// someone else (the console, `aws ecs continue-service-deployment`) or to the hook's
        /// timeout action, within `timeouts`; `CONTINUE` approves the hook; `ROLLBACK` rejects it,
        /// so ECS rolls that deployment back and the whole release goes back too.
        pub pause_hook_action: Tf<String> => optional_computed()
            .default(Value::string("WAIT"))
            .validate(validators::one_of(PAUSE_HOOK_ACTIONS)),
        /// Arbitrary values; any change redeploys every service of every image even when no
        /// tag moves.
        pub triggers: Tf<BTreeMap<String, String>> => optional(),
        /// When the last promotion of any image finished (RFC 3339).
        pub promoted_at: Tf<String> => computed(),
        /// How long operations may take before they fail: the wait for every image's rollouts
        /// together.
        pub timeouts: Tf<Timeouts> => block(),
    }
}

/// The schema: the model's, documented.
pub fn schema() -> Schema {
    ReleaseModel::schema(VERSION)
        .description("Promotes several images as one release, all or nothing: in each image's Amazon ECR repository it moves the environment tag (`tag`, e.g. `prod`) onto that image's release (`release_tag` or `image_digest`) without re-pushing it, forces a new deployment of every image's Amazon ECS services (in any cluster) at once, waits for all the rollouts, and when one fails or times out moves every tag back and redeploys every service that got a new image. `terraform plan` shows every image's digest move and one line per service that redeploys. Destroying the resource leaves the tags and the services as they are.")
}

fn at_least_one_image() -> impl Validator {
    |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if let Value::Map(images) = value
            && images.is_empty()
        {
            diags.push(
                Diagnostic::error(
                    "Invalid Attribute Value",
                    format!("\"{path}\" must name at least one image."),
                )
                .at(path.clone()),
            );
        }
    }
}

impl ReleaseModel {
    /// The images, when the map itself is known (each image's values may still be unknown).
    pub fn known_images(&self) -> Option<&BTreeMap<String, ImageModel>> {
        self.images.known()
    }
}
