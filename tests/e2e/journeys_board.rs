//! The board in a real terminal: the binary in a pseudo-terminal, driven by
//! keys. Every wait polls the screen with a bound; none is a sleep.

use crate::pty;

use std::time::Duration;

use pty::{Key, Spawn, http};
use stepwise::sim::{RunningSim, Scenario, spawn};

const SHORT: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(20);

/// The board row of `car`.
fn row<'a>(screen: &'a str, car: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {car} ")) && l.contains(" of "))
}

/// `demo --board`: 20 vehicles; `/` filters to one, `Enter` opens it, `s`
/// (the simulated customer) completes its next step, `Esc` comes back and
/// the row shows the step done.
#[test]
fn demo_board_filter_open_act_and_back() {
    let mut tui = Spawn::new(&["demo", "--board", "--fresh"]).start();
    let screen = tui.wait_for("20 rows with data", LONG, |s| {
        s.contains("board of 20 vehicles") && s.contains("0 failing") && row(s, "F0005").is_some()
    });
    // --fresh is said, not done silently.
    assert!(screen.contains("Demo started afresh"), "{screen}");
    assert!(
        row(&screen, "F0005").unwrap().contains("0 of 3"),
        "{screen}"
    );
    tui.send("/F0005");
    tui.key(Key::Enter);
    tui.wait_for("only F0005 shown", SHORT, |s| {
        row(s, "F0005").is_some() && row(s, "F0001").is_none() && s.contains("filter: F0005")
    });
    tui.key(Key::Enter);
    tui.wait_text("car F0005", SHORT);
    tui.send("s");
    tui.wait_text("1 of 3 done", SHORT);
    tui.key(Key::Esc);
    let screen = tui.wait_for("the board again, F0005 changed", SHORT, |s| {
        s.contains("board of 20 vehicles") && row(s, "F0005").is_some_and(|r| r.contains("1 of 3"))
    });
    assert!(
        row(&screen, "F0005").unwrap().contains("Device activation"),
        "the next step moved on: {screen}"
    );
    // Esc clears the filter: every vehicle is back.
    tui.key(Key::Esc);
    tui.wait_for("every row again", SHORT, |s| {
        row(s, "F0001").is_some() && !s.contains("filter:")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

/// A simulator with a fleet of 20, on a runtime of its own.
fn fleet_sim() -> (tokio::runtime::Runtime, RunningSim) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt
        .block_on(spawn(Scenario::built_in().with_fleet(20), None))
        .unwrap();
    (rt, sim)
}

/// `fleet --cars FILE` against a gateway: the board fills in; live, a
/// vehicle the customer finishes turns ready by itself and is announced.
#[test]
fn fleet_board_fills_in_and_a_vehicle_turns_ready_live() {
    let (_rt, sim) = fleet_sim();
    let home = tempfile::tempdir().unwrap();
    let ids: String = (1..=20).map(|i| format!("F{i:04}\n")).collect();
    let file = home.path().join("ids.txt");
    std::fs::write(&file, format!("# today\n{ids}")).unwrap();
    let url = sim.url();
    let mut tui = Spawn::new(&[
        "fleet",
        "--api",
        &url,
        "--cars",
        file.to_str().unwrap(),
        "--concurrency",
        "3",
    ])
    .home(home.path())
    .start();
    tui.wait_for("every row with data", LONG, |s| {
        s.contains("board of 20 vehicles") && !s.contains("not yet")
    });
    // F0002 has two steps done; the customer does the last one.
    tui.send("w");
    tui.wait_text("live ON", SHORT);
    let (status, body) = http(
        sim.addr,
        "POST",
        "/sim/associations/F0002/steps/mediumCarKey/complete",
    );
    assert_eq!(status, 200, "{body}");
    let screen = tui.wait_for("F0002 announced ready", LONG, |s| {
        s.contains("F0002 is ready") && row(s, "F0002").is_some_and(|r| r.contains("3 of 3"))
    });
    assert!(screen.contains("ready ·"), "{screen}");
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

/// The wizard with `--car` repeated opens the board on those vehicles.
#[test]
fn several_cars_on_the_wizard_open_the_board() {
    let mut tui = Spawn::new(&["demo", "--car", "111111", "--car", "222222"]).start();
    tui.wait_for("a board of two, both with data", LONG, |s| {
        s.contains("board of 2 vehicles")
            && row(s, "222222").is_some_and(|r| r.contains("3 of 3"))
            && row(s, "111111").is_some_and(|r| r.contains("0 of 3"))
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

/// `demo --board --report`: the report is the session's, every vehicle of
/// the board with its events, the step completed on one of them included.
#[test]
fn the_board_report_holds_every_vehicle_and_what_was_done() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("board.json");
    let mut tui = Spawn::new(&[
        "demo",
        "--board",
        "--fresh",
        "--report",
        report.to_str().unwrap(),
    ])
    .start();
    tui.wait_for("20 rows with data", LONG, |s| {
        s.contains("board of 20 vehicles") && s.contains("0 failing") && row(s, "F0005").is_some()
    });
    tui.send("/F0005");
    tui.key(Key::Enter);
    tui.wait_for("only F0005 shown", SHORT, |s| {
        row(s, "F0005").is_some() && row(s, "F0001").is_none()
    });
    tui.key(Key::Enter);
    tui.wait_text("car F0005", SHORT);
    tui.send("s");
    tui.wait_text("1 of 3 done", SHORT);
    tui.key(Key::Esc);
    tui.wait_for("the board again", SHORT, |s| {
        s.contains("board of 20 vehicles")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
    assert!(tui.screen_text().contains("Session report written"));
    let text = std::fs::read_to_string(&report).expect("the report was written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let vehicles = json["vehicles"].as_array().expect("vehicles");
    assert_eq!(vehicles.len(), 20, "{text}");
    let f5 = vehicles
        .iter()
        .find(|v| v["carAssociationID"] == "F0005")
        .expect("F0005 in the report");
    assert!(
        f5["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "simulated"),
        "{f5}"
    );
    assert_eq!(f5["steps"].as_array().map(Vec::len), Some(3), "{f5}");
}

/// A run that opened nothing says so instead of "written".
#[test]
fn an_empty_run_says_there_was_nothing_to_report() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("empty.md");
    let mut tui = Spawn::new(&["demo", "--report", report.to_str().unwrap()]).start();
    tui.wait_text("carAssociationID", SHORT);
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
    let screen = tui.screen_text();
    assert!(screen.contains("Nothing to report"), "{screen}");
    assert!(!screen.contains("Session report written"), "{screen}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("Nothing happened in this run"), "{text}");
}
