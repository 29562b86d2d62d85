//! Column types a statement declares, for the type-choice rules (ban-char-field,
//! prefer-text-field, prefer-bigint-*, prefer-identity, prefer-timestamptz).
//!
//! Like squawk, the places looked at are the columns of `CREATE TABLE`,
//! `ALTER TABLE … ADD COLUMN` and `ALTER TABLE … ALTER COLUMN … TYPE`. Read
//! from tokens (sqlparser rejects a lot of valid Postgres DDL).

use sqlparser::tokenizer::Token;

use super::alter::{actions, Action};
use super::{Hit, StmtInfo};
use crate::sql::words::{ObjName, View};

/// One declared column type.
#[derive(Debug, Clone)]
pub struct ColType {
    /// Token range of the type in the view (end exclusive).
    pub start: usize,
    pub end: usize,
    /// The type's words outside parentheses and brackets, lower case, without
    /// a schema: `varchar`, `character varying`, `timestamp with time zone`.
    pub name: String,
    /// Has a `(…)` modifier: `varchar(100)`, `timestamp(3)`.
    pub args: bool,
}

/// Words that end a type inside a column definition: a column constraint's first word,
/// or a column option of CREATE TABLE / ALTER COLUMN TYPE.
fn ends_type(v: &View, k: usize) -> bool {
    super::alter::COLUMN_CONSTRAINT_START
        .iter()
        .chain(&["USING", "COMPRESSION", "STORAGE"])
        .any(|x| v.is(k, x))
}

/// Items of a `CREATE TABLE` body that are not columns.
const TABLE_ITEM: &[&str] = &[
    "CONSTRAINT",
    "CHECK",
    "UNIQUE",
    "PRIMARY",
    "FOREIGN",
    "EXCLUDE",
    "LIKE",
];

/// Index of the `(` opening the column list of
/// `CREATE [GLOBAL|LOCAL] [TEMP|UNLOGGED] TABLE [IF NOT EXISTS] name (`.
fn create_table_paren(v: &View) -> Option<usize> {
    if !v.is(0, "CREATE") {
        return None;
    }
    let opts: &[&[&str]] = &[
        &["GLOBAL"],
        &["LOCAL"],
        &["TEMP"],
        &["TEMPORARY"],
        &["UNLOGGED"],
    ];
    let i = v.skip(1, opts);
    if !v.is(i, "TABLE") {
        return None;
    }
    let (_, j) = v.name_at(v.skip(i + 1, &[&["IF", "NOT", "EXISTS"]]))?;
    matches!(v.tok(j), Some(Token::LParen)).then_some(j)
}

/// Column definitions of a `CREATE TABLE` body: token ranges (end
/// exclusive), each starting at the column's name.
pub fn create_table_columns(v: &View) -> Vec<(usize, usize)> {
    let Some(open) = create_table_paren(v) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let (mut depth, mut start) = (0i32, open + 1);
    for i in open + 1..v.len() {
        match v.tok(i) {
            Some(Token::LParen | Token::LBracket) => depth += 1,
            Some(Token::RParen) if depth == 0 => {
                items.push((start, i));
                break;
            }
            Some(Token::RParen | Token::RBracket) => depth -= 1,
            Some(Token::Comma) if depth == 0 => {
                items.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    items
        .into_iter()
        .filter(|&(a, b)| a < b && !TABLE_ITEM.iter().any(|k| v.is(a, k)))
        .collect()
}

/// The type starting at `i`, up to the first column-constraint word or `b`.
fn type_at(v: &View, i: usize, b: usize) -> Option<ColType> {
    let (mut depth, mut k) = (0i32, i);
    let mut words = Vec::new();
    let mut args = false;
    while k < b {
        match v.tok(k)? {
            Token::LParen | Token::LBracket => {
                args |= depth == 0 && matches!(v.tok(k), Some(Token::LParen));
                depth += 1;
            }
            Token::RParen | Token::RBracket => depth -= 1,
            Token::Word(w) if depth == 0 => {
                if w.quote_style.is_none() && ends_type(v, k) {
                    break;
                }
                // `pg_catalog.int4`: the schema is not part of the name.
                // A quoted "char" is Postgres' one-byte internal type, not character(1).
                if w.quote_style.is_some() && w.value == "char" {
                    words.push("\"char\"".to_string());
                } else if !matches!(v.tok(k + 1), Some(Token::Period)) {
                    words.push(ObjName::norm(&w.value, w.quote_style.is_some()));
                }
            }
            _ => {}
        }
        k += 1;
    }
    (k > i && !words.is_empty()).then(|| ColType {
        start: i,
        end: k,
        name: words.join(" "),
        args,
    })
}

/// Every column type the statement declares.
pub fn column_types(v: &View) -> Vec<ColType> {
    let mut out: Vec<ColType> = create_table_columns(v)
        .into_iter()
        .filter_map(|(a, b)| type_at(v, a + 1, b))
        .collect();
    for a in actions(v) {
        let (x, y) = a.range;
        let at = match a.action {
            Action::AddColumn(_) => v.skip(x + 1, &[&["COLUMN"], &["IF", "NOT", "EXISTS"]]) + 1,
            Action::AlterColumnType => match (x..y).find(|&i| v.is(i, "TYPE")) {
                Some(i) => i + 1,
                None => continue,
            },
            _ => continue,
        };
        out.extend(type_at(v, at, y));
    }
    out
}

/// Report every declared type `judge` objects to (its message).
pub fn check_types(s: &StmtInfo, out: &mut Vec<Hit>, judge: impl Fn(&ColType) -> Option<String>) {
    for t in column_types(&s.view) {
        if let Some(message) = judge(&t) {
            out.push(Hit {
                stmt: s.index,
                span: s.view.span(t.start, t.end - 1),
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lexer::lex;

    fn names(sql: &str) -> Vec<(String, bool)> {
        let l = lex(sql, 0, sql.len(), 1);
        let v = View::new(&l.tokens);
        column_types(&v)
            .into_iter()
            .map(|t| (t.name, t.args))
            .collect()
    }

    #[test]
    fn reads_types() {
        assert_eq!(
            names("CREATE TABLE IF NOT EXISTS s.t (id bigint PRIMARY KEY, n varchar(10) NOT NULL, ts timestamp(3) with time zone, a int[], CONSTRAINT c CHECK (id > 0), x pg_catalog.int4)"),
            vec![
                ("bigint".into(), false),
                ("varchar".into(), true),
                ("timestamp with time zone".into(), true),
                ("int".into(), false),
                ("int4".into(), false),
            ]
        );
        assert_eq!(
            names("ALTER TABLE t ADD COLUMN IF NOT EXISTS c character varying(5) DEFAULT 'x', ALTER COLUMN d SET DATA TYPE timestamp USING d::timestamp, ALTER e TYPE \"char\""),
            vec![
                ("character varying".into(), true),
                ("timestamp".into(), false),
                ("\"char\"".into(), false),
            ]
        );
        assert!(names("CREATE TABLE t AS SELECT 1").is_empty());
        assert!(names("CREATE TABLE p PARTITION OF t FOR VALUES IN (1)").is_empty());
    }
}
