//! ban-truncate-cascade

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-truncate-cascade",
    default: Severity::Error,
    why: "TRUNCATE … CASCADE also empties every table that references it, recursively, which is rarely what was meant.",
    help: "Truncate the tables you mean explicitly, by name.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    if v.is(0, "TRUNCATE") {
        if let Some(i) = v.find_seq(1, &["CASCADE"]) {
            out.push(Hit {
                stmt: s.index,
                span: v.span(i, i),
                message: "TRUNCATE … CASCADE empties every referencing table too".into(),
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
        fires(&RULE, "TRUNCATE TABLE users CASCADE;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "TRUNCATE users, orders;");
        quiet(&RULE, "DROP TABLE t CASCADE;");
    }
}
