//! The board: many vehicle sessions at once, with a sort key, a text filter,
//! the selected row, an id being added and a removal waiting for its
//! confirmation. The order on screen is computed from the sessions, never
//! stored, so a sort or filter change can never lose a vehicle.

use std::cmp::Ordering;

use super::session::VehicleSession;
use super::start::StartField;
use super::state::{Banner, BannerKind};
use crate::text::Lang;

/// Longest filter the board takes.
pub const FILTER_CHARS: usize = 40;

/// What the rows are ordered by; `S` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Failing first, then by the next step's place in the order (the
    /// vehicles furthest behind first), ready ones last.
    #[default]
    NextStep,
    /// Least progress first.
    Progress,
    /// Stalest data first.
    Freshness,
    /// By carAssociationID.
    Id,
}

impl SortKey {
    pub fn cycle(self) -> Self {
        match self {
            SortKey::NextStep => SortKey::Progress,
            SortKey::Progress => SortKey::Freshness,
            SortKey::Freshness => SortKey::Id,
            SortKey::Id => SortKey::NextStep,
        }
    }

    /// The catalogue id of its name.
    pub fn label_id(self) -> &'static str {
        match self {
            SortKey::NextStep => "board-sort-next",
            SortKey::Progress => "board-sort-progress",
            SortKey::Freshness => "board-sort-freshness",
            SortKey::Id => "board-sort-id",
        }
    }
}

/// A vehicle's standing, for the summary line and the sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Failing,
    InProgress,
    Ready,
}

/// How many vehicles stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub ready: usize,
    /// Vehicles whose list arrived, with steps left to do.
    pub in_progress: usize,
    pub failing: usize,
    /// Vehicles with no list and no error yet: not counted as in progress.
    pub loading: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Board {
    sessions: Vec<VehicleSession>,
    sort: SortKey,
    filter: String,
    /// `/` was pressed: keys go into the filter.
    typing_filter: bool,
    /// The carAssociationID of the selected row.
    selected: Option<String>,
    /// `a` was pressed: the id being typed.
    adding: Option<StartField>,
    /// `d` was pressed: the vehicle waiting for `y`.
    pending_removal: Option<String>,
    /// The last announcement (a vehicle turned ready, one was removed).
    banner: Option<Banner>,
    /// Every vehicle has had an answer (a list or an error) at least once.
    loaded: bool,
    /// The (carAssociationID, stepsID) pairs the board's followers follow,
    /// by carAssociationID, and the followers' id.
    followed: Vec<(String, String)>,
    followed_by: u64,
}

/// A session's standing: failing when its last answer was an error, or
/// while its follower cannot reach the gateway (live on a dead gateway).
pub fn standing(session: &VehicleSession) -> Standing {
    if session
        .banner()
        .is_some_and(|b| b.kind == BannerKind::Error)
        || session.in_trouble()
    {
        Standing::Failing
    } else if session.all_done() {
        Standing::Ready
    } else {
        Standing::InProgress
    }
}

/// (done, total) of the whole list, when one has arrived.
pub fn progress(session: &VehicleSession) -> Option<(usize, usize)> {
    session.whole().map(|l| (l.done_count(), l.steps.len()))
}

fn next_order(session: &VehicleSession) -> i64 {
    session
        .next_step()
        .and_then(|s| s.order)
        .unwrap_or(i64::MAX)
}

fn fraction(session: &VehicleSession) -> (usize, usize) {
    // Compared as done_a * total_b against done_b * total_a; no list sorts
    // first (0 of 1).
    progress(session).map_or((0, 1), |(d, t)| (d, t.max(1)))
}

fn compare(sort: SortKey, a: &VehicleSession, b: &VehicleSession) -> Ordering {
    let by = match sort {
        SortKey::NextStep => standing(a)
            .cmp(&standing(b))
            .then_with(|| next_order(a).cmp(&next_order(b))),
        SortKey::Progress => {
            let (da, ta) = fraction(a);
            let (db, tb) = fraction(b);
            da.saturating_mul(tb).cmp(&db.saturating_mul(ta))
        }
        SortKey::Freshness => a.last_refresh().cmp(&b.last_refresh()),
        SortKey::Id => Ordering::Equal,
    };
    by.then_with(|| a.car().cmp(b.car()))
}

/// Does the session match the filter text (already lower case)? By
/// carAssociationID, next step name or title, "ready", or the error's
/// headline: what the row shows.
fn matches(session: &VehicleSession, needle: &str, lang: Lang) -> bool {
    if needle.is_empty() {
        return true;
    }
    let has = |hay: &str| hay.to_lowercase().contains(needle);
    has(session.car())
        || (session.all_done() && has(&crate::tr!(lang, "board-ready")))
        || session
            .next_step()
            .is_some_and(|s| has(&s.name) || has(&crate::guidance::step_title(lang, &s.name)))
        || session
            .banner()
            .filter(|b| b.kind == BannerKind::Error)
            .is_some_and(|b| has(&b.title))
}

