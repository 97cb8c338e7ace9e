//! The simulator as an identity provider (`serve --auth`), as a company's
//! would be set up: registered clients, scopes, the device and the
//! authorization code grants (PKCE S256 required, loopback redirects),
//! rotating refresh tokens with reuse detection (a refresh token presented
//! twice ends its whole login), revocation (RFC 7009), the gateway's
//! protected resource metadata (RFC 9728), expiring tokens, and the control
//! calls that play the person approving in a browser.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::routes::Shared;
use crate::wire::oauth::{
    CLIENT_ID, CODE_GRANT, DEVICE_GRANT, REFRESH_GRANT, SIM_AUTHORIZE_PATH,
    SIM_DEVICE_AUTHORIZATION_PATH, SIM_REVOCATION_PATH, SIM_TOKEN_PATH,
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
    /// The client ids it knows (`--client-id`).
    pub clients: Vec<String>,
    /// The scopes it knows; a refresh token comes with `offline_access`.
    pub scopes: Vec<String>,
}

/// The scopes the simulated provider knows.
pub const SIM_SCOPES: [&str; 3] = ["openid", "offline_access", "steps:read"];

impl Default for AuthOptions {
    fn default() -> Self {
        AuthOptions {
            token_ttl: Duration::from_secs(3600),
            interval: Duration::from_secs(5),
            code_ttl: Duration::from_secs(600),
            clients: vec![CLIENT_ID.to_owned()],
            scopes: SIM_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
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
    client_id: String,
    scope: String,
    expires: Instant,
    last_poll: Instant,
    decision: Decision,
}

/// A browser's authorization request waiting for the person's decision.
struct CodeRequest {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: String,
    scope: String,
    expires: Instant,
}

/// An authorization code, single-use.
struct IssuedCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    expires: Instant,
}

/// A refresh token: its login (grant), client, scopes, and whether it
/// was used (presenting a used one ends the login: reuse detection).
struct Refresh {
    login: u64,
    client_id: String,
    scope: String,
    used: bool,
}

/// What the simulator counts, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthCounts {
    pub device_polls: u32,
    pub refreshes: u32,
    /// Logins ended because a used refresh token came again.
    pub reuse_revocations: u32,
    /// Calls to the revocation endpoint.
    pub revocations: u32,
}

/// The identity provider's state.
pub struct AuthState {
    options: AuthOptions,
    /// By device code.
    grants: HashMap<String, Grant>,
    /// By request id.
    code_requests: HashMap<String, CodeRequest>,
    /// By code.
    codes: HashMap<String, IssuedCode>,
    /// Access token → expiry and login.
    access: HashMap<String, (Instant, u64)>,
    refresh: HashMap<String, Refresh>,
    next_login: u64,
    counts: AuthCounts,
}

impl AuthState {
    pub fn new(options: AuthOptions) -> Self {
        AuthState {
            options,
            grants: HashMap::new(),
            code_requests: HashMap::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            next_login: 1,
            counts: AuthCounts::default(),
        }
    }

    /// An access token this provider issued and that has not expired.
    pub fn accepts(&self, token: &str, now: Instant) -> bool {
        self.access
            .get(token)
            .is_some_and(|(until, _)| now < *until)
    }

    /// Ends a login: every token of it stops working.
    fn end_login(&mut self, login: u64) {
        self.access.retain(|_, (_, l)| *l != login);
        self.refresh.retain(|_, r| r.login != login);
    }

