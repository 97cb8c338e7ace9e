//! Signing in to a gateway: the OAuth 2.0 device authorization grant
//! (`device`), where tokens are kept (`store`), and the token source a
//! gateway client holds, which refreshes before expiry and once on a 401
//! (`refresh`). Tokens never reach a log, an error or the screen. The
//! commands a person types (`stepwise login` …) are in `crate::signin`.

pub mod code;
pub mod device;
pub mod discover;
pub mod lock;
pub mod refresh;
pub mod store;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::text::{Lang, num};
use crate::tr;

pub use refresh::TokenSource;
pub use store::{Choice, FileStep, Place, StoreError, TokenStore};

/// The client id stepwise presents when none is set (`--client-id`,
/// `client_id` in the config file).
pub use crate::wire::oauth::CLIENT_ID;

/// The scopes asked for when none are set and the gateway names none.
pub const DEFAULT_SCOPES: &str = "openid offline_access";

/// Names the identity provider (`--issuer`), before the config file.
pub const ENV_ISSUER: &str = "STEPWISE_ISSUER";

/// What a sign-in asks for, and of whom: set by `login`'s flags, the
/// environment (`STEPWISE_ISSUER`) and the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInOptions {
    /// The identity provider's issuer URL; else it is discovered from the gateway.
    pub issuer: Option<String>,
    /// The client id registered for stepwise; `stepwise` when not set.
    pub client_id: Option<String>,
    /// Space-separated scopes; else the gateway's, else [`DEFAULT_SCOPES`].
    pub scopes: Option<String>,
    /// The audience (RFC 8707 `resource`) the token is asked for.
    pub audience: Option<String>,
    /// Use the device grant even where a browser could be opened.
    pub device: bool,
}

impl SignInOptions {
    /// The client id to present.
    pub fn client_id(&self) -> &str {
        self.client_id.as_deref().unwrap_or(CLIENT_ID)
    }
}

/// Answers from identity providers are small; more than this is not read.
pub const MAX_AUTH_BODY: usize = 64 * 1024;

/// A kept login: the tokens and what is needed to refresh them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The lifetime the token was issued with, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u64>,
    /// Where to refresh it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The client id it was issued to (`stepwise` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The scopes asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The scopes the provider granted, where its token answer said them
    /// (RFC 6749 §5.1: when they differ from those asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<String>,
    /// The audience (RFC 8707 resource) asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Where to revoke it (RFC 7009), when the provider offers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// The provider ended this login (`invalid_grant`): its words,
    /// sanitised. Kept so that every process knows, and `auth status` says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<String>,
    /// A renewal was sent and its answer lost on the way (a connection
    /// closed or silent): the provider may have renewed, spending the
    /// refresh token kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renewal_lost: bool,
    /// The token came from a renewal, not from the sign-in itself: a grant
    /// short of a scope the sign-in got is a renewal's doing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renewed: bool,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("over", &self.over)
            .field("renewal_lost", &self.renewal_lost)
            .finish()
    }
}

impl Credential {
    /// A token given by hand (`login --with-token`): no expiry known, no refresh.
    pub fn given(token: &str) -> Self {
        Credential {
            access_token: token.to_owned(),
            refresh_token: None,
            // A JSON Web Token says when it ends: `auth status` shows it,
            // and an expired one is not called usable.
            expires_at: jwt_expiry(token).and_then(|exp| u64::try_from(exp).ok()),
            lifetime: None,
            token_endpoint: None,
            client_id: None,
            scope: None,
            granted: None,
            audience: None,
            revocation_endpoint: None,
            over: None,
            renewal_lost: false,
            renewed: false,
        }
    }

    /// The client id to present with this login's refresh and revocation.
    pub fn client_id(&self) -> &str {
        self.client_id.as_deref().unwrap_or(CLIENT_ID)
    }

    /// Notes what the sign-in asked for and where the login may be revoked.
    #[must_use]
    pub fn asked(
        mut self,
        options: &SignInOptions,
        scope: &str,
        revocation: Option<&url::Url>,
    ) -> Self {
        self.client_id = options.client_id.clone();
        self.scope = Some(scope.to_owned()).filter(|s| !s.is_empty());
        self.audience = options.audience.clone();
        self.revocation_endpoint = revocation.map(url::Url::to_string);
        self
    }

    /// A renewal's credential keeps what the sign-in asked for (client,
    /// scopes, audience, revocation); a renewal's answer that names no
    /// scopes keeps those granted before.
    pub(crate) fn keep_asked(&mut self, before: &Credential) {
        self.client_id.clone_from(&before.client_id);
        self.scope.clone_from(&before.scope);
        if self.granted.is_none() {
            self.granted.clone_from(&before.granted);
        }
        self.audience.clone_from(&before.audience);
        self.revocation_endpoint
            .clone_from(&before.revocation_endpoint);
    }

    /// A token a header can carry.
    pub fn is_usable(&self) -> bool {
        is_token_text(&self.access_token) && self.refresh_token.as_deref().is_none_or(is_token_text)
    }

    /// Seconds left before the access token expires (0 once expired).
    pub fn seconds_left(&self, now: u64) -> Option<u64> {
        self.expires_at.map(|at| at.saturating_sub(now))
    }

