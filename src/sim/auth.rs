//! The simulator as an identity provider (`serve --auth device`): discovery,
//! device authorization, token and refresh endpoints, expiring tokens, and
//! the control calls that play the person approving in a browser.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::routes::Shared;
use crate::wire::oauth::{
    CLIENT_ID, DEVICE_GRANT, REFRESH_GRANT, SIM_DEVICE_AUTHORIZATION_PATH, SIM_TOKEN_PATH,
};

/// User codes are 8 of these letters (RFC 8628 §6.1: no vowels, no
/// look-alikes), shown as `WDJB-MJHT`.
const USER_CODE_LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Pending codes kept at most; the oldest go first.
const MAX_GRANTS: usize = 1000;
/// Live tokens kept at most.
const MAX_TOKENS: usize = 10_000;

/// How the simulated identity provider behaves.
#[derive(Debug, Clone)]
pub struct AuthOptions {
    /// Lifetime of access tokens (`--token-ttl`).
    pub token_ttl: Duration,
    /// The polling interval given with a code; a poll sooner than this after
    /// the previous one is answered `slow_down`. Zero: no limit.
    pub interval: Duration,
    /// Lifetime of a code.
    pub code_ttl: Duration,
}

impl Default for AuthOptions {
    fn default() -> Self {
        AuthOptions {
            token_ttl: Duration::from_secs(3600),
            interval: Duration::from_secs(5),
            code_ttl: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved,
    Denied,
}

struct Grant {
    user_code: String,
    expires: Instant,
    last_poll: Instant,
    decision: Decision,
}

/// What the simulator counts, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthCounts {
    pub device_polls: u32,
    pub refreshes: u32,
}

/// The identity provider's state.
pub struct AuthState {
    options: AuthOptions,
    /// By device code.
    grants: HashMap<String, Grant>,
    /// Access token → expiry.
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
    counts: AuthCounts,
}

impl AuthState {
    pub fn new(options: AuthOptions) -> Self {
        AuthState {
            options,
            grants: HashMap::new(),
            access: HashMap::new(),
            refresh: HashSet::new(),
            counts: AuthCounts::default(),
        }
    }

    /// An access token this provider issued and that has not expired.
    pub fn accepts(&self, token: &str, now: Instant) -> bool {
        self.access.get(token).is_some_and(|until| now < *until)
    }

    fn issue(&mut self, now: Instant) -> serde_json::Value {
        self.access.retain(|_, until| now < *until);
        if self.access.len() >= MAX_TOKENS || self.refresh.len() >= MAX_TOKENS {
            self.access.clear();
            self.refresh.clear();
        }
        let access = format!("sim-at-{}", random_hex());
        let refresh = format!("sim-rt-{}", random_hex());
        self.access
            .insert(access.clone(), now + self.options.token_ttl);
        self.refresh.insert(refresh.clone());
        json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.options.token_ttl.as_secs(),
            "refresh_token": refresh,
        })
    }
}

fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn new_user_code() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let letters: String = bytes[..8]
        .iter()
        .map(|b| char::from(USER_CODE_LETTERS[usize::from(*b) % USER_CODE_LETTERS.len()]))
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// A user code as typed: without the dash, in capitals.
fn normalise_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The identity provider, shared by the handlers.
#[derive(Clone)]
pub struct Auth(Arc<Mutex<AuthState>>);

impl Auth {
    pub fn new(options: AuthOptions) -> Self {
        Auth(Arc::new(Mutex::new(AuthState::new(options))))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, AuthState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn counts(&self) -> AuthCounts {
        self.lock().counts
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn not_enabled() -> Response {
    super::routes::error_response(
        StatusCode::NOT_FOUND,
        None,
        "sign-in is off on this simulator; start it with --auth device",
    )
}

/// The simulator's own address as the client reached it.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A form body, decoded leniently (bytes that are not UTF-8 are replaced).
fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) async fn metadata(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if shared.auth().is_none() {
        return not_enabled();
    }
    let base = base_url(&headers);
    Json(json!({
        "issuer": base,
        "device_authorization_endpoint": format!("{base}{SIM_DEVICE_AUTHORIZATION_PATH}"),
        "token_endpoint": format!("{base}{SIM_TOKEN_PATH}"),
        "grant_types_supported": [DEVICE_GRANT, REFRESH_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
    }))
    .into_response()
}

pub(crate) async fn device_authorization(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let form = form(&body);
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id must be stepwise",
        );
    }
    let now = Instant::now();
    let mut state = auth.lock();
    state.grants.retain(|_, g| now < g.expires);
    if state.grants.len() >= MAX_GRANTS {
        state.grants.clear();
    }
    let device_code = format!("sim-dc-{}", random_hex());
    let user_code = new_user_code();
    let options = state.options.clone();
    state.grants.insert(
        device_code.clone(),
        Grant {
            user_code: user_code.clone(),
            expires: now + options.code_ttl,
            last_poll: now,
            decision: Decision::Pending,
        },
    );
    let base = base_url(&headers);
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": format!("{base}/device"),
        "verification_uri_complete": format!("{base}/device?user_code={user_code}"),
        "expires_in": options.code_ttl.as_secs(),
        "interval": options.interval.as_secs(),
    }))
    .into_response()
}

