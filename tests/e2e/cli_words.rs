//! The binary's words for a cause a new user met: a port given without its
//! host, a gateway URL without its scheme, a token file from Windows
//! Notepad or with `Bearer` in it, one vehicle past `--deadline`, and a
//! sign-in whose gateway cannot be reached.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::in_process::Sim;
use crate::pty;
use stepwise::sim::Scenario;

const TOKEN: &str = "s3cret-T0ken";

/// The binary in `home`, in a clean environment (no proxy either), with
/// `args`; stdin empty.
fn run(home: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home);
    // Retries after a failure wait 10 ms, not 250 ms doubling: no test here
    // is about the back-off's length (the client's tests are).
    cmd.env(stepwise::client::TEST_BACKOFF_MS, "10");
    for proxy in pty::PROXY_ENV {
        cmd.env_remove(proxy);
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .output()
        .expect("stepwise runs")
}

/// The binary in `home` with `args`, its requests through the proxy
/// `proxy` named by the variable `var` (`http_proxy` or `https_proxy`; no
/// other proxy variable set).
fn run_through_proxy(home: &Path, var: &str, proxy: &str, args: &[&str]) -> Output {
    run_with_proxy_env(home, &[(var, proxy)], args)
}

/// The binary with no proxy variable but those of `env`.
fn run_with_proxy_env(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home);
    for other in pty::PROXY_ENV {
        cmd.env_remove(other);
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("stepwise runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
}

#[test]
fn serve_addr_with_a_port_alone_asks_for_the_host() {
    let home = tempfile::tempdir().unwrap();
    for (given, port) in [("8080", "8080"), (":9090", "9090")] {
        let out = run(home.path(), &["serve", "--addr", given]);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "{port} has no host: give HOST:PORT, e.g. 127.0.0.1:{port} (or 0.0.0.0:{port} for the shop's network)"
            )),
            "{err}"
        );
        assert!(!err.contains("no port"), "{err}");
    }
    // A host without a port still says the port is missing.
    let out = run(home.path(), &["serve", "--addr", "localhost"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("no port"), "{}", stderr(&out));
}

#[test]
fn an_api_without_its_scheme_asks_for_http_in_front() {
    let home = tempfile::tempdir().unwrap();
    for api in ["localhost:18080", "127.0.0.1:18080", "gateway.example"] {
        for args in [
            vec!["steps", "--api", api, "--car", "987654"],
            vec!["login", "--api", api],
        ] {
            let out = run(home.path(), &args);
            assert_exit(&out, 1);
            let err = stderr(&out);
            assert!(
                err.contains(&format!(
                    "add http:// or https:// in front, e.g. http://{api}"
                )),
                "{args:?}: {err}"
            );
            assert!(!err.contains("relative URL"), "{err}");
            assert!(!err.contains("only http and https"), "{err}");
        }
    }
}

#[test]
fn a_token_file_from_notepad_is_read_and_a_bearer_prefix_is_named() {
    let sim = Sim::start(Scenario::built_in(), Some(TOKEN));
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("token.txt");
    // "UTF-8 with BOM" and CRLF, as Windows Notepad saves it.
    std::fs::write(&file, format!("\u{feff}{TOKEN}\r\n")).unwrap();
    let file_arg = file.to_str().unwrap();
    let api = sim.running.url();
    let steps = [
        "steps",
        "--api",
        &api,
        "--car",
        "987654",
        "--token-file",
        file_arg,
    ];
    let out = run(home.path(), &steps);
    assert_exit(&out, 3);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // Notepad's "Unicode" (UTF-16 with its mark), both byte orders, as the
    // ids files are read (stranger 77, BZ8).
    for big in [false, true] {
        let mut bytes: Vec<u8> = if big {
            vec![0xfe, 0xff]
        } else {
            vec![0xff, 0xfe]
        };
        for unit in format!("{TOKEN}\r\n").encode_utf16() {
            bytes.extend(if big {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        std::fs::write(&file, bytes).unwrap();
        let out = run(home.path(), &steps);
        assert_exit(&out, 3);
        assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    }
    // The header's word copied along with the token.
    std::fs::write(&file, format!("Bearer {TOKEN}\n")).unwrap();
    let out = run(home.path(), &steps);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("drop the word Bearer"), "{err}");
    assert!(!err.contains(TOKEN), "the token is never shown: {err}");
    // The same word in STEPWISE_TOKEN.
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home.path());
    let out = cmd
        .env("STEPWISE_TOKEN", format!("Bearer {TOKEN}"))
        .args(["steps", "--api", &api, "--car", "987654"])
        .stdin(Stdio::null())
        .output()
        .expect("stepwise runs");
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("the token in STEPWISE_TOKEN starts with the word Bearer"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "the token is never shown: {err}");
}

#[test]
fn one_vehicle_stops_at_the_deadline_too() {
    // A gateway that accepts and never answers.
    let api = crate::canned::silent();
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = run(
        home.path(),
        &["steps", "--api", &api, "--car", "1", "--deadline", "1"],
    );
    let took = started.elapsed();
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("1: no answer within the deadline of 1 s (--deadline)"),
        "{err}"
    );
    // The client alone would wait its 10 s request limit.
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

/// A vehicle whose turn never came before the deadline (vehicles are
/// asked a few at a time) is said not asked, never "no answer", which
/// blames the gateway (stranger 49, AX5); where the vehicles asked before
/// it got no answer at all, a longer deadline or more at a time cannot
/// help, and it says so (stranger 60, BI7).
#[test]
fn a_vehicle_never_asked_by_the_deadline_is_said_not_asked() {
    let list = r#"{"stepsID":1,"trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1}}"#;
    let answer = crate::canned::reply("200 OK", "application/json", list);
    let api = crate::canned::answering_some(vec![("carAssociationID=222222", answer)]);
    let home = tempfile::tempdir().unwrap();
    let ids = home.path().join("ids.txt");
    std::fs::write(&ids, "222222\n987654\n111111\n").unwrap();
    let args = ["steps", "--api", &api, "--cars", ids.to_str().unwrap()];
    let out = run(
        home.path(),
        &[&args[..], &["--concurrency", "1", "--deadline", "1"]].concat(),
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "111111: not asked before the deadline of 1 s (--deadline): it waited its turn"
        ),
        "{err}"
    );
    let api = crate::canned::silent();
    let args = ["steps", "--api", &api, "--cars", ids.to_str().unwrap()];
    let out = run(
        home.path(),
        &[
            &args[..],
            &["--concurrency", "1", "--deadline", "1", "--json"],
        ]
        .concat(),
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("222222: no answer within the deadline of 1 s"),
        "{err}"
    );
    assert!(
        err.contains(
            "987654: not asked before the deadline of 1 s (--deadline): the vehicles asked \
             before it got no answer (the gateway is busy or hung), so a longer --deadline"
        ),
        "{err}"
    );
    assert!(!err.contains("it waited its turn"), "{err}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[1]["action"], "retry", "{lines:?}");
    // The JSON's words carry the command as stderr does: a bare
    // `stepwise doctor` checks the embedded simulator (stranger 81, CD5).
    let doctor = format!("`stepwise doctor --api {api}` checks it");
    let unsent = lines[2]["error"].as_str().unwrap_or_default();
    assert!(unsent.contains(&doctor), "{unsent}");
    assert!(err.contains(&doctor), "{err}");
    // The plain summary names them all without "no answer" for any.
    let out = run(
        home.path(),
        &[&args[..], &["--concurrency", "1", "--deadline", "1"]].concat(),
    );
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        summary
            .contains("no list within 1 s (not answered, or not asked yet: stderr says which): 3"),
        "{summary}"
    );
}

