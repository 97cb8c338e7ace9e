//! The scriptable commands `steps` and `next`: a plain aligned checklist or
//! JSON on stdout, a one-line cause on stderr, and exit codes.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::backend::Backend;
use crate::client::{GatewayError, ListRequest, Lookup, Rejection};
use crate::guidance::step_title;
use crate::steps::{Columns, Mark, StatusFilter, Step, StepsList, rows};
use crate::text::{Lang, num};
use crate::tr;

/// No returned step is left to do (under `--status`, the returned steps only).
pub const EXIT_CLEAR: u8 = 0;
/// A failure; the cause is on stderr.
pub const EXIT_ERROR: u8 = 1;
/// Bad usage (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Some returned step is still to do.
pub const EXIT_PENDING: u8 = 3;

/// What `steps` prints and how it ends.
pub struct Outcome {
    pub stdout: String,
    pub code: u8,
    /// A warning for stderr, beside a `--json` answer that cannot carry it.
    pub warning: Option<String>,
}

/// Failed calls in words, for one gateway. A 401 for want of a token, or
/// to one given by hand, asks the gateway whether it offers sign-in (its
/// discovery, at most 3 s, once): one that takes only a fixed token is
/// told so, and `stepwise login` (a sign-in that cannot work there) is not
/// offered.
pub struct Explainer<'a> {
    pub backend: &'a Backend,
    pub issuer: Option<&'a str>,
    /// The logins kept by `stepwise login` could not be read, which is why
    /// no token went out (`login --with-token` would fail the same way).
    pub login_trouble: Option<crate::auth::StoreError>,
    /// Whether the gateway offers no sign-in, once asked.
    no_sign_in: tokio::sync::OnceCell<bool>,
    /// The gateway's address as typed with `--api`: the commands the words
    /// suggest carry it (on stderr and in `--json`'s `error` alike).
    pub api_typed: Option<String>,
    /// The one vehicle asked for, named in the commands the words suggest
    /// instead of `--car ID`.
    pub car: Option<String>,
    /// The one stepsID asked for, named instead of `--steps-id ID`.
    pub steps_id: Option<String>,
    /// Where a login kept for the gateway is looked up (its address as
    /// configured, the data folder), when a token given by hand wins over
    /// it: a refusal of that token then names the login beside it.
    pub kept_login_at: Option<(String, Option<std::path::PathBuf>)>,
}

impl<'a> Explainer<'a> {
    pub fn new(
        backend: &'a Backend,
        issuer: Option<&'a str>,
        login_trouble: Option<crate::auth::StoreError>,
    ) -> Self {
        Explainer {
            backend,
            issuer,
            login_trouble,
            no_sign_in: tokio::sync::OnceCell::new(),
            api_typed: None,
            car: None,
            steps_id: None,
            kept_login_at: None,
        }
    }

    /// `words` with `--api URL` in the commands they suggest, where the
    /// address was typed.
    pub fn typed(&self, words: String) -> String {
        match &self.api_typed {
            Some(api) => crate::text::commands_with_api(&words, api),
            None => words,
        }
    }

    /// `error` in words, with the commands they suggest as they can be run.
    pub async fn words(&self, lang: Lang, error: &GatewayError) -> String {
        let words = crate::describe::bare_401_note(lang, error, self.explain(lang, error).await);
        let words = self.typed(words);
        let words = match &self.car {
            Some(car) => crate::text::with_car(&words, car),
            None => words,
        };
        match &self.steps_id {
            Some(id) => words.replace("--steps-id ID", &format!("--steps-id {id}")),
            None => words,
        }
    }

    async fn explain(&self, lang: Lang, error: &GatewayError) -> String {
        use crate::config::TokenFrom;
        // Its cause itself, never "the warning above", which a script's
        // JSON does not carry (stranger 70, BS9).
        if let Some(trouble) = &self.login_trouble
            && matches!(error, GatewayError::Unauthorized { sent: None, .. })
        {
            // A damaged file lost every login: a new sign-in follows the
            // move (stranger 79, CB5), said only where a token is wanted
            // and the gateway offers one.
            let why = trouble.words(lang);
            let sign_in = self.issuer.is_some() || !self.offers_no_sign_in().await;
            return if trouble.login_lost() && sign_in {
                tr!(lang, "gw-401-login-damaged", why = why)
            } else {
                tr!(lang, "gw-401-login-unreadable", why = why)
            };
        }
        // A token given by hand refused, and a usable login kept beside it:
        // leaving the token out is the way on, not a new sign-in; unless
        // the gateway refuses that login too (tried once).
        if let GatewayError::Unauthorized {
            sent: Some(from @ (TokenFrom::TokenFile | TokenFrom::Environment)),
            expired,
            said,
            ..
        } = error
            && let Some(taken) = self.login_beside().await
        {
            let words = match (*from == TokenFrom::TokenFile, taken) {
                (true, true) => tr!(lang, "gw-401-token-file-login-kept"),
                (false, true) => tr!(lang, "gw-401-environment-login-kept"),
                (true, false) => tr!(lang, "gw-401-token-file-login-refused"),
                (false, false) => tr!(lang, "gw-401-environment-login-refused"),
            };
            return crate::describe::with_expiry(lang, words, *expired, said.as_deref());
        }
        // A refused token, or none: `stepwise login` is no way out where
        // the gateway offers no sign-in.
        if let GatewayError::Unauthorized {
            sent,
            expired,
            said,
            ..
        } = error
            && self.issuer.is_none()
            && self.offers_no_sign_in().await
        {
            let words = match sent {
                Some(TokenFrom::TokenFile) => tr!(lang, "gw-401-token-file-no-signin"),
                Some(TokenFrom::Environment) => tr!(lang, "gw-401-environment-no-signin"),
                Some(TokenFrom::Config) => tr!(lang, "gw-401-config-no-signin"),
                // A token kept with `login --with-token`: `stepwise login`
                // cannot sign in here.
                Some(TokenFrom::Login) => tr!(lang, "gw-401-login-no-signin"),
                None => tr!(lang, "gw-401-none-no-signin"),
            };
            return crate::describe::with_expiry(lang, words, *expired, said.as_deref());
        }
        // A scope wanted, and no token sent: no sign-in can ask for it where
        // the gateway offers none.
        if let GatewayError::ScopeWanted {
            status,
            scope,
            token_sent: false,
            ..
        } = error
            && self.issuer.is_none()
            && self.offers_no_sign_in().await
        {
            return if scope.is_empty() {
                tr!(
                    lang,
                    "gw-scope-wanted-none-no-signin-unnamed",
                    status = *status
                )
            } else {
                tr!(
                    lang,
                    "gw-scope-wanted-none-no-signin",
                    status = *status,
                    scope = scope.clone()
                )
            };
        }
        if let GatewayError::ScopeWanted {
            status,
            scope,
            sent: Some(from),
            token_sent: true,
            ..
        } = error
            && self.issuer.is_none()
            && self.offers_no_sign_in().await
        {
            return crate::describe::scope_taken_no_sign_in(lang, *status, scope, *from);
        }
        // No gateway configured: the embedded demo backend answered, and
        // an id it does not know is no id to check (stranger 49, AX1).
        if self.backend.is_demo()
            && matches!(
                error.rejection(),
                Some(Rejection::NotFound | Rejection::NoSteps)
            )
        {
            let ids = self.backend.demo_ids().join(", ");
            // Its words (the id asked) and its code, as a gateway's are.
            let said = crate::describe::said_of(lang, error);
            let by_steps_id = matches!(error, GatewayError::Rejected { body, .. }
                if body.message.as_deref().is_some_and(|m| m.starts_with(crate::wire::STEPS_ID_PARAM)));
            if by_steps_id {
                return tr!(lang, "gw-404-demo-steps-id", said = said, ids = ids);
            }
            return tr!(lang, "gw-404-demo", said = said, ids = ids);
        }
        crate::describe::gateway_line(lang, error)
    }

