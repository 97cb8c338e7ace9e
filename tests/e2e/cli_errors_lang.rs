//! Command-line errors speak the chosen language: a broken config file, a
//! URL with a user name or password, a CA file that is not there, a gateway
//! that does not answer, and the simulator's start-up banner, each with the
//! built binary under `--lang` or the system locale. The expected words
//! come from the catalogue (the same renderers the binary uses), so a
//! sentence that fell back to English fails here.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use stepwise::config::{ConfigError, FileProblem, UrlPlace};
use stepwise::describe::{config_error, net_error};
use stepwise::net::{CaFrom, NetError, PemProblem};
use stepwise::text::{Args, Lang, message};

const PASSWORD: &str = "hunter2secret";

/// The binary in its own HOME with none of the caller's language, gateway
/// or config settings.
fn stepwise(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("stepwise").expect("the binary is built");
    cmd.env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("STEPWISE_API")
        .env_remove("STEPWISE_TOKEN")
        .env_remove("STEPWISE_CONFIG")
        .env_remove("STEPWISE_LANG")
        .env_remove("STEPWISE_DOCS_URL")
        .env_remove("SSL_CERT_FILE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        // Retries after a failure wait 10 ms, not 250 ms doubling: no test
        // here is about the back-off's length (the client's tests are).
        .env(stepwise::client::TEST_BACKOFF_MS, "10")
        .timeout(Duration::from_secs(30));
    for var in crate::pty::PROXY_ENV {
        cmd.env_remove(var);
    }
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr")
}

/// One line on stderr, exactly `expected` in the frame of an error
/// (`stepwise: error: …` in the language of `expected`).
fn assert_says(out: &Output, code: i32, expected: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    let framed = Lang::ALL
        .iter()
        .map(|lang| format!("{}\n", message_with(*lang, "cli-arg-error", expected)))
        .collect::<Vec<_>>();
    assert!(framed.contains(&err), "{err:?} is none of {framed:#?}");
}

fn message_with(lang: Lang, id: &str, value: &str) -> String {
    let mut args = stepwise::text::Args::new();
    args.set("message", value.to_owned());
    message(lang, id, Some(&args))
}

/// The parts of message `id` around a variable whose value the test cannot
/// know (an OS error, a port): the catalogue's own text on either side.
fn around(lang: Lang, id: &str, unknown: &str, known: &[(&str, &str)]) -> (String, String) {
    const MARK: &str = "\u{1}UNKNOWN\u{1}";
    let mut args = Args::new();
    for (name, value) in known {
        args.set(*name, (*value).to_owned());
    }
    args.set(unknown, MARK);
    let text = message(lang, id, Some(&args));
    let (before, after) = text
        .split_once(MARK)
        .expect("the variable is in the message");
    (before.to_owned(), after.to_owned())
}

#[test]
fn a_broken_config_file_is_reported_in_the_language_of_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    // `lang = "fr"` on a broken file cannot count: --lang decides.
    let broken = |body: &str| {
        std::fs::write(&config, format!("lang = \"fr\"\n{body}")).unwrap();
        let out = stepwise(home.path())
            .env("STEPWISE_CONFIG", &config)
            .args(["--lang", "de", "steps", "--car", "987654"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        err
    };
    let err = broken("apu = \"x\"\n");
    // The parser's own words are a detail; the sentence around them and
    // the remedy are German.
    let mut path = Args::new();
    path.set("path", config.display().to_string());
    let named_by = message(Lang::De, "err-config-named-by", Some(&path));
    let (before, after) = around(
        Lang::De,
        "err-config-invalid-at",
        "why",
        &[("file", &named_by), ("line", "2"), ("column", "1")],
    );
    assert!(
        err.starts_with(&message_with(Lang::De, "cli-arg-error", &before))
            && err.trim_end().ends_with(&after),
        "{err}"
    );
    assert!(err.contains("apu ist kein Schlüssel"), "{err}");
    assert!(err.contains("Bekannte Schlüssel"), "{err}");
    assert!(
        !err.contains("is not valid") && !err.contains("Known keys") && !err.contains("named by"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A mistake of syntax (a number where text goes): said in German, and
    // without the list of keys, which is no help there.
    let err = broken("api = 3\n");
    let (before, _) = around(
        Lang::De,
        "err-config-syntax-at",
        "why",
        &[("file", &named_by), ("line", "2"), ("column", "7")],
    );
    assert!(
        err.starts_with(&message_with(Lang::De, "cli-arg-error", &before))
            && err.contains("Text in Anführungszeichen"),
        "{err}"
    );
    assert!(!err.contains("Bekannte Schlüssel"), "{err}");
}

/// A config file broken on one line still chose its language on another:
/// the report of what is broken speaks it (French here), without a flag.
#[test]
fn a_broken_config_file_is_reported_in_the_language_it_chose() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "lang = \"fr\"\napi = \"http://127.0.0.1:1\n").unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("n'est pas valide à la ligne 2"), "{err}");
    assert!(err.contains("n'est pas fermé"), "{err}");
    assert!(!err.contains("is not valid"), "{err}");
}

#[test]
fn a_missing_config_file_is_reported_in_the_system_language() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("absent.toml");
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .env("LANG", "nl_NL.UTF-8")
        .args(["steps", "--car", "987654"])
        .output()
        .unwrap();
    let error = ConfigError::File {
        path: config.display().to_string(),
        named: true,
        problem: FileProblem::Missing,
    };
    let dutch = config_error(Lang::Nl, &error);
    assert!(dutch.contains("bestaat niet"), "{dutch}");
    assert_says(&out, 1, &dutch);
    assert!(!stderr(&out).contains(&config_error(Lang::En, &error)));
    assert!(!stderr(&out).contains("does not exist"));
}

