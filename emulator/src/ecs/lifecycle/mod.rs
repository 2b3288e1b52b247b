//! The service deployment state machine: on each clock step it moves the service's current
//! service deployment through the phases of its strategy (hooks, scale-up, traffic shifts, bake
//! times, clean-up), watches the circuit breaker and the alarms, carries out rollbacks and stops,
//! and tells the scheduler (`super::rollout`) how to treat the tasks this step.
//!
//! Statuses follow the API: PENDING → IN_PROGRESS → SUCCESSFUL; ROLLBACK_REQUESTED →
//! ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED; STOP_REQUESTED → STOPPED. A
//! *requested* status lasts until the next clock step. `deployments[]` follows: the target's
//! `rolloutState` is IN_PROGRESS until the service deployment ends, COMPLETED when it succeeds,
//! FAILED when it fails or stops.
//!
//! - this module: the step (`advance`), the scheduling [`Mode`], starting and completing
//!   deployments;
//! - `phases`: the phases of a running deployment (scale-up, shifts, waits, clean-up);
//! - `hooks`: lifecycle hook runs and ContinueServiceDeployment;
//! - `failure`: the monitors (circuit breaker, alarms), rollbacks and stops.

mod failure;
mod hooks;
mod phases;

use crate::ids::SplitMix64;

use super::deployment::{LastCompleted, RolloutState, revision_id};
use super::externals::Outside;
use super::model::Service;
use super::service_deployment::{Phase, SdStatus, ServiceDeployment, StopKind};
use super::task::{Task, TaskStatus, deployment_counts};

pub use failure::{not_found, request_stop};
pub use hooks::continue_hook;

/// How the scheduler treats a service's tasks in this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The rolling scheduler: the PRIMARY grows within `maximumPercent` while older tasks stop
    /// within `minimumHealthyPercent`. A FAILED PRIMARY launches nothing.
    Rolling,
    /// Launch and stop nothing (hooks before the scale-up).
    Hold,
    /// The PRIMARY grows to its desired count beside the other revisions, which keep running
    /// (blue/green scale-up, traffic shifts, bake time).
    Beside,
    /// The PRIMARY keeps its desired count and every other task stops (blue/green clean-up and
    /// rollback).
    Replace,
}

pub(super) fn index_of(service: &Service, deployment_id: &str) -> Option<usize> {
    service
        .deployments
        .iter()
        .position(|d| d.id == deployment_id)
}

pub(super) fn draining(tasks: &[Task], service: &str) -> bool {
    tasks.iter().any(|t| {
        t.service == service && t.desired == TaskStatus::Stopped && t.last != TaskStatus::Stopped
    })
}

/// Whether the PRIMARY is alone and runs exactly its desired count, with nothing pending or
/// draining: a rolling deployment (or a rollback) is done.
pub(super) fn settled(service: &Service, tasks: &[Task]) -> bool {
    let Some(p) = service.deployments.first() else {
        return false;
    };
    let (running, pending) = deployment_counts(tasks, &service.name, &p.id);
    service.deployments.len() == 1
        && running == service.desired_count
        && pending == 0
        && !draining(tasks, &service.name)
}

/// Marks the PRIMARY COMPLETED and remembers it as the rollback target.
pub fn complete(service: &mut Service, now_ms: i64, ids: &mut SplitMix64) {
    let Some(p) = service.deployments.first_mut() else {
        return;
    };
    p.rollout = RolloutState::Completed;
    p.reason = format!("ECS deployment {} completed.", p.id);
    p.updated_ms = now_ms;
    let id = p.id.clone();
    service.last_completed = Some(LastCompleted {
        deployment_id: id.clone(),
        revision: p.revision.id.clone(),
    });
    let name = service.name.clone();
    service.event(
        ids,
        now_ms,
        format!("(service {name}) ({id}) deployment completed."),
    );
    service.event(
        ids,
        now_ms,
        format!("(service {name}) has reached a steady state."),
    );
}

