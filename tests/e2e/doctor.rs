//! `stepwise doctor`, run as a user runs it, against gateways on loopback: a
//! healthy simulator, `serve --tls` without and with trust, a server that
//! never answers, and one whose clock is five minutes off.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use serde_json::Value;
use stepwise::sim::{RunningSim, Scenario, spawn};
use stepwise::text::{Args, Lang, message, num};
use tempfile::TempDir;
use tokio::runtime::Runtime;

use crate::proxy;

/// The whole run must end within this, even when the gateway hangs.
const DOCTOR_LIMIT: Duration = Duration::from_secs(25);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Doctor's limits divided by 4 in the binary under test (a debug build):
/// 0.75 s a check, 2.5 s a request, 5 s the run. For the tests of what it
/// does at its limits, which wait them out.
const DIVIDED_BY: u32 = 4;

fn doctor(home: &Path, args: &[&str]) -> Output {
    doctor_with_env(home, args, &[])
}

/// `doctor` with its limits divided by [`DIVIDED_BY`]; the run must end
/// within its divided limit and the same 5 s margin as [`DOCTOR_LIMIT`].
fn doctor_divided(home: &Path, args: &[&str]) -> Output {
    let divided_by = DIVIDED_BY.to_string();
    doctor_within(
        home,
        args,
        &[(stepwise::doctor::TEST_LIMITS_DIVIDED_BY, &divided_by)],
        Duration::from_secs(20) / DIVIDED_BY + Duration::from_secs(5),
    )
}

fn doctor_with_env(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    doctor_within(home, args, env, DOCTOR_LIMIT)
}

fn doctor_within(home: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Output {
    let mut cmd = Command::cargo_bin("stepwise").expect("the binary is built");
    cmd.env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("STEPWISE_API")
        .env_remove("STEPWISE_TOKEN")
        .env_remove("STEPWISE_CONFIG")
        .env_remove("STEPWISE_CA_FILE")
        .env_remove("SSL_CERT_FILE")
        // English unless a test asks for another language.
        .env_remove("STEPWISE_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG");
    for var in crate::pty::PROXY_ENV {
        cmd.env_remove(var);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.arg("doctor")
        .args(args)
        .timeout(limit)
        .output()
        .expect("doctor runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// doctor's words for an https:// gateway that only the proxy at `proxy`
/// (as HTTPS_PROXY) would reach.
fn doctor_through(proxy: &str) -> String {
    let home = home();
    let args = ["--api", "https://gateway.invalid"];
    stdout(&doctor_with_env(
        home.path(),
        &args,
        &[("HTTPS_PROXY", proxy)],
    ))
}

/// doctor with a plain-HTTP gateway behind the proxy `proxy`
/// (HTTP_PROXY), with a car: the list calls go through it.
fn doctor_through_plain(proxy: &str) -> String {
    let home = home();
    let args = ["--api", "http://gateway.invalid:8080", "--car", "987654"];
    stdout(&doctor_with_env(
        home.path(),
        &args,
        &[("HTTP_PROXY", proxy)],
    ))
}

/// A 200 answer with `body` as JSON, closing the connection.
fn json_200(body: &str) -> Vec<u8> {
    crate::canned::reply("200 OK", "application/json", body)
}

/// A gateway whose lists are one vehicle's and whose events call answers
/// `events`, then holds the stream open (`hold`) or closes it.
fn events_gateway(events: Vec<u8>, hold: bool) -> String {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    if hold {
        crate::canned::holding_events(json_200(list), events)
    } else {
        crate::canned::cutting_events(json_200(list), events)
    }
}

/// The line of one check.
fn line<'a>(text: &'a str, title: &str) -> &'a str {
    text.lines()
        .find(|l| l.chars().skip(11).collect::<String>().starts_with(title))
        .unwrap_or_else(|| panic!("no {title} line in:\n{text}"))
}

fn home() -> TempDir {
    tempfile::tempdir().expect("temp HOME")
}

/// With no gateway configured, an id the embedded demo does not know is
/// said as the demo's, with its ids and --api, never "check the
/// carAssociationID" (stranger 87, CJ5).
#[test]
fn an_id_the_demo_does_not_know_names_the_demo_not_the_id() {
    let home = home();
    let out = doctor(home.path(), &["--car", "999999"]);
    let text = stdout(&out);
    assert!(
        text.contains("so doctor checked the embedded demo, which knows only 987654, 111111")
            && text.contains("to check your gateway, give --api URL"),
        "{text}"
    );
    assert!(
        !text.contains("Check the carAssociationID given with --car"),
        "{text}"
    );
}

#[test]
fn a_healthy_simulator_is_all_ok_and_exits_0() {
    let rt = runtime();
    let sim: RunningSim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let home = home();
    let out = doctor(home.path(), &["--api", &sim.url(), "--car", "987654"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let checks: Vec<&str> = text.lines().skip(1).filter(|l| l.len() > 11).collect();
    assert!(checks.len() >= 17, "{text}");
    for check in checks.iter().take(17) {
        assert!(check.starts_with("✓ ok"), "not ok: {check}\n{text}");
    }
    assert!(
        line(&text, "First list").contains("stepsID 132324"),
        "{text}"
    );
    assert!(text.contains("0 failed, 0 warnings, 17 ok"), "{text}");
}

/// A client certificate that cannot be used is not presented to a plain
/// http:// gateway, which `steps` reaches with it: a warning that names
/// the file's fault, not a failed run.
#[test]
fn an_unusable_client_certificate_on_plain_http_is_a_warning() {
    let rt = runtime();
    let sim: RunningSim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let home = home();
    let cert = home.path().join("client.pem");
    std::fs::write(&cert, "not a certificate\n").unwrap();
    let args = ["--api", &sim.url(), "--car", "987654", "--client-cert"];
    let mut args = args.to_vec();
    args.push(cert.to_str().unwrap());
    let out = doctor(home.path(), &args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let line = line(&text, "Client certificate");
    assert!(line.starts_with("! warning"), "{text}");
    assert!(line.contains("not presented on plain http://"), "{text}");
    assert!(line.contains(cert.to_str().unwrap()), "{text}");
}

#[test]
fn json_output_lists_every_check_with_its_status() {
    let rt = runtime();
    let sim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let home = home();
    let out = doctor(
        home.path(),
        &["--api", &sim.url(), "--car", "987654", "--json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON");
    assert_eq!(json["ok"], true);
    assert_eq!(json["failed"], 0);
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 17);
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "config",
        "device_id",
        "dns",
        "proxy",
        "tcp",
        "tls",
        "client_cert",
        "token",
        "clock",
        "first_list",
        "events",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(checks.iter().all(|c| c["status"] == "ok"), "{json}");

    // An unknown carAssociationID fails, and the JSON says so too.
    let out = doctor(
        home.path(),
        &["--api", &sim.url(), "--car", "000000", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], false);
    let first = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "first_list")
        .unwrap();
    assert_eq!(first["status"], "failed");
    assert!(first["remedy"].as_str().unwrap().contains("--car"));
}

/// `stepwise serve --tls --tls-dir DIR` as a child process; killed on drop.
struct TlsServe {
    child: Child,
    url: String,
}

impl Drop for TlsServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_tls(home: &Path, dir: &Path) -> TlsServe {
    serve_tls_with(home, dir, &[])
}

fn serve_tls_with(home: &Path, dir: &Path, extra: &[&str]) -> TlsServe {
    serve_tls_at(home, dir, "127.0.0.1:0", extra).0
}

/// [`serve_tls_with`] on `addr`, with the lines it printed before its
/// address.
fn serve_tls_at(home: &Path, dir: &Path, addr: &str, extra: &[&str]) -> (TlsServe, Vec<String>) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home)
        .args(["serve", "--tls", "--addr", addr, "--tls-dir"])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut before = Vec::new();
    let url = loop {
        let line = lines
            .next()
            .expect("serve printed its address")
            .expect("readable");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        before.push(line);
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (TlsServe { child, url }, before)
}

/// Simulators started at once on one --tls-dir serve one authority, the
/// one in its ca.pem: each is trusted with the --ca-file it names
/// (stranger 84, CG3).
#[test]
fn simulators_started_at_once_on_one_tls_folder_share_its_authority() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let servers: Vec<TlsServe> = std::thread::scope(|scope| {
        let started: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| serve_tls(home.path(), dir.path())))
            .collect();
        started.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let ca = dir.path().join("ca.pem");
    for server in &servers {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
            .env("HOME", home.path())
            .args([
                "steps",
                "--api",
                &server.url,
                "--car",
                "987654",
                "--ca-file",
            ])
            .arg(&ca)
            .output()
            .unwrap();
        // 3: steps left to do, in a list that came over TLS.
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}: {}",
            server.url,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `serve --tls --auth device` names its own sign-in addresses as https://
/// (its resource metadata, its provider's endpoints): `login` against it
/// gets as far as the code, never refused as "another resource" or plain
/// http behind https.
#[test]
fn a_tls_simulator_with_sign_in_publishes_https_addresses() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let server = serve_tls_with(home.path(), dir.path(), &["--auth", "device"]);
    let ca = dir.path().join("ca.pem");
    let mut tui = crate::pty::Spawn::new(&[
        "login",
        "--device",
        "--api",
        &server.url,
        "--ca-file",
        ca.to_str().unwrap(),
    ])
    .home(home.path())
    .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    .size(100, 40)
    .start();
    let screen = tui.wait_for("the code", Duration::from_secs(20), |s| {
        s.contains("Waiting for the approval") || s.contains("error")
    });
    assert!(
        screen.contains(&format!("Open {}/device", server.url.trim_end_matches('/'))),
        "{screen}"
    );
}

/// `serve --tls --addr 127.0.0.2:…` makes its certificate for that address
/// too; files kept from a run on 127.0.0.1 are not made for it, and the
/// start says so, with how to have new ones made.
#[test]
fn serve_tls_names_an_address_its_kept_certificate_does_not_cover() {
    let home = home();
    let fresh = tempfile::tempdir().unwrap();
    let (server, said) = serve_tls_at(home.path(), fresh.path(), "127.0.0.2:0", &[]);
    assert!(
        server.url.starts_with("https://127.0.0.2:"),
        "{}",
        server.url
    );
    assert!(!said.iter().any(|l| l.contains("not for")), "{said:?}");
    let ca = fresh.path().join("ca.pem").display().to_string();
    let out = doctor(
        home.path(),
        &["--api", &server.url, "--car", "987654", "--ca-file", &ca],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    drop(server);

    let kept = tempfile::tempdir().unwrap();
    let first = serve_tls(home.path(), kept.path());
    drop(first);
    let (_second, said) = serve_tls_at(home.path(), kept.path(), "127.0.0.2:0", &[]);
    let warning = said
        .iter()
        .find(|l| l.contains("is made for localhost, 127.0.0.1, not for 127.0.0.2"))
        .unwrap_or_else(|| panic!("{said:?}"));
    assert!(
        warning.contains("Delete ca.pem, cert.pem and key.pem in"),
        "{warning}"
    );
}

/// A second `serve --tls` in the same folder keeps the first one's files
/// (a simulator may still serve them, phones may trust that authority): a
/// client trusting the first ca.pem reaches both.
#[test]
fn serve_tls_keeps_an_earlier_run_s_authority() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let first = serve_tls(home.path(), dir.path());
    let ca = dir.path().join("ca.pem");
    let before = std::fs::read(&ca).unwrap();
    let second = serve_tls(home.path(), dir.path());
    assert_eq!(std::fs::read(&ca).unwrap(), before, "ca.pem was rewritten");
    let ca_arg = ca.display().to_string();
    for server in [&first, &second] {
        let out = doctor(
            home.path(),
            &[
                "--api",
                &server.url,
                "--car",
                "987654",
                "--ca-file",
                &ca_arg,
            ],
        );
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{}: {text}", server.url);
    }
    // Files that cannot be used are named and left alone, never replaced.
    let broken = tempfile::tempdir().unwrap();
    for name in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::write(broken.path().join(name), "not PEM").unwrap();
    }
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .args(["serve", "--tls", "--addr", "127.0.0.1:0", "--tls-dir"])
        .arg(broken.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("are left as they are"), "{err}");
    let kept = std::fs::read_to_string(broken.path().join("ca.pem")).unwrap();
    assert_eq!(kept, "not PEM");
    // An authority alone (copied there): not written over either.
    let partial = tempfile::tempdir().unwrap();
    std::fs::write(partial.path().join("ca.pem"), "an authority clients trust").unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .args(["serve", "--tls", "--addr", "127.0.0.1:0", "--tls-dir"])
        .arg(partial.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds ca.pem but not all") && err.contains("nothing is written over"),
        "{err}"
    );
    let kept = std::fs::read_to_string(partial.path().join("ca.pem")).unwrap();
    assert_eq!(kept, "an authority clients trust");
}

/// A certificate sent alone whose issuer is not in the --ca-file: the
/// gateway may not send its intermediate authority, or the file may hold
/// another authority; doctor names the issuer and both ways, and `steps`
/// names the intermediate too, not only "take the current authority".
#[test]
fn a_certificate_sent_without_its_intermediate_is_said_so() {
    use stepwise::sim::tls::{CertSpec, generate};
    let home = home();
    let served = tempfile::tempdir().unwrap();
    let spec = |note: &str| CertSpec {
        authority_note: Some(note.into()),
        ..CertSpec::default()
    };
    generate(&spec("the gateway's"))
        .unwrap()
        .write_to(served.path())
        .unwrap();
    let other = tempfile::tempdir().unwrap();
    generate(&spec("another"))
        .unwrap()
        .write_to(other.path())
        .unwrap();
    let server = serve_tls(home.path(), served.path());
    let ca = other.path().join("ca.pem").display().to_string();
    let text = stdout(&doctor(
        home.path(),
        &["--api", &server.url, "--car", "987654", "--ca-file", &ca],
    ));
    assert!(line(&text, "TLS").starts_with("✗"), "{text}");
    assert!(
        text.contains("and the gateway sent no intermediate authority with it"),
        "{text}"
    );
    assert!(text.contains("serve the full chain"), "{text}");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .args([
            "steps",
            "--api",
            &server.url,
            "--car",
            "987654",
            "--ca-file",
            &ca,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not send the intermediate authority"),
        "{err}"
    );
}

/// An --issuer whose certificate is not trusted here is the identity
/// provider's: named as such, with --ca-file and whoever runs it, never
/// "the gateway at … take the gateway's current authority certificate".
#[test]
fn an_issuer_s_certificate_is_the_provider_s_not_the_gateway_s() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let provider = serve_tls(home.path(), dir.path());
    let rt = runtime();
    let sim: RunningSim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .args([
            "login",
            "--device",
            "--api",
            &sim.url(),
            "--issuer",
            &provider.url,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the identity provider at") && err.contains("unknown issuer"),
        "{err}"
    );
    assert!(!err.contains("the gateway at"), "{err}");
}

/// Mutual TLS with the simulator alone: `serve --tls` writes client.pem
/// beside its authority, and with `--client-ca` of that authority doctor
/// passes with it; the server's own certificate given as a client's is
/// named as not made for a client.
#[test]
fn serve_tls_writes_a_client_certificate_it_takes() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem").display().to_string();
    let server = serve_tls_with(home.path(), dir.path(), &["--client-ca", &ca]);
    let client = dir.path().join("client.pem").display().to_string();
    let base = ["--api", &server.url, "--car", "987654", "--ca-file", &ca];
    let mut args = base.to_vec();
    args.extend(["--client-cert", &client]);
    let text = stdout(&doctor(home.path(), &args));
    assert!(
        line(&text, "Client certificate").starts_with("✓ ok"),
        "{text}"
    );
    assert!(line(&text, "First list").starts_with("✓ ok"), "{text}");
    let cert = dir.path().join("cert.pem").display().to_string();
    let key = dir.path().join("key.pem").display().to_string();
    let mut args = base.to_vec();
    args.extend(["--client-cert", &cert, "--client-key", &key]);
    let text = stdout(&doctor(home.path(), &args));
    let refused = line(&text, "Client certificate");
    assert!(
        refused.starts_with("✗ failed") && refused.contains("not made for a client"),
        "{text}"
    );
    assert!(
        text.contains("Use a certificate issued for client authentication"),
        "{text}"
    );
}

/// `login` to http:// on a TLS port says to use https://, as steps does,
/// never "check that it runs"; `login --with-token` keeps nothing under
/// that address (stranger 73, BV9).
#[test]
fn login_on_a_tls_port_with_http_says_use_https() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let server = serve_tls_with(home.path(), dir.path(), &["--auth", "device"]);
    let plain = server.url.replacen("https://", "http://", 1);
    let login = |args: &[&str]| {
        let mut cmd = Command::cargo_bin("stepwise").expect("the binary is built");
        cmd.env("HOME", home.path())
            .env("STEPWISE_TOKEN_STORE", "file")
            .env_remove("STEPWISE_API")
            .env_remove("STEPWISE_TOKEN")
            .env_remove("STEPWISE_LANG")
            .env_remove("LANG");
        for var in crate::pty::PROXY_ENV {
            cmd.env_remove(var);
        }
        cmd.args(args)
            .write_stdin("a-token-0123\n")
            .output()
            .unwrap()
    };
    for args in [
        &["login", "--device", "--api", &plain][..],
        &["login", "--with-token", "--api", &plain][..],
    ] {
        let out = login(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("speaks TLS")
                && err.contains("Use https://")
                && !err.contains("Check that it runs"),
            "{args:?}: {err}"
        );
    }
    let logins = home.path().join(".local/share/stepwise/logins.json");
    let kept = std::fs::read_to_string(&logins).unwrap_or_default();
    assert!(!kept.contains("127.0.0.1"), "{kept}");
}

