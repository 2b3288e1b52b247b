//! The service deployment model (ListServiceDeployments, DescribeServiceDeployments): one record
//! per deployment a service starts, with its status, lifecycle stage, hooks, monitors, traffic
//! weights and the plan of phases its strategy passes through. [`super::lifecycle`] moves it
//! along the clock; [`super::deployment_wire`] encodes it.

use crate::ids::{self, ALPHANUMERIC};
use crate::protocol::RequestContext;

use super::config::{DeployConfig, HookAction, HookStage, HookTargetType, Strategy};

/// `ServiceDeploymentStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdStatus {
    /// Created; starts at the next clock step.
    Pending,
    /// Rolling out.
    InProgress,
    /// Finished: the target revision runs and serves.
    Successful,
    /// A stop (or a failure without rollback) was asked for; stops at the next clock step.
    StopRequested,
    /// Stopped where it was.
    Stopped,
    /// A rollback was asked for; starts at the next clock step.
    RollbackRequested,
    /// Rolling back to the source revision.
    RollbackInProgress,
    /// Rolled back: the source revision runs and serves again.
    RollbackSuccessful,
    /// The rollback could not finish.
    RollbackFailed,
}

impl SdStatus {
    /// Every status, in the model's order.
    pub const ALL: [SdStatus; 9] = [
        Self::Pending,
        Self::Successful,
        Self::Stopped,
        Self::StopRequested,
        Self::InProgress,
        Self::RollbackRequested,
        Self::RollbackInProgress,
        Self::RollbackSuccessful,
        Self::RollbackFailed,
    ];

    /// The status a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Successful => "SUCCESSFUL",
            Self::StopRequested => "STOP_REQUESTED",
            Self::Stopped => "STOPPED",
            Self::RollbackRequested => "ROLLBACK_REQUESTED",
            Self::RollbackInProgress => "ROLLBACK_IN_PROGRESS",
            Self::RollbackSuccessful => "ROLLBACK_SUCCESSFUL",
            Self::RollbackFailed => "ROLLBACK_FAILED",
        }
    }

    /// Whether the deployment is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Successful | Self::Stopped | Self::RollbackSuccessful | Self::RollbackFailed
        )
    }
}

/// `ServiceDeploymentLifecycleStage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// More than one revision was active when the deployment started.
    ReconcileService,
    /// Before the target revision starts.
    PreScaleUp,
    /// The target revision launches its tasks.
    ScaleUp,
    /// The target revision runs.
    PostScaleUp,
    /// Test traffic moves to the target.
    TestTrafficShift,
    /// Test traffic has moved.
    PostTestTrafficShift,
    /// Production traffic moves to the target.
    ProductionTrafficShift,
    /// Production traffic has moved.
    PostProductionTrafficShift,
    /// Both revisions run while the target serves, until the bake time has passed.
    BakeTime,
    /// The source revisions scale down to zero.
    CleanUp,
}

impl Stage {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReconcileService => "RECONCILE_SERVICE",
            Self::PreScaleUp => "PRE_SCALE_UP",
            Self::ScaleUp => "SCALE_UP",
            Self::PostScaleUp => "POST_SCALE_UP",
            Self::TestTrafficShift => "TEST_TRAFFIC_SHIFT",
            Self::PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
            Self::ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
            Self::PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
            Self::BakeTime => "BAKE_TIME",
            Self::CleanUp => "CLEAN_UP",
        }
    }

    /// The lifecycle stage reported while hooks of `stage` run. PRE_PRODUCTION_TRAFFIC_SHIFT
    /// is a hook stage but not a lifecycle stage; its hooks run as the production shift begins.
    pub fn of_hooks(stage: HookStage) -> Stage {
        match stage {
            HookStage::ReconcileService => Self::ReconcileService,
            HookStage::PreScaleUp => Self::PreScaleUp,
            HookStage::PostScaleUp => Self::PostScaleUp,
            HookStage::TestTrafficShift => Self::TestTrafficShift,
            HookStage::PostTestTrafficShift => Self::PostTestTrafficShift,
            HookStage::PreProductionTrafficShift | HookStage::ProductionTrafficShift => {
                Self::ProductionTrafficShift
            }
            HookStage::PostProductionTrafficShift => Self::PostProductionTrafficShift,
        }
    }
}

/// `ServiceDeploymentRollbackMonitorsStatus` (circuit breaker and alarms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorStatus {
    /// The monitor failed the deployment.
    Triggered,
    /// Watching.
    Monitoring,
    /// The deployment finished without the monitor firing.
    MonitoringComplete,
    /// Not configured.
    Disabled,
}

