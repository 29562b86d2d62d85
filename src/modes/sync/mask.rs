//! Masking rules (`mask` input), one per line:
//!
//! ```text
//! # comment
//! users.email: fake-email
//! public.users.phone: fixed:000-0000
//! users.ssn: null
//! billing.cards.holder: hash
//! ```
//!
//! Masked tables are never dumped by pg_dump. Their rows travel as
//! `COPY (SELECT <masked expressions> FROM t) TO STDOUT` run in the dump's snapshot, piped
//! into `COPY t FROM STDIN` on staging: the raw values leave production only as the
//! masked expressions' results, and never touch the runner's disk or the target.

use super::catalog::{quote_ident, quote_literal, Column};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaskKind {
    Null,
    Fixed(String),
    Hash,
    FakeEmail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskRule {
    /// 1-based line in the `mask` input.
    pub line: usize,
    pub schema: Option<String>,
    pub table: String,
    pub column: String,
    pub kind: MaskKind,
}

impl MaskRule {
    pub fn target(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}.{}", self.table, self.column),
            None => format!("{}.{}", self.table, self.column),
        }
    }
}

fn line_error(line: usize, message: impl Into<String>) -> Error {
    Error::input("mask", format!("line {line}: {}", message.into()))
}

pub fn parse_mask_rules(text: &str) -> Result<Vec<MaskRule>> {
    let mut rules: Vec<MaskRule> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (key, rule) = content.split_once(':').ok_or_else(|| {
            line_error(
                line,
                format!("`{content}` has no rule: write `table.column: null | fixed:<value> | hash | fake-email`"),
            )
        })?;
        let parts: Vec<&str> = key.trim().split('.').map(str::trim).collect();
        let (schema, table, column) = match parts.as_slice() {
            [t, c] => (None, *t, *c),
            [s, t, c] => (Some(s.to_string()), *t, *c),
            _ => {
                return Err(line_error(
                    line,
                    format!(
                        "`{}` is not `table.column` or `schema.table.column`",
                        key.trim()
                    ),
                ))
            }
        };
        if table.is_empty() || column.is_empty() || schema.as_deref() == Some("") {
            return Err(line_error(
                line,
                format!("`{}` has an empty name", key.trim()),
            ));
        }
        let rule = rule.trim();
        let kind = match rule {
            "null" => MaskKind::Null,
            "hash" => MaskKind::Hash,
            "fake-email" => MaskKind::FakeEmail,
            _ => match rule.strip_prefix("fixed:") {
                Some(value) => MaskKind::Fixed(value.trim().to_string()),
                None => {
                    return Err(line_error(
                        line,
                        format!(
                            "unknown rule `{rule}`: use null, fixed:<value>, hash or fake-email"
                        ),
                    ))
                }
            },
        };
        let rule = MaskRule {
            line,
            schema,
            table: table.to_string(),
            column: column.to_string(),
            kind,
        };
        if let Some(previous) = rules.iter().find(|r| r.target() == rule.target()) {
            return Err(line_error(
                line,
                format!(
                    "`{}` is already masked on line {}",
                    rule.target(),
                    previous.line
                ),
            ));
        }
        rules.push(rule);
    }
    Ok(rules)
}

fn is_text_type(type_sql: &str) -> bool {
    let t = type_sql.to_ascii_lowercase();
    t == "text"
        || t.starts_with("character varying")
        || t.starts_with("character(")
        || t == "character"
        || t.ends_with("citext")
        || t == "name"
}

/// Length limit of `varchar(n)` / `char(n)` columns, so a hash fits.
fn type_length(type_sql: &str) -> Option<usize> {
    let open = type_sql.find('(')?;
    let close = type_sql.find(')')?;
    type_sql[open + 1..close].trim().parse().ok()
}

/// Check a rule against its column; the error names the rule's line.
pub fn check_rule(rule: &MaskRule, column: &Column) -> Result<()> {
    match &rule.kind {
        MaskKind::Null if column.not_null => Err(line_error(
            rule.line,
            format!(
                "`{}` is NOT NULL, so it cannot be masked to null; use fixed:<value>, hash or fake-email",
                rule.target()
            ),
        )),
        MaskKind::Hash | MaskKind::FakeEmail if !is_text_type(&column.type_sql) => Err(line_error(
            rule.line,
            format!(
                "`{}` is of type {}; hash and fake-email need a text column (use null or fixed:<value>)",
                rule.target(),
                column.type_sql
            ),
        )),
        _ if column.generated => Err(line_error(
            rule.line,
            format!("`{}` is a generated column: mask the columns it is computed from", rule.target()),
        )),
        _ => Ok(()),
    }
}

/// Hex characters of the digest a rule keeps in `type_sql` (`None`: no digest).
pub fn digest_room(kind: &MaskKind, type_sql: &str) -> Option<usize> {
    match kind {
        MaskKind::Hash => Some(type_length(type_sql).unwrap_or(64).min(64)),
        MaskKind::FakeEmail => Some(
            type_length(type_sql)
                .unwrap_or(35)
                .saturating_sub(19)
                .clamp(1, 16),
        ),
        MaskKind::Null | MaskKind::Fixed(_) => None,
    }
}

/// Below this many hex characters (64 bits) masked values of a unique column may collide.
pub const UNIQUE_ROOM: usize = 16;

