//! The pure update: an input and the clock in, a changed state and the effects
//! to run out. No I/O happens here, so every behaviour is testable.

use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::keymap::{Action, action_for};
use super::state::{
    Banner, BannerKind, Effect, InFlight, Input, Msg, Overlay, Purpose, Screen, State,
};
use crate::client::{GatewayError, ListRequest, Lookup, Rejection};
use crate::config::is_car_id;
use crate::guidance::{doc_url, guidance};
use crate::report::Event;
use crate::steps::{StatusFilter, StepsList, sanitize};

/// Longest error code the explainer takes.
const CODE_DIGITS: usize = 6;

/// What the wizard does first: load the demo associations, and open `car`
/// at once when it was given.
pub fn start(state: &mut State, car: Option<String>, now: SystemTime) -> Vec<Effect> {
    let mut effects = Vec::new();
    if state.demo {
        effects.push(Effect::LoadAssociations);
    }
    if let Some(car) = car {
        effects.extend(open(state, car, now));
    }
    effects
}

pub fn update(state: &mut State, input: Input, now: SystemTime) -> Vec<Effect> {
    match input {
        Input::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key, now),
        Input::Key(_) | Input::Resize => Vec::new(),
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
        Input::WatchTick => {
            if state.watch && state.screen == Screen::Steps && !state.is_loading() {
                fetch(state, Purpose::Watch, false)
            } else {
                Vec::new()
            }
        }
        Input::AutoplayTick => {
            if state.autoplay && state.screen == Screen::Steps && !state.is_loading() {
                simulate_customer(state)
            } else {
                Vec::new()
            }
        }
    }
}

fn on_key(state: &mut State, key: KeyEvent, now: SystemTime) -> Vec<Effect> {
    // Text fields take their characters before the keymap sees them.
    match (&mut state.overlay, state.screen, key.code) {
        (Some(Overlay::Explain(code)), _, KeyCode::Char(c)) if c.is_ascii_digit() => {
            if code.len() < CODE_DIGITS {
                code.push(c);
            }
            return Vec::new();
        }
        (Some(Overlay::Explain(code)), _, KeyCode::Backspace) => {
            code.pop();
            return Vec::new();
        }
        (None, Screen::Start, KeyCode::Char(c))
            if crate::steps::is_id_char(c)
                && !key
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL) =>
        {
            type_into_start(state, &c.to_string());
            return Vec::new();
        }
        (None, Screen::Start, KeyCode::Backspace) => {
            state.start.input.pop();
            state.start.picked = None;
            state.start.error = None;
            return Vec::new();
        }
        _ => {}
    }
    match action_for(state.context(), &key, state.demo) {
        Some(action) => on_action(state, action, now),
        None => Vec::new(),
    }
}

fn type_into_start(state: &mut State, text: &str) {
    let start = &mut state.start;
    for c in text.trim().chars() {
        if start.input.len() < crate::steps::MAX_ID_CHARS && crate::steps::is_id_char(c) {
            start.input.push(c);
        }
    }
    start.picked = None;
    start.error = None;
}

fn on_paste(state: &mut State, text: &str) {
    match (&mut state.overlay, state.screen) {
        (Some(Overlay::Explain(code)), _) => {
            code.extend(text.chars().filter(char::is_ascii_digit));
            code.truncate(CODE_DIGITS);
        }
        (None, Screen::Start) => type_into_start(state, text),
        _ => {}
    }
}