impl MonitorStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Triggered => "TRIGGERED",
            Self::Monitoring => "MONITORING",
            Self::MonitoringComplete => "MONITORING_COMPLETE",
            Self::Disabled => "DISABLED",
        }
    }
}

/// `DeploymentLifecycleHookStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookStatus {
    /// A PAUSE hook waits for ContinueServiceDeployment.
    AwaitingAction,
    /// A Lambda hook is being invoked.
    InProgress,
    /// The hook let the deployment go on.
    Succeeded,
    /// The hook rolled the deployment back.
    Failed,
    /// No answer before `expiresAt`: the timeout action applies.
    TimedOut,
}

impl HookStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingAction => "AWAITING_ACTION",
            Self::InProgress => "IN_PROGRESS",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
        }
    }

    /// Whether the hook has finished.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::TimedOut)
    }
}

/// One run of a lifecycle hook (`lifecycleHookDetails[]`).
#[derive(Clone, Debug, PartialEq)]
pub struct HookRun {
    /// `hookId`.
    pub id: String,
    /// AWS_LAMBDA or PAUSE.
    pub target_type: HookTargetType,
    /// The Lambda function (Lambda hooks).
    pub target_arn: Option<String>,
    /// The stage it runs at.
    pub stage: HookStage,
    /// Its status.
    pub status: HookStatus,
    /// When it times out (emulated ms).
    pub expires_ms: i64,
    /// What happens when it times out.
    pub timeout_action: HookAction,
    /// Lambda hooks: when the current invocation answers (emulated ms).
    pub answer_ms: i64,
    /// The index of the phase (in the plan) that started it.
    pub phase: usize,
}

/// One step of a strategy's plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Run the hooks of a stage (done at once when there are none).
    Hooks(HookStage),
    /// The target revision reaches its desired count (rolling: replaces the old tasks).
    ScaleUp,
    /// Move traffic to the target: test and/or production weight, in percent.
    Shift {
        /// New test traffic weight.
        test: Option<f64>,
        /// New production traffic weight.
        prod: Option<f64>,
    },
    /// Wait `minutes` of emulated time, reporting `stage`.
    Wait {
        /// How long.
        minutes: i64,
        /// The lifecycle stage reported meanwhile.
        stage: Stage,
    },
    /// Scale the source revisions down to zero.
    CleanUp,
}

impl Phase {
    /// The lifecycle stage reported during the phase.
    pub fn stage(&self) -> Stage {
        match self {
            Phase::Hooks(h) => Stage::of_hooks(*h),
            Phase::ScaleUp => Stage::ScaleUp,
            Phase::Shift { prod: Some(_), .. } => Stage::ProductionTrafficShift,
            Phase::Shift { .. } => Stage::TestTrafficShift,
            Phase::Wait { stage, .. } => *stage,
            Phase::CleanUp => Stage::CleanUp,
        }
    }
}

/// The phases a deployment with `config` passes through. `reconcile`: more than one revision was
/// active when it started.
pub fn plan(config: &DeployConfig, reconcile: bool) -> Vec<Phase> {
    let mut phases = Vec::new();
    if reconcile {
        phases.push(Phase::Hooks(HookStage::ReconcileService));
    }
    phases.extend([
        Phase::Hooks(HookStage::PreScaleUp),
        Phase::ScaleUp,
        Phase::Hooks(HookStage::PostScaleUp),
    ]);
    if config.strategy.shifts_traffic() {
        phases.extend([
            Phase::Shift {
                test: Some(100.0),
                prod: None,
            },
            Phase::Hooks(HookStage::TestTrafficShift),
            Phase::Hooks(HookStage::PostTestTrafficShift),
        ]);
        // Production traffic: the weights after each shift, and the wait after each but the last.
        let steps: Vec<(f64, i64)> = match config.strategy {
            Strategy::Linear => {
                let (step, bake) = config
                    .linear
                    .map_or((10.0, 6), |l| (l.step_percent, l.step_bake_minutes));
                let mut weights = Vec::new();
                let mut k = 1.0;
                while step * k < 100.0 - 1e-9 {
                    weights.push(((step * k * 10.0).round() / 10.0, bake));
                    k += 1.0;
                }
                weights.push((100.0, 0));
                weights
            }
            Strategy::Canary => {
                let (percent, bake) = config
                    .canary
                    .map_or((5.0, 10), |c| (c.percent, c.bake_minutes));
                if percent >= 100.0 {
                    vec![(100.0, 0)]
                } else {
                    vec![(percent, bake), (100.0, 0)]
                }
            }
            Strategy::BlueGreen | Strategy::Rolling => vec![(100.0, 0)],
        };
        for (weight, wait) in steps {
            phases.extend([
                Phase::Hooks(HookStage::PreProductionTrafficShift),
                Phase::Shift {
                    test: None,
                    prod: Some(weight),
                },
                Phase::Hooks(HookStage::ProductionTrafficShift),
            ]);
            if wait > 0 {
                phases.push(Phase::Wait {
                    minutes: wait,
                    stage: Stage::ProductionTrafficShift,
                });
            }
        }
        phases.push(Phase::Hooks(HookStage::PostProductionTrafficShift));
    }
    if config.bake_minutes() > 0 {
        phases.push(Phase::Wait {
            minutes: config.bake_minutes(),
            stage: Stage::BakeTime,
        });
    }
    phases.push(Phase::CleanUp);
    phases
}

