//! The authorization code grant with PKCE (RFC 7636, S256) for a native
//! app (RFC 8252): the browser on this machine is sent to the provider,
//! which sends it back to a one-time listener on 127.0.0.1 at a random
//! port; the code it brings is exchanged for tokens with the verifier only
//! this process knows.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use url::Url;

use super::device::{
    Endpoints, OAuthError, audience_form, credential_from, post_form, unknown_client,
};
use super::{AuthError, Credential, Discovery, ProviderProblem, SignInOptions};
use crate::secret::Secret;
use crate::steps::sanitize;
use crate::text::Lang;
use crate::tr;

/// How long the browser has to come back.
pub const PATIENCE: Duration = Duration::from_secs(600);

pub use crate::wire::oauth::CODE_GRANT;

/// The path the browser comes back to.
const CALLBACK: &str = "/callback";

/// A PKCE verifier (never shown) and its S256 challenge.
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

/// 32 random bytes, base64url: 43 characters from the unreserved set.
fn random_text() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of a verifier (RFC 7636 §4.2).
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = random_text();
        let challenge = challenge_of(&verifier);
        Pkce {
            verifier: Secret::new(verifier),
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// A sign-in waiting for the browser to come back.
pub struct Pending {
    /// Where to send the browser.
    pub address: Url,
    redirect_uri: String,
    state: String,
    pkce: Pkce,
    scope: String,
    listener: TcpListener,
}

/// The answer the browser brings back (RFC 6749 §4.1.2).
#[derive(Debug, Default)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Opens the listener and makes the address to send the browser to.
pub async fn start(endpoints: &Endpoints, options: &SignInOptions) -> Result<Pending, AuthError> {
    let authorization =
        endpoints
            .authorization
            .clone()
            .ok_or(AuthError::Discovery(Discovery::Missing {
                field: "authorization_endpoint",
            }))?;
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| AuthError::Network {
            url: "http://127.0.0.1/".into(),
            detail: e.kind().to_string(),
            tls: None,
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::Network {
            url: "http://127.0.0.1/".into(),
            detail: e.kind().to_string(),
            tls: None,
        })?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK}");
    let state = random_text();
    let pkce = Pkce::new();
    let scope = endpoints.scopes(options);
    let mut address = authorization;
    {
        let mut query = address.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", options.client_id())
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        if !scope.is_empty() {
            query.append_pair("scope", &scope);
        }
        // OpenID Connect grants offline_access (a refresh token) only
        // after the person consented (Core §11).
        if scope.split(' ').any(|s| s == "offline_access") {
            query.append_pair("prompt", "consent");
        }
        if let Some(audience) = options.audience.as_deref() {
            query.append_pair("resource", audience);
            query.append_pair("audience", audience);
        }
    }
    Ok(Pending {
        address,
        redirect_uri,
        state,
        pkce,
        scope,
        listener,
    })
}

/// The page the browser shows once it came back.
fn page(lang: Lang, ok: bool) -> String {
    let words = if ok {
        tr!(lang, "login-browser-done")
    } else {
        tr!(lang, "login-browser-failed-page")
    };
    format!(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>stepwise</title><p>{}</p>",
        words
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    )
}

/// Answers one browser request on the loopback listener.
fn answer(stream: &mut std::net::TcpStream, status: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// The request line's target of one request (at most 8 KiB read).
fn request_target(stream: &mut std::net::TcpStream) -> Option<String> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next()?.split(' ');
    (words.next()? == "GET").then_some(())?;
    words.next().map(str::to_owned)
}

