//! Signing in against the simulator over loopback HTTP: the device flow
//! (approve, deny, expiry, slow_down, endpoints on a second server) and the
//! token source (refresh before expiry, once after a 401, `invalid_grant`),
//! with the number of token requests counted on the server.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use stepwise::auth::device::{self, DeviceAuthorization, Endpoints, Pace};
use stepwise::auth::discover::discover;
use stepwise::auth::{
    AuthError, Choice, Credential, SignInOptions, TokenSource, TokenStore, unix_now,
};
use stepwise::client::{ClientOptions, Gateway, GatewayError, ListRequest, Lookup, Rejection};
use stepwise::describe;
use stepwise::sim::{AuthOptions, RunningSim, Scenario, Shared, SimState, spawn_shared};
use stepwise::text::Lang;
use url::Url;

/// A simulator with sign-in on, and its shared state to read counts from.
struct Provider {
    sim: RunningSim,
    shared: Shared,
}

impl Provider {
    async fn start(options: AuthOptions) -> Self {
        let shared = Shared::new(SimState::new(Scenario::built_in()), None).with_auth(options);
        let sim = spawn_shared(shared.clone()).await.expect("a simulator");
        Provider { sim, shared }
    }

    fn url(&self) -> Url {
        Url::parse(&format!("{}/", self.sim.url())).unwrap()
    }

    fn polls(&self) -> u32 {
        self.shared.auth().unwrap().counts().device_polls
    }

    fn refreshes(&self) -> u32 {
        self.shared.auth().unwrap().counts().refreshes
    }

    async fn control(&self, path: &str) -> u16 {
        crate::http()
            .post(format!("{}{path}", self.sim.url()))
            .send()
            .await
            .expect("control call")
            .status()
            .as_u16()
    }
}

/// Options that never answer slow_down: polls may come at any pace.
fn quick() -> AuthOptions {
    AuthOptions {
        interval: Duration::ZERO,
        ..AuthOptions::default()
    }
}

/// What the test pace does at one wait.
enum Act {
    /// A control call on the simulator (approve, deny).
    Post(String),
    /// Really wait (to respect the simulator's polling interval).
    Sleep(Duration),
}

/// A clock that moves only when polling waits, and records each wait.
struct TestPace {
    start: Instant,
    elapsed: Mutex<Duration>,
    waits: Mutex<Vec<Duration>>,
    acts: Vec<Vec<Act>>,
}

impl TestPace {
    /// `acts[n]` is done, in order, at the n-th wait.
    fn new(acts: Vec<Vec<Act>>) -> Self {
        TestPace {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
            waits: Mutex::new(Vec::new()),
            acts,
        }
    }

    fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Pace for TestPace {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }

    fn wait(&self, how_long: Duration) -> impl std::future::Future<Output = ()> + Send {
        let n = {
            let mut waits = self.waits.lock().unwrap();
            waits.push(how_long);
            waits.len() - 1
        };
        *self.elapsed.lock().unwrap() += how_long;
        let acts: Vec<Result<String, Duration>> = self
            .acts
            .get(n)
            .into_iter()
            .flatten()
            .map(|act| match act {
                Act::Post(url) => Ok(url.clone()),
                Act::Sleep(d) => Err(*d),
            })
            .collect();
        async move {
            for act in acts {
                match act {
                    Ok(url) => {
                        let status = crate::http().post(url).send().await.unwrap().status();
                        assert_eq!(status.as_u16(), 200, "the control call is accepted");
                    }
                    Err(d) => tokio::time::sleep(d).await,
                }
            }
        }
    }
}

fn http() -> reqwest::Client {
    crate::http()
}

async fn start_flow(provider: &Provider) -> (Endpoints, DeviceAuthorization) {
    let endpoints = discover(&http(), &provider.url(), None)
        .await
        .expect("discovery");
    let authorization = device::authorize(
        &http(),
        &endpoints,
        &provider.url(),
        &SignInOptions::default(),
    )
    .await
    .expect("a code");
    (endpoints, authorization)
}

fn decide_url(provider: &Provider, auth: &DeviceAuthorization, what: &str) -> String {
    format!(
        "{}/sim/device/{}/{what}",
        provider.sim.url(),
        auth.user_code
    )
}

/// Polls the token address for `authorization` with the default options.
async fn poll_default(
    endpoints: &Endpoints,
    authorization: &DeviceAuthorization,
    pace: &TestPace,
) -> Result<Credential, AuthError> {
    device::poll(
        &http(),
        endpoints,
        authorization,
        &SignInOptions::default(),
        pace,
    )
    .await
}

/// A signed-in credential, by approving a code at once.
async fn signed_in(provider: &Provider) -> Credential {
    let (endpoints, authorization) = start_flow(provider).await;
    let pace = TestPace::new(vec![vec![Act::Post(decide_url(
        provider,
        &authorization,
        "approve",
    ))]]);
    poll_default(&endpoints, &authorization, &pace)
        .await
        .expect("approved")
}

fn gateway(url: &str, source: Option<TokenSource>) -> Gateway {
    let options = ClientOptions {
        retries: 0,
        ..ClientOptions::default()
    };
    let gateway = Gateway::new(url, "test-device".into(), None, options).unwrap();
    match source {
        Some(s) => gateway.with_token_source(s),
        None => gateway,
    }
}

/// `credential` kept in a file store of its own, due now, renewed at
/// `token_server`'s `/oauth/token`: the store's folder (kept alive), the
/// store, its key and the token source.
fn due_at(
    provider: &Provider,
    mut credential: Credential,
    token_server: &str,
) -> (tempfile::TempDir, TokenStore, String, TokenSource) {
    credential.expires_at = Some(unix_now());
    credential.token_endpoint = Some(format!("{token_server}/oauth/token"));
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::open(Choice::File, Some(dir.path())).unwrap();
    let key = provider.url().to_string();
    store.save(&key, &credential).unwrap();
    let source = TokenSource::login(key.clone(), credential, Some(store.clone()));
    (dir, store, key, source)
}

fn list_987654() -> ListRequest {
    ListRequest::new(Lookup::Car("987654".into()))
}

#[tokio::test]
async fn an_approved_code_signs_in_and_its_token_opens_the_steps() {
    let provider = Provider::start(quick()).await;
    let (endpoints, authorization) = start_flow(&provider).await;
    assert_eq!(
        authorization.user_code.len(),
        9,
        "{}",
        authorization.user_code
    );
    assert!(
        authorization
            .address()
            .as_str()
            .contains(&authorization.user_code)
    );
    // One pending answer, then the person approves (the code without its dash, in lower case).
    let lower = authorization.user_code.replace('-', "").to_lowercase();
    let approve = format!("{}/sim/device/{lower}/approve", provider.sim.url());
    let pace = TestPace::new(vec![vec![], vec![Act::Post(approve)]]);
    let credential = poll_default(&endpoints, &authorization, &pace)
        .await
        .expect("approved");
    assert_eq!(provider.polls(), 2, "one pending answer, then the token");
    assert!(credential.can_refresh());
    assert_eq!(credential.lifetime, Some(3600));

    let anonymous = gateway(&provider.sim.url(), None)
        .list(&list_987654())
        .await;
    assert_eq!(
        anonymous.unwrap_err().rejection(),
        Some(Rejection::Unauthorized)
    );
    let source = TokenSource::login(provider.url().to_string(), credential, None);
    let list = gateway(&provider.sim.url(), Some(source.clone()))
        .list(&list_987654())
        .await
        .expect("the token is accepted");
    assert_eq!(list.steps.len(), 3);
    assert_eq!(
        source.token_requests().await,
        0,
        "a fresh token is not refreshed"
    );
}

/// A token address failing for a while (5xx) while a code waits: polled on
/// after the wait each answer asks, and after a few in a row said as a
/// failure for now, with the page's words, as something's in front of the
/// provider when the answer is a web page; never "the identity provider
/// stopped the sign-in".
#[tokio::test]
async fn a_token_address_failing_while_polling_is_said_as_failing() {
    let provider = Provider::start(quick()).await;
    let page = "<html><head><title>502 Bad Gateway</title></head></html>";
    let json = r#"{"error":"server_error"}"#;
    for (status, kind, body, said) in [
        (
            "502 Bad Gateway",
            "text/html",
            page,
            "with a web page (HTTP 502, “502 Bad Gateway”): something in front of the provider (a load balancer or a reverse proxy) is failing",
        ),
        (
            "503 Service Unavailable",
            "application/json",
            json,
            "failed 3 times in a row (server_error), so the sign-in was given up",
        ),
    ] {
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nRetry-After: 7\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (mut endpoints, authorization) = start_flow(&provider).await;
        endpoints.token = crate::canned::answering(answer.into_bytes())
            .parse()
            .unwrap();
        let pace = TestPace::new(vec![]);
        let err = poll_default(&endpoints, &authorization, &pace)
            .await
            .unwrap_err();
        let words = describe::auth_error(Lang::En, &err);
        assert!(words.contains(said), "{words}");
        assert!(!words.contains("stopped the sign-in"), "{words}");
        // The wait the provider asked, not "a minute" of our own.
        assert!(words.contains("Wait 7s, then sign in again"), "{words}");
        assert!(err.retry_may_help(), "{err:?}");
        // Each failing answer's wait (7 s) was waited, besides the interval.
        let asked = pace.waits().iter().filter(|w| w.as_secs() == 7).count();
        assert_eq!(asked, 2, "{:?}", pace.waits());
    }
}

