//! Which files arrived with this merge: from the event's commit range, via `git diff`
//! when the checkout has the history, else the GitHub REST API. Only reported; the
//! tracking table decides what is pending.

use crate::event::Event;
use crate::github::GitHubClient;
use crate::host::{Command, Host};
use crate::runtime::Runtime;

/// The commit range of the event: merged PR (base..merge commit) or push (before..after).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub base: String,
    pub head: String,
    pub pr: Option<u64>,
}

/// A full commit id (SHA-1 or SHA-256, hex).
pub fn is_commit_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn range(event: &Event) -> Option<Range> {
    if let Some(pr) = event.pull_request() {
        return Some(Range {
            base: pr.base_sha,
            head: pr.merge_commit_sha?,
            pr: Some(pr.number),
        });
    }
    let s = |k: &str| {
        event
            .payload
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let (before, after) = (s("before")?, s("after")?);
    // A new branch's first push has no "before".
    if before.chars().all(|c| c == '0') {
        return None;
    }
    Some(Range {
        base: before,
        head: after,
        pr: None,
    })
}

/// Changed paths (repository-relative), or None when neither git nor the API could say.
pub async fn changed_files<H: Host>(
    rt: &Runtime<H>,
    workspace: &str,
    event: &Event,
) -> Option<Vec<String>> {
    let r = range(event)?;
    let git = Command {
        cwd: Some(workspace.to_string()),
        ..Command::new("git").args([
            "diff",
            "--name-only",
            "--no-renames",
            "-z",
            &r.base,
            &r.head,
            "--",
        ])
    };
    // Commit ids from the payload go into git's argv: only ever as commit ids, never as
    // something git would read as an option.
    let git_ok = is_commit_id(&r.base) && is_commit_id(&r.head);
    let out = if git_ok {
        rt.host.run(&git).await.ok()
    } else {
        None
    };
    if let Some(out) = out {
        if out.success() {
            return Some(
                out.stdout
                    .split('\0')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
        rt.debug(&format!(
            "git diff {}..{} failed (shallow checkout?): {}",
            r.base,
            r.head,
            out.stderr.trim()
        ));
    }
    let token = rt.host.input("github-token");
    let repo = event
        .repository()
        .or_else(|| rt.host.env("GITHUB_REPOSITORY"))?;
    let api = rt
        .host
        .env("GITHUB_API_URL")
        .unwrap_or_else(|| "https://api.github.com".into());
    if token.is_empty() {
        return None;
    }
    let gh = GitHubClient::new(rt, &api, &token, &repo);
    let files = match r.pr {
        Some(n) => gh.pull_request_files(n).await,
        None => gh.compare_files(&r.base, &r.head).await,
    };
    match files {
        Ok(f) => Some(f.into_iter().map(|f| f.filename).collect()),
        Err(e) => {
            rt.warning(&format!(
                "Could not list the files of this merge (git history is not in the checkout and the GitHub API said: {e}); the summary cannot say which migrations arrived with it. Use `fetch-depth: 0` in actions/checkout to avoid the API call."
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_commit_id;

    #[test]
    fn only_commit_ids_reach_git() {
        assert!(is_commit_id("0399e24b91ba9b8429db7957f167535b8bba1ad6"));
        assert!(is_commit_id(&"a".repeat(64)));
        for bad in [
            "",
            "HEAD",
            "--output=/tmp/x",
            "0399e24",
            "0399e24b91ba9b8429db7957f167535b8bba1ad-",
        ] {
            assert!(!is_commit_id(bad), "{bad}");
        }
    }
}
