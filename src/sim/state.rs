//! The simulator's pure rules: the truth of each step, and per
//! (carAssociationID, device) a stepsID and its sticky cache.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::scenario::Scenario;
use crate::steps::{Status, StatusFilter, Step};
use crate::wire::Association;
use crate::wire::Lookup;
pub use crate::wire::NO_STEP_CODE;

/// Why the simulator refuses a call; each maps to an HTTP status and a JSON
/// error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    BadRequest(String),
    /// No valid token; `given`: one came, and was refused.
    Unauthorized {
        given: bool,
    },
    WrongDevice,
    NotFound {
        code: Option<i64>,
        message: String,
    },
    Conflict(String),
    /// The embedded demo backend cannot keep its state (a full or
    /// read-only disk): the change was undone; says where and why.
    Storage(String),
}

/// How many devices the simulator remembers by default; past that, the
/// least recently seen device's stepsIDs and caches are forgotten.
pub const DEVICE_LIMIT: usize = 10_000;

/// A list as the simulator answers it: stepsID and the (filtered) steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAnswer {
    pub steps_id: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    car: String,
    device: String,
    /// Names of the steps cached as `alreadyDone`.
    done: HashSet<String>,
}

/// The whole simulated backend. It serialises whole (see [`SimState::save`]),
/// so that the embedded demo backend remembers across runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimState {
    truth: BTreeMap<String, Association>,
    /// stepsID → its session.
    sessions: HashMap<String, Session>,
    /// (carAssociationID, device) → stepsID, as a list of pairs (JSON keys
    /// must be strings).
    #[serde(with = "owner_pairs")]
    by_owner: HashMap<(String, String), String>,
    next_id: u64,
    /// device → when it was last seen (a counter), for forgetting the least
    /// recently seen device.
    #[serde(default)]
    seen: HashMap<String, u64>,
    #[serde(default)]
    clock: u64,
    #[serde(skip, default = "default_limit")]
    device_limit: usize,
}

fn default_limit() -> usize {
    DEVICE_LIMIT
}

mod owner_pairs {
    use std::collections::HashMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Owners = HashMap<(String, String), String>;

