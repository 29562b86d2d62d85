//! Objects created earlier in the same run are "new": nobody else can be
//! using them, so lock and rewrite rules must not fire on them (the most
//! common complaint about squawk is findings on tables that did not exist
//! yet). The context lives across all files of one `analyze` call, in order.

use std::collections::HashMap;

use super::catalog::ProVolatile;
use super::lint::volatility::default_functions;
use super::words::{ObjName, View};

#[derive(Debug, Default)]
pub struct Context {
    /// name → schemas it was created in (None = unqualified).
    tables: HashMap<String, Vec<Option<String>>>,
    indexes: HashMap<String, Vec<Option<String>>>,
    /// Functions the run's own `CREATE FUNCTION`s define: a catalog taken before the
    /// migrations run does not have them, and the PR's definition replaces the old one.
    functions: HashMap<String, Vec<(Option<String>, ProVolatile)>>,
}

/// The object a statement acts on, and whether this run created it.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub table: Option<ObjName>,
    pub is_new: bool,
    /// Functions this statement's column defaults call that the run created earlier,
    /// with the volatility their `CREATE FUNCTION` declares.
    pub functions: Vec<(String, ProVolatile)>,
}

fn has(map: &HashMap<String, Vec<Option<String>>>, n: &ObjName) -> bool {
    map.get(&n.name).is_some_and(|schemas| {
        schemas.iter().any(|s| match (s, &n.schema) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
    })
}

fn add(map: &mut HashMap<String, Vec<Option<String>>>, n: ObjName) {
    map.entry(n.name).or_default().push(n.schema);
}

fn remove(map: &mut HashMap<String, Vec<Option<String>>>, n: &ObjName) {
    map.remove(&n.name);
}

/// Names of a comma-separated list at `i` (DROP TABLE a, b CASCADE).
fn names(v: &View, mut i: usize) -> Vec<ObjName> {
    let mut out = Vec::new();
    while let Some((n, j)) = v.name_at(i) {
        out.push(n);
        if matches!(v.tok(j), Some(sqlparser::tokenizer::Token::Comma)) {
            i = j + 1;
        } else {
            break;
        }
    }
    out
}

impl Context {
    pub fn is_new_table(&self, n: &ObjName) -> bool {
        has(&self.tables, n)
    }

    /// A function the run created, called as `name` or `schema.name`.
    fn created_function(&self, called: &str) -> Option<ProVolatile> {
        let (schema, name) = match called.rsplit_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, called),
        };
        let found = self.functions.get(name)?;
        // The latest definition wins (CREATE OR REPLACE).
        found
            .iter()
            .rev()
            .find(|(s, _)| match (s, schema) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            })
            .map(|(_, v)| *v)
    }

    /// `CREATE [OR REPLACE] FUNCTION name(…) … IMMUTABLE | STABLE | VOLATILE`
    /// (VOLATILE when it says nothing, as Postgres defaults).
    fn observe_function(&mut self, v: &View, i: usize) {
        let Some((n, j)) = v.name_at(i) else { return };
        let vol = (j..v.len())
            .find_map(|k| match v.kw(k).map(str::to_ascii_uppercase).as_deref() {
                Some("IMMUTABLE") => Some(ProVolatile::Immutable),
                Some("STABLE") => Some(ProVolatile::Stable),
                Some("VOLATILE") => Some(ProVolatile::Volatile),
                _ => None,
            })
            .unwrap_or(ProVolatile::Volatile);
        self.functions
            .entry(n.name)
            .or_default()
            .push((n.schema, vol));
    }

    /// Work out the statement's target, then record what it creates.
    pub fn observe(&mut self, v: &View) -> Target {
        let mut t = Target::default();
        if v.starts(&["ALTER", "TABLE"]) {
            // Only when the run defines functions: the common case pays nothing.
            if !self.functions.is_empty() {
                t.functions = default_functions(v)
                    .into_iter()
                    .filter_map(|f| self.created_function(&f).map(|vol| (f, vol)))
                    .collect();
            }
            let i = v.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]);
            if let Some((n, j)) = v.name_at(i) {
                t.is_new = has(&self.tables, &n);
                // ALTER TABLE new RENAME TO newer: still new.
                if t.is_new && v.seq_at(j, &["RENAME", "TO"]) {
                    if let Some((to, _)) = v.name_at(j + 2) {
                        add(&mut self.tables, to);
                    }
                }
                t.table = Some(n);
            }
        } else if v.starts(&["CREATE"]) {
            let i = v.skip(
                1,
                &[
                    &["OR", "REPLACE"],
                    &["UNIQUE"],
                    &["GLOBAL"],
                    &["LOCAL"],
                    &["TEMP"],
                    &["TEMPORARY"],
                    &["UNLOGGED"],
                ],
            );
            if v.is(i, "FUNCTION") {
                self.observe_function(v, i + 1);
            } else if v.is(i, "INDEX") {
                let mut j = v.skip(i + 1, &[&["CONCURRENTLY"], &["IF", "NOT", "EXISTS"]]);
                let mut index = None;
                if !v.is(j, "ON") {
                    if let Some((n, k)) = v.name_at(j) {
                        index = Some(n);
                        j = k;
                    }
                }
                if v.is(j, "ON") {
                    if let Some((n, _)) = v.name_at(v.skip(j + 1, &[&["ONLY"]])) {
                        t.is_new = has(&self.tables, &n);
                        t.table = Some(n);
                    }
                }
                if let Some(ix) = index {
                    add(&mut self.indexes, ix);
                }
            } else if v.is(i, "TABLE") || v.seq_at(i, &["MATERIALIZED", "VIEW"]) {
                let k = if v.is(i, "TABLE") { i + 1 } else { i + 2 };
                let k = v.skip(k, &[&["IF", "NOT", "EXISTS"]]);
                if let Some((n, _)) = v.name_at(k) {
                    add(&mut self.tables, n);
                }
            }
        } else if v.starts(&["DROP", "TABLE"]) || v.starts(&["TRUNCATE"]) {
            let i = if v.is(0, "DROP") { 2 } else { 1 };
            let i = v.skip(i, &[&["IF", "EXISTS"], &["TABLE"], &["ONLY"]]);
            let ns = names(v, i);
            t.is_new = !ns.is_empty() && ns.iter().all(|n| has(&self.tables, n));
            if v.is(0, "DROP") {
                ns.iter().for_each(|n| remove(&mut self.tables, n));
            }
            t.table = ns.into_iter().next();
        } else if v.starts(&["DROP", "INDEX"]) {
            let i = v.skip(2, &[&["CONCURRENTLY"], &["IF", "EXISTS"]]);
            let ns = names(v, i);
            t.is_new = !ns.is_empty() && ns.iter().all(|n| has(&self.indexes, n));
            ns.iter().for_each(|n| remove(&mut self.indexes, n));
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn obs(c: &mut Context, sql: &str) -> Target {
        let l = lex(sql, 0, sql.len(), 1);
        c.observe(&View::new(&l.tokens))
    }

    #[test]
    fn tracks_new_tables_and_indexes() {
        let mut c = Context::default();
        assert!(!obs(&mut c, "ALTER TABLE users ADD COLUMN a int;").is_new);
        obs(
            &mut c,
            "CREATE TABLE IF NOT EXISTS public.\"Users\" (id int);",
        );
        assert!(obs(&mut c, "ALTER TABLE \"Users\" ADD COLUMN a int;").is_new);
        assert!(!obs(&mut c, "ALTER TABLE users ADD COLUMN a int;").is_new);
        assert!(obs(&mut c, "CREATE INDEX ix ON ONLY public.\"Users\" (a);").is_new);
        assert!(obs(&mut c, "DROP INDEX ix;").is_new);
        assert!(obs(&mut c, "ALTER TABLE \"Users\" RENAME TO people;").is_new);
        assert!(obs(&mut c, "ALTER TABLE people ADD COLUMN b int;").is_new);
        assert!(obs(&mut c, "DROP TABLE people;").is_new);
        assert!(!obs(&mut c, "ALTER TABLE people ADD COLUMN b int;").is_new);
    }

    #[test]
    fn reads_the_runs_own_functions() {
        let mut c = Context::default();
        obs(
            &mut c,
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;",
        );
        obs(
            &mut c,
            "CREATE OR REPLACE FUNCTION s.g() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;",
        );
        let t = obs(&mut c, "ALTER TABLE t ADD COLUMN a int DEFAULT f(), ADD b int DEFAULT s.g(), ADD c int DEFAULT h();");
        assert_eq!(
            t.functions,
            [
                ("f".to_string(), ProVolatile::Immutable),
                ("s.g".to_string(), ProVolatile::Volatile)
            ]
        );
        obs(
            &mut c,
            "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';",
        );
        let t = obs(&mut c, "ALTER TABLE t ADD COLUMN a int DEFAULT f();");
        assert_eq!(t.functions, [("f".to_string(), ProVolatile::Stable)]);
    }
}
