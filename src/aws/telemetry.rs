//! What the provider's AWS clients tell the logs, and the per-call record behind error messages.
//!
//! [`CallObserver`] is an SDK interceptor registered on the ECR and ECS clients. For every
//! attempt of every call it writes one DEBUG event: service, operation, attempt (of how many),
//! HTTP status, AWS request id, error code and duration, e.g.
//! `ECR PutImage answered HTTP 200 in 12 ms (attempt 1 of 5)`. It also fills in the record of
//! the call running in [`super::call::send`], from which a failure says how many attempts were
//! made. The SDK's own events (retry decisions, throttling back-off, credential resolution) are
//! emitted by the SDK through `tracing`; the provider's log layer shows both under the
//! `tagdeploy.aws-sdk` module (see `src/main.rs`).

use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, Error, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::request_id::RequestId;

use super::call::{self, CallRecord};
use super::error::CallFailure;

/// The interceptor that logs every attempt of every call and records it for error messages.
#[derive(Debug, Default, Clone, Copy)]
pub struct CallObserver;

/// When the current attempt started.
#[derive(Debug, Clone, Copy)]
struct AttemptStarted(Instant);

impl Storable for AttemptStarted {
    type Storer = StoreReplace<Self>;
}

/// Where the current attempt went (`host:port`).
#[derive(Debug, Clone)]
struct AttemptEndpoint(Option<String>);

impl Storable for AttemptEndpoint {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallObserver {
    fn name(&self) -> &'static str {
        "tagdeploy::CallObserver"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(AttemptStarted(Instant::now()));
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Known only now: endpoint resolution runs inside the attempt.
        cfg.interceptor_state()
            .store_put(AttemptEndpoint(host_of(context.request().uri())));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let seen = Attempt {
            attempt: cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()),
            max_attempts: cfg
                .load::<RetryConfig>()
                .map_or(0, RetryConfig::max_attempts),
            status: response.map(|r| r.status().as_u16()),
            request_id: response
                .and_then(|r| r.headers().request_id())
                .map(str::to_owned),
            millis: cfg
                .load::<AttemptStarted>()
                .map(|s| s.0.elapsed().as_millis()),
        };
        let timeouts = cfg.load::<TimeoutConfig>();
        let record = CallRecord {
            attempts: seen.attempt,
            max_attempts: seen.max_attempts,
            endpoint: cfg.load::<AttemptEndpoint>().and_then(|e| e.0.clone()),
            request_id: seen.request_id.clone(),
            attempt_timeout: timeouts.and_then(TimeoutConfig::operation_attempt_timeout),
            connect_timeout: timeouts.and_then(TimeoutConfig::connect_timeout),
        };
        call::note(|r| {
            // Keep the last request id AWS gave when this attempt got no answer.
            let request_id = record.request_id.clone().or(r.request_id.take());
            *r = CallRecord {
                request_id,
                ..record.clone()
            };
        });
        let (service, operation) = cfg
            .load::<Metadata>()
            .map_or(("AWS", "call"), |m| (m.service(), m.name()));
        seen.log(
            service,
            operation,
            context.output_or_error().and_then(Result::err),
            response,
            &record,
        );
        Ok(())
    }
}

/// What one attempt looked like from outside.
struct Attempt {
    attempt: u32,
    max_attempts: u32,
    status: Option<u16>,
    request_id: Option<String>,
    millis: Option<u128>,
}

impl Attempt {
    fn log(
        &self,
        service: &str,
        operation: &str,
        error: Option<&OrchestratorError<Error>>,
        response: Option<&HttpResponse>,
        record: &CallRecord,
    ) {
        let of = if self.max_attempts > 0 {
            format!(" of {}", self.max_attempts)
        } else {
            String::new()
        };
        let (took, after) = match self.millis {
            Some(ms) => (format!(" in {ms} ms"), format!(" (after {ms} ms)")),
            None => (String::new(), String::new()),
        };
        match error {
            None => tracing::debug!(
                aws.service = service,
                aws.operation = operation,
                aws.attempt = self.attempt,
                aws.request_id = self.request_id.as_deref(),
                http.status_code = self.status,
                http.duration_ms = self.millis.map(|ms| ms as u64),
                "{service} {operation} answered HTTP {}{took} (attempt {}{of})",
                self.status.unwrap_or_default(),
                self.attempt,
            ),
            Some(error) => {
                let failure = attempt_failure(error, response, record);
                tracing::debug!(
                    aws.service = service,
                    aws.operation = operation,
                    aws.attempt = self.attempt,
                    aws.request_id = self.request_id.as_deref(),
                    aws.error_code = failure.code(),
                    http.status_code = self.status,
                    http.duration_ms = self.millis.map(|ms| ms as u64),
                    "{service} {operation} attempt {}{of} {failure}{after}",
                    self.attempt,
                );
            }
        }
    }
}

