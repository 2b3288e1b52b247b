//! The plan of one image: resolve the release to a digest and show the promotion as a release
//! note (the digest the tag moves from and to, the image URI, one line per service that
//! redeploys), and refuse, with the attribute at fault, a missing repository, release, cluster
//! or service, or an immutable environment tag, before anything moves.

use std::collections::{BTreeMap, BTreeSet};

use super::{ImageModel, ImagePaths, Rollout, Target};
use crate::aws::config::Clients;
use crate::aws::ecr::{Ecr, ImageDetails, Repository};
use crate::aws::ecs::{
    DeploymentController, RfcStatus, RolloutState, ServiceDeploymentStatus, ServiceState,
};
use crate::aws::error::EcrError;
use crate::aws::image::{Digest, ImageSelector};
use crate::errors;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::model::Tf;

/// The status, rollout state and RFC status every recorded service deployment has after an
/// apply that waited and succeeded (the wait ends only when each is SUCCESSFUL with the
/// promoted digest); its lifecycle stage is then null.
const WAITED: (ServiceDeploymentStatus, RolloutState, RfcStatus) = (
    ServiceDeploymentStatus::Successful,
    RolloutState::Completed,
    RfcStatus::Complete,
);

/// The same for a deployment apply has just started and does not wait for (as UpdateService
/// leaves it; see [`crate::aws::promote::DeploymentReport`]).
const STARTED: (ServiceDeploymentStatus, RolloutState, RfcStatus) = (
    ServiceDeploymentStatus::Pending,
    RolloutState::InProgress,
    RfcStatus::InProgress,
);

/// What plan hands to apply in the planned private state: the images whose plan promised that
/// every service redeploys. Apply then forces the redeploys even if it finds the tag already
/// on the digest (someone moved it between plan and apply), so the state it records is the one
/// planned.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PlannedPrivate {
    /// Names of the images (as the engine's members are named) that redeploy everything.
    pub(crate) redeploy_all: BTreeSet<String>,
    /// The tags each promoted image carries once its environment tag is on it, as the plan
    /// read them. The plan leaves `image_tags` unknown for an image it promotes (another
    /// resource of the same apply may tag the same image, and Terraform's second plan would
    /// then see one more tag than the first); apply records these.
    #[serde(default)]
    pub(crate) image_tags: BTreeMap<String, Vec<String>>,
}

impl PlannedPrivate {
    /// The bytes to store.
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Anything that is not ours (empty, or written by another version) reads as no promise.
    pub(crate) fn decode(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_default()
    }
}

/// What the plan of one image needs beyond the image's own values.
#[derive(Debug, Clone)]
pub(crate) struct PlanInputs<'a> {
    /// The environment tag (known: the caller plans unknown inputs otherwise).
    pub(crate) tag: &'a Tf<String>,
    /// `triggers` changed: every service redeploys.
    pub(crate) triggers_changed: bool,
    /// Something else of the resource changed that apply records by promoting again.
    pub(crate) other_changes: bool,
    /// `wait_for_rollout`, when known.
    pub(crate) waits: Option<bool>,
    /// Where the image's attributes are.
    pub(crate) at: &'a ImagePaths,
}

/// What the plan of one image decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImagePlan {
    /// Apply promotes this image (it changes, or a rollout is unfinished).
    pub(crate) promotes: bool,
    /// Every service redeploys (the tag moves, or triggers changed).
    pub(crate) redeploy_all: bool,
    /// For an image it promotes: the tags it carries after the promotion, as read at plan
    /// (`image_tags` itself is planned unknown; see [`PlannedPrivate::image_tags`]).
    pub(crate) image_tags: Option<Vec<String>>,
}

