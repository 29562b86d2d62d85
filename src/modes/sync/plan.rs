//! Managed-target hygiene: which entries of the archive's table of contents
//! (`pg_restore -l`) are restored (`pg_restore -L`). Pure: text in, list + reasons out.
//!
//! Dropped, each with a reason shown in the summary:
//! - event triggers, publications, subscriptions: need superuser, and a twin must not
//!   replicate anywhere;
//! - `COMMENT ON EXTENSION`: only the extension's owner (a superuser) may comment on it;
//! - extensions the target does not offer (`pg_available_extensions`);
//! - ACLs and default ACLs (together with `--no-owner --no-acl`: the twin's objects belong
//!   to the target's role);
//! - `SCHEMA public`: staging already has it;
//! - user mappings: their options hold the credentials (passwords) production uses for
//!   foreign servers, which must not reach a development copy;
//! - with `skip-missing-extensions: true`, the objects that depend on an extension the
//!   target lacks (phases/fit.rs finds them), and their comments;
//! - with `large-objects: skip`, large objects.
//!
//! Everything else is kept, entry types this list does not know included: an entry
//! dropped without a reason would make the twin silently differ from production (row
//! security, NOT VALID checks, whatever a newer pg_dump adds).

use std::collections::BTreeSet;

/// Entry types as `pg_restore -l` prints them, longest first so `TABLE DATA` wins over `TABLE`.
const KNOWN_DESCS: &[&str] = &[
    "PUBLICATION TABLES IN SCHEMA",
    "MATERIALIZED VIEW DATA",
    "CHECK CONSTRAINT",
    "ROW SECURITY",
    "SUBSCRIPTION TABLE",
    "PUBLICATION TABLE",
    "SEQUENCE OWNED BY",
    "MATERIALIZED VIEW",
    "DATABASE PROPERTIES",
    "FOREIGN DATA WRAPPER",
    "STATISTICS DATA",
    "EXTENDED STATISTICS",
    "LARGE OBJECT",
    "BLOB METADATA",
    "EVENT TRIGGER",
    "FK CONSTRAINT",
    "OPERATOR CLASS",
    "OPERATOR FAMILY",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "TEXT SEARCH PARSER",
    "TEXT SEARCH TEMPLATE",
    "SEQUENCE SET",
    "DEFAULT ACL",
    "TABLE DATA",
    "SHELL TYPE",
    "FOREIGN TABLE",
    "USER MAPPING",
    "BLOB DATA",
    "PUBLICATION",
    "SUBSCRIPTION",
    "ACCESS METHOD",
    "CONSTRAINT",
    "CONVERSION",
    "EXTENSION",
    "PROCEDURE",
    "AGGREGATE",
    "COLLATION",
    "DATABASE",
    "FUNCTION",
    "OPERATOR",
    "SEQUENCE",
    "TRANSFORM",
    "DEFAULT",
    "COMMENT",
    "SECURITY LABEL",
    "TRIGGER",
    "DOMAIN",
    "POLICY",
    "SCHEMA",
    "SERVER",
    "TABLE",
    "INDEX",
    "CAST",
    "RULE",
    "TYPE",
    "VIEW",
    "ACL",
    "BLOBS",
    "BLOB",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// `(catalog table oid, object oid)`; data entries have `(0, table oid)`, comments
    /// and a few others `(0, 0)`.
    pub catalog: (u64, u64),
    pub desc: String,
    pub namespace: String,
    /// Name (and, for comments/ACLs, the kind of object first: `EXTENSION citext`).
    pub tag: String,
}

