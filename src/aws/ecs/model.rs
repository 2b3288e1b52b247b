//! Services, deployments and tasks as the domain sees them (translated from the SDK's types in
//! `describe`).

use super::status::{
    DeploymentController, DeploymentStatus, DeploymentStrategy, RfcStatus, RolloutState,
    ServiceStatus, TaskStatus,
};

/// A service as DescribeServices reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    /// The name asked for.
    pub name: String,
    /// The service ARN.
    pub arn: String,
    /// Whether the service is in service.
    pub status: ServiceStatus,
    /// The service's desired task count.
    pub desired_count: i32,
    /// Tasks running for the service.
    pub running_count: i32,
    /// The service's current task definition ARN.
    pub task_definition: String,
    /// Its deployments, as ECS lists them (PRIMARY, ACTIVE, INACTIVE).
    pub deployments: Vec<DeploymentState>,
    /// The ARN of its current (newest) service deployment, when ECS reports one.
    pub current_service_deployment: Option<String>,
    /// Who deploys it: only the ECS controller deploys on UpdateService.
    pub deployment_controller: DeploymentController,
    /// Its deployment strategy (ROLLING when its configuration names none).
    pub strategy: DeploymentStrategy,
}

/// One deployment of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentState {
    /// `ecs-svc/<digits>`.
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: DeploymentStatus,
    /// Where the rollout stands (`None` when ECS reports none, e.g. for an ACTIVE deployment).
    pub rollout_state: Option<RolloutState>,
    /// Why the rollout is in that state (empty when ECS gives no reason).
    pub rollout_state_reason: String,
    /// The deployment's task definition ARN.
    pub task_definition: String,
    /// Tasks the deployment wants.
    pub desired_count: i32,
    /// Tasks of the deployment that are running.
    pub running_count: i32,
    /// Tasks of the deployment that are starting.
    pub pending_count: i32,
    /// Tasks of the deployment that failed to start.
    pub failed_tasks: i32,
    /// Creation time, RFC 3339 (empty when ECS gives none).
    pub created_at: String,
}

impl DeploymentState {
    /// True for the PRIMARY deployment.
    pub fn is_primary(&self) -> bool {
        self.status == DeploymentStatus::Primary
    }
}

impl ServiceState {
    /// The deployment with status PRIMARY (the newest one; not necessarily the first listed).
    pub fn primary(&self) -> Option<&DeploymentState> {
        self.deployments.iter().find(|d| d.is_primary())
    }

    /// The deployment with this id, if ECS still lists it.
    pub fn deployment(&self, id: &str) -> Option<&DeploymentState> {
        self.deployments.iter().find(|d| d.id == id)
    }

    /// The RFC 013 status of the deployment `deployment_id`.
    pub fn rfc_status(&self, deployment_id: &str) -> RfcStatus {
        match self.deployment(deployment_id) {
            None => RfcStatus::Dead,
            Some(d) if d.is_primary() && self.deployments.len() > 1 => RfcStatus::InProgress,
            Some(d) if d.is_primary() && d.running_count == d.desired_count => RfcStatus::Complete,
            Some(d) if d.is_primary() => RfcStatus::NotStable,
            Some(d) if d.status == DeploymentStatus::Active => RfcStatus::Retiring,
            Some(_) => RfcStatus::Retired,
        }
    }

    /// The release is settled: one deployment, COMPLETED, running every desired task, and the
    /// service running every desired task.
    pub fn is_settled(&self) -> bool {
        match self.deployments.as_slice() {
            [only] => {
                only.rollout_state == Some(RolloutState::Completed)
                    && only.running_count == only.desired_count
                    && self.running_count == self.desired_count
            }
            _ => false,
        }
    }
}

/// A deployment this provider started (or adopted) and is responsible for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDeployment {
    /// The cluster (as configured: name or ARN).
    pub cluster: String,
    /// The service name.
    pub service: String,
    /// The service ARN.
    pub service_arn: String,
    /// The PRIMARY deployment id after the update (`ecs-svc/…`).
    pub deployment_id: String,
    /// The ARN of the service deployment that rolls it out (the service's
    /// `currentServiceDeployment` after the update); `None` when ECS reported none.
    pub service_deployment_arn: Option<String>,
    /// The service's deployment strategy, when ECS reported it.
    pub strategy: Option<DeploymentStrategy>,
}

