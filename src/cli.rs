//! Command-line definitions: global `--api`/`--car`/`--token-file`/`--report`,
//! the subcommands, their environment fallbacks, and the checks that refuse
//! an option a subcommand would ignore.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::ENV_API;
use crate::net::ENV_CA_FILE;
use crate::steps::{MAX_ID_CHARS, StatusFilter, is_id};
use crate::text::{self, Lang};
use crate::tr;

/// The version and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("STEPWISE_COMMIT"),
    ")"
);

/// The command line. What `--help` says of each command and option is not
/// here but in the catalogue (`help-cli-<command>-<option>`), put in place by
/// [`command`]; the comments below are for readers of the code.
#[derive(Debug, Parser)]
#[command(
    name = "stepwise",
    version = VERSION
)]
pub struct Cli {
    // Base URL of the steps gateway, e.g. http://127.0.0.1:8080 (no user name or password in it)
    #[arg(long, global = true, env = ENV_API, value_name = "URL")]
    pub api: Option<String>,

    // carAssociationID to open (letters a–z, A–Z, digits, - and _); repeat it for a board of several vehicles (doctor takes one)
    #[arg(long, global = true, value_name = "ID", value_parser = parse_id_en, action = clap::ArgAction::Append)]
    pub car: Vec<String>,

    // File of carAssociationIDs: one per line (# starts a comment), or a CSV whose first column is the id
    #[arg(long, global = true, value_name = "FILE")]
    pub cars: Option<PathBuf>,

    // Requests in flight at once to the gateway, for the whole board or all of --cars
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,

    // File holding the gateway's bearer token, alone on one line
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    // Write the session report here on exit (.json gives JSON, else Markdown)
    #[arg(long, global = true, value_name = "PATH")]
    pub report: Option<PathBuf>,

    // Language of the screens, guidance and plain output: en, fr, de, it,
    // es, nl, pt-BR (pt) or pt-PT (else STEPWISE_LANG, the config file's
    // lang, the system locale, English)
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
    // Also trust the authorities in this PEM file (else STEPWISE_CA_FILE,
    // `ca_file` in the config file, SSL_CERT_FILE)
    #[arg(long, global = true, env = ENV_CA_FILE, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    // Present this client certificate (PEM; may hold the key too)
    #[arg(long, global = true, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,

    // The client certificate's private key (PEM)
    #[arg(long, global = true, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
}

impl NetArgs {
    /// Flags win over the config file; a certificate given on the command
    /// line comes with its own key (or none), never the config file's.
    pub fn apply(&self, net: &mut crate::net::NetOptions) {
        if let Some(ca) = &self.ca_file {
            net.ca_file = Some(ca.clone());
            // clap takes STEPWISE_CA_FILE for the flag: the same path there
            // means the variable gave it (or both did).
            let from_env = std::env::var_os(ENV_CA_FILE).is_some_and(|v| v == *ca.as_os_str());
            net.ca_from = if from_env {
                crate::net::CaFrom::Env
            } else {
                crate::net::CaFrom::Flag
            };
        }
        if let Some(cert) = &self.client_cert {
            net.client_cert = Some(cert.clone());
            net.client_key = self.client_key.clone();
            net.client_from_config = false;
        } else if let Some(key) = &self.client_key {
            net.client_key = Some(key.clone());
            net.client_from_config = false;
        }
    }
}

/// `steps --cars`: the whole run's bound unless `--deadline` says otherwise.
pub const DEFAULT_DEADLINE_SECS: u64 = 300;

#[derive(Debug, Subcommand)]
pub enum Command {
    // The wizard on the embedded simulator
    Demo {
        // The simulated customer completes the next step every few seconds
        #[arg(long)]
        autoplay: bool,
        // Start the demo backend over: forget its stepsIDs, caches and truths
        #[arg(long)]
        fresh: bool,
        // Open the board with the demo backend's vehicles (or the given --car/--cars)
        #[arg(long)]
        board: bool,
    },
    // The board: many vehicles at once, one row each (give them with --car, repeated, or --cars FILE)
    Fleet,
    // Run the steps gateway simulator
    Serve {
        // Address to listen on, HOST:PORT (a host name is resolved)
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = parse_addr_en)]
        addr: String,
        // Scenario file (JSON); the built-in scenario otherwise
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        // Require this bearer token on every request; every user of the machine sees it
        // in `ps`: prefer --token-file or STEPWISE_SERVE_TOKEN
        #[arg(long, value_name = "TOKEN", env = "STEPWISE_SERVE_TOKEN")]
        token: Option<String>,
        // Add N generated vehicles, F0001..., in varied states
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        fleet: Option<u32>,
        // Every SECONDS, the next step of a random generated vehicle (F0001…)
        // completes; the built-in ones are left to play by hand
        #[arg(long, allow_negative_numbers = true, value_name = "SECONDS", value_parser = parse_seconds_en)]
        churn: Option<f64>,
        // End each event stream after its first N events (for tools that need an answer that ends)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        stream_events: Option<u32>,
        // Print one line per request on standard output: time, method, path, status, duration
        #[arg(long)]
        log: bool,
        // Serve HTTPS with a certificate generated at start (for localhost and 127.0.0.1)
        #[arg(long)]
        tls: bool,
        // Write the authority (ca.pem), certificate and key there [default: the data directory's sim-tls]
        #[arg(long, value_name = "DIR", requires = "tls")]
        tls_dir: Option<PathBuf>,
        // Demand client certificates signed by this authority (PEM)
        #[arg(long, value_name = "FILE", requires = "tls")]
        client_ca: Option<PathBuf>,
        // Also be the identity provider (`stepwise login`): registered
        // clients, scopes, the device and authorization code (PKCE) grants,
        // rotating refresh tokens, revocation
        #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, default_missing_value = "device")]
        auth: Option<AuthMode>,
        // Lifetime of the tokens it issues, in seconds
        #[arg(long, value_name = "SECONDS", requires = "auth", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
        token_ttl: u64,
        // A client id the identity provider knows (repeat it; default: stepwise)
        #[arg(long, value_name = "ID", requires = "auth", action = clap::ArgAction::Append)]
        client_id: Vec<String>,
    },
    // Sign in to the gateway (--api) with a code approved in a browser
    Login {
        // Read one token from standard input instead: piped, or pasted at a
        // prompt that does not show it (never from an argument)
        #[arg(long)]
        with_token: bool,
        #[command(flatten)]
        signin: SignInArgs,
    },
    // Revoke the login at the identity provider where it offers revocation, and forget the token kept for the gateway (--api)
    Logout {
        // Forget the login here even when the identity provider cannot be reached to revoke it
        #[arg(long)]
        forget: bool,
    },
    // The sign-in: who, where the token is kept, when it expires
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
    // Print the steps as a checklist (or JSON); exit 3 while a returned step is todo
    Steps {
        // Refresh by stepsID instead of --car
        #[arg(long, value_name = "ID", value_parser = parse_id_en, conflicts_with = "car")]
        steps_id: Option<String>,
        // Only steps with this status
        #[arg(long, value_enum, default_value_t = StatusArg::All, value_name = "STATUS")]
        status: StatusArg,
        // Wipe the steps cache first (cures app errors 2312/2317)
        #[arg(long)]
        reset: bool,
        // Print JSON instead of the checklist
        #[arg(long)]
        json: bool,
        // Stop waiting after this many seconds in all (with several vehicles, name the ones that did not answer)
        #[arg(long, allow_negative_numbers = true, value_name = "SECONDS", default_value_t = DEFAULT_DEADLINE_SECS, value_parser = parse_deadline_en)]
        deadline: u64,
    },
    // Check everything between this machine and a working wizard; exit 1 when a check fails
    Doctor {
        // Print JSON
        #[arg(long)]
        json: bool,
    },
    // Print shell completions (bash, zsh, fish, powershell, elvish)
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    // Print the manual page (roff), e.g. `stepwise man > stepwise.1`
    Man,
    // Print the next step to do; exit 3 while one remains
    Next {
        #[arg(long, value_name = "ID", value_parser = parse_id_en)]
        steps_id: String,
        // Print JSON
        #[arg(long)]
        json: bool,
    },
}

