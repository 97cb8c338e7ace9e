//! The gateway client, the one door data comes in through: timeouts, a body
//! cap, bounded retries, and typed errors that carry what happened as data
//! (their words are made in [`crate::describe`]).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use url::Url;

use crate::auth::{AuthError, TokenSource};
use crate::config::{Secret, TokenFrom};
pub(crate) use crate::secret::{redact_secret, redact_text, repeats_secret};
use crate::steps::{StatusFilter, Step, StepsList};
use crate::wire::{
    self, Association, DecodeError, ErrorBody, GUIDANCE_PHONE_PATH, LIST_PATH, NEXT_PATH,
    RESET_PARAM, STATUS_PARAM, STEPS_ID_PARAM,
};
pub use crate::wire::{DEVICE_HEADER, Lookup};

mod door;
pub mod live;

pub use door::{Call, Sent};

/// Limits of the client; the defaults suit a technician on a slow network.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// Whole-request limit: a server that never answers is given up on.
    pub timeout: Duration,
    /// Bodies longer than this are not read further.
    pub max_body: usize,
    /// Extra attempts after a connection failure, a 5xx or a 429.
    pub retries: u32,
    /// First back-off delay; it doubles with each retry.
    pub backoff: Duration,
    /// A `Retry-After` longer than this is not waited for.
    pub max_retry_after: Duration,
    /// Requests in flight at once to this gateway, whoever asks.
    pub concurrency: usize,
    /// Proxies, extra trusted roots and the client certificate.
    pub net: crate::net::NetOptions,
    /// Told before each wait a 429 asks for, so a command can say why it
    /// is quiet.
    pub on_wait: Option<OnWait>,
    /// Told each time a 429 holds every request to the gateway back (a
    /// call's, retried or not, or a follower's poll), so a screen can say
    /// how long.
    pub on_pause: Option<OnWait>,
    /// Every request on a connection of its own, none kept for the next:
    /// a proxy that closes each connection after its answer then cuts no
    /// request that found the closed one (doctor, which does not retry:
    /// stranger 82, CE3).
    pub fresh_connections: bool,
}

/// What to call, with the wait, before waiting as a 429 asks.
#[derive(Clone)]
pub struct OnWait(pub std::sync::Arc<dyn Fn(Duration) + Send + Sync>);

impl std::fmt::Debug for OnWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnWait")
    }
}

/// Requests in flight at once to one gateway unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// For the tests only, read in a debug build only: the first back-off in
/// milliseconds, so that a run against a gateway that cannot be reached,
/// whose retries are not what the test is about, does not wait them out.
pub const TEST_BACKOFF_MS: &str = "STEPWISE_TEST_BACKOFF_MS";

/// The back-off a debug build's test gives in [`TEST_BACKOFF_MS`].
fn test_backoff() -> Option<Duration> {
    static BACKOFF: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    *BACKOFF.get_or_init(|| {
        cfg!(debug_assertions)
            .then(|| std::env::var(TEST_BACKOFF_MS).ok())
            .flatten()
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis)
    })
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            retries: 2,
            backoff: test_backoff().unwrap_or(Duration::from_millis(250)),
            max_retry_after: Duration::from_secs(30),
            concurrency: DEFAULT_CONCURRENCY,
            net: crate::net::NetOptions::default(),
            on_wait: None,
            on_pause: None,
            fresh_connections: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub lookup: Lookup,
    pub reset: bool,
    pub status: StatusFilter,
}

impl ListRequest {
    pub fn new(lookup: Lookup) -> Self {
        ListRequest {
            lookup,
            reset: false,
            status: StatusFilter::All,
        }
    }
}

/// How the gateway turned a request down, by HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    BadRequest,
    /// A 400 whose words name the status filter (`stepsStatus`) to a
    /// call that chose none (`all`, the contract's default, or no
    /// parameter): the filter the technician did not choose cannot be
    /// dropped by them; only the gateway's operator can fix it.
    FilterRefused,
    Unauthorized,
    WrongDevice,
    /// A 403 on a call that named no stepsID: the gateway's own refusal
    /// (an account, a vehicle), never "another device's stepsID".
    Forbidden,
    NotFound,
    /// A 404 with code 2346 ("no step") to a list asked for by
    /// carAssociationID: the vehicle has no steps there; starting again
    /// by carAssociationID would ask the same.
    NoSteps,
    /// A 404 to the next-step call without code 2346 (the contract's
    /// "no step for this stepsID"): the gateway's words, but no unknown id
    /// (the list by that stepsID names it); the call may not be offered.
    CallNotFound,
    Conflict,
    /// A refusal (403, 409, another 4xx) of a call that asked for the
    /// steps-cache reset: the reset is what was refused, so advice to
    /// reset is no help.
    ResetRefused,
    TooManyRequests,
    /// A 408: the gateway, or something in front of it, gave up waiting
    /// for the whole request, a passing fault of the way, no refusal
    /// (stranger 87, CJ1).
    RequestTimeout,
    ServerFailure,
    /// A 5xx to a call that asked for the steps-cache reset: a failure,
    /// tried again as any, but its app code's advice to reset is no help.
    ResetFailed,
    Other,
}

impl Rejection {
    /// What to do after this refusal (see [`GatewayError::recovery`]).
    fn recovery(self) -> Recovery {
        match self {
            Rejection::TooManyRequests
            | Rejection::RequestTimeout
            | Rejection::ServerFailure
            | Rejection::ResetFailed => Recovery::Retry { now: true },
            Rejection::Unauthorized => Recovery::SignIn,
            Rejection::WrongDevice | Rejection::NotFound => Recovery::StartOver,
            Rejection::BadRequest
            | Rejection::FilterRefused
            | Rejection::Forbidden
            | Rejection::NoSteps
            | Rejection::CallNotFound
            | Rejection::Conflict
            | Rejection::ResetRefused
            | Rejection::Other => Recovery::Stop,
        }
    }

    fn of(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Rejection::BadRequest,
            401 => Rejection::Unauthorized,
            403 => Rejection::WrongDevice,
            404 => Rejection::NotFound,
            408 => Rejection::RequestTimeout,
            409 => Rejection::Conflict,
            429 => Rejection::TooManyRequests,
            500..=599 => Rejection::ServerFailure,
            _ => Rejection::Other,
        }
    }
}

/// A failed gateway call, as data. `Display` is a short, language-neutral
/// line for logs; the words a person reads (what, why, what to do) are made
/// from this data by the `describe` module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    Unreachable {
        base: String,
        detail: String,
    },
    TimedOut {
        base: String,
        after: Duration,
        /// The proxy the request went through, as it may be shown.
        proxy: Option<String>,
    },
    Rejected {
        status: u16,
        kind: Rejection,
        body: ErrorBody,
        /// The answer's `Retry-After`, when it carried one.
        retry_after: Option<Duration>,
        /// The proxy the answer came through, as it may be shown.
        proxy: Option<String>,
    },
    TooLarge {
        limit: usize,
    },
    /// A 401 or 403 whose Bearer challenge says the token lacks a scope
    /// (`insufficient_scope`); `scope` is the one named ("" for none).
    ScopeWanted {
        status: u16,
        scope: String,
        /// Where the token sent came from (`None`: not known here).
        sent: Option<crate::config::TokenFrom>,
        /// A token went with the request (else the gateway wants one that
        /// has the scope, and none was sent).
        token_sent: bool,
        /// The token was a kept login's that asked for this very scope:
        /// signing in again would ask for the same.
        asked: bool,
        /// The kept login asked for this scope, and its last token's grant
        /// left it out (these scopes): a renewal dropped it, and signing in
        /// again may get it back.
        dropped: Option<String>,
        /// The scopes a new sign-in asks for (`--scope`): the kept login's
        /// and this one (stranger 68, BQ4).
        ask: String,
    },
    /// A 401 whose Bearer challenge names no error (the gateway saw no
    /// token), to a request that carried the token from `from` through the
    /// proxy `proxy` to a plain http:// gateway: the proxy may drop the
    /// Authorization header (stranger 72, BU3).
    TokenDropped {
        proxy: String,
        host: String,
        from: TokenFrom,
    },
    /// HTTP 511 without the contract's error body: a captive portal of the
    /// network this machine is on wants a sign-in in a browser first.
    CaptivePortal {
        proxy: Option<String>,
    },
    /// A 2xx answer compressed (`Content-Encoding`) though stepwise asked
    /// for none (`Accept-Encoding: identity`): its bytes are no JSON.
    Compressed {
        encoding: String,
        proxy: Option<String>,
    },
    BadAnswer(DecodeError),
    Transport(String),
    /// The base URL holds a user name or password (never shown or sent).
    UserInfoInUrl,
    /// The base URL cannot be used; `reason` says why.
    BadUrl {
        url: String,
        reason: String,
    },
    /// A path could not be joined to the base URL.
    BadPath {
        path: String,
        detail: String,
    },
    /// The token holds characters an HTTP header cannot carry.
    BadToken,
    /// The HTTP client could not be set up.
    HttpSetup(String),
    /// The embedded demo backend could not start.
    DemoUnavailable(String),
    /// The embedded simulator cannot keep its state in this folder (the
    /// system's words): a local matter, no gateway's.
    DemoState {
        folder: String,
        detail: String,
    },
    /// The embedded simulator could not save its state in this file (the
    /// system's words): a local matter, no gateway's.
    DemoStateFile {
        file: String,
        detail: String,
    },
    /// The TLS connection failed, for a reason that has a name.
    Tls {
        base: String,
        /// The proxy the connection went through, as it may be shown.
        proxy: Option<String>,
        problem: crate::net::TlsProblem,
    },
    /// A network setting (CA file, client certificate, proxy) is unusable.
    Net(crate::net::NetError),
    /// The gateway redirected to another origin (another server, or from
    /// https to http): not followed.
    Redirected(crate::net::RedirectRefused),
    /// The gateway redirected the call within its own address (followed),
    /// and what answered there was no steps gateway's (a 404 without its
    /// error body): the redirect is the cause, not --api (stranger 79,
    /// CB2). `from` and `to` as they may be shown.
    MovedAway {
        from: String,
        to: String,
        status: u16,
    },
    /// Asked for the list (or, `next`, the next step) of one stepsID, the
    /// gateway answered another's (a mixed-up proxy or cache): refused,
    /// never shown as this vehicle's.
    ForeignList {
        asked: String,
        answered: String,
        next: bool,
    },
    /// The live event stream failed (see [`live`]).
    Live(live::LiveFault),
    /// Getting or refreshing a sign-in token failed.
    Auth(AuthError),
    /// A 404 without the contract's error body: what answered is no steps
    /// gateway (a wrong `--api` path, a web server).
    NotAGateway {
        base: String,
        status: u16,
        /// The proxy the answer came through, as it may be shown.
        proxy: Option<String>,
        /// The call answered so, when it was not the list by
        /// carAssociationID (the next step, the list by stepsID): a
        /// gateway whose list works may not offer it.
        call: Option<&'static str>,
        /// A 401 asking for Windows sign-in (Negotiate, NTLM), not a
        /// user name and password.
        windows: bool,
        /// Lists came from this address in this run: it is a steps
        /// gateway, and this one request is what it does not answer (an
        /// id it does not know, most likely).
        listed: bool,
    },
    /// A 403 without the contract's error body: something in front of the
    /// gateway (a firewall, a web application firewall, a reverse proxy)
    /// refused the request; no stepsID is to blame. `said` is the page's
    /// title, if any.
    Refused {
        base: String,
        status: u16,
        said: String,
        /// A token went with the request (its rights may be why).
        token_sent: bool,
        /// The proxy the answer came through, as it may be shown.
        proxy: Option<String>,
    },
    /// No connection to the proxy (every connection goes to it when one is
    /// set): refused, no route, or none within `after` (the connect
    /// timeout). `from` is the variable that named it, `host` the gateway's.
    ProxyUnreachable {
        proxy: String,
        from: &'static str,
        host: String,
        detail: String,
        after: Option<Duration>,
    },
    /// The proxy would not open a tunnel (`CONNECT`) to an https gateway,
    /// for a reason other than a password (which is a [`GatewayError::Proxy`]
    /// 407): it does not say which status.
    /// The proxy answered CONNECT with 405 or 501: it does not tunnel at
    /// all (a web server, or a proxy that cannot carry https://).
    ProxyNoTunnel {
        proxy: String,
        from: &'static str,
        status: u16,
    },
    ProxyTunnel {
        proxy: String,
        from: &'static str,
        host: String,
        /// It opened the tunnel, then it was closed during the TLS
        /// handshake (the proxy, or what is behind it, cut it).
        closed: bool,
    },
    /// What came back through the proxy for an http:// gateway is no HTTP,
    /// or an empty 2xx: the proxy (or what is behind it) is broken, or the
    /// variable names something that is no HTTP proxy.
    ProxyGarbled {
        proxy: String,
        from: &'static str,
        host: String,
        /// What came back.
        what: ProxyAnswer,
    },
    /// The gateway is on this machine (a loopback address, `localhost`), a
    /// proxy variable sends its requests to a proxy, and the proxy answered
    /// an error page of its own (HTTP `status`, 502 to 504), or opened no
    /// tunnel (`None`): the proxy, or one it forwards to, cannot reach this
    /// machine's own addresses.
    ProxyLoopback {
        proxy: String,
        from: &'static str,
        host: String,
        status: Option<u16>,
        /// Nothing listens at the gateway's port, tried directly: the
        /// gateway does not run, whatever the proxy can reach.
        down: Option<u16>,
    },
    /// The proxy answered 407 to the user name and password its variable
    /// gave: it refused them.
    ProxyCredentialsRefused {
        proxy: String,
        from: &'static str,
    },
    /// The proxy answered itself (a 407, or an error page of its own): the
    /// request never reached the gateway. `said` is its own words, if any.
    /// `proxy` is empty for a 407 when none is set here: the network's own.
    Proxy {
        proxy: String,
        /// The variable that named the proxy ("" for the network's own).
        from: &'static str,
        status: u16,
        said: String,
        /// The proxy variable held a user name and password (a 401 then
        /// refused them; without, the proxy wants some).
        credentials: bool,
        /// The answer asks for a password the proxy variable can carry (a
        /// 407, a 401 with a Basic challenge); a 401 page without one is a
        /// portal's sign-in in a browser.
        asks_password: bool,
        /// A 429's `Retry-After`: the wait the proxy asks (stranger 78,
        /// CA3).
        retry_after: Option<Duration>,
    },
    /// A 401 that says more than [`GatewayError::Rejected`]: `sent` names
    /// where the refused token came from; `None`, no token was sent.
    Unauthorized {
        sent: Option<TokenFrom>,
        /// The refused token given by hand is a JSON Web Token whose
        /// expiry passed this many seconds ago: that is why.
        expired: Option<u64>,
        /// The gateway's own words on why (its Bearer challenge's
        /// `error_description`), as they may be shown.
        said: Option<String>,
        /// A bare 401 (no body, no challenge) that came through the proxy
        /// of the settings, which read the plain request: the gateway's or
        /// the proxy's own, which cannot be told apart (stranger 83, CF1).
        /// Said as the gateway's first (a token), then the proxy.
        through: Option<Box<BareThrough>>,
    },
    /// `--api` says `http://`, but the server there speaks TLS.
    WantsTls {
        base: String,
    },
    /// What answers at the address is not what `--api` says: plain HTTP
    /// behind https://, another protocol, or a TLS handshake that closes or
    /// stays silent (found by a look at the port's first bytes).
    Port {
        base: String,
        found: PortFound,
    },
    /// The gateway's redirects go round in a loop, or on too long.
    Redirects {
        base: String,
    },
    /// No connection within the connect timeout (a full or silent server).
    ConnectTimedOut {
        base: String,
        after: Duration,
    },
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatewayError::Unreachable { base, detail } => write!(f, "unreachable {base}: {detail}"),
            GatewayError::TimedOut { base, after, .. } => {
                write!(f, "timed out after {:.1} s: {base}", after.as_secs_f64())
            }
            GatewayError::Rejected { status, body, .. } => {
                write!(f, "HTTP {status}")?;
                if let Some(code) = body.code {
                    write!(f, " code {code}")?;
                }
                if let Some(message) = &body.message {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            GatewayError::TooLarge { limit } => write!(f, "answer over {limit} bytes"),
            GatewayError::TokenDropped { proxy, .. } => write!(f, "401: token unseen via {proxy}"),
            GatewayError::CaptivePortal { .. } => {
                f.write_str("HTTP 511: the network wants a sign-in (captive portal)")
            }
            GatewayError::ScopeWanted { status, scope, .. } => {
                write!(f, "HTTP {status}: the token lacks the scope {scope:?}")
            }
            GatewayError::Compressed { encoding, .. } => {
                write!(
                    f,
                    "answer compressed ({encoding}) though none was asked for"
                )
            }
            GatewayError::BadAnswer(why) => write!(f, "unusable answer: {why}"),
            GatewayError::Transport(detail) => write!(f, "transport: {detail}"),
            GatewayError::UserInfoInUrl => f.write_str("user info in the gateway URL"),
            GatewayError::BadUrl { url, reason } => write!(f, "bad URL {url:?}: {reason}"),
            GatewayError::BadPath { path, detail } => write!(f, "bad path {path}: {detail}"),
            GatewayError::BadToken => f.write_str("token not a header value"),
            GatewayError::HttpSetup(detail) => write!(f, "HTTP client setup: {detail}"),
            GatewayError::DemoUnavailable(detail) => write!(f, "demo backend: {detail}"),
            GatewayError::DemoState { folder, detail } => {
                write!(f, "demo backend state in {folder}: {detail}")
            }
            GatewayError::DemoStateFile { file, detail } => {
                write!(f, "demo backend cannot save {file}: {detail}")
            }
            GatewayError::Tls { base, problem, .. } => write!(f, "TLS {problem}: {base}"),
            GatewayError::Net(e) => write!(f, "network setting: {e:?}"),
            GatewayError::Live(fault) => write!(f, "live stream: {fault:?}"),
            GatewayError::Auth(e) => write!(f, "sign-in: {e}"),
            GatewayError::NotAGateway { base, status, .. } => {
                write!(
                    f,
                    "HTTP {status} without an error body: not a gateway at {base}"
                )
            }
            GatewayError::Refused { base, status, .. } => {
                write!(f, "HTTP {status} without an error body: refused at {base}")
            }
            GatewayError::Proxy { .. }
            | GatewayError::ProxyLoopback { .. }
            | GatewayError::ProxyCredentialsRefused { .. }
            | GatewayError::ProxyUnreachable { .. }
            | GatewayError::ProxyTunnel { .. }
            | GatewayError::ProxyNoTunnel { .. }
            | GatewayError::ProxyGarbled { .. } => self.fmt_proxy(f),
            GatewayError::Unauthorized { sent, .. } => match sent {
                Some(from) => write!(f, "HTTP 401: the token from {} refused", from.as_wire()),
                None => f.write_str("HTTP 401: no token sent"),
            },
            GatewayError::WantsTls { base } => write!(f, "plain http to a TLS server: {base}"),
            GatewayError::Port { base, found } => write!(f, "{found:?} at {base}"),
            GatewayError::Redirects { base } => write!(f, "too many redirects: {base}"),
            GatewayError::ConnectTimedOut { base, after } => write!(
                f,
                "no connection within {:.1} s: {base}",
                after.as_secs_f64()
            ),
            GatewayError::Redirected(refused) => write!(f, "{refused}"),
            GatewayError::MovedAway { from, to, status } => {
                write!(
                    f,
                    "redirected from {from} to {to}, which answered HTTP {status}"
                )
            }
            GatewayError::ForeignList {
                asked, answered, ..
            } => {
                write!(f, "asked for stepsID {asked}, answered stepsID {answered}")
            }
        }
    }
}

