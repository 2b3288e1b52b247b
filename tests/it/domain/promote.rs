//! The promotion: retag, redeploy, wait, roll back, converge.

use std::time::Duration;

use terraform_provider_tagdeploy::aws::ecs::{
    NoProgress, RolloutState, ServiceDeploymentStatus, WaitOptions,
};
use terraform_provider_tagdeploy::aws::image::RepositoryRef;
use terraform_provider_tagdeploy::aws::promote::{Member, Promotion, PromotionError, promote};
use terraform_provider_tagdeploy::aws::report::{ReportRequest, task_digest_report};
use tokio_util::sync::CancellationToken;

use crate::support::emulator::{Emulated, add_services, add_unhealthy_release, demo_world_json};
use crate::support::observe::Observe;

fn wait(timeout: Duration) -> Option<WaitOptions> {
    Some(WaitOptions {
        poll_interval: Duration::from_millis(10),
        max_poll_interval: Duration::from_millis(50),
        ..WaitOptions::new(timeout, CancellationToken::new())
    })
}

async fn promotion(env: &Emulated, release: &str, services: &[&str]) -> Promotion {
    let member = Member {
        name: "example".to_owned(),
        repository: RepositoryRef::new("example"),
        tag: "prod".to_owned(),
        target: env.typed_digest(release),
        previous: Some(env.typed_digest("prod")),
        cluster: "example".to_owned(),
        services: services.iter().map(|s| (*s).to_owned()).collect(),
        force_redeploy: false,
    };
    Promotion::single(member, wait(Duration::from_secs(30)), true)
}

async fn digests_running(env: &Emulated, service: &str) -> Vec<Option<String>> {
    let request = ReportRequest {
        cluster: "example".into(),
        service: service.into(),
        tag: "prod".into(),
        repository: None,
        container: None,
        deployment_id: None,
    };
    let report = task_digest_report(&env.ecr, &env.ecs, &request)
        .await
        .expect("report");
    report.tasks.into_iter().map(|t| t.digest).collect()
}

#[tokio::test]
async fn promotes_and_waits_until_every_task_runs_the_release() {
    let env = Emulated::manual(demo_world_json()).await;
    let p = promotion(&env, "hash_2", &["example"]).await;
    env.handle.clear_requests();
    let _clock = env.tick_in_background(Duration::from_millis(5));

    let outcome = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect("promotion succeeds");
    let outcome = &outcome.members[0];
    let target = &p.members[0].target;
    assert_eq!(outcome.tag_digest.as_ref(), Some(target));
    assert!(outcome.tag_moved);
    assert_eq!(outcome.deployments.len(), 1);
    let deployment = &outcome.deployments[0];
    assert!(deployment.started && deployment.deployment.deployment_id.starts_with("ecs-svc/"));
    assert!(
        deployment
            .deployment
            .service_deployment_arn
            .as_deref()
            .is_some_and(|arn| arn.contains(":service-deployment/example/example/")),
        "{deployment:?}"
    );
    assert_eq!(
        (deployment.status(), deployment.rollout_state()),
        (
            Some(ServiceDeploymentStatus::Successful),
            Some(RolloutState::Completed)
        )
    );
    assert!(deployment.succeeded && deployment.lifecycle_stage().is_none());
    assert_eq!(env.count("PutImage"), 1);
    assert_eq!(env.count("UpdateService"), 1);
    let target = Some(target.to_string());
    assert_eq!(
        digests_running(&env, "example").await,
        vec![target.clone(), target]
    );
}

#[tokio::test]
async fn several_services_redeploy_concurrently_and_are_described_in_batches() {
    let mut world = demo_world_json();
    add_services(&mut world, 11);
    let env = Emulated::manual(world).await;
    let names: Vec<String> = std::iter::once("example".to_owned())
        .chain((1..=11).map(|i| format!("example-{i}")))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let p = promotion(&env, "hash_2", &names).await;
    env.handle.clear_requests();
    let _clock = env.tick_in_background(Duration::from_millis(5));
    let outcome = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect("promotion succeeds");
    let outcome = &outcome.members[0];
    assert_eq!(outcome.deployments.len(), 12);
    let in_order: Vec<&str> = outcome
        .deployments
        .iter()
        .map(|d| d.deployment.service.as_str())
        .collect();
    assert_eq!(in_order, names);
    assert_eq!(env.count("UpdateService"), 12);
    // The wait reads service deployments only: 12 take one call (20 a call) per poll.
    assert_eq!(env.count("DescribeServices"), 0, "{:?}", env.operations());
    assert!(env.count("DescribeServiceDeployments") >= 1);
}

#[tokio::test]
async fn interrupted_after_retag_converges_by_redeploying() {
    let env = Emulated::manual(demo_world_json()).await;
    let p = promotion(&env, "hash_2", &["example"]).await;
    let member = &p.members[0];
    // A previous run moved the tag and died before redeploying.
    env.ecr
        .retag(&member.repository, &member.target, "prod")
        .await
        .expect("retag");
    env.handle.clear_requests();
    let _clock = env.tick_in_background(Duration::from_millis(5));

    let outcome = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect("converges");
    assert!(!outcome.members[0].tag_moved);
    assert_eq!(
        env.count("PutImage"),
        1,
        "PutImage answers ImageAlreadyExists"
    );
    assert_eq!(
        env.count("UpdateService"),
        1,
        "the service still ran hash_1, so it redeploys"
    );
    let target = Some(member.target.to_string());
    assert_eq!(
        digests_running(&env, "example").await,
        vec![target.clone(), target]
    );
}

