//! mode: preview — a Neon branch per pull request: found or created, waited for, handed
//! out as connection URLs; deleted when the PR closes.

pub mod naming;

use crate::error::{Error, Result};
use crate::event::{Event, PullRequest};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::neon::connect::branch_connection;
use crate::neon::types::{Branch, NewBranch};
use crate::neon::NeonClient;
use crate::runtime::Runtime;

/// Neon keeps a branch at most 30 days after `expires_at` is set.
const MAX_TTL_MS: u64 = 30 * 86_400_000;

struct Settings {
    api_key: String,
    project_id: String,
    api_host: String,
    branch_template: String,
    parent: Option<String>,
    parent_timestamp: Option<String>,
    parent_lsn: Option<String>,
    ttl_ms: Option<u64>,
    suspend_timeout: Option<i64>,
    role: Option<String>,
    database: Option<String>,
    reset_on_push: Option<bool>,
}

fn settings<H: Host>(host: &H) -> Result<Settings> {
    let inputs = Inputs::new(host);
    let ttl = inputs.duration_ms("branch-ttl", 0, MAX_TTL_MS)?;
    let suspend = inputs.optional("suspend-timeout").map(|raw| {
        crate::inputs::parse_duration_ms(&raw)
            .map(|ms| (ms / 1000) as i64)
            .ok_or_else(|| {
                Error::input(
                    "suspend-timeout",
                    format!("`{raw}` is not a duration, e.g. 300s or 5m"),
                )
            })
    });
    Ok(Settings {
        api_key: inputs.get("neon-api-key"),
        project_id: inputs.get("neon-project-id"),
        api_host: inputs
            .optional("neon-api-host")
            .unwrap_or_else(|| crate::neon::DEFAULT_API_HOST.to_string()),
        branch_template: inputs
            .optional("branch-name")
            .unwrap_or_else(|| naming::DEFAULT_TEMPLATE.to_string()),
        parent: inputs.optional("parent"),
        parent_timestamp: inputs.optional("parent-timestamp"),
        parent_lsn: inputs.optional("parent-lsn"),
        ttl_ms: (ttl > 0).then_some(ttl),
        suspend_timeout: suspend.transpose()?,
        role: inputs.optional("role"),
        database: inputs.optional("database"),
        reset_on_push: match inputs.optional("reset-on-push") {
            Some(_) => Some(inputs.bool("reset-on-push", true)?),
            None => None,
        },
    })
}

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let settings = settings(&rt.host)?;
    let event = Event::load(&rt.host)?;
    let pr = event.pull_request().ok_or_else(|| {
        Error::Event(format!(
            "mode: preview runs on `pull_request` events, but this run was triggered by `{}`; add `on: pull_request: types: [opened, reopened, synchronize, closed]` to the workflow",
            if event.name.is_empty() { "an unknown event" } else { &event.name }
        ))
    })?;
    if settings.api_key.is_empty() {
        let actor = rt.host.env("GITHUB_ACTOR").unwrap_or_default();
        if pr.from_fork || actor == "dependabot[bot]" {
            // Forks and Dependabot get no repository secrets: succeed without touching
            // anything rather than fail every contributor's PR.
            rt.notice("neon-gitops preview skipped: `neon-api-key` is empty because pull requests from forks (and Dependabot) do not receive repository secrets. No preview branch is created for this PR.");
            return Ok(());
        }
        return Err(Error::input(
            "neon-api-key",
            "is required for mode: preview: pass `${{ secrets.NEON_API_KEY }}` (Neon console → Account settings → API keys)",
        ));
    }
    if settings.project_id.is_empty() {
        return Err(Error::input(
            "neon-project-id",
            "is required for mode: preview (Neon console → Project settings → General → Project ID)",
        ));
    }
    let name = naming::branch_name(
        &settings.branch_template,
        pr.number,
        &pr.head_ref,
        &pr.head_sha,
    );
    let neon = NeonClient::new(
        rt,
        &settings.api_host,
        &settings.api_key,
        &settings.project_id,
    );
    rt.output("branch_name", &name);

    if pr.action == "closed" {
        return close(rt, &neon, &name).await;
    }
    let (branch, created) = find_or_create(rt, &neon, &settings, &pr, &name).await?;
    rt.output("branch_id", &branch.id);
    rt.output("created", if created { "true" } else { "false" });
    let reset = settings.reset_on_push.unwrap_or(pr.action == "synchronize");
    if !created && reset {
        if let Some(parent) = &branch.parent_id {
            rt.info(&format!("Resetting {name} to its parent's current state"));
            neon.restore_branch(&branch.id, parent, None).await?;
        }
    }
    connection_outputs(rt, &neon, &settings, &branch).await?;
    rt.info(&format!(
        "Preview branch {name} ({}) is {}",
        branch.id,
        if created { "created" } else { "ready (reused)" }
    ));
    Ok(())
}

async fn close<H: Host>(rt: &Runtime<H>, neon: &NeonClient<'_, H>, name: &str) -> Result<()> {
    match neon.find_branch_by_name(name).await? {
        Some(branch) => {
            neon.delete_branch(&branch.id).await.map_err(|e| match &e {
                Error::Http(h) if h.status() == Some(422) || h.status() == Some(409) => Error::Failed(format!(
                    "cannot delete preview branch {name}: {e}. Delete or re-parent its child branches first"
                )),
                _ => e,
            })?;
            rt.info(&format!("Deleted preview branch {name} ({})", branch.id));
        }
        None => rt.info(&format!("Preview branch {name} is already gone")),
    }
    Ok(())
}

async fn find_or_create<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    settings: &Settings,
    pr: &PullRequest,
    name: &str,
) -> Result<(Branch, bool)> {
    if let Some(existing) = neon.find_branch_by_name(name).await? {
        neon.wait_for_branch_idle(&existing.id).await?;
        return Ok((existing, false));
    }
    let parent_id = match &settings.parent {
        Some(parent) => Some(
            neon.resolve_branch(parent)
                .await?
                .ok_or_else(|| {
                    Error::input(
                        "parent",
                        format!(
                            "no branch named or with id `{parent}` in project {}",
                            settings.project_id
                        ),
                    )
                })?
                .id,
        ),
        None => None,
    };
    let mut annotations = vec![
        ("github-pr-number".to_string(), pr.number.to_string()),
        ("github-head-sha".to_string(), pr.head_sha.clone()),
        ("created-by".to_string(), "neon-gitops".to_string()),
    ];
    if let Some(repo) = rt.host.env("GITHUB_REPOSITORY") {
        annotations.push(("github-repo".to_string(), repo));
    }
    let new = NewBranch {
        name: name.to_string(),
        parent_id,
        parent_lsn: settings.parent_lsn.clone(),
        parent_timestamp: settings.parent_timestamp.clone(),
        expires_at: settings
            .ttl_ms
            .map(|ttl| crate::time::rfc3339(rt.host.now_ms() + ttl as f64)),
        suspend_timeout_seconds: settings.suspend_timeout,
        annotations,
    };
    let created = neon.create_branch(&new).await?;
    Ok((created.branch, true))
}

async fn connection_outputs<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    settings: &Settings,
    branch: &Branch,
) -> Result<()> {
    let conn = branch_connection(neon, branch, &settings.role, &settings.database).await?;
    rt.secret_output("password", &conn.password);
    rt.secret_output("db_url", &conn.url);
    rt.secret_output("db_url_pooled", &conn.url_pooled);
    rt.output("db_host", &conn.host);
    rt.output("db_host_pooled", &conn.pooled_host);
    Ok(())
}