/// Whom `login` asks, for what (over `STEPWISE_ISSUER` and the config file).
#[derive(Debug, Default, Clone, PartialEq, Eq, clap::Args)]
pub struct SignInArgs {
    // The identity provider's issuer URL (else STEPWISE_ISSUER, `issuer` in
    // the config file, else found from the gateway)
    #[arg(long, value_name = "URL", value_parser = parse_given_en, conflicts_with = "with_token")]
    pub issuer: Option<String>,
    // The client id registered for stepwise at the provider [default: stepwise]
    #[arg(long, value_name = "ID", value_parser = parse_given_en, conflicts_with = "with_token")]
    pub client_id: Option<String>,
    // The scopes to ask for, separated by spaces
    #[arg(long, value_name = "SCOPES", value_parser = parse_given_en, conflicts_with = "with_token")]
    pub scope: Option<String>,
    // The audience (resource) to ask the token for
    #[arg(long, value_name = "URI", value_parser = parse_given_en, conflicts_with = "with_token")]
    pub audience: Option<String>,
    // Sign in with a code typed in a browser anywhere, even where one could be opened here
    #[arg(long, conflicts_with = "with_token")]
    pub device: bool,
}

impl SignInArgs {
    /// Flags win over the environment and the config file.
    pub fn apply(&self, options: &mut crate::auth::SignInOptions) {
        let given = |v: &Option<String>| {
            v.as_ref()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = given(&self.issuer) {
            options.issuer = Some(v);
        }
        if let Some(v) = given(&self.client_id) {
            options.client_id = Some(v);
        }
        if let Some(v) = given(&self.scope) {
            options.scopes = Some(v);
        }
        if let Some(v) = given(&self.audience) {
            options.audience = Some(v);
        }
        options.device |= self.device;
    }
}

/// How the simulator signs clients in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Every grant: device authorization (RFC 8628) and authorization code
    /// with PKCE; `--auth` alone means this
    Device,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    // Says the gateway, where the token is kept and when it expires (never
    // the token); exit 0 with a usable token or where none is needed, 1
    // otherwise
    Status {
        // Print JSON
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
    /// Parses `args` (the program name first) with the English help,
    /// noting where `--api` came from.
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::try_parse_args_in(Lang::En, args)
    }

    /// Parses `args` with `--help`, the headings and the value checks in
    /// `lang` (see [`command`]).
    pub fn try_parse_args_in<I, T>(lang: Lang, args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = command(lang).try_get_matches_from(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        cli.api_typed = matches!(matches.value_source("api"), Some(ValueSource::CommandLine));
        Ok(cli)
    }

    /// The subcommand's name as typed.
    fn command_name(&self) -> &'static str {
        match self.command {
            None => "stepwise",
            Some(Command::Demo { .. }) => "demo",
            Some(Command::Fleet) => "fleet",
            Some(Command::Serve { .. }) => "serve",
            Some(Command::Steps { .. }) => "steps",
            Some(Command::Next { .. }) => "next",
            Some(Command::Login { .. }) => "login",
            Some(Command::Logout { .. }) => "logout",
            Some(Command::Auth { .. }) => "auth status",
            Some(Command::Doctor { .. }) => "doctor",
            Some(Command::Completions { .. }) => "completions",
            Some(Command::Man) => "man",
        }
    }

    /// A global option given to a subcommand that would ignore it, said in
    /// one line in `lang` with why and what to do. `None` when every option
    /// is used.
    pub fn misused_option(&self, lang: Lang) -> Option<String> {
        let name = self.command_name();
        let refuse = |option: &str, why: String| {
            Some(tr!(
                lang,
                "cli-arg-not-used",
                command = name,
                option = option,
                why = why
            ))
        };
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
            Some(Command::Demo { .. }) if api => refuse("--api", tr!(lang, "cli-arg-why-demo-api")),
            Some(Command::Demo { .. }) if token_file => {
                refuse("--token-file", tr!(lang, "cli-arg-why-demo-token-file"))
            }
            Some(Command::Serve { .. }) if api => {
                refuse("--api", tr!(lang, "cli-arg-why-serve-api"))
            }
            Some(Command::Serve { .. }) if concurrency => {
                refuse("--concurrency", tr!(lang, "cli-arg-why-concurrency"))
            }
            Some(Command::Next { .. }) if concurrency => {
                refuse("--concurrency", tr!(lang, "cli-arg-why-concurrency-next"))
            }
            Some(Command::Serve { .. }) if car => {
                refuse(car_option, tr!(lang, "cli-arg-why-serve-car"))
            }
            Some(Command::Serve { .. }) if report => {
                refuse("--report", tr!(lang, "cli-arg-why-session-report"))
            }
            Some(Command::Serve { token: Some(_), .. }) if token_file => {
                Some(tr!(lang, "cli-arg-serve-token-twice"))
            }
            Some(Command::Serve {
                token: Some(token), ..
            }) if token.trim().is_empty() => Some(tr!(lang, "cli-arg-serve-token-empty")),
            Some(Command::Serve { .. })
                if self.net.client_cert.is_some() || self.net.client_key.is_some() =>
            {
                refuse(
                    "--client-cert/--client-key",
                    tr!(lang, "cli-arg-why-serve-client-cert"),
                )
            }
            Some(Command::Doctor { .. }) if report => {
                refuse("--report", tr!(lang, "cli-arg-why-doctor-report"))
            }
            // doctor checks one vehicle: a second would be dropped silently.
            Some(Command::Doctor { .. }) if self.car.len() > 1 || self.cars.is_some() => {
                Some(tr!(lang, "cli-arg-doctor-one-car"))
            }
            Some(Command::Steps { .. } | Command::Next { .. }) if report => {
                refuse("--report", tr!(lang, "cli-arg-why-print-report"))
            }
            Some(Command::Login { .. }) if token_file => {
                refuse("--token-file", tr!(lang, "cli-arg-why-login-token-file"))
            }
            // logout sends no token: a file's trouble must not keep the
            // login (stranger 68, BQ17).
            Some(Command::Logout { .. }) if token_file => {
                refuse("--token-file", tr!(lang, "cli-arg-why-logout-token-file"))
            }
            Some(Command::Login { .. } | Command::Logout { .. } | Command::Auth { .. }) if car => {
                refuse("--car", tr!(lang, "cli-arg-why-sign-in-car"))
            }
            Some(Command::Login { .. } | Command::Logout { .. } | Command::Auth { .. })
                if report =>
            {
                refuse("--report", tr!(lang, "cli-arg-why-session-report"))
            }
            Some(Command::Next { .. }) if car => {
                refuse(car_option, tr!(lang, "cli-arg-why-next-car"))
            }
            Some(Command::Serve {
                churn: Some(_),
                fleet: None,
                ..
            }) => Some(tr!(lang, "cli-arg-serve-churn")),
            Some(Command::Steps {
                steps_id: Some(_), ..
            }) if self.cars.is_some() => refuse("--cars", tr!(lang, "cli-arg-why-steps-cars")),
            Some(_) => None,
        }
    }
}

