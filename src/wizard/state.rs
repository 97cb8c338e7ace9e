//! The wizard's state — which screen, which overlay, the vehicle session —
//! its inputs (keys, network messages, ticks, the window size) and the
//! effects it asks the runner to carry out.

use std::path::PathBuf;
use std::time::SystemTime;

use crossterm::event::KeyEvent;

use super::start::StartField;
use super::{board::Board, keymap::Context, session::VehicleSession};
use crate::auth::AuthError;
use crate::auth::store::Place;
use crate::client::live::LiveUpdate;
use crate::client::{GatewayError, ListRequest};
use crate::report::{Entry, Event, SessionLog, SessionReport};
use crate::steps::{StatusFilter, Step, StepsList};
use crate::text::Lang;

/// Seconds between watch retries by carAssociationID, while watch is on but
/// no stepsID is known yet to follow (the follower paces itself otherwise).
pub const WATCH_SECS: u64 = 3;
/// Seconds between autoplay moves of the simulated customer.
pub const AUTOPLAY_SECS: u64 = 4;
/// The smallest window the wizard draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// The screen on show, with the data that belongs to it alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// The id field; the vehicle session (if any) waits behind it.
    Start(StartField),
    /// The steps of the vehicle session.
    Steps,
    /// Many vehicles at once, one row each.
    Board,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Help, scrolled down by this many lines.
    Help {
        scroll: u16,
    },
    ConfirmReset,
    /// The error-code explainer, with the code typed so far.
    Explain(String),
    /// The QR code of the customer's link.
    Qr(crate::guidance::GuideLink),
    /// Signing in to the gateway (`i`) while the vehicle session waits.
    SignIn(SignIn),
    /// The technician's note for the report (`N`), as typed so far.
    Note(String),
}

/// The longest note the technician may type (`N`).
pub const MAX_NOTE_CHARS: usize = 200;

/// A device sign-in in progress, as its overlay shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Which sign-in: answers of a cancelled one are dropped.
    pub id: u64,
    /// The code to enter, once the identity provider gave one.
    pub prompt: Option<SignInPrompt>,
    /// `o` found no browser for the code's address: said in the overlay
    /// (a banner would hide behind it until the sign-in is cancelled).
    pub no_browser: Option<OpenFailure>,
}

/// What the person needs to approve the sign-in: the code, where to enter
/// it, and how long it lasts. The code the machine polls with is never here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInPrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The address with the code in it, for the QR code and the browser.
    pub address: String,
    pub expires_in_secs: u64,
}

/// A sign-in that went through: where the token is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub place: Place,
    /// The token went to a new file (no keyring answered): said once.
    pub new_file: bool,
    /// The keyring that could not hold the token, and its limit in bytes.
    pub keyring_too_small: Option<(&'static str, u32)>,
    /// `STEPWISE_TOKEN_STORE=file` chose the file.
    pub file_chosen: bool,
}

/// Why a list was asked for; it decides what the answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// First list of a carAssociationID (or a start over after a 403).
    Open,
    /// `r`, `f`, or after the simulated customer acted.
    Refresh,
    /// Watch: a list the follower pushed, or a retry by carAssociationID.
    Watch,
    /// `R` then `y`.
    Reset,
    /// `n` said nothing is left while the list on screen had steps to do.
    Recheck,
}

/// A request in flight, for the spinner and to drop stale answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    pub id: u64,
    pub what: String,
    /// The status filter the request asked for.
    pub filter: StatusFilter,
}

/// A message at the bottom of the steps screen, already in words;
/// `futile_sign_in`: it says `i` would fail the same way (not offered then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub kind: BannerKind,
    pub title: String,
    pub text: String,
    pub futile_sign_in: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerKind {
    Info,
    Success,
    Error,
}

/// One of the simulator's associations, as the start screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCar {
    pub id: String,
    pub label: String,
    /// Steps done of all, when the demo's state has moved on from where
    /// its scenario starts (which the label describes).
    pub progress: Option<(usize, usize)>,
    /// The demo starts its caches stale (all `alreadyDone`) until a reset.
    pub stale_cache: bool,
}

