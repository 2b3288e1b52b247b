//! The admin API under `/_emulator/`: the request log, reset, worlds, faults, the clock, held
//! calls and the state dump. Documented in `emulator/README.md`.

use hyper::Method;
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultPlan;
use crate::protocol;
use crate::world::World;

use super::shared::Shared;
use super::{Resp, admin_json};

#[derive(Deserialize)]
struct AdvanceIn {
    steps: Option<u64>,
    ms: Option<u64>,
}

#[derive(Deserialize)]
struct ReleaseIn {
    operation: Option<String>,
}

/// Parses an admin body; an empty body means `{}`.
fn parse_or_empty<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// Serves `METHOD /_emulator/<path>`.
pub(super) fn handle(shared: &Shared, method: &Method, path: &str, body: &[u8]) -> Resp {
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
        ("GET", "faults") => admin_json(200, &shared.faults_json()),
        ("POST", "clock/advance") => match parse_or_empty::<AdvanceIn>(body) {
            Ok(AdvanceIn { steps, ms }) => {
                let total = match (steps, ms) {
                    (Some(s), _) => shared.advance(s),
                    (None, Some(ms)) => shared.advance_ms(ms),
                    (None, None) => shared.advance(1),
                };
                let now = shared.now_ms();
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
