//! Answers: every gateway answer, live update or failed task for any
//! vehicle goes through one function, [`answer`], which changes that
//! vehicle's session and returns an [`Outcome`]; the screens react to the
//! outcome in [`on_vehicle`] (the start field, the board's announcements),
//! and the session's log, which the report is made of, has recorded it.

use std::time::SystemTime;

use super::refused::{
    StartOver, failure_words, follower_words, no_longer_found, refused_again, remedy_for,
    reset_refused_in_front, start_over, stop_watch,
};
use super::sign_in::{sign_in_offer, wants_token};
use super::steps::{announce, fetch_for};
use super::{error, info, lang, success, title};
use crate::client::live::LiveUpdate;
use crate::client::{GatewayError, Recovery, Rejection};
use crate::describe::gateway_headline;
use crate::report::Event;
use crate::steps::{StatusFilter, Step, StepsList, sanitize};
use crate::text::Lang;
use crate::tr;
use crate::wizard::session::{ListChange, VehicleSession};
use crate::wizard::start::StartField;
use crate::wizard::state::{Effect, Msg, Purpose, Screen, State};

/// An answer for one vehicle: the gateway's to a request, a follower's
/// update, or a task that ended without answering.
pub(super) enum Answer {
    Listed {
        id: u64,
        purpose: Purpose,
        result: Result<StepsList, GatewayError>,
    },
    Next {
        id: u64,
        result: Result<Option<Step>, GatewayError>,
    },
    Completed {
        id: u64,
        step: String,
        result: Result<(), GatewayError>,
    },
    Live {
        id: u64,
        update: LiveUpdate,
    },
    TaskFailed {
        id: u64,
        why: String,
    },
}

/// What an answer did to its vehicle, for the screens to react to.
#[derive(Debug)]
pub(super) enum Outcome {
    /// A stale answer, or one that changed nothing the screens show.
    Nothing,
    /// A list was taken; `asked`: the wizard asked for it (not a
    /// follower's push).
    Took {
        change: ListChange,
        was_ready: bool,
        asked: bool,
    },
    /// The gateway refused the stepsID: asked again by carAssociationID.
    StartedOver,
    /// The vehicle shows the failure. `unknown_id`: the gateway does not
    /// know the carAssociationID of a first list, in these words.
    Failed { unknown_id: Option<String> },
    /// The vehicle's banner says what came (the next step, an act).
    Noted,
}

/// What judging an answer depends on beyond the session.
#[derive(Clone, Copy)]
pub(super) struct Judge {
    pub lang: Lang,
    pub demo: bool,
    /// Run as `stepwise demo`, which takes no --api.
    pub demo_command: bool,
    /// The vehicle is a row of the board (which has no start screen).
    pub board: bool,
    /// The kept logins could not be read: why no token goes out.
    pub login_trouble: Option<&'static str>,
    /// The kept login is a fixed token (`login --with-token`).
    pub login_fixed: bool,
}

/// The one place an answer for a vehicle is judged, whichever screen it is
/// on: its session changes, its log records it, and the outcome says what
/// happened. Answers to a request no longer in flight are dropped.
pub(super) fn answer(
    session: &mut VehicleSession,
    next_id: &mut u64,
    judge: Judge,
    answer: Answer,
    now: SystemTime,
) -> (Outcome, Vec<Effect>) {
    let Judge { lang, .. } = judge;
    match answer {
        Answer::Listed {
            id,
            purpose,
            result,
        } => {
            let Some(flight) = session.settle(id) else {
                return (Outcome::Nothing, Vec::new());
            };
            match result {
                Ok(list) => (
                    took(session, list, flight.filter, purpose, now, lang),
                    Vec::new(),
                ),
                Err(e) => list_error(session, next_id, judge, &e, purpose, now),
            }
        }
        Answer::Next { id, result } => {
            if session.settle(id).is_none() {
                return (Outcome::Nothing, Vec::new());
            }
            next(session, next_id, judge, result, now)
        }
        Answer::Completed { id, step, result } => {
            if session.settle(id).is_none() {
                return (Outcome::Nothing, Vec::new());
            }
            match result {
                Ok(()) => {
                    let shown = crate::guidance::step_title(lang, &step);
                    session.log_event(now, Event::Simulated { step });
                    let effect = fetch_for(session, next_id, lang, Purpose::Refresh, false);
                    // `s` says what it did; the list's answer then says
                    // what changed.
                    session.say(info(
                        tr!(lang, "banner-simulated"),
                        tr!(lang, "banner-simulated-text", title = shown),
                    ));
                    (Outcome::Noted, vec![effect])
                }
                Err(e) => {
                    session.set_autoplay(false);
                    (fail(session, judge, &e, now), Vec::new())
                }
            }
        }
        Answer::Live { id, update } => live(session, next_id, judge, id, update, now),
        Answer::TaskFailed { id, why } => task_failed(session, lang, id, &why, now),
    }
}

