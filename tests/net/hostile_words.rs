//! Who refused, in words: a firewall's 403, a proxy that is down, a proxy
//! that will not open a tunnel, a 5xx that came through a proxy, and the
//! wait an answer's `Retry-After` asks for. Each against a small server of
//! raw HTTP/1.1 bytes on loopback.

use std::time::Duration;

use stepwise::client::{
    ClientOptions, Gateway, GatewayError, ListRequest, Lookup, Recovery, Rejection,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A loopback server that gives every request the same bytes and closes.
struct Canned {
    url: String,
    task: JoinHandle<()>,
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn canned(status: &str, headers: &[&str], body: &str) -> Canned {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    raw(text.into_bytes()).await
}

/// A server that answers every request with `bytes` and closes.
async fn raw(bytes: Vec<u8>) -> Canned {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let bytes = bytes.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Canned { url, task }
}

/// One attempt, short limits: the words of the first answer are the test.
fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        retries: 0,
        ..Default::default()
    }
}

async fn list(gateway: &str, proxy: Option<&str>) -> GatewayError {
    let mut options = options();
    if let Some(proxy) = proxy {
        options.net.proxy = stepwise::net::ProxyEnv::with_proxy(proxy, None);
    }
    list_with(gateway, options).await
}

/// One list call to `gateway` (through `proxy`, if any) carrying `token`
/// from --token-file, which must fail.
async fn list_with_token(gateway: &str, proxy: Option<&str>, token: &str) -> GatewayError {
    let mut options = options();
    if let Some(proxy) = proxy {
        options.net.proxy = stepwise::net::ProxyEnv::with_proxy(proxy, None);
    }
    let client = Gateway::new(
        gateway,
        "words-test-device".into(),
        Some(stepwise::secret::Secret::new(token)),
        options,
    )
    .expect("client")
    .with_token_from(Some(stepwise::config::TokenFrom::TokenFile));
    let request = ListRequest::new(Lookup::Car("987654".into()));
    client.list(&request).await.expect_err("the call fails")
}

/// One list call to `gateway` with `options`, which must fail.
async fn list_with(gateway: &str, options: ClientOptions) -> GatewayError {
    let client = Gateway::new(gateway, "words-test-device".into(), None, options).expect("client");
    let request = ListRequest::new(Lookup::Car("987654".into()));
    tokio::time::timeout(Duration::from_secs(60), client.list(&request))
        .await
        .expect("the call ends by itself")
        .expect_err("the call fails")
}

fn words(error: &GatewayError) -> String {
    stepwise::describe::gateway_error(stepwise::text::Lang::En, error)
}

#[tokio::test]
async fn a_403_page_without_the_contract_body_is_refused_in_front_of_the_gateway() {
    let page = "<html><head><title>403 Forbidden</title></head><body>WAF</body></html>";
    let waf = canned("403 Forbidden", &["Content-Type: text/html"], page).await;
    let error = list(&waf.url, None).await;
    assert!(
        matches!(error, GatewayError::Refused { status: 403, .. }),
        "{error:?}"
    );
    assert!(
        !error.is_wrong_device(),
        "no start over by carAssociationID"
    );
    let line = words(&error);
    assert!(line.contains("answered HTTP 403 (403 Forbidden)"), "{line}");
    assert!(
        line.contains("refused by something in front of the gateway"),
        "{line}"
    );
    // No token went with it: its rights are not why. Where other vehicles
    // are answered without one, a token is not what is missing either
    // (stranger 59, BH2).
    // The case that needs no token last: a banner cut short keeps the
    // last sentence, which must not send a technician for a token that is
    // not missing (stranger 81, CD3).
    assert!(
        line.contains("No token was sent. Where no vehicle gets its list from this gateway without one, the gateway may want one")
            && line.ends_with("Where other vehicles get their lists from this gateway without a token, no token is missing: ask who runs the network or the gateway why this vehicle's call is blocked"),
        "{line}"
    );
    // How to give one works whether or not the gateway offers a sign-in.
    assert!(
        line.contains(
            "`stepwise login`, or `stepwise login --with-token` where the gateway offers no sign-in"
        ),
        "{line}"
    );
    assert!(!line.contains("Check the token and its rights"), "{line}");
    assert!(!line.contains("another device"), "{line}");
    assert!(!line.contains("carAssociationID"), "{line}");
    let headline = stepwise::describe::gateway_headline(stepwise::text::Lang::En, &error);
    assert_eq!(headline, "Access refused");
    // The gateway's own 403, with its error body, still means a stepsID
    // of another device on a call by stepsID.
    let body = r#"{"message":"this stepsID belongs to another device"}"#;
    let gateway = canned("403 Forbidden", &["Content-Type: application/json"], body).await;
    let client = Gateway::new(&gateway.url, "words-test-device".into(), None, options()).unwrap();
    let by_id = ListRequest::new(Lookup::StepsId("5".into()));
    let error = client.list(&by_id).await.expect_err("refused");
    assert!(error.is_wrong_device(), "{error:?}");
    assert!(words(&error).contains("Start again with the carAssociationID"));
}

/// The gateway's own 403 on a call by carAssociationID (no stepsID was
/// sent) is its refusal in its words, never "this stepsID belongs to
/// another device" with the advice to ask by carAssociationID, which is
/// what failed; a 409 on a list is no "earlier step not done" (that is the
/// simulator's control calls'), and a 400 in the gateway's words does not
/// blame the id typed.
#[tokio::test]
async fn a_gateway_s_own_refusal_of_a_call_by_car_is_named_in_its_words() {
    let json = ["Content-Type: application/json"];
    let body = r#"{"code":2323,"message":"user is not the owner of this vehicle"}"#;
    let gateway = canned("403 Forbidden", &json, body).await;
    let error = list(&gateway.url, None).await;
    assert!(!error.is_wrong_device(), "{error:?}");
    let line = words(&error);
    assert!(
        line.contains(
            "the gateway refuses this request (user is not the owner of this vehicle, code 2323)"
        ),
        "{line}"
    );
    assert!(
        !line.contains("another device") && !line.contains("Start again"),
        "{line}"
    );
    let de = stepwise::describe::gateway_error(stepwise::text::Lang::De, &error);
    assert!(de.contains("Code 2323") && !de.contains(", code "), "{de}");

    let conflict = canned("409 Conflict", &json, r#"{"message":"conflict"}"#).await;
    let line = words(&list(&conflict.url, None).await);
    assert!(!line.contains("earlier step"), "{line}");
    assert!(line.contains("Its words say why"), "{line}");

    let header = r#"{"message":"the X-Device-Id header is missing"}"#;
    let bad = canned("400 Bad Request", &json, header).await;
    let line = words(&list(&bad.url, None).await);
    assert!(!line.contains("Check the id you typed"), "{line}");
    assert!(line.contains("a proxy"), "{line}");
}

/// A host name that does not resolve (`.invalid` never does) is named as a
/// name this machine's DNS does not know, not "check that it runs".
#[tokio::test]
async fn a_name_that_does_not_resolve_is_named_as_dns() {
    let error = list("http://gateway.invalid:8080", None).await;
    assert!(
        matches!(&error, GatewayError::Unreachable { detail, .. } if detail.starts_with("dns error")),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.contains("the name gateway.invalid is not known to this machine's DNS"),
        "{line}"
    );
    assert!(!line.contains("Check that it runs"), "{line}");
}

#[tokio::test]
async fn a_proxy_where_nothing_listens_is_named_with_its_variable_not_the_gateway() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let proxy = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    for gateway in ["http://gateway.invalid:8080", "https://gateway.invalid"] {
        let error = list(gateway, Some(&proxy)).await;
        assert!(
            matches!(error, GatewayError::ProxyUnreachable { .. }),
            "{gateway}: {error:?}"
        );
        let line = words(&error);
        assert!(
            line.starts_with(&format!(
                "cannot connect to the proxy {proxy} (from ALL_PROXY): "
            )),
            "{line}"
        );
        assert!(line.contains("Check the proxy variable"), "{line}");
        assert!(line.contains("NO_PROXY=gateway.invalid"), "{line}");
        assert!(!line.contains("--api"), "{line}");
        assert!(!line.contains("cannot reach the gateway"), "{line}");
    }
}

/// A proxy that takes connections and never answers opens no tunnel to an
/// https:// gateway: not "cannot connect to the proxy" (it took the
/// connection). (An http:// gateway's request through such a proxy is in
/// a_404_page_or_a_silence_through_a_proxy_names_the_proxy.)
#[tokio::test]
async fn a_proxy_that_takes_connections_and_never_answers_is_named() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let silent = |gateway: &'static str| {
        let proxy = proxy.clone();
        async move {
            let mut options = options();
            options.connect_timeout = Duration::from_millis(300);
            options.timeout = Duration::from_millis(600);
            options.net.proxy = stepwise::net::ProxyEnv::with_proxy(&proxy, None);
            let client =
                Gateway::new(gateway, "words-test-device".into(), None, options).expect("client");
            let request = ListRequest::new(Lookup::Car("987654".into()));
            tokio::time::timeout(Duration::from_secs(60), client.list(&request))
                .await
                .expect("the call ends by itself")
                .expect_err("the call fails")
        }
    };
    let error = silent("https://gateway.invalid").await;
    let line = words(&error);
    assert!(
        line.starts_with(&format!(
            "the proxy {proxy} (from ALL_PROXY) opened no way to gateway.invalid within 0.3 s"
        )),
        "{line}"
    );
    assert!(line.contains("took one and never answered"), "{line}");
    assert!(!line.contains("cannot connect"), "{line}");
}

