//! `stepwise doctor`: every link between this machine and a working wizard,
//! checked in order, one line each (✓ ok, ! warning, ✗ failed, - skipped)
//! with what to do. Each check has its own time limit and the whole run
//! stays within ten seconds, even when the gateway hangs. The contract
//! checks only read.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, DATE, HeaderMap, HeaderValue};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::client::DEVICE_HEADER;
use crate::config::{ENV_TOKEN, FileConfig, Secret, Settings};
use crate::net::{CertSummary, NetError, NetOptions, ProxyChoice, TlsProblem};
use crate::steps::{Status, StepsList, sanitize};
use crate::wire as protocol;

/// The limit of one check.
pub const CHECK_LIMIT: Duration = Duration::from_secs(3);
/// The limit of the whole run, with room left to print.
pub const RUN_LIMIT: Duration = Duration::from_millis(9_000);
/// A gateway clock further off than this is a warning.
pub const SKEW_LIMIT: i64 = 60;
/// Certificates closer than this to their end are a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;
/// The carAssociationID tried on the embedded simulator.
pub const EMBEDDED_CAR: &str = "987654";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Ok,
    Warning,
    Failed,
    Skipped,
}

impl Mark {
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Ok => "✓",
            Mark::Warning => "!",
            Mark::Failed => "✗",
            Mark::Skipped => "-",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Mark::Ok => "ok",
            Mark::Warning => "warning",
            Mark::Failed => "failed",
            Mark::Skipped => "skipped",
        }
    }
}

/// The checks, in the order they are shown.
const ORDER: [(&str, &str); 16] = [
    ("config", "Config file"),
    ("gateway", "Gateway address"),
    ("dns", "Name resolution"),
    ("proxy", "Proxy"),
    ("tcp", "TCP connect"),
    ("tls", "TLS"),
    ("client_cert", "Client certificate"),
    ("token", "Token"),
    ("clock", "Clock"),
    ("first_list", "First list"),
    ("refresh", "Refresh by stepsID"),
    ("next_step", "Next step"),
    ("status_filter", "Status filter"),
    ("error_body", "Error body"),
    ("events", "Live events"),
    ("guidance", "Guidance pages"),
];

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub status: Mark,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// Everything `doctor` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub target: String,
    pub checks: Vec<Check>,
}

impl Report {
    fn set(&mut self, id: &'static str, status: Mark, detail: impl Into<String>) {
        self.set_with(id, status, detail, None::<String>);
    }

    fn set_with(
        &mut self,
        id: &'static str,
        status: Mark,
        detail: impl Into<String>,
        remedy: Option<impl Into<String>>,
    ) {
        let title = ORDER
            .iter()
            .find(|(known, _)| *known == id)
            .map_or(id, |(_, title)| *title);
        self.checks.retain(|c| c.id != id);
        self.checks.push(Check {
            id,
            title,
            status,
            detail: detail.into(),
            remedy: remedy.map(Into::into),
        });
    }

    fn has(&self, id: &str) -> bool {
        self.checks.iter().any(|c| c.id == id)
    }

    fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Marks every check not yet done as skipped, and puts them in order.
    fn finish(mut self, reason: &str) -> Self {
        for (id, _) in ORDER {
            if !self.has(id) {
                self.set(id, Mark::Skipped, reason);
            }
        }
        self.checks.sort_by_key(|c| {
            ORDER
                .iter()
                .position(|(id, _)| *id == c.id)
                .unwrap_or(ORDER.len())
        });
        self
    }

    pub fn count(&self, mark: Mark) -> usize {
        self.checks.iter().filter(|c| c.status == mark).count()
    }

    pub fn failed(&self) -> bool {
        self.count(Mark::Failed) > 0
    }

    /// The report for a terminal: one line per check, what to do below it.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = format!("stepwise doctor: {}\n", self.target);
        for check in &self.checks {
            let _ = writeln!(
                out,
                "{} {:<8} {:<19} {}",
                check.status.symbol(),
                check.status.word(),
                check.title,
                check.detail
            );
            if let Some(remedy) = &check.remedy {
                let _ = writeln!(out, "{:<30} → {remedy}", "");
            }
        }
        let _ = writeln!(
            out,
            "{} failed, {} warnings, {} ok, {} skipped",
            self.count(Mark::Failed),
            self.count(Mark::Warning),
            self.count(Mark::Ok),
            self.count(Mark::Skipped)
        );
        out
    }

    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            target: &'a str,
            ok: bool,
            failed: usize,
            warnings: usize,
            checks: &'a [Check],
        }
        let out = Out {
            target: &self.target,
            ok: !self.failed(),
            failed: self.count(Mark::Failed),
            warnings: self.count(Mark::Warning),
            checks: &self.checks,
        };
        serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
    }
}

/// The config file line, made before the settings are resolved (a broken
/// file still gets a report).
pub fn config_check(at: Option<&crate::config::ConfigPath>) -> (Check, Option<FileConfig>) {
    let mut report = Report::default();
    let file = match at {
        None => {
            report.set(
                "config",
                Mark::Ok,
                "no config directory on this system: defaults apply",
            );
            Some(FileConfig::default())
        }
        Some(at) if !at.path.exists() => {
            report.set(
                "config",
                Mark::Ok,
                format!("none at {}: defaults apply", at.path.display()),
            );
            Some(FileConfig::default())
        }
        Some(at) => match crate::config::load_file_config(at) {
            Ok(file) => {
                report.set("config", Mark::Ok, format!("{} read", at.path.display()));
                Some(file)
            }
            Err(e) => {
                report.set_with(
                    "config",
                    Mark::Failed,
                    e.to_string(),
                    Some("Fix the file, or point STEPWISE_CONFIG at another one"),
                );
                None
            }
        },
    };
    let check = report.checks.remove(0);
    (check, file)
}

