//! require-table-schema (squawk's id; opt-in there, off here)

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};
use crate::sql::words::View;

pub static RULE: Rule = Rule {
    id: "require-table-schema",
    default: Severity::Off,
    why: "An unqualified table name is resolved through search_path, so the same migration can act on a different table depending on the session's settings.",
    help: "Qualify table names with their schema (public.posts) in CREATE / ALTER / DROP TABLE.",
    check: Check::Stmt(check),
};

/// Token indexes of the table names the statement defines or changes.
fn table_names(v: &View) -> Vec<usize> {
    if v.is(0, "CREATE") {
        let opts: &[&[&str]] = &[&["GLOBAL"], &["LOCAL"], &["UNLOGGED"]];
        let i = v.skip(1, opts);
        // Temporary tables live in their own schema (pg_temp): no schema to give.
        if v.is(i, "TEMP") || v.is(i, "TEMPORARY") || !v.is(i, "TABLE") {
            return Vec::new();
        }
        return vec![v.skip(i + 1, &[&["IF", "NOT", "EXISTS"]])];
    }
    if v.starts(&["ALTER", "TABLE"]) {
        return vec![v.skip(2, &[&["IF", "EXISTS"], &["ONLY"]])];
    }
    if v.starts(&["DROP", "TABLE"]) {
        let i = v.skip(2, &[&["IF", "EXISTS"]]);
        let mut out = Vec::new();
        let mut j = i;
        while let Some((_, next)) = v.name_at(j) {
            out.push(j);
            if !matches!(v.tok(next), Some(sqlparser::tokenizer::Token::Comma)) {
                break;
            }
            j = next + 1;
        }
        return out;
    }
    Vec::new()
}

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    for i in table_names(v) {
        if let Some((name, j)) = v.name_at(i) {
            if name.schema.is_none() {
                out.push(Hit {
                    stmt: s.index,
                    span: v.span(i, j - 1),
                    message: format!("table `{name}` has no schema: it is found through search_path (write e.g. public.{name})"),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(&RULE, "create table posts(id bigint);");
        fires(&RULE, "alter table posts add column name text;");
        fires(&RULE, "drop table posts;");
        fires(&RULE, "create table posts as select 1;");
        fires(&RULE, "DROP TABLE IF EXISTS public.a, b;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "create table public.posts(id bigint);");
        quiet(&RULE, "alter table public.posts add column name text;");
        quiet(&RULE, "drop table public.posts;");
        quiet(&RULE, "create table public.posts as select 1;");
        quiet(&RULE, "CREATE TEMP TABLE tmp (id int) ON COMMIT DROP;");
        quiet(&RULE, "CREATE TEMPORARY TABLE tmp AS SELECT 1;");
    }
}
