//! The built binary's `steps` and `next` commands: output, exit codes and
//! stderr, each run in its own HOME, against the embedded simulator or one
//! started by the test.

use crate::pty;

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
pub(crate) fn stepwise(home: &Path) -> Command {
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
        // Retries after a failure wait 10 ms, not 250 ms doubling: no test
        // here is about the back-off's length (the client's tests are).
        .env(stepwise::client::TEST_BACKOFF_MS, "10")
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
    // No gateway is configured: the demo backend answered, and says so
    // with the ids it knows (stranger 49, AX1).
    assert!(
        err.contains("the demo backend does not know this id"),
        "{err}"
    );
    assert!(
        err.contains("987654, 111111") && err.contains("give --api URL"),
        "{err}"
    );
    assert!(!err.contains("Check the carAssociationID"), "{err}");
    // A script is told the same, and to stop: the demo knows its own ids.
    let out = run(home.path(), &["steps", "--car", "999999", "--json"]);
    let failed = json(&out);
    assert_eq!(failed["backend"], "demo", "{failed}");
    assert_eq!(failed["action"], "stop", "{failed}");
    // A stepsID it does not know: asked again by carAssociationID, which
    // gives one, never "it knows 987654" as if that were a stepsID
    // (stranger 54, BC1).
    let out = run(home.path(), &["next", "--steps-id", "777888", "--json"]);
    assert_exit(&out, 1);
    let failed = json(&out);
    assert_eq!(failed["backend"], "demo", "{failed}");
    assert_eq!(failed["action"], "start_over", "{failed}");
    let err = stderr(&out);
    assert!(
        err.contains("the demo backend does not know this stepsID"),
        "{err}"
    );
    assert!(err.contains("`stepwise steps --car ID` gives one"), "{err}");
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
fn a_wrong_api_path_says_the_address_is_no_gateway_not_an_unknown_id() {
    let sim = Sim::start(None);
    let home = home();
    let api = format!("{}/api", sim.url());
    for (args, said) in [
        (
            vec!["--api", api.as_str(), "steps", "--car", "987654"],
            "this address is not a steps gateway",
        ),
        // The next step alone cannot tell a wrong --api from a gateway
        // without that call: both are named, with what --api looks like.
        (
            vec!["--api", api.as_str(), "next", "--steps-id", "132324"],
            "--api is not a steps gateway's base URL",
        ),
    ] {
        let out = run(home.path(), &args);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(said), "{err}");
        assert!(err.contains("pims/subscription/steps sits under"), "{err}");
        assert!(!err.contains("Check the carAssociationID"), "{err}");
    }
}

/// A gateway under a path whose every call, its discovery documents too,
/// answers 401: it publishes no sign-in. `steps` says so (its token comes
/// from whoever runs it), and `login` says sign-in is not offered, never
/// "sign in with `stepwise login`" or "retry later".
#[test]
fn a_gateway_that_hides_its_discovery_behind_401_offers_no_sign_in() {
    let wall = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let missing =
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let url = crate::canned::routing(vec![("GET /api/", wall)], missing);
    let api = format!("{url}/api");
    let home = home();
    let out = run(home.path(), &["--api", &api, "steps", "--car", "987654"]);
    let err = stderr(&out);
    assert!(err.contains("It offers no sign-in"), "{err}");
    assert!(!err.contains("Sign in with `stepwise login`"), "{err}");
    let out = run(home.path(), &["--api", &api, "login", "--device"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("does not offer sign-in"), "{err}");
    assert!(!err.contains("Retry later"), "{err}");
    // --api may be right: then the gateway takes a fixed token, said as
    // the way on, not "check --api" alone.
    assert!(
        err.contains("If --api is right, it takes a fixed token from whoever runs it: keep that token with `stepwise login"),
        "{err}"
    );
    // auth status names both ways to keep a login, not sign-in alone.
    let out = run(home.path(), &["--api", &api, "auth", "status"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("signs in where the gateway offers sign-in")
            && said.contains("--with-token` keeps a fixed token"),
        "{said}"
    );
}

/// A portal whose catch-all answers every other path with its HTML page,
/// the discovery documents' too: that page is no sign-in published, so a
/// 401 of the steps list says the gateway offers none (its token comes from
/// whoever runs it), never "sign in with `stepwise login`".
#[test]
fn a_portal_s_html_page_at_the_discovery_paths_is_no_sign_in() {
    let wall = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let page = "\n<!doctype html><html><body>Dealer portal</body></html>";
    let portal = crate::canned::reply("200 OK", "text/html", page);
    let url = crate::canned::routing(vec![("GET /pims/", wall)], portal.clone());
    let home = home();
    let out = run(home.path(), &["--api", &url, "steps", "--car", "987654"]);
    let err = stderr(&out);
    assert!(err.contains("It offers no sign-in"), "{err}");
    assert!(!err.contains("Sign in with `stepwise login`"), "{err}");
    let out = run(home.path(), &["--api", &url, "login", "--device"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("does not offer sign-in"), "{err}");
    assert!(!err.contains("not JSON"), "{err}");
    // A portal answers every call with its page: a token kept for it
    // would serve nothing, so none is kept.
    let portal_only = crate::canned::routing(vec![], portal);
    let out = stepwise(home.path())
        .env("STEPWISE_TOKEN_STORE", "file")
        .args(["--api", &portal_only, "login", "--with-token"])
        .write_stdin("a-token-for-the-portal\n")
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("Token not kept") && err.contains("a web page (HTML)"),
        "{err}"
    );
    assert!(
        !home
            .path()
            .join(".local/share/stepwise/logins.json")
            .exists()
    );
    // Signing in there is no better: the address publishes no sign-in
    // because it is no steps gateway, so the advice to keep a fixed token
    // (refused just above) is not given.
    for all_pages in [
        portal_only.clone(),
        crate::canned::routing(
            vec![],
            crate::canned::reply("404 Not Found", "text/html", page),
        ),
    ] {
        let out = run(home.path(), &["--api", &all_pages, "login", "--device"]);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains("Not signed in: this address publishes no sign-in")
                && err.matches("Give --api").count() <= 1
                && (err.contains("not a steps gateway") || err.contains("a web page (HTML)")),
            "{err}"
        );
        assert!(
            !err.contains("--with-token") && !err.contains("does not offer sign-in"),
            "{err}"
        );
    }
}

/// A gateway URL with its port typed twice is said so, never taken for an
/// IPv6 address without brackets; one without brackets is said as that.
#[test]
fn a_port_typed_twice_is_named_as_that() {
    let home = home();
    for (api, said, not) in [
        (
            "http://gw.example:8080:8080",
            "its port is written more than once",
            "IPv6",
        ),
        (
            "http://10.0.0.7:8080:8080/api",
            "its port is written more than once",
            "IPv6",
        ),
        (
            "http://fe80::1:8080",
            "its IPv6 address is not in brackets",
            "more than once",
        ),
        // A query would never be sent: refused, and its key never shown.
        (
            "http://127.0.0.1:9/api?apikey=s3cretQ",
            "it holds a query (?…), which stepwise never sends",
            "s3cretQ",
        ),
    ] {
        let out = run(home.path(), &["--api", api, "steps", "--car", "987654"]);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(said) && !err.contains(not), "{api}: {err}");
        // The sign-in commands and doctor read the address the same way:
        // never the URL parser's "invalid port number" or "empty host".
        for command in [&["auth", "status"][..], &["logout"], &["doctor"]] {
            let mut args = vec!["--api", api];
            args.extend(command);
            let out = run(home.path(), &args);
            let text = format!("{}{}", stdout(&out), stderr(&out));
            assert!(text.contains(said), "{args:?}: {text}");
            assert!(
                !text.contains("invalid port number")
                    && !text.contains("empty host")
                    && !text.contains(not.strip_prefix("s3cret").map_or("never", |_| not)),
                "{args:?}: {text}"
            );
        }
    }
}

