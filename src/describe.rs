//! The words a person reads about a failed gateway call, a configuration or
//! network setting that cannot be used, or a sign-in store that fails: what
//! went wrong, why, and what to do. The errors carry data only; the CLI and
//! the wizard show them through here, in the chosen language.

use crate::auth::{AuthError, Over, ProxyTrouble, StoreError};
use crate::client::live::LiveFault;
use crate::client::{GatewayError, Rejection};
use crate::config::{ConfigError, TokenFrom};
use crate::guidance::explain_code;
use crate::net::{NetError, TlsProblem};
use crate::text::{Lang, num};
use crate::tr;
use crate::wire::ErrorBody;

/// One line: what, why, what to do.
pub fn gateway_error(lang: Lang, error: &GatewayError) -> String {
    bare_401_note(lang, error, gateway_line(lang, error))
}

/// `words` on a bare 401 that came through a proxy, with the proxy named
/// as the other possible cause, after the token (stranger 83, CF1).
pub fn bare_401_note(lang: Lang, error: &GatewayError, words: String) -> String {
    match error {
        GatewayError::Unauthorized {
            through: Some(via), ..
        } => format!(
            "{}. {}",
            words.trim_end_matches('.'),
            tr!(
                lang,
                "gw-401-bare-through-proxy",
                proxy = via.proxy.clone(),
                from = via.from,
                host = via.host.clone()
            )
        ),
        _ => words,
    }
}

/// [`gateway_error`] without the note on a bare 401 through a proxy.
pub(crate) fn gateway_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::Unreachable { .. }
        | GatewayError::Redirected(_)
        | GatewayError::NotAGateway { .. } => address_line(lang, error),
        GatewayError::MovedAway { from, to, status } => tr!(
            lang,
            "gw-moved-away",
            from = from.clone(),
            to = to.clone(),
            status = *status
        ),
        GatewayError::TimedOut { .. }
        | GatewayError::ConnectTimedOut { .. }
        | GatewayError::ProxyUnreachable { .. }
        | GatewayError::ProxyTunnel { .. } => connection_line(lang, error),
        GatewayError::ScopeWanted { .. } => scope_wanted_line(lang, error),
        GatewayError::ProxyNoTunnel {
            proxy,
            from,
            status,
        } => tr!(
            lang,
            "gw-proxy-no-tunnel",
            proxy = proxy.clone(),
            from = *from,
            status = *status
        ),
        GatewayError::Rejected { .. } => rejected(lang, error, false),
        GatewayError::TooLarge { .. }
        | GatewayError::CaptivePortal { .. }
        | GatewayError::Compressed { .. }
        | GatewayError::BadAnswer(_)
        | GatewayError::Transport(_) => answer_line(lang, error),
        GatewayError::UserInfoInUrl => tr!(lang, "gw-user-info"),
        GatewayError::BadUrl { .. }
        | GatewayError::BadPath { .. }
        | GatewayError::BadToken
        | GatewayError::HttpSetup(_)
        | GatewayError::DemoUnavailable(_)
        | GatewayError::DemoState { .. }
        | GatewayError::DemoStateFile { .. } => setup_line(lang, error),
        GatewayError::Tls {
            base,
            proxy,
            problem,
        } => tls_line(lang, base, proxy.as_deref(), problem),
        GatewayError::Net(e) => net_error(lang, e),
        GatewayError::ForeignList {
            asked,
            answered,
            next: false,
        } => tr!(
            lang,
            "gw-foreign-list",
            asked = asked.clone(),
            answered = answered.clone()
        ),
        GatewayError::ForeignList {
            asked,
            answered,
            next: true,
        } => tr!(
            lang,
            "gw-foreign-next",
            asked = asked.clone(),
            answered = answered.clone()
        ),
        GatewayError::Live(fault) => live_line(lang, fault),
        GatewayError::Auth(e) => auth_error(lang, e),
        GatewayError::Proxy { .. }
        | GatewayError::ProxyCredentialsRefused { .. }
        | GatewayError::ProxyGarbled { .. } => proxy_line(lang, error),
        GatewayError::ProxyLoopback { .. } => loopback_line(lang, error),
        GatewayError::Refused { .. } => refused_page(lang, error),
        GatewayError::TokenDropped { proxy, host, from } => tr!(
            lang,
            "gw-token-dropped",
            proxy = proxy.clone(),
            host = host.clone(),
            from = token_from(lang, *from)
        ),
        // A sign-in's token run out with no refresh token: no refusal of a
        // good token (stranger 68, BQ13).
        GatewayError::Unauthorized {
            sent: Some(TokenFrom::Login),
            expired: Some(ago),
            said,
            ..
        } => with_expiry(
            lang,
            tr!(
                lang,
                "gw-401-login-expired",
                ago = crate::text::duration(lang, *ago)
            ),
            None,
            said.as_deref(),
        ),
        GatewayError::Unauthorized {
            sent,
            expired,
            said,
            ..
        } => with_expiry(
            lang,
            unauthorized_line(lang, *sent),
            *expired,
            said.as_deref(),
        ),
        GatewayError::WantsTls { base } => tr!(lang, "gw-wants-tls", base = base.clone()),
        GatewayError::Port { base, found } => port_line(lang, base, found),
        GatewayError::Redirects { base } => tr!(lang, "gw-redirects", base = base.clone()),
    }
}

/// A refusal without a gateway's error body (a firewall's, a reverse
/// proxy's or a forward proxy's page).
fn refused_page(lang: Lang, error: &GatewayError) -> String {
    let GatewayError::Refused {
        base,
        status,
        said,
        proxy,
        token_sent,
    } = error
    else {
        return gateway_error(lang, error);
    };
    // A page titled with its status alone ("403") says nothing more.
    let said = if said.trim() == status.to_string() {
        ""
    } else {
        said.as_str()
    };
    let (base, said, via) = (
        base.clone(),
        in_brackets(said),
        via_proxy(lang, proxy.as_deref()),
    );
    // A page's 400 (or 408, 413, 431, 451): refused in front, the id not
    // judged.
    // A proxy's own 401 page is the proxy's refusal, as its 403 is.
    // A web page's 401 with no challenge, straight from the address: a
    // login of something in front (stranger 77, BZ2).
    if *status == 401 && proxy.is_none() {
        return tr!(lang, "gw-front-401", base = base, said = said);
    }
    if *status != 403 && !(*status == 401 && proxy.is_some()) {
        return tr!(
            lang,
            "gw-front-400",
            base = base,
            status = *status,
            said = said,
            via = via
        );
    }
    // Through a proxy, the proxy itself (a policy) may be what
    // refused: named first, with NO_PROXY; tokens do not pass a
    // proxy's policy.
    if let Some(proxy) = proxy {
        let host = url::Url::parse(&base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        // A 401 page: whose sign-in it is cannot be told (the proxy's, or
        // one it relays from in front of the gateway: stranger 82, CE2).
        if *status == 401 {
            return tr!(
                lang,
                "gw-401-via-proxy",
                base = base,
                said = said,
                proxy = proxy.clone(),
                host = host
            );
        }
        return tr!(
            lang,
            "gw-refused-via-proxy",
            base = base,
            status = *status,
            said = said,
            proxy = proxy.clone(),
            host = host
        );
    }
    // With no token sent, its rights cannot be why.
    if *token_sent {
        tr!(
            lang,
            "gw-refused",
            base = base,
            status = *status,
            said = said,
            via = via
        )
    } else {
        tr!(
            lang,
            "gw-refused-no-token",
            base = base,
            status = *status,
            said = said,
            via = via
        )
    }
}

/// An address that leads nowhere usable: a name that does not resolve, a
/// server that cannot be reached, a redirect not followed, a server that
/// is not a steps gateway.
fn address_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        // A name that does not resolve is no server that is down.
        GatewayError::Unreachable { base, detail }
            if detail.starts_with("dns error") || detail.contains("failed to lookup address") =>
        {
            tr!(
                lang,
                "gw-unresolved",
                base = base.clone(),
                host = url::Url::parse(base)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_else(|| base.clone())
            )
        }
        GatewayError::Unreachable { base, detail } => tr!(
            lang,
            "gw-unreachable",
            base = base.clone(),
            detail = os_words(lang, detail)
        ),
        // From http:// to https:// is a move to the secure address, not
        // to an insecure one: say which address to use.
        // https:// on the same host: the gateway moved to TLS. Another
        // host (a sign-in page, a portal) is another server, said below.
        GatewayError::Redirected(refused)
            if refused.from.starts_with("http://")
                && refused.to.starts_with("https://")
                && same_host(&refused.from, &refused.to) =>
        {
            tr!(
                lang,
                "gw-redirect-to-https",
                from = refused.from.clone(),
                to = refused.to.clone()
            )
        }
        // On the same server, to a path that is not the call's: a sign-in
        // or portal page, most likely (stranger 85, CH1).
        GatewayError::Redirected(refused) if same_origin(&refused.from, &refused.to) => {
            tr!(
                lang,
                "gw-redirect-same-server",
                from = refused.from.clone(),
                to = refused.to.clone()
            )
        }
        GatewayError::Redirected(refused) => tr!(
            lang,
            "gw-redirect-refused",
            from = refused.from.clone(),
            to = refused.to.clone()
        ),
        GatewayError::NotAGateway { .. } => not_a_gateway_line(lang, error),
        other => other.to_string(),
    }
}

/// A web server, not a steps gateway, answered (or the proxy's own page):
/// what it was, and what `--api` should hold.
fn not_a_gateway_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        // A 401 without the contract's body is a password prompt (the
        // client makes it NotAGateway for a Basic challenge only).
        GatewayError::NotAGateway {
            base,
            status: 401,
            proxy,
            windows: true,
            ..
        } => tr!(
            lang,
            "gw-windows-prompt",
            base = format!("{base}{}", via_proxy(lang, proxy.as_deref()))
        ),
        GatewayError::NotAGateway {
            base,
            status: 401,
            proxy,
            ..
        } => tr!(
            lang,
            "gw-basic-prompt",
            base = format!("{base}{}", via_proxy(lang, proxy.as_deref()))
        ),
        // The call's own path pasted into --api: the base is what is
        // left before it.
        GatewayError::NotAGateway { base, status, .. }
            if base.contains(&format!("/{}", crate::wire::LIST_PATH)) =>
        {
            let cut = base
                .find(&format!("/{}", crate::wire::LIST_PATH))
                .unwrap_or(base.len());
            tr!(
                lang,
                "gw-not-a-gateway-path",
                base = base.clone(),
                status = *status,
                path = crate::wire::LIST_PATH,
                suggested = format!("{}/", &base[..cut])
            )
        }
        // A call other than the first list: the list may work at this
        // address, and the gateway not offer this call.
        GatewayError::NotAGateway {
            base,
            status,
            proxy,
            call: Some(call),
            ..
        } => tr!(
            lang,
            "gw-call-not-offered",
            base = format!("{base}{}", via_proxy(lang, proxy.as_deref())),
            status = *status,
            call = *call
        ),
        // Lists of other vehicles came from this address: --api is right,
        // and this one id is what it does not answer (stranger 67, BP6).
        GatewayError::NotAGateway {
            base,
            status,
            proxy,
            call: None,
            listed: true,
            ..
        } => tr!(
            lang,
            "gw-not-a-gateway-listed",
            base = format!("{base}{}", via_proxy(lang, proxy.as_deref())),
            status = *status
        ),
        // Through a proxy, the page may be the proxy's own (a name it
        // could not resolve, a host it cannot reach): named first.
        GatewayError::NotAGateway {
            base,
            status,
            proxy: Some(proxy),
            call: None,
            ..
        } => tr!(
            lang,
            "gw-not-a-gateway-proxy",
            base = base.clone(),
            status = *status,
            proxy = proxy.clone(),
            host = url::Url::parse(base)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        GatewayError::NotAGateway {
            base,
            status,
            proxy,
            call: None,
            ..
        } => tr!(
            lang,
            "gw-not-a-gateway",
            base = format!("{base}{}", via_proxy(lang, proxy.as_deref())),
            status = *status
        ),
        other => other.to_string(),
    }
}

/// A proxy's own error page (or unopened tunnel) for a gateway on this
/// machine: the gateway does not run there (nothing listens, tried
/// directly), or the proxy cannot reach this machine's addresses.
fn loopback_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        // Nothing listens there, tried directly: the gateway does not run.
        GatewayError::ProxyLoopback {
            proxy,
            from,
            host,
            down: Some(port),
            ..
        } => tr!(
            lang,
            "gw-proxy-loopback-down",
            proxy = proxy.clone(),
            from = *from,
            host = host.clone(),
            port = port.to_string()
        ),
        GatewayError::ProxyLoopback {
            proxy,
            from,
            host,
            status: Some(status),
            ..
        } => tr!(
            lang,
            "gw-proxy-loopback",
            proxy = proxy.clone(),
            from = *from,
            host = host.clone(),
            status = *status
        ),
        GatewayError::ProxyLoopback {
            proxy,
            from,
            host,
            status: None,
            ..
        } => tr!(
            lang,
            "gw-proxy-loopback-tunnel",
            proxy = proxy.clone(),
            from = *from,
            host = host.clone()
        ),
        other => other.to_string(),
    }
}

