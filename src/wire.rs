//! What both sides of HTTP share: the paths, parameter and header names, the
//! id rule, the error body, the simulator's association type, and the
//! tolerant decoding of gateway answers (judged here, once, and leaving as
//! domain values). The client and the simulator depend on this module, never
//! on each other. It names no HTTP library.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::steps::{Status, Step, StepsList, sanitize};

/// Path of the list call (`pims.subscription.steps`), relative to the base URL.
pub const LIST_PATH: &str = "pims/subscription/steps";
/// The carAssociationID asked for to learn how the gateway treats a token
/// (`login --with-token`, doctor): one no vehicle has. Its answer (404:
/// unknown vehicle, or 401) says whether the token is taken; nothing is
/// changed by the call.
pub const TOKEN_TRIAL_CAR: &str = "stepwise-token-check";
/// Path of the next-step call (`pims.subscription.step`).
pub const NEXT_PATH: &str = "pims/subscription/step";
/// The list call with the steps-cache reset, as it is named to a person.
pub const LIST_WITH_RESET: &str = "pims/subscription/steps?…&resetSteps=true";
/// The list call by stepsID, as it is named to a person.
pub const LIST_BY_STEPS_ID: &str = "pims/subscription/steps?stepsID=…";
/// Path of the live event stream of one or more stepsIDs.
pub const EVENTS_PATH: &str = "pims/subscription/steps/events";
/// Path of the guidance page for the customer's phone number.
pub const GUIDANCE_PHONE_PATH: &str = "guidance/trusterPhoneNumber";
/// Where the customers' guidance pages sit: public pages, whose answer
/// says nothing of a token.
pub const GUIDANCE_PREFIX: &str = "guidance/";

/// Whether a 2xx answer to a guidance call is a guidance page: HTML that
/// says its language (`Content-Language`), as the contract asks. A portal
/// that answers every path with its index page, or a JSON answer, is not.
pub fn is_guidance_page(content_type: Option<&str>, content_language: Option<&str>) -> bool {
    content_type.is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("text/html"))
        && content_language.is_some_and(|l| !l.trim().is_empty())
}

/// Header of the event stream: the id of the last event received.
pub const LAST_EVENT_ID_HEADER: &str = "Last-Event-ID";
/// Header a gateway suggests a polling interval in, in seconds.
pub const POLL_INTERVAL_HEADER: &str = "x-poll-interval";
/// The most stepsIDs one event stream follows.
pub const MAX_STREAM_IDS: usize = 200;
/// Simulator only: the scenario's associations.
pub const SIM_ASSOCIATIONS_PATH: &str = "sim/associations";

/// Simulator only: the path where the customer completes step `name` of
/// `car` (both already escaped as path segments).
pub fn sim_complete_path(car: &str, name: &str) -> String {
    SIM_COMPLETE_ROUTE
        .replace("{car}", car)
        .replace("{name}", name)
}

/// Simulator only: the path where the customer completes step `name` of
/// `car`, as the router writes it.
pub const SIM_COMPLETE_ROUTE: &str = "sim/associations/{car}/steps/{name}/complete";
/// Simulator only: the path where the customer undoes step `name` of `car`.
pub const SIM_REVOKE_ROUTE: &str = "sim/associations/{car}/steps/{name}/revoke";
/// The simulator's OpenAPI document.
pub const OPENAPI_PATH: &str = "openapi.json";
/// Guidance pages for the customer: `guidance/{name}`.
pub const GUIDANCE_ROUTE: &str = "guidance/{name}";

