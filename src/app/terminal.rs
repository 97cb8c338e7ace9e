//! The one module that touches the terminal: set-up and restore, the event
//! loop merging keys, network messages and timers, and drawing.

use std::io::{Write, stdout};
use std::time::{Duration, SystemTime};

use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event, EventStream, KeyEventKind,
};
use crossterm::{cursor, execute, queue, style::Print, terminal::SetTitle};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

use super::effects::Runner;
use crate::ui::{self, Link};
use crate::wizard::State;
use crate::wizard::state::{AUTOPLAY_SECS, Effect, Input, Msg, WATCH_SECS};
use crate::wizard::update::{update, update_many};

/// Holds the terminal in raw mode on the alternate screen; dropping it
/// restores the terminal on every way out (a panic is covered by the hook
/// `ratatui::init` installs).
struct TerminalGuard {
    /// Always there until the guard is dropped.
    terminal: Option<DefaultTerminal>,
}

impl TerminalGuard {
    fn enter() -> std::io::Result<Self> {
        let terminal = ratatui::try_init()?;
        super::tasks::install_hook();
        execute!(stdout(), EnableBracketedPaste, SetTitle("stepwise"))?;
        Ok(TerminalGuard {
            terminal: Some(terminal),
        })
    }

    fn terminal(&mut self) -> std::io::Result<&mut DefaultTerminal> {
        self.terminal
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the terminal was given back"))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let pasting = execute!(stdout(), DisableBracketedPaste);
        let restored = ratatui::try_restore();
        match (pasting, restored, self.terminal.take()) {
            (Ok(()), Ok(()), terminal) => drop(terminal),
            // The terminal is gone (its window closed, the SSH session
            // dropped): nothing can be restored, and the terminal's own
            // drop would print that on a closed stderr, which panics and
            // loses the report still to be written. Let go of it unshown.
            (pasting, restored, terminal) => {
                tracing::warn!(
                    ?pasting,
                    ?restored,
                    "the terminal is gone; it is not restored"
                );
                std::mem::forget(terminal);
            }
        }
    }
}

/// The shortest time between two frames (about sixty a second): answers
/// that arrive faster are drawn together.
const FRAME: Duration = Duration::from_millis(16);

/// The longest the loop spends taking answers at once before it looks at
/// the keys and the frame again.
const TAKE_FOR: Duration = Duration::from_millis(8);

fn every(secs: u64) -> tokio::time::Interval {
    let period = Duration::from_secs(secs);
    let mut timer = interval_at(Instant::now() + period, period);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    timer
}

/// What woke the loop.
enum Wake {
    Input(Input),
    /// An answer; those that arrived with it are taken together.
    Msg(Msg),
    /// The frame is due, or nothing that matters happened.
    Nothing,
}