/// Records the service deployment of a new `deployments[]` entry (already inserted as PRIMARY)
/// and stops the one it replaces, if that one was still running.
pub fn begin(service: &mut Service, deployment_id: &str, now_ms: i64) {
    let sources: Vec<String> = service
        .deployments
        .iter()
        .filter(|d| d.id != deployment_id)
        .map(|d| d.revision.id.clone())
        .fold(Vec::new(), |mut acc, r| {
            if !acc.contains(&r) {
                acc.push(r);
            }
            acc
        });
    let sd = ServiceDeployment::new(
        deployment_id,
        revision_id(deployment_id),
        sources,
        service.config.clone(),
        now_ms,
    );
    if let Some(previous) = service.service_deployments.last_mut()
        && !previous.status.is_final()
    {
        let reason = format!(
            "Service deployment stopped: service deployment {} replaced it.",
            sd.id
        );
        previous.finish(SdStatus::Stopped, Some(reason), now_ms);
    }
    service.service_deployments.push(sd);
}

/// Settles a just-created service's first service deployment as SUCCESSFUL (world loading).
pub fn succeed_at_once(service: &mut Service, now_ms: i64) {
    if let Some(sd) = service.service_deployments.last_mut() {
        sd.started_ms = Some(now_ms);
        sd.phase = sd.plan.len();
        sd.stage = sd.plan.last().map(Phase::stage);
        sd.finish(SdStatus::Successful, None, now_ms);
    }
}

/// The service deployment of a service with its ARN id, for the API.
pub fn find_mut<'a>(service: &'a mut Service, id: &str) -> Option<&'a mut ServiceDeployment> {
    service
        .service_deployments
        .iter_mut()
        .find(|sd| sd.id == id)
}

/// What a phase says after this step's look.
pub(super) enum Progress {
    Done,
    Wait,
    Fail(String),
}

