//! Command-line definitions: global `--api`/`--car`/`--token-file`/`--report`,
//! the subcommands, their environment fallbacks, and the checks that refuse
//! an option a subcommand would ignore.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::ENV_API;
use crate::net::ENV_CA_FILE;
use crate::steps::{MAX_ID_CHARS, StatusFilter, is_id};

/// The version and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("STEPWISE_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "stepwise",
    version = VERSION,
    about = "Walks a technician through the service activation steps of a connected vehicle",
    long_about = "Walks a technician through the service activation steps of a connected vehicle.\n\n\
        With no gateway configured (--api, STEPWISE_API or the config file), the wizard and the \
        steps/next commands use the embedded simulator.",
    after_help = "Exit codes of steps/next: 0 no returned step is todo, 3 a returned step is todo, \
        1 error, 2 bad usage. A subcommand refuses a global option it does not use."
)]
pub struct Cli {
    /// Base URL of the steps gateway, e.g. http://127.0.0.1:8080 (no user name or password in it)
    #[arg(long, global = true, env = ENV_API, value_name = "URL")]
    pub api: Option<String>,

    /// carAssociationID to open (letters, digits, - and _); repeat it for a board of several vehicles
    #[arg(long, global = true, value_name = "ID", value_parser = parse_id, action = clap::ArgAction::Append)]
    pub car: Vec<String>,

    /// File of carAssociationIDs: one per line (# starts a comment), or a CSV whose first column is the id
    #[arg(long, global = true, value_name = "FILE")]
    pub cars: Option<PathBuf>,

    /// Requests in flight at once to the gateway, for the whole board or all of --cars
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,

    /// File holding the gateway's bearer token, alone on one line
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Write the session report here on exit (.json gives JSON, else Markdown)
    #[arg(long, global = true, value_name = "PATH")]
    pub report: Option<PathBuf>,

    /// Language of the screens, guidance and plain output: en, fr, de, it,
    /// es, nl or pt (else STEPWISE_LANG, the config file's lang, the system
    /// locale, English)
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,

    #[command(flatten)]
    pub net: NetArgs,

