//! The scriptable commands `steps` and `next`: a plain aligned checklist or
//! JSON on stdout, a one-line cause on stderr, and exit codes.

use std::fmt::Write as _;

use serde::Serialize;

use crate::backend::Backend;
use crate::client::{GatewayError, ListRequest, Lookup};
use crate::steps::{StatusFilter, Step, StepsList};

/// No returned step is left to do (under `--status`, the returned steps only).
pub const EXIT_CLEAR: u8 = 0;
/// A failure; the cause is on stderr.
pub const EXIT_ERROR: u8 = 1;
/// Bad usage (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Some returned step is still to do.
pub const EXIT_PENDING: u8 = 3;

/// What `steps` prints and how it ends.
pub struct Outcome {
    pub stdout: String,
    pub code: u8,
}

/// `stepwise steps`.
pub async fn steps(
    backend: &Backend,
    lookup: Lookup,
    status: StatusFilter,
    reset: bool,
    json: bool,
) -> Result<Outcome, GatewayError> {
    let car = match &lookup {
        Lookup::Car(id) => Some(id.clone()),
        Lookup::StepsId(_) => None,
    };
    let request = ListRequest {
        lookup,
        reset,
        status,
    };
    let list = backend.gateway.list(&request).await?;
    let stdout = if json {
        json_line(&ListJson::new(&list, car.as_deref(), status))
    } else {
        checklist(&list, car.as_deref(), &backend.label(), status)
    };
    let code = if list.has_pending() {
        EXIT_PENDING
    } else {
        EXIT_CLEAR
    };
    Ok(Outcome { stdout, code })
}

/// `stepwise next`.
pub async fn next(backend: &Backend, steps_id: &str, json: bool) -> Result<Outcome, GatewayError> {
    let next = backend.gateway.next_step(steps_id).await?;
    let stdout = if json {
        json_line(&NextJson {
            steps_id,
            next: next.as_ref().map(StepJson::from),
        })
    } else {
        match &next {
            Some(step) => format!("NEXT  {}  {}\n", step.title(), step.name),
            None => "Nothing left to do: the service is ready.\n".to_owned(),
        }
    };
    let code = if next.is_some() {
        EXIT_PENDING
    } else {
        EXIT_CLEAR
    };
    Ok(Outcome { stdout, code })
}

fn json_line(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("plain data serialises");
    text.push('\n');
    text
}

/// One step in JSON output: the wire's names, plus the title a human reads.
#[derive(Serialize)]
pub struct StepJson<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub order: Option<i64>,
}

impl<'a> From<&'a Step> for StepJson<'a> {
    fn from(step: &'a Step) -> Self {
        StepJson {
            name: &step.name,
            title: step.title(),
            status: step.status.as_wire(),
            order: step.order,
        }
    }
}

/// The normalised list: sorted, aliases resolved, text sanitised.
#[derive(Serialize)]
pub struct ListJson<'a> {
    #[serde(rename = "carAssociationID", skip_serializing_if = "Option::is_none")]
    pub car_association_id: Option<&'a str>,
    #[serde(rename = "stepsID")]
    pub steps_id: Option<&'a str>,
    #[serde(rename = "stepsStatus")]
    pub steps_status: &'static str,
    pub steps: Vec<StepJson<'a>>,
    /// The next step to do; `null` when there is none or when the list is
    /// filtered (a filtered list cannot tell).
    pub next: Option<&'a str>,
    /// Done steps among those returned.
    pub done: usize,
    /// Steps returned.
    pub total: usize,
    /// Whether every step is done: `null` when `--status` filtered the list,
    /// which then cannot tell.
    pub complete: Option<bool>,
}

impl<'a> ListJson<'a> {
    pub fn new(list: &'a StepsList, car: Option<&'a str>, status: StatusFilter) -> Self {
        ListJson {
            car_association_id: car,
            steps_id: list.steps_id.as_deref(),
            steps_status: status.as_wire(),
            steps: list.steps.iter().map(StepJson::from).collect(),
            next: match status {
                StatusFilter::All => list.next().map(|s| s.name.as_str()),
                _ => None,
            },
            done: list.done_count(),
            total: list.steps.len(),
            complete: match status {
                StatusFilter::All => Some(list.all_done()),
                _ => None,
            },
        }
    }
}

