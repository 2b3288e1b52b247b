//! The task digest report (check.sh as data).

use std::time::Duration;

use terraform_provider_tagdeploy::aws::ecs::{RfcStatus, TaskStatus};
use terraform_provider_tagdeploy::aws::image::RepositoryRef;
use terraform_provider_tagdeploy::aws::report::{ReportRequest, task_digest_report};

use crate::support::emulator::{Emulated, demo_world_json};
use crate::support::observe::Observe;

fn request() -> ReportRequest {
    ReportRequest {
        cluster: "example".into(),
        service: "example".into(),
        tag: "prod".into(),
        repository: None,
        container: None,
        deployment_id: None,
    }
}

#[tokio::test]
async fn steady_service_matches_and_is_complete() {
    let env = Emulated::manual(demo_world_json()).await;
    env.handle.clear_requests();
    let report = task_digest_report(&env.ecr, &env.ecs, &request())
        .await
        .expect("report");
    assert_eq!(report.repository.name, "example");
    assert_eq!(report.container, "app");
    assert_eq!(report.tasks.len(), 2);
    assert!(report.all_match() && report.complete());
    let env_digest = report.env_digest.clone().expect("prod exists");
    assert!(
        report
            .tasks
            .iter()
            .all(|t| t.digest.as_deref() == Some(env_digest.as_str()))
    );
    let mut ops = env.operations();
    ops.sort();
    assert_eq!(
        ops,
        [
            "ecr:DescribeImages",
            "ecs:DescribeServiceDeployments",
            "ecs:DescribeServices",
            "ecs:DescribeTasks",
            "ecs:ListTasks",
            "ecs:ListTasks"
        ]
    );
}

#[tokio::test]
async fn mid_rollout_shows_both_digests_and_draining_tasks() {
    let env = Emulated::manual(demo_world_json()).await;
    let repo = RepositoryRef::new("example");
    let hash_1 = env.typed_digest("hash_1");
    let hash_2 = env.typed_digest("hash_2");
    env.ecr.retag(&repo, &hash_2, "prod").await.expect("retag");
    let deployment = env
        .ecs
        .force_new_deployment("example", "example")
        .await
        .expect("deploy");

    let mut saw_mixed = false;
    let mut saw_draining = false;
    for _ in 0..20 {
        env.handle.advance(1);
        let report = task_digest_report(&env.ecr, &env.ecs, &request())
            .await
            .expect("report");
        let digests: Vec<_> = report
            .tasks
            .iter()
            .filter_map(|t| t.digest.clone())
            .collect();
        if digests.contains(&hash_1.to_string()) && digests.contains(&hash_2.to_string()) {
            saw_mixed = true;
            assert!(!report.complete());
            assert_eq!(
                report.service.rfc_status(&deployment.deployment_id),
                RfcStatus::InProgress
            );
        }
        if report.tasks.iter().any(|t| {
            t.desired_status == TaskStatus::Stopped && t.last_status != TaskStatus::Stopped
        }) {
            saw_draining = true;
        }
        if report.complete() {
            assert_eq!(
                report.service.rfc_status(&deployment.deployment_id),
                RfcStatus::Complete
            );
            assert!(saw_mixed, "never saw both digests during the rollout");
            assert!(
                saw_draining,
                "draining tasks (desiredStatus STOPPED) were never listed"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("the rollout did not complete in 20 steps");
}
