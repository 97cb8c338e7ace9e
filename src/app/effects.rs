//! The effect runner: carries out what the update asked for on tokio tasks,
//! each reporting back as a [`Msg`]. Effects carry all they need; the runner
//! keeps one handle per vehicle and aborts a request its answer no longer
//! matters to (a newer request, back to the start screen), and one follower
//! per watched vehicle, forwarding each of its updates.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use url::Url;

use super::tasks;
use crate::auth::device::{self, RealTime};
use crate::auth::{AuthError, Choice, SignInOptions, TokenSource, TokenStore, gateway_key};
use crate::client::{Gateway, live};
use crate::wizard::state::{
    DemoCar, Effect, Msg, OpenFailure, ReportTrouble, SignInPrompt, SignedIn,
};

/// Request tasks that may hold a request's whole state at once (at least
/// the largest `--concurrency`). A board asks every vehicle's list at once,
/// and the gateway's budget admits a few at a time: the others wait for a
/// place holding only what they will ask, about a tenth of the memory.
const UNDER_WAY: usize = 256;

/// The handles of request tasks kept before the first sweep of the ended.
const SWEEP_FIRST: usize = 64;

/// Each demo vehicle's steps as its scenario starts them: name, done.
pub type DemoStart = HashMap<String, Vec<(String, bool)>>;

pub struct Runner {
    /// See [`Runner::with_demo_start`].
    demo_start: Arc<DemoStart>,
    gateway: Arc<Gateway>,
    /// Places for requests under way (see [`UNDER_WAY`]).
    under_way: Arc<Semaphore>,
    tx: UnboundedSender<Msg>,
    /// The request task of each vehicle, by carAssociationID.
    requests: HashMap<String, JoinHandle<()>>,
    /// How many handles `requests` holds before the ended ones are dropped
    /// (see [`Runner::forget_finished`]).
    sweep_at: usize,
    /// The list follower of each watched vehicle; aborting its task drops
    /// the follower, which closes its connection.
    followers: HashMap<String, JoinHandle<()>>,
    /// The followers of the board's watched vehicles, all in one task.
    board_followers: Option<JoinHandle<()>>,
    /// The sign-in in progress.
    sign_in: Option<JoinHandle<()>>,
    /// A login a sign-in just kept, for the gateway to send from the next
    /// effect on. The sign-in task puts it here before it reports success,
    /// so every request the update asks for after that uses it.
    login: Arc<Mutex<Option<TokenSource>>>,
    /// Whom a sign-in asks, for what.
    sign_in_options: Arc<SignInOptions>,
}

impl Runner {
    pub fn new(gateway: Gateway, tx: UnboundedSender<Msg>) -> Self {
        Runner {
            gateway: Arc::new(gateway),
            under_way: Arc::new(Semaphore::new(UNDER_WAY)),
            tx,
            requests: HashMap::new(),
            sweep_at: SWEEP_FIRST,
            followers: HashMap::new(),
            board_followers: None,
            sign_in: None,
            login: Arc::new(Mutex::new(None)),
            sign_in_options: Arc::new(SignInOptions::default()),
            demo_start: Arc::new(DemoStart::new()),
        }
    }

    /// Signs in with these options (client id, scopes, audience, issuer).
    #[must_use]
    pub fn with_sign_in(mut self, options: SignInOptions) -> Self {
        self.sign_in_options = Arc::new(options);
        self
    }

    /// Where the demo's vehicles start (each id's steps and whether done),
    /// to tell a label that no longer says how a vehicle stands.
    #[must_use]
    pub fn with_demo_start(mut self, start: DemoStart) -> Self {
        self.demo_start = Arc::new(start);
        self
    }

    /// Sends with a login a sign-in kept, from now on.
    fn adopt_login(&mut self) {
        let fresh = self
            .login
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(source) = fresh {
            self.gateway = Arc::new(
                (*self.gateway)
                    .clone()
                    .with_token_source(source)
                    .with_token_from(Some(crate::config::TokenFrom::Login)),
            );
        }
    }

    /// Starts request `id` of a vehicle, aborting the one it supersedes.
    /// The request (`make`'s future) is made once it has a place under way
    /// (see [`UNDER_WAY`]); a task that panics answers [`Msg::TaskFailed`],
    /// so the vehicle stops waiting and can ask again.
    fn request<F, Fut>(&mut self, car: String, id: u64, make: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        if self.requests.len() >= self.sweep_at {
            self.forget_finished();
        }
        let task = tokio::spawn(request_task(
            Arc::clone(&self.under_way),
            self.tx.clone(),
            car.clone(),
            id,
            make,
        ));
        if let Some(old) = self.requests.insert(car, task) {
            old.abort();
        }
    }

