//! `stepwise login`, `logout` and `auth status` as a person runs them: the
//! real binary in a pseudo-terminal against an in-process simulator with
//! sign-in on, where no keyring answers (so the 0600 file is used). The
//! device code and the tokens never show on screen, in output or in logs.

use crate::pty;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use pty::{BIN, Key, Spawn, Tui, contains, http, scrub_command};
use stepwise::sim::{AuthOptions, RunningSim, Scenario, Shared, SimState, spawn_shared};

const WAIT: Duration = Duration::from_secs(20);
/// A bus address where nothing answers: no keyring, whatever the machine has.
const NO_BUS: &str = "unix:path=/nonexistent/stepwise-test-bus";

/// The prefixes of the simulator's device codes, access and refresh tokens.
const SECRET_PREFIXES: [&str; 3] = ["sim-dc-", "sim-at-", "sim-rt-"];

struct Provider {
    sim: RunningSim,
    shared: Shared,
    _runtime: tokio::runtime::Runtime,
}

impl Provider {
    fn start(options: AuthOptions) -> Self {
        Self::serve(Shared::new(SimState::new(Scenario::built_in()), None).with_auth(options))
    }

    /// A gateway of one fixed token and no sign-in: what
    /// `login --with-token` is for.
    fn fixed(token: &str) -> Self {
        let token = Some(stepwise::secret::Secret::new(token));
        Self::serve(Shared::new(SimState::new(Scenario::built_in()), token))
    }

    fn serve(shared: Shared) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let sim = runtime
            .block_on(spawn_shared(shared.clone()))
            .expect("a simulator");
        Provider {
            sim,
            shared,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        self.sim.url()
    }

    fn addr(&self) -> SocketAddr {
        self.sim.addr
    }

    fn refreshes(&self) -> u32 {
        self.shared.auth().unwrap().counts().refreshes
    }
}

fn fast() -> AuthOptions {
    AuthOptions {
        interval: Duration::from_secs(1),
        ..AuthOptions::default()
    }
}

fn logins_file(home: &Path) -> PathBuf {
    home.join(".local/share/stepwise/logins.json")
}

/// Points the revocation address of the login kept for `api` (the
/// simulator's `/oauth/revoke`) at `server`; the logins file as it was.
fn revocation_at(home: &Path, api: &str, server: &str) -> String {
    let file = logins_file(home);
    let kept = std::fs::read_to_string(&file).unwrap();
    let revoke = format!("{}/oauth/revoke", api.trim_end_matches('/'));
    assert!(kept.contains(&revoke), "{kept}");
    let moved = format!("{}/oauth/revoke", server.trim_end_matches('/'));
    std::fs::write(&file, kept.replace(&revoke, &moved)).unwrap();
    kept
}

/// A provider (kept running) with a login kept in a fresh home, whose
/// revocation address now answers `answer` (a canned server): the
/// provider, the home, the gateway's address and the login file as it
/// was before the address moved.
fn revoking_with(answer: Vec<u8>) -> (Provider, tempfile::TempDir, String, String) {
    let provider = Provider::start(fast());
    let api = provider.url();
    let home = tempfile::tempdir().unwrap();
    signed_in(&provider, home.path());
    let server = crate::canned::answering(answer);
    let kept = revocation_at(home.path(), &api, &server);
    (provider, home, api, kept)
}

/// The binary with a clean environment and no keyring.
fn run(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_LOG", "trace")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("stepwise runs");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("stepwise ends")
}

/// `stepwise login --device`, approved at the simulator, up to its end;
/// the terminal it ran in.
fn signed_in(provider: &Provider, home: &Path) -> Tui {
    let (mut tui, code) = start_login(provider, home);
    let (status, _) = http(
        provider.addr(),
        "POST",
        &format!("/sim/device/{code}/approve"),
    );
    assert_eq!(status, 200);
    tui.wait_text("Signed in to", WAIT);
    assert!(tui.wait_exit(WAIT).success());
    tui
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `stepwise login` in a pty, up to the code being shown; returns the code.
/// The user code a device login shows in its box.
fn boxed_code(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains('│'))
        .expect("the boxed code")
        .chars()
        .filter(|c| c.is_ascii_uppercase() || *c == '-')
        .collect()
}

fn start_login(provider: &Provider, home: &Path) -> (Tui, String) {
    start_login_with(provider, home, &[])
}

fn start_login_with(provider: &Provider, home: &Path, env: &[(&str, &str)]) -> (Tui, String) {
    start_login_typed(provider, home, env, &[])
}

/// A device login started with `extra` arguments typed after the usual.
fn start_login_typed(
    provider: &Provider,
    home: &Path,
    env: &[(&str, &str)],
    extra: &[&str],
) -> (Tui, String) {
    // `--device`: on a desktop, login would use the browser here instead.
    let url = provider.url();
    let mut args = vec!["login", "--device", "--api", &url];
    args.extend_from_slice(extra);
    let mut spawn = Spawn::new(&args)
        .home(home)
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_LOG", "trace")
        .size(100, 60);
    for (key, value) in env {
        spawn = spawn.env(key, value);
    }
    let mut tui = spawn.start();
    let screen = tui.wait_for("the code", WAIT, |s| s.contains("Waiting for the approval"));
    assert!(
        screen.contains(&format!("Open {}/device", provider.url())),
        "{screen}"
    );
    // The provider is on this machine only (loopback): no QR code.
    assert!(!screen.contains("scan this QR code"), "{screen}");
    let code = boxed_code(&screen);
    assert_eq!(code.len(), 9, "{screen}");
    (tui, code)
}

/// Every file under `dir`, with its contents.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

fn assert_no_secret(what: &str, bytes: &[u8]) {
    for prefix in SECRET_PREFIXES {
        assert!(
            !contains(bytes, prefix.as_bytes()),
            "a {prefix}… secret appears in {what}"
        );
    }
}

#[test]
fn a_new_user_signs_in_with_a_code_uses_the_gateway_and_signs_out() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let tui = signed_in(&provider, home.path());
    let screen = tui.screen_text();
    assert!(screen.contains("no keyring answered"), "{screen}");
    assert!(screen.contains("refreshed before then"), "{screen}");
    assert_no_secret("the login screen", &tui.raw_bytes());

    // The file fallback: only the user can read it.
    let file = logins_file(home.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(contains(&std::fs::read(&file).unwrap(), b"sim-rt-"));

    let status = run(
        home.path(),
        &["auth", "status", "--json", "--api", &provider.url()],
        None,
    );
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["signed_in"], true);
    assert_eq!(json["store"]["kind"], "file");
    assert_eq!(json["token_from"], "login");
    assert!(json["expires_in"].as_u64().unwrap() > 3000);
    assert!(json["expires_at"].as_str().unwrap().ends_with('Z'));
    let human = run(
        home.path(),
        &["auth", "status", "--api", &provider.url()],
        None,
    );
    let human_text = text(&human.stdout);
    assert!(
        human_text.contains("kept in the file") && human_text.contains("Expires:"),
        "{human_text}"
    );
    // The time left is written in the user's language ("1 h", "59 min
    // 58 s"; English writes "1h", "59m 58s").
    let german = run(
        home.path(),
        &["--lang", "de", "auth", "status", "--api", &provider.url()],
        None,
    );
    let german = text(&german.stdout);
    let left = german
        .lines()
        .find(|l| l.starts_with("Ablauf:"))
        .unwrap_or_default();
    assert!(
        [" h)", " min)", " s)"]
            .iter()
            .any(|unit| left.ends_with(unit)),
        "{german}"
    );

    // The gateway works with no token flag.
    let steps = run(
        home.path(),
        &["steps", "--api", &provider.url(), "--car", "987654"],
        None,
    );
    assert_eq!(steps.status.code(), Some(3), "{}", text(&steps.stderr));
    assert!(text(&steps.stdout).contains("NEXT"));

    // STEPWISE_TOKEN still wins.
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let env_status = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_TOKEN", "given-by-env")
        .args(["auth", "status", "--json", "--api", &provider.url()])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&env_status.stdout).unwrap();
    assert_eq!(json["token_from"], "environment");
    // The kept login is still said to be there, out of use, not "none kept".
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let shadowed = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_TOKEN", "given-by-env")
        .args(["auth", "status", "--api", &provider.url()])
        .output()
        .unwrap();
    let said = text(&shadowed.stdout);
    assert!(
        said.contains("not in use: the token from STEPWISE_TOKEN wins over it"),
        "{said}"
    );
    assert!(!said.contains("none kept"), "{said}");

    for out in [&status, &human, &steps, &env_status] {
        assert_no_secret("stdout", &out.stdout);
        assert_no_secret("stderr", &out.stderr);
    }
    for (path, bytes) in files_under(home.path()) {
        if path != file {
            assert_no_secret(&path.display().to_string(), &bytes);
        }
    }

    let logout = run(home.path(), &["logout", "--api", &provider.url()], None);
    assert_eq!(logout.status.code(), Some(0));
    assert!(
        text(&logout.stdout).contains("removed from the file"),
        "{}",
        text(&logout.stdout)
    );
    assert!(!file.exists(), "logout leaves no file behind");
    let after = run(
        home.path(),
        &["auth", "status", "--api", &provider.url()],
        None,
    );
    assert_eq!(after.status.code(), Some(1));
    let steps = run(
        home.path(),
        &["steps", "--api", &provider.url(), "--car", "987654"],
        None,
    );
    assert_eq!(steps.status.code(), Some(1));
    assert!(
        text(&steps.stderr).contains("stepwise login"),
        "{}",
        text(&steps.stderr)
    );
}

#[test]
fn ctrl_c_cancels_the_sign_in_and_keeps_nothing() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let (mut tui, _) = start_login(&provider, home.path());
    tui.key(Key::CtrlC);
    let status = tui.wait_exit(WAIT);
    assert_eq!(status.exit_code(), 130);
    tui.wait_text("sign-in cancelled; nothing was kept", WAIT);
    assert!(!logins_file(home.path()).exists());
}

#[test]
fn a_denied_code_says_so_and_keeps_nothing() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let (mut tui, code) = start_login(&provider, home.path());
    let (status, _) = http(provider.addr(), "POST", &format!("/sim/device/{code}/deny"));
    assert_eq!(status, 200);
    assert_eq!(tui.wait_exit(WAIT).exit_code(), 1);
    tui.wait_text("access_denied", WAIT);
    // The words name the scopes asked for: a provider that wanted others
    // denies after the person signed in.
    assert!(
        tui.screen_text()
            .replace('\n', " ")
            .contains("openid offline_access"),
        "{}",
        tui.screen_text()
    );
    assert!(!logins_file(home.path()).exists());
    // The command to run again keeps the client and audience typed (run
    // as printed, it would sign in as another client; stranger 47, AV4).
    let home = tempfile::tempdir().unwrap();
    let typed = [
        "--client-id",
        "stepwise",
        "--audience",
        "https://aud.example",
    ];
    let (mut tui, code) = start_login_typed(&provider, home.path(), &[], &typed);
    let (status, _) = http(provider.addr(), "POST", &format!("/sim/device/{code}/deny"));
    assert_eq!(status, 200);
    assert_eq!(tui.wait_exit(WAIT).exit_code(), 1);
    tui.wait_text("access_denied", WAIT);
    let said = tui.screen_text().replace('\n', " ");
    assert!(
        said.contains("--device --client-id stepwise --audience https://aud.example` again"),
        "{said}"
    );
}

