//! The network between the technician and the gateway: proxies from the
//! environment, extra trusted roots, a client certificate, the one rustls
//! configuration every connection uses, and TLS failures named in words.

use std::error::Error as StdError;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, DigitallySignedStruct, SignatureScheme};
use url::Url;

use crate::text::Lang;
use crate::tr;

/// Environment variable naming an extra CA file (PEM).
pub const ENV_CA_FILE: &str = "STEPWISE_CA_FILE";
/// The conventional variable for a CA bundle; its roots are added too.
pub const ENV_SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// What shapes the connections: proxies, extra roots, a client certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetOptions {
    /// Extra trusted roots (PEM, one certificate or many), added to the
    /// operating system's.
    pub ca_file: Option<PathBuf>,
    /// Where `ca_file` was given, named when it cannot be used.
    pub ca_from: CaFrom,
    /// Client certificate (PEM); it may hold the key as well.
    pub client_cert: Option<PathBuf>,
    /// Private key of the client certificate (PEM), when not in the same file.
    pub client_key: Option<PathBuf>,
    /// The client certificate and key come from the config file
    /// (`client_cert`, `client_key`), not from flags.
    pub client_from_config: bool,
    pub proxy: ProxyEnv,
}

/// Where the CA file was given: the message names that setting, so that
/// the one at fault is the one corrected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaFrom {
    /// `--ca-file`.
    #[default]
    Flag,
    /// `STEPWISE_CA_FILE`.
    Env,
    /// `ca_file` in the config file.
    Config,
    /// `SSL_CERT_FILE`, set by other tools' setups.
    SslCertFile,
}

/// Proxy settings as read from the environment once, so that the decision
/// for a URL is made by one function: the one used to connect and the one
/// named in errors and by `doctor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub http: Option<ProxyVar>,
    pub https: Option<ProxyVar>,
    pub all: Option<ProxyVar>,
    pub no_proxy: Option<String>,
}

/// A proxy variable: its name and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyVar {
    pub name: &'static str,
    pub value: String,
}

/// The proxy a URL goes through, and the variable that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyChoice {
    pub url: Url,
    pub from: &'static str,
}

impl ProxyChoice {
    /// The proxy's address without any user name or password in it, with
    /// its port even when the variable gave none (the one assumed is said).
    pub fn shown(&self) -> String {
        let shown = redact_userinfo(&self.url);
        match (self.url.port(), self.url.port_or_known_default()) {
            (None, Some(port)) if self.url.path() == "/" && self.url.query().is_none() => {
                format!("{shown}:{port}")
            }
            _ => shown,
        }
    }
}

fn env_pair(lower: &'static str, upper: &'static str) -> Option<(String, &'static str)> {
    [lower, upper].into_iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .map(|v| (v, name))
    })
}

/// Keeps the process's `no_proxy`/`NO_PROXY` (the one read) for the
/// advice messages give (see [`crate::text::hold_no_proxy`]).
pub fn hold_no_proxy() {
    if let Some((list, name)) = env_pair("no_proxy", "NO_PROXY") {
        crate::text::hold_no_proxy(Some(&list), name);
    }
}

impl ProxyEnv {
    /// Reads `https_proxy`, `http_proxy`, `all_proxy` and `no_proxy`, lower
    /// case first, then upper case.
    pub fn from_env() -> Self {
        let tagged =
            |lower, upper| env_pair(lower, upper).map(|(value, name)| ProxyVar { name, value });
        ProxyEnv {
            http: tagged("http_proxy", "HTTP_PROXY"),
            https: tagged("https_proxy", "HTTPS_PROXY"),
            all: tagged("all_proxy", "ALL_PROXY"),
            no_proxy: env_pair("no_proxy", "NO_PROXY").map(|(v, _)| v),
        }
    }

    /// Settings that name a proxy for both schemes (tests, explicit setups).
    pub fn with_proxy(proxy: &str, no_proxy: Option<&str>) -> Self {
        ProxyEnv {
            http: None,
            https: None,
            all: Some(ProxyVar {
                name: "ALL_PROXY",
                value: proxy.to_owned(),
            }),
            no_proxy: no_proxy.map(str::to_owned),
        }
    }

    /// The proxy for `url`, or `None` for a direct connection.
    pub fn proxy_for(&self, url: &Url) -> Result<Option<ProxyChoice>, NetError> {
        let specific = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        };
        let Some(var) = specific.or(self.all.as_ref()) else {
            return Ok(None);
        };
        if let (Some(list), Some(host)) = (&self.no_proxy, url.host_str())
            && no_proxy_matches(list, host)
        {
            return Ok(None);
        }
        let (from, value) = (var.name, var.value.as_str());
        let with_scheme = if value.contains("://") {
            value.to_owned()
        } else {
            format!("http://{value}")
        };
        let bad = |why| NetError::Proxy { from, why };
        // A name or password with a backslash (DOMAIN\user), a slash, `?` or `#`
        // would move the host into them: refused before it is parsed (and
        // never shown).
        if has_user_info(&with_scheme)
            && let Some((before, _)) = with_scheme.rsplit_once('@')
            && before
                .split_once("://")
                .is_some_and(|(_, info)| info.contains(['\\', '/', '?', '#']))
        {
            return Err(bad(ProxyProblem::UserInfoChars));
        }
        if with_scheme
            .split_once("://")
            .is_some_and(|(_, rest)| rest.starts_with('[') && !rest.contains(']'))
        {
            return Err(bad(ProxyProblem::NotUrl("ipv6 unclosed".into())));
        }
        let parsed = Url::parse(&with_scheme)
            .map_err(|e| bad(ProxyProblem::NotUrl(crate::steps::sanitize(&e.to_string()))))?;
        if parsed.scheme() != "http" {
            return Err(bad(ProxyProblem::Scheme(crate::steps::sanitize(
                parsed.scheme(),
            ))));
        }
        if parsed.host_str().is_none() {
            return Err(bad(ProxyProblem::NoHost));
        }
        if parsed.port() == Some(0) {
            return Err(bad(ProxyProblem::NotUrl("invalid port number".into())));
        }
        Ok(Some(ProxyChoice { url: parsed, from }))
    }
}

