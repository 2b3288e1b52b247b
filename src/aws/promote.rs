//! The promotion: move the environment tag onto the release's digest, redeploy the services that
//! do not run it yet, wait for their rollouts, and roll the tag back if they fail.
//!
//! Every step is idempotent so that an interrupted promotion converges when it runs again: a tag
//! already on the digest counts as moved, and a service whose current service deployment is
//! rolling out (or has rolled out) the digest is adopted (waited for) rather than redeployed.
//!
//! When the promotion fails and the tag goes back, the service deployments still in flight are
//! stopped first (StopServiceDeployment, ROLLBACK), so ECS does not go on rolling out an image the
//! tag no longer names; services that ECS rolls back (or has rolled back) return to the revision
//! they ran before and are not redeployed; every other service is.

use super::ecr::{Ecr, RetagOutcome};
use super::ecs::{
    DeploymentPhase, DeploymentStrategy, Ecs, ExpectedImage, Follow, LifecycleStage, NoProgress,
    ProgressSink, RecordedDeployment, RfcStatus, RolloutState, ServiceDeploymentState,
    ServiceDeploymentStatus, StopOutcome, Verdict, WaitError, WaitOptions,
};
use super::error::{EcrError, EcsError};
use super::image::{Digest, ImageSelector, RepositoryRef};

/// What to promote.
#[derive(Debug, Clone)]
pub struct Promotion {
    /// The repository holding both images.
    pub repository: RepositoryRef,
    /// The environment tag to move, e.g. `prod`.
    pub tag: String,
    /// The digest the tag must point at.
    pub target: Digest,
    /// Where the tag pointed before (the rollback target; `None` when the tag did not exist).
    pub previous: Option<Digest>,
    /// The services' cluster.
    pub cluster: String,
    /// The services to redeploy.
    pub services: Vec<String>,
    /// Redeploy every service even if it already runs the target (`triggers` changed).
    pub force_redeploy: bool,
    /// Wait for the rollouts, with these options.
    pub wait: Option<WaitOptions>,
    /// On a failed rollout, move the tag back to `previous` and redeploy.
    pub rollback_on_failure: bool,
}

/// Where things stand after a promotion, successful or not: what state must record.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Where the tag points now (`None` if it points nowhere or could not be read).
    pub tag_digest: Option<Digest>,
    /// The deployment recorded for each service (started, adopted, or the rollback's).
    pub deployments: Vec<DeploymentReport>,
    /// Whether the tag had to move (false: it was already on the target).
    pub tag_moved: bool,
}

/// A service's deployment and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentReport {
    /// The recorded deployment.
    pub deployment: RecordedDeployment,
    /// Whether this provider started it (false: adopted an in-flight or finished one).
    pub started: bool,
    /// Its service deployment when last described (`None`: not described since it started).
    pub last_seen: Option<ServiceDeploymentState>,
    /// Whether the wait saw it succeed (SUCCESSFUL, with the promoted digest).
    pub succeeded: bool,
    /// Whether this provider stopped it (StopServiceDeployment, ROLLBACK).
    pub stopped: bool,
}

impl DeploymentReport {
    fn new(deployment: RecordedDeployment, started: bool) -> DeploymentReport {
        DeploymentReport {
            deployment,
            started,
            last_seen: None,
            succeeded: false,
            stopped: false,
        }
    }

    /// The service deployment's status as last seen; PENDING for one this promotion started
    /// and never described (as UpdateService leaves it).
    pub fn status(&self) -> Option<ServiceDeploymentStatus> {
        match &self.last_seen {
            Some(seen) => Some(seen.status.clone()),
            None if self.started => Some(ServiceDeploymentStatus::Pending),
            None => None,
        }
    }

    /// The stage it was at when last seen, while it ran (a finished deployment is at none).
    pub fn lifecycle_stage(&self) -> Option<LifecycleStage> {
        self.last_seen
            .as_ref()
            .and_then(|s| s.stage_while_running().cloned())
    }

    /// Its strategy.
    pub fn strategy(&self) -> Option<DeploymentStrategy> {
        self.last_seen
            .as_ref()
            .map(|s| s.strategy.clone())
            .or_else(|| self.deployment.strategy.clone())
    }

