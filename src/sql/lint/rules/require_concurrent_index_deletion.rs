//! require-concurrent-index-deletion

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "require-concurrent-index-deletion",
    default: Severity::Warning,
    why: "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes.",
    help: "Use DROP INDEX CONCURRENTLY (outside a transaction block).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    if v.starts(&["DROP", "INDEX"]) && !v.is(2, "CONCURRENTLY") && !s.target.is_new {
        out.push(Hit {
            stmt: s.index,
            span: v.span(0, 1),
            message: "DROP INDEX without CONCURRENTLY locks the table against reads and writes"
                .into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "DROP INDEX users_email_idx;");
        fires(&RULE, "DROP INDEX IF EXISTS a, b CASCADE;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;");
        quiet(&RULE, "CREATE INDEX tmp_idx ON t (a); DROP INDEX tmp_idx;");
    }
}
