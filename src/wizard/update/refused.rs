//! A stepsID the gateway refuses: starting over by carAssociationID, once
//! a minute at most, and the words of a follower's end.

use std::time::SystemTime;

use super::answers::{Judge, steps_id_refused};
use super::sign_in::{sign_in_offer, wants_token};
use super::steps::fetch_for;
use super::{error, info};
use crate::client::{GatewayError, Recovery, Rejection};
use crate::describe::{gateway_cause, gateway_headline};
use crate::report::Event;
use crate::text::Lang;
use crate::tr;
use crate::wizard::session::{Remedy, VehicleSession};
use crate::wizard::state::{Effect, Purpose};

/// A vehicle whose stepsID the gateway refused (another device's, or one it
/// no longer knows) starts over by carAssociationID: the request that does,
/// or `None` for any other failure.
pub(super) fn start_over(
    session: &mut VehicleSession,
    next_id: &mut u64,
    lang: Lang,
    e: &GatewayError,
    purpose: Purpose,
    now: SystemTime,
) -> StartOver {
    if !steps_id_refused(e) || session.steps_id().is_none() {
        return StartOver::No;
    }
    // Refused again soon after starting over: before it answered, or the
    // very stepsID the start-over let go, given back (a stream's 2346, the
    // list by carAssociationID bringing the same one: stranger 65, BN1).
    let same_again = session.log().last_started_over_from() == session.steps_id();
    if session.started_over_within(now, START_OVER_AGAIN)
        && (!session.steps_id_answered() || same_again)
    {
        return StartOver::Again;
    }
    let from = session.steps_id().map(str::to_owned);
    let why = if e.is_wrong_device() {
        tr!(lang, "why-other-device")
    } else if matches!(e, GatewayError::ForeignList { .. }) {
        tr!(lang, "why-steps-id-changed")
    } else {
        tr!(lang, "why-steps-id-unknown")
    };
    session.forget_steps_id();
    // A follower that was reconnecting has its answer: the gateway is back.
    session.end_trouble();
    let event = match e {
        // Another stepsID's list, not a refusal (stranger 45, AT1).
        GatewayError::ForeignList { answered, .. } => Event::StepsIdChanged {
            answered: answered.clone(),
        },
        _ => Event::StartedOver {
            status: status_of(e),
            from,
        },
    };
    session.log_event(now, event);
    let effect = fetch_for(
        session,
        next_id,
        lang,
        Purpose::Open,
        purpose == Purpose::Reset,
    );
    session.say(info(
        tr!(lang, "banner-started-over"),
        tr!(lang, "banner-started-over-text", why = why),
    ));
    StartOver::Asked(effect)
}

/// A live follower's fault in words: an event it could not read is the
/// live stream's, not "check --api" (the same --api served the list).
pub(super) fn live_words(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::BadAnswer(why) => tr!(
            lang,
            "live-bad-event",
            why = crate::describe::decode_words(lang, why)
        ),
        // Watch retries by itself: the cause, without "retry in …" advice
        // (and without a full stop the banner's sentence adds).
        other => gateway_cause(lang, other),
    }
}

/// A follower's failure in the words of its cause. A follower whose stream
/// never opened, for a vehicle whose lists came, that got no answer through
/// a proxy: the proxy holds the stream back (it buffers it), which is said
/// with its fix rather than "the proxy is silent" (stranger 47, AV12).
pub(super) fn follower_words(session: &VehicleSession, lang: Lang, error: &GatewayError) -> String {
    // Polled, not streamed: an unusable answer is the list call's, in the
    // words `r` would give, never an event of a stream (stranger 62, BK2).
    let polling = session
        .following()
        .is_some_and(|f| matches!(f.mode, Some(crate::client::live::Mode::Polling { .. })));
    if polling {
        return gateway_cause(lang, error);
    }
    let never_streamed = session.following().is_some_and(|f| f.mode.is_none());
    never_streamed
        .then(|| {
            session
                .list()
                .and(crate::describe::stream_held_by_proxy(lang, error))
        })
        .flatten()
        .unwrap_or_else(|| live_words(lang, error))
}

