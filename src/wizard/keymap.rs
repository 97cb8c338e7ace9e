//! The one keymap: the key handler, the footer and the help overlay are all
//! built from this table, so help can never drift from the real bindings.
//! Text fields are contexts of their own: what a key types is decided here
//! too.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for, whatever the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    /// A character for the focused text field.
    Type(char),
    Erase,
    /// Esc on the start screen: empty the field.
    ClearField,
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
    /// The board: open the selected vehicle's steps screen.
    OpenVehicle,
    CycleSort,
    StartFilter,
    /// Enter in the board's filter: keep it, keys act on the board again.
    EndFilter,
    AddVehicle,
    AskRemove,
    ConfirmRemove,
    /// The customer's guidance in the next language.
    CycleGuideLang,
    /// Sign in to the gateway without leaving the vehicle.
    SignIn,
    /// Stop signing in.
    CancelSignIn,
    /// Open the sign-in address in a browser.
    OpenSignInPage,
    #[cfg(debug_assertions)]
    TestPanic,
}

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, above any other context.
    Global,
    /// The start screen with an empty field: `q` still quits.
    StartEmpty,
    /// The start screen with something typed: letters go into the field.
    Start,
    Steps,
    Help,
    ConfirmReset,
    Explain,
    Qr,
    /// The sign-in overlay: the code and where to enter it.
    SignIn,
    /// The window is too small to draw in: only quitting works.
    TooSmall,
    /// The board of many vehicles.
    Board,
    /// The board's filter takes the keys.
    BoardFilter,
    /// The id of a vehicle to add takes the keys.
    BoardAdd,
    /// A vehicle waits to be removed from the board.
    ConfirmRemove,
}

/// Which keys a binding takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// These exact keys.
    Exact(&'static [(KeyCode, KeyModifiers)]),
    /// Any printable character, typed into an id field (which refuses, and
    /// names, the ones an id cannot hold).
    IdChar,
    /// Any digit, typed into the field.
    Digit,
    /// Any printable character, typed into the filter.
    Text,
    /// Any character of an error code read off a phone (letters, digits,
    /// `:`, `_`, `.`), typed into the field.
    CodeChar,
}

/// How far a binding is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// In the footer and in help.
    Footer,
    /// In help only.
    Help,
    /// Covered by another binding's label (the other arrow of a pair).
    Nowhere,
}

pub struct Binding {
    pub context: Context,
    pub keys: Keys,
    /// The keys as the footer and help show them.
    pub label: &'static str,
    /// The catalogue id of one or two words for the footer.
    pub short: &'static str,
    /// The catalogue id of the help line.
    pub help: &'static str,
    pub action: Action,
    /// Only on the embedded simulator.
    pub demo_only: bool,
    /// Only on a real gateway (never the embedded simulator).
    pub gateway_only: bool,
    pub show: Show,
}

impl Binding {
    /// Whether the binding works on this backend.
    fn offered(&self, demo: bool) -> bool {
        !(self.demo_only && !demo || self.gateway_only && demo)
    }
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn bind(
    context: Context,
    keys: &'static [(KeyCode, KeyModifiers)],
    label: &'static str,
    action: Action,
    short: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        context,
        keys: Keys::Exact(keys),
        label,
        short,
        help,
        action,
        demo_only: false,
        gateway_only: false,
        show: Show::Footer,
    }
}

const fn help_only(mut b: Binding) -> Binding {
    b.show = Show::Help;
    b
}

const fn hidden(mut b: Binding) -> Binding {
    b.show = Show::Nowhere;
    b
}

const fn demo(mut b: Binding) -> Binding {
    b.demo_only = true;
    b
}

const fn gateway(mut b: Binding) -> Binding {
    b.gateway_only = true;
    b
}

const fn typing(context: Context, keys: Keys, label: &'static str, help: &'static str) -> Binding {
    Binding {
        context,
        keys,
        label,
        short: "key-short-type",
        help,
        action: Action::Quit, // replaced by the typed character
        demo_only: false,
        gateway_only: false,
        show: Show::Help,
    }
}

use Action as A;
use Context as C;
use KeyCode as K;