#[test]
fn a_gateway_url_with_a_password_is_refused_in_german_without_showing_it() {
    let home = tempfile::tempdir().unwrap();
    let api = format!("http://u:{PASSWORD}@127.0.0.1:1");
    let out = stepwise(home.path())
        .args(["--lang", "de", "steps", "--car", "987654", "--api", &api])
        .output()
        .unwrap();
    let error = ConfigError::UserInfo {
        url: UrlPlace::Gateway,
    };
    assert_says(&out, 1, &config_error(Lang::De, &error));
    let err = stderr(&out);
    assert!(
        err.contains("Benutzername oder Passwort") && !err.contains("user name or password"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
}

#[test]
fn a_missing_ca_file_is_reported_in_german() {
    let home = tempfile::tempdir().unwrap();
    let ca = home.path().join("missing-ca.pem");
    let out = stepwise(home.path())
        .args(["--lang", "de", "steps", "--car", "987654"])
        .args(["--api", "https://127.0.0.1:1", "--ca-file"])
        .arg(&ca)
        .output()
        .unwrap();
    let error = NetError::CaFile {
        path: ca.display().to_string(),
        why: PemProblem::Missing,
        from: CaFrom::Flag,
    };
    let german = net_error(Lang::De, &error);
    assert!(
        german.contains("--ca-file") && german.contains("nicht"),
        "{german}"
    );
    assert_says(&out, 1, &german);
    let err = stderr(&out);
    assert!(
        !err.contains("cannot be read") && !err.contains("Give a PEM file"),
        "{err}"
    );
}

/// A CA file the technician did not give on the command line is named by
/// the setting that gave it (SSL_CERT_FILE may come from another tool's
/// setup), with that setting to correct; doctor says its later lines were
/// not run for the file, not for a gateway it never tried.
#[test]
fn a_ca_file_names_the_setting_that_gave_it() {
    let home = tempfile::tempdir().unwrap();
    let junk = home.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let missing = home.path().join("missing-ca.pem");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!("ca_file = {:?}\n", missing.display().to_string()),
    )
    .unwrap();
    let api = ["--api", "https://127.0.0.1:1"];
    let cases = [
        (
            "SSL_CERT_FILE",
            &junk,
            PemProblem::NoCertificate,
            CaFrom::SslCertFile,
        ),
        (
            "STEPWISE_CA_FILE",
            &missing,
            PemProblem::Missing,
            CaFrom::Env,
        ),
        (
            "STEPWISE_CONFIG",
            &config,
            PemProblem::Missing,
            CaFrom::Config,
        ),
    ];
    for (var, value, why, from) in cases {
        let out = stepwise(home.path())
            .env(var, value)
            .args(["--lang", "fr", "steps", "--car", "987654"])
            .args(api)
            .output()
            .unwrap();
        let path = if from == CaFrom::Config {
            &missing
        } else {
            value
        };
        let french = net_error(
            Lang::Fr,
            &NetError::CaFile {
                path: path.display().to_string(),
                why,
                from,
            },
        );
        let named = if from == CaFrom::Config {
            "ca_file"
        } else {
            var
        };
        assert!(
            french.contains(named) && !french.contains("--ca-file"),
            "{french}"
        );
        assert_says(&out, 1, &french);
    }
    // A port that takes the connection: the TLS line is where it stops.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let out = stepwise(home.path())
        .env("SSL_CERT_FILE", &junk)
        .args(["doctor", "--car", "987654", "--api"])
        .arg(format!("https://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("SSL_CERT_FILE"), "{said}");
    assert!(
        said.contains(&message(Lang::En, "doctor-skip-ca-file", None)),
        "{said}"
    );
    assert!(
        !said.contains(&message(Lang::En, "doctor-skip-unreachable", None)),
        "{said}"
    );
}

#[test]
fn an_unreachable_gateway_is_reported_in_german() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args(["--lang", "de", "steps", "--car", "987654"])
        .args(["--api", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // What the system says of the refused connection is a detail.
    let (before, after) = around(
        Lang::De,
        "gw-unreachable",
        "detail",
        &[("base", "http://127.0.0.1:1/")],
    );
    assert!(
        err.starts_with(&message_with(Lang::De, "cli-arg-error", &before))
            && err.trim_end().ends_with(&after),
        "{err}"
    );
    assert!(
        !err.contains("cannot reach the gateway") && !err.contains("Check that it runs"),
        "{err}"
    );
}

#[test]
fn a_token_file_that_is_missing_is_reported_in_french() {
    let home = tempfile::tempdir().unwrap();
    let token = home.path().join("no-token");
    let out = stepwise(home.path())
        .env("LANG", "fr_FR.UTF-8")
        .args(["steps", "--car", "987654", "--api", "http://127.0.0.1:1"])
        .arg("--token-file")
        .arg(&token)
        .output()
        .unwrap();
    let error = ConfigError::TokenFile {
        path: token.display().to_string(),
        from: stepwise::config::TokenPlace::TokenFileFlag,
        problem: stepwise::config::TokenFileProblem::Missing,
    };
    let french = config_error(Lang::Fr, &error);
    assert!(french.contains("n'existe pas"), "{french}");
    assert_says(&out, 1, &french);
    assert!(!stderr(&out).contains("does not exist"));
}

/// A simulator on a free port, its banner line read; killed on drop.
struct Simulator {
    child: std::process::Child,
    banner: String,
}

impl Simulator {
    fn start(home: &Path, lang: &str) -> Simulator {
        Simulator::start_with(home, lang, &[])
    }

    fn start_with(home: &Path, lang: &str, extra: &[&str]) -> Simulator {
        let binary = assert_cmd::cargo::cargo_bin("stepwise");
        let mut child = std::process::Command::new(binary)
            .env("HOME", home)
            .env_remove("STEPWISE_LANG")
            .env_remove("STEPWISE_CONFIG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the simulator starts");
        let mut banner = String::new();
        let read = BufReader::new(child.stdout.take().unwrap()).read_line(&mut banner);
        let sim = Simulator { child, banner };
        read.expect("the banner is read");
        sim
    }

    /// The base URL the banner names: the first `http://` word, without
    /// what follows it.
    fn url(&self) -> String {
        let at = self.banner.find("http://").expect("the banner names a URL");
        self.banner[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_says_where_it_listens_in_the_chosen_language() {
    let home = tempfile::tempdir().unwrap();
    let sim = Simulator::start(home.path(), "pt_BR.UTF-8");
    let line = &sim.banner;
    let required = message(Lang::Pt, "cli-arg-sim-token-none", None);
    let (before, after) = around(
        Lang::Pt,
        "cli-arg-sim-listening",
        "url",
        &[("required", &required)],
    );
    // The count is a number: only its plural word is checked, through the
    // text after it.
    let tail = after.rsplit_once(';').map_or(after.as_str(), |(_, t)| t);
    assert!(line.starts_with(&before), "{line}");
    assert!(line.trim_end().ends_with(tail), "{line}");
    assert!(line.contains(&required), "{line}");
    assert!(
        !line.contains("listening on") && !line.contains("no token required"),
        "{line}"
    );
}

#[test]
fn a_gateway_without_device_sign_in_is_reported_in_german() {
    let home = tempfile::tempdir().unwrap();
    // Without --auth the simulator serves no discovery document; with a
    // token of its own it wants one (one that wants none needs no sign-in).
    let token = home.path().join("gateway-token");
    std::fs::write(&token, "gateway-token-1\n").unwrap();
    let sim = Simulator::start_with(home.path(), "C", &["--token-file", token.to_str().unwrap()]);
    let url = sim.url();
    let out = stepwise(home.path())
        .env("STEPWISE_TOKEN_STORE", "file")
        .args(["--lang", "de", "login", "--api", &url])
        .output()
        .unwrap();
    let error = stepwise::auth::AuthError::Discovery(stepwise::auth::Discovery::NotOffered {
        gateway: format!("{url}/"),
        status: Some(404),
    });
    let german = stepwise::describe::auth_error(Lang::De, &error);
    assert!(german.contains("bietet keine Anmeldung"), "{german}");
    // The command it suggests carries the --api that was typed.
    let german = stepwise::text::commands_with_api(&german, &url);
    assert!(
        german.contains(&format!("`stepwise login --api {url} --with-token`")),
        "{german}"
    );
    assert_says(&out, 1, &german);
    assert!(!stderr(&out).contains("does not offer sign-in"));
}

#[test]
fn serve_refuses_an_unusable_address_in_the_chosen_language() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args([
            "--lang",
            "es",
            "serve",
            "--addr",
            "no-such-host.invalid:8080",
        ])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let (before, after) = around(
        Lang::Es,
        "cli-arg-addr-unresolved",
        "error",
        &[("addr", "no-such-host.invalid:8080")],
    );
    assert!(
        err.starts_with(&message_with(Lang::Es, "cli-arg-error", &before))
            && err.trim_end().ends_with(&after),
        "{err}"
    );
    assert!(!err.contains("cannot resolve"), "{err}");
}

#[test]
fn sign_in_storage_errors_speak_the_chosen_language() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_TOKEN_STORE", "vault")
        .args(["--lang", "de", "logout", "--api", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    let error = stepwise::auth::StoreError::BadChoice {
        value: "vault".into(),
    };
    let german = stepwise::describe::store_error(Lang::De, &error);
    assert!(
        german.contains("muss keyring, file oder auto sein"),
        "{german}"
    );
    assert_says(&out, 2, &german);
    assert!(!stderr(&out).contains("must be keyring"));
}

#[test]
fn sign_in_without_a_gateway_says_so_in_the_system_language() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .env("LANG", "it_IT.UTF-8")
        .args(["logout"])
        .output()
        .unwrap();
    let mut args = Args::new();
    args.set("command", "logout");
    let italian = message(Lang::It, "err-login-no-gateway", Some(&args));
    assert!(italian.contains("richiede un gateway"), "{italian}");
    assert_says(&out, 2, &italian);
    assert!(!stderr(&out).contains("needs a gateway"));
}

/// A 401 with no token sent: a gateway that offers sign-in is signed in to
/// with `stepwise login`; one that takes only a fixed token offers no
/// sign-in, and the words say so and keep its token with `--with-token`.
#[test]
fn a_refused_token_tells_the_technician_to_run_stepwise_login_in_every_language() {
    let home = tempfile::tempdir().unwrap();
    let fixed = Simulator::start_with(home.path(), "C", &["--token", "the-right-token"]);
    let signin = Simulator::start_with(home.path(), "C", &["--auth"]);
    let cases = [
        (
            fixed.url(),
            "gw-401-none-no-signin",
            "`stepwise login --with-token`",
        ),
        (signin.url(), "gw-401-none", "`stepwise login`"),
    ];
    for (url, id, command) in &cases {
        for lang in Lang::ALL {
            let out = stepwise(home.path())
                .args([
                    "--lang",
                    lang.code(),
                    "steps",
                    "--car",
                    "987654",
                    "--api",
                    url,
                ])
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{lang}: {err}");
            // No token was sent: the words say so, and how to give one,
            // with the --api that was typed.
            let todo = stepwise::text::commands_with_api(&message(*lang, id, None), url);
            assert!(err.contains(&todo), "{lang}: {err}");
            let command = command.replacen("login", &format!("login --api {url}"), 1);
            assert!(err.contains(&command), "{lang}: {err}");
        }
    }
}

/// A token given by hand (STEPWISE_TOKEN, --token-file) and refused by a
/// gateway that offers no sign-in: the fix is that gateway's current
/// token, never `stepwise login` (which that gateway cannot serve).
#[test]
fn a_refused_given_token_on_a_gateway_without_sign_in_asks_for_its_token() {
    let home = tempfile::tempdir().unwrap();
    let fixed = Simulator::start_with(home.path(), "C", &["--token", "the-right-token"]);
    let file = home.path().join("token.txt");
    std::fs::write(&file, "a-wrong-token").unwrap();
    let file = file.display().to_string();
    for (id, env, extra) in [
        ("gw-401-environment-no-signin", Some("a-wrong-token"), None),
        ("gw-401-token-file-no-signin", None, Some(file.as_str())),
    ] {
        for lang in [Lang::En, Lang::De] {
            let mut cmd = stepwise(home.path());
            cmd.args(["--lang", lang.code(), "steps", "--car", "987654", "--api"])
                .arg(fixed.url());
            if let Some(token) = env {
                cmd.env("STEPWISE_TOKEN", token);
            }
            if let Some(path) = extra {
                cmd.args(["--token-file", path]);
            }
            let out = cmd.output().unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{lang}: {err}");
            assert!(err.contains(&message(lang, id, None)), "{lang}: {err}");
            assert!(!err.contains("`stepwise login`"), "{lang}: {err}");
        }
    }
    // doctor, with no token: the same gateway's token comes from whoever
    // runs it, not from `stepwise login`.
    let out = stepwise(home.path())
        .args(["doctor", "--car", "987654", "--api"])
        .arg(fixed.url())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    // Its fix carries the gateway typed as --api.
    assert!(
        report.contains(&stepwise::text::commands_with_api(
            &message(Lang::En, "doctor-token-fix-fixed", None),
            &fixed.url()
        )),
        "{report}"
    );
    // The same with a kept login that cannot be read (a file where the data
    // folder must be): that is the cause named, with what fixes the store,
    // not "none given" and `login --with-token`, which would fail as well.
    let blocked = home.path().join("blocked");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("stepwise"), "a file, not a folder").unwrap();
    let out = stepwise(home.path())
        .env("XDG_DATA_HOME", &blocked)
        .args(["doctor", "--car", "987654", "--api"])
        .arg(fixed.url())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let token = report
        .lines()
        .find(|l| l.contains(" Token "))
        .unwrap_or_default();
    assert!(
        token.contains("✗") && token.contains("none sent") && token.contains("logins.json"),
        "{report}"
    );
    assert!(!report.contains("none given, and"), "{report}");
    assert!(!report.contains("--with-token"), "{report}");
}

/// A folder given as --ca-file or --client-cert is said in the chosen
/// language (the system's "is a directory" was English), by steps and by
/// doctor, whose line was English whole.
#[test]
fn a_folder_as_a_certificate_file_is_said_in_the_chosen_language() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().display().to_string();
    // A port that takes connections, so doctor gets as far as TLS.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("https://{}", listener.local_addr().unwrap());
    for flag in ["--ca-file", "--client-cert"] {
        let args = [
            "--lang",
            "de",
            "steps",
            "--car",
            "987654",
            "--api",
            "https://127.0.0.1:9",
            flag,
            &folder,
        ];
        let out = stepwise(home.path()).args(args).output().unwrap();
        let err = stderr(&out);
        assert!(
            err.contains("das ist ein Ordner, keine Datei"),
            "{flag}: {err}"
        );
        assert!(!err.contains("is a directory"), "{flag}: {err}");
        let doctor = ["--lang", "de", "doctor", "--api", &api, flag, &folder];
        let out = stepwise(home.path()).args(doctor).output().unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            report.contains("das ist ein Ordner, keine Datei"),
            "{flag}: {report}"
        );
        assert!(!report.contains("cannot be read"), "{flag}: {report}");
    }
}

/// A proxy whose name no DNS knows: the resolver's English is said in the
/// chosen language, by steps and by doctor.
#[test]
fn a_proxy_name_no_dns_knows_is_said_in_the_chosen_language() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        "--lang",
        "de",
        "steps",
        "--car",
        "987654",
        "--api",
        "https://127.0.0.1:9",
    ];
    let out = stepwise(home.path())
        .env("HTTPS_PROXY", "http://nonexist.invalid:3128")
        .args(args)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("der Name ist dem DNS dieses Rechners unbekannt"),
        "{err}"
    );
    assert!(!err.contains("failed to lookup"), "{err}");
    let doctor = ["--lang", "de", "doctor", "--api", "https://127.0.0.1:9"];
    let out = stepwise(home.path())
        .env("HTTPS_PROXY", "http://nonexist.invalid:3128")
        .args(doctor)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("der Name ist dem DNS dieses Rechners unbekannt"),
        "{report}"
    );
    assert!(!report.contains("failed to lookup"), "{report}");
    // The proxy is what failed: its line, its advice, the skipped lines.
    assert!(
        report.contains("(aus HTTPS_PROXY): sein Name ist dem DNS dieses Rechners unbekannt"),
        "{report}"
    );
    assert!(
        report.contains("Den Namen des Proxys in der Proxy-Variable"),
        "{report}"
    );
    assert!(
        report.contains("nicht ausgeführt: kein Weg durch den Proxy"),
        "{report}"
    );
    assert!(!report.contains("Hostnamen in --api"), "{report}");
}

