//! Resetting dev branches onto their parent's latest state: one (`reset`) or every branch
//! a pattern matches (`refresh`, and mode: sync's `refresh-dev-branches` after a swap).
//!
//! The parent is found by *name* on every reset: after a twin sync the branches hang below
//! the twin's backup, and a reset onto the branch they hang below would bring back
//! yesterday's data (and keep pinning the backup, which Neon cannot delete while it has
//! children). A reset from the named twin makes the twin their parent again.

use super::branches::{span, DevBranch, Listing};
use super::settings::RefreshOptions;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::neon::types::children;
use crate::neon::NeonClient;
use crate::runtime::Runtime;

/// What happened to one branch.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Reset { parent: String },
    Skipped { reason: String },
}

/// Reset one dev branch from its parent (by name). A branch with children is skipped with
/// a warning: Neon would move them to a backup, and they would silently stop following.
pub async fn reset_one<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    listing: &Listing,
    dev: &DevBranch,
) -> Result<Outcome> {
    let name = &dev.branch.name;
    let kids: Vec<String> = children(&listing.all, &dev.branch.id)
        .map(|b| b.name.clone())
        .collect();
    if !kids.is_empty() {
        let reason = format!(
            "branches hang below it ({}); a reset would move them to a backup, so it is left as it is",
            kids.join(", ")
        );
        rt.warning(&format!("{name} is not reset: {reason}"));
        return Ok(Outcome::Skipped { reason });
    }
    let Some(parent_name) = dev.parent_name(&listing.all) else {
        let reason = "it has no parent branch to reset from".to_string();
        rt.warning(&format!("{name} is not reset: {reason}"));
        return Ok(Outcome::Skipped { reason });
    };
    let Some(parent) = listing.all.iter().find(|b| b.name == parent_name) else {
        let reason = format!("its parent `{parent_name}` no longer exists");
        rt.warning(&format!("{name} is not reset: {reason}"));
        return Ok(Outcome::Skipped { reason });
    };
    rt.info(&format!(
        "Resetting {name} to the latest state of {}",
        parent.name
    ));
    neon.restore_branch(&dev.branch.id, &parent.id, None)
        .await
        .map_err(|e| Error::Failed(format!("resetting {name} from {}: {e}", parent.name)))?;
    Ok(Outcome::Reset {
        parent: parent.name.clone(),
    })
}

/// Reset every branch `opts.pattern` matches, except those someone used within
/// `skip-active` (unless `force`). One branch's failure is reported and the others still
/// go; the error at the end names them all.
pub async fn refresh_all<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    opts: &RefreshOptions,
) -> Result<Vec<(String, Outcome)>> {
    let listing = super::branches::list(neon, &opts.pattern).await?;
    if listing.dev.is_empty() {
        rt.notice(&format!(
            "No branch matches `{}`: nothing to refresh",
            opts.pattern
        ));
        return Ok(Vec::new());
    }
    let now = rt.host.now_ms();
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for dev in &listing.dev {
        let name = dev.branch.name.clone();
        if !opts.force && dev.active_within(now, opts.skip_active_ms) {
            let when = match dev.last_active_ms() {
                Some(t) => format!("its compute was active {} ago", span(now - t)),
                None => "its compute is running".to_string(),
            };
            let reason = format!(
                "{when} (within `skip-active: {}`); `force: true` resets it anyway",
                span(opts.skip_active_ms as f64)
            );
            rt.notice(&format!("{name} is not refreshed: {reason}"));
            rows.push((name, Outcome::Skipped { reason }));
            continue;
        }
        match reset_one(rt, neon, &listing, dev).await {
            Ok(o) => rows.push((name, o)),
            Err(e) => {
                let said = rt.scrub(&e.to_string());
                rt.warning(&said);
                failed.push(name.clone());
                rows.push((name, Outcome::Skipped { reason: said }));
            }
        }
    }
    if !failed.is_empty() {
        rt.summary(&render(&rows));
        return Err(Error::Failed(format!(
            "could not refresh {}; the other branches were refreshed (see the summary)",
            failed.join(", ")
        )));
    }
    Ok(rows)
}

/// The job summary's table of a refresh.
pub fn render(rows: &[(String, Outcome)]) -> String {
    let mut md = String::from("### Dev branches refreshed\n\n| Branch | Result |\n|---|---|\n");
    for (name, outcome) in rows {
        let result = match outcome {
            Outcome::Reset { parent } => format!("reset to the latest state of `{parent}`"),
            Outcome::Skipped { reason } => format!("skipped: {}", reason.replace('|', "\\|")),
        };
        md.push_str(&format!("| `{name}` | {result} |\n"));
    }
    md.push('\n');
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_what_happened() {
        let md = render(&[
            (
                "dev/alice".into(),
                Outcome::Reset {
                    parent: "twin".into(),
                },
            ),
            (
                "dev/carol".into(),
                Outcome::Skipped {
                    reason: "active | now".into(),
                },
            ),
        ]);
        assert!(md.contains("| `dev/alice` | reset to the latest state of `twin` |"));
        assert!(md.contains("skipped: active \\| now"));
    }
}
