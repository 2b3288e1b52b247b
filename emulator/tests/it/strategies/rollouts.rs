//! ROLLING, BLUE_GREEN, LINEAR and CANARY deployments on the clock: stages, traffic weights,
//! bake times, `deployments[]`, revisions and their digests; the real clock with a time scale.

use serde_json::json;
use tagdeploy_emulator::{ClockMode, Options};

use super::*;
use crate::support::{count, ecs, manual};

#[tokio::test]
async fn a_rolling_deployment_is_a_service_deployment_whose_revision_has_the_digest() {
    let emu = manual(world(
        json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true}}),
    ))
    .await;
    let url = emu.url();
    let (good, next) = (digest(&url, "good").await, digest(&url, "next").await);
    let client = ecs(&url);
    let before = client
        .list_service_deployments()
        .cluster("c")
        .service("svc")
        .send()
        .await
        .unwrap();
    assert_eq!(before.service_deployments().len(), 1);
    let first = &before.service_deployments()[0];
    assert_eq!(first.status().unwrap().as_str(), "SUCCESSFUL");

    let arn = promote(&url, "next").await;
    assert!(
        arn.starts_with("arn:aws:ecs:us-east-1:123456789012:service-deployment/c/svc/"),
        "{arn}"
    );
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "PENDING");
    assert_eq!(sd.source_service_revisions().len(), 1);
    assert_eq!(
        sd.source_service_revisions()[0].arn(),
        first.target_service_revision_arn()
    );
    // Rolling deployments shift no traffic by weight.
    let target = sd.target_service_revision().unwrap();
    assert_eq!(target.requested_production_traffic_weight(), None);
    assert_eq!(target.requested_task_count(), 2);

    emu.advance(1);
    let sd = describe(&url, &arn).await;
    assert_eq!((status(&sd), stage(&sd)), ("IN_PROGRESS", "SCALE_UP"));
    assert_eq!(
        sd.target_service_revision().unwrap().pending_task_count(),
        2
    );
    assert_eq!(
        sd.deployment_circuit_breaker()
            .unwrap()
            .status()
            .unwrap()
            .as_str(),
        "MONITORING"
    );
    emu.advance(2);
    let sd = describe(&url, &arn).await;
    assert_eq!((status(&sd), stage(&sd)), ("SUCCESSFUL", "CLEAN_UP"));
    assert!(sd.finished_at().is_some());
    assert_eq!(
        sd.deployment_circuit_breaker()
            .unwrap()
            .status()
            .unwrap()
            .as_str(),
        "MONITORING_COMPLETE"
    );
    assert_eq!(sd.alarms().unwrap().status().unwrap().as_str(), "DISABLED");
    assert_eq!(
        deployments(&url).await,
        vec![("PRIMARY".into(), "COMPLETED".into(), 2)],
        "deployments[] completes in the same step"
    );
    let target = sd.target_service_revision().unwrap().arn().unwrap();
    assert_eq!(revision_digest(&url, target).await, next);
    assert_eq!(
        revision_digest(&url, first.target_service_revision_arn().unwrap()).await,
        good,
        "a revision keeps the digest it resolved, although the tag moved"
    );
    assert_eq!(running_digests(&url).await, vec![next.clone(), next]);
}

