//! The binary: parse the command line, install hooks, dispatch.

use std::process::ExitCode;

use clap::Parser;
use stepwise::backend::Backend;
use stepwise::cli::{Cli, Command};
use stepwise::client::Lookup;
use stepwise::commands::{self, EXIT_ERROR, EXIT_USAGE};
use stepwise::config::{Secret, Settings};
use stepwise::sim::Scenario;
use stepwise::wizard::Launch;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve {
            addr,
            ref scenario,
            ref token,
            tls,
            ref tls_dir,
            ref client_ca,
        }) => {
            let tls = tls.then(|| TlsServe {
                dir: tls_dir.clone(),
                client_ca: client_ca.clone(),
            });
            serve(addr, scenario.as_deref(), token.clone(), tls)
        }
        Some(Command::Doctor { json }) => doctor(&cli, json),
        Some(Command::Completions { shell }) => {
            stepwise::shell::completions(shell, &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Some(Command::Man) => match stepwise::shell::man_page(&mut std::io::stdout()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("cannot write the manual page: {e}")),
        },
        Some(Command::Steps { .. } | Command::Next { .. }) => script(cli),
        Some(Command::Demo { autoplay }) => wizard(
            cli.api,
            cli.token_file,
            &cli.net,
            Launch {
                car: cli.car,
                demo: true,
                autoplay,
                report: cli.report,
            },
        ),
        None => wizard(
            cli.api,
            cli.token_file,
            &cli.net,
            Launch {
                car: cli.car,
                demo: false,
                autoplay: false,
                report: cli.report,
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

/// `serve --tls`: where the generated files go, and whose client
/// certificates to demand.
struct TlsServe {
    dir: Option<std::path::PathBuf>,
    client_ca: Option<std::path::PathBuf>,
}

/// Generates the simulator's authority and certificate, writes them out, and
/// says how to trust them.
fn sim_tls(tls: &TlsServe) -> Result<std::sync::Arc<rustls::ServerConfig>, String> {
    use stepwise::sim::tls::{CertSpec, generate};
    let dir = tls
        .dir
        .clone()
        .or_else(stepwise::sim::tls::default_dir)
        .ok_or("no data directory to write the certificates to. Give --tls-dir DIR")?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        format!(
            "cannot create {}: {e}. Give another --tls-dir",
            dir.display()
        )
    })?;
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let ca_file = dir.join("ca.pem");
    let spec = CertSpec {
        authority_note: Some(ca_file.display().to_string()),
        ..CertSpec::default()
    };
    let generated = generate(&spec).map_err(|e| e.to_string())?;
    generated
        .write_to(&dir)
        .map_err(|e| format!("{e}. Give another --tls-dir"))?;
    let client_ca = match &tls.client_ca {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the --client-ca file {}: {}. Check the path",
                path.display(),
                e.kind()
            )
        })?),
        None => None,
    };
    let config = generated
        .server_config(client_ca.as_deref())
        .map_err(|e| format!("{e}. Check the --client-ca file"))?;
    println!(
        "Authority written to {}: clients trust it with --ca-file {}",
        ca_file.display(),
        ca_file.display()
    );
    if let Some(path) = &tls.client_ca {
        println!(
            "Client certificates signed by {} are required",
            path.display()
        );
    }
    Ok(config)
}

/// `stepwise serve`: the simulator in the foreground until Ctrl-C.
fn serve(
    addr: std::net::SocketAddr,
    scenario: Option<&std::path::Path>,
    token: Option<String>,
    tls: Option<TlsServe>,
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
    let tls = match tls.as_ref().map(sim_tls).transpose() {
        Ok(tls) => tls,
        Err(e) => return fail(e),
    };
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
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!(
            "stepwise simulator listening on {scheme}://{bound} ({count} associations; Ctrl-C stops)"
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let served = match tls {
            Some(config) => {
                stepwise::sim::serve_tls(listener, config, scenario, token, shutdown).await
            }
            None => stepwise::sim::serve(listener, scenario, token, shutdown).await,
        };
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("the simulator stopped: {e}")),
        }
    })
}

/// `stepwise steps` and `stepwise next`.
fn script(cli: Cli) -> ExitCode {
    let _log = stepwise::logging::to_file();
    let mut settings = match Settings::resolve(cli.api.clone(), cli.token_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    cli.net.apply(&mut settings.net);
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
fn wizard(
    api: Option<String>,
    token_file: Option<std::path::PathBuf>,
    net: &stepwise::cli::NetArgs,
    launch: Launch,
) -> ExitCode {
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
    let mut settings = match Settings::resolve(api, token_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    net.apply(&mut settings.net);
    let rt = match runtime(true) {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result = rt.block_on(stepwise::wizard::run(&settings, launch));
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

/// `stepwise doctor`: every check, one line each; exit 1 when one failed.
fn doctor(cli: &Cli, json: bool) -> ExitCode {
    use stepwise::doctor;
    let _log = stepwise::logging::to_file();
    let path = stepwise::config::config_path();
    let (config, file) = doctor::config_check(path.as_deref());
    let settings = file
        .ok_or_else(|| "the config file is not valid".to_owned())
        .and_then(|file| {
            Settings::resolve(cli.api.clone(), cli.token_file.as_deref())
                .map(|settings| (settings, file))
                .map_err(|e| e.to_string())
        });
    let report = match settings {
        Err(e) => doctor::unusable_settings(config, &e),
        Ok((mut settings, file)) => {
            cli.net.apply(&mut settings.net);
            let source = doctor::token_source(cli.token_file.as_deref(), &file);
            let rt = match runtime(false) {
                Ok(rt) => rt,
                Err(e) => return fail(format!("cannot start the async runtime: {e}")),
            };
            let report = rt.block_on(doctor::run(&settings, config, &source, cli.car.as_deref()));
            // A check still waiting on a silent gateway is dropped, not awaited.
            rt.shutdown_background();
            report
        }
    };
    if json {
        print!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    if report.failed() {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}