/// A gateway that offers no sign-in and answers without any token: `login`
/// says there is nothing to sign in to (never "it takes a fixed token from
/// whoever runs it"), and a token kept by hand is not said "taken" by a
/// gateway that checks none.
#[test]
fn login_to_a_gateway_that_needs_no_token_says_so() {
    let open = Provider::serve(Shared::new(SimState::new(Scenario::built_in()), None));
    let home = tempfile::tempdir().unwrap();
    let api = open.url();
    let out = run(home.path(), &["login", "--device", "--api", &api], None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "it answered without a token: it needs none here, so there is nothing to sign in to"
        ),
        "{err}"
    );
    assert!(!err.contains("fixed token"), "{err}");
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("some-token\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("the gateway answered without a token as well: it needs none here")
            && !said.contains("the gateway took it"),
        "{said}"
    );
}

/// `login --with-token` to a gateway that takes the connection and never
/// answers: the token is kept, said not tried because the gateway did not
/// answer in time (busy or hung), never a bare "not tried" (stranger 52,
/// BA4).
#[test]
fn a_token_kept_for_a_silent_gateway_says_it_did_not_answer() {
    let home = tempfile::tempdir().unwrap();
    let api = crate::canned::silent();
    let login = ["login", "--with-token", "--api", &api];
    let out = run(home.path(), &login, Some("some-token\n"));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("took the connection and did not answer within 5 s (busy or hung)"),
        "{said}"
    );
    assert!(!said.contains("some-token"), "the token never shows");
}

/// A `token_file` in the config file that names no file does not stop
/// `login`, which keeps a login that wins over it; other commands still
/// say the missing file (stranger 52, BA7).
#[test]
fn a_missing_token_file_in_the_config_does_not_stop_a_login() {
    let gateway = Provider::serve(Shared::new(
        SimState::new(Scenario::built_in()),
        Some(stepwise::secret::Secret::new("the-right-token")),
    ));
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".config/stepwise");
    std::fs::create_dir_all(&config).unwrap();
    let missing = home.path().join("nope.txt");
    std::fs::write(
        config.join("config.toml"),
        format!("token_file = {:?}\n", missing.to_str().unwrap()),
    )
    .unwrap();
    let api = gateway.url();
    let steps = ["steps", "--api", &api, "--car", "987654"];
    let out = run(home.path(), &steps, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not exist"),
        "{}",
        text(&out.stderr)
    );
    let login = ["login", "--with-token", "--api", &api];
    let out = run(home.path(), &login, Some("the-right-token\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The kept login wins over the config file's token_file.
    let out = run(home.path(), &steps, None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

/// A token in STEPWISE_TOKEN (or from --token-file) that the gateway
/// refuses, beside a login kept for it that works: the words say the
/// given token wins and to leave it out, never "sign in with `stepwise
/// login`" (stranger 39, AN10).
#[test]
fn a_refused_given_token_beside_a_kept_login_says_to_leave_it_out() {
    let gateway = Provider::serve(Shared::new(
        SimState::new(Scenario::built_in()),
        Some(stepwise::secret::Secret::new("the-right-token")),
    ));
    let home = tempfile::tempdir().unwrap();
    let api = gateway.url();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        // With a byte-order mark, as `type` pipes a Notepad file: no part
        // of the token (stranger 40, AO10).
        Some("\u{feff}the-right-token\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let steps = ["steps", "--api", &api, "--car", "987654"];
    let out = run(home.path(), &steps, None);
    // 3: steps left to do, in a list answered with the kept login.
    assert_eq!(
        out.status.code(),
        Some(3),
        "the kept login works: {}",
        text(&out.stderr)
    );
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let out = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_TOKEN", "a-stale-token")
        .args(steps)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "wins over the login kept for this gateway. Unset STEPWISE_TOKEN to use that login"
        ),
        "{err}"
    );
    assert!(!err.contains("sign in with `stepwise login"), "{err}");
    assert!(!err.contains("a-stale-token"), "the token never shows");
    // doctor's token line says the same (stranger 41, AP13).
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let out = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_TOKEN", "a-stale-token")
        .args(["doctor", "--api", &api, "--car", "987654"])
        .output()
        .unwrap();
    let said = text(&out.stdout);
    assert!(
        said.contains("A login kept for this gateway is taken by it (tried just now), and STEPWISE_TOKEN wins over it: unset STEPWISE_TOKEN"),
        "{said}"
    );
    assert!(!said.contains("a-stale-token"), "the token never shows");
    let file = home.path().join("token.txt");
    std::fs::write(&file, "a-stale-token\n").unwrap();
    let with_file = [
        "steps",
        "--api",
        &api,
        "--car",
        "987654",
        "--token-file",
        file.to_str().unwrap(),
    ];
    let out = run(home.path(), &with_file, None);
    let err = text(&out.stderr);
    assert!(
        err.contains("Leave --token-file out to use that login (the gateway took it just now)"),
        "{err}"
    );
    // The kept login refused as well: leaving the file out would meet
    // another 401, so that is not advised (stranger 42, AQ3).
    let kept = std::fs::read_to_string(logins_file(home.path())).unwrap();
    assert!(kept.contains("the-right-token"), "a file store: {kept}");
    std::fs::write(
        logins_file(home.path()),
        kept.replace("the-right-token", "a-revoked-token"),
    )
    .unwrap();
    let out = run(home.path(), &with_file, None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("and the login kept for this gateway too (tried just now)"),
        "{err}"
    );
    assert!(!err.contains("Leave --token-file out"), "{err}");
    assert!(!err.contains("a-revoked-token"), "the token never shows");
    let mut doctor = vec!["doctor"];
    doctor.extend(with_file.iter().filter(|a| **a != "steps"));
    let out = run(home.path(), &doctor, None);
    let said = text(&out.stdout);
    assert!(
        said.contains("The login kept for this gateway is refused too (tried just now)"),
        "{said}"
    );
}

/// `auth status` with a kept login whose token the gateway now refuses
/// quotes the gateway's own words on why (stranger 84, CG4).
#[test]
fn auth_status_quotes_the_gateway_on_a_refused_kept_login() {
    let list = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let api = crate::canned::routing(
        vec![("Bearer good-token-0123", crate::canned::reply("200 OK", "application/json", list))],
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"token revoked by the fleet admin\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("good-token-0123\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let kept = std::fs::read_to_string(logins_file(home.path())).unwrap();
    std::fs::write(
        logins_file(home.path()),
        kept.replace("good-token-0123", "revoked-token-0123"),
    )
    .unwrap();
    let out = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&out.stdout);
    assert!(
        said.contains("the gateway refused its token just now")
            && said.contains("The gateway says: “token revoked by the fleet admin”."),
        "{said}{}",
        text(&out.stderr)
    );
    assert!(
        !said.contains("revoked-token-0123"),
        "the token never shows"
    );
}

/// `login` with STEPWISE_TOKEN set says its token wins over the login just
/// kept, in every command, and how to use the login; without it, no such
/// note (stranger 86, CI3).
#[test]
fn a_login_beside_a_given_token_says_the_given_one_wins() {
    let gateway = Provider::serve(Shared::new(
        SimState::new(Scenario::built_in()),
        Some(stepwise::secret::Secret::new("the-right-token")),
    ));
    let home = tempfile::tempdir().unwrap();
    let api = gateway.url();
    let login = ["login", "--with-token", "--api", &api];
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let mut child = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_TOKEN", "a-stale-token")
        .args(login)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"the-right-token\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("the gateway took it")
            && said.contains("Note: STEPWISE_TOKEN is set here, and its token wins over this login in every command. Unset STEPWISE_TOKEN to use the login."),
        "{said}"
    );
    let out = run(home.path(), &login, Some("the-right-token\n"));
    let said = text(&out.stdout);
    assert!(said.contains("the gateway took it"), "{said}");
    assert!(!said.contains("Note:"), "{said}");
}

/// A login kept before is not replaced by a token that could not be tried
/// because a proxy answered itself (stranger 92, CO2).
#[test]
fn an_untried_token_does_not_replace_a_kept_login() {
    let gateway = Provider::serve(Shared::new(
        SimState::new(Scenario::built_in()),
        Some(stepwise::secret::Secret::new("the-right-token")),
    ));
    let home = tempfile::tempdir().unwrap();
    let api = gateway.url();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("the-right-token\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let proxy = crate::canned::answering(
        b"HTTP/1.1 403 Forbidden\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let mut child = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("http_proxy", &proxy)
        .args(["login", "--with-token", "--api", &api])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"a-typo-token\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the token was not kept, as it could not be tried")
            && said.contains("The login kept before for this gateway is unchanged"),
        "{said}"
    );
    let kept = std::fs::read_to_string(logins_file(home.path())).unwrap();
    assert!(kept.contains("the-right-token") && !kept.contains("a-typo-token"));
}

/// `login --with-token` through a proxy that is down: the token is kept
/// and said not tried because of the proxy (the gateway was not asked),
/// never "the answer did not say whether the gateway takes it".
#[test]
fn a_token_kept_through_a_dead_proxy_is_said_not_tried() {
    let home = tempfile::tempdir().unwrap();
    let proxy = format!("http://127.0.0.1:{}", crate::pty::free_port());
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    for name in crate::pty::PROXY_ENV {
        cmd.env_remove(name);
    }
    let mut child = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("HTTP_PROXY", &proxy)
        .args([
            "login",
            "--with-token",
            "--api",
            "http://gateway.example:8080",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"some-token\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("but not tried: cannot connect to the proxy")
            && said.contains("Once the proxy lets the request through"),
        "{said}"
    );
    assert!(!said.contains("did not say whether"), "{said}");
}

/// A scope the identity provider does not know is named with the scopes
/// asked for and where to set them, not "retry later" (a stranger's
/// `--scope` typo read as the provider's passing trouble).
#[test]
fn an_unknown_scope_names_the_scopes_and_the_flag() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &[
            "login",
            "--device",
            "--api",
            &provider.url(),
            "--scope",
            "opnid",
        ],
        None,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("invalid_scope"), "{err}");
    assert!(err.contains("asked for: opnid"), "{err}");
    assert!(err.contains("--scope"), "{err}");
    // Run again as printed, it is a `--device` login still.
    let again = format!(
        "then run `stepwise login --api {} --device` again",
        provider.url()
    );
    assert!(err.contains(&again), "{err}");
    assert!(!err.contains("Retry later"), "{err}");
    assert!(!logins_file(home.path()).exists());
}

