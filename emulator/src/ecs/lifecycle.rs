//! The service deployment state machine: on each clock step it moves the service's current
//! service deployment through the phases of its strategy (hooks, scale-up, traffic shifts, bake
//! times, clean-up), watches the circuit breaker and the alarms, carries out rollbacks and stops,
//! and tells the scheduler ([`super::rollout`]) how to treat the tasks this step.
//!
//! Statuses follow the API: PENDING → IN_PROGRESS → SUCCESSFUL; ROLLBACK_REQUESTED →
//! ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED; STOP_REQUESTED → STOPPED. A
//! *requested* status lasts until the next clock step. `deployments[]` follows: the target's
//! `rolloutState` is IN_PROGRESS until the service deployment ends, COMPLETED when it succeeds,
//! FAILED when it fails or stops.

use crate::ids::{self, SplitMix64, URL_SAFE};
use crate::protocol::AwsError;

use super::config::{HookAction, HookStage, HookTargetType, Strategy};
use super::deployment::{
    Deployment, DeploymentStatus, LastCompleted, RolloutState, deployment_counts, revision_id,
};
use super::externals::{LambdaResult, Outside};
use super::model::{Service, Task, TaskStatus};
use super::service_deployment::{
    HookRun, HookStatus, MonitorStatus, Phase, Rollback, SdStatus, ServiceDeployment, StopKind,
};

/// How long a Lambda hook waits before invoking a function that answered IN_PROGRESS again
/// (ECS's default `callBackDelay`).
const CALLBACK_DELAY_MS: i64 = 30_000;

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

/// Why a deployment failed, which decides whether it rolls back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    CircuitBreaker,
    Alarm,
    Hook,
}

fn index_of(service: &Service, deployment_id: &str) -> Option<usize> {
    service
        .deployments
        .iter()
        .position(|d| d.id == deployment_id)
}

fn draining(tasks: &[Task], service: &str) -> bool {
    tasks.iter().any(|t| {
        t.service == service && t.desired == TaskStatus::Stopped && t.last != TaskStatus::Stopped
    })
}

/// Whether the PRIMARY is alone and runs exactly its desired count, with nothing pending or
/// draining: a rolling deployment (or a rollback) is done.
fn settled(service: &Service, tasks: &[Task]) -> bool {
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

/// StopServiceDeployment: asks for a rollback or an abort, carried out at the next clock step.
pub fn request_stop(
    service: &mut Service,
    id: &str,
    kind: StopKind,
    now_ms: i64,
) -> Result<(), AwsError> {
    let sd = find_mut(service, id).ok_or_else(not_found)?;
    if sd.status.is_final()
        || matches!(
            sd.status,
            SdStatus::StopRequested | SdStatus::RollbackRequested | SdStatus::RollbackInProgress
        )
    {
        return Err(AwsError::client(
            "ConflictException",
            format!(
                "The service deployment is {} and cannot be stopped.",
                sd.status.as_str()
            ),
        ));
    }
    match kind {
        StopKind::Rollback => {
            let reason = "Service deployment stopped by StopServiceDeployment (stop type ROLLBACK): rolling back to the previous service revision.".to_string();
            request_rollback(sd, reason, false, now_ms);
        }
        StopKind::Abort => {
            sd.status = SdStatus::StopRequested;
            sd.status_reason = Some(
                "Service deployment stopped by StopServiceDeployment (stop type ABORT)."
                    .to_string(),
            );
            sd.stop = Some(StopKind::Abort);
            sd.updated_ms = now_ms;
        }
    }
    Ok(())
}

/// `ServiceDeploymentNotFoundException`.
pub fn not_found() -> AwsError {
    AwsError::client(
        "ServiceDeploymentNotFoundException",
        "The service deployment does not exist.",
    )
}

/// ContinueServiceDeployment: resolves a PAUSE hook that awaits action.
pub fn continue_hook(
    service: &mut Service,
    id: &str,
    hook_id: &str,
    action: HookAction,
    now_ms: i64,
) -> Result<(), AwsError> {
    let sd = find_mut(service, id).ok_or_else(not_found)?;
    let Some(run) = sd.hooks.iter_mut().find(|h| h.id == hook_id) else {
        return Err(AwsError::invalid(format!(
            "The hook {hook_id} does not belong to this service deployment."
        )));
    };
    if run.status != HookStatus::AwaitingAction || sd.status != SdStatus::InProgress {
        return Err(AwsError::client_exception(format!(
            "The hook {hook_id} is {} and the service deployment {}; only a hook in AWAITING_ACTION of a deployment IN_PROGRESS can be continued.",
            run.status.as_str(),
            sd.status.as_str()
        )));
    }
    match action {
        HookAction::Continue => run.status = HookStatus::Succeeded,
        HookAction::Rollback => {
            run.status = HookStatus::Failed;
            let reason = format!(
                "Lifecycle hook {hook_id} at {}: ContinueServiceDeployment asked for a rollback.",
                run.stage.as_str()
            );
            request_rollback(sd, reason, false, now_ms);
        }
    }
    sd.updated_ms = now_ms;
    Ok(())
}

/// Sets ROLLBACK_REQUESTED. `begun`: the rollback is carried out in this same step.
fn request_rollback(sd: &mut ServiceDeployment, reason: String, begun: bool, now_ms: i64) {
    sd.status = SdStatus::RollbackRequested;
    sd.status_reason = Some(reason.clone());
    sd.rollback = Some(Rollback {
        reason,
        started_ms: now_ms,
        revision: None,
    });
    sd.stop = (!begun).then_some(StopKind::Rollback);
    sd.updated_ms = now_ms;
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
            run(service, last, tasks, now_ms, ids, outside)
        }
        SdStatus::InProgress => run(service, last, tasks, now_ms, ids, outside),
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
                begin_rollback(service, last, now_ms, ids);
            }
            let sd = &mut service.service_deployments[last];
            if sd.status == SdStatus::RollbackRequested {
                sd.status = SdStatus::RollbackInProgress;
                sd.updated_ms = now_ms;
            }
            rolling_back(service, last, tasks, now_ms, ids)
        }
        SdStatus::RollbackInProgress => rolling_back(service, last, tasks, now_ms, ids),
        SdStatus::Successful
        | SdStatus::Stopped
        | SdStatus::RollbackSuccessful
        | SdStatus::RollbackFailed => Mode::Rolling,
    }
}