    /// Drops the handles of requests that ended: a handle keeps its task's
    /// memory until dropped, and a board's first requests end long before
    /// its vehicles ask again. Done once the handles have doubled since the
    /// last time, and when live turns on or off, so it costs nothing per
    /// request.
    fn forget_finished(&mut self) {
        self.requests.retain(|_, task| !task.is_finished());
        if self.requests.capacity() > 4 * self.requests.len().max(16) {
            self.requests.shrink_to_fit();
        }
        self.sweep_at = (2 * self.requests.len()).max(SWEEP_FIRST);
    }

    /// Starts an effect; it never blocks the event loop.
    pub fn run(&mut self, effect: Effect) {
        self.adopt_login();
        let gateway = Arc::clone(&self.gateway);
        let tx = self.tx.clone();
        // A send fails only when the loop has ended, and then nobody waits.
        match effect {
            Effect::FetchList {
                car,
                id,
                request,
                purpose,
            } => self.request(car.clone(), id, move || async move {
                // Watch's own polls are nobody's just now (see
                // `auth::refresh::unattended`).
                let asked = gateway.list(&request);
                let result = if purpose == crate::wizard::state::Purpose::Watch {
                    crate::auth::refresh::unattended(asked).await
                } else {
                    asked.await
                };
                let _ = tx.send(Msg::Listed {
                    car,
                    id,
                    purpose,
                    result,
                });
            }),
            Effect::FetchNext { car, id, steps_id } => {
                self.request(car.clone(), id, move || async move {
                    let result = gateway.next_step(&steps_id).await;
                    let _ = tx.send(Msg::Next { car, id, result });
                });
            }
            Effect::Complete { car, id, step } => {
                self.request(car.clone(), id, move || async move {
                    let result = gateway.sim_complete(&car, &step).await;
                    let _ = tx.send(Msg::Completed {
                        car,
                        id,
                        step,
                        result,
                    });
                });
            }
            Effect::Cancel { car } => {
                if let Some(task) = self.requests.remove(&car) {
                    task.abort();
                }
            }
            Effect::Follow { car, id, steps_id } => self.follow(gateway, car, id, steps_id),
            Effect::Unfollow { car } => {
                if let Some(task) = self.followers.remove(&car) {
                    task.abort();
                }
            }
            Effect::FollowBoard { id, lists } => {
                self.forget_finished();
                let task = tokio::spawn(follow_board(Gateway::clone(&gateway), tx, id, lists));
                if let Some(old) = self.board_followers.replace(task) {
                    old.abort();
                }
            }
            Effect::UnfollowBoard => {
                self.forget_finished();
                if let Some(task) = self.board_followers.take() {
                    task.abort();
                }
            }
            Effect::SignIn { id, data_dir } => self.sign_in(gateway, id, data_dir),
            Effect::CancelSignIn => {
                if let Some(task) = self.sign_in.take() {
                    task.abort();
                }
            }
            #[cfg(debug_assertions)]
            Effect::Panic => panic!("test panic requested with STEPWISE_TEST_PANIC"),
            #[cfg(debug_assertions)]
            Effect::PanicElsewhere => {
                tokio::spawn(async {
                    panic!(
                        "test panic in a background task, requested with STEPWISE_TEST_PANIC=elsewhere"
                    )
                });
            }
            #[cfg(debug_assertions)]
            Effect::PanicInTask { car, id } => self.request(car, id, || async {
                panic!("test panic in a request task, requested with STEPWISE_TEST_PANIC=task")
            }),
            Effect::LoadDemoCars => load_demo_cars(gateway, tx, Arc::clone(&self.demo_start)),
            other => background(&gateway, &tx, other),
        }
    }

    /// Follows one vehicle's list, forwarding each update; a follower that
    /// panics answers [`Msg::TaskFailed`] (watch stops and says why).
    fn follow(&mut self, gateway: Arc<Gateway>, car: String, id: u64, steps_id: String) {
        let tx = self.tx.clone();
        let task = tokio::spawn({
            let car = car.clone();
            async move {
                let forward = async {
                    let mut updates = live::follow(Gateway::clone(&gateway), vec![steps_id]);
                    while let Some(update) = updates.next().await {
                        let msg = Msg::Live {
                            car: car.clone(),
                            id,
                            update,
                        };
                        if tx.send(msg).is_err() {
                            break;
                        }
                    }
                };
                if let Err(why) = tasks::caught(forward).await {
                    let _ = tx.send(Msg::TaskFailed { car, id, why });
                }
            }
        });
        if let Some(old) = self.followers.insert(car, task) {
            old.abort();
        }
    }

