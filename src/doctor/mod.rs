//! `stepwise doctor`: every link between this machine and a working wizard,
//! checked in order, one line each (✓ ok, ! warning, ✗ failed, - skipped)
//! with what to do. Each check has its own time limit and the whole run
//! stays within ten seconds, even when the gateway hangs. The contract
//! checks only read.
//!
//! The parts: [`report`] (the findings as data), [`network`] (proxy, name
//! resolution, TCP), [`tls`] (handshake and client certificate), [`token`]
//! and [`contract`] (the gateway's calls, one small check each).

use std::time::{Duration, Instant};

use url::Url;

use crate::backend::{demo_board_state_file, demo_state_file, demo_state_writable};
use crate::config::{ConfigError, ENV_TOKEN, FileConfig, Settings};
use crate::net::NetOptions;
use crate::steps::sanitize;

/// `words!("doctor-…", name = value, ...)`: a finding's words, kept as data.
macro_rules! words {
    ($id:literal) => {
        $crate::doctor::Words {
            id: $id,
            args: Vec::new(),
        }
    };
    ($id:literal, $($key:ident = $value:expr),+ $(,)?) => {
        $crate::doctor::Words {
            id: $id,
            args: vec![$((stringify!($key), $crate::doctor::Arg::from($value))),+],
        }
    };
}

mod contract;
mod network;
mod report;
mod tls;
mod token;

pub use report::{Arg, Check, Mark, Report, Words};
use report::{EMBEDDED_TARGET, UNUSABLE_TARGET};

/// The limit of one check.
pub fn check_limit() -> Duration {
    shortened(Duration::from_secs(3))
}
/// The limit of one request to the gateway: as long as the wizard waits.
pub fn call_limit() -> Duration {
    shortened(Duration::from_secs(10))
}
/// The limit of the whole run, with room left to print: a gateway slow to
/// answer (within the wizard's wait) is waited for while it lasts, and the
/// checks it leaves no time for are skipped, not failed.
pub fn run_limit() -> Duration {
    shortened(Duration::from_secs(20))
}

/// For the tests only, read in a debug build only: every limit of a run
/// divided by this whole number, the ratios between them kept, so that a
/// test of what doctor does at its limits waits a fraction of them.
pub const TEST_LIMITS_DIVIDED_BY: &str = "STEPWISE_TEST_DOCTOR_LIMITS_DIVIDED_BY";

/// `limit` as this run keeps it: whole, unless a debug build's test divides
/// it ([`TEST_LIMITS_DIVIDED_BY`]).
fn shortened(limit: Duration) -> Duration {
    static DIVISOR: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let divisor = *DIVISOR.get_or_init(|| {
        if !cfg!(debug_assertions) {
            return 1;
        }
        std::env::var(TEST_LIMITS_DIVIDED_BY)
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(1)
    });
    limit / divisor
}

/// A limit in a finding's words: whole seconds as a number; a fraction (a
/// test's divided limit) with its decimals, never rounded to another limit.
pub(crate) fn secs(limit: Duration) -> Arg {
    if limit.subsec_nanos() == 0 {
        Arg::from(limit.as_secs())
    } else {
        Arg::from(limit.as_secs_f64().to_string())
    }
}
/// A gateway clock further off than this is a warning.
pub const SKEW_LIMIT: i64 = 60;
/// Certificates closer than this to their end are a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;
/// The carAssociationID tried on the embedded simulator.
pub const EMBEDDED_CAR: &str = "987654";

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
                    Arg::each(|lang| crate::describe::config_error(lang, &e)),
                    Some(words!("doctor-config-fix")),
                );
                None
            }
        },
    };
    let check = report.checks.remove(0);
    (check, file)
}

/// A report for settings that could not be resolved at all: the line of
/// the setting at fault fails (the config file's only when the file is),
/// the others are not run.
/// `api_from`: where the gateway's address came from, for the fix of an
/// address that cannot be used.
pub fn unusable_settings(
    config: Check,
    error: Option<&ConfigError>,
    api_from: crate::config::ApiFrom,
) -> Report {
    let mut report = Report {
        target: UNUSABLE_TARGET.into(),
        checks: vec![config],
    };
    if let Some(error) = error {
        let why = Arg::each(|lang| crate::describe::config_error(lang, error));
        let fix = error.about_api().then(|| gateway_fix(Some(api_from)));
        report.set_with(settings_line(error), Mark::Failed, why, fix);
    }
    report.finish(&words!("doctor-skip-settings"))
}

