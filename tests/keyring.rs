//! The real keyring: with a Secret Service on the session bus, `login` keeps
//! the token there (read back by an independent client, `secret-tool`), no
//! file is written, and `logout` leaves no entry. Run by `.ci/keyring.sh`,
//! which starts gnome-keyring under `dbus-run-session`.

#[path = "common/pty.rs"]
mod pty;
#[path = "common/wait.rs"]
mod wait;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use pty::{BIN, scrub_command};

const API: &str = "http://127.0.0.1:9/keyring-test";
const KEY: &str = "http://127.0.0.1:9/keyring-test/";
const TOKEN: &str = "keyring-test-token-5e1f";

fn stepwise(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS")
        .expect("a session bus: run this test through .ci/keyring.sh");
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("stepwise runs");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().expect("stepwise ends")
}

/// What the Secret Service holds for the test gateway, read by libsecret.
fn secret_tool_lookup() -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "stepwise", "username", KEY])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        .filter(|s| !s.is_empty())
}

#[test]
#[ignore = "needs a Secret Service; .ci/keyring.sh runs it under dbus-run-session with gnome-keyring"]
fn logins_live_in_the_secret_service_and_logout_removes_them() {
    let home = tempfile::tempdir().unwrap();
    assert_eq!(secret_tool_lookup(), None, "a clean keyring to start with");

    let login = stepwise(
        home.path(),
        &["login", "--with-token", "--api", API],
        Some(&format!("{TOKEN}\n")),
    );
    let said = String::from_utf8_lossy(&login.stdout).into_owned();
    assert_eq!(
        login.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&login.stderr)
    );
    assert!(said.contains("the keyring (Secret Service)"), "{said}");
    assert!(!said.contains(TOKEN));

    let stored = secret_tool_lookup().expect("the entry is in the Secret Service");
    assert!(stored.contains(TOKEN), "the token itself is stored there");
    assert!(
        !home
            .path()
            .join(".local/share/stepwise/logins.json")
            .exists(),
        "no file fallback when a keyring answers"
    );

    // Nothing listens at API: the kept login is found in the keyring, and
    // its token is said not tried (exit 1, the gateway could not be asked).
    let status = stepwise(
        home.path(),
        &["auth", "status", "--json", "--api", API],
        None,
    );
    assert_eq!(status.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["store"]["kind"], "keyring");
    assert_eq!(json["store"]["detail"], "Secret Service");
    assert!(json["gateway_error"].is_string(), "{json}");
    assert!(!String::from_utf8_lossy(&status.stdout).contains(TOKEN));

    let logout = stepwise(home.path(), &["logout", "--api", API], None);
    assert_eq!(logout.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&logout.stdout).contains("removed from the keyring"));
    assert_eq!(secret_tool_lookup(), None, "logout leaves no entry");
    let after = stepwise(
        home.path(),
        &["auth", "status", "--json", "--api", API],
        None,
    );
    assert_eq!(after.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(json["store"], serde_json::Value::Null, "{json}");
}