/// The mode while a rollback runs, and its end.
fn rolling_back(
    service: &mut Service,
    last: usize,
    tasks: &[Task],
    now_ms: i64,
    ids: &mut SplitMix64,
) -> Mode {
    let sd = &service.service_deployments[last];
    if sd.status.is_final() {
        return Mode::Rolling;
    }
    let strategy = sd.config.strategy;
    // A rolling rollback is a new deployment of the old revision: the circuit breaker can
    // stop it too.
    let breaker = &service.config.circuit_breaker;
    let threshold = breaker.failure_threshold(service.desired_count);
    if let Some(p) = service.deployments.first()
        && breaker.enable
        && p.rollout == RolloutState::InProgress
        && p.failed_tasks >= threshold
        && (!p.had_running || !breaker.resets_on_healthy_task())
    {
        let reason = "The rollback failed: the deployment of the previous service revision could not start its tasks.".to_string();
        service.deployments[0].fail(reason.clone(), now_ms);
        service.service_deployments[last].finish(SdStatus::RollbackFailed, Some(reason), now_ms);
        return Mode::Rolling;
    }
    if settled(service, tasks) {
        if service.deployments[0].rollout != RolloutState::Completed {
            complete(service, now_ms, ids);
        }
        let sd = &mut service.service_deployments[last];
        let reason = sd.status_reason.clone();
        sd.finish(SdStatus::RollbackSuccessful, reason, now_ms);
        return Mode::Rolling;
    }
    if strategy.shifts_traffic() {
        Mode::Replace
    } else {
        Mode::Rolling
    }
}

