//! The traced form of a file in the apply script. Each statement goes to the server on
//! its own and is followed by a probe: one query printing the clock and the relation
//! locks this backend holds, with each relation's file node, size and row estimate. The
//! statements run exactly as in the untraced script (same transactions), with one
//! exception: in a statement-by-statement file each transactional statement is wrapped
//! in BEGIN … COMMIT of its own, which is what autocommit does anyway, so that its
//! locks are still held when the probe looks.

use super::{Site, SiteKind};
use crate::modes::migrate::psql::{
    needs_terminator, one_query_eligible, single_transaction, verbatim, Block, Query, ScriptFile,
    ScriptSettings, Terminators, Writer, ELAPSED, ELAPSED_TX,
};
use crate::sql::{ExecutionPlan, Statement, StatementKind};

/// Relations of the user's schemas, excluding the catalogs and TOAST.
const USER_RELATION: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

// jsonb: its text form is one line (json_agg puts a newline between elements, and the
// runner reads psql's output line by line). Oids are cast to bigint: JSON has them as
// strings otherwise.

/// Before any file: every user relation's file node, row estimate and size, so a probe
/// can tell a rewrite (new file node) and the size before; and the highest relation oid,
/// which splits what existed before the run (whose locks block the application) from
/// what the run creates (invisible to it until COMMIT, and new on a preview branch).
pub(in crate::modes::migrate) fn snapshot(w: &mut Writer, marker: &str) {
    w.line(&format!(
        "SELECT '{marker} S ' || coalesce(jsonb_agg(jsonb_build_array(c.oid::bigint, c.relfilenode::bigint, c.reltuples::bigint, pg_relation_size(c.oid)))::text, '[]') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm', 'i', 'p') AND {USER_RELATION};"
    ));
    w.line("SELECT max(oid) AS ng_maxoid, set_config('ng.maxoid', max(oid)::text, false) AS ng_seen FROM pg_class \\gset");
    prepare_probe(w, marker);
}

/// The probe, prepared once per session (planning it costs more than running it), printed
/// after each statement: `<marker> P <site> <epoch ms> [<locks>, <created>]`, each lock
/// `[oid, mode, granted, schema, name, relkind, filenode, rows, bytes]` (the pg_class
/// fields null once the relation is dropped), each created relation `[schema, name]`.
///
/// Locks are listed on relations that existed before the run only, and relations created
/// since the previous probe are found by oid (above the highest seen, kept in a session
/// setting) through pg_class's index: a file creating a hundred tables holds hundreds of
/// locks until its COMMIT, and listing them after every statement made tracing quadratic.
/// Catalogs (oid < 16384) and TOAST are left out. A file's RESET ALL empties the setting:
/// the snapshot's oid stands in.
fn prepare_probe(w: &mut Writer, marker: &str) {
    w.line(&format!(
        "PREPARE ng_probe(int) AS SELECT '{marker} P ' || $1 || ' ' || round(extract(epoch FROM clock_timestamp()) * 1000, 3) || ' ' || jsonb_build_array(coalesce((SELECT jsonb_agg(jsonb_build_array(l.relation::bigint, l.mode, l.granted, n.nspname, c.relname, c.relkind, c.relfilenode::bigint, c.reltuples::bigint, CASE WHEN c.relkind IN ('r', 'm') THEN pg_relation_size(c.oid) END)) FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.relation >= 16384 AND l.relation <= :ng_maxoid AND l.database <> 0 AND coalesce(c.relkind, 'r') <> 't'), '[]'), coalesce((SELECT jsonb_agg(jsonb_build_array(n.nspname, c.relname)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid > coalesce(nullif(current_setting('ng.maxoid', true), '')::oid, :ng_maxoid) AND c.relkind IN ('r', 'p', 'm', 'v', 'i', 'S', 'f') AND {USER_RELATION}), '[]'))::text || left(set_config('ng.maxoid', (SELECT max(oid) FROM pg_class)::text, false), 0);",
    ));
}

fn probe_ending(w: &mut Writer, sites: &mut Vec<Site>, site: Site, end: &str) {
    let n = sites.len();
    sites.push(site);
    w.line(&format!("EXECUTE ng_probe({n}){end}"));
}

fn probe(w: &mut Writer, sites: &mut Vec<Site>, site: Site) {
    probe_ending(w, sites, site, ";");
}

/// Statements that cannot run in a transaction block (CONCURRENTLY, VACUUM, …): sent on
/// their own, as in the untraced script.
pub(super) fn non_transactional(s: &Statement) -> bool {
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

/// DISCARD ALL / DEALLOCATE would drop the prepared probe mid-run.
fn drops_probe(s: &Statement) -> bool {
    let upper = s.text.trim_start().to_ascii_uppercase();
    upper.starts_with("DISCARD") || upper.starts_with("DEALLOCATE")
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
            || drops_probe(s)
        {
            return false;
        }
    }
    any
}

