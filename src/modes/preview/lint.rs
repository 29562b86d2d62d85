//! Lint the migration files this PR changes: the PR files API (works with a shallow
//! checkout) filtered to `migrations-path`, read from the checkout, analysed by the SQL
//! engine (judged with the preview branch's catalog when it can be read), reported as
//! annotations on the PR's files. The verdict (`fail-on`) is only
//! applied by the caller after everything else has been reported.

use super::comment::LintSection;
use super::settings::{FailOn, Settings};
use crate::error::Result;
use crate::event::PullRequest;
use crate::github::GitHubClient;
use crate::host::{Annotation, Command, DirEntry, EntryKind, Host, Level};
use crate::modes::migrate::changes::is_commit_id;
use crate::modes::migrate::discover::{base_dir, is_down_or_undo, symlink_problem};
use crate::modes::migrate::psql;
use crate::runtime::Runtime;
use crate::sql::catalog::{Catalog, CATALOG_SQL};
use crate::sql::format;
use crate::sql::glob::Glob;
use crate::sql::report::{self, MarkdownOptions};
use crate::sql::{analyze, analyze_judged, Analysis, Severity, SourceFile};
use std::collections::HashMap;

pub struct LintOutcome {
    pub analysis: Analysis,
    pub section: LintSection,
    /// Findings and errors that fail the step under `fail-on`.
    pub blocking: usize,
    /// The linted files as read (the one-click fixes rewrite their lines).
    pub sources: Vec<SourceFile>,
    /// Each changed file's diff, when GitHub gave it: the lines a review comment may be on.
    pub patches: HashMap<String, String>,
    /// What the lint was judged with (a fix is checked against the same).
    pub catalog: Option<Catalog>,
}

/// Paths (relative to the repository root) of the files the PR adds or modifies, and
/// their diffs when the GitHub API gave them.
async fn changed_paths<H: Host>(
    rt: &Runtime<H>,
    gh: Option<&GitHubClient<'_, H>>,
    settings: &Settings,
    pr: &PullRequest,
) -> Option<(Vec<String>, HashMap<String, String>)> {
    if let Some(gh) = gh {
        match gh.pull_request_files(pr.number).await {
            Ok(files) => {
                let files: Vec<_> = files.into_iter().filter(|f| f.status != "removed").collect();
                let patches = files
                    .iter()
                    .filter_map(|f| Some((f.filename.clone(), f.patch.clone()?)))
                    .collect();
                return Some((files.into_iter().map(|f| f.filename).collect(), patches));
            }
            Err(e) => rt.warning(&format!(
                "could not list the pull request's files through the GitHub API ({e}); trying the local git history"
            )),
        }
    }
    // A full checkout (fetch-depth: 0) has both commits: ask git, never a shell, and
    // only with commit ids (nothing from the payload that git could read as an option).
    if !is_commit_id(&pr.base_sha) || !is_commit_id(&pr.head_sha) {
        return None;
    }
    let out = rt
        .host
        .run(&Command {
            cwd: Some(settings.workspace.clone()),
            ..Command::new("git").args([
                "diff",
                "--name-only",
                "--diff-filter=d",
                "-z",
                &format!("{}...{}", pr.base_sha, pr.head_sha),
                "--",
            ])
        })
        .await
        .ok()?;
    out.success().then(|| {
        let paths = out
            .stdout
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        (paths, HashMap::new())
    })
}

/// Why `path` (relative to the repository root) must not be read: it is, or lies below, a
/// symbolic link out of the checkout or into `.git/` (`entries`: the walk of `base`).
fn unsafe_link(path: &str, base: &str, entries: &[DirEntry], workspace: &str) -> Option<String> {
    let rel = if base.is_empty() {
        path
    } else {
        path.strip_prefix(base)?.strip_prefix('/')?
    };
    let mut prefix = String::new();
    for segment in rel.split('/') {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(segment);
        if let Some(e) = entries
            .iter()
            .find(|e| e.path == prefix && e.kind == EntryKind::Symlink)
        {
            let shown = if base.is_empty() {
                prefix.clone()
            } else {
                format!("{base}/{prefix}")
            };
            return symlink_problem(&shown, e.target.as_deref(), workspace);
        }
    }
    None
}

