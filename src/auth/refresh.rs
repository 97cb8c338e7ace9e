//! The token a gateway client sends: a fixed one (a token file, the
//! environment, the config), or a kept login that is refreshed before it
//! expires and once when the gateway refuses it. No loop ever retries a
//! refused token: after `invalid_grant`, or a fresh token refused again, the
//! login is over until `stepwise login`.
//!
//! One refresh at a time: within a process, the login's state is locked
//! while its refresh is asked for; across processes, the lock file beside
//! the store is held from before the store is read again until the new
//! token is kept, so a refresh token is never presented twice. The state
//! lock is let go before the (possibly slow) keyring save.

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard};
use url::Url;

use super::device::{OAuthError, credential_from, post_form};
use super::lock::{PATIENCE, RefreshLock};
use super::{AuthError, Credential, FreshToken, Over, TokenStore, unix_now};
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
    /// The last token the gateway took in this run (outside the state's
    /// lock: every answer marks it, none waits on a renewal). Any: it takes
    /// this provider's tokens, so a renewed token it refuses is refused for
    /// that one call (a vehicle), and the login is not ended for all. This
    /// one, refused now: it has gone bad there (expired early), and is
    /// renewed again.
    last_taken: std::sync::Mutex<Option<Secret>>,
    /// Calls (a path and its query) refused even with a token just renewed
    /// while the gateway takes this login's tokens for others: refused for
    /// themselves (a vehicle), never renewed for again.
    refused_calls: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The scopes the sign-in asked for (renewals keep them).
    asked: Option<String>,
}

struct State {
    credential: Credential,
    /// Why the login cannot be used any more.
    over: Option<Over>,
    /// The access token a refresh after a 401 gave: if it is refused too,
    /// refreshing again would only loop.
    fresh_after_refusal: Option<String>,
    /// Token requests made, for tests and logs.
    token_requests: u32,
    /// The provider asked to wait (`Retry-After` on a renewal it could
    /// not make now): no renewal is asked before this moment, and its
    /// words are said again with the time left.
    renewal_wait: Option<(std::time::Instant, String)>,
    /// A renewal sent whose answer was lost, and when: for a while every
    /// other caller of this process meets the same failure, and the
    /// refresh token (which the provider may have spent) is not presented
    /// again by this process meanwhile (stranger 51, AZ4).
    renewal_lost: Option<(std::time::Instant, AuthError)>,
}

/// How long after a renewal whose answer was lost the calls waiting on it
/// meet the same failure instead of presenting the refresh token again.
const LOST_HOLD: std::time::Duration = std::time::Duration::from_secs(30);

tokio::task_local! {
    /// Set on the calls nobody asked for just now (a live follower, watch's
    /// own polls): after a renewal whose answer was lost they never present
    /// the refresh token again; only a call a person or a script makes does
    /// (the message's "retry once"; stranger 53, BB2).
    static UNATTENDED: ();
}

/// Whether a renewal lost `elapsed` ago still holds a call back from
/// presenting the refresh token again: a call nobody asked for just now
/// always; another within [`LOST_HOLD`] (it waited on that renewal).
fn lost_holds(elapsed: std::time::Duration, unattended: bool) -> bool {
    unattended || elapsed < LOST_HOLD
}