/// A transactional file as one query, probes chained between its statements: one round
/// trip, like the untraced one-query form, and each probe reads the server's clock, so
/// the statements' times carry no network latency. Errors map back like any one-query
/// file's (and a failure that names no line re-runs the file the precise way).
fn emit_chained(
    w: &mut Writer,
    blocks: &mut Vec<Block>,
    sites: &mut Vec<Site>,
    i: usize,
    f: &ScriptFile,
    s: &ScriptSettings,
) -> Query {
    let single = single_transaction(f.statements);
    let insert = format!(
        "{} \\;",
        s.tracking
            .insert_sql(&f.row, ELAPSED_TX)
            .trim_end_matches(';')
    );
    let site = |what| Site { file: i, what };
    let first_line = w.line;
    let wrap = f.plan == ExecutionPlan::WrapInTransaction;
    if wrap {
        w.line("BEGIN \\;");
    }
    probe_ending(w, sites, site(SiteKind::Start), " \\;");
    let statements: Vec<(usize, &Statement)> = in_region(f).collect();
    let last = statements.len().saturating_sub(1);
    for (k, &(n, st)) in statements.iter().enumerate() {
        if !wrap && Some(n) == single {
            w.line(&insert);
        }
        verbatim(
            w,
            blocks,
            i,
            f,
            (st.span.start, st.span.end),
            Terminators::Chained,
        );
        let end = if k == last && !wrap { ";" } else { " \\;" };
        probe_ending(w, sites, site(SiteKind::Statement(n)), end);
    }
    if wrap {
        w.line(&insert);
        w.line("COMMIT \\;");
        probe_ending(w, sites, site(SiteKind::Commit), ";");
    }
    Query {
        file: i,
        first_line,
        last_line: w.line - 1,
    }
}

/// The file, traced: `START` has been echoed; the caller echoes `DONE`, with `:ng_ms`
/// unless the file went as one query (returned: its time is read at the end).
pub(in crate::modes::migrate) fn emit(
    w: &mut Writer,
    blocks: &mut Vec<Block>,
    sites: &mut Vec<Site>,
    i: usize,
    f: &ScriptFile,
    s: &ScriptSettings,
) -> Option<Query> {
    if s.show_all_results && f.one_query && one_query_eligible(f.text, f.plan, f.statements) {
        return Some(emit_chained(w, blocks, sites, i, f, s));
    }
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
    probe(w, sites, site(SiteKind::Start));
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
                probe(w, sites, site(SiteKind::Statement(n)));
            }
            w.line(&insert);
            w.line("COMMIT;");
            probe(w, sites, site(SiteKind::Commit));
        }
        (ExecutionPlan::RunAsIs, Some(commit)) => {
            for (k, &(n, st)) in statements.iter().enumerate() {
                if n == commit {
                    w.line(&insert);
                }
                send(w, blocks, k, st);
                probe(w, sites, site(SiteKind::Statement(n)));
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
                probe(w, sites, site(SiteKind::Statement(n)));
                if wrap {
                    w.line("COMMIT;");
                    probe(w, sites, site(SiteKind::Commit));
                }
            }
            w.line(&insert);
        }
    }
    None
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
        script_with(text, plan, false)
    }

    fn script_with(
        text: &str,
        plan: ExecutionPlan,
        show_all_results: bool,
    ) -> crate::modes::migrate::psql::Script {
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
                show_all_results,
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
    fn with_psql_15_a_transactional_file_is_one_query_probes_included() {
        let text = "alter table a add column c int;\nalter table a alter column c set default 1;\n";
        let s = script_with(text, ExecutionPlan::WrapInTransaction, true);
        assert_eq!(s.sites.len(), 4);
        let q = &s.queries[0];
        let lines: Vec<&str> = s.text.lines().collect();
        assert_eq!(lines[q.first_line as usize - 1], "BEGIN \\;");
        assert_eq!(lines[q.last_line as usize - 1], "EXECUTE ng_probe(3);");
        assert!(lines[q.last_line as usize - 2] == "COMMIT \\;");
        // Every line of the query but the last is chained.
        for l in &lines[q.first_line as usize - 1..q.last_line as usize - 1] {
            assert!(l.ends_with("\\;"), "{l}");
        }
        assert!(s.text.contains("\\echo NG_t DONE 0\n"), "{}", s.text);
        assert!(s.text.contains("SELECT 'NG_t MS '"), "{}", s.text);
        // BEGIN, probe, statement, probe: the server's LINE 5 is the file's line 2.
        assert_eq!(map_line(&s.blocks, q.first_line + 5 - 1), Some((0, 2)));
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
        let s = script(
            "select 1;\ndiscard all;\n",
            ExecutionPlan::WrapInTransaction,
        );
        assert!(s.sites.is_empty());
    }
}
