//! The board: a header, the summary line (ready, in progress, failing), one
//! row per vehicle (id, progress, next step, freshness, error), the add or
//! remove prompt, and the board's banner. Only the rows that fit are built,
//! so thousands of vehicles cost no more to draw than a screenful.

use std::time::{Duration, SystemTime};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::Theme;
use super::steps::{SPINNER, draw_banner};
use crate::guidance::step_title;
use crate::text::{Lang, num};
use crate::tr;
use crate::wizard::board::{Board, Standing, progress, standing};
use crate::wizard::session::{VehicleSession, WatchShown};
use crate::wizard::state::{BannerKind, State};

/// Below this width the progress bar and the error column give way.
const WIDE: u16 = 90;
/// Cells of the progress bar.
const BAR: usize = 10;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let Some(board) = state.board() else {
        return;
    };
    let lang = state.lang();
    // The add field's notice wraps (up to four lines), as on the start
    // screen: a cut sentence must not read as the whole advice.
    let notice = add_notice(lang, board, theme);
    let notice_lines = notice.as_ref().map_or(0, |p| {
        u16::try_from(p.line_count(area.width))
            .unwrap_or(4)
            .clamp(1, 4)
    });
    let prompt_height =
        u16::from(board.adding().is_some() || board.pending_removal().is_some()) + notice_lines;
    // The banner wraps, as on the steps screen, up to a third of the screen.
    let shown = board
        .banner()
        .map(|b| crate::wizard::keymap::shown(state, b, None));
    let banner_height = shown.as_ref().map_or(0, |b| {
        super::steps::banner_lines(b, area.width, lang).min((area.height / 3).max(1)) + 2
    });
    let [header, summary, table, prompt, banner] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(prompt_height),
        Constraint::Length(banner_height),
    ])
    .areas(area);
    draw_header(frame, header, state, board, theme);
    draw_summary(frame, summary, state, board, theme);
    draw_rows(frame, table, state, board, theme);
    draw_prompt(frame, prompt, lang, board, theme, notice);
    if let Some(b) = &shown {
        draw_banner(frame, banner, b, theme, lang);
    }
}

