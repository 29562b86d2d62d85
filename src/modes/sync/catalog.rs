//! What the source holds, read in the dump's snapshot. Queries
//! print tab-separated rows (`psql -At -F <tab>`); the parsers here are pure.

/// `"name"`, doubling embedded quotes.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`, doubling embedded quotes (standard_conforming_strings is on everywhere we run).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub schema: String,
    pub name: String,
}

impl Table {
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
    /// For people: `schema.table`.
    pub fn display(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_sql: String,
    pub not_null: bool,
    pub generated: bool,
}

/// Ordinary tables and leaf partitions of user schemas (not extension members, not temp),
/// with their size on disk (heap + TOAST, no indexes: what a copy moves), which decides how
/// the data is spread over parallel streams. Partitioned parents hold no rows of their
/// own, so counting them would count twice.
/// The fourth and fifth columns name a partition's top partitioned table (empty for
/// others): a pattern on a partitioned table covers its partitions.
pub const TABLES_SQL: &str = r#"SELECT n.nspname, c.relname, coalesce(pg_catalog.pg_table_size(c.oid), 0),
  coalesce(rn.nspname, ''), coalesce(r.relname, '')
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class r ON c.relispartition AND r.oid = pg_catalog.pg_partition_root(c.oid)
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2"#;

/// Columns of one table, in order: name, type, NOT NULL, generated.
pub fn columns_sql(table: &Table) -> String {
    format!(
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated <> '' \
         FROM pg_catalog.pg_attribute a WHERE a.attrelid = {}::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        quote_literal(&table.qualified())
    )
}

/// Sequences with their current value (NULL before first use or without privilege).
pub const SEQUENCES_SQL: &str =
    "SELECT schemaname, sequencename, coalesce(last_value::text, '') FROM pg_catalog.pg_sequences \
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2";

/// `psql -At -F <tab>` output as rows of fields (blank lines skipped).
pub fn rows(out: &str) -> impl Iterator<Item = Vec<&str>> {
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
}

/// Single-column foreign keys: referencing schema, table, column, then the referenced
/// ones. Masking one side of such a pair alone breaks the join (and the restore).
pub const FOREIGN_KEYS_SQL: &str = r#"SELECT cn.nspname, cc.relname, ca.attname, pn.nspname, pc.relname, pa.attname
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class cc ON cc.oid = k.conrelid JOIN pg_catalog.pg_namespace cn ON cn.oid = cc.relnamespace
JOIN pg_catalog.pg_class pc ON pc.oid = k.confrelid JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
JOIN pg_catalog.pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = k.conkey[1]
JOIN pg_catalog.pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
WHERE k.contype = 'f' AND array_length(k.conkey, 1) = 1
ORDER BY 1, 2, 3"#;

/// Columns with a single-column unique index (or primary key) of `table`.
pub fn unique_columns_sql(table: &Table) -> String {
    format!(
        "SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = {}::regclass AND i.indisunique AND i.indnatts = 1 AND i.indpred IS NULL",
        quote_literal(&table.qualified())
    )
}

/// One end of a foreign key: `(schema, table, column)`.
pub type ColumnRef = (String, String, String);

/// `FOREIGN_KEYS_SQL` rows as (referencing, referenced).
pub fn parse_foreign_keys(out: &str) -> Vec<(ColumnRef, ColumnRef)> {
    rows(out)
        .filter(|r| r.len() >= 6)
        .map(|r| {
            (
                (r[0].to_string(), r[1].to_string(), r[2].to_string()),
                (r[3].to_string(), r[4].to_string(), r[5].to_string()),
            )
        })
        .collect()
}

pub fn parse_tables(out: &str) -> Vec<Table> {
    rows(out)
        .filter(|r| r.len() >= 2)
        .map(|r| Table {
            schema: r[0].to_string(),
            name: r[1].to_string(),
        })
        .collect()
}

/// The third column of `TABLES_SQL`, in the same order as `parse_tables`.
/// Each table's top partitioned table (`TABLES_SQL`'s last columns), `None` for tables
/// that are no partition.
pub fn parse_partition_roots(out: &str) -> Vec<Option<Table>> {
    rows(out)
        .filter(|r| r.len() >= 2)
        .map(|r| match (r.get(3), r.get(4)) {
            (Some(s), Some(t)) if !s.is_empty() && !t.is_empty() => Some(Table {
                schema: s.to_string(),
                name: t.to_string(),
            }),
            _ => None,
        })
        .collect()
}

pub fn parse_table_sizes(out: &str) -> Vec<u64> {
    rows(out)
        .filter(|r| r.len() >= 2)
        .map(|r| r.get(2).and_then(|v| v.parse().ok()).unwrap_or(0))
        .collect()
}

pub fn parse_columns(out: &str) -> Vec<Column> {
    rows(out)
        .filter(|r| r.len() >= 4)
        .map(|r| Column {
            name: r[0].to_string(),
            type_sql: r[1].to_string(),
            not_null: r[2] == "t",
            generated: r[3] == "t",
        })
        .collect()
}

/// `(schema.sequence, last_value)`; None when the sequence was never used.
pub fn parse_sequences(out: &str) -> Vec<(String, Option<i64>)> {
    rows(out)
        .filter(|r| r.len() >= 3)
        .map(|r| (format!("{}.{}", r[0], r[1]), r[2].parse().ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(quote_literal("o'clock"), "'o''clock'");
        let t = Table {
            schema: "App".into(),
            name: "users".into(),
        };
        assert_eq!(t.qualified(), "\"App\".\"users\"");
    }

    #[test]
    fn parsers() {
        assert_eq!(parse_tables("public\tusers\napp\torders\n").len(), 2);
        let out = "public\tusers\t8192\napp\torders\t\n";
        assert_eq!(parse_tables(out).len(), 2);
        assert_eq!(parse_table_sizes(out), vec![8192, 0]);
        let cols = parse_columns("email\tcharacter varying(100)\tt\tf\n");
        assert!(cols[0].not_null && !cols[0].generated);
        assert_eq!(
            parse_sequences("public\tusers_id_seq\t42\npublic\tfresh\t\n"),
            vec![
                ("public.users_id_seq".to_string(), Some(42)),
                ("public.fresh".to_string(), None)
            ]
        );
    }
}
