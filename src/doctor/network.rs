//! The way to the gateway: the proxy chosen for it, name resolution, the TCP
//! connection and, through a proxy, the `CONNECT` tunnel; then the TLS check.

use std::net::SocketAddr;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::{Arg, Budget, Mark, Report, Words, check_limit, secs};
use crate::net::{NetOptions, ProxyChoice, TlsProblem};
use crate::steps::sanitize;

/// What the network checks leave for the rest.
pub(super) struct Connection {
    /// The gateway can be spoken to over HTTP(S).
    pub(super) usable: bool,
    pub(super) tls_problem: Option<TlsProblem>,
}

/// Proxy, name resolution, TCP and TLS. `None` when the gateway cannot be
/// reached at all.
pub(super) async fn checks(
    report: &mut Report,
    budget: &Budget,
    url: &Url,
    net: &NetOptions,
) -> Option<Connection> {
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let proxy = proxy_check(report, url, net, &host)?;
    // Name resolution: of the gateway, or of the proxy, which resolves the
    // gateway's name itself.
    let (dial_host, dial_port) = match &proxy {
        Some(p) => (
            p.url.host_str().unwrap_or_default().to_owned(),
            p.url.port_or_known_default().unwrap_or(80),
        ),
        None => (host.clone(), port),
    };
    let Some(addrs) = dns_check(report, budget, &dial_host, dial_port, proxy.is_some()).await
    else {
        // The proxy's own name is unknown: the proxy line is not "ok".
        if let Some(choice) = &proxy {
            report.set(
                "proxy",
                Mark::Failed,
                words!(
                    "doctor-proxy-unresolved",
                    proxy = choice.shown(),
                    from = choice.from
                ),
            );
        }
        return None;
    };
    let mut stream = tcp_check(report, budget, &addrs, proxy.is_some()).await?;
    if url.scheme() != "https" {
        report.set("tls", Mark::Ok, words!("doctor-tls-plain"));
        return Some(Connection {
            usable: true,
            tls_problem: None,
        });
    }
    if let Some(choice) = &proxy
        && let Err(why) = connect_tunnel(budget, &mut stream, &host, port, &choice.url).await
    {
        // On this machine: does anything listen at the gateway's port?
        let down =
            crate::net::is_loopback_host(&host) && crate::net::loopback_refuses(&host, port).await;
        tunnel_failed(report, choice, (&host, down.then_some(port)), why);
        return None;
    }
    let checked = super::tls::tls_check(report, budget, stream, &host, net, proxy.as_ref()).await;
    // A handshake broken off: plain HTTP, or another service, answers
    // there? (Not through a proxy: its tunnel is what would be looked at.)
    let broke_off = checked.as_ref().is_some_and(|c| {
        matches!(&c.tls_problem, Some(TlsProblem::Other(said)) if said.contains("tls handshake eof"))
    });
    // Through a proxy's open tunnel: the proxy, or what is behind it, cut
    // the handshake (as an end of file or a reset); no file here is at fault.
    if let (Some(choice), Some(Some(TlsProblem::Other(said)))) =
        (&proxy, checked.as_ref().map(|c| &c.tls_problem))
    {
        let said = said.clone();
        let why = Arg::each(move |lang| crate::describe::os_words(lang, &said));
        report.set_with(
            "tls",
            Mark::Failed,
            words!(
                "doctor-tls-proxy-cut",
                proxy = choice.shown(),
                host = host.clone(),
                why = why
            ),
            // Or a gateway that speaks plain HTTP (stranger 65, BN4).
            Some({
                let host = host.clone();
                Arg::each(move |lang| {
                    format!(
                        "{}. {}",
                        crate::tr!(lang, "doctor-tls-proxy-cut-fix", host = host.clone()),
                        crate::tr!(lang, "tls-or-plain-http", host = host.clone())
                    )
                })
            }),
        );
    }
    let not_tls = checked
        .as_ref()
        .is_some_and(|c| matches!(&c.tls_problem, Some(TlsProblem::NotTls)));
    if let (Some(choice), true) = (&proxy, not_tls) {
        // What came back in the tunnel is the proxy's (or a filter's).
        let (base, shown) = (url.to_string(), choice.shown());
        report.set(
            "tls",
            Mark::Failed,
            Arg::each(move |lang| {
                crate::describe::tls_line(lang, &base, Some(&shown), &TlsProblem::NotTls)
            }),
        );
    }
    if proxy.is_none()
        && (broke_off || not_tls)
        && let Some(found) = crate::client::port_after_tls_eof(url).await
    {
        let base = url.to_string();
        let detail: Option<Arg> = match found {
            // No TLS came back, and the port says nothing more.
            crate::client::PortFound::TlsClosed if not_tls => None,
            crate::client::PortFound::TlsClosed => Some(words!("doctor-tls-closed").into()),
            found => Some(Arg::each(move |lang| {
                crate::describe::port_line(lang, &base, &found)
            })),
        };
        if let Some(detail) = detail {
            report.set("tls", Mark::Failed, detail);
        }
    }
    checked
}

