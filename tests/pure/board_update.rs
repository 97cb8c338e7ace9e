//! The board's pure update: many vehicle sessions, sorted, filtered, added,
//! removed, opened and left, with no terminal and no network.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use stepwise::client::live::{LiveUpdate, Mode};
use stepwise::client::{GatewayError, Lookup, Rejection};
use stepwise::steps::StepsList;
use stepwise::wire::{ErrorBody, decode_list};
use stepwise::wizard::board::{SortKey, Standing};
use stepwise::wizard::session::WatchShown;
use stepwise::wizard::state::{BannerKind, Effect, Input, Msg, Options, Purpose, Screen, State};
use stepwise::wizard::update::{start_board, update, update_many};

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn state(demo: bool) -> State {
    state_in(demo, stepwise::text::Lang::En)
}

fn state_in(demo: bool, lang: stepwise::text::Lang) -> State {
    State::new(Options {
        demo,
        lang,
        backend_label: "test".into(),
        docs_base_url: Some("https://docs.example".into()),
        color: false,
        ..Options::default()
    })
}

fn list(steps_id: u32, statuses: [&str; 3]) -> StepsList {
    let body = format!(
        r#"{{"stepsID":{steps_id},
        "trusterPhoneNumber":{{"name":"trusterPhoneNumber","status":"{}","order":1}},
        "deviceActivation":{{"name":"deviceActivation","status":"{}","order":2}},
        "mediumCarKey":{{"name":"mediumCarKey","status":"{}","order":3}}}}"#,
        statuses[0], statuses[1], statuses[2]
    );
    decode_list(body.as_bytes()).unwrap()
}

fn key_at(state: &mut State, code: KeyCode, at: u64) -> Vec<Effect> {
    let modifiers = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    update(state, Input::Key(KeyEvent::new(code, modifiers)), t(at))
}

fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    key_at(state, code, 0)
}

fn ch(state: &mut State, c: char) -> Vec<Effect> {
    key(state, KeyCode::Char(c))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        ch(state, c);
    }
}

/// Every list request among effects: (car, id, purpose).
fn requests(effects: &[Effect]) -> Vec<(String, u64, Purpose)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::FetchList {
                car, id, purpose, ..
            } => Some((car.clone(), *id, *purpose)),
            _ => None,
        })
        .collect()
}

fn answer(
    state: &mut State,
    (car, id, purpose): &(String, u64, Purpose),
    result: Result<StepsList, GatewayError>,
    at: u64,
) -> Vec<Effect> {
    update(
        state,
        Input::Msg(Msg::Listed {
            car: car.clone(),
            id: *id,
            purpose: *purpose,
            result,
        }),
        t(at),
    )
}

/// The ids of the rows in the order shown.
fn rows(state: &State) -> Vec<String> {
    let board = state.board().expect("a board");
    board
        .visible(state.lang())
        .iter()
        .map(|s| s.car().to_owned())
        .collect()
}

fn timed_out() -> GatewayError {
    GatewayError::TimedOut {
        base: "http://gw".into(),
        after: Duration::from_secs(10),
        proxy: None,
    }
}

/// A board on A1 (1 of 3 done, answered at 10), B2 (ready, at 5), C3 (none
/// done, at 20) and D4 (failing).
fn board() -> State {
    board_in(stepwise::text::Lang::En)
}

fn board_in(lang: stepwise::text::Lang) -> State {
    let mut s = state_in(true, lang);
    let cars = ["C3", "A1", "D4", "B2"].map(String::from).to_vec();
    let effects = start_board(&mut s, cars, t(0));
    let asked = requests(&effects);
    assert_eq!(asked.len(), 4, "one first list per vehicle: {effects:?}");
    for (car, _, purpose) in &asked {
        assert_eq!(*purpose, Purpose::Open, "{car}");
    }
    for r in &asked {
        match r.0.as_str() {
            "A1" => answer(&mut s, r, Ok(list(1, ["alreadyDone", "todo", "todo"])), 10),
            "B2" => answer(&mut s, r, Ok(list(2, ["alreadyDone"; 3])), 5),
            "C3" => answer(&mut s, r, Ok(list(3, ["todo"; 3])), 20),
            _ => answer(&mut s, r, Err(timed_out()), 7),
        };
    }
    s
}

#[test]
fn the_board_asks_each_vehicle_by_its_car_and_sums_them_up() {
    let mut s = state(false);
    let effects = start_board(&mut s, vec!["A1".into(), "B2".into()], t(0));
    for e in &effects {
        if let Effect::FetchList { car, request, .. } = e {
            assert_eq!(request.lookup, Lookup::Car(car.clone()));
        }
    }
    assert_eq!(*s.screen(), Screen::Board);
    // Nothing has answered: both are loading, none is "in progress".
    let sum = s.board().unwrap().summary();
    assert_eq!((sum.in_progress, sum.loading), (0, 2));
    let s = board();
    let sum = s.board().unwrap().summary();
    assert_eq!((sum.ready, sum.in_progress, sum.failing), (1, 2, 1));
    assert!(!s.is_loading());
}

#[test]
fn s_cycles_the_sort_through_next_step_progress_freshness_and_id() {
    let mut s = board();
    let b = |s: &State| s.board().unwrap().sort();
    assert_eq!(b(&s), SortKey::NextStep);
    // Failing first, then the furthest behind, ready last.
    assert_eq!(rows(&s), ["D4", "C3", "A1", "B2"]);
    ch(&mut s, 'S');
    assert_eq!(b(&s), SortKey::Progress);
    // No list counts as no progress; ties by id.
    assert_eq!(rows(&s), ["C3", "D4", "A1", "B2"]);
    ch(&mut s, 'S');
    assert_eq!(b(&s), SortKey::Freshness);
    // Never answered (the failing one) first, then the stalest.
    assert_eq!(rows(&s), ["D4", "B2", "A1", "C3"]);
    ch(&mut s, 'S');
    assert_eq!(b(&s), SortKey::Id);
    assert_eq!(rows(&s), ["A1", "B2", "C3", "D4"]);
    ch(&mut s, 'S');
    assert_eq!(b(&s), SortKey::NextStep);
}

#[test]
fn slash_filters_by_text_and_esc_clears_it() {
    let mut s = board();
    ch(&mut s, '/');
    // Letters go into the filter, not to the board's keys (q, r, w, d).
    for c in "rwdq".chars() {
        assert!(ch(&mut s, c).is_empty());
    }
    assert!(!s.quit_requested());
    assert_eq!(s.board().unwrap().filter(), "rwdq");
    assert!(rows(&s).is_empty());
    for _ in 0..4 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "c3");
    assert_eq!(rows(&s), ["C3"], "ids match whatever the case");
    // Enter keeps the filter; keys act on the board again.
    key(&mut s, KeyCode::Enter);
    assert!(!s.board().unwrap().typing_filter());
    assert_eq!(rows(&s), ["C3"]);
    // The next step's title matches too.
    ch(&mut s, '/');
    for _ in 0..2 {
        key(&mut s, KeyCode::Backspace);
    }
    update(&mut s, Input::Paste("ready".into()), t(0));
    assert!(rows(&s).contains(&"B2".to_owned()), "{:?}", rows(&s));
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.board().unwrap().filter(), "");
    // The error's headline matches too.
    ch(&mut s, '/');
    typed(&mut s, "timed out");
    assert_eq!(rows(&s), ["D4"]);
    key(&mut s, KeyCode::Esc);
    assert_eq!(rows(&s).len(), 4);
    assert!(!s.board().unwrap().typing_filter());
}

#[test]
fn a_adds_a_vehicle_and_asks_its_list_refusing_bad_and_known_ids() {
    let mut s = board();
    ch(&mut s, 'a');
    typed(&mut s, "A1");
    assert!(requests(&key(&mut s, KeyCode::Enter)).is_empty());
    let notice = s
        .board()
        .unwrap()
        .adding()
        .and_then(|f| f.notice())
        .cloned();
    assert!(notice.is_some(), "a known id is refused with a reason");
    key(&mut s, KeyCode::Esc);
    assert!(s.board().unwrap().adding().is_none(), "Esc cancels");
    assert_eq!(s.board().unwrap().len(), 4);

    ch(&mut s, 'a');
    update(&mut s, Input::Paste("E5".into()), t(0));
    let asked = requests(&key(&mut s, KeyCode::Enter));
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, "E5");
    assert_eq!(asked[0].2, Purpose::Open);
    assert_eq!(s.board().unwrap().len(), 5);
    assert_eq!(s.board().unwrap().selected_car(), Some("E5"));
    answer(&mut s, &asked[0], Ok(list(5, ["todo"; 3])), 30);
    assert!(s.board().unwrap().session("E5").unwrap().whole().is_some());
}

#[test]
fn d_removes_the_selected_vehicle_after_y_and_stops_its_requests() {
    let mut s = board();
    // The top row is selected until the technician moves: D4, failing,
    // sorted first once the answers came; C3 sits below it.
    assert_eq!(s.board().unwrap().selected_car(), None);
    assert_eq!(s.board().unwrap().target(s.lang()).as_deref(), Some("D4"));
    key(&mut s, KeyCode::Down);
    assert_eq!(s.board().unwrap().selected_car(), Some("C3"));
    ch(&mut s, 'd');
    assert_eq!(s.board().unwrap().pending_removal(), Some("C3"));
    ch(&mut s, 'n');
    assert_eq!(s.board().unwrap().len(), 4, "n keeps it");
    ch(&mut s, 'd');
    let effects = ch(&mut s, 'y');
    assert!(effects.contains(&Effect::Cancel { car: "C3".into() }));
    assert_eq!(rows(&s), ["D4", "A1", "B2"]);
    assert_eq!(s.board().unwrap().selected_car(), Some("A1"));
    let banner = s.board().unwrap().banner().unwrap();
    assert!(banner.title.contains("C3"), "{banner:?}");
    // The report marks it removed, with its time (stranger 43, AR4).
    let json = s.report().to_json();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let c3 = report["vehicles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["carAssociationID"] == "C3")
        .expect("C3 is in the report");
    let last = c3["entries"].as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "removed", "{json}");
    assert!(
        s.report()
            .to_markdown()
            .contains("removed from the board by the technician")
    );
    // Added back with `a`: "removed … press 'a'" is no longer said
    // (stranger 58, BG5).
    ch(&mut s, 'a');
    typed(&mut s, "C3");
    key(&mut s, KeyCode::Enter);
    assert!(s.board().unwrap().len() == 4);
    assert!(
        s.board()
            .unwrap()
            .banner()
            .is_none_or(|b| !b.title.contains("removed")),
        "{:?}",
        s.board().unwrap().banner()
    );
}

