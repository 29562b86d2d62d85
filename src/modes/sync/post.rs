//! The `post:` step (action.yml `runs.post`), which GitHub runs even after a cancel: if the
//! main step did not finish, delete the staging branch or database it left behind (found
//! through the saved state) and tell Slack which phase was interrupted.

use super::catalog::quote_ident;
use super::clients;
use super::job::{STATE_CLIENT, STATE_ID, STATE_KIND, STATE_NAME, STATE_PHASE};
use super::pg::{query, Conn};
use super::report::Report;
use super::settings::{self, Settings, Target};
use super::slack::notify_slack;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::neon::NeonClient;
use crate::runtime::Runtime;

pub async fn post<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let name = rt.host.state(STATE_NAME);
    let phase = rt.host.state(STATE_PHASE);
    // Both are cleared when the main step finishes, success or failure: nothing to do.
    if name.is_empty() && phase.is_empty() {
        return Ok(());
    }
    let s = settings::read(&rt.host)?;
    let cleaned = clean_up_after_cancel(rt, &s, &name).await;
    if !phase.is_empty() {
        if let Some(url) = &s.slack_webhook_url {
            let report = Report {
                twin: s.target.twin_name(),
                failure: Some((
                    phase.clone(),
                    format!(
                        "The job was cancelled during {phase}.{}",
                        match &cleaned {
                            Ok(()) => " Staging was removed.",
                            Err(_) => " Staging could not be removed: see the job log.",
                        }
                    ),
                )),
                ..Default::default()
            };
            notify_slack(rt, url, report.slack_payload()).await;
        }
    }
    cleaned
}

async fn clean_up_after_cancel<H: Host>(rt: &Runtime<H>, s: &Settings, name: &str) -> Result<()> {
    if name.is_empty() {
        return Ok(());
    }
    rt.info(&format!(
        "The sync did not finish: removing its staging {name}"
    ));
    match (rt.host.state(STATE_KIND).as_str(), &s.target) {
        (
            "neon",
            Target::Neon {
                api_key,
                api_host,
                project_id,
                ..
            },
        ) => {
            let neon = NeonClient::new(rt, api_host, api_key, project_id);
            // No id: the cancel came while the create was in flight; look it up by name.
            let id = rt.host.state(STATE_ID);
            let branch = if id.is_empty() {
                neon.find_branch_by_name(name).await?.map(|b| b.id)
            } else {
                Some(id)
            };
            match branch {
                Some(id) => {
                    // A branch still being created answers 423: delete_branch retries it.
                    neon.delete_branch(&id).await?;
                    rt.info(&format!("Deleted staging branch {name}"));
                }
                None => rt.info(&format!("Staging branch {name} was never created")),
            }
        }
        ("database", Target::Url(url)) => {
            let dir = rt.host.state(STATE_CLIENT);
            let client = match clients::discover(rt, &Some(dir).filter(|d| !d.is_empty())).await? {
                Some(c) => c,
                None => {
                    return Err(Error::Failed(format!(
                        "no psql to drop staging database {name} with; drop it by hand"
                    )))
                }
            };
            let maintenance = Conn::parse("the target server", "target-url", url)?
                .with_database("the target server", "postgres");
            query(
                rt,
                &client,
                &maintenance,
                &[&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(name)
                )],
            )
            .await?;
            rt.info(&format!("Dropped staging database {name}"));
        }
        _ => {}
    }
    Ok(())
}
