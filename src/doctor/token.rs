//! The token: where it comes from, whether the gateway took it, and when a
//! JSON Web Token ends.

use std::time::SystemTime;

use super::{Arg, Mark, Report};
use crate::config::{Secret, Settings};

/// The kept login as doctor found it: its token (refreshed when due), or
/// the provider's words when the provider ended it; and, when the gateway
/// refused its token, what renewing it once (as every command does) gave.
pub(super) struct KeptLogin {
    pub token: Option<Secret>,
    pub over: Option<String>,
    /// The source the token came from: its renewals go on from it.
    source: Option<crate::auth::TokenSource>,
    /// The gateway refused the kept token, and took the one renewed.
    pub renewed: bool,
    /// The gateway refused the kept token, and renewing it failed: why.
    pub renewal: Option<crate::auth::AuthError>,
    /// The kept token was due, and renewing it before any call failed: why.
    pub due: Option<crate::auth::AuthError>,
}

impl KeptLogin {
    fn ended(over: Option<String>) -> Self {
        KeptLogin {
            token: None,
            over,
            source: None,
            renewed: false,
            renewal: None,
            due: None,
        }
    }
}

/// A client for `base` with the settings' network options: its HTTP client
/// is what a renewal goes through.
fn client_for(settings: &Settings, base: &str) -> Option<crate::client::Gateway> {
    let options = crate::client::ClientOptions {
        net: settings.net.clone(),
        ..crate::client::ClientOptions::default()
    };
    crate::client::Gateway::new(base, settings.device_id.clone(), None, options).ok()
}

/// Whether the gateway at `base` answers a list call made without any
/// token (a list, or its own "no such vehicle"): asked once, within a few
/// seconds, for an id no vehicle has.
pub(super) async fn answered_without(settings: &Settings, base: &str) -> bool {
    let device = settings.device_id.clone();
    match crate::client::Gateway::for_trial(base, device, None, settings.net.clone()) {
        Ok(client) => client.try_token().await == crate::client::Trial::Taken,
        Err(_) => false,
    }
}

/// The kept login's token, refreshed first when due (as a command would).
pub(super) async fn kept_login(
    login: &crate::auth::KeptLogin,
    settings: &Settings,
    base: &str,
) -> KeptLogin {
    if let Some(said) = &login.credential.over {
        return KeptLogin::ended(Some(said.clone()));
    }
    let Some(client) = client_for(settings, base) else {
        return KeptLogin::ended(None);
    };
    let source = login.source();
    match source.bearer(client.http()).await {
        Ok(token) => KeptLogin {
            token: Some(token),
            over: None,
            source: Some(source),
            renewed: false,
            renewal: None,
            due: None,
        },
        Err(crate::auth::AuthError::SignInAgain(why)) => KeptLogin::ended(Some(why.to_string())),
        // Due, and its renewal failed (a proxy, a provider for a while):
        // that, never "none given".
        Err(e) => KeptLogin {
            due: Some(e),
            ..KeptLogin::ended(None)
        },
    }
}

/// The gateway refused the kept login's token (401): renewed once, as every
/// command renews it. The new token when one came (the checks are then run
/// again with it); else why not, kept for the token line.
pub(super) async fn renew_after_refusal(
    kept: &mut KeptLogin,
    settings: &Settings,
    base: &str,
) -> Option<Secret> {
    let (Some(source), Some(used)) = (&kept.source, &kept.token) else {
        return None;
    };
    let client = client_for(settings, base)?;
    match source.after_refusal(client.http(), used).await {
        Ok(Some(fresh)) => {
            kept.token = Some(fresh.clone());
            kept.renewed = true;
            Some(fresh)
        }
        Ok(None) => None,
        Err(e) => {
            kept.renewal = Some(e);
            None
        }
    }
}

/// A token given by hand refused beside a kept login: whether the gateway
/// takes that login (tried once), so the fix can say whether leaving the
/// token out would do, as `steps` says.
pub(super) async fn login_beside(
    settings: &Settings,
    base: &str,
    judged: &super::contract::Judged,
) -> Option<bool> {
    if judged.unauthorized != Some(true) || settings.token_from.is_none_or(|from| from.is_login()) {
        return None;
    }
    let api = settings.api.clone()?;
    let gateway = client_for(settings, base)?;
    crate::commands::kept_login_taken(&gateway, api, settings.data_dir.clone()).await
}

