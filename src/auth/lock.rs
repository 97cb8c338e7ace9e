//! One refresh at a time across processes: a lock file beside the token
//! store (`logins.lock` in the data directory). A refresh token may be
//! single-use (rotation with reuse detection): two processes presenting the
//! same one would make the provider end the whole login. The holder reads
//! the store again after taking the lock, since another process may have
//! refreshed already.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "logins.lock";

/// How long a process waits for another's refresh (a token request is
/// bounded by the client's timeout, well under this).
pub const PATIENCE: Duration = Duration::from_secs(45);

/// Held while refreshing; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RefreshLock {
    _file: File,
}

impl RefreshLock {
    /// Takes the lock in `dir`, waiting at most `patience`. Blocking: call
    /// it off the async runtime. `None` when the file cannot be made or the
    /// wait ran out (the refresh then goes ahead, as without a lock).
    pub fn take(dir: &Path, patience: Duration) -> Option<RefreshLock> {
        if let Err(e) = std::fs::create_dir_all(dir) {
            tracing::warn!("no refresh lock: cannot create {}: {e}", dir.display());
            return None;
        }
        let path = dir.join(LOCK_FILE);
        let file = match OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) => {
                tracing::warn!("no refresh lock: cannot open {}: {e}", path.display());
                return None;
            }
        };
        let deadline = Instant::now() + patience;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(RefreshLock { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(TryLockError::WouldBlock) => {
                    tracing::warn!("another stepwise held the refresh lock too long");
                    return None;
                }
                Err(TryLockError::Error(e)) => {
                    tracing::warn!("no refresh lock on {}: {e}", path.display());
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = RefreshLock::take(dir.path(), PATIENCE).expect("the lock");
        assert!(
            RefreshLock::take(dir.path(), Duration::from_millis(100)).is_none(),
            "held by the first"
        );
        drop(first);
        assert!(RefreshLock::take(dir.path(), Duration::from_millis(100)).is_some());
    }
}
