//! What the wait follows ([`Follow`]: a service deployment and the image it must deliver) and
//! what became of each ([`DeploymentOutcome`]): succeeded, failed (and how), or unfinished;
//! each failure said as one sentence that names the status reason, the rollback reason, the
//! circuit breaker's state and the alarms that fired.

use std::fmt;

use super::super::model::RecordedDeployment;
use super::super::service_deployment::{ContainerImage, RevisionImages, ServiceDeploymentState};
use super::super::status::{DeploymentPhase, HookAction, HookStatus, MonitorStatus};
use crate::aws::image::{Digest, RepositoryRef};
use crate::aws::uri::EcrImageUri;

/// The image a deployment must deliver: the digest its target revision must have resolved for
/// every container whose image is `repository:tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedImage {
    /// The repository of the environment tag.
    pub repository: RepositoryRef,
    /// The environment tag, e.g. `prod`.
    pub tag: String,
    /// The digest the tag was moved to.
    pub digest: Digest,
}

impl ExpectedImage {
    /// Whether a container image reference (`<account>.dkr.ecr.<region>.amazonaws.com/repo:tag`)
    /// names this tag of this repository. The registry must match when the repository names
    /// one; otherwise any account's repository of that name matches (the domain does not know
    /// the caller's account).
    pub fn uses_tag(&self, image: &str) -> bool {
        let Ok(uri) = EcrImageUri::parse(image) else {
            return false;
        };
        uri.repository == self.repository.name
            && uri.tag.as_deref() == Some(self.tag.as_str())
            && uri.digest.is_none()
            && self
                .repository
                .registry_id
                .as_ref()
                .is_none_or(|id| *id == uri.registry_id)
    }

    /// The containers of `revision` that use the tag, when each resolved the digest; otherwise
    /// why not.
    pub fn check(&self, revision: &RevisionImages) -> Result<(), DeploymentFailure> {
        let on_tag: Vec<&ContainerImage> = revision
            .images
            .iter()
            .filter(|c| self.uses_tag(&c.image))
            .collect();
        if on_tag.is_empty() {
            return Err(DeploymentFailure::NoContainerOnTag {
                images: revision.images.clone(),
            });
        }
        let wrong: Vec<ContainerImage> = on_tag
            .into_iter()
            .filter(|c| c.digest.as_deref() != Some(self.digest.as_str()))
            .cloned()
            .collect();
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(DeploymentFailure::WrongDigest { containers: wrong })
        }
    }
}

/// One service deployment to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    /// The deployment (its service deployment ARN is what the wait polls).
    pub deployment: RecordedDeployment,
    /// What it must deliver; `None` when any SUCCESSFUL end is success (a redeploy of the
    /// services as they are, which promotes no particular digest).
    pub expected: Option<ExpectedImage>,
}

/// How one followed deployment ended, as far as the wait saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// SUCCESSFUL, and its target revision resolved the expected digest.
    Succeeded,
    /// It did not succeed.
    Failed(DeploymentFailure),
    /// Still running when the wait ended (timeout, cancellation, fail-fast, or an error).
    Unfinished,
}

/// Why a followed deployment did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentFailure {
    /// ECS ended it, or is ending it, without success: rolled back (ROLLBACK_*), stopped
    /// (STOPPED, STOP_REQUESTED), or another status that is final and not SUCCESSFUL. The last
    /// seen state says why.
    Ended,
    /// SUCCESSFUL, but containers on the tag resolved another digest (or none).
    WrongDigest {
        /// The containers on the tag that did not resolve the expected digest.
        containers: Vec<ContainerImage>,
    },
    /// SUCCESSFUL, but no container of its revision uses the tag.
    NoContainerOnTag {
        /// Every container image of the revision.
        images: Vec<ContainerImage>,
    },
    /// ECS did not describe its target revision.
    RevisionMissing {
        /// The revision's ARN ("" when the deployment named none).
        arn: String,
    },
    /// ECS does not know the service deployment.
    Missing {
        /// ECS's reason (e.g. `MISSING`).
        reason: String,
    },
    /// UpdateService reported no service deployment to follow.
    NotRecorded,
}

