//! The cost of watching one list with nothing changing, three ways, side by
//! side in one run: full polling every 3 s (the wizard's watch before live
//! status), conditional polling (`If-None-Match`, every 3 s plus jitter) and
//! the event stream. Each watcher is a child process of this program talking
//! to an in-process simulator (default 15 s keep-alive) through its own
//! counting TCP proxy; counts are taken from the watcher's first list to the
//! end of the window (the steady state), and the watcher reports its own CPU
//! time over the same window (/proc/self/task/*/schedstat).
//!
//!     cargo bench --bench live_cost -- [SECONDS]     (default 60)

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use std::io::BufRead;
use stepwise::client::live::{LiveOptions, LiveUpdate, follow_with};
use stepwise::client::{ClientOptions, Gateway, ListRequest, Lookup};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MODES: [&str; 3] = ["full", "conditional", "stream"];
const DEVICE: &str = "bench";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    match args.first().map(String::as_str) {
        Some("--watch") => runtime.block_on(watch(&args[1], &args[2], &args[3], &args[4])),
        other => {
            let seconds = other.and_then(|s| s.parse().ok()).unwrap_or(60u64);
            runtime.block_on(compare(seconds));
        }
    }
}

/// CPU time of this process so far, over its live threads, in ns.
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// A child: watches `steps_id` at `url` the `mode` way for `seconds` after
/// the first list, then prints its CPU time over that window.
async fn watch(mode: &str, url: &str, steps_id: &str, seconds: &str) {
    let seconds: u64 = seconds.parse().expect("seconds");
    let gateway =
        Gateway::new(url, DEVICE.into(), None, ClientOptions::default()).expect("gateway");
    let window = Duration::from_secs(seconds);
    let (started, cpu) = match mode {
        "full" => {
            let request = ListRequest::new(Lookup::StepsId(steps_id.into()));
            gateway.list(&request).await.expect("first list");
            let (started, cpu) = ready();
            while started.elapsed() < window {
                tokio::time::sleep(Duration::from_secs(3)).await;
                gateway.list(&request).await.expect("list");
            }
            (started, cpu)
        }
        _ => {
            let options = LiveOptions {
                stream: mode == "stream",
                ..LiveOptions::default()
            };
            let mut updates = follow_with(gateway, vec![steps_id.into()], options);
            while let Some(update) = updates.next().await {
                if matches!(update, LiveUpdate::List(_)) {
                    break;
                }
                assert!(!matches!(update, LiveUpdate::Error { .. }), "{update:?}");
            }
            let (started, cpu) = ready();
            let _ = tokio::time::timeout(window, async {
                while let Some(update) = updates.next().await {
                    assert!(!matches!(update, LiveUpdate::Error { .. }), "{update:?}");
                }
            })
            .await;
            (started, cpu)
        }
    };
    let used = cpu_ns() - cpu;
    println!(
        "cpu_ns {used} over {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn ready() -> (Instant, u64) {
    println!("ready");
    (Instant::now(), cpu_ns())
}

#[derive(Default)]
struct Counts {
    up: AtomicU64,
    down: AtomicU64,
    requests: AtomicU64,
    connections: AtomicU64,
}

impl Counts {
    fn snapshot(&self) -> [u64; 4] {
        [
            self.requests.load(Ordering::SeqCst),
            self.up.load(Ordering::SeqCst),
            self.down.load(Ordering::SeqCst),
            self.connections.load(Ordering::SeqCst),
        ]
    }
}

/// A TCP proxy to `upstream` counting bytes each way and request heads.
async fn counting_proxy(upstream: SocketAddr) -> (SocketAddr, Arc<Counts>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let counts = Arc::new(Counts::default());
    let shared = Arc::clone(&counts);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let counts = Arc::clone(&shared);
            counts.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let up_counts = Arc::clone(&counts);
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut tail: Vec<u8> = Vec::new();
                    while let Ok(n) = client_read.read(&mut buf).await {
                        if n == 0 || server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        up_counts.up.fetch_add(n as u64, Ordering::SeqCst);
                        // Request heads end with a blank line (GETs carry no body).
                        tail.extend_from_slice(&buf[..n]);
                        let heads = tail.windows(4).filter(|w| w == b"\r\n\r\n").count();
                        up_counts.requests.fetch_add(heads as u64, Ordering::SeqCst);
                        let keep = tail.len().min(3);
                        tail.drain(..tail.len() - keep);
                    }
                });
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = server_read.read(&mut buf).await {
                    if n == 0 || client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    counts.down.fetch_add(n as u64, Ordering::SeqCst);
                }
                up.abort();
            });
        }
    });
    (addr, counts)
}

async fn compare(seconds: u64) {
    let sim = stepwise::sim::spawn(stepwise::sim::Scenario::built_in(), None)
        .await
        .expect("simulator");
    let setup = Gateway::new(&sim.url(), DEVICE.into(), None, ClientOptions::default())
        .expect("gateway")
        .list(&ListRequest::new(Lookup::Car("987654".into())))
        .await
        .expect("first list");
    let steps_id = setup.steps_id.expect("a stepsID");
    let exe = std::env::current_exe().expect("own path");
    println!(
        "watching stepsID {steps_id} for {seconds} s with nothing changing, three ways at once"
    );
    let mut runs = Vec::new();
    for mode in MODES {
        let (addr, counts) = counting_proxy(sim.addr).await;
        let mut child = std::process::Command::new(&exe)
            .args([
                "--watch",
                mode,
                &format!("http://{addr}"),
                &steps_id,
                &seconds.to_string(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("a watcher");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        runs.push(tokio::task::spawn_blocking(move || {
            let first = lines.next().expect("a line").expect("read");
            assert_eq!(first, "ready");
            let at_ready = counts.snapshot();
            let report = lines.next().expect("a report").expect("read");
            let at_end = counts.snapshot();
            child.wait().expect("watcher ends");
            let cpu_ns: u64 = report
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (mode, at_ready, at_end, cpu_ns)
        }));
    }
    let mut results = Vec::new();
    for run in runs {
        results.push(run.await.expect("a watcher's report"));
    }
    let per_minute = |n: u64| n as f64 * 60.0 / seconds as f64;
    println!(
        "{:<12} {:>14} {:>14} {:>14} {:>16} {:>12} {:>10}",
        "watcher",
        "requests/min",
        "bytes up/min",
        "bytes down/min",
        "bytes total/min",
        "set-up bytes",
        "CPU ms"
    );
    let mut totals = Vec::new();
    for (mode, ready, end, cpu_ns) in &results {
        let requests = end[0] - ready[0];
        let up = end[1] - ready[1];
        let down = end[2] - ready[2];
        totals.push(per_minute(up + down));
        println!(
            "{:<12} {:>14.1} {:>14.0} {:>14.0} {:>16.0} {:>12} {:>10.2}",
            mode,
            per_minute(requests),
            per_minute(up),
            per_minute(down),
            per_minute(up + down),
            ready[1] + ready[2],
            *cpu_ns as f64 / 1e6
        );
    }
    println!(
        "full polling ÷ conditional: {:.1}x bytes; full polling ÷ stream: {:.1}x bytes",
        totals[0] / totals[1].max(1.0),
        totals[0] / totals[2].max(1.0)
    );
}
