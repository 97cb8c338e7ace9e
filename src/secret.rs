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
    token_like_word(text).is_some()
}

/// The word of `text` that looks like a bearer token (see
/// [`looks_like_token`]), if any. A UUID in its usual form (8-4-4-4-12
/// hex digits: a ticket's or a device's reference) is none (stranger 60,
/// BI17).
pub fn token_like_word(text: &str) -> Option<&str> {
    let token_char = |c: char| c.is_ascii_alphanumeric() || "-_.~+/=".contains(c);
    let jwt = |w: &str| {
        w.starts_with("eyJ")
            && w.split('.').count() == 3
            && w.len() >= 20
            && w.chars().all(token_char)
    };
    let uuid = |w: &str| {
        let parts: Vec<&str> = w.split('-').collect();
        parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
            && parts
                .iter()
                .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
    };
    let long = |w: &str| {
        w.len() >= 32
            && w.chars().all(token_char)
            && w.chars().any(|c| c.is_ascii_alphabetic())
            && w.chars().any(|c| c.is_ascii_digit())
            && !uuid(w)
    };
    // `Bearer` as a word of its own, whatever stands around it (a quote, a
    // bracket, a colon: stranger 57, BF3), then a word of 8 or more.
    let runs: Vec<&str> = text
        .split(|c: char| !token_char(c))
        .filter(|r| !r.is_empty())
        .collect();
    let after_bearer = runs
        .windows(2)
        .find(|pair| pair[0].eq_ignore_ascii_case("bearer") && pair[1].len() >= 8)
        .map(|pair| pair[1]);
    after_bearer.or_else(|| {
        text.split_whitespace()
            .map(|w| w.trim_matches(|c: char| !token_char(c)))
            .find(|w| jwt(w) || long(w))
    })
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
    // As errors mask it: in any case, encoded, or a long run of it
    // (stranger 45, AT4).
    secrets
        .iter()
        .any(|secret| !secret.0.trim().is_empty() && repeats_secret(text, secret))
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

/// `body` with every `needle`, in any ASCII case, replaced by `<redacted>`.
pub(crate) fn redact_bytes_any_case(body: &[u8], needle: &[u8]) -> Vec<u8> {
    redact_where(body, needle, |at| at.eq_ignore_ascii_case(needle))
}

/// `body` with every `needle` replaced by `<redacted>`, in one pass from
/// left to right: an empty needle changes nothing, and a needle that is part
/// of the mask cannot loop.
pub(crate) fn redact_bytes(body: &[u8], needle: &[u8]) -> Vec<u8> {
    redact_where(body, needle, |at| at == needle)
}

/// `body` with every run of `needle`'s length that `same` takes for it
/// replaced by `<redacted>`, left to right in one pass.
pub(crate) fn redact_where(body: &[u8], needle: &[u8], same: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    const MASK: &[u8] = b"<redacted>";
    if needle.is_empty() {
        return body.to_vec();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        if rest.len() >= needle.len() && same(&rest[..needle.len()]) {
            out.extend_from_slice(MASK);
            rest = &rest[needle.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// A run of the token's bytes this long is masked wherever it stands (a
/// gateway or a log that echoes it cut short, from either end or the
/// middle); a token of at most 20 bytes has half of it masked.
pub(crate) const ECHOED_RUN: usize = 10;

/// `body` with the token masked wherever it appears whole, in part (a run
/// of its bytes as long as [`echoed_run`] says), in hex, or in base64 (of
/// itself or of `Bearer` and itself; standard or URL-safe).
pub(crate) fn redact_secret(body: &[u8], token: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    if token.is_empty() {
        return body.to_vec();
    }
    // In any case too (an echo that upper-cases what it repeats), in one
    // pass, so the mask itself is never masked again.
    let mut out = redact_bytes_any_case(body, token);
    if token.len() >= 8 {
        let bearer = [b"Bearer ".as_slice(), token].concat();
        let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
        let mut encoded = vec![hex.to_ascii_uppercase(), hex];
        for engine in [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            encoded.push(engine.encode(token));
            encoded.push(engine.encode(&bearer));
        }
        for needle in encoded {
            out = redact_bytes(&out, needle.as_bytes());
        }
        out = redact_runs(&out, token);
    }
    out
}

/// How long a run of the token's bytes must be to be masked.
pub(crate) fn echoed_run(token: &[u8]) -> usize {
    ECHOED_RUN.min(token.len().div_ceil(2).max(8))
}

/// `body` with every run of at least [`echoed_run`] bytes that also stands
/// in the token masked.
pub(crate) fn redact_runs(body: &[u8], token: &[u8]) -> Vec<u8> {
    const MASK: &[u8] = b"<redacted>";
    let least = echoed_run(token);
    // Where each window of `least` bytes starts in the token.
    let mut starts: std::collections::HashMap<&[u8], Vec<usize>> = std::collections::HashMap::new();
    for (at, window) in token.windows(least).enumerate() {
        starts.entry(window).or_default().push(at);
    }
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0;
    while at < body.len() {
        let run = body
            .get(at..at + least)
            .and_then(|window| starts.get(window))
            .map_or(0, |found| {
                found
                    .iter()
                    .map(|&from| {
                        body[at..]
                            .iter()
                            .zip(&token[from..])
                            .take_while(|(a, b)| a == b)
                            .count()
                    })
                    .max()
                    .unwrap_or(0)
            });
        if run >= least {
            out.extend_from_slice(MASK);
            at += run;
        } else {
            out.push(body[at]);
            at += 1;
        }
    }
    out
}

/// Whether `text` repeats the token, whole or in part (as
/// [`redact_secret`] finds it): such words are not shown.
pub(crate) fn repeats_secret(text: &str, token: &Secret) -> bool {
    redact_text(text, token) != text
}

/// [`redact_secret`] on text.
pub(crate) fn redact_text(text: &str, token: &Secret) -> String {
    String::from_utf8_lossy(&redact_secret(text.as_bytes(), token.expose().as_bytes())).into_owned()
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
            // Whatever stands around the word (stranger 57, BF3).
            "customer phone is 0612 (Bearer x1y2z3w4v5u6t7s8)",
            "token:\"Bearer x1y2z3w4v5u6t7s8\"",
            "Bearer:x1y2z3w4v5u6t7s8",
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
