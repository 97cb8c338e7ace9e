//! The pure update: an input and the clock in, a changed state and the effects
//! to run out. No I/O happens here, so every behaviour is testable.
//!
//! Every vehicle lives in one place (`State::vehicles`), the single-vehicle
//! wizard being a board of one with its steps screen open; every answer for
//! any of them goes through one function (`answers::answer`), whose outcome
//! the screens react to. By concern: `steps` (the steps screen's keys),
//! `board` (the board's keys), `answers` (gateway answers and live updates),
//! `follow` (keeping followers in step), `sign_in`, `notes` (report, notes,
//! explained codes).

mod answers;
mod board;
mod follow;
mod messages;
mod notes;
mod refused;
mod shared;
mod sign_in;
mod steps;

use std::time::SystemTime;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::board::Board;
use super::keymap::{Action, Context, action_for};
use super::session::VehicleSession;
use super::state::{
    Banner, BannerKind, DemoCar, Effect, Input, MAX_NOTE_CHARS, Overlay, Purpose, Screen, State,
};
use crate::guidance::{MAX_CODE_CHARS, is_code_char};
use crate::steps::Step;
use crate::text::Lang;

pub use answers::step_title;
pub use notes::keep_unfinished_note;

/// Lines a page key moves help or the guidance.
const PAGE: u16 = 5;
/// Rows a page key moves the board's selection.
const BOARD_PAGE: i8 = 10;

/// What the wizard does first: load the demo associations, and open `car`
/// at once when it was given.
pub fn start(state: &mut State, car: Option<String>, now: SystemTime) -> Vec<Effect> {
    let mut effects = vec![Effect::ProbePages];
    if state.options.demo {
        effects.push(Effect::LoadDemoCars);
    }
    if let Some(car) = car {
        effects.extend(steps::open(state, &car, now));
        if state.options.autoplay
            && let Some(session) = state.session_mut()
        {
            session.set_autoplay(true);
        }
    }
    effects
}

/// Words from before the wizard began (`demo --fresh`, ids given twice),
/// said where the first screen says things: under the start screen's
/// field, or in the board's or the open vehicle's banner.
pub fn say_first(state: &mut State, notes: &[String]) {
    if notes.is_empty() {
        return;
    }
    let text = notes.join(" ");
    let title = crate::tr!(lang(state), "launch-note-title");
    if let Screen::Start(field) = &mut state.screen {
        field.inform(text);
    } else if state.on_a_board {
        state.vehicles.say(info(title, text));
    } else if let Some(session) = state.session_mut() {
        session.say(info(title, text));
    }
}

/// Opens the board on `cars` (several vehicles at once): one session each,
/// every first list asked for at once (the runner bounds how many run).
pub fn start_board(state: &mut State, cars: Vec<String>, now: SystemTime) -> Vec<Effect> {
    state.now = now;
    // The board's vehicles open on the steps screen too: their QR codes
    // point at the gateway's pages when it serves them.
    let mut effects = vec![Effect::ProbePages];
    if state.options.demo {
        effects.push(Effect::LoadDemoCars);
    }
    let mut board = Board::new(Vec::new());
    board.reserve(cars.len());
    for car in cars {
        let session = new_session(state, &car, now);
        board.add(session);
    }
    // The top row is selected, whatever comes to sit there as the first
    // answers sort the rows, until the technician moves.
    board.select_top();
    state.vehicles = board;
    state.on_a_board = true;
    state.open = None;
    state.screen = Screen::Board;
    state.overlay = None;
    effects.extend(board::fetch_all(state, Purpose::Open, |_| true));
    effects
}

fn new_session(state: &State, car: &str, now: SystemTime) -> VehicleSession {
    VehicleSession::new(car, &state.options.backend_label, state.options.lang, now)
}

pub fn update(state: &mut State, input: Input, now: SystemTime) -> Vec<Effect> {
    state.now = now;
    let mut effects = apply(state, input, now);
    effects.extend(follow::sync_follow(state));
    effects.extend(follow::sync_board_follow(state));
    effects
}

/// Inputs taken together (the answers that arrived since the last frame):
/// each applied in turn, the followers put in step once, after the last.
pub fn update_many(
    state: &mut State,
    inputs: impl IntoIterator<Item = Input>,
    now: SystemTime,
) -> Vec<Effect> {
    state.now = now;
    let mut effects = Vec::new();
    for input in inputs {
        effects.extend(apply(state, input, now));
    }
    effects.extend(follow::sync_follow(state));
    effects.extend(follow::sync_board_follow(state));
    effects
}

