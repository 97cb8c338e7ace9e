//! The wizard's pure update: key and message sequences in, state and effects
//! out, with no terminal and no network.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::auth::AuthError;
use stepwise::auth::store::Place;
use stepwise::client::live::{LiveUpdate, Mode};
use stepwise::client::{GatewayError, Lookup, Rejection};
use stepwise::steps::{StatusFilter, StepsList};
use stepwise::wire::{ErrorBody, decode_list};
use stepwise::wizard::session::VehicleSession;
use stepwise::wizard::start::FieldNotice;
use stepwise::wizard::state::{
    BannerKind, DemoCar, Effect, Input, Msg, Options, Overlay, Purpose, ReportTrouble, Screen,
    SignInPrompt, SignedIn, State,
};
use stepwise::wizard::update::{start, update};

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn state(demo: bool) -> State {
    state_in(demo, stepwise::text::Lang::En)
}

fn state_in(demo: bool, lang: stepwise::text::Lang) -> State {
    State::new(Options {
        demo,
        lang,
        backend_label: "test".into(),
        docs_base_url: Some("https://docs.example".into()),
        data_dir: Some("/data".into()),
        color: false,
        ..Options::default()
    })
}

/// The vehicle session of a wizard that has one.
fn session(s: &State) -> &VehicleSession {
    s.session().expect("a vehicle session")
}

fn list(statuses: [&str; 3]) -> StepsList {
    let body = format!(
        r#"{{"stepsID":132324,
        "trusterPhoneNumber":{{"name":"trusterPhoneNumber","status":"{}","order":1}},
        "deviceActivation":{{"name":"deviceActivation","status":"{}","order":2}},
        "mediumCarKey":{{"name":"mediumCarKey","status":"{}","order":3}}}}"#,
        statuses[0], statuses[1], statuses[2]
    );
    decode_list(body.as_bytes()).unwrap()
}

fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    let modifiers = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    update(state, Input::Key(KeyEvent::new(code, modifiers)), t(0))
}

fn ch(state: &mut State, c: char) -> Vec<Effect> {
    key(state, KeyCode::Char(c))
}

/// The one list request among effects: (id, lookup, reset, purpose).
fn fetched(effects: &[Effect]) -> (u64, Lookup, bool, Purpose) {
    let found: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::FetchList {
                id,
                request,
                purpose,
                ..
            } => Some((*id, request.lookup.clone(), request.reset, *purpose)),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "expected one list request in {effects:?}");
    found[0].clone()
}

fn answer(
    state: &mut State,
    id: u64,
    purpose: Purpose,
    result: Result<StepsList, GatewayError>,
    at: u64,
) -> Vec<Effect> {
    update(
        state,
        Input::Msg(Msg::Listed {
            car: "987654".into(),
            id,
            purpose,
            result,
        }),
        t(at),
    )
}

/// `n` pressed on `state`, and its request answered `result` at `at`:
/// the effects of that answer.
fn next_answered(
    state: &mut State,
    result: Result<Option<stepwise::steps::Step>, GatewayError>,
    at: u64,
) -> Vec<Effect> {
    let Some(Effect::FetchNext { id, .. }) = ch(state, 'n').first().cloned() else {
        panic!("expected a next-step request");
    };
    let msg = Msg::Next {
        car: "987654".into(),
        id,
        result,
    };
    update(state, Input::Msg(msg), t(at))
}

/// A wizard opened on 987654 with the documentation's list on screen.
fn opened(statuses: [&str; 3]) -> State {
    opened_in(stepwise::text::Lang::En, statuses)
}

fn opened_in(lang: stepwise::text::Lang, statuses: [&str; 3]) -> State {
    let mut s = state_in(true, lang);
    let effects = start(&mut s, Some("987654".into()), t(0));
    let (id, lookup, _, purpose) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    answer(&mut s, id, purpose, Ok(list(statuses)), 0);
    s
}

/// The one follower started among effects: (id, stepsID).
fn followed(effects: &[Effect]) -> (u64, String) {
    let found: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Follow { car, id, steps_id } => {
                assert_eq!(car, "987654");
                Some((*id, steps_id.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "expected one follower in {effects:?}");
    found[0].clone()
}

fn unfollow() -> Effect {
    Effect::Unfollow {
        car: "987654".into(),
    }
}

/// An update of follower `id` of 987654.
fn live(state: &mut State, id: u64, update_: LiveUpdate, at: u64) -> Vec<Effect> {
    update(
        state,
        Input::Msg(Msg::Live {
            car: "987654".into(),
            id,
            update: update_,
        }),
        t(at),
    )
}

/// The screen as drawn at 110×32.
fn render(state: &State) -> String {
    render_at(state, 110, 32)
}

/// The screen as drawn at `width`×`height`.
fn render_at(state: &State, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            stepwise::ui::draw(frame, state);
        })
        .unwrap();
    terminal.backend().to_string()
}

fn rejected(status: u16, kind: Rejection) -> GatewayError {
    GatewayError::Rejected {
        status,
        kind,
        body: ErrorBody::default(),
        retry_after: None,
        proxy: None,
    }
}

#[test]
fn first_list_is_by_car_and_selects_next() {
    let s = opened(["alreadyDone", "todo", "todo"]);
    assert_eq!(*s.screen(), Screen::Steps);
    assert_eq!(session(&s).steps_id(), Some("132324"));
    assert_eq!(
        session(&s).selected_step().unwrap().name,
        "deviceActivation"
    );
    assert!(!s.is_loading());
}

#[test]
fn start_screen_takes_typed_and_pasted_ids() {
    let mut s = state(false);
    for c in "98".chars() {
        assert!(ch(&mut s, c).is_empty(), "typing an id fires nothing");
    }
    update(&mut s, Input::Paste("  7654 \n".into()), t(0));
    assert_eq!(s.start_field().unwrap().input(), "987654");
    let effects = key(&mut s, KeyCode::Enter);
    let (id, lookup, _, purpose) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    // The id is remembered once it opened a list, not before.
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::RememberId { .. }))
    );
    let effects = answer(&mut s, id, purpose, Ok(list(["todo", "todo", "todo"])), 1);
    assert_eq!(
        effects,
        vec![Effect::RememberId {
            data_dir: "/data".into(),
            id: "987654".into()
        }]
    );
}

#[test]
fn an_empty_id_is_refused_with_a_message() {
    let mut s = state(false);
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(s.start_field().is_some());
    assert_eq!(
        s.start_field().unwrap().notice(),
        Some(&FieldNotice::NotAnId)
    );
}

#[test]
fn refresh_uses_the_steps_id() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (_, lookup, reset, purpose) = fetched(&ch(&mut s, 'r'));
    assert_eq!(lookup, Lookup::StepsId("132324".into()));
    assert!(!reset);
    assert_eq!(purpose, Purpose::Refresh);
}

#[test]
fn reset_happens_only_after_y() {
    let mut s = opened(["alreadyDone", "alreadyDone", "alreadyDone"]);
    assert!(ch(&mut s, 'R').is_empty());
    assert_eq!(s.overlay(), Some(&Overlay::ConfirmReset));
    assert!(ch(&mut s, 'n').is_empty(), "n cancels");
    assert_eq!(s.overlay(), None);
    ch(&mut s, 'R');
    assert!(key(&mut s, KeyCode::Esc).is_empty(), "Esc cancels");
    ch(&mut s, 'R');
    let (id, lookup, reset, purpose) = fetched(&ch(&mut s, 'y'));
    assert!(reset);
    assert_eq!(lookup, Lookup::StepsId("132324".into()));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "alreadyDone"])),
        5,
    );
    assert_eq!(
        session(&s).selected_step().unwrap().name,
        "deviceActivation"
    );
    assert_eq!(session(&s).banner().unwrap().title, "Steps cache reset");
}

/// Words from before the wizard began are said on its first screen: under
/// the start screen's field as no fault, or in the board's banner.
#[test]
fn words_from_the_launch_are_said_on_the_first_screen() {
    use stepwise::wizard::start::FieldNotice;
    let notes = vec!["Demo started afresh.".to_owned(), "Twice: 1.".to_owned()];
    let mut s = state_in(true, stepwise::text::Lang::En);
    start(&mut s, None, t(0));
    stepwise::wizard::update::say_first(&mut s, &notes);
    assert_eq!(
        s.start_field().unwrap().notice(),
        Some(&FieldNotice::Info("Demo started afresh. Twice: 1.".into()))
    );
    let mut b = state_in(true, stepwise::text::Lang::En);
    stepwise::wizard::update::start_board(&mut b, vec!["1".into(), "2".into()], t(0));
    stepwise::wizard::update::say_first(&mut b, &notes);
    let banner = b.board().unwrap().banner().unwrap();
    assert_eq!(banner.text, "Demo started afresh. Twice: 1.");
    assert_eq!(banner.kind, stepwise::wizard::state::BannerKind::Info);
}

/// The report keeps what the technician chose: the status filter (back
/// to all too), watch on and off, the customer's guidance language.
#[test]
fn the_report_keeps_filter_watch_and_guidance_language_changes() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'f');
    ch(&mut s, 'f');
    ch(&mut s, 'f');
    ch(&mut s, 'w');
    ch(&mut s, 'w');
    ch(&mut s, 'L');
    let effects = ch(&mut s, 'x');
    let Some(Effect::WriteReport { report, .. }) = effects.first() else {
        panic!("x writes the report: {effects:?}");
    };
    let md = report.to_markdown();
    for said in [
        "status filter chosen: todo",
        "status filter chosen: alreadyDone",
        "status filter chosen: all",
        "watch turned on",
        "watch turned off",
        "the customer's guidance switched to fr",
    ] {
        assert!(md.contains(said), "{said}: {md}");
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let entries = json["vehicles"][0]["entries"].as_array().unwrap();
    let has = |kind: &str, key: &str, value: serde_json::Value| {
        entries.iter().any(|e| e["kind"] == kind && e[key] == value)
    };
    assert!(has("filterChosen", "stepsStatus", "all".into()), "{json}");
    assert!(has("watch", "on", false.into()), "{json}");
    assert!(has("guideLanguage", "lang", "fr".into()), "{json}");
}

/// Watch that stops by itself on an answer asking again would not change
/// is said so in the report (Markdown and JSON), as `w` off is: a reader
/// does not conclude that watch stayed on (stranger 60, BI11).
#[test]
fn the_report_keeps_watch_stopping_by_itself() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let refused = rejected(400, Rejection::BadRequest);
    live(&mut s, f, follower_ended(refused), 2);
    assert!(!session(&s).watch());
    let md = s.report().to_markdown();
    assert!(md.contains("watch turned on"), "{md}");
    assert!(md.contains("watch stopped by itself: "), "{md}");
    let json: serde_json::Value = serde_json::from_str(&s.report().to_json()).unwrap();
    let entries = json["vehicles"][0]["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["kind"] == "watchStopped"),
        "{json}"
    );
}

/// A demo vehicle labelled "Stale cache" keeps no such label once its
/// cache was reset (and a reset that failed changes nothing); other demo
/// vehicles keep theirs.
#[test]
fn a_stale_demo_vehicle_reset_in_this_run_is_labelled_so() {
    let mut s = opened(["alreadyDone", "alreadyDone", "alreadyDone"]);
    let demo = |id: &str, label: &str, stale: bool| DemoCar {
        id: id.into(),
        label: label.into(),
        progress: None,
        stale_cache: stale,
    };
    let cars = vec![
        demo("987654", "Stale cache", true),
        demo("111111", "New customer", false),
    ];
    update(&mut s, Input::Msg(Msg::DemoCars(Ok(cars))), t(1));
    let label = |s: &State, id: &str| {
        let car = s.demo_cars().iter().find(|c| c.id == id).unwrap();
        car.label.clone()
    };
    let stale = label(&s, "987654");
    ch(&mut s, 'R');
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'y'));
    let down = GatewayError::Transport("cut".into());
    answer(&mut s, id, purpose, Err(down), 2);
    assert_eq!(label(&s, "987654"), stale, "a failed reset changes nothing");
    ch(&mut s, 'R');
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'y'));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        3,
    );
    let after = label(&s, "987654");
    assert_eq!(
        after,
        stepwise::text::message(stepwise::text::Lang::En, "demo-car-reset-done", None)
    );
    assert!(!after.contains("Stale"), "{after}");
    assert_eq!(label(&s, "111111"), "New customer");
}

/// The reset question takes the user's own yes letter (j in German, o in
/// French, s in Spanish, Italian and Portuguese) as well as `y`, in either
/// case; another language's yes letter is not an answer.
#[test]
fn reset_takes_the_languages_own_yes_letter_as_well_as_y() {
    use stepwise::text::{Lang, message};
    let yes = [
        (Lang::En, 'y', 'j'),
        (Lang::Fr, 'o', 's'),
        (Lang::De, 'j', 's'),
        (Lang::It, 's', 'j'),
        (Lang::Es, 's', 'o'),
        (Lang::Nl, 'j', 'o'),
        (Lang::Pt, 's', 'j'),
        (Lang::PtPt, 's', 'o'),
    ];
    for (lang, letter, other) in yes {
        assert_eq!(message(lang, "key-name-yes", None), letter.to_string());
        for pressed in [letter, letter.to_ascii_uppercase(), 'y', 'Y'] {
            let mut s = opened_in(lang, ["alreadyDone", "todo", "todo"]);
            ch(&mut s, 'R');
            assert!(ch(&mut s, other).is_empty(), "{lang}: {other} is no answer");
            assert_eq!(s.overlay(), Some(&Overlay::ConfirmReset), "{lang}");
            let (_, _, reset, _) = fetched(&ch(&mut s, pressed));
            assert!(reset, "{lang}: {pressed}");
            assert_eq!(s.overlay(), None, "{lang}: {pressed}");
        }
    }
}

#[test]
fn watch_announces_a_step_that_turned_done_and_moves_the_highlight() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let effects = ch(&mut s, 'w');
    assert!(session(&s).watch());
    // With a stepsID, watch follows it: no list request, no timer.
    let (f, steps_id) = followed(&effects);
    assert_eq!(steps_id, "132324");
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::FetchList { .. }))
    );
    assert!(!s.watch_timer(), "a followed list needs no timer");
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "todo", "todo"])),
        3,
    );
    // The technician looks at step 3; a quiet list leaves that alone.
    ch(&mut s, 'j');
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "todo", "todo"])),
        6,
    );
    assert_eq!(session(&s).selected(), 2);
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "alreadyDone", "todo"])),
        9,
    );
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.kind, BannerKind::Success);
    assert_eq!(banner.title, "Device activation is done");
    assert!(banner.text.contains("CarKey check"), "{banner:?}");
    assert_eq!(session(&s).selected_step().unwrap().name, "mediumCarKey");
    assert!(session(&s).watch(), "steps remain");
    let md = session(&s).log().to_markdown();
    assert!(md.contains("deviceActivation`: todo → alreadyDone"), "{md}");
    // Back to todo (a reset elsewhere): said over the "done" banner, which
    // no longer holds (stranger 43, AR2).
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["todo", "todo", "todo"])),
        12,
    );
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.kind, BannerKind::Info);
    assert_eq!(
        banner.title,
        "Trusted phone number, Device activation are no longer done"
    );
    // Two steps are "them" (stranger 69, BR2).
    assert!(
        banner.text.contains("has them to do again") && banner.text.contains("does them again"),
        "{banner:?}"
    );
}

/// Watch on a vehicle whose list fails with a passing error (a 500): watch
/// asks again by itself, so the header says "retrying" and the banner says
/// so, never "retry in a minute" as if the technician had to.
#[test]
fn watch_retrying_a_failed_list_says_so_in_the_header_and_the_banner() {
    let failure = rejected(500, Rejection::ServerFailure);
    let mut s = refused_with(state(false), failure.clone());
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'w'));
    answer(&mut s, id, purpose, Err(failure), 2);
    assert!(session(&s).watch());
    let screen = render(&s);
    assert!(screen.contains("watch ON · retrying"), "{screen}");
    let banner = session(&s).banner().unwrap();
    assert!(
        banner.text.contains("Watch asks again by itself")
            && !banner.text.contains("Retry in a minute"),
        "{banner:?}"
    );
    // The list comes: no longer retrying.
    let (id, _, _, purpose) = fetched(&update(&mut s, Input::WatchTick, t(5)));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        6,
    );
    assert!(!render(&s).contains("retrying"));
}

/// A failure whose answer asked a wait (a 503 with `Retry-After: 120`):
/// watch does not ask again before it ends, as its words say; then it does
/// (stranger 61, BJ13).
#[test]
fn watch_keeps_the_wait_a_failure_asked() {
    let failure = GatewayError::Rejected {
        status: 503,
        kind: Rejection::ServerFailure,
        body: ErrorBody::new(None, "maintenance"),
        retry_after: Some(Duration::from_secs(120)),
        proxy: None,
    };
    let mut s = refused_with(state(false), failure.clone());
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'w'));
    answer(&mut s, id, purpose, Err(failure), 2);
    let banner = session(&s).banner().unwrap();
    assert!(banner.text.contains("after the 120 s"), "{banner:?}");
    for at in [5, 30, 121] {
        assert!(
            update(&mut s, Input::WatchTick, t(at)).is_empty(),
            "asked at {at} s, within the wait"
        );
    }
    // The panel does not send to r while the wait lasts (stranger 65, BN6).
    let screen = render(&s);
    assert!(screen.contains("the gateway asked to wait"), "{screen}");
    assert!(!screen.contains("press r to ask again"), "{screen}");
    let (id, _, _, purpose) = fetched(&update(&mut s, Input::WatchTick, t(123)));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        124,
    );
    assert!(session(&s).list().is_some());
}

/// A 429 asking longer than stepwise waits (two hours): the banner says
/// the wait applied beside the one asked, as the header counts it, never
/// "Wait 7200 s" alone over a countdown of an hour (stranger 79, CB1).
#[test]
fn a_429_past_the_hour_says_the_wait_applied() {
    let limited = GatewayError::Rejected {
        status: 429,
        kind: Rejection::TooManyRequests,
        body: ErrorBody::default(),
        retry_after: Some(Duration::from_secs(7200)),
        proxy: None,
    };
    let s = refused_with(state(false), limited);
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner
            .text
            .contains("Wait 7200 s (the answer's Retry-After)")
            && banner
                .text
                .contains("stepwise waits at most 3600 s: it asks again then"),
        "{banner:?}"
    );
}

/// Watch on a vehicle whose list waits out an asked wait (a 429's
/// `Retry-After`, a renewal the identity provider holds): the banner says
/// watch asks again after that wait, never "r asks now" (a request sooner
/// is held or refused again).
#[test]
fn watch_waiting_out_an_asked_wait_does_not_offer_r() {
    let limited = GatewayError::Rejected {
        status: 429,
        kind: Rejection::TooManyRequests,
        body: ErrorBody::default(),
        retry_after: Some(Duration::from_secs(300)),
        proxy: None,
    };
    let held = GatewayError::Auth(AuthError::Provider(
        stepwise::auth::ProviderProblem::RefreshFailed {
            said: "HTTP 503".into(),
            wait: Some(300),
        },
    ));
    for failure in [limited, held] {
        let mut s = refused_with(state(false), rejected(500, Rejection::ServerFailure));
        let (id, _, _, purpose) = fetched(&ch(&mut s, 'w'));
        answer(&mut s, id, purpose, Err(failure.clone()), 2);
        assert!(session(&s).watch(), "{failure:?}");
        let banner = session(&s).banner().unwrap();
        // The gateway's own wait is named (stranger 44, AS11).
        let named = matches!(failure, GatewayError::Rejected { .. });
        assert!(
            (banner.text.contains("asks again by itself after that wait")
                || (named
                    && banner
                        .text
                        .contains("after the 300 s the gateway asked to wait")))
                && !banner.text.contains("r asks now"),
            "{banner:?}"
        );
        assert_eq!(
            banner.text.contains("300 s the gateway"),
            named,
            "{banner:?}"
        );
    }
}

