//! The simulator's pure rules: the truth of each step, and per
//! (carAssociationID, device) a stepsID and its sticky cache.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::scenario::{Association, Scenario};
use crate::steps::{Status, StatusFilter, Step};

/// Why the simulator refuses a call; each maps to an HTTP status and a JSON
/// error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    BadRequest(String),
    Unauthorized,
    WrongDevice,
    NotFound { code: Option<i64>, message: String },
    Conflict(String),
}

/// SDK code for "no step for this stepsID".
pub const NO_STEP_CODE: i64 = 2346;

/// Which list a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKey {
    Car(String),
    StepsId(String),
}

/// A list as the simulator answers it: stepsID and the (filtered) steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAnswer {
    pub steps_id: String,
    pub steps: Vec<Step>,
}

#[derive(Debug)]
struct Session {
    car: String,
    device: String,
    /// Names of the steps cached as `alreadyDone`.
    done: HashSet<String>,
}

/// The whole simulated backend.
#[derive(Debug)]
pub struct SimState {
    truth: BTreeMap<String, Association>,
    sessions: HashMap<String, Session>,
    by_owner: HashMap<(String, String), String>,
    next_id: u64,
}

impl SimState {
    pub fn new(scenario: Scenario) -> Self {
        SimState {
            truth: scenario
                .associations
                .into_iter()
                .map(|a| (a.car_association_id.clone(), a))
                .collect(),
            sessions: HashMap::new(),
            by_owner: HashMap::new(),
            next_id: 700_001,
        }
    }

    pub fn associations(&self) -> Vec<Association> {
        self.truth.values().cloned().collect()
    }

    /// `pims/subscription/steps`: optionally wipes the cache, then evaluates
    /// each step (cached `alreadyDone` stays, others take the truth).
    pub fn list(
        &mut self,
        device: &str,
        key: &ListKey,
        reset: bool,
        filter: StatusFilter,
    ) -> Result<ListAnswer, SimError> {
        let steps_id = match key {
            ListKey::Car(car) => self.session_for(car, device)?,
            ListKey::StepsId(id) => {
                self.owned_session(id, device)?;
                id.clone()
            }
        };
        if reset && let Some(session) = self.sessions.get_mut(&steps_id) {
            session.done.clear();
        }
        let steps = self
            .evaluate(&steps_id)
            .into_iter()
            .filter(|s| filter.admits(&s.status))
            .collect();
        Ok(ListAnswer { steps_id, steps })
    }

    /// `pims/subscription/step`: the first step to do, or `None`.
    pub fn next(&mut self, device: &str, steps_id: &str) -> Result<Option<Step>, SimError> {
        self.owned_session(steps_id, device)?;
        Ok(self
            .evaluate(steps_id)
            .into_iter()
            .find(|s| !s.status.is_done()))
    }

    /// The customer completes a step; refused while an earlier one is not done.
    pub fn complete(&mut self, car: &str, name: &str) -> Result<Association, SimError> {
        let assoc = self.truth_of(car)?;
        let index = step_index(assoc, name)?;
        if let Some(blocking) = assoc.steps[..index].iter().find(|s| !s.done) {
            return Err(SimError::Conflict(format!(
                "{} must be done before {name}",
                blocking.name
            )));
        }
        let assoc = self.truth.get_mut(car).expect("checked above");
        assoc.steps[index].done = true;
        Ok(assoc.clone())
    }

    /// The fact behind a step goes away; a cached `alreadyDone` stays.
    pub fn revoke(&mut self, car: &str, name: &str) -> Result<Association, SimError> {
        let index = step_index(self.truth_of(car)?, name)?;
        let assoc = self.truth.get_mut(car).expect("checked above");
        assoc.steps[index].done = false;
        Ok(assoc.clone())
    }

    fn truth_of(&self, car: &str) -> Result<&Association, SimError> {
        self.truth.get(car).ok_or_else(|| SimError::NotFound {
            code: None,
            message: format!("unknown carAssociationID {car}"),
        })
    }

    /// The stepsID of (car, device), made with its cache on first request.
    fn session_for(&mut self, car: &str, device: &str) -> Result<String, SimError> {
        let assoc = self.truth_of(car)?;
        let owner = (car.to_owned(), device.to_owned());
        if let Some(id) = self.by_owner.get(&owner) {
            return Ok(id.clone());
        }
        let done = if assoc.stale_cache {
            assoc.steps.iter().map(|s| s.name.clone()).collect()
        } else {
            HashSet::new()
        };
        let id = match &assoc.steps_id {
            Some(fixed) if !self.sessions.contains_key(fixed) => fixed.clone(),
            _ => self.fresh_id(),
        };
        self.sessions.insert(
            id.clone(),
            Session {
                car: car.to_owned(),
                device: device.to_owned(),
                done,
            },
        );
        self.by_owner.insert(owner, id.clone());
        Ok(id)
    }

    fn fresh_id(&mut self) -> String {
        loop {
            let id = self.next_id.to_string();
            self.next_id += 1;
            if !self.sessions.contains_key(&id) {
                return id;
            }
        }
    }

