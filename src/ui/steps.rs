//! The steps screen: header, progress, the ordered steps with their badges and
//! the NEXT marker, the guidance panel (or "ready"), and the banner.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Link, Theme, cells};
use crate::guidance::{LinkKind, guidance, step_title};
use crate::steps::{Columns, Mark, Status, StatusFilter, rows_with_next};
use crate::text::{Lang, num};
use crate::tr;
use crate::wizard::session::{Remedy, VehicleSession, WatchShown};
use crate::wizard::state::{Banner, BannerKind, State};

pub(crate) const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) -> Option<Link> {
    let session = state.session()?;
    let lang = state.lang();
    let shown = session
        .banner()
        .map(|b| crate::wizard::keymap::shown(state, b, Some(session.car())));
    let banner_height = match &shown {
        // Whole when it fits in a third of the screen (a URL wraps long).
        Some(b) => banner_lines(b, area.width, state.lang()).min((area.height / 3).max(4)) + 2,
        None => 0,
    };
    let [header, progress, body, banner] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(banner_height),
    ])
    .areas(area);
    draw_header(frame, header, state, session, theme);
    draw_progress(frame, progress, state, session, theme);
    if let Some(b) = &shown {
        draw_banner(frame, banner, b, theme, state.lang());
    }

    // The list on top at its natural height (up to half the body), the
    // guidance below at full width, where long sentences read best.
    // Without a list, the words in its place get the lines they need, so
    // a long one is not cut at one line.
    let held = (state.limited_for().is_some(), state.now());
    let rows = match no_list_text(lang, session, held) {
        Some(text) => cells(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .line_count(body.width.saturating_sub(2)),
        ),
        None => cells(session.shown().len().max(1)),
    }
    .saturating_add(2);
    let [list, guide] = Layout::vertical([
        Constraint::Length(rows.min(body.height / 2).max(3)),
        Constraint::Min(0),
    ])
    .areas(body);
    draw_list(frame, list, lang, session, theme, held);
    if session.all_done() && session.filter() == StatusFilter::All {
        draw_ready(frame, guide, session, lang, theme);
        None
    } else {
        draw_guidance(frame, guide, state, session, theme)
    }
}