impl GatewayError {
    /// [`std::fmt::Display`] of a proxy's own answer (or of none).
    fn fmt_proxy(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatewayError::Proxy {
                proxy,
                status,
                said,
                ..
            } if proxy.is_empty() => {
                write!(f, "a proxy of the network answered HTTP {status}: {said}")
            }
            GatewayError::Proxy {
                proxy,
                status,
                said,
                ..
            } => {
                write!(f, "the proxy {proxy} answered HTTP {status}: {said}")
            }
            GatewayError::ProxyLoopback { proxy, status, .. } => {
                write!(f, "the proxy {proxy} answered {status:?} for this machine")
            }
            GatewayError::ProxyCredentialsRefused { proxy, .. } => {
                write!(
                    f,
                    "the proxy {proxy} refused its user name and password (HTTP 407)"
                )
            }
            GatewayError::ProxyUnreachable {
                proxy,
                from,
                detail,
                ..
            } => write!(
                f,
                "cannot connect to the proxy {proxy} (from {from}): {detail}"
            ),
            GatewayError::ProxyTunnel { proxy, host, .. } => {
                write!(f, "the proxy {proxy} refused a tunnel to {host}")
            }
            GatewayError::ProxyNoTunnel { proxy, status, .. } => {
                write!(f, "the proxy {proxy} answered CONNECT with HTTP {status}")
            }
            GatewayError::ProxyGarbled { proxy, what, .. } => {
                write!(f, "{what:?} through the proxy {proxy}")
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for GatewayError {}

/// What a caller does after a failed call. [`GatewayError::recovery`] is
/// the one rule; the call's own retries, the follower and the wizard's
/// watch all follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// It may pass by itself: try again. `now`: within the same call, after
    /// a back-off (a connection refused or cut, a 5xx, a 429); otherwise at
    /// the next round (a timeout has already waited its whole limit; an
    /// answer over the cap or garbled may be a proxy's page; the identity
    /// provider could not be reached).
    Retry { now: bool },
    /// Only signing in gets past it: a 401, a login that is over.
    SignIn,
    /// The gateway refuses the stepsID for this device (403) or does not
    /// know it (404): ask again by carAssociationID.
    StartOver,
    /// Trying again changes nothing: stop and say why.
    Stop,
}

impl GatewayError {
    /// The HTTP status of the answer that refused the call, when one came
    /// from the gateway or from something at its address (not a proxy's
    /// own answer, nor a call that got no answer).
    pub fn answered_status(&self) -> Option<u16> {
        match self {
            GatewayError::Rejected { status, .. }
            | GatewayError::ScopeWanted { status, .. }
            | GatewayError::NotAGateway { status, .. }
            | GatewayError::Refused { status, .. } => Some(*status),
            GatewayError::Unauthorized { .. }
            | GatewayError::TokenDropped { .. }
            | GatewayError::Auth(AuthError::SignInAgain(crate::auth::Over::RefusedFresh {
                ..
            })) => Some(401),
            _ => None,
        }
    }

    /// The wait the answer asked before trying again (a `Retry-After`, or
    /// the identity provider's on a renewal), in whole seconds, when one
    /// was asked.
    pub fn asked_wait(&self) -> Option<u64> {
        match self {
            GatewayError::Rejected {
                retry_after: Some(wait),
                ..
            } if !wait.is_zero() => Some(wait.as_secs().max(1)),
            GatewayError::Auth(AuthError::Provider(
                crate::auth::ProviderProblem::RefreshFailed {
                    wait: Some(secs), ..
                },
            )) => Some(*secs),
            // A proxy's own 429, with its wait (stranger 78, CA3); or its
            // own failure with one (stranger 82, CE5).
            GatewayError::Proxy {
                status: 429 | 500..,
                retry_after: Some(wait),
                ..
            } if !wait.is_zero() => Some(wait.as_secs().max(1)),
            _ => None,
        }
    }

    /// The gateway's error code (its contract body's `code`), when it gave
    /// one.
    pub fn gateway_code(&self) -> Option<i64> {
        match self {
            GatewayError::Rejected { body, .. } => body.code,
            _ => None,
        }
    }
}

impl GatewayError {
    /// The one rule on what to do after this error (see [`Recovery`]).
    pub fn recovery(&self) -> Recovery {
        match self {
            GatewayError::Rejected { kind, .. } => kind.recovery(),
            GatewayError::Unreachable { .. } | GatewayError::Transport(_) => {
                Recovery::Retry { now: true }
            }
            GatewayError::TimedOut { .. }
            | GatewayError::TooLarge { .. }
            | GatewayError::BadAnswer(_) => Recovery::Retry { now: false },
            // Another stepsID's list: the gateway may have started the
            // vehicle over with a new one; asked again by carAssociationID
            // (which may bring any stepsID), never the same call in a loop.
            GatewayError::ForeignList { .. } => Recovery::StartOver,
            GatewayError::Live(fault) => match fault {
                live::LiveFault::Lists { .. } => Recovery::Stop,
                // "No step for this stepsID", said on the stream: as the
                // list call's 404 with that code.
                live::LiveFault::Said(body) if body.code == Some(wire::NO_STEP_CODE) => {
                    Recovery::StartOver
                }
                live::LiveFault::Said(_)
                | live::LiveFault::Contradicted { .. }
                | live::LiveFault::LeftOut { .. }
                | live::LiveFault::Refused(_)
                | live::LiveFault::ClosedSoon { .. }
                | live::LiveFault::Page { .. }
                | live::LiveFault::Compressed { .. }
                | live::LiveFault::Foreign { .. } => Recovery::Retry { now: false },
                live::LiveFault::Cut
                | live::LiveFault::NotOffered
                | live::LiveFault::CutDirect
                | live::LiveFault::Silent { .. }
                | live::LiveFault::NoFirstEvent { .. }
                | live::LiveFault::OtherEvents { .. }
                | live::LiveFault::NotText
                | live::LiveFault::BadLine => Recovery::Retry { now: false },
            },
            GatewayError::Auth(e) if e.needs_login() => Recovery::SignIn,
            // The provider for a while (its network, a 5xx, a 429, a
            // renewal it could not make now): asking again later may do.
            GatewayError::Auth(e) if e.retry_may_help() => Recovery::Retry { now: false },
            GatewayError::Auth(_)
            | GatewayError::UserInfoInUrl
            | GatewayError::BadUrl { .. }
            | GatewayError::BadPath { .. }
            | GatewayError::BadToken
            | GatewayError::HttpSetup(_)
            | GatewayError::DemoUnavailable(_)
            | GatewayError::DemoState { .. }
            | GatewayError::DemoStateFile { .. }
            | GatewayError::Tls { .. }
            | GatewayError::Redirected(_)
            | GatewayError::MovedAway { .. }
            | GatewayError::Net(_)
            | GatewayError::NotAGateway { .. }
            | GatewayError::Refused { .. }
            | GatewayError::WantsTls { .. }
            | GatewayError::Port { .. }
            | GatewayError::Redirects { .. }
            | GatewayError::Compressed { .. }
            | GatewayError::CaptivePortal { .. }
            | GatewayError::TokenDropped { .. }
            | GatewayError::ScopeWanted {
                token_sent: true,
                dropped: None,
                ..
            } => Recovery::Stop,
            // A renewal dropped the scope: a new sign-in may get it back.
            GatewayError::ScopeWanted {
                dropped: Some(_), ..
            } => Recovery::SignIn,
            // No token was sent: one that has the scope is the way on.
            GatewayError::ScopeWanted {
                token_sent: false, ..
            } => Recovery::SignIn,
            GatewayError::Unauthorized { .. } => Recovery::SignIn,
            // A proxy that cannot reach the gateway now may later; one that
            // wants a password will not get it by waiting.
            GatewayError::Proxy { status, .. } if *status >= 500 => Recovery::Retry { now: true },
            // A proxy's own limit passes by itself.
            GatewayError::Proxy { status: 429, .. } => Recovery::Retry { now: false },
            // A connection the proxy closed may go through at the next try.
            GatewayError::ProxyGarbled {
                what: ProxyAnswer::Closed | ProxyAnswer::TunnelClosed,
                ..
            } => Recovery::Retry { now: true },
            // As the same answer without a proxy.
            GatewayError::ProxyGarbled {
                what: ProxyAnswer::NoList(_) | ProxyAnswer::TooLarge(_),
                ..
            } => Recovery::Retry { now: false },
            GatewayError::Proxy { .. }
            | GatewayError::ProxyLoopback { .. }
            | GatewayError::ProxyCredentialsRefused { .. }
            | GatewayError::ProxyGarbled { .. }
            | GatewayError::ProxyNoTunnel { .. } => Recovery::Stop,
            // A proxy that is down may come back; a connect timeout has
            // already been waited for, and a refused tunnel is the proxy's
            // rule or the gateway being down behind it.
            GatewayError::ProxyUnreachable { after: None, .. } => Recovery::Retry { now: true },
            GatewayError::ProxyUnreachable { .. } | GatewayError::ProxyTunnel { .. } => {
                Recovery::Retry { now: false }
            }
            // The connect timeout has already been waited for.
            GatewayError::ConnectTimedOut { .. } => Recovery::Retry { now: false },
        }
    }

    /// A wait was asked before the next try (a 429's `Retry-After`, a
    /// renewal the identity provider holds): asking sooner does not help.
    pub fn asks_to_wait(&self) -> bool {
        match self {
            GatewayError::Rejected {
                kind: Rejection::TooManyRequests,
                retry_after: Some(wait),
                ..
            } => !wait.is_zero(),
            GatewayError::Auth(crate::auth::AuthError::Provider(
                crate::auth::ProviderProblem::RefreshFailed { wait: Some(_), .. },
            )) => true,
            _ => false,
        }
    }

    /// The answer refused the one list asked for good (its stepsID, or the
    /// list that came in its place), not the gateway, the way to it or the
    /// sign-in: the other lists of the same gateway may be fine.
    pub fn concerns_the_list(&self) -> bool {
        match self {
            // An answer of another shape (another service's JSON) for this
            // list alone comes the same when asked again: not asked every
            // round without end (stranger 67, BP2).
            GatewayError::BadAnswer(_) => !self.cut_short(),
            GatewayError::ForeignList { .. } => true,
            GatewayError::Rejected { kind, .. } => matches!(
                kind,
                Rejection::WrongDevice
                    | Rejection::NotFound
                    | Rejection::BadRequest
                    | Rejection::Forbidden
                    | Rejection::Conflict
                    | Rejection::Other
            ),
            _ => false,
        }
    }

    /// A passing failure of one call, not of the gateway as a whole nor of
    /// the way to it: no answer in time, a failure the gateway answered
    /// (5xx, 429), an answer that could not be used. The calls for other
    /// lists may pass meanwhile (a refused connection, a proxy or a token
    /// renewal would fail them all).
    pub fn of_one_call(&self) -> bool {
        match self {
            GatewayError::TimedOut { proxy: None, .. }
            | GatewayError::TooLarge { .. }
            | GatewayError::BadAnswer(_) => true,
            GatewayError::Rejected { kind, proxy, .. } => {
                proxy.is_none()
                    && matches!(
                        kind,
                        Rejection::ServerFailure
                            | Rejection::TooManyRequests
                            | Rejection::RequestTimeout
                    )
            }
            _ => false,
        }
    }

    /// An answer that came as JSON cut short: a passing fault of the way
    /// (a connection ended early), which the next call may not meet.
    pub fn cut_short(&self) -> bool {
        matches!(
            self,
            GatewayError::BadAnswer(DecodeError::NotJson { cut: true, .. })
        )
    }

    /// Passing: trying again later may succeed.
    pub fn is_passing(&self) -> bool {
        matches!(self.recovery(), Recovery::Retry { .. })
    }

    /// A rejection as the call it answers reads it: a 403 is another
    /// device's stepsID only on a call by stepsID, and a 409 "an earlier
    /// step is not done" only on the simulator's control calls.
    fn for_call(mut self, call: &CallKind) -> Self {
        if let GatewayError::NotAGateway {
            status: 404,
            call: called,
            ..
        } = &mut self
        {
            *called = call.other;
        }
        if let GatewayError::Rejected {
            kind, body, status, ..
        } = &mut self
        {
            // A code the gateway gives says why better than the status:
            // "not the owner" (2323) is no other device's stepsID.
            let coded = body.code.is_some_and(|c| ACCOUNT_REFUSALS.contains(&c));
            *kind = match *kind {
                Rejection::WrongDevice if coded && !call.reset => Rejection::Forbidden,
                // The contract's 403 to a call by stepsID is another
                // device's stepsID, reset or not: asked again by
                // carAssociationID (the reset with it), never "refused".
                Rejection::WrongDevice if call.reset && call.by_steps_id && !coded => {
                    Rejection::WrongDevice
                }
                // A 4xx to a reset refused it; a 3xx that came back as
                // the answer refused nothing (its own words say what).
                Rejection::WrongDevice
                | Rejection::Forbidden
                | Rejection::Conflict
                | Rejection::Other
                    if call.reset && (400..500).contains(&*status) =>
                {
                    Rejection::ResetRefused
                }
                // An app code in a 400 to a reset is the gateway's reason
                // for not resetting (2317: the PIN forbids it).
                Rejection::BadRequest if call.reset && body.code.is_some() => {
                    Rejection::ResetRefused
                }
                // A 5xx to a reset is a failure like any (tried again), but
                // its code's own advice, "reset", is what just failed.
                Rejection::ServerFailure if call.reset => Rejection::ResetFailed,
                Rejection::WrongDevice if !call.by_steps_id => Rejection::Forbidden,
                // "No step for this stepsID" to a list asked by
                // carAssociationID, as a 404 or a 400: no stepsID to start
                // again from, the gateway has none for this vehicle.
                Rejection::NotFound | Rejection::BadRequest
                    if !call.by_steps_id && body.code == Some(wire::NO_STEP_CODE) =>
                {
                    Rejection::NoSteps
                }
                // Not its code of an unknown stepsID, nor words naming an
                // id: the call may not be offered.
                Rejection::NotFound
                    if call.other == Some(wire::NEXT_PATH)
                        && body.code != Some(wire::NO_STEP_CODE)
                        && !body.message.as_deref().is_some_and(wire::names_an_id) =>
                {
                    Rejection::CallNotFound
                }
                // A method not allowed, or not implemented, there: the call
                // is what the gateway does not offer (the list at this
                // --api works).
                Rejection::Other | Rejection::ServerFailure
                    if call.other == Some(wire::NEXT_PATH) && matches!(*status, 405 | 501) =>
                {
                    Rejection::CallNotFound
                }
                Rejection::Conflict if !call.control => Rejection::Other,
                Rejection::BadRequest
                    if !call.filtered
                        && body.code.is_none()
                        && body.message.as_deref().is_some_and(|m| {
                            m.to_ascii_lowercase()
                                .contains(&wire::STATUS_PARAM.to_ascii_lowercase())
                        }) =>
                {
                    Rejection::FilterRefused
                }
                kind => kind,
            };
        }
        self
    }

    /// A 403: the stepsID belongs to another device, so the list must be asked
    /// again by carAssociationID.
    pub fn is_wrong_device(&self) -> bool {
        matches!(
            self,
            GatewayError::Rejected {
                kind: Rejection::WrongDevice,
                ..
            }
        )
    }

    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            GatewayError::Rejected { kind, .. } => Some(*kind),
            GatewayError::Unauthorized { .. } => Some(Rejection::Unauthorized),
            _ => None,
        }
    }