    /// The rollout state ECS reports for the deployment in the service's `deployments`, which
    /// follows its service deployment: COMPLETED once SUCCESSFUL, FAILED once it failed,
    /// IN_PROGRESS before.
    pub fn rollout_state(&self) -> Option<RolloutState> {
        match (self.phase()?, self.succeeded) {
            (_, true) | (DeploymentPhase::Succeeded, false) => Some(RolloutState::Completed),
            (DeploymentPhase::Running, false) => Some(RolloutState::InProgress),
            (DeploymentPhase::Failing | DeploymentPhase::Failed, false) => {
                Some(RolloutState::Failed)
            }
        }
    }

    /// The RFC 013 status of the deployment, as the service's current one: COMPLETE once it
    /// succeeded, IN_PROGRESS while it runs, RETIRING while ECS rolls it back or stops it, DEAD
    /// once it failed.
    pub fn rfc_status(&self) -> Option<RfcStatus> {
        if self.succeeded {
            return Some(RfcStatus::Complete);
        }
        Some(match self.phase()? {
            DeploymentPhase::Running => RfcStatus::InProgress,
            DeploymentPhase::Succeeded => RfcStatus::Complete,
            DeploymentPhase::Failing => RfcStatus::Retiring,
            DeploymentPhase::Failed => RfcStatus::Dead,
        })
    }

    fn phase(&self) -> Option<DeploymentPhase> {
        match &self.last_seen {
            Some(seen) => Some(seen.phase()),
            None if self.started => Some(DeploymentPhase::Running),
            None => None,
        }
    }

    /// ECS rolls (or rolled) the service back to the revision it ran before.
    fn rolled_back_by_ecs(&self) -> bool {
        self.last_seen
            .as_ref()
            .is_some_and(|s| s.status.rolls_back())
    }

    /// ECS may still be rolling it out: not seen to end.
    fn in_flight(&self) -> bool {
        self.deployment.service_deployment_arn.is_some()
            && !self.succeeded
            && self.phase() == Some(DeploymentPhase::Running)
    }
}

/// A promotion that did not complete, with the truthful state of things.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}{}", rollback.as_ref().map(|r| format!(" {r}")).unwrap_or_default())]
pub struct Failure {
    /// What went wrong.
    pub error: PromotionError,
    /// What the rollback did, when one was attempted.
    pub rollback: Option<String>,
    /// Where things stand.
    pub outcome: Outcome,
}

/// What went wrong in a promotion.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromotionError {
    /// Moving the tag failed.
    #[error("moving tag {tag:?} to {target} failed: {source}")]
    Retag {
        /// The tag.
        tag: String,
        /// The digest.
        target: Digest,
        /// The ECR error.
        source: EcrError,
    },
    /// Starting deployments failed for some services.
    #[error("forcing a new deployment failed: {}", failures.iter().map(|(s, e)| format!("{s}: {e}")).collect::<Vec<_>>().join("; "))]
    Deploy {
        /// Service and error.
        failures: Vec<(String, EcsError)>,
    },
    /// Checking which services already run the target failed.
    #[error("reading the services' tasks failed: {0}")]
    Inspect(EcsError),
    /// Looking the services up before redeploying them failed (a missing service).
    #[error("looking the services up failed: {0}")]
    Lookup(EcsError),
    /// Waiting ended without every deployment succeeding.
    #[error("{summary}")]
    Rollout {
        /// One sentence per service that did not succeed.
        summary: String,
        /// The wait's error.
        source: WaitError,
    },
}

/// What a rollback did, appended to the error text.
fn rollback_note(
    rollback: &Result<Outcome, String>,
    previous: Option<&Digest>,
    tag: &str,
    by_ecs: &[String],
    stopped: &[String],
) -> String {
    let mut note = match (rollback, previous) {
        (_, None) => {
            return format!(
                "Tag {tag:?} did not exist before, so there was nothing to roll back to; it stays on the new image."
            );
        }
        (Ok(outcome), Some(previous)) => {
            let redeployed: Vec<&str> = outcome
                .deployments
                .iter()
                .map(|d| d.deployment.service.as_str())
                .collect();
            let mut text = format!("Rolled back: tag {tag:?} is back on {previous}");
            if !redeployed.is_empty() {
                text.push_str(&format!(
                    " and a new deployment was started for {}",
                    redeployed.join(", ")
                ));
            }
            text.push('.');
            text
        }
        (Err(err), Some(previous)) => {
            format!("Rolling tag {tag:?} back to {previous} failed too: {err}")
        }
    };
    if !stopped.is_empty() {
        note.push_str(&format!(
            " The deployment of {} was stopped (StopServiceDeployment, ROLLBACK), so ECS does not go on rolling out the image the tag no longer names.",
            stopped.join(", ")
        ));
    }
    if !by_ecs.is_empty() {
        note.push_str(&format!(
            " ECS returns {} to the revision it ran before (with the digest it resolved then), so no new deployment was started there.",
            by_ecs.join(", ")
        ));
    }
    note
}