/// Advice to change a proxy variable says that a running wizard reads it
/// only when it starts: `r` or `i` after changing it would fail the same.
#[test]
fn advice_to_change_a_proxy_variable_says_to_start_again() {
    let proxy = GatewayError::Proxy {
        proxy: "http://127.0.0.1:3128".into(),
        from: "HTTP_PROXY",
        status: 407,
        said: String::new(),
        credentials: false,
        asks_password: true,
        retry_after: None,
    };
    let s = refused_with(state(false), proxy);
    let flat = render_at(&s, 120, 40)
        .replace(['│', '"'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("user:password@")
            && flat.contains("A running stepwise reads the proxy variables when it starts: quit (q) and start it again"),
        "{flat}"
    );
}

/// Several steps that turned done at once are said in the plural.
#[test]
fn steps_done_together_are_said_in_the_plural() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(&mut s, f, LiveUpdate::List(list(["alreadyDone"; 3])), 3);
    assert_eq!(
        session(&s).banner().unwrap().title,
        "Device activation, CarKey check are done"
    );
}

#[test]
fn watch_stops_when_every_step_is_done() {
    let mut s = opened(["alreadyDone", "alreadyDone", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let effects = live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "alreadyDone", "alreadyDone"])),
        3,
    );
    assert!(!session(&s).watch());
    assert!(session(&s).all_done());
    assert_eq!(effects, [unfollow()], "ready stops the follower");
    assert!(update(&mut s, Input::WatchTick, t(6)).is_empty());
    // A late update of the stopped follower changes nothing.
    let before = render(&s);
    let late = live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "todo", "todo"])),
        7,
    );
    assert!(late.is_empty(), "{late:?}");
    assert_eq!(render(&s), before);
}

#[test]
fn a_403_on_refresh_starts_over_with_the_car_association_id() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let effects = answer(
        &mut s,
        id,
        purpose,
        Err(rejected(403, Rejection::WrongDevice)),
        1,
    );
    let (id2, lookup, _, purpose2) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    assert_eq!(session(&s).steps_id(), None);
    let mut fresh = list(["alreadyDone", "todo", "todo"]);
    fresh.steps_id = Some("700009".into());
    answer(&mut s, id2, purpose2, Ok(fresh), 2);
    assert_eq!(session(&s).steps_id(), Some("700009"));
}

/// A refresh by stepsID answered with another stepsID's list (the gateway
/// started the vehicle over, or a cache mixed answers up): asked again by
/// carAssociationID, never "retry" on the same call in a loop (stranger
/// 44, AS7).
#[test]
fn another_steps_id_s_list_starts_over_by_car() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let foreign = GatewayError::ForeignList {
        asked: "132324".into(),
        answered: "999".into(),
        next: false,
    };
    let effects = answer(&mut s, id, purpose, Err(foreign), 1);
    let (id2, lookup, _, purpose2) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    let banner = session(&s).banner().cloned().unwrap();
    assert!(
        banner.text.contains("answered the list of another stepsID"),
        "{banner:?}"
    );
    // The report says a list of another stepsID came, never that a live
    // stream refused it (stranger 45, AT1).
    let md = session(&s).log().to_markdown();
    assert!(
        md.contains("the gateway answered the list of another stepsID"),
        "{md}"
    );
    assert!(!md.contains("live stream"), "{md}");
    // Changing again within a minute: said as changing, never "refuses"
    // (AT2).
    let mut fresh = list(["alreadyDone", "todo", "todo"]);
    fresh.steps_id = Some("555".into());
    answer(&mut s, id2, purpose2, Ok(fresh), 2);
    let (id3, _, _, purpose3) = fetched(&ch(&mut s, 'r'));
    let again = GatewayError::ForeignList {
        asked: "555".into(),
        answered: "556".into(),
        next: false,
    };
    answer(&mut s, id3, purpose3, Err(again), 3);
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(
        banner.title,
        "The gateway keeps changing this vehicle's stepsID"
    );
    assert!(
        banner
            .text
            .contains("Press r to ask again by carAssociationID"),
        "{banner:?}"
    );
}

/// A reset by stepsID answered with the contract's 403 (another device's
/// stepsID; the client keeps it so for a reset, stranger 40, AO1): the
/// wizard asks again by carAssociationID, with the reset.
#[test]
fn a_reset_refused_over_another_device_s_steps_id_resets_by_car() {
    let mut s = opened(["alreadyDone", "alreadyDone", "alreadyDone"]);
    ch(&mut s, 'R');
    let (id, lookup, reset, purpose) = fetched(&ch(&mut s, 'y'));
    assert!(reset);
    assert_eq!(lookup, Lookup::StepsId("132324".into()));
    let effects = answer(
        &mut s,
        id,
        purpose,
        Err(rejected(403, Rejection::WrongDevice)),
        1,
    );
    let (_, lookup, reset, _) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    assert!(reset, "the reset is asked again by carAssociationID");
    assert_eq!(session(&s).banner().unwrap().title, "Started over");
}

/// The gateway's 404 with code 2346: it no longer knows stepsID 132324.
fn steps_id_unknown() -> GatewayError {
    GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: ErrorBody::new(Some(2346), "no step for stepsID 132324"),
        retry_after: None,
        proxy: None,
    }
}

/// Started over on a list that has steps done before to do again: the
/// banner says both, as the report does (stranger 69, BR12).
#[test]
fn a_start_over_that_undid_steps_names_them() {
    let unknown = steps_id_unknown();
    let mut s = opened(["alreadyDone", "alreadyDone", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let effects = answer(&mut s, id, purpose, Err(unknown), 1);
    let (id, lookup, _, purpose) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    answer(&mut s, id, purpose, Ok(list(["todo", "todo", "todo"])), 2);
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Started over", "{banner:?}");
    assert!(
        banner.text.contains("asked again by carAssociationID.")
            && banner
                .text
                .contains("Trusted phone number, Device activation are no longer done: ")
            && banner.text.contains("the customer does them again"),
        "{banner:?}"
    );
}

/// `n` refused over its stepsID (the gateway restarted and no longer knows
/// it: 404 with code 2346; or another device's: 403) starts over by
/// carAssociationID as `r` does, instead of "check the id and try again".
#[test]
fn next_refused_over_its_steps_id_starts_over_by_car() {
    let unknown = steps_id_unknown();
    for error in [unknown, rejected(403, Rejection::WrongDevice)] {
        let mut s = opened(["alreadyDone", "todo", "todo"]);
        let effects = next_answered(&mut s, Err(error.clone()), 1);
        let (_, lookup, reset, _) = fetched(&effects);
        assert_eq!(lookup, Lookup::Car("987654".into()), "{error:?}");
        assert!(!reset);
        let banner = session(&s).banner().unwrap();
        assert_eq!(banner.title, "Started over", "{error:?}: {banner:?}");
        assert!(
            !banner.text.contains("Check the carAssociationID"),
            "{banner:?}"
        );
    }
}

/// A 403 page of a firewall in front of the gateway (no contract error
/// body) is no stepsID of another device: the wizard keeps its stepsID,
/// asks nothing again, and says the access was refused there.
/// At 60x16 a firewall's 403 to a call with no token keeps, of its words
/// cut short, the case that needs no token, never "give a token" alone
/// (stranger 81, CD3).
#[test]
fn a_403_with_no_token_cut_short_at_60x16_keeps_the_case_needing_none() {
    let s = refused_with(
        state(false),
        GatewayError::Refused {
            base: "http://127.0.0.1:9/mix/".into(),
            status: 403,
            said: "Request blocked by WAF".into(),
            proxy: None,
            token_sent: false,
        },
    );
    let screen = render_at(&s, 60, 16).replace('│', " ");
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("… more: ? shows it all"),
        "cut short: {screen}"
    );
    assert!(flat.contains("no token is missing"), "{screen}");
    assert!(!flat.contains("give it (--token-file"), "{screen}");
}

#[test]
fn a_403_from_in_front_of_the_gateway_says_access_refused_and_does_not_start_over() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let refused = GatewayError::Refused {
        base: "http://127.0.0.1:9/".into(),
        status: 403,
        said: "403 Forbidden".into(),
        proxy: None,
        token_sent: true,
    };
    let effects = answer(&mut s, id, purpose, Err(refused), 1);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::FetchList { .. })),
        "{effects:?}"
    );
    assert_eq!(session(&s).steps_id(), Some("132324"));
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.kind, BannerKind::Error);
    assert_eq!(banner.title, "Access refused");
    assert!(
        banner
            .text
            .contains("refused by something in front of the gateway"),
        "{}",
        banner.text
    );
    assert!(!banner.text.contains("another device"), "{}", banner.text);
    // A token went with it: its rights may be why.
    assert!(
        banner.text.contains("Check the token and its rights"),
        "{}",
        banner.text
    );
}

/// A bare 404 (no contract body) from the address lists came from.
fn bare_404() -> GatewayError {
    GatewayError::NotAGateway {
        base: "http://127.0.0.1:9/".into(),
        status: 404,
        proxy: None,
        call: None,
        windows: false,
        listed: false,
    }
}

/// `n` on a gateway whose lists come but that does not route the
/// next-step call (a web server's 404 page): that call is named as not
/// offered, never "No longer found … changed … press r", which brings the
/// list back and the same again (stranger 83, CF3).
#[test]
fn a_next_step_call_not_routed_is_not_said_no_longer_found() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let not_routed = GatewayError::NotAGateway {
        base: "http://127.0.0.1:9/".into(),
        status: 404,
        proxy: None,
        call: Some("next step"),
        windows: false,
        listed: true,
    };
    next_answered(&mut s, Err(not_routed), 1);
    let banner = session(&s).banner().cloned().unwrap();
    assert_ne!(banner.title, "No longer found", "{banner:?}");
    assert!(banner.text.contains("to the call next step"), "{banner:?}");
}

/// The reset alone refused by a page in front of the gateway (a 403 page,
/// a bare 404), after lists came from this address: said as the reset call
/// refused and the cache not reset, never advice on the address or a token
/// (stranger 41, AP6).
#[test]
fn a_reset_refused_in_front_of_the_gateway_says_the_cache_was_not_reset() {
    for refused in [
        GatewayError::Refused {
            base: "http://127.0.0.1:9/".into(),
            status: 403,
            said: "Forbidden".into(),
            proxy: None,
            token_sent: false,
        },
        bare_404(),
    ] {
        let mut s = opened(["alreadyDone", "todo", "todo"]);
        ch(&mut s, 'R');
        let (id, _, reset, purpose) = fetched(&ch(&mut s, 'y'));
        assert!(reset);
        answer(&mut s, id, purpose, Err(refused.clone()), 1);
        let banner = session(&s).banner().cloned().unwrap();
        assert_eq!(banner.kind, BannerKind::Error);
        assert_eq!(banner.title, "Reset refused", "{refused:?}");
        assert!(
            banner
                .text
                .contains("only the reset call is refused. The cache was not reset"),
            "{}",
            banner.text
        );
        assert!(
            !banner.text.contains("--api") && !banner.text.contains("token"),
            "{}",
            banner.text
        );
        // The list on screen stays.
        assert_eq!(session(&s).list().unwrap().steps.len(), 3);
    }
}

/// A reset sent and not answered in time may have reset the cache: said
/// so, with r first, never "retry" alone (stranger 43, AR14).
#[test]
fn a_reset_without_an_answer_says_it_may_have_happened() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'R');
    let (id, _, reset, purpose) = fetched(&ch(&mut s, 'y'));
    assert!(reset);
    let timed_out = GatewayError::TimedOut {
        base: "http://127.0.0.1:9/".into(),
        after: std::time::Duration::from_secs(10),
        proxy: None,
    };
    answer(&mut s, id, purpose, Err(timed_out), 11);
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.title, "Reset sent, no answer");
    assert!(
        banner.text.contains(
            "did not answer within 10 s: the cache may be reset already, or not. Press r"
        ),
        "{}",
        banner.text
    );
    // The report keeps the same caution (stranger 45, AT7).
    let md = session(&s).log().to_markdown();
    assert!(md.contains("the cache may be reset already"), "{md}");
    // A reverse proxy's 504 that gave up waiting: the same, never "the
    // gateway failed … Retry".
    ch(&mut s, 'R');
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'y'));
    answer(
        &mut s,
        id,
        purpose,
        Err(rejected(504, Rejection::ResetFailed)),
        20,
    );
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.title, "Reset sent, no answer");
    assert!(
        banner
            .text
            .contains("got HTTP 504 from something in front of the gateway"),
        "{}",
        banner.text
    );
}

/// A 404 for a vehicle whose lists came from this address in this
/// session: the gateway or what is in front of it changed, never "check
/// the id" or "check --api" (stranger 44, AS6).
#[test]
fn a_404_after_lists_came_says_the_gateway_changed() {
    for not_found in [rejected(404, Rejection::NotFound), bare_404()] {
        let mut s = opened(["alreadyDone", "todo", "todo"]);
        let (mut id, _, _, mut purpose) = fetched(&ch(&mut s, 'r'));
        let effects = answer(&mut s, id, purpose, Err(not_found.clone()), 1);
        // A stepsID refused starts over by carAssociationID first.
        if effects
            .iter()
            .any(|e| matches!(e, Effect::FetchList { .. }))
        {
            (id, _, _, purpose) = fetched(&effects);
            answer(&mut s, id, purpose, Err(not_found.clone()), 2);
        }
        let banner = session(&s).banner().cloned().unwrap();
        assert_eq!(banner.title, "No longer found", "{not_found:?}");
        assert!(
            banner.text.contains("the id and --api were right")
                && !banner.text.contains("Check the carAssociationID")
                && !banner.text.contains("Give --api"),
            "{banner:?}"
        );
        assert_eq!(session(&s).list().unwrap().steps.len(), 3);
        // The report keeps the words the screen gave (stranger 51, AZ3).
        let md = session(&s).log().to_markdown();
        assert!(md.contains("No longer found"), "{md}");
        assert!(md.contains("the id and --api were right"), "{md}");
        assert!(!md.contains("Check the carAssociationID"), "{md}");
    }
}

#[test]
fn an_error_keeps_the_last_good_list() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let down = GatewayError::Unreachable {
        base: "http://127.0.0.1:9/".into(),
        detail: "connection refused".into(),
    };
    assert!(answer(&mut s, id, purpose, Err(down), 1).is_empty());
    assert_eq!(session(&s).list().unwrap().steps.len(), 3);
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.kind, BannerKind::Error);
    assert_eq!(banner.title, "Gateway unreachable");
    // A good answer later clears the error.
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        2,
    );
    assert_eq!(session(&s).banner(), None);
}

#[test]
fn an_unknown_car_goes_back_to_the_field() {
    let mut s = state(false);
    let effects = start(&mut s, Some("999999".into()), t(0));
    let (id, _, _, purpose) = fetched(&effects);
    update(
        &mut s,
        Input::Msg(Msg::Listed {
            car: "999999".into(),
            id,
            purpose,
            result: Err(rejected(404, Rejection::NotFound)),
        }),
        t(0),
    );
    let field = s.start_field().expect("back on the start screen");
    assert_eq!(field.input(), "999999");
    let Some(FieldNotice::Gateway(why)) = field.notice() else {
        panic!("expected the gateway's answer, got {:?}", field.notice());
    };
    assert!(why.contains("404"), "{why}");
    assert!(
        s.session().is_none(),
        "an id the gateway refused opens nothing"
    );
}

#[test]
fn stale_answers_are_dropped() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (old, _, _, _) = fetched(&ch(&mut s, 'r'));
    let (new, _, _, _) = fetched(&ch(&mut s, 'r'));
    answer(
        &mut s,
        old,
        Purpose::Refresh,
        Ok(list(["alreadyDone", "alreadyDone", "alreadyDone"])),
        1,
    );
    assert!(s.is_loading(), "the newer request is still awaited");
    assert!(!session(&s).all_done());
    answer(
        &mut s,
        new,
        Purpose::Refresh,
        Ok(list(["alreadyDone", "todo", "todo"])),
        2,
    );
    assert!(!s.is_loading());
}

#[test]
fn next_step_highlights_and_null_means_ready() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'k');
    let effects = ch(&mut s, 'n');
    let Some(Effect::FetchNext { id, steps_id, .. }) = effects.first().cloned() else {
        panic!("expected a next-step request, got {effects:?}");
    };
    assert_eq!(steps_id, "132324");
    let step = list(["alreadyDone", "todo", "todo"]).steps[2].clone();
    update(
        &mut s,
        Input::Msg(Msg::Next {
            car: "987654".into(),
            id,
            result: Ok(Some(step)),
        }),
        t(1),
    );
    assert_eq!(session(&s).selected_step().unwrap().name, "mediumCarKey");
    let Some(Effect::FetchNext { id, .. }) = ch(&mut s, 'n').first().cloned() else {
        panic!("expected a next-step request");
    };
    update(
        &mut s,
        Input::Msg(Msg::Next {
            car: "987654".into(),
            id,
            result: Ok(None),
        }),
        t(2),
    );
    assert_eq!(session(&s).banner().unwrap().title, "Nothing left to do");
    // Both answers are in the session log.
    let md = session(&s).log().to_markdown();
    assert!(
        md.contains("the gateway's next step: `mediumCarKey`"),
        "{md}"
    );
    assert!(md.contains("the gateway's next step: none"), "{md}");
}

/// `n` answered by a gateway whose state moved on since the list on screen
/// (the customer finished a step): the list is asked for again, so the
/// screen and the report end on the state the answer speaks of.
#[test]
fn a_next_answer_newer_than_the_list_asks_for_the_list_again() {
    let mut s = opened(["alreadyDone", "alreadyDone", "todo"]);
    // An answer that agrees with the list asks for nothing more.
    let step = list(["alreadyDone", "alreadyDone", "todo"]).steps[2].clone();
    let effects = next_answered(&mut s, Ok(Some(step)), 1);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(!session(&s).banner().unwrap().text.contains("older"));
    // null while the screen still has a step to do: the list comes again.
    let effects = next_answered(&mut s, Ok(None), 2);
    let (id, lookup, reset, purpose) = fetched(&effects);
    assert_eq!(lookup, Lookup::StepsId("132324".into()));
    assert!(!reset);
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Nothing left to do");
    assert!(
        banner
            .text
            .ends_with("The list on screen is older than this answer: it is asked for again."),
        "{banner:?}"
    );
    answer(&mut s, id, purpose, Ok(list(["alreadyDone"; 3])), 3);
    assert!(session(&s).all_done());
    let banner = session(&s).banner().unwrap();
    assert!(banner.text.contains("the service is ready"), "{banner:?}");
    let md = s.report().to_markdown();
    let end = md
        .lines()
        .find(|l| l.contains("state at the end"))
        .unwrap_or_default();
    assert!(end.contains("3 of 3 done"), "{md}");
}

/// `n` names a step the list on screen does not put first, and the list
/// asked again still puts another first (a status stepwise does not know,
/// counted as not done): the list was not old; the two answers disagree,
/// said with both steps (stranger 81, CD2).
#[test]
fn a_next_step_the_fresh_list_still_disagrees_with_says_so() {
    let mut s = opened(["alreadyDone", "pending", "todo"]);
    let named = list(["alreadyDone", "pending", "todo"]).steps[2].clone();
    let first = list(["alreadyDone", "pending", "todo"]).steps[1].clone();
    let (id, _, _, purpose) = fetched(&next_answered(&mut s, Ok(Some(named.clone())), 1));
    assert!(
        session(&s)
            .banner()
            .unwrap()
            .text
            .contains("older than this answer")
    );
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "pending", "todo"])),
        2,
    );
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.title, "The gateway's two answers disagree");
    assert!(
        banner.text.contains(&format!("(`{}`)", named.name))
            && banner
                .text
                .contains(&format!("(`{}`, status “pending”) first", first.name))
            && banner.text.contains("the list is not old"),
        "{banner:?}"
    );
}

/// `n` says nothing is left, and the list asked again still has steps to
/// do: the banner says the gateway contradicts itself, never "ready" beside
/// steps to do.
#[test]
fn a_next_null_the_fresh_list_contradicts_says_so() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&next_answered(&mut s, Ok(None), 1));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        2,
    );
    let banner = session(&s).banner().unwrap();
    assert_eq!(banner.title, "The gateway contradicts itself", "{banner:?}");
    assert!(!banner.text.contains("ready"), "{banner:?}");
}