/// A message that says "check --api" when the address came from
/// STEPWISE_API or the config file says where it came from, so the
/// technician fixes the setting that is used; typed as --api, no such line.
#[test]
fn a_message_naming_api_says_where_the_address_came_from() {
    let missing =
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let url = crate::canned::routing(vec![], missing);
    let home = home();
    let config = home.path().join("shop.toml");
    std::fs::write(&config, format!("api = \"{url}/wrong\"\n")).unwrap();
    let from_env = stepwise(home.path())
        .env("STEPWISE_API", &url)
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    let from_config = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    let typed = run(home.path(), &["--api", &url, "steps", "--car", "987654"]);
    for (out, place) in [
        (
            &from_env,
            Some("came from STEPWISE_API, not from --api".to_owned()),
        ),
        (
            &from_config,
            Some(format!(
                "came from `api` in the config file {}, not from --api",
                config.display()
            )),
        ),
        (&typed, None),
    ] {
        assert_exit(out, 1);
        let err = stderr(out);
        assert!(err.contains("--api"), "{err}");
        match place {
            Some(place) => assert!(err.contains(&place), "{err}"),
            None => assert!(!err.contains("came from"), "{err}"),
        }
    }
    // doctor's gateway line names the place too.
    let out = stepwise(home.path())
        .env("STEPWISE_API", &url)
        .args(["doctor"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{url}/ (from STEPWISE_API)")),
        "{text}"
    );
    // An address that cannot be used at all says where it came from too.
    let twice = stepwise(home.path())
        .env("STEPWISE_API", "http://gw.example:8080:8080")
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    assert!(
        stderr(&twice).contains("came from STEPWISE_API"),
        "{}",
        stderr(&twice)
    );
    let no_scheme = home.path().join("no-scheme.toml");
    std::fs::write(&no_scheme, "api = \"gw.example:8080\"\n").unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &no_scheme)
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("came from `api` in the config file"),
        "{}",
        stderr(&out)
    );
    let out = stepwise(home.path())
        .env("STEPWISE_API", "http://gw.example:8080:8080")
        .args(["doctor"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("its port is written more than once"),
        "{text}"
    );
    assert!(
        text.contains("Fix STEPWISE_API, where this address came from"),
        "{text}"
    );
    // auth status and logout say it too; doctor for an address with no
    // scheme (refused with the settings) names the setting to fix.
    let out = stepwise(home.path())
        .env("STEPWISE_API", "http://gw.example:8080:8080")
        .args(["auth", "status"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("came from STEPWISE_API"),
        "{}",
        stderr(&out)
    );
    let out = stepwise(home.path())
        .env("STEPWISE_API", "gw.example:8080")
        .args(["doctor"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("Fix STEPWISE_API, where this address came from"),
        "{}",
        stdout(&out)
    );
}

/// `auth status` with no token, on a gateway that answers without one:
/// "none needed", never "run `stepwise login`" (stranger 39, AN9); on one
/// that wants a token, the advice to sign in stays.
#[test]
fn auth_status_on_a_gateway_that_needs_no_token_advises_no_sign_in() {
    let open = Sim::start(None);
    let home = home();
    let out = run(home.path(), &["--api", &open.url(), "auth", "status"]);
    // Calls can be made as they are: exit 0 (stranger 45, AT14).
    assert_exit(&out, 0);
    let said = stdout(&out);
    let in_use = said
        .lines()
        .find(|l| l.starts_with("In use:"))
        .unwrap_or("");
    assert!(in_use.contains("none needed"), "{said}");
    assert!(!in_use.contains("stepwise login"), "{said}");
    let out = run(
        home.path(),
        &["--api", &open.url(), "auth", "status", "--json"],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["token_needed"], serde_json::json!(false), "{json}");
    let closed = Sim::start(Some(TOKEN));
    let out = run(home.path(), &["--api", &closed.url(), "auth", "status"]);
    let said = stdout(&out);
    // A gateway of fixed tokens offers no sign-in: `login --with-token`
    // first, never `stepwise login` (stranger 44, AS16).
    assert!(
        said.contains("In use:    no token, and the gateway wants one. It offers no sign-in")
            && said.contains("`stepwise login --api")
            && said.contains("--with-token`"),
        "{said}"
    );
    assert!(!said.contains("Run `stepwise login"), "{said}");
    let out = run(
        home.path(),
        &["--api", &closed.url(), "auth", "status", "--json"],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["token_needed"], serde_json::json!(true), "{json}");
    // Nothing answers: whether a token is needed is not known, and said
    // so with why (stranger 41, AP1).
    let down = format!("http://127.0.0.1:{}", crate::pty::free_port());
    let out = run(home.path(), &["--api", &down, "auth", "status"]);
    let said = stdout(&out);
    // Its words whole, with their fix, and no sign-in to an address that
    // could not be asked (stranger 70, BS4).
    assert!(
        said.contains("could not be asked: cannot reach the gateway at")
            && said.contains("Check that it runs")
            && said.contains("Once it answers, `stepwise auth status --api"),
        "{said}"
    );
    assert!(!said.contains("If it wants one"), "{said}");
    let out = run(home.path(), &["--api", &down, "auth", "status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["token_needed"], serde_json::Value::Null, "{json}");
    // Why it could not be asked, in English whatever the language
    // (stranger 52, BA5).
    let why = json["gateway_error"].as_str().unwrap_or_default();
    assert!(why.starts_with("cannot reach the gateway at"), "{json}");
    let out = run(
        home.path(),
        &["--lang", "de", "--api", &down, "auth", "status", "--json"],
    );
    let german: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(german["gateway_error"], json["gateway_error"], "{german}");
}

/// With the address typed as --api, the commands a message suggests carry
/// it (as printed, `stepwise login` would ask for a gateway, and `stepwise
/// steps` run on the embedded simulator); from STEPWISE_API they need none.
#[test]
fn suggested_commands_carry_the_api_that_was_typed() {
    let sim = Sim::start(Some(TOKEN));
    let home = home();
    let out = run(
        home.path(),
        &["--api", &sim.url(), "steps", "--car", "987654"],
    );
    let err = stderr(&out);
    let typed = format!("`stepwise login --api {} --with-token`", sim.url());
    assert!(err.contains(&typed), "{err}");
    let out = stepwise(home.path())
        .env("STEPWISE_API", sim.url())
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("`stepwise login --with-token`") && !err.contains("login --api"),
        "{err}"
    );
}

#[test]
fn a_401_says_whether_a_token_was_sent_and_which_one_was_refused() {
    let sim = Sim::start(Some(TOKEN));
    let home = home();
    let out = run(
        home.path(),
        &["--api", &sim.url(), "steps", "--car", "987654"],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("none was sent"), "{err}");
    let wrong = write_token_file(home.path(), "not-the-token");
    let out = run(
        home.path(),
        &[
            "--api",
            &sim.url(),
            "--token-file",
            wrong.to_str().unwrap(),
            "steps",
            "--car",
            "987654",
        ],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("refused the token from --token-file"), "{err}");
    assert!(!err.contains("give a token with --token-file"), "{err}");
    assert!(!err.contains("not-the-token"), "{err}");
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

/// A stepsID the gateway has no step for (404, code 2346) to `next` is
/// that stepsID's, not "check the carAssociationID or stepsID": the list
/// asked again by carAssociationID gives the current one (stranger 59, BH10).
#[test]
fn next_for_a_steps_id_the_gateway_forgot_says_to_ask_the_list_again() {
    let sim = Sim::start(None);
    let home = home();
    let out = run(
        home.path(),
        &["next", "--steps-id", "zzz999", "--api", &sim.url()],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("has no step for this stepsID: it does not know it, or has forgotten it")
            && err.contains(&format!("`stepwise steps --api {} --car ID`", sim.url()))
            && !err.contains("Check the carAssociationID or stepsID"),
        "{err}"
    ); // A token file given by flag goes with the command suggested, as --api
    // does: without it the command would be refused (stranger 60, BI8).
    let token = home.path().join("token.txt");
    std::fs::write(&token, "some-token\n").unwrap();
    let token = token.to_str().unwrap();
    let out = run(
        home.path(),
        &[
            "next",
            "--steps-id",
            "zzz999",
            "--api",
            &sim.url(),
            "--token-file",
            token,
        ],
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "`stepwise steps --api {} --token-file {token} --car ID`",
            sim.url()
        )),
        "{err}"
    );
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
    // The reset is said, first; without --reset nothing says so.
    assert!(
        stdout(&out).starts_with("The steps cache was reset (resetSteps=true)"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&stale).contains("cache was reset"));
}

/// `steps` with no vehicle names every way to give one, in its words and
/// in its usage line (the usage line had no --cars and no --deadline).
#[test]
fn steps_without_a_vehicle_names_every_way_to_give_one() {
    let home = home();
    let out = run(home.path(), &["steps"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("steps needs --car ID, --cars FILE or --steps-id ID"),
        "{err}"
    );
    let usage = err
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_default();
    for part in ["--car ID", "--cars FILE", "--steps-id ID", "--deadline"] {
        assert!(usage.contains(part), "{part} missing: {err}");
    }
}

/// An Excel workbook given as --cars is named as one, with how to save a
/// CSV, not a list of "bad lines" of zip bytes.
#[test]
fn a_workbook_given_as_cars_is_named() {
    let home = home();
    let book = home.path().join("book.xlsx");
    std::fs::write(&book, b"PK\x03\x04\x14\x00\x06\x00binary workbook bytes").unwrap();
    let out = run(home.path(), &["steps", "--cars", book.to_str().unwrap()]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("is an Excel workbook, not text"), "{err}");
    assert!(err.contains("CSV UTF-8"), "{err}");
    assert!(!err.contains("line 1"), "{err}");
}

/// `steps --steps-id ID --reset` with another device's stepsID: the
/// contract's 403 is said as such, with the reset by carAssociationID as
/// the way on, never "the gateway refused the steps-cache reset … remove
/// all enrollments" (stranger 40, AO1).
#[test]
fn a_reset_by_another_device_s_steps_id_names_the_reset_by_car() {
    let sim = Sim::start(None);
    let first = home();
    let out = run(
        first.path(),
        &["steps", "--car", "987654", "--api", &sim.url()],
    );
    assert_exit(&out, 3);
    let other = home();
    let out = run(
        other.path(),
        &[
            "steps",
            "--steps-id",
            "132324",
            "--reset",
            "--api",
            &sim.url(),
        ],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 403: this stepsID belongs to another device"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "`stepwise steps --api {} --car ID --reset`",
            sim.url()
        )),
        "{err}"
    );
    assert!(!err.contains("refused the steps-cache reset"), "{err}");
    assert!(!err.contains("enrollments"), "{err}");
}

/// `next` with a stepsID of another device names the command that gets
/// this device its own, and says the gateway's words once.
#[test]
fn next_with_another_device_s_steps_id_names_the_command_that_gets_one() {
    let sim = Sim::start(None);
    let first = home();
    let out = run(
        first.path(),
        &["steps", "--car", "987654", "--api", &sim.url()],
    );
    assert_exit(&out, 3);
    let other = home();
    let out = run(
        other.path(),
        &["next", "--steps-id", "132324", "--api", &sim.url()],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("HTTP 403"), "{err}");
    assert!(
        err.contains(&format!("`stepwise steps --api {} --car ID`", sim.url())),
        "{err}"
    );
    assert_eq!(err.matches("belongs to another device").count(), 1, "{err}");
    // The JSON's words carry the same command (stranger 83, CF5).
    let out = run(
        other.path(),
        &[
            "next",
            "--steps-id",
            "132324",
            "--api",
            &sim.url(),
            "--json",
        ],
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON line");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!("`stepwise steps --api {} --car ID`", sim.url()))),
        "{line}"
    );
    // A device id that cannot be kept: every run is a new device, so the
    // way out is the data folder, not another stepsID from `steps`.
    let blocked = home();
    let share = blocked.path().join(".local/share");
    std::fs::create_dir_all(&share).unwrap();
    std::fs::write(share.join("stepwise"), "a file, not a folder").unwrap();
    let out = run(
        blocked.path(),
        &["next", "--steps-id", "132324", "--api", &sim.url()],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("could not keep its device id"), "{err}");
    assert!(!err.contains("`stepwise steps --car ID`"), "{err}");
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
    // The refused token is named by where it came from.
    assert!(err.contains("refused the token from --token-file"), "{err}");
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

// ---------------------------------------------------------------- credentials in URLs

const PASSWORD: &str = "hunter2";

/// Every file under `dir`, read as bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.push((path, bytes));
            }
        }
    }
    found
}