/// Runs a promotion. See the module documentation for the steps. The wait, if any, reports its
/// progress to `progress`.
pub async fn promote(
    ecr: &Ecr,
    ecs: &Ecs,
    promotion: &Promotion,
    progress: &dyn ProgressSink,
) -> Result<Outcome, Box<Failure>> {
    let mut outcome = Outcome {
        tag_digest: promotion.previous.clone(),
        deployments: Vec::new(),
        tag_moved: false,
    };

    let retag = ecr
        .retag(&promotion.repository, &promotion.target, &promotion.tag)
        .await;
    let moved = match retag {
        Ok(RetagOutcome::Moved) => true,
        Ok(RetagOutcome::AlreadyThere) => false,
        Err(source) => {
            outcome.tag_digest = current_tag(ecr, promotion)
                .await
                .unwrap_or(promotion.previous.clone());
            let error = PromotionError::Retag {
                tag: promotion.tag.clone(),
                target: promotion.target.clone(),
                source,
            };
            return Err(Box::new(Failure {
                error,
                rollback: None,
                outcome,
            }));
        }
    };
    outcome.tag_digest = Some(promotion.target.clone());
    outcome.tag_moved = moved;

    // Which services must redeploy: all of them when the tag just moved (none can run the new
    // digest through the tag yet) or when forced; otherwise those not already on the target.
    let adopted = if moved || promotion.force_redeploy {
        Vec::new()
    } else {
        match already_on_target(ecs, promotion).await {
            Ok(adopted) => adopted,
            Err(err) => {
                return Err(Box::new(Failure {
                    error: PromotionError::Inspect(err),
                    rollback: None,
                    outcome,
                }));
            }
        }
    };
    let to_deploy: Vec<String> = promotion
        .services
        .iter()
        .filter(|s| !adopted.iter().any(|a| &a.deployment.service == *s))
        .cloned()
        .collect();

    let mut failures = Vec::new();
    for (service, result) in to_deploy.iter().zip(
        ecs.force_new_deployments(&promotion.cluster, &to_deploy)
            .await,
    ) {
        match result {
            Ok(deployment) => outcome
                .deployments
                .push(DeploymentReport::new(deployment, true)),
            Err(err) => failures.push((service.clone(), err)),
        }
    }
    outcome.deployments.extend(adopted);
    sort_like(&mut outcome.deployments, &promotion.services);
    if !failures.is_empty() {
        let error = PromotionError::Deploy { failures };
        return Err(Box::new(
            fail_with_rollback(ecr, ecs, promotion, error, outcome).await,
        ));
    }

    // Not waiting: the deployments this promotion started are as UpdateService left them, and
    // the adopted ones as the adoption described them.
    let Some(wait) = &promotion.wait else {
        return Ok(outcome);
    };
    let follow: Vec<Follow> = outcome
        .deployments
        .iter()
        .map(|d| Follow {
            deployment: d.deployment.clone(),
            expected: Some(expected_image(promotion)),
        })
        .collect();
    let result = ecs.wait_for_deployments(&follow, wait, progress).await;
    match result {
        Ok(outcomes) => {
            record_outcomes(&mut outcome, &outcomes);
            Ok(outcome)
        }
        Err(source) => {
            record_outcomes(&mut outcome, source.outcomes());
            let cancelled = matches!(source, WaitError::Cancelled { .. });
            let error = rollout_error(source);
            if cancelled {
                // Stopping is not failing: the deployments go on, and the next apply adopts them.
                return Err(Box::new(Failure {
                    error,
                    rollback: None,
                    outcome,
                }));
            }
            Err(Box::new(
                fail_with_rollback(ecr, ecs, promotion, error, outcome).await,
            ))
        }
    }
}

/// A wait that ended without every deployment succeeding, as a promotion error: one sentence
/// per deployment that did not succeed, or, when stopped, that the rollouts go on in ECS.
/// Shared by the promotion and the `tagdeploy_redeploy` action, so both say the same.
pub fn rollout_error(source: WaitError) -> PromotionError {
    let summary = match &source {
        WaitError::Cancelled { .. } => format!(
            "Stopped before the rollout of {} finished; it continues in ECS.",
            unfinished(&source).join(", ")
        ),
        other => describe_wait_error(other),
    };
    PromotionError::Rollout { summary, source }
}

