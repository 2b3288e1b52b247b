//! What `tagdeploy_prod_tag` and `tagdeploy_release` share: one image of a promotion as
//! Terraform values ([`ImageModel`], a member of `tagdeploy_release.images`, and the image part
//! of `tagdeploy_prod_tag`), and everything done with it once, for both:
//!
//! - here: the image's model, its cross-attribute checks, and the target it declares;
//! - `plan.rs`: resolve the release to a digest, check what could refuse the promotion
//!   (missing repository, release, cluster or service, immutable tag), and plan the values a
//!   promotion leaves (the release note);
//! - `apply.rs`: the engine's [`Member`] for a planned image, and the image's state after the
//!   promotion, successful or not;
//! - `refresh.rs`: where the tag points now (a tag moved outside Terraform shows in the plan).
//!
//! The promotion itself is [`crate::aws::promote`], one engine for one image or many.

mod apply;
mod plan;
mod refresh;

use std::collections::BTreeMap;

pub(crate) use apply::{
    image_after, member, now_rfc3339, repository_uri, settle, wait_options, within_timeout,
};
pub(crate) use plan::{
    ImagePlan, PlanInputs, PlannedPrivate, not_deployable, plan_image, unknown_inputs,
};
pub(crate) use refresh::refresh_image;

use crate::aws::image::{Digest, ImageSelector, RepositoryRef};
use crate::errors::Attributes;
use crate::model;
use crate::names;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::model::{Set, Tf, computed, optional, optional_computed, required};
use crate::tfplugin::schema::{Validator, validators};
use crate::tfplugin::value::Value;

model! {
    /// One image of a release: a repository whose environment tag moves onto a release, and
    /// the services that run it.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ImageModel {
        /// The ECR repository that holds the release images and the environment tag, e.g.
        /// `api` or `team/api`.
        pub repository: Tf<String> => required().validate(names::validators::repository()),
        /// The AWS account id of the registry, when the repository is in another account's
        /// registry. Defaults to the caller's account.
        pub registry_id: Tf<String> => optional().validate(names::validators::account_id()),
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
            .validate(at_least_one_service())
            .validate(validators::each(names::validators::service())),
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
        /// e.g. `arn:aws:ecs:us-east-1:123456789012:service-deployment/example/web/7JpT…`. A plan
        /// that redeploys shows one line per service here.
        pub deployments: Tf<BTreeMap<String, Tf<String>>> => computed(),
        /// How the service deployment of each service (keyed as in `services`) stood at the end
        /// of the last apply. Planned as it will be when apply succeeds, so a promotion does not
        /// show it changing.
        pub rollouts: Tf<BTreeMap<String, Rollout>> => computed(),
    }
}

model! {
    /// One service's rollout, as `rollouts` records it.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Rollout {
        /// The service's ARN.
        pub service_arn: Tf<String> => computed(),
        /// The service's deployment strategy: `ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`.
        pub strategy: Tf<String> => computed(),
        /// The status of the service deployment when last seen: `SUCCESSFUL` after a
        /// successful wait, `PENDING` when apply started it and did not wait, `IN_PROGRESS`
        /// when apply was stopped while it ran; after a failure `ROLLBACK_REQUESTED`,
        /// `ROLLBACK_IN_PROGRESS`, `ROLLBACK_SUCCESSFUL`, `ROLLBACK_FAILED` or `STOPPED`.
        pub status: Tf<String> => computed(),
        /// The lifecycle stage it was at when last seen while it ran (e.g. `BAKE_TIME`,
        /// `POST_TEST_TRAFFIC_SHIFT`); null once it ended.
        pub lifecycle_stage: Tf<String> => computed(),
        /// The rollout state that goes with the status (as ECS reports it for the deployment
        /// in the service's `deployments`): `COMPLETED` once `SUCCESSFUL`, `FAILED` after a
        /// failure, `IN_PROGRESS` before.
        pub rollout_state: Tf<String> => computed(),
        /// The RFC 013 status of the deployment: `COMPLETE` once it succeeded, `IN_PROGRESS`
        /// while it runs, `RETIRING` while ECS rolls it back or stops it, `DEAD` once it
        /// failed.
        pub rfc_status: Tf<String> => computed(),
    }
}

/// The attribute (of both types) that says what to do with PAUSE lifecycle hooks.
pub(crate) const PAUSE_HOOK_ACTION: &str = "pause_hook_action";

/// The values of `pause_hook_action`.
pub const PAUSE_HOOK_ACTIONS: &[&str] = &["WAIT", "CONTINUE", "ROLLBACK"];

/// The `timeouts` block (of both types).
const TIMEOUTS: &str = "timeouts";

/// A validator: a set that names at least one service.
pub(crate) fn at_least_one_service() -> impl Validator {
    |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if value.is_wholly_known() && value.elements().is_empty() {
            diags.push(
                Diagnostic::error(
                    "Invalid Attribute Value",
                    format!("\"{path}\" must name at least one service."),
                )
                .at(path.clone()),
            );
        }
    }
}

/// Where an image's attributes are in a resource: at the top (`tagdeploy_prod_tag`) or under
/// `images["KEY"]` (`tagdeploy_release`), with the environment tag wherever the type keeps it.
#[derive(Debug, Clone)]
pub(crate) struct ImagePaths {
    /// The object that holds the image's attributes (the root, or `images["KEY"]`).
    pub(crate) base: AttributePath,
    /// The environment tag.
    pub(crate) tag: AttributePath,
}

impl ImagePaths {
    /// The path of the image's attribute `name`.
    pub(crate) fn attr(&self, name: &str) -> AttributePath {
        self.base.clone().then_attr(name)
    }