/// Runs the wizard until the user quits. Draws only when something changed:
/// a key, a message, a resize, or a timer that had work (the spinner ticks
/// only while a request is in flight, autoplay only while on, watch only
/// while it has no list to follow yet). Answers are drawn at most once a
/// [`FRAME`]: those waiting in the channel are taken together (followers put
/// in step once per batch, the board's order computed once per frame),
/// however many there are, and drawn in the next frame. A key's frame is
/// drawn at once, so keys never wait for the answers' pace. Returns the number of the signal that
/// ended it, if one did.
pub async fn run(
    state: &mut State,
    first: Vec<Effect>,
    runner: &mut Runner,
    rx: &mut UnboundedReceiver<Msg>,
) -> std::io::Result<Option<i32>> {
    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal()?.size()?;
    update(
        state,
        Input::Resize {
            width: size.width,
            height: size.height,
        },
        SystemTime::now(),
    );
    let mut events = EventStream::new();
    let mut spinner = tokio::time::interval(Duration::from_millis(120));
    spinner.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut watch = every(WATCH_SECS);
    let mut autoplay = every(AUTOPLAY_SECS);
    // The board's freshness column ages, a 429's pause counts down: a frame
    // when their text next changes.
    let clock = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(clock);
    let mut ages = None;
    // The next frame, while one is waiting to be drawn.
    let frame = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(frame);
    let mut dirty = true;
    // A key (or paste, or resize) changed the screen: its frame is drawn
    // at once, not held to the pace of the answers.
    let mut keyed = false;
    let mut last_frame: Option<Instant> = None;
    for effect in first {
        runner.run(effect);
    }
    let mut ended = EndSignals::new()?;
    // The hyperlink last written: cells ratatui leaves alone keep it.
    let mut link: Option<Link> = None;
    loop {
        // After a panic outside a caught task the terminal is restored and
        // its message printed: nothing more is drawn over it.
        if super::tasks::panicked() {
            return Err(stopped(state));
        }
        let due = last_frame.map_or_else(Instant::now, |at| at + FRAME);
        if dirty && (keyed || Instant::now() >= due) {
            if state.on_a_board {
                state.vehicles.refresh_order(state.options.lang);
            }
            draw(guard.terminal()?, state, &mut link)?;
            dirty = false;
            keyed = false;
            last_frame = Some(Instant::now());
            ages = ui::next_change(state, SystemTime::now());
            if let Some(wait) = ages {
                // Just past the change, so the frame shows it.
                clock
                    .as_mut()
                    .reset(Instant::now() + wait + Duration::from_millis(5));
            }
        }
        if state.quit_requested() {
            return Ok(None);
        }
        if dirty {
            frame.as_mut().reset(due);
        }
        // Keys first: a flood of answers never keeps them waiting.
        let wake = tokio::select! {
            biased;
            // Asked to end (kill, a closed SSH session): leave as `q` does,
            // terminal restored and report written.
            signal = ended.recv() => return Ok(Some(signal)),
            () = super::tasks::stopped() => return Err(stopped(state)),
            event = events.next() => match event {
                Some(Ok(event)) => input_of(event).map_or(Wake::Nothing, Wake::Input),
                Some(Err(e)) => return Err(e),
                // The terminal is gone: nothing more can be asked.
                None => return Ok(None),
            },
            () = &mut frame, if dirty => Wake::Nothing,
            // Answers are taken while a frame waits too: their intake is
            // not held to the frames' pace, only their drawing is.
            Some(msg) = rx.recv() => Wake::Msg(msg),
            _ = spinner.tick(), if state.is_loading() => Wake::Input(Input::SpinnerTick),
            // A followed list needs no timer: the follower reports.
            _ = watch.tick(), if state.watch_timer() => Wake::Input(Input::WatchTick),
            _ = autoplay.tick(), if state.autoplaying() => Wake::Input(Input::AutoplayTick),
            () = &mut clock, if ages.is_some() => {
                // Fired: armed again after the next frame.
                ages = None;
                Wake::Input(Input::ClockTick)
            }
        };
        let effects = match wake {
            Wake::Nothing => continue,
            Wake::Input(input) => {
                if matches!(input, Input::Resize { .. }) {
                    // A resize redraws every cell, links included.
                    link = None;
                }
                keyed |= matches!(
                    input,
                    Input::Key(_) | Input::Paste(_) | Input::Resize { .. }
                );
                update(state, input, SystemTime::now())
            }
            Wake::Msg(msg) => take_answers(state, msg, rx),
        };
        for effect in effects {
            runner.run(effect);
        }
        dirty = true;
    }
}

/// Takes `msg` and the answers already waiting with it, for [`TAKE_FOR`]
/// at most, so that keys are never kept waiting.
fn take_answers(state: &mut State, msg: Msg, rx: &mut UnboundedReceiver<Msg>) -> Vec<Effect> {
    let started = Instant::now();
    let mut first = Some(msg);
    let msgs = std::iter::from_fn(|| match first.take() {
        Some(msg) => Some(Input::Msg(msg)),
        None if started.elapsed() < TAKE_FOR => rx.try_recv().ok().map(Input::Msg),
        None => None,
    });
    update_many(state, msgs, SystemTime::now())
}

