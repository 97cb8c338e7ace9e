//! The board's keys: refresh and watch every vehicle, add and remove one,
//! open one on the steps screen and come back, and the simulated customers
//! of a hands-free demo.

use std::time::SystemTime;

use super::steps::fetch_for;
use super::{info, lang};
use crate::steps::is_id;
use crate::text::Lang;
use crate::text::num;
use crate::tr;
use crate::wizard::board::Board;
use crate::wizard::keymap::Action;
use crate::wizard::session::VehicleSession;
use crate::wizard::start::StartField;
use crate::wizard::state::{Banner, BannerKind, Effect, Purpose, Screen, State, WATCH_SECS};

pub(super) use super::shared::{say_all_failed, say_shared_steps_ids, shares_steps_id};

pub(super) fn on_action(state: &mut State, action: Action, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    let board = &mut state.vehicles;
    match action {
        Action::Submit => add_vehicle(state, now),
        Action::Refresh => {
            // Asked again: a board-wide error said before (a sign-in that
            // failed) is stale; the answers say what holds now (stranger
            // 77, BZ3). A vehicle's own trouble goes with its answer.
            let board = &mut state.vehicles;
            if board.banner_for().is_none()
                && board.banner().is_some_and(|b| b.kind == BannerKind::Error)
            {
                board.clear_banner();
            }
            fetch_all(state, Purpose::Refresh, |s| !s.is_loading())
        }
        Action::ToggleWatch => toggle_live(state, now),
        Action::OpenVehicle => open_vehicle(state),
        Action::CycleSort => change(board, Board::cycle_sort),
        Action::StartFilter => change(board, Board::start_filter),
        Action::EndFilter => change(board, Board::end_filter),
        Action::AddVehicle => change(board, Board::start_adding),
        Action::AskRemove => {
            if let Some(car) = board.target(lang) {
                board.ask_removal(car);
            }
            Vec::new()
        }
        Action::ConfirmRemove => confirm_removal(state, now),
        _ => Vec::new(),
    }
}

/// A board action that only changes the board (sort, filter, adding).
fn change(board: &mut Board, change: impl FnOnce(&mut Board)) -> Vec<Effect> {
    change(board);
    Vec::new()
}

/// `y`: the vehicle leaves the board, its requests stop; the report keeps
/// what it did.
fn confirm_removal(state: &mut State, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    let board = &mut state.vehicles;
    let Some(gone) = board.confirm_removal(lang) else {
        return Vec::new();
    };
    let car = gone.car().to_owned();
    // Said for it: added back, the word goes (stranger 58, BG5).
    board.say_for(
        &car,
        info(
            tr!(lang, "board-removed", car = car.clone()),
            tr!(lang, "board-removed-text"),
        ),
    );
    // The report says it was removed, not still on the board at the end.
    let mut log = gone.log().clone();
    log.push(now, crate::report::Event::Removed);
    state.gone.push(log);
    vec![Effect::Cancel { car }]
}

/// List requests for every board row `which` picks (not the vehicle open on
/// the steps screen, which asks for itself; none without a board).
pub(super) fn fetch_all(
    state: &mut State,
    purpose: Purpose,
    which: impl Fn(&VehicleSession) -> bool,
) -> Vec<Effect> {
    if !state.on_a_board {
        return Vec::new();
    }
    let lang = state.options.lang;
    let open = state
        .open
        .as_deref()
        .filter(|_| state.screen == Screen::Steps);
    let next_id = &mut state.next_id;
    state
        .vehicles
        .sessions_mut()
        .filter(|s| Some(s.car()) != open && which(s))
        .map(|s| fetch_for(s, next_id, lang, purpose, false))
        .collect()
}