#[tokio::test]
async fn blue_green_runs_green_beside_blue_shifts_traffic_and_bakes() {
    let emu = manual(world(blue_green(10))).await;
    let url = emu.url();
    let (good, next) = (digest(&url, "good").await, digest(&url, "next").await);
    let arn = promote(&url, "next").await;
    emu.advance(1);
    let sd = describe(&url, &arn).await;
    assert_eq!(stage(&sd), "SCALE_UP");
    // Green scales to its full count beside blue, whatever maximumPercent says.
    assert_eq!(
        sd.target_service_revision().unwrap().pending_task_count(),
        2
    );
    assert_eq!(sd.source_service_revisions()[0].running_task_count(), 2);
    let mut stages = vec![stage(&sd).to_string()];
    let mut bake_from = None;
    for _ in 0..6 {
        let step = emu.advance(1);
        let sd = describe(&url, &arn).await;
        if stages.last().map(String::as_str) != Some(stage(&sd)) {
            stages.push(stage(&sd).to_string());
        }
        if stage(&sd) == "BAKE_TIME" && bake_from.is_none() {
            bake_from = Some(step);
        }
    }
    assert_eq!(
        stages,
        [
            "SCALE_UP",
            "TEST_TRAFFIC_SHIFT",
            "PRODUCTION_TRAFFIC_SHIFT",
            "BAKE_TIME"
        ]
    );
    let sd = describe(&url, &arn).await;
    let target = sd.target_service_revision().unwrap();
    assert_eq!(target.requested_test_traffic_weight(), Some(100.0));
    assert_eq!(target.requested_production_traffic_weight(), Some(100.0));
    assert_eq!(
        sd.source_service_revisions()[0].requested_production_traffic_weight(),
        Some(0.0)
    );
    assert_eq!(
        deployments(&url).await,
        vec![
            ("PRIMARY".into(), "IN_PROGRESS".into(), 2),
            ("ACTIVE".into(), "COMPLETED".into(), 2)
        ],
        "both revisions run during the bake time"
    );
    let mut both = vec![good.clone(), good, next.clone(), next.clone()];
    both.sort();
    assert_eq!(running_digests(&url).await, both);
    // Nine minutes in, still baking; the bake time ends after ten minutes of emulated time
    // (one manual step is one second).
    let mut step = emu.advance_ms(9 * 60_000);
    assert_eq!(stage(&describe(&url, &arn).await), "BAKE_TIME");
    for _ in 0..120 {
        if stage(&describe(&url, &arn).await) != "BAKE_TIME" {
            break;
        }
        step = emu.advance(1);
    }
    assert_eq!(step - bake_from.unwrap(), 600);
    let sd = describe(&url, &arn).await;
    assert_eq!((status(&sd), stage(&sd)), ("IN_PROGRESS", "CLEAN_UP"));
    emu.advance(2);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "SUCCESSFUL");
    assert_eq!(
        deployments(&url).await,
        vec![("PRIMARY".into(), "COMPLETED".into(), 2)]
    );
    assert_eq!(running_digests(&url).await, vec![next.clone(), next]);
}

#[tokio::test]
async fn linear_shifts_production_traffic_in_equal_steps() {
    let emu = manual(world(json!({"strategy": "LINEAR",
        "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 2}})))
    .await;
    let url = emu.url();
    let arn = promote(&url, "next").await;
    assert_eq!(
        production_weights(&emu, &arn, 30_000).await,
        [25.0, 50.0, 75.0, 100.0]
    );
    let sd = describe(&url, &arn).await;
    let config = sd.deployment_configuration().unwrap();
    assert_eq!(config.strategy().unwrap().as_str(), "LINEAR");
    assert_eq!(
        config
            .linear_configuration()
            .unwrap()
            .step_bake_time_in_minutes(),
        Some(2)
    );
}

#[tokio::test]
async fn canary_shifts_the_canary_share_then_the_rest() {
    let emu = manual(world(json!({"strategy": "CANARY", "bakeTimeInMinutes": 1,
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}})))
    .await;
    let url = emu.url();
    let arn = promote(&url, "next").await;
    assert_eq!(production_weights(&emu, &arn, 30_000).await, [10.0, 100.0]);
}

#[tokio::test]
async fn a_real_clock_with_a_time_scale_bakes_in_seconds() {
    // 10 ms steps, 600 emulated seconds per second: a 10-minute bake passes in about a second.
    let emu = tagdeploy_emulator::spawn(
        world(blue_green(10)),
        Options {
            clock: ClockMode::Real { step_ms: 10 },
            time_scale: 600,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let url = emu.url();
    let arn = promote(&url, "next").await;
    let state = emu.state();
    assert_eq!(state["clock"]["timeScale"], 600);
    let mut done = false;
    for _ in 0..200 {
        let sd = describe(&url, &arn).await;
        if status(&sd) == "SUCCESSFUL" {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "the deployment finished within the 20 s bound");
    assert!(count(&emu, "DescribeServiceDeployments") > 0);
}
