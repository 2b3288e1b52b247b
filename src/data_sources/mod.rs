//! Data sources, one file per Terraform type. Each translates between Terraform values and the
//! domain in [`crate::aws`] and chooses the error text; no AWS logic lives here.
//!
//! - [`task_digests`]: `data "tagdeploy_task_digests"`, the RFC's `check.sh` as data.
//! - [`image`]: `data "tagdeploy_image"`, one image of a repository by tag or digest.
//!
//! What both share is written once, below: reading under Terraform's stop signal, the
//! repository a configuration names, the validators for ECR names, and the mapping of domain
//! errors to diagnostics on the attribute at fault.

pub mod image;
pub mod task_digests;

pub use image::Image;
pub use task_digests::TaskDigests;

use std::future::Future;

use crate::aws::error::{EcrError, EcsError};
use crate::aws::image::{Digest, RepositoryRef};
use crate::aws::uri::{is_valid_repository, is_valid_tag};
use crate::provider_data::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::model::Tf;
use crate::tfplugin::schema::{Validator, validators};

/// Runs `read` unless Terraform stops the provider first; then the read ends with an error
/// titled `summary`.
async fn unless_stopped<T>(
    ctx: &Ctx<'_, ProviderData>,
    summary: &str,
    read: impl Future<Output = T>,
) -> Result<T, Diagnostics> {
    let cancel = ctx.cancellation().clone();
    tokio::select! {
        result = read => Ok(result),
        () = cancel.cancelled() => Err(Diagnostic::error(
            summary,
            "The read was cancelled (Terraform is stopping).",
        )
        .into()),
    }
}

/// The repository a configuration names (`repository` and optional `registry_id`), when it
/// names one. Reads see wholly known configurations only.
fn repository_ref(name: &Tf<String>, registry_id: &Tf<String>) -> Option<RepositoryRef> {
    name.known().map(|name| RepositoryRef {
        name: name.clone(),
        registry_id: registry_id.known().cloned(),
    })
}

/// Validator for ECR repository names.
fn repository_name() -> impl Validator {
    validators::matches(
        "an ECR repository name (2 to 256 characters: lowercase letters, digits and ._- in components separated by /)",
        |s| {
            if is_valid_repository(s) {
                Ok(())
            } else {
                Err(format!("{s:?} is not one"))
            }
        },
    )
}

/// Validator for image tags (1 to 128 characters).
fn image_tag() -> impl Validator {
    validators::matches(
        "an image tag (1 to 128 letters, digits, _, . or -, not starting with . or -)",
        |s| {
            if is_valid_tag(s) {
                Ok(())
            } else {
                Err(format!("{s:?} is not one"))
            }
        },
    )
}

/// Validator for `sha256:` digests.
fn image_digest() -> impl Validator {
    validators::matches(
        "an image digest (sha256: followed by 64 lowercase hex digits)",
        |s| {
            Digest::parse(s)
                .map(|_| ())
                .map_err(|_| format!("{s:?} is not one"))
        },
    )
}

/// Validator for registry (AWS account) ids.
fn registry_id() -> impl Validator {
    validators::matches("a 12-digit AWS account id", |s| {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(format!("{s:?} is not one"))
        }
    })
}

/// The AWS error code behind a domain error, for the detail text (the domain interprets the
/// codes it knows, so they are named here again for the user).
fn ecr_code(err: &EcrError) -> Option<&str> {
    match err {
        EcrError::RepositoryNotFound { .. } => Some("RepositoryNotFoundException"),
        EcrError::TagNotFound { .. } | EcrError::DigestNotFound { .. } => {
            Some("ImageNotFoundException")
        }
        EcrError::Api(api) => api.code.as_deref(),
        _ => None,
    }
}

/// An ECR failure as a diagnostic on the attribute it is about.
fn ecr_diagnostic(summary: &str, err: &EcrError) -> Diagnostic {
    let (attribute, advice) = match err {
        EcrError::RepositoryNotFound { .. } => (
            Some("repository"),
            "Check `repository`, `registry_id` and the provider's region. ",
        ),
        EcrError::TagNotFound { .. } => (Some("tag"), "Check `tag`. "),
        EcrError::DigestNotFound { .. } => (Some("digest"), "Check `digest`. "),
        _ => (None, ""),
    };
    with_code(
        summary,
        advice,
        "ECR",
        &err.to_string(),
        ecr_code(err),
        attribute,
    )
}

