//! Helpers of the live status tests: a simulator with short keep-alives, a
//! raw reader of event streams, and bounded waits on a follower's updates.
#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use stepwise::client::live::{LiveOptions, LiveStream, LiveUpdate};
use stepwise::client::{ClientOptions, Gateway};
use stepwise::sim::{Scenario, Shared, SimState, router};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A bound on every wait of these tests: reaching it is a failure.
pub const LIMIT: Duration = Duration::from_secs(10);

/// A simulator on loopback with the built-in scenario.
pub struct Sim {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Sim {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a simulator whose streams send a keep-alive every `keep_alive`.
pub async fn sim(keep_alive: Duration, poll_interval: Option<u64>) -> Sim {
    let shared =
        Shared::new(SimState::new(Scenario::built_in()), None).with_live(keep_alive, poll_interval);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, router(shared)).await.expect("serve");
    });
    Sim { addr, task }
}

pub fn gateway(url: &str, device: &str) -> Gateway {
    Gateway::new(url, device.into(), None, ClientOptions::default()).expect("gateway")
}

/// Options that poll fast and reconnect fast, for tests.
pub fn quick() -> LiveOptions {
    LiveOptions {
        poll_every: Duration::from_millis(50),
        jitter: Duration::from_millis(10),
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..LiveOptions::default()
    }
}

/// The next update, or a failure after [`LIMIT`].
pub async fn next(stream: &mut LiveStream) -> Option<LiveUpdate> {
    crate::wait::within("an update", LIMIT, stream.next()).await
}

/// Updates until one matches, failing after [`LIMIT`] or at the end.
pub async fn until(
    stream: &mut LiveStream,
    mut wanted: impl FnMut(&LiveUpdate) -> bool,
) -> LiveUpdate {
    crate::wait::within("the awaited update", LIMIT, async {
        loop {
            let update = stream.next().await.expect("the follower went on");
            if wanted(&update) {
                return update;
            }
        }
    })
    .await
}

/// The status of a step in a list update, if it is one holding it.
pub fn status_in(update: &LiveUpdate, step: &str) -> Option<String> {
    match update {
        LiveUpdate::List(list) => list.find(step).map(|s| s.status.as_wire().to_owned()),
        _ => None,
    }
}

/// Reads an event stream frame by frame (a frame ends with a blank line).
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next frame's text without its blank line; `None` at the end.
    pub async fn frame(&mut self) -> Option<String> {
        tokio::time::timeout(LIMIT, async {
            loop {
                if let Some(at) = self.buffer.find("\n\n") {
                    let frame = self.buffer[..at].to_owned();
                    self.buffer.drain(..at + 2);
                    return Some(frame);
                }
                let chunk = self.response.chunk().await.expect("read")?;
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("a frame within the limit")
    }

    /// The next frame that is an event (not a comment).
    pub async fn event(&mut self) -> Event {
        loop {
            let frame = self.frame().await.expect("the stream goes on");
            if let Some(event) = Event::parse(&frame) {
                return event;
            }
        }
    }
}

/// One event of a stream, as the test reads it.
#[derive(Debug)]
pub struct Event {
    pub id: u64,
    pub kind: String,
    pub data: serde_json::Value,
}

impl Event {
    fn parse(frame: &str) -> Option<Event> {
        let field = |name: &str| {
            frame
                .lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
        };
        let data = field("data:")?;
        Some(Event {
            id: field("id:")?.parse().expect("a numeric id"),
            kind: field("event:").unwrap_or_default(),
            data: serde_json::from_str(&data).expect("JSON data"),
        })
    }

    pub fn status(&self, step: &str) -> &str {
        self.data[step]["status"].as_str().unwrap_or("")
    }
}
