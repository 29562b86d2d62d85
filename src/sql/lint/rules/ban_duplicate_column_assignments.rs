//! ban-duplicate-column-assignments (squawk's id)
//!
//! Postgres rejects these at run time ("column specified more than once"),
//! so the migration fails in the runner instead of in review.

use std::collections::HashMap;

use sqlparser::tokenizer::Token;

use crate::sql::lint::types::create_table_columns;
use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};
use crate::sql::words::{ObjName, View};

pub static RULE: Rule = Rule {
    id: "ban-duplicate-column-assignments",
    default: Severity::Error,
    why: "Declaring or assigning the same column twice in one statement (CREATE TABLE, CREATE VIEW (…), INSERT (…), UPDATE … SET) is an error in Postgres: the migration fails when it runs.",
    help: "Remove the duplicate declaration or assignment (keep the one you mean).",
    check: Check::Stmt(check),
};

/// A column name at `i` (a plain or quoted word), as Postgres folds it.
fn col(v: &View, i: usize) -> Option<String> {
    match v.tok(i)? {
        Token::Word(w) => Some(ObjName::norm(&w.value, w.quote_style.is_some())),
        _ => None,
    }
}

/// Comma-separated names of the parenthesised list opening at `open`.
fn name_list(v: &View, open: usize) -> Vec<(String, usize, bool)> {
    let mut out = Vec::new();
    if !matches!(v.tok(open), Some(Token::LParen)) {
        return out;
    }
    let (mut depth, mut start) = (0i32, open + 1);
    for i in open + 1..v.len() {
        match v.tok(i) {
            Some(Token::LParen | Token::LBracket) => depth += 1,
            Some(Token::RParen) if depth == 0 => {
                push_item(v, start, i, &mut out);
                break;
            }
            Some(Token::RParen | Token::RBracket) => depth -= 1,
            Some(Token::Comma) if depth == 0 => {
                push_item(v, start, i, &mut out);
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// An item `name[.field|[i]]`: partial when it sets a field or element (two
/// of those on one column are allowed).
fn push_item(v: &View, a: usize, b: usize, out: &mut Vec<(String, usize, bool)>) {
    if let Some(n) = col(v, a) {
        out.push((n, a, b > a + 1));
    }
}

/// `UPDATE t [[AS] alias] SET a = …, (b, c) = …` up to FROM / WHERE / RETURNING.
fn update_targets(v: &View) -> Vec<(String, usize, bool)> {
    let Some(set) = v.find_seq(1, &["SET"]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, set + 1);
    let mut end = v.len();
    for i in set + 1..v.len() {
        match v.tok(i) {
            Some(Token::LParen | Token::LBracket) => depth += 1,
            Some(Token::RParen | Token::RBracket) => depth -= 1,
            Some(Token::Comma) if depth == 0 => {
                items(v, start, i, &mut out);
                start = i + 1;
            }
            _ if depth == 0 && ["FROM", "WHERE", "RETURNING"].iter().any(|k| v.is(i, k)) => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    items(v, start, end, &mut out);
    out
}

/// One SET item: `col[.f|[i]] = expr` or `(a, b) = …`.
fn items(v: &View, a: usize, b: usize, out: &mut Vec<(String, usize, bool)>) {
    if matches!(v.tok(a), Some(Token::LParen)) {
        out.extend(name_list(v, a));
        return;
    }
    let eq = (a..b).find(|&i| matches!(v.tok(i), Some(Token::Eq)));
    if let (Some(eq), Some(n)) = (eq, col(v, a)) {
        out.push((n, a, eq > a + 1));
    }
}

fn targets(v: &View) -> Vec<(String, usize, bool)> {
    if v.is(0, "UPDATE") {
        return update_targets(v);
    }
    if v.starts(&["INSERT", "INTO"]) {
        let Some((_, mut j)) = v.name_at(2) else {
            return Vec::new();
        };
        if v.is(j, "AS") {
            j += 2;
        }
        return name_list(v, j);
    }
    if v.is(0, "CREATE") {
        let opts: &[&[&str]] = &[
            &["OR", "REPLACE"],
            &["TEMP"],
            &["TEMPORARY"],
            &["RECURSIVE"],
            &["MATERIALIZED"],
        ];
        let i = v.skip(1, opts);
        if v.is(i, "VIEW") {
            let k = v.skip(i + 1, &[&["IF", "NOT", "EXISTS"]]);
            return match v.name_at(k) {
                Some((_, j)) => name_list(v, j),
                None => Vec::new(),
            };
        }
        return create_table_columns(v)
            .into_iter()
            .filter_map(|(a, _)| Some((col(v, a)?, a, false)))
            .collect();
    }
    Vec::new()
}

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    let mut seen: HashMap<String, Vec<(usize, bool)>> = HashMap::new();
    for (name, at, partial) in targets(v) {
        seen.entry(name).or_default().push((at, partial));
    }
    let mut dups: Vec<_> = seen
        .into_iter()
        .filter(|(_, xs)| xs.len() > 1 && !xs.iter().all(|x| x.1))
        .collect();
    dups.sort_by_key(|(_, xs)| xs[1].0);
    for (name, xs) in dups {
        out.push(Hit {
            stmt: s.index,
            span: v.span(xs[1].0, xs[1].0),
            message: format!(
                "column `{name}` is given more than once: Postgres rejects this statement"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "create table t(a int, a text);");
        fires(&RULE, "create view v (a, a) as select 1, 2;");
        fires(&RULE, "update t set a = 1, a = 2;");
        fires(&RULE, "UPDATE t SET (a, b) = (1, 2), \"a\" = 3 WHERE true;");
        fires(&RULE, "INSERT INTO t AS x (a, b, A) VALUES (1, 2, 3);");
        fires(&RULE, "UPDATE t SET a.f = 1, a = 2;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "create table t(a int);");
        quiet(&RULE, "create view v (a, b) as select 1, 2;");
        quiet(&RULE, "update t set a = 2;");
        quiet(
            &RULE,
            "CREATE TABLE t (a int, \"A\" int, CONSTRAINT c CHECK (a > 0), CHECK (a < 9));",
        );
        quiet(
            &RULE,
            "UPDATE t SET a[1] = 1, a[2] = 2 FROM u WHERE u.a = t.a AND u.a = 1;",
        );
        quiet(&RULE, "INSERT INTO t (a, b) SELECT a, a FROM u;");
    }
}
