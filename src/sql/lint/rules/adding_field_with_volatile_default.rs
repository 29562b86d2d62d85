//! adding-field-with-volatile-default

use crate::sql::lint::alter::{actions, Action};
use crate::sql::lint::volatility::{calls_in, judge, Volatility};
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "adding-field-with-volatile-default",
    default: Severity::Warning,
    why: "A column with a volatile default (random(), gen_random_uuid(), serial, identity, stored generated) rewrites the whole table under an ACCESS EXCLUSIVE lock.",
    help: "Add the column without a default (or with a constant one), backfill in batches, then set the default.",
    check: Check::Stmt(check),
};

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
            // The first call that is not known to be non-volatile decides.
            c.default.and_then(|(s, e)| {
                calls_in(v, s, e).into_iter().find_map(|f| match judge(&f) {
                    Volatility::NonVolatile => None,
                    Volatility::Volatile => Some(format!("a volatile default ({f}())")),
                    Volatility::Unknown => Some(format!(
                        "a default that may be volatile (judged without a catalog: unknown function {f}() counts as volatile)"
                    )),
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
        // Unknown (user) functions count as volatile: no catalog to ask.
        fires(&RULE, "ALTER TABLE users ADD COLUMN c int DEFAULT uuid();");
        fires(
            &RULE,
            "ALTER TABLE users ADD COLUMN c jsonb DEFAULT myjsonb();",
        );
        fires(
            &RULE,
            "ALTER TABLE users SET LOGGED, ADD COLUMN c int DEFAULT f();",
        );
        fires(
            &RULE,
            "ALTER TABLE users ADD COLUMN c timestamptz DEFAULT public.now();",
        );
        fires(
            &RULE,
            "ALTER TABLE users ADD COLUMN c int DEFAULT abs(f());",
        );
        // squawk's documentation example: a stored generated column.
        fires(
            &RULE,
            r#"ALTER TABLE "core_recipe" ADD COLUMN "foo" integer GENERATED ALWAYS as ("bar" + "baz") STORED;"#,
        );
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
        // STABLE / IMMUTABLE built-ins and SQL syntax that looks like a call.
        quiet(
            &RULE,
            "ALTER TABLE users ADD COLUMN a timestamptz DEFAULT CURRENT_TIMESTAMP(3), ADD b text DEFAULT lower('X')::varchar(10), ADD c int DEFAULT coalesce(NULL, 1), ADD d numeric DEFAULT CAST(1 AS numeric(10, 2)), ADD e date DEFAULT pg_catalog.now()::date;",
        );
        // squawk's documentation example: a constant default.
        quiet(
            &RULE,
            r#"ALTER TABLE "core_recipe" ADD COLUMN "foo" integer DEFAULT 10 NOT NULL;"#,
        );
    }
}
