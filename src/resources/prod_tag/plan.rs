//! Plan: the image's plan is the shared one ([`crate::resources::promotion::plan_image`]:
//! resolve the release, refuse what apply could not do, plan the release note); here only
//! what is this resource's own: `id`, `promoted_at`, and the promise handed to apply.

use super::model::ProdTagModel;
use super::paths;
use crate::provider_data::ProviderData;
use crate::resources::promotion::{self, PlanInputs, PlannedPrivate};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Ctx, Plan};
use crate::tfplugin::model::Tf;

/// Refines the framework's plan of a create or update.
pub(super) async fn plan(
    ctx: &mut Ctx<'_, ProviderData>,
    plan: &mut Plan<ProdTagModel>,
) -> Result<(), Diagnostics> {
    let prior = plan.prior().cloned();
    let planned = plan.planned_mut();
    planned.id = planned.import_id();
    let mut image = planned.image();
    let tag = planned.tag.clone();
    if !tag.is_known() {
        promotion::unknown_inputs(&mut image);
        planned.set_image(image);
        planned.promoted_at = Tf::Unknown;
        return Ok(());
    }
    let clients = ctx.data().clients()?;
    let at = paths();
    let inputs = PlanInputs {
        tag: &tag,
        triggers_changed: triggers_changed(prior.as_ref(), planned),
        other_changes: prior.as_ref() != Some(&*planned),
        waits: planned.wait_for_rollout.known().copied(),
        at: &at,
    };
    let prior_image = prior.as_ref().map(ProdTagModel::image);
    let decided = promotion::plan_image(clients, &mut image, prior_image.as_ref(), &inputs).await?;
    planned.set_image(image);
    planned.promoted_at = match (&prior, decided.promotes) {
        (Some(prior), false) => prior.promoted_at.clone(),
        _ => Tf::Unknown,
    };
    // Apply keeps the plan's promise that every service redeploys (see `PlannedPrivate`).
    let mut promise = PlannedPrivate::default();
    if decided.redeploy_all {
        promise.redeploy_all.insert(member_name(planned));
    }
    if let Some(tags) = decided.image_tags {
        promise.image_tags.insert(member_name(planned), tags);
    }
    ctx.set_private(promise.encode());
    Ok(())
}

/// The name of this resource's image in the engine's promotion (and its private promise).
pub(super) fn member_name(model: &ProdTagModel) -> String {
    model.repository.known().cloned().unwrap_or_default()
}

/// Whether `triggers` changed since the prior state (any change forces a redeploy).
pub(super) fn triggers_changed(prior: Option<&ProdTagModel>, planned: &ProdTagModel) -> bool {
    prior.is_some_and(|p| p.triggers != planned.triggers)
}
