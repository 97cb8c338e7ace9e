//! A bearer token as a value that never shows itself: every module that
//! holds one (the configuration, the sign-in, the client, the simulator)
//! takes it from here.

use std::fmt;

/// Keeps the process's memory, tokens included, out of core files: the
/// core-size limit goes to 0 (any Unix) and the process is marked not
/// dumpable (Linux; this also keeps other processes of the same user from
/// attaching to it). Called at start, since any command may come to hold a
/// token (a kept login, `STEPWISE_TOKEN`, the config file). Returns whether
/// both took effect.
pub fn no_core_dumps() -> bool {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let max = getrlimit(Resource::Core).maximum;
        let limited = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: max,
            },
        )
        .is_ok();
        #[cfg(target_os = "linux")]
        let undumpable =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
                .is_ok();
        #[cfg(not(target_os = "linux"))]
        let undumpable = true;
        limited && undumpable
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// A bearer token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(token: impl Into<String>) -> Self {
        Secret(token.into())
    }

    /// The token itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
