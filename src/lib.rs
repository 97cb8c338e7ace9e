//! stepwise: a terminal wizard through the service activation steps of a
//! connected vehicle, with a scriptable CLI and a faithful gateway simulator.

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod backend;
pub mod cars;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod describe;
pub mod doctor;
pub mod files;
pub mod fingerprints;
pub mod guidance;
pub mod locale;
pub mod logging;
pub mod net;
pub mod pace;
pub mod pages;
pub mod report;
pub mod secret;
pub mod serve;
pub mod shell;
pub mod signin;
pub mod sim;
pub mod steps;
pub mod text;
pub mod ui;
pub mod wire;
pub mod wizard;
