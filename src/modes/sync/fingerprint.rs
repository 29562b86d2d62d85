//! Content verification: one fingerprint per copied table, computed by the servers on
//! both sides (production in the dump's snapshot, staging once its rows are loaded), so a
//! copy that has the right number of rows but a wrong one among them (a reinterpreted
//! encoding, a row read through a policy, a value changed on the way) fails the sync.
//!
//! A table's fingerprint is the number of rows and the sum of a 64-bit hash of each row's
//! text form, `ROW(col, …)::text`: independent of row order (no sort, one scan), exact
//! (the sum is `numeric`), and computed where the data is, so nothing but two numbers per
//! table reaches the runner. Columns are named in production's order on both sides, and
//! every setting that changes a value's text form is fixed for the session.
//!
//! Masked tables are compared *after masking*: production's side hashes the same masking
//! expressions the copy ran (same per-run salt), so a masked column is verified like any
//! other and its raw values never leave production. Their generated columns are left out
//! on both sides: the twin computes them from the masked values.
//!
//! Pure: SQL in, parsed numbers out.

use super::catalog::{quote_ident, rows, Column, Table};
use super::mask::{expression, MaskKind};

/// Settings that decide how values are written as text: fixed, so that production and the
/// twin (another server, maybe another major, another default time zone) write every
/// value alike. `lc_monetary` decides `money`; the rest are the usual suspects.
pub const SESSION_SETTINGS: &[&str] = &[
    "SET DateStyle = 'ISO, MDY'",
    "SET IntervalStyle = 'postgres'",
    "SET TimeZone = 'UTC'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
    "SET lc_monetary = 'C'",
];

/// How a row is hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// `hash_record_extended` (PostgreSQL 14+ on both sides, UTF8 production): each
    /// column hashed by its type's own hash function, no text output, about 3× cheaper
    /// than hashing the row's text. Only for the built-in types below, whose hash tells
    /// values apart as their equality does; other columns are hashed as text.
    Record,
    /// `hashtextextended` of the row's text, in the server's encoding (UTF8 both sides).
    Text,
    /// Production in another encoding (LATIN1…): the text converted to UTF-8 on both
    /// sides, hashed with md5 (about 2.5× the cost of `Text`).
    Utf8Bytes,
}

/// Types whose hash function distinguishes values as their equality does: numeric by
/// value (`1.0` and `1.00` hash alike, as they compare equal), `character(n)` without its
/// padding (which it ignores in comparisons too). `citext` (case-insensitive), `interval`
/// (`1 day` = `24 hours`), enums (hashed by their oid, which differs between servers),
/// arrays, `json` and the rest are hashed as text. Casting costs: `character(84)` as text
/// tripled the hash's cost on pgbench's accounts table.
const NATIVE_HASH_TYPES: &[&str] = &[
    "smallint",
    "integer",
    "bigint",
    "boolean",
    "text",
    "character varying",
    "character",
    "date",
    "timestamp without time zone",
    "timestamp with time zone",
    "time without time zone",
    "uuid",
    "bytea",
    "real",
    "double precision",
    "numeric",
    "jsonb",
    "oid",
];

