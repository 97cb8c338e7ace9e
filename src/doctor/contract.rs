//! The gateway's contract, read only: the error body and the clock, the
//! first list, then the checks on its stepsID, each a small function of one
//! table ([`ON_STEPS_ID`]) run in order while the run's time lasts.

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, DATE, HeaderMap};
use url::Url;

use super::{
    Arg, Budget, Mark, Report, SKEW_LIMIT, call_limit, check_limit, run_limit, secs, shortened,
};
use crate::client::{Call, ClientOptions, Gateway, GatewayError};
use crate::config::Secret;
use crate::net::NetOptions;
use crate::steps::{Status, StepsList, sanitize};
use crate::wire::{
    self, CAR_PARAM, LIST_PATH, NEXT_PATH, RESET_PARAM, STATUS_PARAM, STEPS_ID_PARAM,
};

const JSON: &str = "application/json";

/// One answer: its head, and its body when it was read (up to the cap).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    /// An event stream that ended (closed by the far end) before its
    /// first event was whole.
    cut: bool,
    /// The address asked and the one that answered, when the gateway's
    /// redirect was followed.
    moved: Option<(String, String)>,
}

/// The contract checks' requests, through the client's one door (device
/// header, token, body cap, redaction), each within the run's time.
struct Caller<'a> {
    gateway: Gateway,
    budget: &'a Budget,
    /// A request met a TLS server on an http:// address: the fix is https://.
    wants_tls: std::cell::Cell<bool>,
    /// The longest a request that was answered took.
    slowest: std::cell::Cell<std::time::Duration>,
    /// A request got no answer within its limit.
    timed_out: std::cell::Cell<bool>,
    /// A request met the client's own time limit (the gateway held the
    /// connection and said nothing).
    silent: std::cell::Cell<bool>,
    /// A request's time was cut by the run's limit (not the request's own)
    /// and ran out: the run ended, not the gateway's patience.
    cut_by_run: std::cell::Cell<bool>,
    /// What the gateway's Bearer challenges said of the token.
    challenge: std::cell::RefCell<Challenge>,
    /// The token sent, so that words repeating it are not shown.
    token: Option<Secret>,
    /// A request was answered 429: requests are limited.
    limited: std::cell::Cell<bool>,
    /// A request was answered with a failure (5xx).
    failing: std::cell::Cell<bool>,
    /// A request was answered with success (2xx).
    answered_ok: std::cell::Cell<bool>,
    /// A request was answered, with what stepwise cannot use (compressed,
    /// a redirect, too large, not a list): asking again gets the same.
    unusable: std::cell::Cell<bool>,
    /// The gateway is on this machine behind a proxy, and nothing listens
    /// at its port (tried directly): its port, for the Proxy line's fix.
    loopback_down: Option<u16>,
}

/// What a gateway's `WWW-Authenticate: Bearer` challenge (RFC 6750) said of
/// the token sent: a scope it lacks, or why it was refused.
#[derive(Clone, Default)]
pub(super) struct Challenge {
    /// A 401 or 403 `insufficient_scope`: its status and the scope named
    /// ("" for none).
    pub scope: Option<(u16, String)>,
    /// A 401's own words (`error_description`).
    pub said: Option<String>,
    /// A 401's Bearer challenge named no error: the token did not reach
    /// the gateway as sent.
    pub unseen: bool,
}

/// What the contract checks learnt of the token.
#[derive(Default)]
pub(super) struct Judged {
    /// Whether the gateway answered 401; `None` when no steps gateway
    /// answered.
    pub unauthorized: Option<bool>,
    pub challenge: Challenge,
    /// Some request was answered 429: what was not checked was held back
    /// by a limit on requests, not missed by an absent gateway.
    pub limited: bool,
    /// Some request was answered with a failure (5xx) and none with a
    /// success: what was not checked was held back by that failure.
    pub failing: bool,
    /// An answer came that stepwise cannot use (compressed, a redirect):
    /// not "nothing answered".
    pub unusable: bool,
    /// The gateway took the token, and answers without any token too: it
    /// checks none (asked once more, without it).
    pub needs_none: bool,
    /// A token given by hand was refused (401) beside a usable login kept
    /// for the gateway: whether the gateway takes that login (tried once).
    pub login_beside: Option<bool>,
    /// The proxy a plain http:// request went through, which reads it (and
    /// may drop its Authorization header).
    pub proxy_plain: Option<String>,
}

impl<'a> Caller<'a> {
    /// `None` (the error body line says why) when the client cannot be made.
    fn new(
        report: &mut Report,
        base: &Url,
        net: &NetOptions,
        device: &str,
        token: Option<&Secret>,
        budget: &'a Budget,
    ) -> Option<Caller<'a>> {
        let options = ClientOptions {
            connect_timeout: check_limit(),
            timeout: call_limit(),
            retries: 0,
            net: net.clone(),
            // No retry: no request may meet a connection closed since the
            // last answer (stranger 82, CE3).
            fresh_connections: true,
            ..ClientOptions::default()
        };
        match Gateway::new(base.as_str(), device.to_owned(), token.cloned(), options) {
            Ok(gateway) => Some(Caller {
                gateway,
                budget,
                wants_tls: std::cell::Cell::new(false),
                slowest: std::cell::Cell::new(std::time::Duration::ZERO),
                timed_out: std::cell::Cell::new(false),
                silent: std::cell::Cell::new(false),
                cut_by_run: std::cell::Cell::new(false),
                challenge: std::cell::RefCell::default(),
                token: token.cloned(),
                limited: std::cell::Cell::new(false),
                failing: std::cell::Cell::new(false),
                answered_ok: std::cell::Cell::new(false),
                unusable: std::cell::Cell::new(false),
                loopback_down: None,
            }),
            Err(GatewayError::Net(e)) => {
                report.set("error_body", Mark::Failed, Arg::each(|lang| e.words(lang)));
                None
            }
            Err(e) => {
                report.set(
                    "error_body",
                    Mark::Failed,
                    words!("doctor-http-setup", error = e.to_string()),
                );
                None
            }
        }
    }

    /// The words of a check the run's limit left no time for: the run's
    /// limit, and how long the gateway's slowest answer took (one call
    /// that hung is not every answer's time; stranger 59, BH8).
    fn run_limit_words(&self) -> super::Words {
        words!(
            "doctor-skip-run-limit",
            limit = secs(run_limit()),
            secs = format!("{:.1}", self.slowest.get().as_secs_f64())
        )
    }

    /// `Err` holds why nothing usable came back.
    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        accept: &'static str,
        read_body: bool,
    ) -> Result<Answer, Arg> {
        let call = Call::get(path, query).accept(accept);
        // A slow gateway that the wizard would wait for is waited for
        // here too (and said slow), not failed at the network checks' limit.
        let limit = self.budget.call_limit();
        let started = std::time::Instant::now();
        let exchange = async {
            let sent = match self.gateway.send(&call).await {
                Ok(sent) => sent,
                // What answers at the port, when it is not what --api says.
                Err(e) => return Err(self.gateway.look_at_port(e).await),
            };
            let status = sent.status();
            let headers = sent.headers().clone();
            let moved = sent.moved.clone();
            let stream = accept == "text/event-stream" && status.is_success();
            // A refusal's body is read too: its code may say why (a 404
            // with 2346 to the events call is no call missing).
            let (body, cut) = if read_body || !status.is_success() {
                (sent.body(&self.gateway).await?.body, false)
            } else if stream && crate::client::compressed(&headers).is_none() {
                first_event(sent).await
            } else {
                (Vec::new(), false)
            };
            Ok::<_, GatewayError>(Answer {
                status,
                headers,
                body,
                cut,
                moved,
            })
        };
        let outcome = tokio::time::timeout(limit, exchange).await;
        if outcome.is_ok() {
            self.slowest.set(self.slowest.get().max(started.elapsed()));
        }
        if outcome.is_err() {
            self.timed_out.set(true);
            // Less time than a request's own limit: what ran out is the run.
            self.cut_by_run.set(limit < call_limit());
        }
        match outcome {
            // Through a proxy, the proxy is named as the client names it:
            // it, or the gateway behind it, kept silent (stranger 49, AX4).
            Err(_) if self.gateway.proxy().is_some() => Err(why(GatewayError::TimedOut {
                base: self.gateway.base().to_owned(),
                after: limit,
                proxy: self.gateway.proxy().map(str::to_owned),
            })),
            Err(_) => Err(words!(
                "doctor-why-timeout",
                secs = format!("{:.0}", limit.as_secs_f64())
            )
            .into()),
            Ok(Err(GatewayError::WantsTls { base })) => {
                self.wants_tls.set(true);
                Err(words!("doctor-why-wants-tls", base = base).into())
            }
            Ok(Err(e)) => {
                self.silent
                    .set(self.silent.get() || matches!(e, GatewayError::TimedOut { .. }));
                self.unusable
                    .set(self.unusable.get() || answered_unusable(&e));
                Err(why(e))
            }
            Ok(Ok(answer)) => {
                self.heed_challenge(&answer);
                Ok(answer)
            }
        }
    }

    /// Keeps what a 401's or 403's Bearer challenge says of the token, and
    /// whether requests are limited (429).
    fn heed_challenge(&self, answer: &Answer) {
        let status = answer.status.as_u16();
        if status == 429 {
            self.limited.set(true);
        }
        if answer.status.is_server_error() {
            self.failing.set(true);
        }
        if answer.status.is_success() {
            self.answered_ok.set(true);
        }
        if !matches!(status, 401 | 403) {
            return;
        }
        let mut challenge = self.challenge.borrow_mut();
        if let Some(scope) = crate::client::scope_wanted(&answer.headers) {
            // Never with the token it may repeat (stranger 73, BV7).
            let scope = match &self.token {
                Some(token) => crate::client::without_secret(&scope, token),
                None => scope,
            };
            challenge.scope.get_or_insert((status, scope));
        }
        let said = crate::client::bearer_said(&answer.headers).filter(|said| {
            self.token
                .as_ref()
                .is_none_or(|token| !crate::client::repeats_secret(said, token))
        });
        if status == 401 && challenge.said.is_none() {
            challenge.said = said;
            challenge.unseen = crate::client::bearer_unseen(&answer.headers);
        }
    }
}

