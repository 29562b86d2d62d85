//! prefer-text-field (squawk's id): `varchar(n)` columns.

use crate::sql::lint::types::check_types;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "prefer-text-field",
    default: Severity::Off,
    why: "Changing the length limit of a varchar(n) column later needs an ACCESS EXCLUSIVE lock (and a rewrite when it shrinks); a text column with a CHECK constraint can change its limit online.",
    help: "Use text with CHECK (length(col) <= n), added NOT VALID and validated separately when the table exists.",
    check: Check::Stmt(check),
};

const VARCHAR: &[&str] = &["varchar", "character varying", "char varying"];

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    // Without a length varchar is text: nothing to change later.
    check_types(s, out, |t| {
        (t.args && VARCHAR.contains(&t.name.as_str())).then(|| {
            "varchar(n): changing the limit later locks the table; prefer text with a CHECK constraint".to_string()
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
            r#"CREATE TABLE "app_user" (
    "id" serial NOT NULL PRIMARY KEY,
    "email" varchar(100) NOT NULL
);"#,
        );
        fires(&RULE, "ALTER TABLE t ADD COLUMN c character varying(5)[];");
        fires(&RULE, "ALTER TABLE t ALTER COLUMN c TYPE varchar(200);");
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            r#"CREATE TABLE "app_user" (
    "id" serial NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL
);
ALTER TABLE "app_user" ADD CONSTRAINT "text_size" CHECK (LENGTH("email") <= 100);"#,
        );
        quiet(&RULE, "CREATE TABLE t (a varchar, b character varying);");
    }
}
