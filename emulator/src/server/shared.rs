//! What the server tasks and the [`crate::EmulatorHandle`] share: the account behind a lock, the
//! clock, the fault plan, the request log and the calls held by `hold` faults.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::ecs::{AlarmState, LambdaResult};
use crate::faults::{Decision, FaultKind, FaultPlan, FaultState};
use crate::ids::SplitMix64;
use crate::options::{ClockMode, Options};
use crate::protocol::{AwsError, AwsService, RequestContext};
use crate::registry::{RegistryRequest, RegistryResponse};
use crate::state::State;
use crate::world::{World, WorldError};

use super::clock::{Clock, MANUAL_STEP_MS, wall_ms};

/// One served AWS call, as `GET /_emulator/requests` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Order in which the calls finished (from 1).
    pub seq: u64,
    /// Service addressed.
    pub service: AwsService,
    /// Operation name from `X-Amz-Target`.
    pub operation: String,
    /// HTTP status; `None` when the connection was dropped by a fault.
    pub status: Option<u16>,
    /// The error code (`__type`) of a failed call.
    pub error: Option<String>,
    /// The injected fault that shaped this call, if any.
    pub fault: Option<FaultKind>,
    /// Wall-clock time the call finished, epoch seconds.
    pub time: f64,
}

struct Held {
    operation: String,
    release: oneshot::Sender<()>,
}

