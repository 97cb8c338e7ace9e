//! Overlays drawn over a screen: help, reset confirmation, the error-code
//! explainer and the QR code.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::qr::{qr_lines, qr_size};
use super::{Theme, centered};
use crate::guidance::{error_codes, explain_code};
use crate::wizard::keymap::{Context, bindings};
use crate::wizard::state::State;

fn popup<'a>(frame: &mut Frame, area: Rect, title: &'a str, theme: Theme) -> (Rect, Block<'a>) {
    frame.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    (block.inner(area), block)
}

pub fn help(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let mut lines = Vec::new();
    // This screen's keys first: in a small window the rest is cut off.
    let sections = match state.screen {
        crate::wizard::state::Screen::Steps => [
            ("Steps screen", Context::Steps),
            ("Everywhere", Context::Global),
            ("Start screen", Context::Start),
        ],
        crate::wizard::state::Screen::Start => [
            ("Start screen", Context::Start),
            ("Everywhere", Context::Global),
            ("Steps screen", Context::Steps),
        ],
    };
    for (heading, context) in sections {
        lines.push(Line::from(Span::styled(heading, theme.title())));
        for b in bindings(context, state.demo) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<7}", b.label), theme.key()),
                Span::raw(b.help),
            ]));
        }
    }
    lines.push(Line::from(Span::styled("Badges", theme.title())));
    lines.push(Line::from(
        "  [DONE] alreadyDone  [TODO] todo  [????] a status this tool does not know",
    ));
    lines.push(Line::from(
        "  NEXT marks the step to do now; later steps wait for it.",
    ));
    // In a short window the first heading goes, so this screen's keys fit.
    if lines.len() as u16 + 2 > area.height {
        lines.remove(0);
    }
    let height = lines.len() as u16 + 2;
    let rect = centered(area, 78, height);
    let (_, block) = popup(frame, rect, " Help (Esc closes) ", theme);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn confirm_reset(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let car = state.car.as_deref().unwrap_or("-");
    let lines = vec![
        Line::from(Span::styled(
            format!("Reset the steps cache of {car}?"),
            theme.title(),
        )),
        Line::from(""),
        Line::from(
            "Use it when the customer's app shows error 2312 or 2317, or when a step shows done but is not.",
        ),
        Line::from("Every step is then evaluated afresh; steps that are really done stay done."),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", theme.key()),
            Span::raw(" reset now    "),
            Span::styled("n", theme.key()),
            Span::raw(" or "),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel"),
        ]),
    ];
    let rect = centered(area, 64, 11);
    let (_, block) = popup(frame, rect, " Reset the steps cache ", theme);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        rect,
    );
}

pub fn explain(frame: &mut Frame, area: Rect, code: &str, theme: Theme) {
    let mut lines = vec![Line::from(vec![
        Span::raw("App error code: "),
        Span::styled(code, theme.key()),
        Span::styled("▏", theme.key()),
    ])];
    lines.push(Line::from(""));
    match code.parse::<i64>().ok() {
        None => {
            lines.push(Line::from(
                "Type the code the customer's app shows, e.g. 2312.",
            ));
            let known: Vec<String> = error_codes().keys().map(i64::to_string).collect();
            lines.push(Line::from(Span::styled(
                format!("Known: {}", known.join(" ")),
                theme.dim(),
            )));
        }
        Some(n) => match explain_code(n) {
            Some(e) => {
                lines.push(Line::from(vec![
                    Span::styled("Meaning: ", theme.title()),
                    Span::raw(e.meaning.as_str()),
                ]));
                lines.push(Line::from(vec![
                    Span::styled("What to do: ", theme.title()),
                    Span::raw(e.remedy.as_str()),
                ]));
                if e.reset_cures {
                    lines.push(Line::from(""));
                    lines.push(Line::from(vec![
                        Span::styled(
                            "✔ The steps-cache reset cures it: close with Esc, then press ",
                            theme.success(),
                        ),
                        Span::styled("R", theme.key()),
                        Span::styled(".", theme.success()),
                    ]));
                }
            }
            None => {
                lines.push(Line::from(format!("{n} is not a code this tool knows.")));
                lines.push(Line::from(
                    "Check the digits; note the code in the session report (x) and the maker's error list.",
                ));
            }
        },
    }
    let rect = centered(area, 72, 12);
    let (_, block) = popup(
        frame,
        rect,
        " Explain an app error code (Esc closes) ",
        theme,
    );
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        rect,
    );
}

pub fn qr(frame: &mut Frame, area: Rect, url: &str, theme: Theme) {
    // A full quiet zone when the window allows, a narrower one otherwise.
    let quiet = [4, 2].into_iter().find(|q| {
        qr_size(url, *q)
            .is_some_and(|(w, h)| w as u16 + 2 <= area.width && h as u16 + 4 <= area.height)
    });
    let Some((quiet, lines)) = quiet.and_then(|q| Some((q, qr_lines(url, q)?))) else {
        let rect = centered(area, 64, 8);
        let (_, block) = popup(frame, rect, " Guide link ", theme);
        let text = vec![
            Line::from("The window is too small for the QR code; enlarge it to see it."),
            Line::from(""),
            Line::from(Span::styled(url, theme.link())),
        ];
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
            rect,
        );
        return;
    };
    let (w, h) = qr_size(url, quiet).unwrap_or((0, 0));
    let width = (w as u16 + 2)
        .max(url.chars().count() as u16 + 2)
        .min(area.width);
    let rect = centered(area, width, h as u16 + 4);
    let (inner, block) = popup(frame, rect, " Scan for the guide (Esc closes) ", theme);
    frame.render_widget(block, rect);
    let code_x = inner.x + inner.width.saturating_sub(w as u16) / 2;
    for (i, line) in lines.iter().enumerate() {
        let row = Rect::new(code_x, inner.y + i as u16, w as u16, 1);
        frame.render_widget(Paragraph::new(Span::styled(line.as_str(), theme.qr())), row);
    }
    let url_row = Rect::new(inner.x, inner.y + h as u16 + 1, inner.width, 1);
    frame.render_widget(Paragraph::new(Span::styled(url, theme.link())), url_row);
}
