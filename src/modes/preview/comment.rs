//! The living PR comment, rendered from data: pure, no I/O. Over 600 lines with its
//! tests: the sections, the size budget that cuts them, and the escaping rules are one
//! renderer, tested as rendered text.
//!
//! - The first line is a hidden marker naming the project and the branch, so the comment
//!   is found again (and two preview steps in one repository never touch each other's).
//! - The last line is a hidden digest of everything that is not run-specific (timings,
//!   the run link): an unchanged digest means no PATCH.
//! - Untrusted text (file names, SQL error messages, the schema diff, lint findings) is
//!   rendered inertly: table cells escaped, code in fences longer than any backtick run
//!   inside, never raw HTML.
//! - The body stays under GitHub's 65,536-character limit: the schema diff is cut first,
//!   then the lint section, with a note saying where the full text is (the job summary).

use crate::sql::report::{cell, fence};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// GitHub refuses comment bodies above 65,536 characters.
pub const GITHUB_LIMIT: usize = 65_536;
/// What the rendered body may use; the rest is headroom for the markers and notes.
pub const BUDGET: usize = 60_000;
/// Schema diffs longer than this many lines are folded in `<details>`.
pub const FOLD_DIFF_LINES: usize = 25;
const MARKER_PREFIX: &str = "<!-- neon-gitops:preview ";
const DIGEST_PREFIX: &str = "<!-- neon-gitops:digest sha256=";

