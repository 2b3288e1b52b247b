//! Errors of the domain layer: what failed, on which resource, and why, as sentences.
//!
//! An AWS call the domain does not interpret further is an [`ApiError`]: which service and
//! operation, what happened ([`CallFailure`]: throttled, failed inside AWS, connection refused or
//! closed, timed out, no credentials, …), how many attempts the SDK made, and the request id.
//! It is built from the SDK's typed error in [`super::call`], never from message text.

use std::fmt;
use std::time::Duration;

use super::image::{Digest, RepositoryRef};

/// The AWS service a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Amazon ECR.
    Ecr,
    /// Amazon ECS.
    Ecs,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Ecr => "ECR",
            Service::Ecs => "ECS",
        })
    }
}

/// How many attempts the SDK made at a call, and how many it was allowed (0: not known, e.g.
/// a client built without [`super::telemetry::CallObserver`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Attempts made.
    pub made: u32,
    /// Attempts the retry configuration allowed.
    pub allowed: u32,
}

/// What went wrong with one AWS call, said without the service and operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// AWS answered with an error that is not throttling and not a server error (e.g.
    /// `AccessDeniedException`).
    Rejected {
        /// The AWS error code.
        code: Option<String>,
        /// AWS's message.
        message: Option<String>,
        /// The HTTP status.
        status: Option<u16>,
    },
    /// AWS throttled the call.
    Throttled {
        /// The AWS error code, e.g. `ThrottlingException`.
        code: String,
        /// AWS's message.
        message: Option<String>,
    },
    /// AWS failed on its side (HTTP 5xx).
    ServerError {
        /// The HTTP status.
        status: u16,
        /// The AWS error code.
        code: Option<String>,
        /// AWS's message.
        message: Option<String>,
    },
    /// Nothing listens at the endpoint.
    ConnectionRefused {
        /// `host:port` of the endpoint, when known.
        endpoint: Option<String>,
    },
    /// The connection closed before the answer arrived.
    ConnectionClosed {
        /// `host:port` of the endpoint, when known.
        endpoint: Option<String>,
    },
    /// Any other failure to connect or to exchange bytes (name resolution, TLS, …).
    ConnectionFailed {
        /// `host:port` of the endpoint, when known.
        endpoint: Option<String>,
        /// What the transport said.
        reason: String,
    },
    /// Connecting took too long.
    ConnectTimedOut {
        /// `host:port` of the endpoint, when known.
        endpoint: Option<String>,
        /// The connect timeout, when known.
        after: Option<Duration>,
    },
    /// The answer took too long.
    AnswerTimedOut {
        /// The per-attempt timeout, when known.
        after: Option<Duration>,
    },
    /// The call could not be signed: no usable credentials.
    Credentials {
        /// Why the credentials could not be loaded.
        reason: String,
    },
    /// No endpoint could be worked out (e.g. no region configured).
    Endpoint {
        /// Why.
        reason: String,
    },
    /// AWS answered, but the answer could not be read.
    UnreadableAnswer {
        /// The HTTP status.
        status: Option<u16>,
        /// What the SDK said.
        reason: String,
    },
    /// Anything else.
    Other {
        /// What the SDK said.
        reason: String,
    },
}

fn code_and_message(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message.filter(|m| !m.is_empty())) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        (None, Some(message)) => message.to_owned(),
        (None, None) => "no error code".to_owned(),
    }
}

fn endpoint(endpoint: &Option<String>) -> &str {
    endpoint.as_deref().unwrap_or("the endpoint")
}

fn seconds(after: &Option<Duration>) -> String {
    match after {
        Some(d) if d.subsec_millis() == 0 => format!(" within {}s", d.as_secs()),
        Some(d) => format!(" within {} ms", d.as_millis()),
        None => String::new(),
    }
}

