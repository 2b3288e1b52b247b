//! Sending one SDK call and, when it fails, saying what happened.
//!
//! [`send`] runs the call with a per-call record that [`super::telemetry::CallObserver`]
//! (registered on the provider's clients) fills in as the SDK works: attempts made and allowed,
//! the endpoint, the last request id, the timeouts in force. A failure becomes a [`Failed`],
//! which keeps the SDK's typed error for the service errors the domain interprets
//! ([`Failed::interpret`]) and turns everything else into an [`ApiError`] sentence, classified
//! from the SDK's error variants, the connector error's kind and the typed errors in its
//! source chain (never from message text).

use std::cell::RefCell;
use std::error::Error as StdError;
use std::future::Future;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_runtime::retries::classifiers::THROTTLING_ERRORS;
use aws_smithy_runtime_api::client::endpoint::error::ResolveEndpointError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;

use super::error::{ApiError, Attempts, CallFailure, Service};

tokio::task_local! {
    /// The record of the call [`send`] is running in this task, if any.
    static RECORD: RefCell<CallRecord>;
}

/// What the SDK did during one call, as far as the observer saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRecord {
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts the retry configuration allows.
    pub max_attempts: u32,
    /// `host:port` the last attempt went to.
    pub endpoint: Option<String>,
    /// The request id of the last answer.
    pub request_id: Option<String>,
    /// The per-attempt timeout in force.
    pub attempt_timeout: Option<Duration>,
    /// The connect timeout in force.
    pub connect_timeout: Option<Duration>,
}

/// Updates the record of the call running in this task; nothing when there is none (a call
/// not made through [`send`]).
pub fn note(update: impl FnOnce(&mut CallRecord)) {
    let _ = RECORD.try_with(|record| update(&mut record.borrow_mut()));
}

/// A failed SDK call of `service`'s `operation`, with what the observer recorded.
#[derive(Debug)]
pub struct Failed<E> {
    service: Service,
    operation: &'static str,
    error: SdkError<E, HttpResponse>,
    record: CallRecord,
}

/// Runs one SDK call (`builder.send()`) of `service`'s `operation`.
pub async fn send<T, E>(
    service: Service,
    operation: &'static str,
    call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<T, Failed<E>> {
    let (result, record) = RECORD
        .scope(RefCell::new(CallRecord::default()), async {
            let result = call.await;
            (result, RECORD.with(|r| r.take()))
        })
        .await;
    result.map_err(|error| Failed {
        service,
        operation,
        error,
        record,
    })
}

impl<E> Failed<E>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    /// The service's typed error, when AWS answered with one.
    pub fn service_error(&self) -> Option<&E> {
        self.error.as_service_error()
    }

    /// The domain error `known` makes of the service's typed error (e.g. a
    /// `RepositoryNotFoundException`), or else the [`ApiError`].
    pub fn interpret<D: From<ApiError>>(self, known: impl FnOnce(&E) -> Option<D>) -> D {
        match self.service_error().and_then(known) {
            Some(domain) => domain,
            None => self.into_api().into(),
        }
    }

    /// The failure as an [`ApiError`].
    pub fn into_api(self) -> ApiError {
        let record = self.record;
        let request_id = self
            .error
            .raw_response()
            .and_then(|r| r.headers().request_id())
            .map(str::to_owned)
            .or_else(|| record.request_id.clone());
        let failure = classify(&self.error, &record);
        ApiError {
            service: self.service,
            operation: self.operation,
            failure,
            attempts: Attempts {
                made: record.attempts,
                allowed: record.max_attempts,
            },
            request_id,
        }
    }
}

/// What an SDK error says happened.
fn classify<E>(error: &SdkError<E, HttpResponse>, record: &CallRecord) -> CallFailure
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            answered(status, service.err().code(), service.err().message())
        }
        SdkError::TimeoutError(_) => CallFailure::AnswerTimedOut {
            after: record.attempt_timeout,
        },
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(connector) => transport(connector, record),
            None => CallFailure::Other {
                reason: chain(error),
            },
        },
        SdkError::ResponseError(response) => CallFailure::UnreadableAnswer {
            status: Some(response.raw().status().as_u16()),
            reason: chain(error),
        },
        // Construction failures (a request that cannot be built) and future variants.
        _ => CallFailure::Other {
            reason: chain(error),
        },
    }
}

/// An error AWS answered with, by status and error code.
pub fn answered(status: u16, code: Option<&str>, message: Option<&str>) -> CallFailure {
    let (code, message) = (code.map(str::to_owned), message.map(str::to_owned));
    match code {
        Some(code) if THROTTLING_ERRORS.contains(&code.as_str()) => {
            CallFailure::Throttled { code, message }
        }
        code if status >= 500 => CallFailure::ServerError {
            status,
            code,
            message,
        },
        code => CallFailure::Rejected {
            code,
            message,
            status: Some(status),
        },
    }
}