/// A JSON Web Token given by hand says when it ends: one that expired is
/// not called usable by `auth status` (exit 1), never "Expires: not known".
#[test]
fn a_given_token_that_expired_is_not_usable() {
    // header {"alg":"none"}, payload {"exp":1000000000} (2001), no signature
    let expired = "eyJhbGciOiJub25lIn0.eyJleHAiOjEwMDAwMDAwMDB9.";
    // A gateway of fixed tokens takes it (it does not read the expiry).
    let provider = Provider::fixed(expired);
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some(&format!("{expired}\n")),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status.stdout));
    let shown = text(&status.stdout);
    assert!(shown.contains("2001-09-09"), "{shown}");
    assert!(!shown.contains("not known"), "{shown}");
}

/// A damaged login file is named wherever no token goes out because of it:
/// `auth status` and `steps` say the file is damaged and to move it aside,
/// never "none kept, run `stepwise login`" (which then refuses to write it).
#[test]
fn a_damaged_login_file_is_named_not_taken_for_no_login() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let folder = home.path().join(".local/share/stepwise");
    std::fs::create_dir_all(&folder).unwrap();
    // A list where the file's object belongs is damaged too, not "none".
    std::fs::write(folder.join("logins.json"), "[]").unwrap();
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    let shown = text(&status.stdout);
    assert!(shown.contains("logins.json is damaged"), "{shown}");
    std::fs::write(folder.join("logins.json"), "{garbage").unwrap();

    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert_eq!(status.status.code(), Some(1));
    let shown = text(&status.stdout);
    assert!(shown.contains("logins.json is damaged"), "{shown}");
    assert!(shown.contains("move it aside"), "{shown}");
    assert!(!shown.contains("none kept"), "{shown}");
    let json = run(
        home.path(),
        &["auth", "status", "--json", "--api", &api],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        json["login_error"]
            .as_str()
            .is_some_and(|e| e.contains("logins.json")),
        "{json}"
    );

    let steps = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654"],
        None,
    );
    let said = text(&steps.stderr);
    assert!(said.contains("no token is sent"), "{said}");
    assert!(said.contains("logins.json is damaged"), "{said}");
    // The 401 names the unreadable login as its cause, and a way that
    // reads no login: never `login --with-token`, which fails the same way.
    // Its cause itself, in the line (stranger 70, BS9).
    // The warning, said before any answer (a gateway that wants no token
    // too), asks only for the move; the 401 adds the sign-in that follows
    // it (stranger 79, CB5).
    let warning = said.lines().next().unwrap_or_default();
    assert!(
        warning.contains("move it aside (or remove it)") && !warning.contains("sign in"),
        "{said}"
    );
    assert!(
        said.contains("HTTP 401: the gateway wants a token, and none was sent: the login file")
            && said.contains(&format!(
                "move it aside (or remove it), then run `stepwise login --api {api}` to sign in again"
            ))
            && said.matches("logins.json is damaged").count() == 2,
        "{said}"
    );
    assert!(!said.contains("--with-token"), "{said}");
    let fixed = Provider::fixed("sim-at-right");
    let steps = run(
        home.path(),
        &["steps", "--api", &fixed.url(), "--car", "987654", "--json"],
        None,
    );
    let said = text(&steps.stderr);
    assert!(said.contains("could not be read: "), "{said}");
    assert!(!said.contains("--with-token"), "{said}");
    // No sign-in where the gateway offers none.
    assert!(!said.contains("sign in again"), "{said}");
    // A script's JSON carries the cause, not "the warning above", and no
    // sign-in, which meets the same damaged file.
    let failed: serde_json::Value = serde_json::from_slice(&steps.stdout).unwrap();
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("logins.json is damaged") && !error.contains("warning above"),
        "{failed}"
    );
    assert_eq!(failed["action"], "stop", "{failed}");

    // doctor's token line names it too, not "none given".
    let doctor = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    let report = text(&doctor.stdout);
    let token = report
        .lines()
        .find(|l| l.contains("Token"))
        .unwrap_or_default();
    assert!(token.contains("logins.json is damaged"), "{report}");
    // The sign-in follows the move, in the fix (stranger 79, CB5).
    assert!(
        report.contains("Once it is moved aside, sign in again with `stepwise login"),
        "{report}"
    );
    assert!(token.starts_with("✗"), "{report}");

    // A sign-in stops before it shows a code: no approval is spent on a
    // login the file could not keep.
    let login = run(home.path(), &["login", "--device", "--api", &api], None);
    assert_eq!(login.status.code(), Some(1));
    // Moving the file aside, then this same command: never "run
    // `stepwise login`" as a fix of itself (stranger 79, CB5).
    let said = text(&login.stderr);
    assert!(
        said.contains("logins.json is damaged")
            && said.contains("move it aside (or remove it), then run this command again")
            && !said.contains("sign in again"),
        "{said}"
    );
    assert!(
        !text(&login.stdout).contains("/device"),
        "{}",
        text(&login.stdout)
    );
}

/// A given token is tried once before it is kept: one the gateway refuses
/// is not kept and does not replace a kept one that works; a gateway that
/// cannot be reached leaves it untried, said so.
#[test]
fn a_given_token_the_gateway_refuses_is_not_kept() {
    let provider = Provider::fixed("sim-at-right");
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let login = |token: &str, api: &str| {
        run(
            home.path(),
            &["login", "--with-token", "--api", api],
            Some(&format!("{token}\n")),
        )
    };
    let good = login("sim-at-right", &api);
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stderr));
    assert!(
        text(&good.stdout).contains("the gateway took it"),
        "{}",
        text(&good.stdout)
    );
    let kept = std::fs::read(logins_file(home.path())).unwrap();

    // A token in quotes, or after the word Bearer, is said so (as a token
    // file's is), never "ask for the current token".
    for (typed, said) in [
        ("\"sim-at-right\"", "the token in standard input is given"),
        (
            "Bearer sim-at-right",
            "standard input starts with the word Bearer",
        ),
        // A whole header line copied from a request (stranger 57, BF7).
        (
            "Authorization: Bearer sim-at-right",
            "standard input is given as a whole header line (`Authorization: Bearer …`",
        ),
    ] {
        let wrapped = login(typed, &api);
        assert_eq!(wrapped.status.code(), Some(1), "{}", text(&wrapped.stdout));
        let words = text(&wrapped.stderr);
        assert!(words.contains(said), "{typed}: {words}");
        assert!(!words.contains("current token"), "{typed}: {words}");
    }

    let wrong = login("sim-at-wrong", &api);
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong.stdout));
    let said = text(&wrong.stderr);
    assert!(
        said.contains("refused this token (HTTP 401), so it was not kept"),
        "{said}"
    );
    // A gateway without sign-in: its operator gives its token.
    assert!(said.contains("Ask whoever runs the gateway"), "{said}");
    // The token kept before for it stays, and is said to (stranger 75,
    // BX1).
    assert!(
        said.contains("The login kept before for this gateway is unchanged"),
        "{said}"
    );
    assert_no_secret("stderr", &wrong.stderr);
    // A gateway with sign-in: its tokens come from signing in, not from
    // anyone to ask.
    let signing = Provider::start(fast());
    let refused = login("sim-at-wrong", &signing.url());
    assert_eq!(refused.status.code(), Some(1));
    let said = text(&refused.stderr);
    assert!(
        said.contains("This gateway offers sign-in")
            && said.contains(&format!(
                "run `stepwise login --api {}` (without --with-token)",
                signing.url()
            )),
        "{said}"
    );
    assert!(!said.contains("Ask whoever runs the gateway"), "{said}");
    // None was kept for this one: no word of one unchanged.
    assert!(!said.contains("kept before"), "{said}");
    assert_eq!(
        std::fs::read(logins_file(home.path())).unwrap(),
        kept,
        "the working one stays"
    );
    let steps = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654"],
        None,
    );
    assert_eq!(steps.status.code(), Some(3), "{}", text(&steps.stderr));

    // Nothing listens: kept, and said untried with why (a mistyped --api
    // shows now).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let away = format!("http://127.0.0.1:{port}");
    let untried = login("sim-at-later", &away);
    assert_eq!(untried.status.code(), Some(0), "{}", text(&untried.stderr));
    let said = text(&untried.stdout);
    assert!(
        said.contains("but not tried: cannot reach the gateway"),
        "{said}"
    );
    assert!(said.contains("connection was refused"), "{said}");
    assert!(
        said.contains("If that address is wrong, fix --api"),
        "{said}"
    );
    // The call it suggests asks that gateway, not the embedded simulator.
    assert!(
        said.contains(&format!("(`stepwise steps --api {away} --car ID`)")),
        "{said}"
    );

    // Taken, but without the scope the steps need: not kept, and said so;
    // never "not tried" nor "fix --api".
    let scoped = crate::canned::answering(
        b"HTTP/1.1 403 Forbidden\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"steps:read\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let lacking = login("sim-at-narrow", &scoped);
    assert_eq!(lacking.status.code(), Some(1), "{}", text(&lacking.stdout));
    let said = text(&lacking.stderr);
    assert!(said.contains("lacks the scope steps:read"), "{said}");
    assert!(said.contains("it was not kept"), "{said}");
    assert!(
        !said.contains("not tried") && !said.contains("fix --api"),
        "{said}"
    );
    // Answered without a judgement of the token (a failure of its own):
    // kept, "not judged", and the address is not blamed.
    let failing = crate::canned::answering(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let unjudged = login("sim-at-later", &failing);
    assert_eq!(
        unjudged.status.code(),
        Some(0),
        "{}",
        text(&unjudged.stderr)
    );
    let said = text(&unjudged.stdout);
    assert!(
        said.contains("but the answer to it did not say whether the gateway takes it: HTTP 500"),
        "{said}"
    );
    assert!(!said.contains("fix --api"), "{said}");
}

/// An address that answers the token's check with JSON of another service
/// (a health check's) is no steps gateway, as one that answers a web page:
/// the token is not kept, exit 1 (stranger 60, BI12).
#[test]
fn a_token_for_an_address_answering_a_health_check_is_not_kept() {
    let health = crate::canned::answering(crate::canned::reply(
        "200 OK",
        "application/json",
        r#"{"status":"UP","components":{"db":{"status":"UP"}}}"#,
    ));
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &health],
        Some("some-token-123\n"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("Token not kept: ") && err.contains("JSON of another shape"),
        "{err}"
    );
    assert!(!logins_file(home.path()).exists());
}

