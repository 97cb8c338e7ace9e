//! The board live against the real simulator (a fleet of 250) over loopback,
//! with a counter in front of it: one event stream per 200 lists carries
//! every change; where the gateway offers no stream, the conditional polls
//! of all followers share the gateway's budget and its 429 pause.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use stepwise::client::live::{GroupUpdate, LiveOptions, LiveUpdate, Mode, follow_many_with};
use stepwise::client::{ClientOptions, Gateway, ListRequest, Lookup, OnWait};
use stepwise::sim::{Scenario, Shared, SimState, fleet_id, router};
use stepwise::steps::Status;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio::time::Instant;

const FLEET: usize = 250;
/// A bound on every wait: reaching it is a failure.
const LIMIT: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Seen {
    events_calls: AtomicUsize,
    lists_now: AtomicUsize,
    lists_max: AtomicUsize,
    /// Conditional polls (list calls that carry If-None-Match or a stepsID).
    polls: AtomicUsize,
    /// When the 429 went out, and when each poll arrived after it.
    too_many_at: Mutex<Option<Instant>>,
    arrivals: Mutex<Vec<Instant>>,
    /// A stepsID whose polls the gateway answers "no step for this
    /// stepsID" (404, code 2346), as after losing its state.
    forgotten: std::sync::Mutex<Option<String>>,
    /// The stepsIDs polled after it was forgotten.
    polled_since: std::sync::Mutex<Vec<String>>,
    /// A stepsID whose polls the gateway answers only after 2 s.
    slow: std::sync::Mutex<Option<String>>,
}

#[derive(Clone, Copy)]
struct Trouble {
    /// The events call answers 404: the gateway offers no stream.
    no_stream: bool,
    /// The first poll is answered 429 with `Retry-After: 1`.
    first_poll_429: bool,
}

async fn count(
    seen: Arc<Seen>,
    trouble: Trouble,
    sent_429: Arc<AtomicBool>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    if path.ends_with("/events") {
        seen.events_calls.fetch_add(1, Ordering::SeqCst);
        if trouble.no_stream {
            return (StatusCode::NOT_FOUND, "no such call").into_response();
        }
        return next.run(request).await;
    }
    let poll = query.contains("stepsID=");
    if poll {
        seen.polls.fetch_add(1, Ordering::SeqCst);
        seen.arrivals.lock().await.push(Instant::now());
        let slow = seen.slow.lock().unwrap().clone();
        if slow.is_some_and(|slow| query.contains(&format!("stepsID={slow}&"))) {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let forgotten = seen.forgotten.lock().unwrap().clone();
        if let Some(forgotten) = forgotten {
            let asked = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("stepsID="))
                .unwrap_or_default()
                .to_owned();
            seen.polled_since.lock().unwrap().push(asked.clone());
            if asked == forgotten {
                return (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    r#"{"code":2346,"message":"no step for this stepsID"}"#,
                )
                    .into_response();
            }
        }
    }
    let now = seen.lists_now.fetch_add(1, Ordering::SeqCst) + 1;
    seen.lists_max.fetch_max(now, Ordering::SeqCst);
    // A little latency, as a real gateway has, so requests overlap.
    tokio::time::sleep(Duration::from_millis(3)).await;
    let response = if poll && trouble.first_poll_429 && !sent_429.swap(true, Ordering::SeqCst) {
        *seen.too_many_at.lock().await = Some(Instant::now());
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            r#"{"code":429,"message":"slow down"}"#,
        )
            .into_response()
    } else {
        next.run(request).await
    };
    seen.lists_now.fetch_sub(1, Ordering::SeqCst);
    response
}

/// The simulator with a fleet behind the counter, a client with a budget of
/// `concurrency`, and the stepsID of every vehicle (its first list).
async fn setup(
    trouble: Trouble,
    concurrency: usize,
) -> (Gateway, Arc<Seen>, String, HashMap<String, String>, Shared) {
    setup_with(trouble, concurrency, None).await
}

/// [`setup`], with what the client calls before waiting as a 429 asks.
async fn setup_with(
    trouble: Trouble,
    concurrency: usize,
    on_wait: Option<OnWait>,
) -> (Gateway, Arc<Seen>, String, HashMap<String, String>, Shared) {
    let seen = Arc::new(Seen::default());
    let shared = Shared::new(SimState::new(Scenario::built_in().with_fleet(FLEET)), None)
        .with_live(Duration::from_millis(200), Some(1));
    let kept = shared.clone();
    let counter = Arc::clone(&seen);
    let sent_429 = Arc::new(AtomicBool::new(false));
    let app = router(shared).layer(middleware::from_fn(move |req: Request, next: Next| {
        count(
            Arc::clone(&counter),
            trouble,
            Arc::clone(&sent_429),
            req,
            next,
        )
    }));
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let options = ClientOptions {
        concurrency,
        on_pause: on_wait,
        ..ClientOptions::default()
    };
    let gateway = Gateway::new(&url, "board-dev".into(), None, options).unwrap();
    let mut steps_ids = HashMap::new();
    for i in 1..=FLEET {
        let car = fleet_id(i);
        let request = ListRequest::new(Lookup::Car(car.clone()));
        // Some vehicles of the fleet fail on purpose: they have no list.
        if let Ok(list) = gateway.list(&request).await
            && let Some(id) = list.steps_id
        {
            steps_ids.insert(id, car);
        }
    }
    assert!(steps_ids.len() > 200, "enough lists for two followers");
    (gateway, seen, url, steps_ids, kept)
}

