//! Overlays drawn over a screen: help, reset confirmation, the error-code
//! explainer, the QR code and the sign-in.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::qr::{qr_lines, qr_size};
use super::{Theme, cells, centered};
use crate::guidance::{GuideLink, LinkKind, client_codes, error_codes};
use crate::text::Lang;
use crate::tr;
use crate::wizard::keymap::{HELP_WIDTH, HelpRow, help_rows};
use crate::wizard::state::{OpenFailure, SignIn, State};

fn popup(frame: &mut Frame, area: Rect, title: String, theme: Theme) -> (Rect, Block<'static>) {
    frame.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    (block.inner(area), block)
}

/// Help: every key, this screen's first, scrolled by ↑↓ and PgUp/PgDn; the
/// title says when more lies below.
pub fn help(frame: &mut Frame, area: Rect, state: &State, scroll: u16, theme: Theme) {
    let lang = state.lang();
    let width = area.width.min(HELP_WIDTH);
    let lines: Vec<Line> = help_rows(state, width)
        .into_iter()
        .map(|row| match row {
            HelpRow::Heading(text) => Line::from(Span::styled(text, theme.title())),
            HelpRow::Key(key, text) => {
                Line::from(vec![Span::styled(key, theme.key()), Span::raw(text)])
            }
            HelpRow::Text(text) => Line::from(text),
        })
        .collect();
    let total = cells(lines.len());
    let height = total.saturating_add(2).min(area.height);
    let rect = centered(area, width, height);
    let room = rect.height.saturating_sub(2);
    let scroll = scroll.min(total.saturating_sub(room));
    let more = scroll.saturating_add(room) < total;
    let title = if more {
        tr!(lang, "help-title-more")
    } else {
        tr!(lang, "help-title")
    };
    let (_, block) = popup(frame, rect, format!(" {title} "), theme);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}

pub fn confirm_reset(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let lang = state.lang();
    let car = state.session().map_or("-", |s| s.car()).to_owned();
    let lines = vec![
        Line::from(Span::styled(
            tr!(lang, "reset-question", car = car),
            theme.title(),
        )),
        Line::from(""),
        Line::from(tr!(lang, "reset-when")),
        Line::from(tr!(lang, "reset-what")),
        Line::from(""),
        Line::from(vec![
            Span::styled(tr!(lang, "key-name-yes"), theme.key()),
            Span::raw(format!(" {}    ", tr!(lang, "key-short-reset-now"))),
            Span::styled("n", theme.key()),
            Span::raw(" / "),
            Span::styled("Esc", theme.key()),
            Span::raw(format!(" {}", tr!(lang, "key-short-cancel"))),
        ]),
    ];
    let rect = centered(area, 64, 11);
    let (_, block) = popup(
        frame,
        rect,
        format!(" {} ", tr!(lang, "reset-title")),
        theme,
    );
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        rect,
    );
}

/// The note field (`N`): what is typed so far, wrapped, and where it goes.
pub fn note(frame: &mut Frame, area: Rect, state: &State, text: &str, theme: Theme) {
    let lang = state.lang();
    let width = EXPLAIN_WIDTH.min(area.width);
    let lines = vec![
        Line::from(vec![
            Span::raw(text.to_owned()),
            Span::styled("▏", theme.key()),
        ]),
        Line::from(""),
        Line::from(Span::styled(tr!(lang, "key-help-note"), theme.dim())),
    ];
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let needed = cells(paragraph.line_count(width.saturating_sub(2))).saturating_add(2);
    let rect = centered(area, width, needed.max(5));
    let (_, block) = popup(
        frame,
        rect,
        format!(" {} ", tr!(lang, "help-section-note")),
        theme,
    );
    frame.render_widget(paragraph.block(block), rect);
}

/// The explainer's width at most; it grows down as far as its words need.
const EXPLAIN_WIDTH: u16 = 76;

pub fn explain(frame: &mut Frame, area: Rect, state: &State, code: &str, theme: Theme) {
    let lang = state.lang();
    let width = EXPLAIN_WIDTH.min(area.width);
    // The commands a remedy suggests carry the typed --api and the open
    // vehicle's id.
    let api = state.options().api_typed.as_deref();
    let car = state.session().map(|s| s.car().to_owned());
    let shown = |remedy: String| {
        let remedy = match api {
            Some(api) => crate::text::commands_with_api(&remedy, api),
            None => remedy,
        };
        match &car {
            Some(car) => crate::text::with_car(&remedy, car),
            None => remedy,
        }
    };
    let paragraph = explain_paragraph(lang, code, theme, &shown);
    let needed = cells(paragraph.line_count(width.saturating_sub(2))).saturating_add(2);
    let rect = centered(area, width, needed.max(8));
    let (_, block) = popup(
        frame,
        rect,
        format!(" {} ", tr!(lang, "explain-title")),
        theme,
    );
    frame.render_widget(paragraph.block(block), rect);
}