/// The check a setting belongs to: a gateway URL from STEPWISE_API is no
/// fault of the config file's.
fn settings_line(error: &ConfigError) -> &'static str {
    use crate::config::UrlPlace;
    match error {
        ConfigError::File { .. } => "config",
        ConfigError::TokenFile { .. }
        | ConfigError::TokenText { .. }
        | ConfigError::TokenBearer { .. }
        | ConfigError::TokenWrapped { .. } => "token",
        ConfigError::UserInfo {
            url: UrlPlace::Gateway,
        }
        | ConfigError::ApiScheme { .. }
        | ConfigError::ApiSchemeTypo { .. }
        | ConfigError::ApiEmpty
        | ConfigError::ApiEmptyInFile { .. } => "gateway",
        ConfigError::UserInfo {
            url: UrlPlace::Docs { .. },
        }
        | ConfigError::DocsUrl { .. } => "guidance",
    }
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
pub(crate) struct Budget {
    end: Instant,
}

impl Budget {
    pub(crate) fn limit(&self) -> Duration {
        self.end
            .saturating_duration_since(Instant::now())
            .min(check_limit())
    }

    /// The limit of one request to the gateway.
    pub(crate) fn call_limit(&self) -> Duration {
        // A moment past the client's own limit: its words for a silent
        // gateway come first when the run has time left.
        self.end
            .saturating_duration_since(Instant::now())
            .min(call_limit() + Duration::from_millis(500))
    }

    pub(crate) fn spent(&self) -> bool {
        self.limit().is_zero()
    }

    pub(crate) async fn run<T>(&self, work: impl Future<Output = T>) -> Option<T> {
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
        end: Instant::now() + run_limit(),
    };
    let mut report = Report {
        target: String::new(),
        checks: vec![config],
    };
    device_line(&mut report, settings);
    if let Some(error) = demo_state_fault(settings) {
        report.target = EMBEDDED_TARGET.into();
        report.set(
            "gateway",
            Mark::Failed,
            Arg::each(|lang| crate::describe::gateway_error(lang, &error)),
        );
        return report.finish(&words!("doctor-skip-no-gateway"));
    }
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
    report.target = shown_target(&base);
    let Some(url) = gateway_line(&mut report, &base, embedded.is_some(), settings.api_from) else {
        return report.finish(&words!("doctor-skip-bad-address"));
    };
    let car = car
        .map(str::to_owned)
        .or_else(|| embedded.as_ref().map(|_| EMBEDDED_CAR.to_owned()));

    let Some(conn) = network::checks(&mut report, &budget, &url, &net).await else {
        let why = unreached_skip(&report, &net);
        return report.finish(&why);
    };
    let http_ok = conn.usable;
    tls::client_cert_check(
        &mut report,
        &net,
        conn.tls_problem.as_ref(),
        url.scheme(),
        http_ok,
    );
    // A kept login (`stepwise login`) is used as the commands use it:
    // refreshed first when due.
    let mut login = match (&settings.token, &settings.login, &embedded) {
        (None, Some(login), None) => Some(token::kept_login(login, settings, &base).await),
        _ => None,
    };
    let login_source = Arg::from(words!("doctor-source-login"));
    let token_source = match &login {
        Some(_) => &login_source,
        None => token_source,
    };
    if !http_ok {
        token::check(
            &mut report,
            settings,
            login.as_ref(),
            token_source,
            embedded.is_some(),
            &contract::Judged::default(),
        );
        return report.finish(&words!("doctor-skip-insecure"));
    }
    let token = if embedded.is_some() {
        None
    } else {
        settings
            .token
            .clone()
            .or_else(|| login.as_ref().and_then(|l| l.token.clone()))
    };
    let mut judged = checks_renewing(
        &mut report,
        &budget,
        (&url, &net, &base),
        settings,
        token.as_ref(),
        car.as_deref(),
        login.as_mut(),
    )
    .await;
    demo_unknown(&mut report, embedded.is_some());
    judged.login_beside = token::login_beside(settings, &base, &judged).await;
    token::check(
        &mut report,
        settings,
        login.as_ref(),
        token_source,
        embedded.is_some(),
        &judged,
    );
    // A kept login that cannot be read, or whose renewal failed, is why
    // none went out: its line says so (`login --with-token` would fail too).
    let said = settings.login_trouble.is_some() || login.is_some_and(|l| l.due.is_some());
    if judged.unauthorized == Some(true) && token.is_none() && !said {
        fixed_token_advice(&mut report, &url, &net).await;
    }
    scope_advice(&mut report, settings, &judged, token_source, &url, &net).await;
    drop(embedded);
    report.finish(&words!("doctor-skip"))
}

