//! Each fault kind, bounded and seeded, seen through the Rust SDK (with its retries) and raw HTTP.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use tagdeploy_emulator::{FaultKind, FaultPlan, RequestRecord};

use crate::support::{ECR, ECS, aws_call, demo_world, ecr, ecs, manual, raw, until};

fn plan(json: &str) -> FaultPlan {
    FaultPlan::from_json(json).expect("valid plan")
}

fn of(
    records: &[RequestRecord],
    operation: &str,
) -> Vec<(Option<u16>, Option<String>, Option<FaultKind>)> {
    records
        .iter()
        .filter(|r| r.operation == operation)
        .map(|r| (r.status, r.error.clone(), r.fault))
        .collect()
}

#[tokio::test]
async fn throttling_is_bounded_and_retried_by_the_sdk() {
    let emu = manual(demo_world()).await;
    emu.set_faults(plan(
        r#"{"rules": [{"operation": "ListImages", "kind": "throttle", "max_faults": 2}]}"#,
    ));
    let out = ecr(&emu.url())
        .list_images()
        .repository_name("example")
        .send()
        .await;
    assert!(out.is_ok(), "third attempt succeeds: {out:?}");
    let throttled = (
        Some(400),
        Some("ThrottlingException".to_string()),
        Some(FaultKind::Throttle),
    );
    assert_eq!(
        of(&emu.requests(), "ListImages"),
        vec![throttled.clone(), throttled, (Some(200), None, None)]
    );

    // Unbounded: the SDK gives up after its 3 attempts with the typed throttling error.
    emu.set_faults(plan(
        r#"{"rules": [{"operation": "DescribeServices", "kind": "throttle"}]}"#,
    ));
    let err = ecs(&emu.url())
        .describe_services()
        .cluster("example")
        .services("example")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(of(&emu.requests(), "DescribeServices").len(), 3);
}

#[tokio::test]
async fn server_errors_are_500_and_retried() {
    let emu = manual(demo_world()).await;
    emu.set_faults(plan(r#"{"rules": [{"operation": "*", "service": "ecs", "kind": "server_error", "max_faults": 1}]}"#));
    // ECR calls are not matched by the rule.
    ecr(&emu.url())
        .list_images()
        .repository_name("example")
        .send()
        .await
        .unwrap();
    ecs(&emu.url())
        .list_tasks()
        .cluster("example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        of(&emu.requests(), "ListTasks"),
        vec![
            (
                Some(500),
                Some("ServerException".to_string()),
                Some(FaultKind::ServerError)
            ),
            (Some(200), None, None)
        ]
    );
    assert_eq!(
        of(&emu.requests(), "ListImages"),
        vec![(Some(200), None, None)]
    );
    emu.set_faults(plan(r#"{"rules": [{"kind": "server_error"}]}"#));
    let r = aws_call(
        emu.addr(),
        &format!("{ECS}.ListTasks"),
        r#"{"cluster": "example"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("ServerException"));
    assert_eq!(r.json()["__type"], "ServerException");
}

#[tokio::test]
async fn latency_delays_but_answers() {
    let emu = manual(demo_world()).await;
    emu.set_faults(plan(
        r#"{"rules": [{"operation": "DescribeServices", "kind": "latency", "latency_ms": 30}]}"#,
    ));
    ecs(&emu.url())
        .describe_services()
        .cluster("example")
        .services("example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        of(&emu.requests(), "DescribeServices"),
        vec![(Some(200), None, Some(FaultKind::Latency))]
    );
}

#[tokio::test]
async fn dropped_connections_close_without_an_answer() {
    let emu = manual(demo_world()).await;
    emu.set_faults(plan(
        r#"{"rules": [{"operation": "ListTasks", "kind": "drop", "max_faults": 2}]}"#,
    ));
    let none = raw(
        emu.addr(),
        "POST",
        "/",
        &[("X-Amz-Target", &format!("{ECS}.ListTasks"))],
        br#"{"cluster": "example"}"#,
    )
    .await
    .unwrap();
    assert!(none.is_none(), "no bytes at all: {none:?}");
    // The SDK treats the closed connection as a transient I/O error and retries.
    let out = ecs(&emu.url()).list_tasks().cluster("example").send().await;
    assert!(out.is_ok(), "{out:?}");
    assert_eq!(
        of(&emu.requests(), "ListTasks"),
        vec![
            (None, None, Some(FaultKind::Drop)),
            (None, None, Some(FaultKind::Drop)),
            (Some(200), None, None)
        ]
    );
}

#[tokio::test]
async fn held_calls_wait_until_released() {
    let emu = manual(demo_world()).await;
    emu.set_faults(plan(
        r#"{"rules": [{"operation": "UpdateService", "kind": "hold", "max_faults": 1}]}"#,
    ));
    let client = ecs(&emu.url());
    let call = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .update_service()
                .cluster("example")
                .service("example")
                .force_new_deployment(true)
                .send()
                .await
        }
    });
    until(|| emu.held() == ["UpdateService"]).await;
    assert!(!call.is_finished());
    assert!(
        emu.requests().is_empty(),
        "a held call is logged when it completes"
    );
    // Releasing another operation does nothing; releasing this one lets it through.
    assert_eq!(emu.release("ListTasks"), 0);
    assert_eq!(emu.release("UpdateService"), 1);
    let out = call.await.unwrap().unwrap();
    assert_eq!(out.service().unwrap().deployments().len(), 2);
    assert_eq!(
        of(&emu.requests(), "UpdateService"),
        vec![(Some(200), None, Some(FaultKind::Hold))]
    );

    // Through the admin API as well.
    emu.set_faults(plan(
        r#"{"rules": [{"operation": "ListImages", "kind": "hold"}]}"#,
    ));
    let addr = emu.addr();
    let held = tokio::spawn(async move {
        aws_call(
            addr,
            &format!("{ECR}.ListImages"),
            r#"{"repositoryName": "example"}"#,
        )
        .await
    });
    until(|| emu.held().len() == 1).await;
    let released = raw(
        addr,
        "POST",
        "/_emulator/release",
        &[],
        br#"{"operation": "ListImages"}"#,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(released.json()["released"], 1);
    assert_eq!(held.await.unwrap().unwrap().status, 200);
}

#[tokio::test]
async fn fault_sequences_repeat_for_a_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let emu = manual(demo_world()).await;
        emu.set_faults(plan(&format!(
            r#"{{"seed": {seed}, "rules": [{{"operation": "ListTasks", "kind": "throttle", "rate": 0.5}}]}}"#
        )));
        let mut statuses = Vec::new();
        for _ in 0..40 {
            let r = aws_call(
                emu.addr(),
                &format!("{ECS}.ListTasks"),
                r#"{"cluster": "example"}"#,
            )
            .await
            .unwrap();
            statuses.push(r.status);
        }
        statuses
    }
    let a = pattern(42).await;
    assert_eq!(a, pattern(42).await);
    assert_ne!(a, pattern(43).await);
    assert!(a.contains(&400) && a.contains(&200));
}
