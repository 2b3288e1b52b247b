//! Apply: run the promotion the plan described ([`crate::aws::promote`]: retag by digest,
//! redeploy, wait, roll back on failure) and record where things really stand, on success and
//! on failure alike.

use super::model::{ProdTagModel, Rollout};
use super::plan::{PlannedPrivate, triggers_changed};
use super::{Target, attributes};
use crate::aws::ecr::Ecr;
use crate::aws::ecs::{Ecs, LogProgress, PauseAction, WaitOptions};
use crate::aws::image::Digest;
use crate::aws::promote::{self, Outcome, Promotion};
use crate::errors;
use crate::provider_data::ProviderData;
use crate::resources::timeouts::{Operation, Timeouts};
use crate::tfplugin::diagnostics::Diagnostic;
use crate::tfplugin::framework::{ApplyError, Change, Ctx};
use crate::tfplugin::model::Tf;

/// Create and update: run the promotion the plan described and record the outcome.
pub(super) async fn promote(
    ctx: &mut Ctx<'_, ProviderData>,
    change: Change<'_, ProdTagModel>,
    operation: Operation,
) -> Result<ProdTagModel, ApplyError<ProdTagModel>> {
    let planned = change.planned;
    let target = Target::from_model(planned).ok_or_else(|| {
        Diagnostic::error("Incomplete Plan", "The planned values of tagdeploy_prod_tag are not all known at apply; this is a bug in the provider.")
    })?;
    let digest = planned
        .image_digest
        .as_str()
        .and_then(|d| Digest::parse(d).ok())
        .ok_or_else(|| {
            Diagnostic::error(
                "Incomplete Plan",
                "The planned image_digest is not known at apply; this is a bug in the provider.",
            )
        })?;
    let previous = planned
        .previous_digest
        .as_str()
        .and_then(|d| Digest::parse(d).ok());
    let clients = ctx.data().clients()?;
    let ecr = Ecr::new(clients.ecr.clone());
    let ecs = Ecs::new(clients.ecs.clone());
    let wait = planned
        .wait_for_rollout
        .known()
        .copied()
        .unwrap_or(true)
        .then(|| WaitOptions {
            on_pause: pause_action(planned),
            ..WaitOptions::new(
                Timeouts::get(&planned.timeouts, operation),
                ctx.cancellation().clone(),
            )
        });
    let promotion = Promotion {
        repository: target.repository.clone(),
        tag: target.tag.clone(),
        target: digest.clone(),
        previous,
        cluster: target.cluster.clone(),
        services: target.services.clone(),
        force_redeploy: triggers_changed(change.prior, planned)
            || PlannedPrivate::decode(ctx.private()).redeploy_all,
        wait,
        rollback_on_failure: planned.rollback_on_failure.known().copied().unwrap_or(true),
    };
    tracing::info!(
        repository = %promotion.repository.name,
        tag = %promotion.tag,
        digest = %digest,
        "promoting"
    );
    // The promise travels from plan to apply only; the state keeps no private data.
    ctx.set_private(Vec::new());
    // The repository URI: the plan put it into image_uri; a plan that could not (its inputs
    // were unknown) leaves it to one DescribeRepositories call.
    let repository_uri = match planned.image_uri.as_str() {
        Some(uri) => uri.split_once('@').map(|(base, _)| base.to_owned()),
        None => ecr.repository(&target.repository).await.ok().map(|r| r.uri),
    };
    // Each service's progress is an INFO log line (TF_LOG=INFO shows it).
    match promote::promote(&ecr, &ecs, &promotion, &LogProgress).await {
        Ok(outcome) => Ok(state_after(
            planned,
            &outcome,
            repository_uri.as_deref(),
            true,
        )),
        Err(failure) => {
            let diagnostic = errors::promotion(&failure, &attributes());
            let state = state_after(planned, &failure.outcome, repository_uri.as_deref(), false);
            Err(ApplyError::from(diagnostic).with_state(state))
        }
    }
}

/// The state after a promotion (successful or not): the plan, with where the tag really
/// points, the deployments recorded, and the promotion time.
pub(super) fn state_after(
    planned: &ProdTagModel,
    outcome: &Outcome,
    repository_uri: Option<&str>,
    succeeded: bool,
) -> ProdTagModel {
    let mut state = planned.clone();
    let tag_digest = outcome.tag_digest.as_ref().map(ToString::to_string);
    if !succeeded {
        // The truth, even when it is not what was planned.
        state.image_digest = tag_digest.clone().into();
    }
    if !state.image_uri.is_known() || !succeeded {
        state.image_uri = match (repository_uri, &tag_digest) {
            (Some(base), Some(digest)) => Tf::Known(format!("{base}@{digest}")),
            _ => Tf::Null,
        };
    }
    state.deployments = Tf::Known(
        outcome
            .deployments
            .iter()
            .map(|d| {
                // The service deployment's ARN; the deployment id where ECS reported none.
                let id = d
                    .deployment
                    .service_deployment_arn
                    .clone()
                    .unwrap_or_else(|| d.deployment.deployment_id.clone());
                (d.deployment.service.clone(), Tf::Known(id))
            })
            .collect(),
    );
    state.rollouts = Tf::Known(
        outcome
            .deployments
            .iter()
            .map(|d| {
                let text = |value: Option<String>| -> Tf<String> { value.into() };
                let rollout = Rollout {
                    service_arn: Tf::Known(d.deployment.service_arn.clone()),
                    strategy: text(d.strategy().map(|s| s.to_string())),
                    status: text(d.status().map(|s| s.to_string())),
                    lifecycle_stage: text(d.lifecycle_stage().map(|s| s.to_string())),
                    rollout_state: text(d.rollout_state().map(|s| s.to_string())),
                    rfc_status: text(d.rfc_status().map(|s| s.to_string())),
                };
                (d.deployment.service.clone(), rollout)
            })
            .collect(),
    );
    state.promoted_at = Tf::Known(now_rfc3339());
    // A value the plan left unknown and apply did not decide is recorded as null: state holds
    // no unknowns.
    settle(&mut state.id);
    settle(&mut state.previous_digest);
    settle(&mut state.image_tags);
    settle(&mut state.image_digest);
    state
}

/// What the wait does with PAUSE hooks, from `pause_hook_action` (validated at plan).
fn pause_action(planned: &ProdTagModel) -> PauseAction {
    match planned.pause_hook_action.as_str() {
        Some("CONTINUE") => PauseAction::Continue,
        Some("ROLLBACK") => PauseAction::Rollback,
        _ => PauseAction::Wait,
    }
}

/// Null for a value that is not known.
fn settle<T>(value: &mut Tf<T>) {
    if value.is_unknown() {
        *value = Tf::Null;
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