const UP: &[(KeyCode, KeyModifiers)] = &[(K::Up, NONE), (K::Char('k'), NONE)];
const DOWN: &[(KeyCode, KeyModifiers)] = &[(K::Down, NONE), (K::Char('j'), NONE)];
const PAGE_UP: &[(KeyCode, KeyModifiers)] = &[(K::PageUp, NONE)];
const PAGE_DOWN: &[(KeyCode, KeyModifiers)] = &[(K::PageDown, NONE), (K::Char(' '), NONE)];
const HELP: &[(KeyCode, KeyModifiers)] = &[(K::Char('?'), NONE), (K::Char('?'), SHIFT)];

pub static KEYMAP: &[Binding] = &[
    help_only(bind(
        C::Global,
        &[(K::Char('c'), CTRL)],
        "Ctrl-C",
        A::Quit,
        "key-short-quit",
        "key-help-quit-now",
    )),
    // Too small: only quitting (and resizing) does anything.
    bind(
        C::TooSmall,
        &[(K::Char('q'), NONE), (K::Esc, NONE)],
        "q",
        A::Quit,
        "key-short-quit",
        "key-help-quit",
    ),
    // Start, empty field: q quits, Esc does nothing (one Esc too many never
    // ends the session).
    bind(
        C::StartEmpty,
        &[(K::Enter, NONE)],
        "Enter",
        A::Submit,
        "key-short-open",
        "key-help-open",
    ),
    bind(
        C::StartEmpty,
        &[(K::Up, NONE)],
        "↑↓",
        A::Up,
        "key-short-pick",
        "key-help-pick",
    ),
    hidden(bind(
        C::StartEmpty,
        &[(K::Down, NONE)],
        "↓",
        A::Down,
        "key-short-pick",
        "key-help-pick",
    )),
    bind(
        C::StartEmpty,
        HELP,
        "?",
        A::Help,
        "key-short-help",
        "key-help-help",
    ),
    bind(
        C::StartEmpty,
        &[(K::Char('q'), NONE)],
        "q",
        A::Quit,
        "key-short-quit",
        "key-help-quit-empty",
    ),
    typing(C::StartEmpty, Keys::IdChar, "a-z 0-9", "key-help-type-id"),
    // Start, something typed: letters go into the field.
    bind(
        C::Start,
        &[(K::Enter, NONE)],
        "Enter",
        A::Submit,
        "key-short-open",
        "key-help-open",
    ),
    bind(
        C::Start,
        &[(K::Up, NONE)],
        "↑↓",
        A::Up,
        "key-short-pick",
        "key-help-pick",
    ),
    hidden(bind(
        C::Start,
        &[(K::Down, NONE)],
        "↓",
        A::Down,
        "key-short-pick",
        "key-help-pick",
    )),
    bind(
        C::Start,
        &[(K::Backspace, NONE)],
        "⌫",
        A::Erase,
        "key-short-erase",
        "key-help-erase",
    ),
    bind(
        C::Start,
        &[(K::Esc, NONE)],
        "Esc",
        A::ClearField,
        "key-short-clear",
        "key-help-clear",
    ),
    bind(
        C::Start,
        HELP,
        "?",
        A::Help,
        "key-short-help",
        "key-help-help",
    ),
    // q goes into the field here: the footer names the way out.
    bind(
        C::Start,
        &[(K::Char('c'), CTRL)],
        "Ctrl-C",
        A::Quit,
        "key-short-quit",
        "key-help-quit-now",
    ),
    typing(C::Start, Keys::IdChar, "a-z 0-9", "key-help-type-id"),
    // Steps.
    bind(
        C::Steps,
        UP,
        "↑↓/jk",
        A::Up,
        "key-short-move",
        "key-help-move",
    ),
    hidden(bind(
        C::Steps,
        DOWN,
        "↓/j",
        A::Down,
        "key-short-move",
        "key-help-move",
    )),
    help_only(bind(
        C::Steps,
        PAGE_DOWN,
        "PgDn/Space",
        A::PageDown,
        "key-short-more",
        "key-help-guide-down",
    )),
    help_only(bind(
        C::Steps,
        PAGE_UP,
        "PgUp",
        A::PageUp,
        "key-short-more",
        "key-help-guide-up",
    )),
    bind(
        C::Steps,
        &[(K::Char('r'), NONE)],
        "r",
        A::Refresh,
        "key-short-refresh",
        "key-help-refresh",
    ),
    bind(
        C::Steps,
        &[(K::Char('w'), NONE)],
        "w",
        A::ToggleWatch,
        "key-short-watch",
        "key-help-watch",
    ),
    demo(bind(
        C::Steps,
        &[(K::Char('s'), NONE)],
        "s",
        A::SimulateCustomer,
        "key-short-act",
        "key-help-act",
    )),
    bind(
        C::Steps,
        &[(K::Char('n'), NONE)],
        "n",
        A::NextStep,
        "key-short-next",
        "key-help-next",
    ),
    help_only(bind(
        C::Steps,
        &[(K::Char('f'), NONE)],
        "f",
        A::CycleFilter,
        "key-short-filter",
        "key-help-filter",
    )),
    bind(
        C::Steps,
        &[(K::Char('R'), SHIFT), (K::Char('R'), NONE)],
        "R",
        A::AskReset,
        "key-short-reset",
        "key-help-reset",
    ),
    bind(
        C::Steps,
        &[(K::Char('e'), NONE)],
        "e",
        A::Explain,
        "key-short-explain",
        "key-help-explain",
    ),
    help_only(bind(
        C::Steps,
        &[(K::Char('o'), NONE)],
        "o",
        A::OpenDoc,
        "key-short-open-guide",
        "key-help-open-guide",
    )),
    help_only(bind(
        C::Steps,
        &[(K::Char('g'), NONE)],
        "g",
        A::ShowQr,
        "key-short-qr",
        "key-help-qr",
    )),
    help_only(bind(
        C::Steps,
        &[(K::Char('x'), NONE)],
        "x",
        A::WriteReport,
        "key-short-report",
        "key-help-report",
    )),
    help_only(bind(
        C::Steps,
        &[(K::Char('L'), SHIFT), (K::Char('L'), NONE)],
        "L",
        A::CycleGuideLang,
        "key-short-guide-lang",
        "key-help-guide-lang",
    )),
    gateway(help_only(bind(
        C::Steps,
        &[(K::Char('i'), NONE)],
        "i",
        A::SignIn,
        "key-short-sign-in",
        "key-help-sign-in",
    ))),
    bind(
        C::Steps,
        HELP,
        "?",
        A::Help,
        "key-short-help",
        "key-help-help",
    ),
    help_only(bind(
        C::Steps,
        &[(K::Esc, NONE)],
        "Esc",
        A::Back,
        "key-short-back",
        "key-help-back",
    )),
    bind(
        C::Steps,
        &[(K::Char('q'), NONE)],
        "q",
        A::Quit,
        "key-short-quit",
        "key-help-quit",
    ),
    // The board.
    bind(
        C::Board,
        UP,
        "↑↓/jk",
        A::Up,
        "key-short-move",
        "key-help-board-move",
    ),
    hidden(bind(
        C::Board,
        DOWN,
        "↓/j",
        A::Down,
        "key-short-move",
        "key-help-board-move",
    )),
    help_only(bind(
        C::Board,
        PAGE_DOWN,
        "PgDn/Space",
        A::PageDown,
        "key-short-page",
        "key-help-page-down",
    )),
    help_only(bind(
        C::Board,
        PAGE_UP,
        "PgUp",
        A::PageUp,
        "key-short-page",
        "key-help-page-up",
    )),
    bind(
        C::Board,
        &[(K::Enter, NONE)],
        "Enter",
        A::OpenVehicle,
        "key-short-open",
        "key-help-board-open",
    ),
    bind(
        C::Board,
        &[(K::Char('/'), NONE)],
        "/",
        A::StartFilter,
        "key-short-filter",
        "key-help-board-filter",
    ),
    bind(
        C::Board,
        &[(K::Char('S'), SHIFT), (K::Char('S'), NONE)],
        "S",
        A::CycleSort,
        "key-short-sort",
        "key-help-board-sort",
    ),
    bind(
        C::Board,
        &[(K::Char('r'), NONE)],
        "r",
        A::Refresh,
        "key-short-refresh",
        "key-help-board-refresh",
    ),
    bind(
        C::Board,
        &[(K::Char('w'), NONE)],
        "w",
        A::ToggleWatch,
        "key-short-live",
        "key-help-board-live",
    ),
    help_only(bind(
        C::Board,
        &[(K::Char('a'), NONE)],
        "a",
        A::AddVehicle,
        "key-short-add",
        "key-help-board-add",
    )),
    help_only(bind(
        C::Board,
        &[(K::Char('d'), NONE), (K::Delete, NONE)],
        "d",
        A::AskRemove,
        "key-short-remove",
        "key-help-board-remove",
    )),
    help_only(bind(
        C::Board,
        &[(K::Esc, NONE)],
        "Esc",
        A::ClearField,
        "key-short-clear",
        "key-help-board-clear",
    )),
    bind(
        C::Board,
        HELP,
        "?",
        A::Help,
        "key-short-help",
        "key-help-help",
    ),
    bind(
        C::Board,
        &[(K::Char('q'), NONE)],
        "q",
        A::Quit,
        "key-short-quit",
        "key-help-quit",
    ),
    // The board's filter.
    bind(
        C::BoardFilter,
        &[(K::Enter, NONE)],
        "Enter",
        A::EndFilter,
        "key-short-keep",
        "key-help-filter-keep",
    ),
    bind(
        C::BoardFilter,
        &[(K::Backspace, NONE)],
        "⌫",
        A::Erase,
        "key-short-erase",
        "key-help-erase",
    ),
    bind(
        C::BoardFilter,
        &[(K::Esc, NONE)],
        "Esc",
        A::ClearField,
        "key-short-clear",
        "key-help-filter-clear",
    ),
    hidden(bind(
        C::BoardFilter,
        &[(K::Up, NONE)],
        "↑",
        A::Up,
        "key-short-move",
        "key-help-board-move",
    )),
    hidden(bind(
        C::BoardFilter,
        &[(K::Down, NONE)],
        "↓",
        A::Down,
        "key-short-move",
        "key-help-board-move",
    )),
    typing(
        C::BoardFilter,
        Keys::Text,
        "a-z 0-9",
        "key-help-type-filter",
    ),
    // Adding a vehicle to the board.
    bind(
        C::BoardAdd,
        &[(K::Enter, NONE)],
        "Enter",
        A::Submit,
        "key-short-add",
        "key-help-add-submit",
    ),
    bind(
        C::BoardAdd,
        &[(K::Backspace, NONE)],
        "⌫",
        A::Erase,
        "key-short-erase",
        "key-help-erase",
    ),
    bind(
        C::BoardAdd,
        &[(K::Esc, NONE)],
        "Esc",
        A::Back,
        "key-short-cancel",
        "key-help-cancel",
    ),
    typing(C::BoardAdd, Keys::IdChar, "a-z 0-9", "key-help-type-id"),
    bind(
        C::ConfirmRemove,
        &[(K::Char('y'), NONE), (K::Char('Y'), SHIFT)],
        "y",
        A::ConfirmRemove,
        "key-short-remove",
        "key-help-remove-now",
    ),
    bind(
        C::ConfirmRemove,
        &[(K::Char('n'), NONE), (K::Esc, NONE)],
        "n/Esc",
        A::Back,
        "key-short-cancel",
        "key-help-cancel",
    ),
    // Overlays.
    bind(
        C::Help,
        &[(K::Down, NONE), (K::Char('j'), NONE)],
        "↑↓",
        A::Down,
        "key-short-scroll",
        "key-help-scroll",
    ),
    hidden(bind(
        C::Help,
        &[(K::Up, NONE), (K::Char('k'), NONE)],
        "↑",
        A::Up,
        "key-short-scroll",
        "key-help-scroll",
    )),
    bind(
        C::Help,
        PAGE_DOWN,
        "PgDn",
        A::PageDown,
        "key-short-page",
        "key-help-page-down",
    ),
    hidden(bind(
        C::Help,
        PAGE_UP,
        "PgUp",
        A::PageUp,
        "key-short-page",
        "key-help-page-up",
    )),
    bind(
        C::Help,
        &[
            (K::Esc, NONE),
            (K::Char('?'), NONE),
            (K::Char('?'), SHIFT),
            (K::Char('q'), NONE),
        ],
        "Esc",
        A::Back,
        "key-short-close",
        "key-help-close-help",
    ),
    bind(
        C::ConfirmReset,
        &[(K::Char('y'), NONE), (K::Char('Y'), SHIFT)],
        "y",
        A::ConfirmReset,
        "key-short-reset-now",
        "key-help-reset-now",
    ),
    bind(
        C::ConfirmReset,
        &[(K::Char('n'), NONE), (K::Esc, NONE)],
        "n/Esc",
        A::Back,
        "key-short-cancel",
        "key-help-cancel",
    ),
    bind(
        C::Explain,
        &[(K::Backspace, NONE)],
        "⌫",
        A::Erase,
        "key-short-erase",
        "key-help-erase",
    ),
    bind(
        C::Explain,
        &[(K::Esc, NONE), (K::Enter, NONE)],
        "Esc",
        A::Back,
        "key-short-close",
        "key-help-close-explain",
    ),
    typing(C::Explain, Keys::CodeChar, "A-Z 0-9", "key-help-type-code"),
    bind(
        C::Qr,
        &[(K::Esc, NONE), (K::Char('g'), NONE), (K::Char('q'), NONE)],
        "Esc",
        A::Back,
        "key-short-close",
        "key-help-close-qr",
    ),
    bind(
        C::Qr,
        &[(K::Char('o'), NONE)],
        "o",
        A::OpenDoc,
        "key-short-open-browser",
        "key-help-open-browser",
    ),
    gateway(bind(
        C::SignIn,
        &[(K::Char('o'), NONE)],
        "o",
        A::OpenSignInPage,
        "key-short-open-browser",
        "key-help-open-sign-in-page",
    )),
    gateway(bind(
        C::SignIn,
        &[(K::Esc, NONE)],
        "Esc",
        A::CancelSignIn,
        "key-short-cancel",
        "key-help-cancel-sign-in",
    )),
];