#[tokio::test]
async fn a_denied_code_ends_with_a_clear_message() {
    let provider = Provider::start(quick()).await;
    let (endpoints, authorization) = start_flow(&provider).await;
    let pace = TestPace::new(vec![
        vec![],
        vec![Act::Post(decide_url(&provider, &authorization, "deny"))],
    ]);
    let err = poll_default(&endpoints, &authorization, &pace)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AuthError::Denied {
            scopes: "openid offline_access steps:read".into(),
            said: Some("the person refused".into()),
        },
        "the scopes the gateway's resource metadata names"
    );
    let said = describe::auth_error(Lang::En, &err);
    // The provider's own reason is said too (stranger 65, BN5).
    assert!(said.contains("says why: the person refused"), "{said}");
    assert!(
        said.contains("refused")
            && said.contains("openid offline_access steps:read")
            && said.contains("--scope")
            && said.contains("stepwise login"),
        "{said}"
    );
    assert_eq!(provider.polls(), 2);
}

#[tokio::test]
async fn a_code_the_provider_says_expired_ends_the_polling() {
    let provider = Provider::start(AuthOptions {
        code_ttl: Duration::ZERO,
        ..quick()
    })
    .await;
    let (endpoints, mut authorization) = start_flow(&provider).await;
    // Its own lifetime (1 s) spent by the first poll: expired, approve
    // sooner.
    authorization.expires_in = Duration::from_secs(1);
    let pace = TestPace::new(vec![]);
    let err = poll_default(&endpoints, &authorization, &pace)
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::Expired);
    let said = describe::auth_error(Lang::En, &err);
    assert!(said.contains("approve it sooner"), "{said}");
    assert_eq!(provider.polls(), 1);
    // Said expired one poll into a 10-minute life: the provider's clock or
    // lifetime, never "approve it sooner" (stranger 47, AV13).
    let (endpoints, mut authorization) = start_flow(&provider).await;
    authorization.expires_in = Duration::from_secs(600);
    let err = poll_default(&endpoints, &authorization, &TestPace::new(vec![]))
        .await
        .unwrap_err();
    let said = describe::auth_error(Lang::En, &err);
    assert!(
        said.contains("said the code expired after 1s, though it gave it 10m")
            && !said.contains("approve it sooner"),
        "{said}"
    );
}

/// A code that lasts less than the wait the provider asks before the first
/// poll is never polled: said as the provider's setting, never "the code
/// expired before it was approved … approve it sooner" (stranger 40, AO4).
#[tokio::test]
async fn a_code_shorter_than_its_interval_is_the_provider_s_setting() {
    let provider = Provider::start(quick()).await;
    let (endpoints, mut authorization) = start_flow(&provider).await;
    authorization.expires_in = Duration::from_secs(4);
    authorization.interval = Duration::from_secs(120);
    let pace = TestPace::new(vec![]);
    let err = poll_default(&endpoints, &authorization, &pace)
        .await
        .unwrap_err();
    let said = describe::auth_error(Lang::En, &err);
    assert!(
        said.contains("the identity provider's code lasts 4s, but the provider asks to be polled only every 2m"),
        "{said}"
    );
    assert!(!said.contains("approve it sooner"), "{said}");
    assert!(!err.retry_may_help());
    assert_eq!(provider.polls(), 0);
}

#[tokio::test]
async fn polling_stops_when_the_code_runs_out_even_if_the_provider_never_says_so() {
    let provider = Provider::start(AuthOptions {
        code_ttl: Duration::from_secs(10),
        ..quick()
    })
    .await;
    let (endpoints, authorization) = start_flow(&provider).await;
    // The simulator says interval 0: the client polls no faster than once a second.
    assert_eq!(authorization.interval, Duration::from_secs(1));
    let pace = TestPace::new(vec![]);
    let err = poll_default(&endpoints, &authorization, &pace)
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::Expired);
    assert_eq!(
        provider.polls(),
        10,
        "one poll a second for the code's 10 s"
    );
    assert!(pace.waits().iter().all(|w| *w == Duration::from_secs(1)));
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_the_interval() {
    let provider = Provider::start(AuthOptions {
        interval: Duration::from_secs(1),
        ..AuthOptions::default()
    })
    .await;
    let (endpoints, authorization) = start_flow(&provider).await;
    assert_eq!(authorization.interval, Duration::from_secs(1));
    // The first wait does not really wait: the simulator answers slow_down.
    // Before the second poll the person approves and a real second passes.
    let pace = TestPace::new(vec![
        vec![],
        vec![
            Act::Post(decide_url(&provider, &authorization, "approve")),
            Act::Sleep(Duration::from_secs(1)),
        ],
    ]);
    let credential = poll_default(&endpoints, &authorization, &pace).await;
    assert!(credential.is_ok(), "{credential:?}");
    assert_eq!(
        pace.waits(),
        [Duration::from_secs(1), Duration::from_secs(6)],
        "the interval grew by 5 s after slow_down"
    );
    assert_eq!(provider.polls(), 2);
}

/// A renewal answered 200 with `expires_in` as a string of digits (as some
/// providers write it) is taken; one stepwise cannot use (a token type
/// other than Bearer) still leaves the provider's new refresh token kept:
/// the spent one presented again would end the whole login.
#[tokio::test]
async fn a_renewal_s_odd_answer_keeps_the_new_refresh_token() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let json = ["Content-Type: application/json"];
    let cases = [
        (
            r#"{"access_token":"fresh-access","token_type":"Bearer","expires_in":"3600","refresh_token":"rotated-1"}"#,
            true,
        ),
        (
            r#"{"access_token":"fresh-access","token_type":"N_A","expires_in":3600,"refresh_token":"rotated-2"}"#,
            false,
        ),
    ];
    for (body, usable) in cases {
        let token_server = crate::hostile_servers::canned("200 OK", &json, body).await;
        let (_dir, store, key, source) = due_at(&provider, credential.clone(), &token_server.url());
        let got = source.bearer(&http()).await;
        assert_eq!(got.is_ok(), usable, "{body}: {got:?}");
        let (kept, _) = store.load(&key).unwrap().unwrap();
        let rotated = if usable { "rotated-1" } else { "rotated-2" };
        assert_eq!(kept.refresh_token.as_deref(), Some(rotated), "{body}");
        if usable {
            let left = kept.seconds_left(unix_now()).unwrap_or(0);
            assert!((3500..=3600).contains(&left), "{left}");
        }
    }
}

/// A token endpoint that limits requests (HTTP 429) while the code is
/// polled, asking a wait past the code's life: said as the limit with its
/// wait and when to run login again, never "the provider stopped the
/// sign-in", and nothing polled within that wait.
#[tokio::test]
async fn a_429_past_the_code_s_life_is_said_with_its_wait() {
    let provider = Provider::start(quick()).await;
    let (mut endpoints, authorization) = start_flow(&provider).await;
    let limited = crate::hostile_servers::canned(
        "429 Too Many Requests",
        &["Retry-After: 4000", "Content-Type: application/json"],
        r#"{"message":"rate limited"}"#,
    )
    .await;
    endpoints.token = Url::parse(&format!("{}/oauth/token", limited.url())).unwrap();
    let pace = TestPace::new(Vec::new());
    let error = poll_default(&endpoints, &authorization, &pace)
        .await
        .expect_err("limited past the code's life");
    let text = describe::auth_error(Lang::En, &error);
    assert!(
        text.contains("limiting requests (HTTP 429) and asks to wait")
            && text.contains("longer than the code lasts")
            && !text.contains("stopped the sign-in"),
        "{text}"
    );
    assert_eq!(limited.requests(), 1, "{text}");
}

/// A device-code endpoint that limits requests or fails for a while
/// (429, 503) is no refusal: the wait it asks is named, or "wait a
/// minute"; a 400 stays a refusal.
#[tokio::test]
async fn a_code_limited_for_a_while_names_its_wait_not_a_refusal() {
    let provider = Provider::start(quick()).await;
    let (mut endpoints, _) = start_flow(&provider).await;
    let cases = [
        (
            "429 Too Many Requests",
            "Retry-After: 30",
            "asks to wait 30s",
        ),
        ("503 Service Unavailable", "X-Nothing: 1", "Wait a minute"),
        ("400 Bad Request", "X-Nothing: 1", "refused to give a code"),
    ];
    for (status, header, words) in cases {
        let server = crate::hostile_servers::canned(
            status,
            &[header, "Content-Type: application/json"],
            r#"{"message":"not now"}"#,
        )
        .await;
        endpoints.device_authorization =
            Some(Url::parse(&format!("{}/oauth/device_authorization", server.url())).unwrap());
        let error = device::authorize(
            &http(),
            &endpoints,
            &provider.url(),
            &SignInOptions::default(),
        )
        .await
        .expect_err(status);
        let text = describe::auth_error(Lang::En, &error);
        assert!(text.contains(words), "{status}: {text}");
        let limited = !status.starts_with("400");
        assert_eq!(!text.contains("refused"), limited, "{status}: {text}");
        assert!(error.retry_may_help(), "{status}: {error:?}");
    }
}

