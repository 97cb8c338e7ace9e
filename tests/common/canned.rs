//! Loopback servers written in a few lines for the end-to-end tests: one
//! that answers every request with the same bytes, one that holds its
//! event stream silent, one that greets each
//! connection with the same bytes and then waits (as an SSH server does),
//! one that answers some requests and holds the others, and one that takes
//! connections and never answers. Each runs on a thread of its own until the
//! test binary ends.

use std::io::{Read, Write};
use std::net::TcpListener;

/// A server that reads each request's head and answers it with `response`
/// (a whole HTTP answer, head and body), closing the connection. Its base
/// URL.
pub fn answering(response: Vec<u8>) -> String {
    routing(Vec::new(), response)
}

/// The head of the request on `stream` (request line and headers), read
/// byte by byte up to its blank line.
fn read_head(stream: &mut std::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A server that answers the events call with `events` and then holds
/// that connection open, saying no more (as a proxy that buffers a stream
/// does), and every other request with `response`. Its base URL.
pub fn holding_events(response: Vec<u8>, events: Vec<u8>) -> String {
    events_server(response, events, true)
}

/// As [`holding_events`], but the events connection is closed right after
/// `events` (a gateway that cuts its stream). Its base URL.
pub fn cutting_events(response: Vec<u8>, events: Vec<u8>) -> String {
    events_server(response, events, false)
}

fn events_server(response: Vec<u8>, events: Vec<u8>, hold: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            if read_head(&mut stream).contains("/events?") {
                let _ = stream.write_all(&events);
                if hold {
                    held.push(stream);
                }
            } else {
                let _ = stream.write_all(&response);
            }
        }
    });
    url
}

/// A server that answers each request with the answer of the first route
/// whose text is in its head (request line and headers), else with
/// `fallback`, and closes. Its base URL.
pub fn routing(routes: Vec<(&'static str, Vec<u8>)>, fallback: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let head = read_head(&mut stream);
            let answer = routes
                .iter()
                .find(|(needle, _)| head.contains(needle))
                .map_or(&fallback, |(_, answer)| answer);
            let _ = stream.write_all(answer);
        }
    });
    url
}

/// A server that answers each request whose head holds the text of a
/// route with that route's answer, and holds every other connection open
/// without a word (a gateway hung for some requests). Its base URL.
pub fn answering_some(routes: Vec<(&'static str, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let head = read_head(&mut stream);
            match routes.iter().find(|(needle, _)| head.contains(needle)) {
                Some((_, answer)) => {
                    let _ = stream.write_all(answer);
                }
                None => held.push(stream),
            }
        }
    });
    url
}

/// A server that sends `greeting` as each connection opens, before any
/// request, then keeps the connection open and says no more (as an SSH
/// server does with its banner). Its base URL.
pub fn greeting(greeting: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(&greeting);
            held.push(stream);
        }
    });
    url
}

/// A server that takes every connection and never answers. Its base URL.
pub fn silent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    url
}

/// A whole HTTP answer (head and body) with `status` ("404 Not Found"),
/// `content_type` and `body`, closing the connection: what the servers
/// above send.
pub fn reply(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A gateway whose every call is redirected (301, within its address) to
/// `/v2/pims/subscription/steps`, where a web server's 404 page answers.
/// Its base URL.
pub fn redirecting_to_nothing() -> String {
    let page = "<html><head><title>404 Not Found</title></head><body>nginx</body></html>";
    routing(
        vec![("GET /v2/", reply("404 Not Found", "text/html", page))],
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: /v2/pims/subscription/steps\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    )
}