#[test]
fn login_with_token_reads_standard_input_only() {
    let provider = Provider::fixed("sim-at-by-hand");
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("sim-at-by-hand\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_secret("stdout", &out.stdout);
    let status = run(
        home.path(),
        &["auth", "status", "--json", "--api", &api],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["signed_in"], true);
    assert_eq!(json["refreshable"], false);
    assert_no_secret("auth status", &status.stdout);
    // "Readable only by you" is said only of a file that is so.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = logins_file(home.path());
        let said = |mode| {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let out = run(home.path(), &["auth", "status", "--api", &api], None);
            text(&out.stdout)
        };
        let open = said(0o644);
        assert!(
            open.contains("readable by other users of this machine: mode 0644; run `chmod 600"),
            "{open}"
        );
        assert!(!open.contains("readable only by you"), "{open}");
        assert!(said(0o600).contains("(readable only by you)"));
    }

    let empty = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("\n"),
    );
    assert_eq!(empty.status.code(), Some(1));
    assert!(
        text(&empty.stderr).contains("no usable token"),
        "{}",
        text(&empty.stderr)
    );
    // A token as an argument is refused with where it goes, never shown
    // (clap's own error would echo it).
    for args in [
        &["login", "--with-token", "sim-at-x", "--api", &api][..],
        &["login", "--with-token=sim-at-x", "--api", &api][..],
    ] {
        let argument = run(home.path(), args, None);
        assert_eq!(argument.status.code(), Some(2));
        let said = text(&argument.stderr);
        assert!(
            said.contains("reads the token from standard input"),
            "{said}"
        );
        assert!(!said.contains("sim-at-x"), "{said}");
    }
    // A token wrapped on two lines is refused, not cut to its first line.
    let wrapped = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("sim-at-by\n-hand\n"),
    );
    assert_eq!(wrapped.status.code(), Some(1));
    assert!(
        text(&wrapped.stderr).contains("standard input holds several lines"),
        "{}",
        text(&wrapped.stderr)
    );
    let no_api = run(home.path(), &["login", "--with-token"], Some("tok\n"));
    assert_eq!(no_api.status.code(), Some(2));
    assert!(
        text(&no_api.stderr).contains("--api"),
        "{}",
        text(&no_api.stderr)
    );
}

#[test]
fn the_wizard_stays_signed_in_while_short_lived_tokens_are_refreshed() {
    let provider = Provider::start(AuthOptions {
        token_ttl: Duration::from_secs(2),
        ..fast()
    });
    let home = tempfile::tempdir().unwrap();
    let (mut login, code) = start_login(&provider, home.path());
    http(
        provider.addr(),
        "POST",
        &format!("/sim/device/{code}/approve"),
    );
    assert!(login.wait_exit(WAIT).success());

    let mut tui = Spawn::new(&["--api", &provider.url(), "--car", "987654"])
        .home(home.path())
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("STEPWISE_LOG", "trace")
        .start();
    // Refused means a sign-in offered or a 401 said below the header: the
    // header's address is left out, as its port may hold "401" (40131 did).
    let refused = |s: &str| {
        let below = s.lines().skip(1).collect::<Vec<_>>().join("\n");
        below.contains("Sign in") || below.contains("401")
    };
    tui.wait_for("the list", WAIT, |s| s.contains("NEXT"));
    tui.send("w");
    tui.wait_for("watch on", WAIT, |s| s.contains("watch ON"));
    // Watch follows the list (one event stream, its token sent once); the
    // wizard's own requests (r) find their token expired and refresh it
    // first. Three refreshes mean several expiries survived, watch on.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while provider.refreshes() < 3 {
        assert!(std::time::Instant::now() < deadline, "no refresh in time");
        let before = provider.refreshes();
        tui.send("r");
        tui.wait_for("the list still shown", WAIT, |s| {
            s.contains("NEXT") && !refused(s)
        });
        // While the token is still fresh, give it time to expire.
        crate::wait::holds_within(Duration::from_millis(200), || provider.refreshes() > before);
    }
    tui.wait_for("still watching, still signed in", WAIT, |s| {
        s.contains("watch ON") && !refused(s)
    });
    tui.send("q");
    assert!(tui.wait_exit(WAIT).success());
    assert_no_secret("the wizard's screen", &tui.raw_bytes());
    let file = logins_file(home.path());
    for (path, bytes) in files_under(home.path()) {
        if path != file {
            assert_no_secret(&path.display().to_string(), &bytes);
        }
    }
}

#[test]
fn on_a_desktop_enter_opens_the_verification_address_in_the_browser() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    // A stand-in for xdg-open that notes the address it was given.
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = home.path().join("opened");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > {}\n", opened.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (mut tui, code) = start_login_with(
        &provider,
        home.path(),
        &[("DISPLAY", ":99"), ("PATH", &path)],
    );
    tui.wait_text("Press Enter to open the address in the browser", WAIT);
    tui.key(Key::Enter);
    tui.wait_text("Handed the address to the browser", WAIT);
    let address = crate::wait::until("the browser started with an address", WAIT, || {
        let text = std::fs::read_to_string(&opened).unwrap_or_default();
        (!text.is_empty()).then_some(text)
    });
    assert_eq!(
        address,
        format!("{}/device?user_code={code}", provider.url())
    );
    tui.key(Key::CtrlC);
    assert_eq!(tui.wait_exit(WAIT).exit_code(), 130);
}

#[test]
fn without_a_desktop_no_browser_is_offered() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let (mut tui, _) = start_login(&provider, home.path());
    assert!(!tui.screen_text().contains("Press Enter"));
    tui.key(Key::CtrlC);
    assert_eq!(tui.wait_exit(WAIT).exit_code(), 130);
}

#[test]
fn the_token_store_can_be_chosen_and_a_missing_keyring_is_said_plainly() {
    let provider = Provider::fixed("tok-123");
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let login = |store: &str| {
        let mut cmd = Command::new(BIN);
        scrub_command(&mut cmd, home.path());
        cmd.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
            .env("STEPWISE_TOKEN_STORE", store)
            .args(["login", "--with-token", "--api", &api])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"tok-123\n").unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let keyring = login("keyring");
    assert_eq!(keyring.status.code(), Some(1));
    let said = text(&keyring.stderr);
    assert!(
        said.contains("keyring cannot be used") && said.contains("STEPWISE_TOKEN_STORE=file"),
        "{said}"
    );
    // No session bus here: said as that, with its fix, and none of the
    // keyring library's English ("Platform failure: zbus error …").
    assert!(
        said.contains("no desktop session bus (D-Bus) can be reached")
            && said.contains("Run stepwise in the desktop session")
            && !said.contains("Unlock")
            && !said.contains("Platform failure")
            && !said.contains("os error"),
        "{said}"
    );
    assert!(!logins_file(home.path()).exists());
    let bogus = login("cloud");
    assert_eq!(bogus.status.code(), Some(2));
    assert!(text(&bogus.stderr).contains("keyring, file or auto"));
    let file = login("file");
    assert_eq!(file.status.code(), Some(0), "{}", text(&file.stderr));
    assert!(logins_file(home.path()).exists());
    // The setting chose the file: said so, no keyring is blamed.
    let said = text(&file.stdout);
    assert!(
        said.contains("because STEPWISE_TOKEN_STORE=file asks for it")
            && !said.contains("no keyring answered"),
        "{said}"
    );
    // The way to remove it names the gateway typed, as it must be run.
    assert!(
        said.contains(&format!("`stepwise logout --api {api}` removes it")),
        "{said}"
    );
}

#[test]
fn the_simulator_serves_a_page_to_approve_codes() {
    let provider = Provider::start(fast());
    let (status, body) = http(provider.addr(), "GET", "/device");
    assert_eq!(status, 200);
    assert!(body.contains("Approve") && body.contains("Deny"), "{body}");
    let (status, _) = http(provider.addr(), "POST", "/sim/device/BCDF-GHJK/approve");
    assert_eq!(status, 404, "an unknown code");
}

#[test]
fn on_a_terminal_with_token_reads_the_token_without_showing_it() {
    let provider = Provider::fixed("sim-at-typed-by-hand");
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let spawn = |home: &Path| {
        Spawn::new(&["login", "--with-token", "--api", &api])
            .home(home)
            .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
            .start()
    };
    let mut tui = spawn(home.path());
    tui.wait_text("it is not shown", WAIT);
    tui.send("sim-at-typed-by-hand");
    tui.key(Key::Enter);
    tui.wait_text("the gateway took it", WAIT);
    assert!(tui.wait_exit(WAIT).success());
    assert_no_secret("the terminal", &tui.raw_bytes());
    let kept = std::fs::read_to_string(logins_file(home.path())).unwrap();
    assert!(kept.contains("sim-at-typed-by-hand"));

    let other = tempfile::tempdir().unwrap();
    let mut cancelled = spawn(other.path());
    cancelled.wait_text("it is not shown", WAIT);
    cancelled.send("sim-at-half");
    cancelled.key(Key::Esc);
    assert_eq!(cancelled.wait_exit(WAIT).exit_code(), 130);
    assert!(!logins_file(other.path()).exists());
    assert_no_secret("the terminal", &cancelled.raw_bytes());
}

/// A stand-in for xdg-open that notes the address it was given; returns
/// the PATH to use and the file the address lands in.
fn fake_browser(home: &Path) -> (String, PathBuf) {
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = home.join("opened");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > {}.tmp && mv {0}.tmp {0}\n",
            opened.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, opened)
}

fn wait_for_file(path: &Path) -> String {
    crate::wait::until(&format!("{} to be written", path.display()), WAIT, || {
        std::fs::read_to_string(path)
            .ok()
            .filter(|text| !text.is_empty())
    })
}

/// An HTTP request that does not follow redirects: status, Location, body.
fn raw_request(url: &str, method: &str, body: &str) -> (u16, Option<String>, String) {
    let url = url::Url::parse(url).unwrap();
    let addr: SocketAddr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
        .parse()
        .unwrap();
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    use std::io::{Read, Write};
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .map(str::to_owned);
    (status, location, body.to_owned())
}

#[test]
fn on_a_desktop_login_signs_in_in_the_browser_with_pkce_and_a_loopback_redirect() {
    let provider = Provider::start(AuthOptions {
        clients: vec!["dealer-workshop-cli".into()],
        ..fast()
    });
    let home = tempfile::tempdir().unwrap();
    let (path, opened) = fake_browser(home.path());
    let mut tui = Spawn::new(&[
        "login",
        "--api",
        &provider.url(),
        "--client-id",
        "dealer-workshop-cli",
    ])
    .home(home.path())
    .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
    .env("STEPWISE_LOG", "trace")
    .env("DISPLAY", ":99")
    .env("PATH", &path)
    .size(200, 40)
    .start();
    tui.wait_text("Handed the address to the browser", WAIT);
    let address = wait_for_file(&opened);
    let url = url::Url::parse(&address).unwrap();
    assert!(
        address.starts_with(&format!("{}/oauth/authorize?", provider.url())),
        "{address}"
    );
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "dealer-workshop-cli");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["code_challenge"].len(), 43);
    assert!(
        query["redirect_uri"].starts_with("http://127.0.0.1:"),
        "{address}"
    );
    assert!(query["scope"].contains("offline_access"), "{address}");

    // The person, in the browser: the provider's page, then Approve.
    let (status, _, page) = raw_request(&address, "GET", "");
    assert_eq!(status, 200, "{page}");
    let request = page
        .split("name=request value=")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("the request id on the page");
    let (status, location, _) = raw_request(
        &format!("{}/oauth/authorize/decide", provider.url()),
        "POST",
        &format!("request={request}&decision=approve"),
    );
    assert_eq!(status, 303);
    let back = location.expect("sent back to the app");
    assert!(back.starts_with(&query["redirect_uri"]), "{back}");
    let (status, _, done) = raw_request(&back, "GET", "");
    assert_eq!(status, 200);
    assert!(done.contains("Signed in"), "{done}");

    tui.wait_text("Signed in to", WAIT);
    assert!(tui.wait_exit(WAIT).success());
    assert_no_secret("the login screen", &tui.raw_bytes());
    assert!(
        !contains(&tui.raw_bytes(), b"sim-ac-"),
        "the code never shows"
    );
    let status = run(
        home.path(),
        &["auth", "status", "--json", "--api", &provider.url()],
        None,
    );
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["client_id"], "dealer-workshop-cli");
    assert_eq!(json["refreshable"], true);
    let steps = run(
        home.path(),
        &["steps", "--api", &provider.url(), "--car", "987654"],
        None,
    );
    assert_eq!(steps.status.code(), Some(3), "{}", text(&steps.stderr));
}

