//! Undoing a promotion: the tag moves alone when nothing was redeployed yet, or the whole set
//! after a failed rollout (the service deployments in flight stopped, every tag back, every
//! service that got a new image and that ECS does not roll back itself redeployed); and saying
//! which digests a service runs when its deployment could not be started.

use futures::future::join_all;

use super::super::ecr::{Ecr, RetagOutcome};
use super::super::ecs::{Ecs, StopOutcome};
use super::super::error::EcrError;
use super::super::image::Digest;
use super::super::pacing::{self, Budget};
use super::outcome::{DeploymentReport, digests_text};
use super::{Member, ROLLBACK_WINDOW, Run, deploy, retag};

/// Moves back the tags this promotion moved, when no deployment has started yet (a tag moved
/// and moved back without a deployment in between changes nothing that runs). Returns what
/// was done, or `None` when no tag had moved.
pub(super) async fn undo_moves(ecr: &Ecr, run: &mut Run<'_>) -> Option<String> {
    // The promotion's deadline may be what failed it: undoing gets a window of its own.
    pacing::scope(own_window(), undo_moves_within(ecr, run)).await
}

/// [`undo_moves`] within its window.
async fn undo_moves_within(ecr: &Ecr, run: &mut Run<'_>) -> Option<String> {
    let moved: Vec<usize> = (0..run.members.len())
        .filter(|i| run.members[*i].tag_moved)
        .collect();
    if moved.is_empty() {
        return None;
    }
    let back = move_back(ecr, run, &moved).await;
    let done: Vec<&str> = back
        .iter()
        .filter(|(_, result)| result.is_ok())
        .map(|(i, _)| run.promotion.members[*i].name.as_str())
        .collect();
    // A tag that did not exist before cannot go back: it is not deleted (a missing tag would
    // break the next task launch).
    let created: Vec<&str> = moved
        .iter()
        .map(|i| &run.promotion.members[*i])
        .filter(|m| m.previous.is_none())
        .map(|m| m.name.as_str())
        .collect();
    let text = if !run.promotion.is_set() {
        let member = &run.promotion.members[0];
        match (&member.previous, back.first()) {
            (Some(previous), Some((_, Ok(())))) => format!(
                "Nothing was redeployed, so tag {:?} was moved back to {previous}.",
                member.tag
            ),
            (Some(previous), Some((_, Err(err)))) => format!(
                "Nothing was redeployed, and moving tag {:?} back to {previous} failed too: {err}",
                member.tag
            ),
            _ => format!(
                "Nothing was redeployed; tag {:?} did not exist before, so it stays on the new image.",
                member.tag
            ),
        }
    } else {
        let mut text = if back.iter().all(|(_, result)| result.is_ok()) {
            format!(
                "Nothing was redeployed, so the tags already moved went back to their previous digests ({}).",
                done.join(", ")
            )
        } else {
            "Nothing was redeployed, but not every tag that moved could be moved back (see each image below)."
                .to_owned()
        };
        if !created.is_empty() {
            text.push_str(&format!(
                " The tag of {} did not exist before, so it stays on the new image.",
                created.join(", ")
            ));
        }
        text
    };
    Some(text)
}

/// Rolls the whole promotion back after a failed rollout: the service deployments still in
/// flight stopped (ECS rolls them back), every member's tag back to its previous digest, then
/// a new deployment of every service that got the new image (started or adopted), whose
/// members' tags went back, and that ECS does not return to its previous revision itself.
/// Does not wait. Returns what was done.
pub(super) async fn roll_back(ecr: &Ecr, ecs: &Ecs, run: &mut Run<'_>) -> String {
    // The promotion's deadline may be what failed it (a rollout that timed out): the rollback
    // gets a window of its own, so its calls are still paced and retried.
    pacing::scope(own_window(), roll_back_within(ecr, ecs, run)).await
}

/// How long the calls of a rollback (or of undoing the tag moves) keep being retried when AWS
/// throttles or fails: [`ROLLBACK_WINDOW`] from now, whatever was left of the promotion's
/// deadline; Terraform's Stop still cancels them.
fn own_window() -> Budget {
    Budget {
        deadline: Some(tokio::time::Instant::now() + ROLLBACK_WINDOW),
        cancel: pacing::current_budget().cancel,
    }
}

