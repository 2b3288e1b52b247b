//! What a promotion reports: where every member stands (the truth state records), and when it
//! fails, what went wrong, what was rolled back, and member by member what happened.

use super::super::ecs::{
    DeploymentPhase, DeploymentStrategy, LifecycleStage, RecordedDeployment, RfcStatus,
    RolloutState, ServiceDeploymentState, ServiceDeploymentStatus, WaitError,
};
use super::super::error::{EcrError, EcsError};
use super::super::image::Digest;

/// A service's deployment and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentReport {
    /// The recorded deployment.
    pub deployment: RecordedDeployment,
    /// Whether this provider started it (false: adopted an in-flight or finished one).
    pub started: bool,
    /// Its service deployment when last described (`None`: not described since it started).
    pub last_seen: Option<ServiceDeploymentState>,
    /// Whether the wait saw it succeed (SUCCESSFUL, with the promoted digest of every member
    /// that lists the service).
    pub succeeded: bool,
    /// Whether this provider stopped it (StopServiceDeployment, ROLLBACK).
    pub stopped: bool,
}

impl DeploymentReport {
    /// A deployment this promotion has just started: as UpdateService leaves it (PENDING).
    pub(super) fn started(deployment: RecordedDeployment) -> DeploymentReport {
        DeploymentReport {
            deployment,
            started: true,
            last_seen: None,
            succeeded: false,
            stopped: false,
        }
    }

    /// A deployment already rolling out (or done rolling out) the target, adopted, as the
    /// adoption described it.
    pub(super) fn adopted(
        deployment: RecordedDeployment,
        seen: ServiceDeploymentState,
    ) -> DeploymentReport {
        DeploymentReport {
            deployment,
            started: false,
            last_seen: Some(seen),
            succeeded: false,
            stopped: false,
        }
    }

    /// The service deployment's status as last seen; PENDING for one this promotion started
    /// and never described (as UpdateService leaves it).
    pub fn status(&self) -> Option<ServiceDeploymentStatus> {
        match &self.last_seen {
            Some(seen) => Some(seen.status.clone()),
            None if self.started => Some(ServiceDeploymentStatus::Pending),
            None => None,
        }
    }

    /// The stage it was at when last seen, while it ran (a finished deployment is at none).
    pub fn lifecycle_stage(&self) -> Option<LifecycleStage> {
        self.last_seen
            .as_ref()
            .and_then(|s| s.stage_while_running().cloned())
    }

    /// Its strategy.
    pub fn strategy(&self) -> Option<DeploymentStrategy> {
        self.last_seen
            .as_ref()
            .map(|s| s.strategy.clone())
            .or_else(|| self.deployment.strategy.clone())
    }

    /// The rollout state ECS reports for the deployment in the service's `deployments`, which
    /// follows its service deployment: COMPLETED once SUCCESSFUL, FAILED once it failed,
    /// IN_PROGRESS before.
    pub fn rollout_state(&self) -> Option<RolloutState> {
        match (self.phase()?, self.succeeded) {
            (_, true) | (DeploymentPhase::Succeeded, false) => Some(RolloutState::Completed),
            (DeploymentPhase::Running, false) => Some(RolloutState::InProgress),
            (DeploymentPhase::Failing | DeploymentPhase::Failed, false) => {
                Some(RolloutState::Failed)
            }
        }
    }

    /// The RFC 013 status of the deployment, as the service's current one: COMPLETE once it
    /// succeeded, IN_PROGRESS while it runs, RETIRING while ECS rolls it back or stops it, DEAD
    /// once it failed.
    pub fn rfc_status(&self) -> Option<RfcStatus> {
        if self.succeeded {
            return Some(RfcStatus::Complete);
        }
        Some(match self.phase()? {
            DeploymentPhase::Running => RfcStatus::InProgress,
            DeploymentPhase::Succeeded => RfcStatus::Complete,
            DeploymentPhase::Failing => RfcStatus::Retiring,
            DeploymentPhase::Failed => RfcStatus::Dead,
        })
    }

    fn phase(&self) -> Option<DeploymentPhase> {
        match &self.last_seen {
            Some(seen) => Some(seen.phase()),
            None if self.started => Some(DeploymentPhase::Running),
            None => None,
        }
    }

    /// ECS rolls (or rolled) the service back to the revision it ran before.
    pub(super) fn rolled_back_by_ecs(&self) -> bool {
        self.last_seen
            .as_ref()
            .is_some_and(|s| s.status.rolls_back())
    }

    /// ECS may still be rolling it out: not seen to end.
    pub(super) fn in_flight(&self) -> bool {
        self.deployment.service_deployment_arn.is_some()
            && !self.succeeded
            && self.phase() == Some(DeploymentPhase::Running)
    }
}

/// Where one member of a promotion stands afterwards, successful or not.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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
    /// Looking the services up before redeploying them failed (a missing service): the
    /// `tagdeploy_redeploy` action's first step.
    #[error("looking the services up failed: {0}")]
    Lookup(EcsError),
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
            PromotionError::Inspect(_)
            | PromotionError::Lookup(_)
            | PromotionError::Rollout { .. } => None,
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
