//! Progress of the service deployments a wait follows: one [`ProgressEvent`] per service each
//! time its deployment changes stage, status or traffic weights, reaches or leaves a PAUSE
//! hook, or ends. The caller of the wait says where events go with a [`ProgressSink`]:
//! [`LogProgress`] writes each as an INFO log line (`TF_LOG=INFO` shows them); a channel
//! ([`tokio::sync::mpsc::UnboundedSender`]) or a closure forwards them elsewhere, e.g. to the
//! progress stream of a Terraform action.

use std::fmt;

use super::service_deployment::{HookRun, RevisionSummary, ServiceDeploymentState, percent};
use super::status::{DeploymentStrategy, HookAction, LifecycleStage, ServiceDeploymentStatus};

/// Where progress events go. Implementations must return quickly: the wait calls them between
/// two polls.
pub trait ProgressSink: Send + Sync {
    /// Takes one event.
    fn report(&self, event: &ProgressEvent);
}

/// Writes every event as one INFO log line, with its fields.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogProgress;

impl ProgressSink for LogProgress {
    fn report(&self, event: &ProgressEvent) {
        tracing::info!(
            cluster = %event.cluster,
            service = %event.service,
            service_deployment = %event.service_deployment_arn,
            status = %event.status,
            lifecycle_stage = event.stage.as_ref().map(LifecycleStage::as_str).unwrap_or(""),
            strategy = %event.strategy,
            production_traffic = event.target.as_ref().and_then(|t| t.production_traffic).map(percent).unwrap_or_default(),
            running_tasks = event.target.as_ref().map_or(0, |t| t.running),
            "{event}"
        );
    }
}

/// Drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn report(&self, _event: &ProgressEvent) {}
}

impl<F> ProgressSink for F
where
    F: Fn(&ProgressEvent) + Send + Sync,
{
    fn report(&self, event: &ProgressEvent) {
        self(event)
    }
}

impl ProgressSink for tokio::sync::mpsc::UnboundedSender<ProgressEvent> {
    fn report(&self, event: &ProgressEvent) {
        // A receiver that went away wants no more events; the wait goes on regardless.
        let _ = self.send(event.clone());
    }
}

/// Sends every event to both sinks (e.g. the log and an action's stream).
#[derive(Debug, Clone, Copy)]
pub struct Both<A, B>(pub A, pub B);

impl<A: ProgressSink, B: ProgressSink> ProgressSink for Both<A, B> {
    fn report(&self, event: &ProgressEvent) {
        self.0.report(event);
        self.1.report(event);
    }
}

/// What happened to one service's deployment.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressKind {
    /// Its status, stage or traffic weights changed (the first event of each deployment too).
    Changed,
    /// It is paused at a PAUSE hook that waits for an action (ContinueServiceDeployment).
    AwaitingAction {
        /// The hook run.
        hook: HookRun,
    },
    /// The wait answered a PAUSE hook, as its options said.
    Answered {
        /// The hook's id.
        hook_id: String,
        /// CONTINUE or ROLLBACK.
        action: HookAction,
    },
    /// It succeeded and its revision resolved the expected digest.
    Succeeded,
    /// It failed (the sentence says how).
    Failed {
        /// What went wrong, as a sentence.
        reason: String,
    },
}

/// One service's deployment, at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressEvent {
    /// The cluster, as the caller named it.
    pub cluster: String,
    /// The service, as the caller named it.
    pub service: String,
    /// The service deployment's ARN.
    pub service_deployment_arn: String,
    /// Its status.
    pub status: ServiceDeploymentStatus,
    /// Its lifecycle stage, while it runs.
    pub stage: Option<LifecycleStage>,
    /// Its strategy.
    pub strategy: DeploymentStrategy,
    /// The revision being deployed: tasks and traffic.
    pub target: Option<RevisionSummary>,
    /// What happened.
    pub kind: ProgressKind,
}

