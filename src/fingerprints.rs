//! Which English text each translation translates. Beside every catalogue
//! `assets/i18n/<code>.ftl` but English lies `<code>.fingerprints`: one line
//! `id = fingerprint` per message, the fingerprint of the English text the
//! translation was made from (or confirmed against). When a message of
//! `en.ftl` changes, its fingerprint no longer matches in any language, and
//! the catalogue test names the stale ids per language until a translator
//! updates each translation and confirms it (`cargo run --example i18n`,
//! described in docs/TRANSLATIONS.md).

use std::collections::BTreeMap;

/// The messages of a Fluent file: id → its text (the value and any
/// attributes, each line trimmed, so re-indenting changes nothing).
/// Comments and blank lines between messages belong to none.
pub fn entries(source: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    let mut finish = |current: &mut Option<(String, Vec<String>)>| {
        if let Some((id, mut lines)) = current.take() {
            while lines.last().is_some_and(String::is_empty) {
                lines.pop();
            }
            out.insert(id, lines.join("\n"));
        }
    };
    for line in source.lines() {
        let continues = line.starts_with([' ', '\t', '}']) || line.trim().is_empty();
        if continues {
            if let Some((_, lines)) = current.as_mut() {
                lines.push(line.trim().to_owned());
            }
            continue;
        }
        finish(&mut current);
        if let Some((id, rest)) = line.split_once('=') {
            let id = id.trim();
            let is_id = !id.is_empty()
                && id.starts_with(|c: char| c.is_ascii_alphabetic())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if is_id {
                current = Some((id.to_owned(), vec![rest.trim().to_owned()]));
            }
        }
    }
    finish(&mut current);
    out
}

/// The fingerprint of a message's text: 64-bit FNV-1a, in hex. Not a
/// security measure, only a short stable name for "this exact text".
pub fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Reads a fingerprints file: `id = fingerprint` lines; `#` comments and
/// blank lines are skipped.
pub fn read(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(id, print)| (id.trim().to_owned(), print.trim().to_owned()))
        .collect()
}

/// Writes a fingerprints file for the catalogue `code`, sorted by id.
pub fn write(code: &str, prints: &BTreeMap<String, String>) -> String {
    let mut out = format!(
        "# The English text each message of {code}.ftl translates: id = fingerprint of its\n\
         # text in en.ftl when it was translated or last confirmed. Kept by\n\
         # `cargo run --example i18n` (docs/TRANSLATIONS.md); do not edit by hand.\n"
    );
    for (id, print) in prints {
        out.push_str(id);
        out.push_str(" = ");
        out.push_str(print);
        out.push('\n');
    }
    out
}

/// How one language's fingerprints compare with today's English.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Drift {
    /// English changed since the translation was made or confirmed.
    pub stale: Vec<String>,
    /// No fingerprint yet (a new message): `record` adds it.
    pub unrecorded: Vec<String>,
    /// A fingerprint for an id English no longer has: `record` drops it.
    pub orphaned: Vec<String>,
}

impl Drift {
    /// True when every English message is fingerprinted and none is stale.
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.unrecorded.is_empty()
    }
}

/// Compares `prints` (one language's file) with the English catalogue.
pub fn drift(english: &BTreeMap<String, String>, prints: &BTreeMap<String, String>) -> Drift {
    let mut out = Drift::default();
    for (id, text) in english {
        match prints.get(id) {
            None => out.unrecorded.push(id.clone()),
            Some(print) if *print != fingerprint(text) => out.stale.push(id.clone()),
            Some(_) => {}
        }
    }
    out.orphaned = prints
        .keys()
        .filter(|id| !english.contains_key(*id))
        .cloned()
        .collect();
    out
}

/// `prints` with a fingerprint for every English id that has none, and
/// none for ids English no longer has; existing fingerprints (stale or
/// not) are kept.
pub fn record_new(
    english: &BTreeMap<String, String>,
    prints: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    english
        .iter()
        .map(|(id, text)| {
            let print = prints.get(id).cloned().unwrap_or_else(|| fingerprint(text));
            (id.clone(), print)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;

    const EN: &str = "# comment\none = One\n\ntwo = { $n ->\n    [one] a step\n   *[other] { $n } steps\n}\nthree =\n    First line\n    Second line\n";

    #[test]
    fn entries_are_read_with_their_continuation_lines() {
        let e = entries(EN);
        assert_eq!(e.len(), 3);
        assert_eq!(e["one"], "One");
        assert_eq!(e["two"], "{ $n ->\n[one] a step\n*[other] { $n } steps\n}");
        assert_eq!(e["three"], "\nFirst line\nSecond line");
        // Indentation is not part of the text.
        let reindented = EN.replace("    First", "  First");
        assert_eq!(entries(&reindented)["three"], e["three"]);
    }

    #[test]
    fn a_changed_english_text_makes_its_id_stale_and_only_it() {
        let en = entries(EN);
        let prints = record_new(&en, &BTreeMap::new());
        assert!(drift(&en, &prints).is_clean());
        let changed = entries(&EN.replace("Second line", "Second line, reworded"));
        let d = drift(&changed, &prints);
        assert_eq!(d.stale, ["three"]);
        assert!(d.unrecorded.is_empty());
        // Recording new ids leaves a stale one stale: only confirming clears it.
        assert_eq!(
            drift(&changed, &record_new(&changed, &prints)).stale,
            ["three"]
        );
    }

    #[test]
    fn new_ids_are_unrecorded_until_recorded_and_gone_ids_are_dropped() {
        let en = entries(EN);
        let mut prints = record_new(&en, &BTreeMap::new());
        prints.remove("one");
        prints.insert("gone".into(), "0".into());
        let d = drift(&en, &prints);
        assert_eq!(d.unrecorded, ["one"]);
        assert_eq!(d.orphaned, ["gone"]);
        let recorded = record_new(&en, &prints);
        assert!(drift(&en, &recorded).is_clean());
        assert!(!recorded.contains_key("gone"));
        assert_eq!(read(&write("fr", &recorded)), recorded);
    }

    /// The files of this repository: every translation is fingerprinted
    /// against today's English. When this fails after an English message
    /// changed, update the translations it names and confirm them.
    #[test]
    fn every_translation_translates_todays_english() {
        use std::fmt::Write as _;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/i18n");
        let english = entries(&std::fs::read_to_string(format!("{dir}/en.ftl")).unwrap());
        let mut report = String::new();
        for lang in &Lang::ALL[1..] {
            let code = lang.code();
            let file = format!("{dir}/{code}.fingerprints");
            let prints = read(&std::fs::read_to_string(&file).unwrap_or_default());
            let d = drift(&english, &prints);
            if !d.stale.is_empty() {
                let _ = writeln!(
                    report,
                    "{code}: English changed since translated: {}",
                    d.stale.join(", ")
                );
            }
            if !d.unrecorded.is_empty() {
                let _ = writeln!(
                    report,
                    "{code}: no fingerprint yet: {}",
                    d.unrecorded.join(", ")
                );
            }
        }
        assert!(
            report.is_empty(),
            "{report}\nSee what changed: cargo run --example i18n -- status\n\
             After updating a translation: cargo run --example i18n -- confirm LANG ID\n\
             New ids (translated in the same commit as the English): cargo run --example i18n -- record"
        );
    }
}