/// The names of sign-in (OAuth 2.0 device authorization, RFC 8628, with
/// discovery by RFC 8414) that the client and the simulator share.
pub mod oauth {
    /// The client id stepwise presents to every identity provider.
    pub const CLIENT_ID: &str = "stepwise";
    /// The grant type of a device code, as RFC 8628 names it.
    pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
    /// The grant type of a refresh.
    pub const REFRESH_GRANT: &str = "refresh_token";
    /// The discovery document's well-known path (RFC 8414).
    pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
    /// The simulator's device authorization endpoint.
    pub const SIM_DEVICE_AUTHORIZATION_PATH: &str = "/oauth/device_authorization";
    /// The simulator's token endpoint.
    pub const SIM_TOKEN_PATH: &str = "/oauth/token";
    /// The grant type of an authorization code (RFC 6749 §4.1).
    pub const CODE_GRANT: &str = "authorization_code";
    /// The OpenID provider configuration's well-known path.
    pub const OPENID_CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";
    /// The protected resource metadata's well-known path (RFC 9728).
    pub const PROTECTED_RESOURCE_PATH: &str = "/.well-known/oauth-protected-resource";
    /// The simulator's authorization endpoint (the code grant's page).
    pub const SIM_AUTHORIZE_PATH: &str = "/oauth/authorize";
    /// Where the simulator's authorization page posts the person's decision.
    pub const SIM_DECIDE_PATH: &str = "/oauth/authorize/decide";
    /// The simulator's revocation endpoint (RFC 7009).
    pub const SIM_REVOCATION_PATH: &str = "/oauth/revoke";
}

/// Header naming the technician's machine; a stepsID is bound to it.
pub const DEVICE_HEADER: &str = "X-Device-Id";
/// Query parameter of the first list: the carAssociationID.
pub const CAR_PARAM: &str = "carAssociationID";
/// Query parameter of later lists and of the next-step call: the stepsID.
pub const STEPS_ID_PARAM: &str = "stepsID";
/// Query parameter: wipe the steps cache first.
pub const RESET_PARAM: &str = "resetSteps";
/// Query parameter: only the steps with this status.
pub const STATUS_PARAM: &str = "stepsStatus";
/// SDK code for "no step for this stepsID".
pub const NO_STEP_CODE: i64 = 2346;

/// The domain's id rule ([`crate::steps::is_id`]) as a regular expression,
/// for the OpenAPI document.
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

/// The longest device id the simulator accepts.
pub const DEVICE_ID_MAX_LEN: usize = 128;
/// The device id rule as a regular expression, for the OpenAPI document.
pub const DEVICE_ID_PATTERN: &str = "^[!-~]{1,128}$";

/// The device id rule: 1 to [`DEVICE_ID_MAX_LEN`] visible ASCII characters.
pub fn is_device_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= DEVICE_ID_MAX_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Which list to ask for: the first list is by carAssociationID, later ones by
/// the stepsID it returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Car(String),
    StepsId(String),
}

impl Lookup {
    /// The query parameter that carries the id.
    pub fn param(&self) -> &'static str {
        match self {
            Lookup::Car(_) => CAR_PARAM,
            Lookup::StepsId(_) => STEPS_ID_PARAM,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Lookup::Car(id) | Lookup::StepsId(id) => id,
        }
    }
}

/// One carAssociationID with the truth of each step: a scenario's entry, and
/// the answer of the simulator's `GET /sim/associations`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    #[serde(rename = "carAssociationID")]
    pub car_association_id: String,
    #[serde(default)]
    pub label: String,
    /// The stepsID the first device gets (the documentation's `132324`).
    #[serde(rename = "stepsID", default, skip_serializing_if = "Option::is_none")]
    pub steps_id: Option<String>,
    /// New caches start with every step `alreadyDone`, whatever the truth.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale_cache: bool,
    pub steps: Vec<TruthStep>,
}

/// One step of an association and whether it is done in truth.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TruthStep {
    pub name: String,
    pub order: i64,
    pub done: bool,
}

/// What was wrong with a 2xx answer's body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the answer is empty")]
    Empty,
    /// Bytes that are no UTF-8 (Latin-1, say): JSON is UTF-8.
    #[error("the answer is not UTF-8 text")]
    NotUtf8,
    /// gzip-compressed bytes with no `Content-Encoding` saying so.
    #[error("the answer is gzip-compressed data")]
    Gzip,
    #[error("the answer is not JSON (line {line}, column {column})")]
    NotJson {
        line: usize,
        column: usize,
        /// It stopped before a value ended: an answer cut short.
        cut: bool,
    },
    #[error("the answer is JSON of the wrong shape: {0}")]
    WrongShape(Shape),
    /// A web page (it begins with `<`): a web server, a portal, a proxy's
    /// page, never a steps gateway's JSON.
    #[error("the answer is an HTML page")]
    Html,
}

