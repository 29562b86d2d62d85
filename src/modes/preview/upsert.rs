//! The PR comment on GitHub: found by its marker (all pages), created once, updated in
//! place, left alone when its digest is unchanged, and repaired when two concurrent runs
//! both created one (the oldest wins, the others are deleted). A create whose answer was
//! lost is looked up (by digest) before it is tried again, so it never leaves two.
//! Comments are keyed by step; one written before comments were keyed (its marker has
//! no step) is adopted by the first step that finds no comment of its own.

use super::comment::{digest_of, is_about_branch, is_ours, with_marker, Rendered};
use crate::error::{Error, Result};
use crate::github::{Comment, GitHubClient};
use crate::host::Host;
use crate::http::HttpError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Our comment(s) on the PR, oldest first: those with `marker`, else those with the
/// unkeyed `legacy` marker of the same branch.
async fn ours<H: Host>(
    gh: &GitHubClient<'_, H>,
    pr: u64,
    marker: &str,
    legacy: &str,
) -> Result<Vec<Comment>> {
    pick_ours(gh.list_comments(pr).await?, marker, legacy)
}

fn pick_ours(all: Vec<Comment>, marker: &str, legacy: &str) -> Result<Vec<Comment>> {
    let pick = |m: &str| {
        let mut v: Vec<Comment> = all
            .iter()
            .filter(|c| is_ours(&c.body, m))
            .cloned()
            .collect();
        v.sort_by_key(|c| c.id);
        v
    };
    let mine = pick(marker);
    if mine.is_empty() && legacy != marker {
        return Ok(pick(legacy).into_iter().take(1).collect());
    }
    Ok(mine)
}

/// Update every preview comment about this branch, whichever step wrote it, keeping each
/// one's marker (used on close: the branch is gone for all of them). `None`: there was none.
pub async fn update_all<H: Host>(
    gh: &GitHubClient<'_, H>,
    pr: u64,
    project_id: &str,
    branch_name: &str,
    rendered: &Rendered,
) -> Result<Option<(Comment, Outcome)>> {
    let mut last = None;
    for c in gh.list_comments(pr).await? {
        if !is_about_branch(&c.body, project_id, branch_name) {
            continue;
        }
        let own = c.body.trim_start().lines().next().unwrap_or_default();
        let body = with_marker(&rendered.body, own);
        last = Some(if c.body == body {
            (c, Outcome::Unchanged)
        } else {
            (gh.update_comment(c.id, &body).await?, Outcome::Updated)
        });
    }
    Ok(last)
}

/// Create or update the comment. `create` false: only update an existing one (used on
/// close, where a PR that never had a preview comment should not get one).
pub async fn upsert<H: Host>(
    gh: &GitHubClient<'_, H>,
    pr: u64,
    marker: &str,
    legacy: &str,
    rendered: &Rendered,
    create: bool,
    listed: Option<Vec<Comment>>,
) -> Result<Option<(Comment, Outcome)>> {
    // The PR's comments as listed earlier in this run (while the branch was prepared), or
    // now. A comment another run creates in between is caught by the check after ours.
    let existing = match listed {
        Some(all) => pick_ours(all, marker, legacy)?,
        None => ours(gh, pr, marker, legacy).await?,
    };
    let Some(first) = existing.first().cloned() else {
        if !create {
            return Ok(None);
        }
        let created = match gh.create_comment(pr, &rendered.body).await {
            Ok(c) => c,
            // The answer was lost, not necessarily the comment: look before writing it again,
            // so a retry never leaves a second comment behind.
            Err(Error::Http(HttpError::Uncertain { .. })) => {
                let now = ours(gh, pr, marker, marker).await?;
                match now
                    .into_iter()
                    .find(|c| digest_of(&c.body) == Some(rendered.digest.as_str()))
                {
                    Some(c) => c,
                    None => gh.create_comment(pr, &rendered.body).await?,
                }
            }
            Err(e) => return Err(e),
        };
        // Another run for the same PR may have created one at the same time: the oldest
        // stays, every other one goes (each run converges on the same choice).
        let now = ours(gh, pr, marker, marker).await?;
        if let Some(oldest) = now.first() {
            if oldest.id != created.id {
                gh.delete_comment(created.id).await?;
                let kept = if digest_of(&oldest.body) == Some(rendered.digest.as_str()) {
                    oldest.clone()
                } else {
                    gh.update_comment(oldest.id, &rendered.body).await?
                };
                return Ok(Some((kept, Outcome::Updated)));
            }
            for dup in &now[1..] {
                gh.delete_comment(dup.id).await?;
            }
        }
        return Ok(Some((created, Outcome::Created)));
    };
    for dup in &existing[1..] {
        gh.delete_comment(dup.id).await?;
    }
    if digest_of(&first.body) == Some(rendered.digest.as_str()) {
        return Ok(Some((first, Outcome::Unchanged)));
    }
    let updated = gh.update_comment(first.id, &rendered.body).await?;
    Ok(Some((updated, Outcome::Updated)))
}