/// `w` on the board: every vehicle not yet ready is watched, or, when some
/// are, none is. The report says so among the run's events.
fn toggle_live(state: &mut State, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    if state.vehicles.sessions().iter().any(VehicleSession::watch) {
        state.note(now, crate::report::Event::Watch { on: false });
        let board = &mut state.vehicles;
        for s in board.sessions_mut() {
            s.set_watch(false);
        }
        board.say(info(
            tr!(lang, "board-live-off"),
            tr!(lang, "board-live-off-text"),
        ));
        return Vec::new();
    }
    let board = &mut state.vehicles;
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
    state.note(now, crate::report::Event::Watch { on: true });
    state.vehicles.say(info(
        tr!(lang, "board-live-on", count = num(count)),
        tr!(
            lang,
            "banner-watching-text",
            secs = num(usize::try_from(WATCH_SECS).unwrap_or(usize::MAX))
        ),
    ));
    // Vehicles that share a stepsID are not followed by it: said again,
    // above the word on live (stranger 55, BD3).
    if state.vehicles.loaded() {
        say_shared_steps_ids(state, lang, now);
    }
    // A vehicle with a stepsID is followed from now on (the followers
    // begin with every list as it is); the others are asked for one first.
    // One whose last failure asked a wait is asked once it ends (the
    // watch tick's rule; stranger 65, BN7).
    fetch_all(state, Purpose::Watch, |s| {
        s.watch() && !s.is_loading() && s.steps_id().is_none() && s.may_ask(now)
    })
}

/// The simulated customers of a hands-free board demo: one vehicle that is
/// not ready moves one step on each tick, taking turns (the stalest first).
pub(super) fn customer(state: &mut State) -> Vec<Effect> {
    if !state.options.demo || !state.on_a_board {
        return Vec::new();
    }
    let lang = lang(state);
    let id = state.next_id;
    let board = &mut state.vehicles;
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
    let Some(session) = board.session_mut(&car) else {
        return Vec::new();
    };
    let Some(step) = session.next_step().map(|s| s.name.clone()) else {
        return Vec::new();
    };
    state.next_id += 1;
    let filter = session.filter();
    session.begin(id, tr!(lang, "loading-customer"), filter);
    vec![Effect::Complete { car, id, step }]
}

/// Enter in the board's add field: a valid new id joins the board and its
/// first list is asked for.
fn add_vehicle(state: &mut State, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    let Some(field) = state.vehicles.adding_mut() else {
        return Vec::new();
    };
    if field.hold_for_dropped() {
        return Vec::new();
    }
    let id = field.input().trim().to_owned();
    let duplicate = state.vehicles.contains(&id);
    let session = super::new_session(state, &id, now);
    let board = &mut state.vehicles;
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
    // On a live board the new vehicle is watched as the others are: asked
    // again while it has no list (a gateway restarting), and followed once
    // it has one (stranger 69, BR15).
    let live = board.sessions().iter().any(VehicleSession::watch);
    board.stop_adding();
    board.unsay(&id);
    board.add(session);
    let Some(session) = board.session_mut(&id) else {
        return Vec::new();
    };
    session.set_watch(live);
    vec![fetch_for(
        session,
        &mut state.next_id,
        lang,
        Purpose::Open,
        false,
    )]
}

/// Enter on the board: the selected vehicle's steps screen, with everything
/// its session holds.
fn open_vehicle(state: &mut State) -> Vec<Effect> {
    let lang = lang(state);
    let board = &mut state.vehicles;
    let Some(car) = board.target(lang) else {
        return Vec::new();
    };
    board.select(&car);
    let Some(session) = board.session_mut(&car) else {
        return Vec::new();
    };
    // The board's followers let it go; the steps screen follows it alone.
    session.unfollow();
    let idle = session.whole().is_none() && session.list().is_none() && !session.is_loading();
    state.open = Some(car);
    state.screen = Screen::Steps;
    state.overlay = None;
    if idle {
        super::steps::fetch(state, Purpose::Open, false)
    } else {
        Vec::new()
    }
}

/// Esc on the steps screen of a board's vehicle: back to the board, the
/// vehicle as it is (its request, watch and banner kept).
pub(super) fn back_to_board(state: &mut State) -> Vec<Effect> {
    let mut effects = Vec::new();
    let no_browser = tr!(lang(state), "banner-no-browser");
    if let Some(session) = state.session_mut() {
        // A browser this machine could not open is the steps screen's
        // word, no failure of the vehicle's: the board neither shows nor
        // counts it (stranger 57, BF4).
        if session.banner().is_some_and(|b| b.title == no_browser) {
            session.clear_banner(false);
        }
        // Its own follower stops; the board's followers take it back.
        if session.unfollow() {
            effects.push(Effect::Unfollow {
                car: session.car().to_owned(),
            });
        }
        let car = session.car().to_owned();
        state.vehicles.select(&car);
    }
    state.open = None;
    state.screen = Screen::Board;
    effects
}

