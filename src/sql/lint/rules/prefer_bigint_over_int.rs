//! prefer-bigint-over-int (squawk's id): 32-bit integer columns.

use crate::sql::lint::types::check_types;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "prefer-bigint-over-int",
    default: Severity::Off,
    why: "A 32-bit integer column (int, integer, int4, serial) runs out at 2,147,483,647; widening it later rewrites the table under an ACCESS EXCLUSIVE lock.",
    help: "Use bigint / bigserial (or bigint GENERATED … AS IDENTITY).",
    check: Check::Stmt(check),
};

const INT: &[&str] = &["int", "integer", "int4", "serial", "serial4"];

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    check_types(s, out, |t| {
        INT.contains(&t.name.as_str())
            .then(|| format!("`{}` is 32-bit and can hit its limit: use bigint", t.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "CREATE TABLE posts (\n  id serial primary key\n)");
        fires(&RULE, "CREATE TABLE posts (\n  id int primary key\n)");
        fires(
            &RULE,
            "ALTER TABLE posts ADD COLUMN n INTEGER[] NOT NULL DEFAULT '{}';",
        );
        fires(
            &RULE,
            "ALTER TABLE posts ALTER COLUMN n TYPE pg_catalog.int4;",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE TABLE posts (\n  id bigserial primary key\n)");
        quiet(&RULE, "CREATE TABLE posts (\n  id bigint primary key\n)");
        quiet(
            &RULE,
            "CREATE TABLE posts (interval_n interval, n int8, s smallint);",
        );
    }
}
