//! Scenario files: the associations a simulator starts with, and their truth.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::wire::{Association, TruthStep};

/// The id of the `i`th generated vehicle: `F0001`, ..., `F12345`.
pub fn fleet_id(i: usize) -> String {
    format!("F{i:04}")
}

/// Whether `id` is one [`fleet_id`] makes (`F` and four digits or more):
/// a generated vehicle, which churn may complete.
pub fn is_fleet_id(id: &str) -> bool {
    id.strip_prefix('F')
        .is_some_and(|n| n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

const BUILT_IN: &str = include_str!("../../assets/scenario.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub associations: Vec<Association>,
}

impl Scenario {
    pub fn built_in() -> Self {
        Self::parse(BUILT_IN).expect("assets/scenario.json is valid (tested)")
    }

    /// The association a hands-free demo opens: the first whose steps are
    /// all still to do (a new customer), else the first.
    pub fn demo_car(&self) -> Option<&str> {
        self.associations
            .iter()
            .find(|a| !a.steps.is_empty() && a.steps.iter().all(|s| !s.done))
            .or(self.associations.first())
            .map(|a| a.car_association_id.as_str())
    }

    /// Adds `n` generated associations, `F0001`..., in varied states: new,
    /// one step done, two done, ready, and a stale cache that only a reset
    /// tells the truth of (as 333333). Ids the scenario already has are
    /// skipped.
    pub fn with_fleet(mut self, n: usize) -> Self {
        const NAMES: [&str; 3] = ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"];
        for i in 1..=n {
            let id = fleet_id(i);
            if self.associations.iter().any(|a| a.car_association_id == id) {
                continue;
            }
            let kind = i % 5;
            let done = |step: usize| match kind {
                0 => false,
                1 => step < 1,
                2 => step < 2,
                3 => true,
                _ => step != 1,
            };
            let labels = [
                "Fleet: new customer",
                "Fleet: phone trusted",
                "Fleet: device activated",
                "Fleet: ready",
                "Fleet: stale cache",
            ];
            self.associations.push(Association {
                car_association_id: id,
                label: labels[kind].to_owned(),
                steps_id: None,
                stale_cache: kind == 4,
                steps: NAMES
                    .iter()
                    .zip(1..)
                    .enumerate()
                    .map(|(at, (name, order))| TruthStep {
                        name: (*name).to_owned(),
                        order,
                        done: done(at),
                    })
                    .collect(),
            });
        }
        self
    }

    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = crate::files::read_text_capped(path, crate::files::LIST_FILE_LIMIT).map_err(
            |error| ScenarioError::Unreadable {
                path: path.display().to_string(),
                error,
            },
        )?;
        Self::parse(&text).map_err(|problem| ScenarioError::Invalid {
            path: path.display().to_string(),
            problem,
        })
    }

    /// Parses and checks a scenario: unique ids and step names, steps kept in
    /// ascending order.
    pub fn parse(text: &str) -> Result<Self, ScenarioProblem> {
        let mut scenario: Scenario = serde_json::from_str(text).map_err(|e| {
            if e.is_eof() {
                ScenarioProblem::Cut {
                    line: e.line(),
                    column: e.column(),
                }
            } else if e.is_syntax() {
                ScenarioProblem::Syntax {
                    line: e.line(),
                    column: e.column(),
                }
            } else {
                // serde's words are English: the member they name is kept,
                // the rest said in the reader's language.
                let said = e.to_string();
                let named = said
                    .split('`')
                    .nth(1)
                    .map(|name| crate::steps::sanitize_capped(name, 40));
                let member = match named {
                    Some(name) if said.starts_with("unknown field") => Some(Member::Unknown(name)),
                    Some(name) if said.starts_with("missing field") => Some(Member::Missing(name)),
                    _ => None,
                };
                ScenarioProblem::NotJson {
                    line: e.line(),
                    column: e.column(),
                    member,
                }
            }
        })?;
        let mut ids = HashSet::new();
        for assoc in &mut scenario.associations {
            let id = &assoc.car_association_id;
            if !crate::steps::is_id(id) {
                return Err(ScenarioProblem::BadId(crate::steps::sanitize_capped(
                    id, 24,
                )));
            }
            if !ids.insert(id.clone()) {
                return Err(ScenarioProblem::IdTwice(id.clone()));
            }
            let mut names = HashSet::new();
            for step in &assoc.steps {
                if step.name.is_empty() || !names.insert(step.name.as_str()) {
                    return Err(ScenarioProblem::StepNames(id.clone()));
                }
            }
            assoc
                .steps
                .sort_by(|a, b| a.order.cmp(&b.order).then(a.name.cmp(&b.name)));
        }
        Ok(scenario)
    }
}

/// A scenario file that cannot be used, as data (the words are the
/// catalogue's, in the CLI).
#[derive(Debug)]
pub enum ScenarioError {
    Unreadable {
        path: String,
        error: std::io::Error,
    },
    Invalid {
        path: String,
        problem: ScenarioProblem,
    },
}

impl ScenarioError {
    /// One line: which file, and what is wrong with it, in `lang`.
    pub fn words(&self, lang: crate::text::Lang) -> String {
        use crate::tr;
        match self {
            ScenarioError::Unreadable { path, error } => tr!(
                lang,
                "scenario-unreadable",
                path = path.clone(),
                error = crate::files::unreadable_words(lang, error)
            ),
            ScenarioError::Invalid { path, problem } => {
                let path = path.clone();
                match problem {
                    ScenarioProblem::NotJson {
                        line,
                        column,
                        member,
                    } => {
                        let (line, column) = (crate::text::num(*line), crate::text::num(*column));
                        let detail = match member {
                            Some(Member::Unknown(name)) => tr!(
                                lang,
                                "scenario-unknown-member",
                                member = name.clone(),
                                line = line,
                                column = column
                            ),
                            // Where: a member an association needs is not one
                            // the file's top needs.
                            Some(Member::Missing(name)) => tr!(
                                lang,
                                "scenario-missing-member-at",
                                member = name.clone(),
                                line = line,
                                column = column
                            ),
                            None => tr!(lang, "scenario-shape-at", line = line, column = column),
                        };
                        tr!(lang, "scenario-not-json", path = path, detail = detail)
                    }
                    ScenarioProblem::Syntax { line, column } => tr!(
                        lang,
                        "scenario-syntax",
                        path = path,
                        line = crate::text::num(*line),
                        column = crate::text::num(*column)
                    ),
                    ScenarioProblem::Cut { line, column } => tr!(
                        lang,
                        "scenario-cut",
                        path = path,
                        line = crate::text::num(*line),
                        column = crate::text::num(*column)
                    ),
                    ScenarioProblem::BadId(id) => {
                        tr!(lang, "scenario-bad-id", path = path, id = id.clone())
                    }
                    ScenarioProblem::IdTwice(id) => {
                        tr!(lang, "scenario-id-twice", path = path, id = id.clone())
                    }
                    ScenarioProblem::StepNames(id) => {
                        tr!(lang, "scenario-step-names", path = path, id = id.clone())
                    }
                }
            }
        }
    }
}

/// A member of a scenario's JSON at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// One a scenario does not have.
    Unknown(String),
    /// One a scenario must have.
    Missing(String),
}

