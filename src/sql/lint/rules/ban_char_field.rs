//! ban-char-field (squawk's id): `char(n)` / `character` columns.

use crate::sql::lint::types::check_types;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-char-field",
    default: Severity::Warning,
    why: "character(n) pads every value with blanks to n and is never faster than text or varchar in Postgres; it is almost always a mistake.",
    help: "Use text (or varchar) instead of char / character.",
    check: Check::Stmt(check),
};

/// `character varying` / `char varying` are varchar, not blank-padded.
const CHAR: &[&str] = &["char", "character", "bpchar"];

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    check_types(s, out, |t| {
        CHAR.contains(&t.name.as_str()).then(|| {
            format!(
                "`{}` is blank-padded character(n): use text or varchar",
                t.name
            )
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        // squawk's documentation example.
        fires(
            &RULE,
            r#"CREATE TABLE "app_user" (
    "id" serial NOT NULL PRIMARY KEY,
    "name" char(100) NOT NULL,
    "email" character NOT NULL
);"#,
        );
        fires(&RULE, "ALTER TABLE users ADD COLUMN code CHAR(2)[];");
        fires(&RULE, "ALTER TABLE users ALTER COLUMN code TYPE bpchar;");
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            r#"CREATE TABLE "app_user" (
    "id" serial NOT NULL PRIMARY KEY,
    "name" varchar(100) NOT NULL,
    "email" TEXT NOT NULL
);"#,
        );
        quiet(
            &RULE,
            "CREATE TABLE t (a character varying(3), b \"char\");",
        );
        quiet(&RULE, "SELECT 'a'::char(3);");
    }
}
