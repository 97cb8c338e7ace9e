//! `stepwise login`, `logout` and `auth status` in a plain terminal (the
//! sign-in itself is `crate::auth`): no
//! full-screen UI, output that reads well in a shop and in a script.

use std::io::{IsTerminal, Read, Write};

use serde::Serialize;
use url::Url;

use crate::auth::device::{self, DeviceAuthorization, Endpoints, RealTime};
use crate::auth::{
    AuthError, Choice, Credential, Place, ProxyTrouble, SignInOptions, StoreError, TokenStore,
    rfc3339, unix_now,
};
use crate::client::{ClientOptions, Gateway, GatewayError, Trial, TrialRefusal};
use crate::config::{Settings, TokenFrom};
use crate::text::Lang;
use crate::tr;

/// Where a token is kept, in words.
fn place_text(lang: Lang, place: &Place) -> String {
    match place {
        Place::Keyring(name) => tr!(lang, "place-keyring", name = *name),
        Place::File(path) => tr!(lang, "place-file", path = path.display().to_string()),
    }
}

/// Where the token in use comes from, in words.
fn from_text(lang: Lang, from: TokenFrom) -> String {
    crate::describe::token_from(lang, from)
}

/// Exit code of a sign-in cancelled with Ctrl-C (128 + SIGINT).
pub const EXIT_CANCELLED: u8 = 130;

/// A token read from standard input is at most this long.
const MAX_TOKEN_INPUT: u64 = 16 * 1024;

/// How a command ended: a message for stderr and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    fn error(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: crate::commands::EXIT_ERROR,
        }
    }

    fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: crate::commands::EXIT_USAGE,
        }
    }
}

impl Failure {
    fn auth(lang: Lang, e: &AuthError) -> Self {
        Failure::error(crate::describe::auth_error(lang, e))
    }

    fn cancelled(lang: Lang) -> Self {
        Failure {
            message: tr!(lang, "err-login-cancelled"),
            code: EXIT_CANCELLED,
        }
    }
}

fn gateway_of(lang: Lang, settings: &Settings, what: &str) -> Result<String, Failure> {
    let api = settings.api.as_deref().ok_or_else(|| {
        Failure::usage(tr!(lang, "err-login-no-gateway", command = what.to_owned()))
    })?;
    // gateway_key's reading of the address, refused in the words every
    // command uses.
    crate::client::parse_base(api)
        .map(|url| url.to_string())
        .map_err(|e| Failure::usage(crate::describe::gateway_error(lang, &e)))
}

/// The token store, opened off the async runtime (a keyring may take a
/// moment to answer over D-Bus).
async fn open_store(lang: Lang, settings: &Settings) -> Result<TokenStore, Failure> {
    let choice =
        Choice::from_env().map_err(|e| Failure::usage(crate::describe::store_error(lang, &e)))?;
    let data_dir = settings.data_dir.clone();
    tokio::task::spawn_blocking(move || TokenStore::open(choice, data_dir.as_deref()))
        .await
        .map_err(|e| Failure::error(tr!(lang, "err-login-keep-failed", detail = e.to_string())))?
        .map_err(|e| Failure::error(crate::describe::store_error(lang, &e)))
}

/// A store that cannot keep the new login, said by `login`: a damaged
/// file is moved aside and this same command run again, never "run
/// `stepwise login`" as if it were another (stranger 79, CB5).
fn keep_failed(lang: Lang, error: &StoreError) -> Failure {
    let why = crate::describe::store_error(lang, error);
    Failure::error(match error {
        StoreError::FileDamaged { .. } => tr!(lang, "err-login-file-damaged", why = why),
        _ => why,
    })
}

async fn save(
    lang: Lang,
    store: TokenStore,
    gateway: String,
    credential: Credential,
) -> Result<crate::auth::store::Saved, Failure> {
    tokio::task::spawn_blocking(move || store.save(&gateway, &credential))
        .await
        .map_err(|e| Failure::error(tr!(lang, "err-login-keep-failed", detail = e.to_string())))?
        .map_err(|e| keep_failed(lang, &e))
}

/// Where the login is kept; a note on a file kept in place of a keyring
/// names `stepwise logout` with the `--api` typed.
fn kept_message(
    lang: Lang,
    out: &mut dyn Write,
    saved: &crate::auth::store::Saved,
    api_typed: Option<String>,
) {
    let _ = writeln!(
        out,
        "{}",
        tr!(lang, "login-kept", place = place_text(lang, &saved.place))
    );
    let note = if let Some(why) = &saved.keyring_trouble {
        tr!(lang, "login-keyring-fallback", why = why.words(lang))
    } else if saved.new_file || saved.keyring_too_small.is_some() {
        crate::auth::store::file_notice(lang, saved.keyring_too_small, saved.file_chosen)
    } else {
        return;
    };
    let note = match api_typed {
        Some(api) => crate::text::commands_with_api(&note, &api),
        None => note,
    };
    let _ = writeln!(out, "{note}");
}

/// Is there a desktop to open a browser on?
fn graphical_session() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if cfg!(any(target_os = "macos", windows)) {
        !set("SSH_CONNECTION")
    } else {
        set("DISPLAY") || set("WAYLAND_DISPLAY")
    }
}

/// The code, the address and the QR code, as lines for a plain terminal.
pub fn instructions(
    lang: Lang,
    gateway: &str,
    auth: &DeviceAuthorization,
    styled: bool,
    width: usize,
) -> Vec<String> {
    let (bold, plain) = if styled {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    // The code as it is typed: spaces between its letters read as part
    // of it (a newcomer asked).
    let code = crate::steps::sanitize(&auth.user_code);
    let inner = code.chars().count() + 4;
    let mut lines = vec![
        tr!(
            lang,
            "login-title",
            gateway = crate::steps::sanitize(gateway)
        ),
        String::new(),
        format!(
            "  {}",
            tr!(
                lang,
                "login-open",
                address = auth.verification_uri.to_string()
            )
        ),
        String::new(),
        format!("    ┌{}┐", "─".repeat(inner)),
        format!("    │  {bold}{code}{plain}  │"),
        format!("    └{}┘", "─".repeat(inner)),
        String::new(),
    ];
    let address = auth.address().as_str();
    // A phone that scans a loopback address opens its own: no QR code.
    if let Some(qr) = crate::ui::qr::qr_lines(address, 2)
        .filter(|_| !crate::guidance::is_loopback_url(address))
        .filter(|q| q.first().is_some_and(|l| l.chars().count() + 2 <= width))
    {
        lines.push(format!("  {}", tr!(lang, "login-scan")));
        lines.extend(qr.into_iter().map(|l| format!("  {l}")));
        lines.push(format!("  ({address})"));
        lines.push(String::new());
    }
    lines
}

/// `stepwise login`: finds the identity provider, signs in through the
/// browser on this machine (authorization code with PKCE) where one can be
/// opened, else with a code approved in any browser (device grant); then
/// the token is kept.
pub async fn login(
    lang: Lang,
    settings: &Settings,
    out: &mut (dyn Write + Send),
) -> Result<(), Failure> {
    let gateway = gateway_of(lang, settings, "login")?;
    let store = open_store(lang, settings).await?;
    // A login file that cannot keep the login: said before the customer
    // approves a code for nothing.
    let checked = store.clone();
    tokio::task::spawn_blocking(move || checked.check_file())
        .await
        .map_err(|e| Failure::error(tr!(lang, "err-login-keep-failed", detail = e.to_string())))?
        .map_err(|e| keep_failed(lang, &e))?;
    let client = Gateway::new(
        &gateway,
        settings.device_id.clone(),
        None,
        // The gateway's proxy, trust and client certificate apply to signing in too.
        ClientOptions {
            net: settings.net.clone(),
            ..ClientOptions::default()
        },
    )
    .map_err(|e| Failure::usage(crate::describe::gateway_error(lang, &e)))?;
    let base = Url::parse(client.base()).map_err(|e| Failure::usage(e.to_string()))?;
    let http = client.oauth_http().map_err(|e| Failure::auth(lang, &e))?;
    let options = &settings.signin;
    let endpoints =
        match crate::auth::discover::discover(http, &base, options.issuer.as_deref()).await {
            Ok(endpoints) => endpoints,
            // No sign-in published: the steps call says whether a token
            // is needed at all, or whether the address is a gateway.
            Err(e @ AuthError::Discovery(crate::auth::Discovery::NotOffered { .. })) => {
                return Err(not_offered(lang, settings, &gateway, &e).await);
            }
            // What answered is no HTTP: the steps call says whether the
            // address says http:// to a TLS server (stranger 73, BV9).
            Err(e) => {
                if let Trial::NotTried(Some(why)) = try_token(settings, &gateway, None).await
                    && wrong_scheme(&why)
                {
                    return Err(Failure::error(crate::describe::gateway_error(lang, &why)));
                }
                return Err(Failure::auth(lang, &e));
            }
        };
    // --device where the provider offers none: said, never a browser
    // sign-in instead on a machine that may have no browser (stranger 60,
    // BI10).
    if options.device && endpoints.device_authorization.is_none() {
        return Err(Failure::error(tr!(
            lang,
            "err-login-no-device",
            gateway = gateway.as_str()
        )));
    }
    let browser = endpoints.authorization.is_some()
        && (endpoints.device_authorization.is_none() || (!options.device && graphical_session()));
    let credential = if browser {
        code_flow(lang, &gateway, http, &endpoints, options, out).await?
    } else {
        device_flow(lang, &gateway, &base, http, &endpoints, options, out).await?
    };
    let saved = save(lang, store, gateway.clone(), credential.clone()).await?;
    let _ = writeln!(
        out,
        "{}",
        tr!(lang, "login-signed-in", gateway = gateway.as_str())
    );
    kept_message(lang, out, &saved, crate::client::api_typed(settings));
    if let Some(left) = credential.seconds_left(unix_now()) {
        let time = rfc3339(unix_now() + left);
        let _ = writeln!(out, "{}", expires_line(lang, &credential, time));
    }
    // Tried once, as `--with-token` tries its token: a token the gateway
    // refuses is a sign-in no call can use (stranger 45, AT8).
    let trial = try_token(settings, &gateway, Some(&credential.access_token)).await;
    // Taken, but lacking a scope: no steps call can use it either
    // (stranger 61, BJ1).
    if let Trial::NotTried(Some(wanted @ GatewayError::ScopeWanted { .. })) = &trial {
        return Err(Failure::error(scope_at_once(
            lang,
            &gateway,
            &credential,
            wanted,
        )));
    }
    if let Trial::Refused(refusal) = &trial {
        let words = tr!(
            lang,
            "err-login-refused-at-once",
            gateway = gateway.as_str()
        );
        return Err(Failure::error(refused_why(lang, words, refusal)));
    }
    // Not tried, or not judged: said, as `--with-token` says it, never a
    // bare "Signed in"; a proxy's own answer or a page refusing it in front
    // of the gateway is one every call meets: exit 1 (stranger 68, BQ15).
    if let Trial::NotTried(Some(why)) = &trial {
        // The command it suggests asks the gateway typed as --api, never
        // the embedded simulator (stranger 82, CE7).
        let words = typed(settings, kept_words(lang, &gateway, &trial, false));
        if proxy_stopped(why) || matches!(why, GatewayError::Refused { .. }) {
            return Err(Failure::error(words));
        }
        let _ = writeln!(out, "{words}");
    }
    given_wins(lang, settings, out);
    Ok(())
}

/// STEPWISE_TOKEN wins over the login just kept, in every command: said,
/// so that the next command's refusal of it is no surprise (stranger 86,
/// CI3). (`login` refuses --token-file, the other token given by hand.)
fn given_wins(lang: Lang, settings: &Settings, out: &mut (dyn Write + Send)) {
    if settings.token_from == Some(TokenFrom::Environment) {
        let _ = writeln!(out, "{}", tr!(lang, "login-environment-wins"));
    }
}

/// The authorization code grant with PKCE, in the browser of this machine.
async fn code_flow(
    lang: Lang,
    gateway: &str,
    http: &reqwest::Client,
    endpoints: &Endpoints,
    options: &SignInOptions,
    out: &mut (dyn Write + Send),
) -> Result<Credential, Failure> {
    let pending = crate::auth::code::start(endpoints, options)
        .await
        .map_err(|e| Failure::auth(lang, &e))?;
    let address = pending.address.to_string();
    let _ = writeln!(
        out,
        "{}",
        tr!(
            lang,
            "login-title",
            gateway = crate::steps::sanitize(gateway)
        )
    );
    match open::that_detached(&address) {
        Ok(()) => {
            let _ = writeln!(out, "{}", tr!(lang, "login-browser-signing-in"));
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "{}",
                tr!(lang, "login-browser-failed", why = e.kind().to_string())
            );
        }
    }
    let _ = writeln!(
        out,
        "{}",
        tr!(lang, "login-browser-address", address = address)
    );
    let _ = out.flush();
    let finishing = crate::auth::code::finish(pending, http, endpoints, options, lang);
    tokio::select! {
        done = finishing => done.map_err(|e| Failure::auth(lang, &e)),
        _ = tokio::signal::ctrl_c() => Err(Failure::cancelled(lang)),
    }
}