/// What is wrong inside a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioProblem {
    /// Not JSON of a scenario, at this line and column; an unknown or a
    /// missing member named when that is the fault.
    NotJson {
        line: usize,
        column: usize,
        member: Option<Member>,
    },
    /// The file stops before its JSON ends (line and column of the end).
    Cut { line: usize, column: usize },
    /// No valid JSON at all from this line and column (a workbook, a
    /// missing quote or comma): its syntax, not a scenario's shape.
    Syntax { line: usize, column: usize },
    /// A carAssociationID that is not letters, digits, `-` or `_`.
    BadId(String),
    /// A carAssociationID given twice.
    IdTwice(String),
    /// A vehicle's step without a name, or a name given twice.
    StepNames(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file cut short is named as cut, at its end, not with the
    /// parser's "EOF while parsing a list".
    #[test]
    fn a_scenario_cut_short_is_named_so() {
        let problem = Scenario::parse("{\"associations\": [").unwrap_err();
        assert_eq!(
            problem,
            ScenarioProblem::Cut {
                line: 1,
                column: 18
            }
        );
        let words = ScenarioError::Invalid {
            path: "s.json".into(),
            problem,
        }
        .words(crate::text::Lang::De);
        assert!(
            words.contains("abgeschnitten") && !words.contains("EOF"),
            "{words}"
        );
        // As serve says it: the advice once, not twice.
        let said = crate::tr!(crate::text::Lang::De, "cli-arg-scenario-bad", error = words);
        assert_eq!(said.matches("--scenario").count(), 1, "{said}");
    }

    /// A file that is no valid JSON (a missing quote, a workbook) is said
    /// so, never "its shape differs from a scenario's".
    #[test]
    fn a_scenario_that_is_no_json_is_named_so_not_another_shape() {
        for text in [
            "{\"bad json\n",
            "PK\u{3}\u{4}\u{14}\u{0}",
            "{\"associations\": [} ",
        ] {
            let problem = Scenario::parse(text).unwrap_err();
            assert!(
                matches!(problem, ScenarioProblem::Syntax { .. }),
                "{text:?}: {problem:?}"
            );
            let words = ScenarioError::Invalid {
                path: "s.json".into(),
                problem,
            }
            .words(crate::text::Lang::En);
            assert!(words.contains("is not valid JSON at line"), "{words}");
            assert!(!words.contains("shape"), "{words}");
        }
    }

    #[test]
    fn built_in_scenario_has_the_documented_associations() {
        let scenario = Scenario::built_in();
        let ids: Vec<_> = scenario
            .associations
            .iter()
            .map(|a| a.car_association_id.as_str())
            .collect();
        for id in ["987654", "111111", "222222", "333333", "444444"] {
            assert!(ids.contains(&id), "{id} missing");
        }
        assert_eq!(scenario.demo_car(), Some("111111"));
        let doc = &scenario.associations[0];
        assert_eq!(doc.steps_id.as_deref(), Some("132324"));
    }

    #[test]
    fn a_fleet_is_generated_in_every_state_and_parses_back() {
        let scenario = Scenario::built_in().with_fleet(10);
        let fleet: Vec<_> = scenario
            .associations
            .iter()
            .filter(|a| a.car_association_id.starts_with('F'))
            .collect();
        assert_eq!(fleet.len(), 10);
        assert_eq!(fleet[0].car_association_id, "F0001");
        let done: Vec<usize> = fleet
            .iter()
            .map(|a| a.steps.iter().filter(|s| s.done).count())
            .collect();
        assert_eq!(done[..5], [1, 2, 3, 2, 0]);
        assert!(fleet[3].stale_cache);
        let text =
            serde_json::to_string(&serde_json::json!({ "associations": scenario.associations }))
                .unwrap();
        assert!(Scenario::parse(&text).is_ok());
    }

    /// serde's English ("unknown field `bad`, expected `associations`",
    /// "invalid length 0, expected struct Scenario") never reaches a reader
    /// of another language: the member it names is kept.
    #[test]
    fn a_scenario_of_another_shape_is_said_in_the_language() {
        let words = |text: &str, lang| {
            ScenarioError::Invalid {
                path: "s.json".into(),
                problem: Scenario::parse(text).unwrap_err(),
            }
            .words(lang)
        };
        let german = words(r#"{"bad": 1}"#, crate::text::Lang::De);
        assert!(german.contains("es enthält ein Feld bad"), "{german}");
        let german = words("[]", crate::text::Lang::De);
        assert!(german.contains("seine Form weicht in Zeile 1"), "{german}");
        let missing = words(r#"{"associations":[{"steps":[]}]}"#, crate::text::Lang::En);
        assert!(
            missing.contains("lacks the member carAssociationID in the object that ends at line 1"),
            "{missing}"
        );
        for text in [r#"{"bad": 1}"#, "[]", "{}"] {
            for lang in crate::text::Lang::ALL {
                let line = words(text, *lang);
                assert!(
                    !line.contains("expected") && !line.contains("invalid"),
                    "{line}"
                );
            }
        }
    }

    #[test]
    fn bad_scenarios_are_refused_with_reasons() {
        assert!(matches!(
            Scenario::parse("{}"),
            Err(ScenarioProblem::NotJson { .. })
        ));
        let twice = r#"{"associations":[{"carAssociationID":"1","steps":[]},{"carAssociationID":"1","steps":[]}]}"#;
        assert_eq!(
            Scenario::parse(twice).unwrap_err(),
            ScenarioProblem::IdTwice("1".into())
        );
        let dup = r#"{"associations":[{"carAssociationID":"1","steps":[{"name":"a","order":1,"done":true},{"name":"a","order":2,"done":true}]}]}"#;
        assert_eq!(
            Scenario::parse(dup).unwrap_err(),
            ScenarioProblem::StepNames("1".into())
        );
        let bad = r#"{"associations":[{"carAssociationID":"9 9","steps":[]}]}"#;
        assert_eq!(
            Scenario::parse(bad).unwrap_err(),
            ScenarioProblem::BadId("9 9".into())
        );
    }
}