    /// Whether `--api` was typed on the command line (not taken from STEPWISE_API).
    #[arg(skip)]
    pub api_typed: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How to reach a gateway on a dealership network.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct NetArgs {
    /// Also trust the authorities in this PEM file (else STEPWISE_CA_FILE,
    /// `ca_file` in the config file, SSL_CERT_FILE)
    #[arg(long, global = true, env = ENV_CA_FILE, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Present this client certificate (PEM; may hold the key too)
    #[arg(long, global = true, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM)
    #[arg(long, global = true, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
}

impl NetArgs {
    /// Flags win over the config file; a certificate given on the command
    /// line comes with its own key (or none), never the config file's.
    pub fn apply(&self, net: &mut crate::net::NetOptions) {
        if let Some(ca) = &self.ca_file {
            net.ca_file = Some(ca.clone());
        }
        if let Some(cert) = &self.client_cert {
            net.client_cert = Some(cert.clone());
            net.client_key = self.client_key.clone();
        } else if let Some(key) = &self.client_key {
            net.client_key = Some(key.clone());
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The wizard on the embedded simulator
    Demo {
        /// The simulated customer completes the next step every few seconds
        #[arg(long)]
        autoplay: bool,
        /// Start the demo backend over: forget its stepsIDs, caches and truths
        #[arg(long)]
        fresh: bool,
        /// Open the board with the demo backend's vehicles (or the given --car/--cars)
        #[arg(long)]
        board: bool,
    },
    /// The board: many vehicles at once, one row each (give them with --car, repeated, or --cars FILE)
    Fleet,
    /// Run the steps gateway simulator
    Serve {
        /// Address to listen on, HOST:PORT (a host name is resolved)
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = parse_addr)]
        addr: String,
        /// Scenario file (JSON); the built-in scenario otherwise
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Require this bearer token on every request (or give it with --token-file)
        #[arg(long, value_name = "TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Add N generated vehicles, F0001..., in varied states
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        fleet: Option<u32>,
        /// Every SECONDS, a random vehicle's next step completes
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        churn: Option<f64>,
        /// Serve HTTPS with a certificate generated at start (for localhost and 127.0.0.1)
        #[arg(long)]
        tls: bool,
        /// Write the authority (ca.pem), certificate and key there [default: the data directory's sim-tls]
        #[arg(long, value_name = "DIR", requires = "tls")]
        tls_dir: Option<PathBuf>,
        /// Demand client certificates signed by this authority (PEM)
        #[arg(long, value_name = "FILE", requires = "tls")]
        client_ca: Option<PathBuf>,
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
    /// Print the steps as a checklist (or JSON); exit 3 while a returned step is todo
    #[command(
        after_help = "With --status todo or alreadyDone only those steps are returned: the output \
            then says it is filtered and never claims the service is ready, and exit 0 only means \
            that no returned step is todo.\n\n\
            With several vehicles (--car repeated, or --cars FILE) each gets its block, or with \
            --json one JSON object per line (JSON Lines); exit 1 when any vehicle failed (stderr \
            names each), else 3 when any has a step to do, else 0."
    )]
    Steps {
        /// Refresh by stepsID instead of --car
        #[arg(long, value_name = "ID", value_parser = parse_id, conflicts_with = "car")]
        steps_id: Option<String>,
        /// Only steps with this status
        #[arg(long, value_enum, default_value_t = StatusArg::All, value_name = "STATUS")]
        status: StatusArg,
        /// Wipe the steps cache first (cures app errors 2312/2317)
        #[arg(long)]
        reset: bool,
        /// Print JSON instead of the checklist
        #[arg(long)]
        json: bool,
    },
    /// Check everything between this machine and a working wizard; exit 1 when a check fails
    Doctor {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions (bash, zsh, fish, powershell, elvish)
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `stepwise man > stepwise.1`
    Man,
    /// Print the next step to do; exit 3 while one remains
    #[command(
        after_help = "`order` is the gateway's next-step answer as sent: that answer numbers the \
            step it returns on its own (the SDK's gives 1), so it may differ from the order the \
            same step has in `stepwise steps`."
    )]
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

/// `--status` as typed; the domain's [`StatusFilter`] knows nothing of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    All,
    Todo,
    #[value(name = "alreadyDone", alias = "alreadydone", alias = "done")]
    AlreadyDone,
}

impl From<StatusArg> for StatusFilter {
    fn from(arg: StatusArg) -> Self {
        match arg {
            StatusArg::All => StatusFilter::All,
            StatusArg::Todo => StatusFilter::Todo,
            StatusArg::AlreadyDone => StatusFilter::AlreadyDone,
        }
    }
}

impl Cli {
    /// Parses `args` (the program name first), noting where `--api` came from.
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command().try_get_matches_from(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        cli.api_typed = matches!(matches.value_source("api"), Some(ValueSource::CommandLine));
        Ok(cli)
    }