/// `shown`: the remedy as shown (with the typed --api and the vehicle's
/// id in the commands it suggests).
fn explain_paragraph(
    lang: Lang,
    code: &str,
    theme: Theme,
    shown: &dyn Fn(String) -> String,
) -> Paragraph<'static> {
    let mut lines = vec![Line::from(vec![
        Span::raw(format!("{} ", tr!(lang, "explain-code"))),
        Span::styled(code.to_owned(), theme.key()),
        Span::styled("▏", theme.key()),
    ])];
    lines.push(Line::from(""));
    explanation(&mut lines, lang, code, theme, shown);
    Paragraph::new(lines).wrap(Wrap { trim: true })
}

fn explanation(
    lines: &mut Vec<Line<'static>>,
    lang: Lang,
    code: &str,
    theme: Theme,
    shown: &dyn Fn(String) -> String,
) {
    if code.is_empty() {
        lines.push(Line::from(tr!(lang, "explain-prompt")));
        let known: Vec<String> = error_codes()
            .keys()
            .map(i64::to_string)
            .chain(client_codes().iter().map(|c| c.text.clone()))
            .collect();
        lines.push(Line::from(Span::styled(
            tr!(lang, "explain-known", codes = known.join(" ")),
            theme.dim(),
        )));
        return;
    }
    let Some(e) = crate::guidance::explain(code) else {
        lines.push(Line::from(tr!(
            lang,
            "explain-unknown",
            code = code.to_owned()
        )));
        lines.push(Line::from(tr!(lang, "explain-unknown-hint")));
        return;
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", tr!(lang, "explain-meaning")), theme.title()),
        Span::raw(e.meaning(lang)),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", tr!(lang, "explain-remedy")), theme.title()),
        Span::raw(shown(e.remedy(lang))),
    ]));
    for limit in e.limits(lang) {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", tr!(lang, "explain-limits")), theme.error()),
            Span::raw(limit),
        ]));
    }
    if e.reset_cures() {
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled(tr!(lang, "explain-reset-cures"), theme.success()),
            Span::styled("R", theme.key()),
            Span::styled(".", theme.success()),
        ]));
    }
}

pub fn qr(frame: &mut Frame, area: Rect, state: &State, link: &GuideLink, theme: Theme) {
    let lang = state.lang();
    let url = link.url.as_str();
    let title = match link.kind {
        LinkKind::Gateway => tr!(lang, "qr-title-gateway", lang = state.guide_lang().code()),
        LinkKind::Dealer => tr!(lang, "qr-title-dealer"),
        LinkKind::Archive => tr!(lang, "qr-title-archive"),
    };
    // The embedded demo backend listens on this machine's loopback only; a
    // gateway given as a loopback address cannot be reached by a phone either.
    let note = match link.kind {
        LinkKind::Gateway if state.demo() => Some(tr!(lang, "qr-demo-local")),
        _ if crate::guidance::is_loopback_url(url) => Some(tr!(lang, "qr-loopback")),
        _ => None,
    };
    // The box's width for a code `w` cells wide, and the rows the note
    // takes in it: the note is always shown whole.
    let width_for = |w: u16| {
        w.saturating_add(2)
            .max(cells(url.chars().count()).saturating_add(2))
            .min(area.width)
    };
    // The link under the code, broken where the box ends: every character
    // of it stays readable (a window narrower than it, stranger 47, AV8).
    let url_rows = |width: u16| {
        cells(url.chars().count())
            .div_ceil(width.saturating_sub(2).max(1))
            .max(1)
    };
    let note_rows = |width: u16| {
        note.as_ref().map_or(0, |n| {
            let text = Paragraph::new(n.as_str()).wrap(Wrap { trim: true });
            cells(text.line_count(width.saturating_sub(2)))
        })
    };
    // A full quiet zone when the window allows, a narrower one otherwise;
    // no code at all when the code and the whole note do not both fit.
    let fits = |(w, h): (usize, usize)| {
        let (w, h) = (cells(w), cells(h));
        let width = width_for(w);
        let rows = h
            .saturating_add(3)
            .saturating_add(url_rows(width))
            .saturating_add(note_rows(width));
        w.saturating_add(2) <= area.width && rows <= area.height
    };
    let quiet = [4, 2]
        .into_iter()
        .find(|q| qr_size(url, *q).is_some_and(fits));
    let Some((quiet, lines)) = quiet.and_then(|q| Some((q, qr_lines(url, q)?))) else {
        let mut text = vec![
            Line::from(tr!(lang, "qr-too-small")),
            Line::from(""),
            Line::from(Span::styled(url.to_owned(), theme.link())),
        ];
        if let Some(note) = &note {
            text.push(Line::from(Span::styled(note.clone(), theme.info())));
        }
        let text = Paragraph::new(text).wrap(Wrap { trim: false });
        let width = 64.min(area.width);
        // Ten rows, or as many as the words need.
        let rows = cells(text.line_count(width.saturating_sub(2)))
            .saturating_add(2)
            .max(10);
        let rect = centered(area, width, rows);
        let (_, block) = popup(frame, rect, format!(" {title} "), theme);
        frame.render_widget(text.block(block), rect);
        return;
    };
    let (w, h) = qr_size(url, quiet).unwrap_or((0, 0));
    let (w, h) = (cells(w), cells(h));
    let width = width_for(w);
    let note_rows = note_rows(width);
    let url_rows = url_rows(width);
    let rect = centered(
        area,
        width,
        h.saturating_add(3)
            .saturating_add(url_rows)
            .saturating_add(note_rows),
    );
    let (inner, block) = popup(frame, rect, format!(" {title} "), theme);
    frame.render_widget(block, rect);
    let code_x = inner.x + inner.width.saturating_sub(w) / 2;
    for (i, line) in lines.iter().enumerate() {
        let y = inner.y.saturating_add(cells(i));
        let row = Rect::new(code_x, y, w, 1).intersection(inner);
        frame.render_widget(Paragraph::new(Span::styled(line.as_str(), theme.qr())), row);
    }
    let url_row = Rect::new(
        inner.x,
        inner.y.saturating_add(h).saturating_add(1),
        inner.width,
        url_rows,
    )
    .intersection(inner);
    let chars: Vec<char> = url.chars().collect();
    let url_lines: Vec<Line> = chars
        .chunks(usize::from(inner.width.max(1)))
        .map(|part| Line::from(Span::styled(part.iter().collect::<String>(), theme.link())))
        .collect();
    frame.render_widget(Paragraph::new(url_lines), url_row);
    if let Some(note) = note {
        let note_row = Rect::new(
            inner.x,
            url_row.y.saturating_add(url_rows),
            inner.width,
            note_rows,
        )
        .intersection(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(note, theme.info())).wrap(Wrap { trim: true }),
            note_row,
        );
    }
}

