//! transaction-nesting

use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity};
use crate::sql::transaction::TxEvent;

pub static RULE: Rule = Rule {
    id: "transaction-nesting",
    default: Severity::Warning,
    why: "Postgres has no nested transactions: an inner BEGIN is ignored and the first COMMIT ends everything, so part of the migration is no longer atomic.",
    help: "Keep one BEGIN … COMMIT per file, and none when the migration tool already wraps the file (dbmate, Diesel).",
    check: Check::File(check),
};

fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    for (i, e) in &f.tx.events {
        let message = match e {
            TxEvent::NestedBegin => "BEGIN while a transaction is already open: Postgres ignores it and the next COMMIT ends the outer transaction",
            TxEvent::EndWithoutBegin => "COMMIT/ROLLBACK without an open transaction: nothing to end (a leftover?)",
            TxEvent::ControlInsideToolTx => "transaction control in a file its migration tool already runs in a transaction: the COMMIT ends the tool's transaction early",
            _ => continue,
        };
        out.push(Hit {
            stmt: *i,
            span: None,
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{findings_at, fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "BEGIN; BEGIN; SELECT 1; COMMIT; COMMIT;");
        assert!(!findings_at(
            &RULE,
            "m/2020-01-01-000000_x/up.sql",
            "BEGIN; SELECT 1; COMMIT;"
        )
        .is_empty());
    }

    #[test]
    fn good() {
        quiet(&RULE, "BEGIN; SELECT 1; COMMIT; BEGIN; SELECT 2; COMMIT;");
    }

    /// dbmate / Diesel wrap the file in a transaction; `COMMIT; … CONCURRENTLY …;
    /// BEGIN;` leaves it on purpose to build the index concurrently.
    #[test]
    fn leaving_the_tools_transaction_on_purpose() {
        assert!(findings_at(&RULE, "db/1_x.sql", "-- migrate:up\nCREATE TABLE t (a int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);\nBEGIN;\nINSERT INTO t VALUES (1);\n").is_empty());
        // Left and never reopened: the tool's own COMMIT finds nothing to end.
        assert!(!findings_at(
            &RULE,
            "db/1_x.sql",
            "-- migrate:up\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
        )
        .is_empty());
        assert!(findings_at(&RULE, "m/2020-01-01-000000_x/up.sql", "ALTER TABLE t ADD COLUMN b int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (b);\nBEGIN;\n").is_empty());
    }
}
