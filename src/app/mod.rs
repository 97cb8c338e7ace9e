//! The running wizard: sets up the backend, feeds the pure update with keys,
//! messages and timers, carries out its effects and draws. It sits above
//! both [`crate::wizard`] and [`crate::ui`], so their arrows point down only.

mod effects;
mod tasks;
mod terminal;

use std::path::PathBuf;
use std::time::SystemTime;

use crate::backend::Backend;
use crate::config::{Settings, recent_ids};
use crate::text::Lang;
use crate::wizard::{Options, State, update};

/// How the wizard was asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub car: Option<String>,
    /// Several vehicles (`--car` repeated, `--cars FILE`, `fleet`): the
    /// board opens on them.
    pub cars: Vec<String>,
    /// Open the board even on one vehicle or none (`fleet`, `demo --board`).
    pub board: bool,
    /// Requests in flight at once; the client's default otherwise.
    pub concurrency: Option<usize>,
    pub demo: bool,
    pub autoplay: bool,
    pub report: Option<PathBuf>,
    pub lang: Lang,
    /// Words for the first screen, in `lang` (see [`update::say_first`]).
    pub notes: Vec<String>,
}

/// How the wizard ended: where the report went (and whether the run had
/// nothing to report), and the signal that ended it (`kill`, a closed
/// session) rather than the user.
#[derive(Debug, Default)]
pub struct Ended {
    pub report: Option<PathBuf>,
    pub report_empty: bool,
    pub signal: Option<i32>,
    /// The earlier report `--report` named, kept beside it (`<name>.1`).
    pub earlier: Option<PathBuf>,
    /// No `--report`, and notes no report held: `report` is where they
    /// were kept (the run ended without a second `q`).
    pub notes_kept: bool,
    /// Such notes, when no report could be written to keep them.
    pub notes_unkept: Option<Vec<String>>,
}

/// The tokens in use at start (given by hand, or the kept login's): a note
/// that holds one is not kept.
fn secrets(settings: &Settings) -> Vec<crate::secret::Secret> {
    let kept = settings.login.iter().flat_map(|kept| {
        let credential = &kept.credential;
        std::iter::once(crate::secret::Secret::new(credential.access_token.clone())).chain(
            credential
                .refresh_token
                .clone()
                .map(crate::secret::Secret::new),
        )
    });
    settings.token.iter().cloned().chain(kept).collect()
}