impl fmt::Display for CallFailure {
    /// A predicate completing "ECR PutImage …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallFailure::Rejected {
                code,
                message,
                status,
            } => match (code, message, status) {
                (None, None, Some(status)) => write!(f, "was rejected with HTTP {status}"),
                _ => write!(
                    f,
                    "was rejected ({})",
                    code_and_message(code.as_deref(), message.as_deref())
                ),
            },
            CallFailure::Throttled { code, message } => write!(
                f,
                "was throttled by AWS ({})",
                code_and_message(Some(code), message.as_deref())
            ),
            CallFailure::ServerError {
                status,
                code,
                message,
            } => write!(
                f,
                "failed inside AWS (HTTP {status}, {})",
                code_and_message(code.as_deref(), message.as_deref())
            ),
            CallFailure::ConnectionRefused { endpoint: e } => write!(
                f,
                "could not connect to {}: the connection was refused",
                endpoint(e)
            ),
            CallFailure::ConnectionClosed { endpoint: e } => write!(
                f,
                "got no answer: the connection to {} closed before the answer arrived",
                endpoint(e)
            ),
            CallFailure::ConnectionFailed {
                endpoint: e,
                reason,
            } => write!(f, "could not talk to {}: {reason}", endpoint(e)),
            CallFailure::ConnectTimedOut { endpoint: e, after } => write!(
                f,
                "could not connect to {}{}",
                endpoint(e),
                match after {
                    Some(_) => seconds(after),
                    None => ": connecting timed out".to_owned(),
                }
            ),
            CallFailure::AnswerTimedOut { after } => match after {
                Some(_) => write!(f, "got no answer{}", seconds(after)),
                None => f.write_str("timed out waiting for the answer"),
            },
            CallFailure::Credentials { reason } => {
                write!(
                    f,
                    "could not be signed: no usable AWS credentials ({reason})"
                )
            }
            CallFailure::Endpoint { reason } => write!(f, "has no endpoint to call: {reason}"),
            CallFailure::UnreadableAnswer { status, reason } => match status {
                Some(status) => write!(
                    f,
                    "got an answer it could not read (HTTP {status}): {reason}"
                ),
                None => write!(f, "got an answer it could not read: {reason}"),
            },
            CallFailure::Other { reason } => write!(f, "failed: {reason}"),
        }
    }
}

impl CallFailure {
    /// The AWS error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallFailure::Rejected { code, .. } | CallFailure::ServerError { code, .. } => {
                code.as_deref()
            }
            CallFailure::Throttled { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the same call may well succeed later: throttling, a failure inside AWS, a
    /// connection that failed or timed out. (Not: a rejection, missing credentials or endpoint.)
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CallFailure::Throttled { .. }
                | CallFailure::ServerError { .. }
                | CallFailure::ConnectionRefused { .. }
                | CallFailure::ConnectionClosed { .. }
                | CallFailure::ConnectionFailed { .. }
                | CallFailure::ConnectTimedOut { .. }
                | CallFailure::AnswerTimedOut { .. }
        )
    }
}

/// An AWS call that failed in a way the domain does not interpret further:
/// `ECR PutImage was throttled by AWS (ThrottlingException: Rate exceeded); all 5 attempts
/// failed (last request id 5f0c…)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service} {operation} {failure}{}", self.tail())]
pub struct ApiError {
    /// The service called.
    pub service: Service,
    /// The AWS operation, e.g. `PutImage`.
    pub operation: &'static str,
    /// What went wrong.
    pub failure: CallFailure,
    /// How many attempts the SDK made.
    pub attempts: Attempts,
    /// The request id of the last attempt AWS answered.
    pub request_id: Option<String>,
}

