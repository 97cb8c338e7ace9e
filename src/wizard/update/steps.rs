//! The start screen's and the steps screen's keys: open a vehicle, ask for
//! its list or next step, watch, reset, act as the simulated customer, and
//! go back to the start screen.

use std::time::SystemTime;

use super::{error, info, lang, success, title};
use crate::report::Event;
use crate::steps::is_id;
use crate::text::Lang;
use crate::tr;
use crate::wizard::keymap::Action;
use crate::wizard::session::{ListChange, VehicleSession};
use crate::wizard::start::StartField;
use crate::wizard::state::{Effect, Overlay, Purpose, Screen, State};

pub(super) fn on_action(state: &mut State, action: Action, now: SystemTime) -> Vec<Effect> {
    match action {
        Action::Submit => {
            let Screen::Start(field) = &mut state.screen else {
                return Vec::new();
            };
            if field.hold_for_dropped() {
                return Vec::new();
            }
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
            if let Some(session) = state.session_mut() {
                session.cycle_filter();
                let status = session.filter().as_wire().to_owned();
                session.log_event(now, Event::FilterChosen { status });
            }
            fetch(state, Purpose::Refresh, false)
        }
        Action::AskReset => {
            state.overlay = Some(Overlay::ConfirmReset);
            Vec::new()
        }
        Action::ConfirmReset => {
            state.overlay = None;
            if let Some(session) = state.session_mut() {
                session.log_event(now, Event::Reset);
            }
            fetch(state, Purpose::Reset, true)
        }
        Action::Explain => {
            state.overlay = Some(Overlay::Explain(String::new()));
            Vec::new()
        }
        Action::OpenDoc | Action::ShowQr if no_step_on_screen(state, action) => Vec::new(),
        Action::OpenDoc => vec![Effect::OpenUrl(selected_link(state).url)],
        Action::ShowQr => {
            state.overlay = Some(Overlay::Qr(selected_link(state)));
            Vec::new()
        }
        Action::SimulateCustomer => simulate_customer(state),
        Action::CycleGuideLang => {
            state.guide_lang = state.guide_lang.next();
            let lang = state.guide_lang.code().to_owned();
            if let Some(session) = state.session_mut() {
                session.log_event(now, Event::GuideLanguage { lang });
            }
            Vec::new()
        }
        #[cfg(debug_assertions)]
        Action::TestPanic => test_panic(state),
        _ => Vec::new(),
    }
}

