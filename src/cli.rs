//! Command-line definitions: global `--api`/`--car`/`--token-file`, the
//! subcommands, and their environment fallbacks.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{ENV_API, is_car_id};
use crate::steps::StatusFilter;

#[derive(Debug, Parser)]
#[command(
    name = "stepwise",
    version,
    about = "Walks a technician through the service activation steps of a connected vehicle",
    long_about = "Walks a technician through the service activation steps of a connected vehicle.\n\n\
        With no gateway configured (--api, STEPWISE_API or the config file), the wizard and the \
        steps/next commands use the embedded simulator.",
    after_help = "Exit codes of steps/next: 0 nothing left to do, 3 steps to do, 1 error, 2 bad usage."
)]
pub struct Cli {
    /// Base URL of the steps gateway, e.g. http://127.0.0.1:8080
    #[arg(long, global = true, env = ENV_API, value_name = "URL")]
    pub api: Option<String>,

    /// carAssociationID to open (letters, digits, - and _)
    #[arg(long, global = true, value_name = "ID", value_parser = parse_id)]
    pub car: Option<String>,

    /// File holding the gateway's bearer token (first line)
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Write the session report here on exit (.json gives JSON, else Markdown)
    #[arg(long, global = true, value_name = "PATH")]
    pub report: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The wizard on the embedded simulator
    Demo {
        /// The simulated customer completes the next step every few seconds
        #[arg(long)]
        autoplay: bool,
    },
    /// Run the steps gateway simulator
    Serve {
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        addr: SocketAddr,
        /// Scenario file (JSON); the built-in scenario otherwise
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Require this bearer token on every request
        #[arg(long, value_name = "TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Also be the identity provider: device sign-in (`stepwise login`),
        /// expiring tokens, POST /sim/device/CODE/approve or /deny
        #[arg(long, value_enum, value_name = "MODE")]
        auth: Option<AuthMode>,
        /// Lifetime of the tokens it issues, in seconds
        #[arg(long, value_name = "SECONDS", requires = "auth", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
        token_ttl: u64,
    },
    /// Sign in to the gateway (--api) with a code approved in a browser
    Login {
        /// Read one token from standard input instead: piped, or pasted at a
        /// prompt that does not show it (never from an argument)
        #[arg(long)]
        with_token: bool,
    },
    /// Forget the token kept for the gateway (--api)
    Logout,
    /// The sign-in: who, where the token is kept, when it expires
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// Print the steps as a checklist (or JSON); exit 3 while steps remain
    Steps {
        /// Refresh by stepsID instead of --car
        #[arg(long, value_name = "ID", value_parser = parse_id, conflicts_with = "car")]
        steps_id: Option<String>,
        /// Only steps with this status
        #[arg(long, value_enum, default_value_t = StatusFilter::All, value_name = "STATUS")]
        status: StatusFilter,
        /// Wipe the steps cache first (cures app errors 2312/2317)
        #[arg(long)]
        reset: bool,
        /// Print JSON instead of the checklist
        #[arg(long)]
        json: bool,
    },
    /// Print the next step to do; exit 3 while one remains
    Next {
        #[arg(long, value_name = "ID", value_parser = parse_id)]
        steps_id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

/// How the simulator signs clients in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// OAuth 2.0 device authorization (RFC 8628)
    Device,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Says the gateway, where the token is kept and when it expires (never
    /// the token); exit 0 with a usable token, 1 without
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

/// Ids are trimmed (pasted text brings spaces) and checked.
fn parse_id(raw: &str) -> Result<String, String> {
    let id = raw.trim();
    if is_car_id(id) {
        Ok(id.to_owned())
    } else {
        Err("an id is 1 to 64 letters, digits, '-' or '_'".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["stepwise", "steps", "--car", " 987654 ", "--json"]).unwrap();
        assert_eq!(cli.car.as_deref(), Some("987654"));
        assert!(matches!(
            cli.command,
            Some(Command::Steps { json: true, .. })
        ));
        assert!(Cli::try_parse_from(["stepwise", "--car", "a b"]).is_err());
        assert!(Cli::try_parse_from(["stepwise", "steps", "--status", "bogus"]).is_err());
    }

    #[test]
    fn sign_in_commands_parse() {
        let cli = Cli::try_parse_from(["stepwise", "login", "--api", "http://x"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Login { with_token: false })
        ));
        assert!(Cli::try_parse_from(["stepwise", "login", "--with-token", "abc"]).is_err());
        let cli = Cli::try_parse_from(["stepwise", "auth", "status", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Auth {
                command: AuthCommand::Status { json: true }
            })
        ));
        assert!(Cli::try_parse_from(["stepwise", "serve", "--token-ttl", "5"]).is_err());
        assert!(
            Cli::try_parse_from(["stepwise", "serve", "--auth", "device", "--token-ttl", "5"])
                .is_ok()
        );
    }
}