/// Whether `host` (a name, an address, an IPv6 one in brackets or not) is
/// this machine's own: a loopback address, or `localhost` and its
/// subdomains. A proxy reaches such an address only if it runs here too.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let name = bare.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// `NO_PROXY` matching: `*` matches all; an entry matches the host itself and
/// its subdomains (a leading dot is allowed); IP addresses match exactly, and
/// `ADDR/BITS` matches a network. Ports in entries are ignored.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host_lower = host.to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    // Commas, and also the ';' and spaces of Windows' own bypass list, which
    // a technician copies from the PC's proxy settings.
    list.split([',', ';', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            // Windows' `<local>`: a name without a dot (an intranet name).
            if entry.eq_ignore_ascii_case("<local>") {
                return host_ip.is_none() && !host.contains('.');
            }
            // An entry written as a URL (`http://127.0.0.1/`) counts for
            // its host: that is what its writer meant.
            let entry = match entry.split_once("://") {
                Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
                None => entry,
            };
            // Windows' wildcards: `*.example.com` is a domain, `10.*` or
            // `127.0.*` a prefix of the host as written.
            let entry = entry.strip_prefix('*').unwrap_or(entry);
            if let Some(prefix) = entry.strip_suffix('*') {
                return !prefix.is_empty() && host_lower.starts_with(&prefix.to_ascii_lowercase());
            }
            if let Some((net, bits)) = entry.split_once('/') {
                return match (net.parse::<IpAddr>(), bits.parse::<u8>(), host_ip) {
                    (Ok(net), Ok(bits), Some(ip)) => in_network(ip, net, bits),
                    _ => false,
                };
            }
            let entry = entry.trim_start_matches('[');
            let entry = match entry.split_once(']') {
                Some((ip, _)) => ip,
                None if entry.matches(':').count() == 1 => entry.split(':').next().unwrap_or(entry),
                None => entry,
            };
            if let (Ok(ip), Some(host_ip)) = (entry.parse::<IpAddr>(), host_ip) {
                return ip == host_ip;
            }
            let domain = entry.trim_start_matches('.').to_ascii_lowercase();
            !domain.is_empty()
                && (host_lower == domain || host_lower.ends_with(&format!(".{domain}")))
        })
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Whether a URL carries a user name or password (`user:pw@host`). Checked
/// on the text, so that even a URL that does not parse is caught before it
/// is shown anywhere.
pub fn has_user_info(raw: &str) -> bool {
    let rest = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return true;
    }
    // A password with '/', '?' or '#' in it ends the authority early
    // ("user:pa/ss@host"): a plain name before its ':', and after it no
    // port followed by a path.
    let Some((before, _)) = rest.rsplit_once('@') else {
        return false;
    };
    let Some((name, secret)) = before.split_once(':') else {
        return false;
    };
    let digits = secret.chars().take_while(char::is_ascii_digit).count();
    let port_then_path = digits > 0 && secret[digits..].starts_with(['/', '?', '#']);
    !name.is_empty() && !name.contains(['/', '?', '#']) && !port_then_path
}

/// Why a gateway's address cannot be used: it holds a user name or
/// password (never shown), or the reason, as [`url_reason`] words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadBase {
    UserInfo,
    Reason(String),
}

impl std::fmt::Display for BadBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadBase::UserInfo => f.write_str("the gateway URL has a user name or password in it"),
            BadBase::Reason(reason) => f.write_str(reason),
        }
    }
}

/// A gateway's base URL, with a trailing slash so that paths join under it:
/// the one reading of its address (the client, doctor, the kept logins'
/// keys), so every command names the same cause for a bad one.
pub fn base_url(raw: &str) -> Result<Url, BadBase> {
    if has_user_info(raw) {
        // Refused before anything shows the URL: it holds a password.
        return Err(BadBase::UserInfo);
    }
    let bad = BadBase::Reason;
    // An IPv6 address: without its brackets, or with a zone (`%eth0`) that
    // a URL's host cannot carry here.
    let host = raw.trim().split_once("://").map_or("", |(_, rest)| rest);
    // A name or an IPv4 address then two ports (`gw:8080:8080`): no IPv6
    // address starts with a dot or a letter past `f`.
    let authority = host.split(['/', '?', '#']).next().unwrap_or_default();
    let mut parts = authority.split(':');
    let first = parts.next().unwrap_or_default();
    let ports: Vec<&str> = parts.collect();
    if ports.len() > 1
        && first.contains(|c: char| c == '.' || (c.is_ascii_alphabetic() && !c.is_ascii_hexdigit()))
        && ports
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad("port twice".into()));
    }
    if host.starts_with(':')
        || host
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|h| !h.starts_with('[') && h.matches(':').count() > 1)
    {
        return Err(bad("ipv6 without brackets".into()));
    }
    if host.starts_with('[') && host.split(']').next().is_some_and(|h| h.contains('%')) {
        return Err(bad("ipv6 zone".into()));
    }
    if host.starts_with('[') && !host.contains(']') {
        return Err(bad("ipv6 unclosed".into()));
    }
    let mut url = Url::parse(raw.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https are supported".into()));
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(bad("it has no host".into()));
    }
    if url.port() == Some(0) {
        return Err(bad("invalid port number".into()));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    // A query would never be sent (every call sets its own): refused, so
    // that a key in it is not silently dropped and a 401 blamed on the token.
    if url.query().is_some() {
        return Err(bad("query".into()));
    }
    url.set_fragment(None);
    Ok(url)
}

/// Why a URL is not usable, in the reader's language: the URL parser's
/// words and the client's own, where they are known.
pub fn url_reason(lang: Lang, reason: &str) -> String {
    match reason {
        "empty host" | "it has no host" => tr!(lang, "url-no-host"),
        "invalid port number" => tr!(lang, "url-bad-port"),
        "invalid IPv4 address" | "invalid IPv6 address" => tr!(lang, "url-bad-ip"),
        "invalid international domain name" | "invalid domain character" => {
            tr!(lang, "url-bad-host")
        }
        "relative URL without a base" => tr!(lang, "url-not-absolute"),
        "ipv6 without brackets" => tr!(lang, "url-ipv6-brackets"),
        "port twice" => tr!(lang, "url-port-twice"),
        "query" => tr!(lang, "url-query"),
        "ipv6 zone" => tr!(lang, "url-ipv6-zone"),
        "ipv6 unclosed" => tr!(lang, "url-ipv6-unclosed"),
        "only http and https are supported" => tr!(lang, "url-not-http"),
        other => other.to_owned(),
    }
}

/// A URL as it may be shown: without user name and password.
pub fn redact_userinfo(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    // An '@' after the host: a password the parser took for a path.
    if url.path().contains('@') || url.query().is_some_and(|q| q.contains('@')) {
        shown.set_path("");
        shown.set_query(None);
        shown.set_fragment(None);
    }
    crate::steps::sanitize(shown.as_str().trim_end_matches('/'))
}

/// A network setting that cannot be used. Data only: the words a person
/// reads, one line with what to do, are made when shown by
/// [`NetError::words`] in the chosen language (through
/// `describe::net_error`); `Display` is that line in English (logs,
/// doctor's language-neutral JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// `--ca-file` (or `ca_file`, `SSL_CERT_FILE`).
    CaFile {
        path: String,
        why: PemProblem,
        from: CaFrom,
    },
    /// `--client-cert`.
    ClientCert {
        path: String,
        why: PemProblem,
    },
    /// The key was looked for in the certificate's own file, for want of
    /// `--client-key`, and is not there or not usable.
    KeyNotInCert {
        path: String,
        why: PemProblem,
    },
    /// `--client-key`.
    ClientKey {
        path: String,
        why: PemProblem,
    },
    KeyMismatch {
        cert: String,
        key: String,
    },
    KeyWithoutCert {
        key: String,
        /// `client_key` in the config file, not --client-key.
        from_config: bool,
    },
    /// A proxy variable that cannot be used.
    Proxy {
        from: &'static str,
        why: ProxyProblem,
    },
    /// rustls refused the setup (its own words).
    Setup(String),
}