    /// A login that can still be used kept for the gateway (read off the
    /// runtime: a keyring call blocks): whether the gateway takes it, asked
    /// once with it as the steps calls would send it. `false` only for a
    /// 401; any other answer (or none) does not say it is refused.
    async fn login_beside(&self) -> Option<bool> {
        let (api, data) = self.kept_login_at.clone()?;
        kept_login_taken(&self.backend.gateway, api, data).await
    }

    /// Whether the gateway says it offers no sign-in (asked once).
    async fn offers_no_sign_in(&self) -> bool {
        *self
            .no_sign_in
            .get_or_init(|| async {
                let Ok(base) = url::Url::parse(self.backend.gateway.base()) else {
                    return false;
                };
                let gateway = &self.backend.gateway;
                let asked = crate::auth::discover::discover(gateway.http(), &base, None);
                matches!(
                    tokio::time::timeout(std::time::Duration::from_secs(3), asked).await,
                    Ok(Err(crate::auth::AuthError::Discovery(
                        crate::auth::Discovery::NotOffered { .. }
                    )))
                )
            })
            .await
    }
}

/// A login that can still be used kept for `api` (read off the runtime: a
/// keyring call blocks): whether `gateway` takes it, asked once with it as
/// the steps calls would send it: `true` when it answered with it, `false`
/// for a 401 (to a token renewed for it too). `None`: no usable login kept,
/// or no answer that says either.
pub async fn kept_login_taken(
    gateway: &crate::client::Gateway,
    api: String,
    data: Option<std::path::PathBuf>,
) -> Option<bool> {
    let read = tokio::task::spawn_blocking(move || {
        crate::auth::KeptLogin::load(&api, data.as_deref())
            .ok()
            .flatten()
            .filter(|kept| !kept.credential.is_spent(crate::auth::unix_now()))
    });
    let kept = read.await.ok().flatten()?;
    let trial = gateway
        .clone()
        .with_token_source(kept.source())
        .with_token_from(Some(crate::config::TokenFrom::Login));
    // Taken or refused as the gateway said; no word without an answer.
    match trial.try_token().await {
        crate::client::Trial::Taken => Some(true),
        crate::client::Trial::Refused(_) => Some(false),
        crate::client::Trial::NotTried(_) => None,
    }
}

/// `stepwise steps`.
pub async fn steps(
    backend: &Backend,
    lookup: Lookup,
    status: StatusFilter,
    reset: bool,
    json: bool,
    lang: Lang,
) -> Result<Outcome, GatewayError> {
    let car = match &lookup {
        Lookup::Car(id) => Some(id.clone()),
        Lookup::StepsId(_) => None,
    };
    let request = ListRequest {
        lookup,
        reset,
        status,
    };
    let list = backend.gateway.list(&request).await?;
    let stdout = if json {
        json_line(&ListJson::new(&list, car.as_deref(), status).after_reset(reset))
    } else if reset {
        // Said, so a technician knows the cache reset was asked for.
        format!(
            "{}\n{}",
            tr!(lang, "steps-reset-asked"),
            checklist(&list, car.as_deref(), &backend.label(lang), status, lang)
        )
    } else {
        checklist(&list, car.as_deref(), &backend.label(lang), status, lang)
    };
    let code = if not_known_ready(&list, status) {
        EXIT_PENDING
    } else {
        EXIT_CLEAR
    };
    // The JSON holds the steps as they came: a gateway that ignored the
    // filter is said beside it (the checklist says it itself).
    let ignored = list
        .steps
        .iter()
        .filter(|s| status.contradicts(&s.status))
        .count();
    let ignored = (json && ignored > 0).then(|| {
        tr!(
            lang,
            "cli-filter-ignored-json",
            other = num(ignored),
            total = num(list.steps.len()),
            status = status.contrary()
        )
    });
    // A list without its stepsID is taken, and said (stranger 56, BE4).
    let unkeyed = list
        .steps_id
        .is_none()
        .then(|| tr!(lang, "cli-no-steps-id"));
    let warning = match (ignored, unkeyed) {
        (Some(a), Some(b)) => Some(format!("{a}\n{}", tr!(lang, "cli-arg-warning", what = b))),
        (a, b) => a.or(b),
    };
    Ok(Outcome {
        stdout,
        code,
        warning,
    })
}

/// What `steps` over several vehicles prints and how it ends.
pub struct ManyOutcome {
    pub stdout: String,
    /// One line per vehicle that failed, for stderr.
    pub failures: Vec<String>,
    pub code: u8,
    /// The logins kept could not be read (see [`FailedJson::store_unread`]).
    store_unread: bool,
}

