//! What installers and packagers need from the command-line definitions:
//! shell completions and the manual page, generated from the same clap
//! definitions the program parses with, so they never drift. The
//! completions are English; the manual page is in the language asked for
//! (`stepwise man --lang fr`), with the words `--help` shows (from the
//! catalogue).

use std::io::Write;

use crate::cli::command;
use crate::text::Lang;

/// Writes the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut command = command(Lang::En);
    clap_complete::generate(shell, &mut command, "stepwise", out);
}

/// Writes the manual page (roff) in `lang`: the program's page, with each
/// subcommand and its options in a section of its own.
pub fn man_page(lang: Lang, out: &mut dyn Write) -> std::io::Result<()> {
    let mut page = Vec::new();
    man_sections(lang, &mut page)?;
    // clap_mangen names its sections in English: the catalogue's words
    // replace them, and `[OPTIONS]` too.
    let page = String::from_utf8_lossy(&page);
    for line in page.lines() {
        let line = match line.strip_prefix(".SH ") {
            Some(
                name @ ("NAME" | "SYNOPSIS" | "DESCRIPTION" | "OPTIONS" | "EXTRA" | "VERSION"
                | "AUTHORS"),
            ) => {
                let id = format!("man-section-{}", name.to_ascii_lowercase());
                format!(".SH \"{}\"", crate::text::message(lang, &id, None))
            }
            _ => crate::cli::localise_usage(lang, line),
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn man_sections(lang: Lang, out: &mut dyn Write) -> std::io::Result<()> {
    let command = command(lang);
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    // clap's own `help` command and `--help` flags are left out, as the
    // page's options section already says them.
    for sub in command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_name();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        writeln!(
            out,
            ".SH \"STEPWISE {}\"",
            roff_escape(&name.to_uppercase())
        )?;
        writeln!(out, "{}", roff_escape(&about))?;
        for arg in sub.get_arguments().filter(|a| {
            !a.is_hide_set()
                && !a.is_global_set()
                && !matches!(
                    a.get_action(),
                    clap::ArgAction::Help | clap::ArgAction::HelpLong | clap::ArgAction::HelpShort
                )
        }) {
            let values = arg
                .get_value_names()
                .filter(|_| arg.get_action().takes_values())
                .map(|v| {
                    v.iter()
                        .map(|name| format!(" \\fI<{}>\\fR", roff_escape(name)))
                        .collect::<String>()
                });
            let flag = match (arg.get_long(), values) {
                (Some(long), values) => {
                    format!(
                        "\\fB\\-\\-{}\\fR{}",
                        roff_escape(long),
                        values.unwrap_or_default()
                    )
                }
                (None, Some(values)) => values.trim_start().to_owned(),
                (None, None) => format!("\\fI<{}>\\fR", roff_escape(arg.get_id().as_str())),
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            writeln!(out, ".TP\n{flag}\n{}", roff_escape(&help))?;
        }
    }
    man.render_extra_section(out)?;
    environment_section(lang, &command, out)?;
    files_section(lang, out)?;
    keys_section(lang, out)?;
    man.render_version_section(out)?;
    man.render_authors_section(out)
}

/// ENVIRONMENT: every variable an option reads (with that option's help),
/// then those read without an option.
fn environment_section(
    lang: Lang,
    command: &clap::Command,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    section(lang, out, "man-section-environment")?;
    let mut seen: Vec<String> = Vec::new();
    let commands = std::iter::once(command).chain(command.get_subcommands());
    for arg in commands.flat_map(clap::Command::get_arguments) {
        let Some(name) = arg.get_env().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if seen.contains(&name) {
            continue;
        }
        let long = arg
            .get_long()
            .map(|l| format!("\\-\\-{}: ", roff_escape(l)))
            .unwrap_or_default();
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        item(
            out,
            Font::Bold,
            &name,
            &format!("{long}{}", roff_escape(&help)),
        )?;
        seen.push(name);
    }
    for (name, id) in [
        ("STEPWISE_TOKEN", "man-env-token"),
        ("STEPWISE_LANG", "help-cli-stepwise-lang"),
        ("STEPWISE_ISSUER", "help-cli-login-issuer"),
        ("STEPWISE_DOCS_URL", "man-env-docs-url"),
        ("STEPWISE_TOKEN_STORE", "man-env-token-store"),
        ("STEPWISE_CONFIG", "man-env-config"),
        ("STEPWISE_LOG", "man-env-log"),
        ("NO_COLOR", "man-env-no-color"),
    ] {
        let text = crate::text::message(lang, id, None);
        item(out, Font::Bold, name, &roff_escape(&text))?;
    }
    Ok(())
}

/// A section's heading, in the page's language.
fn section(lang: Lang, out: &mut dyn Write, id: &str) -> std::io::Result<()> {
    writeln!(out, ".SH \"{}\"", crate::text::message(lang, id, None))
}

/// How an item's tag is set: a name in bold, a path in italics.
#[derive(Clone, Copy)]
enum Font {
    Bold,
    Italic,
}

/// One tagged paragraph: `tag` (escaped here), then `text` (roff already).
fn item(out: &mut dyn Write, font: Font, tag: &str, text: &str) -> std::io::Result<()> {
    let font = match font {
        Font::Bold => "B",
        Font::Italic => "I",
    };
    writeln!(out, ".TP\n\\f{font}{}\\fR\n{text}", roff_escape(tag))
}

/// FILES: the config file and what the data directory holds, at their
/// Linux places (macOS and Windows use the system's folders: README says
/// which, and `stepwise doctor` prints the config file's path).
fn files_section(lang: Lang, out: &mut dyn Write) -> std::io::Result<()> {
    section(lang, out, "man-section-files")?;
    const DATA: &str = "~/.local/share/stepwise/";
    let files = [
        (
            "~/.config/stepwise/config.toml".to_owned(),
            "man-files-config",
        ),
        (format!("{DATA}device-id"), "man-files-device-id"),
        (format!("{DATA}recent-ids"), "man-files-recent"),
        (format!("{DATA}logins.json"), "man-files-logins"),
        (format!("{DATA}reports/"), "man-files-reports"),
        (format!("{DATA}logs/"), "man-files-logs"),
        (format!("{DATA}demo-state.json"), "man-files-demo-state"),
        (format!("{DATA}sim-tls/"), "man-files-sim-tls"),
    ];
    for (path, id) in files {
        let text = crate::text::message(lang, id, None);
        item(out, Font::Italic, &path, &roff_escape(&text))?;
    }
    Ok(())
}

/// KEYS: the wizard's keys, as its help lists them (every screen, then
/// the overlays), in the page's language and with the keyboard's names.
fn keys_section(lang: Lang, out: &mut dyn Write) -> std::io::Result<()> {
    use crate::wizard::keymap::{Context, HelpLine, help_lines};
    section(lang, out, "man-section-keys")?;
    // The single-vehicle run's screens, then the board's own.
    // A heading is written with its first key: the badge legend has none.
    let mut headings: Vec<&str> = Vec::new();
    let mut pending: Option<&str> = None;
    let mut current_new = false;
    let lines = help_lines(Context::Start, false, false)
        .into_iter()
        .chain(help_lines(Context::Board, false, true));
    for line in lines {
        match line {
            HelpLine::Heading(id) => {
                current_new = !headings.contains(&id);
                pending = current_new.then_some(id);
            }
            HelpLine::Key(b) if current_new => {
                if let Some(id) = pending.take() {
                    headings.push(id);
                    let heading = crate::text::message(lang, id, None);
                    writeln!(out, ".SS \"{}\"", roff_escape(&heading))?;
                }
                let text = crate::text::message(lang, b.help, None);
                let key = crate::wizard::keymap::key_label(lang, b.label);
                item(out, Font::Bold, &key, &roff_escape(&text))?;
            }
            HelpLine::Key(_) | HelpLine::Legend(_) => {}
        }
    }
    Ok(())
}

/// Text as roff shows it: backslashes and hyphens escaped, no line starting
/// with a control character.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('-', "\\-");
    escaped
        .lines()
        .map(|line| {
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page has FILES (the config file, the data directory's files)
    /// and KEYS (the wizard's keys, every screen's) in its language.
    #[test]
    fn the_manual_page_has_files_and_keys() {
        for (lang, files, keys, quit) in [
            (Lang::En, "FILES", "KEYS", "quit"),
            (Lang::De, "DATEIEN", "TASTEN", "beenden"),
        ] {
            let mut page = Vec::new();
            man_page(lang, &mut page).unwrap();
            let page = String::from_utf8(page).unwrap();
            let section = |heading: &str| {
                let after = page
                    .split(&format!(".SH \"{heading}\""))
                    .nth(1)
                    .unwrap_or_else(|| panic!("no {heading} in {page}"));
                after.split("\n.SH ").next().unwrap().to_owned()
            };
            let files = section(files);
            for name in ["config.toml", "logins.json", "reports/", "device\\-id"] {
                assert!(files.contains(name), "{name} in {files}");
            }
            let keys = section(keys);
            for key in ["\\fBq\\fR", "\\fBw\\fR", "\\fBx\\fR", "\\fBN\\fR"] {
                assert!(keys.contains(key), "{key} in {keys}");
            }
            assert!(keys.contains(quit), "{keys}");
            // Every screen's section once, the board's included.
            let headings: Vec<&str> = keys.lines().filter(|l| l.starts_with(".SS ")).collect();
            let unique: std::collections::HashSet<&&str> = headings.iter().collect();
            assert_eq!(unique.len(), headings.len(), "{keys}");
            let board = crate::text::message(lang, "help-section-board", None);
            assert!(keys.contains(&format!(".SS \"{board}\"")), "{keys}");
        }
    }

    /// The page names every variable stepwise reads, once, under its own
    /// heading in the page's language.
    #[test]
    fn the_manual_page_has_an_environment_section() {
        for (lang, heading) in [(Lang::En, "ENVIRONMENT"), (Lang::De, "UMGEBUNG")] {
            let mut page = Vec::new();
            man_page(lang, &mut page).unwrap();
            let page = String::from_utf8(page).unwrap();
            let section = page
                .split(&format!(".SH \"{heading}\""))
                .nth(1)
                .unwrap_or_else(|| panic!("no {heading} in {page}"));
            let section = section.split("\n.SH ").next().unwrap();
            for name in [
                "STEPWISE_API",
                "STEPWISE_TOKEN",
                "STEPWISE_CA_FILE",
                "STEPWISE_LANG",
                "STEPWISE_CONFIG",
                "STEPWISE_LOG",
                "NO_COLOR",
            ] {
                let bold = format!("\\fB{}\\fR", roff_escape(name));
                assert_eq!(section.matches(&bold).count(), 1, "{name} in {section}");
            }
        }
    }
}