/// The device grant: a code shown here, approved in any browser.
async fn device_flow(
    lang: Lang,
    gateway: &str,
    base: &Url,
    http: &reqwest::Client,
    endpoints: &Endpoints,
    options: &SignInOptions,
    out: &mut (dyn Write + Send),
) -> Result<Credential, Failure> {
    let authorization = device::authorize(http, endpoints, base, options)
        .await
        .map_err(|e| Failure::auth(lang, &e))?;

    let terminal = std::io::stdout().is_terminal();
    let width = crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w));
    let styled = terminal && std::env::var_os("NO_COLOR").is_none();
    for line in instructions(
        lang,
        gateway,
        &authorization,
        styled,
        if terminal { width } else { 0 },
    ) {
        let _ = writeln!(out, "{line}");
    }
    let offer_browser = graphical_session() && std::io::stdin().is_terminal();
    let mut enter = if offer_browser {
        let _ = writeln!(out, "{}", tr!(lang, "login-press-enter"));
        Some(enter_presses())
    } else {
        None
    };
    // As long as it is: 20 s is not "1 min".
    let left = crate::text::duration(lang, authorization.expires_in.as_secs());
    let _ = writeln!(out, "{}", tr!(lang, "login-waiting", left = left));
    // The code could not be shown (a pipe closed, a full disk): no one can
    // approve it, so it is not waited on (stranger 80, CC6).
    if let Err(e) = out.flush() {
        return Err(Failure::error(output_failed(lang, &e)));
    }

    let (held, mut holds) = tokio::sync::mpsc::unbounded_channel();
    let pace = Watched(held);
    let polling = device::poll(http, endpoints, &authorization, options, &pace);
    tokio::pin!(polling);
    loop {
        tokio::select! {
            done = &mut polling => return done.map_err(|e| Failure::auth(lang, &e)),
            // Nobody reads the code any more (`| head -1`): no approval
            // can come, so no waiting the code's whole life (stranger 78,
            // CA2).
            () = stdout_closed() => return Err(Failure::error(tr!(lang, "err-login-output-closed"))),
            Some(wait) = holds.recv() => {
                let secs = wait.as_secs().max(1);
                let _ = writeln!(out, "{}", tr!(lang, "login-poll-limited", secs = secs));
                let _ = out.flush();
            }
            _ = tokio::signal::ctrl_c() => return Err(Failure::cancelled(lang)),
            Some(()) = async { match &mut enter { Some(rx) => rx.recv().await, None => std::future::pending().await } } => {
                match open::that_detached(authorization.address().as_str()) {
                    Ok(()) => { let _ = writeln!(out, "{}", tr!(lang, "login-browser-opened")); }
                    Err(e) => { let _ = writeln!(out, "{}", tr!(lang, "login-browser-failed", why = e.kind().to_string())); }
                }
                let _ = out.flush();
                enter = None;
            }
        }
    }
}

/// The real clock, telling the terminal when the provider holds the
/// polling back (HTTP 429), never a silent wait under "Waiting for the
/// approval" (stranger 73, BV5).
struct Watched(tokio::sync::mpsc::UnboundedSender<std::time::Duration>);

impl device::Pace for Watched {
    fn now(&self) -> std::time::Instant {
        RealTime.now()
    }

    fn wait(&self, how_long: std::time::Duration) -> impl Future<Output = ()> + Send {
        RealTime.wait(how_long)
    }

    fn held(&self, how_long: std::time::Duration) {
        let _ = self.0.send(how_long);
    }
}

/// Why the sign-in code could not be shown, by the write's error.
fn output_failed(lang: Lang, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        tr!(lang, "err-login-output-closed")
    } else {
        tr!(
            lang,
            "err-login-output-unwritable",
            why = crate::files::unwritable_kind_words(lang, e)
        )
    }
}

/// Ends when standard output is closed by its reader (a pipe whose end
/// stopped reading), or at once when there is none (a script's `>&-`);
/// never where that cannot be watched (a file, Windows).
#[cfg(unix)]
async fn stdout_closed() {
    use std::os::fd::AsFd;
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;
    // A copy of the descriptor this function owns (so the registration is
    // sound: tokio's `with_interest` is deprecated only for descriptors
    // the caller does not own); waited on for its error only, never read
    // or written, so its blocking mode does not matter.
    // No descriptor at all (closed by whoever started this): nothing
    // written can be read.
    let Ok(copy) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return;
    };
    // Closed before start, the standard library puts /dev/null there; sent
    // to /dev/null, the code is thrown away just the same.
    if thrown_away(&copy) {
        return;
    }
    #[allow(deprecated)]
    let watched = AsyncFd::with_interest(copy, Interest::ERROR);
    match watched {
        Ok(fd) => {
            if fd.ready(Interest::ERROR).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        Err(_) => std::future::pending().await,
    }
}

/// Whether `fd` is /dev/null (the same character device).
#[cfg(unix)]
fn thrown_away(fd: &std::os::fd::OwnedFd) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(copy) = fd.try_clone() else {
        return false;
    };
    let (Ok(out), Ok(null)) = (
        std::fs::File::from(copy).metadata(),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    out.file_type().is_char_device() && out.rdev() == null.rdev()
}

#[cfg(not(unix))]
async fn stdout_closed() {
    std::future::pending().await
}

/// Enter presses on standard input, read on a thread of their own.
fn enter_presses() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            if tx.blocking_send(()).is_err() {
                break;
            }
            line.clear();
        }
    });
    rx
}

/// The text given to `login --with-token`: typed (not echoed) at a
/// terminal, else all of standard input (capped).
async fn token_text(
    lang: Lang,
    gateway: &str,
    out: &mut (dyn Write + Send),
) -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        // Echo goes off before the prompt shows: a token typed as soon as the
        // prompt appears is never echoed.
        let typed = match NoEcho::on() {
            Ok(raw) => {
                // The signals are ours before the prompt shows: a kill the
                // moment it appears still gives the terminal back.
                let mut signals = EndSignals::new();
                let _ = write!(
                    out,
                    "{} ",
                    tr!(lang, "login-paste", gateway = gateway.to_owned())
                );
                let _ = out.flush();
                let reading = tokio::task::spawn_blocking(move || read_hidden_line(raw));
                tokio::select! {
                    read = reading => read.map_err(|e| {
                        Failure::error(tr!(lang, "err-login-read-failed", detail = e.to_string()))
                    })?,
                    signal = signals.recv() => {
                        // Asked to end from outside (kill, a closed window):
                        // the terminal goes back as Ctrl-C leaves it, and the
                        // run ends as signalled (the reading thread cannot
                        // be waited for).
                        let _ = crossterm::execute!(
                            std::io::stdout(),
                            crossterm::event::DisableBracketedPaste
                        );
                        let _ = crossterm::terminal::disable_raw_mode();
                        let _ = writeln!(out);
                        let _ = out.flush();
                        let said = tr!(lang, "err-login-cancelled");
                        let _ = writeln!(std::io::stderr(), "stepwise: {said}");
                        std::process::exit(128 + signal);
                    }
                }
            }
            Err(e) => Err(e),
        };
        let _ = writeln!(out);
        match typed {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err(Failure::cancelled(lang)),
            Err(e) => Err(Failure::error(tr!(
                lang,
                "err-login-terminal",
                kind = crate::files::unreadable_words(lang, &e)
            ))),
        }
    } else {
        // Off the async runtime: standard input may be slow to end.
        tokio::task::spawn_blocking(|| {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_TOKEN_INPUT)
                .read_to_string(&mut text)
                .map(|_| text)
        })
        .await
        .map_err(|e| Failure::error(tr!(lang, "err-login-read-failed", detail = e.to_string())))?
        .map_err(|e| {
            Failure::error(tr!(
                lang,
                "err-login-stdin",
                kind = crate::files::unreadable_words(lang, &e)
            ))
        })
    }
}