/// One vehicle's line of `steps --json` when its list could not be had.
/// `error` is the cause in English, the words a person reads on stderr
/// under `--lang en`; the rest is for a script to test: the HTTP status
/// that refused it (none when nothing answered, or a proxy did), the
/// gateway's error code, and what to do.
#[derive(Serialize)]
pub struct FailedJson<'a> {
    #[serde(rename = "carAssociationID", skip_serializing_if = "Option::is_none")]
    car_association_id: Option<&'a str>,
    #[serde(rename = "stepsID", skip_serializing_if = "Option::is_none")]
    steps_id: Option<&'a str>,
    error: String,
    status: Option<u16>,
    code: Option<i64>,
    action: Action,
    /// The wait in seconds the answer asked before trying again (its
    /// `Retry-After`), or `null`.
    retry_after: Option<u64>,
    /// `demo` when no gateway is configured and the embedded demo backend
    /// answered (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    backend: Option<&'static str>,
}

/// What a script does with a vehicle whose list could not be had, from
/// [`GatewayError::recovery`]: it may pass by itself (`retry`), a token is
/// wanted (`sign_in`), a stepsID is to be asked again by carAssociationID
/// (`start_over`), or trying again changes nothing until something is
/// fixed (`stop`: the id, the address, a setting).
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Retry,
    SignIn,
    StartOver,
    Stop,
}

impl<'a> FailedJson<'a> {
    /// The line of `lookup`, failed with `error` (none: no answer by the
    /// deadline, or held back by 429s: `limited`), said `english`.
    pub fn new(
        lookup: &'a Lookup,
        english: String,
        error: Option<&GatewayError>,
        limited: bool,
    ) -> Self {
        let by_steps_id = matches!(lookup, Lookup::StepsId(_));
        // An answer that is no steps gateway's (a page, another service's
        // JSON, a portal): its words say to check --api or the network,
        // which waiting does not fix, though the wizard looks again later.
        // A list cut short is no such answer: the next may come whole
        // (stranger 70, BS1).
        let elsewhere = !error.is_some_and(GatewayError::cut_short)
            && matches!(
                error,
                Some(
                    GatewayError::BadAnswer(_)
                    | GatewayError::CaptivePortal { .. }
                    // An answer over the cap comes the same again (stranger
                    // 56, BE5).
                    | GatewayError::TooLarge { .. }
                    | GatewayError::ProxyGarbled {
                        what: crate::client::ProxyAnswer::NoList(_)
                            | crate::client::ProxyAnswer::TooLarge(_),
                        ..
                    }
                )
            );
        // A wait of days (a Retry-After date decades away) is no wait a
        // script keeps: the words say to tell the operator, and so does the
        // action (stranger 62, BK3).
        let absurd = error
            .and_then(GatewayError::asked_wait)
            .is_some_and(|secs| secs > 86_400);
        // A failure (5xx) asking such a wait is a failure for now all the
        // same: its words say to retry in a minute, and so do the action
        // and retry_after (stranger 87, CJ2).
        let failing = error.and_then(GatewayError::rejection) == Some(Rejection::ServerFailure);
        let action = match error.map(GatewayError::recovery) {
            _ if elsewhere || (absurd && !failing) => Action::Stop,
            None | Some(crate::client::Recovery::Retry { .. }) => Action::Retry,
            Some(crate::client::Recovery::SignIn) => Action::SignIn,
            Some(crate::client::Recovery::StartOver) if by_steps_id => Action::StartOver,
            Some(crate::client::Recovery::StartOver | crate::client::Recovery::Stop) => {
                Action::Stop
            }
        };
        FailedJson {
            car_association_id: (!by_steps_id).then(|| lookup.id()),
            steps_id: by_steps_id.then(|| lookup.id()),
            error: english,
            status: error
                .and_then(GatewayError::answered_status)
                .or(limited.then_some(429)),
            code: error.and_then(GatewayError::gateway_code),
            action,
            // Still limited after the wait it asked: the advice's minute
            // (stranger 54, BC2).
            retry_after: error
                .filter(|_| !absurd)
                .and_then(|e| match e {
                    GatewayError::Rejected {
                        kind: Rejection::TooManyRequests,
                        retry_after: Some(wait),
                        ..
                    } if wait.is_zero() => Some(60),
                    // A 429 whose wait could not be read (or none was given):
                    // the advice's minute too (stranger 69, BR13).
                    GatewayError::Rejected {
                        kind: Rejection::TooManyRequests,
                        retry_after: None,
                        ..
                    } => Some(60),
                    // A proxy's own limit without a wait: the same minute
                    // (stranger 82, CE5).
                    GatewayError::Proxy {
                        status: 429,
                        retry_after,
                        ..
                    } if retry_after.is_none_or(|w| w.is_zero()) => Some(60),
                    e => e.asked_wait(),
                })
                .or((absurd && failing).then_some(60)),
            backend: None,
        }
    }

    /// No token went out because the logins kept by `stepwise login` could
    /// not be read (`unread`): a new sign-in meets the same store, so the
    /// action is to fix it, not `sign_in` (stranger 70, BS9).
    #[must_use]
    pub fn store_unread(mut self, unread: bool) -> Self {
        if unread && matches!(self.action, Action::SignIn) {
            self.action = Action::Stop;
        }
        self
    }

    /// As answered by `backend`: the demo backend is named, and an id it
    /// does not know is no id to ask again by (its ids are built in).
    #[must_use]
    pub fn on(mut self, backend: &Backend) -> Self {
        if backend.is_demo() {
            self.backend = Some("demo");
            // A stepsID it does not know is asked again by
            // carAssociationID, as on any gateway (stranger 54, BC1).
            if self.status == Some(404) && self.car_association_id.is_some() {
                self.action = Action::Stop;
            }
        }
        self
    }

    /// Its one line of JSON, with the newline.
    pub fn line(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises") + "\n"
    }
}