    /// Signs in (the device flow), keeping the login for the next effects.
    fn sign_in(&mut self, gateway: Arc<Gateway>, id: u64, data_dir: Option<PathBuf>) {
        let tx = self.tx.clone();
        let login = Arc::clone(&self.login);
        let options = Arc::clone(&self.sign_in_options);
        let task = tokio::spawn(async move {
            let result = sign_in(&gateway, data_dir, &options, |prompt| {
                let _ = tx.send(Msg::SignInPrompt { id, prompt });
            })
            .await
            .map(|(source, signed)| {
                *login
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(source);
                signed
            });
            let _ = tx.send(Msg::SignedIn { id, result });
        });
        if let Some(old) = self.sign_in.replace(task) {
            old.abort();
        }
    }
}

/// The demo's vehicles for the start screen: each with its label, and its
/// progress when the demo's state has moved on from where the scenario
/// starts (the label describes that start).
fn load_demo_cars(gateway: Arc<Gateway>, tx: UnboundedSender<Msg>, start: Arc<DemoStart>) {
    tokio::spawn(async move {
        let Ok(cars) = tasks::caught(gateway.sim_associations()).await else {
            return;
        };
        let cars = cars.map(|list| {
            list.into_iter()
                .map(|a| {
                    let now: Vec<(String, bool)> =
                        a.steps.iter().map(|s| (s.name.clone(), s.done)).collect();
                    let moved = start
                        .get(&a.car_association_id)
                        .is_some_and(|begun| sorted(begun.clone()) != sorted(now.clone()));
                    let done = now.iter().filter(|(_, done)| *done).count();
                    DemoCar {
                        id: a.car_association_id,
                        label: a.label,
                        progress: moved.then_some((done, now.len())),
                        stale_cache: a.stale_cache,
                    }
                })
                .collect()
        });
        let _ = tx.send(Msg::DemoCars(cars));
    });
}

fn sorted(mut steps: Vec<(String, bool)>) -> Vec<(String, bool)> {
    steps.sort();
    steps
}

/// The effects that concern no vehicle's requests: each on a task of its
/// own, whose panic is logged and answered as a failure where one is
/// awaited.
fn background(gateway: &Arc<Gateway>, tx: &UnboundedSender<Msg>, effect: Effect) {
    let (gateway, tx) = (Arc::clone(gateway), tx.clone());
    match effect {
        Effect::ProbePages => {
            tokio::spawn(async move {
                let offered = tasks::caught(gateway.offers_guidance_pages()).await;
                let _ = tx.send(Msg::PagesOffered(offered.unwrap_or(false)));
            });
        }
        Effect::RememberId { data_dir, id } => {
            tokio::task::spawn_blocking(move || {
                let key = gateway.recent_key();
                let remembered =
                    tasks::caught_blocking(|| crate::config::remember_id(&data_dir, &id, &key));
                if let Ok(Err(e)) = remembered {
                    tracing::warn!("cannot remember the id: {e}");
                }
            });
        }
        Effect::OpenUrl(url) => {
            tokio::task::spawn_blocking(move || {
                let opened = tasks::caught_blocking(|| open_in_browser(&url))
                    .unwrap_or_else(|why| Err(OpenFailure::Failed { url, why }));
                let _ = tx.send(Msg::Opened(opened));
            });
        }
        Effect::WriteReport { path, report } => {
            tokio::task::spawn_blocking(move || {
                let written = tasks::caught_blocking(|| report.write(&path))
                    .unwrap_or_else(|panic| Err(std::io::Error::other(panic)));
                let written = match written {
                    Ok(()) => Ok(path),
                    Err(e) => {
                        let trouble = match path.parent().and_then(crate::files::file_in_the_way) {
                            Some(file) => ReportTrouble::InTheWay(file),
                            None => ReportTrouble::Io(e),
                        };
                        Err((path, trouble))
                    }
                };
                let _ = tx.send(Msg::ReportWritten(written));
            });
        }
        _ => {}
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        for task in self
            .requests
            .values()
            .chain(self.followers.values())
            .chain(&self.board_followers)
            .chain(&self.sign_in)
        {
            task.abort();
        }
    }
}