#[tokio::test]
async fn a_rollout_already_under_way_is_adopted_not_restarted() {
    let env = Emulated::manual(demo_world_json()).await;
    let p = promotion(&env, "hash_2", &["example"]).await;
    env.ecr
        .retag(&p.members[0].repository, &p.members[0].target, "prod")
        .await
        .expect("retag");
    let started = env
        .ecs
        .force_new_deployment("example", "example")
        .await
        .expect("deploy");
    env.handle.advance(1); // the new deployment's first tasks start on hash_2
    env.handle.clear_requests();
    let _clock = env.tick_in_background(Duration::from_millis(5));

    let outcome = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect("converges");
    let outcome = &outcome.members[0];
    assert_eq!(env.count("UpdateService"), 0, "{:?}", env.operations());
    assert_eq!(
        outcome.deployments[0].deployment.service_deployment_arn, started.service_deployment_arn,
        "the same service deployment"
    );
    assert_eq!(
        outcome.deployments[0].deployment.deployment_id,
        started.deployment_id
    );
    assert!(!outcome.deployments[0].started);
    assert_eq!(
        outcome.deployments[0].rollout_state(),
        Some(RolloutState::Completed)
    );
}

#[tokio::test]
async fn forced_redeploy_redeploys_even_when_already_on_target() {
    let env = Emulated::manual(demo_world_json()).await;
    let mut p = promotion(&env, "hash_1", &["example"]).await;
    p.members[0].force_redeploy = true;
    p.wait = None;
    env.handle.clear_requests();
    let outcome = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect("redeploys");
    let outcome = &outcome.members[0];
    assert!(!outcome.tag_moved);
    assert_eq!(env.count("UpdateService"), 1);
    assert_eq!(
        outcome.deployments[0].status(),
        Some(ServiceDeploymentStatus::Pending),
        "as UpdateService leaves it"
    );
    assert_eq!(
        outcome.deployments[0].rollout_state(),
        Some(RolloutState::InProgress)
    );
}

#[tokio::test]
async fn failed_rollout_moves_the_tag_back_and_says_so() {
    let mut world = demo_world_json();
    add_unhealthy_release(&mut world);
    let env = Emulated::manual(world).await;
    let p = promotion(&env, "hash_bad", &["example"]).await;
    let previous = p.members[0].previous.clone().expect("prod exists");
    let _clock = env.tick_in_background(Duration::from_millis(5));

    let failure = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect_err("rollout fails");
    assert!(
        matches!(failure.error, PromotionError::Rollout { .. }),
        "{failure:?}"
    );
    let text = failure.to_string();
    assert!(
        text.contains("of service example")
            && text.contains("ROLLBACK_")
            && text.contains("circuit breaker TRIGGERED"),
        "{text}"
    );
    assert!(
        text.contains("Rolled back") && text.contains(previous.as_str()),
        "{text}"
    );
    assert_eq!(
        failure.outcome.members[0].tag_digest.as_ref(),
        Some(&previous),
        "state must say where the tag is now"
    );
    assert_eq!(env.typed_digest("prod"), previous);
    assert_eq!(env.count("PutImage"), 2, "one retag forward, one back");
}

#[tokio::test]
async fn timeout_rolls_back_and_cancel_does_not() {
    let env = Emulated::manual(demo_world_json()).await; // the clock never moves: nothing completes
    let mut p = promotion(&env, "hash_2", &["example"]).await;
    p.wait = wait(Duration::from_millis(200));
    env.handle.clear_requests();
    let failure = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect_err("times out");
    let text = failure.to_string();
    assert!(
        text.starts_with("Timed out after 200ms waiting for the deployment of example.")
            && text.contains("was still PENDING"),
        "{text}"
    );
    assert_eq!(failure.outcome.members[0].tag_digest, p.members[0].previous);
    // The deployment was stopped before the tag moved back, and ECS rolls it back: no second
    // deployment.
    let operations = env.operations();
    let position = |op: &str| operations.iter().rposition(|o| o.ends_with(op));
    assert_eq!(env.count("StopServiceDeployment"), 1, "{operations:?}");
    assert!(
        position("StopServiceDeployment") < position("PutImage"),
        "{operations:?}"
    );
    assert_eq!(env.count("UpdateService"), 1, "{operations:?}");
    assert!(text.contains("StopServiceDeployment, ROLLBACK"), "{text}");
    assert_eq!(
        failure.outcome.members[0].deployments[0].status(),
        Some(ServiceDeploymentStatus::RollbackRequested),
        "described again after the stop"
    );

    let mut p = promotion(&env, "hash_2", &["example"]).await;
    let cancel = CancellationToken::new();
    p.wait = Some(WaitOptions {
        cancel: cancel.clone(),
        ..wait(Duration::from_secs(60)).expect("options")
    });
    let trigger = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let failure = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect_err("cancelled");
    trigger.await.expect("trigger");
    assert!(
        failure.to_string().contains("Stopped before the rollout"),
        "{failure}"
    );
    assert_eq!(
        failure.outcome.members[0].tag_digest.as_ref(),
        Some(&p.members[0].target),
        "cancel leaves the tag on the release"
    );
    assert!(failure.rollback.is_none());
}
