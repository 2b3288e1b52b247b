//! `tagdeploy-emulator`: a local stand-in for the subset of Amazon ECR and Amazon ECS that
//! tagdeploy uses, with real rolling deployments, spoken over AWS JSON 1.1 so the real AWS SDKs
//! and the AWS CLI can talk to it.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tagdeploy_emulator::{ClockMode, Options, World};
//! let world = World::from_file("examples/demo/world.json").expect("valid world");
//! let emulator = tagdeploy_emulator::spawn(world, Options { clock: ClockMode::Manual, ..Options::default() }).await?;
//! // point aws-sdk-ecr / aws-sdk-ecs at emulator.url(), then:
//! emulator.advance(3); // three rollout steps
//! let calls = emulator.requests();
//! # let _ = calls; Ok(()) }
//! ```
//!
//! # Layout
//! Dependencies point down this list; nothing points back up.
//! - [`options`]: how the emulator runs (clock, starting fault plan).
//! - `server`: HTTP: the AWS endpoint with faults, the admin API under `/_emulator/`, the request
//!   log, the clock task.
//! - `state`: the account (ECR + ECS + emulated time), dispatching each call to its service;
//!   `load`: builds it from a world; `dump`: its JSON view for the admin API.
//! - [`ecs`]: clusters, task definitions, services, deployments, tasks: the model, one module per
//!   family of operations, the wire shapes, and the rollout scheduler.
//! - [`ecr`]: repositories, images, tags, tag mutability: the model, its rules, one module per
//!   family of operations, the wire shapes.
//! - [`faults`]: the seeded fault plan; [`manifest`]: digests, media types, generated manifests;
//!   [`protocol`]: AWS JSON 1.1 details (targets, typed errors, pagination, timestamps, the
//!   operation tables); [`ids`]: deterministic ids.
//! - [`world`]: the world-file format (what the emulator starts with), a leaf.

mod dump;
pub mod ecr;
pub mod ecs;
pub mod faults;
pub mod ids;
mod load;
pub mod logs;
pub mod manifest;
pub mod options;
pub mod protocol;
pub mod registry;
mod server;
mod state;
pub mod tags;
pub mod world;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use ecs::{AlarmState, LambdaResult};
pub use faults::{FaultKind, FaultPlan, FaultPlanError, FaultRule};
pub use options::{ClockMode, DEFAULT_STEP_MS, Options};
pub use protocol::AwsService;
pub use server::RequestRecord;
pub use world::{World, WorldError};

fn invalid_world(e: WorldError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
}

/// Serves the emulator on an already-bound listener until `shutdown` resolves.
///
/// Fails with `InvalidInput` when the world cannot be loaded.
pub async fn run(
    listener: TcpListener,
    world: World,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let shared = server::Shared::new(world, &options).map_err(invalid_world)?;
    server::serve(listener, shared, shutdown).await
}

/// Binds `127.0.0.1:0` and serves in the background. The server stops when the handle is dropped.
pub async fn spawn(world: World, options: Options) -> std::io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let shared = server::Shared::new(world, &options).map_err(invalid_world)?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, shared.clone(), async move {
        // A dropped sender (handle dropped) also means stop.
        let _ = rx.await;
    }));
    Ok(EmulatorHandle {
        addr,
        shared,
        stop: Some(tx),
        task: Some(task),
    })
}

/// A running in-process emulator. Dropping it stops the server.
pub struct EmulatorHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`: the endpoint URL for SDKs and the CLI.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The AWS calls served so far (faulted ones included, marked).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// Runs `steps` rollout steps now (any clock mode). Returns the total steps taken.
    pub fn advance(&self, steps: u64) -> u64 {
        self.shared.advance(steps)
    }

    /// Passes `ms` milliseconds of emulated time: the manual clock takes as many one-second steps
    /// as cover it (rounded up); the real clock jumps ahead by `ms` and takes as many steps as
    /// its step length gives. Bake times and hook timeouts pass this way in one call. Returns the
    /// total steps taken.
    pub fn advance_ms(&self, ms: u64) -> u64 {
        self.shared.advance_ms(ms)
    }

    /// Replaces the fault plan (counters and generator start afresh).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.shared.set_faults(plan);
    }

    /// Sets a CloudWatch alarm's state. A service deployment that monitors an alarm in ALARM
    /// fails (and rolls back when its `alarms.rollback` says so).
    pub fn set_alarm(&self, alarm_name: &str, state: AlarmState) {
        self.shared.set_alarm(alarm_name, state);
    }

    /// Sets what a Lambda function answers when a lifecycle hook invokes it: SUCCEEDED, FAILED,
    /// or IN_PROGRESS (for ever, so the hook times out).
    pub fn set_lambda_result(&self, function_arn: &str, result: LambdaResult) {
        self.shared.set_lambda_result(function_arn, result);
    }

    /// Releases calls held by a `hold` fault for `operation` (`"*"`: all). Returns how many.
    pub fn release(&self, operation: &str) -> usize {
        self.shared.release(operation)
    }

    /// Operations of the calls currently held.
    pub fn held(&self) -> Vec<String> {
        self.shared.held()
    }

    /// Back to the loaded world (the request log and fault plan are kept).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Replaces the world and resets to it.
    pub fn load_world(&self, world: World) -> Result<(), WorldError> {
        self.shared.load_world(world)
    }

    /// The JSON dump `GET /_emulator/state` returns.
    pub fn state(&self) -> serde_json::Value {
        self.shared.state_json()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
