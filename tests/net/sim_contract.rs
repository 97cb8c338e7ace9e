//! The gateway client against the real simulator on a loopback port: one test
//! per rule of the steps contract (see docs/CONTRACT.md).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;
use stepwise::client::{ClientOptions, Gateway, GatewayError, ListRequest, Lookup, Rejection};
use stepwise::config::Secret;
use stepwise::sim::{RunningSim, Scenario, spawn};
use stepwise::steps::{Status, StatusFilter, Step, StepsList};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DOC_CAR: &str = "987654";
const DOC_STEPS_ID: &str = "132324";
const NEW_CUSTOMER: &str = "111111";
const READY: &str = "222222";
const STALE: &str = "333333";

/// A bound on every network wait of these tests.
const LIMIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- helpers

async fn sim() -> RunningSim {
    spawn(Scenario::built_in(), None).await.expect("sim starts")
}

async fn sim_with_token(token: &str) -> RunningSim {
    spawn(Scenario::built_in(), Some(Secret::new(token)))
        .await
        .expect("sim starts")
}

fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(10),
        ..Default::default()
    }
}

fn gateway(sim: &RunningSim, device: &str) -> Gateway {
    gateway_with(sim, device, None)
}

fn gateway_with(sim: &RunningSim, device: &str, token: Option<&str>) -> Gateway {
    Gateway::new(
        &sim.url(),
        device.to_owned(),
        token.map(Secret::new),
        options(),
    )
    .expect("a loopback URL is a valid base")
}

fn request(lookup: Lookup, reset: bool, status: StatusFilter) -> ListRequest {
    ListRequest {
        lookup,
        reset,
        status,
    }
}

async fn by_car(gw: &Gateway, car: &str) -> Result<StepsList, GatewayError> {
    gw.list(&ListRequest::new(Lookup::Car(car.into()))).await
}

async fn by_steps_id(gw: &Gateway, id: &str) -> Result<StepsList, GatewayError> {
    gw.list(&ListRequest::new(Lookup::StepsId(id.into()))).await
}

async fn reset(gw: &Gateway, id: &str) -> StepsList {
    gw.list(&request(
        Lookup::StepsId(id.into()),
        true,
        StatusFilter::All,
    ))
    .await
    .expect("reset list")
}

fn steps_id(list: &StepsList) -> String {
    list.steps_id.clone().expect("the list carries a stepsID")
}

/// (name, wire status, order) of each step, in the list's order.
fn view(list: &StepsList) -> Vec<(String, String, Option<i64>)> {
    list.steps
        .iter()
        .map(|s| (s.name.clone(), s.status.as_wire().to_owned(), s.order))
        .collect()
}

fn status_of(list: &StepsList, name: &str) -> Status {
    list.find(name)
        .unwrap_or_else(|| panic!("{name} missing from {list:?}"))
        .status
        .clone()
}

fn name_of(step: Option<Step>) -> Option<String> {
    step.map(|s| s.name)
}

/// The customer undoes a step on the simulator (no client method for it).
async fn revoke(sim: &RunningSim, car: &str, step: &str) {
    let url = format!("{}/sim/associations/{car}/steps/{step}/revoke", sim.url());
    let response = crate::http()
        .post(url)
        .send()
        .await
        .expect("revoke is answered");
    assert_eq!(response.status(), 200, "revoke {car}/{step}");
}

fn assert_rejected(error: &GatewayError, status: u16, kind: Rejection) {
    if status == 401 && matches!(error, GatewayError::Unauthorized { .. }) {
        assert_eq!(error.rejection(), Some(kind), "{error}");
        return;
    }
    match error {
        GatewayError::Rejected {
            status: got,
            kind: got_kind,
            ..
        } => {
            assert_eq!((*got, *got_kind), (status, kind), "{error}");
        }
        other => panic!("expected HTTP {status}, got {other:?}"),
    }
}

