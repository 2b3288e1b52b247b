//! When a service deployment fails or is stopped: the monitors (circuit breaker, alarms), the
//! rollback to the last completed revision (blue/green: blue serves again; rolling: a new
//! deployment of the old revision), and StopServiceDeployment.

use crate::ids::SplitMix64;
use crate::protocol::AwsError;

use super::super::deployment::{Deployment, DeploymentStatus, RolloutState};
use super::super::externals::Outside;
use super::super::model::Service;
use super::super::service_deployment::{
    MonitorStatus, Rollback, SdStatus, ServiceDeployment, StopKind,
};
use super::super::task::Task;
use super::{Mode, complete, find_mut, index_of, settled};

/// Why a deployment failed, which decides whether it rolls back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cause {
    CircuitBreaker,
    Alarm,
    Hook,
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

/// Sets ROLLBACK_REQUESTED. `begun`: the rollback is carried out in this same step.
pub(super) fn request_rollback(
    sd: &mut ServiceDeployment,
    reason: String,
    begun: bool,
    now_ms: i64,
) {
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

/// The mode while a rollback runs, and its end.
pub(super) fn rolling_back(
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
pub(super) fn begin_rollback(
    service: &mut Service,
    last: usize,
    now_ms: i64,
    ids: &mut SplitMix64,
) {
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
    let reason = format!(
        "{origin}: rolling back to deploymentId {}.",
        target.deployment_id
    );
    let entry = Deployment::new(id.clone(), revision, service.desired_count, reason, now_ms);
    service.deployments.insert(0, entry);
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
pub(super) fn fail(
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
pub(super) fn monitors(
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

/// The scheduling mode right after a failure.
pub(super) fn after_failure(service: &Service, last: usize) -> Mode {
    let sd = &service.service_deployments[last];
    if sd.is_rolling_back() && sd.config.strategy.shifts_traffic() {
        Mode::Replace
    } else {
        Mode::Rolling
    }
}