/// A failure to dispatch the request: credentials, endpoint, or the connection.
pub fn transport(error: &ConnectorError, record: &CallRecord) -> CallFailure {
    let endpoint = record.endpoint.clone();
    // Credentials and endpoint resolution fail before anything is sent; the SDK reports them as
    // dispatch failures whose source is the typed error.
    if let Some(credentials) = find::<CredentialsError>(error) {
        return CallFailure::Credentials {
            reason: chain(credentials),
        };
    }
    if let Some(resolve) = find::<ResolveEndpointError>(error) {
        return CallFailure::Endpoint {
            reason: chain(resolve),
        };
    }
    if error.is_timeout() {
        return CallFailure::ConnectTimedOut {
            endpoint,
            after: record.connect_timeout,
        };
    }
    if let Some(io) = find::<std::io::Error>(error) {
        use std::io::ErrorKind::*;
        match io.kind() {
            ConnectionRefused => return CallFailure::ConnectionRefused { endpoint },
            ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                return CallFailure::ConnectionClosed { endpoint };
            }
            TimedOut => {
                return CallFailure::ConnectTimedOut {
                    endpoint,
                    after: record.connect_timeout,
                };
            }
            _ => {}
        }
    }
    if let Some(hyper) = find::<hyper::Error>(error) {
        if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
            return CallFailure::ConnectionClosed { endpoint };
        }
        if hyper.is_timeout() {
            return CallFailure::AnswerTimedOut {
                after: record.attempt_timeout,
            };
        }
    }
    CallFailure::ConnectionFailed {
        endpoint,
        reason: chain(error),
    }
}

/// The first error of type `T` in `error`'s source chain (itself included).
fn find<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<T>() {
            return Some(found);
        }
        next = current.source();
    }
    None
}

/// The messages of `error` and its sources, joined by ": ", without repeats or empty parts
/// (several layers wrap one cause, and some say nothing of their own).
pub fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        let text = text.trim();
        // Wrappers often repeat their source's text in their own: keep the longer, once.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_owned());
        }
        next = current.source();
    }
    if parts.is_empty() {
        "no details given".to_owned()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Layer {
        text: &'static str,
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    }

    fn layers(texts: &[&'static str], root: Box<dyn StdError + Send + Sync>) -> Layer {
        let mut error = Layer {
            text: texts[texts.len() - 1],
            source: Some(root),
        };
        for text in texts[..texts.len() - 1].iter().rev() {
            error = Layer {
                text,
                source: Some(Box::new(error)),
            };
        }
        error
    }

    #[test]
    fn chains_skip_empty_and_repeated_messages() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let error = layers(
            &["dispatch failure", "", "client error (Connect)"],
            Box::new(io),
        );
        assert_eq!(
            chain(&error),
            "dispatch failure: client error (Connect): Connection refused"
        );
    }

    #[test]
    fn io_kinds_decide_refused_and_closed() {
        let record = CallRecord {
            endpoint: Some("127.0.0.1:9".into()),
            ..CallRecord::default()
        };
        let refused = ConnectorError::io(Box::new(layers(
            &["tcp connect error"],
            Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        )));
        assert_eq!(
            transport(&refused, &record),
            CallFailure::ConnectionRefused {
                endpoint: Some("127.0.0.1:9".into())
            }
        );
        let reset = ConnectorError::io(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert!(matches!(
            transport(&reset, &record),
            CallFailure::ConnectionClosed { .. }
        ));
        let timeout =
            ConnectorError::timeout(Box::new(std::io::Error::from(std::io::ErrorKind::Other)));
        assert!(matches!(
            transport(&timeout, &record),
            CallFailure::ConnectTimedOut { .. }
        ));
    }

    #[test]
    fn credentials_and_endpoint_failures_are_named() {
        let record = CallRecord::default();
        let credentials = ConnectorError::other(
            Box::new(CredentialsError::not_loaded(
                "no providers in chain provided credentials",
            )),
            None,
        );
        assert!(matches!(
            transport(&credentials, &record),
            CallFailure::Credentials { reason } if reason.contains("no providers")
        ));
        let endpoint = ConnectorError::other(
            Box::new(ResolveEndpointError::message("A region must be set")),
            None,
        );
        assert_eq!(
            transport(&endpoint, &record),
            CallFailure::Endpoint {
                reason: "A region must be set".into()
            }
        );
    }

    #[test]
    fn answers_are_classified_by_code_and_status() {
        assert!(matches!(
            answered(400, Some("ThrottlingException"), Some("Rate exceeded")),
            CallFailure::Throttled { .. }
        ));
        assert!(matches!(
            answered(503, Some("ServiceUnavailableException"), None),
            CallFailure::ServerError { status: 503, .. }
        ));
        assert!(matches!(
            answered(400, Some("AccessDeniedException"), None),
            CallFailure::Rejected { .. }
        ));
    }
}
