//! Every field and enum value the service deployment calls answer with, checked against the ECS
//! service model that botocore ships (the AWS CLI in `.venv`): a member the model does not have, a
//! value outside an enum or a wrong JSON type fails the test. The CLI alone parses leniently.

use std::process::Command;

use serde_json::{Value, json};

use super::*;
use crate::support::{Cli, ECS, aws_call, manual, workspace_root};

/// botocore's ECS model from `.venv` (installed by `scripts/tools.sh` through `Cli::new`).
fn ecs_model(url: &str) -> Value {
    let _ = Cli::new(url);
    let out = Command::new(workspace_root().join(".venv/bin/python"))
        .args([
            "-c",
            "import awscli.botocore, os; print(os.path.dirname(awscli.botocore.__file__))",
        ])
        .output()
        .expect("python runs");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && !dir.is_empty(),
        "botocore not found"
    );
    let path = std::path::Path::new(&dir).join("data/ecs/2014-11-13/service-2.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("ECS model")).expect("model JSON")
}

/// Problems of `value` against shape `name` of `model`, with their paths.
fn check(model: &Value, value: &Value, name: &str, path: &str, problems: &mut Vec<String>) {
    let shape = &model["shapes"][name];
    // Documents (`hookDetails`) hold any JSON.
    if shape["document"] == true {
        return;
    }
    let kind = shape["type"].as_str().unwrap_or("");
    match kind {
        "structure" => match value.as_object() {
            Some(fields) => {
                for (k, v) in fields {
                    match shape["members"][k]["shape"].as_str() {
                        Some(member) => check(model, v, member, &format!("{path}.{k}"), problems),
                        None => problems.push(format!("{path}.{k}: not a member of {name}")),
                    }
                }
            }
            None => problems.push(format!("{path}: {name} is not an object")),
        },
        "list" => match value.as_array() {
            Some(items) => {
                let member = shape["member"]["shape"].as_str().unwrap_or("");
                for (i, v) in items.iter().enumerate() {
                    check(model, v, member, &format!("{path}[{i}]"), problems);
                }
            }
            None => problems.push(format!("{path}: {name} is not a list")),
        },
        "string" => match (value.as_str(), shape["enum"].as_array()) {
            (None, _) => problems.push(format!("{path}: {name} is not a string")),
            (Some(s), Some(allowed)) if !allowed.iter().any(|a| a == s) => {
                problems.push(format!("{path}: {s} is not a value of {name}"))
            }
            _ => {}
        },
        "integer" | "long" if !value.is_i64() => {
            problems.push(format!("{path}: {name} is not an integer"))
        }
        "double" | "float" | "timestamp" if !value.is_number() => {
            problems.push(format!("{path}: {name} is not a number"))
        }
        "boolean" if !value.is_boolean() => problems.push(format!("{path}: {name} is not a bool")),
        _ => {}
    }
}

#[tokio::test]
async fn every_field_and_enum_value_is_in_the_ecs_model() {
    let mut config = blue_green(1);
    config["lifecycleHooks"] = json!([
        pause("POST_TEST_TRAFFIC_SHIFT", 30, "ROLLBACK"),
        {"hookTargetArn": LAMBDA_OK, "lifecycleStages": ["POST_SCALE_UP"], "hookDetails": {"k": 1}}
    ]);
    config["alarms"] = json!({"alarmNames": ["errors"], "enable": true, "rollback": true});
    config["deploymentCircuitBreaker"] = json!({"enable": true, "rollback": true,
        "resetOnHealthyTask": false, "thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 50}});
    let emu = manual(world(config)).await;
    let url = emu.url();
    let model = ecs_model(&url);
    let mut problems = Vec::new();
    let mut answers = Vec::new();
    let mut call = async |op: &str, body: Value| {
        let r = aws_call(emu.addr(), &format!("{ECS}.{op}"), &body.to_string())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{op}: {}", r.body);
        let v = r.json();
        answers.push((op.to_string(), v.clone()));
        v
    };
    let updated = call(
        "UpdateService",
        json!({"cluster": "c", "service": "svc", "forceNewDeployment": true}),
    )
    .await;
    let arn = updated["service"]["currentServiceDeployment"]
        .as_str()
        .unwrap()
        .to_string();
    let mut statuses = Vec::new();
    for _ in 0..80 {
        emu.advance(1);
        let d = call(
            "DescribeServiceDeployments",
            json!({"serviceDeploymentArns": [arn, format!("{arn}x")]}),
        )
        .await;
        let sd = &d["serviceDeployments"][0];
        statuses.push(format!("{}/{}", sd["status"], sd["lifecycleStage"]));
        if let Some(h) = sd["lifecycleHookDetails"]
            .as_array()
            .and_then(|h| h.iter().find(|h| h["status"] == "AWAITING_ACTION"))
        {
            call(
                "ContinueServiceDeployment",
                json!({"serviceDeploymentArn": arn, "hookId": h["hookId"]}),
            )
            .await;
        }
        if sd["status"] == "SUCCESSFUL" {
            let revisions: Vec<Value> = std::iter::once(&sd["targetServiceRevision"])
                .chain(sd["sourceServiceRevisions"].as_array().unwrap())
                .map(|r| r["arn"].clone())
                .collect();
            call(
                "DescribeServiceRevisions",
                json!({ "serviceRevisionArns": revisions }),
            )
            .await;
            break;
        }
    }
    assert!(
        statuses.last().unwrap().contains("SUCCESSFUL"),
        "{statuses:?}"
    );
    // A rollback by an alarm, then a stop: the remaining shapes (rollback, triggered monitors).
    let second = promote(&url, "breach").await;
    emu.advance(3);
    call(
        "DescribeServiceDeployments",
        json!({"serviceDeploymentArns": [second]}),
    )
    .await;
    emu.advance(5);
    let third = promote(&url, "next").await;
    call(
        "StopServiceDeployment",
        json!({"serviceDeploymentArn": third, "stopType": "ABORT"}),
    )
    .await;
    emu.advance(2);
    call(
        "ListServiceDeployments",
        json!({"cluster": "c", "service": "svc", "maxResults": 2}),
    )
    .await;
    call(
        "DescribeServices",
        json!({"cluster": "c", "services": ["svc", "ghost"], "include": ["TAGS"]}),
    )
    .await;
    for (op, answer) in &answers {
        let output = model["operations"][op]["output"]["shape"]
            .as_str()
            .expect("an operation of the model");
        check(&model, answer, output, op, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let seen: Vec<&str> = answers
        .iter()
        .filter(|(op, _)| op == "DescribeServiceDeployments")
        .filter_map(|(_, a)| a["serviceDeployments"][0]["status"].as_str())
        .collect();
    for status in ["IN_PROGRESS", "SUCCESSFUL", "ROLLBACK_REQUESTED"] {
        assert!(seen.contains(&status), "{status} not seen: {seen:?}");
    }
}
