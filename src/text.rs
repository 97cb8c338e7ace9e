//! The message catalogue: every word a person reads comes from the Fluent
//! files in `assets/i18n/`, compiled into the binary. Machine output (JSON,
//! logs, the wire) never goes through it.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language of the catalogue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    #[default]
    En,
}

impl Lang {
    /// Every language the catalogue holds, English (the reference) first.
    pub const ALL: &'static [Lang] = &[Lang::En];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
        }
    }

    /// Reads a code such as `de`, `pt_BR`, `fr-CH` or `de_DE.UTF-8`; `None`
    /// for a language the catalogue does not hold.
    pub fn parse(raw: &str) -> Option<Lang> {
        let primary = raw
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Lang::ALL.iter().copied().find(|l| l.code() == primary)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../assets/i18n/en.ftl"),
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The arguments of a message; numbers select Fluent's plural forms.
pub type Args<'a> = FluentArgs<'a>;

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: OnceLock<Vec<FluentBundle<FluentResource>>> = OnceLock::new();
    let bundles = BUNDLES.get_or_init(|| Lang::ALL.iter().map(|l| build(*l)).collect());
    let index = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    &bundles[index]
}

fn build(lang: Lang) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier =
        lang.code().parse().expect("ISO codes are language ids");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // A terminal shows the isolation marks as stray characters.
    bundle.set_use_isolating(false);
    // The files are checked by the tests, so a broken one cannot ship; what
    // still parses is used.
    let resource = FluentResource::try_new(lang.source().to_owned()).unwrap_or_else(|(r, _)| r);
    let _ = bundle.add_resource(resource);
    bundle
}

/// The message `id` in `lang`, with `args`. A message missing from the
/// catalogue shows as its id (a test keeps every id the code uses present).
pub fn message(lang: Lang, id: &str, args: Option<&Args>) -> String {
    let bundle = bundle(lang);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        return id.to_owned();
    };
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, args, &mut errors)
        .into_owned()
}

/// True when the catalogue of `lang` has `id`.
pub fn has(lang: Lang, id: &str) -> bool {
    bundle(lang).has_message(id)
}

/// A message whose value is one item per line (guidance lists).
pub fn lines(lang: Lang, id: &str) -> Vec<String> {
    if !has(lang, id) {
        return Vec::new();
    }
    message(lang, id, None)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A number argument, for plural selection.
pub fn num(n: usize) -> FluentValue<'static> {
    FluentValue::from(u64::try_from(n).unwrap_or(u64::MAX))
}

/// `tr!(lang, "id")` or `tr!(lang, "id", name = value, ...)`: a message of
/// the catalogue. Values are anything a `FluentValue` is made from; counts go
/// through [`num`] so plural forms apply.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $id:literal) => {
        $crate::text::message($lang, $id, None)
    };
    ($lang:expr, $id:literal, $($key:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::text::Args::new();
        $( args.set(stringify!($key), $value); )+
        $crate::text::message($lang, $id, Some(&args))
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_without_errors() {
        for lang in Lang::ALL {
            if let Err((_, errors)) = FluentResource::try_new(lang.source().to_owned()) {
                panic!("assets/i18n/{lang}.ftl: {errors:?}");
            }
        }
    }

    /// Every message id the code names exists in the catalogue (the sources
    /// are scanned for `tr!(…, "id"` and the catalogue's own id helpers).
    #[test]
    fn every_id_the_code_uses_exists() {
        let mut missing = Vec::new();
        for (path, source) in crate::text::sources::ALL {
            for id in ids_used(source) {
                if !has(Lang::En, &id) {
                    missing.push(format!("{path}: {id}"));
                }
            }
        }
        assert!(missing.is_empty(), "missing in en.ftl: {missing:#?}");
    }

    fn ids_used(source: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find("tr!(") {
            let word_before = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + 4..];
            if word_before {
                continue; // `include_str!(` and the like
            }
            // The id is the first string literal after the language.
            let Some(open) = rest.find('"') else { break };
            let Some(close) = rest[open + 1..].find('"') else {
                break;
            };
            let id = &rest[open + 1..open + 1 + close];
            if !id.is_empty() && !id.contains('{') {
                ids.push(id.to_owned());
            }
            rest = &rest[open + 1 + close..];
        }
        ids
    }

    #[test]
    fn languages_are_read_from_locale_strings() {
        assert_eq!(Lang::parse("en_GB.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("xx"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn plurals_follow_the_language() {
        assert_eq!(
            crate::tr!(Lang::En, "progress-done", done = num(1), total = num(3)),
            "1 of 3 done"
        );
    }

    #[test]
    fn a_missing_id_shows_as_itself() {
        assert_eq!(
            message(Lang::En, "no-such-message", None),
            "no-such-message"
        );
    }
}

/// The sources scanned by the test that keeps the catalogue whole.
#[cfg(test)]
mod sources {
    macro_rules! files {
        ($($path:literal),+ $(,)?) => {
            pub const ALL: &[(&str, &str)] = &[$(($path, include_str!(concat!("../", $path)))),+];
        };
    }
    files!(
        "src/wizard/update.rs",
        "src/wizard/keymap.rs",
        "src/ui/mod.rs",
        "src/ui/steps.rs",
        "src/ui/start.rs",
        "src/ui/overlays.rs",
        "src/report.rs",
        "src/guidance.rs",
        "src/commands.rs",
        "src/describe.rs",
        "src/pages.rs",
    );
}