/// A failure object carries the wait the answer asked (`retry_after`, in
/// seconds) for a script to wait before it retries, and `null` when none
/// was asked (stranger 49, AX6).
#[test]
fn a_failure_object_carries_the_wait_asked() {
    let home = tempfile::tempdir().unwrap();
    // `next --json` of a gateway that answers every call with `answer`:
    // its failure object (exit 1).
    let failed = |answer: &[u8]| -> serde_json::Value {
        let api = crate::canned::answering(answer.to_vec());
        let out = run(
            home.path(),
            &["next", "--api", &api, "--steps-id", "132324", "--json"],
        );
        assert_exit(&out, 1);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let says_a_minute = |failed: &serde_json::Value| {
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains("wait a minute")
    };
    let busy = failed(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 300\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(busy["retry_after"], 300, "{busy}");
    assert_eq!(busy["action"], "retry", "{busy}");
    // Still limited after the wait it asked, waited: the advice's minute
    // (stranger 54, BC2).
    let limiting = failed(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(limiting["retry_after"], 60, "{limiting}");
    assert!(says_a_minute(&limiting), "{limiting}");
    // A 429 whose Retry-After cannot be read: the minute the words ask
    // (stranger 69, BR13).
    let unreadable = failed(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: soon\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(unreadable["retry_after"], 60, "{unreadable}");
    assert!(says_a_minute(&unreadable), "{unreadable}");
    let gone = failed(
        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{\"code\":2346,\"message\":\"no step 132324\"}",
    );
    assert!(gone["retry_after"].is_null(), "{gone}");
    assert_eq!(gone["status"], 404, "{gone}");
    // A wait of decades (a Retry-After date far away) is no wait to keep:
    // stop, and no retry_after a script would sleep on (stranger 62, BK3).
    let absurd = failed(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: Wed, 21 Oct 2099 07:28:00 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(absurd["action"], "stop", "{absurd}");
    assert!(absurd["retry_after"].is_null(), "{absurd}");
    // A 503 asking such a wait is a failure for now all the same: words,
    // action and retry_after agree on a retry in a minute (stranger 87,
    // CJ2).
    let failing = failed(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: Wed, 21 Oct 2099 07:28:00 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(failing["action"], "retry", "{failing}");
    assert_eq!(failing["retry_after"], 60, "{failing}");
    assert!(
        failing["error"]
            .as_str()
            .unwrap()
            .contains("Retry in a minute"),
        "{failing}"
    );
}

/// `login --with-token` of a working-looking token for a gateway reached
/// through `proxy` (http_proxy), with a file store in `home`.
fn login_with_token_through(home: &Path, proxy: &str) -> Output {
    let mut cmd = std::process::Command::new(pty::BIN);
    pty::scrub_command(&mut cmd, home);
    for other in pty::PROXY_ENV {
        cmd.env_remove(other);
    }
    let mut child = cmd
        .env("http_proxy", proxy)
        .env("STEPWISE_TOKEN_STORE", "file")
        .args([
            "login",
            "--with-token",
            "--api",
            "http://gateway.invalid:8080",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-working-token-0123\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A token refused (`invalid_token`, with the gateway's words) through a
/// proxy that reads the plain request: the gateway's words are quoted,
/// the proxy named with NO_PROXY as the check before anything else, and
/// no guess that the token expired (stranger 86, CI2; stranger 84, CG4).
#[test]
fn login_with_token_refused_through_a_proxy_quotes_the_gateway_and_names_the_proxy() {
    let proxy = crate::canned::answering(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"token audience mismatch\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let out = login_with_token_through(home.path(), &proxy);
    assert_exit(&out, 1);
    let said = stderr(&out);
    let quoted = said.find("The gateway says: “token audience mismatch”.");
    let proxy_named = said.find(&format!(
        "The call went through the proxy {proxy} (from http_proxy), which may drop the Authorization header"
    ));
    assert!(
        matches!((quoted, proxy_named), (Some(q), Some(p)) if q < p),
        "{said}"
    );
    assert!(
        said.contains("set NO_PROXY=gateway.invalid and try again"),
        "{said}"
    );
    assert!(!said.contains("expired"), "{said}");
    assert!(
        !said.contains("a-working-token-0123"),
        "the token never shows"
    );
}

/// `auth status` with a token given by hand that the gateway refuses
/// quotes the gateway's own words on why (stranger 84, CG4).
#[test]
fn auth_status_quotes_the_gateway_s_words_on_a_refused_token() {
    let gateway = crate::canned::answering(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"token revoked by the fleet admin\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("token.txt");
    std::fs::write(&file, "a-revoked-token\n").unwrap();
    let out = run(
        home.path(),
        &[
            "--api",
            &gateway,
            "--token-file",
            file.to_str().unwrap(),
            "auth",
            "status",
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("The gateway says: “token revoked by the fleet admin”."),
        "{said}{}",
        stderr(&out)
    );
    assert!(!said.contains("a-revoked-token"), "the token never shows");
}

/// `login --with-token` through a proxy that may drop the Authorization
/// header keeps nothing: a working login is never replaced by a token not
/// tried (stranger 76, BY3).
#[test]
fn login_with_token_through_a_header_dropping_proxy_keeps_nothing() {
    let proxy = crate::canned::answering(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"steps\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let out = login_with_token_through(home.path(), &proxy);
    assert_exit(&out, 1);
    let said = stderr(&out);
    assert!(
        said.contains("the token was not kept") && said.contains("NO_PROXY=gateway.invalid"),
        "{said}"
    );
    let kept = home.path().join(".local/share/stepwise/logins.json");
    assert!(
        !kept.exists(),
        "{}",
        std::fs::read_to_string(&kept).unwrap_or_default()
    );
}

/// A usage error's suggested command goes to the gateway typed, never
/// to the embedded demo backend (stranger 70, BS6).
#[test]
fn a_usage_error_s_command_carries_the_api_typed() {
    let home = tempfile::tempdir().unwrap();
    let api = "http://127.0.0.1:46702";
    let out = run(
        home.path(),
        &[
            "next",
            "--api",
            api,
            "--steps-id",
            "132324",
            "--car",
            "987654",
        ],
    );
    assert_exit(&out, 2);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        said.contains("`stepwise steps --api http://127.0.0.1:46702 --car ID`"),
        "{said}"
    );
    // Without --steps-id too: where a stepsID comes from (stranger 72,
    // BU6).
    let out = run(home.path(), &["next", "--car", "987654"]);
    assert_exit(&out, 2);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        said.contains("next does not use --car: it asks by --steps-id only. Get a stepsID with `stepwise steps --car 987654`"),
        "{said}"
    );
    // The --api typed goes with it, or the demo would answer (stranger 77,
    // BZ1).
    let out = run(home.path(), &["next", "--api", api, "--car", "F0003"]);
    assert_exit(&out, 2);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        said.contains(
            "Get a stepsID with `stepwise steps --api http://127.0.0.1:46702 --car F0003`"
        ),
        "{said}"
    );
    // login and logout are never told of the --token-file they refuse
    // (stranger 73, BV10).
    for args in [&["login", "--token", "x"][..], &["logout", "--tokn"][..]] {
        let out = run(home.path(), args);
        assert_exit(&out, 2);
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            said.contains("unexpected argument") && !said.contains("--token-file"),
            "{said}"
        );
    }
    let out = run(home.path(), &["doctor", "--api", api, "--cars", "ids.txt"]);
    assert_exit(&out, 2);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        said.contains("`stepwise steps --api http://127.0.0.1:46702 --cars FILE`"),
        "{said}"
    );
}

/// A list with no step is no service known ready: exit 3 as `complete:
/// false` says, and the plain words say what to check; filtered, it is
/// nothing of that status (exit 0) (stranger 70, BS2).
#[test]
fn a_list_with_no_step_is_not_known_ready() {
    let empty = crate::canned::answering(crate::canned::reply(
        "200 OK",
        "application/json",
        r#"{"stepsID":777001}"#,
    ));
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["steps", "--api", &empty, "--car", "987654"]);
    assert_exit(&out, 3);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("No steps returned: the service is not known ready")
            && said.contains("(run it again with --reset)"),
        "{said}"
    );
    let out = run(
        home.path(),
        &["steps", "--api", &empty, "--car", "987654", "--json"],
    );
    assert_exit(&out, 3);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["complete"], false, "{list}");
    let out = run(
        home.path(),
        &[
            "steps", "--api", &empty, "--car", "987654", "--status", "todo",
        ],
    );
    assert_exit(&out, 0);
}

/// Under a heading that names no id column, the column read is said, so
/// a wrong one (order numbers) shows (stranger 74, BW3).
#[test]
fn the_column_read_under_a_heading_in_other_words_is_said() {
    let home = tempfile::tempdir().unwrap();
    let ids = home.path().join("ids.csv");
    std::fs::write(&ids, "Name;Auftrag\nMeier;4711\nSchulz;4712\n").unwrap();
    let out = run(home.path(), &["steps", "--cars", ids.to_str().unwrap()]);
    let said = stderr(&out);
    assert!(
        said.contains("the ids were read from column 2 (“Auftrag”)"),
        "{said}"
    );
}

/// A list cut short is retried by a script, as its words say: `action:
/// retry`, never `stop` (stranger 70, BS1).
#[test]
fn a_list_cut_short_is_retried() {
    let body = r#"{"stepsID":132324,"trustedPhoneNumber":{"name""#;
    let cut = crate::canned::answering(crate::canned::reply("200 OK", "application/json", body));
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["steps", "--api", &cut, "--car", "987654", "--json"],
    );
    assert_exit(&out, 1);
    let failed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .contains("was cut short"),
        "{failed}"
    );
    assert_eq!(failed["action"], "retry", "{failed}");
}

/// A gateway that answers every call with 429 and a long Retry-After has
/// answered: at the deadline it is named as limiting requests, never as
/// "no answer" (which sends a technician after a dead gateway).
#[test]
fn a_gateway_that_kept_limiting_is_named_at_the_deadline() {
    let api = crate::canned::answering(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let ids = home.path().join("ids.txt");
    std::fs::write(&ids, "987654\n111111\n").unwrap();
    let args = [
        "steps",
        "--api",
        &api,
        "--cars",
        ids.to_str().unwrap(),
        "--deadline",
        "1",
    ];
    let out = run(home.path(), &args);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        // The wait it asked for is named, and what to give (stranger 41,
        // AP14).
        err.contains(
            "987654: the gateway limited requests (HTTP 429) until the deadline of 1 s (--deadline): it asked to wait 30 s, longer than the deadline. Give a --deadline above 30 s"
        ),
        "{err}"
    );
    assert!(!err.contains("no answer"), "{err}");
    // A script reads the wait the words name (stranger 69, BR13).
    let json = run(home.path(), &[&args[..], &["--json"]].concat());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!(line["retry_after"], 30, "{line}");
    }
    // While it waits, it says so: once for both vehicles, not silent for
    // the whole Retry-After; a wait past the deadline is said so at once,
    // never promised as "then trying again" (stranger 45, AT11).
    let waiting = "the gateway limits requests (HTTP 429) and asks to wait 30 s, longer than the 1 s left of the deadline (--deadline): the command stops at the deadline";
    assert_eq!(err.matches(waiting).count(), 1, "{err}");
    assert!(!err.contains("then trying again"), "{err}");
    // A wait within the deadline is waited, and said so.
    let short = crate::canned::answering(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let waited = run(
        home.path(),
        &[
            "steps",
            "--api",
            &short,
            "--car",
            "987654",
            "--deadline",
            "3",
        ],
    );
    let err = stderr(&waited);
    assert!(
        err.contains(
            "the gateway limits requests (HTTP 429): waiting 1 s as it asks, then trying again"
        ),
        "{err}"
    );
    assert!(!err.contains("left of the deadline"), "{err}");
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        summary.contains("held back by HTTP 429 until 1 s: 2"),
        "{summary}"
    );
    // One at a time: the second vehicle was never sent, held back by the
    // first one's 429; said so, never "the gateway kept limiting" it
    // (stranger 40, AO16).
    let out = run(
        home.path(),
        &[
            "steps",
            "--api",
            &api,
            "--cars",
            ids.to_str().unwrap(),
            "--deadline",
            "1",
            "--concurrency",
            "1",
        ],
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "111111: not asked: the gateway's limit (HTTP 429, answered to another request)"
        ),
        "{err}"
    );
    assert!(!err.contains("111111: the gateway kept limiting"), "{err}");
    // A longer deadline is advised only where the wait is longer than it
    // (stranger 43, AR3).
    assert!(
        err.contains("If the wait it asked for (said on stderr) is longer than 1 s, give a --deadline longer than that wait; if not, it keeps limiting this client"),
        "{err}"
    );

    let one = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654", "--deadline", "1"],
    );
    assert_exit(&one, 1);
    let err = stderr(&one);
    assert!(err.contains("limited requests (HTTP 429)"), "{err}");
    // What it asked is a wait of seconds, named: no "few minutes" of our
    // own, nor a wait left for the reader to find (stranger 41, AP14).
    assert!(
        err.contains(
            "it asked to wait 30 s, longer than the deadline. Give a --deadline above 30 s"
        ) && !err.contains("minutes"),
        "{err}"
    );
}

/// The head of the request on `stream` (request line and headers).
fn head_of(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// At the deadline each vehicle is named by its own state: one whose
/// request was sent and never answered is "no answer", even while another
/// vehicle's 429 holds the rest back; only the held-back one is "limiting".
#[test]
fn at_the_deadline_a_hung_vehicle_and_a_limited_one_are_told_apart() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Condvar, Mutex};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    // The 429 goes out only once the hung vehicle's request has arrived,
    // so that request is in flight (not held back) when the pause begins.
    let hung_arrived = Arc::new((Mutex::new(false), Condvar::new()));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let hung_arrived = Arc::clone(&hung_arrived);
            std::thread::spawn(move || {
                let mut stream = stream;
                let head = head_of(&mut stream);
                let (lock, arrived) = &*hung_arrived;
                if head.contains("carAssociationID=111111") {
                    *lock.lock().unwrap() = true;
                    arrived.notify_all();
                    // Never answered: held until the client goes away.
                    let _ = stream.read(&mut [0u8; 1]);
                } else {
                    let guard = lock.lock().unwrap();
                    let _ = arrived.wait_timeout_while(guard, Duration::from_secs(20), |a| !*a);
                    let _ = stream.write_all(
                        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            });
        }
    });
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &[
            "steps",
            "--api",
            &api,
            "--car",
            "111111",
            "--car",
            "222222",
            "--deadline",
            "2",
        ],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("111111: no answer within the deadline of 2 s (--deadline)"),
        "{err}"
    );
    assert!(
        err.contains(
            "222222: the gateway limited requests (HTTP 429) until the deadline of 2 s (--deadline): it asked to wait 30 s"
        ),
        "{err}"
    );
    assert!(!err.contains("111111: the gateway kept limiting"), "{err}");
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        summary.contains(
            "Vehicles listed: 0 of 2; no list within 2 s (not answered, or not asked yet: stderr says which): 1 (111111); held back by HTTP 429 until 2 s: 1 (222222)"
        ),
        "{summary}"
    );
}