/// What is wrong with a PEM file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PemProblem {
    Missing,
    Denied,
    /// Cannot be read: the I/O error's kind.
    Unreadable(std::io::ErrorKind),
    /// A certificate the TLS library refuses to use (`version1`: an X.509
    /// version 1 certificate, without extensions).
    CertRefused {
        version1: bool,
    },
    /// Larger than a PEM file ever is ([`crate::files::SMALL_FILE_LIMIT`]).
    TooLarge,
    /// Not valid PEM: the parser's words.
    NotPem(String),
    NoCertificate,
    NoKey,
    /// The key is encrypted with a passphrase, which is not supported.
    Encrypted,
    /// Not a valid PEM key: the parser's words.
    BadKey(String),
    NoAuthority,
    /// rustls cannot use the key: its words.
    Unusable(String),
}

/// What is wrong with a proxy variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyProblem {
    /// Not a URL: the parser's words.
    NotUrl(String),
    /// The user name or password holds a character a URL takes only
    /// percent-encoded there (`\\`, `/`, `?`, `#`).
    UserInfoChars,
    /// A scheme other than http (sanitised).
    Scheme(String),
    NoHost,
}

impl NetError {
    /// One line about a network setting that cannot be used: what, and what to do.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            NetError::CaFile {
                path,
                why,
                from: CaFrom::Flag,
            } => tr!(
                lang,
                "err-ca-file",
                path = path.clone(),
                why = pem_problem(lang, why)
            ),
            NetError::CaFile { path, why, from } => {
                let from = match from {
                    CaFrom::Env => ENV_CA_FILE.to_owned(),
                    CaFrom::SslCertFile => ENV_SSL_CERT_FILE.to_owned(),
                    _ => tr!(lang, "err-from-config-ca-file"),
                };
                tr!(
                    lang,
                    "err-ca-file-from",
                    path = path.clone(),
                    why = pem_problem(lang, why),
                    from = from
                )
            }
            // A PEM certificate was given: "give a PEM certificate" is no help.
            NetError::ClientCert {
                path,
                why: why @ PemProblem::CertRefused { version1: true },
            } => tr!(
                lang,
                "err-client-cert-bare",
                path = path.clone(),
                why = pem_problem(lang, why)
            ),
            NetError::ClientCert { path, why } => tr!(
                lang,
                "err-client-cert",
                path = path.clone(),
                why = pem_problem(lang, why)
            ),
            NetError::KeyNotInCert { path, why } => tr!(
                lang,
                "err-key-not-in-cert",
                path = path.clone(),
                why = pem_problem(lang, why)
            ),
            NetError::ClientKey { path, why } => tr!(
                lang,
                "err-client-key",
                path = path.clone(),
                why = pem_problem(lang, why)
            ),
            NetError::KeyMismatch { cert, key } => tr!(
                lang,
                "err-key-mismatch",
                cert = cert.clone(),
                key = key.clone()
            ),
            NetError::KeyWithoutCert {
                key,
                from_config: true,
            } => tr!(lang, "err-key-without-cert-config", key = key.clone()),
            NetError::KeyWithoutCert { key, .. } => {
                tr!(lang, "err-key-without-cert", key = key.clone())
            }
            // A SOCKS proxy does not become an HTTP one by its scheme.
            NetError::Proxy {
                from,
                why: ProxyProblem::Scheme(scheme),
            } if scheme.starts_with("socks") => tr!(
                lang,
                "err-proxy-socks",
                from = *from,
                scheme = scheme.clone()
            ),
            NetError::Proxy { from, why } => {
                let why = match why {
                    ProxyProblem::NotUrl(detail) => {
                        tr!(lang, "err-proxy-not-url", detail = url_reason(lang, detail))
                    }
                    ProxyProblem::UserInfoChars => tr!(lang, "err-proxy-userinfo-chars"),
                    ProxyProblem::Scheme(scheme) => {
                        tr!(lang, "err-proxy-scheme", scheme = scheme.clone())
                    }
                    ProxyProblem::NoHost => tr!(lang, "err-proxy-no-host"),
                };
                tr!(lang, "err-proxy", from = *from, why = why)
            }
            NetError::Setup(detail) => tr!(lang, "err-tls-setup", detail = detail.clone()),
        }
    }
}

/// What is wrong with a PEM file, as the end of a sentence that names it.
fn pem_problem(lang: Lang, problem: &PemProblem) -> String {
    match problem {
        PemProblem::Missing => tr!(lang, "err-pem-missing"),
        PemProblem::Denied => tr!(lang, "err-pem-denied"),
        PemProblem::Unreadable(kind) => {
            let kind = match kind {
                std::io::ErrorKind::IsADirectory => tr!(lang, "err-io-folder"),
                kind => kind.to_string(),
            };
            tr!(lang, "err-pem-unreadable", kind = kind)
        }
        PemProblem::CertRefused { version1: true } => tr!(lang, "err-pem-cert-version1"),
        PemProblem::CertRefused { version1: false } => tr!(lang, "err-pem-cert-refused"),
        PemProblem::TooLarge => tr!(
            lang,
            "err-pem-unreadable",
            kind = tr!(
                lang,
                "err-file-too-large",
                limit = crate::text::num(crate::files::SMALL_FILE_LIMIT / 1024)
            )
        ),
        PemProblem::NotPem(detail) => tr!(lang, "err-pem-not-pem", detail = detail.clone()),
        PemProblem::NoCertificate => tr!(lang, "err-pem-no-certificate"),
        PemProblem::NoKey => tr!(lang, "err-pem-no-key"),
        PemProblem::Encrypted => tr!(lang, "err-pem-encrypted"),
        PemProblem::BadKey(detail) => tr!(lang, "err-pem-bad-key", detail = detail.clone()),
        PemProblem::NoAuthority => tr!(lang, "err-pem-no-authority"),
        PemProblem::Unusable(detail) => tr!(lang, "err-pem-unusable", detail = detail.clone()),
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl StdError for NetError {}

fn shown(path: &Path) -> String {
    crate::steps::sanitize(&path.display().to_string())
}

fn read_file(path: &Path) -> Result<Vec<u8>, PemProblem> {
    crate::files::read_capped(path, crate::files::SMALL_FILE_LIMIT).map_err(|e| match e.kind() {
        _ if crate::files::too_large(&e).is_some() => PemProblem::TooLarge,
        std::io::ErrorKind::NotFound => PemProblem::Missing,
        std::io::ErrorKind::PermissionDenied => PemProblem::Denied,
        kind => PemProblem::Unreadable(kind),
    })
}

/// Every certificate of a PEM file, or why there is none.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemProblem> {
    let bytes = read_file(path)?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&bytes) {
        match item {
            Ok(cert) => certs.push(cert),
            Err(e) => return Err(PemProblem::NotPem(crate::steps::sanitize(&e.to_string()))),
        }
    }
    if certs.is_empty() {
        return Err(PemProblem::NoCertificate);
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemProblem> {
    let bytes = read_file(path)?;
    // PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy key with a
    // `Proc-Type: 4,ENCRYPTED` header: a passphrase protects it.
    let encrypted = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if encrypted(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || encrypted(b"Proc-Type: 4,ENCRYPTED") {
        return Err(PemProblem::Encrypted);
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => PemProblem::NoKey,
        other => PemProblem::BadKey(crate::steps::sanitize(&other.to_string())),
    })
}

/// The client certificate chain and key, checked against each other.
pub fn load_identity(
    options: &NetOptions,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, NetError> {
    let cert_path = match (&options.client_cert, &options.client_key) {
        (Some(cert), _) => cert,
        (None, Some(key)) => {
            return Err(NetError::KeyWithoutCert {
                key: shown(key),
                from_config: options.client_from_config,
            });
        }
        (None, None) => return Ok(None),
    };
    let chain = load_certs(cert_path).map_err(|why| NetError::ClientCert {
        path: shown(cert_path),
        why,
    })?;
    let key_path = options.client_key.as_ref().unwrap_or(cert_path);
    let key = load_key(key_path).map_err(|why| {
        if options.client_key.is_none() {
            NetError::KeyNotInCert {
                path: shown(cert_path),
                why,
            }
        } else {
            NetError::ClientKey {
                path: shown(key_path),
                why,
            }
        }
    })?;
    match rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()) {
        Ok(_) => Ok(Some((chain, key))),
        Err(rustls::Error::InconsistentKeys(_)) => Err(NetError::KeyMismatch {
            cert: shown(cert_path),
            key: shown(key_path),
        }),
        // The certificate's fault, not the key's (an X.509 version 1 one).
        Err(rustls::Error::InvalidCertificate(why)) => Err(NetError::ClientCert {
            path: shown(cert_path),
            why: PemProblem::CertRefused {
                version1: format!("{why:?}").contains("UnsupportedCertVersion"),
            },
        }),
        Err(e) => Err(NetError::ClientKey {
            path: shown(key_path),
            why: PemProblem::Unusable(crate::steps::sanitize(&e.to_string())),
        }),
    }
}

/// The crypto provider every TLS connection uses.
pub fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Makes [`provider`] the process's default, once: an HTTP client built
/// without a TLS configuration of ours (plain HTTP) still sets one up, and
/// there must be a provider to choose. Called before any client is built;
/// a default already installed (by the embedding program) is kept.
pub fn install_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if CryptoProvider::get_default().is_none() {
            // Losing a race to another installer leaves that one in place.
            let _ = provider().install_default();
        }
    });
}