/// The words of `e` for a vehicle. On the embedded demo (no gateway
/// configured), an id it does not know is the demo's, with `--api`, never
/// "check the id" (stranger 51, AZ5); else the command line's words.
pub(super) fn failure_words(judge: Judge, e: &GatewayError) -> String {
    // The login is over for this run: `r` and `w` ask no more with it, so
    // the way on is a new run (stranger 90, CM1).
    if run_keeps_refusal(e) {
        let why = crate::describe::gateway_error(judge.lang, e);
        return tr!(
            judge.lang,
            "banner-run-keeps-refusal",
            why = why.trim_end_matches('.').to_owned()
        );
    }
    let demo_unknown = matches!(
        e.rejection(),
        Some(crate::client::Rejection::NotFound | crate::client::Rejection::NoSteps)
    );
    if judge.demo && demo_unknown {
        let said = crate::describe::said_of(judge.lang, e);
        // `stepwise demo` takes no --api: how to ask a gateway instead
        // (stranger 57, BF10).
        if judge.demo_command {
            return tr!(judge.lang, "gw-404-demo-command", said = said);
        }
        // The board has no start screen: its keys remove and add a row
        // (stranger 60, BI1).
        if judge.board {
            return format!(
                "{}. {}",
                tr!(judge.lang, "gw-404-demo-board", said = said),
                tr!(judge.lang, "board-row-id-fix")
            );
        }
        return tr!(judge.lang, "gw-404-demo-wizard", said = said);
    }
    let words = crate::describe::gateway_error(judge.lang, e);
    // An id the gateway does not know, on the board: no field to correct
    // it in, a row to remove and one to add.
    if judge.board && demo_unknown {
        return format!(
            "{}. {}",
            words.trim_end().trim_end_matches('.'),
            tr!(judge.lang, "board-row-id-fix")
        );
    }
    // A 429 asking longer than stepwise waits: the wait applied is said
    // too, as the header counts it (stranger 79, CB1).
    if let GatewayError::Rejected {
        retry_after: Some(wait),
        ..
    } = e
        && e.rejection() == Some(crate::client::Rejection::TooManyRequests)
        && *wait > crate::pace::MAX_PAUSE
        && wait.as_secs() <= 86_400
    {
        return tr!(
            judge.lang,
            "banner-429-capped-text",
            why = words.trim_end().trim_end_matches('.').to_owned(),
            max = crate::pace::MAX_PAUSE.as_secs()
        );
    }
    words
}

/// The kept login is over for this run: the gateway refused even a token
/// the provider had just given, and no request goes out with it again.
fn run_keeps_refusal(e: &GatewayError) -> bool {
    matches!(
        e,
        GatewayError::Auth(crate::auth::AuthError::SignInAgain(
            crate::auth::Over::RefusedFresh { .. }
        ))
    )
}

/// What a refused stepsID leads to.
pub(super) enum StartOver {
    /// Asked again by carAssociationID.
    Asked(Effect),
    /// Refused again soon after starting over: not asked again.
    Again,
    /// Not a refused stepsID.
    No,
}

/// A stepsID refused again within this long of starting over is not
/// started over once more: the gateway refuses the stepsID it gives, and
/// asking again would go round in a loop (requests without end).
const START_OVER_AGAIN: std::time::Duration = std::time::Duration::from_secs(60);

/// The gateway refused the stepsID it gave a moment ago: watch stops, the
/// vehicle says so and who can fix it; `r` asks again by hand.
pub(super) fn refused_again(
    session: &mut VehicleSession,
    judge: Judge,
    e: &GatewayError,
    now: SystemTime,
) {
    let lang = judge.lang;
    session.set_watch(false);
    // `r` then asks by carAssociationID, once, by hand.
    session.forget_steps_id();
    // Lists of another stepsID refuse nothing: the gateway keeps changing
    // it (stranger 45, AT2). Logged as said.
    if let GatewayError::ForeignList {
        asked, answered, ..
    } = e
    {
        session.say_logged(
            now,
            error(
                tr!(lang, "banner-steps-id-changing"),
                tr!(
                    lang,
                    "banner-steps-id-changing-text",
                    asked = asked.clone(),
                    answered = answered.clone()
                ),
            ),
        );
        return;
    }
    session.say_logged(
        now,
        error(
            tr!(lang, "banner-refused-again"),
            tr!(
                lang,
                "banner-refused-again-text",
                why = gateway_cause(lang, e)
            ),
        ),
    );
}

