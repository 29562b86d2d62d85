//! mode: migrate — apply merged SQL migrations to production with psql: tracked, locked,
//! retried, rehearsed, and all-or-nothing per file (issue 5).
//!
//! - `settings`  the inputs
//! - `discover`  files under `migrations-path`, checksummed, in their tool's order
//! - `changes`   which files arrived with this merge (git diff, else the REST API)
//! - `pending`   the pure plan: pending, out-of-order, edited, disappeared, baseline
//! - `tracking`  the tracking table's SQL and the advisory-lock key
//! - `psql`      the psql session: one script per attempt, markers, error line mapping
//! - `engine`    inspect → plan → apply loop (lock wait, lock_timeout retries, re-plan)
//! - `rehearse`  the throwaway Neon branch
//! - `report`    annotations, job summary, outputs
//! - `argv`      `migrate-command` → argument array
//!
//! Preview mode reuses [`apply_migrations`] (or [`engine::Engine`]) on its branch.

pub mod argv;
pub mod atlas;
pub mod changes;
pub mod discover;
pub mod engine;
pub mod lint_config;
pub mod lockwait;
pub mod pending;
pub mod psql;
pub mod rehearse;
pub mod report;
pub mod settings;
pub mod sqitch;
pub mod trace;
pub mod tracking;

pub use discover::{discover, MigrationFile};
pub use engine::{ApplyReport, Engine, FileStatus};
pub use settings::ApplySettings;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::host::{Annotation, Command, Host, Level};
use crate::runtime::Runtime;
use std::collections::HashSet;

/// Apply every pending file of `files` to the database at `url`: the whole engine (lock,
/// tracking, retries) without the mode's reporting. `Ok` with `report.failure` set when
/// a migration failed; `Err` when the engine could not run.
pub async fn apply_migrations<H: Host>(
    rt: &Runtime<H>,
    url: &str,
    files: &[MigrationFile],
    settings: &ApplySettings,
) -> Result<ApplyReport> {
    Engine::new(rt, url, "database-url", "the database", files, settings)
        .await?
        .apply(None)
        .await
}

