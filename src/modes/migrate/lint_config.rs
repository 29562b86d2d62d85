//! The lint configuration, merged from its sources in the checkout and the
//! inputs (docs/lint-rules.md#configuration). Applied lowest precedence
//! first, so a later source wins for the same rule:
//!
//! 1. `.squawk.toml` at the repository root, when present (a squawk user's
//!    config keeps working);
//! 2. the file named by the `lint-config` input (the `lint-rules` format, for
//!    rules too many to keep in the workflow);
//! 3. the `lint-rules` input.

use crate::error::{Error, Result};
use crate::host::{Host, HostError, Level};
use crate::inputs::Inputs;
use crate::sql::{squawk, LintConfig};

pub const SQUAWK_FILE: &str = ".squawk.toml";

/// A file that is not there, as opposed to one that cannot be read.
fn is_missing(e: &HostError) -> bool {
    match e {
        HostError::File { message, .. } => {
            message.contains("ENOENT") || message.to_ascii_lowercase().contains("no such file")
        }
        _ => false,
    }
}

/// `lint-config`, checked: relative and inside the checkout (the file's
/// lines end up in error messages and the log).
fn config_path(raw: &str) -> Result<String> {
    let p = raw.trim().trim_start_matches("./").replace('\\', "/");
    if p.starts_with('/') || p.as_bytes().get(1) == Some(&b':') {
        return Err(Error::input(
            "lint-config",
            format!("`{raw}` is an absolute path: write it relative to the repository root, e.g. `db/lint-rules.conf`"),
        ));
    }
    if p.split('/').any(|s| s == "..") {
        return Err(Error::input(
            "lint-config",
            format!("`{raw}` leaves the repository (`..`): the file must be in the checkout"),
        ));
    }
    Ok(p)
}

