//! Reading and validating action inputs. Every problem names the input as written in the
//! workflow file and says what a valid value looks like, before any network call is made.

use crate::error::{Error, Result};
use crate::host::Host;

/// Input names of Neon's own actions (create-branch-action v5/v6, delete-branch-action,
/// reset-branch-action) read as ours, so their `with:` blocks work unchanged:
/// `(ours, theirs)`. Each use gets one notice naming the new input (`announce_aliases`).
pub const ALIASES: &[(&str, &str)] = &[
    ("neon-api-key", "api_key"),
    ("neon-api-host", "api_host"),
    ("neon-project-id", "project_id"),
    ("branch-name", "branch_name"),
    ("branch-name", "branch"),
    ("parent", "parent_branch"),
    ("suspend-timeout", "suspend_timeout"),
    ("role", "username"),
    ("role", "cs_role_name"),
    ("database", "cs_database"),
    ("ssl", "cs_ssl"),
    ("prisma", "cs_prisma"),
];

/// One notice per alias the workflow uses, naming the input to rename it to.
pub fn announce_aliases<H: Host>(rt: &crate::runtime::Runtime<H>) {
    for (ours, theirs) in ALIASES {
        if !rt.host.input(theirs).is_empty() {
            let note = if rt.host.input(ours).is_empty() {
                format!("input `{theirs}` (the name Neon's actions use) is read as `{ours}`; rename it to `{ours}`")
            } else {
                format!(
                    "input `{theirs}` is ignored: `{ours}` is set too and wins; remove `{theirs}`"
                )
            };
            rt.notice_once(&note);
        }
    }
}

/// Typed access to `with:` inputs.
pub struct Inputs<'a, H: Host> {
    host: &'a H,
}

impl<'a, H: Host> Inputs<'a, H> {
    pub fn new(host: &'a H) -> Self {
        Inputs { host }
    }

    /// The raw value, "" when not given (under our name, or a Neon action's for it).
    pub fn get(&self, name: &str) -> String {
        let own = self.host.input(name);
        if !own.is_empty() {
            return own;
        }
        ALIASES
            .iter()
            .filter(|(ours, _)| *ours == name)
            .map(|(_, theirs)| self.host.input(theirs))
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str, why: &str) -> Result<String> {
        self.optional(name)
            .ok_or_else(|| Error::input(name, format!("is required {why}")))
    }

    pub fn bool(&self, name: &str, default: bool) -> Result<bool> {
        match self.get(name).to_ascii_lowercase().as_str() {
            "" => Ok(default),
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            other => Err(Error::input(
                name,
                format!("`{other}` is not a boolean: use true or false"),
            )),
        }
    }

    pub fn positive_int(&self, name: &str, default: u64, max: u64) -> Result<u64> {
        let raw = self.get(name);
        if raw.is_empty() {
            return Ok(default);
        }
        match raw.parse::<u64>() {
            Ok(n) if n >= 1 && n <= max => Ok(n),
            _ => Err(Error::input(
                name,
                format!("`{raw}` is not a whole number between 1 and {max}"),
            )),
        }
    }

    /// A duration like `30s`, `5m`, `2h`, `7d` (or plain seconds), in milliseconds.
    pub fn duration_ms(&self, name: &str, default_ms: u64, max_ms: u64) -> Result<u64> {
        let raw = self.get(name);
        if raw.is_empty() {
            return Ok(default_ms);
        }
        let ms = parse_duration_ms(&raw).ok_or_else(|| {
            Error::input(
                name,
                format!("`{raw}` is not a duration: write a number with a unit, e.g. 500ms, 30s, 5m, 2h or 7d"),
            )
        })?;
        if ms > max_ms {
            return Err(Error::input(
                name,
                format!(
                    "`{raw}` is longer than the maximum of {}",
                    describe_ms(max_ms)
                ),
            ));
        }
        Ok(ms)
    }

    pub fn choice(&self, name: &str, allowed: &[&str], default: &str) -> Result<String> {
        let raw = self.get(name);
        if raw.is_empty() {
            return Ok(default.to_string());
        }
        let lower = raw.to_ascii_lowercase();
        if allowed.contains(&lower.as_str()) {
            Ok(lower)
        } else {
            Err(Error::input(
                name,
                format!("`{raw}` is not one of: {}", allowed.join(", ")),
            ))
        }
    }
}

pub fn parse_duration_ms(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: f64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "ms" => 1.0,
        "" | "s" | "sec" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    (value.is_finite() && value >= 0.0).then_some((value * factor) as u64)
}

fn describe_ms(ms: u64) -> String {
    if ms.is_multiple_of(86_400_000) {
        format!("{}d", ms / 86_400_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("7d"), Some(604_800_000));
        assert_eq!(parse_duration_ms("5s"), Some(5000));
        assert_eq!(parse_duration_ms("250ms"), Some(250));
        assert_eq!(parse_duration_ms("90"), Some(90_000));
        assert_eq!(parse_duration_ms("abc"), None);
        assert_eq!(parse_duration_ms("5 fortnights"), None);
    }

    #[test]
    fn errors_name_the_input() {
        let host = TestHost::new()
            .with_input("branch-ttl", "99d")
            .with_input("jobs", "0")
            .with_input("lock-timeout", "abc");
        let inputs = Inputs::new(&host);
        let ttl = inputs
            .duration_ms("branch-ttl", 0, 30 * 86_400_000)
            .unwrap_err()
            .to_string();
        assert!(
            ttl.starts_with("input `branch-ttl`") && ttl.contains("30d"),
            "{ttl}"
        );
        let jobs = inputs.positive_int("jobs", 2, 64).unwrap_err().to_string();
        assert!(jobs.contains("`jobs`"), "{jobs}");
        let lt = inputs
            .duration_ms("lock-timeout", 5000, 3_600_000)
            .unwrap_err()
            .to_string();
        assert!(lt.contains("`lock-timeout`") && lt.contains("30s"), "{lt}");
    }
}
