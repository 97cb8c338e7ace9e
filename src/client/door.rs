//! The one request function: every request to the gateway (the client's
//! calls, the follower's stream and polls, doctor's checks) is made by
//! [`Gateway::send`], which adds the device header and the bearer token
//! (refreshed when due, and once more after a 401), and reads answers with
//! [`Sent::body`] (held to the body cap, the token cut out). Transport
//! failures become [`GatewayError`]s with their innermost cause, sanitised
//! and redacted.

use std::time::Duration;

use reqwest::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};

use super::{Answer, Gateway, GatewayError};
use crate::secret::Secret;
use crate::wire::DEVICE_HEADER;

/// One request, before the door adds what every request carries.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub method: Method,
    /// Relative to the gateway's base URL.
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub accept: &'static str,
    /// Headers of this call only (`If-None-Match`, `Last-Event-ID`).
    pub headers: HeaderMap,
    /// A whole-request limit other than the client's (an event stream
    /// lives long).
    pub timeout: Option<Duration>,
}

impl<'a> Call<'a> {
    /// A `GET` of JSON.
    pub fn get(path: &'a str, query: &'a [(&'a str, &'a str)]) -> Self {
        Call {
            method: Method::GET,
            path,
            query,
            accept: "application/json",
            headers: HeaderMap::new(),
            timeout: None,
        }
    }

    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    #[must_use]
    pub fn accept(mut self, accept: &'static str) -> Self {
        self.accept = accept;
        self
    }

    /// A header of this call; a value no header can carry is left out.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.insert(name, value);
        }
        self
    }

    #[must_use]
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }
}

/// An answer whose head has come. Its body is read with [`Sent::body`], or
/// streamed by the caller from `response`.
#[derive(Debug)]
pub struct Sent {
    pub response: reqwest::Response,
    /// The token the request carried: cut out of whatever comes back.
    pub token: Option<Secret>,
    /// The address asked and the one that answered, as they may be shown,
    /// when a redirect (within the gateway's own address) was followed.
    pub moved: Option<(String, String)>,
}