/// Runs `future` as calls nobody asked for just now (see `UNATTENDED`).
pub async fn unattended<F: std::future::Future>(future: F) -> F::Output {
    UNATTENDED.scope((), future).await
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
        let over = credential.over.clone().map(|said| {
            Over::kept(
                crate::steps::sanitize(&gateway),
                said,
                credential.renewal_lost,
            )
        });
        let asked = credential.scope.clone();
        TokenSource(Arc::new(Source::Login(Box::new(Login {
            gateway,
            store,
            asked,
            state: Mutex::new(State {
                credential,
                over,
                fresh_after_refusal: None,
                token_requests: 0,
                renewal_wait: None,
                renewal_lost: None,
            }),
            last_taken: std::sync::Mutex::new(None),
            refused_calls: std::sync::Mutex::default(),
        }))))
    }

    /// A token given by hand that is a JSON Web Token past its expiry:
    /// how many seconds ago it expired.
    pub fn fixed_expired_ago(&self) -> Option<u64> {
        let Source::Fixed(token) = &*self.0 else {
            return None;
        };
        let exp = super::jwt_expiry(token.expose())?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        now.checked_sub(u64::try_from(exp).ok()?)
            .filter(|&ago| ago > 0)
    }

    /// The kept login's credential as it is now (after any renewal);
    /// `None` for a token given by hand.
    pub async fn credential(&self) -> Option<Credential> {
        match &*self.0 {
            Source::Fixed(_) => None,
            Source::Login(login) => Some(login.state.lock().await.credential.clone()),
        }
    }

    /// A kept login's token past its expiry with nothing to renew it (the
    /// provider gave no refresh token): how many seconds ago it expired.
    /// `None` while its state is in use elsewhere.
    pub fn login_expired_ago(&self) -> Option<u64> {
        let Source::Login(login) = &*self.0 else {
            return None;
        };
        let state = login.state.try_lock().ok()?;
        let credential = &state.credential;
        if credential.can_refresh()
            || credential.over.is_some()
            || credential.token_endpoint.is_none()
        {
            return None;
        }
        let at = credential.expires_at?;
        unix_now().checked_sub(at).filter(|&ago| ago > 0)
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
        let state = login.state.lock().await;
        if let Some(why) = &state.over {
            return Err(AuthError::SignInAgain(why.clone()));
        }
        let now = unix_now();
        if !(state.credential.is_due(now) && state.credential.can_refresh()) {
            return Ok(Secret::new(state.credential.access_token.clone()));
        }
        let current = Secret::new(state.credential.access_token.clone());
        let still_valid = state.credential.seconds_left(now) > Some(0);
        match login.refresh(http, state, None).await {
            Ok(token) => Ok(token),
            Err(e) if e.needs_login() => Err(e),
            // A provider that cannot be reached now: the old token is
            // sent while it lasts, and the refresh is tried again later.
            Err(e) if still_valid => {
                tracing::warn!("token refresh failed, the current token still works: {e}");
                Ok(current)
            }
            Err(e) => Err(e),
        }
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
        let was_taken = login.last_taken.lock().is_ok_and(|last| {
            last.as_ref()
                .is_some_and(|t| t.expose() == refused.expose())
        });
        if state.fresh_after_refusal.as_deref() == Some(refused.expose()) && !was_taken {
            // Taken for other calls: this refusal is this call's, said as
            // the gateway's 401; no renewal again (it would loop).
            if login.taken() {
                return Ok(None);
            }
            let why = Over::RefusedFresh {
                said: None,
                token: FreshToken::Renewed,
            };
            state.over = Some(why.clone());
            return Err(AuthError::SignInAgain(why));
        }
        if !state.credential.can_refresh() {
            return Ok(None);
        }
        login.refresh(http, state, Some(refused)).await.map(Some)
    }

    /// `call` was refused even with a token just renewed, while the
    /// gateway takes this login's tokens: its refusals renew no more.
    pub fn refused_call(&self, call: String) {
        if let Source::Login(login) = &*self.0
            && let Ok(mut calls) = login.refused_calls.lock()
        {
            calls.insert(call);
        }
    }

    /// Whether this kept login asked for `scope` when it signed in (its
    /// renewals keep what it asked): signing in again asks for the same.
    pub fn asked_for(&self, scope: &str) -> bool {
        match &*self.0 {
            Source::Login(login) => login.asked.as_deref().is_some_and(|asked| {
                !scope.is_empty() && asked.split_whitespace().any(|s| s == scope)
            }),
            Source::Fixed(_) => false,
        }
    }

    /// The scopes this login asked for, if it is a sign-in's.
    pub fn asked_scopes(&self) -> Option<String> {
        match &*self.0 {
            Source::Login(login) => login.asked.clone(),
            Source::Fixed(_) => None,
        }
    }

    /// The scopes the last token of this login was granted, when this
    /// login asked for `scope` and that grant, a renewal's, leaves it out (a
    /// renewal that came back with fewer scopes: stranger 65, BN3). Not
    /// the sign-in's own grant: signing in again gets the same (stranger
    /// 68, BQ2).
    pub fn granted_without(&self, scope: &str) -> Option<String> {
        let Source::Login(login) = &*self.0 else {
            return None;
        };
        if !self.asked_for(scope) {
            return None;
        }
        let state = login.state.try_lock().ok()?;
        let granted = state
            .credential
            .granted
            .clone()
            .filter(|_| state.credential.renewed)?;
        (!granted.split_whitespace().any(|s| s == scope)).then_some(granted)
    }

    /// Whether `call` is refused for itself (see [`Self::refused_call`]).
    pub fn refuses_call(&self, call: &str) -> bool {
        match &*self.0 {
            Source::Login(login) => login
                .refused_calls
                .lock()
                .is_ok_and(|calls| calls.contains(call)),
            Source::Fixed(_) => false,
        }
    }

    /// The gateway took `token`, of this login (an answer other than 401).
    pub fn taken(&self, token: &Secret) {
        if let Source::Login(login) = &*self.0
            && let Ok(mut last) = login.last_taken.lock()
            && last.as_ref().is_none_or(|t| t.expose() != token.expose())
        {
            *last = Some(token.clone());
        }
    }

    /// The gateway refused `token` too, the one just refreshed after it
    /// refused the last: the login is over for this run, with the
    /// gateway's words (`said`). `Ok` when `token` came otherwise (another
    /// call's refresh): the caller says the 401 as it is.
    pub async fn refused_fresh(
        &self,
        token: &Secret,
        said: Option<String>,
        unseen: bool,
    ) -> Result<(), AuthError> {
        let Source::Login(login) = &*self.0 else {
            return Ok(());
        };
        let mut state = login.state.lock().await;
        if state.fresh_after_refusal.as_deref() != Some(token.expose()) || login.taken() {
            return Ok(());
        }
        Err(refused_fresh_over(
            &mut state,
            said,
            unseen,
            FreshToken::Renewed,
        ))
    }

    /// The gateway refused `token`, one that cannot be renewed and that a
    /// sign-in issued minutes ago (by its own lifetime), before it took any
    /// token of this login: as a token just renewed, it takes none of this
    /// provider's tokens as they are asked for (`said`, its words), and a
    /// new sign-in the same way gets the same. `Ok` otherwise: the caller
    /// says the 401 as it is.
    pub async fn refused_new(
        &self,
        token: &Secret,
        said: Option<String>,
        unseen: bool,
    ) -> Result<(), AuthError> {
        let Source::Login(login) = &*self.0 else {
            return Ok(());
        };
        let mut state = login.state.lock().await;
        let credential = &state.credential;
        let issued = credential
            .expires_at
            .zip(credential.lifetime)
            .map(|(end, life)| end.saturating_sub(life));
        let new = issued.is_some_and(|at| unix_now().saturating_sub(at) <= NEW_TOKEN_AGE);
        // Past its own lifetime, it was refused for that: a new sign-in
        // gets a token the gateway takes (stranger 52, BA9).
        let expired = credential.seconds_left(unix_now()) == Some(0);
        if credential.access_token != token.expose()
            || credential.can_refresh()
            || !new
            || expired
            || login.taken()
        {
            return Ok(());
        }
        Err(refused_fresh_over(
            &mut state,
            said,
            unseen,
            FreshToken::SignedIn,
        ))
    }
}

