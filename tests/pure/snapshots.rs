//! Snapshots of every screen and overlay, at 110×32 and at the 60×16 minimum,
//! drawn by the pure renderer into ratatui's `TestBackend`.

use std::fmt::Write;
use std::time::{Duration, SystemTime};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::client::GatewayError;
use stepwise::steps::StepsList;
use stepwise::wire::decode_list;
use stepwise::wizard::state::{DemoCar, Input, Msg, OpenFailure, Options, Purpose, State};
use stepwise::wizard::update::{start, update};

const SIZES: [(u16, u16); 2] = [(110, 32), (60, 16)];

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
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

/// Snapshots `state` at both sizes, as `<name>@110x32` and `<name>@60x16`.
fn snap(name: &str, state: &State) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}@{w}x{h}"), render(state, w, h));
    }
}

fn fresh(demo: bool) -> State {
    State::new(fresh_options(demo))
}

fn fresh_options(demo: bool) -> Options {
    Options {
        demo,
        backend_label: if demo {
            "demo backend".into()
        } else {
            "http://127.0.0.1:8080".into()
        },
        docs_base_url: None,
        gateway_url: "http://127.0.0.1:8080/".into(),
        recent: vec!["987654".into()],
        color: false,
        ..Options::default()
    }
}

/// A wizard on the steps screen of 987654 with `body` as the gateway's answer.
fn with_list(body: &str) -> State {
    let options = fresh_options(true);
    stepwise::wizard::loaded(
        options,
        "987654",
        decode_list(body.as_bytes()).unwrap(),
        t(0),
    )
}

const DOC: &str = r#"{"stepsID":132324,
    "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
    "deviceActivation":{"name":"deviceActivation","status":"todo","order":2},
    "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3}}"#;

const READY: &str = r#"{"stepsID":132324,
    "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
    "deviceActivation":{"name":"deviceActivation","status":"alreadyDone","order":2},
    "mediumCarKey":{"name":"mediumCarKey","status":"alreadyDone","order":3}}"#;

#[test]
fn start_screen() {
    let mut state = fresh(true);
    let cars = vec![
        DemoCar {
            id: "111111".into(),
            label: "New customer: nothing done yet".into(),
            progress: None,
            stale_cache: false,
        },
        DemoCar {
            id: "987654".into(),
            label: "Documentation example".into(),
            progress: None,
            stale_cache: false,
        },
    ];
    update(&mut state, Input::Msg(Msg::DemoCars(Ok(cars))), t(0));
    update(&mut state, Input::Paste("98".into()), t(0));
    snap("start", &state);
}

#[test]
fn start_screen_with_an_error() {
    let mut state = fresh(false);
    let effects = start(&mut state, Some("999999".into()), t(0));
    let Some(stepwise::wizard::state::Effect::FetchList { car, id, .. }) = effects
        .iter()
        .find(|e| matches!(e, stepwise::wizard::state::Effect::FetchList { .. }))
        .cloned()
    else {
        panic!("expected the first list request, got {effects:?}");
    };
    let unknown = GatewayError::Rejected {
        status: 404,
        kind: stepwise::client::Rejection::NotFound,
        body: Default::default(),
        retry_after: None,
        proxy: None,
    };
    update(
        &mut state,
        Input::Msg(Msg::Listed {
            car,
            id,
            purpose: Purpose::Open,
            result: Err(unknown),
        }),
        t(1),
    );
    snap("start_error", &state);
}

#[test]
fn steps_screen() {
    snap("steps", &with_list(DOC));
}

/// The NEXT marker's word and "waits for" start in the same column (the
/// marker's own padding put NEXT one to the right).
#[test]
fn next_and_waits_start_in_one_column() {
    const FRESH: &str = r#"{"stepsID":1,
        "a":{"name":"trusterPhoneNumber","status":"todo","order":1},
        "b":{"name":"deviceActivation","status":"todo","order":2}}"#;
    for (w, h) in [(100, 30), (60, 16)] {
        let screen = render(&with_list(FRESH), w, h);
        let column = |word: &str| {
            let line = screen.lines().find(|l| l.contains(word)).unwrap();
            line.chars()
                .collect::<String>()
                .find(word)
                .map(|b| line[..b].chars().count())
        };
        assert_eq!(column("NEXT"), column("waits"), "{screen}");
    }
}

