//! How paced calls are retried: the pauses between attempts and how long they go on.

use tokio::time::Duration;

/// How to pause between attempts and how long to go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The pause after the first failure is up to this long (full jitter); it doubles with
    /// each failure in a row.
    pub base: Duration,
    /// The longest pause, whatever the number of failures (the AWS SDKs' standard mode: 20 s).
    pub cap: Duration,
    /// Attempts at most when they keep failing on the way.
    pub transport_attempts: u32,
    /// How long a call without a deadline keeps retrying throttling and server errors.
    pub default_window: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(20),
            transport_attempts: 5,
            default_window: Duration::from_secs(300),
        }
    }
}