#[derive(Serialize)]
struct NextJson<'a> {
    #[serde(rename = "stepsID")]
    steps_id: &'a str,
    next: Option<StepJson<'a>>,
}

/// The plain checklist, aligned like a doctor command's output.
pub fn checklist(
    list: &StepsList,
    car: Option<&str>,
    backend: &str,
    filter: StatusFilter,
) -> String {
    let mut out = String::new();
    let who = match car {
        Some(car) => format!("carAssociationID {car}, "),
        None => String::new(),
    };
    let steps_id = list.steps_id.as_deref().unwrap_or("none");
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{who}stepsID {steps_id} ({backend})");
    if list.steps.is_empty() {
        out.push_str("No steps returned.\n");
        if filter != StatusFilter::All {
            out.push_str(&filtered_note(0, filter));
        }
        return out;
    }
    let orders: Vec<String> = list
        .steps
        .iter()
        .map(|s| s.order.map_or("-".to_owned(), |o| o.to_string()))
        .collect();
    let order_w = orders.iter().map(|o| o.chars().count()).max().unwrap_or(1);
    let title_w = list
        .steps
        .iter()
        .map(|s| s.title().chars().count())
        .max()
        .unwrap_or(0);
    let name_w = list
        .steps
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let next = list.next_index();
    for (i, (step, order)) in list.steps.iter().zip(&orders).enumerate() {
        let mark = match next {
            Some(n) if n == i => "  <- NEXT",
            Some(n) if n < i && !step.status.is_done() => "  (waits)",
            _ => "",
        };
        let line = format!(
            "[{}] {order:>order_w$}  {:<title_w$}  {:<name_w$}{mark}",
            step.status.badge(),
            step.title(),
            step.name,
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let total = list.steps.len();
    let done = list.done_count();
    if filter != StatusFilter::All {
        out.push_str(&filtered_note(total, filter));
        return out;
    }
    let _ = match list.next() {
        Some(step) => writeln!(out, "{done} of {total} done; next: {}", step.title()),
        None => writeln!(out, "{done} of {total} done; nothing left to do"),
    };
    out
}

/// The last line of a filtered checklist: it never claims completion.
fn filtered_note(shown: usize, filter: StatusFilter) -> String {
    format!("filtered: {shown} {filter} shown; run without --status for the whole list\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::decode_list;

    const DOC: &[u8] = br#"{"stepsID":132324,
        "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3},
        "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
        "deviceActivation":{"name":"deviceActivation","status":"todo","order":2}}"#;

    #[test]
    fn checklist_is_aligned_and_marks_next() {
        let text = checklist(
            &decode_list(DOC).unwrap(),
            Some("987654"),
            "demo backend",
            StatusFilter::All,
        );
        let expected = "\
carAssociationID 987654, stepsID 132324 (demo backend)
[DONE] 1  Trusted phone number  trusterPhoneNumber
[TODO] 2  Device activation     deviceActivation    <- NEXT
[TODO] 3  CarKey check          mediumCarKey        (waits)
1 of 3 done; next: Device activation
";
        assert_eq!(text, expected);
    }

    #[test]
    fn checklist_of_an_empty_list_says_so() {
        let text = checklist(&StepsList::default(), None, "x", StatusFilter::All);
        assert!(text.contains("No steps returned."));
    }

    #[test]
    fn json_is_normalised() {
        let list = decode_list(DOC).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json_line(&ListJson::new(
            &list,
            Some("987654"),
            StatusFilter::All,
        )))
        .unwrap();
        assert_eq!(value["stepsID"], "132324");
        assert_eq!(value["next"], "deviceActivation");
        assert_eq!(value["steps"][0]["title"], "Trusted phone number");
        assert_eq!(value["done"], 1);
    }
}