#[test]
fn loading() {
    let mut state = fresh(true);
    start(&mut state, Some("987654".into()), t(0));
    snap("loading", &state);
}

#[test]
fn error_banner_keeps_the_list() {
    let mut state = with_list(DOC);
    let (car, id) = match update(&mut state, Input::Key(key('r')), t(1)).first() {
        Some(stepwise::wizard::state::Effect::FetchList { car, id, .. }) => (car.clone(), *id),
        other => panic!("expected a refresh, got {other:?}"),
    };
    // The system's own words for a refused connection, as this system says
    // them: the banner says them in the reader's language.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let refused = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    let down = GatewayError::Unreachable {
        base: "http://127.0.0.1:8080/".into(),
        detail: refused.to_string(),
    };
    update(
        &mut state,
        Input::Msg(Msg::Listed {
            car,
            id,
            purpose: Purpose::Refresh,
            result: Err(down),
        }),
        t(2),
    );
    snap("error_banner", &state);
}

#[test]
fn empty_list() {
    snap("empty", &with_list(r#"{"stepsID": 5}"#));
}

#[test]
fn unknown_step_and_status() {
    snap(
        "unknown_step",
        &with_list(
            r#"{"stepsID":"A1","trusterPhoneNumber":{"status":"alreadyDone","order":10},
            "faceScan":{"name":"faceScan","status":"pending","order":20},
            "mediumCarKey":{"status":"todo","order":30}}"#,
        ),
    );
}

#[test]
fn all_done() {
    snap("all_done", &with_list(READY));
}

#[test]
fn help_overlay() {
    let mut state = with_list(DOC);
    update(&mut state, Input::Key(key('?')), t(1));
    snap("help", &state);
}

#[test]
fn reset_confirmation() {
    let mut state = with_list(READY);
    update(&mut state, Input::Key(key('R')), t(1));
    snap("confirm_reset", &state);
}

#[test]
fn explainer_known_unknown_and_empty() {
    for (name, code) in [
        ("explain_2312", "2312"),
        ("explain_unknown", "1234"),
        ("explain_empty", ""),
    ] {
        let mut state = with_list(DOC);
        update(&mut state, Input::Key(key('e')), t(1));
        update(&mut state, Input::Paste(code.into()), t(1));
        snap(name, &state);
    }
}

#[test]
fn qr_overlay() {
    let mut state = with_list(DOC);
    update(&mut state, Input::Key(key('g')), t(1));
    snap("qr", &state);
}

#[test]
fn too_small_window() {
    insta::assert_snapshot!("too_small@50x12", render(&with_list(DOC), 50, 12));
}

#[test]
fn hostile_names_are_drawn_clean() {
    let state = with_list(
        r#"{"stepsID":"1\u001b]0;owned\u0007","x":{"name":"evil\u001b[31m\u202eStep","status":"todo","order":1}}"#,
    );
    let screen = render(&state, 110, 32);
    assert!(screen.contains("evilStep"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    )
}

#[test]
fn list_of_many_steps_scrolls_to_the_selection() {
    let mut body = String::from(r#"{"stepsID":9"#);
    for i in 0..30 {
        let status = if i < 25 { "alreadyDone" } else { "todo" };
        let _ = write!(body, r#","s{i:02}":{{"status":"{status}","order":{i}}}"#);
    }
    body.push('}');
    let state = with_list(&body);
    let list: &StepsList = state.session().unwrap().list().unwrap();
    assert_eq!(list.next().unwrap().name, "s25");
    for (w, h) in SIZES {
        let screen = render(&state, w, h);
        // The selected row itself (not the guidance title, which names the
        // step too) is on screen, marked.
        assert!(
            screen.lines().any(|l| l.contains('▶') && l.contains("s25")),
            "the selected NEXT row is visible at {w}x{h}:\n{screen}"
        );
    }
}

#[test]
fn a_long_banner_is_shown_whole() {
    let mut state = with_list(DOC);
    update(
        &mut state,
        Input::Msg(Msg::Opened(Err(OpenFailure::NoGraphicalSession(
            "https://developer.groupe-psa.io/mobile-sdk/security/device-enrollment/".into(),
        )))),
        t(1),
    );
    for (w, h) in SIZES {
        let screen = render(&state, w, h);
        assert!(
            screen.contains("QR") && screen.contains("code."),
            "the banner's end is visible at {w}x{h}:\n{screen}"
        );
    }
}

/// With the gateway's pages offered, the QR code holds the gateway's page
/// of the selected step in the customer's language (decoded from what is
/// drawn), and the demo backend says a phone cannot reach it.
#[test]
fn qr_of_the_gateways_page() {
    let mut state = with_list(DOC);
    update(&mut state, Input::Msg(Msg::PagesOffered(true)), t(1));
    update(&mut state, Input::Key(key('g')), t(1));
    snap("qr_gateway", &state);
    let screen = render(&state, 110, 32);
    assert!(screen.contains("customer's page (en)"), "{screen}");
    assert!(
        screen.contains("Only this machine can open this page"),
        "{screen}"
    );
    assert_eq!(
        decode_qr(&screen),
        "http://127.0.0.1:8080/guidance/deviceActivation?lang=en"
    );
    // Without pages on the gateway the code leads to the archived
    // developers' page, and says so.
    let mut state = with_list(DOC);
    update(&mut state, Input::Msg(Msg::PagesOffered(false)), t(1));
    update(&mut state, Input::Key(key('g')), t(1));
    let screen = render(&state, 110, 32);
    assert!(screen.contains("archived"), "{screen}");
    assert!(decode_qr(&screen).starts_with(
        "https://github.com/Stellantis/stellantis.github.io/blob/2e1e7b18640e00ba98058b9acfcdbd9a6faf13a4/mobile-sdk/2-3-security-device_enrollment.md"
    ));
}

/// At 80×24 the demo's note under the QR code (a phone cannot open the
/// page) is whole, in English and in the longer German and French: the
/// code goes rather than the end of the sentence.
#[test]
fn the_qr_overlay_s_note_is_whole_at_80x24() {
    use stepwise::text::{Lang, message};
    for lang in [Lang::En, Lang::De, Lang::Fr] {
        let options = Options {
            lang,
            ..fresh_options(true)
        };
        let mut state = stepwise::wizard::loaded(
            options,
            "987654",
            decode_list(DOC.as_bytes()).unwrap(),
            t(0),
        );
        update(&mut state, Input::Msg(Msg::PagesOffered(true)), t(1));
        update(&mut state, Input::Key(key('g')), t(1));
        let screen = render(&state, 80, 24);
        let shown = overlay_text(&screen);
        let note = message(lang, "qr-demo-local", None);
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words(&shown).contains(&words(&note)), "{lang}:\n{screen}");
        assert!(
            shown.contains("http://127.0.0.1:8080/guidance/deviceActivation?lang="),
            "{lang}:\n{screen}"
        );
    }
}

/// The text inside the overlay's border (the box whose title starts
/// "Scan", as in English, French and German), its rows joined by spaces.
fn overlay_text(screen: &str) -> String {
    let rows: Vec<Vec<char>> = screen
        .lines()
        .map(|l| l.trim_matches('"').chars().collect())
        .collect();
    let title = ['┌', ' ', 'S', 'c', 'a', 'n'];
    let (top, left) = rows
        .iter()
        .enumerate()
        .find_map(|(y, r)| Some((y, r.windows(title.len()).position(|w| w == title)?)))
        .expect("the overlay's top border");
    let right = left + rows[top][left..].iter().position(|c| *c == '┐').unwrap();
    rows[top + 1..]
        .iter()
        .take_while(|r| r.get(left) != Some(&'└'))
        .map(|r| r[left + 1..right].iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads the QR code drawn with half blocks back into its text: each cell
/// is two modules (top, bottom), light where the block is drawn.
fn decode_qr(screen: &str) -> String {
    let rows: Vec<Vec<char>> = screen
        .lines()
        .map(|l| l.trim_matches('"').chars().collect())
        .collect();
    // The symbol's cells: the widest run of block characters per line.
    let is_block = |c: char| matches!(c, '█' | '▀' | '▄');
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let scale = 4;
    let mut pixels = vec![255u8; width * rows.len() * 2 * scale * scale];
    let img_w = width * scale;
    for (y, row) in rows.iter().enumerate() {
        let has_code = row.iter().filter(|c| is_block(**c)).count() > 10;
        for (x, c) in row.iter().enumerate() {
            let (top, bottom) = match (has_code, *c) {
                (true, '█') => (true, true),
                (true, '▀') => (true, false),
                (true, '▄') => (false, true),
                (true, ' ') => (false, false),
                _ => (true, true),
            };
            for (half, light) in [(0, top), (1, bottom)] {
                let v = if light { 255 } else { 0 };
                for dy in 0..scale {
                    for dx in 0..scale {
                        let py = (y * 2 + half) * scale + dy;
                        pixels[py * img_w + x * scale + dx] = v;
                    }
                }
            }
        }
    }
    let height = rows.len() * 2 * scale;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(img_w, height, |x, y| pixels[y * img_w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on screen:\n{screen}");
    grids[0].decode().expect("the QR code decodes").1
}

/// A gateway that wants a token no one sent: the banner says none was sent,
/// the panel and the footer offer `i`, and nothing says "press r".
#[test]
fn a_401_offers_sign_in_in_the_banner_panel_and_footer() {
    let mut state = fresh(false);
    let effects = start(&mut state, Some("987654".into()), t(0));
    let Some(stepwise::wizard::state::Effect::FetchList { car, id, .. }) = effects
        .iter()
        .find(|e| matches!(e, stepwise::wizard::state::Effect::FetchList { .. }))
        .cloned()
    else {
        panic!("expected the first list request, got {effects:?}");
    };
    update(
        &mut state,
        Input::Msg(Msg::Listed {
            car,
            id,
            purpose: Purpose::Open,
            result: Err(GatewayError::Unauthorized {
                sent: None,
                expired: None,
                said: None,
                through: None,
            }),
        }),
        t(1),
    );
    let screen = render(&state, 110, 32);
    assert!(screen.contains("none was sent"), "{screen}");
    assert!(screen.contains("Press i to sign in"), "{screen}");
    // Whether this gateway offers sign-in is not known yet: the words do
    // not promise it, and name the fixed token's way too.
    assert!(screen.contains("if it offers sign-in"), "{screen}");
    assert!(!screen.contains("press r"), "{screen}");
    let footer = screen
        .lines()
        .rfind(|l| l.contains("? help"))
        .unwrap_or_default();
    assert!(footer.contains("i sign in"), "{footer}");
}

/// An error longer than a small window can hold says on its border that
/// it goes on, rather than ending mid-sentence as if that were the advice;
/// where it fits, no such mark.
#[test]
fn a_banner_cut_by_a_small_window_says_it_goes_on() {
    let mut state = with_list(DOC);
    let (car, id) = match update(&mut state, Input::Key(key('r')), t(1)).first() {
        Some(stepwise::wizard::state::Effect::FetchList { car, id, .. }) => (car.clone(), *id),
        other => panic!("expected a refresh, got {other:?}"),
    };
    let said = "user is not the owner of this vehicle, and the account was locked after \
                too many attempts from several devices; the customer must call the \
                hotline before any new activation can be made, which may take a day";
    let refused = GatewayError::Rejected {
        status: 403,
        kind: stepwise::client::Rejection::Forbidden,
        body: stepwise::wire::ErrorBody::new(Some(2323), said),
        retry_after: None,
        proxy: None,
    };
    update(
        &mut state,
        Input::Msg(Msg::Listed {
            car,
            id,
            purpose: Purpose::Refresh,
            result: Err(refused),
        }),
        t(2),
    );
    let small = render(&state, 60, 16);
    assert!(small.contains("… more: ? shows it all"), "{small}");
    // `?` shows the message whole, first in help (stranger 43, AR15).
    update(&mut state, Input::Key(key('?')), t(3));
    let help = render(&state, 60, 16);
    assert!(help.contains("The message on screen, in full"), "{help}");
    let rows = stepwise::wizard::keymap::help_rows(&state, 60);
    let whole: Vec<String> = rows
        .iter()
        .take_while(|r| !matches!(r, stepwise::wizard::keymap::HelpRow::Key(..)))
        .filter_map(|r| match r {
            stepwise::wizard::keymap::HelpRow::Text(t) => Some(t.trim().to_owned()),
            _ => None,
        })
        .collect();
    let whole = whole.join(" ");
    let text = state.session().unwrap().banner().unwrap().text.clone();
    let last_words: String = text
        .split_whitespace()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        whole
            .split_whitespace()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ")
            == last_words,
        "{whole}"
    );
    let large = render(&state, 140, 45);
    assert!(!large.contains("… more:"), "{large}");
}