/// A reset refused by something in front of the gateway (a page's 400 or
/// 403, or a bare 404) after lists came from this address: only the reset
/// call is refused, so the address and the token are not what to check;
/// the cache was not reset. `false`, nothing said, for any other failure.
pub(super) fn reset_refused_in_front(
    session: &mut VehicleSession,
    lang: Lang,
    e: &GatewayError,
    now: SystemTime,
) -> bool {
    let status = match e {
        GatewayError::Refused { status, .. } | GatewayError::NotAGateway { status, .. } => *status,
        // Sent, and no answer in time: the gateway may have reset the
        // cache all the same; "retry" alone would hide that.
        // So is a 502 or 504 of a reverse proxy that gave up waiting on
        // the gateway (stranger 45, AT7). The report keeps the same words.
        GatewayError::TimedOut { .. }
        | GatewayError::Rejected {
            status: 502 | 504, ..
        } => {
            let text = match e {
                GatewayError::TimedOut { after, .. } => tr!(
                    lang,
                    "banner-reset-unanswered-text",
                    secs = after.as_secs().max(1)
                ),
                _ => tr!(lang, "banner-reset-gave-up-text", status = status_of(e)),
            };
            let title = tr!(lang, "banner-reset-unanswered");
            session.log_event(
                now,
                Event::Error {
                    what: title.clone(),
                    detail: text.clone(),
                },
            );
            session.say(error(title, text));
            session.set_remedy(None);
            return true;
        }
        _ => return false,
    };
    if session.list().is_none() {
        return false;
    }
    session.log_error(now, lang, e);
    session.say(error(
        tr!(lang, "banner-reset-refused-front"),
        tr!(lang, "banner-reset-refused-front-text", status = status),
    ));
    session.set_remedy(None);
    true
}

/// A 404 (the gateway's, a router's, or a web server's page) for a vehicle
/// whose lists came from this address in this session: the id and --api
/// were right a moment ago, so the gateway, or what is in front of it,
/// changed; never "check the id" or "check --api". `false`, nothing said,
/// otherwise.
pub(super) fn no_longer_found(
    session: &mut VehicleSession,
    lang: Lang,
    e: &GatewayError,
    now: SystemTime,
) -> bool {
    let found_before = session.list().is_some();
    // Another call than the list (`n`'s) that the address does not route
    // while its lists come: that call is not offered, said as such, never
    // "changed … press r" (stranger 83, CF3).
    let not_found = matches!(
        e,
        GatewayError::NotAGateway {
            status: 404,
            call: None,
            ..
        }
    ) || e.rejection() == Some(crate::client::Rejection::NotFound);
    if !found_before || !not_found {
        return false;
    }
    session.set_watch(false);
    session.say_logged(
        now,
        error(
            tr!(lang, "banner-no-longer-found"),
            tr!(lang, "banner-no-longer-found-text"),
        ),
    );
    session.set_remedy(None);
    true
}

