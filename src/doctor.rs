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
use crate::text::{Lang, num};
use crate::tr;
use crate::wire as protocol;
use fluent_bundle::FluentValue;

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
    const ALL: [Mark; 4] = [Mark::Ok, Mark::Warning, Mark::Failed, Mark::Skipped];

    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Ok => "✓",
            Mark::Warning => "!",
            Mark::Failed => "✗",
            Mark::Skipped => "-",
        }
    }

    /// The word beside the symbol, so no line depends on colour alone.
    pub fn word(self, lang: Lang) -> String {
        match self {
            Mark::Ok => tr!(lang, "doctor-mark-ok"),
            Mark::Warning => tr!(lang, "doctor-mark-warning"),
            Mark::Failed => tr!(lang, "doctor-mark-failed"),
            Mark::Skipped => tr!(lang, "doctor-mark-skipped"),
        }
    }
}

/// A piece of a finding: text as it came (an address, a path, an error as
/// the system or a file wrote it), a number, or words of the catalogue.
/// Findings are kept as data; the words are made when the report is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Num(i64),
    Words(Box<Words>),
    /// Words another module makes (an error's own), in every language of
    /// [`Lang::ALL`], in that order.
    Each(Vec<String>),
}

impl Arg {
    /// The words `words` makes, in every language.
    pub fn each(words: impl Fn(Lang) -> String) -> Arg {
        Arg::Each(Lang::ALL.iter().map(|lang| words(*lang)).collect())
    }

    pub fn render(&self, lang: Lang) -> String {
        match self {
            Arg::Text(text) => text.clone(),
            Arg::Num(n) => n.to_string(),
            Arg::Words(words) => words.render(lang),
            Arg::Each(all) => {
                let at = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
                all.get(at).cloned().unwrap_or_default()
            }
        }
    }

    fn value(&self, lang: Lang) -> FluentValue<'static> {
        match self {
            Arg::Text(text) => FluentValue::from(text.clone()),
            Arg::Num(n) => FluentValue::from(*n),
            Arg::Words(words) => FluentValue::from(words.render(lang)),
            Arg::Each(_) => FluentValue::from(self.render(lang)),
        }
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_owned())
    }
}

impl From<Words> for Arg {
    fn from(words: Words) -> Self {
        Arg::Words(Box::new(words))
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<u128> for Arg {
    fn from(n: u128) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A message of the catalogue with its arguments, not yet in any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub id: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Words {
    pub fn render(&self, lang: Lang) -> String {
        let mut args = crate::text::Args::new();
        for (name, value) in &self.args {
            args.set(*name, value.value(lang));
        }
        crate::text::message(lang, self.id, Some(&args))
    }
}

/// `words!("doctor-…", name = value, ...)`: a finding's words, kept as data.
macro_rules! words {
    ($id:literal) => {
        Words {
            id: $id,
            args: Vec::new(),
        }
    };
    ($id:literal, $($key:ident = $value:expr),+ $(,)?) => {
        Words {
            id: $id,
            args: vec![$((stringify!($key), Arg::from($value))),+],
        }
    };
}

/// The checks, in the order they are shown, with the catalogue id of each
/// one's name.
const ORDER: [(&str, &str); 16] = [
    ("config", "doctor-check-config"),
    ("gateway", "doctor-check-gateway"),
    ("dns", "doctor-check-dns"),
    ("proxy", "doctor-check-proxy"),
    ("tcp", "doctor-check-tcp"),
    ("tls", "doctor-check-tls"),
    ("client_cert", "doctor-check-client-cert"),
    ("token", "doctor-check-token"),
    ("clock", "doctor-check-clock"),
    ("first_list", "doctor-check-first-list"),
    ("refresh", "doctor-check-refresh"),
    ("next_step", "doctor-check-next-step"),
    ("status_filter", "doctor-check-status-filter"),
    ("error_body", "doctor-check-error-body"),
    ("events", "doctor-check-events"),
    ("guidance", "doctor-check-guidance"),
];

/// The report's target when the settings could not be resolved.
const UNUSABLE_TARGET: &str = "(settings unusable)";

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub status: Mark,
    pub detail: Arg,
    pub remedy: Option<Arg>,
}

impl Check {
    /// The check's name in `lang`.
    pub fn title(&self, lang: Lang) -> String {
        ORDER
            .iter()
            .find(|(known, _)| *known == self.id)
            .map_or_else(
                || self.id.to_owned(),
                |(_, title)| crate::text::message(lang, title, None),
            )
    }
}

/// `--json` is language-neutral: its words are always the English ones,
/// whatever language the terminal speaks.
impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            id: &'a str,
            title: String,
            status: Mark,
            detail: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            remedy: Option<String>,
        }
        Out {
            id: self.id,
            title: self.title(Lang::En),
            status: self.status,
            detail: self.detail.render(Lang::En),
            remedy: self.remedy.as_ref().map(|r| r.render(Lang::En)),
        }
        .serialize(serializer)
    }
}

