//! ECS semantics: deployments and rollouts, digest resolution once per deployment, failed task
//! starts, the circuit breaker with and without rollback, limits, MISSING failures, pagination,
//! ARNs accepted in place of names, regions from the credential scope.

use aws_sdk_ecs::client::Waiters;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration, DesiredStatus,
};
use serde_json::Value;

use crate::support::{
    Cli, REGISTRY, count, demo_world, ecs, ecs_with, manual, retag, tag_digest, world,
};

/// A world with `good` (healthy) and `bad` (fails to start) images; `prod` on `good`; service
/// `svc` (desired `desired`) runs `repo:prod`, circuit breaker as given.
fn breaker_world(desired: i64, enable: bool, rollback: bool, min: i64, max: i64) -> String {
    format!(
        r#"{{
  "repositories": [{{"name": "app", "images": [
    {{"tags": ["good", "prod"]}},
    {{"tags": ["bad"], "healthy": false}}
  ]}}],
  "clusters": [{{"name": "c"}}],
  "taskDefinitions": [{{"family": "app", "containerDefinitions": [{{"name": "app", "image": "{REGISTRY}/app:prod"}}]}}],
  "services": [{{"cluster": "c", "serviceName": "svc", "taskDefinition": "app", "desiredCount": {desired},
    "deploymentConfiguration": {{"minimumHealthyPercent": {min}, "maximumPercent": {max},
      "deploymentCircuitBreaker": {{"enable": {enable}, "rollback": {rollback}}}}}}}]
}}"#
    )
}

async fn service(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    name: &str,
) -> aws_sdk_ecs::types::Service {
    client
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone()
}

async fn tasks(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    desired: DesiredStatus,
) -> Vec<aws_sdk_ecs::types::Task> {
    let arns: Vec<String> = client
        .list_tasks()
        .cluster(cluster)
        .desired_status(desired)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let mut out = Vec::new();
    for chunk in arns.chunks(100) {
        let d = client
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        out.extend(d.tasks().iter().cloned());
    }
    out
}

