//! The wizard's pure core: screens with their data, the vehicle session, the
//! one keymap and the update. Nothing here touches the terminal, the network
//! or the clock: the app module runs it.

pub mod board;
pub mod keymap;
pub mod session;
pub mod start;
pub mod state;
pub mod update;

use std::time::SystemTime;

use crate::steps::StepsList;
pub use state::{Options, State};

/// A wizard on the steps screen of `car` with `list` just arrived, as after
/// the first request: where snapshots, benches and fuzzing start from.
pub fn loaded(options: Options, car: &str, list: StepsList, now: SystemTime) -> State {
    let mut state = State::new(options);
    let request = update::start(&mut state, Some(car.to_owned()), now)
        .into_iter()
        .find_map(|effect| match effect {
            state::Effect::FetchList {
                car, id, purpose, ..
            } => Some((car, id, purpose)),
            _ => None,
        });
    if let Some((car, id, purpose)) = request {
        let msg = state::Msg::Listed {
            car,
            id,
            purpose,
            result: Ok(list),
        };
        update::update(&mut state, state::Input::Msg(msg), now);
    }
    state
}