    /// Tokens for a login (a new one when `login` is `None`); a refresh
    /// token only with `offline_access`.
    fn issue(
        &mut self,
        now: Instant,
        login: Option<u64>,
        client_id: &str,
        scope: &str,
    ) -> serde_json::Value {
        self.access.retain(|_, (until, _)| now < *until);
        if self.access.len() >= MAX_TOKENS || self.refresh.len() >= MAX_TOKENS {
            self.access.clear();
            self.refresh.clear();
        }
        let login = login.unwrap_or_else(|| {
            self.next_login += 1;
            self.next_login
        });
        let access = format!("sim-at-{}", random_hex());
        self.access
            .insert(access.clone(), (now + self.options.token_ttl, login));
        let mut answer = json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.options.token_ttl.as_secs(),
            "scope": scope,
        });
        if scope.split(' ').any(|s| s == "offline_access") {
            let refresh = format!("sim-rt-{}", random_hex());
            self.refresh.insert(
                refresh.clone(),
                Refresh {
                    login,
                    client_id: client_id.to_owned(),
                    scope: scope.to_owned(),
                    used: false,
                },
            );
            answer["refresh_token"] = json!(refresh);
        }
        answer
    }

    fn knows_client(&self, client_id: Option<&String>) -> bool {
        client_id.is_some_and(|c| self.options.clients.contains(c))
    }

    /// The scopes asked for, when all are known (none asked: `openid`).
    fn scope_of(&self, asked: Option<&String>) -> Option<String> {
        let asked: Vec<&str> = asked
            .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if asked.is_empty() {
            return Some("openid".to_owned());
        }
        asked
            .iter()
            .all(|s| self.options.scopes.iter().any(|k| k == s))
            .then(|| asked.join(" "))
    }
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
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

    /// The lifetime of the access tokens issued from now on: a provider
    /// whose first token is due at once and whose refreshed one stays fresh.
    pub fn set_token_ttl(&self, ttl: Duration) {
        self.lock().options.token_ttl = ttl;
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
        "sign-in is off on this simulator; start it with --auth",
    )
}

fn unknown_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "this client id is not registered here",
    )
}

/// The simulator's own address as the client reached it.
fn base_url(shared: &Shared, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1");
    // Over TLS its own addresses are https://, or a client would rightly
    // refuse its sign-in (plain http behind https, another resource).
    let scheme = if shared.is_tls() { "https" } else { "http" };
    format!("{scheme}://{host}")
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
    let base = base_url(&shared, &headers);
    let scopes = shared.auth().map(|a| a.lock().options.scopes.clone());
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}{SIM_AUTHORIZE_PATH}"),
        "device_authorization_endpoint": format!("{base}{SIM_DEVICE_AUTHORIZATION_PATH}"),
        "token_endpoint": format!("{base}{SIM_TOKEN_PATH}"),
        "revocation_endpoint": format!("{base}{SIM_REVOCATION_PATH}"),
        "grant_types_supported": [DEVICE_GRANT, CODE_GRANT, REFRESH_GRANT],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": ["none"],
    }))
    .into_response()
}

/// The gateway's protected resource metadata (RFC 9728): it is its own
/// authorization server.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-protected-resource",
    tag = "sign-in",
    summary = "Where to sign in: the gateway's protected resource metadata (RFC 9728)",
    description = "authorization_servers names the identity provider's issuer (its metadata at /.well-known/openid-configuration or /.well-known/oauth-authorization-server), scopes_supported the scopes a client asks for. A gateway that wants tokens may also name this document in WWW-Authenticate: Bearer resource_metadata=\"...\" on a 401.",
    responses(
        (status = 200, description = "The metadata: resource, authorization_servers, scopes_supported, bearer_methods_supported", content_type = "application/json", body = Object),
        (status = 404, description = "Sign-in is off (the simulator without --auth)", body = crate::wire::ErrorBody),
    )
)]
pub(crate) async fn resource_metadata(
    State(shared): State<Shared>,
    headers: HeaderMap,
) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let base = base_url(&shared, &headers);
    let scopes = auth.lock().options.scopes.clone();
    Json(json!({
        "resource": base,
        "authorization_servers": [base],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
    }))
    .into_response()
}

/// The query of an authorization request (RFC 6749 §4.1.1, RFC 7636).
#[derive(serde::Deserialize)]
pub(crate) struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// A native app's redirect: http on a loopback address (RFC 8252 §7.3).
fn loopback_redirect(raw: &str) -> Option<url::Url> {
    let url = url::Url::parse(raw).ok()?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    (url.scheme() == "http" && loopback).then_some(url)
}

/// The redirect back to the app with `pairs` in the query.
fn back_to(redirect: &url::Url, pairs: &[(&str, &str)]) -> Response {
    let mut url = redirect.clone();
    url.query_pairs_mut().extend_pairs(pairs);
    Redirect::to(url.as_str()).into_response()
}