#[tokio::test]
async fn an_https_tunnel_refused_by_the_proxy_gets_the_proxy_words() {
    // CONNECT answered 407: the same words as a plain-http 407.
    let wants_password = canned(
        "407 Proxy Authentication Required",
        &["Proxy-Authenticate: Basic realm=\"shop\""],
        "",
    )
    .await;
    let error = list("https://gateway.invalid", Some(&wants_password.url)).await;
    assert!(
        matches!(error, GatewayError::Proxy { status: 407, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.starts_with(&format!(
            "the proxy {} (from ALL_PROXY) answered HTTP 407 itself",
            wants_password.url
        )),
        "{line}"
    );
    assert!(line.contains("wants a user name and password"), "{line}");
    assert!(line.contains("http://user:password@proxy:port"), "{line}");
    assert!(!line.contains("tunnel error"), "{line}");
    assert!(!line.contains("--api"), "{line}");
    // CONNECT answered 501 or 405: what the variable names does no
    // tunnels at all (a web server); named so, with the variable to check.
    let web_server = canned("501 Not Implemented", &[], "").await;
    let error = list("https://gateway.invalid", Some(&web_server.url)).await;
    assert!(
        matches!(error, GatewayError::ProxyNoTunnel { status: 501, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.starts_with(&format!(
            "what ALL_PROXY names, {}, answered HTTP 501 to CONNECT: it opens no tunnels at all",
            web_server.url
        )),
        "{line}"
    );
    assert!(!line.contains("gateway runs"), "{line}");
    // CONNECT answered 403: the proxy's own refusal, said with its status
    // (its rule, which waiting does not change; stranger 47, AV2).
    let no_tunnels = canned("403 Forbidden", &[], "").await;
    let error = list("https://gateway.invalid", Some(&no_tunnels.url)).await;
    assert!(
        matches!(error, GatewayError::Proxy { status: 403, .. }),
        "{error:?}"
    );
    assert_eq!(error.recovery(), stepwise::client::Recovery::Stop);
    let line = words(&error);
    assert!(
        line.starts_with(&format!(
            "the proxy {} (from ALL_PROXY) answered HTTP 403 itself",
            no_tunnels.url
        )),
        "{line}"
    );
    assert!(!line.contains("unsuccessful"), "{line}");
    assert!(!line.contains("Check that it runs"), "{line}");
}

#[tokio::test]
async fn a_5xx_through_a_proxy_names_the_proxy() {
    let page = "<html><head><title>502 Bad Gateway</title></head></html>";
    let proxy = canned("502 Bad Gateway", &["Content-Type: text/html"], page).await;
    let line = words(&list("http://gateway.invalid:8080", Some(&proxy.url)).await);
    assert!(
        line.starts_with(&format!(
            "HTTP 502 (through the proxy {}): the proxy answered with its own error page",
            proxy.url
        )),
        "{line}"
    );
    // The page is the proxy's own: the advice says to ask who runs it, not
    // only the gateway's operator, and never that the gateway failed.
    assert!(
        line.contains("the proxy fails this one: ask who runs it"),
        "{line}"
    );
    assert!(!line.contains("the gateway failed"), "{line}");
    // Without a proxy, none is named.
    let line = words(&list(&proxy.url, None).await);
    assert!(line.starts_with("HTTP 502: the gateway failed"), "{line}");
    assert!(!line.contains("proxy"), "{line}");
}

/// A proxy's own 5xx (squid's, with its error name) to one request: it
/// did not pass the request on; whether the gateway is down is what the
/// other requests through it say, never "check that the gateway runs" as
/// the one cause (stranger 61, BJ4).
#[tokio::test]
async fn a_proxy_s_own_5xx_does_not_say_the_gateway_is_down() {
    let page = "<html><head><title>ERROR</title></head></html>";
    let proxy = canned(
        "504 Gateway Timeout",
        &[
            "Content-Type: text/html",
            "X-Squid-Error: ERR_READ_TIMEOUT 0",
        ],
        page,
    )
    .await;
    let line = words(&list("http://gateway.invalid:8080", Some(&proxy.url)).await);
    assert!(
        line.contains(
            "The proxy did not pass this request on. If nothing gets through it to this --api, \
             check that the gateway runs"
        ) && line.contains("the proxy fails this one: ask who runs it"),
        "{line}"
    );
    assert!(!line.contains("could not reach the gateway"), "{line}");
}

/// A gateway on this machine that fails itself (a 503 with its wait),
/// its answer passed on by the proxy: asked directly it answers the same,
/// so it is the gateway's failure with the wait it asks, never "the
/// request never reached the gateway … set NO_PROXY" (stranger 43, AR6).
#[tokio::test]
async fn a_gateway_s_own_failure_passed_on_by_a_proxy_stays_the_gateway_s() {
    let page = "<html><head><title>503 Service Unavailable</title></head></html>";
    let headers = ["Content-Type: text/html", "Retry-After: 30"];
    let gateway = canned("503 Service Unavailable", &headers, page).await;
    let proxy = canned("503 Service Unavailable", &headers, page).await;
    let error = list(&gateway.url, Some(&proxy.url)).await;
    assert!(
        matches!(
            &error,
            GatewayError::Rejected {
                status: 503,
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    let line = words(&error);
    assert!(line.contains("the gateway failed"), "{line}");
    assert!(
        !line.contains("NO_PROXY") && !line.contains("never reached"),
        "{line}"
    );
}

/// A proxy's own 500 or 501 page (Python's "Unsupported method or
/// scheme") for a gateway on this machine that answers directly: the
/// proxy's, with NO_PROXY for that host, never "the gateway failed … tell
/// its operator" (stranger 60, BI9).
#[tokio::test]
async fn a_proxy_s_own_501_page_for_a_gateway_here_says_no_proxy() {
    let listed = r#"{"stepsID":"132324","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#;
    let gateway = canned("200 OK", &["Content-Type: application/json"], listed).await;
    for status in [
        "501 Unsupported method ('GET')",
        "500 Internal Server Error",
    ] {
        let page = "<html><head><title>Error response</title></head><body>Message: Unsupported method or scheme.</body></html>";
        let proxy = canned(status, &["Content-Type: text/html"], page).await;
        let error = list(&gateway.url, Some(&proxy.url)).await;
        assert!(
            matches!(error, GatewayError::ProxyLoopback { .. }),
            "{status}: {error:?}"
        );
        let line = words(&error);
        assert!(line.contains("set NO_PROXY=127.0.0.1"), "{line}");
        assert!(!line.contains("the gateway failed"), "{line}");
    }
}

/// A gateway on this machine sent to a proxy by a proxy variable: the
/// proxy's own error page is the proxy not reaching this machine, said
/// with NO_PROXY for that host, never "check that the gateway runs" —
/// unless nothing listens at the gateway's port (tried directly): then the
/// gateway does not run, and NO_PROXY would change nothing.
#[tokio::test]
async fn a_proxy_error_page_for_a_gateway_on_this_machine_says_no_proxy() {
    let page = "<html><head><title>502 Bad Gateway</title></head></html>";
    let proxy = canned("502 Bad Gateway", &["Content-Type: text/html"], page).await;
    // Something listens at the gateway's port: the proxy cannot reach it.
    let running = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = running.local_addr().expect("addr").port();
    let running_v6 = TcpListener::bind("[::1]:0").await.ok();
    let mut gateways = vec![
        (format!("http://127.0.0.1:{port}"), "127.0.0.1"),
        (format!("http://localhost:{port}"), "localhost"),
    ];
    if let Some(v6) = &running_v6 {
        let port = v6.local_addr().expect("addr").port();
        gateways.push((format!("http://[::1]:{port}"), "[::1]"));
    }
    for (gateway, host) in gateways {
        let error = list(&gateway, Some(&proxy.url)).await;
        assert!(
            matches!(
                error,
                GatewayError::ProxyLoopback {
                    status: Some(502),
                    down: None,
                    ..
                }
            ),
            "{error:?}"
        );
        let line = words(&error);
        assert!(
            line.contains(&format!("the gateway is on this machine ({host})"))
                && line.contains(&format!(
                    "ALL_PROXY sends its requests to the proxy {}",
                    proxy.url
                ))
                && line.contains(&format!("set NO_PROXY={host}")),
            "{line}"
        );
        assert!(!line.contains("check that the gateway runs"), "{line}");
    }
    // https: the tunnel the proxy did not open (its 502 to CONNECT).
    let error = list(&format!("https://127.0.0.1:{port}"), Some(&proxy.url)).await;
    assert!(
        matches!(error, GatewayError::ProxyLoopback { status: None, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.contains("the gateway is on this machine (127.0.0.1)")
            && line.contains("did not open a tunnel")
            && line.contains("set NO_PROXY=127.0.0.1"),
        "{line}"
    );
    // Nothing listens at the gateway's port: the gateway does not run.
    let free = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let gone = free.local_addr().expect("addr").port();
    drop(free);
    for gateway in [
        format!("http://127.0.0.1:{gone}"),
        format!("https://127.0.0.1:{gone}"),
    ] {
        let line = words(&list(&gateway, Some(&proxy.url)).await);
        assert!(
            line.starts_with(&format!(
                "nothing listens at 127.0.0.1:{gone}, the gateway's address on this machine (tried directly)"
            )) && line.contains("Check that the gateway runs"),
            "{line}"
        );
        assert!(!line.contains("NO_PROXY"), "{line}");
    }
    // A gateway elsewhere: the proxy could not reach it, as before.
    let line = words(&list("http://gateway.invalid:8080", Some(&proxy.url)).await);
    assert!(!line.contains("on this machine"), "{line}");
}

#[tokio::test]
async fn the_advice_after_a_429_or_a_503_waits_what_retry_after_says() {
    let busy = canned("503 Service Unavailable", &["Retry-After: 120"], "").await;
    let line = words(&list(&busy.url, None).await);
    assert!(line.contains("Retry in 120 s"), "{line}");
    assert!(!line.contains("in a minute"), "{line}");
    // A wait of years is the gateway's clock or setting, not advice.
    let wrong = canned(
        "503 Service Unavailable",
        &["Retry-After: Thu, 01 Jan 2099 00:00:00 GMT"],
        "",
    )
    .await;
    let line = words(&list(&wrong.url, None).await);
    assert!(line.contains("which no restart needs"), "{line}");
    assert!(!line.contains("Retry in 2"), "{line}");
    let limited = canned("429 Too Many Requests", &["Retry-After: 5"], "").await;
    // The pause a 429 sets is told (the wizard's screen says it), even when
    // the call is not tried again.
    let paused = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let told = std::sync::Arc::clone(&paused);
    let options = ClientOptions {
        retries: 0,
        on_pause: Some(stepwise::client::OnWait(std::sync::Arc::new(move |wait| {
            told.lock().unwrap().push(wait);
        }))),
        ..options()
    };
    let line = words(&list_with(&limited.url, options).await);
    assert_eq!(*paused.lock().unwrap(), [Duration::from_secs(5)]);
    assert!(line.contains("Wait 5 s"), "{line}");
    assert!(!line.contains("a minute"), "{line}");
    // Retry-After as an HTTP date: the time left until it.
    let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
    let header = format!("Retry-After: {at}");
    let dated = canned("503 Service Unavailable", &[&header], "").await;
    let line = words(&list(&dated.url, None).await);
    let secs: u64 = line
        .split("Retry in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no wait in: {line}"));
    assert!((100..=120).contains(&secs), "{line}");
    // A date that has passed, and the gateway still limits: the wait it
    // named is over, which the words say (not "a minute" as if unasked).
    let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(60));
    let header = format!("Retry-After: {past}");
    let stale = canned("429 Too Many Requests", &[&header], "").await;
    let line = words(&list(&stale.url, None).await);
    assert!(
        line.contains("It still limits after the wait its Retry-After asked (stepwise waited it and asked again)"),
        "{line}"
    );
    // A gateway that asks 1 s every time: waited and asked again, it still
    // limits; its last answer's wait is not said to have "passed".
    let every = canned("429 Too Many Requests", &["Retry-After: 1"], "").await;
    let retried = ClientOptions {
        retries: 1,
        ..self::options()
    };
    let line = words(&list_with(&every.url, retried).await);
    assert!(
        line.contains("It still limits after the wait its Retry-After asked")
            && !line.contains("passed"),
        "{line}"
    );
    // Without the header, the general advice stays.
    let plain = canned("503 Service Unavailable", &[], "").await;
    let line = words(&list(&plain.url, None).await);
    assert!(line.contains("Retry in a minute"), "{line}");
}

/// A 401 page with no challenge at all that came through a proxy (its
/// portal's login) is the proxy's, as its 403 page would be: never "the
/// gateway wants a token", which no token gets past.
#[tokio::test]
async fn an_unchallenged_401_page_through_a_proxy_names_the_proxy() {
    let page = "<html><h1>401 Unauthorized</h1>Proxy portal: please log in</html>";
    let proxy = canned("401 Unauthorized", &["Content-Type: text/html"], page).await;
    let line = words(&list("http://gateway.invalid:8080", Some(&proxy.url)).await);
    assert!(line.contains(&proxy.url), "{line}");
    assert!(!line.contains("the gateway wants a token"), "{line}");
    // It names no way to send a password: a portal's sign-in in a
    // browser, never "put them in the proxy variable".
    assert!(
        line.contains("Sign in to it in a browser on this machine")
            && !line.contains("http://user:password@proxy:port"),
        "{line}"
    );
    // The page may be one it relays from in front of the gateway: never
    // "the request never reached the gateway" (stranger 82, CE2).
    assert!(
        line.contains("the proxy, a portal in front of it, or something in front of the gateway")
            && !line.contains("never reached the gateway"),
        "{line}"
    );
}

/// A 401 page through a proxy that carries a Bearer challenge (the
/// proxy's own, marked, or relayed) is never said to name "no challenge"
/// (stranger 83, CF2; stranger 84, CG1).
#[tokio::test]
async fn a_challenged_401_page_through_a_proxy_is_not_said_unchallenged() {
    for server in ["", "Server: squid/6.10"] {
        let mut headers = vec![
            "Content-Type: text/html",
            "WWW-Authenticate: Bearer realm=\"proxy\"",
        ];
        if !server.is_empty() {
            headers.push(server);
        }
        let proxy = canned("401 Unauthorized", &headers, "<html>auth</html>").await;
        let line = words(&list("http://gateway.invalid:8080", Some(&proxy.url)).await);
        assert!(line.contains(&proxy.url), "{server}: {line}");
        assert!(
            !line.contains("no challenge") && !line.contains("names no way"),
            "{server}: {line}"
        );
    }
}

/// A proxy whose 407 offers Windows sign-in only (NTLM, Negotiate): no
/// user name and password in the proxy variable answers it, with or
/// without some there; said so, never "put them in the proxy variable" or
/// "it refused them".
#[tokio::test]
async fn a_proxy_asking_windows_sign_in_only_is_not_sent_for_a_password() {
    for scheme in ["NTLM", "Negotiate"] {
        let header = format!("Proxy-Authenticate: {scheme}");
        let proxy = canned(
            "407 Proxy Authentication Required",
            &[header.as_str(), "Content-Type: text/html"],
            "<html>sign in</html>",
        )
        .await;
        let with_password = proxy.url.replace("http://", "http://tech:secret@");
        for variable in [proxy.url.clone(), with_password] {
            let line = words(&list("http://gateway.invalid:8080", Some(&variable)).await);
            assert!(
                line.contains(
                    "asks for Windows sign-in (Negotiate or NTLM), which stepwise cannot give"
                ) && !line.contains("http://user:password@proxy:port")
                    && !line.contains("refused"),
                "{scheme}: {line}"
            );
            assert!(!line.contains("secret"), "{line}");
        }
        // The same refusal of an https tunnel, where the HTTP client keeps
        // the proxy's headers to itself: its CONNECT is asked again.
        let line = words(&list("https://gateway.invalid", Some(&proxy.url)).await);
        assert!(
            line.contains("asks for Windows sign-in (Negotiate or NTLM)")
                && !line.contains("http://user:password@proxy:port"),
            "{scheme} tunnel: {line}"
        );
    }
    // A tunnel refused with 401: a sign-in of the proxy's (a portal's),
    // never "it refuses this host or could not reach the gateway".
    let portal = canned(
        "401 Unauthorized",
        &["Content-Type: text/html"],
        "<html>sign in</html>",
    )
    .await;
    let line = words(&list("https://gateway.invalid", Some(&portal.url)).await);
    assert!(
        line.contains("answered HTTP 401 itself")
            && line.contains("sign in to it in a browser on this machine")
            && !line.contains("refuses this host"),
        "{line}"
    );
    // With a Basic challenge it asks for a user name and password: never
    // "no challenge".
    let basic = canned(
        "401 Unauthorized",
        &[
            "WWW-Authenticate: Basic realm=\"corp\"",
            "Content-Type: text/html",
        ],
        "<html>sign in</html>",
    )
    .await;
    let line = words(&list("https://gateway.invalid", Some(&basic.url)).await);
    assert!(
        line.contains("It asks for a user name and password (Basic) at HTTP 401")
            && !line.contains("no challenge"),
        "{line}"
    );
}

/// A challenge that repeats the token sent, in its words or its scope:
/// the token is never in the words, nor in a command built of them
/// (stranger 73, BV7).
#[tokio::test]
async fn a_challenge_that_repeats_the_token_never_shows_it() {
    let token = "s3cret-t0ken-abcdef0123456789";
    let said = canned(
        "401 Unauthorized",
        &[&format!(
            "WWW-Authenticate: Bearer realm=\"steps\", error=\"invalid_token\", error_description=\"the token {token} expired\""
        )],
        "",
    )
    .await;
    let scope = canned(
        "403 Forbidden",
        &[&format!(
            "WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"steps:read {token}\""
        )],
        "",
    )
    .await;
    for gateway in [&said.url, &scope.url] {
        let error = list_with_token(gateway, None, token).await;
        let line = words(&error);
        assert!(
            !line.contains(token) && !format!("{error:?}").contains(token),
            "{line}"
        );
    }
    let line = words(&list_with_token(&scope.url, None, token).await);
    assert!(line.contains("lacks the scope steps:read"), "{line}");
}

/// A token sent through a proxy, answered 401 by a challenge that names no
/// error (the gateway saw no token): the proxy may drop the Authorization
/// header, said with NO_PROXY; never "the gateway refused the token"
/// (stranger 72, BU3). Without a token sent, the words of a token wanted.
#[tokio::test]
async fn a_token_unseen_through_a_proxy_names_the_proxy() {
    let challenge = canned(
        "401 Unauthorized",
        &["WWW-Authenticate: Bearer realm=\"steps\""],
        "",
    )
    .await;
    let gateway = "http://gateway.invalid:8080";
    let error = list_with_token(gateway, Some(&challenge.url), "the-right-token").await;
    let line = words(&error);
    assert!(
        line.starts_with("HTTP 401: the gateway answers as if no token reached it")
            && line.contains(&format!(
                "though the token from --token-file went out through the proxy {}",
                challenge.url
            ))
            && line.contains("NO_PROXY=gateway.invalid")
            && !line.contains("refused the token"),
        "{line}"
    );
    assert_eq!(
        error.recovery(),
        stepwise::client::Recovery::Stop,
        "{error:?}"
    );
    let none = words(&list(gateway, Some(&challenge.url)).await);
    assert!(
        none.contains("the gateway wants a token, and none was sent")
            && !none.contains("Authorization header"),
        "{none}"
    );
}

/// A proxy that answers a plain request with its own 401 page: the
/// proxy's refusal, named, with NO_PROXY; never "the gateway wants a
/// token", nor a sign-in to offer (stranger 70, BS7).
#[tokio::test]
async fn a_proxy_s_own_401_page_names_the_proxy_not_a_token() {
    let page = "<html><head><title>Proxy sign-in required</title></head></html>";
    let proxy = canned(
        "401 Unauthorized",
        &[
            "Content-Type: text/html",
            "WWW-Authenticate: Bearer realm=\"proxy\"",
        ],
        page,
    )
    .await;
    let error = list("http://gateway.invalid:8080", Some(&proxy.url)).await;
    let line = words(&error);
    assert!(
        line.starts_with(&format!(
            "http://gateway.invalid:8080/ answered HTTP 401 (Proxy sign-in required) through the proxy {}",
            proxy.url
        )) && line.contains("NO_PROXY=gateway.invalid")
            && !line.contains("wants a token"),
        "{line}"
    );
    assert_ne!(
        error.recovery(),
        stepwise::client::Recovery::SignIn,
        "{error:?}"
    );
}

#[tokio::test]
async fn a_404_page_or_a_silence_through_a_proxy_names_the_proxy() {
    let page = "<html><head><title>404 Not Found</title></head></html>";
    let proxy = canned("404 Not Found", &["Content-Type: text/html"], page).await;
    let line = words(&list("http://gateway.invalid:8080", Some(&proxy.url)).await);
    // The proxy's own page (a name it could not resolve) is named first,
    // with the host name and NO_PROXY, before a wrong path in --api.
    assert!(
        line.starts_with(&format!(
            "http://gateway.invalid:8080/ answered HTTP 404 through the proxy {}, without a gateway's error body: the proxy's own page",
            proxy.url
        )) && line.contains("Check the host name in --api, or set NO_PROXY=gateway.invalid"),
        "{line}"
    );
    // A proxy that takes the request and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_url = format!("http://{}", silent.local_addr().expect("addr"));
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let mut options = options();
    options.timeout = Duration::from_millis(300);
    options.net.proxy = stepwise::net::ProxyEnv::with_proxy(&silent_url, None);
    let client = Gateway::new(
        "http://gateway.invalid:8080",
        "words-test-device".into(),
        None,
        options,
    )
    .expect("client");
    let request = ListRequest::new(Lookup::Car("987654".into()));
    let error = tokio::time::timeout(Duration::from_secs(60), client.list(&request))
        .await
        .expect("the call ends by itself")
        .expect_err("the call fails");
    holder.abort();
    let line = words(&error);
    assert!(
        line.starts_with(&format!(
            "no answer within 0.3 s from the gateway at http://gateway.invalid:8080/ through the proxy {silent_url}: the proxy, or the gateway behind it, is silent"
        )),
        "{line}"
    );
    assert!(line.contains("NO_PROXY=gateway.invalid"), "{line}");
    // The title (a board row's) names the proxy's silence too.
    let title = stepwise::describe::gateway_headline(stepwise::text::Lang::En, &error);
    assert_eq!(title, "No answer through the proxy");
}

/// A web server that asks for a user name and password (`Basic`) is not a
/// steps gateway wanting a token: the words say so, never "sign in" or
/// "get a new token".
#[tokio::test]
async fn a_basic_password_prompt_is_no_gateway_not_a_token_matter() {
    let page = "<html><head><title>401 Authorization Required</title></head></html>";
    let server = canned(
        "401 Unauthorized",
        &[
            "WWW-Authenticate: Basic realm=\"intranet\"",
            "Content-Type: text/html",
        ],
        page,
    )
    .await;
    let error = list(&server.url, None).await;
    assert!(
        matches!(error, GatewayError::NotAGateway { status: 401, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.contains("asks for a user name and password (HTTP 401, Basic)"),
        "{line}"
    );
    assert!(!line.contains("wrong path"), "{line}");
    assert!(!line.contains("stepwise login"), "{line}");
    // Windows sign-in (an IIS or a reverse proxy), two challenges and none
    // for a bearer token: no token or sign-in of ours answers it.
    let windows = canned(
        "401 Unauthorized",
        &["WWW-Authenticate: Negotiate", "WWW-Authenticate: NTLM"],
        "",
    )
    .await;
    let error = list(&windows.url, None).await;
    let line = words(&error);
    assert!(
        line.contains("asks for Windows sign-in (HTTP 401, Negotiate or NTLM)"),
        "{line}"
    );
    assert!(
        !line.contains("stepwise login") && !line.contains("token was"),
        "{line}"
    );
    // A gateway that also offers Bearer is a gateway wanting a token.
    let both = canned(
        "401 Unauthorized",
        &["WWW-Authenticate: Negotiate", "WWW-Authenticate: Bearer"],
        "",
    )
    .await;
    let error = list(&both.url, None).await;
    assert!(!words(&error).contains("Windows sign-in"), "{error:?}");
}

/// An --issuer that serves an HTML page is named as the identity
/// provider's, with --issuer to check, never "the gateway's sign-in
/// discovery document ... tell the gateway's operator".
#[tokio::test]
async fn an_issuer_serving_html_is_named_not_the_gateway() {
    let page = canned(
        "200 OK",
        &["Content-Type: text/html"],
        "<html>portal</html>",
    )
    .await;
    let client = Gateway::new(
        "http://127.0.0.1:9/",
        "words-test-device".into(),
        None,
        options(),
    )
    .unwrap();
    let gateway = url::Url::parse(client.base()).unwrap();
    let error = stepwise::auth::discover::discover(client.http(), &gateway, Some(&page.url))
        .await
        .expect_err("no metadata");
    let line = stepwise::describe::auth_error(stepwise::text::Lang::En, &error);
    assert!(line.contains("the identity provider's metadata"), "{line}");
    assert!(line.to_lowercase().contains("check --issuer"), "{line}");
    // A page, never "not valid JSON" (stranger 43, AR17e).
    assert!(line.contains("is a web page"), "{line}");
    assert!(
        !line.contains("the gateway's sign-in discovery document"),
        "{line}"
    );
}

/// A proxy that answers CONNECT with 200 and then closes the tunnel: the
/// connection to it worked and its variable is right, so not "cannot
/// connect to the proxy ... check the proxy variable". Whether the close
/// reaches the client as an end of file or a reset is timing; both are
/// tried.
#[tokio::test]
async fn a_tunnel_closed_after_connect_is_named_the_proxy_s() {
    for reset in [false, true] {
        let line = words(&tunnel_cut_after_connect(reset).await);
        assert!(
            line.contains("opened a tunnel to gateway.invalid, then it was closed"),
            "reset {reset}: {line}"
        );
        assert!(!line.contains("cannot connect to the proxy"), "{line}");
    }
}

/// A call through a proxy that opens the tunnel, then closes it (with a
/// reset when `reset`) at the first bytes of the TLS handshake.
async fn tunnel_cut_after_connect(reset: bool) -> GatewayError {
    let after = if reset {
        AfterHello::Reset
    } else {
        AfterHello::Close
    };
    through_tunnel(after).await.1
}

/// What a proxy does once it has opened the tunnel and the TLS hello came.
#[derive(Clone, Copy)]
enum AfterHello {
    Close,
    Reset,
    Answer(&'static [u8]),
}

/// A list call to an https gateway through a proxy that opens the tunnel
/// and then does `after`: the proxy's URL and the call's error.
async fn through_tunnel(after: AfterHello) -> (String, GatewayError) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let proxy = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 2048];
                let _ = socket.read(&mut head).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = socket.read(&mut head).await;
                match after {
                    AfterHello::Close => {}
                    AfterHello::Reset => {
                        let _ = socket.set_zero_linger();
                    }
                    AfterHello::Answer(bytes) => {
                        let _ = socket.write_all(bytes).await;
                        let _ = socket.read(&mut head).await;
                    }
                }
            });
        }
    });
    let error = list("https://gateway.invalid", Some(&proxy)).await;
    (proxy, error)
}

/// A 200 through a proxy for an http:// gateway that is no steps list (JSON
/// of another shape) or larger than any list: named with the proxy, which
/// may have answered itself, and NO_PROXY; --api last, for when no list
/// ever came from it; retried later as the same answer without a proxy.
#[tokio::test]
async fn a_proxy_s_foreign_or_oversize_answer_names_the_proxy() {
    let json = ["Content-Type: application/json"];
    let foreign = canned("200 OK", &json, r#"{"foo":1}"#).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let oversize = canned("200 OK", &json, &huge).await;
    for (proxy, said, title) in [
        (&foreign, "is no steps list: ", "Unusable answer"),
        (&oversize, "is larger than 1024 KiB", "Answer too large"),
    ] {
        let error = list("http://gateway.invalid:8080", Some(&proxy.url)).await;
        let line = words(&error);
        assert!(
            line.contains(&format!("through the proxy {}", proxy.url)) && line.contains(said),
            "{line}"
        );
        assert!(
            line.contains("The proxy may have answered itself")
                && line.contains("NO_PROXY=gateway.invalid")
                && line.contains("if lists came from this --api before, ask who runs the proxy"),
            "{line}"
        );
        let headline = stepwise::describe::gateway_headline(stepwise::text::Lang::En, &error);
        assert_eq!(headline, title);
        assert_eq!(
            error.recovery(),
            stepwise::client::Recovery::Retry { now: false }
        );
    }
    // Straight from the gateway (no proxy), the words are the gateway's.
    let error = list(&foreign.url, None).await;
    assert!(
        words(&error).starts_with("the gateway's answer could not be used"),
        "{}",
        words(&error)
    );
}

/// A plain forward proxy that passes every request on to the address it
/// names and relays the bytes back unchanged, whatever they are.
async fn relaying_proxy() -> Canned {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => head.push(byte[0]),
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let (line, rest) = text.split_once("\r\n").expect("a request line");
                let mut parts = line.split(' ');
                let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let Some(after) = target.strip_prefix("http://") else {
                    let _ = stream
                        .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    return;
                };
                let (authority, path) = after.split_at(after.find('/').unwrap_or(after.len()));
                let Ok(mut upstream) = tokio::net::TcpStream::connect(authority).await else {
                    let _ = stream
                        .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    return;
                };
                let path = if path.is_empty() { "/" } else { path };
                let request = format!("{method} {path} HTTP/1.1\r\n{rest}");
                if upstream.write_all(request.as_bytes()).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
                }
            });
        }
    });
    Canned { url, task }
}

