//! One AWS call, paced and retried: every attempt waits for a token of its bucket
//! ([`super::Pacer`]); an attempt that AWS throttled, that failed inside AWS (HTTP 5xx) or on the
//! way (connection closed, timed out) is tried again after a pause with full jitter, until it
//! succeeds, fails for good, its deadline would pass, or its caller cancels it.
//!
//! Throttling and server errors are retried for as long as the deadline allows: they say
//! nothing about the request, and a release must not fail because AWS was busy. Transport
//! failures are retried a few times only ([`Policy::transport_attempts`]): an endpoint that
//! refuses connections is more often wrong than busy, and its user should hear so soon.
//!
//! The deadline and the cancellation come from the caller ([`Budget`]), usually for a whole
//! promotion: [`scope`] sets them for every call made in a task; calls outside any scope keep
//! retrying for [`Policy::default_window`].

use std::future::Future;

use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use super::Service;
use super::bucket::Pacer;
use super::policy::Policy;

/// What a failed attempt says about trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The answer is final (the request is wrong, not permitted, refers to nothing, …).
    No,
    /// AWS throttled it: its bucket is empty now.
    Throttled,
    /// AWS failed on its side (HTTP 5xx).
    ServerError,
    /// The attempt failed on the way (connection closed, refused, timed out).
    Transport,
}

/// The caller's limits for the calls it makes: a deadline and a cancellation.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// No attempt starts after this.
    pub deadline: Option<Instant>,
    /// Cancelled: waiting stops at once and the call in flight is dropped.
    pub cancel: Option<CancellationToken>,
}

tokio::task_local! {
    /// The budget of the calls made in this task, set by [`scope`].
    static BUDGET: Budget;
}

/// Runs `work` with `budget` for every call it makes in this task (not in tasks it spawns).
pub async fn scope<F: Future>(budget: Budget, work: F) -> F::Output {
    BUDGET.scope(budget, work).await
}

/// The budget in force in this task (the default when no [`scope`] set one).
pub fn current_budget() -> Budget {
    BUDGET.try_with(Budget::clone).unwrap_or_default()
}

/// Why a paced call gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GaveUp<E> {
    /// The last attempt failed and another one would not help, or would not start in time.
    Failed {
        /// The last attempt's error.
        error: E,
        /// Attempts made.
        attempts: u32,
        /// True when AWS kept throttling or failing until the deadline (or the default
        /// window) left no time for another attempt.
        out_of_time: bool,
    },
    /// The caller cancelled it.
    Cancelled {
        /// Attempts made (the one in flight, if any, was dropped).
        attempts: u32,
    },
    /// The call's turn would come only after its deadline (no attempt was made).
    NoTurn {
        /// The bucket it waited for.
        bucket: &'static str,
        /// How long it would have had to wait.
        wait: Duration,
    },
}

/// Waits for `until` unless `cancel` fires first; false when cancelled.
async fn pause(until: Instant, cancel: Option<&CancellationToken>) -> bool {
    match cancel {
        None => {
            tokio::time::sleep_until(until).await;
            true
        }
        Some(token) => tokio::select! {
            _ = token.cancelled() => false,
            _ = tokio::time::sleep_until(until) => true,
        },
    }
}

