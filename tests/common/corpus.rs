//! Reading the shared corpus of real migrations (../shared/corpus): used by the corpus
//! test (`mod common;`) and by bench/lint (`#[path]`), so both read it the same way.

use std::fs;
use std::path::{Path, PathBuf};

use neon_gitops::sql::SourceFile;

/// Every `.sql` file below `dir`, in path order.
pub fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, &mut out);
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "sql") {
            out.push(p);
        }
    }
}

/// `file` as the engine reads it: named by its path below `project`, with Diesel's
/// `metadata.toml` from its folder when there is one.
pub fn source_file(project: &Path, file: &Path) -> SourceFile {
    SourceFile {
        path: file
            .strip_prefix(project)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned(),
        bytes: fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
        metadata: file
            .parent()
            .and_then(|d| fs::read_to_string(d.join("metadata.toml")).ok()),
        format: None,
    }
}
