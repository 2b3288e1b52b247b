//! Plan: every image's plan (the one `tagdeploy_prod_tag` has: resolve the release, refuse
//! what apply could not do, plan the release note), all images at once; one image refused
//! refuses the whole plan, with the path of that image's attribute, before anything moves.
//! Here only what is the set's own: `id`, `release_id`, `promoted_at`, the promise to apply,
//! and a warning for images removed from the set.

use futures::future::join_all;

use super::model::ReleaseModel;
use super::{id_of, image_paths};
use crate::provider_data::ProviderData;
use crate::resources::promotion::{self, ImagePaths, PlanInputs, PlannedPrivate};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Ctx, Plan};
use crate::tfplugin::model::Tf;

/// Refines the framework's plan of a create or update.
pub(super) async fn plan(
    ctx: &mut Ctx<'_, ProviderData>,
    plan: &mut Plan<ReleaseModel>,
) -> Result<(), Diagnostics> {
    let prior = plan.prior().cloned();
    let config_release_id = plan.config().release_id.clone();
    let planned = plan.planned_mut();
    planned.id = id_of(planned);
    if let Some(prior) = &prior {
        warn_removed(ctx, prior, planned);
    }
    let tag = planned.tag.clone();
    let triggers_changed = prior
        .as_ref()
        .is_some_and(|p| p.triggers != planned.triggers);
    let waits = planned.wait_for_rollout.known().copied();
    let mut images = match std::mem::take(&mut planned.images) {
        Tf::Known(images) => images,
        other => {
            // Which images there are is known only after apply.
            planned.images = other;
            planned.promoted_at = Tf::Unknown;
            if config_release_id.is_null() {
                planned.release_id = Tf::Unknown;
            }
            return Ok(());
        }
    };
    let clients = ctx.data().clients()?;
    let paths: Vec<ImagePaths> = images.keys().map(|name| image_paths(name)).collect();
    let prior_images = prior.as_ref().and_then(|p| p.known_images());
    let tag = &tag;
    let plans = join_all(images.iter_mut().zip(&paths).map(|((name, image), at)| {
        let prior = prior_images.and_then(|p| p.get(name));
        let inputs = PlanInputs {
            tag,
            triggers_changed,
            other_changes: false,
            waits,
            at,
        };
        async move {
            if !tag.is_known() {
                promotion::unknown_inputs(image);
                return Ok(promotion::ImagePlan {
                    promotes: true,
                    redeploy_all: false,
                    image_tags: None,
                });
            }
            promotion::plan_image(clients, image, prior, &inputs).await
        }
    }))
    .await;
    let mut diags = Diagnostics::new();
    let mut promise = PlannedPrivate::default();
    let mut promotes = false;
    for (name, plan) in images.keys().zip(plans) {
        match plan {
            Ok(plan) => {
                promotes |= plan.promotes;
                if plan.redeploy_all {
                    promise.redeploy_all.insert(name.clone());
                }
                if let Some(tags) = plan.image_tags {
                    promise.image_tags.insert(name.clone(), tags);
                }
            }
            Err(refused) => diags.extend(refused),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let planned = plan.planned_mut();
    if config_release_id.is_null() {
        planned.release_id = common_release_tag(&images);
    }
    planned.images = Tf::Known(images);
    planned.promoted_at = match (&prior, promotes) {
        (Some(prior), false) => prior.promoted_at.clone(),
        _ => Tf::Unknown,
    };
    // Apply keeps the plan's promise that every service of these images redeploys.
    ctx.set_private(promise.encode());
    Ok(())
}

/// The release tag every image names, when they all name the same one; null otherwise, and
/// unknown while one is.
fn common_release_tag(
    images: &std::collections::BTreeMap<String, promotion::ImageModel>,
) -> Tf<String> {
    let mut common: Option<&String> = None;
    for image in images.values() {
        match &image.release_tag {
            Tf::Known(tag) if common.is_none_or(|c| c == tag) => common = Some(tag),
            Tf::Known(_) | Tf::Null => return Tf::Null,
            Tf::Unknown | Tf::Partial(_) => return Tf::Unknown,
        }
    }
    common.cloned().into()
}

/// Warns about each image the configuration no longer has: removing it from the set leaves its
/// tag and its services as they are.
fn warn_removed(ctx: &mut Ctx<'_, ProviderData>, prior: &ReleaseModel, planned: &ReleaseModel) {
    let (Some(before), Some(after)) = (prior.known_images(), planned.known_images()) else {
        return;
    };
    let tag = prior.tag.as_str().unwrap_or("prod");
    for (name, image) in before {
        if !after.contains_key(name) {
            let repository = image.repository.as_str().unwrap_or_default();
            ctx.warn(Diagnostic::warning(
                "Image Leaves the Release",
                format!(
                    "Image {name:?} is no longer part of this release: tag {tag:?} stays where it is in repository {repository:?} and its services keep running. Nothing is rolled back or redeployed for it."
                ),
            ));
        }
    }
}