/// `stepwise login --with-token`: one token from standard input.
pub async fn login_with_token(
    lang: Lang,
    settings: &Settings,
    out: &mut (dyn Write + Send),
) -> Result<(), Failure> {
    let gateway = gateway_of(lang, settings, "login")?;
    let text = token_text(lang, &gateway, out).await?;
    // A byte-order mark (Notepad's "UTF-8 with BOM", piped by `type`) is
    // no part of the token, as in a --token-file.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
    // Several lines with text: a token wrapped (a mail, a terminal) would
    // be cut to its first line and refused as another token.
    if text.lines().filter(|l| !l.trim().is_empty()).count() > 1 {
        return Err(Failure::error(tr!(lang, "err-login-token-lines")));
    }
    let token = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    check_typed_token(lang, token)?;
    // A token the gateway refuses is not kept: it would take the place of
    // a kept one that works.
    let trial = try_token(settings, &gateway, Some(token)).await;
    // An address found wrong (TLS where it says http://, or no TLS where it
    // says https://): nothing is kept under it (stranger 73, BV9).
    if let Trial::NotTried(Some(e)) = &trial
        && wrong_scheme(e)
    {
        return Err(Failure::error(crate::describe::gateway_error(lang, e)));
    }
    // Not seen through a proxy that may drop the header: not kept, so a
    // working login is not replaced by a token never tried (stranger 76,
    // BY3).
    if let Trial::NotTried(Some(GatewayError::TokenDropped { proxy, host, .. })) = &trial {
        return Err(not_kept(
            lang,
            settings,
            tr!(
                lang,
                "err-login-token-dropped",
                gateway = gateway.as_str(),
                proxy = proxy.clone(),
                host = host.clone()
            ),
        ));
    }
    if let Trial::Refused(refusal) = &trial {
        // Its tokens come from its sign-in (and expire): no one gives a
        // "current token" to ask for.
        let gateway = gateway.as_str();
        let words = if offers_sign_in(settings, gateway).await {
            tr!(lang, "err-login-token-refused-signin", gateway = gateway)
        } else {
            tr!(lang, "err-login-token-refused", gateway = gateway)
        };
        return Err(not_kept(lang, settings, refused_why(lang, words, refusal)));
    }
    // Taken, but without a scope the steps need: it would be refused for
    // them, so it does not take the place of a kept one.
    if let Trial::NotTried(Some(GatewayError::ScopeWanted { scope, .. })) = &trial {
        return Err(not_kept(
            lang,
            settings,
            scope_lacked(lang, &gateway, scope),
        ));
    }
    // The answer shows the address is no steps gateway (a portal's page,
    // another web server): a token kept for it would serve nothing.
    if let Trial::NotTried(Some(why)) = &trial
        && not_a_gateway(why)
    {
        return Err(Failure::error(tr!(
            lang,
            "err-login-not-a-gateway",
            why = crate::describe::gateway_cause(lang, why)
        )));
    }
    // Not tried, a proxy in the way: a login kept before (a sign-in that
    // renews itself) is not replaced by a token never tried (stranger 92,
    // CO2).
    if let Trial::NotTried(Some(why)) = &trial
        && proxy_stopped(why)
        && settings.login.is_some()
    {
        let why = crate::describe::gateway_cause(lang, why);
        let words = tr!(lang, "err-login-token-untried-not-kept", why = why);
        return Err(not_kept(lang, settings, words));
    }
    let store = open_store(lang, settings).await?;
    let saved = save(lang, store, gateway.clone(), Credential::given(token)).await?;
    // Taken: and without any token? Then it checks none, and "took it"
    // would tell nothing.
    let needs_none =
        trial == Trial::Taken && try_token(settings, &gateway, None).await == Trial::Taken;
    // The command it suggests asks the gateway typed as --api, not the
    // embedded simulator.
    let kept = typed(settings, kept_words(lang, &gateway, &trial, needs_none));
    let _ = writeln!(out, "{kept}");
    // Its own expiry has passed: the gateway took it, but may not for long.
    if let Some(exp) = crate::auth::jwt_expiry(token).and_then(|e| u64::try_from(e).ok())
        && exp <= unix_now()
    {
        let _ = writeln!(
            out,
            "{}",
            tr!(lang, "login-token-expired-kept", time = rfc3339(exp))
        );
    }
    kept_message(lang, out, &saved, crate::client::api_typed(settings));
    given_wins(lang, settings, out);
    Ok(())
}

/// No sign-in published at `gateway`: said by what its steps call
/// answers without a token. One that answers needs none (nothing to sign
/// in to); a web page or a bare 404 is no steps gateway, so keeping a
/// token for it (the advice for a gateway without sign-in) cannot work.
async fn not_offered(lang: Lang, settings: &Settings, gateway: &str, e: &AuthError) -> Failure {
    match try_token(settings, gateway, None).await {
        Trial::Taken => Failure::error(tr!(lang, "err-login-not-needed", gateway = gateway)),
        Trial::NotTried(Some(why)) if not_a_gateway(&why) => Failure::error(tr!(
            lang,
            "err-signin-not-a-gateway",
            why = crate::describe::gateway_cause(lang, &why)
        )),
        _ => Failure::auth(lang, e),
    }
}

/// The address says http:// to a TLS server, or https:// to a plain one.
fn wrong_scheme(error: &GatewayError) -> bool {
    matches!(
        error,
        GatewayError::WantsTls { .. } | GatewayError::Port { .. }
    )
}

/// The token never reached a gateway: the address may be wrong.
/// An answer that shows the address is no steps gateway: a web page (also
/// one through a proxy), or a 404 without the contract's body.
fn not_a_gateway(error: &GatewayError) -> bool {
    matches!(
        error,
        GatewayError::NotAGateway { .. }
            | GatewayError::BadAnswer(crate::wire::DecodeError::Html)
            // JSON of another service (a health check's) where a list of
            // steps belongs (stranger 60, BI12).
            | GatewayError::BadAnswer(crate::wire::DecodeError::WrongShape(
                crate::wire::Shape::NoSteps(_) | crate::wire::Shape::NotAList(_)
            ))
            | GatewayError::ProxyGarbled {
                what: crate::client::ProxyAnswer::Html,
                ..
            }
    )
}

/// The proxy stopped the request: it could not be reached, answered
/// itself, or opened no tunnel; the gateway was not asked.
fn proxy_stopped(error: &GatewayError) -> bool {
    use crate::client::ProxyAnswer;
    matches!(
        error,
        GatewayError::ProxyUnreachable { .. }
            | GatewayError::ProxyTunnel { .. }
            | GatewayError::ProxyNoTunnel { .. }
            | GatewayError::ProxyLoopback { .. }
            | GatewayError::ProxyCredentialsRefused { .. }
            | GatewayError::Proxy { .. }
            | GatewayError::ProxyGarbled {
                what: ProxyAnswer::NotHttp | ProxyAnswer::TunnelClosed,
                ..
            }
    )
}

fn unreached(error: &GatewayError) -> bool {
    matches!(
        error,
        GatewayError::Unreachable { .. }
            | GatewayError::ConnectTimedOut { .. }
            | GatewayError::NotAGateway { .. }
            | GatewayError::WantsTls { .. }
            | GatewayError::Port { .. }
            | GatewayError::Tls { .. }
            | GatewayError::Net(_)
    )
}

/// A token read from standard input: one in quotes or after the word
/// Bearer is said so, as a token file's is; any other text that is no
/// token, as such.
fn check_typed_token(lang: Lang, token: &str) -> Result<(), Failure> {
    if let Err(
        e @ (crate::config::ConfigError::TokenWrapped { .. }
        | crate::config::ConfigError::TokenBearer { .. }),
    ) = crate::config::check_token(token, crate::config::TokenPlace::StandardInput)
    {
        return Err(Failure::error(e.words(lang)));
    }
    if crate::auth::is_token_text(token) {
        Ok(())
    } else {
        Err(Failure::error(tr!(lang, "err-login-no-token")))
    }
}

/// Whether the gateway (or the issuer the settings name) publishes a
/// sign-in, asked within a few seconds.
async fn offers_sign_in(settings: &Settings, gateway: &str) -> bool {
    let options = ClientOptions {
        net: settings.net.clone(),
        ..ClientOptions::default()
    };
    let Ok(client) = Gateway::new(gateway, settings.device_id.clone(), None, options) else {
        return false;
    };
    let (Ok(base), Ok(http)) = (Url::parse(client.base()), client.oauth_http()) else {
        return false;
    };
    let issuer = settings.signin.issuer.as_deref();
    let asked = crate::auth::discover::discover(http, &base, issuer);
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(5), asked).await,
        Ok(Ok(_))
    )
}

/// Tries `token` (or none) with one list call, once, within a few seconds.
async fn try_token(settings: &Settings, gateway: &str, token: Option<&str>) -> Trial {
    let secret = token.map(crate::secret::Secret::new);
    let device = settings.device_id.clone();
    // Where the token came from: a 401 that saw none through a proxy is
    // said as the proxy's (stranger 72, BU3).
    // (A token being signed in with is the login's to be.)
    let from = token.map(|_| settings.token_from.unwrap_or(TokenFrom::Login));
    match Gateway::for_trial(gateway, device, secret, settings.net.clone()) {
        Ok(client) => client.with_token_from(from).try_token().await,
        Err(_) => Trial::NotTried(None),
    }
}

