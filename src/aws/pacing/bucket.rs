//! The provider's own token buckets, one per AWS bucket, shared by every call of the process.
//!
//! A call takes a *reservation*: one token, now if the bucket holds one, otherwise the next one
//! to come. Tokens may go below zero: -k means k calls are already waiting, and the next
//! reservation is for the time the refill pays that debt off. Reservations are served in the
//! order they were made, each caller sleeps once, and a caller that gives up before its time
//! (cancelled, or its deadline passed) gives its token back.
//!
//! A call that has to wait goes [`GUARD`] later than our bucket alone would let it: AWS counts a
//! token when the call arrives, and the calls of a burst arrive over some milliseconds, so
//! AWS's bucket starts refilling a little after ours. The guard costs its length once per wait,
//! not per call: every waiting call is shifted by the same amount, the rate stays the same.
//!
//! When AWS throttles a call anyway (another client of the same account and region spent
//! tokens, a previous provider process drained the bucket seconds ago, AWS refills in steps),
//! AWS's bucket is empty *now*: [`Pacer::throttled`] brings ours down to empty too, so the calls
//! after it go at the refill rate instead of bursting into more throttling.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::time::{Duration, Instant};

use super::Service;
use super::limits::{Limit, Limits, PUBLISHED, bucket_index};
use super::policy::Policy;

/// How much later than our own bucket allows a call that had to wait is sent (see the module
/// documentation).
pub const GUARD: Duration = Duration::from_millis(100);

/// One bucket's state.
#[derive(Debug)]
struct Level {
    /// Tokens at `at`; below zero when reservations are waiting.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
}

#[derive(Debug)]
struct Bucket {
    name: &'static str,
    limit: Limit,
    level: Mutex<Level>,
}

fn lock(level: &Mutex<Level>) -> MutexGuard<'_, Level> {
    // Every critical section is a few arithmetic operations: a panic cannot leave it half done.
    level
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Bucket {
    /// Brings the level up to `now` (never above the burst).
    fn refill(&self, level: &mut Level, now: Instant) {
        let elapsed = now.saturating_duration_since(level.at).as_secs_f64();
        level.tokens = (level.tokens + elapsed * self.limit.per_second).min(self.limit.burst);
        level.at = now;
    }

    /// Takes a token; returns when it may be used.
    fn reserve(&self, now: Instant) -> Instant {
        let mut level = lock(&self.level);
        self.refill(&mut level, now);
        level.tokens -= 1.0;
        if level.tokens >= 0.0 {
            now
        } else {
            now + Duration::from_secs_f64(-level.tokens / self.limit.per_second) + GUARD
        }
    }

    /// When a reservation made now could be used (none is made).
    fn next_turn(&self, now: Instant) -> Instant {
        let mut level = lock(&self.level);
        self.refill(&mut level, now);
        if level.tokens >= 1.0 {
            now
        } else {
            now + Duration::from_secs_f64((1.0 - level.tokens) / self.limit.per_second) + GUARD
        }
    }

    /// Gives back a token that was not used.
    fn refund(&self, now: Instant) {
        let mut level = lock(&self.level);
        self.refill(&mut level, now);
        level.tokens = (level.tokens + 1.0).min(self.limit.burst);
    }

    /// AWS said its bucket is empty: so is ours (reservations already made keep their turn).
    fn empty(&self, now: Instant) {
        let mut level = lock(&self.level);
        self.refill(&mut level, now);
        level.tokens = level.tokens.min(0.0);
    }

    fn tokens(&self, now: Instant) -> f64 {
        let mut level = lock(&self.level);
        self.refill(&mut level, now);
        level.tokens
    }
}

/// Every bucket of one provider process (one account and region), shared by all its calls,
/// and how its calls are retried.
#[derive(Debug, Clone)]
pub struct Pacer {
    /// In the order of [`PUBLISHED`]; empty when pacing is off.
    buckets: Arc<Vec<Bucket>>,
    /// Pauses and limits of the retries.
    policy: Policy,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(&Limits::published())
    }
}

