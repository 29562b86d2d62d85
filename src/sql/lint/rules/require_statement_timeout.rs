//! require-statement-timeout (squawk's id; off by default, like require-lock-timeout)

use crate::sql::lint::rules::require_lock_timeout::unguarded;
use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "require-statement-timeout",
    default: Severity::Off,
    why: "Without statement_timeout a migration statement that runs far longer than expected (a rewrite, a scan, a slow query) holds its locks and the database's resources for as long as it takes.",
    help: "Start the file with SET statement_timeout = '5min' (or SET LOCAL inside a transaction), sized for the slowest statement you expect.",
    check: Check::File(check),
};

/// Same statements as require-lock-timeout; reported once, at the first one.
fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    unguarded(
        f,
        "statement_timeout",
        "this statement may run long, but the file never sets statement_timeout before it",
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "alter table t add column c boolean;");
        fires(
            &RULE,
            "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c BOOLEAN;",
        );
        fires(&RULE, "VACUUM (FULL false) t;");
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "set statement_timeout = '5s';\nalter table t add column c boolean;",
        );
        quiet(
            &RULE,
            "BEGIN; SET LOCAL statement_timeout TO '1min'; ALTER TABLE t ADD COLUMN c int; COMMIT;",
        );
        quiet(
            &RULE,
            "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN c int;",
        );
    }
}
