//! Bytes the wizard writes to the terminal at 110×32: the first full frame,
//! and each kind of selection move, as crossterm encodes them. A count, not a
//! timing: run with `cargo bench --bench bytes`.

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{TerminalOptions, Viewport};
use stepwise::wire::decode_list;
use stepwise::wizard::state::{Input, Options, State};
use stepwise::wizard::update::update;

fn steps_screen(body: &str) -> State {
    let options = Options {
        demo: true,
        backend_label: "demo backend".into(),
        docs_base_url: None,
        gateway_url: "http://127.0.0.1:8080/".into(),
        color: true,
        ..Options::default()
    };
    let list = decode_list(body.as_bytes()).expect("a valid list");
    stepwise::wizard::loaded(options, "987654", list, SystemTime::UNIX_EPOCH)
}

/// Counts the bytes written through it.
#[derive(Clone, Default)]
struct Counter(Rc<Cell<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn terminal(counter: Counter) -> Terminal<CrosstermBackend<Counter>> {
    Terminal::with_options(
        CrosstermBackend::new(counter),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 110, 32)),
        },
    )
    .expect("a terminal over a buffer")
}

/// Bytes of the first frame, then of a `j` move.
fn measure(body: &str) -> (usize, usize) {
    let mut state = steps_screen(body);
    let counter = Counter::default();
    let mut terminal = terminal(counter.clone());
    terminal
        .draw(|f| {
            stepwise::ui::draw(f, &state);
        })
        .expect("draw");
    let first = counter.0.replace(0);
    update(
        &mut state,
        Input::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
        SystemTime::UNIX_EPOCH,
    );
    terminal
        .draw(|f| {
            stepwise::ui::draw(f, &state);
        })
        .expect("draw");
    (first, counter.0.get())
}

fn main() {
    let doc = r#"{"stepsID":132324,
        "trusterPhoneNumber":{"name":"trusterPhoneNumber","status":"alreadyDone","order":1},
        "deviceActivation":{"name":"deviceActivation","status":"todo","order":2},
        "mediumCarKey":{"name":"mediumCarKey","status":"todo","order":3}}"#;
    let (first, step_change) = measure(doc);
    println!("first full frame 110x32: {first} bytes");
    println!(
        "j to a step with other guidance (deviceActivation -> mediumCarKey): {step_change} bytes"
    );
    // Steps this tool does not know share the generic guidance: the move then
    // costs only the highlight.
    let unknown =
        r#"{"stepsID":1,"a":{"status":"todo","order":1},"b":{"status":"todo","order":2}}"#;
    let (_, highlight_only) = measure(unknown);
    println!("j between steps with the same guidance (highlight only): {highlight_only} bytes");
}