/// The removal question takes the user's own yes letter, which its text
/// names, set off as the language sets off a key ('j', «o», „j“…).
#[test]
fn removal_takes_the_languages_own_yes_letter_which_the_question_names() {
    use stepwise::text::{Lang, message};
    for (lang, letter) in [(Lang::De, 'j'), (Lang::Fr, 'o'), (Lang::Es, 's')] {
        let mut s = board_in(lang);
        key(&mut s, KeyCode::Down);
        ch(&mut s, 'd');
        assert_eq!(s.board().unwrap().pending_removal(), Some("C3"));
        let ask = message(lang, "board-remove-ask", None);
        let named = [format!("«{letter}»"), format!("„{letter}“")];
        assert!(named.iter().any(|n| ask.contains(n)), "{lang}: {ask}");
        let effects = ch(&mut s, letter);
        assert!(
            effects.contains(&Effect::Cancel { car: "C3".into() }),
            "{lang}"
        );
        assert_eq!(rows(&s), ["D4", "A1", "B2"], "{lang}");
    }
}

#[test]
fn enter_opens_the_vehicle_and_esc_comes_back_with_everything_kept() {
    let mut s = board();
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    assert_eq!(s.board().unwrap().selected_car(), Some("A1"));
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "its list is kept");
    assert_eq!(*s.screen(), Screen::Steps);
    let open = s.session().unwrap();
    assert_eq!(open.car(), "A1");
    assert_eq!(open.selected_step().unwrap().name, "deviceActivation");
    // Everything of the steps screen works: r refreshes this vehicle.
    let asked = requests(&ch(&mut s, 'r'));
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, "A1");
    // Meanwhile another vehicle's answer still reaches the board.
    let c3 = requests(&update(&mut s, Input::WatchTick, t(40)));
    assert!(c3.is_empty(), "nothing is live");
    answer(
        &mut s,
        &asked[0],
        Ok(list(1, ["alreadyDone", "alreadyDone", "todo"])),
        41,
    );
    ch(&mut s, 'j');
    assert!(key(&mut s, KeyCode::Esc).is_empty(), "nothing is cancelled");
    assert_eq!(*s.screen(), Screen::Board);
    assert!(s.session().is_none());
    let board = s.board().unwrap();
    assert_eq!(board.len(), 4);
    assert_eq!(board.selected_car(), Some("A1"));
    let a1 = board.session("A1").unwrap();
    assert_eq!(a1.whole().unwrap().done_count(), 2, "the new list is kept");
    assert_eq!(a1.last_refresh(), Some(t(41)));
    // The row it sat on is selected again, and Enter opens it once more.
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.session().unwrap().car(), "A1");
    assert_eq!(s.session().unwrap().steps_id(), Some("1"));
}

/// The board's follower among effects: its id and the (car, stepsID) pairs.
fn followed(effects: &[Effect]) -> Option<(u64, Vec<(String, String)>)> {
    effects.iter().find_map(|e| match e {
        Effect::FollowBoard { id, lists } => Some((*id, lists.clone())),
        _ => None,
    })
}

fn pairs(of: &[(&str, &str)]) -> Vec<(String, String)> {
    of.iter()
        .map(|(car, id)| ((*car).to_owned(), (*id).to_owned()))
        .collect()
}

fn live(state: &mut State, car: &str, id: u64, update: LiveUpdate, at: u64) -> Vec<Effect> {
    let msg = Msg::Live {
        car: car.to_owned(),
        id,
        update,
    };
    update_state(state, Input::Msg(msg), t(at))
}

use stepwise::wizard::update::update as update_state;

/// `w` on the board, on and off, is in the report among the run's events
/// (data "9 s ago" reads differently when the board was live).
#[test]
fn the_board_s_live_mode_is_in_the_report() {
    let mut s = board();
    ch(&mut s, 'w');
    ch(&mut s, 'w');
    let report = s.report().to_markdown();
    assert!(
        report.contains("watch turned on") && report.contains("watch turned off"),
        "{report}"
    );
}

/// `w`: the vehicles not ready are watched. Those with a stepsID are
/// followed together at once; one without (D4 failed) is asked first and
/// joins the followers when its list is there.
fn live_board() -> (State, u64) {
    let mut s = board();
    let effects = ch(&mut s, 'w');
    let asked = requests(&effects);
    assert_eq!(asked.len(), 1, "{effects:?}");
    assert_eq!(asked[0].0, "D4");
    assert_eq!(asked[0].2, Purpose::Watch);
    assert_eq!(followed(&effects), None, "not before D4 has a stepsID");
    let effects = answer(&mut s, &asked[0], Ok(list(4, ["todo"; 3])), 30);
    let (id, lists) = followed(&effects).expect("the board's lists are followed");
    assert_eq!(lists, pairs(&[("A1", "1"), ("C3", "3"), ("D4", "4")]));
    assert!(
        requests(&update(&mut s, Input::WatchTick, t(33))).is_empty(),
        "followed lists are not polled by the wizard"
    );
    (s, id)
}

/// A followed vehicle whose done step turns back to todo: said on the
/// board, as its steps screen says it (stranger 74, BW7).
#[test]
fn a_step_no_longer_done_is_said_on_the_board() {
    let (mut s, id) = live_board();
    let done = LiveUpdate::List(list(1, ["alreadyDone", "todo", "todo"]));
    live(&mut s, "A1", id, done, 40);
    let undone = LiveUpdate::List(list(1, ["todo", "todo", "todo"]));
    live(&mut s, "A1", id, undone, 41);
    let banner = s.board().unwrap().banner().cloned();
    assert!(
        banner
            .as_ref()
            .is_some_and(|b| b.title.starts_with("A1: ") && b.title.contains("no longer done")),
        "{banner:?}"
    );
}

/// A shared stream that sends a list of a stepsID no vehicle holds, while
/// every list asked answers: said on the board as the stream's, naming
/// that stepsID (stranger 74, BW6).
#[test]
fn a_shared_stream_s_foreign_list_is_said_on_the_board() {
    let (mut s, id) = live_board();
    let foreign = GatewayError::Live(stepwise::client::live::LiveFault::Foreign {
        answered: "FOREIGN2".into(),
        lists: 3,
    });
    for (car, at) in [("A1", 40), ("C3", 40)] {
        let listed = LiveUpdate::List(list(if car == "A1" { 1 } else { 3 }, ["todo"; 3]));
        live(&mut s, car, id, listed, at);
    }
    let update = LiveUpdate::Error {
        error: foreign,
        retrying: true,
    };
    live(&mut s, "A1", id, update, 41);
    let banner = s.board().unwrap().banner().cloned();
    assert!(
        banner
            .as_ref()
            .is_some_and(|b| b.title.starts_with("Live stream of 3 vehicles: ")
                && b.text.contains("FOREIGN2")),
        "{banner:?}"
    );
}

/// One vehicle's live stopped (its stepsID unknown), then the shared
/// stream fails for all (the gateway out of reach): the stream's trouble
/// is said over that one vehicle's, never left under "live goes on for the
/// other vehicles" (stranger 72, BU4).
#[test]
fn a_shared_stream_s_trouble_is_said_over_one_vehicle_s_stop() {
    let mut s = board();
    let effects = ch(&mut s, 'w');
    let asked = requests(&effects);
    assert_eq!(asked[0].0, "D4");
    let unknown = GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: stepwise::wire::ErrorBody::new(None, "no such carAssociationID"),
        retry_after: None,
        proxy: None,
    };
    let effects = answer(&mut s, &asked[0], Err(unknown), 30);
    let (id, _) = followed(&effects).expect("the others are followed");
    let stopped = s.board().unwrap().banner().cloned();
    assert!(
        stopped
            .as_ref()
            .is_some_and(|b| b.title.starts_with("Live stopped for D4")),
        "{stopped:?}"
    );
    let down = GatewayError::Unreachable {
        base: "http://gw.example/".into(),
        detail: "connection refused".into(),
    };
    let update = LiveUpdate::Error {
        error: down,
        retrying: true,
    };
    live(&mut s, "A1", id, update, 41);
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert!(banner.title.starts_with("Live stream of "), "{banner:?}");
}

/// A board vehicle's live stream that sends an `event: error` (the
/// gateway's code) and is tried again: said on the board with the
/// vehicle and the code, not only in the report; over when its list comes
/// again (stranger 47, AV9).
#[test]
fn a_live_error_on_the_board_is_said_with_its_code() {
    let (mut s, id) = live_board();
    let said = stepwise::wire::ErrorBody::new(Some(2312), "device disabled");
    let error = GatewayError::Live(stepwise::client::live::LiveFault::Said(said));
    // The trouble of the stream the three lists share is the stream's,
    // not one vehicle's (stranger 53, BB8).
    live(
        &mut s,
        "C3",
        id,
        LiveUpdate::Error {
            error: error.clone(),
            retrying: true,
        },
        40,
    );
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert!(
        banner.title.starts_with("Live stream of 3 vehicles: "),
        "{banner:?}"
    );
    // One list's own trouble is that vehicle's.
    live(
        &mut s,
        "C3",
        id,
        LiveUpdate::ListTrouble {
            steps_id: "3".into(),
            error,
        },
        41,
    );
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert!(banner.title.starts_with("C3: "), "{banner:?}");
    assert!(banner.text.contains("2312"), "{banner:?}");
    live(&mut s, "C3", id, LiveUpdate::List(list(3, ["todo"; 3])), 45);
    assert!(
        s.board()
            .unwrap()
            .banner()
            .is_none_or(|b| !b.title.starts_with("C3: ")),
        "{:?}",
        s.board().unwrap().banner()
    );
}

#[test]
fn a_vehicle_that_turns_ready_is_announced_once() {
    let (mut s, id) = live_board();
    let effects = live(
        &mut s,
        "A1",
        id,
        LiveUpdate::List(list(1, ["alreadyDone"; 3])),
        50,
    );
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Success);
    assert!(banner.title.contains("A1"), "{banner:?}");
    assert!(
        !s.board().unwrap().session("A1").unwrap().watch(),
        "a ready vehicle is no longer watched"
    );
    // The followers go on (their streams kept); A1 no longer takes updates.
    assert_eq!(followed(&effects), None, "{effects:?}");
    assert!(!effects.contains(&Effect::UnfollowBoard));
    assert!(
        s.board()
            .unwrap()
            .session("A1")
            .unwrap()
            .following()
            .is_none()
    );
    live(&mut s, "A1", id, LiveUpdate::List(list(1, ["todo"; 3])), 51);
    assert!(s.board().unwrap().session("A1").unwrap().all_done());
    let sum = s.board().unwrap().summary();
    assert_eq!(sum.ready, 2);
    // Asked again, and back to todo (a reset elsewhere): said over the
    // "ready" banner, which no longer holds (stranger 43, AR2).
    let asked = requests(&ch(&mut s, 'r'));
    let a1 = asked.iter().find(|r| r.0 == "A1").expect("A1 is asked");
    answer(&mut s, a1, Ok(list(1, ["todo"; 3])), 60);
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Info);
    assert_eq!(banner.title, "A1 is no longer ready");
    assert_eq!(s.board().unwrap().summary().ready, 1);
    // A second one back from ready joins the first on the banner, never
    // hiding it (stranger 44, AS12).
    let b2 = asked.iter().find(|r| r.0 == "B2").expect("B2 is asked");
    answer(&mut s, b2, Ok(list(2, ["todo"; 3])), 61);
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.title, "A1, B2 are no longer ready");
    assert_eq!(s.board().unwrap().summary().ready, 0);
    // A vehicle ready at its first answer has not turned ready: no news.
    let mut s = state(true);
    let asked = requests(&start_board(&mut s, vec!["Z9".into(), "Y8".into()], t(0)));
    answer(&mut s, &asked[0], Ok(list(9, ["alreadyDone"; 3])), 1);
    assert!(s.board().unwrap().banner().is_none());
}