/// Sends `operation` of `service` with `attempt` (one attempt per call, e.g.
/// `|| request.clone().send()`), paced by `pacer` and retried as `classify` says, within the
/// current [`Budget`].
pub async fn send<T, E, F, Fut>(
    pacer: &Pacer,
    service: Service,
    operation: &str,
    policy: &Policy,
    classify: impl Fn(&E) -> Retry,
    mut attempt: F,
) -> Result<T, GaveUp<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let budget = current_budget();
    let cancel = budget.cancel.as_ref();
    let deadline = budget
        .deadline
        .unwrap_or_else(|| Instant::now() + policy.default_window);
    let mut attempts = 0u32;
    let mut failures_in_a_row = 0u32;
    let mut transport_failures = 0u32;
    let mut last: Option<E> = None;
    loop {
        let turn = pacer.reserve(service, operation);
        let now = Instant::now();
        if turn.at() > deadline {
            return Err(match last {
                Some(error) => GaveUp::Failed {
                    error,
                    attempts,
                    out_of_time: true,
                },
                None => GaveUp::NoTurn {
                    bucket: turn.bucket().unwrap_or("none"),
                    wait: turn.at() - now,
                },
            });
        }
        let at = turn.at();
        if at > now {
            tracing::debug!(
                aws.service = %service,
                aws.operation = operation,
                rate_limit.bucket = turn.bucket(),
                wait_ms = (at - now).as_millis() as u64,
                "{service} {operation} waits {} ms for its turn ({})",
                (at - now).as_millis(),
                turn.bucket().unwrap_or_default(),
            );
        }
        if !pause(at, cancel).await {
            return Err(GaveUp::Cancelled { attempts });
        }
        turn.ready().await;
        attempts += 1;
        let result = match cancel {
            None => attempt().await,
            Some(token) => tokio::select! {
                _ = token.cancelled() => return Err(GaveUp::Cancelled { attempts }),
                result = attempt() => result,
            },
        };
        let error = match result {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        match classify(&error) {
            Retry::No => {
                return Err(GaveUp::Failed {
                    error,
                    attempts,
                    out_of_time: false,
                });
            }
            Retry::Throttled => {
                // AWS's bucket is empty now: ours follows, and the retry queues for a token.
                pacer.throttled(service, operation);
                tracing::debug!(
                    aws.service = %service,
                    aws.operation = operation,
                    "{service} {operation} was throttled by AWS: its bucket is treated as empty, and the call retried when a token comes"
                );
            }
            Retry::ServerError => {}
            Retry::Transport => {
                transport_failures += 1;
                if transport_failures >= policy.transport_attempts {
                    return Err(GaveUp::Failed {
                        error,
                        attempts,
                        out_of_time: false,
                    });
                }
            }
        }
        // Full jitter: concurrent callers that failed together do not come back together.
        let ceiling = policy
            .base
            .saturating_mul(1u32 << failures_in_a_row.min(16))
            .min(policy.cap);
        failures_in_a_row += 1;
        let next = Instant::now() + ceiling.mul_f64(fastrand::f64());
        if next > deadline {
            return Err(GaveUp::Failed {
                error,
                attempts,
                out_of_time: true,
            });
        }
        last = Some(error);
        if !pause(next, cancel).await {
            return Err(GaveUp::Cancelled { attempts });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::super::bucket::GUARD;
    use super::super::limits::{Limit, Limits};
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Fake {
        Throttled,
        Busy,
        Closed,
        Denied,
    }

    fn classify(e: &Fake) -> Retry {
        match e {
            Fake::Throttled => Retry::Throttled,
            Fake::Busy => Retry::ServerError,
            Fake::Closed => Retry::Transport,
            Fake::Denied => Retry::No,
        }
    }

    /// An operation failing with `errors` in turn, then answering its attempt number.
    fn scripted(
        errors: Vec<Fake>,
    ) -> (
        Arc<AtomicU32>,
        impl FnMut() -> std::future::Ready<Result<u32, Fake>>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&calls);
        let attempt = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            std::future::ready(match errors.get(n as usize) {
                Some(e) => Err(e.clone()),
                None => Ok(n + 1),
            })
        };
        (calls, attempt)
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_and_server_errors_are_retried_until_an_answer() {
        let pacer = Pacer::default();
        let start = Instant::now();
        let mut errors = vec![Fake::Throttled; 12];
        errors.extend([Fake::Busy, Fake::Busy, Fake::Closed]);
        let (_, attempt) = scripted(errors);
        let got = send(
            &pacer,
            Service::Ecs,
            "UpdateService",
            &Policy::default(),
            classify,
            attempt,
        )
        .await;
        assert_eq!(got, Ok(16), "16 attempts, far more than the SDK's 3");
        // Every throttle emptied the bucket: each retry after one waited for the refill
        // (a token per 0.2 s, plus the guard), however full the bucket looked before.
        assert!(Instant::now() - start >= (Duration::from_millis(200) + GUARD) * 12);
    }

    #[tokio::test(start_paused = true)]
    async fn final_answers_and_repeated_transport_failures_are_not_retried_for_long() {
        let pacer = Pacer::default();
        let (calls, attempt) = scripted(vec![Fake::Denied]);
        let got = send(
            &pacer,
            Service::Ecs,
            "UpdateService",
            &Policy::default(),
            classify,
            attempt,
        )
        .await;
        assert_eq!(
            got,
            Err(GaveUp::Failed {
                error: Fake::Denied,
                attempts: 1,
                out_of_time: false
            })
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let (calls, attempt) = scripted(vec![Fake::Closed; 50]);
        let got = send(
            &pacer,
            Service::Ecs,
            "UpdateService",
            &Policy::default(),
            classify,
            attempt,
        )
        .await;
        assert!(matches!(
            got,
            Err(GaveUp::Failed {
                error: Fake::Closed,
                attempts: 5,
                out_of_time: false
            })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_ends_the_retries() {
        let pacer = Pacer::default();
        let start = Instant::now();
        let (calls, attempt) = scripted(vec![Fake::Busy; 10_000]);
        let budget = Budget {
            deadline: Some(start + Duration::from_secs(60)),
            cancel: None,
        };
        let got = scope(
            budget,
            send(
                &pacer,
                Service::Ecs,
                "DescribeServices",
                &Policy::default(),
                classify,
                attempt,
            ),
        )
        .await;
        match got {
            Err(GaveUp::Failed {
                error: Fake::Busy,
                attempts,
                out_of_time: true,
            }) => assert_eq!(attempts, calls.load(Ordering::SeqCst)),
            other => panic!("{other:?}"),
        }
        assert!(Instant::now() <= start + Duration::from_secs(60));
        // Without a scope the default window applies.
        let (_, attempt) = scripted(vec![Fake::Busy; 10_000]);
        let start = Instant::now();
        let got = send(
            &pacer,
            Service::Ecs,
            "DescribeServices",
            &Policy::default(),
            classify,
            attempt,
        )
        .await;
        assert!(matches!(
            got,
            Err(GaveUp::Failed {
                out_of_time: true,
                ..
            })
        ));
        assert!(Instant::now() - start <= Policy::default().default_window);
        assert!(Instant::now() - start >= Policy::default().default_window - Policy::default().cap);
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_after_the_deadline_is_not_waited_for() {
        let pacer = Pacer::new(
            &Limits::published()
                .with(
                    "ecr:PutImage",
                    Limit {
                        burst: 1.0,
                        per_second: 0.01,
                    },
                )
                .unwrap(),
        );
        pacer.reserve(Service::Ecr, "PutImage").ready().await;
        let (calls, attempt) = scripted(vec![]);
        let budget = Budget {
            deadline: Some(Instant::now() + Duration::from_secs(10)),
            cancel: None,
        };
        let got = scope(
            budget,
            send(
                &pacer,
                Service::Ecr,
                "PutImage",
                &Policy::default(),
                classify,
                attempt,
            ),
        )
        .await;
        match got {
            Err(GaveUp::NoTurn { bucket, wait }) => {
                assert_eq!(bucket, "ecr:PutImage");
                assert!(wait > Duration::from_secs(10), "{wait:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_stops_waiting_at_once() {
        let pacer = Pacer::default();
        let cancel = CancellationToken::new();
        let (calls, attempt) = scripted(vec![Fake::Busy; 10_000]);
        let budget = Budget {
            deadline: None,
            cancel: Some(cancel.clone()),
        };
        let task = tokio::spawn(scope(budget, async move {
            send(
                &pacer,
                Service::Ecs,
                "DescribeServices",
                &Policy::default(),
                classify,
                attempt,
            )
            .await
        }));
        tokio::time::sleep(Duration::from_secs(5)).await;
        cancel.cancel();
        let got = task.await.unwrap();
        assert_eq!(
            got,
            Err(GaveUp::Cancelled {
                attempts: calls.load(Ordering::SeqCst)
            })
        );
    }
}
