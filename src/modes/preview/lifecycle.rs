//! The preview branch's life on Neon: find or create (a create conflict means another run
//! made it: look it up again), reset from the parent (again if the answer was lost), wait
//! until the compute is ready, delete on close (already gone = success; children = a clear
//! error naming them).

use super::comment::BranchState;
use super::settings::Settings;
use crate::error::{Error, Result};
use crate::event::PullRequest;
use crate::host::Host;
use crate::http::HttpError;
use crate::neon::types::{children, Branch, Endpoint, NewBranch, Operation};
use crate::neon::NeonClient;
use crate::runtime::Runtime;

/// How long a compute may stay `init` after its operations finished.
const COMPUTE_READY_DEADLINE_MS: f64 = 5.0 * 60.0 * 1000.0;
/// How long a branch may exist without its read_write endpoint (another run creating it).
const ENDPOINT_APPEAR_MS: f64 = 30_000.0;

pub struct Ready {
    pub branch: Branch,
    pub parent: Option<Branch>,
    pub endpoint: Endpoint,
    pub created: bool,
    pub state: BranchState,
    /// The connection details, when they were read while Neon was still working (not
    /// after a reset, which comes later).
    pub conn: Option<crate::neon::connect::BranchConnection>,
}

fn parent_label(parent: &Option<Branch>) -> String {
    parent
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "its parent".into())
}

/// The `parent` input's branch (by name or id), and the branch its data comes from: the
/// same one, or, for a Neon Twin, the twin's newest verified copy (same data as the twin,
/// see `neon::twin::current_copy`), so previews never hang below the twin itself. Without
/// a `parent` input the branch's own parent (the default branch) is used.
async fn intended_parent<H: Host>(
    neon: &NeonClient<'_, H>,
    settings: &Settings,
) -> Result<Option<(Branch, Branch)>> {
    let Some(parent) = &settings.parent else {
        return Ok(None);
    };
    let branch = neon.resolve_branch(parent).await?.ok_or_else(|| {
        Error::input(
            "parent",
            format!(
                "no branch named or with id `{parent}` in project {}",
                settings.project_id
            ),
        )
    })?;
    let related = neon.list_branches(Some(&branch.name)).await?;
    let source = crate::neon::twin::current_copy(&related, &branch.name)
        .cloned()
        .unwrap_or_else(|| branch.clone());
    Ok(Some((branch, source)))
}