/// The changed files under `migrations-path`, read from the checkout, in apply order, and
/// the ones refused because reading them would follow a link out of the checkout.
fn changed_migrations<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    changed: &[String],
) -> (Vec<SourceFile>, Vec<(String, String)>) {
    let glob = Glob::new(&settings.migrations_path);
    let workspace = settings.workspace.trim_end_matches('/');
    let base = base_dir(&settings.migrations_path);
    let root = if base.is_empty() {
        workspace.to_string()
    } else {
        format!("{workspace}/{base}")
    };
    let entries = rt.host.walk(&root).unwrap_or_default();
    let mut refused = Vec::new();
    let mut files: Vec<(format::OrderKey, SourceFile)> = changed
        .iter()
        .filter(|p| glob.matches(p))
        .filter_map(|path| {
            if let Some(problem) = unsafe_link(path, &base, &entries, workspace) {
                refused.push((path.clone(), problem));
                return None;
            }
            let bytes = match rt.host.read_file(&format!("{workspace}/{path}")) {
                Ok(b) => b,
                Err(e) => {
                    rt.warning(&format!("{path} is changed by the PR but cannot be read from the checkout ({e}); is actions/checkout before this step?"));
                    return None;
                }
            };
            let fmt = format::detect(path, &String::from_utf8_lossy(&bytes));
            // A rollback file is not a migration the PR asks to run: a `TRUNCATE … CASCADE`
            // in a down file must not fail the check.
            if is_down_or_undo(path, fmt) {
                return None;
            }
            Some((
                format::order_key(fmt, path),
                SourceFile {
                    path: path.clone(),
                    bytes,
                    metadata: None,
                    format: None,
                },
            ))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    (files.into_iter().map(|(_, f)| f).collect(), refused)
}

pub fn blocks(severity: Severity, fail_on: FailOn) -> bool {
    match fail_on {
        FailOn::Error => severity == Severity::Error,
        FailOn::Warning => severity != Severity::Off,
        FailOn::Never => false,
    }
}

/// Annotations on the PR's files; returns how many block under `fail-on`.
fn annotate<H: Host>(rt: &Runtime<H>, analysis: &Analysis, fail_on: FailOn) -> usize {
    let mut blocking = 0;
    for f in &analysis.files {
        let invalid = crate::modes::migrate::report::annotate_validation(rt, f, "");
        if fail_on != FailOn::Never {
            blocking += invalid;
        }
        for x in &f.findings {
            let level = match x.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
                Severity::Off => continue,
            };
            blocking += usize::from(blocks(x.severity, fail_on));
            rt.annotate(
                level,
                &Annotation {
                    message: format!("{}\nWhy: {}\nFix: {}", x.message, x.why, x.help),
                    title: Some(x.rule.to_string()),
                    file: Some(f.path.clone()),
                    line: Some(x.span.line),
                    col: Some(x.span.col),
                    end_line: Some(x.span.end_line.max(x.span.line)),
                    ..Default::default()
                },
            );
        }
    }
    blocking
}

/// The PR's migration files, read while Neon prepares the branch; judged once the
/// branch can be asked (see [`judge`]).
pub struct LintInput {
    files: Vec<SourceFile>,
    refused: Vec<(String, String)>,
    patches: HashMap<String, String>,
}

/// Read the PR's migration files. `None` when there is nothing to lint.
pub async fn collect<H: Host>(
    rt: &Runtime<H>,
    gh: Option<&GitHubClient<'_, H>>,
    settings: &Settings,
    pr: &PullRequest,
) -> Result<Option<LintInput>> {
    let Some((changed, patches)) = changed_paths(rt, gh, settings, pr).await else {
        rt.warning("Lint skipped: the PR's changed files are unknown (no `github-token` and no git history in the checkout)");
        return Ok(None);
    };
    let (files, refused) = changed_migrations(rt, settings, &changed);
    if files.is_empty() && refused.is_empty() {
        rt.info(&format!(
            "Lint: the PR changes no file matching `migrations-path: {}`",
            settings.migrations_path
        ));
        return Ok(None);
    }
    Ok(Some(LintInput {
        files,
        refused,
        patches,
    }))
}

/// The preview branch's catalog, read before the migrations run (it is the parent's
/// schema then: the tables as big as production's, the functions the PR does not
/// define itself). `None`, and a notice, when it cannot be read: the lint then
/// judges without, as squawk does.
pub async fn branch_catalog<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    url: &str,
) -> Option<Catalog> {
    let why = match branch_catalog_out(rt, settings, url).await {
        Ok(out) => return Some(Catalog::parse("the branch's catalog", &out)),
        Err(why) => why,
    };
    rt.info(&format!(
        "Lint judged without a catalog ({why}): unknown functions in defaults count as volatile"
    ));
    None
}

