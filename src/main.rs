//! The binary: parse the command line, install hooks, dispatch.

use std::process::ExitCode;

use clap::Parser;
use stepwise::app::Launch;
use stepwise::backend::Backend;
use stepwise::cli::{AuthCommand, AuthMode, Cli, Command};
use stepwise::client::Lookup;
use stepwise::commands::{self, EXIT_ERROR, EXIT_USAGE};
use stepwise::config::{Secret, Settings};
use stepwise::sim::Scenario;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve {
            addr,
            ref scenario,
            ref token,
            auth,
            token_ttl,
        }) => serve(
            addr,
            scenario.as_deref(),
            token.clone(),
            auth.map(|AuthMode::Device| stepwise::sim::AuthOptions {
                token_ttl: std::time::Duration::from_secs(token_ttl),
                ..stepwise::sim::AuthOptions::default()
            }),
        ),
        Some(Command::Login { .. } | Command::Logout | Command::Auth { .. }) => sign_in(cli),
        Some(Command::Steps { .. } | Command::Next { .. }) => script(cli),
        Some(Command::Demo { autoplay }) => wizard(
            cli.api,
            cli.token_file,
            Launch {
                car: cli.car,
                demo: true,
                autoplay,
                report: cli.report,
                ..Launch::default()
            },
        ),
        None => wizard(
            cli.api,
            cli.token_file,
            Launch {
                car: cli.car,
                demo: false,
                autoplay: false,
                report: cli.report,
                ..Launch::default()
            },
        ),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("stepwise: error: {message}");
    ExitCode::from(EXIT_ERROR)
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

/// `stepwise serve`: the simulator in the foreground until Ctrl-C.
fn serve(
    addr: std::net::SocketAddr,
    scenario: Option<&std::path::Path>,
    token: Option<String>,
    auth: Option<stepwise::sim::AuthOptions>,
) -> ExitCode {
    stepwise::logging::to_stderr();
    let scenario = match scenario
        .map(Scenario::load)
        .unwrap_or_else(|| Ok(Scenario::built_in()))
    {
        Ok(s) => s,
        Err(e) => return fail(format!("{e}. Fix the file or leave out --scenario")),
    };
    let token = token.filter(|t| !t.trim().is_empty()).map(Secret::new);
    let rt = match runtime(true) {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                return fail(format!(
                    "cannot listen on {addr}: {e}. Choose another --addr"
                ));
            }
        };
        let bound = listener.local_addr().unwrap_or(addr);
        let count = scenario.associations.len();
        println!(
            "stepwise simulator listening on http://{bound} ({count} associations; Ctrl-C stops)"
        );
        let mut shared = stepwise::sim::Shared::new(stepwise::sim::SimState::new(scenario), token);
        if let Some(options) = auth {
            println!(
                "device sign-in on: tokens last {} s; approve a code with POST /sim/device/CODE/approve (or /deny), or open http://{bound}/device",
                options.token_ttl.as_secs()
            );
            shared = shared.with_auth(options);
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match stepwise::sim::serve_shared(listener, shared, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("the simulator stopped: {e}")),
        }
    })
}

/// `stepwise login`, `logout` and `auth status`.
fn sign_in(cli: Cli) -> ExitCode {
    use stepwise::auth::commands;
    let _log = stepwise::logging::to_file();
    if cli.car.is_some() || cli.report.is_some() {
        eprintln!(
            "stepwise: error: --car and --report mean nothing to login, logout and auth status; leave them out"
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let settings = match Settings::resolve(cli.api.clone(), cli.token_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let rt = match runtime(false) {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let mut out = std::io::stdout();
    let outcome = rt.block_on(async {
        match cli.command {
            Some(Command::Login { with_token: false }) => {
                commands::login(&settings, &mut out).await.map(|()| 0)
            }
            Some(Command::Login { with_token: true }) => {
                commands::login_with_token(&settings, &mut out)
                    .await
                    .map(|()| 0)
            }
            Some(Command::Logout) => commands::logout(&settings, &mut out).await.map(|()| 0),
            Some(Command::Auth {
                command: AuthCommand::Status { json },
            }) => commands::status(&settings, json).map(|(text, code)| {
                print!("{text}");
                code
            }),
            _ => unreachable!("dispatched by main"),
        }
    });
    // The thread that waits for Enter must not keep the process alive.
    rt.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("stepwise: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// `stepwise steps` and `stepwise next`.
fn script(cli: Cli) -> ExitCode {
    let _log = stepwise::logging::to_file();
    let settings = match Settings::resolve(cli.api.clone(), cli.token_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let rt = match runtime(false) {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    rt.block_on(async move {
        let backend = match Backend::start(&settings, false).await {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        let outcome = match cli.command {
            Some(Command::Steps {
                steps_id,
                status,
                reset,
                json,
            }) => {
                let lookup = match (cli.car, steps_id) {
                    (Some(car), None) => Lookup::Car(car),
                    (None, Some(id)) => Lookup::StepsId(id),
                    _ => {
                        eprintln!("stepwise: error: steps needs --car ID or --steps-id ID\n\nUsage: stepwise steps (--car ID | --steps-id ID) [--status STATUS] [--reset] [--json]");
                        return ExitCode::from(EXIT_USAGE);
                    }
                };
                commands::steps(&backend, lookup, status, reset, json).await
            }
            Some(Command::Next { steps_id, json }) => commands::next(&backend, &steps_id, json).await,
            _ => unreachable!("dispatched by main"),
        };
        match outcome {
            Ok(outcome) => {
                print!("{}", outcome.stdout);
                ExitCode::from(outcome.code)
            }
            Err(e) => fail(e),
        }
    })
}

/// The wizard, on the configured gateway or the embedded simulator.
fn wizard(api: Option<String>, token_file: Option<std::path::PathBuf>, launch: Launch) -> ExitCode {
    // color-eyre's hooks go in before the terminal is set up, so that
    // ratatui's panic hook restores the terminal and then reports.
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return fail(
            "the wizard needs an interactive terminal. For scripts use `stepwise steps --car ID [--json]`",
        );
    }
    if let Err(e) = color_eyre::install() {
        return fail(e);
    }
    let log = stepwise::logging::to_file();
    let settings = match Settings::resolve(api, token_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let rt = match runtime(true) {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result = rt.block_on(stepwise::app::run(&settings, launch));
    // Tasks still waiting on a silent gateway are dropped, not awaited.
    rt.shutdown_background();
    drop(log);
    match result {
        Ok(Some(path)) => {
            eprintln!("Session report written to {}", path.display());
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => fail(format!("{e:#}")),
    }
}
