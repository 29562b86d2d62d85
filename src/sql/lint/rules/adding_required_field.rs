//! adding-required-field

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "adding-required-field",
    default: Severity::Error,
    why: "ADD COLUMN … NOT NULL without a DEFAULT fails on any table that already has rows.",
    help: "Add a DEFAULT, or add the column nullable, backfill it, then SET NOT NULL.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        if let Action::AddColumn(c) = &a.action {
            if c.not_null && c.default.is_none() && !c.generated && !c.serial {
                out.push(Hit {
                    stmt: s.index,
                    span: a.span,
                    message:
                        "NOT NULL column without a DEFAULT: fails as soon as the table has a row"
                            .into(),
                });
            }
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
            "ALTER TABLE \"User\" ADD COLUMN \"role\" TEXT NOT NULL;",
        );
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "ALTER TABLE \"User\" ADD COLUMN \"role\" TEXT NOT NULL DEFAULT 'user';",
        );
        quiet(&RULE, "ALTER TABLE users ADD COLUMN note text;");
        quiet(
            &RULE,
            "CREATE TABLE users (id int); ALTER TABLE users ADD COLUMN role text NOT NULL;",
        );
    }
}
