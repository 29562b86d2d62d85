//! prefer-bigint-over-smallint (squawk's id): 16-bit integer columns.

use crate::sql::lint::types::check_types;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "prefer-bigint-over-smallint",
    default: Severity::Off,
    why: "A 16-bit integer column (smallint, int2, smallserial) runs out at 32,767; widening it later rewrites the table under an ACCESS EXCLUSIVE lock.",
    help: "Use bigint / bigserial (or bigint GENERATED … AS IDENTITY).",
    check: Check::Stmt(check),
};

const SMALLINT: &[&str] = &["smallint", "int2", "smallserial", "serial2"];

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    check_types(s, out, |t| {
        SMALLINT
            .contains(&t.name.as_str())
            .then(|| format!("`{}` is 16-bit and can hit its limit: use bigint", t.name))
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
            "CREATE TABLE posts (\n  id smallserial primary key\n)",
        );
        fires(&RULE, "CREATE TABLE posts (\n  id smallint primary key\n)");
        fires(&RULE, "ALTER TABLE posts ADD COLUMN n int2;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE TABLE posts (\n  id bigserial primary key\n)");
        quiet(&RULE, "CREATE TABLE posts (\n  id bigint primary key\n)");
        quiet(&RULE, "CREATE TABLE posts (n int);");
    }
}