fn quick() -> LiveOptions {
    LiveOptions {
        poll_every: Duration::from_millis(100),
        jitter: Duration::from_millis(10),
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        stream_failures_before_polling: 1,
        ..LiveOptions::default()
    }
}

/// Updates until `done` says so, failing after [`LIMIT`].
async fn until(
    updates: &mut (impl Stream<Item = GroupUpdate> + Unpin),
    mut done: impl FnMut(&GroupUpdate) -> bool,
) {
    crate::wait::within("the awaited update", LIMIT, async {
        while let Some(update) = updates.next().await {
            if done(&update) {
                return;
            }
        }
        panic!("the followers ended");
    })
    .await;
}

/// Waits until each of `ids` has had a list.
async fn until_each_listed(
    updates: &mut (impl Stream<Item = GroupUpdate> + Unpin),
    ids: &[String],
) {
    let mut listed = std::collections::HashSet::new();
    until(updates, |u| {
        if let LiveUpdate::List(list) = &u.update {
            listed.extend(list.steps_id.clone());
        }
        ids.iter().all(|id| listed.contains(id))
    })
    .await;
}

/// Waits until every stepsID has had a list; returns each one's first list.
async fn every_first_list(
    updates: &mut (impl Stream<Item = GroupUpdate> + Unpin),
    steps_ids: &HashMap<String, String>,
) -> HashMap<String, stepwise::steps::StepsList> {
    let mut lists = HashMap::new();
    until(updates, |u| {
        if let LiveUpdate::List(list) = &u.update
            && let Some(id) = &list.steps_id
        {
            assert!(u.lists.contains(id), "a list of its own follower");
            lists.entry(id.clone()).or_insert_with(|| list.clone());
        }
        lists.len() == steps_ids.len()
    })
    .await;
    lists
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_stream_per_200_lists_carries_every_change() {
    let trouble = Trouble {
        no_stream: false,
        first_poll_429: false,
    };
    let (gateway, seen, url, steps_ids, _) = setup(trouble, 4).await;
    let ids: Vec<String> = steps_ids.keys().cloned().collect();
    let mut updates = follow_many_with(&gateway, ids, &quick());
    let lists = every_first_list(&mut updates, &steps_ids).await;
    assert_eq!(
        seen.events_calls.load(Ordering::SeqCst),
        steps_ids.len().div_ceil(200),
        "one stream per 200 lists"
    );
    assert_eq!(seen.polls.load(Ordering::SeqCst), 0, "nothing polled");
    // The customer of one vehicle finishes a step: its list comes pushed.
    let (id, list) = lists
        .iter()
        .find(|(_, l)| l.next().is_some())
        .expect("a vehicle with a step to do");
    let step = list.next().unwrap().name.clone();
    let car = &steps_ids[id];
    let status = crate::http()
        .post(format!(
            "{url}/sim/associations/{car}/steps/{step}/complete"
        ))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    until(&mut updates, |u| match &u.update {
        LiveUpdate::List(l) if l.steps_id.as_ref() == Some(id) => l
            .find(&step)
            .is_some_and(|s| s.status == Status::AlreadyDone),
        _ => false,
    })
    .await;
    assert_eq!(seen.polls.load(Ordering::SeqCst), 0, "still nothing polled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_stream_the_polls_of_every_follower_share_one_budget_and_its_pause() {
    let trouble = Trouble {
        no_stream: true,
        first_poll_429: true,
    };
    // Two followers (250 lists) each poll one list at a time: only the
    // shared budget of 1 keeps them from overlapping. The wait a poll's
    // 429 asks for is told (the screen says it), as a call's is.
    let waits = Arc::new(std::sync::Mutex::new(Vec::new()));
    let told = Arc::clone(&waits);
    let on_wait = OnWait(Arc::new(move |wait| told.lock().unwrap().push(wait)));
    let (gateway, seen, _url, steps_ids, _) = setup_with(trouble, 1, Some(on_wait)).await;
    seen.lists_max.store(0, Ordering::SeqCst);
    let ids: Vec<String> = steps_ids.keys().cloned().collect();
    let mut updates = follow_many_with(&gateway, ids, &quick());
    let mut modes = 0;
    until(&mut updates, |u| {
        if let LiveUpdate::Mode(Mode::Polling { .. }) = u.update {
            modes += 1;
        }
        modes == steps_ids.len().div_ceil(200)
    })
    .await;
    every_first_list(&mut updates, &steps_ids).await;
    let max = seen.lists_max.load(Ordering::SeqCst);
    assert_eq!(max, 1, "{max} polls were in flight at once, budget 1");
    // The 429 paused every follower: no poll started within its Retry-After.
    let too_many = seen.too_many_at.lock().await.expect("a 429 was sent");
    let arrivals = seen.arrivals.lock().await;
    let first_after = arrivals
        .iter()
        .filter(|t| **t > too_many)
        .min()
        .expect("polls went on after the 429");
    assert!(
        *first_after - too_many >= Duration::from_millis(900),
        "a poll started {:?} after the 429 that asked for 1 s",
        *first_after - too_many
    );
    assert_eq!(*waits.lock().unwrap(), [Duration::from_secs(1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_churn_reaches_the_streams() {
    let trouble = Trouble {
        no_stream: false,
        first_poll_429: false,
    };
    let (gateway, seen, _url, steps_ids, shared) = setup(trouble, 4).await;
    let ids: Vec<String> = steps_ids.keys().cloned().collect();
    let mut updates = follow_many_with(&gateway, ids, &quick());
    let first = every_first_list(&mut updates, &steps_ids).await;
    // `serve --churn`: a random generated vehicle's next step completes now
    // and then.
    let churn = stepwise::sim::spawn_churn(shared, Duration::from_millis(20));
    until(&mut updates, |u| match &u.update {
        LiveUpdate::List(list) => list
            .steps_id
            .as_ref()
            .and_then(|id| first.get(id))
            .is_some_and(|before| list.done_count() > before.done_count()),
        _ => false,
    })
    .await;
    churn.abort();
    assert_eq!(seen.polls.load(Ordering::SeqCst), 0, "pushed, not polled");
}

/// The gateway forgets one stepsID of a polled follower: that list alone is
/// said refused; the follower goes on polling the others, and no update of
/// theirs says the refusal (stranger 53, BB4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_forgotten_steps_id_ends_its_own_list_only() {
    let trouble = Trouble {
        no_stream: true,
        first_poll_429: false,
    };
    let (gateway, seen, _url, steps_ids, _) = setup(trouble, 4).await;
    // Three lists: one follower.
    let ids: Vec<String> = steps_ids.keys().take(3).cloned().collect();
    let mut updates = follow_many_with(&gateway, ids.clone(), &quick());
    until_each_listed(&mut updates, &ids).await;
    let forgotten = ids[1].clone();
    *seen.forgotten.lock().unwrap() = Some(forgotten.clone());
    let mut dropped = Vec::new();
    let mut after = std::collections::HashSet::new();
    until(&mut updates, |u| {
        match &u.update {
            LiveUpdate::Dropped { steps_id, error } => {
                assert!(!error.is_passing(), "{error:?}");
                dropped.push(steps_id.clone());
            }
            LiveUpdate::Error { error, .. } => panic!("said of every list: {error:?}"),
            LiveUpdate::List(list) if !dropped.is_empty() => {
                after.extend(list.steps_id.clone());
            }
            LiveUpdate::Unchanged { steps_id } if !dropped.is_empty() => {
                after.insert(steps_id.clone());
            }
            _ => {}
        }
        after.len() == 2
    })
    .await;
    assert_eq!(dropped, std::slice::from_ref(&forgotten));
    assert!(!after.contains(&forgotten), "{after:?}");
    // Polled again after its refusal: the others, never the forgotten one.
    let polled = seen.polled_since.lock().unwrap().clone();
    assert_eq!(
        polled.iter().filter(|id| **id == forgotten).count(),
        1,
        "{polled:?}"
    );
}

/// One list's poll that gets no answer in time, among lists whose polls
/// answer at once: the timeout is said of that list alone, and the lists
/// after it in the round are polled on, not left behind (stranger 55, BD4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_slow_list_is_said_of_itself_and_the_others_are_polled_on() {
    let trouble = Trouble {
        no_stream: true,
        first_poll_429: false,
    };
    let (_, seen, url, steps_ids, _) = setup(trouble, 4).await;
    let options = ClientOptions {
        timeout: Duration::from_millis(400),
        retries: 0,
        ..ClientOptions::default()
    };
    let gateway = Gateway::new(&url, "board-dev".into(), None, options).unwrap();
    let ids: Vec<String> = steps_ids.keys().take(3).cloned().collect();
    let mut updates = follow_many_with(&gateway, ids.clone(), &quick());
    until_each_listed(&mut updates, &ids).await;
    let slow = ids[1].clone();
    *seen.slow.lock().unwrap() = Some(slow.clone());
    let mut troubled = Vec::new();
    let mut last_after = 0;
    until(&mut updates, |u| {
        match &u.update {
            LiveUpdate::ListTrouble { steps_id, error } => {
                assert!(error.is_passing(), "{error:?}");
                troubled.push(steps_id.clone());
            }
            LiveUpdate::Error { error, .. } => panic!("said of every list: {error:?}"),
            LiveUpdate::List(l) if !troubled.is_empty() && l.steps_id.as_ref() == Some(&ids[2]) => {
                last_after += 1;
            }
            LiveUpdate::Unchanged { steps_id } if !troubled.is_empty() && *steps_id == ids[2] => {
                last_after += 1;
            }
            _ => {}
        }
        troubled.len() >= 2 && last_after >= 2
    })
    .await;
    assert!(troubled.iter().all(|id| *id == slow), "{troubled:?}");
}