/// A report for settings that could not be resolved at all.
pub fn unusable_settings(config: Check, error: &str) -> Report {
    let mut report = Report {
        target: "(settings unusable)".into(),
        checks: vec![config],
    };
    if report.get("config").is_some_and(|c| c.status == Mark::Ok) {
        report.set_with("config", Mark::Failed, error.to_owned(), None::<String>);
    }
    report.finish("not run: the settings are unusable")
}

/// Where the token comes from, in the order the settings choose it.
pub fn token_source(token_file_flag: Option<&std::path::Path>, file: &FileConfig) -> String {
    let env_set = std::env::var(ENV_TOKEN).is_ok_and(|t| !t.trim().is_empty());
    match (token_file_flag, env_set, &file.token, &file.token_file) {
        (Some(path), _, _, _) => format!("--token-file {}", path.display()),
        (None, true, _, _) => ENV_TOKEN.to_owned(),
        (None, false, Some(_), _) => "the config file's token".to_owned(),
        (None, false, None, Some(path)) => {
            format!("the config file's token_file {}", path.display())
        }
        (None, false, None, None) => "nowhere".to_owned(),
    }
}

/// The clock of one run: each check gets its own limit, cut to what is left
/// of the run's.
struct Budget {
    end: Instant,
}

impl Budget {
    fn limit(&self) -> Duration {
        self.end
            .saturating_duration_since(Instant::now())
            .min(CHECK_LIMIT)
    }

    fn spent(&self) -> bool {
        self.limit().is_zero()
    }

    async fn run<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout(self.limit(), work).await.ok()
    }
}

/// Runs every check against the configured gateway, or the embedded
/// simulator when none is configured.
pub async fn run(
    settings: &Settings,
    config: Check,
    token_source: &str,
    car: Option<&str>,
) -> Report {
    let budget = Budget {
        end: Instant::now() + RUN_LIMIT,
    };
    let mut report = Report {
        target: String::new(),
        checks: vec![config],
    };
    let (embedded, base, net) = match &settings.api {
        Some(api) => (None, api.clone(), settings.net.clone()),
        None => match crate::sim::spawn(crate::sim::Scenario::built_in(), None).await {
            Ok(sim) => {
                let url = sim.url();
                (Some(sim), url, NetOptions::default())
            }
            Err(e) => {
                report.set(
                    "gateway",
                    Mark::Failed,
                    format!("no gateway configured, and the embedded simulator cannot start: {e}"),
                );
                return report.finish("not run: no gateway");
            }
        },
    };
    report.target = sanitize(&base);
    let url = match parse_url(&base) {
        Ok(url) => url,
        Err(why) => {
            report.set_with(
                "gateway",
                Mark::Failed,
                format!("{:?} is not usable: {why}", sanitize(&base)),
                Some("Give --api like https://gateway.example or http://127.0.0.1:8080"),
            );
            return report.finish("not run: no usable gateway address");
        }
    };
    if embedded.is_some() {
        report.set(
            "gateway",
            Mark::Ok,
            format!("none configured: the embedded simulator at {url}"),
        );
    } else {
        report.set("gateway", Mark::Ok, url.as_str());
    }
    let car = car
        .map(str::to_owned)
        .or_else(|| embedded.as_ref().map(|_| EMBEDDED_CAR.to_owned()));

    let Some(conn) = network_checks(&mut report, &budget, &url, &net).await else {
        return report.finish("not run: the gateway cannot be reached");
    };
    let http_ok = conn.usable;
    client_cert_check(
        &mut report,
        &net,
        conn.tls_problem.as_ref(),
        url.scheme(),
        http_ok,
    );
    if !http_ok {
        token_check(
            &mut report,
            settings,
            token_source,
            embedded.is_some(),
            None,
        );
        return report.finish("not run: no secure connection to the gateway");
    }
    let token = if embedded.is_some() {
        None
    } else {
        settings.token.clone()
    };
    let unauthorized = contract_checks(
        &mut report,
        &budget,
        &url,
        &net,
        &settings.device_id,
        token.as_ref(),
        car.as_deref(),
    )
    .await;
    token_check(
        &mut report,
        settings,
        token_source,
        embedded.is_some(),
        Some(unauthorized),
    );
    drop(embedded);
    report.finish("not run")
}

