//! What a squawk user brings along (docs/lint-rules.md#switching-from-squawk):
//! squawk's rule ids (most are ours; the few we named differently are
//! aliases) and its `.squawk.toml`. The `squawk-ignore` comments are read in
//! `ignore`.

use super::config::LintConfig;
use super::glob::Glob;
use super::lint::{self, Rule, Severity};
use super::toml::{self, Value};

/// Every id squawk knows (its `Rule::try_from`), so a `.squawk.toml` naming a
/// squawk rule we lack gets "not implemented here" rather than "no such rule".
pub const SQUAWK_IDS: &[&str] = &[
    "adding-field-with-default",
    "adding-foreign-key-constraint",
    "adding-not-nullable-field",
    "adding-required-field",
    "adding-serial-primary-key-field",
    "ban-alter-domain-with-add-constraint",
    "ban-char-field",
    "ban-concurrent-index-creation-in-transaction",
    "ban-create-domain-with-constraint",
    "ban-drop-column",
    "ban-drop-database",
    "ban-drop-not-null",
    "ban-drop-table",
    "ban-duplicate-column-assignments",
    "ban-truncate-cascade",
    "ban-uncommitted-transaction",
    "changing-column-type",
    "constraint-missing-not-valid",
    "disallowed-unique-constraint",
    "identifier-too-long",
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-repack",
    "prefer-robust-stmts",
    "prefer-text-field",
    "prefer-timestamp-tz",
    "prefer-timestamptz",
    "renaming-column",
    "renaming-table",
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-partition-detach",
    "require-concurrent-reindex",
    "require-enum-value-ordering",
    "require-lock-timeout",
    "require-statement-timeout",
    "require-table-schema",
    "require-timeout-settings",
    "unused-ignore",
];

/// squawk id → our ids for the same check, where the names differ. An id
/// that is a rule of ours is never looked up here, so a rule added later
/// under squawk's own id simply takes over.
const ALIASES: &[(&str, &[&str])] = &[
    (
        "adding-not-nullable-field",
        &["setting-not-null-on-existing-column"],
    ),
    (
        "adding-field-with-default",
        &["adding-field-with-volatile-default"],
    ),
    (
        "adding-serial-primary-key-field",
        &["adding-serial-primary-key"],
    ),
    (
        "ban-concurrent-index-creation-in-transaction",
        &["ban-concurrent-index-in-transaction"],
    ),
    // squawk's deprecated name for its two timeout rules, still accepted in
    // its config and comments.
    (
        "require-timeout-settings",
        &["require-lock-timeout", "require-statement-timeout"],
    ),
    // squawk accepts both spellings (its docs page says `timestamptz`, its
    // reports `timestamp-tz`): whichever one a rule here gets, the other maps.
    ("prefer-timestamp-tz", &["prefer-timestamptz"]),
    ("prefer-timestamptz", &["prefer-timestamp-tz"]),
];

/// The rules an id names: our rule of that id, or what a squawk alias
/// stands for (those of its targets we have). Empty: unknown here.
pub fn resolve(id: &str) -> Vec<&'static Rule> {
    if let Some(r) = lint::find(id) {
        return vec![r];
    }
    ALIASES
        .iter()
        .filter(|(a, _)| *a == id)
        .flat_map(|(_, to)| to.iter().filter_map(|t| lint::find(t)))
        .collect()
}

/// Does `id` (as written in a config or a comment) name `rule`?
pub fn names(id: &str, rule: &str) -> bool {
    id == rule || resolve(id).iter().any(|r| r.id == rule)
}

pub fn is_squawk_id(id: &str) -> bool {
    SQUAWK_IDS.contains(&id)
}

/// `.squawk.toml` as neon-gitops reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SquawkToml {
    pub excluded_rules: Vec<String>,
    pub included_rules: Vec<String>,
    pub excluded_paths: Vec<String>,
    pub assume_in_transaction: Option<bool>,
    pub pg_version: Option<String>,
    /// Settings read but not acted on, and keys squawk does not have, for
    /// the warning lines.
    pub notes: Vec<String>,
}

/// Parse `.squawk.toml`; `Err((line, message))` when malformed or when a
/// setting has the wrong type (squawk refuses those too).
pub fn parse_toml(text: &str) -> Result<SquawkToml, (u32, String)> {
    let entries = toml::parse(text).map_err(|e| (e.line, e.message))?;
    let mut out = SquawkToml::default();
    for e in entries {
        let strings = |what: &str| -> Result<Vec<String>, (u32, String)> {
            let bad = || {
                (
                    e.line,
                    format!("`{}` must be an array of strings, e.g. {what}", e.key),
                )
            };
            match &e.value {
                Value::Array(items) => items
                    .iter()
                    .map(|v| match v {
                        Value::Str(s) => Ok(s.clone()),
                        _ => Err(bad()),
                    })
                    .collect(),
                _ => Err(bad()),
            }
        };
        match (e.table.as_deref(), e.key.as_str()) {
            (None, "excluded_rules") => {
                out.excluded_rules = strings("[\"ban-drop-column\"]")?;
            }
            (None, "included_rules") => {
                out.included_rules = strings("[\"require-table-schema\"]")?;
            }
            (None, "excluded_paths") => out.excluded_paths = strings("[\"*user_ids.sql\"]")?,
            (None, "assume_in_transaction") => match e.value {
                Value::Bool(b) => out.assume_in_transaction = Some(b),
                _ => {
                    return Err((
                        e.line,
                        "`assume_in_transaction` must be true or false".into(),
                    ))
                }
            },
            (None, "pg_version") => match e.value {
                Value::Str(v) | Value::Other(v) => {
                    out.notes.push(format!("pg_version = {v} is not used (the rules do not depend on the Postgres version)"));
                    out.pg_version = Some(v);
                }
                _ => {
                    return Err((
                        e.line,
                        "`pg_version` must be a string such as \"16.0\"".into(),
                    ))
                }
            },
            // squawk's PR-comment uploader; `fail-on` is ours.
            (None, "upload_to_github") | (Some("upload_to_github"), _) => {}
            (Some(t), k) => out.notes.push(format!(
                "line {}: `[{t}] {k}` is not a squawk setting, ignored",
                e.line
            )),
            (None, k) => out.notes.push(format!(
                "line {}: `{k}` is not a squawk setting, ignored",
                e.line
            )),
        }
    }
    Ok(out)
}

