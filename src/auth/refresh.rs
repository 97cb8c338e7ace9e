//! The token a gateway client sends: a fixed one (a token file, the
//! environment, the config), or a kept login that is refreshed before it
//! expires and once when the gateway refuses it. No loop ever retries a
//! refused token: after `invalid_grant`, or a fresh token refused again, the
//! login is over until `stepwise login`.

use std::sync::Arc;

use tokio::sync::Mutex;
use url::Url;

use super::device::{OAuthError, credential_from, post_form};
use super::{AuthError, CLIENT_ID, Credential, TokenStore, unix_now};
use crate::secret::Secret;

/// Where a gateway client's bearer token comes from. Cheap to clone: clones
/// share one login, so one refresh serves them all.
#[derive(Clone)]
pub struct TokenSource(Arc<Source>);

enum Source {
    Fixed(Secret),
    Login(Box<Login>),
}

struct Login {
    /// The gateway the login belongs to (the store's key).
    gateway: String,
    /// Where refreshed tokens are written back, when known.
    store: Option<TokenStore>,
    state: Mutex<State>,
}

struct State {
    credential: Credential,
    /// Why the login cannot be used any more.
    over: Option<super::Over>,
    /// The access token a refresh after a 401 gave: if it is refused too,
    /// refreshing again would only loop.
    fresh_after_refusal: Option<String>,
    /// Token requests made, for tests and logs.
    token_requests: u32,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Source::Fixed(_) => f.write_str("TokenSource::Fixed(<redacted>)"),
            Source::Login(login) => write!(f, "TokenSource::Login({})", login.gateway),
        }
    }
}

impl TokenSource {
    /// A token that never changes.
    pub fn fixed(token: Secret) -> Self {
        TokenSource(Arc::new(Source::Fixed(token)))
    }

    /// A kept login for `gateway`; refreshed tokens are saved to `store`.
    pub fn login(gateway: String, credential: Credential, store: Option<TokenStore>) -> Self {
        TokenSource(Arc::new(Source::Login(Box::new(Login {
            gateway,
            store,
            state: Mutex::new(State {
                credential,
                over: None,
                fresh_after_refusal: None,
                token_requests: 0,
            }),
        }))))
    }

    /// How many token requests (refreshes) this source has made.
    pub async fn token_requests(&self) -> u32 {
        match &*self.0 {
            Source::Fixed(_) => 0,
            Source::Login(login) => login.state.lock().await.token_requests,
        }
    }

    /// The token to send now; a login due for refresh is refreshed first.
    pub async fn bearer(&self, http: &reqwest::Client) -> Result<Secret, AuthError> {
        let login = match &*self.0 {
            Source::Fixed(token) => return Ok(token.clone()),
            Source::Login(login) => login,
        };
        let mut state = login.state.lock().await;
        if let Some(why) = &state.over {
            return Err(AuthError::SignInAgain(why.clone()));
        }
        let now = unix_now();
        if state.credential.is_due(now) && state.credential.can_refresh() {
            match login.refresh(http, &mut state).await {
                Ok(()) => {}
                Err(e) if e.needs_login() => return Err(e),
                // A provider that cannot be reached now: the old token is
                // sent while it lasts, and the refresh is tried again later.
                Err(e) if state.credential.seconds_left(now) > Some(0) => {
                    tracing::warn!("token refresh failed, the current token still works: {e}");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Secret::new(state.credential.access_token.clone()))
    }

    /// The gateway refused `refused` (401): a new token to retry with once,
    /// or `None` when there is no way to get one.
    pub async fn after_refusal(
        &self,
        http: &reqwest::Client,
        refused: &Secret,
    ) -> Result<Option<Secret>, AuthError> {
        let login = match &*self.0 {
            Source::Fixed(_) => return Ok(None),
            Source::Login(login) => login,
        };
        let mut state = login.state.lock().await;
        if let Some(why) = &state.over {
            return Err(AuthError::SignInAgain(why.clone()));
        }
        if state.credential.access_token != refused.expose() {
            // Another call refreshed it meanwhile.
            return Ok(Some(Secret::new(state.credential.access_token.clone())));
        }
        if state.fresh_after_refusal.as_deref() == Some(refused.expose()) {
            let why = super::Over::RefusedFresh;
            state.over = Some(why.clone());
            return Err(AuthError::SignInAgain(why));
        }
        if !state.credential.can_refresh() {
            return Ok(None);
        }
        login.refresh(http, &mut state).await?;
        state.fresh_after_refusal = Some(state.credential.access_token.clone());
        Ok(Some(Secret::new(state.credential.access_token.clone())))
    }
}

impl Login {
    /// The login now kept in the store, when it holds another refresh token
    /// than `spent`.
    async fn kept_successor(&self, spent: &str) -> Option<Credential> {
        let store = self.store.clone()?;
        let gateway = self.gateway.clone();
        let kept = tokio::task::spawn_blocking(move || store.load(&gateway))
            .await
            .ok()?
            .ok()??
            .0;
        (kept.refresh_token.as_deref().is_some_and(|r| r != spent)).then_some(kept)
    }

    /// One refresh request (RFC 6749 §6); `invalid_grant` ends the login.
    async fn refresh(&self, http: &reqwest::Client, state: &mut State) -> Result<(), AuthError> {
        let (Some(refresh_token), Some(endpoint)) = (
            state.credential.refresh_token.clone(),
            state.credential.token_endpoint.clone(),
        ) else {
            return Ok(());
        };
        let url = Url::parse(&endpoint)
            .map_err(|_| AuthError::SignInAgain(super::Over::NoTokenAddress))?;
        state.token_requests += 1;
        let form = [
            ("grant_type", crate::wire::oauth::REFRESH_GRANT),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", CLIENT_ID),
        ];
        let reply = post_form(http, &url, &form).await?;
        if !reply.status.is_success() {
            let error = OAuthError::of(&reply.body);
            if error.error.as_deref() == Some("invalid_grant")
                || error.error.as_deref() == Some("invalid_client")
            {
                // Another stepwise (the wizard and a script side by side)
                // may have used this single-use refresh token and kept its
                // successor: take that rather than end the login.
                if let Some(kept) = self.kept_successor(&refresh_token).await {
                    tracing::info!("another stepwise refreshed the login; using its token");
                    state.credential = kept;
                    return Ok(());
                }
                let why = super::Over::Revoked {
                    gateway: crate::steps::sanitize(&self.gateway),
                    said: error.said(reply.status, &[&refresh_token]),
                };
                state.over = Some(why.clone());
                tracing::warn!("{why}");
                return Err(AuthError::SignInAgain(why));
            }
            return Err(AuthError::Provider(super::ProviderProblem::RefreshFailed {
                said: error.said(reply.status, &[&refresh_token]),
            }));
        }
        let credential = credential_from(&reply.body, &url, Some(&refresh_token))?;
        tracing::info!(
            expires_in = ?credential.lifetime,
            "token refreshed for {}",
            self.gateway
        );
        state.credential = credential.clone();
        if let Some(store) = self.store.clone() {
            let gateway = self.gateway.clone();
            let saved =
                tokio::task::spawn_blocking(move || store.save(&gateway, &credential)).await;
            match saved {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!("the refreshed token could not be kept: {e}"),
                Err(e) => tracing::warn!("the refreshed token could not be kept: {e}"),
            }
        }
        Ok(())
    }
}