fn took(
    session: &mut VehicleSession,
    list: StepsList,
    asked: StatusFilter,
    purpose: Purpose,
    now: SystemTime,
    lang: Lang,
) -> Outcome {
    session.hold_until(None);
    let lost = session.lost_steps(&list, asked);
    if !lost.is_empty() {
        return super::steps::short_list(session, &lost, now, lang);
    }
    let was_ready = session.all_done();
    // A gateway that ignored the status filter: said, as `steps` says it.
    let ignored = list
        .steps
        .iter()
        .filter(|s| asked.contradicts(&s.status))
        .count();
    let total = crate::text::num(list.steps.len());
    let change = session.take_list(list, asked, purpose, now);
    announce(session, &change, purpose, lang);
    super::steps::next_checked(session, lang);
    if ignored > 0 {
        let n = crate::text::num(ignored);
        let status = asked.contrary();
        session.say(info(
            tr!(lang, "banner-filter-ignored"),
            tr!(
                lang,
                "cli-filter-ignored-json",
                other = n,
                total = total,
                status = status
            ),
        ));
    }
    Outcome::Took {
        change,
        was_ready,
        asked: true,
    }
}

fn list_error(
    session: &mut VehicleSession,
    next_id: &mut u64,
    judge: Judge,
    e: &GatewayError,
    purpose: Purpose,
    now: SystemTime,
) -> (Outcome, Vec<Effect>) {
    // The gateway's own wait (a 503's or a 429's Retry-After): watch keeps
    // it, as its words say (stranger 61, BJ13).
    session.hold_until(match e {
        GatewayError::Rejected {
            retry_after: Some(wait),
            ..
        } if !wait.is_zero() => now.checked_add(*wait),
        _ => None,
    });
    match start_over(session, next_id, judge.lang, e, purpose, now) {
        StartOver::Asked(effect) => return (Outcome::StartedOver, vec![effect]),
        StartOver::Again => {
            refused_again(session, judge, e, now);
            return (Outcome::Failed { unknown_id: None }, Vec::new());
        }
        StartOver::No => {}
    }
    if purpose == Purpose::Reset && reset_refused_in_front(session, judge.lang, e, now) {
        return (Outcome::Failed { unknown_id: None }, Vec::new());
    }
    if no_longer_found(session, judge.lang, e, now) {
        return (Outcome::Failed { unknown_id: None }, Vec::new());
    }
    let unknown_id = (purpose == Purpose::Open
        && session.list().is_none()
        && e.rejection() == Some(Rejection::NotFound))
    .then(|| failure_words(judge, e));
    if stops_watch(e) && session.watch() {
        stop_watch(session, judge, e, now);
    } else if session.watch() && session.following().is_none() {
        // Watch asks for the list again by itself: said, and not "retry".
        fail(session, judge, e, now);
        if sign_in_offer(judge, e).is_none() {
            let lang = judge.lang;
            let text = format!(
                "{}. {}",
                crate::describe::gateway_cause(lang, e),
                if let GatewayError::Rejected {
                    retry_after: Some(wait),
                    ..
                } = e
                    && wait.as_secs() > 0
                {
                    // The wait it asked, named: the screen shows no other.
                    tr!(lang, "banner-watch-waits-secs", secs = wait.as_secs())
                } else if e.asks_to_wait() {
                    tr!(lang, "banner-watch-waits")
                } else {
                    tr!(lang, "banner-watch-retries")
                }
            );
            session.say(error(gateway_headline(lang, e), text));
        }
    } else {
        fail(session, judge, e, now);
    }
    (Outcome::Failed { unknown_id }, Vec::new())
}

