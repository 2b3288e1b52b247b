//! ECS: describing services, forcing new deployments, and waiting for their rollouts.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ecs::types::DesiredStatus;
use aws_smithy_types::date_time::Format;
use futures::future::join_all;
use tokio_util::sync::CancellationToken;

use super::coalesce::Coalescer;
use super::error::{ApiError, EcsError};

/// DescribeServices takes at most this many services per call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;
/// DescribeTasks takes at most this many tasks per call.
pub const DESCRIBE_TASKS_BATCH: usize = 100;

/// A service as DescribeServices reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    /// The name asked for.
    pub name: String,
    /// The service ARN.
    pub arn: String,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: String,
    /// The service's desired task count.
    pub desired_count: i32,
    /// Tasks running for the service.
    pub running_count: i32,
    /// The service's current task definition ARN.
    pub task_definition: String,
    /// Its deployments, as ECS lists them (PRIMARY, ACTIVE, INACTIVE).
    pub deployments: Vec<DeploymentState>,
}

/// One deployment of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentState {
    /// `ecs-svc/<digits>`.
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED` (empty when ECS reports none).
    pub rollout_state: String,
    /// Why the rollout is in that state.
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
    /// Creation time, RFC 3339.
    pub created_at: String,
}

impl ServiceState {
    /// The deployment with status PRIMARY (the newest one; not necessarily the first listed).
    pub fn primary(&self) -> Option<&DeploymentState> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }

    /// The deployment with this id, if ECS still lists it.
    pub fn deployment(&self, id: &str) -> Option<&DeploymentState> {
        self.deployments.iter().find(|d| d.id == id)
    }
}

/// A deployment this provider started (or adopted) and is responsible for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDeployment {
    /// The service name.
    pub service: String,
    /// The service ARN.
    pub service_arn: String,
    /// The PRIMARY deployment id after the update.
    pub deployment_id: String,
}

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
    let Some(deployment) = service.deployment(deployment_id) else {
        return Progress::Replaced {
            by: service.primary().map(|d| d.id.clone()),
        };
    };
    if deployment.rollout_state == "FAILED" {
        return Progress::Failed {
            reason: deployment.rollout_state_reason.clone(),
        };
    }
    if deployment.status != "PRIMARY" {
        return Progress::Replaced {
            by: service.primary().map(|d| d.id.clone()),
        };
    }
    let done = service.deployments.len() == 1
        && deployment.rollout_state == "COMPLETED"
        && deployment.running_count == deployment.desired_count
        && service.running_count == service.desired_count;
    if done {
        Progress::Completed
    } else {
        Progress::InProgress
    }
}

/// The RFC 013 status of a deployment: COMPLETE, IN_PROGRESS, NOT_STABLE, RETIRING, RETIRED or
/// DEAD (not listed any more).
pub fn rfc_status(service: &ServiceState, deployment_id: &str) -> &'static str {
    match service.deployment(deployment_id) {
        None => "DEAD",
        Some(d) if d.status == "PRIMARY" && service.deployments.len() > 1 => "IN_PROGRESS",
        Some(d) if d.status == "PRIMARY" && d.running_count == d.desired_count => "COMPLETE",
        Some(d) if d.status == "PRIMARY" => "NOT_STABLE",
        Some(d) if d.status == "ACTIVE" => "RETIRING",
        Some(_) => "RETIRED",
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
        /// The services as last described.
        services: Vec<ServiceState>,
    },
    /// The timeout passed with rollouts still in progress.
    #[error("timed out after {timeout:?} waiting for the rollout of {}", pending.join(", "))]
    TimedOut {
        /// The timeout that passed.
        timeout: Duration,
        /// Services still rolling.
        pending: Vec<String>,
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
    /// `PROVISIONING`, `PENDING`, `RUNNING`, …, `STOPPED`.
    pub last_status: String,
    /// `RUNNING` or `STOPPED` (a RUNNING task with desired STOPPED is draining).
    pub desired_status: String,
    /// The deployment that started it (`ecs-svc/…`).
    pub started_by: String,
    /// Its containers.
    pub containers: Vec<TaskContainer>,
}

/// ECS operations of the domain, over an SDK client.
#[derive(Debug, Clone)]
pub struct Ecs {
    client: aws_sdk_ecs::Client,
    /// Shares DescribeServices and DescribeTasks calls with concurrent callers, when set.
    coalescer: Option<Arc<Coalescer>>,
}

impl Ecs {
    /// Wraps a configured client; every call is its own.
    pub fn new(client: aws_sdk_ecs::Client) -> Ecs {
        Ecs {
            client,
            coalescer: None,
        }
    }

    /// Wraps a configured client whose DescribeServices and DescribeTasks calls are shared with
    /// the other users of `coalescer` (see [`super::coalesce`]).
    pub fn coalesced(client: aws_sdk_ecs::Client, coalescer: Arc<Coalescer>) -> Ecs {
        Ecs {
            client,
            coalescer: Some(coalescer),
        }
    }

    /// Describes `names` (names or ARNs) in `cluster`, 10 per call, calls in parallel (shared
    /// with concurrent callers when coalesced). Every name must be an ACTIVE service; the result
    /// is in the order of `names`, each named as asked.
    pub async fn services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<ServiceState>, EcsError> {
        let calls = names
            .chunks(DESCRIBE_SERVICES_BATCH)
            .map(|chunk| self.describe_services(cluster, chunk));
        let mut found: Vec<ServiceState> = Vec::new();
        for result in join_all(calls).await {
            found.extend(result?.iter().cloned());
        }
        let mut states = Vec::with_capacity(names.len());
        let mut missing = Vec::new();
        for name in names {
            // ECS names the service by its name; callers may have asked by ARN.
            match found
                .iter()
                .find(|s| (&s.name == name || &s.arn == name) && s.status == "ACTIVE")
            {
                Some(state) => states.push(ServiceState {
                    name: name.clone(),
                    ..state.clone()
                }),
                None => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(EcsError::ServicesNotFound {
                cluster: cluster.to_owned(),
                names: missing,
            });
        }
        Ok(states)
    }

    /// One DescribeServices call for `names`, or a share of one.
    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Arc<Vec<ServiceState>>, EcsError> {
        let client = self.client.clone();
        match &self.coalescer {
            None => describe_services_call(client, cluster.to_owned(), names.to_vec())
                .await
                .map(Arc::new),
            Some(coalescer) => {
                coalescer
                    .services
                    .submit(
                        cluster,
                        names,
                        move |cluster, names| describe_services_call(client, cluster, names),
                        abandoned("DescribeServices"),
                    )
                    .await
            }
        }
    }

    /// Forces a new deployment of one service and returns the new PRIMARY deployment.
    pub async fn force_new_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<RecordedDeployment, EcsError> {
        let output = self
            .client
            .update_service()
            .cluster(cluster)
            .service(service)
            .force_new_deployment(true)
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(e) if e.is_cluster_not_found_exception() => EcsError::ClusterNotFound {
                    cluster: cluster.to_owned(),
                },
                Some(e)
                    if e.is_service_not_found_exception()
                        || e.is_service_not_active_exception() =>
                {
                    EcsError::ServicesNotFound {
                        cluster: cluster.to_owned(),
                        names: vec![service.to_owned()],
                    }
                }
                _ => ApiError::from_sdk("UpdateService", &err).into(),
            })?;
        let updated = output.service().ok_or(EcsError::UnexpectedResponse {
            operation: "UpdateService",
            detail: "no service in the response".to_owned(),
        })?;
        // The new deployment is the one with status PRIMARY, wherever ECS lists it.
        let primary = updated
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.id())
            .ok_or(EcsError::UnexpectedResponse {
                operation: "UpdateService",
                detail: format!("service {service} has no PRIMARY deployment"),
            })?;
        Ok(RecordedDeployment {
            service: service.to_owned(),
            service_arn: updated.service_arn().unwrap_or_default().to_owned(),
            deployment_id: primary.to_owned(),
        })
    }

    /// Forces new deployments of `services` concurrently; one result per service, in order.
    pub async fn force_new_deployments(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Vec<Result<RecordedDeployment, EcsError>> {
        join_all(
            services
                .iter()
                .map(|s| self.force_new_deployment(cluster, s)),
        )
        .await
    }

    /// Polls until every recorded deployment has completed, one has failed or been replaced,
    /// the timeout passes, or the wait is cancelled.
    pub async fn wait_for_rollouts(
        &self,
        cluster: &str,
        recorded: &[RecordedDeployment],
        options: &WaitOptions,
    ) -> Result<Vec<ServiceState>, WaitError> {
        let deadline = tokio::time::Instant::now() + options.timeout;
        let names: Vec<String> = recorded.iter().map(|r| r.service.clone()).collect();
        let mut pause = options.poll_interval;
        loop {
            // A describe that hangs must not hold up a stop (Ctrl-C in Terraform).
            let services = tokio::select! {
                _ = options.cancel.cancelled() => {
                    return Err(WaitError::Cancelled { pending: names });
                }
                services = self.services(cluster, &names) => services?,
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

    /// The ARNs of a service's tasks with the given desired status, every page.
    pub async fn task_arns(
        &self,
        cluster: &str,
        service: &str,
        desired: DesiredStatus,
    ) -> Result<Vec<String>, EcsError> {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .list_tasks()
                .cluster(cluster)
                .service_name(service)
                .desired_status(desired.clone())
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|err| match err.as_service_error() {
                    Some(e) if e.is_cluster_not_found_exception() => EcsError::ClusterNotFound {
                        cluster: cluster.to_owned(),
                    },
                    Some(e) if e.is_service_not_found_exception() => EcsError::ServicesNotFound {
                        cluster: cluster.to_owned(),
                        names: vec![service.to_owned()],
                    },
                    _ => ApiError::from_sdk("ListTasks", &err).into(),
                })?;
            arns.extend(output.task_arns().iter().cloned());
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(arns),
            }
        }
    }

    /// Describes tasks (ARNs or ids), 100 per call, calls in parallel (shared with concurrent
    /// callers when coalesced). Tasks ECS no longer knows are left out; each task once.
    pub async fn tasks(&self, cluster: &str, arns: &[String]) -> Result<Vec<TaskState>, EcsError> {
        let calls = arns.chunks(DESCRIBE_TASKS_BATCH).map(|chunk| {
            let client = self.client.clone();
            async move {
                match &self.coalescer {
                    None => describe_tasks_call(client, cluster.to_owned(), chunk.to_vec())
                        .await
                        .map(Arc::new),
                    Some(coalescer) => {
                        coalescer
                            .tasks
                            .submit(
                                cluster,
                                chunk,
                                move |cluster, arns| describe_tasks_call(client, cluster, arns),
                                abandoned("DescribeTasks"),
                            )
                            .await
                    }
                }
            }
        });
        let asked = |task: &TaskState| {
            arns.iter().any(|a| {
                task.arn == *a
                    || task
                        .arn
                        .strip_suffix(a.as_str())
                        .is_some_and(|rest| rest.ends_with('/'))
            })
        };
        let mut tasks: Vec<TaskState> = Vec::with_capacity(arns.len());
        for result in join_all(calls).await {
            // A shared call also answers for other callers' tasks: keep only ours.
            for task in result?.iter() {
                if asked(task) && !tasks.iter().any(|t| t.arn == task.arn) {
                    tasks.push(task.clone());
                }
            }
        }
        Ok(tasks)
    }

    /// The container images of a task definition, as `(container name, image)`.
    pub async fn task_definition_images(
        &self,
        task_definition: &str,
    ) -> Result<Vec<(String, String)>, EcsError> {
        let output = self
            .client
            .describe_task_definition()
            .task_definition(task_definition)
            .send()
            .await
            .map_err(|err| EcsError::from(ApiError::from_sdk("DescribeTaskDefinition", &err)))?;
        Ok(output
            .task_definition()
            .map(|td| {
                td.container_definitions()
                    .iter()
                    .map(|c| {
                        (
                            c.name().unwrap_or_default().to_owned(),
                            c.image().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// The error a caller of a shared call gets when the call's task died without answering.
fn abandoned(operation: &'static str) -> EcsError {
    EcsError::UnexpectedResponse {
        operation,
        detail: "the shared call ended without an answer".to_owned(),
    }
}

/// One DescribeServices call. Each state is named as ECS names the service.
async fn describe_services_call(
    client: aws_sdk_ecs::Client,
    cluster: String,
    names: Vec<String>,
) -> Result<Vec<ServiceState>, EcsError> {
    let output = client
        .describe_services()
        .cluster(&cluster)
        .set_services(Some(names))
        .send()
        .await
        .map_err(|err| match err.as_service_error() {
            Some(e) if e.is_cluster_not_found_exception() => EcsError::ClusterNotFound {
                cluster: cluster.clone(),
            },
            _ => ApiError::from_sdk("DescribeServices", &err).into(),
        })?;
    // Services ECS does not know come back as failures (MISSING): left out here, so only the
    // callers that asked for them find them missing.
    Ok(output
        .services()
        .iter()
        .map(|service| ServiceState {
            name: service.service_name().unwrap_or_default().to_owned(),
            arn: service.service_arn().unwrap_or_default().to_owned(),
            status: service.status().unwrap_or_default().to_owned(),
            desired_count: service.desired_count(),
            running_count: service.running_count(),
            task_definition: service.task_definition().unwrap_or_default().to_owned(),
            deployments: service.deployments().iter().map(deployment_state).collect(),
        })
        .collect())
}

/// One DescribeTasks call.
async fn describe_tasks_call(
    client: aws_sdk_ecs::Client,
    cluster: String,
    arns: Vec<String>,
) -> Result<Vec<TaskState>, EcsError> {
    let output = client
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .map_err(|err| match err.as_service_error() {
            Some(e) if e.is_cluster_not_found_exception() => EcsError::ClusterNotFound {
                cluster: cluster.clone(),
            },
            _ => EcsError::from(ApiError::from_sdk("DescribeTasks", &err)),
        })?;
    Ok(output
        .tasks()
        .iter()
        .map(|task| TaskState {
            arn: task.task_arn().unwrap_or_default().to_owned(),
            last_status: task.last_status().unwrap_or_default().to_owned(),
            desired_status: task.desired_status().unwrap_or_default().to_owned(),
            started_by: task.started_by().unwrap_or_default().to_owned(),
            containers: task
                .containers()
                .iter()
                .map(|c| TaskContainer {
                    name: c.name().unwrap_or_default().to_owned(),
                    image: c.image().unwrap_or_default().to_owned(),
                    image_digest: c.image_digest().map(str::to_owned),
                })
                .collect(),
        })
        .collect())
}

fn deployment_state(d: &aws_sdk_ecs::types::Deployment) -> DeploymentState {
    DeploymentState {
        id: d.id().unwrap_or_default().to_owned(),
        status: d.status().unwrap_or_default().to_owned(),
        rollout_state: d
            .rollout_state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        rollout_state_reason: d.rollout_state_reason().unwrap_or_default().to_owned(),
        task_definition: d.task_definition().unwrap_or_default().to_owned(),
        desired_count: d.desired_count(),
        running_count: d.running_count(),
        pending_count: d.pending_count(),
        failed_tasks: d.failed_tasks(),
        created_at: d
            .created_at()
            .and_then(|t| t.fmt(Format::DateTime).ok())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(
        id: &str,
        status: &str,
        rollout: &str,
        desired: i32,
        running: i32,
    ) -> DeploymentState {
        DeploymentState {
            id: id.into(),
            status: status.into(),
            rollout_state: rollout.into(),
            rollout_state_reason: String::new(),
            task_definition: "td:1".into(),
            desired_count: desired,
            running_count: running,
            pending_count: 0,
            failed_tasks: 0,
            created_at: String::new(),
        }
    }

    fn service(deployments: Vec<DeploymentState>, running: i32) -> ServiceState {
        ServiceState {
            name: "svc".into(),
            arn: "arn:svc".into(),
            status: "ACTIVE".into(),
            desired_count: 2,
            running_count: running,
            task_definition: "td:1".into(),
            deployments,
        }
    }

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

    #[test]
    fn rfc_statuses() {
        let s = service(
            vec![
                deployment("new", "PRIMARY", "IN_PROGRESS", 2, 1),
                deployment("old", "ACTIVE", "COMPLETED", 2, 1),
            ],
            2,
        );
        assert_eq!(rfc_status(&s, "new"), "IN_PROGRESS");
        assert_eq!(rfc_status(&s, "old"), "RETIRING");
        assert_eq!(rfc_status(&s, "gone"), "DEAD");
        let s = service(vec![deployment("new", "PRIMARY", "COMPLETED", 2, 2)], 2);
        assert_eq!(rfc_status(&s, "new"), "COMPLETE");
        let s = service(vec![deployment("new", "PRIMARY", "IN_PROGRESS", 2, 1)], 1);
        assert_eq!(rfc_status(&s, "new"), "NOT_STABLE");
        let s = service(
            vec![
                deployment("new", "PRIMARY", "COMPLETED", 2, 2),
                deployment("old", "INACTIVE", "COMPLETED", 0, 0),
            ],
            2,
        );
        assert_eq!(rfc_status(&s, "old"), "RETIRED");
    }
}