/// A refusal's own words and code in brackets (" (carAssociationID X,
/// code 2346)"), or nothing.
#[must_use]
pub fn said_of(lang: Lang, error: &GatewayError) -> String {
    let GatewayError::Rejected { body, .. } = error else {
        return String::new();
    };
    let code = body.code.map(|c| tr!(lang, "gw-code", code = c));
    let parts: Vec<String> = body.message.iter().cloned().chain(code).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// The host of a gateway's address as NO_PROXY takes it (the address
/// itself when it has none).
fn host_of(base: &str) -> String {
    url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| base.to_owned())
}

/// The event stream's request got no answer through a proxy while the
/// list calls through it are answered: the proxy holds back an answer
/// that does not end (it buffers the stream). `None` for any other error.
#[must_use]
pub fn stream_held_by_proxy(lang: Lang, error: &GatewayError) -> Option<String> {
    let GatewayError::TimedOut {
        base,
        after,
        proxy: Some(proxy),
    } = error
    else {
        return None;
    };
    Some(tr!(
        lang,
        "live-proxy-held",
        proxy = proxy.clone(),
        host = host_of(base),
        secs = crate::text::tenths(lang, *after)
    ))
}

/// A connection that did not come about or an answer that did not come,
/// from the gateway or from the proxy in front of it.
fn connection_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::TimedOut {
            base,
            after,
            proxy: Some(proxy),
        } => tr!(
            lang,
            "gw-timed-out-proxy",
            base = base.clone(),
            proxy = proxy.clone(),
            host = host_of(base),
            secs = crate::text::tenths(lang, *after)
        ),
        GatewayError::TimedOut {
            base,
            after,
            proxy: None,
        } => tr!(
            lang,
            "gw-timed-out",
            base = base.clone(),
            secs = crate::text::tenths(lang, *after)
        ),
        GatewayError::ProxyUnreachable {
            proxy,
            from,
            host,
            detail,
            after,
        } => match after {
            // Nothing says whether the proxy took no connection or took one
            // and never answered its tunnel request: the words cover both.
            Some(after) => tr!(
                lang,
                "gw-proxy-silent",
                proxy = proxy.clone(),
                from = *from,
                host = host.clone(),
                secs = crate::text::tenths(lang, *after)
            ),
            None => tr!(
                lang,
                "gw-proxy-unreachable",
                proxy = proxy.clone(),
                from = *from,
                host = host.clone(),
                detail = os_words(lang, detail)
            ),
        },
        GatewayError::ProxyTunnel {
            proxy,
            from,
            host,
            closed: false,
        } => tr!(
            lang,
            "gw-proxy-tunnel",
            proxy = proxy.clone(),
            from = *from,
            host = host.clone()
        ),
        GatewayError::ProxyTunnel {
            proxy,
            from,
            host,
            closed: true,
        } => format!(
            "{}. {}",
            tr!(
                lang,
                "gw-proxy-tunnel-closed",
                proxy = proxy.clone(),
                from = *from,
                host = host.clone()
            ),
            // The proxy may have passed it faithfully to a gateway that
            // speaks plain HTTP (stranger 65, BN4).
            tr!(lang, "tls-or-plain-http", host = host.clone())
        ),
        GatewayError::ConnectTimedOut { base, after } => tr!(
            lang,
            "gw-connect-timed-out",
            base = base.clone(),
            secs = crate::text::tenths(lang, *after)
        ),
        other => other.to_string(),
    }
}

/// A client that could not be set up (a bad address, path or token, the
/// HTTP client or the demo backend), in words.
fn setup_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::BadUrl { url, reason } => tr!(
            lang,
            "gw-bad-url",
            url = format!("{url:?}"),
            reason = crate::net::url_reason(lang, reason)
        ),
        GatewayError::BadPath { path, detail } => tr!(
            lang,
            "gw-bad-path",
            path = path.clone(),
            detail = detail.clone()
        ),
        GatewayError::BadToken => tr!(lang, "gw-bad-token"),
        GatewayError::DemoUnavailable(detail) => {
            tr!(lang, "gw-demo-unavailable", detail = detail.clone())
        }
        GatewayError::HttpSetup(detail) => tr!(lang, "gw-http-setup", detail = detail.clone()),
        GatewayError::DemoState { folder, detail } => tr!(
            lang,
            "gw-demo-state",
            folder = folder.clone(),
            detail = os_words(lang, detail)
        ),
        GatewayError::DemoStateFile { file, detail } => tr!(
            lang,
            "gw-demo-state-file",
            file = file.clone(),
            detail = file_os_words(lang, detail)
        ),
        other => tr!(lang, "gw-http-setup", detail = other.to_string()),
    }
}

/// The cause alone, without what to do: a refusal's status and what the
/// gateway refused (for words that give their own advice); any other
/// error's whole line.
pub fn gateway_cause(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::Rejected { .. } => rejected(lang, error, true),
        // What the stream said, without what to do: the banner says that.
        GatewayError::Live(LiveFault::Said(body)) => {
            tr!(lang, "gw-live-said-cause", said = error_said(body))
        }
        _ => gateway_error(lang, error).trim_end_matches('.').to_owned(),
    }
}

/// A refusal's line, or its cause alone; any other error's words.
fn rejected(lang: Lang, error: &GatewayError, cause_only: bool) -> String {
    match error {
        GatewayError::Rejected {
            status,
            kind,
            body,
            retry_after,
            proxy,
        } => rejected_line(
            lang,
            *status,
            *kind,
            body,
            *retry_after,
            proxy.as_deref(),
            cause_only,
        ),
        other => gateway_error(lang, other),
    }
}

/// An answer that came (or began to) and cannot be used, in words.
fn answer_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::TooLarge { limit } => tr!(lang, "gw-too-large", kib = num(limit / 1024)),
        GatewayError::CaptivePortal { proxy } => tr!(
            lang,
            "gw-captive-portal",
            via = via_proxy(lang, proxy.as_deref())
        ),
        GatewayError::Compressed { encoding, proxy } => tr!(
            lang,
            "gw-compressed",
            encoding = encoding.clone(),
            via = via_proxy(lang, proxy.as_deref())
        ),
        // An answer cut short began as one: the address is right, the
        // gateway or something on the way cut it.
        GatewayError::BadAnswer(crate::wire::DecodeError::NotJson {
            line,
            column,
            cut: true,
        }) => {
            let at = tr!(
                lang,
                "json-stops-at",
                line = num(*line),
                column = num(*column)
            );
            tr!(lang, "gw-answer-cut", why = at)
        }
        // Compressed without saying so: as one that said so.
        GatewayError::BadAnswer(crate::wire::DecodeError::Gzip) => tr!(
            lang,
            "gw-compressed",
            encoding = "gzip",
            via = String::new()
        ),
        // A steps gateway's answer that contradicts the contract: its
        // words name the gateway's operator, not --api.
        GatewayError::BadAnswer(
            why @ crate::wire::DecodeError::WrongShape(
                crate::wire::Shape::NextDone(_)
                | crate::wire::Shape::BadStepsId(_)
                | crate::wire::Shape::ErrorBody(_),
            ),
        ) => tr!(lang, "gw-bad-answer-gateway", why = decode_words(lang, why)),
        // A web page where JSON belongs: --api may be right (lists came
        // from it before) and something in front answered.
        GatewayError::BadAnswer(crate::wire::DecodeError::Html) => tr!(lang, "gw-bad-answer-page"),
        GatewayError::BadAnswer(why) => tr!(lang, "gw-bad-answer", why = decode_words(lang, why)),
        GatewayError::Transport(detail)
            if detail.contains(BODY_CUT) || detail.contains(TLS_CUT) =>
        {
            tr!(lang, "gw-answer-cut", why = tr!(lang, "net-cut-short"))
        }
        GatewayError::Transport(detail) if detail == crate::client::ANSWER_STALLED => {
            tr!(lang, "gw-answer-cut", why = tr!(lang, "net-stalled"))
        }
        // The answer came, and is no valid HTTP: not the network's fault.
        GatewayError::Transport(detail) if malformed_http(detail) => {
            let why = if detail.to_ascii_lowercase().contains("chunk") {
                tr!(lang, "net-bad-chunks")
            } else {
                tr!(lang, "net-head-broken")
            };
            tr!(lang, "gw-answer-malformed", why = why)
        }
        GatewayError::Transport(detail) => {
            tr!(lang, "gw-transport", detail = os_words(lang, detail))
        }
        _ => error.to_string(),
    }
}

/// A proxy's own answer (or none), in words.
fn proxy_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::Proxy {
            proxy,
            from,
            status,
            said,
            credentials,
            asks_password,
            retry_after,
        } => proxy_answer(
            lang,
            proxy,
            from,
            (*status, *credentials, *asks_password),
            (said, *retry_after),
        ),
        GatewayError::ProxyCredentialsRefused { proxy, from } => tr!(
            lang,
            "gw-proxy-credentials-refused",
            proxy = proxy.clone(),
            from = *from
        ),
        GatewayError::ProxyGarbled {
            proxy,
            from,
            host,
            what,
        } => {
            let (proxy, from, host) = (proxy.clone(), *from, host.clone());
            match what {
                crate::client::ProxyAnswer::NotHttp => {
                    tr!(
                        lang,
                        "gw-proxy-garbled",
                        proxy = proxy,
                        from = from,
                        host = host
                    )
                }
                crate::client::ProxyAnswer::Empty => {
                    tr!(
                        lang,
                        "gw-proxy-empty",
                        proxy = proxy,
                        from = from,
                        host = host
                    )
                }
                crate::client::ProxyAnswer::Html => {
                    tr!(
                        lang,
                        "gw-proxy-html",
                        proxy = proxy,
                        from = from,
                        host = host
                    )
                }
                crate::client::ProxyAnswer::Closed => {
                    tr!(
                        lang,
                        "gw-proxy-closed",
                        proxy = proxy,
                        from = from,
                        host = host
                    )
                }
                crate::client::ProxyAnswer::TunnelClosed => {
                    tr!(
                        lang,
                        "gw-proxy-connect-closed",
                        proxy = proxy,
                        from = from,
                        host = host
                    )
                }
                crate::client::ProxyAnswer::NoList(why) => tr!(
                    lang,
                    "gw-proxy-no-list",
                    proxy = proxy,
                    from = from,
                    host = host,
                    why = decode_words(lang, why)
                ),
                crate::client::ProxyAnswer::TooLarge(limit) => tr!(
                    lang,
                    "gw-proxy-too-large",
                    proxy = proxy,
                    from = from,
                    host = host,
                    kib = num(limit / 1024)
                ),
            }
        }
        other => other.to_string(),
    }
}

/// Whether two URLs name the same host.
/// Same scheme, host and port.
fn same_origin(a: &str, b: &str) -> bool {
    let origin = |u: &str| {
        url::Url::parse(u).ok().map(|u| {
            (
                u.scheme().to_owned(),
                u.host_str().map(str::to_owned),
                u.port_or_known_default(),
            )
        })
    };
    origin(a).is_some() && origin(a) == origin(b)
}

fn same_host(a: &str, b: &str) -> bool {
    let host = |u: &str| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    host(a).is_some() && host(a) == host(b)
}

/// The HTTP library's words for a body that ended before its length.
const BODY_CUT: &str = "end of file before message length reached";
/// The TLS library's words for a connection closed mid-answer (no
/// close_notify): over https://, an answer cut short.
const TLS_CUT: &str = "peer closed connection without sending TLS close_notify";