/// Read and merge every source; logs one line naming the sources read, and
/// a warning per `.squawk.toml` rule id that neon-gitops cannot honour.
pub fn read<H: Host>(host: &H, workspace: &str) -> Result<LintConfig> {
    let inputs = Inputs::new(host);
    let workspace = workspace.trim_end_matches('/');
    let mut cfg = LintConfig::default();
    let mut sources = Vec::new();

    match host.read_file(&format!("{workspace}/{SQUAWK_FILE}")) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let t = squawk::parse_toml(&text).map_err(|(line, message)| {
                Error::Failed(format!(
                    "{SQUAWK_FILE}:{line}: {message} (neon-gitops reads squawk's config from the repository root; fix the file or delete it)"
                ))
            })?;
            for w in squawk::apply(&mut cfg, &t)
                .into_iter()
                .chain(t.notes.iter().cloned())
            {
                host.log(Level::Warning, &format!("{SQUAWK_FILE}: {w}"));
            }
            let mut read = Vec::new();
            if !t.excluded_rules.is_empty() {
                read.push(format!("{} excluded rules", t.excluded_rules.len()));
            }
            if !t.included_rules.is_empty() {
                read.push(format!("{} included rules", t.included_rules.len()));
            }
            if !t.excluded_paths.is_empty() {
                read.push(format!("{} excluded paths", t.excluded_paths.len()));
            }
            if cfg.assume_in_transaction {
                read.push("assume_in_transaction".into());
            }
            sources.push(if read.is_empty() {
                SQUAWK_FILE.to_string()
            } else {
                format!("{SQUAWK_FILE} ({})", read.join(", "))
            });
        }
        Err(e) if is_missing(&e) => {}
        Err(e) => {
            return Err(Error::Failed(format!(
                "{SQUAWK_FILE} is in the repository but cannot be read: {e}"
            )))
        }
    }

    if let Some(raw) = inputs.optional("lint-config") {
        let path = config_path(&raw)?;
        let bytes = host
            .read_file(&format!("{workspace}/{path}"))
            .map_err(|e| {
                let why = if is_missing(&e) {
                    "does not exist in the checkout; give the path relative to the repository root, and run actions/checkout before this step".to_string()
                } else {
                    format!("cannot be read ({e})")
                };
                Error::input("lint-config", format!("`{path}` {why}"))
            })?;
        // Line by line, so an error names its line (an entry never spans
        // lines, so this reads the file exactly as one input).
        for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            cfg.apply_input(line)
                .map_err(|e| Error::input("lint-config", format!("{path}:{}: {e}", i + 1)))?;
        }
        sources.push(format!("lint-config file {path}"));
    }

    let own = inputs.get("lint-rules");
    cfg.apply_input(&own)
        .map_err(|e| Error::input("lint-rules", e.to_string()))?;
    if !own.trim().is_empty() {
        sources.push("lint-rules input".into());
    }

    host.log(
        Level::Info,
        &if sources.is_empty() {
            format!("Lint config: the defaults (no lint-rules input, lint-config file or {SQUAWK_FILE})")
        } else {
            format!(
                "Lint config: {} (later ones win for the same rule)",
                sources.join(", ")
            )
        },
    );
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;
    use crate::sql::Severity;

    fn logs(h: &TestHost) -> Vec<String> {
        h.logs.borrow().iter().map(|(_, m)| m.clone()).collect()
    }

    #[test]
    fn precedence_input_over_file_over_squawk() {
        let h = TestHost::new()
            .with_file(
                "/w/.squawk.toml",
                b"excluded_rules = [\"ban-drop-column\", \"ban-drop-table\", \"renaming-table\", \"prefer-repack\"]\nexcluded_paths = [\"*legacy.sql\"]\n",
            )
            .with_file("/w/db/lint.conf", b"# ours\nban-drop-table=warning\nrenaming-table=error\n")
            .with_input("lint-config", "db/lint.conf")
            .with_input("lint-rules", "renaming-table=warning");
        let c = read(&h, "/w/").unwrap();
        assert_eq!(c.severities["ban-drop-column"], Severity::Off);
        assert_eq!(c.severities["ban-drop-table"], Severity::Warning);
        assert_eq!(c.severities["renaming-table"], Severity::Warning);
        assert!(c.is_excluded("migrations/003_legacy.sql"));
        let l = logs(&h);
        let line = l.iter().find(|m| m.starts_with("Lint config:")).unwrap();
        assert!(
            line.contains(".squawk.toml (4 excluded rules, 1 excluded paths)")
                && line.contains("lint-config file db/lint.conf")
                && line.contains("lint-rules input"),
            "{line}"
        );
        if crate::sql::lint::find("prefer-repack").is_none() {
            assert!(
                l.iter()
                    .any(|m| m.contains("`prefer-repack` is a squawk rule")),
                "{l:?}"
            );
        }
    }

    #[test]
    fn defaults_are_said_too() {
        let h = TestHost::new();
        let c = read(&h, ".").unwrap();
        assert!(c.severities.is_empty() && !c.assume_in_transaction);
        assert!(logs(&h)[0].contains("the defaults"), "{:?}", logs(&h));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let h = TestHost::new().with_input("lint-config", "db/missing.conf");
        let e = read(&h, "/w").unwrap_err().to_string();
        assert!(
            e.contains("`lint-config`")
                && e.contains("db/missing.conf")
                && e.contains("does not exist"),
            "{e}"
        );
        let h = TestHost::new()
            .with_file("/w/l.conf", b"ban-drop-table=off\n\nno-such-rule=off\n")
            .with_input("lint-config", "l.conf");
        let e = read(&h, "/w").unwrap_err().to_string();
        assert!(
            e.contains("l.conf:3:") && e.contains("`no-such-rule`"),
            "{e}"
        );
        let h = TestHost::new().with_file(
            "/w/.squawk.toml",
            b"excluded_rules = [\n\"a\"\nassume = 1\n",
        );
        let e = read(&h, "/w").unwrap_err().to_string();
        assert!(e.starts_with(".squawk.toml:3:"), "{e}");
        let h = TestHost::new().with_input("lint-config", "../x.conf");
        assert!(read(&h, "/w")
            .unwrap_err()
            .to_string()
            .contains("leaves the repository"));
        // An unknown id in the input stays an error (a squawk config only warns).
        let h = TestHost::new().with_input("lint-rules", "prefer-repackk=off");
        assert!(read(&h, "/w").is_err());
    }
}