/// A token sent whose taking says nothing: every answer a failure (5xx:
/// no 401, but nothing took it either), or a gateway that answers without
/// any token too (it checks none). Its line, when so.
fn unjudged(report: &mut Report, source: &Arg, judged: &super::contract::Judged) -> bool {
    if judged.failing && judged.unauthorized != Some(true) {
        report.set(
            "token",
            Mark::Skipped,
            words!("doctor-token-failing", source = source.clone()),
        );
        return true;
    }
    if judged.needs_none {
        report.set(
            "token",
            Mark::Ok,
            words!("doctor-token-unchecked", source = source.clone()),
        );
        return true;
    }
    false
}

/// The fix for a refused token given by hand: the login kept beside it
/// when the gateway takes that, else said refused too.
fn beside_fix(settings: &Settings, login_beside: Option<bool>) -> super::Words {
    use crate::config::TokenFrom;
    match (login_beside, settings.token_from) {
        (Some(true), Some(TokenFrom::TokenFile)) => words!("doctor-token-fix-beside-file"),
        (Some(true), _) => words!("doctor-token-fix-beside-environment"),
        (Some(false), _) => words!("doctor-token-fix-beside-refused"),
        (None, _) => words!("doctor-token-fix-refused"),
    }
}

/// The token line: `unauthorized` is `None` when the gateway was not
/// reached, else whether it answered 401.
pub(super) fn check(
    report: &mut Report,
    settings: &Settings,
    login: Option<&KeptLogin>,
    source: &Arg,
    embedded: bool,
    judged: &super::contract::Judged,
) {
    // `None`: the gateway was not reached; else whether it answered 401.
    let unauthorized = judged.unauthorized;
    if over_line(report, login) || renewal_line(report, login, source, unauthorized) {
        return;
    }
    let token = settings
        .token
        .as_ref()
        .or_else(|| login.and_then(|l| l.token.as_ref()));
    let Some(token) = token else {
        no_token(report, settings, embedded, unauthorized, judged);
        return;
    };
    if embedded {
        report.set(
            "token",
            Mark::Ok,
            words!("doctor-token-embedded-given", source = source.clone()),
        );
        return;
    }
    if lacks_scope(report, settings, source, judged) {
        return;
    }
    if unjudged(report, source, judged) || dropped(report, source, judged, unauthorized) {
        return;
    }
    let expiry = jwt_expiry(token);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let ago = |exp: i64| {
        let secs = u64::try_from(now - exp).unwrap_or(0);
        Arg::each(move |lang| crate::text::duration(lang, secs))
    };
    match (unauthorized.unwrap_or(false), expiry) {
        // The gateway's own answer took it: its expiry is a warning only
        // (a gateway of fixed tokens may not read it).
        (false, Some(exp)) if exp <= now && unauthorized.is_some() => report.set_with(
            "token",
            Mark::Warning,
            words!(
                "doctor-token-expired-taken",
                source = source.clone(),
                ago = ago(exp)
            ),
            Some(words!("doctor-token-fix-new-soon")),
        ),
        (_, Some(exp)) if exp <= now => report.set_with(
            "token",
            Mark::Failed,
            words!(
                "doctor-token-expired",
                source = source.clone(),
                ago = ago(exp)
            ),
            Some(words!("doctor-token-fix-new")),
        ),
        (true, _) => report.set_with(
            "token",
            Mark::Failed,
            refused_words(source, judged),
            Some(match login {
                // A token kept with `login --with-token`: no sign-in
                // renews it, the gateway's current token does.
                Some(_) if kept_by_hand(settings) => words!("doctor-token-fix-kept-fixed"),
                Some(_) => words!("doctor-token-fix-login"),
                None => beside_fix(settings, judged.login_beside),
            }),
        ),
        (false, Some(exp)) => report.set(
            "token",
            Mark::Ok,
            words!(
                "doctor-token-expires",
                source = source.clone(),
                within = {
                    let secs = u64::try_from(exp - now).unwrap_or(0);
                    Arg::each(|lang| crate::text::duration(lang, secs))
                }
            ),
        ),
        (false, None) if unauthorized.is_none() && judged.limited => report.set(
            "token",
            Mark::Skipped,
            words!("doctor-token-limited", source = source.clone()),
        ),
        // Something answered, though nothing stepwise could use: the
        // gateway was reached (stop 46, left).
        (false, None) if unauthorized.is_none() && judged.unusable => report.set(
            "token",
            Mark::Skipped,
            words!("doctor-token-not-tried-unusable", source = source.clone()),
        ),
        (false, None) if unauthorized.is_none() => report.set(
            "token",
            Mark::Skipped,
            words!("doctor-token-not-tried", source = source.clone()),
        ),
        (false, None) => report.set(
            "token",
            Mark::Ok,
            words!("doctor-token-took", source = source.clone()),
        ),
    }
}

