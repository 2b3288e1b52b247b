//! Apply, for one image: the engine's [`Member`] the plan describes, and the image's state
//! after the promotion, successful or not (always where the tag really points).

use super::{ImageModel, Rollout, Target};
use crate::aws::ecr::Ecr;
use crate::aws::ecs::{PauseAction, WaitOptions};
use crate::aws::image::Digest;
use crate::aws::pacing::{self, Budget};
use crate::aws::promote::{Member, MemberOutcome};
use crate::provider_data::ProviderData;
use crate::resources::timeouts::{Operation, Timeouts};
use crate::tfplugin::diagnostics::Diagnostic;
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::model::Tf;

/// The member `name` of the engine's promotion for a planned image with environment tag
/// `tag`; `force_redeploy` when every service must redeploy whatever ECS shows.
pub(crate) fn member(
    name: &str,
    planned: &ImageModel,
    tag: &Tf<String>,
    force_redeploy: bool,
) -> Result<Member, Diagnostic> {
    let incomplete = |what: &str| {
        Diagnostic::error(
            "Incomplete Plan",
            format!("The planned {what} is not known at apply; this is a bug in the provider."),
        )
    };
    let target = Target::from_image(planned, tag).ok_or_else(|| incomplete("image"))?;
    let digest = planned
        .image_digest
        .as_str()
        .and_then(|d| Digest::parse(d).ok())
        .ok_or_else(|| incomplete("image_digest"))?;
    Ok(Member {
        name: name.to_owned(),
        repository: target.repository,
        tag: target.tag,
        target: digest,
        previous: planned
            .previous_digest
            .as_str()
            .and_then(|d| Digest::parse(d).ok()),
        cluster: target.cluster,
        services: target.services,
        force_redeploy,
    })
}

/// The repository URI of a planned image: the plan put it into `image_uri`; a plan that could
/// not (its inputs were unknown) leaves it to one DescribeRepositories call.
pub(crate) async fn repository_uri(ecr: &Ecr, planned: &ImageModel) -> Option<String> {
    match planned.image_uri.as_str() {
        Some(uri) => uri.split_once('@').map(|(base, _)| base.to_owned()),
        None => ecr
            .repository(&super::repository_ref(planned))
            .await
            .ok()
            .map(|r| r.uri),
    }
}

/// The image's state after a promotion (successful or not): the plan, with where the tag
/// really points and the deployments recorded. `promised_tags`: the tags the plan read for
/// the image once promoted (its `image_tags` is unknown when it promotes).
pub(crate) fn image_after(
    planned: &ImageModel,
    outcome: &MemberOutcome,
    repository_uri: Option<&str>,
    succeeded: bool,
    promised_tags: Option<&Vec<String>>,
) -> ImageModel {
    let mut image = planned.clone();
    let tag_digest = outcome.tag_digest.as_ref().map(ToString::to_string);
    if !succeeded {
        // The truth, even when it is not what was planned.
        image.image_digest = tag_digest.clone().into();
    }
    if image.image_tags.is_unknown() {
        // After a failure the tag may point elsewhere: null until the next refresh reads
        // the tags of the image it names, rather than the tags of one it left.
        image.image_tags = match promised_tags {
            Some(tags) if succeeded => Tf::Known(tags.clone()),
            _ => Tf::Null,
        };
    }
    if !image.image_uri.is_known() || !succeeded {
        image.image_uri = match (repository_uri, &tag_digest) {
            (Some(base), Some(digest)) => Tf::Known(format!("{base}@{digest}")),
            _ => Tf::Null,
        };
    }
    image.deployments = Tf::Known(
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
    image.rollouts = Tf::Known(
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
    // A value the plan left unknown and apply did not decide is recorded as null: state holds
    // no unknowns.
    settle(&mut image.previous_digest);
    settle(&mut image.image_tags);
    settle(&mut image.image_digest);
    image
}

/// Null for a value that is not known.
pub(crate) fn settle<T>(value: &mut Tf<T>) {
    if value.is_unknown() {
        *value = Tf::Null;
    }
}

/// Now, as RFC 3339.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How apply waits: the resource's timeout for `operation`, stopped by Terraform's Stop,
/// PAUSE hooks answered as `pause_hook_action` says (validated at plan).
/// `None` when `wait_for_rollout` is false (unknown or null waits, as the attribute's
/// default says).
pub(crate) fn wait_options(
    ctx: &Ctx<'_, ProviderData>,
    wait_for_rollout: &Tf<bool>,
    timeouts: &Tf<Timeouts>,
    operation: Operation,
    pause_hook_action: &Tf<String>,
) -> Option<WaitOptions> {
    wait_for_rollout
        .known()
        .copied()
        .unwrap_or(true)
        .then(|| WaitOptions {
            on_pause: pause_action(pause_hook_action),
            ..WaitOptions::new(
                Timeouts::get(timeouts, operation),
                ctx.cancellation().clone(),
            )
        })
}

/// Runs `work` (a promotion) with every AWS call it makes paced and retried until the
/// operation's timeout, and stopped when Terraform stops.
pub(crate) async fn within_timeout<F: std::future::Future>(
    ctx: &Ctx<'_, ProviderData>,
    timeouts: &Tf<Timeouts>,
    operation: Operation,
    work: F,
) -> F::Output {
    let budget = Budget {
        deadline: Some(tokio::time::Instant::now() + Timeouts::get(timeouts, operation)),
        cancel: Some(ctx.cancellation().clone()),
    };
    pacing::scope(budget, work).await
}

/// What the wait does with PAUSE hooks, from `pause_hook_action`.
fn pause_action(pause_hook_action: &Tf<String>) -> PauseAction {
    match pause_hook_action.as_str() {
        Some("CONTINUE") => PauseAction::Continue,
        Some("ROLLBACK") => PauseAction::Rollback,
        _ => PauseAction::Wait,
    }
}
