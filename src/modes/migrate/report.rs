//! What a user sees: the plan in the log, annotations (validation errors, lint findings,
//! the failing file:line), the job summary table and the step outputs.

use super::discover::MigrationFile;
use super::engine::{ApplyReport, FileStatus, Prepared};
use super::settings::FailOn;
use crate::host::{Annotation, Host, Level};
use crate::runtime::Runtime;
use crate::sql::{Analysis, ExecutionPlan, Severity};
use std::collections::HashSet;

/// Lint rules whose finding means the file cannot run as written: validation errors.
pub const STRUCTURE_RULES: [&str; 2] = [
    "ban-concurrent-index-in-transaction",
    "ban-uncommitted-transaction",
];

pub fn plan_name(plan: Option<ExecutionPlan>) -> &'static str {
    match plan {
        Some(ExecutionPlan::WrapInTransaction) => "in a transaction",
        Some(ExecutionPlan::RunAsIs) => "as-is (own transaction)",
        Some(ExecutionPlan::StatementByStatement) => "statement by statement",
        Some(ExecutionPlan::WrapWithBreaks) => "in a transaction, left for what cannot run in one",
        None => "unreadable",
    }
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A file's validation problems (unreadable file, SQL Postgres would reject) as error
/// annotations, each message ending with `consequence`; returns how many there were.
/// Shared by migrate and preview, so a broken file reads the same in both.
pub fn annotate_validation<H: Host>(
    rt: &Runtime<H>,
    f: &crate::sql::FileAnalysis,
    consequence: &str,
) -> usize {
    if let Some(e) = &f.file_error {
        rt.annotate(
            Level::Error,
            &Annotation {
                message: e.to_string(),
                title: Some("migration cannot be read".into()),
                file: Some(f.path.clone()),
                ..Default::default()
            },
        );
    }
    for e in &f.errors {
        rt.annotate(
            Level::Error,
            &Annotation {
                message: format!(
                    "{}: Postgres would reject this file here{consequence}",
                    e.message
                ),
                title: Some("invalid SQL".into()),
                file: Some(f.path.clone()),
                line: Some(e.line),
                col: Some(e.col),
                ..Default::default()
            },
        );
    }
    usize::from(f.file_error.is_some()) + f.errors.len()
}

/// Validation errors and lint findings as annotations. Returns (validation errors,
/// findings that block under `fail-on`).
pub fn annotate_analysis<H: Host>(
    rt: &Runtime<H>,
    analysis: &Analysis,
    fail_on: FailOn,
) -> (usize, usize) {
    let mut errors = 0;
    let mut blocking = 0;
    for f in &analysis.files {
        errors += annotate_validation(rt, f, "; nothing was applied");
        for x in &f.findings {
            let structural = STRUCTURE_RULES.contains(&x.rule) && x.severity != Severity::Off;
            let blocks = structural
                || match fail_on {
                    FailOn::Error => x.severity == Severity::Error,
                    FailOn::Warning => x.severity != Severity::Off,
                    FailOn::Never => false,
                };
            if structural {
                errors += 1;
            } else if blocks {
                blocking += 1;
            }
            let level = if blocks { Level::Error } else { Level::Warning };
            rt.annotate(
                level,
                &Annotation {
                    message: format!("{} ({}) {}", x.message, x.why, x.help),
                    title: Some(x.rule.to_string()),
                    file: Some(f.path.clone()),
                    line: Some(x.span.line),
                    col: Some(x.span.col),
                    end_line: Some(x.span.end_line),
                    end_col: None,
                },
            );
        }
    }
    (errors, blocking)
}

fn arrived_mark(arrived: &Option<HashSet<String>>, path: &str) -> &'static str {
    match arrived {
        Some(set) if set.contains(path) => "yes",
        Some(_) => "**no**",
        None => "unknown",
    }
}