/// Asserts the password shows nowhere: stdout, stderr, or any file the run
/// left in its HOME (the log, the device id) other than the config file the
/// test wrote itself.
fn assert_no_password(home: &Path, out: &Output, written: &Path) {
    assert!(!stdout(out).contains(PASSWORD), "stdout: {}", stdout(out));
    assert!(!stderr(out).contains(PASSWORD), "stderr: {}", stderr(out));
    for (path, bytes) in files_under(home) {
        if path == written {
            continue;
        }
        assert!(
            !pty::contains(&bytes, PASSWORD.as_bytes()),
            "{} holds the password",
            path.display()
        );
    }
}

#[test]
fn a_url_with_a_user_name_or_password_is_refused_and_never_shown() {
    let url = format!("http://admin:{PASSWORD}@127.0.0.1:1");
    /// (args, environment, config file text)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, String)>, Option<String>);
    let cases: Vec<Case> = vec![
        (
            vec!["steps", "--car", "987654", "--api", &url],
            vec![],
            None,
        ),
        (
            vec!["next", "--steps-id", "132324", "--api", &url],
            vec![],
            None,
        ),
        (
            vec!["steps", "--car", "987654"],
            vec![("STEPWISE_API", url.clone())],
            None,
        ),
        (
            vec!["steps", "--car", "987654"],
            vec![],
            Some(format!("api = \"{url}\"\n")),
        ),
        (
            vec!["steps", "--car", "987654"],
            vec![(
                "STEPWISE_DOCS_URL",
                format!("https://user:{PASSWORD}@help.example"),
            )],
            None,
        ),
        (
            vec!["steps", "--car", "987654"],
            vec![],
            Some(format!(
                "docs_base_url = \"https://u:{PASSWORD}@h.example\"\n"
            )),
        ),
    ];
    for (args, env, config) in cases {
        let home = home();
        let config_path = home.path().join("config.toml");
        let mut cmd = stepwise(home.path());
        cmd.env_remove("STEPWISE_DOCS_URL").args(&args);
        for (key, value) in &env {
            cmd.env(key, value);
        }
        if let Some(text) = &config {
            std::fs::write(&config_path, text).unwrap();
            cmd.env("STEPWISE_CONFIG", &config_path);
        }
        let out = cmd.output().expect("the binary runs");
        assert_exit(&out, 1);
        let err = stderr(&out);
        // One line, and where the address came from when not typed.
        assert!(
            err.contains("user name or password")
                && err.lines().count() <= 2
                && err.lines().skip(1).all(|l| l.contains("came from")),
            "{args:?} {env:?}: {err}"
        );
        assert_no_password(home.path(), &out, &config_path);
    }
}

#[test]
fn the_client_refuses_a_base_url_with_user_info_without_showing_it() {
    let url = format!("http://admin:{PASSWORD}@127.0.0.1:1");
    let err = match stepwise::client::Gateway::new(&url, "dev".into(), None, Default::default()) {
        Ok(_) => panic!("a URL with a password was accepted"),
        Err(e) => e,
    };
    assert!(!err.to_string().contains(PASSWORD), "{err}");
    let words = stepwise::describe::gateway_error(stepwise::text::Lang::En, &err);
    assert!(
        words.contains("user name or password") && !words.contains(PASSWORD),
        "{words}"
    );
}

/// Every file stepwise reads has a size cap: an endless file is refused
/// with the cap said, not read whole.
#[cfg(target_os = "linux")]
#[test]
fn endless_input_files_are_refused_with_their_cap() {
    let home = home();
    type Case<'a> = (&'a [&'a str], Option<(&'a str, &'a str)>);
    let cases: [Case; 5] = [
        (&["steps", "--cars", "/dev/zero"], None),
        (&["steps", "--car", "1", "--token-file", "/dev/zero"], None),
        (&["steps", "--car", "1", "--ca-file", "/dev/zero"], None),
        (
            &["steps", "--car", "1"],
            Some(("STEPWISE_CONFIG", "/dev/zero")),
        ),
        (&["serve", "--scenario", "/dev/zero"], None),
    ];
    for (args, env) in cases {
        // https: a plain-HTTP gateway needs no CA file and reads none.
        let mut cmd = stepwise(home.path());
        cmd.env("STEPWISE_LANG", "en").args(args).args(
            ["--api", "https://127.0.0.1:9"]
                .iter()
                .filter(|_| args[0] == "steps"),
        );
        if let Some((key, value)) = env {
            cmd.env(key, value);
        }
        let out = cmd.output().expect("the binary runs");
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("larger than"), "{args:?}: {err}");
    }
}

/// No help text shows an environment variable's value: a URL with a
/// password in STEPWISE_API, a token in STEPWISE_SERVE_TOKEN.
#[test]
fn help_never_shows_the_value_of_an_environment_variable() {
    let home = home();
    let url = format!("http://admin:{PASSWORD}@127.0.0.1:1");
    let helps: [&[&str]; 5] = [
        &["--help"],
        &["-h"],
        &["steps", "--help"],
        &["help", "doctor"],
        &["serve", "--help"],
    ];
    for args in helps {
        for lang in ["en", "fr"] {
            let out = stepwise(home.path())
                .env("STEPWISE_API", &url)
                .env("STEPWISE_CA_FILE", format!("/{PASSWORD}.pem"))
                .env("STEPWISE_SERVE_TOKEN", TOKEN)
                .env("STEPWISE_LANG", lang)
                .args(args)
                .output()
                .expect("the binary runs");
            assert_exit(&out, 0);
            let text = stdout(&out);
            // serve takes no --api (its help leaves it out), but its token
            // variable is shown by name.
            let variable = if args[0] == "serve" {
                "STEPWISE_SERVE_TOKEN"
            } else {
                "STEPWISE_API"
            };
            assert!(text.contains(variable), "{args:?}: {text}");
            assert!(
                !text.contains(PASSWORD) && !text.contains(TOKEN),
                "{args:?}: {text}"
            );
        }
    }
}

/// A process that holds a token leaves no core file: its core-size limit
/// is 0.
#[cfg(target_os = "linux")]
#[test]
fn a_process_holding_a_token_dumps_no_core() {
    use std::io::BufRead;
    let home = home();
    let token = write_token_file(home.path(), TOKEN);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .env_remove("STEPWISE_SERVE_TOKEN")
        .env("STEPWISE_LANG", "en")
        .args(["serve", "--addr", "127.0.0.1:0", "--token-file"])
        .arg(&token)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut banner = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(banner.contains("listening"), "{banner}");
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let soft = core.split_whitespace().nth(4).unwrap();
    assert_eq!(soft, "0", "{core}");
}

#[test]
fn the_wizard_refuses_a_url_with_a_password_before_drawing_anything() {
    let url = format!("http://admin:{PASSWORD}@127.0.0.1:1");
    let mut tui = pty::Spawn::new(&["--car", "987654", "--api", &url]).start();
    let status = tui.wait_exit(Duration::from_secs(10));
    assert_eq!(status.exit_code(), 1, "{}", tui.screen_text());
    assert!(!pty::contains(&tui.raw_bytes(), PASSWORD.as_bytes()));
    assert!(!tui.alternate_screen());
    assert!(tui.screen_text().contains("user name or password"));
}

// ---------------------------------------------------------------- options a subcommand would ignore