fn apply(state: &mut State, input: Input, now: SystemTime) -> Vec<Effect> {
    match input {
        Input::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key, now),
        Input::Key(_) => Vec::new(),
        Input::Resize { width, height } => {
            state.size = (width, height);
            Vec::new()
        }
        Input::Paste(text) => {
            on_paste(state, &text);
            Vec::new()
        }
        Input::Msg(msg) => answers::on_msg(state, msg, now),
        Input::SpinnerTick => {
            if state.is_loading() {
                state.spinner = state.spinner.wrapping_add(1);
            }
            Vec::new()
        }
        Input::ClockTick => Vec::new(),
        Input::WatchTick => {
            // A vehicle whose last failure asked a wait (Retry-After) is
            // not asked before it ends (stranger 61, BJ13).
            let due = |s: &crate::wizard::session::VehicleSession| {
                s.watch() && !s.is_loading() && s.following().is_none() && s.may_ask(now)
            };
            let open = state.screen == Screen::Steps && state.session().is_some_and(due);
            let mut effects = if open {
                steps::fetch(state, Purpose::Watch, false)
            } else {
                Vec::new()
            };
            effects.extend(board::fetch_all(state, Purpose::Watch, due));
            effects
        }
        Input::AutoplayTick => match state.screen {
            Screen::Board if state.autoplaying() => board::customer(state),
            _ if state.autoplaying() && !state.is_loading() => steps::simulate_customer(state),
            _ => Vec::new(),
        },
    }
}

fn on_key(state: &mut State, key: KeyEvent, now: SystemTime) -> Vec<Effect> {
    let test_panic = state.options.test_panic;
    let lang = state.lang();
    match action_for(state.context(), &key, lang, state.options.demo, test_panic) {
        Some(action) => on_action(state, action, now),
        None => Vec::new(),
    }
}