/// A GET of the list endpoint with a hand-written query, as a buggy client
/// would send it; returns the status and the body as JSON.
async fn raw_list_query(sim: &RunningSim, query: &str) -> (u16, Value) {
    let url = format!("{}/pims/subscription/steps?{query}", sim.url());
    let response = crate::http()
        .get(url)
        .header("X-Device-Id", "raw-device")
        .send()
        .await
        .expect("the sim answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.expect("a JSON body");
    (status, body)
}

/// One request written byte for byte on a fresh connection, so that nothing
/// (path normalisation, method checks) is smoothed over by an HTTP client.
/// Returns the status and the body.
async fn raw_http(sim: &RunningSim, method: &str, target: &str) -> (u16, Vec<u8>) {
    let exchange = async {
        let mut stream = TcpStream::connect(sim.addr).await.expect("connect");
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nX-Device-Id: raw-device\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            sim.addr
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        answer
    };
    let answer = tokio::time::timeout(LIMIT, exchange)
        .await
        .expect("the sim answers and closes in time");
    split_response(&answer)
}

/// Status code and body of a raw HTTP/1.1 response (Content-Length or
/// read-to-close bodies).
fn split_response(answer: &[u8]) -> (u16, Vec<u8>) {
    let text = String::from_utf8_lossy(answer);
    let end = text.find("\r\n\r\n").expect("a complete head");
    let head = &text[..end];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    let body = answer[end + 4..].to_vec();
    (status, body)
}

fn json_message(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)));
    value["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message string in {value}"))
        .to_owned()
}

// ---------------------------------------------------------------- lists

#[tokio::test]
async fn first_list_by_car_gives_the_documented_steps_id_and_steps_in_order() {
    let sim = sim().await;
    let list = by_car(&gateway(&sim, "dev-a"), DOC_CAR).await.unwrap();
    assert_eq!(list.steps_id.as_deref(), Some(DOC_STEPS_ID));
    let expected = [
        ("trusterPhoneNumber", "alreadyDone", 1),
        ("deviceActivation", "todo", 2),
        ("mediumCarKey", "todo", 3),
    ]
    .map(|(n, s, o)| (n.to_owned(), s.to_owned(), Some(o)));
    assert_eq!(view(&list), expected);
    assert_eq!(
        list.next().map(|s| s.name.as_str()),
        Some("deviceActivation")
    );
}

#[tokio::test]
async fn refresh_by_steps_id_returns_the_same_steps_id() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let first = by_car(&gw, DOC_CAR).await.unwrap();
    let refreshed = by_steps_id(&gw, &steps_id(&first)).await.unwrap();
    assert_eq!(refreshed.steps_id, first.steps_id);
    assert_eq!(view(&refreshed), view(&first));
    let again = by_car(&gw, DOC_CAR).await.unwrap();
    assert_eq!(again.steps_id, first.steps_id, "same device, same stepsID");
}

#[tokio::test]
async fn a_steps_id_is_bound_to_the_device_that_obtained_it() {
    let sim = sim().await;
    let first = gateway(&sim, "dev-a");
    let other = gateway(&sim, "dev-b");
    let id = steps_id(&by_car(&first, DOC_CAR).await.unwrap());

    let stolen = by_steps_id(&other, &id).await.unwrap_err();
    assert!(stolen.is_wrong_device(), "{stolen:?}");
    assert_rejected(&stolen, 403, Rejection::WrongDevice);
    let stolen_next = other.next_step(&id).await.unwrap_err();
    assert!(stolen_next.is_wrong_device(), "{stolen_next:?}");

    let own = steps_id(&by_car(&other, DOC_CAR).await.unwrap());
    assert_ne!(own, id);
    assert_eq!(
        by_steps_id(&other, &own).await.unwrap().steps_id.as_deref(),
        Some(own.as_str())
    );
}

#[tokio::test]
async fn status_filter_returns_only_steps_with_that_status() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let id = steps_id(&by_car(&gw, DOC_CAR).await.unwrap());
    for (filter, status, names) in [
        (
            StatusFilter::Todo,
            "todo",
            vec!["deviceActivation", "mediumCarKey"],
        ),
        (
            StatusFilter::AlreadyDone,
            "alreadyDone",
            vec!["trusterPhoneNumber"],
        ),
    ] {
        let list = gw
            .list(&request(Lookup::StepsId(id.clone()), false, filter))
            .await
            .unwrap();
        let got: Vec<_> = list.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(got, names, "{filter}");
        assert!(
            list.steps.iter().all(|s| s.status.as_wire() == status),
            "{filter}: {list:?}"
        );
        assert_eq!(list.steps_id.as_deref(), Some(id.as_str()));
    }
}

// ---------------------------------------------------------------- cache

