//! Table patterns for `tables`, `exclude-tables` and `exclude-table-data`: `schema.table` or
//! `table` (any schema), with `*` and `?` wildcards, case-insensitive, separated by commas
//! or new lines. We expand them against the source's catalog ourselves and hand pg_dump
//! exact, quoted names, so there is one matching rule (ours) and it is unit-tested.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub raw: String,
    schema: Option<String>,
    table: String,
}

impl Pattern {
    pub fn matches(&self, schema: &str, table: &str) -> bool {
        self.schema.as_deref().is_none_or(|s| glob(s, schema)) && glob(&self.table, table)
    }
}

pub fn parse_patterns(input: &str, raw: &str) -> Result<Vec<Pattern>> {
    let mut out = Vec::new();
    for item in raw
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let parts: Vec<&str> = item.split('.').collect();
        let (schema, table) = match parts.as_slice() {
            [t] => (None, *t),
            [s, t] => (Some(*s), *t),
            _ => {
                return Err(Error::input(
                    input,
                    format!("`{item}` is not a table pattern: write `table` or `schema.table` (`*` and `?` are wildcards)"),
                ))
            }
        };
        if table.is_empty() || schema.is_some_and(str::is_empty) {
            return Err(Error::input(
                input,
                format!("`{item}` has an empty schema or table name"),
            ));
        }
        out.push(Pattern {
            raw: item.to_string(),
            schema: schema.map(|s| s.trim_matches('"').to_string()),
            table: table.trim_matches('"').to_string(),
        });
    }
    Ok(out)
}

/// `*` = any run of characters, `?` = one character; ASCII case-insensitive.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

pub fn any_matches(patterns: &[Pattern], schema: &str, table: &str) -> bool {
    patterns.iter().any(|p| p.matches(schema, table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*", "anything"));
        assert!(glob("audit_*", "audit_log"));
        assert!(glob("AUDIT_?og", "audit_log"));
        assert!(!glob("audit_*", "audits"));
        assert!(glob("*_log", "x_log"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("a*b*c", "axxbyyc"));
    }

    #[test]
    fn patterns_with_and_without_schema() {
        let p = parse_patterns("tables", "public.users, audit_*\n billing.* ").unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[0].matches("public", "users"));
        assert!(!p[0].matches("app", "users"));
        assert!(p[1].matches("app", "audit_log"));
        assert!(p[2].matches("billing", "invoices"));
        assert!(any_matches(&p, "billing", "x"));
        assert!(!any_matches(&p, "public", "orders"));
    }

    #[test]
    fn bad_patterns_name_the_input() {
        let e = parse_patterns("exclude-tables", "a.b.c")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`exclude-tables`") && e.contains("a.b.c"), "{e}");
        assert!(parse_patterns("tables", ".x").is_err());
    }
}
