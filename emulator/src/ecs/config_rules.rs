//! The `deploymentConfiguration` of CreateService, UpdateService and the world file: the request
//! shapes, how a request changes a service's configuration, and what ECS refuses. Limits are those
//! of the ECS API model (`ecs/2014-11-13`).

use serde::Deserialize;
use serde_json::Value;

use crate::protocol::AwsError;

use super::config::{
    Alarms, Canary, CircuitBreaker, DeployConfig, HookAction, HookStage, HookTargetType,
    LifecycleHook, Linear, Strategy, ThresholdType,
};

/// `thresholdConfiguration` as requests carry it.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdIn {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `value`.
    pub value: i64,
}

/// `deploymentCircuitBreaker` as requests carry it.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CircuitBreakerIn {
    /// `enable`.
    pub enable: bool,
    /// `rollback`.
    pub rollback: bool,
    /// `resetOnHealthyTask`.
    pub reset_on_healthy_task: Option<bool>,
    /// `thresholdConfiguration`.
    pub threshold_configuration: Option<ThresholdIn>,
}

/// `alarms` as requests carry it.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AlarmsIn {
    /// `alarmNames`.
    pub alarm_names: Vec<String>,
    /// `enable`.
    pub enable: bool,
    /// `rollback`.
    pub rollback: bool,
}

/// `timeoutConfiguration` as requests carry it.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutIn {
    /// `timeoutInMinutes`.
    pub timeout_in_minutes: Option<i64>,
    /// `action`.
    pub action: Option<String>,
}

/// `lifecycleHooks[]` as requests carry it.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHookIn {
    /// `targetType`.
    pub target_type: Option<String>,
    /// `hookTargetArn`.
    pub hook_target_arn: Option<String>,
    /// `roleArn`.
    pub role_arn: Option<String>,
    /// `lifecycleStages`.
    pub lifecycle_stages: Option<Vec<String>>,
    /// `hookDetails`.
    pub hook_details: Option<Value>,
    /// `timeoutConfiguration`.
    pub timeout_configuration: Option<TimeoutIn>,
}

/// `linearConfiguration` as requests carry it.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct LinearIn {
    /// `stepPercent`.
    pub step_percent: Option<f64>,
    /// `stepBakeTimeInMinutes`.
    pub step_bake_time_in_minutes: Option<i64>,
}

/// `canaryConfiguration` as requests carry it.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CanaryIn {
    /// `canaryPercent`.
    pub canary_percent: Option<f64>,
    /// `canaryBakeTimeInMinutes`.
    pub canary_bake_time_in_minutes: Option<i64>,
}

/// `deploymentConfiguration` as requests carry it.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfigurationIn {
    /// `deploymentCircuitBreaker`.
    pub deployment_circuit_breaker: Option<CircuitBreakerIn>,
    /// `maximumPercent`.
    pub maximum_percent: Option<i64>,
    /// `minimumHealthyPercent`.
    pub minimum_healthy_percent: Option<i64>,
    /// `alarms`.
    pub alarms: Option<AlarmsIn>,
    /// `strategy`.
    pub strategy: Option<String>,
    /// `bakeTimeInMinutes`.
    pub bake_time_in_minutes: Option<i64>,
    /// `lifecycleHooks`.
    pub lifecycle_hooks: Option<Vec<LifecycleHookIn>>,
    /// `linearConfiguration`.
    pub linear_configuration: Option<LinearIn>,
    /// `canaryConfiguration`.
    pub canary_configuration: Option<CanaryIn>,
}

fn enum_error(value: &str, at: &str, allowed: &str) -> AwsError {
    AwsError::invalid(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"
    ))
}

fn minutes(value: i64, at: &str, max: i64) -> Result<i64, AwsError> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(AwsError::invalid(format!(
            "{at} must be between 0 and {max} minutes (got {value})."
        )))
    }
}

/// A percentage that must be a multiple of 0.1 within `[min, 100]`.
fn tenths(value: f64, at: &str, min: f64) -> Result<f64, AwsError> {
    let tenths = value * 10.0;
    if value >= min - 1e-9 && value <= 100.0 + 1e-9 && (tenths - tenths.round()).abs() < 1e-6 {
        Ok(value)
    } else {
        Err(AwsError::invalid(format!(
            "{at} must be a multiple of 0.1 from {min} to 100.0 (got {value})."
        )))
    }
}

