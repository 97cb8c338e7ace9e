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
