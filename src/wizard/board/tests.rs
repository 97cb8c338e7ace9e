//! The board's own unit tests: sorting, filtering, the summary.

use std::time::SystemTime;

use super::*;
use crate::steps::{Status, StatusFilter, Step, StepsList};
use crate::wizard::state::Purpose;

#[test]
fn loaded_is_noted_once_when_the_last_vehicle_has_data() {
    let now = SystemTime::UNIX_EPOCH;
    let session = |car| VehicleSession::new(car, "test", Lang::En, now);
    let mut board = Board::new(vec![session("A"), session("B")]);
    assert!(!board.note_loaded());
    let list = StepsList::new(None, vec![Step::new("one", Status::Todo, Some(1))]);
    for car in ["A", "B"] {
        assert!(!board.note_loaded(), "{car} has no data yet");
        board.session_mut(car).unwrap().take_list(
            list.clone(),
            StatusFilter::All,
            Purpose::Open,
            now,
        );
    }
    assert!(board.note_loaded());
    assert!(!board.note_loaded(), "only once");
}

fn cars(board: &Board) -> Vec<&str> {
    board.visible(Lang::En).iter().map(|s| s.car()).collect()
}

#[test]
fn the_order_kept_for_the_frames_follows_every_change() {
    let now = SystemTime::UNIX_EPOCH;
    let session = |car| VehicleSession::new(car, "test", Lang::En, now);
    let mut board = Board::new(vec![session("C"), session("A"), session("B")]);
    let list = |[one, two]: [Status; 2]| {
        StepsList::new(
            None,
            vec![
                Step::new("one", one, Some(1)),
                Step::new("two", two, Some(2)),
            ],
        )
    };
    let take = |board: &mut Board, car: &str, statuses: [Status; 2]| {
        board.session_mut(car).unwrap().take_list(
            list(statuses),
            StatusFilter::All,
            Purpose::Open,
            now,
        );
    };
    take(&mut board, "A", [Status::AlreadyDone, Status::Todo]);
    take(&mut board, "B", [Status::Todo, Status::Todo]);
    take(&mut board, "C", [Status::AlreadyDone, Status::AlreadyDone]);
    board.refresh_order(Lang::En);
    // Furthest behind first, ready last.
    assert_eq!(cars(&board), ["B", "A", "C"]);
    // A change after the frame's order is seen before the next frame.
    take(&mut board, "B", [Status::AlreadyDone, Status::AlreadyDone]);
    assert_eq!(cars(&board), ["A", "B", "C"]);
    board.refresh_order(Lang::En);
    assert_eq!(cars(&board), ["A", "B", "C"]);
    board.cycle_sort();
    board.cycle_sort();
    board.cycle_sort();
    assert_eq!(board.sort(), SortKey::Id);
    assert_eq!(cars(&board), ["A", "B", "C"]);
    board.type_filter("c");
    assert_eq!(cars(&board), ["C"]);
    board.refresh_order(Lang::En);
    board.erase_filter();
    assert_eq!(cars(&board), ["A", "B", "C"]);
    // Sessions that move in the vector keep their ids and rows.
    board.refresh_order(Lang::En);
    let taken = board.take("A").unwrap();
    assert_eq!(taken.car(), "A");
    assert_eq!(cars(&board), ["B", "C"]);
    assert!(board.session("A").is_none());
    assert_eq!(board.session("C").unwrap().car(), "C");
    assert!(board.add(taken));
    assert_eq!(cars(&board), ["A", "B", "C"]);
    assert!(board.add(session("AA")));
    assert!(!board.add(session("AA")), "an id is on the board once");
    assert_eq!(cars(&board), ["A", "AA", "B", "C"]);
    board.ask_removal("B".into());
    board.confirm_removal(Lang::En);
    board.refresh_order(Lang::En);
    assert_eq!(cars(&board), ["A", "AA", "C"]);
    assert_eq!(board.session("C").unwrap().car(), "C");
}

