//! The live status follower against servers that bend or break the events
//! contract, written as raw HTTP/1.1 on loopback, and behind a proxy that
//! closes idle connections.

use crate::live;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use live::{LIMIT, next, quick, sim, status_in, until};
use stepwise::client::live::{LiveFault, LiveOptions, LiveUpdate, Mode, follow_with};
use stepwise::client::{ClientOptions, Gateway, GatewayError};
use stepwise::describe;
use stepwise::text::Lang;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

// ---------------------------------------------------------------- servers

struct Server {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Server {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers each connection with `answer(n, head, stream)`, `n` counting the
/// requests from 0.
async fn serve<F, Fut>(answer: F) -> Server
where
    F: Fn(usize, String, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    serve_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), answer)
}

/// [`serve`] on `listener`.
fn serve_on<F, Fut>(listener: TcpListener, answer: F) -> Server
where
    F: Fn(usize, String, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    let count = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (seen, count, answer) =
                (Arc::clone(&seen), Arc::clone(&count), Arc::clone(&answer));
            tokio::spawn(async move {
                if let Some(head) = read_head(&mut stream).await {
                    let head = head.to_ascii_lowercase();
                    seen.lock().unwrap().push(head.clone());
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    answer(n, head, stream).await;
                }
            });
        }
    });
    Server { addr, heads, task }
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";

