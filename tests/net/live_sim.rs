//! Live status against the real simulator over loopback: the events call as
//! the wire shows it, `ETag`/`304`, and the client's follower on top.

use crate::live;

use std::time::Duration;

use live::{LIMIT, SseReader, gateway, next, quick, sim, status_in, until};
use stepwise::client::GatewayError;
use stepwise::client::live::{LiveOptions, LiveUpdate, Mode, follow_with};

const FAST: Duration = Duration::from_millis(100);

/// The first list of `car` for `device`: its stepsID.
async fn steps_id(url: &str, device: &str, car: &str) -> String {
    let body: serde_json::Value = crate::http()
        .get(format!(
            "{url}/pims/subscription/steps?carAssociationID={car}"
        ))
        .header("X-Device-Id", device)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["stepsID"].to_string().trim_matches('"').to_owned()
}

async fn open(url: &str, device: &str, ids: &[&str], last: Option<u64>) -> reqwest::Response {
    let query: Vec<(&str, &str)> = ids.iter().map(|id| ("stepsID", *id)).collect();
    let mut request = crate::http()
        .get(format!("{url}/pims/subscription/steps/events"))
        .query(&query)
        .header("X-Device-Id", device);
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last.to_string());
    }
    tokio::time::timeout(LIMIT, request.send())
        .await
        .expect("headers within the limit")
        .unwrap()
}

async fn control(url: &str, car: &str, step: &str, action: &str) {
    let status = crate::http()
        .post(format!(
            "{url}/sim/associations/{car}/steps/{step}/{action}"
        ))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200, "{action} {step} of {car}");
}

#[tokio::test]
async fn the_first_event_is_the_current_list_with_the_stream_headers() {
    let sim = sim(FAST, None).await;
    let id = steps_id(&sim.url(), "dev", "987654").await;
    assert_eq!(id, "132324");
    let response = open(&sim.url(), "dev", &[&id], None).await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/event-stream"));
    assert_eq!(header("cache-control"), "no-cache");
    assert_eq!(header("x-accel-buffering"), "no");
    let mut reader = SseReader::new(response);
    let event = reader.event().await;
    assert_eq!(event.kind, "steps");
    assert_eq!(event.data["stepsID"], 132324);
    assert_eq!(event.status("trusterPhoneNumber"), "alreadyDone");
    assert_eq!(event.status("deviceActivation"), "todo");
}

#[tokio::test]
async fn a_control_call_pushes_the_changed_list_with_a_greater_id() {
    let sim = sim(FAST, None).await;
    let id = steps_id(&sim.url(), "dev", "987654").await;
    let mut reader = SseReader::new(open(&sim.url(), "dev", &[&id], None).await);
    let first = reader.event().await;
    control(&sim.url(), "987654", "deviceActivation", "complete").await;
    let pushed = reader.event().await;
    assert!(pushed.id > first.id);
    assert_eq!(pushed.status("deviceActivation"), "alreadyDone");
    assert_eq!(pushed.status("mediumCarKey"), "todo");
}

#[tokio::test]
async fn an_idle_stream_gets_keep_alive_comments() {
    let sim = sim(FAST, None).await;
    let id = steps_id(&sim.url(), "dev", "987654").await;
    let mut reader = SseReader::new(open(&sim.url(), "dev", &[&id], None).await);
    reader.event().await;
    for _ in 0..3 {
        let frame = reader.frame().await.expect("the stream goes on");
        assert_eq!(frame, ": keep-alive", "only comments while nothing changes");
    }
}

#[tokio::test]
async fn changes_go_through_the_cache_rules_of_a_list_request() {
    let sim = sim(FAST, None).await;
    let url = sim.url();
    let id = steps_id(&url, "dev", "111111").await;
    let mut reader = SseReader::new(open(&url, "dev", &[&id], None).await);
    assert_eq!(reader.event().await.status("trusterPhoneNumber"), "todo");
    control(&url, "111111", "trusterPhoneNumber", "complete").await;
    assert_eq!(
        reader.event().await.status("trusterPhoneNumber"),
        "alreadyDone"
    );
    // Revoked in truth, the cached alreadyDone stays: no event, only
    // keep-alives (the stream evaluates a change before it idles).
    control(&url, "111111", "trusterPhoneNumber", "revoke").await;
    for _ in 0..2 {
        assert_eq!(reader.frame().await.as_deref(), Some(": keep-alive"));
    }
    // A reset shows the truth, and the stream follows it.
    let reset = crate::http()
        .get(format!(
            "{url}/pims/subscription/steps?stepsID={id}&resetSteps=true"
        ))
        .header("X-Device-Id", "dev")
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(reader.event().await.status("trusterPhoneNumber"), "todo");
}

#[tokio::test]
async fn a_reconnect_with_last_event_id_gets_the_current_list_at_once() {
    let sim = sim(FAST, None).await;
    let id = steps_id(&sim.url(), "dev", "987654").await;
    let mut reader = SseReader::new(open(&sim.url(), "dev", &[&id], None).await);
    let seen = reader.event().await;
    drop(reader);
    control(&sim.url(), "987654", "deviceActivation", "complete").await;
    let mut again = SseReader::new(open(&sim.url(), "dev", &[&id], Some(seen.id)).await);
    let current = again.event().await;
    assert!(current.id > seen.id);
    assert_eq!(current.status("deviceActivation"), "alreadyDone");
}