/// The token line of a kept login the provider ended. Returns whether it
/// was the case.
fn over_line(report: &mut Report, login: Option<&KeptLogin>) -> bool {
    let Some(said) = login.and_then(|l| l.over.as_ref()) else {
        return false;
    };
    // A client id the provider refuses is refused to a new login too.
    let fix = if said.starts_with("invalid_client") {
        words!("doctor-token-fix-client-id")
    } else {
        words!("doctor-token-fix-login")
    };
    report.set_with(
        "token",
        Mark::Failed,
        words!(
            "doctor-token-login-over",
            said = crate::steps::sanitize(said)
        ),
        Some(fix),
    );
    true
}

/// The token line after the gateway refused the kept login's token and
/// doctor renewed it, as every command does: the renewed one taken, or why
/// renewing failed (its words carry the fix: a client id, an audience, a
/// proxy, a wait). Returns whether it was the case.
fn renewal_line(
    report: &mut Report,
    login: Option<&KeptLogin>,
    source: &Arg,
    unauthorized: Option<bool>,
) -> bool {
    let Some(login) = login else {
        return false;
    };
    let why = |e: &crate::auth::AuthError| {
        let e = e.clone();
        Arg::each(move |lang| crate::describe::auth_error(lang, &e))
    };
    // Due before any call, or refused by the gateway: renewing it failed.
    let failed = match (&login.due, &login.renewal) {
        (Some(e), _) => Some(words!(
            "doctor-token-due-renewal-failed",
            source = source.clone(),
            why = why(e)
        )),
        (None, Some(e)) => Some(words!(
            "doctor-token-renewal-failed",
            source = source.clone(),
            why = why(e)
        )),
        (None, None) => None,
    };
    if let Some(failed) = failed {
        report.set("token", Mark::Failed, failed);
        return true;
    }
    if login.renewed && unauthorized == Some(false) {
        report.set(
            "token",
            Mark::Ok,
            words!("doctor-token-renewed", source = source.clone()),
        );
        return true;
    }
    false
}

/// The token line when the gateway took the token but wants a scope it
/// lacks (its own Bearer challenge says so, whatever the token's expiry).
/// Returns whether that was the case.
fn lacks_scope(
    report: &mut Report,
    settings: &Settings,
    source: &Arg,
    judged: &super::contract::Judged,
) -> bool {
    let Some((status, scope)) = judged.challenge.scope.clone() else {
        return false;
    };
    // A kept login that asked for this scope: signing in again asks the same.
    let asked = settings.token_from == Some(crate::config::TokenFrom::Login)
        && settings
            .login
            .as_ref()
            .is_some_and(|kept| kept.source().asked_for(&scope));
    let kept = settings
        .login
        .as_ref()
        .filter(|_| settings.token_from == Some(crate::config::TokenFrom::Login))
        .and_then(|kept| kept.source().asked_scopes());
    let wanted = crate::client::GatewayError::ScopeWanted {
        status,
        ask: crate::client::scopes_to_ask(kept.as_deref(), &scope),
        scope,
        sent: settings.token_from,
        token_sent: settings.token_from.is_some(),
        asked,
        dropped: None,
    };
    scope_line(
        report,
        source,
        status,
        Arg::each(move |lang| crate::describe::gateway_error(lang, &wanted)),
    );
    true
}

/// The token line: the gateway took the token from `source` but wants a
/// scope it lacks (HTTP `status`), with `fix`.
pub(super) fn scope_line(report: &mut Report, source: &Arg, status: u16, fix: Arg) {
    report.set_with(
        "token",
        Mark::Failed,
        words!(
            "doctor-token-scope",
            source = source.clone(),
            status = u64::from(status)
        ),
        Some(fix),
    );
}