/// A device code's numbers as some providers write them: a string of
/// digits is read as its number (never "not a device code"); a lifetime
/// of zero or less is the provider's setting, said with its figure, never
/// waited on for ten minutes nor quoted as "1s" (stranger 41, AP10, AP11).
#[tokio::test]
async fn a_device_code_s_odd_numbers_are_read_as_written() {
    let provider = Provider::start(quick()).await;
    let (mut endpoints, _) = start_flow(&provider).await;
    let answer = |expires: &str, interval: &str| {
        format!(
            r#"{{"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":"http://127.0.0.1:9/device","expires_in":{expires},"interval":{interval}}}"#
        )
    };
    let mut ask = async |body: String| {
        let server =
            crate::hostile_servers::canned("200 OK", &["Content-Type: application/json"], &body)
                .await;
        endpoints.device_authorization =
            Some(Url::parse(&format!("{}/oauth/device_authorization", server.url())).unwrap());
        device::authorize(
            &http(),
            &endpoints,
            &provider.url(),
            &SignInOptions::default(),
        )
        .await
    };
    let code = ask(answer("\"900\"", "\"7\""))
        .await
        .expect("a device code");
    assert_eq!(code.interval, Duration::from_secs(7));
    assert_eq!(code.expires_in, Duration::from_secs(900));
    for (expires, said) in [
        ("0", "lasts 0 s"),
        ("-5", "lasts -5 s"),
        ("\"0\"", "lasts 0 s"),
    ] {
        let error = ask(answer(expires, "1")).await.expect_err(expires);
        let text = describe::auth_error(Lang::En, &error);
        assert!(
            text.contains(&format!("device code {said} by its answer (expires_in)")),
            "{expires}: {text}"
        );
        assert!(!text.contains("1s"), "{expires}: {text}");
        assert!(!error.retry_may_help(), "{expires}: {error:?}");
    }
}

/// An identity provider whose metadata is limited or down for a while
/// (429, 503) is said with its wait and "the issuer is right", never
/// "publishes no metadata … check --issuer"; a refusal with a page is
/// something in front of it.
#[tokio::test]
async fn a_busy_provider_s_metadata_is_no_wrong_issuer() {
    let gateway_url = Url::parse("http://127.0.0.1:9/").unwrap();
    let cases = [
        (
            "429 Too Many Requests",
            "Retry-After: 60",
            "{}",
            "asks to wait 1m",
        ),
        (
            "503 Service Unavailable",
            "X-Nothing: 1",
            "{}",
            "Retry in a minute",
        ),
        (
            "403 Forbidden",
            "Content-Type: text/html",
            "<html><title>Blocked</title></html>",
            "was refused with HTTP 403 (Blocked) and a page",
        ),
        // A portal's page where the metadata belongs: a page, never "not
        // valid JSON" (stranger 43, AR17e).
        (
            "200 OK",
            "Content-Type: text/html",
            "<html><title>Portal</title></html>",
            "is a web page (Portal), not its JSON",
        ),
    ];
    for (status, header, body, words) in cases {
        let server = crate::hostile_servers::canned(status, &[header], body).await;
        let err = discover(&http(), &gateway_url, Some(&server.url()))
            .await
            .unwrap_err();
        let text = describe::auth_error(Lang::En, &err);
        assert!(text.contains(words), "{status}: {text}");
        assert!(!text.contains("publishes no metadata"), "{status}: {text}");
        assert_eq!(
            text.contains("Check --issuer"),
            status.starts_with("200"),
            "only a page says the address may be wrong: {status}: {text}"
        );
    }
}

/// The provider named by --issuer publishes metadata without a device
/// endpoint: said as that provider's, never as the gateway's discovery
/// document (stranger 41, AP9).
#[tokio::test]
async fn an_issuer_s_metadata_without_a_device_endpoint_is_the_issuer_s() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let document = serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/token"),
    });
    let app = axum::Router::new().route(
        "/.well-known/openid-configuration",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let gateway_url = Url::parse("http://127.0.0.1:9/").unwrap();
    let err = discover(&http(), &gateway_url, Some(&issuer))
        .await
        .unwrap_err();
    let text = describe::auth_error(Lang::En, &err);
    assert!(
        text.contains(&format!(
            "the identity provider at {issuer} publishes metadata without device_authorization_endpoint"
        )),
        "{text}"
    );
    assert!(!text.contains("the gateway's sign-in"), "{text}");
}

#[tokio::test]
async fn the_token_endpoint_may_live_on_another_server() {
    let provider = Provider::start(quick()).await;
    // A gateway whose discovery document points at the simulator.
    let idp = provider.sim.url();
    let document = serde_json::json!({
        "issuer": idp,
        "device_authorization_endpoint": format!("{idp}/oauth/device_authorization"),
        "token_endpoint": format!("{idp}/oauth/token"),
    });
    let app = axum::Router::new().route(
        "/.well-known/oauth-authorization-server",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let endpoints = discover(&http(), &gateway_url, None)
        .await
        .expect("discovery");
    assert_eq!(endpoints.token.port(), provider.url().port());
    assert_ne!(endpoints.token.port(), gateway_url.port());
    let authorization =
        device::authorize(&http(), &endpoints, &gateway_url, &SignInOptions::default())
            .await
            .unwrap();
    let pace = TestPace::new(vec![vec![Act::Post(decide_url(
        &provider,
        &authorization,
        "approve",
    ))]]);
    let credential = poll_default(&endpoints, &authorization, &pace)
        .await
        .expect("approved at the second server");
    assert_eq!(
        credential.token_endpoint.as_deref(),
        Some(endpoints.token.as_str()),
        "refreshes go to the second server too"
    );
}

#[tokio::test]
async fn a_gateway_without_sign_in_says_how_else_to_give_a_token() {
    let sim = stepwise::sim::spawn(Scenario::built_in(), None)
        .await
        .unwrap();
    let url = Url::parse(&format!("{}/", sim.url())).unwrap();
    let err = describe::auth_error(Lang::En, &discover(&http(), &url, None).await.unwrap_err());
    assert!(err.contains("--with-token") && !err.contains('\n'), "{err}");
}

/// A failure's page where the discovery document belongs (a load
/// balancer's 502, a maintenance 503, as HTML): the status is said with
/// "retry later", never "offers no sign-in / takes a fixed token".
#[tokio::test]
async fn a_failing_discovery_page_is_a_failure_not_no_sign_in() {
    for status in [
        "502 Bad Gateway",
        "503 Service Unavailable",
        "500 Internal Server Error",
    ] {
        let server = crate::hostile_servers::canned(
            status,
            &["Content-Type: text/html"],
            "<html>bad gateway</html>",
        )
        .await;
        let url = Url::parse(&format!("{}/", server.url())).unwrap();
        let err = describe::auth_error(Lang::En, &discover(&http(), &url, None).await.unwrap_err());
        let code = &status[..3];
        assert!(
            err.contains(&format!("answered HTTP {code} to the sign-in discovery"))
                && err.contains("Retry later"),
            "{status}: {err}"
        );
        assert!(!err.contains("does not offer sign-in"), "{status}: {err}");
    }
    // Only the protected resource metadata fails (5xx), and the gateway
    // publishes no metadata of its own: that failure, not "no sign-in".
    let page = |status: &str| {
        format!("HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<html>")
            .into_bytes()
    };
    let gateway = crate::canned::routing(
        vec![("oauth-protected-resource", page("503 Service Unavailable"))],
        page("404 Not Found"),
    );
    let url = Url::parse(&format!("{gateway}/")).unwrap();
    let err = describe::auth_error(Lang::En, &discover(&http(), &url, None).await.unwrap_err());
    assert!(
        err.contains(
            "answered HTTP 503 to the sign-in discovery (/.well-known/oauth-protected-resource)"
        ) && err.contains("Retry later"),
        "{err}"
    );
    // A gateway that takes the connection and never answers the discovery:
    // the discovery is silent, not the gateway unreachable.
    let silent = crate::canned::silent();
    let url = Url::parse(&format!("{silent}/")).unwrap();
    let quick = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let err = describe::auth_error(Lang::En, &discover(&quick, &url, None).await.unwrap_err());
    assert!(
        err.contains("took the connection, but its sign-in discovery (/.well-known/oauth-protected-resource) did not answer in time"),
        "{err}"
    );
    assert!(!err.contains("cannot reach"), "{err}");
    // A portal's catch-all page with 200 is still no document published.
    let portal = crate::hostile_servers::canned(
        "200 OK",
        &["Content-Type: text/html"],
        "<html>portal</html>",
    )
    .await;
    let url = Url::parse(&format!("{}/", portal.url())).unwrap();
    let err = describe::auth_error(Lang::En, &discover(&http(), &url, None).await.unwrap_err());
    assert!(err.contains("does not offer sign-in"), "{err}");
    // A firewall's 403 page to every path is no word of the gateway's on
    // sign-in: said as refused in front (stranger 60, BI6).
    let waf = crate::hostile_servers::canned(
        "403 Forbidden",
        &["Content-Type: text/html"],
        "<html><head><title>Request blocked by WAF</title></head></html>",
    )
    .await;
    let url = Url::parse(&format!("{}/", waf.url())).unwrap();
    let err = describe::auth_error(Lang::En, &discover(&http(), &url, None).await.unwrap_err());
    assert!(
        err.contains(
            "got a web page with HTTP 403 (Request blocked by WAF), not the gateway's answer"
        ) && err.contains("Ask who runs the network"),
        "{err}"
    );
    assert!(!err.contains("does not offer sign-in"), "{err}");
    assert!(!err.contains("--with-token"), "{err}");
}

#[tokio::test]
async fn a_token_due_to_expire_is_refreshed_before_use_and_kept() {
    let provider = Provider::start(quick()).await;
    let mut credential = signed_in(&provider).await;
    let old = credential.access_token.clone();
    credential.expires_at = Some(unix_now());
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::open(Choice::File, Some(dir.path())).unwrap();
    let key = provider.url().to_string();
    store.save(&key, &credential).unwrap();
    let source = TokenSource::login(key.clone(), credential, Some(store.clone()));
    let client = gateway(&provider.sim.url(), Some(source.clone()));
    client
        .list(&list_987654())
        .await
        .expect("a refreshed token");
    assert_eq!(provider.refreshes(), 1);
    client.list(&list_987654()).await.expect("the same token");
    client.list(&list_987654()).await.expect("the same token");
    assert_eq!(
        provider.refreshes(),
        1,
        "a fresh token is not refreshed again"
    );
    assert_eq!(source.token_requests().await, 1);
    let (kept, _) = store.load(&key).unwrap().unwrap();
    assert_ne!(kept.access_token, old, "the refreshed token is kept");
    assert!(kept.seconds_left(unix_now()).unwrap() > 3000);
}

/// A login's token through a proxy, answered 401 by a challenge that names
/// no error: the proxy may drop the header; said so, and no refresh token
/// is spent on it (stranger 73, BV1).
#[tokio::test]
async fn a_login_token_unseen_through_a_proxy_is_not_renewed() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let source = TokenSource::login(provider.url().to_string(), credential, None);
    let body = r#"{"message":"missing, wrong or expired bearer token"}"#;
    let proxy = crate::canned::answering(
        format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"steps\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let mut options = ClientOptions {
        retries: 0,
        ..ClientOptions::default()
    };
    options.net.proxy = stepwise::net::ProxyEnv::with_proxy(&proxy, None);
    let client = Gateway::new(
        "http://gateway.invalid:8080",
        "test-device".into(),
        None,
        options,
    )
    .unwrap()
    .with_token_source(source.clone())
    .with_token_from(Some(stepwise::config::TokenFrom::Login));
    let error = client
        .list(&ListRequest::new(Lookup::Car("987654".into())))
        .await
        .expect_err("refused");
    assert!(
        matches!(error, GatewayError::TokenDropped { .. }),
        "{error:?}"
    );
    let words = describe::gateway_error(Lang::En, &error);
    assert!(
        words.contains("the proxy may drop the Authorization header"),
        "{words}"
    );
    assert_eq!(source.token_requests().await, 0, "no refresh spent");
}