/// `n` on a list the gateway sent without a stepsID: `r` would bring the
/// same list, so the words name the gateway's answer, not a refresh.
#[test]
fn next_on_a_list_without_a_steps_id_names_the_gateway_not_r() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    // No list yet: a refresh is what brings one.
    assert!(ch(&mut s, 'n').is_empty());
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.text, "Refresh with r first.", "{banner:?}");
    // No list because the last request failed: its words stay on screen,
    // led by the word that n needs a list (stranger 60, BI3).
    let mut failed = refused_with(state(false), rejected(500, Rejection::ServerFailure));
    let before = session(&failed).banner().unwrap().clone();
    assert!(ch(&mut failed, 'n').is_empty());
    let after = session(&failed).banner().unwrap();
    assert_eq!(after.title, before.title);
    assert_eq!(
        after.text,
        format!(
            "n needs a list of steps, and none has come. Why: {}",
            before.text
        )
    );
    let mut without = list(["alreadyDone", "todo", "todo"]);
    without.steps_id = None;
    answer(&mut s, id, purpose, Ok(without), 1);
    assert!(
        ch(&mut s, 'n').is_empty(),
        "no next-step request without a stepsID"
    );
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "No stepsID yet");
    assert!(
        banner
            .text
            .starts_with("The gateway's list came without a stepsID")
            && banner.text.contains("r will not bring one")
            && !banner.text.contains("Refresh with r"),
        "{banner:?}"
    );
}

#[test]
fn filter_cycles_with_a_new_request() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'f');
    assert_eq!(session(&s).filter(), StatusFilter::Todo);
    ch(&mut s, 'f');
    let effects = ch(&mut s, 'f');
    assert_eq!(session(&s).filter(), StatusFilter::All);
    let Effect::FetchList { request, .. } = &effects[0] else {
        panic!("expected a list request");
    };
    assert_eq!(request.status, StatusFilter::All);
}

#[test]
fn the_simulated_customer_completes_the_next_step_then_refreshes() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let effects = ch(&mut s, 's');
    let Some(Effect::Complete { id, car, step }) = effects.first().cloned() else {
        panic!("expected a complete call, got {effects:?}");
    };
    assert_eq!(
        (car.as_str(), step.as_str()),
        ("987654", "deviceActivation")
    );
    let effects = update(
        &mut s,
        Input::Msg(Msg::Completed {
            car,
            id,
            step,
            result: Ok(()),
        }),
        t(1),
    );
    let (id, lookup, _, purpose) = fetched(&effects);
    assert_eq!(lookup, Lookup::StepsId("132324".into()));
    // `s` says what it did, at once and once the list shows it.
    let said = session(&s).banner().expect("a banner after s").clone();
    assert!(said.text.contains("Device activation"), "{said:?}");
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "alreadyDone", "todo"])),
        2,
    );
    let done = session(&s).banner().expect("a banner after the list");
    assert!(done.title.contains("Device activation"), "{done:?}");
}

#[test]
fn s_does_nothing_off_the_demo_backend() {
    let mut s = state(false);
    let effects = start(&mut s, Some("987654".into()), t(0));
    let (id, _, _, purpose) = fetched(&effects);
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        0,
    );
    assert!(ch(&mut s, 's').is_empty());
}

/// The explainer takes what the customer reads off the phone: letters,
/// digits, `:`, `_` and `.`; anything else (a space, a dash, a slash) is not
/// part of a code and is not typed. `q` types a letter, it does not quit.
#[test]
fn explainer_takes_code_characters() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'e');
    // A space or a dash separates words of a code as a phone shows it
    // (they were dropped, making "NOKMAXNBTOOLS", a code nobody knows);
    // other characters are not taken.
    for c in "nok: max nb-tools/".chars() {
        ch(&mut s, c);
    }
    assert_eq!(
        s.overlay(),
        Some(&Overlay::Explain("nok: max nb-tools".into()))
    );
    assert!(!s.quit_requested());
    key(&mut s, KeyCode::Backspace);
    assert_eq!(
        s.overlay(),
        Some(&Overlay::Explain("nok: max nb-tool".into()))
    );
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.overlay(), None);
    // A paste keeps the code's characters, up to the longest code taken.
    ch(&mut s, 'e');
    update(&mut s, Input::Paste(" invalid_grant\n".into()), t(0));
    assert_eq!(s.overlay(), Some(&Overlay::Explain("invalid_grant".into())));
    update(&mut s, Input::Paste("9".repeat(100)), t(0));
    let Some(Overlay::Explain(code)) = s.overlay() else {
        panic!("the explainer stays open");
    };
    assert_eq!(code.len(), stepwise::guidance::MAX_CODE_CHARS);
}

#[test]
fn quit_from_anywhere() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, '?');
    update(
        &mut s,
        Input::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        t(0),
    );
    assert!(s.quit_requested());
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'q');
    assert!(s.quit_requested());
}

#[test]
fn the_session_log_records_lists_changes_and_resets() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'R');
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'y'));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "alreadyDone", "todo"])),
        4,
    );
    let md = session(&s).log().to_markdown();
    // Asked for, with the gateway's answer after it: a refused reset reads
    // as refused, never as done.
    assert!(
        md.contains("steps cache reset asked for (resetSteps=true); the gateway's answer follows"),
        "{md}"
    );
    assert!(
        md.contains("`deviceActivation`: todo → alreadyDone"),
        "{md}"
    );
}

#[test]
fn a_404_on_refresh_starts_over_and_says_so() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let gone = GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: ErrorBody {
            code: Some(2346),
            message: None,
        },
        retry_after: None,
        proxy: None,
    };
    let (id2, lookup, _, purpose2) = fetched(&answer(&mut s, id, purpose, Err(gone), 1));
    assert_eq!(lookup, Lookup::Car("987654".into()));
    answer(
        &mut s,
        id2,
        purpose2,
        Ok(list(["alreadyDone", "todo", "todo"])),
        2,
    );
    assert_eq!(session(&s).banner().unwrap().title, "Started over");
    assert_eq!(
        *s.screen(),
        Screen::Steps,
        "a known car stays on the steps screen"
    );
}

/// An event of the live stream that cannot be read is the stream's fault,
/// not "check --api" (the same --api served the list on screen).
#[test]
fn an_unreadable_live_event_blames_the_stream_not_the_address() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let bad = stepwise::wire::decode_list(b"{oops").unwrap_err();
    live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: GatewayError::BadAnswer(bad),
            retrying: true,
        },
        2,
    );
    let text = session(&s).banner().unwrap().text.clone();
    assert!(
        text.contains("live event stream sent an event that could not be used"),
        "{text}"
    );
    assert!(!text.contains("--api"), "{text}");
    // The report says the same, not "check that --api points at a gateway".
    let report = s.report().to_markdown();
    assert!(
        report.contains("live event stream sent an event that could not be used"),
        "{report}"
    );
    assert!(!report.contains("--api"), "{report}");
}

/// A stream no longer offered after failures (a gateway back from a
/// restart without live events): the fallback to polling names that, given
/// up at once, never an earlier refusal as "kept failing" (stranger 69, BR4).
#[test]
fn a_stream_no_longer_offered_is_the_fallback_s_cause() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let refused = GatewayError::Unreachable {
        base: "http://gw.example/".into(),
        detail: "connection refused".into(),
    };
    for (error, at) in [
        (refused, 1),
        (
            GatewayError::Live(stepwise::client::live::LiveFault::NotOffered),
            2,
        ),
    ] {
        let update = LiveUpdate::Error {
            error,
            retrying: true,
        };
        live(&mut s, f, update, at);
    }
    let polling = LiveUpdate::Mode(Mode::Polling {
        every: Duration::from_secs(3),
    });
    live(&mut s, f, polling, 3);
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner.text.starts_with(
            "Given up at once: the gateway now answers the events call as one that offers no live events"
        ) && !banner.text.contains("connection refused"),
        "{banner:?}"
    );
}

/// While watch polls (no event stream), an unusable list answer is the
/// list call's, in the words `r` gives: never "the live event stream sent
/// an event" nor "the lists themselves are fine" (stranger 62, BK2).
#[test]
fn an_unusable_answer_while_polling_is_the_list_s_not_a_stream_s() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(
        &mut s,
        f,
        LiveUpdate::Mode(Mode::Polling {
            every: Duration::from_secs(3),
        }),
        1,
    );
    let bad = stepwise::wire::decode_list(br#"{"status":"UP"}"#).unwrap_err();
    live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: GatewayError::BadAnswer(bad),
            retrying: true,
        },
        2,
    );
    let text = session(&s).banner().unwrap().text.clone();
    assert!(
        !text.contains("event stream") && !text.contains("lists themselves are fine"),
        "{text}"
    );
    assert!(text.contains("answer"), "{text}");
    let report = s.report().to_markdown();
    assert!(!report.contains("lists themselves are fine"), "{report}");
}

/// While the follower tries again after a failure (a 503 to the event
/// stream), the header says so rather than a bare "watch ON"; the next
/// answer that comes back ends it.
#[test]
fn the_header_says_watch_is_retrying_while_it_is() {
    use stepwise::wizard::session::WatchShown;
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(
        &mut s,
        f,
        LiveUpdate::Mode(stepwise::client::live::Mode::Live),
        2,
    );
    assert_eq!(session(&s).watch_shown(), WatchShown::Live);
    live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: rejected(503, Rejection::ServerFailure),
            retrying: true,
        },
        3,
    );
    assert_eq!(session(&s).watch_shown(), WatchShown::Retrying);
    let screen = render(&s);
    assert!(screen.contains("watch ON · retrying"), "{screen}");
    live(
        &mut s,
        f,
        LiveUpdate::Mode(stepwise::client::live::Mode::Live),
        4,
    );
    assert_eq!(session(&s).watch_shown(), WatchShown::Live);
}

/// The gateway's "no step for this stepsID" (404, code 2346).
fn no_step_2346() -> GatewayError {
    GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: ErrorBody {
            code: Some(2346),
            message: None,
        },
        retry_after: None,
        proxy: None,
    }
}

/// A follower's last update: `e`, not tried again.
fn follower_ended(e: GatewayError) -> LiveUpdate {
    LiveUpdate::Error {
        error: e,
        retrying: false,
    }
}

/// The same when the stream delivered the list of the stepsID the
/// start-over gave back (the very one just refused) before refusing it
/// again: watch stops and says so, never a start-over after start-over
/// without end (stranger 65, BN1).
#[test]
fn the_same_steps_id_given_back_and_refused_again_stops_watch() {
    let (gone, ended) = (no_step_2346, follower_ended);
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let (id, _, _, purpose) = fetched(&live(&mut s, f, ended(gone()), 2));
    let (g, _) = followed(&answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        3,
    ));
    // The stream delivers that stepsID's list: it answered once more.
    live(
        &mut s,
        g,
        LiveUpdate::List(list(["alreadyDone", "todo", "todo"])),
        4,
    );
    let effects = live(&mut s, g, ended(gone()), 5);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::FetchList { .. } | Effect::Follow { .. })),
        "not asked again: {effects:?}"
    );
    assert!(!session(&s).watch());
    let banner = session(&s).banner().unwrap();
    assert_eq!(banner.title, "The gateway refuses the stepsID it just gave");
}

/// A gateway that refuses the stepsID it has just given (its events by
/// stepsID answer 2346): watch starts over once, and on the second refusal
/// within a minute stops and says so, rather than asking without end; `r`
/// then asks by carAssociationID.
#[test]
fn a_steps_id_refused_again_right_after_starting_over_stops_watch() {
    let (gone, ended) = (no_step_2346, follower_ended);
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let (id, lookup, _, purpose) = fetched(&live(&mut s, f, ended(gone()), 2));
    assert_eq!(lookup, Lookup::Car("987654".into()));
    let (g, _) = followed(&answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        3,
    ));
    let effects = live(&mut s, g, ended(gone()), 4);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::FetchList { .. } | Effect::Follow { .. })),
        "not asked again: {effects:?}"
    );
    assert!(!session(&s).watch());
    let banner = session(&s).banner().unwrap();
    assert_eq!(banner.title, "The gateway refuses the stepsID it just gave");
    assert!(
        banner.text.contains("Tell the gateway's operator"),
        "{}",
        banner.text
    );
    // The cause once, without its own "start again" advice before "again".
    assert!(
        banner
            .text
            .starts_with("HTTP 404: the gateway has no step for this stepsID: it does not know it, or has forgotten it (code 2346), again"),
        "{}",
        banner.text
    );
    assert!(!banner.text.contains("Start again"), "{}", banner.text);
    // The list stays on screen; `n` says its stepsID was dropped, never
    // "no stepsID yet", and that `r` asks for a new one.
    assert!(ch(&mut s, 'n').is_empty());
    let banner = session(&s).banner().unwrap();
    assert_eq!(banner.title, "stepsID dropped");
    assert!(
        banner
            .text
            .contains("r asks for a new one by carAssociationID"),
        "{}",
        banner.text
    );
    let (_, lookup, _, _) = fetched(&ch(&mut s, 'r'));
    assert_eq!(lookup, Lookup::Car("987654".into()));
}

#[test]
fn watch_announces_changes_even_when_the_steps_id_changes() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let mut moved = list(["alreadyDone", "alreadyDone", "todo"]);
    moved.steps_id = Some("999".into());
    let effects = live(&mut s, f, LiveUpdate::List(moved), 3);
    assert_eq!(
        session(&s).banner().unwrap().title,
        "Device activation is done"
    );
    assert_eq!(session(&s).steps_id(), Some("999"));
    // The new stepsID is followed, by a new follower; the old one's updates
    // are dropped.
    let (g, steps_id) = followed(&effects);
    assert_eq!(steps_id, "999");
    assert_ne!(g, f);
    let stale = live(
        &mut s,
        f,
        LiveUpdate::List(list(["todo", "todo", "todo"])),
        4,
    );
    assert!(stale.is_empty());
    assert_eq!(session(&s).whole().unwrap().done_count(), 2);
}

/// Watch under a filter still follows the whole list, so a step that turns
/// done is announced and "ready" stops the watch; the filtered view never
/// claims completion.
#[test]
fn watch_under_a_filter_judges_the_whole_list() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'f'));
    let todo_only = list(["alreadyDone", "todo", "todo"]).filtered(StatusFilter::Todo);
    answer(&mut s, id, purpose, Ok(todo_only), 1);
    assert_eq!(session(&s).shown().len(), 2);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "alreadyDone", "todo"])),
        3,
    );
    assert_eq!(
        session(&s).banner().unwrap().title,
        "Device activation is done"
    );
    assert_eq!(
        session(&s)
            .shown()
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["mediumCarKey"],
        "the view stays filtered on todo"
    );
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "alreadyDone", "alreadyDone"])),
        6,
    );
    assert!(session(&s).all_done());
    assert!(
        !session(&s).watch(),
        "ready stops the watch under a filter too"
    );
    let md = session(&s).log().to_markdown();
    assert!(md.contains("mediumCarKey`: todo → alreadyDone"), "{md}");
}

/// The filter goes to the gateway once, when chosen (`f`); a refresh after
/// it asks for the whole list and filters it here, so a customer who
/// finished while the view showed `todo` reads "3 of 3 done" and "ready",
/// on screen and in the report, never "0 of 3".
#[test]
fn a_refresh_under_a_filter_judges_progress_on_every_step() {
    let status_of = |effects: &[Effect]| {
        effects
            .iter()
            .find_map(|e| match e {
                Effect::FetchList { request, .. } => Some(request.status),
                _ => None,
            })
            .expect("a list request")
    };
    let mut s = opened(["todo", "todo", "todo"]);
    let effects = ch(&mut s, 'f');
    assert_eq!(
        status_of(&effects),
        StatusFilter::Todo,
        "f asks the gateway"
    );
    let (id, _, _, purpose) = fetched(&effects);
    let todo = list(["alreadyDone", "todo", "todo"]).filtered(StatusFilter::Todo);
    answer(&mut s, id, purpose, Ok(todo), 1);
    let effects = ch(&mut s, 'r');
    assert_eq!(
        status_of(&effects),
        StatusFilter::All,
        "r asks for every step"
    );
    let (id, _, _, purpose) = fetched(&effects);
    answer(&mut s, id, purpose, Ok(list(["alreadyDone"; 3])), 2);
    assert!(session(&s).all_done());
    assert!(session(&s).shown().is_empty(), "the view stays on todo");
    let banner = session(&s).banner().unwrap().clone();
    assert!(banner.text.contains("the service is ready"), "{banner:?}");
    let md = session(&s).log().to_markdown();
    assert!(md.contains("3 of 3 done"), "{md}");
}

/// A filtered answer alone never makes the session "ready" or the report
/// say "nothing left".
#[test]
fn a_filtered_list_never_claims_completion() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'f');
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'f'));
    assert_eq!(session(&s).filter(), StatusFilter::AlreadyDone);
    let done_only = list(["alreadyDone", "todo", "todo"]).filtered(StatusFilter::AlreadyDone);
    answer(&mut s, id, purpose, Ok(done_only), 1);
    assert_eq!(session(&s).shown().len(), 1);
    assert!(!session(&s).all_done());
    let md = session(&s).log().to_markdown();
    assert!(md.contains("1 of 3 done, next: Device activation"), "{md}");
    assert!(!md.contains("nothing left"), "{md}");
}

/// A stream that never opened, through a proxy whose list calls are
/// answered, is held back by that proxy (it buffers the event stream):
/// said with its fix, not "the proxy is silent"; a poll's own silence
/// keeps the proxy's words (stranger 47, AV12).
#[test]
fn a_stream_held_back_by_a_proxy_is_said_so() {
    let timed_out = || GatewayError::TimedOut {
        base: "http://gw.example:8080/".into(),
        after: Duration::from_secs(10),
        proxy: Some("http://proxy.example:3128".into()),
    };
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let error = LiveUpdate::Error {
        error: timed_out(),
        retrying: true,
    };
    live(&mut s, f, error.clone(), 3);
    let banner = session(&s).banner().unwrap();
    assert!(
        banner.text.contains("buffers the event stream"),
        "{banner:?}"
    );
    assert!(banner.text.contains("NO_PROXY=gw.example"), "{banner:?}");
    assert!(!banner.text.contains("is silent"), "{banner:?}");
    let polling = LiveUpdate::Mode(Mode::Polling {
        every: Duration::from_secs(3),
    });
    live(&mut s, f, polling, 4);
    let fallback = session(&s).banner().unwrap();
    assert!(
        fallback.text.contains("buffers the event stream"),
        "{fallback:?}"
    );
    live(&mut s, f, error, 5);
    let banner = session(&s).banner().unwrap();
    assert!(banner.text.contains("is silent"), "{banner:?}");
    assert!(!banner.text.contains("buffers"), "{banner:?}");
}

/// `g` and `o` with a filter that hides every step give the customer no
/// page (before: a QR of the generic page for no step), and say why.
#[test]
fn g_and_o_with_no_step_on_screen_say_so() {
    let mut s = opened(["alreadyDone", "alreadyDone", "alreadyDone"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'f'));
    assert_eq!(session(&s).filter(), StatusFilter::Todo);
    let none = list(["alreadyDone", "alreadyDone", "alreadyDone"]).filtered(StatusFilter::Todo);
    answer(&mut s, id, purpose, Ok(none), 1);
    assert!(session(&s).selected_step().is_none());
    for c in ['g', 'o'] {
        assert_eq!(ch(&mut s, c), [], "{c}: no page is opened");
        assert!(s.overlay().is_none(), "{c}: no QR");
        let banner = session(&s).banner().unwrap();
        assert_eq!(banner.title, "No step on screen", "{banner:?}");
        assert!(banner.text.contains("no step is todo"), "{banner:?}");
        assert!(banner.text.contains("Press f"), "{banner:?}");
    }
    // With a step on screen, g shows its page.
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'f'));
    let done = list(["alreadyDone", "alreadyDone", "alreadyDone"]);
    let done = done.filtered(StatusFilter::AlreadyDone);
    answer(&mut s, id, purpose, Ok(done), 2);
    ch(&mut s, 'g');
    assert!(matches!(s.overlay(), Some(Overlay::Qr(link)) if !link.url.contains("generic")));
}

/// A 401 (or another answer that will not change by itself) ends the
/// follower: watch stops and says why, instead of retrying for ever.
#[test]
fn a_refused_token_stops_watch_and_says_why() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let effects = live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: rejected(401, Rejection::Unauthorized),
            retrying: false,
        },
        3,
    );
    assert_eq!(effects, [unfollow()]);
    assert!(!session(&s).watch());
    let banner = session(&s).banner().unwrap();
    assert_eq!(banner.kind, BannerKind::Error);
    assert!(banner.title.starts_with("Watch stopped"), "{banner:?}");
    assert!(banner.text.contains("token"), "says why: {banner:?}");
    assert!(
        render(&s).contains("watch off"),
        "the header says watch is off"
    );
    let md = session(&s).log().to_markdown();
    assert!(md.contains("401") || md.contains("token"), "logged: {md}");
    assert!(
        update(&mut s, Input::WatchTick, t(6)).is_empty(),
        "no more polls"
    );
}

