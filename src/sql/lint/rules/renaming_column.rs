//! renaming-column

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "renaming-column",
    default: Severity::Warning,
    why: "Renaming a column breaks every running application instance that still uses the old name.",
    help: "Add the new column, write to both, migrate readers, then drop the old one (expand and contract).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        if matches!(a.action, Action::RenameColumn) {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: "renaming a column breaks clients still using the old name".into(),
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
        fires(&RULE, "ALTER TABLE t RENAME COLUMN a TO b;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE t RENAME CONSTRAINT a TO b;");
        quiet(
            &RULE,
            "CREATE TABLE t (a int, b int); ALTER TABLE t RENAME COLUMN a TO b;",
        );
    }
}
