//! The board: many vehicle sessions at once, with a sort key, a text filter,
//! the selected row, an id being added and a removal waiting for its
//! confirmation. The order on screen is computed from the sessions, never
//! stored, so a sort or filter change can never lose a vehicle.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::SystemTime;

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

/// How many vehicles stand where. A vehicle is counted ready or in
/// progress only once its list has arrived.
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
    /// The vehicle whose own trouble the banner says, if it does.
    banner_for: Option<String>,
    /// The vehicles the banner says turned ready (`true`) or no longer
    /// ready: one more that turns the same way joins them.
    pub turned: Option<(bool, Vec<String>)>,
    /// Every vehicle has had an answer (a list or an error) at least once.
    loaded: bool,
    /// The sessions before this one have had an answer.
    answered_upto: usize,
    /// The (carAssociationID, stepsID) pairs the board's followers follow,
    /// by carAssociationID, and the followers' id.
    followed: Vec<(String, String)>,
    followed_by: u64,
    /// Where each session sits in `sessions`, by carAssociationID.
    index: HashMap<String, usize>,
    /// Counts the changes that can move a row: every mutable access to the
    /// sessions, the sort and the filter.
    version: u64,
    /// Every session, in the order of the sort (the filter not applied),
    /// as of `order_of`; the next sort starts from it, so a frame where few
    /// rows moved sorts in about linear time.
    ranked: Vec<usize>,
    /// The rows on screen: `ranked` with the filter applied.
    order: Vec<usize>,
    /// The version and language `ranked` and `order` were computed for;
    /// `None` after the sessions moved in the vector.
    order_of: Option<(u64, Lang)>,
}

/// What a row is sorted on, taken once per session before a sort rather
/// than on every comparison.
#[derive(Debug, Clone, Copy)]
struct RowKey {
    standing: Standing,
    next_order: i64,
    /// (done, total) with total at least 1.
    fraction: (usize, usize),
    fresh: Option<SystemTime>,
}

impl RowKey {
    fn of(session: &VehicleSession) -> Self {
        RowKey {
            standing: standing(session),
            next_order: next_order(session),
            fraction: fraction(session),
            fresh: session.last_refresh(),
        }
    }
}

