//! Rollbacks and stops: the circuit breaker, alarms (set through the admin API, tripped by an
//! image, or by a fault rule), StopServiceDeployment, and a newer deployment replacing one.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::StopServiceDeploymentStopType;
use serde_json::json;
use tagdeploy_emulator::{AlarmState, FaultKind, FaultPlan};

use super::*;
use crate::support::{ecs, manual};

#[tokio::test]
async fn a_failing_image_rolls_a_blue_green_deployment_back_to_blue() {
    let emu = manual(world(blue_green(10))).await;
    let url = emu.url();
    let good = digest(&url, "good").await;
    let first = ecs(&url)
        .list_service_deployments()
        .cluster("c")
        .service("svc")
        .send()
        .await
        .unwrap()
        .service_deployments()[0]
        .target_service_revision_arn()
        .unwrap()
        .to_string();
    let arn = promote(&url, "bad").await;
    // Launch 2, 2 fail, launch 2, 2 more fail: 4 ≥ the threshold of 3.
    emu.advance(3);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_REQUESTED");
    let breaker = sd.deployment_circuit_breaker().unwrap();
    assert_eq!(breaker.status().unwrap().as_str(), "TRIGGERED");
    assert_eq!((breaker.failure_count(), breaker.threshold()), (4, 3));
    let rollback = sd.rollback().unwrap();
    assert_eq!(rollback.service_revision_arn(), Some(first.as_str()));
    assert!(
        rollback.reason().unwrap().contains("circuit breaker"),
        "{rollback:?}"
    );
    // Blue serves again at once; green drains.
    assert_eq!(deployments(&url).await[0].0, "PRIMARY");
    emu.advance(1);
    assert_eq!(status(&describe(&url, &arn).await), "ROLLBACK_IN_PROGRESS");
    emu.advance(2);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_SUCCESSFUL");
    assert_eq!(
        sd.target_service_revision()
            .unwrap()
            .requested_production_traffic_weight(),
        Some(0.0)
    );
    assert_eq!(
        deployments(&url).await,
        vec![("PRIMARY".into(), "COMPLETED".into(), 2)]
    );
    assert_eq!(running_digests(&url).await, vec![good.clone(), good]);
}

#[tokio::test]
async fn an_alarm_rolls_back_during_the_bake_time() {
    let mut config = blue_green(30);
    config["alarms"] =
        json!({"alarmNames": ["errors", "latency"], "enable": true, "rollback": true});
    let emu = manual(world(config)).await;
    let url = emu.url();
    let arn = promote(&url, "next").await;
    emu.advance(6);
    assert_eq!(stage(&describe(&url, &arn).await), "BAKE_TIME");
    emu.advance_ms(5 * 60_000);
    let sd = describe(&url, &arn).await;
    assert_eq!(
        sd.alarms().unwrap().status().unwrap().as_str(),
        "MONITORING"
    );
    emu.set_alarm("latency", AlarmState::Alarm);
    emu.advance(1);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_REQUESTED");
    let alarms = sd.alarms().unwrap();
    assert_eq!(alarms.status().unwrap().as_str(), "TRIGGERED");
    assert_eq!(alarms.triggered_alarm_names(), ["latency"]);
    assert_eq!(alarms.alarm_names(), ["errors", "latency"]);
    emu.advance(3);
    assert_eq!(status(&describe(&url, &arn).await), "ROLLBACK_SUCCESSFUL");
}

#[tokio::test]
async fn an_image_that_trips_an_alarm_rolls_a_rolling_deployment_back() {
    let emu = manual(world(json!({
        "alarms": {"alarmNames": ["errors"], "enable": true, "rollback": true},
        "bakeTimeInMinutes": 5
    })))
    .await;
    let url = emu.url();
    let good = digest(&url, "good").await;
    let arn = promote(&url, "breach").await;
    // The breaching tasks run at step 2; the alarm fires from then on.
    emu.advance(2);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "IN_PROGRESS");
    emu.advance(1);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_REQUESTED");
    assert_eq!(sd.alarms().unwrap().triggered_alarm_names(), ["errors"]);
    emu.advance(6);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_SUCCESSFUL");
    assert_eq!(running_digests(&url).await, vec![good.clone(), good]);
}

