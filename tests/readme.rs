//! The README stays true to the code: its troubleshooting tables list every
//! error code and client code in assets/, and it shows the two set-up commands.

#[test]
fn readme_lists_every_error_code_and_the_setup_commands() {
    let readme = include_str!("../README.md");
    for (code, e) in stepwise::guidance::error_codes() {
        let row = format!("| {code} | {} |", e.meaning(stepwise::text::Lang::En));
        assert!(
            readme.contains(&row),
            "README misses the row of {code}: {row}"
        );
    }
    for c in stepwise::guidance::client_codes() {
        let text = |part: &str| {
            stepwise::text::message(
                stepwise::text::Lang::En,
                &format!("client-{}-{part}", c.key),
                None,
            )
        };
        let row = format!(
            "| `{}` | {} | {} |",
            c.text,
            text("meaning"),
            text("remedy")
        );
        assert!(
            readme.contains(&row),
            "README misses the row of {}: {row}",
            c.text
        );
    }
    for limit in [
        "about 20 SMS activations lock the account",
        "6 OTP codes per 24 h",
    ] {
        assert!(readme.contains(limit), "{limit}");
    }
    assert!(readme.contains("    cargo run --release\n"));
    assert!(readme.contains("    cargo test --locked\n"));
}
