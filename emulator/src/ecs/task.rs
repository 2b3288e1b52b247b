//! Task definitions and tasks: what a deployment launches and what each launched task is. The
//! lowest layer of the ECS model: it depends on nothing else in `ecs`.

use serde_json::{Map, Value};

use crate::protocol::RequestContext;

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
    /// Alarms that go into ALARM while a task runs this image (world files can say so).
    pub alarms: Vec<String>,
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
