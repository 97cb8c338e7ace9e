//! Signing in without leaving the screen (`i`, on the steps screen and the
//! board alike): the overlay, and what a sign-in that ended changes.

use super::answers::Judge;
use super::messages::say;
use super::steps::fetch_for;
use super::{error, lang, success};
use crate::auth::store::Place;
use crate::auth::{AuthError, Discovery, ProviderProblem};
use crate::client::{GatewayError, Rejection};
use crate::describe::auth_error;
use crate::text::Lang;
use crate::tr;
use crate::wizard::session::VehicleSession;
use crate::wizard::state::{Effect, Overlay, Purpose, SignIn, SignedIn, State};

/// `i`: the sign-in overlay opens and the runner starts the device flow.
pub(super) fn begin(state: &mut State) -> Vec<Effect> {
    if state.options.demo {
        return Vec::new();
    }
    // The open vehicle's trouble is one a new sign-in with these settings
    // cannot fix (a refused client id, tokens the gateway does not take,
    // no steps gateway at --api, such as a web server's Basic login): no
    // sign-in is started, and the banner says so with its fix.
    let lang = lang(state);
    // `i` found before that the gateway offers no sign-in: said again.
    if let Some(words) = state.no_sign_in.clone() {
        let mut banner = error(tr!(lang, "banner-sign-in-failed"), words);
        banner.futile_sign_in = true;
        say(state, banner);
        return Vec::new();
    }
    let no_help = [
        tr!(lang, "gw-title-client-refused"),
        tr!(lang, "gw-title-tokens-not-taken"),
        tr!(lang, "gw-title-not-a-gateway"),
    ];
    let said = state.session().and_then(|s| s.banner()).cloned();
    if let Some(said) = said {
        if said.title == tr!(lang, "banner-sign-in-no-help") {
            return Vec::new();
        }
        if no_help.contains(&said.title) {
            let text = tr!(lang, "banner-sign-in-no-help-text", why = said.text);
            say(state, error(tr!(lang, "banner-sign-in-no-help"), text));
            return Vec::new();
        }
    }
    let id = state.fresh_id();
    state.overlay = Some(Overlay::SignIn(SignIn {
        id,
        prompt: None,
        no_browser: None,
    }));
    vec![Effect::SignIn {
        id,
        data_dir: state.options.data_dir.clone(),
    }]
}

/// Once `i` found that the gateway offers no sign-in, a refusal of `car`
/// for want of a token says how to give the gateway's fixed token, never
/// "press i", which would fail the same way (stranger 50, AY3).
pub(super) fn no_sign_in_stands(state: &mut State, car: &str) {
    let Some(words) = state.no_sign_in.clone() else {
        return;
    };
    let Some(session) = state.vehicles.session_mut(car) else {
        return;
    };
    let Some(mut banner) = session.banner().cloned() else {
        return;
    };
    if !session.refused_token() || banner.futile_sign_in {
        return;
    }
    banner.text = words;
    banner.futile_sign_in = true;
    let remedy = session.remedy();
    session.say(banner);
    session.set_remedy(remedy);
}

/// Where a token is kept, in words.
fn place_words(lang: Lang, place: &Place) -> String {
    match place {
        Place::Keyring(name) => tr!(lang, "place-keyring", name = *name),
        Place::File(path) => tr!(lang, "place-file", path = path.display().to_string()),
    }
}

