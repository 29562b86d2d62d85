//! mode: preview's inputs, read and validated before any network call. Every problem
//! names the input as written in the workflow.

use crate::error::{Error, Result};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::sql::LintConfig;

/// Neon keeps a branch at most 30 days after `expires_at` is set.
pub const MAX_TTL_MS: u64 = 30 * 86_400_000;
pub const DEFAULT_MIGRATIONS_PATH: &str = "migrations/**/*.sql";

use crate::modes::migrate::settings::ApplySettings;
/// Which lint findings fail the step (after everything has been reported).
pub use crate::modes::migrate::settings::FailOn;

/// How migrations are applied to the preview branch.
#[derive(Debug, Clone, PartialEq)]
pub enum Migrations {
    /// The built-in runner (migrate mode's engine) over `migrations-path`.
    Native,
    /// `migrate-command`, already split into an argument array.
    Command { raw: String, argv: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub api_key: String,
    pub project_id: String,
    pub api_host: String,
    pub github_token: String,
    pub github_api_url: String,
    /// `owner/name`
    pub repository: String,
    pub workspace: String,
    pub branch_template: String,
    pub parent: Option<String>,
    pub parent_timestamp: Option<String>,
    pub parent_lsn: Option<String>,
    pub ttl_ms: Option<u64>,
    /// An absolute expiry (`expires_at`, as Neon's create-branch-action takes it).
    pub expires_at: Option<String>,
    pub suspend_timeout: Option<i64>,
    /// `sslmode` in the URL outputs: `require` (default), `verify-ca`, `verify-full`, or
    /// `omit` (no parameter), as create-branch-action's `ssl`.
    pub ssl: String,
    /// Connection parameters Prisma needs (create-branch-action's `prisma: true`).
    pub prisma: bool,
    /// Set `auth_url` / `data_api_url` when the branch has Neon Auth / a Data API
    /// (create-branch-action's `get_auth_url` / `get_data_api_url`).
    pub get_auth_url: bool,
    pub get_data_api_url: bool,
    /// `comment: always`, or only when the PR touches migrations or the schema differs
    /// (`on-change`, the default; an existing comment is always kept up to date).
    /// One-click fixes of lint findings as review comments with suggestion blocks.
    pub suggestions: bool,
    pub comment_always: bool,
    pub role: Option<String>,
    pub database: Option<String>,
    pub reset_on_push: Option<bool>,
    pub migrations_path: String,
    pub migrations: Migrations,
    pub fail_on: FailOn,
    pub lint: LintConfig,
    /// Link to this run (comment footer), when the runner says where it is.
    pub run_url: Option<String>,
    /// The step's id as the runner names it (`GITHUB_ACTION`: the `id:` given, else the
    /// action's name with `_2`… for its later uses in the job): keys the PR comment, so two
    /// preview steps of one job keep two comments.
    pub step_key: String,
    /// The built-in runner's settings (the same inputs as mode: migrate, so the preview
    /// rehearses exactly what production will get).
    pub apply: ApplySettings,
}

/// `2026-11-30T08:00:00Z`, `2026-11-30T08:00:00.5+01:00`: RFC 3339 with a zone, as
/// Neon's `parent_timestamp` takes it.
fn is_rfc3339(v: &str) -> bool {
    crate::time::parse_rfc3339(v).is_some()
}

/// `0/1A2B3C4D`: a WAL position, two hex numbers of up to 8 digits.
fn is_lsn(v: &str) -> bool {
    let hex = |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_hexdigit());
    v.split_once('/').is_some_and(|(a, b)| hex(a) && hex(b))
}

/// `parent-timestamp` / `parent-lsn`, checked: the right syntax, and never both.
fn point_in_time<H: Host>(
    inputs: &Inputs<'_, H>,
    name: &str,
    valid: fn(&str) -> bool,
) -> Result<Option<String>> {
    let Some(v) = inputs.optional(name) else {
        return Ok(None);
    };
    if !valid(&v) {
        let want = if name == "parent-lsn" {
            "a WAL position such as `0/1A2B3C4D`"
        } else {
            "an RFC 3339 time with a zone such as `2026-11-30T08:00:00Z`"
        };
        return Err(Error::input(name, format!("`{v}` is not {want}")));
    }
    let other = if name == "parent-lsn" {
        "parent-timestamp"
    } else {
        "parent-lsn"
    };
    if inputs.optional(other).is_some() {
        return Err(Error::input(
            name,
            format!("is set together with `{other}`: a branch starts at one point in its parent's history, give one of them"),
        ));
    }
    Ok(Some(v))
}

