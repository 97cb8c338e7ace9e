//! The simulator under load and under arbitrary requests, on loopback only:
//! a bounded burst of concurrent requests with zero errors, and any query,
//! path or method answered with a 4xx JSON body (never a 5xx, never a dropped
//! connection).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use stepwise::sim::{RunningSim, Scenario};

/// One simulator for the whole file, on its own runtime.
fn sim() -> SocketAddr {
    static SIM: OnceLock<(tokio::runtime::Runtime, RunningSim)> = OnceLock::new();
    SIM.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let sim = rt
            .block_on(stepwise::sim::spawn(Scenario::built_in(), None))
            .expect("a simulator");
        (rt, sim)
    })
    .1
    .addr
}

/// Sends raw bytes as a request and returns (status, body).
fn raw(request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(sim()).expect("the simulator accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .expect("an answer, not a dropped connection");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

fn request(method: &str, target: &str) -> Vec<u8> {
    format!(
        "{method} {target} HTTP/1.1\r\nHost: sim\r\nX-Device-Id: prop\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// Query text an HTTP client can send: percent-escapes (valid and not), the
/// contract's names and values, separators, and any character legal in a URI
/// query.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("carAssociationID=".to_owned()),
        Just("stepsID=".to_owned()),
        Just("resetSteps=".to_owned()),
        Just("stepsStatus=".to_owned()),
        Just("987654".to_owned()),
        Just("true".to_owned()),
        Just("alreadyDone".to_owned()),
        Just("&".to_owned()),
        Just("=".to_owned()),
        Just("%".to_owned()),
        Just("%ff".to_owned()),
        Just("%00".to_owned()),
        Just("%zz".to_owned()),
        Just("+".to_owned()),
        "[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,6}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_query_is_answered_without_a_server_error(query in query_text(), next in any::<bool>()) {
        let path = if next { "/pims/subscription/step" } else { "/pims/subscription/steps" };
        let (status, body) = raw(&request("GET", &format!("{path}?{query}")));
        prop_assert!(status < 500, "{status} for ?{query}");
        let value: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| TestCaseError::fail(format!("{e}: {body:?}")))?;
        if status >= 400 {
            prop_assert!(value["message"].is_string(), "{body}");
        }
    }

    #[test]
    fn any_path_and_method_is_a_4xx(
        segments in prop::collection::vec("[a-zA-Z0-9%._~-]{0,8}", 0..5),
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("PATCH"), Just("OPTIONS")],
    ) {
        let path = format!("/x/{}", segments.join("/"));
        let (status, body) = raw(&request(method, &path));
        prop_assert!((400..500).contains(&status), "{status} for {method} {path}");
        // A path the gateway does not serve answers as a web server would,
        // without the contract's error body; any other refusal is JSON.
        if status == 404 {
            prop_assert!(body.starts_with("no such path"), "{body}");
        } else {
            let value: serde_json::Value = serde_json::from_str(&body)
                .map_err(|e| TestCaseError::fail(format!("{e}: {body:?}")))?;
            prop_assert!(value["message"].is_string());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// Bytes no URI may hold (`"`, `<`, `{`, ...) are refused by the HTTP
    /// parser itself: still a 4xx answer, never a 5xx or a dropped connection.
    #[test]
    fn illegal_request_targets_are_still_4xx(target in "[!-~]{0,16}") {
        let (status, _) = raw(&request("GET", &format!("/pims/subscription/steps?{target}")));
        prop_assert!((400..500).contains(&status), "{status} for {target:?}");
    }
}

#[test]
fn wrong_methods_on_contract_paths_are_json_4xx() {
    for (method, path) in [
        ("POST", "/pims/subscription/steps?carAssociationID=987654"),
        ("DELETE", "/pims/subscription/step?stepsID=1"),
        (
            "GET",
            "/sim/associations/111111/steps/mediumCarKey/complete",
        ),
        ("PUT", "/sim/associations"),
    ] {
        let (status, body) = raw(&request(method, path));
        assert!((400..500).contains(&status), "{status} for {method} {path}");
        assert!(body.contains("\"message\""), "{body}");
    }
}

/// A bounded burst: 16 clients, 2 000 requests in all, every one a 200 with
/// the same stepsID per device.
#[test]
fn a_burst_of_concurrent_requests_has_zero_errors() {
    let addr = sim();
    let clients: Vec<_> = (0..16)
        .map(|client| {
            std::thread::spawn(move || {
                let mut ids = std::collections::HashSet::new();
                for _ in 0..125 {
                    let mut stream = TcpStream::connect(addr).expect("accepted");
                    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let request = format!(
                        "GET /pims/subscription/steps?carAssociationID=111111 HTTP/1.1\r\nHost: sim\r\nX-Device-Id: load-{client}\r\nConnection: close\r\n\r\n"
                    );
                    stream.write_all(request.as_bytes()).unwrap();
                    let mut answer = String::new();
                    stream.read_to_string(&mut answer).expect("an answer");
                    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
                    let body = answer.split("\r\n\r\n").nth(1).unwrap();
                    let value: serde_json::Value = serde_json::from_str(body).unwrap();
                    ids.insert(value["stepsID"].to_string());
                }
                ids
            })
        })
        .collect();
    let mut all = std::collections::HashSet::new();
    for client in clients {
        let ids = client.join().expect("no client failed");
        assert_eq!(ids.len(), 1, "one stepsID per device");
        all.extend(ids);
    }
    assert_eq!(all.len(), 16, "a stepsID of its own for each device");
}

/// `stepwise serve` under a small limit of open files, on a free port;
/// killed when dropped.
struct Served(std::process::Child, SocketAddr);

/// The served simulator's header limit: a tenth of its 10 s, so that the
/// test waits out a second, not ten, twice.
const HEADER_LIMIT: Duration = Duration::from_secs(1);

impl Served {
    fn start(open_files: u32) -> Served {
        let home = tempfile::tempdir().expect("a temporary HOME");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("ulimit -n {open_files} && exec \"$0\" \"$@\""),
                env!("CARGO_BIN_EXE_stepwise"),
                "serve",
                "--addr",
                &addr.to_string(),
            ])
            .env("HOME", home.path())
            .env(
                stepwise::sim::TEST_HEADER_LIMIT_MS,
                HEADER_LIMIT.as_millis().to_string(),
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("stepwise serve starts");
        let served = Served(child, addr);
        crate::wait::until("serve to listen", Duration::from_secs(20), || {
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()
        });
        served
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Connections that never finish their request's head, more than the
/// simulator has files for, cannot stop it: each is closed once its head
/// takes longer than the limit, no more are taken than it has files for,
/// and a request made meanwhile is answered.
#[test]
fn half_sent_requests_held_open_are_closed_and_others_still_answered() {
    let served = Served::start(64);
    let held: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut stream = TcpStream::connect(served.1).expect("the kernel accepts");
            stream
                .write_all(b"GET /pims/subscription/steps?carAssociationID=987654 HTTP/1.1\r\nHost: sim\r\n")
                .expect("half a request sent");
            stream
        })
        .collect();
    let mut probe = TcpStream::connect(served.1).expect("the kernel accepts");
    probe.set_read_timeout(Some(HEADER_LIMIT * 10)).unwrap();
    probe
        .write_all(b"GET /pims/subscription/steps?carAssociationID=987654 HTTP/1.1\r\nHost: sim\r\nX-Device-Id: probe\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    probe
        .read_to_string(&mut answer)
        .expect("an answer while the others are held");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The held connections were closed, not kept for ever.
    for mut stream in held {
        stream.set_read_timeout(Some(HEADER_LIMIT * 10)).unwrap();
        let mut rest = Vec::new();
        match stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
}