/// A trial's refusal in `words`, then the gateway's own words on why, and
/// the proxy the call went through, which may have dropped the token
/// (stranger 86, CI2; stranger 84, CG4).
fn refused_why(lang: Lang, words: String, refusal: &TrialRefusal) -> String {
    let mut words = words;
    if let Some(said) = &refusal.said {
        let said = tr!(lang, "gw-401-said", said = said.clone());
        // No full stop of its own after the quote: the message that
        // carries these words puts one (stranger 90, CM3).
        words = format!("{}. {said}", words.trim_end_matches('.'));
    }
    if let Some((proxy, from, host)) = &refusal.proxy {
        let through = tr!(
            lang,
            "err-login-refused-through-proxy",
            proxy = proxy.clone(),
            from = *from,
            host = host.clone()
        );
        words = format!("{}. {through}", words.trim_end_matches('.'));
    }
    words
}

/// A token the gateway took, but says lacks `scope` (empty: unnamed).
fn scope_lacked(lang: Lang, gateway: &str, scope: &str) -> String {
    if scope.is_empty() {
        tr!(lang, "err-login-token-scope-unnamed", gateway = gateway)
    } else {
        tr!(
            lang,
            "err-login-token-scope",
            gateway = gateway,
            scope = scope.to_owned()
        )
    }
}

/// A token not kept: its words, and that the login kept before for the
/// gateway stays, where there is one (stranger 75, BX1: never said where
/// none was kept).
fn not_kept(lang: Lang, settings: &Settings, words: String) -> Failure {
    Failure::error(if settings.login.is_some() {
        tr!(lang, "err-login-kept-unchanged", words = words)
    } else {
        words
    })
}

/// Raw mode (no echo) for as long as it lives; restored on every path.
struct NoEcho;

impl NoEcho {
    fn on() -> std::io::Result<Self> {
        crossterm::terminal::enable_raw_mode()?;
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste);
        Ok(NoEcho)
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// The signals that end a run from outside (SIGTERM, SIGINT, SIGHUP;
/// Ctrl-C elsewhere), listened to from the moment this is made, so none
/// that comes before `recv` is polled takes the default action.
struct EndSignals {
    #[cfg(unix)]
    unix: Option<[tokio::signal::unix::Signal; 3]>,
}

impl EndSignals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let unix = match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
                signal(SignalKind::hangup()),
            ) {
                (Ok(term), Ok(int), Ok(hup)) => Some([term, int, hup]),
                _ => None,
            };
            EndSignals { unix }
        }
        #[cfg(not(unix))]
        EndSignals {}
    }

    /// The number of the signal that came (as 128 + n is the exit code).
    async fn recv(&mut self) -> i32 {
        #[cfg(unix)]
        {
            let Some([term, int, hup]) = self.unix.as_mut() else {
                return std::future::pending().await;
            };
            tokio::select! {
                _ = term.recv() => 15,
                _ = int.recv() => 2,
                _ = hup.recv() => 1,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}

/// One line typed or pasted on the terminal without echo (`_raw` keeps echo
/// off until it returns); `None` when cancelled (Esc, Ctrl-C).
fn read_hidden_line(_raw: NoEcho) -> std::io::Result<Option<String>> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    let mut line = String::new();
    loop {
        match read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => match key.code {
                KeyCode::Enter => return Ok(Some(line)),
                KeyCode::Esc => return Ok(None),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Ok(None);
                }
                KeyCode::Backspace => {
                    line.pop();
                }
                KeyCode::Char(c) if line.len() < 8192 => line.push(c),
                _ => {}
            },
            Event::Paste(text) => {
                line.extend(text.chars().filter(|c| !c.is_control()).take(8192));
                if text.contains(['\r', '\n']) {
                    return Ok(Some(line));
                }
            }
            _ => {}
        }
    }
}

/// `stepwise logout`: the kept token is forgotten everywhere.
pub async fn logout(
    lang: Lang,
    settings: &Settings,
    forget: bool,
    out: &mut (dyn Write + Send),
) -> Result<(), Failure> {
    let gateway = gateway_of(lang, settings, "logout")?;
    let store = open_store(lang, settings).await?;
    let kept = {
        let (store, key) = (store.clone(), gateway.clone());
        tokio::task::spawn_blocking(move || store.load(&key))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
    };
    if let Some((credential, _)) = &kept
        && let Some(unreached) = revoke(lang, settings, &gateway, credential, out).await
    {
        // The provider could not be asked: kept, so that a later logout
        // can revoke it, unless told to forget it all the same.
        let refresh = credential.refresh_token.is_some();
        if !forget {
            return Err(Failure::error(match &unreached {
                Unreached::Wait(why, secs) => tr!(
                    lang,
                    "err-logout-wait",
                    why = why.clone(),
                    wait = crate::text::duration(lang, *secs)
                ),
                Unreached::Proxy(_, words) => {
                    tr!(lang, "err-logout-proxy", words = words.clone())
                }
                Unreached::Later(why) if refresh => {
                    tr!(lang, "err-logout-unreached", why = why.clone())
                }
                Unreached::Later(why) => {
                    tr!(lang, "err-logout-unreached-access", why = why.clone())
                }
            }));
        }
        let why = unreached.cause().to_owned();
        let line = if refresh {
            tr!(lang, "logout-revoke-failed", why = why)
        } else {
            tr!(lang, "logout-revoke-failed-access", why = why)
        };
        let _ = writeln!(out, "{line}");
    }
    let key = gateway.clone();
    let removed = tokio::task::spawn_blocking(move || store.remove(&key))
        .await
        .map_err(|e| Failure::error(tr!(lang, "err-logout-failed", detail = e.to_string())))?
        .map_err(|e| Failure::error(crate::describe::store_error(lang, &e)))?;
    if removed.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            tr!(lang, "logout-none", gateway = gateway.as_str())
        );
    }
    for place in &removed {
        let _ = writeln!(
            out,
            "{}",
            tr!(
                lang,
                "logout-done",
                gateway = gateway.as_str(),
                place = place_text(lang, place)
            )
        );
    }
    if let Some(from) = settings.token_from.filter(|f| *f != TokenFrom::Login) {
        let _ = writeln!(
            out,
            "{}",
            tr!(lang, "logout-still-given", from = from_text(lang, from))
        );
    }
    Ok(())
}

/// Why a revocation could not be asked, and what a later `logout` needs.
enum Unreached {
    /// No answer, or failing for now: the cause.
    Later(String),
    /// Failing or limited for now, with the wait the provider asked (s).
    Wait(String, u64),
    /// A proxy answered itself: the cause, and the whole words with the
    /// proxy's fix.
    Proxy(String, String),
}

impl Unreached {
    /// The cause alone.
    fn cause(&self) -> &str {
        match self {
            Unreached::Later(why) | Unreached::Wait(why, _) | Unreached::Proxy(why, _) => why,
        }
    }
}

/// Revokes the kept refresh token (else the access token) at the provider
/// (RFC 7009) when it offers revocation, and says which it did. A refusal
/// by the provider is said, and the login forgotten all the same; when the
/// provider could not be asked (unreachable, a proxy in the way, failing
/// for now: 5xx), nothing is said and why is returned.
async fn revoke(
    lang: Lang,
    settings: &Settings,
    gateway: &str,
    credential: &Credential,
    out: &mut (dyn Write + Send),
) -> Option<Unreached> {
    // A token given by hand: nothing to revoke.
    credential.token_endpoint.as_ref()?;
    // The provider ended it already: nothing stays valid there.
    if let Some(said) = &credential.over {
        let said = crate::steps::sanitize(said);
        let _ = writeln!(out, "{}", tr!(lang, "logout-already-ended", said = said));
        return None;
    }
    let Some(endpoint) = credential
        .revocation_endpoint
        .as_deref()
        .and_then(|e| Url::parse(e).ok())
    else {
        // What stays valid: the refresh token, else the access token.
        let line = if credential.refresh_token.is_some() {
            tr!(lang, "logout-not-revoked")
        } else {
            tr!(lang, "logout-not-revoked-access")
        };
        let _ = writeln!(out, "{line}");
        return None;
    };
    let (token, hint) = match &credential.refresh_token {
        Some(refresh) => (refresh.as_str(), "refresh_token"),
        None => (credential.access_token.as_str(), "access_token"),
    };
    let client = Gateway::new(
        gateway,
        settings.device_id.clone(),
        None,
        ClientOptions {
            net: settings.net.clone(),
            ..ClientOptions::default()
        },
    );
    let outcome = match &client {
        Ok(client) => {
            let form = [
                ("token", token),
                ("token_type_hint", hint),
                ("client_id", credential.client_id()),
            ];
            crate::auth::device::post_form(client.http(), &endpoint, &form).await
        }
        Err(e) => Err(AuthError::Network {
            url: endpoint.to_string(),
            detail: crate::describe::gateway_error(lang, e),
            tls: None,
        }),
    };
    let why = match outcome {
        Ok(reply) if reply.status.is_success() => {
            let endpoint = crate::auth::device::without_query(&endpoint);
            let _ = writeln!(out, "{}", tr!(lang, "logout-revoked", endpoint = endpoint));
            return None;
        }
        // A 2xx is success whatever its body (RFC 7009 §2.2), a web page
        // too; said, in case a portal answered in the provider's place.
        // A 2xx that came compressed is the provider's all the same: no
        // body is needed (stranger 84, CG8).
        Err(AuthError::Provider(crate::auth::ProviderProblem::Compressed { status, .. }))
            if (200..300).contains(&status) =>
        {
            let endpoint = crate::auth::device::without_query(&endpoint);
            let _ = writeln!(out, "{}", tr!(lang, "logout-revoked", endpoint = endpoint));
            return None;
        }
        Err(AuthError::Fronted { status, .. }) if (200..300).contains(&status) => {
            let endpoint = crate::auth::device::without_query(&endpoint);
            let line = tr!(lang, "logout-revoked-page", endpoint = endpoint);
            let _ = writeln!(out, "{line}");
            return None;
        }
        // Failing or limited for now: a later logout may get through,
        // after the wait the provider names, if it names one.
        Ok(reply)
            if reply.status.is_server_error()
                || reply.status == reqwest::StatusCode::TOO_MANY_REQUESTS =>
        {
            let why = crate::auth::device::OAuthError::of(&reply.body).said(reply.status, &[token]);
            return Some(match reply.retry_after.map(|w| w.as_secs().max(1)) {
                Some(secs) => Unreached::Wait(why, secs),
                None => Unreached::Later(why),
            });
        }
        Ok(reply) => crate::auth::device::OAuthError::of(&reply.body).said(reply.status, &[token]),
        // A page or a 404/410 from the revocation address (nothing serves
        // it, or something in front refuses): an answer a later logout
        // gets again, so no reason to keep the login.
        Err(e @ (AuthError::Fronted { .. } | AuthError::NoEndpoint { .. })) => cause_only(lang, &e),
        // A proxy that answered itself (a password wanted, a refusal, a
        // provider on this machine it cannot reach): its words and their
        // fix, which waiting does not replace.
        Err(e) if proxy_s_fix(&e) => {
            return Some(Unreached::Proxy(
                cause_only(lang, &e),
                crate::describe::auth_error(lang, &e),
            ));
        }
        // Not asked (no answer, a proxy down): the cause alone, the words
        // after it say what to do.
        Err(e) => return Some(Unreached::Later(cause_only(lang, &e))),
    };
    // What stays valid at the provider: the refresh token, else the
    // access token until it expires.
    let line = if hint == "refresh_token" {
        tr!(lang, "logout-revoke-failed", why = why)
    } else {
        tr!(lang, "logout-revoke-failed-access", why = why)
    };
    let _ = writeln!(out, "{line}");
    None
}