/// A banner cut short in the smallest window keeps its advice whole and
/// as many first and last words of its cause as the box holds around the
/// "…", never "…" with lines of the box left empty.
#[test]
fn a_banner_cut_short_fills_its_box_before_the_mark() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    // A first sentence longer than the box: the gateway's own long words.
    let said = "the stream for this vehicle is being moved to another node of the cluster and will come back on its own without any action from you or from the customer";
    let fault = stepwise::client::live::LiveFault::Said(ErrorBody::new(Some(2999), said));
    live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: GatewayError::Live(fault),
            retrying: true,
        },
        7,
    );
    let small = render_at(&s, 60, 16);
    let flat = small
        .replace(['│', '"'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(
            "Watch interrupted: Live stream broken: the gateway's live stream sent an error"
        ) && flat.contains(
            "… back on its own without any action from you or from the customer (2999). \
             Watch goes on by itself when it can; until then the list on screen may be out of date."
        ),
        "{small}"
    );
    // Every row of the banner's box is used.
    let rows: Vec<&str> = small.lines().rev().skip(2).take(5).collect();
    assert!(
        rows.iter()
            .all(|row| row.trim_matches(['"', '│', ' ']).len() > 20),
        "{small}"
    );
}

/// A passing failure (the gateway restarting) keeps watching with a quiet
/// banner, which goes once the follower is back.
#[test]
fn a_passing_failure_keeps_watching_with_a_quiet_banner() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let effects = live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: rejected(503, Rejection::ServerFailure),
            retrying: true,
        },
        7,
    );
    assert!(
        effects.is_empty(),
        "the follower retries by itself: {effects:?}"
    );
    assert!(session(&s).watch());
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.kind, BannerKind::Info, "quiet: {banner:?}");
    assert!(banner.title.starts_with("Watch interrupted"), "{banner:?}");
    // The cause, then that watch goes on by itself: no "retry in a minute"
    // for the technician to do, and one full stop.
    assert!(
        banner
            .text
            .starts_with("HTTP 503: the gateway failed. Watch goes on by itself"),
        "{banner:?}"
    );
    assert!(
        !banner.text.contains("..") && !banner.text.contains("Retry"),
        "{banner:?}"
    );
    // A stream cut mid-event: "interrupted" is said once, and the lists
    // that still answer are not called the gateway's silence.
    live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: GatewayError::Live(stepwise::client::live::LiveFault::Cut),
            retrying: true,
        },
        8,
    );
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.title.matches("nterrupted").count(), 1, "{banner:?}");
    assert!(
        !banner.text.contains("once the gateway answers"),
        "{banner:?}"
    );
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "todo", "todo"])),
        9,
    );
    assert_eq!(session(&s).banner(), None, "back: the note goes");
    assert!(session(&s).watch());
}

/// A list pushed by the follower is announced and logged like any list.
#[test]
fn a_live_list_is_announced_and_logged() {
    let mut s = opened(["todo", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let entries = session(&s).log().entries().len();
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "todo", "todo"])),
        5,
    );
    let banner = session(&s).banner().unwrap();
    assert_eq!(banner.kind, BannerKind::Success);
    assert!(banner.title.ends_with("is done"), "{banner:?}");
    assert!(
        session(&s).log().entries().len() > entries,
        "the change is logged"
    );
    assert_eq!(
        session(&s).selected_step().unwrap().name,
        "deviceActivation",
        "NEXT moved and the highlight with it"
    );
}

/// An unchanged list (a 304) changes nothing but the header's time, which
/// says when the gateway last confirmed the list; the log stays as it was.
#[test]
fn unchanged_changes_only_the_time_not_the_log() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "todo", "todo"])),
        3,
    );
    let screen = render(&s);
    let log = session(&s).log().to_markdown();
    let entries = session(&s).log().entries().len();
    let effects = live(
        &mut s,
        f,
        LiveUpdate::Unchanged {
            steps_id: "132324".into(),
        },
        60,
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(session(&s).last_refresh(), Some(t(60)), "the time moves on");
    let now = render(&s);
    assert_ne!(now, screen, "the header's time is the confirmed poll's");
    let changed: Vec<_> = now
        .lines()
        .zip(screen.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "only the header line: {changed:?}");
    assert_eq!(session(&s).log().entries().len(), entries);
    assert_eq!(session(&s).log().to_markdown(), log);
    // A changed list (a new ETag) changes both.
    live(
        &mut s,
        f,
        LiveUpdate::List(list(["alreadyDone", "alreadyDone", "todo"])),
        61,
    );
    assert_ne!(render(&s), screen);
    assert!(session(&s).log().entries().len() > entries);
}

/// The header says how watch follows: live, or polling every N s.
#[test]
fn the_header_says_live_or_polling() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    assert!(render(&s).contains("watch off"));
    let (f, _) = followed(&ch(&mut s, 'w'));
    assert!(render(&s).contains("watch ON"));
    live(&mut s, f, LiveUpdate::Mode(Mode::Live), 1);
    assert!(render(&s).contains("watch ON · live"), "{}", render(&s));
    live(
        &mut s,
        f,
        LiveUpdate::Mode(Mode::Polling {
            every: Duration::from_secs(5),
        }),
        2,
    );
    let screen = render(&s);
    assert!(screen.contains("watch ON · polling every 5 s"), "{screen}");
    assert!(!screen.contains("· live"), "{screen}");
    ch(&mut s, 'w');
    assert!(render(&s).contains("watch off"));
}

/// A stepsID the follower finds refused (403: another device) starts over
/// by carAssociationID, as a refresh does, then follows the new stepsID.
#[test]
fn a_refused_steps_id_while_following_starts_over_then_follows_again() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let effects = live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: rejected(403, Rejection::WrongDevice),
            retrying: false,
        },
        3,
    );
    let (id, lookup, _, purpose) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    assert!(effects.contains(&unfollow()), "{effects:?}");
    assert!(session(&s).watch(), "watch goes on");
    assert_eq!(session(&s).banner().unwrap().title, "Started over");
    let mut fresh = list(["alreadyDone", "todo", "todo"]);
    fresh.steps_id = Some("555".into());
    let effects = answer(&mut s, id, purpose, Ok(fresh), 4);
    let (g, steps_id) = followed(&effects);
    assert_eq!(steps_id, "555");
    assert_ne!(g, f);
}

/// The gateway's `event: error` saying "no step for this stepsID" (2346)
/// starts over by carAssociationID, as the list call's 404 does; the
/// report says the live stream refused it, with no "HTTP 0".
#[test]
fn an_error_event_with_no_step_starts_over() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let said = stepwise::client::live::error_event(r#"{"code":2346,"message":"stepsID expired"}"#);
    let effects = live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: GatewayError::Live(stepwise::client::live::LiveFault::Said(said)),
            retrying: false,
        },
        3,
    );
    let (id, lookup, _, purpose) = fetched(&effects);
    assert_eq!(lookup, Lookup::Car("987654".into()));
    assert_eq!(session(&s).banner().unwrap().title, "Started over");
    // Said again of the stepsID just given: watch stops, with what the
    // stream said and no advice to start again (it just did).
    let effects = answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        4,
    );
    let (g, _) = followed(&effects);
    let said = stepwise::client::live::error_event(r#"{"code":2346,"message":"stepsID expired"}"#);
    live(
        &mut s,
        g,
        LiveUpdate::Error {
            error: GatewayError::Live(stepwise::client::live::LiveFault::Said(said)),
            retrying: false,
        },
        5,
    );
    let banner = session(&s).banner().cloned().unwrap();
    assert!(
        banner.text.starts_with(
            "the gateway's live stream sent an error: stepsID expired (2346), again, within a minute"
        ),
        "{banner:?}"
    );
    assert!(!banner.text.contains("Start again"), "{banner:?}");
    let md = session(&s).log().to_markdown();
    assert!(
        md.contains("the gateway's live stream refused the stepsID; started over"),
        "{md}"
    );
    assert!(!md.contains("HTTP 0"), "{md}");
}

/// A stalled stream given up for polling quotes its cause without "it
/// reconnects by itself, and a change may show up to 45 s late", which the
/// polling contradicts; while it was tried again, the banner said it
/// (stranger 80, CC5). In every language.
#[test]
fn a_stalled_stream_given_up_is_not_said_to_reconnect() {
    use stepwise::client::live::LiveFault;
    use stepwise::text::Lang;
    let stall = || LiveFault::Silent {
        after: Duration::from_secs(45),
        kept_alive: false,
    };
    for &lang in Lang::ALL {
        let mut s = opened_in(lang, ["alreadyDone", "todo", "todo"]);
        let (f, _) = followed(&ch(&mut s, 'w'));
        live(&mut s, f, LiveUpdate::Mode(Mode::Live), 1);
        let error = LiveUpdate::Error {
            error: GatewayError::Live(stall()),
            retrying: true,
        };
        live(&mut s, f, error, 2);
        let full = stepwise::describe::gateway_cause(lang, &GatewayError::Live(stall()));
        let (cause, tail) = full.rsplit_once(". ").unwrap();
        let retrying = session(&s).banner().cloned().unwrap();
        assert!(retrying.text.contains(tail), "{lang:?}: {retrying:?}");
        let polling = LiveUpdate::Mode(Mode::Polling {
            every: Duration::from_secs(3),
        });
        live(&mut s, f, polling, 3);
        let banner = session(&s).banner().cloned().unwrap();
        assert!(
            banner.text.contains(cause) && !banner.text.contains(tail),
            "{lang:?}: {banner:?}"
        );
    }
}

/// A stream that stalled without keep-alives and is back stays said, its
/// changes late and whom to tell, not a banner gone in a moment; the
/// header says live again (stranger 80, CC4). A cut stream that is back
/// leaves no word.
#[test]
fn a_stream_back_after_a_stall_stays_said() {
    use stepwise::client::live::LiveFault;
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(&mut s, f, LiveUpdate::Mode(Mode::Live), 1);
    let stall = LiveUpdate::Error {
        error: GatewayError::Live(LiveFault::Silent {
            after: Duration::from_secs(45),
            kept_alive: false,
        }),
        retrying: true,
    };
    live(&mut s, f, stall, 2);
    live(&mut s, f, LiveUpdate::Mode(Mode::Live), 3);
    let again = LiveUpdate::List(list(["alreadyDone", "todo", "todo"]));
    live(&mut s, f, again, 4);
    let banner = session(&s).banner().cloned().expect("the stall stays said");
    assert_eq!(banner.title, "Live stream back after a stall");
    assert!(
        banner.text.contains("nothing for 45.0 s")
            && banner
                .text
                .contains("a change may show up to 45.0 s late; tell the gateway's operator"),
        "{banner:?}"
    );
    assert!(render(&s).contains("watch ON · live"), "{}", render(&s));

    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(&mut s, f, LiveUpdate::Mode(Mode::Live), 1);
    let cut = LiveUpdate::Error {
        error: GatewayError::Live(LiveFault::Cut),
        retrying: true,
    };
    live(&mut s, f, cut, 2);
    assert!(session(&s).banner().is_some());
    live(&mut s, f, LiveUpdate::Mode(Mode::Live), 3);
    assert_eq!(session(&s).banner(), None);
}

/// A stream given up for polling after failures says so, with the last
/// failure: the fresh polls would otherwise hide that the stream is gone.
/// A gateway that never offered a stream polls without a word.
#[test]
fn a_stream_given_up_for_polling_says_so() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(&mut s, f, LiveUpdate::Mode(Mode::Live), 1);
    live(
        &mut s,
        f,
        LiveUpdate::Error {
            error: GatewayError::Live(stepwise::client::live::LiveFault::Said(ErrorBody::new(
                Some(2312),
                "device disabled",
            ))),
            retrying: true,
        },
        2,
    );
    let polling = LiveUpdate::Mode(Mode::Polling {
        every: Duration::from_secs(3),
    });
    live(&mut s, f, polling.clone(), 3);
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(
        banner.title,
        "Live stream given up: the list is asked for every 3 s"
    );
    // The last failure in the gateway's words, with its code (whose cure
    // is R), never its category alone (stranger 40, AO11).
    assert!(
        banner.text.contains(
            "kept failing (last: the gateway's live stream sent an error: device disabled"
        ) && banner.text.contains("2312"),
        "{banner:?}"
    );
    // Whom to tell: the gateway's operator, or a proxy's (the stream may
    // have failed in a proxy); never doctor, which reads only the first
    // event and may then find all well (stranger 86, CI6).
    assert!(
        banner
            .text
            .ends_with("give the failure in brackets to the gateway's operator, or to whoever runs a proxy on the way (a stream can fail in one)."),
        "{banner:?}"
    );
    assert!(!banner.text.contains("doctor"), "{banner:?}");
    assert!(render(&s).contains("watch ON · polling every 3 s"));

    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    live(&mut s, f, polling, 1);
    let banner = session(&s).banner().cloned().unwrap();
    assert_eq!(banner.title, "Watching", "{banner:?}");
}

/// Watch without a stepsID yet (the first list failed) asks by
/// carAssociationID on the timer until a list arrives, then follows it.
#[test]
fn watch_without_a_steps_id_asks_by_car_then_follows() {
    let mut s = state(true);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Err(GatewayError::Unreachable {
            base: "http://127.0.0.1:9".into(),
            detail: "refused".into(),
        }),
        1,
    );
    let (id, lookup, _, purpose) = fetched(&ch(&mut s, 'w'));
    assert_eq!(lookup, Lookup::Car("987654".into()));
    assert_eq!(purpose, Purpose::Watch);
    assert!(s.watch_timer());
    answer(
        &mut s,
        id,
        purpose,
        Err(rejected(503, Rejection::ServerFailure)),
        2,
    );
    let (id, _, _, purpose) = fetched(&update(&mut s, Input::WatchTick, t(5)));
    let effects = answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        6,
    );
    let (_, steps_id) = followed(&effects);
    assert_eq!(steps_id, "132324");
    assert!(!s.watch_timer(), "followed: the timer rests");
    assert!(update(&mut s, Input::WatchTick, t(9)).is_empty());
}

/// A list the wizard asked for itself (r, R) while following starts the
/// follower afresh: a poll must not call "unchanged" a list that only
/// matches the follower's older one.
#[test]
fn a_refresh_while_following_starts_the_follower_afresh() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let effects = answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        2,
    );
    let (g, steps_id) = followed(&effects);
    assert_eq!(steps_id, "132324");
    assert_ne!(g, f);
    assert!(
        live(
            &mut s,
            f,
            LiveUpdate::List(list(["todo", "todo", "todo"])),
            3
        )
        .is_empty()
    );
    assert_eq!(
        session(&s).whole().unwrap().done_count(),
        1,
        "the old follower is ignored"
    );
}

/// Back to the start screen stops the follower.
#[test]
fn back_to_start_stops_the_follower() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let effects = key(&mut s, KeyCode::Esc);
    assert!(effects.contains(&unfollow()), "{effects:?}");
    assert!(live(&mut s, f, LiveUpdate::Mode(Mode::Live), 1).is_empty());
    assert!(session(&s).following().is_none());
}

/// Below the smallest size only quitting (and resizing) does anything: keys
/// act on nothing the technician cannot see.
#[test]
fn a_window_too_small_acts_on_nothing_but_quit() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    update(
        &mut s,
        Input::Resize {
            width: 40,
            height: 10,
        },
        t(1),
    );
    for c in ['R', 'y', 's', 'g', 'r', 'w', 'e', '?', 'f', 'n', 'x'] {
        assert!(ch(&mut s, c).is_empty(), "{c} acted in a window too small");
    }
    assert_eq!(s.overlay(), None);
    assert!(!session(&s).watch());
    update(
        &mut s,
        Input::Resize {
            width: 80,
            height: 24,
        },
        t(2),
    );
    assert!(
        !ch(&mut s, 'r').is_empty(),
        "keys work again after a resize"
    );
    update(
        &mut s,
        Input::Resize {
            width: 40,
            height: 10,
        },
        t(3),
    );
    ch(&mut s, 'q');
    assert!(s.quit_requested());
}

/// On the start screen one Esc too many never ends the session: Esc clears
/// the field, q quits only an empty one.
#[test]
fn esc_on_the_start_screen_clears_and_never_quits() {
    let mut s = state(false);
    update(&mut s, Input::Paste("98q".into()), t(0));
    assert_eq!(s.start_field().unwrap().input(), "98q", "q is typed");
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.start_field().unwrap().input(), "");
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    assert!(!s.quit_requested());
    ch(&mut s, 'q');
    assert!(s.quit_requested());
}

/// PgDn in help moves a page of what the window shows (less one line kept
/// in sight), not a fixed few lines.
#[test]
fn page_down_in_help_moves_a_page_of_the_window() {
    for (height, page) in [(30, 25), (16, 11)] {
        let mut s = opened(["alreadyDone", "todo", "todo"]);
        update(&mut s, Input::Resize { width: 100, height }, t(1));
        ch(&mut s, '?');
        key(&mut s, KeyCode::PageDown);
        assert_eq!(
            s.overlay(),
            Some(&Overlay::Help { scroll: page }),
            "{height} rows"
        );
        key(&mut s, KeyCode::PageUp);
        assert_eq!(
            s.overlay(),
            Some(&Overlay::Help { scroll: 0 }),
            "{height} rows"
        );
    }
}

/// Help scrolls to its end and no further (its last line at the bottom:
/// the first key up moves it, stranger 46's window of 100×30 too); the
/// guidance scrolls by pages and starts again at the top for another step.
#[test]
fn help_and_guidance_scroll() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    update(
        &mut s,
        Input::Resize {
            width: 100,
            height: 30,
        },
        t(1),
    );
    ch(&mut s, '?');
    for _ in 0..500 {
        key(&mut s, KeyCode::PageDown);
    }
    let Some(Overlay::Help { scroll }) = s.overlay().cloned() else {
        panic!("help is open");
    };
    assert!(
        scroll > 10 && scroll < 200,
        "scroll stops at the end: {scroll}"
    );
    let rows = stepwise::wizard::keymap::help_rows(&s, 84).len();
    assert_eq!(usize::from(scroll), rows - 27, "the last row at the bottom");
    let end = render_at(&s, 100, 30);
    key(&mut s, KeyCode::Up);
    assert_eq!(s.overlay(), Some(&Overlay::Help { scroll: scroll - 1 }));
    assert_ne!(render_at(&s, 100, 30), end, "one key up moves help");
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::PageDown);
    assert_eq!(session(&s).guide_scroll(), 5);
    ch(&mut s, 'j');
    assert_eq!(
        session(&s).guide_scroll(),
        0,
        "another step's guide starts at its top"
    );
}

/// Back to the start screen cancels the vehicle's request in flight.
#[test]
fn back_to_start_cancels_the_request_in_flight() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    ch(&mut s, 'r');
    let effects = key(&mut s, KeyCode::Esc);
    assert_eq!(
        effects,
        vec![Effect::Cancel {
            car: "987654".into()
        }]
    );
    assert!(!s.is_loading());
    assert_eq!(s.start_field().unwrap().input(), "987654");
}

// ------------------------------------------------------------------ signing in

