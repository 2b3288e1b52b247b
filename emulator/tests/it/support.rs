//! Shared helpers: emulator setup, SDK clients, the AWS CLI, a raw HTTP client.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Once;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use tagdeploy_emulator::{ClockMode, EmulatorHandle, Options, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The workspace root (the emulator crate's parent).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("emulator crate sits in the workspace")
        .to_path_buf()
}

/// The RFC demo world from `examples/demo/world.json`.
pub fn demo_world() -> World {
    World::from_file(workspace_root().join("examples/demo/world.json")).expect("demo world loads")
}

/// Registry host of the default test world.
pub const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// An emulator on a manual clock.
pub async fn manual(world: World) -> EmulatorHandle {
    tagdeploy_emulator::spawn(
        world,
        Options {
            clock: ClockMode::Manual,
            ..Options::default()
        },
    )
    .await
    .expect("emulator starts")
}

/// Parses a world from JSON (panics with the error: test input).
pub fn world(json: &str) -> World {
    World::from_json(json).unwrap_or_else(|e| panic!("test world invalid: {e}"))
}

/// A sleep that runs 100 times faster, so SDK waiters (15 s minimum delay) poll quickly.
#[derive(Debug)]
pub struct FastSleep;

impl aws_sdk_ecs::config::AsyncSleep for FastSleep {
    fn sleep(&self, duration: Duration) -> aws_sdk_ecs::config::Sleep {
        aws_sdk_ecs::config::Sleep::new(tokio::time::sleep(duration / 100))
    }
}

fn retry() -> aws_sdk_ecs::config::retry::RetryConfig {
    aws_sdk_ecs::config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5))
}

/// An ECR client for the emulator (region us-east-1, static test credentials).
pub fn ecr(url: &str) -> aws_sdk_ecr::Client {
    ecr_in(url, "us-east-1")
}

/// An ECR client signing for `region`.
pub fn ecr_in(url: &str, region: &str) -> aws_sdk_ecr::Client {
    let conf = aws_sdk_ecr::Config::builder()
        .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
        .region(aws_sdk_ecr::config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_ecr::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .endpoint_url(url)
        .retry_config(retry())
        .build();
    aws_sdk_ecr::Client::from_conf(conf)
}

/// An ECS client for the emulator.
pub fn ecs(url: &str) -> aws_sdk_ecs::Client {
    ecs_with(url, "us-east-1", false)
}

/// An ECS client signing for `region`; `fast` uses [`FastSleep`] (and no timeouts, which it would
/// otherwise shorten too).
pub fn ecs_with(url: &str, region: &str, fast: bool) -> aws_sdk_ecs::Client {
    let mut conf = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .endpoint_url(url)
        .retry_config(retry());
    if fast {
        conf = conf
            .sleep_impl(FastSleep)
            .timeout_config(aws_sdk_ecs::config::timeout::TimeoutConfig::disabled());
    }
    aws_sdk_ecs::Client::from_conf(conf.build())
}

/// The digest `repo:tag` names in the emulated ECR.
pub async fn tag_digest(url: &str, repo: &str, tag: &str) -> String {
    ecr(url)
        .describe_images()
        .repository_name(repo)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(tag)
                .build(),
        )
        .send()
        .await
        .expect("DescribeImages")
        .image_details()[0]
        .image_digest()
        .expect("a digest")
        .to_string()
}

/// Moves tag `to` onto the image `from` names, as a retag does (BatchGetImage, PutImage). A tag
/// that already names that image stays where it is.
pub async fn retag(url: &str, repo: &str, from: &str, to: &str) {
    use aws_sdk_ecr::error::ProvideErrorMetadata;
    let c = ecr(url);
    let got = c
        .batch_get_image()
        .repository_name(repo)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(from)
                .build(),
        )
        .send()
        .await
        .expect("BatchGetImage");
    let put = c
        .put_image()
        .repository_name(repo)
        .image_tag(to)
        .image_manifest(got.images()[0].image_manifest().expect("a manifest"))
        .send()
        .await;
    if let Err(e) = put {
        assert_eq!(
            e.code(),
            Some("ImageAlreadyExistsException"),
            "PutImage: {e:?}"
        );
    }
}

