//! How ECS's model looks on the wire: the `Cluster`, `TaskDefinition`, `Service`, `Deployment` and
//! `Task` shapes, and the found/`MISSING` split every Describe* call answers with.

use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext, ts};

use super::deployment::{Deployment, DeploymentStatus};
use super::deployment_wire::{config_json, current_revisions_json};
use super::model::{Cluster, Service};
use super::task::deployment_counts;
use super::task::{Task, TaskDefinition, TaskStatus, task_arn};

/// Checks the size of a Describe* call's list member (`services`, `tasks`, …): at least one
/// item and at most `max`, with ECS's messages.
pub fn check_batch(member: &str, references: &[String], max: usize) -> Result<(), AwsError> {
    if references.is_empty() {
        let mut name = member.to_string();
        if let Some(first) = name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        return Err(AwsError::invalid(format!("{name} cannot be empty.")));
    }
    if references.len() > max {
        return Err(AwsError::invalid(format!(
            "{member} can have at most {max} items."
        )));
    }
    Ok(())
}

/// The answer of a Describe* call: `{ <key>: [found…], "failures": [{arn, reason: "MISSING"}…] }`.
/// `find` looks an item up by each reference as given (a name or an ARN); `arn_of` builds the
/// ARN a plain name stands for, so a failure always names an ARN.
pub fn describe_each(
    key: &str,
    references: &[String],
    find: impl Fn(&str) -> Option<Value>,
    arn_of: impl Fn(&str) -> String,
) -> Value {
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for reference in references {
        match find(reference) {
            Some(v) => found.push(v),
            None => {
                let arn = if reference.starts_with("arn:") {
                    reference.clone()
                } else {
                    arn_of(reference)
                };
                failures.push(json!({ "arn": arn, "reason": "MISSING" }));
            }
        }
    }
    let mut out = serde_json::Map::new();
    out.insert(key.to_string(), Value::Array(found));
    out.insert("failures".to_string(), Value::Array(failures));
    Value::Object(out)
}

/// Whether a Describe* call's `include` asks for `TAGS` (answered with an empty list: resource
/// tags are not modelled).
pub fn wants_tags(include: Option<&[String]>) -> bool {
    include.is_some_and(|i| i.iter().any(|x| x == "TAGS"))
}

/// The `Cluster` shape.
pub fn cluster_json(c: &Cluster, ctx: &RequestContext) -> Value {
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

/// The `TaskDefinition` shape.
pub fn task_definition_json(td: &TaskDefinition, ctx: &RequestContext) -> Value {
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

fn opt_ts(ms: Option<i64>) -> Option<Value> {
    ms.map(ts)
}

fn platform_version(launch_type: &str) -> Option<&'static str> {
    (launch_type == "FARGATE").then_some("1.4.0")
}

fn deployment_json(
    cluster: &Cluster,
    service: &Service,
    d: &Deployment,
    ctx: &RequestContext,
) -> Value {
    let (running, pending) = deployment_counts(&cluster.tasks, &service.name, &d.id);
    // An old deployment's desired count follows the tasks it still has to hand over.
    let desired = if d.status == DeploymentStatus::Primary {
        d.desired_count
    } else {
        running + pending
    };
    let mut v = json!({
        "id": d.id,
        "status": d.status.as_str(),
        "taskDefinition": d.revision.task_definition.arn(ctx),
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
    if let Some(n) = &d.revision.network_configuration {
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
        "loadBalancers": s.load_balancers,
        "serviceRegistries": [],
        "status": "ACTIVE",
        "desiredCount": s.desired_count,
        "runningCount": running,
        "pendingCount": pending,
        "launchType": s.launch_type,
        "taskDefinition": s.task_definition.arn(ctx),
        "deploymentConfiguration": config_json(&s.config),
        "currentServiceRevisions": current_revisions_json(cluster, s, ctx),
        "deployments": deployments,
        "events": events,
        "createdAt": ts(s.created_ms),
        "placementConstraints": [],
        "placementStrategy": [],
        "schedulingStrategy": "REPLICA",
        "deploymentController": { "type": s.controller },
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
    if let Some(sd) = s.current() {
        v["currentServiceDeployment"] = json!(sd.arn(&cluster.name, &s.name, ctx));
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
    use crate::ecs::model::short_name;

    #[test]
    fn describe_each_splits_found_and_missing_with_arns() {
        let refs = vec![
            "a".to_string(),
            "arn:aws:ecs:us-east-1:1:service/c/b".to_string(),
            "zz".to_string(),
        ];
        let out = describe_each(
            "services",
            &refs,
            |reference| {
                let name = short_name(reference);
                (name != "zz").then(|| json!(name))
            },
            |name| format!("arn:x/{name}"),
        );
        assert_eq!(
            out,
            json!({
                "services": ["a", "b"],
                "failures": [{ "arn": "arn:x/zz", "reason": "MISSING" }],
            })
        );
        let missing_arn = vec!["arn:aws:ecs:us-east-1:1:task/c/gone".to_string()];
        let out = describe_each("tasks", &missing_arn, |_| None, |_| unreachable!());
        assert_eq!(out["failures"][0]["arn"], json!(missing_arn[0]));
    }

    #[test]
    fn batch_sizes_are_checked_with_ecs_wording() {
        let none: Vec<String> = Vec::new();
        let e = check_batch("services", &none, 10).unwrap_err();
        assert_eq!(e.message, "Services cannot be empty.");
        let eleven = vec!["s".to_string(); 11];
        let e = check_batch("services", &eleven, 10).unwrap_err();
        assert_eq!(e.message, "services can have at most 10 items.");
        assert!(check_batch("services", &eleven[..10], 10).is_ok());
    }
}
