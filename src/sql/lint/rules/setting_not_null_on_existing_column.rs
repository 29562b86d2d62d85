//! setting-not-null-on-existing-column

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "setting-not-null-on-existing-column",
    default: Severity::Warning,
    why: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes.",
    help: "First ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID and VALIDATE it; then SET NOT NULL skips the scan (PG 12+).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        if matches!(a.action, Action::SetNotNull) {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: "SET NOT NULL on an existing table scans every row while blocking reads and writes".into(),
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
        fires(&RULE, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;");
        fires(
            &RULE,
            "ALTER TABLE users ALTER email SET NOT NULL, ALTER name DROP DEFAULT;",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;");
        quiet(
            &RULE,
            "CREATE TABLE users (email text); ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
    }
}
