//! Two simulators keeping one state file, as two runs of the demo backend
//! on one data directory do: no acknowledged change is lost.

use stepwise::sim::{Scenario, spawn_demo};

/// Each of two backends on one file completes half of many vehicles' only
/// step, all at once; every completion acknowledged is then in the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_backends_on_one_state_file_lose_no_acknowledged_change() {
    const CARS: usize = 60;
    let associations: Vec<serde_json::Value> = (0..CARS)
        .map(|i| {
            serde_json::json!({
                "carAssociationID": format!("C{i:03}"),
                "steps": [{"name": "a", "order": 1, "done": false}]
            })
        })
        .collect();
    let text = serde_json::json!({ "associations": associations }).to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo-state.json");
    let one = spawn_demo(Scenario::parse(&text).unwrap(), Some(file.clone()))
        .await
        .unwrap();
    let two = spawn_demo(Scenario::parse(&text).unwrap(), Some(file.clone()))
        .await
        .unwrap();
    let http = crate::http();
    let calls = (0..CARS).map(|i| {
        let base = if i % 2 == 0 { one.url() } else { two.url() };
        let http = http.clone();
        async move {
            let url = format!("{base}/sim/associations/C{i:03}/steps/a/complete");
            http.post(url).send().await.unwrap().status()
        }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    let kept: serde_json::Value = http
        .get(format!("{}/sim/associations", one.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = kept.to_string();
    let undone = text.matches("\"done\":false").count();
    assert_eq!(undone, 0, "{undone} acknowledged completions lost: {text}");
}