    fn owned_session(&self, steps_id: &str, device: &str) -> Result<(), SimError> {
        let session = self
            .sessions
            .get(steps_id)
            .ok_or_else(|| SimError::NotFound {
                code: Some(NO_STEP_CODE),
                message: format!("no step for stepsID {steps_id}"),
            })?;
        if session.device != device {
            return Err(SimError::WrongDevice);
        }
        Ok(())
    }

    /// Evaluates every step of a session, caching those found done.
    fn evaluate(&mut self, steps_id: &str) -> Vec<Step> {
        let Some(session) = self.sessions.get_mut(steps_id) else {
            return Vec::new();
        };
        let Some(assoc) = self.truth.get(&session.car) else {
            return Vec::new();
        };
        assoc
            .steps
            .iter()
            .map(|truth| {
                let done = session.done.contains(&truth.name) || truth.done;
                if done {
                    session.done.insert(truth.name.clone());
                }
                let status = if done {
                    Status::AlreadyDone
                } else {
                    Status::Todo
                };
                Step::new(&truth.name, status, Some(truth.order))
            })
            .collect()
    }
}

fn step_index(assoc: &Association, name: &str) -> Result<usize, SimError> {
    assoc
        .steps
        .iter()
        .position(|s| s.name == name)
        .ok_or_else(|| SimError::NotFound {
            code: None,
            message: format!(
                "carAssociationID {} has no step {name}",
                assoc.car_association_id
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim() -> SimState {
        SimState::new(Scenario::built_in())
    }

    fn statuses(answer: &ListAnswer) -> Vec<(&str, &str)> {
        answer
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.status.as_wire()))
            .collect()
    }

    fn car(id: &str) -> ListKey {
        ListKey::Car(id.into())
    }

    #[test]
    fn first_device_gets_the_documented_steps_id_others_their_own() {
        let mut s = sim();
        let a = s
            .list("dev-a", &car("987654"), false, StatusFilter::All)
            .unwrap();
        assert_eq!(a.steps_id, "132324");
        let again = s
            .list("dev-a", &car("987654"), false, StatusFilter::All)
            .unwrap();
        assert_eq!(again.steps_id, "132324");
        let b = s
            .list("dev-b", &car("987654"), false, StatusFilter::All)
            .unwrap();
        assert_ne!(b.steps_id, "132324");
        let stolen = s.list(
            "dev-b",
            &ListKey::StepsId("132324".into()),
            false,
            StatusFilter::All,
        );
        assert_eq!(stolen, Err(SimError::WrongDevice));
    }

    #[test]
    fn done_is_sticky_until_reset() {
        let mut s = sim();
        let key = ListKey::StepsId(
            s.list("d", &car("111111"), false, StatusFilter::All)
                .unwrap()
                .steps_id,
        );
        s.complete("111111", "trusterPhoneNumber").unwrap();
        s.list("d", &key, false, StatusFilter::All).unwrap();
        s.revoke("111111", "trusterPhoneNumber").unwrap();
        let sticky = s.list("d", &key, false, StatusFilter::All).unwrap();
        assert_eq!(statuses(&sticky)[0], ("trusterPhoneNumber", "alreadyDone"));
        let fresh = s.list("d", &key, true, StatusFilter::All).unwrap();
        assert_eq!(statuses(&fresh)[0], ("trusterPhoneNumber", "todo"));
    }

    #[test]
    fn stale_cache_shows_all_done_until_reset() {
        let mut s = sim();
        let stale = s
            .list("d", &car("333333"), false, StatusFilter::All)
            .unwrap();
        assert!(stale.steps.iter().all(|st| st.status.is_done()));
        let fresh = s
            .list("d", &car("333333"), true, StatusFilter::All)
            .unwrap();
        assert_eq!(statuses(&fresh)[1], ("deviceActivation", "todo"));
        let after = s
            .list("d", &car("333333"), false, StatusFilter::All)
            .unwrap();
        assert_eq!(statuses(&after)[1], ("deviceActivation", "todo"));
    }

    #[test]
    fn filter_and_next() {
        let mut s = sim();
        let todo = s
            .list("d", &car("987654"), false, StatusFilter::Todo)
            .unwrap();
        assert_eq!(todo.steps.len(), 2);
        let next = s.next("d", &todo.steps_id).unwrap().unwrap();
        assert_eq!(next.name, "deviceActivation");
        let mut s2 = sim();
        let ready = s2
            .list("d", &car("222222"), false, StatusFilter::All)
            .unwrap();
        assert_eq!(s2.next("d", &ready.steps_id).unwrap(), None);
        assert!(matches!(
            s2.next("d", "999"),
            Err(SimError::NotFound {
                code: Some(NO_STEP_CODE),
                ..
            })
        ));
    }

    #[test]
    fn completing_out_of_order_conflicts() {
        let mut s = sim();
        assert!(matches!(
            s.complete("111111", "mediumCarKey"),
            Err(SimError::Conflict(_))
        ));
        assert!(s.complete("111111", "trusterPhoneNumber").is_ok());
        assert!(matches!(
            s.complete("nope", "x"),
            Err(SimError::NotFound { .. })
        ));
        assert!(matches!(
            s.complete("111111", "x"),
            Err(SimError::NotFound { .. })
        ));
    }
}