/// Signs in by the device grant with the simulator's control call; the
/// login is kept in `home`.
fn device_login(provider: &Provider, home: &Path) {
    let (mut tui, code) = start_login(provider, home);
    let (status, _) = http(
        provider.addr(),
        "POST",
        &format!("/sim/device/{code}/approve"),
    );
    assert_eq!(status, 200);
    assert!(tui.wait_exit(WAIT).success());
}

/// `login --device` against a gateway that names the simulated provider
/// (its metadata) and answers every other call with `answer`, the code
/// approved at the provider: the exit code, the screen, and the gateway's
/// address.
fn approved_sign_in(answer: Vec<u8>) -> (u32, String, String) {
    let provider = Provider::start(fast());
    let idp = provider.url();
    let metadata = format!(
        r#"{{"issuer":"{idp}","device_authorization_endpoint":"{idp}/oauth/device_authorization","token_endpoint":"{idp}/oauth/token"}}"#
    );
    let gateway = crate::canned::routing(
        vec![(
            "oauth-authorization-server",
            crate::canned::reply("200 OK", "application/json", &metadata),
        )],
        answer,
    );
    let home = tempfile::tempdir().unwrap();
    let mut tui = Spawn::new(&["login", "--device", "--api", &gateway])
        .home(home.path())
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .size(200, 60)
        .start();
    let screen = tui.wait_for("the code", WAIT, |s| s.contains("Waiting for the approval"));
    let code = boxed_code(&screen);
    let (status, _) = http(
        provider.addr(),
        "POST",
        &format!("/sim/device/{code}/approve"),
    );
    assert_eq!(status, 200);
    let exit = tui.wait_exit(WAIT).exit_code();
    let screen = tui
        .screen_text()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (exit, screen, gateway)
}

/// A sign-in whose fresh token the gateway refuses (it wants another
/// audience): tried once, as `--with-token` tries its token, and said,
/// exit 1, never "Signed in" alone (stranger 45, AT8).
#[test]
fn a_sign_in_the_gateway_refuses_at_once_is_said() {
    let refusing = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"invalid_token\"\r\nContent-Type: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{\"message\":\"no\"}";
    let (exit, screen, _) = approved_sign_in(refusing.as_bytes().to_vec());
    assert_eq!(exit, 1, "{screen}");
    assert!(
        screen.contains("refused the token the identity provider just issued"),
        "{screen}"
    );
}

/// A sign-in whose token the gateway could not judge (it failed, 503):
/// the command it suggests carries the `--api` typed, never a bare
/// `stepwise steps --car ID` that would ask the embedded simulator
/// (stranger 82, CE7).
#[test]
fn a_sign_in_the_gateway_could_not_judge_names_the_typed_api() {
    let failing = crate::canned::reply(
        "503 Service Unavailable",
        "application/json",
        r#"{"message":"maintenance"}"#,
    );
    let (_, screen, gateway) = approved_sign_in(failing);
    assert!(screen.contains("Token kept for"), "{screen}");
    assert!(
        screen.contains(&format!("`stepwise steps --api {gateway} --car ID`")),
        "{screen}"
    );
    assert!(!screen.contains("`stepwise steps --car ID`"), "{screen}");
}

/// A sign-in whose fresh token the gateway takes but says lacks a scope:
/// exit 1 with the scope and the `--scope` to ask (the sign-in did not ask
/// for it), never "Signed in" alone (stranger 61, BJ1).
#[test]
fn a_sign_in_lacking_the_gateway_s_scope_is_said() {
    // A 401 with the challenge, as a 403 would be (stranger 63, BL1).
    let scoped = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"steps:write\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (exit, screen, _) = approved_sign_in(scoped.as_bytes().to_vec());
    assert_eq!(exit, 1, "{screen}");
    assert!(
        screen.contains("lacks the scope steps:write")
            && screen.contains("--scope \"openid offline_access steps:write\"")
            && screen.contains("The login is kept until then"),
        "{screen}"
    );
}

/// `login --device` where the provider offers no device sign-in: said,
/// exit 1, never a browser sign-in started instead (stranger 60, BI10).
#[test]
fn device_sign_in_the_provider_does_not_offer_is_said() {
    let metadata = r#"{"issuer":"http://127.0.0.1:9","authorization_endpoint":"http://127.0.0.1:9/authorize","token_endpoint":"http://127.0.0.1:9/token"}"#;
    let gateway = crate::canned::routing(
        vec![(
            "oauth-authorization-server",
            crate::canned::reply("200 OK", "application/json", metadata),
        )],
        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["login", "--device", "--api", &gateway], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("--device asks for device sign-in, and the identity provider")
            && err.contains("offers none"),
        "{err}"
    );
    assert!(
        !text(&out.stdout).contains("authorize?"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn two_processes_refreshing_at_once_keep_the_login() {
    // A 1 s token is due at once (a refresh is due 1 s before expiry).
    let provider = Provider::start(AuthOptions {
        token_ttl: Duration::from_secs(1),
        ..fast()
    });
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    // 6 s tokens from now on: the refreshed one stays fresh for 5 s, long
    // enough for the second run to read it on a loaded machine (with 2 s
    // tokens it could be due again before that run read it).
    provider
        .shared
        .auth()
        .unwrap()
        .set_token_ttl(Duration::from_secs(6));
    // The token is due: two runs at once, one refreshes, the other waits
    // for it and takes its token (never presenting the same refresh token:
    // the provider would end the whole login).
    let api = provider.url();
    let spawn = |car: &str| {
        let mut cmd = Command::new(BIN);
        scrub_command(&mut cmd, home.path());
        cmd.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
            .args(["steps", "--api", &api, "--car", car])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("987654"), spawn("111111"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(3), "{}", text(&a.stderr));
    assert_eq!(b.status.code(), Some(3), "{}", text(&b.stderr));
    let counts = provider.shared.auth().unwrap().counts();
    assert_eq!(counts.reuse_revocations, 0);
    assert_eq!(counts.refreshes, 1, "one refresh served both");
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert_eq!(status.status.code(), Some(0));
}

#[test]
fn a_login_the_provider_ended_makes_auth_status_exit_1() {
    let provider = Provider::start(AuthOptions {
        token_ttl: Duration::from_secs(1),
        ..fast()
    });
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    let (status, _) = http(provider.addr(), "POST", "/sim/auth/revoke");
    assert_eq!(status, 200);
    // Past the 1 s token's expiry, so that the next call must refresh:
    // the passing of time is itself the condition.
    std::thread::sleep(Duration::from_millis(1100));
    let api = provider.url();
    let steps = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654"],
        None,
    );
    assert_eq!(steps.status.code(), Some(1));
    assert!(
        text(&steps.stderr).contains("stepwise login"),
        "{}",
        text(&steps.stderr)
    );
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status.stdout));
    assert!(
        text(&status.stdout).contains("the identity provider ended the kept login"),
        "{}",
        text(&status.stdout)
    );
    assert!(
        text(&status.stdout).contains("ended by the identity provider"),
        "{}",
        text(&status.stdout)
    );
    // Its expiry is no time left to use it: the line says it is over.
    let expires = text(&status.stdout)
        .lines()
        .find(|l| l.starts_with("Expires:"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        expires.contains("no longer usable") && !expires.contains("(in "),
        "{expires}"
    );
    // Nothing presents the ended login's refresh token again.
    let again = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654"],
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(provider.refreshes(), 1);
    // logout asks no revocation of a login the provider ended, and says
    // nothing stays valid there (never "ask its administrator").
    let out = run(home.path(), &["logout", "--api", &api], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("had already ended this login") && !said.contains("administrator"),
        "{said}"
    );
    assert_eq!(provider.shared.auth().unwrap().counts().revocations, 0);
}

/// A revocation address that answers a 404 page (nothing serves it) gets
/// the same answer on every logout: the login is forgotten, as after a
/// refusal, never kept "to revoke once the provider can be reached"
/// (stranger 41, AP3).
#[test]
fn a_revocation_address_that_answers_404_forgets_the_login() {
    let page = "<html><body>Not Found</body></html>";
    let (_provider, home, api, _) =
        revoking_with(crate::canned::reply("404 Not Found", "text/html", page));
    let out = run(home.path(), &["logout", "--api", &api], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(said.contains("HTTP 404"), "{said}");
    assert!(said.contains("it is forgotten here all the same"), "{said}");
    assert!(!said.contains("once the provider can be reached"), "{said}");
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert!(
        text(&status.stdout).contains("Login:     none kept"),
        "{}",
        text(&status.stdout)
    );
}

/// A router's 404 for a path it does not serve ("no route matched") is
/// no gateway's judgement of the token: never "took it" nor "needs none"
/// (stranger 44, AS4).
#[test]
fn a_router_s_404_does_not_take_a_token() {
    let body = r#"{"message":"no route matched with those values"}"#;
    let router = crate::canned::answering(crate::canned::reply(
        "404 Not Found",
        "application/json",
        body,
    ));
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &router],
        Some("a-token-for-nothing\n"),
    );
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        !said.contains("the gateway took it") && !said.contains("it needs none here"),
        "{said}"
    );
    let out = run(home.path(), &["auth", "status", "--api", &router], None);
    let said = text(&out.stdout);
    assert!(!said.contains("none needed"), "{said}");
}

/// A revocation answered 200 is done, whatever its body (RFC 7009 §2.2):
/// a web page there is said as such, never "failed" nor "stays valid"
/// (stranger 42, AQ4).
#[test]
fn a_revocation_answered_200_with_a_page_is_revoked() {
    let page = "<html><body>ok?</body></html>";
    let (_provider, home, api, _) =
        revoking_with(crate::canned::reply("200 OK", "text/html", page));
    let out = run(home.path(), &["logout", "--api", &api], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        said.contains("answered HTTP 200, which means revoked, but with a web page"),
        "{said}"
    );
    assert!(
        !said.contains("failed") && !said.contains("stays valid"),
        "{said}"
    );
    assert!(!logins_file(home.path()).exists(), "the login is forgotten");
}

