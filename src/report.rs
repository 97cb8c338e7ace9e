//! The session log of each vehicle — what the wizard saw, with times — and
//! the session's report for the service ticket (every vehicle of the run and
//! the technician's notes), as Markdown or JSON.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use crate::steps::{StatusFilter, StepsList};
use crate::text::Lang;
use crate::tr;

/// The report's line for a list: its stepsID, steps done of all, the next.
fn list_event(list: &StepsList) -> Event {
    Event::List {
        steps_id: list.steps_id.clone(),
        done: list.done_count(),
        total: list.steps.len(),
        next: list.next().map(|s| s.name.clone()),
    }
}

/// One thing the wizard saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    /// A list arrived: `done` of `total`, and the next step.
    List {
        #[serde(rename = "stepsID")]
        steps_id: Option<String>,
        done: usize,
        total: usize,
        next: Option<String>,
    },
    /// A step changed status between two lists.
    StatusChanged {
        step: String,
        from: String,
        to: String,
    },
    /// A list asked with a status filter: how many steps it showed.
    Filtered {
        #[serde(rename = "stepsStatus")]
        status: String,
        shown: usize,
    },
    /// The steps cache was reset.
    Reset,
    /// The gateway's next-step answer (`None`: nothing left).
    Next { step: Option<String> },
    /// The simulated customer completed a step (demo).
    Simulated { step: String },
    /// A call failed.
    Error { what: String, detail: String },
    /// The session began with this carAssociationID.
    Opened {
        #[serde(rename = "carAssociationID")]
        car: String,
    },
    /// The gateway refused the stepsID (HTTP status): asked again by
    /// carAssociationID. `from`: the stepsID refused.
    StartedOver {
        status: u16,
        #[serde(rename = "stepsID", skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// The technician's note (`N`); `unfinished` when the wizard ended
    /// (Ctrl-C, a signal) while it was being typed.
    Note {
        text: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        unfinished: bool,
    },
    /// Signed in from the wizard (`i`); the refused vehicles ask again.
    SignedIn,
    /// Removed from the board (`d`) by the technician.
    Removed,
    /// A list of another stepsID came back: asked again by
    /// carAssociationID.
    StepsIdChanged { answered: String },
    /// A sign-in from the wizard (`i`) failed, and why (a gateway that
    /// offers none and takes a fixed token, a provider's refusal, …).
    SignInFailed { detail: String },
    /// An error code the customer read off the phone, explained (`e`).
    Explained { code: String, meaning: String },
    /// The technician chose the status filter (`f`), back to all included.
    FilterChosen {
        #[serde(rename = "stepsStatus")]
        status: String,
    },
    /// The technician turned watch on or off (`w`).
    Watch { on: bool },
    /// Watch stopped by itself on an answer that asking again would not
    /// change (its headline): stranger 60, BI11.
    WatchStopped { what: String },
    /// The customer's guidance switched to another language (`L`).
    GuideLanguage { lang: String },
    /// The gateway's HTTP 429 held every request to it for this long (its
    /// `Retry-After`): the lists on show are as old as that (stranger 61,
    /// BJ3).
    Held { secs: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    #[serde(flatten)]
    pub event: Event,
}

fn rfc3339<S: serde::Serializer>(at: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_rfc3339_seconds(*at).to_string())
}

/// The first events a log keeps, however many follow.
pub const KEEP_FIRST: usize = 20;
/// The last events a log keeps: older ones past the first are left out,
/// and counted, so a flood of changes cannot grow it (or its report)
/// without bound.
pub const KEEP_LAST: usize = 80;

/// Events left out of the middle of a log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// How many.
    pub count: usize,
    /// How many entries come before the gap.
    pub after: usize,
}

/// Everything needed for the ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionLog {
    #[serde(rename = "carAssociationID")]
    car_association_id: Option<String>,
    /// Said once, by the report of the run.
    #[serde(skip)]
    backend: String,
    /// The first [`KEEP_FIRST`] events and the last [`KEEP_LAST`].
    entries: Vec<Entry>,
    /// Events left out between the first and the last kept.
    #[serde(rename = "leftOut", skip_serializing_if = "Option::is_none")]
    left_out: Option<LeftOut>,
    /// The last whole list seen: the report's closing state (the
    /// session's own list, shared).
    #[serde(rename = "steps", serialize_with = "final_steps")]
    last_list: Option<Arc<StepsList>>,
    /// The language of the Markdown report.
    #[serde(skip)]
    lang: Lang,
}

