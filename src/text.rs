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
    Fr,
    De,
    It,
    Es,
    Nl,
    /// Portuguese as written in Brazil (`pt`, `pt_BR`, `pt-BR`).
    Pt,
    /// European Portuguese (`pt_PT`, `pt-PT`).
    PtPt,
}

impl Lang {
    /// Every language the catalogue holds, English (the reference) first.
    pub const ALL: &'static [Lang] = &[
        Lang::En,
        Lang::Fr,
        Lang::De,
        Lang::It,
        Lang::Es,
        Lang::Nl,
        Lang::Pt,
        Lang::PtPt,
    ];

    /// The language's tag: the ISO 639-1 code, with the region where the
    /// catalogue holds more than one (BCP 47 `pt-BR`, `pt-PT`). It names
    /// the catalogue file (`assets/i18n/<code>.ftl`) too.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::It => "it",
            Lang::Es => "es",
            Lang::Nl => "nl",
            Lang::Pt => "pt-BR",
            Lang::PtPt => "pt-PT",
        }
    }

    /// Reads a code such as `de`, `pt_BR`, `fr-CH` or `de_DE.UTF-8`; `None`
    /// for a language the catalogue does not hold. Portuguese follows CLDR:
    /// `pt` and `pt_BR` (and any region but Portugal's) are Brazilian,
    /// `pt_PT` and `pt-PT` European.
    pub fn parse(raw: &str) -> Option<Lang> {
        let mut parts = raw.split(['_', '-', '.', '@']);
        let primary = parts.next().unwrap_or_default().to_ascii_lowercase();
        if primary == "pt" {
            let region = parts.next().unwrap_or_default();
            return Some(if region.eq_ignore_ascii_case("pt") {
                Lang::PtPt
            } else {
                Lang::Pt
            });
        }
        Lang::ALL.iter().copied().find(|l| l.code() == primary)
    }

    /// The next language of [`Lang::ALL`], wrapping round (the `L` key).
    pub fn next(self) -> Lang {
        let at = Lang::ALL.iter().position(|l| *l == self).unwrap_or(0);
        Lang::ALL[(at + 1) % Lang::ALL.len()]
    }

    /// The codes of every language, for messages: `en, fr, de, …`.
    pub fn codes() -> String {
        Lang::ALL
            .iter()
            .map(|l| l.code())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../assets/i18n/en.ftl"),
            Lang::Fr => include_str!("../assets/i18n/fr.ftl"),
            Lang::De => include_str!("../assets/i18n/de.ftl"),
            Lang::It => include_str!("../assets/i18n/it.ftl"),
            Lang::Es => include_str!("../assets/i18n/es.ftl"),
            Lang::Nl => include_str!("../assets/i18n/nl.ftl"),
            Lang::Pt => include_str!("../assets/i18n/pt-BR.ftl"),
            Lang::PtPt => include_str!("../assets/i18n/pt-PT.ftl"),
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

/// The bundle of `lang`, parsed on first use: a run pays only for the
/// languages it speaks.
fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: [OnceLock<FluentBundle<FluentResource>>; Lang::ALL.len()] =
        [const { OnceLock::new() }; Lang::ALL.len()];
    let index = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    BUNDLES[index].get_or_init(|| build(lang))
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
    let text = bundle.format_pattern(pattern, args, &mut errors);
    match NO_PROXY_HELD.get() {
        // Every mention names the variable that is read ("set no_proxy for
        // this host" too), and `=HOST` keeps the hosts listed there.
        Some((list, name)) if text.contains("NO_PROXY") => {
            let text = if text.contains("NO_PROXY=") {
                with_no_proxy_list(&text, list)
            } else {
                text.into_owned()
            };
            text.replace("NO_PROXY", name)
        }
        _ => text.into_owned(),
    }
}