/// Why a 2xx answer's body could not be read, in words (where the parser
/// stopped, or what the JSON held instead, in brackets).
pub fn decode_words(lang: Lang, error: &crate::wire::DecodeError) -> String {
    use crate::wire::{DecodeError, JsonKind, Shape};
    let kind = |kind: &JsonKind| match kind {
        JsonKind::Null => tr!(lang, "json-kind-null"),
        JsonKind::Boolean => tr!(lang, "json-kind-boolean"),
        JsonKind::Number => tr!(lang, "json-kind-number"),
        JsonKind::String => tr!(lang, "json-kind-string"),
        JsonKind::Array => tr!(lang, "json-kind-array"),
    };
    match error {
        DecodeError::Empty => tr!(lang, "answer-empty"),
        DecodeError::NotUtf8 => tr!(lang, "answer-not-utf8"),
        DecodeError::Gzip => tr!(lang, "answer-gzip"),
        DecodeError::Html => tr!(lang, "answer-html"),
        DecodeError::NotJson { line, column, cut } => {
            let (line, column) = (num(*line), num(*column));
            let at = if *cut {
                tr!(lang, "json-cut-at", line = line, column = column)
            } else {
                tr!(lang, "json-at", line = line, column = column)
            };
            tr!(lang, "answer-not-json", detail = at)
        }
        DecodeError::WrongShape(shape) => {
            let detail = match shape {
                Shape::NotAList(got) => tr!(lang, "shape-not-a-list", kind = kind(got)),
                Shape::NotAStep(got) => {
                    let detail = tr!(lang, "shape-not-a-step", kind = kind(got));
                    return tr!(lang, "answer-wrong-shape-step", detail = detail);
                }
                Shape::NoSteps(names) => tr!(lang, "shape-no-steps", members = names.join(", ")),
                Shape::NoStep(names) => {
                    let detail = tr!(lang, "shape-no-step", members = names.join(", "));
                    return tr!(lang, "answer-wrong-shape-step", detail = detail);
                }
                Shape::LiveWithoutId => tr!(lang, "shape-live-without-id"),
                Shape::NextDone(step) => {
                    return tr!(lang, "answer-next-done", step = step.clone());
                }
                Shape::BadStepsId(id) => {
                    return tr!(lang, "answer-bad-steps-id", id = id.clone());
                }
                Shape::ErrorBody(said) => {
                    return tr!(lang, "answer-error-body", said = said.clone());
                }
                Shape::Other(detail) => detail.clone(),
            };
            tr!(lang, "answer-wrong-shape", detail = detail)
        }
    }
}

/// What an error body says: its message and its code, as given.
pub fn error_said(body: &crate::wire::ErrorBody) -> String {
    match (&body.message, body.code) {
        (Some(message), Some(code)) => format!("{message} ({code})"),
        (Some(message), None) => message.clone(),
        (None, Some(code)) => code.to_string(),
        (None, None) => "-".to_owned(),
    }
}

/// A live stream that went quiet, in words: silent after its lists, or no
/// list at all.
fn quiet_line(lang: Lang, fault: &LiveFault) -> String {
    match fault {
        LiveFault::Silent {
            after,
            kept_alive: true,
        } => tr!(
            lang,
            "gw-live-silent",
            secs = crate::text::tenths(lang, *after)
        ),
        // Nothing after its first events: no network to blame first, when
        // a gateway on loopback does it (stranger 61, BJ9).
        LiveFault::Silent {
            after,
            kept_alive: false,
        } => tr!(
            lang,
            "gw-live-silent-no-keepalive",
            secs = crate::text::tenths(lang, *after)
        ),
        LiveFault::NoFirstEvent {
            after,
            proxied: true,
        } => tr!(
            lang,
            "gw-live-no-first-event",
            secs = crate::text::tenths(lang, *after)
        ),
        // No proxy is in use: the gateway's own doing, or a reverse proxy's
        // in front of it (stranger 69, BR6).
        LiveFault::NoFirstEvent {
            after,
            proxied: false,
        } => tr!(
            lang,
            "gw-live-no-first-event-direct",
            secs = crate::text::tenths(lang, *after)
        ),
        _ => String::new(),
    }
}

/// A live stream's fault in `words` (as said while the stream was tried
/// again), without the closing sentence "it reconnects by itself …": for
/// where the stream is given up and the lists are polled, which that
/// sentence would contradict (stranger 80, CC5). Other words stay whole.
pub fn without_reconnect(lang: Lang, error: &GatewayError, words: &str) -> String {
    let GatewayError::Live(
        fault @ (LiveFault::Cut
        | LiveFault::CutDirect
        | LiveFault::Silent { .. }
        | LiveFault::NoFirstEvent { .. }
        | LiveFault::OtherEvents { .. }),
    ) = error
    else {
        return words.to_owned();
    };
    let full = live_line(lang, fault);
    full.rsplit_once(". ")
        .and_then(|(_, tail)| words.strip_suffix(tail))
        .and_then(|cause| cause.strip_suffix(". "))
        .unwrap_or(words)
        .to_owned()
}

/// A live stream's fault, in words.
fn live_line(lang: Lang, fault: &LiveFault) -> String {
    match fault {
        LiveFault::Cut => tr!(lang, "gw-live-cut"),
        LiveFault::NotOffered => tr!(lang, "gw-live-not-offered"),
        LiveFault::CutDirect => tr!(lang, "gw-live-cut-direct"),
        LiveFault::Silent { .. } | LiveFault::NoFirstEvent { .. } => quiet_line(lang, fault),
        LiveFault::OtherEvents {
            kind,
            after,
            lists: true,
        } => tr!(
            lang,
            "gw-live-other-events",
            kind = kind.clone(),
            secs = crate::text::tenths(lang, *after)
        ),
        LiveFault::OtherEvents {
            kind,
            after,
            lists: false,
        } => tr!(
            lang,
            "gw-live-no-list-events",
            kind = kind.clone(),
            secs = crate::text::tenths(lang, *after)
        ),
        LiveFault::NotText => tr!(lang, "gw-live-not-text"),
        LiveFault::BadLine => tr!(lang, "gw-live-bad-line"),
        LiveFault::Lists { count } => tr!(lang, "gw-live-lists", count = num(*count)),
        LiveFault::ClosedSoon { times } => tr!(lang, "gw-live-closed-soon", times = *times),
        LiveFault::Page { said } if said.is_empty() => tr!(lang, "gw-live-page"),
        LiveFault::Page { said } => tr!(lang, "gw-live-page-titled", said = said.clone()),
        LiveFault::Compressed { encoding } => tr!(
            lang,
            "gw-live-compressed",
            encoding = crate::steps::sanitize(encoding)
        ),
        // A 401 to the stream alone: no sign-in changes it, never "sign
        // in with `stepwise login`" (stranger 81, CD4).
        LiveFault::Refused(why) => match why.as_ref() {
            GatewayError::Unauthorized { sent: None, .. } => tr!(lang, "gw-live-refused-401-none"),
            GatewayError::Unauthorized { sent: Some(_), .. } => {
                tr!(lang, "gw-live-refused-401-sent")
            }
            _ => tr!(
                lang,
                "gw-live-refused",
                why = gateway_error(lang, why).trim_end_matches('.').to_owned()
            ),
        },
        LiveFault::LeftOut { missing, lists } => {
            let ids: Vec<String> = missing
                .iter()
                .map(|id| crate::steps::sanitize(id))
                .collect();
            tr!(
                lang,
                "gw-live-left-out",
                count = num(missing.len()),
                ids = ids.join(", "),
                lists = num(*lists),
                sent = num(lists.saturating_sub(missing.len()))
            )
        }
        LiveFault::Contradicted {
            said,
            lists,
            unsent,
        } => {
            let words = if *lists == 1 {
                tr!(lang, "gw-live-contradicted-one", said = error_said(said))
            } else {
                tr!(
                    lang,
                    "gw-live-contradicted",
                    said = error_said(said),
                    count = num(*lists)
                )
            };
            if unsent.is_empty() {
                words
            } else {
                let ids: Vec<String> = unsent.iter().map(|id| crate::steps::sanitize(id)).collect();
                format!(
                    "{}. {}",
                    words,
                    tr!(
                        lang,
                        "gw-live-contradicted-unsent",
                        count = num(unsent.len()),
                        ids = ids.join(", ")
                    )
                )
            }
        }
        LiveFault::Foreign { answered, lists } => tr!(
            lang,
            "gw-live-foreign",
            answered = answered.clone(),
            count = num(*lists)
        ),
        LiveFault::Said(body) => {
            let said = error_said(body);
            if body.code == Some(crate::wire::NO_STEP_CODE) {
                tr!(lang, "gw-live-said-no-step", said = said)
            } else {
                tr!(lang, "gw-live-said", said = said)
            }
        }
    }
}

/// A proxy's own answer: who answered, and what to do for its status.
/// `credentials`: the proxy variable held a user name and password.
fn proxy_answer(
    lang: Lang,
    proxy: &str,
    from: &str,
    (status, credentials, asks_password): (u16, bool, bool),
    (said, retry_after): (&str, Option<std::time::Duration>),
) -> String {
    if proxy.is_empty() {
        // None set here: a proxy of the network's own answered.
        return tr!(
            lang,
            "gw-proxy-unset-407",
            status = status,
            said = in_brackets(said)
        );
    }
    let todo = match status {
        407 if !asks_password => tr!(lang, "gw-proxy-windows-todo"),
        407 => tr!(lang, "gw-proxy-407-todo"),
        // Its own rules refuse the request: no password was judged.
        403 => tr!(lang, "gw-proxy-forbidden-todo"),
        // A page that names no way to send a password: a portal's sign-in.
        401 if !asks_password => tr!(lang, "gw-proxy-portal-todo"),
        // Refused only where the proxy variable held some.
        // A Basic login at 401: the proxy's (tinyproxy asks so), which the
        // variable answers, or a web server's behind it, which nothing does.
        401 if credentials => tr!(lang, "gw-proxy-401-basic-refused-todo"),
        401 => tr!(lang, "gw-proxy-401-basic-todo"),
        // Its own limit: waiting is the way, not the proxy variable
        // (stranger 65, BN2).
        // With the wait it asked, that wait (stranger 78, CA3).
        429 if let Some(wait) = retry_after.filter(|w| !w.is_zero()) => {
            tr!(lang, "gw-proxy-429-wait-todo", secs = wait.as_secs().max(1))
        }
        429 => tr!(lang, "gw-proxy-429-todo"),
        // With the wait it asked, that wait (stranger 82, CE5).
        500.. if let Some(wait) = retry_after.filter(|w| !w.is_zero()) => {
            tr!(lang, "gw-proxy-5xx-wait-todo", secs = wait.as_secs().max(1))
        }
        500.. => tr!(lang, "gw-proxy-5xx-todo"),
        _ => tr!(lang, "gw-proxy-other-todo", from = from.to_owned()),
    };
    tr!(
        lang,
        "gw-proxy",
        proxy = proxy.to_owned(),
        from = from.to_owned(),
        status = status,
        said = in_brackets(said),
        todo = todo
    )
}

/// The HTTP library's words for an answer that came but is no valid HTTP:
/// its head, or the chunks of its body.
fn malformed_http(detail: &str) -> bool {
    detail.contains("invalid HTTP header parsed")
        || detail.contains("invalid HTTP status-code parsed")
        || detail.to_ascii_lowercase().contains("chunk")
}

