//! The OAuth 2.0 device authorization grant (RFC 8628) with endpoint
//! discovery (RFC 8414), written on the project's own HTTP client: discover,
//! ask for a code, poll until the person approves it in a browser.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Deserialize;
use url::Url;

use super::{
    AddressProblem, AuthError, Credential, Discovery, Endpoint, MAX_AUTH_BODY, ProviderProblem,
    ProxyTrouble, SignInOptions, is_token_text, unix_now,
};
use crate::secret::Secret;
use crate::steps::sanitize;

pub use crate::wire::oauth::DEVICE_GRANT;

/// The interval when a provider gives none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Polls are never closer than this, whatever a provider says.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Nor further apart than this (slow_down adds 5 s each time).
const MAX_INTERVAL: Duration = Duration::from_secs(120);
/// A code is never waited on longer than this.
const MAX_CODE_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Failed polls (network, 5xx) in a row before giving up.
const MAX_FAILED_POLLS: u32 = 3;

/// The identity provider's addresses, as discovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The issuer, when the metadata came from one (RFC 8414, OpenID).
    pub issuer: Option<String>,
    /// Where a browser is sent for the authorization code grant.
    pub authorization: Option<Url>,
    /// Where to ask for a device code.
    pub device_authorization: Option<Url>,
    pub token: Url,
    /// Where to revoke a token (RFC 7009).
    pub revocation: Option<Url>,
    /// The provider says it takes PKCE with S256.
    pub pkce_s256: bool,
    /// The scopes the gateway's protected resource metadata names.
    pub resource_scopes: Option<String>,
}

impl Endpoints {
    /// The scopes to ask for: those set, else the gateway's, else
    /// `openid offline_access`.
    pub fn scopes(&self, options: &SignInOptions) -> String {
        options
            .scopes
            .clone()
            .or_else(|| self.resource_scopes.clone())
            .unwrap_or_else(|| super::DEFAULT_SCOPES.to_owned())
    }
}

/// The audience, sent as RFC 8707's `resource` and as `audience` (what
/// some providers take instead).
pub(crate) fn audience_form<'a>(
    options: &'a SignInOptions,
    form: &mut Vec<(&'static str, &'a str)>,
) {
    if let Some(audience) = options.audience.as_deref() {
        form.push(("resource", audience));
        form.push(("audience", audience));
    }
}

/// A code to approve, as the provider gave it.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// Never shown: it proves this machine asked for the code.
    pub device_code: Secret,
    /// Shown to the person, who types it in the browser.
    pub user_code: String,
    pub verification_uri: Url,
    /// The address with the code in it (for the QR code and the browser).
    pub verification_uri_complete: Option<Url>,
    pub expires_in: Duration,
    pub interval: Duration,
}

impl DeviceAuthorization {
    /// The address to open or scan: with the code in it when there is one.
    pub fn address(&self) -> &Url {
        self.verification_uri_complete
            .as_ref()
            .unwrap_or(&self.verification_uri)
    }
}

/// How polling waits and tells time; tests replace the clock.
pub trait Pace: Send + Sync {
    fn now(&self) -> Instant;
    fn wait(&self, how_long: Duration) -> impl Future<Output = ()> + Send;
    /// The provider asked to wait `how_long` before the next poll (HTTP
    /// 429): told where someone watches the sign-in.
    fn held(&self, how_long: Duration) {
        let _ = how_long;
    }
}

/// The real clock.
pub struct RealTime;

impl Pace for RealTime {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wait(&self, how_long: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(how_long)
    }
}

/// One answer from a provider: status and (capped) body.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// The answer's `Retry-After`, if it gave one.
    pub retry_after: Option<std::time::Duration>,
}

/// The detail of a request sent, whose answer did not come in time.
pub(crate) const NO_ANSWER: &str = "no answer in time";

pub(crate) fn network_error(url: &Url, e: &reqwest::Error) -> AuthError {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    // Through a proxy, what went wrong on the way is named as the proxy's:
    // never "the provider's address was reached" or "took the connection".
    if let Some(trouble) = proxy_trouble(e, &source.to_string())
        && let Some(proxy) = proxy_for(url)
    {
        return AuthError::Proxy {
            url: without_query(url),
            proxy: proxy.shown(),
            from: proxy.from,
            credentials: !proxy.url.username().is_empty(),
            trouble,
        };
    }
    AuthError::Network {
        url: without_query(url),
        tls: crate::net::TlsProblem::find(e),
        detail: if e.is_timeout() && e.is_connect() {
            "no connection in time".into()
        } else if e.is_timeout() {
            NO_ANSWER.into()
        } else {
            sanitize(&source.to_string())
        },
    }
}

/// [`network_error`], with what the proxy answers a CONNECT of its own
/// where a tunnel was refused: Windows sign-in only (a 407 no password in
/// the variable answers), or a sign-in of its own (a 401, a portal's).
async fn network_failure(url: &Url, e: &reqwest::Error) -> AuthError {
    let mut error = network_error(url, e);
    let AuthError::Proxy {
        trouble: trouble @ ProxyTrouble::Tunnel { .. },
        ..
    } = &mut error
    else {
        return error;
    };
    let (Some(proxy), Some(host)) = (proxy_for(url), url.host_str()) else {
        return error;
    };
    let port = url.port_or_known_default().unwrap_or(443);
    match crate::net::connect_answer(&proxy.url, host, port).await {
        Some((407, true, ..)) => *trouble = ProxyTrouble::Windows,
        Some((401, _, basic, _)) => {
            *trouble = ProxyTrouble::Answered {
                status: 401,
                said: String::new(),
                wait: None,
                basic,
            }
        }
        _ => {}
    }
    error
}