fn page(body: &str) -> Response {
    Html(format!(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>stepwise simulator sign-in</title><h1>stepwise simulator: sign-in</h1>{body}"
    ))
    .into_response()
}

/// The page a browser is sent to: who asks for what, Approve or Deny.
pub(crate) async fn authorize(
    State(shared): State<Shared>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let mut state = auth.lock();
    // Without a known client and a loopback redirect, nothing is sent back.
    if !state.knows_client(query.client_id.as_ref()) {
        return (
            StatusCode::BAD_REQUEST,
            page("<p>invalid_client: this client id is not registered here.</p>"),
        )
            .into_response();
    }
    let Some(redirect) = query.redirect_uri.as_deref().and_then(loopback_redirect) else {
        return (
            StatusCode::BAD_REQUEST,
            page("<p>invalid_request: the redirect must be http://127.0.0.1:PORT/...</p>"),
        )
            .into_response();
    };
    let app_state = query.state.clone().unwrap_or_default();
    let fail = |error: &str| back_to(&redirect, &[("error", error), ("state", &app_state)]);
    if query.response_type.as_deref() != Some("code") {
        return fail("unsupported_response_type");
    }
    let (Some(challenge), Some("S256")) = (
        query.code_challenge.clone(),
        query.code_challenge_method.as_deref(),
    ) else {
        return fail("invalid_request");
    };
    let Some(scope) = state.scope_of(query.scope.as_ref()) else {
        return fail("invalid_scope");
    };
    let now = Instant::now();
    state.code_requests.retain(|_, r| now < r.expires);
    if state.code_requests.len() >= MAX_GRANTS {
        state.code_requests.clear();
    }
    let id = random_hex();
    let client = query.client_id.clone().unwrap_or_default();
    let shown = format!(
        "<p>The app <b>{}</b> asks for: <b>{}</b>.</p>\
         <form method=post action=/oauth/authorize/decide>\
         <input type=hidden name=request value={id}>\
         <button name=decision value=approve>Approve</button> \
         <button name=decision value=deny>Deny</button></form>",
        html_text(&client),
        html_text(&scope)
    );
    let expires = now + state.options.code_ttl;
    state.code_requests.insert(
        id,
        CodeRequest {
            client_id: client,
            redirect_uri: redirect.to_string(),
            state: query.state,
            challenge,
            scope,
            expires,
        },
    );
    page(&shown)
}

fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The person's decision: back to the app with a code or `access_denied`.
pub(crate) async fn decide_code(State(shared): State<Shared>, body: Bytes) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let form = form(&body);
    let mut state = auth.lock();
    let Some(request) = form
        .get("request")
        .and_then(|id| state.code_requests.remove(id))
        .filter(|r| Instant::now() < r.expires)
    else {
        return (
            StatusCode::NOT_FOUND,
            page("<p>This sign-in request is unknown or expired: start it again.</p>"),
        )
            .into_response();
    };
    let Some(redirect) = loopback_redirect(&request.redirect_uri) else {
        return (StatusCode::BAD_REQUEST, page("<p>invalid_request</p>")).into_response();
    };
    let app_state = request.state.clone().unwrap_or_default();
    if form.get("decision").map(String::as_str) != Some("approve") {
        return back_to(
            &redirect,
            &[("error", "access_denied"), ("state", &app_state)],
        );
    }
    let code = format!("sim-ac-{}", random_hex());
    let expires = Instant::now() + Duration::from_secs(60);
    state.codes.retain(|_, c| Instant::now() < c.expires);
    state.codes.insert(
        code.clone(),
        IssuedCode {
            client_id: request.client_id,
            redirect_uri: request.redirect_uri,
            challenge: request.challenge,
            scope: request.scope,
            expires,
        },
    );
    back_to(&redirect, &[("code", &code), ("state", &app_state)])
}