/// A --ca-file that cannot be read, beside a kept login: said as the file,
/// never as an identity provider (at the gateway's address) that cannot be
/// reached, with advice to check the network (stranger 41, AP2).
#[test]
fn an_unreadable_ca_file_beside_a_kept_login_is_said_as_the_file() {
    let gateway = Provider::serve(Shared::new(
        SimState::new(Scenario::built_in()),
        Some(stepwise::secret::Secret::new("the-right-token")),
    ));
    let home = tempfile::tempdir().unwrap();
    let api = gateway.url();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("the-right-token\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let missing = home.path().join("no-such-ca.pem");
    let out = run(
        home.path(),
        &[
            "steps",
            "--api",
            &api,
            "--car",
            "987654",
            "--ca-file",
            missing.to_str().unwrap(),
        ],
        None,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no-such-ca.pem"), "{err}");
    assert!(!err.contains("identity provider"), "{err}");
    assert!(!err.contains("Check the network"), "{err}");
}

/// A login from a sign-in whose provider gave no usable expiry and no
/// refresh token, and offers no revocation: `auth status` does not call
/// its token "given by hand", and `logout` names the token, not a refresh
/// token it never had (stranger 40, AO7, AO8).
#[test]
fn a_login_without_expiry_or_refresh_token_is_said_as_it_is() {
    let provider = Provider::start(fast());
    let api = provider.url();
    let home = tempfile::tempdir().unwrap();
    signed_in(&provider, home.path());
    let file = logins_file(home.path());
    let mut kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for login in kept["logins"].as_object_mut().unwrap().values_mut() {
        let login = login.as_object_mut().unwrap();
        for member in [
            "refresh_token",
            "expires_at",
            "lifetime",
            "revocation_endpoint",
        ] {
            login.remove(member);
        }
    }
    std::fs::write(&file, kept.to_string()).unwrap();
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&status.stdout);
    assert!(
        said.contains("not known (the identity provider gave no usable expiry)"),
        "{said}"
    );
    assert!(!said.contains("given by hand"), "{said}");
    let out = run(home.path(), &["logout", "--api", &api], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        said.contains("its token stays valid there until it expires"),
        "{said}"
    );
    assert!(!said.contains("refresh token"), "{said}");
}

/// A kept login whose token expired and whose renewal the provider's
/// side refuses (a firewall's page): `auth status` tries the renewal, says
/// it failed and exits 1, never "a new token is fetched on next use" alone
/// (stranger 63, BL2).
#[test]
fn auth_status_says_a_renewal_that_fails_now() {
    let provider = Provider::start(fast());
    let api = provider.url();
    let home = tempfile::tempdir().unwrap();
    signed_in(&provider, home.path());
    let waf = crate::canned::answering(crate::canned::reply(
        "403 Forbidden",
        "text/html",
        "<html><title>Blocked</title></html>",
    ));
    let file = logins_file(home.path());
    let mut kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for login in kept["logins"].as_object_mut().unwrap().values_mut() {
        login["expires_at"] = serde_json::json!(1_000);
        login["token_endpoint"] = serde_json::json!(format!("{waf}/token"));
    }
    std::fs::write(&file, kept.to_string()).unwrap();
    let out = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("Renewal:   tried just now, and failed: "),
        "{said}"
    );
    // Nor does any other line promise what was just refused (stranger
    // 66, BO7).
    assert!(
        said.contains("Refresh:   automatic, but the renewal just now failed"),
        "{said}"
    );
    assert!(
        !said.contains("fetched on next use") && !said.contains("before it expires"),
        "{said}"
    );
    // The login is whole: no new sign-in is sent for (stranger 68, BQ7).
    assert!(
        said.contains("In use:    the kept login, once the identity provider renews its token"),
        "{said}"
    );
    assert!(!said.contains("Run `stepwise login`"), "{said}");
    let out = run(
        home.path(),
        &["auth", "status", "--json", "--api", &api],
        None,
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(value["renewal_error"].is_string(), "{value}");
    assert_no_secret("status", &out.stdout);
    // A provider that ends the login (invalid_grant): no renewal is
    // promised at all.
    let ended = crate::canned::answering(crate::canned::reply(
        "400 Bad Request",
        "application/json",
        r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
    ));
    let mut kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for login in kept["logins"].as_object_mut().unwrap().values_mut() {
        login["expires_at"] = serde_json::json!(1_000);
        login["token_endpoint"] = serde_json::json!(format!("{ended}/token"));
    }
    std::fs::write(&file, kept.to_string()).unwrap();
    let out = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("Refresh:   none: the identity provider ended the login just now"),
        "{said}"
    );
    assert!(
        !said.contains("fetched on next use") && !said.contains("automatic"),
        "{said}"
    );
}

/// A kept login whose token expired and that `auth status` renews: the
/// lines say the renewed token, never the old expiry (stranger 68, BQ1).
#[test]
fn auth_status_says_the_token_it_renewed() {
    let provider = Provider::start(fast());
    let api = provider.url();
    let home = tempfile::tempdir().unwrap();
    signed_in(&provider, home.path());
    let file = logins_file(home.path());
    let expire = || {
        let mut kept: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for login in kept["logins"].as_object_mut().unwrap().values_mut() {
            login["expires_at"] = serde_json::json!(1_000);
        }
        std::fs::write(&file, kept.to_string()).unwrap();
    };
    expire();
    let out = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("; renewed just now)"), "{said}");
    assert!(
        !said.contains("expired at") && !said.contains("fetched on next use"),
        "{said}"
    );
    expire();
    let out = run(
        home.path(),
        &["auth", "status", "--json", "--api", &api],
        None,
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(value["expires_in"].as_u64().unwrap_or(0) > 0, "{value}");
    assert!(value["expires_at"] != "1970-01-01T00:16:40Z", "{value}");
    assert_no_secret("status", &out.stdout);
}

/// A kept login whose token the gateway now refuses (its token changed):
/// `auth status` tries it once, as a token given by hand, and says so,
/// exit 1, never "In use: the kept login" (stranger 72, BU1).
#[test]
fn auth_status_tries_the_kept_login() {
    let provider = Provider::fixed("sim-at-right");
    let api = provider.url();
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("sim-at-right\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(home.path(), &["auth", "status", "--api", &api], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let file = logins_file(home.path());
    let mut kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for login in kept["logins"].as_object_mut().unwrap().values_mut() {
        login["access_token"] = serde_json::json!("no-longer-the-token");
    }
    std::fs::write(&file, kept.to_string()).unwrap();
    let out = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "In use:    the kept login, but the gateway refused its token just now (HTTP 401)"
        ) && said.contains("sign in with `stepwise login --api")
            && said.contains("where the gateway offers sign-in")
            && said.contains("--with-token`"),
        "{said}"
    );
    let out = run(
        home.path(),
        &["auth", "status", "--json", "--api", &api],
        None,
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["token_refused"]["status"], 401, "{value}");
    assert_no_secret("status", &out.stdout);
}

/// A kept login whose tokens the gateway refuses, the renewed one too (it
/// wants another audience): `auth status` renews it once, as a command
/// does, and says what `steps` and doctor say, never "the next call renews
/// it once; … sign in again", which meets the same refusal (stranger 82,
/// CE1).
#[test]
fn auth_status_renews_a_refused_login_once_and_says_a_fresh_one_is_refused_too() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    // Its public guidance pages are served to anyone: no sign of a token
    // taken (stranger 84, CG7).
    let refusing = crate::canned::routing(
        vec![(
            "guidance/",
            crate::canned::reply("200 OK", "text/html", "<html>guide</html>"),
        )],
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"invalid_token\"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec(),
    );
    // The login kept for the provider's gateway, moved to the refusing one
    // (its renewals still go to the provider).
    let file = logins_file(home.path());
    let mut kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let logins = kept["logins"].as_object_mut().unwrap();
    let (key, login) = logins
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    let moved = key.replace(provider.url().trim_end_matches('/'), &refusing);
    assert_ne!(moved, key);
    logins.remove(&key);
    logins.insert(moved, login);
    std::fs::write(&file, kept.to_string()).unwrap();

    let out = run(home.path(), &["auth", "status", "--api", &refusing], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("refused its token just now (HTTP 401), and the one renewed at once too")
            && said.contains("give the audience with --audience"),
        "{said}"
    );
    assert!(!said.contains("the next call renews it once"), "{said}");
    assert_no_secret("status", &out.stdout);

    // The wizard says what steps says, with no `i` (stranger 84, CG7).
    let mut tui = Spawn::new(&["--api", &refusing, "--car", "987654"])
        .home(home.path())
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .size(120, 40)
        .start();
    let screen = tui.wait_for("the refusal", WAIT, |s| s.contains("✖"));
    assert!(
        screen.contains("Tokens not accepted") && !screen.contains("Press i"),
        "{screen}"
    );
    tui.send("q");
    tui.wait_exit(WAIT);
}