/// How and when a run ended: `by` is `quit` (the technician's `q`),
/// `SIGHUP` (the terminal closed), `SIGTERM`, `SIGINT` or `signal N`, or
/// `terminal-failed` (the terminal went away under it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunEnd {
    pub at: String,
    pub by: String,
}

impl RunEnd {
    /// `signal`: the signal that ended the run (`None`: quit); `failed`:
    /// the terminal failed under it.
    pub fn new(at: SystemTime, signal: Option<i32>, failed: bool) -> Self {
        let by = match (failed, signal) {
            (true, _) => "terminal-failed".to_owned(),
            (false, None) => "quit".to_owned(),
            (false, Some(1)) => "SIGHUP".to_owned(),
            (false, Some(2)) => "SIGINT".to_owned(),
            (false, Some(15)) => "SIGTERM".to_owned(),
            (false, Some(n)) => format!("signal {n}"),
        };
        RunEnd {
            at: humantime::format_rfc3339_seconds(at).to_string(),
            by,
        }
    }

    fn words(&self, lang: Lang) -> String {
        let at = self.at.clone();
        match self.by.as_str() {
            "quit" => tr!(lang, "report-ended-quit", at = at),
            "SIGHUP" => tr!(lang, "report-ended-hangup", at = at),
            "terminal-failed" => tr!(lang, "report-ended-terminal", at = at),
            by => tr!(lang, "report-ended-signal", at = at, signal = by.to_owned()),
        }
    }
}

/// The closing step table in JSON: the wire's names and statuses.
fn final_steps<S: serde::Serializer>(
    list: &Option<Arc<StepsList>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match list {
        Some(list) => list.steps.serialize(s),
        None => s.serialize_none(),
    }
}

impl SessionLog {
    pub fn new(car: &str, backend: &str) -> Self {
        SessionLog {
            car_association_id: Some(car.to_owned()),
            backend: backend.to_owned(),
            ..SessionLog::default()
        }
    }

    /// The Markdown report's language.
    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    /// The events kept: the first [`KEEP_FIRST`], then (after the gap of
    /// [`SessionLog::left_out`], if any) the last [`KEEP_LAST`].
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The events left out of the middle, once there were too many.
    pub fn left_out(&self) -> Option<LeftOut> {
        self.left_out
    }

    /// The commands its errors suggest, as they can be run: with the
    /// gateway typed as `--api` (`api`) and this vehicle's id for `--car ID`.
    pub fn runnable(&mut self, api: Option<&str>) {
        runnable(&mut self.entries, api, self.car_association_id.as_deref());
    }

    pub fn car_association_id(&self) -> Option<&str> {
        self.car_association_id.as_deref()
    }

    pub fn push(&mut self, at: SystemTime, event: Event) {
        if self.entries.capacity() == 0 {
            // Most vehicles of a board log two events (opened, a list):
            // room for those, not the four a first push would take.
            self.entries.reserve_exact(2);
        }
        if self.entries.len() >= KEEP_FIRST + KEEP_LAST {
            // The oldest of the last ones goes.
            self.entries.remove(KEEP_FIRST);
            self.left_out.get_or_insert(LeftOut {
                count: 0,
                after: KEEP_FIRST,
            });
            if let Some(gap) = &mut self.left_out {
                gap.count += 1;
            }
        }
        self.entries.push(Entry { at, event });
    }

    /// Logs a whole list when it differs from the last one (a watch that
    /// sees the same list adds nothing), and each status change.
    pub fn record_list(&mut self, at: SystemTime, list: &Arc<StepsList>) {
        // The same list again says nothing new; except right after a
        // reset, whose line says the gateway's answer follows, or after an
        // error: the vehicle answers again (stranger 59, BH3).
        if self.last_list.as_ref() == Some(list) && !self.answer_due() {
            return;
        }
        if let Some(previous) = self.last_list.take() {
            for step in &list.steps {
                if let Some(before) = previous.find(&step.name)
                    && before.status != step.status
                {
                    let change = Event::StatusChanged {
                        step: step.name.clone(),
                        from: before.status.as_wire().to_owned(),
                        to: step.status.as_wire().to_owned(),
                    };
                    self.push(at, change);
                }
            }
        }
        self.push(at, list_event(list));
        self.last_list = Some(Arc::clone(list));
    }

