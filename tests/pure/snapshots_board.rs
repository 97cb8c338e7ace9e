//! Snapshots of the board at 110×32 and at the 60×16 minimum (fewer
//! columns), drawn by the pure renderer into ratatui's `TestBackend`.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::client::GatewayError;
use stepwise::steps::StepsList;
use stepwise::wire::decode_list;
use stepwise::wizard::state::{Effect, Input, Msg, Options, State};
use stepwise::wizard::update::{start_board, update};

const SIZES: [(u16, u16); 2] = [(110, 32), (60, 16)];

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn render(state: &State, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            stepwise::ui::draw(frame, state);
        })
        .unwrap();
    terminal.backend().to_string()
}

fn snap(name: &str, state: &State) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}@{w}x{h}"), render(state, w, h));
    }
}

/// A list of its own stepsID: lists that share one are said on the board.
fn list(steps_id: usize, statuses: [&str; 3]) -> StepsList {
    let body = format!(
        r#"{{"stepsID":{steps_id},
        "trusterPhoneNumber":{{"name":"trusterPhoneNumber","status":"{}","order":1}},
        "deviceActivation":{{"name":"deviceActivation","status":"{}","order":2}},
        "mediumCarKey":{{"name":"mediumCarKey","status":"{}","order":3}}}}"#,
        statuses[0], statuses[1], statuses[2]
    );
    decode_list(body.as_bytes()).unwrap()
}

fn key(state: &mut State, code: KeyCode, at: u64) {
    let modifiers = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    update(state, Input::Key(KeyEvent::new(code, modifiers)), t(at));
}

/// A board of `cars`, each answered by `answer(index)` at second `index`.
fn board(cars: &[String], answer: impl Fn(usize) -> Result<StepsList, GatewayError>) -> State {
    let mut state = State::new(Options {
        demo: false,
        backend_label: "http://127.0.0.1:8080".into(),
        color: false,
        ..Options::default()
    });
    let effects = start_board(&mut state, cars.to_vec(), t(0));
    // The first lists, in the order asked (the probe for guidance pages
    // is no vehicle's).
    let fetches = effects
        .into_iter()
        .filter(|e| matches!(e, Effect::FetchList { .. }));
    for (i, effect) in fetches.enumerate() {
        if let Effect::FetchList {
            car, id, purpose, ..
        } = effect
        {
            let at = u64::try_from(i).unwrap();
            let msg = Msg::Listed {
                car,
                id,
                purpose,
                result: answer(i),
            };
            update(&mut state, Input::Msg(msg), t(at));
        }
    }
    state
}

fn statuses(i: usize) -> [&'static str; 3] {
    match i % 4 {
        0 => ["todo"; 3],
        1 => ["alreadyDone", "todo", "todo"],
        2 => ["alreadyDone", "alreadyDone", "todo"],
        _ => ["alreadyDone"; 3],
    }
}

fn six() -> State {
    let cars: Vec<String> = (1..=6).map(|i| format!("F{i:04}")).collect();
    let mut state = board(&cars, |i| {
        if i == 4 {
            Err(GatewayError::TimedOut {
                base: "http://127.0.0.1:8080".into(),
                after: Duration::from_secs(10),
                proxy: None,
            })
        } else {
            Ok(list(i, statuses(i)))
        }
    });
    // A clock tick 90 s on: the freshness column ages.
    update(&mut state, Input::ClockTick, t(90));
    state
}

#[test]
fn board_of_six() {
    snap("board", &six());
}

#[test]
fn board_filter_and_remove_prompt() {
    let mut state = six();
    key(&mut state, KeyCode::Char('/'), 90);
    for c in "F000".chars() {
        key(&mut state, KeyCode::Char(c), 90);
    }
    key(&mut state, KeyCode::Enter, 90);
    key(&mut state, KeyCode::Char('d'), 90);
    snap("board_remove", &state);
}

#[test]
fn board_of_thousands_draws_a_window_around_the_selection() {
    let cars: Vec<String> = (1..=3000).map(|i| format!("F{i:04}")).collect();
    let mut state = board(&cars, |i| Ok(list(i, statuses(i))));
    // Sorted by id; PgDn 100 times: row 1001.
    key(&mut state, KeyCode::Char('S'), 3000);
    key(&mut state, KeyCode::Char('S'), 3000);
    key(&mut state, KeyCode::Char('S'), 3000);
    for _ in 0..100 {
        key(&mut state, KeyCode::PageDown, 3000);
    }
    assert_eq!(state.board().unwrap().selected_car(), Some("F1001"));
    snap("board_thousands", &state);
}

/// `w` in German: the long live banner wraps instead of being cut, and the
/// header keeps the live state at 60 columns.
#[test]
fn board_live_in_german_wraps_its_banner() {
    let cars: Vec<String> = (1..=6).map(|i| format!("F{i:04}")).collect();
    let mut state = State::new(Options {
        demo: false,
        backend_label: "http://127.0.0.1:8080".into(),
        color: false,
        lang: stepwise::text::Lang::De,
        ..Options::default()
    });
    let effects = start_board(&mut state, cars, t(0));
    for effect in effects {
        if let Effect::FetchList {
            car, id, purpose, ..
        } = effect
        {
            let own = car[1..].parse().unwrap();
            let msg = Msg::Listed {
                car,
                id,
                purpose,
                result: Ok(list(own, ["todo"; 3])),
            };
            update(&mut state, Input::Msg(msg), t(1));
        }
    }
    key(&mut state, KeyCode::Char('w'), 2);
    let text = stepwise::text::message(stepwise::text::Lang::De, "banner-watching-text", None);
    let last_word = text.split_whitespace().last().unwrap().to_owned();
    for (w, h) in SIZES {
        let screen = render(&state, w, h);
        assert!(screen.contains("live AN"), "{screen}");
        // The banner's last word is on screen: nothing of it was cut.
        assert!(screen.contains(last_word.trim_end_matches('.')), "{screen}");
    }
    snap("board_live_de", &state);
}

/// An Excel number pasted into the add field (`a`) is said to be one, in
/// the window, with how to keep the column as Text.
#[test]
fn an_excel_number_in_the_add_field_is_named_in_words() {
    let mut state = six();
    key(&mut state, KeyCode::Char('a'), 90);
    update(&mut state, Input::Paste("9.87654E+11".into()), t(90));
    key(&mut state, KeyCode::Enter, 90);
    let shown: String = render(&state, 110, 32)
        .lines()
        .map(|l| l.trim_matches(['"', '│', ' ']).trim())
        .collect::<Vec<_>>()
        .join(" ");
    for words in [
        "9.87654E+11 is a long number as Excel shows it (scientific notation), not an id",
        "format the column as Text",
    ] {
        assert!(shown.contains(words), "{words:?} in {shown}");
    }
}