fn hook(input: &LifecycleHookIn, n: usize) -> Result<LifecycleHook, AwsError> {
    let at = format!("deploymentConfiguration.lifecycleHooks[{n}]");
    let target_type = match input.target_type.as_deref() {
        None | Some("AWS_LAMBDA") => HookTargetType::Lambda,
        Some("PAUSE") => HookTargetType::Pause,
        Some(other) => {
            return Err(enum_error(
                other,
                &format!("{at}.targetType"),
                "AWS_LAMBDA, PAUSE",
            ));
        }
    };
    let names = input.lifecycle_stages.as_deref().unwrap_or(&[]);
    if names.is_empty() {
        return Err(AwsError::invalid(format!(
            "{at}.lifecycleStages must name at least one lifecycle stage."
        )));
    }
    let mut stages = Vec::new();
    for name in names {
        let stage = HookStage::parse(name).ok_or_else(|| {
            enum_error(
                name,
                &format!("{at}.lifecycleStages"),
                &HookStage::ALL.map(HookStage::as_str).join(", "),
            )
        })?;
        if target_type == HookTargetType::Pause
            && matches!(
                stage,
                HookStage::TestTrafficShift | HookStage::ProductionTrafficShift
            )
        {
            return Err(AwsError::invalid(format!(
                "{at}: PAUSE hooks cannot be configured at the {} stage; only AWS_LAMBDA hooks can.",
                stage.as_str()
            )));
        }
        stages.push(stage);
    }
    if target_type == HookTargetType::Lambda
        && input.hook_target_arn.as_deref().is_none_or(str::is_empty)
    {
        return Err(AwsError::invalid(format!(
            "{at}.hookTargetArn is required for an AWS_LAMBDA lifecycle hook."
        )));
    }
    let (timeout_minutes, timeout_action) = match &input.timeout_configuration {
        Some(t) => {
            if let Some(m) = t.timeout_in_minutes
                && !(1..=20160).contains(&m)
            {
                return Err(AwsError::invalid(format!(
                    "1 validation error detected: Value '{m}' at '{at}.timeoutConfiguration.timeoutInMinutes' failed to satisfy constraint: Member must have value between 1 and 20160"
                )));
            }
            let action = match t.action.as_deref() {
                None => None,
                Some(a) => Some(HookAction::parse(a).ok_or_else(|| {
                    enum_error(
                        a,
                        &format!("{at}.timeoutConfiguration.action"),
                        "ROLLBACK, CONTINUE",
                    )
                })?),
            };
            (t.timeout_in_minutes, action)
        }
        None => (None, None),
    };
    Ok(LifecycleHook {
        target_type,
        target_type_given: input.target_type.is_some(),
        target_arn: input.hook_target_arn.clone(),
        role_arn: input.role_arn.clone(),
        stages,
        details: input.hook_details.clone(),
        timeout_minutes,
        timeout_action,
        timeout_given: input.timeout_configuration.is_some(),
    })
}

/// Applies a request's `deploymentConfiguration` over `base`: each member given replaces the
/// old one, members not given are kept.
pub fn merge_config(
    base: &DeployConfig,
    input: Option<&DeploymentConfigurationIn>,
) -> Result<DeployConfig, AwsError> {
    let mut c = base.clone();
    let Some(i) = input else {
        return Ok(c);
    };
    if let Some(m) = i.minimum_healthy_percent {
        c.minimum_healthy_percent = m;
    }
    if let Some(m) = i.maximum_percent {
        c.maximum_percent = m;
    }
    if let Some(cb) = &i.deployment_circuit_breaker {
        let threshold = match &cb.threshold_configuration {
            None => None,
            Some(t) => {
                let kind = ThresholdType::parse(&t.kind).ok_or_else(|| {
                    enum_error(
                        &t.kind,
                        "deploymentConfiguration.deploymentCircuitBreaker.thresholdConfiguration.type",
                        "COUNT, BOUNDED_PERCENT, UNBOUNDED_PERCENT",
                    )
                })?;
                if t.value < 1 {
                    return Err(AwsError::invalid(
                        "deploymentCircuitBreaker.thresholdConfiguration.value must be at least 1.",
                    ));
                }
                Some((kind, t.value))
            }
        };
        c.circuit_breaker = CircuitBreaker {
            enable: cb.enable,
            rollback: cb.rollback,
            reset_on_healthy_task: cb.reset_on_healthy_task,
            threshold,
        };
    }
    if let Some(a) = &i.alarms {
        c.alarms = Some(Alarms {
            names: a.alarm_names.clone(),
            enable: a.enable,
            rollback: a.rollback,
        });
    }
    if let Some(s) = &i.strategy {
        c.strategy = Strategy::parse(s).ok_or_else(|| {
            enum_error(
                s,
                "deploymentConfiguration.strategy",
                "ROLLING, BLUE_GREEN, LINEAR, CANARY",
            )
        })?;
    }
    if let Some(b) = i.bake_time_in_minutes {
        c.bake_time_minutes = Some(minutes(b, "bakeTimeInMinutes", 1440)?);
    }
    if let Some(hooks) = &i.lifecycle_hooks {
        c.hooks = hooks
            .iter()
            .enumerate()
            .map(|(n, h)| hook(h, n))
            .collect::<Result<_, _>>()?;
    }
    if let Some(l) = &i.linear_configuration {
        c.linear = Some(Linear {
            step_percent: tenths(l.step_percent.unwrap_or(10.0), "stepPercent", 3.0)?,
            step_bake_minutes: minutes(
                l.step_bake_time_in_minutes.unwrap_or(6),
                "stepBakeTimeInMinutes",
                1440,
            )?,
        });
    }
    if let Some(k) = &i.canary_configuration {
        c.canary = Some(Canary {
            percent: tenths(k.canary_percent.unwrap_or(5.0), "canaryPercent", 0.1)?,
            bake_minutes: minutes(
                k.canary_bake_time_in_minutes.unwrap_or(10),
                "canaryBakeTimeInMinutes",
                1440,
            )?,
        });
    }
    Ok(c)
}