/// A gateway answering 111111 with a 500, once 333333 got a 429 asking
/// `retry_after` seconds. Its base URL.
fn failing_beside_a_429(retry_after: u32) -> String {
    use std::io::Write;
    use std::sync::{Arc, Condvar, Mutex};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    // The 500 goes out once the 429 has: its retry then meets the pause.
    let limited = Arc::new((Mutex::new(false), Condvar::new()));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let limited = Arc::clone(&limited);
            std::thread::spawn(move || {
                let mut stream = stream;
                let head = head_of(&mut stream);
                let (lock, cond) = &*limited;
                if head.contains("carAssociationID=333333") {
                    let _ = stream.write_all(
                        format!("HTTP/1.1 429 Too Many Requests\r\nRetry-After: {retry_after}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .as_bytes(),
                    );
                    *lock.lock().unwrap() = true;
                    cond.notify_all();
                } else {
                    let guard = lock.lock().unwrap();
                    let _ = cond.wait_timeout_while(guard, Duration::from_secs(20), |l| !*l);
                    let body = r#"{"code":2204,"message":"backend db down"}"#;
                    let _ = stream.write_all(
                        format!(
                            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    );
                }
            });
        }
    });
    api
}

/// A vehicle that met its own failure (a 500) while another vehicle's 429
/// pauses the gateway is named by its failure, never "it kept limiting
/// (HTTP 429)" for a vehicle that never got one: at once when the pause
/// outlasts what a retry waits (an hour's is not waited out), and when a
/// retry waits for a shorter pause that outlasts the deadline; each with
/// the pause's wait.
#[test]
fn a_failure_beside_another_s_429_is_named_by_the_failure() {
    for (retry_after, summary) in [
        (4000, "Vehicles listed: 0 of 2; failed: 2 (111111, 333333)"),
        // 333333 waits its own 20 s past the deadline.
        (
            20,
            "Vehicles listed: 0 of 2; failed: 1 (111111), the causes are on stderr; held back by HTTP 429 until 2 s: 1 (333333)",
        ),
    ] {
        let api = failing_beside_a_429(retry_after);
        let home = tempfile::tempdir().unwrap();
        let out = run(
            home.path(),
            &[
                "steps",
                "--api",
                &api,
                "--car",
                "111111",
                "--car",
                "333333",
                "--deadline",
                "2",
            ],
        );
        assert_exit(&out, 1);
        let err = stderr(&out);
        let line = err
            .lines()
            .find(|l| l.starts_with("stepwise: 111111:"))
            .unwrap_or_default();
        assert!(line.contains("backend db down"), "{retry_after}: {err}");
        // Either way the pause's wait, which a retry meets, never the
        // 500's "retry in a minute" alone (stranger 74, BW4's other half).
        assert!(
            line.contains(
                "The gateway's limit (HTTP 429, asked of another request) holds every request for"
            ),
            "{retry_after}: {err}"
        );
        assert!(!line.contains("kept limiting"), "{err}");
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(said.contains(summary), "{retry_after}: {said}");
    }
}

