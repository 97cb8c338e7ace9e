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
        "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test --test openapi` and commit it"
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
    assert_eq!(body, stepwise::sim::openapi_json());
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
    let lookup = &list["parameters"][0];
    assert_eq!(lookup["name"], "lookup");
    assert_eq!(lookup["schema"]["oneOf"].as_array().map(Vec::len), Some(2));
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
        let query: Vec<(String, String)> = example["value"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let response = reqwest::Client::new()
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