/// Refines the planned values of one image (`prior`: its refreshed state, when it has one).
pub(crate) async fn plan_image(
    clients: &Clients,
    planned: &mut ImageModel,
    prior: Option<&ImageModel>,
    inputs: &PlanInputs<'_>,
) -> Result<ImagePlan, Diagnostics> {
    let Some(target) = Target::from_image(planned, inputs.tag) else {
        // Something the plan depends on is known only after apply.
        unknown_inputs(planned);
        return Ok(ImagePlan {
            promotes: true,
            redeploy_all: false,
            image_tags: None,
        });
    };
    // A prior image of another repository says nothing about this one's tag.
    let prior = prior.filter(|p| super::repository_ref(p) == target.repository);
    let at = inputs.at.attributes();
    let ecr = clients.own_ecr();

    // Where the tag points now: the refreshed state knows it; for a new image, ask ECR (in the
    // same DescribeImages call as the release).
    let env = ImageSelector::Tag(target.tag.clone());
    let (release, current) = match prior {
        None => {
            let mut found = ecr
                .images(&target.repository, &[target.release.clone(), env])
                .await
                .map_err(|e| errors::ecr("Resolve Release Error", &e, &at))?;
            let current = found.pop().flatten().map(|d| d.digest);
            (found.pop().flatten(), current)
        }
        Some(prior) => {
            let found = ecr
                .images(&target.repository, std::slice::from_ref(&target.release))
                .await
                .map_err(|e| errors::ecr("Resolve Release Error", &e, &at))?;
            let current = prior
                .image_digest
                .as_str()
                .and_then(|d| Digest::parse(d).ok());
            (found.into_iter().next().flatten(), current)
        }
    };
    let release = release.ok_or_else(|| missing_release(&target, inputs.at))?;

    let moves = current.as_ref() != Some(&release.digest);
    // Every service redeploys when the tag moves (none can run the new digest yet) or when
    // triggers changed; otherwise apply adopts the services already on the digest.
    let redeploy_all = moves || inputs.triggers_changed;
    let promotes = redeploy_all
        || inputs.other_changes
        || prior != Some(&*planned)
        || unfinished(prior, planned, inputs.waits);
    let checked = if promotes {
        Some(
            validate_targets(
                clients,
                &ecr,
                &target,
                current.as_ref(),
                &release.digest,
                moves,
                inputs.at,
            )
            .await?,
        )
    } else {
        None
    };

    planned.image_digest = Tf::Known(release.digest.to_string());
    planned.previous_digest = if moves {
        current.as_ref().map(ToString::to_string).into()
    } else {
        prior.map(|p| p.previous_digest.clone()).unwrap_or_default()
    };
    let tags = tags_after(&release, &target.tag);
    let promised_tags = if promotes {
        planned.image_tags = Tf::Unknown;
        Some(tags)
    } else {
        planned.image_tags = Tf::Known(tags);
        None
    };
    match (checked, prior) {
        (Some((repository, services)), _) => redeploy(
            planned,
            &repository,
            &release.digest,
            &services,
            inputs.waits,
            redeploy_all,
        ),
        (None, Some(prior)) => {
            // Nothing changes: every apply-time value stays as the last apply left it.
            planned.image_uri = prior.image_uri.clone();
            planned.deployments = prior.deployments.clone();
            planned.rollouts = prior.rollouts.clone();
        }
        (None, None) => {}
    }
    Ok(ImagePlan {
        promotes,
        redeploy_all,
        image_tags: promised_tags,
    })
}

