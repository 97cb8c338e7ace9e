//! Properties over arbitrary input: sanitised text holds no control or format
//! character, decoding never panics, and the wizard renders any list at any
//! size from 1×1 to 300×100 without panicking.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::steps::{MAX_TEXT_CHARS, Status, Step, StepsList, sanitize};
use stepwise::wire::{decode_error, decode_list, decode_next};
use stepwise::wizard::state::{Input, Options, State};
use stepwise::wizard::update::update;

/// Characters no sanitised text may hold: C0/C1 controls, DEL, and the
/// Unicode format characters that reorder or hide text.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x061C | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
            | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE0001 | 0xE0020..=0xE007F)
}

/// Text that leans on what terminals misread: escapes, controls, bidi.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        Just("\u{1b}[31m".to_owned()),
        Just("\u{1b}]0;owned\u{7}".to_owned()),
        Just("\u{1b}]8;;http://x\u{1b}\\".to_owned()),
        Just("\u{9b}2J".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("\u{1b}".to_owned()),
        "[a-zA-Z ]{0,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

fn render(state: &State, width: u16, height: u16) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            stepwise::ui::draw(frame, state);
        })
        .unwrap();
}

/// A loaded wizard with an overlay opened by its keys (0: none, 1: help,
/// 2: reset confirmation, 3: explainer on 2312, 4: QR code).
fn state_with(list: StepsList, overlay: usize) -> State {
    let options = Options {
        demo: true,
        backend_label: "demo backend".into(),
        docs_base_url: Some("https://docs.example".into()),
        ..Options::default()
    };
    let now = std::time::SystemTime::UNIX_EPOCH;
    let mut state = stepwise::wizard::loaded(options, "1", list, now);
    let keys: &[char] = match overlay {
        0 => &[],
        1 => &['?'],
        2 => &['R'],
        3 => &['e', '2', '3', '1', '2'],
        _ => &['g'],
    };
    for c in keys {
        let key = KeyEvent::new(KeyCode::Char(*c), KeyModifiers::NONE);
        update(&mut state, Input::Key(key), now);
    }
    state
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sanitised_text_has_no_control_or_format_character(text in hostile_text()) {
        let clean = sanitize(&text);
        prop_assert!(!clean.chars().any(forbidden), "{clean:?}");
        prop_assert!(clean.chars().count() <= MAX_TEXT_CHARS + 1);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_list(&bytes);
        let _ = decode_next(&bytes);
        let _ = decode_error(&bytes);
    }

    #[test]
    fn decoded_names_are_always_clean(name in hostile_text(), status in hostile_text(), id in hostile_text()) {
        let body = serde_json::json!({
            "stepsID": id,
            "k": { "name": name, "status": status, "order": 1 },
        });
        // A stepsID that breaks the id rule refuses the list, its words
        // as clean as any name.
        let list = match decode_list(body.to_string().as_bytes()) {
            Ok(list) => list,
            Err(stepwise::wire::DecodeError::WrongShape(stepwise::wire::Shape::BadStepsId(id))) => {
                prop_assert!(!id.chars().any(forbidden));
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        for step in &list.steps {
            prop_assert!(!step.name.chars().any(forbidden));
            prop_assert!(!step.status.as_wire().chars().any(forbidden));
        }
        prop_assert!(!list.steps_id.unwrap_or_default().chars().any(forbidden));
    }

    #[test]
    fn any_list_renders_at_any_size(
        names in prop::collection::vec(hostile_text(), 0..12),
        orders in prop::collection::vec(prop::option::of(any::<i64>()), 12),
        done in prop::collection::vec(any::<bool>(), 12),
        width in 1u16..=300,
        height in 1u16..=100,
        overlay in 0usize..5,
    ) {
        let steps = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let status = if done[i] { Status::AlreadyDone } else { Status::parse(n) };
                Step::new(n, status, orders[i])
            })
            .collect();
        render(&state_with(StepsList::new(Some("7".into()), steps), overlay), width, height);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Lists of thousands of steps (65,534 fit under the body cap) render at
    /// any size with the selected NEXT row on screen, after moving through
    /// them.
    #[test]
    fn long_lists_render_with_the_selection_in_view(
        count in prop::sample::select(vec![2_000usize, 20_000, 65_534, 70_000]),
        next in 0usize..70_000,
        moves in 0usize..40,
        width in 60u16..=200,
        height in 16u16..=60,
    ) {
        let next = next % count;
        let steps = (0..count)
            .map(|i| {
                let status = if i < next { Status::AlreadyDone } else { Status::Todo };
                Step::new(&format!("s{i}"), status, i64::try_from(i).ok())
            })
            .collect();
        let mut state = state_with(StepsList::new(Some("7".into()), steps), 0);
        let now = std::time::SystemTime::UNIX_EPOCH;
        for _ in 0..moves {
            let key = KeyEvent::new(KeyCode::Down, KeyModifiers::NONE);
            update(&mut state, Input::Key(key), now);
        }
        let selected = state.session().unwrap().selected();
        prop_assert_eq!(selected, (next + moves).min(count - 1));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| { stepwise::ui::draw(frame, &state); }).unwrap();
        let screen = terminal.backend().to_string();
        let name = format!("s{selected} ");
        prop_assert!(
            screen.lines().any(|l| l.contains('▶') && l.contains(&name)),
            "row {} not on screen:\n{}", selected, screen
        );
    }
}