/// A proxy's own answer to a sign-in call whose words carry the fix: a
/// 4xx (a password wanted, a refusal), Windows sign-in, a tunnel refused,
/// or a 5xx for a provider on this machine, which no proxy elsewhere
/// reaches (NO_PROXY; stranger 80, CC8).
fn proxy_s_fix(e: &AuthError) -> bool {
    let AuthError::Proxy { url, trouble, .. } = e else {
        return false;
    };
    let loopback = Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|host| crate::net::is_loopback_host(&host));
    match trouble {
        ProxyTrouble::Answered { status, .. } => {
            (400..=499).contains(status) || (*status >= 500 && loopback)
        }
        ProxyTrouble::Windows | ProxyTrouble::Tunnel { .. } => true,
        _ => false,
    }
}

/// A sign-in call's failure, its first sentence: the cause without advice
/// to retry (the words around it say what to do).
fn cause_only(lang: Lang, error: &AuthError) -> String {
    crate::describe::auth_error(lang, error)
        .split(". ")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The provider ended renewing the login for its client id
/// (`invalid_client`): not the login's end, the client id's refusal.
fn client_refused(credential: &Credential) -> bool {
    credential
        .over
        .as_deref()
        .is_some_and(|said| said.starts_with("invalid_client"))
}

#[derive(Serialize)]
struct StatusJson<'a> {
    gateway: &'a str,
    signed_in: bool,
    /// Where the token in use comes from: token-file, environment, login, config.
    token_from: Option<&'static str>,
    store: Option<StoreJson>,
    expires_at: Option<String>,
    expires_in: Option<u64>,
    refreshable: bool,
    /// The provider ended the login (its words), else null.
    ended: Option<&'a str>,
    client_id: Option<&'a str>,
    scope: Option<&'a str>,
    /// The scopes the provider granted, where its token answer said them.
    granted_scope: Option<&'a str>,
    audience: Option<&'a str>,
    /// Why the login kept for this gateway cannot be read, else null.
    login_error: Option<String>,
    /// Why the gateway could not be asked whether it wants a token (its
    /// cause, in English), else null (stranger 52, BA5).
    gateway_error: Option<String>,
    /// With no token in use: whether the gateway wants one (true: it
    /// refused the call, false: it answered without); null when it gave
    /// no answer that says, when a token is in use, or a kept login cannot
    /// be read.
    token_needed: Option<bool>,
    /// A token given by hand that the gateway refused when tried just now
    /// (its status, and the scope it lacks where the gateway named one),
    /// else null (stranger 57, BF14).
    token_refused: Option<RefusedJson>,
    /// The kept login's token had expired and its renewal, tried just now,
    /// failed: why, in English; else null (stranger 63, BL2).
    renewal_error: Option<String>,
}

#[derive(Serialize)]
struct RefusedJson {
    status: u16,
    scope: Option<String>,
}

#[derive(Serialize)]
struct StoreJson {
    kind: &'static str,
    detail: String,
}

/// Where a login is kept for the gateway that a token given by hand
/// (--token-file, STEPWISE_TOKEN) keeps out of use, and which one.
fn shadowed_login(settings: &Settings) -> Option<(Place, TokenFrom)> {
    let from = settings
        .token_from
        .filter(|f| matches!(f, TokenFrom::TokenFile | TokenFrom::Environment))?;
    let api = settings.api.as_deref()?;
    let kept = crate::auth::KeptLogin::load(api, settings.data_dir.as_deref()).ok()??;
    Some((kept.place, from))
}

/// The gateway's own words on a refusal, where it gave them.
fn refusal_said(refusal: Option<&Refusal>) -> Option<String> {
    match refusal {
        Some(Refusal::Status(_, _, said)) => said.clone(),
        _ => None,
    }
}

/// `line`, then the gateway's own words on why, where it gave them
/// (stranger 84, CG4).
fn with_said(lang: Lang, line: String, said: Option<String>) -> String {
    match said {
        Some(said) => format!(
            "{}. {}.",
            line.trim_end_matches('.'),
            tr!(lang, "gw-401-said", said = said)
        ),
        None => line,
    }
}

/// `auth status`'s In use line for a token given by hand (or in the config
/// file) that the gateway refused, for a scope or not. The config file's
/// token: a kept login would win over it, never "remove it to use a kept
/// login" (stranger 81, CD1).
fn refused_line(lang: Lang, from: TokenFrom, status: u16, scope: Option<String>) -> String {
    let (from_text, config) = (from_text(lang, from), from == TokenFrom::Config);
    let status = i64::from(status);
    match (scope, config) {
        (Some(scope), true) => tr!(
            lang,
            "status-in-use-config-scope",
            from = from_text,
            status = status,
            scope = scope
        ),
        (Some(scope), false) => tr!(
            lang,
            "status-in-use-other-scope",
            from = from_text,
            status = status,
            scope = scope
        ),
        (None, true) => tr!(
            lang,
            "status-in-use-config-refused",
            from = from_text,
            status = status
        ),
        (None, false) => tr!(
            lang,
            "status-in-use-other-refused",
            from = from_text,
            status = status
        ),
    }
}

/// The "In use" line of `auth status`: which token the calls carry.
fn in_use_line(
    lang: Lang,
    settings: &Settings,
    ((usable_login, login_refused), renewal_failing): ((bool, bool), bool),
    (given_expired, given_refused): (Option<u64>, Refused),
    asked: Option<(&Asked, &str)>,
) -> String {
    let credential = settings.login.as_ref().map(|l| &l.credential);
    match settings.token_from {
        Some(from) if let Some(Refusal::Unasked(e)) = &given_refused => {
            // The line of its source (a config file's token does not win
            // over a login), then why it was not tried.
            let source = from_text(lang, from);
            let line = if from == TokenFrom::Login {
                tr!(lang, "status-in-use-login")
            } else if from == TokenFrom::Config {
                tr!(lang, "status-in-use-config", from = source)
            } else {
                tr!(lang, "status-in-use-other", from = source)
            };
            let why = crate::describe::gateway_error(lang, e);
            let why = why.trim_end_matches('.').to_owned();
            format!(
                "{line}, {}",
                tr!(lang, "status-in-use-not-tried", why = why)
            )
        }
        // No token seen, through a proxy: its words, whatever the token
        // (stranger 72, BU3).
        Some(from) if let Some(Refusal::Dropped(e)) = &given_refused => tr!(
            lang,
            "status-in-use-dropped",
            from = from_text(lang, from),
            why = crate::describe::gateway_error(lang, e)
        ),
        Some(TokenFrom::Login) if usable_login => tr!(lang, "status-in-use-login"),
        Some(TokenFrom::Login)
            if login_refused && matches!(given_refused, Some(Refusal::Fresh)) =>
        {
            let over = crate::auth::Over::RefusedFresh {
                said: None,
                token: crate::auth::FreshToken::Renewed,
            };
            tr!(
                lang,
                "status-in-use-login-refused-fresh",
                why = over.words(lang)
            )
        }
        // The gateway's own words on why, where it gave them.
        Some(TokenFrom::Login) if login_refused => with_said(
            lang,
            match credential {
                Some(c) if c.token_endpoint.is_some() => tr!(lang, "status-in-use-login-refused"),
                _ => tr!(lang, "status-in-use-login-refused-fixed"),
            },
            refusal_said(given_refused.as_ref()),
        ),
        // Renewal failed for now (a provider's 5xx, a wait): the login is
        // whole, and a new sign-in meets the same provider (stranger 68,
        // BQ7).
        Some(TokenFrom::Login) if renewal_failing => tr!(lang, "status-in-use-renewing"),
        Some(TokenFrom::Login) if credential.is_some_and(|c| c.over.is_some()) => {
            if credential.is_some_and(client_refused) {
                tr!(lang, "status-in-use-client")
            } else {
                tr!(lang, "status-in-use-ended")
            }
        }
        // Kept by hand (no provider to renew it): its current token is
        // the way on, not a sign-in.
        Some(TokenFrom::Login) if credential.is_some_and(|c| c.token_endpoint.is_none()) => {
            tr!(lang, "status-in-use-spent-fixed")
        }
        Some(TokenFrom::Login) => tr!(lang, "status-in-use-spent"),
        // Taken, but lacking a scope: its current token is no way on
        // (stranger 59, BH4).
        Some(from) if let Some(Refusal::Status(status, scope, said)) = given_refused => {
            with_said(lang, refused_line(lang, from, status, scope), said)
        }
        Some(from) => match given_expired {
            Some(at) if from == TokenFrom::Config => tr!(
                lang,
                "status-in-use-config-expired",
                from = from_text(lang, from),
                time = rfc3339(at)
            ),
            Some(at) => tr!(
                lang,
                "status-in-use-other-expired",
                from = from_text(lang, from),
                time = rfc3339(at)
            ),
            // A kept login wins over the config file's token, not it over
            // the login (stranger 57, BF5).
            None if from == TokenFrom::Config => {
                tr!(lang, "status-in-use-config", from = from_text(lang, from))
            }
            None => tr!(lang, "status-in-use-other", from = from_text(lang, from)),
        },
        None if settings.login_trouble.is_some() => tr!(lang, "status-in-use-trouble"),
        // No token, and the gateway answered without one: no sign-in to
        // advise; not answered at all: its need is not known.
        None => match asked {
            Some((Asked::NotNeeded, gateway)) => {
                tr!(lang, "status-in-use-none-needed", gateway = gateway)
            }
            Some((Asked::Unasked(why), gateway)) => tr!(
                lang,
                "status-in-use-none-unasked",
                gateway = gateway,
                why = why.clone()
            ),
            Some((Asked::NeededFixed, _)) => tr!(lang, "status-in-use-none-fixed"),
            Some((Asked::Needed, _)) | None => tr!(lang, "status-in-use-none"),
        },
    }
}

