//! require-lock-timeout (off by default)

use sqlparser::tokenizer::Token;

use crate::sql::lint::{Check, FileCtx, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "require-lock-timeout",
    default: Severity::Off,
    why: "A DDL statement waiting for its lock queues every later query on the table behind it; without lock_timeout a busy table stalls the whole application.",
    help: "Start the file with SET lock_timeout = '5s' (or SET LOCAL inside a transaction) and retry the migration on timeout.",
    check: Check::File(check),
};

/// Statements that take a strong lock on an existing table.
fn takes_strong_lock(s: &StmtInfo) -> bool {
    let v = &s.view;
    if s.target.is_new {
        return false;
    }
    let i = v.skip(1, &[&["UNIQUE"]]);
    v.starts(&["ALTER", "TABLE"])
        || (v.is(0, "CREATE") && v.is(i, "INDEX") && !v.is(i + 1, "CONCURRENTLY"))
        || (v.starts(&["DROP", "INDEX"]) && !v.is(2, "CONCURRENTLY"))
        || v.starts(&["DROP", "TABLE"])
        || v.is(0, "TRUNCATE")
        || v.is(0, "LOCK")
        || v.starts(&["CREATE", "TRIGGER"])
}

fn sets_lock_timeout(s: &StmtInfo) -> bool {
    let v = &s.view;
    let i = v.skip(1, &[&["LOCAL"], &["SESSION"]]);
    // SET [LOCAL] lock_timeout …, or SELECT set_config('lock_timeout', …).
    let setting = |t: &&crate::sql::lexer::Tok| matches!(&t.token, Token::SingleQuotedString(x) if x == "lock_timeout");
    (v.is(0, "SET") && v.is(i, "lock_timeout"))
        || (v.is(0, "SELECT") && v.has("set_config") && v.toks.iter().any(setting))
}

fn check(f: &FileCtx, out: &mut Vec<Hit>) {
    for s in f.stmts {
        if sets_lock_timeout(s) {
            return;
        }
        if takes_strong_lock(s) {
            out.push(Hit {
                stmt: s.index,
                span: s.view.span(0, 1),
                message: "this statement takes a strong lock but the file never sets lock_timeout before it".into(),
            });
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "ALTER TABLE users ADD COLUMN a int;");
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN a int;",
        );
        quiet(
            &RULE,
            "BEGIN; SET LOCAL lock_timeout TO '2s'; ALTER TABLE users ADD COLUMN a int; COMMIT;",
        );
        quiet(
            &RULE,
            "CREATE TABLE users (id int); ALTER TABLE users ADD COLUMN a int;",
        );
    }
}