/// `stepwise steps` over several vehicles: the lists are asked at once (the
/// client keeps at most its budget in flight), printed in the order given,
/// one block each, or with `json` one JSON object per line. The whole run
/// waits at most `deadline`: vehicles without an answer by then are named
/// as such. The plain output ends with one summary line that names the
/// vehicles that failed or did not answer (stdout alone tells the whole
/// story). Exit 1 when any failed or did not answer, else 3 when any has a
/// step to do, else 0.
pub async fn steps_many(
    explainer: &Explainer<'_>,
    cars: &[String],
    status: StatusFilter,
    reset: bool,
    json: bool,
    lang: Lang,
    deadline: std::time::Duration,
) -> ManyOutcome {
    let backend = explainer.backend;
    let until = tokio::time::Instant::now() + deadline;
    // Each vehicle's request says whether it is held back by a 429 or
    // awaits an answer, for the words of one without a list by the deadline.
    let tracks: Vec<Track> = cars.iter().map(|_| Track::default()).collect();
    let mut tasks: Vec<_> = cars
        .iter()
        .zip(&tracks)
        .map(|(car, track)| {
            let gateway = backend.gateway.clone();
            let request = ListRequest {
                lookup: Lookup::Car(car.clone()),
                reset,
                status,
            };
            track.spawn(async move { gateway.list(&request).await })
        })
        .collect();
    let on = json.then_some(backend);
    let mut out = ManyOutcome {
        stdout: String::new(),
        failures: Vec::new(),
        code: EXIT_CLEAR,
        store_unread: explainer.login_trouble.is_some(),
    };
    // What each vehicle prints, in the order given: its list is printed
    // once every list is in, so that lists under one stepsID are marked.
    let mut slots: Vec<Slot> = Vec::new();
    let mut failed: Vec<&str> = Vec::new();
    // Without a list by the deadline: not answered, and held back by 429.
    let (mut late, mut limited_cars): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let mut pending = false;
    let mut ids: Vec<(&str, String)> = Vec::new();
    let secs = deadline.as_secs();
    // Whether any vehicle asked got an answer, and whether one met silence
    // (a busy or hung gateway): one never asked then waited on the hang,
    // not on its turn (stranger 60, BI7).
    let (mut heard, mut hung) = (false, false);
    for ((car, task), track) in cars.iter().zip(tasks.iter_mut()).zip(&tracks) {
        let result = match answer_in_time(task, &backend.gateway, until, &track.held).await {
            Some(joined) => joined.unwrap_or_else(|e| Err(GatewayError::Transport(e.to_string()))),
            None => {
                task.abort();
                let asked = (car.as_str(), lang, hung && !heard);
                let (words, into) = track.late_words(explainer, asked, secs).await;
                hung |= matches!(into, Late::Unanswered);
                let (met, limited) = match &into {
                    Late::Failed(e, paused) => (Some(e), paused.map(Some)),
                    Late::Limited(wait) => (None, Some(*wait)),
                    Late::Unanswered => (None, None),
                };
                match into {
                    Late::Failed(..) => failed.push(car),
                    Late::Limited(_) => limited_cars.push(car),
                    Late::Unanswered => late.push(car),
                }
                slots.push(Slot::Said(out.failed(
                    (on, lang),
                    car,
                    words,
                    (met, limited),
                )));
                continue;
            }
        };
        match result {
            Ok(list) => {
                (pending, heard) = (pending || not_known_ready(&list, status), true);
                if let Some(id) = &list.steps_id {
                    ids.push((car.as_str(), id.clone()));
                }
                slots.push(Slot::Listed(car, list));
            }
            Err(e) => {
                failed.push(car);
                hung |= matches!(e, GatewayError::TimedOut { .. });
                heard |= e.answered_status().is_some();
                let (words, paused) =
                    failed_words(explainer, (car, lang), &e, &backend.gateway).await;
                slots.push(Slot::Said(out.failed(
                    (on, lang),
                    car,
                    words,
                    (Some(&e), paused.map(Some)),
                )));
            }
        }
    }
    let shared = out.shared(lang, &ids);
    out.stdout = many_stdout(
        &slots,
        &shared,
        (backend, json, lang),
        (status, reset),
        &failed,
        (&late, &limited_cars),
        secs,
    );
    let mixed = !shared.is_empty();
    out.code = if !failed.is_empty() || !late.is_empty() || !limited_cars.is_empty() || mixed {
        EXIT_ERROR
    } else if pending {
        EXIT_PENDING
    } else {
        EXIT_CLEAR
    };
    out
}

/// What one vehicle of `steps` over several vehicles prints: its list, or
/// its failure's JSON line (empty without `--json`).
enum Slot<'a> {
    Listed(&'a str, crate::steps::StepsList),
    Said(String),
}