/// How long the events check waits for the first event, which a gateway
/// sends at once (the current list): a proxy that buffers holds it back.
fn first_event_limit() -> std::time::Duration {
    shortened(std::time::Duration::from_secs(3))
}

/// An event stream's bytes up to its first event with data, at most 64 KiB
/// or what came within [`first_event_limit`].
/// Also whether the stream ended before its first event was whole.
async fn first_event(mut sent: crate::client::Sent) -> (Vec<u8>, bool) {
    let mut bytes = Vec::new();
    let reading = async {
        while let Ok(Some(chunk)) = sent.response.chunk().await {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > 64 * 1024 || event_data(&bytes).is_some() {
                return false;
            }
        }
        true
    };
    let ended = tokio::time::timeout(first_event_limit(), reading)
        .await
        .unwrap_or(false);
    (bytes, ended)
}

/// The first complete event (a block ended by a blank line) with data
/// that the wizard reads (a list, or an `error`): its type ("" for none)
/// and data. Comments, keep-alives and events of other types are passed
/// over, as the wizard passes them over.
fn event_data(bytes: &[u8]) -> Option<(String, String)> {
    // CRLF, CR alone or LF end a line, as the event stream format says
    // (stranger 72, BU2).
    let text = String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let complete = &text[..text.rfind("\n\n")?];
    complete.split("\n\n").find_map(|block| {
        let field = |name: &str| -> Vec<String> {
            block
                .lines()
                .filter_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(|d| d.strip_prefix(' ').unwrap_or(d).to_owned())
                .collect()
        };
        let data = field("data");
        let kind = field("event").pop().unwrap_or_default();
        let read = matches!(kind.as_str(), "" | "steps" | "message" | "error");
        (read && !data.is_empty()).then(|| (kind, data.join("\n")))
    })
}

/// The type of the first whole event with data that the contract does not
/// read (`update`, `Steps`), sanitised and cut short, and whether its data
/// reads as a list: one whose does is named over one whose does not (a
/// heartbeat such as `ping`).
fn other_event_type(bytes: &[u8]) -> Option<(String, bool)> {
    // CRLF, CR alone or LF end a line, as the event stream format says
    // (stranger 72, BU2).
    let text = String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let complete = &text[..text.rfind("\n\n")?];
    let others: Vec<(String, bool)> = complete
        .split("\n\n")
        .filter_map(|block| {
            let value = |name: &str| {
                block
                    .lines()
                    .filter_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                    .map(|v| v.strip_prefix(' ').unwrap_or(v).to_owned())
                    .next_back()
            };
            let kind = value("event")?;
            let data = value("data")?;
            let read = matches!(kind.as_str(), "" | "steps" | "message" | "error");
            // A list with something in it (`{}` is a heartbeat's data).
            let lists = wire::decode_list(data.as_bytes())
                .is_ok_and(|l| l.steps_id.is_some() || !l.steps.is_empty());
            (!read).then(|| (sanitize(&kind).chars().take(40).collect(), lists))
        })
        .collect();
    let first_list = others.iter().find(|(_, lists)| *lists).cloned();
    first_list.or_else(|| others.into_iter().next())
}

/// Why a 2xx answer's body could not be read, in the catalogue's words.
fn decode_arg(error: &wire::DecodeError) -> Arg {
    Arg::each(|lang| crate::describe::decode_words(lang, error))
}

/// Why a request failed: a TLS problem by its code, the system's words for
/// a connection, the client's words for anything else (an answer too
/// large, a redirect loop), in every language.
/// An answer came, one stepwise cannot use: asking again gets the same,
/// and its words say what to change (stranger 66, BO3).
/// So does a redirect loop (stranger 70, BS3); an answer cut short on the
/// way may come whole.
fn answered_unusable(error: &GatewayError) -> bool {
    matches!(
        error,
        GatewayError::Compressed { .. }
            | GatewayError::Redirected(_)
            | GatewayError::Redirects { .. }
            | GatewayError::TooLarge { .. }
            | GatewayError::BadAnswer(_)
            | GatewayError::NotAGateway { .. }
            | GatewayError::ForeignList { .. }
    ) && !error.cut_short()
}

fn why(error: GatewayError) -> Arg {
    match error {
        GatewayError::Tls { problem, .. } => Arg::Text(problem.code().to_owned()),
        GatewayError::Unreachable { detail, .. } | GatewayError::Transport(detail) => {
            let said = sanitize(&detail);
            Arg::each(|lang| crate::describe::os_words(lang, &said))
        }
        other => Arg::each(|lang| crate::describe::gateway_error(lang, &other)),
    }
}

fn steps_query<'a>(key: &'a str, id: &'a str, status: &'a str) -> [(&'a str, &'a str); 3] {
    [(key, id), (RESET_PARAM, "false"), (STATUS_PARAM, status)]
}

/// What to do about a first list refused: the words follow who answered
/// (the gateway about an id, a proxy, a TLS terminator, or something that
/// is no gateway), as the gateway client's errors do.
fn first_list_fix(answer: &Answer, proxied: Option<bool>) -> Arg {
    let status = answer.status.as_u16();
    // A 403 in another shape is a refusal in front of the gateway, as the
    // client reads it; to a 400 or a 404 the words are the gateway's.
    let said = said_body(&answer.body, status).filter(|_| status != 403);
    let contract_body = said.is_some();
    let page =
        String::from_utf8_lossy(&answer.body[..answer.body.len().min(8192)]).to_ascii_lowercase();
    match status {
        400 if !contract_body && page.contains("ssl certificate") => {
            words!("doctor-fix-client-cert-front").into()
        }
        // Words that name the status filter doctor did not choose (it asks
        // for every step, `all`): only the gateway's operator can fix it.
        400 if said.as_ref().is_some_and(|b| {
            b.code.is_none()
                && b.message.as_deref().is_some_and(|m| {
                    m.to_ascii_lowercase()
                        .contains(&STATUS_PARAM.to_ascii_lowercase())
                })
        }) =>
        {
            words!("doctor-first-fix-filter").into()
        }
        // The gateway's own words on what it refused (a header): their
        // advice, as `steps` gives it, not "check the id".
        400 if let Some(body) = said.clone().filter(|b| {
            b.message.is_some() && b.code.and_then(crate::guidance::explain_code).is_none()
        }) =>
        {
            Arg::each(|lang| crate::describe::bad_request_words(lang, &body).1)
        }
        400 => words!("doctor-first-fix-car").into(),
        // Words that name no id and no code (a router's "no route
        // matched"): the id, or --api; the error body line tells which.
        404 if said.as_ref().is_some_and(|b| {
            b.code.is_none() && b.message.as_deref().is_some_and(|m| !wire::names_an_id(m))
        }) =>
        {
            words!("doctor-first-fix-car-or-api").into()
        }
        404 if contract_body => words!("doctor-first-fix-car").into(),
        _ => status_fix(answer, proxied),
    }
}

/// What to do about an answer that is not the contract's: the words follow
/// its status and who gave it, as the gateway client's errors do (a proxy's
/// 407, a gateway limiting requests, a firewall's page, a failure), and
/// "not a steps gateway" only where nothing else explains it.
/// Whether the calls go through a proxy (`None`: they do not), and then
/// whether its variable carries a user name and password.
/// A proxy's own error page (502 to 504) for a gateway on this machine:
/// the Proxy line says why (the proxy cannot reach this machine) and what
/// to do.
fn loopback_fix(answer: &Answer, caller: &Caller<'_>) -> Option<Arg> {
    let own_page =
        wire::decode_error(&answer.body).is_none() && (502..=504).contains(&answer.status.as_u16());
    (own_page && caller.gateway.loopback_behind_proxy().is_some())
        .then(|| words!("doctor-see-proxy").into())
}