/// Lists of several vehicles under one stepsID (a cache that ignores the
/// query): said once every vehicle has answered, naming the stepsID and
/// the vehicles (stranger 43, AR11); lists of their own say nothing.
#[test]
fn vehicles_whose_lists_share_a_steps_id_are_said() {
    let mut s = state(true);
    let cars = ["E1", "F2", "G3"].map(String::from).to_vec();
    let asked = requests(&start_board(&mut s, cars, t(0)));
    answer(&mut s, &asked[0], Ok(list(5, ["todo"; 3])), 1);
    answer(&mut s, &asked[1], Ok(list(5, ["todo"; 3])), 2);
    assert!(
        s.board().unwrap().banner().is_none(),
        "not before all answered"
    );
    answer(&mut s, &asked[2], Ok(list(6, ["todo"; 3])), 3);
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Error);
    assert_eq!(banner.title, "One stepsID (5) for 2 vehicles");
    assert!(
        banner
            .text
            .starts_with("E1, F2 got lists under the same stepsID"),
        "{banner:?}"
    );
    // The report keeps it, with what not to rely on (stranger 47, AV3).
    let md = s.report().to_markdown();
    assert!(
        md.contains("for 2 vehicles: E1, F2 got lists under the same stepsID")
            && md.contains("Do not rely on them")
            // Under a heading that says it holds the session's events, not
            // only a technician's notes (stranger 48, AW10).
            && md.contains("## Notes and session events"),
        "{md}"
    );
    let s = board();
    assert!(s.board().unwrap().banner().is_none());
}

#[test]
fn watch_ticks_and_r_ask_every_vehicle_but_never_twice_at_once() {
    let mut s = board();
    let asked = requests(&ch(&mut s, 'r'));
    assert_eq!(asked.len(), 4, "r refreshes all");
    assert!(
        requests(&ch(&mut s, 'r')).is_empty(),
        "none twice while in flight"
    );
    // Each its own stepsID (one shared would be said, and not followed).
    let id_of = |car: &str| 70 + u32::from(car.as_bytes()[1] - b'0');
    for r in &asked {
        answer(&mut s, r, Ok(list(id_of(&r.0), ["todo"; 3])), 60);
    }
    assert_eq!(s.board().unwrap().summary().failing, 0, "D4 recovered");
    // Every list has a stepsID now: all are followed, none asked.
    let effects = ch(&mut s, 'w');
    assert!(requests(&effects).is_empty(), "{effects:?}");
    assert_eq!(followed(&effects).map(|f| f.1.len()), Some(4));
    assert!(requests(&update(&mut s, Input::WatchTick, t(63))).is_empty());
    // Every vehicle but one turns ready: the followers go on for it.
    let id = followed(&effects).unwrap().0;
    for car in ["A1", "B2", "C3"] {
        let effects = live(
            &mut s,
            car,
            id,
            LiveUpdate::List(list(id_of(car), ["alreadyDone"; 3])),
            64,
        );
        assert!(
            !effects.contains(&Effect::UnfollowBoard),
            "{car}: {effects:?}"
        );
    }
    // Each that turned ready is named, none hidden by the next (stranger
    // 44, AS12); no "live stopped" for them: being ready says why.
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.title, "A1, B2, C3 are ready");
    // The last one too: nothing is left to follow, the followers stop.
    let effects = live(
        &mut s,
        "D4",
        id,
        LiveUpdate::List(list(id_of("D4"), ["alreadyDone"; 3])),
        65,
    );
    assert!(effects.contains(&Effect::UnfollowBoard), "{effects:?}");
    assert!(!s.watching());
}

#[test]
fn live_off_stops_the_followers() {
    let (mut s, _) = live_board();
    // w again: live off, the followers stop, ticks ask nothing.
    let effects = ch(&mut s, 'w');
    assert!(effects.contains(&Effect::UnfollowBoard), "{effects:?}");
    assert!(!s.watching());
}

#[test]
fn the_followers_feed_each_row_and_say_how_they_follow() {
    let (mut s, id) = live_board();
    // A list pushed for C3 changes its row; A1's row stays.
    live(
        &mut s,
        "C3",
        id,
        LiveUpdate::List(list(3, ["alreadyDone", "todo", "todo"])),
        40,
    );
    let board = s.board().unwrap();
    assert_eq!(
        board.session("C3").unwrap().whole().unwrap().done_count(),
        1
    );
    assert_eq!(board.session("C3").unwrap().last_refresh(), Some(t(40)));
    assert_eq!(board.session("A1").unwrap().last_refresh(), Some(t(10)));
    // The way they follow is kept per vehicle (the header shows it).
    let every = Duration::from_secs(3);
    live(
        &mut s,
        "A1",
        id,
        LiveUpdate::Mode(Mode::Polling { every }),
        41,
    );
    assert_eq!(
        s.board().unwrap().session("A1").unwrap().watch_shown(),
        WatchShown::Polling(every)
    );
    // An update of an older follower is dropped.
    live(
        &mut s,
        "C3",
        id - 1,
        LiveUpdate::List(list(3, ["alreadyDone"; 3])),
        42,
    );
    assert!(!s.board().unwrap().session("C3").unwrap().all_done());
    // A reconnecting follower shows a quiet banner on the row's vehicle,
    // gone when it is back.
    let trouble = LiveUpdate::Error {
        error: timed_out(),
        retrying: true,
    };
    let failing_before = s.board().unwrap().summary().failing;
    live(&mut s, "A1", id, trouble, 43);
    assert!(s.board().unwrap().session("A1").unwrap().banner().is_some());
    // While live cannot reach the gateway the row counts as failing, so a
    // dead gateway never hides behind "live ON".
    let a1 = s.board().unwrap().session("A1").unwrap();
    assert_eq!(stepwise::wizard::board::standing(a1), Standing::Failing);
    assert_eq!(s.board().unwrap().summary().failing, failing_before + 1);
    live(
        &mut s,
        "A1",
        id,
        LiveUpdate::Unchanged {
            steps_id: "1".into(),
        },
        44,
    );
    assert!(s.board().unwrap().session("A1").unwrap().banner().is_none());
    assert_eq!(s.board().unwrap().summary().failing, failing_before);
    // A fault of the stream itself (events of no list, a heartbeat): the
    // gateway answers and the list stands, so the row is not failing
    // (stranger 67, BP5); the quiet banner still says it.
    let heartbeat = LiveUpdate::Error {
        error: GatewayError::Live(stepwise::client::live::LiveFault::OtherEvents {
            kind: "ping".into(),
            after: Duration::from_secs(15),
            lists: false,
        }),
        retrying: true,
    };
    live(&mut s, "A1", id, heartbeat, 45);
    let a1 = s.board().unwrap().session("A1").unwrap();
    assert!(a1.banner().is_some());
    assert_ne!(stepwise::wizard::board::standing(a1), Standing::Failing);
    assert_eq!(s.board().unwrap().summary().failing, failing_before);
}

#[test]
fn opening_a_vehicle_hands_it_from_the_board_followers_to_its_own_and_back() {
    let (mut s, id) = live_board();
    // Select A1 (sorted by next step, then id: find it) and open it.
    while s.board().unwrap().selected_car() != Some("A1") {
        ch(&mut s, 'j');
    }
    let effects = key(&mut s, KeyCode::Enter);
    assert_eq!(s.session().unwrap().car(), "A1");
    assert_eq!(followed(&effects), None, "the board's followers go on");
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Follow { car, steps_id, .. } if car == "A1" && steps_id == "1")
        ),
        "the steps screen follows A1 alone: {effects:?}"
    );
    // Meanwhile an update of the board's followers for A1 is not taken.
    live(
        &mut s,
        "A1",
        id,
        LiveUpdate::List(list(1, ["alreadyDone", "alreadyDone", "todo"])),
        52,
    );
    assert_eq!(s.session().unwrap().whole().unwrap().done_count(), 1);
    let effects = key(&mut s, KeyCode::Esc);
    assert!(
        effects.contains(&Effect::Unfollow { car: "A1".into() }),
        "{effects:?}"
    );
    assert_eq!(
        followed(&effects),
        None,
        "A1 is followed by the board already"
    );
    // Back on the board, A1 takes the board followers' updates again.
    live(
        &mut s,
        "A1",
        id,
        LiveUpdate::List(list(1, ["alreadyDone", "alreadyDone", "todo"])),
        53,
    );
    assert_eq!(
        s.board()
            .unwrap()
            .session("A1")
            .unwrap()
            .whole()
            .unwrap()
            .done_count(),
        2
    );
}

#[test]
fn a_refused_steps_id_starts_that_vehicle_over_and_follows_the_new_one() {
    let (mut s, id) = live_board();
    let refused = GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: ErrorBody::default(),
        retry_after: None,
        proxy: None,
    };
    // The gateway went away (C3's follower retries), then came back with
    // fresh state: starting over is no failure, so the row stops counting
    // as failing (a new user read "1 failing" beside "Started over").
    let failing_before = s.board().unwrap().summary().failing;
    live(
        &mut s,
        "C3",
        id,
        LiveUpdate::Error {
            error: timed_out(),
            retrying: true,
        },
        44,
    );
    assert_eq!(s.board().unwrap().summary().failing, failing_before + 1);
    let effects = live(
        &mut s,
        "C3",
        id,
        LiveUpdate::Error {
            error: refused,
            retrying: false,
        },
        45,
    );
    let asked = requests(&effects);
    assert_eq!(asked.len(), 1, "{effects:?}");
    assert_eq!(asked[0].0, "C3");
    assert_eq!(asked[0].2, Purpose::Open, "by carAssociationID");
    let c3 = s.board().unwrap().session("C3").unwrap();
    assert_eq!(stepwise::wizard::board::standing(c3), Standing::InProgress);
    assert_eq!(s.board().unwrap().summary().failing, failing_before);
    let effects = answer(&mut s, &asked[0], Ok(list(33, ["todo"; 3])), 46);
    let (id, lists) = followed(&effects).expect("followed again");
    assert_eq!(lists, pairs(&[("A1", "1"), ("C3", "33"), ("D4", "4")]));
    // Anything else final stops live for that vehicle only, saying why.
    let forbidden = GatewayError::Rejected {
        status: 400,
        kind: Rejection::BadRequest,
        body: ErrorBody::default(),
        retry_after: None,
        proxy: None,
    };
    let effects = live(
        &mut s,
        "D4",
        id,
        LiveUpdate::Error {
            error: forbidden,
            retrying: false,
        },
        47,
    );
    assert!(requests(&effects).is_empty(), "{effects:?}");
    let board = s.board().unwrap();
    assert!(!board.session("D4").unwrap().watch());
    assert!(board.session("D4").unwrap().banner().is_some());
    assert!(board.session("A1").unwrap().watch(), "the others stay live");
}

