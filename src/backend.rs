//! Chooses the backend: the configured gateway, or the embedded simulator on a
//! loopback port so that demos go through the production code path.

use std::path::{Path, PathBuf};

use crate::client::{ClientOptions, Gateway, GatewayError};
use crate::config::Settings;
use crate::sim::{RunningSim, Scenario};

/// The file in the data directory where the embedded demo backend keeps its
/// state between runs.
pub fn demo_state_file(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-state.json")
}

/// Whether the embedded simulator can save its state in `file` (one that
/// exists) now: under the lock it takes, the file is written back as it
/// is, atomically, as every change writes it.
pub fn demo_state_writable(file: &Path) -> std::io::Result<()> {
    let _held = crate::sim::lock_file(file)?;
    let text = std::fs::read(file)?;
    crate::files::write_atomically(file, &text)
}

/// A demo state file that could not be removed.
#[derive(Debug)]
pub struct ForgetError {
    file: PathBuf,
    error: std::io::Error,
}

impl ForgetError {
    pub fn words(&self, lang: crate::text::Lang) -> String {
        crate::tr!(
            lang,
            "demo-fresh-failed",
            path = self.file.display().to_string(),
            error = crate::files::unreadable_words(lang, &self.error)
        )
    }
}

/// `demo --fresh`: the embedded demo backend forgets what it learnt.
pub fn forget_demo_state() -> Result<(), ForgetError> {
    let Some(dir) = crate::config::data_dir() else {
        return Ok(());
    };
    for file in [demo_state_file(&dir), demo_board_state_file(&dir)] {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(ForgetError { file, error }),
        }
    }
    Ok(())
}

/// A gateway client, and the embedded simulator behind it in demo mode.
pub struct Backend {
    pub gateway: Gateway,
    demo: Option<RunningSim>,
    /// The scenario the embedded simulator holds.
    scenario: Option<Scenario>,
}

/// Vehicles the embedded demo backend adds for a board demo.
pub const DEMO_FLEET: usize = 20;

/// The file where the board demo's backend keeps its state (apart from the
/// single-vehicle demo's, whose scenario differs).
pub fn demo_board_state_file(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-board-state.json")
}

impl Backend {
    /// Connects to `settings.api`, or starts the embedded simulator when none
    /// is configured or `force_demo` is set.
    pub async fn start(settings: &Settings, force_demo: bool) -> Result<Self, GatewayError> {
        Self::start_with(settings, force_demo, ClientOptions::default(), 0).await
    }

    /// As [`Backend::start`], with the client's limits (such as how many
    /// requests may be in flight at once) and, for a board demo, a fleet of
    /// `demo_fleet` generated vehicles in the embedded simulator.
    pub async fn start_with(
        settings: &Settings,
        force_demo: bool,
        options: ClientOptions,
        demo_fleet: usize,
    ) -> Result<Self, GatewayError> {
        let (url, demo, scenario, demo_file) = match (&settings.api, force_demo) {
            (Some(api), false) => (api.clone(), None, None, None),
            _ => {
                let (scenario, state_file) = if demo_fleet > 0 {
                    (
                        Scenario::built_in().with_fleet(demo_fleet),
                        settings.data_dir.as_deref().map(demo_board_state_file),
                    )
                } else {
                    (
                        Scenario::built_in(),
                        settings.data_dir.as_deref().map(demo_state_file),
                    )
                };
                // Its state goes to the data folder: one that cannot be
                // made (a file in the way, no right to write) is said now,
                // not as a failing gateway's 507 at the first call.
                if let Some(folder) = state_file.as_deref().and_then(Path::parent)
                    && let Err(e) = crate::files::private_dir(folder)
                {
                    return Err(GatewayError::DemoState {
                        folder: folder.display().to_string(),
                        detail: e.to_string(),
                    });
                }
                let sim = crate::sim::spawn_demo(scenario.clone(), state_file.clone())
                    .await
                    .map_err(|e| GatewayError::DemoUnavailable(e.to_string()))?;
                (sim.url(), Some(sim), Some(scenario), state_file)
            }
        };
        // The embedded simulator needs no token: never send the user's token to it.
        let token = if demo.is_some() {
            None
        } else {
            settings.token.clone()
        };
        // The embedded simulator is reached directly, never through a proxy.
        let options = ClientOptions {
            net: if demo.is_some() {
                crate::net::NetOptions::default()
            } else {
                settings.net.clone()
            },
            ..options
        };
        let token_from = token.as_ref().and(settings.token_from);
        let mut gateway = Gateway::new(&url, settings.device_id.clone(), token, options)?
            .with_token_from(token_from)
            .with_demo_state(demo_file);
        if demo.is_some() {
            gateway = gateway.embedded();
        }
        // A kept login (`stepwise login`) when no other token wins over it.
        if let (None, None, Some(login)) = (&demo, &settings.token, &settings.login) {
            gateway = gateway
                .with_token_source(login.source())
                .with_token_from(Some(crate::config::TokenFrom::Login));
        }
        Ok(Backend {
            gateway,
            demo,
            scenario,
        })
    }

    /// Each demo vehicle's steps as the scenario starts them (name, done);
    /// empty on a gateway.
    pub fn demo_start(&self) -> std::collections::HashMap<String, Vec<(String, bool)>> {
        self.scenario
            .iter()
            .flat_map(|s| &s.associations)
            .map(|a| {
                let steps = a.steps.iter().map(|s| (s.name.clone(), s.done)).collect();
                (a.car_association_id.clone(), steps)
            })
            .collect()
    }

    /// The association a hands-free demo opens (a new customer), on the
    /// embedded simulator only.
    pub fn demo_car(&self) -> Option<String> {
        self.demo
            .as_ref()
            .and_then(|_| Scenario::built_in().demo_car().map(str::to_owned))
    }

    /// The built-in associations of the embedded simulator (its generated
    /// fleet left out), to name where an id it does not know is asked.
    pub fn demo_ids(&self) -> Vec<String> {
        let Some(scenario) = self.scenario.as_ref().filter(|_| self.demo.is_some()) else {
            return Vec::new();
        };
        scenario
            .associations
            .iter()
            .map(|a| a.car_association_id.clone())
            .filter(|id| !id.starts_with('F'))
            .collect()
    }

    /// The generated vehicles of the embedded simulator (or, without a
    /// fleet, its associations), for a board demo.
    pub fn demo_cars(&self) -> Vec<String> {
        let Some(scenario) = self.scenario.as_ref().filter(|_| self.demo.is_some()) else {
            return Vec::new();
        };
        let fleet: Vec<String> = scenario
            .associations
            .iter()
            .map(|a| a.car_association_id.clone())
            .filter(|id| id.starts_with('F'))
            .collect();
        if fleet.is_empty() {
            scenario
                .associations
                .iter()
                .map(|a| a.car_association_id.clone())
                .collect()
        } else {
            fleet
        }
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// How the backend is named on screen and in reports, in `lang`.
    pub fn label(&self, lang: crate::text::Lang) -> String {
        if self.is_demo() {
            crate::tr!(lang, "backend-demo")
        } else {
            self.gateway.base().trim_end_matches('/').to_owned()
        }
    }
}