/// Signing in: the code large, where to enter it, the QR code of the address
/// when the window has room for it, and how long the code lasts. Its lines
/// wrap, and the box is as tall as they need; a window too small for them
/// drops the QR code first, then marks the box as cut.
pub fn sign_in(frame: &mut Frame, area: Rect, state: &State, sign_in: &SignIn, theme: Theme) {
    let lang = state.lang();
    let title = format!(
        " {} ",
        tr!(
            lang,
            "login-title",
            gateway = state.options().backend_label.clone()
        )
    );
    let sized = |qr: bool| {
        let api = state.options().api_typed.as_deref();
        let (lines, widest) = sign_in_lines((lang, api), sign_in, theme, qr.then_some(area.width));
        let width = cells(widest.max(title.chars().count()))
            .saturating_add(4)
            .min(area.width);
        let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
        let rows = paragraph.line_count(width.saturating_sub(2));
        (paragraph, width, cells(rows).saturating_add(2))
    };
    let (mut paragraph, mut width, mut height) = sized(true);
    if height > area.height {
        (paragraph, width, height) = sized(false);
    }
    let rect = centered(area, width, height);
    let (_, block) = popup(frame, rect, title, theme);
    let block = super::steps::with_cut_mark(block, &paragraph, rect, lang, "banner-cut");
    frame.render_widget(paragraph.block(block), rect);
}

/// A note in the sign-in box is at least this wide: it wraps, and the
/// box's other lines may be narrow.
const SIGN_IN_NOTE_WIDTH: usize = 52;

