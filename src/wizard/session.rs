//! One vehicle's session: its carAssociationID, stepsID, lists, filter,
//! selection, watch, banner, request in flight and log. Every fact here has
//! one writer, a method of this type; the board holds many of them.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::state::{Banner, BannerKind, InFlight, Purpose};
use crate::client::live::Mode;
use crate::client::{GatewayError, ListRequest, Lookup};
use crate::report::{Event, SessionLog};
use crate::steps::{StatusFilter, Step, StepsList};

#[derive(Debug, Clone)]
pub struct VehicleSession {
    car: String,
    steps_id: Option<String>,
    /// Answers (lists, or "unchanged") since the stepsID was last let go:
    /// one is the list that gave the new one.
    answers: u8,
    /// Watch asks again no sooner than this (seconds since the Unix epoch;
    /// 0: no wait): the wait a failure's Retry-After asked (stranger 61,
    /// BJ13). Seconds in 32 bits keep the session small.
    held_until: u32,
    /// The last list of every status: what "done", "ready" and progress are
    /// judged on. The log's last list is this one, shared.
    whole: Option<Arc<StepsList>>,
    /// The list on screen: the gateway's filtered answer, or the whole list
    /// filtered here after a watch refresh (the whole list itself, shared,
    /// when nothing is filtered out).
    shown: Option<Arc<StepsList>>,
    filter: StatusFilter,
    /// The filter was just chosen: the next request asks the gateway for
    /// it (and so checks that it applies it); every other asks for the
    /// whole list, filtered here.
    filter_asked: bool,
    selected: usize,
    /// Lines the guidance panel is scrolled down.
    guide_scroll: u16,
    watch: bool,
    /// The follower that watch runs, once there is a stepsID to follow.
    following: Option<Following>,
    /// The trouble of a follower stopped while it was in trouble (the
    /// vehicle left for the board): the next follower takes it over, so
    /// that the failure is not forgotten before anything got through.
    kept_trouble: Option<Box<Trouble>>,
    autoplay: bool,
    banner: Option<Banner>,
    /// What gets past the failure the banner shows, when asking again
    /// would not (the steps panel says it).
    remedy: Option<Remedy>,
    in_flight: Option<InFlight>,
    last_refresh: Option<SystemTime>,
    /// The last answer was refused for want of a token: a sign-in asks
    /// again.
    refused_token: bool,
    /// The gateway's next step (`n`) that the list on screen disagreed
    /// with, by [`crate::steps::name_mark`]: the list asked again is checked against it
    /// (stranger 81, CD2). A mark, not the name: a board holds thousands.
    pub next_check: Option<std::num::NonZeroU32>,
    log: SessionLog,
}

/// What gets past a failure, other than asking again (signing in is
/// [`VehicleSession::refused_token`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Correcting the id: the gateway does not know it.
    OtherId,
    /// Fixing what the banner names (an address, a proxy, a certificate):
    /// asking again alone gets the same answer.
    FixCause,
}

/// The follower of the session's list: which one (its updates carry `id`),
/// what it follows, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Following {
    pub id: u64,
    pub steps_id: String,
    /// How it follows, once the follower said.
    pub mode: Option<Mode>,
    /// The quiet banner shown while it reconnects, dropped when it is back
    /// (boxed: every vehicle of a live board has a follower, few of them
    /// in trouble).
    pub trouble: Option<Box<Trouble>>,
}

/// A follower's trouble: the quiet banner on show while it reconnects,
/// and the cause of its last failure (`what`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub banner: Banner,
    pub what: String,
    /// Taken over from the follower before this one.
    pub inherited: bool,
    /// The stream's own fault (silent, cut, events of no list): the
    /// gateway answers, and the vehicle's list is not failing.
    pub stream: bool,
    /// Left on show when it is back: a stall said (stranger 80, CC4).
    pub after: Option<Banner>,
}

/// What the header says of watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchShown {
    Off,
    /// On, the way of following not known yet.
    On,
    /// On, the gateway pushing each change.
    Live,
    /// On, a conditional poll this often.
    Polling(Duration),
    /// On, but the last request or stream failed and is being tried
    /// again (the banner says why).
    Retrying,
}

/// What a list answer changed, for the update to announce.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ListChange {
    /// Steps that turned done since the last whole list.
    pub turned_done: Vec<Step>,
    /// Steps done in the last whole list that are not done any more (a
    /// reset elsewhere, a revoked key, a gateway that lost its cache).
    pub turned_back: Vec<Step>,
    /// Every step of the whole list is done.
    pub ready: bool,
    /// The first list that arrived for this vehicle.
    pub first: bool,
}

