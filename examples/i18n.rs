//! Keeps the translations in step with English (docs/TRANSLATIONS.md).
//!
//!     cargo run --example i18n -- status [LANG]      what changed in English, per language
//!     cargo run --example i18n -- record             fingerprint ids that have none yet
//!     cargo run --example i18n -- confirm LANG ID…   LANG's ID now translates today's English
//!                                                    (LANG may be `all`)

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// A line on stdout; a reader that went away (`| head`) ends nothing.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

use stepwise::fingerprints::{Drift, drift, entries, fingerprint, read, record_new, write};
use stepwise::text::Lang;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/i18n")
}

fn load(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn translations() -> impl Iterator<Item = Lang> {
    Lang::ALL.iter().copied().filter(|l| *l != Lang::En)
}

fn prints_of(lang: Lang) -> BTreeMap<String, String> {
    read(&load(&dir().join(format!("{}.fingerprints", lang.code()))))
}

fn save(lang: Lang, prints: &BTreeMap<String, String>) -> std::io::Result<()> {
    let path = dir().join(format!("{}.fingerprints", lang.code()));
    std::fs::write(path, write(lang.code(), prints))
}

/// The English text whose fingerprint is `print`, from the history of
/// en.ftl (newest first), with the commit that last had it.
fn english_before(id: &str, print: &str) -> Option<(String, String)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let log = Command::new("git")
        .args([
            "-C",
            root,
            "log",
            "--format=%h",
            "-n",
            "400",
            "--",
            "assets/i18n/en.ftl",
        ])
        .output()
        .ok()?;
    for commit in String::from_utf8_lossy(&log.stdout).lines() {
        let show = Command::new("git")
            .args(["-C", root, "show", &format!("{commit}:assets/i18n/en.ftl")])
            .output()
            .ok()?;
        let old = entries(&String::from_utf8_lossy(&show.stdout));
        if let Some(text) = old.get(id).filter(|t| fingerprint(t) == print) {
            return Some((commit.to_owned(), text.clone()));
        }
    }
    None
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn status(only: Option<Lang>) -> ExitCode {
    let english = entries(&load(&dir().join("en.ftl")));
    let mut clean = true;
    for lang in translations().filter(|l| only.is_none_or(|o| o == *l)) {
        let prints = prints_of(lang);
        let Drift {
            stale,
            unrecorded,
            orphaned,
        } = drift(&english, &prints);
        let own = entries(&load(&dir().join(format!("{}.ftl", lang.code()))));
        say!(
            "{}: {} stale, {} without fingerprint, {} no longer in English",
            lang.code(),
            stale.len(),
            unrecorded.len(),
            orphaned.len()
        );
        for id in &stale {
            clean = false;
            say!("  {id}");
            match english_before(id, &prints[id]) {
                Some((commit, old)) => say!("    English then ({commit}):\n{}", indent(&old)),
                None => say!("    English then: not found in en.ftl's history"),
            }
            say!("    English now:\n{}", indent(&english[id]));
            say!(
                "    {} now:\n{}",
                lang.code(),
                indent(own.get(id).map_or("(missing)", String::as_str))
            );
            say!(
                "    once updated: cargo run --example i18n -- confirm {} {id}",
                lang.code()
            );
        }
        if !unrecorded.is_empty() {
            clean = false;
            say!(
                "  without fingerprint (run `record`): {}",
                unrecorded.join(", ")
            );
        }
    }
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn record() -> ExitCode {
    let english = entries(&load(&dir().join("en.ftl")));
    for lang in translations() {
        let before = prints_of(lang);
        let after = record_new(&english, &before);
        let added = after.keys().filter(|id| !before.contains_key(*id)).count();
        let dropped = before.keys().filter(|id| !after.contains_key(*id)).count();
        if let Err(e) = save(lang, &after) {
            eprintln!("{}: cannot write its fingerprints: {e}", lang.code());
            return ExitCode::from(2);
        }
        say!("{}: {added} recorded, {dropped} dropped", lang.code());
    }
    ExitCode::SUCCESS
}

fn confirm(which: &str, ids: &[String]) -> ExitCode {
    let english = entries(&load(&dir().join("en.ftl")));
    let langs: Vec<Lang> = if which == "all" {
        translations().collect()
    } else {
        match Lang::parse(which).filter(|l| *l != Lang::En) {
            Some(l) => vec![l],
            None => {
                eprintln!(
                    "unknown language {which:?}: give one of {} or all",
                    Lang::codes()
                );
                return ExitCode::from(2);
            }
        }
    };
    if ids.is_empty() {
        eprintln!("name the ids to confirm: confirm LANG ID…");
        return ExitCode::from(2);
    }
    for id in ids {
        if !english.contains_key(id) {
            eprintln!("{id} is not in en.ftl");
            return ExitCode::from(2);
        }
    }
    for lang in langs {
        let mut prints = prints_of(lang);
        for id in ids {
            prints.insert(id.clone(), fingerprint(&english[id]));
        }
        if let Err(e) = save(lang, &prints) {
            eprintln!("{}: cannot write its fingerprints: {e}", lang.code());
            return ExitCode::from(2);
        }
        say!("{}: confirmed {}", lang.code(), ids.join(", "));
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("status") => match args.get(1) {
            None => status(None),
            Some(code) => match Lang::parse(code) {
                Some(l) => status(Some(l)),
                None => {
                    eprintln!("unknown language {code:?}");
                    ExitCode::from(2)
                }
            },
        },
        Some("record") => record(),
        Some("confirm") if args.len() >= 2 => confirm(&args[1], &args[2..]),
        _ => {
            eprintln!(
                "usage: cargo run --example i18n -- status [LANG] | record | confirm LANG|all ID…"
            );
            ExitCode::from(2)
        }
    }
}
