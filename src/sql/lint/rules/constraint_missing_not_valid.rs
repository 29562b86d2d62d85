//! constraint-missing-not-valid

use crate::sql::lint::alter::{actions, Action, ConstraintKind};
use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity};
use crate::sql::transaction::TxClass;
use crate::sql::words::ObjName;

pub static RULE: Rule = Rule {
    id: "constraint-missing-not-valid",
    default: Severity::Warning,
    why: "Adding a CHECK constraint to an existing table scans every row under a lock that blocks writes.",
    help: "ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later transaction (it only takes a SHARE UPDATE EXCLUSIVE lock).",
    check: Check::File(check),
};

fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    // Tables given a NOT VALID constraint in the still-open transaction.
    let mut not_valid: Vec<ObjName> = Vec::new();
    for s in f.stmts {
        if !s.in_tx || matches!(f.tx.classes.get(s.index), Some(TxClass::End)) {
            not_valid.clear();
        }
        if s.target.is_new {
            continue;
        }
        for a in actions(&s.view) {
            match a.action {
                Action::AddConstraint { kind: ConstraintKind::Check, not_valid: false, .. } => out.push(Hit {
                    stmt: s.index,
                    span: a.span,
                    message: "CHECK constraint added without NOT VALID: every row is checked while writes are blocked".into(),
                }),
                Action::AddConstraint { not_valid: true, .. } => not_valid.extend(s.target.table.clone()),
                Action::ValidateConstraint
                    if s.in_tx && s.target.table.as_ref().is_some_and(|t| not_valid.iter().any(|n| n.matches(t))) =>
                {
                    out.push(Hit {
                        stmt: s.index,
                        span: a.span,
                        message: "VALIDATE CONSTRAINT in the same transaction as the NOT VALID constraint keeps the ADD's strong lock during the scan; validate in a separate transaction".into(),
                    })
                }
                _ => {}
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
            "ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0);",
        );
        fires(&RULE, "ALTER TABLE orders ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;");
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0) NOT VALID;",
        );
        quiet(&RULE, "CREATE TABLE orders (amount int);\nALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0);");
        quiet(&RULE, "BEGIN; ALTER TABLE orders ADD CONSTRAINT c CHECK (a > 0) NOT VALID; COMMIT;\nBEGIN; ALTER TABLE orders VALIDATE CONSTRAINT c; COMMIT;");
    }
}