#[test]
fn a_stale_answer_is_dropped_and_an_unknown_car_ignored() {
    let mut s = board();
    let asked = requests(&ch(&mut s, 'r'));
    let a1 = asked.iter().find(|r| r.0 == "A1").unwrap().clone();
    let stale = (a1.0.clone(), a1.1 + 1000, a1.2);
    answer(&mut s, &stale, Ok(list(1, ["alreadyDone"; 3])), 70);
    assert!(!s.board().unwrap().session("A1").unwrap().all_done());
    let stranger = ("ZZ".to_owned(), a1.1, a1.2);
    assert!(answer(&mut s, &stranger, Ok(list(1, ["todo"; 3])), 70).is_empty());
}

#[test]
fn autoplay_on_the_board_moves_one_vehicle_per_tick_taking_turns() {
    let mut s = State::new(Options {
        demo: true,
        autoplay: true,
        backend_label: "demo backend".into(),
        color: false,
        ..Options::default()
    });
    let asked = requests(&start_board(&mut s, vec!["A1".into(), "B2".into()], t(0)));
    for r in &asked {
        answer(&mut s, r, Ok(list(1, ["todo"; 3])), 1);
    }
    assert!(s.autoplaying());
    let mut moved = Vec::new();
    for at in 0..2 {
        let effects = update(&mut s, Input::AutoplayTick, t(10 + at));
        let [Effect::Complete { car, id, step }] = effects.as_slice() else {
            panic!("one simulated customer acts per tick: {effects:?}");
        };
        assert_eq!(step, "trusterPhoneNumber");
        moved.push(car.clone());
        // The customer's move is followed by a refresh of that vehicle.
        let refresh = requests(&update(
            &mut s,
            Input::Msg(Msg::Completed {
                car: car.clone(),
                id: *id,
                step: step.clone(),
                result: Ok(()),
            }),
            t(10 + at),
        ));
        assert_eq!(refresh.len(), 1);
        assert_eq!(&refresh[0].0, car);
        answer(
            &mut s,
            &refresh[0],
            Ok(list(1, ["alreadyDone", "todo", "todo"])),
            11 + at,
        );
    }
    moved.sort_unstable();
    assert_eq!(moved, ["A1", "B2"], "they take turns");
}

/// What a test compares of two boards: each row in order with its
/// progress, freshness and banner, and the summary.
/// The screen `state` draws in a `width`×`height` terminal, as text.
fn drawn(state: &State, width: u16, height: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend).unwrap();
    terminal
        .draw(|frame| {
            stepwise::ui::draw(frame, state);
        })
        .unwrap();
    terminal.backend().to_string()
}

fn picture(state: &State) -> (Vec<String>, String) {
    let board = state.board().expect("a board");
    let rows = board
        .visible(state.lang())
        .iter()
        .map(|s| {
            format!(
                "{} {:?} {:?} {:?} {}",
                s.car(),
                s.whole().map(StepsList::done_count),
                s.last_refresh(),
                s.banner().map(|b| &b.title),
                s.watch()
            )
        })
        .collect();
    (rows, format!("{:?}", board.summary()))
}

/// The answers that arrive within one frame are taken together: the board
/// ends as it would taking them one at a time, and its followers are
/// started once, for every list.
#[test]
fn answers_taken_together_leave_the_board_as_one_at_a_time() {
    let cars: Vec<String> = (1..=30).map(|i| format!("V{i:02}")).collect();
    let mut one = state(false);
    let mut many = state(false);
    let asked = requests(&start_board(&mut one, cars.clone(), t(0)));
    assert_eq!(requests(&start_board(&mut many, cars, t(0))), asked);
    // Live on while every first list is on its way.
    assert_eq!(ch(&mut one, 'w'), ch(&mut many, 'w'));
    let first = |i: usize, (car, id, purpose): &(String, u64, Purpose)| {
        let mut statuses = ["todo"; 3];
        statuses[..i % 4].fill("alreadyDone");
        let result = if i % 7 == 6 {
            Err(timed_out())
        } else {
            Ok(list(u32::try_from(i).unwrap() + 100, statuses))
        };
        Input::Msg(Msg::Listed {
            car: car.clone(),
            id: *id,
            purpose: *purpose,
            result,
        })
    };
    let mut one_by_one = Vec::new();
    for (i, r) in asked.iter().enumerate() {
        one_by_one.extend(update(&mut one, first(i, r), t(1)));
    }
    let together = update_many(
        &mut many,
        asked.iter().enumerate().map(|(i, r)| first(i, r)),
        t(1),
    );
    assert_eq!(picture(&one), picture(&many));
    let (id, lists) = followed(&together).expect("the lists are followed");
    assert_eq!(followed(&one_by_one), Some((id, lists.clone())));
    assert_eq!(
        together
            .iter()
            .filter(|e| matches!(e, Effect::FollowBoard { .. }))
            .count(),
        1,
        "{together:?}"
    );
    // A frame's worth of pushed lists: some vehicles move, some turn ready.
    let pushed = || {
        lists.iter().enumerate().map(|(i, (car, steps_id))| {
            let statuses = if i % 3 == 0 {
                ["alreadyDone"; 3]
            } else {
                ["alreadyDone", "todo", "todo"]
            };
            Input::Msg(Msg::Live {
                car: car.clone(),
                id,
                update: LiveUpdate::List(list(steps_id.parse().unwrap(), statuses)),
            })
        })
    };
    let mut one_by_one = Vec::new();
    for input in pushed() {
        one_by_one.extend(update(&mut one, input, t(2)));
    }
    let together = update_many(&mut many, pushed(), t(2));
    assert_eq!(picture(&one), picture(&many));
    assert_eq!(one_by_one, together);
    assert_eq!(
        one.board().unwrap().banner(),
        many.board().unwrap().banner()
    );
}
/// The report is the session's: on the board it holds every vehicle with
/// its events and last list, the one acted on from its steps screen
/// included, with a note the technician typed (`N`) in its events; `x`
/// works on the board too (here without a place to write, it says so).
#[test]
fn x_on_the_board_reports_every_vehicle_with_its_events() {
    let mut s = board();
    while s.board().unwrap().selected_car() != Some("A1") {
        ch(&mut s, 'j');
    }
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.session().unwrap().car(), "A1");
    // The simulated customer completes deviceActivation; the list follows.
    let completed = ch(&mut s, 's');
    let Some(Effect::Complete { id, step, .. }) = completed.first().cloned() else {
        panic!("expected the customer to act: {completed:?}");
    };
    let done = update(
        &mut s,
        Input::Msg(Msg::Completed {
            car: "A1".into(),
            id,
            step,
            result: Ok(()),
        }),
        t(30),
    );
    let asked = requests(&done);
    answer(
        &mut s,
        &asked[0],
        Ok(list(1, ["alreadyDone", "alreadyDone", "todo"])),
        31,
    );
    ch(&mut s, 'N');
    typed(&mut s, "customer waits for SMS");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Esc);
    assert_eq!(*s.screen(), Screen::Board);

    assert!(ch(&mut s, 'x').is_empty(), "no data directory here");
    let banner = s.board().unwrap().banner().unwrap();
    assert_eq!(banner.kind, BannerKind::Error, "{banner:?}");
    let report = s.report();
    let md = report.to_markdown();
    for car in ["A1", "B2", "C3", "D4"] {
        assert!(
            md.contains(&format!("carAssociationID: {car}")),
            "{car}: {md}"
        );
    }
    let a1 = md
        .split("\n## ")
        .find(|part| part.starts_with("A1"))
        .unwrap();
    assert!(
        a1.contains("simulated customer completed `deviceActivation`"),
        "{a1}"
    );
    assert!(
        a1.contains("`deviceActivation`: todo → alreadyDone"),
        "{a1}"
    );
    assert!(a1.contains("note: customer waits for SMS"), "{a1}");
    assert!(a1.contains("2 of 3 done"), "its last list: {a1}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let vehicles = json["vehicles"].as_array().unwrap();
    assert_eq!(vehicles.len(), 4, "{json}");
    assert!(
        vehicles
            .iter()
            .all(|v| !v["entries"].as_array().unwrap().is_empty()),
        "{json}"
    );
}

/// A removed vehicle leaves the board but not the report.
#[test]
fn a_removed_vehicle_stays_in_the_report() {
    let mut s = board();
    ch(&mut s, 'd');
    ch(&mut s, 'y');
    assert_eq!(s.board().unwrap().len(), 3);
    let report = s.report();
    assert_eq!(report.vehicles.len(), 4, "{report:?}");
}

fn unauthorized() -> GatewayError {
    GatewayError::Rejected {
        status: 401,
        kind: Rejection::Unauthorized,
        body: ErrorBody::default(),
        retry_after: None,
        proxy: None,
    }
}

/// A 401 on the board offers `i` there, as the steps screen does; once
/// signed in, every vehicle refused for want of a token asks again, and the
/// others are left alone.
#[test]
fn a_401_on_the_board_offers_sign_in_and_every_refused_row_asks_again() {
    let mut s = state(false);
    let cars = ["A1", "B2", "C3"].map(String::from).to_vec();
    let asked = requests(&start_board(&mut s, cars, t(0)));
    for r in &asked {
        match r.0.as_str() {
            "C3" => answer(&mut s, r, Ok(list(3, ["todo"; 3])), 1),
            _ => answer(&mut s, r, Err(unauthorized()), 1),
        };
    }
    let a1 = s.board().unwrap().session("A1").unwrap();
    let banner = a1.banner().unwrap();
    assert_eq!(banner.kind, BannerKind::Error);
    assert!(banner.text.contains("Press i to sign in"), "{banner:?}");

    let started = ch(&mut s, 'i');
    let Some(Effect::SignIn { id, .. }) = started.first().cloned() else {
        panic!("i on the board signs in: {started:?}");
    };
    assert!(s.sign_in().is_some(), "the sign-in overlay is open");
    let effects = update(
        &mut s,
        Input::Msg(Msg::SignedIn {
            id,
            result: Ok(stepwise::wizard::state::SignedIn {
                place: stepwise::auth::store::Place::File("/data/logins.json".into()),
                new_file: false,
                keyring_too_small: None,
                file_chosen: false,
            }),
        }),
        t(2),
    );
    let mut again: Vec<(String, Purpose)> = requests(&effects)
        .into_iter()
        .map(|(car, _, purpose)| (car, purpose))
        .collect();
    again.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        again,
        vec![("A1".into(), Purpose::Open), ("B2".into(), Purpose::Open)],
        "the refused rows ask again, C3 is left alone"
    );
    assert!(s.overlay().is_none());
    assert_eq!(s.board().unwrap().banner().unwrap().title, "Signed in");
}

