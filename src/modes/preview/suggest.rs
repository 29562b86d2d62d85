//! One-click fixes in the pull request: each lint finding with a mechanical fix becomes a
//! review comment on its lines with a ` ```suggestion ` block (sql/fix.rs makes and checks
//! the fix). One review per push holds the new ones; a fix already posted (same file, rule
//! and lines of SQL) is not posted again; one that no longer applies is marked so.

use super::lint::LintOutcome;
use super::settings::Settings;
use crate::event::PullRequest;
use crate::github::{GitHubClient, NewReviewComment};
use crate::host::Host;
use crate::runtime::Runtime;
use crate::sql::fix::{suggestions, Suggestion};
use crate::sql::report::fence;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

const KEY_PREFIX: &str = "<!-- neon-gitops:suggestion key=";
const OUTDATED: &str = "<!-- neon-gitops:suggestion-outdated -->";

/// The new-side line numbers a review comment may be on, from a unified diff.
pub fn commentable_lines(patch: &str) -> BTreeSet<u32> {
    let mut lines = BTreeSet::new();
    let mut next = 0u32;
    for l in patch.lines() {
        if let Some(h) = l.strip_prefix("@@ ") {
            // @@ -a,b +c,d @@
            next = h
                .split_whitespace()
                .find_map(|p| p.strip_prefix('+'))
                .and_then(|p| p.split(',').next()?.parse().ok())
                .unwrap_or(0);
        } else if l.starts_with('+') || l.starts_with(' ') {
            lines.insert(next);
            next += 1;
        }
    }
    lines
}

/// What identifies a fix across pushes: the file, the rule and the lines it replaces.
fn key(s: &Suggestion, original: &str) -> String {
    let hash = Sha256::digest(format!("{}\n{}\n{original}", s.path, s.rule).as_bytes());
    hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn body(s: &Suggestion, key: &str) -> String {
    format!(
        "{KEY_PREFIX}{key} -->\n**neon-gitops · `{}`**: {}. Applying this suggestion gives a file the lint passes.\n\n{}",
        s.rule,
        s.title,
        fence("suggestion", &s.replacement)
    )
}

/// The fixes for this push: (comment to post, its key), only on lines in the PR's diff.
fn planned(lint: &LintOutcome, settings: &Settings) -> Vec<(NewReviewComment, String)> {
    let mut out = Vec::new();
    for (file, source) in lint.analysis.files.iter().zip(&lint.sources) {
        let Some(patch) = lint.patches.get(&file.path) else {
            continue;
        };
        let open = commentable_lines(patch);
        let text = String::from_utf8_lossy(&source.bytes);
        for s in suggestions(file, &text, &settings.lint, lint.catalog.as_ref()) {
            if !(s.start_line..=s.end_line).all(|l| open.contains(&l)) {
                continue;
            }
            let original: Vec<&str> = text
                .lines()
                .skip(s.start_line as usize - 1)
                .take((s.end_line - s.start_line + 1) as usize)
                .collect();
            let k = key(&s, &original.join("\n"));
            out.push((
                NewReviewComment {
                    path: s.path.clone(),
                    start_line: Some(s.start_line),
                    line: s.end_line,
                    body: body(&s, &k),
                },
                k,
            ));
        }
    }
    out
}

fn key_of(body: &str) -> Option<&str> {
    let rest = &body[body.find(KEY_PREFIX)? + KEY_PREFIX.len()..];
    Some(&rest[..rest.find(" -->")?])
}

/// Post this push's new fixes as one review and mark the ones that no longer apply. A
/// failure is a warning: the fixes are a convenience, the findings are in the comment.
pub async fn publish<H: Host>(
    rt: &Runtime<H>,
    gh: &GitHubClient<'_, H>,
    settings: &Settings,
    pr: &PullRequest,
    lint: &LintOutcome,
) {
    let planned = planned(lint, settings);
    let result = async {
        let existing = gh.list_review_comments(pr.number).await?;
        let ours: HashMap<&str, _> = existing
            .iter()
            .filter_map(|c| Some((key_of(&c.body)?, c)))
            .collect();
        let fresh: Vec<NewReviewComment> = planned
            .iter()
            .filter(|(_, k)| !ours.contains_key(k.as_str()))
            .map(|(c, _)| c.clone())
            .collect();
        if !fresh.is_empty() {
            gh.create_review(
                pr.number,
                &pr.head_sha,
                &format!(
                    "neon-gitops: {} one-click fix(es) for lint findings in this push.",
                    fresh.len()
                ),
                &fresh,
            )
            .await?;
        }
        let mut outdated = 0;
        for (k, c) in &ours {
            if !c.body.contains(OUTDATED) && !planned.iter().any(|(_, p)| p == k) {
                let note = format!("{OUTDATED}\n> [!NOTE]\n> No longer applies: the latest push changed these lines or fixed the finding.\n\n{}", c.body);
                gh.update_review_comment(c.id, &note).await?;
                outdated += 1;
            }
        }
        Ok::<_, crate::error::Error>((fresh.len(), planned.len() - fresh.len(), outdated))
    }
    .await;
    match result {
        Ok((0, 0, 0)) => {}
        Ok((new, kept, outdated)) => rt.info(&format!(
            "One-click fixes: {new} posted as a review, {kept} already on the PR, {outdated} marked as no longer applying"
        )),
        Err(e) => rt.warning(&format!(
            "Could not post the one-click fixes as a review ({e}); give the job `permissions: pull-requests: write`, or set `suggestions: false`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_a_review_comment_may_be_on() {
        let patch = "@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n@@ -10,1 +11,1 @@\n+x";
        assert_eq!(
            commentable_lines(patch).into_iter().collect::<Vec<_>>(),
            vec![1, 2, 3, 11]
        );
        assert!(commentable_lines("").is_empty());
    }

    #[test]
    fn body_carries_its_key_and_a_suggestion_fence() {
        let s = Suggestion {
            path: "m/1.sql".into(),
            start_line: 1,
            end_line: 1,
            replacement: "CREATE INDEX CONCURRENTLY i ON t (a);".into(),
            rule: "require-concurrent-index-creation",
            title: "build the index concurrently".into(),
        };
        let k = key(&s, "CREATE INDEX i ON t (a);");
        let b = body(&s, &k);
        assert_eq!(key_of(&b), Some(k.as_str()));
        assert!(
            b.contains("```suggestion\nCREATE INDEX CONCURRENTLY i ON t (a);\n```"),
            "{b}"
        );
        assert_ne!(k, key(&s, "CREATE INDEX i ON t (b);"));
    }
}
