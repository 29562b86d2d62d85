//! Objects created earlier in the same run are "new": nobody else can be
//! using them, so lock and rewrite rules must not fire on them (the most
//! common complaint about squawk is findings on tables that did not exist
//! yet). The context lives across all files of one `analyze` call, in order.

use std::collections::HashMap;

use super::words::{ObjName, View};

#[derive(Debug, Default)]
pub struct Context {
    /// name → schemas it was created in (None = unqualified).
    tables: HashMap<String, Vec<Option<String>>>,
    indexes: HashMap<String, Vec<Option<String>>>,
}

/// The object a statement acts on, and whether this run created it.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub table: Option<ObjName>,
    pub is_new: bool,
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

    /// Work out the statement's target, then record what it creates.
    pub fn observe(&mut self, v: &View) -> Target {
        let mut t = Target::default();
        if v.starts(&["ALTER", "TABLE"]) {
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
            if v.is(i, "INDEX") {
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
}