/// The contract's checks with `token`; when the gateway refuses a kept
/// login's token, it is renewed once, as every command renews it, and the
/// checks run again with the new one (the token line says which).
async fn checks_renewing(
    report: &mut Report,
    budget: &Budget,
    (url, net, base): (&Url, &NetOptions, &str),
    settings: &Settings,
    token: Option<&crate::config::Secret>,
    car: Option<&str>,
    login: Option<&mut token::KeptLogin>,
) -> contract::Judged {
    let mut judged = checks_renewed(
        report,
        budget,
        (url, net, base),
        settings,
        token,
        car,
        login,
    )
    .await;
    // Taken: and without any token? Then "took it" would tell nothing.
    if token.is_some() && judged.unauthorized == Some(false) && !judged.limited {
        judged.needs_none = token::answered_without(settings, base).await;
    }
    judged
}

/// The embedded demo's 404 to the first list: an id it does not know, of
/// its own few, never "check the carAssociationID" (stranger 87, CJ5).
fn demo_unknown(report: &mut Report, embedded: bool) {
    let Some(first) = report.get("first_list").filter(|c| {
        embedded
            && c.status == Mark::Failed
            && c.detail.render(crate::text::Lang::En).contains("HTTP 404")
    }) else {
        return;
    };
    let detail = first.detail.clone();
    let ids: Vec<String> = crate::sim::Scenario::built_in()
        .associations
        .iter()
        .map(|a| a.car_association_id.clone())
        .filter(|id| !id.starts_with('F'))
        .collect();
    let fix = words!("doctor-first-fix-demo", ids = ids.join(", "));
    report.set_with("first_list", Mark::Failed, detail, Some(fix));
}

/// [`checks_renewing`]'s checks, before asking without a token.
async fn checks_renewed(
    report: &mut Report,
    budget: &Budget,
    (url, net, base): (&Url, &NetOptions, &str),
    settings: &Settings,
    token: Option<&crate::config::Secret>,
    car: Option<&str>,
    login: Option<&mut token::KeptLogin>,
) -> contract::Judged {
    let judged = contract::checks(report, budget, url, net, &settings.device_id, token, car).await;
    // No token seen through a proxy that reads the request: a renewal
    // would be refused the same, and spend a refresh token (stranger 76,
    // BY1); the Token line names the proxy.
    let dropped =
        judged.challenge.unseen && judged.challenge.said.is_none() && judged.proxy_plain.is_some();
    let Some(kept) = login.filter(|_| judged.unauthorized == Some(true) && !dropped) else {
        return judged;
    };
    let Some(fresh) = token::renew_after_refusal(kept, settings, base).await else {
        return judged;
    };
    let judged = contract::checks(
        report,
        budget,
        url,
        net,
        &settings.device_id,
        Some(&fresh),
        car,
    )
    .await;
    if judged.unauthorized == Some(true) {
        let over = crate::auth::Over::RefusedFresh {
            said: judged.challenge.said.clone(),
            token: if judged.challenge.unseen {
                crate::auth::FreshToken::NotSeen
            } else {
                crate::auth::FreshToken::Renewed
            },
        };
        kept.renewal = Some(crate::auth::AuthError::SignInAgain(over));
    }
    judged
}

/// Where the device id is kept, or why it cannot be (each run is then a
/// new device, whose gateway refuses an earlier run's stepsID), in the
/// words `steps` warns with.
fn device_line(report: &mut Report, settings: &Settings) {
    match (&settings.device_unkept, &settings.data_dir) {
        (Some((dir, why)), _) => report.set(
            "device_id",
            Mark::Warning,
            Arg::each(|lang| crate::describe::device_unkept(lang, dir, why)),
        ),
        (None, Some(dir)) => report.set(
            "device_id",
            Mark::Ok,
            words!(
                "doctor-device-kept",
                path = dir.join("device-id").display().to_string()
            ),
        ),
        (None, None) => report.set(
            "device_id",
            Mark::Warning,
            words!("doctor-device-no-folder"),
        ),
    }
}

/// Why the later lines were not run when the network checks stopped.
fn unreached_skip(report: &Report, net: &NetOptions) -> Words {
    // A proxy that cannot be reached is what stopped the run.
    if report.get_status("proxy") == Some(Mark::Failed) {
        return words!("doctor-skip-proxy");
    }
    // A CA file that cannot be used: the gateway was never tried.
    if report.get_status("tls") == Some(Mark::Failed)
        && matches!(
            crate::net::client_tls(net, None),
            Err(crate::net::NetError::CaFile { .. })
        )
    {
        return words!("doctor-skip-ca-file");
    }
    words!("doctor-skip-unreachable")
}

