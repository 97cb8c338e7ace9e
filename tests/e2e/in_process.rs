//! A simulator in this test process, on a runtime of its own, for tests
//! that run the binary against it.

use stepwise::config::Secret;
use stepwise::sim::{RunningSim, Scenario, spawn};
use tokio::runtime::Runtime;

pub struct Sim {
    pub running: RunningSim,
    _runtime: Runtime,
}

impl Sim {
    /// `scenario` served on loopback, wanting `token` when one is given.
    pub fn start(scenario: Scenario, token: Option<&str>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(spawn(scenario, token.map(Secret::new)))
            .expect("sim starts");
        Sim {
            running,
            _runtime: runtime,
        }
    }
}