#[test]
fn every_subcommand_refuses_a_global_option_it_would_ignore() {
    let home = home();
    let token = write_token_file(home.path(), TOKEN);
    let token = token.to_str().unwrap();
    let report = home.path().join("r.md");
    let report = report.to_str().unwrap();
    // The embedded simulator, or a port where nothing listens.
    let api = "http://127.0.0.1:1";
    let subcommands: [(&str, &[&str]); 5] = [
        ("wizard", &[]),
        ("demo", &["demo"]),
        // A scenario that does not exist: serve ends at once after the checks.
        (
            "serve",
            &["serve", "--scenario", "/nonexistent/scenario.json"],
        ),
        ("steps", &["steps", "--steps-id", "132324"]),
        ("next", &["next", "--steps-id", "132324"]),
    ];
    let options: [(&str, &str); 4] = [
        ("--api", api),
        ("--car", "987654"),
        ("--token-file", token),
        ("--report", report),
    ];
    // (subcommand, option) pairs refused, with the word of why.
    let refused: [(&str, &str, &str); 8] = [
        ("demo", "--api", "embedded simulator"),
        ("demo", "--token-file", "needs no token"),
        ("serve", "--api", "it is the gateway"),
        ("serve", "--car", "every car"),
        ("serve", "--report", "wizard"),
        ("steps", "--report", "prints its result"),
        ("next", "--report", "prints its result"),
        ("next", "--car", "--steps-id"),
    ];
    for (name, args) in subcommands {
        for (option, value) in options {
            // steps refuses --car with --steps-id already (clap): use --car alone.
            let args: Vec<&str> = if name == "steps" && option == "--car" {
                vec!["steps"]
            } else {
                args.to_vec()
            };
            let out = run(home.path(), &[&args[..], &[option, value]].concat());
            let err = stderr(&out);
            match refused.iter().find(|(n, o, _)| *n == name && *o == option) {
                Some((_, _, why)) => {
                    assert_exit(&out, 2);
                    let says = format!("{name} does not use {option}: ");
                    assert!(err.contains(&says) && err.contains(why), "{err}");
                    assert_eq!(err.lines().count(), 1, "{err}");
                }
                None => {
                    assert_ne!(out.status.code(), Some(2), "{name} {option}: {err}");
                    assert!(!err.contains("does not use"), "{name} {option}: {err}");
                }
            }
        }
    }
    // The same option from the environment is configuration, not a request.
    let out = stepwise(home.path())
        .env("STEPWISE_API", api)
        .args(["serve", "--scenario", "/nonexistent/scenario.json"])
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("does not use"), "{}", stderr(&out));
}

/// A scenario file that cannot be served is named in the chosen language,
/// the system's and the checks' causes included: no English in German.
#[test]
fn a_bad_scenario_is_named_in_the_chosen_language() {
    let home = home();
    let twice = home.path().join("twice.json");
    std::fs::write(
        &twice,
        r#"{"associations":[{"carAssociationID":"7","steps":[]},{"carAssociationID":"7","steps":[]}]}"#,
    )
    .unwrap();
    let cases = [
        (
            "/nonexistent/scenario.json".to_owned(),
            "das Szenario /nonexistent/scenario.json ist nicht lesbar: Datei nicht gefunden",
        ),
        (
            twice.display().to_string(),
            "die carAssociationID 7 kommt zweimal vor",
        ),
    ];
    for (path, words) in cases {
        let out = run(home.path(), &["--lang", "de", "serve", "--scenario", &path]);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(words), "{err}");
        assert!(err.contains("Die Datei korrigieren"), "{err}");
        for english in ["cannot", "No such file", "appears twice", "the scenario"] {
            assert!(!err.contains(english), "{english:?} in {err}");
        }
    }
}

/// `stepwise serve` as a child process, killed when dropped.
struct Serve {
    child: std::process::Child,
    url: String,
}