/// What a failed sign-in call through a proxy met, by reqwest's words: a
/// tunnel refused, a connection closed or silent, an answer that is no HTTP.
fn proxy_trouble(e: &reqwest::Error, cause: &str) -> Option<ProxyTrouble> {
    let mut chain = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(next) = source {
        chain.push_str(": ");
        chain.push_str(&next.to_string());
        source = next.source();
    }
    // The tunnel's own trouble is the root cause; a connection to the
    // proxy that failed carries "tunnel error" higher up its chain only.
    if cause.contains("proxy authorization required") {
        return Some(ProxyTrouble::Tunnel {
            wants_password: true,
        });
    }
    // A CONNECT closed unanswered opened no tunnel either: nothing was
    // asked beyond the proxy.
    if cause.starts_with("tunnel error") {
        return Some(ProxyTrouble::Tunnel {
            wants_password: false,
        });
    }
    if e.is_timeout() && !e.is_connect() {
        return Some(ProxyTrouble::Silent);
    }
    // A connection that failed is the one to the proxy (a tunnel's
    // trouble, said above, is what lies beyond it).
    if e.is_connect() {
        return Some(ProxyTrouble::Unreachable);
    }
    if cause.contains("connection closed before message completed") {
        return Some(ProxyTrouble::Closed);
    }
    [
        "invalid HTTP version parsed",
        "invalid HTTP header parsed",
        "invalid HTTP status-code parsed",
    ]
    .iter()
    .any(|w| chain.contains(w))
    .then_some(ProxyTrouble::Garbled)
}

/// The proxy the environment sends `url` through, if any (the same
/// variables every client of this process is built from).
fn proxy_for(url: &Url) -> Option<crate::net::ProxyChoice> {
    crate::net::ProxyEnv::from_env()
        .proxy_for(url)
        .ok()
        .flatten()
}

/// A sign-in answer that came through a proxy and is the proxy's own: its
/// 407, an answer its headers mark as a proxy's, or an error that is no
/// JSON (an OAuth error is JSON) to a `posted` call (a code, a token: a
/// policy, error or portal page of the proxy, or of something in front of
/// the provider, whatever its status); to a discovery call, only a 403 or
/// a 502 to 504 page (its 404 page says nothing is published there).
fn proxy_s_own(
    url: &Url,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    posted: bool,
) -> Option<AuthError> {
    let proxy = proxy_for(url)?;
    let marked = crate::net::proxy_mark(status, headers);
    let json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    // A discovery path's 404 (or any page but a refusal, a proxy's gateway
    // error or a 401 with no challenge at all, a portal's sign-in) is the
    // web site's answer that nothing is published.
    let unchallenged = status == StatusCode::UNAUTHORIZED
        && !headers.contains_key(reqwest::header::WWW_AUTHENTICATE);
    // Its own limit (429) too: never "nothing published" (stranger 78,
    // CA3).
    let page =
        !json && (posted || unchallenged || matches!(status.as_u16(), 403 | 429 | 502..=504));
    if status != StatusCode::PROXY_AUTHENTICATION_REQUIRED && marked.is_none() && !page {
        return None;
    }
    let said = marked
        .filter(|m| !m.is_empty())
        .or_else(|| crate::net::html_title(body))
        .unwrap_or_default();
    let windows = status == StatusCode::PROXY_AUTHENTICATION_REQUIRED
        && crate::net::proxy_windows_only(
            headers
                .get_all(reqwest::header::PROXY_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
    Some(AuthError::Proxy {
        url: without_query(url),
        proxy: proxy.shown(),
        from: proxy.from,
        credentials: !proxy.url.username().is_empty(),
        trouble: if windows {
            ProxyTrouble::Windows
        } else {
            ProxyTrouble::Answered {
                status: status.as_u16(),
                said: sanitize(&said).chars().take(120).collect(),
                wait: crate::net::retry_after(headers)
                    .filter(|w| !w.is_zero())
                    .map(|w| w.as_secs().max(1)),
                basic: status == StatusCode::UNAUTHORIZED
                    && crate::net::login_prompt(headers) == Some(false),
            }
        },
    })
}

/// A URL as said in a message: no query, which may carry a code.
pub(crate) fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    sanitize(shown.as_str())
}

/// `posted`: a sign-in call that sends a form (a code, a token).
async fn read_capped(
    url: &Url,
    mut response: reqwest::Response,
    posted: bool,
) -> Result<Reply, AuthError> {
    let status = response.status();
    let retry_after = crate::net::retry_after(response.headers());
    // Sign-in calls follow no redirect (the client's policy): one is named.
    if status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| url.join(v).ok())
            .map_or_else(|| "?".to_owned(), |to| without_query(&to));
        return Err(AuthError::Provider(ProviderProblem::Redirected {
            url: without_query(url),
            to,
        }));
    }
    let too_large = || {
        AuthError::Provider(ProviderProblem::TooLarge {
            url: without_query(url),
            kib: MAX_AUTH_BODY / 1024,
        })
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_AUTH_BODY as u64)
    {
        return Err(too_large());
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| network_error(url, &e))? {
        if body.len() + chunk.len() > MAX_AUTH_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    // Compressed, though none was asked (stepwise reads answers as they
    // are): named, never "not JSON" nor a proxy "answering itself" for a
    // provider's answer it compressed (stranger 84, CG5, CG8).
    if let Some(encoding) = headers
        .get(reqwest::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| sanitize(v.trim()).to_ascii_lowercase())
        .filter(|v| !v.is_empty() && v != "identity")
        && !body.is_empty()
    {
        return Err(AuthError::Provider(ProviderProblem::Compressed {
            url: without_query(url),
            encoding,
            status: status.as_u16(),
            // A tunnel (https) passes the provider's bytes: only a plain
            // request is the proxy's to compress.
            proxy: proxy_for(url)
                .filter(|_| url.scheme() == "http")
                .map(|p| (p.shown(), url.host_str().unwrap_or_default().to_owned())),
        }));
    }
    if let Some(proxy) = proxy_s_own(url, status, &headers, &body, posted) {
        return Err(proxy);
    }
    // A code or token call refused with a page (no OAuth JSON): something
    // in front of the provider refused it, or answers for an address it
    // does not serve (a 404 or 410 page: the metadata names it still, so
    // a new sign-in meets the same); a 429 (a limit) is read by callers.
    let json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    // So is a web page where a code or token answer belongs (a portal's
    // or a reverse proxy's login page, answered 200 in the provider's place).
    let page = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    if posted
        && !json
        && ((status.is_client_error() && status.as_u16() != 429) || (status.is_success() && page))
    {
        return Err(AuthError::Fronted {
            url: without_query(url),
            status: status.as_u16(),
            said: crate::net::html_title(&body).unwrap_or_default(),
        });
    }
    // A 404 or 410 in JSON with no OAuth error: no endpoint there (an API
    // gateway in front of the provider answers so for a missing route).
    if posted
        && json
        && matches!(status.as_u16(), 404 | 410)
        && OAuthError::of(&body).error.is_none()
    {
        return Err(AuthError::NoEndpoint {
            url: without_query(url),
            status: status.as_u16(),
        });
    }
    Ok(Reply {
        status,
        body,
        retry_after,
    })
}