/// The proxy line when its tunnel was not opened, with what to check.
fn tunnel_failed(
    report: &mut Report,
    choice: &ProxyChoice,
    (host, down): (&str, Option<u16>),
    why: Words,
) {
    // A 502/503/504: the proxy tried and could not reach the gateway;
    // the variable is right, the gateway or its name is what to check.
    // A proxy that answered says what it wants: the variable is right
    // unless what answered is no HTTP proxy.
    // (The ids of why, by their last words.)
    let fix = match why.id.rsplit("tunnel-").next().unwrap_or_default() {
        // A gateway on this machine where nothing listens: it does not run.
        "unreached" if down.is_some() => Some(words!(
            "doctor-fix-loopback-down",
            host = host.to_owned(),
            port = down.unwrap_or_default().to_string()
        )),
        // A gateway on this machine: the proxy cannot reach it.
        "unreached" if crate::net::is_loopback_host(host) => Some(words!(
            "doctor-fix-proxy-loopback",
            host = host.to_owned(),
            from = choice.from.to_owned()
        )),
        "unreached" => Some(words!(
            "doctor-fix-tunnel-unreached",
            host = host.to_owned()
        )),
        "refused" => Some(words!("doctor-fix-tunnel-refused", host = host.to_owned())),
        "limited" => Some(words!("gw-proxy-429-todo")),
        // What the variable names opens no tunnels: the variable is wrong.
        "none" => Some(words!("doctor-fix-tunnel-none", from = choice.from)),
        "timeout" | "broken" => Some(words!("doctor-fix-tunnel-retry", host = host.to_owned())),
        // The line says what to do (retry; put or check the password).
        "closed" | "password-wanted" | "password-refused" | "windows" | "portal" => None,
        _ => Some(words!("doctor-fix-proxy")),
    };
    report.set_with(
        "proxy",
        Mark::Failed,
        words!(
            "doctor-proxy-tunnel",
            proxy = choice.shown(),
            from = choice.from,
            why = why
        ),
        fix,
    );
}

/// The proxy the settings choose for the gateway. `None` when the proxy
/// settings are unusable; `Some(None)` when the gateway is dialled directly.
fn proxy_check(
    report: &mut Report,
    url: &Url,
    net: &NetOptions,
    host: &str,
) -> Option<Option<ProxyChoice>> {
    let proxy = match net.proxy.proxy_for(url) {
        Ok(choice) => choice,
        Err(e) => {
            report.set("proxy", Mark::Failed, Arg::each(|lang| e.words(lang)));
            return None;
        }
    };
    match &proxy {
        None => {
            let env = &net.proxy;
            let (own, other) = if url.scheme() == "https" {
                (&env.https, &env.http)
            } else {
                (&env.http, &env.https)
            };
            // A proxy for this scheme that NO_PROXY skipped, one set only
            // for the other scheme (HTTPS_PROXY with an http:// gateway),
            // or none at all.
            let detail = match (own.as_ref().or(env.all.as_ref()), other) {
                (Some(_), _) => words!("doctor-proxy-no-proxy", host = host.to_owned()),
                (None, Some(var)) => words!(
                    "doctor-proxy-other-scheme",
                    scheme = url.scheme().to_owned(),
                    var = var.name,
                    wanted = if url.scheme() == "https" {
                        "HTTPS_PROXY"
                    } else {
                        "HTTP_PROXY"
                    }
                ),
                (None, None) => words!("doctor-proxy-none"),
            };
            report.set("proxy", Mark::Ok, detail);
        }
        Some(choice) => report.set(
            "proxy",
            Mark::Ok,
            words!(
                "doctor-proxy-used",
                proxy = choice.shown(),
                from = choice.from
            ),
        ),
    }
    Some(proxy)
}

