//! Print the split statements of the given files as JSON:
//! `[{path, format, statements: [{kind, text, line, col}]}]`.
//! A harness feeds them one by one to psql to prove the split agrees with
//! Postgres. Paths are used as given for format detection (dbmate files are
//! reduced to their UP section; Diesel's metadata.toml is read if present).
//!
//! cargo run --example split_json -- path/to/a.sql [more.sql …]

use std::path::Path;

use neon_gitops::sql::{analyze, LintConfig, SourceFile};
use serde::Serialize;

#[derive(Serialize)]
struct Out<'a> {
    kind: neon_gitops::sql::StatementKind,
    text: &'a str,
    line: u32,
    col: u32,
}

fn main() {
    let mut files = Vec::new();
    for p in std::env::args().skip(1) {
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let metadata = Path::new(&p)
            .parent()
            .and_then(|d| std::fs::read_to_string(d.join("metadata.toml")).ok());
        files.push(SourceFile {
            path: p,
            bytes,
            metadata,
            format: None,
        });
    }
    let a = analyze(&files, &LintConfig::default());
    let out: Vec<serde_json::Value> = a
        .files
        .iter()
        .map(|f| {
            let statements: Vec<Out> = f
                .statements
                .iter()
                .map(|s| Out {
                    kind: s.kind,
                    text: &s.text,
                    line: s.span.line,
                    col: s.span.col,
                })
                .collect();
            serde_json::json!({
                "path": f.path,
                "format": f.format,
                "plan": f.plan,
                "file_error": f.file_error.as_ref().map(|e| e.to_string()),
                "errors": f.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                "statements": statements,
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
