//! Fault injection: a seeded, bounded plan of throttling, server errors, latency, dropped
//! connections and held calls, chosen per operation.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::SplitMix64;
use crate::protocol::AwsService;

/// What a fault does to a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer 400 `ThrottlingException` ("Rate exceeded"), as ECR/ECS do.
    Throttle,
    /// Answer 500 `ServerException`.
    ServerError,
    /// Wait `latency_ms` before handling the call (the call then proceeds).
    Latency,
    /// Close the connection without answering.
    Drop,
    /// Do not answer until the operation is released (admin `release` / `EmulatorHandle::release`).
    Hold,
    /// Put every alarm that a running service deployment watches into ALARM (the call then
    /// proceeds). Not terminal, like `Latency`.
    Alarm,
}

fn star() -> String {
    "*".to_string()
}

fn one() -> f64 {
    1.0
}

/// One rule of a fault plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Operation name (`PutImage`) or `*` for every operation.
    #[serde(default = "star")]
    pub operation: String,
    /// Restrict to one service (`ecr` / `ecs`); absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<AwsService>,
    /// What happens.
    pub kind: FaultKind,
    /// Probability in `[0, 1]` that a matching call is faulted (default 1).
    #[serde(default = "one")]
    pub rate: f64,
    /// Added latency for `latency` rules, milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// At most this many faults from this rule (absent: unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_faults: Option<u64>,
}

/// A whole fault plan: rules evaluated in order with one seeded generator, so the same calls in
/// the same order get the same faults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// PRNG seed.
    #[serde(default)]
    pub seed: u64,
    /// Rules, in evaluation order.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// Why a fault plan was refused.
#[derive(Debug, thiserror::Error)]
pub enum FaultPlanError {
    /// Not valid JSON for a plan.
    #[error("fault plan is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// A rule's numbers are out of range.
    #[error("fault rule {index} is invalid: {reason}")]
    Rule {
        /// Position of the rule.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read fault plan {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl FaultPlan {
    /// Parses and validates a plan.
    pub fn from_json(text: &str) -> Result<FaultPlan, FaultPlanError> {
        let plan: FaultPlan = serde_json::from_str(text)?;
        plan.validate()?;
        Ok(plan)
    }

    /// Reads and validates a plan file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<FaultPlan, FaultPlanError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FaultPlanError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        FaultPlan::from_json(&text)
    }

    /// Checks rates and latencies.
    pub fn validate(&self) -> Result<(), FaultPlanError> {
        for (index, rule) in self.rules.iter().enumerate() {
            if !(0.0..=1.0).contains(&rule.rate) {
                return Err(FaultPlanError::Rule {
                    index,
                    reason: format!("rate {} is not within [0, 1]", rule.rate),
                });
            }
            if rule.kind == FaultKind::Latency && rule.latency_ms == 0 {
                return Err(FaultPlanError::Rule {
                    index,
                    reason: "a latency rule needs latency_ms > 0".into(),
                });
            }
            if rule.operation.is_empty() {
                return Err(FaultPlanError::Rule {
                    index,
                    reason: "operation is empty (use \"*\" for every operation)".into(),
                });
            }
        }
        Ok(())
    }
}

/// The decision for one call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// Total added latency.
    pub latency: Duration,
    /// Whether an `alarm` rule fired.
    pub alarm: bool,
    /// The terminal fault, if any (never `Latency` or `Alarm`).
    pub action: Option<FaultKind>,
}

/// A plan with its generator and per-rule counters.
#[derive(Clone, Debug)]
pub struct FaultState {
    plan: FaultPlan,
    rng: SplitMix64,
    counts: Vec<u64>,
}

impl FaultState {
    /// Fresh counters and generator for `plan`.
    pub fn new(plan: FaultPlan) -> Self {
        FaultState {
            rng: SplitMix64::new(plan.seed),
            counts: vec![0; plan.rules.len()],
            plan,
        }
    }

    /// The plan in force.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Faults injected so far, per rule.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Decides what happens to one call. Latency rules add up and alarm rules mark the call; the
    /// first terminal rule that fires ends the evaluation.
    pub fn decide(&mut self, service: AwsService, operation: &str) -> Decision {
        let mut decision = Decision::default();
        for (i, rule) in self.plan.rules.iter().enumerate() {
            let matches = (rule.operation == "*" || rule.operation == operation)
                && rule.service.is_none_or(|s| s == service);
            if !matches || rule.max_faults.is_some_and(|m| self.counts[i] >= m) {
                continue;
            }
            // Always draw, so a rule's outcome depends only on the sequence of matching calls.
            let roll = self.rng.next_f64();
            if roll >= rule.rate {
                continue;
            }
            self.counts[i] += 1;
            if rule.kind == FaultKind::Latency {
                decision.latency += Duration::from_millis(rule.latency_ms);
            } else if rule.kind == FaultKind::Alarm {
                decision.alarm = true;
            } else {
                decision.action = Some(rule.kind);
                break;
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(json: &str) -> FaultPlan {
        FaultPlan::from_json(json).unwrap()
    }

    #[test]
    fn bounded_and_seeded() {
        let p = plan(
            r#"{"seed": 9, "rules": [{"operation": "PutImage", "kind": "throttle", "rate": 0.5, "max_faults": 3}]}"#,
        );
        let run = || {
            let mut s = FaultState::new(p.clone());
            (0..50)
                .map(|_| s.decide(AwsService::Ecr, "PutImage").action.is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert_eq!(a.iter().filter(|x| **x).count(), 3);
        let mut s = FaultState::new(p);
        assert_eq!(s.decide(AwsService::Ecs, "ListTasks"), Decision::default());
    }

    #[test]
    fn latency_adds_up_and_service_filter_applies() {
        let p = plan(
            r#"{"rules": [{"kind": "latency", "latency_ms": 5}, {"operation": "*", "service": "ecs", "kind": "latency", "latency_ms": 7}, {"kind": "drop"}]}"#,
        );
        let mut s = FaultState::new(p);
        let d = s.decide(AwsService::Ecs, "ListTasks");
        assert_eq!(d.latency, Duration::from_millis(12));
        assert_eq!(d.action, Some(FaultKind::Drop));
        let d = s.decide(AwsService::Ecr, "ListImages");
        assert_eq!(d.latency, Duration::from_millis(5));
    }

    #[test]
    fn alarm_rules_mark_the_call_and_do_not_end_the_evaluation() {
        let p = plan(
            r#"{"rules": [{"operation": "DescribeServiceDeployments", "kind": "alarm", "max_faults": 1}, {"kind": "throttle", "rate": 1}]}"#,
        );
        let mut s = FaultState::new(p);
        let d = s.decide(AwsService::Ecs, "DescribeServiceDeployments");
        assert!(d.alarm);
        assert_eq!(d.action, Some(FaultKind::Throttle));
        let d = s.decide(AwsService::Ecs, "DescribeServiceDeployments");
        assert!(!d.alarm, "max_faults bounds alarm rules too");
    }

    #[test]
    fn invalid_plans_are_refused() {
        assert!(FaultPlan::from_json(r#"{"rules": [{"kind": "throttle", "rate": 2}]}"#).is_err());
        assert!(FaultPlan::from_json(r#"{"rules": [{"kind": "latency"}]}"#).is_err());
        assert!(FaultPlan::from_json(r#"{"rules": [{"kind": "explode"}]}"#).is_err());
    }
}