/// A 401's words on why the token was refused: its Bearer challenge's, else
/// its body's (`error_description`, `message`: the body is read and put
/// back), and whether the gateway said nothing that shows it saw a token
/// (no challenge naming an error, no words in the body). A body that says
/// why is no "as if no token reached it" (stranger 68, BQ8).
async fn refusal_words(sent: Sent) -> (Sent, Option<String>, bool) {
    // The challenge's words, never with the token they may repeat
    // (stranger 73, BV7).
    let said = super::bearer_said(sent.headers()).filter(|said| {
        !sent
            .token
            .as_ref()
            .is_some_and(|t| super::repeats_secret(said, t))
    });
    let unseen = super::bearer_unseen(sent.headers());
    if said.is_some() {
        return (sent, said, unseen);
    }
    let Sent {
        mut response,
        token,
        moved,
    } = sent;
    let (status, version) = (response.status(), response.version());
    let headers = response.headers().clone();
    // A refusal's body is small; more than this is not read for words.
    let mut body = Vec::new();
    while body.len() < 65_536 {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    let cut = match &token {
        Some(token) => super::redact_secret(&body, token.expose().as_bytes()),
        None => body.clone(),
    };
    let words = crate::wire::decode_error(&cut)
        .and_then(|b| b.message)
        .or_else(|| crate::wire::decode_other_error(&cut, 401).and_then(|b| b.message))
        .map(|w| {
            crate::steps::sanitize(&w)
                .chars()
                .take(200)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty());
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    let sent = Sent {
        response: reqwest::Response::from(rebuilt),
        token,
        moved,
    };
    let unseen = unseen && words.is_none();
    (sent, words, unseen)
}

impl Sent {
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The body, up to `gateway`'s cap, with the token cut out of a failed
    /// answer's body.
    pub async fn body(mut self, gateway: &Gateway) -> Result<Answer, GatewayError> {
        let status = self.response.status();
        let retry_after = super::retry_after(self.response.headers());
        let proxy_mark = super::proxy_mark(status, self.response.headers());
        let limit = gateway.options.max_body;
        if self
            .response
            .content_length()
            .is_some_and(|n| n > limit as u64)
        {
            return Err(gateway.too_large(limit));
        }
        // A list, or an error whose meaning is in its body (a 404's code,
        // a 403's, a 400's), that came compressed cannot be read: said as
        // that, never as no gateway's body (stranger 80, CC3). A 401's
        // challenge, a 429's wait and a failure are judged by their head.
        let body_decides =
            status.is_success() || matches!(status.as_u16(), 400 | 403 | 404 | 409 | 410 | 422);
        if let Some(encoding) = super::compressed(self.response.headers())
            && body_decides
        {
            return Err(GatewayError::Compressed {
                encoding,
                proxy: gateway.proxy.clone(),
            });
        }
        let mut body = Vec::new();
        // Out of time after the answer began: it stalled part-way, never
        // "did not answer" (stranger 87, CJ3).
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                GatewayError::Transport(super::ANSWER_STALLED.to_owned())
            } else {
                gateway.failure(&e, self.token.as_ref())
            }
        };
        while let Some(chunk) = self.response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > limit {
                return Err(gateway.too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        let answer = Answer {
            status,
            retry_after,
            body,
            proxy_mark,
            token_sent: self.token.is_some(),
            scope_wanted: super::scope_wanted(self.response.headers()),
            bearer_said: super::bearer_said(self.response.headers()),
            login_prompt: match status {
                reqwest::StatusCode::UNAUTHORIZED => super::login_prompt(self.response.headers()),
                // A proxy's: Windows sign-in only, or a password.
                reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED => {
                    Some(crate::net::proxy_windows_only(
                        self.response
                            .headers()
                            .get_all(reqwest::header::PROXY_AUTHENTICATE)
                            .iter()
                            .filter_map(|v| v.to_str().ok()),
                    ))
                }
                _ => None,
            },
            challenged: self
                .response
                .headers()
                .contains_key(reqwest::header::WWW_AUTHENTICATE),
            unseen: super::bearer_unseen(self.response.headers()),
            moved: self.moved.clone(),
        };
        Ok(super::redact_answer(answer, self.token.as_ref()))
    }
}

impl Gateway {
    /// The one request function (see the module's documentation). A 401 to
    /// a request that carried a sign-in token is tried once more with a
    /// refreshed token when the token source has one.
    pub async fn send(&self, call: &Call<'_>) -> Result<Sent, GatewayError> {
        let token = match &self.token {
            Some(source) => Some(
                source
                    .bearer(self.oauth_http().map_err(GatewayError::Auth)?)
                    .await
                    .map_err(GatewayError::Auth)?,
            ),
            None => None,
        };
        let sent = self.send_with(call, token).await?;
        let (Some(source), Some(used)) = (&self.token, &sent.token) else {
            return Ok(sent);
        };
        if sent.status() != StatusCode::UNAUTHORIZED {
            // The gateway takes this login's tokens: a later refusal is of
            // one call (a vehicle), not of the login. A guidance page is
            // public: its answer says nothing of the token (stranger 84,
            // CG7: a page served marked a login the gateway refuses as
            // taken, and its refusal as one vehicle's, with `i`).
            if !call.path.starts_with(crate::wire::GUIDANCE_PREFIX) {
                source.taken(used);
            }
            return Ok(sent);
        }
        // A call refused for itself (a vehicle) even with a renewed token;
        // a token that lacks a scope (`insufficient_scope`), which a
        // renewal asks for no more than the last: said as the gateway's.
        let key = format!("{}?{:?}", call.path, call.query);
        if source.refuses_call(&key) || super::scope_wanted(sent.headers()).is_some() {
            return Ok(sent);
        }
        // A challenge that saw no token, through a proxy that reads the
        // request: the proxy may drop the header, and renewing would spend
        // a refresh token for nothing; said as the proxy's (stranger 73,
        // BV1).
        if self.dropped_by_proxy(sent.headers()) || self.not_the_gateway_s(sent.headers()) {
            return Ok(sent);
        }
        let oauth = self.oauth_http().map_err(GatewayError::Auth)?;
        match source.after_refusal(oauth, used).await {
            Ok(Some(fresh)) => {
                tracing::info!(
                    path = call.path,
                    "token refused; retrying once with a refreshed one"
                );
                let again = self.send_with(call, Some(fresh.clone())).await?;
                if again.status() != StatusCode::UNAUTHORIZED {
                    source.taken(&fresh);
                }
                // Refused again: a token just renewed for this gateway is
                // not what it takes (its audience or scopes), and asking
                // the same provider again cannot change that.
                if again.status() == StatusCode::UNAUTHORIZED {
                    let (again, said, unseen) = refusal_words(again).await;
                    source
                        .refused_fresh(&fresh, said, unseen)
                        .await
                        .map_err(GatewayError::Auth)?;
                    source.refused_call(key);
                    return Ok(again);
                }
                Ok(again)
            }
            Ok(None) => {
                let used = used.clone();
                let (sent, said, unseen) = refusal_words(sent).await;
                source
                    .refused_new(&used, said, unseen)
                    .await
                    .map_err(GatewayError::Auth)?;
                Ok(sent)
            }
            Err(e) => Err(GatewayError::Auth(e)),
        }
    }

    /// A 401 challenge that names no error nor words, to a plain request
    /// through a proxy: the token may not have reached the gateway.
    fn dropped_by_proxy(&self, headers: &reqwest::header::HeaderMap) -> bool {
        self.base.scheme() == "http"
            && self.proxy.is_some()
            && headers.contains_key(reqwest::header::WWW_AUTHENTICATE)
            && super::bearer_unseen(headers)
            && super::bearer_said(headers).is_none()
    }

    /// A 401 that is no gateway's (which names how it wants its token in
    /// a challenge): a web page with no challenge at all, or an answer a
    /// proxy's headers mark as its own. No renewal answers it, so none is
    /// spent; its words are the proxy's or the login's in front
    /// (stranger 80, CC1; stranger 77, BZ2).
    fn not_the_gateway_s(&self, headers: &reqwest::header::HeaderMap) -> bool {
        let marked = self.proxy.is_some()
            && crate::net::proxy_mark(StatusCode::UNAUTHORIZED, headers).is_some();
        let page = !headers.contains_key(reqwest::header::WWW_AUTHENTICATE)
            && headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
        marked || page
    }

    /// One request with one token.
    async fn send_with(
        &self,
        call: &Call<'_>,
        token: Option<Secret>,
    ) -> Result<Sent, GatewayError> {
        let url = self
            .base
            .join(call.path)
            .map_err(|e| GatewayError::BadPath {
                path: call.path.to_owned(),
                detail: e.to_string(),
            })?;
        let asked = url.clone();
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .query(call.query)
            .header(ACCEPT, call.accept)
            // stepwise reads no compressed answer: it asks for none.
            .header(ACCEPT_ENCODING, "identity")
            .header(DEVICE_HEADER, &self.device_id)
            .headers(call.headers.clone());
        if let Some(limit) = call.timeout {
            request = request.timeout(limit);
        }
        if let Some(token) = &token {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| GatewayError::BadToken)?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        match request.send().await {
            Ok(response) => {
                let moved = (response.url().path() != asked.path()).then(|| {
                    (
                        crate::net::shown_url(&asked),
                        crate::net::shown_url(response.url()),
                    )
                });
                Ok(Sent {
                    response,
                    token,
                    moved,
                })
            }
            Err(e) => Err(self.failure(&e, token.as_ref())),
        }
    }

    /// A transport failure as a typed error, the token cut out of its text.
    pub(crate) fn failure(&self, error: &reqwest::Error, token: Option<&Secret>) -> GatewayError {
        super::redact(self.transport_error(error), token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 401 whose challenge repeats the token sent: its words are not
    /// taken, and the token is never among them (stranger 73, BV7).
    #[tokio::test]
    async fn refusal_words_never_carry_the_token() {
        let token = "s3cret-t0ken-abcdef0123456789";
        let mut response = http::Response::new(Vec::new());
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        response.headers_mut().insert(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&format!(
                "Bearer error=\"invalid_token\", error_description=\"the token {token} expired\""
            ))
            .unwrap(),
        );
        let sent = Sent {
            response: reqwest::Response::from(response),
            token: Some(Secret::new(token)),
            moved: None,
        };
        let (_, said, unseen) = refusal_words(sent).await;
        assert!(
            said.as_deref().is_none_or(|s| !s.contains(token)),
            "{said:?}"
        );
        assert!(!unseen);
    }
}
