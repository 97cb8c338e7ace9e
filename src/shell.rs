//! What installers and packagers need from the command-line definitions:
//! shell completions and the manual page, generated from the same clap
//! definitions the program parses with, so they never drift.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;

/// Writes the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "stepwise", out);
}

/// Writes the manual page (roff): the program's page, with each subcommand
/// and its options in a section of its own.
pub fn man_page(out: &mut dyn Write) -> std::io::Result<()> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        writeln!(
            out,
            ".SH \"STEPWISE {}\"",
            roff_escape(&name.to_uppercase())
        )?;
        writeln!(out, "{}", roff_escape(&about))?;
        for arg in sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !a.is_global_set())
        {
            let flag = match (arg.get_long(), arg.get_value_names()) {
                (Some(long), Some(values)) => format!("\\-\\-{long} {}", values.join(" ")),
                (Some(long), None) => format!("\\-\\-{long}"),
                (None, Some(values)) => values.join(" "),
                (None, None) => arg.get_id().to_string(),
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            writeln!(out, ".TP\n\\fB{flag}\\fR\n{}", roff_escape(&help))?;
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