    /// The subcommand's name as typed, or "the wizard".
    fn command_name(&self) -> &'static str {
        match self.command {
            None => "the wizard",
            Some(Command::Demo { .. }) => "demo",
            Some(Command::Fleet) => "fleet",
            Some(Command::Serve { .. }) => "serve",
            Some(Command::Steps { .. }) => "steps",
            Some(Command::Next { .. }) => "next",
            Some(Command::Login { .. }) => "login",
            Some(Command::Logout) => "logout",
            Some(Command::Auth { .. }) => "auth status",
            Some(Command::Doctor { .. }) => "doctor",
            Some(Command::Completions { .. }) => "completions",
            Some(Command::Man) => "man",
        }
    }

    /// A global option given to a subcommand that would ignore it, said in
    /// one line with why and what to do. `None` when every option is used.
    pub fn misused_option(&self) -> Option<String> {
        let name = self.command_name();
        let refuse = |option: &str, why: &str| Some(format!("{name} does not use {option}: {why}"));
        let api = self.api_typed && self.api.is_some();
        let car = !self.car.is_empty() || self.cars.is_some();
        let concurrency = self.concurrency.is_some();
        let car_option = if self.car.is_empty() {
            "--cars"
        } else {
            "--car"
        };
        let token_file = self.token_file.is_some();
        let report = self.report.is_some();
        match &self.command {
            None => None,
            Some(Command::Demo { .. }) if api => refuse(
                "--api",
                "it always runs on the embedded simulator. For a gateway run `stepwise --api URL`",
            ),
            Some(Command::Demo { .. }) if token_file => refuse(
                "--token-file",
                "the embedded simulator needs no token. For a gateway run `stepwise --api URL --token-file PATH`",
            ),
            Some(Command::Serve { .. }) if api => refuse(
                "--api",
                "it is the gateway. Point clients at its --addr instead",
            ),
            Some(Command::Serve { .. } | Command::Next { .. }) if concurrency => refuse(
                "--concurrency",
                "it makes no requests to a gateway of its own, or only one. Leave it out",
            ),
            Some(Command::Serve { .. }) if car => refuse(
                car_option,
                "the simulator answers for every car of its scenario (choose one with --scenario)",
            ),
            Some(Command::Serve { .. }) if report => refuse(
                "--report",
                "session reports come from the wizard. Leave it out",
            ),
            Some(Command::Serve { token: Some(_), .. }) if token_file => Some(
                "serve takes the token to require from --token or --token-file, not both"
                    .to_owned(),
            ),
            Some(Command::Serve {
                token: Some(token), ..
            }) if token.trim().is_empty() => Some(
                "serve --token is empty, which would require no token. Give the token, or leave \
                 out --token for a simulator open to all"
                    .to_owned(),
            ),
            Some(Command::Serve { .. })
                if self.net.client_cert.is_some() || self.net.client_key.is_some() =>
            {
                refuse(
                    "--client-cert/--client-key",
                    "they are what a client presents. To demand client certificates use serve --tls --client-ca FILE",
                )
            }
            Some(Command::Doctor { .. }) if report => refuse(
                "--report",
                "it prints its report instead. Use --json and redirect it to keep it",
            ),
            Some(Command::Steps { .. } | Command::Next { .. }) if report => refuse(
                "--report",
                "it prints its result instead. Redirect it to keep it, e.g. `--json > steps.json`",
            ),
            Some(Command::Login { .. } | Command::Logout | Command::Auth { .. }) if car => refuse(
                "--car",
                "signing in is per gateway, not per car. Leave it out",
            ),
            Some(Command::Login { .. } | Command::Logout | Command::Auth { .. }) if report => {
                refuse(
                    "--report",
                    "session reports come from the wizard. Leave it out",
                )
            }
            Some(Command::Next { .. }) if car => refuse(
                car_option,
                "it asks by --steps-id only. Get a stepsID with `stepwise steps --car ID`",
            ),
            Some(Command::Serve { churn: Some(_), fleet: None, .. }) => Some(
                "serve --churn needs --fleet N: it completes steps of the generated vehicles' kind. \
                 Add e.g. --fleet 200"
                    .to_owned(),
            ),
            Some(Command::Steps {
                steps_id: Some(_), ..
            }) if self.cars.is_some() => refuse(
                "--cars",
                "--steps-id asks for one list. Leave out one of them",
            ),
            Some(_) => None,
        }
    }
}

/// `--churn`: a number of seconds, at least a tenth.
fn parse_seconds(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && (0.1..=86_400.0).contains(&secs) => Ok(secs),
        _ => Err("give a number of seconds from 0.1 to 86400, e.g. 2".to_owned()),
    }
}