    /// The SDK code the gateway gave, if any.
    pub fn sdk_code(&self) -> Option<i64> {
        match self {
            GatewayError::Rejected { body, .. } => body.code,
            _ => None,
        }
    }

    /// Only a new `stepwise login` can get past this error.
    pub fn needs_login(&self) -> bool {
        matches!(self, GatewayError::Auth(e) if e.needs_login())
    }
}

/// A status and body that came back, before they are judged.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
    /// The headers mark the answer as a proxy's own: its words, if any.
    pub proxy_mark: Option<String>,
    /// The request carried a token.
    pub token_sent: bool,
    /// A Bearer challenge said the token lacks a scope (RFC 6750 §3.1
    /// `insufficient_scope`): the scope it names, if any.
    pub scope_wanted: Option<String>,
    /// A Bearer challenge's own words (`error_description`), if any.
    pub bearer_said: Option<String>,
    /// A login a bearer token cannot answer ([`login_prompt`]): `true`
    /// for Windows sign-in; on a 407, whether the proxy offers only that.
    pub login_prompt: Option<bool>,
    /// The answer carries a `WWW-Authenticate` challenge (a gateway's 401
    /// does; a proxy's or a portal's own page may not).
    pub challenged: bool,
    /// A 401 whose Bearer challenge names no error ([`bearer_unseen`]).
    pub unseen: bool,
    /// The address asked and the one that answered, when a redirect was
    /// followed.
    pub moved: Option<(String, String)>,
}

/// The answer's `Content-Encoding` when it is a compression (anything but
/// `identity`), as it may be shown.
pub(crate) fn compressed(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get(reqwest::header::CONTENT_ENCODING)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let text = text.trim();
    (!text.is_empty() && !text.eq_ignore_ascii_case("identity"))
        .then(|| crate::steps::sanitize(&text.chars().take(40).collect::<String>()))
}

/// A `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`
/// challenge: the scope wanted ("" when it names none), as it may be shown.
pub(crate) fn scope_wanted(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let challenge = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .find(|v| v.contains("insufficient_scope"))?;
    let scope = challenge
        .split_once("scope=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(scope, _)| scope)
        .unwrap_or_default();
    Some(crate::steps::sanitize(
        &scope.chars().take(200).collect::<String>(),
    ))
}

/// The scopes a new sign-in asks for to get `wanted`: the kept login's
/// (`kept`, else the default ones) and `wanted`, each once; asking for
/// `wanted` alone would drop those the login had (stranger 68, BQ4).
pub(crate) fn scopes_to_ask(kept: Option<&str>, wanted: &str) -> String {
    let kept = kept.unwrap_or("openid offline_access");
    let mut ask: Vec<&str> = Vec::new();
    for scope in kept.split_whitespace().chain(wanted.split_whitespace()) {
        if !ask.contains(&scope) {
            ask.push(scope);
        }
    }
    crate::steps::sanitize(&ask.join(" "))
}

/// A `WWW-Authenticate: Bearer … error_description="…"` challenge: the
/// gateway's own words on why it refused the token, as they may be shown.
pub(crate) fn bearer_said(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let challenge = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .find(|v| v.trim_start().to_ascii_lowercase().starts_with("bearer"))?;
    let (_, rest) = challenge.split_once("error_description=\"")?;
    // A quoted string: `\"` inside it is a quote.
    let mut said = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => said.extend(chars.next()),
            c => said.push(c),
        }
    }
    let said = crate::steps::sanitize(said.trim());
    let said: String = said.chars().take(200).collect();
    (!said.is_empty()).then_some(said)
}

/// A 401 names no `error` of its Bearer challenge, or no challenge at all:
/// by RFC 6750 §3.1 the request carried no token as the gateway saw it
/// (something between may drop the Authorization header), or the gateway
/// does not say; either way that cause stays among those said.
pub(crate) fn bearer_unseen(headers: &reqwest::header::HeaderMap) -> bool {
    !headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
        .filter(|v| v.trim_start().starts_with("bearer"))
        .any(|challenge| {
            challenge
                .split([' ', ','])
                .any(|part| part.trim().starts_with("error="))
        })
}

pub(crate) use crate::net::{login_prompt, proxy_mark};

tokio::task_local! {
    /// The last failure of the request of a [`tracked`] future before it
    /// was tried again: what it met, when the deadline finds it held back
    /// by another request's 429.
    static LAST_FAILURE: std::sync::Arc<std::sync::Mutex<Option<GatewayError>>>;
}

/// Runs `future` (a gateway call) with `held` saying whether its request is
/// held back by a 429 ([`crate::pace::held_back`]) and `last` keeping the
/// failure it met before each retry.
pub async fn tracked<F: std::future::Future>(
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
    last: std::sync::Arc<std::sync::Mutex<Option<GatewayError>>>,
    future: F,
) -> F::Output {
    LAST_FAILURE
        .scope(last, crate::pace::held_back(held, future))
        .await
}