#[test]
fn login_to_a_gateway_where_nothing_listens_names_the_gateway() {
    let port = pty::free_port();
    let home = tempfile::tempdir().unwrap();
    let api = format!("http://127.0.0.1:{port}");
    let out = run(home.path(), &["login", "--device", "--api", &api]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot reach the gateway at {api}/")),
        "{err}"
    );
    assert!(err.contains("--api is right"), "{err}");
    assert!(!err.contains("identity provider"), "{err}");
}

#[test]
fn a_proxy_that_is_down_is_named_with_the_variable_it_came_from() {
    let proxy = format!("http://127.0.0.1:{}", pty::free_port());
    let home = tempfile::tempdir().unwrap();
    let args = [
        "steps",
        "--api",
        "http://gateway.example:8080",
        "--car",
        "987654",
    ];
    let out = run_through_proxy(home.path(), "http_proxy", &proxy, &args);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot connect to the proxy {proxy} (from http_proxy)"
        )),
        "{err}"
    );
    assert!(err.contains("NO_PROXY=gateway.example"), "{err}");
    assert!(!err.contains("cannot reach the gateway"), "{err}");
    // A NO_PROXY that holds other hosts is kept by the advice: setting it
    // as said must not send them through the proxy.
    let env = [
        ("http_proxy", proxy.as_str()),
        ("no_proxy", "localhost; .corp.example"),
    ];
    let out = run_with_proxy_env(home.path(), &env, &args);
    let err = stderr(&out);
    // In the variable that is read (lower case wins over NO_PROXY).
    assert!(
        err.contains("set no_proxy=localhost,.corp.example,gateway.example"),
        "{err}"
    );
    assert!(!err.contains("NO_PROXY="), "{err}");
    // doctor too, in every mention ("set no_proxy for this host").
    let env = [("http_proxy", proxy.as_str()), ("no_proxy", "localhost")];
    let doctor = ["doctor", "--api", "http://gateway.example:8080"];
    let out = run_with_proxy_env(home.path(), &env, &doctor);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains("no_proxy"), "{said}");
    assert!(!said.contains("NO_PROXY"), "{said}");
}