fn parse_url(raw: &str) -> Result<Url, String> {
    let mut url = Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https are supported".into());
    }
    if url.host_str().is_none() {
        return Err("it has no host".into());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// What the network checks leave for the rest.
struct Connection {
    /// The gateway can be spoken to over HTTP(S).
    usable: bool,
    tls_problem: Option<TlsProblem>,
}

/// Proxy, name resolution, TCP and TLS. `None` when the gateway cannot be
/// reached at all.
async fn network_checks(
    report: &mut Report,
    budget: &Budget,
    url: &Url,
    net: &NetOptions,
) -> Option<Connection> {
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let proxy = match net.proxy.proxy_for(url) {
        Ok(choice) => choice,
        Err(e) => {
            report.set_with("proxy", Mark::Failed, e.to_string(), None::<String>);
            return None;
        }
    };
    match &proxy {
        None => {
            let skipped = [&net.proxy.http, &net.proxy.https, &net.proxy.all]
                .iter()
                .any(|v| v.is_some());
            let detail = if skipped {
                format!("NO_PROXY skips the proxy for {host}: direct connection")
            } else {
                "none: direct connection".to_owned()
            };
            report.set("proxy", Mark::Ok, detail);
        }
        Some(choice) => report.set(
            "proxy",
            Mark::Ok,
            format!("{} (from {})", choice.shown(), choice.from),
        ),
    }

    // Name resolution: of the gateway, or of the proxy, which resolves the
    // gateway's name itself.
    let (dial_host, dial_port) = match &proxy {
        Some(p) => (
            p.url.host_str().unwrap_or_default().to_owned(),
            p.url.port_or_known_default().unwrap_or(80),
        ),
        None => (host.clone(), port),
    };
    let bare = dial_host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        report.set(
            "dns",
            Mark::Ok,
            format!("{ip} is an address: nothing to resolve"),
        );
        vec![SocketAddr::new(ip, dial_port)]
    } else {
        let what = if proxy.is_some() { "the proxy " } else { "" };
        match budget
            .run(tokio::net::lookup_host((dial_host.as_str(), dial_port)))
            .await
        {
            Some(Ok(found)) => {
                let found: Vec<SocketAddr> = found.collect();
                let shown: Vec<String> = found.iter().take(3).map(|a| a.ip().to_string()).collect();
                let mut detail = format!("{what}{dial_host} → {}", shown.join(", "));
                if proxy.is_some() {
                    detail.push_str(" (the proxy resolves the gateway's name)");
                }
                report.set("dns", Mark::Ok, detail);
                found
            }
            Some(Err(e)) => {
                report.set_with(
                    "dns",
                    Mark::Failed,
                    format!("cannot resolve {what}{dial_host}: {e}"),
                    Some("Check the host name in --api (or the proxy variable) and this machine's DNS settings"),
                );
                return None;
            }
            None => {
                report.set_with(
                    "dns",
                    Mark::Failed,
                    format!(
                        "no answer for {what}{dial_host} within {} s",
                        CHECK_LIMIT.as_secs()
                    ),
                    Some("Check this machine's DNS settings"),
                );
                return None;
            }
        }
    };

    let started = Instant::now();
    let mut stream = None;
    let mut last_error = String::from("no address");
    for addr in &addrs {
        match budget.run(TcpStream::connect(addr)).await {
            Some(Ok(s)) => {
                stream = Some((s, *addr));
                break;
            }
            Some(Err(e)) => last_error = format!("{addr}: {e}"),
            None => {
                last_error = format!("{addr}: no answer within {} s", CHECK_LIMIT.as_secs());
                break;
            }
        }
    }
    let Some((mut stream, addr)) = stream else {
        let what = if proxy.is_some() {
            "the proxy"
        } else {
            "the gateway"
        };
        report.set_with(
            "tcp",
            Mark::Failed,
            format!("cannot connect to {what}: {last_error}"),
            Some(if proxy.is_some() {
                "Check the proxy variable, or set NO_PROXY for this host"
            } else {
                "Check that the gateway runs, the port in --api, and any firewall"
            }),
        );
        return None;
    };
    let took = started.elapsed().as_millis();
    let target = if proxy.is_some() { "the proxy at " } else { "" };
    report.set(
        "tcp",
        Mark::Ok,
        format!("connected to {target}{addr} in {took} ms"),
    );

    if url.scheme() != "https" {
        report.set("tls", Mark::Ok, "not used: the address is plain http://");
        return Some(Connection {
            usable: true,
            tls_problem: None,
        });
    }
    if let Some(choice) = &proxy
        && let Err(why) = connect_tunnel(budget, &mut stream, &host, port).await
    {
        report.set_with(
            "proxy",
            Mark::Failed,
            format!("{} (from {}) {why}", choice.shown(), choice.from),
            Some("Check the proxy variable, or set NO_PROXY for this host"),
        );
        return None;
    }
    tls_check(report, budget, stream, &host, net, proxy.as_ref()).await
}

/// Asks the proxy for a tunnel (`CONNECT host:port`).
async fn connect_tunnel(
    budget: &Budget,
    stream: &mut TcpStream,
    host: &str,
    port: u16,
) -> Result<(), String> {
    let request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n");
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        // Byte by byte up to the blank line, so no tunnelled byte is eaten.
        while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
            if stream.read(&mut byte).await? == 0 {
                break;
            }
            head.push(byte[0]);
        }
        Ok::<_, std::io::Error>(head)
    };
    match budget.run(exchange).await {
        None => Err(format!(
            "did not answer CONNECT within {} s",
            CHECK_LIMIT.as_secs()
        )),
        Some(Err(e)) => Err(format!("broke off the CONNECT request: {e}")),
        Some(Ok(head)) => {
            let text = String::from_utf8_lossy(&head);
            let status_line = sanitize(text.lines().next().unwrap_or(""));
            let ok = status_line
                .split_whitespace()
                .nth(1)
                .is_some_and(|code| code == "200");
            if ok {
                Ok(())
            } else {
                Err(format!("refused the tunnel: {status_line:?}"))
            }
        }
    }
}

