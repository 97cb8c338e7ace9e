//! The wizard's state, its inputs (keys, network messages, ticks) and the
//! effects it asks the runner to carry out.

use std::path::PathBuf;
use std::time::SystemTime;

use crossterm::event::KeyEvent;

use crate::client::{GatewayError, ListRequest};
use crate::report::SessionLog;
use crate::steps::{StatusFilter, Step, StepsList};
use crate::wire::Association;

/// Seconds between watch refreshes.
pub const WATCH_SECS: u64 = 3;
/// Seconds between autoplay moves of the simulated customer.
pub const AUTOPLAY_SECS: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Start,
    Steps,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    ConfirmReset,
    /// The error-code explainer, with the digits typed so far.
    Explain(String),
    /// The QR code of a guide's URL.
    Qr(String),
}

/// Why a list was asked for; it decides what the answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// First list of a carAssociationID (or a start over after a 403).
    Open,
    /// `r`, `f`, or after the simulated customer acted.
    Refresh,
    /// A watch tick.
    Watch,
    /// `R` then `y`.
    Reset,
}

/// A request in flight, for the spinner and to drop stale answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    pub id: u64,
    pub what: &'static str,
}

/// A message at the bottom of the steps screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub kind: BannerKind,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerKind {
    Info,
    Success,
    Error,
}

/// Results of the runner's tasks, each tagged with the request it answers.
#[derive(Debug)]
pub enum Msg {
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
    Associations(Result<Vec<Association>, GatewayError>),
    ReportWritten(Result<PathBuf, String>),
    Opened(Result<String, String>),
}

/// Everything that can change the state.
#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    Paste(String),
    Msg(Msg),
    SpinnerTick,
    WatchTick,
    AutoplayTick,
    Resize,
}

/// What the update asks the outside world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    FetchList {
        id: u64,
        request: ListRequest,
        purpose: Purpose,
    },
    FetchNext {
        id: u64,
        steps_id: String,
    },
    Complete {
        id: u64,
        car: String,
        step: String,
    },
    LoadAssociations,
    RememberId(String),
    OpenUrl(String),
    WriteReport(PathBuf),
    #[cfg(debug_assertions)]
    Panic,
}

/// The start screen: the id field and the ids to pick from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartState {
    pub input: String,
    pub recent: Vec<String>,
    /// The simulator's associations (id, label), in demo mode.
    pub demo: Vec<(String, String)>,
    pub picked: Option<usize>,
    pub error: Option<String>,
}

impl StartState {
    /// Recent ids first, then demo ones not already listed.
    pub fn choices(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .recent
            .iter()
            .map(|id| (id.as_str(), "recent"))
            .collect();
        for (id, label) in &self.demo {
            if !self.recent.contains(id) {
                out.push((id, label));
            }
        }
        out
    }
}

/// How the wizard starts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub car: Option<String>,
    pub demo: bool,
    pub autoplay: bool,
    pub backend_label: String,
    pub docs_base_url: String,
    pub data_dir: Option<PathBuf>,
    pub recent: Vec<String>,
    pub color: bool,
}

/// The whole wizard.
#[derive(Debug)]
pub struct State {
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub start: StartState,
    pub car: Option<String>,
    pub steps_id: Option<String>,
    /// The last good list; it stays on screen through errors.
    pub list: Option<StepsList>,
    pub filter: StatusFilter,
    /// Index into the shown list.
    pub selected: usize,
    pub in_flight: Option<InFlight>,
    pub spinner: usize,
    pub banner: Option<Banner>,
    pub watch: bool,
    pub autoplay: bool,
    pub demo: bool,
    pub color: bool,
    pub backend_label: String,
    pub docs_base_url: String,
    pub data_dir: Option<PathBuf>,
    pub last_refresh: Option<SystemTime>,
    pub log: SessionLog,
    pub quit: bool,
    pub(crate) next_id: u64,
}

impl State {
    pub fn new(options: Options) -> Self {
        State {
            screen: Screen::Start,
            overlay: None,
            start: StartState {
                recent: options.recent,
                ..StartState::default()
            },
            car: None,
            steps_id: None,
            list: None,
            filter: StatusFilter::All,
            selected: 0,
            in_flight: None,
            spinner: 0,
            banner: None,
            watch: false,
            autoplay: options.autoplay,
            demo: options.demo,
            color: options.color,
            log: SessionLog {
                backend: options.backend_label.clone(),
                ..SessionLog::default()
            },
            backend_label: options.backend_label,
            docs_base_url: options.docs_base_url,
            data_dir: options.data_dir,
            last_refresh: None,
            quit: false,
            next_id: 1,
        }
    }

    pub fn is_loading(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The steps shown: the last good list (already filtered by the gateway).
    pub fn shown(&self) -> &[Step] {
        self.list.as_ref().map_or(&[], |l| l.steps.as_slice())
    }

    pub fn selected_step(&self) -> Option<&Step> {
        self.shown().get(self.selected)
    }

    /// Every step done: the service is ready (only an unfiltered list tells).
    pub fn all_done(&self) -> bool {
        self.filter == StatusFilter::All && self.list.as_ref().is_some_and(StepsList::all_done)
    }

    pub fn context(&self) -> super::keymap::Context {
        use super::keymap::Context;
        match (&self.overlay, self.screen) {
            (Some(Overlay::Help), _) => Context::Help,
            (Some(Overlay::ConfirmReset), _) => Context::ConfirmReset,
            (Some(Overlay::Explain(_)), _) => Context::Explain,
            (Some(Overlay::Qr(_)), _) => Context::Qr,
            (None, Screen::Start) => Context::Start,
            (None, Screen::Steps) => Context::Steps,
        }
    }
}