    /// The provider ended the login, or the access token has expired and
    /// nothing can renew it.
    pub fn is_spent(&self, now: u64) -> bool {
        self.over.is_some() || (self.seconds_left(now) == Some(0) && !self.can_refresh())
    }

    pub fn can_refresh(&self) -> bool {
        self.over.is_none() && self.refresh_token.is_some() && self.token_endpoint.is_some()
    }

    /// How long before expiry a refresh is due: a fifth of the lifetime,
    /// between 1 s and 60 s.
    pub fn refresh_margin(&self) -> u64 {
        self.lifetime.map_or(60, |l| (l / 5).clamp(1, 60))
    }

    /// The access token is expired or about to be.
    pub fn is_due(&self, now: u64) -> bool {
        self.seconds_left(now)
            .is_some_and(|left| left <= self.refresh_margin())
    }
}

/// Tokens are visible ASCII, at most 8 KiB: anything else cannot go in a
/// header and is refused rather than sent.
pub fn is_token_text(token: &str) -> bool {
    !token.is_empty() && token.len() <= 8192 && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A time in seconds since the epoch, as RFC 3339 (UTC).
pub fn rfc3339(at: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(at)).to_string()
}

/// The way of signing in that a provider offers besides the one it
/// refused, as a person starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherSignIn {
    /// In a browser (`stepwise login` on a machine with a desktop).
    Browser,
    /// With a code on another device (`stepwise login --device`).
    Device,
    /// None that stepwise knows of.
    None,
}

/// A failed sign-in or refresh. Data only: the words a person reads come
/// from `describe::auth_error`; `Display` is language-neutral, for logs.
/// Never holds a token or a device code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The identity provider's endpoints could not be found; says why.
    #[error("discovery: {0}")]
    Discovery(Discovery),
    /// A network setting the sign-in calls need cannot be used: the proxy
    /// variable that applies to a sign-in address, a CA file or a client
    /// certificate (its words name the setting and the fix; no provider
    /// was asked).
    #[error("{0}")]
    Setting(crate::net::NetError),
    /// The sign-in was refused (`access_denied`); the scopes asked for.
    #[error("access_denied")]
    Denied {
        scopes: String,
        /// The provider's own reason (`error_description`), sanitised.
        said: Option<String>,
    },
    /// The provider does not know the client id (`invalid_client`), or
    /// does not let it sign in this way; `other` is the other way it
    /// offers, if any.
    #[error("invalid_client {client_id}: {said}")]
    UnknownClient {
        client_id: String,
        said: String,
        other: OtherSignIn,
    },
    /// The provider does not know a scope asked for (`invalid_scope`): the
    /// scopes asked for, and what it said.
    #[error("invalid_scope {scopes}: {said}")]
    UnknownScope { scopes: String, said: String },
    /// The code expired before it was approved (`expired_token`).
    #[error("expired_token")]
    Expired,
    /// The login is over (`invalid_grant`, a spent login): only a new
    /// sign-in gets past it; says why.
    #[error("sign in again: {0}")]
    SignInAgain(Over),
    /// The identity provider answered something unusable; says what.
    #[error("provider: {0}")]
    Provider(ProviderProblem),
    /// A sign-in call through a proxy came back with the proxy's own
    /// answer (its 407, its error page) or none at all (`status` `None`:
    /// the proxy closed the connection): the identity provider was not
    /// asked, or it is not known whether it was.
    #[error("proxy {proxy} for {url}: {trouble:?}")]
    Proxy {
        url: String,
        proxy: String,
        from: &'static str,
        /// The proxy's URL carries a user name and password.
        credentials: bool,
        trouble: ProxyTrouble,
    },
    /// A code or token call refused with a page, not the provider's OAuth
    /// JSON (a 4xx HTML or text answer): a firewall, a web application
    /// firewall, or a reverse proxy or its login in front of the provider.
    #[error("refused in front of {url}: HTTP {status} {said}")]
    Fronted {
        url: String,
        status: u16,
        said: String,
    },
    /// A code or token call answered 404 or 410 in JSON without an OAuth
    /// error: no endpoint answers there (an API gateway's missing route,
    /// or an address the provider moved).
    #[error("no endpoint at {url}: HTTP {status}")]
    NoEndpoint { url: String, status: u16 },
    /// The identity provider could not be reached.
    #[error("unreachable {url}: {detail}")]
    Network {
        url: String,
        detail: String,
        /// The TLS failure, named, when the connection failed on it.
        tls: Option<crate::net::TlsProblem>,
    },
    /// The gateway itself could not be reached while its sign-in was
    /// being looked up (no identity provider is known yet).
    #[error("gateway unreachable {base}: {detail}")]
    GatewayUnreachable { base: String, detail: String },
    /// The gateway's TLS failed while its sign-in was being looked up.
    #[error("gateway TLS {base}: {problem:?}")]
    GatewayTls {
        base: String,
        problem: crate::net::TlsProblem,
    },
    /// The token store failed; says how.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What a proxy did with a sign-in call, in place of the provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyTrouble {
    /// Its own answer: the HTTP status and what it said (a page's title,
    /// squid's error), if anything.
    /// `wait`: the seconds its Retry-After asked, if any (stranger 84, CG6).
    /// `basic`: a 401 with a `Basic` challenge, a password the proxy
    /// variable can carry (stranger 86, CI7).
    Answered {
        status: u16,
        said: String,
        wait: Option<u64>,
        basic: bool,
    },
    /// Nothing answered at the proxy's own address: the call never left.
    Unreachable,
    /// It closed the call without an answer.
    Closed,
    /// No answer came in time.
    Silent,
    /// What came back is no valid HTTP.
    Garbled,
    /// Its 407 offers Windows sign-in only (Negotiate, NTLM), which no
    /// user name and password in the proxy variable answers.
    Windows,
    /// It did not open a tunnel (CONNECT) for an https:// address; with
    /// `wants_password`, it asked for a user name and password (407).
    Tunnel { wants_password: bool },
}