/// The sign-in effect among effects: its id.
fn sign_in_started(effects: &[Effect]) -> u64 {
    let found: Vec<u64> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::SignIn { id, data_dir } => {
                assert_eq!(data_dir.as_deref(), Some(std::path::Path::new("/data")));
                Some(*id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "expected one sign-in in {effects:?}");
    found[0]
}

fn prompt() -> SignInPrompt {
    SignInPrompt {
        user_code: "BCDF-GHJK".into(),
        verification_uri: "http://gw.example/device".into(),
        address: "http://gw.example/device?user_code=BCDF-GHJK".into(),
        expires_in_secs: 600,
    }
}

fn kept_in_file() -> SignedIn {
    SignedIn {
        place: Place::File("/data/logins.json".into()),
        new_file: false,
        keyring_too_small: None,
        file_chosen: false,
    }
}

fn msg(state: &mut State, msg: Msg, at: u64) -> Vec<Effect> {
    update(state, Input::Msg(msg), t(at))
}

/// A 401 on the first list of a real gateway: `i` signs in from the wizard,
/// the overlay shows the code, and once signed in the same vehicle's list is
/// asked for again (by carAssociationID: no list came yet).
/// A real gateway's first list refused with a 401: the sign-in is offered.
fn refused_token() -> State {
    refused_with(state(false), rejected(401, Rejection::Unauthorized))
}

/// `s` with car 987654's first list answered `error`.
fn refused_with(mut s: State, error: GatewayError) -> State {
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(&mut s, id, purpose, Err(error), 1);
    s
}

/// A scope a renewal's grant dropped: the banner sends to `i`, and `i`
/// signs in from the wizard, as the words say (stranger 68, BQ3).
#[test]
fn a_scope_a_renewal_dropped_is_signed_in_again_with_i() {
    let mut s = refused_with(
        state(false),
        GatewayError::ScopeWanted {
            status: 403,
            scope: "steps:read".into(),
            sent: None,
            token_sent: true,
            asked: true,
            dropped: Some("openid".into()),
            ask: "openid offline_access steps:read".into(),
        },
    );
    let banner = session(&s).banner().expect("a banner").clone();
    assert!(banner.text.contains("in the wizard, i"), "{banner:?}");
    sign_in_started(&ch(&mut s, 'i'));
}

/// A list cut short on the way: a failed request that `r` may cure, never
/// "asking again gets the same answer" under an "Unusable answer"; an
/// answer of the wrong shape still is (stranger 70, BS1).
#[test]
fn a_list_cut_short_is_no_answer_that_comes_the_same_again() {
    let cut = GatewayError::BadAnswer(stepwise::wire::DecodeError::NotJson {
        line: 1,
        column: 40,
        cut: true,
    });
    let s = refused_with(state(false), cut);
    let banner = session(&s).banner().expect("a banner").clone();
    assert_eq!(banner.title, "Request failed");
    assert!(banner.text.contains("was cut short"), "{banner:?}");
    let screen = render_at(&s, 100, 30);
    assert!(
        !screen.contains("asking again gets the same answer"),
        "{screen}"
    );
    let garbled = GatewayError::BadAnswer(stepwise::wire::DecodeError::NotJson {
        line: 1,
        column: 3,
        cut: false,
    });
    let s = refused_with(state(false), garbled);
    assert_eq!(
        session(&s).banner().expect("a banner").title,
        "Unusable answer"
    );
    let screen = render_at(&s, 100, 30);
    assert!(
        screen.contains("asking again gets the same answer"),
        "{screen}"
    );
}

/// While the code is asked for, the box says it comes from the identity
/// provider the gateway names (the one that may keep it waiting), never
/// "asking the gateway" alone (stranger 78, CA5); wrapped at 60x16.
#[test]
fn the_sign_in_box_says_the_provider_gives_the_code() {
    let mut s = refused_token();
    sign_in_started(&ch(&mut s, 'i'));
    let flat = render_at(&s, 60, 16)
        .replace(['│', '"'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("Asking for a sign-in code: the gateway names its")
            && flat.contains("identity provider, which gives the code…"),
        "{flat}"
    );
}

/// A sign-in address on this machine only (loopback) gets no QR code: a
/// phone that scanned it would open its own loopback.
#[test]
fn a_loopback_sign_in_address_gets_no_qr_code() {
    let mut s = refused_token();
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    let local = |address: &str| SignInPrompt {
        address: address.into(),
        ..prompt()
    };
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: sign_in,
            prompt: local("http://127.0.0.1:46220/device?user_code=BCDF-GHJK"),
        },
        2,
    );
    let screen = render_at(&s, 120, 45);
    assert!(screen.contains("BCDF-GHJK"), "{screen}");
    assert!(!screen.contains('█') && !screen.contains("QR"), "{screen}");
    // The same box with a routable address draws it.
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: sign_in,
            prompt: local("http://10.0.0.7:8080/device?user_code=BCDF-GHJK"),
        },
        3,
    );
    let screen = render_at(&s, 120, 45);
    assert!(screen.contains('█') && screen.contains("QR"), "{screen}");
    // In the smallest window it has no room: said, not dropped silently.
    let small = render_at(&s, 60, 16);
    assert!(
        small.contains("BCDF-GHJK")
            && !small.contains('█')
            && small.contains("A larger window shows a QR"),
        "{small}"
    );
}

/// A code that lasts 20 s is said to last 20 s, not "1 min".
#[test]
fn a_short_lived_code_is_said_as_long_as_it_lasts() {
    let mut s = refused_token();
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: sign_in,
            prompt: SignInPrompt {
                expires_in_secs: 20,
                ..prompt()
            },
        },
        2,
    );
    let screen = render_at(&s, 120, 45);
    assert!(screen.contains("the code expires in 20s"), "{screen}");
}

/// A 401's own words (its Bearer challenge's `error_description`) end the
/// sign-in offer: the gateway's reason, as it said it.
#[test]
fn a_401_s_own_words_end_the_sign_in_offer() {
    let s = refused_with(
        state(false),
        GatewayError::Unauthorized {
            sent: Some(stepwise::config::TokenFrom::Environment),
            expired: None,
            said: Some("token revoked by the fleet admin".into()),
            through: None,
        },
    );
    let banner = session(&s).banner().expect("a banner").text.clone();
    // A token given by hand (STEPWISE_TOKEN): its own fix first, then `i`
    // where the gateway offers sign-in.
    assert!(
        banner.starts_with("The gateway refused the token from STEPWISE_TOKEN (HTTP 401). Put its current token there"),
        "{banner}"
    );
    assert!(
        banner.contains("press i to sign in here, if the gateway offers sign-in"),
        "{banner}"
    );
    assert!(
        banner.ends_with("The gateway says: “token revoked by the fleet admin”."),
        "{banner}"
    );
}

/// A bare 401 that came through a proxy offers the sign-in first, then
/// names the proxy as the other possible cause (stranger 83, CF1).
#[test]
fn a_bare_401_through_a_proxy_offers_sign_in_then_names_the_proxy() {
    let s = refused_with(
        state(false),
        GatewayError::Unauthorized {
            sent: None,
            expired: None,
            said: None,
            through: Some(Box::new(stepwise::client::BareThrough {
                proxy: "http://proxy.example:3128".into(),
                from: "HTTPS_PROXY",
                host: "gw.example".into(),
            })),
        },
    );
    let banner = session(&s).banner().expect("a banner").text.clone();
    let offer = banner.find("Press i to sign in");
    let proxy = banner.find("came through the proxy http://proxy.example:3128 (from HTTPS_PROXY)");
    assert!(
        matches!((offer, proxy), (Some(o), Some(p)) if o < p),
        "{banner}"
    );
    assert!(banner.contains("set NO_PROXY=gw.example"), "{banner}");
}

/// Where no list came, the words in its place are whole at 100×30 (they
/// were cut after one line), and a refused token reads as one: the
/// gateway wants a valid token, whether none or a wrong one was sent.
#[test]
fn the_words_in_place_of_a_list_are_whole() {
    let s = refused_with(
        state(false),
        GatewayError::Unauthorized {
            sent: Some(stepwise::config::TokenFrom::Environment),
            expired: None,
            said: None,
            through: None,
        },
    );
    let screen = render_at(&s, 100, 30);
    assert!(screen.contains("wants a valid token"), "{screen}");
    assert!(screen.contains("asked for again after."), "{screen}");
}

/// An answer of another shape than a steps list comes back the same when
/// asked again: the panel says so, not "press r to ask again".
#[test]
fn an_unusable_answer_is_not_offered_r() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Err(GatewayError::BadAnswer(
            stepwise::wire::DecodeError::WrongShape(stepwise::wire::Shape::NoSteps(vec![
                "status".into(),
            ])),
        )),
        1,
    );
    let screen = render(&s);
    assert!(
        screen.contains("asking again gets the same answer"),
        "{screen}"
    );
    assert!(!screen.contains("press r to ask again"), "{screen}");
}

/// Logins that could not be read are why no token went out: the 401's
/// banner says that with the cause itself (a keyring out of reach, and no
/// login at all perhaps), not only "none was sent" nor a file to look up
/// (stranger 71, BT3).
#[test]
fn a_401_with_an_unreadable_login_names_the_login_not_a_missing_token() {
    let why = "STEPWISE_TOKEN_STORE=keyring, but the keyring cannot be used: no desktop session bus (D-Bus) can be reached";
    let s = refused_with(
        State::new(Options {
            backend_label: "test".into(),
            login_trouble: Some(why),
            ..Options::default()
        }),
        GatewayError::Unauthorized {
            sent: None,
            expired: None,
            said: None,
            through: None,
        },
    );
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner.text.contains(&format!(
            "the logins kept by `stepwise login` could not be read: {why}."
        )),
        "{banner:?}"
    );
    assert!(!banner.text.contains("names the file"), "{banner:?}");
    // Without the damaged file, the words of a token never given.
    let s = refused_with(
        state(false),
        GatewayError::Unauthorized {
            sent: None,
            expired: None,
            said: None,
            through: None,
        },
    );
    let banner = session(&s).banner().unwrap().clone();
    assert!(!banner.text.contains("cannot be read"), "{banner:?}");
}

#[test]
fn a_401_offers_to_sign_in_and_the_session_resumes_once_signed_in() {
    let mut s = refused_token();
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Error);
    assert!(banner.text.contains("Press i to sign in"), "{banner:?}");
    assert!(!banner.text.contains("stepwise login"), "{banner:?}");

    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    let overlay = s.sign_in().expect("the sign-in overlay");
    assert_eq!((overlay.id, overlay.prompt.as_ref()), (sign_in, None));
    // Keys of the steps screen do not reach under the overlay.
    assert!(ch(&mut s, 'r').is_empty());

    // The code as the network gave it, with an escape sequence in it.
    let mut hostile = prompt();
    hostile.user_code = "BCDF-\x1b[2JGHJK".into();
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: sign_in,
            prompt: hostile,
        },
        2,
    );
    let shown = s.sign_in().unwrap().prompt.clone().unwrap();
    assert!(!shown.user_code.contains('\x1b'), "{shown:?}");
    assert_eq!(
        ch(&mut s, 'o'),
        vec![Effect::OpenUrl(prompt().address)],
        "o opens the address with the code in it"
    );

    let effects = msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Ok(kept_in_file()),
        },
        3,
    );
    assert!(s.overlay().is_none());
    let (id, lookup, reset, purpose) = fetched(&effects);
    assert_eq!(
        (lookup, reset, purpose),
        (Lookup::Car("987654".into()), false, Purpose::Open)
    );
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Signed in");
    assert!(banner.text.contains("/data/logins.json"), "{banner:?}");
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        4,
    );
    assert_eq!(*s.screen(), Screen::Steps);
    assert_eq!(session(&s).steps_id(), Some("132324"));
    // One session throughout: its log holds the refusal and the list.
    let log = serde_json::to_string(session(&s).log()).unwrap();
    assert!(log.contains("401") && log.contains("132324"), "{log}");
}

/// While watching, a 401 stops the watch and offers `i`; after signing in
/// the list is refreshed by the stepsID it had, not started over.
#[test]
fn a_401_while_watching_offers_sign_in_and_refreshes_by_steps_id() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        0,
    );
    // Watch follows the list; the follower ends on the refused token.
    let (id, _) = followed(&ch(&mut s, 'w'));
    live(
        &mut s,
        id,
        LiveUpdate::Error {
            error: rejected(401, Rejection::Unauthorized),
            retrying: false,
        },
        3,
    );
    assert!(!session(&s).watch());
    let banner = session(&s).banner().unwrap().clone();
    assert!(banner.title.starts_with("Watch stopped"), "{banner:?}");
    assert!(banner.text.contains("Press i"), "{banner:?}");

    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    let effects = msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Ok(kept_in_file()),
        },
        4,
    );
    let (_, lookup, _, purpose) = fetched(&effects);
    assert_eq!(
        (lookup, purpose),
        (Lookup::StepsId("132324".into()), Purpose::Refresh)
    );
}

/// After `i` fails in a way that repeats, the panel no longer offers `i`
/// either, as the banner and the footer do not (stranger 45, AT10).
#[test]
fn a_futile_sign_in_withdraws_i_from_the_panel_too() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    let none = GatewayError::Unauthorized {
        sent: None,
        expired: None,
        said: None,
        through: None,
    };
    answer(&mut s, id, purpose, Err(none), 1);
    assert!(render(&s).contains("Press i to sign in"), "{}", render(&s));
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Err(AuthError::UnknownScope {
                scopes: "steps".into(),
                said: "invalid_scope".into(),
            }),
        },
        2,
    );
    let screen = render(&s);
    assert!(
        screen.contains("signing in here fails") && !screen.contains("Press i to sign in"),
        "{screen}"
    );
}

/// Once `i` found that the gateway offers no sign-in, later refusals for
/// want of a token say how to give its fixed token, the footer and the
/// panel offer no `i`, and `i` says the same again without a new try
/// (stranger 50, AY3).
#[test]
fn a_gateway_without_sign_in_is_remembered_once_i_found_it() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    let none = || GatewayError::Unauthorized {
        sent: None,
        expired: None,
        said: None,
        through: None,
    };
    answer(&mut s, id, purpose, Err(none()), 1);
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    let not_offered = AuthError::Discovery(stepwise::auth::Discovery::NotOffered {
        gateway: "http://10.0.0.7:8080/".into(),
        status: Some(404),
    });
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Err(not_offered),
        },
        2,
    );
    // The list is asked again (r), and refused again: the banner keeps
    // the fixed token's words.
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    answer(&mut s, id, purpose, Err(none()), 3);
    let banner = session(&s).banner().unwrap().clone();
    assert!(banner.text.contains("offers no sign-in"), "{banner:?}");
    assert!(!banner.text.contains("Press i"), "{banner:?}");
    let screen = render(&s);
    assert!(!screen.contains("Press i to sign in"), "{screen}");
    assert!(!screen.contains(" i sign in"), "{screen}");
    // `i` starts no new sign-in: it says the same again.
    assert_eq!(ch(&mut s, 'i'), []);
    assert!(s.overlay().is_none());
    let again = session(&s).banner().unwrap();
    assert!(again.text.contains("offers no sign-in"), "{again:?}");
}

/// `o`, `g` and `n` with no list come and the failure on show: the failure
/// stays (its title, its cause), led by a sentence that the key needs a
/// list, never "press r" that meets the same refusal, never nothing at all
/// (stranger 60, BI3).
#[test]
fn keys_that_need_a_list_keep_the_failure_that_says_why_there_is_none() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    let refused = GatewayError::Refused {
        base: "http://127.0.0.1:8080/".into(),
        status: 403,
        said: "Request blocked by WAF".into(),
        token_sent: false,
        proxy: None,
    };
    answer(&mut s, id, purpose, Err(refused), 1);
    let before = session(&s).banner().unwrap().clone();
    for (key, lead) in [
        ('o', "o needs a list of steps, and none has come. Why:"),
        ('g', "g needs a list of steps, and none has come. Why:"),
        ('n', "n needs a list of steps, and none has come. Why:"),
        ('n', "n needs a list of steps, and none has come. Why:"),
    ] {
        assert_eq!(ch(&mut s, key), [], "{key}: nothing asked");
        let banner = session(&s).banner().unwrap().clone();
        assert_eq!(banner.title, before.title, "{key}");
        assert_eq!(banner.text, format!("{lead} {}", before.text), "{key}");
        assert!(!banner.text.contains("Press r"), "{key}: {banner:?}");
    }
    assert!(render(&s).contains("asking again gets the same answer"));
}

/// Watch held by a failure that asked a wait (a 503 with Retry-After: 60
/// to a poll) says the wait, on screen and in the report, never only "goes
/// on by itself when it can" (stranger 63, BL9).
#[test]
fn a_live_failure_asking_a_wait_says_the_wait() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    // The follower fails with `status`, asking a wait of `secs`: the
    // banner's words.
    let mut waits = |status, kind, secs, at| {
        let error = GatewayError::Rejected {
            status,
            kind,
            body: ErrorBody::new(None, "busy"),
            retry_after: Some(Duration::from_secs(secs)),
            proxy: None,
        };
        let update = LiveUpdate::Error {
            error,
            retrying: true,
        };
        live(&mut s, f, update, at);
        session(&s).banner().unwrap().text.clone()
    };
    let text = waits(503, Rejection::ServerFailure, 60, 2);
    assert!(
        text.contains("The gateway asked to wait 60 s (its Retry-After): watch asks again then"),
        "{text}"
    );
    // A wait longer than stepwise keeps: the one applied is said too
    // (stranger 70, BS5).
    let text = waits(429, Rejection::TooManyRequests, 7200, 3);
    assert!(
        text.contains("asked to wait 7200 s (its Retry-After); stepwise waits at most 3600 s: watch asks again then"),
        "{text}"
    );
    let md = s.report().to_markdown();
    assert!(md.contains("asked to wait 60 s"), "{md}");
}

/// A sign-in cancelled with Esc before its approval is kept in the report,
/// not only the refusal that asked for it (stranger 63, BL10).
#[test]
fn a_cancelled_sign_in_is_in_the_report() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    let none = GatewayError::Unauthorized {
        sent: None,
        expired: None,
        said: None,
        through: None,
    };
    answer(&mut s, id, purpose, Err(none), 1);
    sign_in_started(&ch(&mut s, 'i'));
    assert_eq!(key(&mut s, KeyCode::Esc), [Effect::CancelSignIn]);
    assert!(s.overlay().is_none());
    let md = s.report().to_markdown();
    assert!(md.contains("cancelled before the approval came"), "{md}");
}

/// `s` (the simulated customer) on the demo with no list come: the failure
/// that says why stays, led by the word that `s` needs a list; never
/// nothing at all (stranger 64, BM2).
#[test]
fn s_with_no_list_says_it_needs_one() {
    let mut s = refused_with(state(true), rejected(500, Rejection::ServerFailure));
    let before = session(&s).banner().unwrap().clone();
    assert_eq!(ch(&mut s, 's'), []);
    let after = session(&s).banner().unwrap();
    assert_eq!(
        after.text,
        format!(
            "s needs a list of steps, and none has come. Why: {}",
            before.text
        )
    );
}

/// A sign-in that fails changes nothing of why there is no list: a proxy
/// that answered 401 itself still answers so, and the panel keeps "asking
/// again gets the same answer", never "press r to ask again" (stranger 60,
/// BI5).
#[test]
fn a_failed_sign_in_keeps_the_panel_s_word_on_asking_again() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    let proxy = GatewayError::Proxy {
        proxy: "http://127.0.0.1:3128".into(),
        from: "http_proxy",
        status: 401,
        said: String::new(),
        credentials: false,
        asks_password: false,
        retry_after: None,
    };
    answer(&mut s, id, purpose, Err(proxy), 1);
    let same = "asking again gets the same answer";
    assert!(render(&s).contains(same), "{}", render(&s));
    let effects = ch(&mut s, 'i');
    let sign_in = sign_in_started(&effects);
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Err(AuthError::Expired),
        },
        2,
    );
    let screen = render(&s);
    assert!(screen.contains("Sign-in failed"), "{screen}");
    assert!(screen.contains(same), "{screen}");
    assert!(!screen.contains("press r to ask again"), "{screen}");
}

/// `n` is offered in the footer only once a stepsID is known: before, the
/// next-step call has nothing to ask by (stranger 50, AY4).
#[test]
fn n_is_offered_only_with_a_steps_id() {
    let refused = refused_token();
    assert!(session(&refused).steps_id().is_none());
    let screen = render(&refused);
    assert!(!screen.contains("n next"), "{screen}");
    let opened = opened(["alreadyDone", "todo", "todo"]);
    let screen = render(&opened);
    assert!(screen.contains("n next"), "{screen}");
}

/// A login that is over (`invalid_grant`) says "Sign in again" with the key.
#[test]
fn invalid_grant_shows_a_sign_in_again_banner_with_the_key() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        0,
    );
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let over = GatewayError::Auth(AuthError::SignInAgain(stepwise::auth::Over::Revoked {
        gateway: "http://127.0.0.1:1/".into(),
        said: "invalid_grant".into(),
    }));
    answer(&mut s, id, purpose, Err(over), 1);
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.kind, BannerKind::Error);
    assert_eq!(banner.title, "Sign in again");
    assert!(
        banner.text.contains("invalid_grant") && banner.text.contains("Press i to sign in again"),
        "{banner:?}"
    );
    sign_in_started(&ch(&mut s, 'i'));
}

