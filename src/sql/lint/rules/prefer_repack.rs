//! prefer-repack (squawk's id): VACUUM FULL and CLUSTER.

use crate::sql::lint::rules::require_concurrent_reindex::option_false;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};
use crate::sql::words::View;

pub static RULE: Rule = Rule {
    id: "prefer-repack",
    default: Severity::Warning,
    why: "VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock, blocking reads and writes until they finish.",
    help: "On PG 19+ use REPACK (CONCURRENTLY) t [USING INDEX i]; before that, the pg_repack extension rewrites a table online.",
    check: Check::Stmt(check),
};

/// `VACUUM FULL …` or `VACUUM (…, FULL [true], …) …`.
pub fn vacuum_full(v: &View) -> bool {
    v.is(0, "VACUUM") && (1..v.len()).any(|i| v.is(i, "FULL") && !option_false(v, i + 1))
}

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    let what = if vacuum_full(v) {
        "VACUUM FULL"
    } else if v.is(0, "CLUSTER") {
        "CLUSTER"
    } else {
        return;
    };
    // Unlike squawk (which stays quiet below PG 19, where REPACK does not
    // exist), flag on every version: pg_repack is the answer before 19.
    out.push(Hit {
        stmt: s.index,
        span: v.span(0, v.len()),
        message: format!("{what} holds an ACCESS EXCLUSIVE lock while it rewrites the table: prefer REPACK (CONCURRENTLY) or pg_repack"),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "vacuum full t;");
        fires(&RULE, "cluster t using t_pkey;");
        fires(&RULE, "VACUUM (FULL) foo;");
        fires(&RULE, "VACUUM (VERBOSE, FULL true) foo;");
        fires(&RULE, "CLUSTER;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "repack (concurrently) t;");
        quiet(&RULE, "repack (concurrently) t using index t_pkey;");
        quiet(&RULE, "VACUUM (FULL FALSE) foo;");
        quiet(&RULE, "VACUUM (FULL off) foo;");
        quiet(&RULE, "VACUUM ANALYZE foo;");
        quiet(&RULE, "VACUUM FREEZE foo;");
        quiet(&RULE, "ALTER TABLE t CLUSTER ON t_pkey;");
    }
}