fn proxied_by(caller: &Caller<'_>) -> Option<bool> {
    caller
        .gateway
        .proxy()
        .map(|_| caller.gateway.proxy_has_credentials())
}

fn status_fix(answer: &Answer, proxied: Option<bool>) -> Arg {
    let contract_body = wire::decode_error(&answer.body).is_some();
    let wait = crate::client::retry_after(&answer.headers)
        .map(|w| w.as_secs())
        .filter(|s| *s > 0);
    // The gateway's own Bearer challenge: the token lacks a scope. The
    // token line says which and what fixes it, by where the token came from.
    if matches!(answer.status.as_u16(), 401 | 403)
        && crate::client::scope_wanted(&answer.headers).is_some()
    {
        return words!("doctor-see-token").into();
    }
    match (answer.status.as_u16(), wait) {
        // A success where a 400 belongs: a gateway that does not check
        // its input, more likely than a wrong address (the lists say).
        (200..=299, _) => words!("doctor-fix-error-400").into(),
        // Windows sign-in only: no password in the variable answers it.
        (407, _) if proxied.is_some() && windows_only(answer) => {
            words!("gw-proxy-windows-todo").into()
        }
        // The user name and password are in the variable already: refused.
        (407, _) if proxied == Some(true) => words!("doctor-fix-proxy-password-refused").into(),
        (407, _) if proxied.is_some() => words!("doctor-fix-proxy-password").into(),
        (407, _) => words!("doctor-fix-network-proxy").into(),
        // The proxy's own 429 (squid's error name, a proxy's Server): its
        // limit, not the gateway's (stranger 65, BN2).
        // With the wait it asked, that wait (stranger 84, CG2).
        (429, Some(secs))
            if proxied.is_some()
                && crate::net::proxy_mark(answer.status, &answer.headers).is_some() =>
        {
            words!("gw-proxy-429-wait-todo", secs = secs).into()
        }
        (429, _)
            if proxied.is_some()
                && crate::net::proxy_mark(answer.status, &answer.headers).is_some() =>
        {
            words!("gw-proxy-429-todo").into()
        }
        // A wait of days is no limit of requests: as `steps` says it, the
        // gateway's clock or setting (stranger 66, BO4).
        (429, Some(secs)) if secs > 86_400 => {
            let wait = Arg::each(|lang| crate::text::duration(lang, secs));
            words!("gw-429-todo-absurd", wait = wait).into()
        }
        (429 | 503, Some(secs)) => words!("doctor-fix-wait", secs = secs).into(),
        (429, None) => words!("doctor-fix-limited").into(),
        // A request timeout is a passing fault of the way, no wrong
        // address (stranger 87, CJ1).
        (408, _) if !contract_body => words!("gw-408-todo").into(),
        (403, _) if !contract_body && proxied.is_some() => {
            words!("doctor-fix-refused-proxy").into()
        }
        (403, _) if !contract_body => words!("doctor-fix-refused-front").into(),
        (404, _) if !contract_body => words!("doctor-fix-not-a-gateway").into(),
        // A proxy's own error page: the gateway may not have been reached.
        (502..=504, _) if !contract_body && proxied.is_some() => {
            words!("doctor-fix-proxy-5xx").into()
        }
        (500.., _) => words!("doctor-fix-gateway-failed").into(),
        // The contract's error body: a steps gateway answered, in words.
        _ if contract_body => words!("gw-other-said-todo").into(),
        _ => words!("doctor-fix-steps-gateway").into(),
    }
}

/// The gateway's words in a failed answer: the contract's error body, or
/// another common shape (RFC 7807's `detail`, OAuth's
/// `error_description`) read as the client reads it (stranger 56, BE1,
/// BE2).
fn said_body(body: &[u8], status: u16) -> Option<wire::ErrorBody> {
    wire::decode_error(body).or_else(|| wire::decode_other_error(body, status))
}

fn http_failure(status: StatusCode, body: &[u8]) -> String {
    let said = said_body(body, status.as_u16())
        .and_then(|b| b.message)
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    format!("HTTP {}{said}", status.as_u16())
}

/// One check's line: its mark, what was found and what to do.
struct Line {
    mark: Mark,
    detail: Arg,
    remedy: Option<Arg>,
}

impl Line {
    fn new(mark: Mark, detail: impl Into<Arg>) -> Line {
        Line {
            mark,
            detail: detail.into(),
            remedy: None,
        }
    }

    fn fix(mut self, remedy: impl Into<Arg>) -> Line {
        self.remedy = Some(remedy.into());
        self
    }

    fn no_answer(mark: Mark, why: Arg) -> Line {
        Line::new(mark, words!("doctor-no-answer", why = why))
    }
}

/// Why the first list failed: what it says of the far end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The gateway answered 401 (the token line says why).
    Refused,
    /// A steps gateway answered, about the car or the list.
    Answered,
    /// No steps gateway's answer came back: none, or another server's.
    NoGateway,
    /// A failure (5xx) without the contract's body: the gateway's, or
    /// something's in front of it.
    Failing,
}

/// What the checks on a stepsID know: the caller, the first list and its
/// stepsID.
struct Listed<'c> {
    caller: &'c Caller<'c>,
    first: StepsList,
    steps_id: String,
    /// The first list's headers: a steps gateway's own `Date`.
    headers: HeaderMap,
}

type Checked<'a> = Pin<Box<dyn Future<Output = Line> + 'a>>;

/// A check on a known stepsID.
type OnStepsId = for<'a, 'c> fn(&'a Listed<'c>) -> Checked<'a>;

/// The checks on the first list's stepsID, in the order they run, each
/// with the id of its line.
const ON_STEPS_ID: [(&str, OnStepsId); 5] = [
    ("refresh", refresh),
    ("next_step", next_step),
    ("status_filter", status_filter),
    ("events", events),
    ("guidance", guidance),
];

/// The read-only contract checks and the clock. Returns what they learnt
/// of the token (the token line says it).
pub(super) async fn checks(
    report: &mut Report,
    budget: &Budget,
    base: &Url,
    net: &NetOptions,
    device: &str,
    token: Option<&Secret>,
    car: Option<&str>,
) -> Judged {
    let Some(mut caller) = Caller::new(report, base, net, device, token, budget) else {
        return Judged::default();
    };
    // A gateway on this machine behind a proxy: does anything listen at
    // its port? (A proxy's 502 then says which is at fault.)
    if let Some((host, _)) = caller.gateway.loopback_behind_proxy() {
        let port = base.port_or_known_default().unwrap_or(80);
        caller.loopback_down = crate::net::loopback_refuses(&host, port)
            .await
            .then_some(port);
    }
    let unauthorized = checks_with(report, budget, &caller, car).await;
    let challenge = caller.challenge.take();
    // Held back by a limit on requests, nothing was judged of the token:
    // not "taken" because no 401 came.
    let limited = caller.limited.get() && !caller.answered_ok.get();
    let unauthorized = unauthorized.filter(|refused| *refused || !limited);
    Judged {
        // A Bearer challenge is the gateway's own (a proxy or a web server
        // sends none): it was reached, and wants a token when none went.
        unauthorized: match (&challenge.scope, token) {
            (Some(_), None) => Some(true),
            (Some(_), Some(_)) => Some(unauthorized.unwrap_or(false)),
            (None, _) => unauthorized,
        },
        challenge,
        limited,
        failing: caller.failing.get() && !caller.answered_ok.get(),
        unusable: caller.unusable.get(),
        needs_none: false,
        login_beside: None,
        proxy_plain: caller
            .gateway
            .proxy()
            .filter(|_| caller.gateway.base().starts_with("http:"))
            .map(str::to_owned),
    }
}

