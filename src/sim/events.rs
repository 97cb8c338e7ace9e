//! Live status on the simulator: `ETag`/`304` and `X-Poll-Interval` on lists,
//! and the Server-Sent Events call that pushes a list each time a list
//! request by its stepsID would answer differently.
//!
//! A change of truth (a control call, a reset) bumps a revision on a watch
//! channel; every open stream then evaluates its lists through the same
//! rules as a list request ([`SimState::list`]) and sends those that changed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::watch;

use super::routes::{ListBody, Shared, device};
use super::state::{ListAnswer, SimError};
use crate::steps::StatusFilter;
use crate::wire::{ErrorBody, Lookup, STEPS_ID_PARAM};

pub use crate::wire::MAX_STREAM_IDS;

/// The gap between two keep-alive comments the simulator leaves by default
/// (proxies close streams idle for longer than that, commonly 30 to 60 s).
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// What lists and streams share on one simulator.
#[derive(Debug)]
pub struct Live {
    /// Bumped on every change of truth or cache.
    changes: watch::Sender<u64>,
    /// Set when the simulator shuts down: every stream ends.
    closing: watch::Sender<bool>,
    /// The id of the next event, over all streams, so that it increases
    /// across reconnects.
    next_event_id: AtomicU64,
    keep_alive: Duration,
    poll_interval: Option<u64>,
    /// A stream ends after this many events (`serve --stream-events`).
    stream_events: Option<usize>,
}

/// The polling interval the simulator suggests by default, in seconds.
pub const DEFAULT_POLL_INTERVAL: u64 = 3;

impl Default for Live {
    fn default() -> Self {
        Live::new(DEFAULT_KEEP_ALIVE, Some(DEFAULT_POLL_INTERVAL))
    }
}

impl Live {
    /// `keep_alive` is the gap between comments on an idle stream;
    /// `poll_interval` (seconds), when given, is sent as `X-Poll-Interval`.
    pub fn new(keep_alive: Duration, poll_interval: Option<u64>) -> Self {
        Live {
            changes: watch::Sender::new(0),
            closing: watch::Sender::new(false),
            next_event_id: AtomicU64::new(1),
            keep_alive,
            poll_interval,
            stream_events: None,
        }
    }

    /// Every stream ends after its first `events` events.
    #[must_use]
    pub fn with_stream_events(mut self, events: Option<usize>) -> Self {
        self.stream_events = events;
        self
    }

    pub fn keep_alive(&self) -> Duration {
        self.keep_alive
    }

    pub fn poll_interval(&self) -> Option<u64> {
        self.poll_interval
    }

    /// Something may have changed: every open stream re-evaluates its lists.
    pub fn notify(&self) {
        self.changes.send_modify(|revision| *revision += 1);
    }

    /// Ends every open stream (the simulator is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn event_id(&self) -> u64 {
        self.next_event_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// The JSON body of a list, exactly as the list call sends it.
pub(super) fn list_json(answer: &ListAnswer) -> String {
    serde_json::to_string(&ListBody(answer)).unwrap_or_else(|_| "null".into())
}

/// A strong entity tag of a body: FNV-1a over its bytes (stable across runs
/// and builds, so a restarted simulator keeps its tags).
pub fn etag_of(body: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in body {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{hash:016x}\"")
}

/// Whether `If-None-Match` names this tag (weak comparison, `*` matches).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == bare(etag))
}

/// The answer of a list call: `200` with the body and its `ETag`, or `304`
/// with no body when `If-None-Match` names the same tag; `X-Poll-Interval`
/// when the simulator suggests one.
pub(super) fn list_response(shared: &Shared, headers: &HeaderMap, answer: &ListAnswer) -> Response {
    let body = list_json(answer);
    let etag = etag_of(body.as_bytes());
    let mut response = if none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    if let Some(seconds) = shared.live().poll_interval {
        out.insert(
            crate::wire::POLL_INTERVAL_HEADER,
            HeaderValue::from(seconds),
        );
    }
    response
}

/// The stepsIDs of an events call: one to [`MAX_STREAM_IDS`], each a valid
/// id; a repeated one counts once.
fn steps_ids(raw: Option<&str>) -> Result<Vec<String>, SimError> {
    let mut ids: Vec<String> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if key != STEPS_ID_PARAM {
            continue;
        }
        let id = value.trim();
        if id.is_empty() {
            return Err(SimError::BadRequest("stepsID is empty".into()));
        }
        if !crate::steps::is_id(id) {
            return Err(SimError::BadRequest(format!(
                "stepsID must be 1 to {} ASCII letters, digits, - or _",
                crate::steps::MAX_ID_CHARS
            )));
        }
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
        if ids.len() > MAX_STREAM_IDS {
            return Err(SimError::BadRequest(format!(
                "at most {MAX_STREAM_IDS} stepsID may be followed by one stream"
            )));
        }
    }
    if ids.is_empty() {
        return Err(SimError::BadRequest("stepsID is required".into()));
    }
    Ok(ids)
}