/// A login that ends while the board shows "Signed in" (revoked: every
/// row now says "Sign in again") is said on the board in place of that
/// stale good news, and the board's footer offers `i` while a row wants a
/// token.
#[test]
fn a_login_that_ends_replaces_signed_in_on_the_board_and_the_footer_offers_i() {
    let mut s = state(false);
    let cars = ["A1", "B2"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        answer(&mut s, r, Err(unauthorized()), 1);
    }
    assert!(footer(&s).contains("i sign in"), "{}", footer(&s));
    sign_in_on_board(&mut s);
    assert_eq!(s.board().unwrap().banner().unwrap().title, "Signed in");
    assert!(!footer(&s).contains("i sign in"), "{}", footer(&s));

    let over = GatewayError::Auth(stepwise::auth::AuthError::SignInAgain(
        stepwise::auth::Over::Revoked {
            gateway: "http://127.0.0.1:1/".into(),
            said: "invalid_grant".into(),
        },
    ));
    for r in &requests(&ch(&mut s, 'r')) {
        answer(&mut s, r, Err(over.clone()), 4);
    }
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Error, "{banner:?}");
    assert!(banner.title.ends_with(": Sign in again"), "{banner:?}");
    assert!(
        banner.text.contains("Press i to sign in again"),
        "{banner:?}"
    );
    assert!(footer(&s).contains("i sign in"), "{}", footer(&s));
}

/// A sign-in on the board whose token every vehicle then refuses for a
/// scope it lacks: "Signed in" does not stay as the board's last word; the
/// scope's failure is said in its place (stranger 61, BJ8).
#[test]
fn a_sign_in_whose_token_lacks_a_scope_does_not_stay_signed_in() {
    let mut s = state(false);
    let cars = ["A1", "B2"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        answer(&mut s, r, Err(unauthorized()), 1);
    }
    let effects = signed_in_on_board(&mut s);
    assert_eq!(s.board().unwrap().banner().unwrap().title, "Signed in");
    let scope = GatewayError::ScopeWanted {
        status: 403,
        scope: "steps:read".into(),
        sent: Some(stepwise::config::TokenFrom::Login),
        token_sent: true,
        asked: false,
        dropped: None,
        ask: "openid offline_access steps:read".into(),
    };
    for r in &requests(&effects) {
        answer(&mut s, r, Err(scope.clone()), 3);
    }
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Error, "{banner:?}");
    assert!(banner.title.ends_with(": Scope missing"), "{banner:?}");
    assert!(banner.text.contains("steps:read"), "{banner:?}");
}

/// Live on (`w`) does not ask a vehicle whose last failure asked a wait
/// before that wait ends (a 503 with Retry-After: 600), as the watch tick
/// does not (stranger 65, BN7).
#[test]
fn live_on_keeps_the_wait_a_vehicle_s_failure_asked() {
    let mut s = state(false);
    let cars = ["A1", "B2"].map(String::from).to_vec();
    let busy = GatewayError::Rejected {
        status: 503,
        kind: Rejection::ServerFailure,
        body: ErrorBody::default(),
        retry_after: Some(Duration::from_secs(600)),
        proxy: None,
    };
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        match r.0.as_str() {
            "A1" => answer(&mut s, r, Ok(list(1, ["todo"; 3])), 1),
            _ => answer(&mut s, r, Err(busy.clone()), 1),
        };
    }
    let asked = requests(&ch(&mut s, 'w'));
    assert!(asked.iter().all(|r| r.0 != "B2"), "{asked:?}");
    assert!(
        requests(&update(&mut s, Input::WatchTick, t(100)))
            .iter()
            .all(|r| r.0 != "B2")
    );
    let later = requests(&update(&mut s, Input::WatchTick, t(602)));
    assert!(later.iter().any(|r| r.0 == "B2"), "{later:?}");
}

/// Every vehicle of a board failing the same way (an address that answers
/// web pages) is said on the board with that failure, not left to the
/// rows (stranger 60, BI16); different failures are each their row's.
#[test]
fn a_board_whose_every_vehicle_fails_the_same_way_says_so() {
    let page = || GatewayError::BadAnswer(stepwise::wire::DecodeError::Html);
    let mut s = state(false);
    let cars = ["A1", "B2"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        answer(&mut s, r, Err(page()), 1);
    }
    let banner = s.board().unwrap().banner().cloned().expect("a banner");
    assert!(
        banner
            .title
            .starts_with("All 2 vehicles failed the same way: "),
        "{banner:?}"
    );
    let mut mixed = state(false);
    let cars = ["A1", "B2"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut mixed, cars, t(0))) {
        match r.0.as_str() {
            "A1" => answer(&mut mixed, r, Err(page()), 1),
            _ => answer(&mut mixed, r, Err(timed_out()), 1),
        };
    }
    assert!(
        mixed
            .board()
            .unwrap()
            .banner()
            .is_none_or(|b| !b.title.contains("failed the same way")),
        "{:?}",
        mixed.board().unwrap().banner()
    );
}

/// The board's key bar, drawn at 120×20.
fn footer(s: &State) -> String {
    let screen = drawn(s, 120, 20);
    let line = screen.lines().rfind(|l| l.contains("? help"));
    line.unwrap_or_default().to_owned()
}

/// `i` on the board, and the sign-in succeeding: every vehicle refused
/// for want of a token asks again, and its list comes.
/// `i` on the board, and its sign-in kept: the effects that follow (the
/// vehicles refused for want of a token ask again).
fn signed_in_on_board(s: &mut State) -> Vec<Effect> {
    let Some(Effect::SignIn { id, .. }) = ch(s, 'i').first().cloned() else {
        panic!("i on the board signs in");
    };
    let signed = stepwise::wizard::state::SignedIn {
        place: stepwise::auth::store::Place::File("/data/logins.json".into()),
        new_file: false,
        keyring_too_small: None,
        file_chosen: false,
    };
    update(
        s,
        Input::Msg(Msg::SignedIn {
            id,
            result: Ok(signed),
        }),
        t(2),
    )
}

fn sign_in_on_board(s: &mut State) {
    let effects = signed_in_on_board(s);
    for r in &requests(&effects) {
        let own = 10 + u32::from(r.0.as_bytes()[1] - b'0');
        answer(s, r, Ok(list(own, ["todo"; 3])), 3);
    }
}

/// A token renewal that fails for the board's vehicles after a sign-in
/// (the provider asks to wait) replaces the stale "Signed in" with the
/// vehicle's own words and the wait, not only in its row.
#[test]
fn a_failed_renewal_replaces_signed_in_on_the_board() {
    let mut s = state(false);
    let cars = ["A1", "B2"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        answer(&mut s, r, Err(unauthorized()), 1);
    }
    sign_in_on_board(&mut s);
    assert_eq!(s.board().unwrap().banner().unwrap().title, "Signed in");
    let failed = GatewayError::Auth(stepwise::auth::AuthError::Provider(
        stepwise::auth::ProviderProblem::RefreshFailed {
            said: "temporarily_unavailable".into(),
            wait: Some(300),
        },
    ));
    for r in &requests(&ch(&mut s, 'r')) {
        answer(&mut s, r, Err(failed.clone()), 4);
    }
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Error, "{banner:?}");
    assert!(
        banner.title.ends_with(": Token renewal failed") && banner.text.contains("300 s"),
        "{banner:?}"
    );
}

/// A board of A1 and B2 answered with `answer`, then `i` pressed, and the
/// sign-in failed: the gateway at `gateway` offers none (404).
fn board_signed_in_not_offered(
    mut s: State,
    answer_with: &Result<StepsList, GatewayError>,
    gateway: &str,
) -> State {
    let cars = ["A1", "B2"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        answer(&mut s, r, answer_with.clone(), 1);
    }
    let started = ch(&mut s, 'i');
    let Some(Effect::SignIn { id, .. }) = started.first().cloned() else {
        panic!("i on the board signs in: {started:?}");
    };
    update(
        &mut s,
        Input::Msg(Msg::SignedIn {
            id,
            result: Err(stepwise::auth::AuthError::Discovery(
                stepwise::auth::Discovery::NotOffered {
                    gateway: gateway.into(),
                    status: Some(404),
                },
            )),
        }),
        t(2),
    );
    s
}

/// `i` on a board whose lists came with no token sent, from a gateway that
/// offers no sign-in: nothing to sign in to, never "it takes a fixed
/// token … quit and keep it".
#[test]
fn i_on_a_board_that_needs_no_token_says_so() {
    let s = board_signed_in_not_offered(
        state(false),
        &Ok(list(1, ["todo"; 3])),
        "http://gw.example/",
    );
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert!(
        banner.text.contains("answered without a token") && !banner.text.contains("fixed token"),
        "{banner:?}"
    );
}

/// A sign-in from the board that fails: the session report keeps it with
/// the commands it suggests carrying the gateway typed as `--api`, as the
/// banner does (stranger 46, AU1).
#[test]
fn a_failed_board_sign_in_in_the_report_names_the_typed_api() {
    let s = State::new(Options {
        api_typed: Some("http://10.0.0.7:8080".into()),
        backend_label: "test".into(),
        color: false,
        ..Options::default()
    });
    let s = board_signed_in_not_offered(s, &Err(unauthorized()), "http://10.0.0.7:8080/");
    let command = "stepwise login --api http://10.0.0.7:8080 --with-token";
    let json = s.report().to_json();
    let failed = json
        .lines()
        .find(|l| l.contains("offers no sign-in"))
        .unwrap_or_else(|| panic!("{json}"));
    assert!(failed.contains(command), "{failed}");
}

/// A sign-in on the board that fails for a setting (the client id): the
/// banner names no vehicle's session (none is open), and the key bar stops
/// offering `i`, which the words say would fail the same way; a failure
/// that a new try may get past keeps it.
#[test]
fn a_board_sign_in_that_would_fail_the_same_offers_no_i() {
    let client = stepwise::auth::AuthError::UnknownClient {
        client_id: "bogus".into(),
        said: "invalid_client".into(),
        other: stepwise::auth::OtherSignIn::None,
    };
    let stopped = stepwise::auth::AuthError::Expired;
    for (error, offered) in [(client, false), (stopped, true)] {
        let mut s = state(false);
        let cars = ["A1", "B2"].map(String::from).to_vec();
        for r in &requests(&start_board(&mut s, cars, t(0))) {
            answer(&mut s, r, Err(unauthorized()), 1);
        }
        assert!(footer(&s).contains("i sign in"), "{}", footer(&s));
        let Some(Effect::SignIn { id, .. }) = ch(&mut s, 'i').first().cloned() else {
            panic!("i on the board signs in");
        };
        let msg = Msg::SignedIn {
            id,
            result: Err(error),
        };
        update(&mut s, Input::Msg(msg), t(2));
        let banner = s.board().unwrap().banner().unwrap().clone();
        assert_eq!(banner.title, "Sign-in failed", "{banner:?}");
        assert!(!banner.text.contains("session"), "{banner:?}");
        assert_eq!(
            footer(&s).contains("i sign in"),
            offered,
            "{banner:?}: {}",
            footer(&s)
        );
    }
}

