//! The bearer token never appears in a log line, an error, a report or on
//! screen: a whole session with a token (and trace logging) is searched for it.

use crate::pty;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use pty::{BIN, Key, Spawn, contains, scrub_command};
use stepwise::config::Secret;
use stepwise::sim::Scenario;

const TOKEN: &str = "s3cr3t-T0ken-9f8e7d6c";
const WAIT: Duration = Duration::from_secs(10);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Every file under `dir`, with its contents.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

fn assert_no_token(what: &str, bytes: &[u8]) {
    assert!(
        !contains(bytes, TOKEN.as_bytes()),
        "the token appears in {what}"
    );
}

#[test]
fn a_session_with_a_token_never_shows_it() {
    let rt = runtime();
    let sim = rt
        .block_on(stepwise::sim::spawn(
            Scenario::built_in(),
            Some(Secret::new(TOKEN)),
        ))
        .expect("a simulator");
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let report = home.path().join("session.json");

    let mut tui = Spawn::new(&[
        "--api",
        &sim.url(),
        "--token-file",
        token_file.to_str().unwrap(),
        "--car",
        "987654",
        "--report",
        report.to_str().unwrap(),
    ])
    .home(home.path())
    .env("STEPWISE_LOG", "trace")
    .start();
    tui.wait_for("the list, fetched with the token", WAIT, |s| {
        s.contains("NEXT")
    });
    // Refresh, ask for the next step, write a report, open help and the QR code.
    for keys in ["r", "n", "x", "?"] {
        tui.send(keys);
    }
    tui.wait_for("help", WAIT, |s| s.contains("Help ("));
    tui.key(Key::Esc);
    tui.wait_for("help closed", WAIT, |s| !s.contains("Help ("));
    tui.send("g");
    tui.wait_for("the QR code", WAIT, |s| s.contains("Scan: "));
    tui.key(Key::Esc);
    tui.wait_for("the QR code closed", WAIT, |s| !s.contains("Scan: "));
    tui.send("q");
    assert!(tui.wait_exit(WAIT).success());

    assert_no_token("the screen", &tui.raw_bytes());
    let written = files_under(home.path());
    let logs: Vec<_> = written
        .iter()
        .filter(|(p, _)| p.contains("/logs/stepwise.") && p.ends_with(".log"))
        .collect();
    assert!(
        logs.iter().any(|(_, bytes)| bytes.len() > 100),
        "trace logging wrote a log: {:?}",
        written.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    assert!(
        written.iter().any(|(p, _)| p.ends_with("session.json")),
        "the --report file"
    );
    assert!(
        written.iter().any(|(p, _)| p.contains("/reports/")),
        "the report of x"
    );
    for (path, bytes) in &written {
        if !path.ends_with("/token") {
            assert_no_token(path, bytes);
        }
    }
}

#[test]
fn errors_never_show_the_token() {
    let rt = runtime();
    let sim = rt
        .block_on(stepwise::sim::spawn(
            Scenario::built_in(),
            Some(Secret::new("another-token")),
        ))
        .expect("a simulator");
    let home = tempfile::tempdir().unwrap();
    // A wrong token: 401, naming where the refused token came from.
    let mut cmd = std::process::Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let out = cmd
        .args(["steps", "--api", &sim.url(), "--car", "987654"])
        .env("STEPWISE_TOKEN", TOKEN)
        .env("STEPWISE_LOG", "trace")
        .output()
        .expect("stepwise runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("the token in STEPWISE_TOKEN"),
        "{stderr}"
    );
    assert_no_token("stderr", &out.stderr);
    assert_no_token("stdout", &out.stdout);
    for (path, bytes) in files_under(home.path()) {
        assert_no_token(&path, &bytes);
    }
}

/// A gateway that echoes the request's Authorization header in its error
/// message: the client cuts the token out.
#[test]
fn a_gateway_echoing_the_token_does_not_leak_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        // One request: answer 400 with the headers echoed back.
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !contains(&request, b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&request).into_owned();
        let echoed = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization"))
            .unwrap_or("no authorization header")
            .replace(['"', '\\'], " ");
        let body = format!(r#"{{"message": "bad request: {echoed}"}}"#);
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).unwrap();
        request
    });
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let out = cmd
        .args([
            "steps",
            "--api",
            &format!("http://{addr}"),
            "--car",
            "987654",
        ])
        .env("STEPWISE_TOKEN", TOKEN)
        .output()
        .expect("stepwise runs");
    let request = server.join().unwrap();
    assert!(
        contains(&request, TOKEN.as_bytes()),
        "the token was sent to the gateway"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HTTP 400") && stderr.contains("<redacted>"),
        "{stderr}"
    );
    assert_no_token("stderr", &out.stderr);
}