/// Why `x` could not write the report.
#[derive(Debug)]
pub enum ReportTrouble {
    /// A file stands at this path, where a folder of the report's path
    /// must be (the reports folder, or the data folder itself).
    InTheWay(PathBuf),
    /// What the system said.
    Io(std::io::Error),
}

/// Results of the runner's tasks, each tagged with the vehicle and the
/// request it answers.
#[derive(Debug)]
pub enum Msg {
    Listed {
        car: String,
        id: u64,
        purpose: Purpose,
        result: Result<StepsList, GatewayError>,
    },
    Next {
        car: String,
        id: u64,
        result: Result<Option<Step>, GatewayError>,
    },
    Completed {
        car: String,
        id: u64,
        step: String,
        result: Result<(), GatewayError>,
    },
    DemoCars(Result<Vec<DemoCar>, GatewayError>),
    /// Where the report went, or where it could not go and why.
    ReportWritten(Result<PathBuf, (PathBuf, ReportTrouble)>),
    /// Whether the gateway serves guidance pages (asked once per session).
    PagesOffered(bool),
    Opened(Result<String, OpenFailure>),
    /// The identity provider gave the code of sign-in `id`.
    SignInPrompt {
        id: u64,
        prompt: SignInPrompt,
    },
    /// Sign-in `id` ended: approved and kept, or why not.
    SignedIn {
        id: u64,
        result: Result<SignedIn, AuthError>,
    },
    /// What the follower `id` of `car` found (see [`Effect::Follow`]).
    Live {
        car: String,
        id: u64,
        update: LiveUpdate,
    },
    /// The task of request or follower `id` of `car` ended without an
    /// answer (it panicked): `why` in the runner's words.
    TaskFailed {
        car: String,
        id: u64,
        why: String,
    },
    /// The gateway answered 429: every request to it waits this long
    /// before it is tried again.
    Limited(std::time::Duration),
}

/// Why a link did not open in a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFailure {
    /// No graphical session (over SSH): the URL to open elsewhere.
    NoGraphicalSession(String),
    Failed {
        url: String,
        why: String,
    },
}

impl OpenFailure {
    /// The link that did not open.
    pub fn url(&self) -> &str {
        match self {
            OpenFailure::NoGraphicalSession(url) | OpenFailure::Failed { url, .. } => url,
        }
    }
}

/// Everything that can change the state.
#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    Paste(String),
    Msg(Msg),
    SpinnerTick,
    /// A second passed: the board's freshness column moves on.
    ClockTick,
    /// Watch is on but follows no list yet (no stepsID): ask by
    /// carAssociationID again.
    WatchTick,
    AutoplayTick,
    /// The window's size, at start and on every resize.
    Resize {
        width: u16,
        height: u16,
    },
}

/// What the update asks the outside world to do. Each effect carries all it
/// needs: the runner never reads the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    FetchList {
        car: String,
        id: u64,
        request: ListRequest,
        purpose: Purpose,
    },
    FetchNext {
        car: String,
        id: u64,
        steps_id: String,
    },
    Complete {
        car: String,
        id: u64,
        step: String,
    },
    /// Whatever still runs for this vehicle answers nothing any more.
    Cancel {
        car: String,
    },
    /// Follow the list of `steps_id` as it changes (the gateway's event
    /// stream, else conditional polls), reporting as [`Msg::Live`] with `id`;
    /// it replaces the vehicle's follower, if any.
    Follow {
        car: String,
        id: u64,
        steps_id: String,
    },
    /// Stop following the vehicle's list.
    Unfollow {
        car: String,
    },
    /// Follow the lists of the board's watched vehicles, (carAssociationID,
    /// stepsID) pairs, together (one event stream per 200 where the gateway
    /// offers it, else conditional polls in bounded rounds), reporting as
    /// [`Msg::Live`] with `id`; it replaces the board's followers, if any.
    FollowBoard {
        id: u64,
        lists: Vec<(String, String)>,
    },
    /// Stop following the board's lists.
    UnfollowBoard,
    LoadDemoCars,
    /// Ask once whether the gateway serves guidance pages.
    ProbePages,
    RememberId {
        data_dir: PathBuf,
        id: String,
    },
    OpenUrl(String),
    WriteReport {
        path: PathBuf,
        report: Box<SessionReport>,
    },
    /// Sign in to the gateway with the device flow: ask for a code (answered
    /// by [`Msg::SignInPrompt`]), poll until it is approved, keep the token
    /// (in the keyring, or a file in `data_dir`), and send later requests
    /// with it (answered by [`Msg::SignedIn`]).
    SignIn {
        id: u64,
        data_dir: Option<PathBuf>,
    },
    /// Stop the sign-in in progress; nothing is kept.
    CancelSignIn,
    #[cfg(debug_assertions)]
    Panic,
    /// Debug builds: request `id` of `car` panics in its task.
    #[cfg(debug_assertions)]
    PanicInTask {
        car: String,
        id: u64,
    },
    /// Debug builds: a background task that nothing catches panics.
    #[cfg(debug_assertions)]
    PanicElsewhere,
}

