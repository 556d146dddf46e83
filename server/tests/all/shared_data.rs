//! Where the shared data set is (`APPCAT_SHARED_DATA`, default
//! `../shared/data` beside the repository). With `CI=true` its absence is
//! an error; elsewhere the tests that need it are skipped, saying why.

use std::path::PathBuf;

pub fn dir() -> Option<PathBuf> {
    let path = std::env::var("APPCAT_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if path.join("app-catalog/assets.yaml").is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "the shared data set is missing at {} (set APPCAT_SHARED_DATA)",
            path.display()
        );
    }
    eprintln!(
        "skipped: the shared data set is not at {} (set APPCAT_SHARED_DATA)",
        path.display()
    );
    None
}
