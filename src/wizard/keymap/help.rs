//! The help overlay's rows, laid out for a width: what the drawing shows
//! and what the update scrolls by are one count.

use super::{Context, HelpLine, help_lines};
use crate::text::{Lang, wrap_words};
use crate::tr;
use crate::wizard::state::{Banner, Screen, State};

/// Help's width at most, and the width of its key column.
pub const HELP_WIDTH: u16 = 84;
const KEY_COLUMN: usize = 13;

/// One line of help as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpRow {
    /// A section heading.
    Heading(String),
    /// A key (padded to the key column, empty on a description's later
    /// lines) and its description's line.
    Key(String, String),
    /// A line of text: the message on show, the badge legend.
    Text(String),
}

/// A key's name as this language writes it ("Bild↓", "Strg-C").
pub fn key_label(lang: Lang, label: &str) -> String {
    label
        .split('/')
        .map(|part| match part {
            "Esc" => tr!(lang, "key-name-esc"),
            "Enter" => tr!(lang, "key-name-enter"),
            "Space" => tr!(lang, "key-name-space"),
            "PgDn" => tr!(lang, "key-name-pgdn"),
            "PgUp" => tr!(lang, "key-name-pgup"),
            "Ctrl-C" => tr!(lang, "key-name-ctrl-c"),
            super::YES_LABEL => tr!(lang, "key-name-yes"),
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `banner` as shown: the stepwise commands it suggests carry the gateway
/// typed as `--api`, and `car` (the open vehicle) for `--car ID`.
pub fn shown(state: &State, banner: &Banner, car: Option<&str>) -> Banner {
    let mut text = match &state.options().api_typed {
        Some(api) => crate::text::commands_with_api(&banner.text, api),
        None => banner.text.clone(),
    };
    if let Some(car) = car {
        text = crate::text::with_car(&text, car);
    }
    // Advice to change a proxy variable: a running stepwise read them when
    // it started, so it must be started again to see the change.
    // (`no_proxy` where the lower case is the variable read.)
    if text.contains("NO_PROXY") || text.contains("no_proxy") || text.contains("user:password@") {
        if !text.ends_with('.') {
            text.push('.');
        }
        text.push(' ');
        text.push_str(&tr!(state.lang(), "banner-env-restart"));
    }
    Banner {
        text,
        ..banner.clone()
    }
}

/// The message on the screen under help, as shown there.
fn message_on_show(state: &State) -> Option<Banner> {
    match state.screen() {
        Screen::Steps => {
            let session = state.session()?;
            Some(shown(state, session.banner()?, Some(session.car())))
        }
        Screen::Board => Some(shown(state, state.board()?.banner()?, None)),
        Screen::Start(_) => None,
    }
}

/// Help's rows at `width` (the overlay's, borders included): the message
/// on show first, in full (a small window cuts it on the screen), then
/// every key, this screen's first.
pub fn help_rows(state: &State, width: u16) -> Vec<HelpRow> {
    let lang = state.lang();
    // Help lists the screen under it, not the help overlay's own context.
    let context = match state.screen() {
        Screen::Start(_) => Context::Start,
        Screen::Steps => Context::Steps,
        Screen::Board => Context::Board,
    };
    let entries = help_lines(context, state.demo(), state.board().is_some());
    // The key column fits the longest key name of this language.
    let key_width = entries
        .iter()
        .filter_map(|line| match line {
            HelpLine::Key(b) => Some(key_label(lang, b.label).chars().count()),
            _ => None,
        })
        .max()
        .unwrap_or(0)
        .max(KEY_COLUMN - 4)
        + 1;
    // Long descriptions wrap under their own column, so a narrow window or
    // a long language cuts nothing.
    let room_for_text = usize::from(width.saturating_sub(2)).saturating_sub(key_width + 2);
    let text_width = usize::from(width.saturating_sub(4));
    let mut rows = Vec::new();
    if let Some(banner) = message_on_show(state) {
        rows.push(HelpRow::Heading(tr!(lang, "help-section-message")));
        let whole = format!(
            "{}{}{}",
            banner.title,
            tr!(lang, "banner-title-sep"),
            banner.text
        );
        rows.extend(
            wrap_words(&whole, text_width)
                .into_iter()
                .map(|part| HelpRow::Text(format!("  {part}"))),
        );
    }
    for line in entries {
        match line {
            HelpLine::Heading(id) => {
                rows.push(HelpRow::Heading(crate::text::message(lang, id, None)));
            }
            HelpLine::Key(b) => {
                let text = crate::text::message(lang, b.help, None);
                for (i, part) in wrap_words(&text, room_for_text).into_iter().enumerate() {
                    let key = if i == 0 {
                        key_label(lang, b.label)
                    } else {
                        String::new()
                    };
                    rows.push(HelpRow::Key(format!("  {key:<key_width$}"), part));
                }
            }
            HelpLine::Legend(id) => {
                let text = crate::text::message(lang, id, None);
                for part in wrap_words(&text, text_width) {
                    rows.push(HelpRow::Text(format!("  {part}")));
                }
            }
        }
    }
    rows
}

/// How far help scrolls in a window of `size` (columns, rows): to its last
/// row in sight at the bottom, no further (a scroll past it would make
/// the next keys up move nothing).
pub fn help_max_scroll(state: &State, (columns, rows): (u16, u16)) -> u16 {
    let total = u16::try_from(help_rows(state, columns.min(HELP_WIDTH)).len()).unwrap_or(u16::MAX);
    // The window less the footer and the overlay's two borders.
    let room = rows.saturating_sub(3);
    total.saturating_sub(room)
}