impl ProgressEvent {
    /// An event about `state`, the deployment of `service` in `cluster`.
    pub fn new(
        cluster: &str,
        service: &str,
        state: &ServiceDeploymentState,
        kind: ProgressKind,
    ) -> ProgressEvent {
        ProgressEvent {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            service_deployment_arn: state.arn.clone(),
            status: state.status.clone(),
            stage: state.stage_while_running().cloned(),
            strategy: state.strategy.clone(),
            target: state.target.clone(),
            kind,
        }
    }
}

impl fmt::Display for ProgressEvent {
    /// `service example (BLUE_GREEN): IN_PROGRESS at BAKE_TIME; 2/2 tasks running, 0 pending,
    /// test traffic 100%, production traffic 100%`, then what happened.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service {} ({}): {}",
            self.service, self.strategy, self.status
        )?;
        if let Some(stage) = &self.stage {
            write!(f, " at {stage}")?;
        }
        if let Some(target) = &self.target {
            write!(f, "; {target}")?;
        }
        match &self.kind {
            ProgressKind::Changed => Ok(()),
            ProgressKind::AwaitingAction { hook } => write!(
                f,
                "; paused: PAUSE hook {} awaits CONTINUE or ROLLBACK{} (aws ecs continue-service-deployment --service-deployment-arn {} --hook-id {} --action CONTINUE)",
                hook.hook_id,
                match (&hook.expires_at, &hook.timeout_action) {
                    (at, Some(action)) if !at.is_empty() => format!(", else {action} at {at}"),
                    (at, None) if !at.is_empty() => format!(" until {at}"),
                    _ => String::new(),
                },
                self.service_deployment_arn,
                hook.hook_id
            ),
            ProgressKind::Answered { hook_id, action } => {
                write!(f, "; answered PAUSE hook {hook_id} with {action}")
            }
            ProgressKind::Succeeded => write!(f, "; done"),
            ProgressKind::Failed { reason } => write!(f, "; failed: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::service_deployment::fixtures::service_deployment;
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn events_read_as_one_line_with_stage_traffic_and_tasks() {
        let mut sd = service_deployment("arn:sd/1", "IN_PROGRESS", Some("BAKE_TIME"), 2);
        sd.strategy = DeploymentStrategy::BlueGreen;
        if let Some(t) = sd.target.as_mut() {
            t.test_traffic = Some(100.0);
            t.production_traffic = Some(100.0);
        }
        let event = ProgressEvent::new("example", "web", &sd, ProgressKind::Changed);
        assert_eq!(
            event.to_string(),
            "service web (BLUE_GREEN): IN_PROGRESS at BAKE_TIME; 2/2 tasks running, 0 pending, test traffic 100%, production traffic 100%"
        );
        let hook = HookRun {
            hook_id: "ecs-pause-1".into(),
            target_type: "PAUSE".into(),
            target_arn: None,
            status: "AWAITING_ACTION".into(),
            expires_at: "2026-01-02T00:00:00Z".into(),
            timeout_action: Some(HookAction::Rollback),
        };
        let paused =
            ProgressEvent::new("example", "web", &sd, ProgressKind::AwaitingAction { hook });
        let text = paused.to_string();
        assert!(
            text.contains("PAUSE hook ecs-pause-1 awaits CONTINUE or ROLLBACK, else ROLLBACK at 2026-01-02T00:00:00Z")
                && text.contains("--service-deployment-arn arn:sd/1 --hook-id ecs-pause-1"),
            "{text}"
        );
    }

    #[test]
    fn sinks_forward_every_event() {
        let sd = service_deployment("arn:sd/1", "PENDING", None, 0);
        let event = ProgressEvent::new("c", "s", &sd, ProgressKind::Changed);
        let seen = Mutex::new(Vec::new());
        let closure = |e: &ProgressEvent| seen.lock().expect("lock").push(e.service.clone());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let both = Both(&closure, tx);
        both.report(&event);
        assert_eq!(*seen.lock().expect("lock"), ["s"]);
        assert_eq!(rx.try_recv().ok(), Some(event));
    }
}