/// The `NO_PROXY` this process was started with, when it names any host,
/// and the variable's name as read (`no_proxy` wins over `NO_PROXY`):
/// advice to set `NO_PROXY=HOST` keeps them (see [`hold_no_proxy`]).
static NO_PROXY_HELD: std::sync::OnceLock<(String, &'static str)> = std::sync::OnceLock::new();

/// Keeps the `NO_PROXY` (or `no_proxy`, named by `name`) the process was
/// started with: every message that says to set `NO_PROXY=HOST` then says
/// `NAME=LIST,HOST`, the variable that is read, so that following it
/// keeps the hosts already there and is not hidden by the other case.
pub fn hold_no_proxy(list: Option<&str>, name: &'static str) {
    // One word for the shell: its entries joined by commas (Windows' `;`
    // and spaces, which stepwise reads too, would split a command line).
    let entries: Vec<&str> = list
        .unwrap_or_default()
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if !entries.is_empty() {
        let _ = NO_PROXY_HELD.set((entries.join(","), name));
    }
}

/// `text` with `list,` put before the host of every `NO_PROXY=HOST` in it.
/// A value a shell would read otherwise (Windows' `<local>`, a `*`) is
/// given in double quotes around the whole assignment, which a POSIX
/// shell's `export` and cmd.exe's `set` both read as one.
pub fn with_no_proxy_list(text: &str, list: &str) -> String {
    let mut out = String::with_capacity(text.len() + list.len() + 3);
    let mut rest = text;
    while let Some(at) = rest.find("NO_PROXY=") {
        let (before, after) = rest.split_at(at + "NO_PROXY=".len());
        // Already given in quotes (a message within a message): as it is,
        // never quoted twice (stranger 82, CE4).
        if before[..at].ends_with('"') {
            out.push_str(before);
            rest = after;
            continue;
        }
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | ')' | '`' | '\''))
            .unwrap_or(after.len());
        let host = &after[..end];
        let listed = list.split(',').any(|e| e.eq_ignore_ascii_case(host));
        let value = if !host.is_empty() && !listed {
            format!("{list},{host}")
        } else {
            host.to_owned()
        };
        let shell_reads = value.contains(['<', '>', '*', '|', '&', '?', '"']);
        if shell_reads {
            out.push_str(&before[..at]);
            out.push_str("\"NO_PROXY=");
            out.push_str(&value);
            out.push('"');
        } else {
            out.push_str(before);
            out.push_str(&value);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
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

/// The first five of `items`, with how many more there are: "A1, B2,
/// C3, D4, E5 (+7)".
pub fn few<S: AsRef<str>>(items: &[S]) -> String {
    let named: Vec<&str> = items.iter().take(5).map(AsRef::as_ref).collect();
    match items.len().saturating_sub(5) {
        0 => named.join(", "),
        more => format!("{} (+{more})", named.join(", ")),
    }
}

/// `text` in lines of at most `width` characters, broken between words (a
/// word longer than a line is broken inside).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    // A no-break space (before French `: ; ? !`) holds its word to the next:
    // a line never starts with the colon.
    let breaks = |c: char| c.is_whitespace() && c != '\u{a0}';
    for word in text.split(breaks).filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        let used = line.chars().count();
        if used > 0 && used + 1 + word.len() <= width {
            line.push(' ');
        } else if used > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        line.extend(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The colon that joins a prefix to what follows ("HTTP 404: …", "stepwise:
/// 987654: …") as `lang` writes it: French puts a no-break space before
/// it, as its catalogue does.
pub fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "\u{a0}: ",
        _ => ": ",
    }
}

/// The semicolon between the parts of one line, as [`colon`] is written.
pub fn semicolon(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "\u{a0}; ",
        _ => "; ",
    }
}

/// A number argument, for plural selection.
pub fn num(n: usize) -> FluentValue<'static> {
    FluentValue::from(u64::try_from(n).unwrap_or(u64::MAX))
}

/// Seconds with one decimal as this language writes them: "45.0" in
/// English, "45,0" in the others, which write a decimal comma (stranger
/// 90, CM4).
pub fn tenths(lang: Lang, time: std::time::Duration) -> String {
    let text = format!("{:.1}", time.as_secs_f64());
    if lang == Lang::En {
        text
    } else {
        text.replace('.', ",")
    }
}