fn draw_header(frame: &mut Frame, area: Rect, state: &State, board: &Board, theme: Theme) {
    let lang = state.lang();
    let live = board.sessions().iter().any(VehicleSession::watch);
    // How the watched lists are followed: the gateway's event stream, else
    // conditional polls (the first follower to say so tells).
    let polling = board.sessions().iter().find_map(|s| match s.watch_shown() {
        WatchShown::Polling(every) => Some(every),
        _ => None,
    });
    let live = if let Some(every) = polling {
        let secs = usize::try_from(every.as_secs()).unwrap_or(usize::MAX);
        Span::styled(
            tr!(lang, "board-live-polling-short", secs = num(secs)),
            theme.info(),
        )
    } else if live {
        Span::styled(tr!(lang, "board-live-on-short"), theme.info())
    } else {
        Span::raw(tr!(lang, "board-live-off-short"))
    };
    let count = Span::raw(tr!(lang, "board-title", count = num(board.len())));
    let sorted = Span::raw(tr!(
        lang,
        "board-sorted-by",
        key = crate::text::message(lang, board.sort().label_id(), None)
    ));
    let backend = Span::raw(state.options().backend_label.clone());
    // Where the line is too narrow the gateway's address goes first, then
    // the sort: how many vehicles and whether the board is live always show.
    let parts = [(count, 0), (backend, 2), (sorted, 1), (live, 0)];
    let line = super::header_line(theme, &parts, area.width);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_summary(frame: &mut Frame, area: Rect, state: &State, board: &Board, theme: Theme) {
    let lang = state.lang();
    let sum = board.summary();
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(
            tr!(lang, "board-summary-ready", n = num(sum.ready)),
            theme.success(),
        ),
        Span::styled(" · ", theme.dim()),
        Span::raw(tr!(
            lang,
            "board-summary-in-progress",
            n = num(sum.in_progress)
        )),
        Span::styled(" · ", theme.dim()),
        Span::styled(
            tr!(lang, "board-summary-failing", n = num(sum.failing)),
            if sum.failing > 0 {
                theme.error()
            } else {
                Style::default()
            },
        ),
    ];
    if sum.loading > 0 {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(
            tr!(lang, "board-summary-loading", n = num(sum.loading)),
            theme.dim(),
        ));
    }
    // Every request waits out a 429: rows asked again say no more. Where
    // the line is too narrow for all, the wait goes first: it is what
    // explains the rows.
    if let Some(secs) = state.limited_for() {
        let wait = Span::styled(tr!(lang, "limited-wait", secs = secs), theme.error());
        let width: usize = spans.iter().map(Span::width).sum::<usize>() + 3 + wait.width();
        if width > usize::from(area.width) {
            spans.splice(1..1, [wait, Span::styled(" · ", theme.dim())]);
        } else {
            spans.push(Span::styled(" · ", theme.dim()));
            spans.push(wait);
        }
    }
    // Counts that do not fit go whole, said by "…", never cut mid-word.
    let room = usize::from(area.width);
    if spans.iter().map(Span::width).sum::<usize>() > room {
        while spans.len() > 2 && spans.iter().map(Span::width).sum::<usize>() + 2 > room {
            spans.truncate(spans.len() - 2);
        }
        spans.push(Span::styled(" …", theme.dim()));
    }
    if board.typing_filter() || !board.filter().is_empty() {
        spans.push(Span::styled(" │ ", theme.dim()));
        spans.push(Span::styled(tr!(lang, "board-filter"), theme.key()));
        spans.push(Span::raw(format!(" {}", board.filter())));
        if board.typing_filter() {
            spans.push(Span::styled("▏", theme.key()));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "12 s ago", "3 min ago", "2 h ago"; "not yet" before the first answer.
/// Ages count whole seconds of the clock, so that every row's text changes
/// at the same tick of the second.
pub fn freshness(lang: Lang, at: Option<SystemTime>, now: SystemTime) -> String {
    let Some(at) = at else {
        return tr!(lang, "board-fresh-never");
    };
    let secs = age_secs(at, now);
    let n = |v: u64| num(usize::try_from(v).unwrap_or(usize::MAX));
    match secs {
        0..60 => tr!(lang, "board-fresh-secs", n = n(secs)),
        60..3600 => tr!(lang, "board-fresh-mins", n = n(secs / 60)),
        _ => tr!(lang, "board-fresh-hours", n = n(secs / 3600)),
    }
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whole seconds of the clock between `at` and `now`.
fn age_secs(at: SystemTime, now: SystemTime) -> u64 {
    epoch_secs(now).saturating_sub(epoch_secs(at))
}

/// How long until a freshness text on the board changes (the moment the
/// column needs a new frame): none while no vehicle has data. A board left
/// alone is drawn once a second while an age is shown in seconds, about
/// once a minute after that, and never otherwise.
pub fn next_change(state: &State, now: SystemTime) -> Option<Duration> {
    let soonest = state
        .board()?
        .sessions()
        .iter()
        .filter_map(VehicleSession::last_refresh)
        .map(|at| changes_at(at, now))
        .min()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(soonest);
    Some(at.duration_since(now).unwrap_or_default())
}

/// The second of the clock (since the epoch) at which the text of data
/// from `at` next changes ("59 s ago" to "1 min ago").
fn changes_at(at: SystemTime, now: SystemTime) -> u64 {
    let age = age_secs(at, now);
    let step = match age {
        0..60 => 1,
        60..3600 => 60,
        _ => 3600,
    };
    epoch_secs(at) + (age / step + 1) * step
}

fn bar(done: usize, total: usize) -> String {
    let filled = done
        .saturating_mul(BAR)
        .checked_div(total)
        .unwrap_or(0)
        .min(BAR);
    format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled))
}

fn draw_rows(frame: &mut Frame, area: Rect, state: &State, board: &Board, theme: Theme) {
    let lang = state.lang();
    let wide = area.width >= WIDE;
    let block = Block::new().borders(Borders::ALL);
    let rows = board.visible(lang);
    if rows.is_empty() {
        let text = if board.is_empty() {
            tr!(lang, "board-empty")
        } else {
            tr!(lang, "board-none-match")
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    // Only the rows that fit are built: a window keeping the selection in
    // view.
    let room = usize::from(area.height.saturating_sub(3)).max(1);
    let selected = board.selected_in(&rows).min(rows.len() - 1);
    let first = selected.saturating_sub(room - 1);
    let shown = &rows[first..rows.len().min(first + room)];
    let spinner = SPINNER[state.spinner() % SPINNER.len()];
    // In a narrow window the next step's column takes what the fixed ones
    // leave (borders, the highlight mark, three gaps), and a title too long
    // for it ends in "…" rather than being cut silently.
    let narrow_next = usize::from(area.width).saturating_sub(2 + 2 + 10 + 8 + 11 + 3);
    let next_room = (!wide).then_some(narrow_next);
    let table_rows: Vec<Row> = shown
        .iter()
        .map(|s| {
            let held = state.limited_for().is_some();
            row(lang, s, state.now(), spinner, next_room, theme, held)
        })
        .collect();
    let mut header = vec![
        if wide {
            tr!(lang, "board-col-car")
        } else {
            tr!(lang, "board-col-car-short")
        },
        if wide {
            tr!(lang, "board-col-progress")
        } else {
            tr!(lang, "board-col-progress-short")
        },
        tr!(lang, "board-col-next"),
        tr!(lang, "board-col-fresh"),
    ];
    let widths: Vec<Constraint> = if wide {
        header.push(tr!(lang, "board-col-error"));
        vec![
            Constraint::Length(17),
            Constraint::Length(u16::try_from(BAR).unwrap_or(10) + 9),
            Constraint::Min(18),
            Constraint::Length(12),
            Constraint::Min(16),
        ]
    } else {
        vec![
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Length(super::cells(narrow_next)),
            Constraint::Length(11),
        ]
    };
    let title = if rows.len() > room {
        format!(
            " {} ",
            tr!(
                lang,
                "board-rows-window",
                from = num(first + 1),
                to = num(first + shown.len()),
                total = num(rows.len())
            )
        )
    } else {
        String::new()
    };
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(theme.dim()))
        .block(block.title(title))
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let mut table_state = TableState::default().with_selected(Some(selected - first));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn row<'a>(
    lang: Lang,
    s: &'a VehicleSession,
    now: SystemTime,
    spinner: char,
    next_room: Option<usize>,
    theme: Theme,
    held: bool,
) -> Row<'a> {
    let wide = next_room.is_none();
    let fit = |text: String| match next_room {
        Some(room) => super::ellipsis(&text, room),
        None => text,
    };
    let (progress_text, progress_bar) = match progress(s) {
        Some((done, total)) => (
            tr!(lang, "board-n-of-m", done = num(done), total = num(total)),
            bar(done, total),
        ),
        None => ("-".to_owned(), " ".repeat(BAR)),
    };
    let standing = standing(s);
    let next = match (standing, s.next_step()) {
        (Standing::Ready, _) => Span::styled(tr!(lang, "board-ready"), theme.success()),
        (Standing::Failing, _) if !wide => error_span(lang, s, theme, held, fit),
        (_, Some(step)) => Span::raw(fit(step_title(lang, &step.name))),
        // Nothing is sent while a 429's pause lasts: held, not asking.
        (_, None) if s.is_loading() && held => Span::styled(tr!(lang, "board-held"), theme.dim()),
        (_, None) if s.is_loading() => Span::styled(tr!(lang, "board-loading"), theme.dim()),
        (_, None) => Span::styled("-", theme.dim()),
    };
    let fresh = if s.is_loading() {
        format!("{spinner} {}", freshness(lang, s.last_refresh(), now))
    } else {
        freshness(lang, s.last_refresh(), now)
    };
    let mut cells = vec![Cell::from(s.car().to_owned())];
    if wide {
        cells.push(Cell::from(Line::from(vec![
            Span::styled(progress_bar, theme.done()),
            Span::raw(format!(" {progress_text}")),
        ])));
    } else {
        cells.push(Cell::from(progress_text));
    }
    cells.push(Cell::from(next));
    cells.push(Cell::from(Span::styled(fresh, theme.dim())));
    if wide {
        cells.push(Cell::from(error_span(lang, s, theme, held, |t| t)));
    }
    Row::new(cells)
}

/// A row's error as shown: while the vehicle is asked again, its last
/// error is what was, not what is; while a 429's pause lasts it is held,
/// not retrying.
fn error_span<'a>(
    lang: Lang,
    s: &VehicleSession,
    theme: Theme,
    held: bool,
    fit: impl Fn(String) -> String,
) -> Span<'a> {
    let error = row_error(lang, s);
    if s.is_loading() && held && !error.is_empty() {
        Span::styled(fit(tr!(lang, "board-held-was", was = error)), theme.dim())
    } else if s.is_loading() && !error.is_empty() {
        Span::styled(
            fit(tr!(lang, "board-retrying-was", was = error)),
            theme.dim(),
        )
    } else {
        Span::styled(fit(error), theme.error())
    }
}