/// What the promotion's deployments must deliver.
fn expected_image(promotion: &Promotion) -> ExpectedImage {
    ExpectedImage {
        repository: promotion.repository.clone(),
        tag: promotion.tag.clone(),
        digest: promotion.target.clone(),
    }
}

/// The services whose deployment the wait left unfinished.
fn unfinished(error: &WaitError) -> Vec<String> {
    error
        .outcomes()
        .iter()
        .filter(|o| o.verdict == Verdict::Unfinished)
        .map(|o| o.follow.deployment.service.clone())
        .collect()
}

/// One sentence per deployment that did not succeed.
fn describe_wait_error(error: &WaitError) -> String {
    let sentences: Vec<String> = error
        .outcomes()
        .iter()
        .filter(|o| o.verdict != Verdict::Succeeded)
        .filter(|o| match error {
            // With fail-fast, the others were merely interrupted: the failures explain.
            WaitError::Failed { .. } => matches!(o.verdict, Verdict::Failed(_)),
            _ => true,
        })
        .map(|o| format!("{}.", capitalised(&o.to_string())))
        .collect();
    let head = match error {
        WaitError::Failed { .. } => String::new(),
        other => format!("{}. ", capitalised(&other.to_string())),
    };
    format!("{head}{}", sentences.join(" "))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Rolls the tag back (when asked and possible) and builds the failure with the state after it:
/// first stops the deployments still in flight (ECS rolls them back), then moves the tag back
/// and redeploys the services ECS is not returning to their previous revision.
async fn fail_with_rollback(
    ecr: &Ecr,
    ecs: &Ecs,
    promotion: &Promotion,
    error: PromotionError,
    mut outcome: Outcome,
) -> Failure {
    if !promotion.rollback_on_failure {
        return Failure {
            error,
            rollback: None,
            outcome,
        };
    }
    let Some(previous) = promotion.previous.clone() else {
        let note = rollback_note(&Err(String::new()), None, &promotion.tag, &[], &[]);
        return Failure {
            error,
            rollback: Some(note),
            outcome,
        };
    };
    let stopped = stop_in_flight(ecs, &mut outcome).await;
    let by_ecs: Vec<String> = outcome
        .deployments
        .iter()
        .filter(|d| d.rolled_back_by_ecs())
        .map(|d| d.deployment.service.clone())
        .collect();
    // Redeploy every other service: the rollback must replace any task that resolved the new
    // digest (a service that succeeded, stopped without a rollback, or was never deployed).
    let rollback = Promotion {
        target: previous.clone(),
        previous: None,
        services: promotion
            .services
            .iter()
            .filter(|s| !by_ecs.contains(s))
            .cloned()
            .collect(),
        force_redeploy: true,
        wait: None,
        rollback_on_failure: false,
        ..promotion.clone()
    };
    let result = Box::pin(promote(ecr, ecs, &rollback, &NoProgress))
        .await
        .map_err(|f| f.error.to_string());
    let note = rollback_note(&result, Some(&previous), &promotion.tag, &by_ecs, &stopped);
    let outcome = match result {
        Ok(rolled_back) => {
            // The services ECS rolls back keep their (failed) deployment on record; the others
            // record the rollback's deployment.
            let mut deployments: Vec<DeploymentReport> = outcome
                .deployments
                .into_iter()
                .filter(|d| by_ecs.contains(&d.deployment.service))
                .collect();
            deployments.extend(rolled_back.deployments);
            sort_like(&mut deployments, &promotion.services);
            Outcome {
                deployments,
                ..rolled_back
            }
        }
        Err(_) => Outcome {
            tag_digest: current_tag(ecr, promotion)
                .await
                .unwrap_or(outcome.tag_digest.clone()),
            ..outcome
        },
    };
    Failure {
        error,
        rollback: Some(note),
        outcome,
    }
}

/// Stops (StopServiceDeployment, ROLLBACK) every deployment ECS may still be rolling out, then
/// describes them again so the outcome records where they stand. Returns the services stopped.
async fn stop_in_flight(ecs: &Ecs, outcome: &mut Outcome) -> Vec<String> {
    let in_flight: Vec<(usize, String)> = outcome
        .deployments
        .iter()
        .enumerate()
        .filter(|(_, d)| d.in_flight())
        .filter_map(|(i, d)| Some((i, d.deployment.service_deployment_arn.clone()?)))
        .collect();
    if in_flight.is_empty() {
        return Vec::new();
    }
    let arns: Vec<String> = in_flight.iter().map(|(_, arn)| arn.clone()).collect();
    let mut stopped = Vec::new();
    for ((i, arn), result) in in_flight
        .iter()
        .zip(ecs.stop_service_deployments(&arns).await)
    {
        let service = outcome.deployments[*i].deployment.service.clone();
        match result {
            Ok(StopOutcome::RollingBack) => {
                tracing::info!(service = %service, service_deployment = %arn, "stopped the deployment (ROLLBACK)");
                outcome.deployments[*i].stopped = true;
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
    // Where they stand now decides which services ECS returns to their previous revision.
    match ecs.service_deployments(&arns).await {
        Ok(described) => {
            for state in described.found {
                if let Some(report) = outcome.deployments.iter_mut().find(|d| {
                    d.deployment.service_deployment_arn.as_deref() == Some(state.arn.as_str())
                }) {
                    report.last_seen = Some(state);
                }
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, "describing the stopped deployments failed");
        }
    }
    stopped
}

/// Where the tag points now, or `None` if that cannot be read.
async fn current_tag(ecr: &Ecr, promotion: &Promotion) -> Option<Option<Digest>> {
    let found = ecr
        .images(
            &promotion.repository,
            &[ImageSelector::Tag(promotion.tag.clone())],
        )
        .await
        .ok()?;
    Some(found.into_iter().next().flatten().map(|d| d.digest))
}

/// The services whose current service deployment is rolling out (or has rolled out) the target
/// digest, with that deployment adopted: it is PENDING, IN_PROGRESS or SUCCESSFUL, and its
/// target revision resolved the target digest for the containers on the tag (the deployment
/// started after the tag moved). AWS calls: DescribeServices (10 a call),
/// DescribeServiceDeployments and DescribeServiceRevisions (20 a call each).
async fn already_on_target(
    ecs: &Ecs,
    promotion: &Promotion,
) -> Result<Vec<DeploymentReport>, EcsError> {
    let services = ecs
        .services(&promotion.cluster, &promotion.services)
        .await?;
    let arns: Vec<String> = services
        .iter()
        .filter_map(|s| s.current_service_deployment.clone())
        .collect();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let described = ecs.service_deployments(&arns).await?;
    let live: Vec<&ServiceDeploymentState> = described
        .found
        .iter()
        .filter(|sd| {
            matches!(
                sd.phase(),
                DeploymentPhase::Running | DeploymentPhase::Succeeded
            )
        })
        .collect();
    let revisions: Vec<String> = live
        .iter()
        .filter_map(|sd| sd.target.as_ref().map(|t| t.arn.clone()))
        .collect();
    if revisions.is_empty() {
        return Ok(Vec::new());
    }
    let revisions = ecs.service_revisions(&revisions).await?;
    let expected = expected_image(promotion);
    let mut adopted = Vec::new();
    for service in &services {
        let Some(sd) = live
            .iter()
            .find(|sd| service.current_service_deployment.as_deref() == Some(sd.arn.as_str()))
        else {
            continue;
        };
        let on_target = sd
            .target
            .as_ref()
            .and_then(|t| revisions.found.iter().find(|r| r.arn == t.arn))
            .is_some_and(|revision| expected.check(revision).is_ok());
        if !on_target {
            continue;
        }
        let deployment = RecordedDeployment {
            cluster: promotion.cluster.clone(),
            service: service.name.clone(),
            service_arn: service.arn.clone(),
            deployment_id: service.primary().map(|d| d.id.clone()).unwrap_or_default(),
            service_deployment_arn: Some(sd.arn.clone()),
            strategy: Some(service.strategy.clone()),
        };
        adopted.push(DeploymentReport {
            last_seen: Some((*sd).clone()),
            ..DeploymentReport::new(deployment, false)
        });
    }
    Ok(adopted)
}

/// Copies what the wait last saw of each deployment into the outcome.
fn record_outcomes(outcome: &mut Outcome, outcomes: &[super::ecs::DeploymentOutcome]) {
    for report in &mut outcome.deployments {
        let Some(seen) = outcomes
            .iter()
            .find(|o| o.follow.deployment == report.deployment)
        else {
            continue;
        };
        if seen.last_seen.is_some() {
            report.last_seen.clone_from(&seen.last_seen);
        }
        report.succeeded = seen.verdict == Verdict::Succeeded;
    }
}

/// Orders deployments like the configured services.
fn sort_like(deployments: &mut [DeploymentReport], services: &[String]) {
    deployments.sort_by_key(|d| {
        services
            .iter()
            .position(|s| *s == d.deployment.service)
            .unwrap_or(usize::MAX)
    });
}