fn on_action(state: &mut State, action: Action, now: SystemTime) -> Vec<Effect> {
    match action {
        Action::Quit => {
            state.quit = true;
            Vec::new()
        }
        Action::Help => {
            state.overlay = Some(Overlay::Help);
            Vec::new()
        }
        Action::Back => {
            if state.overlay.take().is_none() && state.screen == Screen::Steps {
                state.screen = Screen::Start;
                state.watch = false;
                state.banner = None;
                // Whatever is in flight answers a screen that is gone.
                state.in_flight = None;
                state.start.input = state.car.clone().unwrap_or_default();
            }
            Vec::new()
        }
        Action::Up | Action::Down => {
            move_selection(state, action == Action::Down);
            Vec::new()
        }
        Action::Submit => {
            let id = state.start.input.trim().to_owned();
            if is_car_id(&id) {
                open(state, id, now)
            } else {
                state.start.error =
                    Some("Type a carAssociationID: letters, digits, - or _".to_owned());
                Vec::new()
            }
        }
        Action::Refresh => fetch(state, Purpose::Refresh, false),
        Action::ToggleWatch => toggle_watch(state),
        Action::NextStep => match state.steps_id.clone() {
            Some(steps_id) => {
                let id = begin(state, "asking for the next step");
                vec![Effect::FetchNext { id, steps_id }]
            }
            None => {
                state.banner = Some(info("No stepsID yet", "Refresh with r first."));
                Vec::new()
            }
        },
        Action::CycleFilter => {
            state.filter = state.filter.cycle();
            fetch(state, Purpose::Refresh, false)
        }
        Action::AskReset => {
            state.overlay = Some(Overlay::ConfirmReset);
            Vec::new()
        }
        Action::ConfirmReset => {
            state.overlay = None;
            state.log.push(now, Event::Reset);
            fetch(state, Purpose::Reset, true)
        }
        Action::Explain => {
            state.overlay = Some(Overlay::Explain(String::new()));
            Vec::new()
        }
        Action::OpenDoc => vec![Effect::OpenUrl(selected_doc_url(state))],
        Action::ShowQr => {
            state.overlay = Some(Overlay::Qr(selected_doc_url(state)));
            Vec::new()
        }
        Action::SimulateCustomer => simulate_customer(state),
        Action::WriteReport => match &state.data_dir {
            Some(dir) => vec![Effect::WriteReport(state.log.default_path(dir, now))],
            None => {
                state.banner = Some(error(
                    "No place for the report",
                    "There is no user data directory; use --report PATH instead.",
                ));
                Vec::new()
            }
        },
        #[cfg(debug_assertions)]
        Action::TestPanic => vec![Effect::Panic],
    }
}

fn move_selection(state: &mut State, down: bool) {
    match state.screen {
        Screen::Start => {
            let count = state.start.choices().len();
            if count == 0 {
                return;
            }
            let next = match (state.start.picked, down) {
                (None, true) => 0,
                (None, false) => count - 1,
                (Some(i), true) => (i + 1) % count,
                (Some(i), false) => (i + count - 1) % count,
            };
            state.start.input = state.start.choices()[next].0.to_owned();
            state.start.picked = Some(next);
            state.start.error = None;
        }
        Screen::Steps => {
            let count = state.shown().len();
            if count > 0 {
                state.selected = if down {
                    (state.selected + 1).min(count - 1)
                } else {
                    state.selected.saturating_sub(1)
                };
            }
        }
    }
}

/// Opens a carAssociationID: the first list must be asked by it.
fn open(state: &mut State, car: String, now: SystemTime) -> Vec<Effect> {
    state.screen = Screen::Steps;
    state.overlay = None;
    state.car = Some(car.clone());
    state.steps_id = None;
    state.list = None;
    state.filter = StatusFilter::All;
    state.selected = 0;
    state.banner = None;
    state.start.error = None;
    if state.log.car_association_id.as_deref() != Some(car.as_str()) {
        state.log.car_association_id = Some(car.clone());
        state.log.last_list = None;
    }
    state.log.push(
        now,
        Event::Note {
            text: format!("opened carAssociationID {car}"),
        },
    );
    let mut effects = vec![Effect::RememberId(car)];
    effects.extend(fetch(state, Purpose::Open, false));
    effects
}

/// Starts a list request: by stepsID once there is one, else by
/// carAssociationID.
fn fetch(state: &mut State, purpose: Purpose, reset: bool) -> Vec<Effect> {
    let Some(car) = state.car.clone() else {
        return Vec::new();
    };
    let lookup = match &state.steps_id {
        Some(steps_id) => Lookup::StepsId(steps_id.clone()),
        None => Lookup::Car(car),
    };
    let what = match purpose {
        Purpose::Open => "fetching the steps",
        Purpose::Refresh | Purpose::Watch => "refreshing",
        Purpose::Reset => "resetting the steps cache",
    };
    let id = begin(state, what);
    vec![Effect::FetchList {
        id,
        request: ListRequest {
            lookup,
            reset,
            status: state.filter,
        },
        purpose,
    }]
}

/// Marks a request in flight; an answer to any earlier one will be dropped.
fn begin(state: &mut State, what: &'static str) -> u64 {
    let id = state.next_id;
    state.next_id += 1;
    state.in_flight = Some(InFlight { id, what });
    id
}

/// True when `id` answers the request in flight, which it then ends.
fn settle(state: &mut State, id: u64) -> bool {
    if state.in_flight.as_ref().is_some_and(|f| f.id == id) {
        state.in_flight = None;
        true
    } else {
        false
    }
}