/// Why the gateway's sign-in endpoints cannot be used. Data only: the words
/// are made when shown by [`Discovery::words`] (through
/// `describe::auth_error`); `Display` is the English line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// An address the discovery document gives (sanitised) is not usable.
    Address {
        what: Endpoint,
        raw: String,
        why: AddressProblem,
    },
    /// The discovery answered an HTTP error other than 404.
    Status {
        gateway: String,
        status: u16,
        path: String,
    },
    /// The gateway took the connection, and its discovery document did
    /// not come in time.
    Silent { gateway: String, path: String },
    /// The metadata address the gateway's 401 names (RFC 9728 §5.1) could
    /// not be used: what it met there (a network failure's words, or its
    /// HTTP status).
    Named {
        gateway: String,
        url: String,
        met: NamedTrouble,
    },
    /// The discovery document is not JSON.
    NotJson { path: String },
    /// The identity provider's metadata (where --issuer, or the gateway,
    /// sent it) is not JSON.
    IssuerNotJson { url: String },
    /// The identity provider's metadata address answered a web page (a
    /// portal's, a web site's catch-all): its title, if any.
    IssuerPage { url: String, said: String },
    /// The discovery document lacks a field.
    Missing { field: &'static str },
    /// The identity provider's metadata (from its issuer) lacks a field.
    IssuerMissing { issuer: String, field: &'static str },
    /// The discovery got a web page with a 403 (a firewall's or a web
    /// application firewall's), never the gateway's answer: its status and
    /// title (stranger 60, BI6).
    Blocked {
        gateway: String,
        status: u16,
        said: String,
    },
    /// No discovery document (404 or nothing), with the last status.
    NotOffered {
        gateway: String,
        status: Option<u16>,
    },
    /// The gateway's own URL cannot be used; the words of its check.
    Gateway(String),
    /// The issuer's metadata names another issuer.
    IssuerMismatch { asked: String, got: String },
    /// The gateway's protected resource metadata (at `path`) is for
    /// another resource (`named`): not to be used (RFC 9728 §3.3).
    ResourceMismatch {
        gateway: String,
        path: String,
        named: String,
    },
    /// The issuer publishes no metadata under either well-known name.
    NoIssuerMetadata { issuer: String, status: u16 },
    /// The issuer's URL cannot be used (sanitised).
    BadIssuer { raw: String },
}

/// Why a login is over. Data only: the words are made when shown by
/// [`Over::words`] (through `describe::auth_error`); `Display` is the
/// English reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Over {
    /// The refresh was refused (`invalid_grant`): `said` is the provider's
    /// error, sanitised, the refresh token cut out.
    Revoked { gateway: String, said: String },
    /// As `Revoked`, after a renewal whose answer was lost on the way: the
    /// provider most likely renewed then, and the refresh token kept here
    /// is spent.
    Spent { gateway: String, said: String },
    /// The provider refuses the login's client id (`invalid_client`): a
    /// new sign-in with it is refused too.
    ClientRefused {
        gateway: String,
        client_id: String,
        said: String,
    },
    /// The provider does not let this client renew a login
    /// (`unauthorized_client`, `unsupported_grant_type`): each sign-in
    /// lasts as long as its token.
    NoRenewal {
        gateway: String,
        client_id: String,
        said: String,
    },
    /// The provider refused the renewal itself (`invalid_request`,
    /// `invalid_scope`, or another of its errors that no retry changes).
    RenewalRefused { gateway: String, said: String },
    /// The gateway refuses even a token refreshed for it (its bearer
    /// challenge's words, if any): it takes none of this provider's tokens
    /// as they are asked for.
    RefusedFresh {
        said: Option<String>,
        token: FreshToken,
    },
    /// The kept login names no usable token address.
    NoTokenAddress,
    /// Another stepwise found the login ended (the provider's words).
    Marked { gateway: String, said: String },
}

/// Why the metadata a gateway's 401 names cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedTrouble {
    /// The request failed (the network's words).
    Network(String),
    /// It answered this HTTP status.
    Status(u16),
    /// It answered a web page, not JSON metadata.
    Page,
    /// The address is no http(s) address.
    NotHttp,
    /// The document names no authorization server.
    NoServer,
}

/// The token a gateway refused in [`Over::RefusedFresh`], and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreshToken {
    /// Renewed for it after it refused the last.
    Renewed,
    /// Issued minutes ago by a sign-in, and not renewable.
    SignedIn,
    /// Either, refused with a Bearer challenge that names no error: by RFC
    /// 6750 §3.1 the request reached the gateway without a token.
    NotSeen,
}

