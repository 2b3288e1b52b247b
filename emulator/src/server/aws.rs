//! The AWS JSON 1.1 endpoint (`POST /`): reads the target and region, applies the fault plan,
//! serves the call against the account, logs it and answers in AWS's envelope.

use std::sync::Arc;

use hyper::Request;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use serde_json::Value;

use crate::faults::FaultKind;
use crate::protocol::{self, AwsError, Target};

use super::shared::Shared;
use super::{DropConnection, Resp, json_response, read_body};

/// An AWS answer: JSON 1.1 content type, a request id, and `x-amzn-ErrorType` on errors.
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

/// Logs a failed call and answers with the error's envelope.
fn error_response(
    shared: &Shared,
    target: &Target,
    err: &AwsError,
    fault: Option<FaultKind>,
) -> Resp {
    shared.record(
        target.service,
        &target.operation,
        Some(err.status),
        Some(err.code.clone()),
        fault,
    );
    aws_response(shared, err.status, &err.body(), Some(&err.code))
}

/// Serves one AWS call.
pub(super) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Resp, DropConnection> {
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
            let err = AwsError::client(
                "SerializationException",
                format!("Cannot read request body: {e}"),
            );
            return Ok(error_response(&shared, &target, &err, None));
        }
    };
    let decision = shared.decide_fault(target.service, &target.operation);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let mut fault = if decision.latency.is_zero() {
        None
    } else {
        Some(FaultKind::Latency)
    };
    if decision.alarm {
        // The alarms go off before the call is served, whatever then happens to the call.
        shared.trip_watched_alarms();
        fault = Some(FaultKind::Alarm);
    }
    match decision.action {
        Some(kind @ (FaultKind::Throttle | FaultKind::ServerError)) => {
            let err = if kind == FaultKind::Throttle {
                AwsError::client("ThrottlingException", "Rate exceeded")
            } else {
                AwsError::server("We encountered an internal error. Please try again.")
            };
            return Ok(error_response(&shared, &target, &err, Some(kind)));
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
            // Released, or the hold list was dropped: either way the call proceeds.
            let _ = shared.hold(&target.operation).await;
            fault = Some(FaultKind::Hold);
        }
        Some(FaultKind::Latency | FaultKind::Alarm) | None => {}
    }
    match shared.call(target.service, &target.operation, &body, region) {
        Ok(value) => {
            shared.record(target.service, &target.operation, Some(200), None, fault);
            Ok(aws_response(&shared, 200, &value, None))
        }
        Err(err) => Ok(error_response(&shared, &target, &err, fault)),
    }
}