    /// The same list again is worth a line: the last event was a reset
    /// (its answer follows) or an error (the vehicle answers again).
    /// Events between (watch stopped by the error, say) do not hide it
    /// (stranger 68, BQ9).
    fn answer_due(&self) -> bool {
        self.entries
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.event,
                    Event::List { .. } | Event::Reset | Event::Error { .. }
                )
            })
            .is_some_and(|e| matches!(e.event, Event::Reset | Event::Error { .. }))
    }

    /// An answer that the list is unchanged (a `304`): after an error it
    /// says the vehicle answers again, with the list it still has.
    pub fn record_unchanged(&mut self, at: SystemTime) {
        if self.answer_due()
            && let Some(list) = self.last_list.clone()
        {
            self.push(at, list_event(&list));
        }
    }

    /// The last start over by carAssociationID logged (the latest events
    /// are always kept).
    fn last_start_over(&self) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| {
            matches!(
                e.event,
                Event::StartedOver { .. } | Event::StepsIdChanged { .. }
            )
        })
    }

    /// The stepsID the last start over by carAssociationID let go, if it
    /// was a refusal's (stranger 65, BN1).
    pub fn last_started_over_from(&self) -> Option<&str> {
        match &self.last_start_over()?.event {
            Event::StartedOver { from, .. } => from.as_deref(),
            _ => None,
        }
    }

    /// When the last start over by carAssociationID was logged.
    pub fn last_started_over(&self) -> Option<SystemTime> {
        self.last_start_over().map(|e| e.at)
    }

    /// Logs a filtered list: it says nothing of the steps it left out, so
    /// it is not the closing state.
    pub fn record_filtered(&mut self, at: SystemTime, status: StatusFilter, list: &StepsList) {
        self.push(
            at,
            Event::Filtered {
                status: status.as_wire().to_owned(),
                shown: list.steps.len(),
            },
        );
    }

    /// This vehicle's part of the Markdown report, on its own.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        self.markdown_into(&mut out, self.lang);
        out
    }

    /// This vehicle's part of the Markdown report: its ids, its closing
    /// state and step table, and its events.
    fn markdown_into(&self, out: &mut String, lang: Lang) {
        use std::fmt::Write;
        let none = tr!(lang, "report-none");
        let car = md(self.car_association_id.as_deref().unwrap_or(&none));
        let _ = writeln!(out, "## {car}\n");
        let _ = writeln!(out, "- carAssociationID: {car}");
        if let Some(list) = &self.last_list {
            let steps_id = md(list.steps_id.as_deref().unwrap_or(&none));
            let _ = writeln!(out, "- stepsID: {steps_id}");
            let done = crate::text::num(list.done_count());
            let total = crate::text::num(list.steps.len());
            let state = match list.next() {
                Some(step) => tr!(
                    lang,
                    "report-end-next",
                    done = done,
                    total = total,
                    title = md(&crate::guidance::step_title(lang, &step.name)),
                    name = in_code(&step.name)
                ),
                None if list.all_done() => {
                    tr!(lang, "report-end-ready", done = done, total = total)
                }
                None => tr!(lang, "report-end", done = done, total = total),
            };
            let _ = writeln!(out, "- {state}\n");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |\n| --- | --- | --- | --- |",
                tr!(lang, "report-col-order"),
                tr!(lang, "report-col-step"),
                tr!(lang, "report-col-name"),
                tr!(lang, "report-col-status"),
            );
            for row in crate::steps::rows(list) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    row.order,
                    md(&crate::guidance::step_title(lang, &row.step.name)),
                    md_code(&row.step.name),
                    row.step.status.badge_in(lang).trim_end()
                );
            }
        }
        let _ = writeln!(out, "\n### {}\n", tr!(lang, "report-events"));
        write_entries(out, lang, &self.entries, self.left_out);
        out.push('\n');
    }

    /// The last whole list seen.
    pub fn last_list(&self) -> Option<&StepsList> {
        self.last_list.as_deref()
    }
}

