//! The manual approval gate of the `tagdeploy_prod_tag` page
//! (`examples/resources/tagdeploy_prod_tag/approval.tf`), applied against the emulator: service
//! `web` runs BLUE_GREEN in cluster `production`, with a PAUSE hook after test traffic moves.
//! The apply waits at the gate without answering it, its pause shows in the INFO log with the
//! command that answers it, and the apply finishes once a person (here the AWS SDK, as the CLI
//! would) approves. A person who rejects instead gets the tag moved back.

use std::time::Duration;

use serde_json::{Value as Json, json};

use super::example_workspace;
use crate::support::aws::continue_by_hand;
use crate::support::emulator::BackgroundEmulator;
use crate::support::observe::Observe;
use crate::support::terraform::{Terraform, terraform_test};
use crate::support::wait_until;

const RESOURCE: &str = "examples/resources/tagdeploy_prod_tag";
const REACH: Duration = Duration::from_secs(120);

/// Repository `web` (`prod` on hash_1), and service `web` in `production` (on `web:prod`),
/// BLUE_GREEN with a PAUSE hook.
fn world() -> Json {
    let image = |tag: &str| format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:{tag}");
    let service = |cluster: &str, family: &str| {
        json!({
            "cluster": cluster,
            "serviceName": "web",
            "taskDefinition": family,
            "desiredCount": 2,
            "deploymentConfiguration": {
                "strategy": "BLUE_GREEN",
                "bakeTimeInMinutes": 0,
                "deploymentCircuitBreaker": { "enable": true, "rollback": true },
                "lifecycleHooks": [{ "targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"] }],
            },
            "loadBalancers": [{
                "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
                "containerName": "app",
                "containerPort": 80,
                "advancedConfiguration": {
                    "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2",
                    "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3",
                    "roleArn": "arn:aws:iam::123456789012:role/ecs-blue-green",
                },
            }],
        })
    };
    json!({
        "repositories": [{
            "name": "web",
            "images": [{ "tags": ["hash_1", "prod"] }, { "tags": ["hash_2"] }],
        }],
        "clusters": [{ "name": "production" }],
        "taskDefinitions": [
            { "family": "web-prod", "containerDefinitions": [{ "name": "app", "image": image("prod") }] },
        ],
        "services": [service("production", "web-prod")],
    })
}

/// The newest service deployment of service `web` in `cluster`, from the emulator's state.
fn current(emulator: &BackgroundEmulator, cluster: &str) -> Json {
    emulator.handle().state()["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["name"] == cluster)
        .flat_map(|c| c["services"].as_array().cloned().unwrap_or_default())
        .find(|s| s["name"] == "web")
        .and_then(|s| s["serviceDeployments"].as_array()?.last().cloned())
        .unwrap_or(Json::Null)
}

/// The id of the hook awaiting an action in `sd`, if any.
fn awaiting(sd: &Json) -> Option<String> {
    sd["hooks"]
        .as_array()?
        .iter()
        .find(|h| h["status"] == "AWAITING_ACTION")
        .and_then(|h| h["hookId"].as_str().map(str::to_owned))
}

/// Applies the example with `release=hash_2`; when prod pauses, a person answers `action`
/// (`CONTINUE` or `ROLLBACK`), and the apply ends as that answer says.
fn gate(tf: &Terraform, action: &str) {
    let emulator = BackgroundEmulator::manual(world());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let (hash_1, hash_2) = (
        emulator.digest_in("web", "hash_1"),
        emulator.digest_in("web", "hash_2"),
    );
    let mut ws = example_workspace(
        tf,
        &format!("example-approval-{}", action.to_lowercase()),
        RESOURCE,
        &["approval.tf"],
        Some(&emulator),
    );
    ws.set_env("TF_LOG", "INFO");
    let run = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&["-var", "release=hash_2"]));
        let paused = wait_until(REACH, || {
            awaiting(&current(&emulator, "production")).is_some()
        });
        let sd = current(&emulator, "production");
        // The provider leaves prod's gate alone: a while later it still waits.
        std::thread::sleep(Duration::from_secs(2));
        let provider_answers = emulator.count("ContinueServiceDeployment");
        let still = awaiting(&current(&emulator, "production"));
        if let Some(hook) = awaiting(&sd).filter(|_| paused) {
            let arn = format!(
                "arn:aws:ecs:us-east-1:123456789012:service-deployment/production/web/{}",
                sd["id"].as_str().unwrap_or_default()
            );
            continue_by_hand(&emulator.url(), &arn, &hook, action);
        }
        let run = apply.join().expect("apply thread");
        assert!(
            paused,
            "prod never paused at its gate:\n{}",
            run.transcript()
        );
        assert_eq!(provider_answers, 0, "the provider does not answer the gate");
        assert_eq!(still, awaiting(&sd), "prod's gate waited for the person");
        run
    });
    assert!(
        run.stderr.contains("service web (BLUE_GREEN): IN_PROGRESS at POST_TEST_TRAFFIC_SHIFT")
            && run.stderr.contains("paused: PAUSE hook ecs-pause-")
            && run.stderr.contains("aws ecs continue-service-deployment --service-deployment-arn arn:aws:ecs:us-east-1:123456789012:service-deployment/production/web/"),
        "the INFO log shows prod's pause and how to answer it:\n{}",
        run.stderr
    );
    if action == "CONTINUE" {
        assert_eq!(run.code, Some(0), "{}", run.transcript());
        assert_eq!(emulator.digest_in("web", "prod"), hash_2);
        assert_eq!(current(&emulator, "production")["status"], "SUCCESSFUL");
    } else {
        assert_eq!(run.code, Some(1), "{}", run.transcript());
        let text = run
            .transcript()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("ROLLBACK_"), "{text}");
        assert_eq!(
            emulator.digest_in("web", "prod"),
            hash_1,
            "the tag moved back"
        );
    }
}

terraform_test!(approval_example_waits_for_a_person);
fn approval_example_waits_for_a_person(tf: &Terraform) {
    gate(tf, "CONTINUE");
}

terraform_test!(approval_example_rejected_moves_the_tag_back);
fn approval_example_rejected_moves_the_tag_back(tf: &Terraform) {
    gate(tf, "ROLLBACK");
}