/// A proxy's own 401 page (no challenge at all) to a login's token: said
/// as the proxy's, and no refresh token is spent on it, since no renewal
/// answers a proxy (stranger 80, CC1); straight from the address (a
/// login page in front), neither (stranger 77, BZ2).
#[tokio::test]
async fn a_401_page_with_no_challenge_spends_no_renewal() {
    let provider = Provider::start(quick()).await;
    let page = "<html><head><title>Authentication required</title></head></html>";
    let answer = format!(
        "HTTP/1.1 401 Unauthorized\r\nServer: squid/5.7\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    )
    .into_bytes();
    let in_front = crate::canned::answering(answer.clone());
    let proxy = crate::canned::answering(answer);
    for (gateway, through) in [
        ("http://gateway.invalid:8080", Some(&proxy)),
        (in_front.as_str(), None),
    ] {
        let credential = signed_in(&provider).await;
        let source = TokenSource::login(provider.url().to_string(), credential, None);
        let mut options = ClientOptions {
            retries: 0,
            ..ClientOptions::default()
        };
        if let Some(proxy) = through {
            options.net.proxy = stepwise::net::ProxyEnv::with_proxy(proxy, None);
        }
        let client = Gateway::new(gateway, "test-device".into(), None, options)
            .unwrap()
            .with_token_source(source.clone())
            .with_token_from(Some(stepwise::config::TokenFrom::Login));
        let error = client
            .list(&ListRequest::new(Lookup::Car("987654".into())))
            .await
            .expect_err("refused");
        let words = describe::gateway_error(Lang::En, &error);
        match through {
            Some(proxy) => assert!(
                words.contains(&format!("the proxy {proxy}"))
                    && words.contains("answered HTTP 401"),
                "{words}"
            ),
            None => assert!(words.contains("no sign-in challenge"), "{words}"),
        }
        assert!(!words.contains("--audience"), "{words}");
        assert_eq!(
            source.token_requests().await,
            0,
            "no refresh spent: {words}"
        );
    }
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_call_retried() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let old_refresh = credential.refresh_token.clone().unwrap();
    let source = TokenSource::login(provider.url().to_string(), credential, None);
    let client = gateway(&provider.sim.url(), Some(source));
    client.list(&list_987654()).await.expect("signed in");
    assert_eq!(provider.control("/sim/auth/expire").await, 200);
    client
        .list(&list_987654())
        .await
        .expect("refreshed after the 401");
    assert_eq!(provider.refreshes(), 1);
    // Refresh tokens are single-use: the old one is refused now.
    let reused = http()
        .post(format!("{}/oauth/token", provider.sim.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&client_id=stepwise&refresh_token={old_refresh}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status().as_u16(), 400);
    assert!(reused.text().await.unwrap().contains("invalid_grant"));
}

/// A renewed token the gateway took and later refuses (it expired there
/// early again) is renewed again, each time: a run renews after every
/// such refusal, not after the first alone.
#[tokio::test]
async fn a_token_refused_after_it_was_taken_is_renewed_each_time() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let source = TokenSource::login(provider.url().to_string(), credential, None);
    let client = gateway(&provider.sim.url(), Some(source.clone()));
    client.list(&list_987654()).await.expect("signed in");
    for round in 1..=3 {
        assert_eq!(provider.control("/sim/auth/expire").await, 200);
        client
            .list(&list_987654())
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        assert_eq!(provider.refreshes(), round);
    }
    assert_eq!(source.token_requests().await, 3);
}

#[tokio::test]
async fn invalid_grant_ends_the_login_with_a_clear_message_and_no_retries() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let source = TokenSource::login(provider.url().to_string(), credential, None);
    let client = gateway(&provider.sim.url(), Some(source));
    assert_eq!(provider.control("/sim/auth/revoke").await, 200);
    let err = client.list(&list_987654()).await.unwrap_err();
    assert!(err.needs_login(), "{err:?}");
    let text = describe::gateway_error(Lang::En, &err);
    assert!(
        text.contains("invalid_grant") && text.contains("stepwise login") && !text.contains('\n'),
        "{text}"
    );
    assert_eq!(describe::gateway_headline(Lang::En, &err), "Sign in again");
    for _ in 0..3 {
        assert!(client.list(&list_987654()).await.unwrap_err().needs_login());
    }
    assert_eq!(
        provider.refreshes(),
        1,
        "a refused refresh is never retried"
    );
}