/// `rollback` of a service deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollback {
    /// Why.
    pub reason: String,
    /// When it was asked for (emulated ms).
    pub started_ms: i64,
    /// The revision it returns to (absent: there is none).
    pub revision: Option<String>,
}

/// How a requested stop ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// Roll back to the source revision.
    Rollback,
    /// Stop where it is.
    Abort,
}

/// One service deployment.
#[derive(Clone, Debug)]
pub struct ServiceDeployment {
    /// The last segment of its ARN (21 letters and digits).
    pub id: String,
    /// Created (emulated ms).
    pub created_ms: i64,
    /// Started (left PENDING).
    pub started_ms: Option<i64>,
    /// Reached a final status.
    pub finished_ms: Option<i64>,
    /// Stopped (STOPPED, or stopped by a failure without rollback).
    pub stopped_ms: Option<i64>,
    /// Last change.
    pub updated_ms: i64,
    /// The revisions that ran when it started.
    pub sources: Vec<String>,
    /// The revision it deploys.
    pub target: String,
    /// The `deployments[]` entry that runs the target revision.
    pub deployment_id: String,
    /// Status.
    pub status: SdStatus,
    /// Why it is in that status.
    pub status_reason: Option<String>,
    /// Current lifecycle stage (absent while PENDING).
    pub stage: Option<Stage>,
    /// The service's configuration when it started.
    pub config: DeployConfig,
    /// Hook runs, in the order they started.
    pub hooks: Vec<HookRun>,
    /// Rollback details, once one was asked for.
    pub rollback: Option<Rollback>,
    /// Circuit breaker monitor.
    pub circuit_breaker: MonitorStatus,
    /// Alarm monitor.
    pub alarms: MonitorStatus,
    /// Alarms that failed it.
    pub triggered_alarms: Vec<String>,
    /// The plan of its strategy.
    pub plan: Vec<Phase>,
    /// Index of the current phase in `plan`.
    pub phase: usize,
    /// When the current phase began (absent: not begun yet).
    pub phase_started_ms: Option<i64>,
    /// Test traffic weight of the target, percent.
    pub test_weight: f64,
    /// Production traffic weight of the target, percent.
    pub prod_weight: f64,
    /// A stop asked for and not yet carried out.
    pub stop: Option<StopKind>,
}

impl ServiceDeployment {
    /// A PENDING service deployment of `deployment_id`'s revision.
    pub fn new(
        deployment_id: &str,
        target: String,
        sources: Vec<String>,
        config: DeployConfig,
        now_ms: i64,
    ) -> Self {
        let circuit_breaker = if config.circuit_breaker.enable {
            MonitorStatus::Monitoring
        } else {
            MonitorStatus::Disabled
        };
        let alarms = if config.monitored_alarms().is_some() {
            MonitorStatus::Monitoring
        } else {
            MonitorStatus::Disabled
        };
        ServiceDeployment {
            id: ids::derived_token(deployment_id, ALPHANUMERIC, 21),
            created_ms: now_ms,
            started_ms: None,
            finished_ms: None,
            stopped_ms: None,
            updated_ms: now_ms,
            plan: plan(&config, sources.len() > 1),
            sources,
            target,
            deployment_id: deployment_id.to_string(),
            status: SdStatus::Pending,
            status_reason: None,
            stage: None,
            config,
            hooks: Vec::new(),
            rollback: None,
            circuit_breaker,
            alarms,
            triggered_alarms: Vec::new(),
            phase: 0,
            phase_started_ms: None,
            test_weight: 0.0,
            prod_weight: 0.0,
            stop: None,
        }
    }

    /// The phase it is in (absent: past the last).
    pub fn current_phase(&self) -> Option<&Phase> {
        self.plan.get(self.phase)
    }