/// English words of clap's own error frame and usage line.
const CLAP_ENGLISH: &[&str] = &[
    "error",
    "value",
    "values",
    "required",
    "supplied",
    "none",
    "Usage",
    "For",
    "more",
    "information",
    "try",
    "OPTIONS",
    "unexpected",
    "argument",
    "found",
    "tip",
    "possible",
    "similar",
    "invalid",
    "exists",
    "subcommand",
    "unrecognized",
];

/// The words of `text` (letters only), to compare whole words.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn clap_s_errors_have_no_english_word_in_german_or_portuguese() {
    let home = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["steps", "--car"],
        &["steps", "--car", "a b"],
        &["steps", "--status", "bogus"],
        &["stepz"],
        &["steps", "--statu", "todo"],
        &["serve", "--fleet"],
        // A negative number is a refused value, not an unknown option.
        &["steps", "--car", "987654", "--deadline", "-5"],
        &["serve", "--churn", "-1"],
    ];
    for lang in ["de", "pt-PT", "pt-BR"] {
        for args in cases {
            let out = stepwise(home.path())
                .args(["--lang", lang])
                .args(*args)
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{lang} {args:?}: {err}");
            for word in words(&err) {
                assert!(
                    !CLAP_ENGLISH.contains(&word),
                    "{lang} {args:?}: {word:?} in {err}"
                );
            }
            let parsed = Lang::parse(lang).unwrap();
            let frame = message_with(parsed, "cli-arg-error", "");
            assert!(err.starts_with(&frame), "{lang} {args:?}: {err}");
            assert!(
                err.trim_end()
                    .ends_with(&message(parsed, "cli-clap-try-help", None)),
                "{lang} {args:?}: {err}"
            );
        }
    }
    // The commonest one, exactly: a missing value for --car in German.
    let out = stepwise(home.path())
        .args(["--lang", "de", "steps", "--car"])
        .output()
        .unwrap();
    let mut arg = Args::new();
    arg.set("arg", "--car <ID>");
    let why = message(Lang::De, "cli-clap-missing-value", Some(&arg));
    assert_eq!(
        stderr(&out),
        format!(
            "{}\n\n{}\n",
            message_with(Lang::De, "cli-arg-error", &why),
            message(Lang::De, "cli-clap-try-help", None)
        )
    );
}