#[tokio::test]
async fn done_steps_stay_done_in_the_cache_until_a_reset() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let id = steps_id(&by_car(&gw, NEW_CUSTOMER).await.unwrap());
    let phone = "trusterPhoneNumber";

    gw.sim_complete(NEW_CUSTOMER, phone).await.unwrap();
    let done = by_steps_id(&gw, &id).await.unwrap();
    assert_eq!(status_of(&done, phone), Status::AlreadyDone);

    revoke(&sim, NEW_CUSTOMER, phone).await;
    let sticky = by_steps_id(&gw, &id).await.unwrap();
    assert_eq!(status_of(&sticky, phone), Status::AlreadyDone);

    let fresh = reset(&gw, &id).await;
    assert_eq!(status_of(&fresh, phone), Status::Todo);
    assert_eq!(fresh.steps_id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn a_stale_cache_shows_all_done_until_a_reset_shows_the_truth() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let stale = by_car(&gw, STALE).await.unwrap();
    assert_eq!(stale.steps.len(), 3);
    assert!(stale.all_done(), "{stale:?}");
    let id = steps_id(&stale);
    assert!(by_steps_id(&gw, &id).await.unwrap().all_done());

    let fresh = reset(&gw, &id).await;
    assert_eq!(status_of(&fresh, "deviceActivation"), Status::Todo);
    assert_eq!(
        fresh.next().map(|s| s.name.as_str()),
        Some("deviceActivation")
    );
    let after = by_steps_id(&gw, &id).await.unwrap();
    assert_eq!(status_of(&after, "deviceActivation"), Status::Todo);
}

// ---------------------------------------------------------------- next step

#[tokio::test]
async fn next_step_is_none_when_every_step_is_done() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let id = steps_id(&by_car(&gw, READY).await.unwrap());
    assert_eq!(gw.next_step(&id).await.unwrap(), None);
}

#[tokio::test]
async fn next_step_follows_the_order_then_becomes_none() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let id = steps_id(&by_car(&gw, DOC_CAR).await.unwrap());
    assert_eq!(
        name_of(gw.next_step(&id).await.unwrap()).as_deref(),
        Some("deviceActivation")
    );

    gw.sim_complete(DOC_CAR, "deviceActivation").await.unwrap();
    assert_eq!(
        name_of(gw.next_step(&id).await.unwrap()).as_deref(),
        Some("mediumCarKey")
    );

    gw.sim_complete(DOC_CAR, "mediumCarKey").await.unwrap();
    assert_eq!(gw.next_step(&id).await.unwrap(), None);
}

// ---------------------------------------------------------------- refusals

#[tokio::test]
async fn malformed_list_queries_are_400_with_a_json_message() {
    let sim = sim().await;
    for query in [
        "carAssociationID=987654&stepsID=132324",
        "resetSteps=false&stepsStatus=all",
        "carAssociationID=987654&stepsStatus=bogus",
        "carAssociationID=987654&resetSteps=maybe",
    ] {
        let (status, body) = raw_list_query(&sim, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{query}: no message in {body}");
    }
}

#[tokio::test]
async fn an_unknown_car_association_id_is_404() {
    let sim = sim().await;
    let error = by_car(&gateway(&sim, "dev-a"), "999999").await.unwrap_err();
    assert_rejected(&error, 404, Rejection::NotFound);
}

#[tokio::test]
async fn an_unknown_steps_id_is_404_with_code_2346() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let listed = by_steps_id(&gw, "555").await.unwrap_err();
    assert_rejected(&listed, 404, Rejection::NotFound);
    assert_eq!(listed.sdk_code(), Some(2346));
    let next = gw.next_step("555").await.unwrap_err();
    assert_eq!(next.sdk_code(), Some(2346), "{next:?}");
    assert!(next.to_string().contains("2346"), "{next}");
}

#[tokio::test]
async fn a_sim_with_a_token_refuses_a_missing_or_wrong_token_with_401() {
    let sim = sim_with_token("s3cret-token").await;
    for token in [None, Some("wrong-token"), Some("Bearer s3cret-token")] {
        let error = by_car(&gateway_with(&sim, "dev-a", token), DOC_CAR)
            .await
            .unwrap_err();
        assert_rejected(&error, 401, Rejection::Unauthorized);
        assert!(!error.to_string().contains("s3cret"), "{error}");
        let words = stepwise::describe::gateway_error(stepwise::text::Lang::En, &error);
        assert!(!words.contains("s3cret"), "{words}");
    }
    let list = by_car(&gateway_with(&sim, "dev-a", Some("s3cret-token")), DOC_CAR)
        .await
        .unwrap();
    assert_eq!(list.steps_id.as_deref(), Some(DOC_STEPS_ID));
    // Its 401 carries a Bearer challenge (RFC 6750 §3), with an error only
    // when a token came.
    let url = format!(
        "{}/{}?{}={DOC_CAR}",
        sim.url(),
        stepwise::wire::LIST_PATH,
        stepwise::wire::CAR_PARAM
    );
    let http = reqwest::Client::new();
    for (token, challenge) in [
        (None, r#"Bearer realm="steps""#),
        (
            Some("wrong"),
            r#"Bearer realm="steps", error="invalid_token""#,
        ),
    ] {
        let mut request = http.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 401);
        assert_eq!(
            answer
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some(challenge)
        );
    }
}

