//! Logs go to a file in the user's data directory, never to the terminal the
//! wizard draws on. `STEPWISE_LOG` sets the filter (default `info`).

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

pub const ENV_LOG: &str = "STEPWISE_LOG";

fn filter() -> EnvFilter {
    EnvFilter::try_from_env(ENV_LOG).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Days of logs kept: a file a day, the oldest removed.
const LOG_DAYS: usize = 7;

/// Starts logging to `<data dir>/logs/stepwise.<date>.log`; returns the guard
/// that flushes it, and the folder. Without a data directory nothing is
/// logged.
pub fn to_file() -> Option<(WorkerGuard, PathBuf)> {
    use tracing_appender::rolling::{RollingFileAppender, Rotation};
    // The data directory holds reports naming customers' vehicles: it is
    // the user's alone (0700 on Unix), and so are the logs in it.
    let data = crate::config::data_dir()?;
    crate::files::private_data_dir(&data).ok()?;
    let dir = data.join("logs");
    crate::files::private_dir(&dir).ok()?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("stepwise")
        .filename_suffix("log")
        .max_log_files(LOG_DAYS)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some((guard, dir))
}

/// Logs to stderr, for `stepwise serve`, which draws nothing.
pub fn to_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
