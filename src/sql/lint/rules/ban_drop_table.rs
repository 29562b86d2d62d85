//! ban-drop-table

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-drop-table",
    default: Severity::Warning,
    why: "Dropping a table deletes its data and breaks every client that still uses it.",
    help: "Stop using the table first and drop it in a later, reviewed migration (or rename it aside).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.view.starts(&["DROP", "TABLE"]) && !s.target.is_new {
        out.push(Hit {
            stmt: s.index,
            span: s.view.span(0, 1),
            message: "DROP TABLE deletes the table and its data".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "DROP TABLE IF EXISTS users CASCADE;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE TABLE tmp (a int); DROP TABLE tmp;");
        quiet(&RULE, "DROP VIEW users_v;");
    }
}
