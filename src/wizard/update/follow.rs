//! Keeping the followers in step with the state, after every input: the
//! open vehicle's own follower, and the board's followers for the rest.

use crate::client::live::Mode;
use crate::text::Lang;
use crate::tr;
use crate::wizard::session::VehicleSession;
use crate::wizard::state::{Effect, Screen, State};

/// Follower `id` now follows `mode`: a reconnect banner ends when it
/// streams again (a poll ends it when it answers); a stream
/// given up for polling after failures says so, with the last failure
/// (else the list's freshness would hide that the stream is gone).
pub(super) fn mode_changed(
    session: &mut VehicleSession,
    id: u64,
    mode: Mode,
    lang: Lang,
    now: std::time::SystemTime,
) -> bool {
    let Some(follower) = session.follower_mut(id) else {
        return false;
    };
    let was_polling = matches!(follower.mode, Some(Mode::Polling { .. }));
    follower.mode = Some(mode);
    let gave_up = match mode {
        Mode::Polling { every } if !was_polling => session
            .trouble_what()
            .map(|what| (every.as_secs().max(1), what.to_owned())),
        _ => None,
    };
    // A stream that contradicts the lists, or leaves some out, was given
    // up at once, not after failing again and again; doctor (of one
    // vehicle) would not see it.
    let contradicted = gave_up.is_some() && {
        let trouble = |what| tr!(lang, "banner-live-trouble", what = what);
        let titles = [
            trouble(tr!(lang, "gw-title-live-contradicted")),
            trouble(tr!(lang, "gw-title-live-left-out")),
            trouble(tr!(lang, "gw-title-live-refused")),
            trouble(tr!(lang, "gw-title-live-not-offered")),
            trouble(tr!(lang, "gw-title-live-page")),
            trouble(tr!(lang, "gw-title-live-compressed")),
        ];
        session.banner().is_some_and(|b| titles.contains(&b.title))
    };
    // Streaming again is being back; polling is not until a poll answers.
    if mode == Mode::Live || gave_up.is_some() {
        session.end_trouble();
    }
    let Some((secs, what)) = gave_up else {
        return false;
    };
    let title = tr!(lang, "banner-live-fallback", secs = secs);
    let text = if contradicted {
        tr!(
            lang,
            "banner-live-fallback-contradicted-text",
            secs = secs,
            what = what
        )
    } else {
        tr!(lang, "banner-live-fallback-text", secs = secs, what = what)
    };
    // The report keeps it too: the stream's last failure, and polling.
    session.log_event(
        now,
        crate::report::Event::Error {
            what: title.clone(),
            detail: text.clone(),
        },
    );
    session.say(super::info(title, text));
    true
}

/// Keeps the follower in step with the state: one follows the open
/// vehicle's stepsID while watch is on for it on show, and none otherwise
/// (watch off, "ready", back to the start screen or the board, the stepsID
/// forgotten or changed).
pub(super) fn sync_follow(state: &mut State) -> Vec<Effect> {
    let watching = state.watching();
    let id = state.next_id;
    // On the board screen no vehicle is open: the board's followers take
    // every vehicle.
    let Some(session) = state.session_mut() else {
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
            session.follow(id, steps_id.clone());
            state.next_id += 1;
            vec![Effect::Follow { car, id, steps_id }]
        }
        (None, Some(_)) => {
            session.unfollow();
            vec![Effect::Unfollow { car }]
        }
        (None, None) => Vec::new(),
    }
}

/// Keeps the board's followers in step with the board: the lists of its
/// watched vehicles whose stepsID is known are followed together, and the
/// updates of no other vehicle are taken (live off, a vehicle added,
/// removed, opened or back, a stepsID changed).
pub(super) fn sync_board_follow(state: &mut State) -> Vec<Effect> {
    if !state.on_a_board {
        return Vec::new();
    }
    let id = state.next_id;
    let open = state.open.clone().filter(|_| state.screen == Screen::Steps);
    let open = open.as_deref();
    let board = &mut state.vehicles;
    // Vehicles still waiting for their first list join when it is there:
    // a thousand first answers do not restart the followers a thousand times.
    if board
        .sessions()
        .iter()
        .any(|s| Some(s.car()) != open && s.watch() && s.steps_id().is_none() && s.is_loading())
    {
        return Vec::new();
    }
    if board.followers_in_step(open) {
        return Vec::new();
    }
    let wanted = board.wanted(open);
    if wanted.is_empty() {
        if board.followed().is_empty() {
            return Vec::new();
        }
        board.set_followed(id, wanted, open);
        return vec![Effect::UnfollowBoard];
    }
    // Fewer lists (a vehicle turned ready, was opened or removed): the
    // followers go on, their streams kept; only a list they do not follow
    // yet starts them again.
    if wanted
        .iter()
        .all(|pair| board.followed().binary_search(pair).is_ok())
    {
        board.answer_for(&wanted, open);
        return Vec::new();
    }
    state.next_id += 1;
    board.set_followed(id, wanted.clone(), open);
    vec![Effect::FollowBoard { id, lists: wanted }]
}