pub fn read<H: Host>(host: &H) -> Result<Settings> {
    let inputs = Inputs::new(host);
    // create-branch-action inputs this action does not do: a clear error, not a branch
    // that silently lacks what was asked for.
    for (name, default, why) in [
        (
            "branch_type",
            "default",
            "schema-only branches are not supported",
        ),
        (
            "masking_rules",
            "",
            "Neon masking rules are not supported; mode: sync masks data for a twin",
        ),
    ] {
        let v = inputs.get(name);
        if !v.is_empty() && !v.eq_ignore_ascii_case(default) {
            return Err(Error::input(
                name,
                format!("`{v}`: {why}; remove the input"),
            ));
        }
    }
    let ttl = inputs.duration_ms("branch-ttl", 0, MAX_TTL_MS)?;
    let suspend_timeout = match inputs.optional("suspend-timeout") {
        Some(raw) => Some(suspend_seconds(&raw)?),
        None => None,
    };
    let migrations = match inputs.optional("migrate-command") {
        Some(raw) => {
            let argv = super::argv::split(&raw)
                .map_err(|e| Error::input("migrate-command", format!("`{raw}` {e}")))?;
            Migrations::Command { raw, argv }
        }
        None => Migrations::Native,
    };
    // The engine's inputs are read exactly as mode: migrate reads them, so the preview
    // rehearses what production will get.
    let apply = crate::modes::migrate::settings::apply_settings(host)?;
    let run_url = crate::modes::migrate::settings::run_url(host);
    let env = |k: &str| host.env(k).filter(|v| !v.is_empty());
    let repository = env("GITHUB_REPOSITORY").unwrap_or_default();
    Ok(Settings {
        api_key: inputs.get("neon-api-key"),
        project_id: inputs.get("neon-project-id"),
        api_host: inputs
            .optional("neon-api-host")
            .unwrap_or_else(|| crate::neon::DEFAULT_API_HOST.to_string()),
        github_token: inputs.get("github-token"),
        github_api_url: env("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
        repository,
        workspace: env("GITHUB_WORKSPACE").unwrap_or_else(|| ".".into()),
        branch_template: inputs
            .optional("branch-name")
            .unwrap_or_else(|| super::naming::DEFAULT_TEMPLATE.to_string()),
        parent: inputs.optional("parent"),
        parent_timestamp: point_in_time(&inputs, "parent-timestamp", is_rfc3339)?,
        parent_lsn: point_in_time(&inputs, "parent-lsn", is_lsn)?,
        ttl_ms: (ttl > 0).then_some(ttl),
        expires_at: match inputs.optional("expires_at") {
            Some(_) if ttl > 0 => {
                return Err(Error::input(
                    "expires_at",
                    "and `branch-ttl` both set an expiry: keep one",
                ))
            }
            Some(at) if !is_rfc3339(&at) => {
                return Err(Error::input(
                    "expires_at",
                    format!("`{at}` is not an RFC 3339 time (e.g. 2026-12-31T00:00:00Z)"),
                ))
            }
            other => other,
        },
        suspend_timeout,
        ssl: inputs.choice(
            "ssl",
            &["require", "verify-ca", "verify-full", "omit"],
            "require",
        )?,
        prisma: inputs.bool("prisma", false)?,
        get_auth_url: inputs.bool("get_auth_url", false)?,
        get_data_api_url: inputs.bool("get_data_api_url", false)?,
        suggestions: inputs.bool("suggestions", true)?,
        comment_always: inputs.choice("comment", &["on-change", "always"], "on-change")?
            == "always",
        role: inputs.optional("role"),
        database: inputs.optional("database"),
        reset_on_push: match inputs.optional("reset-on-push") {
            Some(_) => Some(inputs.bool("reset-on-push", true)?),
            None => None,
        },
        migrations_path: crate::modes::migrate::settings::migrations_path(&inputs)?,
        migrations,
        fail_on: apply.fail_on,
        lint: apply.lint.clone(),
        run_url,
        step_key: env("GITHUB_ACTION").unwrap_or_default(),
        apply,
    })
}

/// `suspend-timeout` in seconds; Neon accepts -1 (never) and 0 (the project default) too.
pub(crate) fn suspend_seconds(raw: &str) -> Result<i64> {
    if let Ok(n @ (-1 | 0)) = raw.trim().parse::<i64>() {
        return Ok(n);
    }
    let secs = crate::inputs::parse_duration_ms(raw)
        .map(|ms| (ms / 1000) as i64)
        .ok_or_else(|| {
            Error::input(
                "suspend-timeout",
                format!("`{raw}` is not a duration, e.g. 300s or 5m"),
            )
        })?;
    if !(60..=604_800).contains(&secs) {
        return Err(Error::input(
            "suspend-timeout",
            format!("`{raw}` is outside what Neon accepts: between 60s and 7d (or -1 for never)"),
        ));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_in_time_are_checked() {
        for ok in [
            "2026-11-30T08:00:00Z",
            "2026-11-30T08:00:00.123+01:00",
            "2026-11-30t08:00:00z",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2026-11-30",
            "2026-11-30 08:00:00Z",
            "2026-11-30T08:00:00",
            "yesterday",
            "2026-11-30T08:00:00.Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
        assert!(is_lsn("0/1A2B3C4D") && is_lsn("16/B374D848"));
        assert!(!is_lsn("0/") && !is_lsn("xyz") && !is_lsn("0/123456789"));
        let base = || {
            TestHost::new()
                .with_input("neon-api-key", "k")
                .with_input("neon-project-id", "p")
        };
        let e = read(&base().with_input("parent-timestamp", "yesterday"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`parent-timestamp`") && e.contains("RFC 3339"),
            "{e}"
        );
        let e = read(
            &base()
                .with_input("parent-timestamp", "2026-11-30T08:00:00Z")
                .with_input("parent-lsn", "0/1"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("give one of them"), "{e}");
        let s = read(&base().with_input("parent-lsn", "0/16B3748")).unwrap();
        assert_eq!(s.parent_lsn.as_deref(), Some("0/16B3748"));
    }
    use crate::host::testing::TestHost;

    #[test]
    fn defaults() {
        let s = read(&TestHost::new()).unwrap();
        assert_eq!(s.migrations, Migrations::Native);
        assert_eq!(s.fail_on, FailOn::Error);
        assert_eq!(s.migrations_path, DEFAULT_MIGRATIONS_PATH);
        assert_eq!(s.ttl_ms, None);
        assert_eq!(s.reset_on_push, None);
        assert_eq!(s.run_url, None);
    }

    #[test]
    fn parses_and_names_bad_inputs() {
        let host = TestHost::new()
            .with_input(
                "migrate-command",
                "npx prisma migrate deploy --schema 'db/my schema.prisma'",
            )
            .with_input("fail-on", "Warning")
            .with_input("branch-ttl", "7d")
            .with_input("suspend-timeout", "5m")
            .with_input("reset-on-push", "false")
            .with_env("GITHUB_REPOSITORY", "acme/shop")
            .with_env("GITHUB_RUN_ID", "42");
        let s = read(&host).unwrap();
        match &s.migrations {
            Migrations::Command { argv, .. } => assert_eq!(
                argv,
                &[
                    "npx",
                    "prisma",
                    "migrate",
                    "deploy",
                    "--schema",
                    "db/my schema.prisma"
                ]
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.fail_on, FailOn::Warning);
        assert_eq!(s.ttl_ms, Some(7 * 86_400_000));
        assert_eq!(s.suspend_timeout, Some(300));
        assert_eq!(s.reset_on_push, Some(false));
        assert_eq!(
            s.run_url.as_deref(),
            Some("https://github.com/acme/shop/actions/runs/42")
        );

        for (input, value, mention) in [
            ("migrate-command", "npx 'unclosed", "migrate-command"),
            ("migrate-command", "a && b", "shell"),
            ("fail-on", "sometimes", "error, warning, never"),
            ("suspend-timeout", "5s", "60s"),
            ("lint-rules", "no-such-rule=error", "lint-rules"),
            ("reset-on-push", "maybe", "reset-on-push"),
        ] {
            let err = read(&TestHost::new().with_input(input, value))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(input) && err.contains(mention),
                "{input}={value}: {err}"
            );
        }
    }
}