/// The stdout of `steps` over several vehicles: each vehicle's list or
/// failure in the order given, then (plain) the summary. A list that came
/// under a stepsID `shared` with another vehicle's (the stepsID, and the
/// English words said of it) is marked: with `--json` its line has that
/// `error` and the action `stop` (stranger 61, BJ6).
fn many_stdout(
    slots: &[Slot<'_>],
    shared: &[(String, Vec<String>, String)],
    (backend, json, lang): (&Backend, bool, Lang),
    (status, reset): (StatusFilter, bool),
    failed: &[&str],
    (late, limited): (&[&str], &[&str]),
    secs: u64,
) -> String {
    let label = backend.label(lang);
    let mut stdout = if reset && !json {
        format!("{}\n", tr!(lang, "steps-reset-asked"))
    } else {
        String::new()
    };
    let shared_of = |car: &str| {
        shared
            .iter()
            .find(|(_, cars, _)| cars.iter().any(|c| c == car))
    };
    let mut marked: Vec<&str> = Vec::new();
    for slot in slots {
        match slot {
            Slot::Said(line) => stdout.push_str(line),
            Slot::Listed(car, list) if json => {
                let mut line = ListJson::new(list, Some(car), status).after_reset(reset);
                if let Some((_, _, english)) = shared_of(car) {
                    line = line.shared(english);
                }
                stdout.push_str(&serde_json::to_string(&line).expect("plain data serialises"));
                stdout.push('\n');
            }
            Slot::Listed(car, list) => {
                if shared_of(car).is_some() {
                    marked.push(car);
                }
                if !stdout.is_empty() {
                    stdout.push('\n');
                }
                stdout.push_str(&checklist(list, Some(car), &label, status, lang));
            }
        }
    }
    if !json {
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        let counts = (failed, late, limited, marked.as_slice());
        stdout.push_str(&many_summary(lang, slots.len(), counts, secs));
        stdout.push('\n');
    }
    stdout
}

/// What one vehicle's request of `steps` over several vehicles went
/// through: held back by a 429 now, and the failure it met before its
/// last retry.
#[derive(Default)]
struct Track {
    held: Arc<AtomicBool>,
    last: Arc<std::sync::Mutex<Option<GatewayError>>>,
    /// Its request got a place among those in flight (it was sent).
    sent: Arc<AtomicBool>,
}

/// Which count of the summary a vehicle without a list by the deadline
/// goes to.
enum Late {
    /// Its own failure, met before its retry was held back; the pause
    /// that holds it, in seconds, when one is left.
    Failed(GatewayError, Option<u64>),
    /// Held back by 429s; the wait the gateway asked, in seconds, if named.
    Limited(Option<u64>),
    Unanswered,
}

impl Track {
    /// Runs `request` on a task of its own, tracked: held back, its last
    /// failure, and sent.
    fn spawn<T: Send + 'static>(
        &self,
        request: impl std::future::Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        let (held, last) = (Arc::clone(&self.held), Arc::clone(&self.last));
        let sent = crate::pace::admitted(Arc::clone(&self.sent), request);
        tokio::spawn(crate::client::tracked(held, last, sent))
    }

    /// The words (English, then `lang`) of a vehicle without a list by the
    /// deadline: its own failure when it met one and its retry was then
    /// held back by another request's 429; else held back, or unanswered.
    /// `hung`: the vehicles asked before got no answer, and none any.
    async fn late_words(
        &self,
        explainer: &Explainer<'_>,
        asked: (&str, Lang, bool),
        secs: u64,
    ) -> ((String, String), Late) {
        // The commands they suggest as they can be run, in the JSON's
        // words as on stderr (stranger 81, CD5).
        let ((english, own), late) = self.late_said(explainer, asked, secs).await;
        ((explainer.typed(english), explainer.typed(own)), late)
    }

    async fn late_said(
        &self,
        explainer: &Explainer<'_>,
        (car, lang, hung): (&str, Lang, bool),
        secs: u64,
    ) -> ((String, String), Late) {
        let limited = self.held.load(Ordering::Relaxed);
        let last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        // Held back without one answer of its own: never sent, not "the
        // gateway kept limiting" it.
        let unsent = limited && last.is_none();
        let wait = last.as_ref().and_then(asked_wait);
        let met = last.filter(|e| e.rejection() != Some(crate::client::Rejection::TooManyRequests));
        let sent = self.sent.load(Ordering::Relaxed);
        match met {
            // Its turn among the vehicles asked a few at a time never came
            // (stranger 49, AX5): not "no answer".
            None if !sent && !limited => {
                let said = |lang| match hung {
                    true => tr!(lang, "steps-many-unsent-hung", secs = secs),
                    false => tr!(lang, "steps-many-unsent", secs = secs),
                };
                ((said(Lang::En), said(lang)), Late::Unanswered)
            }
            Some(e) if limited => {
                // A pause that outlasts the deadline ended the run: its
                // wait, never the deadline's (stranger 74, BW4's other half).
                let paused =
                    (explainer.backend.gateway.pause_left()).map(|left| left.as_secs().max(1));
                let said = |lang| match paused {
                    Some(left) => tr!(lang, "steps-many-paused", secs = left),
                    None => tr!(lang, "steps-many-retry-held", secs = secs),
                };
                let words = (
                    format!("{} {}", explainer.words(Lang::En, &e).await, said(Lang::En)),
                    format!("{} {}", explainer.words(lang, &e).await, said(lang)),
                );
                // As any failed vehicle's: its id where the words say `--car ID`.
                let words = (
                    crate::text::with_car(&words.0, car),
                    crate::text::with_car(&words.1, car),
                );
                (words, Late::Failed(e, paused))
            }
            _ if unsent => {
                let said = |lang| tr!(lang, "steps-many-held-unsent", secs = secs);
                ((said(Lang::En), said(lang)), Late::Limited(None))
            }
            _ => {
                let words = (
                    late_words(Lang::En, secs, limited, wait),
                    late_words(lang, secs, limited, wait),
                );
                (
                    words,
                    if limited {
                        Late::Limited(wait)
                    } else {
                        Late::Unanswered
                    },
                )
            }
        }
    }
}

impl ManyOutcome {
    /// A vehicle without a list: with `json` a line with its error (in
    /// English, `words.0`), and its cause on stderr (`words.1`).
    /// `error`: the failure it met (none when nothing answered by the
    /// deadline, or 429s held it back: `limited`).
    /// Returns its JSON line (empty without `json`).
    fn failed(
        &mut self,
        (json, lang): (Option<&Backend>, Lang),
        car: &str,
        words: (String, String),
        (error, limited): (Option<&GatewayError>, Option<Option<u64>>),
    ) -> String {
        let line = json.map_or_else(String::new, |backend| {
            let lookup = Lookup::Car(car.to_owned());
            let mut json = FailedJson::new(&lookup, words.0, error, limited.is_some());
            // Held back by 429s until the deadline: the wait the gateway
            // asked, which the words name (stranger 69, BR13).
            json.retry_after = json.retry_after.or(limited.flatten());
            json.on(backend).store_unread(self.store_unread).line()
        });
        let colon = crate::text::colon(lang);
        let words = &words.1;
        self.failures
            .push(format!("stepwise{colon}{car}{colon}{words}"));
        line
    }

    /// Vehicles whose lists came under one stepsID, said on stderr: those
    /// lists may be another vehicle's. Each such stepsID, its vehicles and
    /// the words in English.
    fn shared(&mut self, lang: Lang, ids: &[(&str, String)]) -> Vec<(String, Vec<String>, String)> {
        let pairs = ids.iter().map(|(car, id)| (*car, id.as_str()));
        let shared = crate::steps::shared_steps_ids(pairs);
        let mut out = Vec::new();
        for (id, cars) in &shared {
            let said = |lang| {
                tr!(
                    lang,
                    "cli-shared-steps-id",
                    id = (*id).to_owned(),
                    cars = crate::text::few(cars),
                    count = num(cars.len())
                )
            };
            let colon = crate::text::colon(lang);
            self.failures.push(format!("stepwise{colon}{}", said(lang)));
            let cars = cars.iter().map(|c| (*c).to_owned()).collect();
            out.push(((*id).to_owned(), cars, said(Lang::En)));
        }
        out
    }
}

/// The last line of `steps` over several vehicles: how many were listed,
/// and which failed or did not answer in time (the first ten of each).
/// Why a vehicle had no list by the deadline: no answer, or a gateway that
/// kept answering 429 (`limited`), which a longer wait may get past.
/// `wait`: the wait the gateway's last 429 asked for, when it named one.
pub fn late_words(lang: Lang, secs: u64, limited: bool, wait: Option<u64>) -> String {
    match (limited, wait) {
        (true, Some(wait)) if wait >= secs => {
            tr!(lang, "steps-many-limited-longer", secs = secs, wait = wait)
        }
        (true, Some(wait)) => tr!(lang, "steps-many-limited-again", secs = secs, wait = wait),
        (true, None) => tr!(lang, "steps-many-limited", secs = secs),
        (false, _) => tr!(lang, "steps-many-late", secs = secs),
    }
}

