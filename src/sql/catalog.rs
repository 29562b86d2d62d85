//! Facts from a real database's catalog, for the linter to judge with when the
//! caller has one (preview's branch): each function's volatility
//! (`pg_proc.provolatile`) and each table's size (`pg_class`). The linter stays
//! pure: the caller runs [`CATALOG_SQL`] and hands [`Catalog::parse`]'s result
//! to `analyze_judged`. Without it, unknown functions count as volatile, as
//! squawk does.

use std::collections::HashMap;

use super::words::ObjName;

/// One query, one tab-separated column per row (`concat_ws`, so psql's own field
/// separator does not matter): `F schema name provolatile` per function name
/// (the most volatile of its overloads: `v` > `s` > `i`, and the arguments are
/// not resolved) and `T schema name bytes rows` per table. Built-ins are
/// included: the server's own pg_catalog is the authority, not our list.
pub const CATALOG_SQL: &str = r#"SELECT concat_ws(E'\t', 'NG_F', n.nspname, p.proname, max(p.provolatile::text))
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_(toast|temp)'
GROUP BY n.nspname, p.proname
UNION ALL
SELECT concat_ws(E'\t', 'NG_T', n.nspname, c.relname,
  CASE WHEN c.relkind = 'p'
    THEN (SELECT coalesce(sum(pg_catalog.pg_total_relation_size(t.relid)), 0) FROM pg_catalog.pg_partition_tree(c.oid) t)
    ELSE pg_catalog.pg_total_relation_size(c.oid) END,
  greatest(c.reltuples, 0)::bigint)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)';
"#;

/// `pg_proc.provolatile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProVolatile {
    Immutable,
    Stable,
    Volatile,
}

impl ProVolatile {
    pub fn from_code(c: &str) -> Option<ProVolatile> {
        match c {
            "i" => Some(ProVolatile::Immutable),
            "s" => Some(ProVolatile::Stable),
            "v" => Some(ProVolatile::Volatile),
            _ => None,
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            ProVolatile::Immutable => "IMMUTABLE",
            ProVolatile::Stable => "STABLE",
            ProVolatile::Volatile => "VOLATILE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableSize {
    pub bytes: u64,
    /// `reltuples`: the planner's estimate (0 before the first ANALYZE).
    pub rows: u64,
}

impl TableSize {
    /// `8 kB, ~10 rows`: for people, as pg_size_pretty would say it.
    pub fn describe(&self) -> String {
        format!("{}, ~{} rows", pretty_bytes(self.bytes), self.rows)
    }
}

pub fn pretty_bytes(b: u64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else if v < 10.0 {
        format!("{v:.1} {}", units[u])
    } else {
        format!("{v:.0} {}", units[u])
    }
}

/// What the catalog says, keyed by (folded) name, then schema.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Where the facts come from, for the findings ("the branch's catalog").
    pub source: String,
    functions: HashMap<String, Vec<(String, ProVolatile)>>,
    tables: HashMap<String, Vec<(String, TableSize)>>,
}

impl Catalog {
    /// [`CATALOG_SQL`]'s output; lines that are not its rows are skipped.
    pub fn parse(source: &str, out: &str) -> Catalog {
        let mut c = Catalog {
            source: source.to_string(),
            ..Default::default()
        };
        for line in out.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["NG_F", schema, name, vol] => {
                    if let Some(v) = ProVolatile::from_code(vol) {
                        c.add_function(schema, name, v);
                    }
                }
                ["NG_T", schema, name, bytes, rows] => {
                    if let (Ok(bytes), Ok(rows)) = (bytes.parse(), rows.parse()) {
                        c.add_table(schema, name, TableSize { bytes, rows });
                    }
                }
                _ => {}
            }
        }
        c
    }

    pub fn add_function(&mut self, schema: &str, name: &str, v: ProVolatile) {
        self.functions
            .entry(name.to_string())
            .or_default()
            .push((schema.to_string(), v));
    }

    pub fn add_table(&mut self, schema: &str, name: &str, size: TableSize) {
        self.tables
            .entry(name.to_string())
            .or_default()
            .push((schema.to_string(), size));
    }

    /// A function called as `name` or `schema.name`. Unqualified, Postgres looks in
    /// pg_catalog first, then the search path (`public` by default); a name found
    /// only in other schemas is judged by the most volatile of them.
    pub fn function(&self, called: &str) -> Option<ProVolatile> {
        let (schema, name) = match called.rsplit_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, called),
        };
        let found = self.functions.get(name)?;
        let in_schema = |s: &str| found.iter().find(|(x, _)| x == s).map(|(_, v)| *v);
        match schema {
            Some(s) => in_schema(s),
            None => in_schema("pg_catalog")
                .or_else(|| in_schema("public"))
                .or_else(|| found.iter().map(|(_, v)| *v).max_by_key(|v| *v as u8)),
        }
    }

    /// A table named in a statement (`public` first when unqualified).
    pub fn table(&self, n: &ObjName) -> Option<(String, TableSize)> {
        let found = self.tables.get(&n.name)?;
        let hit = match &n.schema {
            Some(s) => found.iter().find(|(x, _)| x == s),
            None => found
                .iter()
                .find(|(x, _)| x == "public")
                .or(found.first().filter(|_| found.len() == 1)),
        }?;
        Some((format!("{}.{}", hit.0, n.name), hit.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_resolves() {
        let c = Catalog::parse(
            "test",
            "NG_F\tpublic\tmy_fn\tv\nNG_F\tpg_catalog\tnow\ts\nNG_F\tpublic\tnow\tv\nNG_F\tutil\tpure\ti\nnoise\nNG_T\tpublic\tt\t8192\t10\nNG_T\tarchive\tt\t1073741824\t5000000\n",
        );
        assert_eq!(c.function("my_fn"), Some(ProVolatile::Volatile));
        assert_eq!(c.function("now"), Some(ProVolatile::Stable));
        assert_eq!(c.function("public.now"), Some(ProVolatile::Volatile));
        assert_eq!(c.function("pure"), Some(ProVolatile::Immutable));
        assert_eq!(c.function("other.pure"), None);
        assert_eq!(c.function("nope"), None);
        let t = |s: Option<&str>| {
            c.table(&ObjName {
                schema: s.map(str::to_string),
                name: "t".into(),
            })
        };
        assert_eq!(t(None).unwrap().1.describe(), "8.0 kB, ~10 rows");
        assert_eq!(
            t(Some("archive")).unwrap().1.describe(),
            "1.0 GB, ~5000000 rows"
        );
        assert_eq!(pretty_bytes(500), "500 bytes");
    }
}
