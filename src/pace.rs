//! One gateway's shared budget: at most N requests in flight, and after a
//! 429 a pause every request to that gateway honours (the `Retry-After`, or
//! the back-off), each waking at a jittered moment so they do not all
//! return at once. Also the one retry policy: [`Backoff`] (doubling, capped,
//! jittered) and [`jitter`], which the client's retries and the follower's
//! reconnects and polls share.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The longest pause a gateway's `Retry-After` imposes on every request to
/// it: its own ask up to an hour (a wild value cannot stop the session for
/// good); the screen says the pause kept.
pub const MAX_PAUSE: Duration = Duration::from_secs(3600);

/// Spread of the jitter added to a wake-up after a pause.
const JITTER: Duration = Duration::from_millis(250);

/// How long after the requests held by a pause an event stream held by it
/// reopens: a list or a next step the technician asked for goes first, so
/// a gateway that keeps limiting streams does not hold it back again.
const STREAM_AFTER_REQUESTS: Duration = Duration::from_millis(500);

/// The one retry policy: `first` after the first failure, doubling after
/// each further one up to `max`, plus a random quarter of it so that many
/// clients failing together do not come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait after `failures` failures before this one (0 for the first).
    pub fn after(&self, failures: u32) -> Duration {
        let base = self
            .first
            .saturating_mul(1 << failures.min(16))
            .min(self.max);
        base + jitter(base / 4)
    }
}

/// A random delay in `[0, max]`, from the standard library's random hasher
/// keys (no generator crate needed for spreading retries).
pub fn jitter(max: Duration) -> Duration {
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    let Ok(max_ms) = u64::try_from(max.as_millis()) else {
        return max;
    };
    if max_ms == 0 {
        return Duration::ZERO;
    }
    let draw = DRAWS.fetch_add(1, Ordering::Relaxed);
    Duration::from_millis(std::hash::RandomState::new().hash_one(draw) % (max_ms + 1))
}

tokio::task_local! {
    /// Set while the request of a [`held_back`] future waits because of a
    /// 429 (its own, or a pause another request's brought), cleared when it
    /// is sent: a run out of time tells "held back by the gateway's limit"
    /// from "sent, and not answered", vehicle by vehicle.
    static HELD_BACK: Arc<AtomicBool>;
}

/// Runs `future` (a gateway call) with `flag` saying, at any moment,
/// whether its request is held back by a 429 rather than awaiting an answer.
pub async fn held_back<F: std::future::Future>(flag: Arc<AtomicBool>, future: F) -> F::Output {
    HELD_BACK.scope(flag, future).await
}

tokio::task_local! {
    /// Set once the request of an [`admitted`] future got its place among
    /// the requests in flight (it was sent): a run out of time tells "not
    /// asked yet" from "sent, and not answered".
    static ADMITTED: Arc<AtomicBool>;
}

/// Runs `future` (a gateway call) with `flag` set once its request is
/// admitted to be sent.
pub async fn admitted<F: std::future::Future>(flag: Arc<AtomicBool>, future: F) -> F::Output {
    ADMITTED.scope(flag, future).await
}

fn mark_held_back(held: bool) {
    let _ = HELD_BACK.try_with(|flag| flag.store(held, Ordering::Relaxed));
}

#[derive(Debug)]
pub struct Pace {
    permits: Semaphore,
    limit: usize,
    /// No request starts before this moment (set by a 429).
    paused_until: Mutex<Option<Instant>>,
}

impl Pace {
    /// A budget of `limit` requests in flight (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        Pace {
            permits: Semaphore::new(limit),
            limit,
            paused_until: Mutex::new(None),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    fn pause_end(&self) -> Option<Instant> {
        let until = *self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        until.filter(|t| *t > Instant::now())
    }

    /// How long the pause a 429 set still lasts, if one does.
    pub fn pause_left(&self) -> Option<Duration> {
        self.pause_end()
            .map(|end| end.saturating_duration_since(Instant::now()))
    }

    /// Waits out a pause a 429 set, taking no place among the requests in
    /// flight (an event stream is one idle connection, not a request), and
    /// after the requests the pause held (see [`STREAM_AFTER_REQUESTS`]).
    pub async fn wait_out_pause(&self) {
        while let Some(end) = self.pause_end() {
            let after = JITTER + STREAM_AFTER_REQUESTS + jitter(JITTER);
            tokio::time::sleep_until(end + after).await;
        }
    }