/// The words (English, then `lang`) of a vehicle whose request failed.
/// A failure worth a retry, while the gateway's pause (a 429 asked of
/// another request) holds every request: its wait, in the words and as
/// the second value (seconds), never the failure's "retry in a minute"
/// alone (stranger 74, BW4's other half).
async fn failed_words(
    explainer: &Explainer<'_>,
    (car, lang): (&str, Lang),
    e: &GatewayError,
    gateway: &crate::client::Gateway,
) -> ((String, String), Option<u64>) {
    let retry = matches!(e.recovery(), crate::client::Recovery::Retry { .. });
    let paused = gateway
        .pause_left()
        .filter(|_| retry && e.asked_wait().is_none())
        .filter(|_| e.rejection() != Some(Rejection::TooManyRequests))
        .map(|left| left.as_secs().max(1));
    let said = async |lang| {
        let words = crate::text::with_car(&explainer.words(lang, e).await, car);
        match paused {
            Some(secs) => format!("{words} {}", tr!(lang, "steps-many-paused", secs = secs)),
            None => words,
        }
    };
    ((said(Lang::En).await, said(lang).await), paused)
}

/// `task`'s outcome, or `None` when [`outlasted`] ends first.
async fn answer_in_time<T>(
    task: &mut tokio::task::JoinHandle<T>,
    gateway: &crate::client::Gateway,
    until: tokio::time::Instant,
    held: &AtomicBool,
) -> Option<Result<T, tokio::task::JoinError>> {
    tokio::select! {
        biased;
        joined = task => Some(joined),
        () = outlasted(gateway, until, held) => None,
    }
}

/// Ends at `until`, or as soon as the request is `held` back by a pause
/// the gateway asked (a 429's Retry-After) that is known to outlast it: no
/// list can come before then, so the run is not held to the end of
/// `--deadline` for nothing (stranger 74, BW4). A request in flight is
/// waited for.
async fn outlasted(
    gateway: &crate::client::Gateway,
    until: tokio::time::Instant,
    held: &AtomicBool,
) {
    let look = std::time::Duration::from_millis(200);
    // Held at two looks in a row: a request that got the 429 itself is
    // marked held for the moment it takes to end with it.
    let mut seen = false;
    loop {
        let now = tokio::time::Instant::now();
        let hopeless = held.load(Ordering::Relaxed)
            && gateway.pause_left().is_some_and(|left| now + left > until);
        if now >= until || (hopeless && seen) {
            return;
        }
        seen = hopeless;
        tokio::time::sleep_until((now + look).min(until)).await;
    }
}

/// A vehicle's calls that ran past `--deadline`: why, in English and in
/// the language chosen, and whether the gateway's 429s held them back.
pub struct TooLate {
    pub english: String,
    pub said: String,
    pub limited: bool,
}

/// `run` (one vehicle's calls) within `deadline` seconds; past it, why in
/// words: no answer, or the gateway's 429s and the wait they named.
pub async fn within<T>(
    deadline: u64,
    lang: Lang,
    run: impl std::future::Future<Output = T>,
) -> Result<T, TooLate> {
    let held = Arc::new(AtomicBool::new(false));
    let last = Arc::default();
    let run = crate::client::tracked(Arc::clone(&held), Arc::clone(&last), run);
    match tokio::time::timeout(std::time::Duration::from_secs(deadline), run).await {
        Ok(outcome) => Ok(outcome),
        Err(_) => {
            let limited = held.load(Ordering::Relaxed);
            let wait = last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .and_then(asked_wait);
            Err(TooLate {
                english: late_words(Lang::En, deadline, limited, wait),
                said: late_words(lang, deadline, limited, wait),
                limited,
            })
        }
    }
}

/// The wait (s) a 429 asked for, when it named one.
fn asked_wait(error: &GatewayError) -> Option<u64> {
    error
        .asked_wait()
        .filter(|_| error.rejection() == Some(Rejection::TooManyRequests))
}

/// `late` holds the vehicles sent and not answered by the deadline,
/// `limited` those held back by the gateway's 429s until then.
fn many_summary(
    lang: Lang,
    total: usize,
    (failed, late, limited, shared): (&[&str], &[&str], &[&str], &[&str]),
    secs: u64,
) -> String {
    let ids = |cars: &[&str]| {
        let mut shown = cars.iter().take(10).copied().collect::<Vec<_>>().join(", ");
        if cars.len() > 10 {
            shown.push_str(", …");
        }
        shown
    };
    let mut line = tr!(
        lang,
        "steps-many-summary",
        listed = num(total - failed.len() - late.len() - limited.len() - shared.len()),
        total = num(total)
    );
    if !failed.is_empty() {
        line.push_str(crate::text::semicolon(lang));
        line.push_str(&tr!(
            lang,
            "steps-many-summary-failed",
            n = num(failed.len()),
            ids = ids(failed)
        ));
    }
    if !late.is_empty() {
        line.push_str(crate::text::semicolon(lang));
        line.push_str(&tr!(
            lang,
            "steps-many-summary-late",
            n = num(late.len()),
            secs = secs,
            ids = ids(late)
        ));
    }
    if !limited.is_empty() {
        line.push_str(crate::text::semicolon(lang));
        line.push_str(&tr!(
            lang,
            "steps-many-summary-limited",
            n = num(limited.len()),
            secs = secs,
            ids = ids(limited)
        ));
    }
    if !shared.is_empty() {
        line.push_str(crate::text::semicolon(lang));
        line.push_str(&tr!(
            lang,
            "steps-many-summary-shared",
            n = num(shared.len()),
            ids = ids(shared)
        ));
    }
    line
}

/// `stepwise next`.
pub async fn next(
    backend: &Backend,
    steps_id: &str,
    json: bool,
    lang: Lang,
) -> Result<Outcome, GatewayError> {
    let next = backend.gateway.next_step(steps_id).await?;
    let stdout = if json {
        json_line(&NextJson {
            steps_id,
            next: next.as_ref().map(StepJson::from),
        })
    } else {
        match &next {
            Some(step) => format!(
                "{}  {}  {}\n",
                tr!(lang, "mark-next"),
                step_title(lang, &step.name),
                step.name
            ),
            None => format!("{}\n", tr!(lang, "cli-next-none")),
        }
    };
    let code = if next.is_some() {
        EXIT_PENDING
    } else {
        EXIT_CLEAR
    };
    Ok(Outcome {
        stdout,
        code,
        warning: None,
    })
}

fn json_line(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("plain data serialises");
    text.push('\n');
    text
}