/// Carries out a requested rollback: returns the service to the last completed revision.
fn begin_rollback(service: &mut Service, last: usize, now_ms: i64, ids: &mut SplitMix64) {
    let failed_id = service.service_deployments[last].deployment_id.clone();
    let target = service
        .last_completed
        .clone()
        .filter(|l| l.deployment_id != failed_id);
    let reason = service.service_deployments[last]
        .rollback
        .as_ref()
        .map_or_else(String::new, |r| r.reason.clone());
    service.service_deployments[last].stop = None;
    if let Some(i) = index_of(service, &failed_id)
        && service.deployments[i].rollout == RolloutState::InProgress
    {
        service.deployments[i].fail(reason.clone(), now_ms);
    }
    let Some(target) = target else {
        let why = format!(
            "{reason} The rollback failed: no earlier deployment completed, so there is no service revision to roll back to."
        );
        service.service_deployments[last].finish(SdStatus::RollbackFailed, Some(why), now_ms);
        return;
    };
    let Some(revision) = service.revision(&target.revision).cloned() else {
        return;
    };
    let sd = &mut service.service_deployments[last];
    if let Some(r) = sd.rollback.as_mut() {
        r.revision = Some(target.revision.clone());
    }
    sd.test_weight = 0.0;
    sd.prod_weight = 0.0;
    let strategy = sd.config.strategy;
    let name = service.name.clone();
    // Blue/green: the source revision still runs and serves; it becomes PRIMARY again and the
    // target drains.
    if strategy.shifts_traffic()
        && let Some(i) = service
            .deployments
            .iter()
            .position(|d| d.id != failed_id && d.revision.id == target.revision)
    {
        let mut back = service.deployments.remove(i);
        for d in &mut service.deployments {
            d.status = DeploymentStatus::Active;
            d.updated_ms = now_ms;
        }
        back.status = DeploymentStatus::Primary;
        back.desired_count = service.desired_count;
        back.updated_ms = now_ms;
        service.task_definition = back.revision.task_definition.clone();
        let back_id = back.id.clone();
        service.deployments.insert(0, back);
        service.event(
            ids,
            now_ms,
            format!(
                "(service {name}) rolling back to deployment {back_id}: traffic returns to it."
            ),
        );
        return;
    }
    // Rolling: a new PRIMARY runs the last completed revision, with the digests it resolved.
    for d in &mut service.deployments {
        if d.status == DeploymentStatus::Primary {
            d.status = DeploymentStatus::Active;
            d.updated_ms = now_ms;
        }
    }
    let id = ids.deployment_id();
    let origin = match service.service_deployments[last].circuit_breaker {
        MonitorStatus::Triggered => "ECS deployment circuit breaker",
        _ if service.service_deployments[last].alarms == MonitorStatus::Triggered => {
            "ECS deployment alarms"
        }
        _ => "ECS service deployment",
    };
    service.task_definition = revision.task_definition.clone();
    service.deployments.insert(
        0,
        Deployment {
            id: id.clone(),
            status: DeploymentStatus::Primary,
            revision,
            desired_count: service.desired_count,
            failed_tasks: 0,
            rollout: RolloutState::InProgress,
            reason: format!(
                "{origin}: rolling back to deploymentId {}.",
                target.deployment_id
            ),
            created_ms: now_ms,
            updated_ms: now_ms,
            had_running: false,
        },
    );
    service.event(
        ids,
        now_ms,
        format!(
            "(service {name}) rolling back to deployment {} ({id}).",
            target.deployment_id
        ),
    );
}

/// Fails the deployment: rolls back when `rollback`, else stops it where it is.
fn fail(
    service: &mut Service,
    last: usize,
    cause: Cause,
    reason: String,
    now_ms: i64,
    ids: &mut SplitMix64,
) {
    let sd = &mut service.service_deployments[last];
    let rollback = match cause {
        Cause::CircuitBreaker => sd.config.circuit_breaker.rollback,
        Cause::Alarm => sd.config.alarms.as_ref().is_some_and(|a| a.rollback),
        Cause::Hook => true,
    };
    let deployment = sd.deployment_id.clone();
    if let Some(i) = index_of(service, &deployment) {
        service.deployments[i].fail(reason.clone(), now_ms);
    }
    let name = service.name.clone();
    service.event(
        ids,
        now_ms,
        format!("(service {name}) ({deployment}) deployment failed: {reason}"),
    );
    let sd = &mut service.service_deployments[last];
    if rollback {
        request_rollback(sd, reason, true, now_ms);
        begin_rollback(service, last, now_ms, ids);
    } else {
        sd.finish(SdStatus::Stopped, Some(reason), now_ms);
    }
}

