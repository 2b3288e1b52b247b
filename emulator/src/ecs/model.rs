//! The ECS data model: clusters, task definitions, services with their deployments, tasks, and
//! the lookups every operation shares. No wire encoding here (see [`super::wire`]), no operation
//! (see the family modules) and no scheduling (see [`super::rollout`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::ids::SplitMix64;
use crate::protocol::{AwsError, RequestContext};

use super::config::DeployConfig;
use super::deployment::{Deployment, LastCompleted, Revision};
use super::externals::{AlarmState, LambdaResult, Outside};
use super::service_deployment::ServiceDeployment;
use super::task::{Task, TaskDefinition, TaskStatus, TdKey};

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
    /// Load balancers, echoed back (blue/green strategies shift traffic through them).
    pub load_balancers: Vec<Value>,
    /// `deploymentController.type`: `ECS`, `CODE_DEPLOY` or `EXTERNAL`. Only `ECS` services
    /// deploy through UpdateService.
    pub controller: String,
    /// Listed deployments, PRIMARY first.
    pub deployments: Vec<Deployment>,
    /// Deployments that became INACTIVE (kept for `/_emulator/state`).
    pub retired: Vec<Deployment>,
    /// Every revision the service has run, oldest first.
    pub revisions: Vec<Revision>,
    /// Every service deployment, oldest first; the last one is `currentServiceDeployment`.
    pub service_deployments: Vec<ServiceDeployment>,
    /// Last completed deployment, the rollback target.
    pub last_completed: Option<LastCompleted>,
    /// Events, newest first.
    pub events: Vec<Event>,
}

impl Service {
    /// The PRIMARY deployment (always the first).
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.first()
    }

    /// The revision with `id`.
    pub fn revision(&self, id: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.id == id)
    }

    /// The current service deployment (the newest).
    pub fn current(&self) -> Option<&ServiceDeployment> {
        self.service_deployments.last()
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
    /// Alarms that go into ALARM while a task runs it.
    pub alarms: Vec<String>,
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
    /// The CloudWatch alarms deployments watch, as set by the world file or the admin API.
    pub alarms: BTreeMap<String, AlarmState>,
    /// What the Lambda functions that hooks invoke answer.
    pub lambdas: BTreeMap<String, LambdaResult>,
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

impl Ecs {
    /// The alarms in ALARM: those set so, and those a RUNNING task's image trips.
    pub fn firing_alarms(&self) -> BTreeSet<String> {
        let mut firing: BTreeSet<String> = self
            .alarms
            .iter()
            .filter(|(_, s)| **s == AlarmState::Alarm)
            .map(|(name, _)| name.clone())
            .collect();
        for task in self.clusters.iter().flat_map(|c| &c.tasks) {
            if task.last == TaskStatus::Running && task.desired == TaskStatus::Running {
                for c in &task.containers {
                    firing.extend(c.alarms.iter().cloned());
                }
            }
        }
        firing
    }

    /// Puts every alarm that a running service deployment watches into ALARM (an `alarm` fault).
    /// Returns the alarms it set.
    pub fn trip_watched_alarms(&mut self) -> Vec<String> {
        let mut tripped: Vec<String> = Vec::new();
        for service in self.clusters.iter().flat_map(|c| &c.services) {
            let Some(sd) = service.current().filter(|sd| !sd.status.is_final()) else {
                continue;
            };
            if let Some(alarms) = sd.config.monitored_alarms() {
                for name in &alarms.names {
                    if !tripped.contains(name) {
                        tripped.push(name.clone());
                    }
                }
            }
        }
        for name in &tripped {
            self.alarms.insert(name.clone(), AlarmState::Alarm);
        }
        tripped
    }

    /// What a scheduler step needs from outside ECS, as of now.
    pub fn outside(&self) -> Outside {
        Outside {
            firing: self.firing_alarms(),
            lambdas: self.lambdas.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_from_arns() {
        assert_eq!(short_name("arn:aws:ecs:us-east-1:1:service/c/s"), "s");
        assert_eq!(short_name("s"), "s");
    }
}