/// A renewal the provider refuses for good is said by its cause, ends the
/// login (in the store too, so `auth status` says so), and is never "retry
/// in a minute": the client may not renew (`unauthorized_client`), the
/// client id is refused (`invalid_client`, named with `--client-id`), the
/// request itself (`invalid_request`). One that fails for a while (a 503
/// with `Retry-After`) keeps the login, names the wait asked; it, and one
/// answered by a page or a missing route, is a token renewal, not a
/// sign-in, that failed.
#[tokio::test]
async fn a_refused_renewal_names_its_cause_and_a_passing_one_its_wait() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let json = ["Content-Type: application/json"];
    // (status, headers, body, words said, whether the login ends, title)
    type Case<'a> = (
        &'a str,
        &'a [&'a str],
        &'a str,
        &'a [&'a str],
        bool,
        &'a str,
    );
    let cases: [Case; 8] = [
        // A web page answered 200 in the provider's place (a portal).
        (
            "200 OK",
            &["Content-Type: text/html"],
            "<html><head><title>Portal</title></head>sign in</html>",
            &[
                "was answered HTTP 200 (Portal) with a web page",
                "something in front of the provider",
            ],
            false,
            "Token renewal failed",
        ),
        // JSON with no OAuth error (an API gateway's missing route): no
        // endpoint there; the login is kept, a new sign-in meets the same.
        (
            "404 Not Found",
            &json,
            r#"{"message":"no such route"}"#,
            &[
                "was answered HTTP 404 without an OAuth error: no endpoint answers there",
                "retrying gets the same",
            ],
            false,
            "Token renewal failed",
        ),
        // A page, not the provider's JSON, at the address its metadata
        // names: a new sign-in meets the same, so the login is kept.
        (
            "404 Not Found",
            &["Content-Type: text/html"],
            "<html><head><title>404 Not Found</title></head>nginx</html>",
            &[
                "was answered HTTP 404 (404 Not Found) with a page",
                "retrying or signing in again gets the same",
            ],
            false,
            "Token renewal failed",
        ),
        (
            "403 Forbidden",
            &["Content-Type: text/html"],
            "<html><head><title>Request blocked</title></head></html>",
            &[
                "was refused with HTTP 403 (Request blocked) and a page",
                "something in front of the provider",
            ],
            false,
            "Access refused",
        ),
        (
            "400 Bad Request",
            &json,
            r#"{"error":"unauthorized_client"}"#,
            &[
                "does not let the client id stepwise renew the sign-in",
                "refresh tokens for this client",
            ],
            true,
            "Sign in again",
        ),
        (
            "401 Unauthorized",
            &json,
            r#"{"error":"invalid_client","error_description":"client authentication failed"}"#,
            // Not "would refuse a new sign-in with it too": the same id
            // may have signed in a moment ago (stranger 40, AO20).
            &[
                "refuses the client id stepwise",
                "or no longer lets it renew logins",
                "--client-id ID",
            ],
            true,
            "Client id refused",
        ),
        (
            "400 Bad Request",
            &json,
            r#"{"error":"invalid_request","error_description":"refresh_token missing"}"#,
            &[
                "refused to renew the sign-in",
                "refresh_token missing",
                "stepwise login",
            ],
            true,
            "Sign in again",
        ),
        (
            "503 Service Unavailable",
            &["Content-Type: application/json", "Retry-After: 300"],
            r#"{"error":"temporarily_unavailable"}"#,
            &["could not renew the token for now (temporarily_unavailable) and asks to wait 300 s"],
            false,
            "Token renewal failed",
        ),
    ];
    for (status, headers, body, words, over, title) in cases {
        let token_server = crate::hostile_servers::canned(status, headers, body).await;
        let (_dir, store, key, source) = due_at(&provider, credential.clone(), &token_server.url());
        let client = gateway(&provider.sim.url(), Some(source));
        let err = client.list(&list_987654()).await.unwrap_err();
        let text = describe::gateway_error(Lang::En, &err);
        for w in words {
            assert!(text.contains(w), "{status} {body}: {text}");
        }
        assert!(!text.contains("Retry in a minute"), "{text}");
        assert!(!text.contains("expired or was revoked"), "{text}");
        // A new sign-in helps, except with a refused client id (the id
        // changes first, so `i` is not offered for it).
        let helps = over && !body.contains("invalid_client");
        assert_eq!(err.needs_login(), helps, "{err:?}");
        // Only a wait the provider asked passes by itself; every failure
        // of a renewal is titled as one, never as a sign-in (stranger 46,
        // AU3).
        let passing = status.starts_with("503");
        assert_eq!(err.is_passing(), passing, "{err:?}");
        let (kept, _) = store.load(&key).unwrap().unwrap();
        assert_eq!(
            kept.over.is_some(),
            over,
            "{status} {body}: {:?}",
            kept.over
        );
        assert_eq!(describe::gateway_headline(Lang::En, &err), title);
        if passing {
            // The wait the provider asked holds every renewal of the
            // process: the next call says it again, and asks nothing.
            let again = client.list(&list_987654()).await.unwrap_err();
            let text = describe::gateway_error(Lang::En, &again);
            assert!(text.contains("and asks to wait"), "{text}");
            assert_eq!(token_server.requests(), 1, "{text}");
        }
    }
}

/// A wait the provider asked of this process ends once another process
/// renewed the login (its token is found in the store): the next renewal
/// asks the provider again instead of saying the old 503 (stranger 49,
/// AX2).
#[tokio::test]
async fn a_renewal_by_another_process_ends_the_wait_the_provider_asked() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let busy = crate::hostile_servers::canned(
        "503 Service Unavailable",
        &["Content-Type: application/json", "Retry-After: 300"],
        r#"{"error":"temporarily_unavailable"}"#,
    )
    .await;
    let (_dir, store, key, source) = due_at(&provider, credential, &busy.url());
    let client = gateway(&provider.sim.url(), Some(source));
    let err = client.list(&list_987654()).await.unwrap_err();
    assert!(err.is_passing(), "{err:?}");
    // Another process signs in afresh and keeps its login, due now, renewed
    // by the provider (which is well again).
    let mut other = signed_in(&provider).await;
    other.expires_at = Some(unix_now());
    store.save(&key, &other).unwrap();
    let renewed = provider.refreshes();
    client
        .list(&list_987654())
        .await
        .expect("the provider is asked again, and renews");
    assert_eq!(provider.refreshes(), renewed + 1);
    assert_eq!(busy.requests(), 1);
}

/// A renewal whose answer was lost (the connection closed after the
/// request) is not sent again by the calls waiting on it: they meet the
/// same failure, and the refresh token the provider may have spent is
/// presented once (stranger 51, AZ4).
#[tokio::test]
async fn a_renewal_whose_answer_was_lost_is_not_sent_again_at_once() {
    use std::io::Read;
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&asked);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    let (_dir, _store, _key, source) = due_at(&provider, credential, &url);
    let client = gateway(&provider.sim.url(), Some(source));
    for _ in 0..3 {
        let err = client.list(&list_987654()).await.unwrap_err();
        let text = describe::gateway_error(Lang::En, &err);
        assert!(text.contains("may have renewed the login"), "{text}");
    }
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A renewal whose provider is out of reach (nothing listens) is titled as
/// a token renewal that failed, as a silent one is, never "Sign-in failed"
/// (nobody signed in; stranger 46, AU3), and the login is kept.
#[tokio::test]
async fn a_renewal_that_cannot_reach_the_provider_is_titled_as_a_renewal() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/oauth/token", closed.local_addr().unwrap());
    drop(closed);
    let (_dir, store, key, source) = due_at(&provider, credential, &url);
    let client = gateway(&provider.sim.url(), Some(source));
    let err = client.list(&list_987654()).await.unwrap_err();
    assert_eq!(
        describe::gateway_headline(Lang::En, &err),
        "Token renewal failed",
        "{err:?}"
    );
    assert!(!err.needs_login(), "{err:?}");
    let (kept, _) = store.load(&key).unwrap().unwrap();
    assert!(kept.over.is_none(), "{:?}", kept.over);
}

/// A provider that took the connection and did not answer is busy or
/// hung, never out of reach: no "check the network".
#[test]
fn a_provider_that_does_not_answer_is_not_called_unreachable() {
    let error = stepwise::auth::AuthError::Network {
        url: "https://idp.example/oauth/token".into(),
        detail: "no answer in time".into(),
        tls: None,
    };
    let text = describe::auth_error(Lang::En, &error);
    assert!(
        text.contains("took the connection but did not answer in time"),
        "{text}"
    );
    assert!(
        !text.contains("cannot reach") && !text.contains("Check the network"),
        "{text}"
    );
}

/// A gateway that refuses even the token renewed after its 401 (its
/// audience is not what the provider's tokens carry) costs one renewal in
/// all, and the first call already says so, with the gateway's words and
/// the audience to check: signing in the same way again would get the same.
#[tokio::test]
async fn a_gateway_refusing_every_token_costs_one_refresh_in_all() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    // A gateway that answers 401 to everything.
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            [(
                "www-authenticate",
                r#"Bearer error="invalid_token", error_description="audience mismatch: expected api://steps""#,
            )],
            axum::Json(serde_json::json!({"message": "no"})),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let source = TokenSource::login(format!("{url}/"), credential, None);
    let client = gateway(&url, Some(source.clone()));
    let first = client.list(&list_987654()).await.unwrap_err();
    // A new sign-in as it is gets the same: not offered as the way on.
    assert!(!first.needs_login() && !first.is_passing(), "{first:?}");
    assert_eq!(
        describe::gateway_headline(Lang::En, &first),
        "Tokens not accepted"
    );
    let text = describe::gateway_error(Lang::En, &first);
    assert!(
        text.contains("refuses even a token the identity provider just renewed")
            && text.contains("--audience")
            && text.contains("The gateway says: “audience mismatch: expected api://steps”"),
        "{text}"
    );
    assert!(!text.contains("expired"), "{text}");
    assert!(
        text.contains("then sign in with it: `stepwise login --audience URI`"),
        "{text}"
    );
    for _ in 0..3 {
        let err = client.list(&list_987654()).await.unwrap_err();
        assert!(
            matches!(
                err,
                GatewayError::Auth(stepwise::auth::AuthError::SignInAgain(
                    stepwise::auth::Over::RefusedFresh { .. }
                ))
            ),
            "{err:?}"
        );
    }
    assert_eq!(provider.refreshes(), 1);
    assert_eq!(source.token_requests().await, 1);
}