fn failure_error<H: Host>(rt: &Runtime<H>, report: &ApplyReport, target: &str) -> Error {
    let Some(f) = &report.failure else {
        return Error::Failed("migration failed".into());
    };
    let mut message = f.postgres_message();
    message.push_str(&if f.rolled_back {
        format!("\nThis file was rolled back on {target}; the {} file(s) before it are applied and recorded. Fix it and re-run: the next run starts with this file.", report.applied().len())
    } else {
        format!("\nThis file is not transactional: statements before the failing one remain applied on {target}. The next run re-runs the whole file.")
    });
    for idx in &f.invalid_indexes {
        message.push_str(&format!("\nIndex {idx} is INVALID after this failure: run `DROP INDEX CONCURRENTLY {idx};` before re-running, or IF NOT EXISTS will hide it."));
    }
    rt.annotate(
        Level::Error,
        &Annotation {
            message,
            title: Some(format!("migration {} failed on {target}", f.version)),
            file: Some(f.path.clone()),
            line: f.line,
            ..Default::default()
        },
    );
    Error::Failed(format!(
        "{} failed on {target}{}: {} (see the annotation and the job summary)",
        f.path,
        f.line.map(|l| format!(" at line {l}")).unwrap_or_default(),
        f.message
    ))
}

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let s = settings::read(&rt.host)?;
    // An unreadable event is an error, not "no event": it is what says whether a pull
    // request was merged, and applying an unmerged one to production is not a default.
    let event = Some(Event::load(&rt.host)?);
    if let Some(pr) = event.as_ref().and_then(|e| e.pull_request()) {
        if !pr.merged {
            rt.notice(&format!(
                "mode: migrate applies merged changes only; pull request #{} is {} without being merged, so nothing was applied",
                pr.number,
                if pr.action == "closed" { "closed" } else { "open" }
            ));
            return Ok(());
        }
    }
    let arrived: Option<HashSet<String>> = match &event {
        Some(e) => changes::changed_files(rt, &s.workspace, e)
            .await
            .map(|v| v.into_iter().collect()),
        None => None,
    };
    if let Some(argv) = &s.migrate_command {
        return custom_command(rt, &s, argv).await;
    }
    let t0 = rt.host.now_ms();
    let files = discover::discover_as(rt, &s.workspace, &s.migrations_glob, s.apply.format)?;
    rt.debug(&format!(
        "migrate: found {} migration file(s) in {:.0} ms",
        files.len(),
        rt.host.now_ms() - t0
    ));
    if files.is_empty() {
        rt.warning(&format!(
            "No migration files match `migrations-path: {}`; nothing to apply",
            s.migrations_glob
        ));
    }
    let mut engine = Engine::new(
        rt,
        &s.database_url,
        "database-url",
        "production",
        &files,
        &s.apply,
    )
    .await?;
    // With a rehearsal the run has a real database to judge with: the rehearsal branch
    // is a copy of production, made later, so production's own catalog (read-only) is
    // asked now, before the lint decides. Plain runs judge without, as squawk does.
    if s.rehearse_on_branch.is_some() && s.neon.is_some() && !files.is_empty() {
        engine.catalog = engine.read_catalog("production's catalog").await;
    }
    let first = engine.prepare(None).await?;
    report::log_plan(rt, &files, &first, &arrived, "production");

    // Validation first: nothing runs if any pending file is broken or the plan is wrong.
    let (mut errors, blocking) = report::annotate_analysis(rt, &first.analysis, s.apply.fail_on);
    for (i, msg) in engine.plan_errors(&first.plan) {
        errors += 1;
        rt.annotate(
            Level::Error,
            &Annotation {
                message: msg,
                title: Some("migration plan".into()),
                file: Some(files[i].path.clone()),
                ..Default::default()
            },
        );
    }
    for idx in &first.state.invalid_indexes {
        let name = idx
            .rsplit('.')
            .next()
            .unwrap_or(idx)
            .trim_matches('"')
            .to_ascii_lowercase();
        let users: Vec<usize> = first
            .plan
            .pending
            .iter()
            .copied()
            .filter(|&i| {
                let t = String::from_utf8_lossy(&files[i].bytes).to_ascii_lowercase();
                t.contains(&name) && !t.contains("drop index")
            })
            .collect();
        for &i in &users {
            errors += 1;
            rt.annotate(Level::Error, &Annotation {
                message: format!("index {idx} exists on production but is INVALID (left by a failed CREATE INDEX CONCURRENTLY); this migration mentions it, and IF NOT EXISTS would skip it and leave it invalid. Run `DROP INDEX CONCURRENTLY {idx};` first"),
                title: Some("invalid index".into()),
                file: Some(files[i].path.clone()),
                ..Default::default()
            });
        }
        if users.is_empty() {
            rt.warning(&format!("index {idx} on production is INVALID (a failed CREATE INDEX CONCURRENTLY leaves one): it is not used by queries but slows writes. Drop it with `DROP INDEX CONCURRENTLY {idx};` and build it again"));
        }
    }
    let planned = ApplyReport {
        pending_before: first.plan.pending.len(),
        skipped: first.plan.skipped,
        files: first
            .plan
            .pending
            .iter()
            .zip(&first.analysis.files)
            .map(|(&i, fa)| engine::FileResult {
                version: files[i].version.clone(),
                path: files[i].path.clone(),
                plan: fa.plan,
                status: FileStatus::NotRun,
                ms: 0,
                lock_retries: 0,
            })
            .collect(),
        ..Default::default()
    };
    if errors > 0 || blocking > 0 {
        // Blocked: nothing runs, but the summary and outputs say what would have, and why
        // not (a step that fails with an empty summary leaves reviewers guessing).
        let why = format!(
            "{} validation error(s){}: nothing was applied to production (see the annotations)",
            errors,
            if blocking > 0 {
                format!(" and {blocking} lint finding(s) that block under `fail-on`")
            } else {
                String::new()
            }
        );
        report::outputs(rt, &planned);
        report::summary(
            rt,
            &planned,
            &arrived,
            "production",
            if s.dry_run {
                "neon-gitops migrate: dry run, blocked (nothing applied)"
            } else {
                "neon-gitops migrate: blocked (nothing applied)"
            },
            std::slice::from_ref(&why),
        );
        rt.summary(&crate::sql::report::markdown(
            &first.analysis,
            &crate::sql::report::MarkdownOptions {
                title: "Validation and lint".into(),
                ..Default::default()
            },
        ));
        return Err(Error::Failed(why));
    }
    if s.dry_run {
        rt.info("dry-run: nothing was changed (not even the tracking table)");
        report::outputs(rt, &planned);
        report::summary(
            rt,
            &planned,
            &arrived,
            "production",
            "neon-gitops migrate: dry run (nothing applied)",
            &[],
        );
        return Ok(());
    }
    if first.plan.pending.is_empty() && first.plan.baseline.is_empty() {
        rt.info(&format!(
            "Nothing to apply: all {} migration file(s) are already applied to production",
            first.plan.skipped
        ));
        report::outputs(rt, &planned);
        report::summary(
            rt,
            &planned,
            &arrived,
            "production",
            "neon-gitops migrate",
            &[],
        );
        return Ok(());
    }

    let mut notes = Vec::new();
    if let (Some(parent), Some(neon)) = (&s.rehearse_on_branch, &s.neon) {
        if !first.plan.pending.is_empty() {
            let versions: Vec<String> = first
                .plan
                .pending
                .iter()
                .map(|&i| files[i].version.clone())
                .collect();
            let r = rehearse::create(rt, neon, parent).await?;
            let result = async {
                let mut e = Engine::new(
                    rt,
                    &r.url,
                    "rehearse-on-branch",
                    "the rehearsal branch",
                    &files,
                    &s.apply,
                )
                .await?;
                // The rehearsal branch holds production's data: measure what production
                // will feel before it does.
                e.trace = s.apply.trace;
                e.apply(Some(&versions)).await
            }
            .await;
            rehearse::delete(rt, &r).await;
            let rehearsal = result?;
            if rehearsal.failure.is_some() {
                report::summary(rt, &rehearsal, &arrived, "the rehearsal branch", "neon-gitops migrate: rehearsal failed, production untouched", &[format!("Rehearsed on a throwaway branch of `{parent}` (deleted). Production was not touched.")]);
                report::outputs(
                    rt,
                    &ApplyReport {
                        pending_before: planned.pending_before,
                        skipped: planned.skipped,
                        ..Default::default()
                    },
                );
                return Err(failure_error(
                    rt,
                    &rehearsal,
                    &format!("the rehearsal branch of {parent} (production untouched)"),
                ));
            }
            if let Some(t) = &rehearsal.trace {
                rt.output("trace", &trace::render::json(t));
                rt.summary(&trace::render::markdown(
                    t,
                    &format!("a throwaway branch of `{parent}`"),
                ));
                let over = s.apply.max_blocking_ms.and_then(|max| {
                    trace::render::over_limit(t, max, &format!("the rehearsal branch of {parent}"))
                });
                if let Some(why) = over {
                    if let Some(max) = s.apply.max_blocking_ms {
                        trace::render::annotate_over(rt, t, max, "the rehearsal branch");
                    }
                    let why = format!("{why}. Production was not touched");
                    report::outputs(
                        rt,
                        &ApplyReport {
                            pending_before: planned.pending_before,
                            skipped: planned.skipped,
                            ..Default::default()
                        },
                    );
                    report::summary(
                        rt,
                        &rehearsal,
                        &arrived,
                        "the rehearsal branch",
                        "neon-gitops migrate: rehearsal blocked too long, production untouched",
                        std::slice::from_ref(&why),
                    );
                    return Err(Error::Failed(why));
                }
            }
            notes.push(format!("Rehearsed first on a throwaway branch of `{parent}`: all {} file(s) applied there (branch deleted).", rehearsal.applied().len()));
        }
    }

    // Production's plan is still current when no rehearsal ran in between (if another
    // run changed the tracking table since, the session notices and plans again).
    let report = if notes.is_empty() {
        engine.apply_from(None, Some(first)).await?
    } else {
        engine.apply(None).await?
    };
    report::outputs(rt, &report);
    report::summary(
        rt,
        &report,
        &arrived,
        "production",
        "neon-gitops migrate",
        &notes,
    );
    if report.failure.is_some() {
        return Err(failure_error(rt, &report, "production"));
    }
    rt.info(&format!(
        "Applied {} migration(s) to production{}",
        report.applied().len(),
        if report.baselined.is_empty() {
            String::new()
        } else {
            format!("; recorded {} baseline file(s)", report.baselined.len())
        }
    ));
    Ok(())
}