/// How a JSON answer differs from what was asked for (each said in the
/// reader's language by `describe::decode_words`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A list was asked for; this kind of value came.
    NotAList(JsonKind),
    /// One step (or null) was asked for; this kind of value came.
    NotAStep(JsonKind),
    /// An object with members, none a step nor a stepsID: its first names.
    NoSteps(Vec<String>),
    /// A next-step answer: an object with members, none a step.
    NoStep(Vec<String>),
    /// A live event's list without a stepsID on a stream of several.
    LiveWithoutId,
    /// The contract's error body sent with a success status: its words.
    ErrorBody(String),
    /// A list whose stepsID breaks the id rule (so it could not be sent
    /// back): its first characters, filtered.
    BadStepsId(String),
    /// A next-step answer whose only steps are marked done: it names a
    /// step as next and says it is done (neither "null" nor a step to do).
    NextDone(String),
    /// The simulator's own calls: the parser's words.
    Other(String),
}

/// The kind of a JSON value that is not an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Boolean,
    Number,
    String,
    Array,
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::NotAList(kind) => write!(f, "expected an object of steps, got {kind:?}"),
            Shape::NotAStep(kind) => write!(f, "expected a step object or null, got {kind:?}"),
            Shape::NextDone(name) => write!(f, "the next step {name} is marked done"),
            Shape::BadStepsId(id) => write!(f, "a stepsID that breaks the id rule: {id:?}"),
            Shape::ErrorBody(said) => write!(f, "an error body with a success status: {said}"),
            Shape::NoSteps(names) => write!(
                f,
                "an object with no stepsID and no step (its members: {})",
                names.join(", ")
            ),
            Shape::NoStep(names) => write!(
                f,
                "an object with no step (its members: {})",
                names.join(", ")
            ),
            Shape::LiveWithoutId => f.write_str("a live event's list has no stepsID"),
            Shape::Other(detail) => f.write_str(detail),
        }
    }
}

/// Decodes the answer of `pims/subscription/steps`.
///
/// Every member other than `stepsID` whose value is an object is a step; other
/// members are ignored. `null` is no list (it is the next-step call's
/// "nothing left"): refused, never read as a list with nothing to do.
pub fn decode_list(body: &[u8]) -> Result<StepsList, DecodeError> {
    let body = without_bom(body);
    match parse(body)? {
        Value::Object(members) => {
            let steps_id = match members.get("stepsID") {
                Some(Value::Number(n)) => Some(number_id(n, body)?),
                // `null`: none given, as if the member were absent.
                Some(Value::Null) | None => None,
                // "" (or blanks): an id that breaks the rule, refused below.
                Some(text @ Value::String(_)) => Some(steps_id_text(text).unwrap_or_default()),
                // A boolean, an array, an object: no id, and not none either.
                Some(other) => {
                    let shown: String = other.to_string().chars().take(80).collect();
                    return Err(DecodeError::WrongShape(Shape::BadStepsId(shown)));
                }
            };
            // A stepsID is sent back for every later list and the next
            // step: one that breaks the id rule could not be.
            if let Some(id) = &steps_id
                && !crate::steps::is_id(id)
            {
                let shown: String = if id.is_empty() {
                    "\"\"".to_owned()
                } else {
                    id.chars().take(80).collect()
                };
                return Err(DecodeError::WrongShape(Shape::BadStepsId(shown)));
            }
            let steps = steps_of(&members);
            // Members, yet neither a stepsID nor a step: another service's
            // JSON (a health check, a portal), not an empty list.
            if !members.contains_key("stepsID") && steps.is_empty() && foreign(&members) {
                return Err(not_steps(&members));
            }
            Ok(StepsList::new(steps_id, steps))
        }
        other => Err(DecodeError::WrongShape(Shape::NotAList(kind_of(&other)))),
    }
}

