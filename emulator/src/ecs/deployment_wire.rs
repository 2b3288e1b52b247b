//! How deployments look on the wire: `deploymentConfiguration`, `ServiceDeployment`,
//! `ServiceDeploymentBrief`, `ServiceRevision`, `ServiceRevisionSummary` and the service's
//! `currentServiceRevisions`.

use serde_json::{Map, Value, json};

use crate::protocol::{RequestContext, ts};

use super::config::{DeployConfig, HookTargetType, LifecycleHook};
use super::deployment::{DeploymentStatus, Revision, revision_arn};
use super::model::{Cluster, Service};
use super::service_deployment::ServiceDeployment;
use super::task::TaskStatus;

fn hook_json(h: &LifecycleHook) -> Value {
    let mut v = json!({
        "lifecycleStages": h.stages.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    });
    if h.target_type_given || h.target_type == HookTargetType::Pause {
        v["targetType"] = json!(h.target_type.as_str());
    }
    if let Some(a) = &h.target_arn {
        v["hookTargetArn"] = json!(a);
    }
    if let Some(r) = &h.role_arn {
        v["roleArn"] = json!(r);
    }
    if let Some(d) = &h.details {
        v["hookDetails"] = d.clone();
    }
    if h.timeout_given {
        v["timeoutConfiguration"] = json!({
            "timeoutInMinutes": h.timeout(),
            "action": h.action().as_str(),
        });
    }
    v
}

/// The `DeploymentConfiguration` shape: what was configured, with ECS's defaults filled in.
pub fn config_json(c: &DeployConfig) -> Value {
    let cb = &c.circuit_breaker;
    let mut breaker = json!({ "enable": cb.enable, "rollback": cb.rollback });
    if let Some(reset) = cb.reset_on_healthy_task {
        breaker["resetOnHealthyTask"] = json!(reset);
    }
    if let Some((kind, value)) = cb.threshold {
        breaker["thresholdConfiguration"] = json!({ "type": kind.as_str(), "value": value });
    }
    let alarms = c.alarms.as_ref().map_or_else(
        || json!({ "alarmNames": [], "enable": false, "rollback": false }),
        |a| json!({ "alarmNames": a.names, "enable": a.enable, "rollback": a.rollback }),
    );
    let mut v = json!({
        "deploymentCircuitBreaker": breaker,
        "maximumPercent": c.maximum_percent,
        "minimumHealthyPercent": c.minimum_healthy_percent,
        "alarms": alarms,
        "strategy": c.strategy.as_str(),
    });
    if c.bake_time_minutes.is_some() || c.strategy.shifts_traffic() {
        v["bakeTimeInMinutes"] = json!(c.bake_minutes());
    }
    if !c.hooks.is_empty() {
        v["lifecycleHooks"] = Value::Array(c.hooks.iter().map(hook_json).collect());
    }
    if let Some(l) = c.linear {
        v["linearConfiguration"] = json!({
            "stepPercent": l.step_percent,
            "stepBakeTimeInMinutes": l.step_bake_minutes,
        });
    }
    if let Some(k) = c.canary {
        v["canaryConfiguration"] = json!({
            "canaryPercent": k.percent,
            "canaryBakeTimeInMinutes": k.bake_minutes,
        });
    }
    v
}

/// Tasks of `revision` that are still wanted: (requested, running, pending). A revision's
/// PRIMARY entry requests the desired count; any other entry requests the tasks it has left.
fn revision_counts(cluster: &Cluster, s: &Service, revision: &str) -> (i64, i64, i64) {
    let mut requested = 0;
    let mut running = 0;
    let mut pending = 0;
    for d in s.deployments.iter().filter(|d| d.revision.id == revision) {
        let (mut r, mut p) = (0, 0);
        for t in &cluster.tasks {
            if t.service == s.name && t.deployment == d.id && t.desired == TaskStatus::Running {
                match t.last {
                    TaskStatus::Running => r += 1,
                    TaskStatus::Pending => p += 1,
                    TaskStatus::Stopped => {}
                }
            }
        }
        requested += if d.status == DeploymentStatus::Primary {
            s.desired_count
        } else {
            r + p
        };
        running += r;
        pending += p;
    }
    (requested, running, pending)
}