/// A token taken but lacking a scope, where the gateway offers no sign-in:
/// no `stepwise login --scope` can ask for it.
async fn scope_advice(
    report: &mut Report,
    settings: &Settings,
    judged: &contract::Judged,
    token_source: &Arg,
    url: &Url,
    net: &NetOptions,
) {
    if let (Some((status, scope)), Some(from)) =
        (judged.challenge.scope.clone(), settings.token_from)
        && offers_no_sign_in(url, net).await
    {
        token::scope_line(
            report,
            token_source,
            status,
            Arg::each(move |lang| {
                crate::describe::scope_taken_no_sign_in(lang, status, &scope, from)
            }),
        );
    }
}

/// No token, a 401: where the gateway offers no sign-in, its token comes
/// from whoever runs it, and `stepwise login` is no way out.
/// A sign-in discovery that failed (5xx) is said with its status, not
/// "sign in" (which would meet the same failure).
async fn fixed_token_advice(report: &mut Report, url: &Url, net: &NetOptions) {
    if report.get_status("token") != Some(Mark::Failed) {
        return;
    }
    let fix = match discovered(url, net).await {
        Some(Err(crate::auth::AuthError::Discovery(crate::auth::Discovery::NotOffered {
            ..
        }))) => Arg::from(words!("doctor-token-fix-fixed")),
        Some(Err(
            e @ crate::auth::AuthError::Discovery(
                crate::auth::Discovery::Status { .. } | crate::auth::Discovery::Silent { .. },
            ),
        )) => Arg::each(move |lang| crate::describe::auth_error(lang, &e)),
        _ => return,
    };
    // The line's words stay (the gateway's own, where it gave them:
    // stranger 56, BE3); only the fix is this one.
    let detail = report.get("token").map_or_else(
        || Arg::from(words!("doctor-token-wanted")),
        |c| c.detail.clone(),
    );
    report.set_with("token", Mark::Failed, detail, Some(fix));
}

/// Whether the gateway at `url` says it offers no sign-in (its discovery,
/// within doctor's limit of one check).
async fn offers_no_sign_in(url: &Url, net: &NetOptions) -> bool {
    matches!(
        discovered(url, net).await,
        Some(Err(crate::auth::AuthError::Discovery(
            crate::auth::Discovery::NotOffered { .. }
        )))
    )
}

/// The gateway's sign-in discovery, within doctor's limit of one check
/// (`None`: no answer in time, or no client).
async fn discovered(
    url: &Url,
    net: &NetOptions,
) -> Option<Result<crate::auth::device::Endpoints, crate::auth::AuthError>> {
    let options = crate::client::ClientOptions {
        connect_timeout: check_limit(),
        timeout: check_limit(),
        retries: 0,
        net: net.clone(),
        ..crate::client::ClientOptions::default()
    };
    let gateway = crate::client::Gateway::new(url.as_str(), String::new(), None, options).ok()?;
    let asked = crate::auth::discover::discover(gateway.http(), url, None);
    tokio::time::timeout(check_limit(), asked).await.ok()
}

/// Why the embedded simulator (no `--api`) cannot keep its state here:
/// a data folder that cannot be made fails every command, and a state file
/// it cannot save fails every change (the reset, the simulated steps).
fn demo_state_fault(settings: &Settings) -> Option<crate::client::GatewayError> {
    let dir = settings
        .data_dir
        .as_deref()
        .filter(|_| settings.api.is_none())?;
    if let Err(e) = crate::files::private_dir(dir) {
        return Some(crate::client::GatewayError::DemoState {
            folder: dir.display().to_string(),
            detail: e.to_string(),
        });
    }
    [demo_state_file(dir), demo_board_state_file(dir)]
        .into_iter()
        .filter(|file| file.exists())
        .find_map(|file| {
            // The lock beside it is taken around every call: a folder in
            // its place fails them all (stranger 48, AW7).
            let lock = file.with_extension("lock");
            let (file, trouble) = if lock.exists() && !lock.is_file() {
                let e = std::io::Error::from(std::io::ErrorKind::IsADirectory);
                (lock, Some(e))
            } else {
                let trouble = demo_state_writable(&file).err();
                (file, trouble)
            };
            trouble.map(|e| crate::client::GatewayError::DemoStateFile {
                file: file.display().to_string(),
                detail: e.to_string(),
            })
        })
}