/// Decodes the answer of `pims/subscription/step`: one step, or `null` when
/// nothing is left. An empty object also means nothing is left; a gateway
/// answering with several steps (a whole list) gets the first not done by
/// order, as the list's own next step would be.
pub fn decode_next(body: &[u8]) -> Result<Option<Step>, DecodeError> {
    match parse(without_bom(body))? {
        Value::Null => Ok(None),
        Value::Object(members) => {
            // A bare step object (`{"name": …, "status": …}`) is that step.
            let steps = match lone_step(&members) {
                Some(step) => vec![step],
                None => steps_of(&members),
            };
            // Another service's JSON, said as no step (a step was asked).
            if steps.is_empty() && foreign(&members) {
                return Err(match not_steps(&members) {
                    DecodeError::WrongShape(Shape::NoSteps(names)) => {
                        DecodeError::WrongShape(Shape::NoStep(names))
                    }
                    other => other,
                });
            }
            let steps = StepsList::new(None, steps).steps;
            // One step named as the next, and marked done: a contradiction,
            // never "nothing left to do" (the list says what is left). A
            // whole list with every step done has nothing left.
            if let [done] = steps.as_slice()
                && done.status.is_done()
            {
                return Err(DecodeError::WrongShape(Shape::NextDone(done.name.clone())));
            }
            Ok(steps.into_iter().find(|step| !step.status.is_done()))
        }
        other => Err(DecodeError::WrongShape(Shape::NotAStep(kind_of(&other)))),
    }
}

/// The body of every failed call, `{"code": 2346, "message": "..."}`: the
/// simulator writes it, the client reads it ([`decode_error`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// The SDK's code where there is one, e.g. 2346 "no step for this stepsID".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = i64, example = 2346)]
    pub code: Option<i64>,
    /// What went wrong, in words.
    #[schema(value_type = String, required = true, example = "no step for stepsID 999")]
    pub message: Option<String>,
}

impl ErrorBody {
    /// The body a server sends.
    pub fn new(code: Option<i64>, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: Some(message.into()),
        }
    }
}

/// Reads the body of a failed call when it is one; anything else (an HTML
/// page, nothing) gives `None`.
pub fn decode_error(body: &[u8]) -> Option<ErrorBody> {
    let Ok(Value::Object(members)) = serde_json::from_slice::<Value>(without_bom(body)) else {
        return None;
    };
    let code = members.get("code").and_then(integer_of);
    let message = members
        .get("message")
        .and_then(Value::as_str)
        .map(sanitize)
        .filter(|m| !m.is_empty());
    (code.is_some() || message.is_some()).then_some(ErrorBody { code, message })
}

impl ErrorBody {
    /// A 404's body speaks of the id asked for (a code of the SDK's, or
    /// words that name an id): the gateway judged it, not a router's "no
    /// route matched" for a path it does not serve.
    pub fn names_the_id(&self) -> bool {
        self.code.is_some() || self.message.as_deref().is_some_and(names_an_id)
    }
}

/// Whether an error's words name an id (`carAssociationID`, `stepsID`, in
/// any case and spacing): the gateway speaks of the id, not of its path.
pub fn names_an_id(words: &str) -> bool {
    let squeezed: String = words
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    squeezed.contains("carassociationid") || squeezed.contains("stepsid")
}

/// An error body of another common shape than the contract's: RFC 7807's
/// `detail` (or `title`), OAuth's `error_description` (or `error`). Its
/// words are the gateway's; to a 404 only when they name an id (a
/// framework's own 404, `{"error": "Not Found"}`, is a wrong path, not an
/// unknown id).
pub fn decode_other_error(body: &[u8], status: u16) -> Option<ErrorBody> {
    let Ok(Value::Object(members)) = serde_json::from_slice::<Value>(without_bom(body)) else {
        return None;
    };
    let words = ["detail", "error_description", "error", "title"]
        .iter()
        .find_map(|key| members.get(*key).and_then(Value::as_str))
        .map(sanitize)
        .filter(|m| !m.is_empty())?;
    // To a 404, a framework's own words (`"error": "Not Found"`) are a
    // wrong path; words of its own ("no such vehicle") are said as the
    // contract's words without a code are: an unknown id, or a path nothing
    // serves there (stranger 57, BF2).
    let squeezed: String = words
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let generic = [
        "notfound",
        "404",
        "404notfound",
        "resourcenotfound",
        "pagenotfound",
    ]
    .contains(&squeezed.as_str());
    (status != 404 || names_an_id(&words) || !generic).then_some(ErrorBody {
        code: None,
        message: Some(words),
    })
}

/// `body` without a UTF-8 byte-order mark before its JSON, which a
/// parser may ignore (RFC 8259 §8.1) and some servers write (stranger 56,
/// BE7).
fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