/// A gateway at a local address that answers every request 401 with
/// `challenge` as its `WWW-Authenticate` ("": none at all).
async fn refusing_gateway(challenge: &'static str) -> String {
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move || async move {
        // Words in the body only with a challenge naming an error: a body
        // that says why shows the token was seen (stranger 68, BQ8).
        let body = if challenge.contains("error=") {
            axum::Json(serde_json::json!({"message": "no"}))
        } else {
            axum::Json(serde_json::json!({}))
        };
        if challenge.is_empty() {
            (axum::http::StatusCode::UNAUTHORIZED, body).into_response()
        } else {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                [("www-authenticate", challenge)],
                body,
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A kept login the gateway refuses even renewed is refused in a token
/// trial (never "taken": `--token-file` then would not be said to hide a
/// login the gateway takes; stranger 52, BA1).
#[tokio::test]
async fn a_login_refused_even_renewed_is_refused_in_a_trial() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    assert!(credential.can_refresh());
    let refusing = refusing_gateway(r#"Bearer error="invalid_token""#).await;
    let source = TokenSource::login(format!("{refusing}/"), credential, None);
    let trial = gateway(&refusing, Some(source)).try_token().await;
    assert!(
        matches!(trial, stepwise::client::Trial::Refused(_)),
        "{trial:?}"
    );
}

/// A token that cannot be renewed, issued minutes ago and refused by the
/// gateway: as one just renewed, the gateway takes none of this
/// provider's tokens (never "sign in again", which gets the same); the
/// same token issued an hour ago is the gateway's 401 as it is. A
/// challenge that names no error (RFC 6750 §3.1: no token reached the
/// gateway) names what may drop the header between.
#[tokio::test]
async fn a_new_token_refused_is_not_said_as_a_login_to_renew() {
    let provider = Provider::start(quick()).await;
    let mut credential = signed_in(&provider).await;
    credential.refresh_token = None;
    let audience =
        refusing_gateway(r#"Bearer error="invalid_token", error_description="audience mismatch""#)
            .await;
    let client = |credential: Credential, url: &str| {
        gateway(
            url,
            Some(TokenSource::login(format!("{url}/"), credential, None)),
        )
    };
    let err = client(credential.clone(), &audience)
        .list(&list_987654())
        .await
        .unwrap_err();
    assert!(!err.needs_login(), "{err:?}");
    assert_eq!(
        describe::gateway_headline(Lang::En, &err),
        "Tokens not accepted"
    );
    let text = describe::gateway_error(Lang::En, &err);
    assert!(
        text.contains("issued minutes ago")
            && text.contains("“audience mismatch”")
            && text.contains("--audience"),
        "{text}"
    );
    // Past its own lifetime (seconds old, lasting seconds): refused for
    // that; a new sign-in helps (stranger 52, BA9).
    let mut expired = credential.clone();
    expired.lifetime = Some(8);
    expired.expires_at = Some(unix_now().saturating_sub(1));
    let err = client(expired, &audience)
        .list(&list_987654())
        .await
        .unwrap_err();
    let text = describe::gateway_error(Lang::En, &err);
    assert!(!text.contains("issued minutes ago"), "{text}");
    assert!(!text.contains("--audience"), "{text}");
    assert_eq!(
        err.recovery(),
        stepwise::client::Recovery::SignIn,
        "{err:?} {text}"
    );
    // An hour old: revoked or ended, for all that is known; sign in again.
    let mut old = credential.clone();
    old.lifetime = Some(3600);
    old.expires_at = Some(unix_now() + 60);
    let err = client(old, &audience)
        .list(&list_987654())
        .await
        .unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::Unauthorized), "{err:?}");
    // No error in the challenge, or no challenge at all, renewable or
    // not: the header may be dropped between.
    let unseen = refusing_gateway(r#"Bearer realm="steps""#).await;
    let silent = refusing_gateway("").await;
    let renewable = signed_in(&provider).await;
    let other = signed_in(&provider).await;
    for (credential, unseen) in [
        (credential, &unseen),
        (renewable, &unseen),
        (other, &silent),
    ] {
        let err = client(credential, unseen)
            .list(&list_987654())
            .await
            .unwrap_err();
        let text = describe::gateway_error(Lang::En, &err);
        assert!(
            text.contains("as if no token reached it")
                && text.contains("may drop the Authorization header"),
            "{text}"
        );
    }
}

/// A 401 with no challenge whose JSON body says why the token is refused
/// (`invalid_token`, another tenant), to a login's token renewed or new:
/// said with the gateway's words, never "as if no token reached it"
/// (stranger 68, BQ8).
#[tokio::test]
async fn a_401_whose_body_says_why_is_said_with_its_words() {
    use axum::response::IntoResponse;
    let provider = Provider::start(quick()).await;
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({
                "error": "invalid_token",
                "error_description": "token was issued for another tenant"
            })),
        )
            .into_response()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let credential = signed_in(&provider).await;
    let source = TokenSource::login(format!("{url}/"), credential, None);
    let err = gateway(&url, Some(source))
        .with_token_from(Some(stepwise::config::TokenFrom::Login))
        .list(&list_987654())
        .await
        .unwrap_err();
    let text = describe::gateway_error(Lang::En, &err);
    assert!(
        text.contains("token was issued for another tenant"),
        "{text}"
    );
    assert!(!text.contains("as if no token reached it"), "{text}");
}

/// A 401 whose challenge says the token lacks a scope is not renewed (a
/// renewal asks for the same scopes): said with the scope and `--scope`,
/// never "tokens not accepted … --audience".
#[tokio::test]
async fn a_401_for_a_missing_scope_renews_nothing_and_names_the_scope() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let url = refusing_gateway(r#"Bearer error="insufficient_scope", scope="steps:write""#).await;
    let source = TokenSource::login(format!("{url}/"), credential, None);
    let err = gateway(&url, Some(source))
        .list(&list_987654())
        .await
        .unwrap_err();
    let text = describe::gateway_error(Lang::En, &err);
    assert!(
        text.contains("steps:write") && text.contains("--scope") && !text.contains("--audience"),
        "{text}"
    );
    assert_eq!(provider.refreshes(), 0, "{text}");
}

/// A kept login that asked for the scope the gateway says its token lacks
/// is not told to sign in asking for it (that asks the same again): the
/// words say the login asked for it, and name the provider's administrator
/// and the gateway's operator (stranger 59, BH7).
#[tokio::test]
async fn a_login_that_asked_for_the_missing_scope_is_not_told_to_ask_again() {
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let url = refusing_gateway(r#"Bearer error="insufficient_scope", scope="steps:write""#).await;
    let mut asked = credential.asked(
        &stepwise::auth::SignInOptions::default(),
        "openid offline_access steps:write",
        None,
    );
    // Granted as asked: the provider gave it, and the gateway still says no.
    asked.granted = Some("openid offline_access steps:write".into());
    let source = TokenSource::login(format!("{url}/"), asked, None);
    let err = gateway(&url, Some(source))
        .with_token_from(Some(stepwise::config::TokenFrom::Login))
        .list(&list_987654())
        .await
        .unwrap_err();
    let text = describe::gateway_error(Lang::En, &err);
    assert!(
        text.contains("though that login asked for steps:write")
            && text.contains("administrator")
            && text.contains("gateway's operator")
            && !text.contains("login --scope"),
        "{text}"
    );
    // Asked for other scopes only: signing in asking for this one is the way.
    let other = signed_in(&provider).await.asked(
        &stepwise::auth::SignInOptions::default(),
        "openid steps:read",
        None,
    );
    let source = TokenSource::login(format!("{url}/"), other, None);
    let err = gateway(&url, Some(source))
        .with_token_from(Some(stepwise::config::TokenFrom::Login))
        .list(&list_987654())
        .await
        .unwrap_err();
    let text = describe::gateway_error(Lang::En, &err);
    // The scopes the login had, and this one: never this one alone, which
    // would drop steps:read (stranger 68, BQ4).
    assert!(
        text.contains(r#"login --scope "openid steps:read steps:write""#),
        "{text}"
    );
}

/// A kept login that asked for the scope, whose last token's grant left it
/// out (a renewal that came back with fewer scopes): said so, with a new
/// sign-in as the way on (action sign_in), never "signing in again asks
/// for the same" (stranger 65, BN3).
#[tokio::test]
async fn a_scope_a_renewal_dropped_is_said_with_a_new_sign_in() {
    let provider = Provider::start(quick()).await;
    let url = refusing_gateway(r#"Bearer error="insufficient_scope", scope="steps:read""#).await;
    let mut credential = signed_in(&provider).await.asked(
        &stepwise::auth::SignInOptions::default(),
        "openid offline_access steps:read",
        None,
    );
    credential.granted = Some("openid".into());
    // The sign-in's own grant short of it: signing in again asks for the
    // same, and gets the same (stranger 68, BQ2).
    let source = TokenSource::login(format!("{url}/"), credential.clone(), None);
    let err = gateway(&url, Some(source))
        .with_token_from(Some(stepwise::config::TokenFrom::Login))
        .list(&list_987654())
        .await
        .unwrap_err();
    let text = describe::gateway_error(Lang::En, &err);
    assert!(
        text.contains("signing in again asks for the same") && !text.contains("a renewal"),
        "{text}"
    );
    // A renewal's grant short of it: a new sign-in.
    credential.renewed = true;
    let source = TokenSource::login(format!("{url}/"), credential, None);
    let err = gateway(&url, Some(source))
        .with_token_from(Some(stepwise::config::TokenFrom::Login))
        .list(&list_987654())
        .await
        .unwrap_err();
    let text = describe::gateway_error(Lang::En, &err);
    assert!(
        text.contains("the last token's grant left it out (granted: openid)")
            && text.contains("Sign in again")
            && !text.contains("asks for the same"),
        "{text}"
    );
    assert_eq!(err.recovery(), stepwise::client::Recovery::SignIn);
}

/// A gateway that takes this login's token for one vehicle and refuses it
/// for another, even renewed: the refusal is that vehicle's (the gateway's
/// 401 with its words), and the login goes on for the others; one renewal
/// in all, never "tokens not accepted" for the run.
#[tokio::test]
async fn a_vehicle_refused_by_a_gateway_that_takes_the_token_ends_no_login() {
    use axum::response::IntoResponse;
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
        if uri.query().unwrap_or_default().contains("111111") {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                [(
                    "www-authenticate",
                    r#"Bearer error="invalid_token", error_description="not allowed for this vehicle""#,
                )],
                String::new(),
            )
                .into_response()
        } else {
            (
                [("content-type", "application/json")],
                r#"{"stepsID":"1","deviceActivation":{"name":"deviceActivation","status":"todo","order":1}}"#,
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let source = TokenSource::login(format!("{url}/"), credential, None);
    let client = gateway(&url, Some(source.clone()));
    client.list(&list_987654()).await.expect("taken for 987654");
    let other = ListRequest::new(Lookup::Car("111111".into()));
    let refused = client.list(&other).await.unwrap_err();
    assert_eq!(
        refused.rejection(),
        Some(Rejection::Unauthorized),
        "{refused:?}"
    );
    let text = describe::gateway_error(Lang::En, &refused);
    assert!(
        !text.contains("takes none of this provider's tokens") && !refused.needs_login(),
        "{text}"
    );
    client
        .list(&list_987654())
        .await
        .expect("the login goes on");
    let again = client.list(&other).await.unwrap_err();
    assert_eq!(
        again.rejection(),
        Some(Rejection::Unauthorized),
        "{again:?}"
    );
    assert_eq!(source.token_requests().await, 1, "one renewal in all");
}

#[tokio::test]
async fn a_login_refreshed_by_another_stepwise_is_taken_from_the_store() {
    let provider = Provider::start(quick()).await;
    let mut credential = signed_in(&provider).await;
    credential.expires_at = Some(unix_now());
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::open(Choice::File, Some(dir.path())).unwrap();
    let key = provider.url().to_string();
    store.save(&key, &credential).unwrap();
    // Two processes loaded the same login; the first refreshes it.
    let first = TokenSource::login(key.clone(), credential.clone(), Some(store.clone()));
    let second = TokenSource::login(key.clone(), credential, Some(store.clone()));
    gateway(&provider.sim.url(), Some(first))
        .list(&list_987654())
        .await
        .expect("refreshed");
    // The second's refresh token is spent: it reads the store again before
    // refreshing and takes the kept successor, never presenting the spent
    // token (a provider with reuse detection would end the login).
    gateway(&provider.sim.url(), Some(second.clone()))
        .list(&list_987654())
        .await
        .expect("the kept token is used");
    assert_eq!(
        provider.refreshes(),
        1,
        "the spent token is never presented"
    );
    assert_eq!(second.token_requests().await, 0);
}

/// The live follower sends a kept login's token too: its first list comes
/// back instead of a 401.
#[tokio::test]
async fn the_live_follower_carries_the_kept_login() {
    use futures_util::StreamExt;
    use stepwise::client::live::{LiveUpdate, follow};
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let source = TokenSource::login(provider.url().to_string(), credential, None);
    let client = gateway(&provider.sim.url(), Some(source));
    let list = client.list(&list_987654()).await.expect("the first list");
    let steps_id = list.steps_id.clone().expect("a stepsID");
    let mut updates = follow(client, vec![steps_id.clone()]);
    let first_list = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(update) = updates.next().await {
            match update {
                LiveUpdate::List(list) => return list,
                LiveUpdate::Error { error, .. }
                | LiveUpdate::Dropped { error, .. }
                | LiveUpdate::ListTrouble { error, .. } => {
                    panic!("the follower failed: {error}")
                }
                LiveUpdate::Mode(_) | LiveUpdate::Unchanged { .. } => {}
            }
        }
        panic!("the follower ended without a list");
    })
    .await
    .expect("a list within 10 s");
    assert_eq!(first_list.steps_id.as_deref(), Some(steps_id.as_str()));
}

fn workshop() -> SignInOptions {
    SignInOptions {
        client_id: Some("dealer-workshop-cli".into()),
        scopes: Some("openid offline_access steps:read".into()),
        ..SignInOptions::default()
    }
}

/// A provider that knows only the company's own client id.
async fn company_provider() -> Provider {
    Provider::start(AuthOptions {
        clients: vec!["dealer-workshop-cli".into()],
        ..quick()
    })
    .await
}

#[tokio::test]
async fn a_client_id_the_provider_does_not_know_says_how_to_set_it() {
    let provider = company_provider().await;
    let endpoints = discover(&http(), &provider.url(), None).await.unwrap();
    let err = device::authorize(
        &http(),
        &endpoints,
        &provider.url(),
        &SignInOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AuthError::UnknownClient { client_id, .. } if client_id == "stepwise"),
        "{err:?}"
    );
    let said = describe::auth_error(Lang::En, &err);
    assert!(
        said.contains("stepwise") && said.contains("--client-id") && !said.contains("Retry"),
        "{said}"
    );
}

#[tokio::test]
async fn the_company_client_id_scopes_and_audience_are_sent_and_kept_for_refreshes() {
    let provider = company_provider().await;
    let options = SignInOptions {
        audience: Some("https://steps.example/".into()),
        ..workshop()
    };
    let endpoints = discover(&http(), &provider.url(), None).await.unwrap();
    let authorization = device::authorize(&http(), &endpoints, &provider.url(), &options)
        .await
        .expect("a code for the registered client");
    let pace = TestPace::new(vec![vec![Act::Post(decide_url(
        &provider,
        &authorization,
        "approve",
    ))]]);
    let mut credential = device::poll(&http(), &endpoints, &authorization, &options, &pace)
        .await
        .expect("approved");
    assert_eq!(credential.client_id(), "dealer-workshop-cli");
    assert_eq!(
        credential.scope.as_deref(),
        Some("openid offline_access steps:read")
    );
    assert_eq!(
        credential.audience.as_deref(),
        Some("https://steps.example/")
    );
    assert!(credential.revocation_endpoint.is_some());
    // The refresh presents the same client id (the provider knows no other).
    credential.expires_at = Some(unix_now());
    let source = TokenSource::login(provider.url().to_string(), credential, None);
    gateway(&provider.sim.url(), Some(source.clone()))
        .list(&list_987654())
        .await
        .expect("refreshed with the company's client id");
    assert_eq!(provider.refreshes(), 1);
}

#[tokio::test]
async fn the_issuer_comes_from_the_resource_metadata_and_must_name_itself() {
    let provider = Provider::start(quick()).await;
    let endpoints = discover(&http(), &provider.url(), None).await.unwrap();
    assert_eq!(
        endpoints.issuer.as_deref(),
        Some(provider.sim.url().as_str())
    );
    assert!(endpoints.authorization.is_some() && endpoints.revocation.is_some());
    assert!(endpoints.pkce_s256);
    assert!(
        endpoints
            .resource_scopes
            .as_deref()
            .is_some_and(|s| s.contains("steps:read")),
        "the scopes the gateway names: {:?}",
        endpoints.resource_scopes
    );
    // A server that publishes another issuer's document is not that issuer.
    let idp = provider.sim.url();
    let document = serde_json::json!({
        "issuer": idp,
        "device_authorization_endpoint": format!("{idp}/oauth/device_authorization"),
        "token_endpoint": format!("{idp}/oauth/token"),
    });
    let app = axum::Router::new().route(
        "/.well-known/openid-configuration",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let err = discover(&http(), &provider.url(), Some(&other))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Discovery(stepwise::auth::Discovery::IssuerMismatch { .. })
        ),
        "{err:?}"
    );
    assert!(describe::auth_error(Lang::En, &err).contains("--issuer"));
    // The issuer named by hand is asked directly.
    let named = discover(&http(), &provider.url(), Some(&idp))
        .await
        .unwrap();
    assert_eq!(named.token, endpoints.token);
}

#[tokio::test]
async fn a_refresh_token_presented_twice_ends_the_whole_login_at_the_provider() {
    let provider = Provider::start(quick()).await;
    let mut credential = signed_in(&provider).await;
    credential.expires_at = Some(unix_now());
    // Two holders of the same login that do not share a store.
    let first = TokenSource::login(provider.url().to_string(), credential.clone(), None);
    let second = TokenSource::login(provider.url().to_string(), credential, None);
    gateway(&provider.sim.url(), Some(first.clone()))
        .list(&list_987654())
        .await
        .expect("the first refresh");
    let err = gateway(&provider.sim.url(), Some(second))
        .list(&list_987654())
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::Auth(ref e) if e.needs_login()),
        "{err:?}"
    );
    assert_eq!(
        provider.shared.auth().unwrap().counts().reuse_revocations,
        1
    );
    // The first holder's fresh token went with the login.
    let fresh = first.bearer(&http()).await.unwrap();
    let status = http()
        .get(format!(
            "{}/pims/subscription/steps?carAssociationID=987654",
            provider.sim.url()
        ))
        .header("X-Device-Id", "test-device")
        .bearer_auth(fresh.expose())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401);
}

