//! The tree's layers as `docs/ARCHITECTURE.md` states them, held: the test
//! reads the layer table (which modules each layer has, which layers it may
//! import) and the table of outside crates, then checks every file of `src/`
//! against them. An arrow the tables do not allow fails, so does a module in
//! no row, a row naming a file that does not exist, and a cycle between top
//! modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The two tables of the architecture document.
struct Tables {
    /// Layer names, top to bottom.
    layers: Vec<String>,
    /// A module path as the document writes it (`app/`, `app/terminal.rs`,
    /// `text.rs`) and its layer.
    modules: Vec<(String, String)>,
    /// A layer and the layers it may import (its own always).
    may_import: BTreeMap<String, BTreeSet<String>>,
    /// An outside crate and the layers that may name it.
    crates: BTreeMap<String, BTreeSet<String>>,
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

/// The backticked words of a cell that name a module (`x.rs` or `x/`).
fn module_paths(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| w.ends_with(".rs") || w.ends_with('/'))
        .map(str::to_owned)
        .collect()
}

fn read_tables(doc: &str) -> Tables {
    let mut tables = Tables {
        layers: Vec::new(),
        modules: Vec::new(),
        may_import: BTreeMap::new(),
        crates: BTreeMap::new(),
    };
    let mut in_layers = false;
    let mut in_crates = false;
    let mut imports: Vec<(String, String)> = Vec::new();
    for line in doc.lines() {
        if !line.trim_start().starts_with('|') {
            in_layers = false;
            in_crates = false;
            continue;
        }
        let row = cells(line);
        if row.first().is_some_and(|c| c == "layer")
            && row.get(2).is_some_and(|c| c == "may import")
        {
            in_layers = true;
            continue;
        }
        if row.first().is_some_and(|c| c == "outside crate") {
            in_crates = true;
            continue;
        }
        if row
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ' '))
        {
            continue;
        }
        if in_layers {
            let layer = row[0].clone();
            for path in module_paths(&row[1]) {
                tables.modules.push((path, layer.clone()));
            }
            imports.push((layer.clone(), row[2].clone()));
            tables.layers.push(layer);
        } else if in_crates {
            let name = row[0].trim_matches('`').to_owned();
            let layers = row[1].split(',').map(|l| l.trim().to_owned()).collect();
            tables.crates.insert(name, layers);
        }
    }
    for (layer, cell) in imports {
        let mut allowed: BTreeSet<String> = match cell.as_str() {
            "every layer" => tables.layers.iter().cloned().collect(),
            "nothing" => BTreeSet::new(),
            list => list.split(',').map(|l| l.trim().to_owned()).collect(),
        };
        for name in &allowed {
            assert!(
                tables.layers.contains(name),
                "the row of {layer} allows {name:?}, which is no layer"
            );
        }
        allowed.insert(layer.clone());
        tables.may_import.insert(layer, allowed);
    }
    assert!(tables.layers.len() > 5, "the layer table is read");
    assert!(!tables.crates.is_empty(), "the crate table is read");
    tables
}

impl Tables {
    /// The row of a file (`app/terminal.rs`) or module (`client`): the most
    /// specific entry that names it.
    fn layer_of(&self, path: &str) -> Option<&str> {
        self.modules
            .iter()
            .filter(|(entry, _)| {
                entry == path
                    || (entry.ends_with('/') && path.starts_with(entry.as_str()))
                    || entry.strip_suffix(".rs").is_some_and(|m| path == m)
            })
            .max_by_key(|(entry, _)| entry.len())
            .map(|(_, layer)| layer.as_str())
    }
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (doc links are not imports).
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a file's code reaches through `crate::`, as paths
/// (`client/live`, `wire`), grouped imports (`crate::{a, b::c}`) included.
/// `crate::tr!` is the catalogue's macro, of `text`.
fn imports_of(code: &str) -> BTreeSet<String> {
    fn path_at(text: &str) -> String {
        text.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect::<String>()
            .split("::")
            .filter(|s| !s.is_empty() && s.starts_with(|c: char| c.is_ascii_lowercase()))
            .collect::<Vec<_>>()
            .join("/")
    }
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let inside = &group[..group.find('}').unwrap_or(group.len())];
            for part in inside.split(',') {
                let path = path_at(part.trim());
                if !path.is_empty() {
                    found.insert(path);
                }
            }
        } else {
            let path = path_at(rest);
            if !path.is_empty() {
                found.insert(path);
            }
        }
    }
    found
        .into_iter()
        .map(|p| if p == "tr" { "text".to_owned() } else { p })
        .collect()
}

