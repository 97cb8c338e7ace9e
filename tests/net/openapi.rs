//! The OpenAPI document checked in under docs/ matches the one the code
//! generates, and the simulator serves it.

use std::path::Path;

#[test]
fn checked_in_openapi_matches_the_code() {
    let generated = stepwise::sim::openapi_json();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test --test net openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in [
        "/pims/subscription/steps",
        "/pims/subscription/step",
        "/sim/associations",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["components"]["schemas"]["StepsList"].is_object());
}

#[tokio::test]
async fn the_simulator_serves_its_contract() {
    let sim = stepwise::sim::spawn(stepwise::sim::Scenario::built_in(), None)
        .await
        .unwrap();
    let response = reqwest::get(format!("{}/openapi.json", sim.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    // The document names the address it was asked at.
    assert_eq!(body, stepwise::sim::openapi_json_at(&sim.url()));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["servers"][0]["url"], sim.url());
}

/// The document says what the server enforces, and its examples reach real
/// lists: every example of the list call opens a list on the simulator.
#[tokio::test]
async fn the_document_states_the_rules_and_its_examples_open_lists() {
    let doc: serde_json::Value = serde_json::from_str(&stepwise::sim::openapi_json()).unwrap();
    let id = &doc["components"]["schemas"]["Id"];
    assert_eq!(id["pattern"], stepwise::wire::ID_PATTERN);
    assert_eq!(id["maxLength"], stepwise::steps::MAX_ID_CHARS);
    let list = &doc["paths"]["/pims/subscription/steps"]["get"];
    // Two plain query parameters (generated clients send them as such),
    // each an id, neither required on its own.
    let lookup = &list["parameters"][0];
    assert_eq!(lookup["name"], stepwise::wire::CAR_PARAM);
    assert_eq!(
        list["parameters"][1]["name"],
        stepwise::wire::STEPS_ID_PARAM
    );
    for parameter in &list["parameters"].as_array().unwrap()[..2] {
        assert_eq!(parameter["in"], "query");
        assert_eq!(parameter["required"], false);
        assert_eq!(parameter["schema"]["$ref"], "#/components/schemas/Id");
    }
    // The bearer scheme is declared, and every steps call may use it.
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(list["security"], serde_json::json!([{}, {"bearer": []}]));
    // Each live event is described, not a bare string.
    let stream = &doc["paths"]["/pims/subscription/steps/events"]["get"]["responses"]["200"]["content"]
        ["text/event-stream"]["schema"];
    assert_eq!(stream["$ref"], "#/components/schemas/StepsEvent");
    let event = &doc["components"]["schemas"]["StepsEvent"];
    assert_eq!(event["properties"]["event"]["const"], "steps");
    let next = &doc["paths"]["/pims/subscription/step"]["get"];
    assert_eq!(
        next["parameters"][0]["schema"]["$ref"],
        "#/components/schemas/Id"
    );
    assert!(
        doc["components"]["schemas"]["Error"]["required"]
            .as_array()
            .is_some_and(|r| r.contains(&"message".into()))
    );

    let sim = stepwise::sim::spawn(stepwise::sim::Scenario::built_in(), None)
        .await
        .unwrap();
    let examples = lookup["examples"].as_object().expect("examples");
    assert!(examples.len() >= 3);
    for (name, example) in examples {
        let query = [(
            stepwise::wire::CAR_PARAM,
            example["value"].as_str().unwrap().to_owned(),
        )];
        let response = crate::http()
            .get(format!("{}/pims/subscription/steps", sim.url()))
            .query(&query)
            .header(stepwise::wire::DEVICE_HEADER, "example-device")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "example {name}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["stepsID"].is_number(), "example {name}: {body}");
    }
}

/// With `serve --stream-events 1` a stream ends after its first event, and
/// that event has the documented shape: `event: steps`, a numeric `id`, and
/// the list as JSON.
#[tokio::test]
async fn a_bounded_stream_ends_after_its_first_event_of_the_documented_shape() {
    use stepwise::sim::{Scenario, Shared, SimState};
    let shared = Shared::new(SimState::new(Scenario::built_in()), None).with_stream_events(Some(1));
    let sim = stepwise::sim::spawn_shared(shared).await.unwrap();
    let http = crate::http();
    let list: serde_json::Value = http
        .get(format!("{}/pims/subscription/steps", sim.url()))
        .query(&[(stepwise::wire::CAR_PARAM, "987654")])
        .header(stepwise::wire::DEVICE_HEADER, "bounded")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let steps_id = list["stepsID"].to_string();
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        http.get(format!("{}/pims/subscription/steps/events", sim.url()))
            .query(&[(stepwise::wire::STEPS_ID_PARAM, steps_id.as_str())])
            .header(stepwise::wire::DEVICE_HEADER, "bounded")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
    .await
    .expect("the stream ends by itself");
    let fields: Vec<(&str, &str)> = body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(':'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k, v.trim_start()))
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys.iter().filter(|k| **k == "data").count(), 1, "{body}");
    let field = |name: &str| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    assert_eq!(field("event"), Some("steps"), "{body}");
    assert!(
        field("id").is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit())),
        "{body}"
    );
    let data: serde_json::Value = serde_json::from_str(field("data").unwrap()).unwrap();
    assert_eq!(data["stepsID"], list["stepsID"]);
}
