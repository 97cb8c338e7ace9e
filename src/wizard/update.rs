//! The pure update: an input and the clock in, a changed state and the effects
//! to run out. No I/O happens here, so every behaviour is testable.

use std::time::SystemTime;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::board::Board;
use super::keymap::{Action, Context, action_for, help_lines};
use super::session::{ListChange, VehicleSession};
use super::start::StartField;
use super::state::{
    Banner, BannerKind, DemoCar, Effect, Input, Msg, OpenFailure, Overlay, Purpose, Screen, SignIn,
    SignInPrompt, SignedIn, State, WATCH_SECS,
};
use crate::auth::AuthError;
use crate::auth::store::Place;
use crate::client::live::LiveUpdate;
use crate::client::{GatewayError, Rejection};
use crate::describe::{auth_error, gateway_error, gateway_headline};
use crate::report::Event;
use crate::steps::{StatusFilter, Step, StepsList, is_id, sanitize};
use crate::text::{Lang, num};
use crate::tr;

use crate::guidance::{MAX_CODE_CHARS, is_code_char};
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
        effects.extend(open(state, &car, now));
        if state.options.autoplay
            && let Some(session) = &mut state.session
        {
            session.set_autoplay(true);
        }
    }
    effects
}

/// Opens the board on `cars` (several vehicles at once): one session each,
/// every first list asked for at once (the runner bounds how many run).
pub fn start_board(state: &mut State, cars: Vec<String>, now: SystemTime) -> Vec<Effect> {
    state.now = now;
    let mut effects = Vec::new();
    if state.options.demo {
        effects.push(Effect::LoadDemoCars);
    }
    let mut board = Board::new(Vec::new());
    for car in cars {
        let session = new_session(state, &car, now);
        board.add(session);
    }
    // The top row is selected, whatever comes to sit there as the first
    // answers sort the rows, until the technician moves.
    board.select_top();
    state.board = Some(board);
    state.screen = Screen::Board;
    state.overlay = None;
    effects.extend(board_fetch_all(state, Purpose::Open, |_| true));
    effects
}

fn new_session(state: &State, car: &str, now: SystemTime) -> VehicleSession {
    VehicleSession::new(car, &state.options.backend_label, state.options.lang, now)
}

pub fn update(state: &mut State, input: Input, now: SystemTime) -> Vec<Effect> {
    state.now = now;
    let mut effects = apply(state, input, now);
    effects.extend(sync_follow(state));
    effects.extend(sync_board_follow(state));
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
    effects.extend(sync_follow(state));
    effects.extend(sync_board_follow(state));
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
        Input::Msg(msg) => on_msg(state, msg, now),
        Input::SpinnerTick => {
            if state.is_loading() {
                state.spinner = state.spinner.wrapping_add(1);
            }
            Vec::new()
        }
        Input::ClockTick => Vec::new(),
        Input::WatchTick => {
            let open = state.screen == Screen::Steps
                && state
                    .session
                    .as_ref()
                    .is_some_and(|s| s.watch() && !s.is_loading() && s.following().is_none());
            let mut effects = if open {
                fetch(state, Purpose::Watch, false)
            } else {
                Vec::new()
            };
            effects.extend(board_fetch_all(state, Purpose::Watch, |s| {
                s.watch() && !s.is_loading() && s.following().is_none()
            }));
            effects
        }
        Input::AutoplayTick => match state.screen {
            Screen::Board if state.autoplaying() => board_customer(state),
            _ if state.autoplaying() && !state.is_loading() => simulate_customer(state),
            _ => Vec::new(),
        },
    }
}

fn on_key(state: &mut State, key: KeyEvent, now: SystemTime) -> Vec<Effect> {
    let test_panic = state.options.test_panic;
    match action_for(state.context(), &key, state.options.demo, test_panic) {
        Some(action) => on_action(state, action, now),
        None => Vec::new(),
    }
}