/// The addresses of `host` (the gateway's, or the proxy's when one is used).
async fn dns_check(
    report: &mut Report,
    budget: &Budget,
    host: &str,
    port: u16,
    via_proxy: bool,
) -> Option<Vec<SocketAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        let detail = if via_proxy {
            words!("doctor-dns-address-proxy", ip = ip.to_string())
        } else {
            words!("doctor-dns-address", ip = ip.to_string())
        };
        report.set("dns", Mark::Ok, detail);
        return Some(vec![SocketAddr::new(ip, port)]);
    }
    match budget.run(tokio::net::lookup_host((host, port))).await {
        Some(Ok(found)) => {
            let found: Vec<SocketAddr> = found.collect();
            let shown: Vec<String> = found.iter().take(3).map(|a| a.ip().to_string()).collect();
            let detail: Arg = if via_proxy {
                words!(
                    "doctor-dns-resolved-proxy",
                    host = host.to_owned(),
                    addrs = shown.join(", ")
                )
                .into()
            } else {
                Arg::Text(format!("{host} → {}", shown.join(", ")))
            };
            report.set("dns", Mark::Ok, detail);
            Some(found)
        }
        Some(Err(e)) => {
            // The resolver's words ("failed to lookup address information")
            // in the reader's language.
            let said = e.to_string();
            let error = Arg::each(move |lang| crate::describe::os_words(lang, &said));
            let detail = if via_proxy {
                words!(
                    "doctor-dns-failed-proxy",
                    host = host.to_owned(),
                    error = error
                )
            } else {
                words!("doctor-dns-failed", host = host.to_owned(), error = error)
            };
            let fix = if via_proxy {
                words!("doctor-dns-fix-proxy")
            } else {
                words!("doctor-dns-fix")
            };
            report.set_with("dns", Mark::Failed, detail, Some(fix));
            None
        }
        None => {
            let detail = if via_proxy {
                words!(
                    "doctor-dns-timeout-proxy",
                    host = host.to_owned(),
                    secs = secs(check_limit())
                )
            } else {
                words!(
                    "doctor-dns-timeout",
                    host = host.to_owned(),
                    secs = secs(check_limit())
                )
            };
            report.set_with(
                "dns",
                Mark::Failed,
                detail,
                Some(words!("doctor-dns-timeout-fix")),
            );
            None
        }
    }
}

/// A TCP connection to the first address that takes one.
async fn tcp_check(
    report: &mut Report,
    budget: &Budget,
    addrs: &[SocketAddr],
    via_proxy: bool,
) -> Option<TcpStream> {
    let started = Instant::now();
    let mut stream = None;
    let mut last_error: Arg = words!("doctor-tcp-no-address").into();
    for addr in addrs {
        match budget.run(TcpStream::connect(addr)).await {
            Some(Ok(s)) => {
                stream = Some((s, *addr));
                break;
            }
            Some(Err(e)) => {
                let (addr, said) = (*addr, e.to_string());
                last_error =
                    Arg::each(|lang| format!("{addr}: {}", crate::describe::os_words(lang, &said)));
            }
            None => {
                last_error = words!(
                    "doctor-tcp-timeout",
                    addr = addr.to_string(),
                    secs = secs(check_limit())
                )
                .into();
                break;
            }
        }
    }
    let Some((stream, addr)) = stream else {
        let (detail, remedy) = if via_proxy {
            (
                words!("doctor-tcp-failed-proxy", error = last_error),
                words!("doctor-fix-proxy"),
            )
        } else {
            (
                words!("doctor-tcp-failed", error = last_error),
                words!("doctor-tcp-fix"),
            )
        };
        report.set_with("tcp", Mark::Failed, detail, Some(remedy));
        return None;
    };
    let took = started.elapsed().as_millis();
    let detail = if via_proxy {
        words!(
            "doctor-tcp-connected-proxy",
            addr = addr.to_string(),
            ms = took
        )
    } else {
        words!("doctor-tcp-connected", addr = addr.to_string(), ms = took)
    };
    report.set("tcp", Mark::Ok, detail);
    Some(stream)
}