/// What became of one followed deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentOutcome {
    /// What was followed.
    pub follow: Follow,
    /// The deployment as last described (`None`: never described).
    pub last_seen: Option<ServiceDeploymentState>,
    /// How it ended.
    pub verdict: Verdict,
    /// The PAUSE hooks the wait answered, with its answer.
    pub answered: Vec<(String, HookAction)>,
}

impl DeploymentOutcome {
    /// The service deployment's ARN, when one was recorded.
    pub fn arn(&self) -> Option<&str> {
        self.follow.deployment.service_deployment_arn.as_deref()
    }

    /// True when the wait ended before this deployment did, and ECS may still be rolling it
    /// out: what a caller giving up stops (see [`crate::aws::ecs::Ecs::stop_service_deployments`]).
    pub fn in_flight(&self) -> bool {
        self.verdict == Verdict::Unfinished && self.arn().is_some()
    }

    /// True when ECS rolls (or rolled) the service back to the revision it ran before: the
    /// service returns to what it ran without a new deployment.
    pub fn rolled_back_by_ecs(&self) -> bool {
        self.last_seen
            .as_ref()
            .is_some_and(|s| s.status.rolls_back())
    }
}

impl fmt::Display for DeploymentOutcome {
    /// One sentence (without its final period) about what happened to the deployment of the
    /// service: `the service deployment … of example ended ROLLBACK_SUCCESSFUL at BAKE_TIME:
    /// …; rollback: …; circuit breaker TRIGGERED (3 failed tasks, threshold 3); alarms that
    /// fired: example-5xx`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.follow.deployment;
        let arn = self.arn().unwrap_or(d.deployment_id.as_str());
        write!(f, "the service deployment {arn} of service {}", d.service)?;
        // Only a deployment that must deliver an image can fail with the wrong one.
        let expected = self.follow.expected.as_ref();
        match (&self.verdict, &self.last_seen) {
            (Verdict::Succeeded, _) => match expected {
                Some(expected) => write!(
                    f,
                    " succeeded with {} for {}:{}",
                    expected.digest, expected.repository.name, expected.tag
                ),
                None => write!(f, " succeeded"),
            },
            (Verdict::Failed(DeploymentFailure::Ended), Some(seen)) => {
                write!(f, " {}", ended(seen))?;
                details(f, seen, &self.answered)
            }
            (Verdict::Failed(DeploymentFailure::Ended), None) => write!(f, " ended"),
            (Verdict::Failed(DeploymentFailure::WrongDigest { containers }), _) => {
                let Some(expected) = expected else {
                    return write!(f, " is SUCCESSFUL");
                };
                let wrong: Vec<String> = containers
                    .iter()
                    .map(|c| match &c.digest {
                        Some(digest) => format!("{digest} for container {}", c.container),
                        None => format!(
                            "no digest for container {} (is versionConsistency disabled?)",
                            c.container
                        ),
                    })
                    .collect();
                write!(
                    f,
                    " is SUCCESSFUL but resolved {} ({}:{}), not the promoted {}",
                    wrong.join(", "),
                    expected.repository.name,
                    expected.tag,
                    expected.digest
                )
            }
            (Verdict::Failed(DeploymentFailure::NoContainerOnTag { images }), _) => {
                let Some(expected) = expected else {
                    return write!(f, " is SUCCESSFUL");
                };
                write!(
                    f,
                    " is SUCCESSFUL but no container of its revision runs {}:{} (its images: {})",
                    expected.repository.name,
                    expected.tag,
                    images
                        .iter()
                        .map(|c| format!("{} {}", c.container, c.image))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            (Verdict::Failed(DeploymentFailure::RevisionMissing { arn }), _) => write!(
                f,
                " is SUCCESSFUL but ECS did not describe its revision {arn:?}, so the digest it resolved is unknown"
            ),
            (Verdict::Failed(DeploymentFailure::Missing { reason }), _) => {
                write!(f, " is not known to ECS ({reason})")
            }
            (Verdict::Failed(DeploymentFailure::NotRecorded), _) => write!(
                f,
                " cannot be followed: UpdateService reported no service deployment (currentServiceDeployment)"
            ),
            (Verdict::Unfinished, Some(seen)) => {
                write!(f, " was still {}", seen.status)?;
                if let Some(stage) = seen.stage_while_running() {
                    write!(f, " at {stage}")?;
                }
                if let Some(target) = &seen.target {
                    write!(f, " ({target})")?;
                }
                if let Some(hook) = seen.awaiting_action().next() {
                    write!(f, ", paused at PAUSE hook {}", hook.hook_id)?;
                }
                Ok(())
            }
            (Verdict::Unfinished, None) => write!(f, " had not been described yet"),
        }
    }
}

/// `ended ROLLBACK_SUCCESSFUL at BAKE_TIME: <statusReason>` (`is ROLLBACK_IN_PROGRESS` while
/// ECS is still at it).
fn ended(seen: &ServiceDeploymentState) -> String {
    let verb = match seen.phase() {
        DeploymentPhase::Failing | DeploymentPhase::Running => "is",
        DeploymentPhase::Failed | DeploymentPhase::Succeeded => "ended",
    };
    let mut text = format!("{verb} {}", seen.status);
    if let Some(stage) = &seen.lifecycle_stage {
        text.push_str(&format!(" at {stage}"));
    }
    if !seen.status_reason.is_empty() {
        text.push_str(&format!(": {}", seen.status_reason.trim_end_matches('.')));
    }
    text
}

/// `; rollback: …; circuit breaker …; alarms that fired: …; rejected PAUSE hook …`.
fn details(
    f: &mut fmt::Formatter<'_>,
    seen: &ServiceDeploymentState,
    answered: &[(String, HookAction)],
) -> fmt::Result {
    // ECS often gives the rollback the status's own reason: say it once.
    if let Some(rollback) = &seen.rollback
        && !rollback.reason.is_empty()
        && rollback.reason.trim_end_matches('.') != seen.status_reason.trim_end_matches('.')
    {
        write!(f, "; rollback: {}", rollback.reason.trim_end_matches('.'))?;
    }
    if let Some(cb) = &seen.circuit_breaker
        && cb.status != MonitorStatus::Disabled
    {
        write!(
            f,
            "; circuit breaker {} ({} failed tasks, threshold {})",
            cb.status, cb.failure_count, cb.threshold
        )?;
    }
    if let Some(alarms) = &seen.alarms
        && alarms.status != MonitorStatus::Disabled
    {
        if alarms.triggered.is_empty() {
            write!(f, "; alarms {} (none fired)", alarms.status)?;
        } else {
            write!(f, "; alarms that fired: {}", alarms.triggered.join(", "))?;
        }
    }
    for (hook, action) in answered {
        write!(f, "; PAUSE hook {hook} answered {action} by this provider")?;
    }
    let timed_out: Vec<&str> = seen
        .hooks
        .iter()
        .filter(|h| h.status == HookStatus::TimedOut)
        .map(|h| h.hook_id.as_str())
        .collect();
    if !timed_out.is_empty() {
        write!(f, "; hooks that timed out: {}", timed_out.join(", "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::service_deployment::fixtures::service_deployment;
    use super::super::super::service_deployment::{AlarmsInfo, CircuitBreakerInfo, RollbackInfo};
    use super::*;

    const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/example:prod";

    fn digest(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).expect("digest")
    }

    fn expected() -> ExpectedImage {
        ExpectedImage {
            repository: RepositoryRef::new("example"),
            tag: "prod".into(),
            digest: digest('2'),
        }
    }

    fn revision(images: &[(&str, &str, Option<Digest>)]) -> RevisionImages {
        RevisionImages {
            arn: "arn:rev".into(),
            images: images
                .iter()
                .map(|(c, i, d)| ContainerImage {
                    container: (*c).into(),
                    image: (*i).into(),
                    digest: d.as_ref().map(|d| d.to_string()),
                })
                .collect(),
        }
    }

    fn outcome(verdict: Verdict, seen: Option<ServiceDeploymentState>) -> DeploymentOutcome {
        DeploymentOutcome {
            follow: Follow {
                deployment: RecordedDeployment {
                    cluster: "example".into(),
                    service: "web".into(),
                    service_arn: "arn:svc".into(),
                    deployment_id: "ecs-svc/1".into(),
                    service_deployment_arn: Some("arn:sd/1".into()),
                    strategy: None,
                },
                expected: Some(expected()),
            },
            last_seen: seen,
            verdict,
            answered: Vec::new(),
        }
    }

    #[test]
    fn only_containers_on_the_tag_are_checked() {
        let sidecar = "public.ecr.aws/nginx/nginx:1.27";
        let other_tag = "123456789012.dkr.ecr.us-east-1.amazonaws.com/example:stage";
        let good = revision(&[
            ("app", IMAGE, Some(digest('2'))),
            ("proxy", sidecar, Some(digest('9'))),
            ("canary", other_tag, Some(digest('1'))),
        ]);
        assert_eq!(expected().check(&good), Ok(()));
        let stale = revision(&[
            ("app", IMAGE, Some(digest('1'))),
            ("worker", IMAGE, Some(digest('2'))),
        ]);
        assert!(matches!(
            expected().check(&stale),
            Err(DeploymentFailure::WrongDigest { containers }) if containers.len() == 1 && containers[0].container == "app"
        ));
        let unresolved = revision(&[("app", IMAGE, None)]);
        assert!(matches!(
            expected().check(&unresolved),
            Err(DeploymentFailure::WrongDigest { .. })
        ));
        let none = revision(&[("proxy", sidecar, Some(digest('9')))]);
        assert!(matches!(
            expected().check(&none),
            Err(DeploymentFailure::NoContainerOnTag { .. })
        ));
        // Another account's repository of the same name is another repository, when known.
        let mut elsewhere = expected();
        elsewhere.repository.registry_id = Some("210987654321".into());
        assert!(!elsewhere.uses_tag(IMAGE));
        assert!(
            !expected().uses_tag(&format!("{IMAGE}@{}", digest('2'))),
            "pinned by digest"
        );
    }

    #[test]
    fn a_rollback_names_its_reasons_monitors_and_alarms() {
        let mut seen = service_deployment("arn:sd/1", "ROLLBACK_SUCCESSFUL", Some("BAKE_TIME"), 2);
        seen.finished = true;
        seen.status_reason = "Alarm example-5xx went into ALARM.".into();
        seen.rollback = Some(RollbackInfo {
            reason: "Rolling back: alarms fired".into(),
            revision_arn: None,
        });
        seen.circuit_breaker = Some(CircuitBreakerInfo {
            status: MonitorStatus::MonitoringComplete,
            failure_count: 0,
            threshold: 3,
        });
        seen.alarms = Some(AlarmsInfo {
            status: MonitorStatus::Triggered,
            names: vec!["example-5xx".into(), "latency".into()],
            triggered: vec!["example-5xx".into()],
        });
        let text = outcome(Verdict::Failed(DeploymentFailure::Ended), Some(seen)).to_string();
        assert_eq!(
            text,
            "the service deployment arn:sd/1 of service web ended ROLLBACK_SUCCESSFUL at BAKE_TIME: Alarm example-5xx went into ALARM; rollback: Rolling back: alarms fired; circuit breaker MONITORING_COMPLETE (0 failed tasks, threshold 3); alarms that fired: example-5xx"
        );
        let mut rolling = service_deployment("arn:sd/1", "ROLLBACK_IN_PROGRESS", None, 0);
        rolling.status_reason = "stopped by StopServiceDeployment".into();
        let text = outcome(Verdict::Failed(DeploymentFailure::Ended), Some(rolling)).to_string();
        assert!(
            text.ends_with("is ROLLBACK_IN_PROGRESS: stopped by StopServiceDeployment"),
            "{text}"
        );
    }

    #[test]
    fn unfinished_and_digest_failures_say_where_they_stand() {
        let seen = service_deployment("arn:sd/1", "IN_PROGRESS", Some("SCALE_UP"), 1);
        let text = outcome(Verdict::Unfinished, Some(seen)).to_string();
        assert!(
            text.ends_with("was still IN_PROGRESS at SCALE_UP (1/2 tasks running, 1 pending)"),
            "{text}"
        );
        let wrong = DeploymentFailure::WrongDigest {
            containers: vec![ContainerImage {
                container: "app".into(),
                image: IMAGE.into(),
                digest: Some(digest('1').to_string()),
            }],
        };
        let text = outcome(Verdict::Failed(wrong), None).to_string();
        assert!(
            text.contains(&format!(
                "resolved {} for container app (example:prod), not the promoted {}",
                digest('1'),
                digest('2')
            )),
            "{text}"
        );
    }
}
