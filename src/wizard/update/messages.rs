//! Messages that concern no vehicle's list (demo ids, guidance pages, a
//! report written, a browser opened, a sign-in's code), and where a banner
//! goes when no vehicle is named.

use super::{error, info, lang, success};
use crate::steps::sanitize;
use crate::text::Lang;
use crate::tr;
use crate::wizard::state::{
    Banner, DemoCar, Msg, OpenFailure, Overlay, ReportTrouble, SignInPrompt, State,
};

/// Messages that concern no vehicle's list.
pub(super) fn on_other(state: &mut State, msg: Msg) {
    let lang = lang(state);
    match msg {
        Msg::DemoCars(Ok(cars)) => {
            state.demo_cars = cars
                .into_iter()
                .map(|c| DemoCar {
                    label: match c.progress {
                        Some((done, total)) => tr!(
                            lang,
                            "demo-car-moved",
                            done = crate::text::num(done),
                            total = crate::text::num(total)
                        ),
                        None => demo_label(lang, &c.id, &sanitize(&c.label)),
                    },
                    id: sanitize(&c.id),
                    progress: c.progress,
                    stale_cache: c.stale_cache,
                })
                .collect();
        }
        Msg::DemoCars(Err(e)) => tracing::warn!("cannot list the demo associations: {e}"),
        Msg::PagesOffered(offered) => {
            state.pages = Some(offered);
            // An open QR code follows: it now points where the customer
            // can really go.
            if matches!(state.overlay, Some(Overlay::Qr(_))) {
                state.overlay = Some(Overlay::Qr(super::steps::selected_link(state)));
            }
        }
        Msg::ReportWritten(result) => report_written(state, result),
        Msg::SignInPrompt { id, prompt } => {
            if let Some(Overlay::SignIn(sign_in)) = &mut state.overlay
                && sign_in.id == id
            {
                // Text from the network is shown: cleaned first.
                sign_in.prompt = Some(SignInPrompt {
                    user_code: sanitize(&prompt.user_code),
                    verification_uri: sanitize(&prompt.verification_uri),
                    address: sanitize(&prompt.address),
                    expires_in_secs: prompt.expires_in_secs,
                });
            }
        }
        Msg::Opened(Err(failure))
            if state
                .sign_in()
                .and_then(|s| s.prompt.as_ref())
                .is_some_and(|p| p.address == failure.url()) =>
        {
            // The sign-in's address: said in its overlay, at once.
            if let Some(Overlay::SignIn(sign_in)) = &mut state.overlay {
                sign_in.no_browser = Some(failure);
            }
        }
        Msg::Opened(result) => {
            let demo = state.options.demo;
            let banner = match result {
                Ok(url) => info(tr!(lang, "banner-guide-opened"), url),
                // The demo backend's pages: `demo` takes no --api.
                Err(OpenFailure::NoGraphicalSession(url))
                    if demo && crate::guidance::is_loopback_url(&url) =>
                {
                    error(
                        tr!(lang, "banner-no-browser"),
                        tr!(lang, "banner-no-graphical-session-demo", url = url),
                    )
                }
                // A loopback address cannot be opened on another device.
                Err(OpenFailure::NoGraphicalSession(url))
                    if crate::guidance::is_loopback_url(&url) =>
                {
                    error(
                        tr!(lang, "banner-no-browser"),
                        tr!(lang, "banner-no-graphical-session-local", url = url),
                    )
                }
                Err(OpenFailure::NoGraphicalSession(url)) => error(
                    tr!(lang, "banner-no-browser"),
                    tr!(lang, "banner-no-graphical-session", url = url),
                ),
                Err(OpenFailure::Failed { url, why }) => error(
                    tr!(lang, "banner-no-browser"),
                    tr!(lang, "banner-browser-failed", url = url, why = why),
                ),
            };
            say(state, banner);
        }
        Msg::Limited(wait) => {
            let until = state.now + wait;
            // A hold that is new, or longer than the one in force, goes in
            // the report: every request waits, and the lists age.
            let longer = state
                .limited_until
                .is_none_or(|before| until > before + std::time::Duration::from_secs(1));
            if longer {
                let now = state.now;
                state.note(
                    now,
                    crate::report::Event::Held {
                        secs: wait.as_secs(),
                    },
                );
            }
            state.limited_until = Some(until);
        }
        Msg::Listed { .. }
        | Msg::Next { .. }
        | Msg::Completed { .. }
        | Msg::Live { .. }
        | Msg::TaskFailed { .. }
        | Msg::SignedIn { .. } => {}
    }
}

/// A report written by `x`, or why not.
fn report_written(
    state: &mut State,
    result: Result<std::path::PathBuf, (std::path::PathBuf, ReportTrouble)>,
) {
    let lang = lang(state);
    if result.is_ok() {
        // The notes are in the written report: quitting loses none.
        state.unsaved_note = false;
        state.quit_asked = false;
    }
    let banner = match result {
        Ok(path) => success(
            tr!(lang, "banner-report-written"),
            path.display().to_string(),
        ),
        Err((path, ReportTrouble::InTheWay(file))) => error(
            tr!(lang, "banner-report-not-written"),
            tr!(
                lang,
                "banner-report-in-the-way-text",
                path = path.display().to_string(),
                file = file.display().to_string()
            ),
        ),
        Err((path, ReportTrouble::Io(e))) => error(
            tr!(lang, "banner-report-not-written"),
            tr!(
                lang,
                "banner-report-not-written-text",
                path = path.display().to_string(),
                why = crate::files::unwritable_kind_words(lang, &e)
            ),
        ),
    };
    say(state, banner);
}

/// A banner for the screen on show: the open vehicle's, else the board's.
pub(super) fn say(state: &mut State, banner: Banner) {
    let on_a_board = state.on_a_board;
    match state.session_mut() {
        Some(session) => session.say(banner),
        None if on_a_board => state.vehicles.say(banner),
        None => {}
    }
}

/// A demo association's label in `lang`: the built-in scenario's labels are
/// in the catalogue as `demo-car-<id>` (its English text is the scenario's
/// own); any other label (a scenario of the user's) is shown as it came.
fn demo_label(lang: Lang, id: &str, label: &str) -> String {
    let key = format!("demo-car-{id}");
    if crate::text::has(Lang::En, &key) && crate::text::message(Lang::En, &key, None) == label {
        crate::text::message(lang, &key, None)
    } else {
        label.to_owned()
    }
}