/// [`checks`] with its caller: whether the gateway answered 401, `None`
/// when no steps gateway answered.
async fn checks_with(
    report: &mut Report,
    budget: &Budget,
    caller: &Caller<'_>,
    car: Option<&str>,
) -> Option<bool> {
    let reach = error_body(report, caller, car.is_some()).await?;
    let unauthorized = reach.unauthorized;
    // Whether the token was taken is known only from a steps gateway's
    // own answer, never from a proxy's or a web server's page.
    let judged = |unauthorized: bool| (reach.gateway || unauthorized).then_some(unauthorized);
    let Some(car) = car else {
        report.set_with(
            "first_list",
            Mark::Warning,
            words!("doctor-first-no-car"),
            Some(words!("doctor-first-no-car-fix")),
        );
        return judged(unauthorized);
    };
    if budget.spent() {
        run_limit_reached(report, caller);
        return judged(unauthorized);
    }
    let listed = match first_list(caller, car, reach.gateway).await {
        Ok(listed) => listed,
        Err(_) if caller.cut_by_run.get() => {
            run_limit_reached(report, caller);
            return judged(unauthorized);
        }
        Err((line, failure)) => {
            report.set_with("first_list", line.mark, line.detail, line.remedy);
            // No answer to either: the first list's line says why.
            if reach.dropped && caller.unusable.get() {
                report.set(
                    "error_body",
                    Mark::Skipped,
                    words!("doctor-error-body-unjudged-unusable"),
                );
            } else if reach.dropped {
                report.set(
                    "error_body",
                    Mark::Skipped,
                    words!("doctor-error-body-unjudged-failed"),
                );
            }
            // The answer without an id was no steps gateway's either: its
            // warning would blame a gateway that was never reached.
            // An answer that could not be used (compressed on the way) is
            // no proof of no gateway (stranger 78, CA4).
            if failure == Failure::NoGateway
                && !reach.gateway
                && report.get_status("error_body") == Some(Mark::Warning)
            {
                report.set(
                    "error_body",
                    Mark::Skipped,
                    if caller.unusable.get() {
                        words!("doctor-error-body-unjudged-unusable")
                    } else {
                        words!("doctor-error-body-unjudged")
                    },
                );
            }
            return judged(unauthorized || failure == Failure::Refused);
        }
    };
    // The request without an id may have been answered by something else
    // (its Date then unjudged): a steps gateway's list has the gateway's.
    if report.get_status("clock") == Some(Mark::Skipped) {
        clock_check(report, &listed.headers);
    }
    let slowest = caller.slowest.get();
    let slow = slowest > check_limit();
    report.set_with(
        "first_list",
        if slow { Mark::Warning } else { Mark::Ok },
        words!(
            "doctor-first-ok",
            car = car,
            count = listed.first.steps.len(),
            done = listed.first.done_count(),
            steps_id = listed.steps_id.clone()
        ),
        slow.then(|| {
            words!(
                "doctor-first-slow",
                secs = format!("{:.1}", slowest.as_secs_f64()),
                limit = secs(call_limit())
            )
        }),
    );
    for (id, check) in ON_STEPS_ID {
        if budget.spent() {
            break;
        }
        let line = check(&listed).await;
        if caller.cut_by_run.get() {
            break;
        }
        report.set_with(id, line.mark, line.detail, line.remedy);
    }
    run_limit_reached(report, caller);
    Some(unauthorized)
}

/// The lines of the first list and the checks on its stepsID that the
/// run's limit left no time for: skipped, for that reason, never failed as
/// if the gateway had not answered.
fn run_limit_reached(report: &mut Report, caller: &Caller<'_>) {
    let ids = std::iter::once("first_list").chain(ON_STEPS_ID.iter().map(|(id, _)| *id));
    for id in ids {
        if !report.has(id) {
            report.set(id, Mark::Skipped, caller.run_limit_words());
        }
    }
}

/// What the request with neither id learnt of the far end.
struct Reach {
    /// It answered 401.
    unauthorized: bool,
    /// It answered with the contract's error body (or the gateway's own
    /// Bearer challenge): a steps gateway, not a proxy's or a web server's
    /// page.
    gateway: bool,
    /// It got no answer (the connection closed, say), and the first list
    /// is asked all the same: a gateway may drop a request it finds bad.
    dropped: bool,
}

/// The Error body line for a 400 to the request with no id: the
/// contract's body (`said`), JSON of another shape stepwise reads
/// (stranger 57, BF8), or no JSON.
fn bad_request_line(body: &[u8], said: Option<wire::ErrorBody>) -> Line {
    if let Some(said) = said {
        return Line::new(
            Mark::Ok,
            words!(
                "doctor-error-body-ok",
                message = said
                    .message
                    .map_or_else(|| words!("doctor-error-body-code-only").into(), Arg::Text)
            ),
        );
    }
    match wire::decode_other_error(body, 400).and_then(|b| b.message) {
        Some(message) => Line::new(
            Mark::Ok,
            words!("doctor-error-body-other-shape", message = message),
        ),
        None => Line::new(
            Mark::Warning,
            words!(
                "doctor-error-body-not-json",
                shape = r#"{"code", "message"}"#
            ),
        )
        .fix(words!("doctor-fix-error-json")),
    }
}

/// An answer only a steps gateway gives: the contract's error body, a
/// Bearer challenge about the token's scope (RFC 6750), or a steps list.
fn gateways_own(answer: &Answer) -> bool {
    wire::decode_error(&answer.body).is_some()
        || (matches!(answer.status.as_u16(), 401 | 403)
            && crate::client::scope_wanted(&answer.headers).is_some())
        // A steps list, though the call named no vehicle (not the 400 of
        // the contract): a steps gateway answered it, without a token
        // (stranger 81, CD8).
        || (answer.status.is_success() && wire::decode_list(&answer.body).is_ok())
}

/// The clock line from the answer to the call with no id: read where the
/// answer is the gateway's own (`gateways`), else why not.
fn clock_line(report: &mut Report, answer: &Answer, gateways: bool) {
    if gateways {
        clock_check(report, &answer.headers);
    } else if answer.status == StatusCode::TOO_MANY_REQUESTS {
        report.set("clock", Mark::Skipped, words!("doctor-clock-limited"));
    } else if answer.status.is_server_error() {
        // A failure's answer: no steps gateway is not what it shows.
        let status = i64::from(answer.status.as_u16());
        report.set(
            "clock",
            Mark::Skipped,
            words!("doctor-clock-failed", status = status),
        );
    } else {
        report.set("clock", Mark::Skipped, words!("doctor-clock-skipped"));
    }
}

/// Why the clock was not read when the call with no id failed: nothing
/// answered, or what answered could not be used.
fn clock_unrun(caller: &Caller<'_>) -> super::Words {
    if caller.unusable.get() {
        words!("doctor-clock-unusable")
    } else {
        words!("doctor-clock-skipped")
    }
}

/// A request with neither id: a 400 with a JSON body, and the gateway's
/// `Date` for the clock. `None` when nothing answered. `with_car`: the
/// first list follows, to tell a gateway from any other server.
async fn error_body(report: &mut Report, caller: &Caller<'_>, with_car: bool) -> Option<Reach> {
    let answer = match caller.get(LIST_PATH, &[], JSON, true).await {
        Err(why) => {
            // The first HTTP request got no answer: the ✗ goes where the
            // cause is, TLS on an http:// address or the list that could
            // not be asked, not on a contract detail.
            // The words say why; only for no answer in time is the fix
            // the gateway's (its other failures carry their own advice).
            // A request with no id that got no answer where the first list
            // can still be asked (no TLS trouble, no time spent): a gateway
            // may drop what it finds bad; the first list says the rest.
            let waited = caller.timed_out.get() || caller.silent.get();
            if with_car && !caller.wants_tls.get() && !waited {
                report.set_with(
                    "error_body",
                    Mark::Warning,
                    words!("doctor-error-body-dropped", why = why),
                    Some(words!("doctor-fix-error-json")),
                );
                report.set("clock", Mark::Skipped, clock_unrun(caller));
                return Some(Reach {
                    unauthorized: false,
                    gateway: false,
                    dropped: true,
                });
            }
            let (id, fix) = if caller.wants_tls.get() {
                ("tls", Some(words!("doctor-fix-use-https")))
            } else if caller.timed_out.get() && caller.gateway.proxy().is_none() {
                (
                    "first_list",
                    Some(words!("doctor-error-body-no-answer-fix")),
                )
            } else {
                ("first_list", None)
            };
            report.set_with(
                id,
                Mark::Failed,
                words!("doctor-error-body-no-answer", why = why),
                fix,
            );
            report.set("clock", Mark::Skipped, clock_unrun(caller));
            return None;
        }
        // Go's (Caddy's, Traefik's) 400 for plain HTTP at a TLS port: the
        // cause is TLS on an http:// address, as when the port answers in
        // TLS; no error body of a gateway's to judge.
        Ok(answer) if plain_http_at_tls_port(&answer) => {
            let base = caller.gateway.base().to_owned();
            report.set_with(
                "tls",
                Mark::Failed,
                words!("doctor-why-wants-tls", base = base),
                Some(words!("doctor-fix-use-https")),
            );
            report.set("clock", Mark::Skipped, clock_unrun(caller));
            return None;
        }
        Ok(answer) => answer,
    };
    let contract_body = gateways_own(&answer);
    // A proxy's or a web server's `Date` says nothing of the gateway's clock.
    // Nor does a proxy's 401 page with no challenge (a portal's sign-in).
    let proxy_page = (portal_page(&answer)
        && ((caller.gateway.proxy().is_some() && !bare_401(&answer)) || !answer.body.is_empty()))
        || proxy_page_401(caller, &answer);
    clock_line(
        report,
        &answer,
        contract_body
            || (answer.status == StatusCode::UNAUTHORIZED
                && !password_prompt(&answer)
                && !proxy_page),
    );
    let reach = |unauthorized| Reach {
        unauthorized,
        gateway: contract_body,
        dropped: false,
    };
    if let Some(line) = proxy_answered(report, caller, &answer) {
        report.set_with("error_body", line.mark, line.detail, line.remedy);
        return Some(reach(false));
    }
    let line = match (answer.status, wire::decode_error(&answer.body)) {
        // Moved by the gateway's own redirect to where nothing answers as
        // a gateway (stranger 79, CB2).
        (StatusCode::NOT_FOUND, None) if let Some(line) = moved_line(&answer) => line,
        (StatusCode::BAD_REQUEST, body) => bad_request_line(&answer.body, body),
        // A web server's password prompt: no steps gateway to judge a
        // token by (steps and the wizard say the same).
        (StatusCode::UNAUTHORIZED, None) if password_prompt(&answer) => {
            Line::new(Mark::Failed, words!("doctor-basic-prompt"))
                .fix(words!("doctor-fix-steps-gateway"))
        }
        // A web page's 401 with no challenge, straight from the address:
        // a login of something in front, no token judged (stranger 77,
        // BZ2), as the client judges it.
        (StatusCode::UNAUTHORIZED, None)
            if portal_page(&answer)
                && !answer.body.is_empty()
                && caller.gateway.proxy().is_none() =>
        {
            Line::new(Mark::Failed, words!("doctor-front-401")).fix(words!("doctor-fix-front-401"))
        }
        (StatusCode::UNAUTHORIZED, _) => {
            report.set("error_body", Mark::Warning, words!("doctor-error-body-401"));
            return Some(reach(true));
        }
        // Requests are limited: the error body is not judged from that.
        (StatusCode::TOO_MANY_REQUESTS, _) => {
            Line::new(Mark::Skipped, words!("doctor-error-body-limited"))
                .fix(status_fix(&answer, proxied_by(caller)))
        }
        (status, _) => other_status_line(status, &answer, contract_body, with_car, caller),
    };
    report.set_with("error_body", line.mark, line.detail, line.remedy);
    Some(reach(false))
}

