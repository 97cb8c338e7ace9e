//! The steps screen, help and the explainer in all seven languages, at
//! 110×32 and at the 60×16 minimum: snapshots to read by eye, and checks
//! that the badges, the NEXT marker and the main key hints survive every
//! language at every size.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::text::{Lang, message};
use stepwise::wire::decode_list;
use stepwise::wizard::state::{Input, Options, State};
use stepwise::wizard::update::update;

const SIZES: [(u16, u16); 2] = [(110, 32), (60, 16)];

const DOC: &str = r#"{"stepsID":132324,
    "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
    "deviceActivation":{"name":"deviceActivation","status":"todo","order":2},
    "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3}}"#;

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn key(c: char) -> Input {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Input::Key(KeyEvent::new(KeyCode::Char(c), modifiers))
}

fn render(state: &State, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            stepwise::ui::draw(frame, state);
        })
        .unwrap();
    terminal.backend().to_string()
}

/// The steps screen of 987654 with the documentation's example list, in
/// `lang`, sized `width`×`height`.
fn steps_screen(lang: Lang, width: u16, height: u16) -> State {
    let options = Options {
        demo: true,
        backend_label: "demo backend".into(),
        docs_base_url: None,
        gateway_url: "http://127.0.0.1:8080/".into(),
        color: false,
        lang,
        ..Options::default()
    };
    let mut state = stepwise::wizard::loaded(
        options,
        "987654",
        decode_list(DOC.as_bytes()).unwrap(),
        t(0),
    );
    update(&mut state, Input::Resize { width, height }, t(0));
    state
}

fn name(screen: &str, lang: Lang, (w, h): (u16, u16)) -> String {
    format!("{screen}-{lang}@{w}x{h}")
}