fn parse(body: &[u8]) -> Result<Value, DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    // gzip's magic bytes: compressed data that does not say so.
    if body.starts_with(&[0x1f, 0x8b]) {
        return Err(DecodeError::Gzip);
    }
    if std::str::from_utf8(body).is_err() {
        return Err(DecodeError::NotUtf8);
    }
    serde_json::from_slice(body).map_err(|e| {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'<') {
            DecodeError::Html
        } else {
            DecodeError::NotJson {
                line: e.line(),
                column: e.column(),
                cut: e.is_eof(),
            }
        }
    })
}

/// The steps of a list: every member that is a step object, keyed by its
/// name; a `steps` member holding an array of step objects (the shape of
/// `stepwise steps --json`) is read as well.
fn steps_of(members: &Map<String, Value>) -> Vec<Step> {
    let keyed = members
        .iter()
        .filter(|(key, _)| key.as_str() != "stepsID")
        .filter_map(|(key, value)| step_of(key, value.as_object().filter(|o| step_like(o))?));
    let listed = members
        .get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|value| step_of("", value.as_object()?));
    keyed.chain(listed).collect()
}

/// A next-step answer that is the step itself rather than `{name: step}`.
fn lone_step(members: &Map<String, Value>) -> Option<Step> {
    members.get("name").and_then(Value::as_str)?;
    members.get("status")?;
    step_of("", members)
}

/// Members other than `stepsID`, and not one of them a step object or a
/// `steps` array: another service's JSON.
fn foreign(members: &Map<String, Value>) -> bool {
    members.keys().any(|k| k != "stepsID")
        && !members
            .values()
            .any(|v| v.as_object().is_some_and(step_like))
        && !members.get("steps").is_some_and(Value::is_array)
}

/// An object member that can be a step: it has a status, an order or a
/// name. Another service's objects (`{"data": {"id": 1}}`, a health
/// check's `components`) are no steps (stranger 57, BF1).
fn step_like(fields: &Map<String, Value>) -> bool {
    ["status", "order", "name"]
        .iter()
        .any(|key| fields.contains_key(*key))
}

/// An object with members but no step and no stepsID: name what it held;
/// the contract's error body (`code`, `message`) is an error sent with a
/// success status, said with its words.
fn not_steps(members: &Map<String, Value>) -> DecodeError {
    let message = members
        .get("message")
        .and_then(Value::as_str)
        .map(sanitize)
        .filter(|m| !m.is_empty());
    let code = members.get("code").and_then(integer_of);
    if members.keys().all(|k| k == "code" || k == "message")
        && (message.is_some() || code.is_some())
    {
        let said = match (message, code) {
            (Some(m), Some(c)) => format!("{m}, code {c}"),
            (Some(m), None) => m,
            (None, Some(c)) => format!("code {c}"),
            (None, None) => String::new(),
        };
        return DecodeError::WrongShape(Shape::ErrorBody(said));
    }
    let mut names: Vec<String> = members
        .keys()
        .take(5)
        .map(String::as_str)
        .map(sanitize)
        .collect();
    if members.len() > 5 {
        names.push("…".into());
    }
    DecodeError::WrongShape(Shape::NoSteps(names))
}

/// A step object; its `name` wins over the member's key, which stands in when
/// the name is missing. A step without any usable name is dropped.
fn step_of(key: &str, fields: &Map<String, Value>) -> Option<Step> {
    let name = fields.get("name").and_then(Value::as_str).unwrap_or(key);
    let status = match fields.get("status") {
        Some(Value::String(raw)) => Status::parse(raw),
        Some(Value::Null) | None => Status::Other("missing".into()),
        Some(other) => Status::Other(sanitize(&other.to_string())),
    };
    let order = fields.get("order").and_then(integer_of);
    let step = Step::new(name, status, order);
    (!step.name.is_empty()).then_some(step)
}

/// `stepsID` as a string; anything else is no usable stepsID (numbers:
/// [`number_id`]).
fn steps_id_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => sanitize(s.trim()),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// `stepsID` given as a number, as the digits the gateway wrote: an
/// integer too large for 64 bits is read from the answer's own text (a
/// float would round it, and the gateway would not know the id sent
/// back); 132324.0 is the id 132324. A number that cannot be read exactly
/// (a fraction, 1e30) is refused.
fn number_id(n: &serde_json::Number, body: &[u8]) -> Result<String, DecodeError> {
    if let Some(whole) = n.as_u64() {
        return Ok(whole.to_string());
    }
    if let Some(whole) = n.as_i64() {
        return Ok(whole.to_string());
    }
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(rename = "stepsID", borrow)]
        id: &'a serde_json::value::RawValue,
    }
    let raw = serde_json::from_slice::<Raw<'_>>(body)
        .map(|raw| raw.id.get().trim().to_owned())
        .unwrap_or_else(|_| n.to_string());
    let digits = raw.strip_prefix('-').unwrap_or(&raw);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(raw);
    }
    // Exactly a whole number below 2^53, written as a float.
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            Ok(saturating_i64(f).unwrap_or_default().to_string())
        }
        _ => Err(DecodeError::WrongShape(Shape::BadStepsId(
            sanitize(&raw).chars().take(80).collect(),
        ))),
    }
}

