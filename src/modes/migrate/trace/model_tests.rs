use super::*;
use crate::sql::{analyze, SourceFile};

fn file(sql: &str) -> crate::sql::FileAnalysis {
    analyze(
        &[SourceFile {
            path: "m/1.sql".into(),
            bytes: sql.as_bytes().to_vec(),
            metadata: None,
            format: None,
        }],
        &Default::default(),
    )
    .files
    .remove(0)
}

fn sites(kinds: &[SiteKind]) -> Vec<Site> {
    kinds.iter().map(|&what| Site { file: 0, what }).collect()
}

const ORDERS_AX_NEW_NODE: &str = r#"[[100,"AccessExclusiveLock",true,"public","orders","r",555,500000,24000000],[101,"AccessExclusiveLock",true,"public","orders_pkey","i",556,500000,1000]]"#;

#[test]
fn a_rewrite_then_a_fast_alter_block_from_the_first_until_commit() {
    let sql = "ALTER TABLE orders ADD COLUMN c int DEFAULT (random()*10)::int;\nALTER TABLE orders ALTER COLUMN c SET DEFAULT 1;\n";
    let fa = file(sql);
    let out = format!(
        "NG_t S [[100,100,500000,24000000],[101,101,500000,1000],[200,200,10,8192]]\nNG_t P 0 1000.5 [[], []]\nNG_t P 1 3000.5 [{ORDERS_AX_NEW_NODE}, []]\nNG_t P 2 3010.5 [{ORDERS_AX_NEW_NODE}, []]\nNG_t P 3 3020.5 [[], []]\n"
    );
    let s = sites(&[
        SiteKind::Start,
        SiteKind::Statement(0),
        SiteKind::Statement(1),
        SiteKind::Commit,
    ]);
    let t = analyse(
        "NG_t",
        &out,
        &s,
        &[FileInfo {
            path: "m/1.sql",
            statements: &fa.statements,
            findings: &fa.findings,
        }],
    );
    assert_eq!(t.statements.len(), 2);
    assert_eq!(t.statements[0].ms, 2000.0);
    assert_eq!(t.statements[0].rewrites, ["orders"]);
    assert_eq!(t.statements[1].locks, []);
    assert_eq!(t.blockers.len(), 1, "{t:#?}");
    let b = &t.blockers[0];
    assert_eq!((b.line, b.table.as_str()), (1, "orders"));
    assert_eq!(b.mode, "ACCESS EXCLUSIVE");
    assert_eq!(b.blocks, Blocks::ReadsAndWrites);
    assert!(b.rewrite);
    assert_eq!(b.window_ms, 2020.0);
    assert!(b.window_ms >= b.statement_ms);
    assert_eq!((b.bytes, b.rows), (Some(24000000), Some(500000)));
    assert_eq!(b.lint, ["adding-field-with-volatile-default"]);
}

#[test]
fn share_blocks_writes_and_weak_locks_and_new_tables_block_nothing() {
    let sql = "CREATE INDEX i ON orders (x);\nCREATE TABLE n (id int);\nCREATE INDEX CONCURRENTLY j ON orders (y);\n";
    let fa = file(sql);
    let out = concat!(
        "NG_t S [[100,100,500000,24000000]]\n",
        "NG_t P 0 0 [[], []]\n",
        r#"NG_t P 1 500 [[[100,"ShareLock",true,"public","orders","r",100,500000,24000000]], []]"#,
        "\nNG_t P 2 510 [[], []]\n",
        r#"NG_t P 3 520 [[], [["public", "n"]]]"#,
        "\nNG_t P 4 530 [[], []]\n",
        "NG_t P 5 900 [[], []]\n",
    );
    let s = sites(&[
        SiteKind::Start,
        SiteKind::Statement(0),
        SiteKind::Commit,
        SiteKind::Statement(1),
        SiteKind::Commit,
        SiteKind::Statement(2),
    ]);
    let t = analyse(
        "NG_t",
        out,
        &s,
        &[FileInfo {
            path: "m/1.sql",
            statements: &fa.statements,
            findings: &fa.findings,
        }],
    );
    assert_eq!(t.blockers.len(), 1, "{t:#?}");
    let b = &t.blockers[0];
    assert_eq!(
        (b.mode.as_str(), b.blocks, b.window_ms),
        ("SHARE", Blocks::Writes, 510.0)
    );
    assert!(!b.rewrite);
    assert_eq!(b.lint, ["require-concurrent-index-creation"]);
    assert_eq!(t.statements[1].created, ["n"]);
    assert_eq!(t.statements[2].ms, 370.0);
    let md = super::super::render::markdown(&t, "the preview branch");
    assert!(
        md.contains("| SHARE | `orders` (24.0 MB, ~500,000 rows) | no | 🟠 writes | 510 ms |"),
        "{md}"
    );
    assert!(
        md.contains("2 other statements block no reads or writes"),
        "{md}"
    );
    assert!(super::super::render::over_limit(&t, 1000, "x").is_none());
    let e = super::super::render::over_limit(&t, 100, "the preview branch").unwrap();
    assert!(
        e.contains("m/1.sql:1 holds SHARE on orders for 510 ms"),
        "{e}"
    );
}

#[test]
fn mode_names_read_like_the_docs() {
    assert_eq!(mode_name("AccessExclusiveLock"), "ACCESS EXCLUSIVE");
    assert_eq!(mode_name("ShareRowExclusiveLock"), "SHARE ROW EXCLUSIVE");
    assert_eq!(Blocks::of("ShareUpdateExclusiveLock"), Blocks::Nothing);
}
