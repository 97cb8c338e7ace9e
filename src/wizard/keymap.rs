//! The one keymap: the key handler, the footer and the help overlay are all
//! built from this table, so help can never drift from the real bindings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for, whatever the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Back,
    Up,
    Down,
    Submit,
    Refresh,
    ToggleWatch,
    NextStep,
    CycleFilter,
    AskReset,
    ConfirmReset,
    Explain,
    OpenDoc,
    ShowQr,
    SimulateCustomer,
    WriteReport,
    #[cfg(debug_assertions)]
    TestPanic,
}

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, above any other context.
    Global,
    Start,
    Steps,
    Help,
    ConfirmReset,
    Explain,
    Qr,
}

pub struct Binding {
    pub context: Context,
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// The keys as the footer and help show them.
    pub label: &'static str,
    /// One or two words for the footer.
    pub short: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// Only on the embedded simulator.
    pub demo_only: bool,
    /// Shown in the footer (help lists every binding).
    pub in_footer: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn bind(
    context: Context,
    keys: &'static [(KeyCode, KeyModifiers)],
    label: &'static str,
    short: &'static str,
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        short,
        action,
        help,
        demo_only: false,
        in_footer: true,
    }
}

const fn quiet(mut b: Binding) -> Binding {
    b.in_footer = false;
    b
}

const fn demo(mut b: Binding) -> Binding {
    b.demo_only = true;
    b
}

use Action as A;
use Context as C;
use KeyCode as K;

pub static KEYMAP: &[Binding] = &[
    quiet(bind(
        C::Global,
        &[(K::Char('c'), CTRL)],
        "Ctrl-C",
        "quit",
        A::Quit,
        "quit at once",
    )),
    // Start: letters and digits go into the id field, so only keys that can
    // not be part of an id are bound here.
    bind(
        C::Start,
        &[(K::Enter, NONE)],
        "Enter",
        "open",
        A::Submit,
        "open the steps of this carAssociationID",
    ),
    bind(
        C::Start,
        &[(K::Up, NONE), (K::Down, NONE)],
        "↑↓",
        "pick",
        A::Down,
        "pick a recent or demo id",
    ),
    bind(
        C::Start,
        &[(K::Char('?'), NONE), (K::Char('?'), SHIFT)],
        "?",
        "help",
        A::Help,
        "help",
    ),
    bind(C::Start, &[(K::Esc, NONE)], "Esc", "quit", A::Quit, "quit"),
    // Steps.
    bind(
        C::Steps,
        &[
            (K::Down, NONE),
            (K::Char('j'), NONE),
            (K::Up, NONE),
            (K::Char('k'), NONE),
        ],
        "↑↓/jk",
        "move",
        A::Down,
        "move the selection",
    ),
    bind(
        C::Steps,
        &[(K::Char('r'), NONE)],
        "r",
        "refresh",
        A::Refresh,
        "refresh the list by stepsID",
    ),
    bind(
        C::Steps,
        &[(K::Char('w'), NONE)],
        "w",
        "watch",
        A::ToggleWatch,
        "watch: refresh every few seconds until every step is done",
    ),
    demo(bind(
        C::Steps,
        &[(K::Char('s'), NONE)],
        "s",
        "act",
        A::SimulateCustomer,
        "simulated customer completes the next step",
    )),
    bind(
        C::Steps,
        &[(K::Char('n'), NONE)],
        "n",
        "next",
        A::NextStep,
        "ask the gateway for the next step",
    ),
    quiet(bind(
        C::Steps,
        &[(K::Char('f'), NONE)],
        "f",
        "filter",
        A::CycleFilter,
        "filter by status: all, todo, alreadyDone",
    )),
    bind(
        C::Steps,
        &[(K::Char('R'), SHIFT), (K::Char('R'), NONE)],
        "R",
        "reset",
        A::AskReset,
        "reset the steps cache (app errors 2312/2317)",
    ),
    bind(
        C::Steps,
        &[(K::Char('e'), NONE)],
        "e",
        "explain",
        A::Explain,
        "explain an app error code",
    ),
    quiet(bind(
        C::Steps,
        &[(K::Char('o'), NONE)],
        "o",
        "open guide",
        A::OpenDoc,
        "open the step's guide in a browser",
    )),
    quiet(bind(
        C::Steps,
        &[(K::Char('g'), NONE)],
        "g",
        "QR",
        A::ShowQr,
        "show the guide's link as a QR code",
    )),
    quiet(bind(
        C::Steps,
        &[(K::Char('x'), NONE)],
        "x",
        "report",
        A::WriteReport,
        "write the session report (Markdown)",
    )),
    bind(
        C::Steps,
        &[(K::Char('?'), NONE), (K::Char('?'), SHIFT)],
        "?",
        "help",
        A::Help,
        "help",
    ),
    quiet(bind(
        C::Steps,
        &[(K::Esc, NONE)],
        "Esc",
        "back",
        A::Back,
        "back to the start screen",
    )),
    bind(
        C::Steps,
        &[(K::Char('q'), NONE)],
        "q",
        "quit",
        A::Quit,
        "quit",
    ),
    // Overlays.
    bind(
        C::Help,
        &[
            (K::Esc, NONE),
            (K::Char('?'), NONE),
            (K::Char('?'), SHIFT),
            (K::Char('q'), NONE),
        ],
        "Esc",
        "close",
        A::Back,
        "close help",
    ),
    bind(
        C::ConfirmReset,
        &[(K::Char('y'), NONE), (K::Char('Y'), SHIFT)],
        "y",
        "reset now",
        A::ConfirmReset,
        "reset the steps cache now",
    ),
    bind(
        C::ConfirmReset,
        &[(K::Char('n'), NONE), (K::Esc, NONE)],
        "n/Esc",
        "cancel",
        A::Back,
        "cancel",
    ),
    bind(
        C::Explain,
        &[(K::Esc, NONE), (K::Enter, NONE)],
        "Esc",
        "close",
        A::Back,
        "close (type digits to look up a code)",
    ),
    bind(
        C::Qr,
        &[(K::Esc, NONE), (K::Char('g'), NONE), (K::Char('q'), NONE)],
        "Esc",
        "close",
        A::Back,
        "close the QR code",
    ),
    bind(
        C::Qr,
        &[(K::Char('o'), NONE)],
        "o",
        "open in browser",
        A::OpenDoc,
        "open the link in a browser",
    ),
];