/// The login is over for this run: the gateway takes none of this
/// provider's tokens (`token`, or one it never saw when `unseen`).
fn refused_fresh_over(
    state: &mut State,
    said: Option<String>,
    unseen: bool,
    token: FreshToken,
) -> AuthError {
    let token = if unseen { FreshToken::NotSeen } else { token };
    let why = Over::RefusedFresh { said, token };
    tracing::warn!("{why}");
    state.over = Some(why.clone());
    AuthError::SignInAgain(why)
}

/// How old a token that cannot be renewed may be and still count as new
/// when the gateway refuses it (a revoked login is rarely minutes old).
const NEW_TOKEN_AGE: u64 = 600;

impl Login {
    /// The gateway has taken a token of this login in this run.
    fn taken(&self) -> bool {
        self.last_taken.lock().is_ok_and(|last| last.is_some())
    }

    /// The login kept in the store now (another process may have refreshed
    /// it, or found it over). Off the async runtime: a keyring may be slow.
    async fn kept(&self) -> Option<Credential> {
        let store = self.store.clone()?;
        let gateway = self.gateway.clone();
        tokio::task::spawn_blocking(move || store.load(&gateway))
            .await
            .ok()?
            .ok()?
            .map(|(credential, _)| credential)
    }

    /// Keeps `credential` in the store, off the async runtime.
    async fn keep(&self, credential: Credential) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let gateway = self.gateway.clone();
        match tokio::task::spawn_blocking(move || store.save(&gateway, &credential)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("the refreshed token could not be kept: {e}"),
            Err(e) => tracing::warn!("the refreshed token could not be kept: {e}"),
        }
    }

    /// A renewal's 200 that cannot be used may still carry the provider's
    /// rotated refresh token: it is kept (the spent one presented again
    /// would end the whole login), the access token due now.
    async fn keep_rotated(&self, mut state: MutexGuard<'_, State>, body: &[u8]) {
        let Some(fresh) = super::device::refresh_token_in(body) else {
            return;
        };
        state.credential.refresh_token = Some(fresh);
        state.credential.expires_at = Some(unix_now());
        let kept = state.credential.clone();
        drop(state);
        self.keep(kept).await;
    }

    /// A renewal the provider refused (`reply`): the login ends when no
    /// retry changes it (in the store too), else the wait it asked holds
    /// every renewal of this process.
    async fn refused_renewal(
        &self,
        mut state: MutexGuard<'_, State>,
        lock: Option<RefreshLock>,
        reply: &super::device::Reply,
        refresh_token: &str,
        client_id: &str,
    ) -> AuthError {
        let error = OAuthError::of(&reply.body);
        // Every secret of the login the provider may quote: the refresh
        // token sent, and the access token it renews (stranger 86, CI1).
        let access = state.credential.access_token.clone();
        let said = error.said(reply.status, &[refresh_token, &access]);
        let gateway = crate::steps::sanitize(&self.gateway);
        if let Some(why) = renewal_over(
            reply.status,
            error.error.as_deref(),
            gateway,
            client_id,
            &said,
        ) {
            let why = match why {
                Over::Revoked { gateway, said } if state.credential.renewal_lost => {
                    Over::Spent { gateway, said }
                }
                why => why,
            };
            state.over = Some(why.clone());
            state.credential.over = Some(said);
            let marked = state.credential.clone();
            drop(state);
            tracing::warn!("{why}");
            // Every process, and `auth status`, learns the login is over.
            self.keep(marked).await;
            drop(lock);
            return AuthError::SignInAgain(why);
        }
        // For a while: the wait the provider asked, if it did (up to
        // an hour, as for a gateway's 429).
        let asked = reply.retry_after.map(|w| w.min(crate::pace::MAX_PAUSE));
        state.renewal_wait = asked
            .filter(|w| !w.is_zero())
            .map(|w| (std::time::Instant::now() + w, said.clone()));
        let wait = asked.map(|w| w.as_secs().max(1));
        AuthError::Provider(super::ProviderProblem::RefreshFailed { said, wait })
    }

    /// Refreshes the login (RFC 6749 §6) and returns the token to send;
    /// `invalid_grant` ends it, in the store too. `refused`: the token the
    /// gateway just refused, when this refresh answers a 401. The state
    /// lock is held through the request and let go before the save; the
    /// lock file is held throughout.
    async fn refresh(
        &self,
        http: &reqwest::Client,
        mut state: MutexGuard<'_, State>,
        refused: Option<&Secret>,
    ) -> Result<Secret, AuthError> {
        let lock = match self.store.as_ref().and_then(TokenStore::lock_dir) {
            Some(dir) => tokio::task::spawn_blocking(move || RefreshLock::take(&dir, PATIENCE))
                .await
                .ok()
                .flatten(),
            None => None,
        };
        // Another process may have refreshed (or ended) the login meanwhile.
        if let Some(kept) = self.kept().await
            && kept.refresh_token != state.credential.refresh_token
        {
            // Another process renewed since this one last asked: the
            // provider answered it, so a wait it asked of this process
            // before is over (stranger 49, AX2).
            state.renewal_wait = None;
            if let Some(said) = kept.over.clone() {
                let gateway = crate::steps::sanitize(&self.gateway);
                let why = Over::kept(gateway, said, kept.renewal_lost);
                state.over = Some(why.clone());
                return Err(AuthError::SignInAgain(why));
            }
            let fresh_enough = match refused {
                Some(refused) => kept.access_token != refused.expose(),
                None => !kept.is_due(unix_now()),
            };
            if fresh_enough && kept.is_usable() {
                tracing::info!("another stepwise refreshed the login; using its token");
                state.credential = kept;
                return Ok(Secret::new(state.credential.access_token.clone()));
            }
            state.credential = kept;
        }
        let (Some(refresh_token), Some(endpoint)) = (
            state.credential.refresh_token.clone(),
            state.credential.token_endpoint.clone(),
        ) else {
            return Ok(Secret::new(state.credential.access_token.clone()));
        };
        let url =
            Url::parse(&endpoint).map_err(|_| AuthError::SignInAgain(Over::NoTokenAddress))?;
        if let Some(waiting) = still_waiting(&state) {
            return Err(waiting);
        }
        if let Some((at, lost)) = &state.renewal_lost
            && lost_holds(at.elapsed(), UNATTENDED.try_with(|()| ()).is_ok())
        {
            return Err(lost.clone());
        }
        state.token_requests += 1;
        let client_id = state.credential.client_id().to_owned();
        let mut form = vec![
            ("grant_type", crate::wire::oauth::REFRESH_GRANT),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", client_id.as_str()),
        ];
        let audience = state.credential.audience.clone();
        if let Some(audience) = audience.as_deref() {
            form.push(("resource", audience));
        }
        let reply = match post_form(http, &url, &form).await {
            Ok(reply) => reply,
            Err(e) if answer_lost(&e) => {
                // Said as what it may have done: spent the refresh token.
                let lost = AuthError::Provider(super::ProviderProblem::RenewalLost {
                    url: super::device::without_query(&url),
                    why: Box::new(e),
                });
                state.renewal_lost = Some((std::time::Instant::now(), lost.clone()));
                if !state.credential.renewal_lost {
                    state.credential.renewal_lost = true;
                    let kept = state.credential.clone();
                    drop(state);
                    self.keep(kept).await;
                }
                return Err(lost);
            }
            Err(e) => return Err(e),
        };
        if !reply.status.is_success() {
            return Err(self
                .refused_renewal(state, lock, &reply, &refresh_token, &client_id)
                .await);
        }
        let mut credential = match credential_from(&reply.body, &url, Some(&refresh_token)) {
            Ok(credential) => credential,
            Err(e) => {
                self.keep_rotated(state, &reply.body).await;
                drop(lock);
                return Err(e);
            }
        };
        credential.keep_asked(&state.credential);
        credential.renewed = true;
        tracing::info!(
            expires_in = ?credential.lifetime,
            "token refreshed for {}",
            self.gateway
        );
        let token = Secret::new(credential.access_token.clone());
        state.credential = credential.clone();
        state.renewal_wait = None;
        state.renewal_lost = None;
        if refused.is_some() {
            state.fresh_after_refusal = Some(credential.access_token.clone());
        }
        drop(state);
        self.keep(credential).await;
        drop(lock);
        Ok(token)
    }
}

