//! Lifecycle hooks: PAUSE hooks and ContinueServiceDeployment, hook timeouts, Lambda hooks that
//! succeed, fail or never answer.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::DeploymentLifecycleHookAction;
use serde_json::json;
use tagdeploy_emulator::LambdaResult;

use super::*;
use crate::support::{ecs, manual};

#[tokio::test]
async fn a_paused_hook_waits_for_continue_service_deployment() {
    let mut config = blue_green(0);
    config["lifecycleHooks"] = json!([pause("POST_TEST_TRAFFIC_SHIFT", 60, "ROLLBACK")]);
    let emu = manual(world(config)).await;
    let url = emu.url();
    let arn = promote(&url, "next").await;
    let hook = awaiting_hook(&emu, &arn).await;
    assert!(hook.starts_with("ecs-pause-"), "{hook}");
    let sd = describe(&url, &arn).await;
    assert_eq!(
        (status(&sd), stage(&sd)),
        ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT")
    );
    // Paused: the clock moves, the deployment does not.
    emu.advance_ms(30 * 60_000);
    assert_eq!(
        stage(&describe(&url, &arn).await),
        "POST_TEST_TRAFFIC_SHIFT"
    );
    let client = ecs(&url);
    client
        .continue_service_deployment()
        .service_deployment_arn(&arn)
        .hook_id(&hook)
        .action(DeploymentLifecycleHookAction::Continue)
        .send()
        .await
        .unwrap();
    let again = client
        .continue_service_deployment()
        .service_deployment_arn(&arn)
        .hook_id(&hook)
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("ClientException"));
    emu.advance(6);
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "SUCCESSFUL");
    assert_eq!(
        sd.lifecycle_hook_details()[0].status().unwrap().as_str(),
        "SUCCEEDED"
    );
}

#[tokio::test]
async fn a_paused_hook_rolled_back_by_continue_service_deployment() {
    let mut config = blue_green(0);
    config["lifecycleHooks"] = json!([pause("POST_SCALE_UP", 60, "CONTINUE")]);
    let emu = manual(world(config)).await;
    let url = emu.url();
    let good = digest(&url, "good").await;
    let arn = promote(&url, "next").await;
    let hook = awaiting_hook(&emu, &arn).await;
    ecs(&url)
        .continue_service_deployment()
        .service_deployment_arn(&arn)
        .hook_id(&hook)
        .action(DeploymentLifecycleHookAction::Rollback)
        .send()
        .await
        .unwrap();
    let sd = describe(&url, &arn).await;
    assert_eq!(status(&sd), "ROLLBACK_REQUESTED");
    assert_eq!(
        sd.lifecycle_hook_details()[0].status().unwrap().as_str(),
        "FAILED"
    );
    emu.advance(1);
    assert_eq!(status(&describe(&url, &arn).await), "ROLLBACK_IN_PROGRESS");
    emu.advance(2);
    assert_eq!(status(&describe(&url, &arn).await), "ROLLBACK_SUCCESSFUL");
    assert_eq!(running_digests(&url).await, vec![good.clone(), good]);
}

#[tokio::test]
async fn a_paused_hook_takes_its_timeout_action() {
    for (action, end) in [
        ("ROLLBACK", "ROLLBACK_SUCCESSFUL"),
        ("CONTINUE", "SUCCESSFUL"),
    ] {
        let mut config = blue_green(0);
        config["lifecycleHooks"] = json!([pause("PRE_SCALE_UP", 15, action)]);
        let emu = manual(world(config)).await;
        let url = emu.url();
        let arn = promote(&url, "next").await;
        awaiting_hook(&emu, &arn).await;
        // One call passes the timeout on the manual clock.
        emu.advance_ms(15 * 60_000);
        let sd = describe(&url, &arn).await;
        assert_eq!(
            sd.lifecycle_hook_details()[0].status().unwrap().as_str(),
            "TIMED_OUT",
            "{action}"
        );
        emu.advance(10);
        assert_eq!(status(&describe(&url, &arn).await), end, "{action}");
    }
}

#[tokio::test]
async fn lambda_hooks_succeed_fail_or_time_out_as_the_world_says() {
    let hook = |arn: &str, minutes: i64| {
        json!({"hookTargetArn": arn, "roleArn": "arn:aws:iam::123456789012:role/hooks",
            "lifecycleStages": ["PRE_SCALE_UP"], "timeoutConfiguration": {"timeoutInMinutes": minutes}})
    };
    for (function, end) in [
        (LAMBDA_OK, "SUCCESSFUL"),
        (LAMBDA_NO, "ROLLBACK_SUCCESSFUL"),
        (LAMBDA_SLOW, "ROLLBACK_SUCCESSFUL"),
    ] {
        let mut config = blue_green(0);
        config["lifecycleHooks"] = json!([hook(function, 5)]);
        let emu = manual(world(config)).await;
        let url = emu.url();
        let arn = promote(&url, "next").await;
        emu.advance(1);
        let sd = describe(&url, &arn).await;
        let detail = &sd.lifecycle_hook_details()[0];
        assert_eq!(
            detail.status().unwrap().as_str(),
            "IN_PROGRESS",
            "{function}"
        );
        assert_eq!(detail.target_arn(), Some(function));
        assert!(detail.hook_id().unwrap().starts_with("ecs-lambda-"));
        emu.advance_ms(5 * 60_000);
        emu.advance(10);
        let sd = describe(&url, &arn).await;
        assert_eq!(status(&sd), end, "{function}");
        let expected = match function {
            LAMBDA_OK => "SUCCEEDED",
            LAMBDA_NO => "FAILED",
            _ => "TIMED_OUT",
        };
        assert_eq!(
            sd.lifecycle_hook_details()[0].status().unwrap().as_str(),
            expected
        );
    }
    // The admin API changes a function's answer for later invocations.
    let mut config = blue_green(0);
    config["lifecycleHooks"] = json!([hook(LAMBDA_OK, 5)]);
    let emu = manual(world(config)).await;
    emu.set_lambda_result(LAMBDA_OK, LambdaResult::Failed);
    let arn = promote(&emu.url(), "next").await;
    emu.advance(6);
    assert_eq!(
        status(&describe(&emu.url(), &arn).await),
        "ROLLBACK_SUCCESSFUL"
    );
}