fn takes(keys: Keys, key: &KeyEvent) -> Option<Option<char>> {
    let plain = !key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match (keys, key.code) {
        (Keys::Exact(list), code) => list.contains(&(code, key.modifiers)).then_some(None),
        // Any printable character goes to the field, which takes what an id
        // may hold and names what it refused (nothing is dropped silently).
        (Keys::IdChar, KeyCode::Char(c)) if plain && !c.is_control() => Some(Some(c)),
        (Keys::Digit, KeyCode::Char(c)) if plain && c.is_ascii_digit() => Some(Some(c)),
        (Keys::Text, KeyCode::Char(c)) if plain && !c.is_control() => Some(Some(c)),
        (Keys::CodeChar, KeyCode::Char(c)) if plain && crate::guidance::is_code_char(c) => {
            Some(Some(c))
        }
        _ => None,
    }
}

/// The action a key stands for in a context. `test_panic` is the opt-in
/// (debug builds, set at start) for the key that proves the terminal is
/// restored on a panic.
pub fn action_for(
    context: Context,
    key: &KeyEvent,
    demo: bool,
    test_panic: bool,
) -> Option<Action> {
    for b in KEYMAP {
        if !(b.context == Context::Global || b.context == context) || !b.offered(demo) {
            continue;
        }
        match takes(b.keys, key) {
            Some(Some(c)) => return Some(Action::Type(c)),
            Some(None) => return Some(b.action),
            None => {}
        }
    }
    test_panic_key(key, test_panic, context)
}