/// A `ServiceRevisionSummary`; `weights` (test, production) for strategies that shift traffic.
fn revision_summary(
    cluster: &Cluster,
    s: &Service,
    revision: &str,
    weights: Option<(f64, f64)>,
    ctx: &RequestContext,
) -> Value {
    let (requested, running, pending) = revision_counts(cluster, s, revision);
    let mut v = json!({
        "arn": revision_arn(&cluster.name, &s.name, revision, ctx),
        "requestedTaskCount": requested,
        "runningTaskCount": running,
        "pendingTaskCount": pending,
    });
    if let Some((test, prod)) = weights {
        v["requestedTestTrafficWeight"] = json!(test);
        v["requestedProductionTrafficWeight"] = json!(prod);
    }
    v
}

fn set_ts(v: &mut Value, key: &str, ms: Option<i64>) {
    if let Some(ms) = ms {
        v[key] = ts(ms);
    }
}

/// The `ServiceDeployment` shape (DescribeServiceDeployments).
pub fn service_deployment_json(
    cluster: &Cluster,
    s: &Service,
    sd: &ServiceDeployment,
    ctx: &RequestContext,
) -> Value {
    let shifts = sd.config.strategy.shifts_traffic();
    let target_weights = shifts.then_some((sd.test_weight, sd.prod_weight));
    let sources: Vec<Value> = sd
        .sources
        .iter()
        .enumerate()
        .map(|(n, r)| {
            // The newest source serves what the target does not.
            let serves = if n == 0 {
                (100.0 - sd.test_weight, 100.0 - sd.prod_weight)
            } else {
                (0.0, 0.0)
            };
            let weights = shifts.then_some(serves);
            revision_summary(cluster, s, r, weights, ctx)
        })
        .collect();
    let breaker = &sd.config.circuit_breaker;
    let failures = s
        .deployments
        .iter()
        .chain(&s.retired)
        .find(|d| d.id == sd.deployment_id)
        .map_or(0, |d| d.failed_tasks);
    let mut alarms = json!({ "status": sd.alarms.as_str() });
    if let Some(a) = sd.config.monitored_alarms() {
        alarms["alarmNames"] = json!(a.names);
        alarms["triggeredAlarmNames"] = json!(sd.triggered_alarms);
    }
    let mut v = json!({
        "serviceDeploymentArn": sd.arn(&cluster.name, &s.name, ctx),
        "serviceArn": s.arn(&cluster.name, ctx),
        "clusterArn": cluster.arn(ctx),
        "createdAt": ts(sd.created_ms),
        "updatedAt": ts(sd.updated_ms),
        "sourceServiceRevisions": sources,
        "targetServiceRevision": revision_summary(cluster, s, &sd.target, target_weights, ctx),
        "status": sd.status.as_str(),
        "deploymentConfiguration": config_json(&sd.config),
        "deploymentCircuitBreaker": {
            "status": sd.circuit_breaker.as_str(),
            "failureCount": failures,
            "threshold": breaker.failure_threshold(s.desired_count),
        },
        "alarms": alarms,
    });
    set_ts(&mut v, "startedAt", sd.started_ms);
    set_ts(&mut v, "finishedAt", sd.finished_ms);
    set_ts(&mut v, "stoppedAt", sd.stopped_ms);
    if let Some(r) = &sd.status_reason {
        v["statusReason"] = json!(r);
    }
    if let Some(stage) = sd.stage {
        v["lifecycleStage"] = json!(stage.as_str());
    }
    if !sd.hooks.is_empty() {
        let hooks: Vec<Value> = sd
            .hooks
            .iter()
            .map(|h| {
                let mut x = json!({
                    "hookId": h.id,
                    "targetType": h.target_type.as_str(),
                    "status": h.status.as_str(),
                    "expiresAt": ts(h.expires_ms),
                    "timeoutAction": h.timeout_action.as_str(),
                });
                if let Some(a) = &h.target_arn {
                    x["targetArn"] = json!(a);
                }
                x
            })
            .collect();
        v["lifecycleHookDetails"] = Value::Array(hooks);
    }
    if let Some(r) = &sd.rollback {
        let mut rollback = json!({ "reason": r.reason, "startedAt": ts(r.started_ms) });
        if let Some(rev) = &r.revision {
            rollback["serviceRevisionArn"] = json!(revision_arn(&cluster.name, &s.name, rev, ctx));
        }
        v["rollback"] = rollback;
    }
    v
}

