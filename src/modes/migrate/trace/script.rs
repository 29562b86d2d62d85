//! The traced form of a file in the apply script. Each statement goes to the server on
//! its own and is followed by a probe: one query printing the clock and the relation
//! locks this backend holds, with each relation's file node, size and row estimate. The
//! statements run exactly as in the untraced script (same transactions), with one
//! exception: in a statement-by-statement file each transactional statement is wrapped
//! in BEGIN … COMMIT of its own, which is what autocommit does anyway, so that its
//! locks are still held when the probe looks.

use super::{Site, SiteKind};
use crate::modes::migrate::psql::{
    needs_terminator, single_transaction, verbatim, Block, ScriptFile, ScriptSettings, Terminators,
    Writer, ELAPSED, ELAPSED_TX,
};
use crate::sql::{ExecutionPlan, Statement, StatementKind};

/// Relations of the user's schemas, excluding the catalogs and TOAST.
const USER_RELATION: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

// jsonb: its text form is one line (json_agg puts a newline between elements, and the
// runner reads psql's output line by line). Oids are cast to bigint: JSON has them as
// strings otherwise.

/// Before any file: every user relation's file node, row estimate and size, so the first
/// probe that sees a relation can tell a rewrite (new file node) and its size before.
pub(in crate::modes::migrate) fn snapshot(w: &mut Writer, marker: &str) {
    w.line(&format!(
        "SELECT '{marker} S ' || coalesce(jsonb_agg(jsonb_build_array(c.oid::bigint, c.relfilenode::bigint, c.reltuples::bigint, pg_relation_size(c.oid)))::text, '[]') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm', 'i', 'p') AND {USER_RELATION};"
    ));
}

/// The probe printed after a statement: `<marker> P <site> <epoch ms> <locks as JSON>`,
/// each lock `[oid, mode, granted, schema, name, relkind, filenode, rows, bytes]` (the
/// pg_class fields null when the relation was dropped).
fn probe(w: &mut Writer, sites: &mut Vec<Site>, marker: &str, site: Site) {
    let n = sites.len();
    sites.push(site);
    w.line(&format!(
        "SELECT '{marker} P {n} ' || round(extract(epoch FROM clock_timestamp()) * 1000, 3) || ' ' || coalesce((SELECT jsonb_agg(jsonb_build_array(l.relation::bigint, l.mode, l.granted, n.nspname, c.relname, c.relkind, c.relfilenode::bigint, c.reltuples::bigint, CASE WHEN c.relkind IN ('r', 'm', 'i') THEN pg_relation_size(c.oid) END))::text FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND (c.oid IS NULL OR {USER_RELATION})), '[]');"
    ));
}

/// Statements that cannot run in a transaction block (CONCURRENTLY, VACUUM, …): sent on
/// their own, as in the untraced script.
fn non_transactional(s: &Statement) -> bool {
    let upper = s.text.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .take(4)
        .collect();
    let first = words.first().copied().unwrap_or("");
    words.contains(&"CONCURRENTLY")
        || upper.contains(" CONCURRENTLY")
        || first == "VACUUM"
        || (matches!(first, "CREATE" | "DROP" | "ALTER")
            && matches!(words.get(1), Some(&"DATABASE" | &"SYSTEM" | &"TABLESPACE")))
}

fn in_region<'a>(f: &'a ScriptFile) -> impl Iterator<Item = (usize, &'a Statement)> {
    f.statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.span.start >= f.start && s.span.end <= f.end)
}

/// Plain SQL statements only, each exactly its span of the file: a file with psql
/// meta-commands or COPY data runs untraced (psql must read it as written).
pub fn traceable(f: &ScriptFile) -> bool {
    let mut any = false;
    for (_, s) in in_region(f) {
        any = true;
        if s.kind != StatementKind::Sql
            || s.span.end <= s.span.start
            || f.text.get(s.span.start..s.span.end) != Some(s.text.as_str())
            || s.text.to_ascii_uppercase().contains("FROM STDIN")
        {
            return false;
        }
    }
    any
}