/// How many logged calls of `operation` there are.
pub fn count(handle: &EmulatorHandle, operation: &str) -> usize {
    handle
        .requests()
        .iter()
        .filter(|r| r.operation == operation)
        .count()
}

/// Polls until `f` holds (bounded: 20 s), for conditions driven by another task.
pub async fn until(mut f: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached within 20 s");
}

/// The AWS CLI v1 from `.venv`, isolated from the machine's configuration.
pub struct Cli {
    url: String,
    home: tempfile::TempDir,
    data_path: Option<PathBuf>,
}

static TOOLS: Once = Once::new();

impl Cli {
    /// Installs the tools if needed (`scripts/tools.sh`, idempotent) and points the CLI at `url`.
    pub fn new(url: &str) -> Cli {
        TOOLS.call_once(|| {
            let status = std::process::Command::new(workspace_root().join("scripts/tools.sh"))
                .status()
                .expect("scripts/tools.sh runs");
            assert!(status.success(), "scripts/tools.sh failed");
        });
        Cli {
            url: url.to_string(),
            home: tempfile::tempdir().expect("temp dir"),
            data_path: None,
        }
    }

    /// Overrides botocore's ECS waiter model so `services-stable` polls every second (instead of
    /// every 15 s). Same acceptors as the shipped model.
    pub fn with_fast_ecs_waiter(mut self) -> Cli {
        let dir = self.home.path().join("data");
        let waiters = dir.join("ecs/2014-11-13");
        std::fs::create_dir_all(&waiters).expect("create waiter dir");
        let model = serde_json::json!({
            "version": 2,
            "waiters": {
                "ServicesStable": {
                    "delay": 1,
                    "maxAttempts": 60,
                    "operation": "DescribeServices",
                    "acceptors": [
                        { "matcher": "pathAny", "argument": "failures[].reason", "state": "failure", "expected": "MISSING" },
                        { "matcher": "pathAny", "argument": "services[].status", "state": "failure", "expected": "DRAINING" },
                        { "matcher": "pathAny", "argument": "services[].status", "state": "failure", "expected": "INACTIVE" },
                        { "matcher": "path", "argument": "length(services[?!(length(deployments) == `1` && runningCount == desiredCount)]) == `0`", "state": "success", "expected": true }
                    ]
                }
            }
        });
        std::fs::write(waiters.join("waiters-2.json"), model.to_string())
            .expect("write waiter model");
        self.data_path = Some(dir);
        self
    }

    /// A `tokio::process::Command` for `aws ARGS…` with an isolated environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(workspace_root().join(".venv/bin/aws"));
        let home = self.home.path();
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .kill_on_drop(true);
        if let Some(d) = &self.data_path {
            cmd.env("AWS_DATA_PATH", d);
        }
        cmd
    }

    /// Runs the CLI and returns its output.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.expect("aws CLI runs")
    }

    /// Runs the CLI, requires success, parses stdout as JSON (`{}` when empty).
    pub async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "aws {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        if text.trim().is_empty() {
            return Value::Object(Default::default());
        }
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("aws {}: stdout not JSON ({e}): {text}", args.join(" ")))
    }

    /// Runs the CLI, requires failure, returns stderr.
    pub async fn error(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            !out.status.success(),
            "aws {} unexpectedly succeeded",
            args.join(" ")
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    }
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Header lines, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl RawResponse {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// Sends one request over a fresh connection (`Connection: close`) and reads the whole answer.
/// `Ok(None)` when the server closed the connection without answering.
pub async fn raw(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Option<RawResponse>> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    if buf.is_empty() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").context("no header end")?;
    let mut lines = head.lines();
    let status_line = lines.next().context("no status line")?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .context("no status")?
        .parse()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Some(RawResponse {
        status,
        headers,
        body: body.to_string(),
    }))
}

/// `POST /` with an `X-Amz-Target` of `prefix.operation`.
pub async fn aws_call(addr: std::net::SocketAddr, target: &str, body: &str) -> Result<RawResponse> {
    match raw(
        addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", target),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        body.as_bytes(),
    )
    .await?
    {
        Some(r) => Ok(r),
        None => bail!("connection closed without a response"),
    }
}

/// ECS target prefix.
pub const ECS: &str = "AmazonEC2ContainerServiceV20141113";
/// ECR target prefix.
pub const ECR: &str = "AmazonEC2ContainerRegistry_V20150921";
