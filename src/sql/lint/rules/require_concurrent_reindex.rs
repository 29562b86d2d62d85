//! require-concurrent-reindex (squawk's id)

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};
use crate::sql::words::View;

pub static RULE: Rule = Rule {
    id: "require-concurrent-reindex",
    default: Severity::Warning,
    why: "REINDEX without CONCURRENTLY locks out writes to the table and blocks reads that would use the index until the rebuild finishes.",
    help: "Use REINDEX … CONCURRENTLY (PG 12+, outside a transaction block).",
    check: Check::Stmt(check),
};

/// Is an option value false (`false`, `off`, `0`, `'false'`…)? Postgres
/// accepts these for boolean options of REINDEX / VACUUM.
pub fn option_false(v: &View, i: usize) -> bool {
    use sqlparser::tokenizer::Token;
    let word = match v.tok(i) {
        Some(Token::Word(w)) => w.value.clone(),
        Some(Token::Number(n, _)) => n.clone(),
        Some(
            Token::SingleQuotedString(x)
            | Token::EscapedStringLiteral(x)
            | Token::UnicodeStringLiteral(x),
        ) => x.clone(),
        _ => return false,
    };
    matches!(
        word.to_ascii_lowercase().as_str(),
        "false" | "off" | "0" | "no"
    )
}

/// `REINDEX (… CONCURRENTLY [true]) …` or `REINDEX TABLE CONCURRENTLY …`.
pub fn is_concurrent(v: &View) -> bool {
    (1..v.len()).any(|i| v.is(i, "CONCURRENTLY") && !option_false(v, i + 1))
}

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    // REINDEX SYSTEM cannot run concurrently; a new table has no readers.
    if !v.is(0, "REINDEX") || v.has("SYSTEM") || s.target.is_new || is_concurrent(v) {
        return;
    }
    out.push(Hit {
        stmt: s.index,
        span: v.span(0, v.len()),
        message: "REINDEX without CONCURRENTLY blocks writes (and reads using the index) while it rebuilds".into(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "REINDEX TABLE foo;");
        fires(&RULE, "REINDEX INDEX foo_idx;");
        fires(&RULE, "REINDEX SCHEMA foo;");
        fires(&RULE, "REINDEX (CONCURRENTLY false) INDEX idx;");
        fires(&RULE, "REINDEX (VERBOSE, CONCURRENTLY 'off') TABLE t;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "REINDEX TABLE CONCURRENTLY foo;");
        quiet(&RULE, "REINDEX INDEX CONCURRENTLY foo_idx;");
        quiet(&RULE, "REINDEX (CONCURRENTLY) TABLE foo;");
        quiet(&RULE, "REINDEX (CONCURRENTLY true) INDEX idx;");
        quiet(&RULE, "REINDEX SYSTEM mydb;");
    }
}