fn draw_header(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    session: &VehicleSession,
    theme: Theme,
) {
    let lang = state.lang();
    // Each part with the rank it is left out at when the line is too
    // narrow (highest first): the gateway's address, then the time, then
    // the stepsID; the vehicle, the customer's language and watch stay.
    let mut parts = vec![(
        Span::raw(tr!(lang, "header-car", car = session.car().to_owned())),
        0,
    )];
    // The customer's guidance language, when it is not the technician's.
    if state.guide_lang() != lang {
        parts.push((
            Span::styled(
                tr!(lang, "header-guide-lang", lang = state.guide_lang().code()),
                theme.info(),
            ),
            0,
        ));
    }
    parts.push((
        Span::raw(tr!(
            lang,
            "header-steps-id",
            id = session.steps_id().unwrap_or("-").to_owned()
        )),
        1,
    ));
    parts.push((Span::raw(state.options().backend_label.clone()), 3));
    let time = match session.last_refresh() {
        Some(at) => {
            let stamp = humantime::format_rfc3339_seconds(at).to_string();
            let time = stamp.get(11..19).unwrap_or(&stamp).to_owned();
            tr!(lang, "header-at", time = time)
        }
        None => tr!(lang, "header-not-loaded"),
    };
    parts.push((Span::raw(time), 2));
    if let Some(secs) = state.limited_for() {
        parts.push((
            Span::styled(tr!(lang, "limited-wait", secs = secs), theme.error()),
            0,
        ));
    }
    parts.push((
        match session.watch_shown() {
            WatchShown::Off => Span::raw(tr!(lang, "header-watch-off")),
            WatchShown::On => Span::styled(tr!(lang, "header-watch-on"), theme.info()),
            WatchShown::Live => Span::styled(tr!(lang, "header-watch-live"), theme.info()),
            WatchShown::Retrying => Span::styled(tr!(lang, "header-watch-retrying"), theme.error()),
            WatchShown::Polling(every) => {
                // Whole seconds, rounded up: never sooner than said.
                let secs = every.as_millis().div_ceil(1000);
                let secs = usize::try_from(secs).unwrap_or(usize::MAX);
                Span::styled(
                    tr!(lang, "header-watch-polling", secs = num(secs)),
                    theme.info(),
                )
            }
        },
        0,
    ));
    if session.autoplay() {
        parts.push((Span::styled(tr!(lang, "header-autoplay"), theme.info()), 0));
    }
    let line = super::header_line(theme, &parts, area.width);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_progress(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    session: &VehicleSession,
    theme: Theme,
) {
    let lang = state.lang();
    let mut spans = vec![Span::raw(" ")];
    // Progress is told by the whole list only: a filtered view never claims
    // completion.
    if let Some(list) = session.whole() {
        let total = list.steps.len();
        let done = list.done_count();
        let width = 20usize;
        let filled = (done.saturating_mul(width)).checked_div(total).unwrap_or(0);
        spans.push(Span::styled("█".repeat(filled), theme.done()));
        spans.push(Span::styled("░".repeat(width - filled), theme.dim()));
        spans.push(Span::raw(format!(
            " {}",
            tr!(lang, "progress-done", done = num(done), total = num(total))
        )));
    }
    if session.filter() != StatusFilter::All {
        let shown = session.shown().len();
        spans.push(Span::styled(
            format!(
                " {}",
                tr!(
                    lang,
                    "progress-filtered",
                    filter = session.filter().as_wire(),
                    shown = num(shown)
                )
            ),
            theme.info(),
        ));
    }
    if let Some(flight) = session.in_flight() {
        // Nothing is sent while a 429's pause lasts: said held, not asking.
        let what = if state.limited_for().is_some() {
            tr!(lang, "loading-held", what = flight.what.clone())
        } else {
            format!("{}…", flight.what)
        };
        spans.push(Span::styled(
            format!("  {} {what}", SPINNER[state.spinner() % SPINNER.len()]),
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

/// What stands where the list would: why there is none, or that it is
/// empty; `None` when there are steps to show.
/// `held`: a 429's pause holds every request, and the time now (a
/// vehicle's own Retry-After may hold its watch).
fn no_list_text(
    lang: Lang,
    session: &VehicleSession,
    (held, now): (bool, std::time::SystemTime),
) -> Option<String> {
    if session.list().is_some_and(|l| !l.steps.is_empty()) {
        return None;
    }
    Some(match (session.list(), session.in_flight()) {
        (None, Some(_)) if held => tr!(lang, "list-loading-held"),
        (None, Some(_)) => tr!(lang, "list-loading"),
        // Not `i` when the banner says it would fail the same way
        // (stranger 45, AT10).
        (None, None)
            if session.refused_token() && session.banner().is_some_and(|b| b.futile_sign_in) =>
        {
            tr!(lang, "list-none-token-given")
        }
        (None, None) if session.refused_token() => tr!(lang, "list-none-sign-in"),
        // Watch keeps the wait the failure asked: r is no way on, and the
        // panel does not say it is (stranger 65, BN6).
        (None, None) if session.watch() && !session.may_ask(now) => {
            tr!(lang, "list-none-waiting")
        }
        (None, None) => match session.remedy() {
            Some(Remedy::OtherId) => tr!(lang, "list-none-unknown-id"),
            Some(Remedy::FixCause) => tr!(lang, "list-none-fix-cause"),
            None => tr!(lang, "list-none"),
        },
        (Some(_), _) if session.filter() != StatusFilter::All => {
            tr!(
                lang,
                "list-empty-filtered",
                filter = session.filter().as_wire()
            )
        }
        (Some(_), _) => tr!(lang, "list-empty"),
    })
}

fn draw_list(
    frame: &mut Frame,
    area: Rect,
    lang: Lang,
    session: &VehicleSession,
    theme: Theme,
    held: (bool, std::time::SystemTime),
) {
    let title = match session.filter() {
        StatusFilter::All => tr!(lang, "list-title"),
        other => tr!(lang, "list-title-filtered", filter = other.as_wire()),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" {title} "));
    let Some(list) = session.list().filter(|l| !l.steps.is_empty()) else {
        let text = no_list_text(lang, session, held).unwrap_or_default();
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return;
    };
    let next = session.next_step().map(|s| s.name.as_str());
    let rows = rows_with_next(list, next);
    // Only the rows that fit are built (a gateway may send thousands): a
    // window that keeps the selection in view.
    let room = usize::from(area.height.saturating_sub(2)).max(1);
    let selected = session.selected().min(rows.len().saturating_sub(1));
    let first = selected.saturating_sub(room - 1);
    let visible = &rows[first..rows.len().min(first + room)];
    let titles: Vec<String> = visible
        .iter()
        .map(|r| step_title(lang, &r.step.name))
        .collect();
    let widths = Columns::of(visible, titles.iter().map(String::as_str));
    // The NEXT marker always shows whole, in any language. In a narrow
    // window the raw names (dim, for the technician) give way to the titles,
    // and a title still too long ends in "…" rather than being cut silently.
    let next_word = tr!(lang, "mark-next");
    let note = (next_word.chars().count() + 2)
        .max(tr!(lang, "mark-waits").chars().count() + 1)
        .max(6);
    // Borders, the highlight symbol, the badge and the gaps between columns.
    let badge = crate::steps::badge_width(lang);
    let inner = usize::from(area.width).saturating_sub(2 + 2 + badge);
    let fixed = widths.order + note + 3;
    let show_name = fixed + widths.title + widths.name < inner;
    let title_room = if show_name {
        widths.title
    } else {
        inner.saturating_sub(fixed).max(1)
    };
    let titles: Vec<String> = titles
        .into_iter()
        .map(|t| super::ellipsis(&t, title_room))
        .collect();
    let table_rows: Vec<Row> = visible
        .iter()
        .zip(&titles)
        .map(|(row, title)| {
            // " NEXT " is a marker with a space either side: "waits" starts
            // where its word does.
            let note = match row.mark {
                Mark::Next => Span::styled(format!(" {next_word} "), theme.next_marker()),
                Mark::Waits { for_order: Some(o) } if area.width >= 80 => Span::styled(
                    format!(" {}", tr!(lang, "mark-waits-for", order = o)),
                    theme.dim(),
                ),
                Mark::Waits { .. } => {
                    Span::styled(format!(" {}", tr!(lang, "mark-waits")), theme.dim())
                }
                Mark::None => Span::raw(""),
            };
            let mut row_cells = vec![
                Cell::from(Span::styled(
                    row.step.status.badge_in(lang),
                    badge_style(&row.step.status, theme),
                )),
                Cell::from(row.order.clone()),
                Cell::from(title.clone()),
            ];
            if show_name {
                row_cells.push(Cell::from(Span::styled(row.step.name.clone(), theme.dim())));
            }
            row_cells.push(Cell::from(note));
            Row::new(row_cells)
        })
        .collect();
    let mut constraints = vec![
        Constraint::Length(cells(badge)),
        Constraint::Length(cells(widths.order)),
        Constraint::Length(cells(title_room)),
    ];
    if show_name {
        constraints.push(Constraint::Max(cells(widths.name)));
    }
    constraints.push(Constraint::Min(cells(note)));
    let block = more_rows(block, lang, theme, first, visible.len(), rows.len());
    let table = Table::new(table_rows, constraints)
        .block(block)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let mut table_state = TableState::default().with_selected(Some(selected - first));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The steps box's bottom border says how many rows lie below (or above)
/// the ones that fit, so a cut list is never cut silently (stranger 50,
/// AY5).
fn more_rows<'a>(
    block: Block<'a>,
    lang: Lang,
    theme: Theme,
    first: usize,
    shown: usize,
    total: usize,
) -> Block<'a> {
    let below = total.saturating_sub(first + shown);
    // Rows hidden on both sides are both said (stranger 67, BP11).
    let mark = match (first > 0, below > 0) {
        (true, true) => format!(
            "{} · {}",
            tr!(lang, "list-more-above", count = first),
            tr!(lang, "list-more-below", count = below)
        ),
        (false, true) => tr!(lang, "list-more-below", count = below),
        (true, false) => tr!(lang, "list-more-above", count = first),
        (false, false) => return block,
    };
    block.title_bottom(Line::from(Span::styled(format!(" {mark} "), theme.info())).right_aligned())
}

/// The guidance panel while no step is selected: why.
fn draw_no_step(frame: &mut Frame, area: Rect, session: &VehicleSession, lang: Lang) {
    let text = if session.list().is_some() {
        tr!(lang, "guide-no-step")
    } else {
        tr!(lang, "guide-waiting")
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" {} ", tr!(lang, "guide-title-none")));
    let paragraph = Paragraph::new(text).wrap(Wrap { trim: true });
    let block = with_cut_mark(block, &paragraph, area, lang, "banner-cut");
    frame.render_widget(paragraph.block(block), area);
}

fn draw_guidance(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    session: &VehicleSession,
    theme: Theme,
) -> Option<Link> {
    let lang = state.lang();
    let Some(step) = session.selected_step() else {
        draw_no_step(frame, area, session, lang);
        return None;
    };
    let g = guidance();
    let guide = g.for_step(&step.name);
    // What the customer reads is in the customer's language; the key hints
    // stay in the technician's.
    let customer = state.guide_lang();
    let words = guide.text(customer, &step.name);
    let title = format!(
        " {} ",
        tr!(customer, "guide-title", title = words.title.clone())
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);

    let link = state.technician_link(Some(&step.name));
    let url = link.url.clone();
    let guide_label = match link.kind {
        LinkKind::Archive => tr!(lang, "guide-link-archive"),
        LinkKind::Dealer | LinkKind::Gateway => tr!(lang, "guide-link"),
    };
    let label_width = guide_label.chars().count() + 1;
    // The link leads when it fits on one line (then it is a terminal
    // hyperlink); a longer one follows its label, wrapped.
    let link_fits =
        label_width + url.chars().count() <= usize::from(inner.width) && inner.height > 0;
    let mut lines: Vec<Line> = Vec::new();
    if link_fits {
        lines.push(Line::from(vec![
            Span::styled(format!("{guide_label} "), theme.dim()),
            Span::styled(url.clone(), theme.link()),
        ]));
    } else {
        lines.push(Line::from(Span::styled(guide_label, theme.dim())));
        lines.push(Line::from(Span::styled(url.clone(), theme.link())));
    }
    lines.push(Line::from(words.purpose));
    lines.push(Line::from(Span::styled(
        tr!(customer, "guide-does"),
        theme.title(),
    )));
    for (i, action) in words.does.iter().enumerate() {
        lines.push(Line::from(format!(" {}. {action}", i + 1)));
    }
    lines.push(Line::from(Span::styled(
        tr!(customer, "guide-needs"),
        theme.title(),
    )));
    for need in &words.needs {
        lines.push(Line::from(format!(" • {need}")));
    }
    if !guide.errors.is_empty() {
        let codes: Vec<String> = guide.errors.iter().map(i64::to_string).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", tr!(customer, "guide-errors")), theme.title()),
            Span::raw(codes.join(" ")),
            Span::styled(
                format!(" ({})", tr!(lang, "guide-errors-hint")),
                theme.dim(),
            ),
        ]));
    }
    let page = state.customer_link(Some(&step.name));
    lines.push(Line::from(Span::styled(
        match page.kind {
            LinkKind::Gateway => tr!(lang, "guide-keys-gateway", lang = state.guide_lang().code()),
            LinkKind::Dealer => tr!(lang, "guide-keys-dealer"),
            LinkKind::Archive => tr!(lang, "guide-keys-archive"),
        },
        theme.dim(),
    )));
    // Scrolled by PgUp/PgDn; the bottom border says when more lies below
    // or above, so nothing is cut silently.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = cells(paragraph.line_count(inner.width));
    let max_scroll = total.saturating_sub(inner.height);
    let scroll = session.guide_scroll().min(max_scroll);
    let block = scroll_mark(block, (scroll, max_scroll), lang, theme);
    frame.render_widget(block, area);
    frame.render_widget(paragraph.scroll((scroll, 0)), inner);
    (link_fits && scroll == 0).then(|| Link {
        x: inner.x.saturating_add(cells(label_width)),
        y: inner.y,
        text: url.clone(),
        url,
    })
}