/// The `ServiceDeploymentBrief` shape (ListServiceDeployments).
pub fn brief_json(
    cluster: &Cluster,
    s: &Service,
    sd: &ServiceDeployment,
    ctx: &RequestContext,
) -> Value {
    let mut v = json!({
        "serviceDeploymentArn": sd.arn(&cluster.name, &s.name, ctx),
        "serviceArn": s.arn(&cluster.name, ctx),
        "clusterArn": cluster.arn(ctx),
        "createdAt": ts(sd.created_ms),
        "targetServiceRevisionArn": revision_arn(&cluster.name, &s.name, &sd.target, ctx),
        "status": sd.status.as_str(),
    });
    set_ts(&mut v, "startedAt", sd.started_ms);
    set_ts(&mut v, "finishedAt", sd.finished_ms);
    if let Some(r) = &sd.status_reason {
        v["statusReason"] = json!(r);
    }
    v
}

/// The `ServiceRevision` shape (DescribeServiceRevisions), with the digests it resolved.
pub fn revision_json(cluster: &Cluster, s: &Service, r: &Revision, ctx: &RequestContext) -> Value {
    let images: Vec<Value> = r
        .containers
        .iter()
        .map(|c| {
            let mut x = json!({ "containerName": c.name, "image": c.image });
            if let Some(d) = &c.digest {
                x["imageDigest"] = json!(d);
            }
            x
        })
        .collect();
    let mut v = json!({
        "serviceRevisionArn": revision_arn(&cluster.name, &s.name, &r.id, ctx),
        "serviceArn": s.arn(&cluster.name, ctx),
        "clusterArn": cluster.arn(ctx),
        "taskDefinition": r.task_definition.arn(ctx),
        "launchType": r.launch_type,
        "loadBalancers": r.load_balancers,
        "serviceRegistries": [],
        "containerImages": images,
        "guardDutyEnabled": false,
        "createdAt": ts(r.created_ms),
    });
    if r.launch_type == "FARGATE" {
        v["platformVersion"] = json!("1.4.0");
        v["platformFamily"] = json!("Linux");
    }
    if let Some(n) = &r.network_configuration {
        v["networkConfiguration"] = n.clone();
    }
    v
}

/// `currentServiceRevisions`: every revision the listed deployments run.
pub fn current_revisions_json(cluster: &Cluster, s: &Service, ctx: &RequestContext) -> Value {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for d in &s.deployments {
        if seen.contains(&d.revision.id.as_str()) {
            continue;
        }
        seen.push(&d.revision.id);
        let (requested, running, pending) = revision_counts(cluster, s, &d.revision.id);
        let mut summary = Map::new();
        summary.insert(
            "arn".into(),
            json!(revision_arn(&cluster.name, &s.name, &d.revision.id, ctx)),
        );
        summary.insert("requestedTaskCount".into(), json!(requested));
        summary.insert("runningTaskCount".into(), json!(running));
        summary.insert("pendingTaskCount".into(), json!(pending));
        out.push(Value::Object(summary));
    }
    Value::Array(out)
}