fn toggle_watch(state: &mut State) -> Vec<Effect> {
    if state.watch {
        state.watch = false;
        state.banner = Some(info("Watch off", "Press w to watch again."));
        return Vec::new();
    }
    if state.all_done() {
        state.banner = Some(info("Nothing to watch", "Every step is already done."));
        return Vec::new();
    }
    state.watch = true;
    state.banner = Some(info(
        "Watching",
        &format!(
            "Refreshing every {} s until every step is done; w stops.",
            super::state::WATCH_SECS
        ),
    ));
    if state.is_loading() {
        Vec::new()
    } else {
        fetch(state, Purpose::Watch, false)
    }
}

fn simulate_customer(state: &mut State) -> Vec<Effect> {
    if !state.demo {
        return Vec::new();
    }
    let (Some(car), Some(list)) = (state.car.clone(), &state.list) else {
        return Vec::new();
    };
    match list.next() {
        Some(step) => {
            let step = step.name.clone();
            let id = begin(state, "the customer is acting");
            vec![Effect::Complete { id, car, step }]
        }
        None => {
            state.autoplay = false;
            state.banner = Some(info(
                "Nothing left for the customer",
                "Every shown step is done.",
            ));
            Vec::new()
        }
    }
}

fn selected_doc_url(state: &State) -> String {
    let g = guidance();
    let path = match state.selected_step() {
        Some(step) => g.for_step(&step.name).doc_path.as_str(),
        None => g.service_page.as_str(),
    };
    doc_url(&state.docs_base_url, path)
}

fn on_msg(state: &mut State, msg: Msg, now: SystemTime) -> Vec<Effect> {
    match msg {
        Msg::Listed {
            id,
            purpose,
            result,
        } => {
            if !settle(state, id) {
                return Vec::new();
            }
            match result {
                Ok(list) => {
                    on_list(state, list, purpose, now);
                    Vec::new()
                }
                Err(e) => on_list_error(state, e, purpose, now),
            }
        }
        Msg::Next { id, result } => {
            if settle(state, id) {
                on_next(state, result, now);
            }
            Vec::new()
        }
        Msg::Completed { id, step, result } => {
            if !settle(state, id) {
                return Vec::new();
            }
            match result {
                Ok(()) => {
                    state.log.push(now, Event::Simulated { step: step.clone() });
                    fetch(state, Purpose::Refresh, false)
                }
                Err(e) => {
                    state.autoplay = false;
                    fail(state, e, now);
                    Vec::new()
                }
            }
        }
        Msg::Associations(result) => {
            match result {
                Ok(assocs) => {
                    state.start.demo = assocs
                        .into_iter()
                        .map(|a| (sanitize(&a.car_association_id), sanitize(&a.label)))
                        .collect();
                }
                Err(e) => tracing::warn!("cannot list the demo associations: {e}"),
            }
            Vec::new()
        }
        Msg::ReportWritten(result) => {
            state.banner = Some(match result {
                Ok(path) => success("Report written", &path.display().to_string()),
                Err(e) => error("Report not written", &e),
            });
            Vec::new()
        }
        Msg::Opened(result) => {
            state.banner = Some(match result {
                Ok(url) => info("Guide opened in the browser", &url),
                Err(e) => error("Could not open a browser", &e),
            });
            Vec::new()
        }
    }
}

fn on_list(state: &mut State, list: StepsList, purpose: Purpose, now: SystemTime) {
    let previous = state.list.take();
    // The list is cleared when another carAssociationID opens, so a previous
    // list is of the same car (a gateway may hand out a new stepsID at will).
    let same_session = previous.is_some();
    let turned_done: Vec<String> = match &previous {
        Some(prev) if same_session && !matches!(purpose, Purpose::Reset | Purpose::Open) => list
            .steps
            .iter()
            .filter(|s| s.status.is_done())
            .filter(|s| prev.find(&s.name).is_some_and(|p| !p.status.is_done()))
            .map(|s| s.title().to_owned())
            .collect(),
        _ => Vec::new(),
    };
    let next_moved =
        previous.as_ref().map(|p| p.next().map(|s| &s.name)) != Some(list.next().map(|s| &s.name));
    if list.steps_id.is_some() {
        state.steps_id = list.steps_id.clone();
    }
    state.log.record_list(now, &list);
    state.last_refresh = Some(now);
    // The NEXT step is selected when a list arrives; a quiet watch refresh
    // leaves the technician's own selection alone.
    if purpose != Purpose::Watch || next_moved || !same_session {
        state.selected = list.next_index().unwrap_or(0);
    }
    state.selected = state.selected.min(list.steps.len().saturating_sub(1));
    state.list = Some(list);

    let ready = state.all_done();
    if ready {
        state.watch = false;
        state.autoplay = false;
    }
    state.banner = if !turned_done.is_empty() {
        let then = match state.list.as_ref().and_then(StepsList::next) {
            Some(step) => format!("next is {}.", step.title()),
            None if ready => "every step is done, the service is ready.".to_owned(),
            None => "nothing shown is left to do.".to_owned(),
        };
        Some(success(
            &format!("{} is done", turned_done.join(", ")),
            &then,
        ))
    } else if purpose == Purpose::Reset {
        Some(success(
            "Steps cache reset",
            "Every step was evaluated afresh; the list shows the truth.",
        ))
    } else if matches!(purpose, Purpose::Watch | Purpose::Open) {
        // Keep a message the technician has not read yet (such as "Started
        // over"), but drop a stale error.
        state.banner.take().filter(|b| b.kind != BannerKind::Error)
    } else {
        None
    };
}