/// `--lang X` or `--lang=X` as typed, found before clap parses (so that
/// `--help` and clap's checks can already speak it). Nothing after `--`.
pub fn lang_flag<T: AsRef<std::ffi::OsStr>>(args: &[T]) -> Option<String> {
    let mut words = args.iter().skip(1).map(|a| a.as_ref().to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            return None;
        }
        if word == "--lang" {
            return words.next().map(std::borrow::Cow::into_owned);
        }
        if let Some(value) = word.strip_prefix("--lang=") {
            return Some(value.to_owned());
        }
    }
    None
}

/// The language of `--help` and of the checks made before the session
/// starts, known before clap parses: `flag` (see [`lang_flag`]), then
/// `STEPWISE_LANG`, the config file's `lang` and the system locale, as
/// [`crate::locale`] orders them. A language named on purpose on the
/// command line or in the environment that does not exist is an error
/// (said in the language the rest would choose); an unknown or unreadable
/// config file's `lang` is not: it is reported once the command runs, and
/// the environment decides here.
pub fn early_lang(
    flag: Option<&str>,
    config: Option<&str>,
) -> Result<Lang, (crate::locale::UnknownLang, Lang)> {
    use crate::locale::{Sources, from_environment, resolve, system_locale};
    match from_environment(flag, config) {
        Ok(lang) => Ok(lang),
        Err(e) if e.place == "--lang" || e.place == crate::locale::ENV_LANG => {
            let system = system_locale();
            let speak = from_environment(None, config)
                .or_else(|_| {
                    resolve(Sources {
                        config,
                        system: system.as_deref(),
                        ..Sources::default()
                    })
                })
                .or_else(|_| {
                    resolve(Sources {
                        system: system.as_deref(),
                        ..Sources::default()
                    })
                })
                .unwrap_or_default();
            Err((e, speak))
        }
        Err(_) => Ok(from_environment(flag, None).unwrap_or_default()),
    }
}

/// A token written after `login --with-token` on the command line (where
/// the shell's history and `ps` keep it): refused with where it goes, and
/// never shown, as clap's own error would show it.
pub fn token_as_argument<T: AsRef<std::ffi::OsStr>>(
    lang: Lang,
    args: &[T],
    error: &clap::Error,
) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let args: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let inline = args.iter().any(|a| a.starts_with("--with-token="));
    let invalid = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    let after = args
        .windows(2)
        .any(|w| w[0] == "--with-token" && !w[1].starts_with('-') && w[1] == invalid);
    (inline || after).then(|| tr!(lang, "cli-arg-token-as-argument"))
}

/// An unknown language, said in `lang`.
pub fn unknown_lang_message(lang: Lang, e: &crate::locale::UnknownLang) -> String {
    let given = format!("{:?}", e.given);
    if e.place == "--lang" || e.place == crate::locale::ENV_LANG {
        tr!(
            lang,
            "cli-arg-unknown-lang",
            given = given,
            place = e.place,
            codes = Lang::codes()
        )
    } else {
        tr!(
            lang,
            "cli-arg-unknown-lang-config",
            given = given,
            codes = Lang::codes()
        )
    }
}

/// The command line with every word of `--help` from the catalogue in
/// `lang`: each command's about (`help-cli-<path>`, `-long`, `-after`), each
/// option's help (`help-cli-<path>-<option>`), the headings, the usage word,
/// clap's own help and version flags and help command, the defaults and
/// possible values, and the reasons a value is refused. The man page and the
/// completions use it in English.
pub fn command(lang: Lang) -> clap::Command {
    let mut cmd = words(Cli::command(), lang, "help-cli-stepwise");
    // Building adds clap's own --help, --version and `help` command (and
    // propagates the global options, already in `lang`); then they are
    // given words too.
    cmd.build();
    built_in_words(cmd, lang)
}

/// `help-cli-<path>` for a subcommand reached by `path` from the top.
fn subcommand_id(parent: &str, name: &str) -> String {
    if parent == "help-cli-stepwise" {
        format!("help-cli-{name}")
    } else {
        format!("{parent}-{name}")
    }
}

fn words(cmd: clap::Command, lang: Lang, id: &str) -> clap::Command {
    let mut cmd = cmd.about(text::message(lang, id, None));
    let long = format!("{id}-long");
    cmd = if text::has(lang, &long) {
        cmd.long_about(text::message(lang, &long, None))
    } else {
        cmd.long_about(None::<&str>)
    };
    let after = format!("{id}-after");
    if text::has(lang, &after) {
        cmd = cmd.after_help(text::message(lang, &after, None));
    }
    let parent = id.to_owned();
    cmd.mut_args(|arg| arg_words(arg, lang, &parent))
        .mut_subcommands(|sub| {
            let sub_id = subcommand_id(&parent, sub.get_name());
            words(sub, lang, &sub_id)
        })
}

/// `help-cli-<path>-<option>` for an option of the command `command_id`.
fn arg_id(command_id: &str, arg: &clap::Arg) -> String {
    format!("{command_id}-{}", arg.get_id().as_str().replace('_', "-"))
}

fn arg_words(arg: clap::Arg, lang: Lang, command_id: &str) -> clap::Arg {
    let mut help = text::message(lang, &arg_id(command_id, &arg), None);
    // The value of an environment variable never shows in help: it may be
    // a URL with a password, or a token.
    let mut arg = arg.hide_env_values(true);
    if arg.get_action().takes_values() {
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_owned())
            .collect();
        if !values.is_empty() && !arg.is_hide_possible_values_set() {
            help = format!(
                "{help} {}",
                tr!(lang, "help-cli-values", values = values.join(", "))
            );
            arg = arg.hide_possible_values(true);
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && !arg.is_hide_default_value_set() {
            help = format!(
                "{help} {}",
                tr!(lang, "help-cli-default", value = defaults.join(", "))
            );
            arg = arg.hide_default_value(true);
        }
        // clap's "[env: NAME]" is English: said here instead.
        if let Some(name) = arg.get_env().map(|n| n.to_string_lossy().into_owned())
            && !arg.is_hide_env_set()
        {
            help = format!("{help} {}", tr!(lang, "help-cli-env", name = name));
            arg = arg.hide_env(true);
        }
    }
    // The values refused, said in `lang` (clap frames them in English).
    arg = match arg.get_id().as_str() {
        "car" | "steps_id" => arg.value_parser(move |raw: &str| parse_id(lang, raw)),
        "addr" => arg.value_parser(move |raw: &str| parse_addr(lang, raw)),
        "churn" => arg.value_parser(move |raw: &str| parse_seconds(lang, raw)),
        "deadline" => arg.value_parser(move |raw: &str| parse_deadline(lang, raw)),
        "issuer" | "client_id" | "scope" | "audience" => {
            arg.value_parser(move |raw: &str| parse_given(lang, raw))
        }
        _ => arg,
    };
    // The value's name (`<FILE>`, `<PATH>`) as the help's sentences say it.
    let names: Vec<String> = arg
        .get_value_names()
        .unwrap_or_default()
        .iter()
        .map(|name| value_name(lang, name.as_str()))
        .collect();
    if !names.is_empty() {
        arg = arg.value_names(names);
    }
    let heading = if arg.is_positional() {
        "help-cli-arguments"
    } else {
        "help-cli-options"
    };
    arg.help(help)
        .long_help(None::<&str>)
        .help_heading(text::message(lang, heading, None))
}

