//! The AWS JSON 1.1 endpoint (`POST /`): reads the target and region, applies AWS's rate limits
//! and the fault plan, serves the call against the account, logs it and answers in AWS's
//! envelope.

use std::sync::Arc;

use hyper::Request;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use serde_json::Value;

use crate::faults::FaultKind;
use crate::protocol::{self, AwsError, Target};
use crate::rate_limits::Admission;

use super::shared::Shared;
use super::{DropConnection, Resp, json_response, read_body};

/// An AWS answer: JSON 1.1 content type, a request id, and `x-amzn-ErrorType` when given one.
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
    admission: &Admission,
    err: &AwsError,
    fault: Option<FaultKind>,
) -> Resp {
    shared.record(
        target,
        admission,
        Some(err.status),
        Some(err.code.clone()),
        fault,
    );
    aws_response(shared, err.status, &err.body(), Some(&err.code))
}

/// Logs a throttled call and answers as ECS and ECR do: 400,
/// `{"__type":"ThrottlingException","message":"Rate exceeded"}`, a request id, and no
/// `x-amzn-ErrorType` header (AWS's throttling layer answers before the service, without it;
/// clients read the code from `__type`).
fn throttled_response(
    shared: &Shared,
    target: &Target,
    admission: &Admission,
    fault: Option<FaultKind>,
) -> Resp {
    let err = AwsError::client("ThrottlingException", "Rate exceeded");
    shared.record(
        target,
        admission,
        Some(err.status),
        Some(err.code.clone()),
        fault,
    );
    aws_response(shared, err.status, &err.body(), None)
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
            return Ok(error_response(
                &shared,
                &target,
                &Admission::Unlimited,
                &err,
                None,
            ));
        }
    };
    // AWS throttles before anything else looks at the call; a throttled call takes no token.
    let admission = shared.admit(&target, region.as_deref());
    if let Admission::Throttled { .. } = admission {
        return Ok(throttled_response(&shared, &target, &admission, None));
    }
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
        Some(FaultKind::Throttle) => {
            return Ok(throttled_response(
                &shared,
                &target,
                &admission,
                Some(FaultKind::Throttle),
            ));
        }
        Some(FaultKind::ServerError) => {
            let err = AwsError::server("We encountered an internal error. Please try again.");
            return Ok(error_response(
                &shared,
                &target,
                &admission,
                &err,
                Some(FaultKind::ServerError),
            ));
        }
        Some(FaultKind::Drop) => {
            shared.record(&target, &admission, None, None, Some(FaultKind::Drop));
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
            shared.record(&target, &admission, Some(200), None, fault);
            Ok(aws_response(&shared, 200, &value, None))
        }
        Err(err) => Ok(error_response(&shared, &target, &admission, &err, fault)),
    }
}