impl Over {
    /// A login the store keeps ended, `said` its provider's answer: spent by
    /// an earlier renewal whose answer was lost (`renewal_lost`), the way
    /// the process that met the answer said it, else ended by the provider
    /// (stranger 53, BB5: one cause in every command).
    pub fn kept(gateway: String, said: String, renewal_lost: bool) -> Over {
        if renewal_lost {
            Over::Spent { gateway, said }
        } else {
            Over::Marked { gateway, said }
        }
    }

    /// Whether a new sign-in, with the settings as they are, gets past it:
    /// not when the provider refuses the client id, nor when the gateway
    /// refuses even a renewed token (its audience or scopes).
    pub fn sign_in_helps(&self) -> bool {
        !matches!(self, Over::ClientRefused { .. } | Over::RefusedFresh { .. })
    }

    /// Why a login is over, as the start of a sentence that says what to do.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            Over::Revoked { gateway, said } => tr!(
                lang,
                "err-over-revoked",
                gateway = gateway.clone(),
                said = said.clone()
            ),
            Over::Spent { gateway, said } => tr!(
                lang,
                "err-over-spent",
                gateway = gateway.clone(),
                said = said.clone()
            ),
            Over::Marked { gateway, said } => tr!(
                lang,
                "err-over-marked",
                gateway = gateway.clone(),
                said = said.clone()
            ),
            Over::ClientRefused {
                gateway,
                client_id,
                said,
            } => tr!(
                lang,
                "err-over-client-refused",
                gateway = gateway.clone(),
                client = client_id.clone(),
                said = said.clone()
            ),
            Over::NoRenewal {
                gateway,
                client_id,
                said,
            } => tr!(
                lang,
                "err-over-no-renewal",
                gateway = gateway.clone(),
                client = client_id.clone(),
                said = said.clone()
            ),
            Over::RenewalRefused { gateway, said } => tr!(
                lang,
                "err-over-renewal-refused",
                gateway = gateway.clone(),
                said = said.clone()
            ),
            Over::RefusedFresh { said, token } => {
                let why = match token {
                    FreshToken::Renewed => tr!(lang, "err-over-refused-fresh"),
                    FreshToken::SignedIn => tr!(lang, "err-over-refused-new"),
                    FreshToken::NotSeen => tr!(lang, "err-over-refused-unseen"),
                };
                match said {
                    Some(said) => {
                        format!("{why}. {}", tr!(lang, "gw-401-said", said = said.clone()))
                    }
                    None => why,
                }
            }
            Over::NoTokenAddress => tr!(lang, "err-over-no-token-address"),
        }
    }
}

impl std::fmt::Display for Over {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

/// Which of the provider's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    DeviceAuthorization,
    Token,
    Verification,
    Authorization,
    Revocation,
}

/// What is wrong with a provider's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressProblem {
    NotUrl,
    PlainHttpBehindHttps,
    NotHttp,
    NoHost,
}

/// What the identity provider answered that cannot be used. Never a token
/// or a device code: `said` is the provider's error, sanitised and with
/// what the request carried cut out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderProblem {
    TooLarge {
        url: String,
        kib: usize,
    },
    /// A sign-in call's answer came compressed (`encoding`), though none
    /// was asked: a proxy on the way (`proxy`, with the host to leave out
    /// of it), or something in front of the provider, compressed it
    /// (stranger 84, CG5). `status`: the answer's.
    Compressed {
        url: String,
        encoding: String,
        status: u16,
        proxy: Option<(String, String)>,
    },
    /// A sign-in call was answered with a redirect, not followed.
    Redirected {
        url: String,
        to: String,
    },
    CodeRefused {
        said: String,
    },
    /// The code was not given for now (429, 5xx), with the wait the
    /// provider asked in whole seconds, if it did.
    CodeBusy {
        said: String,
        wait: Option<u64>,
    },
    /// A renewal was sent to `url` and its answer lost (`why`): the
    /// provider may have renewed, spending the refresh token kept.
    RenewalLost {
        url: String,
        why: Box<AuthError>,
    },
    /// The provider's metadata was not given for now (429, 5xx), with the
    /// wait it asked in whole seconds, if it did.
    MetadataBusy {
        issuer: String,
        status: u16,
        wait: Option<u64>,
    },
    NotDeviceCode {
        url: String,
    },
    /// A device code answer without a member RFC 8628 requires.
    DeviceCodeLacks {
        url: String,
        member: &'static str,
    },
    BadDeviceCode,
    /// The user code (sanitised, cut short) cannot be shown safely.
    UnsafeUserCode {
        code: String,
    },
    NotTokenAnswer,
    NotBearer,
    TokenCharacters,
    /// The token answer's access_token is empty.
    EmptyToken,
    /// The provider ended the sign-in while it was polled.
    Stopped {
        said: String,
    },
    /// The token address does not serve the device grant at all
    /// (`unsupported_grant_type`): its words.
    GrantUnsupported {
        said: String,
    },
    /// The code lasts less than the wait asked before the first poll: it
    /// expires before it can be asked for once (seconds each).
    CodeTooShort {
        lives: u64,
        every: u64,
    },
    /// The provider said the code expired (`expired_token`) after `after`
    /// seconds, well before the `lives` seconds it gave it: its clock or
    /// its lifetime is off, which a new code meets again.
    CodeExpiredEarly {
        after: u64,
        lives: u64,
    },
    /// The device code's `expires_in` is zero or less: as written.
    CodeLifetimeNone {
        said: String,
    },
    /// Polling failed `times` times in a row (5xx); `page`: answered with
    /// a web page, something in front of the provider's.
    PollFailing {
        said: String,
        times: u32,
        page: bool,
        /// The wait the last answer asked (`Retry-After`), in seconds.
        wait: Option<u64>,
    },
    /// The provider limits requests (HTTP 429) and asks to wait `secs`,
    /// longer than the code lasts.
    Limited {
        secs: u64,
    },
    /// A refresh failed for a while without ending the login (the
    /// provider's 5xx, 429, `temporarily_unavailable`), with the wait it
    /// asked in whole seconds, if it did.
    RefreshFailed {
        said: String,
        wait: Option<u64>,
    },
    /// The task that opens the token store (`keeping` false) or keeps the
    /// token in it ended abnormally (the runtime's words).
    StoreTask {
        keeping: bool,
        detail: String,
    },
}