/// A gateway that refuses even a renewed token (its audience), or a
/// provider that refuses the client id: a new sign-in as it is gets the
/// same, so the wizard names the cause and the setting, and offers no `i`
/// ("Sign in again", "Press i", "the login is over" would send the
/// technician through the customer's phone for nothing); `i` pressed
/// anyway starts none and says why.
#[test]
fn a_cause_no_sign_in_fixes_offers_no_i() {
    // The last sentence, kept by a banner cut short: the setting to give,
    // or, for a login this run asks no more with, the way on (stranger
    // 90, CM1).
    let causes = [
        (
            stepwise::auth::Over::RefusedFresh {
                said: Some("audience mismatch".into()),
                token: stepwise::auth::FreshToken::Renewed,
            },
            "Tokens not accepted",
            "--audience URI",
            "quit with q and start stepwise again",
        ),
        (
            stepwise::auth::Over::ClientRefused {
                gateway: "http://127.0.0.1:1/".into(),
                client_id: "stepwise".into(),
                said: "invalid_client".into(),
            },
            "Client id refused",
            "--client-id ID",
            "--client-id ID",
        ),
    ];
    for (over, title, setting, last) in causes {
        let mut s = state(false);
        let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
        let error = GatewayError::Auth(AuthError::SignInAgain(over));
        answer(&mut s, id, purpose, Err(error), 1);
        let banner = session(&s).banner().unwrap().clone();
        assert_eq!(banner.title, title, "{banner:?}");
        assert!(banner.text.contains(setting), "{banner:?}");
        for wrong in ["Press i", "the login is over", "Sign in again"] {
            assert!(!banner.text.contains(wrong), "{banner:?}");
        }
        assert!(!session(&s).refused_token(), "{title}");
        // In the smallest window the banner is cut short, and keeps the
        // setting to give (its last sentence).
        let small = render_at(&s, 60, 16);
        let flat = small
            .replace(['│', '"'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(last) && flat.contains("… "), "{small}");
        let screen = render(&s);
        let footer = screen
            .lines()
            .rfind(|l| l.contains("? help"))
            .unwrap_or_default();
        assert!(!footer.contains("i sign in"), "{footer}");
        // `i` pressed anyway starts no sign-in and says why, twice alike.
        for _ in 0..2 {
            assert!(ch(&mut s, 'i').is_empty(), "{title}: no sign-in effect");
            assert!(s.sign_in().is_none(), "{title}: no overlay");
        }
        let banner = session(&s).banner().unwrap().clone();
        assert!(
            banner.title == "No sign-in started" && banner.text.contains(setting),
            "{banner:?}"
        );
    }
}

/// A login this run asks no more with (the gateway refused even a token
/// just renewed): `r` and watch would only repeat it, so the words say to
/// quit and start again once it is fixed, never "press w to watch again
/// once it is fixed" (stranger 90, CM1).
#[test]
fn a_login_over_for_the_run_says_to_start_again() {
    let over = GatewayError::Auth(AuthError::SignInAgain(stepwise::auth::Over::RefusedFresh {
        said: None,
        token: stepwise::auth::FreshToken::Renewed,
    }));
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    followed(&ch(&mut s, 'w'));
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    answer(&mut s, id, purpose, Err(over), 1);
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner.text.ends_with("This run asks the gateway no more with this login, so r and w get this answer again: once it is fixed, or after a new `stepwise login`, quit with q and start stepwise again."),
        "{banner:?}"
    );
    assert!(
        !banner.text.contains("press w to watch again"),
        "{banner:?}"
    );
}

/// A sign-in failed for a setting the running wizard read when it started
/// (the client id, the scopes), or for a wait the provider asked: the
/// banner says to change the config file and start again, or to press
/// `i` after the wait; never a flag the wizard refuses, nor `stepwise
/// login`, whose login a running wizard would not read.
#[test]
fn sign_in_failures_the_wizard_cannot_fix_while_it_runs_say_so() {
    let client = AuthError::UnknownClient {
        client_id: "bogus".into(),
        said: "invalid_client".into(),
        other: stepwise::auth::OtherSignIn::None,
    };
    let busy = AuthError::Provider(stepwise::auth::ProviderProblem::CodeBusy {
        said: "HTTP 429".into(),
        wait: Some(90),
    });
    for (error, words) in [
        (
            client,
            "takes no --client-id or --scope: change them in the config file",
        ),
        (busy, "asks to wait 1m 30s. Press i after that wait"),
    ] {
        let mut s = refused_token();
        let id = sign_in_started(&ch(&mut s, 'i'));
        msg(
            &mut s,
            Msg::SignedIn {
                id,
                result: Err(error),
            },
            2,
        );
        let banner = session(&s).banner().unwrap().clone();
        assert!(banner.text.contains(words), "{banner:?}");
        assert!(!banner.text.contains("Run `stepwise login"), "{banner:?}");
        // `i` joins the key bar again only after a wait, never where the
        // words say a setting must change first.
        let screen = render(&s);
        let footer = screen
            .lines()
            .rfind(|l| l.contains("? help"))
            .unwrap_or_default();
        assert_eq!(
            footer.contains("i sign in"),
            words.contains("Press i"),
            "{footer}"
        );
    }
}

/// `i` on a vehicle whose --api answers with a web server's login (no
/// steps gateway): no sign-in starts, and the banner keeps the cause; a
/// token could not get past a Basic login.
#[test]
fn i_on_a_web_server_s_login_starts_no_sign_in() {
    let basic = GatewayError::NotAGateway {
        base: "http://127.0.0.1:1/".into(),
        status: 401,
        proxy: None,
        call: None,
        windows: false,
        listed: false,
    };
    let mut s = refused_with(state(false), basic);
    assert!(ch(&mut s, 'i').is_empty(), "no sign-in effect");
    assert!(s.sign_in().is_none());
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "No sign-in started", "{banner:?}");
    assert!(!banner.text.contains("--with-token"), "{banner:?}");
}

/// Esc stops the sign-in; an answer of the stopped one changes nothing.
#[test]
fn a_cancelled_sign_in_is_stopped_and_its_late_answers_ignored() {
    let mut s = refused_token();
    let first = sign_in_started(&ch(&mut s, 'i'));
    assert_eq!(key(&mut s, KeyCode::Esc), vec![Effect::CancelSignIn]);
    assert!(s.overlay().is_none());
    assert_eq!(*s.screen(), Screen::Steps, "Esc closes the overlay only");
    assert!(
        msg(
            &mut s,
            Msg::SignedIn {
                id: first,
                result: Ok(kept_in_file())
            },
            2
        )
        .is_empty()
    );
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: first,
            prompt: prompt(),
        },
        2,
    );
    assert!(s.overlay().is_none());

    // A second try: its answers count, the first one's do not.
    let second = sign_in_started(&ch(&mut s, 'i'));
    assert_ne!(first, second);
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: first,
            prompt: prompt(),
        },
        3,
    );
    assert!(s.sign_in().unwrap().prompt.is_none());
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: second,
            prompt: prompt(),
        },
        3,
    );
    assert_eq!(s.sign_in().unwrap().prompt, Some(prompt()));
}

/// A refused or expired code closes the overlay with the reason and the key.
#[test]
fn a_failed_sign_in_says_why_and_how_to_try_again() {
    let mut s = refused_token();
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    let effects = msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Err(AuthError::Denied {
                scopes: "openid offline_access".into(),
                said: None,
            }),
        },
        2,
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert!(s.overlay().is_none());
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Sign-in failed");
    assert!(
        banner.text.contains("access_denied")
            && banner.text.contains("openid offline_access")
            && banner
                .text
                .contains("If it was refused in the browser, press i to sign in again")
            && !banner.text.contains("stepwise login"),
        "{banner:?}"
    );
    // The wizard takes no --scope: the scopes go in the config file.
    assert!(
        banner
            .text
            .contains("set them as `scopes` in the config file")
            && !banner.text.contains("--scope"),
        "{banner:?}"
    );
}

/// A sign-in failure that starting it again cannot cure (a client id or
/// scopes to correct) says what to change and that `i` alone fails the
/// same way, never "Press i to try again"; one that may pass (the network,
/// a code the provider stopped) offers `i`, once, without the command
/// line's `stepwise login` beside it.
#[test]
fn only_a_sign_in_failure_a_retry_may_cure_offers_i_again() {
    use stepwise::auth::ProviderProblem;
    let failed = |error: AuthError| {
        let mut s = refused_token();
        let sign_in = sign_in_started(&ch(&mut s, 'i'));
        let result = Err(error);
        msg(
            &mut s,
            Msg::SignedIn {
                id: sign_in,
                result,
            },
            2,
        );
        session(&s).banner().unwrap().text.clone()
    };
    for error in [
        AuthError::UnknownClient {
            client_id: "stepwise".into(),
            said: "invalid_client: Client not enabled for device flow".into(),
            other: stepwise::auth::OtherSignIn::None,
        },
        AuthError::UnknownClient {
            client_id: "stepwise".into(),
            said: "invalid_client".into(),
            other: stepwise::auth::OtherSignIn::None,
        },
        AuthError::UnknownScope {
            scopes: "openid pims.steps".into(),
            said: "invalid_scope".into(),
        },
    ] {
        let text = failed(error);
        // A setting the running wizard read when it started: changed in
        // the config file, then the wizard started again.
        assert!(
            text.contains("then quit (q) and start it again")
                && text.contains("client_id` in the config file")
                    | text.contains("stepwise login --with-token")
                    | text.contains("--scope")
                && !text.contains("Press i"),
            "{text}"
        );
    }
    let text = failed(AuthError::Provider(ProviderProblem::Stopped {
        said: "invalid_grant: Code not valid".into(),
    }));
    assert!(
        text.contains("(invalid_grant: Code not valid). Press i to start a new one.")
            && !text.contains("stepwise login"),
        "{text}"
    );
    let text = failed(AuthError::Expired);
    assert!(
        text.contains("Press i for a new code, and approve it sooner")
            && !text.contains("stepwise login"),
        "{text}"
    );
    let text = failed(AuthError::Network {
        url: "http://idp.example/token".into(),
        detail: "connection refused".into(),
        tls: None,
    });
    assert!(text.ends_with("Press i to try again."), "{text}");
}

/// `o` in the sign-in box with no browser here says so at once, in the box
/// (not in a banner hidden behind it until the sign-in is cancelled, and
/// never "press g", which shows another QR code); the box is as tall as
/// its wrapped lines, in German at 100×30 too, with nothing cut.
#[test]
fn o_without_a_browser_says_so_in_the_sign_in_box_which_fits() {
    use stepwise::wizard::state::OpenFailure;
    let shown = |s: &State, width: u16, height: u16| {
        // The box's own columns: from its top left corner to its right.
        let screen: Vec<Vec<char>> = render_at(s, width, height)
            .lines()
            .map(|l| l.chars().collect())
            .collect();
        // Its title names the gateway, "test".
        let top = screen
            .iter()
            .find(|l| l.iter().collect::<String>().contains(" test ─"))
            .unwrap();
        let left = top.iter().position(|c| *c == '┌').unwrap();
        let right = top.iter().rposition(|c| *c == '┐').unwrap();
        screen
            .iter()
            .map(|l| {
                l[left + 1..right]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (lang, note, waiting) in [
        (
            stepwise::text::Lang::En,
            "No browser can be opened here (no graphical session). On a phone or another \
             computer, open the address above",
            "Esc cancels; the vehicle session stays.",
        ),
        (
            stepwise::text::Lang::De,
            "Hier kann kein Browser geöffnet werden (keine grafische Sitzung).",
            "Esc bricht ab; die Fahrzeugsitzung bleibt.",
        ),
    ] {
        let mut s = state_in(false, lang);
        let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
        let refused = Err(rejected(401, Rejection::Unauthorized));
        answer(&mut s, id, purpose, refused, 1);
        let sign_in = sign_in_started(&ch(&mut s, 'i'));
        msg(
            &mut s,
            Msg::SignInPrompt {
                id: sign_in,
                prompt: prompt(),
            },
            2,
        );
        let address = prompt().address;
        assert_eq!(ch(&mut s, 'o'), [Effect::OpenUrl(address.clone())]);
        let failure = OpenFailure::NoGraphicalSession(address);
        msg(&mut s, Msg::Opened(Err(failure.clone())), 3);
        let overlay = s.sign_in().expect("the sign-in box stays open");
        assert_eq!(overlay.no_browser, Some(failure));
        for (width, height) in [(100, 30), (110, 32)] {
            let screen = shown(&s, width, height);
            assert!(screen.contains(note), "{lang} {width}: {screen}");
            assert!(screen.contains(waiting), "{lang} {width}: {screen}");
        }
        // The note names the QR code only where it is drawn (100×30 is too
        // small for it, 110×32 is not): then beside the box's own line
        // about it; where it is not, the box says a larger window shows it.
        for (width, height, drawn) in [(100, 30, false), (110, 32, true)] {
            let screen = shown(&s, width, height);
            assert_eq!(screen.contains('█'), drawn, "{lang} {width}: {screen}");
            let named = if drawn { 2 } else { 1 };
            assert_eq!(
                screen.matches("QR").count(),
                named,
                "{lang} {width}: {screen}"
            );
        }
        // Nothing waits behind the box to be read after Esc.
        ch(&mut s, 'q');
        key(&mut s, KeyCode::Esc);
        let banner = session(&s)
            .banner()
            .map(|b| b.text.clone())
            .unwrap_or_default();
        assert!(!banner.contains(" g "), "{lang}: {banner}");
    }
}

/// The banner after `i` on a refused token, when the gateway's sign-in
/// metadata answered `status` (none published).
fn not_offered_banner(status: u16) -> stepwise::wizard::state::Banner {
    let s = not_offered(status);
    session(&s).banner().unwrap().clone()
}

/// The wizard after `i` on a vehicle refused for want of a token, from a
/// gateway without sign-in (its discovery answered `status`).
fn not_offered(status: u16) -> State {
    let mut s = refused_token();
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Err(AuthError::Discovery(
                stepwise::auth::Discovery::NotOffered {
                    gateway: "http://gw.example/".into(),
                    status: Some(status),
                },
            )),
        },
        2,
    );
    s
}

/// The report keeps why a sign-in from the wizard failed: after a 401
/// entry that names `stepwise login`, the gateway's answer that it offers
/// none and takes a fixed token (a reader of the report alone would try
/// the login).
#[test]
fn the_report_keeps_why_a_sign_in_failed() {
    let s = not_offered(404);
    let md = s.report().to_markdown();
    let failed = md
        .lines()
        .find(|l| l.contains("sign-in from the wizard (i) failed"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        failed.contains("offers no sign-in: it takes a fixed token")
            && failed.contains("stepwise login --with-token"),
        "{md}"
    );
    let json = serde_json::to_string(&s.report()).unwrap();
    assert!(json.contains("offers no sign-in"), "{json}");
}

/// The banner after `i` on car 987654 refused for want of a token, in a
/// wizard started with `options`, when the sign-in ended with `result`.
fn banner_after_sign_in(
    options: Options,
    result: Result<stepwise::wizard::state::SignedIn, AuthError>,
) -> (State, stepwise::wizard::state::Banner) {
    let mut s = refused_with(State::new(options), rejected(401, Rejection::Unauthorized));
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result,
        },
        2,
    );
    let banner = session(&s).banner().unwrap().clone();
    (s, banner)
}

/// A gateway that offers no sign-in takes a fixed token: the banner says
/// how to give one, not to press `i` again.
#[test]
fn a_gateway_without_sign_in_says_how_to_give_a_token_not_press_i() {
    let banner = not_offered_banner(404);
    assert_eq!(banner.title, "Sign-in failed");
    assert!(
        banner.text.contains("offers no sign-in")
            && banner.text.contains("http://gw.example/")
            && banner.text.contains("--token-file")
            && banner.text.contains("stepwise login --with-token")
            && !banner.text.contains("Press i"),
        "{banner:?}"
    );
    // A token kept from another terminal reaches no running wizard: the
    // words say to start again after keeping it.
    assert!(
        banner
            .text
            .contains("and start again: a running wizard does not read a token kept meanwhile"),
        "{banner:?}"
    );
    // The list's 401 came from this gateway: --api is right, so the words
    // never send the technician to check it (a new user's hour).
    assert!(!banner.text.contains("--api"), "{banner:?}");
}

/// A gateway typed as `--api`: the commands the banner suggests carry it
/// on screen (as printed without it, `stepwise login` asks for a gateway);
/// a gateway from STEPWISE_API or the config file adds nothing.
#[test]
fn a_banner_shows_suggested_commands_with_the_typed_api() {
    let typed = |api_typed: Option<&str>| {
        let options = Options {
            api_typed: api_typed.map(str::to_owned),
            backend_label: "test".into(),
            docs_base_url: Some("https://docs.example".into()),
            data_dir: Some("/data".into()),
            ..Options::default()
        };
        let not_offered = AuthError::Discovery(stepwise::auth::Discovery::NotOffered {
            gateway: "http://10.0.0.7:8080/".into(),
            status: Some(404),
        });
        let (s, _) = banner_after_sign_in(options, Err(not_offered));
        // The report keeps the failed sign-in with the command as run.
        let json = serde_json::to_string(&s.report()).unwrap();
        (render_at(&s, 200, 30).replace(['\n', '"'], ""), json)
    };
    let (screen, reported) = typed(Some("http://10.0.0.7:8080"));
    assert!(
        screen.contains("`stepwise login --api http://10.0.0.7:8080 --with-token`"),
        "{screen}"
    );
    assert!(
        reported.contains("stepwise login --api http://10.0.0.7:8080 --with-token"),
        "{reported}"
    );
    let (screen, _) = typed(None);
    assert!(screen.contains("`stepwise login --with-token`"), "{screen}");
}

/// The report of a refused vehicle: the commands its error suggests carry
/// the gateway typed as `--api` (the report is handed on and read later).
#[test]
fn the_report_s_errors_suggest_commands_with_the_typed_api() {
    let s = State::new(Options {
        api_typed: Some("http://10.0.0.7:8080".into()),
        backend_label: "test".into(),
        data_dir: Some("/data".into()),
        ..Options::default()
    });
    let s = refused_with(s, rejected(401, Rejection::Unauthorized));
    let report = s.report();
    let json = report.to_json();
    assert!(
        json.contains("stepwise login --api http://10.0.0.7:8080"),
        "{json}"
    );
    // Markdown escapes the address's slashes, inert.
    let markdown = report.to_markdown();
    assert!(
        markdown.contains(r"stepwise login --api http:\/\/10.0.0.7:8080"),
        "{markdown}"
    );
}

/// `i` on a gateway that answered the list with no token sent: no sign-in
/// offered is "nothing to sign in to", never "it takes a fixed token".
#[test]
fn i_on_a_gateway_that_needs_no_token_says_so() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(&mut s, id, purpose, Ok(list(["todo", "todo", "todo"])), 1);
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Err(AuthError::Discovery(
                stepwise::auth::Discovery::NotOffered {
                    gateway: "http://gw.example/".into(),
                    status: Some(404),
                },
            )),
        },
        2,
    );
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner.text.contains("answered without a token") && !banner.text.contains("fixed token"),
        "{banner:?}"
    );
}

/// Signed in with `i` while a token is given by hand (--token-file): this
/// run uses the new login, and the banner says the next start takes the
/// given token again unless started without it.
#[test]
fn signing_in_beside_a_given_token_says_the_next_start_takes_that_token() {
    let options = Options {
        backend_label: "test".into(),
        data_dir: Some("/data".into()),
        token_given: Some("--token-file".into()),
        ..Options::default()
    };
    let (s, banner) = banner_after_sign_in(options, Ok(kept_in_file()));
    assert_eq!(banner.title, "Signed in");
    assert!(
        banner
            .text
            .contains("the next one takes the token from --token-file again, which wins over the kept login: start it without --token-file"),
        "{banner:?}"
    );
    // The report says so, after the refusal.
    let md = s.report().to_markdown();
    let (refused, signed) = (
        md.find("HTTP 401"),
        md.find("signed in from the wizard (i)"),
    );
    assert!(refused.is_some() && signed > refused, "{md}");
}