/// How the wizard starts; fixed for its whole run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub demo: bool,
    /// Run as `stepwise demo`: the embedded demo whatever is configured.
    pub demo_command: bool,
    pub autoplay: bool,
    pub backend_label: String,
    /// The gateway's base URL: its guidance pages live under it.
    pub gateway_url: String,
    pub docs_base_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    /// The simulator's control call that completes a step, `{car}` and
    /// `{name}` to fill in (said by `s` on a gateway).
    pub complete_call: String,
    /// The gateway is sent a token: its control calls want it too.
    pub complete_needs_token: bool,
    /// `--report` was given.
    pub report_at_exit: bool,
    pub recent: Vec<String>,
    pub color: bool,
    pub lang: Lang,
    /// Why the logins kept by `stepwise login` could not be read, if so.
    pub login_trouble: Option<&'static str>,
    /// The kept login is a fixed token (`login --with-token`), not a sign-in.
    pub login_fixed: bool,
    /// Where the hand-given token comes from, in words: it wins over a login.
    pub token_given: Option<String>,
    /// `--api` as typed: the stepwise commands a banner suggests carry it.
    pub api_typed: Option<String>,
    /// The tokens in use at start (given by hand, or of the kept login): a
    /// note that holds one is not kept.
    pub secrets: Vec<crate::secret::Secret>,
    /// Debug builds: `!` panics (at `test_panic_at`): the terminal is restored.
    pub test_panic: bool,
    pub test_panic_at: TestPanic,
}

/// Where the debug builds' test panic (`!`) happens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TestPanic {
    /// On the event loop.
    #[default]
    Loop,
    /// In a request task of the open vehicle: it becomes a message.
    Task,
    /// In a background task nothing catches: the terminal is restored.
    Elsewhere,
}

/// The whole wizard.
#[derive(Debug)]
pub struct State {
    pub(crate) screen: Screen,
    pub(crate) overlay: Option<Overlay>,
    /// Every vehicle of the run, in one place: the board's rows, or the
    /// vehicles opened one after another from the start screen.
    pub(crate) vehicles: Board,
    /// The carAssociationID whose steps screen is open (or waits behind it).
    pub(crate) open: Option<String>,
    /// The board is the home screen (Esc on the steps screen goes to it).
    pub(crate) on_a_board: bool,
    /// The logs of vehicles that left the run (removed from the board, or
    /// an id the gateway refused): the report keeps them.
    pub(crate) gone: Vec<SessionLog>,
    /// Notes and explained codes of the run that belong to no vehicle.
    pub(crate) notes: Vec<Entry>,
    pub(crate) now: SystemTime,
    pub(crate) recent: Vec<String>,
    pub(crate) demo_cars: Vec<DemoCar>,
    pub(crate) pages: Option<bool>, // guidance pages served; None: not known yet
    pub(crate) options: Options,
    pub(crate) size: (u16, u16),
    pub(crate) spinner: usize,
    pub(crate) quit: bool,
    /// A note was kept since the last report written, and no --report
    /// writes one at exit: `q` asks before the note is lost.
    pub(crate) unsaved_note: bool,
    pub(crate) refused_note: Option<String>, // refused for a token-like word: N opens it again
    /// `q` was pressed once with an unsaved note: the next one quits.
    pub(crate) quit_asked: bool,
    pub(crate) next_id: u64,
    /// The language of the customer's guidance (`L` cycles it); the rest
    /// of the screen stays in `options.lang`.
    pub(crate) guide_lang: Lang,
    /// Until when the gateway asked every request to wait (HTTP 429).
    pub(crate) limited_until: Option<SystemTime>,
    /// `i` found that the gateway offers no sign-in: these words (how to
    /// give its fixed token) stand wherever `i` would be offered.
    pub(crate) no_sign_in: Option<String>,
}

