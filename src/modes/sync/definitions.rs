//! Catalog verification: what production's tables are besides their rows — columns
//! (types, NOT NULL, defaults, generated, identity), constraints (NOT VALID ones
//! included), indexes, triggers (and whether they are enabled), row security (enabled,
//! forced) and policies — read on both sides and compared, so a twin that lost a
//! constraint, a policy or RLS on the way fails the sync instead of passing on counts.
//!
//! Definitions are the server's own (`pg_get_constraintdef`, `pg_get_indexdef`,
//! `pg_get_triggerdef`, `pg_get_expr`), read with `search_path` set to `pg_catalog`
//! so every name in them is schema-qualified alike on both servers. Constraints a
//! partition inherits are keyed by their definition: Postgres names the copies itself,
//! and may name them differently on a restore. NOT NULL constraints (catalogued as
//! constraints from Postgres 18) are compared as a column property instead, which every
//! major has.
//!
//! Pure: SQL in, differences out.

use std::collections::{BTreeMap, BTreeSet};

/// Reads every definition of user tables: `table <tab> kind <tab> name <tab> definition`.
pub const SQL: &str = r#"WITH t AS (
  SELECT c.oid, n.nspname || '.' || c.relname AS name, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
)
SELECT t.name, 'row security', '', CASE WHEN t.relrowsecurity THEN 'enabled' ELSE 'disabled' END || CASE WHEN t.relforcerowsecurity THEN ', forced' ELSE '' END FROM t
UNION ALL
SELECT t.name, 'column', a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
  || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
  || CASE WHEN a.attcollation <> ty.typcollation THEN ' COLLATE ' || co.collname ELSE '' END
  || CASE WHEN a.attgenerated <> '' THEN ' GENERATED ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid)
          WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) ELSE '' END
  || CASE a.attidentity::text WHEN 'a' THEN ' IDENTITY ALWAYS' WHEN 'd' THEN ' IDENTITY BY DEFAULT' ELSE '' END
FROM t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
UNION ALL
SELECT t.name, 'constraint',
  CASE WHEN k.conislocal AND k.conparentid = 0 THEN k.conname ELSE '(inherited)' END,
  pg_catalog.pg_get_constraintdef(k.oid)
FROM t JOIN pg_catalog.pg_constraint k ON k.conrelid = t.oid AND k.contype <> 'n'
UNION ALL
SELECT t.name, 'index', i.relname, pg_catalog.pg_get_indexdef(i.oid)
FROM t JOIN pg_catalog.pg_index x ON x.indrelid = t.oid JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
UNION ALL
SELECT t.name, 'trigger', g.tgname, pg_catalog.pg_get_triggerdef(g.oid)
  || CASE g.tgenabled::text WHEN 'D' THEN ' (disabled)' WHEN 'R' THEN ' (replica)' WHEN 'A' THEN ' (always)' ELSE '' END