/// Apply `.squawk.toml` to a config (the lowest-precedence source: call it
/// first). Returns warnings: rules neon-gitops does not have, or ids squawk
/// does not know either. Not errors, because a squawk config may well name
/// squawk rules we lack, and failing every run for that would make the
/// switch painful.
pub fn apply(cfg: &mut LintConfig, t: &SquawkToml) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut rules = |ids: &[String], include: bool, warnings: &mut Vec<String>| {
        for id in ids {
            let found = resolve(id);
            if found.is_empty() {
                warnings.push(if is_squawk_id(id) {
                    format!("`{id}` is a squawk rule neon-gitops does not have; ignored")
                } else {
                    format!("`{id}` is not a rule id (neither squawk's nor neon-gitops'); ignored")
                });
            }
            for r in found {
                let sev = if !include {
                    Severity::Off
                } else if r.default == Severity::Off {
                    Severity::Warning
                } else {
                    continue;
                };
                cfg.severities.insert(r.id, sev);
            }
        }
    };
    // squawk: excluded_rules wins over included_rules.
    rules(&t.included_rules, true, &mut warnings);
    rules(&t.excluded_rules, false, &mut warnings);
    cfg.exclude
        .extend(t.excluded_paths.iter().map(|p| Glob::squawk(p)));
    if t.assume_in_transaction == Some(true) {
        cfg.assume_in_transaction = true;
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_our_rules() {
        let ids = |id: &str| resolve(id).iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids("ban-drop-column"), ["ban-drop-column"]);
        assert_eq!(
            ids("adding-not-nullable-field"),
            ["setting-not-null-on-existing-column"]
        );
        assert_eq!(
            ids("ban-concurrent-index-creation-in-transaction"),
            ["ban-concurrent-index-in-transaction"]
        );
        assert!(ids("require-timeout-settings").contains(&"require-lock-timeout"));
        assert!(ids("no-such-rule").is_empty());
        assert!(names(
            "adding-field-with-default",
            "adding-field-with-volatile-default"
        ));
        // Every alias target and every squawk id with the same name as one of
        // ours is spelled right.
        for (a, to) in ALIASES {
            assert!(is_squawk_id(a), "{a}");
            assert!(
                to.iter().any(|t| lint::find(t).is_some()) || a.starts_with("prefer-"),
                "{a}"
            );
        }
    }

    #[test]
    fn applies_with_warnings_for_missing_rules() {
        let t = parse_toml(
            "excluded_rules = [\"ban-drop-column\", \"adding-not-nullable-field\", \"ban-char-field-x\", \"prefer-repack\"]\nexcluded_paths = [\"*legacy.sql\"]\nassume_in_transaction = true\npg_version = \"13.0\"\nweird = 1\n",
        )
        .unwrap();
        let mut cfg = LintConfig::default();
        let w = apply(&mut cfg, &t);
        assert_eq!(cfg.severities["ban-drop-column"], Severity::Off);
        assert_eq!(
            cfg.severities["setting-not-null-on-existing-column"],
            Severity::Off
        );
        assert!(cfg.assume_in_transaction);
        assert!(cfg.is_excluded("db/migrations/001_legacy.sql"));
        assert!(
            w.iter()
                .any(|w| w.contains("`ban-char-field-x` is not a rule id")),
            "{w:?}"
        );
        if lint::find("prefer-repack").is_none() {
            assert!(
                w.iter()
                    .any(|w| w.contains("squawk rule neon-gitops does not have")),
                "{w:?}"
            );
        }
        assert!(t.notes.iter().any(|n| n.contains("`weird`")));
        assert!(t.notes.iter().any(|n| n.contains("pg_version")));
    }

    #[test]
    fn wrong_types_are_errors_with_lines() {
        let e = parse_toml("\nexcluded_rules = \"ban-drop-column\"").unwrap_err();
        assert_eq!(e.0, 2);
        assert!(e.1.contains("array of strings"), "{e:?}");
        assert_eq!(
            parse_toml("assume_in_transaction = \"yes\"").unwrap_err().0,
            1
        );
    }
}