/// A renewal whose answer is lost on the way (the connection closed after
/// the request) is kept in the store as such: the provider may have
/// renewed, spending the refresh token. The `invalid_grant` that follows is
/// then said as that spent token, never "expired or was revoked".
#[tokio::test]
async fn an_invalid_grant_after_a_lost_renewal_names_the_lost_answer() {
    use tokio::io::AsyncReadExt;
    let provider = Provider::start(quick()).await;
    let credential = signed_in(&provider).await;
    let token_endpoint = credential.token_endpoint.clone().unwrap();
    let refresh_token = credential.refresh_token.clone().unwrap();
    // Reads the request, then closes without an answer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closing = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
        }
    });
    let (_dir, store, key, source) = due_at(&provider, credential, &closing);
    let lost = gateway(&provider.sim.url(), Some(source))
        .list(&list_987654())
        .await
        .unwrap_err();
    assert!(!lost.needs_login(), "{lost:?}");
    // Said at once as what it may have done: spent the refresh token;
    // titled as a renewal, not a sign-in.
    let text = describe::gateway_error(Lang::En, &lost);
    assert!(
        text.contains("got no answer")
            && text.contains("may have renewed the login then, spending the refresh token")
            && !text.contains("issuer"),
        "{text}"
    );
    assert_eq!(
        describe::gateway_headline(Lang::En, &lost),
        "Token renewal failed"
    );
    let (mut kept, _) = store.load(&key).unwrap().unwrap();
    assert!(kept.renewal_lost, "{kept:?}");
    // The provider had renewed: the refresh token kept is spent.
    let renewed = http()
        .post(&token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "refresh_token")
                .append_pair("refresh_token", &refresh_token)
                .append_pair("client_id", "stepwise")
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert!(renewed.status().is_success(), "{renewed:?}");
    kept.token_endpoint = Some(token_endpoint);
    store.save(&key, &kept).unwrap();
    let source = TokenSource::login(key.clone(), kept, Some(store.clone()));
    let over = gateway(&provider.sim.url(), Some(source))
        .list(&list_987654())
        .await
        .unwrap_err();
    assert!(over.needs_login(), "{over:?}");
    let text = describe::gateway_error(Lang::En, &over);
    assert!(
        text.contains("used up by an earlier renewal whose answer was lost on the way")
            && !text.contains("/ expired or was revoked ("),
        "{text}"
    );
}

