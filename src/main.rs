//! The binary: parse the command line, install hooks, dispatch.

#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::process::ExitCode;

use stepwise::app::Launch;
use stepwise::backend::Backend;
use stepwise::cli::{AuthCommand, AuthMode, Cli, Command, check_report_path};
use stepwise::client::Lookup;
use stepwise::commands::{self, EXIT_ERROR, EXIT_USAGE};
use stepwise::config::{Settings, TokenPlace, read_token_file};
use stepwise::describe::{config_error, gateway_error};
use stepwise::serve::{TlsServe, device_sign_in_line, reach_line, sim_tls};
use stepwise::sim::Scenario;
use stepwise::text::Lang;
use stepwise::tr;

fn main() -> ExitCode {
    stepwise::secret::no_core_dumps();
    stepwise::files::private_umask();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The language is known before clap parses, so that --help, clap's
    // value checks and every message below speak it.
    let config_lang = stepwise::config::config_lang();
    let flag = stepwise::cli::lang_flag(&args);
    // `--version` answers whatever the language settings hold: a script
    // asking which stepwise this is must not fail on STEPWISE_LANG.
    let version = args.iter().skip(1).any(|a| a == "--version" || a == "-V");
    let lang = match stepwise::cli::early_lang(flag.as_deref(), config_lang.as_deref()) {
        Ok(lang) => lang,
        Err((_, speak)) if version => speak,
        Err((e, speak)) => {
            let _ = LANG.set(speak);
            return usage(stepwise::cli::unknown_lang_message(speak, &e));
        }
    };
    let _ = LANG.set(lang);
    stepwise::net::hold_no_proxy();
    let cli = match Cli::try_parse_args_in(lang, &args) {
        Ok(cli) => cli,
        Err(e) => return parse_failed(lang, &args, &e),
    };
    if let Some(refused) = misused(&cli, lang) {
        return refused;
    }
    // The config file's `lang` is checked now that the command is known.
    if let Err(e) = stepwise::locale::from_environment(cli.lang.as_deref(), config_lang.as_deref())
    {
        let message = stepwise::cli::unknown_lang_message(lang, &e);
        return if e.place == "--lang" || e.place == stepwise::locale::ENV_LANG {
            usage(message)
        } else {
            fail(message)
        };
    }
    note_typed_api(&cli);
    match cli.command {
        Some(Command::Serve { .. }) => serve_command(&cli, lang),
        Some(Command::Login { .. } | Command::Logout { .. } | Command::Auth { .. }) => {
            sign_in(&cli, lang)
        }
        Some(Command::Doctor { json }) => doctor(&cli, json, lang),
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            stepwise::shell::completions(shell, &mut out);
            emit(&String::from_utf8_lossy(&out), 0)
        }
        Some(Command::Man) => man(lang),
        Some(Command::Steps { .. } | Command::Next { .. }) => script(cli, lang),
        Some(Command::Demo {
            autoplay,
            fresh,
            board,
        }) => {
            if fresh && let Err(e) = stepwise::backend::forget_demo_state() {
                return fail(e.words(lang));
            }
            let (cars, mut notes) = match car_ids(&cli, lang) {
                Ok(ids) => (ids.ids, ids.notes),
                Err(e) => return usage(e),
            };
            if fresh {
                notes.insert(0, tr!(lang, "demo-fresh-done"));
            }
            let vehicles = script_vehicles(&cli);
            wizard(
                cli.api,
                cli.token_file.as_deref(),
                &cli.net,
                Launch {
                    cars,
                    board,
                    concurrency: cli.concurrency.map(usize::from),
                    demo: true,
                    autoplay,
                    report: cli.report,
                    lang,
                    notes,
                    ..Launch::default()
                },
                vehicles.as_deref(),
            )
        }
        Some(Command::Fleet) | None => {
            let (cars, notes) = match car_ids(&cli, lang) {
                Ok(ids) => (ids.ids, ids.notes),
                Err(e) => return usage(e),
            };
            let board = matches!(cli.command, Some(Command::Fleet));
            if board && cars.is_empty() {
                return usage(tr!(lang, "cli-arg-fleet-needs-cars"));
            }
            let vehicles = script_vehicles(&cli);
            wizard(
                cli.api,
                cli.token_file.as_deref(),
                &cli.net,
                Launch {
                    cars,
                    board,
                    concurrency: cli.concurrency.map(usize::from),
                    demo: false,
                    autoplay: false,
                    report: cli.report,
                    lang,
                    notes,
                    ..Launch::default()
                },
                vehicles.as_deref(),
            )
        }
    }
}

/// `stepwise man`: the manual page in roff, on stdout.
fn man(lang: Lang) -> ExitCode {
    let mut out = Vec::new();
    match stepwise::shell::man_page(lang, &mut out) {
        Ok(()) => emit(&String::from_utf8_lossy(&out), 0),
        Err(e) => fail(tr!(lang, "cli-arg-man-failed", error = e.to_string())),
    }
}

/// The vehicles as the command line gave them (`--car ID` each, then
/// `--cars FILE`), for a command suggested to a script; none if none.
fn script_vehicles(cli: &Cli) -> Option<String> {
    let mut given: Vec<String> = cli.car.iter().map(|car| format!("--car {car}")).collect();
    if let Some(path) = &cli.cars {
        let path = path.display().to_string();
        let plain = path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-+:@%,=".contains(c));
        let path = if plain {
            path
        } else {
            format!("'{}'", path.replace('\'', "'\\''"))
        };
        given.push(format!("--cars {path}"));
    }
    (!given.is_empty()).then(|| given.join(" "))
}

