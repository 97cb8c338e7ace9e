//! `steps` over several vehicles (`--car` repeated, `--cars FILE`): one block
//! each or JSON Lines, exit codes 0/3/1, failures named on stderr; and the
//! board's command-line edges. Against a simulator holding a fleet.

use crate::pty;

use std::io::BufRead;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::in_process::Sim;
use assert_cmd::Command;
use serde_json::Value;
use stepwise::sim::Scenario;
use tempfile::TempDir;

fn run(home: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("stepwise")
        .expect("the binary is built")
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("STEPWISE_API")
        .env_remove("STEPWISE_TOKEN")
        .env_remove("STEPWISE_CONFIG")
        .timeout(Duration::from_secs(30))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn ids_file(dir: &TempDir, body: &str) -> String {
    let path = dir.path().join("ids.txt");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

fn lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect()
}

#[test]
fn steps_cars_json_lines_one_per_id_in_order_with_exit_codes() {
    let sim = Sim::start(Scenario::built_in().with_fleet(10), None);
    let url = sim.running.url();
    let home = tempfile::tempdir().unwrap();
    // F0003 is ready, F0001 has steps to do.
    let ready = ids_file(&home, "# ready only\nF0003\n");
    let out = run(
        home.path(),
        &["--api", &url, "steps", "--cars", &ready, "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = lines(&out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["carAssociationID"], "F0003");
    assert_eq!(got[0]["complete"], true);

    let two = ids_file(&home, "carAssociationID,model\nF0001,e-208\nF0003,e-2008\n");
    let out = run(
        home.path(),
        &["--api", &url, "steps", "--cars", &two, "--json"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let got = lines(&out);
    let ids: Vec<&str> = got
        .iter()
        .map(|v| v["carAssociationID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["F0001", "F0003"]);
    assert_eq!(got[0]["next"], "deviceActivation");

    // An unknown id fails: exit 1, its own line, named on stderr.
    let out = run(
        home.path(),
        &[
            "--api", &url, "steps", "--car", "F0001", "--car", "NOPE99", "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["carAssociationID"], "NOPE99");
    assert!(
        got[1]["error"].as_str().unwrap().contains("404"),
        "{}",
        got[1]
    );
    let err = text(&out.stderr);
    assert!(err.contains("NOPE99"), "{err}");
    assert!(
        !err.contains("F0001"),
        "only the failing vehicle is named: {err}"
    );
}

#[test]
fn an_ids_file_saved_by_excel_on_a_windows_pc_reads_as_its_ids() {
    let sim = Sim::start(Scenario::built_in().with_fleet(10), None);
    let url = sim.running.url();
    let home = tempfile::tempdir().unwrap();
    // Excel's "CSV UTF-8" in a German locale: byte-order mark, CRLF, `;`,
    // a header naming the id column; in a folder and file with spaces.
    let dir = home.path().join("Fahrzeuge heute");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("Liste Werkstatt.csv");
    std::fs::write(
        &path,
        b"\xef\xbb\xbfcarAssociationID;Modell;Kunde\r\nF0001;e-208;M\xc3\xbcller\r\nF0003;C4;Dupont\r\n",
    )
    .unwrap();
    let path = path.display().to_string();
    let out = run(
        home.path(),
        &["--api", &url, "steps", "--cars", &path, "--json"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let ids: Vec<String> = lines(&out)
        .iter()
        .map(|v| v["carAssociationID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["F0001", "F0003"]);
    // A one-column export headed by the id, and plain "CSV" in Windows-1252
    // with an accent in another column.
    let one = ids_file(&home, "carAssociationID\r\nF0003\r\n");
    let out = run(home.path(), &["--api", &url, "steps", "--cars", &one]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("F0003"), "{}", text(&out.stdout));
    let legacy = home.path().join("ansi.csv");
    std::fs::write(&legacy, b"id;Kunde\r\nF0003;Citro\xebn\r\n").unwrap();
    let out = run(
        home.path(),
        &[
            "--api",
            &url,
            "steps",
            "--cars",
            &legacy.display().to_string(),
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lines(&out)[0]["carAssociationID"], "F0003");
}

/// A shop's list with the customer's number first: the column its heading
/// names in the shop's words is read, never the customer's number; a
/// heading that leaves two columns of numbers open is refused with words,
/// and no vehicle is asked for.
#[test]
fn a_shop_s_list_is_read_by_the_column_its_heading_names() {
    let sim = Sim::start(Scenario::built_in().with_fleet(10), None);
    let url = sim.running.url();
    let home = tempfile::tempdir().unwrap();
    let named = ids_file(
        &home,
        "Kundennr;Fahrzeug-ID\r\n10023;F0002\r\n10024;F0004\r\n",
    );
    let out = run(
        home.path(),
        &["--api", &url, "steps", "--cars", &named, "--json"],
    );
    let ids: Vec<String> = lines(&out)
        .iter()
        .map(|v| v["carAssociationID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["F0002", "F0004"], "{}", text(&out.stderr));
    let open = home.path().join("open.csv");
    std::fs::write(
        &open,
        "Kundennummer;Kennung\r\n10023;987654\r\n10024;222222\r\n",
    )
    .unwrap();
    let out = run(
        home.path(),
        &[
            "--api",
            &url,
            "steps",
            "--cars",
            &open.display().to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("\"Kundennummer;Kennung\" does not say which column"),
        "{err}"
    );
    assert!(
        err.contains("Head the ids' column carAssociationID"),
        "{err}"
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
}

#[test]
fn steps_with_several_cars_prints_one_block_each() {
    let sim = Sim::start(Scenario::built_in().with_fleet(10), None);
    let url = sim.running.url();
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["--api", &url, "steps", "--car", "F0002", "--car", "F0005"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let blocks: Vec<&str> = stdout.split("\n\n").collect();
    assert_eq!(blocks.len(), 3, "{stdout}");
    assert!(blocks[0].contains("F0002"), "{stdout}");
    assert!(blocks[1].contains("F0005"), "{stdout}");
    assert_eq!(blocks[2], "Vehicles listed: 2 of 2\n", "{stdout}");
}

#[test]
fn a_bad_cars_file_is_named_with_its_lines() {
    let home = tempfile::tempdir().unwrap();
    let bad = ids_file(&home, "F0001\nnot an id\n");
    let out = run(home.path(), &["steps", "--cars", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("line 2 \"not an id\""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = run(home.path(), &["steps", "--cars", "/nonexistent/ids.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read --cars"));
}

#[test]
fn fleet_needs_vehicles_and_churn_needs_a_fleet() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["fleet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--cars FILE"),
        "{}",
        text(&out.stderr)
    );
    let out = run(home.path(), &["serve", "--churn", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--fleet"),
        "{}",
        text(&out.stderr)
    );
    let out = run(home.path(), &["serve", "--concurrency", "2"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Done steps over every association the simulator holds.
fn done_steps(addr: std::net::SocketAddr) -> usize {
    let (status, body) = pty::http(addr, "GET", "/sim/associations");
    assert_eq!(status, 200, "{body}");
    let all: Vec<Value> = serde_json::from_str(&body).unwrap();
    all.iter()
        .flat_map(|a| a["steps"].as_array().unwrap().clone())
        .filter(|s| s["done"] == true)
        .count()
}

#[test]
fn serve_fleet_adds_generated_vehicles_and_churn_completes_steps() {
    let builtin = Scenario::built_in().associations.len();
    let mut child = std::process::Command::new(pty::BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--fleet",
            "5",
            "--churn",
            "0.2",
        ])
        .env("HOME", tempfile::tempdir().unwrap().path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut banner = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let addr: std::net::SocketAddr = banner
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {banner:?}"));
    assert!(
        banner.contains(&format!("({} associations", builtin + 5)),
        "{banner}"
    );
    let (status, body) = pty::http(addr, "GET", "/sim/associations");
    assert_eq!(status, 200);
    assert!(body.contains("\"F0005\""), "{body}");
    // Churn: the done steps grow by themselves (polled, bounded).
    let before = done_steps(addr);
    crate::wait::until("a step completed by churn", Duration::from_secs(15), || {
        (done_steps(addr) > before).then_some(())
    });
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn plain_steps_over_several_vehicles_end_with_a_summary_naming_the_failed() {
    let sim = Sim::start(Scenario::built_in().with_fleet(10), None);
    let url = sim.running.url();
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["--api", &url, "steps", "--car", "F0001", "--car", "999999"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last, "Vehicles listed: 1 of 2; failed: 1 (999999), the causes are on stderr",
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("999999"));
}

#[test]
fn steps_over_vehicles_that_never_answer_stop_at_the_deadline_and_name_them() {
    // Accepts every connection and never answers: without an overall bound
    // each vehicle would wait for the client's timeout in turn.
    let url = crate::canned::silent();
    let home = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = run(
        home.path(),
        &[
            "--api",
            &url,
            "steps",
            "--car",
            "A1",
            "--car",
            "B2",
            "--deadline",
            "1",
        ],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.ends_with("Vehicles listed: 0 of 2; no list within 1 s (not answered, or not asked yet: stderr says which): 2 (A1, B2)\n"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("A1: no answer within the deadline of 1 s"),
        "{stderr}"
    );
}

/// A vehicle given twice is asked once, and said so on stderr (the person
/// checking a pasted list sees it); the list is not cut.
#[test]
fn a_vehicle_given_twice_is_asked_once_and_said() {
    let home = TempDir::new().unwrap();
    let args = [
        "steps", "--car", "111111", "--car", "987654", "--car", "111111", "--json",
    ];
    let out = run(home.path(), &args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    let cars: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["carAssociationID"].to_string())
        .collect();
    assert_eq!(cars, ["\"111111\"", "\"987654\""], "{stdout}");
    assert!(
        stderr.contains("Given more than once, asked once: 111111."),
        "{stderr}"
    );
    // One vehicle given twice is still several given: one line, as a file
    // of the same ids gives, never the pretty object of one --car
    // (stranger 46, AU5).
    let args = ["steps", "--car", "111111", "--car", "111111", "--json"];
    let stdout = text(&run(home.path(), &args).stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let line: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(line["carAssociationID"], "111111", "{stdout}");
}

/// An id twice in a --cars file is said as twice on the command line is,
/// and a list typed on one line says only its first value is read
/// (stranger 40, AO17: both were dropped without a word).
#[test]
fn an_ids_file_s_repeats_and_one_line_list_are_said() {
    let home = TempDir::new().unwrap();
    let path = home.path().join("ids.txt");
    std::fs::write(&path, "\u{feff}987654\r\n\r\n111111\r\n987654\r\n").unwrap();
    let file = path.to_str().unwrap();
    let out = run(home.path(), &["steps", "--cars", file, "--json"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stderr.contains("Given more than once, asked once: 987654."),
        "{stderr}"
    );
    // A row under the named ids column with no id in it: said with its
    // line, never skipped without a word (stranger 43, AR16).
    std::fs::write(&path, "carAssociationID,VIN\n987654,WVW123\n,WVW999\n").unwrap();
    let out = run(home.path(), &["steps", "--cars", file, "--json"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "the row on line 3 has no carAssociationID in the ids column, so it is skipped"
        ),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout).lines().count(), 1);
    std::fs::write(
        &path,
        "carAssociationID,VIN\n,WVW1\n987654,WVW123\n,WVW999\n",
    )
    .unwrap();
    let stderr = text(&run(home.path(), &["steps", "--cars", file, "--json"]).stderr);
    assert!(
        stderr.contains("the rows on lines 2, 4 have no carAssociationID in the ids column"),
        "{stderr}"
    );
    // Commas, or tabs (a row copied from a spreadsheet): said by what it
    // is, never by a separator it may not hold (stranger 41, AP15).
    for line in ["111111,987654,222222\n", "111111\t987654\t222222\n"] {
        std::fs::write(&path, line).unwrap();
        let out = run(home.path(), &["steps", "--cars", file, "--json"]);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("holds one line of 3 values in columns: only the first is read"),
            "{line:?}: {stderr}"
        );
        assert_eq!(text(&out.stdout).lines().count(), 1, "{line:?}");
    }
}

/// A binary file given as --cars is said to be no text, not listed as
/// lines of mojibake ids.
#[test]
fn a_binary_ids_file_is_no_text() {
    let home = TempDir::new().unwrap();
    let path = home.path().join("ids.bin");
    std::fs::write(
        &path,
        [
            0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0x1b, b'[', b'2', b'J',
        ],
    )
    .unwrap();
    let shown = path.display().to_string();
    let out = run(home.path(), &["steps", "--cars", &shown]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is not a text file"), "{err}");
}

/// A gateway (or a cache in front of it that ignores the query) answering
/// every vehicle with one stepsID's list: said on stderr with the stepsID
/// and the vehicles, and exit 1, since those lists may be another
/// vehicle's (stranger 43, AR11).
#[test]
fn lists_of_several_vehicles_under_one_steps_id_are_said() {
    let body = r#"{"stepsID":132324,"trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1}}"#;
    let api = crate::canned::answering(crate::canned::reply("200 OK", "application/json", body));
    let home = TempDir::new().unwrap();
    let ids = ids_file(&home, "111111\n222222\n333333\n");
    for json in [false, true] {
        let mut args = vec!["steps", "--api", &api, "--cars", &ids];
        if json {
            args.push("--json");
        }
        let out = run(home.path(), &args);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("one stepsID (132324) came for 3 vehicles (111111, 222222, 333333). A stepsID belongs to one vehicle"),
            "{stderr}"
        );
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().filter(|l| l.contains("132324")).count(), 3);
        // Stdout says it too, for a script and for the summary's reader
        // (stranger 61, BJ6).
        if json {
            for line in stdout.lines() {
                let line: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_eq!(line["action"], "stop", "{stdout}");
                assert!(
                    line["error"]
                        .as_str()
                        .unwrap()
                        .starts_with("one stepsID (132324) came for 3 vehicles"),
                    "{stdout}"
                );
            }
        } else {
            assert!(
                stdout.contains(
                    "Vehicles listed: 0 of 3; under a stepsID another vehicle's list came \
                     under too, not to be relied on (stderr says why): 3 (111111, 222222, 333333)"
                ),
                "{stdout}"
            );
        }
    }
    // A list of its own stepsID has neither.
    let own = crate::canned::answering(crate::canned::reply("200 OK", "application/json", body));
    let ids = ids_file(&home, "111111\n");
    let out = run(
        home.path(),
        &["steps", "--api", &own, "--cars", &ids, "--json"],
    );
    let line: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert!(
        line.get("error").is_none() && line.get("action").is_none(),
        "{line}"
    );
}

/// In French, the colons and semicolons that join a status, a vehicle or
/// the summary's parts to what follows take the no-break space before
/// them, as the catalogue's own do (stranger 46, AU7).
#[test]
fn french_lines_join_their_parts_as_french_writes_them() {
    let body = r#"{"code":2301,"message":"Unknown carAssociationID"}"#;
    let api = crate::canned::answering(crate::canned::reply(
        "404 Not Found",
        "application/json",
        body,
    ));
    let home = TempDir::new().unwrap();
    let ids = ids_file(&home, "111111\n222222\n");
    let out = run(
        home.path(),
        &["steps", "--api", &api, "--cars", &ids, "--lang", "fr"],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stderr.contains("stepwise\u{a0}: 111111\u{a0}: HTTP 404\u{a0}: "),
        "{stderr}"
    );
    assert!(!stderr.contains("HTTP 404: "), "{stderr}");
    assert!(stdout.contains("sur 2\u{a0}; "), "{stdout}");
    assert!(!stdout.contains("sur 2; "), "{stdout}");
}

/// A failed vehicle's JSON line carries, beside the English words, what a
/// script tests: the HTTP status, the gateway's code and what to do; one
/// vehicle asked alone with --json gets the same object on stdout, as does
/// `next --json` (stranger 46, AU4).
#[test]
fn a_failed_vehicle_s_json_says_its_status_code_and_action() {
    let unknown = crate::canned::reply(
        "404 Not Found",
        "application/json",
        r#"{"code":2301,"message":"Unknown carAssociationID"}"#,
    );
    let refused = crate::canned::reply(
        "401 Unauthorized",
        "application/json",
        r#"{"message":"token required"}"#,
    );
    let api = crate::canned::routing(
        vec![
            ("carAssociationID=111111", unknown),
            ("carAssociationID=222222", refused.clone()),
        ],
        refused,
    );
    let home = TempDir::new().unwrap();
    let ids = ids_file(&home, "111111\n222222\n");
    let out = run(
        home.path(),
        &["steps", "--api", &api, "--cars", &ids, "--json"],
    );
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["carAssociationID"], "111111");
    assert_eq!(lines[0]["status"], 404);
    assert_eq!(lines[0]["code"], 2301);
    assert_eq!(lines[0]["action"], "stop");
    assert_eq!(lines[1]["status"], 401);
    assert_eq!(lines[1]["code"], Value::Null);
    assert_eq!(lines[1]["action"], "sign_in");
    let out = run(
        home.path(),
        &["steps", "--api", &api, "--car", "111111", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let one: Value = serde_json::from_str(&text(&out.stdout)).expect("one JSON object");
    assert_eq!(one["carAssociationID"], "111111");
    assert_eq!(one["action"], "stop");
    assert!(
        text(&out.stderr).contains("HTTP 404"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        home.path(),
        &["next", "--api", &api, "--steps-id", "7", "--json"],
    );
    let next: Value = serde_json::from_str(&text(&out.stdout)).expect("one JSON object");
    assert_eq!(next["stepsID"], "7");
    assert_eq!(next["action"], "sign_in");
    // A web page where the list belongs: its words say to check --api,
    // which waiting does not fix (stranger 47, AV1).
    let page = crate::canned::answering(crate::canned::reply(
        "200 OK",
        "text/html",
        "<html>portal login</html>",
    ));
    let out = run(
        home.path(),
        &["steps", "--api", &page, "--car", "1", "--json"],
    );
    let html: Value = serde_json::from_str(&text(&out.stdout)).expect("one JSON object");
    assert_eq!(html["action"], "stop", "{html}");
    // Nothing answered by the deadline: no status, and a retry may pass.
    let silent = crate::canned::silent();
    let out = run(
        home.path(),
        &[
            "steps",
            "--api",
            &silent,
            "--car",
            "1",
            "--json",
            "--deadline",
            "1",
        ],
    );
    let late: Value = serde_json::from_str(&text(&out.stdout)).expect("one JSON object");
    assert_eq!(late["status"], Value::Null);
    assert_eq!(late["action"], "retry");
}

/// `steps --cars` whose requests are held back by a 429 pause that
/// outlasts `--deadline` ends at once, saying so, never sits out the whole
/// deadline (stranger 74, BW4): here the pause asked (an hour kept) is far
/// past a 600 s deadline, and the run ends well within a minute.
#[test]
fn steps_cars_held_past_the_deadline_ends_at_once() {
    let home = tempfile::tempdir().unwrap();
    let limited = crate::canned::answering(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5000\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            .to_vec(),
    );
    let ids = home.path().join("ids.txt");
    std::fs::write(&ids, "111111\n222222\n333333\n").unwrap();
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home.path());
    let mut child = cmd
        .args(["steps", "--api", &limited, "--cars"])
        .arg(&ids)
        .args(["--concurrency", "1", "--deadline", "600", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("stepwise starts");
    let status = crate::wait::until("the run to end", Duration::from_secs(60), || {
        child.try_wait().expect("try_wait")
    });
    assert_eq!(status.code(), Some(1));
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0]["retry_after"], 5000, "{out}");
    for held in &lines[1..] {
        assert!(
            held["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("not asked: the gateway's limit (HTTP 429")),
            "{out}"
        );
    }
}

/// A vehicle's 503 beside another's 429 pause that outlasts the run: its
/// line gives the pause's wait (words and `retry_after`), never the 503's
/// "retry in a minute" alone, which would meet the 429 (stranger 74, BW4's
/// other half); in either order of the file.
#[test]
fn a_failure_beside_a_long_429_pause_gives_the_pause_s_wait() {
    let limited = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5000\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec();
    let failing = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec();
    for order in ["111111\n222222\n", "222222\n111111\n"] {
        let api = crate::canned::routing(
            vec![("carAssociationID=111111", limited.clone())],
            failing.clone(),
        );
        let home = tempfile::tempdir().unwrap();
        let ids = home.path().join("ids.txt");
        std::fs::write(&ids, order).unwrap();
        let ids = ids.to_string_lossy().into_owned();
        let out = run(
            home.path(),
            &[
                "steps",
                "--api",
                &api,
                "--cars",
                &ids,
                "--deadline",
                "600",
                "--json",
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let failed: Value = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("JSON lines"))
            .find(|l| l["carAssociationID"] == "222222")
            .expect("its line");
        assert!(
            failed["error"].as_str().is_some_and(|e| e.contains(
                "The gateway's limit (HTTP 429, asked of another request) holds every request for"
            )),
            "{order:?}: {text}"
        );
        assert!(
            failed["retry_after"].as_u64().is_some_and(|w| w > 3000),
            "{order:?}: {text}"
        );
    }
}