/// Revocation (RFC 7009): a refresh token ends its whole login, an access
/// token only itself. Always 200, known or not.
pub(crate) async fn revoke_token(State(shared): State<Shared>, body: Bytes) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let form = form(&body);
    let mut state = auth.lock();
    if !state.knows_client(form.get("client_id")) {
        return unknown_client();
    }
    state.counts.revocations += 1;
    let token = form.get("token").cloned().unwrap_or_default();
    if let Some(login) = state.refresh.get(&token).map(|r| r.login) {
        state.end_login(login);
    } else {
        state.access.remove(&token);
    }
    StatusCode::OK.into_response()
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
    let now = Instant::now();
    let mut state = auth.lock();
    if !state.knows_client(form.get("client_id")) {
        return unknown_client();
    }
    let Some(scope) = state.scope_of(form.get("scope")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "a scope asked for is not known here",
        );
    };
    let client_id = form.get("client_id").cloned().unwrap_or_default();
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
            client_id,
            scope,
            expires: now + options.code_ttl,
            last_poll: now,
            decision: Decision::Pending,
        },
    );
    let base = base_url(&shared, &headers);
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": format!("{base}/device"),
        "verification_uri_complete": format!("{base}/device?user_code={user_code}"),
        // RFC 8628 wants a positive lifetime: one under a second is
        // announced as 1 s (a code that then ends before its first poll).
        "expires_in": options.code_ttl.as_secs().max(1),
        "interval": options.interval.as_secs(),
    }))
    .into_response()
}

pub(crate) async fn token(State(shared): State<Shared>, body: Bytes) -> Response {
    let Some(auth) = shared.auth() else {
        return not_enabled();
    };
    let form = form(&body);
    let now = Instant::now();
    let mut state = auth.lock();
    if !state.knows_client(form.get("client_id")) {
        return unknown_client();
    }
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    match form.get("grant_type").map(String::as_str) {
        Some(DEVICE_GRANT) => {
            state.counts.device_polls += 1;
            let code = form.get("device_code").cloned().unwrap_or_default();
            let interval = state.options.interval;
            let Some(grant) = state
                .grants
                .get_mut(&code)
                .filter(|g| g.client_id == client_id)
            else {
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
                    let scope = grant.scope.clone();
                    state.grants.remove(&code);
                    Json(state.issue(now, None, &client_id, &scope)).into_response()
                }
            }
        }
        Some("refresh_token") => {
            state.counts.refreshes += 1;
            let given = form.get("refresh_token").cloned().unwrap_or_default();
            let invalid = || {
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token expired or was revoked",
                )
            };
            let Some(refresh) = state.refresh.get_mut(&given) else {
                return invalid();
            };
            if refresh.client_id != client_id {
                return invalid();
            }
            if refresh.used {
                // Reuse detection: a used refresh token came again, so it
                // may have been stolen; the whole login ends.
                let login = refresh.login;
                state.end_login(login);
                state.counts.reuse_revocations += 1;
                return invalid();
            }
            refresh.used = true;
            let (login, scope) = (refresh.login, refresh.scope.clone());
            Json(state.issue(now, Some(login), &client_id, &scope)).into_response()
        }
        Some(CODE_GRANT) => {
            let code = form.get("code").cloned().unwrap_or_default();
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let Some(issued) = state.codes.remove(&code) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or used code",
                );
            };
            let right = issued.client_id == client_id
                && now < issued.expires
                && form.get("redirect_uri") == Some(&issued.redirect_uri)
                && s256(&verifier) == issued.challenge;
            if !right {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code, its redirect or its PKCE verifier does not match",
                );
            }
            Json(state.issue(now, None, &client_id, &issued.scope)).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be the device code, authorization_code or refresh_token",
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
        let answer = state.issue(now, None, CLIENT_ID, "openid offline_access");
        let token = answer["access_token"].as_str().unwrap();
        assert!(state.accepts(token, now + Duration::from_secs(4)));
        assert!(!state.accepts(token, now + Duration::from_secs(5)));
        assert!(!state.accepts("made-up", now));
    }

    #[test]
    fn a_refresh_token_comes_only_with_offline_access() {
        let mut state = AuthState::new(AuthOptions::default());
        let now = Instant::now();
        assert!(state.issue(now, None, CLIENT_ID, "openid")["refresh_token"].is_null());
        assert!(
            state.issue(now, None, CLIENT_ID, "openid offline_access")["refresh_token"].is_string()
        );
        assert_eq!(state.scope_of(Some(&"openid bogus".to_owned())), None);
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