/// A fixed token kept with `login --with-token`, refused: the gateway may
/// offer no sign-in at all, so the banner names the kept token's own fix
/// first and offers `i` only with the hedge (a signed-in login's refused
/// token is offered `i` plainly).
#[test]
fn a_refused_fixed_kept_token_names_its_fix_before_i() {
    let refused = |login_fixed| {
        let options = Options {
            backend_label: "test".into(),
            login_fixed,
            ..Options::default()
        };
        let error = GatewayError::Unauthorized {
            sent: Some(stepwise::config::TokenFrom::Login),
            expired: None,
            said: None,
            through: None,
        };
        let s = refused_with(State::new(options), error);
        session(&s).banner().unwrap().clone()
    };
    // The report says what the screen said, never `stepwise login` as a
    // sure cure (stranger 43, AR1).
    let none = refused_with(
        State::new(Options {
            backend_label: "test".into(),
            ..Options::default()
        }),
        GatewayError::Unauthorized {
            sent: None,
            expired: None,
            said: None,
            through: None,
        },
    );
    let md = session(&none).log().to_markdown();
    assert!(
        md.contains("Press i to sign in here, if it offers sign-in"),
        "{md}"
    );
    assert!(!md.contains("Sign in with `stepwise login`"), "{md}");
    let fixed = refused(true);
    assert!(
        fixed.text.starts_with("The gateway refused the token kept by `stepwise login --with-token` (HTTP 401). Ask whoever runs the gateway for its current token")
            && fixed.text.contains("if it offers sign-in (i says so if not)"),
        "{fixed:?}"
    );
    let signed_in = refused(false);
    assert!(
        signed_in.text.contains("Press i to sign in here")
            && !signed_in.text.contains("--with-token"),
        "{signed_in:?}"
    );
}

/// Sign-in metadata refused with 403 (a firewall in front of the path):
/// nothing shows the gateway takes a fixed token, and the words say so.
#[test]
fn a_sign_in_whose_metadata_was_refused_says_so_not_fixed_token() {
    let banner = not_offered_banner(403);
    assert!(
        banner
            .text
            .contains("refused the request for its sign-in metadata (HTTP 403)")
            && banner.text.contains("--token-file")
            && !banner.text.contains("takes a fixed token"),
        "{banner:?}"
    );
}

/// With a token given by hand (--token-file), which wins over any kept
/// login, a gateway without sign-in is answered with that token's fix,
/// never `stepwise login --with-token`, which would not be used.
#[test]
fn a_gateway_without_sign_in_names_the_token_given_by_hand() {
    let mut s = refused_with(
        State::new(Options {
            backend_label: "test".into(),
            data_dir: Some("/data".into()),
            token_given: Some("--token-file".into()),
            ..Options::default()
        }),
        GatewayError::Unauthorized {
            sent: Some(stepwise::config::TokenFrom::TokenFile),
            expired: None,
            said: None,
            through: None,
        },
    );
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Err(AuthError::Discovery(
                stepwise::auth::Discovery::NotOffered {
                    gateway: "http://gw.example/".into(),
                    status: Some(404),
                },
            )),
        },
        2,
    );
    let text = session(&s).banner().unwrap().text.clone();
    assert!(
        text.contains(
            "it refused the one from --token-file. Quit, put the gateway's current token there"
        ),
        "{text}"
    );
    assert!(
        text.contains("is not used while --token-file gives one"),
        "{text}"
    );
}

/// The embedded simulator wants no token: no offer, and `i` does nothing.
#[test]
fn the_demo_backend_never_offers_to_sign_in() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    answer(
        &mut s,
        id,
        purpose,
        Err(rejected(401, Rejection::Unauthorized)),
        1,
    );
    let banner = session(&s).banner().unwrap().clone();
    assert!(!banner.text.contains("Press i"), "{banner:?}");
    assert!(ch(&mut s, 'i').is_empty());
    assert!(s.overlay().is_none());
}

/// The built-in scenario's labels are shown in the technician's language;
/// a label of the user's own scenario is shown as it came.
#[test]
fn demo_labels_speak_the_language_unless_the_scenario_is_the_users() {
    let scenario = stepwise::sim::Scenario::built_in();
    let mut s = State::new(Options {
        demo: true,
        backend_label: "test".into(),
        color: false,
        lang: stepwise::text::Lang::Fr,
        ..Options::default()
    });
    let mut cars: Vec<DemoCar> = scenario
        .associations
        .iter()
        .map(|a| DemoCar {
            id: a.car_association_id.clone(),
            label: a.label.clone(),
            progress: None,
            stale_cache: false,
        })
        .collect();
    cars.push(DemoCar {
        id: "987655".into(),
        label: "My own scenario".into(),
        progress: None,
        stale_cache: false,
    });
    update(&mut s, Input::Msg(Msg::DemoCars(Ok(cars))), t(0));
    for a in &scenario.associations {
        let key = format!("demo-car-{}", a.car_association_id);
        // Each built-in label is the English text of its catalogue id.
        assert_eq!(
            stepwise::text::message(stepwise::text::Lang::En, &key, None),
            a.label
        );
        let shown = s
            .demo_cars()
            .iter()
            .find(|c| c.id == a.car_association_id)
            .unwrap();
        assert_eq!(
            shown.label,
            stepwise::text::message(stepwise::text::Lang::Fr, &key, None)
        );
        assert_ne!(shown.label, a.label, "French, not English");
    }
    assert_eq!(s.demo_cars().last().unwrap().label, "My own scenario");
}

/// The report is the session's: a technician who serves 987654, goes back
/// to the start screen and opens 111111 gets both vehicles in the report,
/// each with its events, with an explained code and a note.
#[test]
fn a_two_vehicle_run_reports_both_vehicles_with_their_events() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    // The customer reads a code off the phone; the explainer keeps it.
    ch(&mut s, 'e');
    for c in "2312".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Esc);
    let Some(Effect::Complete { id, step, .. }) = ch(&mut s, 's').first().cloned() else {
        panic!("the simulated customer acts");
    };
    let done = msg(
        &mut s,
        Msg::Completed {
            car: "987654".into(),
            id,
            step,
            result: Ok(()),
        },
        5,
    );
    let (id, _, _, purpose) = fetched(&done);
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "alreadyDone", "todo"])),
        6,
    );
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    for c in "111111".chars() {
        ch(&mut s, c);
    }
    let (id, lookup, _, purpose) = fetched(&key(&mut s, KeyCode::Enter));
    assert_eq!(lookup, Lookup::Car("111111".into()));
    msg(
        &mut s,
        Msg::Listed {
            car: "111111".into(),
            id,
            purpose,
            result: Ok(list(["todo", "todo", "todo"])),
        },
        10,
    );
    ch(&mut s, 'N');
    for c in "second car".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);

    let effects = ch(&mut s, 'x');
    let Some(Effect::WriteReport { path, report }) = effects.first() else {
        panic!("x writes the report: {effects:?}");
    };
    assert!(
        path.to_string_lossy().contains("stepwise-session-"),
        "{path:?}"
    );
    let md = report.to_markdown();
    let first = md
        .split("\n## ")
        .find(|p| p.starts_with("987654"))
        .expect(&md);
    assert!(
        first.contains("simulated customer completed `deviceActivation`"),
        "{first}"
    );
    assert!(first.contains("code 2312 explained"), "{first}");
    let second = md
        .split("\n## ")
        .find(|p| p.starts_with("111111"))
        .expect(&md);
    assert!(
        second.contains("opened carAssociationID 111111"),
        "{second}"
    );
    assert!(second.contains("note: second car"), "{second}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let cars: Vec<&str> = json["vehicles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["carAssociationID"].as_str().unwrap())
        .collect();
    assert_eq!(cars, ["987654", "111111"]);
    assert_eq!(s.report(), **report, "--report writes the same");
}

/// A run that opened nothing says so in its report.
#[test]
fn an_empty_run_reports_that_nothing_happened() {
    let s = state(true);
    let report = s.report();
    assert!(report.is_empty());
    assert!(
        report
            .to_markdown()
            .contains("Nothing happened in this run"),
        "{}",
        report.to_markdown()
    );
}

/// The JSON report names the backend in no language ("demo", or the
/// gateway's URL), as the --json outputs do; the Markdown names it in the
/// reader's.
#[test]
fn the_json_report_names_the_backend_in_no_language() {
    use stepwise::text::{Lang, message};
    let s = State::new(Options {
        demo: true,
        lang: Lang::Es,
        backend_label: message(Lang::Es, "backend-demo", None),
        ..Options::default()
    });
    let report = s.report();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["backend"], "demo", "{json}");
    let md = report.to_markdown();
    assert!(md.contains("`backend de demostración`"), "{md}");
    let gateway = State::new(Options {
        lang: Lang::Es,
        backend_label: "https://gw.example:8443".into(),
        ..Options::default()
    });
    let json: serde_json::Value = serde_json::from_str(&gateway.report().to_json()).unwrap();
    assert_eq!(json["backend"], "https://gw.example:8443", "{json}");
}

/// `o` with no graphical session never advises opening a loopback address
/// on another device; a routable address still may be.
#[test]
fn no_browser_for_a_loopback_page_says_it_is_on_this_machine_only() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let local = "http://127.0.0.1:35571/guidance/deviceActivation?lang=en";
    update(
        &mut s,
        Input::Msg(Msg::Opened(Err(
            stepwise::wizard::state::OpenFailure::NoGraphicalSession(local.into()),
        ))),
        t(1),
    );
    let text = session(&s).banner().expect("a banner").text.clone();
    assert!(text.contains("on this machine only"), "{text}");
    assert!(!text.contains("on another device"), "{text}");
    // On the demo backend (`demo` takes no --api): `stepwise serve` for phones.
    assert!(
        text.contains("stepwise serve --addr 0.0.0.0:8080") && !text.contains("Give --api"),
        "{text}"
    );
    let shop = "http://10.0.0.7:8080/guidance/deviceActivation?lang=en";
    update(
        &mut s,
        Input::Msg(Msg::Opened(Err(
            stepwise::wizard::state::OpenFailure::NoGraphicalSession(shop.into()),
        ))),
        t(2),
    );
    let text = session(&s).banner().expect("a banner").text.clone();
    assert!(text.contains("on another device"), "{text}");
}

/// A demo vehicle's list on screen with the note "called back" typed
/// (`N`, the text, Enter), with or without --report.
fn noted(report_at_exit: bool) -> State {
    let mut s = State::new(Options {
        demo: true,
        backend_label: "test".into(),
        data_dir: Some("/data".into()),
        report_at_exit,
        ..Options::default()
    });
    let effects = start(&mut s, Some("987654".into()), t(0));
    let (id, _, _, purpose) = fetched(&effects);
    answer(&mut s, id, purpose, Ok(list(["todo", "todo", "todo"])), 0);
    ch(&mut s, 'N');
    for c in "called back".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);
    s
}

/// A note that holds what looks like a sign-in token (pasted from a
/// terminal) is not kept: the report never carries it, and the banner says
/// why and how to type the note again.
#[test]
fn a_note_holding_a_token_is_not_kept() {
    let mut s = noted(true);
    ch(&mut s, 'N');
    for c in "token Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Note not kept");
    assert!(
        banner.text.contains("looks like a sign-in token"),
        "{banner:?}"
    );
    let report = s.report().to_markdown();
    assert!(report.contains("called back"), "{report}");
    assert!(!report.contains("eyJhbGci"), "{report}");
}

/// A note holding a token still being typed when the wizard ends (a
/// signal): not kept, and the report says a note was left out and why,
/// never silently (stranger 79, CB3).
#[test]
fn an_unfinished_note_holding_a_token_is_said_left_out() {
    for report_at_exit in [true, false] {
        let mut s = noted(report_at_exit);
        ch(&mut s, 'N');
        for c in "pasted eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here".chars() {
            ch(&mut s, c);
        }
        stepwise::wizard::update::keep_unfinished_note(&mut s, t(5));
        let report = s.report().to_markdown();
        assert!(
            report.contains("a note being typed when the wizard ended was left out: it held what looks like a sign-in token"),
            "{report}"
        );
        assert!(!report.contains("eyJhbGci"), "{report}");
    }
}

/// A ticket's UUID in a note is kept; a 32-hex word that looks like a
/// token is refused with its length and start (never whole), and the next
/// `N` brings the note back as typed to take it out (stranger 60, BI17).
#[test]
fn a_refused_note_names_the_word_and_comes_back_to_edit() {
    let mut s = noted(true);
    let typed = |s: &mut State, text: &str| {
        ch(s, 'N');
        for c in text.chars() {
            ch(s, c);
        }
        key(s, KeyCode::Enter);
    };
    typed(&mut s, "ref 7f3e9a2b-4c1d-4e8f-9a6b-2d3c4e5f6a7b ok");
    assert!(
        s.report()
            .to_markdown()
            .contains("7f3e9a2b-4c1d-4e8f-9a6b-2d3c4e5f6a7b")
    );
    let note = "device id d41d8cd98f00b204e9800998ecf8427e";
    typed(&mut s, note);
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Note not kept");
    assert!(
        banner
            .text
            .contains("(the 32-character word starting d41d…)")
            && !banner.text.contains("d41d8cd98f00"),
        "{banner:?}"
    );
    ch(&mut s, 'N');
    assert_eq!(s.overlay(), Some(&Overlay::Note(note.to_owned())));
}

/// A note pasted over several lines, with a tab: each break parts words
/// as one space, never glues them ("2312" and "2317"; stranger 71, BT1).
#[test]
fn a_pasted_note_s_line_breaks_part_its_words() {
    let mut s = noted(true);
    ch(&mut s, 'N');
    update(
        &mut s,
        Input::Paste("codes 2312\r\n2317\tseen\n\n".into()),
        t(3),
    );
    assert_eq!(
        s.overlay(),
        Some(&Overlay::Note("codes 2312 2317 seen ".to_owned()))
    );
}

/// Back on the start screen from a vehicle, its id is shown selected and
/// said so: typing replaces it, ⌫ edits it; once edited, no word of it
/// (stranger 71, BT2).
#[test]
fn an_id_left_in_the_start_field_says_typing_replaces_it() {
    let mut s = opened(["todo", "todo", "todo"]);
    key(&mut s, KeyCode::Esc);
    let screen = render_at(&s, 100, 30);
    assert!(
        screen.contains("Typing replaces this id; ⌫ edits it"),
        "{screen}"
    );
    key(&mut s, KeyCode::Backspace);
    let screen = render_at(&s, 100, 30);
    assert!(!screen.contains("Typing replaces"), "{screen}");
    match s.screen() {
        Screen::Start(field) => assert!(!field.replaces_on_type(), "{field:?}"),
        other => panic!("{other:?}"),
    }
}

/// The token in use (a fixed one, short and shaped like any word) typed
/// into a note is not kept either; a note without it is.
#[test]
fn a_note_holding_the_token_in_use_is_not_kept() {
    let mut s = State::new(Options {
        backend_label: "test".into(),
        data_dir: Some("/data".into()),
        report_at_exit: true,
        secrets: vec![
            stepwise::secret::Secret::new("GOODTOKEN123"),
            stepwise::secret::Secret::new("pw4711"),
        ],
        ..Options::default()
    });
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(&mut s, id, purpose, Ok(list(["todo", "todo", "todo"])), 0);
    for note in [
        "gateway token is GOODTOKEN123 per admin",
        "gateway password is pw4711",
        // In another case, or most of it (stranger 45, AT4).
        "token goodtoken123 again",
        "part of it: ODTOKEN123",
        "called back",
    ] {
        ch(&mut s, 'N');
        for c in note.chars() {
            ch(&mut s, c);
        }
        key(&mut s, KeyCode::Enter);
    }
    let report = s.report().to_markdown();
    assert!(report.contains("called back"), "{report}");
    assert!(
        !report.contains("GOODTOKEN123") && !report.contains("pw4711"),
        "{report}"
    );
    assert!(
        !report.to_lowercase().contains("goodtoken123") && !report.contains("ODTOKEN123"),
        "{report}"
    );
}

/// A note is kept for the report; without --report nothing is written at
/// exit, so the words say to press x before quitting.
#[test]
fn a_kept_note_says_when_it_would_be_lost() {
    for report_at_exit in [false, true] {
        let s = noted(report_at_exit);
        let banner = session(&s).banner().unwrap().clone();
        assert_eq!(banner.title, "Note kept");
        assert_eq!(
            banner.text.contains("press x before quitting"),
            !report_at_exit,
            "{banner:?}"
        );
        // Only a second q leaves it out: Ctrl-C or a closed window writes
        // it where x does (stranger 83, CF4).
        assert!(
            report_at_exit
                || (banner.text.contains("a second q leaves without it")
                    && !banner.text.contains("or the note is lost")),
            "{banner:?}"
        );
    }
}

/// `x` with a file where the reports folder must be: the banner names
/// that file, in the reader's language, not the system's English "File
/// exists (os error 17)"; another failure is said in the reader's words.
#[test]
fn a_report_not_written_is_said_in_the_reader_s_language() {
    let lang = stepwise::text::Lang::It;
    let path = std::path::PathBuf::from("/data/stepwise/reports/r.md");
    let mut s = opened_in(lang, ["todo", "todo", "todo"]);
    let in_the_way = ReportTrouble::InTheWay("/data/stepwise/reports".into());
    msg(
        &mut s,
        Msg::ReportWritten(Err((path.clone(), in_the_way))),
        1,
    );
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Rapporto non scritto");
    assert!(
        banner
            .text
            .contains("in /data/stepwise/reports c'è un file dove deve esserci una cartella"),
        "{banner:?}"
    );
    assert!(!banner.text.contains("os error"), "{banner:?}");
    let denied = std::io::Error::from_raw_os_error(13);
    msg(
        &mut s,
        Msg::ReportWritten(Err((path, ReportTrouble::Io(denied)))),
        2,
    );
    let banner = session(&s).banner().unwrap().clone();
    assert!(banner.text.contains("permesso negato"), "{banner:?}");
    assert!(!banner.text.contains("os error"), "{banner:?}");
}

/// `q` after `x` failed keeps the failure's cause in its question and
/// sends to fixing it, never "press x" alone, which fails the same way
/// (stranger 79, CB4).
#[test]
fn q_after_a_failed_x_keeps_its_cause() {
    let mut s = noted(false);
    let path = std::path::PathBuf::from("/data/stepwise/reports/r.md");
    let in_the_way = ReportTrouble::InTheWay("/data/stepwise/reports".into());
    msg(&mut s, Msg::ReportWritten(Err((path, in_the_way))), 1);
    ch(&mut s, 'q');
    assert!(!s.quit_requested(), "the first q asks");
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Note not saved");
    assert!(
        banner.text.contains("x could not write it (")
            && banner.text.contains("/data/stepwise/reports")
            && banner.text.contains("Fix that, then press x"),
        "{banner:?}"
    );
}

/// Without --report, `q` with a note not yet in a written report asks
/// first (a new user lost a note that way); a second `q` quits, `x`
/// writing the report ends the question, and Ctrl-C quits at once.
#[test]
fn q_with_a_note_no_report_holds_asks_before_quitting() {
    let setup = || noted(false);
    let mut s = setup();
    ch(&mut s, 'q');
    assert!(!s.quit_requested(), "the first q asks");
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "Note not saved");
    assert!(banner.text.contains("Press x"), "{banner:?}");
    assert_eq!(banner.kind, BannerKind::Info, "no vehicle turns failing");
    ch(&mut s, 'q');
    assert!(s.quit_requested(), "the second q quits");

    // "q again" holds for the very next key only: after another key, q
    // asks again (stranger 48, AW4).
    let mut s = setup();
    ch(&mut s, 'q');
    ch(&mut s, 'r');
    ch(&mut s, 'q');
    assert!(!s.quit_requested(), "asked again after another key");

    // Below the smallest size, the question is on the screen that is
    // (stranger 48, AW5).
    let mut s = setup();
    update(
        &mut s,
        Input::Resize {
            width: 50,
            height: 12,
        },
        t(1),
    );
    ch(&mut s, 'q');
    assert!(!s.quit_requested());
    let small = render_at(&s, 50, 12);
    assert!(small.contains("Your note is in no report yet"), "{small}");

    // Once the report is written, q quits at once.
    let mut s = setup();
    msg(&mut s, Msg::ReportWritten(Ok("/data/report.md".into())), 1);
    ch(&mut s, 'q');
    assert!(s.quit_requested());

    // On the start screen the words go under the field.
    let mut s = setup();
    key(&mut s, KeyCode::Esc);
    while matches!(s.screen(), Screen::Start(f) if !f.input().is_empty()) {
        key(&mut s, KeyCode::Backspace);
    }
    ch(&mut s, 'q');
    assert!(!s.quit_requested());
    match s.screen() {
        Screen::Start(field) => assert!(
            matches!(field.notice(), Some(FieldNotice::Session(w))
                if w.contains("Note not saved") && w.contains("Open a vehicle and press x")),
            "{field:?}"
        ),
        other => panic!("{other:?}"),
    }
    // Drawn whole, even at 60×16: its last words are on screen.
    let screen = render_at(&s, 60, 16);
    assert!(screen.contains("quit without it."), "{screen}");

    // Ctrl-C quits at once, note or not.
    let mut s = setup();
    update(
        &mut s,
        Input::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        t(0),
    );
    assert!(s.quit_requested());
}