impl Pacer {
    /// Full buckets with `limits`.
    pub fn new(limits: &Limits) -> Pacer {
        let now = Instant::now();
        Pacer {
            buckets: Arc::new(
                limits
                    .buckets()
                    .map(|b| Bucket {
                        name: b.name,
                        limit: b.limit,
                        level: Mutex::new(Level {
                            tokens: b.limit.burst,
                            at: now,
                        }),
                    })
                    .collect(),
            ),
            policy: Policy::default(),
        }
    }

    /// No pacing at all: every reservation is for now (tests that count on no waiting).
    pub fn off() -> Pacer {
        Pacer {
            buckets: Arc::new(Vec::new()),
            policy: Policy::default(),
        }
    }

    /// These buckets, with `policy` for the retries (tests use short pauses).
    pub fn with_policy(mut self, policy: Policy) -> Pacer {
        self.policy = policy;
        self
    }

    /// How calls paced by this pacer are retried.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn bucket(&self, service: Service, operation: &str) -> Option<&Bucket> {
        if self.buckets.len() != PUBLISHED.len() {
            return None;
        }
        bucket_index(service, operation).map(|i| &self.buckets[i])
    }

    /// Takes a token for one attempt of `operation`; wait for it with [`Reservation::ready`].
    pub fn reserve(&self, service: Service, operation: &str) -> Reservation {
        let now = Instant::now();
        match self.bucket(service, operation) {
            Some(bucket) => Reservation {
                bucket: Some((self.clone(), bucket.name)),
                at: bucket.reserve(now),
            },
            None => Reservation {
                bucket: None,
                at: now,
            },
        }
    }

    /// Sleeps until a call of `operation` could take a token without waiting, taking none: a
    /// batch of reads stays open to more callers while its call could not go anyway.
    pub async fn until_turn(&self, service: Service, operation: &str) {
        if let Some(bucket) = self.bucket(service, operation) {
            let at = bucket.next_turn(Instant::now());
            tokio::time::sleep_until(at).await;
        }
    }

    /// AWS throttled a call of `operation`: its bucket is empty now.
    pub fn throttled(&self, service: Service, operation: &str) {
        if let Some(bucket) = self.bucket(service, operation) {
            bucket.empty(Instant::now());
        }
    }

    /// Tokens in the bucket of `operation` now (negative: reservations waiting); `None` when
    /// the operation is not paced.
    pub fn tokens(&self, service: Service, operation: &str) -> Option<f64> {
        self.bucket(service, operation)
            .map(|b| b.tokens(Instant::now()))
    }

    fn by_name(&self, name: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.name == name)
    }
}

/// One token, usable from [`Reservation::at`]. Dropped unused (the caller gave up first), it
/// goes back to the bucket.
#[derive(Debug)]
pub struct Reservation {
    /// The pacer and bucket name; `None` for an operation that is not paced, or once used.
    bucket: Option<(Pacer, &'static str)>,
    at: Instant,
}

impl Reservation {
    /// When the token may be used.
    pub fn at(&self) -> Instant {
        self.at
    }

    /// The bucket it is a token of (`None`: the operation is not paced).
    pub fn bucket(&self) -> Option<&'static str> {
        self.bucket.as_ref().map(|(_, name)| *name)
    }

