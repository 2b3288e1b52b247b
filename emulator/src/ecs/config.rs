//! A service's `deploymentConfiguration`: strategy, bake times, lifecycle hooks, alarms, circuit
//! breaker, with ECS's defaults. The request shapes and what ECS refuses are in
//! [`super::config_rules`]. Enum values are those of the ECS API model (`ecs/2014-11-13`).

use serde_json::Value;

/// `deploymentConfiguration.strategy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Tasks are replaced in place, within the percent bounds.
    #[default]
    Rolling,
    /// The green revision scales up beside blue, then takes all traffic at once.
    BlueGreen,
    /// Like blue/green, with production traffic shifted in equal steps.
    Linear,
    /// Like blue/green, with a canary share of traffic first, then the rest.
    Canary,
}

impl Strategy {
    /// The strategy a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ROLLING" => Some(Self::Rolling),
            "BLUE_GREEN" => Some(Self::BlueGreen),
            "LINEAR" => Some(Self::Linear),
            "CANARY" => Some(Self::Canary),
            _ => None,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rolling => "ROLLING",
            Self::BlueGreen => "BLUE_GREEN",
            Self::Linear => "LINEAR",
            Self::Canary => "CANARY",
        }
    }

    /// Whether the strategy runs blue and green side by side and moves traffic between them.
    pub fn shifts_traffic(self) -> bool {
        self != Self::Rolling
    }
}

/// `deploymentCircuitBreaker.thresholdConfiguration.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdType {
    /// `value` failed tasks.
    Count,
    /// `value` percent of the desired count, at least 3 and at most 200 (the default, at 50).
    BoundedPercent,
    /// `value` percent of the desired count, at least 1.
    UnboundedPercent,
}

impl ThresholdType {
    /// The type a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "COUNT" => Some(Self::Count),
            "BOUNDED_PERCENT" => Some(Self::BoundedPercent),
            "UNBOUNDED_PERCENT" => Some(Self::UnboundedPercent),
            _ => None,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "COUNT",
            Self::BoundedPercent => "BOUNDED_PERCENT",
            Self::UnboundedPercent => "UNBOUNDED_PERCENT",
        }
    }
}

/// `deploymentCircuitBreaker`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CircuitBreaker {
    /// `enable`.
    pub enable: bool,
    /// `rollback`.
    pub rollback: bool,
    /// `resetOnHealthyTask` as given (absent: true, ECS's behaviour before the option existed).
    pub reset_on_healthy_task: Option<bool>,
    /// `thresholdConfiguration` as given (absent: 50 percent, bounded).
    pub threshold: Option<(ThresholdType, i64)>,
}

impl CircuitBreaker {
    /// How many failed task starts trip the breaker for `desired` tasks.
    pub fn failure_threshold(&self, desired: i64) -> i64 {
        let (kind, value) = self
            .threshold
            .unwrap_or((ThresholdType::BoundedPercent, 50));
        let percent = (desired * value + 99) / 100;
        match kind {
            ThresholdType::Count => value.max(1),
            ThresholdType::BoundedPercent => percent.clamp(3, 200),
            ThresholdType::UnboundedPercent => percent.max(1),
        }
    }

    /// Whether a task reaching RUNNING resets the failure count (and stops the counting).
    pub fn resets_on_healthy_task(&self) -> bool {
        self.reset_on_healthy_task.unwrap_or(true)
    }
}

/// `alarms`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alarms {
    /// `alarmNames`.
    pub names: Vec<String>,
    /// `enable`.
    pub enable: bool,
    /// `rollback`.
    pub rollback: bool,
}

/// `lifecycleHooks[].targetType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookTargetType {
    /// A Lambda function decides (its answer is scripted by the world file or the admin API).
    Lambda,
    /// The deployment waits for ContinueServiceDeployment.
    Pause,
}

impl HookTargetType {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lambda => "AWS_LAMBDA",
            Self::Pause => "PAUSE",
        }
    }
}

/// `timeoutConfiguration.action`, and ContinueServiceDeployment's `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookAction {
    /// Roll the deployment back.
    Rollback,
    /// Go on to the next stage.
    Continue,
}

impl HookAction {
    /// The action a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ROLLBACK" => Some(Self::Rollback),
            "CONTINUE" => Some(Self::Continue),
            _ => None,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rollback => "ROLLBACK",
            Self::Continue => "CONTINUE",
        }
    }
}

/// The stages a lifecycle hook can run at (`DeploymentLifecycleHookStage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookStage {
    /// A deployment starts while more than one revision is active.
    ReconcileService,
    /// Before the green revision starts.
    PreScaleUp,
    /// The green revision runs its tasks.
    PostScaleUp,
    /// Test traffic moves to green.
    TestTrafficShift,
    /// Test traffic has moved.
    PostTestTrafficShift,
    /// Before each production traffic shift.
    PreProductionTrafficShift,
    /// Production traffic moves (at each step of linear and canary).
    ProductionTrafficShift,
    /// Production traffic has moved.
    PostProductionTrafficShift,
}

