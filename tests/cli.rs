//! The built binary's `steps` and `next` commands: output, exit codes and
//! stderr, each run in its own HOME, against the embedded simulator or one
//! started by the test.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use stepwise::config::Secret;
use stepwise::sim::{RunningSim, Scenario, spawn};
use tempfile::TempDir;
use tokio::runtime::Runtime;

const TOKEN: &str = "s3cret-token";

// ---------------------------------------------------------------- helpers

/// A simulator on a loopback port, served by a runtime of its own that lives
/// as long as this value (the binary runs while the test thread waits).
struct Sim {
    running: RunningSim,
    _runtime: Runtime,
}

impl Sim {
    fn start(token: Option<&str>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(spawn(Scenario::built_in(), token.map(Secret::new)))
            .expect("sim starts");
        Sim {
            running,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        self.running.url()
    }
}

fn home() -> TempDir {
    tempfile::tempdir().expect("temp HOME")
}

/// The binary with a clean environment: its own HOME, no configured gateway,
/// token or config file.
fn stepwise(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("stepwise").expect("the binary is built");
    cmd.env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("STEPWISE_API")
        .env_remove("STEPWISE_TOKEN")
        .env_remove("STEPWISE_CONFIG")
        .env_remove("STEPWISE_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .timeout(Duration::from_secs(30));
    cmd
}

/// Runs the binary in `home` with `args`.
fn run(home: &Path, args: &[&str]) -> Output {
    stepwise(home).args(args).output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr")
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(out)))
}

/// The checklist line of a step, found by its wire name.
fn line_of(text: &str, step: &str) -> String {
    text.lines()
        .find(|l| l.split_whitespace().any(|word| word == step))
        .unwrap_or_else(|| panic!("no line for {step} in:\n{text}"))
        .to_owned()
}

fn write_token_file(dir: &Path, token: &str) -> std::path::PathBuf {
    let path = dir.join("token");
    std::fs::write(&path, format!("{token}\n")).expect("token file");
    path
}

// ---------------------------------------------------------------- embedded simulator

#[test]
fn steps_of_the_documented_car_print_a_checklist_marking_next_and_exit_3() {
    let home = home();
    let out = run(home.path(), &["steps", "--car", "987654"]);
    assert_exit(&out, 3);
    let text = stdout(&out);
    let line = line_of(&text, "deviceActivation");
    assert!(line.starts_with("[TODO] 2"), "{line}");
    assert!(line.ends_with("<- NEXT"), "{line}");
    assert!(line_of(&text, "trusterPhoneNumber").starts_with("[DONE] 1"));
    assert!(!line_of(&text, "mediumCarKey").contains("NEXT"));
    assert!(text.contains("stepsID 132324"), "{text}");
}

#[test]
fn steps_of_a_ready_car_exit_0() {
    let home = home();
    let out = run(home.path(), &["steps", "--car", "222222"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(!text.contains("[TODO]") && !text.contains("NEXT"), "{text}");
    assert!(text.contains("3 of 3 done"), "{text}");
}

#[test]
fn steps_json_gives_the_steps_id_next_and_steps_in_order() {
    let home = home();
    let out = run(home.path(), &["steps", "--car", "987654", "--json"]);
    assert_exit(&out, 3);
    let value = json(&out);
    assert_eq!(value["stepsID"], "132324");
    assert_eq!(value["next"], "deviceActivation");
    let steps: Vec<_> = value["steps"]
        .as_array()
        .expect("steps array")
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("trusterPhoneNumber", "alreadyDone"),
            ("deviceActivation", "todo"),
            ("mediumCarKey", "todo"),
        ]
    );
}

#[test]
fn an_unknown_car_exits_1_with_one_line_on_stderr_and_nothing_on_stdout() {
    let home = home();
    let out = run(home.path(), &["steps", "--car", "999999"]);
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("404") && err.contains("999999"), "{err}");
}