/// The last row of a rendered screen: the footer.
fn footer(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

#[test]
fn steps_screen_in_every_language() {
    for lang in Lang::ALL {
        let next = message(*lang, "mark-next", None);
        for size in SIZES {
            let state = steps_screen(*lang, size.0, size.1);
            let screen = render(&state, size.0, size.1);
            // Badges stay readable without colour, NEXT marks the step to do.
            // The badges are the language's words ([FAIT], [OFFEN]), not
            // English, except in English.
            for id in ["badge-done", "badge-todo"] {
                let badge = format!("[{}]", message(*lang, id, None));
                assert!(
                    screen.contains(&badge),
                    "{lang} {size:?}: {badge}\n{screen}"
                );
                let english = format!("[{}]", message(Lang::En, id, None));
                assert!(
                    *lang == Lang::En || !screen.contains(&english),
                    "{lang} {size:?}: {english}\n{screen}"
                );
            }
            assert!(screen.contains(&next), "{lang} {size:?}: {next}\n{screen}");
            // The main actions' hints: act, reset, explain, help and quit
            // at every size (help lists the rest); refresh too where there
            // is room for every key.
            let foot = footer(&screen);
            let mut main = vec![
                ("s", "key-short-act"),
                ("R", "key-short-reset"),
                ("e", "key-short-explain"),
                ("?", "key-short-help"),
                ("q", "key-short-quit"),
            ];
            if size.0 >= 100 {
                main.extend([("r", "key-short-refresh"), ("n", "key-short-next")]);
            }
            for (label, id) in main {
                let hint = format!("{label} {}", message(*lang, id, None));
                assert!(
                    foot.contains(&hint),
                    "{lang} {size:?}: {hint:?} in {foot:?}"
                );
            }
            // The guidance says when more lies below instead of cutting.
            let title = message(*lang, "step-deviceActivation-title", None);
            assert!(screen.contains(&title), "{lang} {size:?}: {title}");
            insta::assert_snapshot!(name("steps", *lang, size), screen);
        }
    }
}

#[test]
fn help_in_every_language() {
    for lang in Lang::ALL {
        for size in SIZES {
            let mut state = steps_screen(*lang, size.0, size.1);
            update(&mut state, key('?'), t(1));
            let screen = render(&state, size.0, size.1);
            assert!(screen.contains(&message(*lang, "help-section-steps", None)));
            insta::assert_snapshot!(name("help", *lang, size), screen);
        }
    }
}

#[test]
fn explainer_in_every_language() {
    for lang in Lang::ALL {
        for size in SIZES {
            let mut state = steps_screen(*lang, size.0, size.1);
            update(&mut state, key('e'), t(1));
            let prompt = render(&state, size.0, size.1);
            insta::assert_snapshot!(name("explain", *lang, size), prompt);
            // Typed as the customer reads it off the phone, in lower case.
            for c in "nok:maxnbtools".chars() {
                update(&mut state, key(c), t(1));
            }
            let screen = render(&state, size.0, size.1);
            let meaning = message(*lang, "client-maxnbtools-meaning", None);
            let first_words: String = meaning.split(' ').take(2).collect::<Vec<_>>().join(" ");
            assert!(
                screen.contains(&first_words),
                "{lang} {size:?}: {first_words}\n{screen}"
            );
            assert!(
                screen.contains("20"),
                "{lang} {size:?}: the SMS limit\n{screen}"
            );
            insta::assert_snapshot!(name("explain-maxnbtools", *lang, size), screen);
        }
    }
}

#[test]
fn shift_l_moves_only_the_customers_guidance_to_another_language() {
    let (w, h) = (110, 32);
    let mut state = steps_screen(Lang::Fr, w, h);
    let before = render(&state, w, h);
    assert!(before.contains("Ce que fait le client"), "{before}");
    assert!(
        !before.contains("client\u{a0}: fr"),
        "no guide language shown while it is the same"
    );
    // fr → de → it → es → nl → pt: five presses.
    for _ in 0..5 {
        update(&mut state, key('L'), t(1));
    }
    assert_eq!(state.guide_lang(), Lang::Pt);
    assert_eq!(state.lang(), Lang::Fr);
    let after = render(&state, w, h);
    // The guidance is Portuguese; the list, header and footer stay French.
    assert!(
        after.contains("O que o cliente faz: Ativação do dispositivo"),
        "{after}"
    );
    assert!(after.contains("client\u{a0}: pt-BR"), "{after}");
    assert!(
        after.contains("Activation de l'appareil"),
        "list title stays French\n{after}"
    );
    assert!(footer(&after).contains("q quitter"), "{after}");
    insta::assert_snapshot!("steps-fr-guide-pt-BR@110x32", after);
    // pt-BR → pt-PT → en → fr: round the whole cycle back to French.
    for _ in 0..3 {
        update(&mut state, key('L'), t(1));
    }
    assert_eq!(state.guide_lang(), Lang::Fr);
    assert_eq!(render(&state, w, h), before);
}

#[test]
fn help_scrolls_to_its_last_line_in_every_language_at_the_smallest_size() {
    for lang in Lang::ALL {
        let mut state = steps_screen(*lang, 60, 16);
        update(&mut state, key('?'), t(1));
        let more = message(*lang, "help-title-more", None);
        assert!(
            render(&state, 60, 16).contains(&more),
            "{lang}: help is longer than a screen"
        );
        for _ in 0..40 {
            update(
                &mut state,
                Input::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)),
                t(1),
            );
        }
        let screen = render(&state, 60, 16);
        assert!(
            !screen.contains(&more),
            "{lang}: the end is reachable\n{screen}"
        );
        let legend = message(*lang, "help-legend-next", None);
        let last_word = legend.split(' ').next_back().unwrap();
        assert!(screen.contains(last_word), "{lang}: {last_word}\n{screen}");
    }
}

#[test]
fn the_start_screen_in_every_language() {
    for lang in Lang::ALL {
        let mut state = State::new(Options {
            lang: *lang,
            color: false,
            ..Options::default()
        });
        update(
            &mut state,
            Input::Resize {
                width: 60,
                height: 16,
            },
            t(0),
        );
        let screen = render(&state, 60, 16);
        let subtitle = message(*lang, "start-subtitle", None);
        assert!(screen.contains(&subtitle), "{lang}: {subtitle}\n{screen}");
        let quit = format!("q {}", message(*lang, "key-short-quit", None));
        assert!(footer(&screen).contains(&quit), "{lang}: {quit}\n{screen}");
    }
}