/// `s` on a gateway plays no customer, and says where that is done: the
/// simulator's control call for this vehicle's next step, with the token
/// header (a placeholder, never the token) when the wizard sends a token.
#[test]
fn s_on_a_gateway_says_the_customer_is_played_on_the_demo_only() {
    for token in [false, true] {
        let mut s = State::new(Options {
            backend_label: "test".into(),
            gateway_url: "http://gw.example:8080/".into(),
            complete_call: format!(
                "http://gw.example:8080/{}",
                stepwise::wire::SIM_COMPLETE_ROUTE
            ),
            complete_needs_token: token,
            ..Options::default()
        });
        let effects = start(&mut s, Some("987654".into()), t(0));
        let (id, _, _, purpose) = fetched(&effects);
        answer(
            &mut s,
            id,
            purpose,
            Ok(list(["alreadyDone", "todo", "todo"])),
            0,
        );
        assert!(
            ch(&mut s, 's').is_empty(),
            "nothing is asked of the gateway"
        );
        let banner = session(&s).banner().unwrap().clone();
        assert!(banner.title.contains("demo backend only"), "{banner:?}");
        let header = if token {
            "-H \"Authorization: Bearer TOKEN\" "
        } else {
            ""
        };
        let call = format!(
            "curl -X POST {header}http://gw.example:8080/sim/associations/987654/steps/deviceActivation/complete"
        );
        assert!(banner.text.contains(&call), "{banner:?}");
    }
}

/// Signed in from the wizard (no token at start): tokens go out from then
/// on, and the control call `s` prints carries the header the gateway
/// wants (stranger 47, AV5).
#[test]
fn s_after_a_sign_in_in_the_wizard_prints_the_call_with_a_token() {
    let options = Options {
        backend_label: "test".into(),
        gateway_url: "http://gw.example:8080/".into(),
        docs_base_url: Some("https://docs.example".into()),
        complete_call: format!(
            "http://gw.example:8080/{}",
            stepwise::wire::SIM_COMPLETE_ROUTE
        ),
        data_dir: Some("/data".into()),
        ..Options::default()
    };
    let (mut s, _) = banner_after_sign_in(options, Ok(kept_in_file()));
    ch(&mut s, 's');
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner.text.contains("-H \"Authorization: Bearer TOKEN\""),
        "{banner:?}"
    );
    // A sign-in's token is never shown: the words say how to get one the
    // gateway takes (stranger 48, AW8).
    assert!(
        banner
            .text
            .contains("start `stepwise serve --auth` with `--token T` as well"),
        "{banner:?}"
    );
}

/// A token kept by `login --with-token` is the technician's own: `s`
/// says to send it, never to restart the gateway with `--auth` for a
/// token of a sign-in (stranger 66, BO2); after a sign-in in the wizard,
/// the kept login is the sign-in's.
#[test]
fn s_with_a_fixed_token_kept_names_that_token() {
    let options = Options {
        backend_label: "test".into(),
        gateway_url: "http://gw.example:8080/".into(),
        complete_call: format!(
            "http://gw.example:8080/{}",
            stepwise::wire::SIM_COMPLETE_ROUTE
        ),
        complete_needs_token: true,
        login_fixed: true,
        ..Options::default()
    };
    let mut s = State::new(options);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        0,
    );
    ch(&mut s, 's');
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner
            .text
            .contains("(TOKEN: the gateway's token you kept with `stepwise login --with-token`)"),
        "{banner:?}"
    );
    assert!(!banner.text.contains("--auth"), "{banner:?}");
}

/// The `s` banner's command percent-encodes a step's name: one with a
/// space, `?`, `#` or `/` stays one path segment, and the command works.
#[test]
fn s_on_a_gateway_encodes_the_step_s_name_in_its_command() {
    let mut s = State::new(Options {
        backend_label: "test".into(),
        gateway_url: "http://gw.example:8080/".into(),
        complete_call: format!(
            "http://gw.example:8080/{}",
            stepwise::wire::SIM_COMPLETE_ROUTE
        ),
        ..Options::default()
    });
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    let odd = decode_list(br#"{"stepsID":1,"x":{"name":"a b/c?d#e","status":"todo","order":1}}"#)
        .unwrap();
    answer(&mut s, id, purpose, Ok(odd), 0);
    ch(&mut s, 's');
    let banner = session(&s).banner().unwrap().clone();
    assert!(
        banner
            .text
            .contains("/sim/associations/987654/steps/a%20b%2Fc%3Fd%23e/complete"),
        "{banner:?}"
    );
}

/// A gateway that ignores the status filter sends every step back: the
/// wizard says the gateway did not apply it, as `steps` does, and that the
/// list on screen is filtered here (stranger 77, BZ5).
#[test]
fn a_filter_the_gateway_ignored_is_said_on_the_steps_screen() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'f'));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        2,
    );
    let banner = session(&s).banner().expect("a banner").clone();
    assert_eq!(banner.title, "Filtered here, not by the gateway");
    assert!(
        banner
            .text
            .contains("1 of the 3 steps in its answer has the status alreadyDone."),
        "{banner:?}"
    );
    // Under the filter's title, only the filter's steps (stranger 71, BT4).
    let screen = render(&s);
    assert!(
        screen.contains("(filter: todo, 2 steps shown)") && !screen.contains("[DONE]"),
        "{screen}"
    );
    // Steps to do under the gateway's own word ("pending"): the filter's,
    // on screen, and no word of a filter not applied (stranger 46, AU2).
    let mut s = opened(["alreadyDone", "pending", "pending"]);
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'f'));
    let mut todo = list(["alreadyDone", "pending", "pending"]);
    todo.steps.remove(0);
    answer(&mut s, id, purpose, Ok(todo), 2);
    assert!(
        session(&s)
            .banner()
            .is_none_or(|b| b.title != "Filtered here, not by the gateway")
    );
    let screen = render(&s);
    assert!(screen.contains("(filter: todo, 2 steps shown)"), "{screen}");
}

/// A 429's pause counts down in the steps screen's header with no key
/// pressed: the loop is told when its text next changes (the left-over
/// fraction of a second), and a clock tick then shows the new count.
#[test]
fn the_pause_of_a_429_counts_down_by_the_clock_alone() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let at = t(10) + Duration::from_millis(300);
    update(
        &mut s,
        Input::Msg(Msg::Limited(Duration::from_secs(30))),
        at,
    );
    assert!(
        render(&s).contains("HTTP 429: requests wait 30 s more"),
        "{}",
        render(&s)
    );
    let next = stepwise::ui::next_change(&s, at + Duration::from_millis(200));
    assert_eq!(next, Some(Duration::from_millis(800)));
    update(&mut s, Input::ClockTick, t(15) + Duration::from_millis(301));
    assert!(
        render(&s).contains("HTTP 429: requests wait 25 s more"),
        "{}",
        render(&s)
    );
    assert_eq!(
        stepwise::ui::next_change(&s, t(41)),
        None,
        "the pause is over"
    );
}

/// While a 429's pause lasts nothing is sent: a list being asked for is
/// said held by the gateway's limit, not "asking", on the steps screen and
/// on the board's rows.
#[test]
fn a_request_held_by_a_429_is_said_held_not_asking() {
    let mut s = state(false);
    start(&mut s, Some("987654".into()), t(0));
    assert!(
        render(&s).contains("Asking the gateway for the steps"),
        "{}",
        render(&s)
    );
    update(
        &mut s,
        Input::Msg(Msg::Limited(Duration::from_secs(600))),
        t(1),
    );
    let screen = render(&s);
    assert!(
        screen.contains("Held back: the gateway asked every request to wait"),
        "{screen}"
    );
    assert!(
        screen.contains("held by the gateway's limit (HTTP 429)"),
        "{screen}"
    );
    assert!(!screen.contains("Asking the gateway"), "{screen}");
}

/// On the embedded demo (no gateway configured), an id it does not know is
/// the demo's: said with --api, never "check the id", on screen and in the
/// report (stranger 51, AZ5).
#[test]
fn an_id_the_demo_does_not_know_is_said_as_the_demo_s() {
    let unknown = GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: ErrorBody::new(None, "carAssociationID A1"),
        retry_after: None,
        proxy: None,
    };
    // The start screen says it under the field, and the report keeps it.
    let flat = |s: &State| {
        let screen = render(s).replace(['│', '\n'], " ");
        screen.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let s = refused_with(state(true), unknown.clone());
    let said = flat(&s);
    assert!(
        said.contains("the demo backend does not know this id (carAssociationID A1)"),
        "{said}"
    );
    assert!(said.contains("start again with --api URL"), "{said}");
    assert!(!said.contains("Check the carAssociationID"), "{said}");
    let md = s.report().to_markdown();
    assert!(
        md.contains("the demo backend does not know this id"),
        "{md}"
    );
    // Under `stepwise demo`, which takes no --api: how to ask a gateway
    // instead, never "no gateway is configured … start again with --api"
    // (stranger 57, BF10).
    let demo_command = State::new(Options {
        demo: true,
        demo_command: true,
        lang: stepwise::text::Lang::En,
        backend_label: "test".into(),
        color: false,
        ..Options::default()
    });
    let s = refused_with(demo_command, unknown.clone());
    let said = flat(&s);
    assert!(
        said.contains("`stepwise demo` always runs on the"),
        "{said}"
    );
    assert!(said.contains("--api URL --car ID`"), "{said}");
    assert!(!said.contains("No gateway is configured"), "{said}");
    // A gateway's own 404 keeps the gateway's words.
    let s = refused_with(state(false), unknown);
    assert!(flat(&s).contains("the gateway does not know this id"));
}

/// An id the gateway does not know (404 by carAssociationID) has no cache
/// to reset: the key bar does not offer `R` for it, as it does for a
/// vehicle with a list (stranger 40, AO24).
#[test]
fn an_unknown_id_s_key_bar_offers_no_reset() {
    let unknown = GatewayError::Rejected {
        status: 404,
        kind: Rejection::NotFound,
        body: ErrorBody::new(None, "unknown carAssociationID"),
        retry_after: None,
        proxy: None,
    };
    let s = refused_with(state(false), unknown);
    let screen = render(&s);
    let bar = screen.lines().rfind(|l| l.contains("? help")).unwrap_or("");
    assert!(
        screen.contains("the gateway does not know this id"),
        "{screen}"
    );
    assert!(!bar.contains("R reset"), "{bar}");
    let s = opened(["alreadyDone", "todo", "todo"]);
    let screen = render(&s);
    let bar = screen.lines().rfind(|l| l.contains("? help")).unwrap_or("");
    assert!(bar.contains("R reset"), "{bar}");
}

/// While the sign-in code is asked for there is no address: the footer
/// offers `o` (open in browser) only once the address is shown
/// (stranger 53, BB10).
#[test]
fn open_in_browser_is_offered_once_the_sign_in_address_is_there() {
    let mut s = refused_token();
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    let asking = render_at(&s, 120, 45);
    assert!(asking.contains("Esc cancel"), "{asking}");
    assert!(!asking.contains("open in browser"), "{asking}");
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: sign_in,
            prompt: prompt(),
        },
        2,
    );
    let shown = render_at(&s, 120, 45);
    assert!(shown.contains("o open in browser"), "{shown}");
}

/// A stepsID given by starting over that then answered by itself (a list
/// by stepsID came) and is refused later, within the minute, was taken and
/// then forgotten: watch starts over again, never "refuses the stepsID it
/// just gave … tell the gateway's operator" (stranger 55, BD2).
#[test]
fn a_steps_id_that_answered_and_is_then_forgotten_starts_over_again() {
    let (gone, ended) = (no_step_2346, follower_ended);
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    let (id, _, _, purpose) = fetched(&live(&mut s, f, ended(gone()), 2));
    // Starting over gives a new stepsID (the gateway forgot the old one).
    let mut renewed = list(["alreadyDone", "todo", "todo"]);
    renewed.steps_id = Some("777001".into());
    let (g, _) = followed(&answer(&mut s, id, purpose, Ok(renewed), 3));
    live(
        &mut s,
        g,
        LiveUpdate::Unchanged {
            steps_id: "777001".into(),
        },
        6,
    );
    let (_, lookup, _, _) = fetched(&live(&mut s, g, ended(gone()), 20));
    assert_eq!(lookup, Lookup::Car("987654".into()));
    let banner = session(&s).banner().unwrap();
    assert_ne!(banner.title, "The gateway refuses the stepsID it just gave");
}

/// A list that carries no stepsID is said when it comes (the next step
/// and live events cannot ask by it), and watch's header says it polls
/// (stranger 56, BE4).
#[test]
fn a_list_without_a_steps_id_is_said_and_watch_says_it_polls() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    let body = br#"{"stepsID": null, "mediumCarKey": {"status":"todo","order":1}}"#;
    answer(&mut s, id, purpose, Ok(decode_list(body).unwrap()), 1);
    let banner = session(&s).banner().unwrap().clone();
    assert_eq!(banner.title, "No stepsID in the list");
    assert!(banner.text.contains("every 3 s"), "{}", banner.text);
    ch(&mut s, 'w');
    assert!(render(&s).contains("polling every 3 s"), "{}", render(&s));
}

/// A renewal whose answer was lost holds the follower (its refresh token
/// is never sent again unattended): the banner says `r` is the way on, not
/// that watch goes on by itself, and the report keeps the failure once
/// however often the follower meets it (stranger 58, BG2).
#[test]
fn a_lost_renewal_says_r_is_the_way_on_and_is_logged_once() {
    let lost = || {
        GatewayError::Auth(stepwise::auth::AuthError::Provider(
            stepwise::auth::ProviderProblem::RenewalLost {
                url: "http://idp.example/token".into(),
                why: Box::new(stepwise::auth::AuthError::Provider(
                    stepwise::auth::ProviderProblem::RefreshFailed {
                        said: "no answer".into(),
                        wait: None,
                    },
                )),
            },
        ))
    };
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let (f, _) = followed(&ch(&mut s, 'w'));
    for at in [2, 30, 60] {
        live(
            &mut s,
            f,
            LiveUpdate::Error {
                error: lost(),
                retrying: true,
            },
            at,
        );
    }
    let banner = session(&s).banner().unwrap();
    assert!(banner.text.contains("Press r once"), "{}", banner.text);
    assert!(
        !banner.text.contains("goes on by itself"),
        "{}",
        banner.text
    );
    let errors = session(&s)
        .log()
        .entries()
        .iter()
        .filter(|e| matches!(e.event, stepwise::report::Event::Error { .. }))
        .count();
    assert_eq!(errors, 1);
}

/// At 60×16 the panel of a vehicle whose every step is done says more is
/// below, and PgDn shows its last sentence, the stale cache's cure (R),
/// never cut unseen (stranger 66, BO5).
#[test]
fn the_ready_panel_scrolls_on_a_small_screen() {
    let mut s = opened(["alreadyDone", "alreadyDone", "alreadyDone"]);
    let screen = render_at(&s, 60, 16);
    assert!(screen.contains("Service ready"), "{screen}");
    assert!(screen.contains("↓ more: PgDn"), "{screen}");
    assert!(!screen.contains("to reset it"), "{screen}");
    for _ in 0..3 {
        key(&mut s, KeyCode::PageDown);
    }
    let screen = render_at(&s, 60, 16);
    assert!(
        screen.replace(['│', '\n'], " ").contains("reset it"),
        "{screen}"
    );
    assert!(!screen.contains("↓ more: PgDn"), "{screen}");
}

/// A list of the same stepsID that no longer holds steps not done before
/// (a filtered list given as the whole one) is not taken: the vehicle is
/// never said ready on it, the error names the steps lost, said once; the
/// whole list, when it comes again, is taken (stranger 67, BP9).
#[test]
fn a_list_short_of_steps_not_done_is_not_said_ready() {
    let mut s = opened(["alreadyDone", "todo", "todo"]);
    let short = decode_list(
        br#"{"stepsID":132324,"trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1}}"#,
    )
    .unwrap();
    for _ in 0..2 {
        let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
        answer(&mut s, id, purpose, Ok(short.clone()), 1);
        assert!(!session(&s).all_done());
        assert_eq!(session(&s).shown().len(), 3);
        let banner = session(&s).banner().cloned().unwrap();
        assert_eq!(banner.kind, BannerKind::Error);
        assert_eq!(banner.title, "List short of steps");
        assert!(
            banner.text.contains(
                "stepsID 132324 no longer holds deviceActivation, mediumCarKey, which were not done"
            ),
            "{}",
            banner.text
        );
    }
    let md = session(&s).log().to_markdown();
    assert_eq!(md.matches("List short of steps").count(), 1, "{md}");
    assert!(
        !md.contains("nothing left") && !md.contains("service ready"),
        "{md}"
    );
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "alreadyDone", "todo"])),
        3,
    );
    assert_eq!(session(&s).list().unwrap().done_count(), 2);
}

/// Watch stopped by a 401 with no token sent: the report keeps what the
/// screen says (a sign-in where the gateway offers one), never `stepwise
/// login` as a sure cure, which fails at a gateway without sign-in
/// (stranger 67, BP3).
#[test]
fn watch_stopped_for_a_token_logs_no_login_command() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        0,
    );
    ch(&mut s, 'w');
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let none = GatewayError::Unauthorized {
        sent: None,
        expired: None,
        said: None,
        through: None,
    };
    answer(&mut s, id, purpose, Err(none), 1);
    assert!(!session(&s).watch());
    let md = session(&s).log().to_markdown();
    assert!(md.contains("watch stopped by itself"), "{md}");
    assert!(!md.contains("stepwise login"), "{md}");
    assert!(md.contains("Press i to sign in"), "{md}");
}

/// Watch that a refused token stopped by itself goes on after a sign-in,
/// and the banner says so: the technician turned it on, and the sign-in
/// is what it waited for (stranger 63, BL8).
#[test]
fn watch_stopped_for_a_token_goes_on_after_signing_in() {
    let mut s = state(false);
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Ok(list(["alreadyDone", "todo", "todo"])),
        0,
    );
    ch(&mut s, 'w');
    let (id, _, _, purpose) = fetched(&ch(&mut s, 'r'));
    let none = GatewayError::Unauthorized {
        sent: None,
        expired: None,
        said: None,
        through: None,
    };
    answer(&mut s, id, purpose, Err(none), 1);
    assert!(!session(&s).watch());
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    msg(
        &mut s,
        Msg::SignedIn {
            id: sign_in,
            result: Ok(kept_in_file()),
        },
        2,
    );
    assert!(session(&s).watch());
    let banner = session(&s).banner().cloned().unwrap();
    assert!(
        banner
            .text
            .contains("Watch, which the refused token had stopped, goes on."),
        "{banner:?}"
    );
}

/// No browser for a sign-in address on this machine only: the command the
/// box suggests carries the --api typed, so it runs as written (stranger
/// 68, BQ14).
#[test]
fn the_sign_in_box_s_commands_carry_the_api_typed() {
    let mut s = State::new(Options {
        backend_label: "test".into(),
        data_dir: Some("/data".into()),
        api_typed: Some("http://127.0.0.1:46700".into()),
        ..Options::default()
    });
    let (id, _, _, purpose) = fetched(&start(&mut s, Some("987654".into()), t(0)));
    answer(
        &mut s,
        id,
        purpose,
        Err(rejected(401, Rejection::Unauthorized)),
        1,
    );
    let sign_in = sign_in_started(&ch(&mut s, 'i'));
    let local = SignInPrompt {
        address: "http://127.0.0.1:46700/device?user_code=BCDF-GHJK".into(),
        verification_uri: "http://127.0.0.1:46700/device".into(),
        ..prompt()
    };
    let address = local.address.clone();
    msg(
        &mut s,
        Msg::SignInPrompt {
            id: sign_in,
            prompt: local,
        },
        2,
    );
    msg(
        &mut s,
        Msg::Opened(Err(
            stepwise::wizard::state::OpenFailure::NoGraphicalSession(address),
        )),
        3,
    );
    let screen: String = render_at(&s, 100, 40)
        .replace(['│', '"'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        screen.contains("stepwise login --api http://127.0.0.1:46700 --with-token"),
        "{screen}"
    );
}