/// The certificates a server presented, kept for `doctor`'s report even when
/// they were not trusted.
pub type Presented = Arc<Mutex<Vec<CertificateDer<'static>>>>;

/// The server certificate verifier: the operating system's trust store (the
/// platform verifier) plus the roots of `--ca-file`. The system store is read
/// on the first TLS connection, so plain HTTP never pays for it.
#[derive(Debug)]
pub struct Verifier {
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    inner: OnceLock<Option<rustls_platform_verifier::Verifier>>,
    presented: Option<Presented>,
}

impl Verifier {
    fn inner(&self) -> Option<&rustls_platform_verifier::Verifier> {
        self.inner
            .get_or_init(|| {
                let made = if self.extra_roots.is_empty() {
                    rustls_platform_verifier::Verifier::new(self.provider.clone())
                } else {
                    rustls_platform_verifier::Verifier::new_with_extra_roots(
                        self.extra_roots.clone(),
                        self.provider.clone(),
                    )
                };
                made.map_err(|e| tracing::warn!("no trusted roots: {e}"))
                    .ok()
            })
            .as_ref()
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(presented) = &self.presented
            && let Ok(mut kept) = presented.lock()
        {
            kept.clear();
            kept.push(end_entity.clone().into_owned());
            kept.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        match self.inner() {
            Some(inner) => {
                inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            // No root at all (no system store, no --ca-file): nothing is trusted.
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS client configuration: trust, client certificate, HTTP/1.1.
/// `presented` receives the server's certificates as they arrive.
pub fn client_tls(
    options: &NetOptions,
    presented: Option<Presented>,
) -> Result<rustls::ClientConfig, NetError> {
    let extra_roots = match &options.ca_file {
        Some(path) => {
            let certs = load_certs(path).map_err(|why| NetError::CaFile {
                path: shown(path),
                why,
                from: options.ca_from,
            })?;
            let mut store = rustls::RootCertStore::empty();
            let (added, _) = store.add_parsable_certificates(certs.iter().cloned());
            if added == 0 {
                return Err(NetError::CaFile {
                    path: shown(path),
                    why: PemProblem::NoAuthority,
                    from: options.ca_from,
                });
            }
            certs
        }
        None => Vec::new(),
    };
    let provider = Arc::new(provider());
    let verifier = Verifier {
        extra_roots,
        provider: provider.clone(),
        inner: OnceLock::new(),
        presented,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match load_identity(options)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| NetError::Setup(e.to_string()))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A redirect stepwise did not follow: to another origin (scheme, host or
/// port), which includes every https → http downgrade. Both URLs are shown
/// without user info, query or fragment, and sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectRefused {
    pub from: String,
    pub to: String,
}

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "redirect from {} to {} refused", self.from, self.to)
    }
}

impl StdError for RedirectRefused {}

impl RedirectRefused {
    /// The refused redirect in an error's chain, if that is what it is.
    pub fn find(error: &(dyn StdError + 'static)) -> Option<RedirectRefused> {
        let mut current: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<RedirectRefused>() {
                return Some(found.clone());
            }
            current = e.source();
        }
        None
    }
}

/// A URL as a message may show it: no user info, query or fragment.
pub fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    crate::steps::sanitize(shown.as_str())
}

/// How many redirects within one origin a gateway call follows.
const MAX_REDIRECTS: usize = 5;

/// Gateway calls follow a redirect only within the origin first asked
/// (same scheme, host and port): never to another server, never from https
/// to http. Anything else ends the call with [`RedirectRefused`].
pub fn gateway_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else {
            return attempt.follow();
        };
        let to = attempt.url();
        let same = first.scheme() == to.scheme()
            && first.host_str() == to.host_str()
            && first.port_or_known_default() == to.port_or_known_default();
        // On the same server, to a path that is not the call's (a sign-in
        // or portal page): not followed, and the token not sent there
        // (stranger 85, CH1). A call moved under another prefix keeps its
        // own last segment (`/v2/pims/subscription/steps`).
        // A guidance page is a web page: it may move to any other page.
        let call = first.path().rsplit('/').next().unwrap_or_default();
        let page = first
            .path()
            .contains(&format!("/{}", crate::wire::GUIDANCE_PREFIX));
        let elsewhere = !page && !to.path().trim_end_matches('/').ends_with(call);
        if !same || elsewhere {
            let refused = RedirectRefused {
                from: shown_url(attempt.previous().last().unwrap_or(first)),
                to: shown_url(to),
            };
            attempt.error(refused)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Applies the network options to a reqwest client: the TLS configuration
/// above, the proxy decision of [`ProxyEnv::proxy_for`] for every URL, and
/// [`gateway_redirects`] (an OAuth client then sets `Policy::none()`).
pub fn configure(
    builder: reqwest::ClientBuilder,
    options: &NetOptions,
) -> Result<reqwest::ClientBuilder, NetError> {
    let tls = client_tls(options, None)?;
    let proxies = options.proxy.clone();
    // A proxy variable that cannot be read is reported by whoever calls an
    // address it applies to (the gateway's client when it is made, a
    // sign-in call before it is sent); one that applies to no address
    // called (another scheme's, one NO_PROXY skips) stops nothing.
    let proxy =
        reqwest::Proxy::custom(move |url| proxies.proxy_for(url).ok().flatten().map(|c| c.url));
    Ok(builder
        .no_proxy()
        .proxy(proxy)
        .redirect(gateway_redirects())
        .tls_backend_preconfigured(tls))
}

/// A TLS failure, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// The certificate's issuer is not trusted here.
    UnknownIssuer,
    Expired,
    NotYetValid,
    /// The certificate is for other host names or addresses: those it
    /// presented (the first five, then "…"; none when not known).
    WrongHost(Vec<String>),
    /// The certificate names no host (no subject alternative name; a
    /// common name alone is not read).
    NoHostNames,
    /// An X.509 version 1 certificate, which TLS no longer takes.
    OldVersion,
    /// The gateway wants a client certificate and none was given.
    CertificateRequired,
    /// The gateway refused the client certificate given.
    ClientCertificateRefused(String),
    /// The gateway said the client certificate given has expired.
    ClientCertificateExpired,
    /// The gateway said the client certificate given is of a kind it does
    /// not take: most often one not made for clients (a server's).
    ClientCertificateUnsupported,
    /// The gateway presented an authority's certificate (CA:TRUE) as its
    /// own, as `openssl req -x509` makes by default.
    AuthorityAsServer,
    /// The gateway broke off the handshake.
    HandshakeRefused(String),
    /// What answered is not a TLS server.
    NotTls,
    Other(String),
}

impl TlsProblem {
    /// Finds a rustls error in an error's chain (including inside I/O
    /// errors, whose `source` skips the error they wrap).
    pub fn find(error: &(dyn StdError + 'static)) -> Option<TlsProblem> {
        let mut current: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(e) = current {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Some(Self::of(tls));
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && let Some(inner) = io.get_ref()
                && let Some(found) = Self::find(inner)
            {
                return Some(found);
            }
            current = e.source();
        }
        None
    }

    pub fn of(error: &rustls::Error) -> TlsProblem {
        use rustls::Error as E;
        match error {
            E::InvalidCertificate(cert) => match cert {
                // A chain that does not verify against the trusted
                // authority (one made again with the same name): the same
                // cause and remedy as an unknown one.
                CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                    TlsProblem::UnknownIssuer
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    TlsProblem::Expired
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    TlsProblem::NotYetValid
                }
                // A certificate that names no host at all (a common name
                // alone, which TLS no longer reads): reissued, not --api.
                CertificateError::NotValidForNameContext { presented, .. }
                    if presented.is_empty() =>
                {
                    TlsProblem::NoHostNames
                }
                CertificateError::NotValidForNameContext { presented, .. } => {
                    TlsProblem::WrongHost(presented_names(presented))
                }
                CertificateError::NotValidForName => TlsProblem::WrongHost(Vec::new()),
                // webpki's UnsupportedCertVersion (X.509 v1) reaches rustls
                // as an "other" error, as CaUsedAsEndEntity does.
                other if format!("{other:?}").contains("UnsupportedCertVersion") => {
                    TlsProblem::OldVersion
                }
                // webpki's CaUsedAsEndEntity reaches rustls as an "other"
                // error; its name is the one thing of it to be read.
                other if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                    TlsProblem::AuthorityAsServer
                }
                other => TlsProblem::Other(format!("{other:?}")),
            },
            E::AlertReceived(alert) => match alert {
                AlertDescription::CertificateRequired => TlsProblem::CertificateRequired,
                AlertDescription::CertificateExpired => TlsProblem::ClientCertificateExpired,
                AlertDescription::UnsupportedCertificate => {
                    TlsProblem::ClientCertificateUnsupported
                }
                AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown
                | AlertDescription::CertificateRevoked
                | AlertDescription::AccessDenied
                | AlertDescription::DecryptError => {
                    TlsProblem::ClientCertificateRefused(alert_name(*alert))
                }
                other => TlsProblem::HandshakeRefused(alert_name(*other)),
            },
            E::InvalidMessage(_) | E::InappropriateMessage { .. } => TlsProblem::NotTls,
            other => TlsProblem::Other(crate::steps::sanitize(&other.to_string())),
        }
    }

    /// A short name, for JSON and logs.
    pub fn code(&self) -> &'static str {
        match self {
            TlsProblem::UnknownIssuer => "unknown_issuer",
            TlsProblem::Expired => "expired",
            TlsProblem::NotYetValid => "not_yet_valid",
            TlsProblem::WrongHost(_) => "wrong_host",
            TlsProblem::NoHostNames => "no_host_names",
            TlsProblem::OldVersion => "old_version",
            TlsProblem::CertificateRequired => "certificate_required",
            TlsProblem::ClientCertificateRefused(_) => "client_certificate_refused",
            TlsProblem::ClientCertificateExpired => "client_certificate_expired",
            TlsProblem::ClientCertificateUnsupported => "client_certificate_unsupported",
            TlsProblem::AuthorityAsServer => "authority_as_server",
            TlsProblem::HandshakeRefused(_) => "handshake_refused",
            TlsProblem::NotTls => "not_tls",
            TlsProblem::Other(_) => "other",
        }
    }
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

fn alert_name(alert: AlertDescription) -> String {
    let name = format!("{alert:?}");
    let mut words = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        // A word starts at a capital after a small letter: UnknownCA is
        // "unknown ca", not "unknown c a".
        if c.is_ascii_uppercase() && previous.is_some_and(|p| p.is_ascii_lowercase()) {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
        previous = Some(c);
    }
    format!("alert: {words}")
}

/// What `doctor` shows of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// The issuer's organisational unit, where the simulator names the file
    /// its authority was written to.
    pub issuer_unit: Option<String>,
    /// The host names and addresses it was made for (its subject
    /// alternative names; the first few).
    pub names: Vec<String>,
    /// Seconds from now to the end of validity (negative: expired).
    pub expires_in: i64,
    /// Seconds from the start of validity to now (negative: not valid yet).
    pub valid_since: i64,
}

