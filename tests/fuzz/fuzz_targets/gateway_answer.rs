//! Arbitrary bytes as a gateway answer: decoded as a list, a next step and an
//! error body, sanitised, and the list drawn by the wizard at a size taken
//! from the input. Nothing may panic; no drawn text may hold a control.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::wire::{decode_error, decode_list, decode_next};
use stepwise::wizard::state::Options;

fuzz_target!(|data: &[u8]| {
    let (size, body) = data.split_at(data.len().min(2));
    let width = size.first().map_or(80, |w| u16::from(*w) + 1);
    let height = size.get(1).map_or(24, |h| u16::from(*h % 100) + 1);
    let _ = decode_next(body);
    if let Some(error) = decode_error(body) {
        assert!(
            !error
                .message
                .unwrap_or_default()
                .chars()
                .any(char::is_control)
        );
    }
    let Ok(list) = decode_list(body) else {
        return;
    };
    for step in &list.steps {
        assert!(!step.name.chars().any(char::is_control));
        assert!(!step.status.as_wire().chars().any(char::is_control));
    }
    let options = Options {
        demo: true,
        backend_label: "demo backend".into(),
        docs_base_url: Some("https://docs.example".into()),
        ..Options::default()
    };
    let state = stepwise::wizard::loaded(options, "1", list, std::time::SystemTime::UNIX_EPOCH);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| {
            stepwise::ui::draw(frame, &state);
        })
        .expect("draw");
    for cell in terminal.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "a control reached the screen"
        );
    }
});
