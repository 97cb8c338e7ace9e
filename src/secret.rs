//! A bearer token as a value that never shows itself: every module that
//! holds one (the configuration, the sign-in, the client, the simulator)
//! takes it from here.

use std::fmt;

/// Whether typed text holds what looks like a bearer token: a JWT
/// (`eyJ….….…`), a word after `Bearer`, or a long run (32 or more) of a
/// token's characters with both letters and digits. Such text (a note for
/// the report) is not kept: a token never goes into a file a technician
/// hands on.
pub fn looks_like_token(text: &str) -> bool {
    let token_char = |c: char| c.is_ascii_alphanumeric() || "-_.~+/=".contains(c);
    let words: Vec<&str> = text.split_whitespace().collect();
    let jwt = |w: &str| {
        let w = w.trim_matches(|c: char| !token_char(c));
        w.starts_with("eyJ")
            && w.split('.').count() == 3
            && w.len() >= 20
            && w.chars().all(token_char)
    };
    let long = |w: &str| {
        let w = w.trim_matches(|c: char| !token_char(c));
        w.len() >= 32
            && w.chars().all(token_char)
            && w.chars().any(|c| c.is_ascii_alphabetic())
            && w.chars().any(|c| c.is_ascii_digit())
    };
    let after_bearer = words
        .windows(2)
        .any(|pair| pair[0].eq_ignore_ascii_case("bearer") && pair[1].len() >= 8);
    after_bearer || words.iter().any(|w| jwt(w) || long(w))
}

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

/// Whether `text` holds one of `secrets`, whatever its length (as a
/// gateway's error body is redacted): the token in use, typed or pasted
/// into a note, is as much a token as one that looks like it.
pub fn holds_any(text: &str, secrets: &[Secret]) -> bool {
    secrets
        .iter()
        .any(|secret| !secret.0.trim().is_empty() && text.contains(secret.0.as_str()))
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

#[cfg(test)]
mod token_text_tests {
    use super::*;

    #[test]
    fn a_token_in_typed_text_is_recognised() {
        for token in [
            "customer asked; token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig-abc",
            "Bearer abcdef123456",
            "at sim-at-0123456789abcdef0123456789abcdef",
        ] {
            assert!(looks_like_token(token), "{token}");
        }
        for note in [
            "Customer's PIN reset; OTP error 2317 cured after the cache reset",
            "VIN WVWZZZ1JZXW000001, vehicle 987654",
            "see https://help.example/guide/device-activation-and-key-check",
            "bearer of bad news",
        ] {
            assert!(!looks_like_token(note), "{note}");
        }
    }
}