fn days(n: i64) -> String {
    match n {
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}

/// The TLS handshake, with the same trust and client certificate as every
/// call; then one request, because a gateway that demands a client
/// certificate says so only after the handshake (TLS 1.3).
async fn tls_check<S>(
    report: &mut Report,
    budget: &Budget,
    stream: S,
    host: &str,
    net: &NetOptions,
    proxy: Option<&ProxyChoice>,
) -> Option<Connection>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let presented: crate::net::Presented = Arc::new(Mutex::new(Vec::new()));
    let config = match crate::net::client_tls(net, Some(presented.clone())) {
        Ok(config) => config,
        Err(e @ NetError::CaFile { .. }) => {
            report.set_with("tls", Mark::Failed, e.to_string(), None::<String>);
            return None;
        }
        Err(e) => {
            report.set(
                "tls",
                Mark::Skipped,
                "not tried: the client certificate is unusable",
            );
            report.set_with("client_cert", Mark::Failed, e.to_string(), None::<String>);
            return Some(Connection {
                usable: false,
                tls_problem: None,
            });
        }
    };
    let Ok(name) = rustls::pki_types::ServerName::try_from(host.to_owned()) else {
        report.set(
            "tls",
            Mark::Failed,
            format!("{host:?} is not a usable TLS name"),
        );
        return None;
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let exchange = async {
        let mut tls = connector.connect(name, stream).await?;
        let version = tls
            .get_ref()
            .1
            .protocol_version()
            .map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1."))
            .unwrap_or_else(|| "TLS".into());
        let probe = format!("HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        tls.write_all(probe.as_bytes()).await?;
        let mut first = [0u8; 1];
        let _ = tls.read(&mut first).await?;
        Ok::<_, std::io::Error>(version)
    };
    let outcome = budget.run(exchange).await;
    let leaf = presented
        .lock()
        .ok()
        .and_then(|p| p.first().and_then(|der| CertSummary::parse(der)));
    let issued = leaf
        .as_ref()
        .map(|c| format!("certificate for {}, issued by {}", c.subject, c.issuer))
        .unwrap_or_else(|| "certificate".into());
    match outcome {
        None => {
            report.set_with(
                "tls",
                Mark::Failed,
                format!("no TLS handshake within {} s", CHECK_LIMIT.as_secs()),
                Some("Check that the port in --api speaks TLS; if it does, tell the gateway's operator"),
            );
            None
        }
        Some(Ok(version)) => {
            let (mark, left) = match &leaf {
                Some(c) if c.days_left() < EXPIRY_WARNING_DAYS => {
                    (Mark::Warning, format!(", {} left", days(c.days_left())))
                }
                Some(c) => (Mark::Ok, format!(", {} left", days(c.days_left()))),
                None => (Mark::Ok, String::new()),
            };
            report.set_with(
                "tls",
                mark,
                format!("{version}; {issued}{left}; trusted"),
                (mark == Mark::Warning)
                    .then_some("Tell the gateway's operator that its certificate ends soon"),
            );
            Some(Connection {
                usable: true,
                tls_problem: None,
            })
        }
        Some(Err(e)) => {
            let problem =
                TlsProblem::find(&e).unwrap_or_else(|| TlsProblem::Other(sanitize(&e.to_string())));
            let (detail, remedy) = tls_failure(&problem, &issued, leaf.as_ref(), proxy);
            match problem {
                TlsProblem::CertificateRequired | TlsProblem::ClientCertificateRefused(_) => {
                    report.set(
                        "tls",
                        Mark::Ok,
                        format!("{issued}; trusted; the gateway asks for a client certificate"),
                    );
                }
                _ => report.set_with("tls", Mark::Failed, detail, Some(remedy)),
            }
            Some(Connection {
                usable: false,
                tls_problem: Some(problem),
            })
        }
    }
}

fn tls_failure(
    problem: &TlsProblem,
    issued: &str,
    leaf: Option<&CertSummary>,
    proxy: Option<&ProxyChoice>,
) -> (String, String) {
    match problem {
        TlsProblem::UnknownIssuer => {
            let named_file = leaf
                .and_then(|c| c.issuer_unit.as_deref())
                .map(std::path::Path::new)
                .filter(|p| p.is_absolute() && p.is_file());
            let remedy = match (named_file, leaf) {
                (Some(file), _) => format!("Add --ca-file {}", file.display()),
                (None, Some(c)) => format!(
                    "Add --ca-file FILE, FILE being the certificate (PEM) of {}; ask the network's administrator for it",
                    c.issuer
                ),
                (None, None) => {
                    "Add --ca-file FILE with the issuing authority's certificate (PEM)".into()
                }
            };
            let via = proxy
                .map(|p| format!(" (through the proxy {}, which may inspect TLS)", p.shown()))
                .unwrap_or_default();
            (
                format!("{issued}: the issuer is not trusted here (unknown issuer){via}"),
                remedy,
            )
        }
        TlsProblem::Expired => (
            format!(
                "{issued}: expired{}",
                leaf.map(|c| format!(" {} ago", days(-c.days_left())))
                    .unwrap_or_default()
            ),
            "Check this machine's date; if it is right, tell the gateway's operator".into(),
        ),
        TlsProblem::NotYetValid => (
            format!("{issued}: not valid yet"),
            "Check this machine's date and time".into(),
        ),
        TlsProblem::WrongHost => (
            format!("{issued}: not made for this host name"),
            "Use in --api the host name the certificate was made for".into(),
        ),
        TlsProblem::NotTls => (
            "what answered does not speak TLS".into(),
            "Check the port, or use http:// if the gateway has no TLS".into(),
        ),
        TlsProblem::HandshakeRefused(alert) => (
            format!("the gateway refused the handshake ({alert})"),
            "Check --api; if it is right, tell the gateway's operator".into(),
        ),
        TlsProblem::CertificateRequired | TlsProblem::ClientCertificateRefused(_) => (
            "the gateway asks for a client certificate".into(),
            "Give one with --client-cert FILE --client-key FILE".into(),
        ),
        TlsProblem::Other(what) => (
            format!("failed: {what}"),
            "Check --api, --ca-file and the client certificate".into(),
        ),
    }
}

fn client_cert_check(
    report: &mut Report,
    net: &NetOptions,
    problem: Option<&TlsProblem>,
    scheme: &str,
    reached: bool,
) {
    if report.has("client_cert") {
        return;
    }
    let identity = match crate::net::load_identity(net) {
        Ok(identity) => identity,
        Err(e) => {
            report.set_with("client_cert", Mark::Failed, e.to_string(), None::<String>);
            return;
        }
    };
    match (identity, problem) {
        (None, Some(TlsProblem::CertificateRequired | TlsProblem::ClientCertificateRefused(_))) => {
            report.set_with(
                "client_cert",
                Mark::Failed,
                "none given, and the gateway requires one",
                Some("Give one with --client-cert FILE --client-key FILE (or client_cert/client_key in the config file)"),
            );
        }
        (None, _) if scheme == "https" && reached => {
            report.set(
                "client_cert",
                Mark::Ok,
                "none given; the gateway did not ask for one",
            );
        }
        (None, _) if scheme == "https" => report.set("client_cert", Mark::Ok, "none given"),
        (None, _) => report.set("client_cert", Mark::Ok, "none given (plain http://)"),
        (Some((chain, _)), problem) => {
            let summary = chain.first().and_then(|der| CertSummary::parse(der));
            let path = net
                .client_cert
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let about = summary
                .as_ref()
                .map(|c| format!("{path}: {}, issued by {}", c.subject, c.issuer))
                .unwrap_or_else(|| path.clone());
            match (problem, &summary) {
                (Some(TlsProblem::ClientCertificateRefused(alert)), _) => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    format!("{about}: the gateway refused it ({alert})"),
                    Some("Use a certificate issued by the authority the gateway trusts"),
                ),
                (Some(TlsProblem::CertificateRequired), _) => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    format!("{about}: the gateway did not take it"),
                    Some("Use a certificate issued by the authority the gateway trusts"),
                ),
                (_, Some(c)) if c.expires_in < 0 => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    format!("{about}: expired {} ago", days(-c.days_left())),
                    Some("Ask for a new client certificate"),
                ),
                (_, Some(c)) if c.valid_since < 0 => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    format!("{about}: not valid yet"),
                    Some("Check this machine's date and time"),
                ),
                (_, Some(c)) if c.days_left() < EXPIRY_WARNING_DAYS => report.set_with(
                    "client_cert",
                    Mark::Warning,
                    format!("{about}: {} left", days(c.days_left())),
                    Some("Ask for a new client certificate soon"),
                ),
                (_, Some(c)) => report.set(
                    "client_cert",
                    Mark::Ok,
                    format!("{about}; key matches; {} left", days(c.days_left())),
                ),
                (_, None) => report.set("client_cert", Mark::Ok, format!("{about}; key matches")),
            }
        }
    }
}