impl Serve {
    /// Starts `serve args` and reads the URL from its banner (bounded).
    fn start(home: &Path, args: &[&str]) -> Serve {
        let mut cmd = std::process::Command::new(pty::BIN);
        pty::scrub_command(&mut cmd, home);
        let mut child = cmd
            .arg("serve")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
            let _ = tx.send(line);
        });
        let banner = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("serve prints its banner");
        let url = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in the banner: {banner}"))
            .to_owned();
        Serve { child, url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` runs until stopped: Ctrl-C (SIGINT), a service manager's
/// SIGTERM and a closed terminal's SIGHUP all stop it in order, exit 0
/// (SIGTERM was 143, SIGINT 0).
#[cfg(unix)]
#[test]
fn serve_stops_in_order_on_sigint_sigterm_and_sighup() {
    for signal in ["-INT", "-TERM", "-HUP"] {
        let home = home();
        let mut serve = Serve::start(home.path(), &["--addr", "127.0.0.1:0"]);
        let pid = serve.child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let status = crate::wait::until("serve to stop", Duration::from_secs(10), || {
            serve.child.try_wait().expect("try_wait")
        });
        assert_eq!(status.code(), Some(0), "{signal}: {status:?}");
    }
}

/// `auth status` with a token given by hand and a gateway it could not
/// ask: said not tried, with why, exit 1 and `gateway_error` in --json;
/// never "In use" as if tried (stranger 73, BV8).
#[test]
fn auth_status_says_a_given_token_it_could_not_try() {
    let home = home();
    let token = home.path().join("token.txt");
    std::fs::write(&token, "a-token-of-the-gateway\n").unwrap();
    let down = format!("http://127.0.0.1:{}", crate::pty::free_port());
    let args = [
        "--api",
        down.as_str(),
        "--token-file",
        token.to_str().unwrap(),
        "auth",
        "status",
    ];
    let out = run(home.path(), &args);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("not tried: the gateway could not be asked whether it takes it: cannot reach the gateway"),
        "{said}"
    );
    let out = run(home.path(), &[&args[..], &["--json"]].concat());
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert!(json["gateway_error"].is_string(), "{json}");
}

/// `auth status` with a token given by hand and a gateway that takes the
/// connection and never answers: said not tried, the gateway silent, exit
/// 1; never "In use" as if tried, nor a network setting blamed.
#[test]
fn auth_status_says_a_given_token_a_silent_gateway_did_not_judge() {
    let home = home();
    let token = home.path().join("token.txt");
    std::fs::write(&token, "a-token-of-the-gateway\n").unwrap();
    let silent = crate::canned::silent();
    let args = [
        "--api",
        silent.as_str(),
        "--token-file",
        token.to_str().unwrap(),
        "auth",
        "status",
    ];
    let out = run(home.path(), &args);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "not tried: the gateway could not be asked whether it takes it: the gateway at {silent}/ took the connection but did not answer within 5.0 s"
        )),
        "{said}"
    );
    assert!(!said.contains("network settings"), "{said}");
}

/// Ctrl-C on `steps --cars` before every list is in: a line on stderr says
/// the run was cut and why nothing was printed, exit 130 (stranger 69,
/// BR14).
#[cfg(unix)]
#[test]
fn steps_cars_interrupted_says_so() {
    let home = home();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (asked, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
            let _ = asked.send(());
        }
    });
    let ids = home.path().join("ids.txt");
    std::fs::write(&ids, "987654\n111111\n").unwrap();
    let mut cmd = std::process::Command::new(crate::pty::BIN);
    crate::pty::scrub_command(&mut cmd, home.path());
    for proxy in crate::pty::PROXY_ENV {
        cmd.env_remove(proxy);
    }
    let child = cmd
        .args(["steps", "--api", &url, "--cars", ids.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    heard
        .recv_timeout(Duration::from_secs(20))
        .expect("a list is asked");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: the lists of the 2 vehicles are printed together")
            && err.contains("so none was printed"),
        "{err}"
    );
}

/// An empty --api (a shell variable that was not set) is refused, never
/// taken for "no gateway" with the embedded simulator's data and exit 3.
#[test]
fn an_empty_api_is_refused_not_taken_for_the_simulator() {
    let home = home();
    let flag = stepwise(home.path())
        .args(["steps", "--car", "987654", "--json", "--api", ""])
        .output()
        .unwrap();
    let env = stepwise(home.path())
        .env("STEPWISE_API", " ")
        .args(["steps", "--car", "987654", "--json"])
        .output()
        .unwrap();
    for out in [flag, env] {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(out.stdout.is_empty(), "no simulated list");
        assert!(err.contains("is given but empty"), "{err}");
    }
    // `api = ""` in the config file: the same, naming the file.
    let config = home.path().join("config.toml");
    std::fs::write(&config, "api = \"\"\n").unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .args(["steps", "--car", "987654", "--json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty(), "no simulated list");
    assert!(
        err.contains(&format!(
            "`api` in the config file ({}) is empty",
            config.display()
        )),
        "{err}"
    );
}

/// The embedded simulator's data folder blocked by a file is said as the
/// local matter it is, never "HTTP 507: the gateway failed ... tell the
/// gateway's operator".
#[test]
fn a_demo_data_folder_in_the_way_is_named_not_a_failing_gateway() {
    let home = home();
    let share = home.path().join(".local/share");
    std::fs::create_dir_all(&share).unwrap();
    std::fs::write(share.join("stepwise"), "a file, not a folder").unwrap();
    let out = stepwise(home.path())
        .args(["--lang", "de", "steps", "--car", "987654"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("der eingebaute Simulator kann seinen Zustand nicht"),
        "{err}"
    );
    assert!(
        err.contains("eine Datei steht dort, wo ein Ordner sein muss"),
        "{err}"
    );
    assert!(!err.contains("507") && !err.contains("os error"), "{err}");
    // doctor fails it too, rather than all ✓.
    let out = stepwise(home.path()).args(["doctor"]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("a file is in the way where a folder must be"),
        "{report}"
    );
    assert!(
        report.starts_with("stepwise doctor: the embedded simulator\n"),
        "{report}"
    );
}

/// A data folder in the way on a real gateway: the device id cannot be
/// kept, so every run is a new device and earlier stepsIDs are refused;
/// said once, with the cause, before anything else. The login file behind
/// it is "in the way", not a matter of permissions.
#[test]
fn a_device_id_that_cannot_be_kept_is_said() {
    let home = home();
    let share = home.path().join(".local/share");
    std::fs::create_dir_all(&share).unwrap();
    std::fs::write(share.join("stepwise"), "a file, not a folder").unwrap();
    let out = stepwise(home.path())
        .args(["steps", "--car", "987654", "--api", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let folder = share.join("stepwise").display().to_string();
    assert!(
        err.contains(&format!(
            "stepwise: warning: the device id cannot be kept in {folder} (a file is in the way where a folder must be)"
        )),
        "{err}"
    );
    assert!(
        err.contains("refuses the stepsIDs of earlier runs"),
        "{err}"
    );
    assert!(
        !err.contains("Check its permissions") && !err.contains("os error"),
        "{err}"
    );
    // A folder where the device-id file goes: that path is named.
    let home = self::home();
    let data = home.path().join(".local/share/stepwise");
    std::fs::create_dir_all(data.join("device-id")).unwrap();
    let out = stepwise(home.path())
        .args(["steps", "--car", "987654", "--api", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let file = data.join("device-id").display().to_string();
    assert!(
        err.contains(&format!(
            "the device id cannot be kept in {file} (a folder is in the way where a file must be)"
        )),
        "{err}"
    );
    assert!(!err.contains("Make that a folder"), "{err}");
}

/// The embedded simulator that cannot save its state file (here its lock
/// is a folder: no right of root gets past that) is a file on this machine,
/// said so in the reader's language: no "HTTP 507, the gateway failed,
/// tell its operator". doctor fails it too.
#[test]
fn a_demo_state_file_that_cannot_be_saved_is_named_not_a_failing_gateway() {
    let home = home();
    let first = stepwise(home.path())
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    assert!(first.status.code() == Some(3) || first.status.code() == Some(0));
    let data = home.path().join(".local/share/stepwise");
    let lock = data.join("demo-state.lock");
    let _ = std::fs::remove_file(&lock);
    std::fs::create_dir(&lock).unwrap();
    let out = stepwise(home.path())
        .args(["--lang", "fr", "steps", "--car", "987654", "--reset"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The path at fault is named: the lock in the way, not the state
    // file beside it (stranger 48, AW7).
    let file = lock.display().to_string();
    assert!(
        err.contains(&format!(
            "le simulateur intégré ne peut pas enregistrer son état dans {file}"
        )),
        "{err}"
    );
    assert!(!err.contains("demo-state.json"), "{err}");
    assert!(
        !err.contains("507") && !err.contains("os error") && !err.contains("exploitant"),
        "{err}"
    );
    let out = stepwise(home.path()).args(["doctor"]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("the embedded simulator cannot save its state in")
            && report.contains("demo-state.lock"),
        "{report}"
    );
}

/// serve's start-up failures are in the chosen language, not the system's
/// English ("Address already in use (os error 98)").
#[test]
fn serve_start_up_failures_speak_the_chosen_language() {
    let home = home();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = stepwise(home.path())
        .args(["--lang", "de", "serve", "--addr", &addr])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("dieser Port ist schon belegt (von einem Programm, das dort lauscht"),
        "{err}"
    );
    assert!(
        !err.contains("os error") && !err.contains("in use"),
        "{err}"
    );
    // A file where --tls-dir must be a folder: said so, not "File exists".
    let file = home.path().join("tlsfile");
    std::fs::write(&file, "a file").unwrap();
    let out = stepwise(home.path())
        .args([
            "--lang",
            "de",
            "serve",
            "--tls",
            "--addr",
            "127.0.0.1:0",
            "--tls-dir",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("eine Datei steht dort, wo ein Ordner sein muss") && !err.contains("os error"),
        "{err}"
    );
}

/// `serve --log` says each request, filtered, on its standard output, for
/// the person at the simulator; once that output is closed, it serves on.
#[test]
fn serve_log_says_each_request_and_serves_on_without_its_output() {
    use std::io::BufRead;
    let home = home();
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home.path());
    let mut child = cmd
        .args(["serve", "--log", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let banner = rx.recv_timeout(Duration::from_secs(15)).expect("a banner");
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the URL")
        .to_owned();
    let out = stepwise(home.path())
        .args(["steps", "--car", "987654", "--api", &url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a request line");
    assert!(
        line.contains(" GET /pims/subscription/steps?carAssociationID=987654")
            && line.contains(" 200 ")
            && line.ends_with(" ms"),
        "{line}"
    );
    // The reader stops at the next line and closes the pipe: requests after
    // that are served all the same.
    drop(rx);
    let run = || {
        let out = stepwise(home.path())
            .args(["steps", "--car", "987654", "--api", &url])
            .output()
            .unwrap();
        out.status.code()
    };
    assert_eq!(run(), Some(3));
    reader.join().unwrap();
    assert_eq!(run(), Some(3), "served on after its output closed");
    assert!(child.try_wait().unwrap().is_none(), "still running");
    let _ = child.kill();
    let _ = child.wait();
}

/// What `serve args` wrote on stderr by the time its banner was out.
fn serve_stderr(home: &Path, args: &[&str]) -> String {
    let log = home.join("serve.stderr");
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home);
    let mut child = cmd
        .arg("serve")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("a file for stderr"))
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let _ = tx.send(line);
    });
    let banner = rx.recv_timeout(Duration::from_secs(15));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.is_ok_and(|b| b.contains("listening")),
        "serve printed no banner"
    );
    std::fs::read_to_string(&log).expect("stderr kept")
}

#[test]
fn serve_beyond_loopback_without_a_token_warns_that_the_control_calls_are_open() {
    let home = home();
    let open = "can be reached from other machines and asks for no token";
    let err = serve_stderr(home.path(), &["--addr", "0.0.0.0:0"]);
    assert!(err.contains(open) && err.contains("--token-file"), "{err}");
    let err = serve_stderr(home.path(), &["--addr", "0.0.0.0:0", "--token", TOKEN]);
    assert!(!err.contains(open), "{err}");
    let err = serve_stderr(home.path(), &["--addr", "127.0.0.1:0"]);
    assert!(!err.contains(open), "{err}");
}

#[test]
fn serve_with_a_token_file_requires_that_token_and_takes_a_host_name() {
    let home = home();
    let token = write_token_file(home.path(), TOKEN);
    let token = token.to_str().unwrap();
    let serve = Serve::start(
        home.path(),
        &["--addr", "localhost:0", "--token-file", token],
    );
    let without = run(
        home.path(),
        &["--api", &serve.url, "steps", "--car", "987654"],
    );
    assert_exit(&without, 1);
    assert!(stderr(&without).contains("401"), "{}", stderr(&without));
    let with = run(
        home.path(),
        &[
            "--api",
            &serve.url,
            "--token-file",
            token,
            "steps",
            "--car",
            "987654",
        ],
    );
    assert_exit(&with, 3);
}

#[test]
fn serve_refuses_two_tokens_and_names_what_cannot_be_resolved() {
    let home = home();
    let token = write_token_file(home.path(), TOKEN);
    let out = run(
        home.path(),
        &[
            "serve",
            "--token",
            "x",
            "--token-file",
            token.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("not both"), "{}", stderr(&out));

    let out = run(home.path(), &["serve", "--token", " "]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("--token is empty"),
        "{}",
        stderr(&out)
    );

    let out = run(home.path(), &["serve", "--addr", "localhost"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("no port"), "{}", stderr(&out));

    let out = run(
        home.path(),
        &["serve", "--addr", "no-such-host.invalid:8080"],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("cannot resolve --addr no-such-host.invalid:8080"),
        "{err}"
    );

    // A mistyped IPv4 address is said to be one, not sent to DNS.
    let out = run(home.path(), &["serve", "--addr", "999.1.1.1:46330"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("the IP address 999.1.1.1 is not valid")
            && err.contains("a number from 0 to 255"),
        "{err}"
    );
    assert!(!err.contains("DNS"), "{err}");
}

// ---------------------------------------------------------------- output that cannot be written

/// The binary as a plain process (its stdout the test's to choose), in a
/// clean environment.
fn plain(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home);
    cmd
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_normal_exit_code() {
    let home = home();
    for (args, code) in [
        (&["steps", "--car", "987654", "--json"][..], 3),
        (&["steps", "--car", "987654"][..], 3),
        (&["steps", "--car", "222222"][..], 0),
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        // The reader is gone before the binary writes anything.
        drop(reader);
        let out = plain(home.path())
            .args(args)
            .stdout(writer)
            .output()
            .expect("the binary runs");
        assert_exit(&out, code);
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_full_disk_is_one_line_on_stderr_and_exit_1() {
    let home = home();
    for args in [&["steps", "--car", "987654", "--json"][..], &["--help"][..]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = plain(home.path())
            .args(args)
            .stdout(full)
            .output()
            .expect("the binary runs");
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("cannot write the output") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn serve_keeps_serving_when_its_banner_cannot_be_written() {
    let home = home();
    let port = pty::free_port();
    let addr = format!("127.0.0.1:{port}");
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home.path());
    let child = cmd
        .args(["serve", "--addr", &addr])
        .stdout(writer)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut serve = Serve {
        child,
        url: format!("http://{addr}"),
    };
    crate::wait::until("serve to listen", Duration::from_secs(15), || {
        assert!(matches!(serve.child.try_wait(), Ok(None)), "serve ended");
        std::net::TcpStream::connect(&addr).ok()
    });
    let out = run(
        home.path(),
        &["--api", &serve.url, "steps", "--car", "987654"],
    );
    assert_exit(&out, 3);
    assert!(matches!(serve.child.try_wait(), Ok(None)), "serve ended");
}

// ---------------------------------------------------------------- config and token files

#[test]
fn a_config_file_named_by_stepwise_config_must_exist_and_be_a_file() {
    let home = home();
    let missing = home.path().join("nowhere.toml");
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &missing)
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(&missing.display().to_string()) && err.contains("does not exist"),
        "{err}"
    );

    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", home.path())
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out).to_lowercase();
    assert!(
        err.contains("is a folder") && !err.contains("remove"),
        "{err}"
    );
}

#[test]
fn a_config_file_error_says_the_line_and_column() {
    let home = home();
    let path = home.path().join("config.toml");
    std::fs::write(
        &path,
        "# gateway\napi = \"http://127.0.0.1:1\"\ntoken = [\n",
    )
    .unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &path)
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("at line 3, column"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn token_file_errors_name_the_file_and_what_is_wrong() {
    let home = home();
    let missing = home.path().join("no-token");
    let folder = home.path().to_owned();
    let two = home.path().join("two");
    std::fs::write(&two, "abc\ndef\n").unwrap();
    for (path, says) in [
        (&missing, "does not exist"),
        (&folder, "is a folder"),
        (&two, "holds 2 lines"),
    ] {
        let out = run(
            home.path(),
            &[
                "steps",
                "--car",
                "987654",
                "--token-file",
                path.to_str().unwrap(),
            ],
        );
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "token file {} (from --token-file) {says}",
                path.display()
            )),
            "{err}"
        );
        assert!(
            !err.contains("entity not found") && !err.contains("abc"),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------- --report checked at start

#[test]
fn a_report_path_that_cannot_be_written_is_refused_at_once() {
    let home = home();
    let folder = home.path().to_str().unwrap().to_owned();
    let orphan = home.path().join("no-such-folder").join("r.md");
    let slashed = format!("{}/r.json/", home.path().display());
    for (args, says) in [
        (vec!["--report", folder.as_str()], "is a folder"),
        (vec!["demo", "--report", folder.as_str()], "is a folder"),
        (vec!["--report", orphan.to_str().unwrap()], "does not exist"),
        (
            vec!["--report", "/dev/null/r.md"],
            "/dev/null is not a folder",
        ),
        // No one, not even root, can make a file in /proc/self: said so,
        // not the system's "entity not found".
        (
            vec!["--report", "/proc/self/r.md"],
            "cannot be written (no file can be made in that folder",
        ),
        // A file there that opens for writing, in a folder that takes no
        // new file: the report (written beside, then renamed) cannot be.
        (
            vec!["--report", "/proc/version"],
            "cannot be written (no file can be made in that folder",
        ),
        // A folder's path where no folder is: a file name is wanted.
        (vec!["--report", &slashed], "ends with a slash"),
    ] {
        let out = run(home.path(), &args);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(says) && !err.contains("terminal"), "{err}");
        assert!(!err.contains("entity not found"), "{err}");
    }
    // In the reader's language, with no English of the system's.
    let out = run(
        home.path(),
        &["--lang", "de", "--report", "/proc/self/r.md"],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("kann keine Datei angelegt werden"), "{err}");
    // sysfs answers "permission denied", even to root: the same system
    // folder, not a locked file.
    #[cfg(target_os = "linux")]
    for lang in ["en", "de"] {
        let out = run(home.path(), &["--lang", lang, "--report", "/sys/r.md"]);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains("/proc") && !err.contains("locked") && !err.contains("gesperrt"),
            "{err}"
        );
    }
    // A writable path passes the check (the wizard then wants a terminal)
    // and leaves no file behind.
    let fine = home.path().join("r.md");
    let out = run(home.path(), &["--report", fine.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("interactive terminal"));
    assert!(!fine.exists());
}

/// `auth status` with a token given by hand tries it once: one the gateway
/// refuses is said so, exit 1, so `auth status && steps` does not go on
/// to a 401 (stranger 48, AW1); one it takes is exit 0.
#[test]
fn auth_status_says_a_given_token_the_gateway_refuses() {
    let closed = Sim::start(Some(TOKEN));
    let home = home();
    let status = |token: &str| {
        stepwise(home.path())
            .env("STEPWISE_TOKEN", token)
            .args(["--api", &closed.url(), "auth", "status"])
            .output()
            .unwrap()
    };
    let out = status("not-the-token");
    assert_exit(&out, 1);
    let said = stdout(&out);
    assert!(
        said.contains("but the gateway refused it just now (HTTP 401)"),
        "{said}"
    );
    assert_exit(&status(TOKEN), 0);
}

/// `login` keeps a token from standard input: `--token-file` beside it is
/// refused with the way that works, never read past in silence (stranger
/// 48, AW9), and `login --help` does not offer it.
#[test]
fn login_refuses_a_token_file_it_would_not_read() {
    let home = home();
    let out = run(
        home.path(),
        &[
            "login",
            "--with-token",
            "--token-file",
            "tok",
            "--api",
            "http://127.0.0.1:9",
        ],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("--token-file") && err.contains("`stepwise login --with-token < PATH`"),
        "{err}"
    );
    let help = stdout(&run(home.path(), &["login", "--help"]));
    assert!(!help.contains("--token-file"), "{help}");
}

/// `demo` without a terminal: the `steps` command it suggests for scripts
/// answers from the embedded simulator only where no gateway is
/// configured, and the words say so (stranger 46, AU8); the wizard's own
/// words need not.
#[test]
fn demo_without_a_terminal_says_when_steps_answers_from_the_simulator() {
    let home = home();
    let out = run(home.path(), &["demo", "--board"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("interactive terminal")
            && err.contains("answers from the same embedded simulator only where no gateway is configured")
            // The board demo's vehicles are its own (stranger 48, AW3).
            && err.contains("`stepwise steps --car 987654` (or 111111")
            && err.contains("the board demo's F0001… exist inside it alone"),
        "{err}"
    );
    let err = stderr(&run(home.path(), &["--car", "987654"]));
    assert!(
        err.contains("interactive terminal") && !err.contains("only where no gateway"),
        "{err}"
    );
}

/// `steps --json` over several vehicles: each failed line's `error` holds
/// the commands it suggests as they can be run (with the gateway typed as
/// --api, and that line's vehicle), as stderr does; an app code's remedy
/// for one vehicle names it, not `--car ID`.
#[test]
fn json_errors_suggest_commands_that_can_be_run() {
    let home = home();
    let api = crate::canned::answering(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let out = run(
        home.path(),
        &[
            "steps", "--api", &api, "--car", "987654", "--car", "111111", "--json",
        ],
    );
    assert_exit(&out, 1);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    for line in &lines {
        let error = line["error"].as_str().unwrap();
        assert!(
            error.contains(&format!("`stepwise login --api {api}")),
            "{error}"
        );
    }
    let coded = crate::canned::answering(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 36\r\nConnection: close\r\n\r\n{\"code\":2312,\"message\":\"device off\"}".to_vec(),
    );
    let out = run(home.path(), &["steps", "--api", &coded, "--car", "987654"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "`stepwise steps --api {coded} --car 987654 --reset`"
        )),
        "{err}"
    );
}