/// The error body line for an answer to the request with no id that is
/// neither 400 nor one of the cases above.
fn other_status_line(
    status: StatusCode,
    answer: &Answer,
    contract_body: bool,
    with_car: bool,
    caller: &Caller<'_>,
) -> Line {
    // A failure says nothing of how the gateway answers a bad request
    // (stranger 45, AT6).
    if status.is_server_error() {
        return Line::new(
            Mark::Skipped,
            words!(
                "doctor-error-body-failing",
                answer = http_failure(status, &answer.body)
            ),
        );
    }
    Line::new(
        Mark::Warning,
        words!(
            "doctor-error-body-other",
            answer = http_failure(status, &answer.body)
        ),
    )
    .fix(
        // A success without the contract's body, and no list to ask: any
        // web server answers so; only the list can tell.
        if status.is_success() && !contract_body && !with_car {
            words!("doctor-fix-error-400-no-car").into()
        } else {
            status_fix(answer, proxied_by(caller))
        },
    )
}

/// A proxy's own answer to the request with no id: a 407, or the proxy of
/// the settings refusing the request (403) or with its own error page
/// (502–504), no gateway's body. The proxy's line fails (every call would
/// get the same), the error body unjudged. A 407 with no proxy set: a proxy
/// of this network, which no call passes. `None` for any other answer.
fn proxy_answered(report: &mut Report, caller: &Caller<'_>, answer: &Answer) -> Option<Line> {
    let status = answer.status.as_u16();
    let own_page = wire::decode_error(&answer.body).is_none() && matches!(status, 403 | 502..=504);
    // A Basic login through a proxy is the proxy's, as the client judges it;
    // so is a 401 page with no challenge at all (a portal's sign-in).
    let proxy_login = password_prompt(answer);
    let portal = portal_page(answer);
    // A web page's 401 with a challenge, through a proxy that read the
    // plain request: as the client judges it, the proxy's (stranger 70,
    // BS7).
    let page_401 = proxy_page_401(caller, answer);
    if bare_401_through(report, caller, answer) {
        return None;
    }
    let proxy = match caller.gateway.proxy() {
        None if status == 407 => {
            return Some(
                Line::new(
                    Mark::Failed,
                    words!(
                        "doctor-error-body-other",
                        answer = http_failure(answer.status, &answer.body)
                    ),
                )
                .fix(words!("doctor-fix-network-proxy")),
            );
        }
        Some(proxy) if status == 407 || own_page || proxy_login || portal || page_401 => {
            proxy.to_owned()
        }
        _ => return None,
    };
    let (detail, fix) = match status {
        407 if windows_only(answer) => (
            words!(
                "doctor-proxy-answered",
                proxy = proxy,
                status = status.to_string()
            ),
            Arg::from(words!("gw-proxy-windows-todo")),
        ),
        407 if caller.gateway.proxy_has_credentials() => (
            words!("doctor-proxy-407-refused", proxy = proxy),
            Arg::from(words!("doctor-fix-proxy-password-refused")),
        ),
        407 => (
            words!("doctor-proxy-407", proxy = proxy),
            Arg::from(words!("doctor-fix-proxy-password")),
        ),
        // A page with no challenge may be one the proxy relays from in
        // front of the gateway: never "never reached" (stranger 82, CE2).
        401 if portal && answer.body.iter().any(|b| !b.is_ascii_whitespace()) => (
            words!("doctor-proxy-401-page", proxy = proxy),
            Arg::from(words!("gw-proxy-portal-todo")),
        ),
        401 if portal => (
            words!(
                "doctor-proxy-answered",
                proxy = proxy,
                status = status.to_string()
            ),
            Arg::from(words!("gw-proxy-portal-todo")),
        ),
        401 if !proxy_login => (
            words!(
                "doctor-proxy-answered",
                proxy = proxy,
                status = status.to_string()
            ),
            Arg::from(words!("doctor-fix-refused-proxy")),
        ),
        401 if caller.gateway.proxy_has_credentials() => (
            words!("doctor-proxy-401-refused", proxy = proxy),
            Arg::from(words!("gw-proxy-401-basic-refused-todo")),
        ),
        401 => (
            words!("doctor-proxy-401", proxy = proxy),
            Arg::from(words!("gw-proxy-401-basic-todo")),
        ),
        _ => (
            words!(
                "doctor-proxy-answered",
                proxy = proxy,
                status = status.to_string()
            ),
            answered_fix(caller, answer),
        ),
    };
    // The proxy did its part and the gateway on this machine is what is
    // down: the proxy's line is not the failed one (stranger 45, AT5).
    if let (Some((host, _)), Some(port)) =
        (caller.gateway.loopback_behind_proxy(), caller.loopback_down)
        && (502..=504).contains(&status)
    {
        let proxy = caller.gateway.proxy().unwrap_or_default().to_owned();
        let said = words!(
            "doctor-proxy-gateway-down",
            proxy = proxy,
            status = status.to_string()
        );
        report.set("proxy", Mark::Ok, said);
        let port = port.to_string();
        return Some(
            Line::new(
                Mark::Failed,
                words!(
                    "doctor-error-body-gateway-down",
                    host = host.clone(),
                    port = port.clone()
                ),
            )
            .fix(words!("doctor-fix-loopback-down", host = host, port = port)),
        );
    }
    report.set_with("proxy", Mark::Failed, detail, Some(fix));
    Some(Line::new(Mark::Skipped, words!("doctor-error-body-proxy")))
}

/// What fixes a proxy's own answer: a gateway on this machine, which a
/// proxy elsewhere cannot reach, or the answer's status.
fn answered_fix(caller: &Caller<'_>, answer: &Answer) -> Arg {
    let status = answer.status.as_u16();
    match caller.gateway.loopback_behind_proxy() {
        Some((host, _)) if (502..=504).contains(&status) && caller.loopback_down.is_some() => {
            let port = caller.loopback_down.unwrap_or_default().to_string();
            Arg::from(words!("doctor-fix-loopback-down", host = host, port = port))
        }
        Some((host, from)) if (502..=504).contains(&status) => Arg::from(words!(
            "doctor-fix-proxy-loopback",
            host = host,
            from = from.to_owned()
        )),
        _ => status_fix(answer, proxied_by(caller)),
    }
}

