//! mode: dev — a Neon branch per engineer (`dev/<engineer>`), created on demand, reset
//! onto its parent (the twin) after every sync, and pruned when idle: the GitOps guide's
//! neonctl routine (`branches create/reset/delete`) as one workflow.
//!
//! - `settings` the inputs, validated before any network call
//! - `naming`   engineer → one inert branch-name segment
//! - `branches` dev branches as found on Neon (owner, parent by name, activity)
//! - `refresh`  reset one or all, by the parent's name (shared with mode: sync)
//! - `listing`  `list` and `prune`

pub mod branches;
pub mod listing;
pub mod naming;
pub mod refresh;
pub mod settings;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::neon::types::{children, NewBranch};
use crate::neon::NeonClient;
use crate::runtime::Runtime;
use settings::{Command, Settings};

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let s = settings::read(&rt.host)?;
    let neon = NeonClient::new(rt, &s.api_host, &s.api_key, &s.project_id);
    match s.command {
        Command::Create => create(rt, &neon, &s).await,
        Command::Reset => reset(rt, &neon, &s).await,
        Command::Delete => delete(rt, &neon, &s).await,
        Command::List => listing::list(rt, &neon, &s).await,
        Command::Refresh => {
            let rows = refresh::refresh_all(rt, &neon, &s.refresh).await?;
            if !rows.is_empty() {
                rt.summary(&refresh::render(&rows));
            }
            Ok(())
        }
        Command::Prune => listing::prune(rt, &neon, &s).await,
    }
}

/// The one engineer a command is for: `engineer`, else the workflow's actor.
fn engineer(s: &Settings) -> Result<String> {
    let raw = s
        .engineer
        .clone()
        .or_else(|| s.actor.clone())
        .ok_or_else(|| {
            Error::input(
                "engineer",
                "is required: this run has no actor (GITHUB_ACTOR) to name the branch after",
            )
        })?;
    naming::engineer_slug(&raw)
}

fn console_url(s: &Settings, branch_id: &str) -> String {
    format!(
        "https://console.neon.tech/app/projects/{}/branches/{branch_id}",
        s.project_id
    )
}

/// How the engineer gets the connection string themselves: never the password here.
fn hint(s: &Settings, name: &str, branch_id: &str) -> String {
    format!(
        "Connection string: `neonctl connection-string {name} --project-id {}` (or the Neon console: {})",
        s.project_id,
        console_url(s, branch_id)
    )
}

async fn create<H: Host>(rt: &Runtime<H>, neon: &NeonClient<'_, H>, s: &Settings) -> Result<()> {
    // Without an engineer, a roster says whose branches should exist.
    if s.engineer.is_none() && !s.roster.is_empty() {
        let mut md = String::from("### Dev branches\n\n| Engineer | Branch | |\n|---|---|---|\n");
        for member in &s.roster {
            let slug = naming::engineer_slug(member)?;
            let name = naming::branch_name(&s.template, &slug)?;
            let (branch, created) = find_or_create(rt, neon, s, &slug, &name).await?;
            md.push_str(&format!(
                "| {slug} | [`{name}`]({}) | {} |\n",
                console_url(s, &branch.id),
                if created { "created" } else { "exists" }
            ));
        }
        md.push_str(&format!(
            "\nEach engineer's connection string: `neonctl connection-string dev/<engineer> --project-id {}`\n",
            s.project_id
        ));
        rt.summary(&md);
        return Ok(());
    }
    let slug = engineer(s)?;
    let name = naming::branch_name(&s.template, &slug)?;
    let (branch, created) = find_or_create(rt, neon, s, &slug, &name).await?;
    let endpoint = crate::modes::preview::lifecycle::wait_for_compute(rt, neon, &branch).await?;
    let conn = crate::neon::connect::branch_connection(
        neon,
        &branch,
        Some(&endpoint),
        &s.role,
        &s.database,
    )
    .await?;
    // Masked before they are written: later steps of the job may use them, logs never show them.
    rt.secret_output("password", &conn.password);
    rt.secret_url(&conn.url);
    rt.secret_output("db_url", &conn.url);
    rt.output("branch_id", &branch.id);
    rt.output("branch_name", &name);
    rt.output("branch_url", &console_url(s, &branch.id));
    rt.output("db_host", &conn.host);
    rt.output("created", if created { "true" } else { "false" });
    let hint = hint(s, &name, &branch.id);
    rt.info(&hint);
    rt.summary(&format!(
        "### Dev branch `{name}`\n\n{} for {slug}.\n\n{hint}\n",
        if created { "Created" } else { "Already exists" }
    ));
    Ok(())
}