/// A board-wide error said before (a sign-in that failed) goes when `r`
/// asks every vehicle again: the answers say what holds now, never "quit
/// and start again" over rows that list (stranger 77, BZ3).
#[test]
fn r_on_the_board_drops_a_stale_sign_in_failure() {
    let mut s = state(false);
    let cars = ["A1", "B2"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        answer(&mut s, r, Err(unauthorized()), 1);
    }
    let Some(Effect::SignIn { id, .. }) = ch(&mut s, 'i').first().cloned() else {
        panic!("i on the board signs in");
    };
    let msg = Msg::SignedIn {
        id,
        result: Err(stepwise::auth::AuthError::Expired),
    };
    update(&mut s, Input::Msg(msg), t(2));
    assert_eq!(s.board().unwrap().banner().unwrap().title, "Sign-in failed");
    let asked = requests(&ch(&mut s, 'r'));
    assert_eq!(asked.len(), 2);
    assert!(
        s.board().unwrap().banner().is_none(),
        "{:?}",
        s.board().unwrap().banner()
    );
    for (n, r) in (1..).zip(&asked) {
        answer(&mut s, r, Ok(list(n, ["todo"; 3])), 3);
    }
    let banner = s.board().unwrap().banner().cloned();
    assert!(banner.is_none(), "{banner:?}");
}

/// A request whose task ended without an answer (it panicked) becomes a
/// message: the vehicle stops waiting, says so, and `r` asks again.
#[test]
fn a_failed_task_shows_on_its_vehicle_and_r_retries() {
    let mut s = board();
    let asked = requests(&ch(&mut s, 'r'));
    let c3 = asked.iter().find(|r| r.0 == "C3").unwrap().clone();
    update(
        &mut s,
        Input::Msg(Msg::TaskFailed {
            car: "C3".into(),
            id: c3.1,
            why: "index out of bounds\u{1b}[2J".into(),
        }),
        t(40),
    );
    let session = s.board().unwrap().session("C3").unwrap();
    assert!(!session.is_loading(), "C3 no longer waits");
    let banner = session.banner().unwrap();
    assert_eq!(banner.kind, BannerKind::Error);
    assert!(banner.title.contains("internal error"), "{banner:?}");
    assert!(!banner.text.contains('\u{1b}'), "{banner:?}");
    assert_eq!(s.board().unwrap().summary().failing, 2, "C3 and D4");
    let again = requests(&ch(&mut s, 'r'));
    assert!(again.iter().any(|r| r.0 == "C3"), "{again:?}");
}

/// An id the gateway does not know, opened from the board: the panel says
/// asking again will not help, never "press r".
#[test]
fn an_unknown_id_opened_from_the_board_is_not_offered_r() {
    let mut s = state(false);
    let effects = start_board(&mut s, vec!["Z9".into()], t(0));
    let asked = requests(&effects);
    let unknown = GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: stepwise::wire::ErrorBody::new(None, "unknown carAssociationID Z9"),
        retry_after: None,
        proxy: None,
    };
    answer(&mut s, &asked[0], Err(unknown.clone()), 1);
    // Opened, it asks again and hears the same.
    let again = requests(&key(&mut s, KeyCode::Enter));
    for r in &again {
        answer(&mut s, r, Err(unknown.clone()), 2);
    }
    let screen = drawn(&s, 110, 32);
    assert!(screen.contains("asking again will not help"), "{screen}");
    assert!(!screen.contains("press r"), "{screen}");
}

/// An id typed with a character left out ("x/y" stands as "xy", perhaps
/// another vehicle) is not taken at the first Enter, on the start screen and
/// in the board's add field: the id as it stands is said, and a second
/// Enter takes it.
#[test]
fn an_id_with_characters_left_out_is_taken_only_at_a_second_enter() {
    use stepwise::wizard::start::FieldNotice;
    let mut s = state(true);
    stepwise::wizard::update::start(&mut s, None, t(0));
    typed(&mut s, "x/y");
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "held once");
    assert_eq!(
        s.start_field().unwrap().notice(),
        Some(&FieldNotice::Dropped {
            chars: "/".into(),
            id: "xy".into()
        })
    );
    assert!(
        !requests(&key(&mut s, KeyCode::Enter)).is_empty(),
        "the second Enter opens xy"
    );

    let mut b = state(true);
    start_board(&mut b, vec!["A1".into(), "B2".into()], t(0));
    ch(&mut b, 'a');
    typed(&mut b, "x/y");
    assert!(key(&mut b, KeyCode::Enter).is_empty(), "held once");
    assert!(!b.board().unwrap().contains("xy"));
    assert!(
        !requests(&key(&mut b, KeyCode::Enter)).is_empty(),
        "added at the second"
    );
    assert!(b.board().unwrap().contains("xy"));
}

/// A long number pasted from Excel (`9.87654E+11`, its last digits lost)
/// is named as one in the board's add field and on the start screen, with
/// how to keep the column as Text; no Enter takes it as `987654E11`.
#[test]
fn an_excel_number_in_an_id_field_is_named_and_never_taken() {
    use stepwise::wizard::start::FieldNotice;
    let named = Some(FieldNotice::ExcelNumber("9.87654E+11".into()));
    let mut b = state(true);
    start_board(&mut b, vec!["A1".into(), "B2".into()], t(0));
    ch(&mut b, 'a');
    typed(&mut b, "9.87654E+11");
    for _ in 0..2 {
        assert!(requests(&key(&mut b, KeyCode::Enter)).is_empty());
        let field = b.board().unwrap().adding().unwrap();
        assert_eq!(field.notice(), named.as_ref());
    }
    assert!(!b.board().unwrap().contains("987654E11"));

    let mut s = state(true);
    stepwise::wizard::update::start(&mut s, None, t(0));
    update(&mut s, Input::Paste("9.87654E+11".into()), t(0));
    for _ in 0..2 {
        assert!(requests(&key(&mut s, KeyCode::Enter)).is_empty());
    }
    assert_eq!(s.start_field().unwrap().notice(), named.as_ref());
}

/// The screen of `s` at 100x30 as one line of words (borders and quotes
/// left out).
fn flat_screen(s: &State) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    terminal
        .draw(|frame| {
            stepwise::ui::draw(frame, s);
        })
        .unwrap();
    terminal
        .backend()
        .to_string()
        .replace(['│', '"'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A column of ids pasted into the start field (one per line) is never
/// joined into one id: none is taken, Enter asks for nothing, and the words
/// count the lines and name --cars (stranger 77, BZ7).
#[test]
fn pasted_lines_of_ids_are_said_never_joined() {
    let mut s = state(true);
    stepwise::wizard::update::start(&mut s, None, t(0));
    update(
        &mut s,
        Input::Paste("F0001\r\nF0002\r\nF0003\r\n".into()),
        t(0),
    );
    let field = s.start_field().unwrap();
    assert_eq!(field.input(), "");
    assert_eq!(
        field.notice(),
        Some(&stepwise::wizard::start::FieldNotice::SeveralIds(3))
    );
    let flat = flat_screen(&s);
    assert!(
        flat.contains("3 lines were pasted (a column of ids?): the field takes one id")
            && flat.contains("--cars FILE"),
        "{flat}"
    );
    assert!(!flat.contains("U+000D"), "{flat}");
}

/// A column of ids pasted into the board's own add field (`a`): one at a
/// time here, and the board's vehicles stay; never "quit and start with
/// --cars", which would end the board (stranger 89, CL1).
#[test]
fn pasted_lines_in_the_board_s_add_field_say_one_at_a_time() {
    let mut s = board();
    ch(&mut s, 'a');
    update(&mut s, Input::Paste("F0070\nF0071\nF0072\n".into()), t(0));
    let flat = flat_screen(&s);
    assert!(
        flat.contains("3 lines were pasted (a column of ids?): this field adds one id at a time"),
        "{flat}"
    );
    assert!(!flat.contains("--cars FILE"), "{flat}");
}

/// A gateway that refuses the stepsID it gives again: the board starts its
/// followers again for the list it got back (same stepsID: its stream had
/// ended), and at the second refusal within a minute live stops for that
/// vehicle, said on the board itself, not only in its row.
#[test]
fn a_steps_id_refused_again_on_the_board_stops_its_live_and_says_so() {
    let (mut s, id) = live_board();
    let refused = || LiveUpdate::Error {
        error: GatewayError::Rejected {
            status: 404,
            kind: Rejection::NotFound,
            body: ErrorBody::new(Some(2346), "no step for this stepsID"),
            retry_after: None,
            proxy: None,
        },
        retrying: false,
    };
    let asked = requests(&live(&mut s, "C3", id, refused(), 45));
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].2, Purpose::Open, "by carAssociationID");
    let effects = answer(&mut s, &asked[0], Ok(list(3, ["todo"; 3])), 46);
    let (id, lists) = followed(&effects).expect("its stream had ended: followed again");
    assert_eq!(lists, pairs(&[("A1", "1"), ("C3", "3"), ("D4", "4")]));
    let effects = live(&mut s, "C3", id, refused(), 47);
    assert!(
        requests(&effects).is_empty(),
        "not asked again: {effects:?}"
    );
    let board = s.board().unwrap();
    assert!(!board.session("C3").unwrap().watch());
    assert!(board.session("A1").unwrap().watch(), "the others stay live");
    let banner = board.banner().expect("said on the board");
    assert!(
        banner.title.starts_with("Live stopped for C3: ")
            && banner.text.contains("no step for this stepsID"),
        "{banner:?}"
    );
    // On the board `w` turns live off for every vehicle: the words say
    // how to follow this one again, and "stopped" once.
    assert!(
        banner.text.contains("live goes on for the other vehicles")
            && banner.text.contains("press w twice (live off, then on)")
            && !banner.text.contains("press w to watch again")
            && !banner.title.contains("Watch stopped"),
        "{banner:?}"
    );
    // The others stop the same way: the last one says live stopped for
    // every vehicle, never that it goes on for the others (stranger 44,
    // AS9).
    let mut id = id;
    for (car, n) in [("A1", 1), ("D4", 4)] {
        let asked = requests(&live(&mut s, car, id, refused(), 50));
        let effects = answer(&mut s, &asked[0], Ok(list(n, ["todo"; 3])), 51);
        if let Some((again, _)) = followed(&effects) {
            id = again;
        }
        live(&mut s, car, id, refused(), 52);
    }
    let board = s.board().unwrap();
    assert!(board.sessions().iter().all(|v| !v.watch()));
    let banner = board.banner().expect("said on the board");
    assert!(
        banner
            .text
            .contains("live has now stopped for every vehicle of the board")
            && !banner.text.contains("live goes on for the other vehicles"),
        "{banner:?}"
    );
    // Live is off for all: one `w` follows them again, as the words say;
    // "twice" would turn it on and off (stranger 53, BB7).
    assert!(
        banner.text.contains("press w to follow them again") && !banner.text.contains("twice"),
        "{banner:?}"
    );
    ch(&mut s, 'w');
    let board = s.board().unwrap();
    assert!(board.sessions().iter().any(|v| v.watch()));
}