/// The gateway's address as typed with `--api` (and usable), for the
/// commands a message suggests (a refused address, e.g. one with a query,
/// is never repeated).
pub fn api_typed(settings: &crate::config::Settings) -> Option<String> {
    settings
        .api
        .as_deref()
        .filter(|api| {
            settings.api_from == Some(crate::config::ApiFrom::Flag) && parse_base(api).is_ok()
        })
        .map(|api| api.trim().to_owned())
}

use crate::net::html_title;

/// Why the sign-in calls' HTTP client could not be made.
#[derive(Debug, Clone)]
enum OauthSetup {
    /// A network setting (a CA file, a client certificate, a proxy).
    Setting(crate::net::NetError),
    Other(String),
}

/// The client of one gateway, for one device.
#[derive(Clone)]
pub struct Gateway {
    http: reqwest::Client,
    base: Url,
    /// The proxy the base URL goes through, as it may be shown.
    proxy: Option<String>,
    /// The variable that named the proxy (`https_proxy`, `ALL_PROXY`...).
    proxy_from: Option<&'static str>,
    /// The proxy's URL carries a user name (and password) for it.
    proxy_credentials: bool,
    device_id: String,
    token: Option<TokenSource>,
    /// Where the token comes from, to name it when the gateway refuses it.
    token_from: Option<TokenFrom>,
    options: ClientOptions,
    /// The budget every clone of this client shares.
    pace: std::sync::Arc<crate::pace::Pace>,
    /// The client of the sign-in calls (made when first needed).
    oauth: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, OauthSetup>>>,
    /// The embedded simulator's state file, when this is it: its 507 is
    /// that file's, on this machine.
    demo_state: Option<std::path::PathBuf>,
    /// The gateway refused `stepsStatus=all` (a 400 naming it): lists of
    /// every step are asked without the parameter (shared by every clone).
    unfiltered: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// A list came in this run (through the proxy, when there is one).
    reached: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The gateway is the embedded simulator: its error messages are this
    /// program's own English, which the words in the reader's language say
    /// already, so they are not shown.
    embedded: bool,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("base", &self.base.as_str())
            .field("device_id", &self.device_id)
            .field("token", &self.token)
            .finish()
    }
}

/// What a gateway made of the token a call carried (or of none), asked
/// once with [`Gateway::try_token`].
#[derive(Debug, PartialEq, Eq)]
pub enum Trial {
    /// It answered the call (a list, or its own "no such vehicle").
    Taken,
    /// It answered 401.
    Refused(TrialRefusal),
    /// No answer that says (unreachable, a failure of its own, no answer
    /// within the trial's few seconds): why, when one came.
    NotTried(Option<GatewayError>),
}

/// What came with a trial's 401: the gateway's own words on why, and the
/// proxy the call went through that read the plain request (which may
/// drop the Authorization header: stranger 86, CI2).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TrialRefusal {
    /// The challenge's `error_description`, sanitised.
    pub said: Option<String>,
    /// The proxy, the variable that named it, and the gateway's host.
    pub proxy: Option<(String, &'static str, String)>,
}

/// A [`GatewayError::Transport`]'s detail for an answer that began and
/// then stopped part-way until the request's time ran out.
pub const ANSWER_STALLED: &str = "the answer stopped part-way and nothing more came in time";

/// How long one token trial waits for the gateway.
pub const TRIAL_LIMIT: Duration = Duration::from_secs(5);

impl Gateway {
    /// A client for one token trial at `base`: no retries, a few seconds.
    pub fn for_trial(
        base: &str,
        device_id: String,
        token: Option<Secret>,
        net: crate::net::NetOptions,
    ) -> Result<Self, GatewayError> {
        let options = ClientOptions {
            net,
            retries: 0,
            timeout: TRIAL_LIMIT,
            ..ClientOptions::default()
        };
        Gateway::new(base, device_id, token, options)
    }

    /// Asks once, within a few seconds, for the list of an id no vehicle
    /// has, with the token this client sends (or none): whether the
    /// gateway takes it. Nothing is changed by the call.
    pub async fn try_token(&self) -> Trial {
        let request = ListRequest::new(Lookup::Car(crate::wire::TOKEN_TRIAL_CAR.into()));
        match tokio::time::timeout(TRIAL_LIMIT, self.list(&request)).await {
            // No answer within the trial's time: said as that, never as
            // a token in use (or a network setting) unasked.
            Err(_) => Trial::NotTried(Some(GatewayError::TimedOut {
                base: self.base.to_string(),
                after: TRIAL_LIMIT,
                proxy: self.proxy.clone(),
            })),
            Ok(Ok(_)) => Trial::Taken,
            // A 401, also to a token renewed for it (stranger 52, BA1);
            // one whose challenge names a scope the token lacks is that
            // (stranger 63, BL1).
            // A proxy's own 401 page is no verdict on the token (stranger
            // 70, BS7).
            Ok(Err(e))
                if e.answered_status() == Some(401)
                    && !matches!(
                        e,
                        GatewayError::ScopeWanted { .. }
                            | GatewayError::Refused { .. }
                            | GatewayError::TokenDropped { .. }
                    ) =>
            {
                let said = match e {
                    GatewayError::Unauthorized { said, .. } => said,
                    _ => None,
                };
                let proxy = self.proxy.clone().filter(|_| self.base.scheme() == "http");
                let proxy =
                    proxy.map(|p| (p, self.proxy_from.unwrap_or_default(), self.base_host()));
                Trial::Refused(TrialRefusal { said, proxy })
            }
            Ok(Err(GatewayError::Rejected {
                status: 404, body, ..
            })) if body.names_the_id() => Trial::Taken,
            Ok(Err(e)) => Trial::NotTried(Some(e)),
        }
    }
}