#[test]
fn steps_without_car_or_steps_id_is_a_usage_error() {
    let home = home();
    let out = run(home.path(), &["steps"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("--car"), "{}", stderr(&out));
}

#[test]
fn an_unknown_status_filter_is_a_usage_error() {
    let home = home();
    let out = run(home.path(), &["steps", "--status", "bogus"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("bogus"), "{}", stderr(&out));
}

// ---------------------------------------------------------------- a given gateway

#[test]
fn the_global_api_option_before_the_subcommand_is_used() {
    let sim = Sim::start(None);
    let home = home();
    let out = run(
        home.path(),
        &["--api", &sim.url(), "steps", "--car", "987654"],
    );
    assert_exit(&out, 3);
    let header = stdout(&out).lines().next().unwrap_or_default().to_owned();
    assert!(header.contains(&sim.url()), "{header}");
}

#[test]
fn an_unreachable_gateway_exits_1_saying_it_cannot_be_reached() {
    let home = home();
    let out = run(
        home.path(),
        &["--api", "http://127.0.0.1:1", "steps", "--car", "1"],
    );
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("cannot reach"), "{}", stderr(&out));
}

#[test]
fn next_uses_the_steps_id_an_earlier_run_got_with_the_same_device() {
    let sim = Sim::start(None);
    let home = home();
    let listed = run(
        home.path(),
        &["steps", "--car", "987654", "--api", &sim.url()],
    );
    assert_exit(&listed, 3);

    let out = run(
        home.path(),
        &[
            "next",
            "--steps-id",
            "132324",
            "--json",
            "--api",
            &sim.url(),
        ],
    );
    assert_exit(&out, 3);
    let value = json(&out);
    assert_eq!(value["stepsID"], "132324");
    assert_eq!(value["next"]["name"], "deviceActivation");
}

#[test]
fn another_home_is_another_device_and_cannot_use_the_steps_id() {
    let sim = Sim::start(None);
    let first = home();
    assert_exit(
        &run(
            first.path(),
            &["steps", "--car", "987654", "--api", &sim.url()],
        ),
        3,
    );
    let second = home();
    let out = run(
        second.path(),
        &["next", "--steps-id", "132324", "--api", &sim.url()],
    );
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
}

#[test]
fn reset_shows_the_truth_behind_a_stale_cache() {
    let sim = Sim::start(None);
    let home = home();
    let stale = run(
        home.path(),
        &["steps", "--car", "333333", "--api", &sim.url()],
    );
    assert_exit(&stale, 0);
    assert!(line_of(&stdout(&stale), "deviceActivation").starts_with("[DONE]"));

    let out = run(
        home.path(),
        &["steps", "--car", "333333", "--reset", "--api", &sim.url()],
    );
    assert_exit(&out, 3);
    let line = line_of(&stdout(&out), "deviceActivation");
    assert!(
        line.starts_with("[TODO]") && line.ends_with("<- NEXT"),
        "{line}"
    );
}

// ---------------------------------------------------------------- tokens

/// `steps --car 987654` against a simulator that wants TOKEN, with `token`
/// given in a token file.
fn steps_with_token_file(token: &str) -> Output {
    let sim = Sim::start(Some(TOKEN));
    let home = home();
    let file = write_token_file(home.path(), token);
    let args = ["--api", &sim.url(), "--token-file", file.to_str().unwrap()];
    run(
        home.path(),
        &[&args[..], &["steps", "--car", "987654"]].concat(),
    )
}

#[test]
fn a_token_file_with_the_right_token_is_accepted() {
    let out = steps_with_token_file(TOKEN);
    assert_exit(&out, 3);
    assert!(stdout(&out).contains("stepsID 132324"));
}

#[test]
fn a_wrong_token_exits_1_naming_the_token_options_without_printing_tokens() {
    let wrong = "wr0ng-t0ken-value";
    let out = steps_with_token_file(wrong);
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("--token-file") && err.contains("STEPWISE_TOKEN"),
        "{err}"
    );
    assert!(!err.contains(wrong) && !err.contains(TOKEN), "{err}");
}

#[test]
fn no_token_for_a_gateway_that_needs_one_exits_1() {
    let sim = Sim::start(Some(TOKEN));
    let home = home();
    let out = run(
        home.path(),
        &["--api", &sim.url(), "steps", "--car", "987654"],
    );
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
}

#[test]
fn the_token_environment_variable_is_used() {
    let sim = Sim::start(Some(TOKEN));
    let home = home();
    let out = stepwise(home.path())
        .env("STEPWISE_TOKEN", TOKEN)
        .args(["--api", &sim.url(), "steps", "--car", "987654", "--json"])
        .output()
        .expect("the binary runs");
    assert_exit(&out, 3);
    assert_eq!(json(&out)["stepsID"], "132324");
}
