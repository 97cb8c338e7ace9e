//! stepwise: a terminal wizard through the service activation steps of a
//! connected vehicle, with a scriptable CLI and a faithful gateway simulator.

pub mod app;
pub mod auth;
pub mod backend;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod guidance;
pub mod logging;
pub mod protocol;
pub mod report;
pub mod sim;
pub mod steps;
pub mod text;
pub mod ui;
pub mod wizard;
