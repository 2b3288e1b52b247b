//! What ECS deployments watch and call outside ECS, emulated only as far as deployments see
//! them: CloudWatch alarms (their state) and the Lambda functions lifecycle hooks invoke (their
//! answer). The world file and the admin API set both.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Ecs, TaskStatus};

/// A CloudWatch alarm state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// The state a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OK" => Some(Self::Ok),
            "ALARM" => Some(Self::Alarm),
            "INSUFFICIENT_DATA" => Some(Self::InsufficientData),
            _ => None,
        }
    }

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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// The result a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SUCCEEDED" => Some(Self::Succeeded),
            "FAILED" => Some(Self::Failed),
            "IN_PROGRESS" => Some(Self::InProgress),
            _ => None,
        }
    }

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

impl Ecs {
    /// The alarms in ALARM: those set so, and those a RUNNING task's image trips.
    pub fn firing_alarms(&self) -> BTreeSet<String> {
        let mut firing: BTreeSet<String> = self
            .alarms
            .iter()
            .filter(|(_, s)| **s == AlarmState::Alarm)
            .map(|(name, _)| name.clone())
            .collect();
        for task in self.clusters.iter().flat_map(|c| &c.tasks) {
            if task.last == TaskStatus::Running && task.desired == TaskStatus::Running {
                for c in &task.containers {
                    firing.extend(c.alarms.iter().cloned());
                }
            }
        }
        firing
    }

    /// What a scheduler step needs from outside ECS, as of now.
    pub fn outside(&self) -> Outside {
        Outside {
            firing: self.firing_alarms(),
            lambdas: self.lambdas.clone(),
        }
    }
}