#[cfg(debug_assertions)]
fn test_panic_key(key: &KeyEvent, enabled: bool, context: Context) -> Option<Action> {
    (enabled && context == Context::Steps && key.code == KeyCode::Char('!'))
        .then_some(Action::TestPanic)
}

#[cfg(not(debug_assertions))]
fn test_panic_key(_key: &KeyEvent, _enabled: bool, _context: Context) -> Option<Action> {
    None
}

/// The bindings of a context, for the footer and the help overlay.
pub fn bindings(context: Context, demo: bool) -> impl Iterator<Item = &'static Binding> {
    KEYMAP
        .iter()
        .filter(move |b| b.context == context && b.offered(demo))
}

/// One line of the help overlay.
#[derive(Clone, Copy)]
pub enum HelpLine {
    /// A section heading (a catalogue id).
    Heading(&'static str),
    Key(&'static Binding),
    /// The badge legend (a catalogue id).
    Legend(&'static str),
}

const START: &[Context] = &[Context::StartEmpty, Context::Start];
const STEPS: &[Context] = &[Context::Steps];
const GLOBAL: &[Context] = &[Context::Global];
const BOARD: &[Context] = &[Context::Board];

/// Everything help lists, this screen's keys first: every binding that is
/// shown anywhere, each once, then the badge legend. The board's keys are
/// listed when the wizard has a board.
pub fn help_lines(context: Context, demo: bool, board: bool) -> Vec<HelpLine> {
    let mut screens: Vec<(&str, &[Context])> = match context {
        Context::Start | Context::StartEmpty => vec![
            ("help-section-start", START),
            ("help-section-everywhere", GLOBAL),
            ("help-section-steps", STEPS),
        ],
        Context::Board | Context::BoardFilter | Context::BoardAdd | Context::ConfirmRemove => {
            vec![
                ("help-section-board", BOARD),
                ("help-section-everywhere", GLOBAL),
                ("help-section-steps", STEPS),
            ]
        }
        _ => vec![
            ("help-section-steps", STEPS),
            ("help-section-everywhere", GLOBAL),
            ("help-section-start", START),
        ],
    };
    if board {
        if !screens.iter().any(|(h, _)| *h == "help-section-board") {
            screens.push(("help-section-board", BOARD));
        }
        screens.push(("help-section-board-filter", &[Context::BoardFilter]));
        screens.push(("help-section-board-add", &[Context::BoardAdd]));
        screens.push(("help-section-board-remove", &[Context::ConfirmRemove]));
    }
    let overlays: [(&str, &[Context]); 5] = [
        ("help-section-reset", &[Context::ConfirmReset]),
        ("help-section-explain", &[Context::Explain]),
        ("help-section-qr", &[Context::Qr]),
        ("help-section-sign-in", &[Context::SignIn]),
        ("help-section-help", &[Context::Help]),
    ];
    let mut lines = Vec::new();
    for (heading, contexts) in screens.into_iter().chain(overlays) {
        if contexts.iter().all(|c| bindings(*c, demo).next().is_none()) {
            continue;
        }
        lines.push(HelpLine::Heading(heading));
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for ctx in contexts {
            for b in bindings(*ctx, demo).filter(|b| b.show != Show::Nowhere) {
                if !seen.contains(&(b.label, b.help)) {
                    seen.push((b.label, b.help));
                    lines.push(HelpLine::Key(b));
                }
            }
        }
    }
    lines.push(HelpLine::Heading("help-section-badges"));
    lines.push(HelpLine::Legend("help-legend-badges"));
    lines.push(HelpLine::Legend("help-legend-next"));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn arrows_and_vi_keys_move_both_ways() {
        let on = |c| action_for(Context::Steps, &key(c), false, false);
        assert_eq!(on(K::Char('j')), Some(A::Down));
        assert_eq!(on(K::Char('k')), Some(A::Up));
        assert_eq!(on(K::Up), Some(A::Up));
        assert_eq!(on(K::Down), Some(A::Down));
        assert_eq!(
            action_for(Context::Start, &key(K::Up), false, false),
            Some(A::Up)
        );
    }

    #[test]
    fn demo_keys_only_in_demo_and_ctrl_c_everywhere() {
        assert_eq!(
            action_for(Context::Steps, &key(K::Char('s')), false, false),
            None
        );
        assert_eq!(
            action_for(Context::Steps, &key(K::Char('s')), true, false),
            Some(A::SimulateCustomer)
        );
        let ctrl_c = KeyEvent::new(K::Char('c'), KeyModifiers::CONTROL);
        for ctx in [
            Context::Start,
            Context::StartEmpty,
            Context::Steps,
            Context::Help,
            Context::Explain,
            Context::TooSmall,
        ] {
            assert_eq!(action_for(ctx, &ctrl_c, false, false), Some(A::Quit));
        }
    }

    #[test]
    fn letters_go_into_the_field_and_q_quits_only_an_empty_one() {
        for c in ['q', 'r', 'j', '1', '-'] {
            assert_eq!(
                action_for(Context::Start, &key(K::Char(c)), true, false),
                Some(A::Type(c))
            );
        }
        assert_eq!(
            action_for(Context::StartEmpty, &key(K::Char('q')), true, false),
            Some(A::Quit)
        );
        assert_eq!(
            action_for(Context::StartEmpty, &key(K::Esc), true, false),
            None,
            "Esc on an empty field never ends the session"
        );
        assert_eq!(
            action_for(Context::Start, &key(K::Esc), true, false),
            Some(A::ClearField)
        );
    }

    #[test]
    fn the_explainer_types_letters_digits_and_code_punctuation() {
        for c in ['N', 'o', 'K', ':', '_', '.', '4', 'q', 'e'] {
            assert_eq!(
                action_for(Context::Explain, &key(K::Char(c)), false, false),
                Some(A::Type(c)),
                "{c}"
            );
        }
        let shifted = KeyEvent::new(K::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(
            action_for(Context::Explain, &shifted, false, false),
            Some(A::Type('N'))
        );
        for c in [' ', '-', '/', 'é'] {
            assert_eq!(
                action_for(Context::Explain, &key(K::Char(c)), false, false),
                None,
                "{c:?}"
            );
        }
    }

    #[test]
    fn shift_l_cycles_the_customer_language_on_the_steps_screen() {
        let shifted = KeyEvent::new(K::Char('L'), KeyModifiers::SHIFT);
        assert_eq!(
            action_for(Context::Steps, &shifted, false, false),
            Some(A::CycleGuideLang)
        );
        assert_eq!(
            action_for(Context::Steps, &key(K::Char('L')), false, false),
            Some(A::CycleGuideLang)
        );
    }

    #[test]
    fn a_window_too_small_takes_only_quit() {
        for c in ['R', 'y', 's', 'g', 'r', 'w'] {
            assert_eq!(
                action_for(Context::TooSmall, &key(K::Char(c)), true, false),
                None
            );
        }
        assert_eq!(
            action_for(Context::TooSmall, &key(K::Char('q')), true, false),
            Some(A::Quit)
        );
    }

    #[test]
    fn signing_in_is_offered_on_a_gateway_only() {
        let i = key(K::Char('i'));
        assert_eq!(
            action_for(Context::Steps, &i, false, false),
            Some(A::SignIn)
        );
        assert_eq!(action_for(Context::Steps, &i, true, false), None);
        assert_eq!(
            action_for(Context::SignIn, &key(K::Esc), false, false),
            Some(A::CancelSignIn)
        );
        assert_eq!(
            action_for(Context::SignIn, &key(K::Char('r')), false, false),
            None,
            "the steps screen's keys wait under the overlay"
        );
        let help = |demo| {
            help_lines(Context::Steps, demo, false)
                .iter()
                .any(|l| matches!(l, HelpLine::Key(b) if b.action == A::SignIn))
        };
        assert!(help(false) && !help(true));
    }

    #[test]
    fn the_test_panic_key_needs_its_opt_in() {
        assert_eq!(
            action_for(Context::Steps, &key(K::Char('!')), false, false),
            None
        );
    }

    #[test]
    fn every_binding_has_keys_and_help_in_the_catalogue() {
        for b in KEYMAP {
            assert!(!b.label.is_empty());
            assert!(
                crate::text::has(crate::text::Lang::En, b.help),
                "{}",
                b.help
            );
            assert!(
                crate::text::has(crate::text::Lang::En, b.short),
                "{}",
                b.short
            );
        }
    }
}