#[utoipa::path(
    get,
    path = "/pims/subscription/steps/events",
    tag = "steps",
    summary = "Live events: a steps event each time a list would answer differently",
    description = "A text/event-stream. At connection, one `steps` event per stepsID with its current list (all statuses); then one each time a list request by that stepsID would give a different answer. Each event's data is one list, as the list call answers it. A comment line at least every 15 s keeps the stream open; `id:` increases, and a client that reconnects sends Last-Event-ID and gets the current lists at once. Errors before the stream starts are those of the list call.",
    responses(
        (status = 200, description = "The event stream (text/event-stream; Cache-Control: no-cache; X-Accel-Buffering: no)", content_type = "text/event-stream", body = String),
        (status = 400, description = "No stepsID, an invalid one, more than 200, or no X-Device-Id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 403, description = "A stepsID belongs to another device", body = ErrorBody),
        (status = 404, description = "Unknown stepsID (code 2346)", body = ErrorBody),
    )
)]
pub(crate) async fn events(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, SimError> {
    shared.check_token(&headers)?;
    let ids = steps_ids(raw.as_deref())?;
    let device = device(&headers)?;
    if let Some(last) = headers.get("last-event-id") {
        tracing::debug!(last = ?last, streams = ids.len(), "events stream resumed");
    }
    let live = shared.live();
    let mut changes = live.changes.subscribe();
    changes.borrow_and_update();
    let closing = live.closing.subscribe();
    let first = evaluate(&shared, &device, &ids).await?;
    let mut follower = Follower {
        shared: shared.clone(),
        device,
        ids,
        sent: HashMap::new(),
        pending: Vec::new(),
        changes,
        closing,
        left: live.stream_events,
    };
    follower.queue_changed(first);
    let keep_alive = KeepAlive::new()
        .interval(live.keep_alive)
        .text("keep-alive");
    let sse = Sse::new(follower.into_stream()).keep_alive(keep_alive);
    Ok(([("x-accel-buffering", "no")], sse).into_response())
}

/// Every followed list, evaluated as a list request by stepsID would be.
async fn evaluate(
    shared: &Shared,
    device: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, SimError> {
    let (device, ids) = (device.to_owned(), ids.to_vec());
    shared
        .with_state(move |state| {
            ids.iter()
                .map(|id| {
                    let key = Lookup::StepsId(id.clone());
                    let answer = state.list(&device, &key, false, StatusFilter::All)?;
                    Ok((id.clone(), list_json(&answer)))
                })
                .collect()
        })
        .await
}

/// One open stream: what it follows and what it last sent of each list.
struct Follower {
    shared: Shared,
    device: String,
    ids: Vec<String>,
    sent: HashMap<String, String>,
    /// Events to send, in reverse order (popped from the end).
    pending: Vec<Event>,
    changes: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
    /// Events this stream may still send, when it is bounded.
    left: Option<usize>,
}

impl Follower {
    /// Queues an event for each list whose body differs from the last sent.
    fn queue_changed(&mut self, lists: Vec<(String, String)>) {
        let mut fresh = Vec::new();
        for (id, body) in lists {
            if self.sent.get(&id) == Some(&body) {
                continue;
            }
            let event = Event::default()
                .id(self.shared.live().event_id().to_string())
                .event("steps")
                .data(&body);
            self.sent.insert(id, body);
            fresh.push(event);
        }
        fresh.reverse();
        fresh.append(&mut self.pending);
        self.pending = fresh;
    }

    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
        stream::unfold(self, |mut me| async move {
            loop {
                if *me.closing.borrow() || me.left == Some(0) {
                    return None;
                }
                if let Some(event) = me.pending.pop() {
                    me.left = me.left.map(|n| n - 1);
                    return Some((Ok(event), me));
                }
                tokio::select! {
                    changed = me.changes.changed() => {
                        changed.ok()?;
                        // A session never disappears; should it, the stream ends.
                        let lists = evaluate(&me.shared, &me.device, &me.ids).await.ok()?;
                        me.queue_changed(lists);
                    }
                    _ = me.closing.changed() => return None,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_required_bounded_and_deduplicated() {
        assert_eq!(
            steps_ids(Some("stepsID=1&stepsID=2&stepsID=1")).unwrap(),
            ["1", "2"]
        );
        assert!(matches!(steps_ids(None), Err(SimError::BadRequest(_))));
        assert!(matches!(
            steps_ids(Some("stepsID=")),
            Err(SimError::BadRequest(_))
        ));
        let many: Vec<String> = (0..=MAX_STREAM_IDS)
            .map(|i| format!("stepsID={i}"))
            .collect();
        assert!(matches!(
            steps_ids(Some(&many.join("&"))),
            Err(SimError::BadRequest(_))
        ));
        let enough: Vec<String> = (0..MAX_STREAM_IDS)
            .map(|i| format!("stepsID={i}"))
            .collect();
        assert_eq!(
            steps_ids(Some(&enough.join("&"))).unwrap().len(),
            MAX_STREAM_IDS
        );
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let tag = etag_of(b"{}");
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            headers
        };
        assert!(none_match(&with(&tag), &tag));
        assert!(none_match(&with(&format!("W/{tag}")), &tag));
        assert!(none_match(&with(&format!("\"x\", {tag}")), &tag));
        assert!(none_match(&with("*"), &tag));
        assert!(!none_match(&with("\"other\""), &tag));
        assert!(!none_match(&HeaderMap::new(), &tag));
        assert_ne!(etag_of(b"{}"), etag_of(b"{ }"));
    }
}