/// An integer given as a number (fractions dropped) or as a numeric string.
fn integer_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(saturating_i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A finite float as an integer, fractions dropped, saturating at the ends.
fn saturating_i64(f: f64) -> Option<i64> {
    if !f.is_finite() {
        return None;
    }
    // Saturating by design: `as` from a float clamps to the integer's range.
    #[allow(clippy::cast_possible_truncation)]
    Some(f.trunc() as i64)
}

/// The kind of a value the callers found was not an object.
fn kind_of(value: &Value) -> JsonKind {
    match value {
        Value::Null => JsonKind::Null,
        Value::Bool(_) => JsonKind::Boolean,
        Value::Number(_) => JsonKind::Number,
        Value::String(_) => JsonKind::String,
        _ => JsonKind::Array,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guidance_page_is_html_that_names_its_language() {
        assert!(is_guidance_page(
            Some("text/html; charset=utf-8"),
            Some("fr")
        ));
        // A portal's index page for any path, or JSON: not a guidance page.
        assert!(!is_guidance_page(Some("text/html"), None));
        assert!(!is_guidance_page(Some("application/json"), Some("en")));
        assert!(!is_guidance_page(None, Some("en")));
    }
    use crate::steps::{CAR_KEY, DEVICE_ACTIVATION, TRUSTED_PHONE};

    #[test]
    fn decodes_the_documentation_example() {
        let body = br#"{ "stepsID": 132324,
            "trusterPhoneNumber": { "name": "trusterPhoneNumber", "status": "alreadyDone", "order": 1 },
            "deviceActivation":   { "name": "deviceActivation",   "status": "todo",        "order": 2 },
            "mediumCarKey":       { "name": "mediumCarKey",       "status": "todo",        "order": 3 } }"#;
        let list = decode_list(body).unwrap();
        assert_eq!(list.steps_id.as_deref(), Some("132324"));
        let names: Vec<_> = list.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [TRUSTED_PHONE, DEVICE_ACTIVATION, CAR_KEY]);
        assert_eq!(list.next().unwrap().name, DEVICE_ACTIVATION);
    }

    /// Another service's JSON whose members are objects (an envelope, a
    /// health check) is no list of steps (stranger 57, BF1).
    #[test]
    fn objects_that_are_no_steps_make_no_list() {
        for body in [
            r#"{"data":{"id":1},"meta":{"page":1}}"#,
            r#"{"status":"UP","details":{"version":"1.2"}}"#,
            r#"{"status":"UP","components":{"db":{"status":"UP"}}}"#,
        ] {
            assert!(decode_list(body.as_bytes()).is_err(), "{body}");
            assert!(decode_next(body.as_bytes()).is_err(), "{body}");
        }
        // A step with a status alone is a step.
        let list = decode_list(br#"{"stepsID":1,"x":{"status":"todo"},"y":{"id":2}}"#).unwrap();
        assert_eq!(list.steps.len(), 1);
    }

    /// A byte-order mark before the JSON is no reason to refuse it
    /// (stranger 56, BE7): a list, a next step and an error body alike.
    #[test]
    fn a_byte_order_mark_before_the_json_is_skipped() {
        let list =
            b"\xEF\xBB\xBF{\"stepsID\": 7, \"mediumCarKey\": {\"status\":\"todo\",\"order\":1}}";
        assert_eq!(decode_list(list).unwrap().steps_id.as_deref(), Some("7"));
        let next = b"\xEF\xBB\xBF{\"name\":\"mediumCarKey\",\"status\":\"todo\"}";
        assert_eq!(decode_next(next).unwrap().unwrap().name, CAR_KEY);
        let error = b"\xEF\xBB\xBF{\"code\":2346,\"message\":\"gone\"}";
        assert_eq!(decode_error(error).unwrap().code, Some(2346));
    }

    #[test]
    fn tolerates_member_order_string_ids_extras_and_aliases() {
        let body = br#"{ "extra": [1,2], "mediumCarKey": {"status":"todo","order":"30","x":1},
            "stepsID": "A-9", "trustedPhone": {"name":"trustedPhone","status":"ALREADYDONE","order":10},
            "note": "ignored", "weird": {"name":"faceScan","status":"pending","order":20.0} }"#;
        let list = decode_list(body).unwrap();
        assert_eq!(list.steps_id.as_deref(), Some("A-9"));
        let view: Vec<_> = list
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.status.as_wire(), s.order))
            .collect();
        assert_eq!(
            view,
            [
                (TRUSTED_PHONE, "alreadyDone", Some(10)),
                ("faceScan", "pending", Some(20)),
                (CAR_KEY, "todo", Some(30)),
            ]
        );
    }

    #[test]
    fn an_empty_object_is_an_empty_list_and_null_no_list() {
        assert_eq!(decode_list(b"{}").unwrap(), StepsList::default());
        assert_eq!(
            decode_list(b"null"),
            Err(DecodeError::WrongShape(Shape::NotAList(JsonKind::Null)))
        );
        assert_eq!(
            decode_list(br#"{"stepsID": 5}"#)
                .unwrap()
                .steps_id
                .as_deref(),
            Some("5")
        );
    }

    /// Latin-1 bytes are named as no UTF-8, not as JSON that breaks off.
    #[test]
    fn a_latin_1_answer_is_no_utf_8() {
        let latin1 = b"{\"a\": {\"name\": \"caf\xe9\", \"status\": \"todo\"}}";
        assert_eq!(decode_list(latin1), Err(DecodeError::NotUtf8));
        assert_eq!(
            decode_list(&[0x1f, 0x8b, 0x08, 0x00, 0xff]),
            Err(DecodeError::Gzip)
        );
    }

    #[test]
    fn wrong_shapes_and_garbage_are_errors() {
        assert!(matches!(
            decode_list(b"[1]"),
            Err(DecodeError::WrongShape(_))
        ));
        // A web page is named as one, not "breaks off at line 1, column 1".
        assert_eq!(decode_list(b"  <html>"), Err(DecodeError::Html));
        assert!(matches!(
            decode_list(b"nope"),
            Err(DecodeError::NotJson { .. })
        ));
        assert!(matches!(decode_list(b""), Err(DecodeError::Empty)));
        assert!(matches!(
            decode_next(b"42"),
            Err(DecodeError::WrongShape(_))
        ));
    }

    #[test]
    fn another_service_s_json_is_no_list_and_no_next_step() {
        for body in [
            &br#"{"ok": true}"#[..],
            br#"{"status": "UP", "checks": []}"#,
        ] {
            for decoded in [decode_list(body).map(|_| ()), decode_next(body).map(|_| ())] {
                let Err(DecodeError::WrongShape(Shape::NoSteps(names) | Shape::NoStep(names))) =
                    decoded
                else {
                    panic!("{decoded:?}")
                };
                let text = String::from_utf8_lossy(body);
                assert!(!names.is_empty(), "{text}");
                assert!(
                    names.iter().all(|n| text.contains(&format!("\"{n}\""))),
                    "{names:?}"
                );
            }
        }
        // An empty object stays an empty list, and nothing left to do.
        assert!(decode_list(b"{}").unwrap().steps.is_empty());
        assert_eq!(decode_next(br#"{"stepsID": 7}"#).unwrap(), None);
    }

    #[test]
    fn steps_as_an_array_and_a_bare_next_step_are_read() {
        let listed = br#"{"stepsID": "555", "steps": [
            {"name": "a", "status": "alreadyDone", "order": 1},
            {"name": "b", "status": "todo", "order": 2}]}"#;
        let list = decode_list(listed).unwrap();
        assert_eq!(list.steps.len(), 2);
        assert_eq!(list.steps_id.as_deref(), Some("555"));
        let bare = br#"{"name": "deviceActivation", "status": "todo", "order": 1}"#;
        assert_eq!(decode_next(bare).unwrap().unwrap().name, DEVICE_ACTIVATION);
    }

    #[test]
    fn next_step_or_null() {
        let one = br#"{ "deviceActivation": { "name": "deviceActivation", "status": "todo", "order": 1 } }"#;
        assert_eq!(decode_next(one).unwrap().unwrap().name, DEVICE_ACTIVATION);
        assert_eq!(decode_next(b"null").unwrap(), None);
        assert_eq!(decode_next(b" {} ").unwrap(), None);
        let whole_list = br#"{"stepsID": 1, "b": {"status": "todo", "order": 2},
            "a": {"status": "alreadyDone", "order": 1}}"#;
        assert_eq!(decode_next(whole_list).unwrap().unwrap().name, "b");
        // One step named as the next, marked done: no "nothing left".
        let done = br#"{"deviceActivation": {"name": "deviceActivation", "status": "alreadyDone", "order": 1}}"#;
        assert!(matches!(
            decode_next(done),
            Err(DecodeError::WrongShape(Shape::NextDone(name))) if name == DEVICE_ACTIVATION
        ));
    }

    #[test]
    fn error_bodies_are_read_when_they_are_json() {
        let body = br#"{"code": 2346, "message": "no step\u001b[2J here"}"#;
        assert_eq!(
            decode_error(body),
            Some(ErrorBody {
                code: Some(2346),
                message: Some("no step here".into())
            })
        );
        assert_eq!(decode_error(b"<html>502 Bad Gateway</html>"), None);
        assert_eq!(decode_error(b""), None);
    }

    #[test]
    fn the_id_pattern_says_the_domains_id_rule() {
        use crate::steps::{MAX_ID_CHARS, is_id, is_id_char};
        assert_eq!(ID_PATTERN, format!("^[A-Za-z0-9_-]{{1,{MAX_ID_CHARS}}}$"));
        let class: Vec<char> = (0..=127u8)
            .map(char::from)
            .filter(|c| is_id_char(*c))
            .collect();
        let expected: Vec<char> = ('0'..='9')
            .chain('A'..='Z')
            .chain(['-', '_'])
            .chain('a'..='z')
            .collect();
        let mut sorted = expected.clone();
        sorted.sort_unstable();
        assert_eq!(class, sorted);
        assert!(is_id(&"a".repeat(MAX_ID_CHARS)));
        assert!(!is_id(&"a".repeat(MAX_ID_CHARS + 1)));
        assert!(!is_id("é"));
        assert!(is_device_id("3f2b6c1e-aa"));
        assert!(!is_device_id("a b"));
        assert!(!is_device_id(""));
        assert!(!is_device_id(&"d".repeat(DEVICE_ID_MAX_LEN + 1)));
    }

    #[test]
    fn server_error_bodies_read_back_as_written() {
        let written = serde_json::to_vec(&ErrorBody::new(Some(NO_STEP_CODE), "no step")).unwrap();
        assert_eq!(
            decode_error(&written),
            Some(ErrorBody::new(Some(2346), "no step"))
        );
        let plain = serde_json::to_string(&ErrorBody::new(None, "bad")).unwrap();
        assert_eq!(plain, r#"{"message":"bad"}"#);
    }

    /// A stepsID that is "" (or blanks), a boolean, an array or an object
    /// is refused as one that breaks the id rule; `null` is none given
    /// (stranger 40, AO14).
    #[test]
    fn a_steps_id_that_is_no_id_is_refused() {
        let step = r#""a":{"name":"a","status":"todo","order":1}"#;
        for bad in ["\"\"", "\"  \"", "true", "[1]", r#"{"x":1}"#] {
            let body = format!(r#"{{"stepsID":{bad},{step}}}"#);
            assert!(
                matches!(
                    decode_list(body.as_bytes()),
                    Err(DecodeError::WrongShape(Shape::BadStepsId(_)))
                ),
                "{body}"
            );
        }
        let body = format!(r#"{{"stepsID":null,{step}}}"#);
        assert_eq!(decode_list(body.as_bytes()).unwrap().steps_id, None);
    }

    #[test]
    fn escape_sequences_in_names_are_removed() {
        let body = br#"{"x": {"name": "evil\u001b]0;title\u0007Step\u001b[5m", "status": "todo", "order": 1}}"#;
        assert_eq!(decode_list(body).unwrap().steps[0].name, "evilStep");
    }
}
