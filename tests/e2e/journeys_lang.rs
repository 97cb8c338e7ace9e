//! The wizard in other languages, end to end: the real binary in a
//! pseudo-terminal, its language chosen by the system locale or by --lang,
//! and `L` moving only the customer's guidance. Every wait polls the screen
//! with a bound; none is a sleep.

use crate::pty;

use std::time::Duration;

use pty::{Key, Spawn};

const SHORT: Duration = Duration::from_secs(10);

/// The list row of a step: its badge and its raw name on one line.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.contains("│") && l.contains(name) && l.contains('[') && l.contains(']'))
}

#[test]
fn a_german_system_locale_gives_a_german_wizard() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("bericht.md");
    let report_arg = report.to_str().unwrap();
    let mut tui = Spawn::new(&["demo", "--car", "987654", "--report", report_arg])
        .env("LANG", "de_DE.UTF-8")
        .start();
    // Each frame is written as a difference to the last: wait until every
    // German part is there, not just the first to arrive.
    let german = [
        "Schritte, der Reihe nach",
        "1 von 3 erledigt",
        "So macht es der Kunde: Geräteaktivierung",
        "q Ende",
    ];
    let screen = tui.wait_for("the German list, guidance and footer", SHORT, |s| {
        row(s, "deviceActivation").is_some_and(|r| r.contains("JETZT"))
            && german.iter().all(|g| s.contains(g))
    });
    assert!(!screen.contains("Steps, in order"), "{screen}");
    // The explainer, in German, takes a code as the customer reads it.
    tui.send("e");
    tui.send("nok_blocked");
    tui.wait_for("the German explanation", SHORT, |s| {
        s.contains("der PIN-Code ist gesperrt") && s.contains("Was hilft:")
    });
    tui.key(Key::Esc);
    tui.wait_for("the explainer closed", SHORT, |s| !s.contains("Was hilft:"));
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
    // The Markdown report is German too.
    let text = std::fs::read_to_string(&report).unwrap();
    for german in [
        "# stepwise-Sitzungsbericht",
        "Stand am Ende: 1 von 3 erledigt",
        "| Schritt |",
    ] {
        assert!(text.contains(german), "{german}\n{text}");
    }
}

#[test]
fn lang_pt_then_l_gives_the_customer_another_language() {
    // --lang wins over the system's French.
    let mut tui = Spawn::new(&["--lang", "pt", "demo", "--car", "987654"])
        .env("LANG", "fr_FR.UTF-8")
        .start();
    let screen = tui.wait_for("the Portuguese list and guidance", SHORT, |s| {
        row(s, "deviceActivation").is_some_and(|r| r.contains("AGORA"))
            && s.contains("O que o cliente faz: Ativação do dispositivo")
            && s.contains("q sair")
    });
    assert!(!screen.contains("Ce que fait le client"), "{screen}");
    // pt (Brazil's) → pt-PT: the customer in Portugal reads European
    // Portuguese ("aplicação", not "aplicativo").
    tui.send("L");
    tui.wait_for(
        "the customer's guidance in European Portuguese",
        SHORT,
        |s| s.contains("cliente: pt-PT") && s.contains("aplicação") && !s.contains("aplicativo"),
    );
    // pt-PT → en: the guidance turns English, the rest stays Portuguese, and
    // the header says which language the customer reads.
    tui.send("L");
    let screen = tui.wait_for("the customer's guidance in English", SHORT, |s| {
        s.contains("How the customer does it: Device activation") && s.contains("cliente: en")
    });
    assert!(screen.contains("cliente: en"), "{screen}");
    assert!(
        screen.contains("Passos, em ordem"),
        "the list stays Portuguese\n{screen}"
    );
    assert!(
        row(&screen, "deviceActivation").is_some_and(|r| r.contains("AGORA")),
        "{screen}"
    );
    // en → fr.
    tui.send("L");
    tui.wait_for("the customer's guidance in French", SHORT, |s| {
        s.contains("Ce que fait le client\u{a0}: Activation de l'appareil")
            && s.contains("cliente: fr")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}
