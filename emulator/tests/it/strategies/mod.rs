//! Service deployments and every strategy, through aws-sdk-ecs (and the AWS CLI in `api`): ROLLING, BLUE_GREEN, LINEAR and
//! CANARY on the emulator's clock; service revisions and their digests; rollbacks by the circuit
//! breaker, alarms, hooks and StopServiceDeployment; PAUSE hooks and ContinueServiceDeployment;
//! Lambda hooks; ListServiceDeployments filters and pages; validation of the configuration.

mod api;
mod hooks;
mod model;
mod rollbacks;
mod rollouts;
mod transitions;

use aws_sdk_ecs::types::ServiceDeployment;
use serde_json::{Value, json};

use crate::support::{REGISTRY, ecs, retag, tag_digest};

pub(super) const LAMBDA_OK: &str = "arn:aws:lambda:us-east-1:123456789012:function:validate";
pub(super) const LAMBDA_NO: &str = "arn:aws:lambda:us-east-1:123456789012:function:reject";
pub(super) const LAMBDA_SLOW: &str = "arn:aws:lambda:us-east-1:123456789012:function:never-answers";

pub(super) fn load_balancers() -> Value {
    json!([{
        "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
        "containerName": "app",
        "containerPort": 80,
        "advancedConfiguration": {
            "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2",
            "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3",
            "testListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/4",
            "roleArn": "arn:aws:iam::123456789012:role/ecs-blue-green",
        }
    }])
}

/// Repository `app` with `good` (also `prod`), `next`, `bad` (fails to start) and `breach`
/// (trips alarm `errors` while it runs); service `svc` (2 tasks) on `app:prod` with
/// `deployment_configuration`, behind a blue/green load balancer.
pub(super) fn world(deployment_configuration: Value) -> tagdeploy_emulator::World {
    let w = json!({
        "repositories": [{"name": "app", "images": [
            {"tags": ["good", "prod"]},
            {"tags": ["next"]},
            {"tags": ["bad"], "healthy": false},
            {"tags": ["breach"], "triggersAlarms": ["errors"]}
        ]}],
        "clusters": [{"name": "c"}],
        "taskDefinitions": [{"family": "app", "containerDefinitions": [
            {"name": "app", "image": format!("{REGISTRY}/app:prod")}]}],
        "services": [{"cluster": "c", "serviceName": "svc", "taskDefinition": "app",
            "desiredCount": 2, "loadBalancers": load_balancers(),
            "deploymentConfiguration": deployment_configuration}],
        "alarms": [{"alarmName": "errors"}, {"alarmName": "latency", "state": "OK"}],
        "lambdaFunctions": [
            {"functionArn": LAMBDA_OK},
            {"functionArn": LAMBDA_NO, "result": "FAILED"},
            {"functionArn": LAMBDA_SLOW, "result": "IN_PROGRESS"}
        ]
    });
    crate::support::world(&w.to_string())
}

/// Moves `prod` to `tag` (ECR) and forces a new deployment; returns the new service deployment's ARN.
pub(super) async fn promote(url: &str, tag: &str) -> String {
    retag(url, "app", tag, "prod").await;
    let updated = ecs(url)
        .update_service()
        .cluster("c")
        .service("svc")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    updated
        .service()
        .unwrap()
        .current_service_deployment()
        .unwrap()
        .to_string()
}

/// The digest `app:tag` names.
pub(super) async fn digest(url: &str, tag: &str) -> String {
    tag_digest(url, "app", tag).await
}

pub(super) async fn describe(url: &str, arn: &str) -> ServiceDeployment {
    let out = ecs(url)
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .unwrap();
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    out.service_deployments()[0].clone()
}

pub(super) fn status(sd: &ServiceDeployment) -> &str {
    sd.status().map_or("", |s| s.as_str())
}

pub(super) fn stage(sd: &ServiceDeployment) -> &str {
    sd.lifecycle_stage().map_or("", |s| s.as_str())
}

/// The `deployments[]` of `svc`: (status, rolloutState, running) per entry.
pub(super) async fn deployments(url: &str) -> Vec<(String, String, i32)> {
    let out = ecs(url)
        .describe_services()
        .cluster("c")
        .services("svc")
        .send()
        .await
        .unwrap();
    out.services()[0]
        .deployments()
        .iter()
        .map(|d| {
            (
                d.status().unwrap_or("").to_string(),
                d.rollout_state().map_or("", |r| r.as_str()).to_string(),
                d.running_count(),
            )
        })
        .collect()
}

/// The image digests the service's RUNNING tasks run, sorted.
pub(super) async fn running_digests(url: &str) -> Vec<String> {
    let client = ecs(url);
    let arns = client
        .list_tasks()
        .cluster("c")
        .service_name("svc")
        .send()
        .await
        .unwrap()
        .task_arns()
        .to_vec();
    if arns.is_empty() {
        return Vec::new();
    }
    let tasks = client
        .describe_tasks()
        .cluster("c")
        .set_tasks(Some(arns))
        .send()
        .await
        .unwrap();
    let mut out: Vec<String> = tasks
        .tasks()
        .iter()
        .filter(|t| t.last_status() == Some("RUNNING"))
        .map(|t| t.containers()[0].image_digest().unwrap_or("").to_string())
        .collect();
    out.sort();
    out
}

/// The revision digest of `revision_arn`'s container `app`.
pub(super) async fn revision_digest(url: &str, revision_arn: &str) -> String {
    let out = ecs(url)
        .describe_service_revisions()
        .service_revision_arns(revision_arn)
        .send()
        .await
        .unwrap();
    out.service_revisions()[0].container_images()[0]
        .image_digest()
        .unwrap()
        .to_string()
}

pub(super) fn blue_green(bake: i64) -> Value {
    json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": bake,
        "deploymentCircuitBreaker": {"enable": true, "rollback": true}})
}

/// The production weights `arn` goes through while the clock advances `step_ms` at a time.
pub(super) async fn production_weights(
    emu: &tagdeploy_emulator::EmulatorHandle,
    arn: &str,
    step_ms: u64,
) -> Vec<f64> {
    let url = emu.url();
    let mut weights: Vec<f64> = Vec::new();
    for _ in 0..60 {
        emu.advance_ms(step_ms);
        let sd = describe(&url, arn).await;
        let w = sd
            .target_service_revision()
            .unwrap()
            .requested_production_traffic_weight()
            .unwrap();
        if weights.last() != Some(&w) && w > 0.0 {
            weights.push(w);
        }
        if status(&sd) == "SUCCESSFUL" {
            return weights;
        }
    }
    panic!("the deployment did not finish: {weights:?}");
}

pub(super) fn pause(stage: &str, minutes: i64, action: &str) -> Value {
    json!({"targetType": "PAUSE", "lifecycleStages": [stage],
        "timeoutConfiguration": {"timeoutInMinutes": minutes, "action": action}})
}

/// Advances until `arn` has a hook awaiting action; returns its id.
pub(super) async fn awaiting_hook(emu: &tagdeploy_emulator::EmulatorHandle, arn: &str) -> String {
    for _ in 0..20 {
        emu.advance(1);
        let sd = describe(&emu.url(), arn).await;
        if let Some(h) = sd
            .lifecycle_hook_details()
            .iter()
            .find(|h| h.status().map(|s| s.as_str()) == Some("AWAITING_ACTION"))
        {
            assert_eq!(h.target_type().unwrap().as_str(), "PAUSE");
            assert_eq!(h.target_arn(), None);
            assert!(h.expires_at().is_some());
            return h.hook_id().unwrap().to_string();
        }
    }
    panic!("no hook awaits action");
}
