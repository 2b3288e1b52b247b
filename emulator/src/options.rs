//! How the emulator runs: its clock and the fault plan it starts with.

use crate::faults::FaultPlan;

/// How rollouts advance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// One rollout step every `step_ms` milliseconds of wall time; timestamps follow the wall clock.
    Real {
        /// Milliseconds per step.
        step_ms: u64,
    },
    /// Steps happen only when asked (`EmulatorHandle::advance`, `POST /_emulator/clock/advance`);
    /// each step moves emulated time by one second. Fully deterministic.
    Manual,
}

/// Default real-clock step: a demo rollout (three steps) takes about three seconds.
pub const DEFAULT_STEP_MS: u64 = 1000;

impl Default for ClockMode {
    fn default() -> Self {
        ClockMode::Real {
            step_ms: DEFAULT_STEP_MS,
        }
    }
}

/// Emulator options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Real or manual clock.
    pub clock: ClockMode,
    /// Fault plan in force from the start.
    pub faults: Option<FaultPlan>,
    /// Real clock: emulated seconds per wall-clock second (default 1). At 60, a bake time of ten
    /// minutes passes in ten seconds; timestamps then run ahead of the wall clock. Ignored on the
    /// manual clock, where every step is one emulated second.
    pub time_scale: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: ClockMode::default(),
            faults: None,
            time_scale: 1,
        }
    }
}