impl CertSummary {
    pub fn parse(der: &[u8]) -> Option<CertSummary> {
        use x509_cert::der::Decode;
        let cert = x509_cert::Certificate::from_der(der).ok()?;
        let tbs = cert.tbs_certificate();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let validity = tbs.validity();
        let issuer_unit = tbs
            .issuer()
            .organization_unit()
            .ok()
            .flatten()
            .map(|ou| crate::steps::sanitize(&ou.value()));
        Some(CertSummary {
            subject: crate::steps::sanitize(&tbs.subject().to_string()),
            issuer: crate::steps::sanitize(&tbs.issuer().to_string()),
            issuer_unit,
            names: alt_names(tbs),
            expires_in: secs(validity.not_after.to_unix_duration()).saturating_sub(now),
            valid_since: now.saturating_sub(secs(validity.not_before.to_unix_duration())),
        })
    }

    /// The names joined for a line.
    pub fn names_shown(&self) -> String {
        self.names.join(", ")
    }

    /// Whole days left before it expires (rounded down).
    pub fn days_left(&self) -> i64 {
        self.expires_in.div_euclid(86_400)
    }

    /// Whole days since it expired (rounded down: 3 days and some minutes
    /// are "3 days ago", as 3 days and some minutes left are "3 days").
    pub fn days_ago(&self) -> i64 {
        (-self.expires_in).div_euclid(86_400)
    }
}