/// Ids are trimmed (pasted text brings spaces) and checked.
fn parse_id(raw: &str) -> Result<String, String> {
    let id = raw.trim();
    if is_id(id) {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "an id is 1 to {MAX_ID_CHARS} letters, digits, '-' or '_'"
        ))
    }
}

/// `HOST:PORT`, the host an IP address (IPv6 in brackets) or a name resolved
/// when the simulator starts.
fn parse_addr(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let usage = "give HOST:PORT, e.g. 127.0.0.1:8080, localhost:8080 or [::1]:8080";
    let Some((host, port)) = raw.rsplit_once(':') else {
        return Err(format!("it has no port; {usage}"));
    };
    if port.parse::<u16>().is_err() {
        return Err(format!("the port is not a number from 0 to 65535; {usage}"));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let is_name = !bare.is_empty()
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if is_name || bare.parse::<std::net::IpAddr>().is_ok() {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "the host is not an address or a host name; {usage}"
        ))
    }
}

/// Checks `--report PATH` before the session starts, so that a path that
/// cannot be written fails at once instead of losing the session at exit.
pub fn check_report_path(path: &Path) -> Result<(), String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(format!(
            "--report {shown} is a folder. Give a file name in it, e.g. {}",
            path.join("session.md").display()
        ));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if parent.exists() && !parent.is_dir() {
        return Err(format!(
            "--report {shown}: {} is not a folder. Choose another path",
            parent.display()
        ));
    }
    if !parent.is_dir() {
        return Err(format!(
            "--report {shown}: the folder {} does not exist. Create it or choose another path",
            parent.display()
        ));
    }
    let existed = path.exists();
    match std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
    {
        Ok(_) => {
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(format!(
            "--report {shown} cannot be written ({}). Choose a path you can write to",
            e.kind()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_args(["stepwise", "steps", "--car", " 987654 ", "--json"]).unwrap();
        assert_eq!(cli.car, ["987654"]);
        assert!(matches!(
            cli.command,
            Some(Command::Steps { json: true, .. })
        ));
        assert!(Cli::try_parse_args(["stepwise", "--car", "a b"]).is_err());
        let cli = Cli::try_parse_args(["stepwise", "fleet", "--car", "A1", "--car", "B2"]).unwrap();
        assert_eq!(cli.car, ["A1", "B2"]);
        assert!(matches!(cli.command, Some(Command::Fleet)));
        assert!(Cli::try_parse_args(["stepwise", "steps", "--status", "bogus"]).is_err());
    }

    #[test]
    fn status_spellings_map_to_the_domain_filter() {
        for (typed, filter) in [
            ("all", StatusFilter::All),
            ("todo", StatusFilter::Todo),
            ("alreadyDone", StatusFilter::AlreadyDone),
            ("alreadydone", StatusFilter::AlreadyDone),
            ("done", StatusFilter::AlreadyDone),
        ] {
            let cli = Cli::try_parse_args(["stepwise", "steps", "--status", typed]).unwrap();
            let Some(Command::Steps { status, .. }) = cli.command else {
                panic!("steps parsed as {:?}", cli.command);
            };
            assert_eq!(StatusFilter::from(status), filter, "{typed}");
        }
    }

    #[test]
    fn an_api_typed_after_the_subcommand_counts_as_typed() {
        let cli = Cli::try_parse_args(["stepwise", "demo", "--api", "http://127.0.0.1:1"]).unwrap();
        assert!(cli.api_typed);
        let msg = cli.misused_option().unwrap();
        assert!(msg.starts_with("demo does not use --api"), "{msg}");
    }

    #[test]
    fn addresses_take_names_and_ip_literals() {
        for ok in [
            "127.0.0.1:8080",
            "localhost:0",
            "[::1]:80",
            "gw.example:8080",
        ] {
            assert!(parse_addr(ok).is_ok(), "{ok}");
        }
        for bad in ["localhost", "127.0.0.1:99999", ":80", "a b:80", "[::1]:x"] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
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
