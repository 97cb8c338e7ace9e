//! The simulator's HTTP face: axum routes over the shared [`SimState`], with
//! every refusal answered as a JSON error body.

use std::path::{Path as FilePath, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::ser::SerializeMap;

use super::events::Live;
use super::openapi::{AssociationDoc, AssociationsDoc, NextStepDoc, StepsListDoc};
use super::state::{ListAnswer, SimError, SimState};
use crate::secret::Secret;
use crate::steps::{StatusFilter, Step};
use crate::wire::{
    self, CAR_PARAM, DEVICE_HEADER, ErrorBody, Lookup, RESET_PARAM, STATUS_PARAM, STEPS_ID_PARAM,
    oauth,
};

/// What every handler shares.
#[derive(Clone)]
pub struct Shared {
    state: Arc<Mutex<SimState>>,
    token: Option<Arc<Secret>>,
    auth: Option<super::auth::Auth>,
    /// Where the state is kept between runs (the embedded demo backend).
    store: Option<Arc<PathBuf>>,
    live: Arc<Live>,
    /// Served over HTTPS (the OpenAPI document's `servers` says so).
    tls: bool,
    /// One line per request on standard output (`serve --log`).
    log: bool,
}

impl Shared {
    pub fn new(state: SimState, token: Option<Secret>) -> Self {
        Shared {
            state: Arc::new(Mutex::new(state)),
            token: token.map(Arc::new),
            auth: None,
            store: None,
            live: Arc::new(Live::default()),
            tls: false,
            log: false,
        }
    }

    /// Says each request on standard output, for the person at the
    /// simulator (`serve --log`).
    #[must_use]
    pub fn with_request_log(mut self, on: bool) -> Self {
        self.log = on;
        self
    }

    /// The same simulator, served over HTTPS.
    #[must_use]
    pub fn over_tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Whether it serves over TLS (its own addresses are then https://).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Makes the simulator an identity provider too (`--auth device`):
    /// steps calls then take the tokens it issues.
    #[must_use]
    pub fn with_auth(mut self, options: super::auth::AuthOptions) -> Self {
        self.auth = Some(super::auth::Auth::new(options));
        self
    }

    /// The identity provider, when sign-in is on.
    pub fn auth(&self) -> Option<&super::auth::Auth> {
        self.auth.as_ref()
    }

    /// A simulator whose state lives in `file`: each call reads it first
    /// (another run may have changed it) and writes it back after, through a
    /// temporary file and a rename, so the file is never half written even
    /// with two runs at once (the last writer wins). A file that cannot be
    /// read as a state is replaced by `state`, with a warning in the log.
    pub fn kept_in(state: SimState, file: PathBuf) -> Self {
        let mut shared = Shared::new(state, None);
        shared.store = Some(Arc::new(file));
        shared
    }

    /// Live status settings: the keep-alive gap of event streams and the
    /// `X-Poll-Interval` (seconds) lists suggest, if any.
    pub fn with_live(
        mut self,
        keep_alive: std::time::Duration,
        poll_interval: Option<u64>,
    ) -> Self {
        self.live = Arc::new(Live::new(keep_alive, poll_interval));
        self
    }

    /// Event streams end after their first `events` events (`serve
    /// --stream-events`), for tools that need an answer that ends.
    #[must_use]
    pub fn with_stream_events(mut self, events: Option<usize>) -> Self {
        let live =
            Live::new(self.live.keep_alive(), self.live.poll_interval()).with_stream_events(events);
        self.live = Arc::new(live);
        self
    }

    /// What lists and event streams share.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The state; a panic elsewhere never wedges the simulator.
    pub(super) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one call on the state. A state kept in a file is read before
    /// and written after the call, under a lock on `<file>.lock` that every
    /// process sharing the file takes, so no run undoes another's change;
    /// that file work runs off the async runtime. When the state cannot be
    /// kept, the call's change is undone and the caller is told
    /// ([`SimError::Storage`]), never answered as if it had been kept.
    pub(super) async fn with_state<T, F>(&self, call: F) -> Result<T, SimError>
    where
        F: FnOnce(&mut SimState) -> Result<T, SimError> + Send + 'static,
        T: Send + 'static,
    {
        if self.store.is_none() {
            return call(&mut self.lock());
        }
        let shared = self.clone();
        tokio::task::spawn_blocking(move || shared.with_state_blocking(call))
            .await
            .map_err(|e| SimError::Storage(e.to_string()))?
    }

    /// [`Shared::with_state`] on this thread (it may wait for the file lock).
    pub(super) fn with_state_blocking<T>(
        &self,
        call: impl FnOnce(&mut SimState) -> Result<T, SimError>,
    ) -> Result<T, SimError> {
        let mut state = self.lock();
        let Some(file) = &self.store else {
            return call(&mut state);
        };
        let cannot_keep = |e: std::io::Error| {
            tracing::warn!(file = %file.display(), "cannot keep the simulator's state: {e}");
            SimError::Storage(format!(
                "the demo backend cannot keep its state in {}: {e}",
                crate::steps::sanitize(&file.display().to_string())
            ))
        };
        let _held = lock_file(file).map_err(cannot_keep)?;
        if let Some(kept) = load_state(file)
            && !state.adopt(kept)
        {
            tracing::warn!(file = %file.display(), "the simulator's state was made from other associations, starting fresh");
        }
        let before = state.clone();
        let result = call(&mut state)?;
        if let Err(e) = save_state(file, &state.save()) {
            *state = before;
            return Err(cannot_keep(e));
        }
        Ok(result)
    }

    /// Completes a random generated vehicle's next step (see [`SimState::churn`]),
    /// pushed to every stream that follows its list, as a control call is.
    pub fn churn(&self, draw: u64) -> Option<(String, String)> {
        let changed = self
            .with_state_blocking(|s| Ok(s.churn(draw)))
            .ok()
            .flatten();
        if changed.is_some() {
            self.live().notify();
        }
        changed
    }

    /// No token is asked of any call (neither `--token` nor sign-in with
    /// `--auth`): the control calls are open to whoever reaches the
    /// simulator.
    pub fn needs_no_token(&self) -> bool {
        self.token.is_none() && self.auth.is_none()
    }

    pub(super) fn check_token(&self, headers: &HeaderMap) -> Result<(), SimError> {
        if self.token.is_none() && self.auth.is_none() {
            return Ok(());
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let Some(given) = given else {
            return Err(SimError::Unauthorized { given: false });
        };
        let fixed = self.token.as_ref().is_some_and(|t| t.expose() == given);
        let issued = self
            .auth
            .as_ref()
            .is_some_and(|a| a.lock().accepts(given, std::time::Instant::now()));
        if fixed || issued {
            Ok(())
        } else {
            Err(SimError::Unauthorized { given: true })
        }
    }
}

/// The most a kept state may hold (the demo backend's is a few KiB).
const STATE_LIMIT: usize = 64 * 1024 * 1024;

/// The state kept in `file`, or `None` when there is none or it is not
/// usable (then a warning goes to the log and the run starts fresh).
fn load_state(file: &FilePath) -> Option<SimState> {
    let text = match crate::files::read_text_capped(file, STATE_LIMIT) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(file = %file.display(), "cannot read the simulator's state, starting fresh: {e}");
            return None;
        }
    };
    match SimState::restore(&text) {
        Ok(state) => Some(state),
        Err(e) => {
            tracing::warn!(file = %file.display(), "the simulator's state is not usable, starting fresh: {e}");
            None
        }
    }
}

/// Takes the lock every process sharing `file` takes around its
/// read-modify-write (`<file>.lock`, held until the returned file closes).
pub(crate) fn lock_file(file: &FilePath) -> std::io::Result<std::fs::File> {
    if let Some(parent) = file.parent() {
        crate::files::private_dir(parent)?;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(file.with_extension("lock"))?;
    lock.lock()?;
    Ok(lock)
}

/// Writes through a fresh temporary file and a rename: a reader sees the
/// old state or the new one, never a mix, and a failed write leaves no
/// litter.
fn save_state(file: &FilePath, text: &str) -> std::io::Result<()> {
    crate::files::write_atomically(file, text.as_bytes())
}

pub fn router(shared: Shared) -> Router {
    let log = shared.log;
    let routes = routes(shared);
    if log {
        routes.layer(axum::middleware::from_fn(log_request))
    } else {
        routes
    }
}

/// One line per request, as it ends: UTC time, method, path and query
/// (filtered: it is the client's text), status, milliseconds. A closed
/// standard output does not stop the simulator.
async fn log_request(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use std::io::Write;
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| crate::steps::sanitize(p.as_str()))
        .unwrap_or_default();
    let target: String = target.chars().take(300).collect();
    let response = next.run(request).await;
    let line = format!(
        "{} {method} {target} {} {} ms",
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    let _ = writeln!(std::io::stdout().lock(), "{line}");
    response
}

fn routes(shared: Shared) -> Router {
    let at = |path: &str| format!("/{path}");
    Router::new()
        .route(&at(wire::LIST_PATH), get(list))
        .route(&at(wire::NEXT_PATH), get(next))
        .route(&at(wire::EVENTS_PATH), get(super::events::events))
        .route(&at(wire::SIM_ASSOCIATIONS_PATH), get(associations))
        .route(&at(wire::SIM_COMPLETE_ROUTE), post(complete))
        .route(&at(wire::SIM_REVOKE_ROUTE), post(revoke))
        .route(&at(wire::OPENAPI_PATH), get(openapi))
        .route(oauth::METADATA_PATH, get(super::auth::metadata))
        .route(
            oauth::SIM_DEVICE_AUTHORIZATION_PATH,
            post(super::auth::device_authorization),
        )
        .route(oauth::SIM_TOKEN_PATH, post(super::auth::token))
        .route(oauth::SIM_AUTHORIZE_PATH, get(super::auth::authorize))
        .route(oauth::SIM_DECIDE_PATH, post(super::auth::decide_code))
        .route(oauth::SIM_REVOCATION_PATH, post(super::auth::revoke_token))
        .route(
            oauth::PROTECTED_RESOURCE_PATH,
            get(super::auth::resource_metadata),
        )
        .route("/device", get(super::auth::device_page))
        .route("/sim/device/{code}/approve", post(super::auth::approve))
        .route("/sim/device/{code}/deny", post(super::auth::deny))
        .route("/sim/auth/expire", post(super::auth::expire))
        .route("/sim/auth/revoke", post(super::auth::revoke))
        .route(&at(wire::GUIDANCE_ROUTE), get(guidance_page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

pub(crate) fn error_response(status: StatusCode, code: Option<i64>, message: &str) -> Response {
    (status, Json(ErrorBody::new(code, message))).into_response()
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        match self {
            SimError::BadRequest(message) => {
                error_response(StatusCode::BAD_REQUEST, None, &message)
            }
            // A Bearer challenge (RFC 6750 §3): an error only when a token
            // came, as a gateway says it.
            SimError::Unauthorized { given } => {
                let challenge = if given {
                    r#"Bearer realm="steps", error="invalid_token""#
                } else {
                    r#"Bearer realm="steps""#
                };
                let mut response = error_response(
                    StatusCode::UNAUTHORIZED,
                    None,
                    "missing, wrong or expired bearer token",
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static(challenge),
                );
                response
            }
            SimError::WrongDevice => error_response(
                StatusCode::FORBIDDEN,
                None,
                "this stepsID belongs to another device; ask again by carAssociationID",
            ),
            SimError::NotFound { code, message } => {
                error_response(StatusCode::NOT_FOUND, code, &message)
            }
            SimError::Conflict(message) => error_response(StatusCode::CONFLICT, None, &message),
            SimError::Storage(message) => {
                error_response(StatusCode::INSUFFICIENT_STORAGE, None, &message)
            }
        }
    }
}

/// The document, its `servers` naming the address it was asked at.
async fn openapi(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let scheme = if shared.tls { "https" } else { "http" };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        });
    let body = match host {
        Some(host) => super::openapi::openapi_json_at(&format!("{scheme}://{host}")),
        None => super::openapi::openapi_json(),
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /guidance/{name}?lang=xx`: the step's page for the customer's
/// phone, in `lang` (English when absent or unknown); no token needed.
#[utoipa::path(
    get,
    path = "/guidance/{name}",
    tag = "guidance",
    summary = "The customer's page for a step, in their language",
    description = "A self-contained HTML page (no scripts, no external resources): what the step is for, what the customer does, what they need at hand, and the app codes of the step. Unknown step names get the generic guidance; an absent or unknown lang gives English. Content-Language says which.",
    params(
        ("name" = String, Path, description = "Step name, e.g. deviceActivation", example = "deviceActivation"),
        ("lang" = Option<String>, Query, description = "en, fr, de, it, es, nl, pt-BR (pt) or pt-PT", example = "fr")
    ),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 400, description = "A path that cannot be decoded", body = ErrorBody),
    )
)]
pub(crate) async fn guidance_page(
    name: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SimError> {
    let axum::extract::Path(name) =
        name.map_err(|_| SimError::BadRequest("the step name is not valid UTF-8".into()))?;
    let lang = Query::parse(raw)
        .one("lang")
        .ok()
        .flatten()
        .and_then(crate::text::Lang::parse)
        .unwrap_or_default();
    let name = crate::steps::canonical_name(&name);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_LANGUAGE, lang.code()),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        crate::pages::guidance_page(lang, &name),
    )
        .into_response())
}

/// A path the gateway does not serve answers as a web server would, without
/// the contract's error body: that body says "a gateway that does not know
/// this id", which a wrong path is not.
async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "no such path\n",
    )
        .into_response()
}

async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "method not allowed on this path",
    )
}

/// The query of a request, decoded leniently: a malformed one is a 400, never
/// a panic.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<String>) -> Self {
        let raw = raw.unwrap_or_default();
        Query(
            url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The single value of a parameter; given twice is a bad request.
    fn one(&self, name: &str) -> Result<Option<&str>, SimError> {
        Ok(self.one_of(name, &[])?.map(|(_, value)| value))
    }

    /// The single value of a parameter or one of its older spellings (an
    /// older page of the documentation says `resetStep` and `stepStatus`),
    /// with the name it came under.
    fn one_of(&self, name: &str, aliases: &[&str]) -> Result<Option<(&str, &str)>, SimError> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name || aliases.contains(&k.as_str()));
        let first = values.next();
        if values.next().is_some() {
            return Err(SimError::BadRequest(format!(
                "{name} is given more than once"
            )));
        }
        Ok(first.map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// An id parameter, checked against the id rule ([`crate::steps::is_id`]).
    fn id(&self, name: &str) -> Result<Option<String>, SimError> {
        match self.one(name)? {
            None => Ok(None),
            Some("") => Err(SimError::BadRequest(format!("{name} is empty"))),
            Some(id) if !crate::steps::is_id(id) => Err(SimError::BadRequest(format!(
                "{name} is not a valid id: 1 to {} ASCII letters, digits, - or _",
                crate::steps::MAX_ID_CHARS
            ))),
            Some(id) => Ok(Some(id.to_owned())),
        }
    }
}

pub(super) fn device(headers: &HeaderMap) -> Result<String, SimError> {
    let Some(value) = headers.get(DEVICE_HEADER) else {
        return Err(SimError::BadRequest(format!(
            "the {DEVICE_HEADER} header is missing"
        )));
    };
    match value.to_str() {
        Ok(id) if wire::is_device_id(id) => Ok(id.to_owned()),
        _ => Err(SimError::BadRequest(format!(
            "the {DEVICE_HEADER} header must be 1 to {} visible ASCII characters",
            wire::DEVICE_ID_MAX_LEN
        ))),
    }
}

// The parameters of the contract's calls are declared once, with their
// rules and examples, in `super::openapi::enforce`.
#[utoipa::path(
    get,
    path = "/pims/subscription/steps",
    tag = "steps",
    summary = "The steps of a service (pims.subscription.steps)",
    description = "The first list on a device must be asked by carAssociationID; later ones by the stepsID it returned.",
    responses(
        (status = 200, description = "The steps; sort them by order. ETag names this answer; X-Poll-Interval (seconds), when sent, is the least wait between two polls of a list", body = StepsListDoc),
        (status = 304, description = "Not modified: If-None-Match named the current ETag (the request was still evaluated); no body"),
        (status = 400, description = "Both or neither of carAssociationID and stepsID, a bad stepsStatus or resetSteps, or no X-Device-Id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 403, description = "The stepsID belongs to another device: start over with carAssociationID", body = ErrorBody),
        (status = 404, description = "Unknown carAssociationID, or unknown stepsID (code 2346)", body = ErrorBody),
        (status = 429, description = "Too many requests; Retry-After gives seconds", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, SimError> {
    shared.check_token(&headers)?;
    let query = Query::parse(raw);
    let key = match (query.id(CAR_PARAM)?, query.id(STEPS_ID_PARAM)?) {
        (Some(car), None) => Lookup::Car(car),
        (None, Some(id)) => Lookup::StepsId(id),
        _ => {
            return Err(SimError::BadRequest(
                "give exactly one of carAssociationID and stepsID".into(),
            ));
        }
    };
    // resetSteps is exactly true or false; the older spelling resetStep is
    // read leniently (any case), as older clients wrote it.
    let reset = match query.one_of(RESET_PARAM, &["resetStep"])? {
        None => false,
        Some((_, "false")) => false,
        Some((_, "true")) => true,
        Some((key, raw)) if key != RESET_PARAM && raw.eq_ignore_ascii_case("false") => false,
        Some((key, raw)) if key != RESET_PARAM && raw.eq_ignore_ascii_case("true") => true,
        Some(_) => {
            return Err(SimError::BadRequest(
                "resetSteps must be true or false".into(),
            ));
        }
    };
    let filter = match query.one_of(STATUS_PARAM, &["stepStatus"])? {
        None => StatusFilter::All,
        Some((_, raw)) => StatusFilter::parse(raw).ok_or_else(|| {
            SimError::BadRequest("stepsStatus must be todo, alreadyDone or all".into())
        })?,
    };
    let device = device(&headers)?;
    let answer = shared
        .with_state(move |s| s.list(&device, &key, reset, filter))
        .await?;
    if reset {
        shared.live().notify();
    }
    Ok(super::events::list_response(&shared, &headers, &answer))
}

#[utoipa::path(
    get,
    path = "/pims/subscription/step",
    tag = "steps",
    summary = "The next step to do (pims.subscription.step)",
    responses(
        (status = 200, description = "The next step, or null when nothing is left", body = NextStepDoc),
        (status = 400, description = "No stepsID, an empty or invalid one, or no X-Device-Id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 403, description = "The stepsID belongs to another device", body = ErrorBody),
        (status = 404, description = "Unknown stepsID (code 2346)", body = ErrorBody),
    )
)]
pub(crate) async fn next(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, SimError> {
    shared.check_token(&headers)?;
    let query = Query::parse(raw);
    let steps_id = query
        .id(STEPS_ID_PARAM)?
        .ok_or_else(|| SimError::BadRequest("stepsID is required".into()))?;
    let device = device(&headers)?;
    let next = shared
        .with_state(move |s| s.next(&device, &steps_id))
        .await?;
    Ok(Json(next.as_ref().map(NextBody)).into_response())
}

#[utoipa::path(
    get,
    path = "/sim/associations",
    tag = "simulator",
    summary = "Simulator only: the scenario's associations and the truth of their steps",
    responses(
        (status = 200, description = "The associations", body = AssociationsDoc),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
    )
)]
pub(crate) async fn associations(
    State(shared): State<Shared>,
    headers: HeaderMap,
) -> Result<Response, SimError> {
    shared.check_token(&headers)?;
    let associations = shared.with_state(|s| Ok(s.associations())).await?;
    Ok(Json(associations).into_response())
}

#[utoipa::path(
    post,
    tag = "simulator",
    path = "/sim/associations/{car}/steps/{name}/complete",
    summary = "Simulator only: The customer completes a step (truth becomes done)",
    responses(
        (status = 200, description = "The association after the change", body = AssociationDoc),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "Unknown carAssociationID or step", body = ErrorBody),
        (status = 409, description = "An earlier step (by order) is not done", body = ErrorBody),
    )
)]
pub(crate) async fn complete(
    State(shared): State<Shared>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, SimError> {
    change_truth(&shared, &headers, path, SimState::complete).await
}

#[utoipa::path(
    post,
    tag = "simulator",
    path = "/sim/associations/{car}/steps/{name}/revoke",
    summary = "Simulator only: The fact behind a step goes away (a cached alreadyDone stays until a reset)",
    responses(
        (status = 200, description = "The association after the change", body = AssociationDoc),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "Unknown carAssociationID or step", body = ErrorBody),
    )
)]
pub(crate) async fn revoke(
    State(shared): State<Shared>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, SimError> {
    change_truth(&shared, &headers, path, SimState::revoke).await
}

/// A control call on the truth of one step of one association.
async fn change_truth(
    shared: &Shared,
    headers: &HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    change: fn(&mut SimState, &str, &str) -> Result<super::Association, SimError>,
) -> Result<Response, SimError> {
    shared.check_token(headers)?;
    let Path((car, name)) = path.map_err(|e| SimError::BadRequest(e.body_text()))?;
    let changed = shared.with_state(move |s| change(s, &car, &name)).await?;
    shared.live().notify();
    Ok(Json(changed).into_response())
}

/// A list as the documentation shows it: `stepsID` first (a number when it
/// is one), then each step under its name, in order.
pub(super) struct ListBody<'a>(pub(super) &'a ListAnswer);

impl Serialize for ListBody<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let answer = self.0;
        let mut map = serializer.serialize_map(Some(answer.steps.len() + 1))?;
        // A number only when it reads back as the same text ("007" stays a string).
        match answer.steps_id.parse::<u64>() {
            Ok(number) if number.to_string() == answer.steps_id => {
                map.serialize_entry("stepsID", &number)?
            }
            _ => map.serialize_entry("stepsID", &answer.steps_id)?,
        }
        for step in &answer.steps {
            map.serialize_entry(&step.name, &WireStep(step, step.order.unwrap_or(0)))?;
        }
        map.end()
    }
}

/// The next step as the documentation shows it: one member, `order` 1 (the
/// order of a lone next step is not the list's).
struct NextBody<'a>(&'a Step);

impl Serialize for NextBody<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(&self.0.name, &WireStep(self.0, 1))?;
        map.end()
    }
}

struct WireStep<'a>(&'a Step, i64);

impl Serialize for WireStep<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("name", &self.0.name)?;
        map.serialize_entry("status", &self.0.status)?;
        map.serialize_entry("order", &self.1)?;
        map.end()
    }
}