fn on_paste(state: &mut State, text: &str) {
    if state.too_small() {
        return;
    }
    let context = state.context();
    match (&mut state.overlay, &mut state.screen) {
        (Some(Overlay::Explain(code)), _) => {
            code.extend(text.chars().filter(|c| is_code_char(*c)));
            code.truncate(MAX_CODE_CHARS);
        }
        (None, Screen::Start(field)) => field.type_text(text),
        (None, Screen::Board) => {
            if let Some(board) = &mut state.board {
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
        }
        _ => {}
    }
}

fn lang(state: &State) -> Lang {
    state.options.lang
}

fn on_action(state: &mut State, action: Action, now: SystemTime) -> Vec<Effect> {
    match action {
        Action::Quit => {
            state.quit = true;
            Vec::new()
        }
        Action::Help => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        Action::Back => {
            if state.overlay.take().is_some() {
                return Vec::new();
            }
            match state.screen {
                Screen::Steps if state.board.is_some() => back_to_board(state),
                Screen::Steps => back_to_start(state),
                Screen::Board => {
                    if let Some(board) = &mut state.board {
                        board.cancel_removal();
                        board.stop_adding();
                    }
                    Vec::new()
                }
                Screen::Start(_) => Vec::new(),
            }
        }
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            move_or_scroll(state, action);
            Vec::new()
        }
        Action::Type(c) => {
            let context = state.context();
            match (&mut state.overlay, &mut state.screen) {
                (Some(Overlay::Explain(code)), _) if code.len() < MAX_CODE_CHARS => code.push(c),
                (None, Screen::Start(field)) => field.type_text(&c.to_string()),
                (None, Screen::Board) => {
                    if let Some(board) = &mut state.board {
                        if context == Context::BoardFilter {
                            board.type_filter(&c.to_string());
                        } else if let Some(field) = board.adding_mut() {
                            field.type_text(&c.to_string());
                        }
                    }
                }
                _ => {}
            }
            Vec::new()
        }
        Action::Erase => {
            let context = state.context();
            match (&mut state.overlay, &mut state.screen) {
                (Some(Overlay::Explain(code)), _) => {
                    code.pop();
                }
                (None, Screen::Start(field)) => field.erase(),
                (None, Screen::Board) => {
                    if let Some(board) = &mut state.board {
                        if context == Context::BoardFilter {
                            board.erase_filter();
                        } else if let Some(field) = board.adding_mut() {
                            field.erase();
                        }
                    }
                }
                _ => {}
            }
            Vec::new()
        }
        Action::ClearField => {
            match (&mut state.screen, &mut state.board) {
                (Screen::Start(field), _) => field.clear(),
                (Screen::Board, Some(board)) => board.clear_filter(),
                _ => {}
            }
            Vec::new()
        }
        Action::Submit if state.screen == Screen::Board => add_vehicle(state, now),
        Action::Refresh if state.screen == Screen::Board => {
            board_fetch_all(state, Purpose::Refresh, |s| !s.is_loading())
        }
        Action::ToggleWatch if state.screen == Screen::Board => board_toggle_live(state),
        Action::OpenVehicle => open_vehicle(state),
        Action::CycleSort => on_board(state, Board::cycle_sort),
        Action::StartFilter => on_board(state, Board::start_filter),
        Action::EndFilter => on_board(state, Board::end_filter),
        Action::AddVehicle => on_board(state, Board::start_adding),
        Action::AskRemove => {
            let lang = lang(state);
            if let Some(board) = &mut state.board
                && let Some(car) = board.target(lang)
            {
                board.ask_removal(car);
            }
            Vec::new()
        }
        Action::ConfirmRemove => {
            let lang = lang(state);
            let Some(board) = &mut state.board else {
                return Vec::new();
            };
            match board.confirm_removal(lang) {
                Some(gone) => {
                    let car = gone.car().to_owned();
                    board.say(info(
                        tr!(lang, "board-removed", car = car.clone()),
                        tr!(lang, "board-removed-text"),
                    ));
                    vec![Effect::Cancel { car }]
                }
                None => Vec::new(),
            }
        }
        Action::Submit => {
            let Screen::Start(field) = &mut state.screen else {
                return Vec::new();
            };
            let id = field.input().trim().to_owned();
            if is_id(&id) {
                open(state, &id, now)
            } else {
                field.refuse();
                Vec::new()
            }
        }
        Action::Refresh => fetch(state, Purpose::Refresh, false),
        Action::ToggleWatch => toggle_watch(state),
        Action::NextStep => ask_next(state),
        Action::CycleFilter => {
            if let Some(session) = &mut state.session {
                session.cycle_filter();
            }
            fetch(state, Purpose::Refresh, false)
        }
        Action::AskReset => {
            state.overlay = Some(Overlay::ConfirmReset);
            Vec::new()
        }
        Action::ConfirmReset => {
            state.overlay = None;
            if let Some(session) = &mut state.session {
                session.log_event(now, Event::Reset);
            }
            fetch(state, Purpose::Reset, true)
        }
        Action::Explain => {
            state.overlay = Some(Overlay::Explain(String::new()));
            Vec::new()
        }
        Action::OpenDoc => vec![Effect::OpenUrl(selected_link(state).url)],
        Action::ShowQr => {
            state.overlay = Some(Overlay::Qr(selected_link(state)));
            Vec::new()
        }
        Action::SimulateCustomer => simulate_customer(state),
        Action::WriteReport => write_report(state, now),
        Action::CycleGuideLang => {
            state.guide_lang = state.guide_lang.next();
            Vec::new()
        }
        Action::SignIn => begin_sign_in(state),
        Action::CancelSignIn => {
            state.overlay = None;
            vec![Effect::CancelSignIn]
        }
        Action::OpenSignInPage => match state.sign_in().and_then(|s| s.prompt.as_ref()) {
            Some(prompt) => vec![Effect::OpenUrl(prompt.address.clone())],
            None => Vec::new(),
        },
        #[cfg(debug_assertions)]
        Action::TestPanic => vec![Effect::Panic],
    }
}

/// A board action that only changes the board (sort, filter, adding).
fn on_board(state: &mut State, change: impl FnOnce(&mut Board)) -> Vec<Effect> {
    if let Some(board) = &mut state.board {
        change(board);
    }
    Vec::new()
}

/// Esc on the steps screen: the session waits behind the start screen, its
/// watch off and its request dropped; the field holds its id.
fn back_to_start(state: &mut State) -> Vec<Effect> {
    let Some(session) = &mut state.session else {
        state.screen = Screen::Start(StartField::default());
        return Vec::new();
    };
    session.set_watch(false);
    session.set_autoplay(false);
    session.abandon();
    let car = session.car().to_owned();
    state.screen = Screen::Start(StartField::with(&car));
    vec![Effect::Cancel { car }]
}