/// The system's words for a failed connection ("Connection refused (os
/// error 111)", in the system's own language on Windows), in the reader's
/// language when the error is a common one; any other keeps the system's.
pub fn os_words(lang: Lang, detail: &str) -> String {
    use std::io::ErrorKind;
    // The HTTP and TLS libraries' own words for what a server did.
    let said = |text: &str| detail.contains(text);
    if said("connection closed before message completed") {
        return tr!(lang, "net-closed-no-answer");
    }
    if said("invalid HTTP header parsed") || said("invalid HTTP status-code parsed") {
        return tr!(lang, "net-bad-header");
    }
    if detail.to_ascii_lowercase().contains("chunk") {
        return tr!(lang, "net-bad-chunks");
    }
    if said("tls handshake eof") {
        return tr!(lang, "net-tls-eof");
    }
    if said(BODY_CUT) || said(TLS_CUT) {
        return tr!(lang, "net-cut-short");
    }
    if said("invalid HTTP version parsed") {
        return tr!(lang, "net-not-http");
    }
    if said("failed to lookup address information") || detail.starts_with("dns error") {
        return tr!(lang, "net-dns-unknown");
    }
    let code = detail
        .rsplit_once("(os error ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .and_then(|n| n.parse::<i32>().ok());
    // The code means what it means on this system: let it say the kind.
    let Some(kind) = code.map(|c| std::io::Error::from_raw_os_error(c).kind()) else {
        return detail.to_owned();
    };
    match kind {
        ErrorKind::ConnectionRefused => tr!(lang, "os-refused"),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => tr!(lang, "os-reset"),
        ErrorKind::NetworkUnreachable => tr!(lang, "os-network-unreachable"),
        ErrorKind::HostUnreachable => tr!(lang, "os-host-unreachable"),
        ErrorKind::NetworkDown => tr!(lang, "os-network-down"),
        ErrorKind::TimedOut => tr!(lang, "os-timed-out"),
        ErrorKind::PermissionDenied => tr!(lang, "os-denied"),
        ErrorKind::AlreadyExists | ErrorKind::NotADirectory => tr!(lang, "os-not-a-folder"),
        ErrorKind::ReadOnlyFilesystem => tr!(lang, "os-read-only"),
        ErrorKind::AddrInUse => tr!(lang, "os-addr-in-use"),
        ErrorKind::AddrNotAvailable => tr!(lang, "os-addr-not-available"),
        ErrorKind::NotFound => tr!(lang, "err-io-not-found"),
        _ => detail.to_owned(),
    }
}

/// The device id could not be kept in `dir`: each run is a new device to
/// a gateway, which then refuses the stepsIDs of earlier runs.
pub fn device_unkept(lang: Lang, dir: &std::path::Path, detail: &str) -> String {
    // A file in the way of the folder is the folder's fault; anything else
    // (a folder where the file goes, no right to write) is the file's.
    let path = if dir.is_dir() {
        dir.join("device-id")
    } else {
        dir.to_path_buf()
    };
    tr!(
        lang,
        "device-unkept",
        path = path.display().to_string(),
        why = file_os_words(lang, detail)
    )
}

/// The system's words for a file that could not be written (`detail`,
/// ending in "(os error N)"), in the reader's language: the network's
/// readings of the same codes (a firewall for EACCES) do not fit a file.
pub fn file_os_words(lang: Lang, detail: &str) -> String {
    use std::io::ErrorKind;
    let code = detail
        .rsplit_once("(os error ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .and_then(|n| n.parse::<i32>().ok());
    match code.map(|c| std::io::Error::from_raw_os_error(c).kind()) {
        Some(ErrorKind::PermissionDenied) => tr!(lang, "os-file-denied"),
        Some(ErrorKind::IsADirectory) => tr!(lang, "os-folder-in-the-way"),
        Some(ErrorKind::StorageFull | ErrorKind::QuotaExceeded) => tr!(lang, "os-disk-full"),
        _ => os_words(lang, detail),
    }
}

/// What answers at the address of `--api`, when it is not what `--api`
/// says.
pub fn port_line(lang: Lang, base: &str, found: &crate::client::PortFound) -> String {
    use crate::client::PortFound;
    let base = base.to_owned();
    match found {
        PortFound::PlainHttp => tr!(lang, "gw-port-plain-http", base = base),
        PortFound::NotHttp(said) if said.is_empty() => {
            tr!(lang, "gw-port-not-http-here", base = base)
        }
        PortFound::NotHttp(said) => tr!(lang, "gw-port-not-http", base = base, said = said.clone()),
        PortFound::TlsClosed => tr!(lang, "gw-port-tls-closed", base = base),
        PortFound::TlsSilent(after) => tr!(
            lang,
            "gw-port-tls-silent",
            base = base,
            secs = crate::text::tenths(lang, *after)
        ),
    }
}

/// ` (text)`, or nothing for no text.
fn in_brackets(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(" ({text})")
    }
}

/// A 401's words, then why: the expiry written in the refused token, and
/// the gateway's own words (its Bearer challenge's `error_description`).
pub fn with_expiry(lang: Lang, words: String, expired: Option<u64>, said: Option<&str>) -> String {
    let mut words = match expired {
        Some(ago) => format!(
            "{words}. {}",
            tr!(
                lang,
                "gw-401-expired",
                ago = crate::text::duration(lang, ago)
            )
        ),
        None => words,
    };
    if let Some(said) = said {
        words = format!(
            "{}. {}",
            words.trim_end_matches('.'),
            tr!(lang, "gw-401-said", said = said.to_owned())
        );
    }
    words
}

/// Where the token in use comes from, in words.
pub fn token_from(lang: Lang, from: TokenFrom) -> String {
    match from {
        TokenFrom::TokenFile => tr!(lang, "token-from-token-file"),
        TokenFrom::Environment => tr!(lang, "token-from-environment"),
        TokenFrom::Login => tr!(lang, "token-from-login"),
        TokenFrom::Config => tr!(lang, "token-from-config"),
    }
}

/// A token the gateway took (from `from`) but that lacks a scope, from a
/// gateway that offers no sign-in: no `stepwise login --scope` can ask for
/// it; whoever runs the gateway gives one that has it.
pub fn scope_taken_no_sign_in(lang: Lang, status: u16, scope: &str, from: TokenFrom) -> String {
    let from = token_from(lang, from);
    if scope.is_empty() {
        tr!(
            lang,
            "gw-scope-wanted-taken-no-signin-unnamed",
            status = status,
            from = from
        )
    } else {
        tr!(
            lang,
            "gw-scope-wanted-taken-no-signin",
            status = status,
            scope = scope.to_owned(),
            from = from
        )
    }
}

/// A scope the token lacks (or no token was sent), in words.
fn scope_wanted_line(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::ScopeWanted {
            status,
            scope,
            token_sent: false,
            ..
        } if scope.is_empty() => tr!(lang, "gw-scope-wanted-none-unnamed", status = *status),
        GatewayError::ScopeWanted {
            status,
            scope,
            token_sent: false,
            ..
        } => tr!(
            lang,
            "gw-scope-wanted-none",
            status = *status,
            scope = scope.clone()
        ),
        GatewayError::ScopeWanted {
            status,
            scope,
            dropped: Some(granted),
            ..
        } => tr!(
            lang,
            "gw-scope-wanted-dropped",
            status = *status,
            scope = scope.clone(),
            granted = crate::steps::sanitize(granted)
        ),
        GatewayError::ScopeWanted {
            status,
            scope,
            asked: true,
            ..
        } => tr!(
            lang,
            "gw-scope-wanted-asked",
            status = *status,
            scope = scope.clone()
        ),
        GatewayError::ScopeWanted {
            status,
            scope,
            sent,
            ask,
            ..
        } => scope_line(lang, *status, (scope, ask), *sent),
        _ => gateway_error(lang, error),
    }
}

/// A token the gateway took but that lacks a scope: a token given by
/// hand wins over any login, so signing in alone cannot fix it.
fn scope_line(
    lang: Lang,
    status: u16,
    (scope, ask): (&str, &str),
    sent: Option<TokenFrom>,
) -> String {
    let given = sent.filter(|from| *from != TokenFrom::Login);
    match (given, scope.is_empty()) {
        (Some(from), true) => tr!(
            lang,
            "gw-scope-wanted-given-unnamed",
            status = status,
            from = token_from(lang, from)
        ),
        (Some(from), false) => tr!(
            lang,
            "gw-scope-wanted-given",
            status = status,
            scope = scope.to_owned(),
            ask = ask.to_owned(),
            from = token_from(lang, from)
        ),
        (None, true) => tr!(lang, "gw-scope-wanted-unnamed", status = status),
        (None, false) => tr!(
            lang,
            "gw-scope-wanted",
            status = status,
            scope = scope.to_owned(),
            ask = ask.to_owned()
        ),
    }
}

/// A 401: the words follow where the refused token came from, if any.
fn unauthorized_line(lang: Lang, sent: Option<TokenFrom>) -> String {
    match sent {
        None => tr!(lang, "gw-401-none"),
        Some(TokenFrom::TokenFile) => tr!(lang, "gw-401-token-file"),
        Some(TokenFrom::Environment) => tr!(lang, "gw-401-environment"),
        Some(TokenFrom::Config) => tr!(lang, "gw-401-config"),
        Some(TokenFrom::Login) => tr!(lang, "gw-401-login"),
    }
}

/// A client refusal in words: kept from this grant, asked to
/// authenticate, or unknown.
fn client_words(
    lang: Lang,
    client_id: &str,
    said: &str,
    other: crate::auth::OtherSignIn,
) -> String {
    let (client, said) = (client_id.to_owned(), said.to_owned());
    if client_not_allowed(&said) {
        return match other {
            crate::auth::OtherSignIn::Browser => tr!(
                lang,
                "auth-client-not-allowed-device",
                client = client,
                said = said
            ),
            crate::auth::OtherSignIn::Device => tr!(
                lang,
                "auth-client-not-allowed-browser",
                client = client,
                said = said
            ),
            crate::auth::OtherSignIn::None => tr!(
                lang,
                "auth-client-not-allowed",
                client = client,
                said = said
            ),
        };
    }
    // Known, but asked to authenticate (a confidential client, with a
    // secret): another id cannot help (stranger 45, AT9).
    if wants_client_secret(&said) {
        return tr!(
            lang,
            "auth-client-wants-secret",
            client = client,
            said = said
        );
    }
    tr!(lang, "auth-unknown-client", client = client, said = said)
}

/// A provider's words for a client it knows but wants authenticated
/// ("client authentication required", "client secret missing").
fn wants_client_secret(said: &str) -> bool {
    let said = said.to_ascii_lowercase();
    [
        "authentication required",
        // "client secret", "client_secret", "secret required" (stranger 68,
        // BQ21): stepwise sends none, so any secret asked is one it lacks.
        "secret",
        "credentials required",
    ]
    .iter()
    .any(|w| said.contains(w))
}

/// A provider's words for a client it knows but keeps from this grant
/// ("Client not enabled for device flow", "unauthorized grant type").
fn client_not_allowed(said: &str) -> bool {
    let said = said.to_ascii_lowercase();
    [
        "not enabled",
        "not allowed",
        "not permitted",
        "grant type",
        "device flow",
        "unauthorized_client",
    ]
    .iter()
    .any(|w| said.contains(w))
}

/// A TLS failure of the identity provider at `url`.
fn provider_tls(lang: Lang, url: &str, problem: &TlsProblem) -> String {
    let url = url.to_owned();
    match problem {
        TlsProblem::OldVersion => tr!(lang, "auth-tls-old-version", url = url),
        TlsProblem::NoHostNames => tr!(lang, "auth-tls-no-host-names", url = url),
        TlsProblem::UnknownIssuer => tr!(lang, "auth-tls-unknown-issuer", url = url),
        TlsProblem::WrongHost(_) => tr!(lang, "auth-tls-wrong-host", url = url),
        TlsProblem::Expired | TlsProblem::NotYetValid => tr!(lang, "auth-tls-dates", url = url),
        other => tr!(
            lang,
            "auth-tls-other",
            url = url,
            code = other.code().to_owned()
        ),
    }
}

/// One line about a failed sign-in or refresh: what, why, what to do.
pub fn auth_error(lang: Lang, error: &AuthError) -> String {
    match error {
        AuthError::Discovery(why) => why.words(lang),
        AuthError::Setting(why) => why.words(lang),
        // Lost through a proxy: the proxy's words first (it, or the provider
        // behind it, was silent), and only then what the provider may have
        // done (stranger 49, AX4).
        AuthError::Provider(crate::auth::ProviderProblem::RenewalLost { why, .. })
            if matches!(**why, AuthError::Proxy { .. }) =>
        {
            tr!(
                lang,
                "err-signin-renewal-lost-proxy",
                why = auth_error(lang, why)
            )
        }
        AuthError::Provider(why) => why.words(lang),
        AuthError::Store(why) => why.words(lang),
        AuthError::Denied {
            scopes,
            said: Some(said),
        } => tr!(
            lang,
            "auth-denied-said",
            scopes = scopes.clone(),
            said = said.clone()
        ),
        AuthError::Denied { scopes, .. } => tr!(lang, "auth-denied", scopes = scopes.clone()),
        AuthError::UnknownScope { scopes, said } => tr!(
            lang,
            "auth-unknown-scope",
            scopes = scopes.clone(),
            said = said.clone()
        ),
        // invalid_client is OAuth's catch-all: words that say the client is
        // known but may not sign in this way are not an unknown id.
        AuthError::UnknownClient {
            client_id,
            said,
            other,
        } => client_words(lang, client_id, said, *other),
        AuthError::Expired => tr!(lang, "auth-expired"),
        // A new sign-in as it is gets the same: the setting to change
        // first, then the command with it.
        AuthError::SignInAgain(why @ Over::ClientRefused { .. }) => {
            tr!(lang, "auth-client-refused-then", why = why.words(lang))
        }
        AuthError::SignInAgain(why @ Over::RefusedFresh { .. }) => {
            tr!(lang, "auth-refused-fresh-then", why = why.words(lang))
        }
        AuthError::SignInAgain(why) => {
            tr!(lang, "auth-sign-in-again", why = why.words(lang))
        }
        // The provider's address, not --api: its port or scheme to check.
        AuthError::Network {
            url,
            tls: Some(TlsProblem::NotTls),
            ..
        } => tr!(lang, "auth-not-tls", url = url.clone()),
        // The identity provider's certificate: its words, with --issuer
        // and whoever runs it, never the gateway's --api.
        AuthError::Network {
            url,
            tls: Some(problem),
            ..
        } => provider_tls(lang, url, problem),
        AuthError::GatewayTls { base, problem } => tls_line(lang, base, None, problem),
        AuthError::Proxy { .. } => auth_proxy_line(lang, error),
        AuthError::Fronted { url, status, said } => fronted(lang, url, *status, said),
        AuthError::NoEndpoint { url, status } => tr!(
            lang,
            "auth-no-endpoint",
            url = url.clone(),
            status = *status
        ),
        AuthError::GatewayUnreachable { base, detail } => tr!(
            lang,
            "gw-unreachable",
            base = base.clone(),
            detail = os_words(lang, detail)
        ),
        // Closed without an answer: a restart, a load, something between;
        // retrying comes first.
        AuthError::Network { url, detail, .. }
            if detail.contains("connection closed before message completed") =>
        {
            tr!(lang, "auth-closed", url = url.clone())
        }
        // Something answered there, but not as an HTTP server would: the
        // address reached is the wrong one, not the network.
        AuthError::Network { url, detail, .. } if answered_badly(detail) => tr!(
            lang,
            "auth-answered-badly",
            url = url.clone(),
            detail = os_words(lang, detail)
        ),
        // Connected, and then no answer: the provider is busy or hung,
        // not out of reach.
        AuthError::Network { url, detail, .. } if detail == crate::auth::device::NO_ANSWER => {
            tr!(lang, "auth-no-answer", url = url.clone())
        }
        AuthError::Network { url, detail, .. } => tr!(
            lang,
            "auth-unreachable",
            url = url.clone(),
            detail = os_words(lang, detail)
        ),
    }
}