/// The loop's end after a panic outside a caught task.
fn stopped(state: &State) -> std::io::Error {
    std::io::Error::other(crate::tr!(state.lang(), "cli-arg-internal-error"))
}

/// SIGTERM, SIGHUP and SIGINT from outside (`kill -INT`; Ctrl-C in raw
/// mode is a key), which would otherwise end the process with the terminal
/// still in raw mode and no report written.
#[cfg(unix)]
struct EndSignals {
    term: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl EndSignals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(EndSignals {
            term: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// The number of the signal that came.
    async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.term.recv() => 15,
            _ = self.hangup.recv() => 1,
            _ = self.interrupt.recv() => 2,
        }
    }
}

/// Windows' console events: the console window closed, the user logging
/// off, the system shutting down, Ctrl-Break, and a Ctrl-C sent by another
/// program (a Ctrl-C typed in raw mode is a key). Windows waits for the
/// wizard to leave (a few seconds for a closed window), so the report is
/// written as on `q`. Each is given the number of its Unix counterpart, so
/// the exit code is the same: a closed window 129 (SIGHUP), logoff and
/// shutdown 143 (SIGTERM), Ctrl-C and Ctrl-Break 130 (SIGINT).
#[cfg(windows)]
struct EndSignals {
    close: tokio::signal::windows::CtrlClose,
    logoff: tokio::signal::windows::CtrlLogoff,
    shutdown: tokio::signal::windows::CtrlShutdown,
    brk: tokio::signal::windows::CtrlBreak,
    interrupt: tokio::signal::windows::CtrlC,
}

#[cfg(windows)]
impl EndSignals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::windows as console;
        Ok(EndSignals {
            close: console::ctrl_close()?,
            logoff: console::ctrl_logoff()?,
            shutdown: console::ctrl_shutdown()?,
            brk: console::ctrl_break()?,
            interrupt: console::ctrl_c()?,
        })
    }

    /// The number of the Unix signal that stands for the event that came.
    async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.close.recv() => 1,
            _ = self.logoff.recv() => 15,
            _ = self.shutdown.recv() => 15,
            _ = self.brk.recv() => 2,
            _ = self.interrupt.recv() => 2,
        }
    }
}

#[cfg(not(any(unix, windows)))]
struct EndSignals;

#[cfg(not(any(unix, windows)))]
impl EndSignals {
    fn new() -> std::io::Result<Self> {
        Ok(EndSignals)
    }

    async fn recv(&mut self) -> i32 {
        std::future::pending::<i32>().await
    }
}

/// Terminal events that matter; focus changes and mouse moves do not.
fn input_of(event: Event) -> Option<Input> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Input::Key(key)),
        Event::Paste(text) => Some(Input::Paste(text)),
        Event::Resize(width, height) => Some(Input::Resize { width, height }),
        _ => None,
    }
}

/// Draws a frame; writes its hyperlink unless the same one is already on
/// screen, untouched (ratatui only rewrites cells whose content changed).
fn draw(
    terminal: &mut DefaultTerminal,
    state: &State,
    written: &mut Option<Link>,
) -> std::io::Result<()> {
    let mut link = None;
    terminal.draw(|frame| link = ui::draw(frame, state))?;
    if link != *written {
        if let Some(link) = &link {
            write_link(link)?;
        }
        *written = link;
    }
    Ok(())
}

/// Rewrites a drawn URL as an OSC 8 hyperlink, only for http(s) URLs that
/// parse, so no other text can smuggle sequences through.
fn write_link(link: &Link) -> std::io::Result<()> {
    let Ok(url) = url::Url::parse(&link.url) else {
        return Ok(());
    };
    if !matches!(url.scheme(), "http" | "https") || link.text.chars().any(char::is_control) {
        return Ok(());
    }
    let mut out = stdout().lock();
    queue!(
        out,
        cursor::SavePosition,
        cursor::MoveTo(link.x, link.y),
        Print(format!(
            "\x1b]8;;{}\x1b\\{}\x1b]8;;\x1b\\",
            url.as_str(),
            link.text
        )),
        cursor::RestorePosition
    )?;
    out.flush()
}