/// A hostile identity provider echoes what it was sent (the device code, the
/// refresh token) in its error descriptions: `login` and a refresh say what
/// went wrong without them.
#[test]
fn an_identity_provider_echoing_the_device_code_or_refresh_token_does_not_leak_them() {
    use axum::routing::{get, post};
    const DEVICE_CODE: &str = "dc-Echo-7a6b5c4d";
    const REFRESH: &str = "rt-Echo-1f2e3d4c";
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let meta = serde_json::json!({
        "device_authorization_endpoint": format!("{base}/device"),
        "token_endpoint": format!("{base}/token"),
    });
    let code = serde_json::json!({
        "device_code": DEVICE_CODE,
        "user_code": "BCDF-GHJK",
        "verification_uri": format!("{base}/verify"),
        "expires_in": 60,
        "interval": 1,
    });
    // Every token request: a 400 whose description echoes the form sent, with
    // control characters woven in for good measure.
    let echo = |body: String| async move {
        let echoed: String = body.chars().flat_map(|c| [c, '\u{7}']).collect();
        (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "error": if body.contains("refresh_token=") { "invalid_grant" } else { "server_error" },
                // The login's own access token quoted too (stranger 86,
                // CI1).
                "error_description": if body.contains("refresh_token=") {
                    format!("access token {TOKEN} expired; you sent {body} / {echoed}")
                } else {
                    format!("you sent {body} / {echoed}")
                },
            })),
        )
    };
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let meta = meta.clone();
                async move { axum::Json(meta) }
            }),
        )
        .route(
            "/device",
            post(move || {
                let code = code.clone();
                async move { axum::Json(code) }
            }),
        )
        .route("/token", post(echo));
    rt.spawn(async move { axum::serve(listener, app).await });

    let home = tempfile::tempdir().unwrap();
    let no_bus = "unix:path=/nonexistent/stepwise-test-bus";
    let mut cmd = std::process::Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let login = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .env("STEPWISE_LOG", "trace")
        .args(["login", "--api", &base])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("stepwise runs");
    assert_eq!(login.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&login.stderr);
    assert!(
        stderr.contains("server_error") && stderr.contains("<redacted>"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&login.stdout).contains("│  BCDF-GHJK  │"));

    // A kept login due for refresh, whose refresh is refused with an echo.
    let data = home.path().join(".local/share/stepwise");
    std::fs::create_dir_all(&data).unwrap();
    let logins = serde_json::json!({"logins": {format!("{base}/"): {
        "access_token": TOKEN,
        "refresh_token": REFRESH,
        "expires_at": 1,
        "lifetime": 3600,
        "token_endpoint": format!("{base}/token"),
    }}});
    std::fs::write(data.join("logins.json"), logins.to_string()).unwrap();
    let mut cmd = std::process::Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let steps = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .env("STEPWISE_LOG", "trace")
        .args(["steps", "--api", &base, "--car", "987654"])
        .output()
        .expect("stepwise runs");
    assert_eq!(steps.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&steps.stderr);
    assert!(
        stderr.contains("invalid_grant") && stderr.contains("stepwise login"),
        "{stderr}"
    );
    for (what, bytes) in [
        ("login's stdout", &login.stdout),
        ("login's stderr", &login.stderr),
        ("steps' stdout", &steps.stdout),
        ("steps' stderr", &steps.stderr),
    ] {
        for secret in [DEVICE_CODE, REFRESH, TOKEN] {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{secret} appears in {what}"
            );
        }
    }
    for (path, bytes) in files_under(home.path()) {
        if path.ends_with("logins.json") {
            continue;
        }
        for secret in [DEVICE_CODE, REFRESH, TOKEN] {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{secret} appears in {path}"
            );
        }
    }
}