/// Everything `doctor` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub target: String,
    pub checks: Vec<Check>,
}

impl Report {
    fn set(&mut self, id: &'static str, status: Mark, detail: impl Into<Arg>) {
        self.set_with(id, status, detail, None::<Arg>);
    }

    fn set_with(
        &mut self,
        id: &'static str,
        status: Mark,
        detail: impl Into<Arg>,
        remedy: Option<impl Into<Arg>>,
    ) {
        self.checks.retain(|c| c.id != id);
        self.checks.push(Check {
            id,
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
    fn finish(mut self, reason: &Words) -> Self {
        for (id, _) in ORDER {
            if !self.has(id) {
                self.set(id, Mark::Skipped, reason.clone());
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

    /// The report for a terminal, in `lang`: one line per check, what to do
    /// below it. The columns widen to the language's longest mark word and
    /// check name (English: 8 and 19).
    pub fn text(&self, lang: Lang) -> String {
        use std::fmt::Write;
        let mark_width = Mark::ALL
            .iter()
            .map(|m| m.word(lang).chars().count())
            .max()
            .unwrap_or(0)
            .max(8);
        let title_width = ORDER
            .iter()
            .map(|(_, title)| crate::text::message(lang, title, None).chars().count() + 1)
            .max()
            .unwrap_or(0)
            .max(19);
        let target = if self.target == UNUSABLE_TARGET {
            tr!(lang, "doctor-target-unusable")
        } else {
            self.target.clone()
        };
        let mut out = format!("stepwise doctor: {target}\n");
        for check in &self.checks {
            let _ = writeln!(
                out,
                "{} {:<mark_width$} {:<title_width$} {}",
                check.status.symbol(),
                check.status.word(lang),
                check.title(lang),
                check.detail.render(lang)
            );
            if let Some(remedy) = &check.remedy {
                let _ = writeln!(
                    out,
                    "{:<indent$} → {}",
                    "",
                    remedy.render(lang),
                    indent = 3 + mark_width + title_width
                );
            }
        }
        let _ = writeln!(
            out,
            "{}",
            tr!(
                lang,
                "doctor-summary",
                failed = num(self.count(Mark::Failed)),
                warnings = num(self.count(Mark::Warning)),
                ok = num(self.count(Mark::Ok)),
                skipped = num(self.count(Mark::Skipped))
            )
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
            report.set("config", Mark::Ok, words!("doctor-config-no-dir"));
            Some(FileConfig::default())
        }
        Some(at) if !at.path.exists() => {
            report.set(
                "config",
                Mark::Ok,
                words!("doctor-config-none", path = at.path.display().to_string()),
            );
            Some(FileConfig::default())
        }
        Some(at) => match crate::config::load_file_config(at) {
            Ok(file) => {
                report.set(
                    "config",
                    Mark::Ok,
                    words!("doctor-config-read", path = at.path.display().to_string()),
                );
                Some(file)
            }
            Err(e) => {
                report.set_with(
                    "config",
                    Mark::Failed,
                    e.to_string(),
                    Some(words!("doctor-config-fix")),
                );
                None
            }
        },
    };
    let check = report.checks.remove(0);
    (check, file)
}

/// A report for settings that could not be resolved at all.
pub fn unusable_settings(config: Check, error: Arg) -> Report {
    let mut report = Report {
        target: UNUSABLE_TARGET.into(),
        checks: vec![config],
    };
    if report.get("config").is_some_and(|c| c.status == Mark::Ok) {
        report.set("config", Mark::Failed, error);
    }
    report.finish(&words!("doctor-skip-settings"))
}

/// Where the token comes from, in the order the settings choose it.
pub fn token_source(token_file_flag: Option<&std::path::Path>, file: &FileConfig) -> Arg {
    let env_set = std::env::var(ENV_TOKEN).is_ok_and(|t| !t.trim().is_empty());
    match (token_file_flag, env_set, &file.token, &file.token_file) {
        (Some(path), _, _, _) => Arg::Text(format!("--token-file {}", path.display())),
        (None, true, _, _) => Arg::Text(ENV_TOKEN.to_owned()),
        (None, false, Some(_), _) => words!("doctor-source-config-token").into(),
        (None, false, None, Some(path)) => words!(
            "doctor-source-config-token-file",
            path = path.display().to_string()
        )
        .into(),
        (None, false, None, None) => words!("doctor-source-nowhere").into(),
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
    token_source: &Arg,
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
                    words!("doctor-gateway-no-sim", error = e.to_string()),
                );
                return report.finish(&words!("doctor-skip-no-gateway"));
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
                words!(
                    "doctor-gateway-unusable",
                    address = format!("{:?}", sanitize(&base)),
                    why = why
                ),
                Some(words!("doctor-gateway-fix")),
            );
            return report.finish(&words!("doctor-skip-bad-address"));
        }
    };
    if embedded.is_some() {
        report.set(
            "gateway",
            Mark::Ok,
            words!("doctor-gateway-embedded", url = url.to_string()),
        );
    } else {
        report.set("gateway", Mark::Ok, url.as_str());
    }
    let car = car
        .map(str::to_owned)
        .or_else(|| embedded.as_ref().map(|_| EMBEDDED_CAR.to_owned()));

    let Some(conn) = network_checks(&mut report, &budget, &url, &net).await else {
        return report.finish(&words!("doctor-skip-unreachable"));
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
        return report.finish(&words!("doctor-skip-insecure"));
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
    report.finish(&words!("doctor-skip"))
}

fn parse_url(raw: &str) -> Result<Url, Arg> {
    let mut url = Url::parse(raw.trim()).map_err(|e| Arg::Text(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(words!("doctor-url-scheme").into());
    }
    if url.host_str().is_none() {
        return Err(words!("doctor-url-no-host").into());
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
            report.set("proxy", Mark::Failed, e.to_string());
            return None;
        }
    };
    match &proxy {
        None => {
            let skipped = [&net.proxy.http, &net.proxy.https, &net.proxy.all]
                .iter()
                .any(|v| v.is_some());
            let detail = if skipped {
                words!("doctor-proxy-no-proxy", host = host.clone())
            } else {
                words!("doctor-proxy-none")
            };
            report.set("proxy", Mark::Ok, detail);
        }
        Some(choice) => report.set(
            "proxy",
            Mark::Ok,
            words!(
                "doctor-proxy-used",
                proxy = choice.shown(),
                from = choice.from
            ),
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
            words!("doctor-dns-address", ip = ip.to_string()),
        );
        vec![SocketAddr::new(ip, dial_port)]
    } else {
        let via_proxy = proxy.is_some();
        match budget
            .run(tokio::net::lookup_host((dial_host.as_str(), dial_port)))
            .await
        {
            Some(Ok(found)) => {
                let found: Vec<SocketAddr> = found.collect();
                let shown: Vec<String> = found.iter().take(3).map(|a| a.ip().to_string()).collect();
                let detail: Arg = if via_proxy {
                    words!(
                        "doctor-dns-resolved-proxy",
                        host = dial_host.clone(),
                        addrs = shown.join(", ")
                    )
                    .into()
                } else {
                    Arg::Text(format!("{dial_host} → {}", shown.join(", ")))
                };
                report.set("dns", Mark::Ok, detail);
                found
            }
            Some(Err(e)) => {
                report.set_with(
                    "dns",
                    Mark::Failed,
                    if via_proxy {
                        words!(
                            "doctor-dns-failed-proxy",
                            host = dial_host.clone(),
                            error = e.to_string()
                        )
                    } else {
                        words!(
                            "doctor-dns-failed",
                            host = dial_host.clone(),
                            error = e.to_string()
                        )
                    },
                    Some(words!("doctor-dns-fix")),
                );
                return None;
            }
            None => {
                report.set_with(
                    "dns",
                    Mark::Failed,
                    if via_proxy {
                        words!(
                            "doctor-dns-timeout-proxy",
                            host = dial_host.clone(),
                            secs = CHECK_LIMIT.as_secs()
                        )
                    } else {
                        words!(
                            "doctor-dns-timeout",
                            host = dial_host.clone(),
                            secs = CHECK_LIMIT.as_secs()
                        )
                    },
                    Some(words!("doctor-dns-timeout-fix")),
                );
                return None;
            }
        }
    };

    let started = Instant::now();
    let mut stream = None;
    let mut last_error: Arg = words!("doctor-tcp-no-address").into();
    for addr in &addrs {
        match budget.run(TcpStream::connect(addr)).await {
            Some(Ok(s)) => {
                stream = Some((s, *addr));
                break;
            }
            Some(Err(e)) => last_error = Arg::Text(format!("{addr}: {e}")),
            None => {
                last_error = words!(
                    "doctor-tcp-timeout",
                    addr = addr.to_string(),
                    secs = CHECK_LIMIT.as_secs()
                )
                .into();
                break;
            }
        }
    }
    let Some((mut stream, addr)) = stream else {
        let (detail, remedy) = if proxy.is_some() {
            (
                words!("doctor-tcp-failed-proxy", error = last_error),
                words!("doctor-fix-proxy"),
            )
        } else {
            (
                words!("doctor-tcp-failed", error = last_error),
                words!("doctor-tcp-fix"),
            )
        };
        report.set_with("tcp", Mark::Failed, detail, Some(remedy));
        return None;
    };
    let took = started.elapsed().as_millis();
    let detail = if proxy.is_some() {
        words!(
            "doctor-tcp-connected-proxy",
            addr = addr.to_string(),
            ms = took
        )
    } else {
        words!("doctor-tcp-connected", addr = addr.to_string(), ms = took)
    };
    report.set("tcp", Mark::Ok, detail);

    if url.scheme() != "https" {
        report.set("tls", Mark::Ok, words!("doctor-tls-plain"));
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
            words!(
                "doctor-proxy-tunnel",
                proxy = choice.shown(),
                from = choice.from,
                why = why
            ),
            Some(words!("doctor-fix-proxy")),
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
) -> Result<(), Words> {
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
        None => Err(words!(
            "doctor-tunnel-timeout",
            secs = CHECK_LIMIT.as_secs()
        )),
        Some(Err(e)) => Err(words!("doctor-tunnel-broken", error = e.to_string())),
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
                Err(words!(
                    "doctor-tunnel-refused",
                    status = format!("{status_line:?}")
                ))
            }
        }
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
            report.set("tls", Mark::Failed, e.to_string());
            return None;
        }
        Err(e) => {
            report.set("tls", Mark::Skipped, words!("doctor-tls-skipped-cert"));
            report.set("client_cert", Mark::Failed, e.to_string());
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
            words!("doctor-tls-bad-name", host = format!("{host:?}")),
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
    let issued = leaf.as_ref().map_or_else(
        || words!("doctor-tls-certificate"),
        |c| {
            words!(
                "doctor-tls-issued",
                subject = c.subject.clone(),
                issuer = c.issuer.clone()
            )
        },
    );
    match outcome {
        None => {
            report.set_with(
                "tls",
                Mark::Failed,
                words!("doctor-tls-timeout", secs = CHECK_LIMIT.as_secs()),
                Some(words!("doctor-tls-timeout-fix")),
            );
            None
        }
        Some(Ok(version)) => {
            let (mark, detail) = match &leaf {
                Some(c) => (
                    if c.days_left() < EXPIRY_WARNING_DAYS {
                        Mark::Warning
                    } else {
                        Mark::Ok
                    },
                    words!(
                        "doctor-tls-trusted-left",
                        version = version,
                        issued = issued,
                        days = c.days_left()
                    ),
                ),
                None => (
                    Mark::Ok,
                    words!("doctor-tls-trusted", version = version, issued = issued),
                ),
            };
            report.set_with(
                "tls",
                mark,
                detail,
                (mark == Mark::Warning).then(|| words!("doctor-tls-ends-soon")),
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
                        words!("doctor-tls-asks-cert", issued = issued),
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
    issued: &Words,
    leaf: Option<&CertSummary>,
    proxy: Option<&ProxyChoice>,
) -> (Words, Words) {
    let issued = issued.clone();
    match problem {
        TlsProblem::UnknownIssuer => {
            let named_file = leaf
                .and_then(|c| c.issuer_unit.as_deref())
                .map(std::path::Path::new)
                .filter(|p| p.is_absolute() && p.is_file());
            let remedy = match (named_file, leaf) {
                (Some(file), _) => {
                    words!("doctor-tls-add-ca-file", path = file.display().to_string())
                }
                (None, Some(c)) => words!("doctor-tls-add-ca-of", issuer = c.issuer.clone()),
                (None, None) => words!("doctor-tls-add-ca"),
            };
            let detail = match proxy {
                Some(p) => words!(
                    "doctor-tls-unknown-issuer-proxy",
                    issued = issued,
                    proxy = p.shown()
                ),
                None => words!("doctor-tls-unknown-issuer", issued = issued),
            };
            (detail, remedy)
        }
        TlsProblem::Expired => (
            match leaf {
                Some(c) => words!(
                    "doctor-tls-expired-ago",
                    issued = issued,
                    days = -c.days_left()
                ),
                None => words!("doctor-tls-expired", issued = issued),
            },
            words!("doctor-fix-date-operator"),
        ),
        TlsProblem::NotYetValid => (
            words!("doctor-tls-not-yet", issued = issued),
            words!("doctor-fix-date"),
        ),
        TlsProblem::WrongHost => (
            words!("doctor-tls-wrong-host", issued = issued),
            words!("doctor-tls-wrong-host-fix"),
        ),
        TlsProblem::NotTls => (
            words!("doctor-tls-not-tls"),
            words!("doctor-tls-not-tls-fix"),
        ),
        TlsProblem::HandshakeRefused(alert) => (
            words!("doctor-tls-refused", alert = alert.to_string()),
            words!("doctor-tls-refused-fix"),
        ),
        TlsProblem::CertificateRequired | TlsProblem::ClientCertificateRefused(_) => (
            words!("doctor-tls-wants-cert"),
            words!("doctor-fix-client-cert"),
        ),
        TlsProblem::Other(what) => (
            words!("doctor-tls-other", error = what.clone()),
            words!("doctor-tls-other-fix"),
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
            report.set("client_cert", Mark::Failed, e.to_string());
            return;
        }
    };
    match (identity, problem) {
        (None, Some(TlsProblem::CertificateRequired | TlsProblem::ClientCertificateRefused(_))) => {
            report.set_with(
                "client_cert",
                Mark::Failed,
                words!("doctor-cert-required"),
                Some(words!("doctor-cert-fix-config")),
            );
        }
        (None, _) if scheme == "https" && reached => {
            report.set("client_cert", Mark::Ok, words!("doctor-cert-not-asked"));
        }
        (None, _) if scheme == "https" => {
            report.set("client_cert", Mark::Ok, words!("doctor-cert-none"));
        }
        (None, _) => report.set("client_cert", Mark::Ok, words!("doctor-cert-none-plain")),
        (Some((chain, _)), problem) => {
            let summary = chain.first().and_then(|der| CertSummary::parse(der));
            let path = net
                .client_cert
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let about: Arg = summary.as_ref().map_or_else(
                || Arg::Text(path.clone()),
                |c| {
                    words!(
                        "doctor-cert-about",
                        path = path.clone(),
                        subject = c.subject.clone(),
                        issuer = c.issuer.clone()
                    )
                    .into()
                },
            );
            match (problem, &summary) {
                (Some(TlsProblem::ClientCertificateRefused(alert)), _) => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    words!(
                        "doctor-cert-refused",
                        about = about,
                        alert = alert.to_string()
                    ),
                    Some(words!("doctor-cert-fix-authority")),
                ),
                (Some(TlsProblem::CertificateRequired), _) => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    words!("doctor-cert-not-taken", about = about),
                    Some(words!("doctor-cert-fix-authority")),
                ),
                (_, Some(c)) if c.expires_in < 0 => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    words!("doctor-cert-expired", about = about, days = -c.days_left()),
                    Some(words!("doctor-cert-fix-new")),
                ),
                (_, Some(c)) if c.valid_since < 0 => report.set_with(
                    "client_cert",
                    Mark::Failed,
                    words!("doctor-cert-not-yet", about = about),
                    Some(words!("doctor-fix-date")),
                ),
                (_, Some(c)) if c.days_left() < EXPIRY_WARNING_DAYS => report.set_with(
                    "client_cert",
                    Mark::Warning,
                    words!("doctor-cert-ends-soon", about = about, days = c.days_left()),
                    Some(words!("doctor-cert-fix-soon")),
                ),
                (_, Some(c)) => report.set(
                    "client_cert",
                    Mark::Ok,
                    words!("doctor-cert-ok-left", about = about, days = c.days_left()),
                ),
                (_, None) => report.set(
                    "client_cert",
                    Mark::Ok,
                    words!("doctor-cert-ok", about = about),
                ),
            }
        }
    }
}

fn token_check(
    report: &mut Report,
    settings: &Settings,
    source: &Arg,
    embedded: bool,
    // `None`: the gateway was not reached; else whether it answered 401.
    unauthorized: Option<bool>,
) {
    let Some(token) = &settings.token else {
        if unauthorized == Some(true) {
            report.set_with(
                "token",
                Mark::Failed,
                words!("doctor-token-wanted"),
                Some(words!("doctor-token-fix-give")),
            );
        } else if embedded {
            report.set("token", Mark::Ok, words!("doctor-token-embedded"));
        } else {
            report.set("token", Mark::Ok, words!("doctor-token-not-asked"));
        }
        return;
    };
    if embedded {
        report.set(
            "token",
            Mark::Ok,
            words!("doctor-token-embedded-given", source = source.clone()),
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
            words!(
                "doctor-token-expired",
                source = source.clone(),
                ago = humantime::format_duration(Duration::from_secs(
                    u64::try_from(now - exp).unwrap_or(0)
                ))
                .to_string()
            ),
            Some(words!("doctor-token-fix-new")),
        ),
        (true, _) => report.set_with(
            "token",
            Mark::Failed,
            words!("doctor-token-refused", source = source.clone()),
            Some(words!("doctor-token-fix-refused")),
        ),
        (false, Some(exp)) => report.set(
            "token",
            Mark::Ok,
            words!(
                "doctor-token-expires",
                source = source.clone(),
                within = humantime::format_duration(Duration::from_secs(
                    u64::try_from(exp - now).unwrap_or(0)
                ))
                .to_string()
            ),
        ),
        (false, None) if unauthorized.is_none() => report.set(
            "token",
            Mark::Ok,
            words!("doctor-token-not-tried", source = source.clone()),
        ),
        (false, None) => report.set(
            "token",
            Mark::Ok,
            words!("doctor-token-took", source = source.clone()),
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
    ) -> Result<Answer, Arg> {
        let url = self.base.join(path).map_err(|e| Arg::Text(e.to_string()))?;
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
            Err(_) => Err(words!(
                "doctor-why-timeout",
                secs = format!("{:.0}", limit.as_secs_f64())
            )
            .into()),
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
                Err(Arg::Text(sanitize(&text)))
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
                words!("doctor-http-setup", error = e.to_string()),
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
                words!("doctor-error-body-no-answer", why = why),
                Some(words!("doctor-error-body-no-answer-fix")),
            );
            report.set("clock", Mark::Skipped, words!("doctor-clock-skipped"));
            return false;
        }
        Ok(answer) => {
            clock_check(report, &answer.headers);
            match (answer.status, protocol::decode_error(&answer.body)) {
                (StatusCode::BAD_REQUEST, Some(body)) => report.set(
                    "error_body",
                    Mark::Ok,
                    words!(
                        "doctor-error-body-ok",
                        message = body.message.map_or_else(
                            || words!("doctor-error-body-code-only").into(),
                            Arg::Text
                        )
                    ),
                ),
                (StatusCode::BAD_REQUEST, None) => report.set_with(
                    "error_body",
                    Mark::Warning,
                    words!(
                        "doctor-error-body-not-json",
                        shape = r#"{"code", "message"}"#
                    ),
                    Some(words!("doctor-fix-error-json")),
                ),
                (StatusCode::UNAUTHORIZED, _) => {
                    unauthorized = true;
                    report.set("error_body", Mark::Warning, words!("doctor-error-body-401"));
                }
                (status, _) => report.set_with(
                    "error_body",
                    Mark::Warning,
                    words!(
                        "doctor-error-body-other",
                        answer = http_failure(status, &answer.body)
                    ),
                    Some(words!("doctor-fix-steps-gateway")),
                ),
            }
        }
    }

    let Some(car) = car else {
        report.set_with(
            "first_list",
            Mark::Warning,
            words!("doctor-first-no-car"),
            Some(words!("doctor-first-no-car-fix")),
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
            report.set(
                "first_list",
                Mark::Failed,
                words!("doctor-no-answer", why = why),
            );
            return unauthorized;
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
            report.set_with(
                "first_list",
                Mark::Failed,
                words!("doctor-first-401"),
                Some(words!("doctor-see-token")),
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
                Some(words!("doctor-first-fix-car")),
            );
            return unauthorized;
        }
        Ok(a) => match protocol::decode_list(&a.body) {
            Ok(list) => list,
            Err(e) => {
                report.set_with(
                    "first_list",
                    Mark::Failed,
                    words!("doctor-not-a-list", error = e.to_string()),
                    Some(words!("doctor-fix-steps-gateway")),
                );
                return unauthorized;
            }
        },
    };
    let Some(steps_id) = first.steps_id.clone() else {
        report.set_with(
            "first_list",
            Mark::Failed,
            words!("doctor-first-no-steps-id", count = first.steps.len()),
            Some(words!("doctor-first-fix-steps-id")),
        );
        return unauthorized;
    };
    report.set(
        "first_list",
        Mark::Ok,
        words!(
            "doctor-first-ok",
            car = car,
            count = first.steps.len(),
            done = first.done_count(),
            steps_id = steps_id.clone()
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
                words!("doctor-refresh-ok", count = list.steps.len()),
                (!same).then(|| words!("doctor-refresh-fix")),
            );
        }
        Ok((status, Err(e), _)) if status.is_success() => {
            report.set(
                "refresh",
                Mark::Failed,
                words!("doctor-not-a-list", error = e.to_string()),
            );
        }
        Ok((status, _, body)) => report.set("refresh", Mark::Failed, http_failure(status, &body)),
        Err(why) => report.set(
            "refresh",
            Mark::Failed,
            words!("doctor-no-answer", why = why),
        ),
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
        Ok(a) if a.status.is_success() => match protocol::decode_next(&a.body) {
            Ok(next) => {
                let expected = first.next().map(|s| s.name.clone());
                let got = next.as_ref().map(|s| s.name.clone());
                let detail = match &got {
                    Some(name) => words!("doctor-next-todo", name = name.clone()),
                    None => words!("doctor-next-none"),
                };
                if expected == got {
                    report.set("next_step", Mark::Ok, detail);
                } else {
                    let listed: Arg = match expected {
                        Some(name) => Arg::Text(name),
                        None => words!("doctor-next-nothing").into(),
                    };
                    report.set_with(
                        "next_step",
                        Mark::Warning,
                        words!("doctor-next-disagrees", got = detail, listed = listed),
                        Some(words!("doctor-next-fix")),
                    );
                }
            }
            Err(e) => report.set(
                "next_step",
                Mark::Failed,
                words!("doctor-not-a-step", error = e.to_string()),
            ),
        },
        Ok(a) => report.set("next_step", Mark::Failed, http_failure(a.status, &a.body)),
        Err(why) => report.set(
            "next_step",
            Mark::Failed,
            words!("doctor-no-answer", why = why),
        ),
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
                        words!("doctor-filter-ok", todo = todo),
                    );
                } else {
                    report.set_with(
                        "status_filter",
                        Mark::Failed,
                        words!(
                            "doctor-filter-bad",
                            count = list.steps.len(),
                            stray = stray,
                            todo = todo
                        ),
                        Some(words!("doctor-filter-fix")),
                    );
                }
            }
            Err(e) => report.set(
                "status_filter",
                Mark::Failed,
                words!("doctor-not-a-list", error = e.to_string()),
            ),
        },
        Ok(a) => report.set(
            "status_filter",
            Mark::Failed,
            http_failure(a.status, &a.body),
        ),
        Err(why) => report.set(
            "status_filter",
            Mark::Failed,
            words!("doctor-no-answer", why = why),
        ),
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
                report.set("events", Mark::Ok, words!("doctor-events-ok"));
            } else {
                report.set_with(
                    "events",
                    Mark::Warning,
                    words!("doctor-events-not-stream"),
                    Some(words!("doctor-events-fix")),
                );
            }
        }
        Ok(a) if a.status == StatusCode::NOT_FOUND => {
            report.set("events", Mark::Ok, words!("doctor-events-404"));
        }
        Ok(a) => report.set(
            "events",
            Mark::Warning,
            words!(
                "doctor-events-http",
                answer = http_failure(a.status, &a.body)
            ),
        ),
        Err(why) => report.set(
            "events",
            Mark::Warning,
            words!("doctor-events-no-answer", why = why),
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
        Ok(a) if a.status.is_success() => {
            report.set("guidance", Mark::Ok, words!("doctor-guidance-ok"))
        }
        Ok(a) if a.status == StatusCode::NOT_FOUND => {
            report.set("guidance", Mark::Ok, words!("doctor-guidance-404"))
        }
        Ok(a) => report.set(
            "guidance",
            Mark::Warning,
            words!(
                "doctor-guidance-http",
                answer = http_failure(a.status, &a.body)
            ),
        ),
        Err(why) => report.set(
            "guidance",
            Mark::Warning,
            words!("doctor-guidance-no-answer", why = why),
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
            words!("doctor-clock-no-date"),
            None::<Arg>,
        );
        return;
    };
    let Ok(theirs) = httpdate::parse_http_date(date) else {
        report.set(
            "clock",
            Mark::Warning,
            words!(
                "doctor-clock-bad-date",
                date = format!("{:?}", sanitize(date))
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
    if secs > SKEW_LIMIT {
        let detail = if ahead {
            words!("doctor-clock-ahead", secs = secs)
        } else {
            words!("doctor-clock-behind", secs = secs)
        };
        report.set_with(
            "clock",
            Mark::Warning,
            detail,
            Some(words!("doctor-clock-fix")),
        );
    } else {
        report.set(
            "clock",
            Mark::Ok,
            words!("doctor-clock-ok", secs = secs.max(1)),
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
        let detail = line.detail.render(Lang::En);
        assert!(detail.contains("ahead of"), "{detail}");
        headers.insert(
            DATE,
            httpdate::fmt_http_date(SystemTime::now()).parse().unwrap(),
        );
        clock_check(&mut report, &headers);
        assert_eq!(report.get("clock").unwrap().status, Mark::Ok);
    }

    #[test]
    fn the_report_lists_every_check_in_order_with_words() {
        let report = Report::default().finish(&words!("doctor-skip"));
        let ids: Vec<&str> = report.checks.iter().map(|c| c.id).collect();
        let expected: Vec<&str> = ORDER.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, expected);
        let text = report.text(Lang::En);
        assert!(text.contains("- skipped"), "{text}");
        assert!(!report.failed());
    }

    /// Every `"doctor-…"` literal of this file, and for `words!` and `tr!`
    /// the names of the arguments given with it.
    fn words_used() -> Vec<(String, Vec<String>)> {
        let source = include_str!("doctor.rs");
        let mut found = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find("\"doctor-") {
            let tail = &rest[at + 1..];
            let end = tail.find('"').unwrap_or(0);
            let id = &tail[..end];
            rest = &tail[end..];
            if id.ends_with('-') || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                continue;
            }
            // The arguments of `words!(id, a = …, b = …)`: names at depth 0,
            // each followed by ` = `.
            let mut keys = Vec::new();
            let before = source[..source.len() - tail.len() - 1].trim_end();
            let in_tr = before.strip_suffix(',').is_some_and(|b| {
                b.rsplit_once("tr!(").is_some_and(|(_, lang)| {
                    lang.trim()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_*:".contains(c))
                })
            });
            if before.ends_with("words!(") || in_tr {
                let mut depth = 0usize;
                let mut part = String::new();
                let mut parts = Vec::new();
                for c in rest[1..].chars() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' if depth == 0 => break,
                        ')' | ']' | '}' => depth -= 1,
                        ',' if depth == 0 => {
                            parts.push(std::mem::take(&mut part));
                            continue;
                        }
                        _ => {}
                    }
                    part.push(c);
                }
                parts.push(part);
                for part in parts {
                    if let Some((key, _)) = part.trim().split_once(" = ")
                        && !key.is_empty()
                        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        keys.push(key.to_owned());
                    }
                }
            }
            found.push((id.to_owned(), keys));
        }
        found
    }

    /// Each finding is made of catalogue ids that exist in all seven
    /// languages, and is given every variable its message uses (Fluent
    /// shows a missing one as `{$name}`).
    #[test]
    fn every_finding_exists_in_every_language_with_its_variables() {
        let used = words_used();
        assert!(
            used.len() > 150,
            "the scan finds the findings: {}",
            used.len()
        );
        let mut problems = Vec::new();
        for (id, keys) in &used {
            for lang in Lang::ALL {
                if !crate::text::has(*lang, id) {
                    problems.push(format!("{lang}: {id} missing"));
                    continue;
                }
                let mut args = crate::text::Args::new();
                for key in keys {
                    args.set(key.clone(), num(2));
                }
                let shown = crate::text::message(*lang, id, Some(&args));
                if shown.contains("{$") {
                    problems.push(format!("{lang}: {id} lacks a variable: {shown}"));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// No message of the doctor section is left unused.
    #[test]
    fn every_doctor_message_is_used() {
        let used: Vec<String> = words_used().into_iter().map(|(id, _)| id).collect();
        let catalogue = include_str!("../assets/i18n/en.ftl");
        let unused: Vec<&str> = catalogue
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id))
            .filter(|id| id.starts_with("doctor-") && !used.iter().any(|u| u == id))
            .collect();
        assert!(unused.is_empty(), "{unused:?}");
    }

    /// The mark and name columns stay as narrow as English's (30) give or
    /// take a few characters in every language, so lines stay readable.
    #[test]
    fn the_columns_fit_every_language() {
        for lang in Lang::ALL {
            let report = Report::default().finish(&words!("doctor-skip"));
            let text = report.text(*lang);
            let line = text.lines().nth(1).unwrap();
            let skip = tr!(*lang, "doctor-skip");
            let column = line.chars().count() - skip.chars().count();
            assert!(column <= 36, "{lang}: detail at column {column}: {line:?}");
            // The word beside the symbol, in the language, on every line.
            assert!(
                line.starts_with(&format!("- {}", Mark::Skipped.word(*lang))),
                "{line}"
            );
        }
        let english = Report::default()
            .finish(&words!("doctor-skip"))
            .text(Lang::En);
        assert!(
            english
                .lines()
                .nth(1)
                .unwrap()
                .starts_with(&format!("- skipped  {:<19} not run", "Config file")),
            "{english}"
        );
    }

    /// The JSON speaks English whatever the terminal's language: findings
    /// are data until shown.
    #[test]
    fn json_words_are_english_and_text_words_follow_the_language() {
        let mut report = Report::default();
        clock_check(&mut report, &HeaderMap::new());
        let report = report.finish(&words!("doctor-skip"));
        let json = report.json();
        assert!(
            json.contains(&tr!(Lang::En, "doctor-clock-no-date")),
            "{json}"
        );
        let german = report.text(Lang::De);
        assert!(
            german.contains(&tr!(Lang::De, "doctor-clock-no-date")),
            "{german}"
        );
        assert!(
            !german.contains(&tr!(Lang::En, "doctor-clock-no-date")),
            "{german}"
        );
    }
}
