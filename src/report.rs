//! The session log — what the wizard saw, with times — and its report for the
//! service ticket, as Markdown or JSON.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use crate::steps::StepsList;

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
    /// The steps cache was reset.
    Reset,
    /// The simulated customer completed a step (demo).
    Simulated { step: String },
    /// A call failed.
    Error { what: String, detail: String },
    /// Anything else worth a line.
    Note { text: String },
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

/// Everything needed for the ticket.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionLog {
    #[serde(rename = "carAssociationID")]
    pub car_association_id: Option<String>,
    pub backend: String,
    pub entries: Vec<Entry>,
    /// The last list seen, for the report's closing state.
    #[serde(skip)]
    pub last_list: Option<StepsList>,
}

impl SessionLog {
    pub fn push(&mut self, at: SystemTime, event: Event) {
        self.entries.push(Entry { at, event });
    }

    /// Logs a list, and each status change against the previous one.
    pub fn record_list(&mut self, at: SystemTime, list: &StepsList) {
        if let Some(previous) = &self.last_list {
            for step in &list.steps {
                if let Some(before) = previous.find(&step.name)
                    && before.status != step.status
                {
                    let change = Event::StatusChanged {
                        step: step.name.clone(),
                        from: before.status.as_wire().to_owned(),
                        to: step.status.as_wire().to_owned(),
                    };
                    self.entries.push(Entry { at, event: change });
                }
            }
        }
        self.push(
            at,
            Event::List {
                steps_id: list.steps_id.clone(),
                done: list.done_count(),
                total: list.steps.len(),
                next: list.next().map(|s| s.name.clone()),
            },
        );
        self.last_list = Some(list.clone());
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# stepwise session report\n\n");
        let car = self.car_association_id.as_deref().unwrap_or("(none)");
        out.push_str(&format!(
            "- carAssociationID: {car}\n- backend: {}\n",
            self.backend
        ));
        if let Some(list) = &self.last_list {
            let steps_id = list.steps_id.as_deref().unwrap_or("(none)");
            out.push_str(&format!("- stepsID: {steps_id}\n"));
            out.push_str(&format!(
                "- state at the end: {} of {} done{}\n\n",
                list.done_count(),
                list.steps.len(),
                match list.next() {
                    Some(step) => format!(", next: {} (`{}`)", step.title(), step.name),
                    None if list.all_done() => ", service ready".to_owned(),
                    None => String::new(),
                }
            ));
            out.push_str("| order | step | name | status |\n| --- | --- | --- | --- |\n");
            for step in &list.steps {
                let order = step.order.map_or("-".to_owned(), |o| o.to_string());
                out.push_str(&format!(
                    "| {order} | {} | `{}` | {} |\n",
                    step.title(),
                    step.name,
                    step.status.badge()
                ));
            }
        }
        out.push_str("\n## Events\n\n");
        for entry in &self.entries {
            let at = humantime::format_rfc3339_seconds(entry.at);
            out.push_str(&format!("- {at} {}\n", describe(&entry.event)));
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises") + "\n"
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

    /// Where `x` writes: `<data dir>/reports/stepwise-<car>-<time>.md`.
    pub fn default_path(&self, data_dir: &Path, at: SystemTime) -> PathBuf {
        let stamp = humantime::format_rfc3339_seconds(at)
            .to_string()
            .replace(':', "");
        let car = self.car_association_id.as_deref().unwrap_or("session");
        data_dir
            .join("reports")
            .join(format!("stepwise-{car}-{stamp}.md"))
    }
}

fn describe(event: &Event) -> String {
    match event {
        Event::List {
            steps_id,
            done,
            total,
            next,
        } => {
            let id = steps_id.as_deref().unwrap_or("(none)");
            let next = next
                .as_deref()
                .map_or("nothing left".to_owned(), |n| format!("next `{n}`"));
            format!("list (stepsID {id}): {done} of {total} done, {next}")
        }
        Event::StatusChanged { step, from, to } => format!("`{step}`: {from} → {to}"),
        Event::Reset => "steps cache reset (resetSteps=true)".to_owned(),
        Event::Simulated { step } => format!("simulated customer completed `{step}`"),
        Event::Error { what, detail } => format!("error: {what}: {detail}"),
        Event::Note { text } => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::decode_list;
    use std::time::Duration;

    fn list(device_status: &str) -> StepsList {
        decode_list(
            format!(
                r#"{{"stepsID":1,"trusterPhoneNumber":{{"status":"alreadyDone","order":1}},
                "deviceActivation":{{"status":"{device_status}","order":2}}}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn status_changes_are_logged_between_lists() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut log = SessionLog {
            car_association_id: Some("987654".into()),
            backend: "demo backend".into(),
            ..Default::default()
        };
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
        let json: serde_json::Value = serde_json::from_str(&log.to_json()).unwrap();
        assert_eq!(json["entries"][1]["kind"], "reset");
        assert_eq!(json["entries"][2]["at"], "2027-01-15T08:00:05Z");
    }

    #[test]
    fn report_format_follows_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let log = SessionLog::default();
        log.write(&dir.path().join("r.JSON")).unwrap();
        log.write(&dir.path().join("r.md")).unwrap();
        let json = std::fs::read_to_string(dir.path().join("r.JSON")).unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
        let md = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
        assert!(md.starts_with("# stepwise session report"));
    }
}