/// A live follower's trouble, retried: it goes on by itself, except after
/// a token renewal whose answer was lost, which is never sent again
/// unattended: then `r` is the way on (stranger 58, BG2).
pub(super) fn live_trouble_text(lang: Lang, error: &GatewayError, why: String) -> String {
    let held = matches!(
        error,
        GatewayError::Auth(crate::auth::AuthError::Provider(
            crate::auth::ProviderProblem::RenewalLost { .. }
        ))
    );
    // The gateway's own wait, named: the screen shows no other (stranger
    // 63, BL9).
    let wait = match error {
        GatewayError::Rejected {
            retry_after: Some(wait),
            ..
        } if !wait.is_zero() => Some(wait.as_secs().max(1)),
        _ => None,
    };
    if held {
        tr!(lang, "banner-live-held-text", why = why)
    } else if let Some(secs) = wait
        && secs > crate::pace::MAX_PAUSE.as_secs()
    {
        // Longer than stepwise waits: the wait applied, as the header
        // counts it and the report keeps it (stranger 70, BS5).
        tr!(
            lang,
            "banner-live-trouble-wait-capped-text",
            why = why,
            secs = secs,
            max = crate::pace::MAX_PAUSE.as_secs()
        )
    } else if let Some(secs) = wait {
        tr!(
            lang,
            "banner-live-trouble-wait-text",
            why = why,
            secs = secs
        )
    } else {
        tr!(lang, "banner-live-trouble-text", why = why)
    }
}

/// The HTTP status a gateway's refusal carried (0 for any other failure).
fn status_of(e: &GatewayError) -> u16 {
    match e {
        GatewayError::Rejected { status, .. } => *status,
        _ => 0,
    }
}

/// What the report keeps of a failure `e` whose screen offers `offer` (a
/// sign-in): where no token, or one given by hand, was refused, what the
/// screen says (a sign-in only where the gateway offers one), never
/// `stepwise login` as a sure cure; else the command-line words.
pub(super) fn logged_words(judge: Judge, e: &GatewayError, offer: Option<&String>) -> String {
    let hedged =
        matches!(e, GatewayError::Unauthorized { sent, .. } if sent.is_none_or(|f| !f.is_login()));
    match offer {
        Some(offer) if hedged => offer.clone(),
        _ => failure_words(judge, e),
    }
}

/// Watch stops on an answer that will not change by itself, and says why
/// (a refused token offers to sign in).
pub(super) fn stop_watch(
    session: &mut VehicleSession,
    judge: Judge,
    e: &GatewayError,
    now: SystemTime,
) {
    let lang = judge.lang;
    session.set_watch(false);
    // The demo's own words for an id it does not know (stranger 60, BI2).
    let why = failure_words(judge, e);
    let offer = sign_in_offer(judge, e);
    // As a failure's: never `stepwise login` as a sure cure (stranger 67,
    // BP3).
    session.log_event(
        now,
        Event::Error {
            what: gateway_headline(lang, e),
            detail: logged_words(judge, e, offer.as_ref()),
        },
    );
    // The report says watch ended here, as `w` off would (BI11).
    session.log_event(
        now,
        Event::WatchStopped {
            what: gateway_headline(lang, e),
        },
    );
    session.set_refused_token(wants_token(e));
    let text = match offer {
        Some(offer) => offer,
        // Never "press w to watch again once it is fixed": this run asks
        // no more (stranger 90, CM1).
        None if run_keeps_refusal(e) => why,
        None => tr!(
            lang,
            "banner-watch-stopped-text",
            // The message puts its own full stop after the reason.
            why = why.trim_end_matches('.').to_owned()
        ),
    };
    session.say(error(
        tr!(
            lang,
            "banner-watch-stopped",
            what = gateway_headline(lang, e)
        ),
        text,
    ));
    session.set_remedy(remedy_for(e));
}

/// What gets past `e` other than asking again, for the steps panel: an id
/// the gateway does not know needs another id, and an error that asking
/// again cannot change needs its cause fixed, not `r`.
pub(super) fn remedy_for(e: &GatewayError) -> Option<Remedy> {
    if matches!(
        e.rejection(),
        Some(Rejection::NotFound | Rejection::NoSteps)
    ) {
        Some(Remedy::OtherId)
    } else if e.recovery() == Recovery::Stop
        || (matches!(e, GatewayError::BadAnswer(_)) && !e.cut_short())
    {
        // An answer of the wrong shape comes back the same when asked again.
        Some(Remedy::FixCause)
    } else {
        None
    }
}
