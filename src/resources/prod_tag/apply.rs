//! Apply: run the promotion the plan described ([`crate::aws::promote`], a set of one: retag
//! by digest, redeploy, wait, roll back on failure) and record where things really stand, on
//! success and on failure alike.

use super::model::ProdTagModel;
use super::plan::{member_name, triggers_changed};
use crate::aws::ecs::LogProgress;
use crate::aws::promote::{self, Promotion};
use crate::errors;
use crate::provider_data::ProviderData;
use crate::resources::promotion::{
    self as shared, PlannedPrivate, image_after, now_rfc3339, repository_uri, settle, wait_options,
    within_timeout,
};
use crate::resources::timeouts::Operation;
use crate::tfplugin::framework::{ApplyError, Change, Ctx};
use crate::tfplugin::model::Tf;

/// Create and update: run the promotion the plan described and record the outcome.
pub(super) async fn promote(
    ctx: &mut Ctx<'_, ProviderData>,
    change: Change<'_, ProdTagModel>,
    operation: Operation,
) -> Result<ProdTagModel, ApplyError<ProdTagModel>> {
    let planned = change.planned;
    let image = planned.image();
    let name = member_name(planned);
    let promise = PlannedPrivate::decode(ctx.private());
    let force = triggers_changed(change.prior, planned) || promise.redeploy_all.contains(&name);
    let member = shared::member(&name, &image, &planned.tag, force)?;
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
        repository = %member.repository.name,
        tag = %member.tag,
        digest = %member.target,
        "promoting"
    );
    let promotion = Promotion::single(
        member,
        wait,
        planned.rollback_on_failure.known().copied().unwrap_or(true),
    );
    // The promise travels from plan to apply only; the state keeps no private data.
    ctx.set_private(Vec::new());
    let uri = repository_uri(&ecr, &image).await;
    // Each service's progress is an INFO log line (TF_LOG=INFO shows it).
    // Every call is paced and retried until the resource's timeout (see `within_timeout`).
    let run = promote::promote(&ecr, &ecs, &promotion, &LogProgress);
    let run = within_timeout(ctx, &planned.timeouts, operation, run);
    let (outcome, error) = match run.await {
        Ok(outcome) => (outcome, None),
        Err(failure) => {
            let diagnostic = errors::promotion(&failure, &|_| super::paths().attributes());
            (failure.outcome.clone(), Some(diagnostic))
        }
    };
    let mut state = planned.clone();
    if let Some(member) = outcome.members.first() {
        state.set_image(image_after(
            &image,
            member,
            uri.as_deref(),
            error.is_none(),
            promise.image_tags.get(&name),
        ));
    }
    state.promoted_at = Tf::Known(now_rfc3339());
    settle(&mut state.id);
    match error {
        None => Ok(state),
        Some(diagnostic) => Err(ApplyError::from(diagnostic).with_state(state)),
    }
}
