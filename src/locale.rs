//! Which language stepwise speaks: `--lang`, else `STEPWISE_LANG`, else
//! `lang` in the config file, else the system locale, else English.

use crate::text::Lang;

/// The environment variable that chooses the language.
pub const ENV_LANG: &str = "STEPWISE_LANG";

/// Where a language can come from, highest precedence first. Each is the
/// raw text as found; empty counts as unset.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sources<'a> {
    /// `--lang`.
    pub flag: Option<&'a str>,
    /// `STEPWISE_LANG`.
    pub env: Option<&'a str>,
    /// `lang` in the config file.
    pub config: Option<&'a str>,
    /// The system locale, already chosen (see [`system_locale`]).
    pub system: Option<&'a str>,
}

/// A language asked for by name that the catalogue does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown language {given:?} in {place}; stepwise speaks {}",
    Lang::codes()
)]
pub struct UnknownLang {
    pub given: String,
    pub place: &'static str,
}

fn set(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

fn named(raw: Option<&str>, place: &'static str) -> Result<Option<Lang>, UnknownLang> {
    match set(raw) {
        None => Ok(None),
        Some(text) => Lang::parse(text).map(Some).ok_or_else(|| UnknownLang {
            given: crate::steps::sanitize(text),
            place,
        }),
    }
}

/// The language to speak. A language named on purpose (flag, variable,
/// config) must be one of the seven; the system locale only suggests one,
/// so an unsupported system locale (sv_SE, C, POSIX) means English.
pub fn resolve(sources: Sources) -> Result<Lang, UnknownLang> {
    if let Some(lang) = named(sources.flag, "--lang")? {
        return Ok(lang);
    }
    if let Some(lang) = named(sources.env, ENV_LANG)? {
        return Ok(lang);
    }
    if let Some(lang) = named(sources.config, "the config file's lang")? {
        return Ok(lang);
    }
    Ok(set(sources.system)
        .and_then(Lang::parse)
        .unwrap_or_default())
}

/// The locale that governs messages, as POSIX orders it: the first
/// non-empty of `LC_ALL`, `LC_MESSAGES`, `LANG` (given as a lookup so tests
/// need not touch the process environment).
pub fn posix_messages_locale(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(var)
        .find(|v| !v.trim().is_empty())
}

/// The system locale: the POSIX variables on Unix; elsewhere the same
/// variables when set (a Unix-like shell), else the operating system's
/// own setting.
pub fn system_locale() -> Option<String> {
    let from_env = posix_messages_locale(|name| std::env::var(name).ok());
    #[cfg(not(unix))]
    {
        from_env.or_else(sys_locale::get_locale)
    }
    #[cfg(unix)]
    {
        from_env
    }
}

/// The language from the command line's flag, the environment, the config
/// file's value and the system.
pub fn from_environment(flag: Option<&str>, config: Option<&str>) -> Result<Lang, UnknownLang> {
    let env = std::env::var(ENV_LANG).ok();
    let system = system_locale();
    resolve(Sources {
        flag,
        env: env.as_deref(),
        config,
        system: system.as_deref(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all<'a>(
        flag: Option<&'a str>,
        env: Option<&'a str>,
        config: Option<&'a str>,
        system: Option<&'a str>,
    ) -> Result<Lang, UnknownLang> {
        resolve(Sources {
            flag,
            env,
            config,
            system,
        })
    }

    #[test]
    fn each_source_wins_over_the_ones_below_it() {
        let s = Some;
        assert_eq!(all(s("it"), s("de"), s("fr"), s("pt_BR")), Ok(Lang::It));
        assert_eq!(all(None, s("de"), s("fr"), s("pt_BR")), Ok(Lang::De));
        assert_eq!(all(None, None, s("fr"), s("pt_BR")), Ok(Lang::Fr));
        assert_eq!(all(None, None, None, s("pt_BR")), Ok(Lang::Pt));
        assert_eq!(all(None, None, None, None), Ok(Lang::En));
        // Empty is unset.
        assert_eq!(all(s(""), s(" "), s(""), s("nl_NL.UTF-8")), Ok(Lang::Nl));
    }

    #[test]
    fn a_language_named_on_purpose_must_exist() {
        let err = all(Some("xx"), Some("de"), None, None).unwrap_err();
        assert_eq!(err.place, "--lang");
        assert_eq!(
            err.to_string(),
            "unknown language \"xx\" in --lang; stepwise speaks en, fr, de, it, es, nl, pt-BR, pt-PT"
        );
        assert_eq!(
            all(None, Some("klingon"), None, None).unwrap_err().place,
            ENV_LANG
        );
        assert!(all(None, None, Some("sv"), Some("de")).is_err());
    }

    #[test]
    fn an_unsupported_system_locale_means_english() {
        for system in ["C", "POSIX", "C.UTF-8", "sv_SE.UTF-8", "ja"] {
            assert_eq!(
                all(None, None, None, Some(system)),
                Ok(Lang::En),
                "{system}"
            );
        }
        assert_eq!(all(None, None, None, Some("de_DE.UTF-8")), Ok(Lang::De));
        assert_eq!(all(None, None, None, Some("fr")), Ok(Lang::Fr));
    }

    #[test]
    fn lc_all_then_lc_messages_then_lang() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let pick = |pairs| posix_messages_locale(env(pairs));
        assert_eq!(
            pick(&[
                ("LANG", "de_DE.UTF-8"),
                ("LC_MESSAGES", "fr_FR"),
                ("LC_ALL", "pt_BR")
            ]),
            Some("pt_BR".into())
        );
        assert_eq!(
            pick(&[
                ("LANG", "de_DE.UTF-8"),
                ("LC_MESSAGES", "fr_FR"),
                ("LC_ALL", "")
            ]),
            Some("fr_FR".into())
        );
        assert_eq!(pick(&[("LANG", "de_DE.UTF-8")]), Some("de_DE.UTF-8".into()));
        assert_eq!(pick(&[]), None);
        // LC_ALL=C overrides LANG: English, not the LANG below it.
        let system = pick(&[("LC_ALL", "C"), ("LANG", "de_DE.UTF-8")]);
        assert_eq!(all(None, None, None, system.as_deref()), Ok(Lang::En));
    }

    #[test]
    fn control_characters_in_a_bad_name_are_not_echoed() {
        let err = all(Some("x\u{1b}[2Jx"), None, None, None).unwrap_err();
        assert!(!err.to_string().contains('\u{1b}'));
    }
}
