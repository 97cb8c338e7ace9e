//! Properties of the event-stream parser over arbitrary streams: how the bytes
//! are split into chunks changes nothing, no list holds a control character,
//! and nothing past the cap is ever taken as an event.

use proptest::prelude::*;
use stepwise::client::GatewayError;
use stepwise::client::live::{StreamItem, decode_event_stream};

const LIST: &str = r#"{"stepsID":1,"deviceActivation":{"name":"device\u001b[31mActivation","status":"todo","order":1}}"#;

/// Streams made of the pieces servers and proxies send, good and bad.
fn stream_text() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"id: 7".to_vec()),
        Just(b"id: \x1b[2J".to_vec()),
        Just(b"event: steps".to_vec()),
        Just(b"event: other".to_vec()),
        Just(b": keep-alive".to_vec()),
        Just(b"retry: 10".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(LIST.as_bytes().to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        Just("é€\u{202e}".as_bytes().to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
        "[a-z{}\":, ]{0,12}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

fn ids() -> Vec<String> {
    vec!["1".into()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn chunking_changes_nothing(text in stream_text(), step in 1usize..9, cap in 8usize..400) {
        let whole = decode_event_stream(&[&text], cap, &ids());
        let chunks: Vec<&[u8]> = text.chunks(step).collect();
        prop_assert_eq!(decode_event_stream(&chunks, cap, &ids()), whole);
    }

    #[test]
    fn lists_are_clean_and_errors_end_the_stream(text in stream_text(), cap in 8usize..400) {
        let items = decode_event_stream(&[&text], cap, &ids());
        for (index, item) in items.iter().enumerate() {
            match item {
                StreamItem::List { id, list } => {
                    for step in &list.steps {
                        prop_assert!(!step.name.chars().any(char::is_control));
                        prop_assert!(!step.status.as_wire().chars().any(char::is_control));
                    }
                    prop_assert!(!list.steps_id.clone().unwrap_or_default().chars().any(char::is_control));
                    prop_assert!(id.as_deref().unwrap_or("x").bytes().all(|b| b.is_ascii_graphic()));
                }
                StreamItem::Error(error) => {
                    prop_assert_eq!(index, items.len() - 1, "an error is the last item");
                    prop_assert!(!error.to_string().contains('\n'));
                }
            }
        }
    }

    #[test]
    fn no_event_is_read_past_the_cap(len in 0usize..2000, cap in 8usize..400) {
        let text = format!("data: {}\n\n", "x".repeat(len));
        let items = decode_event_stream(&[text.as_bytes()], cap, &ids());
        if "data: ".len() + len > cap {
            let cut = matches!(&items[..], [StreamItem::Error(GatewayError::TooLarge { .. })]);
            prop_assert!(cut, "{:?}", items);
        } else {
            let read = matches!(&items[..], [StreamItem::Error(GatewayError::BadAnswer(_))]);
            prop_assert!(read, "{:?}", items);
        }
    }
}