/// A provider's or the gateway's sign-in address refused: which, what is
/// wrong, and who can mend it.
fn address_words(lang: Lang, what: Endpoint, raw: &str, why: AddressProblem) -> String {
    let provider_s = what == Endpoint::Verification;
    let what = match what {
        Endpoint::DeviceAuthorization => tr!(lang, "err-signin-endpoint-device"),
        Endpoint::Token => tr!(lang, "err-signin-endpoint-token"),
        Endpoint::Verification => tr!(lang, "err-signin-endpoint-verification"),
        Endpoint::Authorization => tr!(lang, "err-signin-endpoint-authorization"),
        Endpoint::Revocation => tr!(lang, "err-signin-endpoint-revocation"),
    };
    let why = match why {
        AddressProblem::NotUrl => tr!(lang, "err-signin-address-not-url"),
        AddressProblem::PlainHttpBehindHttps => {
            tr!(lang, "err-signin-address-plain-http")
        }
        AddressProblem::NotHttp => tr!(lang, "err-signin-address-not-http"),
        AddressProblem::NoHost => tr!(lang, "err-signin-address-no-host"),
    };
    let url = format!("{raw:?}");
    // The device answer's address is the provider's own, not
    // one the gateway published.
    if provider_s {
        tr!(
            lang,
            "err-signin-address-provider",
            what = what,
            url = url,
            why = why
        )
    } else {
        tr!(
            lang,
            "err-signin-address",
            what = what,
            url = url,
            why = why
        )
    }
}

impl Discovery {
    /// One line: what, and what to do, in `lang`.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            Discovery::Address { what, raw, why } => address_words(lang, *what, raw, *why),
            Discovery::Status {
                gateway,
                status,
                path,
            } => tr!(
                lang,
                "err-signin-discovery-status",
                gateway = gateway.clone(),
                status = *status,
                path = path.clone()
            ),
            Discovery::Named { gateway, url, met } => tr!(
                lang,
                "err-signin-discovery-named",
                gateway = gateway.clone(),
                url = url.clone(),
                met = match met {
                    NamedTrouble::Network(detail) => detail.clone(),
                    NamedTrouble::Status(status) => format!("HTTP {status}"),
                    NamedTrouble::Page => tr!(lang, "named-met-page"),
                    NamedTrouble::NotHttp => tr!(lang, "named-met-not-http"),
                    NamedTrouble::NoServer => tr!(lang, "named-met-no-server"),
                }
            ),
            Discovery::Silent { gateway, path } => tr!(
                lang,
                "err-signin-discovery-silent",
                gateway = gateway.clone(),
                path = path.clone()
            ),
            Discovery::NotJson { path } => {
                tr!(lang, "err-signin-discovery-not-json", path = path.clone())
            }
            Discovery::IssuerNotJson { url } => {
                tr!(lang, "err-signin-issuer-not-json", url = url.clone())
            }
            Discovery::Blocked {
                gateway,
                status,
                said,
            } => tr!(
                lang,
                "err-signin-discovery-blocked",
                gateway = gateway.clone(),
                status = *status,
                said = if said.is_empty() {
                    String::new()
                } else {
                    format!(" ({said})")
                }
            ),
            Discovery::IssuerPage { url, said } => tr!(
                lang,
                "err-signin-issuer-page",
                url = url.clone(),
                said = if said.is_empty() {
                    String::new()
                } else {
                    format!(" ({said})")
                }
            ),
            Discovery::Missing { field } => {
                tr!(lang, "err-signin-discovery-missing", field = *field)
            }
            Discovery::IssuerMissing { issuer, field } => tr!(
                lang,
                "err-signin-issuer-missing",
                issuer = issuer.clone(),
                field = *field
            ),
            Discovery::NotOffered {
                gateway,
                status: Some(status),
            } => tr!(
                lang,
                "err-signin-not-offered-status",
                gateway = gateway.clone(),
                status = *status
            ),
            Discovery::NotOffered {
                gateway,
                status: None,
            } => tr!(lang, "err-signin-not-offered", gateway = gateway.clone()),
            Discovery::Gateway(why) => why.clone(),
            Discovery::ResourceMismatch {
                gateway,
                path,
                named,
            } => tr!(
                lang,
                "err-signin-resource-mismatch",
                gateway = gateway.clone(),
                path = path.clone(),
                named = format!("{named:?}")
            ),
            // No issuer named at all: none to compare.
            Discovery::IssuerMismatch { asked, got } if got.is_empty() => {
                tr!(lang, "err-signin-issuer-unnamed", asked = asked.clone())
            }
            Discovery::IssuerMismatch { asked, got } => tr!(
                lang,
                "err-signin-issuer-mismatch",
                asked = asked.clone(),
                got = got.clone()
            ),
            Discovery::NoIssuerMetadata { issuer, status } => tr!(
                lang,
                "err-signin-issuer-none",
                issuer = issuer.clone(),
                status = *status
            ),
            Discovery::BadIssuer { raw } => {
                tr!(lang, "err-signin-issuer-bad", issuer = format!("{raw:?}"))
            }
        }
    }
}

