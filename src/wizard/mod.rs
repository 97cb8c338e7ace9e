//! The wizard: state, keymap, a pure update, the effect runner, and the event
//! loop that is the only code touching the terminal.

mod effects;
pub mod keymap;
pub mod state;
mod terminal;
pub mod update;

use std::path::PathBuf;
use std::time::SystemTime;

use crate::backend::Backend;
use crate::config::{Settings, recent_ids};
use crate::steps::StepsList;
pub use state::{Options, State};

/// How the wizard was asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub car: Option<String>,
    pub demo: bool,
    pub autoplay: bool,
    pub report: Option<PathBuf>,
}

/// A wizard on the steps screen of `car` with `list` just arrived, as after
/// the first request: where snapshots, benches and fuzzing start from.
pub fn loaded(options: Options, car: &str, list: StepsList, now: SystemTime) -> State {
    let mut state = State::new(options);
    let request = update::start(&mut state, Some(car.to_owned()), now)
        .into_iter()
        .find_map(|effect| match effect {
            state::Effect::FetchList { id, purpose, .. } => Some((id, purpose)),
            _ => None,
        });
    if let Some((id, purpose)) = request {
        let msg = state::Msg::Listed {
            id,
            purpose,
            result: Ok(list),
        };
        update::update(&mut state, state::Input::Msg(msg), now);
    }
    state
}

/// Runs the wizard to its end; writes `--report` after the terminal is
/// restored and returns where it went.
pub async fn run(settings: &Settings, launch: Launch) -> color_eyre::Result<Option<PathBuf>> {
    let backend = Backend::start(settings, launch.demo).await?;
    let demo = backend.is_demo();
    let options = Options {
        car: launch.car.clone(),
        demo,
        autoplay: launch.autoplay && demo,
        backend_label: backend.label(),
        docs_base_url: settings.docs_base_url.clone(),
        data_dir: settings.data_dir.clone(),
        recent: settings
            .data_dir
            .as_deref()
            .map(recent_ids)
            .unwrap_or_default(),
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut state = State::new(options);
    // A hands-free demo starts by itself, on a new customer.
    let car = match launch.car {
        None if state.autoplay => crate::sim::Scenario::built_in()
            .demo_car()
            .map(str::to_owned),
        car => car,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = effects::Runner::new(backend.gateway.clone(), tx);
    let first = update::start(&mut state, car, SystemTime::now());
    terminal::run(&mut state, first, &runner, &mut rx).await?;
    drop(backend);
    match launch.report {
        Some(path) => {
            state.log.write(&path).map_err(|e| {
                color_eyre::eyre::eyre!("cannot write the report to {}: {e}", path.display())
            })?;
            Ok(Some(path))
        }
        None => Ok(None),
    }
}
