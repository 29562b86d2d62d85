//! renaming-table

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "renaming-table",
    default: Severity::Warning,
    why: "Renaming a table breaks every running application instance that still uses the old name.",
    help: "Create the new table (or a view with the old name) and migrate clients before removing the old name.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        if matches!(a.action, Action::RenameTable) {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: "renaming a table breaks clients still using the old name".into(),
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
        fires(&RULE, "ALTER TABLE t RENAME TO t2;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE t RENAME COLUMN a TO b;");
        quiet(
            &RULE,
            "CREATE TABLE t (a int, b int); ALTER TABLE t RENAME TO t2;",
        );
    }
}