/// A task's container as DescribeTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContainer {
    /// The container name.
    pub name: String,
    /// The image reference the task definition gave (`repo:prod`).
    pub image: String,
    /// The digest the image resolved to, once known.
    pub image_digest: Option<String>,
}

/// A task as DescribeTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    /// The task ARN.
    pub arn: String,
    /// Where the task is in its lifecycle.
    pub last_status: TaskStatus,
    /// RUNNING or STOPPED (a RUNNING task with desired STOPPED is draining).
    pub desired_status: TaskStatus,
    /// The deployment that started it (`ecs-svc/…`).
    pub started_by: String,
    /// Its containers.
    pub containers: Vec<TaskContainer>,
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Services and deployments for the tests of this module and its siblings.

    use super::*;

    /// A deployment with the given status, rollout state ("" for none) and counts.
    pub fn deployment(
        id: &str,
        status: &str,
        rollout: &str,
        desired: i32,
        running: i32,
    ) -> DeploymentState {
        DeploymentState {
            id: id.into(),
            status: status.into(),
            rollout_state: (!rollout.is_empty()).then(|| rollout.into()),
            rollout_state_reason: String::new(),
            task_definition: "td:1".into(),
            desired_count: desired,
            running_count: running,
            pending_count: 0,
            failed_tasks: 0,
            created_at: String::new(),
        }
    }

    /// An ACTIVE service wanting 2 tasks, running `running`.
    pub fn service(deployments: Vec<DeploymentState>, running: i32) -> ServiceState {
        ServiceState {
            name: "svc".into(),
            arn: "arn:svc".into(),
            status: ServiceStatus::Active,
            desired_count: 2,
            running_count: running,
            task_definition: "td:1".into(),
            deployments,
            current_service_deployment: None,
            deployment_controller: DeploymentController::Ecs,
            strategy: DeploymentStrategy::Rolling,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{deployment, service};
    use super::*;

    #[test]
    fn rfc_statuses() {
        let s = service(
            vec![
                deployment("new", "PRIMARY", "IN_PROGRESS", 2, 1),
                deployment("old", "ACTIVE", "COMPLETED", 2, 1),
            ],
            2,
        );
        assert_eq!(s.rfc_status("new"), RfcStatus::InProgress);
        assert_eq!(s.rfc_status("old"), RfcStatus::Retiring);
        assert_eq!(s.rfc_status("gone"), RfcStatus::Dead);
        let s = service(vec![deployment("new", "PRIMARY", "COMPLETED", 2, 2)], 2);
        assert_eq!(s.rfc_status("new"), RfcStatus::Complete);
        let s = service(vec![deployment("new", "PRIMARY", "IN_PROGRESS", 2, 1)], 1);
        assert_eq!(s.rfc_status("new"), RfcStatus::NotStable);
        let s = service(
            vec![
                deployment("new", "PRIMARY", "COMPLETED", 2, 2),
                deployment("old", "INACTIVE", "COMPLETED", 0, 0),
            ],
            2,
        );
        assert_eq!(s.rfc_status("old"), RfcStatus::Retired);
    }

    #[test]
    fn settled_needs_one_completed_deployment_running_everything() {
        assert!(service(vec![deployment("a", "PRIMARY", "COMPLETED", 2, 2)], 2).is_settled());
        assert!(!service(vec![deployment("a", "PRIMARY", "COMPLETED", 2, 1)], 1).is_settled());
        assert!(!service(vec![deployment("a", "PRIMARY", "", 2, 2)], 2).is_settled());
        assert!(
            !service(
                vec![
                    deployment("a", "PRIMARY", "COMPLETED", 2, 2),
                    deployment("b", "ACTIVE", "COMPLETED", 2, 0)
                ],
                2
            )
            .is_settled()
        );
    }
}