/// A value's name in `lang` (`help-cli-value-<name>`), or as it is (ID,
/// URL, N).
fn value_name(lang: Lang, name: &str) -> String {
    let id = format!("help-cli-value-{}", name.to_ascii_lowercase());
    if text::has(lang, &id) {
        text::message(lang, &id, None)
    } else {
        name.to_owned()
    }
}

/// clap's usage and help with its `[OPTIONS]` in `lang`.
pub fn localise_usage(lang: Lang, rendered: &str) -> String {
    rendered.replace(
        "[OPTIONS]",
        &text::message(lang, "help-cli-options-placeholder", None),
    )
}

/// The bounds of clap's range error, "X is not in LOW..=HIGH".
fn range_of(why: &str) -> Option<(String, String)> {
    let (_, range) = why.split_once(" is not in ")?;
    let (low, high) = range.trim().split_once("..=")?;
    let number = |s: &str| s.parse::<u64>().ok().map(|n| n.to_string());
    Some((number(low)?, number(high)?))
}

/// Options that mean something only beside another (`requires` above).
const ONLY_WITH: &[(&str, &[&str])] = &[
    ("--tls", &["--tls-dir", "--client-ca"]),
    ("--auth", &["--token-ttl", "--client-id"]),
];

/// An option given without the one it needs: clap calls the other
/// "required", which it is not; say which option needs which. The options
/// given are those the usage line (of the arguments given) names.
fn only_with(lang: Lang, missing: &str, usage: &str) -> Option<String> {
    let (needed, dependents) = ONLY_WITH
        .iter()
        .find(|(needed, _)| missing.split_whitespace().next() == Some(*needed))?;
    let given: Vec<&str> = dependents
        .iter()
        .copied()
        .filter(|flag| usage.split_whitespace().any(|word| word == *flag))
        .collect();
    let given = if given.is_empty() {
        dependents.to_vec()
    } else {
        given
    };
    Some(tr!(
        lang,
        "cli-clap-only-with",
        given = given.join(", "),
        needed = *needed
    ))
}

/// A command-line error of clap's, said in `lang` and framed as every other
/// error (`cli-arg-error`): what is wrong, a suggestion when clap has one,
/// the usage line and where to learn more. No English word of clap's is
/// left (its own "tip:" hints are English only, so they are left out).
pub fn error_text(lang: Lang, e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let get = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        Some(ContextValue::StyledStrs(v)) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(ContextValue::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let arg = get(ContextKind::InvalidArg).unwrap_or_default();
    let value = get(ContextKind::InvalidValue).unwrap_or_default();
    let mut message = match e.kind() {
        ErrorKind::InvalidValue if value.is_empty() => {
            tr!(lang, "cli-clap-missing-value", arg = arg)
        }
        ErrorKind::InvalidValue => {
            let mut m = tr!(lang, "cli-clap-invalid-value", arg = arg, value = value);
            if let Some(values) = get(ContextKind::ValidValue) {
                m = format!(
                    "{m} [{}]",
                    tr!(lang, "cli-clap-possible-values", values = values)
                );
            }
            m
        }
        ErrorKind::ValueValidation => {
            let m = tr!(lang, "cli-clap-invalid-value", arg = arg, value = value);
            // The reason comes from our own value parsers, already in `lang`,
            // or from clap's ranges ("0 is not in 1..=100000"), said here.
            match std::error::Error::source(e).map(|why| why.to_string()) {
                Some(why) => match range_of(&why) {
                    Some((low, high)) => format!(
                        "{m}{}{}",
                        crate::text::colon(lang),
                        tr!(lang, "cli-clap-range", low = low, high = high)
                    ),
                    None => format!("{m}{}{why}", crate::text::colon(lang)),
                },
                None => m,
            }
        }
        ErrorKind::UnknownArgument => tr!(lang, "cli-clap-unknown-argument", arg = arg),
        ErrorKind::InvalidSubcommand => tr!(
            lang,
            "cli-clap-unknown-command",
            name = get(ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::MissingRequiredArgument => {
            only_with(lang, &arg, &get(ContextKind::Usage).unwrap_or_default())
                .unwrap_or_else(|| tr!(lang, "cli-clap-missing-required", args = arg))
        }
        ErrorKind::ArgumentConflict => {
            let other = get(ContextKind::PriorArg).unwrap_or_default();
            if other == arg || other.is_empty() {
                tr!(lang, "cli-clap-repeated", arg = arg)
            } else {
                tr!(lang, "cli-clap-conflict", arg = arg, other = other)
            }
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            tr!(lang, "cli-clap-extra-value", arg = arg, value = value)
        }
        ErrorKind::MissingSubcommand => tr!(
            lang,
            "cli-clap-needs-command",
            name = get(ContextKind::InvalidSubcommand).unwrap_or_default(),
            values = get(ContextKind::ValidSubcommand).unwrap_or_default()
        ),
        _ => tr!(lang, "cli-clap-other"),
    };
    // Watching is a key of the wizard, not a command: said, never clap's
    // nearest name ("auth"; stranger 60, BI15).
    let watch = e.kind() == ErrorKind::InvalidSubcommand
        && get(ContextKind::InvalidSubcommand).is_some_and(|name| name == "watch");
    if watch {
        message = tr!(lang, "cli-no-watch-command");
    }
    let suggestion = get(ContextKind::SuggestedSubcommand)
        .or_else(|| get(ContextKind::SuggestedArg))
        .or_else(|| get(ContextKind::SuggestedValue))
        .filter(|_| !watch);
    if let Some(suggestion) = suggestion {
        message = format!(
            "{message}{}{}",
            crate::text::semicolon(lang),
            tr!(lang, "cli-clap-did-you-mean", suggestion = suggestion)
        );
    }
    let mut out = tr!(lang, "cli-arg-error", message = message);
    if let Some(usage) = get(ContextKind::Usage) {
        // clap's usage starts with its English "Usage:".
        let line = usage.trim();
        let line = line.strip_prefix("Usage:").unwrap_or(line).trim();
        out = format!(
            "{out}\n\n{} {}",
            tr!(lang, "help-cli-usage"),
            localise_usage(lang, line)
        );
    }
    format!("{out}\n\n{}", tr!(lang, "cli-clap-try-help"))
}

/// Words for what clap adds when it builds: the usage line's word, the
/// headings, `-h`/`--help`, `-V`/`--version` and the `help` command.
fn built_in_words(cmd: clap::Command, lang: Lang) -> clap::Command {
    use clap::ArgAction;
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
        text::message(lang, "help-cli-usage", None)
    );
    let is_help_command = cmd.get_name() == "help";
    let unused = unused_globals(cmd.get_name());
    let mut cmd = cmd
        .help_template(template)
        .subcommand_help_heading(text::message(lang, "help-cli-commands", None))
        .subcommand_value_name(text::message(lang, "help-cli-command-value", None))
        .mut_args(|arg| match arg.get_action() {
            ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong => {
                let arg = if arg.get_long_help().is_some() {
                    arg.help(text::message(lang, "help-cli-help-short", None))
                        .long_help(text::message(lang, "help-cli-help-long", None))
                } else {
                    arg.help(text::message(lang, "help-cli-help", None))
                };
                arg.help_heading(text::message(lang, "help-cli-options", None))
            }
            ArgAction::Version => arg
                .help(text::message(lang, "help-cli-version", None))
                .help_heading(text::message(lang, "help-cli-options", None)),
            _ if is_help_command && arg.is_positional() => arg
                .help(text::message(
                    lang,
                    "help-cli-help-command-subcommand",
                    None,
                ))
                .help_heading(text::message(lang, "help-cli-arguments", None)),
            _ if unused.contains(&arg.get_id().as_str()) => arg.hide(true),
            _ => arg,
        });
    if is_help_command {
        cmd = cmd.about(text::message(lang, "help-cli-help-command", None));
    }
    cmd.mut_subcommands(|sub| built_in_words(sub, lang))
}

/// The global options a subcommand does not take, left out of its
/// `--help` (clap shows every global option in every subcommand's help):
/// those [`Cli::misused_option`] refuses, and those it has no use for.
fn unused_globals(command: &str) -> &'static [&'static str] {
    const CLIENT: [&str; 3] = ["ca_file", "client_cert", "client_key"];
    match command {
        "demo" => &["api", "token_file", CLIENT[0], CLIENT[1], CLIENT[2]],
        "serve" => &[
            "api",
            "car",
            "cars",
            "concurrency",
            "report",
            CLIENT[0],
            CLIENT[1],
            CLIENT[2],
        ],
        "steps" => &["report"],
        "next" => &["car", "cars", "concurrency", "report"],
        // login keeps a token from standard input, never from --token-file.
        "login" => &["car", "cars", "concurrency", "report", "token_file"],
        "logout" => &["car", "cars", "concurrency", "report", "token_file"],
        "auth" | "status" => &["car", "cars", "concurrency", "report"],
        "doctor" => &["cars", "concurrency", "report"],
        "completions" | "man" => &[
            "api",
            "car",
            "cars",
            "concurrency",
            "token_file",
            "report",
            CLIENT[0],
            CLIENT[1],
            CLIENT[2],
        ],
        _ => &[],
    }
}

/// `--churn`: a number of seconds, at least a tenth.
fn parse_seconds(lang: Lang, raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && (0.1..=86_400.0).contains(&secs) => Ok(secs),
        _ => Err(tr!(lang, "cli-arg-seconds")),
    }
}

