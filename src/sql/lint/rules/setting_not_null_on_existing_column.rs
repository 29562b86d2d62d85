//! setting-not-null-on-existing-column (squawk's adding-not-nullable-field)
//!
//! Since PG 12, SET NOT NULL skips its table scan when a validated
//! `CHECK (col IS NOT NULL)` constraint already proves it. That is only
//! visible here when the file itself adds the constraint NOT VALID and then
//! validates it; a constraint from an earlier file cannot be seen (no
//! catalog), so SET NOT NULL after a VALIDATE of an unknown constraint is
//! still flagged (squawk assumes it is safe; we do not guess).

use sqlparser::tokenizer::Token;

use crate::sql::lint::alter::{actions, Action, ConstraintKind};
use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity};
use crate::sql::words::{ObjName, View};

pub static RULE: Rule = Rule {
    id: "setting-not-null-on-existing-column",
    default: Severity::Warning,
    why: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes.",
    help: "First ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID and VALIDATE it; then SET NOT NULL skips the scan (PG 12+).",
    check: Check::File(check),
};

/// A NOT VALID `CHECK (col IS NOT NULL)` constraint added in this file.
struct NotNullCheck {
    table: ObjName,
    name: String,
    column: String,
    validated: bool,
}

/// A column name at `i`, as Postgres folds it.
fn word(v: &View, i: usize) -> Option<String> {
    match v.tok(i)? {
        Token::Word(w) => Some(ObjName::norm(&w.value, w.quote_style.is_some())),
        _ => None,
    }
}

/// `CONSTRAINT name CHECK ((col IS NOT NULL)) NOT VALID` in tokens `x..y`:
/// the constraint's name and column.
fn not_null_check(v: &View, (x, y): (usize, usize)) -> Option<(String, String)> {
    let c = (x..y).find(|&i| v.is(i, "CONSTRAINT"))?;
    let name = word(v, c + 1)?;
    let mut i = (c..y).find(|&i| v.is(i, "CHECK"))? + 1;
    let mut open = 0;
    while matches!(v.tok(i), Some(Token::LParen)) {
        open += 1;
        i += 1;
    }
    let column = word(v, i)?;
    if open == 0 || !v.seq_at(i + 1, &["IS", "NOT", "NULL"]) {
        return None;
    }
    let close = i + 4;
    let closed = (close..close + open).all(|k| matches!(v.tok(k), Some(Token::RParen)));
    (closed && v.seq_at(close + open, &["NOT", "VALID"])).then_some((name, column))
}

/// The column of `ALTER [COLUMN] col SET NOT NULL`.
fn altered_column(v: &View, (x, _): (usize, usize)) -> Option<String> {
    word(v, v.skip(x + 1, &[&["COLUMN"]]))
}

fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    let mut checks: Vec<NotNullCheck> = Vec::new();
    for s in f.stmts {
        let v = &s.view;
        let Some(table) = s.target.table.clone() else {
            continue;
        };
        for a in actions(v) {
            match a.action {
                Action::AddConstraint {
                    kind: ConstraintKind::Check,
                    not_valid: true,
                    ..
                } => {
                    if let Some((name, column)) = not_null_check(v, a.range) {
                        checks.push(NotNullCheck {
                            table: table.clone(),
                            name,
                            column,
                            validated: false,
                        });
                    }
                }
                Action::ValidateConstraint => {
                    let name = word(v, a.range.0 + 2);
                    for c in checks.iter_mut() {
                        if Some(&c.name) == name.as_ref() && c.table.matches(&table) {
                            c.validated = true;
                        }
                    }
                }
                Action::SetNotNull if !s.target.is_new => {
                    let column = altered_column(v, a.range);
                    let proven = checks.iter().any(|c| {
                        c.validated && c.table.matches(&table) && Some(&c.column) == column.as_ref()
                    });
                    if !proven {
                        out.push(Hit {
                            stmt: s.index,
                            span: a.span,
                            message: "SET NOT NULL on an existing table scans every row while blocking reads and writes".into(),
                        });
                    }
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

    /// squawk's safe pattern.
    const ADD: &str = r#"ALTER TABLE "recipe" ADD CONSTRAINT view_count_not_null
    CHECK ("view_count" IS NOT NULL) NOT VALID;
"#;
    const VALIDATE: &str = "ALTER TABLE \"recipe\" VALIDATE CONSTRAINT view_count_not_null;\n";

    #[test]
    fn bad() {
        fires(&RULE, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;");
        fires(
            &RULE,
            "ALTER TABLE users ALTER email SET NOT NULL, ALTER name DROP DEFAULT;",
        );
        fires(
            &RULE,
            r#"ALTER TABLE "recipe" ALTER COLUMN "view_count" SET NOT NULL;"#,
        );
        // Added but never validated.
        fires(
            &RULE,
            &format!("{ADD}ALTER TABLE recipe ALTER COLUMN view_count SET NOT NULL;"),
        );
        // Validated before it was added (or in an earlier file we cannot see).
        fires(
            &RULE,
            &format!("{VALIDATE}ALTER TABLE recipe ALTER COLUMN view_count SET NOT NULL;"),
        );
        // Another column, another table.
        fires(
            &RULE,
            &format!("{ADD}{VALIDATE}ALTER TABLE recipe ALTER COLUMN other SET NOT NULL;"),
        );
        fires(
            &RULE,
            &format!("{ADD}{VALIDATE}ALTER TABLE other ALTER COLUMN view_count SET NOT NULL;"),
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;");
        quiet(
            &RULE,
            "CREATE TABLE users (email text); ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
        quiet(
            &RULE,
            &format!(
                "{ADD}{VALIDATE}ALTER TABLE \"recipe\" ALTER COLUMN \"view_count\" SET NOT NULL;"
            ),
        );
        quiet(
            &RULE,
            "ALTER TABLE public.recipe ADD CONSTRAINT c CHECK ((n IS NOT NULL)) NOT VALID;\nALTER TABLE recipe VALIDATE CONSTRAINT c, ALTER n SET NOT NULL;",
        );
    }
}
