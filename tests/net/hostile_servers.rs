//! The gateway client against small local servers that bend or break the
//! contract, written with raw HTTP/1.1 bytes on a loopback listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stepwise::client::{ClientOptions, Gateway, GatewayError, ListRequest, Lookup, Rejection};
use stepwise::config::Secret;
use stepwise::steps::{Status, StatusFilter, StepsList};
use stepwise::wire::DecodeError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const MIB: usize = 1024 * 1024;
/// A bound on every wait of these tests.
const LIMIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- servers

/// A loopback server that answers each connection with a handler; it counts
/// the requests it read and stops when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Server {
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The request heads read so far, in arrival order.
    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts connections in a task; for each, reads the request head and hands
/// the stream to `answer` with the request's 0-based number. The heads read
/// are kept in `heads`.
async fn serve<F, Fut>(answer: F) -> Server
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    serve_on(listener, answer)
}

/// `serve` on a listener whose sockets have a small send buffer, so that what
/// a flooding server counts as written is mostly what the client took in, not
/// what the server's kernel held back.
async fn serve_small_buffers<F, Fut>(answer: F) -> Server
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(64 * 1024).expect("SO_SNDBUF");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    serve_on(socket.listen(16).expect("listen"), answer)
}

fn serve_on<F, Fut>(listener: TcpListener, answer: F) -> Server
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().expect("local addr");
    let requests = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (counter, seen) = (Arc::clone(&requests), Arc::clone(&heads));
    let answer = Arc::new(answer);
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (counter, seen) = (Arc::clone(&counter), Arc::clone(&seen));
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                if let Some(head) = read_head(&mut stream).await {
                    seen.lock().unwrap().push(head);
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    answer(n, stream).await;
                }
            });
        }
    });
    Server {
        addr,
        requests,
        heads,
        task,
    }
}

/// A server that gives every request the same answer.
pub(crate) async fn canned(status: &str, headers: &[&str], body: &str) -> Server {
    let bytes = response(status, headers, body);
    serve(move |_, stream| send(stream, bytes.clone())).await
}

/// Reads up to the blank line that ends a request head (GETs carry no body).
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

/// A complete response that closes the connection after it.
fn response(status: &str, headers: &[&str], body: &str) -> Vec<u8> {
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
    text.into_bytes()
}

fn json_200(body: &str) -> Vec<u8> {
    response("200 OK", &["Content-Type: application/json"], body)
}

async fn send(mut stream: TcpStream, bytes: Vec<u8>) {
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

/// Streams `total` bytes of JSON-looking filler after `head`, counting what
/// the socket accepted, until the client hangs up; reports the count.
async fn flood(mut stream: TcpStream, head: String, chunked: bool, total: usize) -> usize {
    if stream.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    let piece = vec![b' '; 64 * 1024];
    let mut written = 0;
    while written < total {
        let sent = if chunked {
            let mut frame = format!("{:x}\r\n", piece.len()).into_bytes();
            frame.extend_from_slice(&piece);
            frame.extend_from_slice(b"\r\n");
            stream.write_all(&frame).await
        } else {
            stream.write_all(&piece).await
        };
        if sent.is_err() {
            break;
        }
        written += piece.len();
    }
    written
}

/// A server that floods the first request and reports how much it wrote.
async fn flooding(chunked: bool, total: usize) -> (Server, oneshot::Receiver<usize>) {
    let (tx, rx) = oneshot::channel();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let head = if chunked {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_owned()
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {total}\r\n\r\n"
        )
    };
    let server = serve_small_buffers(move |_, stream| {
        let tx = Arc::clone(&tx);
        let head = head.clone();
        async move {
            let written = flood(stream, head, chunked, total).await;
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(written);
            }
        }
    })
    .await;
    (server, rx)
}

// ---------------------------------------------------------------- client

fn fast_options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(10),
        ..Default::default()
    }
}

const DEVICE: &str = "hostile-test-device";

fn client(url: &str, options: ClientOptions) -> Gateway {
    Gateway::new(url, DEVICE.into(), None, options).expect("valid base URL")
}

async fn list_from(url: &str) -> Result<StepsList, GatewayError> {
    list_with(url, fast_options()).await
}

async fn list_with(url: &str, options: ClientOptions) -> Result<StepsList, GatewayError> {
    let request = ListRequest::new(Lookup::Car("987654".into()));
    tokio::time::timeout(LIMIT, client(url, options).list(&request))
        .await
        .expect("the client gives up in bounded time")
}

const DOC_LIST: &str = r#"{"stepsID":132324,
  "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
  "deviceActivation":{"name":"deviceActivation","status":"todo","order":2},
  "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3}}"#;

fn names(list: &StepsList) -> Vec<&str> {
    list.steps.iter().map(|s| s.name.as_str()).collect()
}

/// No terminal control character, escape or bidi/format character survives.
fn assert_inert(text: &str) {
    let bad = text.chars().find(|&c| {
        c.is_control()
            || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0xFEFF)
    });
    assert_eq!(bad, None, "unsafe character in {text:?}");
}

/// The value of a header in a request head, by case-insensitive name.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

// ---------------------------------------------------------------- requests

#[tokio::test]
async fn requests_carry_the_contract_query_and_headers_under_the_base_path() {
    let server = serve(|_, stream| send(stream, json_200(DOC_LIST))).await;
    let base = format!("{}/api", server.url());
    let gateway = Gateway::new(
        &base,
        DEVICE.into(),
        Some(Secret::new("tok")),
        fast_options(),
    )
    .expect("valid base URL");
    let request = ListRequest {
        lookup: Lookup::StepsId("132324".into()),
        reset: true,
        status: StatusFilter::AlreadyDone,
    };
    gateway.list(&request).await.unwrap();
    gateway.next_step("132324").await.unwrap();

    let heads = server.heads();
    let lines: Vec<_> = heads.iter().map(|h| h.lines().next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            "GET /api/pims/subscription/steps?stepsID=132324&resetSteps=true&stepsStatus=alreadyDone HTTP/1.1",
            "GET /api/pims/subscription/step?stepsID=132324 HTTP/1.1",
        ]
    );
    for head in &heads {
        assert_eq!(header(head, "X-Device-Id"), Some(DEVICE), "{head}");
        assert_eq!(header(head, "Accept"), Some("application/json"), "{head}");
        assert_eq!(header(head, "Authorization"), Some("Bearer tok"), "{head}");
    }
}

#[tokio::test]
async fn a_redirect_to_another_origin_does_not_carry_the_token() {
    let elsewhere = serve(|_, stream| send(stream, json_200(DOC_LIST))).await;
    let target = format!("{}/pims/subscription/steps", elsewhere.url());
    let redirecting = serve(move |_, stream| {
        let location = format!("Location: {target}");
        send(stream, response("307 Temporary Redirect", &[&location], ""))
    })
    .await;
    let gateway = Gateway::new(
        &redirecting.url(),
        DEVICE.into(),
        Some(Secret::new("s3cret")),
        fast_options(),
    )
    .expect("valid base URL");
    let outcome = gateway
        .list(&ListRequest::new(Lookup::Car("987654".into())))
        .await;
    // Following a redirect is the client's choice; leaking the token is not.
    match elsewhere.heads().as_slice() {
        [] => assert!(outcome.is_err(), "{outcome:?}"),
        [head] => {
            assert_eq!(header(head, "Authorization"), None, "{head}");
            assert!(!head.contains("s3cret"), "{head}");
            assert!(outcome.is_ok(), "{outcome:?}");
        }
        many => panic!("the other origin was asked {} times", many.len()),
    }
}

