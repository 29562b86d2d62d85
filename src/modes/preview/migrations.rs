//! Apply the PR's migrations to the preview branch over its direct (unpooled) URL: the
//! built-in runner (migrate mode's engine), or the user's `migrate-command` run as an
//! argument array with `DATABASE_URL`/`DIRECT_URL`, its output streamed in a group.

use super::comment::{edited_message, AppliedFile, MigrationFailure, MigrationReport};
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
        edited: vec![],
        trace: None,
    })
}

/// The built-in runner: mode migrate's engine (tracking table, lock, lock_timeout retries,
/// one psql session) on the branch's direct URL. Anything that stops it is reported like
/// a failed migration, so the comment says what happened.
async fn native<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    url: &str,
) -> Result<Option<MigrationReport>> {
    use crate::modes::migrate::{discover, discover::base_dir, Engine, FileStatus};
    // No migrations directory at all: a preview branch without migrations, not an error.
    let base = base_dir(&settings.migrations_path);
    let root = format!("{}/{base}", settings.workspace.trim_end_matches('/'));
    let files = if rt.host.walk(root.trim_end_matches('/')).is_err() {
        Vec::new()
    } else {
        discover::discover_as(
            rt,
            &settings.workspace,
            &settings.migrations_path,
            settings.apply.format,
        )?
    };
    if files.is_empty() {
        rt.info(&format!(
            "No migration files match `migrations-path: {}`; nothing to apply on the preview branch",
            settings.migrations_path
        ));
        return Ok(None);
    }
    rt.group(&format!(
        "Migrations on the preview branch ({} file(s) under {})",
        files.len(),
        settings.migrations_path
    ));
    let started = rt.host.now_ms();
    let result = async {
        let mut engine = Engine::new(
            rt,
            url,
            "migrations-path",
            "the preview branch",
            &files,
            &settings.apply,
        )
        .await?;
        // The branch's tracking table is production's: an applied file this PR edits is
        // the PR's mistake to report, not a reason to rehearse none of its new files.
        engine.inherited_history = true;
        // The branch holds production's data: measure what each statement locks and for
        // how long (production itself is never traced).
        engine.trace = settings.apply.trace;
        engine.apply(None).await
    }
    .await;
    let total_ms = (rt.host.now_ms() - started).max(0.0) as u64;
    rt.end_group();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            return Ok(Some(MigrationReport {
                runner: "built-in runner".into(),
                failure: Some(MigrationFailure {
                    path: None,
                    line: None,
                    message: rt.scrub(&e.to_string()),
                }),
                total_ms,
                ..Default::default()
            }))
        }
    };
    let failure = report.failure.as_ref().map(|f| MigrationFailure {
        path: Some(f.path.clone()),
        line: f.line,
        message: rt.scrub(&f.postgres_message()),
    });
    Ok(Some(MigrationReport {
        runner: format!(
            "built-in runner, psql {}",
            report
                .client_version
                .trim()
                .trim_start_matches("psql (PostgreSQL) ")
        ),
        is_command: false,
        applied: report
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Applied)
            .map(|f| AppliedFile {
                path: f.path.clone(),
                ms: f.ms,
            })
            .collect(),
        already_applied: report.skipped,
        failure,
        total_ms,
        edited: report
            .edited
            .iter()
            .map(|e| (e.path.clone(), e.applied_on.clone()))
            .collect(),
        trace: report.trace,
    }))
}

/// One error annotation per applied migration the PR edits, and the step's error.
pub fn edited_error<H: Host>(rt: &Runtime<H>, report: &MigrationReport) -> Option<Error> {
    for (path, on) in &report.edited {
        rt.annotate(
            Level::Error,
            &Annotation {
                message: edited_message(path, on.as_deref()),
                title: Some("applied migration edited".into()),
                file: Some(path.clone()),
                ..Default::default()
            },
        );
    }
    (!report.edited.is_empty()).then(|| {
        Error::Failed(format!(
            "{}. The PR's other migrations were applied to the preview branch",
            report
                .edited
                .iter()
                .map(|(p, on)| edited_message(p, on.as_deref()))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })
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
            title: Some(match (&f.path, report.is_command) {
                (_, true) => "migrate-command failed on the preview branch".into(),
                _ => "migration failed on the preview branch".into(),
            }),
            file: f.path.clone(),
            line: f.line,
            ..Default::default()
        },
    );
    let first_line = f.message.lines().next().unwrap_or_default();
    Error::Failed(match (&f.path, report.is_command) {
        (Some(p), _) => format!(
            "migration {p}{} failed on preview branch {branch}: {first_line}",
            f.line.map(|l| format!(":{l}")).unwrap_or_default()
        ),
        (None, true) => format!(
            "migrate-command `{}` failed on preview branch {branch} ({first_line}); see its output in the log",
            report.runner
        ),
        (None, false) => format!(
            "the migrations could not be applied to preview branch {branch}: {first_line}"
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