async fn parent_of<H: Host>(neon: &NeonClient<'_, H>, branch: &Branch) -> Result<Option<Branch>> {
    match &branch.parent_id {
        Some(id) => match neon.get_branch(id).await {
            Ok(b) => Ok(Some(b)),
            Err(Error::Http(e)) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

/// Find the branch by exact name or create it; reset it when asked; wait for its compute.
pub async fn prepare<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    settings: &Settings,
    pr: &PullRequest,
    name: &str,
    reset: bool,
) -> Result<Ready> {
    let (branch, created, operations) = match neon.find_branch_by_name(name).await? {
        Some(existing) => (existing, false, None),
        None => create(rt, neon, settings, pr, name).await?,
    };
    // While Neon makes the branch (or finishes what another run started on it): the parent
    // and, unless a reset will follow, the connection details. None of it needs the
    // compute, and each is a round trip that would otherwise come after the wait.
    let wait = async {
        match &operations {
            Some(ops) => neon.wait_for_operations(ops).await,
            None => neon.wait_for_branch_idle(&branch.id).await,
        }
    };
    // The parent the workflow asks for, looked up by name on every run: after a sync Neon
    // has moved the twin's children to its backup, so `parent_id` may point at yesterday.
    let parents = async {
        Ok::<_, Error>(match intended_parent(neon, settings).await? {
            Some((p, source)) => (Some(p), Some(source)),
            None => {
                let p = parent_of(neon, &branch).await?;
                (p.clone(), p)
            }
        })
    };
    let early_conn = async {
        match created || !reset {
            true => crate::neon::connect::branch_connection(
                neon,
                &branch,
                None,
                &settings.role,
                &settings.database,
            )
            .await
            // Not yet readable (a concurrent run's branch without its endpoint listed):
            // read again once the compute is ready, where a real problem is reported.
            .ok(),
            false => None,
        }
    };
    let (waited, parents, conn) = futures_util::future::join3(wait, parents, early_conn).await;
    waited?;
    let (parent, source) = parents?;
    let children: Vec<String> = if reset && !created {
        let all = neon.list_branches(None).await?;
        children(&all, &branch.id).map(|b| b.name.clone()).collect()
    } else {
        Vec::new()
    };
    let state = if created {
        BranchState::Created {
            parent: parent_label(&parent),
        }
    } else if reset && !children.is_empty() {
        rt.warning(&format!(
            "{name} has branches below it ({}): Neon would move them to a backup branch on a reset, so it is not reset; migrating on its current state. Delete those branches to have it follow {} again",
            children.join(", "),
            parent_label(&parent)
        ));
        BranchState::Reused
    } else if reset {
        match (&parent, &source) {
            (Some(p), Some(source)) => {
                let via = if source.id == p.id {
                    String::new()
                } else {
                    format!(" (from its copy {})", source.name)
                };
                rt.info(&format!(
                    "Resetting {name} to the current state of {}{via} before migrating",
                    p.name
                ));
                reset_from(rt, neon, settings, &branch, source).await?;
                BranchState::Reset {
                    parent: p.name.clone(),
                }
            }
            _ => {
                rt.warning(&format!(
                    "{name} has no parent branch any more, so it cannot be reset; migrating on its current state"
                ));
                BranchState::Reused
            }
        }
    } else {
        BranchState::Reused
    };
    let endpoint = wait_for_compute(rt, neon, &branch).await?;
    Ok(Ready {
        branch,
        parent,
        endpoint,
        created,
        state,
        conn,
    })
}

/// Restore the branch from its parent's head. Unlike a create, a reset is safe to repeat
/// (restoring again from the same parent ends in the same state), so a lost answer is
/// settled by letting whatever it started finish and restoring again.
async fn reset_from<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    settings: &Settings,
    branch: &Branch,
    parent: &Branch,
) -> Result<()> {
    let mut attempt = 1;
    loop {
        let restored = if settings.parent_lsn.is_some() || settings.parent_timestamp.is_some() {
            // The branch was made at a point of its parent's history: a reset goes back to
            // that same point, not to the parent's head.
            neon.restore_branch_at(
                &branch.id,
                &parent.id,
                settings.parent_lsn.as_deref(),
                settings.parent_timestamp.as_deref(),
            )
            .await
        } else {
            neon.restore_branch(&branch.id, &parent.id, None).await
        };
        match restored {
            Err(Error::Http(HttpError::Uncertain { cause, .. })) if attempt < 3 => {
                rt.info(&format!(
                    "Neon API: the answer to resetting {} was lost ({cause}); waiting for the branch, then resetting again",
                    branch.name
                ));
                neon.wait_for_branch_idle(&branch.id).await?;
                attempt += 1;
            }
            other => return other.map(|_| ()),
        }
    }
}

/// A `parent-timestamp` Neon can branch from: not in the future, and within the
/// project's history window (`history_retention_seconds`), before any branch is made.
async fn check_history_window<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    ts: &str,
) -> Result<()> {
    let Some(at) = crate::time::parse_rfc3339(ts) else {
        return Err(Error::input(
            "parent-timestamp",
            format!("`{ts}` is not an RFC 3339 time"),
        ));
    };
    let now = rt.host.now_ms();
    if at > now + 60_000.0 {
        return Err(Error::input(
            "parent-timestamp",
            format!(
                "`{ts}` is in the future (now: {})",
                crate::time::rfc3339(now)
            ),
        ));
    }
    if let Some(window) = neon.project().await?.history_retention_seconds {
        if at < now - window as f64 * 1000.0 {
            return Err(Error::input(
                "parent-timestamp",
                format!(
                    "`{ts}` is older than the project's history window ({} h, `history_retention_seconds` {window}): Neon keeps no state that old. Pick a later time, or raise the project's history retention",
                    window / 3600
                ),
            ));
        }
    }
    Ok(())
}

async fn create<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    settings: &Settings,
    pr: &PullRequest,
    name: &str,
) -> Result<(Branch, bool, Option<Vec<Operation>>)> {
    if let Some(ts) = &settings.parent_timestamp {
        check_history_window(rt, neon, ts).await?;
    }
    let parent = intended_parent(neon, settings).await?;
    let parent_id = parent.as_ref().map(|(_, source)| source.id.clone());
    let mut annotations = vec![
        ("github-pr-number".to_string(), pr.number.to_string()),
        ("github-head-sha".to_string(), pr.head_sha.clone()),
        ("created-by".to_string(), "neon-gitops".to_string()),
    ];
    if let Some((p, _)) = &parent {
        annotations.push(("neon-gitops-parent".to_string(), p.name.clone()));
    }
    if !settings.repository.is_empty() {
        annotations.push(("github-repo".to_string(), settings.repository.clone()));
    }
    let new = NewBranch {
        name: name.to_string(),
        parent_id,
        parent_lsn: settings.parent_lsn.clone(),
        parent_timestamp: settings.parent_timestamp.clone(),
        expires_at: settings.expires_at.clone().or_else(|| {
            settings
                .ttl_ms
                .map(|ttl| crate::neon::expires_at(rt.host.now_ms(), ttl as f64))
        }),
        suspend_timeout_seconds: settings.suspend_timeout,
        annotations,
    };
    match neon.start_branch(&new).await {
        Ok(created) => Ok((created.branch, true, Some(created.operations))),
        // Another run for this PR created it between our lookup and our create.
        Err(Error::Http(e)) if e.status() == Some(409) => {
            rt.info(&format!(
                "{name} was created by a concurrent run; using that branch"
            ));
            let existing = neon.find_branch_by_name(name).await?.ok_or_else(|| {
                Error::Failed(format!(
                    "Neon said branch {name} already exists (409) but it is not in the branch list; re-run the job"
                ))
            })?;
            Ok((existing, false, None))
        }
        Err(e) => Err(e),
    }
}