/// A bare 401 (no body, no challenge, no mark of the proxy's) through a
/// proxy: the gateway's or the proxy's, which cannot be told apart; judged
/// as the gateway's, the proxy's line warns (stranger 83, CF1). Through a
/// tunnel (https) only the gateway answers.
fn bare_401_through(report: &mut Report, caller: &Caller<'_>, answer: &Answer) -> bool {
    let Some(proxy) = caller.gateway.proxy().filter(|_| bare_401(answer)) else {
        return false;
    };
    if caller.gateway.base().starts_with("http:") {
        report.set_with(
            "proxy",
            Mark::Warning,
            words!("doctor-proxy-bare-401", proxy = proxy.to_owned()),
            Some(words!(
                "doctor-fix-proxy-bare-401",
                host = caller.gateway.base_host()
            )),
        );
    }
    true
}

/// An answer of `Content-Type: text/html` (a web page).
fn is_page(answer: &Answer) -> bool {
    answer
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/html"))
}

/// A 401 with no body, no challenge and no mark of a proxy's making: the
/// contract allows it of a gateway (stranger 83, CF1).
fn bare_401(answer: &Answer) -> bool {
    answer.status == StatusCode::UNAUTHORIZED
        && !answer
            .headers
            .contains_key(reqwest::header::WWW_AUTHENTICATE)
        && answer.body.iter().all(u8::is_ascii_whitespace)
        && crate::net::proxy_mark(answer.status, &answer.headers).is_none()
}

/// A 401 that asks for a user name and password (`Basic`) without the
/// contract's error body: a web server's login, not a steps gateway.
fn password_prompt(answer: &Answer) -> bool {
    answer.status == StatusCode::UNAUTHORIZED
        && wire::decode_error(&answer.body).is_none()
        && crate::client::login_prompt(&answer.headers).is_some()
}