/// http:// in --api for a TLS gateway, through a proxy that relays what
/// the gateway sends back (its TLS alert): the gateway wants https://, the
/// proxy is not broken (stranger 76, BY2). A proxy variable that names a
/// TLS server itself stays the proxy's fault.
#[tokio::test]
async fn a_tls_record_relayed_by_a_proxy_is_the_gateway_s_https() {
    let tls_gateway = raw(b"\x15\x03\x03\x00\x02\x02\x32".to_vec()).await;
    let proxy = relaying_proxy().await;
    let error = list(&tls_gateway.url, Some(&proxy.url)).await;
    let line = words(&error);
    assert!(matches!(error, GatewayError::WantsTls { .. }), "{error:?}");
    assert!(
        line.contains(&format!(
            "the server at {}/ speaks TLS, but --api says http://. Use https:// in --api",
            tls_gateway.url
        )),
        "{line}"
    );
    assert!(!line.contains("proxy is broken"), "{line}");
    // The proxy variable names the TLS server itself: the proxy's fault.
    let error = list("http://gateway.invalid:8080", Some(&tls_gateway.url)).await;
    let line = words(&error);
    assert!(
        line.contains(&format!("through the proxy {}", tls_gateway.url))
            && line.contains("is no HTTP: the proxy variable may name something"),
        "{line}"
    );
}

