//! Sharing AWS reads between concurrent callers in one provider process.
//!
//! Terraform reads data sources concurrently (ten at a time by default), each through its own
//! ReadDataSource call, so each would make its own DescribeServices, DescribeTasks and
//! DescribeImages calls although the APIs take 10 services or 100 tasks per call. Two tools
//! let those reads share calls:
//!
//! - [`Batcher`]: callers naming items (services, task ARNs) of the same key (the cluster)
//!   a few milliseconds apart join one batch, sent when no caller joined it for a short
//!   window, when it has waited long enough, or when it is full. One call per key is in
//!   flight at a time: a batch whose window ends while the previous call of its key has not
//!   answered stays open to callers until that call answers, so every caller that came in the
//!   meantime shares the next call instead of each window starting a concurrent one.
//!   A caller only ever joins a batch that has not been sent yet, so what it gets back was read
//!   after it asked: batching never serves an older answer than an own call would.
//! - [`SingleFlight`]: identical concurrent lookups (same repository, same image ids) share the
//!   one call in flight. Nothing is kept once that call has answered.
//!
//! The shared calls run in tasks of their own, so a caller that gives up (Terraform stopping)
//! does not cancel the call other callers wait for.
//!
//! Both are generic: they know nothing of ECR or ECS. Which calls are shared, and with what
//! batch sizes, is said by [`super::ecr::SharedImageLookups`], [`super::ecs::SharedEcsReads`]
//! and the process-wide bundle beside the clients, [`super::config::SharedReads`].

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// How long a batch waits for another caller after the last one joined, unless it is full.
/// Short against an AWS round trip, long enough for the reads Terraform starts together.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(10);
/// The longest a batch waits for callers after its first one.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_millis(50);

/// What a batch's callers receive: every item the call found, or the call's error.
pub type BatchOutcome<R, E> = Result<Arc<Vec<R>>, E>;

/// One batch still open to callers (or just taken by its task).
struct Batch<R, E> {
    /// The distinct items asked for so far; `None` once the task has taken them.
    items: Mutex<Option<Vec<String>>>,
    /// When a caller last joined: the batch waits for a quiet `window` after it.
    last_joined: Mutex<Instant>,
    /// Wakes the task early when the batch is full.
    full: Notify,
    /// Where the outcome is published.
    outcome: watch::Sender<Option<BatchOutcome<R, E>>>,
}

/// The batches still open, by key.
type OpenBatches<R, E> = Arc<Mutex<HashMap<String, Arc<Batch<R, E>>>>>;

/// Per key, the turn to call: held by a batch's task from closing its batch until its call
/// answers (a fair lock: batches of a key are sent in the order their windows ended).
type Turns = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

/// Groups concurrent requests for items of the same key into calls of at most `max` items.
pub struct Batcher<R, E> {
    /// The quiet time after the last caller joined that sends a batch.
    window: Duration,
    /// The longest a batch waits after its first caller.
    max_wait: Duration,
    /// The most items one call takes.
    max: usize,
    /// The batches still open to callers, by key. Shared with the batches' tasks, which close
    /// their batch when they send it.
    open: OpenBatches<R, E>,
    /// One call in flight per key.
    turns: Turns,
}

