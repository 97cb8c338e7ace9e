//! Logs go to a file in the user's data directory, never to the terminal the
//! wizard draws on. `STEPWISE_LOG` sets the filter (default `info`).

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

pub const ENV_LOG: &str = "STEPWISE_LOG";

fn filter() -> EnvFilter {
    EnvFilter::try_from_env(ENV_LOG).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Days of logs kept: a file a day, the oldest removed.
const LOG_DAYS: usize = 7;

/// Log lines waiting for the writer thread, at most.
const LOG_QUEUE_LINES: usize = 4_096;

/// Today's file in `<data dir>/logs/`, made private; `None` without a
/// data directory.
fn appender() -> Option<tracing_appender::rolling::RollingFileAppender> {
    use tracing_appender::rolling::{RollingFileAppender, Rotation};
    // The data directory holds reports naming customers' vehicles: it is
    // the user's alone (0700 on Unix), and so are the logs in it.
    let data = crate::config::data_dir()?;
    crate::files::private_data_dir(&data).ok()?;
    let dir = data.join("logs");
    crate::files::private_dir(&dir).ok()?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("stepwise")
        .filename_suffix("log")
        .max_log_files(LOG_DAYS)
        .build(&dir)
        .ok()
}

/// Starts logging to `<data dir>/logs/stepwise.<date>.log` from a writer
/// thread, so that the wizard's drawing never waits on the disk; returns
/// the guard that flushes it. Without a data directory nothing is logged.
pub fn to_file() -> Option<WorkerGuard> {
    // The default queue holds 128,000 lines, allocated and touched at once
    // (4 MiB of the wizard's memory); a few thousand lines are plenty for
    // a program that logs a line per request, and a full queue drops lines
    // rather than block the screen.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(appender()?);
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// The same file, written directly: for the one-shot commands (`steps`,
/// `next`, `doctor`, sign-in), which draw nothing and log a few lines, no
/// writer thread is started.
pub fn to_file_direct() {
    let Some(appender) = appender() else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(appender)
        .with_ansi(false)
        .try_init();
}

/// Logs to stderr, for `stepwise serve`, which draws nothing.
pub fn to_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