/// What a proxy gives back for an http:// gateway may be its own: no HTTP
/// at all (the variable names another service), or an empty 200. Either
/// is named with the proxy, never as the gateway's or --api's fault.
#[tokio::test]
async fn a_proxy_s_garbled_or_empty_answer_names_the_proxy() {
    let not_http = raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec()).await;
    let empty = raw(b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec()).await;
    for (proxy, said) in [
        (
            &not_http,
            "is no HTTP: the proxy variable may name something",
        ),
        (
            &empty,
            "is empty, where a JSON steps list was expected: the proxy may",
        ),
    ] {
        let error = list("http://gateway.invalid:8080", Some(&proxy.url)).await;
        let line = words(&error);
        assert!(
            line.contains(&format!("through the proxy {}", proxy.url)) && line.contains(said),
            "{line}"
        );
        assert!(line.contains("NO_PROXY=gateway.invalid"), "{line}");
        assert!(
            !line.contains("--api") && !line.contains("server at"),
            "{line}"
        );
    }
    // A proxy that reads the request and closes, with no answer: for an
    // http:// gateway (not known whether the gateway was asked), and to
    // the CONNECT of an https:// one (no tunnel: the gateway was not
    // asked); never "it refuses this host" nor "check that the gateway
    // runs".
    let closing = raw(Vec::new()).await;
    for (gateway, said) in [
        (
            "http://gateway.invalid:8080",
            "closed the connection without an answer, so it is not known whether the gateway was asked",
        ),
        (
            "https://gateway.invalid:8443",
            "closed the connection without answering the request for a tunnel (CONNECT) to gateway.invalid, so the gateway was not asked",
        ),
    ] {
        let line = words(&list(gateway, Some(&closing.url)).await);
        assert!(
            line.starts_with(&format!(
                "the proxy {} (from ALL_PROXY) {said}",
                closing.url
            )),
            "{gateway}: {line}"
        );
        assert!(!line.contains("gateway runs"), "{gateway}: {line}");
    }
}