/// `timestamp(3) with time zone` → `timestamp with time zone`, `numeric(12,2)` → `numeric`.
fn without_modifiers(type_sql: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in type_sql.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Hash {
    /// The cheapest hash both servers compute alike.
    pub fn choose(server_encoding: &str, source_major: u32, target_major: u32) -> Hash {
        match Hash::for_encoding(server_encoding) {
            Hash::Text if source_major >= 14 && target_major >= 14 => Hash::Record,
            other => other,
        }
    }

    pub fn for_encoding(server_encoding: &str) -> Hash {
        if server_encoding.trim().eq_ignore_ascii_case("UTF8") {
            Hash::Text
        } else {
            Hash::Utf8Bytes
        }
    }

    /// The hash of one row, given its items (`expression`, `type`).
    fn of(self, items: &[(String, &str)]) -> String {
        let row = |native: bool| {
            let parts: Vec<String> = items
                .iter()
                .map(|(e, t)| {
                    if !native || NATIVE_HASH_TYPES.contains(&without_modifiers(t).as_str()) {
                        e.to_string()
                    } else {
                        format!("({e})::text")
                    }
                })
                .collect();
            format!("ROW({})", parts.join(", "))
        };
        match self {
            Hash::Record => format!("hash_record_extended({}, 0)", row(true)),
            Hash::Text => format!("hashtextextended({}::text, 0)", row(false)),
            Hash::Utf8Bytes => format!(
                "('x' || left(md5(convert_to({}::text, 'UTF8')), 16))::bit(64)::bigint",
                row(false)
            ),
        }
    }

    /// The hash of one large object: its oid and its bytes.
    fn of_large_object(self) -> String {
        let text = "oid::text || ':' || md5(pg_catalog.lo_get(oid))";
        match self {
            Hash::Utf8Bytes => format!("('x' || left(md5({text}), 16))::bit(64)::bigint"),
            _ => format!("hashtextextended({text}, 0)"),
        }
    }
}

/// Every column of every ordinary table in user schemas, in order: one query instead of
/// one per table. Schema, table, then as `catalog::columns_sql`.
pub const ALL_COLUMNS_SQL: &str = r#"SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated <> ''
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
ORDER BY n.nspname, c.relname, a.attnum"#;

/// `ALL_COLUMNS_SQL`'s rows grouped by table.
pub fn parse_all_columns(out: &str) -> Vec<(Table, Vec<Column>)> {
    let mut tables: Vec<(Table, Vec<Column>)> = Vec::new();
    for r in rows(out).filter(|r| r.len() >= 6) {
        let table = Table {
            schema: r[0].to_string(),
            name: r[1].to_string(),
        };
        let column = Column {
            name: r[2].to_string(),
            type_sql: r[3].to_string(),
            not_null: r[4] == "t",
            generated: r[5] == "t",
        };
        match tables.last_mut() {
            Some((t, cols)) if *t == table => cols.push(column),
            _ => tables.push((table, vec![column])),
        }
    }
    tables
}

/// One table as verification reads it.
#[derive(Debug, Clone)]
pub struct Spec {
    pub table: Table,
    /// Production's columns, in order; empty when the content is not compared.
    pub columns: Vec<Column>,
    /// The mask rules applied to it (compared after masking).
    pub rules: Vec<(String, MaskKind)>,
    /// Compare content, or count only (data excluded, `verify: counts`).
    pub content: bool,
    /// Left out of the copy after the snapshot (`skip-missing-extensions`): not read on
    /// staging, not reported.
    pub left_out: bool,
}

/// How large objects are verified: not at all (none in production), by count, or by
/// content (each object's oid and the md5 of its bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LargeObjects {
    Count,
    Content,
}

/// Which server a query reads: production (masking applied with the run's salt) or staging.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    Production { salt: &'a str },
    Staging,
}

/// The row hashed for one table on one side: `(expression, type)` per column.
fn row_items<'s>(spec: &'s Spec, side: Side) -> Vec<(String, &'s str)> {
    let masked = !spec.rules.is_empty();
    spec.columns
        .iter()
        // A masked table's generated columns are computed from masked values in the twin.
        .filter(|c| !(masked && c.generated))
        .map(|c| {
            let e = match (side, spec.rules.iter().find(|(n, _)| *n == c.name)) {
                (Side::Production { salt }, Some((_, kind))) => expression(kind, c, salt),
                _ => quote_ident(&c.name),
            };
            (e, c.type_sql.as_str())
        })
        .collect()
}

/// One statement: `index <tab> rows <tab> fingerprint` per table (fingerprint empty where
/// the content is not compared). `FROM ONLY`: an inheritance parent's own rows, as copied.
/// With `large_objects`, one more line (index `specs.len()`) for `pg_largeobject_metadata`.
pub fn sql(
    specs: &[Spec],
    side: Side,
    hash: Hash,
    large_objects: Option<LargeObjects>,
) -> Option<String> {
    let lo = large_objects.map(|how| {
        let fingerprint = match how {
            LargeObjects::Content => {
                format!("coalesce(sum({}), 0)::text", hash.of_large_object())
            }
            LargeObjects::Count => "''".to_string(),
        };
        format!(
            "SELECT {}, count(*), {fingerprint} FROM pg_catalog.pg_largeobject_metadata",
            specs.len()
        )
    });
    let parts: Vec<String> = specs
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.left_out)
        .map(|(i, s)| {
            let fingerprint = if s.content {
                format!("coalesce(sum({}), 0)::text", hash.of(&row_items(s, side)))
            } else {
                "''".to_string()
            };
            format!(
                "SELECT {i}, count(*), {fingerprint} FROM ONLY {}",
                s.table.qualified()
            )
        })
        .chain(lo)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" UNION ALL "))
}

