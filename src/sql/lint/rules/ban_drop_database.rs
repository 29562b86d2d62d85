//! ban-drop-database

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-drop-database",
    default: Severity::Error,
    why: "DROP DATABASE destroys everything in it; a migration should never do that.",
    help: "Remove the statement; drop databases by hand if you really mean it.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.view.starts(&["DROP", "DATABASE"]) {
        out.push(Hit {
            stmt: s.index,
            span: s.view.span(0, 1),
            message: "DROP DATABASE in a migration".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "DROP DATABASE IF EXISTS app;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "DROP SCHEMA app;");
    }
}