impl Gateway {
    pub fn new(
        base: &str,
        device_id: String,
        token: Option<Secret>,
        options: ClientOptions,
    ) -> Result<Self, GatewayError> {
        let base = parse_base(base)?;
        crate::net::install_provider();
        let builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("stepwise/", env!("CARGO_PKG_VERSION")));
        let builder = if options.fresh_connections {
            builder.pool_max_idle_per_host(0)
        } else {
            builder
        };
        // The system's roots are read on the first TLS connection only, so
        // plain HTTP (the embedded simulator) does not pay for them.
        let net_error = GatewayError::Net;
        let choice = options.net.proxy.proxy_for(&base).map_err(net_error)?;
        // Plain HTTP to the gateway and to its proxy: nothing is encrypted,
        // so no trust or client certificate file is read.
        let plain =
            base.scheme() == "http" && choice.as_ref().is_none_or(|c| c.url.scheme() == "http");
        let net = if plain {
            crate::net::NetOptions {
                ca_file: None,
                client_cert: None,
                client_key: None,
                ..options.net.clone()
            }
        } else {
            options.net.clone()
        };
        let proxy_from = choice.as_ref().map(|choice| choice.from);
        let proxy_credentials = choice
            .as_ref()
            .is_some_and(|choice| !choice.url.username().is_empty());
        let proxy = choice.map(|choice| choice.shown());
        let http = crate::net::configure(builder, &net)
            .map_err(net_error)?
            .build()
            .map_err(|e| GatewayError::HttpSetup(e.to_string()))?;
        let pace = std::sync::Arc::new(crate::pace::Pace::new(options.concurrency));
        Ok(Gateway {
            http,
            base,
            proxy,
            proxy_from,
            proxy_credentials,
            device_id,
            token: token.map(TokenSource::fixed),
            token_from: None,
            options,
            pace,
            oauth: std::sync::Arc::default(),
            demo_state: None,
            unfiltered: std::sync::Arc::default(),
            reached: std::sync::Arc::default(),
            embedded: false,
        })
    }

    /// Sends the tokens of `source` (a kept login that refreshes itself).
    #[must_use]
    pub fn with_token_source(mut self, source: TokenSource) -> Self {
        self.token = Some(source);
        self
    }

    /// This client talks to the embedded simulator, which keeps its state
    /// in `file`.
    #[must_use]
    pub fn with_demo_state(mut self, file: Option<std::path::PathBuf>) -> Self {
        self.demo_state = file;
        self
    }

    /// The name the recent ids of this gateway are kept under: `demo` for
    /// the embedded simulator (whose port changes every run), else the
    /// address.
    #[must_use]
    pub fn recent_key(&self) -> String {
        if self.embedded {
            "demo".to_owned()
        } else {
            self.base.as_str().trim_end_matches('/').to_owned()
        }
    }

    /// This client talks to the embedded simulator (see `embedded`).
    #[must_use]
    pub fn embedded(mut self) -> Self {
        self.embedded = true;
        self
    }

    /// Names where the token comes from, for the words of a refusal.
    #[must_use]
    pub fn with_token_from(mut self, from: Option<TokenFrom>) -> Self {
        self.token_from = from;
        self
    }

    /// The HTTP client, set up for this gateway: it follows a redirect only
    /// within the gateway's origin.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The HTTP client of the sign-in calls (discovery, device code, token,
    /// refresh): the gateway's network settings, and no redirect followed
    /// at all, so a form with a code or a refresh token goes nowhere but
    /// to the address the provider gave.
    pub fn oauth_http(&self) -> Result<&reqwest::Client, AuthError> {
        self.oauth
            .get_or_init(|| {
                crate::net::install_provider();
                let builder = reqwest::Client::builder()
                    .connect_timeout(self.options.connect_timeout)
                    .timeout(self.options.timeout)
                    .user_agent(concat!("stepwise/", env!("CARGO_PKG_VERSION")));
                // A setting that cannot be used (a CA file, a client
                // certificate) is said as that, never as a provider that
                // cannot be reached.
                crate::net::configure(builder, &self.options.net)
                    .map_err(OauthSetup::Setting)?
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| OauthSetup::Other(e.to_string()))
            })
            .as_ref()
            .map_err(|setup| match setup {
                OauthSetup::Setting(why) => AuthError::Setting(why.clone()),
                OauthSetup::Other(detail) => AuthError::Network {
                    url: crate::net::shown_url(&self.base),
                    detail: detail.clone(),
                    tls: None,
                },
            })
    }

    /// The simulator's control call completing a step at this gateway,
    /// `{car}` and `{name}` to fill in.
    pub fn complete_call(&self) -> String {
        format!(
            "{}/{}",
            self.base().trim_end_matches('/'),
            wire::SIM_COMPLETE_ROUTE
        )
    }

    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    /// How long every request to this gateway still waits for the pause a
    /// 429 asked, if one holds.
    pub fn pause_left(&self) -> Option<Duration> {
        self.pace.pause_left()
    }

    /// The proxy requests to this gateway go through, as it may be shown.
    pub fn proxy(&self) -> Option<&str> {
        self.proxy.as_deref()
    }

    /// The proxy's URL carries a user name (and password) for it.
    pub fn proxy_has_credentials(&self) -> bool {
        self.proxy_credentials
    }

    /// `GET pims/subscription/steps`: the list, sorted by order.
    pub async fn list(&self, request: &ListRequest) -> Result<StepsList, GatewayError> {
        let reset = if request.reset { "true" } else { "false" };
        let mut query = vec![
            (request.lookup.param(), request.lookup.id()),
            (RESET_PARAM, reset),
        ];
        // `all` is sent as the contract's examples do, unless this gateway
        // refused it: then every list asks without it (the contract's
        // default), once tried.
        let unfiltered = self.unfiltered.load(std::sync::atomic::Ordering::Relaxed);
        if request.status != crate::steps::StatusFilter::All || !unfiltered {
            query.push((STATUS_PARAM, request.status.as_wire()));
        }
        let body = match self.call(Method::GET, LIST_PATH, &query).await {
            Ok(body) => body,
            Err(e) if e.rejection() == Some(Rejection::FilterRefused) && !unfiltered => {
                tracing::info!("the gateway refuses stepsStatus=all; asking without it");
                self.unfiltered
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                query.retain(|(key, _)| *key != STATUS_PARAM);
                self.call(Method::GET, LIST_PATH, &query).await?
            }
            answered => answered?,
        };
        let list = wire::decode_list(&body).map_err(|e| self.bad_answer(e))?;
        self.reached
            .store(true, std::sync::atomic::Ordering::Relaxed);
        match &request.lookup {
            wire::Lookup::StepsId(asked) => check_steps_id(list, asked),
            wire::Lookup::Car(_) => Ok(list),
        }
    }

    /// `GET pims/subscription/step`: the next step, `None` when nothing is left.
    pub async fn next_step(&self, steps_id: &str) -> Result<Option<Step>, GatewayError> {
        let body = self
            .call(Method::GET, NEXT_PATH, &[(STEPS_ID_PARAM, steps_id)])
            .await?;
        // An answer that names another stepsID is about someone else's
        // steps (a proxy or a cache mixing answers up): never "ready".
        if let Ok(list) = wire::decode_list(&body) {
            check_steps_id(list, steps_id).map_err(|e| match e {
                GatewayError::ForeignList {
                    asked, answered, ..
                } => GatewayError::ForeignList {
                    asked,
                    answered,
                    next: true,
                },
                other => other,
            })?;
        }
        wire::decode_next(&body).map_err(|e| self.bad_answer(e))
    }

    /// Whether the gateway serves the customers' guidance pages
    /// (`GET guidance/{name}`): a 200 HTML answer says yes; a 404, any other
    /// answer or no answer says no.
    pub async fn offers_guidance_pages(&self) -> bool {
        let call = Call::get(GUIDANCE_PHONE_PATH, &[]).accept("text/html");
        match self.send(&call).await {
            Ok(sent) => {
                let header = |name| sent.headers().get(name).and_then(|v| v.to_str().ok());
                let html = wire::is_guidance_page(
                    header(reqwest::header::CONTENT_TYPE),
                    header(reqwest::header::CONTENT_LANGUAGE),
                );
                let status = sent.status();
                tracing::info!(status = status.as_u16(), html, "guidance pages probed");
                status.is_success() && html
            }
            Err(e) => {
                tracing::info!("guidance pages probe failed: {e}");
                false
            }
        }
    }

    /// Simulator only: the scenario's associations.
    pub async fn sim_associations(&self) -> Result<Vec<Association>, GatewayError> {
        let body = self
            .call(Method::GET, wire::SIM_ASSOCIATIONS_PATH, &[])
            .await?;
        serde_json::from_slice(&body).map_err(|e| {
            GatewayError::BadAnswer(DecodeError::WrongShape(wire::Shape::Other(e.to_string())))
        })
    }

    /// Simulator only: the customer completes a step in truth.
    pub async fn sim_complete(&self, car: &str, step: &str) -> Result<(), GatewayError> {
        let path = wire::sim_complete_path(&path_segment(car), &path_segment(step));
        self.call(Method::POST, &path, &[]).await.map(drop)
    }

    /// A call of JSON through the door, retried while the error's
    /// [`Recovery`] says to retry now (at most `retries` more attempts, each
    /// after the shared back-off; a 429's `Retry-After` up to
    /// `max_retry_after`). Every attempt waits for a place in the gateway's
    /// budget.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<u8>, GatewayError> {
        let call = Call::get(path, query).method(method);
        let mut attempt = 0;
        // The last retry waited a 429's Retry-After.
        let mut waited_429 = false;
        let started = std::time::Instant::now();
        loop {
            let place = self.pace.admit().await;
            let outcome = self.attempt(&call).await;
            match &outcome {
                Ok(a) => {
                    tracing::info!(method = %call.method, path, status = a.status.as_u16(), bytes = a.body.len(), elapsed = ?started.elapsed(), "gateway call")
                }
                Err(e) => {
                    tracing::warn!(method = %call.method, path, elapsed = ?started.elapsed(), "gateway call failed: {e}")
                }
            }
            let retry_after = outcome.as_ref().ok().and_then(|a| a.retry_after);
            let judged = outcome
                .and_then(|answer| self.judge(answer))
                .map_err(|e| e.for_call(&call_kind(&call.method, path, query)))
                .map_err(|e| self.named_by_id(e, query));
            let backoff = self.backoff().after(attempt);
            if let Err(e) = &judged
                && e.rejection() == Some(Rejection::TooManyRequests)
            {
                // One budget per gateway: every request to it slows down.
                // The pause is set before the place is given back, so no
                // request slips in between.
                // The gateway's own ask (up to an hour), as the screen
                // says it; this call retries only within max_retry_after.
                let wait = retry_after.unwrap_or(backoff).min(crate::pace::MAX_PAUSE);
                self.pace.pause(wait);
                // Every request waits now: the screen says how long, whether
                // this one is tried again or not; only a wait the gateway
                // asked (its Retry-After), never stepwise's own short
                // back-off said as the gateway's (stranger 87, CJ4).
                if let Some(on_pause) = self
                    .options
                    .on_pause
                    .as_ref()
                    .filter(|_| retry_after.is_some())
                {
                    (on_pause.0)(wait);
                }
            }
            drop(place);
            let retry_in = match &judged {
                Err(e) if e.rejection() == Some(Rejection::TooManyRequests) => retry_after
                    .or(Some(backoff))
                    .filter(|wait| *wait <= self.options.max_retry_after),
                // A failure with the gateway's own wait (a 503's
                // Retry-After): that wait, or no retry in this call when it
                // is longer than a call waits (stranger 61, BJ13).
                // A proxy's own limit, with the wait it asks: waited out
                // within what a call waits, as the gateway's (stranger 78,
                // CA3).
                Err(GatewayError::Proxy {
                    status: 429,
                    retry_after: Some(wait),
                    ..
                }) => Some(*wait).filter(|wait| *wait <= self.options.max_retry_after),
                Err(e) if e.recovery() == (Recovery::Retry { now: true }) => match retry_after {
                    Some(wait) => Some(wait).filter(|wait| *wait <= self.options.max_retry_after),
                    None => Some(backoff),
                },
                _ => None,
            };
            // A retry that would wait out another request's pause for
            // longer than this call waits is not made: this failure is
            // said now, not after the pause (an hour, at most).
            let pause_fits = self
                .pace
                .pause_left()
                .is_none_or(|left| left <= self.options.max_retry_after);
            match retry_in {
                Some(wait) if attempt < self.options.retries && pause_fits => {
                    tracing::debug!(path, attempt, ?wait, "retrying");
                    if let Err(e) = &judged {
                        let _ = LAST_FAILURE.try_with(|last| {
                            *last
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                                Some(e.clone());
                        });
                    }
                    if let (Some(on_wait), Err(e)) = (&self.options.on_wait, &judged)
                        && e.rejection() == Some(Rejection::TooManyRequests)
                    {
                        (on_wait.0)(wait);
                    }
                    waited_429 = matches!(&judged, Err(e) if e.rejection() == Some(Rejection::TooManyRequests));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                // The last failure, after any retries: what answers at the
                // port may say more (one look, not one per attempt).
                _ => {
                    return match judged {
                        Err(e) if waited_429 && retry_in.is_some() => {
                            Err(self.look_at_port(waited_out(e)).await)
                        }
                        Err(e) => Err(self.look_at_port(e).await),
                        ok => ok,
                    };
                }
            }
        }
    }

    /// The back-off of this client's retries.
    fn backoff(&self) -> crate::pace::Backoff {
        crate::pace::Backoff {
            first: self.options.backoff,
            max: self.options.max_retry_after,
        }
    }

    /// The gateway's host when it is on this machine (a loopback address,
    /// `localhost`) and a proxy variable sends its requests to a proxy,
    /// with that variable's name.
    pub fn loopback_behind_proxy(&self) -> Option<(String, &'static str)> {
        let from = self.proxy_from.filter(|_| self.proxy.is_some())?;
        let host = self.base.host_str()?;
        crate::net::is_loopback_host(host).then(|| (host.to_owned(), from))
    }

    /// A proxy's own error page (500 to 504: a 500 or 501 page too, when
    /// the gateway asked directly answers otherwise; stranger 60, BI9) for
    /// a gateway on this machine: the proxy cannot reach it, whatever runs
    /// there (a tunnel it did not open is judged with its answer to
    /// `CONNECT`, above).
    async fn proxied_to_loopback(&self, error: GatewayError) -> GatewayError {
        let Some((host, from)) = self.loopback_behind_proxy() else {
            return error;
        };
        // Lists came through this proxy in this run: it reaches the gateway,
        // and its error page now is a failure for now, said as the proxy's
        // (stranger 53, BB3).
        if self.list_came() {
            return error;
        }
        let status = match &error {
            GatewayError::Rejected {
                status: status @ 500..=504,
                body,
                proxy: Some(_),
                ..
            } if body.code.is_none() && body.message.is_none() => Some(*status),
            GatewayError::Proxy { status, .. } if (500..=504).contains(status) => Some(*status),
            _ => return error,
        };
        let port = self.base.port_or_known_default().unwrap_or(80);
        let down = crate::net::loopback_refuses(&host, port)
            .await
            .then_some(port);
        // Asked without the proxy, the gateway answers the same: its own
        // failure, which the proxy passed on (NO_PROXY would change
        // nothing), with the wait it asks.
        if down.is_none()
            && let Some(status) = status
            && let Some((direct, retry_after)) = self.asked_directly().await
            && direct == status
        {
            return GatewayError::Rejected {
                status,
                kind: Rejection::ServerFailure,
                body: ErrorBody::default(),
                retry_after,
                proxy: None,
            };
        }
        GatewayError::ProxyLoopback {
            proxy: self.proxy.clone().unwrap_or_default(),
            from,
            host,
            status,
            down,
        }
    }

    /// A list came in this run.
    fn list_came(&self) -> bool {
        self.reached.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The gateway on this machine asked once directly, without the
    /// proxy (plain http only, within 2 s), at the list's path: its status
    /// and `Retry-After`, when it answers.
    async fn asked_directly(&self) -> Option<(u16, Option<Duration>)> {
        if self.base.scheme() != "http" {
            return None;
        }
        let url = self.base.join(wire::LIST_PATH).ok()?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(2))
            .build()
            .ok()?;
        let answer = http.get(url).send().await.ok()?;
        let retry_after = crate::net::retry_after(answer.headers());
        Some((answer.status().as_u16(), retry_after))
    }

    async fn attempt(&self, call: &Call<'_>) -> Result<Answer, GatewayError> {
        self.send(call).await?.body(self).await
    }

    /// A tunnel the proxy did not open: is what answers there an HTTP
    /// proxy at all, does it do CONNECT, or does it want a sign-in?
    async fn tunnel_not_opened(&self, error: &GatewayError) -> Option<GatewayError> {
        if let GatewayError::ProxyTunnel {
            proxy,
            from,
            host,
            closed: false,
        } = error
            && let Ok(at) = Url::parse(proxy)
        {
            match port_first_bytes(&at).await {
                // A TLS server's alert is no HTTP proxy's answer either
                // (stranger 92, CO1).
                Some(PortBytes::Other(_) | PortBytes::Tls) => {
                    return Some(GatewayError::ProxyGarbled {
                        proxy: proxy.clone(),
                        from,
                        host: host.clone(),
                        what: ProxyAnswer::NotHttp,
                    });
                }
                // An HTTP server: does it do CONNECT at all? One that
                // closed on a plain GET without a word may still answer
                // CONNECT (its 403: stranger 90, CM2).
                Some(PortBytes::Http | PortBytes::Silent) => {
                    let port = self.base.port_or_known_default().unwrap_or(443);
                    let answer = crate::net::connect_answer(&at, host, port).await;
                    let status = answer.map(|(status, ..)| status);
                    // It wants a sign-in of its own: a user name and
                    // password (Basic), or a portal's, which the proxy
                    // variable does not answer.
                    if let Some((401, _, basic, _)) = answer {
                        return Some(GatewayError::Proxy {
                            proxy: proxy.clone(),
                            from,
                            status: 401,
                            said: String::new(),
                            credentials: self.proxy_credentials,
                            asks_password: basic,
                            retry_after: None,
                        });
                    }
                    if let Some(status @ (405 | 501)) = status {
                        return Some(GatewayError::ProxyNoTunnel {
                            proxy: proxy.clone(),
                            from,
                            status,
                        });
                    }
                    // Its own refusal (403, say): its rule, said with its
                    // status, which waiting does not change.
                    if let Some(status @ 400..=499) = status {
                        return Some(GatewayError::Proxy {
                            proxy: proxy.clone(),
                            from,
                            status,
                            said: String::new(),
                            credentials: self.proxy_credentials,
                            asks_password: false,
                            retry_after: answer.and_then(|a| a.3).filter(|_| status == 429),
                        });
                    }
                    // Its own error (502 to 504) for a gateway on this
                    // machine: it cannot reach it (a 401 or 407 wants a login).
                    if let (Some(502..=504), Some((host, from))) =
                        (status, self.loopback_behind_proxy())
                    {
                        let port = self.base.port_or_known_default().unwrap_or(443);
                        let down = crate::net::loopback_refuses(&host, port).await;
                        return Some(GatewayError::ProxyLoopback {
                            proxy: proxy.clone(),
                            from,
                            host,
                            status: None,
                            down: down.then_some(port),
                        });
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// A tunnel refused for want of a password (407) by a proxy that offers
    /// Windows sign-in only, which no password in its variable answers.
    async fn windows_only_tunnel(&self, error: &GatewayError) -> Option<GatewayError> {
        let (proxy, from) = match error {
            GatewayError::Proxy {
                proxy,
                from,
                status: 407,
                asks_password: true,
                ..
            }
            | GatewayError::ProxyCredentialsRefused { proxy, from } => (proxy, *from),
            _ => return None,
        };
        let at = Url::parse(proxy).ok()?;
        let port = self.base.port_or_known_default().unwrap_or(443);
        let (status, windows, ..) =
            crate::net::connect_answer(&at, &self.base_host(), port).await?;
        (status == 407 && windows).then(|| GatewayError::Proxy {
            proxy: proxy.clone(),
            from,
            status: 407,
            said: String::new(),
            credentials: self.proxy_credentials,
            asks_password: false,
            retry_after: None,
        })
    }

    /// A failure that the port's first bytes explain better: a "TLS"
    /// answer to http:// that is no TLS, a TLS handshake that a plain HTTP
    /// server or another service broke off, or one that never came.
    pub(crate) async fn look_at_port(&self, error: GatewayError) -> GatewayError {
        let https = self.base.scheme() == "https";
        if let Some(found) = self.tunnel_not_opened(&error).await {
            return found;
        }
        if https && let Some(windows) = self.windows_only_tunnel(&error).await {
            return windows;
        }
        // A tunnel that was opened, and the handshake broke off: a gateway
        // at its end that speaks plain HTTP is the --api's https://, not the
        // proxy's doing (stranger 65, BN4).
        let tunnelled = match &error {
            GatewayError::ProxyTunnel {
                proxy,
                closed: true,
                ..
            } => Some(proxy),
            GatewayError::Tls {
                proxy: Some(proxy),
                problem: crate::net::TlsProblem::NotTls,
                ..
            } => Some(proxy),
            _ => None,
        };
        if let Some(proxy) = tunnelled
            && https
            && !self.proxy_credentials
            && let Ok(at) = Url::parse(proxy)
            && let Some(path) = self.base.join(LIST_PATH).ok().map(|u| u.path().to_owned())
        {
            let (host, port) = (
                self.base_host(),
                self.base.port_or_known_default().unwrap_or(443),
            );
            if crate::net::tunnel_answers_json(&at, &host, port, &path).await {
                return GatewayError::Port {
                    base: self.base.to_string(),
                    found: PortFound::PlainHttp,
                };
            }
        }
        // No HTTP came back through a proxy that relays plain requests:
        // a TLS record passed on is the gateway's, which wants https://
        // (stranger 76, BY2), not a broken proxy.
        if let GatewayError::ProxyGarbled {
            proxy,
            what: ProxyAnswer::NotHttp,
            ..
        } = &error
            && !https
            && let Ok(at) = Url::parse(proxy)
            && !matches!(port_first_bytes(&at).await, Some(PortBytes::Tls))
            && let Some(PortBytes::Tls) = first_bytes_through(&at, &self.base).await
        {
            return GatewayError::WantsTls {
                base: self.base.to_string(),
            };
        }
        if self.proxy.is_some() {
            return self.proxied_to_loopback(error).await;
        }
        let suspect = match &error {
            // An answer that is no HTTP: TLS (a record), or another service?
            GatewayError::Port {
                found: PortFound::NotHttp(said),
                ..
            } => said.is_empty(),
            GatewayError::Unreachable { detail, .. } => {
                https && detail.contains("tls handshake eof")
            }
            GatewayError::ConnectTimedOut { .. } => https,
            // No TLS came back: plain HTTP, or another service's banner?
            GatewayError::Tls {
                problem: crate::net::TlsProblem::NotTls,
                ..
            } => https,
            // Bytes before any request (a banner), no HTTP at all, or a
            // connection cut (a TLS server given a plain request may).
            GatewayError::Transport(detail) => {
                detail.contains("unexpected message")
                    || detail.contains("invalid HTTP")
                    || (!https && detail.contains("os error"))
            }
            _ => false,
        };
        if !suspect {
            return error;
        }
        let Some(first) = port_first_bytes(&self.base).await else {
            return error;
        };
        let base = self.base.to_string();
        // A plain request cut with no word (a TLS server may do that):
        // does the port answer a TLS hello?
        if !https && matches!(first, PortBytes::Silent) && answers_tls_hello(&self.base).await {
            return GatewayError::WantsTls { base };
        }
        let found = match (&error, first) {
            // A TLS record to a plain request: https:// is what it wants.
            (_, PortBytes::Tls) if !https => return GatewayError::WantsTls { base },
            (GatewayError::ConnectTimedOut { after, .. }, PortBytes::Silent) => {
                PortFound::TlsSilent(*after)
            }
            // A banner that TLS waits on for the rest of a "record".
            (GatewayError::ConnectTimedOut { .. }, PortBytes::Other(said)) => {
                PortFound::NotHttp(said)
            }
            (GatewayError::ConnectTimedOut { .. }, _) => return error,
            // Something that is no TLS answered: silence now says nothing.
            (GatewayError::Tls { .. }, PortBytes::Silent | PortBytes::Tls) => return error,
            (_, PortBytes::Http) if https => PortFound::PlainHttp,
            (_, PortBytes::Other(said)) => PortFound::NotHttp(said),
            (_, PortBytes::Tls | PortBytes::Http) => return error,
            (_, PortBytes::Silent) if https => PortFound::TlsClosed,
            (_, PortBytes::Silent) => return error,
        };
        GatewayError::Port { base, found }
    }

    fn transport_error(&self, error: &reqwest::Error) -> GatewayError {
        if let Some(refused) = crate::net::RedirectRefused::find(error) {
            return GatewayError::Redirected(refused);
        }
        let base = self.base.to_string();
        if let Some(problem) = crate::net::TlsProblem::find(error) {
            return GatewayError::Tls {
                base,
                proxy: self.proxy.clone(),
                problem,
            };
        }
        let cause = root_cause(error);
        if let (Some(proxy), Some(from)) = (&self.proxy, self.proxy_from)
            && error.is_connect()
        {
            // Every connection goes to the proxy: a failed one is the
            // proxy's, and so is a tunnel it would not open.
            let (proxy, host) = (proxy.clone(), self.base_host());
            if cause.contains("proxy authorization required") {
                return self.proxy_wants_password(proxy, String::new(), false);
            }
            // It closed with no answer to CONNECT: nothing says it
            // refuses the host, or that the gateway is down.
            if cause.starts_with("tunnel error: unexpected end of file") {
                return GatewayError::ProxyGarbled {
                    proxy,
                    from,
                    host,
                    what: ProxyAnswer::TunnelClosed,
                };
            }
            if cause.starts_with("tunnel error") {
                return GatewayError::ProxyTunnel {
                    proxy,
                    from,
                    host,
                    closed: false,
                };
            }
            // No "tunnel error" in the chain of an https call: the tunnel
            // was open and the TLS handshake through it broke off, whether
            // as an end of file or a reset (which one is timing).
            let after_tunnel = self.base.scheme() == "https"
                && !error.is_timeout()
                && !chain_has(error, "tunnel error");
            if cause.contains("tls handshake eof") || after_tunnel {
                return GatewayError::ProxyTunnel {
                    proxy,
                    from,
                    host,
                    closed: true,
                };
            }
            return GatewayError::ProxyUnreachable {
                proxy,
                from,
                host,
                after: error.is_timeout().then_some(self.options.connect_timeout),
                detail: cause,
            };
        }
        if error.is_timeout() && error.is_connect() {
            GatewayError::ConnectTimedOut {
                base,
                after: self.options.connect_timeout,
            }
        } else if error.is_timeout() {
            GatewayError::TimedOut {
                base,
                after: self.options.timeout,
                proxy: self.proxy.clone(),
            }
        } else if error.is_redirect() {
            GatewayError::Redirects { base }
        } else if self.base.scheme() == "http"
            && cause.contains("invalid HTTP version")
            && let (Some(proxy), Some(from)) = (&self.proxy, self.proxy_from)
        {
            // No HTTP from the proxy itself (or passed on by it).
            GatewayError::ProxyGarbled {
                proxy: proxy.clone(),
                from,
                host: self.base_host(),
                what: ProxyAnswer::NotHttp,
            }
        } else if let (Some(proxy), Some(from), true) = (
            &self.proxy,
            self.proxy_from,
            cause.contains("connection closed before message completed"),
        ) {
            // The connection is the proxy's: it closed it, with no answer.
            GatewayError::ProxyGarbled {
                proxy: proxy.clone(),
                from,
                host: self.base_host(),
                what: ProxyAnswer::Closed,
            }
        } else if self.base.scheme() == "http" && cause.contains("invalid HTTP version") {
            // What came back is no HTTP: a TLS record (the port wants
            // https://), or another protocol. The port's first bytes say
            // which (see `look_at_port`); this is what is known without.
            GatewayError::Port {
                base,
                found: PortFound::NotHttp(String::new()),
            }
        } else if error.is_connect() {
            // The resolver's own words differ by system ("failed to lookup
            // address information", "No such host is known"): the chain's
            // "dns error" says which failure it was, everywhere.
            let detail = if failed_in_dns(error) && !cause.contains("dns error") {
                format!("dns error: {cause}")
            } else {
                cause
            };
            GatewayError::Unreachable { base, detail }
        } else {
            GatewayError::Transport(cause)
        }
    }

    /// The embedded simulator's "not found", whose English is not shown:
    /// the id asked for is named instead, in no language.
    fn named_by_id(&self, mut error: GatewayError, query: &[(&str, &str)]) -> GatewayError {
        if let GatewayError::Rejected {
            kind: Rejection::NotFound,
            body,
            ..
        } = &mut error
            && self.embedded
        {
            // Named with its parameter ("carAssociationID 999999"): words
            // that name the id, as its own do, so no router's 404 is read in
            // them (stranger 47, AV6).
            body.message = query
                .iter()
                .find(|(name, _)| [wire::CAR_PARAM, wire::STEPS_ID_PARAM].contains(name))
                .map(|(name, id)| format!("{name} {}", crate::steps::sanitize(id)));
        }
        error
    }

    /// A 400 without the contract's body: nginx's page that says why (no
    /// client certificate, a refused one, plain HTTP to its TLS port), or
    /// Go's one line of text.
    fn bad_request_page(&self, base: &str, body: &[u8]) -> Option<GatewayError> {
        // nginx completes the handshake, then answers 400 with a page
        // that says why: no client certificate, a refused one, or
        // plain HTTP sent to its TLS port.
        let title = html_title(body).unwrap_or_default();
        let lower = title.to_ascii_lowercase();
        if lower.contains("no required ssl certificate") {
            return Some(GatewayError::Tls {
                base: base.to_owned(),
                proxy: self.proxy.clone(),
                problem: crate::net::TlsProblem::CertificateRequired,
            });
        }
        if lower.contains("ssl certificate error") {
            return Some(GatewayError::Tls {
                base: base.to_owned(),
                proxy: self.proxy.clone(),
                problem: crate::net::TlsProblem::ClientCertificateRefused(title),
            });
        }
        // nginx's page, or Go's one line of text (Caddy, Traefik and
        // every net/http server).
        let text = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
        if lower.contains("plain http request was sent to https port")
            || text.contains("client sent an http request to an https server")
        {
            return Some(GatewayError::WantsTls {
                base: base.to_owned(),
            });
        }
        None
    }

    /// A 401 to a call that sent no token, or one given by hand.
    /// `bare`: the answer had no body and no challenge.
    fn unauthorized(&self, token_sent: bool, said: Option<String>, bare: bool) -> GatewayError {
        let sent = self.token.as_ref().filter(|_| token_sent);
        let through = self
            .proxy
            .clone()
            .filter(|_| bare && self.base.scheme() == "http")
            .map(|proxy| {
                Box::new(BareThrough {
                    proxy,
                    from: self.proxy_from.unwrap_or_default(),
                    host: self.base_host(),
                })
            });
        GatewayError::Unauthorized {
            sent: sent.and(self.token_from),
            expired: sent.and_then(|t| t.fixed_expired_ago().or_else(|| t.login_expired_ago())),
            said,
            through,
        }
    }

    /// A proxy's 407: it wants a user name and password, or, when the
    /// proxy variable gave them, it refused those; or it offers Windows
    /// sign-in only (`windows`), which no password in the variable answers.
    fn proxy_wants_password(&self, proxy: String, said: String, windows: bool) -> GatewayError {
        if windows {
            return GatewayError::Proxy {
                proxy,
                from: self.proxy_from.unwrap_or_default(),
                status: 407,
                said,
                credentials: self.proxy_credentials,
                asks_password: false,
                retry_after: None,
            };
        }
        if self.proxy_credentials {
            GatewayError::ProxyCredentialsRefused {
                proxy,
                from: self.proxy_from.unwrap_or_default(),
            }
        } else {
            GatewayError::Proxy {
                proxy,
                from: self.proxy_from.unwrap_or_default(),
                status: 407,
                said,
                credentials: false,
                asks_password: true,
                retry_after: None,
            }
        }
    }

    /// The embedded simulator's 507: it could not save its state in its
    /// file, or the lock beside it (`<file>.lock`) is in the way (stranger
    /// 48, AW7): the path at fault is named.
    fn demo_state_failed(&self, body: Option<&ErrorBody>) -> Option<GatewayError> {
        let file = self.demo_state.as_ref()?;
        let said = body.and_then(|b| b.message.as_deref());
        let lock = file.with_extension("lock");
        let at_fault = if lock.exists() && !lock.is_file() {
            lock
        } else {
            file.clone()
        };
        Some(GatewayError::DemoStateFile {
            file: at_fault.display().to_string(),
            detail: said
                .and_then(|m| m.rsplit_once(": "))
                .map(|(_, why)| why.to_owned())
                .unwrap_or_default(),
        })
    }

    /// A 401 whose challenge says no token was seen, to a request that
    /// carried one through a proxy that read the plain request: the proxy
    /// may drop the Authorization header (stranger 72, BU3).
    fn token_dropped(&self, status: u16, answer: &Answer) -> Option<GatewayError> {
        let seen = answer.bearer_said.is_some() || !answer.unseen || !answer.challenged;
        if status != 401 || !answer.token_sent || seen || self.base.scheme() != "http" {
            return None;
        }
        Some(GatewayError::TokenDropped {
            proxy: self.proxy.clone()?,
            host: self.base_host(),
            from: self.token_from?,
        })
    }

    /// A web page's 401 through a proxy that read the plain request: the
    /// proxy's (or a portal's) own, never "the gateway wants a token"
    /// (stranger 70, BS7). Through a tunnel (https) only the gateway
    /// answers.
    /// Without a proxy, a web page's 401 with no challenge at all is no
    /// gateway's either (which names how it wants its token): a reverse
    /// proxy's or a web server's login in front of it (stranger 77, BZ2).
    fn proxy_page_401(&self, status: u16, answer: &Answer) -> Option<GatewayError> {
        let page = answer.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        let proxied = self.base.scheme() == "http" && self.proxy.is_some();
        let in_front = self.proxy.is_none() && !answer.challenged;
        (status == 401 && (proxied || in_front) && page).then(|| GatewayError::Refused {
            base: self.base.to_string(),
            status,
            said: html_title(&answer.body).unwrap_or_default(),
            token_sent: answer.token_sent,
            proxy: self.proxy.clone(),
        })
    }

    /// A proxy's own answer (no gateway's error body): the proxy of the
    /// settings, marked as such, or with none set a 407 of the network's.
    fn proxy_s_own(&self, status: u16, answer: &Answer) -> Option<GatewayError> {
        // Through a proxy, a 401 with no challenge and no body at all may
        // be the gateway's (the contract allows an error body that is
        // none) or the proxy's: said as the gateway's, then the proxy's
        // (stranger 83, CF1), unless the proxy marks it as its own. A web
        // page is not known to be the proxy's either: it may relay one
        // from in front of the gateway (stranger 82, CE2), said as the
        // proxy's or that one's ([`Self::proxy_page_401`]).
        if let (Some(proxy), Some(mark)) = (&self.proxy, &answer.proxy_mark) {
            let said = Some(mark.clone())
                .filter(|m| !m.is_empty())
                .or_else(|| html_title(&answer.body))
                .unwrap_or_default();
            if status == 407 {
                let windows = answer.login_prompt == Some(true);
                return Some(self.proxy_wants_password(proxy.clone(), said, windows));
            }
            return Some(GatewayError::Proxy {
                proxy: proxy.clone(),
                from: self.proxy_from.unwrap_or_default(),
                status,
                said,
                credentials: self.proxy_credentials,
                asks_password: status == 401 && answer.login_prompt == Some(false),
                retry_after: answer
                    .retry_after
                    .filter(|_| status == 429 || status >= 500),
            });
        }
        // No proxy is set here, yet one answered: the network sends this
        // traffic through a proxy of its own that wants a password.
        (status == 407 && self.proxy.is_none()).then(|| GatewayError::Proxy {
            proxy: String::new(),
            from: "",
            status,
            said: html_title(&answer.body).unwrap_or_default(),
            credentials: false,
            asks_password: true,
            retry_after: None,
        })
    }

    /// A 2xx body that is no answer; an empty one or an HTML page through a
    /// proxy is named with the proxy, which may have answered itself.
    fn bad_answer(&self, why: DecodeError) -> GatewayError {
        let what = match &why {
            DecodeError::Empty => ProxyAnswer::Empty,
            DecodeError::Html => ProxyAnswer::Html,
            // An answer cut short, or compressed, or one that contradicts
            // the contract in a steps gateway's own way: said as it is.
            DecodeError::NotJson { cut: true, .. }
            | DecodeError::Gzip
            | DecodeError::WrongShape(
                wire::Shape::NextDone(_) | wire::Shape::BadStepsId(_) | wire::Shape::ErrorBody(_),
            ) => return GatewayError::BadAnswer(why),
            // Over https the proxy only passed a tunnel: the gateway's own.
            _ if self.base.scheme() == "https" => return GatewayError::BadAnswer(why),
            _ => ProxyAnswer::NoList(why.clone()),
        };
        match (&self.proxy, self.proxy_from) {
            (Some(proxy), Some(from)) => GatewayError::ProxyGarbled {
                proxy: proxy.clone(),
                from,
                host: self.base_host(),
                what,
            },
            _ => GatewayError::BadAnswer(why),
        }
    }

    /// An answer over `limit` bytes; through a proxy for an http://
    /// gateway, named with the proxy, which may have answered itself.
    pub(crate) fn too_large(&self, limit: usize) -> GatewayError {
        match (&self.proxy, self.proxy_from) {
            (Some(proxy), Some(from)) if self.base.scheme() == "http" => {
                GatewayError::ProxyGarbled {
                    proxy: proxy.clone(),
                    from,
                    host: self.base_host(),
                    what: ProxyAnswer::TooLarge(limit),
                }
            }
            _ => GatewayError::TooLarge { limit },
        }
    }

    /// The gateway's host, as `NO_PROXY` would name it.
    pub fn base_host(&self) -> String {
        self.base.host_str().unwrap_or_default().to_owned()
    }
}

/// A list asked for by stepsID must be that stepsID's (one without a
/// stepsID is taken as the one asked for).
pub(crate) fn check_steps_id(mut list: StepsList, asked: &str) -> Result<StepsList, GatewayError> {
    match list.steps_id.as_deref() {
        None => {
            list.steps_id = Some(asked.to_owned());
            Ok(list)
        }
        Some(answered) if answered == asked => Ok(list),
        Some(answered) => Err(GatewayError::ForeignList {
            asked: asked.to_owned(),
            answered: answered.to_owned(),
            next: false,
        }),
    }
}

/// A gateway that echoes the request back must not make the token appear in
/// an error, a list (a step's name or status, a stepsID) or a report: it is
/// cut out of every answer's body before the body is read, and out of
/// every text a transport error carries.
fn redact_answer(mut answer: Answer, token: Option<&Secret>) -> Answer {
    if let Some(token) = token {
        answer.body = redact_secret(&answer.body, token.expose().as_bytes());
        // Words that repeat the token are not shown at all.
        if answer
            .bearer_said
            .as_deref()
            .is_some_and(|said| repeats_secret(said, token))
        {
            answer.bearer_said = None;
        }
        // Nor is a scope that holds it: no command is built of it
        // (stranger 73, BV7).
        if let Some(scope) = answer.scope_wanted.as_mut() {
            *scope = without_secret(scope, token);
        }
    }
    answer
}

/// The words of `scopes` that do not repeat the token.
pub(crate) fn without_secret(scopes: &str, token: &Secret) -> String {
    scopes
        .split_whitespace()
        .filter(|word| !repeats_secret(word, token))
        .collect::<Vec<_>>()
        .join(" ")
}

fn redact(error: GatewayError, token: Option<&Secret>) -> GatewayError {
    let Some(token) = token else {
        return error;
    };
    let scrub = |text: String| redact_text(&text, token);
    match error {
        GatewayError::Transport(detail) => GatewayError::Transport(scrub(detail)),
        // A redirect's Location is the server's text: it may echo the token.
        GatewayError::Redirected(refused) => {
            GatewayError::Redirected(crate::net::RedirectRefused {
                from: scrub(refused.from),
                to: scrub(refused.to),
            })
        }
        GatewayError::Unreachable { base, detail } => GatewayError::Unreachable {
            base,
            detail: scrub(detail),
        },
        GatewayError::ProxyUnreachable {
            proxy,
            from,
            host,
            detail,
            after,
        } => GatewayError::ProxyUnreachable {
            proxy,
            from,
            host,
            detail: scrub(detail),
            after,
        },
        other => other,
    }
}

impl Gateway {
    /// A 2xx body goes on to decoding; anything else becomes a typed error
    /// that names who answered: the proxy, a TLS terminator that wants a
    /// client certificate, something that is no gateway, or the gateway.
    /// The gateway's Bearer challenge for a scope the token lacks; with
    /// whether the kept login that sent it asked for that very scope.
    fn scope_wanted(&self, status: u16, scope: String, token_sent: bool) -> GatewayError {
        let asked = token_sent
            && self.token_from == Some(TokenFrom::Login)
            && self.token.as_ref().is_some_and(|t| t.asked_for(&scope));
        let dropped = if token_sent && self.token_from == Some(TokenFrom::Login) {
            self.token.as_ref().and_then(|t| t.granted_without(&scope))
        } else {
            None
        };
        let kept = self
            .token
            .as_ref()
            .filter(|_| self.token_from == Some(TokenFrom::Login))
            .and_then(|t| t.asked_scopes());
        let ask = scopes_to_ask(kept.as_deref(), &scope);
        GatewayError::ScopeWanted {
            status,
            scope,
            sent: self.token_from.filter(|_| token_sent),
            token_sent,
            asked,
            dropped,
            ask,
        }
    }

    pub(crate) fn judge(&self, answer: Answer) -> Result<Vec<u8>, GatewayError> {
        let token_sent = answer.token_sent;
        if answer.status.is_success() {
            return Ok(answer.body);
        }
        let status = answer.status.as_u16();
        let base = self.base.to_string();
        // An error body of another shape: its words, as the contract's,
        // except for a 403 (the contract's 403 is another device's stepsID:
        // its words then go with the refusal by something in front).
        let other = wire::decode_other_error(&answer.body, status);
        let mut body =
            wire::decode_error(&answer.body).or_else(|| other.clone().filter(|_| status != 403));
        // The embedded simulator could not save its state: a file here.
        if status == 507
            && let Some(error) = self.demo_state_failed(body.as_ref())
        {
            return Err(error);
        }
        if body.is_none()
            && let Some(error) = self
                .proxy_s_own(status, &answer)
                .or_else(|| self.proxy_page_401(status, &answer))
        {
            return Err(error);
        }
        if status == 511 && body.is_none() {
            // RFC 6585: the network's own portal (guest Wi-Fi) answered.
            return Err(GatewayError::CaptivePortal {
                proxy: self.proxy.clone(),
            });
        }
        if status == 400
            && body.is_none()
            && let Some(error) = self.bad_request_page(&base, &answer.body)
        {
            return Err(error);
        }
        // Moved by the gateway's own redirect to where nothing answers as a
        // gateway: the redirect is the cause (stranger 79, CB2).
        if status == 404
            && body.is_none()
            && let Some((from, to)) = answer.moved.clone()
        {
            return Err(GatewayError::MovedAway { from, to, status });
        }
        if status == 404 && body.is_none() {
            return Err(GatewayError::NotAGateway {
                base,
                status,
                proxy: self.proxy.clone(),
                call: None,
                windows: false,
                listed: self.list_came(),
            });
        }
        // The gateway's own Bearer challenge: the token is good, its scope
        // is not enough.
        if matches!(status, 401 | 403)
            && let Some(scope) = answer.scope_wanted.clone()
        {
            return Err(self.scope_wanted(status, scope, token_sent));
        }
        // The gateway's own 403 says why in its error body; a page without
        // one is a firewall's or a reverse proxy's. So is a web page's 400
        // (nginx's "Request Header Or Cookie Too Large"), 408, 413, 414, 431
        // or 451: the gateway never judged the request, nor the id in it.
        let page_400 = matches!(status, 400 | 408 | 413 | 414 | 431 | 451)
            && answer.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        if body.is_none() && (status == 403 || page_400) {
            return Err(GatewayError::Refused {
                base,
                status,
                said: html_title(&answer.body)
                    .or_else(|| other.and_then(|o| o.message))
                    .unwrap_or_default(),
                token_sent,
                proxy: self.proxy.clone(),
            });
        }
        if status == 401
            && body.is_none()
            && self.proxy.is_none()
            && let Some(windows) = answer.login_prompt
        {
            // A login no token answers: a web server's, not a gateway's.
            return Err(GatewayError::NotAGateway {
                base,
                status,
                proxy: None,
                call: None,
                windows,
                listed: false,
            });
        }
        if let Some(dropped) = self.token_dropped(status, &answer) {
            return Err(dropped);
        }
        if status == 401 && (!token_sent || self.token_from.is_some()) {
            // The challenge's words, else those of an error body of another
            // shape (`error_description`: "API key missing"; stranger 60,
            // BI13).
            let bare = !answer.challenged && answer.body.iter().all(u8::is_ascii_whitespace);
            let said = answer.bearer_said.or_else(|| body_words(other.as_ref()));
            return Err(self.unauthorized(token_sent, said, bare));
        }
        if self.embedded
            && let Some(body) = &mut body
        {
            body.message = None;
        }
        Err(GatewayError::Rejected {
            status,
            kind: Rejection::of(answer.status),
            body: body.unwrap_or_default(),
            retry_after: answer.retry_after,
            proxy: self.proxy.clone(),
        })
    }
}

/// The words of an error body of another shape, sanitised.
fn body_words(body: Option<&wire::ErrorBody>) -> Option<String> {
    body.and_then(|b| b.message.as_deref())
        .map(crate::steps::sanitize)
}

/// The proxy a bare 401 came through (see [`GatewayError::Unauthorized`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BareThrough {
    /// The proxy's address, as the settings give it.
    pub proxy: String,
    /// The variable that named it.
    pub from: &'static str,
    /// The gateway's host, for NO_PROXY.
    pub host: String,
}

/// What the port of `--api` turned out to be (see [`GatewayError::Port`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortFound {
    /// Plain HTTP, where `--api` says https://.
    PlainHttp,
    /// Neither HTTP nor TLS: its first line, filtered.
    NotHttp(String),
    /// It took the connection and closed it during the TLS handshake.
    TlsClosed,
    /// It took the connection and never answered the TLS handshake.
    TlsSilent(Duration),
}

/// App codes of a refusal over the account or the vehicle (authentication
/// needed or refused, account blocked, PIN operation forbidden, not the
/// owner): a 403 that carries one is no other device's stepsID.
const ACCOUNT_REFUSALS: [i64; 6] = [2301, 2302, 2308, 2310, 2317, 2323];

/// What came back through a proxy for an http:// gateway, when it was no
/// answer ([`GatewayError::ProxyGarbled`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyAnswer {
    /// Bytes that are no HTTP.
    NotHttp,
    /// An empty 2xx.
    Empty,
    /// An HTML page where a JSON answer belongs: the proxy's own (a login
    /// or portal page), or a web server behind it.
    Html,
    /// The connection closed with no answer.
    Closed,
    /// The connection closed with no answer to CONNECT: no tunnel, so the
    /// gateway was not asked.
    TunnelClosed,
    /// A 2xx that is no steps list (JSON of another shape, or no JSON):
    /// the proxy's own, or no steps gateway behind it.
    NoList(DecodeError),
    /// A 2xx larger than any steps list (the limit, in bytes).
    TooLarge(usize),
}

/// What a port said first to a plain HTTP request.
enum PortBytes {
    Tls,
    Http,
    Other(String),
    /// Nothing, or closed at once.
    Silent,
}

/// Whether the host and port of `base` answer a TLS hello with a TLS
/// record (a hello of its own, or an alert): nothing is trusted or sent
/// past that first answer.
async fn answers_tls_hello(base: &Url) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(host) = base
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
    else {
        return false;
    };
    let Some(port) = base.port_or_known_default() else {
        return false;
    };
    let hello = (|| {
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            crate::net::provider(),
        ))
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.clone()).ok()?;
        let mut connection =
            rustls::ClientConnection::new(std::sync::Arc::new(config), name).ok()?;
        let mut hello = Vec::new();
        connection.write_tls(&mut hello).ok()?;
        Some(hello)
    })();
    let Some(hello) = hello else {
        return false;
    };
    let limit = Duration::from_secs(2);
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .ok()?;
        stream.write_all(&hello).await.ok()?;
        let mut first = [0u8; 2];
        stream.read_exact(&mut first).await.ok()?;
        Some(matches!(first, [0x15 | 0x16, 0x03]))
    };
    tokio::time::timeout(limit, exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// After a TLS handshake the server broke off: what the port turns out to
/// be (plain HTTP, another service, or a TLS server that closed it).
pub async fn port_after_tls_eof(base: &Url) -> Option<PortFound> {
    Some(match port_first_bytes(base).await? {
        PortBytes::Http => PortFound::PlainHttp,
        PortBytes::Other(said) => PortFound::NotHttp(said),
        PortBytes::Tls | PortBytes::Silent => PortFound::TlsClosed,
    })
}

/// Connects to the host and port of `base` without TLS, asks `GET /` in
/// plain HTTP and reads the first bytes (at most 2 s): a TLS record, HTTP,
/// something else, or nothing. `None` when no connection is made.
async fn port_first_bytes(base: &Url) -> Option<PortBytes> {
    first_bytes(base, None).await
}

/// As [`port_first_bytes`], asked through the plain HTTP proxy at `proxy`
/// (`GET http://host:port/`, no credentials): what the proxy passes on
/// of the gateway's first bytes, or its own answer.
async fn first_bytes_through(proxy: &Url, base: &Url) -> Option<PortBytes> {
    first_bytes(proxy, Some(base)).await
}

/// Connects to `at`, asks for `/` of `target` (of `at` itself when `None`)
/// and reads the first bytes, within 2 s each.
async fn first_bytes(at: &Url, target: Option<&Url>) -> Option<PortBytes> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let unbracket = |url: &Url| -> Option<String> {
        Some(
            url.host_str()?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        )
    };
    let host = unbracket(at)?;
    let port = at.port_or_known_default()?;
    let limit = Duration::from_secs(2);
    let mut stream =
        tokio::time::timeout(limit, tokio::net::TcpStream::connect((host.as_str(), port)))
            .await
            .ok()?
            .ok()?;
    let (path, host) = match target {
        Some(target) => {
            let mut root = target.clone();
            root.set_path("/");
            root.set_query(None);
            let at = match target.port() {
                Some(port) => format!("{}:{port}", target.host_str()?),
                None => target.host_str()?.to_owned(),
            };
            (root.to_string(), at)
        }
        None => ("/".to_owned(), host),
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return Some(PortBytes::Silent);
    }
    let mut first = [0u8; 64];
    let read = match tokio::time::timeout(limit, stream.read(&mut first)).await {
        Ok(Ok(n)) => n,
        _ => 0,
    };
    let first = &first[..read];
    Some(match first {
        [] => PortBytes::Silent,
        [0x15 | 0x16, 0x03, ..] => PortBytes::Tls,
        bytes if bytes.starts_with(b"HTTP/") => PortBytes::Http,
        bytes => {
            let line = String::from_utf8_lossy(bytes);
            let line = line.lines().next().unwrap_or_default();
            PortBytes::Other(crate::steps::sanitize(line).chars().take(40).collect())
        }
    })
}

