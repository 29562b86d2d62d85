//! mode: sync's inputs, validated before anything connects anywhere.

use super::dump::Transfer;
use super::mask::{parse_mask_rules, MaskRule};
use super::patterns::{parse_patterns, Pattern};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::inputs::Inputs;

#[derive(Debug, Clone)]
pub enum Target {
    Neon {
        api_key: String,
        api_host: String,
        project_id: String,
        twin_branch: String,
        role: Option<String>,
        database: Option<String>,
    },
    Url(String),
}

impl Target {
    /// The twin as people know it: the branch name, or the target URL's database name.
    pub fn twin_name(&self) -> String {
        match self {
            Target::Neon { twin_branch, .. } => twin_branch.clone(),
            Target::Url(url) => crate::url::PgUrl::parse(url)
                .map(|u| u.database)
                .unwrap_or_default(),
        }
    }
}

/// What verification compares besides row counts and the catalog (docs/sync.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Counts and a fingerprint of every row's content.
    Content,
    /// Counts only: for databases where the fingerprints' extra scans cost too much.
    Counts,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub source_url: String,
    pub target: Target,
    pub tables: Vec<Pattern>,
    pub exclude_tables: Vec<Pattern>,
    pub exclude_table_data: Vec<Pattern>,
    pub mask: Vec<MaskRule>,
    /// None: the runner's cores.
    pub jobs: Option<u64>,
    pub keep_backups: usize,
    pub install_client: bool,
    /// Restore into a target of an older major than production (not promised by pg_dump).
    pub allow_older_target: bool,
    pub pg_bin_dir: Option<String>,
    pub slack_webhook_url: Option<String>,
    pub transfer: Transfer,
    /// Tables at least this big get a data stream of their own (dump::plan_streams).
    pub own_stream_min_bytes: u64,
    pub temp_dir: String,
    pub verify: Verify,
    /// Leave out what depends on extensions the target lacks, instead of failing.
    pub skip_missing_extensions: bool,
    /// `large-objects: copy` (true) or `skip`.
    pub large_objects: bool,
    /// `refresh-dev-branches`: dev branches to reset onto the fresh twin after the swap.
    pub refresh_dev_branches: Option<crate::modes::dev::settings::RefreshOptions>,
}

/// The default fast path, chosen by measurement (bench/sync): see README.
pub const DEFAULT_TRANSFER: Transfer = Transfer::Stream;

pub fn read<H: Host>(host: &H) -> Result<Settings> {
    let inputs = Inputs::new(host);
    let source_url = inputs.required(
        "source-url",
        "for mode: sync: the production connection URL to copy from, from a secret",
    )?;
    let target = match inputs.optional("target-url") {
        Some(url) => Target::Url(url),
        None => Target::Neon {
            api_key: inputs.required(
                "neon-api-key",
                "for mode: sync when no `target-url` is given (the twin is a Neon branch)",
            )?,
            project_id: inputs.required(
                "neon-project-id",
                "for mode: sync when no `target-url` is given (the twin is a Neon branch)",
            )?,
            api_host: inputs
                .optional("neon-api-host")
                .unwrap_or_else(|| crate::neon::DEFAULT_API_HOST.to_string()),
            twin_branch: twin_branch(&inputs)?,
            role: inputs.optional("role"),
            database: inputs.optional("database"),
        },
    };
    let keep_raw = inputs.get("keep-backups");
    let keep_backups = if keep_raw.is_empty() {
        1
    } else {
        keep_raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 30)
            .ok_or_else(|| {
                Error::input(
                    "keep-backups",
                    format!("`{keep_raw}` is not a whole number between 0 and 30"),
                )
            })?
    };
    let transfer = match host.env("NEON_GITOPS_SYNC_TRANSFER").as_deref() {
        Some("directory") => Transfer::Directory,
        Some("stream") => Transfer::Stream,
        _ => DEFAULT_TRANSFER,
    };
    Ok(Settings {
        source_url,
        target,
        tables: parse_patterns("tables", &inputs.get("tables"))?,
        exclude_tables: parse_patterns("exclude-tables", &inputs.get("exclude-tables"))?,
        exclude_table_data: parse_patterns(
            "exclude-table-data",
            &inputs.get("exclude-table-data"),
        )?,
        mask: parse_mask_rules(&host.input("mask"))?,
        jobs: match inputs.optional("jobs") {
            Some(_) => Some(inputs.positive_int("jobs", 1, 64)?),
            None => None,
        },
        keep_backups,
        install_client: inputs.bool("install-client", false)?,
        allow_older_target: inputs.bool("allow-older-target", false)?,
        pg_bin_dir: inputs.optional("pg-bin-dir"),
        slack_webhook_url: inputs.optional("slack-webhook-url"),
        transfer,
        // Tests set it low to exercise several streams on small tables.
        own_stream_min_bytes: host
            .env("NEON_GITOPS_SYNC_STREAM_MIN_BYTES")
            .and_then(|v| v.parse().ok())
            .unwrap_or(super::dump::OWN_STREAM_MIN_BYTES),
        temp_dir: host
            .env("RUNNER_TEMP")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "/tmp".into()),
        verify: match inputs
            .choice("verify", &["content", "counts"], "content")?
            .as_str()
        {
            "counts" => Verify::Counts,
            _ => Verify::Content,
        },
        skip_missing_extensions: inputs.bool("skip-missing-extensions", false)?,
        large_objects: inputs.choice("large-objects", &["copy", "skip"], "copy")? == "copy",
        refresh_dev_branches: match inputs.optional("refresh-dev-branches") {
            Some(pattern) => Some(crate::modes::dev::settings::refresh_options(
                &inputs, pattern,
            )?),
            None => None,
        },
    })
}

