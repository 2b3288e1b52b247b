//! Waiting for service deployments: follow the service deployment each forced deployment
//! started, of any services in any clusters at once, until each has succeeded (SUCCESSFUL, and
//! its target revision resolved the promoted digest for the containers on the tag, when it must
//! deliver one) or failed, the timeout passes, or the wait is cancelled.
//!
//! One round costs one DescribeServiceDeployments call per 20 deployments still running; a
//! deployment that turns SUCCESSFUL costs its share of one DescribeServiceRevisions call (20
//! revisions a call, for every deployment that succeeded in the same round); a PAUSE hook the
//! options answer costs one ContinueServiceDeployment. Rounds start `poll_interval` apart and
//! the pause doubles up to `max_poll_interval` (it starts over after the wait answered a hook,
//! when the deployment moves on at once). Calls that fail transiently (throttling, errors inside
//! AWS, connections) are tried again at the next round until the timeout; the SDK has already
//! retried each.
//!
//! The wait only reads and answers hooks: stopping deployments it gave up on is the caller's
//! choice ([`Ecs::stop_service_deployments`]), made with [`DeploymentOutcome::in_flight`].

mod outcome;

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use outcome::{DeploymentFailure, DeploymentOutcome, ExpectedImage, Follow, Verdict};

use super::Ecs;
use super::progress::{ProgressEvent, ProgressKind, ProgressSink};
use super::service_deployment::ServiceDeploymentState;
use super::service_deployments::ContinueOutcome;
use super::status::{DeploymentPhase, HookAction, LifecycleStage, ServiceDeploymentStatus};
use crate::aws::error::EcsError;

/// What to do with a PAUSE lifecycle hook that awaits an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PauseAction {
    /// Approve it: ContinueServiceDeployment with CONTINUE.
    Continue,
    /// Reject it: ContinueServiceDeployment with ROLLBACK (ECS rolls the deployment back).
    Rollback,
    /// Leave it to someone else (the console, the CLI) or to the hook's timeout action.
    #[default]
    Wait,
}

/// How to wait.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// First pause between rounds; it doubles up to `max_poll_interval`.
    pub poll_interval: Duration,
    /// The longest pause between rounds.
    pub max_poll_interval: Duration,
    /// Stops the wait early (Terraform's StopProvider).
    pub cancel: CancellationToken,
    /// Return as soon as one deployment fails, leaving the others [`Verdict::Unfinished`]
    /// (when one failure fails the whole, waiting for the others only delays the rollback).
    pub fail_fast: bool,
    /// What to do with PAUSE hooks awaiting an action.
    pub on_pause: PauseAction,
}

impl WaitOptions {
    /// Options with the usual pacing (250 ms doubling up to 5 s), fail-fast, and PAUSE hooks
    /// left alone.
    pub fn new(timeout: Duration, cancel: CancellationToken) -> WaitOptions {
        WaitOptions {
            timeout,
            poll_interval: Duration::from_millis(250),
            max_poll_interval: Duration::from_secs(5),
            cancel,
            fail_fast: true,
            on_pause: PauseAction::Wait,
        }
    }
}

/// Why a wait ended without every deployment succeeding. Each variant carries every
/// deployment's outcome, in the order they were given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WaitError {
    /// At least one deployment failed (with fail-fast, others may be unfinished).
    #[error("the deployment of {} did not succeed", services(outcomes, |o| matches!(o.verdict, Verdict::Failed(_))))]
    Failed {
        /// Every deployment's outcome.
        outcomes: Vec<DeploymentOutcome>,
    },
    /// The timeout passed with deployments still running.
    #[error("timed out after {} waiting for the deployment of {}", human(*timeout), services(outcomes, |o| o.verdict == Verdict::Unfinished))]
    TimedOut {
        /// The timeout that passed.
        timeout: Duration,
        /// Every deployment's outcome.
        outcomes: Vec<DeploymentOutcome>,
    },
    /// Terraform asked the provider to stop.
    #[error("stopped while waiting for the deployment of {}", services(outcomes, |o| o.verdict == Verdict::Unfinished))]
    Cancelled {
        /// Every deployment's outcome.
        outcomes: Vec<DeploymentOutcome>,
    },
    /// An ECS call failed in a way that waiting longer does not mend.
    #[error("{error}")]
    Ecs {
        /// The error.
        error: Box<EcsError>,
        /// Every deployment's outcome.
        outcomes: Vec<DeploymentOutcome>,
    },
}

