//! The one way the tests wait: a condition polled with a bound, failing with
//! what was awaited; a future given a bound. Never a fixed sleep where a
//! condition can be awaited.
#![allow(dead_code)] // each test binary uses its own part

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a polled condition is looked at again.
pub const POLL: Duration = Duration::from_millis(10);

/// Polls `probe` until it gives a value and returns it; panics after
/// `timeout`, naming `what` was awaited.
pub fn until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "waited {timeout:?} for {what}, in vain"
        );
        std::thread::sleep(POLL);
    }
}

/// Polls `cond` until it holds (true) or `timeout` passes (false): for the
/// tests that must tell "it happened" from "it did not".
pub fn holds_within(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// The output of `future`; panics after `timeout`, naming `what` was awaited.
pub async fn within<F: Future>(what: &str, timeout: Duration, future: F) -> F::Output {
    match tokio::time::timeout(timeout, future).await {
        Ok(output) => output,
        Err(_) => panic!("waited {timeout:?} for {what}, in vain"),
    }
}