async fn branch_catalog_out<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    url: &str,
) -> std::result::Result<String, String> {
    let client = psql::locate(rt, settings.apply.pg_bin_dir.as_deref())
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no psql on this runner")?;
    let conn = psql::Conn::parse(url, "db_url").map_err(|e| e.to_string())?;
    let out = rt
        .host
        .run(&conn.command(&client, CATALOG_SQL.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        let first = out.stderr.lines().find(|l| !l.trim().is_empty());
        return Err(rt.scrub(first.unwrap_or("psql failed")));
    }
    Ok(out.stdout)
}

/// Lint the files read by [`collect`], with the branch's catalog when there is one, and
/// report them as annotations on the PR's files.
pub fn judge<H: Host>(
    rt: &Runtime<H>,
    settings: &Settings,
    input: LintInput,
    catalog: Option<&Catalog>,
) -> LintOutcome {
    let LintInput {
        files,
        refused,
        patches,
    } = input;
    for (path, problem) in &refused {
        rt.annotate(
            Level::Error,
            &Annotation {
                message: format!("{problem}. The file was not read."),
                title: Some("symbolic link out of the repository".into()),
                file: Some(path.clone()),
                ..Default::default()
            },
        );
    }
    let analysis = match catalog {
        Some(c) => analyze_judged(&files, &settings.lint, c),
        None => analyze(&files, &settings.lint),
    };
    // A link out of the checkout fails the step whatever `fail-on` says: it is not a
    // finding about SQL but a file that is not in the repository.
    let blocking = annotate(rt, &analysis, settings.fail_on) + refused.len();
    let markdown = report::markdown(
        &analysis,
        &MarkdownOptions {
            title: "SQL analysis of the migrations in this PR".into(),
            ..Default::default()
        },
    );
    // One heading level below the comment's title, like the other sections.
    let markdown = match markdown.strip_prefix("### ") {
        Some(rest) => format!("#### {rest}"),
        None => markdown,
    };
    let t = &analysis.totals;
    rt.info(&format!(
        "Lint: {} file(s), {} error(s), {} warning(s), judged {}",
        t.files,
        t.errors + t.error_findings,
        t.warning_findings,
        match catalog {
            Some(c) => format!("with {}", c.source),
            None => "without a catalog".into(),
        }
    ));
    let section = LintSection {
        markdown,
        files: t.files,
        errors: t.errors + t.error_findings,
        warnings: t.warning_findings,
    };
    LintOutcome {
        analysis,
        section,
        blocking,
        sources: files,
        patches,
        catalog: catalog.cloned(),
    }
}

/// The `lint_findings` output: one object per finding or error, flat.
pub fn findings_json(analysis: Option<&Analysis>) -> String {
    let mut out = Vec::new();
    for f in analysis.map(|a| a.files.as_slice()).unwrap_or_default() {
        if let Some(e) = &f.file_error {
            out.push(serde_json::json!({
                "file": f.path, "line": null, "rule": "sql-file", "severity": "error",
                "message": e.to_string(),
            }));
        }
        for e in &f.errors {
            out.push(serde_json::json!({
                "file": f.path, "line": e.line, "column": e.col, "rule": "sql-syntax",
                "severity": "error", "message": e.message,
            }));
        }
        for x in &f.findings {
            if x.severity == Severity::Off {
                continue;
            }
            out.push(serde_json::json!({
                "file": f.path, "line": x.span.line, "column": x.span.col, "rule": x.rule,
                "severity": x.severity, "message": x.message,
            }));
        }
    }
    serde_json::Value::Array(out).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::LintConfig;

    #[test]
    fn links_out_of_the_checkout_are_not_read() {
        let link = |path: &str, target: Option<&str>| DirEntry {
            path: path.into(),
            kind: EntryKind::Symlink,
            size: 0,
            target: target.map(str::to_string),
        };
        let entries = [
            link("env.sql", Some("/proc/self/environ")),
            link("ext", Some("/elsewhere")),
            link("shared.sql", Some("/ws/shared/a.sql")),
        ];
        let check = |p: &str| unsafe_link(p, "migrations", &entries, "/ws");
        assert!(check("migrations/env.sql")
            .unwrap()
            .contains("outside the repository"));
        assert!(check("migrations/ext/a.sql")
            .unwrap()
            .starts_with("migrations/ext is a symbolic link"));
        assert_eq!(check("migrations/shared.sql"), None);
        assert_eq!(check("migrations/plain.sql"), None);
    }

    #[test]
    fn fail_on() {
        assert!(blocks(Severity::Error, FailOn::Error));
        assert!(!blocks(Severity::Warning, FailOn::Error));
        assert!(blocks(Severity::Warning, FailOn::Warning));
        assert!(!blocks(Severity::Error, FailOn::Never));
    }

    #[test]
    fn findings_json_is_flat() {
        let a = analyze(
            &[SourceFile {
                path: "migrations/1.sql".into(),
                bytes: b"DROP TABLE users;".to_vec(),
                metadata: None,
                format: None,
            }],
            &LintConfig::from_input("").unwrap(),
        );
        let v: serde_json::Value = serde_json::from_str(&findings_json(Some(&a))).unwrap();
        let first = &v[0];
        assert_eq!(first["file"], "migrations/1.sql");
        assert_eq!(first["line"], 1);
        assert!(first["rule"].as_str().unwrap().contains("drop"), "{v}");
        assert_eq!(findings_json(None), "[]");
    }
}