/// A certificate's DNS names and IP addresses (subject alternative names),
/// the first five, then "…".
fn alt_names(tbs: &x509_cert::TbsCertificate) -> Vec<String> {
    use x509_cert::ext::pkix::{SubjectAltName, name::GeneralName};
    let Ok(Some((_, SubjectAltName(all)))) = tbs.get_extension::<SubjectAltName>() else {
        return Vec::new();
    };
    let mut names: Vec<String> = all
        .iter()
        .filter_map(|name| match name {
            GeneralName::DnsName(dns) => Some(crate::steps::sanitize(dns.as_str())),
            GeneralName::IpAddress(ip) => match ip.as_bytes().len() {
                4 => <[u8; 4]>::try_from(ip.as_bytes())
                    .ok()
                    .map(|b| std::net::Ipv4Addr::from(b).to_string()),
                16 => <[u8; 16]>::try_from(ip.as_bytes())
                    .ok()
                    .map(|b| std::net::Ipv6Addr::from(b).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if names.len() > 5 {
        names.truncate(5);
        names.push("…".into());
    }
    names
}

/// The names a certificate presented, as the TLS library spells them
/// (`DnsName("gw.example")`, `IpAddress(10.0.0.7)`): the host names and
/// addresses alone, the first five, then "…".
fn presented_names(presented: &[String]) -> Vec<String> {
    let mut names: Vec<String> = presented
        .iter()
        .filter_map(|name| {
            let dns = name
                .strip_prefix("DnsName(\"")
                .and_then(|n| n.strip_suffix("\")"));
            let ip = name
                .strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'));
            dns.or(ip).map(crate::steps::sanitize)
        })
        .filter(|name| !name.is_empty())
        .collect();
    if names.len() > 5 {
        names.truncate(5);
        names.push("…".into());
    }
    names
}

/// `Retry-After`: whole seconds, or an HTTP date (RFC 9110 §10.2.3) taken
/// as the time left until it by this machine's clock (a date past is no wait).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<std::time::Duration> {
    header_seconds(headers, reqwest::header::RETRY_AFTER).or_else(|| {
        let text = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
        let at = httpdate::parse_http_date(text.trim()).ok()?;
        Some(
            at.duration_since(std::time::SystemTime::now())
                .unwrap_or_default()
                .min(std::time::Duration::from_secs(MAX_HEADER_SECONDS)),
        )
    })
}

/// A header's whole seconds (`Retry-After`, `X-Poll-Interval`), at most
/// [`MAX_HEADER_SECONDS`]: digits past that are an absurd wait (said as
/// the sender's fault), never no header at all, and never a time past
/// what a clock can add.
pub(crate) fn header_seconds(
    headers: &reqwest::header::HeaderMap,
    name: impl reqwest::header::AsHeaderName,
) -> Option<std::time::Duration> {
    let text = headers.get(name)?.to_str().ok()?.trim();
    let secs = match text.parse::<u64>() {
        Ok(secs) => secs.min(MAX_HEADER_SECONDS),
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            MAX_HEADER_SECONDS
        }
        Err(_) => return None,
    };
    Some(std::time::Duration::from_secs(secs))
}

/// The most seconds a header's wait is read as (about 136 years).
pub(crate) const MAX_HEADER_SECONDS: u64 = u32::MAX as u64;

/// Whether an answer's headers mark it as a forward proxy's own rather than
/// the gateway's (a 407, squid's `X-Squid-Error`, a `Server` naming a known
/// proxy, a `Basic` challenge a bearer-token gateway never sends), and what
/// the proxy said, if anything.
pub(crate) fn proxy_mark(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
) -> Option<String> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| crate::steps::sanitize(v.trim()))
    };
    let server = text("server").unwrap_or_default().to_ascii_lowercase();
    let known_proxy = [
        "squid",
        "tinyproxy",
        "privoxy",
        "polipo",
        "ziproxy",
        "ccproxy",
    ]
    .iter()
    .any(|p| server.starts_with(p));
    let basic = status == reqwest::StatusCode::UNAUTHORIZED && login_prompt(headers).is_some();
    if let Some(error) = text("x-squid-error") {
        return Some(error);
    }
    (status == reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED
        || headers.contains_key("proxy-authenticate")
        || known_proxy
        || basic)
        .then(String::new)
}

/// A proxy's 407 that offers Windows sign-in only (`Negotiate`, `NTLM`,
/// no `Basic`): no user name and password in the proxy variable answers it.
pub(crate) fn proxy_windows_only<'a>(challenges: impl Iterator<Item = &'a str>) -> bool {
    let schemes: Vec<String> = challenges.map(|v| v.trim().to_ascii_lowercase()).collect();
    let has = |scheme: &str| schemes.iter().any(|s| s.starts_with(scheme));
    (has("negotiate") || has("ntlm")) && !has("basic") && !has("digest")
}

/// A web server's or reverse proxy's login: a 401 challenge for a user
/// name and password (`Basic`, `Digest`) or Windows sign-in (`Negotiate`,
/// `NTLM`) and none for a bearer token, which a steps gateway asks for.
/// `Some(true)` for Windows sign-in.
pub(crate) fn login_prompt(headers: &reqwest::header::HeaderMap) -> Option<bool> {
    let schemes: Vec<String> = headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    let has = |scheme: &str| schemes.iter().any(|s| s.starts_with(scheme));
    if has("bearer") {
        return None;
    }
    if has("negotiate") || has("ntlm") {
        Some(true)
    } else if has("basic") || has("digest") {
        Some(false)
    } else {
        None
    }
}

/// The title of an HTML page (a proxy's or a web server's own page), cut
/// short and sanitised, to quote what it said.
pub(crate) fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(8192)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = crate::steps::sanitize(text[start..end].trim());
    let title: String = title.chars().take(100).collect();
    (!title.is_empty()).then_some(title)
}

