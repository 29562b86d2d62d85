//! Apply the PR's migrations to the preview branch over its direct (unpooled) URL: the
//! built-in runner (migrate mode's engine), or the user's `migrate-command` run as an
//! argument array with `DATABASE_URL`/`DIRECT_URL`, its output streamed in a group.

use super::comment::{AppliedFile, MigrationFailure, MigrationReport};
use super::settings::{Migrations, Settings};
use crate::error::{Error, Result};
use crate::host::{Annotation, Command, Host, Level};
use crate::runtime::Runtime;

/// Lines of a failed command's output kept for the comment.
const OUTPUT_TAIL_LINES: usize = 40;

pub async fn run<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    direct_url: &str,
) -> Result<Option<MigrationReport>> {
    rt.secret_url(direct_url);
    match &settings.migrations {
        Migrations::Command { raw, argv } => {
            command(rt, settings, raw, argv, direct_url).await.map(Some)
        }
        Migrations::Native => native(rt, settings, direct_url).await,
    }
}

async fn command<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    raw: &str,
    argv: &[String],
    url: &str,
) -> Result<MigrationReport> {
    let mut cmd = Command::new(argv[0].clone())
        .args(argv[1..].iter().cloned())
        .env("DATABASE_URL", url)
        .env("DIRECT_URL", url)
        .streamed();
    cmd.cwd = Some(settings.workspace.clone());
    rt.group(&format!("migrate-command: {raw}"));
    let started = rt.host.now_ms();
    let result = rt.host.run(&cmd).await;
    let total_ms = (rt.host.now_ms() - started).max(0.0) as u64;
    rt.end_group();
    let output = result.map_err(|e| {
        Error::input(
            "migrate-command",
            format!(
                "`{}` could not be started ({e}); is the tool installed in an earlier step, and is the command a program (not shell syntax)?",
                argv[0]
            ),
        )
    })?;
    let failure = (!output.success()).then(|| {
        let combined = format!("{}\n{}", output.stdout, output.stderr);
        let lines: Vec<&str> = combined.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(OUTPUT_TAIL_LINES)..].join("\n");
        MigrationFailure {
            path: None,
            line: None,
            message: rt.scrub(&format!(
                "exit code {}\n{tail}",
                output
                    .code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "none (killed by a signal)".into())
            )),
        }
    });
    Ok(MigrationReport {
        runner: raw.to_string(),
        is_command: true,
        applied: vec![],
        already_applied: 0,
        failure,
        total_ms,
    })
}

/// The built-in runner. Wired to migrate mode's engine (`modes::migrate`) when that lands;
/// until then this build can only run `migrate-command`.
async fn native<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    _url: &str,
) -> Result<Option<MigrationReport>> {
    let _ = settings;
    rt.warning("The built-in migration runner is not in this build yet: set `migrate-command` to apply migrations on the preview branch");
    Ok(None)
}

/// The annotation and step error for a failed migration.
pub fn failure_error<H: Host>(rt: &Runtime<H>, report: &MigrationReport, branch: &str) -> Error {
    let Some(f) = &report.failure else {
        return Error::Failed("migration failed".into());
    };
    rt.annotate(
        Level::Error,
        &Annotation {
            message: format!(
                "{}\nThe preview branch {branch} is kept as it is after the failure, for debugging.",
                f.message
            ),
            title: Some(match &f.path {
                Some(_) => "migration failed on the preview branch".into(),
                None => "migrate-command failed on the preview branch".into(),
            }),
            file: f.path.clone(),
            line: f.line,
            ..Default::default()
        },
    );
    let first_line = f.message.lines().next().unwrap_or_default();
    Error::Failed(match &f.path {
        Some(p) => format!(
            "migration {p}{} failed on preview branch {branch}: {first_line}",
            f.line.map(|l| format!(":{l}")).unwrap_or_default()
        ),
        None => format!(
            "migrate-command `{}` failed on preview branch {branch} ({first_line}); see its output in the log",
            report.runner
        ),
    })
}

/// The `migrations_applied` output.
pub fn applied_json(report: Option<&MigrationReport>) -> String {
    let files: Vec<&AppliedFile> = report
        .map(|r| r.applied.iter().collect())
        .unwrap_or_default();
    serde_json::Value::Array(
        files
            .iter()
            .map(|a| serde_json::json!({ "path": a.path, "ms": a.ms }))
            .collect(),
    )
    .to_string()
}