/// `3350; 0 16400 TABLE DATA app users owner` → entry. Comments and blank lines → None.
pub fn parse_line(line: &str) -> Option<TocEntry> {
    if line.trim().is_empty() || line.trim_start().starts_with(';') {
        return None;
    }
    let (_, rest) = line.split_once(';')?;
    // " <tableoid> <oid> <desc> <namespace> <tag> <owner>": the owner is empty (a trailing
    // space) for objects without one, and tags may contain spaces.
    let rest = rest.trim_start();
    let (tableoid, rest) = rest.split_once(' ')?;
    let rest = rest.trim_start();
    let (oid, rest) = rest.split_once(' ')?;
    let rest = rest.trim_start();
    let rest = rest.trim_end_matches(['\r', '\n']);
    let desc = KNOWN_DESCS
        .iter()
        .find(|d| rest == **d || rest.starts_with(&format!("{d} ")))?;
    let after = rest[desc.len()..].strip_prefix(' ').unwrap_or("");
    let (namespace, tail) = after.split_once(' ').unwrap_or((after, ""));
    let tag = if tail.ends_with(' ') || !tail.contains(' ') {
        tail.trim()
    } else {
        tail.rsplit_once(' ').map(|(t, _owner)| t).unwrap_or(tail)
    };
    Some(TocEntry {
        catalog: (tableoid.parse().ok()?, oid.parse().ok()?),
        desc: desc.to_string(),
        namespace: if namespace.is_empty() {
            "-".into()
        } else {
            namespace.to_string()
        },
        tag: tag.to_string(),
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The `-L` list: the lines kept, verbatim.
    pub list: String,
    /// `(what, why)` for every entry left out.
    pub dropped: Vec<(String, String)>,
    /// Extensions production uses that the target does not offer.
    pub missing_extensions: Vec<String>,
    /// `ENABLE`/`FORCE ROW LEVEL SECURITY` entries, restored last: with them on, the
    /// post-data steps' reads (FK validation, matview refreshes) and the verification's
    /// counts would see only the rows the policies show, or fail.
    pub row_security: String,
}

/// What the filter knows about the target and the user's choices.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `pg_available_extensions` on the target.
    pub available_extensions: BTreeSet<String>,
    /// Objects left out (`(catalog table oid, oid)`), and the `(schema, name)` of the
    /// relations among them: `skip-missing-extensions`.
    pub skip_objects: BTreeSet<(u64, u64)>,
    pub skip_relations: BTreeSet<(String, String)>,
    /// `large-objects: copy` (true) or `skip`.
    pub large_objects: bool,
}

const LARGE_OBJECT_DESCS: &[&str] = &[
    "BLOB",
    "BLOBS",
    "BLOB METADATA",
    "BLOB DATA",
    "LARGE OBJECT",
];

impl Filter {
    /// Whether an entry belongs to an object `skip-missing-extensions` leaves out: by its
    /// catalog id, by its table's for data entries, by name for entries without an id.
    fn skips(&self, e: &TocEntry) -> bool {
        let (class, oid) = e.catalog;
        if self.skip_objects.contains(&(class, oid)) {
            return true;
        }
        if class == 0 && oid != 0 {
            return self.skip_objects.contains(&(PG_CLASS, oid));
        }
        if (class, oid) != (0, 0) || e.namespace == "-" {
            return false;
        }
        // `COMMENT app TABLE users`, `COMMENT app COLUMN users.email`, `SEQUENCE OWNED BY app users_id_seq`
        let object = match e.desc.as_str() {
            "COMMENT" | "SECURITY LABEL" => e
                .tag
                .split_once(' ')
                .map(|(_, name)| name)
                .unwrap_or(&e.tag)
                .trim_start_matches("VIEW ")
                .to_string(),
            _ => e.tag.clone(),
        };
        let relation = object
            .split('.')
            .next()
            .unwrap_or(&object)
            .trim_matches('"');
        self.skip_relations
            .contains(&(e.namespace.clone(), relation.to_string()))
    }
}

/// `pg_class`'s oid: the catalog of tables, views, sequences and indexes.
const PG_CLASS: u64 = 1259;

pub fn filter_toc(toc: &str, filter: &Filter) -> Plan {
    let available_extensions = &filter.available_extensions;
    let mut plan = Plan::default();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for line in toc.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with(';') {
            continue;
        }
        let Some(entry) = parse_line(line) else {
            // An entry type this code does not know: restored as pg_dump wrote it.
            plan.list.push_str(line.trim());
            plan.list.push('\n');
            continue;
        };
        let what = format!(
            "{} {}",
            entry.desc,
            if entry.namespace == "-" {
                entry.tag.clone()
            } else {
                format!("{}.{}", entry.namespace, entry.tag)
            }
        );
        let reason = match entry.desc.as_str() {
            "EVENT TRIGGER" => Some("event triggers need superuser on a managed target"),
            "PUBLICATION" | "PUBLICATION TABLE" | "PUBLICATION TABLES IN SCHEMA" => {
                Some("a twin does not publish replication")
            }
            "SUBSCRIPTION" | "SUBSCRIPTION TABLE" => {
                Some("a twin does not subscribe to replication")
            }
            "ACL" | "DEFAULT ACL" => Some("privileges are not copied (--no-acl)"),
            "COMMENT" if entry.tag.starts_with("EXTENSION ") => {
                Some("only a superuser may comment on an extension")
            }
            "SCHEMA" if entry.tag == "public" => Some("the target already has schema public"),
            "USER MAPPING" => {
                Some("user mappings hold production's credentials for foreign servers")
            }
            "EXTENSION" if !available_extensions.contains(&entry.tag) => {
                missing.insert(entry.tag.clone());
                Some("the target does not offer this extension")
            }
            d if !filter.large_objects
                && (LARGE_OBJECT_DESCS.contains(&d)
                    || (d == "COMMENT" && entry.tag.starts_with("LARGE OBJECT "))) =>
            {
                Some("large objects are not copied (`large-objects: skip`)")
            }
            _ if filter.skips(&entry) => Some(
                "depends on an extension the target does not offer (`skip-missing-extensions`)",
            ),
            _ => None,
        };
        match reason {
            Some(why) => plan.dropped.push((what, why.to_string())),
            None if entry.desc == "ROW SECURITY" => {
                plan.row_security.push_str(line.trim());
                plan.row_security.push('\n');
            }
            None => {
                plan.list.push_str(line.trim());
                plan.list.push('\n');
            }
        }
    }
    plan.missing_extensions = missing.into_iter().collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOC: &str = ";
; Archive created at 2026-01-01 00:00:00 UTC
;     dbname: prod
;
; Selected TOC Entries:
;
6; 2615 16386 SCHEMA - app alice
5; 2615 2200 SCHEMA - public pg_database_owner
3; 3079 16387 EXTENSION - citext 
4123; 0 0 COMMENT - EXTENSION citext 
2; 3079 16388 EXTENSION - postgis 
215; 1259 16400 TABLE app users alice
3350; 0 16400 TABLE DATA app users alice
3100; 2606 16410 CONSTRAINT app users users_pkey alice
3101; 2606 16411 FK CONSTRAINT app orders orders_user_id_fkey alice
3200; 3466 16500 EVENT TRIGGER - audit_ddl alice
3201; 6104 16501 PUBLICATION - pub_all alice
3202; 6106 16502 PUBLICATION TABLE app pub_all users
3203; 6100 16503 SUBSCRIPTION - sub_x alice
4124; 0 0 ACL - SCHEMA app alice
4125; 826 16600 DEFAULT ACL app DEFAULT PRIVILEGES FOR TABLES alice
3500; 0 16700 MATERIALIZED VIEW DATA app order_totals alice
4126; 0 0 COMMENT - TABLE users alice
3600; 0 16800 ROW SECURITY app orders alice
3601; 2606 16801 CHECK CONSTRAINT app orders orders_total_check alice
3602; 0 16802 SOME FUTURE THING app orders x alice
3603; 1418 16900 USER MAPPING - USER MAPPING alice SERVER billing_api alice
";

    #[test]
    fn parses_multiword_types() {
        let e = parse_line("3350; 0 16400 TABLE DATA app users alice").unwrap();
        assert_eq!(
            (e.desc.as_str(), e.namespace.as_str(), e.tag.as_str()),
            ("TABLE DATA", "app", "users")
        );
        let e = parse_line("4123; 0 0 COMMENT - EXTENSION citext ").unwrap();
        assert_eq!(
            (e.desc.as_str(), e.tag.as_str()),
            ("COMMENT", "EXTENSION citext")
        );
        let e = parse_line("3; 3079 16387 EXTENSION - citext ").unwrap();
        assert_eq!(e.tag, "citext");
        assert!(parse_line("; Selected TOC Entries:").is_none());
    }

    #[test]
    fn drops_what_a_managed_target_refuses() {
        let available: BTreeSet<String> = ["citext", "plpgsql"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let filter = Filter {
            available_extensions: available,
            large_objects: true,
            ..Default::default()
        };
        let plan = filter_toc(TOC, &filter);
        let kept: Vec<&str> = plan.list.lines().collect();
        assert!(kept.iter().any(|l| l.contains("EXTENSION - citext")));
        assert!(kept.iter().any(|l| l.contains("TABLE DATA app users")));
        assert!(kept.iter().any(|l| l.contains("FK CONSTRAINT")));
        assert!(kept.iter().any(|l| l.contains("MATERIALIZED VIEW DATA")));
        assert!(kept.iter().any(|l| l.contains("COMMENT - TABLE users")));
        assert!(kept.iter().any(|l| l.contains("SCHEMA - app")));
        // Row security and NOT VALID checks are kept, and so is what pg_dump may add later.
        assert!(plan.row_security.contains("ROW SECURITY app orders"));
        assert!(
            !plan.list.contains("ROW SECURITY"),
            "row security comes last"
        );
        assert!(kept
            .iter()
            .any(|l| l.contains("CHECK CONSTRAINT app orders")));
        assert!(kept.iter().any(|l| l.contains("SOME FUTURE THING")));
        for gone in [
            "EVENT TRIGGER",
            "PUBLICATION",
            "SUBSCRIPTION",
            "ACL",
            "COMMENT - EXTENSION",
            "postgis",
            "SCHEMA - public",
            "USER MAPPING",
        ] {
            assert!(
                !kept.iter().any(|l| l.contains(gone)),
                "{gone} kept:\n{}",
                plan.list
            );
        }
        assert_eq!(plan.missing_extensions, vec!["postgis".to_string()]);
        assert_eq!(plan.dropped.len(), 10, "{:#?}", plan.dropped);
        assert!(plan.dropped.iter().any(|(w, _)| w == "EXTENSION postgis"));
    }

    #[test]
    fn skips_what_depends_on_a_missing_extension_and_large_objects_on_request() {
        let toc = "215; 1259 16400 TABLE app users alice
3350; 0 16400 TABLE DATA app users alice
3100; 2606 16410 CONSTRAINT app users users_pkey alice
4126; 0 0 COMMENT app TABLE users alice
4127; 0 0 COMMENT app COLUMN users.email alice
216; 1259 16401 TABLE app orders alice
3351; 0 16401 TABLE DATA app orders alice
4200; 2613 16900 BLOB - 16900 alice
4201; 0 0 BLOBS - BLOBS 
";
        let filter = Filter {
            skip_objects: [(1259, 16400), (2606, 16410)].into_iter().collect(),
            skip_relations: [("app".to_string(), "users".to_string())]
                .into_iter()
                .collect(),
            large_objects: false,
            ..Default::default()
        };
        let plan = filter_toc(toc, &filter);
        assert_eq!(
            plan.list.lines().collect::<Vec<_>>(),
            vec![
                "216; 1259 16401 TABLE app orders alice",
                "3351; 0 16401 TABLE DATA app orders alice"
            ],
            "{:#?}",
            plan.dropped
        );
        assert_eq!(plan.dropped.len(), 7);
        assert_eq!(
            parse_line("4200; 2613 16900 BLOB - 16900 alice")
                .unwrap()
                .catalog,
            (2613, 16900)
        );
    }
}