impl WaitError {
    /// Every deployment's outcome.
    pub fn outcomes(&self) -> &[DeploymentOutcome] {
        match self {
            WaitError::Failed { outcomes }
            | WaitError::TimedOut { outcomes, .. }
            | WaitError::Cancelled { outcomes }
            | WaitError::Ecs { outcomes, .. } => outcomes,
        }
    }
}

/// The services of the outcomes `pick` selects, comma-separated.
fn services(outcomes: &[DeploymentOutcome], pick: impl Fn(&DeploymentOutcome) -> bool) -> String {
    let names: Vec<&str> = outcomes
        .iter()
        .filter(|o| pick(o))
        .map(|o| o.follow.deployment.service.as_str())
        .collect();
    if names.is_empty() {
        "the services".to_owned()
    } else {
        names.join(", ")
    }
}

/// `15m`, `1m30s`, `45s`, `500ms`.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, 0) => format!("{}ms", d.as_millis()),
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// What a progress line last showed of a deployment: a new line when this changes.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    status: ServiceDeploymentStatus,
    stage: Option<LifecycleStage>,
    traffic: Option<(Option<f64>, Option<f64>)>,
    awaiting: Vec<String>,
}

impl Shown {
    fn of(state: &ServiceDeploymentState) -> Shown {
        Shown {
            status: state.status.clone(),
            stage: state.stage_while_running().cloned(),
            traffic: state
                .target
                .as_ref()
                .map(|t| (t.test_traffic, t.production_traffic)),
            awaiting: state.awaiting_action().map(|h| h.hook_id.clone()).collect(),
        }
    }
}

/// One followed deployment during the wait.
struct Tracked {
    outcome: DeploymentOutcome,
    /// What its last progress line showed.
    shown: Option<Shown>,
    /// SUCCESSFUL, its revision's digests not checked yet.
    unverified: bool,
}

impl Tracked {
    fn running(&self) -> bool {
        self.outcome.verdict == Verdict::Unfinished && !self.unverified
    }

    fn arn(&self) -> Option<&str> {
        self.outcome.arn()
    }
}

/// What became of a call made while the deadline and the cancellation stand.
enum Guarded<T> {
    Done(T),
    Deadline,
    Cancelled,
}

/// True for a failure that a later call may not meet.
fn transient(error: &EcsError) -> bool {
    matches!(error, EcsError::Api(api) if api.is_transient())
}

impl Ecs {
    /// Follows the service deployments in `follow` (any services, any clusters) until each
    /// has succeeded, or one has failed (with `fail_fast`, else until each has ended), the
    /// timeout passes, or the wait is cancelled. Reports progress to `progress`. Returns every
    /// outcome (all [`Verdict::Succeeded`]) or the error that says why not, with every outcome.
    pub async fn wait_for_deployments(
        &self,
        follow: &[Follow],
        options: &WaitOptions,
        progress: &dyn ProgressSink,
    ) -> Result<Vec<DeploymentOutcome>, WaitError> {
        let mut waiter = Waiter {
            ecs: self,
            options,
            progress,
            deadline: Instant::now() + options.timeout,
            tracked: follow
                .iter()
                .map(|f| Tracked {
                    outcome: DeploymentOutcome {
                        follow: f.clone(),
                        last_seen: None,
                        verdict: if f.deployment.service_deployment_arn.is_some() {
                            Verdict::Unfinished
                        } else {
                            Verdict::Failed(DeploymentFailure::NotRecorded)
                        },
                        answered: Vec::new(),
                    },
                    shown: None,
                    unverified: false,
                })
                .collect(),
        };
        waiter.run().await
    }
}

