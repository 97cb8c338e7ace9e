//! Scenario files: the associations a simulator starts with, and their truth.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::wire::Association;

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

    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the scenario {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("the scenario {} is not valid: {e}", path.display()))
    }

    /// Parses and checks a scenario: unique ids and step names, steps kept in
    /// ascending order.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut scenario: Scenario = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut ids = HashSet::new();
        for assoc in &mut scenario.associations {
            let id = &assoc.car_association_id;
            if !crate::steps::is_id(id) {
                return Err(format!(
                    "carAssociationID {id:?} must be letters, digits, - or _"
                ));
            }
            if !ids.insert(id.clone()) {
                return Err(format!("carAssociationID {id} appears twice"));
            }
            let mut names = HashSet::new();
            for step in &assoc.steps {
                if step.name.is_empty() || !names.insert(step.name.as_str()) {
                    return Err(format!("{id}: step names must be present and unique"));
                }
            }
            assoc
                .steps
                .sort_by(|a, b| a.order.cmp(&b.order).then(a.name.cmp(&b.name)));
        }
        Ok(scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bad_scenarios_are_refused_with_reasons() {
        assert!(Scenario::parse("{}").is_err());
        let twice = r#"{"associations":[{"carAssociationID":"1","steps":[]},{"carAssociationID":"1","steps":[]}]}"#;
        assert!(Scenario::parse(twice).unwrap_err().contains("twice"));
        let dup = r#"{"associations":[{"carAssociationID":"1","steps":[{"name":"a","order":1,"done":true},{"name":"a","order":2,"done":true}]}]}"#;
        assert!(Scenario::parse(dup).unwrap_err().contains("unique"));
    }
}