/// A token given by hand (not a kept login): when it expired, by the
/// expiry written in it; else whether the gateway refuses it, asked once
/// as `login --with-token` asks (a script's `auth status && steps` must
/// not go ahead on a token the gateway refuses; stranger 48, AW1).
async fn given_state(settings: &Settings, gateway: &str, now: u64) -> (Option<u64>, Refused) {
    let expired = given_expired_at(settings, now);
    let by_hand = settings.token_from.is_some_and(|from| !from.is_login());
    // Refused: a 401, or the gateway's own word that the token lacks a
    // scope (stranger 57, BF13): every call would meet the same.
    let refused = match (&settings.token, expired) {
        (Some(token), None) if by_hand => {
            match try_token(settings, gateway, Some(token.expose())).await {
                Trial::Refused(refusal) => Some(Refusal::Status(401, None, refusal.said)),
                Trial::NotTried(Some(crate::client::GatewayError::ScopeWanted {
                    status,
                    scope,
                    token_sent: true,
                    ..
                })) => Some(Refusal::Status(status, Some(scope), None)),
                Trial::NotTried(Some(e @ GatewayError::TokenDropped { .. })) => {
                    Some(Refusal::Dropped(Box::new(e)))
                }
                // Not asked (nothing listens, a proxy's own answer): said,
                // never "in use" as if tried (stranger 73, BV8).
                Trial::NotTried(Some(e)) => Some(Refusal::Unasked(Box::new(e))),
                _ => None,
            }
        }
        _ => None,
    };
    (expired, refused)
}

/// The token in use, tried once: a kept login `usable` as a token given by
/// hand is (stranger 72, BU1). Whether the gateway refused the login's
/// token just now, and the given token's state (a refused login's too).
async fn tried(
    settings: &Settings,
    gateway: &str,
    now: u64,
    usable: bool,
) -> (bool, (Option<u64>, Refused)) {
    let token = settings
        .login
        .as_ref()
        .filter(|_| usable)
        .map(|l| l.credential.access_token.as_str());
    let trial = match token {
        Some(token) => Some(try_token(settings, gateway, Some(token)).await),
        None => None,
    };
    let (trial, fresh_refused) = match (trial, token) {
        (Some(Trial::Refused(refusal)), Some(token)) => {
            renewed_trial(settings, gateway, token, refusal).await
        }
        (trial, _) => (trial, false),
    };
    let mut given = given_state(settings, gateway, now).await;
    let mut unasked = None;
    let refused = match trial {
        Some(Trial::Refused(_)) if fresh_refused => Some(Refusal::Fresh),
        Some(Trial::Refused(refusal)) => Some(Refusal::Status(401, None, refusal.said)),
        Some(Trial::NotTried(Some(e @ GatewayError::TokenDropped { .. }))) => {
            Some(Refusal::Dropped(Box::new(e)))
        }
        // Not asked (a proxy's own answer, nothing listening, no answer
        // in time): said, as for a token given by hand, never "In use"
        // as if tried (stranger 78, CA1).
        Some(Trial::NotTried(Some(e))) if !matches!(e, GatewayError::ScopeWanted { .. }) => {
            unasked = Some(Refusal::Unasked(Box::new(e)));
            None
        }
        _ => None,
    };
    let login_refused = refused.is_some();
    if refused.is_some() {
        given.1 = refused;
    } else if settings.token_from == Some(TokenFrom::Login) && given.1.is_none() {
        given.1 = unasked;
    }
    (login_refused, given)
}

/// The kept login's token refused: renewed once and tried again, as every
/// command does (the renewal is kept). Whether the gateway refused the
/// fresh one too: it takes none of this provider's tokens as asked, which
/// a new sign-in the same way does not change (stranger 82, CE1).
async fn renewed_trial(
    settings: &Settings,
    gateway: &str,
    refused: &str,
    refusal: TrialRefusal,
) -> (Option<Trial>, bool) {
    let Some(login) = settings
        .login
        .as_ref()
        .filter(|l| l.credential.can_refresh())
    else {
        return (Some(Trial::Refused(refusal)), false);
    };
    let options = ClientOptions {
        net: settings.net.clone(),
        ..ClientOptions::default()
    };
    let Ok(client) = Gateway::new(gateway, settings.device_id.clone(), None, options) else {
        return (Some(Trial::Refused(refusal)), false);
    };
    let refused = crate::secret::Secret::new(refused);
    match login.source().after_refusal(client.http(), &refused).await {
        Ok(Some(fresh)) => match try_token(settings, gateway, Some(fresh.expose())).await {
            refused @ Trial::Refused(_) => (Some(refused), true),
            trial => (Some(trial), false),
        },
        _ => (Some(Trial::Refused(refusal)), false),
    }
}

/// A token given by hand refused by the gateway: the status, and the scope
/// it lacks when the gateway said so (403 `insufficient_scope`).
type Refused = Option<Refusal>;

/// How the gateway turned a token down.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// A 401, or a 403 naming the scope it lacks; the gateway's own words
    /// on why, where it gave them (stranger 84, CG4).
    Status(u16, Option<String>, Option<String>),
    /// The kept login's token refused, and the one renewed at once too.
    Fresh,
    /// A 401 that saw no token, sent through a proxy that may drop the
    /// Authorization header (stranger 72, BU3).
    Dropped(Box<GatewayError>),
    /// Not asked: why.
    Unasked(Box<GatewayError>),
}

/// When a token given by hand (not a kept login) expired, by the expiry
/// written in it (a JWT's `exp`).
fn given_expired_at(settings: &Settings, now: u64) -> Option<u64> {
    let token = settings
        .token
        .as_ref()
        .filter(|_| settings.token_from.is_some_and(|from| !from.is_login()))?;
    let exp = u64::try_from(crate::auth::jwt_expiry(token.expose())?).ok()?;
    (exp <= now).then_some(exp)
}

/// What the gateway said, asked without a token, of its need for one.
enum Asked {
    /// It refused the call (401).
    Needed,
    /// It refused the call, and publishes no sign-in: a fixed token.
    NeededFixed,
    /// It answered without a token.
    NotNeeded,
    /// No answer that says (down, failing, another server): why.
    Unasked(String),
}

impl Asked {
    fn of(lang: Lang, trial: Trial) -> Self {
        match trial {
            Trial::Taken => Asked::NotNeeded,
            Trial::Refused(_) => Asked::Needed,
            // A scope wanted: a token is, too.
            Trial::NotTried(Some(GatewayError::ScopeWanted { .. })) => Asked::Needed,
            // Its words whole, with what fixes it: no sign-in is advised
            // to an address that could not be asked (stranger 70, BS4).
            Trial::NotTried(Some(why)) => Asked::Unasked(
                crate::describe::gateway_error(lang, &why)
                    .trim_end_matches('.')
                    .to_owned(),
            ),
            Trial::NotTried(None) => Asked::Unasked(tr!(lang, "status-unasked-no-client")),
        }
    }
}

/// `words` with `--api URL` in the commands they suggest, where the
/// gateway's address was typed as `--api`.
fn typed(settings: &Settings, words: String) -> String {
    match crate::client::api_typed(settings) {
        Some(api) => crate::text::commands_with_api(&words, &api),
        None => words,
    }
}

/// What `login --with-token` says of the token kept, by its trial.
fn kept_words(lang: Lang, gateway: &str, trial: &Trial, needs_none: bool) -> String {
    match trial {
        Trial::Taken if needs_none => {
            tr!(lang, "login-token-not-checked", gateway = gateway)
        }
        Trial::Taken => tr!(lang, "login-token-taken", gateway = gateway),
        // Sent, and no answer within the trial's time: a gateway busy or
        // hung, said so (stranger 52, BA4). (A refused token never comes
        // here: `login_with_token` says it as an error first.)
        Trial::NotTried(None | Some(GatewayError::TimedOut { .. })) | Trial::Refused(_) => tr!(
            lang,
            "login-token-untried-silent",
            gateway = gateway,
            secs = crate::client::TRIAL_LIMIT.as_secs()
        ),
        // Why it could not be tried: a mistyped --api shows now, not at
        // the customer's car.
        // A proxy stopped the request before the gateway: not asked.
        Trial::NotTried(Some(why)) if proxy_stopped(why) => tr!(
            lang,
            "login-token-untried-proxy",
            gateway = gateway,
            why = crate::describe::gateway_cause(lang, why)
        ),
        Trial::NotTried(Some(why)) if unreached(why) => tr!(
            lang,
            "login-token-untried-why",
            gateway = gateway,
            why = crate::describe::gateway_cause(lang, why)
        ),
        // It was sent, and the answer did not judge it.
        Trial::NotTried(Some(why)) => tr!(
            lang,
            "login-token-unjudged",
            gateway = gateway,
            why = crate::describe::gateway_cause(lang, why)
        ),
    }
}