/// One step in JSON output: the wire's names, plus the documentation's
/// English title (JSON is the same in every language).
#[derive(Serialize)]
pub struct StepJson<'a> {
    pub name: &'a str,
    pub title: String,
    pub status: &'a str,
    pub order: Option<i64>,
}

impl<'a> From<&'a Step> for StepJson<'a> {
    fn from(step: &'a Step) -> Self {
        StepJson {
            name: &step.name,
            title: step_title(Lang::En, &step.name),
            status: step.status.as_wire(),
            order: step.order,
        }
    }
}

/// The normalised list: sorted, aliases resolved, text sanitised.
#[derive(Serialize)]
pub struct ListJson<'a> {
    #[serde(rename = "carAssociationID", skip_serializing_if = "Option::is_none")]
    pub car_association_id: Option<&'a str>,
    #[serde(rename = "stepsID")]
    pub steps_id: Option<&'a str>,
    #[serde(rename = "stepsStatus")]
    pub steps_status: &'static str,
    pub steps: Vec<StepJson<'a>>,
    /// The next step to do; `null` when there is none or when the list is
    /// filtered (a filtered list cannot tell).
    pub next: Option<&'a str>,
    /// Done steps among those returned.
    pub done: usize,
    /// Steps returned.
    pub total: usize,
    /// Whether every step is done: `null` when `--status` filtered the list,
    /// which then cannot tell.
    pub complete: Option<bool>,
    /// Whether the steps-cache reset was asked for (`--reset`): the list is
    /// the gateway's answer after it.
    pub reset: bool,
    /// With `--status`: whether the gateway applied the filter (`false`:
    /// it returned steps of the other status too, as the warning on
    /// stderr says; stranger 79, CB8); `null` without a filter.
    pub filter_applied: Option<bool>,
    /// What is wrong with a list that came all the same (in English): it
    /// came under a stepsID another vehicle's list came under too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `error`: what a script does (`stop`: do not rely on it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

impl<'a> ListJson<'a> {
    pub fn new(list: &'a StepsList, car: Option<&'a str>, status: StatusFilter) -> Self {
        ListJson {
            car_association_id: car,
            steps_id: list.steps_id.as_deref(),
            steps_status: status.as_wire(),
            steps: list.steps.iter().map(StepJson::from).collect(),
            next: match status {
                StatusFilter::All => list.next().map(|s| s.name.as_str()),
                _ => None,
            },
            done: list.done_count(),
            total: list.steps.len(),
            complete: match status {
                StatusFilter::All => Some(list.all_done()),
                _ => None,
            },
            reset: false,
            filter_applied: match status {
                StatusFilter::All => None,
                _ => Some(!list.steps.iter().any(|s| status.contradicts(&s.status))),
            },
            error: None,
            action: None,
        }
    }

    /// With `reset`: whether the steps-cache reset was asked for.
    pub fn after_reset(mut self, reset: bool) -> Self {
        self.reset = reset;
        self
    }

    /// Marked as a list that came under a stepsID another vehicle's list
    /// came under too (`english`, the words said of it): not to be relied
    /// on, action `stop`.
    pub fn shared(mut self, english: &str) -> Self {
        self.error = Some(english.to_owned());
        self.action = Some(Action::Stop);
        self
    }
}

#[derive(Serialize)]
struct NextJson<'a> {
    #[serde(rename = "stepsID")]
    steps_id: &'a str,
    next: Option<StepJson<'a>>,
}