fn json(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn list(status: &str) -> String {
    format!(
        r#"{{"stepsID":"1","deviceActivation":{{"name":"deviceActivation","status":"{status}","order":1}}}}"#
    )
}

fn event(id: u32, data: &str) -> String {
    format!("id: {id}\nevent: steps\ndata: {data}\n\n")
}

/// Writes and then holds the connection open until the test ends.
async fn write_and_hold(mut stream: TcpStream, bytes: Vec<u8>) {
    if stream.write_all(&bytes).await.is_ok() {
        std::future::pending::<()>().await;
    }
}

async fn write_and_close(mut stream: TcpStream, bytes: Vec<u8>) {
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

fn gateway(url: &str, max_body: usize) -> Gateway {
    let options = ClientOptions {
        max_body,
        ..ClientOptions::default()
    };
    Gateway::new(url, "dev".into(), None, options).unwrap()
}

fn follow(url: &str, options: LiveOptions) -> stepwise::client::live::LiveStream {
    follow_with(gateway(url, 64 * 1024), vec!["1".into()], options)
}

/// The updates up to the first list, none of them a fallback to polling.
async fn until_listed(updates: &mut stepwise::client::live::LiveStream) -> Vec<LiveUpdate> {
    let mut seen = Vec::new();
    while !seen.iter().any(|u| matches!(u, LiveUpdate::List(_))) {
        let update = next(updates).await.expect("the follower goes on");
        assert!(
            !matches!(update, LiveUpdate::Mode(Mode::Polling { .. })),
            "given up for polling: {seen:?}"
        );
        seen.push(update);
    }
    seen
}

fn is_error(update: &LiveUpdate) -> bool {
    matches!(update, LiveUpdate::Error { .. })
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn a_stream_cut_mid_event_says_so_and_resumes_with_last_event_id() {
    let server = serve(|n, _, stream| async move {
        if n == 0 {
            let text = format!(
                "{SSE_HEAD}{}id: 6\nevent: steps\ndata: {{\"stepsID\":1,",
                event(5, &list("todo"))
            );
            write_and_close(stream, text.into_bytes()).await;
        } else {
            write_and_hold(
                stream,
                format!("{SSE_HEAD}{}", event(7, &list("alreadyDone"))).into_bytes(),
            )
            .await;
        }
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    assert_eq!(next(&mut updates).await, Some(LiveUpdate::Mode(Mode::Live)));
    let first = next(&mut updates).await.unwrap();
    assert_eq!(
        status_in(&first, "deviceActivation").as_deref(),
        Some("todo")
    );
    match next(&mut updates).await {
        Some(LiveUpdate::Error {
            error: error @ GatewayError::Live(LiveFault::CutDirect),
            retrying: true,
        }) => {
            // No proxy on the way: the gateway's own cut, never "check the
            // proxies" (stranger 67, BP10).
            let words = describe::gateway_error(Lang::En, &error);
            assert!(
                words.contains("cut its live stream in the middle of an event")
                    && !words.contains("proxies"),
                "{words}"
            );
        }
        other => panic!("expected the cut reported, got {other:?}"),
    }
    let resumed = next(&mut updates).await.unwrap();
    assert_eq!(
        status_in(&resumed, "deviceActivation").as_deref(),
        Some("alreadyDone")
    );
    let heads = server.heads();
    assert!(!heads[0].contains("last-event-id"));
    assert!(heads[1].contains("last-event-id: 5\r\n"), "{}", heads[1]);
}

#[tokio::test]
async fn an_endless_event_line_is_cut_at_the_cap_and_the_follower_falls_back_to_polling() {
    let server = serve(|_, head, mut stream| async move {
        if head.contains("/events") {
            if stream.write_all(SSE_HEAD.as_bytes()).await.is_err() {
                return;
            }
            let _ = stream.write_all(b"data: ").await;
            let chunk = vec![b'x'; 16 * 1024];
            while stream.write_all(&chunk).await.is_ok() {}
        } else {
            write_and_close(stream, json("200 OK", "", &list("todo"))).await;
        }
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    assert_eq!(next(&mut updates).await, Some(LiveUpdate::Mode(Mode::Live)));
    match next(&mut updates).await {
        Some(LiveUpdate::Error {
            error: error @ GatewayError::TooLarge { limit: 65536 },
            retrying: true,
        }) => assert!(describe::gateway_error(Lang::En, &error).contains("64 KiB")),
        other => panic!("expected the event cut at the cap, got {other:?}"),
    }
    // Streams that keep failing without one good event: polling instead.
    until(&mut updates, |u| {
        matches!(u, LiveUpdate::Mode(Mode::Polling { .. }))
    })
    .await;
    let polled = until(&mut updates, |u| !is_error(u)).await;
    assert_eq!(
        status_in(&polled, "deviceActivation").as_deref(),
        Some("todo")
    );
}

#[tokio::test]
async fn escape_sequences_in_event_data_never_reach_the_list() {
    let data = r#"{"stepsID":"1\u001b[2J","x":{"name":"\u001b[31mred\u001b[0m\u0007\u202e","status":"todo\u001b]0;t\u0007","order":1}}"#;
    let server = serve(move |_, _, stream| {
        let text = format!("{SSE_HEAD}id: 1\u{1b}[0m\nevent: steps\ndata: {data}\n\n");
        write_and_hold(stream, text.into_bytes())
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    next(&mut updates).await;
    let Some(LiveUpdate::List(list)) = next(&mut updates).await else {
        panic!("expected a list");
    };
    let step = &list.steps[0];
    assert_eq!(step.name, "red");
    let texts = [
        step.name.clone(),
        step.status.as_wire().to_owned(),
        list.steps_id.clone().unwrap_or_default(),
    ];
    for text in texts {
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
    }
}

/// A live event carrying the list of a stepsID this stream does not follow
/// is refused and said; no list of it is ever yielded.
#[tokio::test]
async fn an_event_with_another_steps_id_is_refused_not_taken() {
    let other = list("alreadyDone").replace(r#""stepsID":"1""#, r#""stepsID":"555555""#);
    let server = serve(move |_, head, stream| {
        let other = other.clone();
        async move {
            if head.contains("/events") {
                let text = format!("{SSE_HEAD}{}", event(1, &other));
                write_and_hold(stream, text.into_bytes()).await;
            } else {
                // The list by its own stepsID answers: the event was the
                // stream's mistake, not a start-over (stranger 63, BL3).
                write_and_close(stream, json("200 OK", "", &list("todo"))).await;
            }
        }
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    let update = until(&mut updates, |u| matches!(u, LiveUpdate::Error { .. })).await;
    let LiveUpdate::Error {
        error: GatewayError::Live(LiveFault::Foreign { answered, lists }),
        retrying: true,
    } = &update
    else {
        panic!("{update:?}");
    };
    assert_eq!((answered.as_str(), *lists), ("555555", 1));
}

/// A poll of one stepsID answered with another's list is refused and said.
#[tokio::test]
async fn a_poll_answered_with_another_steps_id_is_refused_not_taken() {
    let other = list("alreadyDone").replace(r#""stepsID":"1""#, r#""stepsID":"555555""#);
    let server = serve(move |_, head, stream| {
        let bytes = if head.contains("/events") {
            json("404 Not Found", "", r#"{"message":"no such path"}"#)
        } else {
            json("200 OK", "", &other)
        };
        write_and_close(stream, bytes)
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    let update = until(&mut updates, |u| !matches!(u, LiveUpdate::Mode(_))).await;
    assert!(
        matches!(
            &update,
            LiveUpdate::Error {
                error: GatewayError::ForeignList { answered, .. },
                ..
            } if answered == "555555"
        ),
        "{update:?}"
    );
}

/// A stream that failed, then an events call answered 404 as by a gateway
/// without live events (back from a restart without them): said as that
/// before polling, never as the failure before it (stranger 69, BR4).
#[tokio::test]
async fn an_events_call_no_longer_offered_after_failures_is_said_so() {
    let events = Arc::new(AtomicUsize::new(0));
    let server = serve(move |_, head, stream| {
        let events = Arc::clone(&events);
        async move {
            let bytes = if head.contains("/events") {
                if events.fetch_add(1, Ordering::SeqCst) == 0 {
                    json("503 Service Unavailable", "", r#"{"message":"restarting"}"#)
                } else {
                    json("404 Not Found", "", r#"{"message":"no such path"}"#)
                }
            } else {
                json("200 OK", "", &list("todo"))
            };
            write_and_close(stream, bytes).await;
        }
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    let said = until(&mut updates, |u| {
        matches!(
            u,
            LiveUpdate::Error {
                error: GatewayError::Live(LiveFault::NotOffered),
                retrying: true
            }
        )
    })
    .await;
    let words = stepwise::describe::gateway_error(
        stepwise::text::Lang::En,
        &match said {
            LiveUpdate::Error { error, .. } => error,
            other => panic!("{other:?}"),
        },
    );
    assert!(words.contains("offers no live events"), "{words}");
    let polled = until(&mut updates, |u| matches!(u, LiveUpdate::Mode(_))).await;
    assert!(
        matches!(polled, LiveUpdate::Mode(Mode::Polling { .. })),
        "{polled:?}"
    );
}

/// A follower of a gateway whose lists answer and whose events call
/// answers `events`: the one error it says (retrying), after which it
/// polls.
async fn said_once_then_polled(events: Vec<u8>) -> GatewayError {
    let server = serve(move |_, head, stream| {
        let bytes = if head.contains("/events") {
            events.clone()
        } else {
            json("200 OK", "", &list("todo"))
        };
        write_and_close(stream, bytes)
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    let said = until(&mut updates, |u| matches!(u, LiveUpdate::Error { .. })).await;
    let LiveUpdate::Error {
        error,
        retrying: true,
    } = said
    else {
        panic!("expected an error said while going on, got {said:?}");
    };
    let polled = until(&mut updates, |u| matches!(u, LiveUpdate::Mode(_))).await;
    assert!(
        matches!(polled, LiveUpdate::Mode(Mode::Polling { .. })),
        "{polled:?}"
    );
    error
}

/// A web page where the event stream belongs (a proxy or a firewall that
/// keeps streams out) is said once, with its title, then polled; never
/// polled without a word (stranger 85, CH4).
#[tokio::test]
async fn an_events_call_answered_by_a_web_page_is_said_then_polled() {
    let page = "<html><head><title>Streaming not allowed</title></head></html>";
    let error = said_once_then_polled(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        )
        .into_bytes(),
    )
    .await;
    let GatewayError::Live(LiveFault::Page { said }) = &error else {
        panic!("expected the page said, got {error:?}");
    };
    assert_eq!(said, "Streaming not allowed");
    let words = stepwise::describe::gateway_error(stepwise::text::Lang::En, &error);
    assert!(
        words.contains(
            "answered a web page (HTML, “Streaming not allowed”) where its event stream belongs"
        ) && words.contains("let text/event-stream through"),
        "{words}"
    );
}

/// A stream that comes compressed, though none was asked for, is said
/// once, with its encoding, then polled; never polled without a word
/// (stranger 89, CL4).
#[tokio::test]
async fn a_compressed_stream_is_said_then_polled() {
    let error = said_once_then_polled(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n\x1f\x8b\x08\x00".to_vec(),
    )
    .await;
    let GatewayError::Live(LiveFault::Compressed { encoding }) = &error else {
        panic!("expected the compression said, got {error:?}");
    };
    assert_eq!(encoding, "gzip");
    let words = stepwise::describe::gateway_error(stepwise::text::Lang::En, &error);
    assert!(
        words.contains("came compressed (gzip)") && words.contains("uncompressed"),
        "{words}"
    );
}

/// One list of several polled that asks a wait (503, Retry-After) is not
/// asked again before it ends, while the others are polled on (stranger
/// 74, BW1).
#[tokio::test]
async fn a_polled_list_that_asks_a_wait_is_held_for_it() {
    let asked_two = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&asked_two);
    let server = serve(move |_, head, stream| {
        let counted = Arc::clone(&counted);
        async move {
            let bytes = if head.contains("/events") {
                json("404 Not Found", "", r#"{"message":"no such path"}"#)
            } else if head.to_ascii_lowercase().contains("stepsid=2") {
                counted.fetch_add(1, Ordering::SeqCst);
                json(
                    "503 Service Unavailable",
                    "Retry-After: 30\r\n",
                    r#"{"message":"busy"}"#,
                )
            } else {
                json("200 OK", "", &list("todo"))
            };
            write_and_close(stream, bytes).await;
        }
    })
    .await;
    let mut updates = follow_with(
        gateway(&server.url(), 64 * 1024),
        vec!["1".into(), "2".into()],
        quick(),
    );
    let mut rounds = 0;
    until(&mut updates, |u| {
        if matches!(u, LiveUpdate::List(_) | LiveUpdate::Unchanged { .. }) {
            rounds += 1;
        }
        rounds >= 6
    })
    .await;
    assert_eq!(asked_two.load(Ordering::SeqCst), 1, "asked within its wait");
}

#[tokio::test]
async fn a_gateway_without_the_events_call_is_polled_conditionally_at_its_interval() {
    let server = serve(|_, head, stream| async move {
        let bytes = if head.contains("/events") {
            json("404 Not Found", "", r#"{"message":"no such path"}"#)
        } else if head.contains("if-none-match: \"v1\"") {
            b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nX-Poll-Interval: 1\r\nConnection: close\r\n\r\n".to_vec()
        } else {
            json("200 OK", "ETag: \"v1\"\r\nX-Poll-Interval: 1\r\n", &list("todo"))
        };
        write_and_close(stream, bytes).await;
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    assert_eq!(
        next(&mut updates).await,
        Some(LiveUpdate::Mode(Mode::Polling {
            every: Duration::from_millis(50)
        }))
    );
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::List(_))
    ));
    assert_eq!(
        next(&mut updates).await,
        Some(LiveUpdate::Mode(Mode::Polling {
            every: Duration::from_secs(1)
        })),
        "the gateway's X-Poll-Interval is the least interval"
    );
    assert_eq!(
        next(&mut updates).await,
        Some(LiveUpdate::Unchanged {
            steps_id: "1".into()
        })
    );
    let heads = server.heads();
    assert!(heads[0].contains("/events?stepsid=1"));
    assert!(heads[1].contains("/pims/subscription/steps?stepsid=1"));
    assert!(!heads[1].contains("if-none-match"));
    assert!(heads[2].contains("if-none-match: \"v1\"\r\n"));
}

#[tokio::test]
async fn an_unauthorized_stream_ends_the_follower_with_a_final_error() {
    let server = serve(|_, _, stream| {
        write_and_close(
            stream,
            json("401 Unauthorized", "", r#"{"message":"token expired"}"#),
        )
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    // The events call's 401 is checked by one request of the list, which
    // the gateway refuses the same way: that ends the follower, with no
    // switch to polling said first (a screen would say "live stream given
    // up" with an older trouble as its cause: stranger 66, BO1).
    match next(&mut updates).await {
        // No token was sent: the error says so (a 401 all the same).
        Some(LiveUpdate::Error {
            error:
                GatewayError::Unauthorized {
                    sent: None,
                    expired: None,
                    said: None,
                    through: None,
                },
            retrying: false,
        }) => {}
        other => panic!("expected a final 401, got {other:?}"),
    }
    assert_eq!(next(&mut updates).await, None);
    assert_eq!(server.heads().len(), 2, "never retried in a loop");
}

/// A gateway out of reach for a while (restarting) is streamed again once
/// it is back, however many connections were refused meanwhile, never
/// given up for polling for it (stranger 49, AX7).
#[tokio::test]
async fn a_gateway_out_of_reach_for_a_while_is_streamed_again() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let options = LiveOptions {
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        stream_failures_before_polling: 2,
        ..quick()
    };
    let mut updates = follow(&format!("http://{addr}"), options);
    for _ in 0..4 {
        match next(&mut updates).await {
            Some(LiveUpdate::Error {
                error: GatewayError::Unreachable { .. },
                retrying: true,
            }) => {}
            other => panic!("expected the gateway out of reach, got {other:?}"),
        }
    }
    let listener = TcpListener::bind(addr).await.unwrap();
    let server = serve_on(listener, |_, _, stream| async move {
        let text = format!("{SSE_HEAD}{}", event(1, &list("todo")));
        write_and_hold(stream, text.into_bytes()).await;
    });
    let seen = until_listed(&mut updates).await;
    assert!(seen.contains(&LiveUpdate::Mode(Mode::Live)), "{seen:?}");
    assert!(
        server.heads()[0].contains("/events"),
        "{:?}",
        server.heads()
    );
}

/// A gateway (or a proxy before it) that gives no answer in time for a
/// while is streamed again once it answers: the polls would have met the
/// same silence, so it is no stream that fails (stranger 58, BG3).
#[tokio::test]
async fn a_gateway_silent_for_a_while_is_streamed_again() {
    let server = serve(|n, _, stream| async move {
        if n < 4 {
            // Silent: the connection held, no answer.
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(stream);
            return;
        }
        let text = format!("{SSE_HEAD}{}", event(1, &list("todo")));
        write_and_hold(stream, text.into_bytes()).await;
    })
    .await;
    let client = Gateway::new(
        &server.url(),
        "dev".into(),
        None,
        ClientOptions {
            timeout: Duration::from_millis(150),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let options = LiveOptions {
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        stream_failures_before_polling: 2,
        ..quick()
    };
    let mut updates = follow_with(client, vec!["1".into()], options);
    let seen = until_listed(&mut updates).await;
    let silent = seen
        .iter()
        .filter(|u| {
            matches!(
                u,
                LiveUpdate::Error {
                    error: GatewayError::TimedOut { .. },
                    retrying: true,
                }
            )
        })
        .count();
    assert!(silent >= 2, "{seen:?}");
    assert!(seen.contains(&LiveUpdate::Mode(Mode::Live)), "{seen:?}");
    // Each silence was checked with a list asked meanwhile, as silent.
    assert!(
        server.heads().iter().any(|h| !h.contains("/events")),
        "{:?}",
        server.heads()
    );
}

/// "No step for this stepsID" to a stream of two lists is not the end of
/// both: each list is asked, only the one the gateway does not know ends,
/// and the other is streamed again (stranger 58, BG6).
#[tokio::test]
async fn a_stream_refusing_one_of_its_steps_ids_ends_that_list_alone() {
    let gone = r#"{"code":2346,"message":"no step for this stepsID"}"#;
    let second = r#"{"stepsID":"2","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let server = serve(move |_, head, stream| async move {
        if head.contains("/events") && head.contains("stepsid=1") {
            write_and_close(stream, json("404 Not Found", "", gone)).await;
        } else if head.contains("/events") {
            let text = format!("{SSE_HEAD}{}", event(1, second));
            write_and_hold(stream, text.into_bytes()).await;
        } else if head.contains("stepsid=1") {
            write_and_close(stream, json("404 Not Found", "", gone)).await;
        } else {
            write_and_close(stream, json("200 OK", "", second)).await;
        }
    })
    .await;
    let mut updates = follow_with(
        gateway(&server.url(), 64 * 1024),
        vec!["1".into(), "2".into()],
        quick(),
    );
    let mut seen = Vec::new();
    while !seen.contains(&LiveUpdate::Mode(Mode::Live)) {
        let update = next(&mut updates).await.expect("the follower goes on");
        assert!(
            !matches!(
                update,
                LiveUpdate::Error {
                    retrying: false,
                    ..
                }
            ),
            "ended for both: {seen:?} {update:?}"
        );
        seen.push(update);
    }
    assert!(
        seen.iter()
            .any(|u| matches!(u, LiveUpdate::Dropped { steps_id, .. } if steps_id == "1")),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|u| matches!(u, LiveUpdate::Dropped { steps_id, .. } if steps_id == "2")),
        "{seen:?}"
    );
}

/// The follower's updates until it polls, none of them its end (a start
/// over, a list dropped); and the failures it said on the way.
async fn until_polled(
    updates: &mut stepwise::client::live::LiveStream,
) -> (Vec<LiveUpdate>, Vec<GatewayError>) {
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|u| matches!(u, LiveUpdate::Mode(Mode::Polling { .. })))
    {
        let update = next(updates).await.expect("the follower goes on");
        assert!(
            !matches!(
                update,
                LiveUpdate::Error {
                    retrying: false,
                    ..
                } | LiveUpdate::Dropped { .. }
            ),
            "{seen:?} {update:?}"
        );
        seen.push(update);
    }
    let said = seen
        .iter()
        .filter_map(|u| match u {
            LiveUpdate::Error { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect();
    (seen, said)
}

/// "No step for this stepsID" on a stream of two lists that both answer
/// when asked by their stepsIDs: the gateway contradicts itself. Said once,
/// as that (naming the stepsID the stream had sent no list of), and the
/// lists are polled from then on; none is dropped, and the stream is not
/// reopened to hear the same again (stranger 59, BH6).
#[tokio::test]
async fn a_stream_contradicting_lists_that_answer_is_said_so_and_polled() {
    let gone = r#"{"code":2346,"message":"no step for this stepsID"}"#;
    let second = r#"{"stepsID":"2","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let streams = Arc::new(AtomicUsize::new(0));
    let opened = Arc::clone(&streams);
    let server = serve(move |_, head, stream| {
        let opened = Arc::clone(&opened);
        async move {
            if head.contains("/events") {
                opened.fetch_add(1, Ordering::SeqCst);
                let text = format!(
                    "{SSE_HEAD}{}event: error\ndata: {gone}\n\n",
                    event(1, second)
                );
                write_and_close(stream, text.into_bytes()).await;
            } else if head.contains("stepsid=1") {
                write_and_close(stream, json("200 OK", "", &list("todo"))).await;
            } else {
                write_and_close(stream, json("200 OK", "", second)).await;
            }
        }
    })
    .await;
    let mut updates = follow_with(
        gateway(&server.url(), 64 * 1024),
        vec!["1".into(), "2".into()],
        quick(),
    );
    let (seen, said) = until_polled(&mut updates).await;
    let said: Vec<&GatewayError> = said.iter().collect();
    assert_eq!(said.len(), 1, "said once: {seen:?}");
    assert!(
        matches!(said[0], GatewayError::Live(LiveFault::Contradicted { lists: 2, unsent, .. }) if unsent == &["1".to_owned()]),
        "{said:?}"
    );
    let words = describe::gateway_error(Lang::En, said[0]);
    assert!(
        words.contains("contradicts itself")
            && words.contains("stepsID 1")
            && words.contains("gateway's operator")
            && !words.contains("carAssociationID"),
        "{words}"
    );
    assert_eq!(
        describe::gateway_headline(Lang::En, said[0]),
        "Live stream contradicts the lists"
    );
    assert_eq!(streams.load(Ordering::SeqCst), 1, "not reopened");
}

/// The same refusal as the events call's HTTP answer (404 with 2346)
/// while both lists answer by their stepsIDs: the contradiction said once,
/// and polled; never each vehicle's unknown id (stranger 67, BP7).
#[tokio::test]
async fn a_stream_refused_with_2346_for_lists_that_answer_is_a_contradiction() {
    let gone = r#"{"code":2346,"message":"no step for this stepsID"}"#;
    let second = r#"{"stepsID":"2","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let server = serve(move |_, head, stream| async move {
        let bytes = if head.contains("/events") {
            json("404 Not Found", "", gone)
        } else if head.contains("stepsid=1") {
            json("200 OK", "", &list("todo"))
        } else {
            json("200 OK", "", second)
        };
        write_and_close(stream, bytes).await;
    })
    .await;
    let mut updates = follow_with(
        gateway(&server.url(), 64 * 1024),
        vec!["1".into(), "2".into()],
        quick(),
    );
    let (seen, said) = until_polled(&mut updates).await;
    assert_eq!(said.len(), 1, "said once: {seen:?}");
    assert!(
        matches!(
            said[0],
            GatewayError::Live(LiveFault::Contradicted { lists: 2, .. })
        ),
        "{said:?}"
    );
    assert!(
        !seen.iter().any(|u| matches!(u, LiveUpdate::Dropped { .. })),
        "{seen:?}"
    );
}

/// A list of a stepsID no one asked for, on a stream of several lists whose
/// own lists all answer: a stream that failed, reopened with backoff; not
/// given up for polling at once as a contradiction (stranger 61, BJ12).
#[tokio::test]
async fn a_foreign_list_on_a_stream_of_several_is_reopened_not_given_up() {
    let second = r#"{"stepsID":"2","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let foreign = r#"{"stepsID":"99","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let server = serve(move |_, head, stream| async move {
        if head.contains("/events") {
            let text = format!(
                "{SSE_HEAD}{}{}{}",
                event(1, &list("todo")),
                event(2, second),
                event(3, foreign)
            );
            write_and_hold(stream, text.into_bytes()).await;
        } else if head.contains("stepsid=1") {
            write_and_close(stream, json("200 OK", "", &list("todo"))).await;
        } else {
            write_and_close(stream, json("200 OK", "", second)).await;
        }
    })
    .await;
    let mut updates = follow_with(
        gateway(&server.url(), 64 * 1024),
        vec!["1".into(), "2".into()],
        quick(),
    );
    let mut seen = Vec::new();
    while server
        .heads()
        .iter()
        .filter(|h| h.contains("/events"))
        .count()
        < 2
    {
        let update = next(&mut updates).await.expect("the follower goes on");
        assert!(
            !matches!(update, LiveUpdate::Mode(Mode::Polling { .. })),
            "given up after one stream: {seen:?}"
        );
        seen.push(update);
    }
    assert!(
        seen.iter().any(|u| matches!(
            u,
            LiveUpdate::Error {
                error: GatewayError::Live(LiveFault::Foreign { lists: 2, .. }),
                retrying: true
            }
        )),
        "{seen:?}"
    );
    // Said as the stream's, never "this vehicle may have started over"
    // (stranger 63, BL4).
    let said = seen.iter().find_map(|u| match u {
        LiveUpdate::Error { error, .. } => Some(describe::gateway_error(Lang::En, error)),
        _ => None,
    });
    let said = said.unwrap_or_default();
    assert!(
        said.contains("sent a list of stepsID 99, which it was not asked for")
            && said.contains("so the list on screen was kept as it is")
            && !said.contains("this vehicle"),
        "{said}"
    );
    // Quoted in "Live stream given up", it says nothing of its own of
    // what happens next (stranger 85, CH3).
    assert!(!said.contains("given up"), "{said}");
}

/// The same on a stream of one list: a list of another stepsID that the
/// list by the vehicle's own stepsID does not back up (it answers) is a
/// stream that failed: reopened with backoff, then polled; never started
/// over again and again (stranger 63, BL3).
#[tokio::test]
async fn a_foreign_list_on_a_stream_of_one_is_not_started_over_without_end() {
    let foreign = r#"{"stepsID":"99","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let server = serve(move |_, head, stream| async move {
        if head.contains("/events") {
            let text = format!("{SSE_HEAD}{}{}", event(1, &list("todo")), event(2, foreign));
            write_and_hold(stream, text.into_bytes()).await;
        } else {
            write_and_close(stream, json("200 OK", "", &list("todo"))).await;
        }
    })
    .await;
    let mut updates = follow_with(gateway(&server.url(), 64 * 1024), vec!["1".into()], quick());
    loop {
        match next(&mut updates).await.expect("the follower goes on") {
            LiveUpdate::Mode(Mode::Polling { .. }) => break,
            LiveUpdate::Error {
                retrying: false, ..
            }
            | LiveUpdate::Dropped { .. } => panic!("started over"),
            _ => {}
        }
    }
    let streams = server
        .heads()
        .iter()
        .filter(|h| h.contains("/events"))
        .count();
    assert!((2..=5).contains(&streams), "{streams} streams");
}

/// The same for a stream of one list: the stream says 2346, the list by
/// that stepsID answers. Polled from then on, said once; never started over
/// again and again (each start-over brought the same stepsID back and the
/// stream said it again: stranger 61, BJ7).
#[tokio::test]
async fn a_stream_of_one_list_contradicting_it_is_polled_not_started_over() {
    let gone = r#"{"code":2346,"message":"no step for this stepsID"}"#;
    let streams = Arc::new(AtomicUsize::new(0));
    let opened = Arc::clone(&streams);
    let server = serve(move |_, head, stream| {
        let opened = Arc::clone(&opened);
        async move {
            if head.contains("/events") {
                opened.fetch_add(1, Ordering::SeqCst);
                let text = format!(
                    "{SSE_HEAD}{}event: error\ndata: {gone}\n\n",
                    event(1, &list("todo"))
                );
                write_and_close(stream, text.into_bytes()).await;
            } else {
                write_and_close(stream, json("200 OK", "", &list("todo"))).await;
            }
        }
    })
    .await;
    let mut updates = follow_with(gateway(&server.url(), 64 * 1024), vec!["1".into()], quick());
    let (seen, said) = until_polled(&mut updates).await;
    let said: Vec<&GatewayError> = said.iter().collect();
    assert_eq!(said.len(), 1, "said once: {seen:?}");
    let words = describe::gateway_error(Lang::En, said[0]);
    assert!(
        words.contains("yet its list answers when asked by that stepsID")
            && words.contains("gateway's operator"),
        "{words}"
    );
    assert_eq!(streams.load(Ordering::SeqCst), 1, "not reopened");
}

/// A 503 whose Retry-After is longer than a call waits is not retried
/// within the call (in a fraction of a second, against the gateway's ask):
/// one request, and the wait is the error's to say (stranger 61, BJ13).
#[tokio::test]
async fn a_failure_asking_a_long_wait_is_not_retried_at_once() {
    let server = serve(|_, _, stream| async move {
        write_and_close(
            stream,
            json(
                "503 Service Unavailable",
                "Retry-After: 120\r\n",
                r#"{"message":"maintenance"}"#,
            ),
        )
        .await;
    })
    .await;
    let options = ClientOptions {
        retries: 2,
        ..ClientOptions::default()
    };
    let client = Gateway::new(&server.url(), "dev".into(), None, options).unwrap();
    let request = stepwise::client::ListRequest::new(stepwise::client::Lookup::Car("C02".into()));
    let error = client.list(&request).await.unwrap_err();
    assert!(
        matches!(&error, GatewayError::Rejected { status: 503, retry_after: Some(w), .. } if w.as_secs() == 120),
        "{error:?}"
    );
    assert_eq!(server.heads().len(), 1, "{:?}", server.heads());
}

/// A stream that sends its list and then fails (`event: error` of another
/// code) every time it opens is no stream that works: after a few such
/// streams the list is polled, never reopened every second for ever
/// (stranger 61, BJ11).
#[tokio::test]
async fn a_stream_failing_after_each_list_is_given_up_for_polling() {
    let server = serve(|_, head, stream| async move {
        if head.contains("/events") {
            let text = format!(
                "{SSE_HEAD}{}event: error\ndata: upstream timeout after 30000 ms\n\n",
                event(1, &list("todo"))
            );
            write_and_close(stream, text.into_bytes()).await;
        } else {
            write_and_close(stream, json("200 OK", "", &list("todo"))).await;
        }
    })
    .await;
    let mut updates = follow_with(gateway(&server.url(), 64 * 1024), vec!["1".into()], quick());
    let mut troubles = 0;
    loop {
        match next(&mut updates).await.expect("the follower goes on") {
            LiveUpdate::Mode(Mode::Polling { .. }) => break,
            LiveUpdate::Error { retrying: true, .. } => troubles += 1,
            LiveUpdate::Error { error, .. } => panic!("ended: {error:?}"),
            _ => {}
        }
        assert!(troubles <= 10, "still streaming after {troubles} failures");
    }
    let streams = server
        .heads()
        .iter()
        .filter(|h| h.contains("/events"))
        .count();
    assert!((2..=5).contains(&streams), "{streams} streams");
}

/// A token that cannot be renewed for a while (the provider busy, with a
/// wait) is no stream that fails: once renewed, the stream is opened
/// again, never given up for polling for it (stranger 51, AZ1).
#[tokio::test]
async fn a_token_not_renewed_for_a_while_is_streamed_again() {
    let provider = serve(|n, _, stream| async move {
        let answer = if n == 0 {
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
        } else {
            let body = r#"{"access_token":"fresh","token_type":"Bearer","expires_in":3600}"#;
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        write_and_close(stream, answer.into_bytes()).await;
    })
    .await;
    let server = serve(|_, _, stream| async move {
        let text = format!("{SSE_HEAD}{}", event(1, &list("todo")));
        write_and_hold(stream, text.into_bytes()).await;
    })
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let credential: stepwise::auth::Credential = serde_json::from_value(serde_json::json!({
        "access_token": "old",
        "refresh_token": "r1",
        "expires_at": now,
        "lifetime": 60,
        "token_endpoint": format!("{}/token", provider.url()),
    }))
    .unwrap();
    let source = stepwise::auth::TokenSource::login(format!("{}/", server.url()), credential, None);
    let options = LiveOptions {
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        stream_failures_before_polling: 2,
        ..quick()
    };
    let client = gateway(&server.url(), 64 * 1024).with_token_source(source);
    let mut updates = follow_with(client, vec!["1".into()], options);
    let seen = until_listed(&mut updates).await;
    let renewals_failed = seen
        .iter()
        .filter(|u| {
            matches!(
                u,
                LiveUpdate::Error {
                    error: GatewayError::Auth(_),
                    ..
                }
            )
        })
        .count();
    assert!(renewals_failed >= 2, "{seen:?}");
    assert!(seen.contains(&LiveUpdate::Mode(Mode::Live)), "{seen:?}");
}

#[tokio::test]
async fn a_silent_stream_is_taken_as_dead_and_reopened() {
    let server = serve(|n, _, stream| async move {
        let text = if n == 0 {
            SSE_HEAD.to_owned()
        } else {
            format!("{SSE_HEAD}{}", event(1, &list("todo")))
        };
        write_and_hold(stream, text.into_bytes()).await;
    })
    .await;
    let options = LiveOptions {
        idle_timeout: Duration::from_millis(200),
        ..quick()
    };
    let mut updates = follow(&server.url(), options);
    next(&mut updates).await;
    match next(&mut updates).await {
        Some(LiveUpdate::Error {
            error: error @ GatewayError::Live(LiveFault::Silent { .. }),
            retrying: true,
        }) => assert!(describe::gateway_error(Lang::En, &error).contains("sent nothing for 0.2 s")),
        other => panic!("expected the silence reported, got {other:?}"),
    }
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::List(_))
    ));
}

/// A stream that sends its list and then nothing, not even a keep-alive:
/// said as a gateway that sends none (its operator's to fix), never "check
/// the network" alone, which a gateway on loopback sends nowhere; one that
/// kept alive before it went silent is said as before (stranger 61, BJ9).
#[tokio::test]
async fn a_stream_silent_after_its_lists_names_the_keep_alives_it_never_sent() {
    for kept in [false, true] {
        let server = serve(move |_, _, mut stream| async move {
            let first = format!("{SSE_HEAD}{}", event(1, &list("todo")));
            if stream.write_all(first.as_bytes()).await.is_err() {
                return;
            }
            if kept {
                // The gateway's own pace: a keep-alive well after the list.
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = stream.write_all(b":\n\n").await;
            }
            std::future::pending::<()>().await;
        })
        .await;
        let options = LiveOptions {
            idle_timeout: Duration::from_millis(600),
            ..quick()
        };
        let mut updates = follow(&server.url(), options);
        let mut seen = Vec::new();
        let error = loop {
            match next(&mut updates).await {
                Some(LiveUpdate::Error { error, .. }) => break error,
                Some(other) => seen.push(other),
                None => panic!("ended without the silence said: {seen:?}"),
            }
        };
        assert!(
            seen.iter().any(|u| matches!(u, LiveUpdate::List(_))),
            "{seen:?}"
        );
        assert!(
            matches!(
                error,
                GatewayError::Live(LiveFault::Silent { kept_alive, .. }) if kept_alive == kept
            ),
            "{error:?}"
        );
        let words = describe::gateway_error(Lang::En, &error);
        if kept {
            assert!(words.contains("check the network"), "{words}");
        } else {
            assert!(
                words.contains("then nothing for 0.6 s, not even the keep-alive the contract asks")
                    && words.contains("tell the gateway's operator")
                    && !words.contains("check the network"),
                "{words}"
            );
        }
    }
}

/// A stream of two stepsIDs that sends one's list at once and never the
/// other's: said once, naming the stepsID left out, and both are polled
/// (the one left out would never be followed: stranger 67, BP1).
#[tokio::test]
async fn a_stream_that_leaves_out_a_list_is_said_and_polled() {
    let second = r#"{"stepsID":"2","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let server = serve(move |_, head, stream| async move {
        let bytes = if head.contains("/events") {
            format!("{SSE_HEAD}{}: keep-alive\n\n", event(1, &list("todo"))).into_bytes()
        } else if head.contains("stepsid=2") {
            json("200 OK", "", second)
        } else {
            json("200 OK", "", &list("todo"))
        };
        write_and_hold(stream, bytes).await;
    })
    .await;
    let options = LiveOptions {
        first_event_timeout: Duration::from_millis(300),
        ..quick()
    };
    let client = gateway(&server.url(), 64 * 1024);
    let mut updates = follow_with(client, vec!["1".into(), "2".into()], options);
    let mut seen = Vec::new();
    let error = loop {
        match next(&mut updates).await {
            Some(LiveUpdate::Error { error, retrying }) => {
                assert!(retrying, "{error:?}");
                break error;
            }
            Some(other) => seen.push(other),
            None => panic!("ended without the list left out said: {seen:?}"),
        }
    };
    assert!(
        matches!(&error, GatewayError::Live(LiveFault::LeftOut { missing, lists: 2 }) if missing == &["2".to_owned()]),
        "{error:?}"
    );
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains(
            "sent the current lists of 1 of its 2 stepsIDs at once, but not that of stepsID 2"
        ),
        "{words}"
    );
    // Then polled: the list left out comes.
    let mode = next(&mut updates).await;
    assert!(
        matches!(mode, Some(LiveUpdate::Mode(Mode::Polling { .. }))),
        "{mode:?}"
    );
    until(
        &mut updates,
        |u| matches!(u, LiveUpdate::List(l) if l.steps_id.as_deref() == Some("2")),
    )
    .await;
}

/// A stream that closes right after its lists, every time: after three in
/// a row it is said, and the list is polled, never reopened for ever with
/// a growing wait and "live" shown (stranger 67, BP4).
#[tokio::test]
async fn a_stream_that_keeps_closing_after_its_lists_is_said_and_polled() {
    let server = serve(|_, head, stream| async move {
        let bytes = if head.contains("/events") {
            format!("{SSE_HEAD}{}", event(1, &list("todo"))).into_bytes()
        } else {
            json("200 OK", "", &list("todo"))
        };
        write_and_close(stream, bytes).await;
    })
    .await;
    let options = LiveOptions {
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        stream_failures_before_polling: 3,
        ..quick()
    };
    let mut updates = follow(&server.url(), options);
    let error = until(&mut updates, |u| matches!(u, LiveUpdate::Error { .. })).await;
    let LiveUpdate::Error { error, retrying } = error else {
        unreachable!()
    };
    assert!(retrying);
    assert!(
        matches!(
            error,
            GatewayError::Live(LiveFault::ClosedSoon { times: 3 })
        ),
        "{error:?}"
    );
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains("closed soon after sending its lists, 3 times in a row"),
        "{words}"
    );
    let mode = next(&mut updates).await;
    assert!(
        matches!(mode, Some(LiveUpdate::Mode(Mode::Polling { .. }))),
        "{mode:?}"
    );
    let streams = server
        .heads()
        .iter()
        .filter(|h| h.contains("/events"))
        .count();
    assert_eq!(streams, 3, "{:?}", server.heads());
}

/// Among lists polled together, one whose answer is another service's JSON
/// is dropped with that error, said once, and asked no more; the others
/// are polled on (stranger 67, BP2).
#[tokio::test]
async fn a_list_answered_with_foreign_json_is_dropped_not_asked_for_ever() {
    let server = serve(|_, head, stream| async move {
        let bytes = if head.contains("/events") {
            json("404 Not Found", "", "")
        } else if head.contains("stepsid=2") {
            json("200 OK", "", r#"{"status":"UP","components":{}}"#)
        } else {
            json("200 OK", "", &list("todo"))
        };
        write_and_close(stream, bytes).await;
    })
    .await;
    let mut updates = follow_with(
        gateway(&server.url(), 64 * 1024),
        vec!["1".into(), "2".into()],
        quick(),
    );
    let dropped = until(&mut updates, |u| matches!(u, LiveUpdate::Dropped { .. })).await;
    assert!(
        matches!(&dropped, LiveUpdate::Dropped { steps_id, error: GatewayError::BadAnswer(_) } if steps_id == "2"),
        "{dropped:?}"
    );
    // Two more rounds of the other list.
    for _ in 0..2 {
        until(&mut updates, |u| {
            matches!(u, LiveUpdate::Unchanged { steps_id } if steps_id == "1")
                || matches!(u, LiveUpdate::List(_))
        })
        .await;
    }
    let asked = server
        .heads()
        .iter()
        .filter(|h| h.contains("/pims/subscription/steps?stepsid=2"))
        .count();
    assert_eq!(asked, 1, "{:?}", server.heads());
}

/// The events call alone refused for a scope the token lacks (403 with
/// `insufficient_scope`), while the lists pass: said once with the scope,
/// then polled; never polled in silence (stranger 63, BL7).
#[tokio::test]
async fn a_stream_refused_for_a_scope_says_the_scope_and_polls() {
    let server = serve(|_, head, stream| async move {
        let bytes = if head.contains("/events") {
            json(
                "403 Forbidden",
                "WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"steps:events\"\r\n",
                r#"{"message":"insufficient scope"}"#,
            )
        } else {
            json("200 OK", "", &list("todo"))
        };
        write_and_close(stream, bytes).await;
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    let said = until(&mut updates, |u| matches!(u, LiveUpdate::Error { .. })).await;
    let LiveUpdate::Error { error, retrying } = said else {
        unreachable!()
    };
    assert!(retrying);
    assert!(
        matches!(&error, GatewayError::Live(LiveFault::Refused(_))),
        "{error:?}"
    );
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains("refuses its live stream while it answers the lists")
            && words.contains("steps:events"),
        "{words}"
    );
    let mode = next(&mut updates).await;
    assert!(
        matches!(mode, Some(LiveUpdate::Mode(Mode::Polling { .. }))),
        "{mode:?}"
    );
}

/// The events call alone refused with a 401 while the lists pass without
/// a token: no sign-in changes it (`login` finds none needed), so none is
/// advised; the gateway's operator is (stranger 81, CD4).
#[tokio::test]
async fn a_stream_refused_with_401_alone_advises_no_sign_in() {
    let server = serve(|_, head, stream| async move {
        let bytes = if head.contains("/events") {
            json(
                "401 Unauthorized",
                "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n",
                r#"{"message":"stream needs token"}"#,
            )
        } else {
            json("200 OK", "", &list("todo"))
        };
        write_and_close(stream, bytes).await;
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    let said = until(&mut updates, |u| matches!(u, LiveUpdate::Error { .. })).await;
    let LiveUpdate::Error { error, .. } = said else {
        unreachable!()
    };
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains("refuses its live stream without a token (HTTP 401) while it answers the lists without one")
            && words.contains("tell the gateway's operator")
            && !words.contains("Sign in with"),
        "{words}"
    );
}

/// A follower on a stream whose first opening sends `first` (and no list
/// of the contract's) and whose next sends the list: the fault said for
/// the first, which is retried, and then the list comes.
async fn first_opening_fault(first: &'static str) -> GatewayError {
    let server = serve(move |n, _, stream| async move {
        let text = if n == 0 {
            format!("{SSE_HEAD}{first}")
        } else {
            format!("{SSE_HEAD}{}", event(2, &list("todo")))
        };
        write_and_hold(stream, text.into_bytes()).await;
    })
    .await;
    let options = LiveOptions {
        first_event_timeout: Duration::from_millis(200),
        ..quick()
    };
    let mut updates = follow(&server.url(), options);
    next(&mut updates).await;
    let error = match next(&mut updates).await {
        Some(LiveUpdate::Error {
            error,
            retrying: true,
        }) => error,
        other => panic!("expected the first opening's fault, got {other:?}"),
    };
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::List(_))
    ));
    error
}

/// A stream that opens and sends keep-alives only, never the current
/// lists it owes at once: taken as held back, said, and reopened (then
/// polled if it keeps doing so), never followed as "live" for ever.
#[tokio::test]
async fn a_stream_of_keep_alives_only_is_not_followed_for_ever() {
    let error = first_opening_fault(": keep-alive\n\n").await;
    assert!(
        matches!(error, GatewayError::Live(LiveFault::NoFirstEvent { .. })),
        "{error:?}"
    );
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains("opened but sent no list within 0.2 s"),
        "{words}"
    );
    // No proxy is in use here: never "a proxy may be holding it back"
    // (stranger 69, BR6).
    assert!(
        words.contains("no proxy is in use here") && !words.contains("a proxy may be"),
        "{words}"
    );
}

/// A stream that sends its lists at once, as events of another type than
/// `steps` (`update`): said as such, with the type, never as a stream held
/// back by a proxy ("keep-alives at most").
#[tokio::test]
async fn a_stream_of_other_event_types_is_said_as_such() {
    let first = "id: 1\nevent: update\ndata: {\"stepsID\":\"1\",\"deviceActivation\":{\"name\":\"deviceActivation\",\"status\":\"todo\",\"order\":1}}\n\n";
    let error = first_opening_fault(first).await;
    assert!(
        matches!(error, GatewayError::Live(LiveFault::OtherEvents { .. })),
        "{error:?}"
    );
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains("sent events of type “update”, and none of type steps within 0.2 s")
            && words.contains("`event: steps`")
            && !words.contains("proxy"),
        "{words}"
    );
}

/// Heartbeat events of another type (`ping`, no list in their data) are
/// not said as lists under another type: the stream sent no list; and
/// where a list-carrying event of another type follows a heartbeat, that
/// one's type is named.
#[tokio::test]
async fn a_stream_of_heartbeats_only_sent_no_list() {
    let error = first_opening_fault("event: ping\ndata: {}\n\n").await;
    assert!(
        matches!(
            error,
            GatewayError::Live(LiveFault::OtherEvents { lists: false, .. })
        ),
        "{error:?}"
    );
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains("sent only events of type “ping”, with no list in them"),
        "{words}"
    );
    let first = "event: ping\ndata: {}\n\nevent: update\ndata: {\"stepsID\":\"1\",\"deviceActivation\":{\"name\":\"deviceActivation\",\"status\":\"todo\",\"order\":1}}\n\n";
    let error = first_opening_fault(first).await;
    let words = describe::gateway_error(Lang::En, &error);
    assert!(words.contains("sent events of type “update”"), "{words}");
}

/// A 429 to the event stream holds the stream back as it holds every
/// request: the follower waits the `Retry-After` asked (the screen told of
/// it, as for a poll's 429) before it opens the stream again, never within
/// its own quick back-off, however long the wait asked.
#[tokio::test]
async fn a_429_to_the_stream_pauses_it_for_the_wait_asked() {
    let opened = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&opened);
    let server = serve(move |n, _, stream| {
        seen.lock().unwrap().push(std::time::Instant::now());
        async move {
            if n == 0 {
                let body = r#"{"message":"stream quota exhausted"}"#;
                write_and_close(
                    stream,
                    json("429 Too Many Requests", "Retry-After: 1\r\n", body),
                )
                .await;
            } else {
                let text = format!("{SSE_HEAD}{}", event(1, &list("todo")));
                write_and_hold(stream, text.into_bytes()).await;
            }
        }
    })
    .await;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let told = Arc::clone(&asked);
    let options = ClientOptions {
        on_pause: Some(stepwise::client::OnWait(Arc::new(move |wait| {
            told.lock().unwrap().push(wait);
        }))),
        ..ClientOptions::default()
    };
    let gateway = Gateway::new(&server.url(), "dev".into(), None, options).unwrap();
    // Asked for longer than the follower's own retries honour (as 4000 s
    // is past its 300 s): the gateway's pause still holds it back.
    let options = LiveOptions {
        max_retry_after: Duration::from_millis(500),
        ..quick()
    };
    let mut updates = follow_with(gateway, vec!["1".into()], options);
    match until(&mut updates, is_error).await {
        LiveUpdate::Error {
            error,
            retrying: true,
        } => {
            assert_eq!(
                error.rejection(),
                Some(stepwise::client::Rejection::TooManyRequests)
            );
        }
        other => panic!("expected the 429 said, got {other:?}"),
    }
    assert_eq!(*asked.lock().unwrap(), vec![Duration::from_secs(1)]);
    until(&mut updates, |u| matches!(u, LiveUpdate::List(_))).await;
    let opened = opened.lock().unwrap().clone();
    assert!(
        opened.len() == 2 && opened[1] - opened[0] >= Duration::from_secs(1),
        "the stream waited the second asked: {:?}",
        opened.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
    );
}

// ------------------------------------------------------------------ proxy

/// A TCP proxy to `upstream` that closes a connection once the upstream side
/// has sent nothing for `idle`, as many proxies and load balancers do. It
/// keeps each request head and counts the bytes it passed downstream.
struct Proxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    passed: watch::Receiver<usize>,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn proxy(upstream: SocketAddr, idle: Duration) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (passed_tx, passed) = watch::channel(0usize);
    let passed_tx = Arc::new(passed_tx);
    let seen = Arc::clone(&heads);
    let task = tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (seen, passed_tx) = (Arc::clone(&seen), Arc::clone(&passed_tx));
            tokio::spawn(async move {
                let Some(head) = read_head(&mut client).await else {
                    return;
                };
                seen.lock().unwrap().push(head.to_ascii_lowercase());
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                if server.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match tokio::time::timeout(idle, server.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => {
                            if client.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                            passed_tx.send_modify(|total| *total += n);
                        }
                        _ => return, // idle too long, or upstream closed
                    }
                }
            });
        }
    });
    Proxy {
        addr,
        heads,
        passed,
        task,
    }
}

async fn steps_id(url: &str) -> String {
    let body: serde_json::Value = crate::http()
        .get(format!(
            "{url}/pims/subscription/steps?carAssociationID=987654"
        ))
        .header("X-Device-Id", "dev")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["stepsID"].to_string()
}

#[tokio::test]
async fn a_proxy_closing_idle_streams_makes_the_follower_reconnect_quietly() {
    // Keep-alives every 5 s, a proxy that closes after 300 ms of silence.
    let sim = sim(Duration::from_secs(5), None).await;
    let id = steps_id(&sim.url()).await;
    let proxy = proxy(sim.addr, Duration::from_millis(300)).await;
    let url = format!("http://{}", proxy.addr);
    let gateway = Gateway::new(&url, "dev".into(), None, ClientOptions::default()).unwrap();
    let mut updates = follow_with(gateway, vec![id], quick());
    assert_eq!(next(&mut updates).await, Some(LiveUpdate::Mode(Mode::Live)));
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::List(_))
    ));
    // Each reconnect gets the current list at once; wait for one.
    let again = next(&mut updates).await.unwrap();
    assert!(
        matches!(again, LiveUpdate::List(_)),
        "a quiet reconnect, got {again:?}"
    );
    let heads = proxy.heads.lock().unwrap().clone();
    assert!(heads.len() >= 2);
    assert!(heads[1].contains("last-event-id: "), "{}", heads[1]);
    // And a change still reaches the follower.
    let done = crate::http()
        .post(format!(
            "{}/sim/associations/987654/steps/deviceActivation/complete",
            sim.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let changed = until(&mut updates, |u| {
        assert!(!is_error(u), "no error for a routine reconnect: {u:?}");
        status_in(u, "deviceActivation").as_deref() == Some("alreadyDone")
    })
    .await;
    assert!(matches!(changed, LiveUpdate::List(_)));
}

#[tokio::test]
async fn keep_alives_shorter_than_the_proxy_timeout_keep_one_connection() {
    let sim = sim(Duration::from_millis(100), None).await;
    let id = steps_id(&sim.url()).await;
    let mut proxy = proxy(sim.addr, Duration::from_millis(300)).await;
    let url = format!("http://{}", proxy.addr);
    let gateway = Gateway::new(&url, "dev".into(), None, ClientOptions::default()).unwrap();
    let mut updates = follow_with(gateway, vec![id], quick());
    next(&mut updates).await;
    next(&mut updates).await;
    let after_first = *proxy.passed.borrow();
    let keep_alive = ": keep-alive\n\n".len();
    // Ten keep-alives pass: a full second, three times the proxy's timeout.
    tokio::time::timeout(
        LIMIT,
        proxy
            .passed
            .wait_for(|n| *n >= after_first + 10 * keep_alive),
    )
    .await
    .expect("keep-alives within the limit")
    .unwrap();
    assert_eq!(
        proxy.heads.lock().unwrap().len(),
        1,
        "one connection all along"
    );
}

/// A gateway that asks for a long wait between polls: the wait now in force
/// (capped at an hour) is said before it is waited, so the screen never
/// shows the old interval while nothing is asked for an hour.
#[tokio::test]
async fn a_long_poll_interval_is_said_before_it_is_waited() {
    let server = serve(|_, head, stream| async move {
        let bytes = if head.contains("/events") {
            json("404 Not Found", "", r#"{"message":"no such path"}"#)
        } else {
            json("200 OK", "X-Poll-Interval: 86400\r\n", &list("todo"))
        };
        write_and_close(stream, bytes).await;
    })
    .await;
    let mut updates = follow(&server.url(), quick());
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::Mode(Mode::Polling { .. }))
    ));
    assert!(matches!(
        next(&mut updates).await,
        Some(LiveUpdate::List(_))
    ));
    assert_eq!(
        next(&mut updates).await,
        Some(LiveUpdate::Mode(Mode::Polling {
            every: Duration::from_secs(3600)
        })),
    );
}