/// A device sign-in given up after `times` failing polls: the provider's,
/// or something's in front of it (`page`), with the wait it asked.
fn poll_failing_words(lang: Lang, said: &str, times: u32, page: bool, wait: Option<u64>) -> String {
    let (said, times) = (said.to_owned(), num(times as usize));
    // The wait the provider asked, else a minute.
    let wait = crate::text::duration(lang, wait.unwrap_or(60));
    if page {
        tr!(
            lang,
            "err-signin-poll-failing-page",
            said = said,
            times = times,
            wait = wait
        )
    } else {
        tr!(
            lang,
            "err-signin-poll-failing",
            said = said,
            times = times,
            wait = wait
        )
    }
}

/// A sign-in answer that came compressed, through `proxy` (and the host
/// to leave out of it) or not.
fn compressed_words(
    lang: Lang,
    url: &str,
    encoding: &str,
    proxy: Option<&(String, String)>,
) -> String {
    match proxy {
        Some((proxy, host)) => tr!(
            lang,
            "err-signin-compressed-proxy",
            url = url.to_owned(),
            encoding = encoding.to_owned(),
            proxy = proxy.clone(),
            host = host.clone()
        ),
        None => tr!(
            lang,
            "err-signin-compressed",
            url = url.to_owned(),
            encoding = encoding.to_owned()
        ),
    }
}

impl ProviderProblem {
    /// One line: what, and what to do, in `lang`.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            ProviderProblem::RenewalLost { url, .. } => {
                tr!(lang, "err-signin-renewal-lost", url = url.clone())
            }
            ProviderProblem::TooLarge { url, kib } => tr!(
                lang,
                "err-signin-too-large",
                url = url.clone(),
                kib = num(*kib)
            ),
            ProviderProblem::Compressed {
                url,
                encoding,
                proxy,
                ..
            } => compressed_words(lang, url, encoding, proxy.as_ref()),
            ProviderProblem::Redirected { url, to } => tr!(
                lang,
                "err-signin-redirected",
                url = url.clone(),
                to = to.clone()
            ),
            ProviderProblem::CodeRefused { said } => {
                tr!(lang, "err-signin-code-refused", said = said.clone())
            }
            ProviderProblem::CodeBusy { said, wait: None } => {
                tr!(lang, "err-signin-code-busy", said = said.clone())
            }
            ProviderProblem::CodeBusy {
                said,
                wait: Some(secs),
            } => tr!(
                lang,
                "err-signin-code-busy-wait",
                said = said.clone(),
                wait = crate::text::duration(lang, *secs)
            ),
            ProviderProblem::MetadataBusy {
                issuer,
                status,
                wait: None,
            } => tr!(
                lang,
                "err-signin-metadata-busy",
                issuer = issuer.clone(),
                status = *status
            ),
            ProviderProblem::MetadataBusy {
                issuer,
                status,
                wait: Some(secs),
            } => tr!(
                lang,
                "err-signin-metadata-busy-wait",
                issuer = issuer.clone(),
                status = *status,
                wait = crate::text::duration(lang, *secs)
            ),
            ProviderProblem::NotDeviceCode { url } => {
                tr!(lang, "err-signin-not-device-code", url = url.clone())
            }
            ProviderProblem::BadDeviceCode => tr!(lang, "err-signin-bad-device-code"),
            ProviderProblem::UnsafeUserCode { code } => tr!(
                lang,
                "err-signin-unsafe-user-code",
                code = format!("{code:?}")
            ),
            ProviderProblem::NotTokenAnswer => tr!(lang, "err-signin-not-token-answer"),
            ProviderProblem::NotBearer => tr!(lang, "err-signin-not-bearer"),
            ProviderProblem::TokenCharacters => tr!(lang, "err-signin-token-characters"),
            ProviderProblem::EmptyToken => tr!(lang, "err-signin-token-empty"),
            ProviderProblem::DeviceCodeLacks { url, member } => tr!(
                lang,
                "err-signin-device-code-lacks",
                url = url.clone(),
                member = *member
            ),
            ProviderProblem::Stopped { said } => {
                tr!(lang, "err-signin-stopped", said = said.clone())
            }
            ProviderProblem::PollFailing {
                said,
                times,
                page,
                wait,
            } => poll_failing_words(lang, said, *times, *page, *wait),
            ProviderProblem::GrantUnsupported { said } => {
                tr!(lang, "err-signin-grant-unsupported", said = said.clone())
            }
            p @ (ProviderProblem::CodeLifetimeNone { .. }
            | ProviderProblem::CodeExpiredEarly { .. }
            | ProviderProblem::CodeTooShort { .. }) => code_life_words(lang, p),
            ProviderProblem::Limited { secs } => tr!(
                lang,
                "err-signin-limited",
                wait = crate::text::duration(lang, *secs)
            ),
            ProviderProblem::RefreshFailed { said, wait: None } => {
                tr!(lang, "err-signin-refresh-failed", said = said.clone())
            }
            ProviderProblem::RefreshFailed {
                said,
                wait: Some(secs),
            } => tr!(
                lang,
                "err-signin-refresh-failed-wait",
                said = said.clone(),
                secs = *secs
            ),
            ProviderProblem::StoreTask {
                keeping: true,
                detail,
            } => tr!(lang, "err-signin-keeping-failed", detail = detail.clone()),
            ProviderProblem::StoreTask {
                keeping: false,
                detail,
            } => tr!(lang, "err-signin-opening-failed", detail = detail.clone()),
        }
    }
}