/// An update of follower `id`: the way it follows, the quiet banner of a
/// reconnect, a pushed list, and its end. An update of another (older)
/// follower is dropped; nothing that did not change reaches the screen or
/// the log.
fn live(
    session: &mut VehicleSession,
    next_id: &mut u64,
    judge: Judge,
    id: u64,
    update: LiveUpdate,
    now: SystemTime,
) -> (Outcome, Vec<Effect>) {
    let lang = judge.lang;
    // An older follower's word that this vehicle's stepsID is refused holds
    // while the vehicle still has it: the board's followers restart when
    // another vehicle of the same stream starts over first (stranger 69,
    // BR8).
    let still_its = matches!(&update, LiveUpdate::Dropped { steps_id, .. }
        if session.steps_id() == Some(steps_id.as_str()));
    if session.follower_mut(id).is_none() && !still_its {
        return (Outcome::Nothing, Vec::new());
    }
    match update {
        LiveUpdate::List(list) => {
            session.end_trouble();
            let outcome = match took(session, list, StatusFilter::All, Purpose::Watch, now, lang) {
                Outcome::Took {
                    change, was_ready, ..
                } => Outcome::Took {
                    change,
                    was_ready,
                    asked: false,
                },
                other => other,
            };
            (outcome, Vec::new())
        }
        LiveUpdate::Unchanged { .. } => {
            session.end_trouble();
            session.confirm_fresh(now);
            (Outcome::Nothing, Vec::new())
        }
        // Given up for polling: the banner says it (and the board).
        LiveUpdate::Mode(mode) => match super::follow::mode_changed(session, id, mode, lang, now) {
            true => (Outcome::Noted, Vec::new()),
            false => (Outcome::Nothing, Vec::new()),
        },
        LiveUpdate::Error {
            error,
            retrying: true,
        }
        | LiveUpdate::ListTrouble { error, .. } => {
            // The report says what the screen says: the stream's trouble,
            // not the list's (an event of the stream, not --api). Kept
            // whole: when the stream is given up for polling, its last
            // failure is said with the gateway's words and code.
            let why = follower_words(session, lang, &error);
            let what = gateway_headline(lang, &error);
            let text = super::refused::live_trouble_text(lang, &error, why.clone());
            // The same failure again (a renewal held) is one event; a wait
            // the gateway asked is kept with it (stranger 63, BL9).
            let waits = matches!(&error, GatewayError::Rejected { retry_after: Some(w), .. } if !w.is_zero());
            session.log_unless_repeated(
                now,
                crate::report::Event::Error {
                    what: what.clone(),
                    detail: if waits { text.clone() } else { why.clone() },
                },
            );
            let stream = matches!(error, GatewayError::Live(_));
            // Kept for a stream given up later: its cause without "it
            // reconnects by itself" (stranger 80, CC5).
            let cause = crate::describe::without_reconnect(lang, &error, &why);
            // A stream that stalls without keep-alives stays said when it
            // is back: its changes may come late (stranger 80, CC4).
            let stalls = matches!(
                error,
                GatewayError::Live(crate::client::live::LiveFault::Silent {
                    kept_alive: false,
                    ..
                })
            );
            let after = stalls.then(|| info(tr!(lang, "banner-live-stalls"), format!("{why}.")));
            session.say_trouble(crate::wizard::session::Trouble {
                banner: info(tr!(lang, "banner-live-trouble", what = what), text),
                what: cause,
                inherited: false,
                stream,
                after,
            });
            (Outcome::Nothing, Vec::new())
        }
        // The follower has ended: a refused stepsID starts over by
        // carAssociationID (and the new one is followed); anything else
        // stops watch and says why. Either way the follower goes (the
        // followers' sync tells the runner).
        LiveUpdate::Error {
            error,
            retrying: false,
        }
        | LiveUpdate::Dropped { error, .. } => {
            match start_over(session, next_id, lang, &error, Purpose::Watch, now) {
                StartOver::Asked(effect) => return (Outcome::StartedOver, vec![effect]),
                StartOver::Again => refused_again(session, judge, &error, now),
                StartOver::No => stop_watch(session, judge, &error, now),
            }
            (Outcome::Failed { unknown_id: None }, Vec::new())
        }
    }
}

/// The task of request or follower `id` ended without an answer: the
/// vehicle stops waiting, says so, and `r` asks again.
fn task_failed(
    session: &mut VehicleSession,
    lang: Lang,
    id: u64,
    why: &str,
    now: SystemTime,
) -> (Outcome, Vec<Effect>) {
    let request = session.settle(id).is_some();
    let follower = !request && session.follower_mut(id).is_some();
    if !request && !follower {
        return (Outcome::Nothing, Vec::new());
    }
    if follower {
        session.set_watch(false);
        session.unfollow();
    }
    let title = tr!(lang, "banner-task-failed");
    let text = tr!(lang, "banner-task-failed-text", why = sanitize(why));
    session.log_event(
        now,
        Event::Error {
            what: title.clone(),
            detail: text.clone(),
        },
    );
    session.set_refused_token(false);
    session.say(error(title, text));
    (Outcome::Failed { unknown_id: None }, Vec::new())
}