FROM t JOIN pg_catalog.pg_trigger g ON g.tgrelid = t.oid AND NOT g.tgisinternal
UNION ALL
SELECT t.name, 'policy', p.polname,
  CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END || ' FOR ' || p.polcmd::text
  || ' TO ' || coalesce((SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)) END, ', ' ORDER BY 1)
                         FROM unnest(p.polroles) r), '')
  || coalesce(' USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')', '')
  || coalesce(' WITH CHECK (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
FROM t JOIN pg_catalog.pg_policy p ON p.polrelid = t.oid"#;

/// The statements that make the definitions comparable between servers.
pub const SESSION_SETTINGS: &[&str] = &["SET search_path = pg_catalog"];

/// `(table, kind, name)` → definitions (a list: inherited constraints share a key).
pub type Definitions = BTreeMap<(String, String, String), Vec<String>>;

pub fn parse(out: &str) -> Definitions {
    let mut defs: Definitions = BTreeMap::new();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(4, '\t');
        let (Some(table), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let def = parts.next().unwrap_or("").trim().to_string();
        let (name, def) = if name == "(inherited)" {
            (format!("(inherited) {def}"), def)
        } else {
            (name.to_string(), def)
        };
        defs.entry((table.to_string(), kind.to_string(), name))
            .or_default()
            .push(def);
    }
    for v in defs.values_mut() {
        v.sort();
    }
    defs
}

/// One line per difference in `tables` (`schema.table`, unquoted):
/// what production has that staging lacks or has otherwise, and what staging has extra.
pub fn differences(
    production: &Definitions,
    staging: &Definitions,
    tables: &BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let ours = |d: &Definitions| -> Vec<((String, String, String), Vec<String>)> {
        d.iter()
            .filter(|((t, _, _), _)| tables.contains(t))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let label = |(t, kind, name): &(String, String, String)| {
        if name.is_empty() {
            format!("{t}: {kind}")
        } else {
            format!("{t}: {kind} {name}")
        }
    };
    for (key, want) in ours(production) {
        match staging.get(&key) {
            None if key.2.starts_with("(inherited)") => {
                out.push(format!("{} is missing in staging", label(&key)))
            }
            None => out.push(format!(
                "{} is missing in staging (production: {})",
                label(&key),
                want.join("; ")
            )),
            Some(have) if *have != want && !key.2.starts_with("(inherited)") => out.push(format!(
                "{} differs (production: {}; staging: {})",
                label(&key),
                want.join("; "),
                have.join("; ")
            )),
            Some(_) => {}
        }
    }
    for (key, have) in ours(staging) {
        if !production.contains_key(&key) {
            out.push(format!(
                "{} is in staging but not in production ({})",
                label(&key),
                have.join("; ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: &str = "app.orders\trow security\t\tenabled, forced
app.orders\tcolumn\tid\tbigint NOT NULL DEFAULT nextval('app.orders_id_seq'::regclass)
app.orders\tconstraint\torders_total_check\tCHECK ((total >= (0)::numeric)) NOT VALID
app.orders\tindex\torders_pkey\tCREATE UNIQUE INDEX orders_pkey ON app.orders USING btree (id)
app.orders\tpolicy\tmine\tPERMISSIVE FOR * TO public USING (true)
app.events_1\tconstraint\t(inherited)\tFOREIGN KEY (user_id) REFERENCES app.users(id)
app.other\tindex\tx\tCREATE INDEX x ON app.other USING btree (a)
";

    fn tables() -> BTreeSet<String> {
        ["app.orders", "app.events_1"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn equal_catalogs_have_no_differences() {
        let p = parse(PROD);
        assert!(differences(&p, &p, &tables()).is_empty());
    }

    #[test]
    fn lost_constraint_policy_and_rls_are_named() {
        let staging: String = PROD
            .lines()
            .filter(|l| !l.contains("NOT VALID") && !l.contains("policy"))
            .map(|l| l.replace("enabled, forced", "disabled") + "\n")
            .collect();
        let d = differences(&parse(PROD), &parse(&staging), &tables());
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(
            d.iter().any(|l| l.contains(
                "app.orders: row security differs (production: enabled, forced; staging: disabled)"
            )),
            "{d:#?}"
        );
        assert!(
            d.iter()
                .any(|l| l.contains("constraint orders_total_check is missing")
                    && l.contains("NOT VALID")),
            "{d:#?}"
        );
        assert!(
            d.iter().any(|l| l.contains("policy mine is missing")),
            "{d:#?}"
        );
    }

    #[test]
    fn tables_not_copied_are_not_compared_and_extras_are_named() {
        let staging = format!(
            "{PROD}app.orders\tindex\tsneaky\tCREATE INDEX sneaky ON app.orders USING btree (id)\n"
        );
        let without_other: String = staging
            .lines()
            .filter(|l| !l.starts_with("app.other"))
            .map(|l| format!("{l}\n"))
            .collect();
        let d = differences(&parse(PROD), &parse(&without_other), &tables());
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].contains("sneaky") && d[0].contains("not in production"));
    }
}