impl State {
    pub fn new(options: Options) -> Self {
        let guide_lang = options.lang;
        State {
            screen: Screen::Start(StartField::default()),
            overlay: None,
            vehicles: Board::default(),
            open: None,
            on_a_board: false,
            gone: Vec::new(),
            notes: Vec::new(),
            now: SystemTime::UNIX_EPOCH,
            recent: options.recent.clone(),
            demo_cars: Vec::new(),
            pages: None,
            options,
            // Until the terminal says otherwise, assume a usable window.
            size: (u16::MAX, u16::MAX),
            spinner: 0,
            quit: false,
            unsaved_note: false,
            refused_note: None,
            quit_asked: false,
            next_id: 1,
            guide_lang,
            limited_until: None,
            no_sign_in: None,
        }
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// The sign-in in progress, if its overlay is open.
    pub fn sign_in(&self) -> Option<&SignIn> {
        match &self.overlay {
            Some(Overlay::SignIn(sign_in)) => Some(sign_in),
            _ => None,
        }
    }

    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_ref()
    }

    /// The vehicle whose steps screen is open (or waits behind the start
    /// screen).
    pub fn session(&self) -> Option<&VehicleSession> {
        self.vehicles.session(self.open.as_deref()?)
    }

    pub(crate) fn session_mut(&mut self) -> Option<&mut VehicleSession> {
        self.vehicles.session_mut(self.open.as_deref()?)
    }

    /// The board, when the board is the home screen.
    pub fn board(&self) -> Option<&Board> {
        self.on_a_board.then_some(&self.vehicles)
    }

    /// Every vehicle of the run, the open one included.
    pub fn vehicles(&self) -> &[VehicleSession] {
        self.vehicles.sessions()
    }

    /// A new id for a request, a follower or a sign-in.
    pub(crate) fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A note for the report: in the open vehicle's log on its steps
    /// screen, else in the run's.
    pub(crate) fn note(&mut self, now: SystemTime, event: Event) {
        if self.screen == Screen::Steps
            && let Some(session) = self.session_mut()
        {
            session.log_event(now, event);
        } else {
            self.notes.push(Entry { at: now, event });
        }
    }

    /// The session's report: every vehicle of the run (those that left it
    /// too), each with its events and last list, and the run's notes.
    pub fn report(&self) -> SessionReport {
        let options = &self.options;
        let mut logs: Vec<SessionLog> = self.gone.clone();
        logs.extend(self.vehicles.sessions().iter().map(|s| s.log().clone()));
        logs.sort_by_key(|l| l.entries().first().map(|e| e.at));
        // The JSON names the backend in no language: "demo", or the URL.
        let backend = if options.demo {
            crate::report::DEMO_BACKEND
        } else {
            &options.backend_label
        };
        let mut report = SessionReport::new(backend, &options.backend_label, options.lang);
        report.vehicles = logs;
        report.notes = self.notes.clone();
        report.runnable(options.api_typed.as_deref());
        report
    }