/// `login` through a proxy that answers the sign-in calls itself (its 407,
/// its error page) or closes them: the proxy is named with its variable and
/// what it wants, never "the gateway does not offer sign-in", "the identity
/// provider refused" or "the provider's address was reached".
#[test]
fn a_proxy_s_answers_to_sign_in_calls_are_named_as_the_proxy_s() {
    let answer = |status: &str, headers: &str| {
        let page = "<html><head><title>proxy page</title></head></html>";
        format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        )
        .into_bytes()
    };
    let cases = [
        (
            answer(
                "407 Proxy Authentication Required",
                "Proxy-Authenticate: Basic realm=\"p\"\r\n",
            ),
            "with 407 itself: the identity provider was not asked. The proxy wants a user name and password",
        ),
        (
            answer("502 Bad Gateway", "X-Squid-Error: ERR_DNS_FAIL 0\r\n"),
            // Its own 5xx: the call let through, no answer behind it; for
            // now, not a refusal (stranger 52, BA6).
            "which answered HTTP 502 (ERR_DNS_FAIL 0) itself: it let the call through and got no answer from gateway.invalid",
        ),
        (
            Vec::new(),
            "closed the sign-in call to http://gateway.invalid:8080/.well-known/",
        ),
        // Windows sign-in only: no password in the variable answers it.
        (
            answer(
                "407 Proxy Authentication Required",
                "Proxy-Authenticate: NTLM\r\n",
            ),
            "asking for Windows sign-in (Negotiate or NTLM), which stepwise cannot give",
        ),
        // A 401 page with no challenge at all: a portal's sign-in.
        (
            answer("401 Unauthorized", ""),
            "came back HTTP 401 (proxy page) with no answer of the identity provider's",
        ),
        // A login (Basic) at 401: the proxy variable's user name and
        // password, as for the gateway's calls (stranger 86, CI7).
        (
            answer(
                "401 Unauthorized",
                "WWW-Authenticate: Basic realm=\"proxy\"\r\n",
            ),
            "with HTTP 401 and a login (Basic) itself: the identity provider was not asked. A proxy that asks so (tinyproxy does) takes a user name and password from the proxy variable (http://user:password@proxy:port)",
        ),
        // Its own limit: wait, never "ask whether it lets … through"
        // (stranger 78, CA3).
        (
            answer("429 Too Many Requests", "Retry-After: 20\r\n"),
            // With the wait its Retry-After asked (stranger 84, CG6).
            "which answered HTTP 429 (proxy page) itself: the proxy is limiting requests and asks to wait 20 s. Retry after that",
        ),
    ];
    for (bytes, words) in cases {
        let proxy = crate::canned::answering(bytes);
        let home = tempfile::tempdir().unwrap();
        let args = ["login", "--device", "--api", "http://gateway.invalid:8080"];
        let out = run_through_proxy(home.path(), "http_proxy", &proxy, &args);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(words), "{err}");
        assert!(err.contains(&format!("{proxy} (from http_proxy)")), "{err}");
        assert!(err.contains("NO_PROXY=gateway.invalid"), "{err}");
        for wrong in [
            "does not offer sign-in",
            "refused to give a code",
            "was reached",
        ] {
            assert!(!err.contains(wrong), "{err}");
        }
    }
}