/// The values of a plan that promotes (or redeploys): the image URI from the repository the
/// plan looked up, a deployment for each service (its id known after apply), and the rollouts
/// as they will stand when apply succeeds, where that is certain: after a wait, every service
/// deployment is SUCCESSFUL; without one, a deployment apply starts is PENDING, while one it
/// adopts is recorded as last seen.
fn redeploy(
    planned: &mut ImageModel,
    repository: &Repository,
    digest: &Digest,
    services: &[ServiceState],
    waits: Option<bool>,
    redeploy_all: bool,
) {
    planned.image_uri = if repository.uri.is_empty() {
        Tf::Unknown
    } else {
        Tf::Known(format!("{}@{digest}", repository.uri))
    };
    planned.deployments = Tf::Known(
        services
            .iter()
            .map(|s| (s.name.clone(), Tf::Unknown))
            .collect(),
    );
    let (status, rollout_state, rfc_status, stage) = match (waits, redeploy_all) {
        (Some(true), _) => known(&WAITED),
        (Some(false), true) => known(&STARTED),
        _ => (Tf::Unknown, Tf::Unknown, Tf::Unknown, Tf::Unknown),
    };
    planned.rollouts = Tf::Known(
        services
            .iter()
            .map(|s| {
                let rollout = Rollout {
                    service_arn: Tf::Known(s.arn.clone()),
                    strategy: Tf::Known(s.strategy.to_string()),
                    status: status.clone(),
                    lifecycle_stage: stage.clone(),
                    rollout_state: rollout_state.clone(),
                    rfc_status: rfc_status.clone(),
                };
                (s.name.clone(), rollout)
            })
            .collect::<BTreeMap<_, _>>(),
    );
}

/// A planned status, rollout state and RFC status as ECS and the RFC spell them, and the
/// lifecycle stage that goes with them (null: a deployment that ended, or has not started, is
/// at no stage).
fn known(
    (status, rollout_state, rfc_status): &(ServiceDeploymentStatus, RolloutState, RfcStatus),
) -> (Tf<String>, Tf<String>, Tf<String>, Tf<String>) {
    (
        Tf::Known(status.to_string()),
        Tf::Known(rollout_state.to_string()),
        Tf::Known(rfc_status.to_string()),
        Tf::Null,
    )
}

/// An image whose inputs are not all known yet: every value apply decides is unknown, except a
/// pinned `image_digest` that is already known.
pub(crate) fn unknown_inputs(planned: &mut ImageModel) {
    if !planned.image_digest.is_known() {
        planned.image_digest = Tf::Unknown;
    }
    planned.previous_digest = Tf::Unknown;
    planned.image_tags = Tf::Unknown;
    planned.image_uri = Tf::Unknown;
    planned.deployments = Tf::Unknown;
    planned.rollouts = Tf::Unknown;
}