/// After an answer for board vehicle `car` (not open): a refusal for want
/// of a token (it was `was_refused` before), or a token renewal that
/// failed, is said on the board in place of good news it makes stale.
pub(super) fn said_on_board(state: &mut State, car: &str, was_refused: bool, lang: Lang) {
    let Some(session) = state.vehicles.session(car) else {
        return;
    };
    let refused = session.refused_token();
    let renewal = tr!(lang, "gw-title-renewal-failed");
    // A token taken but lacking a scope (a sign-in just made, say): said
    // over a "Signed in" that it makes stale (stranger 61, BJ8).
    let scope = session
        .banner()
        .filter(|b| b.title == tr!(lang, "gw-title-scope"))
        .cloned();
    if let Some(said) = scope {
        token_refused(state, car, Some(said), lang);
    } else if was_refused != refused {
        let said = refused.then(|| session.banner().cloned()).flatten();
        token_refused(state, car, said, lang);
    } else if let Some(said) = session.banner().filter(|b| b.title == renewal).cloned() {
        token_refused(state, car, Some(said), lang);
    }
}

/// A live update's word on trouble: in trouble (an error tried again), or
/// over (a list); `None` for any other answer.
pub(super) fn live_trouble_of(msg: &super::answers::Answer) -> Option<bool> {
    use crate::client::live::LiveUpdate;
    match msg {
        super::answers::Answer::Live {
            update: LiveUpdate::Error { retrying: true, .. } | LiveUpdate::ListTrouble { .. },
            ..
        } => Some(true),
        super::answers::Answer::Live {
            update: LiveUpdate::List(_) | LiveUpdate::Unchanged { .. },
            ..
        } => Some(false),
        _ => None,
    }
}

/// A board vehicle's live following in trouble (`troubled` `Some(true)`:
/// the stream sent an `event: error` with the gateway's code, or was cut,
/// and is tried again): said on the board with the vehicle's own words,
/// unless an error is on show (its row says that one); over when a live
/// list comes (`Some(false)`; stranger 47, AV9).
pub(super) fn live_trouble(
    state: &mut State,
    car: &str,
    troubled: Option<bool>,
    group: bool,
    lang: Lang,
) {
    let Some(session) = state.vehicles.session(car) else {
        return;
    };
    match troubled {
        None => return,
        Some(false) => {
            if !session.in_trouble() && !session.refused_token() {
                state.vehicles.unsay(car);
            }
            return;
        }
        Some(true) => {}
    }
    let Some(said) = session.banner().cloned() else {
        return;
    };
    // The trouble of a stream the board's followers share is the stream's,
    // not this vehicle's alone (stranger 53, BB8).
    let shared = state
        .vehicles
        .followed()
        .len()
        .min(crate::client::live::MAX_STREAM_IDS);
    // A shared stream's trouble is said over one other vehicle's error
    // (an unknown id's "live stopped"): it concerns them all (stranger
    // 72, BU4).
    let over_one = group && shared > 1 && state.vehicles.banner_for().is_some_and(|c| c != car);
    if error_on_show(state) && !over_one {
        return;
    }
    let title = if group && shared > 1 {
        tr!(
            lang,
            "board-stream-said",
            count = num(shared),
            what = said.title
        )
    } else {
        tr!(lang, "board-vehicle-said", car = car, what = said.title)
    };
    state.vehicles.say_for(car, Banner { title, ..said });
}

/// Whether a live update is the trouble of a whole follower (its shared
/// stream, or every list it polls), not of one list; and whether it says
/// how the lists are followed.
pub(super) fn group_or_mode(msg: &super::answers::Answer) -> (bool, bool) {
    use crate::client::live::LiveUpdate;
    match msg {
        super::answers::Answer::Live { update, .. } => (
            matches!(update, LiveUpdate::Error { retrying: true, .. }),
            matches!(update, LiveUpdate::Mode(_)),
        ),
        _ => (false, false),
    }
}

/// Whether `session` failed for a token renewal the identity provider
/// could not make then (its banner, or its live following's trouble).
/// Asked of every answer: the words are made only for a vehicle that
/// shows a failure.
pub(super) fn renewal_failed(session: &VehicleSession, lang: Lang) -> bool {
    if session.banner().is_none() && session.trouble_what().is_none() {
        return false;
    }
    failed_with(session, &tr!(lang, "gw-title-renewal-failed"))
}