impl std::fmt::Display for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl std::fmt::Display for ProviderProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl AuthError {
    /// The sign-in is over: a new `stepwise login` is the only way on.
    /// Not where a new sign-in as it is would get the same (a client id
    /// the provider refuses, tokens the gateway does not take): the
    /// settings change first.
    pub fn needs_login(&self) -> bool {
        matches!(self, AuthError::SignInAgain(why) if why.sign_in_helps())
    }

    /// Whether the same sign-in, started again unchanged, may get through:
    /// the network, a code that expired or was refused in the browser, a
    /// provider that stopped this one sign-in or failed for a while. Not a
    /// client id, scopes or an address to correct, nor an unusable answer.
    pub fn retry_may_help(&self) -> bool {
        match self {
            AuthError::SignInAgain(why) => why.sign_in_helps(),
            AuthError::Expired
            | AuthError::Denied { .. }
            | AuthError::GatewayUnreachable { .. } => true,
            AuthError::Network { tls, .. } => tls.is_none(),
            // A proxy's login or policy stays until the settings change; a
            // closed connection or its 5xx may pass.
            AuthError::Proxy { trouble, .. } => match trouble {
                ProxyTrouble::Answered { status, .. } => *status >= 500,
                ProxyTrouble::Closed | ProxyTrouble::Silent | ProxyTrouble::Unreachable => true,
                ProxyTrouble::Garbled | ProxyTrouble::Windows | ProxyTrouble::Tunnel { .. } => {
                    false
                }
            },
            AuthError::GatewayTls { .. } => false,
            AuthError::Discovery(Discovery::Status { status, .. }) => {
                *status >= 500 || *status == 429
            }
            AuthError::Discovery(Discovery::Silent { .. }) => true,
            AuthError::Provider(why) => matches!(
                why,
                ProviderProblem::CodeRefused { .. }
                    | ProviderProblem::CodeBusy { .. }
                    | ProviderProblem::MetadataBusy { .. }
                    | ProviderProblem::RenewalLost { .. }
                    | ProviderProblem::Stopped { .. }
                    | ProviderProblem::PollFailing { .. }
                    | ProviderProblem::Limited { .. }
                    | ProviderProblem::RefreshFailed { .. }
                    | ProviderProblem::StoreTask { .. }
            ),
            AuthError::Discovery(_)
            | AuthError::Setting(_)
            | AuthError::Fronted { .. }
            | AuthError::NoEndpoint { .. }
            | AuthError::UnknownClient { .. }
            | AuthError::UnknownScope { .. }
            | AuthError::Store(_) => false,
        }
    }
}

/// A login kept for one gateway, where it was found, and the store to write
/// refreshed tokens back to.
#[derive(Debug, Clone)]
pub struct KeptLogin {
    pub gateway: String,
    pub credential: Credential,
    pub place: Place,
    pub store: TokenStore,
}

impl KeptLogin {
    /// The login kept for `api`, if any. Opening the keyring may take a
    /// moment (D-Bus); it is bounded. Called before the runtime starts.
    /// A gateway URL that is no http(s) URL has no login (the caller has
    /// refused it already); a store that cannot be read is its error.
    pub fn load(api: &str, data_dir: Option<&std::path::Path>) -> Result<Option<Self>, StoreError> {
        let Ok(gateway) = gateway_key(api) else {
            return Ok(None);
        };
        let store = TokenStore::open(Choice::from_env()?, data_dir)?;
        Ok(store.load(&gateway)?.map(|(credential, place)| KeptLogin {
            gateway,
            credential,
            place,
            store,
        }))
    }

    /// The token source a gateway client holds for this login.
    pub fn source(&self) -> TokenSource {
        TokenSource::login(
            self.gateway.clone(),
            self.credential.clone(),
            Some(self.store.clone()),
        )
    }
}

impl From<StoreError> for String {
    fn from(e: StoreError) -> Self {
        e.to_string()
    }
}

/// The key a login is kept under: the gateway's base URL, normalised (read
/// as the client reads it, so a bad one is refused with the same cause).
pub fn gateway_key(api: &str) -> Result<String, crate::net::BadBase> {
    crate::net::base_url(api).map(|url| url.to_string())
}

