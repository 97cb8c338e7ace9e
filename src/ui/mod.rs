//! Pure rendering of the wizard's state: one file per screen, small widgets.
//! Nothing here touches the terminal; [`draw`] fills a frame.

mod overlays;
pub mod qr;
mod start;
mod steps;
mod theme;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub use theme::Theme;

use crate::wizard::keymap::bindings;
use crate::wizard::state::{Overlay, Screen, State};

/// The smallest window the wizard draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// A terminal hyperlink to write over the cells where its text was drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub x: u16,
    pub y: u16,
    pub text: String,
    pub url: String,
}

/// Draws the whole wizard; returns the hyperlink drawn, if any, so the
/// terminal module can make it clickable.
pub fn draw(frame: &mut Frame, state: &State) -> Option<Link> {
    let area = frame.area();
    let theme = Theme::new(state.color);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, theme);
        return None;
    }
    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let link = match state.screen {
        Screen::Start => {
            start::draw(frame, body, state, theme);
            None
        }
        Screen::Steps => steps::draw(frame, body, state, theme),
    };
    draw_footer(frame, footer, state, theme);
    match &state.overlay {
        None => link,
        Some(Overlay::Help) => {
            overlays::help(frame, area, state, theme);
            None
        }
        Some(Overlay::ConfirmReset) => {
            overlays::confirm_reset(frame, area, state, theme);
            None
        }
        Some(Overlay::Explain(code)) => {
            overlays::explain(frame, area, code, theme);
            None
        }
        Some(Overlay::Qr(url)) => {
            overlays::qr(frame, area, url, theme);
            None
        }
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect, theme: Theme) {
    let text = vec![
        Line::from(Span::styled("Window too small", theme.title())),
        Line::from(format!(
            "stepwise needs {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window (q quits)."),
    ];
    let top = area.height.saturating_sub(3) / 2;
    let [_, middle] = Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        middle,
    );
}

/// The keys that work now, from the keymap itself.
fn draw_footer(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let mut shown: Vec<_> = bindings(state.context(), state.demo)
        .filter(|b| b.in_footer)
        .collect();
    let width = |items: &[&crate::wizard::keymap::Binding]| -> usize {
        items
            .iter()
            .map(|b| b.label.chars().count() + b.short.chars().count() + 3)
            .sum()
    };
    // In a narrow window the first keys (the most obvious ones) go first;
    // help and quit always stay.
    while width(&shown) > area.width as usize && shown.len() > 2 {
        shown.remove(0);
    }
    let mut spans = Vec::new();
    for binding in shown {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(binding.label, theme.key()));
        spans.push(Span::raw(format!(" {}", binding.short)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of at most `width`×`height` centred in `area`.
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
