//! adding-serial-primary-key

use crate::sql::lint::alter::{actions, Action, ConstraintKind};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "adding-serial-primary-key",
    default: Severity::Warning,
    why: "Adding a primary key (or a serial/identity PK column) to an existing table builds the index, and for a new column rewrites the table, while blocking reads and writes.",
    help: "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … PRIMARY KEY USING INDEX.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    for a in actions(&s.view) {
        let message = match &a.action {
            Action::AddConstraint { kind: ConstraintKind::PrimaryKey, using_index: false, .. } => {
                "PRIMARY KEY added without USING INDEX: its index is built while the table is locked"
            }
            Action::AddColumn(c) if c.primary_key => {
                "column added as PRIMARY KEY: the table is rewritten and indexed while locked"
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
        fires(&RULE, "ALTER TABLE items ADD COLUMN id SERIAL PRIMARY KEY;");
        fires(
            &RULE,
            "ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY (id);",
        );
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_id_idx;",
        );
        quiet(
            &RULE,
            "CREATE TABLE items (x int); ALTER TABLE items ADD COLUMN id serial PRIMARY KEY;",
        );
    }
}
