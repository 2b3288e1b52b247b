//! HTTP: the AWS JSON 1.1 endpoint on `POST /`, the admin API under `/_emulator/`, the request
//! log, fault application and the clock task. Built on hyper directly because a dropped-connection
//! fault must close the socket without writing any response.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::faults::{FaultKind, FaultPlan, FaultState};
use crate::ids::SplitMix64;
use crate::protocol::{self, AwsService, RequestContext};
use crate::state::State;
use crate::world::{World, WorldError};
use crate::{ClockMode, Options};

/// Largest request body accepted (ECR manifests are at most 4 MiB).
const MAX_BODY: usize = 16 << 20;
/// Emulated time one manual-clock step represents.
pub(crate) const MANUAL_STEP_MS: u64 = 1000;

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
    clock: ClockMode,
    faults: Mutex<FaultState>,
    log: Mutex<Vec<RequestRecord>>,
    seq: AtomicU64,
    held: Mutex<Vec<Held>>,
    request_ids: AtomicU64,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the state stays usable:
/// every operation validates before it mutates).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Shared {
    pub(crate) fn new(world: World, options: &Options) -> Result<Arc<Shared>, WorldError> {
        let state = State::load(&world, wall_ms())?;
        Ok(Arc::new(Shared {
            world: Mutex::new(world),
            state: Mutex::new(state),
            clock: options.clock.clone(),
            faults: Mutex::new(FaultState::new(options.faults.clone().unwrap_or_default())),
            log: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
            held: Mutex::new(Vec::new()),
            request_ids: AtomicU64::new(0),
        }))
    }

    fn step_ms(&self) -> u64 {
        match self.clock {
            ClockMode::Real { step_ms } => step_ms.max(1),
            ClockMode::Manual => MANUAL_STEP_MS,
        }
    }

    /// Runs `steps` rollout steps now.
    pub(crate) fn advance(&self, steps: u64) -> u64 {
        let mut state = lock(&self.state);
        for _ in 0..steps {
            match self.clock {
                ClockMode::Manual => state.now_ms += MANUAL_STEP_MS as i64,
                ClockMode::Real { .. } => state.now_ms = state.now_ms.max(wall_ms()),
            }
            state.step();
        }
        state.steps
    }

    /// Steps covering `ms` of emulated time (rounded up).
    pub(crate) fn advance_ms(&self, ms: u64) -> u64 {
        let step = self.step_ms();
        self.advance(ms.div_ceil(step))
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
            *lock(&self.state) = state;
        }
    }

    pub(crate) fn load_world(&self, world: World) -> Result<(), WorldError> {
        let state = State::load(&world, wall_ms())?;
        *lock(&self.world) = world;
        *lock(&self.state) = state;
        Ok(())
    }

    pub(crate) fn state_json(&self) -> Value {
        let mut v = lock(&self.state).dump();
        v["held"] = json!(self.held());
        v["clock"] = match self.clock {
            ClockMode::Real { step_ms } => json!({ "mode": "real", "stepMs": step_ms }),
            ClockMode::Manual => json!({ "mode": "manual", "stepMs": MANUAL_STEP_MS }),
        };
        v
    }

    fn record(
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

    fn request_id(&self) -> String {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed);
        SplitMix64::new(n ^ 0xA5A5_5A5A).uuid()
    }
}

/// The error that makes hyper close a connection without answering (dropped-connection fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
pub(crate) struct DropConnection;

type Resp = Response<Full<Bytes>>;

