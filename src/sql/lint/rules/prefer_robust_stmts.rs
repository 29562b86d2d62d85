//! prefer-robust-stmts (off by default)
//!
//! Mirrors squawk's rule: outside a transaction, every statement must be safe
//! to run a second time after a partial failure. squawk's examples decide the
//! details: ALTER TABLE actions other than guarded ADD/DROP COLUMN and DROP
//! CONSTRAINT are flagged (ENABLE ROW LEVEL SECURITY, SET NOT NULL, … even
//! with `ALTER TABLE IF EXISTS`, even on a table created in the same file),
//! except ADD CONSTRAINT right after a guarded DROP CONSTRAINT of the same
//! name and VALIDATE of a constraint that file dropped or added;
//! CREATE TEMP TABLE is flagged unless ON COMMIT DROP.

use std::collections::HashMap;

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::rules::require_lock_timeout::create_table_as;
use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity, StmtInfo};
use crate::sql::words::View;
use crate::sql::Span;

pub static RULE: Rule = Rule {
    id: "prefer-robust-stmts",
    default: Severity::Off,
    why: "Outside a transaction a migration that fails halfway must be re-run; statements without IF [NOT] EXISTS then fail on what the first attempt already did.",
    help: "Use CREATE … IF NOT EXISTS, DROP … IF EXISTS, ADD COLUMN IF NOT EXISTS, DROP COLUMN / CONSTRAINT IF EXISTS, or run the file in a transaction.",
    check: Check::File(check),
};

#[derive(PartialEq)]
enum Seen {
    Dropped,
    Added,
}

const IF_NOT_EXISTS: &str =
    "missing IF NOT EXISTS: re-running after a partial failure will fail here";
const IF_EXISTS: &str = "missing IF EXISTS: re-running after a partial failure will fail here";
const NO_TX: &str =
    "not in a transaction: re-running after a partial failure may fail or repeat this change";

fn guarded(v: &View, (x, y): (usize, usize)) -> bool {
    (x..y).any(|i| v.seq_at(i, &["IF", "EXISTS"]) || v.seq_at(i, &["IF", "NOT", "EXISTS"]))
}

/// The constraint named after `kw` (CONSTRAINT) within an action.
fn constraint_name(v: &View, (x, y): (usize, usize)) -> Option<String> {
    let i = (x..y).find(|&i| v.is(i, "CONSTRAINT"))?;
    let i = v.skip(i + 1, &[&["IF", "EXISTS"]]);
    Some(v.name_at(i)?.0.name)
}

fn alter_table(
    s: &StmtInfo,
    seen: &mut HashMap<String, Seen>,
    out: &mut Vec<(Option<Span>, &'static str)>,
) {
    let v = &s.view;
    for a in actions(v) {
        let name = constraint_name(v, a.range);
        let problem = match a.action {
            Action::DropConstraint => {
                if let Some(n) = name {
                    seen.insert(n, Seen::Dropped);
                }
                (!guarded(v, a.range)).then_some(IF_EXISTS)
            }
            Action::AddColumn(_) => (!guarded(v, a.range)).then_some(IF_NOT_EXISTS),
            Action::DropColumn => (!guarded(v, a.range)).then_some(IF_EXISTS),
            Action::ValidateConstraint => {
                (!name.is_some_and(|n| seen.contains_key(&n))).then_some(NO_TX)
            }
            Action::AddConstraint { .. } => match name.and_then(|n| seen.get_mut(&n)) {
                Some(st) if *st == Seen::Dropped => {
                    *st = Seen::Added;
                    None
                }
                _ => Some(NO_TX),
            },
            _ => Some(NO_TX),
        };
        if let Some(p) = problem {
            out.push((a.span, p));
        }
    }
}

fn stmt_problem(s: &StmtInfo) -> Option<&'static str> {
    let v = &s.view;
    let exists = || v.find_seq(2, &["IF", "EXISTS"]).is_some();
    let not_exists = || v.find_seq(2, &["IF", "NOT", "EXISTS"]).is_some();
    let ix = v.skip(1, &[&["UNIQUE"]]);
    if v.is(0, "CREATE") && v.is(ix, "INDEX") {
        let concurrently = v.is(ix + 1, "CONCURRENTLY");
        let at = if concurrently { ix + 2 } else { ix + 1 };
        // An unnamed index gets a fresh name on each run: nothing to guard.
        let unnamed = v.is(at, "ON");
        return (!not_exists() && !unnamed).then_some(IF_NOT_EXISTS);
    }
    let opts: &[&[&str]] = &[
        &["GLOBAL"],
        &["LOCAL"],
        &["TEMP"],
        &["TEMPORARY"],
        &["UNLOGGED"],
    ];
    let t = v.skip(1, opts);
    if v.is(0, "CREATE") && v.is(t, "TABLE") && !create_table_as(v) {
        let temp = (1..t).any(|i| v.is(i, "TEMP") || v.is(i, "TEMPORARY"));
        // A temporary table dropped at commit cannot survive a failed run.
        let gone_at_commit = temp && v.find_seq(t, &["ON", "COMMIT", "DROP"]).is_some();
        return (!not_exists() && !gone_at_commit).then_some(IF_NOT_EXISTS);
    }
    let drop =
        v.starts(&["DROP", "TABLE"]) || v.starts(&["DROP", "INDEX"]) || v.starts(&["DROP", "TYPE"]);
    (drop && !exists()).then_some(IF_EXISTS)
}

fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    // Constraint names dropped / re-added so far in the file (squawk's
    // drop-then-add idiom), tracked inside transactions too.
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for s in f.stmts {
        let mut found = Vec::new();
        if s.view.starts(&["ALTER", "TABLE"]) {
            alter_table(s, &mut seen, &mut found);
        } else if let Some(p) = stmt_problem(s) {
            found.push((s.view.span(0, 1), p));
        }
        // Inside a transaction a failure rolls everything back: re-running is safe.
        if s.in_tx {
            continue;
        }
        out.extend(found.into_iter().map(|(span, message)| Hit {
            stmt: s.index,
            span,
            message: message.into(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{findings, fires, quiet};

    /// Statements run one by one, as squawk assumes by default: a VACUUM
    /// keeps the runner from wrapping the file in a transaction.
    fn no_tx(sql: &str) -> Vec<String> {
        findings(&RULE, &format!("{sql}\nVACUUM t;"))
    }

    #[test]
    fn bad() {
        fires(&RULE, "CREATE INDEX CONCURRENTLY i ON t (a);");
        fires(
            &RULE,
            "CREATE INDEX CONCURRENTLY i ON t (a); ALTER TABLE t ADD COLUMN b int;",
        );
        // squawk's examples (a statement-by-statement file, outside a transaction).
        for sql in [
            r#"CREATE TABLE "foo_tbl" ("id" serial NOT NULL PRIMARY KEY);"#,
            r#"ALTER TABLE "app_user" ADD COLUMN "email" integer NULL;"#,
            r#"DROP TABLE "foo_tbl";"#,
            r#"ALTER TABLE "app_user" DROP COLUMN "col_name";"#,
            r#"ALTER TABLE "foo_tbl" DROP CONSTRAINT "foo_constraint";"#,
            r#"DROP INDEX "foo_idx";"#,
            "DROP TYPE foo;",
            "CREATE TABLE IF NOT EXISTS test();\nALTER TABLE IF EXISTS test ENABLE ROW LEVEL SECURITY;",
            "CREATE TABLE IF NOT EXISTS test();\nALTER TABLE test DISABLE ROW LEVEL SECURITY;",
            "alter table t alter column c set not null;",
            "CREATE TEMP TABLE test_table (id int);",
            "ALTER TABLE \"app_email\" DROP CONSTRAINT IF EXISTS \"email_uniq\";\nALTER TABLE \"app_email\" ADD CONSTRAINT \"email_uniq\" UNIQUE USING INDEX \"email_idx\";\nALTER TABLE \"app_email\" ADD CONSTRAINT \"email_uniq\" UNIQUE USING INDEX \"email_idx\";",
        ] {
            assert!(
                !no_tx(sql).is_empty(),
                "should fire: {sql}"
            );
        }
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);");
        quiet(&RULE, "CREATE TABLE t (a int);");
        for sql in [
            r#"CREATE TABLE IF NOT EXISTS "foo_tbl" ("id" serial NOT NULL PRIMARY KEY);"#,
            r#"ALTER TABLE "app_user" ADD COLUMN IF NOT EXISTS "email" integer NULL;"#,
            r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "email_idx" ON "app_user" ("email");"#,
            r#"CREATE INDEX CONCURRENTLY ON "app_user" ("email");"#,
            r#"DROP TABLE IF EXISTS "foo_tbl";"#,
            r#"ALTER TABLE "app_user" DROP COLUMN IF EXISTS "col_name";"#,
            r#"ALTER TABLE "foo_tbl" DROP CONSTRAINT IF EXISTS "foo_constraint";"#,
            r#"DROP INDEX IF EXISTS "foo_idx";"#,
            "CREATE TEMP TABLE test_table (id int) ON COMMIT DROP;",
            "ALTER TABLE \"app_email\" DROP CONSTRAINT IF EXISTS \"fk_user\";\nALTER TABLE \"app_email\" ADD CONSTRAINT \"fk_user\" FOREIGN KEY (\"user_id\") REFERENCES \"app_user\" (\"id\") NOT VALID;\nALTER TABLE \"app_email\" VALIDATE CONSTRAINT \"fk_user\";",
            "CREATE TABLE t2 AS SELECT 1;",
        ] {
            let f = no_tx(sql);
            assert!(f.is_empty(), "should not fire: {sql}\n{f:?}");
        }
        quiet(
            &RULE,
            "BEGIN;\nDROP INDEX i;\nDROP TABLE t;\nDROP TYPE foo;\nCOMMIT;",
        );
    }
}
