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
    man.render_version_section(out)?;
    man.render_authors_section(out)
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