/// [`roll_back`] within its window.
async fn roll_back_within(ecr: &Ecr, ecs: &Ecs, run: &mut Run<'_>) -> String {
    let promotion = run.promotion;
    let mut returning = Vec::new();
    for (i, member) in promotion.members.iter().enumerate() {
        match &member.previous {
            None => run.note(
                i,
                format!(
                    "Tag {:?} did not exist before, so there is nothing to roll back to; it stays on {}.",
                    member.tag, member.target
                ),
            ),
            Some(previous) if *previous == member.target => run.note(
                i,
                format!(
                    "Tag {:?} was on {} before: there is nothing to roll back to.",
                    member.tag, member.target
                ),
            ),
            Some(_) => returning.push(i),
        }
    }
    let stopped = stop_in_flight(ecs, run, &returning).await;
    // A service ECS rolls back returns to the revision it ran before, with the digests it
    // resolved then: a new deployment would only repeat that.
    let by_ecs: Vec<usize> = (0..run.services.len())
        .filter(|s| {
            run.recorded[*s]
                .as_ref()
                .is_some_and(DeploymentReport::rolled_back_by_ecs)
        })
        .collect();
    for &s in &by_ecs {
        run.note_service(s, |service, _| {
            format!("Service {service}: ECS returns it to the revision it ran before, so no new deployment was started.")
        });
    }
    let back = move_back(ecr, run, &returning).await;
    let returned: Vec<usize> = back
        .iter()
        .filter(|(_, result)| result.is_ok())
        .map(|(i, _)| *i)
        .collect();

    // Every service that got the new image, once, if at least one of its members went back.
    let redeploy: Vec<usize> = (0..run.services.len())
        .filter(|s| {
            run.recorded[*s].is_some()
                && !by_ecs.contains(s)
                && run.services[*s]
                    .members
                    .iter()
                    .any(|m| returned.contains(m))
        })
        .collect();
    let services: Vec<&deploy::Service> = redeploy.iter().map(|s| &run.services[*s]).collect();
    let results = deploy::start(ecs, &services).await;
    let mut redeployed = Vec::new();
    let mut failed = Vec::new();
    for (s, result) in redeploy.iter().copied().zip(results) {
        match result {
            Ok(deployment) => {
                let id = super::deployment_name(&deployment);
                run.note_service(s, |service, _| {
                    format!("Service {service}: rollback deployment {id} started.")
                });
                redeployed.push(run.services[s].name.clone());
                run.record(s, DeploymentReport::started(deployment));
            }
            Err(err) => {
                run.note_service(s, |service, _| {
                    format!(
                        "Service {service}: the rollback deployment could not be started ({err})."
                    )
                });
                failed.push(s);
            }
        }
    }
    if !failed.is_empty() {
        say_what_runs(
            ecs,
            run,
            &failed,
            "its rollback deployment could not be started",
        )
        .await;
    }
    let failed_names: Vec<String> = failed
        .iter()
        .map(|s| run.services[*s].name.clone())
        .collect();
    let by_ecs: Vec<String> = by_ecs
        .iter()
        .map(|s| run.services[*s].name.clone())
        .collect();
    let mut text = rollback_text(run, &back, &redeployed, &failed_names);
    if !stopped.is_empty() {
        text.push_str(&format!(
            " The deployment of {} was stopped (StopServiceDeployment, ROLLBACK), so ECS does not go on rolling out an image the tag no longer names.",
            stopped.join(", ")
        ));
    }
    if !by_ecs.is_empty() {
        text.push_str(&format!(
            " ECS returns {} to the revision it ran before (with the digest it resolved then), so no new deployment was started there.",
            by_ecs.join(", ")
        ));
    }
    text
}

/// Stops (StopServiceDeployment, ROLLBACK) every recorded service deployment ECS may still be
/// rolling out, of every service of a member whose tag goes back (`returning`), then describes them again so the outcome records where they
/// stand (which decides the services ECS returns to their previous revision). Returns the
/// services stopped.
async fn stop_in_flight(ecs: &Ecs, run: &mut Run<'_>, returning: &[usize]) -> Vec<String> {
    let in_flight: Vec<(usize, String)> = (0..run.services.len())
        .filter(|s| {
            run.services[*s]
                .members
                .iter()
                .any(|m| returning.contains(m))
        })
        .filter_map(|s| {
            let report = run.recorded[s].as_ref().filter(|r| r.in_flight())?;
            Some((s, report.deployment.service_deployment_arn.clone()?))
        })
        .collect();
    if in_flight.is_empty() {
        return Vec::new();
    }
    let arns: Vec<String> = in_flight.iter().map(|(_, arn)| arn.clone()).collect();
    let mut stopped = Vec::new();
    for ((s, arn), result) in in_flight
        .iter()
        .zip(ecs.stop_service_deployments(&arns).await)
    {
        let service = run.services[*s].name.clone();
        match result {
            Ok(StopOutcome::RollingBack) => {
                tracing::info!(service = %service, service_deployment = %arn, "stopped the deployment (ROLLBACK)");
                if let Some(report) = run.recorded[*s].clone() {
                    run.record(
                        *s,
                        DeploymentReport {
                            stopped: true,
                            ..report
                        },
                    );
                }
                run.note_service(*s, |service, _| {
                    format!("Service {service}: service deployment {arn} stopped (ROLLBACK).")
                });
                stopped.push(service);
            }
            Ok(StopOutcome::NotRunning(message)) => {
                tracing::info!(service = %service, message = %message, "the deployment had already ended");
            }
            Err(error) => {
                tracing::warn!(service = %service, error = %error, "stopping the deployment failed");
            }
        }
    }
    match ecs.service_deployments(&arns).await {
        Ok(described) => {
            for state in described.found {
                for s in 0..run.services.len() {
                    let Some(report) = run.recorded[s].clone() else {
                        continue;
                    };
                    if report.deployment.service_deployment_arn.as_deref()
                        == Some(state.arn.as_str())
                    {
                        run.record(
                            s,
                            DeploymentReport {
                                last_seen: Some(state.clone()),
                                ..report
                            },
                        );
                    }
                }
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, "describing the stopped deployments failed");
        }
    }
    stopped
}