/// A gateway that echoes the token into its list (a step's name and
/// status, the stepsID): the token never reaches the list, so no screen,
/// `--json` or report shows it; an echo in upper case is cut too.
#[tokio::test]
async fn a_token_echoed_into_a_list_never_reaches_it() {
    let token = "SeCrEt-abc_123";
    // The list of a gateway answering `body`, asked with the token.
    let listed = async |body: String| {
        let server = canned("200 OK", &["Content-Type: application/json"], &body).await;
        let gateway = Gateway::new(
            &server.url(),
            DEVICE.into(),
            Some(Secret::new(token)),
            fast_options(),
        )
        .expect("valid base URL");
        gateway
            .list(&ListRequest::new(Lookup::Car("987654".into())))
            .await
    };
    let echoed = format!(
        r#"{{"stepsID":"S1","a":{{"name":"{token}","status":"todo","order":1}},"b":{{"name":"x","status":"{upper}","order":2}}}}"#,
        upper = token.to_ascii_uppercase()
    );
    let list = listed(echoed).await.expect("a list");
    let shown = format!("{list:?}");
    assert!(
        !shown.contains(token) && !shown.contains(&token.to_ascii_uppercase()),
        "{shown}"
    );
    assert!(names(&list).contains(&"<redacted>"), "{shown}");
    // Echoed into the stepsID, which then breaks the id rule: the list is
    // refused, and its words hold no token either.
    let echoed =
        format!(r#"{{"stepsID":"S{token}","a":{{"name":"a","status":"todo","order":1}}}}"#);
    let error = listed(echoed).await.unwrap_err();
    let line = format!("{error:?} {}", words(&error));
    assert!(
        line.contains("S<redacted>") && !line.contains(token),
        "{line}"
    );
}

/// A redirect to another origin (another port here; another host or a
/// downgrade to http alike) is not followed, and is named in the error.
#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_named() {
    let elsewhere = serve(|_, stream| send(stream, json_200(DOC_LIST))).await;
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let target = format!("{}/pims/subscription/steps", elsewhere.url());
        let redirecting = serve(move |_, stream| {
            let location = format!("Location: {target}");
            send(stream, response(status, &[&location], ""))
        })
        .await;
        let outcome = list_from(&redirecting.url()).await;
        let Err(GatewayError::Redirected(refused)) = &outcome else {
            panic!("{status}: {outcome:?}");
        };
        assert!(refused.to.starts_with(&elsewhere.url()), "{refused:?}");
        let words = stepwise::describe::gateway_error(
            stepwise::text::Lang::En,
            outcome.as_ref().unwrap_err(),
        );
        assert!(
            words.contains(&elsewhere.url()) && words.contains("does not follow"),
            "{words}"
        );
    }
    assert_eq!(elsewhere.requests(), 0, "the other origin was asked");
}

/// A redirect whose Location echoes the token (whole or cut short) is
/// named with the token masked.
#[tokio::test]
async fn a_redirect_that_echoes_the_token_is_named_masked() {
    let redirecting = serve(move |_, stream| {
        send(
            stream,
            response(
                "302 Found",
                &["Location: http://evil.example/3cretTok3nABCDEFGH12345xyz"],
                "",
            ),
        )
    })
    .await;
    let gateway = Gateway::new(
        &redirecting.url(),
        DEVICE.into(),
        Some(Secret::new("S3cretTok3nABCDEFGH12345xyz")),
        fast_options(),
    )
    .expect("valid base URL");
    let error = gateway
        .list(&ListRequest::new(Lookup::Car("987654".into())))
        .await
        .expect_err("another origin is not followed");
    let words = stepwise::describe::gateway_error(stepwise::text::Lang::En, &error);
    assert!(words.contains("http://evil.example/<redacted>"), "{words}");
    assert!(!format!("{error} {words}").contains("Tok3n"), "{words}");
}

/// A redirect to https:// on another host (a sign-in page, a portal) is
/// another server, not "the gateway moved to https: use that in --api";
/// to https:// on the same host, it is.
#[tokio::test]
async fn a_redirect_to_https_elsewhere_is_another_server() {
    for (location, moved) in [
        ("https://sso.corp.invalid/auth", false),
        ("https://127.0.0.1/pims/subscription/steps", true),
    ] {
        let redirecting = serve(move |_, stream| {
            let location = format!("Location: {location}");
            send(stream, response("307 Temporary Redirect", &[&location], ""))
        })
        .await;
        let error = list_from(&redirecting.url()).await.unwrap_err();
        let line = words(&error);
        assert_eq!(
            line.contains("Use the https:// address in --api"),
            moved,
            "{line}"
        );
        assert_eq!(line.contains("another server"), !moved, "{line}");
    }
}

/// A refresh whose token endpoint redirects elsewhere sends the refresh
/// token nowhere else: sign-in calls follow no redirect, and say so.
#[tokio::test]
async fn a_refresh_redirected_elsewhere_does_not_carry_the_refresh_token() {
    use stepwise::auth::{AuthError, Credential, ProviderProblem, TokenSource};
    let receiver = serve(|_, stream| send(stream, json_200("{}"))).await;
    for status in [
        "307 Temporary Redirect",
        "308 Permanent Redirect",
        "302 Found",
    ] {
        let target = format!("{}/oauth/token", receiver.url());
        let provider = serve(move |_, stream| {
            let location = format!("Location: {target}");
            send(stream, response(status, &[&location], ""))
        })
        .await;
        let gateway_server = serve(|_, stream| send(stream, json_200(DOC_LIST))).await;
        let credential = Credential {
            access_token: "ACCESS-OLD".into(),
            refresh_token: Some("REFRESH-SECRETMARK".into()),
            expires_at: Some(1),
            lifetime: Some(60),
            token_endpoint: Some(format!("{}/oauth/token", provider.url())),
            ..Credential::given("")
        };
        let source = TokenSource::login(format!("{}/", gateway_server.url()), credential, None);
        let gateway = client(&gateway_server.url(), fast_options()).with_token_source(source);
        let outcome = tokio::time::timeout(
            LIMIT,
            gateway.list(&ListRequest::new(Lookup::Car("987654".into()))),
        )
        .await
        .expect("bounded");
        assert!(
            matches!(
                &outcome,
                Err(GatewayError::Auth(AuthError::Provider(ProviderProblem::Redirected { to, .. })))
                    if to.starts_with(&receiver.url())
            ),
            "{status}: {outcome:?}"
        );
        assert_eq!(provider.requests(), 1, "{status}");
    }
    assert_eq!(receiver.requests(), 0, "the refresh token went elsewhere");
}

/// A redirect within the gateway's own origin is followed.
#[tokio::test]
async fn a_redirect_within_the_gateway_is_followed() {
    let server = serve(|n, stream| {
        let bytes = if n == 0 {
            response(
                "307 Temporary Redirect",
                &["Location: /v2/pims/subscription/steps?carAssociationID=987654"],
                "",
            )
        } else {
            json_200(DOC_LIST)
        };
        send(stream, bytes)
    })
    .await;
    let list = list_from(&server.url()).await.expect("followed");
    assert_eq!(list.steps_id.as_deref(), Some("132324"));
    assert_eq!(server.requests(), 2);
}

/// A redirect within the gateway's server to a page that is no steps call
/// (a sign-in page) is not followed, so the token goes nowhere else, and
/// is said with both addresses, never as "a web page" (stranger 85, CH1).
#[tokio::test]
async fn a_redirect_to_a_sign_in_page_on_the_same_server_is_not_followed() {
    let server = serve(|_, stream| {
        send(
            stream,
            response("302 Found", &["Location: /captive/sso/login"], ""),
        )
    })
    .await;
    let gateway = Gateway::new(
        &server.url(),
        DEVICE.into(),
        Some(Secret::new("s3cret")),
        fast_options(),
    )
    .unwrap();
    let request = ListRequest::new(Lookup::Car("987654".into()));
    let outcome = gateway.list(&request).await;
    let Err(error @ GatewayError::Redirected(refused)) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(refused.to, format!("{}/captive/sso/login", server.url()));
    assert_eq!(server.requests(), 1, "the sign-in page was never asked");
    let line = words(error);
    assert!(
        line.contains(&format!(
            "redirected {}/pims/subscription/steps to {}/captive/sso/login, a page of the same server that is not a steps call",
            server.url(),
            server.url()
        )) && line.contains("nor send the token there"),
        "{line}"
    );
}

/// A guidance page is a web page: its move to another page of the server
/// is followed (doctor's Guidance pages check), where a steps call's move
/// to a page that is no steps call is not (stranger 85, CH1).
#[tokio::test]
async fn a_guidance_page_moved_on_its_server_is_followed() {
    let server = crate::canned::routing(
        vec![
            (
                "GET /guidance/trusterPhoneNumber",
                b"HTTP/1.1 302 Found\r\nLocation: /pages/phone.html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            ),
            (
                "GET /pages/phone.html",
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4\r\nConnection: close\r\n\r\npage".to_vec(),
            ),
        ],
        b"HTTP/1.1 302 Found\r\nLocation: /sso/login\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    stepwise::net::install_provider();
    let http = reqwest::Client::builder()
        .redirect(stepwise::net::gateway_redirects())
        .build()
        .unwrap();
    let page = http
        .get(format!("{server}/guidance/trusterPhoneNumber"))
        .send()
        .await
        .expect("followed");
    assert_eq!(page.status(), 200);
    assert!(page.url().path().ends_with("/pages/phone.html"));
    let steps = http
        .get(format!("{server}/pims/subscription/steps"))
        .send()
        .await;
    assert!(
        steps.as_ref().is_err_and(reqwest::Error::is_redirect),
        "{steps:?}"
    );
}

/// A proxy on loopback that reads each request's first bytes and writes
/// what `answer` gives for them, or closes without a word; its address and
/// its task (abort it when done).
async fn proxy_answering(
    answer: fn(&[u8]) -> Option<&'static [u8]>,
) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 1024];
                let n = stream.read(&mut head).await.unwrap_or(0);
                if let Some(bytes) = answer(&head[..n]) {
                    let _ = stream.write_all(bytes).await;
                }
            });
        }
    });
    (proxy, task)
}