fn on_list_error(
    state: &mut State,
    e: GatewayError,
    purpose: Purpose,
    now: SystemTime,
) -> Vec<Effect> {
    let steps_id_refused = e.is_wrong_device() || e.rejection() == Some(Rejection::NotFound);
    if steps_id_refused && state.steps_id.is_some() {
        // The stepsID belongs to another device (403), or the gateway no
        // longer knows it (404, code 2346): start over by carAssociationID.
        let why = if e.is_wrong_device() {
            "The stepsID belonged to another device"
        } else {
            "The gateway no longer knows the stepsID"
        };
        state.steps_id = None;
        let note = format!(
            "{why} (HTTP {}); started over with the carAssociationID",
            status_of(&e)
        );
        state.log.push(now, Event::Note { text: note });
        let effects = fetch(state, Purpose::Open, purpose == Purpose::Reset);
        state.banner = Some(info(
            "Started over",
            &format!("{why}; asked again by carAssociationID."),
        ));
        return effects;
    }
    if purpose == Purpose::Open
        && state.list.is_none()
        && e.rejection() == Some(Rejection::NotFound)
    {
        // An id the gateway does not know: back to the field to correct it.
        state.log.push(
            now,
            Event::Error {
                what: e.headline().to_owned(),
                detail: e.to_string(),
            },
        );
        state.screen = Screen::Start;
        state.start.input = state.car.clone().unwrap_or_default();
        state.start.error = Some(e.to_string());
        return Vec::new();
    }
    fail(state, e, now);
    Vec::new()
}

fn status_of(e: &GatewayError) -> u16 {
    match e {
        GatewayError::Rejected { status, .. } => *status,
        _ => 0,
    }
}

fn on_next(
    state: &mut State,
    result: Result<Option<crate::steps::Step>, GatewayError>,
    now: SystemTime,
) {
    match result {
        Ok(Some(step)) => {
            let shown = state.shown().iter().position(|s| s.name == step.name);
            let title = step.title().to_owned();
            state.banner = Some(match shown {
                Some(index) => {
                    state.selected = index;
                    info(
                        "Next step, says the gateway",
                        &format!("{title} ({}).", step.name),
                    )
                }
                None => info(
                    "Next step, says the gateway",
                    &format!(
                        "{title} ({}), not in the shown list; f changes the filter.",
                        step.name
                    ),
                ),
            });
        }
        Ok(None) => {
            state.banner = Some(success(
                "Nothing left to do",
                "The gateway answered null: no step remains, the service is ready.",
            ));
        }
        Err(e) => fail(state, e, now),
    }
}

/// Shows a failure; the last good list stays on screen.
fn fail(state: &mut State, e: GatewayError, now: SystemTime) {
    state.log.push(
        now,
        Event::Error {
            what: e.headline().to_owned(),
            detail: e.to_string(),
        },
    );
    state.banner = Some(error(e.headline(), &e.to_string()));
}

fn banner(kind: BannerKind, title: &str, text: &str) -> Banner {
    Banner {
        kind,
        title: title.to_owned(),
        text: text.to_owned(),
    }
}

fn info(title: &str, text: &str) -> Banner {
    banner(BannerKind::Info, title, text)
}

fn success(title: &str, text: &str) -> Banner {
    banner(BannerKind::Success, title, text)
}

fn error(title: &str, text: &str) -> Banner {
    banner(BannerKind::Error, title, text)
}
