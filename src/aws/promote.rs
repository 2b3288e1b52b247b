//! The promotion: move the environment tag onto the release's digest, redeploy the services that
//! do not run it yet, wait for their rollouts, and roll the tag back if they fail.
//!
//! Every step is idempotent so that an interrupted promotion converges when it runs again: a tag
//! already on the digest counts as moved, and a service whose PRIMARY deployment already runs the
//! digest is adopted (waited for) rather than redeployed.

use aws_sdk_ecs::types::DesiredStatus;

use super::ecr::{Ecr, RetagOutcome};
use super::ecs::{
    DeploymentStatus, Ecs, Progress, RecordedDeployment, RolloutState, ServiceState, WaitError,
    WaitOptions,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Where the tag points now (`None` if it points nowhere or could not be read).
    pub tag_digest: Option<Digest>,
    /// The deployment recorded for each service (started, adopted, or the rollback's).
    pub deployments: Vec<DeploymentReport>,
    /// Whether the tag had to move (false: it was already on the target).
    pub tag_moved: bool,
}

/// A service's deployment and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentReport {
    /// The recorded deployment.
    pub deployment: RecordedDeployment,
    /// Whether this provider started it (false: adopted an in-flight or finished one).
    pub started: bool,
    /// The deployment's status when last seen (`None`: not seen since it was adopted).
    pub status: Option<DeploymentStatus>,
    /// Its rollout state when last seen (`None`: not seen, or ECS reported none).
    pub rollout_state: Option<RolloutState>,
}

