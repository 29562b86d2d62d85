//! changing-column-type

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "changing-column-type",
    default: Severity::Warning,
    why: "Changing a column's type usually rewrites the table and its indexes under an ACCESS EXCLUSIVE lock.",
    help: "Only binary-coercible changes (varchar(n) → text or a larger n) are cheap; otherwise add a new column, backfill, and swap.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        if matches!(a.action, Action::AlterColumnType) {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: "changing a column type can rewrite the whole table while blocking reads and writes".into(),
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
        fires(&RULE, "ALTER TABLE users ALTER COLUMN age TYPE bigint;");
        fires(
            &RULE,
            "ALTER TABLE users ALTER age SET DATA TYPE bigint USING age::bigint;",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE users ALTER COLUMN age SET DEFAULT 0;");
        quiet(
            &RULE,
            "CREATE TABLE users (age int); ALTER TABLE users ALTER COLUMN age TYPE bigint;",
        );
    }
}