/// The events as a Markdown list; `left_out`'s gap, if any, is said where
/// it is.
fn write_entries(out: &mut String, lang: Lang, entries: &[Entry], left_out: Option<LeftOut>) {
    use std::fmt::Write;
    for (i, entry) in entries.iter().enumerate() {
        if let Some(gap) = left_out.filter(|g| g.after == i) {
            let _ = writeln!(
                out,
                "- … {}",
                tr!(
                    lang,
                    "report-events-left-out",
                    n = crate::text::num(gap.count),
                    first = crate::text::num(KEEP_FIRST),
                    last = crate::text::num(KEEP_LAST)
                )
            );
        }
        let at = humantime::format_rfc3339_seconds(entry.at);
        let _ = writeln!(out, "- {at} {}", describe(lang, &entry.event));
    }
}

/// The report of a whole run: every vehicle opened or changed in it, each
/// with its events and last list, and the notes that belong to no vehicle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// The backend in the JSON, the same in every language:
    /// [`DEMO_BACKEND`] for the embedded simulator, else the gateway's URL.
    pub backend: String,
    /// The backend as the Markdown report names it, in its language.
    #[serde(skip)]
    pub backend_label: String,
    pub vehicles: Vec<SessionLog>,
    pub notes: Vec<Entry>,
    /// The language of the Markdown report.
    #[serde(skip)]
    lang: Lang,
    /// How and when the run ended, once it has (stranger 81, CD6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<RunEnd>,
}

/// Whether `head`, the first bytes of a file, begins as a report stepwise
/// wrote: its Markdown title in any language, or its JSON's first key. A
/// `--report` path may replace such a file, never another.
pub fn is_report(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let markdown = first.strip_prefix("# ").is_some_and(|title| {
        Lang::ALL
            .iter()
            .any(|lang| title == tr!(*lang, "report-title"))
    });
    let json = first == "{"
        && lines
            .next()
            .is_some_and(|l| l.starts_with("  \"backend\": "));
    markdown || json
}

/// The JSON report's `backend` for the embedded simulator.
pub const DEMO_BACKEND: &str = "demo";

impl SessionReport {
    /// `backend` for the JSON (no words of a language), `label` for the
    /// Markdown.
    pub fn new(backend: &str, label: &str, lang: Lang) -> Self {
        SessionReport {
            backend: backend.to_owned(),
            backend_label: label.to_owned(),
            lang,
            ..SessionReport::default()
        }
    }

    /// Nothing happened in the run: no vehicle, no note.
    pub fn is_empty(&self) -> bool {
        self.vehicles.is_empty() && self.notes.is_empty()
    }