/// The proxy variable that applies to `url` is usable (or none applies):
/// the HTTP client would connect directly past one it cannot read.
fn proxy_usable(url: &Url) -> Result<(), AuthError> {
    crate::net::ProxyEnv::from_env()
        .proxy_for(url)
        .map(|_| ())
        .map_err(AuthError::Setting)
}

pub(crate) async fn get(http: &reqwest::Client, url: &Url) -> Result<Reply, AuthError> {
    proxy_usable(url)?;
    let response = http
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(e) => return Err(network_failure(url, &e).await),
    };
    read_capped(url, response, false).await
}

/// A form POST, encoded by hand (the HTTP client is built without forms).
pub(crate) async fn post_form(
    http: &reqwest::Client,
    url: &Url,
    form: &[(&str, &str)],
) -> Result<Reply, AuthError> {
    proxy_usable(url)?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = http
        .post(url.clone())
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(e) => return Err(network_failure(url, &e).await),
    };
    read_capped(url, response, true).await
}

/// An OAuth error answer (RFC 6749 §5.2).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OAuthError {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

impl OAuthError {
    /// The provider's error answer. Its code is read without control
    /// characters or escape sequences, so that `invalid_scope` followed by
    /// a terminal title sequence is still `invalid_scope`.
    pub fn of(body: &[u8]) -> Self {
        let mut error: Self = serde_json::from_slice(body).unwrap_or_default();
        error.error = error.error.map(|code| sanitize(&code));
        error
    }

    /// The error as said in a message: code and description, sanitised
    /// and cut short, with `secrets` (what the request carried: a provider
    /// may echo it) cut out.
    pub fn said(&self, status: StatusCode, secrets: &[&str]) -> String {
        // An empty or blank description is none: no dangling colon
        // (stranger 88, CK2).
        let description = self.error_description.as_deref().map(str::trim);
        let text = match (&self.error, description.filter(|d| !d.is_empty())) {
            (Some(e), Some(d)) => format!("{e}: {d}"),
            (Some(e), None) => e.clone(),
            (None, _) => format!("HTTP {}", status.as_u16()),
        };
        let mut text = masked(&text, secrets);
        if text.chars().count() > 200 {
            text = text.chars().take(200).collect::<String>() + "…";
        }
        text
    }
}

/// `text` sanitised, with `secrets` (what a request carried, which a
/// provider may echo) cut out, as sent (form-encoded) and as is.
fn masked(text: &str, secrets: &[&str]) -> String {
    let needles: Vec<String> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .flat_map(|s| {
            [
                url::form_urlencoded::byte_serialize(s.as_bytes()).collect(),
                (*s).to_owned(),
            ]
        })
        .collect();
    let redact = |text: &str| redact_all(text, &needles);
    // Before and after sanitising: control characters inside an echoed
    // secret must not hide it from the first pass.
    redact(&sanitize(&redact(text)))
}

