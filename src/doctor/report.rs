//! What `doctor` found, kept as data until it is shown: a mark and a
//! finding per check, in a fixed order, rendered in a language (text) or in
//! English (JSON).

use fluent_bundle::FluentValue;
use serde::Serialize;

use crate::text::{Lang, num};
use crate::tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Ok,
    Warning,
    Failed,
    Skipped,
}

impl Mark {
    pub(super) const ALL: [Mark; 4] = [Mark::Ok, Mark::Warning, Mark::Failed, Mark::Skipped];

    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Ok => "✓",
            Mark::Warning => "!",
            Mark::Failed => "✗",
            Mark::Skipped => "-",
        }
    }

    /// The word beside the symbol, so no line depends on colour alone.
    pub fn word(self, lang: Lang) -> String {
        match self {
            Mark::Ok => tr!(lang, "doctor-mark-ok"),
            Mark::Warning => tr!(lang, "doctor-mark-warning"),
            Mark::Failed => tr!(lang, "doctor-mark-failed"),
            Mark::Skipped => tr!(lang, "doctor-mark-skipped"),
        }
    }
}

/// A piece of a finding: text as it came (an address, a path, an error as
/// the system or a file wrote it), a number, or words of the catalogue.
/// Findings are kept as data; the words are made when the report is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Num(i64),
    Words(Box<Words>),
    /// Words another module makes (an error's own), in every language of
    /// [`Lang::ALL`], in that order.
    Each(Vec<String>),
}

impl Arg {
    /// The words `words` makes, in every language.
    pub fn each(words: impl Fn(Lang) -> String) -> Arg {
        Arg::Each(Lang::ALL.iter().map(|lang| words(*lang)).collect())
    }

    pub fn render(&self, lang: Lang) -> String {
        match self {
            Arg::Text(text) => text.clone(),
            Arg::Num(n) => n.to_string(),
            Arg::Words(words) => words.render(lang),
            Arg::Each(all) => {
                let at = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
                all.get(at).cloned().unwrap_or_default()
            }
        }
    }

    fn value(&self, lang: Lang) -> FluentValue<'static> {
        match self {
            Arg::Text(text) => FluentValue::from(text.clone()),
            Arg::Num(n) => FluentValue::from(*n),
            Arg::Words(words) => FluentValue::from(words.render(lang)),
            Arg::Each(_) => FluentValue::from(self.render(lang)),
        }
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_owned())
    }
}

impl From<Words> for Arg {
    fn from(words: Words) -> Self {
        Arg::Words(Box::new(words))
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<u128> for Arg {
    fn from(n: u128) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A message of the catalogue with its arguments, not yet in any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub id: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Words {
    pub fn render(&self, lang: Lang) -> String {
        let mut args = crate::text::Args::new();
        for (name, value) in &self.args {
            args.set(*name, value.value(lang));
        }
        crate::text::message(lang, self.id, Some(&args))
    }
}

/// The checks, in the order they are shown, with the catalogue id of each
/// one's name.
pub(super) const ORDER: [(&str, &str); 17] = [
    ("config", "doctor-check-config"),
    ("device_id", "doctor-check-device-id"),
    ("gateway", "doctor-check-gateway"),
    ("dns", "doctor-check-dns"),
    ("proxy", "doctor-check-proxy"),
    ("tcp", "doctor-check-tcp"),
    ("tls", "doctor-check-tls"),
    ("client_cert", "doctor-check-client-cert"),
    ("token", "doctor-check-token"),
    ("clock", "doctor-check-clock"),
    ("first_list", "doctor-check-first-list"),
    ("refresh", "doctor-check-refresh"),
    ("next_step", "doctor-check-next-step"),
    ("status_filter", "doctor-check-status-filter"),
    ("error_body", "doctor-check-error-body"),
    ("events", "doctor-check-events"),
    ("guidance", "doctor-check-guidance"),
];

/// The report's target when the settings could not be resolved.
pub(super) const UNUSABLE_TARGET: &str = "(settings unusable)";
/// The report's target when the embedded simulator could not be started.
pub(super) const EMBEDDED_TARGET: &str = "(embedded simulator)";

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub status: Mark,
    pub detail: Arg,
    pub remedy: Option<Arg>,
}

impl Check {
    /// The check's name in `lang`.
    pub fn title(&self, lang: Lang) -> String {
        ORDER
            .iter()
            .find(|(known, _)| *known == self.id)
            .map_or_else(
                || self.id.to_owned(),
                |(_, title)| crate::text::message(lang, title, None),
            )
    }
}

/// `--json` is language-neutral: its words are always the English ones,
/// whatever language the terminal speaks.
impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.out(&|words| words).serialize(serializer)
    }
}

/// A check as `--json` gives it.
#[derive(Serialize)]
struct CheckOut<'a> {
    id: &'a str,
    title: String,
    status: Mark,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    remedy: Option<String>,
}

impl Check {
    /// The check in English, its words through `edit`.
    fn out(&self, edit: &dyn Fn(String) -> String) -> CheckOut<'_> {
        CheckOut {
            id: self.id,
            title: self.title(Lang::En),
            status: self.status,
            detail: edit(self.detail.render(Lang::En)),
            remedy: self.remedy.as_ref().map(|r| edit(r.render(Lang::En))),
        }
    }
}

/// Everything `doctor` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub target: String,
    pub checks: Vec<Check>,
}

