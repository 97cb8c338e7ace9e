//! End-to-end journeys: the real binary in a pseudo-terminal, driven by keys,
//! against `stepwise serve`, the embedded simulator, or small hostile servers
//! written here. Every wait polls the screen with a bound; none is a sleep.

use crate::pty;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use pty::{BIN, Key, Sim, Spawn, Tui, contains, find, http, scrub_command};
use serde_json::{Value, json};

const SHORT: Duration = Duration::from_secs(5);
const LONG: Duration = Duration::from_secs(10);

// ------------------------------------------------------------------ screen helpers

/// The list row of a step, found by its raw name and a status badge (the
/// banner and the guidance panel use titles, never a badge).
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|line| {
        (line.contains("[DONE]") || line.contains("[TODO]") || line.contains("[????]"))
            && line.contains(name)
    })
}

fn row_has(screen: &str, name: &str, badge: &str) -> bool {
    row(screen, name).is_some_and(|r| r.contains(badge))
}

fn is_next(screen: &str, name: &str) -> bool {
    row(screen, name).is_some_and(|r| r.contains("NEXT"))
}

/// The number of step rows on screen.
fn row_count(screen: &str) -> usize {
    screen
        .lines()
        .filter(|l| l.contains("[DONE]") || l.contains("[TODO]"))
        .count()
}

/// The list of 987654 as the documentation shows it.
fn doc_list_shown(s: &str) -> bool {
    row_has(s, "trusterPhoneNumber", "[DONE]")
        && row_has(s, "deviceActivation", "[TODO]")
        && is_next(s, "deviceActivation")
        && row_has(s, "mediumCarKey", "[TODO]")
}

/// SGR sequences in `raw` that touch a colour: foreground or background
/// (30–49, including the 256-colour and RGB forms 38/48 and the defaults
/// 39/49), bright colours (90–97, 100–107) and underline colour (58).
/// Attributes (bold, dim, reverse, underline, ...) and resets are not colours.
fn colour_sgrs(raw: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < raw.len() {
        if raw[i] != 0x1b || raw[i + 1] != b'[' {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 2;
        while j < raw.len() && (0x20..=0x3f).contains(&raw[j]) {
            j += 1;
        }
        if j >= raw.len() {
            break;
        }
        if raw[j] == b'm' {
            let params = String::from_utf8_lossy(&raw[i + 2..j]).into_owned();
            let colour = params
                .split([';', ':'])
                .filter_map(|p| p.parse::<u16>().ok())
                .any(|p| matches!(p, 30..=49 | 58 | 90..=97 | 100..=107));
            if colour {
                found.push(
                    String::from_utf8_lossy(&raw[start..=j])
                        .escape_debug()
                        .to_string(),
                );
            }
        }
        i = j + 1;
    }
    found
}

/// The payloads of every OSC sequence (`ESC ]` … `BEL` or `ESC \`) in `raw`.
fn osc_payloads(raw: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(at) = find(&raw[i..], b"\x1b]") {
        let start = i + at + 2;
        let mut end = start;
        while end < raw.len() && raw[end] != 0x07 && !(raw[end] == 0x1b && end > start) {
            end += 1;
        }
        found.push(String::from_utf8_lossy(&raw[start..end.min(raw.len())]).into_owned());
        i = end.max(start);
        if i >= raw.len() {
            break;
        }
    }
    found
}

// ------------------------------------------------------------------ small servers

/// A loopback server run by plain threads: every connection is handed to
/// `handle`. It stops accepting when dropped.
struct TestServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (Arc::clone(&accepted), Arc::clone(&stop));
        let handle = Arc::new(handle);
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let handle = Arc::clone(&handle);
                thread::spawn(move || handle(stream));
            }
        });
        TestServer {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Whether a connection arrives within `within` (the wizard may show it
    /// is loading a moment before its request connects).
    fn awaits_connection(&self, within: Duration) -> bool {
        crate::wait::holds_within(within, || self.accepted() >= 1)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a request head (up to the blank line), bounded.
fn read_head(stream: &mut TcpStream) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !contains(&head, b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// A server that accepts connections, reads the request and never answers:
/// each connection is held open for up to a minute.
fn silent_server() -> TestServer {
    TestServer::start(|mut stream| {
        read_head(&mut stream);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
        let mut sink = [0u8; 64];
        // Blocks until the client goes away (or the minute is over).
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    })
}

/// A server answering every request with `200` and this JSON body.
fn canned_json_server(body: String) -> TestServer {
    TestServer::start(move |mut stream| {
        if !read_head(&mut stream) {
            return;
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes());
        let _ = stream.flush();
    })
}

// ------------------------------------------------------------------ journeys

/// A new customer completes every step while the wizard watches: each row
/// turns DONE and NEXT moves on by itself, then "Service ready"; the JSON
/// report records each change.
#[test]
fn full_activation_against_serve_with_watch_and_report() {
    let sim = Sim::start();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let mut tui = Spawn::new(&[
        "--car",
        "111111",
        "--api",
        &sim.url(),
        "--report",
        report.to_str().unwrap(),
    ])
    .start();

    tui.wait_for("the fresh list of 111111", SHORT, |s| {
        ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"]
            .iter()
            .all(|n| row_has(s, n, "[TODO]"))
            && is_next(s, "trusterPhoneNumber")
            && s.contains("0 of 3 done")
    });
    // The simulator refuses an out-of-order step.
    assert_eq!(sim.complete("111111", "mediumCarKey"), 409);

    tui.send("w");
    tui.wait_text("watch ON", SHORT);

    let steps = [
        (
            "trusterPhoneNumber",
            Some("deviceActivation"),
            "1 of 3 done",
        ),
        ("deviceActivation", Some("mediumCarKey"), "2 of 3 done"),
        ("mediumCarKey", None, "3 of 3 done"),
    ];
    for (name, then, progress) in steps {
        assert_eq!(sim.complete("111111", name), 200, "completing {name}");
        // A watch refresh comes every 3 s; no key is pressed meanwhile.
        tui.wait_for(
            &format!("{name} DONE, NEXT moved on"),
            Duration::from_secs(8),
            |s| {
                row_has(s, name, "[DONE]")
                    && !is_next(s, name)
                    && s.contains(progress)
                    && match then {
                        Some(next) => is_next(s, next) && row_has(s, next, "[TODO]"),
                        None => s.contains("Service ready"),
                    }
            },
        );
    }
    let screen = tui.screen_text();
    assert!(
        !screen.contains("NEXT"),
        "no NEXT once all is done:\n{screen}"
    );
    assert!(
        screen.contains("watch off"),
        "watch stops by itself when every step is done:\n{screen}"
    );

    tui.send("q");
    let status = tui.wait_exit(SHORT);
    assert!(status.success(), "exit status {status:?}");
    assert!(!tui.alternate_screen(), "the alternate screen was left");

    let text = std::fs::read_to_string(&report).expect("the report was written on exit");
    let json: Value = serde_json::from_str(&text).expect("the report is JSON");
    let vehicle = &json["vehicles"][0];
    let entries = vehicle["entries"].as_array().expect("entries");
    for name in ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"] {
        assert!(
            entries.iter().any(|e| e["kind"] == "statusChanged"
                && e["step"] == name
                && e["to"] == "alreadyDone"),
            "no statusChanged entry for {name} in:\n{text}"
        );
    }
    assert!(entries.iter().any(|e| e["kind"] == "list"), "{text}");
    assert_eq!(vehicle["carAssociationID"], "111111");
}

/// The lines of the wizard's log files under `home`.
fn log_lines(home: &std::path::Path) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("stepwise"))
                && path.extension().is_some_and(|e| e == "log")
            {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.extend(text.lines().map(str::to_owned));
            }
        }
    }
    let mut out = Vec::new();
    walk(home, &mut out);
    out
}

