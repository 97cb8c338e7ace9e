//! The embedded demo backend remembers across runs of the binary: its state
//! lives in the data directory, survives a corrupt file (starting fresh, with
//! a warning in the log), is never torn by two runs at once, and
//! `demo --fresh` starts it over.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The binary in its own HOME and XDG data directory, with no gateway,
/// token or config file from the environment.
fn stepwise(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("stepwise").expect("the binary is built");
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("STEPWISE_API")
        .env_remove("STEPWISE_TOKEN")
        .env_remove("STEPWISE_CONFIG")
        .env_remove("STEPWISE_LOG")
        .timeout(Duration::from_secs(30));
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    stepwise(home).args(args).output().expect("the binary runs")
}

fn state_file(home: &Path) -> PathBuf {
    home.join("data/stepwise/demo-state.json")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// `steps --car 987654` then `next --steps-id 132324`, in two runs.
fn list_then_next(home: &Path) -> Output {
    let first = run(home, &["steps", "--car", "987654", "--json"]);
    assert_exit(&first, 3);
    let list: Value = serde_json::from_slice(&first.stdout).expect("JSON list");
    assert_eq!(list["stepsID"], "132324");
    run(home, &["next", "--steps-id", "132324", "--json"])
}

#[test]
fn a_steps_id_from_one_run_works_in_the_next() {
    let home = TempDir::new().unwrap();
    let next = list_then_next(home.path());
    assert_exit(&next, 3);
    let step: Value = serde_json::from_slice(&next.stdout).expect("JSON step");
    assert_eq!(step["next"]["name"], "deviceActivation", "{step}");
    assert!(state_file(home.path()).is_file());
}

#[test]
fn a_fresh_run_does_not_know_the_steps_id() {
    let home = TempDir::new().unwrap();
    let next = run(home.path(), &["next", "--steps-id", "132324"]);
    assert_exit(&next, 1);
    assert!(
        text(&next.stderr).contains("HTTP 404"),
        "{}",
        text(&next.stderr)
    );
}

#[test]
fn demo_fresh_starts_over() {
    let home = TempDir::new().unwrap();
    assert_exit(&list_then_next(home.path()), 3);
    // No terminal here, so the wizard itself refuses to start; the state is
    // forgotten before that.
    run(home.path(), &["demo", "--fresh"]);
    assert!(!state_file(home.path()).exists());
    let next = run(home.path(), &["next", "--steps-id", "132324"]);
    assert_exit(&next, 1);
    assert!(
        text(&next.stderr).contains("HTTP 404"),
        "{}",
        text(&next.stderr)
    );
}

#[test]
fn a_corrupt_state_file_starts_fresh_with_a_warning_in_the_log() {
    let home = TempDir::new().unwrap();
    let file = state_file(home.path());
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{\"truth\": [oops").unwrap();
    let next = list_then_next(home.path());
    assert_exit(&next, 3);
    assert!(!text(&next.stderr).contains("panicked"));
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
        .expect("the state file is JSON again");
    assert!(kept.is_object());
    let logs = home.path().join("data/stepwise/logs");
    let log: String = std::fs::read_dir(&logs)
        .expect("a log directory")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert!(
        log.contains("the simulator's state is not usable, starting fresh"),
        "{log}"
    );
}

#[test]
fn runs_at_once_never_tear_the_state_file() {
    let home = TempDir::new().unwrap();
    assert_exit(&run(home.path(), &["steps", "--car", "987654"]), 3);
    let children: Vec<_> = ["111111", "222222", "333333", "444444", "987654", "111111"]
        .into_iter()
        .map(|car| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
                .args(["steps", "--car", car])
                .env("HOME", home.path())
                .env("XDG_DATA_HOME", home.path().join("data"))
                .env("XDG_CONFIG_HOME", home.path().join("config"))
                .env_remove("STEPWISE_API")
                .env_remove("STEPWISE_TOKEN")
                .env_remove("STEPWISE_CONFIG")
                .env_remove("STEPWISE_LOG")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("the run ends");
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{}",
            text(&out.stderr)
        );
    }
    let kept = std::fs::read_to_string(state_file(home.path())).unwrap();
    serde_json::from_str::<Value>(&kept).expect("the state file is whole");
    let next = run(home.path(), &["next", "--steps-id", "132324"]);
    assert_exit(&next, 3);
}

/// A demo backend that cannot keep its state (here its file's place is
/// taken by a folder; a full or read-only disk alike) says so on stderr and
/// exits non-zero, instead of printing a stepsID it never kept; no
/// temporary file is left behind.
#[test]
fn a_state_that_cannot_be_kept_is_said_not_pretended() {
    let home = TempDir::new().unwrap();
    let file = state_file(home.path());
    std::fs::create_dir_all(file.join("blocker")).unwrap();
    let out = run(home.path(), &["steps", "--car", "444444", "--json"]);
    assert_ne!(out.status.code(), Some(3), "{}", text(&out.stdout));
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("cannot save its state"), "{err}");
    assert!(!err.contains("507"), "{err}");
    assert!(
        !text(&out.stdout).contains("stepsID"),
        "{}",
        text(&out.stdout)
    );
    let litter: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("tmp") || name.ends_with(".part"))
        .collect();
    assert!(litter.is_empty(), "{litter:?}");
}

/// The data directory and what the demo writes there are the user's alone.
#[cfg(unix)]
#[test]
fn the_data_directory_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = TempDir::new().unwrap();
    assert_exit(&run(home.path(), &["steps", "--car", "987654"]), 3);
    let dir = state_file(home.path()).parent().unwrap().to_owned();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    assert_eq!(mode(&state_file(home.path())), 0o600);
}