/// Whether `session`'s banner or live trouble is titled `title`.
fn failed_with(session: &VehicleSession, title: &str) -> bool {
    session.banner().is_some_and(|b| b.title == title) || session.trouble_what() == Some(title)
}

/// A vehicle that failed for a token renewal was given a list: the
/// renewal is over. Those that failed the same way and that nothing asks
/// by itself (not followed, not loading: a ready one, say) ask again, as
/// after a sign-in (stranger 51, AZ6).
pub(super) fn renewal_over(state: &mut State, lang: Lang) -> Vec<Effect> {
    // The title once, not once per vehicle of a board of thousands.
    let renewal = tr!(lang, "gw-title-renewal-failed");
    let next_id = &mut state.next_id;
    state
        .vehicles
        .sessions_mut()
        .filter(|s| s.following().is_none() && !s.is_loading() && failed_with(s, &renewal))
        .map(|s| fetch_for(s, next_id, lang, Purpose::Refresh, false))
        .collect()
}

/// The board's live stream given up for polling, with its last failure
/// (stranger 51, AZ2): said on the board for no one vehicle (the stream
/// is the board's), and kept until another announcement, not ended by the
/// first poll's list. An error on show stays.
pub(super) fn live_fell_back(state: &mut State, car: &str) {
    let Some(said) = state
        .vehicles
        .session(car)
        .and_then(|s| s.banner())
        .cloned()
    else {
        return;
    };
    if error_on_show(state) {
        return;
    }
    state.vehicles.say(said);
}

/// A board vehicle refused for want of a token (a login revoked or over,
/// a 401): said on the board in place of good news the refusal makes
/// stale ("Signed in"), with the vehicle's own words and `i`. An error
/// on show already stays: the row says this one. `None`: the vehicle is
/// past its refusal, and the banner that said it goes.
pub(super) fn token_refused(state: &mut State, car: &str, said: Option<Banner>, lang: Lang) {
    if said.is_none() {
        state.vehicles.unsay(car);
    }
    let (Some(said), true) = (
        said,
        state
            .vehicles
            .banner()
            .is_none_or(|b| b.kind == BannerKind::Success),
    ) else {
        return;
    };
    let banner = Banner {
        title: tr!(lang, "board-vehicle-said", car = car, what = said.title),
        ..said
    };
    state.vehicles.say_for(car, banner);
}

/// Live following of a board vehicle that ended by itself is said on the
/// board, with the vehicle's own words: its row alone is easy to miss.
/// Said for the vehicle: a list it is given later (`r`) ends it (stranger
/// 53, BB9).
pub(super) fn say_live_stopped(state: &mut State, car: &str, lang: Lang) {
    // Whether live goes on for another vehicle of the board.
    let others_live = state
        .vehicles
        .sessions()
        .iter()
        .any(|s| s.car() != car && s.watch());
    let stopped = state
        .vehicles
        .session(car)
        .filter(|s| !s.watch())
        .and_then(|s| live_stopped(s, lang, others_live));
    if let Some(said) = stopped {
        state.vehicles.say_for(car, said);
    }
}

/// A list of `car` asked again and given: the trouble the board said of
/// this vehicle is over, unless its live following or its token is still
/// in trouble (stranger 53, BB9), or it shares its stepsID.
pub(super) fn listed_again(state: &mut State, car: &str, lang: Lang, now: SystemTime) {
    // A stepsID another vehicle has too, come after the board loaded (a
    // start-over, `r`): said as at the start (stranger 55, BD3). Looked
    // for only when the stepsID is new (a list by the same stepsID cannot
    // bring another): `r` on a board of thousands scans nothing.
    let new_id = state
        .vehicles
        .session(car)
        .is_some_and(|s| !s.steps_id_answered());
    if state.vehicles.loaded() && new_id && shares_steps_id(state, car) {
        say_shared_steps_ids(state, lang, now);
        return;
    }
    let over = state
        .vehicles
        .session(car)
        .is_some_and(|s| !s.in_trouble() && !s.refused_token());
    if over {
        state.vehicles.unsay(car);
    }
    // Live on for the board, and this vehicle not ready: its following,
    // stopped on an answer `r` has now got past, starts again (stranger
    // 55, BD1).
    let live = state
        .vehicles
        .sessions()
        .iter()
        .any(|s| s.car() != car && s.watch());
    if let Some(session) = state.vehicles.session_mut(car)
        && live
        && over
        && !session.watch()
        && !session.all_done()
    {
        session.set_watch(true);
    }
}

