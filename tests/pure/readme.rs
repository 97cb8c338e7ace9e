//! The README stays true to the code: its troubleshooting tables list every
//! error code and client code in assets/, and it shows the two set-up commands.

#[test]
fn readme_lists_every_error_code_and_the_setup_commands() {
    let readme = include_str!("../../README.md");
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

/// The README opens with the recorded pictures: each is an animated SVG
/// under docs/ of at most 1 MB, recorded from stepwise's own screen (its
/// header says `stepwise`), and the script the README names makes each one.
#[test]
fn readme_opens_with_the_recorded_pictures() {
    let readme = include_str!("../../README.md");
    let top = readme
        .split("\n## ")
        .next()
        .expect("split yields at least one part");
    let pictures: Vec<&str> = top
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| target.ends_with(".svg"))
        .collect();
    assert_eq!(
        pictures,
        ["docs/board.svg", "docs/activation.svg"],
        "the README's top shows the two recordings"
    );
    assert!(
        top.contains("`bash docs/record.sh`"),
        "the README says how the pictures are made"
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("docs/record.sh")).expect("docs/record.sh");
    for picture in pictures {
        let name = picture.trim_start_matches("docs/").trim_end_matches(".svg");
        assert!(
            script
                .lines()
                .any(|l| l.starts_with(&format!("record {name} "))),
            "docs/record.sh does not record {picture}"
        );
        let svg = std::fs::read_to_string(root.join(picture)).expect(picture);
        assert!(svg.len() < 1_000_000, "{picture} is {} bytes", svg.len());
        assert!(svg.starts_with("<svg "), "{picture} is not an SVG");
        assert!(svg.contains("@keyframes"), "{picture} is not animated");
        assert!(
            svg.contains(">stepwise</text>"),
            "{picture} does not show stepwise's header"
        );
    }
}