/// What went wrong in one attempt, in the words of [`CallFailure`].
fn attempt_failure(
    error: &OrchestratorError<Error>,
    response: Option<&HttpResponse>,
    record: &CallRecord,
) -> CallFailure {
    if let Some(connector) = error.as_connector_error() {
        return call::transport(connector, record);
    }
    if error.is_timeout_error() {
        return CallFailure::AnswerTimedOut {
            after: record.attempt_timeout,
        };
    }
    match response {
        Some(response) if error.is_operation_error() => {
            let (code, message) = error_code(response);
            call::answered(
                response.status().as_u16(),
                code.as_deref(),
                message.as_deref(),
            )
        }
        _ => CallFailure::Other {
            reason: call::chain(error),
        },
    }
}

/// The AWS error code and message of a JSON-protocol error answer (ECR and ECS speak
/// `awsJson1_1`): the `x-amzn-ErrorType` header, else the body's `__type`, each without its
/// namespace and trailing `:…` part.
fn error_code(response: &HttpResponse) -> (Option<String>, Option<String>) {
    let body: Option<serde_json::Value> = response
        .body()
        .bytes()
        .and_then(|b| serde_json::from_slice(b).ok());
    let field = |name: &str| {
        body.as_ref()
            .and_then(|b| b.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let raw = response
        .headers()
        .get("x-amzn-errortype")
        .map(str::to_owned)
        .or_else(|| field("__type"))
        .or_else(|| field("code"));
    let code = raw.map(|raw| {
        let name = raw.split(':').next().unwrap_or_default();
        name.rsplit('#').next().unwrap_or(name).to_owned()
    });
    (code, field("message").or_else(|| field("Message")))
}

/// `host[:port]` of a URI, for messages: never the path or query (which may carry a presigned
/// signature).
fn host_of(uri: &str) -> Option<String> {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Userinfo never belongs in a log.
    let host = host.rsplit('@').next().unwrap_or(host);
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn hosts_never_carry_paths_queries_or_userinfo() {
        assert_eq!(
            host_of("http://127.0.0.1:4566/").as_deref(),
            Some("127.0.0.1:4566")
        );
        assert_eq!(
            host_of("https://user:pw@ecr.eu-west-1.amazonaws.com/?X-Amz-Signature=abc").as_deref(),
            Some("ecr.eu-west-1.amazonaws.com")
        );
        assert_eq!(host_of(""), None);
    }

    #[test]
    fn error_codes_come_from_the_header_or_the_body() {
        let response = |header: Option<&str>, body: &str| {
            let mut r = HttpResponse::new(
                StatusCode::try_from(400).expect("status"),
                SdkBody::from(body.to_owned()),
            );
            if let Some(h) = header {
                r.headers_mut().insert("x-amzn-ErrorType", h.to_owned());
            }
            r
        };
        assert_eq!(
            error_code(&response(
                Some("ThrottlingException:http://internal.amazon.com/"),
                "{\"message\":\"Rate exceeded\"}"
            )),
            (
                Some("ThrottlingException".to_owned()),
                Some("Rate exceeded".to_owned())
            )
        );
        assert_eq!(
            error_code(&response(
                None,
                "{\"__type\":\"com.amazonaws.ecr#RepositoryNotFoundException\",\"Message\":\"gone\"}"
            )),
            (
                Some("RepositoryNotFoundException".to_owned()),
                Some("gone".to_owned())
            )
        );
        assert_eq!(error_code(&response(None, "not json")), (None, None));
    }
}
