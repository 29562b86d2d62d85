//! disallowed-unique-constraint

use crate::sql::lint::alter::{actions, Action, ConstraintKind};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "disallowed-unique-constraint",
    default: Severity::Warning,
    why:
        "Adding a UNIQUE constraint builds its index while blocking reads and writes on the table.",
    help: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … UNIQUE USING INDEX.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        let hit = match &a.action {
            Action::AddConstraint {
                kind: ConstraintKind::Unique,
                using_index,
                ..
            } => !using_index,
            Action::AddColumn(c) => c.unique,
            _ => false,
        };
        if hit {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: "UNIQUE constraint built under an ACCESS EXCLUSIVE lock; build the index concurrently and attach it USING INDEX".into(),
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
        fires(
            &RULE,
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
        );
        fires(&RULE, "ALTER TABLE users ADD COLUMN code text UNIQUE;");
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
        );
        quiet(
            &RULE,
            "CREATE TABLE users (email text); ALTER TABLE users ADD UNIQUE (email);",
        );
    }
}
