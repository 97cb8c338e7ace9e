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

const SEVEN: &str = "en, fr, de, it, es, nl, pt";

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
            "1 sur 3 faites ; suivante : Activation de l'appareil",
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
            "Número de teléfono de confianza",
        ),
        (
            "nl",
            "1 van 3 klaar; volgende: Activering van het toestel",
            "Vertrouwd telefoonnummer",
        ),
        (
            "pt",
            "1 de 3 feitos; próximo: Ativação do dispositivo",
            "Número de telefone confiável",
        ),
    ] {
        let out = steps(home.path(), &[], &["--lang", code]);
        assert_eq!(out.status.code(), Some(3), "{code}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains(summary) && text.contains(title),
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
