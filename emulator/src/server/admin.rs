//! The admin API under `/_emulator/`: the request log, reset, worlds, faults, the clock, held
//! calls, alarms, Lambda answers and the state dump. Documented in `emulator/README.md`.

use hyper::Method;
use serde::Deserialize;
use serde_json::json;

use crate::ecs::{AlarmState, LambdaResult};
use crate::faults::FaultPlan;
use crate::protocol;
use crate::world::World;

use super::shared::Shared;
use super::{Resp, admin_json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceIn {
    steps: Option<u64>,
    ms: Option<u64>,
    seconds: Option<u64>,
    minutes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AlarmIn {
    alarm_name: String,
    state: AlarmState,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LambdaIn {
    function_arn: String,
    result: LambdaResult,
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
            Ok(AdvanceIn {
                steps,
                ms,
                seconds,
                minutes,
            }) => {
                let ms = ms
                    .or(seconds.map(|s| s.saturating_mul(1000)))
                    .or(minutes.map(|m| m.saturating_mul(60_000)));
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
        ("GET", "alarms") => admin_json(200, &shared.alarms_json()),
        ("POST", "alarms") => match parse_or_empty::<AlarmIn>(body) {
            Ok(a) => {
                shared.set_alarm(&a.alarm_name, a.state);
                admin_json(200, &json!({ "ok": true }))
            }
            Err(e) => bad(e),
        },
        ("GET", "lambda-functions") => admin_json(200, &shared.lambdas_json()),
        ("POST", "lambda-functions") => match parse_or_empty::<LambdaIn>(body) {
            Ok(l) => {
                shared.set_lambda_result(&l.function_arn, l.result);
                admin_json(200, &json!({ "ok": true }))
            }
            Err(e) => bad(e),
        },
        _ => admin_json(
            404,
            &json!({ "error": format!("no admin route {method} /_emulator/{path}") }),
        ),
    }
}
