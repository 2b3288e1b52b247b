//! An in-process emulator and AWS clients pointed at it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value as Json, json};
use tagdeploy_emulator::{ClockMode, EmulatorHandle, Options, World};
use terraform_provider_tagdeploy::aws::ecr::Ecr;
use terraform_provider_tagdeploy::aws::ecs::Ecs;

use super::repo_root;

/// The RFC demo world (`examples/demo/world.json`) as JSON, to be modified by tests.
pub fn demo_world_json() -> Json {
    let text = std::fs::read_to_string(repo_root().join("examples/demo/world.json"))
        .expect("read demo world");
    serde_json::from_str(&text).expect("demo world is JSON")
}

/// Adds an image to the first repository of a world.
pub fn add_image(world: &mut Json, image: Json) {
    world["repositories"][0]["images"]
        .as_array_mut()
        .expect("images array")
        .push(image);
}

/// Adds `count` more services like the demo's `example` service, named `example-1`, ….
pub fn add_services(world: &mut Json, count: usize) {
    let template = world["services"][0].clone();
    let services = world["services"].as_array_mut().expect("services array");
    for i in 1..=count {
        let mut service = template.clone();
        service["serviceName"] = json!(format!("example-{i}"));
        services.push(service);
    }
}

/// A running emulator with SDK clients for it.
pub struct Emulated {
    /// The emulator (shared so a background task can drive its clock).
    pub handle: Arc<EmulatorHandle>,
    /// The domain's ECR client.
    pub ecr: Ecr,
    /// The domain's ECS client.
    pub ecs: Ecs,
}

impl Emulated {
    /// Starts an emulator on `world` with the manual clock.
    pub async fn manual(world: Json) -> Emulated {
        Emulated::start(world, ClockMode::Manual).await
    }

    /// Starts an emulator on `world` whose clock steps every `step_ms` milliseconds.
    pub async fn real(world: Json, step_ms: u64) -> Emulated {
        Emulated::start(world, ClockMode::Real { step_ms }).await
    }

    async fn start(world: Json, clock: ClockMode) -> Emulated {
        let world = World::from_json(&world.to_string()).expect("valid world");
        let handle = tagdeploy_emulator::spawn(
            world,
            Options {
                clock,
                ..Options::default()
            },
        )
        .await
        .expect("start emulator");
        let (ecr, ecs) = clients(&handle.url());
        Emulated {
            handle: Arc::new(handle),
            ecr,
            ecs,
        }
    }

    /// Advances a manual clock one step every `every` until the returned guard is dropped.
    pub fn tick_in_background(&self, every: Duration) -> Ticker {
        let handle = Arc::clone(&self.handle);
        Ticker(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                handle.advance(1);
            }
        }))
    }

    /// The AWS operations served so far, in order (`"ecr:PutImage"`, …).
    pub fn operations(&self) -> Vec<String> {
        self.handle
            .requests()
            .iter()
            .map(|r| format!("{}:{}", r.service.as_str(), r.operation))
            .collect()
    }

    /// How many times `operation` (e.g. `"UpdateService"`) was served.
    pub fn count(&self, operation: &str) -> usize {
        self.handle
            .requests()
            .iter()
            .filter(|r| r.operation == operation)
            .count()
    }
}

/// Domain clients pointed at `url`, with test credentials and quick retries.
pub fn clients(url: &str) -> (Ecr, Ecs) {
    let credentials =
        aws_sdk_ecr::config::Credentials::new("AKIDTEST", "test-secret", None, None, "test");
    let region = aws_sdk_ecr::config::Region::new("us-east-1");
    let ecr = aws_sdk_ecr::Config::builder()
        .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
        .region(region.clone())
        .credentials_provider(credentials.clone())
        .endpoint_url(url)
        .build();
    let ecs = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .endpoint_url(url)
        .build();
    (
        Ecr::new(aws_sdk_ecr::Client::from_conf(ecr)),
        Ecs::new(aws_sdk_ecs::Client::from_conf(ecs)),
    )
}

/// Stops the background clock when dropped.
pub struct Ticker(tokio::task::JoinHandle<()>);

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Operations that change something in AWS; a refused input must cause none of them.
pub const MUTATING_OPERATIONS: [&str; 9] = [
    "PutImage",
    "BatchDeleteImage",
    "PutImageTagMutability",
    "CreateRepository",
    "UpdateService",
    "CreateService",
    "CreateCluster",
    "RegisterTaskDefinition",
    "DeleteService",
];

/// An emulator on its own runtime thread, for tests that drive it from outside (Terraform runs
/// as a child process and calls it over HTTP).
pub struct BackgroundEmulator {
    handle: Arc<EmulatorHandle>,
    // Dropped last: stops the server's tasks.
    _runtime: tokio::runtime::Runtime,
}

impl BackgroundEmulator {
    /// Starts one on `world` with the manual clock.
    pub fn manual(world: Json) -> BackgroundEmulator {
        BackgroundEmulator::start(world, ClockMode::Manual)
    }

    /// Starts one on `world` whose clock steps every `step_ms` milliseconds.
    pub fn real(world: Json, step_ms: u64) -> BackgroundEmulator {
        BackgroundEmulator::start(world, ClockMode::Real { step_ms })
    }

    fn start(world: Json, clock: ClockMode) -> BackgroundEmulator {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("emulator runtime");
        let world = World::from_json(&world.to_string()).expect("valid world");
        let handle = runtime
            .block_on(tagdeploy_emulator::spawn(
                world,
                Options {
                    clock,
                    ..Options::default()
                },
            ))
            .expect("start emulator");
        BackgroundEmulator {
            handle: Arc::new(handle),
            _runtime: runtime,
        }
    }

    /// The emulator itself (clock, faults, request log).
    pub fn handle(&self) -> &EmulatorHandle {
        &self.handle
    }

    /// The emulator, shareable with another thread.
    pub fn shared(&self) -> Arc<EmulatorHandle> {
        Arc::clone(&self.handle)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.handle.url()
    }

    /// The AWS operations served so far (`"ecr:PutImage"`, …).
    pub fn operations(&self) -> Vec<String> {
        self.handle
            .requests()
            .iter()
            .map(|r| format!("{}:{}", r.service.as_str(), r.operation))
            .collect()
    }

    /// How many times `operation` was served.
    pub fn count(&self, operation: &str) -> usize {
        self.handle
            .requests()
            .iter()
            .filter(|r| r.operation == operation)
            .count()
    }

    /// The mutating operations served so far.
    pub fn mutations(&self) -> Vec<String> {
        self.handle
            .requests()
            .iter()
            .filter(|r| MUTATING_OPERATIONS.contains(&r.operation.as_str()))
            .map(|r| r.operation.clone())
            .collect()
    }

    /// The provider block pointing at this emulator.
    pub fn provider_block(&self) -> String {
        let url = self.url();
        format!(
            "provider \"tagdeploy\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    ecr = \"{url}\"\n    ecs = \"{url}\"\n  }}\n}}\n"
        )
    }

    /// Advances a manual clock in the background, one step every `every`, until dropped.
    pub fn tick_in_background(&self, every: Duration) -> BackgroundTicker {
        let handle = Arc::clone(&self.handle);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(every);
                handle.advance(1);
            }
        });
        BackgroundTicker {
            stop,
            thread: Some(thread),
        }
    }
}

/// Stops a background clock thread when dropped.
pub struct BackgroundTicker {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for BackgroundTicker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