impl VehicleSession {
    pub fn new(car: &str, backend: &str, lang: crate::text::Lang, now: SystemTime) -> Self {
        let mut log = SessionLog::new(car, backend);
        log.set_lang(lang);
        log.push(
            now,
            Event::Opened {
                car: car.to_owned(),
            },
        );
        VehicleSession {
            car: car.to_owned(),
            steps_id: None,
            whole: None,
            shown: None,
            filter: StatusFilter::All,
            filter_asked: false,
            selected: 0,
            guide_scroll: 0,
            watch: false,
            following: None,
            kept_trouble: None,
            autoplay: false,
            banner: None,
            remedy: None,
            in_flight: None,
            last_refresh: None,
            answers: 0,
            held_until: 0,
            refused_token: false,
            next_check: None,
            log,
        }
    }

    pub fn car(&self) -> &str {
        &self.car
    }

    pub fn steps_id(&self) -> Option<&str> {
        self.steps_id.as_deref()
    }

    pub fn filter(&self) -> StatusFilter {
        self.filter
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn guide_scroll(&self) -> u16 {
        self.guide_scroll
    }

    pub fn watch(&self) -> bool {
        self.watch
    }

    pub fn autoplay(&self) -> bool {
        self.autoplay
    }

    pub fn following(&self) -> Option<&Following> {
        self.following.as_ref()
    }

    /// What the header says of watch.
    pub fn watch_shown(&self) -> WatchShown {
        match (self.watch, self.following.as_ref().and_then(|f| f.mode)) {
            (false, _) => WatchShown::Off,
            (true, _) if self.in_trouble() || self.asks_again() => WatchShown::Retrying,
            // No stepsID to follow by (the gateway's list carries none):
            // the wizard asks by carAssociationID at its own pace
            // (stranger 56, BE4).
            (true, None) if self.steps_id.is_none() && self.whole.is_some() => {
                WatchShown::Polling(Duration::from_secs(crate::wizard::state::WATCH_SECS))
            }
            (true, None) => WatchShown::On,
            (true, Some(Mode::Live)) => WatchShown::Live,
            (true, Some(Mode::Polling { every })) => WatchShown::Polling(every),
        }
    }

    /// Records that follower `id` now follows `steps_id`.
    pub fn follow(&mut self, id: u64, steps_id: String) {
        // A reconnect banner of the follower this one replaces is still on
        // show: the new one ends it when it gets through.
        let trouble = self
            .following
            .take()
            .and_then(|f| f.trouble)
            .or_else(|| self.kept_trouble.take())
            .map(|mut trouble| {
                trouble.inherited = true;
                trouble
            });
        self.following = Some(Following {
            id,
            steps_id,
            mode: None,
            trouble,
        });
    }

    /// Forgets the follower; true when there was one.
    pub fn unfollow(&mut self) -> bool {
        let Some(gone) = self.following.take() else {
            return false;
        };
        self.kept_trouble = gone.trouble.filter(|_| self.watch);
        true
    }

    /// The follower, when `id` is the one running now (an update from an
    /// older one is dropped).
    pub fn follower_mut(&mut self, id: u64) -> Option<&mut Following> {
        self.following.as_mut().filter(|f| f.id == id)
    }

    /// Shows the quiet banner of a follower that reconnects, its trouble.
    pub fn say_trouble(&mut self, trouble: Trouble) {
        self.banner = Some(trouble.banner.clone());
        if let Some(following) = &mut self.following {
            following.trouble = Some(Box::new(trouble));
        }
    }

    /// The cause of the failure of the follower now running (the
    /// gateway's words and code where it gave them), when it is in trouble
    /// of its own (not one taken over).
    pub fn trouble_what(&self) -> Option<&str> {
        let trouble = self.following.as_ref()?.trouble.as_ref()?;
        (!trouble.inherited).then_some(trouble.what.as_str())
    }

    /// Its follower cannot reach the gateway just now (it keeps trying).
    pub fn in_trouble(&self) -> bool {
        self.following.as_ref().is_some_and(|f| f.trouble.is_some())
    }

    /// In trouble other than the stream's own fault: its list may be
    /// failing (a stream of heartbeats only fails no vehicle's list:
    /// stranger 67, BP5).
    pub fn list_in_trouble(&self) -> bool {
        self.following
            .as_ref()
            .and_then(|f| f.trouble.as_ref())
            .is_some_and(|t| !t.stream)
    }

    /// The follower is back: its reconnect banner goes (for any it leaves).
    pub fn end_trouble(&mut self) {
        if let Some(trouble) = self.following.as_mut().and_then(|f| f.trouble.take())
            && self.banner.as_ref() == Some(&trouble.banner)
        {
            self.banner = trouble.after;
            self.remedy = None;
        }
    }

    pub fn banner(&self) -> Option<&Banner> {
        self.banner.as_ref()
    }

    pub fn in_flight(&self) -> Option<&InFlight> {
        self.in_flight.as_ref()
    }

    pub fn is_loading(&self) -> bool {
        self.in_flight.is_some()
    }

    pub fn last_refresh(&self) -> Option<SystemTime> {
        self.last_refresh
    }

    /// The gateway confirmed the list on show is still current (a 304, an
    /// unchanged event): the header's time says so, nothing else changes.
    /// Watch waits until `until` before asking again (a Retry-After);
    /// `None` ends any wait.
    pub fn hold_until(&mut self, until: Option<SystemTime>) {
        self.held_until = until
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| u32::try_from(d.as_secs()).ok())
            .unwrap_or(0);
    }

