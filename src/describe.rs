//! The words a person reads about a failed gateway call: what went wrong,
//! why, and what to do. The client's errors carry data only; the CLI and the
//! wizard show them through here.

use crate::client::{GatewayError, Rejection};
use crate::guidance::explain_code;
use crate::wire::ErrorBody;

/// One line: what, why, what to do.
pub fn gateway_error(error: &GatewayError) -> String {
    match error {
        GatewayError::Unreachable { base, detail } => format!(
            "cannot reach the gateway at {base}: {detail}. Check that it runs and that --api is right"
        ),
        GatewayError::TimedOut { base, after } => format!(
            "the gateway at {base} did not answer within {:.1} s. Check the network, then retry",
            after.as_secs_f64()
        ),
        GatewayError::Rejected { status, kind, body } => rejected_line(*status, *kind, body),
        GatewayError::TooLarge { limit } => format!(
            "the gateway's answer is larger than {} KiB and was not read further. Check that --api points at a steps gateway",
            limit / 1024
        ),
        GatewayError::BadAnswer(why) => format!(
            "the gateway's answer could not be used: {why}. Check that --api points at a steps gateway"
        ),
        GatewayError::Transport(detail) => format!(
            "the request to the gateway failed: {detail}. Retry; if it persists, check the network"
        ),
        GatewayError::BadUrl { url, reason } => format!(
            "the gateway URL {url:?} is not usable: {reason}. Give one like http://127.0.0.1:8080"
        ),
        GatewayError::BadPath { path, detail } => {
            format!("cannot build the URL of {path}: {detail}")
        }
        GatewayError::BadToken => {
            "the token has characters a header cannot carry; check the token file".to_owned()
        }
        GatewayError::HttpSetup(detail) => format!("cannot set up the HTTP client: {detail}"),
        GatewayError::DemoUnavailable(detail) => {
            format!("cannot start the embedded simulator on a loopback port: {detail}")
        }
    }
}

/// A short title for a banner.
pub fn gateway_headline(error: &GatewayError) -> &'static str {
    match error {
        GatewayError::Unreachable { .. } => "Gateway unreachable",
        GatewayError::TimedOut { .. } => "Gateway timed out",
        GatewayError::Rejected { kind, .. } => match kind {
            Rejection::BadRequest => "Request refused",
            Rejection::Unauthorized => "Token needed",
            Rejection::WrongDevice => "stepsID of another device",
            Rejection::NotFound => "Unknown id",
            Rejection::Conflict => "Out of order",
            Rejection::TooManyRequests => "Too many requests",
            Rejection::ServerFailure => "Gateway failure",
            Rejection::Other => "Request failed",
        },
        GatewayError::TooLarge { .. } => "Answer too large",
        GatewayError::BadAnswer(_) => "Unusable answer",
        GatewayError::Transport(_) => "Request failed",
        GatewayError::BadUrl { .. }
        | GatewayError::BadPath { .. }
        | GatewayError::BadToken
        | GatewayError::HttpSetup(_)
        | GatewayError::DemoUnavailable(_) => "Bad configuration",
    }
}

fn rejected_line(status: u16, kind: Rejection, body: &ErrorBody) -> String {
    let said = match (&body.message, body.code) {
        (Some(m), Some(c)) => format!(" ({m}, code {c})"),
        (Some(m), None) => format!(" ({m})"),
        (None, Some(c)) => format!(" (code {c})"),
        (None, None) => String::new(),
    };
    let what = match kind {
        Rejection::BadRequest => "the gateway refused the request as malformed",
        Rejection::Unauthorized => "the gateway wants a valid token",
        Rejection::WrongDevice => "this stepsID belongs to another device",
        Rejection::NotFound => "the gateway does not know this id",
        Rejection::Conflict => "the gateway refused: an earlier step is not done",
        Rejection::TooManyRequests => "the gateway is limiting requests",
        Rejection::ServerFailure => "the gateway failed",
        Rejection::Other => "the gateway refused the request",
    };
    let todo = match kind {
        Rejection::BadRequest => "Check the id you typed; if it is right, report a bug",
        Rejection::Unauthorized => {
            "Give a token with --token-file PATH, STEPWISE_TOKEN or `token` in the config file"
        }
        Rejection::WrongDevice => "Start again with the carAssociationID",
        Rejection::NotFound => "Check the carAssociationID or stepsID and try again",
        Rejection::Conflict => "Complete the earlier steps first",
        Rejection::TooManyRequests => "Wait a minute, then retry",
        Rejection::ServerFailure => {
            "Retry in a minute; if it persists, tell the gateway's operator"
        }
        Rejection::Other => "Check --api and retry",
    };
    let sdk = body
        .code
        .and_then(explain_code)
        .map(|e| format!(" App code {}: {}; {}", e.code, e.meaning, e.remedy))
        .unwrap_or_default();
    format!("HTTP {status}: {what}{said}. {todo}.{sdk}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_lines_explain_known_codes() {
        let line = gateway_error(&GatewayError::Rejected {
            status: 404,
            kind: Rejection::NotFound,
            body: ErrorBody::new(Some(2346), "no step"),
        });
        assert!(
            line.starts_with("HTTP 404: the gateway does not know this id (no step, code 2346).")
        );
        assert!(line.contains("App code 2346"));
        assert!(!line.contains('\n'));
    }

    #[test]
    fn display_is_the_description() {
        let error = GatewayError::BadUrl {
            url: "ftp://x".into(),
            reason: "only http and https are supported".into(),
        };
        assert_eq!(error.to_string(), gateway_error(&error));
        assert!(
            error
                .to_string()
                .contains("Give one like http://127.0.0.1:8080")
        );
        assert_eq!(error.headline(), "Bad configuration");
    }
}
