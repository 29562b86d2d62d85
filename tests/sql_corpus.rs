//! The shared corpus of real migrations (../shared/corpus, see its
//! MANIFEST.md): every .sql file splits without a crash, and no file Postgres
//! 15 applies (order.txt / order.bootstrap.txt) gets a validation error.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use neon_gitops::sql::{analyze, LintConfig, SourceFile};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.is_dir().then_some(p)
}

fn source(project: &Path, rel: &str) -> SourceFile {
    common::corpus::source_file(project, &project.join(rel))
}

#[test]
fn every_corpus_file_splits() {
    let Some(root) = corpus() else {
        eprintln!("skip: ../shared/corpus not found");
        return;
    };
    let files = common::corpus::sql_files(&root);
    assert!(
        files.len() > 1000,
        "corpus looks incomplete: {}",
        files.len()
    );
    let cfg = LintConfig::default();
    let mut statements = 0;
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().to_string();
        let a = analyze(
            &[SourceFile {
                path: rel,
                bytes: fs::read(f).unwrap(),
                metadata: None,
                format: None,
            }],
            &cfg,
        );
        let fa = &a.files[0];
        // Spans are exact: each statement's text starts at its span.
        let text = String::from_utf8_lossy(&fs::read(f).unwrap()).to_string();
        for s in &fa.statements {
            assert!(text[s.span.start..s.span.end].starts_with(&s.text[..s.text.len().min(20)]));
        }
        statements += fa.statement_count;
    }
    eprintln!("{} files, {statements} statements", files.len());
}

#[test]
fn applied_files_have_no_validation_errors() {
    let Some(root) = corpus() else {
        eprintln!("skip: ../shared/corpus not found");
        return;
    };
    let cfg = LintConfig::default();
    let mut checked = 0;
    let mut projects: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    for project in projects {
        let mut order: Vec<String> = Vec::new();
        for list in ["order.txt", "order.bootstrap.txt"] {
            if let Ok(t) = fs::read_to_string(project.join(list)) {
                order.extend(
                    t.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from),
                );
            }
        }
        order.dedup();
        let files: Vec<SourceFile> = order.iter().map(|rel| source(&project, rel)).collect();
        // One run per project, in apply order, as migrate mode would do.
        let a = analyze(&files, &cfg);
        for f in &a.files {
            assert!(
                f.file_error.is_none(),
                "{}/{}: {:?}",
                project.display(),
                f.path,
                f.file_error
            );
            assert!(
                f.errors.is_empty(),
                "{}/{}: {:?}",
                project.display(),
                f.path,
                f.errors
            );
            assert!(f.plan.is_some());
            checked += 1;
        }
    }
    eprintln!("{checked} applied files checked");
}