/// An ECS failure as a diagnostic on the attribute it is about.
fn ecs_diagnostic(summary: &str, err: &EcsError) -> Diagnostic {
    let (attribute, advice, code) = match err {
        EcsError::ClusterNotFound { .. } => (
            Some("cluster"),
            "Check `cluster` and the provider's region. ",
            Some("ClusterNotFoundException"),
        ),
        // ECS says this either as a MISSING failure of DescribeServices or as a
        // ServiceNotFoundException of ListTasks, whichever answers first: name both.
        EcsError::ServicesNotFound { .. } => (
            Some("service"),
            "Check `service`: ECS reports no ACTIVE service of that name in the cluster (MISSING, ServiceNotFoundException). ",
            None,
        ),
        EcsError::Api(api) => (None, "", api.code.as_deref()),
        EcsError::UnexpectedResponse { .. } => (None, "", None),
    };
    with_code(summary, advice, "ECS", &err.to_string(), code, attribute)
}

/// `summary`; detail: the advice first, then the error with its AWS code at the end.
fn with_code(
    summary: &str,
    advice: &str,
    service: &str,
    error: &str,
    code: Option<&str>,
    attribute: Option<&str>,
) -> Diagnostic {
    // The Api variant's text already starts with its code; do not repeat it.
    let code = code
        .filter(|c| !error.contains(c))
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let diagnostic = Diagnostic::error(summary, format!("{advice}{service}: {error}{code}."));
    match attribute {
        Some(name) => diagnostic.at(AttributePath::attr(name)),
        None => diagnostic,
    }
}

/// What the tests of both data sources need.
#[cfg(test)]
mod testing {
    use crate::tfplugin::diagnostics::Diagnostics;
    use crate::tfplugin::framework::{AnyDataSource, DataSource};
    use crate::tfplugin::value::Value;

    /// A configuration of `source`: its schema's null object with `pairs` set.
    pub(super) fn config<S: DataSource>(source: &S, pairs: &[(&str, Value)]) -> Value {
        let mut base = DataSource::schema(source).null_object();
        if let Value::Map(fields) = &mut base {
            for (k, v) in pairs {
                fields.insert((*k).to_owned(), v.clone());
            }
        }
        base
    }

    /// What ValidateDataResourceConfig reports for `config`: the declared validators, then the
    /// type's own checks.
    pub(super) fn validate<S: DataSource>(source: &S, config: &Value) -> Diagnostics {
        let mut diags = DataSource::schema(source).validate(config);
        diags.extend(AnyDataSource::validate(source, config));
        diags
    }

    /// The attribute paths of `diags` (`""` for a diagnostic about no attribute).
    pub(super) fn paths(diags: &Diagnostics) -> Vec<String> {
        diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::ApiError;
    use crate::tfplugin::value::Value;

    fn run(v: &impl Validator, s: &str) -> bool {
        let mut diags = Diagnostics::new();
        v.validate(&Value::string(s), &AttributePath::attr("x"), &mut diags);
        !diags.has_errors()
    }

    #[test]
    fn validators_accept_and_refuse() {
        assert!(run(&repository_name(), "team/app"));
        assert!(!run(&repository_name(), "Team/App"));
        assert!(run(&image_tag(), "hash_2"));
        assert!(!run(&image_tag(), &"a".repeat(129)));
        assert!(!run(&image_tag(), ""));
        assert!(run(&image_digest(), &format!("sha256:{}", "0a".repeat(32))));
        assert!(!run(&image_digest(), "sha256:0A"));
        assert!(run(&registry_id(), "123456789012"));
        assert!(!run(&registry_id(), "12345678901x"));
    }

    #[test]
    fn errors_point_at_their_attribute_and_name_the_aws_code() {
        let repo = RepositoryRef::new("nope");
        let d = ecr_diagnostic(
            "Read Image Error",
            &EcrError::RepositoryNotFound {
                repository: repo.clone(),
            },
        );
        assert_eq!(d.attribute, Some(AttributePath::attr("repository")));
        assert!(d.detail.contains("RepositoryNotFoundException"), "{d}");
        let d = ecr_diagnostic(
            "x",
            &EcrError::TagNotFound {
                repository: repo,
                tag: "t".into(),
            },
        );
        assert_eq!(d.attribute, Some(AttributePath::attr("tag")));
        let d = ecs_diagnostic(
            "x",
            &EcsError::ClusterNotFound {
                cluster: "c".into(),
            },
        );
        assert_eq!(d.attribute, Some(AttributePath::attr("cluster")));
        assert!(d.detail.contains("ClusterNotFoundException"), "{d}");
        let d = ecs_diagnostic(
            "x",
            &EcsError::ServicesNotFound {
                cluster: "c".into(),
                names: vec!["s".into()],
            },
        );
        assert_eq!(d.attribute, Some(AttributePath::attr("service")));
    }

    #[test]
    fn api_errors_have_no_attribute_and_state_the_code_once() {
        let d = ecs_diagnostic(
            "x",
            &EcsError::Api(ApiError {
                operation: "ListTasks",
                code: Some("ThrottlingException".into()),
                message: "slow down".into(),
            }),
        );
        assert_eq!(d.attribute, None);
        assert_eq!(d.detail.matches("ThrottlingException").count(), 1, "{d}");
    }
}