    /// Waits out a pause, then for a place among the requests in flight.
    /// The place is given back when the permit is dropped.
    pub async fn admit(&self) -> SemaphorePermit<'_> {
        loop {
            while let Some(end) = self.pause_end() {
                mark_held_back(true);
                tokio::time::sleep_until(end + jitter(JITTER)).await;
            }
            // A semaphore that is never closed always grants a permit.
            let Ok(permit) = self.permits.acquire().await else {
                continue;
            };
            // A 429 may have come while this request waited for its place.
            if self.pause_end().is_none() {
                mark_held_back(false);
                let _ = ADMITTED.try_with(|flag| flag.store(true, Ordering::Relaxed));
                return permit;
            }
        }
    }

    /// A 429: every request to this gateway waits `wait` from now (at
    /// most [`MAX_PAUSE`]).
    pub fn pause(&self, wait: Duration) {
        // The request that got the 429 waits from now on.
        mark_held_back(true);
        let end = Instant::now() + wait.min(MAX_PAUSE);
        let mut until = self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if until.is_none_or(|t| t < end) {
            *until = Some(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use futures_util::FutureExt;

    #[tokio::test]
    async fn a_pause_holds_every_request_back() {
        let pace = Pace::new(2);
        assert!(pace.admit().now_or_never().is_some(), "free before a 429");
        pace.pause(Duration::from_secs(60));
        assert!(
            pace.admit().now_or_never().is_none(),
            "a 429 holds the next request back"
        );
    }

    #[tokio::test]
    async fn a_stream_waits_out_a_pause_without_taking_a_place() {
        let pace = Pace::new(1);
        let started = Instant::now();
        pace.pause(Duration::from_millis(100));
        assert!(pace.wait_out_pause().now_or_never().is_none(), "held back");
        pace.wait_out_pause().await;
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(pace.admit().now_or_never().is_some(), "no place was kept");
    }

    /// After a pause, the requests it held go before the stream it held:
    /// what the technician asked for is not held again by a stream the
    /// gateway keeps limiting.
    #[tokio::test]
    async fn after_a_pause_requests_go_before_the_stream() {
        let pace = Arc::new(Pace::new(2));
        pace.pause(Duration::from_millis(50));
        let order = Arc::new(Mutex::new(Vec::new()));
        let (stream_pace, stream_order) = (Arc::clone(&pace), Arc::clone(&order));
        let stream = tokio::spawn(async move {
            stream_pace.wait_out_pause().await;
            stream_order.lock().unwrap().push("stream");
        });
        let (request_pace, request_order) = (Arc::clone(&pace), Arc::clone(&order));
        let request = tokio::spawn(async move {
            let _place = request_pace.admit().await;
            request_order.lock().unwrap().push("request");
        });
        let _ = tokio::join!(stream, request);
        assert_eq!(*order.lock().unwrap(), ["request", "stream"]);
    }

    #[test]
    fn jitter_stays_within_its_spread_and_varies() {
        let draws: Vec<Duration> = (0..50).map(|_| jitter(JITTER)).collect();
        assert!(draws.iter().all(|d| *d <= JITTER));
        assert!(draws.iter().any(|d| *d != draws[0]), "{draws:?}");
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn the_backoff_doubles_up_to_its_cap_with_a_quarter_of_jitter() {
        let backoff = Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for (failures, base) in [
            (0, 100),
            (1, 200),
            (2, 400),
            (3, 800),
            (4, 1000),
            (40, 1000),
        ] {
            let wait = backoff.after(failures);
            let base = Duration::from_millis(base);
            assert!(
                wait >= base && wait <= base + base / 4,
                "{failures}: {wait:?}"
            );
        }
    }

    #[tokio::test]
    async fn no_more_than_the_limit_at_once() {
        let pace = Pace::new(2);
        let a = pace.admit().await;
        let _b = pace.admit().await;
        assert!(pace.admit().now_or_never().is_none(), "a third waits");
        drop(a);
        assert!(pace.admit().now_or_never().is_some(), "a place came free");
    }
}
