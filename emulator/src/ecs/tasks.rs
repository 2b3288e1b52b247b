//! The task operations: ListTasks, DescribeTasks.

use serde::Deserialize;
use serde_json::Value;

use crate::protocol::{AwsError, RequestContext, page_size, paginated};

use super::Handler;
use super::model::{Ecs, service_not_found, short_name};
use super::task::{TaskStatus, task_arn};
use super::wire::{check_batch, describe_each, task_json, wants_tags};

/// The task operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("ListTasks", |ecs, c| {
        list_tasks(ecs, c.req.input()?, c.req.ctx)
    }),
    ("DescribeTasks", |ecs, c| {
        describe_tasks(ecs, c.req.input()?, c.req.ctx)
    }),
];

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

fn list_tasks(ecs: &Ecs, input: ListTasksIn, ctx: &RequestContext) -> Result<Value, AwsError> {
    let ci = ecs.cluster_index(input.cluster.as_deref())?;
    let size = page_size(input.max_results, 1, 100, 100)?;
    let cluster = &ecs.clusters[ci];
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
    paginated(
        "ListTasks",
        "taskArns",
        &arns,
        input.next_token.as_deref(),
        size,
    )
}

fn describe_tasks(
    ecs: &Ecs,
    input: DescribeTasksIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    check_batch("tasks", &input.tasks, 100)?;
    let ci = ecs.cluster_index(input.cluster.as_deref())?;
    let cluster = &ecs.clusters[ci];
    let tags = wants_tags(input.include.as_deref());
    Ok(describe_each(
        "tasks",
        &input.tasks,
        |reference| {
            cluster
                .tasks
                .iter()
                .find(|t| t.id == short_name(reference))
                .map(|t| task_json(cluster, t, ctx, tags))
        },
        |id| task_arn(&cluster.name, id, ctx),
    ))
}