#[derive(Debug, Clone, PartialEq)]
pub enum BranchState {
    Created {
        parent: String,
    },
    Reused,
    Reset {
        parent: String,
    },
    /// Deleted now, or already gone: the comment reads the same either way.
    Deleted {
        merged: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppliedFile {
    pub path: String,
    pub ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MigrationFailure {
    /// The failing file (native runner), or None for `migrate-command`.
    pub path: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

/// What the migration step did on the branch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MigrationReport {
    /// "built-in runner" or the command as the user wrote it.
    pub runner: String,
    pub is_command: bool,
    pub applied: Vec<AppliedFile>,
    /// Files already recorded as applied (kept from the parent).
    pub already_applied: usize,
    pub failure: Option<MigrationFailure>,
    pub total_ms: u64,
    /// Migrations production already applied that this PR edits: `(path, applied on)`.
    pub edited: Vec<(String, Option<String>)>,
    /// The built-in runner's trace: what production will feel.
    pub trace: Option<crate::modes::migrate::trace::Trace>,
}

/// What an edit to an applied migration means, for the annotation, the comment and the
/// step's error alike.
pub fn edited_message(path: &str, applied_on: Option<&str>) -> String {
    format!(
        "`{path}` was applied to production{}; editing it changes nothing there — add a new migration instead, and revert this edit",
        applied_on.map(|d| format!(" on {d}")).unwrap_or_default()
    )
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LintSection {
    /// The SQL engine's Markdown report (already inert).
    pub markdown: String,
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommentData {
    pub project_id: String,
    pub branch_name: String,
    /// The step that writes the comment (see `marker`); empty: unkeyed.
    pub step_key: String,
    pub branch_id: Option<String>,
    pub state: BranchState,
    /// The read_write endpoint's state and host.
    pub compute: Option<(String, String)>,
    pub migrations: Option<MigrationReport>,
    pub lint: Option<LintSection>,
    /// `compare_schema` against the parent: Some("") = no difference.
    pub schema_diff: Option<String>,
    pub parent_name: Option<String>,
    pub commit: Option<String>,
    pub run_url: Option<String>,
}

/// Keep only characters that cannot end an HTML comment or break the marker's syntax.
fn marker_safe(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._/-".contains(*c))
        .collect::<String>()
        .replace("--", "-")
}

/// The hidden first line that identifies this preview's comment: the project, the branch
/// and the step that writes it (so two preview steps of one job keep two comments).
pub fn marker(project_id: &str, branch_name: &str, step_key: &str) -> String {
    let step = marker_safe(step_key);
    format!(
        "{MARKER_PREFIX}project={} branch={}{}{step} -->",
        marker_safe(project_id),
        marker_safe(branch_name),
        if step.is_empty() { "" } else { " step=" }
    )
}

/// Is `body` the comment this marker names? Only a comment that *starts* with it counts:
/// someone quoting the comment in a reply does not make their reply ours.
pub fn is_ours(body: &str, marker: &str) -> bool {
    body.trim_start().starts_with(marker)
}

/// Is `body` a preview comment of ours about this branch, written by any step (or by a
/// version that did not key comments by step)?
pub fn is_about_branch(body: &str, project_id: &str, branch_name: &str) -> bool {
    let unkeyed = marker(project_id, branch_name, "");
    let keyed = unkeyed.trim_end_matches(" -->").to_string() + " step=";
    is_ours(body, &unkeyed) || is_ours(body, &keyed)
}

/// `body` with its first line (the marker) replaced by `marker`.
pub fn with_marker(body: &str, marker: &str) -> String {
    match body.split_once('\n') {
        Some((_, rest)) => format!("{marker}\n{rest}"),
        None => marker.to_string(),
    }
}

/// The digest recorded in a comment body, if any.
pub fn digest_of(body: &str) -> Option<&str> {
    let start = body.rfind(DIGEST_PREFIX)? + DIGEST_PREFIX.len();
    let rest = &body[start..];
    let end = rest.find(" -->")?;
    Some(&rest[..end])
}

pub fn console_url(project_id: &str, branch_id: &str) -> String {
    format!(
        "https://console.neon.tech/app/projects/{}/branches/{}",
        crate::url::encode_component(project_id),
        crate::url::encode_component(branch_id)
    )
}

fn short_sha(sha: &str) -> String {
    if !sha.is_empty() && sha.chars().all(|c| c.is_ascii_hexdigit()) {
        sha.chars().take(7).collect()
    } else {
        cell(&sha.chars().take(40).collect::<String>())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// A rendered comment: the body to post, the digest, and the summary text.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Marker + content (+ truncation note) + digest: what goes to GitHub.
    pub body: String,
    pub digest: String,
    /// The full, untruncated content for the job summary.
    pub summary: String,
    pub truncated: bool,
    /// What the digest is computed over (in the debug log: why a comment was rewritten).
    pub stable: String,
}

/// Everything visible, in order. `volatile` includes what changes on every run (timings,
/// the run link); the digest is taken without it.
struct Sections {
    header: String,
    migrations: String,
    lint: String,
    diff: String,
    footer: String,
}

impl Sections {
    fn join(&self) -> String {
        [
            &self.header,
            &self.migrations,
            &self.lint,
            &self.diff,
            &self.footer,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n")
    }
}

fn header(d: &CommentData) -> String {
    let mut out = format!("### 🐘 Neon preview branch `{}`\n\n", d.branch_name);
    let state = match &d.state {
        BranchState::Created { parent } => format!("🆕 created from `{}`", cell(parent)),
        BranchState::Reused => "♻️ reused (not reset)".to_string(),
        BranchState::Reset { parent } => {
            format!("🔄 reset to the current state of `{}`", cell(parent))
        }
        BranchState::Deleted { merged } => format!(
            "🗑️ deleted: the pull request was {}",
            if *merged { "merged" } else { "closed" }
        ),
    };
    let deleted = matches!(d.state, BranchState::Deleted { .. });
    out.push_str("| | |\n|---|---|\n");
    match (&d.branch_id, deleted) {
        (Some(id), false) => {
            let _ = writeln!(
                out,
                "| Branch | [`{}`]({}) · `{}` |",
                d.branch_name,
                console_url(&d.project_id, id),
                cell(id)
            );
        }
        (Some(id), true) => {
            let _ = writeln!(out, "| Branch | `{}` · `{}` |", d.branch_name, cell(id));
        }
        (None, _) => {
            let _ = writeln!(out, "| Branch | `{}` |", d.branch_name);
        }
    }
    let _ = writeln!(out, "| State | {state} |");
    if let Some((state, host)) = &d.compute {
        let _ = writeln!(out, "| Compute | {} · `{}` |", cell(state), cell(host));
    }
    if let Some(sha) = &d.commit {
        let _ = writeln!(out, "| Commit | {} |", short_sha(sha));
    }
    out
}

fn migrations(m: &MigrationReport, volatile: bool) -> String {
    let mut out = String::from("#### Migrations\n\n");
    let runner = if m.is_command {
        format!("`migrate-command` {}", fence_inline(&m.runner))
    } else {
        m.runner.clone()
    };
    match &m.failure {
        None => {
            if m.is_command {
                let _ = write!(out, "✅ {runner} succeeded");
            } else if m.applied.is_empty() {
                let _ = write!(out, "✅ nothing to apply ({runner})");
            } else {
                let _ = write!(
                    out,
                    "✅ {} migration{} applied ({runner})",
                    m.applied.len(),
                    plural(m.applied.len())
                );
            }
        }
        Some(f) => {
            let place = match (&f.path, f.line) {
                (Some(p), Some(l)) => format!(" in `{}:{l}`", cell(p).replace('`', "")),
                (Some(p), None) => format!(" in `{}`", cell(p).replace('`', "")),
                _ => String::new(),
            };
            let _ = write!(out, "❌ migration failed{place} ({runner})");
        }
    }
    if volatile {
        let _ = write!(out, " in {}", duration(m.total_ms));
    }
    out.push('.');
    if m.already_applied > 0 {
        let _ = write!(
            out,
            " {} already recorded as applied on the parent.",
            m.already_applied
        );
    }
    out.push_str("\n\n");
    if !m.applied.is_empty() {
        if volatile {
            out.push_str("| Migration | Time |\n|---|---|\n");
            for a in &m.applied {
                let _ = writeln!(out, "| {} | {} |", cell(&a.path), duration(a.ms));
            }
        } else {
            out.push_str("| Migration |\n|---|\n");
            for a in &m.applied {
                let _ = writeln!(out, "| {} |", cell(&a.path));
            }
        }
        out.push('\n');
    }
    for (path, on) in &m.edited {
        let _ = writeln!(out, "❌ {}\n", cell(&edited_message(path, on.as_deref())));
    }
    if let Some(f) = &m.failure {
        out.push_str(&fence("text", &f.message));
        out.push_str("\nThe branch is kept as it is after the failure, for debugging: connect with the `db_url` output.\n");
    }
    // The trace is a measurement: re-measured on every push it may differ in what the
    // probes happened to see, so it stays out of the digest (volatile) like the timings;
    // the comment is rewritten when the PR or its results change, and then shows it.
    if let Some(t) = m
        .trace
        .as_ref()
        .filter(|t| volatile && !t.statements.is_empty())
    {
        out.push('\n');
        out.push_str(&crate::modes::migrate::trace::render::markdown(
            t,
            "the preview branch",
        ));
    }
    out
}

/// Inline code that no backtick inside can close.
fn fence_inline(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in one_line.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let ticks = "`".repeat(longest + 1);
    format!("{ticks} {one_line} {ticks}")
}

fn lint(l: &LintSection) -> String {
    l.markdown.trim_end().to_string() + "\n"
}

fn lint_short(l: &LintSection) -> String {
    format!(
        "### SQL analysis\n\n{} file{} · {} error{} · {} warning{}. The table is too long for a PR comment: see the annotations and the job summary.\n",
        l.files,
        plural(l.files),
        l.errors,
        plural(l.errors),
        l.warnings,
        plural(l.warnings)
    )
}

/// The schema diff section, keeping at most `max_lines` lines of the diff.
fn diff(d: &CommentData, max_lines: usize) -> String {
    let Some(text) = &d.schema_diff else {
        return String::new();
    };
    let parent = d.parent_name.as_deref().unwrap_or("the parent");
    let mut out = format!("#### Schema changes vs `{}`\n\n", cell(parent));
    if text.trim().is_empty() {
        out.push_str("No schema changes.\n");
        return out;
    }
    if let Some(words) = super::schema_diff::summary(text) {
        let _ = writeln!(out, "In short: {}.\n", cell(&words));
    }
    let lines: Vec<&str> = text.lines().collect();
    let added = lines
        .iter()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .count();
    let removed = lines
        .iter()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .count();
    let shown = lines.len().min(max_lines);
    let mut body = lines[..shown].join("\n");
    if shown < lines.len() {
        let _ = write!(
            body,
            "\n… {} more line{} cut to fit the comment (the job summary has the full diff)",
            lines.len() - shown,
            plural(lines.len() - shown)
        );
    }
    let block = fence("diff", &body);
    if lines.len() > FOLD_DIFF_LINES {
        let _ = write!(
            out,
            "<details><summary>{added} line{} added, {removed} removed</summary>\n\n{block}\n</details>\n",
            plural(added),
        );
    } else {
        out.push_str(&block);
    }
    out
}

fn footer(d: &CommentData, volatile: bool) -> String {
    let mut out = String::from("<sub>Updated by neon-gitops");
    if let Some(sha) = &d.commit {
        let _ = write!(out, " for {}", short_sha(sha));
    }
    if volatile {
        if let Some(url) = &d.run_url {
            let _ = write!(out, " · [run]({})", url.replace(['(', ')', ' '], ""));
        }
    }
    out.push_str("</sub>\n");
    out
}

fn sections(d: &CommentData, volatile: bool, diff_lines: usize, short_lint: bool) -> Sections {
    Sections {
        header: header(d),
        migrations: d
            .migrations
            .as_ref()
            .map(|m| migrations(m, volatile))
            .unwrap_or_default(),
        lint: d
            .lint
            .as_ref()
            .map(|l| if short_lint { lint_short(l) } else { lint(l) })
            .map(|l| if volatile { l } else { without_sizes(&l) })
            .unwrap_or_default(),
        diff: diff(d, diff_lines),
        footer: footer(d, volatile),
    }
}

/// The lint text without the table sizes findings quote from the catalog (`: 8.0 kB,
/// ~10 rows in`): sizes drift on a live database, and the digest must not change (and
/// the comment be rewritten, notifying everyone) on every push for that alone.
fn without_sizes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" rows in ") {
        let head = &rest[..i];
        // Back to the `: ` that starts the size, if what lies between is a size.
        match head.rfind(": ") {
            Some(j) if is_size(&head[j + 2..]) => out.push_str(&head[..j + 1]),
            _ => out.push_str(head),
        }
        out.push_str(" rows in ");
        rest = &rest[i + " rows in ".len()..];
    }
    out.push_str(rest);
    out
}

/// `8.0 kB, ~10` (what TableSize::describe writes before ` rows`).
fn is_size(s: &str) -> bool {
    let Some((amount, rows)) = s.split_once(", ~") else {
        return false;
    };
    let mut parts = amount.split(' ');
    let number = parts.next().unwrap_or("");
    let unit = parts.next().unwrap_or("");
    parts.next().is_none()
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && ["bytes", "kB", "MB", "GB", "TB"].contains(&unit)
        && !rows.is_empty()
        && rows.chars().all(|c| c.is_ascii_digit())
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Cut at `max` characters (never inside a UTF-8 sequence).
fn cut(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

pub fn digest(stable_content: &str) -> String {
    let hash = Sha256::digest(stable_content.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Render the comment for `d` within `budget` characters of content.
pub fn render_within(d: &CommentData, budget: usize) -> Rendered {
    let marker = marker(&d.project_id, &d.branch_name, &d.step_key);
    let full = sections(d, true, usize::MAX, false).join();
    let stable = sections(d, false, usize::MAX, false).join();
    let digest = digest(&format!("{marker}\n{stable}"));

    let mut content = full.clone();
    let mut truncated = false;
    if chars(&content) > budget {
        truncated = true;
        // 1. Cut the schema diff (binary search on its line count).
        let total_lines = d.schema_diff.as_deref().map_or(0, |t| t.lines().count());
        let (mut lo, mut hi) = (0usize, total_lines);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if chars(&sections(d, true, mid, false).join()) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        content = sections(d, true, lo, false).join();
        // 2. Then the lint table.
        if chars(&content) > budget {
            content = sections(d, true, lo, true).join();
        }
        // 3. Anything else (a huge error message): a hard cut, fences closed by the note.
        if chars(&content) > budget {
            content = format!(
                "{}\n\n````\n\n… cut here: the comment would exceed GitHub's limit. The job summary has everything.\n",
                cut(&content, budget.saturating_sub(200))
            );
        }
    }
    let note = if truncated {
        "\n> [!NOTE]\n> Parts of this report were shortened to fit GitHub's comment size limit; the job summary of this run has the full text.\n"
    } else {
        ""
    };
    let body = format!("{marker}\n{content}{note}\n{DIGEST_PREFIX}{digest} -->\n");
    Rendered {
        body,
        digest,
        summary: full,
        truncated,
        stable,
    }
}

pub fn render(d: &CommentData) -> Rendered {
    render_within(d, BUDGET)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> CommentData {
        CommentData {
            step_key: "preview".into(),
            project_id: "proj-123".into(),
            branch_name: "preview/pr-7-feature/x".into(),
            branch_id: Some("br-cool-1".into()),
            state: BranchState::Created {
                parent: "main".into(),
            },
            compute: Some(("active".into(), "ep-a.emulator.localhost:5432".into())),
            migrations: Some(MigrationReport {
                runner: "built-in runner".into(),
                is_command: false,
                applied: vec![AppliedFile {
                    path: "migrations/001_orders.sql".into(),
                    ms: 120,
                }],
                already_applied: 0,
                failure: None,
                total_ms: 300,
                edited: vec![],
                trace: None,
            }),
            lint: None,
            schema_diff: Some("--- main\n+++ preview\n+CREATE TABLE orders (id int);".into()),
            parent_name: Some("main".into()),
            commit: Some("0123456789abcdef".into()),
            run_url: Some("https://github.com/acme/shop/actions/runs/9".into()),
        }
    }

    #[test]
    fn marker_first_digest_last() {
        let r = render(&data());
        let m = marker("proj-123", "preview/pr-7-feature/x", "preview");
        assert_eq!(
            m,
            "<!-- neon-gitops:preview project=proj-123 branch=preview/pr-7-feature/x step=preview -->"
        );
        assert!(r.body.starts_with(&m));
        assert!(is_ours(&r.body, &m));
        assert!(!is_ours(&format!("> {m}\nquoted"), &m));
        assert!(!is_ours(
            &r.body,
            &marker("proj-123", "preview/pr-8", "preview")
        ));
        assert!(!is_ours(
            &r.body,
            &marker("proj-123", "preview/pr-7-feature/x", "other")
        ));
        assert!(!is_ours(
            &r.body,
            &marker("proj-123", "preview/pr-7-feature/x", "")
        ));
        assert!(is_about_branch(
            &r.body,
            "proj-123",
            "preview/pr-7-feature/x"
        ));
        assert!(!is_about_branch(
            &r.body,
            "proj-123",
            "preview/pr-7-feature"
        ));
        let legacy = marker("proj-123", "preview/pr-7-feature/x", "");
        assert!(is_about_branch(
            &format!("{legacy}\nold"),
            "proj-123",
            "preview/pr-7-feature/x"
        ));
        assert!(with_marker(&r.body, &legacy).starts_with(&format!("{legacy}\n")));
        assert_eq!(digest_of(&r.body), Some(r.digest.as_str()));
        assert!(r
            .body
            .contains("https://console.neon.tech/app/projects/proj-123/branches/br-cool-1"));
        assert!(r.body.contains("0123456"));
        assert!(r.body.contains("```diff"));
        assert!(r.summary.contains("migrations/001\\_orders.sql"));
        assert!(!r.summary.contains("neon-gitops:preview"));
    }

    #[test]
    fn digest_ignores_table_sizes_from_the_catalog() {
        let mut d = data();
        let with = |size: &str| {
            LintSection {
            markdown: format!("| x | `require-concurrent-index-creation` | CREATE INDEX blocks writes (table public.users: {size} rows in the branch's catalog) |"),
            files: 1,
            errors: 0,
            warnings: 1,
        }
        };
        d.lint = Some(with("8.0 kB, ~10"));
        let a = render(&d);
        d.lint = Some(with("16.0 kB, ~250"));
        let b = render(&d);
        assert_eq!(a.digest, b.digest);
        assert!(
            b.body.contains("16.0 kB, ~250 rows"),
            "the comment itself shows the size"
        );
        d.lint = Some(LintSection {
            markdown: "| x | other finding |".into(),
            files: 1,
            errors: 0,
            warnings: 1,
        });
        assert_ne!(render(&d).digest, a.digest);
        assert_eq!(
            without_sizes("t: 1 MB, ~5 rows in c; rows in x"),
            "t: rows in c; rows in x"
        );
    }

    #[test]
    fn marker_cannot_be_closed_by_inputs() {
        let m = marker("p --> <b>x</b>", "a--b", "s-->x");
        assert_eq!(m.matches("-->").count(), 1, "{m}");
    }

    #[test]
    fn digest_ignores_timings_and_run_link_but_not_content() {
        let a = render(&data());
        let mut d = data();
        d.migrations.as_mut().unwrap().total_ms = 9999;
        d.migrations.as_mut().unwrap().applied[0].ms = 4321;
        d.run_url = Some("https://github.com/acme/shop/actions/runs/10".into());
        let b = render(&d);
        assert_ne!(a.body, b.body);
        assert_eq!(a.digest, b.digest);
        d.commit = Some("fedcba9876543210".into());
        assert_ne!(render(&d).digest, a.digest);
        let mut d = data();
        d.schema_diff = Some(String::new());
        assert_ne!(render(&d).digest, a.digest);
    }

    #[test]
    fn untrusted_text_is_inert() {
        let mut d = data();
        let evil = "x.sql | <img src=x onerror=alert(1)> @octocat [link](http://e.vil) ```";
        d.migrations = Some(MigrationReport {
            runner: "built-in runner".into(),
            failure: Some(MigrationFailure {
                path: Some(evil.into()),
                line: Some(3),
                message: "ERROR: syntax error at or near \"```\"\n```\n<script>alert(1)</script>"
                    .into(),
            }),
            applied: vec![AppliedFile {
                path: evil.into(),
                ms: 1,
            }],
            ..Default::default()
        });
        d.schema_diff = Some("+-- ````` fence breaker\n+CREATE TABLE \"<b>\" ();".into());
        let r = render(&d);
        assert!(!r.body.contains("<img"), "{}", r.body);
        assert!(!r.body.contains("@octocat"));
        assert!(!r.body.contains("[link]"));
        // The error message sits in a fence longer than any backtick run in it.
        assert!(r.body.contains("````text\nERROR"), "{}", r.body);
        assert!(r.body.contains("``````diff\n"), "{}", r.body);
        // Table rows stay one line each.
        for line in r.body.lines().filter(|l| l.starts_with('|')) {
            assert!(line.ends_with('|'), "{line}");
        }
    }

    #[test]
    fn command_runner_rendered_as_inline_code() {
        let mut d = data();
        d.migrations = Some(MigrationReport {
            runner: "npx `prisma` migrate deploy".into(),
            is_command: true,
            total_ms: 1500,
            ..Default::default()
        });
        let r = render(&d);
        assert!(
            r.body
                .contains("`` npx `prisma` migrate deploy `` succeeded in 1.5 s"),
            "{}",
            r.body
        );
    }

    #[test]
    fn long_diffs_fold_and_huge_ones_are_cut_under_the_limit() {
        let mut d = data();
        let long: String = (0..40)
            .map(|i| format!("+CREATE TABLE t{i} ();\n"))
            .collect();
        d.schema_diff = Some(long);
        let r = render(&d);
        assert!(r
            .body
            .contains("<details><summary>40 lines added, 0 removed</summary>"));
        assert!(!r.truncated);

        let huge: String = (0..20_000)
            .map(|i| format!("+CREATE TABLE table_number_{i} (id bigint);\n"))
            .collect();
        d.schema_diff = Some(huge);
        d.lint = Some(LintSection {
            markdown: "### SQL analysis\n\n".to_string() + &"| row |\n".repeat(5000),
            files: 3,
            errors: 1,
            warnings: 2,
        });
        let r = render(&d);
        assert!(r.truncated);
        assert!(r.body.chars().count() < GITHUB_LIMIT, "{}", r.body.len());
        assert!(r.body.contains("more lines cut to fit"));
        assert!(r.body.contains("job summary"));
        assert_eq!(digest_of(&r.body), Some(r.digest.as_str()));
        // Fences stay balanced: the cut happens on whole lines inside the block.
        assert!(r.body.contains("```diff\n") && r.body.contains("\n```\n"));
        assert!(
            r.summary.chars().count() > GITHUB_LIMIT,
            "summary keeps it all"
        );

        // A single enormous error message: hard cut, still under the limit.
        let mut d = data();
        d.migrations.as_mut().unwrap().failure = Some(MigrationFailure {
            path: None,
            line: None,
            message: "é".repeat(100_000),
        });
        let r = render(&d);
        assert!(r.truncated && r.body.chars().count() < GITHUB_LIMIT);
    }

    #[test]
    fn deleted_comment() {
        let mut d = data();
        d.state = BranchState::Deleted { merged: true };
        d.migrations = None;
        d.schema_diff = None;
        d.compute = None;
        let r = render(&d);
        assert!(r.body.contains("deleted: the pull request was merged"));
        assert!(
            !r.body.contains("console.neon.tech"),
            "no link to a deleted branch"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration(12), "12 ms");
        assert_eq!(duration(1234), "1.2 s");
        assert_eq!(duration(125_000), "2m 05s");
    }
}
