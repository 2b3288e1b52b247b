//! The service deployment operations: ListServiceDeployments, DescribeServiceDeployments,
//! StopServiceDeployment, ContinueServiceDeployment.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext, page_size, paginated};

use super::Handler;
use super::config::HookAction;
use super::deployment_wire::{brief_json, service_deployment_json};
use super::lifecycle;
use super::model::{Ecs, Service, service_not_found, short_name};
use super::service_deployment::{SdStatus, StopKind, split_arn};
use super::wire::{check_batch, describe_each};

/// The service deployment operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("ListServiceDeployments", |ecs, c| {
        list_service_deployments(ecs, c.req.input()?, c.req.ctx)
    }),
    ("DescribeServiceDeployments", |ecs, c| {
        describe_service_deployments(ecs, c.req.input()?, c.req.ctx)
    }),
    ("StopServiceDeployment", |ecs, c| {
        stop_service_deployment(ecs, c.req.input()?, c.req.now_ms)
    }),
    ("ContinueServiceDeployment", |ecs, c| {
        continue_service_deployment(ecs, c.req.input()?, c.req.now_ms)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatedAtIn {
    before: Option<f64>,
    after: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListServiceDeploymentsIn {
    service: String,
    cluster: Option<String>,
    status: Option<Vec<String>>,
    created_at: Option<CreatedAtIn>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeServiceDeploymentsIn {
    service_deployment_arns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopServiceDeploymentIn {
    service_deployment_arn: String,
    stop_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContinueServiceDeploymentIn {
    service_deployment_arn: String,
    hook_id: String,
    action: Option<String>,
}

/// The (cluster, service) indices and the id a service deployment ARN names, if they exist.
fn locate(ecs: &Ecs, arn: &str) -> Option<(usize, usize, String)> {
    let (cluster, service, id) = split_arn(arn, "service-deployment")?;
    let ci = ecs.clusters.iter().position(|c| c.name == cluster)?;
    let si = ecs.clusters[ci]
        .services
        .iter()
        .position(|s| s.name == service)?;
    let found = ecs.clusters[ci].services[si]
        .service_deployments
        .iter()
        .any(|sd| sd.id == id);
    found.then(|| (ci, si, id.to_string()))
}

/// Runs `action` on the service of the service deployment `arn` names (with its id), and answers
/// `{serviceDeploymentArn}` as StopServiceDeployment and ContinueServiceDeployment do.
fn act_on(
    ecs: &mut Ecs,
    arn: &str,
    action: impl FnOnce(&mut Service, &str) -> Result<(), AwsError>,
) -> Result<Value, AwsError> {
    let (ci, si, id) = locate(ecs, arn).ok_or_else(lifecycle::not_found)?;
    action(&mut ecs.clusters[ci].services[si], &id)?;
    Ok(json!({ "serviceDeploymentArn": arn }))
}

fn list_service_deployments(
    ecs: &Ecs,
    input: ListServiceDeploymentsIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let ci = ecs.cluster_index(input.cluster.as_deref())?;
    let size = page_size(input.max_results, 1, 100, 20)?;
    let statuses = input
        .status
        .unwrap_or_default()
        .iter()
        .map(|s| {
            SdStatus::parse(s).ok_or_else(|| {
                AwsError::invalid(format!(
                    "1 validation error detected: Value '{s}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    SdStatus::ALL.map(SdStatus::as_str).join(", ")
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cluster = &ecs.clusters[ci];
    let service = cluster
        .services
        .iter()
        .find(|s| s.name == short_name(&input.service))
        .ok_or_else(service_not_found)?;
    let (before, after) = input
        .created_at
        .map_or((None, None), |c| (c.before, c.after));
    let briefs: Vec<Value> = service
        .service_deployments
        .iter()
        .rev()
        .filter(|sd| statuses.is_empty() || statuses.contains(&sd.status))
        .filter(|sd| before.is_none_or(|b| (sd.created_ms as f64) < b * 1000.0))
        .filter(|sd| after.is_none_or(|a| (sd.created_ms as f64) > a * 1000.0))
        .map(|sd| brief_json(cluster, service, sd, ctx))
        .collect();
    paginated(
        "ListServiceDeployments",
        "serviceDeployments",
        &briefs,
        input.next_token.as_deref(),
        size,
    )
}

fn describe_service_deployments(
    ecs: &Ecs,
    input: DescribeServiceDeploymentsIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let arns = &input.service_deployment_arns;
    check_batch("serviceDeploymentArns", arns, 20)?;
    Ok(describe_each(
        "serviceDeployments",
        arns,
        |arn| {
            let (ci, si, id) = locate(ecs, arn)?;
            let cluster = &ecs.clusters[ci];
            let service = &cluster.services[si];
            let sd = service.service_deployments.iter().find(|sd| sd.id == id)?;
            Some(service_deployment_json(cluster, service, sd, ctx))
        },
        // Only ARNs name service deployments: anything else is reported as given.
        str::to_string,
    ))
}

fn stop_service_deployment(
    ecs: &mut Ecs,
    input: StopServiceDeploymentIn,
    now_ms: i64,
) -> Result<Value, AwsError> {
    let kind = match input.stop_type.as_deref() {
        None | Some("ROLLBACK") => StopKind::Rollback,
        Some("ABORT") => StopKind::Abort,
        Some(other) => {
            return Err(AwsError::invalid(format!(
                "1 validation error detected: Value '{other}' at 'stopType' failed to satisfy constraint: Member must satisfy enum value set: [ABORT, ROLLBACK]"
            )));
        }
    };
    act_on(ecs, &input.service_deployment_arn, |service, id| {
        lifecycle::request_stop(service, id, kind, now_ms)
    })
}

fn continue_service_deployment(
    ecs: &mut Ecs,
    input: ContinueServiceDeploymentIn,
    now_ms: i64,
) -> Result<Value, AwsError> {
    let action = match input.action.as_deref() {
        None => HookAction::Continue,
        Some(a) => HookAction::parse(a).ok_or_else(|| {
            AwsError::invalid(format!(
                "1 validation error detected: Value '{a}' at 'action' failed to satisfy constraint: Member must satisfy enum value set: [ROLLBACK, CONTINUE]"
            ))
        })?,
    };
    act_on(ecs, &input.service_deployment_arn, |service, id| {
        lifecycle::continue_hook(service, id, &input.hook_id, action, now_ms)
    })
}