/// The sign-in box's lines, and the width it needs (a note wraps to it);
/// the QR code when `qr` gives a width it fits in.
/// `api`: the --api typed, which the commands it suggests carry.
fn sign_in_lines(
    (lang, api): (Lang, Option<&str>),
    sign_in: &SignIn,
    theme: Theme,
    qr: Option<u16>,
) -> (Vec<Line<'static>>, usize) {
    let Some(prompt) = &sign_in.prompt else {
        // The gateway only names the provider; the provider gives the
        // code (and is the one that may keep it waiting: stranger 78,
        // CA5). Wrapped as a note is.
        let line = Line::from(tr!(lang, "signin-asking"));
        let widest = line.width().min(SIGN_IN_NOTE_WIDTH);
        return (vec![line], widest);
    };
    let mut lines = vec![
        Line::from(tr!(
            lang,
            "login-open",
            address = prompt.verification_uri.clone()
        )),
        Line::from(""),
    ];
    // As it is typed, no spaces between its letters.
    let code = prompt.user_code.clone();
    let inner = code.chars().count() + 4;
    lines.push(Line::from(format!("    ┌{}┐", "─".repeat(inner))));
    lines.push(Line::from(vec![
        Span::raw("    │  "),
        Span::styled(code, theme.key()),
        Span::raw("  │"),
    ]));
    lines.push(Line::from(format!("    └{}┘", "─".repeat(inner))));
    lines.push(Line::from(""));
    let mut qr_shown = false;
    // A phone that scans a loopback address opens its own: no QR code.
    if let Some(width) = qr
        && !crate::guidance::is_loopback_url(&prompt.address)
        && qr_size(&prompt.address, 2).is_some_and(|(w, _)| cells(w).saturating_add(2) <= width)
        && let Some(qr) = qr_lines(&prompt.address, 2)
    {
        qr_shown = true;
        lines.push(Line::from(tr!(lang, "login-scan")));
        lines.extend(
            qr.into_iter()
                .map(|l| Line::from(Span::styled(l, theme.qr()))),
        );
        lines.push(Line::from(""));
    } else if !crate::guidance::is_loopback_url(&prompt.address) {
        // No room for it: said, so that a larger window is tried.
        lines.push(Line::from(Span::styled(
            tr!(lang, "login-qr-no-room"),
            theme.dim(),
        )));
    }
    let left = crate::text::duration(lang, prompt.expires_in_secs);
    lines.push(Line::from(Span::styled(
        tr!(lang, "signin-waiting", left = left),
        theme.dim(),
    )));
    let mut widest = lines.iter().map(Line::width).max().unwrap_or(0);
    if let Some(failure) = &sign_in.no_browser {
        let words = match failure {
            OpenFailure::NoGraphicalSession(url) if crate::guidance::is_loopback_url(url) => {
                tr!(lang, "signin-no-browser-local")
            }
            // The QR code is named only where it is drawn.
            OpenFailure::NoGraphicalSession(_) if qr_shown => tr!(lang, "signin-no-browser"),
            OpenFailure::NoGraphicalSession(_) => tr!(lang, "signin-no-browser-no-qr"),
            OpenFailure::Failed { why, .. } if qr_shown => {
                tr!(lang, "signin-browser-failed", why = why.clone())
            }
            OpenFailure::Failed { why, .. } => {
                tr!(lang, "signin-browser-failed-no-qr", why = why.clone())
            }
        };
        // The commands it suggests carry the --api typed (stranger 68,
        // BQ14).
        let words = match api {
            Some(api) => crate::text::commands_with_api(&words, api),
            None => words,
        };
        widest = widest.max(SIGN_IN_NOTE_WIDTH.min(words.chars().count()));
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled("✖ ", theme.error()),
            Span::raw(words),
        ]));
    }
    (lines, widest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::wrap_words;

    #[test]
    fn words_wrap_within_the_width_and_keep_every_character() {
        let text = "beobachten: alle paar Sekunden aktualisieren, bis alles erledigt ist";
        let lines = wrap_words(text, 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let long = wrap_words("Fernbedienungsfunktionen", 10);
        assert_eq!(long, ["Fernbedien", "ungsfunkti", "onen"]);
        assert_eq!(wrap_words("", 10), [""]);
    }

    #[test]
    fn a_no_break_space_holds_the_french_colon_to_its_word() {
        let text = "Étapes de l'activation\u{a0}: seulement celles à faire\u{a0}?";
        for width in 16..40 {
            for line in wrap_words(text, width) {
                assert!(!line.starts_with([':', '?']), "{width}: {line:?}");
            }
        }
        assert_eq!(wrap_words("a\u{a0}: b", 20), ["a\u{a0}: b"]);
    }

    use crate::wizard::state::{MIN_HEIGHT, MIN_WIDTH};

    /// Every explanation, in every language, fits whole in the smallest
    /// window the wizard draws in (the explainer does not scroll).
    #[test]
    fn every_explanation_fits_the_smallest_window() {
        let theme = Theme::new(false);
        let codes: Vec<String> = error_codes()
            .keys()
            .map(i64::to_string)
            .chain(client_codes().iter().map(|c| c.text.clone()))
            .chain(["".to_owned(), "NOK:WHATEVER_ELSE_IT_SAYS_HERE".to_owned()])
            .collect();
        let inner = EXPLAIN_WIDTH.min(MIN_WIDTH) - 2;
        for lang in Lang::ALL {
            for code in &codes {
                let needed = explain_paragraph(*lang, code, theme, &|r| r).line_count(inner) + 2;
                assert!(
                    needed <= usize::from(MIN_HEIGHT),
                    "{lang} {code:?} needs {needed} rows"
                );
            }
        }
    }
}
