//! ban-drop-not-null (squawk's id)

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-drop-not-null",
    default: Severity::Warning,
    why: "Dropping NOT NULL lets NULLs into a column that clients (application code, PL/pgSQL) were promised never holds one; they may fail on them.",
    help: "Keep NOT NULL and use a marker value, or move to a new nullable column or table that old clients do not read.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    // A table created in this run has no clients yet.
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        if matches!(a.action, Action::DropNotNull) {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: "DROP NOT NULL: existing clients may not expect NULLs in this column"
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
        fires(
            &RULE,
            r#"ALTER TABLE "bar_tbl" ALTER COLUMN "foo_col" DROP NOT NULL;"#,
        );
        fires(
            &RULE,
            "ALTER TABLE t ALTER c SET DEFAULT 1, ALTER d DROP NOT NULL;",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE t ALTER COLUMN c SET NOT NULL;");
        quiet(
            &RULE,
            "CREATE TABLE t (c int NOT NULL); ALTER TABLE t ALTER COLUMN c DROP NOT NULL;",
        );
    }
}
