//! The effect runner: carries out what the update asked for on tokio tasks,
//! each reporting back as a [`Msg`].

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::state::{Effect, Msg, State};
use crate::client::Gateway;

pub struct Runner {
    gateway: Arc<Gateway>,
    tx: UnboundedSender<Msg>,
}

impl Runner {
    pub fn new(gateway: Gateway, tx: UnboundedSender<Msg>) -> Self {
        Runner {
            gateway: Arc::new(gateway),
            tx,
        }
    }

    /// Starts an effect; it never blocks the event loop.
    pub fn run(&self, effect: Effect, state: &State) {
        let gateway = Arc::clone(&self.gateway);
        let tx = self.tx.clone();
        // A send fails only when the loop has ended, and then nobody waits.
        match effect {
            Effect::FetchList {
                id,
                request,
                purpose,
            } => {
                tokio::spawn(async move {
                    let result = gateway.list(&request).await;
                    let _ = tx.send(Msg::Listed {
                        id,
                        purpose,
                        result,
                    });
                });
            }
            Effect::FetchNext { id, steps_id } => {
                tokio::spawn(async move {
                    let result = gateway.next_step(&steps_id).await;
                    let _ = tx.send(Msg::Next { id, result });
                });
            }
            Effect::Complete { id, car, step } => {
                tokio::spawn(async move {
                    let result = gateway.sim_complete(&car, &step).await;
                    let _ = tx.send(Msg::Completed { id, step, result });
                });
            }
            Effect::LoadAssociations => {
                tokio::spawn(async move {
                    let _ = tx.send(Msg::Associations(gateway.sim_associations().await));
                });
            }
            Effect::RememberId(id) => {
                if let Some(dir) = state.data_dir.clone() {
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = crate::config::remember_id(&dir, &id) {
                            tracing::warn!("cannot remember the id: {e}");
                        }
                    });
                }
            }
            Effect::OpenUrl(url) => {
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::Opened(open_in_browser(&url)));
                });
            }
            Effect::WriteReport(path) => {
                let log = state.log.clone();
                tokio::task::spawn_blocking(move || {
                    let result = log
                        .write(&path)
                        .map(|()| path.clone())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()));
                    let _ = tx.send(Msg::ReportWritten(result));
                });
            }
            #[cfg(debug_assertions)]
            Effect::Panic => panic!("test panic requested with STEPWISE_TEST_PANIC"),
        }
    }
}

/// Opens a link in a browser, unless there is no graphical session to show
/// it in (over SSH a text browser would take over the wizard's terminal).
fn open_in_browser(url: &str) -> Result<String, String> {
    let graphical = cfg!(any(target_os = "macos", target_os = "windows"))
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !graphical {
        return Err(format!(
            "no graphical session here. Open {url} on another device, or press g for its QR code"
        ));
    }
    open::that_detached(url)
        .map(|()| url.to_owned())
        .map_err(|e| format!("{e}. Open {url} by hand, or press g for its QR code"))
}