/// Asks the proxy for a tunnel (`CONNECT host:port`), with the proxy's
/// user name and password when its URL holds them, as the gateway calls do.
async fn connect_tunnel(
    budget: &Budget,
    stream: &mut TcpStream,
    host: &str,
    port: u16,
    proxy: &Url,
) -> Result<(), Words> {
    let credentials = proxy_credentials(proxy);
    let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some(basic) = &credentials {
        request.push_str("Proxy-Authorization: Basic ");
        request.push_str(basic);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        // Byte by byte up to the blank line, so no tunnelled byte is eaten.
        while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
            if stream.read(&mut byte).await? == 0 {
                break;
            }
            head.push(byte[0]);
            if not_http(&head) {
                // Another service's greeting (an SSH banner, which then
                // waits for us): the rest of its first line, no blank line.
                let pause = std::time::Duration::from_millis(300);
                while !head.ends_with(b"\n") && head.len() < 200 {
                    match tokio::time::timeout(pause, stream.read(&mut byte)).await {
                        Ok(Ok(1)) => head.push(byte[0]),
                        _ => break,
                    }
                }
                break;
            }
        }
        Ok::<_, std::io::Error>(head)
    };
    match budget.run(exchange).await {
        None => Err(words!("doctor-tunnel-timeout", secs = secs(check_limit()))),
        Some(Err(e)) => {
            let said = e.to_string();
            let error = Arg::each(|lang| crate::describe::os_words(lang, &said));
            Err(words!("doctor-tunnel-broken", error = error))
        }
        // Closed before a byte came: no answer at all, not another service.
        Some(Ok(head)) if head.is_empty() => Err(words!("doctor-tunnel-closed")),
        Some(Ok(head)) => {
            let text = String::from_utf8_lossy(&head);
            let status_line = sanitize(text.lines().next().unwrap_or(""));
            let code = status_line.split_whitespace().nth(1).unwrap_or_default();
            if !status_line.starts_with("HTTP/") {
                // Not an HTTP proxy that answered: another service, or none.
                return Err(words!(
                    "doctor-tunnel-not-http",
                    said = format!("{status_line:?}")
                ));
            }
            // Windows sign-in only: no password in the variable answers it.
            let windows = crate::net::proxy_windows_only(text.lines().filter_map(|l| {
                l.split_once(':')
                    .filter(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authenticate"))
                    .map(|(_, value)| value)
            }));
            let basic = crate::net::basic_challenge(&text);
            match code {
                "200" => Ok(()),
                // A sign-in of its own: a user name and password (Basic),
                // as a 407 asks, or a portal's, which no variable answers.
                "401" if basic && credentials.is_some() => Err(words!(
                    "doctor-tunnel-password-refused",
                    status = format!("{status_line:?}")
                )),
                "401" if basic => Err(words!(
                    "doctor-tunnel-password-wanted",
                    status = format!("{status_line:?}")
                )),
                "401" => Err(words!(
                    "doctor-tunnel-portal",
                    status = format!("{status_line:?}")
                )),
                "407" if windows => Err(words!(
                    "doctor-tunnel-windows",
                    status = format!("{status_line:?}")
                )),
                "407" if credentials.is_some() => Err(words!(
                    "doctor-tunnel-password-refused",
                    status = format!("{status_line:?}")
                )),
                "407" => Err(words!(
                    "doctor-tunnel-password-wanted",
                    status = format!("{status_line:?}")
                )),
                // No tunnels at all: a web server, or a proxy that cannot
                // carry https:// (as `steps` says it).
                "405" | "501" => Err(words!(
                    "doctor-tunnel-none",
                    status = format!("{status_line:?}")
                )),
                // Its own limit: no rule against this destination
                // (stranger 80, CC2).
                "429" => Err(words!(
                    "doctor-tunnel-limited",
                    status = format!("{status_line:?}")
                )),
                // The proxy tried, and could not reach (or resolve) it.
                "502" | "503" | "504" => Err(words!(
                    "doctor-tunnel-unreached",
                    status = format!("{status_line:?}")
                )),
                _ => Err(words!(
                    "doctor-tunnel-refused",
                    status = format!("{status_line:?}")
                )),
            }
        }
    }
}

/// The answer to `CONNECT` so far is no HTTP: its first bytes are not
/// `HTTP/`, or its first line ended without them.
fn not_http(head: &[u8]) -> bool {
    let prefix = &b"HTTP/"[..head.len().min(5)];
    !head.starts_with(prefix) || (head.ends_with(b"\n") && !head.starts_with(b"HTTP/"))
}

/// `user:password` of a proxy URL, percent-decoded and base64-encoded for
/// `Proxy-Authorization: Basic`; `None` without a user name.
fn proxy_credentials(proxy: &Url) -> Option<String> {
    if proxy.username().is_empty() {
        return None;
    }
    let mut plain = percent_decode(proxy.username());
    plain.push(b':');
    plain.extend(percent_decode(proxy.password().unwrap_or_default()));
    Some(base64(&plain))
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_credentials_are_decoded_then_encoded_for_basic() {
        let url = Url::parse("http://dealer:p%40ss%3Aw0rd%25x@127.0.0.1:3128").unwrap();
        // base64("dealer:p@ss:w0rd%x")
        assert_eq!(
            proxy_credentials(&url).as_deref(),
            Some("ZGVhbGVyOnBAc3M6dzByZCV4")
        );
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(
            proxy_credentials(&Url::parse("http://127.0.0.1:3128").unwrap()),
            None
        );
    }
}