#[tokio::test]
async fn completing_a_step_before_an_earlier_one_is_409() {
    let sim = sim().await;
    let gw = gateway(&sim, "dev-a");
    let error = gw
        .sim_complete(NEW_CUSTOMER, "mediumCarKey")
        .await
        .unwrap_err();
    assert_rejected(&error, 409, Rejection::Conflict);
    // The refusal changed nothing.
    let list = by_car(&gw, NEW_CUSTOMER).await.unwrap();
    assert_eq!(status_of(&list, "mediumCarKey"), Status::Todo);
}

// ---------------------------------------------------------------- robustness

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lists_from_many_devices_all_succeed_with_one_steps_id_per_device() {
    let sim = sim().await;
    let mut tasks = Vec::new();
    for round in 0..5 {
        for device in 0..10 {
            let gw = gateway(&sim, &format!("dev-{device}"));
            tasks.push(tokio::spawn(async move {
                let list = by_car(&gw, DOC_CAR).await;
                (device, round, list)
            }));
        }
    }
    let mut ids: HashMap<usize, HashSet<String>> = HashMap::new();
    for task in tasks {
        let (device, round, list) = tokio::time::timeout(LIMIT, task)
            .await
            .expect("in time")
            .expect("task ran");
        let list = list.unwrap_or_else(|e| panic!("dev-{device} round {round}: {e}"));
        assert_eq!(list.steps.len(), 3);
        ids.entry(device).or_default().insert(steps_id(&list));
    }
    assert_eq!(ids.len(), 10);
    for (device, seen) in &ids {
        assert_eq!(seen.len(), 1, "dev-{device} saw {seen:?}");
    }
    let distinct: HashSet<_> = ids.values().flatten().collect();
    assert_eq!(distinct.len(), 10, "stepsIDs are shared: {ids:?}");
    assert!(distinct.contains(&DOC_STEPS_ID.to_owned()));
}

#[tokio::test]
async fn junk_queries_paths_and_methods_get_a_4xx_json_answer_never_a_5xx() {
    let sim = sim().await;
    let requests = [
        ("GET", "/pims/subscription/steps?%ff%00=%zz&&=="),
        ("GET", "/pims/subscription/step?%ff%00=%zz&&=="),
        ("GET", "/pims/subscription/steps?carAssociationID=%00%1b"),
        (
            "GET",
            "/pims/subscription/steps?carAssociationID=1&carAssociationID=2",
        ),
        ("GET", "/pims/subscription/steps/../x"),
        (
            "GET",
            "/pims/subscription/steps/%2e%2e/%2e%2e/sim/associations",
        ),
        ("GET", "/%ff%fe"),
        ("GET", "//"),
        ("DELETE", "/pims/subscription/steps?carAssociationID=987654"),
        ("PUT", "/pims/subscription/steps"),
        ("PATCH", "/pims/subscription/step"),
        (
            "GET",
            "/sim/associations/987654/steps/deviceActivation/complete",
        ),
        (
            "POST",
            "/sim/associations/%ff/steps/deviceActivation/complete",
        ),
        ("POST", "/sim/associations/987654/steps/%ff%00/revoke"),
        ("POST", "/sim/associations/nope/steps/x/complete"),
    ];
    for (method, target) in requests {
        let (status, body) = raw_http(&sim, method, target).await;
        assert!(
            (400..500).contains(&status),
            "{method} {target}: HTTP {status}"
        );
        if status == 404 && body.starts_with(b"no such path") {
            // A path the gateway does not serve: a web server's plain 404,
            // not the contract's error body (which says "unknown id").
            continue;
        }
        let message = json_message(&body);
        assert!(!message.is_empty(), "{method} {target}");
    }
}

// ---------------------------------------------------------------- scenario files

