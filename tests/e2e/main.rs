//! The end-to-end tests: the real `stepwise` binary, in a pseudo-terminal
//! (the wizard's journeys) or as a command (the CLI, doctor, sign-in,
//! install), against `stepwise serve` or servers of the tests' own.
//!
//! One test binary for the group, each former test file a module.

#[path = "../common/canned.rs"]
mod canned;
#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/pty.rs"]
mod pty;
#[path = "../common/wait.rs"]
mod wait;

mod cli;
mod cli_board;
mod cli_errors_lang;
mod cli_lang;
mod cli_words;
mod doctor;
mod in_process;
mod install;
mod journeys;
mod journeys_board;
mod journeys_lang;
mod login;
mod net_tls;
mod secrets;
mod sim_demo_state;