/// What a call was, as its rejections read it.
struct CallKind {
    by_steps_id: bool,
    /// A simulator control call (`POST sim/…`).
    control: bool,
    /// A list asked for with the steps-cache reset.
    reset: bool,
    /// The call, when it is not the list by carAssociationID.
    other: Option<&'static str>,
    /// A status filter other than `all` was chosen.
    filtered: bool,
}

fn call_kind(method: &Method, path: &str, query: &[(&str, &str)]) -> CallKind {
    let by_steps_id = query.iter().any(|(key, _)| *key == wire::STEPS_ID_PARAM);
    CallKind {
        by_steps_id,
        control: *method == Method::POST && path.starts_with("sim/"),
        reset: query.contains(&(wire::RESET_PARAM, "true")),
        filtered: query
            .iter()
            .any(|(key, value)| *key == wire::STATUS_PARAM && *value != "all"),
        other: if path == wire::NEXT_PATH {
            Some(wire::NEXT_PATH)
        } else if path == wire::LIST_PATH && query.contains(&(wire::RESET_PARAM, "true")) {
            // A page to the reset alone says nothing of --api: the list
            // may work at this address.
            Some(wire::LIST_WITH_RESET)
        } else if path == wire::LIST_PATH && by_steps_id {
            Some(wire::LIST_BY_STEPS_ID)
        } else {
            None
        },
    }
}

