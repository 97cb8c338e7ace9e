//! One gateway's shared budget: at most N requests in flight, and after a
//! 429 a pause every request to that gateway honours (the `Retry-After`, or
//! the back-off), each waking at a jittered moment so they do not all
//! return at once.

use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Spread of the jitter added to a wake-up after a pause.
const JITTER: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub struct Pace {
    permits: Semaphore,
    limit: usize,
    /// No request starts before this moment (set by a 429).
    paused_until: Mutex<Option<Instant>>,
    draws: AtomicU64,
    seed: std::hash::RandomState,
}

impl Pace {
    /// A budget of `limit` requests in flight (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        Pace {
            permits: Semaphore::new(limit),
            limit,
            paused_until: Mutex::new(None),
            draws: AtomicU64::new(0),
            seed: std::hash::RandomState::new(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A random delay in `0..JITTER`.
    pub fn jitter(&self) -> Duration {
        let draw = self.draws.fetch_add(1, Ordering::Relaxed);
        let spread = u64::try_from(JITTER.as_millis()).unwrap_or(250).max(1);
        Duration::from_millis(self.seed.hash_one(draw) % spread)
    }

    fn pause_end(&self) -> Option<Instant> {
        let until = *self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        until.filter(|t| *t > Instant::now())
    }

    /// Waits out a pause, then for a place among the requests in flight.
    /// The place is given back when the permit is dropped.
    pub async fn admit(&self) -> SemaphorePermit<'_> {
        loop {
            while let Some(end) = self.pause_end() {
                tokio::time::sleep_until(end + self.jitter()).await;
            }
            // A semaphore that is never closed always grants a permit.
            let Ok(permit) = self.permits.acquire().await else {
                continue;
            };
            // A 429 may have come while this request waited for its place.
            if self.pause_end().is_none() {
                return permit;
            }
        }
    }

    /// A 429: every request to this gateway waits `wait` from now.
    pub fn pause(&self, wait: Duration) {
        let end = Instant::now() + wait;
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

    #[test]
    fn jitter_stays_below_its_spread_and_varies() {
        let pace = Pace::new(1);
        let draws: Vec<Duration> = (0..50).map(|_| pace.jitter()).collect();
        assert!(draws.iter().all(|d| *d < JITTER));
        assert!(draws.iter().any(|d| *d != draws[0]), "{draws:?}");
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
