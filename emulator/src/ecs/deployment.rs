//! What a deployment rolls out and how `deployments[]` reports it: the service revision (task
//! definition, resolved images, network and load balancers), the `deployments[]` entry with its
//! status and rollout state, and the counts of its tasks.

use serde_json::Value;

use crate::protocol::RequestContext;

use super::task::{ResolvedContainer, TdKey};

/// A service revision: everything a deployment runs, fixed when the deployment starts.
#[derive(Clone, Debug)]
pub struct Revision {
    /// 19 digits: the digits of the deployment id that created it (`ecs-svc/<id>`).
    pub id: String,
    /// Task definition.
    pub task_definition: TdKey,
    /// Images resolved once for the whole revision.
    pub containers: Vec<ResolvedContainer>,
    /// Task cpu from the task definition.
    pub cpu: Option<String>,
    /// Task memory from the task definition.
    pub memory: Option<String>,
    /// Launch type.
    pub launch_type: String,
    /// Network configuration, echoed.
    pub network_configuration: Option<Value>,
    /// Load balancers, echoed.
    pub load_balancers: Vec<Value>,
    /// Created (emulated ms).
    pub created_ms: i64,
}

/// `arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<id>`.
pub fn revision_arn(cluster: &str, service: &str, id: &str, ctx: &RequestContext) -> String {
    format!(
        "arn:aws:ecs:{}:{}:service-revision/{cluster}/{service}/{id}",
        ctx.region, ctx.account
    )
}

/// The revision id a deployment id stands for (`ecs-svc/123` → `123`).
pub fn revision_id(deployment_id: &str) -> String {
    deployment_id
        .strip_prefix("ecs-svc/")
        .unwrap_or(deployment_id)
        .to_string()
}

/// Deployment status as ECS reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// The most recent deployment.
    Primary,
    /// Being replaced, still has tasks.
    Active,
    /// Completely replaced (no longer listed by DescribeServices).
    Inactive,
}

impl DeploymentStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "PRIMARY",
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// `rolloutState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutState {
    /// Rolling out.
    InProgress,
    /// Reached steady state.
    Completed,
    /// Stopped by the circuit breaker, an alarm, a hook or a stop request.
    Failed,
}

impl RolloutState {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }
}

/// One `deployments[]` entry: a set of tasks of one revision.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// `ecs-svc/<19 digits>`.
    pub id: String,
    /// PRIMARY / ACTIVE / INACTIVE.
    pub status: DeploymentStatus,
    /// What it runs. A rollback entry runs the revision it returns to.
    pub revision: Revision,
    /// Desired tasks (for the PRIMARY: the service's desired count).
    pub desired_count: i64,
    /// Failed task starts counted by the circuit breaker.
    pub failed_tasks: i64,
    /// Rollout state.
    pub rollout: RolloutState,
    /// `rolloutStateReason`.
    pub reason: String,
    /// Created (emulated ms).
    pub created_ms: i64,
    /// Last change (emulated ms).
    pub updated_ms: i64,
    /// A task of this deployment reached RUNNING (ECS then stops counting failures).
    pub had_running: bool,
}

impl Deployment {
    /// A new PRIMARY entry that rolls `revision` out to `desired` tasks.
    pub fn new(id: String, revision: Revision, desired: i64, reason: String, now_ms: i64) -> Self {
        Deployment {
            id,
            status: DeploymentStatus::Primary,
            revision,
            desired_count: desired,
            failed_tasks: 0,
            rollout: RolloutState::InProgress,
            reason,
            created_ms: now_ms,
            updated_ms: now_ms,
            had_running: false,
        }
    }

    /// Marks the rollout FAILED with `reason`.
    pub fn fail(&mut self, reason: String, now_ms: i64) {
        self.rollout = RolloutState::Failed;
        self.reason = reason;
        self.updated_ms = now_ms;
    }
}

/// The last deployment that completed: what a rollback returns to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastCompleted {
    /// Its `deployments[]` id.
    pub deployment_id: String,
    /// Its revision id.
    pub revision: String,
}
