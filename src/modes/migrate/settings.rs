//! mode: migrate's inputs, read and validated before anything touches a database.

use super::tracking::TrackingTable;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::sql::format::MigrationFormat;
use crate::sql::LintConfig;

/// Which lint findings fail the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

/// What the engine needs to apply migrations to one database (production, a rehearsal
/// branch, or a preview branch).
#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub tracking: TrackingTable,
    pub lock_timeout_ms: u64,
    pub lock_retries: u64,
    pub lock_wait_ms: u64,
    pub allow_out_of_order: bool,
    /// Record every file up to this one as applied without running it.
    pub baseline: Option<String>,
    pub pg_bin_dir: Option<String>,
    /// `install-client: true`: apt-get the server's client major when psql is missing or older.
    pub install_client: bool,
    /// Commit SHA recorded in `applied_by`.
    pub applied_by: String,
    pub run_url: String,
    pub lint: LintConfig,
    pub fail_on: FailOn,
    /// `format:`: the migration tool, when detection from file names and contents is not
    /// wanted (None: detect).
    pub format: Option<MigrationFormat>,
    /// `max-blocking`: the longest a statement may block reads or writes, as measured by
    /// the trace on a branch (preview, rehearsal). None: no gate.
    pub max_blocking_ms: Option<u64>,
    /// `trace`: measure locks per statement on preview and rehearsal branches (never on
    /// production, whatever this says).
    pub trace: bool,
}

#[derive(Debug, Clone)]
pub struct NeonSettings {
    pub api_key: String,
    pub project_id: String,
    pub api_host: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub migrations_glob: String,
    pub workspace: String,
    pub dry_run: bool,
    pub rehearse_on_branch: Option<String>,
    pub migrate_command: Option<Vec<String>>,
    pub neon: Option<NeonSettings>,
    pub apply: ApplySettings,
}