pub(crate) use crate::net::retry_after;

/// The innermost cause, which says more than reqwest's outer message and
/// never contains the request's headers.
/// Whether a connection failed in name resolution (a link of the chain
/// says "dns error").
fn failed_in_dns(error: &reqwest::Error) -> bool {
    chain_has(error, "dns error")
}

/// Whether some error in the chain of `error` begins with `words`.
fn chain_has(error: &reqwest::Error, words: &str) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if e.to_string().starts_with(words) {
            return true;
        }
        source = e.source();
    }
    false
}

fn root_cause(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        source = next;
    }
    crate::steps::sanitize(&source.to_string())
}

/// A 429 after retries that each waited the gateway's `Retry-After`: the
/// wait it named has passed and it still limits, so its advice is no
/// longer "wait that long, then retry" (said as a wait of 0).
fn waited_out(error: GatewayError) -> GatewayError {
    match error {
        GatewayError::Rejected {
            status,
            kind: Rejection::TooManyRequests,
            body,
            retry_after: Some(_),
            proxy,
        } => GatewayError::Rejected {
            status,
            kind: Rejection::TooManyRequests,
            body,
            retry_after: Some(Duration::ZERO),
            proxy,
        },
        other => other,
    }
}

/// The base URL, with a trailing slash so that paths join under it: the
/// one reading of a gateway's address ([`crate::net::base_url`]), so every
/// command names the same cause for a bad one.
pub fn parse_base(raw: &str) -> Result<Url, GatewayError> {
    crate::net::base_url(raw).map_err(|e| match e {
        crate::net::BadBase::UserInfo => GatewayError::UserInfoInUrl,
        // The query is never shown: it may hold a key.
        crate::net::BadBase::Reason(reason) => GatewayError::BadUrl {
            url: match raw.split_once('?') {
                Some((base, _)) => format!("{base}?…"),
                None => raw.to_owned(),
            },
            reason,
        },
    })
}