/// `block` with a mark on its bottom border where its text, scrolled to
/// `scroll` of `max_scroll`, has more below or above.
fn scroll_mark(
    block: Block<'_>,
    (scroll, max_scroll): (u16, u16),
    lang: Lang,
    theme: Theme,
) -> Block<'_> {
    let mark = if scroll < max_scroll {
        tr!(lang, "guide-more-below")
    } else if scroll > 0 {
        tr!(lang, "guide-more-above")
    } else {
        return block;
    };
    block.title_bottom(Line::from(Span::styled(format!(" {mark} "), theme.info())).right_aligned())
}

/// The panel of a vehicle whose every step is done; scrolled as the
/// guidance is (PgDn/PgUp), with a mark where more is below or above: on
/// a small screen its last sentence, the stale cache's cure, must not be
/// cut unseen (stranger 66, BO5).
fn draw_ready(frame: &mut Frame, area: Rect, session: &VehicleSession, lang: Lang, theme: Theme) {
    let block = Block::new().borders(Borders::ALL).title(Span::styled(
        format!(" ✔ {} ", tr!(lang, "ready-title")),
        theme.success(),
    ));
    let lines = vec![
        Line::from(Span::styled(tr!(lang, "ready-line"), theme.success())),
        Line::from(""),
        Line::from(tr!(lang, "ready-services")),
        Line::from(""),
        Line::from(vec![
            Span::raw(tr!(lang, "ready-stale-before")),
            Span::styled("R", theme.key()),
            Span::raw(tr!(lang, "ready-stale-after")),
        ]),
    ];
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: true });
    let inner = block.inner(area);
    let max_scroll = cells(paragraph.line_count(inner.width)).saturating_sub(inner.height);
    let scroll = session.guide_scroll().min(max_scroll);
    let block = scroll_mark(block, (scroll, max_scroll), lang, theme);
    frame.render_widget(block, area);
    frame.render_widget(paragraph.scroll((scroll, 0)), inner);
}

