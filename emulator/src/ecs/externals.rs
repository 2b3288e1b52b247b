//! What ECS deployments watch and call outside ECS, emulated only as far as deployments see
//! them: CloudWatch alarms (their state) and the Lambda functions lifecycle hooks invoke (their
//! answer). The world file and the admin API set both.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// A CloudWatch alarm state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    /// Within its threshold.
    #[default]
    Ok,
    /// Breaching: a deployment that monitors it fails.
    Alarm,
    /// Not enough data (treated like OK, as ECS does).
    InsufficientData,
}

impl AlarmState {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// What a lifecycle hook's Lambda function answers (its `hookStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LambdaResult {
    /// The deployment goes on.
    #[default]
    Succeeded,
    /// The deployment rolls back.
    Failed,
    /// Ask again later; a function that always answers this makes the hook time out.
    InProgress,
}

impl LambdaResult {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::InProgress => "IN_PROGRESS",
        }
    }
}

/// What one scheduler step reads from outside ECS.
#[derive(Clone, Debug, Default)]
pub struct Outside {
    /// Alarms in ALARM now.
    pub firing: BTreeSet<String>,
    /// Lambda answers by function ARN (a function not listed answers SUCCEEDED).
    pub lambdas: BTreeMap<String, LambdaResult>,
}

impl Outside {
    /// What `function` answers.
    pub fn lambda(&self, function: &str) -> LambdaResult {
        self.lambdas.get(function).copied().unwrap_or_default()
    }
}