/// A sign-in call answered with a page in front of the identity provider:
/// a refusal, or an address nothing serves (404, 410).
fn fronted(lang: Lang, url: &str, status: u16, said: &str) -> String {
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(" ({said})")
    };
    let url = url.to_owned();
    if (200..300).contains(&status) {
        return tr!(
            lang,
            "auth-fronted-page",
            url = url,
            status = status,
            said = said
        );
    }
    if matches!(status, 404 | 410) {
        tr!(
            lang,
            "auth-fronted-gone",
            url = url,
            status = status,
            said = said
        )
    } else {
        tr!(
            lang,
            "auth-fronted",
            url = url,
            status = status,
            said = said
        )
    }
}

/// A sign-in call the proxy answered itself, closed, left unanswered or
/// garbled, or a tunnel it did not open: the proxy named, with what it
/// wants (a password, NO_PROXY), never the provider blamed.
fn auth_proxy_line(lang: Lang, error: &AuthError) -> String {
    let AuthError::Proxy {
        url,
        proxy,
        from,
        credentials,
        trouble,
    } = error
    else {
        return error.to_string();
    };
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let (url, proxy, from) = (url.clone(), proxy.clone(), *from);
    // The ids are literal for the catalogue's check; the same four values
    // go with each.
    macro_rules! said {
        ($id:literal $(, $key:ident = $value:expr)*) => {
            tr!(
                lang,
                $id,
                url = url,
                proxy = proxy,
                from = from,
                host = host
                $(, $key = $value)*
            )
        };
    }
    let password = matches!(
        trouble,
        ProxyTrouble::Answered { status: 407, .. }
            | ProxyTrouble::Tunnel {
                wants_password: true
            }
    );
    match trouble {
        _ if password && *credentials => said!("auth-proxy-407-refused"),
        _ if password => said!("auth-proxy-407"),
        // A login (Basic) at 401: the password the proxy variable carries,
        // as for the gateway's calls (stranger 86, CI7).
        ProxyTrouble::Answered { basic: true, .. } if *credentials => {
            said!("auth-proxy-401-basic-refused")
        }
        ProxyTrouble::Answered { basic: true, .. } => said!("auth-proxy-401-basic"),
        ProxyTrouble::Answered {
            status, said, wait, ..
        } => {
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(" ({said})")
            };
            // A 5xx of the proxy's own: it let the call through and got no
            // answer from the provider (down, or out of its reach), a
            // failure for now, not a refusal (stranger 52, BA6).
            // A provider on this machine: a proxy elsewhere never reaches
            // it, and retrying cannot help (stranger 73, BV6).
            if *status >= 500 && crate::net::is_loopback_host(&host) {
                said!("auth-proxy-5xx-loopback", status = *status, said = said)
            } else if *status >= 500 {
                said!("auth-proxy-5xx", status = *status, said = said)
            } else if *status == 429
                && let Some(secs) = wait
            {
                // The wait it asked (stranger 84, CG6).
                said!("auth-proxy-429-wait", said = said, secs = *secs)
            } else if *status == 429 {
                // Its own limit: waiting is the way, not a rule to ask
                // about (stranger 78, CA3).
                said!("auth-proxy-429", said = said)
            } else {
                said!("auth-proxy-answered", status = *status, said = said)
            }
        }
        ProxyTrouble::Unreachable => said!("auth-proxy-unreachable"),
        ProxyTrouble::Closed => said!("auth-proxy-closed"),
        ProxyTrouble::Silent => said!("auth-proxy-silent"),
        ProxyTrouble::Garbled => said!("auth-proxy-garbled"),
        ProxyTrouble::Windows => said!("auth-proxy-windows"),
        ProxyTrouble::Tunnel { .. } => said!("auth-proxy-tunnel"),
    }
}

/// A connection that was made, and then answered with no HTTP or closed
/// in the handshake or before an answer (the HTTP and TLS libraries' words).
fn answered_badly(detail: &str) -> bool {
    [
        "invalid HTTP version parsed",
        "invalid HTTP header parsed",
        "invalid HTTP status-code parsed",
        "tls handshake eof",
        "connection closed before message completed",
    ]
    .iter()
    .any(|words| detail.contains(words))
}

/// One line about a failed TLS connection: what, and what to do.
pub fn tls_line(lang: Lang, base: &str, proxy: Option<&str>, problem: &TlsProblem) -> String {
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| base.to_owned());
    let via = proxy
        .map(|p| tr!(lang, "tls-via-proxy", proxy = p.to_owned()))
        .unwrap_or_default();
    let base = base.to_owned();
    match problem {
        TlsProblem::UnknownIssuer => tr!(lang, "tls-unknown-issuer", base = base, via = via),
        TlsProblem::Expired => tr!(lang, "tls-expired", base = base),
        TlsProblem::NotYetValid => tr!(lang, "tls-not-yet-valid", base = base),
        TlsProblem::WrongHost(names) if names.is_empty() => {
            tr!(lang, "tls-wrong-host", base = base, host = host)
        }
        TlsProblem::WrongHost(names) => tr!(
            lang,
            "tls-wrong-host-names",
            base = base,
            host = host,
            names = names.join(", ")
        ),
        TlsProblem::NoHostNames => tr!(lang, "tls-no-host-names", base = base),
        TlsProblem::OldVersion => tr!(lang, "tls-old-version", base = base),
        TlsProblem::CertificateRequired => tr!(lang, "tls-certificate-required", base = base),
        TlsProblem::ClientCertificateRefused(alert) => tr!(
            lang,
            "tls-client-refused",
            base = base,
            alert = alert.clone()
        ),
        TlsProblem::ClientCertificateExpired => tr!(lang, "tls-client-expired", base = base),
        TlsProblem::ClientCertificateUnsupported => {
            tr!(lang, "tls-client-unsupported", base = base)
        }
        TlsProblem::AuthorityAsServer => tr!(lang, "tls-authority-as-server", base = base),
        TlsProblem::HandshakeRefused(alert) => tr!(
            lang,
            "tls-handshake-refused",
            base = base,
            via = via,
            alert = alert.clone()
        ),
        // Through a proxy's tunnel, the gateway's port is not the one to
        // blame: the proxy, or a filter behind it, answered in its place.
        // (Said as the proxy's: what came back was an answer, a block
        // page's; a tunnel cut in the handshake may be a plain HTTP
        // gateway's, and says so.)
        TlsProblem::NotTls if proxy.is_some() => tr!(
            lang,
            "tls-not-tls-proxy",
            base = base,
            proxy = proxy.unwrap_or_default().to_owned(),
            host = host
        ),
        TlsProblem::NotTls => tr!(lang, "tls-not-tls", base = base, via = via),
        TlsProblem::Other(what) => tr!(
            lang,
            "tls-other",
            base = base,
            via = via,
            what = what.clone()
        ),
    }
}

/// One line about a configuration that cannot be used: what, and what to
/// do. The words are made beside the type (its `Display` is the English
/// line, which logs and doctor's JSON use).
pub fn config_error(lang: Lang, error: &ConfigError) -> String {
    error.words(lang)
}

/// One line about a network setting that cannot be used.
pub fn net_error(lang: Lang, error: &NetError) -> String {
    error.words(lang)
}

/// One line about a sign-in store that failed.
pub fn store_error(lang: Lang, error: &StoreError) -> String {
    error.words(lang)
}

/// Why a login is over, as the start of a sentence that says what to do.
pub fn over_reason(lang: Lang, over: &Over) -> String {
    over.words(lang)
}

/// A short title for a banner.
pub fn gateway_headline(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::Unreachable { .. } => tr!(lang, "gw-title-unreachable"),
        // Through a proxy: the proxy, or the gateway behind it, was silent.
        GatewayError::TimedOut { proxy: Some(_), .. } => tr!(lang, "gw-title-timed-out-proxy"),
        GatewayError::TimedOut { .. } => tr!(lang, "gw-title-timed-out"),
        GatewayError::Rejected { kind, .. } => match kind {
            Rejection::BadRequest | Rejection::FilterRefused => tr!(lang, "gw-title-bad-request"),
            Rejection::Unauthorized => tr!(lang, "gw-title-unauthorized"),
            Rejection::WrongDevice => tr!(lang, "gw-title-wrong-device"),
            Rejection::Forbidden => tr!(lang, "gw-title-forbidden"),
            Rejection::NotFound => tr!(lang, "gw-title-not-found"),
            Rejection::NoSteps => tr!(lang, "gw-title-no-steps"),
            Rejection::CallNotFound => tr!(lang, "gw-title-call-not-offered"),
            Rejection::Conflict => tr!(lang, "gw-title-conflict"),
            Rejection::ResetRefused => tr!(lang, "gw-title-reset-refused"),
            Rejection::TooManyRequests => tr!(lang, "gw-title-too-many"),
            Rejection::RequestTimeout => tr!(lang, "gw-title-timed-out"),
            Rejection::ServerFailure | Rejection::ResetFailed => {
                tr!(lang, "gw-title-server-failure")
            }
            Rejection::Other => tr!(lang, "gw-title-failed"),
        },
        GatewayError::TooLarge { .. } => tr!(lang, "gw-title-too-large"),
        GatewayError::Compressed { .. } => tr!(lang, "gw-title-bad-answer"),
        GatewayError::CaptivePortal { .. } => tr!(lang, "gw-title-captive-portal"),
        GatewayError::TokenDropped { .. } => tr!(lang, "gw-title-token-dropped"),
        GatewayError::ScopeWanted {
            token_sent: false, ..
        } => tr!(lang, "gw-title-unauthorized"),
        GatewayError::ScopeWanted { .. } => tr!(lang, "gw-title-scope"),
        // Cut short on the way: the request failed, as a cut connection's.
        GatewayError::BadAnswer(_) if error.cut_short() => tr!(lang, "gw-title-failed"),
        GatewayError::Transport(_) => tr!(lang, "gw-title-failed"),
        GatewayError::BadAnswer(_) | GatewayError::ForeignList { .. } => {
            tr!(lang, "gw-title-bad-answer")
        }
        GatewayError::Redirected(_) => tr!(lang, "gw-title-redirect"),
        GatewayError::MovedAway { .. } => tr!(lang, "gw-title-moved-away"),
        GatewayError::BadUrl { .. }
        | GatewayError::UserInfoInUrl
        | GatewayError::BadPath { .. }
        | GatewayError::BadToken
        | GatewayError::HttpSetup(_)
        | GatewayError::DemoUnavailable(_)
        | GatewayError::DemoState { .. }
        | GatewayError::DemoStateFile { .. }
        | GatewayError::Net(_)
        | GatewayError::Live(LiveFault::Lists { .. }) => tr!(lang, "gw-title-config"),
        GatewayError::Tls { .. } => tr!(lang, "gw-title-tls"),
        GatewayError::Live(LiveFault::Contradicted { .. }) => {
            tr!(lang, "gw-title-live-contradicted")
        }
        GatewayError::Live(LiveFault::LeftOut { .. }) => tr!(lang, "gw-title-live-left-out"),
        GatewayError::Live(LiveFault::Refused(_)) => tr!(lang, "gw-title-live-refused"),
        GatewayError::Live(LiveFault::NotOffered) => tr!(lang, "gw-title-live-not-offered"),
        GatewayError::Live(LiveFault::Page { .. }) => tr!(lang, "gw-title-live-page"),
        GatewayError::Live(LiveFault::Compressed { .. }) => tr!(lang, "gw-title-live-compressed"),
        GatewayError::Live(_) => tr!(lang, "gw-title-live"),
        GatewayError::Auth(e) if e.needs_login() => tr!(lang, "gw-title-sign-in-again"),
        GatewayError::Auth(AuthError::SignInAgain(Over::ClientRefused { .. })) => {
            tr!(lang, "gw-title-client-refused")
        }
        GatewayError::Auth(AuthError::SignInAgain(Over::RefusedFresh { .. })) => {
            tr!(lang, "gw-title-tokens-not-taken")
        }
        GatewayError::Auth(AuthError::Proxy { .. }) => tr!(lang, "gw-title-proxy"),
        GatewayError::Auth(AuthError::Fronted {
            status: ..=199 | 300..=403 | 405..=409 | 411..,
            ..
        }) => tr!(lang, "gw-title-refused"),
        // No sign-in was tried: a gateway's call met a kept login whose
        // token could not be renewed (the provider unreachable, silent,
        // failing or fronted by a page), and the login is kept.
        GatewayError::Auth(_) => tr!(lang, "gw-title-renewal-failed"),
        GatewayError::NotAGateway {
            status: 404,
            call: Some(_),
            ..
        } => tr!(lang, "gw-title-call-not-offered"),
        GatewayError::NotAGateway {
            call: None,
            listed: true,
            ..
        } => tr!(lang, "gw-title-no-list-here"),
        GatewayError::NotAGateway { .. } => tr!(lang, "gw-title-not-a-gateway"),
        // Through a proxy that may or may not have answered itself.
        GatewayError::ProxyGarbled {
            what: crate::client::ProxyAnswer::TooLarge(_),
            ..
        } => tr!(lang, "gw-title-too-large"),
        GatewayError::ProxyGarbled {
            what: crate::client::ProxyAnswer::NoList(_),
            ..
        } => tr!(lang, "gw-title-bad-answer"),
        GatewayError::Proxy { .. }
        | GatewayError::ProxyLoopback { .. }
        | GatewayError::ProxyTunnel { .. }
        | GatewayError::ProxyCredentialsRefused { .. }
        | GatewayError::ProxyGarbled { .. }
        | GatewayError::ProxyNoTunnel { .. } => tr!(lang, "gw-title-proxy"),
        GatewayError::ProxyUnreachable { .. } => tr!(lang, "gw-title-proxy-unreachable"),
        GatewayError::Refused { status, .. } if *status != 403 => {
            tr!(lang, "gw-title-bad-request")
        }
        GatewayError::Refused { .. } => tr!(lang, "gw-title-refused"),
        GatewayError::Unauthorized { sent: None, .. } => tr!(lang, "gw-title-unauthorized"),
        GatewayError::Unauthorized { sent: Some(_), .. } => tr!(lang, "gw-title-token-refused"),
        GatewayError::WantsTls { .. } | GatewayError::Port { .. } => tr!(lang, "gw-title-tls"),
        GatewayError::Redirects { .. } => tr!(lang, "gw-title-redirects"),
        GatewayError::ConnectTimedOut { .. } => tr!(lang, "gw-title-unreachable"),
    }
}

