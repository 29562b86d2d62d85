//! require-concurrent-partition-detach (squawk's id)

use crate::sql::lint::alter::actions;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "require-concurrent-partition-detach",
    default: Severity::Warning,
    why: "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the partitioned table, blocking reads and writes.",
    help: "Use ALTER TABLE … DETACH PARTITION … CONCURRENTLY (PG 14+, outside a transaction block).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    let v = &s.view;
    for a in actions(v) {
        let (x, y) = a.range;
        // FINALIZE completes an interrupted concurrent detach: also non-blocking.
        let concurrent = (x..y).any(|i| v.is(i, "CONCURRENTLY") || v.is(i, "FINALIZE"));
        if v.seq_at(x, &["DETACH", "PARTITION"]) && !concurrent {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message:
                    "DETACH PARTITION without CONCURRENTLY blocks reads and writes on the table"
                        .into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "ALTER TABLE t DETACH PARTITION p;");
        fires(&RULE, "alter table if exists only s.t detach partition s.p");
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE t DETACH PARTITION p CONCURRENTLY;");
        quiet(&RULE, "ALTER TABLE t DETACH PARTITION p FINALIZE;");
        quiet(
            &RULE,
            "CREATE TABLE t (a int) PARTITION BY LIST (a); ALTER TABLE t DETACH PARTITION p;",
        );
    }
}