/// Checks the alarms and the circuit breaker; fails the deployment when one fires.
fn monitors(
    service: &mut Service,
    last: usize,
    now_ms: i64,
    ids: &mut SplitMix64,
    outside: &Outside,
) -> bool {
    let sd = &service.service_deployments[last];
    if let Some(alarms) = sd.config.monitored_alarms() {
        let firing: Vec<String> = alarms
            .names
            .iter()
            .filter(|n| outside.firing.contains(*n))
            .cloned()
            .collect();
        if !firing.is_empty() {
            let reason = format!(
                "ECS deployment alarms: alarm(s) {} in ALARM state.",
                firing.join(", ")
            );
            let sd = &mut service.service_deployments[last];
            sd.alarms = MonitorStatus::Triggered;
            sd.triggered_alarms = firing;
            fail(service, last, Cause::Alarm, reason, now_ms, ids);
            return true;
        }
    }
    let sd = &service.service_deployments[last];
    let breaker = &sd.config.circuit_breaker;
    let threshold = breaker.failure_threshold(service.desired_count);
    let tripped = breaker.enable
        && index_of(service, &sd.deployment_id).is_some_and(|i| {
            let d = &service.deployments[i];
            d.failed_tasks >= threshold && (!d.had_running || !breaker.resets_on_healthy_task())
        });
    if tripped {
        service.service_deployments[last].circuit_breaker = MonitorStatus::Triggered;
        let reason = "ECS deployment circuit breaker: tasks failed to start.".to_string();
        fail(service, last, Cause::CircuitBreaker, reason, now_ms, ids);
        return true;
    }
    false
}

/// What a phase says after this step's look.
enum Progress {
    Done,
    Wait,
    Fail(String),
}

/// Starts the hooks of `stage`.
fn start_hooks(sd: &mut ServiceDeployment, stage: HookStage, now_ms: i64) {
    let runs: Vec<HookRun> = sd
        .config
        .hooks_at(stage)
        .enumerate()
        .map(|(n, hook)| {
            let key = format!("{}/{}/{}/{n}", sd.id, sd.phase, stage.as_str());
            let (prefix, status) = match hook.target_type {
                HookTargetType::Pause => ("ecs-pause-", HookStatus::AwaitingAction),
                HookTargetType::Lambda => ("ecs-lambda-", HookStatus::InProgress),
            };
            HookRun {
                id: format!("{prefix}{}", ids::derived_token(&key, URL_SAFE, 43)),
                target_type: hook.target_type,
                target_arn: hook.target_arn.clone(),
                stage,
                status,
                expires_ms: now_ms + hook.timeout() * 60_000,
                timeout_action: hook.action(),
                // The function answers at the next clock step.
                answer_ms: now_ms + 1,
                phase: sd.phase,
            }
        })
        .collect();
    sd.hooks.extend(runs);
}

/// Updates the hooks of the current phase and says whether the phase is over.
fn hooks_progress(sd: &mut ServiceDeployment, now_ms: i64, outside: &Outside) -> Progress {
    let phase = sd.phase;
    let mut failed = None;
    let mut waiting = false;
    for run in sd.hooks.iter_mut().filter(|h| h.phase == phase) {
        if run.status == HookStatus::InProgress && now_ms >= run.answer_ms {
            match outside.lambda(run.target_arn.as_deref().unwrap_or("")) {
                LambdaResult::Succeeded => run.status = HookStatus::Succeeded,
                LambdaResult::Failed => run.status = HookStatus::Failed,
                LambdaResult::InProgress => run.answer_ms = now_ms + CALLBACK_DELAY_MS,
            }
        }
        if !run.status.is_final() && now_ms >= run.expires_ms {
            run.status = HookStatus::TimedOut;
        }
        let what = run
            .target_arn
            .clone()
            .unwrap_or_else(|| "PAUSE".to_string());
        match run.status {
            HookStatus::Failed if failed.is_none() => {
                failed = Some(format!(
                    "Lifecycle hook {} ({what}) at {} failed.",
                    run.id,
                    run.stage.as_str()
                ));
            }
            HookStatus::TimedOut
                if run.timeout_action == HookAction::Rollback && failed.is_none() =>
            {
                failed = Some(format!(
                    "Lifecycle hook {} ({what}) at {} timed out; its timeout action is ROLLBACK.",
                    run.id,
                    run.stage.as_str()
                ));
            }
            HookStatus::AwaitingAction | HookStatus::InProgress => waiting = true,
            _ => {}
        }
    }
    match (failed, waiting) {
        (Some(reason), _) => Progress::Fail(reason),
        (None, true) => Progress::Wait,
        (None, false) => Progress::Done,
    }
}

