//! ban-uncommitted-transaction

use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity};
use crate::sql::transaction::TxEvent;

pub static RULE: Rule = Rule {
    id: "ban-uncommitted-transaction",
    default: Severity::Error,
    why: "A BEGIN without COMMIT leaves the file's changes uncommitted: they roll back when the session ends.",
    help: "Add COMMIT at the end of the file (or remove the BEGIN).",
    check: Check::File(check),
};

fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    for (i, e) in &f.tx.events {
        if *e == TxEvent::Uncommitted {
            out.push(Hit {
                stmt: *i,
                span: None,
                message: "this BEGIN is never committed before the end of the file".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{findings_at, fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "BEGIN;\nALTER TABLE t ADD COLUMN a int;\n");
    }

    #[test]
    fn good() {
        quiet(&RULE, "BEGIN;\nALTER TABLE t ADD COLUMN a int;\nEND;");
        quiet(&RULE, "START TRANSACTION; SELECT 1; ROLLBACK;");
    }

    /// dbmate / Diesel wrap the file in a transaction; `COMMIT; … CONCURRENTLY …;
    /// BEGIN;` leaves it on purpose to build the index concurrently.
    #[test]
    fn leaving_the_tools_transaction_on_purpose() {
        assert!(findings_at(&RULE, "db/1_x.sql", "-- migrate:up\nCREATE TABLE t (a int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);\nBEGIN;\nINSERT INTO t VALUES (1);\n").is_empty());
        assert!(findings_at(&RULE, "m/2020-01-01-000000_x/up.sql", "ALTER TABLE t ADD COLUMN b int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (b);\nBEGIN;\n").is_empty());
    }
}