/// A revocation that could not be asked (the proxy is down): the login is
/// kept, the words name the proxy and say the refresh token stays valid at
/// the provider; once the proxy is out of the way, logout revokes it
/// (stranger 38, AM4: it was forgotten, and could never be revoked).
#[test]
fn a_logout_through_a_dead_proxy_keeps_the_login_to_revoke_later() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    let proxy = format!("http://127.0.0.1:{}", crate::pty::free_port());
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let out = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("HTTP_PROXY", &proxy)
        .args(["logout", "--api", &provider.url()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot connect to the proxy {proxy}")),
        "{err}"
    );
    assert!(
        err.contains("so it is kept here: its refresh token stays valid at the provider"),
        "{err}"
    );
    assert_no_secret("logout", &out.stdout);
    assert_no_secret("logout", &out.stderr);
    assert_eq!(provider.shared.auth().unwrap().counts().revocations, 0);
    let out = run(home.path(), &["logout", "--api", &provider.url()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("revoked the login"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(provider.shared.auth().unwrap().counts().revocations, 1);
}

/// A revocation limited for a while names the wait to let pass before
/// the next logout; a proxy that answers 407 itself names its fix (a
/// password in the variable), never "once the provider can be reached"
/// (stranger 41, AP7, AP8). The login is kept in both.
#[test]
fn a_logout_kept_by_a_wait_or_a_proxy_names_what_to_do() {
    let (provider, home, api, kept) = revoking_with(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let out = run(home.path(), &["logout", "--api", &api], None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("(HTTP 503), and the provider asks to wait 30s, so it is kept here: run `stepwise logout --api"),
        "{err}"
    );
    assert!(!err.contains("once the provider can be reached"), "{err}");
    std::fs::write(logins_file(home.path()), &kept).unwrap();
    let proxy = crate::canned::answering(
        b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let out = logout_through(home.path(), &proxy, &api);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("The proxy wants a user name and password: put them in the proxy variable"),
        "{err}"
    );
    assert!(
        err.contains("The login is kept here until `stepwise logout --api"),
        "{err}"
    );
    assert!(!err.contains("once the provider can be reached"), "{err}");
    assert!(logins_file(home.path()).exists(), "the login is still kept");
    assert_eq!(provider.shared.auth().unwrap().counts().revocations, 0);
    // A proxy's own 503 for a provider on this machine, which it cannot
    // reach: NO_PROXY is the way, never "once the provider can be reached"
    // (stranger 80, CC8).
    let failing = crate::canned::answering(
        b"HTTP/1.1 503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111\r\nContent-Type: text/html\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<html>"
            .to_vec(),
    );
    let out = logout_through(home.path(), &failing, &api);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Set NO_PROXY=127.0.0.1"), "{err}");
    assert!(!err.contains("once the provider can be reached"), "{err}");
    assert!(logins_file(home.path()).exists(), "the login is still kept");
}

/// `logout --api api` with every request through the proxy at `proxy`.
fn logout_through(home: &Path, proxy: &str, api: &str) -> Output {
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("HTTP_PROXY", proxy)
        .args(["logout", "--api", api])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A renewal refused for the login's client id (`invalid_client`): auth
/// status says the client id is not taken and to sign in with the one the
/// provider knows, never "ended by the identity provider … run login"
/// (the same client id would be refused again).
#[test]
fn auth_status_names_a_refused_client_id_not_an_ended_login() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    let file = logins_file(home.path());
    let mut kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let key = format!("{}/", provider.url());
    kept["logins"][&key]["over"] = "invalid_client: client authentication failed".into();
    std::fs::write(&file, serde_json::to_vec(&kept).unwrap()).unwrap();
    let api = provider.url();
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&status.stdout);
    assert_eq!(status.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "refused: the identity provider does not take the client id stepwise (invalid_client"
        ) && said.contains(&format!("`stepwise login --api {api} --client-id ID`")),
        "{said}"
    );
    assert!(!said.contains("ended by the identity provider"), "{said}");
}

#[test]
fn logout_revokes_the_login_at_the_provider_and_says_so() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(logins_file(home.path())).unwrap()).unwrap();
    let refresh = kept["logins"][format!("{}/", provider.url())]["refresh_token"]
        .as_str()
        .expect("a refresh token kept")
        .to_owned();
    let out = run(home.path(), &["logout", "--api", &provider.url()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("revoked the login"),
        "{}",
        text(&out.stdout)
    );
    assert_no_secret("logout", &out.stdout);
    assert_eq!(provider.shared.auth().unwrap().counts().revocations, 1);
    // A copy of the old refresh token no longer works at the provider.
    let (status, _, body) = raw_request(
        &format!("{}/oauth/token", provider.url()),
        "POST",
        &format!("grant_type=refresh_token&client_id=stepwise&refresh_token={refresh}"),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_grant"), "{body}");
}

#[test]
fn doctor_checks_the_kept_login_renews_it_and_says_when_it_is_over() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let before = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    assert_eq!(before.status.code(), Some(1));
    assert!(
        text(&before.stdout).contains("stepwise login"),
        "{}",
        text(&before.stdout)
    );
    device_login(&provider, home.path());
    let doctor = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    let said = text(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(0), "{said}");
    assert!(said.contains("the kept login"), "{said}");
    assert_no_secret("doctor", &doctor.stdout);
    // The gateway refuses the kept token before its time (every token
    // expired there): doctor renews it as every command does, and the
    // gateway takes the new one; never "run stepwise login".
    let (status, _) = http(provider.addr(), "POST", "/sim/auth/expire");
    assert_eq!(status, 200);
    let renewed = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    let said = text(&renewed.stdout);
    assert_eq!(renewed.status.code(), Some(0), "{said}");
    assert!(
        said.contains("refused the token kept (HTTP 401) and took the one renewed for it"),
        "{said}"
    );
    assert!(!said.contains("Run `stepwise login"), "{said}");
    assert_no_secret("doctor", &renewed.stdout);
    let (status, _) = http(provider.addr(), "POST", "/sim/auth/revoke");
    assert_eq!(status, 200);
    let (status, _) = http(provider.addr(), "POST", "/sim/auth/expire");
    assert_eq!(status, 200);
    // Renewing it now fails (the provider revoked it): said with why.
    let failed = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    let said = text(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "the gateway refused it (HTTP 401), and renewing it, as every command would, failed: "
        ) && said.contains("invalid_grant"),
        "{said}"
    );
    let steps = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654"],
        None,
    );
    assert_eq!(steps.status.code(), Some(1));
    let over = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    let said = text(&over.stdout);
    assert_eq!(over.status.code(), Some(1), "{said}");
    assert!(
        said.contains("ended by the identity provider") && said.contains("stepwise login"),
        "{said}"
    );
}