/// Whether a `loadBalancers[]` entry carries what blue/green traffic shifting needs.
fn shifts_traffic(load_balancer: &Value) -> bool {
    let advanced = load_balancer.get("advancedConfiguration");
    let has = |key: &str| {
        advanced
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    has("alternateTargetGroupArn") && has("productionListenerRule") && has("roleArn")
}

/// Checks a merged configuration against itself and the service's load balancers, and fills
/// in the strategy-specific defaults (a LINEAR service without `linearConfiguration` gets
/// ECS's defaults).
pub fn validate(mut c: DeployConfig, load_balancers: &[Value]) -> Result<DeployConfig, AwsError> {
    if !(0..=100).contains(&c.minimum_healthy_percent) {
        return Err(AwsError::invalid(
            "minimumHealthyPercent must be between 0 and 100 for a REPLICA service.",
        ));
    }
    if c.maximum_percent < 100 || c.maximum_percent > 200 {
        return Err(AwsError::invalid(
            "maximumPercent must be between 100 and 200 for a REPLICA service using the ECS deployment controller.",
        ));
    }
    let strategy = c.strategy;
    if c.linear.is_some() && strategy != Strategy::Linear {
        return Err(AwsError::invalid(
            "linearConfiguration is only valid when the deployment strategy is LINEAR.",
        ));
    }
    if c.canary.is_some() && strategy != Strategy::Canary {
        return Err(AwsError::invalid(
            "canaryConfiguration is only valid when the deployment strategy is CANARY.",
        ));
    }
    if strategy.shifts_traffic() {
        if !load_balancers.iter().any(shifts_traffic) {
            return Err(AwsError::invalid(format!(
                "The {} deployment strategy needs a load balancer whose advancedConfiguration names an alternateTargetGroupArn, a productionListenerRule and a roleArn.",
                strategy.as_str()
            )));
        }
        if strategy == Strategy::BlueGreen && c.bake_time_minutes.is_none() {
            return Err(AwsError::invalid(
                "bakeTimeInMinutes is required for the BLUE_GREEN deployment strategy.",
            ));
        }
    } else if let Some(h) = c
        .hooks
        .iter()
        .find(|h| h.stages.iter().any(|s| s.is_traffic_stage()))
    {
        let stage = h.stages.iter().find(|s| s.is_traffic_stage());
        return Err(AwsError::invalid(format!(
            "The lifecycle stage {} exists only for deployment strategies that shift traffic (BLUE_GREEN, LINEAR, CANARY); this service uses ROLLING.",
            stage.map_or("", |s| s.as_str())
        )));
    }
    if strategy == Strategy::Linear && c.linear.is_none() {
        c.linear = Some(Linear {
            step_percent: 10.0,
            step_bake_minutes: 6,
        });
    }
    if strategy == Strategy::Canary && c.canary.is_none() {
        c.canary = Some(Canary {
            percent: 5.0,
            bake_minutes: 10,
        });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::config::DEFAULT_HOOK_TIMEOUT_MINUTES;
    use serde_json::json;

    fn input(v: Value) -> DeploymentConfigurationIn {
        serde_json::from_value(v).unwrap()
    }

    fn lb() -> Vec<Value> {
        vec![json!({
            "targetGroupArn": "arn:tg/blue",
            "containerName": "app",
            "containerPort": 80,
            "advancedConfiguration": {
                "alternateTargetGroupArn": "arn:tg/green",
                "productionListenerRule": "arn:rule/prod",
                "roleArn": "arn:role/ecs",
            }
        })]
    }

    #[test]
    fn circuit_breaker_thresholds_follow_the_configuration() {
        let mut cb = CircuitBreaker::default();
        assert_eq!(cb.failure_threshold(1), 3);
        assert_eq!(cb.failure_threshold(7), 4);
        assert_eq!(cb.failure_threshold(10), 5);
        assert_eq!(cb.failure_threshold(1000), 200);
        cb.threshold = Some((ThresholdType::Count, 2));
        assert_eq!(cb.failure_threshold(1000), 2);
        cb.threshold = Some((ThresholdType::UnboundedPercent, 50));
        assert_eq!(cb.failure_threshold(1000), 500);
        assert_eq!(cb.failure_threshold(1), 1);
    }

    #[test]
    fn strategies_need_a_traffic_shifting_load_balancer_and_blue_green_a_bake_time() {
        let base = DeployConfig::default();
        let bg = merge_config(
            &base,
            Some(&input(
                json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}),
            )),
        )
        .unwrap();
        assert!(validate(bg.clone(), &[]).is_err());
        assert_eq!(validate(bg, &lb()).unwrap().bake_minutes(), 5);
        let no_bake = merge_config(&base, Some(&input(json!({"strategy": "BLUE_GREEN"})))).unwrap();
        assert!(validate(no_bake, &lb()).is_err());
        let linear = merge_config(&base, Some(&input(json!({"strategy": "LINEAR"})))).unwrap();
        let linear = validate(linear, &lb()).unwrap();
        assert_eq!(
            linear.linear,
            Some(Linear {
                step_percent: 10.0,
                step_bake_minutes: 6
            })
        );
        let wrong = merge_config(
            &base,
            Some(&input(
                json!({"strategy": "ROLLING", "canaryConfiguration": {}}),
            )),
        )
        .unwrap();
        assert!(validate(wrong, &lb()).is_err());
        let e = merge_config(&base, Some(&input(json!({"strategy": "SIDEWAYS"})))).unwrap_err();
        assert!(e.message.contains("ROLLING, BLUE_GREEN, LINEAR, CANARY"));
    }

    #[test]
    fn percentages_and_minutes_are_range_checked() {
        let base = DeployConfig::default();
        for bad in [
            json!({"linearConfiguration": {"stepPercent": 2.9}}),
            json!({"linearConfiguration": {"stepPercent": 10.05}}),
            json!({"canaryConfiguration": {"canaryPercent": 100.1}}),
            json!({"bakeTimeInMinutes": 1441}),
            json!({"canaryConfiguration": {"canaryBakeTimeInMinutes": -1}}),
        ] {
            assert!(
                merge_config(&base, Some(&input(bad.clone()))).is_err(),
                "{bad}"
            );
        }
        let ok = merge_config(
            &base,
            Some(&input(
                json!({"linearConfiguration": {"stepPercent": 33.3, "stepBakeTimeInMinutes": 0}}),
            )),
        )
        .unwrap();
        assert_eq!(ok.linear.map(|l| l.step_percent), Some(33.3));
    }

    #[test]
    fn hooks_are_checked_like_ecs_checks_them() {
        let base = DeployConfig::default();
        let pause_at_shift = json!({"lifecycleHooks": [
            {"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]});
        assert!(merge_config(&base, Some(&input(pause_at_shift))).is_err());
        let lambda_without_arn = json!({"lifecycleHooks": [{"lifecycleStages": ["PRE_SCALE_UP"]}]});
        assert!(merge_config(&base, Some(&input(lambda_without_arn))).is_err());
        let long = json!({"lifecycleHooks": [{"targetType": "PAUSE",
            "lifecycleStages": ["POST_SCALE_UP"], "timeoutConfiguration": {"timeoutInMinutes": 20161}}]});
        assert!(merge_config(&base, Some(&input(long))).is_err());
        let ok = merge_config(
            &base,
            Some(&input(json!({"lifecycleHooks": [{"targetType": "PAUSE",
                "lifecycleStages": ["POST_SCALE_UP"], "timeoutConfiguration": {"action": "CONTINUE"}}]}))),
        )
        .unwrap();
        assert_eq!(ok.hooks[0].timeout(), DEFAULT_HOOK_TIMEOUT_MINUTES);
        assert_eq!(ok.hooks[0].action(), HookAction::Continue);
        // Traffic stages exist only for strategies that shift traffic.
        let rolling_traffic_hook = merge_config(
            &base,
            Some(&input(json!({"lifecycleHooks": [{"targetType": "PAUSE",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}))),
        )
        .unwrap();
        assert!(validate(rolling_traffic_hook, &[]).is_err());
    }
}