/// While a row that failed is asked again, its last error is shown as what
/// was (a 429 held back may stand behind the new request), not as what is;
/// the answer that comes back says what is.
#[test]
fn a_row_asked_again_shows_its_last_error_as_past() {
    let mut s = state(false);
    let asked = requests(&start_board(&mut s, vec!["A1".into()], t(0)));
    answer(&mut s, &asked[0], Err(unauthorized()), 1);
    let shown = |s: &State| drawn(s, 120, 20);
    assert!(shown(&s).contains("Token needed"), "{}", shown(&s));
    let again = requests(&ch(&mut s, 'r'));
    assert_eq!(again.len(), 1, "{again:?}");
    let screen = shown(&s);
    assert!(screen.contains("retrying (was: Token needed)"), "{screen}");
    // The client waits out a 429 before it asks again: the board says so,
    // for as long as the wait lasts.
    update(
        &mut s,
        Input::Msg(Msg::Limited(Duration::from_secs(30))),
        t(10),
    );
    let screen = shown(&s);
    assert!(
        screen.contains("HTTP 429: requests wait 30 s more"),
        "{screen}"
    );
    // In the smallest window the wait comes first on the summary line,
    // whole (the counts after it may be cut).
    let small = drawn(&s, 60, 16);
    let summary = small.lines().nth(1).unwrap_or_default();
    assert!(
        summary.contains("HTTP 429: requests wait 30 s more"),
        "{small}"
    );
    // What does not fit goes whole, said by "…" (no word cut).
    assert!(
        summary.trim_end_matches('"').trim_end().ends_with('…') && !summary.contains("progres "),
        "{small}"
    );
    // Nothing is sent meanwhile: the row is held, not asking.
    assert!(
        screen.contains("held (HTTP 429)") && !screen.contains("asking…"),
        "{screen}"
    );
    // Its last error too is held, not retrying.
    assert!(
        screen.contains("held (was: Token needed)") && !screen.contains("retrying (was"),
        "{screen}"
    );
    answer(&mut s, &again[0], Err(timed_out()), 40);
    let screen = shown(&s);
    assert!(!screen.contains("Token needed"), "{screen}");
    assert!(!screen.contains("HTTP 429"), "{screen}");
}

/// The board asks whether the gateway serves the customers' pages, as the
/// single-vehicle wizard does: a vehicle opened from it shows the
/// gateway's page, not "the gateway serves no customer pages".
#[test]
fn the_board_asks_whether_the_gateway_serves_pages() {
    let mut s = state(false);
    let effects = start_board(&mut s, vec!["A1".into(), "B2".into()], t(0));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::ProbePages)),
        "{effects:?}"
    );
    update(&mut s, Input::Msg(Msg::PagesOffered(true)), t(1));
    let link = s.customer_link(Some("deviceActivation"));
    assert_eq!(link.kind, stepwise::guidance::LinkKind::Gateway, "{link:?}");
}

/// A vehicle whose follower failed (a 429 waited out) keeps its failure
/// when it is opened and left again: a follower saying that it polls has
/// got nothing through yet; only an answer ends the failure, and the
/// opened vehicle's header says it is retrying meanwhile.
#[test]
fn a_failing_vehicle_stays_failing_when_opened_and_left() {
    let (mut s, id) = live_board();
    let limited = LiveUpdate::Error {
        error: GatewayError::Rejected {
            status: 429,
            kind: Rejection::TooManyRequests,
            body: Default::default(),
            retry_after: Some(Duration::from_secs(45)),
            proxy: None,
        },
        retrying: true,
    };
    live(&mut s, "A1", id, limited, 40);
    let failing = s.board().unwrap().summary().failing;
    let polling = || {
        LiveUpdate::Mode(Mode::Polling {
            every: Duration::from_secs(3),
        })
    };
    let a1 = rows(&s).iter().position(|car| car == "A1").unwrap();
    for _ in 0..5 {
        key(&mut s, KeyCode::Up);
    }
    for _ in 0..a1 {
        key(&mut s, KeyCode::Down);
    }
    assert_eq!(s.board().unwrap().selected_car(), Some("A1"));
    // The board's follower goes on for the opened vehicle; its next round
    // says it polls, before any poll got through.
    let effects = key(&mut s, KeyCode::Enter);
    let opened = followed(&effects).map_or(id, |(opened, _)| opened);
    live(&mut s, "A1", opened, polling(), 41);
    assert_eq!(s.session().unwrap().watch_shown(), WatchShown::Retrying);
    let effects = key(&mut s, KeyCode::Esc);
    let again = followed(&effects).map_or(opened, |(again, _)| again);
    live(&mut s, "A1", again, polling(), 42);
    assert_eq!(s.board().unwrap().summary().failing, failing, "kept");
    let a1 = s.board().unwrap().session("A1").unwrap();
    assert_eq!(stepwise::wizard::board::standing(a1), Standing::Failing);
    live(
        &mut s,
        "A1",
        again,
        LiveUpdate::Unchanged {
            steps_id: "1".into(),
        },
        43,
    );
    assert_eq!(s.board().unwrap().summary().failing, failing - 1);
}

/// A follower replaced while its reconnect banner is on show hands the
/// banner on: the new one ends it when it gets through, so a vehicle
/// opened again shows no gateway failure that is over.
#[test]
fn a_reconnect_banner_ends_when_a_new_follower_gets_through() {
    use stepwise::wizard::session::VehicleSession;
    use stepwise::wizard::state::Banner;
    let mut session = VehicleSession::new("A1", "test", stepwise::text::Lang::En, t(0));
    session.follow(1, "S-1".into());
    session.say_trouble(stepwise::wizard::session::Trouble {
        banner: Banner {
            kind: BannerKind::Info,
            title: "Watch interrupted".into(),
            text: "HTTP 503".into(),
            futile_sign_in: false,
        },
        what: "HTTP 503".into(),
        inherited: false,
        stream: false,
        after: None,
    });
    assert!(session.in_trouble());
    session.follow(2, "S-1".into());
    assert!(
        session.in_trouble(),
        "the trouble goes on with the new follower"
    );
    session.end_trouble();
    assert!(session.banner().is_none(), "{:?}", session.banner());
    assert!(!session.in_trouble());
}

/// An id the demo does not know, on the board: said as the demo's, with
/// the board's way to fix a row (d, then a), never "offered on the start
/// screen" (a board has none); with live on, its watch stops with the same
/// words and without "once it is fixed, press w twice" (stranger 60, BI1,
/// BI2).
#[test]
fn an_id_the_demo_does_not_know_on_the_board_is_said_with_the_board_s_keys() {
    let mut s = state_in(true, stepwise::text::Lang::En);
    let cars = ["A1", "ZZ9"].map(String::from).to_vec();
    let unknown = || GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: ErrorBody::new(None, "carAssociationID ZZ9"),
        retry_after: None,
        proxy: None,
    };
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        match r.0.as_str() {
            "A1" => answer(&mut s, r, Ok(list(1, ["todo"; 3])), 1),
            _ => answer(&mut s, r, Err(unknown()), 1),
        };
    }
    let said = s
        .board()
        .unwrap()
        .session("ZZ9")
        .unwrap()
        .banner()
        .cloned()
        .unwrap();
    assert!(
        said.text.contains("the demo backend does not know this id")
            && said.text.contains(
                "it knows only its own vehicles (`stepwise demo --board` opens a board of them all)"
            )
            && said.text.contains(
                "on the board, d removes this row and a adds the right id (from this vehicle's screen, Esc goes back to the board first)"
            )
            // Never "Esc from a vehicle" said on the board itself
            // (stranger 85, CH2).
            && !said.text.contains("Esc from a vehicle")
            && !said.text.contains("start screen"),
        "{said:?}"
    );
    let asked = requests(&ch(&mut s, 'w'));
    let zz9 = asked.iter().find(|r| r.0 == "ZZ9").expect("ZZ9 asked");
    answer(&mut s, zz9, Err(unknown()), 2);
    let banner = s.board().unwrap().banner().cloned().expect("a banner");
    assert!(banner.title.contains("Live stopped for ZZ9"), "{banner:?}");
    assert!(
        banner
            .text
            .contains("the demo backend does not know this id")
            && banner.text.contains("d removes this row")
            && !banner.text.contains("press w twice")
            && !banner.text.contains("Check the carAssociationID"),
        "{banner:?}"
    );
    let report = s.report().to_markdown();
    assert!(!report.contains("Check the carAssociationID"), "{report}");
}

/// A vehicle's live following stopped on a final answer is said on the
/// board; once `r` gives that vehicle a list, the banner of that cause goes
/// (stranger 53, BB9).
#[test]
fn a_live_stopped_banner_goes_once_r_gives_that_vehicle_a_list() {
    let (mut s, id) = live_board();
    let refused = GatewayError::Rejected {
        status: 400,
        kind: Rejection::BadRequest,
        body: ErrorBody::default(),
        retry_after: None,
        proxy: None,
    };
    live(
        &mut s,
        "D4",
        id,
        LiveUpdate::Error {
            error: refused,
            retrying: false,
        },
        47,
    );
    let said = s.board().unwrap().banner().cloned().expect("a banner");
    assert!(said.title.contains("Live stopped for D4"), "{said:?}");
    let asked = requests(&ch(&mut s, 'r'));
    let d4 = asked.iter().find(|r| r.0 == "D4").expect("D4 asked again");
    // Another vehicle's list leaves the banner: it says D4.
    if let Some(a1) = asked.iter().find(|r| r.0 == "A1") {
        answer(&mut s, a1, Ok(list(1, ["alreadyDone", "todo", "todo"])), 48);
        assert!(s.board().unwrap().banner().is_some());
    }
    let effects = answer(&mut s, d4, Ok(list(4, ["todo"; 3])), 49);
    assert!(
        s.board().unwrap().banner().is_none(),
        "{:?}",
        s.board().unwrap().banner()
    );
    // Live is on for the board: D4 is followed again, not left behind a
    // "live ON" header (stranger 55, BD1).
    assert!(s.board().unwrap().session("D4").unwrap().watch());
    let (_, lists) = followed(&effects).expect("followed again");
    assert!(lists.iter().any(|(car, _)| car == "D4"), "{lists:?}");
}

/// The board's stream given up for polling after its failures is said on
/// the board with the last failure and stays when the first poll's list
/// comes; the report keeps it (stranger 51, AZ2).
#[test]
fn the_board_s_switch_to_polling_is_said_and_kept() {
    let (mut s, id) = live_board();
    let said = stepwise::wire::ErrorBody::new(Some(50038), "stream error 50038");
    for (at, car) in [(40, "A1"), (41, "C3"), (42, "D4")] {
        live(
            &mut s,
            car,
            id,
            LiveUpdate::Error {
                error: GatewayError::Live(stepwise::client::live::LiveFault::Said(said.clone())),
                retrying: true,
            },
            at,
        );
    }
    let every = Duration::from_secs(3);
    for (at, car) in [(43, "A1"), (43, "C3"), (43, "D4")] {
        live(
            &mut s,
            car,
            id,
            LiveUpdate::Mode(Mode::Polling { every }),
            at,
        );
    }
    let banner = |s: &State| s.board().unwrap().banner().cloned().expect("a banner");
    let fell_back = banner(&s);
    assert!(
        fell_back.title.contains("Live stream given up") && fell_back.text.contains("50038"),
        "{fell_back:?}"
    );
    // The first poll's list ends the trouble, not the word of the switch.
    let again = LiveUpdate::List(list(1, ["alreadyDone", "todo", "todo"]));
    live(&mut s, "A1", id, again, 44);
    assert_eq!(banner(&s).title, fell_back.title);
    let report = s.report().to_markdown();
    assert!(report.contains("Live stream given up"), "{report}");
}