/// A reset the gateway refuses with code 2317: the reset is named as what
/// was refused, and the code's own advice (reset the cache) is left out;
/// without the reset, the same answer keeps that advice.
#[tokio::test]
async fn a_refused_reset_does_not_advise_a_reset() {
    let body = r#"{"code":2317,"message":"reset not allowed now"}"#;
    let gateway = canned("409 Conflict", &["Content-Type: application/json"], body).await;
    let client =
        Gateway::new(&gateway.url, "words-test-device".into(), None, options()).expect("client");
    let mut request = ListRequest::new(Lookup::Car("987654".into()));
    request.reset = true;
    let error = client.list(&request).await.expect_err("refused");
    for lang in stepwise::text::Lang::ALL {
        let line = stepwise::describe::gateway_error(*lang, &error);
        assert!(!line.contains("--reset"), "{lang:?}: {line}");
        assert!(line.contains("2317"), "{lang:?}: {line}");
    }
    let line = words(&error);
    assert!(
        line.contains(
            "the gateway refused the steps-cache reset (reset not allowed now, code 2317)"
        ),
        "{line}"
    );
    assert!(line.contains("Resetting again will not help"), "{line}");

    request.reset = false;
    let line = words(&client.list(&request).await.expect_err("refused"));
    assert!(line.contains("`stepwise steps --car ID --reset`"), "{line}");
    assert!(!line.contains("steps-cache reset"), "{line}");
    // A 400 with that code, to a reset: the same refusal. A 500 or 503
    // with it: the gateway failed (tried again, no "will not help", no
    // enrollments to remove), and the code's advice to reset is left out.
    for (status, refused) in [
        ("400 Bad Request", true),
        ("500 Internal Server Error", false),
        ("503 Service Unavailable", false),
    ] {
        let gateway = canned(status, &["Content-Type: application/json"], body).await;
        let client = Gateway::new(&gateway.url, "words-test-device".into(), None, options())
            .expect("client");
        request.reset = true;
        let line = words(&client.list(&request).await.expect_err("refused"));
        assert!(!line.contains("--reset"), "{status}: {line}");
        assert_eq!(
            line.contains("refused the steps-cache reset"),
            refused,
            "{status}: {line}"
        );
        assert_eq!(
            line.contains("the gateway failed"),
            !refused,
            "{status}: {line}"
        );
    }
}

/// A reset answered without an app code: only a 403 (an account or a
/// device blocked) gets the advice to remove the enrollments; a 409 may be
/// a reset under way (wait, reset again), a 405 or 410 is the call not
/// taken, a 304 refused nothing; and the contract's 403 to a reset by
/// stepsID is another device's stepsID, asked again by carAssociationID
/// (stranger 40, AO1, AO2, AO15).
#[tokio::test]
async fn a_reset_s_answer_is_said_by_its_status() {
    for (status, body, said) in [
        (
            "409 Conflict",
            r#"{"message":"reset already in progress"}"#,
            "wait a moment, then reset again",
        ),
        (
            "405 Method Not Allowed",
            "",
            "HTTP 405 does not say that the account or the device is blocked",
        ),
        (
            "410 Gone",
            "",
            "HTTP 410 does not say that the account or the device is blocked",
        ),
        // A code the app does not know changes nothing (stranger 41, AP5).
        (
            "405 Method Not Allowed",
            r#"{"code":9999,"message":"reset refused 405"}"#,
            "HTTP 405 does not say that the account or the device is blocked",
        ),
        (
            "409 Conflict",
            r#"{"code":9999,"message":"busy"}"#,
            "wait a moment, then reset again",
        ),
        ("304 Not Modified", "", "no list came back"),
    ] {
        let gateway = canned(status, &["Content-Type: application/json"], body).await;
        let client = Gateway::new(&gateway.url, "words-test-device".into(), None, options())
            .expect("client");
        let mut request = ListRequest::new(Lookup::Car("987654".into()));
        request.reset = true;
        let line = words(&client.list(&request).await.expect_err("refused"));
        assert!(line.contains(said), "{status}: {line}");
        assert!(!line.contains("remove all enrollments"), "{status}: {line}");
    }
    let body = r#"{"message":"this stepsID belongs to another device"}"#;
    let gateway = canned("403 Forbidden", &["Content-Type: application/json"], body).await;
    let client =
        Gateway::new(&gateway.url, "words-test-device".into(), None, options()).expect("client");
    let mut request = ListRequest::new(Lookup::StepsId("132324".into()));
    request.reset = true;
    let error = client.list(&request).await.expect_err("refused");
    assert!(error.is_wrong_device(), "{error:?}");
    assert!(
        !words(&error).contains("remove all enrollments"),
        "{}",
        words(&error)
    );
    // A 404 page to the reset alone says nothing of --api: the call is
    // named, and the list without the reset says whether --api is right
    // (stranger 41, AP4).
    let page = canned(
        "404 Not Found",
        &["Content-Type: text/html"],
        "<html>Not Found</html>",
    )
    .await;
    let client =
        Gateway::new(&page.url, "words-test-device".into(), None, options()).expect("client");
    let mut request = ListRequest::new(Lookup::Car("987654".into()));
    request.reset = true;
    let line = words(&client.list(&request).await.expect_err("refused"));
    assert!(
        line.contains("to the call pims/subscription/steps?…&resetSteps=true")
            && line.contains("If the list by carAssociationID works at this address"),
        "{line}"
    );
    let client =
        Gateway::new(&gateway.url, "words-test-device".into(), None, options()).expect("client");
    // By carAssociationID, a 403 to a reset is the gateway's refusal.
    let mut request = ListRequest::new(Lookup::Car("987654".into()));
    request.reset = true;
    let line = words(&client.list(&request).await.expect_err("refused"));
    assert!(line.contains("refused the steps-cache reset"), "{line}");
}