/// Lines the banner's text takes when wrapped at word boundaries, as the
/// paragraph will wrap it.
pub(crate) fn banner_lines(banner: &Banner, width: u16, lang: Lang) -> u16 {
    let usable = usize::from(width.saturating_sub(2).max(1));
    let text = format!(
        "{}  {}{}{}",
        '✔',
        banner.title,
        tr!(lang, "banner-title-sep"),
        banner.text
    );
    let mut lines: usize = 1;
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
    cells(lines)
}

/// `block` with a mark on its bottom border when `paragraph` has more lines
/// than `area` shows: a cut sentence must not read as the whole advice.
pub(crate) fn with_cut_mark<'a>(
    block: Block<'a>,
    paragraph: &Paragraph,
    area: Rect,
    lang: Lang,
    mark: &'static str,
) -> Block<'a> {
    let inner = area.height.saturating_sub(2);
    if cells(paragraph.line_count(area.width.saturating_sub(2))) > inner {
        block.title_bottom(Line::from(crate::text::message(lang, mark, None)).right_aligned())
    } else {
        block
    }
}

pub(crate) fn draw_banner(
    frame: &mut Frame,
    area: Rect,
    banner: &Banner,
    theme: Theme,
    lang: Lang,
) {
    let (symbol, style) = match banner.kind {
        BannerKind::Info => ("ℹ", theme.info()),
        BannerKind::Success => ("✔", theme.success()),
        BannerKind::Error => ("✖", theme.error()),
    };
    let block = Block::new().borders(Borders::ALL).border_style(style);
    let head = format!("{symbol} {}{}", banner.title, tr!(lang, "banner-title-sep"));
    let paragraph = |text: String| {
        Paragraph::new(Line::from(vec![
            Span::styled(head.clone(), style),
            Span::raw(text),
        ]))
        .wrap(Wrap { trim: true })
    };
    let full = paragraph(banner.text.clone());
    // Cut short, `?` shows it whole (help's first lines).
    let block = with_cut_mark(block, &full, area, lang, "banner-cut-help");
    // Cut short, the advice keeps its last sentence (what to do) and drops
    // the middle, marked with "…".
    let fits = |p: &Paragraph| {
        cells(p.line_count(area.width.saturating_sub(2))) <= area.height.saturating_sub(2)
    };
    let shown = if fits(&full) {
        full
    } else {
        shortened(&banner.text)
            .into_iter()
            .find_map(|form| match form {
                Short::Whole(text) => {
                    let candidate = paragraph(text);
                    fits(&candidate).then_some(candidate)
                }
                Short::Advice { first, rest } => {
                    fitted_first(&first, &rest, |text| fits(&paragraph(text.to_owned())))
                        .map(paragraph)
                }
            })
            .unwrap_or(full)
    };
    frame.render_widget(shown.block(block), area);
}