/// The error a row shows: its last answer's, or its follower's trouble
/// (the gateway unreachable while live). The cause comes first: watch's
/// own prefix ("Watch stopped: ") would fill a narrow column alone.
fn row_error(lang: Lang, s: &VehicleSession) -> String {
    let title = s
        .banner()
        .filter(|b| b.kind == BannerKind::Error || s.in_trouble())
        .map(|b| b.title.clone())
        .unwrap_or_default();
    let prefixes = [
        tr!(lang, "banner-watch-stopped", what = ""),
        tr!(lang, "banner-live-trouble", what = ""),
    ];
    prefixes
        .iter()
        .find_map(|p| title.strip_prefix(p.trim_end()).map(str::trim_start))
        .filter(|cause| !cause.is_empty())
        .map_or_else(|| title.clone(), str::to_owned)
}

/// The add field's notice, wrapped.
fn add_notice(lang: Lang, board: &Board, theme: Theme) -> Option<Paragraph<'static>> {
    let notice = board.adding()?.notice()?;
    let line = Line::from(vec![
        Span::styled(" ✖ ", theme.error()),
        // Several ids pasted into the board's add field: one at a time
        // here, never "quit and start a board" (stranger 89, CL1).
        Span::raw(match notice {
            crate::wizard::start::FieldNotice::SeveralIds(count) => tr!(
                lang,
                "board-add-several-ids",
                count = crate::text::num(*count)
            ),
            _ => super::start::notice_text(lang, notice),
        }),
    ]);
    Some(Paragraph::new(line).wrap(Wrap { trim: true }))
}