fn path_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{redact_bytes, redact_bytes_any_case};

    /// Unless a debug build's test shortens it, the first back-off is
    /// 250 ms, then 500 ms: two retries.
    #[test]
    fn the_back_off_is_250_ms_unless_a_test_shortens_it() {
        assert!(std::env::var_os(TEST_BACKOFF_MS).is_none());
        let options = ClientOptions::default();
        assert_eq!(options.backoff, Duration::from_millis(250));
        assert_eq!(options.retries, 2);
    }

    #[test]
    fn base_urls_keep_their_path() {
        let url = parse_base("https://gateway.example/api").unwrap();
        assert_eq!(
            url.join("pims/subscription/steps").unwrap().as_str(),
            "https://gateway.example/api/pims/subscription/steps"
        );
        assert!(parse_base("ftp://x").is_err());
        assert!(parse_base("not a url").is_err());
        for (raw, reason) in [
            ("http://::1:49110", "ipv6 without brackets"),
            ("http://gw:8080:8080", "port twice"),
            ("http://gw:8080/api?apikey=s3cret", "query"),
            ("http://10.0.0.7:8080:8080/api", "port twice"),
            ("https://gateway.example:443:443", "port twice"),
            ("http://cafe::1:8080", "ipv6 without brackets"),
            ("http://fe80::1:8080/api", "ipv6 without brackets"),
            ("http://[fe80::1%eth0]:49110", "ipv6 zone"),
            ("http://[fe80::1%25eth0]:49110", "ipv6 zone"),
            ("http://[::1:46110", "ipv6 unclosed"),
            ("http://127.0.0.1:0", "invalid port number"),
        ] {
            assert!(
                matches!(parse_base(raw), Err(GatewayError::BadUrl { reason: r, .. }) if r == reason),
                "{raw}"
            );
        }
        assert!(parse_base("http://[::1]:49110").is_ok());
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let with = |value: &str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(reqwest::header::RETRY_AFTER, value.parse().unwrap());
            retry_after(&headers)
        };
        assert_eq!(with("120"), Some(Duration::from_secs(120)));
        let later = std::time::SystemTime::now() + Duration::from_secs(300);
        let wait = with(&httpdate::fmt_http_date(later)).unwrap();
        assert!(wait > Duration::from_secs(290) && wait <= Duration::from_secs(300));
        assert_eq!(with("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        assert_eq!(with("soon"), None);
        // Past what a number holds: the most that is read, an absurd wait.
        let absurd = Duration::from_secs(crate::net::MAX_HEADER_SECONDS);
        assert_eq!(with("99999999999999999999"), Some(absurd));
        assert_eq!(with("18446744073709551615"), Some(absurd));
    }

    /// Redaction ends and cannot panic: an empty token, or one that is part
    /// of the mask itself.
    #[test]
    fn redaction_cannot_panic_or_loop() {
        assert_eq!(redact_bytes(b"abc", b""), b"abc");
        assert_eq!(redact_bytes(b"e e", b"e"), b"<redacted> <redacted>");
        assert_eq!(redact_bytes(b"xactx", b"act"), b"x<redacted>x");
        assert_eq!(redact_bytes(b"TT", b"TT"), b"<redacted>");
        assert_eq!(
            redact_bytes_any_case(b"aXbxc", b"x"),
            b"a<redacted>b<redacted>c"
        );
        assert_eq!(redact_bytes_any_case(b"ab", b""), b"ab");
        let answer = Answer {
            status: StatusCode::NOT_FOUND,
            retry_after: None,
            body: b"red".to_vec(),
            proxy_mark: None,
            login_prompt: None,
            challenged: false,
            unseen: false,
            token_sent: true,
            scope_wanted: None,
            bearer_said: None,
            moved: None,
        };
        let redacted = redact_answer(answer, Some(&Secret::new("d")));
        assert_eq!(redacted.body, b"re<redacted>");
    }

    /// A token echoed cut short (most of it), or in base64, is masked too;
    /// a short common start of it is not.
    #[test]
    fn a_token_echoed_cut_short_or_in_base64_is_masked() {
        use base64::Engine as _;
        let token = b"tok_SECRET_9876";
        let said = |body: &[u8]| String::from_utf8(redact_secret(body, token)).unwrap();
        assert_eq!(said(b"(tok_SECRET_98)"), "(<redacted>)");
        assert_eq!(said(b"tok_SECRET_9876!"), "<redacted>!");
        assert_eq!(said(b"tok_SEC and tok_"), "tok_SEC and tok_");
        // From the end, or the middle.
        assert_eq!(said(b"tail ok_SECRET_9876"), "tail <redacted>");
        assert_eq!(said(b"mid SECRET_98."), "mid <redacted>.");
        // In hex, and in base64 of the Authorization header's value.
        let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(said(hex.as_bytes()), "<redacted>");
        let bearer = base64::engine::general_purpose::STANDARD.encode(b"Bearer tok_SECRET_9876");
        assert!(
            said(bearer.as_bytes()).starts_with("<redacted>"),
            "{bearer}"
        );
        // A long token: a run of 10 of its bytes anywhere is masked, 9 not.
        let long = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig-abcdefghijklmnop";
        let cut = |body: &[u8]| String::from_utf8(redact_secret(body, long)).unwrap();
        assert_eq!(cut(b"x ghijklmnop x"), "x <redacted> x");
        assert_eq!(cut(b"x hijklmnop x"), "x hijklmnop x");
        let b64 = base64::engine::general_purpose::STANDARD.encode(token);
        assert_eq!(said(format!("Basic {b64}").as_bytes()), "Basic <redacted>");
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token);
        assert_eq!(said(format!("[{url}]").as_bytes()), "[<redacted>]");
        // A short token is masked only where it stands whole.
        assert_eq!(
            String::from_utf8(redact_secret(b"abc abcd", b"abcd")).unwrap(),
            "abc <redacted>"
        );
    }
}