    /// The technician's notes of the run (the vehicles' and the board's),
    /// each as written: what a report that cannot be written must not lose.
    pub fn note_texts(&self) -> Vec<String> {
        self.vehicles
            .iter()
            .flat_map(|v| v.entries.iter())
            .chain(self.notes.iter())
            .filter_map(|e| match &e.event {
                Event::Note { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn to_markdown(&self) -> String {
        use std::fmt::Write;
        let lang = self.lang;
        let mut out = format!("# {}\n\n", tr!(lang, "report-title"));
        let _ = writeln!(
            out,
            // A code span: the address reads as typed, not escaped against
            // autolinking (a new user read "http:\/\/127.0.0.1").
            "- {}: `{}`",
            tr!(lang, "report-backend"),
            in_code(&self.backend_label)
        );
        let _ = writeln!(
            out,
            "- {}\n",
            tr!(
                lang,
                "report-vehicle-count",
                count = crate::text::num(self.vehicles.len())
            )
        );
        if self.is_empty() {
            let _ = writeln!(out, "{}", tr!(lang, "report-empty"));
        }
        for vehicle in &self.vehicles {
            vehicle.markdown_into(&mut out, lang);
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "## {}\n", tr!(lang, "report-notes"));
            write_entries(&mut out, lang, &self.notes, None);
        }
        // A paragraph of its own: right after a list item, Markdown reads
        // it as part of that item (stranger 87, CJ6).
        if let Some(ended) = &self.ended {
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", ended.words(lang));
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises") + "\n"
    }

    /// The commands its errors suggest (each vehicle's and the run's), as
    /// they can be run: with the gateway typed as `--api` (`api`).
    pub fn runnable(&mut self, api: Option<&str>) {
        self.vehicles.iter_mut().for_each(|l| l.runnable(api));
        runnable(&mut self.notes, api, None);
    }

    /// Writes the report: JSON for a `.json` path, Markdown otherwise.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let text = if json {
            self.to_json()
        } else {
            self.to_markdown()
        };
        crate::config::write_atomically(path, &text)
    }

    /// Where `x` writes: `<data dir>/reports/stepwise-<car>-<time>.md`
    /// for a run of one vehicle, `stepwise-session-<time>.md` otherwise.
    pub fn default_path(&self, data_dir: &Path, at: SystemTime) -> PathBuf {
        let stamp = humantime::format_rfc3339_seconds(at)
            .to_string()
            .replace(':', "");
        let car = match self.vehicles.as_slice() {
            [one] => one.car_association_id().unwrap_or("session"),
            _ => "session",
        };
        data_dir
            .join("reports")
            .join(format!("stepwise-{car}-{stamp}.md"))
    }
}

fn describe(lang: Lang, event: &Event) -> String {
    match event {
        Event::List {
            steps_id,
            done,
            total,
            next,
        } => {
            let id = md(&steps_id.clone().unwrap_or_else(|| tr!(lang, "report-none")));
            let empty = *total == 0;
            let (done, total) = (crate::text::num(*done), crate::text::num(*total));
            match next {
                Some(n) => tr!(
                    lang,
                    "report-event-list-next",
                    id = id,
                    done = done,
                    total = total,
                    next = in_code(n)
                ),
                // No step is no service known ready (stranger 70, BS2).
                None if empty => tr!(lang, "report-event-list-empty", id = id),
                None => tr!(
                    lang,
                    "report-event-list-clear",
                    id = id,
                    done = done,
                    total = total
                ),
            }
        }
        Event::StatusChanged { step, from, to } => {
            format!("`{}`: {} → {}", in_code(step), md(from), md(to))
        }
        Event::Filtered { status, shown } => tr!(
            lang,
            "report-event-filtered",
            status = md(status),
            shown = crate::text::num(*shown)
        ),
        Event::Reset => tr!(lang, "report-event-reset"),
        Event::Next { step: Some(step) } => tr!(lang, "report-event-next", step = in_code(step)),
        Event::Next { step: None } => tr!(lang, "report-event-next-none"),
        Event::Simulated { step } => tr!(lang, "report-event-simulated", step = in_code(step)),
        Event::Error { what, detail } => tr!(
            lang,
            "report-event-error",
            what = md(what),
            detail = md(detail)
        ),
        Event::Opened { car } => tr!(lang, "report-event-opened", car = md(car)),
        // No HTTP status: the live stream's error event said so.
        Event::StartedOver { status: 0, .. } => tr!(lang, "report-event-started-over-live"),
        Event::StartedOver { status, .. } => {
            tr!(
                lang,
                "report-event-started-over",
                status = u64::from(*status)
            )
        }
        Event::Note {
            text,
            unfinished: false,
        } => tr!(lang, "report-event-note", text = md(text)),
        Event::Note {
            text,
            unfinished: true,
        } => tr!(lang, "report-event-note-unfinished", text = md(text)),
        Event::SignedIn => tr!(lang, "report-event-signed-in"),
        Event::Removed => tr!(lang, "report-event-removed"),
        Event::StepsIdChanged { answered } => {
            tr!(
                lang,
                "report-event-steps-id-changed",
                answered = md(answered)
            )
        }
        Event::SignInFailed { detail } => {
            tr!(lang, "report-event-sign-in-failed", detail = md(detail))
        }
        Event::Explained { code, meaning } => tr!(
            lang,
            "report-event-explained",
            code = code.clone(),
            meaning = meaning.clone()
        ),
        Event::FilterChosen { status } => {
            tr!(lang, "report-event-filter-chosen", status = md(status))
        }
        Event::Watch { on: true } => tr!(lang, "report-event-watch-on"),
        Event::Watch { on: false } => tr!(lang, "report-event-watch-off"),
        Event::WatchStopped { what } => {
            tr!(lang, "report-event-watch-stopped", what = md(what))
        }
        Event::GuideLanguage { lang: code } => {
            tr!(lang, "report-event-guide-lang", lang = md(code))
        }
        Event::Held { secs } => tr!(lang, "report-event-held", secs = *secs),
    }
}

/// Text quoted in the Markdown report, inert: Markdown's and HTML's
/// characters are escaped (no table cell broken by `|`, no link, image or
/// tag), and `://` and `www.` cannot become links.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '|' | '!' | '~' | '#' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.replace("://", ":\\/\\/").replace("www.", "www\\.")
}

/// Text that the catalogue puts between backticks: a code span shows its
/// content literally, so only a backtick (which would end it) is replaced.
fn in_code(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '`' => '\'',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}

/// A step's raw name as code when it is a plain name, else as [`md`] text
/// (a backtick or `|` would break out of a code span in a table).
fn md_code(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        format!("`{name}`")
    } else {
        md(name)
    }
}

