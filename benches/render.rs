//! Rendering the steps screen at 110×32: a full first frame, and one
//! selection move (update plus redraw), as the wizard does on `j`.

use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::wire::decode_list;
use stepwise::wizard::state::{Input, Options, State};
use stepwise::wizard::update::update;

const DOC: &[u8] = br#"{"stepsID":132324,
    "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
    "deviceActivation":{"name":"deviceActivation","status":"todo","order":2},
    "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3}}"#;

fn steps_screen() -> State {
    let options = Options {
        demo: true,
        backend_label: "demo backend".into(),
        docs_base_url: None,
        gateway_url: "http://127.0.0.1:8080/".into(),
        color: true,
        ..Options::default()
    };
    let list = decode_list(DOC).expect("the documentation's example decodes");
    stepwise::wizard::loaded(options, "987654", list, SystemTime::UNIX_EPOCH)
}

fn key(c: char) -> Input {
    Input::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn render(c: &mut Criterion) {
    let state = steps_screen();
    c.bench_function("steps screen, full frame 110x32", |b| {
        b.iter(|| {
            let mut terminal = Terminal::new(TestBackend::new(110, 32)).expect("test backend");
            terminal
                .draw(|frame| {
                    stepwise::ui::draw(frame, &state);
                })
                .expect("draw");
        })
    });

    let mut state = steps_screen();
    let mut terminal = Terminal::new(TestBackend::new(110, 32)).expect("test backend");
    let mut down = true;
    c.bench_function("steps screen, one selection move 110x32", |b| {
        b.iter(|| {
            update(
                &mut state,
                key(if down { 'j' } else { 'k' }),
                SystemTime::UNIX_EPOCH,
            );
            down = !down;
            terminal
                .draw(|frame| {
                    stepwise::ui::draw(frame, &state);
                })
                .expect("draw");
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
