//! Apply: promote, as one [`Promotion`], every image the plan promotes (the others stay as they
//! are), and record where each image really stands, on success and on failure alike.

use std::collections::BTreeMap;

use futures::future::join_all;

use super::image_paths;
use super::model::ReleaseModel;
use crate::aws::ecs::LogProgress;
use crate::aws::promote::{self, Outcome, Promotion};
use crate::errors;
use crate::provider_data::ProviderData;
use crate::resources::promotion::{
    self as shared, ImageModel, PlannedPrivate, image_after, now_rfc3339, repository_uri, settle,
    wait_options, within_timeout,
};
use crate::resources::timeouts::Operation;
use crate::tfplugin::diagnostics::Diagnostic;
use crate::tfplugin::framework::{ApplyError, Change, Ctx};
use crate::tfplugin::model::Tf;

/// Create and update: run the promotion the plan described and record the outcome.
pub(super) async fn promote(
    ctx: &mut Ctx<'_, ProviderData>,
    change: Change<'_, ReleaseModel>,
    operation: Operation,
) -> Result<ReleaseModel, ApplyError<ReleaseModel>> {
    let planned = change.planned;
    let images = planned.known_images().ok_or_else(|| {
        Diagnostic::error(
            "Incomplete Plan",
            "The planned images of tagdeploy_release are not known at apply; this is a bug in the provider.",
        )
    })?;
    let promise = PlannedPrivate::decode(ctx.private());
    let triggers_changed = change.prior.is_some_and(|p| p.triggers != planned.triggers);
    // The plan leaves the deployment ids of exactly the images it promotes to apply (unknown);
    // an image it does not promote keeps the ones the last apply recorded.
    let promoted: Vec<&String> = images
        .iter()
        .filter(|(_, image)| !deployments_known(image))
        .map(|(name, _)| name)
        .collect();
    let mut members = Vec::with_capacity(promoted.len());
    for name in &promoted {
        let force = triggers_changed || promise.redeploy_all.contains(*name);
        members.push(shared::member(name, &images[*name], &planned.tag, force)?);
    }
    // The promise travels from plan to apply only; the state keeps no private data.
    ctx.set_private(Vec::new());
    let mut state = planned.clone();
    settle(&mut state.id);
    settle(&mut state.release_id);
    if members.is_empty() {
        // Nothing to promote (e.g. only `description` or an image's removal changed).
        settle(&mut state.promoted_at);
        return Ok(state);
    }

    let clients = ctx.data().clients()?;
    let ecr = clients.own_ecr();
    let ecs = clients.shared_ecs();
    let wait = wait_options(
        ctx,
        &planned.wait_for_rollout,
        &planned.timeouts,
        operation,
        &planned.pause_hook_action,
    );
    tracing::info!(
        images = %promoted.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(","),
        "promoting a release"
    );
    let promotion = Promotion {
        members,
        wait,
        rollback_on_failure: planned.rollback_on_failure.known().copied().unwrap_or(true),
    };
    let uris: BTreeMap<&String, Option<String>> = promoted
        .iter()
        .copied()
        .zip(join_all(promoted.iter().map(|n| repository_uri(&ecr, &images[*n]))).await)
        .collect();
    // Each service's progress is an INFO log line (TF_LOG=INFO shows it).
    // Every call is paced and retried until the resource's timeout (see `within_timeout`).
    let run = promote::promote(&ecr, &ecs, &promotion, &LogProgress);
    let run = within_timeout(ctx, &planned.timeouts, operation, run);
    let (outcome, error) = match run.await {
        Ok(outcome) => (outcome, None),
        Err(failure) => {
            let diagnostic = errors::promotion(&failure, &|name| image_paths(name).attributes());
            (failure.outcome.clone(), Some(diagnostic))
        }
    };
    state.images = Tf::Known(images_after(
        images,
        &outcome,
        &uris,
        error.is_none(),
        &promise.image_tags,
    ));
    state.promoted_at = Tf::Known(now_rfc3339());
    match error {
        None => Ok(state),
        Some(diagnostic) => Err(ApplyError::from(diagnostic).with_state(state)),
    }
}

/// Whether the image's deployment ids are all known (the plan does not promote it).
fn deployments_known(image: &ImageModel) -> bool {
    image
        .deployments
        .known()
        .is_some_and(|d| d.values().all(Tf::is_known))
}

/// Every image after the promotion: the promoted ones as the engine left them, the others as
/// planned.
fn images_after(
    planned: &BTreeMap<String, ImageModel>,
    outcome: &Outcome,
    uris: &BTreeMap<&String, Option<String>>,
    succeeded: bool,
    promised_tags: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, ImageModel> {
    planned
        .iter()
        .map(|(name, image)| {
            let after = match outcome.member(name) {
                Some(member) => {
                    let uri = uris.get(name).cloned().flatten();
                    image_after(
                        image,
                        member,
                        uri.as_deref(),
                        succeeded,
                        promised_tags.get(name),
                    )
                }
                None => image.clone(),
            };
            (name.clone(), after)
        })
        .collect()
}
