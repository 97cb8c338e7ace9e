//! Live status: follow one or more lists as they change.
//!
//! [`follow`] opens the gateway's event stream
//! (`GET pims/subscription/steps/events`) and yields each list it pushes. A
//! gateway without that call (`404` without the SDK's code 2346, `405`,
//! `501`, or an answer that is not `text/event-stream`) is polled instead with conditional list requests
//! (`If-None-Match`), at the interval asked, never sooner than the gateway's
//! `X-Poll-Interval`, later on `Retry-After`, spread by a random jitter.
//!
//! A dropped stream (cut, proxy timeout, gateway restart, a stream silent for
//! longer than keep-alives allow) reconnects by itself with backoff and
//! `Last-Event-ID`. Every event is held to the body cap and decoded and
//! sanitised like a list answer; an event cut short, longer than the cap, or
//! garbled ends that connection with a clear error. Non-retryable answers
//! (400, 401, 403, 404) end the updates with a final error.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::stream::{self, Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, IF_NONE_MATCH};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Call, Gateway, GatewayError, Sent};
use crate::secret::Secret;
use crate::steps::StepsList;
use crate::wire::{
    self as protocol, EVENTS_PATH, LAST_EVENT_ID_HEADER, LIST_PATH, NO_STEP_CODE, RESET_PARAM,
    STATUS_PARAM, STEPS_ID_PARAM,
};
pub use crate::wire::{MAX_STREAM_IDS, POLL_INTERVAL_HEADER};
/// A stream that closes sooner than this after opening, more than once in a
/// row, is reopened after a growing backoff rather than at once.
const MIN_CALM_STREAM: Duration = Duration::from_secs(60);

/// How the lists are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The gateway pushes each change over its event stream.
    Live,
    /// Conditional polls, one per list every `every` (plus jitter).
    Polling { every: Duration },
}

/// How the live event stream failed, as data (the words are in
/// [`crate::describe`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveFault {
    /// The stream ended in the middle of an event.
    Cut,
    /// After failures, the events call is answered as by a gateway without
    /// live events (a 404 or 405 without code 2346), while lists come: said
    /// as that, never as the failure before it (stranger 69, BR4).
    NotOffered,
    /// So, with no proxy in use: the gateway cut it.
    CutDirect,
    /// No byte came for this long, keep-alives included. `kept_alive`:
    /// bytes came after its first events (keep-alives or changes), or no
    /// list came at all; without, the stream sent its lists and then
    /// nothing, as a gateway that sends no keep-alives does.
    Silent { after: Duration, kept_alive: bool },
    /// The stream opened, and no event came for this long (keep-alives at
    /// most): the current lists it owes at once never came.
    /// `proxied`: through a proxy, which may be what holds it back.
    NoFirstEvent { after: Duration, proxied: bool },
    /// The stream opened and sent events of another type (`kind`, the
    /// first such, sanitised), and no list for this long: its lists come
    /// under a type the contract does not read.
    /// With `lists`, their data reads as a list (the lists come under a
    /// type the contract does not read); without, they carry none (a
    /// heartbeat).
    OtherEvents {
        kind: String,
        after: Duration,
        lists: bool,
    },
    /// The stream is not UTF-8 text.
    NotText,
    /// A line of the stream is no event field.
    BadLine,
    /// Asked to follow no list, or more than [`MAX_STREAM_IDS`].
    Lists { count: usize },
    /// An `event: error` of the gateway's, its data the contract's error
    /// body (or, when it is none, its text as the message).
    Said(protocol::ErrorBody),
    /// The stream of `lists` lists said "no step for this stepsID" (2346),
    /// and each of them answered when asked by its stepsID: the gateway
    /// contradicts itself. `unsent`: the stepsIDs the stream had sent no
    /// list of (the one it may have meant), when not all. Followed by
    /// polling from then on (stranger 59, BH6).
    Contradicted {
        said: protocol::ErrorBody,
        lists: usize,
        unsent: Vec<String>,
    },
    /// The stream sent a list of a stepsID it was not asked for
    /// (`answered`, sanitised), while each of its `lists` answers when asked
    /// by its stepsID: no vehicle was started over (stranger 63, BL3, BL4).
    Foreign { answered: String, lists: usize },
    /// The stream closed soon after its lists (within a minute), `times`
    /// in a row: it keeps none open.
    ClosedSoon { times: u32 },
    /// The events call alone was refused (401, 403: a scope it wants, a
    /// token it does not take) while the lists pass: polled.
    Refused(Box<GatewayError>),
    /// The stream sent the lists of some of its stepsIDs at once, and not
    /// of these (`missing`), of its `lists`.
    LeftOut { missing: Vec<String>, lists: usize },
    /// The events call answered a web page (HTML; `said`, its title,
    /// sanitised, or empty) where the stream belongs: something in front
    /// of the gateway keeps streams out, most likely (stranger 85, CH4).
    Page { said: String },
    /// The stream came compressed (`encoding`), though none was asked
    /// for: its bytes are no events (stranger 89, CL4).
    Compressed { encoding: String },
}

/// A `Content-Type` of `kind` (`text/html`: a web page).
fn content_type_is(headers: &reqwest::header::HeaderMap, kind: &str) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with(kind))
}

/// No answer in time, or a proxy that cannot pass requests now.
fn unanswered(error: &GatewayError) -> bool {
    matches!(
        error,
        GatewayError::TimedOut { .. }
            | GatewayError::ConnectTimedOut { .. }
            | GatewayError::ProxyUnreachable { .. }
            | GatewayError::ProxyTunnel { .. }
    ) || matches!(error, GatewayError::Proxy { status, .. } if *status >= 500)
}

/// How long a stream found silent is given to hand over what already
/// waits in its connection before the silence is said.
const SILENCE_GRACE: Duration = Duration::from_millis(250);

/// What [`follow`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveUpdate {
    /// A list as it now is (its `steps_id` says which).
    List(StepsList),
    /// A poll found this list unchanged (`304`, or the same list again).
    Unchanged { steps_id: String },
    /// The way the lists are followed, at the start and when it changes.
    Mode(Mode),
    /// A failure. With `retrying`, the follower goes on by itself (after a
    /// backoff); without, it was the last update.
    Error { error: GatewayError, retrying: bool },
    /// The gateway refused one list for good (its stepsID unknown, or
    /// another device's): a follower of several lists says it of that one
    /// alone and goes on with the others (stranger 53, BB4).
    Dropped {
        steps_id: String,
        error: GatewayError,
    },
    /// One list's poll failed in a way that is its call's (no answer in
    /// time, a 5xx, an answer that could not be used, a 429): said of that
    /// list alone; the follower polls the others on and this one again at
    /// the next round (stranger 55, BD4).
    ListTrouble {
        steps_id: String,
        error: GatewayError,
    },
}

/// Limits and pacing of a follower; the defaults suit a technician's watch.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Whether to try the event stream first (else poll from the start).
    pub stream: bool,
    /// The interval between two polls of a list when the gateway does not
    /// ask for a longer one.
    pub poll_every: Duration,
    /// The largest random delay added to each poll interval.
    pub jitter: Duration,
    /// A stream that sends no byte at all for this long (keep-alives come at
    /// least every 15 s) is taken as dead and reconnected.
    pub idle_timeout: Duration,
    /// A stream that opened and sent no list within this long (the current
    /// lists come at once) is taken as held back and reconnected.
    pub first_event_timeout: Duration,
    /// A stream is reopened (with `Last-Event-ID`) after this long, so that
    /// no connection lives for ever.
    pub stream_lifetime: Duration,
    /// First reconnect delay; it doubles after each failure, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Streams that fail in a row without one good event before the
    /// follower polls instead.
    pub stream_failures_before_polling: u32,
    /// A `Retry-After` is honoured up to this long.
    pub max_retry_after: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            stream: true,
            poll_every: Duration::from_secs(3),
            jitter: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(45),
            first_event_timeout: Duration::from_secs(15),
            stream_lifetime: Duration::from_secs(3600),
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            stream_failures_before_polling: 3,
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// The updates of a follower; it stops (its task ends, its connection
/// closes) when dropped.
pub struct LiveStream {
    updates: mpsc::Receiver<LiveUpdate>,
    task: JoinHandle<()>,
}

