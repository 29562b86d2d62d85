//! require-concurrent-index-creation

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "require-concurrent-index-creation",
    default: Severity::Warning,
    why:
        "CREATE INDEX without CONCURRENTLY blocks all writes to the table until the index is built.",
    help: "Use CREATE INDEX CONCURRENTLY (outside a transaction block).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    let i = v.skip(1, &[&["UNIQUE"]]);
    if v.is(0, "CREATE") && v.is(i, "INDEX") && !v.is(i + 1, "CONCURRENTLY") && !s.target.is_new {
        let table = s
            .target
            .table
            .as_ref()
            .map_or("the table".into(), |t| format!("`{t}`"));
        out.push(Hit {
            stmt: s.index,
            span: v.span(0, i),
            message: format!("CREATE INDEX on existing table {table} without CONCURRENTLY blocks writes while it builds"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "CREATE INDEX i ON users (email);");
        fires(
            &RULE,
            "create unique index if not exists i on public.users using btree (email);",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE INDEX CONCURRENTLY i ON users (email);");
        quiet(
            &RULE,
            "CREATE TABLE users (email text); CREATE INDEX i ON users (email);",
        );
    }
}