impl<R, E> std::fmt::Debug for Batcher<R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("window", &self.window)
            .field("max_wait", &self.max_wait)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked (every critical section
/// here is a few map or vector operations), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<R, E> Batcher<R, E>
where
    R: Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// A batcher sending a batch when it has `max` items (at least 1), when no caller joined
    /// it for `window`, or `max_wait` after its first caller, whichever comes first.
    pub fn new(window: Duration, max_wait: Duration, max: usize) -> Batcher<R, E> {
        Batcher {
            window,
            max_wait,
            max: max.max(1),
            open: Arc::new(Mutex::new(HashMap::new())),
            turns: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Asks for `items` (at most `max` distinct ones) of `key`: joins the open batch of `key`
    /// when it has room for them, else opens a new one whose task calls `fetch(key, items)`
    /// once it is sent. Returns everything the batch's call found (the caller picks its own
    /// items out), or the call's error; `abandoned` is the error when the call's task died.
    pub async fn submit<F, Fut>(
        &self,
        key: &str,
        items: &[String],
        fetch: F,
        abandoned: E,
    ) -> BatchOutcome<R, E>
    where
        F: FnOnce(String, Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<R>, E>> + Send + 'static,
    {
        let mut wanted: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            if !wanted.contains(item) {
                wanted.push(item.clone());
            }
        }
        let mut receiver = self.join(key, wanted, fetch);
        match receiver.wait_for(Option::is_some).await {
            Ok(outcome) => match &*outcome {
                Some(outcome) => outcome.clone(),
                // wait_for only returns once the value is Some.
                None => Err(abandoned),
            },
            Err(_) => Err(abandoned),
        }
    }

    /// Adds `wanted` to the open batch of `key` or to a new one; returns where its outcome
    /// will be published.
    fn join<F, Fut>(
        &self,
        key: &str,
        wanted: Vec<String>,
        fetch: F,
    ) -> watch::Receiver<Option<BatchOutcome<R, E>>>
    where
        F: FnOnce(String, Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<R>, E>> + Send + 'static,
    {
        let mut open = lock(&self.open);
        if let Some(batch) = open.get(key) {
            let mut items = lock(&batch.items);
            if let Some(items) = items.as_mut() {
                let new: Vec<String> = wanted
                    .iter()
                    .filter(|w| !items.contains(w))
                    .cloned()
                    .collect();
                if items.len() + new.len() <= self.max {
                    items.extend(new);
                    *lock(&batch.last_joined) = Instant::now();
                    if items.len() == self.max {
                        batch.full.notify_one();
                    }
                    return batch.outcome.subscribe();
                }
                // No room: send that one now, the new one below takes these items.
                batch.full.notify_one();
            }
        }
        let (sender, receiver) = watch::channel(None);
        let full = wanted.len() >= self.max;
        let batch = Arc::new(Batch {
            items: Mutex::new(Some(wanted)),
            last_joined: Mutex::new(Instant::now()),
            full: Notify::new(),
            outcome: sender,
        });
        if full {
            batch.full.notify_one();
        }
        open.insert(key.to_owned(), Arc::clone(&batch));
        drop(open);
        self.spawn(key.to_owned(), batch, fetch);
        receiver
    }

    /// The batch's task: wait for the window or a full batch, then for the key's turn (the
    /// batch stays open meanwhile), close it, call, publish.
    fn spawn<F, Fut>(&self, key: String, batch: Arc<Batch<R, E>>, fetch: F)
    where
        F: FnOnce(String, Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<R>, E>> + Send + 'static,
    {
        let (window, max_wait) = (self.window, self.max_wait);
        let open = Arc::clone(&self.open);
        let turn = Arc::clone(lock(&self.turns).entry(key.clone()).or_default());
        tokio::spawn(async move {
            let deadline = Instant::now() + max_wait;
            loop {
                // Terraform starts its reads a few milliseconds apart: wait while they keep
                // coming, up to `max_wait` after the first.
                let until = (*lock(&batch.last_joined) + window).min(deadline);
                if Instant::now() >= until {
                    break;
                }
                tokio::select! {
                    () = tokio::time::sleep_until(until) => {}
                    () = batch.full.notified() => break,
                }
            }
            // While the previous call of this key is in flight the batch stays open: callers
            // arriving meanwhile join it (until it is full) and share the next call.
            let _turn = turn.lock().await;
            {
                // Closed to callers first (under the map's lock, which joiners hold while they
                // add items), so the items taken next are the whole batch.
                let mut open = lock(&open);
                if open.get(&key).is_some_and(|b| Arc::ptr_eq(b, &batch)) {
                    open.remove(&key);
                }
            }
            let items = lock(&batch.items).take().unwrap_or_default();
            let outcome = fetch(key, items).await.map(Arc::new);
            // Nobody listening (every caller gave up) is fine.
            let _ = batch.outcome.send(Some(outcome));
        });
    }
}

/// The calls in flight, by request.
type Flights<K, V> = Arc<Mutex<HashMap<K, watch::Receiver<Option<V>>>>>;

/// Shares one in-flight call between identical concurrent requests.
pub struct SingleFlight<K, V> {
    /// The calls in flight, by request. An entry is removed before its answer is published,
    /// so a request made after the answer starts a call of its own.
    flights: Flights<K, V>,
}

impl<K, V> std::fmt::Debug for SingleFlight<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleFlight").finish_non_exhaustive()
    }
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            flights: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<K, V> SingleFlight<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// The answer of the call in flight for `key`, or of a new call `fetch()` when there is
    /// none; `abandoned` when the call's task died.
    pub async fn run<F, Fut>(&self, key: K, fetch: F, abandoned: V) -> V
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = V> + Send + 'static,
    {
        let mut receiver = {
            let mut flights = lock(&self.flights);
            match flights.get(&key) {
                Some(receiver) => receiver.clone(),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    flights.insert(key.clone(), receiver.clone());
                    let flights = Arc::clone(&self.flights);
                    tokio::spawn(async move {
                        let answer = fetch().await;
                        lock(&flights).remove(&key);
                        let _ = sender.send(Some(answer));
                    });
                    receiver
                }
            }
        };
        match receiver.wait_for(Option::is_some).await {
            Ok(answer) => answer.clone().unwrap_or(abandoned),
            Err(_) => abandoned,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::FutureExt;
    use futures::future::join_all;

    use super::*;

    /// Counts the calls and the batch sizes a fake API sees.
    #[derive(Default)]
    struct Api {
        calls: AtomicUsize,
        sizes: Mutex<Vec<usize>>,
    }

    impl Api {
        /// A fetch that answers every item asked for, except `missing`, or fails with `fail`.
        fn fetch(
            self: &Arc<Self>,
            fail: Option<&'static str>,
        ) -> impl FnOnce(
            String,
            Vec<String>,
        ) -> futures::future::Ready<Result<Vec<String>, String>>
        + Send
        + 'static {
            let api = Arc::clone(self);
            move |key, items| {
                api.calls.fetch_add(1, Ordering::SeqCst);
                lock(&api.sizes).push(items.len());
                futures::future::ready(match fail {
                    Some(reason) => Err(format!("{key}: {reason}")),
                    None => Ok(items
                        .into_iter()
                        .filter(|i| i != "missing")
                        .map(|i| format!("{key}/{i}"))
                        .collect()),
                })
            }
        }
    }

    fn batcher() -> Batcher<String, String> {
        Batcher::new(Duration::from_millis(20), Duration::from_millis(100), 10)
    }

    #[tokio::test]
    async fn concurrent_callers_share_full_batches() {
        let batcher = batcher();
        let api = Arc::new(Api::default());
        let names: Vec<Vec<String>> = (0..25).map(|i| vec![format!("svc-{i}")]).collect();
        let outcomes = join_all(
            names
                .iter()
                .map(|n| batcher.submit("cluster", n, api.fetch(None), "abandoned".to_owned())),
        )
        .await;
        assert_eq!(api.calls.load(Ordering::SeqCst), 3);
        let mut sizes = lock(&api.sizes).clone();
        sizes.sort();
        assert_eq!(sizes, [5, 10, 10]);
        for (name, outcome) in names.iter().zip(outcomes) {
            let found = outcome.expect("batch answered");
            assert!(found.contains(&format!("cluster/{}", name[0])));
        }
    }

    #[tokio::test]
    async fn keys_and_later_callers_get_calls_of_their_own() {
        let batcher = batcher();
        let api = Arc::new(Api::default());
        let one = vec!["svc".to_owned()];
        let (a, b) = tokio::join!(
            batcher.submit("a", &one, api.fetch(None), String::new()),
            batcher.submit("b", &one, api.fetch(None), String::new()),
        );
        assert_eq!(*a.expect("a"), ["a/svc"]);
        assert_eq!(*b.expect("b"), ["b/svc"]);
        assert_eq!(api.calls.load(Ordering::SeqCst), 2);
        // Nothing is kept: the same request once the batch has answered is a new call.
        batcher
            .submit("a", &one, api.fetch(None), String::new())
            .await
            .expect("again");
        assert_eq!(api.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn duplicates_are_asked_once_and_an_error_reaches_every_caller() {
        let batcher = batcher();
        let api = Arc::new(Api::default());
        let same = vec!["svc".to_owned(), "svc".to_owned()];
        let outcomes = join_all(
            (0..4).map(|_| batcher.submit("c", &same, api.fetch(Some("gone")), String::new())),
        )
        .await;
        assert_eq!(api.calls.load(Ordering::SeqCst), 1);
        assert_eq!(*lock(&api.sizes), [1]);
        assert!(
            outcomes
                .iter()
                .all(|o| o.as_ref().err().map(String::as_str) == Some("c: gone"))
        );
    }

    #[tokio::test]
    async fn a_caller_giving_up_does_not_cancel_the_shared_call() {
        let batcher = batcher();
        let api = Arc::new(Api::default());
        let first = vec!["first".to_owned()];
        let second = vec!["second".to_owned()];
        // The first caller opens the batch, then gives up before it is sent.
        assert!(
            batcher
                .submit("c", &first, api.fetch(None), String::new())
                .now_or_never()
                .is_none()
        );
        let found = batcher
            .submit("c", &second, api.fetch(None), String::new())
            .await
            .expect("answered");
        assert_eq!(api.calls.load(Ordering::SeqCst), 1);
        assert_eq!(*found, ["c/first", "c/second"]);
    }

    #[tokio::test]
    async fn a_batch_without_room_is_sent_and_a_new_one_opened() {
        let batcher = batcher();
        let api = Arc::new(Api::default());
        let six: Vec<String> = (0..6).map(|i| format!("a{i}")).collect();
        let five: Vec<String> = (0..5).map(|i| format!("b{i}")).collect();
        let (a, b) = tokio::join!(
            batcher.submit("c", &six, api.fetch(None), String::new()),
            batcher.submit("c", &five, api.fetch(None), String::new()),
        );
        assert_eq!(a.expect("a").len(), 6);
        assert_eq!(b.expect("b").len(), 5);
        let mut sizes = lock(&api.sizes).clone();
        sizes.sort();
        assert_eq!(sizes, [5, 6]);
    }

    #[tokio::test]
    async fn callers_arriving_during_a_call_share_the_next_one() {
        let batcher = Arc::new(batcher());
        let api = Arc::new(Api::default());
        // The first call answers only when told to.
        let (answer, answered) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let (batcher, api) = (Arc::clone(&batcher), Arc::clone(&api));
            tokio::spawn(async move {
                let fetch = api.fetch(None);
                batcher
                    .submit(
                        "c",
                        &["first".to_owned()],
                        move |key, items| {
                            // Counted when made; answered when told.
                            let answer = fetch(key, items);
                            async move {
                                let _ = answered.await;
                                answer.await
                            }
                        },
                        String::new(),
                    )
                    .await
            })
        };
        let made = tokio::time::timeout(Duration::from_secs(10), async {
            while api.calls.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        made.await.expect("the first call is made");
        // Five more callers while that call is in flight, and far more than the window after
        // them: no second call until the first answers.
        let later: Vec<_> = (0..5)
            .map(|i| {
                let (batcher, api) = (Arc::clone(&batcher), Arc::clone(&api));
                tokio::spawn(async move {
                    batcher
                        .submit("c", &[format!("svc-{i}")], api.fetch(None), String::new())
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(api.calls.load(Ordering::SeqCst), 1);
        answer.send(()).expect("the first call waits");
        assert_eq!(*first.await.expect("first").expect("answered"), ["c/first"]);
        for (i, caller) in later.into_iter().enumerate() {
            let found = caller.await.expect("caller").expect("answered");
            assert!(found.contains(&format!("c/svc-{i}")), "{found:?}");
        }
        assert_eq!(api.calls.load(Ordering::SeqCst), 2);
        assert_eq!(*lock(&api.sizes), [1, 5]);
    }

    #[tokio::test]
    async fn identical_lookups_share_the_call_in_flight_only() {
        let flight: SingleFlight<&'static str, usize> = SingleFlight::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let fetch = |calls: &Arc<AtomicUsize>| {
            let calls = Arc::clone(calls);
            move || async move {
                tokio::task::yield_now().await;
                calls.fetch_add(1, Ordering::SeqCst) + 1
            }
        };
        let answers = join_all((0..10).map(|_| flight.run("prod", fetch(&calls), 0))).await;
        assert_eq!(answers, vec![1; 10]);
        let other = flight.run("stage", fetch(&calls), 0).await;
        assert_eq!(other, 2);
        // Once answered, the same lookup is asked again: no stale answers.
        assert_eq!(flight.run("prod", fetch(&calls), 0).await, 3);
    }
}