#[test]
fn the_summary_counts_a_vehicle_once_its_list_or_an_error_is_there() {
    let now = SystemTime::UNIX_EPOCH;
    let session = |car| VehicleSession::new(car, "test", Lang::En, now);
    let mut board = Board::new(vec![session("A"), session("B"), session("C"), session("D")]);
    let list = |status| StepsList::new(None, vec![Step::new("one", status, Some(1))]);
    let loading = Summary {
        loading: 4,
        ..Summary::default()
    };
    assert_eq!(board.summary(), loading, "nothing has answered yet");
    for (car, status) in [("A", Status::Todo), ("B", Status::AlreadyDone)] {
        board.session_mut(car).unwrap().take_list(
            list(status),
            StatusFilter::All,
            Purpose::Open,
            now,
        );
    }
    board.session_mut("C").unwrap().say(Banner {
        kind: BannerKind::Error,
        title: "timed out".into(),
        text: String::new(),
        futile_sign_in: false,
    });
    assert_eq!(
        board.summary(),
        Summary {
            ready: 1,
            in_progress: 1,
            failing: 1,
            loading: 1,
        }
    );
}

/// A board holds one session per vehicle, ten thousand of them at most:
/// what a session holds in itself stays small (its follower's reconnect
/// banner boxed, and the one kept between two followers, its lists
/// shared). (376: the count of answers since a start-over, stranger 55's
/// BD2, took the last padding and one more word; 384: the mark of the
/// gateway's next step a list asked again is checked against, stranger
/// 81's CD2, 4 bytes that took one more word: 80 KB for 10,000 vehicles.)
#[test]
fn a_vehicle_session_stays_small() {
    let size = std::mem::size_of::<VehicleSession>();
    assert!(size <= 384, "a VehicleSession takes {size} bytes");
}

/// The whole list, the list on screen when nothing is filtered out, and the
/// log's last list are one list, not three copies; a list that arrives
/// again (a watch refresh, a live stream's first events) keeps the one
/// held.
#[test]
fn a_session_holds_one_copy_of_its_list() {
    let now = SystemTime::UNIX_EPOCH;
    let mut session = VehicleSession::new("A", "test", Lang::En, now);
    let list = || {
        StepsList::new(
            Some("7".to_owned()),
            vec![
                Step::new("one", Status::AlreadyDone, Some(1)),
                Step::new("two", Status::Todo, Some(2)),
            ],
        )
    };
    session.take_list(list(), StatusFilter::All, Purpose::Open, now);
    let whole: *const StepsList = session.whole().unwrap();
    assert!(std::ptr::eq(whole, session.list().unwrap()));
    assert!(std::ptr::eq(whole, session.log().last_list().unwrap()));
    session.take_list(list(), StatusFilter::All, Purpose::Watch, now);
    assert!(std::ptr::eq(whole, session.whole().unwrap()), "kept");
    assert!(std::ptr::eq(whole, session.list().unwrap()));
    // Filtered on screen: a copy of its own, kept too while it is the same.
    session.cycle_filter();
    session.take_list(list(), StatusFilter::All, Purpose::Watch, now);
    let shown: *const StepsList = session.list().unwrap();
    assert!(!std::ptr::eq(whole, shown));
    assert_eq!(session.shown().len(), 1);
    session.take_list(list(), StatusFilter::All, Purpose::Watch, now);
    assert!(std::ptr::eq(shown, session.list().unwrap()), "kept");
    assert!(std::ptr::eq(whole, session.whole().unwrap()));
    // A changed list replaces both.
    let mut changed = list();
    changed.steps[1].status = Status::AlreadyDone;
    session.take_list(changed.clone(), StatusFilter::All, Purpose::Watch, now);
    assert_eq!(session.whole(), Some(&changed));
    assert!(std::ptr::eq(
        session.whole().unwrap(),
        session.log().last_list().unwrap()
    ));
}