    /// Sleeps until the token may be used, and uses it.
    pub async fn ready(mut self) {
        tokio::time::sleep_until(self.at).await;
        self.bucket = None;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some((pacer, name)) = self.bucket.take()
            && let Some(bucket) = pacer.by_name(name)
        {
            bucket.refund(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: Duration) -> f64 {
        (d.as_secs_f64() * 1000.0).round() / 1000.0
    }

    #[tokio::test(start_paused = true)]
    async fn the_burst_at_once_then_the_refill_rate_in_order() {
        let pacer = Pacer::default();
        let start = Instant::now();
        // Kept: a reservation dropped unused gives its token back.
        let held: Vec<Reservation> = (0..55)
            .map(|_| pacer.reserve(Service::Ecs, "UpdateService"))
            .collect();
        let slots: Vec<f64> = held.iter().map(|r| secs(r.at() - start)).collect();
        assert!(slots[..50].iter().all(|s| *s == 0.0), "{slots:?}");
        // 5 per second, the whole queue shifted by the guard.
        assert_eq!(slots[50..], [0.3, 0.5, 0.7, 0.9, 1.1]);
        // CreateService shares the bucket; DescribeServices does not.
        let r = pacer.reserve(Service::Ecs, "CreateService");
        assert_eq!(secs(r.at() - start), 1.3);
        let r = pacer.reserve(Service::Ecs, "DescribeServices");
        assert_eq!(r.at(), start);
        // Not paced at all.
        let r = pacer.reserve(Service::Ecr, "UpdateService");
        assert_eq!(r.at(), start);
        assert_eq!(pacer.tokens(Service::Ecr, "UpdateService"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reservation_given_up_goes_back() {
        let pacer = Pacer::new(
            &Limits::published()
                .with(
                    "ecr:PutImage",
                    Limit {
                        burst: 1.0,
                        per_second: 1.0,
                    },
                )
                .unwrap(),
        );
        let start = Instant::now();
        pacer.reserve(Service::Ecr, "PutImage").ready().await;
        let waiting = pacer.reserve(Service::Ecr, "PutImage");
        let turn = Duration::from_secs(1) + GUARD;
        assert_eq!(waiting.at() - start, turn);
        // The caller is cancelled before its turn: the next caller gets that turn.
        let gave_up = tokio::time::timeout(Duration::from_millis(100), waiting.ready()).await;
        assert!(gave_up.is_err());
        let next = pacer.reserve(Service::Ecr, "PutImage");
        assert_eq!(next.at() - start, turn);
        next.ready().await;
        assert_eq!(Instant::now() - start, turn);
        // Used tokens do not come back: the next turn is a second after the last one's token.
        let after = pacer.reserve(Service::Ecr, "PutImage");
        assert_eq!(after.at() - start, Duration::from_secs(2) + GUARD);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_empties_the_bucket_and_later_calls_go_at_the_refill_rate() {
        let pacer = Pacer::default();
        let start = Instant::now();
        // 10 calls went; AWS's bucket was nearly empty already (another process used it).
        for _ in 0..10 {
            pacer.reserve(Service::Ecs, "UpdateService").ready().await;
        }
        assert_eq!(pacer.tokens(Service::Ecs, "UpdateService"), Some(40.0));
        pacer.throttled(Service::Ecs, "UpdateService");
        assert_eq!(pacer.tokens(Service::Ecs, "UpdateService"), Some(0.0));
        let next = pacer.reserve(Service::Ecs, "UpdateService");
        assert_eq!(secs(next.at() - start), 0.3);
        // Reservations already waiting keep their turn: a throttle does not push them back.
        pacer.throttled(Service::Ecs, "UpdateService");
        assert_eq!(pacer.tokens(Service::Ecs, "UpdateService"), Some(-1.0));
        drop(next);
        // The full bucket never holds more than the burst, however long it rests.
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(pacer.tokens(Service::Ecs, "UpdateService"), Some(50.0));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_a_turn_takes_no_token() {
        let pacer = Pacer::new(
            &Limits::published()
                .with(
                    "ecs:service-read",
                    Limit {
                        burst: 5.0,
                        per_second: 10.0,
                    },
                )
                .unwrap(),
        );
        let start = Instant::now();
        pacer.until_turn(Service::Ecs, "DescribeServices").await;
        assert_eq!(Instant::now(), start, "a token is there");
        let held: Vec<Reservation> = (0..6)
            .map(|_| pacer.reserve(Service::Ecs, "DescribeServices"))
            .collect();
        // The next turn comes after the one already promised to the sixth.
        pacer.until_turn(Service::Ecs, "DescribeServices").await;
        assert_eq!(
            secs(Instant::now() - start),
            secs(held[5].at() - start + Duration::from_millis(100))
        );
        // -1 at the start, 3 tokens back in 0.3 s, none taken by the wait.
        assert_eq!(pacer.tokens(Service::Ecs, "DescribeServices"), Some(2.0));
    }

    #[tokio::test(start_paused = true)]
    async fn off_never_waits() {
        let pacer = Pacer::off();
        let start = Instant::now();
        for _ in 0..1000 {
            assert_eq!(pacer.reserve(Service::Ecs, "UpdateService").at(), start);
        }
        pacer.throttled(Service::Ecs, "UpdateService");
        assert_eq!(pacer.tokens(Service::Ecs, "UpdateService"), None);
    }
}