/// Runs the wizard to its end; writes `--report` after the terminal is
/// restored and returns where it went.
pub async fn run(settings: &Settings, launch: Launch) -> color_eyre::Result<Ended> {
    let mut client = crate::client::ClientOptions::default();
    if let Some(n) = launch.concurrency {
        client.concurrency = n;
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // A 429's wait holds every request to the gateway: the screen says so.
    let limited = tx.clone();
    client.on_pause = Some(crate::client::OnWait(std::sync::Arc::new(move |wait| {
        let _ = limited.send(crate::wizard::state::Msg::Limited(wait));
    })));
    let demo_fleet = if launch.demo && launch.board {
        crate::backend::DEMO_FLEET
    } else {
        0
    };
    let backend = Backend::start_with(settings, launch.demo, client, demo_fleet)
        .await
        .map_err(|e| color_eyre::eyre::eyre!(crate::describe::gateway_error(launch.lang, &e)))?;
    let demo = backend.is_demo();
    let autoplay = launch.autoplay && demo;
    let options = Options {
        demo,
        demo_command: launch.demo,
        autoplay,
        backend_label: backend.label(launch.lang),
        gateway_url: backend.gateway.base().to_owned(),
        docs_base_url: settings.docs_base_url.clone(),
        data_dir: settings.data_dir.clone(),
        report_at_exit: launch.report.is_some(),
        complete_call: backend.gateway.complete_call(),
        complete_needs_token: !demo && (settings.token.is_some() || settings.login.is_some()),
        recent: settings
            .data_dir
            .as_deref()
            .map(|dir| recent_ids(dir, &backend.gateway.recent_key()))
            .unwrap_or_default(),
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        lang: launch.lang,
        // Leaked once for the run: the wizard's judge stays a copy.
        login_trouble: settings
            .login_trouble
            .as_ref()
            .map(|e| &*Box::leak(e.words(launch.lang).into_boxed_str())),
        login_fixed: settings
            .login
            .as_ref()
            .is_some_and(|l| l.credential.token_endpoint.is_none()),
        // Only these win over a kept login (the config file's token does
        // not: `login --with-token` is a way past it).
        token_given: settings
            .token_from
            .filter(|from| {
                matches!(
                    from,
                    crate::config::TokenFrom::TokenFile | crate::config::TokenFrom::Environment
                )
            })
            .map(|from| crate::describe::token_from(launch.lang, from)),
        api_typed: crate::client::api_typed(settings),
        secrets: secrets(settings),
        test_panic: cfg!(debug_assertions) && std::env::var_os("STEPWISE_TEST_PANIC").is_some(),
        test_panic_at: match std::env::var_os("STEPWISE_TEST_PANIC") {
            Some(v) if v == "task" => crate::wizard::state::TestPanic::Task,
            Some(v) if v == "elsewhere" => crate::wizard::state::TestPanic::Elsewhere,
            _ => crate::wizard::state::TestPanic::Loop,
        },
    };
    let mut state = State::new(options);
    let mut cars = launch.cars;
    if let Some(car) = launch.car {
        cars.insert(0, car);
    }
    let board = launch.board || cars.len() > 1;
    if board && cars.is_empty() && demo {
        cars = backend.demo_cars();
    }
    let mut runner = effects::Runner::new(backend.gateway.clone(), tx)
        .with_sign_in(settings.signin.clone())
        .with_demo_start(backend.demo_start());
    let first = if board {
        update::start_board(&mut state, cars, SystemTime::now())
    } else {
        // A hands-free demo starts by itself, on a new customer.
        let car = match cars.pop() {
            None if autoplay => backend.demo_car(),
            car => car,
        };
        update::start(&mut state, car, SystemTime::now())
    };
    update::say_first(&mut state, &launch.notes);
    // A terminal that failed under the loop (gone: a hang-up whose read or
    // draw error comes before its signal) still gets the report written,
    // then its error said.
    let ran = terminal::run(&mut state, first, &mut runner, &mut rx).await;
    // Ctrl-C or a signal in the note field: what was typed is not lost.
    update::keep_unfinished_note(&mut state, SystemTime::now());
    drop(runner);
    drop(backend);
    ended(&state, launch.report, launch.lang, ran)
}

/// What the run leaves: the report written to `report_path` (else, with
/// notes no report holds and no second `q`, where `x` writes), and how it
/// ended.
fn ended(
    state: &crate::wizard::state::State,
    report_path: Option<PathBuf>,
    lang: Lang,
    ran: std::io::Result<Option<i32>>,
) -> color_eyre::Result<Ended> {
    let now = SystemTime::now();
    // The report says how and when the run ended (stranger 81, CD6).
    let end = crate::report::RunEnd::new(now, ran.as_ref().ok().copied().flatten(), ran.is_err());
    let mut report = state.report();
    report.ended = Some(end);
    let Some(path) = report_path else {
        // Notes no report holds, and no second `q` chose to drop them
        // (Ctrl-C, a closed window, a signal, a terminal gone): kept where
        // `x` writes.
        // One `q` and then a signal is no second `q` (stranger 77, BZ4).
        let keep = state.unsaved_note && !(state.quit_asked && state.quit_requested());
        let kept = keep.then(|| keep_elsewhere(state, &report, now)).flatten();
        // Nowhere to write them: said, with the notes themselves.
        let notes_unkept = (keep && kept.is_none()).then(|| report.note_texts());
        return Ok(Ended {
            notes_kept: kept.is_some(),
            notes_unkept,
            report: kept,
            report_empty: false,
            signal: ran?,
            earlier: None,
        });
    };
    let earlier = keep_earlier(&path);
    // Its folder was there at start: one removed during the run is not
    // made again behind the user's back.
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    let written = match folder {
        Some(folder) if !folder.is_dir() => Err(crate::tr!(
            lang,
            "os-folder-gone",
            folder = folder.display().to_string()
        )),
        _ => report
            .write(&path)
            .map_err(|e| crate::files::unwritable_words(lang, &e, &path)),
    };
    let signal = ran?;
    if let Err(why) = written {
        let path = path.display().to_string();
        // The session's only copy is not lost: written where `x` writes.
        return Err(color_eyre::eyre::eyre!(
            match keep_elsewhere(state, &report, now) {
                Some(kept) => crate::tr!(
                    lang,
                    "cli-arg-report-unwritable-kept",
                    path = path,
                    why = why,
                    kept = kept.display().to_string()
                ),
                // Nowhere else either: the notes themselves are said.
                None => {
                    let mut words =
                        crate::tr!(lang, "cli-arg-report-unwritable", path = path, why = why);
                    let notes = report.note_texts();
                    if !notes.is_empty() {
                        words.push('\n');
                        words.push_str(&crate::tr!(lang, "cli-arg-report-notes-unkept"));
                        for note in notes {
                            words.push_str("\n  - ");
                            words.push_str(&note);
                        }
                    }
                    words
                }
            }
        ));
    }
    Ok(Ended {
        report: Some(path),
        report_empty: report.is_empty(),
        signal,
        earlier,
        notes_kept: false,
        notes_unkept: None,
    })
}

/// The session's report written where `x` writes (the data folder's
/// reports), when the run has a data folder: its path.
fn keep_elsewhere(
    state: &crate::wizard::state::State,
    report: &crate::report::SessionReport,
    now: SystemTime,
) -> Option<PathBuf> {
    let path = report.default_path(state.options.data_dir.as_ref()?, now);
    report.write(&path).ok().map(|()| path)
}

/// An earlier report at `path` (the only file `--report` replaces) is kept
/// beside it as `<name>.1` (or `.2`, …: the first name not taken, so no
/// earlier keep is replaced) before the new one is written: its path.
fn keep_earlier(path: &std::path::Path) -> Option<PathBuf> {
    let mut head = [0u8; 512];
    let n = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    if n == 0 || !crate::report::is_report(&head[..n]) {
        return None;
    }
    let kept = (1..1000).map(|n| {
        let mut kept = path.as_os_str().to_owned();
        kept.push(format!(".{n}"));
        PathBuf::from(kept)
    });
    let kept = kept
        .into_iter()
        .find(|k| std::fs::symlink_metadata(k).is_err())?;
    std::fs::rename(path, &kept).ok().map(|()| kept)
}