/// The wizard without a terminal points a script at `stepwise steps`: with
/// the gateway typed as --api, that command carries it (as printed without
/// it, it would read the embedded simulator); from STEPWISE_API, nothing is
/// added.
#[test]
fn the_wizard_without_a_terminal_suggests_steps_with_the_typed_api() {
    let home = home();
    let api = "http://127.0.0.1:9";
    let out = run(home.path(), &["--api", api, "--car", "987654"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("`stepwise steps --api http://127.0.0.1:9 --car 987654 [--json]`"),
        "{}",
        stderr(&out)
    );
    let out = stepwise(home.path())
        .env("STEPWISE_API", api)
        .args(["--car", "987654"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("`stepwise steps --car 987654 [--json]`"),
        "{}",
        stderr(&out)
    );
}

/// The report replaces what is at its path, so a device, a pipe or a link
/// is refused before the session (as root, `--report /dev/null` replaced
/// the device), and so is the ids file the session reads.
#[cfg(unix)]
#[test]
fn a_report_never_replaces_a_device_a_link_or_the_ids_file() {
    let home = home();
    let target = home.path().join("elsewhere.md");
    std::fs::write(&target, "kept").unwrap();
    let link = home.path().join("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let ids = home.path().join("ids.csv");
    std::fs::write(&ids, "987654\n").unwrap();
    let ids_arg = ids.to_str().unwrap();
    for args in [
        vec!["--report", "/dev/null"],
        vec!["demo", "--report", "/dev/full"],
        vec!["--report", link.to_str().unwrap()],
    ] {
        let out = run(home.path(), &args);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("is not a regular file"), "{args:?}: {err}");
    }
    let out = run(
        home.path(),
        &["fleet", "--cars", ids_arg, "--report", ids_arg],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("is the ids file given with --cars"), "{err}");
    assert_eq!(std::fs::read_to_string(&ids).unwrap(), "987654\n");
    // Nor the token file or the config file this run reads.
    let token = home.path().join("token.txt");
    std::fs::write(&token, "a-token\n").unwrap();
    let token_arg = token.to_str().unwrap();
    let out = run(
        home.path(),
        &[
            "--token-file",
            token_arg,
            "--car",
            "987654",
            "--report",
            token_arg,
        ],
    );
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("is the token file given with --token-file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&token).unwrap(), "a-token\n");
    let config = home.path().join("config.toml");
    std::fs::write(&config, "lang = \"en\"\n").unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .args(["--car", "987654", "--report", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("is the config file this run reads"),
        "{}",
        stderr(&out)
    );
    // Nor a file of stepwise's own data folder: its kept sign-ins.
    let data = home.path().join(".local/share/stepwise");
    std::fs::create_dir_all(&data).unwrap();
    let logins = data.join("logins.json");
    std::fs::write(&logins, "{}").unwrap();
    let out = run(
        home.path(),
        &["--car", "987654", "--report", logins.to_str().unwrap()],
    );
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("is in stepwise's own data folder"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&logins).unwrap(), "{}");
    // The data folder itself is said so, not "give a file name in it".
    let out = run(
        home.path(),
        &["--car", "987654", "--report", data.to_str().unwrap()],
    );
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("is in stepwise's own data folder")
            && !stderr(&out).contains("Give a file name in it"),
        "{}",
        stderr(&out)
    );
    // Nor any file that is not a report stepwise wrote: the CA file or
    // the client key this run reads, the technician's own notes.
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let ca = home.path().join("shop-ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let notes = home.path().join("notes.md");
    std::fs::write(&notes, "# Monday\ncall Mrs Meier\n").unwrap();
    for (flags, report) in [
        (vec!["--ca-file", ca.to_str().unwrap()], &ca),
        (vec!["--client-key", ca.to_str().unwrap()], &ca),
        (vec![], &notes),
    ] {
        let mut args = flags.clone();
        args.extend(["--car", "987654", "--report", report.to_str().unwrap()]);
        let out = run(home.path(), &args);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains("already holds a file that is not a stepwise report"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("MIIB") && !err.contains("Meier"), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), pem);
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "# Monday\ncall Mrs Meier\n"
    );
    // A report of an earlier run is replaced as before (the check passes;
    // the wizard then wants a terminal).
    let earlier = home.path().join("earlier.json");
    std::fs::write(
        &earlier,
        "{\n  \"backend\": \"demo\",\n  \"vehicles\": []\n}\n",
    )
    .unwrap();
    let out = run(
        home.path(),
        &["--car", "987654", "--report", earlier.to_str().unwrap()],
    );
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("interactive terminal"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "lang = \"en\"\n");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

// ---------------------------------------------------------------- next's order

#[test]
fn next_keeps_the_order_the_gateway_sent_and_says_why_it_differs() {
    let sim = Sim::start(None);
    let home = home();
    let listed = run(
        home.path(),
        &["steps", "--car", "987654", "--json", "--api", &sim.url()],
    );
    assert_exit(&listed, 3);
    let in_list = json(&listed)["steps"][1].clone();
    assert_eq!(in_list["name"], "deviceActivation");
    assert_eq!(in_list["order"], 2);
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
    let next = json(&out)["next"].clone();
    assert_eq!(next["name"], "deviceActivation");
    assert_eq!(next["order"], 1);

    let help = stdout(&run(home.path(), &["next", "--help"]));
    assert!(
        help.contains("numbers the step it returns on its own"),
        "{help}"
    );
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains("`next` gives `order` as the next-step answer sent it"),
        "README does not explain next's order"
    );
}

// ---------------------------------------------------------------- a dumb terminal

#[test]
fn the_wizard_refuses_a_dumb_terminal_without_escapes() {
    let mut tui = pty::Spawn::new(&["--car", "987654"])
        .env("TERM", "dumb")
        .start();
    let status = tui.wait_exit(Duration::from_secs(10));
    assert_eq!(status.exit_code(), 1, "{}", tui.screen_text());
    let raw = tui.raw_bytes();
    assert!(!raw.contains(&0x1b), "escape sequences sent: {raw:?}");
    let screen = tui.screen_text();
    assert!(
        screen.contains("TERM=dumb") && screen.contains("stepwise steps"),
        "{screen}"
    );
}

// ---------------------------------------------------------------- filtered views

#[test]
fn a_filtered_list_never_claims_completion() {
    let home = home();
    let out = run(
        home.path(),
        &["steps", "--car", "987654", "--status", "alreadyDone"],
    );
    // No returned step is todo: exit 0, and the output says it is filtered.
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("filtered: 1 alreadyDone shown; run without --status for the whole list"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("nothing left"), "{text}");

    let out = run(
        home.path(),
        &["steps", "--car", "987654", "--status", "done", "--json"],
    );
    assert_exit(&out, 0);
    let value = json(&out);
    assert_eq!(value["stepsStatus"], "alreadyDone");
    assert_eq!(value["complete"], Value::Null);
    assert_eq!(value["next"], Value::Null);

    let out = run(home.path(), &["steps", "--car", "222222", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["complete"], true);
    let out = run(home.path(), &["steps", "--car", "987654", "--json"]);
    assert_eq!(json(&out)["complete"], false);
    assert_eq!(json(&out)["reset"], false);
    // A reset is said in the JSON too (stranger 40, AO18), one vehicle or
    // several.
    let out = run(
        home.path(),
        &["steps", "--car", "333333", "--reset", "--json"],
    );
    assert_eq!(json(&out)["reset"], true, "{}", stdout(&out));
    let out = run(
        home.path(),
        &[
            "steps", "--car", "333333", "--car", "987654", "--reset", "--json",
        ],
    );
    for line in stdout(&out).lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["reset"], true, "{line}");
    }
}

/// A gateway that ignores stepsStatus: the JSON keeps the steps as they
/// came, and stderr says the filter was not applied; the filter's own
/// answer (the simulator's) says nothing.
#[test]
fn a_filter_the_gateway_ignored_is_said_beside_the_json() {
    let body = r#"{"stepsID":"1","a":{"name":"a","status":"alreadyDone","order":1},"b":{"name":"b","status":"todo","order":2}}"#;
    let api = crate::canned::answering(crate::canned::reply("200 OK", "application/json", body));
    let home = home();
    let out = run(
        home.path(),
        &[
            "steps", "--api", &api, "--car", "987654", "--status", "todo", "--json",
        ],
    );
    assert_eq!(json(&out)["stepsStatus"], "todo");
    // And the JSON says it too (stranger 79, CB8).
    assert_eq!(json(&out)["filter_applied"], false);
    let said = stderr(&out);
    assert!(
        said.contains(
            "warning: the gateway did not apply the filter: 1 of the 2 steps in its answer has the status alreadyDone"
        ),
        "{said}"
    );
    let out = run(
        home.path(),
        &["steps", "--car", "987654", "--status", "todo", "--json"],
    );
    assert!(!stderr(&out).contains("did not apply"), "{}", stderr(&out));
    assert_eq!(json(&out)["filter_applied"], true);
    let out = run(home.path(), &["steps", "--car", "987654", "--json"]);
    assert_eq!(json(&out)["filter_applied"], Value::Null);
    // Steps to do under a status outside the contract ("pending"): not
    // done, counted as the filter's and shown raw, never "the gateway did
    // not apply the filter" (stranger 46, AU2).
    let body = r#"{"stepsID":"1","a":{"name":"a","status":"pending","order":1},"b":{"name":"b","status":"todo","order":2}}"#;
    let api = crate::canned::answering(crate::canned::reply("200 OK", "application/json", body));
    let out = run(
        home.path(),
        &[
            "steps", "--api", &api, "--car", "987654", "--status", "todo",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!said.contains("did not apply"), "{said}");
    assert!(said.contains("filtered: 2 todo shown"), "{said}");
    assert!(said.contains("(status \"pending\")"), "{said}");
    // A filtered list names no next step, as its JSON's `next` is null
    // (stranger 77, BZ6); the whole list does.
    let filtered = run(
        home.path(),
        &["steps", "--car", "987654", "--status", "todo"],
    );
    assert!(
        !stdout(&filtered).contains("<- NEXT"),
        "{}",
        stdout(&filtered)
    );
    assert!(
        !stdout(&filtered).contains("(waits)"),
        "{}",
        stdout(&filtered)
    );
    let whole = run(home.path(), &["steps", "--car", "987654"]);
    assert!(stdout(&whole).contains("<- NEXT"), "{}", stdout(&whole));
}

#[test]
fn the_domain_knows_nothing_of_clap() {
    let steps = include_str!("../../src/steps.rs");
    assert!(!steps.contains("clap"), "src/steps.rs names clap");
}

#[test]
fn the_readme_states_the_rust_version_of_cargo_toml() {
    let manifest = include_str!("../../Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("Cargo.toml states a rust-version")
        .trim_matches('"');
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&format!("Rust toolchain ({version} or newer")),
        "README does not state rust-version {version}"
    );
}

/// `--version` answers even when STEPWISE_LANG names no language this tool
/// speaks (a script asking which stepwise this is); any command still
/// refuses it, naming the variable.
#[test]
fn version_answers_whatever_stepwise_lang_holds() {
    let home = home();
    let out = stepwise(home.path())
        .env("STEPWISE_LANG", "xx")
        .arg("--version")
        .output()
        .expect("the binary runs");
    assert_exit(&out, 0);
    assert!(stdout(&out).starts_with("stepwise "), "{}", stdout(&out));
    let out = stepwise(home.path())
        .env("STEPWISE_LANG", "xx")
        .args(["steps", "--car", "987654"])
        .output()
        .expect("the binary runs");
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("STEPWISE_LANG"), "{err}");
}

