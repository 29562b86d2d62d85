//! End-to-end behaviour of `sql::analyze` through its public API.

use neon_gitops::sql::{
    analyze, order_key, ExecutionPlan, FileError, LintConfig, MigrationFormat, SourceFile,
    StatementKind,
};

fn file(path: &str, bytes: &[u8]) -> SourceFile {
    SourceFile {
        path: path.into(),
        bytes: bytes.to_vec(),
        metadata: None,
        format: None,
    }
}

#[test]
fn unreadable_files_get_clear_per_file_errors() {
    let cfg = LintConfig::from_input("max-file-size=1KB").unwrap();
    let a = analyze(
        &[
            file("a.sql", b""),
            file("b.sql", b"select '\xff';"),
            file("c.sql", &vec![b' '; 2000]),
            file("d.sql", format!("select 1;{}", " ".repeat(2000)).as_bytes()),
            file("e.sql", b"select 1;"),
            file("f.sql", b"select 1;\n\0\x01\x02"),
        ],
        &cfg,
    );
    let errs: Vec<_> = a.files.iter().map(|f| f.file_error.clone()).collect();
    assert_eq!(errs[0], Some(FileError::Empty));
    assert_eq!(errs[1], Some(FileError::NotUtf8 { offset: 8, line: 1 }));
    assert!(matches!(errs[2], Some(FileError::TooLarge { .. })));
    assert!(matches!(
        errs[3],
        Some(FileError::TooLarge {
            size: 2009,
            max: 1024
        })
    ));
    assert_eq!(errs[4], None);
    assert_eq!(
        errs[5],
        Some(FileError::Binary {
            offset: 10,
            line: 2
        })
    );
    assert!(a.has_errors());
    assert!(errs[1].as_ref().unwrap().to_string().contains("UTF-8"));
    let big = errs[3].as_ref().unwrap().to_string();
    assert!(
        big.contains("2.0 KB (2009 bytes), over the 1.0 KB limit") && big.contains("`lint-rules`"),
        "{big}"
    );
}

#[test]
fn dbmate_spans_are_file_relative_and_down_is_ignored() {
    let sql = "-- migrate:up\nALTER TABLE t DROP COLUMN a;\n\n-- migrate:down\nDROP TABLE t;\n";
    let a = analyze(
        &[file("db/migrations/20240101_x.sql", sql.as_bytes())],
        &LintConfig::default(),
    );
    let f = &a.files[0];
    assert_eq!(f.format, MigrationFormat::Dbmate);
    assert_eq!(f.statements.len(), 1);
    assert_eq!(f.findings.len(), 1);
    assert_eq!(
        (f.findings[0].rule, f.findings[0].span.line),
        ("ban-drop-column", 2)
    );
    assert_eq!(
        &sql[f.statements[0].span.start..f.statements[0].span.end],
        "ALTER TABLE t DROP COLUMN a;"
    );
}

#[test]
fn objects_from_earlier_files_are_new() {
    let a = analyze(
        &[
            file("m/1/migration.sql", b"CREATE TABLE \"User\" (id int);"),
            file("m/2/migration.sql", b"CREATE INDEX u_id ON \"User\" (id);\nALTER TABLE \"User\" ADD COLUMN n text NOT NULL;"),
        ],
        &LintConfig::default(),
    );
    assert!(a.files[1].findings.is_empty(), "{:?}", a.files[1].findings);
    let alone = analyze(&a_file_2(), &LintConfig::default());
    let rules: Vec<_> = alone.files[0].findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        ["require-concurrent-index-creation", "adding-required-field"]
    );
}

fn a_file_2() -> Vec<SourceFile> {
    vec![file(
        "m/2/migration.sql",
        b"CREATE INDEX u_id ON \"User\" (id);\nALTER TABLE \"User\" ADD COLUMN n text NOT NULL;",
    )]
}

#[test]
fn excluded_files_are_validated_but_not_linted() {
    let cfg = LintConfig::from_input("exclude=legacy/**").unwrap();
    let a = analyze(&[file("legacy/1.sql", b"DROP TABLE t;\nselect 'x")], &cfg);
    let f = &a.files[0];
    assert!(f.excluded && f.findings.is_empty());
    assert_eq!(f.errors.len(), 1);
}

#[test]
fn psql_scripts_keep_meta_commands_and_own_transactions() {
    let sql = "\\set ON_ERROR_STOP 1\nBEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\n";
    let a = analyze(
        &[file("admin/sql/CreateTables.sql", sql.as_bytes())],
        &LintConfig::default(),
    );
    let f = &a.files[0];
    assert_eq!(f.plan, Some(ExecutionPlan::RunAsIs));
    assert!(f.needs_psql);
    assert_eq!(f.statements[0].kind, StatementKind::PsqlMeta);
    assert_eq!((f.statement_count, f.parsed_count), (3, 3));
}

#[test]
fn order_keys_sort_like_the_tools() {
    let mut v = ["V10__a.sql", "R__v.sql", "V9__b.sql"];
    v.sort_by_key(|p| order_key(MigrationFormat::Flyway, p));
    assert_eq!(v, ["V9__b.sql", "V10__a.sql", "R__v.sql"]);
}