/// Watch follows the gateway's event stream: a step the customer completes
/// (a control call) turns DONE on screen with no key pressed and no further
/// list request; the header says "live".
#[test]
fn watch_shows_a_completed_step_live_without_a_key() {
    let sim = Sim::start();
    let home = tempfile::tempdir().unwrap();
    let mut tui = Spawn::new(&["--car", "987654", "--api", &sim.url()])
        .home(home.path())
        .start();
    tui.wait_for("the documentation's list", SHORT, doc_list_shown);
    tui.send("w");
    tui.wait_text("watch ON · live", SHORT);
    assert_eq!(sim.complete("987654", "deviceActivation"), 200);
    tui.wait_for("Device activation DONE, with no key", SHORT, |s| {
        row_has(s, "deviceActivation", "[DONE]")
            && is_next(s, "mediumCarKey")
            && s.contains("2 of 3 done")
            && s.contains("Device activation is done")
            && s.contains("watch ON · live")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
    // The change was pushed, not polled: after the first list (by
    // carAssociationID) the log shows the events call and no list request.
    let calls: Vec<String> = log_lines(home.path())
        .into_iter()
        .filter(|l| l.contains("gateway call") && l.contains("pims/subscription/steps"))
        .collect();
    let events = calls
        .iter()
        .position(|l| l.contains("steps/events"))
        .unwrap_or_else(|| panic!("no events call in the log:\n{}", calls.join("\n")));
    assert!(
        events >= 1,
        "the first list (by carAssociationID) is logged before the events call:\n{}",
        calls.join("\n")
    );
    assert!(
        calls[events..].iter().all(|l| l.contains("steps/events")),
        "a list request after the events call:\n{}",
        calls.join("\n")
    );
}

/// 333333 shows every step done from a stale cache; the reset shows the
/// truth: Device activation is still to do.
#[test]
fn stale_cache_reset_shows_the_truth() {
    // No --api and no STEPWISE_API: the embedded simulator.
    let mut tui = Spawn::new(&["--car", "333333"]).start();
    let screen = tui.wait_for("every step DONE from the stale cache", SHORT, |s| {
        row_count(s) == 3
            && ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"]
                .iter()
                .all(|n| row_has(s, n, "[DONE]"))
            && s.contains("Service ready")
    });
    assert!(screen.contains("demo backend"), "{screen}");

    tui.send("R");
    tui.wait_for("the reset confirmation", SHORT, |s| {
        s.contains("Reset the steps cache of 333333?")
    });
    tui.send("y");
    let screen = tui.wait_for("the truth after the reset", SHORT, |s| {
        row_has(s, "deviceActivation", "[TODO]")
            && is_next(s, "deviceActivation")
            && row_has(s, "trusterPhoneNumber", "[DONE]")
            && row_has(s, "mediumCarKey", "[DONE]")
            && !s.contains("Reset the steps cache of")
    });
    assert!(!screen.contains("Service ready"), "{screen}");
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

/// Kills the simulator under an open wizard and presses r: an error banner
/// names the failure and the last good list stays on screen. Returns the
/// banner's headline.
fn kill_and_refresh(sim: &mut Sim, tui: &mut Tui) -> &'static str {
    sim.kill();
    tui.send("r");
    let screen = tui.wait_for("an error banner, the list kept", LONG, |s| {
        s.contains('✖') && doc_list_shown(s)
    });
    let headline = ["Gateway unreachable", "Request failed", "Gateway timed out"]
        .into_iter()
        .find(|h| screen.contains(h))
        .unwrap_or_else(|| panic!("the banner names the failure:\n{screen}"));
    eprintln!("simulator killed: banner {headline:?}");
    headline
}

/// The simulator dies mid-session: a banner says so and the list stays; once
/// it is back (with fresh state), at most two presses of r bring the list
/// back without a banner.
#[test]
fn simulator_killed_mid_session_then_back() {
    let mut sim = Sim::start();
    // Its retries wait 10 ms, not 250 ms doubling, before the banner.
    let mut tui = Spawn::new(&["--car", "987654", "--api", &sim.url()])
        .env(stepwise::client::TEST_BACKOFF_MS, "10")
        .start();
    tui.wait_for("the list of 987654", SHORT, doc_list_shown);
    let headline = kill_and_refresh(&mut sim, &mut tui);

    sim.restart();
    // The restarted simulator no longer knows the stepsID (404, code 2346):
    // one r starts over by carAssociationID by itself.
    tui.send("r");
    tui.wait_for("the list back without an error banner", LONG, |s| {
        doc_list_shown(s) && !s.contains('✖') && !s.contains(headline) && s.contains("Started over")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

/// The same outage, recovered the way the start screen allows: Esc, then
/// Enter on the prefilled carAssociationID asks for the list afresh.
#[test]
fn simulator_killed_mid_session_then_reopened_by_car() {
    let mut sim = Sim::start();
    // Its retries wait 10 ms, not 250 ms doubling, before the banner.
    let mut tui = Spawn::new(&["--car", "987654", "--api", &sim.url()])
        .env(stepwise::client::TEST_BACKOFF_MS, "10")
        .start();
    tui.wait_for("the list of 987654", SHORT, doc_list_shown);
    kill_and_refresh(&mut sim, &mut tui);

    sim.restart();
    tui.key(Key::Esc);
    tui.wait_for("the start screen, the id prefilled", SHORT, |s| {
        s.contains("987654") && row_count(s) == 0
    });
    tui.key(Key::Enter);
    tui.wait_for("the list back without an error banner", LONG, |s| {
        doc_list_shown(s) && !s.contains('✖') && s.contains("stepsID 132324")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

/// A gateway that accepts and never answers: the wizard shows it is loading
/// and still quits at once.
#[test]
fn silent_gateway_loading_then_quit_while_the_request_hangs() {
    let server = silent_server();
    let mut tui = Spawn::new(&["--car", "987654", "--api", &server.url()]).start();
    tui.wait_for("the loading state", SHORT, |s| {
        s.contains("Asking the gateway for the steps") && s.contains("fetching the steps")
    });
    assert!(
        server.awaits_connection(SHORT),
        "the wizard connected to the server"
    );

    tui.send("q");
    // The request never ends: the process ending at all is the point.
    let status = tui.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "exit status {status:?}");
    assert!(!tui.alternate_screen());
}

/// A gateway whose names and stepsID carry terminal sequences and a bidi
/// override: they reach the screen cleaned, never the terminal as is.
#[test]
fn hostile_gateway_text_never_reaches_the_terminal() {
    let osc = "\u{1b}]0;owned\u{7}";
    let red = "\u{1b}[31m";
    let clear = "\u{1b}[2J";
    let rlo = "\u{202e}";
    let body = json!({
        "stepsID": format!("77{osc}88{clear}"),
        "a": {"name": format!("truster{red}PhoneNumber{rlo}"), "status": "alreadyDone", "order": 1},
        "b": {"name": format!("device{osc}Activation"), "status": "todo", "order": 2},
        "c": {"name": format!("{red}custom{rlo}Step{clear}"), "status": "todo", "order": 3},
    })
    .to_string();
    let server = canned_json_server(body);
    let mut tui = Spawn::new(&["--car", "555555", "--api", &server.url()]).start();
    let screen = tui.wait_for("the sanitised list", SHORT, |s| {
        row_has(s, "trusterPhoneNumber", "[DONE]")
            && row_has(s, "deviceActivation", "[TODO]")
            && is_next(s, "deviceActivation")
            && row_has(s, "customStep", "[TODO]")
            && s.contains("stepsID 7788")
    });
    assert!(screen.contains("Device activation"), "{screen}");
    // A refresh by the (sanitised) stepsID goes through the same door.
    tui.send("r");
    tui.wait_for("the refreshed list", SHORT, |s| {
        !s.contains("refreshing…") && row_has(s, "customStep", "[TODO]")
    });

    let screen = tui.screen_text();
    assert!(!screen.contains("owned"), "{screen}");
    assert!(!screen.contains('\u{202e}'), "{screen}");
    let titles = tui.titles();
    assert_eq!(
        tui.title().as_deref(),
        Some("stepwise"),
        "titles: {titles:?}"
    );
    assert!(titles.iter().all(|t| t == "stepwise"), "titles: {titles:?}");

    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
    let raw = tui.raw_bytes();
    let oscs = osc_payloads(&raw);
    assert!(
        oscs.iter().all(|p| !p.contains("owned")),
        "an OSC carried the injected text: {oscs:?}"
    );
    for injected in ["\u{1b}[31mcustom", "\u{1b}[31mPhone", "\u{1b}[31mStep"] {
        assert!(
            !contains(&raw, injected.as_bytes()),
            "{injected:?} reached the terminal"
        );
    }
    assert!(
        !contains(&raw, rlo.as_bytes()),
        "U+202E reached the terminal"
    );
}

/// Below 60×16 the wizard asks for a larger window; back to 110×32 the list
/// is drawn again.
#[test]
fn resize_below_the_minimum_and_back() {
    let mut tui = Spawn::new(&["--car", "987654"]).size(110, 32).start();
    tui.wait_for("the list at 110×32", SHORT, doc_list_shown);

    tui.resize(50, 12);
    let screen = tui.wait_for("the request to enlarge the window", SHORT, |s| {
        s.contains("Enlarge the window") && row_count(s) == 0
    });
    assert!(screen.contains("50×12"), "{screen}");

    tui.resize(110, 32);
    tui.wait_for("the list again at 110×32", SHORT, |s| {
        doc_list_shown(s) && !s.contains("Enlarge the window")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

/// NO_COLOR: not one colour code, while the badges still tell the status.
#[test]
fn no_color_means_no_colour_codes() {
    let mut tui = Spawn::new(&["--car", "987654"])
        .env("NO_COLOR", "1")
        .start();
    tui.wait_for("the list without colour", SHORT, doc_list_shown);
    // Overlays and banners have styles of their own.
    tui.send("?");
    tui.wait_text("Help (", SHORT);
    tui.key(Key::Esc);
    tui.wait_for("help closed", SHORT, |s| {
        !s.contains("Help (") && doc_list_shown(s)
    });
    tui.send("w");
    tui.wait_text("watch ON", SHORT);
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
    let colours = colour_sgrs(&tui.raw_bytes());
    assert!(
        colours.is_empty(),
        "colour codes with NO_COLOR: {colours:?}"
    );
}

/// A panic restores the terminal (the alternate screen is left) and its
/// message can be read.
#[test]
fn panic_restores_the_terminal_and_is_readable() {
    let mut tui = Spawn::new(&["--car", "987654"])
        .env("STEPWISE_TEST_PANIC", "1")
        .start();
    tui.wait_for("the list", SHORT, doc_list_shown);
    assert!(
        tui.alternate_screen(),
        "the wizard draws on the alternate screen"
    );
    let mark = tui.raw_len();
    tui.send("!");
    let status = tui.wait_exit(SHORT);
    assert!(!status.success(), "a panic is a failure: {status:?}");

    let raw = tui.raw_bytes();
    let after = &raw[mark..];
    let left = find(after, b"\x1b[?1049l").unwrap_or_else(|| {
        panic!(
            "no sequence leaving the alternate screen after the panic; output: {:?}",
            String::from_utf8_lossy(after)
        )
    });
    let message = find(after, b"test panic requested").unwrap_or_else(|| {
        panic!(
            "no panic message in the output: {:?}",
            String::from_utf8_lossy(after)
        )
    });
    assert!(
        message > left,
        "the panic message is written after the terminal is restored"
    );
    assert!(!tui.alternate_screen());
    let screen = tui.screen_text();
    assert!(screen.contains("test panic requested"), "{screen}");
}

/// A panic nothing catches, in a background task while the loop goes on:
/// the terminal is restored before its message prints, and the loop stops
/// drawing (nothing is written after the message) and ends with a failure.
#[test]
fn an_uncaught_background_panic_restores_the_terminal_and_stops_drawing() {
    let mut tui = Spawn::new(&["--car", "987654"])
        .env("STEPWISE_TEST_PANIC", "elsewhere")
        .start();
    tui.wait_for("the list", SHORT, doc_list_shown);
    let mark = tui.raw_len();
    tui.send("!");
    let status = tui.wait_exit(SHORT);
    assert!(!status.success(), "a panic is a failure: {status:?}");
    let raw = tui.raw_bytes();
    let after = &raw[mark..];
    let left = find(after, b"\x1b[?1049l").expect("the alternate screen is left");
    let message = find(after, b"test panic in a background task")
        .unwrap_or_else(|| panic!("no panic message: {:?}", String::from_utf8_lossy(after)));
    assert!(
        message > left,
        "the message comes after the terminal is restored"
    );
    let rest = &after[message..];
    assert!(
        find(rest, b"\x1b[?1049h").is_none() && find(rest, b"deviceActivation").is_none(),
        "nothing is drawn after the message: {:?}",
        String::from_utf8_lossy(rest)
    );
    assert!(!tui.alternate_screen());
}

/// The demo keeps its state between runs: a vehicle that moved on is
/// labelled on the next run's start screen by how it stands now, not by
/// the scenario's "device not activated"; the others keep their labels.
#[test]
fn a_demo_vehicle_that_moved_on_is_labelled_by_its_progress() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = Spawn::new(&["demo", "--car", "987654"])
        .home(home.path())
        .start();
    tui.wait_for("the demo list", SHORT, doc_list_shown);
    tui.send("s");
    tui.wait_for("device activation done", SHORT, |s| {
        row_has(s, "deviceActivation", "[DONE]")
    });
    tui.send("q");
    tui.wait_exit(SHORT);

    let mut tui = Spawn::new(&["demo"]).home(home.path()).start();
    let screen = tui.wait_for("the demo vehicles", SHORT, |s| {
        s.contains("987654") && s.contains("111111")
    });
    let line = screen
        .lines()
        .find(|l| l.contains("987654"))
        .unwrap_or_default();
    assert!(
        line.contains("Demo vehicle, now 2 of 3 steps done"),
        "{screen}"
    );
    assert!(!line.contains("device not activated"), "{screen}");
    let other = screen
        .lines()
        .find(|l| l.contains("111111"))
        .unwrap_or_default();
    assert!(!other.contains("Demo vehicle, now"), "{screen}");
    tui.send("\x03");
    tui.wait_exit(SHORT);
}

/// The demo backend that can no longer keep its state says so on screen
/// when the simulated customer acts, instead of doing nothing.
#[test]
fn demo_that_cannot_keep_its_state_says_so_on_screen() {
    let mut tui = Spawn::new(&["demo", "--car", "987654"]).start();
    tui.wait_for("the demo list", SHORT, doc_list_shown);
    // The state file's place is taken (as a full or read-only disk would
    // refuse it): the next change cannot be kept.
    let file = tui.home_path.join(".local/share/stepwise/demo-state.json");
    std::fs::remove_file(&file).expect("the demo state was kept");
    std::fs::create_dir_all(file.join("blocker")).unwrap();
    tui.send("s");
    let screen = tui.wait_for("the backend says it cannot keep its state", SHORT, |s| {
        s.contains("cannot save")
    });
    assert!(!row_has(&screen, "deviceActivation", "[DONE]"), "{screen}");
    tui.send("q");
    tui.wait_exit(SHORT);
}

/// A panic in a background task (a vehicle's request) becomes a message: the
/// terminal stays as it is, the vehicle shows the error, and `r` asks again.
#[test]
fn a_panicking_request_task_shows_on_the_vehicle_and_r_retries() {
    let mut tui = Spawn::new(&["--car", "987654"])
        .env("STEPWISE_TEST_PANIC", "task")
        .start();
    tui.wait_for("the list", SHORT, doc_list_shown);
    tui.send("!");
    tui.wait_for("the vehicle says its request stopped", SHORT, |s| {
        s.contains("internal error")
    });
    assert!(
        tui.alternate_screen(),
        "the terminal is left as the wizard had it"
    );
    tui.send("r");
    tui.wait_for("the list asked again", SHORT, |s| {
        doc_list_shown(s) && !s.contains("internal error")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
    assert!(!tui.alternate_screen());
}

/// The demo: the simulated customer completes Device activation on `s`.
#[test]
fn demo_simulated_customer_completes_the_next_step() {
    let mut tui = Spawn::new(&["demo", "--car", "987654"]).start();
    let screen = tui.wait_for("the demo list", SHORT, doc_list_shown);
    assert!(screen.contains("demo backend"), "{screen}");
    assert_eq!(tui.title().as_deref(), Some("stepwise"));

    tui.send("s");
    tui.wait_for("Device activation DONE, CarKey check NEXT", SHORT, |s| {
        row_has(s, "deviceActivation", "[DONE]")
            && !is_next(s, "deviceActivation")
            && is_next(s, "mediumCarKey")
            && s.contains("2 of 3 done")
    });
    tui.send("q");
    let status = tui.wait_exit(SHORT);
    assert!(status.success(), "exit status {status:?}");
    let raw = tui.raw_bytes();
    assert!(
        contains(&raw, b"\x1b[?1049h"),
        "the alternate screen was entered"
    );
    assert!(
        contains(&raw, b"\x1b[?1049l"),
        "the alternate screen was left"
    );
    assert!(!tui.alternate_screen());
    // The colour check of the NO_COLOR journey does find colour by default.
    assert!(!colour_sgrs(&raw).is_empty(), "colour is on by default");
}

/// `stepwise steps` for scripts: exit codes and JSON against `stepwise serve`.
#[test]
fn cli_steps_exit_codes_and_json() {
    let sim = Sim::start();
    let home = tempfile::tempdir().unwrap();
    let run = |car: &str, json: bool| {
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(["steps", "--car", car, "--api", &sim.url()]);
        if json {
            cmd.arg("--json");
        }
        scrub_command(&mut cmd, home.path());
        let mut cmd = assert_cmd::Command::from_std(cmd);
        cmd.timeout(Duration::from_secs(10));
        cmd.output().expect("run stepwise steps")
    };
    // 333333 first: a new cache on this device starts with every step done.
    let cases = [
        ("333333", 0, None),
        ("987654", 3, Some("deviceActivation")),
        ("111111", 3, Some("trusterPhoneNumber")),
        ("222222", 0, None),
        ("444444", 3, Some("deviceActivation")),
    ];
    for (car, code, next) in cases {
        let plain = run(car, false);
        let stdout = String::from_utf8_lossy(&plain.stdout);
        let stderr = String::from_utf8_lossy(&plain.stderr);
        assert_eq!(
            plain.status.code(),
            Some(code),
            "steps --car {car}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        assert!(
            stdout.contains(&format!("carAssociationID {car}")),
            "{stdout}"
        );
        assert_eq!(stdout.contains("<- NEXT"), next.is_some(), "{stdout}");

        let out = run(car, true);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(code),
            "steps --car {car} --json\n{stdout}"
        );
        let value: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("--json of {car} is not JSON ({e}):\n{stdout}"));
        assert_eq!(value["next"], json!(next), "next of {car}: {stdout}");
        assert_eq!(value["carAssociationID"], car, "{stdout}");
        let total = if car == "444444" { 2 } else { 3 };
        assert_eq!(value["total"], total, "{stdout}");
    }
    // The documentation's stepsID for its own example.
    let out = run("987654", true);
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["stepsID"], "132324");
}

/// Ctrl-C quits from the steps screen too (the tests above quit with q).
#[test]
fn ctrl_c_quits_and_restores() {
    let mut tui: Tui = Spawn::new(&["--car", "222222"]).start();
    tui.wait_for("service ready", SHORT, |s| {
        s.contains("Service ready") && row_count(s) == 3
    });
    tui.key(Key::CtrlC);
    assert!(tui.wait_exit(SHORT).success());
    assert!(!tui.alternate_screen());
}

/// Killed politely (SIGTERM, as a closed SSH session or `kill` would, or
/// SIGINT from `kill -INT`: in raw mode Ctrl-C is a key, not a signal), or
/// Ctrl-C pressed: the wizard leaves as `q` does, terminal restored and the
/// report written, with the note being typed kept, marked unfinished.
#[cfg(unix)]
#[test]
fn signals_and_ctrl_c_restore_the_terminal_and_write_the_report_with_the_note() {
    for (signal, code) in [
        ("-TERM", 143_u32),
        ("-INT", 130),
        ("-HUP", 129),
        ("Ctrl-C", 0),
    ] {
        let home = tempfile::tempdir().unwrap();
        let report = home.path().join("report.md");
        let mut tui: Tui = Spawn::new(&["--car", "987654", "--report", report.to_str().unwrap()])
            .home(home.path())
            .start();
        tui.wait_for("the list", SHORT, |s| is_next(s, "deviceActivation"));
        assert!(tui.alternate_screen());
        tui.send("N");
        tui.wait_for("the note field", SHORT, |s| {
            s.contains("The note for the report")
        });
        tui.send("call back at 3pm");
        tui.wait_for("the typed note", SHORT, |s| s.contains("call back at 3pm"));
        if signal == "Ctrl-C" {
            tui.key(Key::CtrlC);
        } else {
            let pid = tui.pid().expect("the wizard runs").to_string();
            let killed = std::process::Command::new("kill")
                .args([signal, &pid])
                .status()
                .expect("kill runs");
            assert!(killed.success());
        }
        // Ended by a signal, not by the user: the shell's 128 + its number.
        assert_eq!(tui.wait_exit(SHORT).exit_code(), code, "{signal}");
        assert!(!tui.alternate_screen(), "{signal}");
        let text = std::fs::read_to_string(&report).expect("the report was written");
        assert!(
            text.contains("carAssociationID: 987654"),
            "{signal}: {text}"
        );
        assert!(
            text.contains("note (unfinished: being typed when the wizard ended): call back at 3pm"),
            "{signal}: {text}"
        );
        // How the run ended, never read as a quit (stranger 81, CD6).
        let ended = match signal {
            "-TERM" => "stopped by SIGTERM, not by the technician's quit.",
            "-INT" => "stopped by SIGINT, not by the technician's quit.",
            "-HUP" => "the terminal was closed (SIGHUP), not by the technician's quit.",
            _ => "the technician quit.",
        };
        assert!(
            text.lines()
                .any(|l| l.starts_with("Run ended at 20") && l.ends_with(ended)),
            "{signal}: {text}"
        );
    }
}

/// No --report, a note kept with `N`, and the run ended by a signal (a
/// closed window, `kill`) rather than a second `q`: the note is not lost,
/// the session's report goes where `x` writes and its path is said
/// (stranger 43, AR9). A --report whose path cannot be written at the end
/// keeps the report there too (AR8); an earlier report at the --report
/// path is kept beside it (AR10).
#[cfg(unix)]
#[test]
fn notes_and_reports_are_kept_when_the_run_ends_unasked() {
    let files = |home: &std::path::Path| -> Vec<std::path::PathBuf> {
        let dir = home.join(".local/share/stepwise/reports");
        std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let noted = |args: &[&str], home: &std::path::Path, then: &dyn Fn(&mut Tui)| {
        let mut tui: Tui = Spawn::new(args).home(home).start();
        tui.wait_for("the list", SHORT, |s| is_next(s, "deviceActivation"));
        tui.send("N");
        tui.wait_for("the note field", SHORT, |s| {
            s.contains("The note for the report")
        });
        tui.send("photo in folder 7\r");
        tui.wait_for("the kept note", SHORT, |s| s.contains("Note kept"));
        then(&mut tui);
        tui
    };
    let kill = |tui: &mut Tui| {
        let pid = tui.pid().expect("the wizard runs").to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success());
    };
    // No --report: kept where x writes, after a signal or Ctrl-C (the
    // key the start screen names; stranger 44, AS1).
    let ctrl_c = |tui: &mut Tui| tui.key(Key::CtrlC);
    // Ctrl-C after the first q's question is not its "q again" (stranger
    // 48, AW4).
    let asked_then_ctrl_c = |tui: &mut Tui| {
        tui.send("q");
        tui.wait_for("the question", SHORT, |s| s.contains("Note not saved"));
        tui.key(Key::CtrlC);
    };
    // A signal after the first q's question is no "q again" either
    // (stranger 77, BZ4).
    let asked_then_killed = |tui: &mut Tui| {
        tui.send("q");
        tui.wait_for("the question", SHORT, |s| s.contains("Note not saved"));
        kill(tui);
    };
    let ends = [
        (&kill as &dyn Fn(&mut Tui), 143),
        (&ctrl_c, 0),
        (&asked_then_ctrl_c, 0),
        (&asked_then_killed, 143),
    ];
    for (end, code) in ends {
        let home = tempfile::tempdir().unwrap();
        let mut tui = noted(&["--car", "987654"], home.path(), end);
        assert_eq!(tui.wait_exit(SHORT).exit_code(), code);
        let kept = files(home.path());
        assert_eq!(kept.len(), 1, "{kept:?}");
        let text = std::fs::read_to_string(&kept[0]).unwrap();
        assert!(text.contains("photo in folder 7"), "{text}");
        assert!(
            tui.screen_text().contains("Your notes were kept"),
            "{}",
            tui.screen_text()
        );
    }
    // A note still being typed, no --report, and Ctrl-C: kept too, marked
    // unfinished (stranger 45, AT3).
    let home = tempfile::tempdir().unwrap();
    let mut tui: Tui = Spawn::new(&["--car", "987654"]).home(home.path()).start();
    tui.wait_for("the list", SHORT, |s| is_next(s, "deviceActivation"));
    tui.send("N");
    tui.wait_for("the note field", SHORT, |s| {
        s.contains("The note for the report")
    });
    tui.send("half a note");
    tui.wait_for("the typed note", SHORT, |s| s.contains("half a note"));
    tui.key(Key::CtrlC);
    assert!(tui.wait_exit(SHORT).success());
    let kept = files(home.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    let text = std::fs::read_to_string(&kept[0]).unwrap();
    assert!(
        text.contains("note (unfinished: being typed when the wizard ended): half a note"),
        "{text}"
    );
    // Nowhere to write them (a file where the reports folder goes): the
    // notes themselves are said (AS8).
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join(".local/share/stepwise");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("reports"), "in the way").unwrap();
    let mut tui = noted(&["--car", "987654"], home.path(), &kill);
    assert_eq!(tui.wait_exit(SHORT).exit_code(), 143);
    let screen = tui.screen_text();
    assert!(
        screen.contains("Your notes could not be written to any report")
            && screen.contains("- photo in folder 7"),
        "{screen}"
    );
    // A --report that cannot be written by the end: kept where x writes.
    let home = tempfile::tempdir().unwrap();
    let gone = home.path().join("stick");
    std::fs::create_dir(&gone).unwrap();
    let report = gone.join("r.md");
    let args = ["--car", "987654", "--report", report.to_str().unwrap()];
    // A folder where the report goes by the end (a stick swapped, a share
    // changed): the path cannot be written.
    let mut tui = noted(&args, home.path(), &|tui: &mut Tui| {
        std::fs::create_dir(&report).unwrap();
        tui.send("q");
    });
    assert_eq!(tui.wait_exit(SHORT).exit_code(), 1);
    let kept = files(home.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        std::fs::read_to_string(&kept[0])
            .unwrap()
            .contains("photo in folder 7")
    );
    assert!(
        tui.screen_text().contains("notes included, was written to"),
        "{}",
        tui.screen_text()
    );
    // Its folder removed during the run: not made again, said so, and the
    // report kept where x writes (stranger 45, AT13).
    let home = tempfile::tempdir().unwrap();
    let gone = home.path().join("stick");
    std::fs::create_dir(&gone).unwrap();
    let report = gone.join("r.md");
    let args = ["--car", "987654", "--report", report.to_str().unwrap()];
    let mut tui = noted(&args, home.path(), &|tui: &mut Tui| {
        std::fs::remove_dir(&gone).unwrap();
        tui.send("q");
    });
    assert_eq!(tui.wait_exit(SHORT).exit_code(), 1);
    assert!(!gone.exists(), "the removed folder was made again");
    assert_eq!(files(home.path()).len(), 1);
    let screen = tui.screen_text();
    assert!(
        screen.contains("is no longer there: it was removed while the wizard ran"),
        "{screen}"
    );
    // An earlier report at --report's path: kept beside it.
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("today.md");
    let args = ["--car", "987654", "--report", report.to_str().unwrap()];
    let mut tui = noted(&args, home.path(), &|tui: &mut Tui| tui.send("q"));
    assert!(tui.wait_exit(SHORT).success());
    let mut tui = noted(&args, home.path(), &|tui: &mut Tui| tui.send("q"));
    assert!(tui.wait_exit(SHORT).success());
    let earlier = home.path().join("today.md.1");
    assert!(
        std::fs::read_to_string(&earlier)
            .unwrap()
            .contains("photo in folder 7")
    );
    assert!(
        tui.screen_text()
            .contains("The earlier report at that path is kept as"),
        "{}",
        tui.screen_text()
    );
    // A third run keeps the second beside the first, never over it (AS2).
    let first = std::fs::read_to_string(&earlier).unwrap();
    let mut tui = noted(&args, home.path(), &|tui: &mut Tui| tui.send("q"));
    assert!(tui.wait_exit(SHORT).success());
    assert_eq!(std::fs::read_to_string(&earlier).unwrap(), first);
    assert!(home.path().join("today.md.2").exists());
}

/// A terminal (pty) of the test's own, 100×30: its other end, which the
/// test alone holds (closed on exec), and the end the program is given.
#[cfg(unix)]
fn own_pty() -> (rustix::fd::OwnedFd, std::fs::File) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let size = rustix::termios::Winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(&master, size).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(name.to_str().unwrap())
        .unwrap();
    (master, slave)
}

/// The terminal goes away under the wizard (its window closed, an SSH
/// session dropped: its other end closed, and SIGHUP): nothing can be
/// restored or said there, and the report, with the note typed into it,
/// is written all the same. The terminal is a pty of the test's own, so
/// that the test alone holds its other end and can close it.
#[cfg(unix)]
#[test]
fn a_terminal_that_goes_away_still_gets_the_report_written() {
    use rustix::event::{PollFd, PollFlags, poll};
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("report.md");
    let (master, slave) = own_pty();
    // setsid(1) makes the wizard a session of its own with this terminal
    // as its controlling terminal (it runs the wizard in its own place), so
    // that closing the terminal hangs the session up as a real one does.
    let mut cmd = std::process::Command::new("setsid");
    crate::pty::scrub_command(&mut cmd, home.path());
    let mut child = cmd
        .arg("--ctty")
        .arg(assert_cmd::cargo::cargo_bin("stepwise"))
        .args(["--car", "987654", "--report", report.to_str().unwrap()])
        .env("TERM", "xterm-256color")
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .unwrap();
    // The output, read until asked to stop; a cursor position query is
    // answered as a terminal would.
    let output = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut file = std::fs::File::from(master);
    let reader = {
        let (output, stop) = (Arc::clone(&output), Arc::clone(&stop));
        let mut file = file.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            while !stop.load(Ordering::SeqCst) {
                let mut fds = [PollFd::new(&file, PollFlags::IN)];
                let timeout = rustix::event::Timespec {
                    tv_sec: 0,
                    tv_nsec: 20_000_000,
                };
                if poll(&mut fds, Some(&timeout)).unwrap_or(0) == 0 {
                    continue;
                }
                let Ok(n) = file.read(&mut buf) else { break };
                if n == 0 {
                    break;
                }
                if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
                    let _ = file.write_all(b"\x1b[1;1R");
                }
                output.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let shown = |needle: &str| String::from_utf8_lossy(&output.lock().unwrap()).contains(needle);
    assert!(
        crate::wait::holds_within(SHORT, || shown("deviceActivation")),
        "the list was not shown"
    );
    // Keys are taken in order: N opens the note, the rest is typed in it.
    file.write_all(b"Ncustomer away\r").unwrap();
    assert!(
        crate::wait::holds_within(SHORT, || shown("Note kept")),
        "no note kept"
    );
    // Hang up: every descriptor of the terminal's other end is closed (the
    // kernel then sends the session SIGHUP).
    stop.store(true, Ordering::SeqCst);
    reader.join().unwrap();
    drop(file);
    let ended = crate::wait::holds_within(SHORT, || child.try_wait().unwrap().is_some());
    if !ended {
        let logs = home.path().join(".local/share/stepwise/logs");
        let mut log = String::new();
        for entry in std::fs::read_dir(&logs).into_iter().flatten().flatten() {
            log.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        let _ = child.kill();
        panic!("the wizard did not end when its terminal went away; its log:\n{log}");
    }
    let text = std::fs::read_to_string(&report).expect("the report was written");
    assert!(text.contains("carAssociationID: 987654"), "{text}");
    assert!(text.contains("customer away"), "{text}");
}

/// Killed from outside at the hidden prompt of `login --with-token` (echo
/// off): the terminal gets its echo and line mode back, as Ctrl-C there
/// leaves it, and the run ends as signalled.
#[cfg(unix)]
#[test]
fn a_signal_at_the_hidden_token_prompt_restores_the_terminal() {
    use rustix::termios::{LocalModes, tcgetattr};
    use std::io::Read;
    for signal in ["-TERM", "-INT", "-HUP"] {
        let home = tempfile::tempdir().unwrap();
        let (master, slave) = own_pty();
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("stepwise"));
        crate::pty::scrub_command(&mut cmd, home.path());
        let mut child = cmd
            .args(["login", "--with-token", "--api", "http://127.0.0.1:9"])
            .env("TERM", "xterm-256color")
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave)
            .spawn()
            .unwrap();
        // The prompt, read off the terminal (echo is off by then).
        let mut file = std::fs::File::from(master.try_clone().unwrap());
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("Paste the token") {
            let n = file.read(&mut buf).unwrap();
            assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        assert!(
            !tcgetattr(&master)
                .unwrap()
                .local_modes
                .contains(LocalModes::ECHO),
            "echo is off at the prompt"
        );
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let ended = crate::wait::holds_within(SHORT, || child.try_wait().unwrap().is_some());
        assert!(ended, "{signal}: the login did not end");
        let modes = tcgetattr(&master).unwrap().local_modes;
        assert!(
            modes.contains(LocalModes::ECHO) && modes.contains(LocalModes::ICANON),
            "{signal}: the terminal was left without echo: {modes:?}"
        );
    }
}

/// The guide's URL is written as an OSC 8 hyperlink (http(s) only), once,
/// over the cells where it is drawn.
#[test]
fn the_guide_link_is_a_terminal_hyperlink() {
    let mut tui = Spawn::new(&["--car", "987654"])
        .env("STEPWISE_DOCS_URL", "https://help.dealer.example")
        .size(110, 32)
        .start();
    tui.wait_for("the list", SHORT, |s| is_next(s, "deviceActivation"));
    tui.wait_for("the guide's link", SHORT, |s| {
        s.contains("Guide: https://help.dealer.example/")
    });
    // The link's escapes are written just after the frame's text: wait for
    // the closing one rather than read the bytes the moment the text shows.
    let opener = b"\x1b]8;;https://";
    let raw = crate::wait::until("the OSC 8 link, opened and closed", SHORT, || {
        let raw = tui.raw_bytes();
        (contains(&raw, opener) && contains(&raw, b"\x1b]8;;\x1b\\")).then_some(raw)
    });
    let at = find(&raw, opener).unwrap();
    let rest = &raw[at + 4..];
    let end = find(rest, b"\x1b\\").expect("the link's URL is terminated");
    let url = std::str::from_utf8(&rest[..end]).unwrap();
    assert!(
        url.ends_with("/mobile-sdk/security/device-enrollment/"),
        "{url}"
    );
    assert!(contains(&raw, b"\x1b]8;;\x1b\\"), "the link is closed");
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());
}

// ------------------------------------------------------------------ signing in

/// The user code the sign-in overlay shows in its box, as it is typed
/// (`│  BCDF-GHJK  │`).
fn shown_user_code(screen: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        let packed: String = line.chars().filter(|c| *c != ' ').collect();
        packed.split('│').find_map(|cell| {
            let ok = cell.len() == 9
                && cell.char_indices().all(|(i, c)| {
                    if i == 4 {
                        c == '-'
                    } else {
                        c.is_ascii_uppercase()
                    }
                });
            ok.then(|| cell.to_owned())
        })
    })
}

/// A gateway with device sign-in refuses the wizard's first call (no token
/// yet): the banner offers `i`; the overlay shows the code, the address and
/// a QR code; the approve control call signs in; the same vehicle's list
/// then shows, and the token was kept without ever reaching the screen.
#[test]
fn a_refused_token_is_fixed_by_signing_in_from_the_wizard() {
    use stepwise::sim::{AuthOptions, Scenario, Shared, SimState, spawn_shared};
    // The simulator `serve --auth device` runs, here with a 1 s polling
    // interval (its default is 5 s).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let shared = Shared::new(SimState::new(Scenario::built_in()), None).with_auth(AuthOptions {
        interval: Duration::from_secs(1),
        ..AuthOptions::default()
    });
    let sim = runtime.block_on(spawn_shared(shared)).expect("a simulator");
    let home = tempfile::tempdir().unwrap();
    let mut tui = Spawn::new(&["--car", "987654", "--api", &sim.url()])
        .home(home.path())
        .size(120, 50)
        .start();
    tui.wait_for("the 401 banner offering to sign in", LONG, |s| {
        s.contains("Token needed") && s.contains("Press i to sign in")
    });
    tui.send("i");
    let screen = tui.wait_for("the code and the address", LONG, |s| {
        shown_user_code(s).is_some() && s.contains("/device and enter this code")
    });
    // The simulator's address is this machine's only (loopback): no QR
    // code for a phone that could not open it.
    assert!(
        !screen.contains("Or scan this QR code") && !screen.contains('▀'),
        "{screen}"
    );
    let code = shown_user_code(&screen).unwrap();
    let (status, _) = http(sim.addr, "POST", &format!("/sim/device/{code}/approve"));
    assert_eq!(status, 200, "the approve control call");
    // The wizard polls at the pace the simulator sets (1 s).
    tui.wait_for("the list, signed in", Duration::from_secs(30), |s| {
        doc_list_shown(s) && s.contains("Signed in") && !s.contains("enter this code")
    });
    tui.send("q");
    assert!(tui.wait_exit(SHORT).success());

    let kept = std::fs::read_to_string(home.path().join(".local/share/stepwise/logins.json"))
        .expect("the login kept in the file (no keyring in tests)");
    let login: Value = serde_json::from_str(&kept).unwrap();
    let token = login["logins"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(|c| c["access_token"].as_str())
        .unwrap_or_else(|| panic!("an access token in {kept}"))
        .to_owned();
    assert!(
        !contains(&tui.raw_bytes(), token.as_bytes()),
        "the access token reached the terminal"
    );
}

/// A list answered with JSON's `null` is no list: `steps` fails (exit 1)
/// and says so, never "No steps returned" with exit 0 as if nothing were
/// left to do.
#[test]
fn a_null_list_is_no_list_and_never_exit_0() {
    let server = canned_json_server("null".to_owned());
    let home = tempfile::tempdir().unwrap();
    let api = server.url();
    for json in [false, true] {
        let mut args = vec!["steps", "--car", "987654", "--api", &api];
        if json {
            args.push("--json");
        }
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(&args).env("STEPWISE_LANG", "en");
        scrub_command(&mut cmd, home.path());
        let out = assert_cmd::Command::from_std(cmd)
            .timeout(Duration::from_secs(10))
            .output()
            .expect("run stepwise");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("an object of steps was expected; it is null"),
            "{err}"
        );
    }
}

/// Another service's JSON (a health check answering `{"ok": true}` to every
/// path) is no list and no next step: `steps` and `next` say so and fail,
/// never "the service is ready" with exit 0.
#[test]
fn another_service_s_json_is_never_taken_for_a_ready_vehicle() {
    let server = canned_json_server(r#"{"ok": true}"#.to_owned());
    let home = tempfile::tempdir().unwrap();
    let api = server.url();
    let runs: [&[&str]; 3] = [
        &["steps", "--car", "987654", "--api", &api],
        &["steps", "--car", "987654", "--json", "--api", &api],
        &["next", "--steps-id", "1", "--api", &api],
    ];
    for args in runs {
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(args).env("STEPWISE_LANG", "en");
        scrub_command(&mut cmd, home.path());
        let mut cmd = assert_cmd::Command::from_std(cmd);
        cmd.timeout(Duration::from_secs(10));
        let out = cmd.output().expect("run stepwise");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        // A step was asked of `next`: said as no step (stranger 40, AO19).
        let shape = if args[0] == "next" {
            "an object with no step, whose members are ok)"
        } else {
            "no stepsID and no step; its members are ok)"
        };
        assert!(
            err.contains(shape)
                && err.contains("check that --api points at a steps gateway")
                // Lists from this --api before: the operator's (stranger 59, BH1).
                && err.contains("If lists came from this --api before"),
            "{args:?}: {err}"
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(!said.contains("ready"), "{args:?}: {said}");
    }
    // In German the sentence around the parser's detail is German.
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["--lang", "de", "steps", "--car", "987654", "--api", &api]);
    scrub_command(&mut cmd, home.path());
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(10))
        .output()
        .expect("run stepwise");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("die Antwort ist JSON in einer anderen Form"),
        "{err}"
    );
    assert!(!err.contains("the answer is"), "{err}");
}

/// The log the wizard writes is its user's alone, like every file in the
/// data directory (a log rotated in the middle of a run included: the
/// process's umask is 077).
#[cfg(unix)]
#[test]
fn the_wizard_s_log_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let mut tui = Spawn::new(&["--car", "987654"]).home(home.path()).start();
    tui.wait_for("the list", LONG, |s| s.contains("NEXT"));
    tui.send("q");
    assert!(tui.wait_exit(LONG).success());
    let logs = home.path().join(".local/share/stepwise/logs");
    let files: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty(), "no log in {}", logs.display());
    for file in files {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}
