//! The effect runner: carries out what the update asked for on tokio tasks,
//! each reporting back as a [`Msg`]. Effects carry all they need; the runner
//! keeps one handle per vehicle and aborts a request its answer no longer
//! matters to (a newer request, back to the start screen).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::client::Gateway;
use crate::wizard::state::{DemoCar, Effect, Msg, OpenFailure};

pub struct Runner {
    gateway: Arc<Gateway>,
    tx: UnboundedSender<Msg>,
    /// The request task of each vehicle, by carAssociationID.
    requests: HashMap<String, JoinHandle<()>>,
}

impl Runner {
    pub fn new(gateway: Gateway, tx: UnboundedSender<Msg>) -> Self {
        Runner {
            gateway: Arc::new(gateway),
            tx,
            requests: HashMap::new(),
        }
    }

    /// Starts a vehicle's request, aborting the one it supersedes.
    fn request(&mut self, car: String, task: impl Future<Output = ()> + Send + 'static) {
        if let Some(old) = self.requests.insert(car, tokio::spawn(task)) {
            old.abort();
        }
    }

    /// Starts an effect; it never blocks the event loop.
    pub fn run(&mut self, effect: Effect) {
        let gateway = Arc::clone(&self.gateway);
        let tx = self.tx.clone();
        // A send fails only when the loop has ended, and then nobody waits.
        match effect {
            Effect::FetchList {
                car,
                id,
                request,
                purpose,
            } => self.request(car.clone(), async move {
                let result = gateway.list(&request).await;
                let _ = tx.send(Msg::Listed {
                    car,
                    id,
                    purpose,
                    result,
                });
            }),
            Effect::FetchNext { car, id, steps_id } => self.request(car.clone(), async move {
                let result = gateway.next_step(&steps_id).await;
                let _ = tx.send(Msg::Next { car, id, result });
            }),
            Effect::Complete { car, id, step } => self.request(car.clone(), async move {
                let result = gateway.sim_complete(&car, &step).await;
                let _ = tx.send(Msg::Completed {
                    car,
                    id,
                    step,
                    result,
                });
            }),
            Effect::Cancel { car } => {
                if let Some(task) = self.requests.remove(&car) {
                    task.abort();
                }
            }
            Effect::ProbePages => {
                tokio::spawn(async move {
                    let _ = tx.send(Msg::PagesOffered(gateway.offers_guidance_pages().await));
                });
            }
            Effect::LoadDemoCars => {
                tokio::spawn(async move {
                    let cars = gateway.sim_associations().await.map(|list| {
                        list.into_iter()
                            .map(|a| DemoCar {
                                id: a.car_association_id,
                                label: a.label,
                            })
                            .collect()
                    });
                    let _ = tx.send(Msg::DemoCars(cars));
                });
            }
            Effect::RememberId { data_dir, id } => {
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = crate::config::remember_id(&data_dir, &id) {
                        tracing::warn!("cannot remember the id: {e}");
                    }
                });
            }
            Effect::OpenUrl(url) => {
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::Opened(open_in_browser(&url)));
                });
            }
            Effect::WriteReport { path, log } => {
                tokio::task::spawn_blocking(move || {
                    let result = log
                        .write(&path)
                        .map(|()| path.clone())
                        .map_err(|e| (path.clone(), e.to_string()));
                    let _ = tx.send(Msg::ReportWritten(result));
                });
            }
            #[cfg(debug_assertions)]
            Effect::Panic => panic!("test panic requested with STEPWISE_TEST_PANIC"),
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        for task in self.requests.values() {
            task.abort();
        }
    }
}

/// Opens a link in a browser, unless there is no graphical session to show
/// it in (over SSH a text browser would take over the wizard's terminal).
fn open_in_browser(url: &str) -> Result<String, OpenFailure> {
    let graphical = cfg!(any(target_os = "macos", target_os = "windows"))
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !graphical {
        return Err(OpenFailure::NoGraphicalSession(url.to_owned()));
    }
    open::that_detached(url)
        .map(|()| url.to_owned())
        .map_err(|e| OpenFailure::Failed {
            url: url.to_owned(),
            why: crate::steps::sanitize(&e.to_string()),
        })
}
