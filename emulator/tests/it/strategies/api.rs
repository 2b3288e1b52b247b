//! The service deployment API itself: ListServiceDeployments filters and pages, Describe* limits
//! and failures, validation and echo of the configuration, and every new shape through the AWS
//! CLI.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::ServiceDeploymentStatus;
use serde_json::{Value, json};

use super::*;
use crate::support::{ecs, manual};

#[tokio::test]
async fn list_service_deployments_filters_and_pages() {
    let emu = manual(world(json!({}))).await;
    let url = emu.url();
    let mut arns = Vec::new();
    for tag in ["next", "good", "next"] {
        arns.push(promote(&url, tag).await);
        emu.advance(3);
    }
    let last = promote(&url, "good").await;
    let client = ecs(&url);
    // The SDK has no paginator for this operation: follow nextToken by hand.
    let mut all: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_service_deployments()
            .cluster("c")
            .service("arn:aws:ecs:us-east-1:123456789012:service/c/svc")
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.service_deployments().len() <= 2);
        all.extend(
            page.service_deployments()
                .iter()
                .map(|b| b.service_deployment_arn().unwrap().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(all.len(), 5, "the service's first deployment and four more");
    assert_eq!(all[0], last, "newest first");
    assert_eq!(
        &all[1..4],
        [arns[2].clone(), arns[1].clone(), arns[0].clone()]
    );
    let pending = client
        .list_service_deployments()
        .service("svc")
        .cluster("c")
        .status(ServiceDeploymentStatus::Pending)
        .send()
        .await
        .unwrap();
    assert_eq!(pending.service_deployments().len(), 1);
    assert_eq!(
        pending.service_deployments()[0].service_deployment_arn(),
        Some(last.as_str())
    );
    let none_yet = client
        .list_service_deployments()
        .service("svc")
        .cluster("c")
        .created_at(
            aws_sdk_ecs::types::CreatedAt::builder()
                .before(aws_smithy_types::DateTime::from_secs(0))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(none_yet.service_deployments().is_empty());
    let ghost = client
        .list_service_deployments()
        .service("ghost")
        .cluster("c")
        .send()
        .await
        .unwrap_err();
    assert_eq!(ghost.code(), Some("ServiceNotFoundException"));
    let bad = client
        .list_service_deployments()
        .service("svc")
        .cluster("c")
        .max_results(101)
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn describe_calls_report_missing_arns_and_limit_batches() {
    let emu = manual(world(json!({}))).await;
    let url = emu.url();
    let arn = promote(&url, "next").await;
    let client = ecs(&url);
    let ghost = arn.replace("/svc/", "/ghost/");
    let out = client
        .describe_service_deployments()
        .service_deployment_arns(&arn)
        .service_deployment_arns(&ghost)
        .service_deployment_arns("not-an-arn")
        .send()
        .await
        .unwrap();
    assert_eq!(out.service_deployments().len(), 1);
    let failures: Vec<(&str, &str)> = out
        .failures()
        .iter()
        .map(|f| (f.arn().unwrap(), f.reason().unwrap()))
        .collect();
    assert_eq!(
        failures,
        [(ghost.as_str(), "MISSING"), ("not-an-arn", "MISSING")]
    );
    let too_many = client
        .describe_service_deployments()
        .set_service_deployment_arns(Some(vec![arn.clone(); 21]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Some("InvalidParameterException"));
    let revisions = client
        .describe_service_revisions()
        .service_revision_arns(
            "arn:aws:ecs:us-east-1:123456789012:service-revision/c/svc/1234567890123456789",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revisions.failures()[0].reason(), Some("MISSING"));
    let none = client
        .describe_service_revisions()
        .send()
        .await
        .unwrap_err();
    assert_eq!(none.code(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn strategies_are_validated_and_echoed() {
    let emu = manual(world(json!({}))).await;
    let url = emu.url();
    let client = ecs(&url);
    let update = |config: Value| {
        let body = json!({"cluster": "c", "service": "svc", "deploymentConfiguration": config});
        let addr = emu.addr();
        async move {
            crate::support::aws_call(
                addr,
                &format!("{}.UpdateService", crate::support::ECS),
                &body.to_string(),
            )
            .await
            .unwrap()
        }
    };
    for bad in [
        json!({"strategy": "BLUE_GREEN"}),
        json!({"strategy": "SIDEWAYS"}),
        json!({"strategy": "ROLLING", "linearConfiguration": {"stepPercent": 10.0}}),
        json!({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 1.0}}),
        json!({"lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]}),
        json!({"lifecycleHooks": [{"lifecycleStages": ["PRE_SCALE_UP"]}]}),
        json!({"lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}),
    ] {
        let r = update(bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["__type"], "InvalidParameterException", "{bad}");
    }
    let r = update(json!({"strategy": "LINEAR", "bakeTimeInMinutes": 3,
        "lifecycleHooks": [pause("POST_PRODUCTION_TRAFFIC_SHIFT", 30, "CONTINUE")],
        "alarms": {"alarmNames": ["errors"], "enable": true, "rollback": true},
        "deploymentCircuitBreaker": {"enable": true, "rollback": true,
            "thresholdConfiguration": {"type": "COUNT", "value": 2}}}))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let described = client
        .describe_services()
        .cluster("c")
        .services("svc")
        .send()
        .await
        .unwrap();
    let s = &described.services()[0];
    let c = s.deployment_configuration().unwrap();
    assert_eq!(c.strategy().unwrap().as_str(), "LINEAR");
    assert_eq!(c.bake_time_in_minutes(), Some(3));
    let linear = c.linear_configuration().unwrap();
    assert_eq!(
        (linear.step_percent(), linear.step_bake_time_in_minutes()),
        (Some(10.0), Some(6)),
        "ECS's defaults"
    );
    let hook = &c.lifecycle_hooks()[0];
    assert_eq!(hook.target_type().unwrap().as_str(), "PAUSE");
    assert_eq!(
        hook.timeout_configuration()
            .unwrap()
            .action()
            .unwrap()
            .as_str(),
        "CONTINUE"
    );
    let breaker = c.deployment_circuit_breaker().unwrap();
    assert_eq!(breaker.threshold_configuration().unwrap().value(), 2);
    assert_eq!(c.alarms().unwrap().alarm_names(), ["errors"]);
    assert_eq!(
        s.load_balancers()[0]
            .advanced_configuration()
            .unwrap()
            .role_arn(),
        Some("arn:aws:iam::123456789012:role/ecs-blue-green")
    );
    // Changing the configuration alone starts no deployment.
    assert_eq!(s.deployments().len(), 1);
    assert_eq!(s.current_service_revisions().len(), 1);
}

#[tokio::test]
async fn service_deployments_through_the_aws_cli() {
    // Every new shape, parsed by botocore against the ECS model: blue/green configuration with
    // hooks and alarms, service deployments with hooks, rollback and monitors, revisions.
    let mut config = blue_green(5);
    config["lifecycleHooks"] = json!([
        pause("POST_SCALE_UP", 30, "ROLLBACK"),
        {"hookTargetArn": LAMBDA_OK, "roleArn": "arn:aws:iam::123456789012:role/hooks",
         "lifecycleStages": ["PRE_SCALE_UP"], "hookDetails": {"suite": "smoke"}}
    ]);
    config["alarms"] = json!({"alarmNames": ["errors"], "enable": true, "rollback": true});
    let emu = manual(world(config)).await;
    let url = emu.url();
    let cli = crate::support::Cli::new(&url);
    let described = cli
        .json(&[
            "ecs",
            "describe-services",
            "--cluster",
            "c",
            "--services",
            "svc",
        ])
        .await;
    let service = &described["services"][0];
    assert_eq!(service["deploymentConfiguration"]["strategy"], "BLUE_GREEN");
    assert_eq!(
        service["deploymentConfiguration"]["lifecycleHooks"][1]["hookDetails"]["suite"],
        "smoke"
    );
    let current = service["currentServiceDeployment"]
        .as_str()
        .unwrap()
        .to_string();
    let updated = cli
        .json(&[
            "ecs",
            "update-service",
            "--cluster",
            "c",
            "--service",
            "svc",
            "--force-new-deployment",
        ])
        .await;
    let arn = updated["service"]["currentServiceDeployment"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(arn, current);
    let hook = awaiting_hook(&emu, &arn).await;
    let listed = cli
        .json(&[
            "ecs",
            "list-service-deployments",
            "--cluster",
            "c",
            "--service",
            "svc",
            "--status",
            "IN_PROGRESS",
            "SUCCESSFUL",
        ])
        .await;
    let briefs = listed["serviceDeployments"].as_array().unwrap();
    assert_eq!(briefs.len(), 2);
    assert_eq!(briefs[0]["serviceDeploymentArn"], arn.as_str());
    let one = cli
        .json(&[
            "ecs",
            "describe-service-deployments",
            "--service-deployment-arns",
            &arn,
            &current,
            "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/svc/none",
        ])
        .await;
    let sd = &one["serviceDeployments"][0];
    assert_eq!(sd["lifecycleStage"], "POST_SCALE_UP");
    assert_eq!(sd["alarms"]["status"], "MONITORING");
    let hooks = sd["lifecycleHookDetails"].as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["status"], "SUCCEEDED");
    assert_eq!(hooks[1]["hookId"], hook.as_str());
    assert_eq!(one["failures"][0]["reason"], "MISSING");
    let revisions = cli
        .json(&[
            "ecs",
            "describe-service-revisions",
            "--service-revision-arns",
            sd["targetServiceRevision"]["arn"].as_str().unwrap(),
            sd["sourceServiceRevisions"][0]["arn"].as_str().unwrap(),
        ])
        .await;
    let revisions = revisions["serviceRevisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(
        revisions[1]["containerImages"][0]["imageDigest"],
        digest(&url, "good").await.as_str()
    );
    cli.json(&[
        "ecs",
        "continue-service-deployment",
        "--service-deployment-arn",
        &arn,
        "--hook-id",
        &hook,
        "--action",
        "CONTINUE",
    ])
    .await;
    emu.advance(3);
    let stopped = cli
        .json(&[
            "ecs",
            "stop-service-deployment",
            "--service-deployment-arn",
            &arn,
            "--stop-type",
            "ROLLBACK",
        ])
        .await;
    assert_eq!(stopped["serviceDeploymentArn"], arn.as_str());
    emu.advance(3);
    let done = cli
        .json(&[
            "ecs",
            "describe-service-deployments",
            "--service-deployment-arns",
            &arn,
        ])
        .await;
    let sd = &done["serviceDeployments"][0];
    assert_eq!(sd["status"], "ROLLBACK_SUCCESSFUL");
    assert!(sd["rollback"]["serviceRevisionArn"].is_string());
    assert!(!sd["finishedAt"].is_null());
    let err = cli
        .error(&[
            "ecs",
            "stop-service-deployment",
            "--service-deployment-arn",
            &arn,
        ])
        .await;
    assert!(err.contains("ConflictException"), "{err}");
}

#[tokio::test]
async fn code_deploy_and_external_services_are_described_but_not_deployed_by_update_service() {
    for (controller, hint) in [
        ("CODE_DEPLOY", "Use AWS CodeDeploy"),
        ("EXTERNAL", "task set"),
    ] {
        let w = json!({
            "repositories": [{"name": "app", "images": [{"tags": ["good", "prod"]}]}],
            "clusters": [{"name": "c"}],
            "taskDefinitions": [{"family": "app", "containerDefinitions": [
                {"name": "app", "image": format!("{}/app:prod", crate::support::REGISTRY)}]}],
            "services": [{"cluster": "c", "serviceName": "svc", "taskDefinition": "app",
                "desiredCount": 1, "deploymentController": {"type": controller}}]
        });
        let emu = manual(crate::support::world(&w.to_string())).await;
        let client = ecs(&emu.url());
        let s = client
            .describe_services()
            .cluster("c")
            .services("svc")
            .send()
            .await
            .unwrap();
        let s = &s.services()[0];
        assert_eq!(
            s.deployment_controller().unwrap().r#type().as_str(),
            controller
        );
        assert_eq!(s.running_count(), 1);
        let refused = client
            .update_service()
            .cluster("c")
            .service("svc")
            .force_new_deployment(true)
            .send()
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Some("InvalidParameterException"));
        assert!(
            refused.message().unwrap().contains(controller)
                && refused.message().unwrap().contains(hint),
            "{refused:?}"
        );
        // Scaling is an update these services take.
        let scaled = client
            .update_service()
            .cluster("c")
            .service("svc")
            .desired_count(2)
            .send()
            .await
            .unwrap();
        assert_eq!(scaled.service().unwrap().desired_count(), 2);
    }
}
