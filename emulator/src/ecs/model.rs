//! The ECS data model: clusters, task definitions, services with their deployments, tasks, and
//! the lookups every operation shares. No wire encoding here (see [`super::wire`]), no operation
//! (see the family modules) and no scheduling (see [`super::rollout`]).

use serde_json::{Map, Value};

use crate::ids::SplitMix64;
use crate::protocol::{AwsError, RequestContext};

/// Identifies one task-definition revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TdKey {
    /// Family name.
    pub family: String,
    /// Revision number (from 1).
    pub revision: i64,
}

impl TdKey {
    /// `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`.
    pub fn arn(&self, ctx: &RequestContext) -> String {
        format!(
            "arn:aws:ecs:{}:{}:task-definition/{}:{}",
            ctx.region, ctx.account, self.family, self.revision
        )
    }
}

/// A registered task definition.
#[derive(Clone, Debug)]
pub struct TaskDefinition {
    /// Family and revision.
    pub key: TdKey,
    /// The request body as registered (without `tags`), defaults filled in.
    pub body: Map<String, Value>,
    /// Registration time (emulated ms).
    pub registered_ms: i64,
}

impl TaskDefinition {
    /// `(name, image)` of every container definition, in order.
    pub fn containers(&self) -> Vec<(String, String)> {
        self.body
            .get("containerDefinitions")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|c| {
                        let s =
                            |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        (s("name"), s("image"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A top-level string member of the registered body (`cpu`, `memory`).
    pub fn string(&self, key: &str) -> Option<String> {
        self.body
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// A container image as a deployment resolved it (once, when the deployment was created).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedContainer {
    /// Container name.
    pub name: String,
    /// Image reference as written in the task definition.
    pub image: String,
    /// The digest the reference resolved to.
    pub digest: Option<String>,
    /// Why tasks with this container cannot start (`stoppedReason`), if they cannot.
    pub failure: Option<String>,
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
    /// Stopped by the circuit breaker.
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

/// One service deployment.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// `ecs-svc/<19 digits>`.
    pub id: String,
    /// PRIMARY / ACTIVE / INACTIVE.
    pub status: DeploymentStatus,
    /// Task definition it runs.
    pub task_definition: TdKey,
    /// Images resolved once for the whole deployment.
    pub containers: Vec<ResolvedContainer>,
    /// Task cpu / memory from the task definition.
    pub cpu: Option<String>,
    /// Task memory.
    pub memory: Option<String>,
    /// Desired tasks (for the PRIMARY: the service's desired count).
    pub desired_count: i64,
    /// Consecutive failed task starts.
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

/// What a rollback returns to: the last deployment that completed.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Its id.
    pub deployment_id: String,
    /// Its task definition.
    pub task_definition: TdKey,
    /// Its resolved images (digests included: a rollback does not re-resolve tags).
    pub containers: Vec<ResolvedContainer>,
    /// Task cpu.
    pub cpu: Option<String>,
    /// Task memory.
    pub memory: Option<String>,
}

/// Deployment configuration we act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployConfig {
    /// `minimumHealthyPercent`.
    pub minimum_healthy_percent: i64,
    /// `maximumPercent`.
    pub maximum_percent: i64,
    /// Circuit breaker `enable`.
    pub circuit_breaker: bool,
    /// Circuit breaker `rollback`.
    pub rollback: bool,
}

/// A service event (newest first in `events`).
#[derive(Clone, Debug)]
pub struct Event {
    /// Event id.
    pub id: String,
    /// When (emulated ms).
    pub created_ms: i64,
    /// Text, worded like ECS's.
    pub message: String,
}

/// An ECS service.
#[derive(Clone, Debug)]
pub struct Service {
    /// Service name.
    pub name: String,
    /// Created (emulated ms).
    pub created_ms: i64,
    /// Desired task count.
    pub desired_count: i64,
    /// Current task definition.
    pub task_definition: TdKey,
    /// Deployment configuration.
    pub config: DeployConfig,
    /// Launch type reported on tasks and deployments.
    pub launch_type: String,
    /// Network configuration, echoed back.
    pub network_configuration: Option<Value>,
    /// Listed deployments, PRIMARY first.
    pub deployments: Vec<Deployment>,
    /// Deployments that became INACTIVE (kept for `/_emulator/state`).
    pub retired: Vec<Deployment>,
    /// Last completed deployment, the rollback target.
    pub last_completed: Option<Snapshot>,
    /// Events, newest first.
    pub events: Vec<Event>,
}

impl Service {
    /// The PRIMARY deployment (always the first).
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.first()
    }

    /// Records an event (keeps the newest 100).
    pub fn event(&mut self, ids: &mut SplitMix64, now_ms: i64, message: String) {
        self.events.insert(
            0,
            Event {
                id: ids.uuid(),
                created_ms: now_ms,
                message,
            },
        );
        self.events.truncate(100);
    }

    /// `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`.
    pub fn arn(&self, cluster: &str, ctx: &RequestContext) -> String {
        format!(
            "arn:aws:ecs:{}:{}:service/{cluster}/{}",
            ctx.region, ctx.account, self.name
        )
    }
}

/// Task statuses we use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskStatus {
    /// Launched, not yet running.
    Pending,
    /// Running.
    Running,
    /// Stopped.
    Stopped,
}

impl TaskStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Stopped => "STOPPED",
        }
    }
}