/// A 400 that carries an app code the app explains is no malformed
/// request nor a bug: the code's meaning and cure are the advice.
#[tokio::test]
async fn a_400_with_an_app_code_leads_with_the_code() {
    let body = r#"{"code":2312,"message":"device off"}"#;
    let gateway = canned("400 Bad Request", &["Content-Type: application/json"], body).await;
    let line = words(&list(&gateway.url, None).await);
    assert!(
        line.contains("the gateway refused the request with an app code (device off, code 2312)")
            && line.contains("App code 2312"),
        "{line}"
    );
    assert!(
        !line.contains("malformed") && !line.contains("report a bug"),
        "{line}"
    );
}

/// An issuer address where another service answers: it was reached, and
/// what answered is no HTTP. Not "cannot reach ... check the network", and
/// not the HTTP library's English.
#[tokio::test]
async fn an_issuer_at_another_service_s_port_is_named_so() {
    let banner = raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec()).await;
    let client = Gateway::new(
        "http://127.0.0.1:9/",
        "words-test-device".into(),
        None,
        options(),
    )
    .unwrap();
    let gateway = url::Url::parse(client.base()).unwrap();
    let error = stepwise::auth::discover::discover(client.http(), &gateway, Some(&banner.url))
        .await
        .expect_err("no metadata");
    let line = stepwise::describe::auth_error(stepwise::text::Lang::De, &error);
    assert!(
        line.contains("wurde erreicht, aber was geantwortet hat, ist kein HTTP"),
        "{line}"
    );
    assert!(
        !line.contains("invalid HTTP") && !line.contains("nicht erreichbar"),
        "{line}"
    );
}

/// A filtering proxy opens the tunnel, then answers the TLS handshake with
/// a plain HTTP block page: the proxy is named, and not "use http://" (the
/// gateway speaks TLS; the proxy answered in its place).
#[tokio::test]
async fn a_block_page_in_the_tunnel_is_the_proxy_s() {
    let page = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 20\r\n\r\n<html>blocked</html>";
    let (proxy, error) = through_tunnel(AfterHello::Answer(page)).await;
    let line = words(&error);
    assert!(line.contains(&proxy), "{line}");
    assert!(line.contains("NO_PROXY=gateway.invalid"), "{line}");
    assert!(!line.contains("use http://"), "{line}");
}

/// https:// to a gateway that speaks plain HTTP, through a proxy that
/// passes the tunnel: what answers at its end is a gateway's JSON in plain
/// HTTP, so the words say to use http://, as they do without a proxy,
/// never that the proxy cut it (stranger 65, BN4).
#[tokio::test]
async fn https_to_a_plain_http_gateway_through_a_tunnel_says_use_http() {
    let body = r#"{"code":2300,"message":"carAssociationID or stepsID is required"}"#;
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer: &'static [u8] = Box::leak(answer.into_bytes().into_boxed_slice());
    let (proxy, error) = through_tunnel(AfterHello::Answer(answer)).await;
    let line = words(&error);
    assert!(
        line.contains("speaks plain HTTP, not TLS") && line.contains("Use http:// in --api"),
        "{line}"
    );
    assert!(!line.contains(&proxy) || !line.contains("cut it"), "{line}");
}

/// An answer cut short (JSON that stops, or a body shorter than its
/// Content-Length) began as an answer: the address is right, so the words
/// say it was cut, in the reader's language, and not "check --api".
#[tokio::test]
async fn an_answer_cut_short_is_named_cut_not_a_wrong_address() {
    let body = r#"{"steps":[{"ste"#;
    let stops = canned("200 OK", &["Content-Type: application/json"], body).await;
    let short = raw(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{body}"
    )
    .into_bytes())
    .await;
    for (server, said) in [
        (&stops, "it stops at line 1, column 15)"),
        (&short, "it ended before the length it announced"),
    ] {
        let line = words(&list(&server.url, None).await);
        assert!(
            line.starts_with(&format!("the gateway's answer was cut short ({said}")),
            "{line}"
        );
        assert!(
            !line.contains("--api") && !line.contains("check the network"),
            "{line}"
        );
    }
    let line =
        stepwise::describe::gateway_error(stepwise::text::Lang::De, &list(&short.url, None).await);
    assert!(
        line.contains("sie endete vor der angekündigten Länge"),
        "{line}"
    );
}

/// Over https://, an answer shorter than its Content-Length ends with the
/// TLS library's "peer closed connection without sending TLS close_notify"
/// (and a link to its manual): it is an answer cut short, said as over
/// http://, in the reader's language.
#[tokio::test]
async fn an_https_answer_cut_short_is_named_cut() {
    use stepwise::sim::tls::{CertSpec, generate};
    let made = generate(&CertSpec::default()).unwrap();
    let config = made.server_config(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &made.ca_pem).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut head = [0u8; 4096];
                let _ = tls.read(&mut head).await;
                let cut = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                           Content-Length: 500\r\n\r\n{\"steps\":[{\"ste";
                let _ = tls.write_all(cut.as_bytes()).await;
                let _ = tls.flush().await;
                // Dropped without close_notify: the TCP connection closes.
                let (socket, _) = tls.into_inner();
                drop(socket);
            });
        }
    });
    let mut options = options();
    options.net.ca_file = Some(ca);
    let error = list_with(&url, options).await;
    let line = words(&error);
    assert!(
        line.starts_with("the gateway's answer was cut short"),
        "{line}"
    );
    assert!(
        !line.contains("close_notify") && !line.contains("docs.rs"),
        "{line}"
    );
    let german = stepwise::describe::gateway_error(stepwise::text::Lang::De, &error);
    assert!(german.contains("abgeschnitten"), "{german}");
}

/// A 403 by stepsID whose code says "not the owner" (2323) is that, in
/// the gateway's words: not "this stepsID belongs to another device"
/// with advice to ask again by carAssociationID.
#[tokio::test]
async fn a_coded_403_by_steps_id_trusts_the_code() {
    let body = r#"{"code":2323,"message":"user is not the owner"}"#;
    let gateway = canned("403 Forbidden", &["Content-Type: application/json"], body).await;
    let client =
        Gateway::new(&gateway.url, "words-test-device".into(), None, options()).expect("client");
    let error = client.next_step("132324").await.expect_err("refused");
    assert!(!error.is_wrong_device(), "{error:?}");
    let line = words(&error);
    assert!(!line.contains("another device"), "{line}");
    assert!(line.contains("user is not the owner, code 2323"), "{line}");
}

/// A 400 whose words name the id refuses the id typed (a gateway's rule
/// may be stricter than stepwise's check): not "a proxy may change
/// requests, else report a bug".
#[tokio::test]
async fn a_400_naming_the_id_sends_to_the_id() {
    let body = r#"{"message":"carAssociationID must be numeric"}"#;
    let gateway = canned("400 Bad Request", &["Content-Type: application/json"], body).await;
    let line = words(&list(&gateway.url, None).await);
    assert!(
        line.contains("Check the id with the customer's account"),
        "{line}"
    );
    assert!(
        !line.contains("report a bug") && !line.contains("proxy"),
        "{line}"
    );
}

/// HTTPS_PROXY naming another service (an SSH port): it opened no tunnel
/// because it is no HTTP proxy, not because it refused one or could not
/// reach the gateway.
#[tokio::test]
async fn a_proxy_variable_naming_another_service_is_said_so() {
    let ssh = raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec()).await;
    let line = words(&list("https://gateway.invalid", Some(&ssh.url)).await);
    assert!(
        line.contains(&format!("what came back through the proxy {}", ssh.url))
            && line.contains("is no HTTP"),
        "{line}"
    );
    assert!(!line.contains("refuses this host"), "{line}");
}

/// A web page where a list was expected is named as one, not "it stops
/// being JSON at line 1, column 1"; a firewall's block page with 200 after
/// lists came from that --api is not answered with "check --api" alone:
/// what answered in front is named first.
#[tokio::test]
async fn an_html_page_is_named_a_page() {
    let page = "<!DOCTYPE html>\n<html><body><h1>Welcome to nginx!</h1></body></html>";
    let web = canned("200 OK", &["Content-Type: text/html"], page).await;
    let line = words(&list(&web.url, None).await);
    assert!(
        line.contains("the answer is a web page (HTML) where the gateway's JSON belongs: something in front of the gateway")
            && line.contains("If lists came from this --api before, ask who runs the network what the page is"),
        "{line}"
    );
    assert!(!line.contains("line 1, column 1"), "{line}");
}

