//! Emulated Amazon ECS: clusters, task definitions, services with deployments, tasks, and the
//! API operations the project uses. The rollout scheduler lives in [`crate::rollout`].

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::ecr::Ecr;
use crate::ids::SplitMix64;
use crate::protocol::{AwsError, RequestContext, decode, page_size, paginate, ts};
use crate::world::ExternalImageSpec;

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
    fn containers(&self) -> Vec<(String, String)> {
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

    fn string(&self, key: &str) -> Option<String> {
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

impl From<&ExternalImageSpec> for ExternalImage {
    fn from(s: &ExternalImageSpec) -> Self {
        ExternalImage {
            image: s.image.clone(),
            digest: s
                .digest
                .clone()
                .unwrap_or_else(|| crate::manifest::digest_of(s.image.as_bytes())),
            healthy: s.healthy,
        }
    }
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

/// Names the ECS operations this emulator serves.
pub const OPERATIONS: &[&str] = &[
    "CreateCluster",
    "DescribeClusters",
    "RegisterTaskDefinition",
    "DescribeTaskDefinition",
    "CreateService",
    "UpdateService",
    "DescribeServices",
    "ListServices",
    "ListTasks",
    "DescribeTasks",
];

/// Last path segment of an ARN (`…:cluster/name` → `name`), or the input itself.
fn short_name(reference: &str) -> &str {
    if reference.starts_with("arn:") {
        reference.rsplit('/').next().unwrap_or(reference)
    } else {
        reference
    }
}

fn cluster_not_found() -> AwsError {
    AwsError::client("ClusterNotFoundException", "Cluster not found.")
}

fn service_not_found() -> AwsError {
    AwsError::client("ServiceNotFoundException", "Service not found.")
}

/// Splits `registry/repo[:tag][@digest]` for an ECR registry host.
fn parse_ecr_reference(image: &str) -> Option<(String, String, Option<String>, Option<String>)> {
    let (host, rest) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let _region = parts.next()?;
    if parts.next()? != "amazonaws" {
        return None;
    }
    let (name_tag, digest) = match rest.split_once('@') {
        Some((n, d)) => (n, Some(d.to_string())),
        None => (rest, None),
    };
    // A ':' after the last '/' separates the tag.
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name_tag[last_slash..].find(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(name_tag[last_slash + i + 1..].to_string()),
        ),
        None => (name_tag, None),
    };
    Some((account.to_string(), repo.to_string(), tag, digest))
}

/// Resolves an image reference to a digest against the emulated ECR (or the world's external
/// images), as a new deployment does once per container.
pub fn resolve_image(
    name: &str,
    image: &str,
    ecr: &Ecr,
    external: &[ExternalImage],
    account: &str,
) -> ResolvedContainer {
    let not_found = || {
        format!(
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref {image}: {image}: not found"
        )
    };
    let unhealthy = "CannotStartContainerError: Error response from daemon: failed to create task for container: the image is marked unhealthy in the emulator world".to_string();
    let mut out = ResolvedContainer {
        name: name.to_string(),
        image: image.to_string(),
        digest: None,
        failure: None,
    };
    if let Some((acct, repo_name, tag, digest)) = parse_ecr_reference(image)
        && acct == account
    {
        let found = ecr
            .repository(&repo_name)
            .and_then(|repo| match (&digest, &tag) {
                (Some(d), _) => repo.by_digest(d),
                (None, Some(t)) => repo.by_tag(t),
                (None, None) => repo.by_tag("latest"),
            });
        match found {
            Some(i) => {
                out.digest = Some(i.digest.clone());
                if !i.healthy {
                    out.failure = Some(unhealthy);
                }
            }
            None => out.failure = Some(not_found()),
        }
        return out;
    }
    match external.iter().find(|e| e.image == image) {
        Some(e) => {
            out.digest = Some(e.digest.clone());
            if !e.healthy {
                out.failure = Some(unhealthy);
            }
        }
        None => out.failure = Some(not_found()),
    }
    out
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct CircuitBreakerIn {
    enable: bool,
    rollback: bool,
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct DeploymentConfigurationIn {
    deployment_circuit_breaker: Option<CircuitBreakerIn>,
    maximum_percent: Option<i64>,
    minimum_healthy_percent: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateClusterIn {
    cluster_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeClustersIn {
    clusters: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTaskDefinitionIn {
    task_definition: String,
    include: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateServiceIn {
    cluster: Option<String>,
    service_name: String,
    task_definition: Option<String>,
    desired_count: Option<i64>,
    launch_type: Option<String>,
    deployment_configuration: Option<DeploymentConfigurationIn>,
    network_configuration: Option<Value>,
    scheduling_strategy: Option<String>,
    deployment_controller: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateServiceIn {
    cluster: Option<String>,
    service: String,
    desired_count: Option<i64>,
    task_definition: Option<String>,
    deployment_configuration: Option<DeploymentConfigurationIn>,
    network_configuration: Option<Value>,
    force_new_deployment: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeServicesIn {
    cluster: Option<String>,
    services: Vec<String>,
    include: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListServicesIn {
    cluster: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
    launch_type: Option<String>,
    scheduling_strategy: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTasksIn {
    cluster: Option<String>,
    container_instance: Option<String>,
    family: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
    started_by: Option<String>,
    service_name: Option<String>,
    desired_status: Option<String>,
    launch_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTasksIn {
    cluster: Option<String>,
    tasks: Vec<String>,
    include: Option<Vec<String>>,
}

fn merge_config(
    base: &DeployConfig,
    input: Option<&DeploymentConfigurationIn>,
) -> Result<DeployConfig, AwsError> {
    let mut c = base.clone();
    if let Some(i) = input {
        if let Some(m) = i.minimum_healthy_percent {
            c.minimum_healthy_percent = m;
        }
        if let Some(m) = i.maximum_percent {
            c.maximum_percent = m;
        }
        if let Some(cb) = &i.deployment_circuit_breaker {
            c.circuit_breaker = cb.enable;
            c.rollback = cb.rollback;
        }
    }
    if !(0..=100).contains(&c.minimum_healthy_percent) {
        return Err(AwsError::invalid(
            "minimumHealthyPercent must be between 0 and 100 for a REPLICA service.",
        ));
    }
    if c.maximum_percent < 100 || c.maximum_percent > 200 {
        return Err(AwsError::invalid(
            "maximumPercent must be between 100 and 200 for a REPLICA service using the ECS deployment controller.",
        ));
    }
    Ok(c)
}

/// The default configuration of a REPLICA service (100 / 200, circuit breaker off).
pub fn default_config() -> DeployConfig {
    DeployConfig {
        minimum_healthy_percent: 100,
        maximum_percent: 200,
        circuit_breaker: false,
        rollback: false,
    }
}

fn valid_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Ecs {
    /// Dispatches one ECS operation. `None` when the operation is not one we serve.
    pub fn call(
        &mut self,
        operation: &str,
        body: &[u8],
        ctx: &RequestContext,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
    ) -> Option<Result<Value, AwsError>> {
        let result = match operation {
            "CreateCluster" => decode(body).and_then(|i| self.create_cluster_api(i, ctx, now_ms)),
            "DescribeClusters" => decode(body).and_then(|i| self.describe_clusters(i, ctx)),
            "RegisterTaskDefinition" => decode::<Map<String, Value>>(body).and_then(|i| {
                self.register_task_definition(i, now_ms).map(
                    |(td, tags)| json!({ "taskDefinition": self.td_json(td, ctx), "tags": tags }),
                )
            }),
            "DescribeTaskDefinition" => {
                decode(body).and_then(|i| self.describe_task_definition(i, ctx))
            }
            "CreateService" => {
                decode(body).and_then(|i| self.create_service_api(i, ctx, now_ms, ecr, ids))
            }
            "UpdateService" => {
                decode(body).and_then(|i| self.update_service(i, ctx, now_ms, ecr, ids))
            }
            "DescribeServices" => decode(body).and_then(|i| self.describe_services(i, ctx)),
            "ListServices" => decode(body).and_then(|i| self.list_services(i, ctx)),
            "ListTasks" => decode(body).and_then(|i| self.list_tasks(i, ctx)),
            "DescribeTasks" => decode(body).and_then(|i| self.describe_tasks(i, ctx)),
            _ => return None,
        };
        Some(result)
    }

    fn cluster_index(&self, reference: Option<&str>) -> Result<usize, AwsError> {
        let name = short_name(reference.unwrap_or("default"));
        self.clusters
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(cluster_not_found)
    }

    /// Creates a cluster, or returns the existing one of that name (ECS is idempotent here).
    pub fn create_cluster(&mut self, name: &str) -> Result<usize, AwsError> {
        if !valid_name(name) {
            return Err(AwsError::invalid(
                "Cluster name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores, and hyphens.",
            ));
        }
        if let Some(i) = self.clusters.iter().position(|c| c.name == name) {
            return Ok(i);
        }
        self.clusters.push(Cluster {
            name: name.to_string(),
            services: Vec::new(),
            tasks: Vec::new(),
        });
        Ok(self.clusters.len() - 1)
    }

    fn cluster_json(&self, c: &Cluster, ctx: &RequestContext) -> Value {
        let running = c
            .tasks
            .iter()
            .filter(|t| t.last == TaskStatus::Running)
            .count();
        let pending = c
            .tasks
            .iter()
            .filter(|t| t.last == TaskStatus::Pending)
            .count();
        json!({
            "clusterArn": c.arn(ctx),
            "clusterName": c.name,
            "status": "ACTIVE",
            "registeredContainerInstancesCount": 0,
            "runningTasksCount": running,
            "pendingTasksCount": pending,
            "activeServicesCount": c.services.len(),
            "statistics": [],
            "tags": [],
            "settings": [{ "name": "containerInsights", "value": "disabled" }],
            "capacityProviders": [],
            "defaultCapacityProviderStrategy": [],
        })
    }

    fn create_cluster_api(
        &mut self,
        input: CreateClusterIn,
        ctx: &RequestContext,
        _now_ms: i64,
    ) -> Result<Value, AwsError> {
        let i = self.create_cluster(input.cluster_name.as_deref().unwrap_or("default"))?;
        Ok(json!({ "cluster": self.cluster_json(&self.clusters[i], ctx) }))
    }

    fn describe_clusters(
        &self,
        input: DescribeClustersIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let names = input
            .clusters
            .unwrap_or_else(|| vec!["default".to_string()]);
        if names.len() > 100 {
            return Err(AwsError::invalid("clusters can have at most 100 items."));
        }
        let mut clusters = Vec::new();
        let mut failures = Vec::new();
        for reference in &names {
            match self
                .clusters
                .iter()
                .find(|c| c.name == short_name(reference))
            {
                Some(c) => clusters.push(self.cluster_json(c, ctx)),
                None => {
                    let arn = if reference.starts_with("arn:") {
                        reference.clone()
                    } else {
                        format!(
                            "arn:aws:ecs:{}:{}:cluster/{reference}",
                            ctx.region, ctx.account
                        )
                    };
                    failures.push(json!({ "arn": arn, "reason": "MISSING" }));
                }
            }
        }
        Ok(json!({ "clusters": clusters, "failures": failures }))
    }

    /// Registers a task definition from a `RegisterTaskDefinition` body. Returns its index and the
    /// request's tags.
    pub fn register_task_definition(
        &mut self,
        mut body: Map<String, Value>,
        now_ms: i64,
    ) -> Result<(usize, Value), AwsError> {
        let family = match body.get("family") {
            Some(Value::String(f)) => f.clone(),
            None | Some(Value::Null) => {
                return Err(AwsError::invalid(
                    "1 validation error detected: Value null at 'family' failed to satisfy constraint: Member must not be null",
                ));
            }
            Some(_) => {
                return Err(AwsError::client(
                    "SerializationException",
                    "family must be a string",
                ));
            }
        };
        if !valid_name(&family) {
            return Err(AwsError::client_exception(
                "Family contains invalid characters: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.",
            ));
        }
        let Some(Value::Array(defs)) = body.get_mut("containerDefinitions") else {
            return Err(AwsError::invalid(
                "1 validation error detected: Value null at 'containerDefinitions' failed to satisfy constraint: Member must not be null",
            ));
        };
        if defs.is_empty() {
            return Err(AwsError::client_exception(
                "Container list cannot be empty.",
            ));
        }
        for def in defs.iter_mut() {
            let Value::Object(def) = def else {
                return Err(AwsError::client(
                    "SerializationException",
                    "containerDefinitions must hold objects",
                ));
            };
            for key in ["name", "image"] {
                let ok = def
                    .get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                if !ok {
                    return Err(AwsError::client_exception(format!(
                        "Container.{key} should not be null or empty."
                    )));
                }
            }
            // Defaults ECS fills in and returns.
            for (key, value) in [
                ("cpu", json!(0)),
                ("portMappings", json!([])),
                ("essential", json!(true)),
                ("environment", json!([])),
                ("mountPoints", json!([])),
                ("volumesFrom", json!([])),
                ("systemControls", json!([])),
            ] {
                def.entry(key).or_insert(value);
            }
        }
        let tags = body.remove("tags").unwrap_or_else(|| json!([]));
        for (key, value) in [("volumes", json!([])), ("placementConstraints", json!([]))] {
            body.entry(key).or_insert(value);
        }
        let revision = self
            .task_definitions
            .iter()
            .filter(|t| t.key.family == family)
            .map(|t| t.key.revision)
            .max()
            .unwrap_or(0)
            + 1;
        self.task_definitions.push(TaskDefinition {
            key: TdKey { family, revision },
            body,
            registered_ms: now_ms,
        });
        Ok((self.task_definitions.len() - 1, tags))
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

    fn td_json(&self, index: usize, ctx: &RequestContext) -> Value {
        let td = &self.task_definitions[index];
        let mut v = td.body.clone();
        v.insert("taskDefinitionArn".into(), json!(td.key.arn(ctx)));
        v.insert("family".into(), json!(td.key.family));
        v.insert("revision".into(), json!(td.key.revision));
        v.insert("status".into(), json!("ACTIVE"));
        v.insert("requiresAttributes".into(), json!([]));
        v.insert("registeredAt".into(), ts(td.registered_ms));
        let fargate = td
            .body
            .get("requiresCompatibilities")
            .and_then(Value::as_array)
            .is_some_and(|l| l.iter().any(|x| x == "FARGATE"));
        let compat = if fargate {
            json!(["EC2", "FARGATE"])
        } else {
            json!(["EC2"])
        };
        v.insert("compatibilities".into(), compat);
        Value::Object(v)
    }

    fn describe_task_definition(
        &self,
        input: DescribeTaskDefinitionIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let index = self
            .find_task_definition(&input.task_definition)
            .ok_or_else(|| AwsError::client_exception("Unable to describe task definition."))?;
        let mut out = json!({ "taskDefinition": self.td_json(index, ctx) });
        if input
            .include
            .as_ref()
            .is_some_and(|i| i.iter().any(|x| x == "TAGS"))
        {
            out["tags"] = json!([]);
        }
        Ok(out)
    }

    /// Starts a new PRIMARY deployment of the service's current task definition, resolving every
    /// container image once. The previous PRIMARY becomes ACTIVE.
    pub fn new_deployment(
        &self,
        service: &mut Service,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
        account: &str,
    ) -> Result<(), AwsError> {
        let index = self
            .find_task_definition(&format!(
                "{}:{}",
                service.task_definition.family, service.task_definition.revision
            ))
            .ok_or_else(|| AwsError::invalid("TaskDefinition not found."))?;
        let td = &self.task_definitions[index];
        let containers: Vec<ResolvedContainer> = td
            .containers()
            .iter()
            .map(|(name, image)| resolve_image(name, image, ecr, &self.external, account))
            .collect();
        let id = ids.deployment_id();
        for d in &mut service.deployments {
            if d.status == DeploymentStatus::Primary {
                d.status = DeploymentStatus::Active;
                d.updated_ms = now_ms;
            }
        }
        let deployment = Deployment {
            reason: format!("ECS deployment {id} in progress."),
            id,
            status: DeploymentStatus::Primary,
            task_definition: td.key.clone(),
            containers,
            cpu: td.string("cpu"),
            memory: td.string("memory"),
            desired_count: service.desired_count,
            failed_tasks: 0,
            rollout: RolloutState::InProgress,
            created_ms: now_ms,
            updated_ms: now_ms,
            had_running: false,
        };
        service.deployments.insert(0, deployment);
        Ok(())
    }

    /// Creates a service and its first deployment. Returns (cluster index, service index).
    #[allow(clippy::too_many_arguments)]
    fn create_service(
        &mut self,
        input: CreateServiceIn,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
        account: &str,
    ) -> Result<(usize, usize), AwsError> {
        let ci = self.cluster_index(input.cluster.as_deref())?;
        if !valid_name(&input.service_name) {
            return Err(AwsError::invalid(
                "Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores, and hyphens.",
            ));
        }
        if input
            .scheduling_strategy
            .as_deref()
            .is_some_and(|s| s != "REPLICA")
        {
            return Err(AwsError::client(
                "UnsupportedFeatureException",
                "The emulator supports REPLICA services only.",
            ));
        }
        let controller = input
            .deployment_controller
            .as_ref()
            .and_then(|c| c.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("ECS");
        if controller != "ECS" {
            return Err(AwsError::client(
                "UnsupportedFeatureException",
                "The emulator supports the ECS (rolling update) deployment controller only.",
            ));
        }
        if self.clusters[ci]
            .services
            .iter()
            .any(|s| s.name == input.service_name)
        {
            return Err(AwsError::invalid("Creation of service was not idempotent."));
        }
        let td_ref = input
            .task_definition
            .as_deref()
            .ok_or_else(|| AwsError::invalid("TaskDefinition must be specified."))?;
        let td = self
            .find_task_definition(td_ref)
            .ok_or_else(|| AwsError::invalid("TaskDefinition not found."))?;
        let desired = input.desired_count.unwrap_or(0);
        if desired < 0 {
            return Err(AwsError::invalid("desiredCount must be at least 0."));
        }
        let config = merge_config(&default_config(), input.deployment_configuration.as_ref())?;
        let mut service = Service {
            name: input.service_name.clone(),
            created_ms: now_ms,
            desired_count: desired,
            task_definition: self.task_definitions[td].key.clone(),
            config,
            launch_type: input.launch_type.unwrap_or_else(|| "FARGATE".to_string()),
            network_configuration: input.network_configuration,
            deployments: Vec::new(),
            retired: Vec::new(),
            last_completed: None,
            events: Vec::new(),
        };
        self.new_deployment(&mut service, now_ms, ecr, ids, account)?;
        self.clusters[ci].services.push(service);
        Ok((ci, self.clusters[ci].services.len() - 1))
    }

    /// Creates a service from a world-file `CreateService` body and settles it at once: one
    /// COMPLETED PRIMARY deployment running `desiredCount` tasks (unless its images cannot start,
    /// in which case it stays IN_PROGRESS and the clock decides).
    pub fn create_steady_service(
        &mut self,
        body: &Value,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
        account: &str,
    ) -> Result<(), AwsError> {
        let input: CreateServiceIn = serde_json::from_value(body.clone())
            .map_err(|e| AwsError::client("SerializationException", e.to_string()))?;
        let (ci, si) = self.create_service(input, now_ms, ecr, ids, account)?;
        crate::rollout::settle(&mut self.clusters[ci], si, now_ms, ids);
        Ok(())
    }

    fn create_service_api(
        &mut self,
        input: CreateServiceIn,
        ctx: &RequestContext,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
    ) -> Result<Value, AwsError> {
        let (ci, si) = self.create_service(input, now_ms, ecr, ids, &ctx.account)?;
        let cluster = &mut self.clusters[ci];
        let name = cluster.services[si].name.clone();
        cluster.services[si].event(ids, now_ms, format!("(service {name}) was created."));
        Ok(json!({ "service": service_json(cluster, &cluster.services[si], ctx, false) }))
    }

    fn update_service(
        &mut self,
        input: UpdateServiceIn,
        ctx: &RequestContext,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
    ) -> Result<Value, AwsError> {
        let ci = self.cluster_index(input.cluster.as_deref())?;
        let name = short_name(&input.service);
        let si = self.clusters[ci]
            .services
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(service_not_found)?;
        let new_td = match &input.task_definition {
            Some(r) => {
                let i = self
                    .find_task_definition(r)
                    .ok_or_else(|| AwsError::invalid("TaskDefinition not found."))?;
                Some(self.task_definitions[i].key.clone())
            }
            None => None,
        };
        if input.desired_count.is_some_and(|n| n < 0) {
            return Err(AwsError::invalid("desiredCount must be at least 0."));
        }
        let mut service = self.clusters[ci].services[si].clone();
        service.config = merge_config(&service.config, input.deployment_configuration.as_ref())?;
        if let Some(n) = input.desired_count {
            service.desired_count = n;
            if let Some(p) = service.deployments.first_mut() {
                p.desired_count = n;
                p.updated_ms = now_ms;
            }
        }
        let mut redeploy = input.force_new_deployment.unwrap_or(false);
        if let Some(td) = new_td
            && td != service.task_definition
        {
            service.task_definition = td;
            redeploy = true;
        }
        if let Some(net) = input.network_configuration
            && service.network_configuration.as_ref() != Some(&net)
        {
            service.network_configuration = Some(net);
            redeploy = true;
        }
        if redeploy {
            self.new_deployment(&mut service, now_ms, ecr, ids, &ctx.account)?;
        }
        let cluster = &mut self.clusters[ci];
        cluster.services[si] = service;
        Ok(json!({ "service": service_json(cluster, &cluster.services[si], ctx, false) }))
    }

    fn describe_services(
        &self,
        input: DescribeServicesIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        if input.services.is_empty() {
            return Err(AwsError::invalid("Services cannot be empty."));
        }
        if input.services.len() > 10 {
            return Err(AwsError::invalid("services can have at most 10 items."));
        }
        let ci = self.cluster_index(input.cluster.as_deref())?;
        let cluster = &self.clusters[ci];
        let tags = input
            .include
            .as_ref()
            .is_some_and(|i| i.iter().any(|x| x == "TAGS"));
        let mut services = Vec::new();
        let mut failures = Vec::new();
        for reference in &input.services {
            match cluster
                .services
                .iter()
                .find(|s| s.name == short_name(reference))
            {
                Some(s) => services.push(service_json(cluster, s, ctx, tags)),
                None => {
                    let arn = if reference.starts_with("arn:") {
                        reference.clone()
                    } else {
                        format!(
                            "arn:aws:ecs:{}:{}:service/{}/{reference}",
                            ctx.region, ctx.account, cluster.name
                        )
                    };
                    failures.push(json!({ "arn": arn, "reason": "MISSING" }));
                }
            }
        }
        Ok(json!({ "services": services, "failures": failures }))
    }

    fn list_services(
        &self,
        input: ListServicesIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let ci = self.cluster_index(input.cluster.as_deref())?;
        let size = page_size(input.max_results, 1, 100, 10)?;
        let cluster = &self.clusters[ci];
        let arns: Vec<String> = cluster
            .services
            .iter()
            .filter(|s| {
                input
                    .launch_type
                    .as_ref()
                    .is_none_or(|l| l == &s.launch_type)
            })
            .filter(|_| {
                input
                    .scheduling_strategy
                    .as_deref()
                    .is_none_or(|s| s == "REPLICA")
            })
            .map(|s| s.arn(&cluster.name, ctx))
            .collect();
        let (page, next) = paginate("ListServices", &arns, input.next_token.as_deref(), size)?;
        let mut out = json!({ "serviceArns": page });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }

    fn list_tasks(&self, input: ListTasksIn, ctx: &RequestContext) -> Result<Value, AwsError> {
        let ci = self.cluster_index(input.cluster.as_deref())?;
        let size = page_size(input.max_results, 1, 100, 100)?;
        let cluster = &self.clusters[ci];
        if input.started_by.is_some() && (input.service_name.is_some() || input.family.is_some()) {
            return Err(AwsError::invalid(
                "startedBy must be the only filter when it is specified (serviceName and family cannot be combined with it).",
            ));
        }
        let service = match &input.service_name {
            Some(s) => Some(
                cluster
                    .services
                    .iter()
                    .find(|x| x.name == short_name(s))
                    .ok_or_else(service_not_found)?
                    .name
                    .clone(),
            ),
            None => None,
        };
        let desired = match input.desired_status.as_deref().unwrap_or("RUNNING") {
            "RUNNING" => Some(TaskStatus::Running),
            "STOPPED" => Some(TaskStatus::Stopped),
            // ECS never sets a desired status of PENDING, so that filter matches nothing.
            "PENDING" => None,
            other => {
                return Err(AwsError::invalid(format!(
                    "1 validation error detected: Value '{other}' at 'desiredStatus' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, PENDING, STOPPED]"
                )));
            }
        };
        let arns: Vec<String> = cluster
            .tasks
            .iter()
            .filter(|t| Some(t.desired) == desired)
            .filter(|t| service.as_ref().is_none_or(|s| &t.service == s))
            .filter(|t| input.started_by.as_ref().is_none_or(|s| &t.deployment == s))
            .filter(|t| {
                input
                    .family
                    .as_ref()
                    .is_none_or(|f| &t.task_definition.family == f)
            })
            .filter(|t| {
                input
                    .launch_type
                    .as_ref()
                    .is_none_or(|l| &t.launch_type == l)
            })
            // Tasks here run on no container instance (Fargate-like), so that filter matches nothing.
            .filter(|_| input.container_instance.is_none())
            .map(|t| task_arn(&cluster.name, &t.id, ctx))
            .collect();
        let (page, next) = paginate("ListTasks", &arns, input.next_token.as_deref(), size)?;
        let mut out = json!({ "taskArns": page });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }

    fn describe_tasks(
        &self,
        input: DescribeTasksIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        if input.tasks.is_empty() {
            return Err(AwsError::invalid("Tasks cannot be empty."));
        }
        if input.tasks.len() > 100 {
            return Err(AwsError::invalid("tasks can have at most 100 items."));
        }
        let ci = self.cluster_index(input.cluster.as_deref())?;
        let cluster = &self.clusters[ci];
        let tags = input
            .include
            .as_ref()
            .is_some_and(|i| i.iter().any(|x| x == "TAGS"));
        let mut tasks = Vec::new();
        let mut failures = Vec::new();
        for reference in &input.tasks {
            let id = short_name(reference);
            match cluster.tasks.iter().find(|t| t.id == id) {
                Some(t) => tasks.push(task_json(cluster, t, ctx, tags)),
                None => {
                    let arn = if reference.starts_with("arn:") {
                        reference.clone()
                    } else {
                        task_arn(&cluster.name, reference, ctx)
                    };
                    failures.push(json!({ "arn": arn, "reason": "MISSING" }));
                }
            }
        }
        Ok(json!({ "tasks": tasks, "failures": failures }))
    }
}

/// `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`.
pub fn task_arn(cluster: &str, id: &str, ctx: &RequestContext) -> String {
    format!(
        "arn:aws:ecs:{}:{}:task/{cluster}/{id}",
        ctx.region, ctx.account
    )
}

fn opt_ts(ms: Option<i64>) -> Option<Value> {
    ms.map(ts)
}

fn platform_version(launch_type: &str) -> Option<&'static str> {
    (launch_type == "FARGATE").then_some("1.4.0")
}

/// Counts of a deployment's tasks: (running, pending).
pub fn deployment_counts(cluster: &Cluster, service: &str, deployment: &str) -> (i64, i64) {
    let mut running = 0;
    let mut pending = 0;
    for t in &cluster.tasks {
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

fn deployment_json(
    cluster: &Cluster,
    service: &Service,
    d: &Deployment,
    ctx: &RequestContext,
) -> Value {
    let (running, pending) = deployment_counts(cluster, &service.name, &d.id);
    // An old deployment's desired count follows the tasks it still has to hand over.
    let desired = if d.status == DeploymentStatus::Primary {
        d.desired_count
    } else {
        running + pending
    };
    let mut v = json!({
        "id": d.id,
        "status": d.status.as_str(),
        "taskDefinition": d.task_definition.arn(ctx),
        "desiredCount": desired,
        "pendingCount": pending,
        "runningCount": running,
        "failedTasks": d.failed_tasks,
        "createdAt": ts(d.created_ms),
        "updatedAt": ts(d.updated_ms),
        "launchType": service.launch_type,
        "rolloutState": d.rollout.as_str(),
        "rolloutStateReason": d.reason,
    });
    if let Some(p) = platform_version(&service.launch_type) {
        v["platformVersion"] = json!(p);
        v["platformFamily"] = json!("Linux");
    }
    if let Some(n) = &service.network_configuration {
        v["networkConfiguration"] = n.clone();
    }
    v
}

/// The `Service` shape for DescribeServices / CreateService / UpdateService.
pub fn service_json(cluster: &Cluster, s: &Service, ctx: &RequestContext, tags: bool) -> Value {
    let mut running = 0;
    let mut pending = 0;
    for t in cluster.tasks.iter().filter(|t| t.service == s.name) {
        match t.last {
            TaskStatus::Running => running += 1,
            TaskStatus::Pending if t.desired == TaskStatus::Running => pending += 1,
            _ => {}
        }
    }
    let deployments: Vec<Value> = s
        .deployments
        .iter()
        .map(|d| deployment_json(cluster, s, d, ctx))
        .collect();
    let events: Vec<Value> = s
        .events
        .iter()
        .map(|e| json!({ "id": e.id, "createdAt": ts(e.created_ms), "message": e.message }))
        .collect();
    let mut v = json!({
        "serviceArn": s.arn(&cluster.name, ctx),
        "serviceName": s.name,
        "clusterArn": cluster.arn(ctx),
        "loadBalancers": [],
        "serviceRegistries": [],
        "status": "ACTIVE",
        "desiredCount": s.desired_count,
        "runningCount": running,
        "pendingCount": pending,
        "launchType": s.launch_type,
        "taskDefinition": s.task_definition.arn(ctx),
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": { "enable": s.config.circuit_breaker, "rollback": s.config.rollback },
            "maximumPercent": s.config.maximum_percent,
            "minimumHealthyPercent": s.config.minimum_healthy_percent,
        },
        "deployments": deployments,
        "events": events,
        "createdAt": ts(s.created_ms),
        "placementConstraints": [],
        "placementStrategy": [],
        "schedulingStrategy": "REPLICA",
        "deploymentController": { "type": "ECS" },
        "enableECSManagedTags": false,
        "propagateTags": "NONE",
        "enableExecuteCommand": false,
        "availabilityZoneRebalancing": "DISABLED",
    });
    if s.launch_type == "FARGATE" {
        v["platformVersion"] = json!("LATEST");
        v["platformFamily"] = json!("Linux");
    }
    if let Some(n) = &s.network_configuration {
        v["networkConfiguration"] = n.clone();
    }
    if tags {
        v["tags"] = json!([]);
    }
    v
}

/// The `Task` shape for DescribeTasks.
pub fn task_json(cluster: &Cluster, t: &Task, ctx: &RequestContext, tags: bool) -> Value {
    let arn = task_arn(&cluster.name, &t.id, ctx);
    let containers: Vec<Value> = t
        .containers
        .iter()
        .zip(&t.container_ids)
        .map(|(c, cid)| {
            let mut v = json!({
                "containerArn": format!("arn:aws:ecs:{}:{}:container/{}/{}/{cid}", ctx.region, ctx.account, cluster.name, t.id),
                "taskArn": arn,
                "name": c.name,
                "image": c.image,
                "lastStatus": t.last.as_str(),
                "networkBindings": [],
                "networkInterfaces": [],
                "healthStatus": "UNKNOWN",
                "cpu": "0",
            });
            if let Some(d) = &c.digest {
                v["imageDigest"] = json!(d);
            }
            if t.started_ms.is_some() {
                v["runtimeId"] = json!(format!("{}-{}", t.id, cid.split('-').next().unwrap_or("0")));
            }
            if t.last == TaskStatus::Stopped {
                if t.started_ms.is_some() {
                    v["exitCode"] = json!(0);
                } else if let Some(reason) = &t.failure {
                    v["reason"] = json!(reason);
                }
            }
            v
        })
        .collect();
    let overrides: Vec<Value> = t
        .containers
        .iter()
        .map(|c| json!({ "name": c.name }))
        .collect();
    let mut v = json!({
        "attachments": [],
        "attributes": [],
        "availabilityZone": format!("{}a", ctx.region),
        "clusterArn": cluster.arn(ctx),
        "connectivity": "CONNECTED",
        "connectivityAt": ts(t.created_ms),
        "containers": containers,
        "createdAt": ts(t.created_ms),
        "desiredStatus": t.desired.as_str(),
        "enableExecuteCommand": false,
        "group": format!("service:{}", t.service),
        "healthStatus": "UNKNOWN",
        "lastStatus": t.last.as_str(),
        "launchType": t.launch_type,
        "overrides": { "containerOverrides": overrides, "inferenceAcceleratorOverrides": [] },
        "startedBy": t.deployment,
        "taskArn": arn,
        "taskDefinitionArn": t.task_definition.arn(ctx),
        "version": t.version,
    });
    if let Some(p) = platform_version(&t.launch_type) {
        v["platformVersion"] = json!(p);
        v["platformFamily"] = json!("Linux");
    }
    if let Some(c) = &t.cpu {
        v["cpu"] = json!(c);
    }
    if let Some(m) = &t.memory {
        v["memory"] = json!(m);
    }
    if let Some(s) = opt_ts(t.started_ms) {
        v["pullStartedAt"] = ts(t.created_ms);
        v["pullStoppedAt"] = s.clone();
        v["startedAt"] = s;
    }
    if let Some(s) = opt_ts(t.stopping_ms) {
        v["stoppingAt"] = s;
    }
    if let Some(s) = opt_ts(t.stopped_ms) {
        v["stoppedAt"] = s.clone();
        v["executionStoppedAt"] = s;
    }
    if let Some(c) = &t.stop_code {
        v["stopCode"] = json!(c);
    }
    if let Some(r) = &t.stopped_reason {
        v["stoppedReason"] = json!(r);
    }
    if tags {
        v["tags"] = json!([]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_references_parse() {
        let r = parse_ecr_reference("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:prod")
            .unwrap();
        assert_eq!(
            r,
            (
                "123456789012".into(),
                "team/app".into(),
                Some("prod".into()),
                None
            )
        );
        let r = parse_ecr_reference("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:ab")
            .unwrap();
        assert_eq!(r.1, "app");
        assert_eq!(r.3.as_deref(), Some("sha256:ab"));
        assert!(parse_ecr_reference("nginx:latest").is_none());
        assert!(parse_ecr_reference("docker.io/library/nginx:1").is_none());
    }

    #[test]
    fn short_names_from_arns() {
        assert_eq!(short_name("arn:aws:ecs:us-east-1:1:service/c/s"), "s");
        assert_eq!(short_name("s"), "s");
    }
}