/// Why a sign-in failed, and what now: `i` again only where starting it
/// again may get through; otherwise what to change, and that `i` alone
/// would fail the same way. The wizard's own words where the command
/// line's would say to run `stepwise login` again (that is `i` here).
fn failure_words(lang: Lang, e: &AuthError, token_given: Option<&str>) -> String {
    match e {
        // The refused token was given by hand, and wins over any kept
        // login: the fix is that token, not `login --with-token`.
        AuthError::Discovery(Discovery::NotOffered { gateway, .. }) if token_given.is_some() => {
            tr!(
                lang,
                "banner-sign-in-not-offered-given-text",
                gateway = gateway.clone(),
                from = token_given.unwrap_or_default().to_owned()
            )
        }
        // A gateway without sign-in takes a fixed token: pressing `i`
        // again cannot help, so the words say how to give the token.
        // The list's own 401 came from this gateway, so --api is right:
        // the words name the fixed token, never "check --api".
        // Its metadata refused outright (403): nothing shows the gateway
        // takes a fixed token; a firewall may block the path.
        AuthError::Discovery(Discovery::NotOffered {
            gateway,
            status: Some(403),
        }) => tr!(
            lang,
            "banner-sign-in-discovery-refused-text",
            gateway = gateway.clone()
        ),
        AuthError::Discovery(Discovery::NotOffered { gateway, .. }) => tr!(
            lang,
            "banner-sign-in-not-offered-text",
            gateway = gateway.clone()
        ),
        AuthError::Expired => tr!(lang, "banner-sign-in-expired-text"),
        AuthError::Denied { scopes, said: None } => {
            tr!(lang, "banner-sign-in-denied-text", scopes = scopes.clone())
        }
        AuthError::Provider(ProviderProblem::Stopped { said }) => {
            tr!(lang, "banner-sign-in-stopped-text", said = said.clone())
        }
        AuthError::SignInAgain(why) if why.sign_in_helps() => {
            tr!(lang, "banner-sign-in-again-text", why = why.words(lang))
        }
        // The client id or scopes: settings a running wizard read when it
        // started (it takes no --client-id or --scope of its own).
        AuthError::UnknownClient { .. } | AuthError::UnknownScope { .. } => tr!(
            lang,
            "banner-sign-in-settings-text",
            why = auth_error(lang, e)
        ),
        // A wait the provider asked: `i` after it, not `stepwise login`.
        AuthError::Provider(ProviderProblem::CodeBusy {
            said,
            wait: Some(secs),
        }) => tr!(
            lang,
            "banner-sign-in-wait-text",
            said = said.clone(),
            wait = crate::text::duration(lang, *secs)
        ),
        AuthError::Provider(ProviderProblem::Limited { secs }) => tr!(
            lang,
            "banner-sign-in-wait-text",
            said = "HTTP 429".to_owned(),
            wait = crate::text::duration(lang, *secs)
        ),
        e if e.retry_may_help() => tr!(
            lang,
            "banner-sign-in-failed-text",
            why = auth_error(lang, e)
        ),
        e => tr!(
            lang,
            "banner-sign-in-failed-fix-text",
            why = auth_error(lang, e)
        ),
    }
}

/// The words for `e` say that `i` alone would fail the same way (a setting,
/// a token or the gateway must change first): the footer offers no `i`.
fn futile(e: &AuthError) -> bool {
    match e {
        AuthError::Discovery(Discovery::NotOffered { .. })
        | AuthError::UnknownClient { .. }
        | AuthError::UnknownScope { .. } => true,
        AuthError::Expired
        | AuthError::Denied { .. }
        | AuthError::Provider(ProviderProblem::Stopped { .. })
        | AuthError::Provider(ProviderProblem::CodeBusy { wait: Some(_), .. })
        | AuthError::Provider(ProviderProblem::Limited { .. }) => false,
        AuthError::SignInAgain(why) if why.sign_in_helps() => false,
        e => !e.retry_may_help(),
    }
}

/// The sign-in ended. On success the open vehicle picks up where it was
/// and every board vehicle refused for want of a token asks again (each
/// list asked with the new token); on failure the overlay closes and the
/// banner says why, with `i` to try again where that may help.
pub(super) fn signed_in(
    state: &mut State,
    id: u64,
    result: Result<SignedIn, AuthError>,
    now: std::time::SystemTime,
) -> Vec<Effect> {
    if state.sign_in().is_none_or(|s| s.id != id) {
        return Vec::new();
    }
    state.overlay = None;
    let lang = lang(state);
    let signed = match result {
        Ok(signed) => signed,
        Err(e) => {
            // No token went out and the open vehicle's list came: the
            // gateway needs none, so "it takes a fixed token" would be wrong.
            let answered = !state.options.complete_needs_token
                && match state.session() {
                    Some(s) => s.list().is_some() && !s.refused_token(),
                    // The board: some list came, and none was refused.
                    None => {
                        let all = state.vehicles.sessions();
                        all.iter().any(|s| s.list().is_some())
                            && !all.iter().any(VehicleSession::refused_token)
                    }
                };
            let text = match &e {
                AuthError::Discovery(Discovery::NotOffered { gateway, .. }) if answered => tr!(
                    lang,
                    "banner-sign-in-not-needed-text",
                    gateway = gateway.clone()
                ),
                _ => failure_words(lang, &e, state.options.token_given.as_deref()),
            };
            // The report keeps why: a gateway without sign-in takes a
            // fixed token, which its 401 entries alone cannot tell.
            let detail = text.clone();
            state.note(now, crate::report::Event::SignInFailed { detail });
            if matches!(&e, AuthError::Discovery(Discovery::NotOffered { .. })) && !answered {
                state.no_sign_in = Some(text.clone());
            }
            let mut banner = error(tr!(lang, "banner-sign-in-failed"), text);
            banner.futile_sign_in = futile(&e);
            // A failed sign-in changes nothing of why there is no list:
            // "asking again gets the same answer" stays (stranger 60, BI5).
            let remedy = state.session().and_then(VehicleSession::remedy);
            say(state, banner);
            if let (Some(remedy), Some(session)) = (remedy, state.session_mut()) {
                session.set_remedy(Some(remedy));
            }
            return Vec::new();
        }
    };
    let mut text = tr!(
        lang,
        "banner-signed-in-text",
        place = place_words(lang, &signed.place)
    );
    // This run uses the new token; the next one would take the token given
    // by hand again (it wins over a kept login).
    if let Some(from) = &state.options.token_given {
        text = format!(
            "{text} {}",
            tr!(lang, "banner-signed-in-given", from = from.clone())
        );
    }
    if signed.new_file || signed.keyring_too_small.is_some() {
        text = format!(
            "{text} {}",
            crate::auth::store::file_notice(lang, signed.keyring_too_small, signed.file_chosen)
        );
    }
    state.note(now, crate::report::Event::SignedIn);
    // Tokens go out from now on: the control call `s` prints needs one too
    // (stranger 47, AV5).
    state.options.complete_needs_token = true;
    // The kept login is now this sign-in's, no fixed token.
    state.options.login_fixed = false;
    let open = state.open.clone();
    let board = state.on_a_board;
    let next_id = &mut state.next_id;
    let mut resumed = 0;
    let effects = state
        .vehicles
        .sessions_mut()
        .filter(|s| Some(s.car()) == open.as_deref() || board && s.refused_token())
        .map(|s| {
            // Watch that the refusal stopped by itself resumes: the sign-in
            // is what it waited for (stranger 63, BL8).
            if s.refused_token() && stopped_by_itself(s) && !s.watch() {
                s.set_watch(true);
                resumed += 1;
            }
            let purpose = if s.list().is_none() {
                Purpose::Open
            } else {
                Purpose::Refresh
            };
            fetch_for(s, next_id, lang, purpose, false)
        })
        .collect();
    let text = match resumed {
        0 => text,
        _ => format!("{text} {}", tr!(lang, "banner-signed-in-watch-resumed")),
    };
    say(state, success(tr!(lang, "banner-signed-in"), text));
    effects
}

