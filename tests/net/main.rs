//! The in-process HTTP tests: the client, the live follower, the board's
//! loading and sign-in against the simulator or a hostile server of the
//! tests' own, all on loopback inside this process.
//!
//! One test binary for the group, each former test file a module.

// The end-to-end tests' loopback servers; this group uses a few.
#[allow(dead_code)]
#[path = "../common/canned.rs"]
mod canned;
#[path = "../common/live.rs"]
mod live;
#[path = "../common/wait.rs"]
mod wait;

mod auth;
mod board_live;
mod board_load;
mod guidance_pages;
mod hostile_servers;
mod hostile_words;
mod live_hostile;
mod live_sim;
mod openapi;
mod sim_contract;
mod sim_kept;
mod sim_load;

/// A plain HTTP client for the tests' own calls, with the crypto provider
/// stepwise installs for its own clients.
fn http() -> reqwest::Client {
    stepwise::net::install_provider();
    reqwest::Client::new()
}
