//! Emulator fault plans the tests use.

use tagdeploy_emulator::{FaultKind, FaultPlan, FaultRule};

/// A fault rule for `operation` (`*`: every operation) on both services.
pub fn rule(operation: &str, kind: FaultKind, rate: f64, max_faults: Option<u64>) -> FaultRule {
    FaultRule {
        operation: operation.to_owned(),
        service: None,
        kind,
        rate,
        latency_ms: 0,
        max_faults,
    }
}

/// Holds the first call of `operation` until released.
pub fn hold(operation: &str) -> FaultPlan {
    FaultPlan {
        seed: 1,
        rules: vec![rule(operation, FaultKind::Hold, 1.0, Some(1))],
    }
}