/// " (through the proxy P)", or nothing without a proxy.
fn via_proxy(lang: Lang, proxy: Option<&str>) -> String {
    proxy
        .map(|p| tr!(lang, "tls-via-proxy", proxy = p.to_owned()))
        .unwrap_or_default()
}

/// " App code N: meaning; remedy" for a code the app explains, or nothing.
fn app_code_words(lang: Lang, kind: Rejection, body: &ErrorBody) -> String {
    // "No step for this stepsID" and its advice to start again by
    // carAssociationID fit no list asked for by carAssociationID.
    if kind == Rejection::NoSteps {
        return String::new();
    }
    body.code
        .and_then(explain_code)
        .map(|e| {
            // After a refused reset, the code's advice to reset is no help:
            // its meaning alone.
            let explained = if matches!(kind, Rejection::ResetRefused | Rejection::ResetFailed)
                && e.reset_cures
            {
                tr!(
                    lang,
                    "gw-app-code-meaning",
                    code = e.code,
                    meaning = e.meaning(lang)
                )
            } else {
                tr!(
                    lang,
                    "gw-app-code",
                    code = e.code,
                    meaning = e.meaning(lang),
                    remedy = e.remedy(lang)
                )
            };
            format!(" {explained}")
        })
        .unwrap_or_default()
}

/// A 5xx's words: what failed (the gateway, or a proxy's own page) and
/// what to do.
fn server_failure(
    lang: Lang,
    status: u16,
    body: &ErrorBody,
    retry_after: Option<std::time::Duration>,
    proxy: Option<&str>,
) -> (String, String) {
    // A 502, 503 or 504 page through a proxy, with no gateway error body,
    // is the proxy's own: it could not reach the gateway, so the operator
    // to ask may be the proxy's.
    let proxys_own = proxy.is_some()
        && matches!(status, 502..=504)
        && body.message.is_none()
        && body.code.is_none();
    let what = if proxys_own {
        tr!(lang, "gw-proxy-5xx")
    } else {
        tr!(lang, "gw-5xx")
    };
    let todo = match retry_after {
        // No restart takes days: the clock or the setting is wrong, as for
        // a 429.
        Some(wait) if wait.as_secs() > 86_400 => tr!(
            lang,
            "gw-5xx-todo-absurd",
            wait = crate::text::duration(lang, wait.as_secs())
        ),
        Some(wait) => tr!(lang, "gw-5xx-todo-after", secs = wait.as_secs()),
        None if proxys_own => tr!(lang, "gw-proxy-5xx-todo"),
        None => tr!(lang, "gw-5xx-todo"),
    };
    (what, todo)
}

/// A 400's words and what to do, by what its body says.
/// A 400's words: what was refused, and what to do, by what its body names.
pub(crate) fn bad_request_words(lang: Lang, body: &ErrorBody) -> (String, String) {
    // The gateway's own words say what it refused: advice of ours that
    // guesses (the id typed, --api) would send the technician elsewhere.
    let worded = body.message.is_some();
    let names = |what: &str| {
        body.message
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().contains(what))
    };
    if body.code.and_then(explain_code).is_some() {
        // An app code the app explains: no malformed request, no bug; the
        // code's meaning and cure follow.
        (tr!(lang, "gw-400-coded"), tr!(lang, "gw-400-coded-todo"))
    } else if names("carassociationid") || names("stepsid") {
        // Its words name the id: the id typed is what it does not take.
        (tr!(lang, "gw-400"), tr!(lang, "gw-400-id-todo"))
    } else if names("stepsstatus") {
        // Its words name the status filter: a gateway without it.
        (tr!(lang, "gw-400"), tr!(lang, "gw-400-filter-todo"))
    } else if worded {
        (tr!(lang, "gw-400"), tr!(lang, "gw-400-said-todo"))
    } else {
        (tr!(lang, "gw-400"), tr!(lang, "gw-400-todo"))
    }
}

/// An error body with no code whose words name no id.
fn names_no_id(body: &ErrorBody) -> bool {
    body.code.is_none()
        && body
            .message
            .as_deref()
            .is_some_and(|m| !crate::wire::names_an_id(m))
}

/// What to do about a 429: wait what it asks (if a technician can).
fn too_many_todo(lang: Lang, retry_after: Option<std::time::Duration>, waited_out: bool) -> String {
    match retry_after {
        // A wait of days is no limit a technician can wait out: the
        // gateway's clock or setting is wrong.
        Some(wait) if wait.as_secs() > 86_400 => tr!(
            lang,
            "gw-429-todo-absurd",
            wait = crate::text::duration(lang, wait.as_secs())
        ),
        Some(wait) => tr!(lang, "gw-429-todo-after", secs = wait.as_secs()),
        None if waited_out => tr!(lang, "gw-429-todo-past"),
        None => tr!(lang, "gw-429-todo"),
    }
}

