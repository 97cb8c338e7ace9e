//! What goes into the session's report beyond the answers: `x` writes it,
//! `N` keeps a note, and an error code explained with `e` is kept.

use std::time::SystemTime;

use super::messages::say;
use super::{error, info, lang};
use crate::report::Event;
use crate::tr;
use crate::wizard::state::{Effect, Overlay, Screen, State};

/// `x`: the session's report (every vehicle of the run) goes to the data
/// directory.
pub(super) fn write_report(state: &mut State, now: SystemTime) -> Vec<Effect> {
    let lang = lang(state);
    match &state.options.data_dir {
        Some(dir) => {
            let report = state.report();
            vec![Effect::WriteReport {
                path: report.default_path(dir, now),
                report: Box::new(report),
            }]
        }
        None => {
            say(
                state,
                error(
                    tr!(lang, "banner-no-report-place"),
                    tr!(lang, "banner-no-report-place-text"),
                ),
            );
            Vec::new()
        }
    }
}

/// Enter in the note field: the note goes into the report (the open
/// vehicle's events, or the run's notes on the board); an empty one is
/// dropped.
pub(super) fn save_note(state: &mut State, now: SystemTime) -> Vec<Effect> {
    if !keep_note(state, now, false) {
        return Vec::new();
    }
    let lang = lang(state);
    // Without --report nothing is written at exit: the note lives until
    // `x` writes the report, and the words say so.
    let text = if state.options.report_at_exit {
        tr!(lang, "banner-note-kept-text")
    } else {
        state.unsaved_note = true;
        tr!(lang, "banner-note-kept-press-x-text")
    };
    say(state, info(tr!(lang, "banner-note-kept"), text));
    Vec::new()
}

/// A sign-in under way ends without its approval (Esc, or the wizard
/// ends): the report says so, not only the refusal that asked for it
/// (stranger 63, BL10).
pub(super) fn sign_in_cancelled(state: &mut State, now: SystemTime) {
    if !matches!(state.overlay, Some(Overlay::SignIn(_))) {
        return;
    }
    state.overlay = None;
    let detail = tr!(lang(state), "report-sign-in-cancelled");
    state.note(now, Event::SignInFailed { detail });
}

/// The wizard ends (Ctrl-C, a signal) with the note field open: what was
/// typed goes into the report, marked unfinished, rather than being lost.
/// A sign-in under way is said cancelled.
pub fn keep_unfinished_note(state: &mut State, now: SystemTime) {
    sign_in_cancelled(state, now);
    // Without --report, it is a note no report holds yet: kept where `x`
    // writes at the end, as a finished one is (stranger 45, AT3).
    if keep_note(state, now, true) && !state.options.report_at_exit {
        state.unsaved_note = true;
    }
}

/// Takes the note field's text into the report; false when there was none
/// to keep (no field, an empty one, or one holding a token).
fn keep_note(state: &mut State, now: SystemTime, unfinished: bool) -> bool {
    let Some(Overlay::Note(text)) = state.overlay.take() else {
        return false;
    };
    let text = text.trim().to_owned();
    if text.is_empty() {
        return false;
    }
    let lang = lang(state);
    // A token pasted into a note would go into a file handed on: not kept.
    // The word is named by its start (never whole), and the note comes
    // back as typed with the next N (stranger 60, BI17).
    let word = crate::secret::token_like_word(&text)
        .map(|w| (w.chars().count(), w.chars().take(4).collect::<String>()));
    if word.is_some() || crate::secret::holds_any(&text, &state.options.secrets) {
        let text_words = match &word {
            Some((len, start)) => tr!(
                lang,
                "banner-note-token-word-text",
                len = crate::text::num(*len),
                start = start.clone()
            ),
            None => tr!(lang, "banner-note-token-text"),
        };
        say(state, error(tr!(lang, "banner-note-token"), text_words));
        if !unfinished && word.is_some() {
            state.refused_note = Some(text);
        }
        // Being typed when the wizard ended: no N brings it back, so the
        // report says a note was left out, and why (stranger 79, CB3).
        if unfinished {
            state.note(
                now,
                Event::Error {
                    what: tr!(lang, "banner-note-token"),
                    detail: tr!(lang, "report-note-token-left-out"),
                },
            );
            return !state.options.report_at_exit;
        }
        return false;
    }
    state.note(now, Event::Note { text, unfinished });
    true
}

/// The explainer closed on `code`: a code it knows goes into the report
/// with its meaning.
pub(super) fn explained(state: &mut State, code: &str, now: SystemTime) {
    let Some(known) = crate::guidance::explain(code) else {
        return;
    };
    let meaning = known.meaning(state.options.lang);
    state.note(
        now,
        Event::Explained {
            code: known.code(),
            meaning,
        },
    );
}

/// `q`: quits, unless a note would be lost: then the first press says so,
/// and the second quits without it (Ctrl-C quits at once).
pub(super) fn quit(state: &mut State) {
    if !state.unsaved_note || state.quit_asked {
        state.quit = true;
        return;
    }
    state.quit_asked = true;
    let lang = lang(state);
    // The start screen has no banner, and x types into its field: the
    // words go under the field and say where x writes the report.
    if let Screen::Start(field) = &mut state.screen {
        field.say(tr!(lang, "start-note-unsaved"));
        return;
    }
    // x just failed: its cause stays said, with what works (fixing it),
    // never "press x" alone (stranger 79, CB4).
    let failed = tr!(lang, "banner-report-not-written");
    let shown = match state.session() {
        Some(session) => session.banner(),
        None => state.vehicles.banner(),
    };
    let text = match shown.filter(|b| b.title == failed) {
        Some(b) => tr!(
            lang,
            "banner-note-unsaved-failed-text",
            why = b.text.clone()
        ),
        None => tr!(lang, "banner-note-unsaved-text"),
    };
    // Information, not an error: a vehicle's row must not turn "failing".
    say(state, info(tr!(lang, "banner-note-unsaved"), text));
}