/// The device flow for the wizard's gateway: discover the endpoints, ask for
/// a code (handed to `prompt`), poll at the provider's pace until it is
/// approved, denied or expired, then keep the token. Returns the login to
/// send with and where it was kept.
async fn sign_in(
    gateway: &Gateway,
    data_dir: Option<PathBuf>,
    options: &SignInOptions,
    prompt: impl FnOnce(SignInPrompt),
) -> Result<(TokenSource, SignedIn), AuthError> {
    let key = gateway_key(gateway.base())
        .map_err(|e| AuthError::Discovery(crate::auth::Discovery::Gateway(e.to_string())))?;
    let base = Url::parse(&key)
        .map_err(|e| AuthError::Discovery(crate::auth::Discovery::Gateway(e.to_string())))?;
    let store = open_store(data_dir).await?;
    let http = gateway.oauth_http()?;
    let endpoints = crate::auth::discover::discover(http, &base, options.issuer.as_deref()).await?;
    let authorization = device::authorize(http, &endpoints, &base, options).await?;
    prompt(SignInPrompt {
        user_code: authorization.user_code.clone(),
        verification_uri: authorization.verification_uri.to_string(),
        address: authorization.address().to_string(),
        expires_in_secs: authorization.expires_in.as_secs(),
    });
    let credential = device::poll(http, &endpoints, &authorization, options, &RealTime).await?;
    let saved = {
        let (store, key, credential) = (store.clone(), key.clone(), credential.clone());
        tokio::task::spawn_blocking(move || store.save(&key, &credential))
            .await
            .map_err(|e| {
                AuthError::Provider(crate::auth::ProviderProblem::StoreTask {
                    keeping: true,
                    detail: e.to_string(),
                })
            })??
    };
    Ok((
        TokenSource::login(key, credential, Some(store)),
        SignedIn {
            place: saved.place,
            new_file: saved.new_file,
            keyring_too_small: saved.keyring_too_small,
            file_chosen: saved.file_chosen,
        },
    ))
}

/// The token store, opened off the event loop (a keyring may take a moment
/// to answer over D-Bus).
async fn open_store(data_dir: Option<PathBuf>) -> Result<TokenStore, AuthError> {
    tokio::task::spawn_blocking(move || {
        TokenStore::open(Choice::from_env()?, data_dir.as_deref().map(Path::new))
    })
    .await
    .map_err(|e| {
        AuthError::Provider(crate::auth::ProviderProblem::StoreTask {
            keeping: false,
            detail: e.to_string(),
        })
    })?
    .map_err(AuthError::Store)
}

/// Opens a link in a browser, unless there is no graphical session to show
/// it in (over SSH a text browser would take over the wizard's terminal).
fn open_in_browser(url: &str) -> Result<String, OpenFailure> {
    // A variable set empty (`DISPLAY=`) names no display (stranger 64, BM3).
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let graphical = cfg!(any(target_os = "macos", target_os = "windows"))
        || set("DISPLAY")
        || set("WAYLAND_DISPLAY");
    if !graphical {
        return Err(OpenFailure::NoGraphicalSession(url.to_owned()));
    }
    open::that_detached(url)
        .map(|()| url.to_owned())
        .map_err(|e| OpenFailure::Failed {
            url: url.to_owned(),
            why: launcher_words(&crate::steps::sanitize(&e.to_string())),
        })
}

/// The open crate's words for a launcher that ran and failed, without its
/// debug text: `Launcher "gio" "open" "URL" failed with
/// ExitStatus(unix_wait_status(512))` is `gio exited with status 2`.
fn launcher_words(said: &str) -> String {
    let launcher = said
        .strip_prefix("Launcher \"")
        .and_then(|rest| rest.split('"').next());
    let status = said
        .split("unix_wait_status(")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse::<i32>().ok())
        .map(|raw| raw >> 8);
    match (launcher, status) {
        (Some(launcher), Some(code)) => format!("{launcher} exited with status {code}"),
        _ => said.to_owned(),
    }
}

/// A request task: waits for a place under way (see [`UNDER_WAY`]), then
/// makes the request (`make`'s future) and runs it; a panic in it answers
/// [`Msg::TaskFailed`], so the vehicle stops waiting and can ask again.
/// While it waits it holds only `make` (what it will ask), not the
/// request's state: [`tasks::caught`] boxes that when it starts.
async fn request_task<F, Fut>(
    under_way: Arc<Semaphore>,
    tx: UnboundedSender<Msg>,
    car: String,
    id: u64,
    make: F,
) where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Never closed; the place is given back when the request ends.
    let Ok(_place) = under_way.acquire_owned().await else {
        return;
    };
    if let Err(why) = tasks::caught(make()).await {
        let _ = tx.send(Msg::TaskFailed { car, id, why });
    }
}

