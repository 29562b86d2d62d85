//! adding-field-with-volatile-default

use sqlparser::tokenizer::Token;

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "adding-field-with-volatile-default",
    default: Severity::Warning,
    why: "A column with a volatile default (random(), gen_random_uuid(), serial, identity, stored generated) rewrites the whole table under an ACCESS EXCLUSIVE lock.",
    help: "Add the column without a default (or with a constant one), backfill in batches, then set the default.",
    check: Check::Stmt(check),
};

/// Functions Postgres marks volatile that people put in defaults. (now() and
/// CURRENT_TIMESTAMP are stable: evaluated once, no rewrite since PG 11.)
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
    "gen_random_bytes",
    "random_normal",
    "setseed",
];

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    if s.target.is_new {
        return;
    }
    let v = &s.view;
    for a in actions(v) {
        let Action::AddColumn(c) = &a.action else {
            continue;
        };
        let why = if c.serial {
            Some("a serial column".to_string())
        } else if c.generated {
            Some("an identity / generated column".to_string())
        } else {
            c.default.and_then(|(s, e)| {
                (s..e).find_map(|i| {
                    let f = v.kw(i)?;
                    let call = matches!(v.tok(i + 1), Some(Token::LParen));
                    (call && VOLATILE.iter().any(|x| f.eq_ignore_ascii_case(x)))
                        .then(|| format!("a volatile default ({f}())"))
                })
            })
        };
        if let Some(what) = why {
            out.push(Hit {
                stmt: s.index,
                span: a.span,
                message: format!(
                    "adding {what} rewrites the whole table while blocking reads and writes"
                ),
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
        fires(
            &RULE,
            "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        );
        fires(&RULE, "ALTER TABLE users ADD COLUMN id bigserial;");
        fires(
            &RULE,
            "ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;",
        );
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            "ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now();",
        );
        quiet(
            &RULE,
            "ALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;",
        );
        quiet(&RULE, "CREATE TABLE users (a int); ALTER TABLE users ADD COLUMN t uuid DEFAULT gen_random_uuid();");
    }
}