/// The plain checklist, aligned like a doctor command's output, in `lang`;
/// NEXT and "waits" come from the steps' one row model.
pub fn checklist(
    list: &StepsList,
    car: Option<&str>,
    backend: &str,
    filter: StatusFilter,
    lang: Lang,
) -> String {
    let mut out = String::new();
    let steps_id = list
        .steps_id
        .clone()
        .unwrap_or_else(|| tr!(lang, "cli-none"));
    // Writing to a String cannot fail.
    let _ = match car {
        Some(car) => writeln!(
            out,
            "{}",
            tr!(
                lang,
                "cli-list-head-car",
                car = car.to_owned(),
                id = steps_id,
                backend = backend.to_owned()
            )
        ),
        None => writeln!(
            out,
            "{}",
            tr!(
                lang,
                "cli-list-head",
                id = steps_id,
                backend = backend.to_owned()
            )
        ),
    };
    if list.steps.is_empty() {
        if filter == StatusFilter::All {
            // No step is no service ready: said, as the wizard says it
            // (stranger 70, BS2).
            let _ = writeln!(out, "{}", tr!(lang, "cli-no-steps-unknown"));
        } else {
            let _ = writeln!(out, "{}", tr!(lang, "cli-no-steps"));
            let _ = writeln!(out, "{}", filtered_note(lang, 0, filter));
        }
        return out;
    }
    let rows = rows(list);
    let titles: Vec<String> = rows
        .iter()
        .map(|r| step_title(lang, &r.step.name))
        .collect();
    let w = Columns::of(&rows, titles.iter().map(String::as_str));
    let next_mark = format!("  <- {}", tr!(lang, "mark-next"));
    let waits_mark = format!("  ({})", tr!(lang, "mark-waits"));
    for (row, title) in rows.iter().zip(&titles) {
        // A filtered list cannot tell the next step (its JSON's `next` is
        // null): no mark says one (stranger 77, BZ6).
        let mark = match row.mark {
            _ if filter != StatusFilter::All => "",
            Mark::Next => next_mark.as_str(),
            Mark::Waits { .. } => waits_mark.as_str(),
            Mark::None => "",
        };
        // A status this tool does not know is shown as the gateway sent it.
        let raw = match &row.step.status {
            crate::steps::Status::Other(raw) => format!(
                "  ({})",
                tr!(
                    lang,
                    "mark-status-raw",
                    status = format!("{:?}", crate::steps::sanitize_capped(raw, 24))
                )
            ),
            _ => String::new(),
        };
        // Padding by characters, not bytes: titles are not all ASCII.
        let pad = |text: &str, width: usize| {
            format!(
                "{text}{}",
                " ".repeat(width.saturating_sub(text.chars().count()))
            )
        };
        let line = format!(
            "{} {:>ow$}  {}  {}{mark}{raw}",
            row.step.status.badge_in(lang),
            row.order,
            pad(title, w.title),
            pad(&row.step.name, w.name),
            ow = w.order,
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let total = list.steps.len();
    if filter != StatusFilter::All {
        out.push_str(&filtered_end(lang, list, filter));
        return out;
    }
    let (done, total) = (num(list.done_count()), num(total));
    let _ = match list.next() {
        Some(step) => writeln!(
            out,
            "{}",
            tr!(
                lang,
                "cli-summary-next",
                done = done,
                total = total,
                title = step_title(lang, &step.name)
            )
        ),
        None => writeln!(
            out,
            "{}",
            tr!(lang, "cli-summary-clear", done = done, total = total)
        ),
    };
    out
}

/// Exit 3's reading: a returned step still to do, or (unfiltered) no step
/// at all, which is no service known ready (`complete` is false; stranger
/// 70, BS2).
fn not_known_ready(list: &StepsList, status: StatusFilter) -> bool {
    list.has_pending() || (status == StatusFilter::All && list.steps.is_empty())
}

/// The end of a filtered checklist. A gateway that ignores stepsStatus
/// sends steps of the other status too: counted apart and said, never as
/// the filter's.
fn filtered_end(lang: Lang, list: &StepsList, filter: StatusFilter) -> String {
    let admitted = list
        .steps
        .iter()
        .filter(|s| filter.admits(&s.status))
        .count();
    let contrary = list
        .steps
        .iter()
        .filter(|s| filter.contradicts(&s.status))
        .count();
    let mut end = format!("{}\n", filtered_note(lang, admitted, filter));
    if contrary > 0 {
        end.push_str(&tr!(
            lang,
            "cli-filter-ignored",
            other = num(contrary),
            total = num(list.steps.len()),
            status = filter.contrary()
        ));
        end.push('\n');
    }
    end
}

/// The last line of a filtered checklist: it never claims completion.
fn filtered_note(lang: Lang, shown: usize, filter: StatusFilter) -> String {
    tr!(
        lang,
        "cli-filtered",
        shown = num(shown),
        filter = filter.as_wire()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::decode_list;

    const DOC: &[u8] = br#"{"stepsID":132324,
        "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3},
        "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
        "deviceActivation":{"name":"deviceActivation","status":"todo","order":2}}"#;

    /// At the deadline, a 429's named wait says what to do: a longer
    /// deadline only where the wait was longer than it; a shorter wait
    /// followed by more 429s is a limit that keeps this client out
    /// (stranger 41, AP14).
    #[test]
    fn a_limit_at_the_deadline_names_the_wait_it_asked() {
        let longer = late_words(Lang::En, 5, true, Some(30));
        assert!(
            longer.contains(
                "it asked to wait 30 s, longer than the deadline. Give a --deadline above 30 s"
            ),
            "{longer}"
        );
        let again = late_words(Lang::En, 5, true, Some(2));
        assert!(
            again.contains("after the 2 s it asked to wait, it limited them again. It keeps limiting this client"),
            "{again}"
        );
        assert!(!again.contains("--deadline above"), "{again}");
        let unnamed = late_words(Lang::En, 5, true, None);
        assert!(unnamed.contains("If the wait it asked for"), "{unnamed}");
        let late = late_words(Lang::En, 5, false, Some(2));
        assert!(!late.contains("429"), "{late}");
    }

    #[test]
    fn checklist_is_aligned_and_marks_next() {
        let text = checklist(
            &decode_list(DOC).unwrap(),
            Some("987654"),
            "demo backend",
            StatusFilter::All,
            Lang::En,
        );
        let expected = "\
carAssociationID 987654, stepsID 132324 (demo backend)
[DONE] 1  Trusted phone number  trusterPhoneNumber
[TODO] 2  Device activation     deviceActivation    <- NEXT
[TODO] 3  CarKey check          mediumCarKey        (waits)
1 of 3 done; next: Device activation
";
        assert_eq!(text, expected);
    }

    /// A status this tool does not know is shown as the gateway sent it,
    /// not as "????" alone (the contract says shown raw).
    #[test]
    fn an_unknown_status_is_shown_raw_in_the_checklist() {
        let list =
            decode_list(br#"{"stepsID":1,"a":{"name":"a","status":"DONE","order":1}}"#).unwrap();
        let text = checklist(
            &list,
            Some("1"),
            "demo backend",
            StatusFilter::All,
            Lang::En,
        );
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.starts_with("[????]") && row.ends_with("(status \"DONE\")"),
            "{text}"
        );
    }

    /// A gateway that ignores stepsStatus: only the steps of the filter's
    /// status are counted as shown, and the others are said.
    #[test]
    fn a_filter_the_gateway_ignored_is_said() {
        let list = decode_list(
            br#"{"stepsID":1,"a":{"name":"a","status":"alreadyDone","order":1},"b":{"name":"b","status":"todo","order":2},"c":{"name":"c","status":"todo","order":3}}"#,
        )
        .unwrap();
        let text = checklist(&list, Some("1"), "x", StatusFilter::Todo, Lang::En);
        assert!(text.contains("filtered: 2 todo shown"), "{text}");
        assert!(
            text.contains(
                "the gateway did not apply the filter: 1 of the 3 steps above has the status alreadyDone."
            ),
            "{text}"
        );
        let text = checklist(&list, Some("1"), "x", StatusFilter::AlreadyDone, Lang::En);
        assert!(text.contains("filtered: 1 alreadyDone shown"), "{text}");
        assert!(
            text.contains("2 of the 3 steps above have the status todo."),
            "{text}"
        );
        let only =
            decode_list(br#"{"stepsID":1,"b":{"name":"b","status":"todo","order":2}}"#).unwrap();
        let text = checklist(&only, Some("1"), "x", StatusFilter::Todo, Lang::En);
        assert!(!text.contains("did not apply"), "{text}");
    }

    #[test]
    fn checklist_of_an_empty_list_says_so() {
        let text = checklist(
            &StepsList::default(),
            None,
            "x",
            StatusFilter::All,
            Lang::En,
        );
        assert!(
            text.contains("No steps returned: the service is not known ready."),
            "{text}"
        );
        let text = checklist(
            &StepsList::default(),
            None,
            "x",
            StatusFilter::Todo,
            Lang::En,
        );
        assert!(text.contains("No steps returned.\n"), "{text}");
    }

    #[test]
    fn json_is_normalised() {
        let list = decode_list(DOC).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json_line(&ListJson::new(
            &list,
            Some("987654"),
            StatusFilter::All,
        )))
        .unwrap();
        assert_eq!(value["stepsID"], "132324");
        assert_eq!(value["next"], "deviceActivation");
        assert_eq!(value["steps"][0]["title"], "Trusted phone number");
        assert_eq!(value["done"], 1);
    }
}