fn rejected_line(
    lang: Lang,
    status: u16,
    kind: Rejection,
    body: &ErrorBody,
    retry_after: Option<std::time::Duration>,
    proxy: Option<&str>,
    cause_only: bool,
) -> String {
    // "Retry in 0 s" says nothing: a wait of nothing is no wait to name.
    // (A date in Retry-After that has passed by now is such a wait.)
    let waited_out = retry_after.is_some_and(|wait| wait.as_secs() == 0);
    let retry_after = retry_after.filter(|wait| wait.as_secs() > 0);
    // A 401's own message adds nothing to "wants a valid token", and a
    // short token may be a word of it: cut out, it would read "<redacted>".
    let message = body
        .message
        .as_ref()
        .filter(|_| kind != Rejection::Unauthorized);
    let said = match (message, body.code) {
        (Some(m), Some(c)) => format!(" ({m}, {})", tr!(lang, "gw-code", code = c)),
        (Some(m), None) => format!(" ({m})"),
        (None, Some(c)) => format!(" ({})", tr!(lang, "gw-code", code = c)),
        (None, None) => String::new(),
    };
    // The gateway's own words say what it refused: advice of ours that
    // guesses (the id typed, --api) would send the technician elsewhere.
    let worded = body.message.is_some();
    let (what, todo) = match kind {
        Rejection::BadRequest => bad_request_words(lang, body),
        Rejection::FilterRefused => (
            tr!(lang, "gw-400"),
            tr!(lang, "gw-400-filter-unchosen-todo"),
        ),
        Rejection::Forbidden => (
            tr!(lang, "gw-403-refused"),
            tr!(lang, "gw-403-refused-todo"),
        ),
        Rejection::Unauthorized => (tr!(lang, "gw-401"), tr!(lang, "gw-401-todo")),
        Rejection::WrongDevice => (tr!(lang, "gw-403"), tr!(lang, "gw-403-todo")),
        // Words that name no id and no code (a router's "no route
        // matched"): the id, or --api, may be what is wrong.
        Rejection::NotFound if names_no_id(body) => (
            tr!(lang, "gw-404-unnamed"),
            tr!(lang, "gw-404-unnamed-todo"),
        ),
        // Code 2346 to a call by stepsID: that stepsID, not the id typed.
        Rejection::NotFound if body.code == Some(crate::wire::NO_STEP_CODE) => (
            tr!(lang, "gw-404-steps-id"),
            tr!(lang, "gw-404-steps-id-todo"),
        ),
        Rejection::NotFound => (tr!(lang, "gw-404"), tr!(lang, "gw-404-todo")),
        // A 405 or 501: no stepsID was judged, the call is not served.
        Rejection::CallNotFound if status != 404 => (
            tr!(lang, "gw-call-not-served"),
            tr!(lang, "gw-404-call-todo"),
        ),
        Rejection::CallNotFound => (tr!(lang, "gw-404-call"), tr!(lang, "gw-404-call-todo")),
        Rejection::NoSteps => (
            tr!(lang, "gw-404-no-steps"),
            tr!(lang, "gw-404-no-steps-todo"),
        ),
        Rejection::Conflict => (tr!(lang, "gw-409"), tr!(lang, "gw-409-todo")),
        Rejection::ResetRefused => (
            tr!(lang, "gw-reset-refused"),
            match status {
                // An account or a device the gateway blocks says so with a
                // 403, or with an app code the app explains; else the
                // status says what the refusal is, whatever the body.
                403 | 400 => tr!(lang, "gw-reset-refused-todo"),
                _ if body.code.and_then(explain_code).is_some() => {
                    tr!(lang, "gw-reset-refused-todo")
                }
                409 => tr!(lang, "gw-reset-refused-conflict-todo"),
                _ => tr!(lang, "gw-reset-refused-call-todo", status = status),
            },
        ),
        Rejection::TooManyRequests => (
            tr!(lang, "gw-429"),
            too_many_todo(lang, retry_after, waited_out),
        ),
        Rejection::RequestTimeout => (tr!(lang, "gw-408"), tr!(lang, "gw-408-todo")),
        Rejection::ServerFailure | Rejection::ResetFailed => {
            server_failure(lang, status, body, retry_after, proxy)
        }
        // A 3xx that came back as the answer (a redirect with no usable
        // address, a 304 to a request that asked for none) refused nothing.
        Rejection::Other if (300..400).contains(&status) => {
            (tr!(lang, "gw-3xx"), tr!(lang, "gw-3xx-todo"))
        }
        Rejection::Other if worded || body.code.is_some() => {
            (tr!(lang, "gw-other"), tr!(lang, "gw-other-said-todo"))
        }
        Rejection::Other => (tr!(lang, "gw-other"), tr!(lang, "gw-other-todo")),
    };
    let sdk = app_code_words(lang, kind, body);
    // The gateway's message that says what the words say already (the
    // contract's own 403 text, alone or followed by its advice, which the
    // words give too) is not repeated in brackets.
    let said = match (message, body.code) {
        (Some(m), None)
            if {
                let (what, m) = (what.to_lowercase(), m.trim().to_lowercase());
                what.contains(&m) || m.starts_with(&what)
            } =>
        {
            String::new()
        }
        _ => said,
    };
    let via = via_proxy(lang, proxy);
    let colon = crate::text::colon(lang);
    if cause_only {
        return format!("HTTP {status}{via}{colon}{what}{said}");
    }
    format!("HTTP {status}{via}{colon}{what}{said}. {todo}.{sdk}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A proxy's own 5xx to a sign-in call is the provider out of the
    /// proxy's reach, for now; its 403 a refusal (stranger 52, BA6).
    #[test]
    fn a_proxy_s_5xx_to_a_sign_in_call_is_no_refusal() {
        let answered = |status| AuthError::Proxy {
            url: "http://idp.example/oauth/token".into(),
            proxy: "http://127.0.0.1:3128".into(),
            from: "http_proxy",
            credentials: false,
            trouble: ProxyTrouble::Answered {
                status,
                said: String::new(),
                wait: (status == 429).then_some(120),
                basic: false,
            },
        };
        let text = auth_error(Lang::En, &answered(502));
        assert!(text.contains("got no answer from idp.example"), "{text}");
        assert!(text.contains("Retry later"), "{text}");
        assert!(!text.contains("whether it lets"), "{text}");
        let text = auth_error(Lang::En, &answered(403));
        assert!(
            text.contains("whether it lets idp.example through"),
            "{text}"
        );
        // Its own limit with the wait it asked: that wait, never "a
        // minute" (stranger 84, CG6).
        let text = auth_error(Lang::En, &answered(429));
        assert!(
            text.contains("asks to wait 120 s") && !text.contains("Wait a minute"),
            "{text}"
        );
    }

    /// A renewal lost in a silent proxy names the proxy first, never the
    /// provider alone with "sign in again" through the same proxy
    /// (stranger 49, AX4).
    #[test]
    fn a_renewal_lost_in_a_proxy_names_the_proxy() {
        let lost = |why: AuthError| {
            AuthError::Provider(crate::auth::ProviderProblem::RenewalLost {
                url: "http://idp.example/oauth/token".into(),
                why: Box::new(why),
            })
        };
        let through = lost(AuthError::Proxy {
            url: "http://idp.example/oauth/token".into(),
            proxy: "http://127.0.0.1:3128".into(),
            from: "http_proxy",
            credentials: false,
            trouble: ProxyTrouble::Silent,
        });
        let text = auth_error(Lang::En, &through);
        assert!(
            text.contains("through the proxy http://127.0.0.1:3128"),
            "{text}"
        );
        assert!(text.contains("NO_PROXY=idp.example"), "{text}");
        assert!(text.contains("once the proxy passes requests"), "{text}");
        let direct = lost(AuthError::Network {
            url: "http://idp.example/oauth/token".into(),
            detail: crate::auth::device::NO_ANSWER.into(),
            tls: None,
        });
        let text = auth_error(Lang::En, &direct);
        assert!(!text.contains("proxy"), "{text}");
        assert!(text.contains("may have renewed the login"), "{text}");
    }

    /// A 401 to a sign-in's token that ran out with no refresh token says
    /// so, never that the gateway refused a good token (stranger 68, BQ13).
    #[test]
    fn a_sign_in_token_run_out_is_said_as_expired() {
        let words = gateway_error(
            Lang::En,
            &GatewayError::Unauthorized {
                sent: Some(TokenFrom::Login),
                expired: Some(300),
                said: None,
                through: None,
            },
        );
        assert!(
            words.starts_with(
                "HTTP 401: the token of the login kept by `stepwise login` expired 5m ago"
            ) && words.contains("gave no refresh token")
                && !words.contains("refused the token"),
            "{words}"
        );
    }

    /// A proxy's own 5xx to a sign-in call for a provider on this machine:
    /// NO_PROXY, never "retry later … ask who runs localhost" (stranger 73,
    /// BV6); one elsewhere keeps "retry later".
    #[test]
    fn a_proxy_s_5xx_for_a_provider_on_this_machine_says_no_proxy() {
        let words = |url: &str| {
            auth_error(
                Lang::En,
                &AuthError::Proxy {
                    url: url.into(),
                    proxy: "http://proxy.example:3128".into(),
                    from: "http_proxy",
                    credentials: false,
                    trouble: crate::auth::ProxyTrouble::Answered {
                        status: 503,
                        said: String::new(),
                        wait: None,
                        basic: false,
                    },
                },
            )
        };
        let here = words("http://localhost:46730/.well-known/openid-configuration");
        assert!(
            here.contains("is on this machine")
                && here.contains("NO_PROXY=localhost")
                && !here.contains("Retry later"),
            "{here}"
        );
        let there = words("https://idp.example/.well-known/openid-configuration");
        assert!(there.contains("Retry later"), "{there}");
    }

    /// A client the provider knows but wants authenticated is not said
    /// unknown, with advice to change an id that is right (stranger 45,
    /// AT9).
    #[test]
    fn a_client_asked_to_authenticate_is_not_said_unknown() {
        let words = |said: &str| {
            auth_error(
                Lang::En,
                &AuthError::UnknownClient {
                    client_id: "stepwise".into(),
                    said: said.into(),
                    other: crate::auth::OtherSignIn::None,
                },
            )
        };
        let secret = words("invalid_client: client authentication required");
        assert!(
            secret.contains("wants the client stepwise to authenticate")
                && !secret.contains("does not know"),
            "{secret}"
        );
        // A secret asked in other words (stranger 68, BQ21).
        let failed = words("invalid_client: client authentication failed: secret required");
        assert!(
            failed.contains("wants the client stepwise to authenticate")
                && !failed.contains("does not know"),
            "{failed}"
        );
        let unknown = words("invalid_client: unknown client");
        assert!(unknown.contains("does not know the client id"), "{unknown}");
    }

    /// A refusal page titled with its status alone is not said twice
    /// ("HTTP 403 (403)"); a title with words is (stranger 43, AR17a).
    #[test]
    fn a_page_titled_with_its_status_alone_is_not_said_twice() {
        let refused = |said: &str| {
            gateway_error(
                Lang::En,
                &GatewayError::Refused {
                    base: "http://gw.example/".into(),
                    status: 403,
                    said: said.into(),
                    token_sent: true,
                    proxy: None,
                },
            )
        };
        let bare = refused("403");
        assert!(
            bare.contains("answered HTTP 403 with no error body"),
            "{bare}"
        );
        let worded = refused("Blocked by policy");
        assert!(
            worded.contains("answered HTTP 403 (Blocked by policy) with no error body"),
            "{worded}"
        );
    }
    use crate::config::TokenPlace;
    use crate::net::ProxyProblem;

    /// A next-step answer of another service's JSON is said as no step,
    /// never "another shape than a steps list" (stranger 40, AO19).
    #[test]
    fn a_next_step_answer_without_a_step_is_said_as_no_step() {
        let error = crate::wire::decode_next(br#"{"ok":true}"#).unwrap_err();
        let line = decode_words(Lang::En, &error);
        assert!(
            line.starts_with("the answer is JSON of another shape than a step (")
                && line.contains("whose members are ok"),
            "{line}"
        );
    }

    /// `unsupported_grant_type` to the device grant is the grant not
    /// served at all, never "run the same `login --device` again"
    /// (stranger 40, AO3) nor a client the provider knows (stranger 41,
    /// AP12).
    #[test]
    fn an_unsupported_grant_is_said_as_not_served() {
        let refused = AuthError::Provider(crate::auth::ProviderProblem::GrantUnsupported {
            said: "unsupported_grant_type".into(),
        });
        let line = auth_error(Lang::En, &refused);
        assert!(
            line.contains("does not serve signing in with a code on another device"),
            "{line}"
        );
        assert!(!line.contains("knows the client id"), "{line}");
        assert!(!refused.retry_may_help());
    }

    /// An issuer at https:// that answers plain HTTP: the provider's
    /// address is what to fix (--issuer), not the gateway's.
    #[test]
    fn an_issuer_without_tls_names_the_issuer_not_the_gateway() {
        let error = AuthError::Network {
            url: "https://127.0.0.1:9/x/.well-known/openid-configuration".into(),
            detail: String::new(),
            tls: Some(TlsProblem::NotTls),
        };
        let line = auth_error(Lang::En, &error);
        assert!(
            line.contains("the identity provider at https://127.0.0.1:9/x/"),
            "{line}"
        );
        assert!(
            line.contains("--issuer") && !line.contains("gateway"),
            "{line}"
        );
    }

    /// A provider that cannot be reached: the network first, then the
    /// issuer if one is given, else the gateway's operator, whose metadata
    /// named it (never "if an issuer is set" alone: none may be).
    #[test]
    fn an_unreachable_provider_names_who_named_it() {
        let error = AuthError::Network {
            url: "http://127.0.0.1:9/.well-known/openid-configuration".into(),
            detail: "the connection was refused".into(),
            tls: None,
        };
        let line = auth_error(Lang::En, &error);
        assert!(
            line.contains(
                "Check the network, then retry; if it persists, check the issuer's address"
            ) && line.ends_with(
                "else tell the gateway's operator (its sign-in metadata names this provider)"
            ),
            "{line}"
        );
    }

    /// The identity provider's own certificate troubles are its, with
    /// the fix no --issuer can give.
    #[test]
    fn a_provider_s_certificate_is_the_provider_s() {
        let line = |problem| {
            auth_error(
                Lang::En,
                &AuthError::Network {
                    url: "https://idp.example/.well-known/openid-configuration".into(),
                    detail: String::new(),
                    tls: Some(problem),
                },
            )
        };
        let old = line(TlsProblem::OldVersion);
        assert!(
            old.contains("presented an X.509 version 1 certificate"),
            "{old}"
        );
        assert!(
            !old.contains("old_version") && !old.contains("gateway"),
            "{old}"
        );
        let nameless = line(TlsProblem::NoHostNames);
        assert!(nameless.contains("names no host"), "{nameless}");
    }

    /// A next step named and marked done is said as the contradiction it
    /// is, never "nothing left to do".
    #[test]
    fn a_next_step_marked_done_is_a_contradiction() {
        let error = crate::wire::DecodeError::WrongShape(crate::wire::Shape::NextDone(
            "deviceActivation".into(),
        ));
        let words = decode_words(Lang::En, &error);
        assert!(
            words.contains("names deviceActivation but marks it done"),
            "{words}"
        );
        assert!(!words.contains("ready"), "{words}");
        // The gateway's own contradiction: its operator, never --api.
        let line = gateway_error(Lang::En, &GatewayError::BadAnswer(error));
        assert!(!line.contains("--api"), "{line}");
    }

    /// A list whose stepsID breaks the id rule is refused with the id and
    /// the gateway's operator named: it could not be sent back, and
    /// neither the id typed nor --api is at fault.
    #[test]
    fn a_steps_id_breaking_the_id_rule_is_refused_when_it_arrives() {
        let body = br#"{"stepsID":"abc def/../x","x":{"name":"deviceActivation","status":"todo","order":1}}"#;
        let error = crate::wire::decode_list(body).unwrap_err();
        let line = gateway_error(Lang::En, &GatewayError::BadAnswer(error));
        assert!(
            line.contains("gives a stepsID (abc def/../x) that breaks the contract's id rule")
                && line.contains("Tell the gateway's operator"),
            "{line}"
        );
        assert!(!line.contains("--api"), "{line}");
        // The contract's error body with a 200: its words, the operator.
        let error =
            crate::wire::decode_list(br#"{"code":2346,"message":"no step for this stepsID"}"#)
                .unwrap_err();
        let line = gateway_error(Lang::En, &GatewayError::BadAnswer(error));
        assert!(
            line.contains(
                "sent its error body (no step for this stepsID, code 2346) with a success status"
            ),
            "{line}"
        );
        assert!(!line.contains("--api"), "{line}");
        // A number, whole or written as a float, is the id it spells.
        for body in [&br#"{"stepsID":132324}"#[..], br#"{"stepsID":132324.0}"#] {
            let list = crate::wire::decode_list(body).unwrap();
            assert_eq!(list.steps_id.as_deref(), Some("132324"));
        }
        // Past 64 bits, the digits written, never a rounded or clamped id.
        let body = br#"{"stepsID":123456789012345678901234567890}"#;
        let list = crate::wire::decode_list(body).unwrap();
        assert_eq!(
            list.steps_id.as_deref(),
            Some("123456789012345678901234567890")
        );
        // A number that cannot be read exactly is refused, as written.
        for (body, shown) in [
            (&br#"{"stepsID":1e30}"#[..], "1e30"),
            (br#"{"stepsID":1.5}"#, "1.5"),
        ] {
            let error = crate::wire::decode_list(body).unwrap_err();
            let line = gateway_error(Lang::En, &GatewayError::BadAnswer(error));
            assert!(
                line.contains(&format!("gives a stepsID ({shown})")),
                "{line}"
            );
        }
    }

    /// A client the provider keeps from the device grant
    /// (`unauthorized_client`) is said as not allowed this way, with the
    /// other way to sign in, never "retry later".
    #[test]
    fn a_client_kept_from_the_device_grant_is_said_so() {
        let refused = AuthError::UnknownClient {
            client_id: "stepwise".into(),
            said: "unauthorized_client: device grant disabled for this client".into(),
            other: crate::auth::OtherSignIn::Browser,
        };
        let words = auth_error(Lang::En, &refused);
        assert!(
            words.contains("does not let it sign in with a code on another device")
                && !words.contains("Retry later"),
            "{words}"
        );
    }

    /// An X.509 version 1 certificate: named, with a fix no option of
    /// stepwise's can give.
    #[test]
    fn a_version_1_certificate_is_said_so() {
        let line = tls_line(
            Lang::En,
            "https://gw.example/",
            None,
            &crate::net::TlsProblem::OldVersion,
        );
        assert!(line.contains("an X.509 version 1 certificate"), "{line}");
        assert!(line.contains("reissued as version 3"), "{line}");
        assert!(!line.contains("OtherError"), "{line}");
    }

    /// OAuth's invalid_client is a catch-all: words that say the client
    /// may not use this grant are not "an unknown client id".
    #[test]
    fn a_client_kept_from_the_device_flow_is_not_an_unknown_id() {
        let kept = AuthError::UnknownClient {
            client_id: "stepwise".into(),
            said: "invalid_client: Client not enabled for device flow".into(),
            other: crate::auth::OtherSignIn::None,
        };
        let line = auth_error(Lang::En, &kept);
        assert!(line.contains("knows the client id stepwise"), "{line}");
        assert!(
            !line.contains("does not know") && !line.contains("--client-id"),
            "{line}"
        );
        // No other way offered: none is named (`login` without --device
        // would ask for a device code again).
        assert!(line.contains("offers stepwise no other way"), "{line}");
        assert!(!line.contains("without --device"), "{line}");
        // The other way the provider offers is named, and only that one.
        let with = |other| {
            auth_error(
                Lang::En,
                &AuthError::UnknownClient {
                    client_id: "stepwise".into(),
                    said: "invalid_client: Client not enabled for device flow".into(),
                    other,
                },
            )
        };
        let line = with(crate::auth::OtherSignIn::Browser);
        assert!(line.contains("`stepwise login` without --device"), "{line}");
        let line = with(crate::auth::OtherSignIn::Device);
        assert!(line.contains("`stepwise login --device`"), "{line}");
        assert!(!line.contains("without --device"), "{line}");
        let unknown = AuthError::UnknownClient {
            client_id: "stepwise".into(),
            said: "invalid_client: Client not found".into(),
            other: crate::auth::OtherSignIn::None,
        };
        let line = auth_error(Lang::En, &unknown);
        assert!(
            line.contains("does not know the client id stepwise"),
            "{line}"
        );
    }

    /// A Retry-After of decades is said as the gateway's fault, in days,
    /// not as "wait 2299810044 s".
    #[test]
    fn an_absurd_retry_after_is_the_gateway_s_fault() {
        let error = GatewayError::Rejected {
            status: 429,
            kind: Rejection::TooManyRequests,
            body: ErrorBody::default(),
            retry_after: Some(std::time::Duration::from_secs(2_299_810_044)),
            proxy: None,
        };
        let line = gateway_error(Lang::En, &error);
        assert!(line.contains("which no limit of requests needs"), "{line}");
        assert!(!line.contains("2299810044"), "{line}");
    }

    #[test]
    fn rejection_lines_explain_known_codes() {
        let line = gateway_error(
            Lang::En,
            &GatewayError::Rejected {
                status: 404,
                kind: Rejection::NotFound,
                body: ErrorBody::new(Some(2346), "no step"),
                retry_after: None,
                proxy: None,
            },
        );
        assert!(
            line.starts_with("HTTP 404: the gateway has no step for this stepsID: it does not know it, or has forgotten it (no step, code 2346).")
        );
        assert!(line.contains("App code 2346"));
        assert!(!line.contains('\n'));
    }

    #[test]
    fn a_name_that_does_not_resolve_and_a_move_to_https_are_named() {
        let line = gateway_error(
            Lang::En,
            &GatewayError::Unreachable {
                base: "http://gateway.invalid:8080/".into(),
                detail:
                    "dns error: failed to lookup address information: Name or service not known"
                        .into(),
            },
        );
        assert!(
            line.contains("the name gateway.invalid is not known"),
            "{line}"
        );
        assert!(!line.contains("Check that it runs"), "{line}");
        let moved = gateway_error(
            Lang::En,
            &GatewayError::Redirected(crate::net::RedirectRefused {
                from: "http://gw.example/pims/subscription/steps".into(),
                to: "https://gw.example/pims/subscription/steps".into(),
            }),
        );
        assert!(moved.contains("moved to https://gw.example"), "{moved}");
        assert!(!moved.contains("not secure"), "{moved}");
    }

    /// The parser's "expected value at line 1 column 1" and the system's
    /// "Connection refused (os error 111)" were English inside every
    /// language; the wrong-shape details too.
    #[test]
    fn the_parser_s_and_the_system_s_details_speak_the_reader_s_language() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let refused = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_err();
        let refused = GatewayError::Unreachable {
            base: format!("http://127.0.0.1:{port}/"),
            detail: refused.to_string(),
        };
        let wrong = [
            (
                crate::wire::decode_list(b"[1]").unwrap_err(),
                "json-kind-array",
            ),
            (
                crate::wire::decode_next(b"\"x\"").unwrap_err(),
                "json-kind-string",
            ),
            // `next` asks for a step, not a list.
            (
                crate::wire::decode_next(b"[1]").unwrap_err(),
                "answer-wrong-shape-step",
            ),
            (
                crate::wire::decode_list(b"<html>").unwrap_err(),
                "answer-html",
            ),
            (crate::wire::decode_list(b"nope").unwrap_err(), "json-at"),
            (
                crate::wire::decode_list(b"{\"a\": {").unwrap_err(),
                "json-cut-at",
            ),
            (
                crate::wire::decode_list(b"{\"ok\": true}").unwrap_err(),
                "shape-no-steps",
            ),
        ];
        for &lang in Lang::ALL {
            let line = gateway_error(lang, &refused);
            assert!(line.contains(&tr!(lang, "os-refused")), "{lang:?}: {line}");
            assert!(!line.contains("os error"), "{lang:?}: {line}");
            for (error, id) in &wrong {
                let words = decode_words(lang, error);
                let marker = crate::text::message(lang, id, None);
                // The words before the first placeable are the id's own.
                let marker = marker.split('{').next().unwrap().trim();
                let marker = marker.split('\u{2068}').next().unwrap().trim();
                assert!(words.contains(marker), "{lang:?} {id}: {words}");
                if lang != Lang::En {
                    for english in ["expected", "line 1", " an array", " a string", "members"] {
                        assert!(!words.contains(english), "{lang:?}: {words}");
                    }
                }
            }
        }
    }

    /// The URL parser's reasons ("invalid port number", "empty host") were
    /// English inside every language.
    #[test]
    fn a_bad_url_s_reason_speaks_the_reader_s_language() {
        for (url, english) in [
            ("http://[::1", "invalid IPv6"),
            ("http://127.0.0.1:99999", "invalid port"),
            ("http://", "empty host"),
            ("http://exa mple.com", "international domain"),
            ("ftp://x", "only http and https"),
        ] {
            let error = crate::client::Gateway::new(url, "d".into(), None, Default::default())
                .err()
                .unwrap();
            assert!(matches!(error, GatewayError::BadUrl { .. }), "{error:?}");
            let line = gateway_error(Lang::De, &error);
            assert!(!line.contains(english), "{url}: {line}");
            assert!(line.contains("ist unbrauchbar: "), "{url}: {line}");
        }
    }

    #[test]
    fn a_gateway_message_that_repeats_the_words_is_not_bracketed() {
        let line = |message: &str| {
            gateway_error(
                Lang::En,
                &GatewayError::Rejected {
                    status: 403,
                    kind: Rejection::WrongDevice,
                    body: ErrorBody::new(None, message),
                    retry_after: None,
                    proxy: None,
                },
            )
        };
        let same = line("This stepsID belongs to another device");
        assert_eq!(
            same.matches("belongs to another device").count(),
            1,
            "{same}"
        );
        let longer = line("this stepsID belongs to another device; ask again by carAssociationID");
        assert_eq!(
            longer.matches("belongs to another device").count(),
            1,
            "{longer}"
        );
        let other = line("device 42 is not the owner");
        assert!(other.contains("(device 42 is not the owner)"), "{other}");
    }

    #[test]
    fn a_refused_token_reads_plainly_whatever_the_token() {
        let line = gateway_error(
            Lang::En,
            &GatewayError::Rejected {
                status: 401,
                kind: Rejection::Unauthorized,
                body: ErrorBody::new(None, "missing or <redacted> bearer token"),
                retry_after: None,
                proxy: None,
            },
        );
        assert!(!line.contains("redacted"), "{line}");
        assert!(
            line.starts_with("HTTP 401: the gateway wants a valid token."),
            "{line}"
        );
    }

    /// Every kind of error this module words reads in the chosen language,
    /// and its `Display` (for logs) stays the English line.
    #[test]
    fn command_line_errors_follow_the_language() {
        let cases: Vec<(String, String, String)> = vec![
            (
                config_error(
                    Lang::De,
                    &ConfigError::TokenText {
                        from: TokenPlace::ConfigToken,
                        empty: false,
                    },
                ),
                config_error(
                    Lang::En,
                    &ConfigError::TokenText {
                        from: TokenPlace::ConfigToken,
                        empty: false,
                    },
                ),
                "das Token in der Konfigurationsdatei".into(),
            ),
            (
                net_error(
                    Lang::De,
                    &NetError::Proxy {
                        from: "HTTPS_PROXY",
                        why: ProxyProblem::NoHost,
                    },
                ),
                NetError::Proxy {
                    from: "HTTPS_PROXY",
                    why: ProxyProblem::NoHost,
                }
                .to_string(),
                "der Proxy in HTTPS_PROXY ist unbrauchbar: es fehlt der Host".into(),
            ),
            (
                store_error(Lang::De, &StoreError::TooSlow { secs: 5 }),
                StoreError::TooSlow { secs: 5 }.to_string(),
                "binnen 5 s".into(),
            ),
            (
                auth_error(
                    Lang::De,
                    &AuthError::SignInAgain(Over::Revoked {
                        gateway: "http://g/".into(),
                        said: "invalid_grant".into(),
                    }),
                ),
                auth_error(
                    Lang::En,
                    &AuthError::SignInAgain(Over::Revoked {
                        gateway: "http://g/".into(),
                        said: "invalid_grant".into(),
                    }),
                ),
                "abgelaufen oder wurde widerrufen (invalid_grant). `stepwise login`".into(),
            ),
        ];
        for (german, english, expected) in cases {
            assert!(german.contains(&expected), "{german}");
            assert_ne!(german, english);
            assert!(!english.is_empty() && !english.contains('\n'), "{english}");
        }
        assert_eq!(
            config_error(
                Lang::En,
                &ConfigError::TokenText {
                    from: TokenPlace::Environment,
                    empty: false,
                }
            ),
            "the token in STEPWISE_TOKEN holds spaces, line breaks or characters a token cannot \
             have. Give the token exactly as the gateway issued it"
        );
    }

    #[test]
    fn words_come_from_the_catalogue() {
        let error = GatewayError::BadUrl {
            url: "ftp://x".into(),
            reason: "only http and https are supported".into(),
        };
        let line = gateway_error(Lang::En, &error);
        assert!(
            line.contains("Give one like http://127.0.0.1:8080"),
            "{line}"
        );
        assert_eq!(gateway_headline(Lang::En, &error), "Bad configuration");
        // The error's own Display is for logs: language-neutral, no advice.
        assert!(!error.to_string().contains("Give one"), "{error}");
    }
}