/// What a proxy answers a CONNECT to `host:port` sent without credentials:
/// its status, whether its 407 offers Windows sign-in only, whether it
/// asks for a user name and password (`Basic`), and its `Retry-After` (a
/// 429's wait; stranger 80, CC2). Asked when a tunnel failed, to say why
/// (the HTTP client keeps the answer to itself); `None` when it could not
/// be had within two seconds.
pub(crate) async fn connect_answer(
    proxy: &Url,
    host: &str,
    port: u16,
) -> Option<(u16, bool, bool, Option<std::time::Duration>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let at = proxy
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let limit = std::time::Duration::from_secs(2);
    let connect = tokio::net::TcpStream::connect((at, proxy.port_or_known_default()?));
    let mut stream = tokio::time::timeout(limit, connect).await.ok()?.ok()?;
    let request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        match tokio::time::timeout(limit, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status = text.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()?;
    let windows = proxy_windows_only(text.lines().filter_map(|line| {
        line.split_once(':')
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authenticate"))
            .map(|(_, value)| value)
    }));
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in text.lines().filter_map(|line| line.split_once(':')) {
        if name.trim().eq_ignore_ascii_case("retry-after")
            && let Ok(value) = reqwest::header::HeaderValue::from_str(value.trim())
        {
            headers.insert(reqwest::header::RETRY_AFTER, value);
        }
    }
    Some((
        status,
        windows,
        basic_challenge(&text),
        retry_after(&headers),
    ))
}

/// Whether what is at the end of a tunnel opened by `proxy` (without
/// credentials) to `host:port` answers a plain HTTP request for `path`
/// with JSON, as a steps gateway does: an https:// address for a gateway
/// that speaks plain HTTP, seen through the proxy (stranger 65, BN4). A
/// proxy's own page in the tunnel (HTML) is not. Within two seconds.
pub(crate) async fn tunnel_answers_json(proxy: &Url, host: &str, port: u16, path: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limit = std::time::Duration::from_secs(2);
    let probe = async {
        let at = proxy
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let connect = tokio::net::TcpStream::connect((at, proxy.port_or_known_default()?));
        let mut stream = connect.await.ok()?;
        let connect = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n");
        stream.write_all(connect.as_bytes()).await.ok()?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
            (stream.read(&mut byte).await.ok()? == 1).then_some(())?;
            head.push(byte[0]);
        }
        String::from_utf8_lossy(&head)
            .get(9..12)
            .filter(|s| *s == "200")?;
        let get = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(get.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        // Up to the first bytes of the body: enough to tell JSON.
        let started = |a: &[u8]| {
            a.windows(4)
                .position(|w| w == b"\r\n\r\n")
                .is_some_and(|at| a.len() > at + 4)
        };
        while answer.len() < 16_384 && !started(&answer) {
            match stream.read(&mut buf).await.ok()? {
                0 => break,
                n => answer.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        let (head, body) = text.split_once("\r\n\r\n")?;
        (head.starts_with("http/1.")
            && (head.contains("application/json") || body.trim_start().starts_with('{')))
        .then_some(())
    };
    matches!(tokio::time::timeout(limit, probe).await, Ok(Some(())))
}

/// Whether nothing listens at `host:port` on this machine: a direct
/// connection to it is refused (within a second). Asked when a proxy could
/// not reach a gateway on this machine, to tell a gateway that does not
/// run from a proxy that cannot reach this machine's addresses.
pub(crate) async fn loopback_refuses(host: &str, port: u16) -> bool {
    // A name (`localhost`) is tried at each of its addresses.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let limit = std::time::Duration::from_secs(1);
    matches!(
        tokio::time::timeout(limit, tokio::net::TcpStream::connect((host, port))).await,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

/// An answer head (its text) asks for a user name and password: a `Basic`
/// challenge, in `WWW-Authenticate` or `Proxy-Authenticate`.
pub(crate) fn basic_challenge(head: &str) -> bool {
    head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            let name = name.trim();
            (name.eq_ignore_ascii_case("www-authenticate")
                || name.eq_ignore_ascii_case("proxy-authenticate"))
                && value.trim().to_ascii_lowercase().starts_with("basic")
        })
    })
}

#[cfg(test)]
mod tests {
    /// A proxy variable whose user name or password holds `\`, `/`, `?`
    /// or `#` is refused with what to write instead, never shown (the
    /// parser would take part of it for the host or a path); a malformed
    /// one is said in the reader's language, not the URL library's.
    /// The names a certificate presented are read from the TLS library's
    /// words: host names and addresses, nothing else, at most five.
    #[test]
    fn presented_names_are_the_host_names_and_addresses() {
        let presented: Vec<String> = [
            "DnsName(\"localhost\")",
            "IpAddress(127.0.0.1)",
            "UniformResourceIdentifier(\"https://x\")",
            "DirectoryName",
            "IpAddress(::1)",
        ]
        .map(str::to_owned)
        .into();
        assert_eq!(
            presented_names(&presented),
            ["localhost", "127.0.0.1", "::1"]
        );
        let many: Vec<String> = (0..7).map(|i| format!("DnsName(\"h{i}\")")).collect();
        assert_eq!(presented_names(&many), ["h0", "h1", "h2", "h3", "h4", "…"]);
    }

    /// webpki's refusal of an X.509 version 1 certificate (an "other"
    /// error to rustls) is named (describe words it), never left as the
    /// library's debug words.
    #[test]
    fn a_version_1_certificate_is_named() {
        #[derive(Debug)]
        struct UnsupportedCertVersion;
        impl std::fmt::Display for UnsupportedCertVersion {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("UnsupportedCertVersion")
            }
        }
        impl std::error::Error for UnsupportedCertVersion {}
        let error = rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
            std::sync::Arc::new(UnsupportedCertVersion),
        )));
        assert_eq!(TlsProblem::of(&error), TlsProblem::OldVersion);
    }

    /// Days left and days ago are both whole days gone by, rounded down:
    /// a certificate that expired 3 days and 5 minutes ago is "3 days
    /// ago", not 4.
    #[test]
    fn days_are_rounded_down_both_ways() {
        let summary = |expires_in| CertSummary {
            subject: String::new(),
            issuer: String::new(),
            issuer_unit: None,
            names: Vec::new(),
            expires_in,
            valid_since: 0,
        };
        let day = 86_400;
        assert_eq!(summary(-(3 * day + 300)).days_ago(), 3);
        assert_eq!(summary(-300).days_ago(), 0);
        assert_eq!(summary(3 * day + 300).days_left(), 3);
        assert_eq!(summary(300).days_left(), 0);
    }

    #[test]
    fn a_proxy_password_a_url_cannot_carry_is_refused_unshown() {
        let gateway = Url::parse("https://gw.example").unwrap();
        for raw in [
            "http://CORP\\jdoe:Winter2026!@127.0.0.1:49130",
            "http://bob:pa#ss@127.0.0.1:49130",
            "http://bob:pa?ss@127.0.0.1:49130",
            "http://bob:Sup3r/Secret@127.0.0.1:49130",
        ] {
            let error = ProxyEnv::with_proxy(raw, None)
                .proxy_for(&gateway)
                .unwrap_err();
            assert!(
                matches!(
                    &error,
                    NetError::Proxy {
                        why: ProxyProblem::UserInfoChars,
                        ..
                    }
                ),
                "{raw}: {error:?}"
            );
            for lang in Lang::ALL {
                let words = error.words(*lang);
                assert!(words.contains("%5C"), "{words}");
                for secret in ["Winter2026", "pa#ss", "pa?ss", "Sup3r", "jdoe", "bob"] {
                    assert!(!words.contains(secret), "{words}");
                }
            }
        }
        let error = ProxyEnv::with_proxy("http://127.0.0.1:99999", None)
            .proxy_for(&gateway)
            .unwrap_err();
        let german = error.words(Lang::De);
        assert!(
            german.contains("Port") && !german.contains("invalid port"),
            "{german}"
        );
        for (raw, said) in [
            ("http://127.0.0.1:0", "its port is not a number"),
            ("http://[::1:3128", "opens a bracket [ that no ] closes"),
        ] {
            let words = ProxyEnv::with_proxy(raw, None)
                .proxy_for(&gateway)
                .unwrap_err()
                .words(Lang::En);
            assert!(words.contains(said), "{words}");
        }
    }

    #[test]
    fn a_proxy_shown_says_the_port_it_assumed() {
        let choice = |raw: &str| ProxyChoice {
            url: Url::parse(raw).unwrap(),
            from: "HTTPS_PROXY",
        };
        assert_eq!(choice("http://127.0.0.1").shown(), "http://127.0.0.1:80");
        assert_eq!(
            choice("http://bob:pw@proxy.example:3128/").shown(),
            "http://proxy.example:3128"
        );
    }

    use super::*;

    /// A SOCKS proxy is not made an HTTP one by its scheme: the words ask
    /// for the network's HTTP proxy.
    #[test]
    fn a_socks_proxy_is_named_not_renamed() {
        let error = NetError::Proxy {
            from: "ALL_PROXY",
            why: ProxyProblem::Scheme("socks5".into()),
        };
        let line = error.words(crate::text::Lang::En);
        assert!(
            line.contains("is a SOCKS proxy (socks5://), and stepwise speaks only to HTTP proxies"),
            "{line}"
        );
        let other = NetError::Proxy {
            from: "ALL_PROXY",
            why: ProxyProblem::Scheme("ftp".into()),
        };
        assert!(!other.words(crate::text::Lang::En).contains("SOCKS"));
    }

    /// An X.509 version 1 client certificate is stepwise's limit, not TLS's
    /// (an OpenSSL gateway takes it), and a PEM certificate was given: no
    /// "give a PEM certificate".
    #[test]
    fn a_version_1_client_certificate_is_named_stepwise_s_limit() {
        let error = NetError::ClientCert {
            path: "client.pem".into(),
            why: PemProblem::CertRefused { version1: true },
        };
        for lang in crate::text::Lang::ALL {
            let line = error.words(*lang);
            assert!(line.contains("client.pem") && line.contains("3"), "{line}");
            assert!(!line.contains("--client-cert"), "{lang:?}: {line}");
        }
        let line = error.words(crate::text::Lang::En);
        assert!(
            line.contains("stepwise's TLS library cannot present"),
            "{line}"
        );
        assert!(!line.contains("which TLS refuses"), "{line}");
    }

    #[test]
    fn alert_names_read_as_words() {
        assert_eq!(alert_name(AlertDescription::UnknownCA), "alert: unknown ca");
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "alert: bad certificate"
        );
    }

    #[test]
    fn an_encrypted_client_key_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let pkcs8 = dir.path().join("client-enc.key");
        std::fs::write(
            &pkcs8,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap();
        let legacy = dir.path().join("legacy.key");
        std::fs::write(
            &legacy,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0011\n\nMIIB\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap();
        for path in [&pkcs8, &legacy] {
            assert_eq!(load_key(path), Err(PemProblem::Encrypted), "{path:?}");
        }
        let line = NetError::ClientKey {
            path: "client-enc.key".into(),
            why: PemProblem::Encrypted,
        }
        .words(Lang::En);
        assert!(line.contains("encrypted keys are not supported"), "{line}");
        assert!(line.contains("openssl pkey"), "{line}");
        assert!(!line.contains("holds no PEM private key"), "{line}");
    }

    #[test]
    fn no_proxy_entries_match_hosts_domains_and_networks() {
        assert!(no_proxy_matches("*", "anything.example"));
        assert!(no_proxy_matches("example.com", "example.com"));
        assert!(no_proxy_matches(".example.com", "gw.example.com"));
        assert!(no_proxy_matches("foo, example.com", "gw.Example.com"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(no_proxy_matches("127.0.0.1", "127.0.0.1"));
        assert!(no_proxy_matches("127.0.0.1:8443", "127.0.0.1"));
        // An entry written as a URL counts for its host.
        assert!(no_proxy_matches("http://127.0.0.1", "127.0.0.1"));
        assert!(no_proxy_matches(
            "https://gw.example.com:8443/api",
            "gw.example.com"
        ));
        assert!(!no_proxy_matches("http://gw.example.com", "other.example"));
        assert!(no_proxy_matches("10.0.0.0/8", "10.1.2.3"));
        // Windows' bypass list, copied in as it shows it.
        assert!(no_proxy_matches("127.0.0.1;localhost", "localhost"));
        assert!(no_proxy_matches("127.0.0.1;localhost", "127.0.0.1"));
        assert!(no_proxy_matches("127.*", "127.0.0.1"));
        assert!(no_proxy_matches("*.example.com", "gw.example.com"));
        assert!(!no_proxy_matches("10.*", "110.0.0.1"));
        assert!(!no_proxy_matches("*.example.com", "example.org"));
        assert!(no_proxy_matches("<local>;*.example.com", "localhost"));
        assert!(no_proxy_matches("<local>", "gateway"));
        assert!(!no_proxy_matches("<local>", "gw.example.com"));
        assert!(!no_proxy_matches("10.0.0.0/8", "11.1.2.3"));
        assert!(no_proxy_matches("::1", "[::1]"));
        assert!(!no_proxy_matches("", "example.com"));
    }

    #[test]
    fn the_proxy_is_chosen_by_scheme_and_shown_without_password() {
        let env = ProxyEnv {
            http: Some(ProxyVar {
                name: "http_proxy",
                value: "http://plain:3128".into(),
            }),
            https: Some(ProxyVar {
                name: "HTTPS_PROXY",
                value: "http://user:secret@tls:3128".into(),
            }),
            all: None,
            no_proxy: Some("internal.example".into()),
        };
        let https = Url::parse("https://gw.example/").unwrap();
        let choice = env.proxy_for(&https).unwrap().unwrap();
        assert_eq!(choice.from, "HTTPS_PROXY");
        assert_eq!(choice.shown(), "http://tls:3128");
        let http = Url::parse("http://gw.example/").unwrap();
        assert_eq!(env.proxy_for(&http).unwrap().unwrap().from, "http_proxy");
        let skipped = Url::parse("https://api.internal.example/").unwrap();
        assert!(env.proxy_for(&skipped).unwrap().is_none());
        let bare = ProxyEnv::with_proxy("proxy.example:8080", None);
        assert_eq!(
            bare.proxy_for(&https).unwrap().unwrap().url.as_str(),
            "http://proxy.example:8080/"
        );
        let socks = ProxyEnv::with_proxy("socks5://p:1080", None);
        let err = socks.proxy_for(&https).unwrap_err().to_string();
        assert!(
            err.contains("ALL_PROXY") && err.contains("http://"),
            "{err}"
        );
    }

    #[test]
    fn bad_certificate_files_are_named_with_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        let text = dir.path().join("text.pem");
        std::fs::write(&text, "hello\n").unwrap();
        let opts = |ca: &Path| NetOptions {
            ca_file: Some(ca.to_path_buf()),
            ..Default::default()
        };
        let err = client_tls(&opts(&missing), None).unwrap_err().to_string();
        assert!(
            err.contains("none.pem") && err.contains("cannot be read"),
            "{err}"
        );
        let err = client_tls(&opts(&text), None).unwrap_err().to_string();
        assert!(err.contains("text.pem") && err.contains("no PEM"), "{err}");
        let key_only = NetOptions {
            client_key: Some(text.clone()),
            ..Default::default()
        };
        assert!(matches!(
            load_identity(&key_only),
            Err(NetError::KeyWithoutCert { .. })
        ));
        // From the config file, it is named as the config file's.
        let from_config = NetOptions {
            client_from_config: true,
            ..key_only.clone()
        };
        let words = load_identity(&from_config)
            .unwrap_err()
            .words(crate::text::Lang::En);
        assert!(
            words.starts_with("`client_key` in the config file names")
                && words.contains("add `client_cert` to the config file"),
            "{words}"
        );
        assert!(!words.contains("--client-key"), "{words}");
    }
}