/// The checkout's root, where migrations are found (and `.squawk.toml`).
pub fn workspace<H: Host>(host: &H) -> String {
    host.env("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| ".".into())
}

/// `migrations-path`, checked: a glob of files inside the checkout (both modes).
pub fn migrations_path<H: Host>(inputs: &Inputs<'_, H>) -> Result<String> {
    let raw = inputs
        .optional("migrations-path")
        .unwrap_or_else(|| "migrations/**/*.sql".into());
    crate::sql::glob::Glob::repository_path(&raw)
        .map_err(|e| Error::input("migrations-path", format!("`{raw}` {e}")))?;
    Ok(raw)
}

pub fn read<H: Host>(host: &H) -> Result<Settings> {
    let inputs = Inputs::new(host);
    let database_url = inputs.required(
        "database-url",
        "for mode: migrate: the production connection URL, from a secret (e.g. `${{ secrets.PROD_DATABASE_URL }}`)",
    )?;
    if crate::url::PgUrl::parse(&database_url).is_none() {
        return Err(Error::input(
            "database-url",
            "is not a postgres:// or postgresql:// connection URL",
        ));
    }
    let migrate_command = match inputs.optional("migrate-command") {
        Some(raw) => Some(
            super::argv::split(&raw)
                .map_err(|e| Error::input("migrate-command", format!("`{raw}` {e}")))?,
        ),
        None => None,
    };
    let rehearse_on_branch = inputs.optional("rehearse-on-branch");
    let neon = if rehearse_on_branch.is_some() {
        let why = "when `rehearse-on-branch` is set (the rehearsal branch is created in Neon)";
        Some(NeonSettings {
            api_key: inputs.required("neon-api-key", why)?,
            project_id: inputs.required("neon-project-id", why)?,
            api_host: inputs
                .optional("neon-api-host")
                .unwrap_or_else(|| crate::neon::DEFAULT_API_HOST.to_string()),
        })
    } else {
        None
    };
    Ok(Settings {
        database_url,
        migrations_glob: migrations_path(&inputs)?,
        workspace: workspace(host),
        dry_run: inputs.bool("dry-run", false)?,
        rehearse_on_branch,
        migrate_command,
        neon,
        apply: apply_settings(host)?,
    })
}

/// The engine inputs every mode that applies migrations reads the same way (migrate on
/// production, preview on its branch, so a preview rehearses exactly what production
/// will get): tracking table, lock handling, ordering, client, lint configuration (all
/// its sources, see `lint_config`), `fail-on`, and
/// what a tracking row records about this run.
pub fn apply_settings<H: Host>(host: &H) -> Result<ApplySettings> {
    let inputs = Inputs::new(host);
    let tracking = TrackingTable::parse(
        &inputs
            .optional("tracking-table")
            .unwrap_or_else(|| "public.neon_gitops_migrations".into()),
    )?;
    let lint = super::lint_config::read(host, &workspace(host))?;
    let fail_on = match inputs
        .choice("fail-on", &["error", "warning", "never"], "error")?
        .as_str()
    {
        "warning" => FailOn::Warning,
        "never" => FailOn::Never,
        _ => FailOn::Error,
    };
    Ok(ApplySettings {
        tracking,
        lock_timeout_ms: inputs.duration_ms("lock-timeout", 5000, 3_600_000)?,
        lock_retries: match inputs.get("lock-retries").as_str() {
            "0" => 0,
            _ => inputs.positive_int("lock-retries", 5, 100)?,
        },
        lock_wait_ms: inputs.duration_ms("lock-wait", 300_000, 6 * 3_600_000)?,
        allow_out_of_order: inputs.bool("allow-out-of-order", false)?,
        baseline: inputs.optional("baseline"),
        pg_bin_dir: inputs.optional("pg-bin-dir"),
        install_client: inputs.bool("install-client", false)?,
        applied_by: host.env("GITHUB_SHA").unwrap_or_default(),
        run_url: run_url(host).unwrap_or_default(),
        lint,
        fail_on,
        trace: inputs.bool("trace", true)?,
        max_blocking_ms: match inputs.get("max-blocking").as_str() {
            "" => None,
            _ => Some(inputs.duration_ms("max-blocking", 0, 3_600_000)?),
        },
        format: match inputs
            .choice(
                "format",
                &[
                    "auto",
                    "plain",
                    "golang-migrate",
                    "dbmate",
                    "flyway",
                    "prisma",
                    "diesel",
                    "atlas",
                    "sqitch",
                    "liquibase",
                ],
                "auto",
            )?
            .as_str()
        {
            "plain" | "golang-migrate" => Some(MigrationFormat::PlainSql),
            "dbmate" => Some(MigrationFormat::Dbmate),
            "flyway" => Some(MigrationFormat::Flyway),
            "prisma" => Some(MigrationFormat::Prisma),
            "diesel" => Some(MigrationFormat::Diesel),
            "atlas" => Some(MigrationFormat::Atlas),
            "sqitch" => Some(MigrationFormat::Sqitch),
            "liquibase" => Some(MigrationFormat::Liquibase),
            _ => None,
        },
    })
}

/// This workflow run's page, when the runner says where it is.
pub fn run_url<H: Host>(host: &H) -> Option<String> {
    let env = |k: &str| host.env(k).filter(|v| !v.is_empty());
    let server = env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
    let repository = env("GITHUB_REPOSITORY")?;
    let id = env("GITHUB_RUN_ID")?;
    Some(format!("{server}/{repository}/actions/runs/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;

    #[test]
    fn defaults_and_errors_name_inputs() {
        let host = TestHost::new().with_input("database-url", "postgresql://u:p@h/db");
        let s = read(&host).unwrap();
        assert_eq!(s.apply.lock_timeout_ms, 5000);
        assert_eq!(s.apply.lock_retries, 5);
        assert_eq!(s.migrations_glob, "migrations/**/*.sql");
        assert!(!s.dry_run && s.migrate_command.is_none());

        let err = read(&TestHost::new()).unwrap_err().to_string();
        assert!(err.contains("`database-url`"), "{err}");
        let host = TestHost::new()
            .with_input("database-url", "postgresql://u:p@h/db")
            .with_input("rehearse-on-branch", "twin");
        assert!(read(&host)
            .unwrap_err()
            .to_string()
            .contains("`neon-api-key`"));
        let host = TestHost::new()
            .with_input("database-url", "postgresql://u:p@h/db")
            .with_input("migrate-command", "prisma migrate deploy && echo done");
        assert!(read(&host)
            .unwrap_err()
            .to_string()
            .contains("`migrate-command`"));
    }
}