/// The `exp` claim of a JSON Web Token, when the token is one: read to say
/// when it ends, never trusted for anything else (the gateway checks it).
pub fn jwt_expiry(token: &str) -> Option<i64> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()
}

/// The words of a device code whose life is off: none by its answer,
/// said expired early, or shorter than the first wait.
fn code_life_words(lang: Lang, problem: &ProviderProblem) -> String {
    match problem {
        ProviderProblem::CodeLifetimeNone { said } => {
            tr!(lang, "err-signin-code-lifetime-none", said = said.clone())
        }
        ProviderProblem::CodeExpiredEarly { after, lives } => tr!(
            lang,
            "err-signin-code-expired-early",
            after = crate::text::duration(lang, *after),
            lives = crate::text::duration(lang, *lives)
        ),
        ProviderProblem::CodeTooShort { lives, every } => tr!(
            lang,
            "err-signin-code-too-short",
            lives = crate::text::duration(lang, *lives),
            every = crate::text::duration(lang, *every)
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An issuer that the gateway's metadata named, not one given here:
    /// the words say to tell the gateway's operator, not only "check
    /// --issuer", which was never set.
    #[test]
    fn an_issuer_the_gateway_named_is_not_blamed_on_issuer_settings() {
        for problem in [
            Discovery::IssuerMismatch {
                asked: "http://127.0.0.1:46197".into(),
                got: "https://other.example".into(),
            },
            Discovery::NoIssuerMetadata {
                issuer: "http://127.0.0.1:46197".into(),
                status: 404,
            },
        ] {
            let words = problem.words(Lang::En);
            assert!(
                words.contains("if one is given, else tell the gateway's operator"),
                "{words}"
            );
        }
    }

    #[test]
    fn credentials_never_print_their_tokens() {
        let mut c = Credential::given("acc-123");
        c.refresh_token = Some("ref-456".into());
        let text = format!("{c:?}");
        assert!(
            !text.contains("acc-123") && !text.contains("ref-456"),
            "{text}"
        );
    }

    #[test]
    fn refresh_is_due_a_fifth_of_the_lifetime_before_expiry() {
        let mut c = Credential::given("a");
        assert!(!c.is_due(100), "no expiry known: never due");
        c.expires_at = Some(1000);
        c.lifetime = Some(3600);
        assert_eq!(c.refresh_margin(), 60);
        assert!(!c.is_due(939));
        assert!(c.is_due(940));
        c.lifetime = Some(5);
        assert_eq!(c.refresh_margin(), 1);
        assert!(!c.is_due(998));
        assert!(c.is_due(999));
        assert!(c.is_spent(1000));
        c.refresh_token = Some("r".into());
        c.token_endpoint = Some("http://x/token".into());
        assert!(!c.is_spent(1000));
    }

    /// Metadata that names no issuer is said so, never "calls itself :"
    /// (stranger 40, AO12).
    #[test]
    fn metadata_without_an_issuer_is_said_to_name_none() {
        let words = Discovery::IssuerMismatch {
            asked: "http://idp.example".into(),
            got: String::new(),
        }
        .words(crate::text::Lang::En);
        assert!(words.contains("names no issuer"), "{words}");
        assert!(!words.contains("calls itself"), "{words}");
    }

    /// The verification address comes in the provider's device answer:
    /// refused, it is said as the provider's, never as one the gateway
    /// published with advice to keep a fixed token (stranger 42, AQ6).
    #[test]
    fn a_refused_verification_address_is_the_provider_s() {
        let said = |what| {
            Discovery::Address {
                what,
                raw: "javascript:alert(1)".into(),
                why: AddressProblem::NotHttp,
            }
            .words(crate::text::Lang::En)
        };
        let words = said(Endpoint::Verification);
        assert!(
            words.starts_with("the identity provider's sign-in verification address"),
            "{words}"
        );
        assert!(
            !words.contains("gateway") && !words.contains("--with-token"),
            "{words}"
        );
        let words = said(Endpoint::Token);
        assert!(words.starts_with("the gateway's sign-in"), "{words}");
    }

    #[test]
    fn an_identity_provider_s_bad_answer_names_the_issuer_first() {
        let problem = ProviderProblem::NotDeviceCode {
            url: "http://idp.example/device".into(),
        };
        let words = problem.words(crate::text::Lang::En);
        assert!(
            words.contains("Check the issuer's address (--issuer, STEPWISE_ISSUER"),
            "{words}"
        );
        assert!(
            words.ends_with("else tell the gateway's operator"),
            "{words}"
        );
    }

    #[test]
    fn gateway_keys_are_normalised() {
        assert_eq!(
            gateway_key(" http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            gateway_key("https://g.example/api#top").unwrap(),
            "https://g.example/api/"
        );
        // A query would never be sent: refused, not dropped.
        assert!(gateway_key("https://g.example/api?x=1").is_err());
        assert!(gateway_key("ftp://x").is_err());
    }

    #[test]
    fn tokens_are_header_safe() {
        assert!(is_token_text("abc.DEF-123_~+/="));
        assert!(!is_token_text(""));
        assert!(!is_token_text("a b"));
        assert!(!is_token_text("a\nb"));
        assert!(!is_token_text("é"));
    }
}