/// The provider asked to wait: every renewal of this process waits with it
/// (as a 429 pauses the gateway's requests), said again with the time
/// left, never asked within it.
fn still_waiting(state: &State) -> Option<AuthError> {
    let (until, said) = state.renewal_wait.as_ref()?;
    let left = until.saturating_duration_since(std::time::Instant::now());
    (!left.is_zero()).then(|| {
        AuthError::Provider(super::ProviderProblem::RefreshFailed {
            said: said.clone(),
            wait: Some(left.as_secs().max(1)),
        })
    })
}

/// Whether a refused renewal ends the login, and why: the provider's
/// OAuth error says so (RFC 6749 §5.2), where asking again cannot change
/// the answer. Its 5xx and 429, `temporarily_unavailable`, `server_error`
/// and `slow_down`, and an answer without an OAuth error (a web page) are
/// for a while: `None`.
/// A renewal sent whose answer did not come: the connection closed or
/// stayed silent after the request, so the provider may have renewed.
fn answer_lost(e: &AuthError) -> bool {
    match e {
        AuthError::Proxy { trouble, .. } => {
            matches!(
                trouble,
                super::ProxyTrouble::Closed | super::ProxyTrouble::Silent
            )
        }
        AuthError::Network {
            detail, tls: None, ..
        } => detail == super::device::NO_ANSWER || detail.contains("connection closed"),
        _ => false,
    }
}

