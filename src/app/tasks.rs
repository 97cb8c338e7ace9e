//! Background tasks that cannot take the wizard down: a task run through
//! [`caught`] (or [`caught_blocking`]) that panics becomes an `Err` its
//! caller turns into a message, and the panic hook leaves the terminal alone
//! for it. Any other panic restores the terminal before its message prints
//! and stops the event loop ([`stopped`]), so no frame is drawn after it.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tokio::sync::Notify;

thread_local! {
    /// True while this thread runs a caught task: its panic is a message.
    static CAUGHT: Cell<bool> = const { Cell::new(false) };
}

static PANICKED: AtomicBool = AtomicBool::new(false);
static STOP: Notify = Notify::const_new();

/// Marks this thread as running a caught task until dropped (on unwind too).
struct Mark(bool);

impl Mark {
    fn set() -> Self {
        Mark(CAUGHT.with(|c| c.replace(true)))
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        CAUGHT.with(|c| c.set(self.0));
    }
}

/// A future whose every poll runs marked.
struct Marked<F>(Pin<Box<F>>);

impl<F: Future> Future for Marked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _mark = Mark::set();
        self.0.as_mut().poll(cx)
    }
}

/// The panic's message, for the vehicle's banner and the log.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// Runs `task`; a panic in it is returned as its message.
///
/// `task` is boxed here, at the call, not in an `async fn`'s state: an
/// `async fn` keeps its arguments in its future, so a task that awaits this
/// one would reserve room for the whole of `task` from its start (a request
/// task waiting for its place under way held its request's ~2.4 KiB).
pub fn caught<T>(task: impl Future<Output = T>) -> impl Future<Output = Result<T, String>> {
    AssertUnwindSafe(Marked(Box::pin(task)))
        .catch_unwind()
        .map(|caught| caught.map_err(|payload| message(payload.as_ref())))
}

/// Runs blocking `work` (on a blocking thread); a panic in it is returned
/// as its message.
pub fn caught_blocking<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    let _mark = Mark::set();
    std::panic::catch_unwind(AssertUnwindSafe(work)).map_err(|p| message(p.as_ref()))
}

/// Wraps the panic hook in place (the one that restores the terminal, then
/// reports): a caught task's panic goes to the log only; any other first
/// restores the terminal and reports, then stops the loop.
pub fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if CAUGHT.with(Cell::get) {
            tracing::error!("a background task panicked: {info}");
            return;
        }
        PANICKED.store(true, Ordering::SeqCst);
        previous(info);
        STOP.notify_one();
    }));
}

/// True once a panic outside a caught task happened: nothing more is drawn.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Resolves when a panic outside a caught task happened.
pub async fn stopped() {
    if panicked() {
        return;
    }
    STOP.notified().await;
}

#[cfg(test)]
mod tests {
    use super::caught;

    /// A task that awaits [`caught`] holds a box of the task it runs, not
    /// the task: a request waiting for its place holds little.
    #[test]
    fn a_caught_task_is_boxed_not_held() {
        let big = async {
            let room = [7u8; 4096];
            std::future::ready(()).await;
            std::hint::black_box(room);
        };
        assert!(std::mem::size_of_val(&big) >= 4096);
        let wrapped = caught(big);
        let size = std::mem::size_of_val(&wrapped);
        assert!(size <= 64, "caught's future takes {size} bytes");
    }
}