/// A shorter form of a banner's text (see [`shortened`]).
enum Short {
    /// Drawn as it is.
    Whole(String),
    /// The first sentence (the cause) cut in its middle, as many of its
    /// first and last words as fit around "…", then `rest` (the advice).
    Advice { first: String, rest: String },
}

/// Shorter forms of a banner's text that keep its advice (the sentences
/// after the first), longest advice first: for each, the first sentence
/// whole with "…" for the sentences dropped between, then the first
/// sentence cut in its middle (stranger 76, BY5: a long address in the
/// cause must not push the fix out while rows stay empty).
fn shortened(text: &str) -> Vec<Short> {
    let ends: Vec<usize> = text
        .trim_end_matches('.')
        .match_indices(". ")
        .map(|(i, _)| i + 2)
        .collect();
    let Some(&first_end) = ends.first() else {
        return Vec::new();
    };
    let first = &text[..first_end - 1];
    let mut forms = Vec::new();
    for (n, &start) in ends.iter().enumerate() {
        let rest = &text[start..];
        if n > 0 {
            forms.push(Short::Whole(format!("{first} … {rest}")));
        }
        forms.push(Short::Advice {
            first: first.to_owned(),
            rest: rest.to_owned(),
        });
    }
    forms
}

/// `first` cut in its middle so that "front … back rest" fits: words are
/// taken from the front and the back in turn while `fits` allows, and the
/// longest that fits is returned; `None` when even "… rest" does not fit.
fn fitted_first(first: &str, rest: &str, fits: impl Fn(&str) -> bool) -> Option<String> {
    let words: Vec<&str> = first.split(' ').collect();
    let form = |front: usize, back: usize| {
        let mut text = words[..front].join(" ");
        if !text.is_empty() {
            text.push(' ');
        }
        text.push('…');
        for word in &words[words.len() - back..] {
            text.push(' ');
            text.push_str(word);
        }
        text.push(' ');
        text.push_str(rest);
        text
    };
    let (mut front, mut back) = (0, 0);
    fits(&form(0, 0)).then_some(())?;
    loop {
        let mut grew = false;
        if front + back < words.len() && fits(&form(front + 1, back)) {
            front += 1;
            grew = true;
        }
        if front + back < words.len() && fits(&form(front, back + 1)) {
            back += 1;
            grew = true;
        }
        if !grew {
            break;
        }
    }
    Some(form(front, back))
}