pub(crate) async fn token(State(shared): State<Shared>, body: Bytes) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let form = form(&body);
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id must be stepwise",
        );
    }
    let now = Instant::now();
    let mut state = auth.lock();
    match form.get("grant_type").map(String::as_str) {
        Some(DEVICE_GRANT) => {
            state.counts.device_polls += 1;
            let code = form.get("device_code").cloned().unwrap_or_default();
            let interval = state.options.interval;
            let Some(grant) = state.grants.get_mut(&code) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown device code",
                );
            };
            if now >= grant.expires {
                state.grants.remove(&code);
                return oauth_error(StatusCode::BAD_REQUEST, "expired_token", "the code expired");
            }
            let too_soon = now.duration_since(grant.last_poll) < interval;
            grant.last_poll = now;
            match grant.decision {
                Decision::Denied => {
                    state.grants.remove(&code);
                    oauth_error(
                        StatusCode::BAD_REQUEST,
                        "access_denied",
                        "the person refused",
                    )
                }
                _ if too_soon => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "slow_down",
                    "poll no more often than the interval",
                ),
                Decision::Pending => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "authorization_pending",
                    "waiting for the person to approve",
                ),
                Decision::Approved => {
                    state.grants.remove(&code);
                    Json(state.issue(now)).into_response()
                }
            }
        }
        Some("refresh_token") => {
            state.counts.refreshes += 1;
            let given = form.get("refresh_token").cloned().unwrap_or_default();
            if !state.refresh.remove(&given) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token expired or was revoked",
                );
            }
            Json(state.issue(now)).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be the device code or refresh_token",
        ),
    }
}

/// The page a verification address opens: the code and two buttons.
pub(crate) async fn device_page(State(shared): State<Shared>) -> Response {
    if shared.auth().is_none() {
        return not_enabled();
    }
    Html(
        "<!doctype html><meta charset=utf-8><title>stepwise simulator sign-in</title>\
         <h1>stepwise simulator: sign-in</h1>\
         <p>This page plays the identity provider. Type the code the terminal shows and \
         approve or deny it.</p>\
         <form method=post onsubmit=\"this.action='/sim/device/'+encodeURIComponent(this.code.value)+'/'+event.submitter.value\">\
         <input name=code autofocus placeholder=WDJB-MJHT>\
         <button value=approve>Approve</button> <button value=deny>Deny</button></form>\
         <script>const c=new URLSearchParams(location.search).get('user_code');\
         if(c)document.forms[0].code.value=c;</script>",
    )
    .into_response()
}

fn decide(shared: &Shared, code: &str, decision: Decision) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let wanted = normalise_user_code(code);
    let now = Instant::now();
    let mut state = auth.lock();
    let Some(grant) = state
        .grants
        .values_mut()
        .find(|g| normalise_user_code(&g.user_code) == wanted && now < g.expires)
    else {
        return super::routes::error_response(
            StatusCode::NOT_FOUND,
            None,
            "no pending code like this; check the code the terminal shows",
        );
    };
    if grant.decision != Decision::Pending {
        return super::routes::error_response(
            StatusCode::CONFLICT,
            None,
            "this code was already approved or denied",
        );
    }
    grant.decision = decision;
    let said = if decision == Decision::Approved {
        "approved"
    } else {
        "denied"
    };
    Json(json!({"user_code": grant.user_code, "decision": said})).into_response()
}

pub(crate) async fn approve(State(shared): State<Shared>, Path(code): Path<String>) -> Response {
    decide(&shared, &code, Decision::Approved)
}

pub(crate) async fn deny(State(shared): State<Shared>, Path(code): Path<String>) -> Response {
    decide(&shared, &code, Decision::Denied)
}

/// Every access token expires now (refresh tokens stay): time passing.
pub(crate) async fn expire(State(shared): State<Shared>) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let mut state = auth.lock();
    let expired = state.access.len();
    state.access.clear();
    Json(json!({"expired_access_tokens": expired})).into_response()
}

/// Every token is revoked: the next refresh answers `invalid_grant`.
pub(crate) async fn revoke(State(shared): State<Shared>) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let mut state = auth.lock();
    let revoked = state.access.len() + state.refresh.len();
    state.access.clear();
    state.refresh.clear();
    Json(json!({"revoked_tokens": revoked})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_look_like_rfc_8628_section_6_1() {
        for _ in 0..50 {
            let code = new_user_code();
            assert_eq!(code.len(), 9);
            assert_eq!(&code[4..5], "-");
            assert!(
                code.bytes()
                    .filter(|b| *b != b'-')
                    .all(|b| USER_CODE_LETTERS.contains(&b))
            );
        }
        assert_eq!(normalise_user_code("wdjb-mjht"), "WDJBMJHT");
        assert_eq!(normalise_user_code("WDJBMJHT"), "WDJBMJHT");
    }

    #[test]
    fn tokens_expire_after_their_lifetime() {
        let mut state = AuthState::new(AuthOptions {
            token_ttl: Duration::from_secs(5),
            ..AuthOptions::default()
        });
        let now = Instant::now();
        let answer = state.issue(now);
        let token = answer["access_token"].as_str().unwrap();
        assert!(state.accepts(token, now + Duration::from_secs(4)));
        assert!(!state.accepts(token, now + Duration::from_secs(5)));
        assert!(!state.accepts("made-up", now));
    }
}
