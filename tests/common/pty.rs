//! End-to-end harness: the real `stepwise` binary in a pseudo-terminal, its
//! output parsed by a vt100 emulator, and `stepwise serve` as a child process.
//!
//! Synchronisation is always by polling the parsed screen (or a socket, or the
//! process table) until a condition holds, with a bound; never a fixed sleep.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// The debug binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_stepwise");

/// How often the screen (or a socket) is polled.
const POLL: Duration = Duration::from_millis(20);

/// Environment variables a spawned process must not inherit from whoever runs
/// the tests: they would point it at another gateway, config or data dir, turn
/// colour off, change the language, let `o` launch a browser, or make a panic report so long
/// (backtraces) that its message scrolls off the screen.
pub const SCRUBBED_ENV: &[&str] = &[
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "STEPWISE_API",
    "STEPWISE_TOKEN",
    "STEPWISE_CONFIG",
    "STEPWISE_DOCS_URL",
    "STEPWISE_TEST_PANIC",
    "STEPWISE_LANG",
    "LC_ALL",
    "LC_MESSAGES",
    "LANG",
    "NO_COLOR",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "COLORBT_SHOW_HIDDEN",
    "DBUS_SESSION_BUS_ADDRESS",
    "STEPWISE_TOKEN_STORE",
];

/// Every proxy variable, in both cases: a test that means no proxy (or one
/// of its own) removes them all.
pub const PROXY_ENV: &[&str] = &[
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// The same scrubbing for a plain `std::process::Command` (serve, scripts).
pub fn scrub_command(cmd: &mut std::process::Command, home: &Path) {
    for name in SCRUBBED_ENV {
        cmd.env_remove(name);
    }
    cmd.env("HOME", home).env("TERM", "xterm-256color");
}

// ------------------------------------------------------------------ keys

/// Keys that are not plain text, as a terminal sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Enter,
    Esc,
    Up,
    Down,
    Backspace,
    CtrlC,
}

impl Key {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Key::Enter => b"\r",
            Key::Esc => b"\x1b",
            Key::Up => b"\x1b[A",
            Key::Down => b"\x1b[B",
            Key::Backspace => b"\x7f",
            Key::CtrlC => b"\x03",
        }
    }
}

// ------------------------------------------------------------------ the terminal

/// Records what the emulated terminal is told beyond cells: window titles.
#[derive(Debug, Default)]
pub struct Recorder {
    pub titles: Vec<String>,
}

impl vt100::Callbacks for Recorder {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles
            .push(String::from_utf8_lossy(title).into_owned());
    }
}

/// What the reader thread fills: the emulator, every raw byte, and whether
/// the pty reached its end.
struct Term {
    parser: vt100::Parser<Recorder>,
    raw: Vec<u8>,
    eof: bool,
}

/// How to start the wizard (or any stepwise command) in a pty.
#[derive(Debug, Clone)]
pub struct Spawn {
    args: Vec<String>,
    env: Vec<(String, String)>,
    cols: u16,
    rows: u16,
    home: Option<PathBuf>,
}

