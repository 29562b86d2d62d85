//! Between staging and the copy: does production fit the target? Two things a managed
//! target can lack make a restore fail halfway, with an error about one object at a time:
//!
//! - **roles** named by row-security policies (`CREATE POLICY … TO auditor`): with
//!   `--no-owner --no-acl` no other statement names a role;
//! - **extensions** the target does not offer, and every object that depends on them
//!   (a column of type `citext` takes its whole table; indexes, constraints, views,
//!   triggers and foreign keys on what goes, go too).
//!
//! Both are found here, once, listed together, before a row is copied. Missing roles are
//! an error (creating roles is the target owner's call). Missing extensions with
//! dependents are an error unless `skip-missing-extensions: true`, which leaves those
//! objects out knowingly: the TOC filter drops them (plan.rs), verification does not
//! expect them, and the summary lists them.

use super::super::catalog::quote_literal;
use super::super::job::Job;
use super::super::pg::{in_snapshot, query};
use super::snapshot::Snapshot;
use super::staging::Staged;
use crate::error::{Error, Result};
use crate::host::Host;
use std::collections::BTreeSet;

/// `policy <tab> schema.table <tab> role` for every role a policy of a user table names.
const POLICY_ROLES_SQL: &str = r#"SELECT p.polname, n.nspname || '.' || c.relname, pg_catalog.pg_get_userbyid(r)
FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, unnest(p.polroles) r
WHERE r <> 0 ORDER BY 2, 1, 3"#;

/// Every object that depends, directly or not, on the named extensions: `classid <tab>
/// objid <tab> extension <tab> description <tab> schema <tab> relation` (the last two for
/// tables, views, sequences and indexes). A view is reached through its rewrite rule, and
/// a table through a column default or an inline CHECK using the extension: pg_dump
/// writes those into CREATE TABLE, so the table cannot be created without it.
fn dependents_sql(extensions: &[String]) -> String {
    let list = extensions
        .iter()
        .map(|e| quote_literal(e))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"WITH RECURSIVE objs(classid, objid, ext) AS (
  SELECT d.classid, d.objid, e.extname::text FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_extension e ON d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = e.oid
  WHERE d.deptype = 'e' AND e.extname IN ({list})
  UNION
  SELECT v.classid, v.objid, o.ext FROM objs o
  JOIN pg_catalog.pg_depend d ON d.refclassid = o.classid AND d.refobjid = o.objid AND d.deptype IN ('n', 'a')
  CROSS JOIN LATERAL (VALUES (d.classid, d.objid),
    ('pg_catalog.pg_class'::regclass, CASE d.classid
       WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid)
       WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_catalog.pg_attrdef a WHERE a.oid = d.objid)
       WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT k.conrelid FROM pg_catalog.pg_constraint k WHERE k.oid = d.objid AND k.contype = 'c' AND k.convalidated AND k.conrelid <> 0)
     END)) v(classid, objid)
  WHERE v.objid IS NOT NULL
)
SELECT DISTINCT ON (o.classid, o.objid) o.classid::oid::int8, o.objid::int8, o.ext,
  pg_catalog.pg_describe_object(o.classid, o.objid, 0), coalesce(n.nspname, ''), coalesce(c.relname, '')
FROM objs o
LEFT JOIN pg_catalog.pg_class c ON o.classid = 'pg_catalog.pg_class'::regclass AND c.oid = o.objid
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = o.classid AND m.objid = o.objid AND m.deptype = 'e')
ORDER BY o.classid, o.objid"#
    )
}

/// Extensions production has installed (the TOC lists them too, but only after the dump).
const EXTENSIONS_SQL: &str = "SELECT extname FROM pg_catalog.pg_extension ORDER BY 1";

/// What the copy leaves out because the target lacks an extension.
#[derive(Debug, Clone, Default)]
pub struct Skipped {
    /// `(catalog table oid, object oid)` as `pg_restore -l` prints them.
    pub objects: BTreeSet<(u64, u64)>,
    /// `(schema, name)` of relations left out: for TOC entries without an oid (comments,
    /// OWNED BY) and for verification.
    pub relations: BTreeSet<(String, String)>,
    /// `(extension, object)` for people.
    pub described: Vec<(String, String)>,
}

/// One dependent object as `dependents_sql` prints it.
#[derive(Debug, Clone, PartialEq)]
struct Dependent {
    catalog: (u64, u64),
    extension: String,
    description: String,
    relation: Option<(String, String)>,
}

fn parse_dependents(out: &str) -> Vec<Dependent> {
    out.lines()
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let r: Vec<&str> = l.split('\t').collect();
            if r.len() < 6 {
                return None;
            }
            Some(Dependent {
                catalog: (r[0].parse().ok()?, r[1].parse().ok()?),
                extension: r[2].to_string(),
                description: r[3].to_string(),
                relation: (!r[5].is_empty()).then(|| (r[4].to_string(), r[5].to_string())),
            })
        })
        .collect()
}