struct Waiter<'a> {
    ecs: &'a Ecs,
    options: &'a WaitOptions,
    progress: &'a dyn ProgressSink,
    deadline: Instant,
    tracked: Vec<Tracked>,
}

impl Waiter<'_> {
    async fn run(&mut self) -> Result<Vec<DeploymentOutcome>, WaitError> {
        let mut pause = self.options.poll_interval;
        loop {
            let mut moved_on = false;
            match self.round(&mut moved_on).await {
                Guarded::Done(Ok(())) => {}
                Guarded::Done(Err(error)) => {
                    return Err(WaitError::Ecs {
                        error: Box::new(error),
                        outcomes: self.outcomes(),
                    });
                }
                Guarded::Cancelled => return Err(self.cancelled()),
                Guarded::Deadline => return Err(self.timed_out()),
            }
            if let Some(end) = self.decided() {
                return end;
            }
            let now = Instant::now();
            if now >= self.deadline {
                return Err(self.timed_out());
            }
            if moved_on {
                pause = self.options.poll_interval;
            }
            tokio::select! {
                _ = self.options.cancel.cancelled() => return Err(self.cancelled()),
                _ = tokio::time::sleep(pause.min(self.deadline - now)) => {}
            }
            pause = (pause * 2).min(self.options.max_poll_interval);
        }
    }

    /// One round: describe what runs, answer PAUSE hooks, check the digests of what succeeded.
    /// `moved_on` is set when a hook was answered.
    async fn round(&mut self, moved_on: &mut bool) -> Guarded<Result<(), EcsError>> {
        let arns: Vec<String> = self
            .tracked
            .iter()
            .filter(|t| t.running())
            .filter_map(|t| t.arn().map(str::to_owned))
            .collect();
        if !arns.is_empty() {
            match self.guarded(self.ecs.service_deployments(&arns)).await {
                Guarded::Done(Ok(described)) => {
                    for state in described.found {
                        self.seen(state);
                    }
                    for (arn, reason) in described.failures {
                        self.missing(&arn, reason);
                    }
                }
                Guarded::Done(Err(error)) if transient(&error) => {
                    tracing::warn!(error = %error, "describing service deployments failed; trying again at the next poll");
                }
                Guarded::Done(Err(error)) => return Guarded::Done(Err(error)),
                Guarded::Deadline => return Guarded::Deadline,
                Guarded::Cancelled => return Guarded::Cancelled,
            }
        }
        match self.answer_hooks().await {
            Guarded::Done(Ok(answered)) => *moved_on |= answered,
            Guarded::Done(Err(error)) => return Guarded::Done(Err(error)),
            Guarded::Deadline => return Guarded::Deadline,
            Guarded::Cancelled => return Guarded::Cancelled,
        }
        self.verify().await
    }

    /// Records a described deployment: its verdict when it has ended, a progress line when it
    /// changed.
    fn seen(&mut self, state: ServiceDeploymentState) {
        let progress = self.progress;
        let on_pause = self.options.on_pause;
        for t in self
            .tracked
            .iter_mut()
            .filter(|t| t.running() && t.arn() == Some(state.arn.as_str()))
        {
            let shown = Shown::of(&state);
            let changed = t.shown.as_ref() != Some(&shown);
            let (cluster, service) = (
                t.outcome.follow.deployment.cluster.clone(),
                t.outcome.follow.deployment.service.clone(),
            );
            match state.phase() {
                DeploymentPhase::Running => {
                    if changed {
                        progress.report(&ProgressEvent::new(
                            &cluster,
                            &service,
                            &state,
                            ProgressKind::Changed,
                        ));
                        // A hook the wait is told to leave alone is announced once.
                        if on_pause == PauseAction::Wait {
                            let before = t
                                .shown
                                .as_ref()
                                .map(|s| s.awaiting.clone())
                                .unwrap_or_default();
                            for hook in state
                                .awaiting_action()
                                .filter(|h| !before.contains(&h.hook_id))
                            {
                                progress.report(&ProgressEvent::new(
                                    &cluster,
                                    &service,
                                    &state,
                                    ProgressKind::AwaitingAction { hook: hook.clone() },
                                ));
                            }
                        }
                    }
                }
                DeploymentPhase::Succeeded => t.unverified = true,
                DeploymentPhase::Failing | DeploymentPhase::Failed => {
                    t.outcome.verdict = Verdict::Failed(DeploymentFailure::Ended);
                }
            }
            t.shown = Some(shown);
            t.outcome.last_seen = Some(state.clone());
            if let Verdict::Failed(_) = t.outcome.verdict {
                let reason = t.outcome.to_string();
                progress.report(&ProgressEvent::new(
                    &cluster,
                    &service,
                    &state,
                    ProgressKind::Failed { reason },
                ));
            }
        }
    }

    /// A deployment ECS reported as a failure of DescribeServiceDeployments.
    fn missing(&mut self, arn: &str, reason: String) {
        for t in self
            .tracked
            .iter_mut()
            .filter(|t| t.running() && t.arn() == Some(arn))
        {
            t.outcome.verdict = Verdict::Failed(DeploymentFailure::Missing {
                reason: reason.clone(),
            });
        }
    }

    /// Answers the PAUSE hooks awaiting an action, as the options say. Returns whether one was
    /// answered.
    async fn answer_hooks(&mut self) -> Guarded<Result<bool, EcsError>> {
        let action = match self.options.on_pause {
            PauseAction::Wait => return Guarded::Done(Ok(false)),
            PauseAction::Continue => HookAction::Continue,
            PauseAction::Rollback => HookAction::Rollback,
        };
        let mut answered = false;
        for i in 0..self.tracked.len() {
            let t = &self.tracked[i];
            if !t.running() {
                continue;
            }
            let Some(state) = t.outcome.last_seen.clone() else {
                continue;
            };
            let hooks: Vec<String> = state
                .awaiting_action()
                .map(|h| h.hook_id.clone())
                .filter(|id| !t.outcome.answered.iter().any(|(done, _)| done == id))
                .collect();
            for hook_id in hooks {
                let call = self
                    .ecs
                    .continue_service_deployment(&state.arn, &hook_id, &action);
                match self.guarded(call).await {
                    Guarded::Done(Ok(ContinueOutcome::Done)) => {
                        let t = &mut self.tracked[i];
                        t.outcome.answered.push((hook_id.clone(), action.clone()));
                        let d = &t.outcome.follow.deployment;
                        self.progress.report(&ProgressEvent::new(
                            &d.cluster,
                            &d.service,
                            &state,
                            ProgressKind::Answered {
                                hook_id,
                                action: action.clone(),
                            },
                        ));
                        answered = true;
                    }
                    Guarded::Done(Ok(ContinueOutcome::NotAwaiting(message))) => {
                        // Someone else answered it, or it timed out: the next round shows what
                        // happened.
                        tracing::info!(hook_id = %hook_id, message = %message, "PAUSE hook no longer awaits an action");
                    }
                    Guarded::Done(Err(error)) if transient(&error) => {
                        tracing::warn!(error = %error, "answering a PAUSE hook failed; trying again at the next poll");
                    }
                    Guarded::Done(Err(error)) => return Guarded::Done(Err(error)),
                    Guarded::Deadline => return Guarded::Deadline,
                    Guarded::Cancelled => return Guarded::Cancelled,
                }
            }
        }
        Guarded::Done(Ok(answered))
    }

    /// Checks the target revisions of the deployments that turned SUCCESSFUL: one
    /// DescribeServiceRevisions call per 20 of them.
    async fn verify(&mut self) -> Guarded<Result<(), EcsError>> {
        let revisions: Vec<String> = self
            .tracked
            .iter()
            .filter(|t| t.unverified && t.outcome.follow.expected.is_some())
            .filter_map(|t| t.outcome.last_seen.as_ref()?.target.as_ref())
            .map(|r| r.arn.clone())
            .filter(|arn| !arn.is_empty())
            .collect();
        let mut described = Default::default();
        if !revisions.is_empty() {
            match self.guarded(self.ecs.service_revisions(&revisions)).await {
                Guarded::Done(Ok(found)) => described = found,
                Guarded::Done(Err(error)) if transient(&error) => {
                    tracing::warn!(error = %error, "describing service revisions failed; trying again at the next poll");
                    return Guarded::Done(Ok(()));
                }
                Guarded::Done(Err(error)) => return Guarded::Done(Err(error)),
                Guarded::Deadline => return Guarded::Deadline,
                Guarded::Cancelled => return Guarded::Cancelled,
            }
        }
        let described: super::service_deployments::Described<_> = described;
        for t in self.tracked.iter_mut().filter(|t| t.unverified) {
            t.unverified = false;
            let target = t
                .outcome
                .last_seen
                .as_ref()
                .and_then(|s| s.target.as_ref())
                .map(|r| r.arn.clone())
                .unwrap_or_default();
            // Without an image to deliver, SUCCESSFUL is success: nothing to check.
            let result = match (
                &t.outcome.follow.expected,
                described.found.iter().find(|r| r.arn == target),
            ) {
                (None, _) => Ok(()),
                (Some(expected), Some(revision)) => expected.check(revision),
                (Some(_), None) => Err(DeploymentFailure::RevisionMissing { arn: target }),
            };
            t.outcome.verdict = match result {
                Ok(()) => Verdict::Succeeded,
                Err(failure) => Verdict::Failed(failure),
            };
            if let Some(state) = &t.outcome.last_seen {
                let d = &t.outcome.follow.deployment;
                let kind = match &t.outcome.verdict {
                    Verdict::Succeeded => ProgressKind::Succeeded,
                    _ => ProgressKind::Failed {
                        reason: t.outcome.to_string(),
                    },
                };
                self.progress
                    .report(&ProgressEvent::new(&d.cluster, &d.service, state, kind));
            }
        }
        Guarded::Done(Ok(()))
    }

    /// The end of the wait, when it has come: every deployment decided, or (with fail-fast)
    /// one failed.
    fn decided(&self) -> Option<Result<Vec<DeploymentOutcome>, WaitError>> {
        let failed = self
            .tracked
            .iter()
            .any(|t| matches!(t.outcome.verdict, Verdict::Failed(_)));
        let open = self
            .tracked
            .iter()
            .any(|t| t.outcome.verdict == Verdict::Unfinished);
        if failed && (self.options.fail_fast || !open) {
            return Some(Err(WaitError::Failed {
                outcomes: self.outcomes(),
            }));
        }
        (!open).then(|| Ok(self.outcomes()))
    }

    fn outcomes(&self) -> Vec<DeploymentOutcome> {
        self.tracked.iter().map(|t| t.outcome.clone()).collect()
    }

    fn timed_out(&self) -> WaitError {
        WaitError::TimedOut {
            timeout: self.options.timeout,
            outcomes: self.outcomes(),
        }
    }

    fn cancelled(&self) -> WaitError {
        WaitError::Cancelled {
            outcomes: self.outcomes(),
        }
    }

    /// Runs `call` unless the deadline passes or the wait is cancelled first: a call that hangs
    /// must hold up neither a stop (Ctrl-C in Terraform) nor the timeout.
    async fn guarded<T>(&self, call: impl Future<Output = T>) -> Guarded<T> {
        tokio::select! {
            _ = self.options.cancel.cancelled() => Guarded::Cancelled,
            _ = tokio::time::sleep_until(self.deadline) => Guarded::Deadline,
            value = call => Guarded::Done(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_terraform_writes_them() {
        assert_eq!(human(Duration::from_secs(900)), "15m");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_secs(3)), "3s");
        assert_eq!(human(Duration::from_millis(500)), "500ms");
    }
}