fn next(
    session: &mut VehicleSession,
    next_id: &mut u64,
    judge: Judge,
    result: Result<Option<Step>, GatewayError>,
    now: SystemTime,
) -> (Outcome, Vec<Effect>) {
    let lang = judge.lang;
    let step = match result {
        Ok(step) => step,
        // A stepsID the gateway no longer knows (or another device's)
        // starts over by carAssociationID, as a refresh does.
        Err(e) => return list_error(session, next_id, judge, &e, Purpose::Refresh, now),
    };
    session.log_event(
        now,
        Event::Next {
            step: step.as_ref().map(|s| s.name.clone()),
        },
    );
    // The list on screen may be older than the gateway's answer (the
    // customer acted since): it is asked for again, so the screen, the
    // progress and the report end on the state this answer speaks of.
    let older = match &step {
        Some(step) => session.next_step().is_none_or(|s| s.name != step.name),
        None => !session.all_done(),
    };
    let (title, mut text) = match &step {
        Some(step) => {
            let title = title(lang, step);
            let name = step.name.clone();
            let text = match session.shown().iter().position(|s| s.name == step.name) {
                Some(index) => {
                    session.select(index);
                    tr!(lang, "banner-gateway-next-text", title = title, name = name)
                }
                None => tr!(
                    lang,
                    "banner-gateway-next-hidden-text",
                    title = title,
                    name = name
                ),
            };
            (tr!(lang, "banner-gateway-next"), text)
        }
        None => (
            tr!(lang, "banner-nothing-left"),
            tr!(lang, "banner-nothing-left-text"),
        ),
    };
    let mut effects = Vec::new();
    if older {
        session.next_check = step.as_ref().map(|s| crate::steps::name_mark(&s.name));
        text = format!("{text} {}", tr!(lang, "banner-next-list-older"));
        let purpose = if step.is_none() {
            Purpose::Recheck
        } else {
            Purpose::Watch
        };
        effects.push(fetch_for(session, next_id, lang, purpose, false));
    }
    session.say(match step {
        Some(_) => info(title, text),
        None => success(title, text),
    });
    (Outcome::Noted, effects)
}

/// The title a person reads for a step (the raw name for unknown steps).
pub fn step_title(lang: Lang, step: &Step) -> String {
    title(lang, step)
}

/// Non-retryable answers: watching would only repeat them.
fn stops_watch(e: &GatewayError) -> bool {
    !e.is_passing()
}

/// The stepsID belongs to another device (403), or the gateway no longer
/// knows it (404, code 2346).
pub(super) fn steps_id_refused(e: &GatewayError) -> bool {
    e.recovery() == Recovery::StartOver
}

/// Shows a failure; the last good list stays on screen. A refused token
/// offers to sign in instead of saying which command to run.
fn fail(session: &mut VehicleSession, judge: Judge, e: &GatewayError, now: SystemTime) -> Outcome {
    let lang = judge.lang;
    let offer = sign_in_offer(judge, e);
    session.log_event(
        now,
        Event::Error {
            what: gateway_headline(lang, e),
            detail: super::refused::logged_words(judge, e, offer.as_ref()),
        },
    );
    let text = offer.unwrap_or_else(|| failure_words(judge, e));
    session.set_refused_token(wants_token(e));
    session.say(error(gateway_headline(lang, e), text));
    session.set_remedy(remedy_for(e));
    Outcome::Failed { unknown_id: None }
}

/// A message from the runner.
pub(super) fn on_msg(state: &mut State, msg: Msg, now: SystemTime) -> Vec<Effect> {
    match msg {
        Msg::Listed {
            car,
            id,
            purpose,
            result,
        } => on_vehicle(
            state,
            &car,
            Answer::Listed {
                id,
                purpose,
                result,
            },
            now,
        ),
        Msg::Next { car, id, result } => on_vehicle(state, &car, Answer::Next { id, result }, now),
        Msg::Completed {
            car,
            id,
            step,
            result,
        } => on_vehicle(state, &car, Answer::Completed { id, step, result }, now),
        Msg::Live { car, id, update } => on_vehicle(state, &car, Answer::Live { id, update }, now),
        Msg::TaskFailed { car, id, why } => {
            on_vehicle(state, &car, Answer::TaskFailed { id, why }, now)
        }
        Msg::SignedIn { id, result } => super::sign_in::signed_in(state, id, result, now),
        other => {
            super::messages::on_other(state, other);
            Vec::new()
        }
    }
}