impl Stream for LiveStream {
    type Item = LiveUpdate;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<LiveUpdate>> {
        self.updates.poll_recv(cx)
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Follows the lists of `steps_ids` (at most [`MAX_STREAM_IDS`], repeats
/// counted once) with the default options. Needs a tokio runtime.
pub fn follow(gateway: Gateway, steps_ids: Vec<String>) -> LiveStream {
    follow_with(gateway, steps_ids, LiveOptions::default())
}

/// [`follow`] with explicit options.
pub fn follow_with(gateway: Gateway, steps_ids: Vec<String>, options: LiveOptions) -> LiveStream {
    let mut ids: Vec<String> = Vec::new();
    for id in steps_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    follow_ids(gateway, ids.into(), options)
}

/// [`follow_with`] of `ids` without repeats, kept as they are given: the
/// follower reads its ids from the caller's own copy.
fn follow_ids(gateway: Gateway, ids: Arc<[String]>, options: LiveOptions) -> LiveStream {
    let (tx, updates) = mpsc::channel(32);
    // A follower's calls are nobody's just now: it never presents a
    // refresh token again after a renewal whose answer was lost.
    let task = tokio::spawn(crate::auth::refresh::unattended(async move {
        if ids.is_empty() || ids.len() > MAX_STREAM_IDS {
            let error = GatewayError::Live(LiveFault::Lists { count: ids.len() });
            let _ = tx
                .send(LiveUpdate::Error {
                    error,
                    retrying: false,
                })
                .await;
            return;
        }
        let mut follower = Follower {
            gateway,
            ids,
            options,
            tx,
            last_event_id: None,
            etags: HashMap::new(),
            lists: HashMap::new(),
            mode: None,
            streamed: std::collections::HashSet::new(),
            bearer: None,
        };
        follower.run().await;
    }));
    LiveStream { updates, task }
}

/// An update of [`follow_many`]: a list or `Unchanged` concerns its own
/// stepsID; a `Mode` or an `Error` every stepsID of `lists`, the ones its
/// follower follows.
#[derive(Debug, Clone)]
pub struct GroupUpdate {
    pub lists: Arc<[String]>,
    pub update: LiveUpdate,
}

/// Follows any number of lists: one follower per [`MAX_STREAM_IDS`] of them
/// (one event stream each where the gateway offers it, else conditional
/// polls, whose requests share the gateway's budget), merged into one
/// stream of updates. Dropping it stops every follower.
pub fn follow_many(
    gateway: &Gateway,
    steps_ids: Vec<String>,
) -> impl Stream<Item = GroupUpdate> + Send + Unpin + use<> {
    follow_many_with(gateway, steps_ids, &LiveOptions::default())
}

/// [`follow_many`] with explicit options.
pub fn follow_many_with(
    gateway: &Gateway,
    steps_ids: Vec<String>,
    options: &LiveOptions,
) -> impl Stream<Item = GroupUpdate> + Send + Unpin + use<> {
    // Repeats are left out without copying an id: each is kept or not.
    let keep: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(steps_ids.len());
        steps_ids
            .iter()
            .map(|id| seen.insert(id.as_str()))
            .collect()
    };
    let mut ids = steps_ids
        .into_iter()
        .zip(keep)
        .filter_map(|(id, keep)| keep.then_some(id));
    // Each follower and its updates share one copy of its ids.
    let mut followers = Vec::new();
    loop {
        let lists: Arc<[String]> = ids.by_ref().take(MAX_STREAM_IDS).collect();
        if lists.is_empty() {
            break;
        }
        let stream = follow_ids(Gateway::clone(gateway), Arc::clone(&lists), options.clone());
        followers.push(stream.map(move |update| GroupUpdate {
            lists: Arc::clone(&lists),
            update,
        }));
    }
    stream::select_all(followers)
}

/// The receiver went away: stop.
struct Gone;

/// How one connection to the event stream ended.
enum StreamEnd {
    /// The gateway does not offer the call: poll.
    NotOffered,
    /// A non-retryable answer: the last update.
    Fatal(GatewayError),
    /// Closed between events (a proxy's idle timeout, a restart, the lifetime).
    Closed { delivered: bool, lived: Duration },
    /// Failed; try again after `wait` (a `Retry-After`) or a backoff.
    Failed {
        error: GatewayError,
        delivered: bool,
        wait: Option<Duration>,
    },
    /// It sent some of its lists at once, and not these stepsIDs' by the
    /// time the first are owed: poll them all.
    LeftOut(Vec<String>),
    /// The events call alone refused (401, 403) while the lists pass: poll.
    Refused(GatewayError),
    /// No stream to follow (a web page, a stream compressed), said once
    /// as this fault: poll.
    GivenUp(LiveFault),
}

struct Follower {
    gateway: Gateway,
    ids: Arc<[String]>,
    options: LiveOptions,
    tx: mpsc::Sender<LiveUpdate>,
    last_event_id: Option<String>,
    etags: HashMap<String, String>,
    lists: HashMap<String, StepsList>,
    mode: Option<Mode>,
    /// The token the last request carried: cut out of what comes back.
    bearer: Option<Secret>,
    /// The stepsIDs whose list the stream open now (or last) sent.
    streamed: std::collections::HashSet<String>,
}

impl Follower {
    async fn run(&mut self) {
        if self.options.stream {
            match self.follow_stream().await {
                Ok(true) => {}
                Ok(false) | Err(Gone) => return,
            }
        }
        let _ = self.poll().await;
    }

    async fn send(&self, update: LiveUpdate) -> Result<(), Gone> {
        self.tx.send(update).await.map_err(|_| Gone)
    }

    async fn set_mode(&mut self, mode: Mode) -> Result<(), Gone> {
        if self.mode != Some(mode) {
            self.mode = Some(mode);
            self.send(LiveUpdate::Mode(mode)).await?;
        }
        Ok(())
    }

    fn backoff(&self, failures: u32) -> Duration {
        crate::pace::Backoff {
            first: self.options.backoff,
            max: self.options.max_backoff,
        }
        .after(failures)
    }

    /// Follows the event stream, reconnecting, until it is not offered or
    /// keeps failing (`Ok(true)`: poll instead) or a final error (`Ok(false)`).
    async fn follow_stream(&mut self) -> Result<bool, Gone> {
        let mut failures: u32 = 0;
        // Connections refused in a row (the gateway out of reach).
        let mut down: u32 = 0;
        // Streams in a row that delivered but lived less than a minute: a
        // gateway or proxy that closes at once is not reopened in a tight loop.
        let mut short: u32 = 0;
        loop {
            let opened = std::time::Instant::now();
            let end = self.connect_once().await?;
            let wait = match end {
                StreamEnd::NotOffered => {
                    if failures > 0 || down > 0 {
                        let error = GatewayError::Live(LiveFault::NotOffered);
                        self.send(LiveUpdate::Error {
                            error,
                            retrying: true,
                        })
                        .await?;
                    }
                    return Ok(true);
                }
                // Reopened, it would leave them out again: said once, and
                // every list polled.
                StreamEnd::Refused(error) => {
                    return self.given_up(LiveFault::Refused(Box::new(error))).await;
                }
                StreamEnd::GivenUp(fault) => return self.given_up(fault).await,
                StreamEnd::LeftOut(missing) => {
                    let lists = self.ids.len();
                    return self.given_up(LiveFault::LeftOut { missing, lists }).await;
                }
                // "No step for this stepsID" to a stream of several lists:
                // one of them, maybe. Each is asked, and only those the
                // gateway refuses end (stranger 58, BG6).
                // One list too, where the stream alone said it (its list
                // may answer, and starting over bring the same stepsID back
                // without end: stranger 61, BJ7).
                StreamEnd::Fatal(error)
                    if (self.ids.len() > 1
                        || matches!(
                            error,
                            GatewayError::Live(LiveFault::Said(_))
                                | GatewayError::ForeignList { .. }
                        ))
                        && error.recovery() == super::Recovery::StartOver =>
                {
                    match self.no_step_said(error, &mut failures).await? {
                        Ok(wait) => wait,
                        Err(poll) => return Ok(poll),
                    }
                }
                StreamEnd::Fatal(error) => {
                    self.send(LiveUpdate::Error {
                        error,
                        retrying: false,
                    })
                    .await?;
                    return Ok(false);
                }
                StreamEnd::Closed { delivered, lived } => {
                    let wait = self.after_close((delivered, lived), &mut failures, &mut short);
                    // One that keeps closing soon after its lists keeps none
                    // open: changes would come late, and nothing said
                    // (stranger 67, BP4).
                    if short >= self.options.stream_failures_before_polling {
                        return self.given_up(LiveFault::ClosedSoon { times: short }).await;
                    }
                    wait
                }
                StreamEnd::Failed {
                    error,
                    delivered,
                    wait,
                } => {
                    // A gateway out of reach (restarting, say), or a token
                    // that cannot be renewed for now, is no stream that
                    // fails: polls would meet the same, so it does not count
                    // towards polling instead; the stream is tried again,
                    // with a growing wait, until it passes (stranger 49,
                    // AX7; stranger 51, AZ1).
                    // No answer in time, or a proxy that cannot pass
                    // requests now, is the same when a list asked now meets
                    // it too: the polls would go the same way (stranger 58,
                    // BG3). A list that comes is a stream held back (a
                    // buffering proxy): polling is the way on.
                    let silent = unanswered(&error);
                    if matches!(
                        error,
                        GatewayError::Unreachable { .. } | GatewayError::Auth(_)
                    ) || (silent && !self.a_list_comes().await)
                    {
                        down += 1;
                    } else {
                        // A stream that fails soon after its lists, time
                        // after time, is no stream that works: it counts
                        // toward polling as one that delivered nothing
                        // (stranger 61, BJ11).
                        failures = if delivered && opened.elapsed() >= MIN_CALM_STREAM {
                            1
                        } else {
                            failures + 1
                        };
                        down = 0;
                    }
                    self.send(LiveUpdate::Error {
                        error,
                        retrying: true,
                    })
                    .await?;
                    wait.unwrap_or_else(|| self.backoff(failures.max(down)))
                }
            };
            if failures >= self.options.stream_failures_before_polling {
                tracing::info!(failures, "live stream keeps failing; polling instead");
                return Ok(true);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The stream said "no step for this stepsID": each list is asked by
    /// its stepsID, and only those the gateway refuses end. `Ok(wait)`
    /// before reconnecting; `Err(poll)` to stop streaming (`true`: poll,
    /// every list answers and the stream contradicts them; `false`: no list
    /// is left).
    async fn no_step_said(
        &mut self,
        error: GatewayError,
        failures: &mut u32,
    ) -> Result<Result<Duration, bool>, Gone> {
        let (dropped, answered) = self.sort_out_lists().await?;
        if self.ids.is_empty() {
            return Ok(Err(false));
        }
        if dropped > 0 {
            return Ok(Ok(Duration::ZERO));
        }
        // Every list answers by its stepsID where the stream said one has
        // no step: the stream contradicts them, and reconnecting would hear
        // it again. Polled from now on, said once (BH6). (A list of a
        // stepsID no one asked for is a stream that failed: reopened, with
        // backoff; stranger 61, BJ12.)
        let answered_all = answered == self.ids.len();
        if answered_all && matches!(error, GatewayError::Live(LiveFault::Said(_))) {
            self.send(LiveUpdate::Error {
                error: self.contradicted(error),
                retrying: true,
            })
            .await?;
            return Ok(Err(true));
        }
        *failures += 1;
        // A list no one asked for, while every list asked answers: said as
        // the stream's, never "this vehicle may have started over".
        let error = match error {
            GatewayError::ForeignList { answered, .. } if answered_all => {
                GatewayError::Live(LiveFault::Foreign {
                    answered: crate::steps::sanitize(&answered),
                    lists: self.ids.len(),
                })
            }
            other => other,
        };
        self.send(LiveUpdate::Error {
            error,
            retrying: true,
        })
        .await?;
        Ok(Ok(self.backoff(*failures)))
    }

    /// One connection to the event stream, to its end.
    async fn connect_once(&mut self) -> Result<StreamEnd, Gone> {
        let query: Vec<(&str, &str)> = self
            .ids
            .iter()
            .map(|id| (STEPS_ID_PARAM, id.as_str()))
            .collect();
        let mut call = Call::get(EVENTS_PATH, &query)
            .accept("text/event-stream")
            .timeout(self.options.stream_lifetime);
        if let Some(id) = &self.last_event_id {
            call = call.header(LAST_EVENT_ID_HEADER, id);
        }
        // A pause a 429 set (to this stream or any request to the gateway)
        // holds the stream back too.
        self.gateway.pace.wait_out_pause().await;
        let started = std::time::Instant::now();
        let sent =
            tokio::time::timeout(self.gateway.options.timeout, self.gateway.send(&call)).await;
        let sent = match sent {
            Err(_) => {
                return Ok(StreamEnd::Failed {
                    error: GatewayError::TimedOut {
                        base: self.gateway.base.to_string(),
                        after: self.gateway.options.timeout,
                        proxy: self.gateway.proxy.clone(),
                    },
                    delivered: false,
                    wait: None,
                });
            }
            Ok(Err(error)) if error.is_passing() => {
                return Ok(StreamEnd::Failed {
                    error,
                    delivered: false,
                    wait: None,
                });
            }
            Ok(Err(error)) => return Ok(StreamEnd::Fatal(error)),
            Ok(Ok(sent)) => sent,
        };
        self.bearer.clone_from(&sent.token);
        let status = sent.status();
        tracing::info!(
            method = "GET",
            path = EVENTS_PATH,
            status = status.as_u16(),
            lists = self.ids.len(),
            elapsed = ?started.elapsed(),
            "gateway call"
        );
        if matches!(status.as_u16(), 405 | 501) {
            return Ok(StreamEnd::NotOffered);
        }
        // A 401 or 403 to the events call alone (a gateway that keeps live
        // events from some clients, or wants another token for them) is
        // checked by polling: the list call by the same stepsID says
        // whether the token or the stepsID itself is refused.
        // A 400 too: a gateway without the call may send it to a handler
        // that refuses what it does not know; polling asks the list, whose
        // own answer names a request that is really malformed.
        if matches!(
            status,
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            if status == StatusCode::BAD_REQUEST {
                tracing::info!(%status, "the gateway refuses the events call; polling instead");
                return Ok(StreamEnd::NotOffered);
            }
            let said = sent
                .body(&self.gateway)
                .await
                .and_then(|a| self.gateway.judge(a));
            // A list refused for good (the token, say) ends the following
            // with its own error, never "live stream given up" with an
            // older trouble as its cause (stranger 66, BO1).
            if let Some(refused) = self.list_refused().await {
                return Ok(StreamEnd::Fatal(refused));
            }
            // The lists pass: the stream alone is refused, said once with
            // the gateway's words (a scope it names), then polled
            // (stranger 63, BL7).
            tracing::info!(%status, "the gateway refuses the events call; polling instead");
            return Ok(match said {
                Err(error) => StreamEnd::Refused(error),
                Ok(_) => StreamEnd::NotOffered,
            });
        }
        if !status.is_success() {
            return Ok(self.refused(sent).await);
        }
        let is_event_stream = content_type_is(sent.headers(), "text/event-stream");
        // Compressed though none was asked for: its bytes are no events.
        let compressed = super::compressed(sent.headers());
        // A web page: said once, with its title, then polled.
        if status == StatusCode::OK
            && compressed.is_none()
            && content_type_is(sent.headers(), "text/html")
        {
            let said = sent.body(&self.gateway).await.ok();
            let said = said.and_then(|a| crate::net::html_title(&a.body));
            let said = said.unwrap_or_default();
            return Ok(StreamEnd::GivenUp(LiveFault::Page { said }));
        }
        // A stream compressed: said once, then polled (stranger 89, CL4).
        if let Some(encoding) = compressed
            .as_ref()
            .filter(|_| status == StatusCode::OK && is_event_stream)
        {
            let encoding = encoding.clone();
            return Ok(StreamEnd::GivenUp(LiveFault::Compressed { encoding }));
        }
        if status != StatusCode::OK || !is_event_stream || compressed.is_some() {
            tracing::info!(%status, "the gateway's events call is no event stream; polling instead");
            return Ok(StreamEnd::NotOffered);
        }
        self.set_mode(Mode::Live).await?;
        self.relay(sent.response).await
    }

    /// The end of a connection the gateway answered with an error: not
    /// offered (a 404 without the SDK's code), passing, or final.
    async fn refused(&self, sent: Sent) -> StreamEnd {
        let status = sent.status();
        let wait = retry_after(sent.headers()).filter(|w| *w <= self.options.max_retry_after);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.limited(sent.headers());
        }
        let answer = sent.body(&self.gateway).await;
        // A 404 is a gateway without the call, unless it names the SDK's
        // "no step for this stepsID" (then polling would hear the same).
        if status == StatusCode::NOT_FOUND
            && !answer.as_ref().is_ok_and(|a| {
                protocol::decode_error(&a.body).and_then(|b| b.code) == Some(NO_STEP_CODE)
            })
        {
            return StreamEnd::NotOffered;
        }
        // Its "no step for this stepsID" is the stream's word, checked
        // against the lists as an `event: error` saying it is, never each
        // vehicle's unknown id at once (stranger 67, BP7).
        let said = answer
            .as_ref()
            .ok()
            .and_then(|a| protocol::decode_error(&a.body))
            .filter(|b| status == StatusCode::NOT_FOUND && b.code == Some(NO_STEP_CODE));
        if let Some(body) = said {
            return StreamEnd::Fatal(GatewayError::Live(LiveFault::Said(body)));
        }
        let error = match answer.and_then(|a| self.gateway.judge(a)) {
            Err(error) => error,
            Ok(_) => GatewayError::Transport(format!("unexpected HTTP {status}")),
        };
        if error.is_passing() {
            StreamEnd::Failed {
                error,
                delivered: false,
                wait,
            }
        } else {
            StreamEnd::Fatal(error)
        }
    }

    /// Relays the events of an open stream until it ends.
    async fn relay(&mut self, response: reqwest::Response) -> Result<StreamEnd, Gone> {
        let opened = std::time::Instant::now();
        let chunks = chunks_of(response, self.options.idle_timeout, opened);
        let events = events_of(chunks, self.gateway.options.max_body);
        futures_util::pin_mut!(events);
        self.streamed.clear();
        let mut delivered = false;
        // The first event of a type the contract does not read, if any.
        // (One whose data reads as a list is kept over one whose does not:
        // a heartbeat before the lists.)
        let mut other: Option<(String, bool)> = None;
        let first_by = tokio::time::Instant::from_std(opened) + self.options.first_event_timeout;
        loop {
            // The current lists come at once: a stream of keep-alives only
            // is held back somewhere, and is not followed for ever.
            // So do each list's: one the stream leaves out would never be
            // followed (stranger 67, BP1).
            let next = if delivered && self.left_out().is_empty() {
                events.next().await
            } else {
                match tokio::time::timeout_at(first_by, events.next()).await {
                    Ok(next) => next,
                    Err(_) if delivered => return Ok(StreamEnd::LeftOut(self.left_out())),
                    Err(_) => {
                        let after = self.options.first_event_timeout;
                        let fault = match other.take() {
                            Some((kind, lists)) => LiveFault::OtherEvents { kind, after, lists },
                            None => LiveFault::NoFirstEvent {
                                after,
                                proxied: self.gateway.proxy.is_some(),
                            },
                        };
                        return Ok(StreamEnd::Failed {
                            error: GatewayError::Live(fault),
                            delivered,
                            wait: None,
                        });
                    }
                }
            };
            let Some(item) = next else { break };
            if let Ok(event) = &item
                && !read_type(&event.event)
                && other.as_ref().is_none_or(|(_, lists)| !lists)
            {
                let kind: String = crate::steps::sanitize(&event.event)
                    .chars()
                    .take(40)
                    .collect();
                // A list with something in it (`{}` is a heartbeat's data).
                let lists = protocol::decode_list(event.data.as_bytes())
                    .is_ok_and(|l| l.steps_id.is_some() || !l.steps.is_empty());
                if lists || other.is_none() {
                    other = Some((kind, lists));
                }
            }
            let outcome = item.and_then(|mut event| {
                // A token the gateway echoes never reaches a list.
                if let Some(token) = &self.bearer {
                    let cut =
                        super::redact_secret(event.data.as_bytes(), token.expose().as_bytes());
                    event.data = String::from_utf8_lossy(&cut).into_owned();
                }
                let id = event_id(&event);
                judge_event(&event, &self.ids).map(|list| (id, list))
            });
            match outcome {
                Ok((id, list)) => {
                    if let Some(id) = id {
                        self.last_event_id = Some(id);
                    }
                    if let Some(list) = list {
                        delivered = true;
                        if let Some(id) = &list.steps_id
                            && !self.streamed.contains(id)
                        {
                            self.streamed.insert(id.clone());
                        }
                        self.send(LiveUpdate::List(list)).await?;
                    }
                }
                Err(error) => {
                    let mut error = self.stream_error(error);
                    // Silent before any list: not "after its first events".
                    if let GatewayError::Live(LiveFault::Silent { kept_alive, .. }) = &mut error {
                        *kept_alive |= !delivered;
                    }
                    // Cut with no proxy on the way: the gateway's own cut
                    // (stranger 67, BP10).
                    if matches!(error, GatewayError::Live(LiveFault::Cut))
                        && self.gateway.proxy.is_none()
                    {
                        error = GatewayError::Live(LiveFault::CutDirect);
                    }
                    // The gateway's own word that the stepsID is gone: no
                    // reconnect would hear otherwise.
                    if !error.is_passing() {
                        return Ok(StreamEnd::Fatal(error));
                    }
                    return Ok(StreamEnd::Failed {
                        error,
                        delivered,
                        wait: None,
                    });
                }
            }
        }
        Ok(StreamEnd::Closed {
            delivered,
            lived: opened.elapsed(),
        })
    }

    fn stream_error(&self, error: StreamError) -> GatewayError {
        match error {
            StreamError::Transport(e) => {
                super::redact(self.gateway.transport_error(&e), self.bearer.as_ref())
            }
            StreamError::Gateway(e) => e,
        }
    }

    /// Polls every list in turn, for ever, until a final error.
    async fn poll(&mut self) -> Result<(), Gone> {
        let mut failures: u32 = 0;
        let mut hint = Duration::ZERO;
        // Lists whose own answer asked a wait (a 503's Retry-After): not
        // asked again before it ends, as the words promise (stranger 74,
        // BW1).
        let mut held: HashMap<String, std::time::Instant> = HashMap::new();
        loop {
            let every = self.options.poll_every.max(hint);
            self.set_mode(Mode::Polling { every }).await?;
            let mut extra = Duration::ZERO;
            let now = std::time::Instant::now();
            held.retain(|_, until| *until > now);
            // Every list of the round is asked at once, each as soon as the
            // gateway's budget gives it a place: one list that is slow to
            // answer holds its own place, not the others' turn (stranger
            // 55, BD4).
            let asks: Vec<(String, Option<String>, bool)> = self
                .ids
                .iter()
                .filter(|id| !held.contains_key(*id))
                .map(|id| {
                    (
                        id.clone(),
                        self.etags.get(id).cloned(),
                        self.lists.contains_key(id),
                    )
                })
                .collect();
            // No more polls under way at once than the gateway's budget
            // lets through: a board of thousands holds few waiting.
            let at_once = self.gateway.options.concurrency.max(1);
            let (gateway, options) = (Gateway::clone(&self.gateway), self.options.clone());
            let mut polls = stream::iter(asks)
                .map(move |(id, etag, known)| {
                    poll_request(Gateway::clone(&gateway), options.clone(), id, etag, known)
                })
                .buffer_unordered(at_once);
            while let Some(polled) = polls.next().await {
                let (id, result) = self.take_polled(polled);
                match result {
                    Ok((update, suggested)) => {
                        failures = 0;
                        if let Some(suggested) = suggested {
                            hint = suggested;
                        }
                        self.send(update).await?;
                    }
                    // This list's own refusal, among others that may be
                    // fine: said of it alone; the others are polled on.
                    Err((error, _)) if self.ids.len() > 1 && error.concerns_the_list() => {
                        self.drop_list(&id);
                        self.send(LiveUpdate::Dropped {
                            steps_id: id,
                            error,
                        })
                        .await?;
                    }
                    Err((error, wait)) if self.ids.len() > 1 && error.of_one_call() => {
                        if let Some(wait) = wait.filter(|w| !w.is_zero()) {
                            let wait = wait.min(crate::pace::MAX_PAUSE);
                            held.insert(id.clone(), std::time::Instant::now() + wait);
                        }
                        self.send(LiveUpdate::ListTrouble {
                            steps_id: id,
                            error,
                        })
                        .await?;
                    }
                    Err((error, wait)) => {
                        let retrying = error.is_passing();
                        self.send(LiveUpdate::Error { error, retrying }).await?;
                        if !retrying {
                            return Ok(());
                        }
                        failures += 1;
                        extra = extra.max(wait.unwrap_or_else(|| self.backoff(failures)));
                        break;
                    }
                }
            }
            // The wait now in force is said before it is waited (a gateway
            // that asks for more than before is shown at once, not later).
            let every = self.options.poll_every.max(hint);
            self.set_mode(Mode::Polling { every }).await?;
            tokio::time::sleep(every.max(extra) + crate::pace::jitter(self.options.jitter)).await;
        }
    }

    /// Asks every list once: those the gateway refuses for good are said
    /// and followed no more, the others' lists are passed on. How many
    /// were refused.
    async fn sort_out_lists(&mut self) -> Result<(usize, usize), Gone> {
        let mut dropped = 0;
        let mut answered = 0;
        let ids = Arc::clone(&self.ids);
        for id in ids.iter().cloned() {
            let mut token = None;
            let result =
                poll_once(&self.gateway, &self.options, &id, None, false, &mut token).await;
            let (id, result) = self.take_polled(Polled { id, token, result });
            match result {
                Ok((update, _)) => {
                    answered += 1;
                    self.send(update).await?;
                }
                Err((error, _)) if error.concerns_the_list() => {
                    dropped += 1;
                    self.drop_list(&id);
                    self.send(LiveUpdate::Dropped {
                        steps_id: id,
                        error,
                    })
                    .await?;
                }
                Err(_) => {}
            }
        }
        Ok((dropped, answered))
    }

    /// The stream's "no step" (`error`) to lists that all answer: the
    /// gateway contradicting itself, with the lists the stream had not sent.
    fn contradicted(&self, error: GatewayError) -> GatewayError {
        let GatewayError::Live(LiveFault::Said(said)) = error else {
            return error;
        };
        let unsent: Vec<String> = self
            .ids
            .iter()
            .filter(|id| !self.streamed.contains(*id))
            .cloned()
            .collect();
        GatewayError::Live(LiveFault::Contradicted {
            said,
            lists: self.ids.len(),
            unsent: if unsent.len() < self.ids.len() {
                unsent
            } else {
                Vec::new()
            },
        })
    }

    /// A stream that reopened would do the same (`fault`): said once, and
    /// the lists polled (`Ok(true)`).
    async fn given_up(&mut self, fault: LiveFault) -> Result<bool, Gone> {
        let error = GatewayError::Live(fault);
        self.send(LiveUpdate::Error {
            error,
            retrying: true,
        })
        .await?;
        Ok(true)
    }

    /// The wait before reopening a stream closed between events, having
    /// `delivered` lists and `lived` so long. A close after good events is
    /// routine (a proxy's idle timeout): reconnect quietly, at once unless
    /// it keeps happening quickly (`short`: such closes in a row).
    fn after_close(
        &self,
        (delivered, lived): (bool, Duration),
        failures: &mut u32,
        short: &mut u32,
    ) -> Duration {
        if delivered {
            *failures = 0;
            *short = if lived < MIN_CALM_STREAM {
                *short + 1
            } else {
                0
            };
            if *short > 1 {
                self.backoff(*short - 1)
            } else {
                Duration::ZERO
            }
        } else {
            *failures += 1;
            self.backoff(*failures)
        }
    }

    /// The stepsIDs followed whose list the stream open now has not sent.
    fn left_out(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self.ids.iter() {
            if !self.streamed.contains(id) && !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    /// Whether a list asked now (the first followed) comes: the gateway
    /// answers requests, only the stream does not get through.
    async fn a_list_comes(&self) -> bool {
        let Some(id) = self.ids.first() else {
            return false;
        };
        let mut token = None;
        poll_once(&self.gateway, &self.options, id, None, false, &mut token)
            .await
            .is_ok()
    }

    /// The first list's refusal for good, asked now, if it is refused so.
    async fn list_refused(&self) -> Option<GatewayError> {
        let id = self.ids.first()?;
        let mut token = None;
        let asked = poll_once(&self.gateway, &self.options, id, None, false, &mut token).await;
        asked.err().map(|(e, _)| e).filter(|e| !e.is_passing())
    }

    /// Follows `id` no more (its stepsID was refused for good).
    fn drop_list(&mut self, id: &str) {
        self.ids = self.ids.iter().filter(|i| *i != id).cloned().collect();
        self.etags.remove(id);
        self.lists.remove(id);
    }

    /// A 429, to a poll or to the stream: one budget per gateway, so every
    /// request to it (and the stream) waits the gateway's own ask (up to an
    /// hour), and the screen says how long.
    fn limited(&self, headers: &HeaderMap) {
        limited(&self.gateway, &self.options, headers);
    }

    /// Takes what a poll brought: the token it carried (cut out of what
    /// comes back), the list's tag, and the update (a list the same as
    /// before is "unchanged").
    fn take_polled(&mut self, polled: Polled) -> (String, PollResult<LiveUpdate>) {
        let Polled { id, token, result } = polled;
        if let Some(token) = token {
            self.bearer = token;
        }
        let result = result.map(|(got, suggested)| {
            let update = match got {
                None => LiveUpdate::Unchanged {
                    steps_id: id.clone(),
                },
                Some((list, etag)) => {
                    match etag {
                        Some(tag) => self.etags.insert(id.clone(), tag),
                        None => self.etags.remove(&id),
                    };
                    if self.lists.get(&id) == Some(&list) {
                        LiveUpdate::Unchanged {
                            steps_id: id.clone(),
                        }
                    } else {
                        self.lists.insert(id.clone(), list.clone());
                        LiveUpdate::List(list)
                    }
                }
            };
            (update, suggested)
        });
        (id, result)
    }
}

/// A poll's outcome: what came and the gateway's suggested interval, or
/// the error and how long the gateway asked to wait.
type PollResult<T> = Result<(T, Option<Duration>), (GatewayError, Option<Duration>)>;

/// What one conditional list request brought, before the follower takes
/// it: the token it carried (`None`: none was sent), and the list with its
/// tag (`None`: unchanged, a 304).
struct Polled {
    id: String,
    token: Option<Option<Secret>>,
    result: PollResult<Option<(StepsList, Option<String>)>>,
}

async fn poll_request(
    gateway: Gateway,
    options: LiveOptions,
    id: String,
    etag: Option<String>,
    known: bool,
) -> Polled {
    let mut token = None;
    let result = poll_once(&gateway, &options, &id, etag.as_deref(), known, &mut token).await;
    Polled { id, token, result }
}

/// A 429, to a poll or to the stream: one budget per gateway, so every
/// request to it (and the stream) waits the gateway's own ask (up to an
/// hour), and the screen says how long.
fn limited(gateway: &Gateway, options: &LiveOptions, headers: &HeaderMap) {
    let asked = retry_after(headers);
    let wait = asked.unwrap_or(options.backoff).min(crate::pace::MAX_PAUSE);
    gateway.pace.pause(wait);
    // Said only where the gateway asked it (stranger 87, CJ4).
    if let Some(on_pause) = gateway
        .options
        .on_pause
        .as_ref()
        .filter(|_| asked.is_some())
    {
        (on_pause.0)(wait);
    }
}

/// One conditional list request (`etag` the list's last tag, `known`
/// whether a list of it came before).
async fn poll_once(
    gateway: &Gateway,
    options: &LiveOptions,
    id: &str,
    etag: Option<&str>,
    known: bool,
    token: &mut Option<Option<Secret>>,
) -> PollResult<Option<(StepsList, Option<String>)>> {
    let mut query = vec![(STEPS_ID_PARAM, id), (RESET_PARAM, "false")];
    // As the list calls do: without `stepsStatus=all` once the gateway
    // refused it (stranger 50, AY2).
    if !gateway
        .unfiltered
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        query.push((STATUS_PARAM, "all"));
    }
    let mut call = Call::get(LIST_PATH, &query);
    if let Some(tag) = etag {
        call = call.header(IF_NONE_MATCH.as_str(), tag);
    }
    // Polls share the gateway's budget with every other request: the
    // followers of a board poll in bounded rounds. (A stream holds no
    // place: it is one idle connection.)
    let pace = std::sync::Arc::clone(&gateway.pace);
    let place = pace.admit().await;
    let started = std::time::Instant::now();
    let sent: Sent = gateway.send(&call).await.map_err(|e| (e, None))?;
    *token = Some(sent.token.clone());
    let status = sent.status();
    let suggested = poll_interval(sent.headers());
    let wait = retry_after(sent.headers()).filter(|w| *w <= options.max_retry_after);
    if status == StatusCode::TOO_MANY_REQUESTS {
        limited(gateway, options, sent.headers());
    }
    let etag = sent
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 256 && v.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
        .map(str::to_owned);
    let answer = sent.body(gateway).await.map_err(|e| (e, None))?;
    drop(place);
    tracing::info!(
        method = "GET",
        path = LIST_PATH,
        status = status.as_u16(),
        bytes = answer.body.len(),
        elapsed = ?started.elapsed(),
        "gateway call"
    );
    if status == StatusCode::NOT_MODIFIED && known {
        return Ok((None, suggested));
    }
    let body = gateway.judge(answer).map_err(|e| (e, wait))?;
    let list = protocol::decode_list(&body).map_err(|e| (GatewayError::BadAnswer(e), None))?;
    let list = super::check_steps_id(list, id).map_err(|e| (e, None))?;
    Ok((Some((list, etag)), suggested))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    super::retry_after(headers)
}

/// `X-Poll-Interval`, capped at an hour so that a wild value cannot stop
/// watching for good.
fn poll_interval(headers: &HeaderMap) -> Option<Duration> {
    crate::net::header_seconds(headers, POLL_INTERVAL_HEADER)
        .map(|d| d.min(Duration::from_secs(3600)))
}

/// The chunks of an open stream's `response`, each read within `idle`
/// (past it, the stream is silent); `opened`: when it opened.
fn chunks_of(
    response: reqwest::Response,
    idle: Duration,
    opened: std::time::Instant,
) -> impl Stream<Item = Result<impl AsRef<[u8]> + use<>, Fault>> + use<> {
    // Bytes a third of the idle limit after opening (the contract's
    // keep-alive every 15 s, of 45 s) show the stream alive after its
    // first events: its later silence is then no gateway's habit.
    let alive_after = opened + idle / 3;
    stream::unfold((response, false), move |(mut response, kept)| async move {
        let alive = |kept: bool| kept || std::time::Instant::now() >= alive_after;
        match tokio::time::timeout(idle, response.chunk()).await {
            // Bytes that came while this process did not run (a laptop
            // asleep, `kill -STOP`) are read before silence is said: on
            // waking, the timer may fire before the connection's task
            // has read what waits in the socket (stranger 49, AX3).
            Err(_) => match tokio::time::timeout(SILENCE_GRACE, response.chunk()).await {
                Ok(Ok(Some(chunk))) => Some((Ok(chunk), (response, alive(kept)))),
                Ok(Ok(None)) => None,
                Ok(Err(e)) => Some((Err(Fault::Transport(e)), (response, kept))),
                Err(_) => Some((Err(Fault::Silent(idle, kept)), (response, kept))),
            },
            Ok(Err(e)) => Some((Err(Fault::Transport(e)), (response, kept))),
            Ok(Ok(Some(chunk))) => Some((Ok(chunk), (response, alive(kept)))),
            Ok(Ok(None)) => None,
        }
    })
}

// ------------------------------------------------------------ the parser

/// Why a stream of bytes stopped giving events.
#[derive(Debug)]
enum Fault {
    Transport(reqwest::Error),
    /// Nothing for this long; whether bytes came after its first events.
    Silent(Duration, bool),
    TooLong(usize),
    CutMidEvent,
    /// Bytes that are no UTF-8 (the parser would hold them, and all that
    /// follows, unread for as long as the stream stays open).
    NotText,
}

/// An event stream failure, before it becomes a [`GatewayError`].
#[derive(Debug)]
enum StreamError {
    Transport(reqwest::Error),
    Gateway(GatewayError),
}

impl From<EventStreamError<Fault>> for StreamError {
    fn from(error: EventStreamError<Fault>) -> Self {
        let live = |fault| StreamError::Gateway(GatewayError::Live(fault));
        match error {
            EventStreamError::Utf8(_) => live(LiveFault::NotText),
            EventStreamError::Parser(_) => live(LiveFault::BadLine),
            EventStreamError::Transport(Fault::Transport(e)) => StreamError::Transport(e),
            EventStreamError::Transport(Fault::Silent(after, kept_alive)) => {
                live(LiveFault::Silent { after, kept_alive })
            }
            EventStreamError::Transport(Fault::TooLong(limit)) => {
                StreamError::Gateway(GatewayError::TooLarge { limit })
            }
            EventStreamError::Transport(Fault::CutMidEvent) => live(LiveFault::Cut),
            EventStreamError::Transport(Fault::NotText) => live(LiveFault::NotText),
        }
    }
}

/// Watches the framing of the raw bytes, before they are parsed: the bytes
/// of one event (and of a line that never ends) are held to a cap, and an
/// end of stream inside an event is reported, not taken as an event.
#[derive(Debug)]
struct Framing {
    cap: usize,
    event_bytes: usize,
    line_len: usize,
    line_is_comment: bool,
    event_has_fields: bool,
    after_cr: bool,
    /// The first bytes, held until it is known whether they open with a
    /// byte order mark (dropped here: the parser would slice inside it).
    start: Option<Vec<u8>>,
    /// The start of a UTF-8 character that the next chunk ends.
    utf8_tail: Vec<u8>,
}

impl Framing {
    fn new(cap: usize) -> Self {
        Framing {
            cap,
            event_bytes: 0,
            line_len: 0,
            line_is_comment: false,
            event_has_fields: false,
            after_cr: false,
            start: Some(Vec::new()),
            utf8_tail: Vec::new(),
        }
    }

    /// The bytes of a chunk to check and parse (a leading byte order mark
    /// removed).
    fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        match self.start.take() {
            None => chunk.to_vec(),
            Some(mut start) => {
                start.extend_from_slice(chunk);
                if start.len() < BOM.len() && BOM.starts_with(&start) {
                    self.start = Some(start);
                    return Vec::new();
                }
                // The parser strips a BOM itself by slicing one byte off
                // (a panic): it is given a blank line first, which starts
                // it and dispatches nothing, and the BOM is stripped here.
                let rest = start.strip_prefix(BOM).unwrap_or(&start);
                [b"\n", rest].concat()
            }
        }
    }

    /// Checks the bytes in order; on a fault, how many came before it.
    fn check(&mut self, chunk: &[u8]) -> Result<(), (usize, Fault)> {
        // The fault that comes first in the bytes, whatever the chunks.
        match (self.check_text(chunk), self.check_framing(chunk)) {
            (Err(text), Err(framing)) if framing.0 <= text.0 => Err(framing),
            (Err(fault), _) | (Ok(()), Err(fault)) => Err(fault),
            (Ok(()), Ok(())) => Ok(()),
        }
    }

    /// Bytes that are no UTF-8 are a fault at once; a character cut
    /// between two chunks is not.
    fn check_text(&mut self, chunk: &[u8]) -> Result<(), (usize, Fault)> {
        let held = self.utf8_tail.len();
        let mut bytes = std::mem::take(&mut self.utf8_tail);
        bytes.extend_from_slice(chunk);
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.utf8_tail = bytes[e.valid_up_to()..].to_vec();
                Ok(())
            }
            // The fault is placed at the byte that shows it (a lead byte
            // that no byte may start, or the one after a good lead that
            // does not go on from it): the same byte however the stream
            // is split, so a fault of the cap at another byte comes first
            // or second alike.
            Err(e) => {
                let at = e.valid_up_to();
                let shown_by = if matches!(bytes[at], 0xC2..=0xF4) {
                    at + e.error_len().unwrap_or(1)
                } else {
                    at
                };
                Err((shown_by.saturating_sub(held), Fault::NotText))
            }
        }
    }

    fn check_framing(&mut self, chunk: &[u8]) -> Result<(), (usize, Fault)> {
        for (at, &byte) in chunk.iter().enumerate() {
            let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
            if byte == b'\n' && after_cr {
                continue;
            }
            if byte == b'\r' || byte == b'\n' {
                if self.line_len == 0 {
                    self.event_has_fields = false;
                    self.event_bytes = 0;
                } else if !self.line_is_comment {
                    self.event_has_fields = true;
                } else if !self.event_has_fields {
                    self.event_bytes = 0;
                }
                self.line_len = 0;
                continue;
            }
            if self.line_len == 0 {
                self.line_is_comment = byte == b':';
            }
            self.line_len += 1;
            self.event_bytes += 1;
            if self.event_bytes > self.cap {
                return Err((at, Fault::TooLong(self.cap)));
            }
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), Fault> {
        if self.event_has_fields || (self.line_len > 0 && !self.line_is_comment) {
            Err(Fault::CutMidEvent)
        } else {
            Ok(())
        }
    }
}

/// Events from a stream of byte chunks: framed, capped, then parsed.
fn events_of<S, B>(chunks: S, cap: usize) -> impl Stream<Item = Result<Event, StreamError>>
where
    S: Stream<Item = Result<B, Fault>>,
    B: AsRef<[u8]>,
{
    // The state: the chunks, the framing, and a fault to give next (after
    // the bytes before it), or `Err(())` once a fault was given.
    type Next = Result<Option<Fault>, ()>;
    let framed = stream::unfold(
        (Box::pin(chunks), Framing::new(cap), Ok(None) as Next),
        |(mut chunks, mut framing, next)| async move {
            match next {
                Err(()) => return None,
                Ok(Some(fault)) => return Some((Err(fault), (chunks, framing, Err(())))),
                Ok(None) => {}
            }
            match chunks.next().await {
                Some(Ok(chunk)) => {
                    let mut bytes = framing.feed(chunk.as_ref());
                    match framing.check(&bytes) {
                        Ok(()) => Some((Ok(bytes), (chunks, framing, Ok(None)))),
                        Err((at, fault)) => {
                            bytes.truncate(at);
                            Some((Ok(bytes), (chunks, framing, Ok(Some(fault)))))
                        }
                    }
                }
                // A connection dropped between events (a proxy's idle
                // timeout, a restart) is an end like any other.
                Some(Err(Fault::Transport(e))) if framing.finish().is_ok() => {
                    tracing::debug!("live stream closed between events: {e}");
                    None
                }
                Some(Err(fault)) => Some((Err(fault), (chunks, framing, Err(())))),
                None => match framing.finish() {
                    Ok(()) => None,
                    Err(fault) => Some((Err(fault), (chunks, framing, Err(())))),
                },
            }
        },
    );
    // The parser repeats an error for ever: stop after the first.
    framed
        .eventsource()
        .map(|item| item.map_err(StreamError::from))
        .scan(false, |failed, item| {
            let out = if *failed { None } else { Some(item) };
            if matches!(out, Some(Err(_))) {
                *failed = true;
            }
            std::future::ready(out)
        })
}

/// The event's id, when it can go back in a `Last-Event-ID` header.
fn event_id(event: &Event) -> Option<String> {
    let id = event.id.trim();
    (!id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| id.to_owned())
}

/// An event type the contract reads: `steps`, none (`message`), `error`.
fn read_type(kind: &str) -> bool {
    matches!(kind, "" | "steps" | "message" | "error")
}

/// A `steps` event (or one without a type) as a list; other events are
/// ignored (`None`). A list without a stepsID is taken as the only one
/// followed; with several followed, it cannot be placed and is refused.
fn judge_event(event: &Event, ids: &[String]) -> Result<Option<StepsList>, StreamError> {
    if event.event == "error" {
        return Err(StreamError::Gateway(GatewayError::Live(LiveFault::Said(
            error_event(&event.data),
        ))));
    }
    if !read_type(&event.event) {
        return Ok(None);
    }
    let mut list = protocol::decode_list(event.data.as_bytes())
        .map_err(|e| StreamError::Gateway(GatewayError::BadAnswer(e)))?;
    match list.steps_id.as_deref() {
        None => match ids {
            [only] => list.steps_id = Some(only.clone()),
            _ => {
                return Err(StreamError::Gateway(GatewayError::BadAnswer(
                    protocol::DecodeError::WrongShape(protocol::Shape::LiveWithoutId),
                )));
            }
        },
        // A list of a stepsID not followed on this stream is no list of ours.
        Some(answered) if !ids.iter().any(|id| id == answered) => {
            return Err(StreamError::Gateway(GatewayError::ForeignList {
                asked: ids.join(", "),
                answered: answered.to_owned(),
                next: false,
            }));
        }
        Some(_) => {}
    }
    Ok(Some(list))
}

/// What an `event: error` says: the contract's error body, else its text
/// (filtered, at most 200 characters) as the message.
pub fn error_event(data: &str) -> protocol::ErrorBody {
    protocol::decode_error(data.as_bytes()).unwrap_or_else(|| {
        let text: String = crate::steps::sanitize(data).chars().take(200).collect();
        protocol::ErrorBody {
            code: None,
            message: (!text.trim().is_empty()).then(|| text.trim().to_owned()),
        }
    })
}

/// What [`decode_event_stream`] finds in a stream's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A list event, with the id it carried if any.
    List { id: Option<String>, list: StepsList },
    /// The stream stopped here; the follower would reconnect.
    Error(GatewayError),
}

/// Decodes the bytes of an event stream, given in chunks, as a follower of
/// `ids` would, with `cap` bytes at most per event: the lists it would show,
/// and the error that would cut the stream, if any. For tests and fuzzing.
pub fn decode_event_stream(chunks: &[&[u8]], cap: usize, ids: &[String]) -> Vec<StreamItem> {
    let source = stream::iter(chunks.iter().map(|c| Ok::<_, Fault>(c.to_vec())));
    let events = events_of(source, cap);
    futures_util::pin_mut!(events);
    let mut out = Vec::new();
    while let Some(Some(item)) = futures_util::FutureExt::now_or_never(events.next()) {
        let judged = item.and_then(|event| {
            judge_event(&event, ids).map(|list| list.map(|list| (event_id(&event), list)))
        });
        match judged {
            Ok(Some((id, list))) => out.push(StreamItem::List { id, list }),
            Ok(None) => {}
            // As the follower does, the first error ends the stream.
            Err(StreamError::Gateway(e)) => {
                out.push(StreamItem::Error(e));
                break;
            }
            Err(StreamError::Transport(e)) => {
                out.push(StreamItem::Error(GatewayError::Transport(e.to_string())));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    const LIST: &str = r#"{"stepsID":1,"a":{"name":"a","status":"todo","order":1}}"#;

    #[test]
    fn events_split_anywhere_give_the_same_lists() {
        let text = format!(": hi\n\nid: 7\nevent: steps\ndata: {LIST}\n\n: keep-alive\n\n");
        let whole = decode_event_stream(&[text.as_bytes()], 1024, &ids(&["1"]));
        assert_eq!(whole.len(), 1);
        assert!(
            matches!(&whole[0], StreamItem::List { id: Some(id), list } if id == "7" && list.steps.len() == 1)
        );
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        assert_eq!(decode_event_stream(&bytes, 1024, &ids(&["1"])), whole);
        let crlf = text.replace('\n', "\r\n");
        let bytes: Vec<&[u8]> = crlf.as_bytes().chunks(3).collect();
        assert_eq!(decode_event_stream(&bytes, 1024, &ids(&["1"])), whole);
    }

    #[test]
    fn a_cut_event_a_long_line_and_garbage_stop_the_stream() {
        let cut = format!("data: {LIST}\n");
        let out = decode_event_stream(&[cut.as_bytes()], 1024, &ids(&["1"]));
        assert!(matches!(
            &out[..],
            [StreamItem::Error(GatewayError::Live(LiveFault::Cut))]
        ));
        let long = vec![b'x'; 5000];
        let out = decode_event_stream(&[b"data: ", &long, b"\n\n"], 1024, &ids(&["1"]));
        assert!(matches!(
            &out[..],
            [StreamItem::Error(GatewayError::TooLarge { limit: 1024 })]
        ));
        let out = decode_event_stream(&[b"data: \xff\xfe\n\n"], 1024, &ids(&["1"]));
        assert!(matches!(
            &out[..],
            [StreamItem::Error(GatewayError::Live(LiveFault::NotText))]
        ));
        let out = decode_event_stream(&[b"data: not json\n\n"], 1024, &ids(&["1"]));
        assert!(matches!(
            &out[..],
            [StreamItem::Error(GatewayError::BadAnswer(_))]
        ));
    }

    /// Bytes that are no UTF-8 stop the stream where they come, not at its
    /// end (the parser would hold them and all after them unread); a
    /// character split between two chunks is no fault.
    #[test]
    fn bytes_that_are_no_utf8_are_a_fault_at_once() {
        let mut framing = Framing::new(1024);
        let bad = framing.check(b"data: {\"a\xe9\":1}\n\n");
        assert!(matches!(bad, Err((10, Fault::NotText))), "{bad:?}");
        let mut framing = Framing::new(1024);
        let e_acute = "é".as_bytes();
        assert!(
            framing
                .check(&[b"data: \"", &e_acute[..1]].concat())
                .is_ok()
        );
        assert!(framing.check(&[&e_acute[1..], b"\"\n\n"].concat()).is_ok());
    }

    /// An `event: error` is the gateway's word, read as its error body:
    /// "no step" (2346) starts over, anything else reconnects; text that is
    /// no error body is its message, filtered.
    #[test]
    fn an_error_event_is_the_gateway_s_word() {
        let text = "event: error\ndata: {\"code\":2346,\"message\":\"stepsID expired\"}\n\n";
        let out = decode_event_stream(&[text.as_bytes()], 1024, &ids(&["1"]));
        let [StreamItem::Error(error)] = &out[..] else {
            panic!("{out:?}");
        };
        assert_eq!(error.recovery(), crate::client::Recovery::StartOver);
        let said = |error: &GatewayError| match error {
            GatewayError::Live(LiveFault::Said(body)) => body.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(said(error).message.as_deref(), Some("stepsID expired"));
        let text = "event: error\ndata: busy \u{1b}[2J now\n\n";
        let out = decode_event_stream(&[text.as_bytes()], 1024, &ids(&["1"]));
        let [StreamItem::Error(error)] = &out[..] else {
            panic!("{out:?}");
        };
        assert!(error.is_passing());
        let message = said(error).message.unwrap();
        assert!(message.starts_with("busy"), "{message}");
        assert!(!message.contains('\u{1b}'), "{message}");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_once_and_never_panics_the_parser() {
        let text = format!("\u{feff}data: {LIST}\n\n");
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        let out = decode_event_stream(&bytes, 1024, &ids(&["1"]));
        assert!(matches!(&out[..], [StreamItem::List { .. }]), "{out:?}");
        // A second BOM is no field name: that line is ignored, nothing panics.
        let twice = format!("\u{feff}\u{feff}data: {LIST}\n\n");
        assert!(decode_event_stream(&[twice.as_bytes()], 1024, &ids(&["1"])).is_empty());
    }

    #[test]
    fn comments_alone_never_reach_the_cap() {
        let many = ": keep-alive\n".repeat(200);
        assert!(decode_event_stream(&[many.as_bytes()], 64, &ids(&["1"])).is_empty());
    }

    #[test]
    fn a_list_without_steps_id_belongs_to_the_only_list_followed() {
        let text = "data: {\"a\":{\"name\":\"a\",\"status\":\"todo\",\"order\":1}}\n\n";
        let out = decode_event_stream(&[text.as_bytes()], 1024, &ids(&["9"]));
        assert!(
            matches!(&out[..], [StreamItem::List { list, .. }] if list.steps_id.as_deref() == Some("9"))
        );
        let out = decode_event_stream(&[text.as_bytes()], 1024, &ids(&["9", "8"]));
        assert!(matches!(
            &out[..],
            [StreamItem::Error(GatewayError::BadAnswer(_))]
        ));
    }
}