    /// The clock as of the last input.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// How long the gateway still asks every request to wait (HTTP 429),
    /// in whole seconds rounded up; `None` when it does not.
    pub fn limited_for(&self) -> Option<u64> {
        let left = self.limited_until?.duration_since(self.now).ok()?;
        (!left.is_zero())
            .then(|| left.as_millis().div_ceil(1000))
            .and_then(|secs| u64::try_from(secs).ok())
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    pub fn lang(&self) -> Lang {
        self.options.lang
    }

    /// The language of the customer's guidance (panel, pages, QR code);
    /// `L` cycles it.
    pub fn guide_lang(&self) -> Lang {
        self.guide_lang
    }

    /// The link the customer's phone opens for `step` (QR code and `o`).
    pub fn customer_link(&self, step: Option<&str>) -> crate::guidance::GuideLink {
        let pages = (self.pages == Some(true)).then_some(self.options.gateway_url.as_str());
        crate::guidance::customer_link(
            pages,
            self.guide_lang(),
            self.options.docs_base_url.as_deref(),
            step,
        )
    }

    /// The technician's "Guide" link for `step`.
    pub fn technician_link(&self, step: Option<&str>) -> crate::guidance::GuideLink {
        crate::guidance::technician_link(self.options.docs_base_url.as_deref(), step)
    }

    pub fn demo(&self) -> bool {
        self.options.demo
    }

    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    pub fn spinner(&self) -> usize {
        self.spinner
    }

    pub fn demo_cars(&self) -> &[DemoCar] {
        &self.demo_cars
    }

    pub fn recent(&self) -> &[String] {
        &self.recent
    }

    /// The start field, when the start screen is on show.
    pub fn start_field(&self) -> Option<&StartField> {
        match &self.screen {
            Screen::Start(field) => Some(field),
            Screen::Steps | Screen::Board => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        match self.screen {
            Screen::Board => self
                .vehicles
                .sessions()
                .iter()
                .any(VehicleSession::is_loading),
            _ => self.session().is_some_and(VehicleSession::is_loading),
        }
    }

    /// The board's vehicles that are not open on the steps screen (those
    /// the board's followers, watch rounds and autoplay take care of); none
    /// without a board.
    pub(crate) fn board_rows(&self) -> impl Iterator<Item = &VehicleSession> {
        let open = self
            .open
            .as_deref()
            .filter(|_| self.screen == Screen::Steps);
        self.vehicles
            .sessions()
            .iter()
            .filter(move |s| self.on_a_board && Some(s.car()) != open)
    }

    /// True while a watch (or autoplay) timer has something to do: the
    /// open vehicle's, or any vehicle's of the board.
    pub fn watching(&self) -> bool {
        let open = self.screen == Screen::Steps && self.session().is_some_and(|s| s.watch());
        open || self.board_rows().any(VehicleSession::watch)
    }

    /// True while the watch timer has something to do: watch is on but no
    /// list is followed yet. A followed list needs no timer.
    pub fn watch_timer(&self) -> bool {
        let open = self.screen == Screen::Steps
            && self
                .session()
                .is_some_and(|s| s.watch() && s.following().is_none());
        // A board's watched vehicle is polled in rounds only until it has
        // a stepsID the followers can follow.
        open || self
            .board_rows()
            .any(|s| s.watch() && s.following().is_none())
    }

    pub fn autoplaying(&self) -> bool {
        match self.screen {
            Screen::Steps => self.session().is_some_and(VehicleSession::autoplay),
            Screen::Board => self.options.autoplay && self.on_a_board,
            Screen::Start(_) => false,
        }
    }

    /// True while the board is on show (its freshness column ages).
    pub fn on_board(&self) -> bool {
        self.screen == Screen::Board && self.overlay.is_none()
    }

    /// The window is below the smallest size the wizard draws in.
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Where keys go now.
    pub fn context(&self) -> Context {
        if self.too_small() {
            return Context::TooSmall;
        }
        match (&self.overlay, &self.screen) {
            (Some(Overlay::Help { .. }), _) => Context::Help,
            (Some(Overlay::ConfirmReset), _) => Context::ConfirmReset,
            (Some(Overlay::Explain(_)), _) => Context::Explain,
            (Some(Overlay::Qr(_)), _) => Context::Qr,
            (Some(Overlay::SignIn(_)), _) => Context::SignIn,
            (Some(Overlay::Note(_)), _) => Context::Note,
            (None, Screen::Start(field)) if field.input().is_empty() => Context::StartEmpty,
            (None, Screen::Start(_)) => Context::Start,
            (None, Screen::Steps) => Context::Steps,
            (None, Screen::Board) => {
                let b = &self.vehicles;
                if b.pending_removal().is_some() {
                    Context::ConfirmRemove
                } else if b.adding().is_some() {
                    Context::BoardAdd
                } else if b.typing_filter() {
                    Context::BoardFilter
                } else {
                    Context::Board
                }
            }
        }
    }
}