fn json_response(status: u16, body: &Value, content_type: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn admin_json(status: u16, body: &Value) -> Resp {
    json_response(status, body, "application/json")
}

fn aws_response(shared: &Shared, status: u16, body: &Value, error_type: Option<&str>) -> Resp {
    let mut r = json_response(status, body, "application/x-amz-json-1.1");
    if let Ok(v) = HeaderValue::from_str(&shared.request_id()) {
        r.headers_mut().insert("x-amzn-RequestId", v);
    }
    if let Some(code) = error_type
        && let Ok(v) = HeaderValue::from_str(code)
    {
        r.headers_mut().insert("x-amzn-ErrorType", v);
    }
    r
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, String> {
    Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| e.to_string())
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, DropConnection> {
    let path = req.uri().path().to_string();
    if path == "/" {
        if req.method() != Method::POST {
            return Ok(admin_json(
                405,
                &json!({ "error": "AWS JSON 1.1 calls are POST /" }),
            ));
        }
        return handle_aws(shared, req).await;
    }
    if let Some(admin) = path.strip_prefix("/_emulator/") {
        let method = req.method().clone();
        let admin = admin.trim_end_matches('/').to_string();
        let body = match read_body(req).await {
            Ok(b) => b,
            Err(e) => return Ok(admin_json(400, &json!({ "error": e }))),
        };
        return Ok(handle_admin(&shared, &method, &admin, &body));
    }
    Ok(admin_json(
        404,
        &json!({ "error": format!("no route for {path}") }),
    ))
}

#[derive(Deserialize)]
struct AdvanceIn {
    steps: Option<u64>,
    ms: Option<u64>,
}

#[derive(Deserialize)]
struct ReleaseIn {
    operation: Option<String>,
}

fn parse_or_empty<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

fn handle_admin(shared: &Shared, method: &Method, path: &str, body: &[u8]) -> Resp {
    let bad = |e: String| admin_json(400, &json!({ "error": e }));
    match (method.as_str(), path) {
        ("GET", "requests") => admin_json(200, &json!(shared.requests())),
        ("DELETE", "requests") => admin_json(200, &json!({ "cleared": shared.clear_requests() })),
        ("POST", "reset") => {
            shared.reset();
            admin_json(200, &json!({ "ok": true }))
        }
        ("POST", "world") => {
            let text = String::from_utf8_lossy(body);
            match World::from_json(&text).and_then(|w| shared.load_world(w)) {
                Ok(()) => admin_json(200, &json!({ "ok": true })),
                Err(e) => bad(e.to_string()),
            }
        }
        ("POST", "faults") => match FaultPlan::from_json(&String::from_utf8_lossy(body)) {
            Ok(plan) => {
                shared.set_faults(plan);
                admin_json(200, &json!({ "ok": true }))
            }
            Err(e) => bad(e.to_string()),
        },
        ("GET", "faults") => {
            let f = lock(&shared.faults);
            admin_json(200, &json!({ "plan": f.plan(), "injected": f.counts() }))
        }
        ("POST", "clock/advance") => match parse_or_empty::<AdvanceIn>(body) {
            Ok(AdvanceIn { steps, ms }) => {
                let total = match (steps, ms) {
                    (Some(s), _) => shared.advance(s),
                    (None, Some(ms)) => shared.advance_ms(ms),
                    (None, None) => shared.advance(1),
                };
                let now = lock(&shared.state).now_ms;
                admin_json(200, &json!({ "steps": total, "now": protocol::ts(now) }))
            }
            Err(e) => bad(e),
        },
        ("POST", "release") => match parse_or_empty::<ReleaseIn>(body) {
            Ok(r) => {
                let n = shared.release(r.operation.as_deref().unwrap_or("*"));
                admin_json(200, &json!({ "released": n }))
            }
            Err(e) => bad(e),
        },
        ("GET", "state") => admin_json(200, &shared.state_json()),
        _ => admin_json(
            404,
            &json!({ "error": format!("no admin route {method} /_emulator/{path}") }),
        ),
    }
}

async fn handle_aws(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, DropConnection> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let target = protocol::parse_target(header("x-amz-target").as_deref());
    let region = protocol::region_from_authorization(header("authorization").as_deref());
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(e) => {
            let err = protocol::AwsError::client(
                "SerializationException",
                format!("Cannot read request body: {e}"),
            );
            shared.record(
                target.service,
                &target.operation,
                Some(400),
                Some(err.code.clone()),
                None,
            );
            return Ok(aws_response(&shared, 400, &err.body(), Some(&err.code)));
        }
    };
    let decision = lock(&shared.faults).decide(target.service, &target.operation);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let mut fault = if decision.latency.is_zero() {
        None
    } else {
        Some(FaultKind::Latency)
    };
    match decision.action {
        Some(FaultKind::Throttle) => {
            let err = protocol::AwsError::client("ThrottlingException", "Rate exceeded");
            shared.record(
                target.service,
                &target.operation,
                Some(400),
                Some(err.code.clone()),
                Some(FaultKind::Throttle),
            );
            return Ok(aws_response(&shared, 400, &err.body(), Some(&err.code)));
        }
        Some(FaultKind::ServerError) => {
            let err =
                protocol::AwsError::server("We encountered an internal error. Please try again.");
            shared.record(
                target.service,
                &target.operation,
                Some(500),
                Some(err.code.clone()),
                Some(FaultKind::ServerError),
            );
            return Ok(aws_response(&shared, 500, &err.body(), Some(&err.code)));
        }
        Some(FaultKind::Drop) => {
            shared.record(
                target.service,
                &target.operation,
                None,
                None,
                Some(FaultKind::Drop),
            );
            return Err(DropConnection);
        }
        Some(FaultKind::Hold) => {
            let (tx, rx) = oneshot::channel();
            lock(&shared.held).push(Held {
                operation: target.operation.clone(),
                release: tx,
            });
            // Released, or the hold list was dropped: either way the call proceeds.
            let _ = rx.await;
            fault = Some(FaultKind::Hold);
        }
        Some(FaultKind::Latency) | None => {}
    }
    let result = {
        let mut state = lock(&shared.state);
        if let ClockMode::Real { .. } = shared.clock {
            state.now_ms = state.now_ms.max(wall_ms());
        }
        let ctx = RequestContext {
            region: region.unwrap_or_else(|| state.region.clone()),
            account: state.account.clone(),
        };
        state.call(target.service, &target.operation, &body, &ctx)
    };
    match result {
        Ok(value) => {
            shared.record(target.service, &target.operation, Some(200), None, fault);
            Ok(aws_response(&shared, 200, &value, None))
        }
        Err(err) => {
            shared.record(
                target.service,
                &target.operation,
                Some(err.status),
                Some(err.code.clone()),
                fault,
            );
            Ok(aws_response(
                &shared,
                err.status,
                &err.body(),
                Some(&err.code),
            ))
        }
    }
}

/// Serves until `shutdown` resolves. Connections still open then are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut connections = JoinSet::new();
    let ticker = match shared.clock {
        ClockMode::Real { step_ms } => {
            let shared = shared.clone();
            Some(tokio::spawn(async move {
                let mut interval = tokio::time::interval(Duration::from_millis(step_ms.max(1)));
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                interval.tick().await;
                loop {
                    interval.tick().await;
                    shared.advance(1);
                }
            }))
        }
        ClockMode::Manual => None,
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        eprintln!("tagdeploy-emulator: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
                    // Errors here are client disconnects or dropped-connection faults.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    if let Some(t) = ticker {
        t.abort();
    }
    connections.abort_all();
    shared.release("*");
    Ok(())
}
