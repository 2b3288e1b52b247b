//! Emulators for tests: the worlds they start on ([`demo_world_json`] and what tests add to it),
//! in-process ([`Emulated`], for async domain tests) or on a runtime thread of their own
//! ([`BackgroundEmulator`], for Terraform), and their clocks. Both dereference to the
//! `EmulatorHandle` (faults, clock, request log), so [`super::observe::Observe`] reads both.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value as Json, json};
use tagdeploy_emulator::{ClockMode, EmulatorHandle, Options, World};
use terraform_provider_tagdeploy::aws::ecr::Ecr;
use terraform_provider_tagdeploy::aws::ecs::Ecs;

use super::aws::clients;
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

/// Adds `hash_bad` to the first repository: a release whose tasks never become healthy.
pub fn add_unhealthy_release(world: &mut Json) {
    add_image(
        world,
        json!({"tags": ["hash_bad"], "generate": {"seed": "bad"}, "healthy": false}),
    );
}

/// Adds `hash_multi` to the first repository: a Docker manifest list for linux/amd64 and
/// linux/arm64 (the index is what gets tagged; its children are untagged images).
pub fn add_multi_arch_release(world: &mut Json) {
    add_image(
        world,
        json!({"tags": ["hash_multi"], "generate": {"seed": "multi", "platforms": ["linux/amd64", "linux/arm64"]}}),
    );
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

/// One image of a release set in a test world: its repository, the cluster of its services,
/// and the services (each running `<repository>:prod`).
#[derive(Debug, Clone, Copy)]
pub struct SetMember<'a> {
    /// The repository (also the member's name in the tests' configurations).
    pub repository: &'a str,
    /// The services' cluster.
    pub cluster: &'a str,
    /// The services.
    pub services: &'a [&'a str],
}

/// A world for a release set: for each member, a repository holding `hash_1` (tagged `prod`)
/// and `hash_2` (and `hash_bad`, whose tasks never become healthy, for the repositories in
/// `unhealthy`), a task definition running `<repository>:prod`, and its services (desired
/// count 2, circuit breaker with rollback) in its cluster.
pub fn release_set_world(members: &[SetMember<'_>], unhealthy: &[&str]) -> Json {
    let demo = demo_world_json();
    let mut world = json!({
        "accountId": demo["accountId"],
        "region": demo["region"],
        "repositories": [],
        "clusters": [],
        "taskDefinitions": [],
        "services": [],
    });
    let push = |world: &mut Json, key: &str, value: Json| {
        world[key].as_array_mut().expect("array").push(value);
    };
    for member in members {
        let repository = member.repository;
        let mut images = vec![
            json!({"tags": ["hash_1", "prod"], "generate": {"seed": format!("{repository}:hash_1")}}),
            json!({"tags": ["hash_2"], "generate": {"seed": format!("{repository}:hash_2")}}),
        ];
        if unhealthy.contains(&repository) {
            images.push(json!({"tags": ["hash_bad"], "generate": {"seed": format!("{repository}:bad")}, "healthy": false}));
        }
        push(
            &mut world,
            "repositories",
            json!({"name": repository, "imageTagMutability": "MUTABLE", "images": images}),
        );
        if !world["clusters"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["name"] == member.cluster))
        {
            push(&mut world, "clusters", json!({"name": member.cluster}));
        }
        let mut task_definition = demo["taskDefinitions"][0].clone();
        task_definition["family"] = json!(repository);
        task_definition["containerDefinitions"][0]["image"] = json!(format!(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}:prod"
        ));
        push(&mut world, "taskDefinitions", task_definition);
        for service in member.services {
            let mut definition = demo["services"][0].clone();
            definition["cluster"] = json!(member.cluster);
            definition["serviceName"] = json!(service);
            definition["taskDefinition"] = json!(repository);
            push(&mut world, "services", definition);
        }
    }
    world
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
}

impl Deref for Emulated {
    type Target = EmulatorHandle;

    fn deref(&self) -> &EmulatorHandle {
        &self.handle
    }
}

/// Stops the background clock when dropped.
pub struct Ticker(tokio::task::JoinHandle<()>);

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

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

impl Deref for BackgroundEmulator {
    type Target = EmulatorHandle;

    fn deref(&self) -> &EmulatorHandle {
        &self.handle
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