/// `twin-branch`, short enough that its staging and backup names (`<twin>_sync_<stamp>`,
/// 22 characters more) fit Neon's 256-character branch names.
fn twin_branch<H: Host>(inputs: &Inputs<'_, H>) -> Result<String> {
    let name = inputs
        .optional("twin-branch")
        .unwrap_or_else(|| "twin".into());
    let max = crate::neon::MAX_BRANCH_NAME - "_sync_20260101T000000Z".len();
    if name.chars().count() > max {
        return Err(Error::input(
            "twin-branch",
            format!(
                "is {} characters long; at most {max} fit, because the sync names branches `<twin-branch>_sync_<timestamp>` and Neon's branch names are at most {} characters",
                name.chars().count(),
                crate::neon::MAX_BRANCH_NAME
            ),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;

    #[test]
    fn neon_target_needs_key_and_project() {
        let host = TestHost::new().with_input("source-url", "postgresql://u:p@h/db");
        let e = read(&host).unwrap_err().to_string();
        assert!(e.contains("`neon-api-key`"), "{e}");
        let host = host
            .with_input("neon-api-key", "k")
            .with_input("neon-project-id", "p");
        let s = read(&host).unwrap();
        assert!(matches!(s.target, Target::Neon { ref twin_branch, .. } if twin_branch == "twin"));
        assert_eq!(s.keep_backups, 1);
        assert_eq!(s.transfer, DEFAULT_TRANSFER);
        let long = "t".repeat(235);
        let e = read(&host.with_input("twin-branch", &long))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`twin-branch`") && e.contains("at most 234"),
            "{e}"
        );
    }

    #[test]
    fn plain_target_and_validation() {
        let host = TestHost::new()
            .with_input("source-url", "postgresql://u:p@h/db")
            .with_input("target-url", "postgresql://u:p@t/dev")
            .with_input("keep-backups", "0")
            .with_input("mask", "users.email: fake-email\nusers.x: nope");
        let e = read(&host).unwrap_err().to_string();
        assert!(e.contains("`mask`: line 2"), "{e}");
        let host = TestHost::new()
            .with_input("source-url", "postgresql://u:p@h/db")
            .with_input("target-url", "postgresql://u:p@t/dev")
            .with_input("keep-backups", "0");
        let s = read(&host).unwrap();
        assert_eq!(s.keep_backups, 0);
        assert!(matches!(s.target, Target::Url(_)));
        let host = host.with_input("keep-backups", "lots");
        assert!(read(&host)
            .unwrap_err()
            .to_string()
            .contains("`keep-backups`"));
    }
}
