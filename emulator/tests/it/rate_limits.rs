//! AWS's rate limits (`Options::rate_limits`, `--aws-rate-limits`): buckets per account and
//! region, the throttling answer on the wire and through the SDK and the CLI, wall-clock refill
//! whatever the rollout clock, the request log and the admin API. Bounded: a few hundred calls
//! and sleeps of at most a few hundred milliseconds.

use std::time::Duration;

use aws_sdk_ecs::error::ProvideErrorMetadata;
use serde_json::Value;
use tagdeploy_emulator::{ClockMode, EmulatorHandle, Figures, Options, RateLimits};

use crate::support::{
    Cli, ECR, ECS, aws_call, demo_world, ecr, ecr_in, ecs, ecs_with, manual, raw,
};

const UPDATE: &str = r#"{"cluster": "example", "service": "example", "forceNewDeployment": true}"#;

/// An emulator on the manual clock with `limits` on.
async fn limited(limits: RateLimits) -> EmulatorHandle {
    tagdeploy_emulator::spawn(
        demo_world(),
        Options {
            clock: ClockMode::Manual,
            rate_limits: Some(limits),
            ..Options::default()
        },
    )
    .await
    .expect("emulator starts")
}

/// The published table with `name` set to `burst` / `per_second`.
fn with(name: &str, burst: f64, per_second: f64) -> RateLimits {
    RateLimits::published()
        .with(name, Figures { burst, per_second })
        .expect("known bucket")
}

/// What the request log says of one call: status, error, bucket, throttled.
type Logged = (Option<u16>, Option<String>, Option<String>, bool);

/// Each logged call of `operation`.
fn log_of(emu: &EmulatorHandle, operation: &str) -> Vec<Logged> {
    emu.requests()
        .iter()
        .filter(|r| r.operation == operation)
        .map(|r| (r.status, r.error.clone(), r.bucket.clone(), r.throttled))
        .collect()
}

async fn admin(emu: &EmulatorHandle, method: &str, path: &str, body: &str) -> Value {
    raw(
        emu.addr(),
        method,
        &format!("/_emulator/{path}"),
        &[],
        body.as_bytes(),
    )
    .await
    .expect("admin call")
    .expect("an answer")
    .json()
}

#[tokio::test]
async fn the_service_modify_bucket_gives_its_burst_then_throttles_like_ecs() {
    // The published burst of 50; a refill too slow to add a token while the test runs.
    let emu = limited(with("ecs:service-modify", 50.0, 0.001)).await;
    let mut statuses = Vec::new();
    for _ in 0..51 {
        let r = aws_call(emu.addr(), &format!("{ECS}.UpdateService"), UPDATE)
            .await
            .unwrap();
        statuses.push(r.status);
        if r.status == 400 {
            // Exactly what ECS sends when it throttles.
            assert_eq!(
                r.body,
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
            );
            assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
            assert!(r.header("x-amzn-requestid").is_some());
            assert_eq!(r.header("x-amzn-errortype"), None);
        }
    }
    let mut want = vec![200; 50];
    want.push(400);
    assert_eq!(statuses, want, "the burst of 50 at once, then nothing");
    let log = log_of(&emu, "UpdateService");
    let bucket = Some("ecs:service-modify".to_string());
    let mut want = vec![(Some(200), None, bucket.clone(), false); 50];
    want.push((Some(400), Some("ThrottlingException".into()), bucket, true));
    assert_eq!(log, want);
    // The log as served over the admin API carries the same fields.
    let served = admin(&emu, "GET", "requests", "").await;
    assert_eq!(served[0]["bucket"], "ecs:service-modify");
    assert_eq!(served[0]["throttled"], false);

    // DescribeServices has its own bucket, still full.
    let r = aws_call(
        emu.addr(),
        &format!("{ECS}.DescribeServices"),
        r#"{"cluster": "example", "services": ["example"]}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn sdks_and_the_cli_read_the_throttling_error() {
    // Buckets that refill so slowly that nothing comes back during the test.
    let emu = limited(
        with("ecs:service-read", 1.0, 0.001)
            .with(
                "ecr:DescribeImages",
                Figures {
                    burst: 1.0,
                    per_second: 0.001,
                },
            )
            .unwrap(),
    )
    .await;
    let describe = || {
        ecs(&emu.url())
            .describe_services()
            .cluster("example")
            .services("example")
            .send()
    };
    describe().await.expect("the one token");
    let err = describe().await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(err.message(), Some("Rate exceeded"));

    let images = || {
        ecr(&emu.url())
            .describe_images()
            .repository_name("example")
            .send()
    };
    images().await.expect("the one token");
    let err = images().await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("ThrottlingException"));

    // botocore parses it too (one attempt, no retries).
    let cli = Cli::new(&emu.url());
    let out = cli
        .command(&[
            "ecs",
            "describe-services",
            "--cluster",
            "example",
            "--services",
            "example",
        ])
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .await
        .expect("aws runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(ThrottlingException)") && stderr.contains("Rate exceeded"),
        "{stderr}"
    );
}