/// `sql`'s output in table order: `(rows, fingerprint)`; None for a table with no line (a
/// defect in the query, reported as a difference).
pub fn parse(out: &str, n: usize) -> Vec<Option<(i64, Option<String>)>> {
    let mut found = vec![None; n];
    for r in rows(out).filter(|r| r.len() >= 2) {
        if let (Ok(i), Ok(c)) = (r[0].parse::<usize>(), r[1].parse::<i64>()) {
            if i < n {
                let fp = r.get(2).map(|f| f.trim()).filter(|f| !f.is_empty());
                found[i] = Some((c, fp.map(str::to_string)));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, generated: bool) -> Column {
        Column {
            name: name.into(),
            type_sql: "text".into(),
            not_null: false,
            generated,
        }
    }

    fn spec(rules: Vec<(String, MaskKind)>, content: bool) -> Spec {
        Spec {
            table: Table {
                schema: "app".into(),
                name: "users".into(),
            },
            columns: vec![col("id", false), col("email", false), col("lower", true)],
            rules,
            content,
            left_out: false,
        }
    }

    #[test]
    fn both_sides_hash_the_same_columns_in_production_order() {
        let plain = spec(vec![], true);
        let p = sql(
            std::slice::from_ref(&plain),
            Side::Production { salt: "s" },
            Hash::Text,
            None,
        )
        .unwrap();
        let s = sql(&[plain], Side::Staging, Hash::Text, None).unwrap();
        assert_eq!(p, s);
        assert!(
            p.contains(r#"hashtextextended(ROW("id", "email", "lower")::text, 0)"#)
                && p.contains(r#"FROM ONLY "app"."users""#),
            "{p}"
        );
    }

    #[test]
    fn masked_tables_are_compared_after_masking_without_generated_columns() {
        let masked = spec(vec![("email".into(), MaskKind::Hash)], true);
        let p = sql(
            std::slice::from_ref(&masked),
            Side::Production { salt: "salt1" },
            Hash::Text,
            None,
        )
        .unwrap();
        let s = sql(&[masked], Side::Staging, Hash::Text, None).unwrap();
        assert!(p.contains("sha256") && p.contains("'salt1'"), "{p}");
        assert!(!p.contains("\"lower\"") && !s.contains("\"lower\""), "{s}");
        assert!(s.contains(r#"ROW("id", "email")::text"#), "{s}");
    }

    #[test]
    fn record_hash_uses_type_hashes_where_they_tell_values_apart() {
        let mut s = spec(vec![], true);
        s.columns[1].type_sql = "citext".into();
        s.columns[0].type_sql = "numeric(12,2)".into();
        let q = sql(&[s], Side::Staging, Hash::Record, None).unwrap();
        assert!(
            q.contains(r#"hash_record_extended(ROW("id", ("email")::text, "lower"), 0)"#),
            "{q}"
        );
        assert_eq!(
            without_modifiers("timestamp(3) with time zone"),
            "timestamp with time zone"
        );
        assert_eq!(Hash::choose("UTF8", 15, 17), Hash::Record);
        assert_eq!(Hash::choose("UTF8", 13, 17), Hash::Text);
        assert_eq!(Hash::choose("LATIN1", 15, 17), Hash::Utf8Bytes);
    }

    #[test]
    fn counts_only_and_other_encodings() {
        let q = sql(&[spec(vec![], false)], Side::Staging, Hash::Text, None).unwrap();
        assert!(q.contains("count(*), ''") && !q.contains("hash"), "{q}");
        let q = sql(
            &[spec(vec![], true)],
            Side::Staging,
            Hash::for_encoding("LATIN1"),
            None,
        )
        .unwrap();
        assert!(q.contains("convert_to(ROW("), "{q}");
        assert_eq!(Hash::for_encoding("UTF8\n"), Hash::Text);
        assert!(sql(&[], Side::Staging, Hash::Text, None).is_none());
        let lo = sql(&[], Side::Staging, Hash::Text, Some(LargeObjects::Content)).unwrap();
        assert!(
            lo.starts_with("SELECT 0, count(*)") && lo.contains("lo_get(oid)"),
            "{lo}"
        );
    }

    #[test]
    fn parses_rows_and_fingerprints() {
        assert_eq!(
            parse("1\t7\t-123\n0\t3\t\n", 3),
            vec![Some((3, None)), Some((7, Some("-123".to_string()))), None]
        );
        let cols = parse_all_columns("app\tusers\tid\tbigint\tt\tf\napp\tusers\temail\ttext\tf\tf\npublic\tx\ta\tint\tf\tt\n");
        assert_eq!(cols.len(), 2);
        assert_eq!(cols[0].1.len(), 2);
        assert!(cols[1].1[0].generated);
    }
}