/// A kept login whose token has expired and whose renewal fails (the
/// provider unavailable for a while): doctor's Token line says so, with the
/// renewal's own words, never "none given … sign in".
#[test]
fn doctor_says_why_a_due_renewal_failed() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    device_login(&provider, home.path());
    let body = r#"{"error":"temporarily_unavailable"}"#;
    let unavailable = crate::canned::answering(
        format!(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 120\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let dir = logins_file(home.path()).parent().unwrap().to_path_buf();
    let store = stepwise::auth::TokenStore::open(stepwise::auth::Choice::File, Some(&dir)).unwrap();
    let key = stepwise::auth::gateway_key(&api).unwrap();
    let (mut credential, _) = store.load(&key).unwrap().expect("the login is kept");
    credential.expires_at = Some(1);
    credential.token_endpoint = Some(format!("{unavailable}/oauth/token"));
    store.save(&key, &credential).unwrap();
    let doctor = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    let said = text(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(1), "{said}");
    assert!(
        said.contains("its token had expired, and renewing it, as every command would, failed: ")
            && said.contains("(temporarily_unavailable) and asks to wait 120 s"),
        "{said}"
    );
    let token = said
        .lines()
        .find(|l| l.contains(" Token "))
        .unwrap_or_default();
    assert!(!token.contains("none given"), "{said}");
}

/// A kept login whose tokens the gateway refuses even renewed (its
/// audience): doctor's Token line says so with the gateway's own words,
/// as `steps` and the wizard do.
#[test]
fn doctor_says_the_gateway_s_words_when_it_takes_no_token() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    let body = r#"{"message":"no"}"#;
    let gateway = crate::canned::answering(
        format!(
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"audience mismatch\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    // The provider's login, kept for the refusing gateway.
    let dir = logins_file(home.path()).parent().unwrap().to_path_buf();
    let store = stepwise::auth::TokenStore::open(stepwise::auth::Choice::File, Some(&dir)).unwrap();
    let key = stepwise::auth::gateway_key(&provider.url()).unwrap();
    let (credential, _) = store.load(&key).unwrap().expect("the login is kept");
    let key = stepwise::auth::gateway_key(&gateway).unwrap();
    store.save(&key, &credential).unwrap();
    let doctor = run(
        home.path(),
        &["doctor", "--api", &gateway, "--car", "987654"],
        None,
    );
    let said = text(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(1), "{said}");
    let token = said
        .lines()
        .find(|l| l.contains(" Token "))
        .unwrap_or_default();
    assert!(
        token.contains("refuses even a token the identity provider just renewed")
            && token.contains("The gateway says: “audience mismatch”"),
        "{said}"
    );
    assert_no_secret("doctor", &doctor.stdout);
}

/// `auth status` with no token asks for no network: its advice covers a
/// gateway that offers no sign-in too (keep its token with --with-token),
/// not `stepwise login` alone, which such a gateway cannot take.
#[test]
fn auth_status_without_a_token_names_the_way_for_a_gateway_without_sign_in() {
    let home = tempfile::tempdir().unwrap();
    let status = run(
        home.path(),
        &["auth", "status", "--api", "http://127.0.0.1:9"],
        None,
    );
    assert_eq!(status.status.code(), Some(1));
    let shown = text(&status.stdout);
    // The Login line names both ways; the In use line, for a gateway that
    // could not be asked, none (stranger 70, BS4).
    assert!(
        shown
            .contains("`stepwise login --api http://127.0.0.1:9 --with-token` keeps a fixed token"),
        "{shown}"
    );
}

/// A token given by hand that a gateway refuses, and whose own expiry has
/// passed: the words say it expired, and when (as doctor does), in the
/// chosen language.
#[test]
fn a_refused_token_past_its_expiry_is_said_expired() {
    let provider = Provider::fixed("the-gateway-s-current-token");
    let home = tempfile::tempdir().unwrap();
    // header {"alg":"none"}, payload {"exp":1000000000} (2001), no signature
    let expired = "eyJhbGciOiJub25lIn0.eyJleHAiOjEwMDAwMDAwMDB9.";
    let file = home.path().join("token.txt");
    std::fs::write(&file, expired).unwrap();
    for (lang, said) in [("en", "The token expired"), ("de", "Das Token ist laut")] {
        let out = run(
            home.path(),
            &[
                "--lang",
                lang,
                "steps",
                "--car",
                "987654",
                "--api",
                &provider.url(),
                "--token-file",
                file.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        assert!(err.contains(said), "{err}");
        assert!(!err.contains(expired), "{err}");
    }
    // `auth status` reads that expiry too: not usable, exit 1.
    let status = run(
        home.path(),
        &[
            "auth",
            "status",
            "--api",
            &provider.url(),
            "--token-file",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(status.status.code(), Some(1), "{}", text(&status.stdout));
    let said = text(&status.stdout);
    assert!(
        said.contains("but it expired at 2001-09-09T01:46:40Z, by the expiry written in it"),
        "{said}"
    );
    assert!(!said.contains(expired), "{said}");
}

/// A token kept by hand whose own expiry has passed: `login --with-token`
/// says so when it keeps it, and `auth status` says to keep the gateway's
/// current one, never "run `stepwise login`" (no sign-in renews it).
#[test]
fn an_expired_token_kept_by_hand_is_said_so() {
    // A gateway that asks for no token takes any.
    let provider = Provider::serve(Shared::new(SimState::new(Scenario::built_in()), None));
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    // header {"alg":"none"}, payload {"exp":1000000000} (2001), no signature
    let expired = "eyJhbGciOiJub25lIn0.eyJleHAiOjEwMDAwMDAwMDB9.";
    let kept = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some(&format!("{expired}\n")),
    );
    assert_eq!(kept.status.code(), Some(0), "{}", text(&kept.stderr));
    assert!(
        text(&kept.stdout).contains("this token expired at 2001-09-09T01:46:40Z"),
        "{}",
        text(&kept.stdout)
    );
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    let said = text(&status.stdout);
    assert!(
        said.contains("the token kept by hand (login --with-token) expired"),
        "{said}"
    );
    assert!(!said.contains("Run `stepwise login`"), "{said}");
    assert!(!said.contains(expired), "{said}");
}

/// Several vehicles against a gateway that takes only a fixed token: each
/// 401 says so (on stderr and in `--json`), as one vehicle's does, never
/// "sign in with `stepwise login`", which cannot work there.
#[test]
fn several_vehicles_on_a_fixed_token_gateway_are_not_told_to_sign_in() {
    let provider = Provider::fixed("sim-at-right");
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let out = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654", "--car", "111111"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert_eq!(said.matches("It offers no sign-in").count(), 2, "{said}");
    assert!(!said.contains("Sign in with `stepwise login`"), "{said}");
    let json = run(
        home.path(),
        &[
            "steps", "--json", "--api", &api, "--car", "987654", "--car", "111111",
        ],
        None,
    );
    let lines = text(&json.stdout);
    assert_eq!(lines.matches("It offers no sign-in").count(), 2, "{lines}");
}

/// A token kept with `login --with-token` that the gateway later refuses,
/// on a gateway that offers no sign-in: the words say to keep its current
/// token, never "sign in again with `stepwise login`", which cannot work.
#[test]
fn a_refused_kept_fixed_token_is_not_answered_with_sign_in() {
    let provider = Provider::fixed("sim-at-right");
    let home = tempfile::tempdir().unwrap();
    let api = provider.url();
    let kept = run(
        home.path(),
        &["login", "--with-token", "--api", &api],
        Some("sim-at-right\n"),
    );
    assert_eq!(kept.status.code(), Some(0), "{}", text(&kept.stderr));
    // A token given by hand renews by keeping the gateway's current one.
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert!(
        text(&status.stdout).contains(
            "not possible (a token given by hand); when it stops working, keep the gateway's current token"
        ),
        "{}",
        text(&status.stdout)
    );
    // The gateway's token changes: the kept one goes stale.
    let file = logins_file(home.path());
    let stale = std::fs::read_to_string(&file)
        .unwrap()
        .replace("sim-at-right", "sim-at-stale");
    std::fs::write(&file, stale).unwrap();
    let steps = run(
        home.path(),
        &["steps", "--api", &api, "--car", "987654", "--car", "111111"],
        None,
    );
    assert_eq!(steps.status.code(), Some(1), "{}", text(&steps.stdout));
    let said = text(&steps.stderr);
    assert_eq!(
        said.matches(&format!(
            "refused the token kept by `stepwise login --api {api} --with-token`. It offers no sign-in"
        ))
        .count(),
        2,
        "{said}"
    );
    assert!(
        !said.contains("Sign in again with `stepwise login`"),
        "{said}"
    );
    // doctor says the same on its Token line.
    let doctor = run(
        home.path(),
        &["doctor", "--api", &api, "--car", "987654"],
        None,
    );
    let report = text(&doctor.stdout);
    assert!(
        report.contains(&format!(
            "It was kept with `stepwise login --api {api} --with-token`: ask whoever runs the gateway"
        )),
        "{report}"
    );
    assert!(!report.contains("→ Run `stepwise login`"), "{report}");
}

/// Signing out while the identity provider cannot be reached: the login is
/// kept (exit 1), so that a later logout can revoke it, and the words name
/// `logout --forget`; with it, the login is forgotten and the words say it
/// stays valid there, without advice to retry (stranger 38, AM4).
#[test]
fn a_logout_whose_revocation_fails_keeps_the_login_unless_told_to_forget() {
    // Failing for now (503): kept too.
    let (provider, home, api, kept) = revoking_with(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let out = run(home.path(), &["logout", "--api", &api], None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("HTTP 503") && err.contains("so it is kept here"),
        "{err}"
    );
    std::fs::write(logins_file(home.path()), kept).unwrap();
    drop(provider);
    let out = run(home.path(), &["logout", "--api", &api], None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("so it is kept here"), "{err}");
    assert!(err.contains("`stepwise logout --api"), "{err}");
    assert!(err.contains("--forget`"), "{err}");
    assert!(logins_file(home.path()).exists(), "the login is still kept");
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert!(
        text(&status.stdout).contains("Login:     kept in"),
        "{}",
        text(&status.stdout)
    );
    let out = run(home.path(), &["logout", "--api", &api, "--forget"], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(said.contains("it is forgotten here all the same"), "{said}");
    assert!(
        said.contains("stays valid at the provider until it expires"),
        "{said}"
    );
    assert!(!said.contains("retry"), "{said}");
    let status = run(home.path(), &["auth", "status", "--api", &api], None);
    assert!(
        text(&status.stdout).contains("Login:     none kept"),
        "{}",
        text(&status.stdout)
    );
}

/// A sign-in whose fresh token's trial is answered by a page refusing it
/// in front of the gateway (a 403 page): said, exit 1, never "Signed in"
/// alone, which every later call would contradict (stranger 68, BQ15).
#[test]
fn a_sign_in_whose_token_trial_a_page_refuses_is_said() {
    let provider = Provider::start(fast());
    let idp = provider.url();
    let metadata = format!(
        r#"{{"issuer":"{idp}","device_authorization_endpoint":"{idp}/oauth/device_authorization","token_endpoint":"{idp}/oauth/token"}}"#
    );
    let gateway = crate::canned::routing(
        vec![(
            "oauth-authorization-server",
            crate::canned::reply("200 OK", "application/json", &metadata),
        )],
        crate::canned::reply(
            "403 Forbidden",
            "text/html",
            "<html><title>Access denied</title></html>",
        ),
    );
    let home = tempfile::tempdir().unwrap();
    let mut tui = Spawn::new(&["login", "--device", "--api", &gateway])
        .home(home.path())
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .size(100, 60)
        .start();
    let screen = tui.wait_for("the code", WAIT, |s| s.contains("Waiting for the approval"));
    let code = boxed_code(&screen);
    let (status, _) = http(
        provider.addr(),
        "POST",
        &format!("/sim/device/{code}/approve"),
    );
    assert_eq!(status, 200);
    assert_eq!(tui.wait_exit(WAIT).exit_code(), 1);
    let screen = tui
        .screen_text()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        screen.contains("Token kept for") && screen.contains("Access denied"),
        "{screen}"
    );
}

/// `auth status` with a kept login whose gateway could not be asked
/// (nothing listens there): said not tried, with why, exit 1 and
/// `gateway_error` in --json, as for a token given by hand; never "In use:
/// the kept login" alone (stranger 78, CA1).
#[test]
fn auth_status_says_a_kept_login_it_could_not_try() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    let down = format!("http://127.0.0.1:{}", crate::pty::free_port());
    let dir = logins_file(home.path()).parent().unwrap().to_path_buf();
    let store = stepwise::auth::TokenStore::open(stepwise::auth::Choice::File, Some(&dir)).unwrap();
    let key = stepwise::auth::gateway_key(&provider.url()).unwrap();
    let (credential, _) = store.load(&key).unwrap().expect("the login is kept");
    let key = stepwise::auth::gateway_key(&down).unwrap();
    store.save(&key, &credential).unwrap();
    let out = run(home.path(), &["auth", "status", "--api", &down], None);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "In use:    the kept login, not tried: the gateway could not be asked whether it takes it: cannot reach the gateway"
        ),
        "{said}"
    );
    let out = run(
        home.path(),
        &["auth", "status", "--api", &down, "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(json["gateway_error"].is_string(), "{json}");
    assert_eq!(json["signed_in"], false, "{json}");
    // The gateway that answers: in use, exit 0.
    let out = run(
        home.path(),
        &["auth", "status", "--api", &provider.url()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

/// `login --device` whose standard output is closed by its reader (`|
/// head -1`) cannot show its code: it ends at once, exit 1, saying so on
/// stderr, never waiting the code's whole life for an approval no one can
/// give (stranger 78, CA2).
#[cfg(unix)]
#[test]
fn a_device_login_whose_output_is_closed_ends_and_says_so() {
    use std::io::BufRead;
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(crate::pty::BIN);
    crate::pty::scrub_command(&mut cmd, home.path());
    let mut child = cmd
        .args(["login", "--device", "--api", &provider.url()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("stepwise starts");
    // As `head -1`: one line read, then the pipe closed.
    let mut first = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("Sign in to"), "{first}");
    drop(out);
    let status = crate::wait::until("login to end", WAIT, || child.try_wait().unwrap());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "the sign-in code could not be shown: standard output is closed or thrown away"
        ),
        "{err}"
    );
    assert!(!logins_file(home.path()).exists());
    // Thrown away (/dev/null, where a closed descriptor is put), or a full
    // disk: said at once too, each with its cause (stranger 80, CC6).
    for (out, said) in [
        (
            std::process::Stdio::null(),
            "standard output is closed or thrown away",
        ),
        (
            std::process::Stdio::from(std::fs::File::create("/dev/full").unwrap()),
            "standard output could not be written (the disk is full)",
        ),
    ] {
        let mut cmd = std::process::Command::new(crate::pty::BIN);
        crate::pty::scrub_command(&mut cmd, home.path());
        let mut child = cmd
            .args(["login", "--device", "--api", &provider.url()])
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("stepwise starts");
        let status = crate::wait::until("login to end", WAIT, || child.try_wait().unwrap());
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(err.contains(said), "{err}");
    }
}

/// A provider that limits the polling for the approval (HTTP 429 with
/// Retry-After) is said on the terminal with the next check's time, never
/// waited out under "Waiting for the approval" without a word (stranger
/// 73, BV5).
#[test]
fn a_provider_holding_the_approval_polls_back_is_said() {
    let provider = Provider::start(fast());
    let idp = provider.url();
    let limited = crate::canned::answering(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Type: application/json\r\nContent-Length: 29\r\nConnection: close\r\n\r\n{\"error\":\"too_many_requests\"}"
            .to_vec(),
    );
    let metadata = format!(
        r#"{{"issuer":"{idp}","device_authorization_endpoint":"{idp}/oauth/device_authorization","token_endpoint":"{limited}/oauth/token"}}"#
    );
    let gateway = crate::canned::routing(
        vec![(
            "oauth-authorization-server",
            crate::canned::reply("200 OK", "application/json", &metadata),
        )],
        crate::canned::reply("404 Not Found", "text/plain", "no"),
    );
    let home = tempfile::tempdir().unwrap();
    let mut tui = Spawn::new(&["login", "--device", "--api", &gateway])
        .home(home.path())
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .size(120, 60)
        .start();
    let screen = tui.wait_for("the provider's hold", WAIT, |s| {
        s.contains("asks to wait (HTTP 429")
    });
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "The identity provider asks to wait (HTTP 429, too many requests): \
             the approval is checked again in 4 s. The code stays valid meanwhile."
        ),
        "{flat}"
    );
    tui.send("\x03");
    assert_ne!(tui.wait_exit(WAIT).exit_code(), 0);
}

/// An empty `--client-id` or `--scope` (an unset variable in a script) is
/// refused with what to do, exit 2, never replaced by the default without
/// a word (stranger 68, BQ18).
#[test]
fn an_empty_sign_in_option_is_refused() {
    let home = tempfile::tempdir().unwrap();
    for flag in ["--client-id", "--scope", "--issuer", "--audience"] {
        let out = run(
            home.path(),
            &["login", "--api", "http://127.0.0.1:9", flag, " "],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = text(&out.stderr);
        assert!(
            err.contains(flag) && err.contains("it is empty: give a value"),
            "{err}"
        );
    }
}

/// A revocation answered 200 whose body a proxy compressed is the
/// provider's success (RFC 7009 needs no body): the login is revoked and
/// removed, never "the proxy answered itself … stays valid" (stranger 84,
/// CG8).
#[test]
fn a_compressed_200_to_the_revocation_is_a_revocation() {
    let provider = Provider::start(fast());
    let home = tempfile::tempdir().unwrap();
    device_login(&provider, home.path());
    let proxy = crate::canned::answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\nConnection: close\r\n\r\n\x1f\x8b\x08\x00"
            .to_vec(),
    );
    let mut cmd = Command::new(BIN);
    scrub_command(&mut cmd, home.path());
    let out = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("HTTP_PROXY", &proxy)
        .args(["logout", "--api", &provider.url()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("The identity provider revoked the login"),
        "{said}"
    );
    assert!(!said.contains("answered itself"), "{said}");
}