/// `serve --addr 0.0.0.0:PORT` names the address other machines and phones
/// open (0.0.0.0 is none): this machine's own, found by the route out.
#[test]
fn serve_on_every_address_names_the_one_other_machines_use() {
    let home = home();
    let port = pty::free_port();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .env("STEPWISE_LANG", "en")
        .args(["serve", "--addr", &format!("0.0.0.0:{port}")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    use std::io::BufRead;
    // The banner's lines come at once; the listening line is the last of
    // the ones this test needs when no other address exists.
    while out.read_line(&mut banner).unwrap_or(0) > 0 && !banner.contains("Ctrl-C stops") {}
    let mut more = String::new();
    let own = {
        let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).unwrap();
        socket
            .connect(("192.0.2.1", 9))
            .ok()
            .and_then(|()| socket.local_addr().ok())
            .map(|a| a.ip())
            .filter(|ip| !ip.is_loopback())
    };
    if own.is_some() {
        out.read_line(&mut more).unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.contains(&format!("http://0.0.0.0:{port}")),
        "{banner}"
    );
    match own {
        Some(ip) => assert!(
            more.contains(&format!("reach it at http://{ip}:{port}")),
            "{banner}{more}"
        ),
        None => assert!(!banner.contains("reach it at"), "{banner}"),
    }
}

/// `serve --auth` on 0.0.0.0 names its device page at the address it says
/// other machines reach it at (127.0.0.1 when there is none), never at
/// 0.0.0.0, which no phone or browser opens.
#[test]
fn serve_auth_on_every_address_names_a_device_page_a_browser_opens() {
    let home = home();
    let port = pty::free_port();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .env("STEPWISE_LANG", "en")
        .args(["serve", "--addr", &format!("0.0.0.0:{port}"), "--auth"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    use std::io::BufRead;
    while out.read_line(&mut banner).unwrap_or(0) > 0 && !banner.contains("device sign-in on") {}
    let _ = child.kill();
    let _ = child.wait();
    let own = {
        let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).unwrap();
        socket
            .connect(("192.0.2.1", 9))
            .ok()
            .and_then(|()| socket.local_addr().ok())
            .map(|a| a.ip())
            .filter(|ip| !ip.is_loopback())
    };
    let reach = own.map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string());
    let line = banner
        .lines()
        .find(|l| l.starts_with("device sign-in on"))
        .unwrap_or_else(|| panic!("no device sign-in line:\n{banner}"));
    assert!(
        line.ends_with(&format!("or open http://{reach}:{port}/device")),
        "{banner}"
    );
    if own.is_some() {
        assert!(
            banner.contains(&format!("reach it at http://{reach}:{port}")),
            "{banner}"
        );
    }
}

/// Without a terminal, the command suggested to a script names the
/// vehicles as they were given: each `--car`, and `--cars FILE` (quoted
/// where a shell would split it), never one `--car ID` for a board.
#[test]
fn without_a_terminal_the_script_command_names_the_vehicles_given() {
    let home = home();
    let ids = home.path().join("my ids.txt");
    std::fs::write(&ids, "987654\n111111\n").unwrap();
    let file = ids.to_str().unwrap();
    for (args, said) in [
        (
            vec!["--car", "987654", "--car", "111111"],
            "`stepwise steps --car 987654 --car 111111 [--json]`".to_owned(),
        ),
        (
            vec!["fleet", "--cars", file],
            format!("`stepwise steps --cars '{file}' [--json]`"),
        ),
        (
            vec!["--car", "987654"],
            "`stepwise steps --car 987654 [--json]`".to_owned(),
        ),
    ] {
        let out = run(home.path(), &args);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains("interactive terminal") && err.contains(&said),
            "{err}"
        );
    }
}

