//! What a promotion reports: where every member stands (the truth state records), and when it
//! fails, what went wrong, what was rolled back, and member by member what happened.

use super::super::ecs::{DeploymentStatus, RecordedDeployment, RolloutState, WaitError};
use super::super::error::{EcrError, EcsError};
use super::super::image::Digest;

/// A service's deployment and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentReport {
    /// The recorded deployment.
    pub deployment: RecordedDeployment,
    /// Whether this provider started it (false: adopted an in-flight or finished one).
    pub started: bool,
    /// The deployment's status when last seen (`None`: not seen since it was adopted).
    pub status: Option<DeploymentStatus>,
    /// Its rollout state when last seen (`None`: not seen, or ECS reported none).
    pub rollout_state: Option<RolloutState>,
}

impl DeploymentReport {
    /// A deployment this promotion has just started: UpdateService reports it PRIMARY and
    /// IN_PROGRESS, so no describe is needed to say so.
    pub(super) fn started(deployment: RecordedDeployment) -> DeploymentReport {
        DeploymentReport {
            deployment,
            started: true,
            status: Some(DeploymentStatus::Primary),
            rollout_state: Some(RolloutState::InProgress),
        }
    }

    /// A deployment already running the target, adopted (not seen in detail yet).
    pub(super) fn adopted(deployment: RecordedDeployment) -> DeploymentReport {
        DeploymentReport {
            deployment,
            started: false,
            status: None,
            rollout_state: None,
        }
    }
}

/// Where one member of a promotion stands afterwards, successful or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberOutcome {
    /// The member's name, as in [`super::Member::name`].
    pub name: String,
    /// Where the tag points now (`None` if it points nowhere or could not be read).
    pub tag_digest: Option<Digest>,
    /// Whether this promotion moved the tag onto the target (false: it was already there, or
    /// the move failed or was undone).
    pub tag_moved: bool,
    /// The deployment recorded for each of the member's services (started, adopted, or the
    /// rollback's), in the member's order. A service whose deployment could not be started has
    /// none.
    pub deployments: Vec<DeploymentReport>,
    /// What happened to the member, one sentence each, in order.
    pub story: Vec<String>,
}

/// Where things stand after a promotion, member by member: what state must record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// One entry per member, in the promotion's order.
    pub members: Vec<MemberOutcome>,
}

impl Outcome {
    /// The member called `name`.
    pub fn member(&self, name: &str) -> Option<&MemberOutcome> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// A promotion that did not complete, with the truthful state of things.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}{}", rollback.as_ref().map(|r| format!(" {r}")).unwrap_or_default())]
pub struct Failure {
    /// What went wrong first.
    pub error: PromotionError,
    /// What was undone or rolled back, when anything was, as sentences.
    pub rollback: Option<String>,
    /// Sentences on what still needs attention: services whose deployment (or rollback
    /// deployment) could not be started, and the digests their tasks run.
    pub standing: Vec<String>,
    /// Where every member stands.
    pub outcome: Outcome,
}

impl Failure {
    /// One paragraph per member, `name: what happened.`, for the error of a set.
    pub fn member_reports(&self) -> Vec<String> {
        self.outcome
            .members
            .iter()
            .map(|m| {
                let story = if m.story.is_empty() {
                    "nothing was done.".to_owned()
                } else {
                    m.story.join(" ")
                };
                format!("{}: {story}", m.name)
            })
            .collect()
    }
}

/// What went wrong in a promotion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromotionError {
    /// Moving a tag failed (the first member whose move failed).
    #[error("moving tag {tag:?} to {target} failed: {source}")]
    Retag {
        /// The member whose tag did not move.
        member: String,
        /// The tag.
        tag: String,
        /// The digest.
        target: Digest,
        /// The ECR error.
        source: EcrError,
    },
    /// Starting deployments failed for some services.
    #[error("forcing a new deployment failed: {}", failures.iter().map(|(s, e)| format!("{s}: {e}")).collect::<Vec<_>>().join("; "))]
    Deploy {
        /// The member of the first failed service.
        member: String,
        /// Service and error.
        failures: Vec<(String, EcsError)>,
    },
    /// Checking which services already run their targets failed.
    #[error("reading the services' tasks failed: {0}")]
    Inspect(EcsError),
    /// Waiting ended without every rollout completing.
    #[error("{summary}")]
    Rollout {
        /// One sentence per failed service.
        summary: String,
        /// The wait's error.
        source: WaitError,
    },
}

impl PromotionError {
    /// The member the error is about, when it is about one.
    pub fn member(&self) -> Option<&str> {
        match self {
            PromotionError::Retag { member, .. } | PromotionError::Deploy { member, .. } => {
                Some(member)
            }
            PromotionError::Inspect(_) | PromotionError::Rollout { .. } => None,
        }
    }
}

/// A digest list as a sentence part: `sha256:…`, `sha256:… and sha256:…`, or `no digest`.
pub(super) fn digests_text(digests: &[String]) -> String {
    match digests {
        [] => "no digest (no task is running)".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