/// The commands the errors among `entries` suggest, as they can be run:
/// with the gateway typed as `--api` (`api`) and `car` for `--car ID`.
fn runnable(entries: &mut [Entry], api: Option<&str>, car: Option<&str>) {
    for entry in entries {
        if let Event::Error { detail, .. } | Event::SignInFailed { detail } = &mut entry.event {
            if let Some(api) = api {
                *detail = crate::text::commands_with_api(detail, api);
            }
            if let Some(car) = car {
                *detail = crate::text::with_car(detail, car);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list with no step is said as no service known ready, never
    /// "nothing left" (stranger 70, BS2).
    /// The report says how the run ended, in JSON and Markdown, never a
    /// closed window read as a quit (stranger 81, CD6).
    #[test]
    fn the_report_says_how_the_run_ended() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        let mut report = SessionReport::new("demo", "demo", Lang::En);
        report.ended = Some(RunEnd::new(at, Some(1), false));
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["ended"]["by"], "SIGHUP", "{json}");
        assert_eq!(json["ended"]["at"], "2027-01-15T08:00:00Z", "{json}");
        let md = report.to_markdown();
        assert!(
            md.contains("Run ended at 2027-01-15T08:00:00Z: the terminal was closed (SIGHUP)"),
            "{md}"
        );
        report.ended = Some(RunEnd::new(at, None, false));
        assert!(report.to_markdown().contains("the technician quit."));
        // After the notes' list, a paragraph of its own (stranger 87, CJ6).
        report.notes.push(Entry {
            at,
            event: Event::Note {
                text: "ask the customer about the PIN".into(),
                unfinished: false,
            },
        });
        let md = report.to_markdown();
        assert!(
            md.contains("ask the customer about the PIN\n\nRun ended at"),
            "{md}"
        );
        report.ended = Some(RunEnd::new(at, Some(15), false));
        assert!(report.to_markdown().contains("stopped by SIGTERM"));
    }

    #[test]
    fn a_list_with_no_step_is_not_said_clear() {
        let list = |total| Event::List {
            steps_id: Some("777001".into()),
            done: 0,
            total,
            next: None,
        };
        let empty = describe(Lang::En, &list(0));
        assert!(
            empty.contains("no steps returned") && !empty.contains("nothing left"),
            "{empty}"
        );
        assert!(describe(Lang::En, &list(2)).contains("nothing left"));
    }
    use crate::wire::decode_list;
    use std::time::Duration;

    fn list(device_status: &str) -> Arc<StepsList> {
        Arc::new(
            decode_list(
                format!(
                    r#"{{"stepsID":1,"trusterPhoneNumber":{{"status":"alreadyDone","order":1}},
                "deviceActivation":{{"status":"{device_status}","order":2}}}}"#
                )
                .as_bytes(),
            )
            .unwrap(),
        )
    }

    /// What the gateway names is quoted inert: no table cell broken out of,
    /// no link, image or HTML reaches the ticket the report is pasted in.
    #[test]
    fn markdown_and_html_in_step_names_are_escaped() {
        let hostile = "x | DONE | [Call support now](http://evil.example/pay) <img src=x onerror=alert(1)> ![t](http://evil.example/t.png) `www.evil.example`";
        let body = serde_json::json!({
            "stepsID": "1",
            hostile: {"status": "todo", "order": 1},
        });
        let hostile_list = Arc::new(decode_list(body.to_string().as_bytes()).unwrap());
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut log = SessionLog::new("987654", "demo backend");
        log.record_list(t0, &hostile_list);
        log.push(
            t0,
            Event::Error {
                what: "<b>x</b>".into(),
                detail: "[a](http://evil.example)".into(),
            },
        );
        // A note is quoted inert too (pasted text, `PIN <1234>`).
        log.push(
            t0,
            Event::Note {
                text: "PIN <1234> ![t](http://evil.example/n.png)".into(),
                unfinished: false,
            },
        );
        let md = log.to_markdown();
        assert!(md.contains("PIN &lt;1234&gt;"), "{md}");
        let row = md
            .lines()
            .find(|l| l.starts_with("| 1 |"))
            .expect("the step's row");
        // Four cells: the escaped pipes do not count as cell borders.
        let borders = row.matches('|').count() - row.matches("\\|").count();
        assert_eq!(borders, 5, "{row}");
        // Outside code spans (shown literally), nothing is live.
        let outside: String = md.split('`').step_by(2).collect();
        for raw in ["](", "<img", "![", "<b>", "http://", "www.evil"] {
            assert!(!outside.contains(raw), "{raw} in {md}");
        }
        assert_eq!(md.matches('`').count() % 2, 0, "{md}");
    }

    #[test]
    fn status_changes_are_logged_between_lists() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut log = SessionLog::new("987654", "demo backend");
        log.record_list(t0, &list("todo"));
        log.push(t0, Event::Reset);
        log.record_list(t0 + Duration::from_secs(5), &list("alreadyDone"));
        let kinds: Vec<_> = log.entries.iter().map(|e| &e.event).collect();
        assert!(
            matches!(kinds[2], Event::StatusChanged { step, .. } if step == "deviceActivation")
        );
        let md = log.to_markdown();
        assert!(
            md.contains("`deviceActivation`: todo → alreadyDone"),
            "{md}"
        );
        assert!(md.contains("2 of 2 done, service ready"), "{md}");
        let mut report = SessionReport::new(DEMO_BACKEND, "demo backend", Lang::En);
        report.vehicles.push(log);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let json = &json["vehicles"][0];
        assert_eq!(json["entries"][1]["kind"], "reset");
        assert_eq!(json["entries"][2]["at"], "2027-01-15T08:00:05Z");
        assert_eq!(json["steps"][1]["name"], "deviceActivation");
        assert_eq!(json["steps"][1]["status"], "alreadyDone");
        // A reset whose answer is the same list: that answer is logged all
        // the same, so "the gateway's answer follows" is followed
        // (stranger 43, AR13); the same list otherwise is not.
        let mut log = SessionLog::new("987654", "demo backend");
        let same = list("todo");
        log.record_list(t0, &same);
        log.record_list(t0, &same);
        assert_eq!(log.entries.len(), 1, "one list");
        log.push(t0, Event::Reset);
        log.record_list(t0, &same);
        assert!(
            matches!(log.entries.last().unwrap().event, Event::List { .. }),
            "{:?}",
            log.entries
        );
    }

    /// The gateway's address reads as typed, in a code span (no link),
    /// never with escaped slashes; a backtick in it cannot end the span.
    #[test]
    fn the_backend_reads_as_typed_in_a_code_span() {
        let gateway = "http://127.0.0.1:18121";
        let report = SessionReport::new(gateway, gateway, Lang::En);
        let md = report.to_markdown();
        assert!(md.contains("`http://127.0.0.1:18121`"), "{md}");
        assert!(!md.contains("\\/"), "{md}");
        let odd = SessionReport::new("http://x`y", "http://x`y", Lang::En).to_markdown();
        assert!(odd.contains("`http://x'y`"), "{odd}");
    }

    /// A vehicle that answers again after an error with the list it had
    /// (the same list, or a 304) is not left on the error: the list is
    /// logged again, once (stranger 59, BH3).
    #[test]
    fn the_same_list_after_an_error_says_the_vehicle_answers_again() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut log = SessionLog::new("987654", "demo backend");
        let same = list("todo");
        let error = || Event::Error {
            what: "Gateway unreachable".into(),
            detail: "no answer".into(),
        };
        log.record_list(t0, &same);
        log.push(t0, error());
        log.record_list(t0, &same);
        log.record_list(t0, &same);
        assert_eq!(log.entries().len(), 3, "{:?}", log.entries());
        assert!(matches!(log.entries()[2].event, Event::List { .. }));
        // A 304 after an error says the same; another 304 adds nothing.
        log.push(t0, error());
        log.record_unchanged(t0);
        log.record_unchanged(t0);
        assert_eq!(log.entries().len(), 5, "{:?}", log.entries());
        assert!(matches!(log.entries()[4].event, Event::List { .. }));
        // Watch stopped by the error in between does not hide it: the
        // list after a sign-in is logged (stranger 68, BQ9).
        log.push(t0, error());
        log.push(
            t0,
            Event::WatchStopped {
                what: "Sign in again".into(),
            },
        );
        log.record_list(t0, &same);
        assert_eq!(log.entries().len(), 8, "{:?}", log.entries());
        assert!(matches!(log.entries()[7].event, Event::List { .. }));
    }

    #[test]
    fn a_repeated_list_is_not_logged_again() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut log = SessionLog::new("987654", "demo backend");
        for i in 0..100 {
            log.record_list(t0 + Duration::from_secs(i * 3), &list("todo"));
        }
        assert_eq!(log.entries().len(), 1, "{:?}", log.entries());
        log.record_list(t0, &list("alreadyDone"));
        assert_eq!(log.entries().len(), 3, "a change and the new list");
    }

    #[test]
    fn a_flood_of_changes_keeps_the_first_and_last_events_and_counts_the_rest() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut log = SessionLog::new("987654", "demo backend");
        log.set_lang(Lang::En);
        // Each flip logs a status change and the list: 20,000 events.
        for i in 0..10_000u64 {
            let status = if i % 2 == 0 { "todo" } else { "alreadyDone" };
            log.record_list(t0 + Duration::from_millis(i), &list(status));
        }
        assert_eq!(log.entries().len(), KEEP_FIRST + KEEP_LAST);
        let left_out = 2 * 10_000 - 1 - KEEP_FIRST - KEEP_LAST;
        assert_eq!(
            log.left_out(),
            Some(LeftOut {
                count: left_out,
                after: KEEP_FIRST
            })
        );
        // The first list is kept, and so is the last one.
        assert!(matches!(
            &log.entries()[0].event,
            Event::List { done: 1, .. }
        ));
        assert_eq!(
            log.entries().last().unwrap().at,
            t0 + Duration::from_millis(9_999)
        );
        let md = log.to_markdown();
        assert!(
            md.contains(&format!(
                "- … {left_out} events left out (the first 20 and the last 80"
            )),
            "{md}"
        );
        assert!(md.lines().count() < 200, "{} lines", md.lines().count());
        let json: serde_json::Value = serde_json::to_value(&log).unwrap();
        assert_eq!(json["leftOut"]["count"], left_out);
        assert_eq!(json["leftOut"]["after"], KEEP_FIRST);
        assert_eq!(
            json["entries"].as_array().unwrap().len(),
            KEEP_FIRST + KEEP_LAST
        );
    }

    #[test]
    fn only_a_report_stepwise_wrote_reads_as_one() {
        let mut report = SessionReport::new("demo", "demo backend", Lang::De);
        report.vehicles.push(SessionLog::new("987654", "demo"));
        assert!(is_report(report.to_markdown().as_bytes()));
        assert!(is_report(report.to_json().as_bytes()));
        for other in [
            &b"-----BEGIN CERTIFICATE-----\nMIIB"[..],
            b"# Notes for Monday\n",
            b"{\"vehicles\": []}",
            b"",
        ] {
            assert!(!is_report(other), "{}", String::from_utf8_lossy(other));
        }
    }

    /// Starting over is said by its cause: a stepsID the gateway no longer
    /// knew (404) is no refusal; another device's (403) is.
    #[test]
    fn starting_over_says_whether_the_steps_id_was_unknown_or_refused() {
        let t0 = SystemTime::UNIX_EPOCH;
        let mut log = SessionLog::new("987654", "demo backend");
        log.push(
            t0,
            Event::StartedOver {
                status: 404,
                from: None,
            },
        );
        log.push(
            t0,
            Event::StartedOver {
                status: 403,
                from: None,
            },
        );
        let md = log.to_markdown();
        assert!(
            md.contains("the gateway no longer knew the stepsID (HTTP 404); started over"),
            "{md}"
        );
        assert!(
            md.contains("the gateway refused the stepsID (HTTP 403); started over"),
            "{md}"
        );
    }

    #[test]
    fn report_format_follows_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let report = SessionReport::default();
        report.write(&dir.path().join("r.JSON")).unwrap();
        report.write(&dir.path().join("r.md")).unwrap();
        let json = std::fs::read_to_string(dir.path().join("r.JSON")).unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
        let md = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
        assert!(md.starts_with("# stepwise session report"));
    }
}