impl ApiError {
    /// The AWS error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        self.failure.code()
    }

    /// See [`CallFailure::is_transient`].
    pub fn is_transient(&self) -> bool {
        self.failure.is_transient()
    }

    /// `; all 5 attempts failed (last request id …)`, or what of it is known.
    fn tail(&self) -> String {
        let Attempts { made, allowed } = self.attempts;
        let attempts = if made > 1 && made == allowed {
            format!("; all {made} attempts failed")
        } else if made > 1 {
            format!("; it failed after {made} attempts")
        } else {
            String::new()
        };
        let request = match &self.request_id {
            Some(id) if made > 1 => format!(" (last request id {id})"),
            Some(id) => format!(" (request id {id})"),
            None => String::new(),
        };
        format!("{attempts}{request}")
    }
}

/// Errors of ECR operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcrError {
    /// The repository does not exist (or the caller may not see it).
    #[error("ECR repository {repository} does not exist, or the credentials in use cannot see it")]
    RepositoryNotFound {
        /// The repository asked for.
        repository: RepositoryRef,
    },
    /// No image carries the tag.
    #[error("ECR repository {repository} has no image tagged {tag:?}")]
    TagNotFound {
        /// The repository searched.
        repository: RepositoryRef,
        /// The tag asked for.
        tag: String,
    },
    /// No image has the digest.
    #[error("ECR repository {repository} has no image with digest {digest}")]
    DigestNotFound {
        /// The repository searched.
        repository: RepositoryRef,
        /// The digest asked for.
        digest: Digest,
    },
    /// ECR refused to move an immutable tag.
    #[error(
        "tag {tag:?} is immutable in ECR repository {repository} and already on another image, so ECR refused to move it"
    )]
    TagImmutable {
        /// The repository.
        repository: RepositoryRef,
        /// The tag that could not move.
        tag: String,
    },
    /// A manifest list / OCI index names images the repository does not hold.
    #[error(
        "image {digest} in ECR repository {repository} references images that are missing from the repository"
    )]
    ReferencedImagesMissing {
        /// The repository.
        repository: RepositoryRef,
        /// The index's digest.
        digest: Digest,
    },
    /// After a retag, the tag did not resolve to the digest it was moved to.
    #[error(
        "after moving tag {tag:?} in ECR repository {repository} to {expected}, it resolves to {actual}"
    )]
    VerificationFailed {
        /// The repository.
        repository: RepositoryRef,
        /// The tag moved.
        tag: String,
        /// The digest it was moved to.
        expected: Digest,
        /// What it resolves to now (`none` when the tag is gone).
        actual: String,
    },
    /// ECR answered with something the provider cannot use (e.g. a malformed digest).
    #[error("ECR {operation} answered with something the provider cannot use: {detail}")]
    UnexpectedResponse {
        /// The operation.
        operation: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// Any other failed call.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl EcrError {
    /// The AWS error code behind the error: the one ECR answered with, or the one the domain
    /// interpreted (e.g. `RepositoryNotFoundException`), so users can search for it.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            EcrError::RepositoryNotFound { .. } => Some("RepositoryNotFoundException"),
            EcrError::TagNotFound { .. } | EcrError::DigestNotFound { .. } => {
                Some("ImageNotFoundException")
            }
            EcrError::TagImmutable { .. } => Some("ImageTagAlreadyExistsException"),
            EcrError::ReferencedImagesMissing { .. } => Some("ReferencedImagesNotFoundException"),
            EcrError::Api(api) => api.code(),
            EcrError::VerificationFailed { .. } | EcrError::UnexpectedResponse { .. } => None,
        }
    }
}