#[tokio::test]
async fn buckets_refill_in_wall_clock_time_not_on_the_rollout_clock() {
    // service-modify: 1 token, one back per 1000 s; service-read: 1 token, 20 per second.
    let emu = limited(
        with("ecs:service-modify", 1.0, 0.001)
            .with(
                "ecs:service-read",
                Figures {
                    burst: 1.0,
                    per_second: 20.0,
                },
            )
            .unwrap(),
    )
    .await;
    let update = || async {
        aws_call(emu.addr(), &format!("{ECS}.UpdateService"), UPDATE)
            .await
            .unwrap()
            .status
    };
    assert_eq!(update().await, 200);
    assert_eq!(update().await, 400);
    // An hour of emulated time on the manual clock refills nothing.
    emu.advance(3600);
    assert_eq!(update().await, 400);

    let describe = || async {
        aws_call(
            emu.addr(),
            &format!("{ECS}.DescribeServices"),
            r#"{"cluster": "example", "services": ["example"]}"#,
        )
        .await
        .unwrap()
        .status
    };
    assert_eq!(describe().await, 200);
    // At 20 per second a whole token is back after 50 ms of wall time: wait 150.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(describe().await, 200);

    // The refill admin call fills every bucket.
    assert_eq!(
        admin(&emu, "POST", "rate-limits/refill", "").await["refilled"],
        true
    );
    assert_eq!(update().await, 200);
}

#[tokio::test]
async fn each_account_and_region_has_its_own_buckets() {
    let emu = limited(with("ecr:PutImage", 1.0, 0.001)).await;
    // The world's images, to put again under a new tag.
    let manifest = ecr(&emu.url())
        .batch_get_image()
        .repository_name("example")
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag("hash_2")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .images()[0]
        .image_manifest()
        .unwrap()
        .to_string();
    let put = |region: &'static str, tag: &'static str| {
        let manifest = manifest.clone();
        let client = ecr_in(&emu.url(), region);
        async move {
            client
                .put_image()
                .repository_name("example")
                .image_tag(tag)
                .image_manifest(manifest)
                .send()
                .await
        }
    };
    put("us-east-1", "a").await.expect("us-east-1's one token");
    let err = put("us-east-1", "b")
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ThrottlingException"));
    put("eu-west-1", "c").await.expect("eu-west-1's own bucket");
    let state = admin(&emu, "GET", "rate-limits", "").await;
    assert_eq!(state["enabled"], true);
    let regions: Vec<&str> = state["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);
    let bucket = state["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "ecr:PutImage")
        .unwrap()
        .clone();
    assert_eq!(bucket["operations"], serde_json::json!(["PutImage"]));
    assert_eq!(bucket["published"], true);
    assert_eq!(
        state["accounts"][1]["account"], "123456789012",
        "the world's account"
    );
    assert!(
        state["accounts"][1]["tokens"]["ecr:PutImage"]
            .as_f64()
            .unwrap()
            < 1.0
    );
    // Unrelated: BatchGetImage drew from its own bucket.
    assert!(
        state["accounts"][1]["tokens"]["ecr:BatchGetImage"]
            .as_f64()
            .unwrap()
            >= 1998.0
    );
    // A region from the credential scope, on an ECS client too.
    let r = ecs_with(&emu.url(), "ap-south-1", false)
        .list_services()
        .cluster("example")
        .send()
        .await;
    assert!(r.is_ok());
}

#[tokio::test]
async fn off_unless_asked_for_and_switchable_over_the_admin_api() {
    let emu = manual(demo_world()).await;
    for _ in 0..60 {
        let r = aws_call(emu.addr(), &format!("{ECS}.UpdateService"), UPDATE)
            .await
            .unwrap();
        assert_eq!(r.status, 200);
    }
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.bucket.is_none() && !r.throttled)
    );
    assert_eq!(
        admin(&emu, "GET", "rate-limits", "").await,
        serde_json::json!({"enabled": false})
    );
    assert_eq!(
        admin(&emu, "POST", "rate-limits/refill", "").await["refilled"],
        false
    );

    // On with an override, over the admin API.
    let on = admin(
        &emu,
        "POST",
        "rate-limits",
        r#"{"ecs:service-modify": {"burst": 2, "perSecond": 0.001}}"#,
    )
    .await;
    assert_eq!(on["enabled"], true);
    let statuses: Vec<u16> = {
        let mut s = Vec::new();
        for _ in 0..3 {
            s.push(
                aws_call(emu.addr(), &format!("{ECS}.UpdateService"), UPDATE)
                    .await
                    .unwrap()
                    .status,
            );
        }
        s
    };
    assert_eq!(statuses, [200, 200, 400]);
    let limits = emu.rate_limits().expect("on");
    let b = limits
        .bucket_of(tagdeploy_emulator::AwsService::Ecs, "UpdateService")
        .unwrap();
    assert_eq!((b.burst, b.per_second), (2.0, 0.001));
    let refused = admin(
        &emu,
        "POST",
        "rate-limits",
        r#"{"ecs:nope": {"burst": 1, "perSecond": 1}}"#,
    )
    .await;
    assert!(refused["error"].as_str().unwrap().contains("ecs:nope"));

    // Off again.
    assert_eq!(
        admin(&emu, "POST", "rate-limits", r#"{"enabled": false}"#).await["enabled"],
        false
    );
    emu.set_rate_limits(None);
    let r = aws_call(emu.addr(), &format!("{ECS}.UpdateService"), UPDATE)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    // Published figures on; a call no bucket covers (an unknown target) is not limited.
    emu.set_rate_limits(Some(RateLimits::published()));
    let r = aws_call(
        emu.addr(),
        &format!("{ECR}.ListImages"),
        r#"{"repositoryName": "example"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    aws_call(emu.addr(), "Nobody.Nothing", "{}").await.unwrap();
    let last = emu.requests().pop().unwrap();
    assert_eq!((last.bucket, last.throttled), (None, false));
    let listed = emu.requests().into_iter().rev().nth(1).unwrap();
    assert_eq!(listed.bucket.as_deref(), Some("ecr:ListImages"));
}