fn token_check(
    report: &mut Report,
    settings: &Settings,
    source: &str,
    embedded: bool,
    // `None`: the gateway was not reached; else whether it answered 401.
    unauthorized: Option<bool>,
) {
    let Some(token) = &settings.token else {
        if unauthorized == Some(true) {
            report.set_with(
                "token",
                Mark::Failed,
                "none given, and the gateway wants one",
                Some(
                    "Give one with --token-file PATH, STEPWISE_TOKEN or `token` in the config file",
                ),
            );
        } else if embedded {
            report.set("token", Mark::Ok, "none needed by the embedded simulator");
        } else {
            report.set(
                "token",
                Mark::Ok,
                "none given; the gateway did not ask for one",
            );
        }
        return;
    };
    if embedded {
        report.set(
            "token",
            Mark::Ok,
            format!("from {source}; not sent to the embedded simulator"),
        );
        return;
    }
    let expiry = jwt_expiry(token);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    match (unauthorized.unwrap_or(false), expiry) {
        (_, Some(exp)) if exp <= now => report.set_with(
            "token",
            Mark::Failed,
            format!(
                "from {source}; expired {} ago",
                humantime::format_duration(Duration::from_secs(
                    u64::try_from(now - exp).unwrap_or(0)
                ))
            ),
            Some("Get a new token"),
        ),
        (true, _) => report.set_with(
            "token",
            Mark::Failed,
            format!("from {source}; the gateway refused it (HTTP 401)"),
            Some("Get a new token, or check that it is meant for this gateway"),
        ),
        (false, Some(exp)) => report.set(
            "token",
            Mark::Ok,
            format!(
                "from {source}; expires in {}",
                humantime::format_duration(Duration::from_secs(
                    u64::try_from(exp - now).unwrap_or(0)
                ))
            ),
        ),
        (false, None) if unauthorized.is_none() => report.set(
            "token",
            Mark::Ok,
            format!("from {source}; not tried (the gateway was not reached)"),
        ),
        (false, None) => report.set(
            "token",
            Mark::Ok,
            format!("from {source}; the gateway took it (its expiry is not written in it)"),
        ),
    }
}