/// Text typed or pasted into the field that has the keys: the explainer's
/// code, the note, the start field, the board's filter or the id to add.
fn type_text(state: &mut State, text: &str) {
    let context = state.context();
    match (&mut state.overlay, &mut state.screen) {
        (Some(Overlay::Explain(code)), _) => {
            code.extend(text.chars().filter(|c| is_code_char(*c)));
            // A space separates words of a code; one leading it is no part.
            let start = code.len() - code.trim_start().len();
            code.drain(..start);
            code.truncate(MAX_CODE_CHARS);
        }
        (Some(Overlay::Note(note)), _) => {
            // A pasted line break or tab parts words as a space, never
            // glues them ("2312" and "2317" are no "23122317"; stranger
            // 71, BT1); other control characters are left out.
            for c in text.chars() {
                let parts = c.is_control() && c.is_whitespace();
                if parts && (note.is_empty() || note.ends_with(' ')) {
                    continue;
                }
                let c = if parts { ' ' } else { c };
                if c.is_control() {
                    continue;
                }
                if note.chars().count() < MAX_NOTE_CHARS {
                    note.push(c);
                }
            }
        }
        (None, Screen::Start(field)) => field.type_text(text),
        (None, Screen::Board) => {
            let board = &mut state.vehicles;
            match context {
                Context::BoardFilter => board.type_filter(text),
                Context::BoardAdd => {
                    if let Some(field) = board.adding_mut() {
                        field.type_text(text);
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// One typed character: an id field takes it untrimmed, so that a typed
/// space is named as refused, not dropped; other fields as text.
fn type_char(state: &mut State, c: char) {
    let context = state.context();
    match (&state.overlay, &mut state.screen) {
        (None, Screen::Start(field)) => field.type_char(c),
        (None, Screen::Board) if context == Context::BoardAdd => {
            if let Some(field) = state.vehicles.adding_mut() {
                field.type_char(c);
            }
        }
        _ => type_text(state, c.encode_utf8(&mut [0; 4])),
    }
}

fn on_paste(state: &mut State, text: &str) {
    if state.too_small() {
        return;
    }
    type_text(state, text);
}

fn erase(state: &mut State) {
    let context = state.context();
    match (&mut state.overlay, &mut state.screen) {
        (Some(Overlay::Explain(text) | Overlay::Note(text)), _) => {
            text.pop();
        }
        (None, Screen::Start(field)) => field.erase(),
        (None, Screen::Board) => {
            let board = &mut state.vehicles;
            if context == Context::BoardFilter {
                board.erase_filter();
            } else if let Some(field) = board.adding_mut() {
                field.erase();
            }
        }
        _ => {}
    }
}

fn lang(state: &State) -> Lang {
    state.options.lang
}

fn on_action(state: &mut State, action: Action, now: SystemTime) -> Vec<Effect> {
    // "q again quits without the note" holds for the very next key only:
    // any other key (Ctrl-C, a new note) asks again, or keeps the notes
    // where x writes (stranger 48, AW4).
    if !matches!(action, Action::Quit) {
        state.quit_asked = false;
    }
    match action {
        Action::Quit => {
            notes::quit(state);
            Vec::new()
        }
        Action::QuitNow => {
            state.quit = true;
            Vec::new()
        }
        Action::Help => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        Action::Back => back(state, now),
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            move_or_scroll(state, action);
            Vec::new()
        }
        Action::Type(c) => {
            type_char(state, c);
            Vec::new()
        }
        Action::Erase => {
            erase(state);
            Vec::new()
        }
        Action::ClearField => {
            match &mut state.screen {
                Screen::Start(field) => field.clear(),
                Screen::Board => state.vehicles.clear_filter(),
                Screen::Steps => {}
            }
            Vec::new()
        }
        Action::WriteReport => notes::write_report(state, now),
        Action::WriteNote => {
            let again = state.refused_note.take().unwrap_or_default();
            state.overlay = Some(Overlay::Note(again));
            Vec::new()
        }
        Action::SaveNote => notes::save_note(state, now),
        Action::SignIn => sign_in::begin(state),
        Action::CancelSignIn => {
            notes::sign_in_cancelled(state, now);
            vec![Effect::CancelSignIn]
        }
        Action::OpenSignInPage => match state.sign_in().and_then(|s| s.prompt.as_ref()) {
            Some(prompt) => vec![Effect::OpenUrl(prompt.address.clone())],
            None => Vec::new(),
        },
        _ if state.screen == Screen::Board => board::on_action(state, action, now),
        _ => steps::on_action(state, action, now),
    }
}

/// Esc (or `n`): an overlay closes (the explainer keeps the code it
/// explained for the report); else the steps screen goes back home and the
/// board's field or removal is left.
fn back(state: &mut State, now: SystemTime) -> Vec<Effect> {
    if let Some(overlay) = state.overlay.take() {
        if let Overlay::Explain(code) = overlay {
            notes::explained(state, &code, now);
        }
        return Vec::new();
    }
    match state.screen {
        Screen::Steps if state.on_a_board => board::back_to_board(state),
        Screen::Steps => steps::back_to_start(state),
        Screen::Board => {
            state.vehicles.cancel_removal();
            state.vehicles.stop_adding();
            Vec::new()
        }
        Screen::Start(_) => Vec::new(),
    }
}

fn move_or_scroll(state: &mut State, action: Action) {
    let down = matches!(action, Action::Down | Action::PageDown);
    let page = matches!(action, Action::PageUp | Action::PageDown);
    let last = crate::wizard::keymap::help_max_scroll(state, state.size);
    if let Some(Overlay::Help { scroll }) = &mut state.overlay {
        // A page is what the overlay shows (the window less the footer
        // and the overlay's two borders), less one line kept in sight.
        let shown = state.size.1.saturating_sub(4);
        let by = if page {
            shown.saturating_sub(1).max(1)
        } else {
            1
        };
        *scroll = if down {
            scroll.saturating_add(by).min(last)
        } else {
            scroll.saturating_sub(by)
        };
        return;
    }
    if state.screen == Screen::Board {
        let lang = lang(state);
        let by = if page { isize::from(BOARD_PAGE) } else { 1 };
        state
            .vehicles
            .move_selection(if down { by } else { -by }, lang);
        return;
    }
    if let Screen::Start(field) = &mut state.screen {
        let choices = choices(&state.recent, &state.demo_cars);
        let count = choices.len();
        if count == 0 {
            return;
        }
        let next = match (field.picked(), down) {
            (None, true) => 0,
            (None, false) => count - 1,
            (Some(i), true) => (i + 1) % count,
            (Some(i), false) => (i + count - 1) % count,
        };
        field.pick(next, &choices[next].0);
        return;
    }
    match state.session_mut() {
        Some(session) if page => session.scroll_guide(down, PAGE),
        Some(session) => session.move_selection(down),
        None => {}
    }
}

/// The start screen's choices: recent ids first, then demo ones not already
/// listed; a recent id that is a demo car keeps its label.
pub fn choices(recent: &[String], demo: &[DemoCar]) -> Vec<(String, Option<String>)> {
    let label_of = |id: &str| demo.iter().find(|d| d.id == id).map(|d| d.label.clone());
    let mut out: Vec<(String, Option<String>)> =
        recent.iter().map(|id| (id.clone(), label_of(id))).collect();
    for car in demo {
        if !recent.contains(&car.id) {
            out.push((car.id.clone(), Some(car.label.clone())));
        }
    }
    out
}

/// The title a person reads for a step (the raw name for unknown steps).
fn title(lang: Lang, step: &Step) -> String {
    crate::guidance::step_title(lang, &step.name)
}

fn banner(kind: BannerKind, title: String, text: String) -> Banner {
    Banner {
        kind,
        title,
        text,
        futile_sign_in: false,
    }
}

fn info(title: String, text: String) -> Banner {
    banner(BannerKind::Info, title, text)
}

fn success(title: String, text: String) -> Banner {
    banner(BannerKind::Success, title, text)
}

fn error(title: String, text: String) -> Banner {
    banner(BannerKind::Error, title, text)
}
