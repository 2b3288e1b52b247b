//! The wire protocol seen raw (headers, error envelopes, unknown operations, timestamps) and the
//! admin API under `/_emulator/`.

use serde_json::{Value, json};

use crate::support::{ECR, ECS, aws_call, demo_world, manual, raw};

#[tokio::test]
async fn success_and_error_envelopes() {
    let emu = manual(demo_world()).await;
    let ok = aws_call(
        emu.addr(),
        &format!("{ECS}.DescribeServices"),
        r#"{"cluster": "example", "services": ["example"]}"#,
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert!(ok.header("x-amzn-RequestId").is_some_and(|v| v.len() == 36));
    let body = ok.json();
    assert!(
        body["services"][0]["createdAt"].is_number(),
        "timestamps are epoch numbers"
    );
    assert!(body["services"][0]["deployments"][0]["updatedAt"].is_number());

    let err = aws_call(
        emu.addr(),
        &format!("{ECR}.DescribeRepositories"),
        r#"{"repositoryNames": ["nope"]}"#,
    )
    .await
    .unwrap();
    assert_eq!(err.status, 400);
    assert_eq!(
        err.header("x-amzn-ErrorType"),
        Some("RepositoryNotFoundException")
    );
    assert_eq!(err.json()["__type"], "RepositoryNotFoundException");
    assert!(err.json()["message"].as_str().unwrap().contains("'nope'"));
    assert!(err.header("x-amzn-RequestId").is_some());
}

#[tokio::test]
async fn unknown_operations_malformed_bodies_and_missing_members() {
    let emu = manual(demo_world()).await;
    for target in [
        format!("{ECS}.Frobnicate"),
        "Nonsense.ListTasks".to_string(),
        String::new(),
    ] {
        let r = aws_call(emu.addr(), &target, "{}").await.unwrap();
        assert_eq!(r.status, 400, "{target}");
        assert_eq!(r.json()["__type"], "UnknownOperationException");
    }
    let r = aws_call(emu.addr(), &format!("{ECS}.ListTasks"), "{not json")
        .await
        .unwrap();
    assert_eq!(r.json()["__type"], "SerializationException");
    let r = aws_call(
        emu.addr(),
        &format!("{ECR}.PutImage"),
        r#"{"repositoryName": "example"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["__type"], "InvalidParameterException");
    let r = aws_call(emu.addr(), &format!("{ECS}.ListTasks"), r#"{"cluster": 5}"#)
        .await
        .unwrap();
    assert_eq!(r.json()["__type"], "SerializationException");
    // An empty body is an empty input.
    let r = aws_call(emu.addr(), &format!("{ECR}.DescribeRepositories"), "")
        .await
        .unwrap();
    assert_eq!(r.status, 200);

    let log = emu.requests();
    assert_eq!(log[0].operation, "Frobnicate");
    assert_eq!(log[0].error.as_deref(), Some("UnknownOperationException"));
    assert_eq!(log[1].service, tagdeploy_emulator::AwsService::Unknown);
    let seqs: Vec<u64> = log.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=log.len() as u64).collect::<Vec<_>>());

    let get = raw(emu.addr(), "GET", "/", &[], b"")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(get.status, 405);
}

async fn admin(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let r = raw(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await
    .unwrap()
    .unwrap();
    (r.status, r.json())
}

async fn prod_digest(addr: std::net::SocketAddr) -> String {
    let r = aws_call(
        addr,
        &format!("{ECR}.DescribeImages"),
        r#"{"repositoryName": "example", "imageIds": [{"imageTag": "prod"}]}"#,
    )
    .await
    .unwrap();
    r.json()["imageDetails"][0]["imageDigest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn admin_api() {
    let emu = manual(demo_world()).await;
    let addr = emu.addr();
    let before = prod_digest(addr).await;

    // Request log, typed fields.
    let (status, log) = admin(addr, "GET", "/_emulator/requests", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        log,
        json!([{ "seq": 1, "service": "ecr", "operation": "DescribeImages", "status": 200, "error": null, "fault": null, "time": log[0]["time"] }])
    );
    assert!(log[0]["time"].is_number());
    let (_, cleared) = admin(addr, "DELETE", "/_emulator/requests", "").await;
    assert_eq!(cleared["cleared"], 1);
    assert!(emu.requests().is_empty());

    // Retag, then reset: back to the loaded world.
    let manifest = aws_call(
        addr,
        &format!("{ECR}.BatchGetImage"),
        r#"{"repositoryName": "example", "imageIds": [{"imageTag": "hash_2"}]}"#,
    )
    .await
    .unwrap()
    .json()["images"][0]["imageManifest"]
        .clone();
    let put = aws_call(
        addr,
        &format!("{ECR}.PutImage"),
        &json!({ "repositoryName": "example", "imageTag": "prod", "imageManifest": manifest })
            .to_string(),
    )
    .await
    .unwrap();
    assert_eq!(put.status, 200);
    assert_ne!(prod_digest(addr).await, before);
    assert_eq!(admin(addr, "POST", "/_emulator/reset", "").await.0, 200);
    assert_eq!(prod_digest(addr).await, before);

    // Clock: 2500 ms on the manual clock (1 s per step) = 3 steps.
    let (_, adv) = admin(addr, "POST", "/_emulator/clock/advance", r#"{"ms": 2500}"#).await;
    assert_eq!(adv["steps"], 3);
    let (_, adv) = admin(addr, "POST", "/_emulator/clock/advance", r#"{"steps": 2}"#).await;
    assert_eq!(adv["steps"], 5);

    // Faults: set, read back, refuse nonsense.
    let (status, _) = admin(
        addr,
        "POST",
        "/_emulator/faults",
        r#"{"rules": [{"operation": "ListImages", "kind": "throttle", "max_faults": 1}]}"#,
    )
    .await;
    assert_eq!(status, 200);
    let r = aws_call(
        addr,
        &format!("{ECR}.ListImages"),
        r#"{"repositoryName": "example"}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.json()["__type"].clone()),
        (400, json!("ThrottlingException"))
    );
    let (_, faults) = admin(addr, "GET", "/_emulator/faults", "").await;
    assert_eq!(faults["injected"], json!([1]));
    assert_eq!(
        admin(
            addr,
            "POST",
            "/_emulator/faults",
            r#"{"rules": [{"kind": "sometimes"}]}"#
        )
        .await
        .0,
        400
    );
    let (_, log) = admin(addr, "GET", "/_emulator/requests", "").await;
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["fault"], "throttle");

    // Load another world; refuse an inconsistent one.
    let (status, _) = admin(
        addr,
        "POST",
        "/_emulator/world",
        r#"{"repositories": [{"name": "other"}]}"#,
    )
    .await;
    assert_eq!(status, 200);
    let repos = aws_call(addr, &format!("{ECR}.DescribeRepositories"), "{}")
        .await
        .unwrap()
        .json();
    assert_eq!(repos["repositories"][0]["repositoryName"], "other");
    let (status, err) = admin(
        addr,
        "POST",
        "/_emulator/world",
        r#"{"services": [{"cluster": "ghost", "serviceName": "s", "taskDefinition": "t"}]}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(err["error"].as_str().unwrap().contains("services[0]"));
    assert_eq!(
        admin(addr, "POST", "/_emulator/world", "not json").await.0,
        400
    );

    // State dump and release with nothing held; unknown routes.
    let (_, state) = admin(addr, "GET", "/_emulator/state", "").await;
    assert_eq!(state["repositories"][0]["name"], "other");
    assert_eq!(state["clock"]["mode"], "manual");
    assert_eq!(
        admin(addr, "POST", "/_emulator/release", "").await.1["released"],
        0
    );
    assert_eq!(admin(addr, "GET", "/_emulator/nothing", "").await.0, 404);
}

#[tokio::test]
async fn admin_api_for_alarms_lambda_answers_and_emulated_minutes() {
    let emu = manual(demo_world()).await;
    let addr = emu.addr();
    // Alarms: set, read back (set state and seen state), refuse unknown states.
    let (status, _) = admin(
        addr,
        "POST",
        "/_emulator/alarms",
        r#"{"alarmName": "example-5xx", "state": "ALARM"}"#,
    )
    .await;
    assert_eq!(status, 200);
    let (_, alarms) = admin(addr, "GET", "/_emulator/alarms", "").await;
    assert_eq!(
        alarms,
        json!({"alarms": [{"alarmName": "example-5xx", "state": "ALARM", "setState": "ALARM"}]})
    );
    let (status, err) = admin(
        addr,
        "POST",
        "/_emulator/alarms",
        r#"{"alarmName": "x", "state": "RED"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(err["error"].as_str().unwrap().contains("RED"), "{err}");
    // Lambda answers.
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test";
    let (status, _) = admin(
        addr,
        "POST",
        "/_emulator/lambda-functions",
        &json!({"functionArn": arn, "result": "IN_PROGRESS"}).to_string(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, lambdas) = admin(addr, "GET", "/_emulator/lambda-functions", "").await;
    assert_eq!(
        lambdas,
        json!({"lambdaFunctions": [{"functionArn": arn, "result": "IN_PROGRESS"}]})
    );
    // Emulated minutes and seconds on the manual clock: one step per second.
    let (_, adv) = admin(
        addr,
        "POST",
        "/_emulator/clock/advance",
        r#"{"minutes": 2}"#,
    )
    .await;
    assert_eq!(adv["steps"], 120);
    let (_, adv) = admin(
        addr,
        "POST",
        "/_emulator/clock/advance",
        r#"{"seconds": 5}"#,
    )
    .await;
    assert_eq!(adv["steps"], 125);
    assert_eq!(
        admin(addr, "POST", "/_emulator/clock/advance", r#"{"hours": 1}"#)
            .await
            .0,
        400,
        "unknown members are refused, not ignored"
    );
    // The state dump shows both, and the service's service deployment.
    let (_, state) = admin(addr, "GET", "/_emulator/state", "").await;
    assert_eq!(state["alarms"]["example-5xx"], "ALARM");
    assert_eq!(state["lambdaFunctions"][arn], "IN_PROGRESS");
    assert_eq!(
        state["clusters"][0]["services"][0]["serviceDeployments"][0]["status"],
        "SUCCESSFUL"
    );
    // A reset goes back to the world's alarms.
    admin(addr, "POST", "/_emulator/reset", "").await;
    let (_, alarms) = admin(addr, "GET", "/_emulator/alarms", "").await;
    assert_eq!(alarms, json!({"alarms": []}));
}

#[test]
fn the_readme_world_example_loads() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("emulator/README.md");
    let after = readme
        .split("## The world file")
        .nth(1)
        .expect("a world file section");
    let block = after
        .split("```json\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a JSON example");
    // The example abbreviates one digest; everything else is loaded as written.
    let text = block.replace("\"sha256:…\"", "\"sha256:0123\"");
    let world = tagdeploy_emulator::World::from_json(&text)
        .unwrap_or_else(|e| panic!("the README's world does not load: {e}"));
    assert_eq!(world.services.len(), 2);
    assert_eq!(world.alarms.len(), 1);
    assert_eq!(world.lambda_functions.len(), 1);
}
