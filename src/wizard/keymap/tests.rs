use super::*;
use Action as A;
use KeyCode as K;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn arrows_and_vi_keys_move_both_ways() {
    let on = |c| action_for(Context::Steps, &key(c), Lang::En, false, false);
    assert_eq!(on(K::Char('j')), Some(A::Down));
    assert_eq!(on(K::Char('k')), Some(A::Up));
    assert_eq!(on(K::Up), Some(A::Up));
    assert_eq!(on(K::Down), Some(A::Down));
    assert_eq!(
        action_for(Context::Start, &key(K::Up), Lang::En, false, false),
        Some(A::Up)
    );
}

#[test]
fn demo_keys_only_in_demo_and_ctrl_c_everywhere() {
    // On a gateway `s` only says where the customer is played (hidden).
    assert_eq!(
        action_for(Context::Steps, &key(K::Char('s')), Lang::En, false, false),
        Some(A::SimulateCustomer)
    );
    assert_eq!(
        action_for(Context::Steps, &key(K::Char('s')), Lang::En, true, false),
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
        assert_eq!(
            action_for(ctx, &ctrl_c, Lang::En, false, false),
            Some(A::QuitNow)
        );
    }
}

#[test]
fn letters_go_into_the_field_and_q_quits_only_an_empty_one() {
    for c in ['q', 'r', 'j', '1', '-'] {
        assert_eq!(
            action_for(Context::Start, &key(K::Char(c)), Lang::En, true, false),
            Some(A::Type(c))
        );
    }
    assert_eq!(
        action_for(
            Context::StartEmpty,
            &key(K::Char('q')),
            Lang::En,
            true,
            false
        ),
        Some(A::Quit)
    );
    assert_eq!(
        action_for(Context::StartEmpty, &key(K::Esc), Lang::En, true, false),
        None,
        "Esc on an empty field never ends the session"
    );
    assert_eq!(
        action_for(Context::Start, &key(K::Esc), Lang::En, true, false),
        Some(A::ClearField)
    );
}

#[test]
fn the_explainer_types_letters_digits_and_code_punctuation() {
    for c in ['N', 'o', 'K', ':', '_', '.', '4', 'q', 'e', ' ', '-'] {
        assert_eq!(
            action_for(Context::Explain, &key(K::Char(c)), Lang::En, false, false),
            Some(A::Type(c)),
            "{c}"
        );
    }
    let shifted = KeyEvent::new(K::Char('N'), KeyModifiers::SHIFT);
    assert_eq!(
        action_for(Context::Explain, &shifted, Lang::En, false, false),
        Some(A::Type('N'))
    );
    for c in ['/', 'é'] {
        assert_eq!(
            action_for(Context::Explain, &key(K::Char(c)), Lang::En, false, false),
            None,
            "{c:?}"
        );
    }
}

#[test]
fn shift_l_cycles_the_customer_language_on_the_steps_screen() {
    let shifted = KeyEvent::new(K::Char('L'), KeyModifiers::SHIFT);
    assert_eq!(
        action_for(Context::Steps, &shifted, Lang::En, false, false),
        Some(A::CycleGuideLang)
    );
    assert_eq!(
        action_for(Context::Steps, &key(K::Char('L')), Lang::En, false, false),
        Some(A::CycleGuideLang)
    );
}

#[test]
fn a_window_too_small_takes_only_quit() {
    for c in ['R', 'y', 's', 'g', 'r', 'w'] {
        assert_eq!(
            action_for(Context::TooSmall, &key(K::Char(c)), Lang::En, true, false),
            None
        );
    }
    assert_eq!(
        action_for(Context::TooSmall, &key(K::Char('q')), Lang::En, true, false),
        Some(A::Quit)
    );
}

#[test]
fn signing_in_is_offered_on_a_gateway_only() {
    let i = key(K::Char('i'));
    assert_eq!(
        action_for(Context::Steps, &i, Lang::En, false, false),
        Some(A::SignIn)
    );
    assert_eq!(action_for(Context::Steps, &i, Lang::En, true, false), None);
    assert_eq!(
        action_for(Context::SignIn, &key(K::Esc), Lang::En, false, false),
        Some(A::CancelSignIn)
    );
    assert_eq!(
        action_for(Context::SignIn, &key(K::Char('r')), Lang::En, false, false),
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
        action_for(Context::Steps, &key(K::Char('!')), Lang::En, false, false),
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

#[test]
fn help_is_the_help_of_the_screens_this_run_shows() {
    let helps = |context, board| -> Vec<&'static str> {
        help_lines(context, false, board)
            .iter()
            .filter_map(|l| match l {
                HelpLine::Key(b) => Some(b.help),
                _ => None,
            })
            .collect()
    };
    for context in [Context::Board, Context::Steps] {
        let board = helps(context, true);
        assert!(board.contains(&"key-help-back-board"), "{context:?}");
        assert!(!board.contains(&"key-help-back"), "{context:?}: {board:?}");
        assert!(!board.contains(&"key-help-open"), "no start screen here");
        // On the board no vehicle is open: its words say every refused
        // vehicle asks again, not "without leaving this vehicle".
        let sign_in = match context {
            Context::Board => "key-help-board-sign-in",
            _ => "key-help-sign-in",
        };
        assert!(board.contains(&sign_in), "i on the board too: {context:?}");
        assert!(board.contains(&"key-help-note"));
    }
    let single = helps(Context::Steps, false);
    assert!(single.contains(&"key-help-back") && !single.contains(&"key-help-back-board"));
    assert_eq!(
        action_for(Context::Board, &key(K::Char('i')), Lang::En, false, false),
        Some(A::SignIn)
    );
    let shifted = KeyEvent::new(K::Char('N'), KeyModifiers::SHIFT);
    for context in [Context::Board, Context::Steps] {
        assert_eq!(
            action_for(context, &shifted, Lang::En, false, false),
            Some(A::WriteNote)
        );
    }
}