impl Spawn {
    pub fn new(args: &[&str]) -> Self {
        Spawn {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: Vec::new(),
            cols: 110,
            rows: 32,
            home: None,
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn size(mut self, cols: u16, rows: u16) -> Self {
        self.cols = cols;
        self.rows = rows;
        self
    }

    /// A HOME of the test's choosing (else a fresh temporary one).
    pub fn home(mut self, home: &Path) -> Self {
        self.home = Some(home.to_owned());
        self
    }

    pub fn start(self) -> Tui {
        Tui::spawn(self)
    }
}

/// The binary running in a pseudo-terminal.
pub struct Tui {
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn Child + Send + Sync>,
    term: Arc<Mutex<Term>>,
    reader: Option<JoinHandle<()>>,
    status: Option<ExitStatus>,
    started: Instant,
    /// Kept alive as long as the process may use it.
    _home: Option<tempfile::TempDir>,
    pub home_path: PathBuf,
}

impl Tui {
    fn spawn(spec: Spawn) -> Tui {
        let (owned_home, home_path) = match spec.home {
            Some(path) => (None, path),
            None => {
                let dir = tempfile::tempdir().expect("a temporary HOME");
                let path = dir.path().to_owned();
                (Some(dir), path)
            }
        };
        let size = PtySize {
            rows: spec.rows,
            cols: spec.cols,
            pixel_width: 0,
            pixel_height: 0,
        };
        let pair = native_pty_system()
            .openpty(size)
            .unwrap_or_else(|e| panic!("cannot open a pty: {e}"));
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(&spec.args);
        for name in SCRUBBED_ENV {
            cmd.env_remove(name);
        }
        cmd.env("HOME", &home_path);
        cmd.env("TERM", "xterm-256color");
        for (key, value) in &spec.env {
            cmd.env(key, value);
        }
        cmd.cwd(&home_path);
        let child = pair
            .slave
            .spawn_command(cmd)
            .unwrap_or_else(|e| panic!("cannot spawn {BIN} {:?}: {e}", spec.args));
        // Only the child holds the slave now, so its exit ends the reader.
        drop(pair.slave);
        let master = pair.master;
        let mut reader = master
            .try_clone_reader()
            .unwrap_or_else(|e| panic!("cannot read the pty: {e}"));
        let writer = Arc::new(Mutex::new(
            master
                .take_writer()
                .unwrap_or_else(|e| panic!("cannot write the pty: {e}")),
        ));
        let term = Arc::new(Mutex::new(Term {
            parser: vt100::Parser::new_with_callbacks(spec.rows, spec.cols, 0, Recorder::default()),
            raw: Vec::new(),
            eof: false,
        }));
        let thread_term = Arc::clone(&term);
        let thread_writer = Arc::clone(&writer);
        let reader = thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let chunk = &buf[..n];
                    let reply = {
                        let mut term = lock(&thread_term);
                        term.raw.extend_from_slice(chunk);
                        term.parser.process(chunk);
                        // Answer a cursor position query, as a terminal would,
                        // so that nothing in the child waits for one.
                        contains(chunk, b"\x1b[6n").then(|| {
                            let (row, col) = term.parser.screen().cursor_position();
                            format!("\x1b[{};{}R", row + 1, col + 1)
                        })
                    };
                    if let Some(reply) = reply {
                        let mut w = lock(&thread_writer);
                        let _ = w.write_all(reply.as_bytes());
                        let _ = w.flush();
                    }
                }
                lock(&thread_term).eof = true;
            })
            .expect("the reader thread");
        Tui {
            master,
            writer,
            child,
            term,
            reader: Some(reader),
            status: None,
            started: Instant::now(),
            _home: owned_home,
            home_path,
        }
    }

    /// Types text (each character a key press).
    pub fn send(&self, text: &str) {
        self.send_bytes(text.as_bytes());
    }

    pub fn key(&self, key: Key) {
        self.send_bytes(key.bytes());
    }

    pub fn send_bytes(&self, bytes: &[u8]) {
        let mut w = lock(&self.writer);
        w.write_all(bytes).expect("write to the pty");
        w.flush().expect("flush the pty");
    }

    /// The screen as text, one line per row (trailing blanks trimmed).
    pub fn screen_text(&self) -> String {
        lock(&self.term).parser.screen().contents()
    }

    /// The last window title set, if any.
    pub fn title(&self) -> Option<String> {
        lock(&self.term).parser.callbacks().titles.last().cloned()
    }

    /// Every window title set so far, in order.
    pub fn titles(&self) -> Vec<String> {
        lock(&self.term).parser.callbacks().titles.clone()
    }

    /// Everything the child wrote so far.
    pub fn raw_bytes(&self) -> Vec<u8> {
        lock(&self.term).raw.clone()
    }

    /// How many bytes the child wrote so far (a mark for later slicing).
    pub fn raw_len(&self) -> usize {
        lock(&self.term).raw.len()
    }

    /// Whether the emulated terminal is on the alternate screen.
    pub fn alternate_screen(&self) -> bool {
        lock(&self.term).parser.screen().alternate_screen()
    }

    /// Polls the screen until `cond` holds; returns that screen. Panics after
    /// `timeout` (or as soon as the child is gone and the condition still
    /// fails) with the current screen.
    pub fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        cond: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen_text();
            if cond(&screen) {
                return screen;
            }
            let gone = self.exited() && lock(&self.term).eof;
            if gone || Instant::now() >= deadline {
                // One last look: the final bytes may just have landed.
                let screen = self.screen_text();
                if cond(&screen) {
                    return screen;
                }
                let why = if gone {
                    format!("the process exited ({:?})", self.status)
                } else {
                    format!("timed out after {timeout:?}")
                };
                panic!(
                    "waiting for {what}: {why} ({:.1}s since start). Screen:\n{}\n{}\n{}",
                    self.started.elapsed().as_secs_f64(),
                    "-".repeat(40),
                    screen,
                    "-".repeat(40),
                );
            }
            thread::sleep(POLL);
        }
    }

    /// Waits until `needle` is on screen.
    pub fn wait_text(&mut self, needle: &str, timeout: Duration) -> String {
        self.wait_for(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    /// Resizes the pty (the child gets SIGWINCH) and the emulator alike.
    pub fn resize(&self, cols: u16, rows: u16) {
        let mut term = lock(&self.term);
        term.parser.screen_mut().set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("cannot resize the pty: {e}"));
    }

    fn exited(&mut self) -> bool {
        if self.status.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.status = Some(status);
        }
        self.status.is_some()
    }

    /// Waits for the child to exit, then for its last output to be read.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        if !crate::wait::holds_within(timeout, || self.exited()) {
            panic!(
                "the process did not exit within {timeout:?}. Screen:\n{}",
                self.screen_text()
            );
        }
        self.drain(Duration::from_secs(3));
        self.status.clone().expect("exited")
    }

    /// Waits (bounded) for the reader to reach the end of the output.
    fn drain(&mut self, timeout: Duration) {
        crate::wait::holds_within(timeout, || lock(&self.term).eof);
        // The guard is dropped before the join: the reader thread takes it.
        let eof = lock(&self.term).eof;
        if eof && let Some(handle) = self.reader.take() {
            let _ = handle.join();
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The reader ends by itself once the child is gone; it is not joined
        // here so that a stuck pty can never hang a test's teardown.
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the screen from later looks.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// The first index of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ------------------------------------------------------------------ the simulator

/// A port on loopback that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `stepwise serve` as a child process on a fixed loopback port, which it
/// keeps across a kill and a restart.
pub struct Sim {
    pub port: u16,
    child: Option<std::process::Child>,
    home: tempfile::TempDir,
    /// Options of `serve` beyond `--addr`, kept across restarts.
    extra: Vec<String>,
}

impl Sim {
    /// Starts the simulator on a free port and waits until it accepts.
    pub fn start() -> Sim {
        Sim::start_with(&[])
    }

    /// Like [`Sim::start`], with more options for `serve` (e.g. `--auth device`).
    pub fn start_with(extra: &[&str]) -> Sim {
        // Another process may take the port between the probe and the bind:
        // then try another.
        for _ in 0..5 {
            let mut sim = Sim {
                port: free_port(),
                child: None,
                home: tempfile::tempdir().expect("a temporary HOME"),
                extra: extra.iter().map(|a| (*a).to_owned()).collect(),
            };
            if sim.try_spawn(Duration::from_secs(15)) {
                return sim;
            }
        }
        panic!("stepwise serve did not start on any free port");
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Kills the simulator (SIGKILL) and reaps it; the port is then closed.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Bounded check that nothing answers on the port any more.
        let addr = self.addr();
        crate::wait::until(
            &format!("port {} to stop accepting after the kill", self.port),
            Duration::from_secs(5),
            || {
                TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                    .is_err()
                    .then_some(())
            },
        );
    }

    /// Starts a fresh simulator (fresh state) on the same port.
    pub fn restart(&mut self) {
        self.kill();
        for _ in 0..10 {
            if self.try_spawn(Duration::from_secs(15)) {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "stepwise serve did not restart on port {}; its stderr:\n{}",
            self.port,
            self.stderr()
        );
    }

    /// What the simulator wrote on stderr (its log) so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.home.path().join("serve.stderr")).unwrap_or_default()
    }

    fn try_spawn(&mut self, timeout: Duration) -> bool {
        let stderr = std::fs::File::create(self.home.path().join("serve.stderr"))
            .expect("a file for the simulator's stderr");
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(["serve", "--addr", &format!("127.0.0.1:{}", self.port)])
            .args(&self.extra)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(stderr);
        scrub_command(&mut cmd, self.home.path());
        let mut child = cmd.spawn().expect("spawn stepwise serve");
        let deadline = Instant::now() + timeout;
        loop {
            if TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200)).is_ok() {
                self.child = Some(child);
                return true;
            }
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            thread::sleep(POLL);
        }
    }

    /// The simulated customer completes a step; returns the HTTP status.
    pub fn complete(&self, car: &str, step: &str) -> u16 {
        http(
            self.addr(),
            "POST",
            &format!("/sim/associations/{car}/steps/{step}/complete"),
        )
        .0
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A minimal HTTP/1.1 request; returns the status and the body.
pub fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