/// Ids are trimmed (pasted text brings spaces) and checked.
fn parse_id(lang: Lang, raw: &str) -> Result<String, String> {
    let id = raw.trim();
    if is_id(id) {
        Ok(id.to_owned())
    } else {
        Err(tr!(lang, "cli-arg-id", max = text::num(MAX_ID_CHARS)))
    }
}

/// `parse_id` as the derive names it (the English one, replaced by
/// [`command`] with the one of the language).
fn parse_id_en(raw: &str) -> Result<String, String> {
    parse_id(Lang::En, raw)
}

/// A sign-in setting given as a flag: an empty one (an unset variable in
/// a script) is refused, never replaced by the default without a word
/// (stranger 68, BQ18).
fn parse_given(lang: Lang, raw: &str) -> Result<String, String> {
    let given = raw.trim();
    if given.is_empty() {
        return Err(tr!(lang, "cli-arg-empty"));
    }
    Ok(given.to_owned())
}

fn parse_given_en(raw: &str) -> Result<String, String> {
    parse_given(Lang::En, raw)
}

fn parse_addr_en(raw: &str) -> Result<String, String> {
    parse_addr(Lang::En, raw)
}

fn parse_seconds_en(raw: &str) -> Result<f64, String> {
    parse_seconds(Lang::En, raw)
}

/// `--deadline`: seconds as `--churn` takes them, a fraction rounded up to
/// the next whole second (a negative number is refused as a value, not
/// read as an unknown option).
fn parse_deadline(lang: Lang, raw: &str) -> Result<u64, String> {
    let secs = parse_seconds(lang, raw)?.ceil();
    // In range by parse_seconds: 1 to 86,400 after rounding up.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(secs as u64)
}

fn parse_deadline_en(raw: &str) -> Result<u64, String> {
    parse_deadline(Lang::En, raw)
}

