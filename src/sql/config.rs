//! Lint configuration from the action's `lint` input.
//!
//! Format (documented in docs/lint-rules.md#configuration): entries separated
//! by commas or new lines, `#` starts a comment:
//!
//! ```text
//! ban-drop-column=off, require-lock-timeout=warning
//! exclude=migrations/legacy/**
//! max-file-size=20MB
//! ```
//!
//! `key: value` works too, so a YAML-looking block pastes fine. squawk's ids
//! for the same checks are accepted (see `squawk::resolve`).
//!
//! Sources merge by applying them in turn onto one config, lowest precedence
//! first (`.squawk.toml`, the `lint-config` file, the `lint-rules` input):
//! a later source's severity for a rule wins, `exclude=` globs add up.

use std::collections::HashMap;

use super::error::ConfigError;
use super::glob::Glob;
use super::lint::{self, Rule, Severity};
use super::squawk;

pub const DEFAULT_MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct LintConfig {
    /// Severity overrides by rule id.
    pub severities: HashMap<&'static str, Severity>,
    /// Paths (relative, `/`-separated) not linted; still split and validated.
    pub exclude: Vec<Glob>,
    pub max_file_bytes: usize,
    /// `.squawk.toml`'s `assume_in_transaction`: files whose format declares
    /// nothing run inside a transaction (their tool wraps them), unless they
    /// say `-- squawk-disable-assume-in-transaction`.
    pub assume_in_transaction: bool,
}

impl Default for LintConfig {
    fn default() -> Self {
        LintConfig {
            severities: HashMap::new(),
            exclude: Vec::new(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            assume_in_transaction: false,
        }
    }
}

impl LintConfig {
    /// Parse the user's input; an unknown rule id is an error naming it.
    pub fn from_input(text: &str) -> Result<LintConfig, ConfigError> {
        let mut cfg = LintConfig::default();
        cfg.apply_input(text)?;
        Ok(cfg)
    }

    /// Apply entries in the input format on top of this config (they win).
    pub fn apply_input(&mut self, text: &str) -> Result<(), ConfigError> {
        let cfg = self;
        for raw in text.split(['\n', ',']) {
            let entry = raw.split('#').next().unwrap_or("").trim();
            // Tolerate `rules: {` … `}` wrappers.
            let entry = entry.strip_prefix("rules:").unwrap_or(entry).trim();
            let entry = entry.trim_matches(|c| c == '{' || c == '}').trim();
            if entry.is_empty() {
                continue;
            }
            let (k, v) = entry
                .split_once('=')
                .or_else(|| entry.split_once(": "))
                .or_else(|| entry.split_once(':'))
                .ok_or_else(|| ConfigError::BadEntry {
                    entry: entry.to_string(),
                })?;
            let (k, v) = (k.trim(), v.trim().trim_matches(['"', '\'']));
            match k {
                "exclude" => cfg.exclude.push(Glob::new(v)),
                "max-file-size" => cfg.max_file_bytes = parse_size(v)?,
                id => {
                    let rules = squawk::resolve(id);
                    if rules.is_empty() {
                        return Err(ConfigError::UnknownRule {
                            id: id.to_string(),
                            known: lint::all()
                                .iter()
                                .map(|r| r.id)
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                    let sev = Severity::parse(v).ok_or_else(|| ConfigError::BadSeverity {
                        id: id.to_string(),
                        value: v.to_string(),
                    })?;
                    for r in rules {
                        cfg.severities.insert(r.id, sev);
                    }
                }
            }
        }
        Ok(())
    }

    /// Only `id` enabled (at warning unless its default is error): for tests
    /// and for focused runs.
    pub fn only(id: &str) -> LintConfig {
        let mut cfg = LintConfig::default();
        for r in lint::all() {
            let sev = if r.id == id {
                match r.default {
                    Severity::Off => Severity::Warning,
                    s => s,
                }
            } else {
                Severity::Off
            };
            cfg.severities.insert(r.id, sev);
        }
        cfg
    }

    pub fn severity(&self, rule: &Rule) -> Severity {
        self.severities
            .get(rule.id)
            .copied()
            .unwrap_or(rule.default)
    }

    pub fn is_excluded(&self, path: &str) -> bool {
        self.exclude.iter().any(|g| g.matches(path))
    }
}

fn parse_size(v: &str) -> Result<usize, ConfigError> {
    let u = v.to_ascii_uppercase();
    let (num, mult) = if let Some(n) = u.strip_suffix("MB") {
        (n, 1024 * 1024)
    } else if let Some(n) = u.strip_suffix("KB") {
        (n, 1024)
    } else {
        (u.strip_suffix('B').unwrap_or(&u), 1)
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| ConfigError::BadSize {
            value: v.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_line_format() {
        let c = LintConfig::from_input(
            "ban-drop-column=off, require-lock-timeout: warning\n# note\nexclude=migrations/legacy/**\nmax-file-size=2MB",
        )
        .unwrap();
        assert_eq!(c.severities["ban-drop-column"], Severity::Off);
        assert_eq!(c.severities["require-lock-timeout"], Severity::Warning);
        assert!(c.is_excluded("migrations/legacy/a/b.sql"));
        assert!(!c.is_excluded("migrations/new.sql"));
        assert_eq!(c.max_file_bytes, 2 * 1024 * 1024);
        assert!(LintConfig::from_input("rules: { ban-drop-table: error }").is_ok());
    }

    #[test]
    fn squawk_ids_are_aliases() {
        let c = LintConfig::from_input(
            "adding-not-nullable-field=off, ban-concurrent-index-creation-in-transaction=warning",
        )
        .unwrap();
        assert_eq!(
            c.severities["setting-not-null-on-existing-column"],
            Severity::Off
        );
        assert_eq!(
            c.severities["ban-concurrent-index-in-transaction"],
            Severity::Warning
        );
    }

    #[test]
    fn later_sources_win() {
        let mut c = LintConfig::from_input("ban-drop-column=off, exclude=a/**").unwrap();
        c.apply_input("ban-drop-column=error, exclude=b/**")
            .unwrap();
        assert_eq!(c.severities["ban-drop-column"], Severity::Error);
        assert!(c.is_excluded("a/1.sql") && c.is_excluded("b/1.sql"));
    }

    #[test]
    fn errors_name_the_problem() {
        let e = LintConfig::from_input("ban-drop-colum=off").unwrap_err();
        assert!(e.to_string().contains("`ban-drop-colum`"), "{e}");
        assert!(matches!(
            LintConfig::from_input("ban-drop-table=loud"),
            Err(ConfigError::BadSeverity { .. })
        ));
        assert!(matches!(
            LintConfig::from_input("nonsense"),
            Err(ConfigError::BadEntry { .. })
        ));
    }
}
