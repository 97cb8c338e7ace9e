//! Pure rendering of the wizard's state: one file per screen, small widgets.
//! Nothing here touches the terminal; [`draw`] fills a frame.

mod board;

/// How long until the text on screen changes by the clock alone (the
/// board's freshness column, the countdown of a 429's pause), so that a
/// frame is drawn then with no key pressed; `None` when nothing ages.
pub fn next_change(state: &State, now: std::time::SystemTime) -> Option<std::time::Duration> {
    let board = state
        .on_board()
        .then(|| board::next_change(state, now))
        .flatten();
    let pause = state.limited_until.and_then(|until| {
        let left = until.duration_since(now).ok().filter(|l| !l.is_zero())?;
        // The countdown is shown in whole seconds, rounded up: it changes
        // when the left-over fraction of a second has passed.
        let fraction = left.subsec_nanos();
        Some(std::time::Duration::from_nanos(if fraction == 0 {
            1_000_000_000
        } else {
            u64::from(fraction)
        }))
    });
    match (board, pause) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
mod overlays;
pub mod qr;
mod start;
mod steps;
mod theme;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub use board::freshness;
pub use theme::Theme;

use crate::text::num;
use crate::tr;
use crate::wizard::keymap::{Show, bindings};
use crate::wizard::state::{Banner, MIN_HEIGHT, MIN_WIDTH, Overlay, Screen, State};

/// A terminal hyperlink to write over the cells where its text was drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub x: u16,
    pub y: u16,
    pub text: String,
    pub url: String,
}

/// A count as a cell size: counts from the network can be huge, and a screen
/// is never more than `u16::MAX` cells.
pub(crate) fn cells(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// Draws the whole wizard; returns the hyperlink drawn, if any, so the
/// terminal module can make it clickable.
pub fn draw(frame: &mut Frame, state: &State) -> Option<Link> {
    let area = frame.area();
    let theme = Theme::new(state.options().color);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, state, theme);
        return None;
    }
    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let link = match state.screen() {
        Screen::Start(_) => {
            start::draw(frame, body, state, theme);
            None
        }
        Screen::Steps => steps::draw(frame, body, state, theme),
        Screen::Board => {
            board::draw(frame, body, state, theme);
            None
        }
    };
    draw_footer(frame, footer, state, theme);
    match state.overlay() {
        None => link,
        Some(Overlay::Help { scroll }) => {
            // Above the footer, which says how to scroll and close it.
            overlays::help(frame, body, state, *scroll, theme);
            None
        }
        Some(Overlay::ConfirmReset) => {
            overlays::confirm_reset(frame, area, state, theme);
            None
        }
        Some(Overlay::Explain(code)) => {
            overlays::explain(frame, area, state, code, theme);
            None
        }
        Some(Overlay::Qr(link)) => {
            // Above the footer, which says how to close it and open the link.
            overlays::qr(frame, body, state, link, theme);
            None
        }
        Some(Overlay::SignIn(sign_in)) => {
            overlays::sign_in(frame, area, state, sign_in, theme);
            None
        }
        Some(Overlay::Note(text)) => {
            overlays::note(frame, area, state, text, theme);
            None
        }
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let lang = state.lang();
    let text = vec![
        Line::from(Span::styled(tr!(lang, "too-small-title"), theme.title())),
        Line::from(tr!(
            lang,
            "too-small-text",
            min_w = num(MIN_WIDTH.into()),
            min_h = num(MIN_HEIGHT.into()),
            w = num(area.width.into()),
            h = num(area.height.into())
        )),
        // The warning that q would drop a note, which this screen would
        // otherwise hide (stranger 48, AW5).
        Line::from(if state.quit_asked && state.unsaved_note {
            tr!(lang, "too-small-note-unsaved")
        } else {
            tr!(lang, "too-small-hint")
        }),
    ];
    let top = area.height.saturating_sub(4) / 2;
    let [_, middle] = Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        middle,
    );
}

