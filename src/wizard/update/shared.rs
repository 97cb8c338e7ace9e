//! What the board says of several vehicles at once: those that share a
//! stepsID, and a board whose every vehicle failed the same way.

use std::time::SystemTime;

use crate::text::Lang;
use crate::text::num;
use crate::tr;
use crate::wizard::session::VehicleSession;
use crate::wizard::state::{Banner, BannerKind, State};

/// Whether `car`'s stepsID is another vehicle's too.
pub(super) fn shares_steps_id(state: &State, car: &str) -> bool {
    let sessions = state.vehicles.sessions();
    let Some(id) = sessions
        .iter()
        .find(|s| s.car() == car)
        .and_then(VehicleSession::steps_id)
    else {
        return false;
    };
    sessions
        .iter()
        .any(|s| s.car() != car && s.steps_id() == Some(id))
}

/// Vehicles given lists under one stepsID: the board says it, and so does
/// each of their rows (counted failing, its report too), and live stops
/// for them: one stepsID's updates cannot tell whose list they are
/// (stranger 47, AV3; stranger 55, BD3). `r` asks them again.
/// Every vehicle of the board failed the same way, with no list (an
/// address that is no gateway, a gateway that drops every call): said on
/// the board with that failure, which the rows alone hide (stranger 60,
/// BI16). A banner on show stays.
pub(super) fn say_all_failed(state: &mut State, lang: Lang) {
    if state.vehicles.banner().is_some() {
        return;
    }
    let said = {
        let sessions = state.vehicles.sessions();
        let mut banners = sessions.iter().map(|s| {
            s.banner()
                .filter(|b| b.kind == BannerKind::Error && s.list().is_none())
        });
        let Some(Some(first)) = banners.next() else {
            return;
        };
        if !banners.all(|b| b.is_some_and(|b| b.title == first.title)) {
            return;
        }
        Banner {
            title: tr!(
                lang,
                "board-all-failed",
                count = num(sessions.len()),
                what = first.title.clone()
            ),
            ..first.clone()
        }
    };
    state.vehicles.say(said);
}

pub(super) fn say_shared_steps_ids(state: &mut State, lang: Lang, now: SystemTime) {
    let groups: Vec<(String, Vec<String>)> = {
        let sessions = state.vehicles.sessions();
        let pairs = sessions
            .iter()
            .filter_map(|s| Some((s.car(), s.steps_id()?)));
        crate::steps::shared_steps_ids(pairs)
            .into_iter()
            .map(|(id, cars)| (id.to_owned(), cars.into_iter().map(str::to_owned).collect()))
            .collect()
    };
    let banner_of = |id: &str, cars: &[String]| {
        super::error(
            tr!(
                lang,
                "board-shared-steps-id",
                id = id.to_owned(),
                count = num(cars.len())
            ),
            tr!(
                lang,
                "board-shared-steps-id-text",
                cars = crate::text::few(cars)
            ),
        )
    };
    let Some(first) = groups.first().map(|(id, cars)| banner_of(id, cars)) else {
        return;
    };
    for (id, cars) in &groups {
        let banner = banner_of(id, cars);
        for car in cars {
            let Some(session) = state.vehicles.session_mut(car) else {
                continue;
            };
            session.set_watch(false);
            // Not its own, maybe: `r` asks it again by carAssociationID
            // (stranger 58, BG4).
            session.forget_steps_id();
            if session.banner() != Some(&banner) {
                session.log_event(
                    now,
                    crate::report::Event::Error {
                        what: banner.title.clone(),
                        detail: banner.text.clone(),
                    },
                );
                session.say(banner.clone());
            }
        }
    }
    // The report, which outlives the board, says it too (stranger 47,
    // AV3).
    let event = crate::report::Event::Error {
        what: first.title.clone(),
        detail: first.text.clone(),
    };
    state.note(now, event);
    // Said for the first vehicle named: its own list asked again ends it
    // (stranger 58, BG1).
    match groups.first().and_then(|(_, cars)| cars.first()) {
        Some(car) => state.vehicles.say_for(car, first),
        None => state.vehicles.say(first),
    }
}
