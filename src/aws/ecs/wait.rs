//! Waiting for rollouts: poll the services (of every cluster at once) until every recorded
//! deployment has completed, one has failed or been replaced, the timeout passes, or Terraform
//! stops the provider.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Ecs;
use super::model::{RecordedDeployment, ServiceState};
use super::status::RolloutState;
use crate::aws::error::EcsError;

/// Where a recorded deployment's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The only deployment, COMPLETED, running every desired task.
    Completed,
    /// Still rolling.
    InProgress,
    /// ECS marked it FAILED (circuit breaker).
    Failed {
        /// ECS's rolloutStateReason.
        reason: String,
    },
    /// It is no longer PRIMARY or no longer listed: ECS rolled back, or someone else deployed.
    Replaced {
        /// The deployment that is PRIMARY now, if any.
        by: Option<String>,
    },
}

/// Classifies the rollout of `deployment_id` in `service`.
pub fn progress(service: &ServiceState, deployment_id: &str) -> Progress {
    let replaced = || Progress::Replaced {
        by: service.primary().map(|d| d.id.clone()),
    };
    let Some(deployment) = service.deployment(deployment_id) else {
        return replaced();
    };
    if deployment.rollout_state == Some(RolloutState::Failed) {
        return Progress::Failed {
            reason: deployment.rollout_state_reason.clone(),
        };
    }
    if !deployment.is_primary() {
        return replaced();
    }
    if service.is_settled() {
        Progress::Completed
    } else {
        Progress::InProgress
    }
}

/// How to wait for rollouts.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// First pause between polls; it doubles up to `max_poll_interval`.
    pub poll_interval: Duration,
    /// The longest pause between polls.
    pub max_poll_interval: Duration,
    /// Stops the wait early (Terraform's StopProvider).
    pub cancel: CancellationToken,
}

/// Why a wait ended without every rollout completing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    /// A rollout failed or was replaced (rolled back).
    #[error("the rollout of {} did not complete", failures.iter().map(|(d, _)| d.service.as_str()).collect::<Vec<_>>().join(", "))]
    RolloutFailed {
        /// Each failing deployment with what happened to it.
        failures: Vec<(RecordedDeployment, Progress)>,
        /// The services as last described, in the order of the recorded deployments.
        services: Vec<ServiceState>,
    },
    /// The timeout passed with rollouts still in progress.
    #[error("timed out after {timeout:?} waiting for the rollout of {}", pending.join(", "))]
    TimedOut {
        /// The timeout that passed.
        timeout: Duration,
        /// Services still rolling.
        pending: Vec<String>,
        /// The services as last described, in the order of the recorded deployments.
        services: Vec<ServiceState>,
    },
    /// Terraform asked the provider to stop.
    #[error("stopped while waiting for the rollout of {}", pending.join(", "))]
    Cancelled {
        /// Services still rolling.
        pending: Vec<String>,
    },
    /// Describing the services failed.
    #[error(transparent)]
    Ecs(#[from] EcsError),
}

impl Ecs {
    /// Polls until every recorded deployment has completed, one has failed or been replaced,
    /// the timeout passes, or the wait is cancelled. The deployments may be in several
    /// clusters: each poll describes every cluster's services concurrently, and the first poll
    /// that sees a failure ends the wait (the others' rollouts are then the caller's to roll
    /// back). On success the services are returned in the order of `recorded`.
    pub async fn wait_for_rollouts(
        &self,
        recorded: &[RecordedDeployment],
        options: &WaitOptions,
    ) -> Result<Vec<ServiceState>, WaitError> {
        let deadline = tokio::time::Instant::now() + options.timeout;
        let names: Vec<(String, String)> = recorded
            .iter()
            .map(|r| (r.cluster.clone(), r.service.clone()))
            .collect();
        let all_pending = || recorded.iter().map(|r| r.service.clone()).collect();
        let mut pause = options.poll_interval;
        loop {
            // A describe that hangs must not hold up a stop (Ctrl-C in Terraform).
            let services = tokio::select! {
                _ = options.cancel.cancelled() => {
                    return Err(WaitError::Cancelled { pending: all_pending() });
                }
                services = self.services_across(&names) => services?,
            };
            let mut failures = Vec::new();
            let mut pending = Vec::new();
            for (record, service) in recorded.iter().zip(&services) {
                match progress(service, &record.deployment_id) {
                    Progress::Completed => {}
                    Progress::InProgress => pending.push(record.service.clone()),
                    other => failures.push((record.clone(), other)),
                }
            }
            if !failures.is_empty() {
                return Err(WaitError::RolloutFailed { failures, services });
            }
            if pending.is_empty() {
                return Ok(services);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(WaitError::TimedOut {
                    timeout: options.timeout,
                    pending,
                    services,
                });
            }
            let sleep = pause.min(deadline - now);
            tokio::select! {
                _ = options.cancel.cancelled() => return Err(WaitError::Cancelled { pending }),
                _ = tokio::time::sleep(sleep) => {}
            }
            pause = (pause * 2).min(options.max_poll_interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::fixtures::{deployment, service};
    use super::*;

    #[test]
    fn completed_needs_only_deployment_completed_and_all_running() {
        let s = service(vec![deployment("new", "PRIMARY", "COMPLETED", 2, 2)], 2);
        assert_eq!(progress(&s, "new"), Progress::Completed);
        let s = service(vec![deployment("new", "PRIMARY", "COMPLETED", 2, 1)], 1);
        assert_eq!(progress(&s, "new"), Progress::InProgress);
        let s = service(
            vec![
                deployment("new", "PRIMARY", "IN_PROGRESS", 2, 2),
                deployment("old", "ACTIVE", "COMPLETED", 2, 1),
            ],
            3,
        );
        assert_eq!(progress(&s, "new"), Progress::InProgress);
    }

    #[test]
    fn failed_and_replaced_are_told_apart() {
        let mut failed = deployment("new", "PRIMARY", "FAILED", 2, 0);
        failed.rollout_state_reason = "circuit breaker".into();
        let s = service(
            vec![failed, deployment("old", "ACTIVE", "COMPLETED", 2, 2)],
            2,
        );
        assert_eq!(
            progress(&s, "new"),
            Progress::Failed {
                reason: "circuit breaker".into()
            }
        );
        let s = service(
            vec![
                deployment("rollback", "PRIMARY", "IN_PROGRESS", 2, 0),
                deployment("new", "ACTIVE", "IN_PROGRESS", 2, 0),
            ],
            2,
        );
        assert_eq!(
            progress(&s, "new"),
            Progress::Replaced {
                by: Some("rollback".into())
            }
        );
        let s = service(vec![deployment("other", "PRIMARY", "COMPLETED", 2, 2)], 2);
        assert_eq!(
            progress(&s, "new"),
            Progress::Replaced {
                by: Some("other".into())
            }
        );
    }
}
