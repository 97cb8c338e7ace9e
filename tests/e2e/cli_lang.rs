//! Choosing the language on the command line: `--lang`, `STEPWISE_LANG`,
//! the config file's `lang` and the system locale, with the built binary.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

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
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        // Retries after a failure wait 10 ms, not 250 ms doubling: no test
        // here is about the back-off's length (the client's tests are).
        .env(stepwise::client::TEST_BACKOFF_MS, "10")
        .timeout(Duration::from_secs(30));
    cmd
}

fn home() -> TempDir {
    tempfile::tempdir().expect("temp HOME")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout")
}

const SEVEN: &str = "en, fr, de, it, es, nl, pt-BR, pt-PT";

#[test]
fn an_unknown_lang_flag_is_a_usage_error_naming_the_seven() {
    let home = home();
    // The wizard and a script command alike; the wizard says it before it
    // looks for a terminal.
    for args in [
        &["--lang", "xx"][..],
        &["steps", "--car", "987654", "--lang", "xx"],
    ] {
        let out = stepwise(home.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("\"xx\"") && err.contains(SEVEN), "{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn an_unknown_stepwise_lang_is_a_usage_error_too() {
    let home = home();
    let out = stepwise(home.path())
        .args(["steps", "--car", "987654"])
        .env("STEPWISE_LANG", "klingon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("STEPWISE_LANG"), "{}", stderr(&out));
    assert!(stderr(&out).contains(SEVEN));
}

#[test]
fn an_unknown_config_lang_is_reported_with_the_seven() {
    let home = home();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "lang = \"sv\"\n").unwrap();
    let out = stepwise(home.path())
        .args(["steps", "--car", "987654"])
        .env("STEPWISE_CONFIG", &config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("config file") && err.contains(SEVEN), "{err}");
}

#[test]
fn the_flag_wins_over_a_bad_environment() {
    // A valid --lang is used even when STEPWISE_LANG is nonsense: the flag
    // is the technician's last word.
    let home = home();
    let out = stepwise(home.path())
        .args(["steps", "--car", "987654", "--lang", "de", "--json"])
        .env("STEPWISE_LANG", "klingon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

fn steps(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = stepwise(home);
    cmd.args(["steps", "--car", "987654"]).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn a_german_locale_gives_german_steps_and_exit_3() {
    let home = home();
    let out = steps(home.path(), &[("LANG", "de_DE.UTF-8")], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    for german in [
        "1 von 3 erledigt; als Nächstes: Geräteaktivierung",
        "Vertrauenswürdige Telefonnummer",
        "JETZT",
    ] {
        assert!(text.contains(german), "{german}\n{text}");
    }
    assert!(!text.contains(" done"), "{text}");
}

#[test]
fn plain_steps_in_each_language_and_json_the_same_in_all() {
    let home = home();
    let mut jsons = Vec::new();
    for (code, summary, title) in [
        (
            "en",
            "1 of 3 done; next: Device activation",
            "Trusted phone number",
        ),
        (
            "fr",
            "1 sur 3 faites\u{a0}; suivante\u{a0}: Activation de l'appareil",
            "Numéro de téléphone de confiance",
        ),
        (
            "de",
            "1 von 3 erledigt; als Nächstes: Geräteaktivierung",
            "Vertrauenswürdige Telefonnummer",
        ),
        (
            "it",
            "1 di 3 fatti; prossimo: Attivazione del dispositivo",
            "Numero di telefono attendibile",
        ),
        (
            "es",
            "1 de 3 hechos; siguiente: Activación del dispositivo",
            "Teléfono de confianza",
        ),
        (
            "nl",
            "1 van 3 afgerond; volgende: Apparaatactivering",
            "Vertrouwd telefoonnummer",
        ),
        (
            "pt",
            "1 de 3 feitos; próximo: Ativação do dispositivo",
            "Telefone confiável",
        ),
        (
            "pt-PT",
            "1 de 3 feitos; próximo: Ativação do dispositivo",
            "Telefone de confiança",
        ),
    ] {
        let out = steps(home.path(), &[], &["--lang", code]);
        assert_eq!(out.status.code(), Some(3), "{code}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains(summary) && text.contains(title),
            "{code}:\n{text}"
        );
        // The badges are the language's words; the wire's stay in --json.
        let lang = Lang::parse(code).unwrap();
        let done = format!("[{}]", message(lang, "badge-done", None));
        assert!(text.contains(&done), "{code}: {done}\n{text}");
        assert!(
            lang == Lang::En || (!text.contains("[DONE]") && !text.contains("[TODO]")),
            "{code}:\n{text}"
        );
        let json = steps(home.path(), &[("STEPWISE_LANG", code)], &["--json"]);
        assert_eq!(json.status.code(), Some(3));
        jsons.push((code, json.stdout));
    }
    let (_, english) = &jsons[0];
    assert!(!english.is_empty());
    for (code, json) in &jsons[1..] {
        assert_eq!(json, english, "--json under {code} differs from English");
    }
}

#[test]
fn gateway_errors_speak_the_language_too() {
    let home = home();
    let out = steps(
        home.path(),
        &[],
        &["--lang", "de", "--api", "http://127.0.0.1:1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("nicht erreichbar"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

// ---------------------------------------------------------------- --help and argument errors

use stepwise::text::{Lang, message};

/// Every sentence the English `--help` shows of `cmd` and its commands:
/// each about, long about, after-help and option help.
fn english_sentences(cmd: &clap::Command, out: &mut Vec<String>) {
    let texts = [cmd.get_about(), cmd.get_long_about(), cmd.get_after_help()];
    out.extend(texts.into_iter().flatten().map(ToString::to_string));
    out.extend(
        cmd.get_arguments()
            .filter_map(|a| a.get_help())
            .map(ToString::to_string),
    );
    for sub in cmd.get_subcommands() {
        english_sentences(sub, out);
    }
}

#[test]
fn help_in_german_has_the_german_words_and_no_english_sentence() {
    let home = home();
    let out = stepwise(home.path())
        .args(["--lang", "de", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let help = stdout(&out);
    for id in [
        "help-cli-stepwise-after",
        "help-cli-stepwise-api",
        "help-cli-steps",
        "help-cli-demo",
    ] {
        assert!(help.contains(&message(Lang::De, id, None)), "{id}:\n{help}");
    }
    // The long about's first paragraph (--help shows the long one).
    let long = message(Lang::De, "help-cli-stepwise-long", None);
    assert!(help.starts_with(long.lines().next().unwrap()), "{help}");
    for heading in [
        "Aufruf: stepwise",
        "Befehle:",
        "Optionen:",
        "Hilfe anzeigen",
    ] {
        assert!(help.contains(heading), "{heading}:\n{help}");
    }
    let mut english = Vec::new();
    english_sentences(&stepwise::cli::command(Lang::En), &mut english);
    assert!(english.len() > 40, "{english:?}");
    for sentence in &english {
        for line in sentence.lines().filter(|l| l.len() > 12) {
            assert!(!help.contains(line), "English left: {line:?}\n{help}");
        }
    }
    for word in [
        "Usage:",
        "Commands:",
        "Options:",
        "Print help",
        "Print version",
    ] {
        assert!(!help.contains(word), "{word}:\n{help}");
    }
}

#[test]
fn a_french_locale_gives_french_help_for_a_command() {
    let home = home();
    for args in [
        &["steps", "--help"][..],
        &["help", "steps"],
        &["steps", "-h"],
    ] {
        let out = stepwise(home.path())
            .args(args)
            .env("LANG", "fr_FR.UTF-8")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let help = stdout(&out);
        for id in [
            "help-cli-steps",
            "help-cli-steps-status",
            "help-cli-steps-reset",
        ] {
            assert!(help.contains(&message(Lang::Fr, id, None)), "{id}:\n{help}");
            assert!(
                !help.contains(&message(Lang::En, id, None)),
                "{id}:\n{help}"
            );
        }
        assert!(help.contains("Utilisation\u{a0}: stepwise steps"), "{help}");
        assert!(
            help.contains(
                "[valeurs possibles\u{a0}: all, todo, alreadyDone] [par défaut\u{a0}: all]"
            ),
            "{help}"
        );
    }
}

#[test]
fn english_help_is_the_catalogue_s() {
    let home = home();
    let out = stepwise(home.path())
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for id in [
        "help-cli-serve",
        "help-cli-serve-addr",
        "help-cli-serve-tls",
    ] {
        assert!(help.contains(&message(Lang::En, id, None)), "{id}:\n{help}");
    }
    assert!(help.contains("Usage: stepwise serve"), "{help}");
    assert!(help.contains("[default: 127.0.0.1:8080]"), "{help}");
}

/// `--lang`'s help names every language it takes, both Portuguese ones
/// included (the only way to learn that pt-PT exists).
#[test]
fn lang_s_help_names_every_language() {
    let home = home();
    let out = stepwise(home.path()).args(["--help"]).output().unwrap();
    let help = stdout(&out);
    for lang in Lang::ALL {
        let code = lang.code();
        assert!(
            help.split(|c: char| c.is_whitespace() || c == ',' || c == '(')
                .any(|word| word == code),
            "{code} not in:\n{help}"
        );
    }
}

#[test]
fn an_unknown_lang_stops_help_too() {
    let home = home();
    for args in [
        &["--lang", "xx", "--help"][..],
        &["steps", "--help", "--lang=xx"],
    ] {
        let out = stepwise(home.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("\"xx\"") && err.contains(SEVEN), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    }
    // Said in the language the rest of the environment chooses.
    let out = stepwise(home.path())
        .args(["--lang", "xx", "--help"])
        .env("LANG", "de_DE.UTF-8")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("stepwise: Fehler: unbekannte Sprache \"xx\""),
        "{err}"
    );
    assert!(err.contains(SEVEN), "{err}");
}

#[test]
fn a_broken_config_file_does_not_stop_help() {
    let home = home();
    let config = home.path().join("config.toml");
    for broken in ["lang = \"sv\"\n", "this is [not toml\n"] {
        std::fs::write(&config, broken).unwrap();
        let out = stepwise(home.path())
            .args(["--help"])
            .env("STEPWISE_CONFIG", &config)
            .env("LANG", "nl_NL.UTF-8")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{broken}: {}", stderr(&out));
        let help = stdout(&out);
        assert!(
            help.contains(&message(Lang::Nl, "help-cli-steps", None)),
            "{broken}:\n{help}"
        );
    }
}

#[test]
fn a_misused_option_is_refused_in_the_language() {
    let home = home();
    let out = stepwise(home.path())
        .args(["demo", "--api", "http://127.0.0.1:1", "--lang", "de"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let why = message(Lang::De, "cli-arg-why-demo-api", None);
    let refusal = stepwise::tr!(
        Lang::De,
        "cli-arg-not-used",
        command = "demo",
        option = "--api",
        why = why
    );
    assert_eq!(
        err.trim_end(),
        stepwise::tr!(Lang::De, "cli-arg-error", message = refusal)
    );
    assert!(
        !err.contains("does not use") && !err.contains("error:"),
        "{err}"
    );
    // From the environment's language too, and for a value clap refuses.
    let out = stepwise(home.path())
        .args(["next", "--steps-id", "a b"])
        .env("LC_ALL", "pt_PT.UTF-8")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let expected = stepwise::tr!(
        Lang::Pt,
        "cli-arg-id",
        max = stepwise::text::num(stepwise::steps::MAX_ID_CHARS)
    );
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
}

#[test]
fn fleet_without_vehicles_says_so_in_the_language() {
    let home = home();
    let out = stepwise(home.path())
        .args(["fleet", "--lang", "it"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&message(Lang::It, "cli-arg-fleet-needs-cars", None)),
        "{err}"
    );
    let out = stepwise(home.path())
        .args(["steps", "--cars", "/nonexistent/ids.txt", "--lang", "es"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no se puede leer --cars /nonexistent/ids.txt"),
        "{}",
        stderr(&out)
    );
    // Bad lines in the file are named in the language too.
    let ids = home.path().join("ids.txt");
    std::fs::write(&ids, "F0001\nnot an id\n").unwrap();
    let out = stepwise(home.path())
        .args(["steps", "--cars"])
        .arg(&ids)
        .args(["--lang", "es"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let bad = stepwise::cars::parse("F0001\nnot an id\n").unwrap_err();
    let err = stderr(&out);
    assert!(err.contains(&bad.words(Lang::Es)), "{err}");
    assert!(err.contains("línea 2"), "{err}");
    assert!(!err.contains("Fix or remove"), "{err}");
}

#[test]
fn the_manual_page_speaks_the_language_and_completions_stay_english() {
    let home = home();
    // The page follows the language as --help does: the system's German
    // here, English when asked for (as packagers do).
    let out = stepwise(home.path())
        .args(["man"])
        .env("LANG", "de_DE.UTF-8")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.contains(&message(Lang::De, "help-cli-demo", None)),
        "{page}"
    );
    assert!(!page.contains(&message(Lang::En, "help-cli-demo", None)));
    let out = stepwise(home.path())
        .args(["--lang", "en", "man"])
        .env("LANG", "de_DE.UTF-8")
        .output()
        .unwrap();
    let page = stdout(&out);
    assert!(
        page.contains(&message(Lang::En, "help-cli-demo", None)),
        "{page}"
    );
    let out = stepwise(home.path())
        .args(["--lang", "de", "completions", "bash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("--steps-id"));
}

#[test]
fn the_simulator_s_banner_speaks_the_language() {
    use std::io::BufRead;
    /// Killed when dropped, so that a failed assertion leaves no server.
    struct Serve(std::process::Child);
    impl Drop for Serve {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let home = home();
    let bin = assert_cmd::cargo::cargo_bin("stepwise");
    let mut serve = Serve(
        std::process::Command::new(bin)
            .args(["serve", "--addr", "127.0.0.1:0", "--lang", "de"])
            .env("HOME", home.path())
            .env_remove("STEPWISE_LANG")
            .env_remove("STEPWISE_CONFIG")
            .env_remove("STEPWISE_API")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve starts"),
    );
    let mut line = String::new();
    std::io::BufReader::new(serve.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("stepwise-Simulator lauscht auf http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.contains(&message(Lang::De, "cli-arg-sim-token-none", None)),
        "{line}"
    );
    assert!(!line.contains("listening"), "{line}");
}

#[test]
fn steps_over_several_vehicles_speaks_the_language_too() {
    let home = home();
    let out = stepwise(home.path())
        .args(["--lang", "de", "steps", "--car", "987654", "--car", "NOPE1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let next = message(Lang::De, "mark-next", None);
    assert!(text.contains(&format!("<- {next}")), "{text}");
    assert!(!text.contains("<- NEXT"), "{text}");
    let err = stderr(&out);
    assert!(err.starts_with("stepwise: NOPE1: "), "{err}");
    assert!(!err.contains("the gateway does not know"), "{err}");
}