    /// Whether watch may ask again at `now` (no Retry-After still running).
    pub fn may_ask(&self, now: SystemTime) -> bool {
        let now = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        now >= u64::from(self.held_until)
    }

    pub fn confirm_fresh(&mut self, now: SystemTime) {
        self.answers = self.answers.saturating_add(1);
        self.log.record_unchanged(now);
        if self.whole.is_some() {
            self.last_refresh = Some(now);
        }
    }

    pub fn log(&self) -> &SessionLog {
        &self.log
    }

    /// The last answer was refused for want of a token.
    pub fn refused_token(&self) -> bool {
        self.refused_token
    }

    /// Notes whether the failure just shown wants a sign-in.
    pub fn set_refused_token(&mut self, refused: bool) {
        self.refused_token = refused;
    }

    /// Watch asks for the list again by itself after a failure on show
    /// (no follower yet: each watch tick asks).
    fn asks_again(&self) -> bool {
        self.following.is_none()
            && self
                .banner
                .as_ref()
                .is_some_and(|b| b.kind == BannerKind::Error)
    }

    /// The whole list (every status), when one has arrived.
    pub fn whole(&self) -> Option<&StepsList> {
        self.whole.as_deref()
    }

    /// The list on screen.
    pub fn list(&self) -> Option<&StepsList> {
        self.shown.as_deref()
    }

    pub fn shown(&self) -> &[Step] {
        self.shown.as_ref().map_or(&[], |l| l.steps.as_slice())
    }

    pub fn selected_step(&self) -> Option<&Step> {
        self.shown().get(self.selected)
    }

    /// Every step is done: judged on the whole list only, never on a
    /// filtered view.
    pub fn all_done(&self) -> bool {
        self.whole.as_deref().is_some_and(StepsList::all_done)
    }

    /// The next step to do, from the whole list when there is one.
    pub fn next_step(&self) -> Option<&Step> {
        self.whole
            .as_deref()
            .or(self
                .shown
                .as_deref()
                .filter(|_| self.filter == StatusFilter::All))
            .and_then(StepsList::next)
    }

    /// The list request for `purpose`: by stepsID once there is one, else by
    /// carAssociationID. Watch refreshes always ask for every status, so that
    /// "turned done" and "ready" are judged on the whole list.
    pub fn request(&mut self, purpose: Purpose, reset: bool) -> ListRequest {
        let lookup = match &self.steps_id {
            Some(id) => Lookup::StepsId(id.clone()),
            None => Lookup::Car(self.car.clone()),
        };
        // The filter goes to the gateway once, when chosen; after that the
        // whole list comes and is filtered here, so progress, NEXT, "ready"
        // and the report are judged on every step (a filtered answer says
        // nothing of the steps it leaves out).
        let status = if !matches!(purpose, Purpose::Watch | Purpose::Recheck)
            && std::mem::take(&mut self.filter_asked)
        {
            self.filter
        } else {
            StatusFilter::All
        };
        ListRequest {
            lookup,
            reset,
            status,
        }
    }

