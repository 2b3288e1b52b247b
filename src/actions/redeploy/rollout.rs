//! The seam between the action and ECS: start a new deployment of each service and follow the
//! rollouts, reporting each service's progress as a [`Stage`]. Only this file knows how the
//! domain deploys and waits: today `Ecs::force_new_deployments` and `Ecs::wait_for_rollouts`,
//! which reports the end of the rollouts only, so each service reports when its deployment
//! started and when it completed.
//!
//! Failures come back as the domain's [`Failure`] of a promotion that never moved a tag, so
//! the diagnostics are the resource's for the same failure (`crate::errors::redeploy`).

use std::fmt;

use crate::aws::ecs::{
    DeploymentStatus, Ecs, RecordedDeployment, RolloutState, ServiceState, WaitOptions,
};
use crate::aws::promote::{DeploymentReport, Failure, Outcome, PromotionError, rollout_error};

/// A change in one service's rollout, for a progress message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stage {
    /// The new deployment started.
    Started {
        /// The service as configured.
        service: String,
        /// `ecs-svc/…`.
        deployment_id: String,
    },
    /// The new deployment is the only one, COMPLETED, with every desired task running.
    Completed {
        /// The service as configured.
        service: String,
        /// `ecs-svc/…`.
        deployment_id: String,
        /// Tasks running.
        running: i32,
    },
    /// Not waiting: the rollout goes on in ECS.
    NotWaited {
        /// The service as configured.
        service: String,
    },
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Started {
                service,
                deployment_id,
            } => write!(f, "{service}: new deployment {deployment_id} started"),
            Stage::Completed {
                service,
                deployment_id,
                running,
            } => write!(
                f,
                "{service}: deployment {deployment_id} COMPLETED, {running} task(s) running"
            ),
            Stage::NotWaited { service } => write!(
                f,
                "{service}: not waiting for the rollout (wait_for_rollout = false); it goes on in ECS"
            ),
        }
    }
}

/// What a redeploy leaves: the deployment of each service, in the order configured.
pub(super) type Redeployed = Vec<DeploymentReport>;

/// Checks that every service exists (one DescribeServices per 10), so a misspelt one fails
/// the action before any service is redeployed; then starts a new deployment of every service
/// concurrently and, with `wait`, follows the rollouts to the end, calling `report` at each
/// stage.
pub(super) async fn redeploy(
    ecs: &Ecs,
    cluster: &str,
    services: &[String],
    wait: Option<&WaitOptions>,
    report: &(dyn Fn(Stage) + Send + Sync),
) -> Result<Redeployed, Box<Failure>> {
    let nothing = || Outcome {
        tag_digest: None,
        deployments: Vec::new(),
        tag_moved: false,
    };
    if let Err(error) = ecs.services(cluster, services).await {
        return Err(Box::new(Failure {
            error: PromotionError::Lookup(error),
            rollback: None,
            outcome: nothing(),
        }));
    }
    let mut started = Vec::new();
    let mut failures = Vec::new();
    for (service, result) in services
        .iter()
        .zip(ecs.force_new_deployments(cluster, services).await)
    {
        match result {
            Ok(deployment) => {
                report(Stage::Started {
                    service: service.clone(),
                    deployment_id: deployment.deployment_id.clone(),
                });
                started.push(deployment);
            }
            Err(error) => failures.push((service.clone(), error)),
        }
    }
    let mut outcome = Outcome {
        deployments: started.iter().map(just_started).collect(),
        ..nothing()
    };
    if !failures.is_empty() {
        return Err(Box::new(Failure {
            error: PromotionError::Deploy { failures },
            rollback: None,
            outcome,
        }));
    }
    let Some(wait) = wait else {
        for service in services {
            report(Stage::NotWaited {
                service: service.clone(),
            });
        }
        return Ok(outcome.deployments);
    };
    match ecs.wait_for_rollouts(cluster, &started, wait).await {
        Ok(states) => {
            for report_of in &mut outcome.deployments {
                let seen = states
                    .iter()
                    .find(|s| s.name == report_of.deployment.service);
                seen_as(report_of, seen);
                report(Stage::Completed {
                    service: report_of.deployment.service.clone(),
                    deployment_id: report_of.deployment.deployment_id.clone(),
                    running: seen.map(|s| s.running_count).unwrap_or_default(),
                });
            }
            Ok(outcome.deployments)
        }
        Err(source) => Err(Box::new(Failure {
            error: rollout_error(source),
            rollback: None,
            outcome,
        })),
    }
}

/// A deployment UpdateService has just started (PRIMARY, IN_PROGRESS, as it reports them).
fn just_started(deployment: &RecordedDeployment) -> DeploymentReport {
    DeploymentReport {
        deployment: deployment.clone(),
        started: true,
        status: Some(DeploymentStatus::Primary),
        rollout_state: Some(RolloutState::InProgress),
    }
}

/// Records the deployment's status and rollout state as last described.
fn seen_as(report: &mut DeploymentReport, service: Option<&ServiceState>) {
    if let Some(d) = service.and_then(|s| s.deployment(&report.deployment.deployment_id)) {
        report.status = Some(d.status.clone());
        report.rollout_state = d.rollout_state.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_read_as_one_line_per_service() {
        let started = Stage::Started {
            service: "api".into(),
            deployment_id: "ecs-svc/1".into(),
        };
        assert_eq!(started.to_string(), "api: new deployment ecs-svc/1 started");
        let done = Stage::Completed {
            service: "api".into(),
            deployment_id: "ecs-svc/1".into(),
            running: 2,
        };
        assert_eq!(
            done.to_string(),
            "api: deployment ecs-svc/1 COMPLETED, 2 task(s) running"
        );
    }
}