/// A web page's 401 with no gateway's error body, through a proxy that
/// read the plain request: as the client judges it, the proxy's own
/// (stranger 70, BS7). Through a tunnel (https) only the gateway answers.
fn proxy_page_401(caller: &Caller<'_>, answer: &Answer) -> bool {
    answer.status == StatusCode::UNAUTHORIZED
        && caller.gateway.proxy().is_some()
        && caller.gateway.base().starts_with("http:")
        && wire::decode_error(&answer.body).is_none()
        && answer.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

/// A 407 that offers Windows sign-in only (Negotiate, NTLM).
fn windows_only(answer: &Answer) -> bool {
    crate::net::proxy_windows_only(
        answer
            .headers
            .get_all(reqwest::header::PROXY_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// A 401 page with no challenge at all: no gateway's (which names how it
/// wants the token), through a proxy the proxy's or a portal's sign-in.
/// So is one with no body at all (the contract's 401 has its error body),
/// as the client judges it (stranger 60, BI4).
fn portal_page(answer: &Answer) -> bool {
    answer.status == StatusCode::UNAUTHORIZED
        && !answer
            .headers
            .contains_key(reqwest::header::WWW_AUTHENTICATE)
        && matches!(
            answer.body.iter().find(|b| !b.is_ascii_whitespace()),
            Some(&b'<') | None
        )
}

/// Go's (Caddy's, Traefik's) one line for plain HTTP at a TLS port.
fn plain_http_at_tls_port(answer: &Answer) -> bool {
    answer.status == StatusCode::BAD_REQUEST
        && String::from_utf8_lossy(&answer.body[..answer.body.len().min(512)])
            .to_ascii_lowercase()
            .contains("client sent an http request to an https server")
}

/// The first list, by carAssociationID. `Err` holds the failed line and
/// what the failure says of the far end.
/// What to do about a first list that is not one (`e`); `gateway`: the
/// request with no id got a steps gateway's answer.
fn not_a_list_fix(caller: &Caller<'_>, e: &wire::DecodeError, gateway: bool) -> super::Words {
    match (e, caller.gateway.proxy()) {
        // An HTML page through a proxy may be the proxy's own.
        (wire::DecodeError::Html, Some(_)) => {
            words!("doctor-fix-proxy-html", host = caller.gateway.base_host())
        }
        // The address answers as a steps gateway: this vehicle's answer is
        // what is wrong, not --api (stranger 61, BJ14).
        _ if gateway => words!("doctor-fix-not-a-list-here"),
        _ => words!("doctor-fix-steps-gateway"),
    }
}

/// A 404 without a gateway's error body where the gateway's own redirect
/// led: the redirect named (stranger 79, CB2).
fn moved_line(answer: &Answer) -> Option<Line> {
    let (from, to) = answer.moved.clone()?;
    let page = answer.status == StatusCode::NOT_FOUND && wire::decode_error(&answer.body).is_none();
    page.then(|| {
        let moved = GatewayError::MovedAway {
            from,
            to,
            status: 404,
        };
        Line::new(Mark::Failed, why(moved))
    })
}

/// The first list's line for a login page answered instead of a list
/// (a proxy's, a portal's, a web server's): no steps gateway judged it.
fn login_page_line(caller: &Caller<'_>, a: &Answer) -> Option<Line> {
    let proxied = caller.gateway.proxy().is_some();
    let (detail, fix) = if password_prompt(a) && proxied {
        // Through a proxy, its own login (the Proxy line says so).
        (
            words!("doctor-first-proxy-login"),
            words!("doctor-see-proxy"),
        )
    } else if portal_page(a) && proxied && !bare_401(a) {
        (
            words!("doctor-first-proxy-page"),
            words!("doctor-see-proxy"),
        )
    } else if proxy_page_401(caller, a) {
        (
            words!("doctor-first-proxy-page-401"),
            words!("doctor-see-proxy"),
        )
    } else if password_prompt(a) {
        (
            words!("doctor-basic-prompt"),
            words!("doctor-fix-steps-gateway"),
        )
    } else if portal_page(a) && !a.body.is_empty() {
        // A web page's 401 with no challenge: a login in front, no token
        // judged (stranger 77, BZ2).
        (words!("doctor-front-401"), words!("doctor-fix-front-401"))
    } else {
        return None;
    };
    Some(Line::new(Mark::Failed, detail).fix(fix))
}

/// `gateway`: the request with no id got a steps gateway's answer.
async fn first_list<'c>(
    caller: &'c Caller<'c>,
    car: &str,
    gateway: bool,
) -> Result<Listed<'c>, (Line, Failure)> {
    let first = match caller
        .get(LIST_PATH, &steps_query(CAR_PARAM, car, "all"), JSON, true)
        .await
    {
        // The connection worked (the lines above): what to do now
        // (stranger 60, BI14).
        Err(why) if caller.unusable.get() => {
            let line = Line::no_answer(Mark::Failed, why).fix(words!("doctor-fix-unusable"));
            return Err((line, Failure::NoGateway));
        }
        Err(why) => {
            let line = Line::no_answer(Mark::Failed, why).fix(words!("doctor-fix-no-answer"));
            return Err((line, Failure::NoGateway));
        }
        Ok(a) if let Some(line) = login_page_line(caller, &a) => {
            return Err((line, Failure::NoGateway));
        }
        // The gateway's own redirect led where nothing answers as a
        // gateway: the redirect is the cause, as `steps` says (stranger
        // 79, CB2).
        Ok(a) if let Some(line) = moved_line(&a) => return Err((line, Failure::Answered)),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
            let line =
                Line::new(Mark::Failed, words!("doctor-first-401")).fix(words!("doctor-see-token"));
            return Err((line, Failure::Refused));
        }
        Ok(a) if plain_http_at_tls_port(&a) => {
            let base = caller.gateway.base().to_owned();
            let line = Line::new(Mark::Failed, words!("doctor-why-wants-tls", base = base))
                .fix(words!("doctor-fix-use-https"));
            return Err((line, Failure::NoGateway));
        }
        Ok(a) if !a.status.is_success() => {
            // A 400 is about the car; a 5xx is a failure (the gateway's, or
            // something's in front of it), not proof of no gateway; another
            // status without the contract's body is no steps gateway's.
            let failure = if a.status == StatusCode::BAD_REQUEST || gateways_own(&a) {
                Failure::Answered
            } else if a.status.is_server_error() {
                Failure::Failing
            } else {
                Failure::NoGateway
            };
            let line = Line::new(
                Mark::Failed,
                format!(
                    "carAssociationID {car}: {}",
                    http_failure(a.status, &a.body)
                ),
            )
            .fix(
                loopback_fix(&a, caller).unwrap_or_else(|| first_list_fix(&a, proxied_by(caller))),
            );
            return Err((line, failure));
        }
        Ok(a) => (
            wire::decode_list(&a.body).map_err(|e| {
                // An answer cut short began as a list: the address is right.
                if matches!(e, wire::DecodeError::NotJson { cut: true, .. }) {
                    let line = Line::new(
                        Mark::Failed,
                        words!("doctor-list-cut", error = decode_arg(&e)),
                    )
                    .fix(words!("doctor-fix-cut"));
                    (line, Failure::Answered)
                } else if matches!(e, wire::DecodeError::WrongShape(wire::Shape::BadStepsId(_))) {
                    // A steps gateway's list, with a stepsID it cannot
                    // take back: its words name the gateway's operator.
                    (Line::new(Mark::Failed, decode_arg(&e)), Failure::Answered)
                } else {
                    let fix = not_a_list_fix(caller, &e, gateway);
                    let line = Line::new(
                        Mark::Failed,
                        words!("doctor-not-a-list", error = decode_arg(&e)),
                    )
                    .fix(fix);
                    (line, Failure::NoGateway)
                }
            })?,
            a.headers,
        ),
    };
    let (first, headers) = first;
    let Some(steps_id) = first.steps_id.clone() else {
        let line = Line::new(
            Mark::Failed,
            words!("doctor-first-no-steps-id", count = first.steps.len()),
        )
        .fix(words!("doctor-first-fix-steps-id"));
        return Err((line, Failure::Answered));
    };
    Ok(Listed {
        caller,
        first,
        steps_id,
        headers,
    })
}

/// A call after the first list, refused: a 404 without code 2346 is a
/// call this gateway does not offer (the list works at this --api);
/// others say their status.
fn after_list_failed(answer: &Answer) -> Line {
    let line = Line::new(Mark::Failed, http_failure(answer.status, &answer.body));
    // Without code 2346, the contract's mark of an unknown stepsID (the
    // first list gave it): no id of the technician's to check.
    let unknown_id =
        wire::decode_error(&answer.body).is_some_and(|b| b.code == Some(wire::NO_STEP_CODE));
    if answer.status == StatusCode::NOT_FOUND && !unknown_id {
        line.fix(words!("doctor-fix-call-not-offered"))
    } else if answer.status.is_server_error() || answer.status == StatusCode::TOO_MANY_REQUESTS {
        // A failure or a limit: its advice, as the first list's (stranger
        // 44, AS14).
        line.fix(status_fix(answer, None))
    } else {
        line
    }
}

/// The list again, by stepsID: the same steps.
fn refresh<'a>(on: &'a Listed<'_>) -> Checked<'a> {
    Box::pin(async move {
        let query = steps_query(STEPS_ID_PARAM, &on.steps_id, "all");
        match on.caller.get(LIST_PATH, &query, JSON, true).await {
            Err(why) => Line::no_answer(Mark::Failed, why),
            Ok(a) if !a.status.is_success() => after_list_failed(&a),
            Ok(a) => match wire::decode_list(&a.body) {
                // Another stepsID's list: what `steps --steps-id` refuses.
                Ok(list)
                    if list
                        .steps_id
                        .as_deref()
                        .is_some_and(|answered| answered != on.steps_id) =>
                {
                    let answered = list.steps_id.clone().unwrap_or_default();
                    Line::new(
                        Mark::Failed,
                        words!(
                            "gw-foreign-list",
                            asked = on.steps_id.clone(),
                            answered = answered
                        ),
                    )
                }
                Ok(list) => {
                    let same = names(&list) == names(&on.first);
                    let line = Line::new(
                        if same { Mark::Ok } else { Mark::Warning },
                        words!("doctor-refresh-ok", count = list.steps.len()),
                    );
                    if same {
                        line
                    } else {
                        line.fix(words!("doctor-refresh-fix"))
                    }
                }
                Err(e) => Line::new(
                    Mark::Failed,
                    words!("doctor-not-a-list", error = decode_arg(&e)),
                ),
            },
        }
    })
}

/// The next step: the one the first list says.
fn next_step<'a>(on: &'a Listed<'_>) -> Checked<'a> {
    Box::pin(async move {
        let query = [(STEPS_ID_PARAM, on.steps_id.as_str())];
        let next = match on.caller.get(NEXT_PATH, &query, JSON, true).await {
            Err(why) => return Line::no_answer(Mark::Failed, why),
            Ok(a) if !a.status.is_success() => return after_list_failed(&a),
            Ok(a) => match wire::decode_next(&a.body) {
                Ok(next) => next,
                Err(e) => {
                    return Line::new(
                        Mark::Failed,
                        words!("doctor-not-a-step", error = decode_arg(&e)),
                    );
                }
            },
        };
        let expected = on.first.next().map(|s| s.name.clone());
        let got = next.as_ref().map(|s| s.name.clone());
        let detail = match &got {
            Some(name) => words!("doctor-next-todo", name = name.clone()),
            None => words!("doctor-next-none"),
        };
        if expected == got {
            return Line::new(Mark::Ok, detail);
        }
        let listed: Arg = match expected {
            Some(name) => Arg::Text(name),
            None => words!("doctor-next-nothing").into(),
        };
        Line::new(
            Mark::Warning,
            words!("doctor-next-disagrees", got = detail, listed = listed),
        )
        .fix(words!("doctor-next-fix"))
    })
}

/// The status filter: `todo` gives the steps to do, and only them.
fn status_filter<'a>(on: &'a Listed<'_>) -> Checked<'a> {
    Box::pin(async move {
        let query = steps_query(STEPS_ID_PARAM, &on.steps_id, "todo");
        let list = match on.caller.get(LIST_PATH, &query, JSON, true).await {
            Err(why) => return Line::no_answer(Mark::Failed, why),
            Ok(a) if !a.status.is_success() => return after_list_failed(&a),
            Ok(a) => match wire::decode_list(&a.body) {
                Ok(list) => list,
                Err(e) => {
                    return Line::new(
                        Mark::Failed,
                        words!("doctor-not-a-list", error = decode_arg(&e)),
                    );
                }
            },
        };
        // Judged by the contract's statuses alone: a step done must not
        // come, each step to do must; a status outside the contract is
        // the gateway's own word, which proves nothing of the filter.
        let count = |steps: &[crate::steps::Step], status: Status| {
            steps.iter().filter(|s| s.status == status).count()
        };
        let stray = count(&list.steps, Status::AlreadyDone);
        let todo = count(&on.first.steps, Status::Todo);
        if stray == 0 && count(&list.steps, Status::Todo) == todo {
            let todo = list.steps.len();
            return Line::new(Mark::Ok, words!("doctor-filter-ok", todo = todo));
        }
        let bad = words!(
            "doctor-filter-bad",
            count = list.steps.len(),
            stray = stray,
            todo = todo
        );
        // Steps of a status outside the contract are not done, as the
        // wizard counts them: never "0 to do" alone (stranger 62, BK5).
        let unknown = on
            .first
            .steps
            .iter()
            .filter(|s| matches!(s.status, Status::Other(_)))
            .count();
        let detail = match unknown {
            0 => bad,
            _ => words!("doctor-filter-unknown", bad = bad, unknown = unknown),
        };
        Line::new(Mark::Failed, detail).fix(words!("doctor-filter-fix"))
    })
}

/// Live events: offered or not; only the answer's head is read.
fn events<'a>(on: &'a Listed<'_>) -> Checked<'a> {
    Box::pin(async move {
        let query = [(STEPS_ID_PARAM, on.steps_id.as_str())];
        let caller = on.caller;
        let waited = || caller.silent.get() || caller.timed_out.get();
        let waited_before = waited();
        let answer = caller
            .get(wire::EVENTS_PATH, &query, "text/event-stream", false)
            .await;
        // Silent through a proxy that answered the list calls: it holds
        // back an answer that does not end (stranger 47, AV12).
        let held = !waited_before && waited() && !caller.cut_by_run.get();
        match answer {
            Err(_) if held && caller.gateway.proxy().is_some() => {
                let proxy = caller.gateway.proxy().unwrap_or_default().to_owned();
                let host = caller.gateway.base_host();
                Line::new(
                    Mark::Warning,
                    words!("doctor-events-proxy-held", proxy = proxy),
                )
                .fix(words!("doctor-events-fix-proxy-held", host = host))
            }
            Ok(a) if a.status.is_success() => {
                let is_stream = a
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("text/event-stream"));
                if is_stream && crate::client::compressed(&a.headers).is_some() {
                    Line::new(Mark::Warning, words!("doctor-events-compressed"))
                        .fix(words!("doctor-events-fix-compressed"))
                } else if is_stream {
                    first_event_line(
                        &a.body,
                        a.cut,
                        &on.steps_id,
                        on.caller.gateway.proxy().is_some(),
                    )
                } else if is_page(&a) {
                    // A web page: something in front, most likely
                    // (stranger 85, CH4).
                    Line::new(Mark::Warning, words!("doctor-events-page"))
                        .fix(words!("doctor-events-fix-page"))
                } else {
                    Line::new(Mark::Warning, words!("doctor-events-not-stream"))
                        .fix(words!("doctor-events-fix"))
                }
            }
            // The gateway's own "no step for this stepsID" to the stepsID
            // the list call just gave: the stream contradicts the lists,
            // never "not offered" (stranger 67, BP8).
            Ok(a)
                if a.status == StatusCode::NOT_FOUND
                    && wire::decode_error(&a.body).and_then(|b| b.code)
                        == Some(wire::NO_STEP_CODE) =>
            {
                let id = on.steps_id.clone();
                Line::new(Mark::Warning, words!("doctor-events-2346", id = id))
                    .fix(words!("doctor-events-fix-2346"))
            }
            Ok(a) if a.status == StatusCode::NOT_FOUND => {
                Line::new(Mark::Ok, words!("doctor-events-404"))
            }
            // The proxy's own page to the stream, where the lists passed
            // it: the proxy named, and whom to ask (stranger 61, BJ5).
            Ok(a)
                if caller.gateway.proxy().is_some()
                    && crate::net::proxy_mark(a.status, &a.headers).is_some() =>
            {
                let proxy = caller.gateway.proxy().unwrap_or_default().to_owned();
                let status = i64::from(a.status.as_u16());
                let host = caller.gateway.base_host();
                Line::new(
                    Mark::Warning,
                    words!("doctor-events-proxy-own", proxy = proxy, status = status),
                )
                .fix(words!("doctor-events-fix-proxy-held", host = host))
            }
            // A limit: the wizard waits it out (every request to the
            // gateway waits with it), then opens the stream again; it does
            // not poll meanwhile (stranger 69, BR9).
            Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => {
                let answer = http_failure(a.status, &a.body);
                let detail = match crate::client::retry_after(&a.headers) {
                    Some(wait) if !wait.is_zero() => words!(
                        "doctor-events-limited",
                        answer = answer,
                        secs = wait.as_secs().min(3600)
                    ),
                    _ => words!("doctor-events-limited-unnamed", answer = answer),
                };
                Line::new(Mark::Warning, detail)
            }
            Ok(a) => Line::new(
                Mark::Warning,
                words!(
                    "doctor-events-http",
                    answer = http_failure(a.status, &a.body)
                ),
            ),
            Err(why) => Line::new(Mark::Warning, words!("doctor-events-no-answer", why = why)),
        }
    })
}