    pub fn serialize<S: Serializer>(owners: &Owners, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pairs: Vec<(&String, &String, &String)> = owners
            .iter()
            .map(|((car, device), id)| (car, device, id))
            .collect();
        pairs.sort();
        pairs.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Owners, D::Error> {
        let pairs = Vec::<(String, String, String)>::deserialize(deserializer)?;
        Ok(pairs
            .into_iter()
            .map(|(car, device, id)| ((car, device), id))
            .collect())
    }
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
            seen: HashMap::new(),
            clock: 0,
            device_limit: DEVICE_LIMIT,
        }
    }

    /// Hands out stepsIDs from a start of its own (`stepwise serve`, the
    /// demo backend): one run's ids are not another's, so a client that kept a stepsID from
    /// before a restart is told it is unknown (404, ask again by
    /// carAssociationID) instead of being answered another vehicle's list.
    pub fn with_fresh_ids(mut self) -> Self {
        // 7 digits, from a random start: two runs' ranges meet rarely.
        let random = uuid::Uuid::new_v4().as_u128();
        self.next_id = 1_000_000 + u64::try_from(random % 8_000_000).unwrap_or(0);
        self
    }

    /// Remembers at most `limit` devices (at least one).
    pub fn with_device_limit(mut self, limit: usize) -> Self {
        self.device_limit = limit.max(1);
        self
    }

    /// How many devices are remembered now.
    pub fn devices(&self) -> usize {
        self.seen.len()
    }

    /// The whole state as JSON, for [`SimState::restore`].
    pub fn save(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A state saved by [`SimState::save`]; an error says why it is not one.
    pub fn restore(text: &str) -> Result<Self, String> {
        let state: SimState = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let known = |id: &String| state.sessions.contains_key(id);
        if !state.by_owner.values().all(known)
            || !state
                .sessions
                .values()
                .all(|s| state.truth.contains_key(&s.car))
        {
            return Err("its sessions do not match its associations".into());
        }
        Ok(state)
    }

    /// Takes over a state kept by an earlier run, unless it was made from
    /// other associations (an older scenario): then it is refused and this
    /// state stays. Says whether it was taken.
    pub fn adopt(&mut self, kept: SimState) -> bool {
        let shape = |s: &SimState| -> Vec<(String, Option<String>, bool, Vec<String>)> {
            s.truth
                .values()
                .map(|a| {
                    (
                        a.car_association_id.clone(),
                        a.steps_id.clone(),
                        a.stale_cache,
                        a.steps.iter().map(|t| t.name.clone()).collect(),
                    )
                })
                .collect()
        };
        if shape(&kept) != shape(self) {
            return false;
        }
        let limit = self.device_limit;
        *self = kept;
        self.device_limit = limit;
        true
    }

    /// Marks a device as just seen, forgetting the least recently seen
    /// devices (their stepsIDs and caches) beyond the limit.
    fn touch(&mut self, device: &str) {
        self.clock += 1;
        if let Some(at) = self.seen.get_mut(device) {
            *at = self.clock;
            return;
        }
        self.seen.insert(device.to_owned(), self.clock);
        while self.seen.len() > self.device_limit {
            let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(d, _)| d.clone())
            else {
                break;
            };
            self.forget(&oldest);
        }
    }

    fn forget(&mut self, device: &str) {
        self.seen.remove(device);
        self.sessions.retain(|_, s| s.device != device);
        self.by_owner.retain(|(_, d), _| d != device);
    }

    pub fn associations(&self) -> Vec<Association> {
        self.truth.values().cloned().collect()
    }

    /// `pims/subscription/steps`: optionally wipes the cache, then evaluates
    /// each step (cached `alreadyDone` stays, others take the truth).
    pub fn list(
        &mut self,
        device: &str,
        key: &Lookup,
        reset: bool,
        filter: StatusFilter,
    ) -> Result<ListAnswer, SimError> {
        self.touch(device);
        let steps_id = match key {
            Lookup::Car(car) => self.session_for(car, device)?,
            Lookup::StepsId(id) => {
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
        self.touch(device);
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

    /// Churn: the next step of one generated vehicle (`--fleet`'s) that
    /// has one (the `draw`th, in id order, modulo how many) completes in
    /// truth; the built-in ones (987654, …) are left to play by hand.
    /// Returns the vehicle and the step, or `None` when every one is done.
    pub fn churn(&mut self, draw: u64) -> Option<(String, String)> {
        let waiting: Vec<&String> = self
            .truth
            .iter()
            .filter(|(id, a)| super::scenario::is_fleet_id(id) && a.steps.iter().any(|s| !s.done))
            .map(|(id, _)| id)
            .collect();
        let count = u64::try_from(waiting.len()).ok().filter(|n| *n > 0)?;
        let pick = usize::try_from(draw % count).ok()?;
        let car = waiting[pick].clone();
        let assoc = self.truth.get_mut(&car)?;
        let step = assoc.steps.iter_mut().find(|s| !s.done)?;
        step.done = true;
        Some((car, step.name.clone()))
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

    #[test]
    fn churn_completes_a_next_step_until_every_vehicle_is_ready() {
        let scenario = Scenario::parse(
            r#"{"associations":[{"carAssociationID":"F0001","steps":[
                {"name":"one","order":1,"done":true},{"name":"two","order":2,"done":false}]},
                {"carAssociationID":"F0002","steps":[{"name":"one","order":1,"done":true}]},
                {"carAssociationID":"987654","steps":[{"name":"one","order":1,"done":false}]}]}"#,
        )
        .unwrap();
        let mut state = SimState::new(scenario);
        assert_eq!(state.churn(7), Some(("F0001".to_owned(), "two".to_owned())));
        // Every generated one is ready; the built-in vehicle is left as it
        // was, to be played by hand (stranger 47, AV7).
        assert_eq!(state.churn(8), None);
        let built_in = state.associations();
        let built_in = built_in
            .iter()
            .find(|a| a.car_association_id == "987654")
            .unwrap();
        assert!(built_in.steps.iter().all(|s| !s.done));
    }

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

    fn car(id: &str) -> Lookup {
        Lookup::Car(id.into())
    }

    /// Two runs of `stepwise serve` hand the same new vehicle different
    /// stepsIDs: one kept from before a restart names no other vehicle.
    #[test]
    fn each_serve_run_hands_out_stepsids_of_its_own() {
        let id = |mut s: SimState| {
            s.list("dev-a", &car("111111"), false, StatusFilter::All)
                .unwrap()
                .steps_id
        };
        let (one, two) = (id(sim().with_fresh_ids()), id(sim().with_fresh_ids()));
        assert_ne!(one, two);
        assert_eq!(one.len(), 7, "{one}");
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
            &Lookup::StepsId("132324".into()),
            false,
            StatusFilter::All,
        );
        assert_eq!(stolen, Err(SimError::WrongDevice));
    }

    #[test]
    fn done_is_sticky_until_reset() {
        let mut s = sim();
        let key = Lookup::StepsId(
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
    fn the_least_recently_seen_device_is_forgotten_beyond_the_limit() {
        let mut s = sim().with_device_limit(3);
        let first = s
            .list("d0", &car("987654"), false, StatusFilter::All)
            .unwrap();
        for device in ["d1", "d2"] {
            s.list(device, &car("987654"), false, StatusFilter::All)
                .unwrap();
        }
        // d0 is seen again, so d1 is now the least recently seen.
        s.next("d0", &first.steps_id).unwrap();
        s.list("d3", &car("987654"), false, StatusFilter::All)
            .unwrap();
        assert_eq!(s.devices(), 3);
        assert!(s.next("d0", &first.steps_id).is_ok(), "d0 was kept");
        assert_eq!(s.by_owner.len(), 3);
        assert!(!s.seen.contains_key("d1"), "d1 was forgotten");
        assert!(s.sessions.values().all(|session| session.device != "d1"));
    }

    #[test]
    fn many_devices_stay_within_the_default_bound() {
        let mut s = sim();
        for n in 0..DEVICE_LIMIT + 50 {
            s.list(
                &format!("dev-{n}"),
                &car("111111"),
                false,
                StatusFilter::All,
            )
            .unwrap();
        }
        assert_eq!(s.devices(), DEVICE_LIMIT);
        assert_eq!(s.sessions.len(), DEVICE_LIMIT);
        assert_eq!(s.by_owner.len(), DEVICE_LIMIT);
    }

    #[test]
    fn a_saved_state_restores_whole() {
        let mut s = sim();
        let first = s
            .list("d", &car("987654"), false, StatusFilter::All)
            .unwrap();
        s.complete("987654", "deviceActivation").unwrap();
        let mut back = SimState::restore(&s.save()).unwrap();
        let next = back.next("d", &first.steps_id).unwrap().unwrap();
        assert_eq!(next.name, "mediumCarKey");
        assert!(SimState::restore("{").is_err());
        assert!(SimState::restore("{}").is_err());
    }

    #[test]
    fn a_kept_state_of_other_associations_is_not_adopted() {
        let mut kept = sim();
        kept.complete("111111", "trusterPhoneNumber").unwrap();
        let mut current = sim();
        assert!(current.adopt(kept.clone()));
        assert!(
            current.truth["111111"].steps[0].done,
            "the kept truth is taken"
        );
        let other = Scenario::parse(
            r#"{"associations":[{"carAssociationID":"1","steps":[{"name":"a","order":1,"done":false}]}]}"#,
        )
        .unwrap();
        let mut fresh = SimState::new(other);
        assert!(!fresh.adopt(kept));
        assert!(fresh.truth.contains_key("1"));
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