/// The vehicles asked for: every `--car`, then those of `--cars FILE`,
/// each once; or why the file cannot be used.
fn car_ids(cli: &Cli, lang: Lang) -> Result<Ids, String> {
    let mut ids = cli.car.clone();
    let mut one_line = None;
    let mut notes: Vec<String> = Vec::new();
    if let Some(path) = &cli.cars {
        let shown = path.display().to_string();
        let bytes =
            stepwise::files::read_capped(path, stepwise::files::LIST_FILE_LIMIT).map_err(|e| {
                tr!(
                    lang,
                    "cli-arg-cars-unreadable",
                    path = shown.clone(),
                    error = stepwise::files::unreadable_words(lang, &e)
                )
            })?;
        // A workbook (.xlsx is a zip, .xls an OLE file) is no list of lines.
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
            return Err(tr!(lang, "cli-arg-cars-workbook", path = shown));
        }
        let text = stepwise::cars::decode(&bytes);
        // A binary file decodes to control characters, not lines of ids.
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
        {
            return Err(tr!(lang, "cli-arg-cars-not-text", path = shown));
        }
        let from_file = stepwise::cars::parse(&text).map_err(|e| {
            tr!(
                lang,
                "cli-arg-cars-bad",
                path = shown.clone(),
                error = e.words(lang)
            )
        })?;
        if from_file.is_empty() {
            return Err(tr!(lang, "cli-arg-cars-empty", path = shown));
        }
        ids.extend(from_file);
        // The column read under a heading that names none: said.
        if let Some((column, name)) = stepwise::cars::column_guessed(&text) {
            notes.push(tr!(
                lang,
                "cli-ids-column-guessed",
                path = shown.clone(),
                column = column,
                name = name
            ));
        }
        // Rows under the ids column with no id there: skipped, and said.
        let without = stepwise::cars::rows_without_id(&text);
        if !without.is_empty() {
            let lines: Vec<String> = without.iter().take(10).map(ToString::to_string).collect();
            notes.push(tr!(
                lang,
                "cli-ids-rows-without-id",
                path = shown.clone(),
                lines = lines.join(", "),
                count = stepwise::text::num(without.len())
            ));
        }
        // A list typed on one line: only its first value is an id here.
        if let Some(values) = stepwise::cars::one_line_values(&text) {
            one_line = Some(tr!(
                lang,
                "cli-ids-one-line",
                path = shown,
                values = stepwise::text::num(values)
            ));
        }
    }
    // Each vehicle once, in the order given; one given twice is said (a
    // pasted list is checked by its owner).
    let mut seen = std::collections::HashSet::new();
    let mut repeated = Vec::new();
    ids.retain(|id| {
        let first = seen.insert(id.clone());
        if !first && !repeated.contains(id) {
            repeated.push(id.clone());
        }
        first
    });
    notes.extend(one_line);
    if !repeated.is_empty() {
        notes.push(tr!(lang, "cli-ids-repeated", ids = repeated.join(", ")));
    }
    Ok(Ids { ids, notes })
}

/// The vehicles given (`--car`, `--cars`), each once, and what to say
/// about them.
struct Ids {
    ids: Vec<String>,
    notes: Vec<String>,
}

/// `serve --fleet N --churn SECONDS --stream-events N`.
#[derive(Clone, Copy)]
struct Crowd {
    fleet: Option<u32>,
    churn: Option<f64>,
    stream_events: Option<u32>,
    /// `--log`: one line per request on standard output.
    log: bool,
}