fn draw_prompt(
    frame: &mut Frame,
    area: Rect,
    lang: Lang,
    board: &Board,
    theme: Theme,
    notice: Option<Paragraph>,
) {
    if area.height == 0 {
        return;
    }
    let line = if let Some(car) = board.pending_removal() {
        Line::from(vec![
            Span::styled(" ? ", theme.key()),
            Span::raw(tr!(lang, "board-remove-ask", car = car.to_owned())),
        ])
    } else if let Some(field) = board.adding() {
        Line::from(vec![
            Span::styled(format!(" {} ", tr!(lang, "board-add-prompt")), theme.key()),
            Span::raw(field.input().to_owned()),
            Span::styled("▏", theme.key()),
        ])
    } else {
        return;
    };
    let [first, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(line), first);
    if let Some(notice) = notice {
        frame.render_widget(notice, rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's error puts the cause first, never watch's own prefix, which
    /// a narrow column would show alone (stranger 44, AS10).
    #[test]
    fn a_row_s_error_puts_the_cause_first() {
        for lang in Lang::ALL {
            let mut s = VehicleSession::new("C3", "test", *lang, std::time::SystemTime::UNIX_EPOCH);
            let cause = tr!(*lang, "gw-title-not-found");
            s.say(crate::wizard::state::Banner {
                kind: BannerKind::Error,
                title: tr!(*lang, "banner-watch-stopped", what = cause.clone()),
                text: String::new(),
                futile_sign_in: false,
            });
            assert_eq!(row_error(*lang, &s), cause, "{lang}");
        }
    }

    /// The fixed columns' headings fit their columns in every language
    /// (the widths of `draw_rows`), wide and narrow.
    #[test]
    fn every_heading_fits_its_column_in_every_language() {
        for lang in Lang::ALL {
            let fits = |id: &str, width: usize| {
                let heading = crate::text::message(*lang, id, None);
                assert!(
                    heading.chars().count() <= width,
                    "{lang}: {id} = {heading:?} is wider than {width}"
                );
            };
            fits("board-col-car", 17);
            fits("board-col-progress", 19);
            fits("board-col-fresh", 12);
            fits("board-col-car-short", 10);
            fits("board-col-progress-short", 8);
            fits("board-col-fresh", 11);
        }
    }

    #[test]
    fn the_freshness_column_changes_at_each_second_then_minute_then_hour() {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        let at = SystemTime::UNIX_EPOCH + s(1_800_000_000) + ms(300);
        // From the clock's second of `at`: 1 s, then whole minutes, hours.
        let next = |now: SystemTime| SystemTime::UNIX_EPOCH + s(changes_at(at, now));
        assert_eq!(next(at + ms(200)), at - ms(300) + s(1));
        assert_eq!(next(at + s(59)), at - ms(300) + s(60), "59 s to 1 min");
        assert_eq!(next(at + s(61)), at - ms(300) + s(120));
        assert_eq!(next(at + s(3599)), at - ms(300) + s(3600), "59 min to 1 h");
        assert_eq!(next(at + s(3610)), at - ms(300) + s(7200));
        // The text does change at each of those moments, and not before.
        for age in [ms(200), s(59), s(61), s(3599), s(3610)] {
            let now = at + age;
            let before = freshness(Lang::En, Some(at), now);
            let change = next(now);
            assert_eq!(
                freshness(Lang::En, Some(at), change - ms(1)),
                before,
                "{age:?}"
            );
            assert_ne!(freshness(Lang::En, Some(at), change), before, "{age:?}");
        }
        // Rows answered in the same second of the clock change together.
        let other = at + ms(500);
        assert_eq!(changes_at(other, at + s(5)), changes_at(at, at + s(5)));
    }
}