#[tokio::test]
async fn one_stream_follows_many_lists_each_event_one_list() {
    let sim = sim(FAST, None).await;
    let url = sim.url();
    let a = steps_id(&url, "dev", "987654").await;
    let b = steps_id(&url, "dev", "111111").await;
    let mut reader = SseReader::new(open(&url, "dev", &[&a, &b, &a], None).await);
    let mut first = vec![
        reader.event().await.data["stepsID"].to_string(),
        reader.event().await.data["stepsID"].to_string(),
    ];
    first.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(first, expected, "one event per list, a repeat counted once");
    control(&url, "111111", "trusterPhoneNumber", "complete").await;
    let pushed = reader.event().await;
    assert_eq!(pushed.data["stepsID"].to_string(), b);
    assert_eq!(pushed.status("trusterPhoneNumber"), "alreadyDone");

    let too_many: Vec<String> = (0..201).map(|i| format!("{}", 900_000 + i)).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let refused = open(&url, "dev", &too_many, None).await;
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("200"));
}

#[tokio::test]
async fn errors_before_the_stream_are_those_of_the_list_call() {
    let sim = sim(FAST, None).await;
    let id = steps_id(&sim.url(), "dev", "987654").await;
    let stolen = open(&sim.url(), "other", &[&id], None).await;
    assert_eq!(stolen.status(), 403);
    assert!(
        stolen.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let unknown = open(&sim.url(), "dev", &["424242"], None).await;
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["code"], 2346);

    // The follower ends on them with a final error; a 403 to the events
    // call is checked by one request of the list, which the gateway
    // refuses the same way (no switch to polling said first).
    for (device, expected) in [("other", 403), ("dev-unknown", 404)] {
        let ids = if device == "other" {
            vec![id.clone()]
        } else {
            vec!["424242".into()]
        };
        let mut updates = follow_with(gateway(&sim.url(), device), ids, quick());
        // The stream's 404 with 2346 is checked against the list, which
        // refuses the stepsID too: that list is dropped with the list's
        // own error, and nothing is left to follow.
        match next(&mut updates).await {
            Some(LiveUpdate::Error {
                error: GatewayError::Rejected { status, .. },
                retrying: false,
            }) if expected == 403 => assert_eq!(status, expected),
            Some(LiveUpdate::Dropped {
                error: GatewayError::Rejected { status, .. },
                ..
            }) if expected == 404 => assert_eq!(status, expected),
            other => panic!("expected a final {expected}, got {other:?}"),
        }
        assert_eq!(
            next(&mut updates).await,
            None,
            "nothing after a final error"
        );
    }
}

#[tokio::test]
async fn lists_carry_an_etag_and_an_unchanged_list_is_a_304() {
    let sim = sim(FAST, Some(7)).await;
    let url = sim.url();
    let id = steps_id(&url, "dev", "987654").await;
    let list = |tag: Option<String>| {
        let mut request = crate::http()
            .get(format!("{url}/pims/subscription/steps?stepsID={id}"))
            .header("X-Device-Id", "dev");
        if let Some(tag) = tag {
            request = request.header("If-None-Match", tag);
        }
        request.send()
    };
    let first = list(None).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-poll-interval"], "7");
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let same = list(Some(tag.clone())).await.unwrap();
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["etag"].to_str().unwrap(), tag);
    assert!(same.bytes().await.unwrap().is_empty());
    control(&url, "987654", "deviceActivation", "complete").await;
    let changed = list(Some(tag.clone())).await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
    let body: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(body["deviceActivation"]["status"], "alreadyDone");
}

#[tokio::test]
async fn the_follower_goes_live_and_shows_a_change_without_asking() {
    let sim = sim(FAST, None).await;
    let id = steps_id(&sim.url(), "dev", "987654").await;
    let mut updates = follow_with(gateway(&sim.url(), "dev"), vec![id.clone()], quick());
    assert_eq!(next(&mut updates).await, Some(LiveUpdate::Mode(Mode::Live)));
    let first = next(&mut updates).await.unwrap();
    assert_eq!(
        status_in(&first, "deviceActivation").as_deref(),
        Some("todo")
    );
    control(&sim.url(), "987654", "deviceActivation", "complete").await;
    let pushed = next(&mut updates).await.unwrap();
    assert_eq!(
        status_in(&pushed, "deviceActivation").as_deref(),
        Some("alreadyDone")
    );
}

#[tokio::test]
async fn the_polling_follower_sees_304s_as_unchanged_and_a_new_etag_as_a_list() {
    let sim = sim(FAST, None).await;
    let id = steps_id(&sim.url(), "dev", "987654").await;
    let options = LiveOptions {
        stream: false,
        ..quick()
    };
    let mut updates = follow_with(gateway(&sim.url(), "dev"), vec![id.clone()], options);
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::Mode(Mode::Polling { .. }))
    ));
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::List(_))
    ));
    for _ in 0..2 {
        assert_eq!(
            next(&mut updates).await,
            Some(LiveUpdate::Unchanged {
                steps_id: id.clone()
            })
        );
    }
    control(&sim.url(), "987654", "deviceActivation", "complete").await;
    let changed = until(&mut updates, |u| matches!(u, LiveUpdate::List(_))).await;
    assert_eq!(
        status_in(&changed, "deviceActivation").as_deref(),
        Some("alreadyDone")
    );
}

#[tokio::test]
async fn the_simulator_suggests_its_poll_interval_by_default() {
    let sim = stepwise::sim::spawn(stepwise::sim::Scenario::built_in(), None)
        .await
        .unwrap();
    let answer = crate::http()
        .get(format!(
            "{}/pims/subscription/steps?carAssociationID=987654",
            sim.url()
        ))
        .header("X-Device-Id", "dev")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["x-poll-interval"].to_str().unwrap(),
        stepwise::sim::DEFAULT_POLL_INTERVAL.to_string()
    );
    assert!(answer.headers().contains_key("etag"));
}