/// The code and token calls through a proxy that answers them with a page
/// of its own (an error page, a portal's 200), and an https sign-in whose
/// tunnel the proxy refuses for want of a password: the proxy is named
/// with its variable, never the provider ("has moved it", "not a device
/// code … check --issuer") nor the gateway ("cannot reach the gateway …
/// check --api").
#[test]
fn a_proxy_s_pages_and_refused_tunnels_on_sign_in_are_the_proxy_s() {
    let page = |status: &str, title: &str| {
        let body = format!("<html><head><title>{title}</title></head></html>");
        crate::canned::reply(status, "text/html", &body)
    };
    let metadata = r#"{"issuer":"http://gateway.invalid:8080","device_authorization_endpoint":"http://gateway.invalid:8080/oauth/device_authorization","token_endpoint":"http://gateway.invalid:8080/oauth/token"}"#;
    let json = crate::canned::reply("200 OK", "application/json", metadata);
    let none = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    for (answer, said) in [
        (
            page("404 Not Found", "Not Found"),
            "came back HTTP 404 (Not Found)",
        ),
        (
            page("200 OK", "ShopNet terms"),
            "came back HTTP 200 (ShopNet terms)",
        ),
    ] {
        let proxy = crate::canned::routing(
            vec![
                ("oauth-authorization-server", json.clone()),
                ("device_authorization", answer),
            ],
            none.clone(),
        );
        let home = tempfile::tempdir().unwrap();
        let args = ["login", "--device", "--api", "http://gateway.invalid:8080"];
        let out = run_through_proxy(home.path(), "http_proxy", &proxy, &args);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains("the sign-in call to http://gateway.invalid:8080/oauth/device_authorization went through the proxy")
                && err.contains(said)
                && err.contains("NO_PROXY=gateway.invalid"),
            "{err}"
        );
        for wrong in ["not a device code", "--issuer", "moved"] {
            assert!(!err.contains(wrong), "{err}");
        }
    }
}

/// `login` for an https:// gateway through a proxy that refuses the
/// tunnel (407) wanting a password, or Windows sign-in only: the proxy is
/// named with what it wants, never "cannot reach the gateway … tunnel
/// error", and a Windows-only proxy never "put a user name and password in
/// the proxy variable".
#[test]
fn login_through_a_proxy_refusing_the_tunnel_names_what_it_wants() {
    for (challenge, said, wrong) in [
        (
            "Basic realm=\"corp\"",
            "The proxy wants a user name and password",
            "tunnel error",
        ),
        (
            "Negotiate",
            "asking for Windows sign-in (Negotiate or NTLM), which stepwise cannot give",
            "http://user:password@proxy:port",
        ),
    ] {
        let proxy = crate::canned::answering(
            format!("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: {challenge}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes(),
        );
        let home = tempfile::tempdir().unwrap();
        let args = ["login", "--device", "--api", "https://gateway.invalid"];
        let out = run_through_proxy(home.path(), "https_proxy", &proxy, &args);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{proxy} (from https_proxy)")) && err.contains(said),
            "{err}"
        );
        assert!(
            !err.contains("cannot reach the gateway") && !err.contains(wrong),
            "{err}"
        );
    }
}

