//! One voice for errors: every domain error (ECR, ECS, the digest report, the promotion, an
//! image URI) becomes a diagnostic here, and only here, so a missing repository or a throttled
//! call reads the same in every resource, data source and function.
//!
//! A diagnostic's summary names the action that failed (the caller says which: "Read Image
//! Error"); its detail says what failed, as a sentence ending with the AWS error code when
//! there is one, then what to do; and it points at the attribute at fault when there is one.
//! Which attribute holds what differs per Terraform type (and will nest, e.g.
//! `images["api"].repository`), so callers describe their configuration once in an
//! [`Attributes`].

mod attributes;

pub use attributes::Attributes;

use crate::aws::ecs::{DeploymentFailure, DeploymentOutcome, MonitorStatus, Verdict, WaitError};
use crate::aws::error::{ApiError, CallFailure, EcrError, EcsError};
use crate::aws::promote::{Failure, PromotionError};
use crate::aws::report::{ReportError, ReportRequest};
use crate::aws::uri::UriError;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic};
use crate::tfplugin::framework::FunctionError;

/// Names an attribute in a hint: `` `images["api"].repository` ``, or `words` without one.
fn name(path: &Option<AttributePath>, words: &str) -> String {
    match path {
        Some(path) => format!("`{path}`"),
        None => words.to_owned(),
    }
}

/// What is being done when a call fails, for what to say about running it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doing {
    /// Reading (plan, refresh, a data source): nothing changed.
    Reading,
    /// Promoting (apply): every step is safe to repeat.
    Promoting,
    /// Redeploying (the `tagdeploy_redeploy` action): repeating it starts new deployments.
    Redeploying,
}

/// A domain error, explained: the sentence, the AWS code, what to do, and where.
#[derive(Debug, Default)]
struct Explanation {
    /// Sentences before the error (context, e.g. where a value came from).
    preface: Vec<String>,
    /// The error, as a sentence without its final period.
    text: String,
    /// The AWS error code, added to the text when the text does not name it already.
    code: Option<String>,
    /// Sentences after the error (what was done about it, e.g. a rollback).
    after: Vec<String>,
    /// One line each, after those sentences: what happened to each image of a set.
    members: Vec<String>,
    /// What to do, one sentence each.
    hints: Vec<String>,
    /// The attribute at fault.
    attribute: Option<AttributePath>,
}

impl Explanation {
    fn new(text: impl ToString) -> Explanation {
        Explanation {
            text: text.to_string(),
            ..Explanation::default()
        }
    }

    fn code(mut self, code: Option<&str>) -> Self {
        self.code = code.map(str::to_owned);
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        if !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
        self
    }

    fn at(mut self, attribute: &Option<AttributePath>) -> Self {
        self.attribute.clone_from(attribute);
        self
    }

    fn detail(&self) -> String {
        let mut text = sentence(&self.text);
        if let Some(code) = self.code.as_deref().filter(|c| !self.text.contains(c)) {
            text = format!("{text} ({code})");
        }
        let mut parts = self.preface.clone();
        parts.push(format!("{text}."));
        parts.extend(self.after.iter().cloned());
        if self.members.is_empty() {
            parts.extend(self.hints.iter().cloned());
            return parts.join(" ");
        }
        let mut detail = parts.join(" ");
        detail.push_str("\n\n");
        detail.push_str(&self.members.join("\n"));
        if !self.hints.is_empty() {
            detail.push_str("\n\n");
            detail.push_str(&self.hints.join(" "));
        }
        detail
    }

    fn diagnostic(self, summary: &str) -> Diagnostic {
        let diagnostic = Diagnostic::error(summary, self.detail());
        match self.attribute {
            Some(path) => diagnostic.at(path),
            None => diagnostic,
        }
    }
}