/// `text` with every needle replaced by `<redacted>`, in one pass from left
/// to right, longest needle first; a mask already there is kept as it is
/// (a short secret found inside the mask would nest it without end). A
/// needle shorter than [`WHOLE_WORD_BELOW`] is masked only where it stands
/// alone, not inside a word: a one-letter code would mask every "a".
const WHOLE_WORD_BELOW: usize = 8;

fn redact_all(text: &str, needles: &[String]) -> String {
    const MASK: &str = "<redacted>";
    let mut needles: Vec<&str> = needles
        .iter()
        .map(String::as_str)
        .filter(|n| !n.is_empty())
        .collect();
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with(MASK) {
            out.push_str(MASK);
            rest = &rest[MASK.len()..];
        } else if let Some(n) = needles.iter().find(|n| {
            let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
            rest.starts_with(**n)
                && (n.len() >= WHOLE_WORD_BELOW
                    || !(word(out.chars().last()) || word(rest[n.len()..].chars().next())))
        }) {
            out.push_str(MASK);
            rest = &rest[n.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// A provider's address must be http(s); behind an https gateway, https.
pub(crate) fn provider_url(raw: &str, gateway: &Url, what: Endpoint) -> Result<Url, AuthError> {
    let bad = |why| {
        AuthError::Discovery(Discovery::Address {
            what,
            raw: sanitize(raw),
            why,
        })
    };
    let url = Url::parse(raw).map_err(|_| bad(AddressProblem::NotUrl))?;
    match url.scheme() {
        "https" => {}
        "http" if gateway.scheme() == "http" => {}
        "http" => return Err(bad(AddressProblem::PlainHttpBehindHttps)),
        _ => return Err(bad(AddressProblem::NotHttp)),
    }
    if url.host().is_none() {
        return Err(bad(AddressProblem::NoHost));
    }
    Ok(url)
}

#[derive(Deserialize)]
struct AuthorizationAnswer {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    /// Seconds, as a number or a string holding one (as for a token's
    /// `expires_in`): read as written, so an odd value refuses nothing.
    #[serde(default)]
    expires_in: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    interval: Option<Box<serde_json::value::RawValue>>,
}

/// The member RFC 8628 requires that a device code answer (a JSON object
/// with a device or user code) lacks, if any.
fn device_code_lacks(body: &[u8]) -> Option<&'static str> {
    let object = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body).ok()?;
    if !object.contains_key("device_code") && !object.contains_key("user_code") {
        return None;
    }
    let has = |key: &str| object.get(key).is_some_and(serde_json::Value::is_string);
    ["device_code", "user_code", "verification_uri"]
        .into_iter()
        .find(|member| !(has(member) || *member == "verification_uri" && has("verification_url")))
}

/// Seconds from a JSON number, saturated into `[lo, hi]`; `None` or junk
/// gives `default`.
/// A number of seconds as written: a number, or a string holding one.
fn number_in(raw: Option<&serde_json::value::RawValue>) -> Option<f64> {
    let text = raw?.get().trim().trim_matches('"').trim();
    text.parse().ok().filter(|f: &f64| f.is_finite())
}

/// Seconds as given, rounded up and kept within `lo..=hi`; `default` for
/// none given, one that is no number, or one below zero.
fn seconds(given: Option<f64>, default: Duration, lo: Duration, hi: Duration) -> Duration {
    given
        .and_then(|f| Duration::try_from_secs_f64(f.ceil()).ok())
        .map_or(default, |d| d.clamp(lo, hi))
}

fn is_user_code(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// An `invalid_client` answer: the provider does not know the client id.
pub(crate) fn unknown_client(
    error: &OAuthError,
    status: StatusCode,
    client_id: &str,
    secrets: &[&str],
    other: super::OtherSignIn,
) -> Option<AuthError> {
    // `unauthorized_client`: a client the provider knows but keeps from
    // this grant (its words then say so, and no retry helps).
    matches!(
        error.error.as_deref(),
        Some("invalid_client" | "unauthorized_client")
    )
    .then(|| AuthError::UnknownClient {
        client_id: sanitize(client_id),
        said: error.said(status, secrets),
        other,
    })
}

/// The person refused the sign-in (`access_denied`): the scopes asked.
fn denied(
    endpoints: &Endpoints,
    options: &SignInOptions,
    error: &OAuthError,
    secrets: &[&str],
) -> AuthError {
    AuthError::Denied {
        scopes: sanitize(&endpoints.scopes(options)),
        said: reason(error, secrets),
    }
}

/// The provider's own words on a refusal (`error_description`), sanitised
/// and short, with `secrets` it may echo (the device code) cut out
/// (stranger 82, CE6); none when it gave none (stranger 65, BN5).
pub(crate) fn reason(error: &OAuthError, secrets: &[&str]) -> Option<String> {
    let said = masked(error.error_description.as_deref()?.trim(), secrets);
    (!said.is_empty()).then(|| said.chars().take(300).collect())
}

/// An `unsupported_grant_type` answer: the grant is not served at all
/// (RFC 6749 §5.2), which no client id and no retry changes.
fn grant_unsupported(
    error: &OAuthError,
    status: StatusCode,
    secrets: &[&str],
) -> Option<AuthError> {
    (error.error.as_deref() == Some("unsupported_grant_type")).then(|| {
        AuthError::Provider(ProviderProblem::GrantUnsupported {
            said: error.said(status, secrets),
        })
    })
}

impl Endpoints {
    /// The other way to sign in when the device flow is refused.
    pub(crate) fn besides_device(&self) -> super::OtherSignIn {
        if self.authorization.is_some() {
            super::OtherSignIn::Browser
        } else {
            super::OtherSignIn::None
        }
    }

    /// The other way to sign in when the browser's is refused.
    pub(crate) fn besides_browser(&self) -> super::OtherSignIn {
        if self.device_authorization.is_some() {
            super::OtherSignIn::Device
        } else {
            super::OtherSignIn::None
        }
    }
}

/// Asks for a code (RFC 8628 §3.1) for the client and scopes of `options`.
pub async fn authorize(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    gateway: &Url,
    options: &SignInOptions,
) -> Result<DeviceAuthorization, AuthError> {
    let scope = endpoints.scopes(options);
    let mut form = vec![("client_id", options.client_id())];
    if !scope.is_empty() {
        form.push(("scope", scope.as_str()));
    }
    audience_form(options, &mut form);
    let url = endpoints
        .device_authorization
        .as_ref()
        .ok_or(AuthError::Discovery(Discovery::Missing {
            field: "device_authorization_endpoint",
        }))?;
    let reply = post_form(http, url, &form).await?;
    if !reply.status.is_success() {
        let error = OAuthError::of(&reply.body);
        if let Some(e) = unknown_client(
            &error,
            reply.status,
            options.client_id(),
            &[],
            endpoints.besides_device(),
        ) {
            return Err(e);
        }
        if error.error.as_deref() == Some("invalid_scope") {
            return Err(AuthError::UnknownScope {
                scopes: sanitize(&scope),
                said: error.said(reply.status, &[]),
            });
        }
        // A limit or a failure for a while (429, 5xx) is no refusal: its
        // wait, if the provider names one, is said.
        if reply.status == reqwest::StatusCode::TOO_MANY_REQUESTS || reply.status.is_server_error()
        {
            return Err(AuthError::Provider(ProviderProblem::CodeBusy {
                said: error.said(reply.status, &[]),
                wait: reply.retry_after.map(|w| w.as_secs().max(1)),
            }));
        }
        return Err(AuthError::Provider(ProviderProblem::CodeRefused {
            said: error.said(reply.status, &[]),
        }));
    }
    let answer: AuthorizationAnswer = serde_json::from_slice(&reply.body).map_err(|_| {
        // An object with some of a device code's members: the one missing
        // is named (the operator's fix), not "no device code".
        let lacks = device_code_lacks(&reply.body);
        AuthError::Provider(match lacks {
            Some(member) => ProviderProblem::DeviceCodeLacks {
                url: without_query(url),
                member,
            },
            None => ProviderProblem::NotDeviceCode {
                url: without_query(url),
            },
        })
    })?;
    if !is_token_text(&answer.device_code) {
        return Err(AuthError::Provider(ProviderProblem::BadDeviceCode));
    }
    let user_code = answer.user_code.trim().to_owned();
    if !is_user_code(&user_code) {
        return Err(AuthError::Provider(ProviderProblem::UnsafeUserCode {
            code: sanitize(&user_code.chars().take(40).collect::<String>()),
        }));
    }
    // A code said to last no time at all (0 s, or less) can be approved by
    // nobody: said with the provider's figure, never waited on.
    let lifetime = number_in(answer.expires_in.as_deref());
    if let Some(secs) = lifetime.filter(|secs| *secs <= 0.0) {
        return Err(AuthError::Provider(ProviderProblem::CodeLifetimeNone {
            said: secs.to_string(),
        }));
    }
    let verification_uri = provider_url(&answer.verification_uri, gateway, Endpoint::Verification)?;
    let verification_uri_complete = answer
        .verification_uri_complete
        .and_then(|raw| provider_url(&raw, gateway, Endpoint::Verification).ok());
    Ok(DeviceAuthorization {
        device_code: Secret::new(answer.device_code),
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_in: seconds(
            lifetime,
            Duration::from_secs(600),
            MIN_INTERVAL,
            MAX_CODE_LIFETIME,
        ),
        interval: seconds(
            number_in(answer.interval.as_deref()),
            DEFAULT_INTERVAL,
            MIN_INTERVAL,
            MAX_INTERVAL,
        ),
    })
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    /// Seconds, as a number or (some providers) a string of digits; read
    /// as written, so that no odd value refuses the whole answer.
    #[serde(default)]
    expires_in: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    refresh_token: Option<String>,
    /// The scopes granted, when the provider says them.
    #[serde(default)]
    scope: Option<serde_json::Value>,
}

/// The token's lifetime from `expires_in` as written: a number, or a
/// string holding one; `None` (no known expiry) for anything else.
fn lifetime_of(raw: &serde_json::value::RawValue) -> Option<u64> {
    let text = raw.get().trim().trim_matches('"').trim();
    let secs: f64 = text
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite() && *f >= 0.0)?;
    let ten_years = Duration::from_secs(10 * 365 * 86400);
    Some(
        Duration::try_from_secs_f64(secs.ceil())
            .unwrap_or(ten_years)
            .min(ten_years)
            .as_secs(),
    )
}

/// The scopes a token answer says it granted: space-separated words of
/// visible ASCII (anything else is no scope list, and not kept).
fn granted_of(scope: Option<&serde_json::Value>) -> Option<String> {
    let words: Vec<&str> = scope?.as_str()?.split_whitespace().take(64).collect();
    let usable = !words.is_empty()
        && words
            .iter()
            .all(|w| w.len() <= 256 && w.bytes().all(|b| b.is_ascii_graphic()));
    usable.then(|| words.join(" "))
}

/// The refresh token a token endpoint's 200 carries, however unusable the
/// rest: a provider that rotates has spent the one presented, so this one
/// must be kept or the login is lost.
pub(crate) fn refresh_token_in(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = value.get("refresh_token")?.as_str()?;
    (!token.is_empty() && is_token_text(token)).then(|| token.to_owned())
}

/// A 200 from a token endpoint, as a credential to keep.
pub(crate) fn credential_from(
    body: &[u8],
    token_endpoint: &Url,
    previous_refresh: Option<&str>,
) -> Result<Credential, AuthError> {
    let bad = AuthError::Provider;
    let answer: TokenAnswer =
        serde_json::from_slice(body).map_err(|_| bad(ProviderProblem::NotTokenAnswer))?;
    if answer
        .token_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
    {
        return Err(bad(ProviderProblem::NotBearer));
    }
    let lifetime = answer.expires_in.as_deref().and_then(lifetime_of);
    let credential = Credential {
        access_token: answer.access_token,
        // A provider that does not rotate refresh tokens keeps the old one valid.
        refresh_token: answer
            .refresh_token
            .or_else(|| previous_refresh.map(str::to_owned)),
        expires_at: lifetime.map(|l| unix_now().saturating_add(l)),
        lifetime,
        token_endpoint: Some(token_endpoint.to_string()),
        granted: granted_of(answer.scope.as_ref()),
        ..Credential::given("")
    };
    if credential.access_token.is_empty() {
        return Err(bad(ProviderProblem::EmptyToken));
    }
    if !credential.is_usable() {
        return Err(bad(ProviderProblem::TokenCharacters));
    }
    Ok(credential)
}

/// The code runs out before the next poll: expired; or, never asked for
/// once, too short for the wait the provider asks (no approval could have
/// got through).
fn ran_out(polled: bool, authorization: &DeviceAuthorization, interval: Duration) -> AuthError {
    if polled {
        return AuthError::Expired;
    }
    AuthError::Provider(ProviderProblem::CodeTooShort {
        lives: authorization.expires_in.as_secs(),
        every: interval.as_secs(),
    })
}

/// The provider said the code expired (`expired_token`) at `now`: so it
/// did, unless more than half its life was left by the provider's own
/// `expires_in` (no approval could have come sooner; its clock or its
/// lifetime is off).
fn expired(deadline: Instant, now: Instant, authorization: &DeviceAuthorization) -> AuthError {
    let left = deadline.saturating_duration_since(now);
    if left * 2 <= authorization.expires_in {
        return AuthError::Expired;
    }
    let lives = authorization.expires_in.as_secs();
    AuthError::Provider(ProviderProblem::CodeExpiredEarly {
        after: lives.saturating_sub(left.as_secs()),
        lives,
    })
}

/// Polls the token endpoint until the code is approved, denied or expired
/// (RFC 8628 §3.4, §3.5). The number of requests is bounded by the code's
/// lifetime over the interval.
pub async fn poll(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    authorization: &DeviceAuthorization,
    options: &SignInOptions,
    pace: &impl Pace,
) -> Result<Credential, AuthError> {
    let deadline = pace.now() + authorization.expires_in;
    let mut interval = authorization.interval;
    let mut failures = 0;
    let url = &endpoints.token;
    let mut polled = false;
    loop {
        if pace.now() + interval > deadline {
            return Err(ran_out(polled, authorization, interval));
        }
        pace.wait(interval).await;
        polled = true;
        let mut form = vec![
            ("grant_type", DEVICE_GRANT),
            ("device_code", authorization.device_code.expose()),
            ("client_id", options.client_id()),
        ];
        audience_form(options, &mut form);
        let reply = match post_form(http, url, &form).await {
            Ok(reply) => reply,
            Err(e) => {
                failures += 1;
                if failures >= MAX_FAILED_POLLS {
                    return Err(e);
                }
                tracing::warn!("sign-in poll failed ({failures}): {e}");
                continue;
            }
        };
        if reply.status.is_success() {
            let scope = endpoints.scopes(options);
            return Ok(credential_from(&reply.body, url, None)?.asked(
                options,
                &scope,
                endpoints.revocation.as_ref(),
            ));
        }
        let error = OAuthError::of(&reply.body);
        let secrets = [authorization.device_code.expose()];
        if let Some(e) = unknown_client(
            &error,
            reply.status,
            options.client_id(),
            &secrets,
            endpoints.besides_device(),
        )
        .or_else(|| grant_unsupported(&error, reply.status, &secrets))
        {
            return Err(e);
        }
        match error.error.as_deref() {
            Some("authorization_pending") => failures = 0,
            Some("slow_down") => {
                failures = 0;
                interval = (interval + Duration::from_secs(5)).min(MAX_INTERVAL);
                tracing::info!(interval = ?interval, "the identity provider asks to poll slower");
            }
            // The provider limits requests (HTTP 429): its wait is kept,
            // and the code is polled on after it while it lasts; a wait
            // past the code's life is said with its length.
            _ if reply.status == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                failures = 0;
                let Some(wait) = reply.retry_after else {
                    interval = (interval + Duration::from_secs(5)).min(MAX_INTERVAL);
                    pace.held(interval);
                    continue;
                };
                if pace.now() + wait > deadline {
                    return Err(AuthError::Provider(ProviderProblem::Limited {
                        secs: wait.as_secs().max(1),
                    }));
                }
                pace.held(wait + interval);
                pace.wait(wait).await;
            }
            Some("expired_token") => return Err(expired(deadline, pace.now(), authorization)),
            Some("access_denied") => return Err(denied(endpoints, options, &error, &secrets)),
            // A failure for a while (5xx): polled on, after the wait it
            // asks if the code lasts that long; given up after a few in a
            // row, named as the provider's, or as something's in front of
            // it when the answer is a web page.
            _ if reply.status.is_server_error() => {
                failures += 1;
                tracing::warn!(
                    status = reply.status.as_u16(),
                    "sign-in poll failed ({failures})"
                );
                let page = reply.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
                if failures >= MAX_FAILED_POLLS {
                    let said = error.said(reply.status, &secrets);
                    let said = match crate::net::html_title(&reply.body).filter(|_| page) {
                        Some(title) => format!("{said}, “{title}”"),
                        None => said,
                    };
                    return Err(AuthError::Provider(ProviderProblem::PollFailing {
                        said,
                        times: failures,
                        page,
                        wait: reply.retry_after.map(|w| w.as_secs().max(1)),
                    }));
                }
                if let Some(wait) = reply.retry_after.filter(|w| pace.now() + *w <= deadline) {
                    pace.wait(wait).await;
                }
            }
            _ => {
                return Err(AuthError::Provider(ProviderProblem::Stopped {
                    said: error.said(reply.status, &secrets),
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `unauthorized_client` (a client kept from the device grant) is a
    /// client refusal no retry helps, its words kept (describe says it as
    /// the client not allowed this way).
    #[test]
    fn an_unauthorized_client_is_not_allowed_this_way_not_retry() {
        let body = br#"{"error":"unauthorized_client","error_description":"device grant disabled for this client"}"#;
        let error = OAuthError::of(body);
        let refused = unknown_client(
            &error,
            StatusCode::BAD_REQUEST,
            "stepwise",
            &[],
            crate::auth::OtherSignIn::Browser,
        )
        .expect("a client refusal");
        assert!(!refused.retry_may_help());
        assert!(
            matches!(&refused, AuthError::UnknownClient { said, .. }
                if said.contains("unauthorized_client") && said.contains("device grant disabled")),
            "{refused:?}"
        );
    }

    /// A device code answer lacking a member names it; one that is no
    /// device code at all names none (stranger 40, AO13).
    #[test]
    fn a_device_code_s_missing_member_is_named() {
        let lacks = |body: &str| device_code_lacks(body.as_bytes());
        assert_eq!(
            lacks(r#"{"device_code":"d","user_code":"U","expires_in":30}"#),
            Some("verification_uri")
        );
        assert_eq!(
            lacks(r#"{"device_code":"d","verification_uri":"http://x/"}"#),
            Some("user_code")
        );
        assert_eq!(
            lacks(r#"{"device_code":"d","user_code":"U","verification_url":"http://x/"}"#),
            None
        );
        assert_eq!(lacks(r#"{"ok":true}"#), None);
        assert_eq!(lacks("<html>"), None);
    }

    /// An empty access_token is said empty, never "characters a header
    /// cannot carry" (stranger 40, AO6).
    #[test]
    fn an_empty_access_token_is_said_empty() {
        let url = Url::parse("http://idp.example/token").unwrap();
        let error = credential_from(br#"{"access_token":"","token_type":"Bearer"}"#, &url, None)
            .unwrap_err();
        assert_eq!(error, AuthError::Provider(ProviderProblem::EmptyToken));
    }

    /// A refusal's own reason is kept, sanitised (stranger 65, BN5).
    #[test]
    fn a_refusal_s_own_reason_is_kept() {
        let error = OAuthError {
            error: Some("access_denied".into()),
            error_description: Some("user is not in group technicians\u{1b}[31m".into()),
        };
        let said = reason(&error, &[]).unwrap();
        assert!(
            said.starts_with("user is not in group technicians") && !said.contains('\u{1b}'),
            "{said}"
        );
        // A device code it echoes is cut out (stranger 82, CE6).
        let echoed = OAuthError {
            error: Some("access_denied".into()),
            error_description: Some("device_code DEVCODE-secret-xyz denied for client".into()),
        };
        assert_eq!(
            reason(&echoed, &["DEVCODE-secret-xyz"]).unwrap(),
            "device_code <redacted> denied for client"
        );
        let none = OAuthError {
            error: Some("access_denied".into()),
            error_description: None,
        };
        assert_eq!(reason(&none, &[]), None);
    }

    /// The scopes a token answer says it granted are kept (as words of
    /// visible ASCII); anything else is no scope list (stranger 61, BJ1).
    #[test]
    fn the_scopes_granted_are_kept_as_said() {
        let url = Url::parse("http://idp.example/token").unwrap();
        let granted = |body: &str| {
            credential_from(body.as_bytes(), &url, None)
                .unwrap()
                .granted
        };
        assert_eq!(
            granted(r#"{"access_token":"a","scope":"openid  steps:read"}"#).as_deref(),
            Some("openid steps:read")
        );
        assert_eq!(granted(r#"{"access_token":"a"}"#), None);
        assert_eq!(granted(r#"{"access_token":"a","scope":["openid"]}"#), None);
        assert_eq!(
            granted(r#"{"access_token":"a","scope":"open\u001bid"}"#),
            None
        );
    }

    /// An empty or blank `error_description` is said as none: the code
    /// alone, no dangling colon (stranger 88, CK2).
    #[test]
    fn a_blank_description_leaves_the_code_alone() {
        for blank in ["", "  "] {
            let error = OAuthError {
                error: Some("invalid_client".into()),
                error_description: Some(blank.into()),
            };
            assert_eq!(error.said(StatusCode::BAD_REQUEST, &[]), "invalid_client");
        }
    }

    /// A secret found in the provider's words is masked once: a short one
    /// (one character) does not nest the mask inside itself, and the words
    /// around it stay readable.
    #[test]
    fn a_short_secret_is_masked_once_not_without_end() {
        let error = OAuthError {
            error: Some("invalid_grant".into()),
            error_description: Some("Code not valid: a".into()),
        };
        // Inside words a one-letter code is no secret shown: the words stay
        // readable; standing alone it is masked, once.
        let said = error.said(StatusCode::BAD_REQUEST, &["a"]);
        assert_eq!(said, "invalid_grant: Code not valid: <redacted>");
        let said = error.said(StatusCode::BAD_REQUEST, &["a", "<redacted>"]);
        assert_eq!(said, "invalid_grant: Code not valid: <redacted>");
        let long = error.said(
            StatusCode::BAD_REQUEST,
            &["GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"],
        );
        assert_eq!(long, "invalid_grant: Code not valid: a");
    }

    #[test]
    fn provider_urls_never_downgrade() {
        let https = Url::parse("https://g.example/").unwrap();
        let http = Url::parse("http://127.0.0.1:1/").unwrap();
        assert!(provider_url("https://idp.example/token", &https, Endpoint::Token).is_ok());
        assert!(provider_url("http://idp.example/token", &https, Endpoint::Token).is_err());
        assert!(provider_url("http://127.0.0.1:2/token", &http, Endpoint::Token).is_ok());
        assert!(provider_url("javascript:alert(1)", &http, Endpoint::Token).is_err());
    }

    /// A provider's code with escape sequences in it is read as the code
    /// it spells: `invalid_scope` then gets the advice to set scopes, not
    /// "retry later".
    #[test]
    fn an_error_code_with_escapes_is_the_code_it_spells() {
        let error = OAuthError::of(
            br#"{"error":"invalid_scope\u001b]0;PWNED\u0007","error_description":"bad"}"#,
        );
        assert_eq!(error.error.as_deref(), Some("invalid_scope"));
        let error = OAuthError::of(br#"{"error":"invalid_scope\u0000\n"}"#);
        assert_eq!(error.error.as_deref(), Some("invalid_scope"));
    }

    #[test]
    fn numbers_from_the_network_are_saturated() {
        let raw = |s: &str| serde_json::value::RawValue::from_string(s.to_owned()).unwrap();
        let n = |s: &str| number_in(Some(&raw(s))).unwrap();
        let lo = Duration::from_secs(1);
        let hi = Duration::from_secs(120);
        let d = Duration::from_secs(5);
        assert_eq!(seconds(Some(n("0")), d, lo, hi), lo);
        assert_eq!(seconds(Some(n("99999999999999")), d, lo, hi), hi);
        assert_eq!(seconds(Some(n("2.5")), d, lo, hi), Duration::from_secs(3));
        assert_eq!(seconds(Some(n("-4")), d, lo, hi), d);
        assert_eq!(seconds(None, d, lo, hi), d);
        // Written as a string of digits, as some providers do.
        assert_eq!(seconds(Some(n("\"7\"")), d, lo, hi), Duration::from_secs(7));
        assert_eq!(number_in(Some(&raw("\"soon\""))), None);
    }

    #[test]
    fn user_codes_are_plain() {
        assert!(is_user_code("WDJB-MJHT"));
        assert!(!is_user_code("WDJB\u{1b}[2J"));
        assert!(!is_user_code(""));
    }
}
