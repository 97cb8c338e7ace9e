//! The simulator: a faithful gateway for demos, training and tests, served by
//! `stepwise serve` and embedded in the wizard's demo mode.

mod auth;
mod events;
mod openapi;
mod routes;
pub(crate) use routes::lock_file;
mod scenario;
mod state;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

pub use crate::wire::{Association, TruthStep};
pub use auth::{Auth, AuthCounts, AuthOptions};
pub use events::{DEFAULT_KEEP_ALIVE, DEFAULT_POLL_INTERVAL, Live, MAX_STREAM_IDS, etag_of};
pub use openapi::{openapi_json, openapi_json_at};
pub use routes::{Shared, router};
pub use scenario::{Scenario, ScenarioError, ScenarioProblem, fleet_id};
pub use state::{DEVICE_LIMIT, ListAnswer, NO_STEP_CODE, SimError, SimState};

use crate::secret::Secret;

/// A simulator running on a tokio task.
pub struct RunningSim {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    tls: bool,
}

impl RunningSim {
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves a scenario on an already bound listener until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    scenario: Scenario,
    token: Option<Secret>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_shared(
        listener,
        Shared::new(SimState::new(scenario), token),
        shutdown,
    )
    .await
}

/// Serves prepared state (e.g. with sign-in on) until `shutdown` resolves.
pub async fn serve_shared(
    listener: TcpListener,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(shared.clone());
    serve_app(listener, app, shared, shutdown).await
}

/// How long a client may take to send a request's head, and a kept-alive
/// connection may wait for its next request, before it is closed: 10 s,
/// or in a debug build the milliseconds a test gives in
/// [`TEST_HEADER_LIMIT_MS`].
pub fn header_limit() -> Duration {
    static LIMIT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        cfg!(debug_assertions)
            .then(|| std::env::var(TEST_HEADER_LIMIT_MS).ok())
            .flatten()
            .and_then(|ms| ms.parse().ok())
            .map_or(Duration::from_secs(10), Duration::from_millis)
    })
}

/// For the tests only, read in a debug build only: the header limit in
/// milliseconds, so that a test of connections held open past it waits
/// a fraction of the 10 s.
pub const TEST_HEADER_LIMIT_MS: &str = "STEPWISE_TEST_HEADER_LIMIT_MS";

/// The most connections served at once; more wait in the listen queue until
/// one ends. Below the process's limit of open files (a quarter of it kept
/// for everything else), so that connections held open can never stop the
/// simulator from accepting, or the process it runs in from opening files.
pub fn connection_cap() -> usize {
    let soft = open_files_limit().unwrap_or(1024);
    (soft - soft / 4).clamp(64, 16_384)
}

/// The soft limit of open files, where the system says (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        return Some(usize::MAX / 2);
    }
    soft.parse().ok()
}

/// Serves `app` on `listener` until `shutdown` resolves: at most
/// [`connection_cap`] connections at once, each closed when a request's
/// head takes longer than [`header_limit`]. Open event streams end with the
/// simulator, or shutdown would wait on them.
async fn serve_app<L: axum::serve::Listener>(
    mut listener: L,
    app: axum::Router,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(connection_cap()));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed.
        let Ok(slot) = slot else { break };
        let io = tokio::select! {
            (io, _) = listener.accept() => io,
            () = &mut shutdown => break,
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_limit());
        let connection =
            http.serve_connection(TokioIo::new(io), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection ended: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    shared.live().close();
    graceful.shutdown().await;
    Ok(())
}

/// A task that completes a random next step every `every`.
pub fn spawn_churn(shared: Shared, every: std::time::Duration) -> JoinHandle<()> {
    use std::hash::BuildHasher;
    tokio::spawn(async move {
        let seed = std::hash::RandomState::new();
        let mut timer = tokio::time::interval(every.max(std::time::Duration::from_millis(10)));
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        timer.tick().await;
        for draw in 0u64.. {
            timer.tick().await;
            match shared.churn(seed.hash_one(draw)) {
                Some((car, step)) => tracing::info!(car, step, "churn: a step completed"),
                None => tracing::info!("churn: every vehicle is ready"),
            }
        }
    })
}

/// Starts a simulator on a free loopback port, as the tests use it; it stops
/// when the returned value is dropped.
pub async fn spawn(scenario: Scenario, token: Option<Secret>) -> std::io::Result<RunningSim> {
    spawn_shared(Shared::new(SimState::new(scenario), token)).await
}

/// Starts the embedded demo backend on a free loopback port. With a
/// `state_file`, what it learns (truths, stepsIDs, caches) is kept there, so
/// separate runs behave as one gateway.
pub async fn spawn_demo(
    scenario: Scenario,
    state_file: Option<std::path::PathBuf>,
) -> std::io::Result<RunningSim> {
    // Ids of its own: after `demo --fresh` elsewhere, a stepsID an open
    // wizard kept names no other vehicle.
    let state = SimState::new(scenario).with_fresh_ids();
    let shared = match state_file {
        Some(file) => Shared::kept_in(state, file),
        None => Shared::new(state, None),
    };
    spawn_shared(shared).await
}

/// Starts prepared state (e.g. with sign-in on) on a free loopback port,
/// like [`spawn`].
pub async fn spawn_shared(shared: Shared) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = serve_shared(listener, shared, std::future::pending()).await {
            tracing::error!("simulator stopped: {e}");
        }
    });
    Ok(RunningSim {
        addr,
        task,
        tls: false,
    })
}

/// Serves a scenario over HTTPS on an already bound listener until
/// `shutdown` resolves.
pub async fn serve_tls(
    listener: TcpListener,
    config: std::sync::Arc<rustls::ServerConfig>,
    scenario: Scenario,
    token: Option<Secret>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_shared_tls(
        listener,
        config,
        Shared::new(SimState::new(scenario), token),
        shutdown,
    )
    .await
}

/// [`serve_shared`] over HTTPS with the given server configuration.
pub async fn serve_shared_tls(
    listener: TcpListener,
    config: std::sync::Arc<rustls::ServerConfig>,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shared = shared.over_tls();
    let app = router(shared.clone());
    let listener = tls::TlsListener::new(listener, config)?;
    serve_app(listener, app, shared, shutdown).await
}

/// [`spawn`] over HTTPS with the given server configuration.
pub async fn spawn_tls(
    config: std::sync::Arc<rustls::ServerConfig>,
    scenario: Scenario,
    token: Option<Secret>,
) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = serve_tls(listener, config, scenario, token, std::future::pending()).await {
            tracing::error!("simulator stopped: {e}");
        }
    });
    Ok(RunningSim {
        addr,
        task,
        tls: true,
    })
}

#[cfg(test)]
mod tests {
    /// Unless a debug build's test shortens it, a request's head may take
    /// 10 s.
    #[test]
    fn the_header_limit_is_ten_seconds() {
        assert!(std::env::var_os(super::TEST_HEADER_LIMIT_MS).is_none());
        assert_eq!(super::header_limit(), std::time::Duration::from_secs(10));
    }
}