/// A 400, 401 or 403 to the events call alone (the gateway's words: live
/// events are not for this client), and an event stream that comes compressed though
/// none was asked for: the follower polls the list by its stepsID, which
/// the gateway answers; it does not end as if the stepsID were refused.
/// Every call asks for answers as they are (`Accept-Encoding: identity`).
#[tokio::test]
async fn a_refused_or_compressed_event_stream_is_polled_instead() {
    for events in [
        // A gateway without the call that refuses what it does not know.
        json("400 Bad Request", "", r#"{"message":"bad request"}"#),
        json(
            "401 Unauthorized",
            "",
            r#"{"message":"stream token expired"}"#,
        ),
        json(
            "403 Forbidden",
            "",
            r#"{"message":"events not allowed for this client"}"#,
        ),
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n{}",
            event(1, &list("todo"))
        )
        .into_bytes(),
    ] {
        let server = serve(move |_, head, stream| {
            let bytes = if head.contains("/events") {
                events.clone()
            } else {
                json("200 OK", "", &list("todo"))
            };
            write_and_close(stream, bytes)
        })
        .await;
        let mut updates = follow(&server.url(), quick());
        let mut polled = false;
        while let Some(update) = next(&mut updates).await {
            // A 401 or 403 is said once, as the stream's alone (stranger
            // 63, BL7), and a compressed stream as that (stranger 89,
            // CL4); nothing else is an error.
            let refused = matches!(
                update,
                LiveUpdate::Error {
                    error: GatewayError::Live(LiveFault::Refused(_) | LiveFault::Compressed { .. }),
                    retrying: true
                }
            );
            assert!(!is_error(&update) || refused, "{update:?}");
            if matches!(update, LiveUpdate::List(_)) {
                polled = true;
                break;
            }
        }
        assert!(polled, "the list was polled");
        let heads = server.heads();
        assert!(heads[1].contains("/pims/subscription/steps?stepsid=1"), "{heads:?}");
        assert!(
            heads.iter().all(|h| h.contains("accept-encoding: identity\r\n")),
            "{heads:?}"
        );
    }
}
