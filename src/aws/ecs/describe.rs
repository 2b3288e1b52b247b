//! Reading ECS: services (DescribeServices), task ARNs (ListTasks), tasks (DescribeTasks) and
//! task definitions, translated from the SDK's types into [`super::model`]. Service
//! deployments and revisions are read in `service_deployments`.

use std::future::Future;
use std::sync::Arc;

use aws_sdk_ecs::types::DesiredStatus;
use aws_smithy_types::date_time::Format;
use futures::future::join_all;

use super::Ecs;
use super::model::{DeploymentState, ServiceState, TaskContainer, TaskState};
use super::not_found::missing;
use super::status::{DeploymentController, DeploymentStrategy, ServiceStatus};
use crate::aws::call;
use crate::aws::coalesce::Batcher;
use crate::aws::error::{EcsError, Service};

/// DescribeServices takes at most this many services per call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;
/// DescribeTasks takes at most this many tasks per call.
pub const DESCRIBE_TASKS_BATCH: usize = 100;

impl Ecs {
    /// Describes `names` (names or ARNs) in `cluster`, 10 per call, calls in parallel (shared
    /// with concurrent callers when coalesced). Every name must be an ACTIVE service; the result
    /// is in the order of `names`, each named as asked.
    pub async fn services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<ServiceState>, EcsError> {
        let calls = names.chunks(DESCRIBE_SERVICES_BATCH).map(|chunk| {
            self.read(
                self.shared.as_ref().map(|s| &*s.services),
                cluster,
                chunk,
                describe_services_call,
                "DescribeServices",
            )
        });
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
                .find(|s| (&s.name == name || &s.arn == name) && s.status == ServiceStatus::Active)
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

    /// Describes services of several clusters, each `(cluster, service)`: one
    /// [`Ecs::services`] per cluster, concurrently. The result is in the order asked.
    pub async fn services_across(
        &self,
        services: &[(String, String)],
    ) -> Result<Vec<ServiceState>, EcsError> {
        let mut clusters: Vec<(&str, Vec<String>)> = Vec::new();
        for (cluster, service) in services {
            match clusters.iter_mut().find(|(c, _)| c == cluster) {
                Some((_, names)) => {
                    if !names.contains(service) {
                        names.push(service.clone());
                    }
                }
                None => clusters.push((cluster, vec![service.clone()])),
            }
        }
        let described = join_all(
            clusters
                .iter()
                .map(|(cluster, names)| self.services(cluster, names)),
        )
        .await;
        let mut found: Vec<(&str, ServiceState)> = Vec::new();
        for ((cluster, _), states) in clusters.iter().zip(described) {
            found.extend(states?.into_iter().map(|s| (*cluster, s)));
        }
        services
            .iter()
            .map(|(cluster, service)| {
                found
                    .iter()
                    .find(|(c, s)| c == cluster && &s.name == service)
                    .map(|(_, s)| s.clone())
                    .ok_or_else(|| EcsError::ServicesNotFound {
                        cluster: cluster.clone(),
                        names: vec![service.clone()],
                    })
            })
            .collect()
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
            let request = self
                .client
                .list_tasks()
                .cluster(cluster)
                .service_name(service)
                .desired_status(desired.clone())
                .max_results(100)
                .set_next_token(token.take());
            let output = call::send(Service::Ecs, "ListTasks", request.send())
                .await
                .map_err(|failed| failed.interpret(missing(cluster, Some(service))))?;
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
            self.read(
                self.shared.as_ref().map(|s| &*s.tasks),
                cluster,
                chunk,
                describe_tasks_call,
                "DescribeTasks",
            )
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
        let request = self
            .client
            .describe_task_definition()
            .task_definition(task_definition);
        let output = call::send(Service::Ecs, "DescribeTaskDefinition", request.send())
            .await
            .map_err(|failed| EcsError::from(failed.into_api()))?;
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

    /// One describe call for `items` of `cluster`: a share of a batched call when `batcher` is
    /// set, else a call of its own.
    async fn read<R, Fut>(
        &self,
        batcher: Option<&Batcher<R, EcsError>>,
        cluster: &str,
        items: &[String],
        describe: fn(aws_sdk_ecs::Client, String, Vec<String>) -> Fut,
        operation: &'static str,
    ) -> Result<Arc<Vec<R>>, EcsError>
    where
        R: Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<R>, EcsError>> + Send + 'static,
    {
        let client = self.client.clone();
        match batcher {
            None => describe(client, cluster.to_owned(), items.to_vec())
                .await
                .map(Arc::new),
            Some(batcher) => {
                batcher
                    .submit(
                        cluster,
                        items,
                        move |cluster, items| describe(client, cluster, items),
                        EcsError::UnexpectedResponse {
                            operation,
                            detail: "the shared call ended without an answer".to_owned(),
                        },
                    )
                    .await
            }
        }
    }
}

/// One DescribeServices call. Each state is named as ECS names the service.
async fn describe_services_call(
    client: aws_sdk_ecs::Client,
    cluster: String,
    names: Vec<String>,
) -> Result<Vec<ServiceState>, EcsError> {
    let request = client
        .describe_services()
        .cluster(&cluster)
        .set_services(Some(names));
    let output = call::send(Service::Ecs, "DescribeServices", request.send())
        .await
        .map_err(|failed| failed.interpret(missing(&cluster, None)))?;
    // Services ECS does not know come back as failures (MISSING): left out here, so only the
    // callers that asked for them find them missing.
    Ok(output.services().iter().map(service_state).collect())
}

/// One DescribeTasks call.
async fn describe_tasks_call(
    client: aws_sdk_ecs::Client,
    cluster: String,
    arns: Vec<String>,
) -> Result<Vec<TaskState>, EcsError> {
    let request = client
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(arns));
    let output = call::send(Service::Ecs, "DescribeTasks", request.send())
        .await
        .map_err(|failed| failed.interpret(missing(&cluster, None)))?;
    Ok(output.tasks().iter().map(task_state).collect())
}

pub(super) fn service_state(service: &aws_sdk_ecs::types::Service) -> ServiceState {
    ServiceState {
        name: service.service_name().unwrap_or_default().to_owned(),
        arn: service.service_arn().unwrap_or_default().to_owned(),
        status: service.status().unwrap_or_default().into(),
        desired_count: service.desired_count(),
        running_count: service.running_count(),
        task_definition: service.task_definition().unwrap_or_default().to_owned(),
        deployments: service.deployments().iter().map(deployment_state).collect(),
        current_service_deployment: service
            .current_service_deployment()
            .filter(|arn| !arn.is_empty())
            .map(str::to_owned),
        // No controller named means the ECS controller (ECS's default).
        deployment_controller: service
            .deployment_controller()
            .map_or(DeploymentController::Ecs, |c| c.r#type().as_str().into()),
        strategy: DeploymentStrategy::or_default(
            service
                .deployment_configuration()
                .and_then(|c| c.strategy())
                .map(|s| s.as_str()),
        ),
    }
}

fn deployment_state(d: &aws_sdk_ecs::types::Deployment) -> DeploymentState {
    DeploymentState {
        id: d.id().unwrap_or_default().to_owned(),
        status: d.status().unwrap_or_default().into(),
        rollout_state: d.rollout_state().map(|s| s.as_str().into()),
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

fn task_state(task: &aws_sdk_ecs::types::Task) -> TaskState {
    TaskState {
        arn: task.task_arn().unwrap_or_default().to_owned(),
        last_status: task.last_status().unwrap_or_default().into(),
        desired_status: task.desired_status().unwrap_or_default().into(),
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
    }
}