/// State shared by the server tasks and the [`crate::EmulatorHandle`].
pub(crate) struct Shared {
    world: Mutex<World>,
    state: Mutex<State>,
    clock: Clock,
    faults: Mutex<FaultState>,
    log: Mutex<Vec<RequestRecord>>,
    seq: AtomicU64,
    held: Mutex<Vec<Held>>,
    request_ids: AtomicU64,
    /// The server's own URL, once it listens (GetAuthorizationToken's `proxyEndpoint`).
    endpoint: OnceLock<String>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the state stays usable:
/// every operation validates before it mutates).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(world: World, options: &Options) -> Result<Arc<Shared>, WorldError> {
        let state = State::load(&world, wall_ms())?;
        let clock = Clock::new(options, state.now_ms);
        Ok(Arc::new(Shared {
            world: Mutex::new(world),
            state: Mutex::new(state),
            clock,
            faults: Mutex::new(FaultState::new(options.faults.clone().unwrap_or_default())),
            log: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
            held: Mutex::new(Vec::new()),
            request_ids: AtomicU64::new(0),
            endpoint: OnceLock::new(),
        }))
    }

    /// Runs `steps` rollout steps now.
    pub(crate) fn advance(&self, steps: u64) -> u64 {
        let mut state = lock(&self.state);
        for _ in 0..steps {
            state.now_ms = self.clock.next_step(state.now_ms);
            state.step();
        }
        state.steps
    }

    /// Passes `ms` of emulated time: the manual clock takes the steps that cover it (rounded
    /// up); the real clock jumps `ms` ahead and takes as many steps as it would have taken.
    pub(crate) fn advance_ms(&self, ms: u64) -> u64 {
        if let ClockMode::Real { .. } = self.clock.mode() {
            self.clock.skip(ms);
        }
        self.advance(ms.div_ceil(self.clock.step_ms()))
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.log).clone()
    }

    pub(crate) fn clear_requests(&self) -> usize {
        let mut log = lock(&self.log);
        let n = log.len();
        log.clear();
        n
    }

    pub(crate) fn set_faults(&self, plan: FaultPlan) {
        *lock(&self.faults) = FaultState::new(plan);
    }

    /// Releases held calls of `operation` (`*`: all). Returns how many.
    pub(crate) fn release(&self, operation: &str) -> usize {
        let mut held = lock(&self.held);
        let (go, keep): (Vec<Held>, Vec<Held>) = held
            .drain(..)
            .partition(|h| operation == "*" || h.operation == operation);
        *held = keep;
        let n = go.len();
        for h in go {
            // The caller may have gone away; nothing to do then.
            let _ = h.release.send(());
        }
        n
    }

    pub(crate) fn held(&self) -> Vec<String> {
        lock(&self.held)
            .iter()
            .map(|h| h.operation.clone())
            .collect()
    }

    pub(crate) fn reset(&self) {
        let world = lock(&self.world).clone();
        // The stored world was validated when it was loaded, so it loads again.
        if let Ok(state) = State::load(&world, wall_ms()) {
            self.clock.restart(state.now_ms);
            *lock(&self.state) = state;
        }
    }

    pub(crate) fn load_world(&self, world: World) -> Result<(), WorldError> {
        let state = State::load(&world, wall_ms())?;
        self.clock.restart(state.now_ms);
        *lock(&self.world) = world;
        *lock(&self.state) = state;
        Ok(())
    }

    pub(crate) fn state_json(&self) -> Value {
        let mut v = lock(&self.state).dump();
        v["held"] = json!(self.held());
        v["clock"] = match self.clock.mode() {
            ClockMode::Real { step_ms } => {
                json!({ "mode": "real", "stepMs": step_ms, "timeScale": self.clock.scale() })
            }
            ClockMode::Manual => json!({ "mode": "manual", "stepMs": MANUAL_STEP_MS }),
        };
        v
    }

    /// Appends a served call to the request log.
    pub(super) fn record(
        &self,
        service: AwsService,
        operation: &str,
        status: Option<u16>,
        error: Option<String>,
        fault: Option<FaultKind>,
    ) {
        let mut log = lock(&self.log);
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        log.push(RequestRecord {
            seq,
            service,
            operation: operation.to_string(),
            status,
            error,
            fault,
            time: wall_ms() as f64 / 1000.0,
        });
    }

    /// Parks a call until it is released (a `hold` fault). The receiver resolves on release, or
    /// errs when the hold list is dropped; either way the call then proceeds.
    pub(super) fn hold(&self, operation: &str) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        lock(&self.held).push(Held {
            operation: operation.to_string(),
            release: tx,
        });
        rx
    }

    /// What the fault plan does to this call.
    pub(super) fn decide_fault(&self, service: AwsService, operation: &str) -> Decision {
        lock(&self.faults).decide(service, operation)
    }

    /// Serves one AWS call against the account, at the current emulated time.
    pub(super) fn call(
        &self,
        service: AwsService,
        operation: &str,
        body: &[u8],
        region: Option<String>,
    ) -> Result<Value, AwsError> {
        let mut state = lock(&self.state);
        state.now_ms = self.clock.now(state.now_ms);
        let ctx = RequestContext {
            region: region.unwrap_or_else(|| state.region.clone()),
            account: state.account.clone(),
            endpoint: self.endpoint.get().cloned(),
        };
        state.call(service, operation, body, &ctx)
    }

    /// Serves one registry API call against the account, at the current emulated time.
    pub(super) fn registry(&self, req: &RegistryRequest) -> RegistryResponse {
        let mut state = lock(&self.state);
        state.now_ms = self.clock.now(state.now_ms);
        // Registry calls carry no SigV4 scope: ARNs and URIs use the world's region.
        let ctx = RequestContext {
            region: state.region.clone(),
            account: state.account.clone(),
            endpoint: self.endpoint.get().cloned(),
        };
        let now_ms = state.now_ms;
        crate::registry::serve(&mut state.ecr, req, &ctx, now_ms)
    }

    /// The world's account id.
    pub(super) fn account(&self) -> String {
        lock(&self.state).account.clone()
    }

    /// Records the URL the server listens on (the first call wins: one server per `Shared`).
    pub(super) fn set_endpoint(&self, url: String) {
        let _ = self.endpoint.set(url);
    }

    /// The clock the server runs on.
    pub(super) fn clock(&self) -> &ClockMode {
        self.clock.mode()
    }

    /// Emulated time now, epoch milliseconds.
    pub(super) fn now_ms(&self) -> i64 {
        lock(&self.state).now_ms
    }

    /// Puts every alarm a running service deployment watches into ALARM (an `alarm` fault).
    pub(super) fn trip_watched_alarms(&self) -> Vec<String> {
        lock(&self.state).ecs.trip_watched_alarms()
    }

    /// Sets a CloudWatch alarm's state (created if new).
    pub(crate) fn set_alarm(&self, name: &str, alarm: AlarmState) {
        lock(&self.state).ecs.alarms.insert(name.to_string(), alarm);
    }

    /// Sets what a Lambda function answers when a lifecycle hook invokes it.
    pub(crate) fn set_lambda_result(&self, function_arn: &str, result: LambdaResult) {
        lock(&self.state)
            .ecs
            .lambdas
            .insert(function_arn.to_string(), result);
    }

    /// The alarms known to the emulator: the state set, and the state deployments see (ALARM
    /// also while a task runs an image that trips it).
    pub(super) fn alarms_json(&self) -> Value {
        let state = lock(&self.state);
        let firing = state.ecs.firing_alarms();
        let mut names: Vec<&String> = state.ecs.alarms.keys().chain(&firing).collect();
        names.sort();
        names.dedup();
        let alarms: Vec<Value> = names
            .into_iter()
            .map(|name| {
                let set = state.ecs.alarms.get(name).copied().unwrap_or_default();
                let seen = if firing.contains(name) {
                    AlarmState::Alarm
                } else {
                    set
                };
                json!({ "alarmName": name, "state": seen.as_str(), "setState": set.as_str() })
            })
            .collect();
        json!({ "alarms": alarms })
    }

    /// The scripted Lambda functions.
    pub(super) fn lambdas_json(&self) -> Value {
        let state = lock(&self.state);
        let functions: Vec<Value> = state
            .ecs
            .lambdas
            .iter()
            .map(|(arn, result)| json!({ "functionArn": arn, "result": result.as_str() }))
            .collect();
        json!({ "lambdaFunctions": functions })
    }

    /// The fault plan in force and how often each rule fired, as `GET /_emulator/faults` shows it.
    pub(super) fn faults_json(&self) -> Value {
        let f = lock(&self.faults);
        json!({ "plan": f.plan(), "injected": f.counts() })
    }

    /// A fresh `x-amzn-RequestId`.
    pub(super) fn request_id(&self) -> String {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed);
        SplitMix64::new(n ^ 0xA5A5_5A5A).uuid()
    }
}
