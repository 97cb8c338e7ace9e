//! Bounded work against the real simulator (a fleet of 200), with a counter
//! in front of it: never more than the budget in flight, a 429 slows every
//! request to that gateway, and one hanging vehicle does not stop the rest.
//! The requests go through one client and its clones, as the board's
//! runner sends them (one task per vehicle).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use stepwise::client::{ClientOptions, Gateway, ListRequest, Lookup};
use stepwise::sim::{Scenario, Shared, SimState, fleet_id, router};
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio::time::Instant;

const FLEET: usize = 200;

/// What the counter in front of the simulator saw.
#[derive(Default)]
struct Seen {
    now: AtomicUsize,
    max: AtomicUsize,
    total: AtomicUsize,
    /// Arrival times of list calls, and when the first 429 went out.
    arrivals: Mutex<Vec<Instant>>,
    too_many_at: Mutex<Option<Instant>>,
}

#[derive(Clone, Copy)]
enum Trouble {
    None,
    /// The first list call is answered 429 with `Retry-After: 1`.
    FirstIs429,
    /// Calls for this vehicle never get an answer.
    Hang(usize),
}

async fn count(seen: Arc<Seen>, trouble: Trouble, request: Request, next: Next) -> Response {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let number = seen.total.fetch_add(1, Ordering::SeqCst);
    let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
    seen.max.fetch_max(now, Ordering::SeqCst);
    seen.arrivals.lock().await.push(Instant::now());
    // A little latency, as a real gateway has, so requests overlap.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let response = match trouble {
        Trouble::FirstIs429 if number == 0 => {
            *seen.too_many_at.lock().await = Some(Instant::now());
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                r#"{"code":429,"message":"slow down"}"#,
            )
                .into_response()
        }
        Trouble::Hang(i) if query.contains(&format!("={}&", fleet_id(i))) => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        _ => next.run(request).await,
    };
    seen.now.fetch_sub(1, Ordering::SeqCst);
    response
}

/// The simulator with a fleet, behind the counter; and a client with a
/// budget of `concurrency`.
async fn setup(trouble: Trouble, concurrency: usize) -> (Gateway, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let shared = Shared::new(SimState::new(Scenario::built_in().with_fleet(FLEET)), None);
    let counter = Arc::clone(&seen);
    let app = router(shared).layer(middleware::from_fn(move |req: Request, next: Next| {
        count(Arc::clone(&counter), trouble, req, next)
    }));
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let options = ClientOptions {
        concurrency,
        timeout: Duration::from_secs(60),
        ..ClientOptions::default()
    };
    let gateway = Gateway::new(
        &format!("http://{addr}"),
        "board-test".into(),
        None,
        options,
    )
    .expect("a client");
    (gateway, seen)
}

/// One task per vehicle, as the runner starts them.
fn ask_all(
    gateway: &Gateway,
    ids: impl Iterator<Item = usize>,
) -> Vec<(usize, tokio::task::JoinHandle<bool>)> {
    ids.map(|i| {
        let gateway = gateway.clone();
        let task = tokio::spawn(async move {
            gateway
                .list(&ListRequest::new(Lookup::Car(fleet_id(i))))
                .await
                .is_ok()
        });
        (i, task)
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_the_budget_in_flight_with_200_vehicles() {
    let (gateway, seen) = setup(Trouble::None, 4).await;
    for (i, task) in ask_all(&gateway, 1..=FLEET) {
        assert!(task.await.unwrap(), "{} got its list", fleet_id(i));
    }
    assert_eq!(seen.total.load(Ordering::SeqCst), FLEET);
    let max = seen.max.load(Ordering::SeqCst);
    assert!(max <= 4, "{max} requests were in flight at once");
    assert!(
        max >= 2,
        "requests did overlap (max {max}), so the bound was tested"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_slows_every_request_to_that_gateway() {
    let (gateway, seen) = setup(Trouble::FirstIs429, 2).await;
    for (i, task) in ask_all(&gateway, 1..=20) {
        assert!(
            task.await.unwrap(),
            "{} got its list after the pause",
            fleet_id(i)
        );
    }
    let at = seen.too_many_at.lock().await.expect("a 429 was sent");
    let arrivals = seen.arrivals.lock().await;
    // Only the request already in flight may arrive during the Retry-After
    // second; without the shared pause the other 19 would.
    let during = arrivals
        .iter()
        .filter(|t| **t > at && **t < at + Duration::from_millis(900))
        .count();
    assert!(during <= 1, "{during} requests arrived during the pause");
    // 20 lists and the retried one.
    assert_eq!(arrivals.len(), 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hanging_vehicle_does_not_stop_the_rest() {
    let hanging = 7;
    let (gateway, seen) = setup(Trouble::Hang(hanging), 4).await;
    let mut stuck = None;
    for (i, task) in ask_all(&gateway, 1..=50) {
        if i == hanging {
            stuck = Some(task);
        } else {
            assert!(task.await.unwrap(), "{} got its list", fleet_id(i));
        }
    }
    let stuck = stuck.unwrap();
    assert!(!stuck.is_finished(), "the hanging one is still waiting");
    assert_eq!(seen.total.load(Ordering::SeqCst), 50);
    stuck.abort();
}