/// The main keys of this screen, from the keymap itself, and `?` for all of
/// them (help lists every key).
fn draw_footer(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let lang = state.lang();
    // A gateway that wants a token: `i` (sign in) joins the footer; on the
    // board, when any of its vehicles was refused for want of one.
    let refused = crate::wizard::session::VehicleSession::refused_token;
    // Not after a sign-in whose words say `i` would fail the same way.
    // Nor once `i` found that the gateway offers no sign-in.
    let futile = |banner: Option<&Banner>| {
        state.no_sign_in.is_some() || banner.is_some_and(|b| b.futile_sign_in)
    };
    let sign_in = match state.board() {
        Some(board) if state.context() == crate::wizard::keymap::Context::Board => {
            board.sessions().iter().any(refused) && !futile(board.banner())
        }
        _ => state
            .session()
            .is_some_and(|s| refused(s) && !futile(s.banner())),
    };
    // An id the gateway does not know has no cache to reset: `R` is not
    // offered for it (help still lists it).
    let unknown = state.context() == crate::wizard::keymap::Context::Steps
        && state.session().is_some_and(|s| {
            s.list().is_none() && s.remedy() == Some(crate::wizard::session::Remedy::OtherId)
        });
    let no_steps_id = state.context() == crate::wizard::keymap::Context::Steps
        && state.session().is_some_and(|s| s.steps_id().is_none());
    // No address yet while the sign-in code is asked for: nothing for `o`
    // to open (stranger 53, BB10).
    let no_address = state.sign_in().is_some_and(|s| s.prompt.is_none());
    let items: Vec<(String, String, u8)> = bindings(state.context(), state.demo())
        .filter(|b| {
            b.show == Show::Footer || (sign_in && b.action == crate::wizard::keymap::Action::SignIn)
        })
        .filter(|b| !(unknown && b.action == crate::wizard::keymap::Action::AskReset))
        // No stepsID yet: the next-step call has nothing to ask by, so `n`
        // is not offered (stranger 50, AY4).
        .filter(|b| !(no_steps_id && b.action == crate::wizard::keymap::Action::NextStep))
        .filter(|b| !(no_address && b.action == crate::wizard::keymap::Action::OpenSignInPage))
        .map(|b| {
            (
                crate::wizard::keymap::key_label(lang, b.label),
                crate::text::message(lang, b.short, None),
                footer_rank(b.action),
            )
        })
        .collect();
    let width = |items: &[(String, String, u8)]| -> usize {
        items
            .iter()
            .map(|(label, short, _)| label.chars().count() + short.chars().count() + 3)
            .sum()
    };
    // In a narrow window the keys that matter least go first (moving is
    // obvious, then next, refresh, watch); the main actions (act, reset,
    // explain, open), help and quit stay.
    let mut shown = items;
    while width(&shown) > usize::from(area.width) {
        let Some(least) = shown
            .iter()
            .enumerate()
            .filter(|(_, (_, _, rank))| *rank > 0)
            .max_by_key(|(at, (_, _, rank))| (*rank, *at))
            .map(|(at, _)| at)
        else {
            break;
        };
        shown.remove(least);
    }
    let mut spans = Vec::new();
    for (label, short, _) in shown {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(label, theme.key()));
        spans.push(Span::raw(format!(" {short}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// How soon a footer key is left out of a narrow window: 0 never, the
/// highest first.
fn footer_rank(action: crate::wizard::keymap::Action) -> u8 {
    use crate::wizard::keymap::Action as A;
    match action {
        A::Help | A::Quit | A::QuitNow | A::SignIn => 0,
        A::Up | A::Down | A::PageUp | A::PageDown => 6,
        A::NextStep => 5,
        A::Refresh | A::CycleSort => 4,
        A::ToggleWatch | A::StartFilter => 3,
        A::SimulateCustomer | A::AskReset | A::Explain | A::OpenVehicle | A::SaveNote => 1,
        A::WriteNote | A::WriteReport => 2,
        _ => 2,
    }
}

/// `text` in at most `max` characters, ending in "…" when cut.
pub(crate) fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A rectangle of at most `width`×`height` centred in `area`.
/// A header line: " stepwise", then `parts` with separators, in their
/// order. Where the line is wider than `width`, parts are left out by their
/// rank, highest first (rank 0 always shows), so that what matters most (the
/// vehicle, whether it is watched) is never the part cut.
pub(crate) fn header_line(
    theme: Theme,
    parts: &[(Span<'static>, u8)],
    width: u16,
) -> Line<'static> {
    let line = |max_rank: u8| {
        let mut spans = vec![Span::styled(" stepwise", theme.title())];
        for (part, _) in parts.iter().filter(|(_, rank)| *rank <= max_rank) {
            spans.push(Span::styled(" │ ", theme.dim()));
            spans.push(part.clone());
        }
        Line::from(spans)
    };
    let top = parts.iter().map(|(_, rank)| *rank).max().unwrap_or(0);
    (0..=top)
        .rev()
        .map(line)
        .find(|l| l.width() <= usize::from(width))
        .unwrap_or_else(|| line(0))
}

pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_narrow_header_leaves_out_the_highest_ranks_first_and_never_rank_0() {
        let theme = Theme::new(false);
        let parts = [
            (Span::raw("car 987654"), 0),
            (Span::raw("stepsID 132324"), 1),
            (Span::raw("http://gateway.example:8080"), 3),
            (Span::raw("at 08:00:00"), 2),
            (Span::raw("suivi ACTIF · en direct"), 0),
        ];
        let all = " stepwise │ car 987654 │ stepsID 132324 │ http://gateway.example:8080 │ at 08:00:00 │ suivi ACTIF · en direct";
        assert_eq!(text(&header_line(theme, &parts, 200)), all);
        assert_eq!(
            text(&header_line(theme, &parts, 80)),
            " stepwise │ car 987654 │ stepsID 132324 │ at 08:00:00 │ suivi ACTIF · en direct"
        );
        assert_eq!(
            text(&header_line(theme, &parts, 65)),
            " stepwise │ car 987654 │ stepsID 132324 │ suivi ACTIF · en direct"
        );
        // Narrower than what always shows: that much, cut by the screen.
        assert_eq!(
            text(&header_line(theme, &parts, 20)),
            " stepwise │ car 987654 │ suivi ACTIF · en direct"
        );
    }

    /// French puts a no-break space before `: ; ? !`: at any width the
    /// banner is drawn, no line starts with one of them.
    #[test]
    fn a_french_banner_never_starts_a_line_with_its_colon() {
        use crate::text::Lang;
        use crate::wizard::state::{Banner, BannerKind};
        let banner = Banner {
            kind: BannerKind::Info,
            title: tr!(Lang::Fr, "banner-watching"),
            text: tr!(Lang::Fr, "banner-note-kept-press-x-text"),
            futile_sign_in: false,
        };
        for width in 16..70 {
            // Drawn three lines taller than counted: the count holds all.
            let counted = steps::banner_lines(&banner, width, Lang::Fr);
            let height = counted.saturating_add(5);
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
            terminal
                .draw(|f| steps::draw_banner(f, f.area(), &banner, Theme::new(false), Lang::Fr))
                .unwrap();
            let buffer = terminal.backend().buffer();
            for y in 1..height.saturating_sub(1) {
                let row: String = (1..width.saturating_sub(1))
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect();
                let start = row.trim_start_matches([' ', '\u{a0}']);
                assert!(
                    !start.starts_with([':', ';', '?', '!']),
                    "width {width}, line {y}: {row:?}"
                );
                assert!(
                    y <= counted || row.trim().is_empty(),
                    "width {width}: {row:?}"
                );
            }
        }
    }

    #[test]
    fn a_banner_puts_the_languages_own_colon_between_title_and_text() {
        use crate::wizard::state::{Banner, BannerKind};
        let banner = Banner {
            kind: BannerKind::Success,
            title: "Fait".into(),
            text: "suivante".into(),
            futile_sign_in: false,
        };
        for (lang, expected) in [
            (crate::text::Lang::Fr, "✔ Fait\u{a0}: suivante"),
            (crate::text::Lang::En, "✔ Fait: suivante"),
        ] {
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(40, 3)).unwrap();
            terminal
                .draw(|f| steps::draw_banner(f, f.area(), &banner, Theme::new(false), lang))
                .unwrap();
            let line: String = (0..40)
                .map(|x| terminal.backend().buffer()[(x, 1)].symbol().to_owned())
                .collect();
            assert!(line.contains(expected), "{lang}: {line:?}");
        }
    }

    /// A banner too long for its rows keeps its advice: the cause's long
    /// address is cut in the middle, not the fix (stranger 76, BY5: German
    /// at 80x24 showed the cause and "press i" with three rows empty).
    #[test]
    fn a_cut_banner_keeps_the_fix_and_the_cause_s_ends() {
        use crate::text::Lang;
        use crate::wizard::state::{Banner, BannerKind};
        let lang = Lang::De;
        let why = tr!(
            lang,
            "auth-unreachable",
            url = "http://127.0.0.1:46751/.well-known/openid-configuration",
            detail = tr!(lang, "os-refused")
        );
        let banner = Banner {
            kind: BannerKind::Error,
            title: tr!(lang, "banner-sign-in-failed"),
            text: tr!(lang, "banner-sign-in-failed-text", why = why),
            futile_sign_in: false,
        };
        let (width, height) = (80, 9);
        assert!(steps::banner_lines(&banner, width, lang) > height - 2);
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| steps::draw_banner(f, f.area(), &banner, Theme::new(false), lang))
            .unwrap();
        let buffer = terminal.backend().buffer();
        let shown: Vec<String> = (1..height - 1)
            .map(|y| {
                (1..width - 1)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
            })
            .collect();
        let text = shown.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        for part in [
            "der Identitätsanbieter",
            "…",
            "hört nichts zu.",
            "Das Netzwerk prüfen, dann erneut versuchen",
            "i drücken, um es erneut zu versuchen.",
        ] {
            assert!(text.contains(part), "{part:?} not in {shown:#?}");
        }
        // No row left empty while a word was cut.
        assert!(shown.iter().all(|l| !l.trim().is_empty()), "{shown:#?}");
    }
}
