//! The steps screen: header, progress, the ordered steps with their badges and
//! the NEXT marker, the guidance panel (or "ready"), and the banner.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Link, Theme};
use crate::guidance::{doc_url, guidance};
use crate::steps::{Status, StatusFilter};
use crate::wizard::state::{Banner, BannerKind, State};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) -> Option<Link> {
    let banner_height = match &state.banner {
        Some(b) => banner_lines(b, area.width).min(4) + 2,
        None => 0,
    };
    let [header, progress, body, banner] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(banner_height),
    ])
    .areas(area);
    draw_header(frame, header, state, theme);
    draw_progress(frame, progress, state, theme);
    if let Some(b) = &state.banner {
        draw_banner(frame, banner, b, theme);
    }

    // The list on top at its natural height (up to half the body), the
    // guidance below at full width, where long sentences read best.
    let rows = state.shown().len().max(1) as u16 + 2;
    let [list, guide] = Layout::vertical([
        Constraint::Length(rows.min(body.height / 2).max(3)),
        Constraint::Min(0),
    ])
    .areas(body);
    draw_list(frame, list, state, theme);
    if state.all_done() {
        draw_ready(frame, guide, theme);
        None
    } else {
        draw_guidance(frame, guide, state, theme)
    }
}

fn draw_header(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let sep = || Span::styled(" │ ", theme.dim());
    let mut spans = vec![
        Span::styled(" stepwise", theme.title()),
        sep(),
        Span::raw(format!("car {}", state.car.as_deref().unwrap_or("-"))),
        sep(),
        Span::raw(format!(
            "stepsID {}",
            state.steps_id.as_deref().unwrap_or("-")
        )),
        sep(),
        Span::raw(state.backend_label.as_str()),
        sep(),
    ];
    match state.last_refresh {
        Some(at) => {
            let stamp = humantime::format_rfc3339_seconds(at).to_string();
            let time = stamp.get(11..19).unwrap_or(&stamp).to_owned();
            spans.push(Span::raw(format!("at {time} UTC")));
        }
        None => spans.push(Span::raw("not loaded")),
    }
    spans.push(sep());
    spans.push(if state.watch {
        Span::styled("watch ON", theme.info())
    } else {
        Span::raw("watch off")
    });
    if state.autoplay {
        spans.push(sep());
        spans.push(Span::styled("autoplay", theme.info()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_progress(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let mut spans = vec![Span::raw(" ")];
    if let Some(list) = &state.list {
        let total = list.steps.len();
        let done = list.done_count();
        let width = 20usize;
        let filled = (done * width).checked_div(total).unwrap_or(0);
        spans.push(Span::styled("█".repeat(filled), theme.done()));
        spans.push(Span::styled("░".repeat(width - filled), theme.dim()));
        let filter = match state.filter {
            StatusFilter::All => String::new(),
            other => format!(" (filter: {other})"),
        };
        spans.push(Span::raw(format!(" {done} of {total} done{filter}")));
    }
    if let Some(flight) = &state.in_flight {
        spans.push(Span::styled(
            format!(
                "  {} {}…",
                SPINNER[state.spinner % SPINNER.len()],
                flight.what
            ),
            theme.info(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn badge_style(status: &Status, theme: Theme) -> Style {
    match status {
        Status::AlreadyDone => theme.done(),
        Status::Todo => theme.todo(),
        Status::Other(_) => theme.unknown(),
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let title = match state.filter {
        StatusFilter::All => " Steps, in order ".to_owned(),
        other => format!(" Steps: {other} only "),
    };
    let block = Block::new().borders(Borders::ALL).title(title);
    let steps = state.shown();
    if steps.is_empty() {
        let text = match (&state.list, &state.in_flight) {
            (None, Some(_)) => "Asking the gateway for the steps…".to_owned(),
            (None, None) => "No list yet: press r to ask again.".to_owned(),
            (Some(_), _) if state.filter != StatusFilter::All => {
                format!("No step is {}. Press f to change the filter.", state.filter)
            }
            (Some(_), _) => "The gateway returned no steps for this carAssociationID.".to_owned(),
        };
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return;
    }
    let next = state.list.as_ref().and_then(|l| l.next_index());
    let next_order = next.and_then(|i| steps[i].order);
    let rows: Vec<Row> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let note = match next {
                Some(n) if n == i => Span::styled(" NEXT ", theme.next_marker()),
                Some(n) if n < i && !step.status.is_done() => Span::styled(
                    match next_order {
                        Some(o) if area.width >= 80 => format!("waits for {o}"),
                        _ => "waits".to_owned(),
                    },
                    theme.dim(),
                ),
                _ => Span::raw(""),
            };
            let order = step.order.map_or("-".to_owned(), |o| o.to_string());
            Row::new(vec![
                Cell::from(Span::styled(
                    format!("[{}]", step.status.badge()),
                    badge_style(&step.status, theme),
                )),
                Cell::from(order),
                Cell::from(step.title().to_owned()),
                Cell::from(Span::styled(step.name.clone(), theme.dim())),
                Cell::from(note),
            ])
        })
        .collect();
    let order_width = steps
        .iter()
        .map(|s| s.order.map_or(1, |o| o.to_string().len()))
        .max()
        .unwrap_or(1) as u16;
    let title_width = steps
        .iter()
        .map(|s| s.title().chars().count())
        .max()
        .unwrap_or(0) as u16;
    let name_width = steps
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0) as u16;
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(order_width),
            Constraint::Max(title_width),
            Constraint::Max(name_width),
            Constraint::Min(6),
        ],
    )
    .block(block)
    .row_highlight_style(theme.selected())
    .highlight_symbol("▶ ");
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn draw_guidance(frame: &mut Frame, area: Rect, state: &State, theme: Theme) -> Option<Link> {
    let Some(step) = state.selected_step() else {
        let text = if state.list.is_some() {
            "No step to guide. If the customer's app still refuses the service, check the \
             carAssociationID, or reset the steps cache with R."
        } else {
            "The guidance for the next step appears when the list arrives."
        };
        let block = Block::new().borders(Borders::ALL).title(" Guidance ");
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return None;
    };
    let g = guidance();
    let guide = g.for_step(&step.name);
    let title = format!(" How the customer does it: {} ", step.title());
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let url = doc_url(&state.docs_base_url, &guide.doc_path);
    // The link leads when it fits on one line; in a narrow window g and o
    // still give it.
    let link_fits = 7 + url.chars().count() <= inner.width as usize && inner.height > 0;
    let mut lines: Vec<Line> = Vec::new();
    if link_fits {
        lines.push(Line::from(vec![
            Span::styled("Guide: ", theme.dim()),
            Span::styled(url.clone(), theme.link()),
        ]));
    }
    lines.push(Line::from(guide.purpose.as_str()));
    lines.push(Line::from(Span::styled(
        "The customer does:",
        theme.title(),
    )));
    for (i, action) in guide.does.iter().enumerate() {
        lines.push(Line::from(format!(" {}. {action}", i + 1)));
    }
    lines.push(Line::from(Span::styled("At hand:", theme.title())));
    for need in &guide.needs {
        lines.push(Line::from(format!(" • {need}")));
    }
    if !guide.errors.is_empty() {
        let codes: Vec<String> = guide.errors.iter().map(i64::to_string).collect();
        lines.push(Line::from(vec![
            Span::styled("App errors of this step: ", theme.title()),
            Span::raw(codes.join(" ")),
            Span::styled(" (e explains)", theme.dim()),
        ]));
    }
    if !link_fits {
        lines.push(Line::from(Span::styled(
            "g shows the guide's link as a QR code, o opens it.",
            theme.dim(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    link_fits.then(|| Link {
        x: inner.x + 7,
        y: inner.y,
        text: url.clone(),
        url,
    })
}

fn draw_ready(frame: &mut Frame, area: Rect, theme: Theme) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(" ✔ Service ready ", theme.success()));
    let lines = vec![
        Line::from(Span::styled(
            "Every step is done: the service is ready to use.",
            theme.success(),
        )),
        Line::from(""),
        Line::from("Vehicle Status or Remote Commands can now be used from the customer's app."),
        Line::from(""),
        Line::from(vec![
            Span::raw(
                "If the app still fails with error 2312 or 2317, the steps cache is stale: press ",
            ),
            Span::styled("R", theme.key()),
            Span::raw(" to reset it and see the truth."),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}

/// Lines the banner's text takes when wrapped at word boundaries, as the
/// paragraph will wrap it.
fn banner_lines(banner: &Banner, width: u16) -> u16 {
    let usable = width.saturating_sub(2).max(1) as usize;
    let text = format!("{}  {}: {}", '✔', banner.title, banner.text);
    let mut lines = 1;
    let mut used = 0;
    for word in text.split(' ') {
        let len = word.chars().count();
        let needed = if used == 0 { len } else { used + 1 + len };
        if needed <= usable {
            used = needed;
        } else {
            lines += 1 + (len.saturating_sub(1)) / usable;
            used = len % usable;
        }
    }
    u16::try_from(lines).unwrap_or(u16::MAX)
}

fn draw_banner(frame: &mut Frame, area: Rect, banner: &Banner, theme: Theme) {
    let (symbol, style) = match banner.kind {
        BannerKind::Info => ("ℹ", theme.info()),
        BannerKind::Success => ("✔", theme.success()),
        BannerKind::Error => ("✖", theme.error()),
    };
    let block = Block::new().borders(Borders::ALL).border_style(style);
    let text = Line::from(vec![
        Span::styled(format!("{symbol} {}: ", banner.title), style),
        Span::raw(banner.text.as_str()),
    ]);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
        area,
    );
}