    /// Where each kind of error points, for [`crate::errors`].
    pub(crate) fn attributes(&self) -> Attributes {
        Attributes::new()
            .repository(self.attr(ImageModel::repository))
            .registry_id(self.attr(ImageModel::registry_id))
            .image_tag(self.attr(ImageModel::release_tag))
            .image_digest(self.attr(ImageModel::image_digest))
            .environment_tag(self.tag.clone())
            .cluster(self.attr(ImageModel::cluster))
            .services(self.attr(ImageModel::services))
            // Both types keep these at the top, beside the images.
            .pause_hook_action(AttributePath::attr(PAUSE_HOOK_ACTION))
            .timeouts(AttributePath::attr(TIMEOUTS))
    }
}

/// The checks across an image's attributes (and the environment tag) beyond each one's
/// validators: exactly one of `release_tag` and `image_digest`, and a tag that is not the
/// release's.
pub(crate) fn validate_image(image: &ImageModel, tag: &Tf<String>, at: &ImagePaths) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let (release, digest) = (&image.release_tag, &image.image_digest);
    if release.is_null() && digest.is_null() {
        diags.push(
            Diagnostic::error(
                "Missing Release",
                "Set release_tag (the release hash tag to promote) or image_digest (a digest to pin); one of them is required.",
            )
            .at(at.attr(ImageModel::release_tag)),
        );
    }
    if !release.is_null() && !digest.is_null() {
        diags.push(
            Diagnostic::error(
                "Conflicting Release",
                "Set only one of release_tag and image_digest: image_digest is computed from release_tag when release_tag is set.",
            )
            .at(at.attr(ImageModel::image_digest)),
        );
    }
    if let (Some(tag), Some(release)) = (tag.as_str(), release.as_str())
        && tag == release
    {
        diags.push(
            Diagnostic::error(
                "Invalid Environment Tag",
                format!("tag and release_tag are both {tag:?}: the environment tag must be a different tag from the release it points at."),
            )
            .at(at.tag.clone()),
        );
    }
    diags
}

/// The configured target of an image's promotion, when every value it needs is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    pub(crate) repository: RepositoryRef,
    pub(crate) tag: String,
    pub(crate) release: ImageSelector,
    pub(crate) cluster: String,
    pub(crate) services: Vec<String>,
}

impl Target {
    /// The target of `image` with environment tag `tag`.
    pub(crate) fn from_image(image: &ImageModel, tag: &Tf<String>) -> Option<Target> {
        let release = match (&image.release_tag, &image.image_digest) {
            (Tf::Known(tag), _) => ImageSelector::Tag(tag.clone()),
            (Tf::Null, Tf::Known(digest)) => ImageSelector::Digest(Digest::parse(digest).ok()?),
            _ => return None,
        };
        if image.registry_id.is_unknown() {
            return None;
        }
        Some(Target {
            repository: repository_ref(image),
            tag: tag.known()?.clone(),
            release,
            cluster: image.cluster.known()?.clone(),
            services: image.known_services()?,
        })
    }
}

/// The repository an image names (empty when its name is not known).
pub(crate) fn repository_ref(image: &ImageModel) -> RepositoryRef {
    RepositoryRef {
        name: image.repository.known().cloned().unwrap_or_default(),
        registry_id: image.registry_id.known().cloned(),
    }
}

impl ImageModel {
    /// The configured services, when every one is known.
    pub fn known_services(&self) -> Option<Vec<String>> {
        self.services.known().map(|s| s.iter().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::value::Value;

    fn image() -> ImageModel {
        ImageModel {
            repository: "example".into(),
            release_tag: "hash_2".into(),
            cluster: "example".into(),
            services: Tf::Known(["a", "b"].into_iter().map(String::from).collect()),
            ..ImageModel::default()
        }
    }

    #[test]
    fn the_target_needs_every_input_known() {
        let tag = Tf::Known("prod".to_owned());
        let target = Target::from_image(&image(), &tag).expect("a target");
        assert_eq!(target.services, ["a", "b"]);
        assert_eq!(target.release, ImageSelector::Tag("hash_2".into()));
        let partly = ImageModel {
            services: Tf::Partial(Value::List(vec![Value::string("a"), Value::Unknown])),
            ..image()
        };
        assert!(Target::from_image(&partly, &tag).is_none());
        let unknown_release = ImageModel {
            release_tag: Tf::Unknown,
            ..image()
        };
        assert!(Target::from_image(&unknown_release, &tag).is_none());
        assert!(Target::from_image(&image(), &Tf::Unknown).is_none());
    }

    #[test]
    fn checks_point_into_the_image_where_the_type_keeps_it() {
        let at = ImagePaths {
            base: AttributePath::attr("images").then_key("api"),
            tag: AttributePath::attr("tag"),
        };
        let both = ImageModel {
            image_digest: Tf::Known(format!("sha256:{}", "a".repeat(64))),
            ..image()
        };
        let paths = |d: Diagnostics| {
            d.iter()
                .map(|d| d.attribute.clone().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            paths(validate_image(&both, &Tf::Known("prod".into()), &at)),
            ["images[\"api\"].image_digest"]
        );
        assert_eq!(
            paths(validate_image(&image(), &Tf::Known("hash_2".into()), &at)),
            ["tag"]
        );
        let neither = ImageModel {
            release_tag: Tf::Null,
            ..image()
        };
        assert_eq!(
            paths(validate_image(&neither, &Tf::Known("prod".into()), &at)),
            ["images[\"api\"].release_tag"]
        );
    }
}
