//! Arbitrary bytes as a live event stream, decoded as the follower does:
//! whole, and split into chunks of a size taken from the input, at a cap
//! taken from the input. Nothing may panic; the chunking may change nothing;
//! no list may hold a control character; an error is always the last item.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stepwise::client::live::{StreamItem, decode_event_stream};

fuzz_target!(|data: &[u8]| {
    let (head, body) = data.split_at(data.len().min(2));
    let cap = head.first().map_or(4096, |c| usize::from(*c) * 16 + 1);
    let step = head.get(1).map_or(7, |s| usize::from(*s % 32) + 1);
    let ids = vec!["1".to_owned()];
    let whole = decode_event_stream(&[body], cap, &ids);
    let chunks: Vec<&[u8]> = body.chunks(step).collect();
    assert_eq!(decode_event_stream(&chunks, cap, &ids), whole, "chunking changed the outcome");
    for (index, item) in whole.iter().enumerate() {
        match item {
            StreamItem::List { id, list } => {
                for step in &list.steps {
                    assert!(!step.name.chars().any(char::is_control));
                    assert!(!step.status.as_wire().chars().any(char::is_control));
                }
                let steps_id = list.steps_id.clone().unwrap_or_default();
                assert!(!steps_id.chars().any(char::is_control));
                assert!(id.as_deref().unwrap_or("x").bytes().all(|b| b.is_ascii_graphic()));
            }
            StreamItem::Error(error) => {
                assert_eq!(index, whole.len() - 1, "an error ends the stream");
                assert!(!error.to_string().contains('\n'));
            }
        }
    }
});