/// Waits on the loopback listener (blocking, until `deadline`) for the
/// browser to come back with this sign-in's `state`; other requests (a
/// favicon, a stale tab) are answered and waited past.
fn wait_for_callback(
    listener: &TcpListener,
    expected: &str,
    lang: Lang,
    deadline: Instant,
) -> Option<Callback> {
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let Some(target) = request_target(&mut stream) else {
                    continue;
                };
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                if path != CALLBACK {
                    answer(&mut stream, "404 Not Found", "");
                    continue;
                }
                let mut callback = Callback::default();
                for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
                    let value = Some(value.into_owned());
                    match &*key {
                        "code" => callback.code = value,
                        "state" => callback.state = value,
                        "error" => callback.error = value,
                        "error_description" => callback.error_description = value,
                        _ => {}
                    }
                }
                // Another page's answer (a stale tab) is not this sign-in's.
                if callback.state.as_deref() != Some(expected) {
                    answer(&mut stream, "400 Bad Request", &page(lang, false));
                    continue;
                }
                let ok = callback.code.is_some();
                answer(&mut stream, "200 OK", &page(lang, ok));
                return Some(callback);
            }
            Err(_) if Instant::now() >= deadline => return None,
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Waits (at most [`PATIENCE`]) for the browser to come back with this
/// sign-in's answer, then exchanges the code for tokens.
pub async fn finish(
    pending: Pending,
    http: &reqwest::Client,
    endpoints: &Endpoints,
    options: &SignInOptions,
    lang: Lang,
) -> Result<Credential, AuthError> {
    let expected = pending.state.clone();
    let listener = pending
        .listener
        .try_clone()
        .map_err(|e| AuthError::Network {
            url: pending.redirect_uri.clone(),
            detail: e.kind().to_string(),
            tls: None,
        })?;
    let deadline = Instant::now() + PATIENCE;
    let callback = tokio::task::spawn_blocking(move || {
        wait_for_callback(&listener, &expected, lang, deadline)
    })
    .await
    .ok()
    .flatten();
    let Some(callback) = callback else {
        return Err(AuthError::Expired);
    };
    let scopes = sanitize(&pending.scope);
    if let Some(error) = callback.error.as_deref().map(sanitize) {
        let error = error.as_str();
        let said = OAuthError {
            error: Some(error.to_owned()),
            error_description: callback.error_description.clone(),
        };
        return Err(match error {
            "access_denied" => AuthError::Denied {
                scopes,
                said: super::device::reason(&said, &[]),
            },
            "invalid_scope" => AuthError::UnknownScope {
                scopes,
                said: said.said(reqwest::StatusCode::BAD_REQUEST, &[]),
            },
            _ => unknown_client(
                &said,
                reqwest::StatusCode::BAD_REQUEST,
                options.client_id(),
                &[],
                endpoints.besides_browser(),
            )
            .unwrap_or_else(|| {
                AuthError::Provider(ProviderProblem::Stopped {
                    said: said.said(reqwest::StatusCode::BAD_REQUEST, &[]),
                })
            }),
        });
    }
    let Some(code) = callback.code else {
        return Err(AuthError::Expired);
    };
    let mut form = vec![
        ("grant_type", CODE_GRANT),
        ("code", code.as_str()),
        ("redirect_uri", pending.redirect_uri.as_str()),
        ("client_id", options.client_id()),
        ("code_verifier", pending.pkce.verifier.expose()),
    ];
    audience_form(options, &mut form);
    let reply = post_form(http, &endpoints.token, &form).await?;
    if !reply.status.is_success() {
        let error = OAuthError::of(&reply.body);
        let secrets = [code.as_str(), pending.pkce.verifier.expose()];
        if let Some(e) = unknown_client(
            &error,
            reply.status,
            options.client_id(),
            &secrets,
            endpoints.besides_browser(),
        ) {
            return Err(e);
        }
        return Err(AuthError::Provider(ProviderProblem::Stopped {
            said: error.said(reply.status, &secrets),
        }));
    }
    Ok(credential_from(&reply.body, &endpoints.token, None)?.asked(
        options,
        &pending.scope,
        endpoints.revocation.as_ref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636_appendix_b() {
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let pkce = Pkce::new();
        assert_eq!(pkce.verifier.expose().len(), 43);
        assert_ne!(pkce.verifier.expose(), Pkce::new().verifier.expose());
    }
}
