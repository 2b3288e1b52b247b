//! The RFC 013 release flow on the demo world: list images, retag `prod` to `hash_2`, force a new
//! deployment, watch tasks roll from `hash_1` to `hash_2`, wait for stability — with the Rust SDK
//! and with the AWS CLI (whose botocore validates every response against the service model).

use std::collections::BTreeMap;

use aws_sdk_ecr::types::ImageIdentifier;
use aws_sdk_ecs::client::Waiters;
use aws_sdk_ecs::types::DesiredStatus;
use serde_json::Value;

use crate::support::{Cli, count, demo_world, ecr, ecs, ecs_with, manual, until};

/// (lastStatus, desiredStatus, digest) of every task in the list, sorted.
async fn task_states(
    client: &aws_sdk_ecs::Client,
    arns: Vec<String>,
) -> Vec<(String, String, String)> {
    if arns.is_empty() {
        return Vec::new();
    }
    let out = client
        .describe_tasks()
        .cluster("example")
        .set_tasks(Some(arns))
        .send()
        .await
        .expect("describe tasks");
    assert!(out.failures().is_empty());
    let mut v: Vec<_> = out
        .tasks()
        .iter()
        .map(|t| {
            (
                t.last_status().unwrap_or_default().to_string(),
                t.desired_status().unwrap_or_default().to_string(),
                t.containers()[0]
                    .image_digest()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn list(client: &aws_sdk_ecs::Client, status: Option<DesiredStatus>) -> Vec<String> {
    client
        .list_tasks()
        .cluster("example")
        .service_name("example")
        .set_desired_status(status)
        .send()
        .await
        .expect("list tasks")
        .task_arns()
        .to_vec()
}

fn st(last: &str, desired: &str, digest: &str) -> (String, String, String) {
    (last.to_string(), desired.to_string(), digest.to_string())
}

#[tokio::test]
async fn rfc_flow_with_the_rust_sdk() {
    let emu = manual(demo_world()).await;
    let ecr = ecr(&emu.url());
    let ecs = ecs(&emu.url());

    // Two images, three tags.
    let ids = ecr
        .list_images()
        .repository_name("example")
        .send()
        .await
        .unwrap();
    assert_eq!(ids.image_ids().len(), 3);
    let by_tag: BTreeMap<String, String> = ids
        .image_ids()
        .iter()
        .map(|i| {
            (
                i.image_tag().unwrap().to_string(),
                i.image_digest().unwrap().to_string(),
            )
        })
        .collect();
    let (d1, d2) = (by_tag["hash_1"].clone(), by_tag["hash_2"].clone());
    assert_ne!(d1, d2);
    assert_eq!(by_tag["prod"], d1);

    // Retag: fetch hash_2's manifest by digest, put it back under prod with its exact bytes.
    let got = ecr
        .batch_get_image()
        .repository_name("example")
        .image_ids(ImageIdentifier::builder().image_digest(&d2).build())
        .send()
        .await
        .unwrap();
    let image = &got.images()[0];
    let manifest = image.image_manifest().unwrap();
    let put = ecr
        .put_image()
        .repository_name("example")
        .image_tag("prod")
        .image_manifest(manifest)
        .set_image_manifest_media_type(image.image_manifest_media_type().map(str::to_string))
        .image_digest(&d2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.image().unwrap().image_id().unwrap().image_digest(),
        Some(d2.as_str())
    );
    let prod = ecr
        .describe_images()
        .repository_name("example")
        .image_ids(ImageIdentifier::builder().image_tag("prod").build())
        .send()
        .await
        .unwrap();
    assert_eq!(prod.image_details()[0].image_digest(), Some(d2.as_str()));
    assert_eq!(prod.image_details()[0].image_tags(), ["hash_2", "prod"]);

    // Moving the tag alone changes nothing in ECS (the deployment resolved it already).
    emu.advance(5);
    let before = list(&ecs, None).await;
    assert_eq!(
        task_states(&ecs, before).await,
        vec![st("RUNNING", "RUNNING", &d1); 2]
    );

    let updated = ecs
        .update_service()
        .cluster("example")
        .service("example")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    let deployments = updated.service().unwrap().deployments();
    assert_eq!(deployments.len(), 2);
    let primary = deployments
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .unwrap();
    let primary_id = primary.id().unwrap().to_string();
    assert_eq!(
        primary.rollout_state().map(|s| s.as_str()),
        Some("IN_PROGRESS")
    );
    assert!(primary_id.starts_with("ecs-svc/") && primary_id.len() == 27);
    assert_eq!(
        deployments
            .iter()
            .filter(|d| d.status() == Some("ACTIVE"))
            .count(),
        1
    );

    // Step 1: new tasks PENDING beside the old RUNNING ones (mixed digests).
    emu.advance(1);
    let arns = list(&ecs, None).await;
    assert_eq!(
        task_states(&ecs, arns).await,
        vec![
            st("PENDING", "RUNNING", &d2),
            st("PENDING", "RUNNING", &d2),
            st("RUNNING", "RUNNING", &d1),
            st("RUNNING", "RUNNING", &d1)
        ]
    );
    // Step 2: new tasks RUNNING; old ones draining — hidden by the default RUNNING filter.
    emu.advance(1);
    let arns = list(&ecs, None).await;
    assert_eq!(
        task_states(&ecs, arns).await,
        vec![st("RUNNING", "RUNNING", &d2); 2]
    );
    let draining = list(&ecs, Some(DesiredStatus::Stopped)).await;
    assert_eq!(
        task_states(&ecs, draining).await,
        vec![st("RUNNING", "STOPPED", &d1); 2]
    );
    let svc = ecs
        .describe_services()
        .cluster("example")
        .services("example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        svc.services()[0].deployments().len(),
        2,
        "old deployment still draining"
    );

    // Step 3: old tasks STOPPED, only the new deployment left, COMPLETED.
    emu.advance(1);
    let stopped = list(&ecs, Some(DesiredStatus::Stopped)).await;
    let described = ecs
        .describe_tasks()
        .cluster("example")
        .set_tasks(Some(stopped))
        .send()
        .await
        .unwrap();
    for t in described.tasks() {
        assert_eq!(t.last_status(), Some("STOPPED"));
        assert_eq!(
            t.stop_code().map(|c| c.as_str()),
            Some("ServiceSchedulerInitiated")
        );
        assert_eq!(
            t.stopped_reason(),
            Some(format!("Scaling activity initiated by (deployment {primary_id})").as_str())
        );
        assert!(t.stopped_at().is_some() && t.stopping_at().is_some());
        assert_eq!(t.group(), Some("service:example"));
    }
    let svc = ecs
        .describe_services()
        .cluster("example")
        .services("example")
        .send()
        .await
        .unwrap();
    let s = &svc.services()[0];
    assert_eq!(s.deployments().len(), 1);
    assert_eq!(s.deployments()[0].id(), Some(primary_id.as_str()));
    assert_eq!(
        s.deployments()[0].rollout_state().map(|r| r.as_str()),
        Some("COMPLETED")
    );
    assert_eq!((s.running_count(), s.desired_count()), (2, 2));
    let running = list(&ecs, None).await;
    let tasks = ecs
        .describe_tasks()
        .cluster("example")
        .set_tasks(Some(running))
        .send()
        .await
        .unwrap();
    for t in tasks.tasks() {
        assert_eq!(t.started_by(), Some(primary_id.as_str()));
        assert_eq!(
            t.containers()[0].image(),
            Some(format!("{}/example:prod", crate::support::REGISTRY).as_str())
        );
    }

    // The SDK waiter agrees.
    let waited = ecs_with(&emu.url(), "us-east-1", true)
        .wait_until_services_stable()
        .cluster("example")
        .services("example")
        .wait(std::time::Duration::from_secs(60))
        .await;
    assert!(waited.is_ok(), "{waited:?}");
}

#[tokio::test]
async fn sdk_services_stable_waiter_waits_for_the_rollout() {
    let emu = manual(demo_world()).await;
    let client = ecs_with(&emu.url(), "us-east-1", true);
    client
        .update_service()
        .cluster("example")
        .service("example")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    let waiter = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .wait_until_services_stable()
                .cluster("example")
                .services("example")
                .wait(std::time::Duration::from_secs(600))
                .await
        }
    });
    // Let the waiter see the unfinished rollout twice, then finish it.
    until(|| count(&emu, "DescribeServices") >= 2).await;
    emu.advance(3);
    let result = waiter.await.unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(count(&emu, "DescribeServices") >= 3);

    // A missing service is a terminal failure for the waiter (MISSING acceptor).
    let missing = client
        .wait_until_services_stable()
        .cluster("example")
        .services("nope")
        .wait(std::time::Duration::from_secs(600))
        .await;
    assert!(missing.is_err());
}

fn tasks_by_digest(described: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = described["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["lastStatus"].as_str().unwrap().to_string(),
                t["desiredStatus"].as_str().unwrap().to_string(),
                t["containers"][0]["imageDigest"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn cli_tasks(cli: &Cli, desired: &str) -> Vec<(String, String, String)> {
    let listed = cli
        .json(&[
            "ecs",
            "list-tasks",
            "--cluster",
            "example",
            "--service-name",
            "example",
            "--desired-status",
            desired,
        ])
        .await;
    let arns: Vec<String> = listed["taskArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    if arns.is_empty() {
        return Vec::new();
    }
    let mut args = vec!["ecs", "describe-tasks", "--cluster", "example", "--tasks"];
    args.extend(arns.iter().map(String::as_str));
    let described = cli.json(&args).await;
    assert_eq!(described["failures"], serde_json::json!([]));
    tasks_by_digest(&described)
}

#[tokio::test]
async fn rfc_flow_with_the_aws_cli() {
    let emu = manual(demo_world()).await;
    let cli = Cli::new(&emu.url()).with_fast_ecs_waiter();

    let listed = cli
        .json(&["ecr", "list-images", "--repository-name", "example"])
        .await;
    let ids = listed["imageIds"].as_array().unwrap();
    assert_eq!(ids.len(), 3);
    let digest_of = |tag: &str| {
        ids.iter()
            .find(|i| i["imageTag"] == tag)
            .map(|i| i["imageDigest"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (d1, d2) = (digest_of("hash_1"), digest_of("hash_2"));
    assert_ne!(d1, d2);
    assert_eq!(digest_of("prod"), d1);
    let described = cli
        .json(&["ecr", "describe-images", "--repository-name", "example"])
        .await;
    assert_eq!(described["imageDetails"].as_array().unwrap().len(), 2);
    assert!(described["imageDetails"][0]["imagePushedAt"].is_number());

    // Retag with batch-get-image + put-image, as deploy.sh does.
    let got = cli
        .json(&[
            "ecr",
            "batch-get-image",
            "--repository-name",
            "example",
            "--image-ids",
            "imageTag=hash_2",
        ])
        .await;
    let manifest = got["images"][0]["imageManifest"]
        .as_str()
        .unwrap()
        .to_string();
    let media_type = got["images"][0]["imageManifestMediaType"]
        .as_str()
        .unwrap()
        .to_string();
    let put = cli
        .json(&[
            "ecr",
            "put-image",
            "--repository-name",
            "example",
            "--image-tag",
            "prod",
            "--image-manifest",
            &manifest,
            "--image-manifest-media-type",
            &media_type,
        ])
        .await;
    assert_eq!(put["image"]["imageId"]["imageDigest"], d2.as_str());
    // Again: ECR says the image with that tag already exists.
    let again = cli
        .error(&[
            "ecr",
            "put-image",
            "--repository-name",
            "example",
            "--image-tag",
            "prod",
            "--image-manifest",
            &manifest,
        ])
        .await;
    assert!(again.contains("ImageAlreadyExistsException"), "{again}");

    assert_eq!(
        cli_tasks(&cli, "RUNNING").await,
        vec![st("RUNNING", "RUNNING", &d1); 2]
    );
    let updated = cli
        .json(&[
            "ecs",
            "update-service",
            "--cluster",
            "example",
            "--service",
            "example",
            "--force-new-deployment",
        ])
        .await;
    assert_eq!(
        updated["service"]["deployments"].as_array().unwrap().len(),
        2
    );

    emu.advance(1);
    assert_eq!(
        cli_tasks(&cli, "RUNNING").await,
        vec![
            st("PENDING", "RUNNING", &d2),
            st("PENDING", "RUNNING", &d2),
            st("RUNNING", "RUNNING", &d1),
            st("RUNNING", "RUNNING", &d1)
        ]
    );
    emu.advance(1);
    assert_eq!(
        cli_tasks(&cli, "RUNNING").await,
        vec![st("RUNNING", "RUNNING", &d2); 2]
    );
    assert_eq!(
        cli_tasks(&cli, "STOPPED").await,
        vec![st("RUNNING", "STOPPED", &d1); 2]
    );

    // `aws ecs wait services-stable` polls (1 s here), sees two deployments, waits; we finish the
    // rollout after its first poll and it returns.
    emu.clear_requests();
    let mut wait = cli
        .command(&[
            "ecs",
            "wait",
            "services-stable",
            "--cluster",
            "example",
            "--services",
            "example",
        ])
        .spawn()
        .unwrap();
    until(|| count(&emu, "DescribeServices") >= 1).await;
    emu.advance(1);
    let status = wait.wait().await.unwrap();
    assert!(status.success());
    assert!(
        count(&emu, "DescribeServices") >= 2,
        "the waiter polled more than once"
    );

    assert_eq!(
        cli_tasks(&cli, "RUNNING").await,
        vec![st("RUNNING", "RUNNING", &d2); 2]
    );
    assert_eq!(
        cli_tasks(&cli, "STOPPED").await,
        vec![st("STOPPED", "STOPPED", &d1); 2]
    );
    let svc = cli
        .json(&[
            "ecs",
            "describe-services",
            "--cluster",
            "example",
            "--services",
            "example",
        ])
        .await;
    let deployments = svc["services"][0]["deployments"].as_array().unwrap();
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0]["rolloutState"], "COMPLETED");
    // Every logged call succeeded (botocore parsed every answer against the model).
    assert!(emu.requests().iter().all(|r| r.status == Some(200)));
}
