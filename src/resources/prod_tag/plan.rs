//! Plan: resolve the release to a digest and show the promotion as a release note (the digest
//! the tag moves from and to, the image URI, one line per service that redeploys), and refuse,
//! with the attribute at fault, a missing repository, release, cluster or service, or an
//! immutable environment tag, before anything moves.

use std::collections::BTreeMap;

use super::model::{ProdTagModel, Rollout};
use super::{Target, attributes};
use crate::aws::ecr::{Ecr, ImageDetails, Repository};
use crate::aws::ecs::{
    DeploymentController, Ecs, RfcStatus, RolloutState, ServiceDeploymentStatus, ServiceState,
};
use crate::aws::error::EcrError;
use crate::aws::image::{Digest, ImageSelector};
use crate::errors;
use crate::provider_data::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Ctx, Plan};
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

/// What plan hands to apply in the planned private state: whether the plan promised that every
/// service redeploys. Apply then forces the redeploys even if it finds the tag already on the
/// digest (someone moved it between plan and apply), so the state it records is the one
/// planned.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct PlannedPrivate {
    pub(super) redeploy_all: bool,
}

impl PlannedPrivate {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Anything that is not ours (empty, or written by another version) reads as no promise.
    pub(super) fn decode(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_default()
    }
}

/// Refines the framework's plan of a create or update.
pub(super) async fn plan(
    ctx: &mut Ctx<'_, ProviderData>,
    plan: &mut Plan<ProdTagModel>,
) -> Result<(), Diagnostics> {
    let Some(target) = Target::from_model(plan.planned()) else {
        // Something the plan depends on is known only after apply.
        unknown_inputs(plan.planned_mut());
        return Ok(());
    };
    let clients = ctx.data().clients()?;
    let ecr = Ecr::new(clients.ecr.clone());
    let prior = plan.prior().cloned();

    // Where the tag points now: the refreshed state knows it; on create, ask ECR (in the same
    // DescribeImages call as the release).
    let env = ImageSelector::Tag(target.tag.clone());
    let (release, current) = match &prior {
        None => {
            let mut found = ecr
                .images(&target.repository, &[target.release.clone(), env])
                .await
                .map_err(|e| errors::ecr("Resolve Release Error", &e, &attributes()))?;
            let current = found.pop().flatten().map(|d| d.digest);
            (found.pop().flatten(), current)
        }
        Some(prior) => {
            let found = ecr
                .images(&target.repository, std::slice::from_ref(&target.release))
                .await
                .map_err(|e| errors::ecr("Resolve Release Error", &e, &attributes()))?;
            let current = prior
                .image_digest
                .as_str()
                .and_then(|d| Digest::parse(d).ok());
            (found.into_iter().next().flatten(), current)
        }
    };
    let release = release.ok_or_else(|| missing_release(&target))?;

    let moves = current.as_ref() != Some(&release.digest);
    // Every service redeploys when the tag moves (none can run the new digest yet) or when
    // triggers changed; otherwise apply adopts the services already on the digest.
    let redeploy_all = moves || triggers_changed(prior.as_ref(), plan.planned());
    let changing = redeploy_all
        || prior.as_ref() != Some(plan.planned())
        || rollout_unfinished(prior.as_ref(), plan.planned());
    let checked = if changing {
        Some(
            validate_targets(
                ctx.data(),
                &ecr,
                &target,
                current.as_ref(),
                &release.digest,
                moves,
            )
            .await?,
        )
    } else {
        None
    };
    // Apply keeps the plan's promise that every service redeploys (see `PlannedPrivate`).
    ctx.set_private(PlannedPrivate { redeploy_all }.encode());

    let planned = plan.planned_mut();
    planned.id = planned.import_id();
    planned.image_digest = Tf::Known(release.digest.to_string());
    planned.previous_digest = if moves {
        current.as_ref().map(ToString::to_string).into()
    } else {
        prior
            .as_ref()
            .map(|p| p.previous_digest.clone())
            .unwrap_or_default()
    };
    planned.image_tags = Tf::Known(tags_after(&release, &target.tag));
    match (checked, &prior) {
        (Some((repository, services)), _) => {
            let waits = planned.wait_for_rollout.known().copied();
            redeploy(
                planned,
                &repository,
                &release.digest,
                &services,
                waits,
                redeploy_all,
            );
        }
        (None, Some(prior)) => {
            // Nothing changes: every apply-time value stays as the last apply left it.
            planned.image_uri = prior.image_uri.clone();
            planned.deployments = prior.deployments.clone();
            planned.rollouts = prior.rollouts.clone();
            planned.promoted_at = prior.promoted_at.clone();
        }
        (None, None) => {}
    }
    Ok(())
}