/// The phases of an IN_PROGRESS deployment, as far as they go in this step.
fn run(
    service: &mut Service,
    last: usize,
    tasks: &[Task],
    now_ms: i64,
    ids: &mut SplitMix64,
    outside: &Outside,
) -> Mode {
    if monitors(service, last, now_ms, ids, outside) {
        return after_failure(service, last);
    }
    loop {
        let sd = &mut service.service_deployments[last];
        let Some(phase) = sd.current_phase().cloned() else {
            complete(service, now_ms, ids);
            service.service_deployments[last].finish(SdStatus::Successful, None, now_ms);
            return Mode::Rolling;
        };
        if sd.phase_started_ms.is_none() {
            sd.phase_started_ms = Some(now_ms);
            sd.stage = Some(phase.stage());
            sd.updated_ms = now_ms;
            match &phase {
                Phase::Hooks(stage) => start_hooks(sd, *stage, now_ms),
                Phase::Shift { test, prod } => {
                    if let Some(t) = test {
                        sd.test_weight = *t;
                    }
                    if let Some(p) = prod {
                        sd.prod_weight = *p;
                    }
                }
                Phase::ScaleUp | Phase::Wait { .. } | Phase::CleanUp => {}
            }
        }
        let started = sd.phase_started_ms.unwrap_or(now_ms);
        let strategy = sd.config.strategy;
        let progress = match &phase {
            Phase::Hooks(_) => hooks_progress(sd, now_ms, outside),
            // A traffic shift takes one clock step.
            Phase::Shift { .. } if now_ms > started => Progress::Done,
            Phase::Shift { .. } => Progress::Wait,
            Phase::Wait { minutes, .. } if now_ms >= started + minutes * 60_000 => Progress::Done,
            Phase::Wait { .. } => Progress::Wait,
            Phase::ScaleUp => scaled_up(service, last, tasks, strategy),
            Phase::CleanUp if strategy == Strategy::Rolling || settled(service, tasks) => {
                Progress::Done
            }
            Phase::CleanUp => Progress::Wait,
        };
        match progress {
            Progress::Done => {
                let sd = &mut service.service_deployments[last];
                sd.phase += 1;
                sd.phase_started_ms = None;
            }
            Progress::Wait => return mode_of(&service.service_deployments[last]),
            Progress::Fail(reason) => {
                fail(service, last, Cause::Hook, reason, now_ms, ids);
                return after_failure(service, last);
            }
        }
    }
}

/// Whether the target revision runs its desired count (rolling: and replaced the old tasks).
fn scaled_up(service: &Service, last: usize, tasks: &[Task], strategy: Strategy) -> Progress {
    let sd = &service.service_deployments[last];
    let is_primary = service
        .deployments
        .first()
        .is_some_and(|p| p.id == sd.deployment_id);
    if !is_primary {
        return Progress::Wait;
    }
    if strategy == Strategy::Rolling {
        return if settled(service, tasks) {
            Progress::Done
        } else {
            Progress::Wait
        };
    }
    let (running, pending) = deployment_counts(tasks, &service.name, &sd.deployment_id);
    if running == service.desired_count && pending == 0 {
        Progress::Done
    } else {
        Progress::Wait
    }
}

/// The scheduling mode of a running deployment in its current phase.
fn mode_of(sd: &ServiceDeployment) -> Mode {
    let before_scale_up = !sd.plan[..sd.phase.min(sd.plan.len())].contains(&Phase::ScaleUp)
        && sd.current_phase() != Some(&Phase::ScaleUp);
    if before_scale_up {
        return Mode::Hold;
    }
    if sd.config.strategy == Strategy::Rolling {
        return Mode::Rolling;
    }
    if sd.current_phase() == Some(&Phase::CleanUp) {
        Mode::Replace
    } else {
        Mode::Beside
    }
}

/// The scheduling mode right after a failure.
fn after_failure(service: &Service, last: usize) -> Mode {
    let sd = &service.service_deployments[last];
    if sd.is_rolling_back() && sd.config.strategy.shifts_traffic() {
        Mode::Replace
    } else {
        Mode::Rolling
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::config::{DeployConfig, LifecycleHook};
    use crate::ecs::deployment::Revision;
    use crate::ecs::model::TdKey;

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