/// Help and version go through [`emit`] when stdout is not a terminal, so
/// that a full disk is reported and a closed pipe is quiet; everything else
/// (and help on a terminal, in colour) is clap's own.
fn clap_exit(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    use std::io::IsTerminal;
    let lang = chosen_lang();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            if io::stdout().is_terminal() {
                // In colour, as clap prints it, with `[OPTIONS]` in `lang`.
                let help = stepwise::cli::localise_usage(lang, &e.render().ansi().to_string());
                let _ = write!(io::stdout().lock(), "{help}");
                return ExitCode::SUCCESS;
            }
            emit(
                &stepwise::cli::localise_usage(lang, &e.render().to_string()),
                0,
            )
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            say(&stepwise::cli::localise_usage(
                lang,
                &e.render().to_string(),
            ));
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            say(&stepwise::cli::error_text(lang, e));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// One line on stderr. A stderr that cannot be written is not a reason to
/// panic: the exit code still tells.
fn say(line: &str) {
    let line = with_typed_api(line.to_owned());
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Resolves when the simulator is asked to stop: Ctrl-C everywhere, and
/// SIGTERM or SIGHUP on Unix. The handlers are in place when this returns
/// (before the banner says the simulator listens), so no early signal
/// kills it unhandled.
fn stop_asked() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let signals = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        );
        async move {
            match signals {
                (Ok(mut interrupt), Ok(mut term), Ok(mut hangup)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = term.recv() => {}
                        _ = hangup.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A line on stderr when the gateway asks to wait (a 429), so a command
/// is not silent for its Retry-After; once per wait, however many
/// requests of a list of vehicles wait together. A wait that goes past
/// `--deadline` (from `deadline_at`) is said so at once, never promised.
fn waits_said(lang: Lang, deadline_at: Option<std::time::Instant>) -> stepwise::client::OnWait {
    let quiet_until = std::sync::Mutex::new(None::<std::time::Instant>);
    stepwise::client::OnWait(std::sync::Arc::new(move |wait: std::time::Duration| {
        if wait < std::time::Duration::from_secs(1) {
            return;
        }
        let now = std::time::Instant::now();
        let mut quiet = quiet_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if quiet.is_some_and(|until| now < until) {
            return;
        }
        *quiet = Some(now + wait);
        drop(quiet);
        match deadline_at {
            Some(end) if now + wait > end => say(&tr!(
                lang,
                "cli-waiting-limited-past-deadline",
                secs = wait.as_secs(),
                left = end
                    .saturating_duration_since(now)
                    .as_millis()
                    .div_ceil(1000)
            )),
            _ => say(&tr!(lang, "cli-waiting-limited", secs = wait.as_secs())),
        }
    }))
}

/// The language chosen at start, for the messages of the functions below
/// (English until it is known).
static LANG: std::sync::OnceLock<Lang> = std::sync::OnceLock::new();

fn chosen_lang() -> Lang {
    LANG.get().copied().unwrap_or_default()
}

/// The gateway's address and where it came from, when not typed as
/// `--api` (STEPWISE_API, the config file): said after an error that names
/// `--api` or the address.
static API_PLACE: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// Keeps where the settings took the gateway's address from, for [`fail`].
fn note_api_place(settings: &Settings) {
    if let (Some(api), Some(place)) = (&settings.api, settings.api_place(chosen_lang())) {
        let _ = API_PLACE.set((api.trim().to_owned(), place));
    }
}

/// Keeps the gateway typed as `--api`, for the commands a message
/// suggests (a refused address, e.g. one with a query, is never repeated).
fn note_typed_api(cli: &Cli) {
    if let Some(typed) = cli.api.as_deref().filter(|_| cli.api_typed)
        && stepwise::client::parse_base(typed).is_ok()
    {
        // The token and the TLS files given by flag go with it: without
        // them the command as printed would be refused (a 401, an unknown
        // issuer; stranger 60, BI8).
        use std::fmt::Write as _;
        let mut carried = typed.trim().to_owned();
        for (flag, path) in [
            ("--token-file", &cli.token_file),
            ("--ca-file", &cli.net.ca_file),
            ("--client-cert", &cli.net.client_cert),
            ("--client-key", &cli.net.client_key),
        ] {
            if let Some(path) = path {
                let path = path.display().to_string();
                let _ = if path.contains(char::is_whitespace) || path.contains('"') {
                    write!(carried, " {flag} '{}'", path.replace('\'', "'\\''"))
                } else {
                    write!(carried, " {flag} {path}")
                };
            }
        }
        let _ = API_TYPED.set(carried);
    }
}

/// The gateway's address as typed with `--api`: the commands a message
/// suggests carry it, or they would run on the embedded simulator.
static API_TYPED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// An option the command does not take, or a report path refused: said,
/// with the commands it suggests going to the gateway typed (stranger 70,
/// BS6); login's is the one that refuses a --token-file.
fn misused(cli: &Cli, lang: Lang) -> Option<ExitCode> {
    let why = cli
        .misused_option(lang)
        .or_else(|| report_refused(lang, cli))?;
    if matches!(cli.command, Some(Command::Login { .. })) {
        return Some(usage(why));
    }
    note_typed_api(cli);
    Some(usage(with_typed_api(why)))
}

/// `message` with `--api URL` in every stepwise command it suggests in
/// backticks that talks to a gateway, when the address was typed as
/// `--api` (every line on stderr, and `auth status`).
fn with_typed_api(message: String) -> String {
    match API_TYPED.get() {
        Some(api) => stepwise::text::commands_with_api(&message, api),
        None => message,
    }
}

/// `message`, and where the gateway's address came from when it names
/// `--api` that was not typed, or finds the address itself unusable (it
/// quotes it, or it has no scheme). An error that only names the gateway
/// (a sign-in it ended) gets no line: its address is right.
fn placed(message: String) -> String {
    match API_PLACE.get() {
        Some((api, place)) if stepwise::cli::about_address(&message, api) => {
            format!("{message}\n{place}")
        }
        _ => message,
    }
}

/// The settings could not be resolved: why, and where the gateway's
/// address came from when that address is the cause and was not typed.
fn settings_failed(
    lang: Lang,
    api_flag: Option<&str>,
    error: &stepwise::config::ConfigError,
) -> ExitCode {
    use stepwise::config::ApiFrom;
    let words = config_error(lang, error);
    let from = ApiFrom::of(api_flag, None).unwrap_or(ApiFrom::Config);
    match from.place(lang).filter(|_| error.about_api()) {
        Some(place) => fail(format!("{words}\n{place}")),
        None => fail(words),
    }
}

/// The vehicles that failed, one line each, then where the gateway's
/// address came from once if a line names `--api` that was not typed.
fn say_failures(lines: &[String]) {
    for line in lines {
        say(line);
    }
    if let Some((_, place)) = API_PLACE.get()
        && lines.iter().any(|l| l.contains("--api"))
    {
        say(place);
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    say(&tr!(
        chosen_lang(),
        "cli-arg-error",
        message = placed(message.to_string())
    ));
    ExitCode::from(EXIT_ERROR)
}

/// Why the wizard's `--report` path cannot be used, checked at start.
fn report_refused(lang: Lang, cli: &Cli) -> Option<String> {
    let (None | Some(Command::Demo { .. } | Command::Fleet), Some(path)) =
        (&cli.command, &cli.report)
    else {
        return None;
    };
    check_report_path(lang, path, cli.cars.as_deref(), cli.token_file.as_deref()).err()
}

/// The command line clap refused: a token given as an argument is refused
/// unshown; anything else as clap says, in the reader's language.
fn parse_failed(lang: Lang, args: &[std::ffi::OsString], e: &clap::Error) -> ExitCode {
    if let Some(why) = stepwise::cli::token_as_argument(lang, args, e) {
        return usage(why);
    }
    // login and logout refuse --token-file: never suggested to them
    // (stranger 73, BV10).
    let signing = args.iter().skip(1).any(|a| a == "login" || a == "logout");
    if e.kind() == clap::error::ErrorKind::UnknownArgument && signing {
        let text = stepwise::cli::error_text(lang, e);
        let suggested = "; did you mean '--token-file'?";
        if text.contains(suggested) {
            say(&text.replacen(suggested, "", 1));
            return ExitCode::from(EXIT_USAGE);
        }
    }
    // `next --car ID` without --steps-id: where a stepsID comes from, not
    // only that one is missing (stranger 72, BU6).
    let given = |flag: &str| args.iter().any(|a| a.to_string_lossy().starts_with(flag));
    if e.kind() == clap::error::ErrorKind::MissingRequiredArgument
        && args.iter().skip(1).any(|a| a == "next")
        && (given("--car") || given("--cars"))
    {
        let option = if given("--cars") { "--cars" } else { "--car" };
        let words = tr!(
            lang,
            "cli-arg-not-used",
            command = "next",
            option = option,
            why = tr!(lang, "cli-arg-why-next-car")
        );
        // The command it suggests asks the gateway typed, for the id typed
        // (stranger 77, BZ1): without --api it would ask the demo.
        let value = |flag: &str| {
            let eq = format!("{flag}=");
            args.iter()
                .map(|a| a.to_string_lossy())
                .enumerate()
                .find_map(|(i, a)| {
                    a.strip_prefix(&eq).map(str::to_owned).or_else(|| {
                        (a == flag)
                            .then(|| args.get(i + 1).map(|v| v.to_string_lossy().into_owned()))
                            .flatten()
                    })
                })
        };
        let words = match value("--car").filter(|id| stepwise::steps::is_id(id)) {
            Some(id) => words.replace("--car ID`", &format!("--car {id}`")),
            None => words,
        };
        let words = match value("--api").filter(|api| stepwise::client::parse_base(api).is_ok()) {
            Some(api) => stepwise::text::commands_with_api(&words, api.trim()),
            None => words,
        };
        return usage(words);
    }
    clap_exit(e)
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    say(&tr!(
        chosen_lang(),
        "cli-arg-error",
        message = message.to_string()
    ));
    ExitCode::from(EXIT_USAGE)
}

/// A stepsID of another device: the command that gets this device its
/// own, not only "start again". Unless the device id cannot be kept
/// (`unkept`): then every run is a new device, and a stepsID works only
/// within its own run.
fn wrong_device_words(
    lang: Lang,
    e: &stepwise::client::GatewayError,
    unkept: bool,
    reset: bool,
) -> String {
    let hint = match (unkept, reset) {
        (true, _) => tr!(lang, "cli-wrong-device-unkept"),
        // The reset was not done for another device's stepsID: by
        // carAssociationID it is.
        (false, true) => tr!(lang, "cli-wrong-device-reset"),
        (false, false) => tr!(lang, "cli-wrong-device-hint"),
    };
    format!("{} {hint}", gateway_error(lang, e))
}

/// A command's warning, if any, on stderr; then its output (see [`emit`]).
fn emit_outcome(outcome: &commands::Outcome, lang: Lang) -> ExitCode {
    if let Some(warning) = &outcome.warning {
        say(&tr!(lang, "cli-arg-warning", what = warning.clone()));
    }
    emit(&outcome.stdout, outcome.code)
}

/// Writes a command's output and ends with `code`. A reader that went away
/// (a closed pipe, as `| head -1` does) ends quietly with the same code, as
/// other command-line tools do; any other failed write is an error.
/// A failure's JSON line on stdout (a closed pipe is no error: the
/// failure is said on stderr all the same).
fn print_json_failure(line: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}

fn emit(text: &str, code: u8) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(code),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(code),
        Err(e) => fail(tr!(
            chosen_lang(),
            "cli-arg-output-failed",
            error = stepwise::describe::file_os_words(chosen_lang(), &e.to_string())
        )),
    }
}

fn runtime(multi_thread: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
}

/// `serve --token` and `--token-file`.
struct ServeToken<'a> {
    token: Option<String>,
    file: Option<&'a std::path::Path>,
}

/// `stepwise serve`, from its flags.
fn serve_command(cli: &Cli, lang: Lang) -> ExitCode {
    let Some(Command::Serve {
        addr,
        scenario,
        token,
        fleet,
        churn,
        stream_events,
        log,
        tls,
        tls_dir,
        client_ca,
        auth,
        token_ttl,
        client_id,
    }) = &cli.command
    else {
        unreachable!("dispatched by main")
    };
    let tls = tls.then(|| TlsServe {
        addr: addr.clone(),
        dir: tls_dir.clone(),
        client_ca: client_ca.clone(),
    });
    serve(
        addr,
        scenario.as_deref(),
        ServeToken {
            token: token.clone(),
            file: cli.token_file.as_deref(),
        },
        tls.as_ref(),
        Crowd {
            fleet: *fleet,
            churn: *churn,
            stream_events: *stream_events,
            log: *log,
        },
        auth.map(|AuthMode::Device| {
            let defaults = stepwise::sim::AuthOptions::default();
            stepwise::sim::AuthOptions {
                token_ttl: std::time::Duration::from_secs(*token_ttl),
                clients: if client_id.is_empty() {
                    defaults.clients.clone()
                } else {
                    client_id.clone()
                },
                ..defaults
            }
        }),
        lang,
    )
}

/// `stepwise serve`: the simulator in the foreground until Ctrl-C.
fn serve(
    addr: &str,
    scenario: Option<&std::path::Path>,
    token: ServeToken<'_>,
    tls: Option<&TlsServe>,
    crowd: Crowd,
    auth: Option<stepwise::sim::AuthOptions>,
    lang: Lang,
) -> ExitCode {
    stepwise::logging::to_stderr();
    let scenario = match scenario
        .map(Scenario::load)
        .unwrap_or_else(|| Ok(Scenario::built_in()))
    {
        Ok(s) => s,
        Err(e) => {
            let lang = chosen_lang();
            return fail(tr!(lang, "cli-arg-scenario-bad", error = e.words(lang)));
        }
    };
    let scenario = match crowd.fleet {
        Some(n) => scenario.with_fleet(usize::try_from(n).unwrap_or(usize::MAX)),
        None => scenario,
    };
    let churn = crowd.churn.map(std::time::Duration::from_secs_f64);
    let token = match serve_secret(token) {
        Ok(token) => token,
        Err(e) => return fail(config_error(lang, &e)),
    };
    let tls = match tls.map(|tls| sim_tls(tls, lang)).transpose() {
        Ok(tls) => tls,
        Err(e) => return fail(e),
    };
    let rt = match runtime(true) {
        Ok(rt) => rt,
        Err(e) => return fail(tr!(chosen_lang(), "cli-arg-runtime", error = e.to_string())),
    };
    rt.block_on(async move {
        let listener = match listen(addr).await {
            Ok(l) => l,
            Err(code) => return code,
        };
        let Ok(bound) = listener.local_addr() else {
            return fail(tr!(chosen_lang(), "cli-arg-bound-unknown", addr = addr));
        };
        let count = scenario.associations.len();
        let lang = chosen_lang();
        let required = match (&token, &auth) {
            (Some(_), Some(_)) => tr!(lang, "cli-arg-sim-token-either"),
            (Some(_), None) => tr!(lang, "cli-arg-sim-token-bearer"),
            (None, Some(_)) => tr!(lang, "cli-arg-sim-token-signed-in"),
            (None, None) => tr!(lang, "cli-arg-sim-token-none"),
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        // The banner is for a person watching: if stdout is gone, serve on.
        let mut banner = vec![tr!(
            lang,
            "cli-arg-sim-listening",
            url = format!("{scheme}://{bound}"),
            count = stepwise::text::num(count),
            required = required
        )];
        banner.extend(reach_line(lang, scheme, bound));
        let state = stepwise::sim::SimState::new(scenario).with_fresh_ids();
        let mut shared = stepwise::sim::Shared::new(state, token)
            .with_stream_events(crowd.stream_events.and_then(|n| usize::try_from(n).ok()))
            .with_request_log(crowd.log);
        if let Some(options) = auth {
            banner.push(device_sign_in_line(lang, scheme, bound, options.token_ttl));
            shared = shared.with_auth(options);
        }
        // Beyond this machine with no token, the control calls are open to
        // the whole network: said on stderr, where it is not missed, before
        // the banner.
        if !bound.ip().is_loopback() && shared.needs_no_token() {
            say(&tr!(
                lang,
                "cli-arg-sim-open-network",
                url = format!("{scheme}://{bound}")
            ));
        }
        // Ctrl-C, and a service manager's SIGTERM or a closed terminal's
        // SIGHUP, stop it the same way: in order, exit 0.
        let shutdown = stop_asked();
        if let Err(e) = writeln!(io::stdout().lock(), "{}", banner.join("\n")) {
            tracing::debug!("the banner could not be written: {e}");
        }

        // Churn completes a random next step every so often, on HTTP and HTTPS alike.
        let churning = churn.map(|every| stepwise::sim::spawn_churn(shared.clone(), every));
        let served = match tls {
            Some(config) => {
                stepwise::sim::serve_shared_tls(listener, config, shared, shutdown).await
            }
            None => stepwise::sim::serve_shared(listener, shared, shutdown).await,
        };
        if let Some(task) = churning {
            task.abort();
        }
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(tr!(
                chosen_lang(),
                "cli-arg-sim-stopped",
                error = e.to_string()
            )),
        }
    })
}

/// The token `serve` demands, from `--token-file` or `--token`.
fn serve_secret(
    token: ServeToken<'_>,
) -> Result<Option<stepwise::secret::Secret>, stepwise::config::ConfigError> {
    match token.file {
        Some(path) => read_token_file(path, TokenPlace::ServeTokenFile).map(Some),
        // An empty --token is refused by Cli::misused_option.
        None => token
            .token
            .map(|t| stepwise::config::check_token(&t, TokenPlace::ServeToken))
            .transpose(),
    }
}

/// A listener on the first address `addr` resolves to, or the exit after
/// saying why there is none.
async fn listen(addr: &str) -> Result<tokio::net::TcpListener, ExitCode> {
    let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host(addr).await {
        Ok(found) => found.collect(),
        Err(e) => {
            return Err(fail(tr!(
                chosen_lang(),
                "cli-arg-addr-unresolved",
                addr = addr,
                error = stepwise::describe::os_words(chosen_lang(), &e.to_string())
            )));
        }
    };
    if addrs.is_empty() {
        return Err(fail(tr!(
            chosen_lang(),
            "cli-arg-addr-nothing",
            addr = addr
        )));
    }
    tokio::net::TcpListener::bind(&addrs[..])
        .await
        .map_err(|e| {
            fail(tr!(
                chosen_lang(),
                "cli-arg-listen-failed",
                addr = addr,
                error = stepwise::describe::os_words(chosen_lang(), &e.to_string())
            ))
        })
}

/// `stepwise login`, `logout` and `auth status`.
fn sign_in(cli: &Cli, lang: Lang) -> ExitCode {
    use stepwise::signin as commands;
    let mut settings = match command_settings(cli, lang) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    if let Some(Command::Login { signin, .. }) = &cli.command {
        signin.apply(&mut settings.signin);
    }
    let rt = match runtime(false) {
        Ok(rt) => rt,
        Err(e) => return fail(tr!(chosen_lang(), "cli-arg-runtime", error = e.to_string())),
    };
    let mut out = std::io::stdout();
    // `auth status` hands its text back, written with `emit` (a closed pipe
    // is quiet); the others write as they go.
    let outcome = rt.block_on(async {
        match &cli.command {
            Some(Command::Login {
                with_token: false, ..
            }) => commands::login(lang, &settings, &mut out)
                .await
                .map(|()| (None, 0)),
            Some(Command::Login {
                with_token: true, ..
            }) => commands::login_with_token(lang, &settings, &mut out)
                .await
                .map(|()| (None, 0)),
            Some(Command::Logout { forget }) => {
                commands::logout(lang, &settings, *forget, &mut out)
                    .await
                    .map(|()| (None, 0))
            }
            Some(Command::Auth {
                command: AuthCommand::Status { json },
            }) => commands::status(lang, &settings, *json)
                .await
                .map(|(text, code)| (Some(text), code)),
            _ => unreachable!("dispatched by main"),
        }
    });
    // The thread that waits for Enter must not keep the process alive.
    rt.shutdown_background();
    match outcome {
        Ok((Some(text), code)) => emit(&with_typed_api(text), code),
        Ok((None, code)) => ExitCode::from(code),
        Err(failure) => {
            let mut message = failure.message;
            // A `login --device` to run again is one with `--device`, and
            // with the provider, client, scopes and audience typed.
            if let Some(Command::Login { signin, .. }) = &cli.command {
                if signin.device {
                    message = stepwise::text::logins_with(&message, "--device");
                }
                let typed = [
                    ("--issuer", &signin.issuer),
                    ("--client-id", &signin.client_id),
                    ("--scope", &signin.scope),
                    ("--audience", &signin.audience),
                ];
                for (flag, value) in typed {
                    if let Some(value) = value {
                        message = stepwise::text::logins_with_value(&message, flag, value);
                    }
                }
            }
            say(&tr!(
                chosen_lang(),
                "cli-arg-error",
                message = placed(message)
            ));
            ExitCode::from(failure.code)
        }
    }
}

/// The words of a script's failed calls, for `backend` as `settings` set it.
fn explainer<'a>(backend: &'a Backend, settings: &'a Settings) -> commands::Explainer<'a> {
    let mut explainer = commands::Explainer::new(
        backend,
        settings.signin.issuer.as_deref(),
        settings
            .login_trouble
            .clone()
            .filter(|_| settings.token_from.is_none()),
    );
    explainer.api_typed = API_TYPED.get().cloned();
    // A token given by hand wins over a login kept for the gateway.
    if let (Some(from), Some(api)) = (settings.token_from, &settings.api)
        && !from.is_login()
    {
        explainer.kept_login_at = Some((api.clone(), settings.data_dir.clone()));
    }
    explainer
}

/// `steps` for several vehicles: their lines, or, on Ctrl-C before every
/// list is in, a line that says the run was cut and why nothing was
/// printed, exit 130 (stranger 69, BR14).
async fn steps_many(
    explainer: &commands::Explainer<'_>,
    cars: &[String],
    (status, reset, json): (stepwise::steps::StatusFilter, bool, bool),
    lang: Lang,
    deadline: std::time::Duration,
) -> ExitCode {
    let many = commands::steps_many(explainer, cars, status, reset, json, lang, deadline);
    let outcome = tokio::select! {
        outcome = many => outcome,
        _ = tokio::signal::ctrl_c() => {
            say(&format!("stepwise: {}", tr!(
                lang,
                "cli-interrupted-many",
                count = stepwise::text::num(cars.len()),
                secs = deadline.as_secs()
            )));
            return ExitCode::from(130);
        }
    };
    say_failures(&outcome.failures);
    emit(&outcome.stdout, outcome.code)
}

/// What in the settings keeps a command from working as asked, said
/// before a gateway's answer would blame something else.
fn say_settings_trouble(lang: Lang, settings: &Settings) {
    // A device id that cannot be kept makes every run a new device: said
    // before a gateway refuses an earlier run's stepsID as another's.
    if let (Some(_), Some((dir, why))) = (&settings.api, &settings.device_unkept) {
        let what = stepwise::describe::device_unkept(lang, dir, why);
        say(&tr!(lang, "cli-arg-warning", what = what));
    }
    // A login file that cannot be read is why no token goes out: said
    // before the gateway's 401 would blame a missing sign-in.
    if let (None, Some(trouble)) = (settings.token_from, &settings.login_trouble) {
        say(&tr!(
            lang,
            "cli-arg-login-trouble",
            why = trouble.words(lang)
        ));
    }
}

/// The client's options for `steps` and `next`: `--concurrency`, and the
/// waits a 429 asks said on stderr (against `--deadline`).
fn script_options(cli: &Cli, lang: Lang) -> stepwise::client::ClientOptions {
    let mut options = stepwise::client::ClientOptions::default();
    if let Some(n) = cli.concurrency {
        options.concurrency = usize::from(n);
    }
    let deadline_at = match &cli.command {
        Some(Command::Steps { deadline, .. }) => {
            std::time::Instant::now().checked_add(std::time::Duration::from_secs(*deadline))
        }
        _ => None,
    };
    options.on_wait = Some(waits_said(lang, deadline_at));
    options
}

/// The settings of a command that talks to a gateway: resolved, where
/// the gateway's address came from noted, the network flags applied; the
/// exit code of settings that cannot be used.
fn command_settings(cli: &Cli, lang: Lang) -> Result<Settings, ExitCode> {
    stepwise::logging::to_file_direct();
    let resolve = match cli.command {
        Some(Command::Login { .. }) => Settings::resolve_for_login,
        _ => Settings::resolve,
    };
    let mut settings = resolve(cli.api.clone(), cli.token_file.as_deref())
        .map_err(|e| settings_failed(lang, cli.api.as_deref(), &e))?;
    note_api_place(&settings);
    cli.net.apply(&mut settings.net);
    Ok(settings)
}

/// `stepwise steps` and `stepwise next`.
fn script(cli: Cli, lang: Lang) -> ExitCode {
    let settings = match command_settings(&cli, lang) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    say_settings_trouble(lang, &settings);
    let rt = match runtime(false) {
        Ok(rt) => rt,
        Err(e) => return fail(tr!(chosen_lang(), "cli-arg-runtime", error = e.to_string())),
    };
    rt.block_on(async move {
        let options = script_options(&cli, lang);
        let backend = match Backend::start_with(&settings, false, options, 0).await {
            Ok(b) => b,
            Err(e) => return fail(gateway_error(lang, &e)),
        };
        let mut explainer = explainer(&backend, &settings);
        let cars = car_ids(&cli, lang).map(|ids| {
            for note in &ids.notes {
                say(note);
            }
            ids.ids
        });
        let reset_asked = matches!(cli.command, Some(Command::Steps { reset: true, .. }));
        let failed_json: Option<Lookup>;
        let outcome = match cli.command {
            Some(Command::Steps {
                steps_id,
                status,
                reset,
                json,
                deadline,
            }) => {
                let cars = match cars {
                    Ok(cars) => cars,
                    Err(e) => return usage(e),
                };
                // Several given (one given twice too): one line per vehicle,
                // whatever is left once repeats are asked once.
                if cars.len() > 1 || cli.car.len() > 1 || cli.cars.is_some() {
                    let deadline = std::time::Duration::from_secs(deadline);
                    let many = (status.into(), reset, json);
                    return steps_many(&explainer, &cars, many, lang, deadline).await;
                }
                let lookup = match (cars.into_iter().next(), steps_id) {
                    (Some(car), None) => Lookup::Car(car),
                    (None, Some(id)) => Lookup::StepsId(id),
                    _ => {
                        return usage(format!(
                            "{}\n\n{} stepwise steps (--car ID... | --cars FILE | --steps-id ID) [--status STATUS] [--reset] [--json] [--deadline SECONDS]",
                            tr!(lang, "cli-arg-steps-needs-car"),
                            tr!(lang, "help-cli-usage")
                        ));
                    }
                };
                match &lookup {
                    Lookup::Car(car) => explainer.car = Some(car.clone()),
                    Lookup::StepsId(id) => explainer.steps_id = Some(id.clone()),
                }
                // One vehicle waits at most --deadline too, whatever the
                // client's own limits and retries add up to.
                failed_json = json.then(|| lookup.clone());
                let run = commands::steps(&backend, lookup.clone(), status.into(), reset, json, lang);
                match commands::within(deadline, lang, run).await {
                    Ok(outcome) => outcome,
                    Err(late) => {
                        if json {
                            let line = commands::FailedJson::new(&lookup, late.english, None, late.limited).on(&backend);
                            print_json_failure(&line.line());
                        }
                        return fail(format!("{}: {}", lookup.id(), late.said));
                    }
                }
            }
            Some(Command::Next { steps_id, json }) => {
                explainer.steps_id = Some(steps_id.clone());
                failed_json = json.then(|| Lookup::StepsId(steps_id.clone()));
                commands::next(&backend, &steps_id, json, lang).await
            }
            _ => unreachable!("dispatched by main"),
        };
        // A script asking for JSON gets the failure as JSON too, the
        // words the person reads still on stderr.
        if let (Err(e), Some(lookup)) = (&outcome, &failed_json) {
            // Another device's stepsID: the command that gets this device
            // its own, as stderr says (stranger 83, CF5).
            let english = if e.is_wrong_device() {
                let unkept = settings.device_unkept.is_some();
                explainer.typed(wrong_device_words(Lang::En, e, unkept, reset_asked))
            } else {
                explainer.words(Lang::En, e).await
            };
            let failed = commands::FailedJson::new(lookup, english, Some(e), false)
                .on(&backend)
                .store_unread(explainer.login_trouble.is_some());
            print_json_failure(&failed.line());
        }
        match outcome {
            Ok(outcome) => emit_outcome(&outcome, lang),
            // A stepsID of another device: the command that gets this
            // device its own, not only "start again".
            Err(e) if e.is_wrong_device() => fail(wrong_device_words(
                lang,
                &e,
                settings.device_unkept.is_some(),
                reset_asked,
            )),
            Err(e) => fail(explainer.words(lang, &e).await),
        }
    })
}

/// The wizard, on the configured gateway or the embedded simulator.
fn wizard(
    api: Option<String>,
    token_file: Option<&std::path::Path>,
    net: &stepwise::cli::NetArgs,
    launch: Launch,
    vehicles: Option<&str>,
) -> ExitCode {
    // color-eyre's hooks go in before the terminal is set up, so that
    // ratatui's panic hook restores the terminal and then reports.
    use std::io::IsTerminal;
    // The command these suggest for a script names the vehicles as given
    // (`--car` each, `--cars FILE`).
    // For the demo, that `steps` answers from the embedded simulator only
    // where no gateway is configured.
    let demo = launch.demo;
    let for_script = |message: String| {
        let message = match demo {
            true => format!("{message}. {}", tr!(chosen_lang(), "cli-arg-demo-scripts")),
            false => message,
        };
        match vehicles {
            Some(given) => message.replace("--car ID", given),
            None => message,
        }
    };
    if std::env::var_os("TERM").is_some_and(|term| term == "dumb") {
        return fail(for_script(tr!(chosen_lang(), "cli-arg-dumb-terminal")));
    }
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return fail(for_script(tr!(chosen_lang(), "cli-arg-no-terminal")));
    }
    if let Err(e) = color_eyre::install() {
        return fail(e);
    }
    let log = stepwise::logging::to_file();
    let api_flag = api.clone();
    let mut settings = match Settings::resolve(api, token_file) {
        Ok(s) => s,
        Err(e) => return settings_failed(launch.lang, api_flag.as_deref(), &e),
    };
    note_api_place(&settings);
    net.apply(&mut settings.net);
    let mut launch = launch;
    if let (Some(_), Some((dir, why))) = (&settings.api, &settings.device_unkept) {
        let said = stepwise::describe::device_unkept(launch.lang, dir, why);
        // A sentence of its own on screen.
        let mut chars = said.chars();
        let said: String = chars
            .next()
            .map(char::to_uppercase)
            .into_iter()
            .flatten()
            .chain(chars)
            .collect();
        launch.notes.push(said);
    }
    let rt = match runtime(true) {
        Ok(rt) => rt,
        Err(e) => return fail(tr!(chosen_lang(), "cli-arg-runtime", error = e.to_string())),
    };
    let result = rt.block_on(stepwise::app::run(&settings, launch));
    // Tasks still waiting on a silent gateway are dropped, not awaited; a
    // file or token store write already under way on a blocking thread is
    // given a moment to finish, so that quitting mid-save leaves neither a
    // half-written temporary file (it may hold a token) nor a lost save.
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    drop(log);
    match result {
        Ok(ended) => {
            if let Some(path) = ended.report {
                let path = path.display().to_string();
                say(&if ended.notes_kept {
                    tr!(chosen_lang(), "cli-arg-report-notes-kept", path = path)
                } else if ended.report_empty {
                    tr!(chosen_lang(), "cli-arg-report-empty", path = path)
                } else {
                    tr!(chosen_lang(), "cli-arg-report-written", path = path)
                });
            }
            if let Some(notes) = ended.notes_unkept {
                say(&tr!(chosen_lang(), "cli-arg-report-notes-unkept"));
                for note in notes {
                    say(&format!("  - {note}"));
                }
            }
            if let Some(earlier) = ended.earlier {
                let earlier = earlier.display().to_string();
                say(&tr!(
                    chosen_lang(),
                    "cli-arg-report-earlier-kept",
                    path = earlier
                ));
            }
            // Ended by a signal: the shell's convention, 128 + its number.
            match ended.signal {
                Some(n) => ExitCode::from(u8::try_from(128 + n).unwrap_or(1)),
                None => ExitCode::SUCCESS,
            }
        }
        Err(e) => fail(format!("{e:#}")),
    }
}

/// `stepwise doctor`: every check, one line each; exit 1 when one failed.
fn doctor(cli: &Cli, json: bool, lang: Lang) -> ExitCode {
    use stepwise::doctor;
    stepwise::logging::to_file_direct();
    let path = stepwise::config::config_path();
    let (config, file) = doctor::config_check(path.as_ref());
    // Without a valid file the config check has failed already and says why.
    let settings = file.ok_or(None).and_then(|file| {
        Settings::resolve(cli.api.clone(), cli.token_file.as_deref())
            .map(|settings| (settings, file))
            .map_err(Some)
    });
    let report = match settings {
        Err(e) => doctor::unusable_settings(
            config,
            e.as_ref(),
            stepwise::config::ApiFrom::of(cli.api.as_deref(), None)
                .unwrap_or(stepwise::config::ApiFrom::Config),
        ),
        Ok((mut settings, file)) => {
            cli.net.apply(&mut settings.net);
            let source = doctor::token_source(cli.token_file.as_deref(), &file);
            let rt = match runtime(false) {
                Ok(rt) => rt,
                Err(e) => {
                    return fail(tr!(chosen_lang(), "cli-arg-runtime", error = e.to_string()));
                }
            };
            let report = rt.block_on(doctor::run(
                &settings,
                config,
                &source,
                cli.car.first().map(String::as_str),
            ));
            // A check still waiting on a silent gateway is dropped, not awaited.
            rt.shutdown_background();
            report
        }
    };
    let code = if report.failed() { EXIT_ERROR } else { 0 };
    if json {
        // Its fixes carry the --api typed, as in the text (stranger 56, BE3).
        emit(&report.json_edited(&with_typed_api), code)
    } else {
        // Its fixes suggest commands: with a typed --api, they carry it.
        emit(&with_typed_api(report.text(lang)), code)
    }
}