/// `login` through a proxy where nothing listens: the proxy is named (its
/// password never shown), never "cannot reach the gateway … check --api".
#[test]
fn login_through_a_proxy_that_is_down_names_the_proxy() {
    let port = pty::free_port();
    let proxy = format!("http://fitter:s3cret-pw@127.0.0.1:{port}");
    // An http:// gateway (the proxy forwards) and an https:// one (a
    // tunnel it would open): nothing listens at the proxy's address.
    for (api, variable) in [
        ("http://gateway.invalid:8080", "http_proxy"),
        ("https://gateway.invalid", "https_proxy"),
    ] {
        let home = tempfile::tempdir().unwrap();
        let args = ["login", "--device", "--api", api];
        let out = run_through_proxy(home.path(), variable, &proxy, &args);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "cannot connect to the proxy http://127.0.0.1:{port} (from {variable})"
            )),
            "{err}"
        );
        assert!(
            !err.contains("s3cret-pw")
                && !err.contains("cannot reach the gateway")
                && !err.contains("did not open a tunnel"),
            "{err}"
        );
    }
}

/// A negative number of seconds is a value refused with the range, not an
/// "unexpected argument" (which sends the user looking for a wrong flag).
#[test]
fn a_negative_deadline_or_churn_is_a_refused_value() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["steps", "--car", "987654", "--deadline", "-5"][..],
        &["serve", "--churn", "-1"][..],
    ] {
        let out = run(home.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("invalid value '-"), "{args:?}: {err}");
        assert!(err.contains("from 0.1 to 86400"), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
}

/// `steps --json` over several vehicles gives, for a vehicle whose list
/// could not be had, the cause a person reads on stderr (in English), not
/// the library's words: an answer cut short is "cut short" in both.
#[test]
fn a_json_error_names_the_cause_stderr_names() {
    let api = crate::canned::answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\nConnection: close\r\n\r\n{\"steps\": ["
            .to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &[
            "steps", "--api", &api, "--car", "987654", "--car", "111111", "--json",
        ],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (line, car) in stdout.lines().zip(["987654", "111111"]) {
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(json["carAssociationID"], car, "{stdout}");
        let error = json["error"].as_str().unwrap();
        assert!(error.contains("cut short"), "{stdout}");
        assert!(
            err.contains(&format!("stepwise: {car}: {error}")),
            "{err}\n{stdout}"
        );
    }
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

/// The wizard's advice to set the bypass list names the variable that is
/// read (lower-case `no_proxy`, which wins), keeps its hosts, and says a
/// running stepwise must be started again to see the change.
#[test]
fn the_wizard_s_no_proxy_advice_names_the_variable_read() {
    let proxy = format!("http://127.0.0.1:{}", pty::free_port());
    let mut tui = pty::Spawn::new(&["--api", "http://gateway.example:8080", "--car", "987654"])
        .env("http_proxy", &proxy)
        .env("no_proxy", "corp.example")
        .size(120, 40)
        .start();
    let flat = |screen: &str| {
        screen
            .replace(['│', '"'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Awaited whole: a screen read while the banner is being drawn holds
    // only its first line.
    let screen = tui.wait_for("the advice in full", Duration::from_secs(20), |s| {
        s.contains("cannot connect to the proxy") && flat(s).contains("A running stepwise")
    });
    let flat = flat(&screen);
    assert!(
        flat.contains("set no_proxy=corp.example,gateway.example")
            && flat.contains("A running stepwise reads the proxy variables when it starts"),
        "{screen}"
    );
}

/// `next` refused by a gateway that does not offer the next-step call (a
/// 404 naming no id, no code) says the list command to try with the
/// stepsID as asked, never a key of the wizard's screens (stranger 53, BB6).
#[test]
fn next_refused_names_the_list_command_with_its_own_steps_id() {
    let not_found = crate::canned::reply(
        "404 Not Found",
        "application/json",
        r#"{"message":"not found"}"#,
    );
    let api = crate::canned::answering(not_found);
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["next", "--api", &api, "--steps-id", "10987654"],
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "If `stepwise steps --api {api} --steps-id 10987654` lists this vehicle's steps"
        )),
        "{err}"
    );
    assert!(!err.contains("steps screen"), "{err}");
    assert!(!err.contains("--steps-id ID"), "{err}");
}

/// An answer over the 1 MiB cap comes the same again: `action` is
/// `stop`, and the words say to tell the gateway's operator where --api
/// is a steps gateway (stranger 56, BE5).
#[test]
fn an_answer_over_the_cap_is_to_stop_and_names_the_operator() {
    let padding = "x".repeat(1100 * 1024);
    let body = format!(
        r#"{{"stepsID":132324,"pad":"{padding}","mediumCarKey":{{"status":"todo","order":1}}}}"#
    );
    let api = crate::canned::answering(crate::canned::reply("200 OK", "application/json", &body));
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654", "--json"],
    );
    assert_exit(&out, 1);
    let line = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(line.trim()).expect("a JSON failure");
    assert_eq!(json["action"], "stop", "{json}");
    let error = json["error"].as_str().unwrap();
    assert!(
        error.contains("larger than 1024 KiB") && error.contains("tell the gateway's operator"),
        "{error}"
    );
}

/// A 403 whose body is of another shape (RFC 7807) is quoted and said as
/// not in the contract's shape, never "without a gateway's error body"
/// beside the words it quotes (stranger 56, BE6).
#[test]
fn a_403_of_another_shape_is_not_said_to_have_no_body() {
    let refused = crate::canned::reply(
        "403 Forbidden",
        "application/problem+json",
        r#"{"title":"Forbidden","detail":"this stepsID belongs to another device"}"#,
    );
    let api = crate::canned::answering(refused);
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["steps", "--api", &api, "--car", "987654"]);
    let err = stderr(&out);
    assert!(
        err.contains("(this stepsID belongs to another device)")
            && err.contains("with no error body in the gateway contract's shape"),
        "{err}"
    );
    assert!(!err.contains("without a gateway's error body"), "{err}");
}

/// `steps` given a list without a stepsID says so on stderr beside its
/// answer, `--json` too (stranger 56, BE4).
#[test]
fn a_list_without_a_steps_id_is_said_by_steps() {
    let body = r#"{"stepsID":null,"mediumCarKey":{"status":"todo","order":1}}"#;
    let api = crate::canned::answering(crate::canned::reply("200 OK", "application/json", body));
    let home = tempfile::tempdir().unwrap();
    for json in [false, true] {
        let mut args = vec!["steps", "--api", &api, "--car", "987654"];
        if json {
            args.push("--json");
        }
        let out = run(home.path(), &args);
        assert_exit(&out, 3);
        let err = stderr(&out);
        assert!(
            err.contains("the gateway's list carries no stepsID"),
            "{json}: {err}"
        );
    }
}

/// `stepwise watch` (the word the screens use) is no command: it says how
/// to watch, never clap's nearest name, "auth" (stranger 60, BI15).
#[test]
fn watch_as_a_command_says_how_to_watch() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["watch", "--car", "C01"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("there is no watch command: watching is the wizard's w key")
            && err.contains("`stepwise --car ID`, then w"),
        "{err}"
    );
    assert!(!err.contains("did you mean"), "{err}");
}

