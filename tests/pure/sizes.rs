//! Size rules of the tree, held by a test: no function in `src/` longer
//! than 120 lines, no file under `src/wizard/` longer than 700.

use std::path::{Path, PathBuf};

const MAX_FUNCTION_LINES: usize = 120;
const MAX_WIZARD_FILE_LINES: usize = 700;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each `fn` that opens at some indentation, with the number of lines up
/// to the `}` at that same indentation (rustfmt's layout).
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let rest = ["pub(crate) ", "pub(super) ", "pub "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p))
            .unwrap_or(trimmed);
        let rest = rest.strip_prefix("async ").unwrap_or(rest);
        let rest = rest.strip_prefix("const ").unwrap_or(rest);
        let Some(signature) = rest.strip_prefix("fn ") else {
            continue;
        };
        let name: String = signature
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            found.push((name, end + 2));
        }
    }
    found
}

#[test]
fn no_function_is_longer_than_120_lines_and_no_wizard_file_than_700() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 20, "the source tree was not found");
    let mut too_long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        for (name, length) in functions(&text) {
            if length > MAX_FUNCTION_LINES {
                too_long.push(format!("{shown}: fn {name} is {length} lines"));
            }
        }
        if shown.starts_with("src/wizard/") && text.lines().count() > MAX_WIZARD_FILE_LINES {
            too_long.push(format!("{shown} is {} lines", text.lines().count()));
        }
    }
    assert!(too_long.is_empty(), "{too_long:#?}");
}

#[test]
fn the_rule_sees_a_long_function() {
    let body = "    let x = 1;\n".repeat(130);
    let text = format!("pub fn long() {{\n{body}}}\n\nfn short() {{\n}}\n");
    let found = functions(&text);
    assert_eq!(found, [("long".to_owned(), 132), ("short".to_owned(), 2)]);
}
