//! adding-foreign-key-constraint

use crate::sql::lint::alter::{actions, Action, ConstraintKind};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "adding-foreign-key-constraint",
    default: Severity::Warning,
    why: "Adding a foreign key scans the table while holding SHARE ROW EXCLUSIVE locks on both tables, blocking their writes.",
    help: "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        let message = match a.action {
            Action::AddConstraint { kind: ConstraintKind::ForeignKey, not_valid: false, .. } => {
                "foreign key added without NOT VALID: the whole table is checked while writes to both tables are blocked"
            }
            Action::AddColumn(c) if c.references => {
                "column added with REFERENCES: the foreign key locks both tables; add the column, then the constraint NOT VALID"
            }
            _ => continue,
        };
        out.push(Hit {
            stmt: s.index,
            span: a.span,
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "ALTER TABLE \"Post\" ADD CONSTRAINT fk FOREIGN KEY (\"userId\") REFERENCES \"User\"(id) ON DELETE CASCADE;");
        fires(
            &RULE,
            "ALTER TABLE posts ADD COLUMN user_id int REFERENCES users (id);",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;");
        quiet(&RULE, "CREATE TABLE posts (user_id int);\nALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);");
    }
}