/// The action a key stands for in a context, and the keymap's own view of
/// direction (the table names one action for a pair of arrow keys).
pub fn action_for(context: Context, key: &KeyEvent, demo: bool) -> Option<Action> {
    let pressed = (key.code, key.modifiers);
    let matches = |b: &&Binding| {
        (b.context == Context::Global || b.context == context)
            && (demo || !b.demo_only)
            && b.keys.contains(&pressed)
    };
    let Some(action) = KEYMAP.iter().find(matches).map(|b| b.action) else {
        return test_panic(key);
    };
    Some(match (action, key.code) {
        (Action::Down, KeyCode::Up | KeyCode::Char('k')) => Action::Up,
        (other, _) => other,
    })
}

#[cfg(debug_assertions)]
fn test_panic(key: &KeyEvent) -> Option<Action> {
    // A test-only path (debug builds, opted in by the environment) that proves
    // the terminal is restored on panic.
    (key.code == KeyCode::Char('!') && std::env::var_os("STEPWISE_TEST_PANIC").is_some())
        .then_some(Action::TestPanic)
}

#[cfg(not(debug_assertions))]
fn test_panic(_key: &KeyEvent) -> Option<Action> {
    None
}

/// The bindings of a context, for the footer and the help overlay.
pub fn bindings(context: Context, demo: bool) -> impl Iterator<Item = &'static Binding> {
    KEYMAP
        .iter()
        .filter(move |b| b.context == context && (demo || !b.demo_only))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn arrows_and_vi_keys_move_both_ways() {
        assert_eq!(
            action_for(Context::Steps, &key(K::Char('j')), false),
            Some(A::Down)
        );
        assert_eq!(
            action_for(Context::Steps, &key(K::Char('k')), false),
            Some(A::Up)
        );
        assert_eq!(action_for(Context::Steps, &key(K::Up), false), Some(A::Up));
        assert_eq!(action_for(Context::Start, &key(K::Up), false), Some(A::Up));
    }

    #[test]
    fn demo_keys_only_in_demo_and_ctrl_c_everywhere() {
        assert_eq!(action_for(Context::Steps, &key(K::Char('s')), false), None);
        assert_eq!(
            action_for(Context::Steps, &key(K::Char('s')), true),
            Some(A::SimulateCustomer)
        );
        let ctrl_c = KeyEvent::new(K::Char('c'), KeyModifiers::CONTROL);
        for ctx in [
            Context::Start,
            Context::Steps,
            Context::Help,
            Context::Explain,
        ] {
            assert_eq!(action_for(ctx, &ctrl_c, false), Some(A::Quit));
        }
    }

    #[test]
    fn letters_are_free_on_the_start_screen() {
        for c in ['q', 'r', 'j', '1'] {
            assert_eq!(action_for(Context::Start, &key(K::Char(c)), true), None);
        }
    }

    #[test]
    fn every_binding_has_keys_and_help() {
        for b in KEYMAP {
            assert!(!b.keys.is_empty() && !b.label.is_empty() && !b.help.is_empty());
        }
    }
}