/// The file, traced: `START` has been echoed; the caller echoes `DONE … :ng_ms`.
pub(in crate::modes::migrate) fn emit(
    w: &mut Writer,
    blocks: &mut Vec<Block>,
    sites: &mut Vec<Site>,
    i: usize,
    f: &ScriptFile,
    s: &ScriptSettings,
) {
    let m = &s.marker;
    let single = single_transaction(f.statements);
    let one_tx = f.plan == ExecutionPlan::WrapInTransaction
        || (f.plan == ExecutionPlan::RunAsIs && single.is_some());
    let insert = format!(
        "\\set ON_ERROR_STOP 1\n{} RETURNING execution_ms AS ng_ms \\gset",
        s.tracking
            .insert_sql(&f.row, if one_tx { ELAPSED_TX } else { ELAPSED })
            .trim_end_matches(';')
    );
    let site = |what| Site { file: i, what };
    w.line("SELECT clock_timestamp() AS ng_t0 \\gset");
    probe(w, sites, m, site(SiteKind::Start));
    let statements: Vec<(usize, &Statement)> = in_region(f).collect();
    let last = statements.len().saturating_sub(1);
    let send = |w: &mut Writer, blocks: &mut Vec<Block>, k: usize, st: &Statement| {
        verbatim(
            w,
            blocks,
            i,
            f,
            (st.span.start, st.span.end),
            Terminators::AsWritten,
        );
        if k == last && needs_terminator(f.statements) {
            w.line(";");
        }
    };
    match (f.plan, single) {
        (ExecutionPlan::WrapInTransaction, _) => {
            w.line("BEGIN;");
            for (k, &(n, st)) in statements.iter().enumerate() {
                send(w, blocks, k, st);
                probe(w, sites, m, site(SiteKind::Statement(n)));
            }
            w.line(&insert);
            w.line("COMMIT;");
            probe(w, sites, m, site(SiteKind::Commit));
        }
        (ExecutionPlan::RunAsIs, Some(commit)) => {
            for (k, &(n, st)) in statements.iter().enumerate() {
                if n == commit {
                    w.line(&insert);
                }
                send(w, blocks, k, st);
                probe(w, sites, m, site(SiteKind::Statement(n)));
            }
        }
        (plan, _) => {
            for (k, &(n, st)) in statements.iter().enumerate() {
                // Autocommit runs each statement in a transaction of its own; an explicit
                // one keeps its locks visible to the probe until the COMMIT.
                let wrap = plan == ExecutionPlan::StatementByStatement && !non_transactional(st);
                if wrap {
                    w.line("BEGIN;");
                }
                send(w, blocks, k, st);
                probe(w, sites, m, site(SiteKind::Statement(n)));
                if wrap {
                    w.line("COMMIT;");
                    probe(w, sites, m, site(SiteKind::Commit));
                }
            }
            w.line(&insert);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modes::migrate::psql::{build, map_line};
    use crate::modes::migrate::tracking::{Row, TrackingTable};
    use crate::sql::{analyze, SourceFile};

    fn statements(sql: &str) -> Vec<Statement> {
        analyze(
            &[SourceFile {
                path: "m/1.sql".into(),
                bytes: sql.as_bytes().to_vec(),
                metadata: None,
                format: None,
            }],
            &Default::default(),
        )
        .files[0]
            .statements
            .clone()
    }

    fn script(text: &str, plan: ExecutionPlan) -> crate::modes::migrate::psql::Script {
        let st = statements(text);
        let t = TrackingTable::parse("public.t").unwrap();
        let files = [ScriptFile {
            text,
            start: 0,
            end: text.len(),
            plan,
            statements: &st,
            row: Row {
                version: "1.sql".into(),
                checksum: "c".into(),
                applied_by: "s".into(),
                run_url: "u".into(),
                status: "applied",
                prisma: None,
            },
            one_query: true,
        }];
        build(
            &files,
            &ScriptSettings {
                tracking: &t,
                lock_timeout_ms: 5000,
                create_table: false,
                expected_fingerprint: "x",
                baseline: vec![],
                marker: "NG_t".into(),
                trace: true,
            },
        )
    }

    #[test]
    fn a_transactional_file_is_probed_after_each_statement_and_its_commit() {
        let text = "alter table a add column c int;\n-- fast\nalter table a alter column c set default 1;\n";
        let s = script(text, ExecutionPlan::WrapInTransaction);
        assert_eq!(
            s.sites.iter().map(|x| x.what).collect::<Vec<_>>(),
            [
                SiteKind::Start,
                SiteKind::Statement(0),
                SiteKind::Statement(1),
                SiteKind::Commit
            ]
        );
        assert!(s.text.contains("NG_t S "), "{}", s.text);
        assert!(!s.text.contains("\\;"), "traced files are never one query");
        let lines: Vec<&str> = s.text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("set default 1"))
            .unwrap() as u32
            + 1;
        assert_eq!(map_line(&s.blocks, at), Some((0, 3)));
        let begin = s.text.find("BEGIN;").unwrap();
        let commit = s.text.find("COMMIT;").unwrap();
        assert!(begin < s.text.find("add column c").unwrap() && commit > begin);
    }

    #[test]
    fn statement_by_statement_wraps_what_may_run_in_a_transaction() {
        let text = "create index concurrently i on a (x);\ncreate index j on a (y);\n";
        let s = script(text, ExecutionPlan::StatementByStatement);
        let cic = s.text.find("concurrently").unwrap();
        let plain = s.text.find("create index j").unwrap();
        let begin = s.text.find("BEGIN;").unwrap();
        assert!(cic < begin && begin < plain, "{}", s.text);
        assert_eq!(s.sites.len(), 4);
    }

    #[test]
    fn files_psql_must_read_as_written_are_not_traced() {
        let text = "\\set x 1\nselect :x;\n";
        let s = script(text, ExecutionPlan::WrapInTransaction);
        assert!(s.sites.is_empty());
    }
}