#[tokio::test]
async fn an_alarm_without_rollback_stops_the_deployment() {
    let emu = manual(world(json!({
        "alarms": {"alarmNames": ["errors"], "enable": true, "rollback": false}
    })))
    .await;
    let url = emu.url();
    emu.set_alarm("errors", AlarmState::Alarm);
    let arn = promote(&url, "next").await;
    emu.advance(1);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "STOPPED");
    assert!(sd.stopped_at().is_some());
    assert_eq!(deployments(&url).await[0].1, "FAILED");
}

#[tokio::test]
async fn stop_service_deployment_rolls_back_and_conflicts_when_over() {
    let emu = manual(world(blue_green(60))).await;
    let url = emu.url();
    let good = digest(&url, "good").await;
    let arn = promote(&url, "next").await;
    emu.advance(6);
    assert_eq!(stage(&describe(&url, &arn).await), "BAKE_TIME");
    let client = ecs(&url);
    let stopped = client
        .stop_service_deployment()
        .service_deployment_arn(&arn)
        .stop_type(StopServiceDeploymentStopType::Rollback)
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.service_deployment_arn(), Some(arn.as_str()));
    assert_eq!(status(&describe(&url, &arn).await), "ROLLBACK_REQUESTED");
    let again = client
        .stop_service_deployment()
        .service_deployment_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("ConflictException"));
    emu.advance(1);
    assert_eq!(status(&describe(&url, &arn).await), "ROLLBACK_IN_PROGRESS");
    emu.advance(2);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_SUCCESSFUL");
    assert!(
        sd.status_reason()
            .unwrap()
            .contains("StopServiceDeployment")
    );
    assert_eq!(running_digests(&url).await, vec![good.clone(), good]);
    let ghost = client
        .stop_service_deployment()
        .service_deployment_arn(arn.replace("/svc/", "/ghost/"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(ghost.code(), Some("ServiceDeploymentNotFoundException"));
}

#[tokio::test]
async fn stop_with_abort_stops_where_it_is() {
    let emu = manual(world(json!({}))).await;
    let url = emu.url();
    let arn = promote(&url, "next").await;
    emu.advance(1);
    ecs(&url)
        .stop_service_deployment()
        .service_deployment_arn(&arn)
        .stop_type(StopServiceDeploymentStopType::Abort)
        .send()
        .await
        .unwrap();
    assert_eq!(status(&describe(&url, &arn).await), "STOP_REQUESTED");
    emu.advance(1);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "STOPPED");
    assert!(sd.stopped_at().is_some());
    assert_eq!(deployments(&url).await[0].1, "FAILED");
}

#[tokio::test]
async fn a_new_deployment_stops_the_one_in_progress_and_reconciles() {
    let mut config = blue_green(5);
    config["lifecycleHooks"] = json!([{"hookTargetArn": LAMBDA_OK,
        "lifecycleStages": ["RECONCILE_SERVICE"]}]);
    let emu = manual(world(config)).await;
    let url = emu.url();
    let first = promote(&url, "next").await;
    emu.advance(6);
    let second = promote(&url, "good").await;
    let sd = describe(&url, &first).await;
    assert_eq!(status(&sd), "STOPPED");
    assert!(sd.status_reason().unwrap().contains("replaced"));
    let sd = describe(&url, &second).await;
    assert_eq!(sd.source_service_revisions().len(), 2);
    emu.advance(1);
    let sd = describe(&url, &second).await;
    assert_eq!(stage(&sd), "RECONCILE_SERVICE");
    assert_eq!(sd.lifecycle_hook_details().len(), 1);
}

#[tokio::test]
async fn an_alarm_fault_rule_trips_the_watched_alarms() {
    let emu = manual(world(json!({
        "alarms": {"alarmNames": ["errors"], "enable": true, "rollback": true}
    })))
    .await;
    let url = emu.url();
    let arn = promote(&url, "next").await;
    emu.advance(1);
    emu.set_faults(
        FaultPlan::from_json(
            r#"{"rules": [{"operation": "DescribeServiceDeployments", "kind": "alarm", "max_faults": 1}]}"#,
        )
        .unwrap(),
    );
    describe(&url, &arn).await;
    let logged = emu
        .requests()
        .into_iter()
        .rfind(|r| r.operation == "DescribeServiceDeployments")
        .unwrap();
    assert_eq!(logged.fault, Some(FaultKind::Alarm));
    emu.advance(1);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_REQUESTED");
    assert_eq!(sd.alarms().unwrap().triggered_alarm_names(), ["errors"]);
    assert_eq!(emu.state()["alarms"]["errors"], "ALARM");
}