/// The plan, in the log.
pub fn log_plan<H: Host>(
    rt: &Runtime<H>,
    files: &[MigrationFile],
    p: &Prepared,
    arrived: &Option<HashSet<String>>,
    target: &str,
) {
    rt.group(&format!(
        "Migration plan for {target}: {} pending, {} already applied",
        p.plan.pending.len(),
        p.plan.skipped
    ));
    for (k, &i) in p.plan.pending.iter().enumerate() {
        let f = &files[i];
        let fa = &p.analysis.files[k];
        let mut notes = Vec::new();
        if matches!(arrived, Some(set) if !set.contains(&f.path)) {
            notes.push("did not arrive with this merge".to_string());
        }
        if p.plan.out_of_order.contains(&i) {
            notes.push("out of order".into());
        }
        if !fa.findings.is_empty() {
            notes.push(format!("{} lint finding(s)", fa.findings.len()));
        }
        rt.info(&format!(
            "{:>4}. {}  [{}]{}",
            k + 1,
            f.version,
            plan_name(fa.plan),
            if notes.is_empty() {
                String::new()
            } else {
                format!("  ({})", notes.join("; "))
            }
        ));
    }
    for &i in &p.plan.baseline {
        rt.info(&format!(
            "      {}  [baseline: recorded as applied, not run]",
            files[i].version
        ));
    }
    rt.end_group();
    for d in &p.plan.disappeared {
        rt.warning(&format!(
            "{d} is recorded as applied on {target} but no longer exists under migrations-path; it is not reverted (migrations are forward-only). Restore the file if it was deleted by mistake"
        ));
    }
    if let Some(set) = arrived {
        let late: Vec<&str> = p
            .plan
            .pending
            .iter()
            .map(|&i| files[i].path.as_str())
            .filter(|x| !set.contains(*x))
            .collect();
        if !late.is_empty() {
            rt.warning(&format!(
                "{} pending migration(s) did not arrive with this merge but were never applied to {target}, so they are applied now too: {}",
                late.len(),
                late.join(", ")
            ));
        }
    }
}

/// The job summary table.
pub fn summary<H: Host>(
    rt: &Runtime<H>,
    report: &ApplyReport,
    arrived: &Option<HashSet<String>>,
    target: &str,
    heading: &str,
    notes: &[String],
) {
    let mut md = format!("### {heading}\n\n");
    if report.files.is_empty() && report.baselined.is_empty() {
        md.push_str(&format!(
            "Nothing to apply: all {} migration file(s) are already applied to {target}.\n\n",
            report.skipped
        ));
    } else if !report.files.is_empty() {
        md.push_str("| # | File | Arrived with this merge | Execution plan | ms | Result |\n|---|---|---|---|---|---|\n");
        for (k, f) in report.files.iter().enumerate() {
            let result = match f.status {
                FileStatus::Applied if f.lock_retries > 0 => {
                    format!("✅ applied (after {} lock retries)", f.lock_retries)
                }
                FileStatus::Applied => "✅ applied".to_string(),
                FileStatus::Failed => "❌ failed".to_string(),
                FileStatus::NotRun => "⏸ not run".to_string(),
            };
            md.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {} |\n",
                k + 1,
                escape_cell(&f.version),
                arrived_mark(arrived, &f.path),
                plan_name(f.plan),
                if f.status == FileStatus::Applied {
                    f.ms.to_string()
                } else {
                    "–".into()
                },
                result
            ));
        }
        md.push('\n');
    }
    if !report.baselined.is_empty() {
        md.push_str(&format!(
            "Baseline: {} file(s) recorded as applied without running them (up to `{}`).\n\n",
            report.baselined.len(),
            report.baselined.last().map(String::as_str).unwrap_or("")
        ));
    }
    if let Some(f) = &report.failure {
        let applied = report.applied().len();
        md.push_str(&format!(
            "**{target} state:** {applied} file(s) of this run applied and recorded; `{}` failed{} — {}.\n\n",
            f.version,
            f.line.map(|l| format!(" at line {l}")).unwrap_or_default(),
            escape_cell(&f.message)
        ));
        md.push_str(&if f.rolled_back {
            format!("`{}` was rolled back: it left nothing behind. ", f.version)
        } else {
            format!("`{}` is not transactional: statements before the failing one stay applied; make them idempotent (IF NOT EXISTS) or undo them before re-running. ", f.version)
        });
        let remaining = report
            .files
            .iter()
            .filter(|x| x.status != FileStatus::Applied)
            .count();
        md.push_str(&format!(
            "**Next run:** applies `{}` and the {} file(s) after it, once it is fixed.\n\n",
            f.version,
            remaining.saturating_sub(1)
        ));
        for idx in &f.invalid_indexes {
            md.push_str(&format!("⚠️ Index `{idx}` was left INVALID by the failed `CONCURRENTLY` build. Run `DROP INDEX CONCURRENTLY {idx};` before re-running, or `IF NOT EXISTS` will skip it and leave it invalid.\n\n"));
        }
    }
    for n in notes {
        md.push_str(n);
        md.push_str("\n\n");
    }
    rt.summary(&md);
}

pub fn outputs<H: Host>(rt: &Runtime<H>, report: &ApplyReport) {
    rt.output(
        "applied",
        &serde_json::to_string(&report.applied()).unwrap_or_else(|_| "[]".into()),
    );
    rt.output("pending_before", &report.pending_before.to_string());
    rt.output("skipped", &report.skipped.to_string());
}
