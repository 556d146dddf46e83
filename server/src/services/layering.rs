//! The dependency direction, checked on the source (see "Dependency
//! direction" in docs/ARCHITECTURE.md): `caller` is a leaf, and nothing in
//! the service layer imports the layers above it (`api`, `pages`, `web`,
//! `http`, `router`), or the request state.

use std::path::{Path, PathBuf};

/// Modules of the crate the services must not name.
const ABOVE: [&str; 6] = ["api", "pages", "web", "http", "router", "state"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first path segment after every `crate::` in `text`, looking into
/// `crate::{a::b, c}` groups.
fn crate_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = text[at + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => return true,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    false
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0usize;
            let mut item = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            out.push(first_segment(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn first_segment(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn services_import_nothing_upward() {
    let mut files = vec![src().join("services.rs")];
    rust_files(&src().join("services"), &mut files);
    assert!(files.len() > 10, "the service files are found: {files:?}");
    let mut wrong = Vec::new();
    for file in &files {
        let name = relative(file);
        if name == "services/layering.rs" {
            continue; // this file names them to look for them
        }
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        for module in crate_modules(&text) {
            if ABOVE.contains(&module.as_str()) {
                wrong.push(format!("{name} names crate::{module}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "services import upward:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn caller_is_a_leaf() {
    let text = std::fs::read_to_string(src().join("caller.rs")).expect("caller.rs");
    let named: Vec<String> = crate_modules(&text)
        .into_iter()
        .filter(|m| m != "error")
        .collect();
    assert!(named.is_empty(), "caller.rs names crate::{named:?}");
}

#[test]
fn groups_and_paths_are_read() {
    let text = "use crate::{error::AppError, web::{session, x}};\nlet a = crate::pages::f();";
    assert_eq!(crate_modules(text), ["error", "web", "pages"]);
}