/// http:// on a TLS port: the server answered, in TLS, so doctor says to
/// use https://, never that the gateway may be down or overloaded.
#[test]
fn doctor_on_a_tls_port_with_http_says_use_https() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let server = serve_tls(home.path(), dir.path());
    let plain = server.url.replacen("https://", "http://", 1);
    let out = doctor(home.path(), &["--api", &plain, "--car", "987654"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("speaks TLS, and --api says http://"),
        "{text}"
    );
    assert!(text.contains("Use https:// in --api"), "{text}");
    assert!(!text.contains("not overloaded"), "{text}");
    // Filed under TLS, where the cause is, never "✓ TLS not used".
    let tls = line(&text, "TLS");
    assert!(
        tls.starts_with("✗ failed") && tls.contains("speaks TLS"),
        "{text}"
    );
}

#[test]
fn serve_tls_without_trust_fails_with_the_exact_ca_file_and_with_it_all_is_ok() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let server = serve_tls(home.path(), dir.path());
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let ca = std::fs::canonicalize(dir.path()).unwrap().join("ca.pem");
    assert!(ca.is_file(), "serve --tls writes ca.pem");
    assert!(dir.path().join("cert.pem").is_file() && dir.path().join("key.pem").is_file());

    let out = doctor(home.path(), &["--api", &server.url, "--car", "987654"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let tls = line(&text, "TLS");
    assert!(
        tls.starts_with("✗ failed") && tls.contains("unknown issuer"),
        "{text}"
    );
    let remedy = format!("Add --ca-file {}", ca.display());
    assert!(text.contains(&remedy), "expected {remedy:?} in:\n{text}");

    // The same in German: the ✗ with its word, and the exact flag to add.
    let out = doctor(
        home.path(),
        &["--api", &server.url, "--car", "987654", "--lang", "de"],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed = format!("✗ {}", message(Lang::De, "doctor-mark-failed", None));
    assert!(
        text.lines()
            .any(|l| l.starts_with(&failed) && l.contains(" TLS ")),
        "{text}"
    );
    let remedy = say(
        Lang::De,
        "doctor-tls-add-ca-file",
        &[("path", ca.display().to_string().into())],
    );
    assert!(text.contains(&remedy), "expected {remedy:?} in:\n{text}");
    assert!(!text.contains("Add --ca-file"), "{text}");

    // A --ca-file given already, but the wrong one (the server's own
    // certificate, a common mistake): not "Add --ca-file", but use the
    // right one instead of it.
    let wrong = dir.path().join("cert.pem").display().to_string();
    let out = doctor(
        home.path(),
        &["--api", &server.url, "--car", "987654", "--ca-file", &wrong],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let remedy = format!(
        "Use --ca-file {}: the authority file in use ({wrong}) did not sign this certificate",
        ca.display()
    );
    assert!(text.contains(&remedy), "expected {remedy:?} in:\n{text}");
    assert!(!text.contains("Add --ca-file"), "{text}");

    // SSL_CERT_FILE (another tool's setting, often the system's bundle)
    // that lacks the authority: the advice is --ca-file, never to edit
    // that file.
    let out = doctor_with_env(
        home.path(),
        &["--api", &server.url, "--car", "987654"],
        &[("SSL_CERT_FILE", wrong.as_str())],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let remedy = format!("Add --ca-file {}", ca.display());
    assert!(text.contains(&remedy), "expected {remedy:?} in:\n{text}");
    assert!(!text.contains("the authority file in use"), "{text}");

    let ca_arg = ca.display().to_string();
    let out = doctor(
        home.path(),
        &[
            "--api",
            &server.url,
            "--car",
            "987654",
            "--ca-file",
            &ca_arg,
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(line(&text, "TLS").starts_with("✓ ok"), "{text}");
    assert!(text.contains("0 failed, 0 warnings, 17 ok"), "{text}");
}

#[test]
fn a_gateway_that_never_answers_ends_the_run_within_its_limit() {
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts, holds every connection open, and never says a word.
    rt.spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let home = home();
    // `doctor_divided` kills the run and fails the test if it outlives the
    // limit.
    let out = doctor_divided(
        home.path(),
        &["--api", &format!("http://{addr}"), "--car", "987654"],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(line(&text, "TCP connect").starts_with("✓ ok"), "{text}");
    // The ✗ is on the list that could not be asked, not on a contract
    // detail (a new user read "Error body" as the cause).
    let first = line(&text, "First list");
    assert!(
        first.starts_with("✗ failed")
            && first.contains("no usable answer from the gateway:")
            // The request's limit: 10 s, divided by 4.
            && first.contains("within 2.5"),
        "{text}"
    );
    assert!(line(&text, "Error body").starts_with("- skipped"), "{text}");
    // Nothing answered: whether it wants a token is not known, not "ok".
    let token = line(&text, "Token");
    assert!(
        token.starts_with("- skipped") && token.contains("not checked"),
        "{text}"
    );
}

#[test]
fn a_wrong_api_path_is_named_as_no_gateway_not_as_a_wrong_car() {
    let rt = runtime();
    let sim = rt
        .block_on(spawn(Scenario::built_in(), None))
        .expect("sim starts");
    let home = home();
    let api = format!("{}/api", sim.url());
    let out = doctor(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The First list line and its remedy, the line under it.
    let first: String = text
        .split("First list")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .take(2)
        .collect();
    assert!(
        first.contains("This address is not a steps gateway"),
        "{text}"
    );
    assert!(!first.contains("Check the carAssociationID"), "{text}");

    // With a token given, no line claims what only a gateway can say: the
    // token is not "taken", the clock not compared, by a 404 page.
    let token = home.path().join("token");
    std::fs::write(&token, "t0ken-for-a-404-page").unwrap();
    let out = doctor(
        home.path(),
        &[
            "--api",
            &api,
            "--car",
            "987654",
            "--token-file",
            token.to_str().unwrap(),
        ],
    );
    let text = stdout(&out);
    assert!(!line(&text, "Token").contains("took it"), "{text}");
    assert!(!line(&text, "Clock").starts_with("✓"), "{text}");
}

#[test]
fn a_gateway_clock_five_minutes_off_is_a_warning() {
    use axum::http::{StatusCode, header};
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        let date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(300));
        (
            StatusCode::BAD_REQUEST,
            [
                (header::DATE, date),
                (header::CONTENT_TYPE, "application/json".into()),
            ],
            r#"{"message":"give exactly one of carAssociationID and stepsID"}"#,
        )
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    let home = home();
    let out = doctor(home.path(), &["--api", &format!("http://{addr}")]);
    let text = stdout(&out);
    let clock = line(&text, "Clock");
    assert!(clock.starts_with("! warning"), "{text}");
    assert!(clock.contains("ahead of the gateway's"), "{clock}");
    let seconds: i64 = clock
        .split(" s ")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no seconds in {clock}"));
    assert!((240..=360).contains(&seconds), "{clock}");
    // A warning alone does not fail the run.
    assert!(!text.contains("✗"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

/// A gateway that redirects every call to another server: doctor names the
/// refused redirect, and the other server is never asked.
#[test]
fn a_redirect_to_another_server_is_named_not_followed() {
    use axum::http::{StatusCode, header};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let rt = runtime();
    let elsewhere = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let other = elsewhere.local_addr().unwrap();
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let other_app = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "{}" }
    });
    rt.spawn(async move { axum::serve(elsewhere, other_app).await });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move || async move {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(
                header::LOCATION,
                format!("http://{other}/pims/subscription/steps"),
            )],
        )
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    let home = home();
    let out = doctor(
        home.path(),
        &["--api", &format!("http://{addr}"), "--car", "987654"],
    );
    let text = stdout(&out);
    assert!(text.contains("does not follow"), "{text}");
    assert!(text.contains(&other.to_string()), "{text}");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "{text}");
    assert_ne!(out.status.code(), Some(0), "{text}");
}

#[test]
fn the_embedded_default_is_checked_when_no_gateway_is_configured() {
    let home = home();
    let out = doctor(home.path(), &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        line(&text, "Gateway address").contains("embedded simulator"),
        "{text}"
    );
    assert!(line(&text, "First list").starts_with("✓ ok"), "{text}");
}

#[test]
fn a_broken_config_file_is_a_failed_line_not_a_crash() {
    let home = home();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "api = 3\n").unwrap();
    let mut cmd = Command::cargo_bin("stepwise").unwrap();
    let out = cmd
        .env("HOME", home.path())
        .env("STEPWISE_CONFIG", &config)
        .env_remove("STEPWISE_API")
        .args(["doctor"])
        .timeout(DOCTOR_LIMIT)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let config_line = line(&text, "Config file");
    assert!(
        config_line.starts_with("✗ failed") && config_line.contains("not valid"),
        "{text}"
    );
}

/// A setting from the environment that cannot be used fails its own line:
/// the config file (there is none) is not blamed for STEPWISE_API or
/// STEPWISE_TOKEN.
#[test]
fn a_bad_setting_from_the_environment_fails_its_own_line_not_the_config_file_s() {
    let home = home();
    let cases = [
        (
            "STEPWISE_API",
            "http://user:pw@127.0.0.1:9/",
            "Gateway address",
            "user name or password",
        ),
        (
            "STEPWISE_API",
            "localhost:8080",
            "Gateway address",
            "http://localhost:8080",
        ),
        ("STEPWISE_TOKEN", "Bearer abc", "Token", "the word Bearer"),
    ];
    for (name, value, title, words) in cases {
        let out = doctor_with_env(home.path(), &[], &[(name, value)]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            line(&text, "Config file").starts_with("✓ ok"),
            "{name}: {text}"
        );
        let failed = line(&text, title);
        assert!(
            failed.starts_with("✗ failed") && failed.contains(words),
            "{name}: {text}"
        );
        assert!(!text.contains("pw@") && !text.contains("abc"), "{text}");
    }
}

#[test]
fn a_gateway_demanding_client_certificates_is_named_and_a_good_one_passes() {
    use stepwise::sim::tls::{CertSpec, generate};
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    // The workshop's authority, whose certificates the gateway accepts.
    let workshop = generate(&CertSpec::default()).unwrap();
    let client_ca = dir.path().join("workshop-ca.pem");
    std::fs::write(&client_ca, &workshop.ca_pem).unwrap();
    let issued = workshop.issue_client("bay-3").unwrap();
    let both = dir.path().join("bay-3.pem");
    std::fs::write(&both, format!("{}{}", issued.cert_pem, issued.key_pem)).unwrap();

    let tls_dir = dir.path().join("server");
    let client_ca_arg = client_ca.display().to_string();
    let server = serve_tls_with(home.path(), &tls_dir, &["--client-ca", &client_ca_arg]);
    let ca = tls_dir.join("ca.pem").display().to_string();
    let base = [
        "--api",
        server.url.as_str(),
        "--car",
        "987654",
        "--ca-file",
        ca.as_str(),
    ];

    let out = doctor(home.path(), &base);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let cert = line(&text, "Client certificate");
    assert!(
        cert.starts_with("✗ failed") && cert.contains("requires one"),
        "{text}"
    );
    assert!(text.contains("--client-cert FILE"), "{text}");

    let both_arg = both.display().to_string();
    let mut with_cert = base.to_vec();
    with_cert.extend(["--client-cert", both_arg.as_str()]);
    let out = doctor(home.path(), &with_cert);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let cert = line(&text, "Client certificate");
    assert!(
        cert.starts_with("✓ ok") && cert.contains("CN=bay-3"),
        "{text}"
    );

    // From the right authority but expired: the gateway refuses it, and
    // doctor names the expiry, not another authority.
    let old = workshop
        .issue_client_for(
            "bay-old",
            stepwise::sim::tls::Validity {
                not_before: (2001, 1, 1),
                not_after: (2002, 1, 1),
            },
        )
        .unwrap();
    let old_path = dir.path().join("bay-old.pem");
    std::fs::write(&old_path, format!("{}{}", old.cert_pem, old.key_pem)).unwrap();
    let old_arg = old_path.display().to_string();
    let mut with_old = base.to_vec();
    with_old.extend(["--client-cert", old_arg.as_str()]);
    let out = doctor(home.path(), &with_old);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let cert = line(&text, "Client certificate");
    assert!(
        cert.starts_with("✗ failed") && cert.contains("expired"),
        "{text}"
    );
    assert!(text.contains("Ask for a new client certificate"), "{text}");
    assert!(!text.contains("authority the gateway trusts"), "{text}");
}

#[test]
fn through_a_connect_proxy_the_proxy_is_named_and_the_tunnel_used() {
    let rt = runtime();
    let proxy = rt.block_on(proxy::connect_proxy());
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let server = serve_tls(home.path(), dir.path());
    let ca = dir.path().join("ca.pem").display().to_string();
    let args = [
        "--api",
        server.url.as_str(),
        "--car",
        "987654",
        "--ca-file",
        ca.as_str(),
    ];

    let out = doctor_with_env(home.path(), &args, &[("HTTPS_PROXY", &proxy.url)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let shown = line(&text, "Proxy");
    assert!(
        shown.starts_with("✓ ok") && shown.contains(&proxy.url) && shown.contains("HTTPS_PROXY"),
        "{text}"
    );
    assert!(line(&text, "TCP connect").contains("the proxy"), "{text}");
    // The proxy's address is the proxy's, not the gateway's.
    assert!(
        line(&text, "Name resolution").contains("the proxy 127.0.0.1"),
        "{text}"
    );
    assert!(line(&text, "TLS").starts_with("✓ ok"), "{text}");
    let tunnels = proxy.tunnels.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        tunnels >= 2,
        "the TLS check and the calls go through it: {tunnels}"
    );

    // NO_PROXY: direct, and said so.
    let out = doctor_with_env(
        home.path(),
        &args,
        &[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", "127.0.0.1")],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        line(&text, "Proxy").contains("NO_PROXY skips the proxy"),
        "{text}"
    );
    assert_eq!(
        proxy.tunnels.load(std::sync::atomic::Ordering::SeqCst),
        tunnels
    );

    // HTTP_PROXY alone with an https:// gateway: no NO_PROXY to blame; the
    // variable serves the other scheme, and the one to set is named.
    let out = doctor_with_env(home.path(), &args, &[("HTTP_PROXY", &proxy.url)]);
    let text = stdout(&out);
    let said = line(&text, "Proxy");
    assert!(
        said.contains("none for https:// gateways: HTTP_PROXY is set, but it serves only"),
        "{text}"
    );
    assert!(said.contains("set HTTPS_PROXY (or ALL_PROXY)"), "{text}");
    assert!(!text.contains("NO_PROXY"), "{text}");
}

/// A message of the catalogue, with its arguments.
#[test]
fn doctor_sends_the_proxy_password_the_gateway_calls_send() {
    let rt = runtime();
    // base64("dealer:p@ss:w0rd%x"), the user and password of the URL below.
    let proxy = rt.block_on(proxy::connect_proxy_with(Some(
        "Basic ZGVhbGVyOnBAc3M6dzByZCV4",
    )));
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let server = serve_tls(home.path(), dir.path());
    let ca = dir.path().join("ca.pem").display().to_string();
    let args = [
        "--api",
        server.url.as_str(),
        "--car",
        "987654",
        "--ca-file",
        ca.as_str(),
    ];
    let with_password = proxy
        .url
        .replace("http://", "http://dealer:p%40ss%3Aw0rd%25x@");
    let out = doctor_with_env(home.path(), &args, &[("HTTPS_PROXY", &with_password)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(line(&text, "Proxy").starts_with("✓ ok"), "{text}");
    assert!(!text.contains("w0rd"), "{text}");
    // Without the password the proxy's 407 is named as wanting one.
    let out = doctor_with_env(home.path(), &args, &[("HTTPS_PROXY", &proxy.url)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let shown = line(&text, "Proxy");
    assert!(shown.contains("wants a user name and password"), "{text}");
}

fn say(lang: Lang, id: &str, args: &[(&str, fluent_bundle::FluentValue<'static>)]) -> String {
    let mut fluent = Args::new();
    for (name, value) in args {
        fluent.set(*name, value.clone());
    }
    message(lang, id, Some(&fluent))
}

/// `stepwise doctor --lang de` (and `pt`) against the simulator: the check
/// names, the words beside the marks, the findings, the advice and the
/// summary come from the catalogue in that language, and no English line
/// is left; a failed check keeps its ✗ with the word and the remedy.
#[test]
fn doctor_speaks_german_and_portuguese_and_no_english() {
    let rt = runtime();
    let sim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let home = home();
    for lang in [Lang::De, Lang::Pt] {
        let out = doctor(
            home.path(),
            &[
                "--api",
                &sim.url(),
                "--car",
                "987654",
                "--lang",
                lang.code(),
            ],
        );
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{text}");
        let ok = format!("✓ {}", message(lang, "doctor-mark-ok", None));
        let checks: Vec<&str> = text.lines().skip(1).take(17).collect();
        assert!(checks.iter().all(|l| l.starts_with(&ok)), "{text}");
        for expected in [
            say(lang, "doctor-proxy-none", &[]),
            say(lang, "doctor-tls-plain", &[]),
            say(lang, "doctor-events-ok", &[]),
            say(lang, "doctor-guidance-ok", &[]),
            say(
                lang,
                "doctor-first-ok",
                &[
                    ("car", "987654".into()),
                    ("count", num(3)),
                    ("done", num(1)),
                    ("steps_id", "132324".into()),
                ],
            ),
            say(lang, "doctor-filter-ok", &[("todo", num(2))]),
            say(
                lang,
                "doctor-summary",
                &[
                    ("failed", num(0)),
                    ("warnings", num(0)),
                    ("ok", num(17)),
                    ("skipped", num(0)),
                ],
            ),
        ] {
            assert!(
                text.contains(&expected),
                "{lang}: {expected:?} not in:\n{text}"
            );
        }
        for id in [
            "doctor-check-config",
            "doctor-check-dns",
            "doctor-check-first-list",
            "doctor-check-guidance",
        ] {
            assert!(
                text.lines().any(|l| l.contains(&message(lang, id, None))),
                "{lang}: no {id} line in:\n{text}"
            );
        }
        for english in [
            say(Lang::En, "doctor-proxy-none", &[]),
            say(Lang::En, "doctor-tls-plain", &[]),
            say(Lang::En, "doctor-events-ok", &[]),
            say(Lang::En, "doctor-check-first-list", &[]),
            say(Lang::En, "doctor-check-dns", &[]),
            "0 failed, 0 warnings".to_owned(),
            " steps ".to_owned(),
        ] {
            assert!(
                !text.contains(&english),
                "{lang}: English {english:?} in:\n{text}"
            );
        }
        assert!(!text.contains("{$") && !text.contains("doctor-"), "{text}");

        // A failed line: the ✗, the word beside it and what to do, in the
        // language.
        let out = doctor(
            home.path(),
            &[
                "--api",
                &sim.url(),
                "--car",
                "000000",
                "--lang",
                lang.code(),
            ],
        );
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        let failed = format!("✗ {}", message(lang, "doctor-mark-failed", None));
        let first = text
            .lines()
            .find(|l| l.contains(&message(lang, "doctor-check-first-list", None)))
            .unwrap_or_else(|| panic!("no first list line in:\n{text}"));
        assert!(first.starts_with(&failed), "{first}\n{text}");
        let remedy = format!("→ {}", say(lang, "doctor-first-fix-car", &[]));
        assert!(text.contains(&remedy), "{remedy:?} not in:\n{text}");
        assert!(
            !text.contains(&say(Lang::En, "doctor-first-fix-car", &[])),
            "{text}"
        );
    }
}

/// The system's language (`LANG=fr_FR.UTF-8`) is followed too.
#[test]
fn doctor_follows_the_system_language() {
    let rt = runtime();
    let sim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let home = home();
    let out = doctor_with_env(
        home.path(),
        &["--api", &sim.url(), "--car", "987654"],
        &[("LANG", "fr_FR.UTF-8")],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&say(Lang::Fr, "doctor-events-ok", &[])),
        "{text}"
    );
    assert!(
        !text.contains(&say(Lang::En, "doctor-events-ok", &[])),
        "{text}"
    );
}

/// `--json` is the same in every language: the same keys, ids, statuses
/// and (English) words; only timings may differ between two runs.
#[test]
fn json_is_the_same_in_every_language() {
    let rt = runtime();
    let sim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let home = home();
    let run = |lang: &str, car: &str| {
        let out = doctor(
            home.path(),
            &["--api", &sim.url(), "--car", car, "--json", "--lang", lang],
        );
        let json: Value = serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON");
        (
            out.status.code(),
            json,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    for car in ["987654", "000000"] {
        let (en_code, en, en_raw) = run("en", car);
        let (de_code, de, de_raw) = run("de", car);
        assert_eq!(en_code, de_code);
        let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
        assert_eq!(keys(&en), keys(&de));
        for field in ["target", "ok", "failed", "warnings"] {
            assert_eq!(en[field], de[field], "{field}");
        }
        let (en_checks, de_checks) = (
            en["checks"].as_array().unwrap(),
            de["checks"].as_array().unwrap(),
        );
        assert_eq!(en_checks.len(), de_checks.len());
        for (e, d) in en_checks.iter().zip(de_checks) {
            assert_eq!(keys(e), keys(d));
            for field in ["id", "title", "status", "remedy"] {
                assert_eq!(e[field], d[field], "{field} of {}", e["id"]);
            }
            // The TCP line holds a timing, the clock line a measured skew.
            if e["id"] != "tcp" && e["id"] != "clock" {
                assert_eq!(e["detail"], d["detail"], "detail of {}", e["id"]);
            }
        }
        // Byte for byte, once the digits (timings) are set aside.
        let digits = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "#");
        assert_eq!(digits(&en_raw), digits(&de_raw));
        for id in [
            "doctor-check-first-list",
            "doctor-proxy-none",
            "doctor-mark-failed",
        ] {
            assert!(
                !de_raw.contains(&message(Lang::De, id, None)),
                "{id} in {de_raw}"
            );
        }
    }
}

/// A server that answers every request with `status`, the given headers
/// and an HTML page (no contract error body), on a thread of its own.
fn canned(status: &str, headers: &str) -> String {
    let body = "<html><title>Page</title></html>";
    crate::canned::answering(
        format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A web page's 401 with no sign-in challenge (a reverse proxy's or web
/// server's login in front of the gateway): First list names that, the
/// Token line judges no token, and the page's Date is no gateway's clock;
/// never "the gateway wants one" (stranger 77, BZ2).
#[test]
fn a_401_page_without_a_challenge_is_a_login_in_front() {
    let url = canned("401 Unauthorized", "");
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &url, "--car", "987654"]));
    let first = line(&text, "First list");
    assert!(
        first.starts_with("✗ failed")
            && first.contains("HTTP 401 with a web page and no sign-in challenge"),
        "{text}"
    );
    let token = line(&text, "Token");
    assert!(token.starts_with("- skipped"), "{text}");
    assert!(!text.contains("the gateway wants one"), "{text}");
    assert!(!text.contains("wants a valid token"), "{text}");
    assert!(line(&text, "Clock").starts_with("- skipped"), "{text}");
}

/// A gateway that answers a request without an id with 200 (not its error
/// body): the clock is still judged, by the first list's Date, never
/// "not run: no steps gateway answered" above a first list that is ok.
#[test]
fn the_clock_is_judged_by_the_first_list_when_the_probe_says_nothing() {
    use axum::extract::RawQuery;
    use axum::http::header;
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|RawQuery(query): RawQuery| async move {
        let body = if query.unwrap_or_default().contains("carAssociationID") {
            r#"{"stepsID":8,"a":{"name":"a","status":"todo","order":1}}"#
        } else {
            "{}"
        };
        (
            [
                (header::DATE, "Mon, 01 Jan 2018 00:00:00 GMT"),
                (header::CONTENT_TYPE, "application/json"),
            ],
            body,
        )
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    let home = home();
    let url = format!("http://{addr}");
    let text = stdout(&doctor(home.path(), &["--api", &url, "--car", "1"]));
    assert!(line(&text, "First list").starts_with("✓ ok"), "{text}");
    let clock = line(&text, "Clock");
    // Years off are said in days too, not in seconds alone.
    let said = clock
        .rsplit_once('(')
        .map(|(_, said)| said)
        .unwrap_or_default();
    // ("3261d 14h", or "3261d" alone in the hour after midnight UTC.)
    let days = said.trim_end_matches(')').split_whitespace().next();
    assert!(
        days.is_some_and(|d| d.len() > 1 && d.ends_with('d')),
        "{text}"
    );
    assert!(
        clock.starts_with("! warning") && clock.contains("ahead of the gateway's ("),
        "{text}"
    );
    // A Date years before this program was made is the gateway's clock
    // that is wrong: setting this machine's to it would break TLS.
    assert!(
        text.contains("The gateway's clock is wrong: its Date (Mon, 01 Jan 2018 00:00:00 GMT)"),
        "{text}"
    );
    assert!(!text.contains("set this machine's clock"), "{text}");
}

/// A refresh by stepsID answered with another stepsID's list is no ✓:
/// `steps --steps-id` refuses that list, and doctor says so.
#[test]
fn a_refresh_that_answers_another_steps_id_fails() {
    use axum::extract::RawQuery;
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|RawQuery(query): RawQuery| async move {
        let id = if query.unwrap_or_default().contains("stepsID") {
            9
        } else {
            8
        };
        format!(r#"{{"stepsID":{id},"a":{{"name":"a","status":"todo","order":1}}}}"#)
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    let home = home();
    let url = format!("http://{addr}");
    let text = stdout(&doctor(home.path(), &["--api", &url, "--car", "1"]));
    let refresh = line(&text, "Refresh by stepsID");
    assert!(
        refresh.starts_with("✗ failed") && refresh.contains("stepsID 9"),
        "{text}"
    );
}

/// https:// to a plain HTTP server that drops a TLS hello without a word:
/// doctor says the port speaks plain HTTP, not the TLS library's "tls
/// handshake eof" with advice on --ca-file and client certificates.
#[test]
fn doctor_names_plain_http_behind_https() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut first = [0u8; 1024];
            let n = stream.read(&mut first).unwrap_or(0);
            if first[..n].starts_with(b"GET") {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        }
    });
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &format!("https://{addr}")]));
    let tls = line(&text, "TLS");
    assert!(
        tls.starts_with("✗ failed") && tls.contains("speaks plain HTTP, not TLS"),
        "{text}"
    );
    assert!(
        !text.contains("tls handshake eof") && !text.contains("--ca-file"),
        "{text}"
    );
}

/// http:// to another service's port (an SSH banner): doctor says so, as
/// steps does, never "the server speaks TLS, use https://".
#[test]
fn doctor_names_another_service_not_tls() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n");
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
        }
    });
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &format!("http://{addr}")]));
    assert!(text.contains("speaks neither HTTP nor TLS"), "{text}");
    assert!(
        !text.contains("speaks TLS") && !text.contains("https://"),
        "{text}"
    );
}

/// A redirect that goes round in a loop on the gateway's own host is no
/// "did not answer": the gateway answered at once, and doctor says what.
#[test]
fn a_redirect_loop_is_named_not_a_silent_gateway() {
    let url = canned("302 Found", "Location: /pims/subscription/steps\r\n");
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &url, "--car", "987654"]));
    let first = line(&text, "First list");
    assert!(
        first.starts_with("✗ failed") && first.contains("redirect"),
        "{text}"
    );
    assert!(
        !text.contains("did not answer") && !text.contains("too many redirects"),
        "{text}"
    );
    // Its fix is what the words say, never "Retry … drops this call"
    // (stranger 70, BS3).
    assert!(
        text.contains("An answer came, but none stepwise can use")
            && !text.contains("drops this call"),
        "{text}"
    );
}

