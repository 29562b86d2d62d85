//! prefer-timestamptz (squawk's id): `timestamp` without time zone columns.

use crate::sql::lint::types::check_types;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "prefer-timestamptz",
    default: Severity::Warning,
    why: "timestamp (without time zone) drops the UTC offset: 21:11+02 and 21:11-06 are stored as the same value although they are eight hours apart.",
    help: "Use timestamptz (timestamp with time zone).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    check_types(s, out, |t| {
        matches!(t.name.as_str(), "timestamp" | "timestamp without time zone").then(|| {
            "timestamp without time zone loses the UTC offset: use timestamptz".to_string()
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(
            &RULE,
            "create table app.users\n(\n    created_ts   timestamp,\n    modified_ts  timestamp without time zone\n)",
        );
        fires(
            &RULE,
            "alter table app.users\n    alter column created_ts type timestamp,\n    alter column modified_ts type timestamp without time zone",
        );
        fires(
            &RULE,
            "ALTER TABLE t ADD COLUMN at timestamp(3) DEFAULT now();",
        );
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "create table app.users\n(\n    created_ts   timestamptz,\n    modified_ts  timestamptz\n)",
        );
        quiet(
            &RULE,
            "alter table app.users\n    alter column created_ts type timestamptz,\n    alter column modified_ts type timestamptz",
        );
        quiet(
            &RULE,
            "CREATE TABLE t (a timestamp(6) with time zone, b time, c date);",
        );
    }
}