impl Board {
    pub fn new(sessions: Vec<VehicleSession>) -> Self {
        let selected = sessions.first().map(|s| s.car().to_owned());
        Board {
            sessions,
            selected,
            ..Board::default()
        }
    }

    /// Every session the board holds, the one open on the steps screen
    /// included.
    pub fn sessions(&self) -> &[VehicleSession] {
        &self.sessions
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn sort(&self) -> SortKey {
        self.sort
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn typing_filter(&self) -> bool {
        self.typing_filter
    }

    pub fn adding(&self) -> Option<&StartField> {
        self.adding.as_ref()
    }

    pub fn pending_removal(&self) -> Option<&str> {
        self.pending_removal.as_deref()
    }

    pub fn banner(&self) -> Option<&Banner> {
        self.banner.as_ref()
    }

    pub fn selected_car(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    pub fn session(&self, car: &str) -> Option<&VehicleSession> {
        self.sessions.iter().find(|s| s.car() == car)
    }

    pub fn session_mut(&mut self, car: &str) -> Option<&mut VehicleSession> {
        self.sessions.iter_mut().find(|s| s.car() == car)
    }

    pub fn sessions_mut(&mut self) -> impl Iterator<Item = &mut VehicleSession> {
        self.sessions.iter_mut()
    }

    pub fn contains(&self, car: &str) -> bool {
        self.session(car).is_some()
    }

    /// The sessions in the order shown, the filter applied.
    pub fn visible(&self, lang: Lang) -> Vec<&VehicleSession> {
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<&VehicleSession> = self
            .sessions
            .iter()
            .filter(|s| matches(s, &needle, lang))
            .collect();
        rows.sort_by(|a, b| compare(self.sort, a, b));
        rows
    }

    /// The place of the selected row among the visible ones; the first row
    /// when the selected one is filtered out.
    pub fn selected_index(&self, lang: Lang) -> usize {
        let rows = self.visible(lang);
        self.selected
            .as_deref()
            .and_then(|car| rows.iter().position(|s| s.car() == car))
            .unwrap_or(0)
    }

    /// The carAssociationID `Enter` or `d` acts on: the selected row, or
    /// the first visible one when the selected one is filtered out.
    pub fn target(&self, lang: Lang) -> Option<String> {
        let rows = self.visible(lang);
        let index = self.selected_index(lang);
        rows.get(index).map(|s| s.car().to_owned())
    }

    pub fn summary(&self) -> Summary {
        let mut sum = Summary::default();
        for s in &self.sessions {
            match standing(s) {
                Standing::Ready => sum.ready += 1,
                Standing::InProgress if s.whole().is_none() => sum.loading += 1,
                Standing::InProgress => sum.in_progress += 1,
                Standing::Failing => sum.failing += 1,
            }
        }
        sum
    }

    /// Moves the selection `by` rows (negative is up), clamped.
    /// The top row is selected, whatever comes to sit there as answers
    /// arrive and the rows sort, until the technician moves.
    pub fn select_top(&mut self) {
        self.selected = None;
    }

    pub fn move_selection(&mut self, by: isize, lang: Lang) {
        let rows = self.visible(lang);
        if rows.is_empty() {
            return;
        }
        let at = self.selected_index(lang);
        let to = at.saturating_add_signed(by).min(rows.len() - 1);
        self.selected = Some(rows[to].car().to_owned());
    }

    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.cycle();
    }

    pub fn start_filter(&mut self) {
        self.typing_filter = true;
    }

    /// Enter in the filter: keys act on the board again, the filter stays.
    pub fn end_filter(&mut self) {
        self.typing_filter = false;
    }

    /// Esc: the filter is emptied and typing ends.
    pub fn clear_filter(&mut self) {
        self.filter.clear();
        self.typing_filter = false;
    }

    pub fn type_filter(&mut self, text: &str) {
        for c in text.chars().filter(|c| !c.is_control()) {
            if self.filter.chars().count() < FILTER_CHARS {
                self.filter.push(c);
            }
        }
    }

    pub fn erase_filter(&mut self) {
        self.filter.pop();
    }

    pub fn start_adding(&mut self) {
        self.adding = Some(StartField::default());
    }

    pub fn adding_mut(&mut self) -> Option<&mut StartField> {
        self.adding.as_mut()
    }

    pub fn stop_adding(&mut self) {
        self.adding = None;
    }

    /// Adds a session and selects it; false when the board has the id.
    pub fn add(&mut self, session: VehicleSession) -> bool {
        if self.contains(session.car()) {
            return false;
        }
        self.selected = Some(session.car().to_owned());
        self.sessions.push(session);
        true
    }

    pub fn ask_removal(&mut self, car: String) {
        self.pending_removal = Some(car);
    }

    pub fn cancel_removal(&mut self) {
        self.pending_removal = None;
    }

    /// Removes the vehicle waiting for confirmation; returns it.
    pub fn confirm_removal(&mut self, lang: Lang) -> Option<VehicleSession> {
        let car = self.pending_removal.take()?;
        // The selection moves to the row below (or above at the end).
        let rows: Vec<String> = self
            .visible(lang)
            .iter()
            .map(|s| s.car().to_owned())
            .collect();
        let at = rows.iter().position(|c| *c == car);
        let index = self.sessions.iter().position(|s| s.car() == car)?;
        let removed = self.sessions.remove(index);
        if self.selected.as_deref() == Some(car.as_str()) {
            self.selected = at.and_then(|i| {
                rows.get(i + 1)
                    .or_else(|| i.checked_sub(1).and_then(|j| rows.get(j)))
                    .cloned()
            });
        }
        Some(removed)
    }

    pub fn say(&mut self, banner: Banner) {
        self.banner = Some(banner);
    }

    pub fn clear_banner(&mut self) {
        self.banner = None;
    }

    /// Selects `car`'s row (its steps screen opens, and Esc comes back to
    /// it).
    pub fn select(&mut self, car: &str) {
        self.selected = Some(car.to_owned());
    }

    /// Takes a session out of the run (an id the gateway refused).
    pub fn take(&mut self, car: &str) -> Option<VehicleSession> {
        let index = self.sessions.iter().position(|s| s.car() == car)?;
        Some(self.sessions.remove(index))
    }

    /// True once, when the last vehicle without any answer gets one: the
    /// moment every row has data.
    pub fn note_loaded(&mut self) -> bool {
        if self.loaded {
            return false;
        }
        self.loaded = self
            .sessions
            .iter()
            .all(|s| s.last_refresh().is_some() || standing(s) == Standing::Failing);
        self.loaded
    }

    /// The lists the board's followers follow now.
    pub fn followed(&self) -> &[(String, String)] {
        &self.followed
    }

    /// The lists the wizard should follow: every watched vehicle on the
    /// board whose stepsID is known, by carAssociationID; the one open on
    /// the steps screen (`open`) follows alone.
    pub fn wanted(&self, open: Option<&str>) -> Vec<(String, String)> {
        let mut wanted: Vec<(String, String)> = self
            .sessions
            .iter()
            .filter(|s| s.watch() && Some(s.car()) != open)
            .filter_map(|s| Some((s.car().to_owned(), s.steps_id()?.to_owned())))
            .collect();
        wanted.sort();
        wanted
    }

    /// True when the followers follow every watched vehicle's list and
    /// exactly those vehicles take their updates: nothing to do. Checked on
    /// every update, so it allocates nothing.
    pub fn followers_in_step(&self, open: Option<&str>) -> bool {
        let id = self.followed_by;
        let rows = || self.sessions.iter().filter(|s| Some(s.car()) != open);
        // Followers with nothing left to follow are stopped.
        let any_wanted = rows().any(|s| s.watch() && s.steps_id().is_some());
        if !any_wanted && !self.followed.is_empty() {
            return false;
        }
        rows().all(|s| {
            let taking = s.following().is_some_and(|f| f.id == id);
            match (s.watch(), s.steps_id()) {
                (true, Some(steps_id)) => {
                    taking
                        && self
                            .followed
                            .binary_search_by(|(car, id)| {
                                (car.as_str(), id.as_str()).cmp(&(s.car(), steps_id))
                            })
                            .is_ok()
                }
                _ => !taking,
            }
        })
    }

    /// Records that follower `id` now follows `lists` (from [`Board::wanted`]):
    /// each of those sessions answers its updates, the others none.
    pub fn set_followed(&mut self, id: u64, lists: Vec<(String, String)>, open: Option<&str>) {
        self.followed = lists;
        self.followed_by = id;
        let wanted = self.followed.clone();
        self.answer_for(&wanted, open);
    }

    /// The followers go on as they are (they follow every list of
    /// `wanted`, and maybe more): the sessions of `wanted` answer their
    /// updates, the others none.
    pub fn answer_for(&mut self, wanted: &[(String, String)], open: Option<&str>) {
        let id = self.followed_by;
        for session in self.sessions.iter_mut().filter(|s| Some(s.car()) != open) {
            match wanted.binary_search_by(|(car, _)| car.as_str().cmp(session.car())) {
                Ok(at) => {
                    if session.following().is_none_or(|f| f.id != id) {
                        session.follow(id, wanted[at].1.clone());
                    }
                }
                Err(_) => {
                    session.unfollow();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
}