/// A promotion that did not complete, with the truthful state of things.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// Waiting ended without every rollout completing.
    #[error("{summary}")]
    Rollout {
        /// One sentence per failed service.
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
) -> String {
    match (rollback, previous) {
        (_, None) => format!(
            "Tag {tag:?} did not exist before, so there was nothing to roll back to; it stays on the new image."
        ),
        (Ok(outcome), Some(previous)) => format!(
            "Rolled back: tag {tag:?} is back on {previous} and a new deployment was started for {}.",
            outcome
                .deployments
                .iter()
                .map(|d| d.deployment.service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (Err(err), Some(previous)) => {
            format!("Rolling tag {tag:?} back to {previous} failed too: {err}")
        }
    }
}

/// Runs a promotion. See the module documentation for the steps.
pub async fn promote(ecr: &Ecr, ecs: &Ecs, promotion: &Promotion) -> Result<Outcome, Box<Failure>> {
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
        .filter(|s| {
            !adopted
                .iter()
                .any(|a: &RecordedDeployment| &a.service == *s)
        })
        .cloned()
        .collect();

    let mut failures = Vec::new();
    for (service, result) in to_deploy.iter().zip(
        ecs.force_new_deployments(&promotion.cluster, &to_deploy)
            .await,
    ) {
        match result {
            Ok(deployment) => outcome.deployments.push(DeploymentReport {
                deployment,
                started: true,
                status: Some(DeploymentStatus::Primary),
                rollout_state: Some(RolloutState::InProgress),
            }),
            Err(err) => failures.push((service.clone(), err)),
        }
    }
    let any_adopted = !adopted.is_empty();
    for deployment in adopted {
        outcome.deployments.push(DeploymentReport {
            deployment,
            started: false,
            status: None,
            rollout_state: None,
        });
    }
    sort_like(&mut outcome.deployments, &promotion.services);
    if !failures.is_empty() {
        let error = PromotionError::Deploy { failures };
        return Err(Box::new(
            fail_with_rollback(ecr, ecs, promotion, error, outcome).await,
        ));
    }

    let Some(wait) = &promotion.wait else {
        // Not waiting: report the adopted deployments' state as last seen in one describe. The
        // deployments this promotion started need none: UpdateService has just reported them
        // PRIMARY and IN_PROGRESS, so without adopted ones the DescribeServices calls are skipped.
        if any_adopted
            && let Ok(services) = ecs.services(&promotion.cluster, &promotion.services).await
        {
            record_states(&mut outcome, &services);
        }
        return Ok(outcome);
    };
    let recorded: Vec<RecordedDeployment> = outcome
        .deployments
        .iter()
        .map(|d| d.deployment.clone())
        .collect();
    match ecs
        .wait_for_rollouts(&promotion.cluster, &recorded, wait)
        .await
    {
        Ok(services) => {
            record_states(&mut outcome, &services);
            Ok(outcome)
        }
        Err(source @ WaitError::Cancelled { .. }) => {
            // Stopping is not failing: the rollouts go on, and the next apply adopts them.
            Err(Box::new(Failure {
                error: rollout_error(source),
                rollback: None,
                outcome,
            }))
        }
        Err(source) => {
            if let WaitError::RolloutFailed { services, .. } = &source {
                record_states(&mut outcome, services);
            }
            let error = rollout_error(source);
            Err(Box::new(
                fail_with_rollback(ecr, ecs, promotion, error, outcome).await,
            ))
        }
    }
}

/// A wait that ended without every rollout completing, as a promotion error: one sentence
/// per failed rollout, or, when stopped, that the rollouts go on in ECS. Shared by the
/// promotion and the `tagdeploy_redeploy` action, so both say the same.
pub fn rollout_error(source: WaitError) -> PromotionError {
    let summary = match &source {
        WaitError::Cancelled { pending } => format!(
            "Stopped before the rollout of {} finished; it continues in ECS.",
            pending.join(", ")
        ),
        other => describe_wait_error(other),
    };
    PromotionError::Rollout { summary, source }
}

/// One sentence per failed rollout.
fn describe_wait_error(error: &WaitError) -> String {
    match error {
        WaitError::RolloutFailed { failures, .. } => failures
            .iter()
            .map(|(d, progress)| match progress {
                Progress::Failed { reason } => format!(
                    "Deployment {} of service {} FAILED: {}.",
                    d.deployment_id,
                    d.service,
                    if reason.is_empty() { "no reason given" } else { reason }
                ),
                Progress::Replaced { by } => format!(
                    "Deployment {} of service {} is no longer the PRIMARY deployment{} (an ECS circuit-breaker rollback, or another deployment).",
                    d.deployment_id,
                    d.service,
                    by.as_ref().map(|b| format!("; {b} is")).unwrap_or_default()
                ),
                other => format!("Deployment {} of service {}: {other:?}.", d.deployment_id, d.service),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => format!("{other}."),
    }
}

/// Rolls the tag back (when asked and possible) and builds the failure with the state after it.
async fn fail_with_rollback(
    ecr: &Ecr,
    ecs: &Ecs,
    promotion: &Promotion,
    error: PromotionError,
    outcome: Outcome,
) -> Failure {
    if !promotion.rollback_on_failure {
        return Failure {
            error,
            rollback: None,
            outcome,
        };
    }
    let Some(previous) = promotion.previous.clone() else {
        let note = rollback_note(&Err(String::new()), None, &promotion.tag);
        return Failure {
            error,
            rollback: Some(note),
            outcome,
        };
    };
    let rollback = Promotion {
        target: previous.clone(),
        previous: None,
        force_redeploy: true,
        wait: None,
        rollback_on_failure: false,
        ..promotion.clone()
    };
    // Redeploy every service: the rollback must replace any task that resolved the bad digest.
    let result = Box::pin(promote(ecr, ecs, &rollback))
        .await
        .map_err(|f| f.error.to_string());
    let note = rollback_note(&result, Some(&previous), &promotion.tag);
    let outcome = match result {
        Ok(rolled_back) => rolled_back,
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

/// The services whose PRIMARY deployment already runs (or is rolling out) the target digest,
/// with that deployment adopted. A service qualifies when at least one task started by its
/// PRIMARY deployment runs the target digest: the deployment resolved the tag after it moved.
async fn already_on_target(
    ecs: &Ecs,
    promotion: &Promotion,
) -> Result<Vec<RecordedDeployment>, EcsError> {
    let services = ecs
        .services(&promotion.cluster, &promotion.services)
        .await?;
    let mut arns = Vec::new();
    for service in &services {
        arns.extend(
            ecs.task_arns(&promotion.cluster, &service.name, DesiredStatus::Running)
                .await?,
        );
    }
    let tasks = ecs.tasks(&promotion.cluster, &arns).await?;
    let mut adopted = Vec::new();
    for service in &services {
        let Some(primary) = service.primary() else {
            continue;
        };
        let runs_target = tasks.iter().any(|t| {
            t.started_by == primary.id
                && t.containers
                    .iter()
                    .any(|c| c.image_digest.as_deref() == Some(promotion.target.as_str()))
        });
        if runs_target {
            adopted.push(RecordedDeployment {
                service: service.name.clone(),
                service_arn: service.arn.clone(),
                deployment_id: primary.id.clone(),
            });
        }
    }
    Ok(adopted)
}

/// Copies each recorded deployment's status and rollout state from `services`.
fn record_states(outcome: &mut Outcome, services: &[ServiceState]) {
    for report in &mut outcome.deployments {
        let seen = services
            .iter()
            .find(|s| s.name == report.deployment.service)
            .and_then(|s| s.deployment(&report.deployment.deployment_id));
        match seen {
            Some(d) => {
                report.status = Some(d.status.clone());
                report.rollout_state = d.rollout_state.clone();
            }
            None => {
                // No longer listed: ECS has retired it.
                report.status = Some(DeploymentStatus::Inactive);
                report.rollout_state = None;
            }
        }
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
