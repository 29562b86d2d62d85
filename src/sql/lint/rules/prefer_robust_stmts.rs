//! prefer-robust-stmts (off by default)

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "prefer-robust-stmts",
    default: Severity::Off,
    why: "Outside a transaction a migration that fails halfway must be re-run; statements without IF [NOT] EXISTS then fail on what the first attempt already did.",
    help: "Use CREATE … IF NOT EXISTS, DROP … IF EXISTS, ADD COLUMN IF NOT EXISTS, DROP COLUMN IF EXISTS.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    // Inside a transaction a failure rolls everything back: re-running is safe.
    if s.in_tx {
        return;
    }
    let v = &s.view;
    let ix = v.skip(1, &[&["UNIQUE"]]);
    let create_table = v.is(0, "CREATE") && v.is(v.skip(1, &[&["UNLOGGED"]]), "TABLE");
    let create_index = v.is(0, "CREATE") && v.is(ix, "INDEX");
    let bad = if create_table || create_index {
        !v.has("EXISTS")
    } else if v.starts(&["DROP", "TABLE"]) || v.starts(&["DROP", "INDEX"]) {
        v.find_seq(2, &["IF", "EXISTS"]).is_none()
    } else {
        actions(v).iter().any(|a| {
            let (x, y) = a.range;
            let guarded = (x..y)
                .any(|i| v.seq_at(i, &["IF", "EXISTS"]) || v.seq_at(i, &["IF", "NOT", "EXISTS"]));
            matches!(a.action, Action::AddColumn(_) | Action::DropColumn) && !guarded
        })
    };
    if bad {
        out.push(Hit {
            stmt: s.index,
            span: v.span(0, 1),
            message: "not idempotent: re-running after a partial failure will fail here; add IF [NOT] EXISTS".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "CREATE INDEX CONCURRENTLY i ON t (a);");
        fires(
            &RULE,
            "CREATE INDEX CONCURRENTLY i ON t (a); ALTER TABLE t ADD COLUMN b int;",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);");
        quiet(&RULE, "CREATE TABLE t (a int);");
    }
}
