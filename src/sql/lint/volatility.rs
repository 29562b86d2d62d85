//! Is a column DEFAULT volatile? (Postgres 11+ adds a column with a
//! non-volatile default without rewriting the table; a volatile one rewrites.)
//!
//! Judged without a database catalog: a function is non-volatile only when it
//! is a built-in we know to be STABLE or IMMUTABLE (the list below, taken from
//! pg_proc). Anything else, a user or extension function included, counts as
//! volatile, as squawk does. [`default_functions`] lists the functions a
//! statement's defaults call, so a caller that has a database can ask pg_proc
//! for their `provolatile` instead.

use std::collections::HashSet;
use std::sync::OnceLock;

use sqlparser::tokenizer::Token;

use super::alter::{actions, Action};
use crate::sql::words::{ObjName, View};

/// Known volatile functions people put in defaults (built-ins and common
/// extensions), named as such in findings.
const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "setseed",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "gen_random_bytes",
    "clock_timestamp",
    "timeofday",
    "nextval",
];

/// Built-ins that are STABLE or IMMUTABLE in every overload (pg_proc of
/// PostgreSQL 18; `#` lines are comments).
const NON_VOLATILE_LIST: &str = include_str!("non_volatile_functions.txt");

/// SQL syntax that looks like a call but is not a user function: keywords
/// followed by `(` and the SQL-standard spellings of non-volatile built-ins
/// (`CURRENT_TIMESTAMP(3)`, `COALESCE(…)`, `CAST(…)`).
const SYNTAX: &[&str] = &[
    "cast",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "extract",
    "row",
    "position",
    "substring",
    "trim",
    "overlay",
    "normalize",
    "treat",
    "collate",
    "array",
    "exists",
    "in",
    "and",
    "or",
    "not",
    "when",
    "then",
    "else",
    "case",
    "any",
    "all",
    "some",
    "values",
    "is",
    "between",
    "like",
    "ilike",
    "similar",
    "escape",
    "distinct",
    "current_timestamp",
    "current_time",
    "localtime",
    "localtimestamp",
    "json",
    "json_array",
    "json_object",
    "json_scalar",
    "json_serialize",
    "json_query",
    "json_value",
    "json_exists",
    "xmlelement",
    "xmlforest",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmlconcat",
    "xmlexists",
    "varying",
    "precision",
];

fn non_volatile() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        NON_VOLATILE_LIST
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .chain(SYNTAX.iter().copied())
            .collect()
    })
}

/// How a function called in a default is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Volatility {
    /// A built-in known to be STABLE or IMMUTABLE.
    NonVolatile,
    /// Known to be volatile.
    Volatile,
    /// Not known: counts as volatile (no catalog to ask).
    Unknown,
}

/// Judge a function by name (`name` or `schema.name`, as Postgres folds it).
pub fn judge(function: &str) -> Volatility {
    let (schema, name) = match function.rsplit_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, function),
    };
    if VOLATILE.contains(&name) {
        return Volatility::Volatile;
    }
    // Only pg_catalog (or no schema) holds the built-ins: public.now() is a
    // user's function.
    let builtin_schema = schema.is_none_or(|s| s == "pg_catalog");
    if builtin_schema && non_volatile().contains(name) {
        Volatility::NonVolatile
    } else {
        Volatility::Unknown
    }
}

/// Functions called in tokens `a..b`: each `name(` or `schema.name(` that is
/// not a type modifier (`::varchar(10)`, `CAST(x AS numeric(10, 2))`).
pub fn calls_in(v: &View, a: usize, b: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in a..b.min(v.len()) {
        let Some(Token::Word(w)) = v.tok(i) else {
            continue;
        };
        if !matches!(v.tok(i + 1), Some(Token::LParen)) {
            continue;
        }
        let name = ObjName::norm(&w.value, w.quote_style.is_some());
        let qualified = i >= 2 && matches!(v.tok(i - 1), Some(Token::Period));
        let before = if qualified {
            i.checked_sub(2)
        } else {
            i.checked_sub(1)
        };
        let prev = before.and_then(|p| v.tok(p));
        let is_type = matches!(prev, Some(Token::DoubleColon))
            || before.is_some_and(|p| p >= a && v.is(p, "AS"));
        if is_type {
            continue;
        }
        out.push(match (qualified, before.and_then(|p| v.tok(p))) {
            (true, Some(Token::Word(s))) => {
                format!(
                    "{}.{name}",
                    ObjName::norm(&s.value, s.quote_style.is_some())
                )
            }
            _ => name,
        });
    }
    out
}

/// Every function the `ADD COLUMN … DEFAULT` expressions of an `ALTER TABLE`
/// call, in order (empty for other statements). Pure: the hook for judging
/// with a real catalog (`pg_proc.provolatile`) later.
pub fn default_functions(v: &View) -> Vec<String> {
    actions(v)
        .into_iter()
        .filter_map(|a| match a.action {
            Action::AddColumn(c) => c.default,
            _ => None,
        })
        .flat_map(|(s, e)| calls_in(v, s, e))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lexer::lex;

    fn funcs(sql: &str) -> Vec<String> {
        let l = lex(sql, 0, sql.len(), 1);
        default_functions(&View::new(&l.tokens))
    }

    #[test]
    fn lists_default_calls() {
        assert_eq!(
            funcs("ALTER TABLE t SET LOGGED, ADD COLUMN c int DEFAULT f(), ADD d text DEFAULT lower(upper('x'))::varchar(10)"),
            ["f", "lower", "upper"]
        );
        assert_eq!(
            funcs("ALTER TABLE t ADD c numeric DEFAULT CAST(s.g(1) AS numeric(10, 2)) NOT NULL"),
            ["cast", "s.g"]
        );
        assert!(funcs("CREATE TABLE t (a int DEFAULT f())").is_empty());
    }

    #[test]
    fn judges() {
        assert_eq!(judge("now"), Volatility::NonVolatile);
        assert_eq!(judge("pg_catalog.now"), Volatility::NonVolatile);
        assert_eq!(judge("current_timestamp"), Volatility::NonVolatile);
        assert_eq!(judge("random"), Volatility::Volatile);
        assert_eq!(judge("public.now"), Volatility::Unknown);
        assert_eq!(judge("uuid"), Volatility::Unknown);
    }
}