/// `auth status --json`'s text.
fn status_json(
    lang: Lang,
    settings: &Settings,
    gateway: &str,
    (signed_in, refused): (bool, Refused),
    (asked, renewal_error): (Option<&Asked>, Option<String>),
    now: u64,
) -> String {
    let login = settings.login.as_ref();
    let credential = login.map(|l| &l.credential);
    // Why the token in use could not be tried, in English (stranger 73,
    // BV8).
    let unasked = match &refused {
        Some(Refusal::Unasked(e)) => Some(crate::describe::gateway_error(Lang::En, e)),
        _ => None,
    };
    let value = StatusJson {
        gateway,
        signed_in,
        token_from: settings.token_from.map(TokenFrom::as_wire),
        store: login.map(|l| StoreJson {
            kind: l.place.kind(),
            detail: l.place.detail(),
        }),
        expires_at: credential.and_then(|c| c.expires_at).map(rfc3339),
        expires_in: credential.and_then(|c| c.seconds_left(now)),
        refreshable: credential.is_some_and(Credential::can_refresh),
        ended: credential.and_then(|c| c.over.as_deref()),
        client_id: credential
            .filter(|c| c.token_endpoint.is_some())
            .map(Credential::client_id),
        scope: credential.and_then(|c| c.scope.as_deref()),
        granted_scope: credential.and_then(|c| c.granted.as_deref()),
        audience: credential.and_then(|c| c.audience.as_deref()),
        login_error: settings.login_trouble.as_ref().map(|e| e.words(lang)),
        gateway_error: match asked {
            Some(Asked::Unasked(why)) => Some(why.clone()),
            _ => unasked,
        },
        token_needed: match asked {
            Some(Asked::Needed | Asked::NeededFixed) => Some(true),
            Some(Asked::NotNeeded) => Some(false),
            Some(Asked::Unasked(_)) | None => None,
        },
        token_refused: refused.and_then(|refusal| match refusal {
            Refusal::Status(status, scope, _) => Some(RefusedJson { status, scope }),
            Refusal::Fresh => Some(RefusedJson {
                status: 401,
                scope: None,
            }),
            Refusal::Dropped(_) => Some(RefusedJson {
                status: 401,
                scope: None,
            }),
            Refusal::Unasked(_) => None,
        }),
        renewal_error,
    };
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// With no token at all: whether the gateway wants one (asked once), and
/// if so whether a sign-in can give one or only a fixed token.
async fn ask_gateway(lang: Lang, settings: &Settings, gateway: &str) -> Option<Asked> {
    if settings.token_from.is_some() || settings.login_trouble.is_some() {
        return None;
    }
    let asked = Asked::of(lang, try_token(settings, gateway, None).await);
    Some(match asked {
        Asked::Needed if !offers_sign_in(settings, gateway).await => Asked::NeededFixed,
        asked => asked,
    })
}

/// A new login's token that the gateway says lacks a scope: why, and who
/// can change it: the provider that did not grant it, the same sign-in
/// asked again, or a sign-in asking for it.
fn scope_at_once(
    lang: Lang,
    gateway: &str,
    credential: &Credential,
    wanted: &GatewayError,
) -> String {
    let GatewayError::ScopeWanted { scope, .. } = wanted else {
        return crate::describe::gateway_error(lang, wanted);
    };
    if scope.is_empty() {
        return crate::describe::gateway_error(lang, wanted);
    }
    let has = |list: Option<&str>| list.is_some_and(|l| l.split_whitespace().any(|s| s == scope));
    let why = match (credential.granted.as_deref(), credential.scope.as_deref()) {
        (Some(granted), asked) if has(asked) && !has(Some(granted)) => tr!(
            lang,
            "login-scope-not-granted",
            granted = crate::steps::sanitize(granted),
            scope = scope.clone()
        ),
        (_, asked) if has(asked) => tr!(lang, "login-scope-asked", scope = scope.clone()),
        // Each scope once: the challenge may name some the login asked
        // for already (stranger 68, BQ5).
        (_, asked) => tr!(
            lang,
            "login-scope-not-asked",
            ask = crate::client::scopes_to_ask(
                Some(asked.unwrap_or(crate::auth::DEFAULT_SCOPES)),
                scope
            )
        ),
    };
    tr!(
        lang,
        "err-login-scope-at-once",
        gateway = gateway.to_owned(),
        scope = scope.clone(),
        why = why
    )
}

/// The scopes of a login: those asked for, and those the provider granted
/// where it said fewer or others (stranger 61, BJ2).
fn scopes_words(lang: Lang, credential: &Credential) -> Option<String> {
    let asked = credential.scope.clone();
    let words = |s: &str| {
        let mut w: Vec<&str> = s.split_whitespace().collect();
        w.sort_unstable();
        w.join(" ")
    };
    match (asked, credential.granted.as_deref()) {
        (Some(asked), Some(granted)) if words(&asked) != words(granted) => Some(tr!(
            lang,
            "status-scopes-granted",
            asked = asked,
            granted = crate::steps::sanitize(granted)
        )),
        (asked, granted) => asked.or_else(|| granted.map(crate::steps::sanitize)),
    }
}

/// When a new login's token expires, and whether it is refreshed then.
fn expires_line(lang: Lang, credential: &Credential, time: String) -> String {
    // Asked for offline_access and given no refresh token: the provider's
    // choice, not a scope to add (stranger 57, BF6).
    let asked_offline = credential
        .scope
        .as_deref()
        .is_some_and(|s| s.split_whitespace().any(|s| s == "offline_access"));
    if credential.can_refresh() {
        tr!(lang, "login-expires", time = time)
    } else if asked_offline {
        tr!(lang, "login-expires-no-refresh-asked", time = time)
    } else {
        tr!(lang, "login-expires-no-refresh", time = time)
    }
}

/// Where the login is kept; a file others may read is said so, with how
/// to close it (said only of what is so).
fn kept_line(lang: Lang, place: &Place) -> String {
    let mut words = place_text(lang, place);
    if let Place::File(path) = place {
        let note = match crate::files::others_may_read(path) {
            Some(mode) => tr!(
                lang,
                "status-login-file-open",
                mode = format!("{mode:04o}"),
                path = path.display().to_string()
            ),
            None => tr!(lang, "status-login-file-private"),
        };
        words = format!("{words} {note}");
    }
    tr!(lang, "status-login-kept", place = words)
}

/// What renewing the kept login in use now came to.
enum Renewal {
    /// Not due, not renewable, or not the login in use.
    NotDue,
    /// Renewed: the login as it is now kept.
    Renewed(Box<Credential>),
    /// Refused or failed: why (in English, and in `lang`), and whether only
    /// a new sign-in helps.
    Failed(String, String, bool),
}

/// The kept login in use, expired and renewable: renewed now, as the next
/// call would.
async fn renewal_now(lang: Lang, settings: &Settings, gateway: &str, now: u64) -> Renewal {
    let Some(login) = settings.login.as_ref().filter(|_| settings.token.is_none()) else {
        return Renewal::NotDue;
    };
    let credential = &login.credential;
    if credential.over.is_some()
        || !credential.can_refresh()
        || credential.seconds_left(now) != Some(0)
    {
        return Renewal::NotDue;
    }
    let Ok(client) = Gateway::for_trial(
        gateway,
        settings.device_id.clone(),
        None,
        settings.net.clone(),
    ) else {
        return Renewal::NotDue;
    };
    let source = login.source();
    match source.bearer(client.http()).await {
        Ok(_) => match source.credential().await {
            Some(renewed) => Renewal::Renewed(Box::new(renewed)),
            None => Renewal::NotDue,
        },
        Err(error) => Renewal::Failed(
            crate::describe::auth_error(Lang::En, &error),
            crate::describe::auth_error(lang, &error),
            error.needs_login(),
        ),
    }
}

/// `auth status`'s Expires line: the login as kept, or as renewed just
/// now (`renewed`), or expired with its renewal failed just now (`failed`).
fn expires_status(
    lang: Lang,
    credential: &Credential,
    now: u64,
    renewed: bool,
    failed: bool,
) -> String {
    let refreshable = credential.can_refresh();
    match (credential.expires_at, credential.seconds_left(now)) {
        // Ended by the provider: its time left says nothing.
        (Some(at), _) if credential.over.is_some() => {
            tr!(lang, "status-expires-ended", time = rfc3339(at))
        }
        (Some(at), Some(0)) if refreshable && !failed => {
            tr!(lang, "status-expired-refreshable", time = rfc3339(at))
        }
        (Some(at), Some(0)) => tr!(lang, "status-expired", time = rfc3339(at)),
        (Some(at), Some(left)) if renewed => tr!(
            lang,
            "status-expires-renewed",
            time = rfc3339(at),
            left = crate::text::duration(lang, left)
        ),
        (Some(at), Some(left)) => tr!(
            lang,
            "status-expires",
            time = rfc3339(at),
            left = crate::text::duration(lang, left)
        ),
        // From a sign-in whose provider gave no usable expiry.
        _ if credential.token_endpoint.is_some() => {
            tr!(lang, "status-expires-unknown-provider")
        }
        _ => tr!(lang, "status-expires-unknown"),
    }
}

/// Whether a token in use was tried and taken: a token given by hand
/// neither expired nor refused, or a usable kept login; never one whose
/// gateway could not be asked (stranger 78, CA1).
fn signed_in(settings: &Settings, given: &(Option<u64>, Refused), usable_login: bool) -> bool {
    let unasked = matches!(given.1, Some(Refusal::Unasked(_)));
    let taken = (settings.token.is_some() && *given == (None, None)) || usable_login;
    taken && !unasked
}

/// `stepwise auth status [--json]`: exit 0 with a usable token, or with
/// none when the gateway answered without one; 1 otherwise.
/// With no token at all, the gateway is asked once (within a few seconds)
/// whether it answers without one: then no sign-in is advised.
pub async fn status(lang: Lang, settings: &Settings, json: bool) -> Result<(String, u8), Failure> {
    let gateway = gateway_of(lang, settings, "auth status")?;
    // JSON's words are English, whatever the reader's language.
    let asked = ask_gateway(if json { Lang::En } else { lang }, settings, &gateway).await;
    let now = unix_now();
    // An expired token of the login in use is renewed now, as the next
    // call would: its failure is said, never "fetched on next use"
    // (stranger 63, BL2).
    let renewal = renewal_now(lang, settings, &gateway, now).await;
    // Renewed just now: the login as it is kept after it, said so
    // (stranger 68, BQ1).
    let renewed_settings;
    let (settings, renewed, renewal) = match renewal {
        Renewal::Renewed(credential) => {
            let mut changed = settings.clone();
            if let Some(login) = changed.login.as_mut() {
                login.credential = *credential;
            }
            renewed_settings = changed;
            (&renewed_settings, true, None)
        }
        Renewal::Failed(en, words, needs_login) => {
            (settings, false, Some((en, words, needs_login)))
        }
        Renewal::NotDue => (settings, false, None),
    };
    let login = settings.login.as_ref();
    let credential = login.map(|l| &l.credential);
    let usable_login = credential.is_some_and(|c| !c.is_spent(now)) && renewal.is_none();
    let (login_refused, given) = tried(settings, &gateway, now, usable_login).await;
    let usable_login = usable_login && !login_refused;
    let signed_in = signed_in(settings, &given, usable_login);
    let usable_login = (usable_login, login_refused);
    // With a usable token, or none where the gateway answered without one.
    let code = if signed_in || matches!(asked, Some(Asked::NotNeeded)) {
        crate::commands::EXIT_CLEAR
    } else {
        crate::commands::EXIT_ERROR
    };
    if json {
        let text = status_json(
            lang,
            settings,
            &gateway,
            (signed_in, given.1.clone()),
            (asked.as_ref(), renewal.map(|r| r.0)),
            now,
        );
        return Ok((text, code));
    }
    let mut lines = vec![tr!(lang, "status-gateway", gateway = gateway.as_str())];
    match login {
        Some(l) => {
            lines.push(kept_line(lang, &l.place));
            let refreshable = l.credential.can_refresh();
            lines.push(expires_status(
                lang,
                &l.credential,
                now,
                renewed,
                renewal.is_some(),
            ));
            if let Some(why) = &renewal {
                lines.push(tr!(lang, "status-renewal-failed", why = why.1.clone()));
            }
            lines.push(match &l.credential.over {
                Some(said) if client_refused(&l.credential) => tr!(
                    lang,
                    "status-over-client",
                    said = said.clone(),
                    client = l.credential.client_id().to_owned()
                ),
                Some(said) => tr!(lang, "status-over", said = said.clone()),
                // Renewed just now, and refused: no promise of the next
                // (stranger 66, BO7).
                None if renewal.as_ref().is_some_and(|r| r.2) => tr!(lang, "status-refresh-ended"),
                None if renewal.is_some() => tr!(lang, "status-refresh-failing"),
                None if refreshable => tr!(lang, "status-refresh-auto"),
                // A token given by hand: no sign-in renews it, the gateway's
                // current one does.
                None if l.credential.token_endpoint.is_none() => {
                    tr!(lang, "status-refresh-fixed")
                }
                None => tr!(lang, "status-refresh-none"),
            });
            if l.credential.token_endpoint.is_some() {
                let none = || "-".to_owned();
                lines.push(tr!(
                    lang,
                    "status-client",
                    client = l.credential.client_id().to_owned(),
                    scopes = scopes_words(lang, &l.credential).unwrap_or_else(none),
                    audience = l.credential.audience.clone().unwrap_or_else(none)
                ));
            }
        }
        None => lines.push(match (&settings.login_trouble, shadowed_login(settings)) {
            (Some(trouble), _) => tr!(lang, "status-login-trouble", why = trouble.words(lang)),
            // A token given by hand wins, so the kept login was not read:
            // it is there all the same.
            (None, Some((place, from))) => tr!(
                lang,
                "status-login-kept-unused",
                place = place_text(lang, &place),
                from = from_text(lang, from)
            ),
            (None, None) => tr!(lang, "status-login-none"),
        }),
    }
    let renewal_failing = renewal.as_ref().is_some_and(|r| !r.2);
    lines.push(in_use_line(
        lang,
        settings,
        (usable_login, renewal_failing),
        given,
        asked.as_ref().map(|a| (a, gateway.as_str())),
    ));
    Ok((lines.join("\n") + "\n", code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::time::Duration;

    /// A new login's token that the gateway says lacks a scope names who
    /// can change it: the provider that did not grant it, the same sign-in
    /// asked again, or a sign-in asking for it (stranger 61, BJ1).
    #[test]
    fn a_new_login_lacking_a_scope_names_who_can_give_it() {
        let options = SignInOptions::default();
        let wanted = GatewayError::ScopeWanted {
            status: 403,
            scope: "steps:read".into(),
            sent: None,
            token_sent: true,
            asked: false,
            dropped: None,
            ask: "openid offline_access steps:read".into(),
        };
        let gw = "http://gw.example/";
        let words = |asked: &str, granted: Option<&str>| {
            let mut credential = Credential::given("t").asked(&options, asked, None);
            credential.granted = granted.map(str::to_owned);
            scope_at_once(Lang::En, gw, &credential, &wanted)
        };
        let not_granted = words("openid steps:read", Some("openid"));
        assert!(
            not_granted.starts_with("signed in, but the gateway at http://gw.example/ says")
                && not_granted.contains("lacks the scope steps:read")
                && not_granted.contains("The provider granted only openid")
                && not_granted.contains("`stepwise logout` forgets it"),
            "{not_granted}"
        );
        let asked = words("openid steps:read", None);
        assert!(
            asked.contains("The sign-in asked for steps:read") && !asked.contains("login --scope"),
            "{asked}"
        );
        let not_asked = words("openid offline_access", Some("openid offline_access"));
        assert!(
            not_asked.contains(r#"`stepwise login --scope "openid offline_access steps:read"`"#),
            "{not_asked}"
        );
        // A challenge naming every scope the gateway needs, some asked
        // already: each once in the command (stranger 68, BQ5).
        let both = GatewayError::ScopeWanted {
            status: 403,
            scope: "steps:read steps:write".into(),
            sent: None,
            token_sent: true,
            asked: false,
            dropped: None,
            ask: String::new(),
        };
        let credential = Credential::given("t").asked(&options, "openid steps:read", None);
        let words = scope_at_once(Lang::En, gw, &credential, &both);
        assert!(
            words.contains(r#"`stepwise login --scope "openid steps:read steps:write"`"#),
            "{words}"
        );
    }

    /// A token refused with the gateway's words, inside a message that
    /// puts its own full stop after them: one full stop (stranger 90, CM3).
    #[test]
    fn the_gateway_s_words_end_with_one_full_stop() {
        let refusal = TrialRefusal {
            said: Some("token audience is not steps-api".into()),
            proxy: None,
        };
        let words = refused_why(Lang::En, "refused (HTTP 401).".into(), &refusal);
        let kept = tr!(Lang::En, "err-login-kept-unchanged", words = words);
        assert!(
            kept.contains("The gateway says: “token audience is not steps-api”. The login kept"),
            "{kept}"
        );
        assert!(!kept.contains("”.."), "{kept}");
    }

    /// `auth status` names the scopes granted where the provider granted
    /// others than those asked for (stranger 61, BJ2).
    #[test]
    fn the_scopes_granted_are_said_where_they_differ() {
        let options = SignInOptions::default();
        let mut credential = Credential::given("t").asked(&options, "openid steps:read", None);
        assert_eq!(
            scopes_words(Lang::En, &credential).as_deref(),
            Some("openid steps:read")
        );
        credential.granted = Some("steps:read openid".into());
        assert_eq!(
            scopes_words(Lang::En, &credential).as_deref(),
            Some("openid steps:read")
        );
        credential.granted = Some("openid".into());
        assert_eq!(
            scopes_words(Lang::En, &credential).as_deref(),
            Some("openid steps:read asked, openid granted")
        );
    }

    /// A login with no refresh token that asked for offline_access is not
    /// told that offline_access would give one (stranger 57, BF6).
    #[test]
    fn no_refresh_token_after_asking_offline_access_names_the_provider() {
        let options = SignInOptions::default();
        let time = || "2026-12-07T10:00:00Z".to_owned();
        let asked = Credential::given("t").asked(&options, "openid offline_access", None);
        let line = expires_line(Lang::En, &asked, time());
        assert!(
            line.contains("though the sign-in asked for offline_access")
                && !line.contains("gives one with the offline_access scope"),
            "{line}"
        );
        let unasked = Credential::given("t").asked(&options, "openid", None);
        let line = expires_line(Lang::En, &unasked, time());
        assert!(
            line.contains("gives one with the offline_access scope"),
            "{line}"
        );
    }

    fn authorization() -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: Secret::new("dc-very-secret"),
            user_code: "WDJB-MJHT".into(),
            verification_uri: Url::parse("http://127.0.0.1:8080/device").unwrap(),
            verification_uri_complete: Some(
                Url::parse("http://127.0.0.1:8080/device?user_code=WDJB-MJHT").unwrap(),
            ),
            expires_in: Duration::from_secs(600),
            interval: Duration::from_secs(5),
        }
    }

    #[test]
    fn instructions_show_the_code_the_address_and_a_qr_code_never_the_device_code() {
        let routable = |auth: DeviceAuthorization| DeviceAuthorization {
            verification_uri: Url::parse("http://10.0.0.7:8080/device").unwrap(),
            verification_uri_complete: Some(
                Url::parse("http://10.0.0.7:8080/device?user_code=WDJB-MJHT").unwrap(),
            ),
            ..auth
        };
        // An address on this machine only: no QR code a phone could not open.
        let local = instructions(
            Lang::En,
            "http://127.0.0.1:8080/",
            &authorization(),
            false,
            120,
        )
        .join("\n");
        assert!(local.contains("http://127.0.0.1:8080/device"), "{local}");
        assert!(!local.contains("QR") && !local.contains('▀'), "{local}");
        let lines = instructions(
            Lang::En,
            "http://10.0.0.7:8080/",
            &routable(authorization()),
            false,
            120,
        )
        .join("\n");
        assert!(lines.contains("│  WDJB-MJHT  │"), "{lines}");
        assert!(lines.contains("http://10.0.0.7:8080/device"));
        assert!(lines.contains("scan this QR code"));
        assert!(lines.contains('▀') || lines.contains('▄'));
        assert!(!lines.contains("dc-very-secret"));
        let narrow = instructions(
            Lang::En,
            "http://10.0.0.7:8080/",
            &routable(authorization()),
            false,
            20,
        )
        .join("\n");
        assert!(!narrow.contains("QR"), "no QR code where it does not fit");
    }
}