/// The events line for a stream that opened: its first event must be the
/// current list, at once.
fn first_event_line(body: &[u8], cut: bool, steps_id: &str, proxied: bool) -> Line {
    // The gateway closed the stream before a whole event: no proxy held
    // anything back.
    if cut && body.iter().all(u8::is_ascii_whitespace) {
        // Nothing at all: an events path answered without a stream.
        return Line::new(Mark::Warning, words!("doctor-events-empty"))
            .fix(words!("doctor-events-fix-empty"));
    }
    if cut && event_data(body).is_none() {
        return Line::new(
            Mark::Warning,
            words!("doctor-events-cut", bytes = body.len()),
        )
        .fix(words!("doctor-events-fix-cut"));
    }
    // Bytes that are no UTF-8 (not a character cut at the end): the
    // wizard cuts such a stream.
    if std::str::from_utf8(body).is_err_and(|e| e.error_len().is_some()) {
        return Line::new(Mark::Warning, words!("doctor-events-not-text"))
            .fix(words!("doctor-events-fix-content"));
    }
    let Some((kind, data)) = event_data(body) else {
        // Events came, of a type the contract does not read: no proxy
        // held anything back.
        if let Some((kind, lists)) = other_event_type(body) {
            let secs = secs(first_event_limit());
            return if lists {
                Line::new(
                    Mark::Warning,
                    words!("doctor-events-other-type", kind = kind.clone(), secs = secs),
                )
                .fix(words!("doctor-events-fix-other-type", kind = kind))
            } else {
                Line::new(
                    Mark::Warning,
                    words!("doctor-events-no-list-events", kind = kind, secs = secs),
                )
                .fix(words!("doctor-events-fix-content"))
            };
        }
        return Line::new(
            Mark::Warning,
            words!("doctor-events-silent", secs = secs(first_event_limit())),
        )
        // No proxy of this machine's: the gateway, or a reverse proxy in
        // front of it, is its operator's.
        .fix(if proxied {
            words!("doctor-events-fix-buffered")
        } else {
            words!("doctor-events-fix-buffered-direct")
        });
    };
    if kind == "error" {
        let said = crate::describe::error_said(&crate::client::live::error_event(&data));
        return Line::new(
            Mark::Warning,
            words!("doctor-events-error-event", said = said),
        )
        .fix(words!("doctor-events-fix-error-event"));
    }
    match wire::decode_list(data.as_bytes()) {
        Ok(list) if list.steps_id.as_deref().is_none_or(|id| id == steps_id) => {
            Line::new(Mark::Ok, words!("doctor-events-ok"))
        }
        // Server-Sent Events, but events of the wrong content: the fix is
        // what they carry, not their format.
        Ok(_) => Line::new(Mark::Warning, words!("doctor-events-other-list"))
            .fix(words!("doctor-events-fix-content")),
        Err(e) => Line::new(
            Mark::Warning,
            words!("doctor-events-bad-event", error = decode_arg(&e)),
        )
        .fix(words!("doctor-events-fix-content")),
    }
}

/// Guidance pages for the customer's phone: offered or not (no token).
fn guidance<'a>(on: &'a Listed<'_>) -> Checked<'a> {
    Box::pin(async move {
        let answer = on
            .caller
            .get(wire::GUIDANCE_PHONE_PATH, &[], "text/html", false)
            .await;
        match answer {
            // A guidance page is HTML that says its language; a portal's
            // catch-all answers 200 too, without it.
            Ok(a) if a.status.is_success() && is_guidance_page(&a.headers) => {
                Line::new(Mark::Ok, words!("doctor-guidance-ok"))
            }
            Ok(a) if a.status.is_success() => Line::new(
                Mark::Warning,
                words!(
                    "doctor-guidance-not-a-page",
                    kind = a
                        .headers
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map_or_else(|| "-".to_owned(), sanitize)
                ),
            ),
            Ok(a) if a.status == StatusCode::NOT_FOUND => {
                Line::new(Mark::Ok, words!("doctor-guidance-404"))
            }
            Ok(a) => Line::new(
                Mark::Warning,
                words!(
                    "doctor-guidance-http",
                    answer = http_failure(a.status, &a.body)
                ),
            ),
            Err(why) => Line::new(
                Mark::Warning,
                words!("doctor-guidance-no-answer", why = why),
            ),
        }
    })
}

fn is_guidance_page(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    wire::is_guidance_page(
        text(reqwest::header::CONTENT_TYPE),
        text(reqwest::header::CONTENT_LANGUAGE),
    )
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
        // Hours and days are said as such too (218592130 s reads as nothing).
        let detail: Arg = if secs >= 3_600 {
            let whole = by.as_secs();
            Arg::each(move |lang| {
                format!(
                    "{} ({})",
                    detail.render(lang),
                    crate::text::duration(lang, whole)
                )
            })
        } else {
            detail.into()
        };
        // A date before this program was made is no right time: the clock
        // that says it is the wrong one.
        let made = made_at();
        let remedy = if theirs < made {
            words!("doctor-clock-fix-gateway", date = sanitize(date))
        } else if ours < made {
            words!("doctor-clock-fix-ours")
        } else {
            words!("doctor-clock-fix")
        };
        report.set_with("clock", Mark::Warning, detail, Some(remedy));
    } else {
        report.set(
            "clock",
            Mark::Ok,
            words!("doctor-clock-ok", secs = secs.max(1)),
        );
    }
}

/// When this program was made (its commit's time, less a day), or the
/// epoch when that is not known.
fn made_at() -> SystemTime {
    let secs: u64 = env!("STEPWISE_MADE").parse().unwrap_or(0);
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs.saturating_sub(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;
    use crate::tr;
    use std::time::Duration;

    /// A request cut by what is left of the run, through a silent proxy,
    /// names the proxy as the client's own time limit would, never a bare
    /// "no answer" (stranger 49, AX4).
    #[tokio::test]
    async fn a_call_cut_by_the_run_through_a_silent_proxy_names_the_proxy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = format!("http://{}", listener.local_addr().unwrap());
        let mut net = NetOptions::default();
        net.proxy.http = Some(crate::net::ProxyVar {
            name: "HTTP_PROXY",
            value: proxy.clone(),
        });
        let budget = Budget {
            end: std::time::Instant::now() + Duration::from_millis(300),
        };
        let mut report = Report::default();
        let base = Url::parse("http://gateway.invalid:8080/").unwrap();
        let caller = Caller::new(&mut report, &base, &net, "dev", None, &budget).unwrap();
        let Err(why) = caller.get(LIST_PATH, &[], JSON, true).await else {
            panic!("a silent proxy answered");
        };
        let words = why.render(Lang::En);
        assert!(caller.timed_out.get());
        assert!(
            words.contains(&format!("through the proxy {proxy}")) && words.contains("is silent"),
            "{words}"
        );
        drop(listener);
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