/// A duration of whole seconds as this language writes one ("59m 57s",
/// "59 min 57 s", "1 Tg. 2 h"): its largest unit of days, hours, minutes
/// and seconds and the next one when not zero, each from the catalogue
/// (`duration-*`); "0s" for none.
pub fn duration(lang: Lang, secs: u64) -> String {
    let parts = [
        ("duration-days", secs / 86_400),
        ("duration-hours", secs / 3_600 % 24),
        ("duration-minutes", secs / 60 % 60),
        ("duration-seconds", secs % 60),
    ];
    // The largest unit and the one after it: "9218d 3h", not the seconds
    // of a wait of years.
    let first = parts
        .iter()
        .position(|(_, n)| *n > 0)
        .unwrap_or(parts.len());
    let words: Vec<String> = parts
        .iter()
        .skip(first)
        .take(2)
        .filter(|(_, n)| *n > 0)
        .map(|(id, n)| {
            let mut args = Args::new();
            args.set("n", FluentValue::from(*n));
            message(lang, id, Some(&args))
        })
        .collect();
    if words.is_empty() {
        let mut args = Args::new();
        args.set("n", FluentValue::from(0u64));
        return message(lang, "duration-seconds", Some(&args));
    }
    words.join(" ")
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

/// `message` with the vehicle's id where a command it suggests says
/// `--car ID` (the id is known: the command as printed can be run).
pub fn with_car(message: &str, car: &str) -> String {
    message.replace("--car ID", &format!("--car {car}"))
}

/// `message` with `flag value` as typed (`--issuer URL`, a value with
/// spaces in quotes) in every `stepwise login` it suggests that signs in:
/// run as printed, the login would otherwise ask another provider, client
/// or scope. Words that name the flag themselves (set other scopes with
/// --scope) keep their commands as they are.
pub fn logins_with_value(message: &str, flag: &str, value: &str) -> String {
    if message.contains(flag) {
        return message.to_owned();
    }
    let value = if value.contains(char::is_whitespace) {
        format!("\"{value}\"")
    } else {
        value.to_owned()
    };
    logins_with(message, &format!("{flag} {value}"))
}

/// `message` with `flag` (`--device`) in every `stepwise login` it suggests
/// that signs in (not `--with-token`) and names it not already: a failed
/// `login --device`, run again as printed, would otherwise open a browser.
pub fn logins_with(message: &str, flag: &str) -> String {
    let mut out = String::with_capacity(message.len() + flag.len());
    let mut rest = message;
    while let Some(start) = rest.find("`stepwise login") {
        let tail = &rest[start + 1..];
        let Some(end) = tail.find('`') else {
            break;
        };
        let command = &tail[..end];
        out.push_str(&rest[..=start]);
        out.push_str(command);
        let words: Vec<&str> = command.split(' ').collect();
        // "`stepwise login` without --device" (in any language: the flag
        // named in the words right after it) is the other way on, as it is.
        let after = tail[end + 1..]
            .split(['`', '.', ';', ',', ')'])
            .next()
            .unwrap_or_default();
        if words.get(1) == Some(&"login")
            && !words.contains(&"--with-token")
            && !words.contains(&flag)
            && !after.contains(flag)
        {
            out.push(' ');
            out.push_str(flag);
        }
        out.push('`');
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `message` with `--api API` in every stepwise command it suggests in
/// backticks that talks to a gateway (`stepwise login`, `stepwise steps
/// --car ID`, `stepwise auth status`, …) and names no `--api` of its own:
/// for a gateway typed as `--api`, the command as printed would otherwise
/// ask for a gateway or run on the embedded simulator.
pub fn commands_with_api(message: &str, api: &str) -> String {
    const TALKING: [&str; 6] = ["login", "logout", "steps", "next", "fleet", "doctor"];
    let mut out = String::with_capacity(message.len() + api.len());
    let mut rest = message;
    while let Some(start) = rest.find("`stepwise ") {
        let tail = &rest[start + 1..];
        let Some(end) = tail.find('`') else {
            break;
        };
        out.push_str(&rest[..=start]);
        let command = &tail[..end];
        let words: Vec<&str> = command.split(' ').collect();
        let sub = match words.get(1..3) {
            Some(["auth", "status"]) => 3,
            _ if words.get(1).is_some_and(|w| TALKING.contains(w)) => 2,
            _ => 0,
        };
        if sub > 0 && !command.contains("--api") {
            out.push_str(&words[..sub].join(" "));
            out.push_str(" --api ");
            // `login` and `logout` keep a token of their own, and refuse
            // --token-file: it is not carried to them.
            if matches!(words.get(1), Some(&("login" | "logout"))) {
                out.push_str(&without_token_file(api));
            } else {
                out.push_str(api);
            }
            for word in &words[sub..] {
                out.push(' ');
                out.push_str(word);
            }
        } else {
            out.push_str(command);
        }
        out.push('`');
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The flags carried with `--api` (`URL --token-file PATH --ca-file …`)
/// without `--token-file` and its path (in single quotes where it has
/// spaces).
fn without_token_file(api: &str) -> String {
    let Some(at) = api.find(" --token-file ") else {
        return api.to_owned();
    };
    let rest = &api[at + " --token-file ".len()..];
    let after = if let Some(quoted) = rest.strip_prefix('\'') {
        // The path ends at a quote not followed by `\''` (an escaped quote).
        let mut end = 0;
        let bytes = quoted.as_bytes();
        while end < bytes.len() {
            if quoted[end..].starts_with("'\\''") {
                end += 4;
            } else if bytes[end] == b'\'' {
                break;
            } else {
                end += 1;
            }
        }
        &quoted[(end + 1).min(quoted.len())..]
    } else {
        rest.find(' ').map_or("", |i| &rest[i..])
    };
    format!("{}{}", &api[..at], after)
}

#[cfg(test)]
mod tests {

    /// Tenths of a second in each language's own way: a decimal comma
    /// where the language writes one (stranger 90, CM4).
    #[test]
    fn tenths_are_written_as_each_language_writes_decimals() {
        let after = std::time::Duration::from_millis(45_000);
        assert_eq!(tenths(Lang::En, after), "45.0");
        assert_eq!(tenths(Lang::De, after), "45,0");
        assert_eq!(
            tenths(Lang::Pt, std::time::Duration::from_millis(750)),
            "0,8"
        );
    }

    use super::*;

    /// A token file typed beside --api goes with the commands suggested,
    /// but not with `login` or `logout`, which refuse it (stranger 60, BI8).
    #[test]
    fn a_token_file_is_carried_but_not_to_login() {
        let api = "http://gw --token-file '/tmp/my tok' --ca-file ca.pem";
        assert_eq!(
            commands_with_api("run `stepwise steps --car ID` or `stepwise login`", api),
            "run `stepwise steps --api http://gw --token-file '/tmp/my tok' --ca-file ca.pem --car ID` or `stepwise login --api http://gw --ca-file ca.pem`"
        );
        assert_eq!(without_token_file("http://gw --token-file t"), "http://gw");
        assert_eq!(without_token_file("http://gw"), "http://gw");
    }

    #[test]
    fn advice_to_set_no_proxy_keeps_the_hosts_there() {
        let said = "set NO_PROXY=gw.example if it can; else NO_PROXY=10.0.0.1\u{a0}; or `NO_PROXY=gw.example`.";
        assert_eq!(
            with_no_proxy_list(said, "localhost,.corp"),
            "set NO_PROXY=localhost,.corp,gw.example if it can; else NO_PROXY=localhost,.corp,10.0.0.1\u{a0}; or `NO_PROXY=localhost,.corp,gw.example`."
        );
        // A host the list already names is left alone.
        assert_eq!(
            with_no_proxy_list("set NO_PROXY=a.corp", "b,a.corp"),
            "set NO_PROXY=a.corp"
        );
        // A list a shell would read as a redirection or a pattern (Windows'
        // `<local>`) is given in double quotes (stranger 48, AW2).
        assert_eq!(
            with_no_proxy_list("set NO_PROXY=127.0.0.1 and", "*.corp.example,<local>"),
            "set \"NO_PROXY=*.corp.example,<local>,127.0.0.1\" and"
        );
        // A message within a message is not quoted twice (stranger 82, CE4).
        let once = with_no_proxy_list("set NO_PROXY=127.0.0.1 and", "*.corp.example,<local>");
        assert_eq!(
            with_no_proxy_list(&format!("proxy trouble: {once}"), "*.corp.example,<local>"),
            "proxy trouble: set \"NO_PROXY=*.corp.example,<local>,127.0.0.1\" and"
        );
    }

    #[test]
    fn a_login_s_commands_keep_what_was_typed() {
        let said = "expired. Run `stepwise login --device` again, or `stepwise login --with-token`";
        let said = logins_with_value(said, "--issuer", "http://idp");
        let said = logins_with_value(&said, "--scope", "openid steps:read");
        assert_eq!(
            said,
            "expired. Run `stepwise login --device --issuer http://idp --scope \"openid steps:read\"` again, or `stepwise login --with-token`"
        );
        // Words that say to change the flag keep the command as it is
        // (stranger 47, AV4).
        let other = "set them with --scope, and run `stepwise login --device` again";
        assert_eq!(logins_with_value(other, "--scope", "a b"), other);
    }

    #[test]
    fn a_device_login_s_commands_keep_device() {
        let said = "expired. Run `stepwise login` again, or `stepwise login --with-token`; `stepwise logout`, `stepwise login --device --scope S`";
        assert_eq!(
            logins_with(said, "--device"),
            "expired. Run `stepwise login --device` again, or `stepwise login --with-token`; `stepwise logout`, `stepwise login --device --scope S`"
        );
        // The browser's way, named as `login` without the flag, stays so
        // (stranger 42, AQ2).
        for said in [
            "Sign in in a browser instead (`stepwise login` without --device, on a desktop)",
            "Stattdessen im Browser anmelden (`stepwise login` ohne --device, auf einem Rechner)",
        ] {
            assert_eq!(logins_with(said, "--device"), said);
        }
        // With --api added after, the order reads as a person types it.
        assert_eq!(
            commands_with_api(
                &logins_with("Run `stepwise login` again", "--device"),
                "http://gw"
            ),
            "Run `stepwise login --api http://gw --device` again"
        );
    }

    #[test]
    fn suggested_commands_carry_a_typed_api() {
        let api = "http://10.0.0.7:8080";
        assert_eq!(
            commands_with_api(
                "Run `stepwise login` (`stepwise login --with-token` where none), then `stepwise steps --car ID`; `stepwise auth status` says more; `stepwise serve` is local.",
                api
            ),
            "Run `stepwise login --api http://10.0.0.7:8080` (`stepwise login --api http://10.0.0.7:8080 --with-token` where none), then `stepwise steps --api http://10.0.0.7:8080 --car ID`; `stepwise auth status --api http://10.0.0.7:8080` says more; `stepwise serve` is local."
        );
        // One that names a gateway already, or no command at all: as it was.
        for kept in [
            "`stepwise login --api http://x`",
            "no command here",
            "a ` stray",
        ] {
            assert_eq!(commands_with_api(kept, api), kept);
        }
    }

    /// Help describes every key the same way: in lower case after the key
    /// (the board's section was capitalised, the rest was not). German
    /// keeps its nouns' capitals.
    #[test]
    fn every_key_s_help_starts_in_lower_case() {
        for lang in Lang::ALL.iter().filter(|l| **l != Lang::De) {
            for line in lang.source().lines() {
                let Some((id, text)) = line.split_once(" = ") else {
                    continue;
                };
                if id.starts_with("key-help-") {
                    let first = text.chars().next().unwrap_or(' ');
                    assert!(!first.is_uppercase(), "{lang:?} {id}: {text}");
                }
            }
        }
    }

    /// A banner reads "title: text" (`banner-title-sep` between): in French
    /// and Italian the text after the colon starts in lower case, and in no
    /// language does a step done read "A: done: next: B".
    #[test]
    fn banner_texts_follow_the_title_s_colon() {
        let after_colon = |id: &str| {
            (id.starts_with("banner-") || id.starts_with("board-")) && id.ends_with("-text")
                || id.starts_with("why-")
                || [
                    "banner-next-is",
                    "banner-all-done-ready",
                    "banner-nothing-shown-left",
                    "banner-no-graphical-session",
                    "banner-no-graphical-session-local",
                ]
                .contains(&id)
        };
        let ids: Vec<&str> = Lang::En
            .source()
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id))
            .filter(|id| after_colon(id))
            .collect();
        assert!(ids.len() > 25, "{ids:?}");
        let mut capital = Vec::new();
        for lang in [Lang::Fr, Lang::It] {
            for id in &ids {
                let text = message(lang, id, None);
                let word = text.split([' ', '\u{a0}']).next().unwrap_or_default();
                let starts_upper = word.chars().next().is_some_and(char::is_uppercase);
                let acronym = word
                    .chars()
                    .filter(|c| c.is_alphabetic())
                    .all(char::is_uppercase);
                if starts_upper && !acronym {
                    capital.push(format!("{lang} {id}: {text}"));
                }
            }
        }
        assert!(
            capital.is_empty(),
            "a capital after the colon: {capital:#?}"
        );
        for lang in Lang::ALL {
            let done = crate::tr!(*lang, "banner-step-done", steps = "A");
            let next = crate::tr!(*lang, "banner-next-is", title = "B");
            let banner = format!("{done}{}{next}", message(*lang, "banner-title-sep", None));
            assert_eq!(banner.matches(':').count(), 1, "{lang}: {banner}");
        }
    }

    /// French sets a no-break space before `:`, `;`, `?` and `!`: a plain
    /// space there lets the line break before the sign. Every message, the
    /// ones added later included.
    #[test]
    fn french_puts_a_no_break_space_before_double_signs() {
        let mut plain = Vec::new();
        for line in Lang::Fr.source().lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let chars: Vec<char> = line.chars().collect();
            for (i, pair) in chars.windows(2).enumerate() {
                let after = chars.get(i + 2).copied();
                if pair[0] == ' '
                    && matches!(pair[1], ':' | ';' | '?' | '!')
                    && after.is_none_or(char::is_whitespace)
                {
                    plain.push(line.to_owned());
                }
            }
        }
        assert!(
            plain.is_empty(),
            "a plain space before the sign: {plain:#?}"
        );
    }

    #[test]
    fn durations_are_written_in_each_languages_units() {
        assert_eq!(duration(Lang::En, 3_597), "59m 57s");
        assert_eq!(duration(Lang::En, 0), "0s");
        // The largest unit and the next: a wait of days has no seconds.
        assert_eq!(duration(Lang::En, 90_061), "1d 1h");
        assert_eq!(duration(Lang::En, 86_461), "1d");
        assert_eq!(duration(Lang::En, 796_000_000), "9212d 23h");
        assert_eq!(duration(Lang::En, 7_200), "2h");
        assert_eq!(duration(Lang::Fr, 3_597), "59 min 57 s");
        assert_eq!(duration(Lang::Fr, 90_061), "1 j 1 h");
        assert_eq!(duration(Lang::De, 172_800), "2 Tg.");
        assert_eq!(duration(Lang::It, 86_400), "1 g");
        assert_eq!(duration(Lang::Nl, 3_600), "1 u");
        for lang in Lang::ALL.iter().filter(|l| **l != Lang::En) {
            let days = format!("{} {}", duration(*lang, 90_000), duration(*lang, 61));
            assert_ne!(days, duration(Lang::En, 90_061), "{lang}");
            assert!(
                days.starts_with("1 ") && days.ends_with(" s"),
                "{lang}: {days}"
            );
        }
    }

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
        assert_eq!(Lang::parse("de_DE.UTF-8"), Some(Lang::De));
        assert_eq!(Lang::parse("pt_BR"), Some(Lang::Pt));
        assert_eq!(Lang::parse("pt"), Some(Lang::Pt));
        assert_eq!(Lang::parse("pt-BR"), Some(Lang::Pt));
        assert_eq!(Lang::parse("pt_BR.UTF-8"), Some(Lang::Pt));
        assert_eq!(Lang::parse("pt_PT.UTF-8"), Some(Lang::PtPt));
        assert_eq!(Lang::parse("pt-PT"), Some(Lang::PtPt));
        assert_eq!(Lang::parse("PT_pt"), Some(Lang::PtPt));
        assert_eq!(Lang::parse("fr"), Some(Lang::Fr));
        assert_eq!(Lang::parse("nl-BE"), Some(Lang::Nl));
        assert_eq!(Lang::parse("it_IT@euro"), Some(Lang::It));
        assert_eq!(Lang::parse("es_ES.ISO-8859-1"), Some(Lang::Es));
        assert_eq!(Lang::parse("xx"), None);
        assert_eq!(Lang::parse("C"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn next_visits_every_language_and_wraps() {
        let mut seen = vec![Lang::En];
        let mut l = Lang::En.next();
        while l != Lang::En {
            seen.push(l);
            l = l.next();
        }
        assert_eq!(seen, Lang::ALL);
        assert_eq!(Lang::codes(), "en, fr, de, it, es, nl, pt-BR, pt-PT");
    }

    #[test]
    fn plurals_follow_the_language() {
        assert_eq!(
            crate::tr!(Lang::En, "progress-done", done = num(1), total = num(3)),
            "1 of 3 done"
        );
        let shown =
            |lang, n| crate::tr!(lang, "progress-filtered", filter = "todo", shown = num(n));
        assert_eq!(shown(Lang::En, 1), "(filter: todo, 1 step shown)");
        assert_eq!(shown(Lang::En, 2), "(filter: todo, 2 steps shown)");
        assert_eq!(shown(Lang::De, 1), "(Filter: todo, 1 Schritt gezeigt)");
        assert_eq!(shown(Lang::De, 2), "(Filter: todo, 2 Schritte gezeigt)");
        // French counts 0 as singular; English, German and written Portuguese do not.
        assert_eq!(shown(Lang::Fr, 0), "(filtre\u{a0}: todo, 0 étape affichée)");
        assert_eq!(
            shown(Lang::Fr, 2),
            "(filtre\u{a0}: todo, 2 étapes affichées)"
        );
        assert_eq!(shown(Lang::Pt, 0), "(filtro: «todo», 0 passos mostrados)");
        assert_eq!(shown(Lang::En, 0), "(filter: todo, 0 steps shown)");
        assert_eq!(shown(Lang::Nl, 3), "(filter: todo, 3 stappen getoond)");
    }

    #[test]
    fn portuguese_plurals_follow_each_country_s_rules() {
        let summary = |lang, failed| {
            crate::tr!(
                lang,
                "doctor-summary",
                failed = num(failed),
                warnings = num(1),
                ok = num(3),
                skipped = num(0)
            )
        };
        // Written Portuguese says "0 falhas" in both countries: Brazil's
        // CLDR rule counts 0 as singular, so pt-BR spells 0 out ([0]);
        // Portugal's rule counts it as plural by itself.
        for lang in [Lang::Pt, Lang::PtPt] {
            let text = summary(lang, 0);
            assert!(text.starts_with("0 falhas, 1 aviso,"), "{lang}: {text}");
            assert!(summary(lang, 1).starts_with("1 falha,"), "{lang}");
            assert!(summary(lang, 2).starts_with("2 falhas,"), "{lang}");
        }
        assert!(!Lang::PtPt.source().contains("[0]"));
        assert_eq!(bundle(Lang::PtPt).locales[0].to_string(), "pt-PT");
        assert_eq!(bundle(Lang::Pt).locales[0].to_string(), "pt-BR");
    }

    #[test]
    fn a_401_names_stepwise_login_in_every_language() {
        for lang in Lang::ALL {
            assert!(
                message(*lang, "gw-401-todo", None).contains("`stepwise login`"),
                "{lang}"
            );
        }
    }

    /// Ids whose text may read the same as English in another language,
    /// because it is a name or a wire term the technician types or reads
    /// as it is. Everything else must be translated.
    const SAME_AS_ENGLISH: &[&str] = &[
        // Key names: most keyboards print Esc and Enter as in English.
        "key-name-esc",
        "key-name-enter",
        // Manual page headings several languages share with English
        // (NAME in German; SYNOPSIS, DESCRIPTION, OPTIONS, VERSION in French).
        "man-section-name",
        "man-section-synopsis",
        "man-section-description",
        "man-section-options",
        "man-section-version",
        // The badge of a status this tool does not know: "????" in all.
        "badge-unknown",
        // "code 2204": the same word in French and Dutch.
        "gw-code",
        // "status \"DONE\"": the same word in Dutch and Brazilian Portuguese.
        "mark-status-raw",
        // JSON's own literal.
        "json-kind-null",
        // Dutch and Portuguese keyboards print PgDn, PgUp and Ctrl as English does.
        "key-name-pgdn",
        "key-name-pgup",
        "key-name-ctrl-c",
        // Punctuation between a banner's title and text (French differs).
        "banner-title-sep",
        // "stepsID { $id }": the protocol's own name for the id.
        "header-steps-id",
        // "{ $title } ({ $name })": only placeables.
        "banner-gateway-next-text",
        // "{ $car }: { $what }": only placeables (French differs).
        "board-vehicle-said",
        // The protocol's names of the two ids and the backend's address.
        "cli-list-head",
        "cli-list-head-car",
        // "{ $detail }": only a placeable.
        // Only a flag name and an environment variable name.
        "token-from-token-file",
        "token-from-environment",
        // "Gateway:   { $gateway }": Italian and Portuguese say "gateway" too,
        // and their labels are no wider than English.
        "status-gateway",
        // "Login:     { $why }": Portuguese says "Login" too.
        "status-login-trouble",
        // The board's column of the protocol's id.
        "board-col-car",
        // "error" is also the Spanish word.
        "board-col-error",
        // "stepwise: error: { $message }": the same words in Spanish.
        "cli-arg-error",
        // "--cars { $path }: { $error }": a flag and placeables.
        "cli-arg-cars-bad",
        // "Options" and "Arguments" are also the French words (clap's headings).
        "help-cli-options",
        "help-cli-arguments",
        // Value names and the usage's placeholder that some languages
        // write as English does: [OPTIONS] (fr), FILE (it), MODE (fr),
        // STATUS (de, nl), SHELL and TOKEN (most).
        "help-cli-options-placeholder",
        "help-cli-value-file",
        "help-cli-value-mode",
        "help-cli-value-status",
        "help-cli-value-shell",
        "help-cli-value-token",
        // doctor: "ok" is what every language's technicians read beside ✓;
        // TLS, Proxy and Token are the technical names in every language.
        "doctor-mark-ok",
        "doctor-check-tls",
        "doctor-check-proxy",
        "doctor-check-token",
    ];

    /// The message ids of a file with the variables each uses (sorted), the
    /// plain text of each (for the "is it translated" test).
    fn messages(lang: Lang) -> std::collections::BTreeMap<String, (Vec<String>, String)> {
        use fluent_syntax::ast;
        fn walk_pattern(p: &ast::Pattern<&str>, vars: &mut Vec<String>, text: &mut String) {
            for el in &p.elements {
                match el {
                    ast::PatternElement::TextElement { value } => text.push_str(value),
                    ast::PatternElement::Placeable { expression } => {
                        walk_expr(expression, vars, text);
                    }
                }
            }
        }
        fn walk_expr(e: &ast::Expression<&str>, vars: &mut Vec<String>, text: &mut String) {
            match e {
                ast::Expression::Select { selector, variants } => {
                    walk_inline(selector, vars, text);
                    for v in variants {
                        walk_pattern(&v.value, vars, text);
                    }
                }
                ast::Expression::Inline(i) => walk_inline(i, vars, text),
            }
        }
        fn walk_inline(i: &ast::InlineExpression<&str>, vars: &mut Vec<String>, text: &mut String) {
            match i {
                ast::InlineExpression::VariableReference { id } => vars.push(id.name.to_owned()),
                ast::InlineExpression::StringLiteral { value } => text.push_str(value),
                ast::InlineExpression::Placeable { expression } => {
                    walk_expr(expression, vars, text);
                }
                _ => {}
            }
        }
        let resource = fluent_syntax::parser::parse(lang.source())
            .unwrap_or_else(|(_, errors)| panic!("{lang}.ftl: {errors:?}"));
        let mut out = std::collections::BTreeMap::new();
        for entry in resource.body {
            if let ast::Entry::Message(m) = entry {
                let mut vars = Vec::new();
                let mut text = String::new();
                if let Some(p) = &m.value {
                    walk_pattern(p, &mut vars, &mut text);
                }
                vars.sort();
                vars.dedup();
                out.insert(m.id.name.to_owned(), (vars, text));
            }
        }
        out
    }

    #[test]
    fn every_locale_has_every_id_with_the_same_variables() {
        let en = messages(Lang::En);
        assert!(en.len() > 200, "en.ftl read whole");
        let mut problems = Vec::new();
        for lang in &Lang::ALL[1..] {
            let other = messages(*lang);
            for (id, (vars, _)) in &en {
                match other.get(id) {
                    None => problems.push(format!("{lang}: {id} missing")),
                    Some((v, _)) if v != vars => {
                        problems.push(format!("{lang}: {id} uses {v:?}, en uses {vars:?}"));
                    }
                    Some(_) => {}
                }
            }
            for id in other.keys().filter(|id| !en.contains_key(*id)) {
                problems.push(format!("{lang}: {id} is not in en.ftl"));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn no_translation_reads_as_english_unless_it_is_a_name() {
        let en = messages(Lang::En);
        let mut same = Vec::new();
        for lang in &Lang::ALL[1..] {
            for (id, (_, text)) in messages(*lang) {
                if SAME_AS_ENGLISH.contains(&id.as_str()) {
                    continue;
                }
                if en.get(&id).is_some_and(|(_, t)| *t == text) {
                    same.push(format!("{lang}: {id} = {text:?}"));
                }
            }
        }
        assert!(same.is_empty(), "untranslated: {same:#?}");
        // The list holds only ids that exist, so it cannot rot.
        for id in SAME_AS_ENGLISH {
            assert!(en.contains_key(*id), "{id}");
        }
    }

    #[test]
    fn every_language_formats_every_message_without_errors() {
        for lang in Lang::ALL {
            let bundle = bundle(*lang);
            for (id, (vars, _)) in messages(*lang) {
                let mut args = Args::new();
                for v in &vars {
                    args.set(v.clone(), num(2));
                }
                let pattern = bundle.get_message(&id).and_then(|m| m.value()).unwrap();
                let mut errors = Vec::new();
                let _ = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{lang}: {id}: {errors:?}");
            }
        }
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
        "src/wizard/update/mod.rs",
        "src/wizard/update/answers.rs",
        "src/wizard/update/board.rs",
        "src/wizard/update/messages.rs",
        "src/wizard/update/notes.rs",
        "src/wizard/update/sign_in.rs",
        "src/wizard/update/steps.rs",
        "src/wizard/keymap/mod.rs",
        "src/wizard/keymap/table.rs",
        "src/ui/mod.rs",
        "src/ui/steps.rs",
        "src/ui/start.rs",
        "src/ui/overlays.rs",
        "src/report.rs",
        "src/guidance.rs",
        "src/signin.rs",
        "src/commands.rs",
        "src/describe.rs",
        "src/pages.rs",
        "src/cli.rs",
        "src/main.rs",
        "src/doctor/mod.rs",
        "src/doctor/report.rs",
        "src/doctor/network.rs",
        "src/doctor/tls.rs",
        "src/doctor/token.rs",
        "src/doctor/contract.rs",
        "src/config.rs",
        "src/net.rs",
        "src/auth/mod.rs",
        "src/auth/store.rs",
        "src/cars.rs",
        "src/app/mod.rs",
        "src/app/terminal.rs",
    );
}
