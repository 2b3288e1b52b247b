//! From domain errors to diagnostics: the summary names the action, the detail says what failed
//! and ends with the AWS error, and the attribute at fault is named when there is one.

use crate::aws::error::{EcrError, EcsError};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic};

/// Which attributes name the things an ECR/ECS error can be about.
#[derive(Debug, Clone, Copy)]
pub struct Attributes {
    /// The repository attribute.
    pub repository: &'static str,
    /// The attribute holding the tag that was looked up.
    pub tag: &'static str,
    /// The attribute holding the digest that was looked up.
    pub digest: &'static str,
    /// The cluster attribute.
    pub cluster: &'static str,
    /// The services attribute.
    pub services: &'static str,
}

/// An ECR error as a diagnostic titled `summary`, on the attribute it is about.
pub fn ecr(summary: &str, error: &EcrError, attrs: Attributes) -> Diagnostic {
    let path = match error {
        EcrError::RepositoryNotFound { .. } => Some(attrs.repository),
        EcrError::TagNotFound { .. } => Some(attrs.tag),
        EcrError::DigestNotFound { .. } | EcrError::ReferencedImagesMissing { .. } => {
            Some(attrs.digest)
        }
        _ => None,
    };
    let detail = match error {
        EcrError::Api(api) if api.code.as_deref() == Some("AccessDeniedException") => format!(
            "{error}. The credentials in use are not allowed to call ECR {}; see the IAM policy in the provider documentation.",
            api.operation
        ),
        _ => format!("{error}."),
    };
    at(Diagnostic::error(summary, detail), path)
}

/// An ECS error as a diagnostic titled `summary`, on the attribute it is about.
pub fn ecs(summary: &str, error: &EcsError, attrs: Attributes) -> Diagnostic {
    let path = match error {
        EcsError::ClusterNotFound { .. } => Some(attrs.cluster),
        EcsError::ServicesNotFound { .. } => Some(attrs.services),
        _ => None,
    };
    at(Diagnostic::error(summary, format!("{error}.")), path)
}

fn at(diagnostic: Diagnostic, attribute: Option<&str>) -> Diagnostic {
    match attribute {
        Some(name) => diagnostic.at(AttributePath::attr(name)),
        None => diagnostic,
    }
}