/// A list that comes compressed though none was asked for (a CDN or proxy
/// with compression on) is named compressed, with who to tell, not "not
/// UTF-8 text, check --api".
#[tokio::test]
async fn a_compressed_answer_is_named_compressed() {
    let gzip = canned(
        "200 OK",
        &["Content-Type: application/json", "Content-Encoding: gzip"],
        "\u{1f}\u{8b}\u{8}",
    )
    .await;
    let error = list(&gzip.url, None).await;
    let line = words(&error);
    assert!(line.contains("came compressed (gzip)"), "{line}");
    assert!(!line.contains("--api") && !line.contains("UTF-8"), "{line}");
    // The same bytes without the header that says so.
    let unsaid = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n\x1f\x8b\x08\x00\xff"
            .to_vec(),
    )
    .await;
    let line = words(&list(&unsaid.url, None).await);
    assert!(line.contains("came compressed (gzip)"), "{line}");
    assert!(!line.contains("Latin-1"), "{line}");
    // An error whose meaning is in its body (a 404's code), compressed
    // through a proxy: named compressed, never "not a steps gateway …
    // check --api" (stranger 80, CC3).
    let gzip_404 = canned(
        "404 Not Found",
        &["Content-Type: application/json", "Content-Encoding: gzip"],
        "\u{1f}\u{8b}\u{8}",
    )
    .await;
    for proxy in [None, Some(gzip_404.url.as_str())] {
        let gateway = if proxy.is_some() {
            "http://gateway.invalid:8080"
        } else {
            gzip_404.url.as_str()
        };
        let line = words(&list(gateway, proxy).await);
        assert!(line.contains("came compressed (gzip)"), "{line}");
        assert!(
            !line.contains("not a steps gateway") && !line.contains("base URL"),
            "{line}"
        );
    }
}

/// A captive portal's 511 (guest Wi-Fi) is the network's, with a browser
/// sign-in to do: not "the gateway failed, tell its operator".
#[tokio::test]
async fn a_captive_portal_s_511_is_the_network_s() {
    let page = "<html><head><meta http-equiv=\"refresh\" content=\"0; url=http://hotspot.invalid/login\"></head></html>";
    let portal = canned(
        "511 Network Authentication Required",
        &["Content-Type: text/html"],
        page,
    )
    .await;
    let line = words(&list(&portal.url, None).await);
    assert!(
        line.starts_with("HTTP 511: the network this computer is on wants a sign-in first"),
        "{line}"
    );
    assert!(
        !line.contains("gateway failed") && !line.contains("operator"),
        "{line}"
    );
}

/// Broken chunks in an answer that came: named as an answer that is not
/// valid HTTP, in the reader's language, with who to tell; not the HTTP
/// library's English and "check the network".
#[tokio::test]
async fn broken_chunks_are_an_answer_that_is_not_http() {
    let broken = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
            .to_vec(),
    )
    .await;
    let error = list(&broken.url, None).await;
    let line = words(&error);
    assert!(
        line.starts_with("the gateway's answer came, but is not valid HTTP: its chunks (Transfer-Encoding: chunked) are broken"),
        "{line}"
    );
    assert!(!line.contains("check the network"), "{line}");
    let german = stepwise::describe::gateway_error(stepwise::text::Lang::De, &error);
    assert!(
        german.contains("Blöcke") && !german.contains("chunk size"),
        "{german}"
    );
}