/// The rollback's sentence: for one image as the provider always said it; for a set, a
/// summary (the member reports have the details).
fn rollback_text(
    run: &Run<'_>,
    back: &[(usize, Result<(), String>)],
    redeployed: &[String],
    failed: &[String],
) -> String {
    let promotion = run.promotion;
    if !promotion.is_set() {
        let member = &promotion.members[0];
        return match (&member.previous, back.first()) {
            (None, _) => format!(
                "Tag {:?} did not exist before, so there was nothing to roll back to; it stays on the new image.",
                member.tag
            ),
            (Some(previous), Some((_, Err(err)))) => format!(
                "Rolling tag {:?} back to {previous} failed too: {err}",
                member.tag
            ),
            (Some(previous), _) if failed.is_empty() && redeployed.is_empty() => {
                format!("Rolled back: tag {:?} is back on {previous}.", member.tag)
            }
            (Some(previous), _) if failed.is_empty() => format!(
                "Rolled back: tag {:?} is back on {previous} and a new deployment was started for {}.",
                member.tag,
                redeployed.join(", ")
            ),
            (Some(previous), _) => format!(
                "Rolled back: tag {:?} is back on {previous}, but the rollback deployment of {} could not be started.",
                member.tag,
                failed.join(", ")
            ),
        };
    }
    let tags_back = back.iter().all(|(_, result)| result.is_ok());
    let stays: Vec<&str> = promotion
        .members
        .iter()
        .filter(|m| m.previous.is_none())
        .map(|m| m.name.as_str())
        .collect();
    let mut text = if tags_back && failed.is_empty() {
        format!(
            "Rolled back every image: each tag that moved is back on its previous digest, and a new deployment was started for {}.",
            if redeployed.is_empty() {
                "no service".to_owned()
            } else {
                redeployed.join(", ")
            }
        )
    } else {
        "The rollback did not finish for every image: see each image below.".to_owned()
    };
    if !stays.is_empty() {
        text.push_str(&format!(
            " The tag of {} did not exist before, so it stays on the new image.",
            stays.join(", ")
        ));
    }
    text
}

/// Moves the tags of `members` (indexes) that have a previous digest back to it,
/// concurrently; returns `(member, Ok or the error)` for each, and tells each member's story.
async fn move_back(
    ecr: &Ecr,
    run: &mut Run<'_>,
    members: &[usize],
) -> Vec<(usize, Result<(), String>)> {
    let promotion = run.promotion;
    let (returning, previous): (Vec<&Member>, Vec<&Digest>) = members
        .iter()
        .filter_map(|i| {
            let member = &promotion.members[*i];
            member.previous.as_ref().map(|p| (member, p))
        })
        .unzip();
    let indexes: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| promotion.members[*i].previous.is_some())
        .collect();
    let results: Vec<Result<RetagOutcome, EcrError>> = join_all(
        returning
            .iter()
            .zip(&previous)
            .map(|(m, p)| ecr.retag(&m.repository, p, &m.tag)),
    )
    .await;
    let mut back = Vec::new();
    for ((i, previous), result) in indexes.iter().copied().zip(previous).zip(results) {
        let member = &promotion.members[i];
        match result {
            Ok(_) => {
                run.members[i].tag_digest = Some(previous.clone());
                run.members[i].tag_moved = false;
                run.note(i, format!("Tag {:?} moved back to {previous}.", member.tag));
                back.push((i, Ok(())));
            }
            Err(err) => {
                let now = retag::current(ecr, member).await.flatten();
                run.note(
                    i,
                    format!(
                        "Moving tag {:?} back to {previous} failed: {err}; it points at {}.",
                        member.tag,
                        now.as_ref().map_or(
                            "nothing or an unknown digest".to_owned(),
                            ToString::to_string
                        )
                    ),
                );
                if let Some(now) = now {
                    run.members[i].tag_digest = Some(now);
                }
                back.push((i, Err(err.to_string())));
            }
        }
    }
    back
}

/// Reads which digests the tasks of `services` (indexes) run, and says so, with `why`, in
/// the failure's standing sentences and each member's story.
pub(super) async fn say_what_runs(ecs: &Ecs, run: &mut Run<'_>, services: &[usize], why: &str) {
    let reads = join_all(services.iter().map(|s| {
        let service = &run.services[*s];
        let repository = &run.promotion.members[service.members[0]].repository.name;
        deploy::running_digests(ecs, &service.cluster, &service.name, repository)
    }))
    .await;
    for (s, read) in services.iter().copied().zip(reads) {
        let name = run.services[s].name.clone();
        let sentence = match read {
            Ok(digests) => format!("Service {name} runs {} ({why}).", digests_text(&digests)),
            Err(err) => format!(
                "Service {name}: {why}, and which digests its tasks run could not be read ({err})."
            ),
        };
        run.note_service(s, |_, _| sentence.clone());
        run.standing.push(sentence);
    }
}
