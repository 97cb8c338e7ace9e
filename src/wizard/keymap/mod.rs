//! The one keymap: the key handler, the footer and the help overlay are all
//! built from this table, so help can never drift from the real bindings.
//! Text fields are contexts of their own: what a key types is decided here
//! too.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::text::Lang;

/// What a key asks for, whatever the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Quit; with a note not yet in a written report, the first press says
    /// so and the second quits.
    Quit,
    /// Quit at once (Ctrl-C), whatever is unsaved.
    QuitNow,
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
    /// Open the note field (`N`): a note for the session report.
    WriteNote,
    /// Keep the note typed into the report.
    SaveNote,
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
    /// The note field: keys go into the technician's note.
    Note,
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
    /// Yes to a question: `y`, and the yes letter of the user's language
    /// (`key-name-yes`: j in German, o in French, s in Spanish…), either
    /// case. The label is [`YES_LABEL`].
    Yes,
}

/// The label of a [`Keys::Yes`] binding: the footer and help show the
/// language's own yes letter in its place.
pub const YES_LABEL: &str = "y";

/// The letter that answers yes in `lang` (`y` in English); `y` itself
/// answers yes in every language too.
pub fn yes_letter(lang: Lang) -> char {
    let name = crate::text::message(lang, "key-name-yes", None);
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_alphabetic() => c,
        _ => 'y',
    }
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

/// A binding that answers yes ([`Keys::Yes`]).
const fn yes(mut b: Binding) -> Binding {
    b.keys = Keys::Yes;
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

mod help;
mod table;

pub use help::{HELP_WIDTH, HelpRow, help_max_scroll, help_rows, key_label, shown};
use table::BACK_TO_BOARD;
pub use table::KEYMAP;

fn takes(keys: Keys, key: &KeyEvent, lang: Lang) -> Option<Option<char>> {
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
        (Keys::Yes, KeyCode::Char(c)) if plain => {
            let c = c.to_lowercase().next().unwrap_or(c);
            (c == 'y' || c == yes_letter(lang)).then_some(None)
        }
        _ => None,
    }
}

/// The action a key stands for in a context, for a user of `lang` (whose
/// yes letter answers a question). `test_panic` is the opt-in (debug
/// builds, set at start) for the key that proves the terminal is restored
/// on a panic.
pub fn action_for(
    context: Context,
    key: &KeyEvent,
    lang: Lang,
    demo: bool,
    test_panic: bool,
) -> Option<Action> {
    for b in KEYMAP {
        if !(b.context == Context::Global || b.context == context) || !b.offered(demo) {
            continue;
        }
        match takes(b.keys, key, lang) {
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

/// Everything help lists, this screen's keys first: every binding of the
/// screens this run can show (the start screen without a board, the board
/// with one), each once, worded for this run (Esc on the steps screen goes
/// back to the board when there is one), then the badge legend.
pub fn help_lines(context: Context, demo: bool, board: bool) -> Vec<HelpLine> {
    let home: (&str, &[Context]) = if board {
        ("help-section-board", BOARD)
    } else {
        ("help-section-start", START)
    };
    let mut screens: Vec<(&str, &[Context])> = match context {
        Context::Start
        | Context::StartEmpty
        | Context::Board
        | Context::BoardFilter
        | Context::BoardAdd
        | Context::ConfirmRemove => vec![
            home,
            ("help-section-everywhere", GLOBAL),
            ("help-section-steps", STEPS),
        ],
        _ => vec![
            ("help-section-steps", STEPS),
            ("help-section-everywhere", GLOBAL),
            home,
        ],
    };
    if board {
        screens.push(("help-section-board-filter", &[Context::BoardFilter]));
        screens.push(("help-section-board-add", &[Context::BoardAdd]));
        screens.push(("help-section-board-remove", &[Context::ConfirmRemove]));
    }
    let overlays: [(&str, &[Context]); 6] = [
        ("help-section-reset", &[Context::ConfirmReset]),
        ("help-section-explain", &[Context::Explain]),
        ("help-section-qr", &[Context::Qr]),
        ("help-section-sign-in", &[Context::SignIn]),
        ("help-section-note", &[Context::Note]),
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
                let b = if board && b.action == Action::Back && b.context == Context::Steps {
                    &BACK_TO_BOARD
                } else {
                    b
                };
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
mod tests;