/// A 403 with the gateway's own Bearer challenge (RFC 6750:
/// insufficient_scope) is about the token's scope: named, with the scope and
/// how to sign in for it; not "refused by something in front of the
/// gateway".
#[tokio::test]
async fn a_bearer_challenge_for_a_scope_names_the_scope() {
    let gateway = canned(
        "403 Forbidden",
        &[
            "WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"pims.steps\"",
            "Content-Type: application/json",
        ],
        "{}",
    )
    .await;
    let error = list(&gateway.url, None).await;
    assert!(
        matches!(&error, GatewayError::ScopeWanted { status: 403, scope, sent: None, token_sent: false, asked: false, dropped: None, .. } if scope == "pims.steps"),
        "{error:?}"
    );
    // No token was sent: none was "taken", and none signed in "again".
    let line = words(&error);
    assert!(
        line.contains("wants a token with the scope pims.steps, and none was sent"),
        "{line}"
    );
    assert!(
        !line.contains("took the token") && !line.contains("again"),
        "{line}"
    );
    assert!(!line.contains("in front of the gateway"), "{line}");
    let title = stepwise::describe::gateway_headline(stepwise::text::Lang::En, &error);
    assert_eq!(title, "Token needed");
    assert_eq!(error.recovery(), Recovery::SignIn);
    // With a token: the token was taken, a scope is missing.
    let token = stepwise::secret::Secret::new("a-token-of-the-gateway");
    let client = Gateway::new(
        &gateway.url,
        "words-test-device".into(),
        Some(token),
        options(),
    )
    .expect("client");
    let request = ListRequest::new(Lookup::Car("987654".into()));
    let error = client.list(&request).await.expect_err("the call fails");
    assert!(
        matches!(
            &error,
            GatewayError::ScopeWanted {
                token_sent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        words(&error).contains("lacks the scope pims.steps"),
        "{}",
        words(&error)
    );
    let title = stepwise::describe::gateway_headline(stepwise::text::Lang::En, &error);
    assert_eq!(title, "Scope missing");
}

/// Code 2346 ("no step for this stepsID") answered to a list asked for by
/// carAssociationID: the vehicle has no steps there. Its advice to start
/// again by carAssociationID would ask the same, so it is not given; the
/// gateway's code stays in the words.
#[tokio::test]
async fn no_step_for_a_car_asks_no_start_again() {
    let gateway = canned(
        "404 Not Found",
        &["Content-Type: application/json"],
        r#"{"code":2346,"message":"No step found"}"#,
    )
    .await;
    let error = list(&gateway.url, None).await;
    assert_eq!(error.rejection(), Some(Rejection::NoSteps), "{error:?}");
    assert_eq!(error.recovery(), Recovery::Stop, "{error:?}");
    let line = words(&error);
    assert!(
        line.contains("no steps for this carAssociationID (No step found, code 2346)"),
        "{line}"
    );
    assert!(line.contains("ask the gateway's operator"), "{line}");
    assert!(!line.contains("Start again"), "{line}");
    let french = stepwise::describe::gateway_error(stepwise::text::Lang::Fr, &error);
    assert!(french.contains("aucune étape"), "{french}");
    // By stepsID the code keeps its meaning and advice.
    let client =
        Gateway::new(&gateway.url, "words-test-device".into(), None, options()).expect("client");
    let request = ListRequest::new(Lookup::StepsId("S-1".into()));
    let error = client.list(&request).await.expect_err("the call fails");
    assert_eq!(error.rejection(), Some(Rejection::NotFound), "{error:?}");
    assert!(words(&error).contains("Start again"), "{}", words(&error));
    // The same code in a 400 to a list by carAssociationID: no "start
    // again with the carAssociationID" either.
    let gateway = canned(
        "400 Bad Request",
        &["Content-Type: application/json"],
        r#"{"code":2346,"message":"bad"}"#,
    )
    .await;
    let error = list(&gateway.url, None).await;
    assert_eq!(error.rejection(), Some(Rejection::NoSteps), "{error:?}");
    assert!(!words(&error).contains("Start again"), "{}", words(&error));
}

/// A 404 to the next-step call with the gateway's words but without code
/// 2346 (its mark of an unknown stepsID) is no unknown id: the call may
/// not be offered. With 2346 it is the unknown stepsID it says.
#[tokio::test]
async fn a_next_step_404_without_its_code_is_not_an_unknown_id() {
    let gateway = canned(
        "404 Not Found",
        &["Content-Type: application/json"],
        r#"{"message":"no route"}"#,
    )
    .await;
    let client =
        Gateway::new(&gateway.url, "words-test-device".into(), None, options()).expect("client");
    let error = client.next_step("132324").await.expect_err("refused");
    assert_eq!(
        error.rejection(),
        Some(Rejection::CallNotFound),
        "{error:?}"
    );
    let line = words(&error);
    assert!(line.contains("without code 2346"), "{line}");
    assert!(line.contains("does not offer the next-step call"), "{line}");
    assert!(!line.contains("does not know this id"), "{line}");
    let unknown = canned(
        "404 Not Found",
        &["Content-Type: application/json"],
        r#"{"code":2346,"message":"No step found"}"#,
    )
    .await;
    let client =
        Gateway::new(&unknown.url, "words-test-device".into(), None, options()).expect("client");
    let error = client.next_step("132324").await.expect_err("refused");
    assert_eq!(error.rejection(), Some(Rejection::NotFound), "{error:?}");
    // So is a 404 whose words (of another shape) name the stepsID.
    let named = canned(
        "404 Not Found",
        &["Content-Type: application/problem+json"],
        r#"{"detail":"no such stepsID 132324"}"#,
    )
    .await;
    let client =
        Gateway::new(&named.url, "words-test-device".into(), None, options()).expect("client");
    let error = client.next_step("132324").await.expect_err("refused");
    assert_eq!(error.rejection(), Some(Rejection::NotFound), "{error:?}");
    assert!(
        words(&error).contains("no such stepsID 132324"),
        "{}",
        words(&error)
    );
    // A 405 or 501 there: the call is not offered, never "check --api
    // and retry" (the list works at that --api; retrying cannot help).
    for status in ["405 Method Not Allowed", "501 Not Implemented"] {
        let gateway = canned(status, &["Content-Length: 0"], "").await;
        let client = Gateway::new(&gateway.url, "words-test-device".into(), None, options())
            .expect("client");
        let error = client.next_step("132324").await.expect_err("refused");
        assert_eq!(
            error.rejection(),
            Some(Rejection::CallNotFound),
            "{status}: {error:?}"
        );
        // The address is left out: its port may hold "2346".
        let line = words(&error).replace(gateway.url.trim_start_matches("http://"), "");
        assert!(line.contains("does not offer the next-step call"), "{line}");
        assert!(line.contains("does not serve the next-step call"), "{line}");
        assert!(!line.contains("retry") && !line.contains("2346"), "{line}");
    }
}

/// A next-step answer that names another stepsID is about someone else's
/// steps: refused as the list would be, never "nothing left to do".
#[tokio::test]
async fn a_next_step_of_another_steps_id_is_refused() {
    let gateway = canned(
        "200 OK",
        &["Content-Type: application/json"],
        r#"{"stepsID":999}"#,
    )
    .await;
    let client =
        Gateway::new(&gateway.url, "words-test-device".into(), None, options()).expect("client");
    let error = client
        .next_step("132324")
        .await
        .expect_err("another stepsID's answer is refused");
    assert!(
        matches!(&error, GatewayError::ForeignList { asked, answered, next: true } if asked == "132324" && answered == "999"),
        "{error:?}"
    );
    let line = words(&error);
    // Said as the next step it is, never "the list" (stranger 41, AP16).
    assert!(
        line.contains(
            "asked for the next step of stepsID 132324, the gateway answered one of stepsID 999"
        ),
        "{line}"
    );
    // The way on its recovery takes (start over), never "Retry" alone
    // (stranger 72, BU5).
    assert_eq!(error.recovery(), Recovery::StartOver, "{error:?}");
    assert!(
        line.contains("ask by carAssociationID (`stepwise steps --car ID`)")
            && !line.contains("Retry;"),
        "{line}"
    );
    // Its own stepsID and no step left: nothing to do.
    let own = canned(
        "200 OK",
        &["Content-Type: application/json"],
        r#"{"stepsID":132324}"#,
    )
    .await;
    let client =
        Gateway::new(&own.url, "words-test-device".into(), None, options()).expect("client");
    assert_eq!(client.next_step("132324").await.expect("fine"), None);
}

/// A 403 page that came back through a proxy, on plain http, may be the
/// proxy's own policy: the proxy is named with NO_PROXY, and no token
/// advice is given (a token passes no proxy's policy).
#[tokio::test]
async fn a_403_through_a_proxy_names_the_proxy_not_the_token() {
    let page = "<html><head><title>Access denied by policy</title></head></html>";
    let proxy = canned("403 Forbidden", &["Content-Type: text/html"], page).await;
    let error = list("http://gateway.invalid:8080", Some(&proxy.url)).await;
    assert!(
        matches!(error, GatewayError::Refused { status: 403, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.contains(&format!("through the proxy {}", proxy.url))
            && line.contains("the proxy, or something in front of the gateway, refused"),
        "{line}"
    );
    assert!(line.contains("NO_PROXY=gateway.invalid"), "{line}");
    assert!(!line.contains("token"), "{line}");
}

/// A 401 whose body gives the gateway's words in another common shape
/// (`error_description`, no challenge) is said with them, as a challenge's
/// are (stranger 60, BI13).
#[tokio::test]
async fn a_401_s_error_description_in_its_body_is_quoted() {
    let body = r#"{"error":"unauthorized","error_description":"API key missing"}"#;
    let server = canned(
        "401 Unauthorized",
        &["Content-Type: application/json"],
        body,
    )
    .await;
    let error = list(&server.url, None).await;
    assert!(
        matches!(&error, GatewayError::Unauthorized { said: Some(s), .. } if s == "API key missing"),
        "{error:?}"
    );
    assert!(
        words(&error).contains("API key missing"),
        "{}",
        words(&error)
    );
}

/// A TLS handshake cut in a proxy's open tunnel may be a gateway that
/// speaks plain HTTP behind a faithful proxy: the words say that too, with
/// http:// in --api, not only the proxy (stranger 65, BN4).
#[test]
fn a_tunnel_cut_in_the_handshake_names_a_plain_http_gateway_too() {
    let cut = GatewayError::ProxyTunnel {
        proxy: "http://127.0.0.1:3128".into(),
        from: "https_proxy",
        host: "gw.example".into(),
        closed: true,
    };
    let said = words(&cut);
    assert!(
        said.contains("Ask who runs the proxy")
            && said.contains("Or the gateway at the end speaks plain HTTP on that port")
            && said.contains("use http:// in --api"),
        "{said}"
    );
}

/// A proxy's own 429 (squid's page, marked as the proxy's) is its limit:
/// wait and retry, action retry; never "check the proxy variable"
/// (stranger 65, BN2).
#[tokio::test]
async fn a_proxy_s_own_429_is_its_limit_not_its_variable() {
    let proxy = canned(
        "429 Too Many Requests",
        &[
            "Retry-After: 120",
            "Server: squid/5.7",
            "X-Squid-Error: ERR_TOO_MANY 0",
            "Content-Type: text/html",
        ],
        "<html><body>Too many requests (squid)</body></html>",
    )
    .await;
    let error = list("http://gateway.invalid:8080", Some(&proxy.url)).await;
    let line = words(&error);
    assert!(
        line.contains("The proxy is limiting requests")
            && !line.contains("Check the proxy variable"),
        "{line}"
    );
    assert_eq!(
        error.recovery(),
        stepwise::client::Recovery::Retry { now: false }
    );
    // The wait it asked is said and kept for scripts, never "a few
    // minutes (its Retry-After, if it gave one)" (stranger 78, CA3).
    assert!(
        line.contains("The proxy is limiting requests and asks to wait 120 s: retry after that"),
        "{line}"
    );
    assert_eq!(error.asked_wait(), Some(120));
}

/// A proxy's 429 to CONNECT (an https:// gateway) keeps its Retry-After:
/// said as the wait it asks, and in `asked_wait` for scripts, never "wait
/// a few minutes (its Retry-After, if it gave one)" (stranger 80, CC2).
#[tokio::test]
async fn a_proxy_s_429_to_connect_keeps_its_wait() {
    let proxy = canned(
        "429 Too Many Requests",
        &["Retry-After: 120", "Content-Type: text/html"],
        "<html>slow down</html>",
    )
    .await;
    let error = list("https://gateway.invalid:8443", Some(&proxy.url)).await;
    let line = words(&error);
    assert!(
        line.contains("The proxy is limiting requests and asks to wait 120 s"),
        "{line}"
    );
    assert_eq!(error.asked_wait(), Some(120), "{error:?}");
}

/// A proxy's own 429 with a short wait is waited out once, within what a
/// call waits, as the gateway's own 429 is (stranger 78, CA3).
#[tokio::test]
async fn a_proxy_s_own_short_429_is_waited_out() {
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = asked.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => head.extend_from_slice(&buf[..k]),
                }
            }
            let body = if n == 0 {
                "<html>"
            } else {
                r#"{"stepsID":8,"a":{"name":"a","status":"todo","order":1}}"#
            };
            let head = if n == 0 {
                "429 Too Many Requests\r\nRetry-After: 1\r\nServer: squid/5.7\r\nX-Squid-Error: ERR_TOO_MANY 0\r\nContent-Type: text/html"
            } else {
                "200 OK\r\nContent-Type: application/json"
            };
            let answer = format!(
                "HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let answer = answer.as_bytes();
            let _ = stream.write_all(answer).await;
            let _ = stream.shutdown().await;
        }
    });
    let mut options = ClientOptions {
        timeout: Duration::from_secs(5),
        retries: 2,
        ..Default::default()
    };
    options.net.proxy = stepwise::net::ProxyEnv::with_proxy(&url, None);
    let client = Gateway::new(
        "http://gateway.invalid:8080",
        "words-test-device".into(),
        None,
        options,
    )
    .expect("client");
    let request = ListRequest::new(Lookup::Car("987654".into()));
    let listed = client.list(&request).await;
    assert!(listed.is_ok(), "{listed:?}");
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// A proxy's own 404 names the variable in use (not the upper-case names
/// of all of them) and NO_PROXY as a way round (stranger 62, BK4).
#[tokio::test]
async fn a_proxy_s_own_404_names_the_variable_in_use() {
    let proxy = canned(
        "404 Not Found",
        &[
            "Server: squid/5.7",
            "X-Squid-Error: ERR_INVALID_URL 0",
            "Content-Type: text/html",
        ],
        "<html><body>not found (squid)</body></html>",
    )
    .await;
    let error = list("http://gateway.invalid:8080", Some(&proxy.url)).await;
    let line = words(&error);
    assert!(
        line.contains("Check ALL_PROXY (the proxy variable in use)")
            && line.contains("NO_PROXY")
            && !line.contains("HTTPS_PROXY, HTTP_PROXY"),
        "{line}"
    );
}

/// The gateway's own redirect (within its address) to a path where a web
/// server's 404 page answers: the redirect is named, never "this address is
/// not a steps gateway, give --api the base URL" (stranger 79, CB2).
#[tokio::test]
async fn a_redirect_to_nothing_is_named_as_the_redirect() {
    let gateway = crate::canned::redirecting_to_nothing();
    let error = list(&gateway, None).await;
    let line = words(&error);
    assert!(
        matches!(error, GatewayError::MovedAway { status: 404, .. }),
        "{error:?}"
    );
    assert!(
        line.contains(&format!(
            "the gateway redirected {gateway}/pims/subscription/steps to {gateway}/v2/pims/subscription/steps, which answered HTTP 404"
        )),
        "{line}"
    );
    assert!(!line.contains("base URL"), "{line}");
}
