//! ban-drop-column

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-drop-column",
    default: Severity::Warning,
    why: "Dropping a column breaks running application instances that still read or write it, and the data is gone.",
    help: "Stop using the column in the application first, deploy, then drop it in a later migration.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        if matches!(a.action, Action::DropColumn) {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: "dropping a column breaks clients still using it and loses its data"
                    .into(),
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
        fires(&RULE, "ALTER TABLE t DROP COLUMN a;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE t DROP CONSTRAINT a;");
        quiet(
            &RULE,
            "CREATE TABLE t (a int, b int); ALTER TABLE t DROP COLUMN a;",
        );
    }
}