/// `HOST:PORT`, the host an IP address (IPv6 in brackets) or a name resolved
/// when the simulator starts.
fn parse_addr(lang: Lang, raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    // `http://127.0.0.1:8080`, as --api is written: the address without it.
    if let Some((scheme, rest)) = raw.split_once("://")
        && matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
    {
        let given = rest.split(['/', '?', '#']).next().unwrap_or_default();
        return Err(tr!(
            lang,
            "cli-arg-addr-scheme",
            given = crate::steps::sanitize(given)
        ));
    }
    let no_host = |port: &str| tr!(lang, "cli-arg-addr-no-host", port = port.to_owned());
    let Some((host, port)) = raw.rsplit_once(':') else {
        // A lone number is a port without its host (`--addr 8080`).
        if raw.parse::<u16>().is_ok() {
            return Err(no_host(raw));
        }
        return Err(tr!(lang, "cli-arg-addr-no-port"));
    };
    if host.is_empty() && port.parse::<u16>().is_ok() {
        return Err(no_host(port));
    }
    if port.parse::<u16>().is_err() {
        return Err(tr!(lang, "cli-arg-addr-port"));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let is_name = !bare.is_empty()
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    // Four numbers with one over 255, or more than four numbers, is a
    // mistyped IPv4 address, not a name for DNS to know (`999.1.1.1`,
    // `10.1.2.3.4`).
    let parts: Vec<&str> = bare.split('.').collect();
    if parts.len() >= 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && (parts.len() > 4 || parts.iter().any(|p| p.parse::<u8>().is_err()))
    {
        return Err(tr!(lang, "cli-arg-addr-ip", host = bare.to_owned()));
    }
    if is_name || bare.parse::<std::net::IpAddr>().is_ok() {
        Ok(raw.to_owned())
    } else {
        Err(tr!(lang, "cli-arg-addr-host"))
    }
}

/// Whether an error `message` is about the gateway's address `api`: it
/// names `--api`, or quotes the address (an unusable one), or shows an
/// address without a scheme. One that only names the gateway (a sign-in
/// it ended) is not: its address is right.
pub fn about_address(message: &str, api: &str) -> bool {
    // A query is never shown (it may hold a key): the address before it.
    let bare = api.split(['?', '#']).next().unwrap_or(api);
    message.contains("--api")
        || message.contains(&format!("\"{bare}"))
        || (!api.contains("://") && message.contains(api))
}

/// The report never writes over a file the run reads: the ids file, the
/// token file or the config file (the next run would find them damaged
/// and blame them).
fn report_over_input(
    lang: Lang,
    path: &Path,
    cars: Option<&Path>,
    token_file: Option<&Path>,
) -> Result<(), String> {
    let shown = path.display().to_string();
    if let (Some(cars), Ok(report)) = (cars, std::fs::canonicalize(path))
        && std::fs::canonicalize(cars).is_ok_and(|cars| cars == report)
    {
        return Err(tr!(lang, "cli-arg-report-is-cars", path = shown));
    }
    if let Ok(report) = std::fs::canonicalize(path) {
        let same = |other: Option<&Path>| {
            other.is_some_and(|o| std::fs::canonicalize(o).is_ok_and(|o| o == report))
        };
        if same(token_file) {
            return Err(tr!(lang, "cli-arg-report-is-token-file", path = shown));
        }
        if same(
            crate::config::config_path()
                .as_ref()
                .map(|c| c.path.as_path()),
        ) {
            return Err(tr!(lang, "cli-arg-report-is-config", path = shown));
        }
    }
    // Nor a file of stepwise's own data folder (its sign-ins, its device
    // id), whether there or not yet.
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let here = |place: &Path| {
        crate::config::data_dir()
            .and_then(|data| std::fs::canonicalize(data).ok())
            .is_some_and(|data| std::fs::canonicalize(place).is_ok_and(|p| p == data))
    };
    // The folder itself too: "give a file name in it" would be refused.
    if let Some(data) = crate::config::data_dir()
        && (here(folder) || here(path))
    {
        return Err(tr!(
            lang,
            "cli-arg-report-in-data",
            path = shown,
            dir = data.display().to_string()
        ));
    }
    Ok(())
}

/// Checks `--report PATH` before the session starts, so that a path that
/// cannot be written fails at once instead of losing the session at exit.
pub fn check_report_path(
    lang: Lang,
    path: &Path,
    cars: Option<&Path>,
    token_file: Option<&Path>,
) -> Result<(), String> {
    let shown = path.display().to_string();
    // The report replaces what is at its path: never a device, a pipe or a
    // link (as root, `--report /dev/null` would replace the device), and
    // never the ids file the session reads.
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.is_dir()
        && !meta.file_type().is_file()
    {
        return Err(tr!(lang, "cli-arg-report-not-a-file", path = shown));
    }
    report_over_input(lang, path, cars, token_file)?;
    // Nor any other file that is there: only a report stepwise wrote is
    // replaced, never a CA file, a key or the technician's own notes.
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0) {
        use std::io::Read as _;
        let mut head = [0u8; 512];
        if let Ok(n) = std::fs::File::open(path).and_then(|mut f| f.read(&mut head))
            && !crate::report::is_report(&head[..n])
        {
            return Err(tr!(lang, "cli-arg-report-not-report", path = shown));
        }
    }
    // `name/` where nothing is: a folder's path, though none is there.
    if !path.is_dir() && shown.ends_with(['/', std::path::MAIN_SEPARATOR]) {
        return Err(tr!(lang, "cli-arg-report-slash", path = shown));
    }
    if path.is_dir() {
        return Err(tr!(
            lang,
            "cli-arg-report-folder",
            path = shown,
            example = path.join("session.md").display().to_string()
        ));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if parent.exists() && !parent.is_dir() {
        return Err(tr!(
            lang,
            "cli-arg-report-parent-file",
            path = shown,
            parent = parent.display().to_string()
        ));
    }
    if !parent.is_dir() {
        return Err(tr!(
            lang,
            "cli-arg-report-no-folder",
            path = shown,
            parent = parent.display().to_string()
        ));
    }
    // The report is written beside its path, then renamed over it: the
    // folder must take a new file (it is gone again when dropped).
    if let Err(e) = tempfile::Builder::new()
        .prefix(".stepwise-")
        .suffix(".part")
        .tempfile_in(parent)
    {
        return Err(tr!(
            lang,
            "cli-arg-report-unwritable",
            path = shown,
            why = crate::files::unwritable_words(lang, &e, path)
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
        Err(e) => Err(tr!(
            lang,
            "cli-arg-report-unwritable",
            path = shown,
            why = crate::files::unwritable_words(lang, &e, path)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every global option a subcommand refuses is also left out of its
    /// `--help`: the hidden list follows the refusals, so a new refusal
    /// without its hiding fails here.
    #[test]
    fn every_refused_global_is_hidden_from_its_subcommand_s_help() {
        let subcommands: [(&str, &[&str]); 7] = [
            ("demo", &["demo"]),
            ("serve", &["serve"]),
            // steps takes --car and --cars unless --steps-id is given: alone here.
            ("steps", &["steps"]),
            ("next", &["next", "--steps-id", "132324"]),
            ("login", &["login"]),
            ("logout", &["logout"]),
            ("doctor", &["doctor"]),
        ];
        let options = [
            ("--api", "http://127.0.0.1:1", "api"),
            ("--car", "987654", "car"),
            ("--cars", "ids.txt", "cars"),
            ("--concurrency", "2", "concurrency"),
            ("--token-file", "token.txt", "token_file"),
            ("--report", "r.md", "report"),
            ("--client-cert", "c.pem", "client_cert"),
        ];
        let mut refused = 0;
        for (name, args) in subcommands {
            for (flag, value, id) in options {
                let line: Vec<&str> = [&["stepwise", flag, value][..], args].concat();
                let Ok(cli) = Cli::try_parse_args_in(Lang::En, &line) else {
                    continue;
                };
                if cli.misused_option(Lang::En).is_some() {
                    refused += 1;
                    assert!(
                        unused_globals(name).contains(&id),
                        "{name} refuses {flag} but its --help shows it"
                    );
                }
            }
        }
        assert!(refused >= 10, "only {refused} refusals seen");
    }

    /// A subcommand's `--help` lists only the options it takes: `serve`
    /// shows none of the client's, `next` no --car or --report; the
    /// top-level help still lists them all (issue: every subcommand listed
    /// options it then refused).
    #[test]
    fn each_subcommand_s_help_shows_only_what_it_takes() {
        let help = |args: &[&str]| match Cli::try_parse_args_in(Lang::En, args) {
            Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.to_string(),
            other => panic!("{other:?}"),
        };
        let serve = help(&["stepwise", "serve", "--help"]);
        for gone in [
            "--api",
            "--car ",
            "--cars",
            "--report",
            "--client-cert",
            "--ca-file",
            "--concurrency",
        ] {
            assert!(!serve.contains(gone), "serve shows {gone}:\n{serve}");
        }
        for kept in ["--token-file", "--lang", "--addr", "--tls"] {
            assert!(serve.contains(kept), "serve lacks {kept}:\n{serve}");
        }
        let next = help(&["stepwise", "next", "--help"]);
        for gone in ["--car ", "--cars", "--report"] {
            assert!(!next.contains(gone), "next shows {gone}:\n{next}");
        }
        assert!(next.contains("--api"), "{next}");
        // logout sends no token (stranger 68, BQ17).
        let logout = help(&["stepwise", "logout", "--help"]);
        assert!(!logout.contains("--token-file"), "{logout}");
        assert!(logout.contains("--forget"), "{logout}");
        let cli =
            Cli::try_parse_args_in(Lang::En, ["stepwise", "logout", "--token-file", "gone.txt"])
                .unwrap();
        let refused = cli.misused_option(Lang::En).unwrap_or_default();
        assert!(
            refused.contains("--token-file") && refused.contains("logout forgets the login kept"),
            "{refused}"
        );
        let status = help(&["stepwise", "auth", "status", "--help"]);
        assert!(!status.contains("--report"), "{status}");
        assert!(status.contains("--token-file"), "{status}");
        let top = help(&["stepwise", "--help"]);
        for kept in ["--api", "--car ", "--report", "--client-cert"] {
            assert!(top.contains(kept), "top lacks {kept}:\n{top}");
        }
    }

    /// Every option read from the environment hides the variable's value
    /// in help, in every subcommand.
    #[test]
    fn help_hides_every_environment_value() {
        fn check(cmd: &clap::Command, seen: &mut usize) {
            for arg in cmd.get_arguments() {
                if arg.get_env().is_some() {
                    *seen += 1;
                    assert!(arg.is_hide_env_values_set(), "{}", arg.get_id());
                }
            }
            for sub in cmd.get_subcommands() {
                check(sub, seen);
            }
        }
        let mut seen = 0;
        check(&command(Lang::En), &mut seen);
        assert!(seen >= 3, "{seen}");
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
        for lang in Lang::ALL {
            command(*lang).debug_assert();
        }
    }

    /// Every id [`command`] reads: each command's about and each of its
    /// options' help, as the walk names them.
    fn ids(cmd: &clap::Command, id: &str, out: &mut Vec<String>) {
        out.push(id.to_owned());
        for arg in cmd.get_arguments() {
            out.push(arg_id(id, arg));
        }
        for sub in cmd.get_subcommands() {
            ids(sub, &subcommand_id(id, sub.get_name()), out);
        }
    }

    #[test]
    fn every_command_and_option_has_its_help_in_the_catalogue() {
        let mut wanted = Vec::new();
        ids(&Cli::command(), "help-cli-stepwise", &mut wanted);
        assert!(wanted.len() > 40, "{wanted:?}");
        let missing: Vec<_> = wanted
            .iter()
            .filter(|id| !text::has(Lang::En, id))
            .collect();
        assert!(missing.is_empty(), "not in en.ftl: {missing:#?}");
        // And the catalogue holds no help for an option that is gone: every
        // help-cli- id of en.ftl is read by the walk, or is one of clap's
        // words, or a -long/-after of a command.
        let source = include_str!("../assets/i18n/en.ftl");
        let unused: Vec<&str> = source
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id))
            .filter(|id| id.starts_with("help-cli-"))
            .filter(|id| {
                !wanted.iter().any(|w| w == id) && !id.ends_with("-long") && !id.ends_with("-after")
            })
            .collect();
        let clap_words = [
            "help-cli-usage",
            "help-cli-options",
            "help-cli-arguments",
            "help-cli-commands",
            "help-cli-command-value",
            "help-cli-help",
            "help-cli-help-short",
            "help-cli-help-long",
            "help-cli-version",
            "help-cli-help-command",
            "help-cli-help-command-subcommand",
            "help-cli-default",
            "help-cli-env",
            "help-cli-values",
            "help-cli-options-placeholder",
        ];
        // `help-cli-value-<name>` for each value name an option has.
        fn value_names(cmd: &clap::Command, out: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                for name in arg.get_value_names().unwrap_or_default() {
                    out.push(format!(
                        "help-cli-value-{}",
                        name.as_str().to_ascii_lowercase()
                    ));
                }
            }
            for sub in cmd.get_subcommands() {
                value_names(sub, out);
            }
        }
        let mut named = Vec::new();
        value_names(&Cli::command(), &mut named);
        let unused: Vec<&str> = unused
            .into_iter()
            .filter(|id| !named.iter().any(|n| n == id))
            .collect();
        let here = include_str!("cli.rs");
        for id in &clap_words {
            assert!(here.contains(&format!("\"{id}\"")), "{id} is not used");
        }
        let dead: Vec<_> = unused
            .into_iter()
            .filter(|id| !clap_words.contains(id))
            .collect();
        assert!(dead.is_empty(), "help for nothing: {dead:?}");
    }

    /// clap's "[env: NAME]" was English in every language's help.
    #[test]
    fn the_environment_variable_of_an_option_is_named_in_the_language() {
        let mut cmd = command(Lang::De);
        let steps = cmd.find_subcommand_mut("steps").unwrap();
        let help = steps.render_help().to_string();
        assert!(help.contains("[Umgebung: STEPWISE_API]"), "{help}");
        assert!(!help.contains("[env:"), "{help}");
    }

    #[test]
    fn help_speaks_the_language_and_english_is_the_catalogue() {
        let render = |lang, args: &[&str]| {
            let err = Cli::try_parse_args_in(lang, args).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
            err.render().to_string()
        };
        let en = render(Lang::En, &["stepwise", "steps", "--help"]);
        assert!(
            en.contains(&text::message(Lang::En, "help-cli-steps", None)),
            "{en}"
        );
        assert!(en.starts_with(&text::message(Lang::En, "help-cli-steps", None)));
        let de = render(Lang::De, &["stepwise", "steps", "--help"]);
        for id in [
            "help-cli-steps",
            "help-cli-steps-status",
            "help-cli-steps-after",
        ] {
            assert!(
                de.contains(&text::message(Lang::De, id, None)),
                "{id}: {de}"
            );
            assert!(
                !de.contains(&text::message(Lang::En, id, None)),
                "{id}: {de}"
            );
        }
        assert!(
            de.contains("Aufruf: stepwise steps") && de.contains("Optionen:"),
            "{de}"
        );
        assert!(!de.contains("Usage:") && !de.contains("Options:"), "{de}");
        assert!(
            de.contains("[mögliche Werte: all, todo, alreadyDone] [Standard: all]"),
            "{de}"
        );
    }

    /// French writes a no-break space before the `;` and `:` the code puts
    /// between parts of a command-line error too (stranger 80, CC7).
    #[test]
    fn french_parse_errors_space_their_punctuation() {
        let err = Cli::try_parse_args_in(Lang::Fr, ["stepwise", "login", "--devce"]).unwrap_err();
        let text = error_text(Lang::Fr, &err);
        assert!(
            text.contains("'--devce'\u{a0}; vouliez-vous dire"),
            "{text:?}"
        );
        let err = Cli::try_parse_args_in(Lang::Fr, ["stepwise", "--car", "a b"]).unwrap_err();
        let text = error_text(Lang::Fr, &err);
        assert!(text.contains("'--car <ID>'\u{a0}: un id"), "{text:?}");
        assert!(!text.contains("': "), "{text:?}");
    }

    #[test]
    fn refused_values_are_said_in_the_language() {
        let err = Cli::try_parse_args_in(Lang::Fr, ["stepwise", "--car", "a b"]).unwrap_err();
        let shown = err.render().to_string();
        assert!(
            shown.contains(&tr!(Lang::Fr, "cli-arg-id", max = text::num(MAX_ID_CHARS))),
            "{shown}"
        );
        let err = Cli::try_parse_args_in(Lang::De, ["stepwise", "serve", "--churn", "0"])
            .unwrap_err()
            .render()
            .to_string();
        assert!(err.contains(&tr!(Lang::De, "cli-arg-seconds")), "{err}");
    }

    #[test]
    fn the_language_is_found_before_parsing() {
        let flag = |args: &[&str]| lang_flag(args);
        assert_eq!(
            flag(&["stepwise", "--lang", "de", "steps"]),
            Some("de".into())
        );
        assert_eq!(flag(&["stepwise", "steps", "--lang=fr"]), Some("fr".into()));
        assert_eq!(flag(&["stepwise", "steps"]), None);
        assert_eq!(flag(&["stepwise", "--", "--lang", "de"]), None);
        assert_eq!(flag(&["--lang", "de"][..1]), None);
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
        let msg = cli.misused_option(Lang::En).unwrap();
        assert!(msg.starts_with("demo does not use --api"), "{msg}");
    }

    /// `--concurrency` refused by `next` and `serve`, each for its own
    /// reason.
    #[test]
    fn concurrency_is_refused_with_each_command_s_reason() {
        for (args, said) in [
            (
                vec!["stepwise", "next", "--steps-id", "1", "--concurrency", "2"],
                "next does not use --concurrency: it asks for one vehicle's next step, in one request",
            ),
            (
                vec!["stepwise", "serve", "--concurrency", "2"],
                "serve does not use --concurrency: it is the gateway and asks no gateway itself",
            ),
        ] {
            let cli = Cli::try_parse_args(args).unwrap();
            let msg = cli.misused_option(Lang::En).unwrap();
            assert!(msg.starts_with(said), "{msg}");
        }
    }

    #[test]
    fn only_errors_about_the_address_are_about_it() {
        let api = "http://127.0.0.1:46218";
        let ended = tr!(
            Lang::En,
            "auth-sign-in-again",
            why = format!("the sign-in for {api}/ expired or was revoked")
        );
        assert!(!about_address(&ended, api), "{ended}");
        let queried = "http://127.0.0.1:46218/api?apikey=s3cret";
        let refused = crate::describe::gateway_error(
            Lang::En,
            &crate::client::parse_base(queried).unwrap_err(),
        );
        assert!(about_address(&refused, queried), "{refused}");
        assert!(!refused.contains("s3cret"), "{refused}");
        assert!(about_address("check that --api is right", api));
        assert!(about_address(
            "the gateway URL gw.example:8080 does not say http://",
            "gw.example:8080"
        ));
    }

    #[test]
    fn addresses_take_names_and_ip_literals() {
        for ok in [
            "127.0.0.1:8080",
            "localhost:0",
            "[::1]:80",
            "gw.example:8080",
        ] {
            assert!(parse_addr(Lang::En, ok).is_ok(), "{ok}");
        }
        for bad in ["localhost", "127.0.0.1:99999", ":80", "a b:80", "[::1]:x"] {
            assert!(parse_addr(Lang::En, bad).is_err(), "{bad}");
        }
        // Written as --api is: the scheme is named, and the address without it.
        let err = parse_addr(Lang::En, "http://127.0.0.1:46199/").unwrap_err();
        assert!(
            err.contains("starts with a scheme") && err.ends_with("e.g. 127.0.0.1:46199"),
            "{err}"
        );
        assert!(!err.contains("not an address"), "{err}");
    }

    /// Four numbers with one over 255 are a mistyped IPv4 address: said so,
    /// not sent to DNS as a name; real names still go there.
    #[test]
    fn an_ipv4_address_with_a_part_over_255_is_not_valid() {
        let err = parse_addr(Lang::En, "999.1.1.1:46330").unwrap_err();
        assert!(
            err.starts_with("the IP address 999.1.1.1 is not valid")
                && err.contains("a number from 0 to 255"),
            "{err}"
        );
        assert!(!err.contains("DNS"), "{err}");
        let de = parse_addr(Lang::De, "10.0.0.256:80").unwrap_err();
        assert!(de.contains("10.0.0.256") && de.contains("255"), "{de}");
        // Five numbers are no name either.
        let five = parse_addr(Lang::En, "10.1.2.3.4:46430").unwrap_err();
        assert!(
            five.starts_with("the IP address 10.1.2.3.4 is not valid"),
            "{five}"
        );
        for ok in ["no-such-host.invalid:8080", "1.2.3:80", "gw1.example:80"] {
            assert!(parse_addr(Lang::En, ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn sign_in_commands_parse() {
        let cli = Cli::try_parse_from(["stepwise", "login", "--api", "http://x"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Login {
                with_token: false,
                ..
            })
        ));
        let cli = Cli::try_parse_from([
            "stepwise",
            "login",
            "--client-id",
            "dealer-workshop-cli",
            "--scope",
            "openid offline_access steps:read",
            "--device",
        ])
        .unwrap();
        let Some(Command::Login { signin, .. }) = cli.command else {
            panic!("login")
        };
        let mut options = crate::auth::SignInOptions::default();
        signin.apply(&mut options);
        assert_eq!(options.client_id(), "dealer-workshop-cli");
        assert_eq!(
            options.scopes.as_deref(),
            Some("openid offline_access steps:read")
        );
        assert!(options.device);
        assert!(
            Cli::try_parse_from(["stepwise", "login", "--with-token", "--client-id", "x"]).is_err()
        );
        assert!(Cli::try_parse_from(["stepwise", "login", "--with-token", "abc"]).is_err());
        let cli = Cli::try_parse_from(["stepwise", "auth", "status", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Auth {
                command: AuthCommand::Status { json: true }
            })
        ));
        let two = Cli::try_parse_from(["stepwise", "doctor", "--car", "1", "--car", "2"]).unwrap();
        let said = two.misused_option(Lang::En).unwrap_or_default();
        assert!(said.contains("doctor checks one vehicle"), "{said}");
        let zero = Cli::try_parse_from(["stepwise", "serve", "--fleet", "0"]).unwrap_err();
        let said = error_text(Lang::De, &zero);
        assert!(
            said.contains("eine Zahl von 1 bis 100000") && !said.contains("..="),
            "{said}"
        );
        let alone = Cli::try_parse_from(["stepwise", "serve", "--token-ttl", "5"]).unwrap_err();
        let said = error_text(Lang::En, &alone);
        assert!(
            said.contains("--token-ttl applies only with --auth: add --auth")
                && !said.contains("required"),
            "{said}"
        );
        let alone = Cli::try_parse_from(["stepwise", "serve", "--client-ca", "a.pem"]).unwrap_err();
        let said = error_text(Lang::De, &alone);
        assert!(
            said.contains("--client-ca") && said.contains("--tls") && !said.contains("--tls-dir"),
            "{said}"
        );
        assert!(
            Cli::try_parse_from(["stepwise", "serve", "--auth", "device", "--token-ttl", "5"])
                .is_ok()
        );
    }
}