/// A proxy variable that applies to no address called (another scheme's,
/// or one NO_PROXY skips, or ALL_PROXY where http_proxy wins) stops
/// nothing: the list comes, directly or through the proxy that applies.
/// One that applies is still refused with its words.
#[test]
fn a_proxy_variable_that_does_not_apply_stops_nothing() {
    let sim = Sim::start(None);
    let home = home();
    let plain = sim.url();
    let run_with = |vars: &[(&str, &str)], api: &str| {
        let mut cmd = stepwise(home.path());
        for name in crate::pty::PROXY_ENV {
            cmd.env_remove(name);
        }
        for (name, value) in vars {
            cmd.env(name, value);
        }
        cmd.args(["steps", "--api", api, "--car", "987654"])
            .output()
            .unwrap()
    };
    for vars in [
        vec![("https_proxy", "socks5://127.0.0.1:1")],
        vec![
            ("ALL_PROXY", "socks5://127.0.0.1:1"),
            ("NO_PROXY", "127.0.0.1"),
        ],
        vec![("https_proxy", "http://[bad")],
    ] {
        let out = run_with(&vars, &plain);
        // 3: steps are still to do.
        assert_exit(&out, 3);
        assert!(stdout(&out).contains("stepsID 132324"), "{vars:?}");
    }
    // The variable that applies is read, and refused with its words.
    let out = run_with(&[("http_proxy", "socks5://127.0.0.1:1")], &plain);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("the proxy in http_proxy is a SOCKS proxy"),
        "{}",
        stderr(&out)
    );
}

/// `auth status` with a token from the config file says a kept login would
/// win over it, never that it wins over a kept login (stranger 57, BF5).
#[test]
fn auth_status_says_a_kept_login_wins_over_the_config_file_s_token() {
    let home = home();
    let token = home.path().join("tok.txt");
    std::fs::write(&token, "s3cretT0ken\n").unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "api = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\n",
            token.display()
        ),
    )
    .unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .args(["auth", "status"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("a kept login, from `stepwise login`, would win over it"),
        "{text}{}",
        stderr(&out)
    );
    assert!(!text.contains("it wins over a kept login"), "{text}");

    // Refused by the gateway: a kept login is a way on, never "remove it to
    // use a kept login" (stranger 81, CD1).
    let refusing = crate::canned::answering(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"invalid_token\"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec(),
    );
    std::fs::write(
        &config,
        format!(
            "api = \"{refusing}\"\ntoken_file = \"{}\"\n",
            token.display()
        ),
    )
    .unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .args(["auth", "status"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("would win over it), but the gateway refused it just now (HTTP 401)")
            && text.contains("or keep one with `stepwise login"),
        "{text}{}",
        stderr(&out)
    );
    assert!(!text.contains("remove it to use a kept login"), "{text}");
}

/// `auth status` with a token given by hand that the gateway says lacks a
/// scope (403 `insufficient_scope`) says it refused, and exits 1; never
/// "in use", exit 0 (stranger 57, BF13).
#[test]
fn auth_status_says_a_token_lacking_the_scope_is_refused() {
    let body = r#"{"code":403,"message":"scope"}"#;
    let answer = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"steps:read\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let api = crate::canned::answering(answer.into_bytes());
    let home = home();
    let token = home.path().join("tok.txt");
    std::fs::write(&token, "s3cretT0ken\n").unwrap();
    let out = run(
        home.path(),
        &[
            "auth",
            "status",
            "--api",
            &api,
            "--token-file",
            token.to_str().unwrap(),
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The scope it lacks, and whom to ask; never "put the current token
    // there" (stranger 59, BH4).
    assert!(
        text.contains("says it lacks the scope steps:read (HTTP 403)"),
        "{text}"
    );
    assert!(!text.contains("current token"), "{text}");
    // A script reads the same refusal: its status and the scope
    // (stranger 57, BF14); the token itself never.
    let out = run(
        home.path(),
        &[
            "auth",
            "status",
            "--json",
            "--api",
            &api,
            "--token-file",
            token.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let value = json(&out);
    assert_eq!(value["token_refused"]["status"], 403, "{value}");
    assert_eq!(value["token_refused"]["scope"], "steps:read", "{value}");
    assert!(!stdout(&out).contains("s3cretT0ken"));
}