/// Esc on the steps screen: the session waits behind the start screen, its
/// watch off and its request dropped; the field holds its id.
pub(super) fn back_to_start(state: &mut State) -> Vec<Effect> {
    let Some(session) = state.session_mut() else {
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

/// Opens a carAssociationID: the first list must be asked by it. A vehicle
/// opened before in this run resumes its session (list, log and all).
pub(super) fn open(state: &mut State, car: &str, now: SystemTime) -> Vec<Effect> {
    state.screen = Screen::Steps;
    state.overlay = None;
    let resume = state.vehicles.contains(car);
    if !resume {
        let session = super::new_session(state, car, now);
        state.vehicles.add(session);
    }
    state.vehicles.select(car);
    state.open = Some(car.to_owned());
    let purpose = if resume {
        Purpose::Refresh
    } else {
        Purpose::Open
    };
    fetch(state, purpose, false)
}

/// Starts a list request for the open vehicle.
pub(super) fn fetch(state: &mut State, purpose: Purpose, reset: bool) -> Vec<Effect> {
    let lang = lang(state);
    let id = state.next_id;
    let Some(session) = state.session_mut() else {
        return Vec::new();
    };
    let mut next_id = id;
    let effect = fetch_for(session, &mut next_id, lang, purpose, reset);
    state.next_id = next_id;
    vec![effect]
}

/// A list request for one session, which is then in flight.
pub(super) fn fetch_for(
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
        Purpose::Refresh | Purpose::Watch | Purpose::Recheck => tr!(lang, "loading-refresh"),
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
    let Some(session) = state.session_mut() else {
        return Vec::new();
    };
    let Some(steps_id) = session.steps_id().map(str::to_owned) else {
        // No list came, and the failure on screen says why: it stays (a
        // refresh may meet the same failure, "refresh first" would hide it).
        if needs_a_list(session, lang, "n") {
            return Vec::new();
        }
        // The gateway's own list came without one: `r` would not bring it.
        // One came and was refused since: dropped, not "not yet".
        let (title, text) = match session.whole().map(|l| l.steps_id.is_some()) {
            Some(false) => (
                tr!(lang, "banner-no-steps-id"),
                tr!(lang, "banner-no-steps-id-in-list-text"),
            ),
            Some(true) => (
                tr!(lang, "banner-steps-id-dropped"),
                tr!(lang, "banner-steps-id-dropped-text"),
            ),
            None => (
                tr!(lang, "banner-no-steps-id"),
                tr!(lang, "banner-no-steps-id-text"),
            ),
        };
        session.say(info(title, text));
        return Vec::new();
    };
    let filter = session.filter();
    session.begin(id, tr!(lang, "loading-next"), filter);
    let car = session.car().to_owned();
    state.next_id += 1;
    vec![Effect::FetchNext { car, id, steps_id }]
}

fn toggle_watch(state: &mut State) -> Vec<Effect> {
    let (lang, now) = (lang(state), state.now);
    let Some(session) = state.session_mut() else {
        return Vec::new();
    };
    if session.watch() {
        session.set_watch(false);
        session.log_event(now, Event::Watch { on: false });
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
    session.log_event(now, Event::Watch { on: true });
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

/// A list of the stepsID on show that no longer holds steps not done
/// before (`lost`): not taken, so the vehicle keeps the list it had and is
/// never said ready on it; said once as the gateway's fault (stranger 67,
/// BP9).
pub(super) fn short_list(
    session: &mut VehicleSession,
    lost: &[String],
    now: SystemTime,
    lang: Lang,
) -> super::answers::Outcome {
    let title = tr!(lang, "banner-list-lost-steps");
    let text = tr!(
        lang,
        "banner-list-lost-steps-text",
        id = session.steps_id().unwrap_or_default().to_owned(),
        steps = lost.join(", ")
    );
    if session.banner().is_none_or(|b| b.title != title) {
        session.log_event(
            now,
            Event::Error {
                what: title.clone(),
                detail: text.clone(),
            },
        );
        session.say(error(title, text));
    }
    super::answers::Outcome::Failed { unknown_id: None }
}

pub(super) fn simulate_customer(state: &mut State) -> Vec<Effect> {
    let lang = lang(state);
    if !state.options.demo {
        // The customer is played on the demo backend only: say how it is
        // done against `stepwise serve`, never nothing.
        let call = state.options.complete_call.clone();
        let state_needs_token = state.options.complete_needs_token;
        // A token given by hand is the technician's own; one from a sign-in
        // is never shown (stranger 48, AW8).
        let by_hand = state.options.token_given.is_some();
        let fixed = state.options.login_fixed;
        if let Some(session) = state.session_mut() {
            let step = session
                .next_step()
                .map_or_else(|| "STEP".to_owned(), |s| s.name.clone());
            // Percent-encoded, as the path needs them: a name with a space,
            // `?`, `#` or `/` is one segment, and the command runs as shown.
            let url = call
                .replace("{car}", &path_segment(session.car()))
                .replace("{name}", &path_segment(&step));
            let text = if state_needs_token && by_hand {
                tr!(lang, "banner-simulate-demo-only-token-text", url = url)
            } else if state_needs_token && fixed {
                // Kept by `login --with-token`: the technician's own token,
                // not a sign-in's (stranger 66, BO2).
                tr!(lang, "banner-simulate-demo-only-fixed-text", url = url)
            } else if state_needs_token {
                tr!(lang, "banner-simulate-demo-only-login-text", url = url)
            } else {
                tr!(lang, "banner-simulate-demo-only-text", url = url)
            };
            session.say(info(tr!(lang, "banner-simulate-demo-only"), text));
        }
        return Vec::new();
    }
    let id = state.next_id;
    let Some(session) = state.session_mut() else {
        return Vec::new();
    };
    if session.whole().is_none() && session.list().is_none() {
        // The failure that says why stays, led by the word on `s`
        // (stranger 64, BM2).
        needs_a_list(session, lang, "s");
        return Vec::new();
    }
    match session.next_step().map(|s| s.name.clone()) {
        Some(step) => {
            let filter = session.filter();
            session.begin(id, tr!(lang, "loading-customer"), filter);
            let car = session.car().to_owned();
            state.next_id += 1;
            vec![Effect::Complete { car, id, step }]
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

/// The customer's link of the selected step (the service page without one).
pub(super) fn selected_link(state: &State) -> crate::guidance::GuideLink {
    let step = state
        .session()
        .and_then(VehicleSession::selected_step)
        .map(|s| s.name.clone());
    state.customer_link(step.as_deref())
}

/// A key that needs a list (`n`, `g`, `o`) with none come and the failure
/// on show that says why: the failure stays, with a first sentence that
/// the key has nothing to act on, never "press r" that would meet the
/// same failure (stranger 60, BI3). `false` where that is not the case.
fn needs_a_list(session: &mut VehicleSession, lang: Lang, key: &str) -> bool {
    if session.list().is_some() {
        return false;
    }
    let Some(banner) = session
        .banner()
        .filter(|b| b.kind == crate::wizard::state::BannerKind::Error)
        .cloned()
    else {
        return false;
    };
    let lead = tr!(lang, "banner-key-needs-list", key = key);
    if !banner.text.starts_with(&lead) {
        // Another key's sentence goes: one lead at a time.
        let text = ["n", "g", "o", "s"]
            .iter()
            .map(|k| tr!(lang, "banner-key-needs-list", key = *k))
            .find_map(|l| banner.text.strip_prefix(&l).map(str::trim_start))
            .unwrap_or(&banner.text)
            .to_owned();
        let remedy = session.remedy();
        session.say(crate::wizard::state::Banner {
            text: format!("{lead} {text}"),
            ..banner
        });
        session.set_remedy(remedy);
    }
    true
}

/// `g` and `o` with no step on screen (a filter hides every step, or no
/// list has come): there is no step's page to give the customer, which is
/// said instead of a page for no step.
fn no_step_on_screen(state: &mut State, action: Action) -> bool {
    let lang = lang(state);
    let Some(session) = state.session_mut() else {
        return true;
    };
    if session.selected_step().is_some() {
        return false;
    }
    let key = if action == Action::OpenDoc { "o" } else { "g" };
    if needs_a_list(session, lang, key) {
        return true;
    }
    let hidden = session.whole().is_some_and(|l| !l.steps.is_empty());
    let text = if hidden {
        let filter = session.filter().as_wire().to_owned();
        tr!(lang, "banner-no-step-shown-filter-text", filter = filter)
    } else {
        tr!(lang, "banner-no-step-shown-text")
    };
    session.say(info(tr!(lang, "banner-no-step-shown"), text));
    true
}

/// `!` in a debug build with `STEPWISE_TEST_PANIC`: a panic on the loop,
/// (`=task`) in a request task of the open vehicle, which is then waiting,
/// or (`=elsewhere`) in a background task nothing catches.
#[cfg(debug_assertions)]
fn test_panic(state: &mut State) -> Vec<Effect> {
    use crate::wizard::state::TestPanic;
    match state.options.test_panic_at {
        TestPanic::Loop => return vec![Effect::Panic],
        TestPanic::Elsewhere => return vec![Effect::PanicElsewhere],
        TestPanic::Task => {}
    }
    let lang = lang(state);
    let id = state.next_id;
    let Some(session) = state.session_mut() else {
        return Vec::new();
    };
    let filter = session.filter();
    session.begin(id, tr!(lang, "loading-refresh"), filter);
    let car = session.car().to_owned();
    state.next_id += 1;
    vec![Effect::PanicInTask { car, id }]
}

/// `text` as one URL path segment: every byte but the unreserved ones
/// (letters, digits, `-._~`) percent-encoded.
fn path_segment(text: &str) -> String {
    use std::fmt::Write as _;
    text.bytes()
        .fold(String::with_capacity(text.len()), |mut out, b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(char::from(b));
            } else {
                let _ = write!(out, "%{b:02X}");
            }
            out
        })
}

/// The banner a list answer deserves.
pub(super) fn announce(
    session: &mut VehicleSession,
    change: &ListChange,
    purpose: Purpose,
    lang: Lang,
) {
    // A step no longer done is said first: a "done" or "ready" banner of
    // before would state what is no longer so.
    if !change.turned_back.is_empty() {
        let titles: Vec<String> = change.turned_back.iter().map(|s| title(lang, s)).collect();
        let undone = tr!(
            lang,
            "banner-step-undone",
            steps = titles.join(", "),
            count = crate::text::num(titles.len())
        );
        // Two steps or more are "them" (stranger 69, BR2).
        let text = if titles.len() > 1 {
            tr!(lang, "banner-steps-undone-text")
        } else {
            tr!(lang, "banner-step-undone-text")
        };
        // Started over on a list that undid steps: both said (stranger 69,
        // BR12).
        let started_over = tr!(lang, "banner-started-over");
        match session.banner().filter(|b| b.title == started_over) {
            Some(before) => {
                let text = format!("{} {undone}: {text}", before.text);
                session.say(info(started_over, text));
            }
            None => session.say(info(undone, text)),
        }
    } else if !change.turned_done.is_empty() {
        let titles: Vec<String> = change.turned_done.iter().map(|s| title(lang, s)).collect();
        let then = match session.next_step() {
            Some(step) => tr!(lang, "banner-next-is", title = title(lang, step)),
            None if change.ready => tr!(lang, "banner-all-done-ready"),
            None => tr!(lang, "banner-nothing-shown-left"),
        };
        session.say(success(
            tr!(
                lang,
                "banner-step-done",
                steps = titles.join(", "),
                count = crate::text::num(titles.len())
            ),
            then,
        ));
    } else if purpose == Purpose::Reset {
        session.say(success(
            tr!(lang, "banner-reset-done"),
            tr!(lang, "banner-reset-done-text"),
        ));
    } else if purpose == Purpose::Recheck && !change.ready {
        // The next-step call said nothing is left; the fresh list still
        // has steps to do: the gateway contradicts itself.
        session.say(error(
            tr!(lang, "banner-answers-disagree"),
            tr!(lang, "banner-answers-disagree-text"),
        ));
    } else {
        // Keep a note the technician has not read yet (such as "Started
        // over") through quiet answers, but drop a stale error.
        session.clear_banner(matches!(
            purpose,
            Purpose::Watch | Purpose::Open | Purpose::Recheck
        ));
    }
}

/// A demo vehicle whose label says its cache is stale: after a reset it
/// is not (for this device) any more, and its label says so.
pub(super) fn relabel_after_reset(state: &mut State, car: &str) {
    let lang = lang(state);
    if let Some(demo) = state
        .demo_cars
        .iter_mut()
        .find(|d| d.id == car && d.stale_cache)
    {
        demo.label = tr!(lang, "demo-car-reset-done");
        demo.stale_cache = false;
    }
}

/// Only ids that opened a list are remembered.
pub(super) fn remember(state: &mut State, car: &str) -> Vec<Effect> {
    let Some(dir) = &state.options.data_dir else {
        return Vec::new();
    };
    if !state.recent.iter().any(|r| r == car) {
        state.recent.insert(0, car.to_owned());
    }
    vec![Effect::RememberId {
        data_dir: dir.clone(),
        id: car.to_owned(),
    }]
}

/// A first list that carries no stepsID is said (the next-step call and
/// live events cannot ask by it; watch asks by carAssociationID), not taken
/// without a word (stranger 56, BE4).
pub(super) fn said_unkeyed(state: &mut State, car: &str) {
    let lang = lang(state);
    let Some(session) = state.vehicles.session_mut(car) else {
        return;
    };
    if session.whole().is_some_and(|l| l.steps_id.is_none()) {
        session.say(info(
            tr!(lang, "banner-list-without-steps-id"),
            tr!(
                lang,
                "banner-list-without-steps-id-text",
                secs = crate::text::num(
                    usize::try_from(crate::wizard::state::WATCH_SECS).unwrap_or(usize::MAX)
                )
            ),
        ));
    }
}

/// The list asked again after the gateway's next step disagreed with it:
/// still disagreeing, the list was not old; its two answers disagree,
/// which is said, with the step the list puts first (stranger 81, CD2).
pub(super) fn next_checked(session: &mut VehicleSession, lang: Lang) {
    use crate::steps::name_mark;
    let Some(mark) = session.next_check.take() else {
        return;
    };
    let Some(first) = session
        .next_step()
        .filter(|s| name_mark(&s.name) != mark)
        .cloned()
    else {
        return;
    };
    // The step the gateway named, in the list asked again (else nothing
    // to say it by).
    let Some(named) = session
        .whole()
        .and_then(|l| l.steps.iter().find(|s| name_mark(&s.name) == mark))
        .cloned()
    else {
        return;
    };
    let (said, name) = (super::title(lang, &named), named.name.clone());
    session.say(super::info(
        tr!(lang, "banner-next-disagrees"),
        tr!(
            lang,
            "banner-next-disagrees-text",
            said = said,
            name = name,
            first = super::title(lang, &first),
            first_name = first.name.clone(),
            status = first.status.as_wire().to_owned()
        ),
    ));
}
