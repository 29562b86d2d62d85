//! identifier-too-long

use sqlparser::tokenizer::Token;

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "identifier-too-long",
    default: Severity::Warning,
    why: "Postgres silently truncates identifiers to 63 bytes, so the object gets another name than the one written (and two long names can collide).",
    help: "Use a name of at most 63 bytes (bytes, not characters: non-ASCII letters count double or more).",
    check: Check::Stmt(check),
};

/// NAMEDATALEN - 1.
const MAX: usize = 63;

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, t) in s.view.toks.iter().enumerate() {
        let Token::Word(w) = &t.token else { continue };
        // With unescape off, a quoted name keeps its doubled quotes.
        let len = if w.quote_style.is_some() {
            w.value.len() - w.value.matches("\"\"").count()
        } else {
            w.value.len()
        };
        if len > MAX && !seen.contains(&w.value.as_str()) {
            seen.push(&w.value);
            out.push(Hit {
                stmt: s.index,
                span: s.view.span(i, i),
                message: format!("identifier is {len} bytes; Postgres truncates it to 63"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        let long = "a".repeat(64);
        fires(&RULE, &format!("CREATE INDEX \"{long}\" ON t (a);"));
        fires(
            &RULE,
            &format!("ALTER TABLE t ADD CONSTRAINT {long} CHECK (a > 0);"),
        );
    }

    #[test]
    fn good() {
        let ok = "a".repeat(63);
        quiet(&RULE, &format!("CREATE INDEX \"{ok}\" ON t (a);"));
        quiet(&RULE, &format!("SELECT '{}';", "x".repeat(100)));
    }
}
