//! Every path a project file names exists in the project: the README, the
//! docs, the sources, the tests, the benches and CI name only files that are
//! here (a document outside the project is never cited). Paths under a
//! folder that .gitignore lists (made by running a tool) are exempt.

use std::path::{Path, PathBuf};

/// Where path mentions are looked for.
fn project_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![
        root.join("README.md"),
        root.join("Cargo.toml"),
        root.join(".ci/run"),
    ];
    for dir in ["src", "tests", "docs", "benches", "assets"] {
        walk(&root.join(dir), &mut files);
    }
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                walk(&path, files);
            }
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "md" || e == "toml" || e == "ftl")
        {
            files.push(path);
        }
    }
}

/// The words of a text that look like a path inside the project: starting
/// with a top-level folder of the project, or `../`, or naming a `.md` file.
fn path_mentions(text: &str) -> Vec<String> {
    const ROOTS: [&str; 7] = [
        "src/",
        "tests/",
        "docs/",
        "assets/",
        "benches/",
        ".ci/",
        "reference/",
    ];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c)))
        .map(|word| word.trim_end_matches(['.', ',']))
        .filter(|word| !word.contains('*') && !word.contains("//"))
        // Absolute paths (`/dev/null/r.md` in a test) are not project files.
        .filter(|word| !word.starts_with('/'))
        .filter(|word| {
            ROOTS.iter().any(|root| word.starts_with(root))
                || word.starts_with("../")
                || (word.ends_with(".md")
                    && (word.contains('/') || word.starts_with(|c: char| c.is_ascii_uppercase())))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_named_path_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    let generated: Vec<String> = std::fs::read_to_string(root.join(".gitignore"))
        .unwrap_or_default()
        .lines()
        .map(|line| line.trim().trim_start_matches('/'))
        .filter_map(|line| line.split('*').next())
        .filter(|prefix| prefix.contains('/'))
        .map(str::to_owned)
        .collect();
    let this_file = root.join("tests/pure/doc_paths.rs");
    let files: Vec<_> = project_files(root)
        .into_iter()
        .filter(|f| *f != this_file)
        .collect();
    assert!(files.len() > 20, "the walk found the project's files");
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let here = file.parent().unwrap_or(root);
        for mention in path_mentions(&text) {
            if generated.iter().any(|prefix| mention.starts_with(prefix)) {
                continue;
            }
            let found = here.join(&mention).exists()
                || (!mention.starts_with("../") && root.join(&mention).exists());
            if !found {
                let shown = file.strip_prefix(root).unwrap_or(&file).display();
                missing.push(format!("{shown}: {mention}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "paths named that are not in the project:\n{}",
        missing.join("\n")
    );
}

#[test]
fn mentions_are_found_where_they_are() {
    let found = path_mentions(
        "see `docs/CONTRACT.md`, ../x/y.rs, NOTES.md and reference/x.md. \
         Not https://a.example/docs/x, report.md or a/b",
    );
    assert_eq!(
        found,
        [
            "docs/CONTRACT.md",
            "../x/y.rs",
            "NOTES.md",
            "reference/x.md"
        ]
    );
}