/// A proxy that closes on a plain GET without a word but refuses the
/// tunnel (CONNECT) with 403: its refusal is named, never "it could not
/// reach the gateway … check that the gateway runs" (stranger 90, CM2).
#[tokio::test]
async fn a_tunnel_refused_with_403_by_a_terse_proxy_is_named() {
    let (proxy, task) = proxy_answering(|head| {
        head.starts_with(b"CONNECT ").then_some(
            &b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"[..],
        )
    })
    .await;
    let error = list_through("https://gateway.invalid:8443", &proxy).await;
    task.abort();
    assert!(
        matches!(&error, GatewayError::Proxy { status: 403, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(line.contains("403"), "{line}");
    assert!(!line.contains("Check that the gateway runs"), "{line}");
}

/// A proxy variable naming a TLS server (no HTTP proxy): its TLS alert
/// is said as no HTTP, `stop`, never a tunnel refused or a gateway down
/// (stranger 92, CO1).
#[tokio::test]
async fn a_proxy_variable_naming_a_tls_server_is_said_as_no_http_proxy() {
    // A TLS alert, whatever was asked.
    let (proxy, task) = proxy_answering(|_| Some(&b"\x15\x03\x03\x00\x02\x02\x32"[..])).await;
    let error = list_through("https://gateway.invalid:8443", &proxy).await;
    task.abort();
    assert!(
        matches!(&error, GatewayError::ProxyGarbled { .. }),
        "{error:?}"
    );
    assert_eq!(error.recovery(), stepwise::client::Recovery::Stop);
    let line = words(&error);
    assert!(line.contains("is no HTTP"), "{line}");
    assert!(!line.contains("Check that the gateway runs"), "{line}");
}

/// Asked by stepsID, an answer carrying another stepsID is refused, named.
#[tokio::test]
async fn a_list_of_another_steps_id_is_refused() {
    let other = DOC_LIST.replace("132324", "555555");
    let server = serve(move |_, stream| send(stream, json_200(&other))).await;
    let request = ListRequest::new(Lookup::StepsId("132324".into()));
    let outcome = client(&server.url(), fast_options()).list(&request).await;
    let Err(
        error @ GatewayError::ForeignList {
            asked, answered, ..
        },
    ) = &outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!((asked.as_str(), answered.as_str()), ("132324", "555555"));
    let words = stepwise::describe::gateway_error(stepwise::text::Lang::En, error);
    assert!(
        words.contains("555555") && words.contains("132324"),
        "{words}"
    );
    // Asked by carAssociationID, any stepsID is the vehicle's.
    let by_car = list_from(&server.url()).await.expect("by car");
    assert_eq!(by_car.steps_id.as_deref(), Some("555555"));
}

// ---------------------------------------------------------------- errors

#[tokio::test]
async fn an_html_502_page_becomes_a_one_line_rejection_after_retries() {
    let page = "<html><head><title>502 Bad Gateway</title></head>\
                <body><h1>Bad Gateway</h1></body></html>";
    let server = canned("502 Bad Gateway", &["Content-Type: text/html"], page).await;
    let error = list_from(&server.url()).await.unwrap_err();
    match &error {
        GatewayError::Rejected { status, kind, .. } => {
            assert_eq!((*status, *kind), (502, Rejection::ServerFailure));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let line = words(&error);
    assert!(line.contains("HTTP 502"), "{line}");
    assert!(!line.to_lowercase().contains("<html"), "{line}");
    assert!(!line.contains('\n'), "{line}");
    assert_eq!(server.requests(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn a_200_body_that_is_not_json_is_a_bad_answer() {
    let server = canned("200 OK", &["Content-Type: text/html"], "<html>hello</html>").await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert!(
        matches!(error, GatewayError::BadAnswer(DecodeError::Html)),
        "{error:?}"
    );
    let server = canned("200 OK", &["Content-Type: text/plain"], "hello").await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert!(
        matches!(error, GatewayError::BadAnswer(DecodeError::NotJson { .. })),
        "{error:?}"
    );
}

/// An empty 200 is named as empty, in the chosen language (no English
/// parser text inside German words).
#[tokio::test]
async fn an_empty_200_is_named_empty_in_the_chosen_language() {
    let server = canned("200 OK", &["Content-Type: application/json"], "").await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert!(
        matches!(error, GatewayError::BadAnswer(DecodeError::Empty)),
        "{error:?}"
    );
    let de = stepwise::describe::gateway_error(stepwise::text::Lang::De, &error);
    assert!(de.contains("die Antwort ist leer"), "{de}");
    assert!(!de.contains("empty"), "{de}");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_bad_answer() {
    let server = canned("200 OK", &["Content-Type: application/json"], "[1,2]").await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert!(
        matches!(error, GatewayError::BadAnswer(DecodeError::WrongShape(_))),
        "{error:?}"
    );
    let next = client(&server.url(), fast_options())
        .next_step("132324")
        .await
        .unwrap_err();
    assert!(matches!(next, GatewayError::BadAnswer(_)), "{next:?}");
}

#[tokio::test]
async fn a_huge_chunked_body_is_cut_off_early() {
    let (server, written) = flooding(true, 30 * MIB).await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert_eq!(error, GatewayError::TooLarge { limit: MIB });
    let written = tokio::time::timeout(LIMIT, written)
        .await
        .expect("the client hung up")
        .expect("the server reported");
    assert!(written < 4 * MIB, "the client accepted {written} bytes");
    assert_eq!(server.requests(), 1, "a too large answer is not retried");
}

#[tokio::test]
async fn a_huge_content_length_is_refused_without_reading_it() {
    let (server, written) = flooding(false, 30 * MIB).await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert_eq!(error, GatewayError::TooLarge { limit: MIB });
    let written = tokio::time::timeout(LIMIT, written)
        .await
        .expect("the client hung up")
        .expect("the server reported");
    assert!(written < 4 * MIB, "the client accepted {written} bytes");
}

/// An answer that began (its head and part of its body) and then stopped,
/// the connection held open: said as an answer cut short, never "did not
/// answer ... busy or hung" (stranger 87, CJ3).
#[tokio::test]
async fn an_answer_that_stalls_part_way_is_said_cut_not_unanswered() {
    let server = serve(|_, mut stream| async move {
        use tokio::io::AsyncWriteExt;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 232\r\n\r\n{\"stepsID\":\"132324\",\"trusterPhone";
        if stream.write_all(head.as_bytes()).await.is_ok() {
            std::future::pending::<()>().await;
        }
    })
    .await;
    let options = ClientOptions {
        timeout: Duration::from_millis(300),
        retries: 0,
        ..fast_options()
    };
    let error = returns(list_with(&server.url(), options))
        .await
        .unwrap_err();
    let line = words(&error);
    assert!(
        line.starts_with("the gateway's answer was cut short (it began, then stopped part-way")
            && line.contains("something on the way (a proxy) cuts its answers"),
        "{error:?}: {line}"
    );
    assert!(!line.contains("did not answer"), "{line}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = serve(|_, stream| async move {
        let _held = stream;
        std::future::pending::<()>().await;
    })
    .await;
    let options = ClientOptions {
        timeout: Duration::from_millis(300),
        ..fast_options()
    };
    let error = returns(list_with(&server.url(), options))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            GatewayError::TimedOut { after, .. } if after == Duration::from_millis(300)
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let error = list_from(&url).await.unwrap_err();
    assert!(
        matches!(error, GatewayError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(words(&error).contains("cannot reach"), "{error}");
}

#[tokio::test]
async fn a_server_that_hangs_up_without_answering_is_retried_then_reported() {
    let server = serve(|_, stream| async move { drop(stream) }).await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert!(matches!(error, GatewayError::Transport(_)), "{error:?}");
    assert_eq!(server.requests(), 3);
}

// ---------------------------------------------------------------- retries

#[tokio::test]
async fn a_429_with_retry_after_zero_is_retried_once() {
    let server = serve(|n, stream| {
        let bytes = if n == 0 {
            response(
                "429 Too Many Requests",
                &["Retry-After: 0", "Content-Type: application/json"],
                r#"{"message":"slow down"}"#,
            )
        } else {
            json_200(DOC_LIST)
        };
        send(stream, bytes)
    })
    .await;
    let list = list_from(&server.url()).await.unwrap();
    assert_eq!(list.steps_id.as_deref(), Some("132324"));
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_429_asking_for_a_long_wait_is_reported_not_waited_for() {
    let server = canned("429 Too Many Requests", &["Retry-After: 3600"], "").await;
    let error = returns(list_from(&server.url())).await.unwrap_err();
    assert_eq!(error.rejection(), Some(Rejection::TooManyRequests));
    assert_eq!(server.requests(), 1);
}

/// The pause every request keeps after a 429 is the gateway's own ask
/// (the screen says it), not the longest wait one call retries after: a
/// gateway asking 120 s is said to, and kept to, 120 s.
#[tokio::test]
async fn the_pause_said_after_a_429_is_the_wait_the_gateway_asked() {
    let (error, said) = pauses_said("Retry-After: 120").await;
    assert_eq!(error.rejection(), Some(Rejection::TooManyRequests));
    assert_eq!(said, [Duration::from_secs(120)]);
    // A wild ask is kept to an hour.
    let (_, said) = pauses_said("Retry-After: 99999999").await;
    assert_eq!(said, [Duration::from_secs(3600)]);
    // No Retry-After: stepwise's own short back-off is no wait the
    // gateway asked, and is not said as one (stranger 87, CJ4).
    let (error, said) = pauses_said("X-Limit: yes").await;
    assert_eq!(error.rejection(), Some(Rejection::TooManyRequests));
    assert!(said.is_empty(), "{said:?}");
}

/// A 408 (request timeout) with nothing in it is a passing fault of the
/// way, retried, never "the gateway refused the request. Check --api"
/// (stranger 87, CJ1).
#[tokio::test]
async fn a_408_is_retried_and_said_as_a_timeout_not_a_refusal() {
    let server = canned("408 Request Timeout", &["Content-Length: 0"], "").await;
    let error = returns(list_from(&server.url())).await.unwrap_err();
    assert_eq!(error.rejection(), Some(Rejection::RequestTimeout));
    assert_eq!(
        error.recovery(),
        stepwise::client::Recovery::Retry { now: true }
    );
    assert!(server.requests() > 1, "it was retried");
    let line = words(&error);
    assert!(
        line.starts_with("HTTP 408: the gateway, or something in front of it, gave up waiting for the whole request")
            && line.contains("Retry; if it persists"),
        "{line}"
    );
    assert!(!line.contains("Check --api"), "{line}");
}

/// A list asked of a gateway that answers 429 with `retry_after`: the
/// error, and every pause the client told the screen of.
async fn pauses_said(retry_after: &str) -> (GatewayError, Vec<Duration>) {
    let server = canned("429 Too Many Requests", &[retry_after], "").await;
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut options = fast_options();
    let heard = std::sync::Arc::clone(&said);
    options.on_pause = Some(stepwise::client::OnWait(std::sync::Arc::new(move |wait| {
        heard.lock().unwrap().push(wait);
    })));
    let error = returns(list_with(&server.url(), options))
        .await
        .unwrap_err();
    let said = said.lock().unwrap().clone();
    (error, said)
}

/// A gateway that answers 429 again after every wait it asked for: the
/// advice is no longer "wait that long, then retry" (just done), but that
/// it still limits after the wait asked, which stepwise kept.
#[tokio::test]
async fn a_429_after_its_waits_were_kept_says_it_still_limits() {
    let server = canned("429 Too Many Requests", &["Retry-After: 1"], "").await;
    let error = returns(list_from(&server.url())).await.unwrap_err();
    assert!(server.requests() > 1, "it was retried");
    let line = words(&error);
    assert!(
        line.contains("It still limits after the wait its Retry-After asked"),
        "{line}"
    );
    assert!(!line.contains("Wait 1 s"), "{line}");
}

#[tokio::test]
async fn a_5xx_then_a_200_is_retried_and_succeeds() {
    let server = serve(|n, stream| {
        let bytes = if n == 0 {
            response("503 Service Unavailable", &[], "busy")
        } else {
            json_200(DOC_LIST)
        };
        send(stream, bytes)
    })
    .await;
    let list = list_from(&server.url()).await.unwrap();
    assert_eq!(
        names(&list),
        ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"]
    );
    assert_eq!(server.requests(), 2);
}

// ---------------------------------------------------------------- hostile text

#[tokio::test]
async fn escape_sequences_and_bidi_characters_are_removed_from_decoded_text() {
    let body = r#"{"stepsID":"13\u001b]0;owned\u0007\u202e2324\u001b[31m",
      "a":{"name":"device\u001b]0;owned\u0007Act\u001b[31mivation\u202e","status":"todo","order":1},
      "b":{"name":"\u202eevil\u001b[2J\u0007","status":"\u001b[5mpend\u202eing","order":2}}"#;
    let server = canned("200 OK", &["Content-Type: application/json"], body).await;
    let list = list_from(&server.url()).await.unwrap();

    assert_eq!(list.steps_id.as_deref(), Some("132324"));
    assert_eq!(names(&list), ["deviceActivation", "evil"]);
    assert_eq!(list.steps[1].status, Status::Other("pending".into()));
    assert_inert(list.steps_id.as_deref().unwrap_or_default());
    for step in &list.steps {
        assert_inert(&step.name);
        assert_inert(step.status.as_wire());
        assert_inert(&stepwise::guidance::step_title(
            stepwise::text::Lang::En,
            &step.name,
        ));
    }
}

#[tokio::test]
async fn escape_sequences_in_a_next_step_are_removed() {
    let body = r#"{"x":{"name":"\u001b]0;owned\u0007medium\u202eCar\u001b[31mKey","status":"todo","order":1}}"#;
    let server = canned("200 OK", &["Content-Type: application/json"], body).await;
    let step = client(&server.url(), fast_options())
        .next_step("1")
        .await
        .unwrap()
        .expect("a next step");
    assert_eq!(step.name, "mediumCarKey");
    assert_inert(&step.name);
}

#[tokio::test]
async fn escape_sequences_in_an_error_message_never_reach_the_display() {
    let body =
        r#"{"code":2346,"message":"no \u001b]0;owned\u0007step\u001b[31m here\u0007\u202e"}"#;
    let server = canned("404 Not Found", &["Content-Type: application/json"], body).await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert_eq!(error.sdk_code(), Some(2346));
    let line = words(&error);
    assert!(line.contains("no step here"), "{line}");
    assert!(
        !line.contains('\u{1b}') && !line.contains('\u{7}'),
        "{line:?}"
    );
    assert_inert(&line);
}

#[tokio::test]
async fn raw_escape_bytes_in_a_non_json_error_body_never_reach_the_display() {
    let body = "\u{1b}]0;owned\u{7}\u{1b}[31mboom\u{202e}";
    let server = canned("400 Bad Request", &["Content-Type: text/plain"], body).await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert_eq!(error.rejection(), Some(Rejection::BadRequest));
    assert_inert(&words(&error));
    assert_inert(&error.to_string());
}

// ---------------------------------------------------------------- tolerance

#[tokio::test]
async fn a_step_of_unknown_status_is_not_done_and_is_next() {
    let body = r#"{"stepsID":7,
      "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
      "deviceActivation":{"name":"deviceActivation","status":"pending","order":2},
      "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3}}"#;
    let server = canned("200 OK", &["Content-Type: application/json"], body).await;
    let list = list_from(&server.url()).await.unwrap();
    let pending = list.find("deviceActivation").expect("listed");
    assert_eq!(pending.status, Status::Other("pending".into()));
    assert!(!pending.status.is_done());
    assert_eq!(
        list.next().map(|s| s.name.as_str()),
        Some("deviceActivation")
    );
    assert!(!list.all_done());
}

#[tokio::test]
async fn members_in_any_order_string_ids_gaps_and_ties_decode_and_sort() {
    let body = r#"{
      "zeta":{"name":"zeta","status":"todo","order":40},
      "extra":[1,2,3],
      "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":40,"hint":"x"},
      "stepsID":" A-9 ",
      "noOrder":{"name":"noOrder","status":"todo"},
      "deviceActivation":{"name":"deviceActivation","status":"todo","order":"25"},
      "note":"ignored",
      "trustedPhone":{"name":"trustedPhone","status":"alreadyDone","order":10}}"#;
    let server = canned("200 OK", &["Content-Type: application/json"], body).await;
    let list = list_from(&server.url()).await.unwrap();
    assert_eq!(list.steps_id.as_deref(), Some("A-9"));
    let view: Vec<_> = list
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.order))
        .collect();
    assert_eq!(
        view,
        [
            ("trusterPhoneNumber", Some(10)),
            ("deviceActivation", Some(25)),
            ("mediumCarKey", Some(40)),
            ("zeta", Some(40)),
            ("noOrder", None),
        ]
    );
    assert_eq!(
        list.next().map(|s| s.name.as_str()),
        Some("deviceActivation")
    );
}

#[tokio::test]
async fn an_empty_list_and_a_null_next_step_are_fine() {
    let server =
        serve(|n, stream| send(stream, json_200(if n == 0 { "{}" } else { "null" }))).await;
    let list = list_from(&server.url()).await.unwrap();
    assert!(list.steps.is_empty() && !list.all_done() && !list.has_pending());
    let next = client(&server.url(), fast_options())
        .next_step("1")
        .await
        .unwrap();
    assert_eq!(next, None);
}

/// Awaits a client call that must end by itself: a guard against a hang (a
/// client that waits for ever fails here), not a measure of speed.
async fn returns<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), call)
        .await
        .expect("the call ended by itself")
}

/// The line a person reads about `error` (the CLI's and the wizard's words).
fn words(error: &GatewayError) -> String {
    stepwise::describe::gateway_error(stepwise::text::Lang::En, error)
}

// ------------------------------------------------ who answered, in words

/// A client of `gateway` that goes through `proxy` (a plain HTTP proxy).
fn through(gateway: &str, proxy: &str) -> Gateway {
    let mut options = fast_options();
    options.net.proxy = stepwise::net::ProxyEnv::with_proxy(proxy, None);
    client(gateway, options)
}

async fn list_through(gateway: &str, proxy: &str) -> GatewayError {
    let request = ListRequest::new(Lookup::Car("987654".into()));
    returns(through(gateway, proxy).list(&request))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_404_without_the_contract_error_body_says_the_address_is_no_gateway() {
    let page = "<html><head><title>404 Not Found</title></head><body>nginx</body></html>";
    let server = canned("404 Not Found", &["Content-Type: text/html"], page).await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert!(
        matches!(error, GatewayError::NotAGateway { status: 404, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(line.contains("is not a steps gateway"), "{line}");
    assert!(line.contains("--api"), "{line}");
    assert!(!line.contains("carAssociationID or stepsID"), "{line}");
    // The contract's own 404 still means an unknown id.
    let body = r#"{"message":"unknown carAssociationID 987654"}"#;
    let gateway = canned("404 Not Found", &["Content-Type: application/json"], body).await;
    let line = words(&list_from(&gateway.url()).await.unwrap_err());
    assert!(line.contains("does not know this id"), "{line}");
}

#[tokio::test]
async fn a_proxy_that_wants_a_password_is_named_not_the_gateway() {
    let proxy = canned(
        "407 Proxy Authentication Required",
        &[
            "Proxy-Authenticate: Basic realm=\"shop\"",
            "Content-Type: text/html",
        ],
        "<html><title>ERROR: Cache Access Denied</title></html>",
    )
    .await;
    let error = list_through("http://gateway.invalid:8080", &proxy.url()).await;
    assert!(
        matches!(&error, GatewayError::Proxy { status: 407, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.starts_with(&format!(
            "the proxy {} (from ALL_PROXY) answered HTTP 407",
            proxy.url()
        )),
        "{line}"
    );
    assert!(line.contains("user name and password"), "{line}");
    assert!(!line.contains("--api"), "{line}");
    assert_eq!(proxy.requests(), 1, "a 407 is not retried");
}

/// A 407 to the user name and password the proxy variable gave: the
/// proxy refused those, so the words are not "put them in the variable"
/// (a stranger's proxy credentials were there already), on a plain
/// request and on an https tunnel alike.
#[tokio::test]
async fn a_proxy_that_refuses_the_given_password_says_so() {
    let proxy = canned(
        "407 Proxy Authentication Required",
        &[
            "Proxy-Authenticate: Basic realm=\"shop\"",
            "Content-Type: text/html",
        ],
        "<html><title>ERROR: Cache Access Denied</title></html>",
    )
    .await;
    let with_password = proxy.url().replacen("http://", "http://bay7:wrong@", 1);
    for gateway in ["http://gateway.invalid:8080", "https://gateway.invalid"] {
        let error = list_through(gateway, &with_password).await;
        assert!(
            matches!(&error, GatewayError::ProxyCredentialsRefused { .. }),
            "{gateway}: {error:?}"
        );
        let line = words(&error);
        assert!(
            line.starts_with(&format!(
                "the proxy {} (from ALL_PROXY) refused the user name and password in the proxy variable (HTTP 407)",
                proxy.url()
            )),
            "{line}"
        );
        assert!(
            !line.contains("wrong"),
            "the password is never shown: {line}"
        );
        assert!(!line.contains("put them in"), "{line}");
    }
}

/// A 407 with no proxy set here comes from the network's own (an
/// intercepting proxy): named as such, never "the gateway refused the
/// request, check --api".
#[tokio::test]
async fn a_407_with_no_proxy_set_names_the_network_s_proxy() {
    let intercepting = canned(
        "407 Proxy Authentication Required",
        &[
            "Proxy-Authenticate: Basic realm=\"corp\"",
            "Content-Type: text/html",
        ],
        "<html><title>Authentication required</title></html>",
    )
    .await;
    let error = list_from(&intercepting.url()).await.unwrap_err();
    assert!(
        matches!(&error, GatewayError::Proxy { status: 407, proxy, .. } if proxy.is_empty()),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.starts_with("a proxy of this network answered HTTP 407 itself"),
        "{line}"
    );
    assert!(line.contains("though none is set here"), "{line}");
    assert!(line.contains("HTTPS_PROXY"), "{line}");
    assert!(!line.contains("--api"), "{line}");
    assert_eq!(intercepting.requests(), 1, "a 407 is not retried");
}

#[tokio::test]
async fn a_squid_error_page_names_the_proxy_and_what_it_said() {
    let proxy = canned(
        "503 Service Unavailable",
        &[
            "Server: squid/5.7",
            "X-Squid-Error: ERR_CONNECT_FAIL 111",
            "Content-Type: text/html",
        ],
        "<html><title>ERROR: The requested URL could not be retrieved</title></html>",
    )
    .await;
    let error = list_through("http://gateway.invalid:8080", &proxy.url()).await;
    let line = words(&error);
    assert!(
        line.contains("answered HTTP 503 itself (ERR_CONNECT_FAIL 111)"),
        "{line}"
    );
    assert!(line.contains("did not pass this request on"), "{line}");
    assert!(!line.contains("the gateway failed"), "{line}");
}

/// A proxy that refuses the request by its own rules (squid's 403 page),
/// with no user name or password in its variable: its policy is named,
/// never "it refused its user name and password".
#[tokio::test]
async fn a_proxy_s_403_is_its_rules_not_a_refused_password() {
    let proxy = canned(
        "403 Forbidden",
        &["Server: squid", "Content-Type: text/html"],
        "<html><body><h1>403 Forbidden</h1>Squid</body></html>",
    )
    .await;
    let error = list_through("http://gateway.invalid:8080", &proxy.url()).await;
    assert!(
        matches!(&error, GatewayError::Proxy { status: 403, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.contains("refuses this request by its own rules"),
        "{line}"
    );
    assert!(line.contains("NO_PROXY"), "{line}");
    assert!(!line.contains("password"), "{line}");
}

/// A proxy's own 401 (tinyproxy's Basic login): with none in its variable,
/// it wants a user name and password there (never "refused" what was not
/// given); with some, it refused them, or the login is a web server's
/// behind the proxy, which the variable cannot answer (both said). Neither
/// is a sign-in matter.
#[tokio::test]
async fn a_proxy_refusing_its_password_with_401_is_not_a_sign_in_matter() {
    let proxy = canned(
        "401 Unauthorized",
        &[
            "Server: tinyproxy/1.11.1",
            "WWW-Authenticate: Basic realm=\"tinyproxy\"",
            "Content-Type: text/html",
        ],
        "<html><head><title>Unauthorized</title></head></html>",
    )
    .await;
    let error = list_through("http://gateway.invalid:8080", &proxy.url()).await;
    assert!(
        matches!(&error, GatewayError::Proxy { status: 401, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.contains("takes them from the proxy variable (http://user:password@proxy:port)")
            && line.contains("a web server's login behind the proxy takes none from it"),
        "{line}"
    );
    assert!(!line.contains("refused"), "{line}");
    assert!(!line.contains("stepwise login"), "{line}");
    let with_password = proxy.url().replace("http://", "http://tech:wrong@");
    let line = words(&list_through("http://gateway.invalid:8080", &with_password).await);
    assert!(
        line.contains("although the proxy variable carries some: the proxy refused them")
            && line.contains("or the login is a web server's behind the proxy"),
        "{line}"
    );
    assert!(
        !line.contains("wrong"),
        "the password is never shown: {line}"
    );
    assert!(!line.contains("stepwise login"), "{line}");
    // The gateway's own answer, passed on by the proxy, stays the gateway's.
    let forwarding = canned(
        "503 Service Unavailable",
        &["Content-Type: application/json"],
        r#"{"message":"maintenance"}"#,
    )
    .await;
    let line = words(&list_through("http://gateway.invalid:8080", &forwarding.url()).await);
    assert!(line.contains("the gateway failed (maintenance)"), "{line}");
}

/// A bare 401 through a proxy (no challenge, no body) may be the gateway's
/// (the contract allows an error body that is none) or the proxy's: said
/// as the gateway's (a token, `sign_in`, status 401) with the proxy named
/// next as the other cause (stranger 83, CF1; stranger 43, AR5, asked for
/// the proxy). Through a proxy that marks the 401 as its own, the proxy's.
#[tokio::test]
async fn a_bare_401_through_a_proxy_names_the_token_then_the_proxy() {
    let proxy = canned("401 Unauthorized", &["Content-Length: 0"], "").await;
    let error = list_through("http://gateway.invalid:8080", &proxy.url()).await;
    match &error {
        GatewayError::Unauthorized {
            sent: None,
            through: Some(via),
            ..
        } => {
            assert_eq!(via.proxy, proxy.url());
            assert_eq!(via.host, "gateway.invalid");
        }
        other => panic!("expected a 401 through the proxy, got {other:?}"),
    }
    assert_eq!(error.rejection(), Some(Rejection::Unauthorized));
    let line = words(&error);
    let token = line.find("the gateway wants a token, and none was sent");
    let named = line.find(&format!("came through the proxy {}", proxy.url()));
    assert!(
        matches!((token, named), (Some(t), Some(n)) if t < n),
        "the token first, then the proxy: {line}"
    );
    assert!(
        line.contains("which the proxy itself may have given")
            && line.ends_with(
                "or set NO_PROXY=gateway.invalid if the gateway can be reached directly"
            ),
        "{line}"
    );
    assert!(!line.contains("never reached the gateway"), "{line}");
    // Marked as the proxy's own (squid's X-Squid-Error): the proxy's.
    let marked = canned(
        "401 Unauthorized",
        &[
            "Content-Length: 0",
            "X-Squid-Error: ERR_CACHE_ACCESS_DENIED 0",
        ],
        "",
    )
    .await;
    let error = list_through("http://gateway.invalid:8080", &marked.url()).await;
    assert!(
        matches!(&error, GatewayError::Proxy { status: 401, .. }),
        "{error:?}"
    );
    assert!(!words(&error).contains("stepwise login"), "{error:?}");
}

/// A web page's 400 with no gateway's error body (nginx's "Request
/// Header Or Cookie Too Large", a WAF's page): something in front refused
/// the request, the gateway never acted on it; never "check the id you
/// typed", which stepwise checked before sending.
#[tokio::test]
async fn a_web_page_s_400_is_the_front_s_not_the_id_s() {
    let server = canned(
        "400 Bad Request",
        &["Server: nginx", "Content-Type: text/html"],
        "<html><h1>400 Bad Request</h1>Request Header Or Cookie Too Large<hr>nginx</html>",
    )
    .await;
    let error = list_from(&server.url()).await.unwrap_err();
    assert!(
        matches!(&error, GatewayError::Refused { status: 400, .. }),
        "{error:?}"
    );
    let line = words(&error);
    assert!(
        line.contains(
            "with a web page, without a gateway's error body: something in front of the gateway"
        ) && line.contains("the gateway never acted on it"),
        "{line}"
    );
    assert!(!line.contains("the id you typed"), "{line}");
    assert_eq!(
        stepwise::describe::gateway_headline(stepwise::text::Lang::En, &error),
        "Request refused"
    );
    // The same for a page's 431 (headers too large for a proxy in front):
    // never "check --api and retry".
    let large = canned(
        "431 Request Header Fields Too Large",
        &["Content-Type: text/html"],
        "<html>hdr too large</html>",
    )
    .await;
    let line = words(&list_from(&large.url()).await.unwrap_err());
    assert!(
        line.contains("answered HTTP 431 with a web page")
            && !line.contains("Check --api and retry"),
        "{line}"
    );
    // A gateway without the status filter says so in its words: the fix
    // is to list without it, not a proxy changing requests.
    let no_filter = canned(
        "400 Bad Request",
        &["Content-Type: application/json"],
        r#"{"message":"unknown parameter stepsStatus"}"#,
    )
    .await;
    // Asked for every step (no filter chosen), with stepsStatus=all and
    // then without it: refused both ways, the operator's to fix, never
    // "list without it (no --status)" (stranger 50, AY2).
    let line = words(&list_from(&no_filter.url()).await.unwrap_err());
    assert!(
        line.contains("though none was chosen") && line.contains("Tell the gateway's operator"),
        "{line}"
    );
    assert!(
        !line.contains("no --status") && !line.contains("proxy"),
        "{line}"
    );
    let heads = no_filter.heads();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads[0].contains("stepsStatus=all"), "{heads:?}");
    assert!(!heads[1].contains("stepsStatus"), "{heads:?}");
    // With a filter chosen, the filter is what to drop.
    let request = ListRequest {
        status: StatusFilter::Todo,
        ..ListRequest::new(Lookup::Car("987654".into()))
    };
    let error = client(&no_filter.url(), fast_options())
        .list(&request)
        .await
        .unwrap_err();
    let line = words(&error);
    assert!(
        line.contains("this gateway does not take it. List without it (no --status"),
        "{line}"
    );
    // The gateway's own 400, with its error body, stays about the request.
    let own = canned(
        "400 Bad Request",
        &["Content-Type: application/json"],
        r#"{"message":"stepsStatus must be todo, alreadyDone or all"}"#,
    )
    .await;
    let line = words(&list_from(&own.url()).await.unwrap_err());
    assert!(!line.contains("something in front"), "{line}");
}

/// A proxy that carried this run's lists to a gateway on this machine and
/// then answers an error page of its own: a failure for now, said as the
/// proxy's and tried again, never "it cannot reach this machine's own
/// addresses" (stranger 53, BB3).
#[tokio::test]
async fn a_proxy_that_carried_lists_and_then_fails_is_no_loopback_trouble() {
    let listed = response("200 OK", &["Content-Type: application/json"], DOC_LIST);
    let page = response(
        "502 Bad Gateway",
        &["Content-Type: text/html"],
        "<html><head><title>502 Bad Gateway</title></head></html>",
    );
    let proxy = serve(move |n, stream| {
        let answer = if n == 0 { listed.clone() } else { page.clone() };
        send(stream, answer)
    })
    .await;
    let running = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let gateway = format!("http://127.0.0.1:{}", running.local_addr().unwrap().port());
    let mut options = fast_options();
    options.retries = 0;
    options.net.proxy = stepwise::net::ProxyEnv::with_proxy(&proxy.url(), None);
    let client = client(&gateway, options);
    let request = ListRequest::new(Lookup::Car("987654".into()));
    client
        .list(&request)
        .await
        .expect("the first list comes through");
    let error = client.list(&request).await.unwrap_err();
    assert!(
        !matches!(error, GatewayError::ProxyLoopback { .. }),
        "{error:?}"
    );
    assert!(error.is_passing(), "{error:?}");
    let line = words(&error);
    assert!(line.contains("through the proxy"), "{line}");
    assert!(!line.contains("own addresses"), "{line}");
}

/// A gateway that refuses `stepsStatus=all` (a 400 naming it) and
/// answers without it: the list comes, and later lists of every step go
/// without it at once (stranger 50, AY2).
#[tokio::test]
async fn a_gateway_refusing_steps_status_all_is_asked_without_it() {
    let refused = response(
        "400 Bad Request",
        &["Content-Type: application/json"],
        r#"{"message":"unknown parameter stepsStatus"}"#,
    );
    let listed = response("200 OK", &["Content-Type: application/json"], DOC_LIST);
    let gateway = serve(move |n, stream| {
        let answer = if n == 0 {
            refused.clone()
        } else {
            listed.clone()
        };
        send(stream, answer)
    })
    .await;
    let client = client(&gateway.url(), fast_options());
    let request = ListRequest::new(Lookup::Car("987654".into()));
    let list = client.list(&request).await.expect("asked again without it");
    assert_eq!(list.steps.len(), 3);
    client.list(&request).await.expect("the next list too");
    let heads = gateway.heads();
    assert_eq!(heads.len(), 3, "{heads:?}");
    assert!(heads[0].contains("stepsStatus=all"), "{heads:?}");
    assert!(
        heads[1..].iter().all(|h| !h.contains("stepsStatus")),
        "{heads:?}"
    );
    // Watch's polls go without it too.
    let options = stepwise::client::live::LiveOptions {
        stream: false,
        ..Default::default()
    };
    let mut updates = stepwise::client::live::follow_with(client, vec!["132324".into()], options);
    while !matches!(
        crate::live::next(&mut updates).await,
        Some(stepwise::client::live::LiveUpdate::List(_))
    ) {}
    let heads = gateway.heads();
    assert_eq!(heads.len(), 4, "{heads:?}");
    assert!(!heads[3].contains("stepsStatus"), "{heads:?}");
}

/// Error bodies of other common shapes (RFC 7807's problem+json, OAuth's
/// `error`): their words are shown. A 404 whose words name an id is the
/// gateway not knowing it; a framework's own 404 (`"error": "Not Found"`)
/// stays a wrong address; a 403's words go with the refusal, never read as
/// another device's stepsID.
#[tokio::test]
async fn error_bodies_of_other_shapes_are_read() {
    let problem = |status: &str, body: &str| {
        let (status, body) = (status.to_owned(), body.to_owned());
        async move { canned(&status, &["Content-Type: application/problem+json"], &body).await }
    };
    let unknown = problem(
        "404 Not Found",
        r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"unknown carAssociationID 987654"}"#,
    )
    .await;
    let line = words(&list_from(&unknown.url()).await.unwrap_err());
    assert!(
        line.contains("does not know this id") && line.contains("unknown carAssociationID 987654"),
        "{line}"
    );
    assert!(!line.contains("not a steps gateway"), "{line}");
    let framework = problem(
        "404 Not Found",
        r#"{"timestamp":"2026-12-06T06:00:00Z","status":404,"error":"Not Found","path":"/x/pims/subscription/steps"}"#,
    )
    .await;
    let line = words(&list_from(&framework.url()).await.unwrap_err());
    assert!(line.contains("not a steps gateway"), "{line}");
    // Words of the gateway's own that name no id: as the contract's shape
    // without a code, never "not a steps gateway" (stranger 57, BF2).
    let own = problem(
        "404 Not Found",
        r#"{"type":"about:blank","title":"Not Found","detail":"Vehicle 987654 is not registered"}"#,
    )
    .await;
    let line = words(&list_from(&own.url()).await.unwrap_err());
    assert!(
        line.contains("(Vehicle 987654 is not registered)"),
        "{line}"
    );
    assert!(!line.contains("not a steps gateway"), "{line}");
    let refused = problem(
        "403 Forbidden",
        r#"{"title":"Forbidden","status":403,"detail":"vehicle not in dealer contract"}"#,
    )
    .await;
    let error = list_from(&refused.url()).await.unwrap_err();
    assert!(matches!(error, GatewayError::Refused { .. }), "{error:?}");
    assert!(
        words(&error).contains("(vehicle not in dealer contract)"),
        "{}",
        words(&error)
    );
    let conflict = problem(
        "409 Conflict",
        r#"{"error":"steps locked by another session"}"#,
    )
    .await;
    let line = words(&list_from(&conflict.url()).await.unwrap_err());
    assert!(line.contains("steps locked by another session"), "{line}");
}

#[tokio::test]
async fn nginx_asking_for_a_client_certificate_is_named() {
    let cases = [
        (
            "400 No required SSL certificate was sent",
            "requires a client certificate. Give one with --client-cert",
        ),
        (
            "400 The SSL certificate error",
            "refused the client certificate (400 The SSL certificate error)",
        ),
        (
            "400 The plain HTTP request was sent to HTTPS port",
            "speaks TLS, but --api says http://. Use https://",
        ),
    ];
    for (title, expected) in cases {
        let page = format!("<html><head><title>{title}</title></head><body>nginx</body></html>");
        let server = canned("400 Bad Request", &["Server: nginx/1.22.1"], &page).await;
        let line = words(&list_from(&server.url()).await.unwrap_err());
        assert!(line.contains(expected), "{title}: {line}");
        assert!(!line.contains("the id you typed"), "{line}");
    }
}

/// Go's net/http (Caddy, Traefik, many gateways) answers plain HTTP at its
/// TLS port with one line of text: the port wants https://, the id typed
/// is not at fault.
#[tokio::test]
async fn go_s_plain_http_to_https_answer_is_named() {
    let server = canned(
        "400 Bad Request",
        &["Content-Type: text/plain; charset=utf-8"],
        "Client sent an HTTP request to an HTTPS server.\n",
    )
    .await;
    let line = words(&list_from(&server.url()).await.unwrap_err());
    assert!(
        line.contains("speaks TLS, but --api says http://. Use https://"),
        "{line}"
    );
    assert!(!line.contains("the id you typed"), "{line}");
}

/// A web page's 401 with no challenge at all (nginx's own "401
/// Authorization Required" in front of the gateway) is something in front
/// asking for a login, never "the gateway wants a token" with sign-in as
/// the way on; with the gateway's Bearer challenge it is the gateway's
/// (stranger 77, BZ2).
#[tokio::test]
async fn a_401_page_without_a_challenge_is_a_login_in_front() {
    let page = "<html><head><title>401 Authorization Required</title></head><body><h1>401 Authorization Required</h1>nginx</body></html>";
    let server = canned("401 Unauthorized", &["Content-Type: text/html"], page).await;
    let error = list_from(&server.url()).await.unwrap_err();
    let line = words(&error);
    assert!(
        line.contains(&format!(
            "{}/ answered HTTP 401 (401 Authorization Required) with a web page and no sign-in challenge",
            server.url()
        )) && line.contains("something in front of the gateway (a reverse proxy, a web server or a portal) asks for a login of its own"),
        "{line}"
    );
    assert!(!line.contains("the gateway wants a token, and"), "{line}");
    assert_ne!(error.recovery(), stepwise::client::Recovery::SignIn);
    // The gateway's own challenge on the same page: a token it wants.
    let challenged = canned(
        "401 Unauthorized",
        &[
            "Content-Type: text/html",
            "WWW-Authenticate: Bearer realm=\"steps\"",
        ],
        page,
    )
    .await;
    let error = list_from(&challenged.url()).await.unwrap_err();
    assert_eq!(error.recovery(), stepwise::client::Recovery::SignIn);
    assert!(
        words(&error).contains("the gateway wants a token"),
        "{}",
        words(&error)
    );
}

#[tokio::test]
async fn a_401_says_whether_a_token_was_sent_and_where_it_came_from() {
    let server = canned(
        "401 Unauthorized",
        &["WWW-Authenticate: Bearer", "Content-Type: application/json"],
        r#"{"message":"missing or wrong bearer token"}"#,
    )
    .await;
    let request = ListRequest::new(Lookup::Car("987654".into()));
    let none = list_from(&server.url()).await.unwrap_err();
    assert_eq!(
        none,
        GatewayError::Unauthorized {
            sent: None,
            expired: None,
            said: None,
            through: None,
        }
    );
    let line = words(&none);
    assert!(line.contains("none was sent"), "{line}");
    assert_eq!(none.rejection(), Some(Rejection::Unauthorized));
    let from_file = Gateway::new(
        &server.url(),
        DEVICE.into(),
        Some(Secret::new("tok-123")),
        fast_options(),
    )
    .unwrap()
    .with_token_from(Some(stepwise::config::TokenFrom::TokenFile));
    let refused = returns(from_file.list(&request)).await.unwrap_err();
    let line = words(&refused);
    assert!(
        line.contains("refused the token from --token-file"),
        "{line}"
    );
    assert!(!line.contains("give a token with --token-file"), "{line}");
}

#[tokio::test]
async fn plain_http_to_a_tls_port_says_to_use_https() {
    // What a TLS server sends back to a plain HTTP request: an alert record.
    let server = serve(|_, stream| send(stream, b"\x15\x03\x03\x00\x02\x02\x46".to_vec())).await;
    let error = list_from(&server.url()).await.unwrap_err();
    let line = words(&error);
    assert!(matches!(error, GatewayError::WantsTls { .. }), "{error:?}");
    assert!(line.contains("Use https:// in --api"), "{line}");
}

#[tokio::test]
async fn a_redirect_loop_is_named_as_one() {
    let server = canned(
        "302 Found",
        &["Location: /pims/subscription/steps?carAssociationID=987654"],
        "",
    )
    .await;
    let error = list_from(&server.url()).await.unwrap_err();
    let line = words(&error);
    assert!(line.contains("redirects in a loop"), "{line}");
    assert!(!line.contains("check the network"), "{line}");
}

#[tokio::test]
async fn a_connection_never_accepted_says_the_connect_time_not_the_answer_time() {
    // A listener that never accepts, its backlog filled: new connections
    // wait for a SYN-ACK that does not come.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let listener = socket.listen(1).expect("listen");
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let full = (0..64).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => {
                held.push(stream);
                false
            }
            Err(_) => true,
        }
    });
    assert!(full, "the backlog never filled");
    let options = ClientOptions {
        connect_timeout: Duration::from_millis(300),
        timeout: Duration::from_secs(5),
        retries: 0,
        ..fast_options()
    };
    let error = returns(list_with(&format!("http://{addr}"), options))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        GatewayError::ConnectTimedOut {
            base: format!("http://{addr}/"),
            after: Duration::from_millis(300)
        }
    );
    assert!(words(&error).contains("no connection to"), "{error}");
    drop(listener);
}

/// What answers at the port is named by its first bytes: another service
/// (an SSH banner) is no "TLS server"; a port that takes the connection and
/// closes it, or stays silent, during the TLS handshake is said so, not
/// "nothing accepted the connection"; a server that closes without an
/// answer is said in words, not the HTTP library's.
#[tokio::test]
async fn what_answers_at_the_port_is_named_by_its_first_bytes() {
    use stepwise::client::PortFound;
    let ssh = serve(|_, mut stream| async move {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n").await;
        let mut buf = [0u8; 512];
        let _ = stream.read(&mut buf).await;
    })
    .await;
    let error = list_from(&ssh.url()).await.unwrap_err();
    assert_eq!(
        error,
        GatewayError::Port {
            base: format!("{}/", ssh.url()),
            found: PortFound::NotHttp("SSH-2.0-OpenSSH_9.2p1 Debian".into()),
        }
    );
    // Reads what comes (a TLS hello, or a request), then closes.
    let closer = raw(|mut stream| async move {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await;
    })
    .await;
    let https = format!("https://{closer}");
    let error = list_from(&https).await.unwrap_err();
    assert!(
        matches!(
            error,
            GatewayError::Port {
                found: PortFound::TlsClosed,
                ..
            }
        ),
        "{error:?}"
    );
    let words = stepwise::describe::gateway_error(
        stepwise::text::Lang::De,
        &list_from(&format!("http://{closer}")).await.unwrap_err(),
    );
    assert!(
        words.contains("ohne Antwort geschlossen") && !words.contains("connection closed"),
        "{words}"
    );
    // Takes the connection, says nothing.
    let silent = raw(|stream| async move {
        tokio::time::sleep(Duration::from_secs(20)).await;
        drop(stream);
    })
    .await;
    let options = ClientOptions {
        connect_timeout: Duration::from_secs(1),
        ..fast_options()
    };
    let error = list_with(&format!("https://{silent}"), options)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            GatewayError::Port {
                found: PortFound::TlsSilent(_),
                ..
            }
        ),
        "{error:?}"
    );
    let line = stepwise::describe::gateway_error(stepwise::text::Lang::En, &error);
    assert!(
        line.contains("took the connection but gave no TLS handshake"),
        "{line}"
    );
}

/// A port that runs `each` on every connection, from its first byte (no
/// HTTP head read first, as [`serve`] does).
async fn raw<F, Fut>(each: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let each = Arc::new(each);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(each(stream));
        }
    });
    addr
}

/// http:// to a TLS server that answers a plain request with an alert and
/// ends the connection: named as TLS (use https://), not "the other side
/// cut the connection, retry, check the network".
#[tokio::test]
async fn a_tls_server_that_cuts_a_plain_request_is_named_tls() {
    let tls = raw(|mut stream| async move {
        let mut buf = [0u8; 2048];
        let _ = stream.read(&mut buf).await;
        // A TLS alert record (handshake failure), then a reset.
        let _ = stream
            .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28])
            .await;
        drop(stream);
    })
    .await;
    let error = list_from(&format!("http://{tls}")).await.unwrap_err();
    assert!(matches!(error, GatewayError::WantsTls { .. }), "{error:?}");
}

/// A server that answers plain HTTP at `/` but no HTTP on the steps path is
/// no "TLS server": the answer is named as neither HTTP nor TLS.
#[tokio::test]
async fn no_http_on_the_steps_path_is_not_called_tls() {
    let odd = raw(|mut stream| async move {
        let mut buf = [0u8; 2048];
        let n = stream.read(&mut buf).await.unwrap_or(0);
        let answer: &[u8] = if buf[..n].starts_with(b"GET / ") {
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        } else {
            b"NOT HTTP AT ALL\r\n\r\n"
        };
        let _ = stream.write_all(answer).await;
    })
    .await;
    let error = list_from(&format!("http://{odd}")).await.unwrap_err();
    let line = words(&error);
    assert!(line.contains("neither HTTP nor TLS"), "{line}");
    assert!(!line.contains("speaks TLS"), "{line}");
}

/// https:// to a port where another service speaks first (an SSH banner):
/// its first line is named, and not "use http://", which would meet the
/// same service.
#[tokio::test]
async fn a_banner_at_an_https_port_is_named_not_http_advised() {
    use stepwise::client::PortFound;
    let ssh = serve(|_, mut stream| async move {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n").await;
        let mut buf = [0u8; 512];
        let _ = stream.read(&mut buf).await;
    })
    .await;
    // The TLS hello is no HTTP head, which the server waits for: the client
    // gives up at its connect limit (1 s, not 3), then asks the port in
    // plain HTTP.
    let options = ClientOptions {
        connect_timeout: Duration::from_secs(1),
        ..fast_options()
    };
    let https = ssh.url().replacen("http://", "https://", 1);
    let error = list_with(&https, options.clone()).await.unwrap_err();
    assert!(
        matches!(&error, GatewayError::Port { found: PortFound::NotHttp(said), .. } if said.starts_with("SSH-2.0")),
        "{error:?}"
    );
    let line = words(&error);
    assert!(!line.contains("use http://"), "{line}");
    // The same banner, and the connection closed at once.
    let closing = serve(|_, mut stream| async move {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n").await;
    })
    .await;
    let https = closing.url().replacen("http://", "https://", 1);
    let error = list_with(&https, options.clone()).await.unwrap_err();
    assert!(
        matches!(&error, GatewayError::Port { found: PortFound::NotHttp(said), .. } if said.starts_with("SSH-2.0")),
        "{error:?}"
    );
}

/// http:// to a TLS server that cuts a plain request with a reset (as
/// Python's and Java's TLS servers do) and answers a TLS hello: the port
/// wants https://, not "retry, check the network".
#[tokio::test]
async fn a_tls_server_that_resets_a_plain_request_is_named_tls() {
    let server = raw(|mut stream| async move {
        let mut first = [0u8; 512];
        let Ok(read) = stream.read(&mut first).await else {
            return;
        };
        if first[..read].starts_with(&[0x16, 0x03]) {
            // A handshake failure alert: TLS, refusing this hello.
            let _ = stream
                .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
                .await;
        } else {
            let _ = stream.set_zero_linger();
        }
    })
    .await;
    let error = list_from(&format!("http://{server}")).await.unwrap_err();
    assert!(matches!(error, GatewayError::WantsTls { .. }), "{error:?}");
    let line = words(&error);
    assert!(
        line.contains("speaks TLS, but --api says http://"),
        "{line}"
    );
}

/// The call's own path pasted into --api (a 404 at .../steps/pims/...):
/// the address to give is named, the part before that path.
#[tokio::test]
async fn the_call_s_path_in_the_api_is_named_with_the_address_to_give() {
    let web = canned(
        "404 Not Found",
        &["Content-Type: text/html"],
        "<html>no</html>",
    )
    .await;
    let api = format!("{}/pims/subscription/steps", web.url());
    let line = words(&list_from(&api).await.unwrap_err());
    assert!(
        line.contains("--api holds the call's own path (pims/subscription/steps)")
            && line.contains(&format!("Give --api the address before it: {}/", web.url())),
        "{line}"
    );
}

/// A 304 to a request that asked for none, or a 301 with no Location: no
/// list came back, and nothing was refused.
#[tokio::test]
async fn a_3xx_that_comes_back_as_the_answer_is_no_refusal() {
    for status in ["304 Not Modified", "301 Moved Permanently"] {
        let server = canned(status, &[], "").await;
        let line = words(&list_from(&server.url()).await.unwrap_err());
        assert!(line.contains("no list came back"), "{status}: {line}");
        assert!(!line.contains("refused"), "{status}: {line}");
    }
}
