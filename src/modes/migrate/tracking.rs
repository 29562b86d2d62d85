//! The tracking table: its name, the SQL that creates, reads and writes it, and the
//! advisory-lock key derived from it. Pure text generation; `psql.rs` runs it.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};

/// `schema.table`, both parts validated and quoted for SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingTable {
    pub schema: String,
    pub table: String,
}

impl TrackingTable {
    /// Parse the `tracking-table` input: `table` or `schema.table`, optionally quoted.
    pub fn parse(raw: &str) -> Result<TrackingTable> {
        let bad = |why: &str| Error::input("tracking-table", format!("`{raw}` {why}"));
        let parts = split_qualified(raw.trim()).ok_or_else(|| {
            bad("is not a table name: write `schema.table`, e.g. public.neon_gitops_migrations")
        })?;
        let (schema, table) = match parts.as_slice() {
            [t] => ("public".to_string(), t.clone()),
            [s, t] => (s.clone(), t.clone()),
            _ => return Err(bad("has more than two parts: write `schema.table`")),
        };
        if schema.len() > 63 || table.len() > 63 {
            return Err(bad("is longer than Postgres' 63-byte identifier limit"));
        }
        Ok(TrackingTable { schema, table })
    }

    /// `"schema"."table"`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }

    /// Session-level advisory lock key: the first 8 bytes of SHA-256 over the table's
    /// name, so two projects sharing a database with different tables do not block
    /// each other, and every run for the same table agrees on the key.
    pub fn lock_key(&self) -> i64 {
        let digest = Sha256::digest(format!("neon-gitops:{}", self.qualified()).as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(bytes)
    }

    pub fn create_sql(&self) -> String {
        let mut sql = String::new();
        if self.schema != "public" {
            sql.push_str(&format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n",
                quote_ident(&self.schema)
            ));
        }
        sql.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  id bigserial PRIMARY KEY,\n  version text NOT NULL UNIQUE,\n  checksum text NOT NULL,\n  applied_at timestamptz NOT NULL DEFAULT now(),\n  execution_ms bigint NOT NULL DEFAULT 0,\n  applied_by text,\n  run_url text,\n  status text NOT NULL DEFAULT 'applied'\n);\n",
            self.qualified()
        ));
        sql
    }

    /// An expression (over the table) that changes whenever a row is added, removed or
    /// edited. The apply session compares it with what planning saw, after taking the
    /// lock, so two runs can never both apply the same file.
    pub fn fingerprint_sql(&self) -> String {
        format!(
            "SELECT encode(sha256(convert_to(coalesce(string_agg(version || E'\\t' || checksum || E'\\t' || status, E'\\n' ORDER BY id), ''), 'UTF8')), 'hex') FROM {}",
            self.qualified()
        )
    }

    /// The fingerprint of a table with no rows (or no table yet).
    pub fn empty_fingerprint() -> String {
        hex(&Sha256::digest(b""))
    }

    /// Rows as one JSON array per line (`["version","checksum","status"]`): no separator
    /// a file name could contain can confuse the parser.
    pub fn rows_sql(&self) -> String {
        format!(
            "SELECT 'NG_ROW ' || json_build_array(version, checksum, status, execution_ms, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))::text FROM {} ORDER BY id",
            self.qualified()
        )
    }

    /// The row for a file just applied. A Flyway repeatable applied again (its checksum
    /// changed) updates its row: the latest application is what the table records.
    pub fn insert_sql(&self, row: &Row, elapsed_expr: &str) -> String {
        // A Prisma migration applied here is recorded in Prisma's own table too, in the
        // same statement (a data-modifying WITH), so `prisma migrate deploy` agrees about
        // what ran and callers that add `RETURNING` or `\;` need not know.
        let prisma = row
            .prisma
            .as_ref()
            .map(|(name, checksum)| {
                format!(
                    "WITH ng_prisma AS (INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES (md5(random()::text || clock_timestamp()::text)::uuid::text, {}, {}, now(), now(), 1)) ",
                    quote_literal(checksum),
                    quote_literal(name)
                )
            })
            .unwrap_or_default();
        format!(
            "{prisma}INSERT INTO {} (version, checksum, execution_ms, applied_by, run_url, status) VALUES ({}, {}, {elapsed_expr}, {}, {}, {}) ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, execution_ms = EXCLUDED.execution_ms, applied_by = EXCLUDED.applied_by, run_url = EXCLUDED.run_url, status = EXCLUDED.status, applied_at = now();",
            self.qualified(),
            quote_literal(&row.version),
            quote_literal(&row.checksum),
            quote_literal(&row.applied_by),
            quote_literal(&row.run_url),
            quote_literal(row.status),
        )
    }
}

/// What the tracking table records for one file.
#[derive(Debug, Clone)]
pub struct Row {
    pub version: String,
    pub checksum: String,
    pub applied_by: String,
    pub run_url: String,
    pub status: &'static str,
    /// `(migration name, sha256 hex of the file)` when the file is a Prisma migration and
    /// the database has Prisma's `_prisma_migrations` table.
    pub prisma: Option<(String, String)>,
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// A standard-conforming string literal; backslashes are plain characters in it.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `a.b`, `"a.b"."c"`: identifier parts; unquoted parts fold to lower case like Postgres.
fn split_qualified(raw: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = raw.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if !(c.is_alphanumeric() || c == '_' || c == '$') {
                    return None;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(
            TrackingTable::empty_fingerprint(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parses_names() {
        let t = TrackingTable::parse("public.neon_gitops_migrations").unwrap();
        assert_eq!(t.qualified(), "\"public\".\"neon_gitops_migrations\"");
        let t = TrackingTable::parse("Ops.\"My.Table\"").unwrap();
        assert_eq!((t.schema.as_str(), t.table.as_str()), ("ops", "My.Table"));
        assert_eq!(TrackingTable::parse("m").unwrap().schema, "public");
        for bad in ["", "a.b.c", "a;drop", "a.", "\"x"] {
            let err = TrackingTable::parse(bad).unwrap_err().to_string();
            assert!(err.contains("tracking-table"), "{bad}: {err}");
        }
    }

    #[test]
    fn lock_key_is_stable_and_per_table() {
        let a = TrackingTable::parse("public.a").unwrap();
        let b = TrackingTable::parse("public.b").unwrap();
        assert_eq!(a.lock_key(), TrackingTable::parse("a").unwrap().lock_key());
        assert_ne!(a.lock_key(), b.lock_key());
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            TrackingTable::empty_fingerprint(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