    /// Marks request `id` in flight; an answer to an earlier one is dropped.
    pub fn begin(&mut self, id: u64, what: String, filter: StatusFilter) {
        self.in_flight = Some(InFlight { id, what, filter });
    }

    /// The request in flight when `id` answers it, which then ends; `None`
    /// for a stale answer.
    pub fn settle(&mut self, id: u64) -> Option<InFlight> {
        if self.in_flight.as_ref().is_some_and(|f| f.id == id) {
            self.in_flight.take()
        } else {
            None
        }
    }

    /// Drops the request in flight (its answer will be ignored).
    pub fn abandon(&mut self) {
        self.in_flight = None;
    }

    pub fn say(&mut self, banner: Banner) {
        self.banner = Some(banner);
        self.remedy = None;
    }

    /// Notes what gets past the failure just said (after [`Self::say`]).
    pub fn set_remedy(&mut self, remedy: Option<Remedy>) {
        self.remedy = remedy;
    }

    pub fn remedy(&self) -> Option<Remedy> {
        self.remedy
    }

    /// Drops a banner the technician has read (an error that a good answer
    /// superseded), keeping one they have not (such as "Started over").
    pub fn clear_banner(&mut self, keep_unread_notes: bool) {
        if !(keep_unread_notes
            && self
                .banner
                .as_ref()
                .is_some_and(|b| b.kind != BannerKind::Error))
        {
            self.banner = None;
        }
    }

    pub fn set_watch(&mut self, on: bool) {
        self.watch = on;
        if !on {
            self.kept_trouble = None;
        }
    }

    pub fn set_autoplay(&mut self, on: bool) {
        self.autoplay = on;
    }

    /// Changes the filter; the next request asks for it.
    pub fn cycle_filter(&mut self) {
        self.filter = self.filter.cycle();
        self.filter_asked = true;
    }

    /// The gateway no longer takes the stepsID: the next request goes by
    /// carAssociationID.
    pub fn forget_steps_id(&mut self) {
        self.steps_id = None;
        self.answers = 0;
    }

    /// Whether the stepsID given since it was last let go has answered
    /// more than the list that gave it: the gateway took it, and refusing
    /// it now is forgetting it, not refusing the one it just gave
    /// (stranger 55, BD2).
    pub fn steps_id_answered(&self) -> bool {
        self.answers > 1
    }

    /// Whether this vehicle started over by carAssociationID less than
    /// `within` before `now` (its log says when): the gateway refuses the
    /// stepsID it has just given, and starting over again would go round
    /// in a loop.
    pub fn started_over_within(&self, now: SystemTime, within: std::time::Duration) -> bool {
        self.log
            .last_started_over()
            .and_then(|before| now.duration_since(before).ok())
            .is_some_and(|since| since < within)
    }

    pub fn move_selection(&mut self, down: bool) {
        let count = self.shown().len();
        if count == 0 {
            return;
        }
        let next = if down {
            (self.selected + 1).min(count - 1)
        } else {
            self.selected.saturating_sub(1)
        };
        self.select(next);
    }

    /// Selects step `index` of the shown list (clamped).
    pub fn select(&mut self, index: usize) {
        let index = index.min(self.shown().len().saturating_sub(1));
        if index != self.selected {
            self.guide_scroll = 0;
        }
        self.selected = index;
    }

    pub fn scroll_guide(&mut self, down: bool, lines: u16) {
        self.guide_scroll = if down {
            self.guide_scroll.saturating_add(lines)
        } else {
            self.guide_scroll.saturating_sub(lines)
        };
    }

    /// Takes a list answer: keeps the stepsID, judges changes on the whole
    /// list, logs changes (not repeats), and moves the selection to NEXT
    /// unless a quiet watch refresh found nothing new.
    /// The steps not done in the whole list kept of this stepsID that
    /// `list` (asked for every step, of the same stepsID) no longer holds:
    /// a gateway's list is never short of steps it held, and one that is
    /// must not read as ready (stranger 67, BP9).
    pub fn lost_steps(&self, list: &StepsList, asked: StatusFilter) -> Vec<String> {
        let Some(before) = self.whole.as_ref().filter(|_| asked == StatusFilter::All) else {
            return Vec::new();
        };
        if list.steps_id.is_none() || list.steps_id != self.steps_id {
            return Vec::new();
        }
        let lost = |s: &&Step| !s.status.is_done() && list.find(&s.name).is_none();
        before
            .steps
            .iter()
            .filter(lost)
            .map(|s| s.name.clone())
            .collect()
    }

