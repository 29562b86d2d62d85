//! ban-concurrent-index-in-transaction: also covers every other statement
//! Postgres refuses inside a transaction block (VACUUM, CREATE DATABASE, …).

use crate::sql::format::MigrationFormat;
use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity};
use crate::sql::transaction::TxEvent;

pub static RULE: Rule = Rule {
    id: "ban-concurrent-index-in-transaction",
    default: Severity::Error,
    why: "CONCURRENTLY (and VACUUM, CREATE DATABASE, …) cannot run inside a transaction block: the migration fails.",
    help: "Move the statement out of BEGIN … COMMIT; for dbmate add `transaction:false`, for Diesel `run_in_transaction = false`.",
    check: Check::File(check),
};

fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    for (i, e) in &f.tx.events {
        let message = match e {
            TxEvent::NonTxInOwnTx(what) => {
                format!("{what} cannot run inside a transaction block, but this file's BEGIN is still open here; Postgres will reject it")
            }
            TxEvent::NonTxInToolTx(what) => {
                let (tool, fix) = match f.format {
                    MigrationFormat::Dbmate => (
                        "dbmate",
                        "add `transaction:false` to the `-- migrate:up` line",
                    ),
                    MigrationFormat::Diesel => (
                        "Diesel",
                        "add `run_in_transaction = false` to metadata.toml",
                    ),
                    MigrationFormat::Atlas => {
                        ("Atlas", "start the file with `-- atlas:txmode none`")
                    }
                    _ => ("the migration tool", "run it outside a transaction"),
                };
                format!("{what} cannot run inside a transaction block, and {tool} runs this file in one; {fix}")
            }
            _ => continue,
        };
        out.push(Hit {
            stmt: *i,
            span: None,
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{findings_at, fires, quiet};

    #[test]
    fn bad() {
        fires(
            &RULE,
            "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;",
        );
        fires(&RULE, "BEGIN; VACUUM t; COMMIT;");
        let f = findings_at(
            &RULE,
            "db/1_x.sql",
            "-- migrate:up\nDROP INDEX CONCURRENTLY i;\n",
        );
        assert!(f[0].contains("transaction:false"), "{f:?}");
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE INDEX CONCURRENTLY i ON t (a);");
        quiet(
            &RULE,
            "BEGIN; CREATE TABLE t (a int); COMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);",
        );
        assert!(findings_at(
            &RULE,
            "db/1_x.sql",
            "-- migrate:up transaction:false\nDROP INDEX CONCURRENTLY i;\n"
        )
        .is_empty());
    }

    /// dbmate / Diesel wrap the file in a transaction; `COMMIT; … CONCURRENTLY …;
    /// BEGIN;` leaves it on purpose to build the index concurrently.
    #[test]
    fn leaving_the_tools_transaction_on_purpose() {
        assert!(findings_at(&RULE, "db/1_x.sql", "-- migrate:up\nCREATE TABLE t (a int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);\nBEGIN;\nINSERT INTO t VALUES (1);\n").is_empty());
        assert!(findings_at(&RULE, "m/2020-01-01-000000_x/up.sql", "ALTER TABLE t ADD COLUMN b int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (b);\nBEGIN;\n").is_empty());
    }
}