/// The branch by exact name, else created below the parent with a read_write compute.
async fn find_or_create<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    s: &Settings,
    slug: &str,
    name: &str,
) -> Result<(crate::neon::types::Branch, bool)> {
    if let Some(existing) = neon.find_branch_by_name(name).await? {
        rt.info(&format!(
            "Dev branch {name} ({}) already exists; it is not recreated",
            existing.id
        ));
        return Ok((existing, false));
    }
    let parent = parent(neon, s).await?;
    let mut annotations = vec![
        ("created-by".to_string(), "neon-gitops".to_string()),
        (branches::KIND.to_string(), "dev".to_string()),
        (branches::ENGINEER.to_string(), slug.to_string()),
        (branches::PARENT.to_string(), parent.name.clone()),
    ];
    if !s.repository.is_empty() {
        annotations.push(("github-repo".to_string(), s.repository.clone()));
    }
    let new = NewBranch {
        name: name.to_string(),
        parent_id: Some(parent.id.clone()),
        suspend_timeout_seconds: s.suspend_timeout,
        annotations,
        ..Default::default()
    };
    match neon.create_branch(&new).await {
        Ok(created) => {
            rt.info(&format!(
                "Created dev branch {name} ({}) below {}",
                created.branch.id, parent.name
            ));
            Ok((created.branch, true))
        }
        // Two dispatches at once: the other one made it.
        Err(Error::Http(e)) if e.status() == Some(409) => {
            let b = neon.find_branch_by_name(name).await?.ok_or_else(|| {
                Error::Failed(format!(
                    "Neon said {name} exists (409) but does not list it; re-run"
                ))
            })?;
            Ok((b, false))
        }
        Err(e) => Err(e),
    }
}

/// `parent` (name or id), else the twin when the project has one, else the default branch.
async fn parent<H: Host>(
    neon: &NeonClient<'_, H>,
    s: &Settings,
) -> Result<crate::neon::types::Branch> {
    if let Some(p) = &s.parent {
        return neon.resolve_branch(p).await?.ok_or_else(|| {
            Error::input(
                "parent",
                format!(
                    "no branch named or with id `{p}` in project {}",
                    s.project_id
                ),
            )
        });
    }
    let all = neon.list_branches(None).await?;
    all.iter()
        .find(|b| b.name == settings::DEFAULT_TWIN)
        .or_else(|| all.iter().find(|b| b.default))
        .cloned()
        .ok_or_else(|| Error::Failed("the project has no default branch to branch from".into()))
}

async fn reset<H: Host>(rt: &Runtime<H>, neon: &NeonClient<'_, H>, s: &Settings) -> Result<()> {
    let slug = engineer(s)?;
    let name = naming::branch_name(&s.template, &slug)?;
    // Listed by the branch's own name: `dev-branches` is for the bulk commands.
    let listing = branches::list(neon, &name).await?;
    let Some(dev) = listing.dev.iter().find(|d| d.branch.name == name) else {
        return Err(Error::Failed(format!(
            "there is no dev branch {name}: create it first (`dev-command: create`)"
        )));
    };
    rt.output("branch_id", &dev.branch.id);
    rt.output("branch_name", &name);
    let outcome = refresh::reset_one(rt, neon, &listing, dev).await?;
    rt.summary(&refresh::render(&[(name.clone(), outcome)]));
    Ok(())
}

async fn delete<H: Host>(rt: &Runtime<H>, neon: &NeonClient<'_, H>, s: &Settings) -> Result<()> {
    let slug = engineer(s)?;
    let name = naming::branch_name(&s.template, &slug)?;
    let Some(branch) = neon.find_branch_by_name(&name).await? else {
        rt.info(&format!("Dev branch {name} is already gone"));
        rt.summary(&format!(
            "Dev branch `{name}` did not exist; nothing to delete.\n"
        ));
        return Ok(());
    };
    if branch.default || branch.protected {
        return Err(Error::Failed(format!(
            "{name} is the project's default or a protected branch; dev mode does not delete it"
        )));
    }
    let all = neon.list_branches(None).await?;
    let kids: Vec<String> = children(&all, &branch.id).map(|b| b.name.clone()).collect();
    if !kids.is_empty() {
        return Err(Error::Failed(format!(
            "cannot delete {name}: branches hang below it ({}); delete or reset those first",
            kids.join(", ")
        )));
    }
    neon.delete_branch(&branch.id).await?;
    rt.output("branch_id", &branch.id);
    rt.info(&format!("Deleted dev branch {name} ({})", branch.id));
    rt.summary(&format!("Deleted dev branch `{name}`.\n"));
    Ok(())
}