/// Every way `files` (a path under `src/` and its code) leave the tables.
fn violations(tables: &Tables, files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, code) in files {
        let Some(layer) = tables.layer_of(file) else {
            found.push(format!("src/{file} is in no row of the layer table"));
            continue;
        };
        for import in imports_of(code) {
            // The longest prefix of the path that is in a row.
            let mut target = None;
            let parts: Vec<&str> = import.split('/').collect();
            for n in (1..=parts.len()).rev() {
                let candidate = parts[..n].join("/");
                for probe in [
                    format!("{candidate}.rs"),
                    format!("{candidate}/"),
                    candidate,
                ] {
                    if let Some(l) = tables.layer_of(&probe) {
                        target = Some(l);
                        break;
                    }
                }
                if target.is_some() {
                    break;
                }
            }
            let Some(target) = target else {
                found.push(format!("src/{file} imports crate::{import}, in no row"));
                continue;
            };
            if !tables.may_import[layer].contains(target) {
                found.push(format!(
                    "src/{file} ({layer}) imports crate::{} ({target}), which its row does not allow",
                    import.replace('/', "::")
                ));
            }
        }
        for (name, allowed) in &tables.crates {
            let named_here = code.match_indices(name.as_str()).any(|(at, _)| {
                let before = code[..at].chars().next_back();
                let after = &code[at + name.len()..];
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    && (after.starts_with("::")
                        || (code[..at].ends_with("use ") && !after.starts_with('_')))
            });
            if named_here && !allowed.contains(layer) {
                found.push(format!("src/{file} ({layer}) names {name}"));
            }
        }
    }
    found
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn tables() -> Tables {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md"))
            .unwrap();
    read_tables(&doc)
}

fn files() -> Vec<(String, String)> {
    let src = src();
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, code_of(&std::fs::read_to_string(&p).unwrap()))
        })
        .collect()
}

#[test]
fn every_import_and_crate_is_one_the_layer_table_allows() {
    let found = violations(&tables(), &files());
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn every_row_names_files_that_exist() {
    let src = src();
    for (entry, layer) in tables().modules {
        assert!(
            src.join(&entry).exists(),
            "the {layer} row names src/{entry}, which does not exist"
        );
    }
}

/// The check fails for a new arrow the table does not allow, written as a
/// grouped import, and for a crate named out of its layer.
#[test]
fn a_new_arrow_the_table_does_not_allow_fails() {
    let tables = tables();
    let mut files = files();
    files.push((
        "steps.rs".to_owned(),
        "use crate::{text::Lang, client::live::LiveUpdate};\nuse reqwest::Client;".to_owned(),
    ));
    files.push((
        "wizard/update/mod.rs".to_owned(),
        "fn f() { crate::app::run(); }".to_owned(),
    ));
    let found = violations(&tables, &files);
    assert!(
        found
            .iter()
            .any(|v| v.contains("src/steps.rs (foundation) imports crate::client::live")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v == "src/steps.rs (foundation) names reqwest"),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v.contains("src/wizard/update/mod.rs (pure wizard) imports crate::app")),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|v| v.contains("crate::text")),
        "the foundation may import itself: {found:#?}"
    );
}

#[test]
fn no_top_module_imports_one_that_imports_it_back() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, code) in files() {
        let from = file
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if from == "main" || from == "lib" {
            continue;
        }
        let deps = graph.entry(from.clone()).or_default();
        for import in imports_of(&code) {
            let to = import.split('/').next().unwrap().to_owned();
            if to != from {
                deps.insert(to);
            }
        }
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}\ngraph: {graph:#?}", cycle.join(" -> "));
        }
    }
}