    /// Whether it still runs (not PENDING, not final).
    pub fn is_running(&self) -> bool {
        !self.status.is_final() && self.status != SdStatus::Pending
    }

    /// Whether it is rolling back (requested or under way).
    pub fn is_rolling_back(&self) -> bool {
        matches!(
            self.status,
            SdStatus::RollbackRequested | SdStatus::RollbackInProgress
        )
    }

    /// Moves to a final `status`, closing the monitors that were still watching.
    pub fn finish(&mut self, status: SdStatus, reason: Option<String>, now_ms: i64) {
        self.status = status;
        if reason.is_some() {
            self.status_reason = reason;
        }
        self.finished_ms = Some(now_ms);
        if status == SdStatus::Stopped {
            self.stopped_ms = Some(now_ms);
        }
        self.updated_ms = now_ms;
        for monitor in [&mut self.circuit_breaker, &mut self.alarms] {
            if *monitor == MonitorStatus::Monitoring {
                *monitor = MonitorStatus::MonitoringComplete;
            }
        }
    }

    /// `arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>`.
    pub fn arn(&self, cluster: &str, service: &str, ctx: &RequestContext) -> String {
        format!(
            "arn:aws:ecs:{}:{}:service-deployment/{cluster}/{service}/{}",
            ctx.region, ctx.account, self.id
        )
    }
}

/// Splits a service deployment or revision ARN (`…:service-deployment/<cluster>/<service>/<id>`)
/// into (cluster, service, id), for the given `kind` (`service-deployment`, `service-revision`).
pub fn split_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let (_, path) = arn.split_once(&format!(":{kind}/"))?;
    let mut parts = path.splitn(3, '/');
    let cluster = parts.next()?;
    let service = parts.next()?;
    let id = parts.next()?;
    (!cluster.is_empty() && !service.is_empty() && !id.is_empty() && !id.contains('/'))
        .then_some((cluster, service, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::config::{Canary, Linear};

    fn stages(config: &DeployConfig) -> Vec<&'static str> {
        plan(config, false)
            .iter()
            .map(|p| p.stage().as_str())
            .collect()
    }

    #[test]
    fn rolling_plans_scale_up_then_clean_up() {
        let c = DeployConfig::default();
        assert_eq!(
            stages(&c),
            ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "CLEAN_UP"]
        );
        assert_eq!(plan(&c, true)[0], Phase::Hooks(HookStage::ReconcileService));
    }

    #[test]
    fn linear_shifts_in_equal_steps_with_a_bake_between_them() {
        let c = DeployConfig {
            strategy: Strategy::Linear,
            linear: Some(Linear {
                step_percent: 30.0,
                step_bake_minutes: 2,
            }),
            bake_time_minutes: Some(5),
            ..DeployConfig::default()
        };
        let p = plan(&c, false);
        let weights: Vec<f64> = p
            .iter()
            .filter_map(|x| match x {
                Phase::Shift { prod: Some(w), .. } => Some(*w),
                _ => None,
            })
            .collect();
        assert_eq!(weights, [30.0, 60.0, 90.0, 100.0]);
        let waits: Vec<i64> = p
            .iter()
            .filter_map(|x| match x {
                Phase::Wait { minutes, .. } => Some(*minutes),
                _ => None,
            })
            .collect();
        assert_eq!(waits, [2, 2, 2, 5], "three step bakes, then the bake time");
        assert_eq!(p.last(), Some(&Phase::CleanUp));
    }

    #[test]
    fn canary_shifts_twice() {
        let c = DeployConfig {
            strategy: Strategy::Canary,
            canary: Some(Canary {
                percent: 5.0,
                bake_minutes: 10,
            }),
            ..DeployConfig::default()
        };
        let weights: Vec<f64> = plan(&c, false)
            .iter()
            .filter_map(|x| match x {
                Phase::Shift { prod: Some(w), .. } => Some(*w),
                _ => None,
            })
            .collect();
        assert_eq!(weights, [5.0, 100.0]);
    }

    #[test]
    fn arns_split_into_cluster_service_and_id() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/ejGvqq2ilnbKT9qj0vLJe";
        assert_eq!(
            split_arn(arn, "service-deployment"),
            Some(("c", "s", "ejGvqq2ilnbKT9qj0vLJe"))
        );
        assert_eq!(split_arn(arn, "service-revision"), None);
        assert_eq!(
            split_arn(
                "arn:aws:ecs:r:1:service-deployment/c/s",
                "service-deployment"
            ),
            None
        );
    }
}