fn renewal_over(
    status: reqwest::StatusCode,
    error: Option<&str>,
    gateway: String,
    client_id: &str,
    said: &str,
) -> Option<Over> {
    let said = said.to_owned();
    let client_id = client_id.to_owned();
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    // No OAuth error: a 400 refuses the request as it is, and asking
    // again gets the same. (A 404 or 410 without one never comes here:
    // the answer's reading says it as no endpoint there, `NoEndpoint`.)
    let Some(error) = error else {
        return (status == reqwest::StatusCode::BAD_REQUEST)
            .then_some(Over::RenewalRefused { gateway, said });
    };
    Some(match error {
        "temporarily_unavailable" | "server_error" | "slow_down" => return None,
        "invalid_grant" => Over::Revoked { gateway, said },
        "invalid_client" => Over::ClientRefused {
            gateway,
            client_id,
            said,
        },
        "unauthorized_client" | "unsupported_grant_type" => Over::NoRenewal {
            gateway,
            client_id,
            said,
        },
        _ => Over::RenewalRefused { gateway, said },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a renewal whose answer was lost, the calls nobody asked for
    /// (a follower, watch's polls) never present the refresh token again;
    /// a call a person or a script makes does once the calls that waited
    /// on that renewal are past (stranger 51, AZ4; stranger 53, BB2).
    #[test]
    fn a_lost_renewal_holds_unattended_calls_for_good() {
        let after = |secs| std::time::Duration::from_secs(secs);
        assert!(lost_holds(after(1), false));
        assert!(!lost_holds(LOST_HOLD + after(1), false));
        assert!(lost_holds(LOST_HOLD + after(1), true));
        assert!(lost_holds(after(3600), true));
    }

    /// A sign-in's token past its expiry with no refresh token: how long
    /// ago (the 401's words say so; stranger 68, BQ13). A renewable login,
    /// or one kept by hand, is no such token.
    #[test]
    fn a_sign_in_token_run_out_without_refresh_token_is_said() {
        let mut credential = Credential::given("t");
        credential.expires_at = Some(unix_now() - 300);
        credential.token_endpoint = Some("http://idp.example/token".into());
        let ago = TokenSource::login("http://gw/".into(), credential.clone(), None)
            .login_expired_ago()
            .expect("expired");
        assert!((300..400).contains(&ago), "{ago}");
        let mut renewable = credential.clone();
        renewable.refresh_token = Some("r".into());
        let source = TokenSource::login("http://gw/".into(), renewable, None);
        assert_eq!(source.login_expired_ago(), None);
        let mut by_hand = credential;
        by_hand.token_endpoint = None;
        let source = TokenSource::login("http://gw/".into(), by_hand, None);
        assert_eq!(source.login_expired_ago(), None);
    }
}