#[test]
fn help_names_options_and_values_in_the_language() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args(["--lang", "es", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("[OPCIONES]") && !help.contains("[OPTIONS]"),
        "{help}"
    );
    assert!(
        help.contains("<ARCHIVO>") && !help.contains("<FILE>"),
        "{help}"
    );
    assert!(
        help.contains("<RUTA>") && !help.contains("<PATH>"),
        "{help}"
    );
}

#[test]
fn portugal_and_brazil_each_get_their_portuguese() {
    let home = tempfile::tempdir().unwrap();
    let said = |env_lang: &str| {
        let out = stepwise(home.path())
            .env("LANG", env_lang)
            .args(["steps", "--car"])
            .output()
            .unwrap();
        stderr(&out)
    };
    let portugal = said("pt_PT.UTF-8");
    let brazil = said("pt_BR.UTF-8");
    assert_eq!(said("pt"), brazil);
    assert!(portugal.ends_with(&format!(
        "{}\n",
        message(Lang::PtPt, "cli-clap-try-help", None)
    )));
    assert!(brazil.ends_with(&format!(
        "{}\n",
        message(Lang::Pt, "cli-clap-try-help", None)
    )));
    assert_ne!(portugal, brazil);
}

/// `token_file = "~/tok"` in the config file is the file in the home
/// folder (as a shell makes it of a flag), not a path named `~`.
#[test]
fn a_config_path_from_the_home_folder_is_read_there() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("tok"), "two words\n").unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "token_file = \"~/tok\"\n").unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_CONFIG", &config)
        .args(["steps", "--car", "987654", "--api", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let path = home.path().join("tok");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(!err.contains("does not exist"), "{err}");
}

/// The embedded simulator is this program: its own English messages are
/// not shown inside a sentence in the reader's language (the words say
/// what they said), while its code stays.
#[test]
fn the_embedded_simulator_s_english_is_not_shown_in_another_language() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args(["--lang", "de", "steps", "--car", "999999"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("stepwise: Fehler: HTTP 404"), "{err}");
    assert!(!err.contains("unknown carAssociationID"), "{err}");
    // The id asked for is named instead, with its parameter, in no
    // language; an id it does not know, never a router's 404 to fix
    // with --api, which the demo backend has none of (stranger 47, AV6).
    assert!(err.contains("(carAssociationID 999999)"), "{err}");
    // --api is named only as the way to ask a gateway instead of the demo
    // (no gateway is configured; stranger 49, AX1).
    assert!(
        err.contains("das Demo-Backend kennt diese ID nicht"),
        "{err}"
    );
    assert_eq!(err.matches("--api").count(), 2, "{err}");
    assert!(
        err.contains("Um Ihr Gateway zu fragen, --api URL angeben"),
        "{err}"
    );
    let out = stepwise(home.path())
        .args(["--lang", "de", "next", "--steps-id", "55555"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("2346") && !err.contains("no step for"),
        "{err}"
    );
}

/// A password with `?`, `/` or `#` in --api ends the URL's host part early:
/// it is still a URL with a password, refused unshown, not "its port is
/// not a number" with the password printed.
#[test]
fn a_password_that_ends_the_host_early_is_refused_unshown() {
    let home = tempfile::tempdir().unwrap();
    for api in [
        "http://jdoe:Win?ter@127.0.0.1:1",
        "http://jdoe:Win/ter@127.0.0.1:1",
        "http://jdoe:Win#ter@127.0.0.1:1",
    ] {
        let out = stepwise(home.path())
            .args(["steps", "--car", "987654", "--api", api])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("user name or password"), "{err}");
        assert!(!err.contains("Win") && !err.contains("jdoe"), "{err}");
    }
}