    pub fn take_list(
        &mut self,
        list: StepsList,
        asked: StatusFilter,
        purpose: Purpose,
        now: SystemTime,
    ) -> ListChange {
        let filtered = asked != StatusFilter::All;
        if list.steps_id.is_some() {
            // Another stepsID than before: counted from its first answer.
            if list.steps_id != self.steps_id {
                self.answers = 0;
            }
            self.steps_id = list.steps_id.clone();
        }
        self.last_refresh = Some(now);
        self.answers = self.answers.saturating_add(1);
        self.refused_token = false;
        let first = self.shown.is_none() && self.whole.is_none();
        let previous_next = self.next_step().map(|s| s.name.clone());
        let mut change = ListChange {
            first,
            ..ListChange::default()
        };
        if filtered {
            // A filtered answer says nothing of the steps it left out.
            self.log.record_filtered(now, asked, &list);
            // A gateway that ignored the filter: its steps of the other
            // status are said (a banner), not listed under the filter's
            // title (stranger 71, BT4).
            self.shown = Some(Arc::new(list.filtered(asked)));
        } else {
            if let Some(before) = &self.whole
                && purpose != Purpose::Reset
            {
                change.turned_done = list
                    .steps
                    .iter()
                    .filter(|s| s.status.is_done())
                    .filter(|s| before.find(&s.name).is_some_and(|p| !p.status.is_done()))
                    .cloned()
                    .collect();
                change.turned_back = list
                    .steps
                    .iter()
                    .filter(|s| !s.status.is_done())
                    .filter(|s| before.find(&s.name).is_some_and(|p| p.status.is_done()))
                    .cloned()
                    .collect();
            }
            let list = self.keep_whole(list);
            self.log.record_list(now, &list);
            self.shown = Some(self.view_of(&list));
            self.whole = Some(list);
        }
        change.ready = self.all_done();
        let next_moved = previous_next != self.next_step().map(|s| s.name.clone());
        // The NEXT step is selected when a list arrives; a quiet watch
        // refresh leaves the technician's own selection alone.
        if purpose != Purpose::Watch || next_moved || first {
            let next = self.next_step().map(|s| s.name.clone());
            let index = next
                .and_then(|name| self.shown().iter().position(|s| s.name == name))
                .unwrap_or(0);
            self.select(index);
        } else {
            self.select(self.selected);
        }
        if change.ready {
            self.watch = false;
            self.autoplay = false;
        }
        change
    }

    /// The whole list to hold after `list` arrived: the one held already
    /// when they are the same (a watch refresh, a live stream's first
    /// events), so that an answer repeating the list allocates nothing
    /// that stays.
    fn keep_whole(&self, list: StepsList) -> Arc<StepsList> {
        match &self.whole {
            Some(held) if **held == list => Arc::clone(held),
            _ => Arc::new(list),
        }
    }

    /// The list on screen for the whole list `whole`: `whole` itself when
    /// the filter lets every step through, else its filtered copy (the one
    /// on screen already when they are the same).
    fn view_of(&self, whole: &Arc<StepsList>) -> Arc<StepsList> {
        if self.filter == StatusFilter::All {
            return Arc::clone(whole);
        }
        let view = whole.filtered(self.filter);
        match &self.shown {
            Some(held) if **held == view => Arc::clone(held),
            _ => Arc::new(view),
        }
    }

    /// Notes a failure in the log.
    pub fn log_error(&mut self, now: SystemTime, lang: crate::text::Lang, e: &GatewayError) {
        self.log.push(
            now,
            Event::Error {
                what: crate::describe::gateway_headline(lang, e),
                detail: crate::describe::gateway_error(lang, e),
            },
        );
    }

    /// Says a failure and logs it in the same words: the report keeps the
    /// cause the screen gave (stranger 51, AZ3).
    pub fn say_logged(&mut self, now: SystemTime, banner: Banner) {
        let (what, detail) = (banner.title.clone(), banner.text.clone());
        self.log.push(now, Event::Error { what, detail });
        self.say(banner);
    }

    pub fn log_event(&mut self, now: SystemTime, event: Event) {
        self.log.push(now, event);
    }

    /// Logs `event` unless the last event logged is the same: a failure
    /// met again and again without a new request is one event.
    pub fn log_unless_repeated(&mut self, now: SystemTime, event: Event) {
        if self.log.entries().last().map(|e| &e.event) != Some(&event) {
            self.log.push(now, event);
        }
    }
}