/// Plan-time checks before anything can move: the tag may be moved (mutability) and the
/// cluster and services exist. Only run when the plan changes something. Returns the
/// repository and the services as ECR and ECS reported them. The services are described
/// through the shared reads, so the images of a set in one cluster share their calls.
async fn validate_targets(
    clients: &Clients,
    ecr: &Ecr,
    target: &Target,
    current: Option<&Digest>,
    release: &Digest,
    moves: bool,
    at: &ImagePaths,
) -> Result<(Repository, Vec<ServiceState>), Diagnostics> {
    let ecs = clients.shared_ecs();
    let attributes = at.attributes();
    let (repository, services) = tokio::join!(
        ecr.repository(&target.repository),
        ecs.services(&target.cluster, &target.services)
    );
    let repository = repository.map_err(|e| errors::ecr("Repository Error", &e, &attributes))?;
    let mut diags = Diagnostics::new();
    // A tag that does not exist yet may be created even when immutable; an existing one cannot move.
    if moves && current.is_some() && repository.mutability.is_immutable(&target.tag) {
        let filters = if repository.mutability.exclusion_filters.is_empty() {
            String::new()
        } else {
            format!(
                " with exclusion filters {}",
                repository.mutability.exclusion_filters.join(", ")
            )
        };
        diags.push(
            Diagnostic::error(
                "Immutable Environment Tag",
                format!(
                    "Tag {:?} is immutable in repository {} (imageTagMutability {}{filters}), so ECR will refuse to move it from {} to {release}. Make the environment tag mutable, e.g. IMMUTABLE_WITH_EXCLUSION with a filter matching {:?}, which keeps release tags immutable.",
                    target.tag,
                    target.repository,
                    repository.mutability.mode,
                    current.map(Digest::as_str).unwrap_or("nothing"),
                    target.tag
                ),
            )
            .at(at.tag.clone()),
        );
    }
    let services = match services {
        Ok(services) => services,
        Err(e) => {
            diags.push(errors::ecs("Service Lookup Error", &e, &attributes));
            Vec::new()
        }
    };
    for service in &services {
        if let Some(refusal) = not_deployable(service, at) {
            diags.push(refusal);
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((repository, services))
    }
}

/// A service whose deployments ECS does not start on UpdateService (the CODE_DEPLOY and
/// EXTERNAL deployment controllers): a forced new deployment would be refused, or deploy
/// nothing, so the promotion is refused before the tag moves (and the `tagdeploy_redeploy`
/// action before it starts).
pub(crate) fn not_deployable(service: &ServiceState, at: &ImagePaths) -> Option<Diagnostic> {
    let how = match &service.deployment_controller {
        DeploymentController::Ecs => return None,
        DeploymentController::CodeDeploy => {
            "its deployments are made by AWS CodeDeploy (deployment controller CODE_DEPLOY): ECS refuses to force a new deployment of it, and only a CodeDeploy deployment replaces its tasks"
        }
        DeploymentController::External => {
            "its deployments are made through task sets by another tool (deployment controller EXTERNAL): ECS refuses to force a new deployment of it"
        }
        DeploymentController::Other(_) => {
            "its deployment controller is not ECS, so ECS does not deploy it on UpdateService"
        }
    };
    let services = at.attr(super::ImageModel::services);
    Some(
        Diagnostic::error(
            "Service Not Deployable",
            format!(
                "Service {} uses the {} deployment controller: {how}. This provider redeploys services with UpdateService (forceNewDeployment), which needs the ECS deployment controller (with any strategy: ROLLING, BLUE_GREEN, LINEAR or CANARY). Remove the service from `{services}`, or move it to the ECS controller.",
                service.name, service.deployment_controller
            ),
        )
        .at(services),
    )
}

fn missing_release(target: &Target, at: &ImagePaths) -> Diagnostics {
    let error = match &target.release {
        ImageSelector::Tag(tag) => EcrError::TagNotFound {
            repository: target.repository.clone(),
            tag: tag.clone(),
        },
        ImageSelector::Digest(digest) => EcrError::DigestNotFound {
            repository: target.repository.clone(),
            digest: digest.clone(),
        },
    };
    errors::ecr("Resolve Release Error", &error, &at.attributes()).into()
}

/// Whether the last apply left the promotion unfinished, so this one must go on with it:
/// - a service the configuration names has no recorded deployment (its deployment could not
///   be started, or the service is new): apply starts only what is missing;
/// - a rollout was still in progress (an apply stopped during the wait, e.g. by Ctrl-C) while
///   the configuration asks to wait: apply adopts and waits for it.
fn unfinished(prior: Option<&ImageModel>, planned: &ImageModel, waits: Option<bool>) -> bool {
    let Some(prior) = prior else {
        return false;
    };
    let recorded = prior.deployments.known();
    let missing = planned.services.known().is_some_and(|services| {
        services
            .iter()
            .any(|s| !recorded.is_some_and(|r| r.get(s).is_some_and(Tf::is_known)))
    });
    let in_progress = prior.rollouts.known().is_some_and(|rollouts| {
        rollouts
            .values()
            .any(|r| r.rollout_state.as_str() == Some(RolloutState::InProgress.as_str()))
    });
    missing || (waits.unwrap_or(true) && in_progress)
}

/// The promoted image's tags once `tag` is on it, sorted.
pub(crate) fn tags_after(image: &ImageDetails, tag: &str) -> Vec<String> {
    let mut tags = image.tags.clone();
    if !tags.iter().any(|t| t == tag) {
        tags.push(tag.to_owned());
        tags.sort();
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_services_of_the_ecs_controller_are_deployable() {
        use crate::aws::ecs::model::fixtures::service;
        use crate::tfplugin::diagnostics::AttributePath;
        let top = ImagePaths {
            base: AttributePath::root(),
            tag: AttributePath::attr("tag"),
        };
        let mut web = service(Vec::new(), 2);
        assert!(not_deployable(&web, &top).is_none());
        for (controller, why) in [("CODE_DEPLOY", "AWS CodeDeploy"), ("EXTERNAL", "task sets")] {
            web.deployment_controller = controller.into();
            let refusal = not_deployable(&web, &top).expect("refused");
            assert_eq!(refusal.attribute, Some(AttributePath::attr("services")));
            assert!(
                refusal.detail.starts_with(&format!(
                    "Service svc uses the {controller} deployment controller"
                )) && refusal.detail.contains(why),
                "{refusal}"
            );
        }
        let member = ImagePaths {
            base: AttributePath::attr("images").then_key("api"),
            tag: AttributePath::attr("tag"),
        };
        let refusal = not_deployable(&web, &member).expect("refused");
        assert_eq!(
            refusal.attribute.map(|p| p.to_string()).as_deref(),
            Some("images[\"api\"].services")
        );
    }

    #[test]
    fn tags_after_adds_the_environment_tag_once() {
        let image = ImageDetails {
            digest: Digest::parse(&format!("sha256:{}", "b".repeat(64))).expect("digest"),
            tags: vec!["hash_2".into()],
            media_type: None,
            pushed_at: None,
            size_bytes: None,
            registry_id: None,
        };
        assert_eq!(tags_after(&image, "prod"), ["hash_2", "prod"]);
        assert_eq!(tags_after(&image, "hash_2"), ["hash_2"]);
    }

    #[test]
    fn the_planned_promise_reads_back_and_anything_else_is_none() {
        let promise = PlannedPrivate {
            redeploy_all: ["api".to_owned()].into(),
            image_tags: [(
                "api".to_owned(),
                vec!["hash_2".to_owned(), "prod".to_owned()],
            )]
            .into(),
        };
        assert_eq!(PlannedPrivate::decode(&promise.encode()), promise);
        // A promise written before `image_tags` existed still reads.
        let older = PlannedPrivate::decode(br#"{"redeploy_all":["api"]}"#);
        assert!(older.redeploy_all.contains("api") && older.image_tags.is_empty());
        for other in [&b""[..], b"\x00junk", br#"{"redeploy_all":true}"#] {
            assert!(PlannedPrivate::decode(other).redeploy_all.is_empty());
        }
    }

    #[test]
    fn a_service_without_a_recorded_deployment_leaves_the_promotion_unfinished() {
        let services = |names: &[&str]| Tf::Known(names.iter().map(|s| (*s).to_owned()).collect());
        let recorded = |names: &[&str]| {
            Tf::Known(
                names
                    .iter()
                    .map(|s| ((*s).to_owned(), Tf::Known(format!("ecs-svc/{s}"))))
                    .collect(),
            )
        };
        let prior = ImageModel {
            services: services(&["api", "worker"]),
            deployments: recorded(&["api", "worker"]),
            ..ImageModel::default()
        };
        assert!(!unfinished(Some(&prior), &prior, Some(true)));
        let partial = ImageModel {
            deployments: recorded(&["api"]),
            ..prior.clone()
        };
        assert!(unfinished(Some(&partial), &prior, Some(true)));
        assert!(!unfinished(None, &prior, Some(true)));
        let mut rolling = prior.clone();
        rolling.rollouts = Tf::Known(
            [(
                "api".to_owned(),
                Rollout {
                    rollout_state: "IN_PROGRESS".into(),
                    ..Rollout::default()
                },
            )]
            .into(),
        );
        assert!(unfinished(Some(&rolling), &prior, Some(true)));
        assert!(!unfinished(Some(&rolling), &prior, Some(false)));
    }
}
