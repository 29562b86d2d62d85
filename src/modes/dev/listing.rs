//! `list` (a summary table of the dev branches) and `prune` (delete the idle ones).

use super::branches::{self, span, DevBranch, Listing};
use super::settings::Settings;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::neon::types::children;
use crate::neon::NeonClient;
use crate::runtime::Runtime;
use crate::time::parse_rfc3339;

/// Does it hold its parent's current state? It hangs below the parent it follows (by
/// name: after a sync that is the twin, not the backup it was moved to), and was made or
/// reset after the parent's own last reset (a sync's swap is a reset of the twin).
pub fn follows(dev: &DevBranch, listing: &Listing) -> bool {
    let Some(name) = dev.parent_name(&listing.all) else {
        return false;
    };
    let Some(parent) = listing.all.iter().find(|b| b.name == name) else {
        return false;
    };
    if dev.branch.parent_id.as_deref() != Some(parent.id.as_str()) {
        return false;
    }
    let since = |b: &crate::neon::types::Branch| {
        b.last_reset_at
            .as_deref()
            .and_then(parse_rfc3339)
            .or_else(|| parse_rfc3339(&b.created_at))
    };
    match (
        since(&dev.branch),
        parent.last_reset_at.as_deref().and_then(parse_rfc3339),
    ) {
        (Some(mine), Some(theirs)) => mine >= theirs,
        _ => true,
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn size(bytes: Option<u64>) -> String {
    match bytes {
        None => "—".into(),
        Some(b) if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        Some(b) if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        Some(b) => format!("{} KiB", b / 1024),
    }
}

pub async fn list<H: Host>(rt: &Runtime<H>, neon: &NeonClient<'_, H>, s: &Settings) -> Result<()> {
    let listing = branches::list(neon, &s.refresh.pattern).await?;
    let now = rt.host.now_ms();
    let mut md = format!("### Dev branches (`{}`)\n\n", cell(&s.refresh.pattern));
    if listing.dev.is_empty() {
        md.push_str("No branch matches this pattern.\n");
        rt.notice(&format!("No branch matches `{}`", s.refresh.pattern));
        rt.summary(&md);
        rt.output("branches", "[]");
        return Ok(());
    }
    md.push_str("| Engineer | Branch | Parent | Created | Last active | Compute | Size | Follows parent |\n|---|---|---|---|---|---|---|---|\n");
    let mut json = Vec::new();
    for dev in &listing.dev {
        let parent = dev.parent_name(&listing.all).unwrap_or_else(|| "—".into());
        let last = dev
            .last_active_ms()
            .map(|t| format!("{} ago", span(now - t)))
            .unwrap_or_else(|| "never".into());
        let state = dev
            .endpoint
            .as_ref()
            .map(|e| e.current_state.clone())
            .unwrap_or_else(|| "no compute".into());
        let follows = follows(dev, &listing);
        md.push_str(&format!(
            "| {} | `{}` | `{}` | {} | {} | {} | {} | {} |\n",
            cell(&dev.engineer()),
            dev.branch.name,
            cell(&parent),
            dev.branch.created_at.get(..10).unwrap_or(""),
            last,
            cell(&state),
            size(dev.branch.logical_size),
            if follows { "yes" } else { "no: reset it" }
        ));
        json.push(serde_json::json!({
            "branch": dev.branch.name, "engineer": dev.engineer(), "parent": parent,
            "follows": follows, "compute": state,
        }));
    }
    rt.summary(&md);
    rt.output("branches", &serde_json::Value::Array(json).to_string());
    rt.info(&format!(
        "{} dev branch(es) listed in the job summary",
        listing.dev.len()
    ));
    Ok(())
}

pub async fn prune<H: Host>(rt: &Runtime<H>, neon: &NeonClient<'_, H>, s: &Settings) -> Result<()> {
    let idle_for = s.idle_for_ms.expect("prune requires idle-for (settings)");
    let listing = branches::list(neon, &s.refresh.pattern).await?;
    if listing.dev.is_empty() {
        rt.notice(&format!(
            "No branch matches `{}`: nothing to prune",
            s.refresh.pattern
        ));
        return Ok(());
    }
    // Roster members keep their branch however long they are away.
    let roster: Vec<String> = s
        .roster
        .iter()
        .filter_map(|m| super::naming::engineer_slug(m).ok())
        .collect();
    let now = rt.host.now_ms();
    let mut md = format!(
        "### Dev branches pruned (idle for {} or more)\n\n| Branch | Result |\n|---|---|\n",
        span(idle_for as f64)
    );
    let mut deleted = Vec::new();
    let mut failed = Vec::new();
    for dev in &listing.dev {
        let name = &dev.branch.name;
        let member = roster.iter().any(|r| {
            *r == dev.engineer()
                || super::naming::branch_name(&s.template, r).ok().as_deref() == Some(name)
        });
        let idle = dev.idle_since_ms().map(|t| now - t);
        let result = if member {
            "kept: on the roster".to_string()
        } else if dev.active_within(now, idle_for) || idle.is_none_or(|i| i < idle_for as f64) {
            format!(
                "kept: used {} ago",
                idle.map(span).unwrap_or_else(|| "recently".into())
            )
        } else if children(&listing.all, &dev.branch.id).next().is_some() {
            let r = "kept: branches hang below it".to_string();
            rt.warning(&format!(
                "{name} is idle but not deleted: branches hang below it"
            ));
            r
        } else {
            match neon.delete_branch(&dev.branch.id).await {
                Ok(_) => {
                    let r = format!("deleted: idle for {}", span(idle.unwrap_or_default()));
                    rt.info(&format!(
                        "Deleted {name}: idle for {}",
                        span(idle.unwrap_or_default())
                    ));
                    deleted.push(name.clone());
                    r
                }
                Err(e) => {
                    let said = rt.scrub(&e.to_string());
                    rt.warning(&format!("Could not delete {name}: {said}"));
                    failed.push(name.clone());
                    format!("not deleted: {said}")
                }
            }
        };
        md.push_str(&format!("| `{name}` | {} |\n", cell(&result)));
    }
    rt.summary(&md);
    rt.output("deleted", &deleted.join(","));
    if !failed.is_empty() {
        return Err(Error::Failed(format!(
            "could not delete {}",
            failed.join(", ")
        )));
    }
    Ok(())
}