/// A session's standing: failing when its last answer was an error, or
/// while its follower cannot reach the gateway (live on a dead gateway);
/// not for a fault of the stream alone, whose lists still come.
pub fn standing(session: &VehicleSession) -> Standing {
    if session
        .banner()
        .is_some_and(|b| b.kind == BannerKind::Error)
        || session.list_in_trouble()
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

fn compare(sort: SortKey, a: &RowKey, b: &RowKey) -> Ordering {
    match sort {
        SortKey::NextStep => a
            .standing
            .cmp(&b.standing)
            .then_with(|| a.next_order.cmp(&b.next_order)),
        SortKey::Progress => {
            let (da, ta) = a.fraction;
            let (db, tb) = b.fraction;
            da.saturating_mul(tb).cmp(&db.saturating_mul(ta))
        }
        SortKey::Freshness => a.fresh.cmp(&b.fresh),
        SortKey::Id => Ordering::Equal,
    }
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
        let mut board = Board {
            sessions,
            selected,
            ..Board::default()
        };
        board.reindex();
        board
    }

    /// Makes room for `more` sessions at once (a board opened with its
    /// list of ids), rather than doubling the room as they are added.
    pub fn reserve(&mut self, more: usize) {
        self.sessions.reserve_exact(more);
        self.index.reserve(more);
    }

    /// A change that may move rows: the order is computed again.
    fn touch(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    /// The sessions moved in the vector (one added or removed): the index is rebuilt and the next order starts afresh.
    fn reindex(&mut self) {
        self.touch();
        self.index = self
            .sessions
            .iter()
            .enumerate()
            .map(|(at, s)| (s.car().to_owned(), at))
            .collect();
        self.ranked.clear();
        self.order.clear();
        self.order_of = None;
        self.answered_upto = 0;
    }

    fn position(&self, car: &str) -> Option<usize> {
        self.index.get(car).copied()
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

    /// The vehicle whose own trouble the banner says, if it says one's.
    pub fn banner_for(&self) -> Option<&str> {
        self.banner_for.as_deref()
    }

    pub fn selected_car(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    pub fn session(&self, car: &str) -> Option<&VehicleSession> {
        self.sessions.get(self.position(car)?)
    }

    pub fn session_mut(&mut self, car: &str) -> Option<&mut VehicleSession> {
        let at = self.position(car)?;
        self.touch();
        self.sessions.get_mut(at)
    }

    pub fn sessions_mut(&mut self) -> impl Iterator<Item = &mut VehicleSession> {
        self.touch();
        self.sessions.iter_mut()
    }

    pub fn contains(&self, car: &str) -> bool {
        self.session(car).is_some()
    }

    /// The sessions in the order shown, the filter applied: the order of
    /// [`Board::refresh_order`] while nothing changed since, else computed
    /// here.
    pub fn visible(&self, lang: Lang) -> Vec<&VehicleSession> {
        let rows = if self.order_of == Some((self.version, lang)) {
            debug_assert_eq!(
                self.order,
                self.rank(lang, Vec::new()).1,
                "the board changed without a touch"
            );
            std::borrow::Cow::Borrowed(&self.order)
        } else {
            std::borrow::Cow::Owned(self.rank(lang, Vec::new()).1)
        };
        rows.iter().map(|&at| &self.sessions[at]).collect()
    }

    /// Computes the order on screen now, for the frames (and keys) until
    /// the next change to read: once per frame at most, however many
    /// answers arrived since the last.
    pub fn refresh_order(&mut self, lang: Lang) {
        if self.order_of == Some((self.version, lang)) {
            return;
        }
        let start = if self.order_of.is_some() && self.ranked.len() == self.sessions.len() {
            std::mem::take(&mut self.ranked)
        } else {
            Vec::new()
        };
        (self.ranked, self.order) = self.rank(lang, start);
        self.order_of = Some((self.version, lang));
    }

    /// Every session sorted (starting from `start`, a permutation of them
    /// in a recent order, or nothing) and the rows the filter lets through.
    fn rank(&self, lang: Lang, start: Vec<usize>) -> (Vec<usize>, Vec<usize>) {
        let keys: Vec<RowKey> = self.sessions.iter().map(RowKey::of).collect();
        let mut ranked = if start.len() == self.sessions.len() {
            start
        } else {
            (0..self.sessions.len()).collect()
        };
        let sessions = &self.sessions;
        ranked.sort_by(|&a, &b| {
            compare(self.sort, &keys[a], &keys[b])
                .then_with(|| sessions[a].car().cmp(sessions[b].car()))
        });
        let needle = self.filter.to_lowercase();
        let order = if needle.is_empty() {
            ranked.clone()
        } else {
            ranked
                .iter()
                .copied()
                .filter(|&at| matches(&sessions[at], &needle, lang))
                .collect()
        };
        (ranked, order)
    }

    /// The place of the selected row among `rows` (from
    /// [`Board::visible`]); the first row when the selected one is
    /// filtered out.
    pub fn selected_in(&self, rows: &[&VehicleSession]) -> usize {
        self.selected
            .as_deref()
            .and_then(|car| rows.iter().position(|s| s.car() == car))
            .unwrap_or(0)
    }

    /// The place of the selected row among the visible ones; the first row
    /// when the selected one is filtered out.
    pub fn selected_index(&self, lang: Lang) -> usize {
        self.selected_in(&self.visible(lang))
    }

    /// The carAssociationID `Enter` or `d` acts on: the selected row, or
    /// the first visible one when the selected one is filtered out.
    pub fn target(&self, lang: Lang) -> Option<String> {
        let rows = self.visible(lang);
        let index = self.selected_in(&rows);
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
        let at = self.selected_in(&rows);
        let to = at.saturating_add_signed(by).min(rows.len() - 1);
        self.selected = Some(rows[to].car().to_owned());
    }

    pub fn cycle_sort(&mut self) {
        self.touch();
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
        self.touch();
        self.filter.clear();
        self.typing_filter = false;
    }

    pub fn type_filter(&mut self, text: &str) {
        self.touch();
        for c in text.chars().filter(|c| !c.is_control()) {
            if self.filter.chars().count() < FILTER_CHARS {
                self.filter.push(c);
            }
        }
    }

    pub fn erase_filter(&mut self) {
        self.touch();
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
        self.index
            .insert(session.car().to_owned(), self.sessions.len());
        self.sessions.push(session);
        self.touch();
        self.order_of = None;
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
        let index = self.position(&car)?;
        let removed = self.sessions.remove(index);
        self.reindex();
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
        self.banner_for = None;
        self.turned = None;
    }

    /// Says `car`'s own trouble on the board, until [`Board::unsay`] for
    /// it or another announcement.
    pub fn say_for(&mut self, car: &str, banner: Banner) {
        self.say(banner);
        self.banner_for = Some(car.to_owned());
    }

    /// `car`'s trouble is over: the banner that said it goes.
    pub fn unsay(&mut self, car: &str) {
        if self.banner_for.as_deref() == Some(car) {
            self.clear_banner();
        }
    }

    pub fn clear_banner(&mut self) {
        self.banner = None;
        self.banner_for = None;
        self.turned = None;
    }

    /// Selects `car`'s row (its steps screen opens, and Esc comes back to
    /// it).
    pub fn select(&mut self, car: &str) {
        self.selected = Some(car.to_owned());
    }

    /// Takes a session out of the run (an id the gateway refused).
    pub fn take(&mut self, car: &str) -> Option<VehicleSession> {
        let index = self.position(car)?;
        let session = self.sessions.remove(index);
        self.reindex();
        Some(session)
    }

    /// Whether every row has had data ([`Board::note_loaded`] said so).
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// True once, when the last vehicle without any answer gets one: the
    /// moment every row has data.
    pub fn note_loaded(&mut self) -> bool {
        if self.loaded {
            return false;
        }
        // An answer is never taken back: the count goes on from the first
        // vehicle that had none at the last look.
        self.answered_upto += self.sessions[self.answered_upto.min(self.sessions.len())..]
            .iter()
            .take_while(|s| s.last_refresh().is_some() || standing(s) == Standing::Failing)
            .count();
        self.loaded = self.answered_upto >= self.sessions.len();
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
    /// exactly those vehicles take their updates: nothing to do. Checked
    /// after every batch of updates, so it allocates nothing and looks at
    /// each vehicle once: a vehicle takes the updates of the followers'
    /// list it was given (by [`Board::answer_for`], from `followed`), so
    /// that list is the one it wants when its stepsID is that list's.
    pub fn followers_in_step(&self, open: Option<&str>) -> bool {
        let id = self.followed_by;
        let rows = || self.sessions.iter().filter(|s| Some(s.car()) != open);
        // Followers with nothing left to follow are stopped.
        let any_wanted = rows().any(|s| s.watch() && s.steps_id().is_some());
        if !any_wanted && !self.followed.is_empty() {
            return false;
        }
        let in_step = rows().all(|s| {
            let taking = s.following().filter(|f| f.id == id);
            match (s.watch(), s.steps_id()) {
                (true, Some(steps_id)) => taking.is_some_and(|f| f.steps_id == steps_id),
                _ => taking.is_none(),
            }
        });
        debug_assert_eq!(
            in_step,
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
            }),
            "a vehicle takes the updates of a list the followers do not follow"
        );
        in_step
    }

    /// Records that follower `id` now follows `lists` (from [`Board::wanted`]):
    /// each of those sessions answers its updates, the others none.
    /// The followers' stream for `car` has ended: its list is followed no
    /// more, so that the next sync starts them again when it is wanted.
    pub fn forget_followed(&mut self, car: &str) {
        self.followed.retain(|(c, _)| c != car);
        if let Some(at) = self.position(car) {
            self.sessions[at].unfollow();
        }
    }

    pub fn set_followed(&mut self, id: u64, lists: Vec<(String, String)>, open: Option<&str>) {
        self.followed_by = id;
        self.answer_for(&lists, open);
        self.followed = lists;
    }

    /// The followers go on as they are (they follow every list of
    /// `wanted`, and maybe more): the sessions of `wanted` answer their
    /// updates, the others none.
    pub fn answer_for(&mut self, wanted: &[(String, String)], open: Option<&str>) {
        self.touch();
        let id = self.followed_by;
        // Each session's list among `wanted`, found through the index.
        let mut list_of = vec![None; self.sessions.len()];
        for (car, steps_id) in wanted {
            if let Some(at) = self.position(car) {
                list_of[at] = Some(steps_id);
            }
        }
        for (session, list) in self.sessions.iter_mut().zip(list_of) {
            if Some(session.car()) == open {
                continue;
            }
            match list {
                Some(steps_id) => {
                    if session.following().is_none_or(|f| f.id != id) {
                        session.follow(id, steps_id.clone());
                    }
                }
                None => {
                    session.unfollow();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