/// A stream that contradicts lists that all answer (BH6) is given up at
/// once: the board says so with the gateway's words and the stepsID the
/// stream had not sent, never "kept failing" nor "run stepwise doctor"
/// (doctor asks of one vehicle and would not see it).
#[test]
fn the_board_says_a_stream_contradicting_its_lists_was_given_up_at_once() {
    let (mut s, id) = live_board();
    let error = GatewayError::Live(stepwise::client::live::LiveFault::Contradicted {
        said: stepwise::wire::ErrorBody::new(Some(2346), "no step for this stepsID"),
        lists: 3,
        unsent: vec!["4".into()],
    });
    for car in ["A1", "C3", "D4"] {
        live(
            &mut s,
            car,
            id,
            LiveUpdate::Error {
                error: error.clone(),
                retrying: true,
            },
            40,
        );
    }
    let every = Duration::from_secs(3);
    for car in ["A1", "C3", "D4"] {
        live(
            &mut s,
            car,
            id,
            LiveUpdate::Mode(Mode::Polling { every }),
            41,
        );
    }
    let banner = s.board().unwrap().banner().cloned().expect("a banner");
    assert!(
        banner.title.contains("Live stream given up")
            && banner.text.contains("Given up at once")
            && banner.text.contains("contradicts itself")
            && banner.text.contains("stepsID 4")
            && !banner.text.contains("kept failing")
            && !banner.text.contains("doctor"),
        "{banner:?}"
    );
}

/// A token renewal the provider could not make fails every vehicle asked;
/// once one of them is given a list (the renewal is over), the others that
/// nothing asks by itself ask again, not left "Token renewal failed"
/// until `r` (stranger 51, AZ6).
#[test]
fn the_renewal_over_asks_again_the_vehicles_it_failed() {
    let mut s = state(false);
    let cars = ["A1", "B2", "C3"].map(String::from).to_vec();
    for r in &requests(&start_board(&mut s, cars, t(0))) {
        let own = u32::from(r.0.as_bytes()[1] - b'0');
        answer(&mut s, r, Ok(list(own, ["todo"; 3])), 1);
    }
    let failed = GatewayError::Auth(stepwise::auth::AuthError::Provider(
        stepwise::auth::ProviderProblem::RefreshFailed {
            said: "temporarily_unavailable".into(),
            wait: Some(30),
        },
    ));
    let asked = requests(&ch(&mut s, 'r'));
    assert_eq!(asked.len(), 3, "{asked:?}");
    for r in &asked {
        answer(&mut s, r, Err(failed.clone()), 4);
    }
    let failing = |s: &State| s.board().unwrap().summary().failing;
    assert_eq!(failing(&s), 3);
    // Nothing is asked again before the renewal is over.
    assert!(requests(&update(&mut s, Input::WatchTick, t(10))).is_empty());
    // `r` again: B2 and C3 fail as before, then A1's list comes.
    let asked = requests(&ch(&mut s, 'r'));
    for r in asked.iter().filter(|r| r.0 != "A1") {
        answer(&mut s, r, Err(failed.clone()), 39);
    }
    let a1 = asked.iter().find(|r| r.0 == "A1").expect("r asks A1");
    let effects = answer(&mut s, a1, Ok(list(1, ["todo"; 3])), 40);
    let mut again: Vec<String> = requests(&effects).into_iter().map(|r| r.0).collect();
    again.sort();
    assert_eq!(again, ["B2", "C3"], "{effects:?}");
}

/// Vehicles under one stepsID keep saying so on their rows (counted
/// failing) after `w`, which does not follow them by that stepsID and says
/// the sharing again above its word on live; a sharing that comes later (a
/// start-over, `r`) is said as at the start (stranger 55, BD3).
#[test]
fn a_shared_steps_id_stays_said_and_is_not_followed() {
    let mut s = state(true);
    let cars = ["E1", "F2", "G3"].map(String::from).to_vec();
    let asked = requests(&start_board(&mut s, cars, t(0)));
    answer(&mut s, &asked[0], Ok(list(5, ["todo"; 3])), 1);
    answer(&mut s, &asked[1], Ok(list(5, ["todo"; 3])), 2);
    answer(&mut s, &asked[2], Ok(list(6, ["todo"; 3])), 3);
    assert_eq!(s.board().unwrap().summary().failing, 2);
    let md = s.report().to_markdown();
    let f2 = md.split("## F2").nth(1).unwrap_or_default();
    assert!(f2.contains("for 2 vehicles: E1, F2 got lists"), "{md}");
    // `w` follows G3 by its stepsID, and asks E1 and F2 again by
    // carAssociationID, never following them by the shared one
    // (stranger 55, BD3; stranger 58, BG4).
    let effects = ch(&mut s, 'w');
    if let Some((_, lists)) = followed(&effects) {
        assert_eq!(lists, pairs(&[("G3", "6")]), "{effects:?}");
    }
    let by_car: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::FetchList { car, request, .. }
                if request.lookup == Lookup::Car(car.clone()) =>
            {
                Some(car.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(by_car, ["E1", "F2"], "{effects:?}");
    // Still one stepsID for both: said again, above the word on live.
    let asked = requests(&effects);
    for r in &asked {
        answer(&mut s, r, Ok(list(5, ["todo"; 3])), 5);
    }
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert_eq!(banner.title, "One stepsID (5) for 2 vehicles");
    assert_eq!(s.board().unwrap().summary().failing, 2);
    // The gateway fixed: `r` asks them by carAssociationID, each gets its
    // own, and the banner goes (stranger 58, BG1).
    let asked = requests(&ch(&mut s, 'r'));
    for r in &asked {
        let own = match r.0.as_str() {
            "E1" => 5,
            "F2" => 7,
            _ => 6,
        };
        answer(&mut s, r, Ok(list(own, ["todo"; 3])), 10);
    }
    assert!(
        s.board()
            .unwrap()
            .banner()
            .is_none_or(|b| !b.title.starts_with("One stepsID")),
        "{:?}",
        s.board().unwrap().banner()
    );
    assert_eq!(s.board().unwrap().summary().failing, 0);
    // Later, `r` gives G3 the same stepsID as E1: said then too.
    let asked = requests(&ch(&mut s, 'r'));
    let g3 = asked.iter().find(|r| r.0 == "G3").expect("r asks G3");
    answer(&mut s, g3, Ok(list(5, ["todo"; 3])), 20);
    let banner = s.board().unwrap().banner().unwrap().clone();
    assert!(
        banner.title.starts_with("One stepsID (5) for"),
        "{banner:?}"
    );
    let g3 = s.board().unwrap().session("G3").unwrap();
    assert!(!g3.watch());
    assert_eq!(stepwise::wizard::board::standing(g3), Standing::Failing);
}

/// `o` on a board vehicle's steps screen that finds no browser says so
/// there; back on the board the vehicle is not counted failing for it
/// (stranger 57, BF4).
#[test]
fn a_browser_that_would_not_open_is_no_failing_vehicle() {
    let mut s = board();
    let failing = s.board().unwrap().summary().failing;
    // The first row is the failing D4: the next one is fine.
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Enter);
    let url = "https://docs.example/guidance/trusterPhoneNumber".to_owned();
    update(
        &mut s,
        Input::Msg(Msg::Opened(Err(
            stepwise::wizard::state::OpenFailure::NoGraphicalSession(url),
        ))),
        t(30),
    );
    let open = s.session().expect("a vehicle open");
    assert_eq!(open.banner().unwrap().title, "Could not open a browser");
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.board().unwrap().summary().failing, failing);
}

/// The gateway's 429 that holds every request of the board is in the
/// report with its wait, once, where support reads it after the visit
/// (stranger 61, BJ3).
#[test]
fn a_hold_by_a_429_is_in_the_report_with_its_wait() {
    let mut s = board();
    for at in [40, 41] {
        update_state(
            &mut s,
            Input::Msg(Msg::Limited(Duration::from_secs(7200))),
            t(at),
        );
    }
    let report = s.report().to_markdown();
    assert_eq!(
        report
            .matches("the gateway's HTTP 429 held every request to it for 7200 s (its Retry-After)")
            .count(),
        1,
        "{report}"
    );
    let json: serde_json::Value = serde_json::from_str(&s.report().to_json()).unwrap();
    assert!(json.to_string().contains("7200"), "{json}");
}

/// A token refused for every vehicle of a live board: live stopped for
/// every vehicle, said of the board, never as the last row's trouble
/// (stranger 63, BL8).
#[test]
fn a_token_refused_for_every_vehicle_stops_live_for_every_vehicle() {
    let (mut s, id) = live_board();
    for car in ["A1", "C3", "D4"] {
        live(
            &mut s,
            car,
            id,
            LiveUpdate::Error {
                error: unauthorized(),
                retrying: false,
            },
            47,
        );
    }
    let said = s.board().unwrap().banner().cloned().expect("a banner");
    assert!(
        said.title.starts_with("Live stopped for every vehicle: "),
        "{said:?}"
    );
}

/// A vehicle added with `a` to a live board while the gateway does not
/// answer is watched as the others are: asked again at the next watch
/// round, never left "unreachable" once the gateway is back (stranger 69,
/// BR15).
#[test]
fn a_vehicle_added_to_a_live_board_is_asked_again_after_a_failure() {
    let (mut s, _) = live_board();
    ch(&mut s, 'a');
    typed(&mut s, "E5");
    let asked = requests(&key(&mut s, KeyCode::Enter));
    assert_eq!(asked.len(), 1);
    let down = GatewayError::Unreachable {
        base: "http://gw".into(),
        detail: "Connection refused (os error 111)".into(),
    };
    answer(&mut s, &asked[0], Err(down), 40);
    assert!(s.board().unwrap().session("E5").unwrap().watch());
    let again = requests(&update(&mut s, Input::WatchTick, t(45)));
    assert!(again.iter().any(|r| r.0 == "E5"), "{again:?}");
}

/// Two vehicles of one stream whose stepsIDs the list call refused (after
/// the stream's 2346): both start over, though the first one's start-over
/// restarts the board's followers before the second's word is taken
/// (stranger 69, BR8).
#[test]
fn every_vehicle_whose_steps_id_the_list_refused_starts_over() {
    let (mut s, id) = live_board();
    let dropped = |steps_id: &str| LiveUpdate::Dropped {
        steps_id: steps_id.into(),
        error: GatewayError::Rejected {
            status: 404,
            kind: Rejection::NotFound,
            body: ErrorBody::new(Some(2346), "no step for this stepsID"),
            retry_after: None,
            proxy: None,
        },
    };
    let first = requests(&live(&mut s, "A1", id, dropped("1"), 45));
    let a1 = first
        .iter()
        .find(|r| r.0 == "A1" && r.2 == Purpose::Open)
        .expect("A1 asked again by carAssociationID");
    // A1's new list comes first: the board's followers start again.
    let effects = answer(&mut s, a1, Ok(list(11, ["todo"; 3])), 45);
    assert!(followed(&effects).is_some(), "{effects:?}");
    let second = requests(&live(&mut s, "C3", id, dropped("3"), 45));
    assert!(
        second.iter().any(|r| r.0 == "C3" && r.2 == Purpose::Open),
        "{second:?}"
    );
}
