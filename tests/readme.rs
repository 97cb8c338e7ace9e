//! The README stays true to the code: its troubleshooting table lists every
//! error code in assets/, and it shows the two set-up commands.

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
    assert!(readme.contains("    cargo run --release\n"));
    assert!(readme.contains("    cargo test --locked\n"));
}