/// One task.
#[derive(Clone, Debug)]
pub struct Task {
    /// 32-hex task id.
    pub id: String,
    /// Owning service.
    pub service: String,
    /// `startedBy`: the deployment id.
    pub deployment: String,
    /// Task definition.
    pub task_definition: TdKey,
    /// Containers with their resolved images.
    pub containers: Vec<ResolvedContainer>,
    /// Container ids (one per container).
    pub container_ids: Vec<String>,
    /// `lastStatus`.
    pub last: TaskStatus,
    /// `desiredStatus`.
    pub desired: TaskStatus,
    /// Created.
    pub created_ms: i64,
    /// Reached RUNNING.
    pub started_ms: Option<i64>,
    /// Scheduler decided to stop it.
    pub stopping_ms: Option<i64>,
    /// Reached STOPPED.
    pub stopped_ms: Option<i64>,
    /// `stopCode`.
    pub stop_code: Option<String>,
    /// `stoppedReason`.
    pub stopped_reason: Option<String>,
    /// Bumped on every status change.
    pub version: i64,
    /// Launch type.
    pub launch_type: String,
    /// Task cpu.
    pub cpu: Option<String>,
    /// Task memory.
    pub memory: Option<String>,
    /// Why it will fail to start, if it will.
    pub failure: Option<String>,
}

impl Task {
    /// Desired RUNNING and not stopped: counts toward the deployment.
    pub fn is_live(&self) -> bool {
        self.desired == TaskStatus::Running && self.last != TaskStatus::Stopped
    }
}

/// An ECS cluster with its services and tasks.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Cluster name.
    pub name: String,
    /// Services in creation order.
    pub services: Vec<Service>,
    /// Tasks in launch order (stopped ones stay describable).
    pub tasks: Vec<Task>,
}

impl Cluster {
    /// `arn:aws:ecs:<region>:<account>:cluster/<name>`.
    pub fn arn(&self, ctx: &RequestContext) -> String {
        format!(
            "arn:aws:ecs:{}:{}:cluster/{}",
            ctx.region, ctx.account, self.name
        )
    }
}

/// An image outside the emulated ECR.
#[derive(Clone, Debug)]
pub struct ExternalImage {
    /// Exact reference.
    pub image: String,
    /// Digest reported.
    pub digest: String,
    /// Whether it starts.
    pub healthy: bool,
}

/// All of ECS.
#[derive(Clone, Debug, Default)]
pub struct Ecs {
    /// Clusters in creation order.
    pub clusters: Vec<Cluster>,
    /// Every task-definition revision, in registration order.
    pub task_definitions: Vec<TaskDefinition>,
    /// Known images outside ECR.
    pub external: Vec<ExternalImage>,
}

impl Ecs {
    /// The index of the cluster a request names (name or ARN; absent: `default`).
    pub fn cluster_index(&self, reference: Option<&str>) -> Result<usize, AwsError> {
        let name = short_name(reference.unwrap_or("default"));
        self.clusters
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(cluster_not_found)
    }

    /// Finds a task definition by `family`, `family:revision` or ARN.
    pub fn find_task_definition(&self, reference: &str) -> Option<usize> {
        let reference = if reference.starts_with("arn:") {
            reference.split_once(":task-definition/").map(|(_, r)| r)?
        } else {
            reference
        };
        match reference.rsplit_once(':') {
            Some((family, rev)) => {
                let rev: i64 = rev.parse().ok()?;
                self.task_definitions
                    .iter()
                    .position(|t| t.key.family == family && t.key.revision == rev)
            }
            None => self
                .task_definitions
                .iter()
                .enumerate()
                .filter(|(_, t)| t.key.family == reference)
                .max_by_key(|(_, t)| t.key.revision)
                .map(|(i, _)| i),
        }
    }
}

/// Last path segment of an ARN (`…:cluster/name` → `name`), or the input itself.
pub fn short_name(reference: &str) -> &str {
    if reference.starts_with("arn:") {
        reference.rsplit('/').next().unwrap_or(reference)
    } else {
        reference
    }
}

/// `ClusterNotFoundException`.
pub fn cluster_not_found() -> AwsError {
    AwsError::client("ClusterNotFoundException", "Cluster not found.")
}

/// `ServiceNotFoundException`.
pub fn service_not_found() -> AwsError {
    AwsError::client("ServiceNotFoundException", "Service not found.")
}

/// Whether a cluster, family or service name follows ECS's rules (1 to 255 letters, digits, `-`, `_`).
pub fn valid_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`.
pub fn task_arn(cluster: &str, id: &str, ctx: &RequestContext) -> String {
    format!(
        "arn:aws:ecs:{}:{}:task/{cluster}/{id}",
        ctx.region, ctx.account
    )
}

/// Counts of a deployment's tasks that are still wanted: (running, pending).
pub fn deployment_counts(tasks: &[Task], service: &str, deployment: &str) -> (i64, i64) {
    let mut running = 0;
    let mut pending = 0;
    for t in tasks {
        if t.service == service && t.deployment == deployment && t.desired == TaskStatus::Running {
            match t.last {
                TaskStatus::Running => running += 1,
                TaskStatus::Pending => pending += 1,
                TaskStatus::Stopped => {}
            }
        }
    }
    (running, pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_from_arns() {
        assert_eq!(short_name("arn:aws:ecs:us-east-1:1:service/c/s"), "s");
        assert_eq!(short_name("s"), "s");
    }
}