/// `text` with its first letter capitalised and no final period.
fn sentence(text: &str) -> String {
    let text = text.trim_end().trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An ECR error met while reading (plan, refresh, data sources), titled `summary`.
pub fn ecr(summary: &str, error: &EcrError, at: &Attributes) -> Diagnostic {
    explain_ecr(error, at, Doing::Reading).diagnostic(summary)
}

/// An ECS error met while reading (plan, refresh, data sources), titled `summary`.
pub fn ecs(summary: &str, error: &EcsError, at: &Attributes) -> Diagnostic {
    explain_ecs(error, at, Doing::Reading).diagnostic(summary)
}

/// A failed digest report (`request` says whether the user named the repository), titled
/// `summary`.
pub fn report(
    summary: &str,
    error: &ReportError,
    request: &ReportRequest,
    at: &Attributes,
) -> Diagnostic {
    let explanation = match error {
        ReportError::Ecs(e) => explain_ecs(e, at, Doing::Reading),
        ReportError::Ecr(e) => {
            let mut explanation = explain_ecr(e, at, Doing::Reading);
            if request.repository.is_none() && explanation.attribute.is_some() {
                // The user did not name the repository: say where it came from.
                explanation.preface.push(
                    "The repository was taken from the image of the service's container."
                        .to_owned(),
                );
            }
            explanation
        }
        ReportError::Container(reason) => Explanation::new(format!(
            "cannot choose the container to report on: {reason}"
        ))
        .at(&at.container),
        ReportError::Repository { .. } => Explanation::new(error).at(&at.repository),
    };
    explanation.diagnostic(summary)
}

/// A promotion that did not complete. The summary names the step that failed; the detail
/// includes what was undone or rolled back, says what still needs attention (services whose
/// deployment could not be started, and what they run), for a set tells image by image what
/// happened, and says whether running apply again finishes the job. `at` gives the attributes
/// of an image of the promotion, by its name.
pub fn promotion(failure: &Failure, at: &dyn Fn(&str) -> Attributes) -> Diagnostic {
    let members = &failure.outcome.members;
    // The image the error is about; with one image, that one.
    let attributes = match (failure.error.member(), members.as_slice()) {
        (Some(member), _) => at(member),
        (None, [only]) => at(&only.name),
        (None, _) => Attributes::new(),
    };
    explain_failure(failure, &attributes, members.len() > 1, Doing::Promoting)
}

/// A redeploy (the `tagdeploy_redeploy` action) that did not complete: the same diagnostic as
/// the resource's for the same failure, with what to do that fits an action.
pub fn redeploy(failure: &Failure, at: &Attributes) -> Diagnostic {
    explain_failure(failure, at, false, Doing::Redeploying)
}

/// A failure explained with the attributes of the image (or action) at fault; `set` when the
/// promotion had several images, to tell image by image what happened.
fn explain_failure(
    failure: &Failure,
    attributes: &Attributes,
    set: bool,
    doing: Doing,
) -> Diagnostic {
    let (summary, cause) = match &failure.error {
        PromotionError::Retag { source, .. } => {
            ("Retag Image Error", explain_ecr(source, attributes, doing))
        }
        PromotionError::Deploy { failures, .. } => {
            // One explanation per failed service; the first one with an attribute points.
            let mut cause = Explanation::default();
            for (_, error) in failures {
                let explained = explain_ecs(error, attributes, doing);
                if cause.attribute.is_none() {
                    cause.attribute = explained.attribute;
                }
                for hint in explained.hints {
                    cause = cause.hint(hint);
                }
            }
            ("Redeploy Services Error", cause)
        }
        PromotionError::Inspect(error) | PromotionError::Lookup(error) => (
            "Redeploy Services Error",
            explain_ecs(error, attributes, doing),
        ),
        PromotionError::Rollout { source, .. } => {
            ("Rollout Failed", explain_wait(source, attributes, doing))
        }
    };
    let mut after: Vec<String> = failure.rollback.iter().cloned().collect();
    if !set {
        after.extend(failure.standing.iter().cloned());
    }
    Explanation {
        text: failure.error.to_string(),
        after,
        members: if set {
            failure.member_reports()
        } else {
            Vec::new()
        },
        ..cause
    }
    .diagnostic(summary)
}

/// Why a read was abandoned: Terraform is stopping.
pub fn cancelled(summary: &str) -> Diagnostic {
    Diagnostic::error(
        summary,
        "The read was cancelled because Terraform is stopping; nothing was changed.",
    )
}

/// An argument of a provider function that is not an ECR image URI.
pub fn invalid_image_uri(argument: usize, error: &UriError) -> FunctionError {
    FunctionError::argument(argument, format!("Invalid ECR image URI: {error}."))
}

fn explain_ecr(error: &EcrError, at: &Attributes, doing: Doing) -> Explanation {
    let explanation = Explanation::new(error).code(error.aws_code());
    match error {
        EcrError::RepositoryNotFound { .. } => {
            let registry = match &at.registry_id {
                Some(path) => format!(", `{path}`"),
                None => String::new(),
            };
            explanation.at(&at.repository).hint(format!(
                "Check {}{registry} and the provider's region.",
                name(&at.repository, "the repository name")
            ))
        }
        EcrError::TagNotFound { .. } => explanation
            .at(&at.image_tag)
            .hint(format!("Check {}.", name(&at.image_tag, "the tag"))),
        EcrError::DigestNotFound { .. } => explanation
            .at(&at.image_digest)
            .hint(format!("Check {}.", name(&at.image_digest, "the digest"))),
        EcrError::TagImmutable { .. } => explanation.at(&at.environment_tag).hint(
            "Make the environment tag mutable in the repository, e.g. with IMMUTABLE_WITH_EXCLUSION and a filter matching it, which keeps release tags immutable.",
        ),
        EcrError::ReferencedImagesMissing { .. } => explanation
            .at(&at.image_digest)
            .hint("Push the images the index references to the repository first."),
        EcrError::VerificationFailed { .. } => explanation.hint(
            "Something else may have moved the tag at the same time; the next plan shows where it points.",
        ),
        EcrError::UnexpectedResponse { .. } => explanation.hint(UNEXPECTED),
        EcrError::Api(api) => explain_api(explanation, api, doing),
    }
}

fn explain_ecs(error: &EcsError, at: &Attributes, doing: Doing) -> Explanation {
    let explanation = Explanation::new(error).code(error.aws_code());
    match error {
        EcsError::ClusterNotFound { .. } => explanation.at(&at.cluster).hint(format!(
            "Check {} and the provider's region.",
            name(&at.cluster, "the cluster name")
        )),
        // ECS says this either as a MISSING failure of DescribeServices or as a
        // ServiceNotFoundException, whichever call answers first: name both.
        EcsError::ServicesNotFound { .. } => explanation.at(&at.services).hint(format!(
            "Check {}: ECS reports MISSING or ServiceNotFoundException for a service that does not exist in the cluster or is no longer ACTIVE.",
            name(&at.services, "the service names")
        )),
        EcsError::ServiceDeploymentNotFound { .. } | EcsError::UnexpectedResponse { .. } => {
            explanation.hint(UNEXPECTED)
        }
        EcsError::Api(api) => explain_api(explanation, api, doing),
    }
}

fn explain_wait(error: &WaitError, at: &Attributes, doing: Doing) -> Explanation {
    match error {
        WaitError::Failed { outcomes } => {
            let mut explanation = Explanation::new(error);
            for outcome in outcomes {
                if let Verdict::Failed(failure) = &outcome.verdict {
                    explanation = explain_failed_deployment(explanation, outcome, failure, at);
                }
            }
            explanation
        }
        WaitError::TimedOut { outcomes, .. } => {
            let paused = outcomes.iter().any(|o| {
                o.verdict == Verdict::Unfinished
                    && o.last_seen
                        .as_ref()
                        .is_some_and(|s| s.awaiting_action().next().is_some())
            });
            let explanation = Explanation::new(error);
            let explanation = if paused {
                explanation.hint(format!(
                    "A deployment waited at a PAUSE lifecycle hook until the timeout: approve it (ContinueServiceDeployment) while the apply waits, or set {} to CONTINUE or ROLLBACK.",
                    name(&at.pause_hook_action, "the pause hook action")
                ))
            } else {
                explanation
            };
            explanation.hint(format!(
                "If the rollout only needs more time (bake times, traffic steps), raise {}.",
                name(&at.timeouts, "the timeout")
            ))
        }
        WaitError::Cancelled { .. } if doing == Doing::Redeploying => Explanation::new(error)
            .hint("The deployments go on in ECS; `data.tagdeploy_task_digests` shows how far they got."),
        WaitError::Cancelled { .. } => Explanation::new(error).hint(
            "Running `terraform apply` again waits for the rollout without starting another deployment.",
        ),
        WaitError::Ecs { error, .. } => explain_ecs(error, at, doing),
    }
}

/// What to do about one deployment that failed.
fn explain_failed_deployment(
    explanation: Explanation,
    outcome: &DeploymentOutcome,
    failure: &DeploymentFailure,
    at: &Attributes,
) -> Explanation {
    match failure {
        DeploymentFailure::Ended => {
            let Some(seen) = &outcome.last_seen else {
                return explanation;
            };
            let mut explanation = explanation;
            if seen
                .circuit_breaker
                .as_ref()
                .is_some_and(|c| c.status == MonitorStatus::Triggered)
            {
                explanation = explanation.hint(
                    "The service's events in ECS say why its new tasks did not start or stay healthy.",
                );
            }
            if seen
                .alarms
                .as_ref()
                .is_some_and(|a| a.status == MonitorStatus::Triggered || !a.triggered.is_empty())
            {
                explanation = explanation.hint(
                    "The CloudWatch alarms that fired watched the new revision: look at what they measure before promoting the release again.",
                );
            }
            if outcome
                .answered
                .iter()
                .any(|(_, action)| action.as_str() == "ROLLBACK")
            {
                explanation = explanation.hint(format!(
                    "{} is ROLLBACK, so this provider rejected the paused deployment.",
                    name(&at.pause_hook_action, "The pause hook action")
                ));
            }
            explanation
        }
        DeploymentFailure::WrongDigest { .. } => explanation.hint(
            "The deployment resolved the tag to another digest: something moved the tag while the deployment started, or the container has versionConsistency disabled (keep it enabled for containers on the environment tag, so that ECS records the digest it runs).",
        ),
        DeploymentFailure::NoContainerOnTag { .. } => explanation.at(&at.services).hint(format!(
            "Check {}: each service's task definition must run the environment tag of the repository.",
            name(&at.services, "the services")
        )),
        DeploymentFailure::RevisionMissing { .. }
        | DeploymentFailure::Missing { .. }
        | DeploymentFailure::NotRecorded => explanation.hint(UNEXPECTED),
    }
}

const UNEXPECTED: &str =
    "This is unexpected: please report it with the provider's log (TF_LOG_PROVIDER=DEBUG).";

/// What to do about a failed call.
fn explain_api(explanation: Explanation, api: &ApiError, doing: Doing) -> Explanation {
    let explanation = match &api.failure {
        CallFailure::Rejected { code: Some(code), .. }
            if matches!(code.as_str(), "AccessDeniedException" | "AccessDenied") =>
        {
            explanation.hint(format!(
                "The credentials in use are not allowed to call {} {}; see the IAM policy in the provider documentation.",
                api.service, api.operation
            ))
        }
        CallFailure::Credentials { .. } => explanation.hint(
            "Check the credentials the provider uses: its `profile`, `shared_credentials_files` or `assume_role` settings, or the AWS_* environment variables.",
        ),
        CallFailure::Endpoint { .. } => explanation
            .hint("Set the provider's `region` (or AWS_REGION), or its `endpoints`."),
        CallFailure::ConnectionRefused { .. }
        | CallFailure::ConnectionFailed { .. }
        | CallFailure::ConnectTimedOut { .. } => explanation.hint(
            "Check that the endpoint is right (the provider's `endpoints`, or AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_ECS) and reachable from here.",
        ),
        _ => explanation,
    };
    if !api.is_transient() {
        return explanation;
    }
    match doing {
        Doing::Reading => explanation.hint(
            "Nothing was changed; running the command again retries the call.",
        ),
        Doing::Promoting => explanation.hint(
            "Running `terraform apply` again continues the promotion: a tag already in place is not moved again, and a service already rolling out the release is waited for rather than redeployed.",
        ),
        Doing::Redeploying => explanation.hint(
            "Invoking the action again starts a new deployment of every service; the deployments already started go on in ECS.",
        ),
    }
}

#[cfg(test)]
mod tests;