/// The report's heading for `base`: a query is never shown (it may hold a
/// key); the gateway line says why it is refused.
fn shown_target(base: &str) -> String {
    sanitize(&match base.split_once('?') {
        Some((address, _)) => format!("{address}?…"),
        None => base.to_owned(),
    })
}

/// What to do about a gateway address that cannot be used: fix the setting
/// it came from.
fn gateway_fix(from: Option<crate::config::ApiFrom>) -> Words {
    match from {
        Some(crate::config::ApiFrom::Environment) => words!("doctor-gateway-fix-env"),
        Some(crate::config::ApiFrom::Config) => words!("doctor-gateway-fix-config"),
        _ => words!("doctor-gateway-fix"),
    }
}

/// The gateway line: the address as it will be used, or why it cannot be.
fn gateway_line(
    report: &mut Report,
    base: &str,
    embedded: bool,
    from: Option<crate::config::ApiFrom>,
) -> Option<Url> {
    let url = match parse_url(base) {
        Ok(url) => url,
        Err(why) => {
            report.set_with(
                "gateway",
                Mark::Failed,
                words!(
                    "doctor-gateway-unusable",
                    address = format!("{:?}", shown_target(base)),
                    why = why
                ),
                Some(gateway_fix(from)),
            );
            return None;
        }
    };
    if embedded {
        report.set(
            "gateway",
            Mark::Ok,
            words!("doctor-gateway-embedded", url = url.to_string()),
        );
    } else {
        // Where the address came from, when not typed as --api: the fixes
        // below name --api, and the setting to change may be elsewhere.
        let url_text = url.to_string();
        match from {
            Some(crate::config::ApiFrom::Environment) => report.set(
                "gateway",
                Mark::Ok,
                words!("doctor-gateway-from-env", url = url_text),
            ),
            Some(crate::config::ApiFrom::Config) => report.set(
                "gateway",
                Mark::Ok,
                words!("doctor-gateway-from-config", url = url_text),
            ),
            _ => report.set("gateway", Mark::Ok, url.as_str()),
        }
    }
    Some(url)
}

/// The gateway's address as the client reads it, or why it cannot be
/// used, in the words the other commands use.
fn parse_url(raw: &str) -> Result<Url, Arg> {
    use crate::client::GatewayError;
    crate::client::parse_base(raw).map_err(|e| match e {
        GatewayError::BadUrl { reason, .. } => match reason.as_str() {
            "only http and https are supported" => words!("doctor-url-scheme").into(),
            "it has no host" | "empty host" => words!("doctor-url-no-host").into(),
            _ => Arg::each(move |lang| crate::net::url_reason(lang, &reason)),
        },
        other => Arg::each(move |lang| crate::describe::gateway_error(lang, &other)),
    })
}

#[cfg(test)]
mod tests {
    use crate::text::{Lang, num};

    /// Unless a test divides them, the limits are whole: a check 3 s, a
    /// request as long as the wizard waits, the run 20 s; and a divided
    /// limit is said with its decimals, a whole one as a number.
    #[test]
    fn the_limits_are_whole_and_said_as_they_are() {
        use std::time::Duration;
        assert!(std::env::var_os(super::TEST_LIMITS_DIVIDED_BY).is_none());
        assert_eq!(super::check_limit(), Duration::from_secs(3));
        assert_eq!(
            super::call_limit(),
            crate::client::ClientOptions::default().timeout
        );
        assert_eq!(super::call_limit(), Duration::from_secs(10));
        assert_eq!(super::run_limit(), Duration::from_secs(20));
        assert_eq!(super::secs(Duration::from_secs(20)), super::Arg::Num(20));
        assert_eq!(
            super::secs(Duration::from_millis(750)),
            super::Arg::Text("0.75".into())
        );
    }

    /// The files of the doctor, where its findings are written.
    const SOURCES: [&str; 6] = [
        include_str!("mod.rs"),
        include_str!("report.rs"),
        include_str!("network.rs"),
        include_str!("tls.rs"),
        include_str!("token.rs"),
        include_str!("contract.rs"),
    ];

    /// Every `"doctor-…"` literal of this folder, and for `words!` and `tr!`
    /// the names of the arguments given with it.
    fn words_used() -> Vec<(String, Vec<String>)> {
        let source = SOURCES.join("\n");
        let source = source.as_str();
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
        let catalogue = include_str!("../../assets/i18n/en.ftl");
        let unused: Vec<&str> = catalogue
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id))
            .filter(|id| id.starts_with("doctor-") && !used.iter().any(|u| u == id))
            .collect();
        assert!(unused.is_empty(), "{unused:?}");
    }
}
