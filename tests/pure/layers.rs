//! The tree's layers point one way: no module imports one that imports it
//! back (at the level of `src/`'s top modules), and the domain, the wire and
//! the guidance know nothing of clap, HTTP or the terminal. The graph is read
//! from the sources' `crate::` paths, as `grep -o 'crate::[a-z_]*'` would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top module of a source file: `src/wizard/update.rs` → `wizard`.
fn top_module(path: &Path, src: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
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

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = top_module(&file, &src);
        if from == "main" || from == "lib" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let deps = graph.entry(from.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != from {
                deps.insert(name);
            }
        }
    }
    graph
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    // Depth-first search for a cycle, reporting its path.
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

#[test]
fn the_domain_knows_nothing_of_clap_http_or_the_terminal() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in ["steps.rs", "wire.rs", "protocol.rs", "guidance.rs"] {
        let Ok(text) = std::fs::read_to_string(src.join(file)) else {
            continue;
        };
        let code = code_of(&text);
        for name in ["clap", "reqwest", "crossterm", "ratatui", "axum"] {
            assert!(
                !code.contains(&format!("{name}::")) && !code.contains(&format!("use {name}")),
                "src/{file} names {name}"
            );
        }
    }
}

#[test]
fn the_pure_wizard_and_the_drawing_never_reach_up() {
    let graph = graph();
    for (module, banned) in [
        ("wizard", ["app", "ui", "backend", "sim"]),
        ("ui", ["app", "backend", "sim", "client"]),
    ] {
        for name in banned {
            assert!(
                !graph[module].contains(name),
                "{module} imports {name}: {:?}",
                graph[module]
            );
        }
    }
}