/// The board's banner for a vehicle whose live following stopped on an
/// answer that will not change by itself: its own error, and that live
/// goes on for the others (`w` twice follows it again: off, then on), never
/// the steps screen's "press w to watch again", which on the board turns
/// live off. A refused token keeps the vehicle's own offer of `i`.
fn live_stopped(session: &VehicleSession, lang: Lang, others_live: bool) -> Option<Banner> {
    let said = session.banner()?.clone();
    let car = session.car().to_owned();
    // The failure before the report's "watch stopped" line.
    let last = session
        .log()
        .entries()
        .iter()
        .rev()
        .map(|e| &e.event)
        .find(|e| !matches!(e, crate::report::Event::WatchStopped { .. }));
    match last {
        Some(crate::report::Event::Error { what, detail }) if !session.refused_token() => {
            Some(Banner {
                kind: said.kind,
                title: tr!(lang, "board-live-stopped", car = car, what = what.clone()),
                // Live goes on for the others, or for none: said as it is.
                // An id no one can fix in place: its words say d and a,
                // not "once it is fixed, press w twice" (stranger 60, BI2).
                text: if session.remedy() == Some(crate::wizard::session::Remedy::OtherId)
                    && session.list().is_none()
                {
                    tr!(
                        lang,
                        "board-live-stopped-unknown-text",
                        why = detail.trim_end_matches('.').to_owned()
                    )
                } else if others_live {
                    tr!(
                        lang,
                        "board-live-stopped-text",
                        why = detail.trim_end_matches('.').to_owned()
                    )
                } else {
                    tr!(
                        lang,
                        "board-live-stopped-all-text",
                        why = detail.trim_end_matches('.').to_owned()
                    )
                },
                futile_sign_in: false,
            })
        }
        // A token refused for every vehicle: the board's, not one row's
        // (stranger 63, BL8).
        _ if session.refused_token() && !others_live => Some(Banner {
            title: tr!(lang, "board-live-stopped-every", what = said.title.clone()),
            ..said
        }),
        _ => Some(Banner {
            title: tr!(lang, "board-live-stopped", car = car, what = said.title),
            ..said
        }),
    }
}

/// Says on the board what `car`'s own banner says of its steps no longer
/// done, as its steps screen says it (stranger 74, BW7).
pub(super) fn say_undone(state: &mut State, car: &str, lang: Lang) {
    let Some(said) = state
        .vehicles
        .session(car)
        .and_then(|s| s.banner().cloned())
    else {
        return;
    };
    let title = tr!(lang, "board-vehicle-said", car = car, what = said.title);
    state.vehicles.say_for(car, Banner { title, ..said });
}

/// Says on the board that `car` turned ready (or, `ready` false, is no
/// longer ready), beside the vehicles the banner on show says turned the
/// same way: several that turn at once are all named.
pub(super) fn say_turned(state: &mut State, car: &str, ready: bool, lang: Lang) {
    let board = &mut state.vehicles;
    let mut cars = match board.turned.take() {
        Some((same, cars)) if same == ready => cars,
        _ => Vec::new(),
    };
    // Never twice: turning back the other way said another banner.
    cars.push(car.to_owned());
    let named = crate::text::few(&cars);
    let count = num(cars.len());
    board.say(if ready {
        super::success(
            tr!(lang, "board-turned-ready", cars = named, count = count),
            tr!(lang, "board-turned-ready-text"),
        )
    } else {
        info(
            tr!(lang, "board-turned-unready", cars = named, count = count),
            tr!(lang, "banner-step-undone-text"),
        )
    });
    board.turned = Some((ready, cars));
}

/// An error is on the board's banner: words of lesser weight wait.
fn error_on_show(state: &State) -> bool {
    state
        .vehicles
        .banner()
        .is_some_and(|b| b.kind == BannerKind::Error)
}
