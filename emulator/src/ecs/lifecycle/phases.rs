//! The phases of a running service deployment, as far as they go in one clock step: hooks,
//! scale-up, traffic shifts (one step each), waits (bake times), clean-up; and the scheduling
//! mode each phase asks for.

use crate::ids::SplitMix64;

use super::super::config::Strategy;
use super::super::externals::Outside;
use super::super::model::Service;
use super::super::service_deployment::{Phase, SdStatus, ServiceDeployment};
use super::super::task::{Task, deployment_counts};
use super::failure::{Cause, after_failure, fail, monitors};
use super::hooks::{hooks_progress, start_hooks};
use super::{Mode, Progress, complete, settled};

/// The phases of an IN_PROGRESS deployment, as far as they go in this step.
pub(super) fn run(
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
pub(super) fn scaled_up(
    service: &Service,
    last: usize,
    tasks: &[Task],
    strategy: Strategy,
) -> Progress {
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
pub(super) fn mode_of(sd: &ServiceDeployment) -> Mode {
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