/// Follows the board's lists together and forwards each update to the
/// vehicle it concerns: a list or "unchanged" to its own, a mode or an error
/// to every vehicle of the follower it came from.
async fn follow_board(
    gateway: Gateway,
    tx: UnboundedSender<Msg>,
    id: u64,
    lists: Vec<(String, String)>,
) {
    if let Err(why) = tasks::caught(forward_board(gateway, tx.clone(), id, &lists)).await {
        // Every vehicle of that follower stops watching and says why.
        for (car, _) in lists {
            let why = why.clone();
            if tx.send(Msg::TaskFailed { car, id, why }).is_err() {
                return;
            }
        }
    }
}

/// Forwards the updates of the followers of `lists`. The vehicles are
/// found by stepsID in `lists` itself: no copy of the ids is kept here.
async fn forward_board(
    gateway: Gateway,
    tx: UnboundedSender<Msg>,
    id: u64,
    lists: &[(String, String)],
) {
    // A stepsID may be given to more than one vehicle (a gateway's
    // mistake): each of them takes its updates.
    let mut car_of: HashMap<&str, Vec<&str>> = HashMap::with_capacity(lists.len());
    for (car, steps_id) in lists {
        car_of
            .entry(steps_id.as_str())
            .or_default()
            .push(car.as_str());
    }
    let steps_ids = lists.iter().map(|(_, steps_id)| steps_id.clone()).collect();
    let mut updates = live::follow_many(&gateway, steps_ids);
    let send = |car: &str, update| {
        tx.send(Msg::Live {
            car: car.to_owned(),
            id,
            update,
        })
        .is_ok()
    };
    // One vehicle takes the update as it is, not copied.
    let send_all = |cars: &[&str], update: live::LiveUpdate| match cars {
        [car] => send(car, update),
        cars => cars.iter().all(|car| send(car, update.clone())),
    };
    while let Some(live::GroupUpdate { lists, update }) = updates.next().await {
        let sent = match &update {
            live::LiveUpdate::List(list) => match list.steps_id.as_deref() {
                Some(steps_id) => car_of
                    .get(steps_id)
                    .is_none_or(|cars| send_all(cars, update)),
                None => true,
            },
            live::LiveUpdate::Unchanged { steps_id } => car_of
                .get(steps_id.as_str())
                .is_none_or(|cars| send_all(cars, update)),
            // One list refused for good: its vehicles alone are told, as
            // the end of their following, and take no later update of the
            // others (stranger 53, BB4).
            live::LiveUpdate::Dropped { steps_id, error } => {
                car_of.remove(steps_id.as_str()).is_none_or(|cars| {
                    send_all(
                        &cars,
                        live::LiveUpdate::Error {
                            error: error.clone(),
                            retrying: false,
                        },
                    )
                })
            }
            // One list's call in trouble: its vehicles alone are told.
            live::LiveUpdate::ListTrouble { steps_id, .. } => car_of
                .get(steps_id.as_str())
                .is_none_or(|cars| send_all(cars, update)),
            live::LiveUpdate::Mode(_) | live::LiveUpdate::Error { .. } => lists
                .iter()
                .filter_map(|s| car_of.get(s.as_str()))
                .flatten()
                .all(|car| send(car, update.clone())),
        };
        if !sent {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A launcher that failed is said by its name and exit status, never
    /// the open crate's debug text (stranger 64, BM3).
    #[test]
    fn a_failed_launcher_is_said_plainly() {
        let said = r#"Launcher "gio" "open" "http://127.0.0.1:1/g" failed with ExitStatus(unix_wait_status(512))"#;
        assert_eq!(launcher_words(said), "gio exited with status 2");
        assert_eq!(launcher_words("no such file"), "no such file");
    }

    /// A request task holds only what its request will ask until it has a
    /// place under way: ten thousand of them wait at once on a board.
    #[test]
    fn a_request_waiting_for_its_place_holds_little() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let task = request_task(
            Arc::new(Semaphore::new(1)),
            tx,
            "A1".to_owned(),
            1,
            || async {
                let room = [7u8; 4096];
                std::future::ready(()).await;
                std::hint::black_box(room);
            },
        );
        let size = std::mem::size_of_val(&task);
        assert!(size <= 256, "a waiting request task takes {size} bytes");
    }
}