/// `migrate-command`: the user's tool does the work (after a rehearsal when asked); the
/// action runs it without a shell and reports, but does not track.
async fn custom_command<H: Host>(
    rt: &Runtime<H>,
    s: &settings::Settings,
    argv: &[String],
) -> Result<()> {
    // The tool gets the URL it works on, and none of the action's secret inputs (the
    // Neon API key, the GitHub token, …) that the runner left in the environment.
    let command = |url: &str| Command {
        program: argv[0].clone(),
        args: argv[1..].to_vec(),
        env: vec![
            ("DATABASE_URL".into(), url.to_string()),
            ("DIRECT_URL".into(), url.to_string()),
        ],
        cwd: Some(s.workspace.clone()),
        stdin: None,
        stream: true,
        ..Default::default()
    };
    if s.dry_run {
        rt.info(&format!(
            "dry-run: would run `{}` with DATABASE_URL set to production",
            argv.join(" ")
        ));
        return Ok(());
    }
    let shown = argv.join(" ");
    if let (Some(parent), Some(neon)) = (&s.rehearse_on_branch, &s.neon) {
        let r = rehearse::create(rt, neon, parent).await?;
        rt.info(&format!(
            "Rehearsal: running `{shown}` against the rehearsal branch"
        ));
        let out = rt.host.run(&command(&r.url)).await;
        rehearse::delete(rt, &r).await;
        let out = out?;
        if !out.success() {
            return Err(Error::Failed(format!(
                "`{shown}` failed on the rehearsal branch of {parent} (exit {:?}); production was not touched. Its output is above",
                out.code
            )));
        }
    }
    let started = rt.host.now_ms();
    let out = rt.host.run(&command(&s.database_url)).await?;
    let ms = (rt.host.now_ms() - started) as u64;
    rt.summary(&format!(
        "### neon-gitops migrate\n\n`{shown}` {} on production in {ms} ms (the command's own tool tracks what it applied).\n",
        if out.success() { "succeeded" } else { "**failed**" }
    ));
    if !out.success() {
        return Err(Error::Failed(format!(
            "`{shown}` failed on production (exit {:?}); its output is above",
            out.code
        )));
    }
    Ok(())
}
