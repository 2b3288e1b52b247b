//! Lifecycle hook runs: starting the hooks of a stage, invoking Lambda functions (their answers
//! come from the world file or the admin API), PAUSE hooks waiting for
//! ContinueServiceDeployment, and timeouts.

use crate::ids::{self, URL_SAFE};
use crate::protocol::AwsError;

use super::super::config::{HookAction, HookStage, HookTargetType};
use super::super::externals::{LambdaResult, Outside};
use super::super::model::Service;
use super::super::service_deployment::{HookRun, HookStatus, SdStatus, ServiceDeployment};
use super::failure::request_rollback;
use super::{Progress, find_mut};

/// How long a Lambda hook waits before invoking a function that answered IN_PROGRESS again
/// (ECS's default `callBackDelay`).
const CALLBACK_DELAY_MS: i64 = 30_000;

/// ContinueServiceDeployment: resolves a PAUSE hook that awaits action.
pub fn continue_hook(
    service: &mut Service,
    id: &str,
    hook_id: &str,
    action: HookAction,
    now_ms: i64,
) -> Result<(), AwsError> {
    let sd = find_mut(service, id).ok_or_else(super::not_found)?;
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

/// Starts the hooks of `stage`.
pub(super) fn start_hooks(sd: &mut ServiceDeployment, stage: HookStage, now_ms: i64) {
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
pub(super) fn hooks_progress(
    sd: &mut ServiceDeployment,
    now_ms: i64,
    outside: &Outside,
) -> Progress {
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