impl HookStage {
    /// Every stage, in the order a deployment passes them.
    pub const ALL: [HookStage; 8] = [
        Self::ReconcileService,
        Self::PreScaleUp,
        Self::PostScaleUp,
        Self::TestTrafficShift,
        Self::PostTestTrafficShift,
        Self::PreProductionTrafficShift,
        Self::ProductionTrafficShift,
        Self::PostProductionTrafficShift,
    ];

    /// The stage a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|stage| stage.as_str() == s)
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReconcileService => "RECONCILE_SERVICE",
            Self::PreScaleUp => "PRE_SCALE_UP",
            Self::PostScaleUp => "POST_SCALE_UP",
            Self::TestTrafficShift => "TEST_TRAFFIC_SHIFT",
            Self::PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
            Self::PreProductionTrafficShift => "PRE_PRODUCTION_TRAFFIC_SHIFT",
            Self::ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
            Self::PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
        }
    }

    /// Whether the stage moves traffic (only strategies that shift traffic pass it).
    pub fn is_traffic_stage(self) -> bool {
        matches!(
            self,
            Self::TestTrafficShift
                | Self::PostTestTrafficShift
                | Self::PreProductionTrafficShift
                | Self::ProductionTrafficShift
                | Self::PostProductionTrafficShift
        )
    }
}

/// ECS's default hook timeout: 24 hours.
pub const DEFAULT_HOOK_TIMEOUT_MINUTES: i64 = 1440;

/// One `lifecycleHooks[]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleHook {
    /// `targetType` (absent: `AWS_LAMBDA`).
    pub target_type: HookTargetType,
    /// Whether `targetType` was given (it is echoed only then).
    pub target_type_given: bool,
    /// `hookTargetArn` (Lambda hooks).
    pub target_arn: Option<String>,
    /// `roleArn`.
    pub role_arn: Option<String>,
    /// `lifecycleStages`.
    pub stages: Vec<HookStage>,
    /// `hookDetails`, echoed.
    pub details: Option<Value>,
    /// `timeoutConfiguration.timeoutInMinutes` as given.
    pub timeout_minutes: Option<i64>,
    /// `timeoutConfiguration.action` as given.
    pub timeout_action: Option<HookAction>,
    /// Whether `timeoutConfiguration` was given.
    pub timeout_given: bool,
}

impl LifecycleHook {
    /// Minutes before the hook times out.
    pub fn timeout(&self) -> i64 {
        self.timeout_minutes.unwrap_or(DEFAULT_HOOK_TIMEOUT_MINUTES)
    }

    /// What happens when it times out (ECS's default: roll back).
    pub fn action(&self) -> HookAction {
        self.timeout_action.unwrap_or(HookAction::Rollback)
    }
}

/// `linearConfiguration`, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear {
    /// `stepPercent` (default 10).
    pub step_percent: f64,
    /// `stepBakeTimeInMinutes` (default 6).
    pub step_bake_minutes: i64,
}

/// `canaryConfiguration`, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Canary {
    /// `canaryPercent` (default 5).
    pub percent: f64,
    /// `canaryBakeTimeInMinutes` (default 10).
    pub bake_minutes: i64,
}

/// The deployment configuration of a service.
#[derive(Clone, Debug, PartialEq)]
pub struct DeployConfig {
    /// `minimumHealthyPercent`.
    pub minimum_healthy_percent: i64,
    /// `maximumPercent`.
    pub maximum_percent: i64,
    /// `deploymentCircuitBreaker`.
    pub circuit_breaker: CircuitBreaker,
    /// `alarms` (absent: never given).
    pub alarms: Option<Alarms>,
    /// `strategy`.
    pub strategy: Strategy,
    /// `bakeTimeInMinutes` as given.
    pub bake_time_minutes: Option<i64>,
    /// `lifecycleHooks`.
    pub hooks: Vec<LifecycleHook>,
    /// `linearConfiguration` (LINEAR only).
    pub linear: Option<Linear>,
    /// `canaryConfiguration` (CANARY only).
    pub canary: Option<Canary>,
}

impl DeployConfig {
    /// Minutes both revisions run after production traffic has moved (absent: 0).
    pub fn bake_minutes(&self) -> i64 {
        self.bake_time_minutes.unwrap_or(0)
    }

    /// The alarms monitored, when alarm monitoring is on.
    pub fn monitored_alarms(&self) -> Option<&Alarms> {
        self.alarms.as_ref().filter(|a| a.enable)
    }

    /// The hooks that run at `stage`.
    pub fn hooks_at(&self, stage: HookStage) -> impl Iterator<Item = &LifecycleHook> {
        self.hooks.iter().filter(move |h| h.stages.contains(&stage))
    }
}

impl Default for DeployConfig {
    /// The default configuration of a REPLICA service: 100 / 200, circuit breaker off, rolling.
    fn default() -> Self {
        DeployConfig {
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker: CircuitBreaker::default(),
            alarms: None,
            strategy: Strategy::Rolling,
            bake_time_minutes: None,
            hooks: Vec::new(),
            linear: None,
            canary: None,
        }
    }
}
