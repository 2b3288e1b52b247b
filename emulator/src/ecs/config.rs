//! A service's `deploymentConfiguration`: the request shape, its defaults and its validation,
//! shared by CreateService, UpdateService and the world file.

use serde::Deserialize;

use crate::protocol::AwsError;

use super::model::DeployConfig;

/// `deploymentCircuitBreaker` as requests carry it.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct CircuitBreakerIn {
    /// `enable`.
    pub enable: bool,
    /// `rollback`.
    pub rollback: bool,
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
}

/// Applies a request's `deploymentConfiguration` over `base` and validates the result.
pub fn merge_config(
    base: &DeployConfig,
    input: Option<&DeploymentConfigurationIn>,
) -> Result<DeployConfig, AwsError> {
    let mut c = base.clone();
    if let Some(i) = input {
        if let Some(m) = i.minimum_healthy_percent {
            c.minimum_healthy_percent = m;
        }
        if let Some(m) = i.maximum_percent {
            c.maximum_percent = m;
        }
        if let Some(cb) = &i.deployment_circuit_breaker {
            c.circuit_breaker = cb.enable;
            c.rollback = cb.rollback;
        }
    }
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
    Ok(c)
}

/// The default configuration of a REPLICA service (100 / 200, circuit breaker off).
pub fn default_config() -> DeployConfig {
    DeployConfig {
        minimum_healthy_percent: 100,
        maximum_percent: 200,
        circuit_breaker: false,
        rollback: false,
    }
}