/// One clock step of the service's current service deployment. Returns how the scheduler treats
/// the tasks in this step.
pub fn advance(
    service: &mut Service,
    tasks: &[Task],
    now_ms: i64,
    ids: &mut SplitMix64,
    outside: &Outside,
) -> Mode {
    let Some(last) = service.service_deployments.len().checked_sub(1) else {
        return Mode::Rolling;
    };
    let status = service.service_deployments[last].status;
    match status {
        SdStatus::Pending => {
            let sd = &mut service.service_deployments[last];
            sd.status = SdStatus::InProgress;
            sd.started_ms = Some(now_ms);
            sd.updated_ms = now_ms;
            phases::run(service, last, tasks, now_ms, ids, outside)
        }
        SdStatus::InProgress => phases::run(service, last, tasks, now_ms, ids, outside),
        SdStatus::StopRequested => {
            let sd = &mut service.service_deployments[last];
            let reason = sd.status_reason.clone();
            let deployment = sd.deployment_id.clone();
            sd.finish(SdStatus::Stopped, reason, now_ms);
            if let Some(i) = index_of(service, &deployment) {
                service.deployments[i].fail("Service deployment stopped.".to_string(), now_ms);
            }
            Mode::Rolling
        }
        SdStatus::RollbackRequested => {
            if service.service_deployments[last].stop == Some(StopKind::Rollback) {
                failure::begin_rollback(service, last, now_ms, ids);
            }
            let sd = &mut service.service_deployments[last];
            if sd.status == SdStatus::RollbackRequested {
                sd.status = SdStatus::RollbackInProgress;
                sd.updated_ms = now_ms;
            }
            // The rollback finishes at the earliest at the next step.
            failure::after_failure(service, last)
        }
        SdStatus::RollbackInProgress => failure::rolling_back(service, last, tasks, now_ms, ids),
        SdStatus::Successful
        | SdStatus::Stopped
        | SdStatus::RollbackSuccessful
        | SdStatus::RollbackFailed => Mode::Rolling,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::config::{DeployConfig, HookAction, HookStage, HookTargetType, LifecycleHook};
    use crate::ecs::deployment::{Deployment, DeploymentStatus, Revision};
    use crate::ecs::service_deployment::HookStatus;
    use crate::ecs::task::TdKey;

    fn service(config: DeployConfig) -> Service {
        let revision = Revision {
            id: "1".into(),
            task_definition: TdKey {
                family: "f".into(),
                revision: 1,
            },
            containers: Vec::new(),
            cpu: None,
            memory: None,
            launch_type: "FARGATE".into(),
            network_configuration: None,
            load_balancers: Vec::new(),
            created_ms: 0,
        };
        let mut s = Service {
            name: "s".into(),
            created_ms: 0,
            desired_count: 0,
            task_definition: revision.task_definition.clone(),
            config,
            launch_type: "FARGATE".into(),
            network_configuration: None,
            load_balancers: Vec::new(),
            controller: "ECS".into(),
            deployments: vec![Deployment {
                id: "ecs-svc/1".into(),
                status: DeploymentStatus::Primary,
                revision: revision.clone(),
                desired_count: 0,
                failed_tasks: 0,
                rollout: RolloutState::InProgress,
                reason: String::new(),
                created_ms: 0,
                updated_ms: 0,
                had_running: false,
            }],
            retired: Vec::new(),
            revisions: vec![revision],
            service_deployments: Vec::new(),
            last_completed: None,
            events: Vec::new(),
        };
        begin(&mut s, "ecs-svc/1", 0);
        s
    }

    fn pause_at(stage: HookStage, minutes: i64, action: HookAction) -> LifecycleHook {
        LifecycleHook {
            target_type: HookTargetType::Pause,
            target_type_given: true,
            target_arn: None,
            role_arn: None,
            stages: vec![stage],
            details: None,
            timeout_minutes: Some(minutes),
            timeout_action: Some(action),
            timeout_given: true,
        }
    }

    #[test]
    fn a_pause_hook_holds_the_scale_up_until_continued() {
        let config = DeployConfig {
            hooks: vec![pause_at(HookStage::PreScaleUp, 10, HookAction::Rollback)],
            ..DeployConfig::default()
        };
        let mut s = service(config);
        let mut ids = SplitMix64::new(1);
        let outside = Outside::default();
        assert_eq!(advance(&mut s, &[], 1000, &mut ids, &outside), Mode::Hold);
        let sd = s.current().unwrap();
        assert_eq!(sd.status, SdStatus::InProgress);
        assert_eq!(sd.hooks[0].status, HookStatus::AwaitingAction);
        let (sd_id, hook_id) = (sd.id.clone(), sd.hooks[0].id.clone());
        assert!(hook_id.starts_with("ecs-pause-"));
        continue_hook(&mut s, &sd_id, &hook_id, HookAction::Continue, 1500).unwrap();
        // With desired 0 the scale-up is done at once, and so is the rest of a rolling plan.
        assert_eq!(
            advance(&mut s, &[], 2000, &mut ids, &outside),
            Mode::Rolling
        );
        assert_eq!(s.current().unwrap().status, SdStatus::Successful);
        assert_eq!(s.deployments[0].rollout, RolloutState::Completed);
        let again = continue_hook(&mut s, &sd_id, &hook_id, HookAction::Continue, 2500);
        assert_eq!(again.unwrap_err().code, "ClientException");
    }

    #[test]
    fn a_hook_that_times_out_takes_its_timeout_action() {
        let config = DeployConfig {
            hooks: vec![pause_at(HookStage::PreScaleUp, 1, HookAction::Rollback)],
            ..DeployConfig::default()
        };
        let mut s = service(config);
        let mut ids = SplitMix64::new(1);
        let outside = Outside::default();
        advance(&mut s, &[], 0, &mut ids, &outside);
        advance(&mut s, &[], 59_000, &mut ids, &outside);
        assert_eq!(s.current().unwrap().status, SdStatus::InProgress);
        advance(&mut s, &[], 60_000, &mut ids, &outside);
        let sd = s.current().unwrap();
        assert_eq!(sd.hooks[0].status, HookStatus::TimedOut);
        // Nothing completed before: there is nothing to roll back to.
        assert_eq!(sd.status, SdStatus::RollbackFailed);
        assert!(sd.status_reason.as_deref().unwrap().contains("timed out"));
    }

    #[test]
    fn stopping_a_finished_deployment_conflicts() {
        let mut s = service(DeployConfig::default());
        let id = s.current().unwrap().id.clone();
        succeed_at_once(&mut s, 0);
        let e = request_stop(&mut s, &id, StopKind::Rollback, 1).unwrap_err();
        assert_eq!(e.code, "ConflictException");
        let e = request_stop(&mut s, "nope", StopKind::Rollback, 1).unwrap_err();
        assert_eq!(e.code, "ServiceDeploymentNotFoundException");
    }
}