/// doctor names who refused by the status and who gave it, as `steps`
/// does: a gateway limiting requests, a firewall's page, a proxy of the
/// network, a failure with its Retry-After; never "check that --api points
/// at a steps gateway" for any of them (a new user's hour).
#[test]
fn doctor_names_who_refused_not_a_wrong_api() {
    let home = home();
    for (status, headers, fix) in [
        (
            "429 Too Many Requests",
            "",
            "The gateway is limiting requests",
        ),
        (
            "429 Too Many Requests",
            "Retry-After: 120\r\n",
            "asks to wait 120 s",
        ),
        (
            "503 Service Unavailable",
            "Retry-After: 120\r\n",
            "asks to wait 120 s",
        ),
        // A wait of days is the gateway's clock or setting, as `steps`
        // says, never "run doctor again after that" (stranger 66, BO4).
        (
            "429 Too Many Requests",
            "Retry-After: 100000\r\n",
            "It asks to wait 1d 3h (its Retry-After), which no limit of requests needs",
        ),
        ("403 Forbidden", "", "a firewall, a WAF or a reverse proxy"),
        (
            "407 Proxy Authentication Required",
            "Proxy-Authenticate: Basic realm=\"corp\"\r\n",
            "A proxy of this network answered, though none is set here",
        ),
    ] {
        let api = canned(status, headers);
        let out = doctor(home.path(), &["--api", &api, "--car", "987654"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{status}: {text}");
        assert!(text.contains(fix), "{status}: {text}");
        assert!(
            !text.contains("points at a steps gateway") && !text.contains("wait 100000 s"),
            "{status}: {text}"
        );
    }
}

/// A proxy's own 429 with a Retry-After: doctor's fix gives that wait, as
/// `steps` does, never "wait a few minutes (its Retry-After, if it gave
/// one)" (stranger 84, CG2).
#[test]
fn a_proxy_s_own_429_gives_its_wait() {
    let proxy = canned(
        "429 Too Many Requests",
        "Server: squid/6.10\r\nRetry-After: 120\r\n",
    );
    let text = doctor_through_plain(&proxy);
    assert!(
        text.contains("The proxy is limiting requests and asks to wait 120 s"),
        "{text}"
    );
    assert!(!text.contains("wait a few minutes"), "{text}");
}

/// A proxy of plain-HTTP calls that answers 407 although its variable
/// carries a user name and password refused them: doctor says to check
/// them, as `steps` does, never to put them there.
#[test]
fn a_407_to_credentials_in_the_variable_says_they_were_refused() {
    let home = home();
    let proxy = canned(
        "407 Proxy Authentication Required",
        "Proxy-Authenticate: Basic realm=\"corp\"\r\n",
    );
    let with_password = proxy.replacen("http://", "http://bob:Pa55wordX@", 1);
    let args = ["--api", "http://gateway.invalid:8080", "--car", "987654"];
    let text = stdout(&doctor_with_env(
        home.path(),
        &args,
        &[("HTTP_PROXY", &with_password)],
    ));
    assert!(
        text.contains("The proxy refused the user name and password in the proxy variable"),
        "{text}"
    );
    assert!(!text.contains("put them in the proxy variable"), "{text}");
    assert!(!text.contains("Pa55wordX"), "{text}");
}

/// doctor through a proxy (its address at `proxy`) that answers every
/// call with a login of its own, without and with a user name and password
/// in its variable: each run fails (exit 1), the Proxy line fails with
/// that case's words and its fix is given, and no password is shown. The
/// texts, for more checks.
fn doctor_through_a_proxy_login(
    proxy: &str,
    args: &[&str],
    cases: [(&str, &str); 2],
) -> Vec<String> {
    let home = home();
    let variables = [
        proxy.to_owned(),
        proxy.replacen("http://", "http://bob:Pa55wordX@", 1),
    ];
    variables
        .iter()
        .zip(cases)
        .map(|(variable, (words, fix))| {
            let out = doctor_with_env(home.path(), args, &[("HTTP_PROXY", variable)]);
            let text = stdout(&out);
            assert_eq!(out.status.code(), Some(1), "{text}");
            let proxy_line = line(&text, "Proxy");
            assert!(
                proxy_line.starts_with("✗ failed") && proxy_line.contains(words),
                "{text}"
            );
            assert!(text.contains(fix), "{text}");
            assert!(!text.contains("Pa55wordX"), "{text}");
            text
        })
        .collect()
}

/// A proxy that answers CONNECT with 401: a Basic challenge asks for a user
/// name and password (as a 407 does), none is a portal's sign-in; never
/// "the proxy variable is right … refuses this destination".
#[test]
fn a_tunnel_answered_401_is_a_sign_in_not_a_refused_destination() {
    for (headers, said) in [
        (
            "WWW-Authenticate: Basic realm=\"corp\"\r\n",
            "wants a user name and password for the tunnel",
        ),
        ("", "a sign-in of its own (a portal's)"),
    ] {
        let proxy = canned("401 Unauthorized", headers);
        let text = doctor_through(&proxy);
        assert!(
            text.contains(said) && !text.contains("refuses this destination"),
            "{text}"
        );
    }
}

/// A proxy whose 407 offers Windows sign-in only, for a tunnel and for a
/// plain call: doctor says so, never to put a user name and password in
/// the proxy variable.
#[test]
fn a_proxy_asking_windows_sign_in_only_is_said_so() {
    let proxy = canned(
        "407 Proxy Authentication Required",
        "Proxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n",
    );
    let tunnel = doctor_through(&proxy);
    assert!(
        tunnel.contains("asks for Windows sign-in for the tunnel")
            && !tunnel.contains("Check the proxy variable"),
        "{tunnel}"
    );
    let plain = doctor_through_plain(&proxy);
    assert!(
        line(&plain, "Proxy").starts_with("✗ failed")
            && plain.contains("asks for Windows sign-in (Negotiate or NTLM)"),
        "{plain}"
    );
    for text in [tunnel, plain] {
        assert!(!text.contains("http://user:password@proxy:port"), "{text}");
    }
}

/// Without a vehicle, a proxy that answers every call with 407 is a
/// failed proxy line and a failed run (exit 1), never a warning about the
/// gateway's error body and exit 0.
#[test]
fn a_proxy_wanting_a_password_fails_doctor_without_a_car_too() {
    let proxy = canned(
        "407 Proxy Authentication Required",
        "Proxy-Authenticate: Basic realm=\"corp\"\r\n",
    );
    let texts = doctor_through_a_proxy_login(
        &proxy,
        &["--api", "http://gateway.invalid:8080"],
        [
            (
                "answered the gateway call with 407 Proxy Authentication Required: it wants a user name and password",
                "put them in the proxy variable",
            ),
            (
                "it refused the user name and password of the proxy variable",
                "The proxy refused the user name and password in the proxy variable",
            ),
        ],
    );
    for text in texts {
        let body = line(&text, "Error body");
        assert!(
            body.contains("not judged: the proxy answered in the gateway's place"),
            "{text}"
        );
    }
}

/// A proxy of plain-HTTP calls that answers with a Basic login of its own
/// (tinyproxy's 401): the Proxy line fails with its words (wanting a user
/// name and password, or refusing those of its variable), and the first
/// list points there, never at --api.
#[test]
fn a_proxy_s_own_401_login_fails_the_proxy_line_not_the_address() {
    let proxy = canned(
        "401 Unauthorized",
        "Server: tinyproxy/1.11.1\r\nWWW-Authenticate: Basic realm=\"Corp Proxy\"\r\n",
    );
    let texts = doctor_through_a_proxy_login(
        &proxy,
        &["--api", "http://gateway.invalid:8080", "--car", "987654"],
        [
            (
                "answered the gateway call with HTTP 401 and a login (Basic): the proxy's own, or a web server's behind it",
                "takes them from the proxy variable (http://user:password@proxy:port)",
            ),
            (
                "and a login (Basic) although the proxy variable carries a user name and password",
                "the proxy refused them (check them",
            ),
        ],
    );
    for text in texts {
        let first = line(&text, "First list");
        assert!(
            first.contains("HTTP 401 with a login (Basic) from the proxy, not the gateway"),
            "{text}"
        );
        assert!(!text.contains("points at a steps gateway"), "{text}");
    }
}

/// doctor through a proxy that answers every plain request with its own
/// 401 page (`headers` beside it): the Proxy line fails with the proxy's
/// answer, never "the gateway wants a token" on the Token line, and its
/// Date, or none, is not judged as the gateway's clock. doctor's words.
fn doctor_through_a_proxy_s_401(headers: &str) -> String {
    let proxy = canned("401 Unauthorized", headers);
    let text = doctor_through_plain(&proxy);
    let proxy_line = line(&text, "Proxy");
    // A page with no challenge may be one the proxy relays from in front
    // of the gateway (stranger 82, CE2); one with its own challenge is
    // the proxy's.
    let said = if headers.is_empty() {
        "got an HTTP 401 web page with no challenge: the proxy's own, or one it passed on from in front of the gateway"
    } else {
        "answered the gateway call itself with HTTP 401"
    };
    assert!(
        proxy_line.starts_with("✗ failed") && proxy_line.contains(said),
        "{text}"
    );
    assert!(!text.contains("the gateway wants one"), "{text}");
    assert!(!text.contains("--with-token"), "{text}");
    assert!(line(&text, "Clock").starts_with("- skipped"), "{text}");
    text
}

/// A proxy whose 401 page names no challenge at all (a portal's sign-in):
/// the proxy's, with a sign-in in a browser.
#[test]
fn a_proxy_s_401_page_without_a_challenge_is_the_proxy_s() {
    let text = doctor_through_a_proxy_s_401("");
    assert!(
        text.contains("sign in to it in a browser on this machine"),
        "{text}"
    );
}

/// A proxy's 401 web page with a Bearer challenge of its own, to a plain
/// request: the proxy's, as `steps` says it (stranger 70, BS7).
#[test]
fn a_proxy_s_challenged_401_page_is_the_proxy_s() {
    let text = doctor_through_a_proxy_s_401("WWW-Authenticate: Bearer realm=\"proxy\"\r\n");
    assert!(
        line(&text, "First list").contains(
            "through the proxy: the proxy's own, or one it passed on from in front of the gateway"
        ) && !line(&text, "First list").contains("never reached"),
        "{text}"
    );
}

/// A token sent through a proxy and answered 401 by a challenge that
/// names no error: the Token line names the proxy that may drop the
/// Authorization header, never "get a new token" (stranger 72, BU3).
#[test]
fn a_token_unseen_through_a_proxy_names_the_proxy() {
    let proxy = crate::canned::answering(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"steps\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let home = home();
    let token = home.path().join("token.txt");
    std::fs::write(&token, "the-right-token\n").unwrap();
    let args = [
        "--api",
        "http://gateway.invalid:8080",
        "--car",
        "987654",
        "--token-file",
        token.to_str().unwrap(),
    ];
    let text = stdout(&doctor_with_env(
        home.path(),
        &args,
        &[("HTTP_PROXY", &proxy)],
    ));
    let token_line = line(&text, "Token");
    assert!(
        token_line.starts_with("✗ failed")
            && token_line.contains(&format!("the request went through the proxy {proxy}: the proxy may drop the Authorization header")),
        "{text}"
    );
    assert!(
        text.contains("A new token would be refused the same"),
        "{text}"
    );
    assert!(!text.contains("Get a new token"), "{text}");
}

/// A 401 with no challenge and no body at all through a proxy may be the
/// gateway's or the proxy's: judged as the gateway's (the Token line wants
/// one), with the proxy's line a warning that names it as the other cause
/// (stranger 83, CF1; stranger 60, BI4, asked for the proxy's).
#[test]
fn a_bare_401_through_a_proxy_wants_a_token_and_warns_of_the_proxy() {
    let proxy = crate::canned::answering(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let text = doctor_through_plain(&proxy);
    let proxy_line = line(&text, "Proxy");
    assert!(
        proxy_line.starts_with("! warning")
            && proxy_line.contains("got a bare HTTP 401, with no body and no challenge")
            && proxy_line.contains("though the proxy itself may have given it"),
        "{text}"
    );
    assert!(
        text.contains("Give the gateway's token first (see the Token line); if the 401 stays with a token, ask who runs the proxy"),
        "{text}"
    );
    let token = line(&text, "Token");
    assert!(
        token.starts_with("✗ failed") && token.contains("the gateway wants one"),
        "{text}"
    );
    assert!(!text.contains("never reached the gateway"), "{text}");
}

/// Without a vehicle, a proxy that refuses every call by its own rules
/// (403) or answers with its own error page (502) fails the proxy line and
/// the run, as a tunnel it would not open does; never "0 failed".
#[test]
fn a_proxy_answering_for_the_gateway_fails_doctor_without_a_car() {
    let home = home();
    let args = ["--api", "http://gateway.invalid:8080"];
    for (status, fix) in [
        (
            "403 Forbidden",
            "ask who runs the proxy whether it lets this address through",
        ),
        (
            "502 Bad Gateway",
            "The proxy answered with its own error page",
        ),
    ] {
        let proxy = canned(status, "Server: squid\r\nContent-Type: text/html\r\n");
        let out = doctor_with_env(home.path(), &args, &[("HTTP_PROXY", &proxy)]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{status}: {text}");
        let proxy_line = line(&text, "Proxy");
        let code = &status[..3];
        assert!(
            proxy_line.starts_with("✗ failed")
                && proxy_line.contains(&format!(
                    "answered the gateway call itself with HTTP {code}"
                )),
            "{text}"
        );
        assert!(text.contains(fix), "{status}: {text}");
        assert!(!text.contains("0 failed"), "{text}");
    }
}

/// doctor with a gateway on this machine and a proxy variable whose proxy
/// answers with its own error page: the fix is NO_PROXY for that host;
/// unless nothing listens at the gateway's port (tried directly), when
/// the fix is to start the gateway.
#[test]
fn doctor_names_no_proxy_for_a_gateway_on_this_machine() {
    let home = home();
    let proxy = canned("502 Bad Gateway", "Content-Type: text/html\r\n");
    // Something listens at the gateway's port: the proxy cannot reach it.
    let running = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = running.local_addr().unwrap().port();
    let plain = format!("http://127.0.0.1:{port}");
    let tls = format!("https://127.0.0.1:{port}");
    let out = doctor_with_env(home.path(), &["--api", &plain], &[("HTTP_PROXY", &proxy)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("The gateway is on this machine (127.0.0.1)")
            && text.contains("Set NO_PROXY=127.0.0.1"),
        "{text}"
    );
    assert!(!text.contains("Check the host and port in --api"), "{text}");
    // https: the proxy's 502 to CONNECT, the same cause and fix.
    let out = doctor_with_env(home.path(), &["--api", &tls], &[("HTTPS_PROXY", &proxy)]);
    let text = stdout(&out);
    assert!(
        line(&text, "Proxy").starts_with("✗ failed") && text.contains("Set NO_PROXY=127.0.0.1"),
        "{text}"
    );
    assert!(!text.contains("check that the gateway runs"), "{text}");
    // With a vehicle, its first list points at the Proxy line, not at --api.
    let out = doctor_with_env(
        home.path(),
        &["--api", &plain, "--car", "987654"],
        &[("HTTP_PROXY", &proxy)],
    );
    let text = stdout(&out);
    assert!(
        text.contains("Set NO_PROXY=127.0.0.1") && text.contains("See the Proxy line"),
        "{text}"
    );
    assert!(!text.contains("Check the host and port in --api"), "{text}");
    // Nothing listens there: the gateway does not run; NO_PROXY is no fix.
    drop(running);
    for api in [&plain, &tls] {
        let out = doctor_with_env(
            home.path(),
            &["--api", api],
            &[("HTTP_PROXY", &proxy), ("HTTPS_PROXY", &proxy)],
        );
        let text = stdout(&out);
        assert!(
            text.contains(&format!(
                "Nothing listens at 127.0.0.1:{port} on this machine (tried directly)"
            )),
            "{text}"
        );
        assert!(!text.contains("Set NO_PROXY"), "{text}");
        // The proxy did its part: the ✗ is the gateway's, not the proxy's
        // (stranger 45, AT5).
        if api == &plain {
            assert!(line(&text, "Proxy").starts_with("✓ ok"), "{text}");
            assert!(
                line(&text, "Error body").starts_with("✗ failed")
                    && line(&text, "Error body").contains("the gateway does not run"),
                "{text}"
            );
        }
    }
}

/// An HTML page that came through a proxy where a list belongs may be the
/// proxy's own (a login or portal page): doctor's first list says so with
/// NO_PROXY, and `steps` names the proxy; not only "check --api".
#[test]
fn an_html_page_through_a_proxy_names_the_proxy() {
    let home = home();
    let proxy = canned("200 OK", "");
    let env = [("HTTP_PROXY", proxy.as_str())];
    let args = ["--api", "http://127.0.0.1:9", "--car", "987654"];
    let out = doctor_with_env(home.path(), &args, &env);
    let text = stdout(&out);
    assert!(
        line(&text, "First list").contains("HTML page")
            && text.contains("the proxy's own")
            && text.contains("NO_PROXY=127.0.0.1"),
        "{text}"
    );
    let out = crate::cli::stepwise(home.path())
        .env("HTTP_PROXY", &proxy)
        .args(["steps"])
        .args(args)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!(
            "through the proxy {proxy} (from HTTP_PROXY) is an HTML page"
        )) && said.contains("NO_PROXY=127.0.0.1"),
        "{said}"
    );
}

/// A web server's password prompt (401 with `Basic`) is no steps gateway
/// to doctor as to `steps`: no "sign in with stepwise login", no "the
/// gateway wants a token".
#[test]
fn a_password_prompt_is_no_gateway_for_doctor_either() {
    let home = home();
    let api = canned(
        "401 Unauthorized",
        "WWW-Authenticate: Basic realm=\"intranet\"\r\n",
    );
    let out = doctor(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let first = line(&text, "First list");
    assert!(
        first.starts_with("✗ failed")
            && first.contains("a reverse proxy's login, not a steps gateway"),
        "{text}"
    );
    assert!(text.contains("points at a steps gateway"), "{text}");
    assert!(!text.contains("stepwise login"), "{text}");
    assert!(!text.contains("wants a valid token"), "{text}");
    // Neither the token nor the clock is judged by a web server's answer.
    assert!(
        line(&text, "Token").contains("no steps gateway answered"),
        "{text}"
    );
    assert!(line(&text, "Clock").starts_with("- "), "{text}");
    let steps = Command::cargo_bin("stepwise")
        .expect("the binary is built")
        .env("HOME", home.path())
        .env_remove("STEPWISE_API")
        .env_remove("STEPWISE_TOKEN")
        .args(["steps", "--api", &api, "--car", "987654"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&steps.stderr);
    assert!(err.contains("asks for a user name and password"), "{err}");
}

/// A token whose expiry has passed, which the gateway still takes (a
/// gateway of fixed tokens reads no expiry): a warning, not a failure, and
/// doctor exits 0 (a new user read ✗ for a token that works).
#[test]
fn an_expired_token_the_gateway_takes_is_a_warning() {
    // header {"alg":"none"}, payload {"exp":1000000000} (2001)
    let expired = "eyJhbGciOiJub25lIn0.eyJleHAiOjEwMDAwMDAwMDB9.";
    let rt = runtime();
    let sim = rt
        .block_on(spawn(
            Scenario::built_in(),
            Some(stepwise::secret::Secret::new(expired)),
        ))
        .expect("sim starts");
    let home = home();
    let out = doctor_with_env(
        home.path(),
        &["--api", &sim.url(), "--car", "987654"],
        &[("STEPWISE_TOKEN", expired)],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let token = line(&text, "Token");
    assert!(token.starts_with("! warning"), "{text}");
    assert!(token.contains("yet the gateway took it"), "{text}");
    assert!(!text.contains(expired), "the token never shows");
}

/// A 400 whose contract body names a header: doctor's advice is the one
/// `steps` gives (something on the way may change requests), never "check
/// the carAssociationID given with --car" (stranger 40, AO5).
#[test]
fn a_400_naming_a_header_is_not_blamed_on_the_car_id() {
    let body = r#"{"message":"X-Device-Id malformed"}"#;
    let url = crate::canned::answering(crate::canned::reply(
        "400 Bad Request",
        "application/json",
        body,
    ));
    let home = home();
    let out = doctor_with_env(home.path(), &["--api", &url, "--car", "J10"], &[]);
    let text = stdout(&out);
    assert!(
        line(&text, "First list").contains("X-Device-Id malformed"),
        "{text}"
    );
    assert!(
        text.contains("If they name a header or parameter"),
        "{text}"
    );
    assert!(
        !text.contains("Check the carAssociationID given with --car"),
        "{text}"
    );
}

/// A 404 whose body names no id and no code (a router's "no route
/// matched"): doctor and `steps` say the id or --api, never the id alone
/// (stranger 43, AR7).
#[test]
fn a_404_naming_no_id_points_at_the_id_or_api() {
    let body = r#"{"message":"no route matched with those values"}"#;
    let url = crate::canned::answering(crate::canned::reply(
        "404 Not Found",
        "application/json",
        body,
    ));
    let home = home();
    let out = doctor_with_env(home.path(), &["--api", &url, "--car", "987654"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains("Its words name no id: check the carAssociationID given with --car; if the Error body line gets the same 404"),
        "{text}"
    );
    let out = Command::cargo_bin("stepwise")
        .expect("the binary is built")
        .env("HOME", home.path())
        .env_remove("STEPWISE_API")
        .env_remove("STEPWISE_TOKEN")
        .args(["steps", "--api", &url, "--car", "987654"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing was found for this call at this address")
            && err.contains(
                "if every id gets this answer, --api does not point at the steps gateway"
            ),
        "{err}"
    );
    assert!(!err.contains("the gateway does not know this id"), "{err}");
}

/// A gateway failing (503 with a page): the lines around its First list
/// say a failure, never "no steps gateway answered" beside a First list
/// that blames the gateway (stranger 43, AR12).
#[test]
fn a_failing_gateway_is_not_said_absent() {
    let page = "<html><head><title>503 Service Unavailable</title></head></html>";
    let url = crate::canned::answering(
        format!(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        )
        .into_bytes(),
    );
    let home = home();
    let out = doctor_with_env(home.path(), &["--api", &url, "--car", "987654"], &[]);
    let text = stdout(&out);
    assert!(
        line(&text, "Clock").contains("the answer was a failure (HTTP 503)"),
        "{text}"
    );
    assert!(!text.contains("no steps gateway"), "{text}");
    // Nor a contract defect of its error body (stranger 45, AT6).
    assert!(
        line(&text, "Error body").contains("not judged: a request with no id gets HTTP 503"),
        "{text}"
    );
    // A token sent to it is not "taken" by a failure (stranger 44, AS5).
    let out = doctor_with_env(
        home.path(),
        &["--api", &url, "--car", "987654"],
        &[("STEPWISE_TOKEN", "a-token")],
    );
    let text = stdout(&out);
    assert!(
        line(&text, "Token").contains("not judged: every answer was a failure"),
        "{text}"
    );
    assert!(!text.contains("took"), "{text}");
}

/// The next-step call alone failing (a 502) gets the advice a failure
/// gets, never a bare ✗ (stranger 44, AS14).
#[test]
fn a_failing_next_step_call_gets_advice() {
    let list = r#"{"stepsID":132324,"deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let ok = crate::canned::reply("200 OK", "application/json", list);
    let failing =
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let url = crate::canned::routing(vec![("GET /pims/subscription/step?", failing)], ok);
    let home = home();
    let out = doctor_with_env(home.path(), &["--api", &url, "--car", "987654"], &[]);
    let text = stdout(&out);
    let next = text
        .lines()
        .skip_while(|l| !l.contains("Next step"))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    // Its own advice, on the line under it (not another check's).
    let mut lines = next.lines();
    assert!(
        lines.next().is_some_and(|l| l.contains("HTTP 502")),
        "{text}"
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.trim_start().starts_with("→ The gateway failed")),
        "{text}"
    );
}

/// A token sent to a gateway that answers without any token too: doctor
/// says it checks none, never that it "took" the token (stranger 39, AN8).
#[test]
fn a_token_sent_to_a_gateway_that_needs_none_is_said_unchecked() {
    let rt = runtime();
    let sim = rt
        .block_on(spawn(Scenario::built_in(), None))
        .expect("sim starts");
    let home = home();
    let given = "a-token-nobody-checks";
    let out = doctor_with_env(
        home.path(),
        &["--api", &sim.url(), "--car", "987654"],
        &[("STEPWISE_TOKEN", given)],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let token = line(&text, "Token");
    assert!(token.contains("answers without any token too"), "{text}");
    assert!(!token.contains("took it"), "{text}");
    assert!(!text.contains(given), "the token never shows");
}

/// A proxy that opens the tunnel and then cuts the TLS handshake through it
/// (closed, or reset): doctor's TLS line names the proxy and its tunnel,
/// in the reader's language, not a file of this machine.
#[test]
fn a_tunnel_cut_after_connect_is_the_proxy_s_in_doctor() {
    let rt = runtime();
    for reset in [false, true] {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        rt.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = [0u8; 2048];
                    let _ = socket.read(&mut head).await;
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await;
                    let _ = socket.read(&mut head).await;
                    if reset {
                        let _ = socket.set_zero_linger();
                    }
                });
            }
        });
        let home = home();
        let args = ["--lang", "de", "--api", "https://gateway.invalid"];
        let out = doctor_with_env(home.path(), &args, &[("HTTPS_PROXY", &url)]);
        let text = stdout(&out);
        let tls = text
            .lines()
            .find(|l| l.contains(" TLS "))
            .unwrap_or_default();
        assert!(
            tls.starts_with("✗")
                && tls.contains(&format!(
                    "der Proxy {url} hat den Tunnel zu gateway.invalid geöffnet"
                )),
            "reset {reset}:\n{text}"
        );
        assert!(
            text.contains("NO_PROXY=gateway.invalid") && !text.contains("--ca-file"),
            "{text}"
        );
        assert!(!text.contains("os error"), "{text}");
    }
}

/// `serve --tls` with files it cannot use names the file and the fault in
/// the reader's language: a key that is no key, a certificate and a key
/// that do not belong together, a --client-ca file with no certificate
/// (and with good server files, that file is blamed, not theirs).
#[test]
fn serve_tls_names_the_unusable_file_in_the_chosen_language() {
    use stepwise::sim::tls::{CertSpec, generate};
    let home = home();
    let one = generate(&CertSpec::default()).unwrap();
    let other = generate(&CertSpec::default()).unwrap();
    let files = |key: &str, client_ca: Option<&str>, lang: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), &one.ca_pem).unwrap();
        std::fs::write(dir.path().join("cert.pem"), &one.cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), key).unwrap();
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"));
        cmd.env("HOME", home.path())
            .args(["--lang", lang, "serve", "--tls", "--addr", "127.0.0.1:0"])
            .arg("--tls-dir")
            .arg(dir.path());
        if let Some(text) = client_ca {
            let ca = dir.path().join("clients.pem");
            std::fs::write(&ca, text).unwrap();
            cmd.arg("--client-ca").arg(ca);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = files("junk", None, "de");
    assert!(
        err.contains("key.pem enthält keinen privaten PEM-Schlüssel"),
        "{err}"
    );
    let err = files(&other.key_pem, None, "fr");
    assert!(
        err.contains("cert.pem et key.pem ne vont pas ensemble"),
        "{err}"
    );
    let err = files(&one.key_pem, Some("junk"), "pt-PT");
    assert!(
        err.contains("clients.pem não contém nenhum certificado PEM") && !err.contains("cert.pem"),
        "{err}"
    );
    for err in [&err, &files("junk", None, "es")] {
        assert!(
            !err.contains("no items found") && !err.contains("holds no"),
            "{err}"
        );
    }
}

/// A proxy answering CONNECT with 503 (it could not reach or resolve the
/// gateway) did not refuse the tunnel: doctor says it could not reach the
/// gateway through it, with the proxy's status line.
#[test]
fn a_proxy_s_503_to_connect_is_no_refusal() {
    let proxy = crate::canned::answering(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_vec(),
    );
    let text = doctor_through(&proxy);
    let shown = line(&text, "Proxy");
    assert!(
        shown.starts_with("✗") && shown.contains("could not reach the gateway through the tunnel"),
        "{text}"
    );
    assert!(!shown.contains("refused"), "{text}");
    // Its arrow: the gateway and its host, not the proxy variable.
    assert!(
        text.contains("The proxy could not reach gateway.invalid: check that the gateway runs"),
        "{text}"
    );
}

/// A gateway on `rt` that answers lists (by either id), the next step and
/// a 400 error body to a request without an id; the calls with an id wait
/// `delay` first, and with `all` the one without an id too. Its base URL.
fn slow_gateway(rt: &Runtime, delay: Duration, all: bool) -> String {
    use axum::extract::RawQuery;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, RawQuery(query): RawQuery| async move {
            let query = query.unwrap_or_default();
            let with_id = query.contains("carAssociationID") || query.contains("stepsID");
            if with_id || all {
                tokio::time::sleep(delay).await;
            }
            if uri.path().ends_with("/step") {
                (
                    axum::http::StatusCode::OK,
                    r#"{"a":{"name":"a","status":"todo","order":1}}"#,
                )
            } else if with_id {
                (
                    axum::http::StatusCode::OK,
                    r#"{"stepsID":8,"a":{"name":"a","status":"todo","order":1}}"#,
                )
            } else {
                (
                    axum::http::StatusCode::BAD_REQUEST,
                    r#"{"message":"give one id"}"#,
                )
            }
        },
    );
    rt.spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A gateway slower than doctor's network checks but within the wizard's
/// wait works for every command: doctor waits for it too, and says it is
/// slow (a warning), never "no answer, check that it runs".
#[test]
fn a_slow_gateway_the_wizard_waits_for_is_slow_not_failed() {
    let rt = runtime();
    // Between a check's limit and a request's (3 s and 10 s, divided by 4).
    let url = slow_gateway(&rt, Duration::from_millis(800), false);
    let home = home();
    let out = doctor_divided(home.path(), &["--api", &url, "--car", "1"]);
    let text = stdout(&out);
    let first = line(&text, "First list");
    assert!(first.starts_with("! warning"), "{text}");
    assert!(
        text.contains("slow, though within the 2.5 s the wizard waits"),
        "{text}"
    );
    assert!(!text.contains("no answer within"), "{text}");
}

/// doctor says what `steps` says of the same answers: Go's plain-HTTP 400
/// is the port wanting https://, a list cut short is cut (retry, tell the
/// operator), and a failure that is no timeout gets no "check that it runs
/// and is not overloaded" arrow under its own advice.
#[test]
fn doctor_names_a_tls_port_a_cut_list_and_no_timeout_as_steps_does() {
    let home = home();
    let go = crate::canned::answering(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n".to_vec(),
    );
    let text = stdout(&doctor(home.path(), &["--api", &go, "--car", "987654"]));
    // Filed under TLS, as when the port answers in TLS itself.
    let tls = line(&text, "TLS");
    assert!(
        tls.starts_with("✗ failed") && tls.contains("speaks TLS, and --api says http://"),
        "{text}"
    );
    assert!(text.contains("Use https:// in --api"), "{text}");
    assert!(!text.contains("Check the carAssociationID"), "{text}");

    let body = r#"{"steps":[{"ste"#;
    let cut = crate::canned::answering(json_200(body));
    let text = stdout(&doctor(home.path(), &["--api", &cut, "--car", "987654"]));
    assert!(
        line(&text, "First list").contains("the list was cut short"),
        "{text}"
    );
    // Its arrow (the line after it) is the cut's, not "check --api".
    let arrow = text
        .lines()
        .skip_while(|l| !l.contains("First list"))
        .nth(1)
        .unwrap_or_default();
    assert!(arrow.contains("Retry; if it stays cut"), "{text}");

    let moved = crate::canned::answering(
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://sso.corp.invalid/auth\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let text = stdout(&doctor(home.path(), &["--api", &moved, "--car", "987654"]));
    assert!(
        line(&text, "First list").contains("sso.corp.invalid"),
        "{text}"
    );
    assert!(!text.contains("not overloaded"), "{text}");
}

/// doctor with a proxy variable naming another service: the proxy line
/// says it answered no HTTP, not that it refused the tunnel.
#[test]
fn doctor_names_a_proxy_that_is_no_http_proxy() {
    let ssh = crate::canned::answering(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec());
    let text = doctor_through(&ssh);
    let shown = line(&text, "Proxy");
    assert!(
        shown.starts_with("✗") && shown.contains("answered CONNECT with no HTTP"),
        "{text}"
    );
    assert!(!shown.contains("refused"), "{text}");
    // It answered: what follows is skipped for no way through it, not
    // because it "cannot be reached".
    assert!(
        line(&text, "First list").contains("no way through the proxy"),
        "{text}"
    );
}

/// A proxy variable naming an SSH server, which greets with its banner at
/// once and then waits: doctor says at once it answered no HTTP (what it
/// said), not that it "did not answer CONNECT within 3 s".
#[test]
fn a_proxy_that_greets_with_no_http_and_waits_answered_no_http() {
    let ssh = crate::canned::greeting(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec());
    let text = doctor_through(&ssh);
    let shown = line(&text, "Proxy");
    assert!(
        shown.starts_with("✗")
            && shown
                .contains(r#"answered CONNECT with no HTTP ("SSH-2.0-OpenSSH_9.2p1 Debian-2")"#),
        "{text}"
    );
    assert!(!text.contains("did not answer CONNECT"), "{text}");
}

/// http:// to a TLS port that answers plain requests with Go's 400: the
/// TLS line says the server speaks TLS (never "✓ TLS not used"), and the
/// error body line tells no operator to fix error bodies: that 400 was
/// never a gateway's.
#[test]
fn a_tls_port_s_plain_http_400_blames_no_error_body() {
    let home = home();
    let go = crate::canned::answering(
        b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
            .to_vec(),
    );
    let out = doctor(home.path(), &["--api", &go, "--car", "987654"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let tls = line(&text, "TLS");
    assert!(
        tls.starts_with("✗ failed") && tls.contains("speaks TLS, and --api says http://"),
        "{text}"
    );
    assert!(!text.contains("TLS not used"), "{text}");
    assert!(line(&text, "Error body").starts_with("- skipped"), "{text}");
    assert!(!text.contains("error bodies should be JSON"), "{text}");
}

/// A web server's 404 page at the address: the first list says it is no
/// steps gateway, and the error body line does not judge that page as a
/// gateway's error body.
#[test]
fn a_web_server_s_404_is_no_gateway_s_error_body() {
    let home = home();
    let page = crate::canned::answering(
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
            .to_vec(),
    );
    let text = stdout(&doctor(home.path(), &["--api", &page, "--car", "987654"]));
    assert!(line(&text, "First list").starts_with("✗ failed"), "{text}");
    let body = line(&text, "Error body");
    assert!(
        body.starts_with("- skipped")
            && body.contains(
                "not judged: the first list found no steps gateway at this address either"
            ),
        "{text}"
    );
}

/// A gateway that takes 4.5 s over every answer: the first list is slow
/// (a warning), and the checks doctor's 20 s run limit leaves no time for
/// are skipped for that reason, never failed with "no answer within 2 s",
/// a limit the gateway was never given. (All four divided by 4.)
#[test]
fn checks_the_run_limit_cuts_are_skipped_not_failed() {
    let rt = runtime();
    // 4.5 s, divided by 4 as doctor's limits are.
    let url = slow_gateway(&rt, Duration::from_millis(1_125), true);
    let home = home();
    let out = doctor_divided(home.path(), &["--api", &url, "--car", "1"]);
    let text = stdout(&out);
    assert!(line(&text, "First list").starts_with("! warning"), "{text}");
    assert!(!text.contains("no answer within"), "{text}");
    assert!(!text.contains("✗"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let cut = text
        .lines()
        .find(|l| l.contains("run limit"))
        .unwrap_or_else(|| panic!("no line cut by the run limit:\n{text}"));
    assert!(
        cut.starts_with("- skipped")
            && cut.contains(
                "not run: doctor's 5 s run limit was reached (its slowest answer so far took "
            )
            && !cut.contains("per answer"),
        "{text}"
    );
}

/// A data folder that cannot hold the device id (a file where the folder
/// goes, or a folder where the file goes): doctor says so, in the words
/// `steps` warns with; and a login file that cannot be read, on a gateway
/// that answers without a token, is a warning, not a failed token.
#[test]
fn a_device_id_that_cannot_be_kept_is_said_and_an_unneeded_login_file_only_warns() {
    let rt = runtime();
    let sim: RunningSim = rt.block_on(spawn(Scenario::built_in(), None)).unwrap();
    let home = home();
    let data = home.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("stepwise"), "a file, not a folder").unwrap();
    let args = ["--api", &sim.url(), "--car", "987654"];
    let data_home = data.to_str().unwrap();
    let text = stdout(&doctor_with_env(
        home.path(),
        &args,
        &[("XDG_DATA_HOME", data_home)],
    ));
    let device = line(&text, "Device id");
    assert!(
        device.starts_with("! warning")
            && device.contains(&format!(
                "the device id cannot be kept in {} (a file is in the way where a folder must be)",
                data.join("stepwise").display()
            )),
        "{text}"
    );
    assert!(line(&text, "First list").starts_with("✓ ok"), "{text}");
    let token = line(&text, "Token");
    assert!(
        token.starts_with("! warning")
            && token.contains("none sent, and the gateway answered without one")
            && token.contains("logins.json"),
        "{text}"
    );

    let folder = home.path().join("folder");
    std::fs::create_dir_all(folder.join("stepwise").join("device-id")).unwrap();
    let text = stdout(&doctor_with_env(
        home.path(),
        &args,
        &[("XDG_DATA_HOME", folder.to_str().unwrap())],
    ));
    assert!(
        line(&text, "Device id").contains(&format!(
            "the device id cannot be kept in {} (a folder is in the way where a file must be)",
            folder.join("stepwise").join("device-id").display()
        )),
        "{text}"
    );
}

/// An event stream whose lines end in a lone CR (as the format allows):
/// doctor reads its first list as the wizard does, never "a proxy holds
/// events back" (stranger 72, BU2).
#[test]
fn an_event_stream_with_lines_ended_by_cr_is_read() {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let api = events_gateway(
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\nid: 1\revent: steps\rdata: {list}\r\r").into_bytes(),
        true,
    );
    let home = home();
    let out = doctor_divided(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    let events = line(&text, "Live events");
    assert!(events.starts_with("✓ ok"), "{text}");
    assert!(!text.contains("proxy"), "{text}");
}

/// A web page where the event stream belongs is named as one, with whom to
/// ask first (the network in front), never only "not text/event-stream:
/// tell the gateway's operator" (stranger 85, CH4).
#[test]
fn an_events_call_answered_by_a_web_page_is_named_as_one() {
    let api = events_gateway(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 28\r\n\r\n<p>streaming not allowed</p>".to_vec(),
        false,
    );
    let home = home();
    let out = doctor(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    let events = line(&text, "Live events");
    assert!(
        events.starts_with("! warning")
            && events.contains("answered with a web page (HTML), not text/event-stream"),
        "{text}"
    );
    assert!(
        text.contains("Ask who runs the network in front of the gateway (a proxy, a firewall) to let text/event-stream through"),
        "{text}"
    );
}

/// An event stream whose list comes at once as an event of another type
/// (`update`): doctor names the type and the fix, never a proxy holding
/// events back or nginx's buffering.
#[test]
fn an_event_stream_of_another_type_is_named_not_blamed_on_a_proxy() {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let api = events_gateway(
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\nid: 1\nevent: update\ndata: {list}\n\n").into_bytes(),
        true,
    );
    let home = home();
    let out = doctor_divided(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    let events = line(&text, "Live events");
    assert!(events.starts_with("! warning"), "{text}");
    assert!(
        events.contains("sent events of type “update”, but none of type steps within 0.75 s"),
        "{text}"
    );
    assert!(
        text.contains(
            "each list must come as `event: steps` (or with no event line), not as “update”"
        ),
        "{text}"
    );
    assert!(!text.contains("proxy_buffering"), "{text}");
    // Heartbeats of another type (no list in them): no list sent, never
    // "lists under another type".
    let api = events_gateway(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\nevent: ping\ndata: {}\n\n".to_vec(),
        true,
    );
    let out = doctor_divided(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    let events = line(&text, "Live events");
    assert!(
        events.contains("sent only events of type “ping”, with no list in them"),
        "{text}"
    );
    assert!(!text.contains("not as “ping”"), "{text}");
}

/// An event stream that opens and then holds its first event back (a proxy
/// that buffers streams) is not "offered, the wizard follows live": the
/// gateway sends the current list at once, so doctor waits for it and says
/// what holds it back.
#[test]
fn an_event_stream_that_sends_no_first_event_is_a_warning() {
    let api = events_gateway(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
            .to_vec(),
        true,
    );
    let home = home();
    let out = doctor_divided(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    let events = line(&text, "Live events");
    assert!(events.starts_with("! warning"), "{text}");
    // 3 s, divided by 4.
    assert!(events.contains("no event came within 0.75 s"), "{text}");
    assert!(text.contains("proxy_buffering off"), "{text}");
    // No proxy is set: the gateway's operator is the one to tell, not
    // "who runs the proxy".
    assert!(
        text.contains("No proxy is in use here: tell the gateway's operator"),
        "{text}"
    );
    assert!(!text.contains("Ask who runs the proxy"), "{text}");
}

/// doctor reads a 403's Bearer challenge as `steps` does: the token lacks
/// a scope, named, not "something in front of the gateway refused".
#[test]
fn doctor_names_a_scope_the_token_lacks() {
    let api = crate::canned::answering(
        b"HTTP/1.1 403 Forbidden\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"pims.steps\"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec(),
    );
    let home = home();
    let out = doctor(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    // Without a token, the gateway (its own challenge) wants one.
    assert!(
        line(&text, "Token").contains("none given, and the gateway wants one"),
        "{text}"
    );
    // Its fix keeps the token at the gateway typed as --api.
    assert!(
        text.contains(&format!("`stepwise login --api {api} --with-token`")),
        "{text}"
    );
    assert!(!text.contains("in front of the gateway"), "{text}");
    assert!(!text.contains("no steps gateway"), "{text}");
    // `steps` on this gateway, which publishes no sign-in: no `stepwise
    // login --scope` (a sign-in it does not offer), but its operator's
    // token with that scope.
    let out = crate::cli::stepwise(home.path())
        .args(["steps", "--api", &api, "--car", "987654"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "wants a token with the scope pims.steps, and none was sent. It offers no sign-in"
        ) && said.contains(&format!("`stepwise login --api {api} --with-token`")),
        "{said}"
    );
    assert!(!said.contains("--scope"), "{said}");
    // With a token sent, the token line names the scope as its cause: the
    // gateway was reached, and took the token.
    let out = doctor_with_env(
        home.path(),
        &["--api", &api, "--car", "987654"],
        &[("STEPWISE_TOKEN", "a-token-without-the-scope")],
    );
    let text = stdout(&out);
    let token = line(&text, "Token");
    assert!(token.starts_with("✗"), "{text}");
    assert!(token.contains("lacks a scope (HTTP 403"), "{text}");
    assert!(!token.contains("not tried"), "{text}");
    assert!(!text.contains("a-token-without-the-scope"), "{text}");
    // This gateway publishes no sign-in: the fix is its operator's token
    // with the scope, given the same way; never `stepwise login --scope`.
    assert!(
        text.contains("took the token from STEPWISE_TOKEN, but says it lacks the scope pims.steps"),
        "{text}"
    );
    assert!(
        text.contains("It offers no sign-in") && text.contains("give it the same way"),
        "{text}"
    );
    assert!(!text.contains("Sign in again asking"), "{text}");
    assert!(!text.contains("--scope"), "{text}");
    assert!(text.contains("→ See the Token line"), "{text}");
    // `steps` with a token file says the same of that file.
    let token = home.path().join("token");
    std::fs::write(&token, "a-token-without-the-scope\n").unwrap();
    let steps = Command::cargo_bin("stepwise")
        .expect("the binary is built")
        .env("HOME", home.path())
        .env_remove("STEPWISE_CONFIG")
        .env_remove("STEPWISE_TOKEN")
        .env("STEPWISE_LANG", "en")
        .args(["steps", "--api", &api, "--car", "987654", "--token-file"])
        .arg(&token)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&steps.stderr);
    assert!(said.contains("took the token from --token-file"), "{said}");
    assert!(!said.contains("Sign in again asking"), "{said}");
    assert!(
        said.contains("It offers no sign-in") && !said.contains("--scope"),
        "{said}"
    );
}

/// A gateway that answers 429 limits requests: doctor says so of what it
/// could not check, never "no steps gateway answered" (which would send
/// the technician to change a right --api), and names the wait.
#[test]
fn a_429_is_a_limit_not_a_missing_gateway() {
    let api = crate::canned::answering(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let home = home();
    let out = doctor(home.path(), &["--api", &api, "--car", "987654"]);
    let text = stdout(&out);
    assert!(!text.contains("no steps gateway"), "{text}");
    assert!(
        line(&text, "Token").contains("not checked: requests are limited (HTTP 429)"),
        "{text}"
    );
    assert!(
        line(&text, "Clock").contains("requests are limited"),
        "{text}"
    );
    assert!(
        line(&text, "Error body").contains("not judged: requests are limited"),
        "{text}"
    );
    // Said once, under the first check that met it (stranger 42, AQ5).
    assert_eq!(text.matches("wait 5 s").count(), 1, "{text}");
    let env = [("STEPWISE_TOKEN", "a-token"), ("STEPWISE_LANG", "fr")];
    let out = doctor_with_env(home.path(), &["--api", &api, "--car", "987654"], &env);
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.contains("Jeton")
                && l.contains("pas essayé\u{a0}: les requêtes sont limitées")),
        "{text}"
    );
    assert!(!text.contains("aucune passerelle"), "{text}");
    // With the gateway's own error body, a token is still not "taken".
    let body = r#"{"message":"slow down"}"#;
    let api = crate::canned::answering(
        format!(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let env = [("STEPWISE_TOKEN", "a-token")];
    let out = doctor_with_env(home.path(), &["--api", &api, "--car", "987654"], &env);
    let text = stdout(&out);
    assert!(
        line(&text, "Token").contains("not tried: requests are limited (HTTP 429)"),
        "{text}"
    );
    assert!(
        line(&text, "Error body").contains("not judged: requests are limited"),
        "{text}"
    );
    assert!(
        !text.contains("took it") && !text.contains("instead of 400"),
        "{text}"
    );
}

/// A 401's Bearer challenge words (`error_description`) are the gateway's
/// reason: shown, filtered, in `steps` and on doctor's token line; words
/// that repeat the token are not shown.
#[test]
fn a_401_s_own_words_are_shown_as_its_reason() {
    let refusal = |description: &str| {
        let body = r#"{"code":"401","message":"Unauthorized request"}"#;
        crate::canned::answering(
            format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"steps\", error=\"invalid_token\", error_description=\"{description}\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    };
    let home = home();
    let api = refusal("The token was revoked \\\"by an\u{202e} admin\\\"");
    let env = [("STEPWISE_TOKEN", "a-revoked-token")];
    let out = doctor_with_env(home.path(), &["--api", &api, "--car", "987654"], &env);
    let text = stdout(&out);
    let token = line(&text, "Token");
    assert!(token.starts_with("✗"), "{text}");
    assert!(
        token.contains("saying “The token was revoked \"by an admin\"”"),
        "{text}"
    );
    assert!(!text.contains('\u{202e}'), "{text:?}");
    let mut steps = Command::cargo_bin("stepwise").expect("the binary is built");
    let steps = steps
        .env("HOME", home.path())
        .env_remove("STEPWISE_CONFIG")
        .env("STEPWISE_LANG", "en")
        .env("STEPWISE_TOKEN", "a-revoked-token")
        .args(["steps", "--api", &api, "--car", "987654"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&steps.stderr);
    assert!(said.contains("STEPWISE_TOKEN"), "{said}");
    assert!(
        said.contains("The gateway says: “The token was revoked \"by an admin\"”"),
        "{said}"
    );
    // Words that repeat the token, whole, cut short, in part or in hex,
    // are not shown.
    let hex: String = "a-revoked-token"
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    for echo in [
        "a-revoked-token is revoked".to_owned(),
        "v=-revoked-token".to_owned(),
        "v=revoked-tok".to_owned(),
        format!("v={hex}"),
    ] {
        let api = refusal(&echo);
        let out = doctor_with_env(home.path(), &["--api", &api, "--car", "987654"], &env);
        let text = stdout(&out);
        assert!(
            line(&text, "Token").contains("refused it (HTTP 401)"),
            "{text}"
        );
        assert!(!text.contains("saying"), "{echo}: {text}");
        assert!(
            !text.contains("revoked-tok") && !text.contains(&hex),
            "{text}"
        );
    }
}

/// A proxy that closes the connection without answering CONNECT answered
/// nothing: doctor says so, as `steps` does, never that the variable names
/// something that is no HTTP proxy.
#[test]
fn a_proxy_that_closes_on_connect_is_said_to_have_closed() {
    let proxy = crate::canned::answering(Vec::new());
    let text = doctor_through(&proxy);
    let said = line(&text, "Proxy");
    assert!(said.starts_with("✗"), "{text}");
    assert!(
        said.contains("closed the connection without answering CONNECT"),
        "{text}"
    );
    assert!(!text.contains("no HTTP proxy"), "{text}");
    // The line says what to do; the variable is not what to check.
    assert!(!text.contains("Check the proxy variable"), "{text}");
}

/// A proxy that answers CONNECT with 403 refuses the destination by its
/// policy: the variable is right; who runs the proxy, or NO_PROXY, is the
/// way on.
#[test]
fn a_proxy_that_refuses_the_tunnel_is_not_a_wrong_variable() {
    let page = "Access denied by corporate policy";
    let answer = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let proxy = crate::canned::answering(answer.into_bytes());
    let text = doctor_through(&proxy);
    let said = line(&text, "Proxy");
    assert!(said.contains("refused the tunnel"), "{text}");
    assert!(
        text.contains(
            "→ The proxy variable is right: the proxy answered, and refuses this destination"
        ),
        "{text}"
    );
    assert!(text.contains("NO_PROXY=gateway.invalid"), "{text}");
    assert!(!text.contains("Check the proxy variable"), "{text}");
}

/// What the proxy variable names answers CONNECT with 501 (or 405): it
/// opens no tunnels at all (a web server, or a proxy that cannot carry
/// https), so the variable is what to check, as `steps` says; never "the
/// proxy variable is right … refuses this destination".
#[test]
fn a_proxy_that_opens_no_tunnels_is_a_wrong_variable() {
    for status in ["501 Not Implemented", "405 Method Not Allowed"] {
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
        );
        let proxy = crate::canned::answering(answer.into_bytes());
        let text = doctor_through(&proxy);
        let said = line(&text, "Proxy");
        assert!(said.starts_with("✗"), "{text}");
        assert!(said.contains("it opens no tunnels at all"), "{text}");
        assert!(
            text.contains("→ Check HTTPS_PROXY: it must name an HTTP proxy"),
            "{text}"
        );
        assert!(!text.contains("The proxy variable is right"), "{text}");
        assert!(!text.contains("refuses this destination"), "{text}");
    }
}

/// A gateway whose list works but that answers a plain 404 page to the
/// next-step call does not offer that call: doctor says so, and `next`
/// names the call, never only "not a steps gateway … fix --api".
#[test]
fn a_call_a_gateway_does_not_offer_is_named_not_blamed_on_api() {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let page = "<html><body>Not Found</body></html>";
    let not_found = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let api = crate::canned::routing(
        vec![("/pims/subscription/step?", not_found.into_bytes())],
        json_200(list),
    );
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    assert!(line(&text, "First list").starts_with("✓"), "{text}");
    assert!(line(&text, "Next step").starts_with("✗"), "{text}");
    assert!(
        text.contains("→ The list works at this --api: the gateway does not offer this call"),
        "{text}"
    );
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"))
        .env("HOME", home.path())
        .args(["next", "--api", &api, "--steps-id", "132324"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("without a gateway's error body to the call pims/subscription/step."),
        "{err}"
    );
    assert!(
        err.contains("If the list by carAssociationID works"),
        "{err}"
    );
}

/// A redirect from http:// to https:// on the same host is the gateway's
/// secure address: doctor says to use it, as `steps` does, never "another
/// server or a connection that is not secure".
#[test]
fn a_redirect_to_https_on_the_same_host_says_to_use_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let moved = format!(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://127.0.0.1:{port}/pims/subscription/steps\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let api = crate::canned::answering(moved.into_bytes());
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    assert!(text.contains("Use the https:// address in --api"), "{text}");
    assert!(!text.contains("not secure"), "{text}");
    // An answer came: never "Retry … drops this call" under it, nor "no
    // steps gateway answered" (stranger 66, BO3).
    assert!(
        text.contains(
            "→ An answer came, but none stepwise can use, and asking again gets the same"
        ),
        "{text}"
    );
    assert!(
        !text.contains("drops this call") && !text.contains("no steps gateway answered"),
        "{text}"
    );
}

/// A gateway whose answers come compressed though none was asked: the
/// First list line says so, and what to do is never "Retry" (stranger 66,
/// BO3).
#[test]
fn a_compressed_answer_is_not_said_dropped() {
    // Every answer compressed (a proxy that gzips them): the list, and
    // the 400 to the request without an id.
    let gzipped = |status: &str| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
        )
        .into_bytes()
        .into_iter()
        .chain(*b"\x1f\x8b\x08\x00")
        .collect::<Vec<u8>>()
    };
    let api = crate::canned::routing(
        vec![("carAssociationID", gzipped("200 OK"))],
        gzipped("400 Bad Request"),
    );
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    let first = line(&text, "First list");
    assert!(
        first.starts_with("✗") && first.contains("compressed"),
        "{text}"
    );
    assert!(
        text.contains("→ An answer came, but none stepwise can use"),
        "{text}"
    );
    assert!(
        !text.contains("drops this call") && !text.contains("got no answer either"),
        "{text}"
    );
    // The Error body line says the answer could not be used, never that
    // no gateway is there (stranger 78, CA4).
    let body = line(&text, "Error body");
    assert!(
        body.contains("not judged: the first list's answer could not be used either"),
        "{text}"
    );
    assert!(!text.contains("no steps gateway at this address"), "{text}");
    // With a token: not tried for what answered, never "the gateway was
    // not reached" (stop 46, left).
    let with_token = stdout(&doctor_with_env(
        home.path(),
        &["--api", &api, "--car", "987654"],
        &[("STEPWISE_TOKEN", "a-token-for-doctor")],
    ));
    let token = line(&with_token, "Token");
    assert!(
        token.contains("not judged: what answered could not be used")
            && !token.contains("not reached"),
        "{with_token}"
    );
}

/// A proxy's own 503 page (it could not reach the gateway) is the proxy's
/// to explain: doctor names it, never "the gateway failed … its operator".
#[test]
fn a_proxy_s_own_5xx_page_is_not_the_gateway_failing() {
    let page = "<html><head><title>ERR_DNS_FAIL</title></head></html>";
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let proxy = crate::canned::answering(answer.into_bytes());
    let text = doctor_through_plain(&proxy);
    assert!(
        text.contains(
            "→ The proxy answered with its own error page: it could not reach the gateway"
        ),
        "{text}"
    );
    assert!(!text.contains("The gateway failed"), "{text}");
}

/// A gateway that answers a request with no id with a list (200) does not
/// check its input: the fix is for its operator, and only if the list
/// checks fail too is --api to be checked.
#[test]
fn a_200_where_a_400_belongs_is_the_gateway_s_to_fix() {
    let body = r#"{"stepsID":"132324","trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1}}"#;
    let api = crate::canned::answering(json_200(body));
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    assert!(line(&text, "First list").starts_with("✓"), "{text}");
    assert!(
        line(&text, "Error body").contains("gets HTTP 200 instead of 400"),
        "{text}"
    );
    assert!(
        text.contains("Tell the gateway's operator: a request with no id should be answered 400"),
        "{text}"
    );
    assert!(
        !text.contains("→ Check that --api points at a steps gateway"),
        "{text}"
    );
}

/// Without --car, a 200 where a 400 belongs may come from any web server:
/// doctor sends the technician to the list (`--car`) to tell, not to the
/// operator of a gateway it has not seen.
#[test]
fn a_200_with_no_car_asks_for_the_list_before_blaming_an_operator() {
    let api = crate::canned::answering(json_200(r#"{"ok":true}"#));
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api]));
    assert!(
        line(&text, "Error body").contains("gets HTTP 200 instead of 400"),
        "{text}"
    );
    assert!(
        text.contains("→ This may be no steps gateway at all: run again with --car ID"),
        "{text}"
    );
    assert!(!text.contains("→ Tell the gateway's operator"), "{text}");
}

/// A stream whose first event is the gateway's `event: error` shows what
/// it said, not "no steps list"; one whose bytes are no UTF-8 is said to be
/// no text, never "offered ✓".
#[test]
fn an_error_event_and_bytes_that_are_no_text_are_named() {
    let home = home();
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
    let error = format!(
        "{head}event: ping\ndata: 1\n\nevent: error\ndata: {{\"code\":2346,\"message\":\"stepsID expired\"}}\n\n"
    );
    let api = events_gateway(error.into_bytes(), true);
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(
        events
            .contains("the first event is an error, not the current list: stepsID expired (2346)"),
        "{text}"
    );
    assert!(
        text.contains("Tell the gateway's operator what its event stream said"),
        "{text}"
    );
    assert!(!text.contains("no steps list"), "{text}");

    let mut latin1 =
        format!("{head}id: 1\nevent: steps\ndata: {{\"stepsID\":\"132324\",\"a").into_bytes();
    latin1.extend_from_slice(b"\xe9\":1}\n\n");
    let api = events_gateway(latin1, true);
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(events.starts_with("! warning"), "{text}");
    assert!(events.contains("not UTF-8 text"), "{text}");
}

/// A stream of Server-Sent Events whose first event is no steps list: the
/// fix is what the events carry, not their format.
#[test]
fn an_event_of_the_wrong_content_is_said_to_need_the_list() {
    let api = events_gateway(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\nevent: steps\ndata: {\"hello\":1}\n\n"
            .to_vec(),
        true,
    );
    let home = home();
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(
        events.contains("the first event is no steps list"),
        "{text}"
    );
    assert!(
        text.contains("each event must carry the steps list of the stepsID asked for"),
        "{text}"
    );
    assert!(!text.contains("must be Server-Sent Events"), "{text}");
}

/// A 403 page that came back through a forward proxy (plain http): the
/// fix names the proxy and NO_PROXY, as `steps` does.
#[test]
fn a_403_through_a_proxy_is_the_proxy_s_to_explain() {
    let proxy = crate::canned::answering(
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 9\r\nConnection: close\r\n\r\nForbidden"
            .to_vec(),
    );
    let home = home();
    let text = stdout(&doctor_with_env(
        home.path(),
        &["--api", "http://gateway.invalid:8080", "--car", "987654"],
        &[("HTTP_PROXY", &proxy)],
    ));
    assert!(
        text.contains("The proxy, or something in front of the gateway, refused the request"),
        "{text}"
    );
    assert!(text.contains("NO_PROXY"), "{text}");
}

/// A stream the gateway closes in the middle of its first event: the
/// gateway cut it, no proxy held it back.
#[test]
fn a_stream_cut_in_its_first_event_is_not_blamed_on_a_proxy() {
    let api = events_gateway(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nid: 1\nevent: steps\ndata: {\"stepsID\":132"
            .to_vec(),
        false,
    );
    let home = home();
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(
        events.contains("the stream closed before its first event was whole"),
        "{text}"
    );
    assert!(!text.contains("proxy_buffering"), "{text}");
    // The advice is the cut, not what an event must carry.
    assert!(
        text.contains("its event stream is closed in the middle of its first event"),
        "{text}"
    );
    assert!(!text.contains("each event must carry"), "{text}");
    // Closed with nothing sent: no "middle" of an event, an events call
    // that does not stream.
    let api = events_gateway(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n".to_vec(),
        false,
    );
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(
        events.contains("ended without sending anything (0 bytes)"),
        "{text}"
    );
    assert!(!text.contains("in the middle of its first event"), "{text}");
}

/// A gateway that wants a token, and whose sign-in discovery fails with a
/// server's page (502): the Token line says the discovery failed and to
/// retry later, never "sign in" (which meets the same failure) nor "it
/// takes a fixed token".
#[test]
fn a_failing_sign_in_discovery_is_said_on_the_token_line() {
    let wall = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let failing = b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 24\r\nConnection: close\r\n\r\n<html>bad gateway</html>".to_vec();
    let api = crate::canned::routing(vec![("/.well-known/", failing)], wall);
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    let token = text
        .lines()
        .skip_while(|l| !l.contains("Token"))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        token.contains("answered HTTP 502 to the sign-in discovery")
            && token.contains("Retry later"),
        "{text}"
    );
    assert!(!text.contains("offers no sign-in"), "{text}");
}

/// A list whose stepsID breaks the id rule: the First list line names the
/// gateway's operator, and no fix sends the technician to --api.
#[test]
fn a_steps_id_breaking_the_id_rule_is_the_gateway_s_not_the_address() {
    let body =
        r#"{"stepsID":"abc def/../x","x":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let refused = r#"{"code":400,"message":"no id"}"#;
    let refused = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{refused}",
        refused.len()
    );
    let api = crate::canned::routing(
        vec![("carAssociationID=987654", answer.into_bytes())],
        refused.into_bytes(),
    );
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    let first = line(&text, "First list");
    assert!(
        first.contains("gives a stepsID (abc def/../x) that breaks the contract's id rule"),
        "{text}"
    );
    assert!(!text.contains("points at a steps gateway"), "{text}");
}

/// A gateway that applies stepsStatus=todo but writes its steps to do as
/// "pending" (a status outside the contract): the filter is judged by the
/// contract's statuses alone, never "stepsStatus is not applied"; one that
/// sends a done step under todo is still caught (stranger 46, AU2).
#[test]
fn a_status_outside_the_contract_says_nothing_of_the_filter() {
    let step = |name: &str, status: &str, order: u8| {
        format!(r#""{name}":{{"name":"{name}","status":"{status}","order":{order}}}"#)
    };
    let (done, a, b) = (
        step("trusterPhoneNumber", "alreadyDone", 1),
        step("deviceActivation", "pending", 2),
        step("mediumCarKey", "pending", 3),
    );
    let whole = format!(r#"{{"stepsID":132324,{done},{a},{b}}}"#);
    let todo = format!(r#"{{"stepsID":132324,{a},{b}}}"#);
    let home = home();
    let filtering = crate::canned::routing(
        vec![("stepsStatus=todo", json_200(&todo))],
        json_200(&whole),
    );
    let text = stdout(&doctor(
        home.path(),
        &["--api", &filtering, "--car", "987654"],
    ));
    let filter = line(&text, "Status filter");
    assert!(filter.starts_with("✓"), "{text}");
    assert!(!text.contains("stepsStatus is not applied"), "{text}");
    let ignoring = crate::canned::answering(json_200(&whole));
    let text = stdout(&doctor(
        home.path(),
        &["--api", &ignoring, "--car", "987654"],
    ));
    assert!(line(&text, "Status filter").starts_with("✗"), "{text}");
    assert!(text.contains("stepsStatus is not applied"), "{text}");
    // Its steps of a status outside the contract are counted as not done,
    // never "0 to do" alone (stranger 62, BK5).
    assert!(
        line(&text, "Status filter").contains(
            "the list has 0 to do; 2 more of a status outside the contract, \
             which stepwise counts as not done"
        ),
        "{text}"
    );
}

/// A gateway whose 400 names the status filter doctor did not choose (it
/// asks for every step): the operator's to fix, never "list without it
/// (no --status)", an option doctor does not have (stranger 50, AY2).
#[test]
fn a_400_naming_the_filter_doctor_did_not_choose_is_the_operator_s() {
    let home = home();
    let refusing = crate::canned::answering(crate::canned::reply(
        "400 Bad Request",
        "application/json",
        r#"{"message":"stepsStatus must be todo, alreadyDone or all"}"#,
    ));
    let text = stdout(&doctor(
        home.path(),
        &["--api", &refusing, "--car", "987654"],
    ));
    assert!(line(&text, "First list").starts_with("✗"), "{text}");
    assert!(text.contains("which doctor did not choose"), "{text}");
    assert!(!text.contains("--status"), "{text}");
}

/// A gateway that drops a request with no id (it closes the connection
/// without answering) but lists vehicles: doctor's own id-less request is
/// said as such, and the first list is asked and judged all the same,
/// never "First list ✗ … the server closed the connection" for a list
/// that works (stranger 44, AS3).
#[test]
fn a_gateway_that_drops_a_request_with_no_id_still_gets_its_list_asked() {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let api = crate::canned::routing(
        vec![
            ("carAssociationID=", json_200(list)),
            ("stepsID=", json_200(list)),
        ],
        Vec::new(),
    );
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    assert!(line(&text, "First list").starts_with("✓"), "{text}");
    let body = line(&text, "Error body");
    assert!(
        body.starts_with("!") && body.contains("a request with no id got no answer"),
        "{text}"
    );
    // A server that closes every connection: the first list says so; the
    // id-less request is not judged apart.
    let closing = crate::canned::routing(Vec::new(), Vec::new());
    let text = stdout(&doctor(
        home.path(),
        &["--api", &closing, "--car", "987654"],
    ));
    assert!(line(&text, "First list").starts_with("✗"), "{text}");
    assert!(
        line(&text, "Error body").contains("not judged: the first list got no answer either"),
        "{text}"
    );
}

/// A forwarding proxy that passes the list calls on but holds back the
/// event stream (it buffers an answer that never ends): the Live events
/// line says so, never "ask whether it passes requests to the host" right
/// after the list calls went through it (stranger 47, AV12).
#[test]
fn a_proxy_that_holds_the_event_stream_back_is_named_so() {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let proxy = crate::canned::holding_events(json_200(list), Vec::new());
    let home = home();
    let divided_by = DIVIDED_BY.to_string();
    let out = doctor_within(
        home.path(),
        &["--api", "http://gateway.invalid:8080", "--car", "987654"],
        &[
            ("HTTP_PROXY", &proxy),
            (stepwise::doctor::TEST_LIMITS_DIVIDED_BY, &divided_by),
        ],
        Duration::from_secs(20) / DIVIDED_BY + Duration::from_secs(5),
    );
    let text = stdout(&out);
    assert!(line(&text, "First list").starts_with("✓"), "{text}");
    let events = line(&text, "Live events");
    assert!(
        events.starts_with("!")
            && events.contains("though the list calls through it were answered"),
        "{text}"
    );
    assert!(
        text.contains("pass text/event-stream through unbuffered"),
        "{text}"
    );
    assert!(!text.contains("whether it passes requests"), "{text}");
}

/// A gateway whose 401 says why (its Bearer challenge's
/// `error_description`): doctor's Token line quotes it, and `--json`'s
/// remedies carry the `--api` typed as the text does, so the login they
/// suggest can be run as printed (stranger 56, BE3).
#[test]
fn doctor_json_remedies_carry_the_typed_api_and_the_token_line_the_gateway_s_words() {
    let body = r#"{"code":401,"message":"token wanted"}"#;
    let refused = format!(
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"The access token expired at 10:00\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let api = crate::canned::answering(refused.into_bytes());
    let home = home();
    let out = doctor(home.path(), &["--api", &api, "--car", "987654", "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON");
    let checks = json["checks"].as_array().unwrap();
    let token = checks.iter().find(|c| c["id"] == "token").unwrap();
    assert!(
        token["detail"]
            .as_str()
            .unwrap()
            .contains("The access token expired at 10:00"),
        "{token}"
    );
    let remedies: Vec<&str> = checks.iter().filter_map(|c| c["remedy"].as_str()).collect();
    let logins: Vec<&&str> = remedies
        .iter()
        .filter(|r| r.contains("`stepwise login"))
        .collect();
    assert!(!logins.is_empty(), "{json}");
    for remedy in logins {
        assert!(
            remedy.contains(&format!("`stepwise login --api {api}")),
            "{remedy}"
        );
    }
}

/// Error bodies in the other shapes the contract tolerates (RFC 7807's
/// `detail`, OAuth's `error_description`) are the gateway's words, as
/// `steps` reads them: a 404 naming the id is an unknown id, never "not a
/// steps gateway"; a 400 naming a parameter is that, never "check the
/// carAssociationID" (stranger 56, BE1, BE2).
#[test]
fn error_bodies_of_other_shapes_are_read_as_the_gateway_s_words() {
    let contract_400 = crate::canned::reply(
        "400 Bad Request",
        "application/json",
        r#"{"code":400,"message":"exactly one of carAssociationID and stepsID"}"#,
    );
    let unknown = crate::canned::reply(
        "404 Not Found",
        "application/problem+json",
        r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"unknown carAssociationID 987654"}"#,
    );
    let api = crate::canned::routing(vec![("carAssociationID=", unknown)], contract_400.clone());
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    let first = line(&text, "First list");
    assert!(
        first.starts_with("✗") && first.contains("(unknown carAssociationID 987654)"),
        "{text}"
    );
    assert!(
        text.contains("→ Check the carAssociationID given with --car"),
        "{text}"
    );
    assert!(!text.contains("not a steps gateway"), "{text}");

    let malformed = crate::canned::reply(
        "400 Bad Request",
        "application/json",
        r#"{"error":"invalid_request","error_description":"resetSteps must be true or false"}"#,
    );
    let api = crate::canned::routing(vec![("carAssociationID=", malformed)], contract_400);
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    assert!(
        line(&text, "First list").contains("(resetSteps must be true or false)"),
        "{text}"
    );
    assert!(
        !text.contains("Check the carAssociationID given with --car"),
        "{text}"
    );
}

/// A 400 to the request with no id in RFC 7807's shape is JSON stepwise
/// reads: the Error body line is ✓ with its words, never "no JSON body …
/// error bodies should be JSON" (stranger 57, BF8).
#[test]
fn an_error_body_of_another_shape_is_json_that_is_read() {
    let problem = crate::canned::reply(
        "400 Bad Request",
        "application/problem+json",
        r#"{"title":"Bad Request","detail":"carAssociationID or stepsID is required"}"#,
    );
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let api = crate::canned::routing(vec![("carAssociationID=", json_200(list))], problem);
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    let body = line(&text, "Error body");
    assert!(
        body.starts_with("✓") && body.contains("(carAssociationID or stepsID is required)"),
        "{text}"
    );
    assert!(!text.contains("error bodies should be JSON"), "{text}");
}

/// A gateway that closes every connection without answering: the first
/// list's failed line says what to do, as every failed line does
/// (stranger 60, BI14).
#[test]
fn a_dropped_first_list_says_what_to_do() {
    let home = home();
    let gateway = crate::canned::answering(Vec::new());
    let out = doctor(home.path(), &["--api", &gateway, "--car", "987654"]);
    let text = stdout(&out);
    let first = line(&text, "First list");
    assert!(
        first.starts_with("✗ failed") && first.contains("closed the connection without answering"),
        "{text}"
    );
    assert!(
        text.contains("→ Retry; if it persists, the gateway or something in front of it (a proxy, a load balancer) drops this call"),
        "{text}"
    );
}

/// An events call refused with 404 and the gateway's "no step for this
/// stepsID" (2346) for the stepsID the list call just gave: the stream
/// contradicts the lists, a warning for the operator, never "not offered
/// ✓" (stranger 67, BP8); a bare 404 is still a call not offered.
#[test]
fn an_events_call_refused_with_2346_is_no_call_missing() {
    let home = home();
    let refused = crate::canned::reply(
        "404 Not Found",
        "application/json",
        r#"{"code":2346,"message":"no step for this stepsID"}"#,
    );
    let api = events_gateway(refused, false);
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(events.starts_with("! warning"), "{text}");
    assert!(
        events.contains(
            "refused (404, code 2346): the stream says it has no step for stepsID 132324"
        ),
        "{text}"
    );
    assert!(
        text.contains("its events call refuses stepsIDs its list call answers"),
        "{text}"
    );
    let bare = crate::canned::reply("404 Not Found", "text/plain", "");
    let api = events_gateway(bare, false);
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    assert!(
        line(&text, "Live events").starts_with("✓ ok") && text.contains("not offered (404)"),
        "{text}"
    );
}

/// One vehicle answered with another service's JSON, where the request
/// with no id got the contract's error body: --api is a steps gateway, so
/// the fix names this vehicle's answer, never "check --api" (stranger 61,
/// BJ14).
#[test]
fn a_foreign_answer_for_one_vehicle_of_a_gateway_is_not_check_api() {
    let home = home();
    let api = crate::canned::routing(
        vec![(
            "carAssociationID=C04",
            json_200(r#"{"status":"UP","components":{}}"#),
        )],
        crate::canned::reply(
            "400 Bad Request",
            "application/json",
            r#"{"code":2300,"message":"carAssociationID or stepsID is required"}"#,
        ),
    );
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "C04"]));
    assert!(line(&text, "Error body").starts_with("✓ ok"), "{text}");
    assert!(line(&text, "First list").starts_with("✗ failed"), "{text}");
    assert!(
        text.contains("→ --api answers as a steps gateway (the Error body line)"),
        "{text}"
    );
    assert!(
        !text.contains("Check that --api points at a steps gateway"),
        "{text}"
    );
}

/// A proxy's own 429 (squid's, with its error name and a wait): doctor
/// names the proxy's limit, as `steps` does, never the gateway's (stranger
/// 65, BN2).
#[test]
fn a_proxy_s_own_429_is_the_proxy_s_limit() {
    let page = "<html><body>Too many requests (squid)</body></html>";
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nServer: squid/5.7\r\nX-Squid-Error: ERR_TOO_MANY\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let proxy = crate::canned::answering(answer.into_bytes());
    let text = doctor_through_plain(&proxy);
    assert!(text.contains("The proxy is limiting requests"), "{text}");
    assert!(!text.contains("The gateway asks to wait"), "{text}");
}

/// A proxy that passes the list calls but answers the event stream with
/// its own 502 page: doctor's Live events line names the proxy and whom to
/// ask, never a bare "HTTP 502" (stranger 61, BJ5).
#[test]
fn a_proxy_s_own_page_to_the_stream_names_the_proxy() {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let page = "<html><title>ERROR</title></html>";
    let squid = format!(
        "HTTP/1.1 502 Bad Gateway\r\nServer: squid/5.7\r\nX-Squid-Error: ERR_READ_ERROR 0\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let proxy = crate::canned::routing(vec![("/events", squid.into_bytes())], json_200(list));
    let text = doctor_through_plain(&proxy);
    let events = line(&text, "Live events");
    assert!(
        events.starts_with("! warning")
            && events.contains(&format!("the proxy {proxy}"))
            && events.contains("answered HTTP 502 itself to the event stream"),
        "{text}"
    );
    assert!(text.contains("NO_PROXY=gateway.invalid"), "{text}");
}

/// An events call limited by a 429 (its Retry-After): doctor says the
/// wizard waits that long and opens the stream again, never that it polls
/// instead, which it does not (stranger 69, BR9).
#[test]
fn a_limited_stream_is_said_as_the_wait_the_wizard_keeps() {
    let home = home();
    let limited = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 45\r\nContent-Type: application/json\r\nContent-Length: 29\r\nConnection: close\r\n\r\n{\"message\":\"stream limit\"}   ".to_vec();
    let api = events_gateway(limited, false);
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(
        events.contains("The wizard waits 45 s, as the gateway asks")
            && !events.contains("polls instead"),
        "{text}"
    );
}

/// An events call that gets no answer (the connection closed at once):
/// doctor says the wizard opens the stream again, never that it polls
/// instead, which it does only where a list comes (stranger 69, BR16).
#[test]
fn an_unanswered_stream_is_said_as_the_wizard_retries_it() {
    let home = home();
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let api = crate::canned::routing(vec![("/events", Vec::new())], json_200(list));
    let text = stdout(&doctor_divided(
        home.path(),
        &["--api", &api, "--car", "987654"],
    ));
    let events = line(&text, "Live events");
    assert!(
        events.contains("the wizard opens the stream again") && !events.contains("polls instead"),
        "{text}"
    );
}

/// A proxy that answers CONNECT with its own 429: doctor's Proxy line
/// says the proxy limits requests, never that it refuses the destination
/// (stranger 80, CC2).
#[test]
fn a_proxy_s_429_to_connect_is_its_limit() {
    let proxy = canned("429 Too Many Requests", "Retry-After: 120\r\n");
    let home = home();
    let text = stdout(&doctor_with_env(
        home.path(),
        &["--api", "https://gateway.invalid:8443", "--car", "987654"],
        &[("https_proxy", proxy.as_str())],
    ));
    let line = line(&text, "Proxy");
    assert!(
        line.contains("answered CONNECT with \"HTTP/1.1 429 Too Many Requests\" itself: the proxy is limiting requests"),
        "{text}"
    );
    assert!(!text.contains("refuses this destination"), "{text}");
}

/// doctor names the gateway's redirect to where nothing answers as a
/// gateway, on the First list and Error body lines, never "this address is
/// not a steps gateway" (stranger 79, CB2).
#[test]
fn a_redirect_to_nothing_is_named_by_doctor() {
    let gateway = crate::canned::redirecting_to_nothing();
    let home = home();
    let text = stdout(&doctor(
        home.path(),
        &["--api", &gateway, "--car", "987654"],
    ));
    for title in ["First list", "Error body"] {
        assert!(
            line(&text, title).contains("the gateway redirected"),
            "{title}: {text}"
        );
    }
    assert!(!text.contains("not a steps gateway"), "{text}");
}

/// doctor without `--car` where the call with no id gets a steps list
/// (200, not the contract's 400): a steps gateway answered it without a
/// token, so the Token and Clock lines judge it, never "no steps gateway
/// answered" (stranger 81, CD8).
#[test]
fn a_list_to_the_call_with_no_id_is_a_gateway_s_answer() {
    let list =
        r#"{"stepsID":"S1","steps":[{"name":"trusterPhoneNumber","order":1,"status":"todo"}]}"#;
    let api = crate::canned::answering(crate::canned::reply("200 OK", "application/json", list));
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api]));
    assert!(!text.contains("no steps gateway answered"), "{text}");
    assert!(
        line(&text, "Token").contains("the gateway did not ask for one"),
        "{text}"
    );
    assert!(
        line(&text, "Error body").contains("a request with no id gets HTTP 200 instead of 400"),
        "{text}"
    );
}

/// doctor, which does not retry, sends every request on a connection of
/// its own: through a proxy that closes each connection after its answer
/// (without saying so), no request meets one closed since the last, so no
/// line fails at random (stranger 82, CE3). Here a server that keeps its
/// connections open counts them and the requests.
#[test]
fn doctor_sends_each_request_on_a_fresh_connection() {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let (connections, requests) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, r) = (Arc::clone(&connections), Arc::clone(&requests));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            c.fetch_add(1, Ordering::SeqCst);
            let r = Arc::clone(&r);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut first = String::new();
                    if reader.read_line(&mut first).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    r.fetch_add(1, Ordering::SeqCst);
                    let body = r#"{"stepsID":"S1","steps":[{"name":"trusterPhoneNumber","order":1,"status":"todo"}]}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if writer.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let home = home();
    let text = stdout(&doctor(home.path(), &["--api", &api, "--car", "987654"]));
    let (connections, requests) = (
        connections.load(Ordering::SeqCst),
        requests.load(Ordering::SeqCst),
    );
    assert!(requests >= 3, "{requests} requests: {text}");
    // One connection each (doctor's reachability check opens one more).
    assert!(
        connections >= requests,
        "{connections} connections, {requests} requests: {text}"
    );
}