/// One vehicle's bare 404 (no error body) from the address the other
/// vehicles' lists came from in the same run: --api is right, and the id
/// is what to check, never "this address is not a steps gateway … give
/// --api" (stranger 67, BP6).
#[test]
fn a_bare_404_for_one_vehicle_among_listed_ones_names_the_id() {
    let list = r#"{"stepsID":1,"trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1}}"#;
    let api = crate::canned::routing(
        vec![(
            "carAssociationID=222222",
            crate::canned::reply("404 Not Found", "text/plain", ""),
        )],
        crate::canned::reply("200 OK", "application/json", list),
    );
    let home = tempfile::tempdir().unwrap();
    let ids = home.path().join("ids.txt");
    std::fs::write(&ids, "111111\n222222\n").unwrap();
    let ids = ids.to_str().unwrap();
    let out = run(
        home.path(),
        &["steps", "--api", &api, "--cars", ids, "--concurrency", "1"],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("222222: http://127.0.0.1:")
            && err.contains(
                "answered HTTP 404 without a gateway's error body, though lists of other vehicles \
             came from this address in this run: --api is right"
            ),
        "{err}"
    );
    assert!(
        !err.contains("this address is not a steps gateway"),
        "{err}"
    );
    // Alone, nothing says the address is a gateway: the --api advice stays.
    let out = run(home.path(), &["steps", "--api", &api, "--car", "222222"]);
    assert!(
        stderr(&out).contains("this address is not a steps gateway"),
        "{}",
        stderr(&out)
    );
}

/// A proxy's own 429 that names no wait gets the minute a gateway's does in
/// `--json`'s `retry_after`; its own 503 with a Retry-After gets that wait,
/// in the words too (stranger 82, CE5).
#[test]
fn a_proxy_s_own_429_and_503_give_their_wait_to_scripts() {
    for (head, wait, said) in [
        ("429 Too Many Requests", "", None),
        (
            "503 Service Unavailable",
            "Retry-After: 45\r\n",
            Some("asks to wait 45 s"),
        ),
    ] {
        let proxy = crate::canned::answering(
            format!(
                "HTTP/1.1 {head}\r\nServer: squid/6.10\r\n{wait}Content-Type: text/html\r\nContent-Length: 13\r\nConnection: close\r\n\r\n<html></html>"
            )
            .into_bytes(),
        );
        let home = tempfile::tempdir().unwrap();
        let args = [
            "steps",
            "--api",
            "http://gateway.example:8080",
            "--car",
            "987654",
            "--json",
        ];
        let out = run_through_proxy(home.path(), "http_proxy", &proxy, &args);
        assert_exit(&out, 1);
        let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        let expected = if said.is_some() { 45 } else { 60 };
        assert_eq!(line["retry_after"], expected, "{head}: {line}");
        assert_eq!(line["action"], "retry", "{head}: {line}");
        if let Some(said) = said {
            let error = line["error"].as_str().unwrap_or_default();
            assert!(error.contains(said), "{head}: {line}");
        }
    }
}

/// A proxy that compresses every answer: `login` names the compression
/// and the proxy, never "the gateway's sign-in discovery document is not
/// valid JSON … tell the gateway's operator" (stranger 84, CG5).
#[test]
fn login_through_a_compressing_proxy_names_the_compression() {
    let proxy = crate::canned::answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\nConnection: close\r\n\r\n\x1f\x8b\x08\x00"
            .to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let args = ["login", "--device", "--api", "http://gateway.example:8080"];
    let out = run_through_proxy(home.path(), "http_proxy", &proxy, &args);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("came back compressed (gzip) through the proxy")
            && err.contains(&proxy)
            && err.contains("NO_PROXY=gateway.example"),
        "{err}"
    );
    assert!(!err.contains("not valid JSON"), "{err}");
    // The proxy may only relay what the provider compressed: both are
    // named (stranger 86, CI5).
    assert!(
        err.contains("the proxy, or the server behind it, compresses them"),
        "{err}"
    );
}