fn move_or_scroll(state: &mut State, action: Action) {
    let down = matches!(action, Action::Down | Action::PageDown);
    let page = matches!(action, Action::PageUp | Action::PageDown);
    let context = state.context();
    if let Some(Overlay::Help { scroll }) = &mut state.overlay {
        let last = help_lines(context, state.options.demo, state.board.is_some()).len();
        let last = u16::try_from(last).unwrap_or(u16::MAX).saturating_sub(1);
        let by = if page { PAGE } else { 1 };
        *scroll = if down {
            scroll.saturating_add(by).min(last)
        } else {
            scroll.saturating_sub(by)
        };
        return;
    }
    if state.screen == Screen::Board {
        let lang = lang(state);
        if let Some(board) = &mut state.board {
            let by = if page { isize::from(BOARD_PAGE) } else { 1 };
            board.move_selection(if down { by } else { -by }, lang);
        }
        return;
    }
    match (&mut state.screen, &mut state.session) {
        (Screen::Start(field), _) => {
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
        }
        (Screen::Steps, Some(session)) if page => session.scroll_guide(down, PAGE),
        (Screen::Steps, Some(session)) => session.move_selection(down),
        (Screen::Steps | Screen::Board, _) => {}
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

/// Opens a carAssociationID: the first list must be asked by it. The same
/// car again resumes its session (list, log and all).
fn open(state: &mut State, car: &str, now: SystemTime) -> Vec<Effect> {
    state.screen = Screen::Steps;
    state.overlay = None;
    let resume = state.session.as_ref().is_some_and(|s| s.car() == car);
    if !resume {
        state.session = Some(VehicleSession::new(
            car,
            &state.options.backend_label,
            state.options.lang,
            now,
        ));
    }
    let purpose = if resume {
        Purpose::Refresh
    } else {
        Purpose::Open
    };
    fetch(state, purpose, false)
}

/// Starts a list request for the session.
fn fetch(state: &mut State, purpose: Purpose, reset: bool) -> Vec<Effect> {
    let lang = lang(state);
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    vec![fetch_for(session, &mut state.next_id, lang, purpose, reset)]
}

/// A list request for one session, which is then in flight.
fn fetch_for(
    session: &mut VehicleSession,
    next_id: &mut u64,
    lang: Lang,
    purpose: Purpose,
    reset: bool,
) -> Effect {
    let id = *next_id;
    *next_id += 1;
    let request = session.request(purpose, reset);
    let what = match purpose {
        Purpose::Open => tr!(lang, "loading-steps"),
        Purpose::Refresh | Purpose::Watch => tr!(lang, "loading-refresh"),
        Purpose::Reset => tr!(lang, "loading-reset"),
    };
    session.begin(id, what, request.status);
    Effect::FetchList {
        car: session.car().to_owned(),
        id,
        request,
        purpose,
    }
}

fn ask_next(state: &mut State) -> Vec<Effect> {
    let lang = lang(state);
    let id = state.next_id;
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    let Some(steps_id) = session.steps_id().map(str::to_owned) else {
        session.say(info(
            tr!(lang, "banner-no-steps-id"),
            tr!(lang, "banner-no-steps-id-text"),
        ));
        return Vec::new();
    };
    state.next_id += 1;
    let filter = session.filter();
    session.begin(id, tr!(lang, "loading-next"), filter);
    vec![Effect::FetchNext {
        car: session.car().to_owned(),
        id,
        steps_id,
    }]
}

fn toggle_watch(state: &mut State) -> Vec<Effect> {
    let lang = lang(state);
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    if session.watch() {
        session.set_watch(false);
        session.say(info(
            tr!(lang, "banner-watch-off"),
            tr!(lang, "banner-watch-off-text"),
        ));
        return Vec::new();
    }
    if session.all_done() {
        session.say(info(
            tr!(lang, "banner-nothing-to-watch"),
            tr!(lang, "banner-nothing-to-watch-text"),
        ));
        return Vec::new();
    }
    session.set_watch(true);
    session.say(info(
        tr!(lang, "banner-watching"),
        tr!(lang, "banner-watching-text"),
    ));
    // With a stepsID the follower brings the list as it is now; without,
    // the list is asked by carAssociationID first (every few seconds until
    // one arrives).
    if session.steps_id().is_some() || session.is_loading() {
        Vec::new()
    } else {
        fetch(state, Purpose::Watch, false)
    }
}

/// Keeps the follower in step with the state: one follows the session's
/// stepsID while watch is on for the session on show, and none otherwise (watch
/// off, "ready", back to the start screen, the stepsID forgotten or changed).
fn sync_follow(state: &mut State) -> Vec<Effect> {
    let watching = state.watching();
    let id = state.next_id;
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    let car = session.car().to_owned();
    let wanted = session
        .steps_id()
        .filter(|_| watching && session.watch())
        .map(str::to_owned);
    match (wanted, session.following().map(|f| f.steps_id.clone())) {
        (Some(wanted), Some(followed)) if wanted == followed => Vec::new(),
        (Some(steps_id), _) => {
            state.next_id += 1;
            session.follow(id, steps_id.clone());
            vec![Effect::Follow { car, id, steps_id }]
        }
        (None, Some(_)) => {
            session.unfollow();
            vec![Effect::Unfollow { car }]
        }
        (None, None) => Vec::new(),
    }
}

/// What a follower's update leaves to its caller, once the session took
/// what the steps screen and the board take alike.
enum FollowerLeft {
    Nothing,
    List(StepsList),
    /// The follower has ended, for this reason.
    Ended(GatewayError),
}

/// The part of an update of follower `id` every session takes alike: the
/// way it follows, the quiet banner of a reconnect and its end. An update
/// of another (older) follower is dropped; nothing that did not change
/// reaches the screen or the log.
fn take_follower_update(
    session: &mut VehicleSession,
    id: u64,
    update: LiveUpdate,
    now: SystemTime,
    lang: Lang,
) -> FollowerLeft {
    let Some(follower) = session.follower_mut(id) else {
        return FollowerLeft::Nothing;
    };
    match update {
        LiveUpdate::List(list) => {
            session.end_trouble();
            FollowerLeft::List(list)
        }
        LiveUpdate::Unchanged { .. } => {
            session.end_trouble();
            FollowerLeft::Nothing
        }
        LiveUpdate::Mode(mode) => {
            follower.mode = Some(mode);
            session.end_trouble();
            FollowerLeft::Nothing
        }
        LiveUpdate::Error {
            error,
            retrying: true,
        } => {
            session.log_error(now, lang, &error);
            session.say_trouble(info(
                tr!(
                    lang,
                    "banner-live-trouble",
                    what = gateway_headline(lang, &error)
                ),
                tr!(
                    lang,
                    "banner-live-trouble-text",
                    why = gateway_error(lang, &error)
                ),
            ));
            FollowerLeft::Nothing
        }
        LiveUpdate::Error {
            error,
            retrying: false,
        } => FollowerLeft::Ended(error),
    }
}

/// An update of the follower `id` of `car`.
fn on_live(
    state: &mut State,
    car: &str,
    id: u64,
    update: LiveUpdate,
    now: SystemTime,
) -> Vec<Effect> {
    let lang = lang(state);
    let demo = state.options.demo;
    if state.session.as_ref().is_none_or(|s| s.car() != car)
        && state.board.as_ref().is_some_and(|b| b.contains(car))
    {
        return on_board_live(state, car, id, update, now);
    }
    let Some(session) = state.session.as_mut().filter(|s| s.car() == car) else {
        return Vec::new();
    };
    match take_follower_update(session, id, update, now, lang) {
        FollowerLeft::Nothing => Vec::new(),
        FollowerLeft::List(list) => on_list(state, list, StatusFilter::All, Purpose::Watch, now),
        // The follower has ended: a refused stepsID starts over by
        // carAssociationID (and the new one is followed); anything else
        // stops watch and says why. Either way the follower goes
        // (sync_follow says so to the runner).
        FollowerLeft::Ended(error) => {
            if steps_id_refused(&error) {
                return on_list_error(state, &error, Purpose::Watch, now);
            }
            stop_watch(session, &error, now, lang, demo);
            Vec::new()
        }
    }
}

fn simulate_customer(state: &mut State) -> Vec<Effect> {
    if !state.options.demo {
        return Vec::new();
    }
    let lang = lang(state);
    let id = state.next_id;
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    if session.whole().is_none() && session.list().is_none() {
        return Vec::new();
    }
    match session.next_step().map(|s| s.name.clone()) {
        Some(step) => {
            state.next_id += 1;
            let filter = session.filter();
            session.begin(id, tr!(lang, "loading-customer"), filter);
            vec![Effect::Complete {
                car: session.car().to_owned(),
                id,
                step,
            }]
        }
        None => {
            session.set_autoplay(false);
            session.say(info(
                tr!(lang, "banner-customer-idle"),
                tr!(lang, "banner-customer-idle-text"),
            ));
            Vec::new()
        }
    }
}

fn write_report(state: &mut State, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    match &state.options.data_dir {
        Some(dir) => vec![Effect::WriteReport {
            path: session.log().default_path(dir, now),
            log: Box::new(session.log().clone()),
        }],
        None => {
            session.say(error(
                tr!(lang, "banner-no-report-place"),
                tr!(lang, "banner-no-report-place-text"),
            ));
            Vec::new()
        }
    }
}

/// The customer's link of the selected step (the service page without one).
fn selected_link(state: &State) -> crate::guidance::GuideLink {
    let step = state
        .session
        .as_ref()
        .and_then(VehicleSession::selected_step)
        .map(|s| s.name.clone());
    state.customer_link(step.as_deref())
}

/// A demo association's label in `lang`: the built-in scenario's labels are
/// in the catalogue as `demo-car-<id>` (its English text is the scenario's
/// own); any other label (a scenario of the user's) is shown as it came.
fn demo_label(lang: Lang, id: &str, label: &str) -> String {
    let key = format!("demo-car-{id}");
    if crate::text::has(Lang::En, &key) && crate::text::message(Lang::En, &key, None) == label {
        crate::text::message(lang, &key, None)
    } else {
        label.to_owned()
    }
}

fn on_msg(state: &mut State, msg: Msg, now: SystemTime) -> Vec<Effect> {
    let car = match &msg {
        Msg::Listed { car, .. } | Msg::Next { car, .. } | Msg::Completed { car, .. } => {
            Some(car.as_str())
        }
        _ => None,
    };
    if let Some(car) = car
        && state.session.as_ref().is_none_or(|s| s.car() != car)
        && state.board.as_ref().is_some_and(|b| b.contains(car))
    {
        return on_board_msg(state, msg, now);
    }
    match msg {
        Msg::Listed {
            car,
            id,
            purpose,
            result,
        } => {
            let Some(flight) = settle(state, &car, id) else {
                return Vec::new();
            };
            match result {
                Ok(list) => {
                    // The screen now holds a list the follower did not see:
                    // it starts afresh, or a poll could find the gateway back
                    // at the follower's last list and call it unchanged.
                    if let Some(session) = &mut state.session {
                        session.unfollow();
                    }
                    on_list(state, list, flight.filter, purpose, now)
                }
                Err(e) => on_list_error(state, &e, purpose, now),
            }
        }
        Msg::Next { car, id, result } => {
            if settle(state, &car, id).is_some() {
                on_next(state, result, now);
            }
            Vec::new()
        }
        Msg::Completed {
            car,
            id,
            step,
            result,
        } => {
            if settle(state, &car, id).is_none() {
                return Vec::new();
            }
            match result {
                Ok(()) => {
                    if let Some(session) = &mut state.session {
                        session.log_event(now, Event::Simulated { step });
                    }
                    fetch(state, Purpose::Refresh, false)
                }
                Err(e) => {
                    if let Some(session) = &mut state.session {
                        session.set_autoplay(false);
                    }
                    fail(state, &e, now);
                    Vec::new()
                }
            }
        }
        Msg::DemoCars(result) => {
            match result {
                Ok(cars) => {
                    let lang = lang(state);
                    state.demo_cars = cars
                        .into_iter()
                        .map(|c| DemoCar {
                            label: demo_label(lang, &c.id, &sanitize(&c.label)),
                            id: sanitize(&c.id),
                        })
                        .collect();
                }
                Err(e) => tracing::warn!("cannot list the demo associations: {e}"),
            }
            Vec::new()
        }
        Msg::PagesOffered(offered) => {
            state.pages = Some(offered);
            // An open QR code follows: it now points where the customer
            // can really go.
            if matches!(state.overlay, Some(Overlay::Qr(_))) {
                state.overlay = Some(Overlay::Qr(selected_link(state)));
            }
            Vec::new()
        }
        Msg::ReportWritten(result) => {
            let lang = lang(state);
            let banner = match result {
                Ok(path) => success(
                    tr!(lang, "banner-report-written"),
                    path.display().to_string(),
                ),
                Err((path, why)) => error(
                    tr!(lang, "banner-report-not-written"),
                    tr!(
                        lang,
                        "banner-report-not-written-text",
                        path = path.display().to_string(),
                        why = why
                    ),
                ),
            };
            if let Some(session) = &mut state.session {
                session.say(banner);
            }
            Vec::new()
        }
        Msg::Live { car, id, update } => on_live(state, &car, id, update, now),
        Msg::SignInPrompt { id, prompt } => {
            if let Some(Overlay::SignIn(sign_in)) = &mut state.overlay
                && sign_in.id == id
            {
                // Text from the network is shown: cleaned first.
                sign_in.prompt = Some(SignInPrompt {
                    user_code: sanitize(&prompt.user_code),
                    verification_uri: sanitize(&prompt.verification_uri),
                    address: sanitize(&prompt.address),
                    expires_in_secs: prompt.expires_in_secs,
                });
            }
            Vec::new()
        }
        Msg::SignedIn { id, result } => signed_in(state, id, result),
        Msg::Opened(result) => {
            let lang = lang(state);
            let banner = match result {
                Ok(url) => info(tr!(lang, "banner-guide-opened"), url),
                Err(OpenFailure::NoGraphicalSession(url)) => error(
                    tr!(lang, "banner-no-browser"),
                    tr!(lang, "banner-no-graphical-session", url = url),
                ),
                Err(OpenFailure::Failed { url, why }) => error(
                    tr!(lang, "banner-no-browser"),
                    tr!(lang, "banner-browser-failed", url = url, why = why),
                ),
            };
            if let Some(session) = &mut state.session {
                session.say(banner);
            }
            Vec::new()
        }
    }
}

/// The request in flight of `car`'s session, when `id` answers it.
fn settle(state: &mut State, car: &str, id: u64) -> Option<super::state::InFlight> {
    state
        .session
        .as_mut()
        .filter(|s| s.car() == car)
        .and_then(|s| s.settle(id))
}

fn on_list(
    state: &mut State,
    list: StepsList,
    asked: crate::steps::StatusFilter,
    purpose: Purpose,
    now: SystemTime,
) -> Vec<Effect> {
    let lang = lang(state);
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    let change = session.take_list(list, asked, purpose, now);
    announce(session, &change, purpose, lang);
    // Only ids that opened a list are remembered.
    match (&state.options.data_dir, change.first) {
        (Some(dir), true) => {
            let id = session.car().to_owned();
            if !state.recent.contains(&id) {
                state.recent.insert(0, id.clone());
            }
            vec![Effect::RememberId {
                data_dir: dir.clone(),
                id,
            }]
        }
        _ => Vec::new(),
    }
}

/// The banner a list answer deserves.
fn announce(session: &mut VehicleSession, change: &ListChange, purpose: Purpose, lang: Lang) {
    if !change.turned_done.is_empty() {
        let titles: Vec<String> = change
            .turned_done
            .iter()
            .map(|s| step_title(lang, s))
            .collect();
        let then = match session.next_step() {
            Some(step) => tr!(lang, "banner-next-is", title = step_title(lang, step)),
            None if change.ready => tr!(lang, "banner-all-done-ready"),
            None => tr!(lang, "banner-nothing-shown-left"),
        };
        session.say(success(
            tr!(lang, "banner-step-done", steps = titles.join(", ")),
            then,
        ));
    } else if purpose == Purpose::Reset {
        session.say(success(
            tr!(lang, "banner-reset-done"),
            tr!(lang, "banner-reset-done-text"),
        ));
    } else {
        // Keep a note the technician has not read yet (such as "Started
        // over") through quiet answers, but drop a stale error.
        session.clear_banner(matches!(purpose, Purpose::Watch | Purpose::Open));
    }
}

/// The title a person reads for a step (the raw name for unknown steps).
pub fn step_title(lang: Lang, step: &Step) -> String {
    crate::guidance::step_title(lang, &step.name)
}

/// Non-retryable answers: watching would only repeat them.
fn stops_watch(e: &GatewayError) -> bool {
    match e.rejection() {
        Some(Rejection::TooManyRequests | Rejection::ServerFailure) => false,
        Some(_) => true,
        None => {
            e.needs_login()
                || matches!(
                    e,
                    GatewayError::TooLarge { .. }
                        | GatewayError::BadAnswer(_)
                        | GatewayError::UserInfoInUrl
                        | GatewayError::BadUrl { .. }
                        | GatewayError::BadPath { .. }
                        | GatewayError::BadToken
                        | GatewayError::HttpSetup(_)
                        | GatewayError::DemoUnavailable(_)
                        | GatewayError::Tls { .. }
                        | GatewayError::Net(_)
                )
        }
    }
}

fn on_list_error(
    state: &mut State,
    e: &GatewayError,
    purpose: Purpose,
    now: SystemTime,
) -> Vec<Effect> {
    let lang = lang(state);
    let Some(session) = &mut state.session else {
        return Vec::new();
    };
    if steps_id_refused(e) && session.steps_id().is_some() {
        // The stepsID belongs to another device (403), or the gateway no
        // longer knows it (404, code 2346): start over by carAssociationID.
        let why = if e.is_wrong_device() {
            tr!(lang, "why-other-device")
        } else {
            tr!(lang, "why-steps-id-unknown")
        };
        session.forget_steps_id();
        session.log_event(
            now,
            Event::StartedOver {
                status: status_of(e),
            },
        );
        let effects = fetch(state, Purpose::Open, purpose == Purpose::Reset);
        if let Some(session) = &mut state.session {
            session.say(info(
                tr!(lang, "banner-started-over"),
                tr!(lang, "banner-started-over-text", why = why),
            ));
        }
        return effects;
    }
    if purpose == Purpose::Open
        && state.board.is_none()
        && session.list().is_none()
        && e.rejection() == Some(Rejection::NotFound)
    {
        // An id the gateway does not know: back to the field to correct it.
        session.log_error(now, lang, e);
        let car = session.car().to_owned();
        state.session = None;
        state.screen = Screen::Start(StartField::refused(&car, gateway_error(lang, e)));
        return Vec::new();
    }
    if stops_watch(e) && session.watch() {
        let demo = state.options.demo;
        stop_watch(session, e, now, lang, demo);
        return Vec::new();
    }
    fail(state, e, now);
    Vec::new()
}

/// The stepsID belongs to another device (403), or the gateway no longer
/// knows it (404, code 2346).
fn steps_id_refused(e: &GatewayError) -> bool {
    e.is_wrong_device() || e.rejection() == Some(Rejection::NotFound)
}

/// Watch stops on an answer that will not change by itself, and says why.
fn stop_watch(
    session: &mut VehicleSession,
    e: &GatewayError,
    now: SystemTime,
    lang: Lang,
    demo: bool,
) {
    session.set_watch(false);
    session.log_error(now, lang, e);
    // A refused token on a real gateway offers to sign in here.
    let text = match sign_in_offer(lang, demo, e) {
        Some(offer) => offer,
        None => tr!(
            lang,
            "banner-watch-stopped-text",
            why = gateway_error(lang, e)
        ),
    };
    session.say(error(
        tr!(
            lang,
            "banner-watch-stopped",
            what = gateway_headline(lang, e)
        ),
        text,
    ));
}

fn status_of(e: &GatewayError) -> u16 {
    match e {
        GatewayError::Rejected { status, .. } => *status,
        _ => 0,
    }
}

fn on_next(state: &mut State, result: Result<Option<Step>, GatewayError>, now: SystemTime) {
    let lang = lang(state);
    let Some(session) = &mut state.session else {
        return;
    };
    match result {
        Ok(Some(step)) => {
            session.log_event(
                now,
                Event::Next {
                    step: Some(step.name.clone()),
                },
            );
            let shown = session.shown().iter().position(|s| s.name == step.name);
            let title = step_title(lang, &step);
            let text = match shown {
                Some(index) => {
                    session.select(index);
                    tr!(
                        lang,
                        "banner-gateway-next-text",
                        title = title,
                        name = step.name.clone()
                    )
                }
                None => tr!(
                    lang,
                    "banner-gateway-next-hidden-text",
                    title = title,
                    name = step.name.clone()
                ),
            };
            session.say(info(tr!(lang, "banner-gateway-next"), text));
        }
        Ok(None) => {
            session.log_event(now, Event::Next { step: None });
            session.say(success(
                tr!(lang, "banner-nothing-left"),
                tr!(lang, "banner-nothing-left-text"),
            ));
        }
        Err(e) => fail(state, &e, now),
    }
}

/// Shows a failure; the last good list stays on screen. A refused token
/// offers to sign in instead of saying which command to run.
fn fail(state: &mut State, e: &GatewayError, now: SystemTime) {
    let lang = lang(state);
    let text = sign_in_offer(lang, state.options.demo, e).unwrap_or_else(|| gateway_error(lang, e));
    if let Some(session) = &mut state.session {
        session.log_error(now, lang, e);
        session.say(error(gateway_headline(lang, e), text));
    }
}

/// The banner text that offers `i` (sign in), when signing in is what gets
/// past `e`: a 401, or a login that is over (`invalid_grant`). Never on the
/// embedded simulator, which wants no token.
fn sign_in_offer(lang: Lang, demo: bool, e: &GatewayError) -> Option<String> {
    if demo {
        return None;
    }
    match e {
        GatewayError::Auth(AuthError::SignInAgain(why)) => Some(tr!(
            lang,
            "banner-sign-in-again-text",
            why = crate::describe::over_reason(lang, why)
        )),
        _ if e.rejection() == Some(Rejection::Unauthorized) => {
            Some(tr!(lang, "banner-sign-in-text"))
        }
        _ => None,
    }
}

/// `i`: the sign-in overlay opens and the runner starts the device flow.
fn begin_sign_in(state: &mut State) -> Vec<Effect> {
    if state.options.demo {
        return Vec::new();
    }
    let id = state.next_id;
    state.next_id += 1;
    state.overlay = Some(Overlay::SignIn(SignIn { id, prompt: None }));
    vec![Effect::SignIn {
        id,
        data_dir: state.options.data_dir.clone(),
    }]
}

/// Where a token is kept, in words.
fn place_words(lang: Lang, place: &Place) -> String {
    match place {
        Place::Keyring(name) => tr!(lang, "place-keyring", name = *name),
        Place::File(path) => tr!(lang, "place-file", path = path.display().to_string()),
    }
}

/// The sign-in ended: on success the session picks up where it was (its
/// list asked again with the new token); on failure the overlay closes and
/// the banner says why, with `i` to try again.
fn signed_in(state: &mut State, id: u64, result: Result<SignedIn, AuthError>) -> Vec<Effect> {
    if state.sign_in().is_none_or(|s| s.id != id) {
        return Vec::new();
    }
    state.overlay = None;
    let lang = lang(state);
    match result {
        Ok(signed) => {
            let mut text = tr!(
                lang,
                "banner-signed-in-text",
                place = place_words(lang, &signed.place)
            );
            if signed.new_file {
                text = format!("{text} {}", tr!(lang, "login-file-notice"));
            }
            let banner = success(tr!(lang, "banner-signed-in"), text);
            let Some(session) = &mut state.session else {
                return Vec::new();
            };
            let purpose = if session.list().is_none() {
                Purpose::Open
            } else {
                Purpose::Refresh
            };
            let effects = fetch(state, purpose, false);
            if let Some(session) = &mut state.session {
                session.say(banner);
            }
            effects
        }
        Err(e) => {
            let banner = error(
                tr!(lang, "banner-sign-in-failed"),
                tr!(
                    lang,
                    "banner-sign-in-failed-text",
                    why = auth_error(lang, &e)
                ),
            );
            if let Some(session) = &mut state.session {
                session.say(banner);
            }
            Vec::new()
        }
    }
}

fn banner(kind: BannerKind, title: String, text: String) -> Banner {
    Banner { kind, title, text }
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

/// List requests for every board session `which` picks.
fn board_fetch_all(
    state: &mut State,
    purpose: Purpose,
    which: impl Fn(&VehicleSession) -> bool,
) -> Vec<Effect> {
    let lang = state.options.lang;
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    let next_id = &mut state.next_id;
    board
        .sessions_mut()
        .filter(|s| which(s))
        .map(|s| fetch_for(s, next_id, lang, purpose, false))
        .collect()
}

/// `w` on the board: every vehicle not yet ready is watched, or, when some
/// are, none is.
fn board_toggle_live(state: &mut State) -> Vec<Effect> {
    let lang = lang(state);
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    if board.sessions().iter().any(VehicleSession::watch) {
        for s in board.sessions_mut() {
            s.set_watch(false);
        }
        board.say(info(
            tr!(lang, "board-live-off"),
            tr!(lang, "board-live-off-text"),
        ));
        return Vec::new();
    }
    let mut count = 0;
    for s in board.sessions_mut().filter(|s| !s.all_done()) {
        s.set_watch(true);
        count += 1;
    }
    if count == 0 {
        board.say(info(
            tr!(lang, "banner-nothing-to-watch"),
            tr!(lang, "board-nothing-to-watch-text"),
        ));
        return Vec::new();
    }
    board.say(info(
        tr!(lang, "board-live-on", count = num(count)),
        tr!(
            lang,
            "banner-watching-text",
            secs = num(usize::try_from(WATCH_SECS).unwrap_or(usize::MAX))
        ),
    ));
    // A vehicle with a stepsID is followed from now on (the followers
    // begin with every list as it is); the others are asked for one first.
    board_fetch_all(state, Purpose::Watch, |s| {
        s.watch() && !s.is_loading() && s.steps_id().is_none()
    })
}

/// The simulated customers of a hands-free board demo: one vehicle that is
/// not ready moves one step on each tick, taking turns (the stalest first).
fn board_customer(state: &mut State) -> Vec<Effect> {
    if !state.options.demo {
        return Vec::new();
    }
    let lang = lang(state);
    let id = state.next_id;
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    // The vehicle whose data is oldest takes its turn: the one that just
    // moved has the freshest.
    let Some(car) = board
        .sessions()
        .iter()
        .filter(|s| !s.is_loading() && s.next_step().is_some())
        .min_by_key(|s| s.last_refresh())
        .map(|s| s.car().to_owned())
    else {
        return Vec::new();
    };
    let car = &car;
    let Some(session) = board.session_mut(car) else {
        return Vec::new();
    };
    let Some(step) = session.next_step().map(|s| s.name.clone()) else {
        return Vec::new();
    };
    state.next_id += 1;
    let filter = session.filter();
    session.begin(id, tr!(lang, "loading-customer"), filter);
    vec![Effect::Complete {
        car: car.clone(),
        id,
        step,
    }]
}

/// Enter in the board's add field: a valid new id joins the board and its
/// first list is asked for.
fn add_vehicle(state: &mut State, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    let Some(field) = state.board.as_ref().and_then(Board::adding) else {
        return Vec::new();
    };
    let id = field.input().trim().to_owned();
    let duplicate = state.board.as_ref().is_some_and(|b| b.contains(&id));
    let session = new_session(state, &id, now);
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    if !is_id(&id) {
        if let Some(field) = board.adding_mut() {
            field.refuse();
        }
        return Vec::new();
    }
    if duplicate {
        if let Some(field) = board.adding_mut() {
            *field = StartField::refused(&id, tr!(lang, "board-add-duplicate", car = id.clone()));
        }
        return Vec::new();
    }
    board.stop_adding();
    board.add(session);
    let Some(session) = board.session_mut(&id) else {
        return Vec::new();
    };
    vec![fetch_for(
        session,
        &mut state.next_id,
        lang,
        Purpose::Open,
        false,
    )]
}

/// Enter on the board: the selected vehicle's steps screen, its session
/// lent by the board with everything it holds.
fn open_vehicle(state: &mut State) -> Vec<Effect> {
    let lang = lang(state);
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    let Some(car) = board.target(lang) else {
        return Vec::new();
    };
    let Some(mut session) = board.lend(&car) else {
        return Vec::new();
    };
    // The board's followers let it go; the steps screen follows it alone.
    session.unfollow();
    let idle = session.whole().is_none() && session.list().is_none() && !session.is_loading();
    state.session = Some(session);
    state.screen = Screen::Steps;
    state.overlay = None;
    if idle {
        fetch(state, Purpose::Open, false)
    } else {
        Vec::new()
    }
}

/// Esc on the steps screen of a board's vehicle: the session goes back to
/// the board as it is (its request, watch and banner kept).
fn back_to_board(state: &mut State) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let (Some(board), Some(mut session)) = (&mut state.board, state.session.take()) {
        // Its own follower stops; the board's followers take it back.
        if session.unfollow() {
            effects.push(Effect::Unfollow {
                car: session.car().to_owned(),
            });
        }
        board.give_back(session);
    }
    state.screen = Screen::Board;
    effects
}

/// Keeps the board's followers in step with the board: the lists of its
/// watched vehicles whose stepsID is known are followed together, and the
/// updates of no other vehicle are taken (live off, a vehicle added,
/// removed, opened or back, a stepsID changed).
fn sync_board_follow(state: &mut State) -> Vec<Effect> {
    let id = state.next_id;
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    // Vehicles still waiting for their first list join when it is there:
    // a thousand first answers do not restart the followers a thousand times.
    if board
        .sessions()
        .iter()
        .any(|s| s.watch() && s.steps_id().is_none() && s.is_loading())
    {
        return Vec::new();
    }
    if board.followers_in_step() {
        return Vec::new();
    }
    let wanted = board.wanted();
    if wanted.is_empty() {
        if board.followed().is_empty() {
            return Vec::new();
        }
        board.set_followed(id, wanted);
        return vec![Effect::UnfollowBoard];
    }
    // Fewer lists (a vehicle turned ready, was opened or removed): the
    // followers go on, their streams kept; only a list they do not follow
    // yet starts them again.
    if wanted
        .iter()
        .all(|pair| board.followed().binary_search(pair).is_ok())
    {
        board.answer_for(&wanted);
        return Vec::new();
    }
    state.next_id += 1;
    board.set_followed(id, wanted.clone());
    vec![Effect::FollowBoard { id, lists: wanted }]
}

/// An update of the board's followers for `car`.
fn on_board_live(
    state: &mut State,
    car: &str,
    id: u64,
    update: LiveUpdate,
    now: SystemTime,
) -> Vec<Effect> {
    let lang = lang(state);
    let demo = state.options.demo;
    let next_id = &mut state.next_id;
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    let Some(session) = board.session_mut(car) else {
        return Vec::new();
    };
    match take_follower_update(session, id, update, now, lang) {
        FollowerLeft::Nothing => Vec::new(),
        FollowerLeft::List(list) => {
            board_took_list(
                board,
                car,
                list,
                StatusFilter::All,
                Purpose::Watch,
                now,
                lang,
            );
            Vec::new()
        }
        // That follower has ended: a refused stepsID starts over by
        // carAssociationID (the new one is followed once it is there);
        // anything else stops live for the vehicle and says why.
        FollowerLeft::Ended(error) => {
            session.unfollow();
            if let Some(effect) = board_start_over(session, next_id, lang, &error, now) {
                return vec![effect];
            }
            stop_watch(session, &error, now, lang, demo);
            Vec::new()
        }
    }
}

/// A board vehicle whose stepsID the gateway refused (another device's, or
/// one it no longer knows) starts over by carAssociationID: the request that
/// does, or `None` for any other failure.
fn board_start_over(
    session: &mut VehicleSession,
    next_id: &mut u64,
    lang: Lang,
    e: &GatewayError,
    now: SystemTime,
) -> Option<Effect> {
    if !steps_id_refused(e) || session.steps_id().is_none() {
        return None;
    }
    session.forget_steps_id();
    session.log_event(
        now,
        Event::StartedOver {
            status: status_of(e),
        },
    );
    Some(fetch_for(session, next_id, lang, Purpose::Open, false))
}

/// A list for a board vehicle: taken, announced, and a vehicle that turns
/// ready is said on the board.
fn board_took_list(
    board: &mut Board,
    car: &str,
    list: StepsList,
    filter: StatusFilter,
    purpose: Purpose,
    now: SystemTime,
    lang: Lang,
) {
    let Some(session) = board.session_mut(car) else {
        return;
    };
    let was_ready = session.all_done();
    let change = session.take_list(list, filter, purpose, now);
    announce(session, &change, purpose, lang);
    if change.ready && !was_ready && !change.first {
        board.say(success(
            tr!(lang, "board-turned-ready", car = car.to_owned()),
            tr!(lang, "board-turned-ready-text"),
        ));
    }
}

/// An answer for a board vehicle that is not on the steps screen.
fn on_board_msg(state: &mut State, msg: Msg, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    let Some(board) = &mut state.board else {
        return Vec::new();
    };
    let listed = matches!(msg, Msg::Listed { .. });
    let effects = on_board_answer(board, &mut state.next_id, lang, msg, now);
    if listed && board.note_loaded() {
        tracing::info!(vehicles = board.len(), "board: every vehicle has data");
    }
    effects
}

fn on_board_answer(
    board: &mut Board,
    next_id: &mut u64,
    lang: Lang,
    msg: Msg,
    now: SystemTime,
) -> Vec<Effect> {
    match msg {
        Msg::Listed {
            car,
            id,
            purpose,
            result,
        } => {
            let Some(session) = board.session_mut(&car) else {
                return Vec::new();
            };
            let Some(flight) = session.settle(id) else {
                return Vec::new();
            };
            match result {
                Ok(list) => {
                    board_took_list(board, &car, list, flight.filter, purpose, now, lang);
                    Vec::new()
                }
                Err(e) => {
                    if let Some(effect) = board_start_over(session, next_id, lang, &e, now) {
                        return vec![effect];
                    }
                    if stops_watch(&e) {
                        session.set_watch(false);
                    }
                    session.log_error(now, lang, &e);
                    session.say(error(gateway_headline(lang, &e), gateway_error(lang, &e)));
                    Vec::new()
                }
            }
        }
        Msg::Completed {
            car,
            id,
            step,
            result,
        } => {
            let Some(session) = board.session_mut(&car) else {
                return Vec::new();
            };
            if session.settle(id).is_none() {
                return Vec::new();
            }
            match result {
                Ok(()) => {
                    session.log_event(now, Event::Simulated { step });
                    vec![fetch_for(session, next_id, lang, Purpose::Refresh, false)]
                }
                Err(e) => {
                    session.log_error(now, lang, &e);
                    session.say(error(gateway_headline(lang, &e), gateway_error(lang, &e)));
                    Vec::new()
                }
            }
        }
        Msg::Next { car, id, .. } => {
            if let Some(session) = board.session_mut(&car) {
                session.settle(id);
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}