/// An answer for `car`, wherever it is shown, and what the screens make of
/// its outcome.
fn on_vehicle(state: &mut State, car: &str, msg: Answer, now: SystemTime) -> Vec<Effect> {
    let judge = Judge {
        lang: lang(state),
        demo: state.options.demo,
        demo_command: state.options.demo_command,
        board: state.on_a_board,
        login_trouble: state.options.login_trouble,
        login_fixed: state.options.login_fixed,
    };
    let is_open = state.open.as_deref() == Some(car);
    let listed = matches!(msg, Answer::Listed { .. });
    let reset = matches!(
        msg,
        Answer::Listed {
            purpose: Purpose::Reset,
            ..
        }
    );
    // A board follower that ended for this vehicle follows it no more: the
    // board's sync starts one again when the vehicle wants it.
    let follower_ended = matches!(
        msg,
        Answer::Live {
            update: LiveUpdate::Error {
                retrying: false,
                ..
            } | LiveUpdate::Dropped { .. },
            ..
        }
    );
    let Some(session) = state.vehicles.session_mut(car) else {
        return Vec::new();
    };
    let watched = session.watch();
    let was_refused = session.refused_token();
    let renewal_failed = super::board::renewal_failed(session, judge.lang);
    let live_trouble = super::board::live_trouble_of(&msg);
    let (group, mode) = super::board::group_or_mode(&msg);
    let (outcome, mut effects) = answer(session, &mut state.next_id, judge, msg, now);
    super::sign_in::no_sign_in_stands(state, car);
    if state.on_a_board && !is_open {
        super::board::said_on_board(state, car, was_refused, judge.lang);
        super::board::live_trouble(state, car, live_trouble, group, judge.lang);
        if mode && matches!(outcome, Outcome::Noted) {
            super::board::live_fell_back(state, car);
        }
    }
    // One that turned ready is said ready (below), which says why.
    let turned_ready = matches!(&outcome, Outcome::Took { change, was_ready, .. }
        if change.ready && !*was_ready && !change.first);
    if state.on_a_board && !is_open && watched && !turned_ready {
        super::board::say_live_stopped(state, car, judge.lang);
    }
    if follower_ended && !is_open {
        state.vehicles.forget_followed(car);
    }
    let Some(session) = state.vehicles.session_mut(car) else {
        return effects;
    };
    match outcome {
        Outcome::Took {
            change,
            was_ready,
            asked,
        } => {
            if is_open && asked {
                // The screen now holds a list the follower did not see: it
                // starts afresh, or a poll could find the gateway back at the
                // follower's last list and call it unchanged.
                session.unfollow();
            }
            if is_open && change.first {
                effects.extend(super::steps::remember(state, car));
                super::steps::said_unkeyed(state, car);
            }
            if reset {
                super::steps::relabel_after_reset(state, car);
            }
            // A list asked again and given: the trouble the board said of
            // this vehicle is over (stranger 53, BB9).
            if state.on_a_board && listed {
                super::board::listed_again(state, car, judge.lang, now);
            }
            if state.on_a_board && renewal_failed {
                effects.extend(super::board::renewal_over(state, judge.lang));
            }
            if state.on_a_board && turned_ready {
                super::board::say_turned(state, car, true, judge.lang);
            }
            // Ready no more: said, over any "ready" banner of before.
            if state.on_a_board && was_ready && !change.ready {
                super::board::say_turned(state, car, false, judge.lang);
            } else if state.on_a_board && !is_open && !change.turned_back.is_empty() {
                super::board::say_undone(state, car, judge.lang);
            }
        }
        Outcome::Failed {
            unknown_id: Some(why),
        } if is_open && !state.on_a_board => {
            // An id the gateway does not know: back to the field to correct
            // it; the report keeps what was tried.
            if let Some(gone) = state.vehicles.take(car) {
                state.gone.push(gone.log().clone());
            }
            state.open = None;
            state.screen = Screen::Start(StartField::refused(car, why));
        }
        _ => {}
    }
    if listed && state.on_a_board && state.vehicles.note_loaded() {
        tracing::info!(
            vehicles = state.vehicles.len(),
            "board: every vehicle has data"
        );
        super::board::say_shared_steps_ids(state, judge.lang, now);
        super::board::say_all_failed(state, judge.lang);
    }
    effects
}
