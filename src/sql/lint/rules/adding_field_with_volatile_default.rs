//! adding-field-with-volatile-default

use crate::sql::catalog::ProVolatile;
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
            c.default.and_then(|(a, e)| {
                calls_in(v, a, e)
                    .into_iter()
                    .find_map(|f| judge_call(s, &f))
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

/// Why a call makes the default volatile, or `None`. Asked in order: the run's own
/// `CREATE FUNCTION` (a catalog read before the migrations does not have it), the
/// database's catalog when there is one, then our list of built-ins; what none of
/// them knows counts as volatile, as squawk does.
fn judge_call(s: &StmtInfo, f: &str) -> Option<String> {
    let volatile = |vol: ProVolatile, by: &str| {
        (vol == ProVolatile::Volatile)
            .then(|| format!("a volatile default ({f}(); judged with {by}: {f}() is VOLATILE)"))
    };
    if let Some((_, vol)) = s.target.functions.iter().find(|(n, _)| n == f) {
        return volatile(*vol, "this PR's own CREATE FUNCTION");
    }
    if let Some(c) = s.catalog {
        if let Some(vol) = c.function(f) {
            return volatile(vol, &c.source);
        }
    }
    match (judge(f), s.catalog) {
        (Volatility::NonVolatile, _) => None,
        (Volatility::Volatile, _) => Some(format!("a volatile default ({f}())")),
        (Volatility::Unknown, Some(c)) => Some(format!(
            "a default that may be volatile (judged with {}: it has no function {f}(), which counts as volatile)",
            c.source
        )),
        (Volatility::Unknown, None) => Some(format!(
            "a default that may be volatile (judged without a catalog: unknown function {f}() counts as volatile)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::catalog::Catalog;
    use crate::sql::lint::testing::{fires, quiet};
    use crate::sql::{analyze_judged, LintConfig, SourceFile};

    fn judged(catalog: &Catalog, sql: &str) -> Vec<String> {
        let a = analyze_judged(
            &[SourceFile {
                path: "migrations/1.sql".into(),
                bytes: sql.as_bytes().to_vec(),
                metadata: None,
                format: None,
            }],
            &LintConfig::only(RULE.id),
            catalog,
        );
        a.files[0]
            .findings
            .iter()
            .map(|x| x.message.clone())
            .collect()
    }

    #[test]
    fn with_a_catalog() {
        let c = Catalog::parse(
            "the branch's catalog",
            "NG_F\tpublic\tmy_fn\tv\nNG_F\tpublic\tpure_fn\ti\nNG_T\tpublic\tt\t8192\t10\n",
        );
        let f = judged(&c, "ALTER TABLE t ADD COLUMN c int DEFAULT my_fn();");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("judged with the branch's catalog: my_fn() is VOLATILE")
                && f[0].contains("(table public.t: 8.0 kB, ~10 rows in the branch's catalog)"),
            "{f:?}"
        );
        assert!(judged(&c, "ALTER TABLE t ADD COLUMN c int DEFAULT pure_fn();").is_empty());
        let f = judged(&c, "ALTER TABLE t ADD COLUMN c int DEFAULT gone();");
        assert!(f[0].contains("it has no function gone()"), "{f:?}");
        // The PR's own definition wins over the catalog's (taken before it ran).
        assert!(judged(
            &c,
            "CREATE OR REPLACE FUNCTION my_fn() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1';\nALTER TABLE t ADD COLUMN c int DEFAULT my_fn();"
        )
        .is_empty());
    }

    #[test]
    fn the_runs_own_functions_without_a_catalog() {
        quiet(&RULE, "CREATE FUNCTION f() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$; ALTER TABLE users ADD COLUMN c int DEFAULT f();");
        let f = crate::sql::lint::testing::findings(&RULE, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; ALTER TABLE users ADD COLUMN c int DEFAULT f();");
        assert!(
            f[0].contains("this PR's own CREATE FUNCTION: f() is VOLATILE"),
            "{f:?}"
        );
    }

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