/// A 401 that saw no token, sent through a proxy that reads the request:
/// the proxy's doing, not the token's (stranger 72, BU3). Said, `true`.
fn dropped(
    report: &mut Report,
    source: &Arg,
    judged: &super::contract::Judged,
    unauthorized: Option<bool>,
) -> bool {
    let proxy = judged
        .proxy_plain
        .clone()
        .filter(|_| unauthorized == Some(true))
        .filter(|_| judged.challenge.unseen && judged.challenge.said.is_none());
    let Some(proxy) = proxy else {
        return false;
    };
    report.set_with(
        "token",
        Mark::Failed,
        words!(
            "doctor-token-dropped",
            source = source.clone(),
            proxy = proxy
        ),
        Some(words!("doctor-token-fix-dropped")),
    );
    true
}

/// The kept login is a token given by hand (`login --with-token`).
fn kept_by_hand(settings: &Settings) -> bool {
    settings
        .login
        .as_ref()
        .is_some_and(|l| l.credential.token_endpoint.is_none())
}

/// A refused token's words, with the gateway's own when it gave them.
fn refused_words(source: &Arg, judged: &super::contract::Judged) -> super::Words {
    match judged.challenge.said.clone() {
        Some(said) => words!(
            "doctor-token-refused-said",
            source = source.clone(),
            said = said
        ),
        None => words!("doctor-token-refused", source = source.clone()),
    }
}

/// The `exp` claim of a JSON Web Token, when the token is one.
fn jwt_expiry(token: &Secret) -> Option<i64> {
    crate::auth::jwt_expiry(token.expose())
}

/// The token line when no token goes out.
fn no_token(
    report: &mut Report,
    settings: &Settings,
    embedded: bool,
    unauthorized: Option<bool>,
    judged: &super::contract::Judged,
) {
    let (limited, failing) = (judged.limited, judged.failing);
    if let Some(trouble) = settings.login_trouble.clone().filter(|_| !embedded) {
        // A damaged login file is why none goes out: said, not "none given";
        // a failure only where the gateway may want one.
        let lost = trouble.login_lost();
        let why = Arg::each(move |lang| trouble.words(lang));
        if unauthorized == Some(false) {
            report.set(
                "token",
                Mark::Warning,
                words!("doctor-token-login-unreadable-unneeded", why = why),
            );
        } else if lost {
            // Every login went with the damaged file: a new sign-in
            // follows the move (stranger 79, CB5).
            report.set_with(
                "token",
                Mark::Failed,
                words!("doctor-token-login-unreadable", why = why),
                Some(words!("doctor-token-fix-login-damaged")),
            );
        } else {
            report.set(
                "token",
                Mark::Failed,
                words!("doctor-token-login-unreadable", why = why),
            );
        }
    } else if unauthorized == Some(true) {
        // The gateway's own words on why, where it gave them (an expired
        // token named, say: stranger 56, BE3).
        let detail = match judged.challenge.said.clone() {
            Some(said) => words!("doctor-token-wanted-said", said = said),
            None => words!("doctor-token-wanted"),
        };
        report.set_with(
            "token",
            Mark::Failed,
            detail,
            Some(words!("doctor-token-fix-give")),
        );
    } else if embedded {
        report.set("token", Mark::Ok, words!("doctor-token-embedded"));
    } else if unauthorized.is_none() && limited {
        report.set("token", Mark::Skipped, words!("doctor-token-none-limited"));
    } else if unauthorized != Some(true) && failing {
        report.set("token", Mark::Skipped, words!("doctor-token-none-failing"));
    } else if unauthorized.is_none() && judged.unusable {
        report.set(
            "token",
            Mark::Skipped,
            words!("doctor-token-not-checked-unusable"),
        );
    } else if unauthorized.is_none() {
        // Nothing answered: whether the gateway wants a token is unknown.
        report.set("token", Mark::Skipped, words!("doctor-token-not-checked"));
    } else {
        report.set("token", Mark::Ok, words!("doctor-token-not-asked"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_expiry_is_read_from_the_payload() {
        // {"exp":1700000000}
        let token = Secret::new("eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDB9.");
        assert_eq!(jwt_expiry(&token), Some(1_700_000_000));
        assert_eq!(jwt_expiry(&Secret::new("opaque-token")), None);
    }
}
