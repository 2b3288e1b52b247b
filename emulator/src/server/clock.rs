//! Emulated time. The manual clock moves one second per step and only when asked. The real clock
//! follows the wall clock, `time_scale` times faster, plus whatever an explicit advance skipped
//! ahead, and never goes back.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::options::{ClockMode, Options};

/// Emulated time one manual-clock step represents.
pub(crate) const MANUAL_STEP_MS: u64 = 1000;

/// Wall-clock time, epoch milliseconds.
pub(crate) fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Where the real clock started: emulated time `emulated_ms` at wall time `wall_ms`, plus the
/// time explicit advances skipped.
#[derive(Clone, Copy, Debug)]
struct Anchor {
    wall_ms: i64,
    emulated_ms: i64,
    skipped_ms: i64,
}

/// The clock of one emulator.
#[derive(Debug)]
pub(crate) struct Clock {
    mode: ClockMode,
    scale: i64,
    anchor: Mutex<Anchor>,
}

impl Clock {
    /// A clock for `options`, whose emulated time is `emulated_ms` now.
    pub(crate) fn new(options: &Options, emulated_ms: i64) -> Clock {
        Clock {
            mode: options.clock.clone(),
            scale: i64::from(options.time_scale.max(1)),
            anchor: Mutex::new(Anchor {
                wall_ms: wall_ms(),
                emulated_ms,
                skipped_ms: 0,
            }),
        }
    }

    fn anchor(&self) -> std::sync::MutexGuard<'_, Anchor> {
        self.anchor.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Emulated seconds per wall-clock second (real clock).
    pub(crate) fn scale(&self) -> i64 {
        self.scale
    }

    /// The clock mode.
    pub(crate) fn mode(&self) -> &ClockMode {
        &self.mode
    }

    /// Milliseconds of emulated time per step.
    pub(crate) fn step_ms(&self) -> u64 {
        match self.mode {
            ClockMode::Real { step_ms } => step_ms.max(1),
            ClockMode::Manual => MANUAL_STEP_MS,
        }
    }

    /// Starts again from `emulated_ms` (a world was loaded or reset).
    pub(crate) fn restart(&self, emulated_ms: i64) {
        *self.anchor() = Anchor {
            wall_ms: wall_ms(),
            emulated_ms,
            skipped_ms: 0,
        };
    }

    /// Real clock: moves emulated time `ms` ahead of where it would be.
    pub(crate) fn skip(&self, ms: u64) {
        self.anchor().skipped_ms += ms as i64;
    }

    /// Emulated time now, given the account's current time `current_ms` (it never goes back).
    /// On the manual clock only steps move time, so this is `current_ms`.
    pub(crate) fn now(&self, current_ms: i64) -> i64 {
        match self.mode {
            ClockMode::Manual => current_ms,
            ClockMode::Real { .. } => {
                let a = *self.anchor();
                let wall = wall_ms();
                // At scale 1 timestamps follow the wall clock itself.
                let base = if self.scale == 1 {
                    wall
                } else {
                    a.emulated_ms + (wall - a.wall_ms) * self.scale
                };
                current_ms.max(base + a.skipped_ms)
            }
        }
    }

    /// Emulated time after one more step from `current_ms`.
    pub(crate) fn next_step(&self, current_ms: i64) -> i64 {
        match self.mode {
            ClockMode::Manual => current_ms + MANUAL_STEP_MS as i64,
            ClockMode::Real { .. } => self.now(current_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_steps_are_seconds_and_real_skips_move_ahead() {
        let manual = Clock::new(
            &Options {
                clock: ClockMode::Manual,
                ..Options::default()
            },
            1_000,
        );
        assert_eq!(manual.next_step(1_000), 2_000);
        assert_eq!(manual.now(1_000), 1_000);
        let real = Clock::new(
            &Options {
                clock: ClockMode::Real { step_ms: 10 },
                time_scale: 60,
                ..Options::default()
            },
            0,
        );
        let before = real.now(0);
        real.skip(600_000);
        assert!(real.now(0) >= before + 600_000);
        // Time never goes back.
        assert_eq!(real.now(i64::MAX / 2), i64::MAX / 2);
    }
}