#[tokio::test]
async fn two_holders_sharing_a_store_refresh_once_and_both_go_on() {
    let provider = Provider::start(quick()).await;
    let mut credential = signed_in(&provider).await;
    credential.expires_at = Some(unix_now());
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::open(Choice::File, Some(dir.path())).unwrap();
    let key = provider.url().to_string();
    store.save(&key, &credential).unwrap();
    let first = TokenSource::login(key.clone(), credential.clone(), Some(store.clone()));
    let second = TokenSource::login(key.clone(), credential, Some(store.clone()));
    let (a, b) = tokio::join!(
        async {
            gateway(&provider.sim.url(), Some(first))
                .list(&list_987654())
                .await
        },
        async {
            gateway(&provider.sim.url(), Some(second))
                .list(&list_987654())
                .await
        }
    );
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(provider.refreshes(), 1, "one refresh for both");
    assert_eq!(
        provider.shared.auth().unwrap().counts().reuse_revocations,
        0
    );
}

#[tokio::test]
async fn a_login_the_provider_ended_is_marked_over_in_the_store() {
    let provider = Provider::start(quick()).await;
    let mut credential = signed_in(&provider).await;
    credential.expires_at = Some(unix_now());
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::open(Choice::File, Some(dir.path())).unwrap();
    let key = provider.url().to_string();
    store.save(&key, &credential).unwrap();
    assert_eq!(provider.control("/sim/auth/revoke").await, 200);
    let source = TokenSource::login(key.clone(), credential, Some(store.clone()));
    let err = gateway(&provider.sim.url(), Some(source))
        .list(&list_987654())
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::Auth(ref e) if e.needs_login()),
        "{err:?}"
    );
    let (kept, _) = store.load(&key).unwrap().unwrap();
    assert!(
        kept.over
            .as_deref()
            .is_some_and(|s| s.contains("invalid_grant"))
    );
    assert!(kept.is_spent(unix_now()) && !kept.can_refresh());
    // Another process loading it never presents the refresh token again.
    let again = TokenSource::login(key.clone(), kept.clone(), Some(store.clone()));
    let ended = again.bearer(&http()).await.unwrap_err();
    assert!(ended.needs_login());
    assert!(ended.to_string().contains("ended the sign-in"), "{ended}");
    assert_eq!(provider.refreshes(), 1);
    // Marked over after a renewal whose answer was lost: every process says
    // the one cause the process that met the answer said (stranger 53, BB5).
    let mut spent = kept;
    spent.renewal_lost = true;
    let again = TokenSource::login(key, spent, Some(store));
    let ended = again.bearer(&http()).await.unwrap_err();
    assert!(
        ended.to_string().contains("used up by an earlier renewal"),
        "{ended}"
    );
}

#[tokio::test]
async fn a_401_naming_the_resource_metadata_leads_to_the_provider() {
    let provider = Provider::start(quick()).await;
    // A gateway with no well-known documents of its own: only its 401 says
    // where its resource metadata is (RFC 9728 §5.1), here at /meta.
    let (gateway_url, _server) = gateway_publishing(&provider, None).await;
    let endpoints = discover(&http(), &gateway_url, None)
        .await
        .expect("found through the challenge");
    assert_eq!(
        endpoints.issuer.as_deref(),
        Some(provider.sim.url().as_str())
    );
    assert_eq!(endpoints.token.port(), provider.url().port());
}

/// A gateway whose 401 names a metadata address that cannot be used
/// (nothing listens there; it answers 404): said as that address, with the
/// gateway's operator and `--issuer`, never "cannot reach the gateway …
/// check --api" (the gateway answered) nor "does not offer sign-in … a
/// fixed token".
#[tokio::test]
async fn a_named_metadata_address_that_fails_is_said_as_such() {
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/meta", listener.local_addr().unwrap())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let missing = format!("{gateway_url}missing");
    use axum::response::IntoResponse;
    let named = std::sync::Arc::new(std::sync::Mutex::new(closed.clone()));
    let shared = named.clone();
    let resource = gateway_url.as_str().trim_end_matches('/').to_owned();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let named = shared.lock().unwrap().clone();
        let resource = resource.clone();
        async move {
            if uri.path().starts_with("/pims/") {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    [(
                        axum::http::header::WWW_AUTHENTICATE,
                        format!("Bearer resource_metadata=\"{named}\""),
                    )],
                )
                    .into_response()
            } else if uri.path() == "/page" {
                axum::response::Html("<html>portal</html>").into_response()
            } else if uri.path() == "/bare" {
                axum::Json(serde_json::json!({ "resource": resource })).into_response()
            } else {
                axum::http::StatusCode::NOT_FOUND.into_response()
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let cases = [
        (closed, "refused"),
        (missing, "HTTP 404"),
        (
            format!("{gateway_url}page"),
            "a web page, not JSON metadata",
        ),
        (
            format!("{gateway_url}bare"),
            "its metadata names no authorization server",
        ),
        ("ftp://127.0.0.1/x".to_owned(), "it is no http(s) address"),
        ("not a url".to_owned(), "it is no http(s) address"),
    ];
    for (address, met) in cases {
        *named.lock().unwrap() = address.clone();
        let err = discover(&http(), &gateway_url, None).await.unwrap_err();
        let text = describe::auth_error(Lang::En, &err);
        assert!(
            text.contains(&format!("names its sign-in metadata at {address}"))
                && text.contains(met)
                && text.contains("--issuer"),
            "{text}"
        );
        for wrong in [
            "cannot reach the gateway",
            "does not offer sign-in",
            "--with-token",
        ] {
            assert!(!text.contains(wrong), "{text}");
        }
    }
}

/// A gateway (on loopback) whose every call answers 401 naming its
/// resource metadata at `/meta`, a document for `resource` (this gateway
/// itself when `None`) whose provider is `provider`'s simulator.
async fn gateway_publishing(
    provider: &Provider,
    resource: Option<&str>,
) -> (Url, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let meta = serde_json::json!({
        "resource": resource.unwrap_or(gateway_url.as_str().trim_end_matches('/')),
        "authorization_servers": [provider.sim.url()],
    });
    let named = format!("{gateway_url}meta");
    let app = axum::Router::new()
        .route(
            "/meta",
            axum::routing::get(move || async move { axum::Json(meta) }),
        )
        .fallback(move || {
            let named = named.clone();
            async move {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    [(
                        axum::http::header::WWW_AUTHENTICATE,
                        format!("Bearer error=\"invalid_token\", resource_metadata=\"{named}\""),
                    )],
                )
            }
        });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (gateway_url, server)
}

/// Resource metadata for another resource is not used (RFC 9728 §3.3): the
/// sign-in it names would give tokens for that resource. Said with both,
/// the gateway's operator and `--issuer`; never a sign-in started.
#[tokio::test]
async fn resource_metadata_for_another_resource_is_not_used() {
    let provider = Provider::start(quick()).await;
    let (gateway_url, _server) = gateway_publishing(&provider, Some("https://other.example")).await;
    let err = discover(&http(), &gateway_url, None)
        .await
        .expect_err("another resource's document");
    let text = describe::auth_error(Lang::En, &err);
    assert!(
        text.contains("(/meta) is for another resource, \"https://other.example\"")
            // The wizard takes no --issuer: the ways it does take are
            // named too (stranger 88, CK1).
            && text.contains("give it with --issuer (or STEPWISE_ISSUER, `issuer` in the config file)")
            && text.contains("operator"),
        "{text}"
    );
    assert!(!err.retry_may_help(), "{err:?}");
}
