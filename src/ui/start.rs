//! The start screen: the carAssociationID field, recent ids and, in demo
//! mode, the simulator's associations.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::text::num;
use crate::tr;
use crate::wizard::start::FieldNotice;
use crate::wizard::state::State;
use crate::wizard::update::choices;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let Some(field) = state.start_field() else {
        return;
    };
    let lang = state.lang();
    // The backend's name matters more than the subtitle: where the title
    // is too long for the window, the subtitle goes.
    let backend = &state.options().backend_label;
    let full = format!("· {} · {backend} ", tr!(lang, "start-subtitle"));
    let room = usize::from(area.width.saturating_sub(2 + 10));
    let rest = if full.chars().count() <= room {
        full
    } else {
        super::ellipsis(&format!("· {backend} "), room)
    };
    let title = Line::from(vec![
        Span::styled(" stepwise ", theme.title()),
        Span::raw(rest),
    ]);
    let outer = Block::new().borders(Borders::ALL).title(title);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);

    // The notice takes the lines it needs (two to four), so a long one in
    // a narrow window is not cut.
    let notice = field.notice().map(|notice| {
        let mark = match notice {
            FieldNotice::Info(_) | FieldNotice::LabelLeftOut(_) => Span::styled("ℹ ", theme.info()),
            _ => Span::styled("✖ ", theme.error()),
        };
        Paragraph::new(Line::from(vec![mark, Span::raw(notice_text(lang, notice))]))
            .wrap(Wrap { trim: true })
    });
    let notice_lines = notice.as_ref().map_or(2, |p| {
        u16::try_from(p.line_count(inner.width))
            .unwrap_or(4)
            .clamp(2, 4)
    });
    let [intro, input_area, notice_area, list] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(3),
        Constraint::Length(notice_lines),
        Constraint::Min(0),
    ])
    .areas(inner);

    frame.render_widget(
        Paragraph::new(tr!(lang, "start-intro")).wrap(Wrap { trim: true }),
        intro,
    );

    let cursor = Span::styled("▏", theme.key());
    // An id left there is shown selected, and said so: typing replaces it
    // (stranger 71, BT2).
    let selected = field.replaces_on_type();
    let typed = if selected {
        Span::styled(field.input(), theme.selected())
    } else {
        Span::raw(field.input())
    };
    let input = Paragraph::new(Line::from(vec![typed, cursor])).block(
        Block::new()
            .borders(Borders::ALL)
            .title(" carAssociationID "),
    );
    frame.render_widget(input, input_area);

    if let Some(notice) = notice {
        frame.render_widget(notice, notice_area);
    } else if selected {
        frame.render_widget(
            Paragraph::new(Span::styled(tr!(lang, "start-replace-hint"), theme.dim()))
                .wrap(Wrap { trim: true }),
            notice_area,
        );
    }

    let choices = choices(state.recent(), state.demo_cars());
    if choices.is_empty() {
        return;
    }
    let heading = if state.demo() {
        tr!(lang, "start-choices-demo")
    } else {
        tr!(lang, "start-choices")
    };
    let mut lines = vec![Line::from(Span::styled(heading, theme.dim()))];
    let id_width = choices
        .iter()
        .map(|(id, _)| id.chars().count())
        .max()
        .unwrap_or(0);
    let recent = tr!(lang, "start-recent");
    for (i, (id, label)) in choices.iter().enumerate() {
        let picked = field.picked() == Some(i);
        let marker = if picked { "▶ " } else { "  " };
        let line = Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{id:<id_width$}"), theme.key()),
            Span::raw("  "),
            // A label too long for the window ends in "…", not cut silently.
            Span::raw(super::ellipsis(
                label.as_deref().unwrap_or(&recent),
                usize::from(list.width).saturating_sub(id_width + 4),
            )),
        ]);
        lines.push(if picked {
            line.style(theme.selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), list);
}

/// A refused character as the technician can read it: quoted, or named when
/// it would be invisible.
fn visible(c: char) -> String {
    match c {
        ' ' => "␠".to_owned(),
        c if c.is_control() || crate::steps::sanitize(&c.to_string()).is_empty() => {
            format!("U+{:04X}", u32::from(c))
        }
        c => format!("'{c}'"),
    }
}

/// A refused id in words.
pub(crate) fn notice_text(lang: crate::text::Lang, notice: &FieldNotice) -> String {
    match notice {
        FieldNotice::Refused(chars) => {
            let shown: Vec<String> = chars.chars().map(visible).collect();
            tr!(lang, "start-refused", chars = shown.join(" "))
        }
        FieldNotice::TooLong(max) => tr!(lang, "start-too-long", max = num(*max)),
        FieldNotice::Dropped { chars, id } => {
            let shown: Vec<String> = chars.chars().map(visible).collect();
            tr!(
                lang,
                "start-dropped-confirm",
                chars = shown.join(" "),
                id = id.clone()
            )
        }
        FieldNotice::NotAnId => tr!(lang, "start-not-an-id"),
        FieldNotice::ExcelNumber(number) => {
            tr!(lang, "start-excel-number", number = number.clone())
        }
        FieldNotice::SeveralIds(count) => tr!(lang, "start-several-ids", count = num(*count)),
        FieldNotice::LabelLeftOut(label) => {
            tr!(lang, "start-label-left-out", label = label.clone())
        }
        FieldNotice::Gateway(why) | FieldNotice::Session(why) | FieldNotice::Info(why) => {
            why.clone()
        }
    }
}