/// A scenario may fix the stepsID its first device gets; the list must give
/// it back as the same text, or refreshing by it finds nothing.
#[tokio::test]
async fn a_scenario_steps_id_with_leading_zeros_can_be_refreshed() {
    let scenario = Scenario::parse(
        r#"{"associations":[{"carAssociationID":"42","stepsID":"007",
            "steps":[{"name":"deviceActivation","order":1,"done":false}]}]}"#,
    )
    .expect("a valid scenario");
    let sim = spawn(scenario, None).await.expect("sim starts");
    let gw = gateway(&sim, "dev-a");
    let first = by_car(&gw, "42").await.unwrap();
    let id = steps_id(&first);
    let refreshed = by_steps_id(&gw, &id).await;
    assert!(
        refreshed.is_ok(),
        "stepsID {id:?} came back as {refreshed:?}"
    );
    assert_eq!(id, "007");
}

/// The documentation's example request for 987654, answered byte for byte as
/// the documentation shows it (stepsID first, as a number; steps in order).
#[tokio::test]
async fn the_documentations_example_is_answered_as_documented() {
    let sim = sim().await;
    let (status, body) = raw_http(
        &sim,
        "GET",
        "/pims/subscription/steps?carAssociationID=987654&resetSteps=false&stepsStatus=all",
    )
    .await;
    assert_eq!(status, 200);
    let expected = concat!(
        r#"{"stepsID":132324,"#,
        r#""trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},"#,
        r#""deviceActivation":{"name":"deviceActivation","status":"todo","order":2},"#,
        r#""mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3}}"#
    );
    assert_eq!(String::from_utf8_lossy(&body), expected);
}

/// Older spellings of the documentation (`resetStep`, `stepStatus`) and
/// booleans in any case are understood; giving a name twice is a 400.
#[tokio::test]
async fn older_parameter_spellings_and_boolean_case_are_tolerated() {
    let sim = sim().await;
    let (status, body) = raw_list_query(
        &sim,
        "carAssociationID=987654&resetStep=TRUE&stepStatus=todo",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let steps: Vec<_> = body
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "stepsID")
        .map(|(_, v)| v["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(steps, ["todo", "todo"]);
    let (status, body) = raw_list_query(
        &sim,
        "carAssociationID=987654&resetSteps=false&resetStep=true",
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

/// The simulator enforces what its OpenAPI document says: the id rule on
/// both id parameters, exactly-one-of, strict `resetSteps`, and the device
/// header's rule; each refusal is a 400 with a message.
#[tokio::test]
async fn the_sim_refuses_what_its_document_forbids() {
    let sim = sim().await;
    let long = "1".repeat(65);
    for query in [
        "carAssociationID=&stepsID=",
        "carAssociationID=",
        "stepsID=",
        "carAssociationID=%20987654",
        "carAssociationID=98%2F7654",
        &format!("carAssociationID={long}"),
        "stepsID=13%202324",
        "carAssociationID=987654&resetSteps=TRUE",
        "carAssociationID=987654&resetSteps=1",
        "carAssociationID=987654&stepsStatus=TODO",
    ] {
        let (status, body) = raw_list_query(&sim, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _) = raw_list_query(&sim, "carAssociationID=987654&resetSteps=true").await;
    assert_eq!(status, 200);
    let next = |device: &'static str, query: &'static str| {
        let url = format!("{}/pims/subscription/step?{query}", sim.url());
        async move {
            crate::http()
                .get(url)
                .header("X-Device-Id", device)
                .send()
                .await
                .expect("the sim answers")
                .status()
                .as_u16()
        }
    };
    assert_eq!(next("raw-device", "stepsID=").await, 400);
    assert_eq!(next("raw-device", "stepsID=13%2F2324").await, 400);
    assert_eq!(next("raw device", "stepsID=132324").await, 400);
    assert_eq!(next("raw-device", "stepsID=132324").await, 200);
}

/// Two runs of the demo backend (after `demo --fresh`, another process)
/// hand the same new vehicle different stepsIDs: a stepsID an open wizard
/// kept from the first names no vehicle of the second.
#[tokio::test]
async fn each_demo_run_hands_out_stepsids_of_its_own() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let demo = stepwise::sim::spawn_demo(Scenario::built_in(), None)
            .await
            .expect("demo starts");
        let list = by_car(&gateway(&demo, "dev-a"), "111111")
            .await
            .expect("a list");
        ids.push(list.steps_id.expect("a stepsID"));
    }
    assert_ne!(ids[0], ids[1]);
}