/// A rule on a column that must stay unique: refused when its masked values could collide
/// (too short a column for the digest, or one fixed value for every row).
pub fn check_unique(rule: &MaskRule, column: &Column) -> Result<()> {
    let why = match (&rule.kind, digest_room(&rule.kind, &column.type_sql)) {
        (MaskKind::Fixed(_), _) => "gives every row the same value".to_string(),
        (_, Some(room)) if room < UNIQUE_ROOM => format!(
            "keeps only {room} hex character{} of the hash in a {} column, so masked values would collide",
            if room == 1 { "" } else { "s" },
            column.type_sql
        ),
        _ => return Ok(()),
    };
    Err(line_error(
        rule.line,
        format!(
            "`{}` is unique, and this rule {why}. Use `hash` or `fake-email` on a column of at least {} characters ({} for fake-email), `null`, or exclude the table's data",
            rule.target(),
            UNIQUE_ROOM,
            UNIQUE_ROOM + 19
        ),
    ))
}

/// The SQL expression that replaces `column` in the masked `SELECT`. `salt` is random per
/// run: a hash is stable within one sync (joins and uniqueness hold) but cannot be
/// reversed by hashing guesses.
pub fn expression(kind: &MaskKind, column: &Column, salt: &str) -> String {
    let col = quote_ident(&column.name);
    let ty = &column.type_sql;
    let digest = |len: usize| {
        format!(
            "left(encode(sha256(convert_to({} || {col}::text, 'UTF8')), 'hex'), {len})",
            quote_literal(salt)
        )
    };
    match kind {
        MaskKind::Null => format!("CAST(NULL AS {ty})"),
        MaskKind::Fixed(value) => format!(
            "CASE WHEN {col} IS NULL THEN NULL ELSE CAST({} AS {ty}) END",
            quote_literal(value)
        ),
        MaskKind::Hash => {
            let len = digest_room(kind, ty).unwrap_or(64);
            format!(
                "CASE WHEN {col} IS NULL THEN NULL ELSE CAST({} AS {ty}) END",
                digest(len)
            )
        }
        MaskKind::FakeEmail => {
            // user_<16 hex>@example.invalid = 35 characters; shorter columns get a shorter
            // hash (refused on unique columns: see check_unique).
            let room = digest_room(kind, ty).unwrap_or(16);
            format!(
                "CASE WHEN {col} IS NULL THEN NULL ELSE CAST('user_' || {} || '@example.invalid' AS {ty}) END",
                digest(room)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_columns_refuse_rules_that_would_collide() {
        let rule = |kind: MaskKind| MaskRule {
            line: 2,
            schema: None,
            table: "users".into(),
            column: "email".into(),
            kind,
        };
        let short = col("email", "character varying(20)", true);
        let e = check_unique(&rule(MaskKind::FakeEmail), &short)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2")
                && e.contains("keeps only 1 hex character")
                && e.contains("at least 16"),
            "{e}"
        );
        assert!(
            check_unique(&rule(MaskKind::Hash), &short).is_ok(),
            "20 hex characters fit"
        );
        assert!(check_unique(&rule(MaskKind::FakeEmail), &col("email", "text", true)).is_ok());
        assert!(check_unique(
            &rule(MaskKind::FakeEmail),
            &col("email", "character varying(35)", true)
        )
        .is_ok());
        let e = check_unique(
            &rule(MaskKind::Fixed("x".into())),
            &col("email", "text", true),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("gives every row the same value"), "{e}");
    }

    fn col(name: &str, ty: &str, not_null: bool) -> Column {
        Column {
            name: name.into(),
            type_sql: ty.into(),
            not_null,
            generated: false,
        }
    }

    #[test]
    fn parses_rules_with_comments_and_schemas() {
        let rules = parse_mask_rules(
            "# PII\nusers.email: fake-email\n\npublic.users.phone: fixed: 000-0000\nusers.ssn:null\ncards.holder: hash\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 4);
        assert_eq!(rules[0].line, 2);
        assert_eq!(rules[0].kind, MaskKind::FakeEmail);
        assert_eq!(rules[1].schema.as_deref(), Some("public"));
        assert_eq!(rules[1].kind, MaskKind::Fixed("000-0000".into()));
        assert_eq!(rules[2].kind, MaskKind::Null);
        assert_eq!(rules[3].kind, MaskKind::Hash);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_mask_rules("users.email: fake-email\nusers.phone: scramble\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("input `mask`: line 2:") && e.contains("scramble"),
            "{e}"
        );
        let e = parse_mask_rules("\n\nemail fake-email")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
        let e = parse_mask_rules("a.b.c.d: null").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        let e = parse_mask_rules("u.e: null\nu.e: hash")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn rules_are_checked_against_the_column() {
        let rule = parse_mask_rules("users.id: hash").unwrap().remove(0);
        let e = check_rule(&rule, &col("id", "bigint", true))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("bigint"), "{e}");
        let rule = parse_mask_rules("\nusers.email: null").unwrap().remove(0);
        let e = check_rule(&rule, &col("email", "text", true))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("NOT NULL"), "{e}");
        assert!(check_rule(&rule, &col("email", "text", false)).is_ok());
    }

    #[test]
    fn expressions_keep_nulls_and_fit_the_type() {
        let e = expression(
            &MaskKind::FakeEmail,
            &col("email", "character varying(30)", false),
            "s",
        );
        assert!(
            e.contains("left(encode(sha256(") && e.contains(", 11)"),
            "{e}"
        );
        assert!(e.contains("AS character varying(30)"), "{e}");
        let e = expression(
            &MaskKind::Fixed("it's".into()),
            &col("note", "text", false),
            "s",
        );
        assert!(e.contains("'it''s'"), "{e}");
        assert_eq!(
            expression(&MaskKind::Null, &col("x", "text", false), "s"),
            "CAST(NULL AS text)"
        );
    }
}