/// Roles policies name that the target does not have: `(policy, table, role)`.
fn missing_roles(
    policy_roles: &str,
    target_roles: &BTreeSet<String>,
) -> Vec<(String, String, String)> {
    policy_roles
        .lines()
        .filter_map(|l| {
            let r: Vec<&str> = l.split('\t').collect();
            (r.len() >= 3 && !target_roles.contains(r[2]))
                .then(|| (r[0].to_string(), r[1].to_string(), r[2].to_string()))
        })
        .collect()
}

impl<H: Host> Job<'_, H> {
    /// The roles and extensions check; what `skip-missing-extensions` leaves out.
    pub async fn check_fit(&mut self, snap: &Snapshot, staging: &Staged) -> Result<Skipped> {
        let rt = self.rt;
        let client = self.client().clone();
        let read = |sql: String| {
            let client = client.clone();
            async move { query(rt, &client, &snap.source, &in_snapshot(&snap.id, &[&sql])).await }
        };
        let copied: BTreeSet<String> = snap.compared.clone();
        let mut problems = Vec::new();

        let target_roles: BTreeSet<String> = query(
            rt,
            &client,
            &staging.conn,
            &["SELECT rolname FROM pg_catalog.pg_roles"],
        )
        .await?
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
        let roles: Vec<_> =
            missing_roles(&read(POLICY_ROLES_SQL.to_string()).await?, &target_roles)
                .into_iter()
                .filter(|(_, table, _)| copied.contains(table))
                .collect();
        if !roles.is_empty() {
            let names: BTreeSet<&str> = roles.iter().map(|(_, _, r)| r.as_str()).collect();
            problems.push(format!(
                "row-security policies name roles the target does not have: {}. Create them on the target first ({}), or leave those tables out (`exclude-tables`)",
                roles
                    .iter()
                    .map(|(p, t, r)| format!("policy `{p}` on `{t}` is for `{r}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                match self.s.target {
                    super::super::settings::Target::Neon { .. } => format!(
                        "on Neon, on the project's default branch, which staging branches from: `neonctl roles create --name {}`, or `CREATE ROLE … NOLOGIN` there",
                        names.iter().next().copied().unwrap_or_default()
                    ),
                    super::super::settings::Target::Url(_) => format!(
                        "`CREATE ROLE {} NOLOGIN` is enough for a policy",
                        names.iter().next().copied().unwrap_or_default()
                    ),
                }
            ));
        }

        let installed: Vec<String> = read(EXTENSIONS_SQL.to_string())
            .await?
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let missing: Vec<String> = installed
            .into_iter()
            .filter(|e| !staging.extensions.contains(e))
            .collect();
        let mut skipped = Skipped::default();
        if !missing.is_empty() {
            let dependents = parse_dependents(&read(dependents_sql(&missing)).await?);
            // Only what the copy would create: objects of tables left out do not count.
            let relevant: Vec<&Dependent> = dependents
                .iter()
                .filter(|d| match &d.relation {
                    Some((s, n)) if d.description.starts_with("table ") => {
                        copied.contains(&format!("{s}.{n}"))
                    }
                    _ => true,
                })
                .collect();
            if !relevant.is_empty() && !self.s.skip_missing_extensions {
                problems.push(format!(
                    "the target does not offer {} production uses, and these objects depend on {}: {}. Set `skip-missing-extensions: true` to copy without them (they are listed in the summary), or leave them out with `exclude-tables`",
                    missing.iter().map(|e| format!("extension `{e}`")).collect::<Vec<_>>().join(", "),
                    if missing.len() == 1 { "it" } else { "them" },
                    relevant
                        .iter()
                        .map(|d| format!("{} ({})", d.description, d.extension))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for d in &dependents {
                skipped.objects.insert(d.catalog);
                if let Some(rel) = &d.relation {
                    skipped.relations.insert(rel.clone());
                }
                skipped
                    .described
                    .push((d.extension.clone(), d.description.clone()));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Failed(format!(
                "production does not fit the target: {}. Nothing was copied",
                problems.join("; ")
            )));
        }
        if !skipped.described.is_empty() {
            let note = format!(
                "Left out because the target lacks their extension (`skip-missing-extensions`): {}",
                skipped
                    .described
                    .iter()
                    .map(|(e, d)| format!("{d} ({e})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            rt.warning(&note);
            self.report.notes.push(note);
        }
        Ok(skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_the_target_lacks() {
        let target: BTreeSet<String> = ["neondb_owner", "app"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = "mine\tapp.orders\tapp\nauditors\tapp.audit_log\tauditor\n";
        assert_eq!(
            missing_roles(out, &target),
            vec![("auditors".into(), "app.audit_log".into(), "auditor".into())]
        );
    }

    #[test]
    fn dependents_parse_with_their_relations() {
        let out = "1259\t16400\tcitext\ttable app.users\tapp\tusers\n1255\t16500\tcitext\tfunction app.f(citext)\t\t\n";
        let d = parse_dependents(out);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].catalog, (1259, 16400));
        assert_eq!(d[0].relation, Some(("app".into(), "users".into())));
        assert_eq!(d[1].relation, None);
        let sql = dependents_sql(&["citext".into(), "o'dd".into()]);
        assert!(sql.contains("IN ('citext', 'o''dd')"), "{sql}");
    }
}
