//! Overlays drawn over a screen: help, reset confirmation, the error-code
//! explainer and the QR code.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::qr::{qr_lines, qr_size};
use super::{Theme, cells, centered};
use crate::guidance::{GuideLink, LinkKind, error_codes, explain_code};
use crate::text::Lang;
use crate::tr;
use crate::wizard::keymap::{HelpLine, help_lines};
use crate::wizard::state::State;

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
    // Help lists the screen under it, not the help overlay's own context.
    let context = match state.screen() {
        crate::wizard::state::Screen::Start(_) => crate::wizard::keymap::Context::Start,
        crate::wizard::state::Screen::Steps => crate::wizard::keymap::Context::Steps,
        crate::wizard::state::Screen::Board => crate::wizard::keymap::Context::Board,
    };
    let lines: Vec<Line> = help_lines(context, state.demo(), state.board().is_some())
        .into_iter()
        .map(|line| match line {
            HelpLine::Heading(id) => Line::from(Span::styled(
                crate::text::message(lang, id, None),
                theme.title(),
            )),
            HelpLine::Key(b) => Line::from(vec![
                Span::styled(format!("  {:<11}", b.label), theme.key()),
                Span::raw(crate::text::message(lang, b.help, None)),
            ]),
            HelpLine::Legend(id) => {
                Line::from(format!("  {}", crate::text::message(lang, id, None)))
            }
        })
        .collect();
    let total = cells(lines.len());
    let height = total.saturating_add(2).min(area.height);
    let rect = centered(area, 84, height);
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
            Span::styled("y", theme.key()),
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

pub fn explain(frame: &mut Frame, area: Rect, state: &State, code: &str, theme: Theme) {
    let lang = state.lang();
    let mut lines = vec![Line::from(vec![
        Span::raw(format!("{} ", tr!(lang, "explain-code"))),
        Span::styled(code.to_owned(), theme.key()),
        Span::styled("▏", theme.key()),
    ])];
    lines.push(Line::from(""));
    explanation(&mut lines, lang, code, theme);
    let rect = centered(area, 72, 12);
    let (_, block) = popup(
        frame,
        rect,
        format!(" {} ", tr!(lang, "explain-title")),
        theme,
    );
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        rect,
    );
}

fn explanation(lines: &mut Vec<Line<'static>>, lang: Lang, code: &str, theme: Theme) {
    let Ok(n) = code.parse::<i64>() else {
        lines.push(Line::from(tr!(lang, "explain-prompt")));
        let known: Vec<String> = error_codes().keys().map(i64::to_string).collect();
        lines.push(Line::from(Span::styled(
            tr!(lang, "explain-known", codes = known.join(" ")),
            theme.dim(),
        )));
        return;
    };
    let Some(e) = explain_code(n) else {
        lines.push(Line::from(tr!(lang, "explain-unknown", code = n)));
        lines.push(Line::from(tr!(lang, "explain-unknown-hint")));
        return;
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", tr!(lang, "explain-meaning")), theme.title()),
        Span::raw(e.meaning(lang)),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", tr!(lang, "explain-remedy")), theme.title()),
        Span::raw(e.remedy(lang)),
    ]));
    if e.reset_cures {
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
    // The embedded demo backend listens on this machine's loopback only.
    let note = (link.kind == LinkKind::Gateway && state.demo()).then(|| tr!(lang, "qr-demo-local"));
    // A full quiet zone when the window allows, a narrower one otherwise.
    let fits = |(w, h): (usize, usize)| {
        cells(w).saturating_add(2) <= area.width && cells(h).saturating_add(4) <= area.height
    };
    let quiet = [4, 2]
        .into_iter()
        .find(|q| qr_size(url, *q).is_some_and(fits));
    let Some((quiet, lines)) = quiet.and_then(|q| Some((q, qr_lines(url, q)?))) else {
        let rect = centered(area, 64, 10);
        let (_, block) = popup(frame, rect, format!(" {title} "), theme);
        let mut text = vec![
            Line::from(tr!(lang, "qr-too-small")),
            Line::from(""),
            Line::from(Span::styled(url.to_owned(), theme.link())),
        ];
        if let Some(note) = &note {
            text.push(Line::from(Span::styled(note.clone(), theme.info())));
        }
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
            rect,
        );
        return;
    };
    let (w, h) = qr_size(url, quiet).unwrap_or((0, 0));
    let (w, h) = (cells(w), cells(h));
    let width = w
        .saturating_add(2)
        .max(cells(url.chars().count()).saturating_add(2))
        .min(area.width);
    let note_rows = note.as_ref().map_or(0, |n| {
        let text = Paragraph::new(n.as_str()).wrap(Wrap { trim: true });
        cells(text.line_count(width.saturating_sub(2)))
    });
    let rect = centered(area, width, h.saturating_add(4).saturating_add(note_rows));
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
        1,
    )
    .intersection(inner);
    frame.render_widget(
        Paragraph::new(Span::styled(url.to_owned(), theme.link())),
        url_row,
    );
    if let Some(note) = note {
        let note_row = Rect::new(inner.x, url_row.y.saturating_add(1), inner.width, note_rows)
            .intersection(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(note, theme.info())).wrap(Wrap { trim: true }),
            note_row,
        );
    }
}
