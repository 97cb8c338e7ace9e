//! The start screen: the carAssociationID field, recent ids and, in demo
//! mode, the simulator's associations.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::wizard::state::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let start = &state.start;
    let title = Line::from(vec![
        Span::styled(" stepwise ", theme.title()),
        Span::raw(format!(
            "· service activation steps · {} ",
            state.backend_label
        )),
    ]);
    let outer = Block::new().borders(Borders::ALL).title(title);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);

    let [intro, field, error, list] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(inner);

    frame.render_widget(
        Paragraph::new("Type the customer's carAssociationID (from the connected-service subscription) and press Enter.")
            .wrap(Wrap { trim: true }),
        intro,
    );

    let cursor = Span::styled("▏", theme.key());
    let input = Paragraph::new(Line::from(vec![Span::raw(start.input.as_str()), cursor])).block(
        Block::new()
            .borders(Borders::ALL)
            .title(" carAssociationID "),
    );
    frame.render_widget(input, field);

    if let Some(message) = &start.error {
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("✖ ", theme.error()),
                Span::raw(message.as_str()),
            ]))
            .wrap(Wrap { trim: true }),
            error,
        );
    }

    let choices = start.choices();
    if choices.is_empty() {
        return;
    }
    let heading = if state.demo {
        "Recent ids and demo associations (↑↓ to pick):"
    } else {
        "Recent ids (↑↓ to pick):"
    };
    let mut lines = vec![Line::from(Span::styled(heading, theme.dim()))];
    let id_width = choices
        .iter()
        .map(|(id, _)| id.chars().count())
        .max()
        .unwrap_or(0);
    for (i, (id, label)) in choices.iter().enumerate() {
        let picked = start.picked == Some(i);
        let marker = if picked { "▶ " } else { "  " };
        let line = Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{id:<id_width$}"), theme.key()),
            Span::raw("  "),
            Span::raw(*label),
        ]);
        lines.push(if picked {
            line.style(theme.selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), list);
}
