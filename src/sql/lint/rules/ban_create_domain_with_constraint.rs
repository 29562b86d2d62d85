//! ban-create-domain-with-constraint (squawk's id)

use sqlparser::tokenizer::Token;

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-create-domain-with-constraint",
    default: Severity::Warning,
    why: "A domain with a constraint ties every column that uses it to that constraint: changing it later re-checks (or rewrites) all of them, and Postgres reasons poorly about domain constraints.",
    help: "Create the domain without CHECK / NOT NULL / NULL constraints and put the constraints on the columns.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    if !v.starts(&["CREATE", "DOMAIN"]) {
        return;
    }
    // A constraint at parenthesis depth 0 after the type: CHECK, [NOT] NULL or
    // CONSTRAINT name (`numeric(15,5)` holds no constraint words).
    let mut depth = 0i32;
    for i in 2..v.len() {
        match v.tok(i) {
            Some(Token::LParen) => depth += 1,
            Some(Token::RParen) => depth -= 1,
            _ if depth == 0
                && (v.is(i, "CHECK")
                    || v.is(i, "CONSTRAINT")
                    || v.seq_at(i, &["NOT", "NULL"])
                    || (v.is(i, "NULL") && !v.is(i - 1, "DEFAULT"))) =>
            {
                out.push(Hit {
                    stmt: s.index,
                    span: v.span(i, v.len()),
                    message: "a domain with a constraint makes every later change to it re-check all columns that use it".into(),
                });
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(
            &RULE,
            "CREATE DOMAIN domain_name_3 AS NUMERIC(15,5) CHECK (value > 0);",
        );
        fires(
            &RULE,
            "create domain d as text check (value <> '') not null;",
        );
        fires(
            &RULE,
            "CREATE DOMAIN d int CONSTRAINT positive CHECK (VALUE > 0);",
        );
    }

    #[test]
    fn good() {
        quiet(&RULE, "CREATE DOMAIN domain_name_1 AS TEXT;");
        quiet(&RULE, "CREATE DOMAIN domain_name_2 AS CHARACTER VARYING;");
        quiet(
            &RULE,
            "CREATE DOMAIN d AS numeric(15, 5) DEFAULT NULL COLLATE \"C\";",
        );
    }
}