/// The values of a plan that promotes (or redeploys): the image URI from the repository the
/// plan looked up, a deployment for each service (its id known after apply), and the rollouts
/// as they will stand when apply succeeds, where that is certain: after a wait, every
/// deployment is PRIMARY and COMPLETED; without one, a deployment apply starts is PRIMARY and
/// IN_PROGRESS, while one it adopts is recorded as last seen.
fn redeploy(
    planned: &mut ProdTagModel,
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
    planned.promoted_at = Tf::Unknown;
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

/// A plan whose inputs are not all known yet: every value apply decides is unknown, except a
/// pinned `image_digest` that is already known.
fn unknown_inputs(planned: &mut ProdTagModel) {
    if !planned.image_digest.is_known() {
        planned.image_digest = Tf::Unknown;
    }
    planned.previous_digest = Tf::Unknown;
    planned.image_tags = Tf::Unknown;
    planned.image_uri = Tf::Unknown;
    planned.deployments = Tf::Unknown;
    planned.rollouts = Tf::Unknown;
    planned.promoted_at = Tf::Unknown;
    planned.id = planned.import_id();
}

/// Plan-time checks before anything can move: the tag may be moved (mutability) and the
/// cluster and services exist. Only run when the plan changes something. Returns the
/// repository and the services as ECR and ECS reported them.
async fn validate_targets(
    data: &ProviderData,
    ecr: &Ecr,
    target: &Target,
    current: Option<&Digest>,
    release: &Digest,
    moves: bool,
) -> Result<(Repository, Vec<ServiceState>), Diagnostics> {
    let clients = data.clients()?;
    let ecs = Ecs::new(clients.ecs.clone());
    let (repository, services) = tokio::join!(
        ecr.repository(&target.repository),
        ecs.services(&target.cluster, &target.services)
    );
    let repository = repository.map_err(|e| errors::ecr("Repository Error", &e, &attributes()))?;
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
            .at(AttributePath::attr(ProdTagModel::tag)),
        );
    }
    let services = match services {
        Ok(services) => services,
        Err(e) => {
            diags.push(errors::ecs("Service Lookup Error", &e, &attributes()));
            Vec::new()
        }
    };
    for service in &services {
        if let Some(refusal) = not_deployable(service, "tagdeploy_prod_tag") {
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
/// action before it starts). `who` names what redeploys.
pub(crate) fn not_deployable(service: &ServiceState, who: &str) -> Option<Diagnostic> {
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
    Some(
        Diagnostic::error(
            "Service Not Deployable",
            format!(
                "Service {} uses the {} deployment controller: {how}. {who} redeploys services with UpdateService (forceNewDeployment), which needs the ECS deployment controller (with any strategy: ROLLING, BLUE_GREEN, LINEAR or CANARY). Remove the service from `services`, or move it to the ECS controller.",
                service.name, service.deployment_controller
            ),
        )
        .at(AttributePath::attr(ProdTagModel::services)),
    )
}

fn missing_release(target: &Target) -> Diagnostics {
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
    errors::ecr("Resolve Release Error", &error, &attributes()).into()
}

/// Whether the prior state recorded a rollout still in progress (an apply stopped during the
/// wait, e.g. by Ctrl-C) while the configuration asks to wait: the next apply must adopt and
/// wait for it (the promotion does not redeploy a service already rolling out the digest).
fn rollout_unfinished(prior: Option<&ProdTagModel>, planned: &ProdTagModel) -> bool {
    let waits = planned.wait_for_rollout.known().copied().unwrap_or(true);
    let in_progress = prior
        .and_then(|p| p.rollouts.known())
        .is_some_and(|rollouts| {
            rollouts
                .values()
                .any(|r| r.rollout_state.as_str() == Some(RolloutState::InProgress.as_str()))
        });
    waits && in_progress
}

/// Whether `triggers` changed since the prior state (any change forces a redeploy).
pub(super) fn triggers_changed(prior: Option<&ProdTagModel>, planned: &ProdTagModel) -> bool {
    prior.is_some_and(|p| p.triggers != planned.triggers)
}

/// The promoted image's tags once `tag` is on it, sorted.
pub(super) fn tags_after(image: &ImageDetails, tag: &str) -> Vec<String> {
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
    use crate::aws::ecs::model::fixtures::service;

    #[test]
    fn only_services_of_the_ecs_controller_are_deployable() {
        let mut web = service(Vec::new(), 2);
        assert!(not_deployable(&web, "tagdeploy_prod_tag").is_none());
        for (controller, why) in [("CODE_DEPLOY", "AWS CodeDeploy"), ("EXTERNAL", "task sets")] {
            web.deployment_controller = controller.into();
            let refusal = not_deployable(&web, "tagdeploy_prod_tag").expect("refused");
            assert_eq!(refusal.attribute, Some(AttributePath::attr("services")));
            assert!(
                refusal.detail.starts_with(&format!(
                    "Service svc uses the {controller} deployment controller"
                )) && refusal.detail.contains(why),
                "{refusal}"
            );
        }
    }
}