fn digests(tasks: &[aws_sdk_ecs::types::Task]) -> Vec<String> {
    let mut v: Vec<String> = tasks
        .iter()
        .map(|t| {
            t.containers()[0]
                .image_digest()
                .unwrap_or("none")
                .to_string()
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn circuit_breaker_with_rollback_redeploys_the_last_completed_digest() {
    let emu = manual(world(&breaker_world(2, true, true, 100, 200))).await;
    let url = emu.url();
    let client = ecs(&url);
    let good = tag_digest(&url, "app", "good").await;
    let bad = tag_digest(&url, "app", "bad").await;
    let first = service(&client, "c", "svc").await.deployments()[0]
        .id()
        .unwrap()
        .to_string();

    retag(&url, "app", "bad", "prod").await;
    client
        .update_service()
        .cluster("c")
        .service("svc")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    let failing = service(&client, "c", "svc").await.deployments()[0]
        .id()
        .unwrap()
        .to_string();

    // Steps: launch 2 → 2 fail, launch 2 → 2 more fail (4 ≥ threshold 3): FAILED, rollback.
    emu.advance(2);
    let s = service(&client, "c", "svc").await;
    assert_eq!(s.deployments()[0].failed_tasks(), 2);
    assert_eq!(
        s.deployments()[0].rollout_state().unwrap().as_str(),
        "IN_PROGRESS"
    );
    emu.advance(1);
    let s = service(&client, "c", "svc").await;
    let primary = &s.deployments()[0];
    assert_eq!(primary.status(), Some("PRIMARY"));
    assert_ne!(primary.id(), Some(failing.as_str()));
    assert_eq!(
        primary.rollout_state_reason(),
        Some(
            format!("ECS deployment circuit breaker: rolling back to deploymentId {first}.")
                .as_str()
        )
    );
    let failed = s
        .deployments()
        .iter()
        .find(|d| d.id() == Some(failing.as_str()))
        .unwrap();
    assert_eq!(failed.status(), Some("ACTIVE"));
    assert_eq!(failed.rollout_state().unwrap().as_str(), "FAILED");
    assert_eq!(failed.failed_tasks(), 4);
    assert_eq!(
        failed.rollout_state_reason(),
        Some("ECS deployment circuit breaker: tasks failed to start.")
    );

    // The rollback runs the digest the completed deployment had resolved, although `prod` now
    // points at the bad image.
    emu.advance(4);
    let s = service(&client, "c", "svc").await;
    assert_eq!(s.deployments().len(), 1);
    assert_eq!(
        s.deployments()[0].rollout_state().unwrap().as_str(),
        "COMPLETED"
    );
    let running = tasks(&client, "c", DesiredStatus::Running).await;
    assert_eq!(digests(&running), vec![good.clone(), good.clone()]);
    let stopped = tasks(&client, "c", DesiredStatus::Stopped).await;
    let failed_starts: Vec<_> = stopped
        .iter()
        .filter(|t| t.stop_code().map(|c| c.as_str()) == Some("TaskFailedToStart"))
        .collect();
    assert_eq!(failed_starts.len(), 4);
    for t in failed_starts {
        assert_eq!(t.containers()[0].image_digest(), Some(bad.as_str()));
        assert_eq!(t.started_by(), Some(failing.as_str()));
        assert!(
            t.stopped_reason()
                .unwrap()
                .starts_with("CannotStartContainerError")
        );
    }
}

#[tokio::test]
async fn circuit_breaker_without_rollback_leaves_the_failed_deployment_primary() {
    let emu = manual(world(&breaker_world(2, true, false, 100, 200))).await;
    let url = emu.url();
    let client = ecs(&url);
    let good = tag_digest(&url, "app", "good").await;
    retag(&url, "app", "bad", "prod").await;
    client
        .update_service()
        .cluster("c")
        .service("svc")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    emu.advance(10);
    let s = service(&client, "c", "svc").await;
    assert_eq!(s.deployments().len(), 2);
    assert_eq!(s.deployments()[0].status(), Some("PRIMARY"));
    assert_eq!(
        s.deployments()[0].rollout_state().unwrap().as_str(),
        "FAILED"
    );
    // Nothing more is launched after the failure.
    assert_eq!(s.deployments()[0].failed_tasks(), 4);
    assert_eq!(s.deployments()[1].status(), Some("ACTIVE"));
    assert_eq!(s.running_count(), 2);
    assert_eq!(
        digests(&tasks(&client, "c", DesiredStatus::Running).await),
        vec![good.clone(), good]
    );
    // The services-stable waiter never succeeds on this service (two deployments).
    let fast = ecs_with(&url, "us-east-1", true);
    let waited = fast
        .wait_until_services_stable()
        .cluster("c")
        .services("svc")
        .wait(std::time::Duration::from_secs(2))
        .await;
    assert!(waited.is_err());
}

#[tokio::test]
async fn without_the_circuit_breaker_failures_keep_counting() {
    let emu = manual(world(&breaker_world(1, false, false, 100, 200))).await;
    let url = emu.url();
    let client = ecs(&url);
    retag(&url, "app", "bad", "prod").await;
    client
        .update_service()
        .cluster("c")
        .service("svc")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    // One launch per step (maximumPercent 200 of 1), each failing on the next step.
    emu.advance(9);
    let s = service(&client, "c", "svc").await;
    assert_eq!(
        s.deployments()[0].rollout_state().unwrap().as_str(),
        "IN_PROGRESS"
    );
    assert_eq!(s.deployments()[0].failed_tasks(), 8);
}

#[tokio::test]
async fn tags_resolve_once_per_deployment() {
    let emu = manual(demo_world()).await;
    let url = emu.url();
    let client = ecs(&url);
    let d1 = tag_digest(&url, "example", "hash_1").await;
    let d2 = tag_digest(&url, "example", "hash_2").await;
    retag(&url, "example", "hash_2", "prod").await;
    // Scaling out the existing deployment launches the digest it resolved, not the moved tag.
    client
        .update_service()
        .cluster("example")
        .service("example")
        .desired_count(3)
        .send()
        .await
        .unwrap();
    let s = service(&client, "example", "example").await;
    assert_eq!(
        s.deployments().len(),
        1,
        "a desired-count change is not a new deployment"
    );
    emu.advance(2);
    assert_eq!(
        digests(&tasks(&client, "example", DesiredStatus::Running).await),
        vec![d1.clone(); 3]
    );
    // A new deployment resolves again; moving the tag during its rollout changes nothing.
    client
        .update_service()
        .cluster("example")
        .service("example")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    retag(&url, "example", "hash_1", "prod").await;
    emu.advance(6);
    let s = service(&client, "example", "example").await;
    assert_eq!(s.deployments().len(), 1);
    assert_eq!(
        digests(&tasks(&client, "example", DesiredStatus::Running).await),
        vec![d2.clone(); 3]
    );
    // Scale in: extra tasks drain, then stop.
    client
        .update_service()
        .cluster("example")
        .service("example")
        .desired_count(1)
        .send()
        .await
        .unwrap();
    emu.advance(1);
    let draining: Vec<_> = tasks(&client, "example", DesiredStatus::Stopped)
        .await
        .into_iter()
        .filter(|t| t.last_status() == Some("RUNNING"))
        .collect();
    assert_eq!(draining.len(), 2);
    emu.advance(1);
    assert_eq!(
        service(&client, "example", "example").await.running_count(),
        1
    );
}

#[tokio::test]
async fn rolling_update_respects_minimum_healthy_and_maximum_percent() {
    for (desired, min, max) in [(4, 50, 100), (4, 100, 150), (3, 0, 100), (5, 50, 200)] {
        let emu = manual(world(&breaker_world(desired, true, true, min, max))).await;
        let url = emu.url();
        let client = ecs(&url);
        client
            .update_service()
            .cluster("c")
            .service("svc")
            .force_new_deployment(true)
            .send()
            .await
            .unwrap();
        let mut steps = 0;
        loop {
            let state = emu.state();
            let tasks = state["clusters"][0]["tasks"].as_array().unwrap().clone();
            let unstopped = tasks
                .iter()
                .filter(|t| t["lastStatus"] != "STOPPED")
                .count() as i64;
            let healthy = tasks
                .iter()
                .filter(|t| t["lastStatus"] == "RUNNING" && t["desiredStatus"] == "RUNNING")
                .count() as i64;
            assert!(
                unstopped <= desired * max / 100,
                "max {max}%: {unstopped} tasks for {desired}"
            );
            assert!(
                healthy >= (desired * min + 99) / 100,
                "min {min}%: {healthy} healthy for {desired}"
            );
            let s = service(&client, "c", "svc").await;
            if s.deployments().len() == 1
                && s.deployments()[0].rollout_state().unwrap().as_str() == "COMPLETED"
            {
                break;
            }
            emu.advance(1);
            steps += 1;
            assert!(
                steps < 50,
                "rollout did not finish ({desired}, {min}, {max})"
            );
        }
    }
}

#[tokio::test]
async fn unresolvable_and_external_images() {
    let emu = manual(world(&format!(
        r#"{{
  "repositories": [{{"name": "app", "images": [{{"tags": ["v1"]}}]}}],
  "externalImages": [{{"image": "public.ecr.aws/nginx/nginx:1.27", "digest": "sha256:{}"}}],
  "clusters": [{{"name": "c"}}],
  "taskDefinitions": [
    {{"family": "ok", "containerDefinitions": [{{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27"}}]}},
    {{"family": "missing-tag", "containerDefinitions": [{{"name": "app", "image": "{REGISTRY}/app:nope"}}]}},
    {{"family": "unknown-registry", "containerDefinitions": [{{"name": "app", "image": "docker.io/library/redis:7"}}]}}
  ],
  "services": [{{"cluster": "c", "serviceName": "web", "taskDefinition": "ok", "desiredCount": 1}}]
}}"#,
        "ab".repeat(32)
    )))
    .await;
    let client = ecs(&emu.url());
    let running = tasks(&client, "c", DesiredStatus::Running).await;
    assert_eq!(
        digests(&running),
        vec![format!("sha256:{}", "ab".repeat(32))]
    );
    for family in ["missing-tag", "unknown-registry"] {
        client
            .create_service()
            .cluster("c")
            .service_name(family)
            .task_definition(family)
            .desired_count(1)
            .send()
            .await
            .unwrap();
    }
    emu.advance(2);
    let stopped = tasks(&client, "c", DesiredStatus::Stopped).await;
    assert_eq!(stopped.len(), 2);
    for t in &stopped {
        assert_eq!(t.stop_code().map(|c| c.as_str()), Some("TaskFailedToStart"));
        assert!(
            t.stopped_reason()
                .unwrap()
                .starts_with("CannotPullContainerError"),
            "{:?}",
            t.stopped_reason()
        );
        assert_eq!(t.containers()[0].image_digest(), None);
    }

    // A task definition pinned by digest (`<repo uri>@sha256:…`) runs exactly that image.
    let v1 = tag_digest(&emu.url(), "app", "v1").await;
    client
        .register_task_definition()
        .family("pinned")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(format!("{REGISTRY}/app@{v1}"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    client
        .create_service()
        .cluster("c")
        .service_name("pinned")
        .task_definition("pinned")
        .desired_count(1)
        .send()
        .await
        .unwrap();
    emu.advance(1);
    let listed = client
        .list_tasks()
        .cluster("c")
        .service_name("pinned")
        .send()
        .await
        .unwrap();
    let pinned = client
        .describe_tasks()
        .cluster("c")
        .set_tasks(Some(listed.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        pinned.tasks()[0].containers()[0].image_digest(),
        Some(v1.as_str())
    );
}

#[tokio::test]
async fn create_everything_from_an_empty_world() {
    let emu = manual(world(
        r#"{"repositories": [{"name": "app", "images": [{"tags": ["v1"]}, {"tags": ["v2"]}]}]}"#,
    ))
    .await;
    let client = ecs(&emu.url());
    let cluster = client
        .create_cluster()
        .cluster_name("fresh")
        .send()
        .await
        .unwrap();
    let cluster_arn = cluster
        .cluster()
        .unwrap()
        .cluster_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        cluster_arn,
        "arn:aws:ecs:us-east-1:123456789012:cluster/fresh"
    );
    let register = |tag: &str| {
        client
            .register_task_definition()
            .family("app")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image(format!("{REGISTRY}/app:{tag}"))
                    .memory(128)
                    .build(),
            )
            .send()
    };
    let td1 = register("v1").await.unwrap();
    assert_eq!(td1.task_definition().unwrap().revision(), 1);
    let td2 = register("v2").await.unwrap();
    let td2_arn = td2
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        td2_arn,
        "arn:aws:ecs:us-east-1:123456789012:task-definition/app:2"
    );
    let described = client
        .describe_task_definition()
        .task_definition("app:1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.task_definition().unwrap().container_definitions()[0].memory(),
        Some(128)
    );
    assert_eq!(
        client
            .describe_task_definition()
            .task_definition("app")
            .send()
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .revision(),
        2
    );
    let err = client
        .describe_task_definition()
        .task_definition("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_client_exception());
    let err = client
        .register_task_definition()
        .family("x")
        .container_definitions(ContainerDefinition::builder().name("noimage").build())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_client_exception());

    let created = client
        .create_service()
        .cluster(&cluster_arn)
        .service_name("svc")
        .task_definition("app:1")
        .desired_count(2)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let s = created.service().unwrap();
    assert_eq!(
        s.deployments()[0].rollout_state().unwrap().as_str(),
        "IN_PROGRESS"
    );
    assert_eq!(s.running_count(), 0);
    let err = client
        .create_service()
        .cluster("fresh")
        .service_name("svc")
        .task_definition("app:1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        err.is_invalid_parameter_exception(),
        "not idempotent: {err:?}"
    );
    emu.advance(2);
    let s = service(&client, "fresh", "svc").await;
    assert_eq!(
        s.deployments()[0].rollout_state().unwrap().as_str(),
        "COMPLETED"
    );

    // New task definition by ARN, service by ARN: a new deployment rolls to v2.
    let service_arn = s.service_arn().unwrap().to_string();
    assert_eq!(
        service_arn,
        "arn:aws:ecs:us-east-1:123456789012:service/fresh/svc"
    );
    let updated = client
        .update_service()
        .cluster(&cluster_arn)
        .service(&service_arn)
        .task_definition(&td2_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.service().unwrap().task_definition(),
        Some(td2_arn.as_str())
    );
    assert_eq!(updated.service().unwrap().deployments().len(), 2);
    emu.advance(3);
    let s = service(&client, &cluster_arn, &service_arn).await;
    assert_eq!(s.deployments().len(), 1);
    assert_eq!(s.deployments()[0].task_definition(), Some(td2_arn.as_str()));

    // Errors: unknown cluster, unknown service.
    let err = client
        .update_service()
        .cluster("nope")
        .service("svc")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_cluster_not_found_exception());
    let err = client
        .update_service()
        .cluster("fresh")
        .service("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_service_not_found_exception());
    let err = client
        .list_tasks()
        .cluster("fresh")
        .service_name("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_service_not_found_exception());
    let err = client
        .list_tasks()
        .cluster("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_cluster_not_found_exception());
    let clusters = client
        .describe_clusters()
        .clusters("fresh")
        .clusters("ghost")
        .send()
        .await
        .unwrap();
    assert_eq!(clusters.clusters().len(), 1);
    assert_eq!(clusters.failures()[0].reason(), Some("MISSING"));
}

#[tokio::test]
async fn describe_limits_and_missing_failures() {
    let emu = manual(demo_world()).await;
    let client = ecs(&emu.url());
    let eleven: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let err = client
        .describe_services()
        .cluster("example")
        .set_services(Some(eleven))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception(), "{err:?}");
    let out = client
        .describe_services()
        .cluster("example")
        .services("example")
        .services("ghost")
        .send()
        .await
        .unwrap();
    assert_eq!(out.services().len(), 1);
    assert_eq!(
        out.failures()[0].arn(),
        Some("arn:aws:ecs:us-east-1:123456789012:service/example/ghost")
    );
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));

    let many: Vec<String> = (0..101).map(|i| format!("{i:032x}")).collect();
    let err = client
        .describe_tasks()
        .cluster("example")
        .set_tasks(Some(many))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let listed = client.list_tasks().cluster("example").send().await.unwrap();
    let mut ids = listed.task_arns().to_vec();
    ids.push("0123456789abcdef0123456789abcdef".to_string());
    let out = client
        .describe_tasks()
        .cluster("example")
        .set_tasks(Some(ids))
        .send()
        .await
        .unwrap();
    assert_eq!(out.tasks().len(), 2);
    assert_eq!(
        out.failures()[0].arn(),
        Some("arn:aws:ecs:us-east-1:123456789012:task/example/0123456789abcdef0123456789abcdef")
    );
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
    // Task ids work as well as ARNs.
    let id = listed.task_arns()[0]
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let out = client
        .describe_tasks()
        .cluster("example")
        .tasks(id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tasks().len(), 1);
}

#[tokio::test]
async fn list_pagination_and_filters() {
    let services: Vec<String> = (0..12)
        .map(|i| format!(r#"{{"cluster": "c", "serviceName": "s{i:02}", "taskDefinition": "t", "desiredCount": {}}}"#, if i == 0 { 150 } else { 1 }))
        .collect();
    let emu = manual(world(&format!(
        r#"{{"repositories": [{{"name": "app", "images": [{{"tags": ["v1"]}}]}}], "clusters": [{{"name": "c"}}],
            "taskDefinitions": [{{"family": "t", "containerDefinitions": [{{"name": "a", "image": "{REGISTRY}/app:v1"}}]}}],
            "services": [{}]}}"#,
        services.join(",")
    )))
    .await;
    let client = ecs(&emu.url());
    // ListServices: 10 by default.
    let first = client.list_services().cluster("c").send().await.unwrap();
    assert_eq!(first.service_arns().len(), 10);
    let rest = client
        .list_services()
        .cluster("c")
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.service_arns().len(), 2);
    assert!(rest.next_token().is_none());
    // ListTasks: at most 100 per page.
    let page = client
        .list_tasks()
        .cluster("c")
        .service_name("s00")
        .send()
        .await
        .unwrap();
    assert_eq!(page.task_arns().len(), 100);
    let all: Vec<String> = client
        .list_tasks()
        .cluster("c")
        .service_name("s00")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 150);
    let err = client
        .list_tasks()
        .cluster("c")
        .max_results(101)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    // startedBy filter.
    let s = service(&client, "c", "s05").await;
    let dep = s.deployments()[0].id().unwrap().to_string();
    let by = client
        .list_tasks()
        .cluster("c")
        .started_by(&dep)
        .send()
        .await
        .unwrap();
    assert_eq!(by.task_arns().len(), 1);
    // PENDING as a desired status matches nothing (ECS never sets it).
    let pending = client
        .list_tasks()
        .cluster("c")
        .desired_status(DesiredStatus::Pending)
        .send()
        .await
        .unwrap();
    assert!(pending.task_arns().is_empty());
    let fam = client
        .list_tasks()
        .cluster("c")
        .family("t")
        .max_results(100)
        .send()
        .await
        .unwrap();
    assert_eq!(fam.task_arns().len(), 100);
}

#[tokio::test]
async fn region_comes_from_the_credential_scope() {
    let emu = manual(demo_world()).await;
    let client = ecs_with(&emu.url(), "eu-west-1", false);
    let s = service(&client, "example", "example").await;
    assert_eq!(
        s.service_arn(),
        Some("arn:aws:ecs:eu-west-1:123456789012:service/example/example")
    );
    let repo = crate::support::ecr_in(&emu.url(), "eu-west-1")
        .describe_repositories()
        .send()
        .await
        .unwrap();
    assert_eq!(
        repo.repositories()[0].repository_uri(),
        Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com/example")
    );
}

#[tokio::test]
async fn ecs_shapes_through_the_aws_cli() {
    // Failures, circuit-breaker states, stopped tasks, clusters, task definitions: every shape the
    // emulator emits, parsed by botocore against the ECS model.
    let emu = manual(world(&breaker_world(2, true, true, 100, 200))).await;
    let url = emu.url();
    let cli = Cli::new(&url);
    retag(&url, "app", "bad", "prod").await;
    cli.json(&[
        "ecs",
        "update-service",
        "--cluster",
        "c",
        "--service",
        "svc",
        "--force-new-deployment",
    ])
    .await;
    emu.advance(3);
    let described = cli
        .json(&[
            "ecs",
            "describe-services",
            "--cluster",
            "c",
            "--services",
            "svc",
            "ghost",
        ])
        .await;
    let deployments = described["services"][0]["deployments"].as_array().unwrap();
    assert_eq!(deployments.len(), 3);
    assert!(deployments.iter().any(|d| d["rolloutState"] == "FAILED"));
    assert_eq!(described["failures"][0]["reason"], "MISSING");
    let stopped = cli
        .json(&[
            "ecs",
            "list-tasks",
            "--cluster",
            "c",
            "--desired-status",
            "STOPPED",
        ])
        .await;
    let arns: Vec<&str> = stopped["taskArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut args = vec![
        "ecs",
        "describe-tasks",
        "--cluster",
        "c",
        "--include",
        "TAGS",
        "--tasks",
    ];
    args.extend(&arns);
    args.push("ffffffffffffffffffffffffffffffff");
    let tasks = cli.json(&args).await;
    assert_eq!(tasks["tasks"].as_array().unwrap().len(), 4);
    assert_eq!(tasks["tasks"][0]["stopCode"], "TaskFailedToStart");
    assert_eq!(tasks["failures"][0]["reason"], "MISSING");
    let td = cli
        .json(&[
            "ecs",
            "describe-task-definition",
            "--task-definition",
            "app",
            "--include",
            "TAGS",
        ])
        .await;
    assert_eq!(td["taskDefinition"]["revision"], 1);
    let registered = cli
        .json(&[
            "ecs",
            "register-task-definition",
            "--family",
            "app",
            "--container-definitions",
            &format!(r#"[{{"name": "app", "image": "{REGISTRY}/app:good", "memory": 64}}]"#),
        ])
        .await;
    assert_eq!(registered["taskDefinition"]["revision"], 2);
    let clusters = cli
        .json(&["ecs", "describe-clusters", "--clusters", "c", "ghost"])
        .await;
    assert_eq!(clusters["clusters"][0]["runningTasksCount"], 2);
    assert_eq!(clusters["failures"][0]["reason"], "MISSING");
    let created = cli
        .json(&["ecs", "create-cluster", "--cluster-name", "other"])
        .await;
    assert_eq!(created["cluster"]["status"], "ACTIVE");
    let svc = cli
        .json(&[
            "ecs",
            "create-service",
            "--cluster",
            "other",
            "--service-name",
            "s",
            "--task-definition",
            "app:2",
            "--desired-count",
            "1",
        ])
        .await;
    assert_eq!(
        svc["service"]["deployments"][0]["rolloutState"],
        "IN_PROGRESS"
    );
    let listed: Value = cli
        .json(&["ecs", "list-services", "--cluster", "other"])
        .await;
    assert_eq!(listed["serviceArns"].as_array().unwrap().len(), 1);
    let err = cli
        .error(&[
            "ecs",
            "list-tasks",
            "--cluster",
            "other",
            "--service-name",
            "ghost",
        ])
        .await;
    assert!(err.contains("ServiceNotFoundException"), "{err}");
    assert!(count(&emu, "DescribeTasks") >= 1);
}