impl Report {
    pub(super) fn set(&mut self, id: &'static str, status: Mark, detail: impl Into<Arg>) {
        self.set_with(id, status, detail, None::<Arg>);
    }

    pub(super) fn set_with(
        &mut self,
        id: &'static str,
        status: Mark,
        detail: impl Into<Arg>,
        remedy: Option<impl Into<Arg>>,
    ) {
        self.checks.retain(|c| c.id != id);
        self.checks.push(Check {
            id,
            status,
            detail: detail.into(),
            remedy: remedy.map(Into::into),
        });
    }

    pub(super) fn has(&self, id: &str) -> bool {
        self.checks.iter().any(|c| c.id == id)
    }

    /// The mark a check has so far, if it has one.
    pub(super) fn get_status(&self, id: &str) -> Option<Mark> {
        self.checks.iter().find(|c| c.id == id).map(|c| c.status)
    }

    pub(super) fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Marks every check not yet done as skipped, and puts them in order.
    pub(super) fn finish(mut self, reason: &Words) -> Self {
        for (id, _) in ORDER {
            if !self.has(id) {
                self.set(id, Mark::Skipped, reason.clone());
            }
        }
        self.checks.sort_by_key(|c| {
            ORDER
                .iter()
                .position(|(id, _)| *id == c.id)
                .unwrap_or(ORDER.len())
        });
        self
    }

    pub fn count(&self, mark: Mark) -> usize {
        self.checks.iter().filter(|c| c.status == mark).count()
    }

    pub fn failed(&self) -> bool {
        self.count(Mark::Failed) > 0
    }

    /// The report for a terminal, in `lang`: one line per check, what to do
    /// below it. The columns widen to the language's longest mark word and
    /// check name (English: 8 and 19).
    pub fn text(&self, lang: Lang) -> String {
        use std::fmt::Write;
        let mark_width = Mark::ALL
            .iter()
            .map(|m| m.word(lang).chars().count())
            .max()
            .unwrap_or(0)
            .max(8);
        let title_width = ORDER
            .iter()
            .map(|(_, title)| crate::text::message(lang, title, None).chars().count() + 1)
            .max()
            .unwrap_or(0)
            .max(19);
        let target = if self.target == UNUSABLE_TARGET {
            tr!(lang, "doctor-target-unusable")
        } else if self.target == EMBEDDED_TARGET {
            tr!(lang, "doctor-target-embedded")
        } else {
            self.target.clone()
        };
        let mut out = format!("stepwise doctor: {target}\n");
        // Advice said under one check is not said again under the next.
        let mut said = std::collections::HashSet::new();
        for check in &self.checks {
            let _ = writeln!(
                out,
                "{} {:<mark_width$} {:<title_width$} {}",
                check.status.symbol(),
                check.status.word(lang),
                check.title(lang),
                check.detail.render(lang)
            );
            if let Some(remedy) = check.remedy.as_ref().map(|r| r.render(lang))
                && said.insert(remedy.clone())
            {
                let _ = writeln!(
                    out,
                    "{:<indent$} → {}",
                    "",
                    remedy,
                    indent = 3 + mark_width + title_width
                );
            }
        }
        let _ = writeln!(
            out,
            "{}",
            tr!(
                lang,
                "doctor-summary",
                failed = num(self.count(Mark::Failed)),
                warnings = num(self.count(Mark::Warning)),
                ok = num(self.count(Mark::Ok)),
                skipped = num(self.count(Mark::Skipped))
            )
        );
        out
    }

    pub fn json(&self) -> String {
        self.json_edited(&|words| words)
    }

    /// [`Report::json`] with every check's words through `edit` (the
    /// commands they suggest given the `--api` typed, as the text has them).
    pub fn json_edited(&self, edit: &dyn Fn(String) -> String) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            target: &'a str,
            ok: bool,
            failed: usize,
            warnings: usize,
            checks: Vec<CheckOut<'a>>,
        }
        let out = Out {
            target: &self.target,
            ok: !self.failed(),
            failed: self.count(Mark::Failed),
            warnings: self.count(Mark::Warning),
            checks: self.checks.iter().map(|c| c.out(edit)).collect(),
        };
        serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_lists_every_check_in_order_with_words() {
        let report = Report::default().finish(&words!("doctor-skip"));
        let ids: Vec<&str> = report.checks.iter().map(|c| c.id).collect();
        let expected: Vec<&str> = ORDER.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, expected);
        let text = report.text(Lang::En);
        assert!(text.contains("- skipped"), "{text}");
        assert!(!report.failed());
    }

    /// The mark and name columns stay as narrow as English's (30) give or
    /// take a few characters in every language, so lines stay readable.
    #[test]
    fn the_columns_fit_every_language() {
        for lang in Lang::ALL {
            let report = Report::default().finish(&words!("doctor-skip"));
            let text = report.text(*lang);
            let line = text.lines().nth(1).unwrap();
            let skip = tr!(*lang, "doctor-skip");
            let column = line.chars().count() - skip.chars().count();
            assert!(column <= 36, "{lang}: detail at column {column}: {line:?}");
            // The word beside the symbol, in the language, on every line.
            assert!(
                line.starts_with(&format!("- {}", Mark::Skipped.word(*lang))),
                "{line}"
            );
        }
        let english = Report::default()
            .finish(&words!("doctor-skip"))
            .text(Lang::En);
        assert!(
            english
                .lines()
                .nth(1)
                .unwrap()
                .starts_with(&format!("- skipped  {:<19} not run", "Config file")),
            "{english}"
        );
    }
}