/// Errors of ECS operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcsError {
    /// The cluster does not exist.
    #[error("ECS cluster {cluster:?} does not exist")]
    ClusterNotFound {
        /// The cluster asked for.
        cluster: String,
    },
    /// Services that do not exist (or are no longer ACTIVE) in the cluster.
    #[error("ECS cluster {cluster:?} has no ACTIVE service named {}", names.join(", "))]
    ServicesNotFound {
        /// The cluster.
        cluster: String,
        /// The missing services.
        names: Vec<String>,
    },
    /// A service deployment ECS does not know (ServiceDeploymentNotFoundException, or a
    /// `MISSING` failure of DescribeServiceDeployments).
    #[error("ECS has no service deployment {arn}")]
    ServiceDeploymentNotFound {
        /// The service deployment's ARN.
        arn: String,
    },
    /// ECS answered with something the provider cannot use.
    #[error("ECS {operation} answered with something the provider cannot use: {detail}")]
    UnexpectedResponse {
        /// The operation.
        operation: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// Any other failed call.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl EcsError {
    /// The AWS error code behind the error (see [`EcrError::aws_code`]). A missing service is
    /// reported by ECS either as a `MISSING` failure of DescribeServices or as a
    /// `ServiceNotFoundException`, whichever call answers first, so it has no single code.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            EcsError::ClusterNotFound { .. } => Some("ClusterNotFoundException"),
            EcsError::ServiceDeploymentNotFound { .. } => {
                Some("ServiceDeploymentNotFoundException")
            }
            EcsError::Api(api) => api.code(),
            EcsError::ServicesNotFound { .. } | EcsError::UnexpectedResponse { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(failure: CallFailure, made: u32, allowed: u32, id: Option<&str>) -> String {
        ApiError {
            service: Service::Ecr,
            operation: "PutImage",
            failure,
            attempts: Attempts { made, allowed },
            request_id: id.map(str::to_owned),
        }
        .to_string()
    }

    #[test]
    fn each_failure_reads_as_one_sentence() {
        let cases = [
            (
                api(
                    CallFailure::Throttled {
                        code: "ThrottlingException".into(),
                        message: Some("Rate exceeded".into()),
                    },
                    5,
                    5,
                    Some("r-1"),
                ),
                "ECR PutImage was throttled by AWS (ThrottlingException: Rate exceeded); all 5 attempts failed (last request id r-1)",
            ),
            (
                api(
                    CallFailure::ServerError {
                        status: 500,
                        code: Some("ServerException".into()),
                        message: None,
                    },
                    3,
                    5,
                    None,
                ),
                "ECR PutImage failed inside AWS (HTTP 500, ServerException); it failed after 3 attempts",
            ),
            (
                api(
                    CallFailure::ConnectionClosed {
                        endpoint: Some("127.0.0.1:4566".into()),
                    },
                    5,
                    5,
                    None,
                ),
                "ECR PutImage got no answer: the connection to 127.0.0.1:4566 closed before the answer arrived; all 5 attempts failed",
            ),
            (
                api(
                    CallFailure::ConnectionRefused { endpoint: None },
                    1,
                    1,
                    None,
                ),
                "ECR PutImage could not connect to the endpoint: the connection was refused",
            ),
            (
                api(
                    CallFailure::AnswerTimedOut {
                        after: Some(Duration::from_secs(30)),
                    },
                    0,
                    0,
                    None,
                ),
                "ECR PutImage got no answer within 30s",
            ),
            (
                api(
                    CallFailure::Rejected {
                        code: Some("AccessDeniedException".into()),
                        message: Some("not authorized".into()),
                        status: Some(400),
                    },
                    1,
                    5,
                    Some("r-2"),
                ),
                "ECR PutImage was rejected (AccessDeniedException: not authorized) (request id r-2)",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text, expected);
        }
    }

    #[test]
    fn codes_and_transience() {
        let throttled = CallFailure::Throttled {
            code: "ThrottlingException".into(),
            message: None,
        };
        assert_eq!(throttled.code(), Some("ThrottlingException"));
        assert!(throttled.is_transient());
        let denied = CallFailure::Rejected {
            code: Some("AccessDeniedException".into()),
            message: None,
            status: Some(400),
        };
        assert!(!denied.is_transient());
        assert!(
            !CallFailure::Credentials {
                reason: "none".into()
            }
            .is_transient()
        );
        assert_eq!(
            EcrError::RepositoryNotFound {
                repository: RepositoryRef::new("x")
            }
            .aws_code(),
            Some("RepositoryNotFoundException")
        );
    }
}