/// The branch's read_write endpoint once it can take connections. Operations are waited
/// for by every mutating call; this also covers a compute still in `init` after them.
pub async fn wait_for_compute<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    branch: &Branch,
) -> Result<Endpoint> {
    let started = rt.host.now_ms();
    let mut interval = 250;
    let mut beat = crate::runtime::Heartbeat::start(rt);
    loop {
        beat.tick(
            rt,
            &format!("the compute of branch {} to start", branch.name),
        );
        let endpoint = match crate::neon::connect::read_write_endpoint(neon, branch).await {
            Ok(e) => e,
            // A branch a concurrent run is still creating may not list its endpoint yet.
            Err(Error::Failed(_)) if rt.host.now_ms() - started < ENDPOINT_APPEAR_MS => {
                rt.host.sleep(interval).await;
                interval = (interval * 3 / 2).min(2000);
                continue;
            }
            Err(e) => return Err(e),
        };
        if endpoint.current_state != "init" {
            return Ok(endpoint);
        }
        if rt.host.now_ms() - started > COMPUTE_READY_DEADLINE_MS {
            return Err(Error::Failed(format!(
                "the compute {} of branch {} did not become ready within 5 minutes; check the branch in the Neon console and re-run",
                endpoint.id, branch.name
            )));
        }
        rt.host.sleep(interval).await;
        interval = (interval * 3 / 2).min(2000);
    }
}

/// The PR's branch: by its name, else by the PR number it was annotated with (branches
/// made by create-branch-action, or under another naming scheme, carry
/// `github-pr-number`), in this repository when the annotation names one.
async fn find_for_pr<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    name: &str,
    pr_number: u64,
    repository: &str,
) -> Result<Option<Branch>> {
    if let Some(b) = neon.find_branch_by_name(name).await? {
        return Ok(Some(b));
    }
    let number = pr_number.to_string();
    let mut found: Vec<Branch> = neon
        .list_branches_annotated(None)
        .await?
        .into_iter()
        .filter(|(b, a)| {
            !b.default
                && a.get("github-pr-number") == Some(&number)
                && [a.get("github-repo"), a.get("github-commit-repo")]
                    .into_iter()
                    .flatten()
                    .all(|r| {
                        repository.is_empty()
                            || r == repository
                            || repository.ends_with(&format!("/{r}"))
                    })
        })
        .map(|(b, _)| b)
        .collect();
    match found.len() {
        0 => Ok(None),
        1 => {
            let b = found.remove(0);
            rt.info(&format!(
                "No branch is named {name}; branch {} is annotated with pull request #{number}: that one is this PR's",
                b.name
            ));
            Ok(Some(b))
        }
        _ => Err(Error::Failed(format!(
            "no branch is named {name}, and several are annotated with pull request #{number} ({}); delete the right one in the Neon console",
            found.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Delete the PR's branch. `Ok(Some(id))` deleted, `Ok(None)` already gone.
pub async fn delete<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    name: &str,
    pr_number: u64,
    repository: &str,
) -> Result<Option<String>> {
    let Some(branch) = find_for_pr(rt, neon, name, pr_number, repository).await? else {
        rt.info(&format!("Preview branch {name} is already gone"));
        return Ok(None);
    };
    match neon.delete_branch(&branch.id).await {
        Ok(_) => {
            rt.info(&format!("Deleted preview branch {name} ({})", branch.id));
            Ok(Some(branch.id))
        }
        Err(Error::Http(e)) if matches!(e.status(), Some(409 | 422)) => {
            let all = neon.list_branches(None).await.unwrap_or_default();
            let children: Vec<String> = children(&all, &branch.id)
                .map(|b| format!("{} ({})", b.name, b.id))
                .collect();
            if children.is_empty() {
                return Err(Error::Failed(format!(
                    "cannot delete preview branch {name} ({}): {e}",
                    branch.id
                )));
            }
            Err(Error::Failed(format!(
                "cannot delete preview branch {name} ({}): it has child branches: {}. Delete those branches (or reset them onto another parent) in the Neon console, then re-run this job",
                branch.id,
                children.join(", ")
            )))
        }
        Err(e) => Err(e),
    }
}