/// Watch was last stopped by itself (on an answer asking again would not
/// change), not by the technician.
fn stopped_by_itself(session: &VehicleSession) -> bool {
    use crate::report::Event;
    let mut events = session.log().entries().iter().rev().map(|e| &e.event);
    let last = events.find(|e| matches!(e, Event::WatchStopped { .. } | Event::Watch { .. }));
    matches!(last, Some(Event::WatchStopped { .. }))
}

/// Signing in is what gets past `e`: a 401, or a login that is over
/// (`invalid_grant`).
pub(super) fn wants_token(e: &GatewayError) -> bool {
    matches!(e, GatewayError::Auth(a) if a.needs_login())
        || e.rejection() == Some(Rejection::Unauthorized)
}

/// The banner text that offers `i` (sign in), when signing in is what gets
/// past `e`. Never on the embedded simulator, which wants no token.
pub(super) fn sign_in_offer(judge: Judge, e: &GatewayError) -> Option<String> {
    let lang = judge.lang;
    if judge.demo {
        return None;
    }
    let offer = sign_in_words(lang, judge, e)?;
    // The gateway's own words on why it refused the token, then the proxy
    // a bare 401 came through, which may have given it (stranger 83, CF1).
    let offer = match e {
        GatewayError::Unauthorized {
            said: Some(said), ..
        } => format!("{offer} {}.", tr!(lang, "gw-401-said", said = said.clone())),
        _ => offer,
    };
    Some(crate::describe::bare_401_note(lang, e, offer))
}

/// [`sign_in_offer`]'s words, before the gateway's own.
fn sign_in_words(lang: Lang, judge: Judge, e: &GatewayError) -> Option<String> {
    match e {
        // The kept login could not be read: that, not a missing sign-in,
        // is why none was sent.
        // Its cause itself: no login may be kept at all (stranger 71, BT3).
        GatewayError::Unauthorized { sent: None, .. } if let Some(why) = judge.login_trouble => {
            Some(tr!(lang, "banner-sign-in-login-unreadable-text", why = why))
        }
        GatewayError::Auth(AuthError::SignInAgain(why)) if why.sign_in_helps() => Some(tr!(
            lang,
            "banner-sign-in-again-text",
            why = crate::describe::over_reason(lang, why)
        )),
        GatewayError::Unauthorized { sent: None, .. } => {
            Some(tr!(lang, "banner-sign-in-none-text"))
        }
        // A token given by hand: its own fix first; `i` only where the
        // gateway offers sign-in.
        GatewayError::Unauthorized {
            sent: Some(from), ..
        } if !from.is_login() => Some(tr!(
            lang,
            "banner-sign-in-given-text",
            from = crate::describe::token_from(lang, *from)
        )),
        // A fixed token kept with `login --with-token`: the gateway may
        // offer no sign-in at all (i says so if not).
        GatewayError::Unauthorized {
            sent: Some(crate::config::TokenFrom::Login),
            ..
        } if judge.login_fixed => Some(tr!(lang, "banner-sign-in-kept-fixed-text")),
        _ if e.rejection() == Some(Rejection::Unauthorized) => {
            Some(tr!(lang, "banner-sign-in-text"))
        }
        _ => None,
    }
}