/// The `exp` claim of a JSON Web Token, when the token is one.
fn jwt_expiry(token: &Secret) -> Option<i64> {
    let payload = token.expose().split('.').nth(1)?;
    let bytes = base64url(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()
}

fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// One answer, read up to a cap.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

const BODY_CAP: usize = 1024 * 1024;

struct Caller<'a> {
    http: reqwest::Client,
    base: &'a Url,
    device: &'a str,
    token: Option<&'a Secret>,
    budget: &'a Budget,
}

impl Caller<'_> {
    /// `Err` holds why nothing usable came back.
    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        accept: &str,
        read_body: bool,
    ) -> Result<Answer, String> {
        let url = self.base.join(path).map_err(|e| e.to_string())?;
        let mut request = self
            .http
            .get(url)
            .query(query)
            .header(ACCEPT, accept)
            .header(DEVICE_HEADER, self.device);
        if let Some(token) = self.token
            && let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        {
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        let limit = self.budget.limit();
        let exchange = async {
            let mut response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let mut body = Vec::new();
            if read_body {
                while let Some(chunk) = response.chunk().await? {
                    if body.len() + chunk.len() > BODY_CAP {
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
            }
            Ok::<_, reqwest::Error>(Answer {
                status,
                headers,
                body,
            })
        };
        match tokio::time::timeout(limit, exchange).await {
            Err(_) => Err(format!("no answer within {:.0} s", limit.as_secs_f64())),
            Ok(Err(e)) => {
                let mut text = match TlsProblem::find(&e) {
                    Some(p) => p.code().to_owned(),
                    None => {
                        let mut source: &dyn std::error::Error = &e;
                        while let Some(next) = source.source() {
                            source = next;
                        }
                        source.to_string()
                    }
                };
                if let Some(token) = self.token {
                    text = text.replace(token.expose(), "<redacted>");
                }
                Err(sanitize(&text))
            }
            Ok(Ok(answer)) => Ok(answer),
        }
    }
}

fn steps_query<'a>(key: &'a str, id: &'a str, status: &'a str) -> [(&'a str, &'a str); 3] {
    [(key, id), ("resetSteps", "false"), ("stepsStatus", status)]
}

fn http_failure(status: StatusCode, body: &[u8]) -> String {
    let said = protocol::decode_error(body)
        .and_then(|b| b.message)
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    format!("HTTP {}{said}", status.as_u16())
}

/// The read-only contract checks and the clock. Returns whether the gateway
/// answered 401 (the token line says why).
async fn contract_checks(
    report: &mut Report,
    budget: &Budget,
    base: &Url,
    net: &NetOptions,
    device: &str,
    token: Option<&Secret>,
    car: Option<&str>,
) -> bool {
    let builder = reqwest::Client::builder()
        .connect_timeout(CHECK_LIMIT)
        .user_agent(concat!("stepwise-doctor/", env!("CARGO_PKG_VERSION")));
    let http = match crate::net::configure(builder, net).map(|b| b.build()) {
        Ok(Ok(http)) => http,
        Ok(Err(e)) => {
            report.set(
                "error_body",
                Mark::Failed,
                format!("cannot set up HTTP: {e}"),
            );
            return false;
        }
        Err(e) => {
            report.set("error_body", Mark::Failed, e.to_string());
            return false;
        }
    };
    let caller = Caller {
        http,
        base,
        device,
        token,
        budget,
    };
    let mut unauthorized = false;
    const LIST: &str = "pims/subscription/steps";
    const JSON: &str = "application/json";

    // A request with neither id: a 400 with a JSON body, and the gateway's Date.
    match caller.get(LIST, &[], JSON, true).await {
        Err(why) => {
            report.set_with(
                "error_body",
                Mark::Failed,
                format!("the gateway did not answer: {why}"),
                Some("Check that the gateway runs and is not overloaded; then retry"),
            );
            report.set(
                "clock",
                Mark::Skipped,
                "not run: the gateway did not answer",
            );
            return false;
        }
        Ok(answer) => {
            clock_check(report, &answer.headers);
            match (answer.status, protocol::decode_error(&answer.body)) {
                (StatusCode::BAD_REQUEST, Some(body)) => report.set(
                    "error_body",
                    Mark::Ok,
                    format!(
                        "a request with no id gets 400 with a JSON message ({})",
                        body.message.unwrap_or_else(|| "code only".into())
                    ),
                ),
                (StatusCode::BAD_REQUEST, None) => report.set_with(
                    "error_body",
                    Mark::Warning,
                    "a request with no id gets 400, but no JSON {\"code\", \"message\"} body",
                    Some("Tell the gateway's operator: error bodies should be JSON"),
                ),
                (StatusCode::UNAUTHORIZED, _) => {
                    unauthorized = true;
                    report.set(
                        "error_body",
                        Mark::Warning,
                        "not checked: the gateway wants a valid token first (HTTP 401)",
                    );
                }
                (status, _) => report.set_with(
                    "error_body",
                    Mark::Warning,
                    format!(
                        "a request with no id gets {} instead of 400",
                        http_failure(status, &answer.body)
                    ),
                    Some("Check that --api points at a steps gateway"),
                ),
            }
        }
    }

    let Some(car) = car else {
        report.set_with(
            "first_list",
            Mark::Warning,
            "not tried: no carAssociationID given",
            Some("Run again with --car ID to try the steps calls"),
        );
        return unauthorized;
    };
    if budget.spent() {
        return unauthorized;
    }
    let first = match caller
        .get(
            LIST,
            &steps_query("carAssociationID", car, "all"),
            JSON,
            true,
        )
        .await
    {
        Err(why) => {
            report.set("first_list", Mark::Failed, format!("no answer: {why}"));
            return unauthorized;
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
            report.set_with(
                "first_list",
                Mark::Failed,
                "HTTP 401: the gateway wants a valid token",
                Some("See the Token line"),
            );
            return true;
        }
        Ok(a) if !a.status.is_success() => {
            report.set_with(
                "first_list",
                Mark::Failed,
                format!(
                    "carAssociationID {car}: {}",
                    http_failure(a.status, &a.body)
                ),
                Some("Check the carAssociationID given with --car"),
            );
            return unauthorized;
        }
        Ok(a) => match protocol::decode_list(&a.body) {
            Ok(list) => list,
            Err(e) => {
                report.set_with(
                    "first_list",
                    Mark::Failed,
                    format!("the answer is not a steps list: {e}"),
                    Some("Check that --api points at a steps gateway"),
                );
                return unauthorized;
            }
        },
    };
    let Some(steps_id) = first.steps_id.clone() else {
        report.set_with(
            "first_list",
            Mark::Failed,
            format!("{} steps but no stepsID", first.steps.len()),
            Some("Tell the gateway's operator: the list must carry a stepsID"),
        );
        return unauthorized;
    };
    report.set(
        "first_list",
        Mark::Ok,
        format!(
            "carAssociationID {car}: {} steps ({} done), stepsID {steps_id}",
            first.steps.len(),
            first.done_count()
        ),
    );

    // Refresh by stepsID.
    if budget.spent() {
        return unauthorized;
    }
    match caller
        .get(LIST, &steps_query("stepsID", &steps_id, "all"), JSON, true)
        .await
        .map(|a| (a.status, protocol::decode_list(&a.body), a.body))
    {
        Ok((status, Ok(list), _)) if status.is_success() => {
            let same = names(&list) == names(&first);
            report.set_with(
                "refresh",
                if same { Mark::Ok } else { Mark::Warning },
                format!("{} steps", list.steps.len()),
                (!same).then_some("The refreshed list names other steps than the first: tell the gateway's operator"),
            );
        }
        Ok((status, Err(e), _)) if status.is_success() => {
            report.set(
                "refresh",
                Mark::Failed,
                format!("the answer is not a steps list: {e}"),
            );
        }
        Ok((status, _, body)) => report.set("refresh", Mark::Failed, http_failure(status, &body)),
        Err(why) => report.set("refresh", Mark::Failed, format!("no answer: {why}")),
    }

    // The next step.
    if budget.spent() {
        return unauthorized;
    }
    match caller
        .get(
            "pims/subscription/step",
            &[("stepsID", &steps_id)],
            JSON,
            true,
        )
        .await
    {
        Ok(a) if a.status.is_success() => {
            match protocol::decode_next(&a.body) {
                Ok(next) => {
                    let expected = first.next().map(|s| s.name.clone());
                    let got = next.as_ref().map(|s| s.name.clone());
                    let detail = match &got {
                        Some(name) => format!("{name} to do"),
                        None => "nothing left to do".into(),
                    };
                    if expected == got {
                        report.set("next_step", Mark::Ok, detail);
                    } else {
                        report.set_with(
                        "next_step",
                        Mark::Warning,
                        format!("{detail}, but the list says {}", expected.unwrap_or_else(|| "nothing".into())),
                        Some("Tell the gateway's operator: the next step disagrees with the list"),
                    );
                    }
                }
                Err(e) => report.set(
                    "next_step",
                    Mark::Failed,
                    format!("the answer is not a step: {e}"),
                ),
            }
        }
        Ok(a) => report.set("next_step", Mark::Failed, http_failure(a.status, &a.body)),
        Err(why) => report.set("next_step", Mark::Failed, format!("no answer: {why}")),
    }

    // The status filter.
    if budget.spent() {
        return unauthorized;
    }
    match caller
        .get(LIST, &steps_query("stepsID", &steps_id, "todo"), JSON, true)
        .await
    {
        Ok(a) if a.status.is_success() => match protocol::decode_list(&a.body) {
            Ok(list) => {
                let stray = list
                    .steps
                    .iter()
                    .filter(|s| s.status != Status::Todo)
                    .count();
                let todo = first
                    .steps
                    .iter()
                    .filter(|s| s.status == Status::Todo)
                    .count();
                if stray == 0 && list.steps.len() == todo {
                    report.set(
                        "status_filter",
                        Mark::Ok,
                        format!("stepsStatus=todo gives the {todo} steps to do"),
                    );
                } else {
                    report.set_with(
                        "status_filter",
                        Mark::Failed,
                        format!(
                            "stepsStatus=todo gives {} steps ({stray} not to do); the list has {todo} to do",
                            list.steps.len()
                        ),
                        Some("Tell the gateway's operator: stepsStatus is not applied"),
                    );
                }
            }
            Err(e) => report.set(
                "status_filter",
                Mark::Failed,
                format!("the answer is not a steps list: {e}"),
            ),
        },
        Ok(a) => report.set(
            "status_filter",
            Mark::Failed,
            http_failure(a.status, &a.body),
        ),
        Err(why) => report.set("status_filter", Mark::Failed, format!("no answer: {why}")),
    }

    // Live events: offered or not; only the answer's head is read.
    if budget.spent() {
        return unauthorized;
    }
    match caller
        .get(
            "pims/subscription/steps/events",
            &[("stepsID", &steps_id)],
            "text/event-stream",
            false,
        )
        .await
    {
        Ok(a) if a.status.is_success() => {
            let is_stream = a
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            if is_stream {
                report.set(
                    "events",
                    Mark::Ok,
                    "offered: the wizard follows changes live",
                );
            } else {
                report.set_with(
                    "events",
                    Mark::Warning,
                    "answered, but not with text/event-stream: the wizard polls",
                    Some("Tell the gateway's operator: live events must be Server-Sent Events"),
                );
            }
        }
        Ok(a) if a.status == StatusCode::NOT_FOUND => {
            report.set(
                "events",
                Mark::Ok,
                "not offered (404): the wizard polls instead",
            );
        }
        Ok(a) => report.set(
            "events",
            Mark::Warning,
            format!(
                "{}: the wizard polls instead",
                http_failure(a.status, &a.body)
            ),
        ),
        Err(why) => report.set(
            "events",
            Mark::Warning,
            format!("no answer ({why}): the wizard polls instead"),
        ),
    }

    // Guidance pages for the customer's phone: offered or not (no token).
    if budget.spent() {
        return unauthorized;
    }
    match caller
        .get("guidance/trusterPhoneNumber", &[], "text/html", false)
        .await
    {
        Ok(a) if a.status.is_success() => report.set(
            "guidance",
            Mark::Ok,
            "offered: the QR code and o open the gateway's page in the customer's language",
        ),
        Ok(a) if a.status == StatusCode::NOT_FOUND => report.set(
            "guidance",
            Mark::Ok,
            "not offered (404): the QR code leads to docs_base_url, or the archived developer pages",
        ),
        Ok(a) => report.set(
            "guidance",
            Mark::Warning,
            format!(
                "{}: the QR code leads to docs_base_url, or the archived developer pages",
                http_failure(a.status, &a.body)
            ),
        ),
        Err(why) => report.set(
            "guidance",
            Mark::Warning,
            format!("no answer ({why}): the QR code leads to docs_base_url, or the archived developer pages"),
        ),
    }
    unauthorized
}

fn names(list: &StepsList) -> Vec<&str> {
    let mut names: Vec<&str> = list.steps.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// The gateway's clock against this machine's, from the `Date` header.
fn clock_check(report: &mut Report, headers: &HeaderMap) {
    let Some(date) = headers.get(DATE).and_then(|v| v.to_str().ok()) else {
        report.set_with(
            "clock",
            Mark::Warning,
            "the gateway sends no Date header: the clocks cannot be compared",
            None::<String>,
        );
        return;
    };
    let Ok(theirs) = httpdate::parse_http_date(date) else {
        report.set(
            "clock",
            Mark::Warning,
            format!(
                "the gateway's Date header {:?} cannot be read",
                sanitize(date)
            ),
        );
        return;
    };
    let ours = SystemTime::now();
    let (ahead, by) = match ours.duration_since(theirs) {
        Ok(d) => (true, d),
        Err(e) => (false, e.duration()),
    };
    let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
    let way = if ahead { "ahead of" } else { "behind" };
    if secs > SKEW_LIMIT {
        report.set_with(
            "clock",
            Mark::Warning,
            format!("this machine's clock is {secs} s {way} the gateway's"),
            Some("Set the clock (NTP): token and certificate checks depend on it"),
        );
    } else {
        report.set(
            "clock",
            Mark::Ok,
            format!("within {} s of the gateway's", secs.max(1)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_expiry_is_read_from_the_payload() {
        // {"exp":1700000000}
        let token = Secret::new("eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDB9.");
        assert_eq!(jwt_expiry(&token), Some(1_700_000_000));
        assert_eq!(jwt_expiry(&Secret::new("opaque-token")), None);
    }

    #[test]
    fn the_clock_is_compared_with_the_date_header() {
        let mut report = Report::default();
        let mut headers = HeaderMap::new();
        let off = SystemTime::now() - Duration::from_secs(300);
        headers.insert(DATE, httpdate::fmt_http_date(off).parse().unwrap());
        clock_check(&mut report, &headers);
        let line = report.get("clock").unwrap();
        assert_eq!(line.status, Mark::Warning);
        assert!(line.detail.contains("ahead of"), "{}", line.detail);
        headers.insert(
            DATE,
            httpdate::fmt_http_date(SystemTime::now()).parse().unwrap(),
        );
        clock_check(&mut report, &headers);
        assert_eq!(report.get("clock").unwrap().status, Mark::Ok);
    }

    #[test]
    fn the_report_lists_every_check_in_order_with_words() {
        let report = Report::default().finish("not run");
        let ids: Vec<&str> = report.checks.iter().map(|c| c.id).collect();
        let expected: Vec<&str> = ORDER.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, expected);
        let text = report.text();
        assert!(text.contains("- skipped"), "{text}");
        assert!(!report.failed());
    }
}
