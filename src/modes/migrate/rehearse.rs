//! Rehearsal: a throwaway Neon branch from `rehearse-on-branch` (e.g. the Neon Twin), the
//! same pending files applied there with the same engine, then the branch deleted,
//! whatever happened. A failure there stops the run before production is touched.

use super::settings::NeonSettings;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::neon::types::{Branch, NewBranch};
use crate::neon::NeonClient;
use crate::runtime::Runtime;

/// Neon deletes the branch by itself after this long, should our delete never run
/// (runner lost mid-job).
const SAFETY_TTL_MS: f64 = 2.0 * 3_600_000.0;

pub struct Rehearsal<'a, H: Host> {
    pub neon: NeonClient<'a, H>,
    pub branch: Branch,
    pub url: String,
}

pub async fn create<'a, H: Host>(
    rt: &'a Runtime<H>,
    s: &NeonSettings,
    parent: &str,
) -> Result<Rehearsal<'a, H>> {
    let neon = NeonClient::new(rt, &s.api_host, &s.api_key, &s.project_id);
    let parent_branch = neon.resolve_branch(parent).await?.ok_or_else(|| {
        Error::input(
            "rehearse-on-branch",
            format!(
                "no branch named or with id `{parent}` in Neon project {}",
                s.project_id
            ),
        )
    })?;
    let now = rt.host.now_ms();
    let name = format!(
        "neon-gitops-rehearsal-{}-{:04x}",
        crate::time::compact_stamp(now).to_ascii_lowercase(),
        (rt.host.random() * 65535.0) as u32
    );
    let mut annotations = vec![
        ("created-by".to_string(), "neon-gitops".to_string()),
        ("purpose".to_string(), "migrate-rehearsal".to_string()),
    ];
    if let Some(sha) = rt.host.env("GITHUB_SHA") {
        annotations.push(("github-sha".into(), sha));
    }
    rt.info(&format!(
        "Rehearsal: creating branch {name} from {} ({})",
        parent_branch.name, parent_branch.id
    ));
    let created = neon
        .create_branch(&NewBranch {
            name,
            parent_id: Some(parent_branch.id.clone()),
            parent_lsn: None,
            parent_timestamp: None,
            expires_at: Some(crate::time::rfc3339(now + SAFETY_TTL_MS)),
            suspend_timeout_seconds: None,
            annotations,
        })
        .await?;
    let branch = created.branch;
    let connect = crate::neon::connect::branch_connection(&neon, &branch, None, &None, &None);
    match connect.await {
        Ok(c) => {
            rt.secret_url(&c.url);
            Ok(Rehearsal {
                url: c.url,
                neon,
                branch,
            })
        }
        Err(e) => {
            delete(
                rt,
                &Rehearsal {
                    neon,
                    branch,
                    url: String::new(),
                },
            )
            .await;
            Err(e)
        }
    }
}

/// Delete the rehearsal branch; a failure here is a warning (the branch expires anyway).
pub async fn delete<H: Host>(rt: &Runtime<H>, r: &Rehearsal<'_, H>) {
    match r.neon.delete_branch(&r.branch.id).await {
        Ok(_) => rt.info(&format!("Rehearsal: deleted branch {} ({})", r.branch.name, r.branch.id)),
        Err(e) => rt.warning(&format!(
            "Rehearsal: could not delete branch {} ({}): {e}. Neon deletes it at its expiry time; delete it in the console to free it sooner",
            r.branch.name, r.branch.id
        )),
    }
}
