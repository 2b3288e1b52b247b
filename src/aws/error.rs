//! Errors of the domain layer: what failed, on which resource, and the AWS error at the end.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::image::{Digest, RepositoryRef};

/// An AWS call that failed in a way the domain does not interpret further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {}{message}", code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default())]
pub struct ApiError {
    /// The AWS operation, e.g. `PutImage`.
    pub operation: &'static str,
    /// The AWS error code, e.g. `ThrottlingException`, when the service answered with one.
    pub code: Option<String>,
    /// The service's message, or a description of the transport failure.
    pub message: String,
}

impl ApiError {
    /// Captures an SDK error of `operation`, keeping the AWS error code when there is one.
    pub fn from_sdk<E>(operation: &'static str, error: &E) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = error.code().map(str::to_owned);
        let message = match error.message() {
            Some(message) if code.is_some() => message.to_owned(),
            _ => DisplayErrorContext(error).to_string(),
        };
        ApiError {
            operation,
            code,
            message,
        }
    }
}

/// Errors of ECR operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcrError {
    /// The repository does not exist (or the caller may not see it).
    #[error("repository {repository} does not exist")]
    RepositoryNotFound {
        /// The repository asked for.
        repository: RepositoryRef,
    },
    /// No image carries the tag.
    #[error("repository {repository} has no image tagged {tag:?}")]
    TagNotFound {
        /// The repository searched.
        repository: RepositoryRef,
        /// The tag asked for.
        tag: String,
    },
    /// No image has the digest.
    #[error("repository {repository} has no image with digest {digest}")]
    DigestNotFound {
        /// The repository searched.
        repository: RepositoryRef,
        /// The digest asked for.
        digest: Digest,
    },
    /// ECR refused to move an immutable tag.
    #[error("tag {tag:?} is immutable in repository {repository} and already on another image")]
    TagImmutable {
        /// The repository.
        repository: RepositoryRef,
        /// The tag that could not move.
        tag: String,
    },
    /// A manifest list / OCI index names images the repository does not hold.
    #[error(
        "image {digest} in repository {repository} references images that are missing from the repository"
    )]
    ReferencedImagesMissing {
        /// The repository.
        repository: RepositoryRef,
        /// The index's digest.
        digest: Digest,
    },
    /// After a retag, the tag did not resolve to the digest it was moved to.
    #[error(
        "after moving tag {tag:?} in repository {repository} to {expected}, it resolves to {actual}"
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
    #[error("unexpected answer from ECR {operation}: {detail}")]
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

/// Errors of ECS operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcsError {
    /// The cluster does not exist.
    #[error("cluster {cluster:?} does not exist")]
    ClusterNotFound {
        /// The cluster asked for.
        cluster: String,
    },
    /// Services that do not exist (or are no longer ACTIVE) in the cluster.
    #[error("cluster {cluster:?} has no active service named {}", names.join(", "))]
    ServicesNotFound {
        /// The cluster.
        cluster: String,
        /// The missing services.
        names: Vec<String>,
    },
    /// ECS answered with something the provider cannot use.
    #[error("unexpected answer from ECS {operation}: {detail}")]
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
