//! Phase 6, swap: staging becomes the twin in one step, so users never see a half-copied
//! twin; then tidying up. Why it is done this way, with Neon's rules cited, is in
//! docs/sync.md ("The swap on Neon").
//!
//! Neon: staging's safety-net expiry is cleared (a branch that gets a child may not
//! expire, and the restore may make it the twin's parent), then the twin is restored from
//! it: the twin keeps its id, endpoint and connection string. Without children below the
//! twin the restore preserves nothing, so no backup branch is chained below the twin;
//! with children Neon requires `preserve_under_name` and moves them to that branch. The
//! verified staging branches of earlier syncs (`<twin>_sync_<stamp>`, no expiry) are the
//! backups: `keep-backups` of them stay, older ones are deleted when nothing hangs below
//! them, and the summary names what Neon's rules keep.
//!
//! Plain Postgres: staging is a database on the target's server, renamed into place in one
//! transaction (`ALTER DATABASE twin RENAME TO twin_old_<stamp>; ALTER DATABASE staging
//! RENAME TO twin`).

use super::super::catalog::{quote_ident, quote_literal};
use super::super::clients::Client;
use super::super::job::{Job, Staging, STATE_ID, STATE_NAME};
use super::super::pg::{query, Conn};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::http::HttpError;
use crate::neon::twin::our_stamp;
use crate::neon::types::{children, Branch};
use crate::neon::NeonClient;
use crate::runtime::Runtime;

impl<H: Host> Job<'_, H> {
    pub async fn swap(&mut self, twin: Option<&Branch>) -> Result<()> {
        let rt = self.rt;
        let now = rt.host.now_ms();
        match self.staging.as_ref().expect("staging exists") {
            Staging::Neon { branch } => {
                let neon = self.neon.as_ref().expect("neon client");
                let twin = twin.expect("twin");
                let backup = backup_name(&twin.name, now);
                let outcome = neon_swap(rt, neon, twin, branch, &backup).await?;
                // From here on the twin is refreshed: nothing may undo it.
                self.swapped = true;
                // What Neon made the twin's parent is read back, not assumed (it differs
                // between a restore with and without a backup): it is said, and pruning
                // then goes by the children each branch really has.
                if let Ok(now_twin) = neon.get_branch(&twin.id).await {
                    let parent = match now_twin.parent_id.as_deref() {
                        Some(id) if id == branch.id => format!("this sync's copy {}", branch.name),
                        Some(id) => neon
                            .get_branch(id)
                            .await
                            .map(|p| p.name)
                            .unwrap_or_else(|_| id.to_string()),
                        None => "none (a root branch)".to_string(),
                    };
                    rt.info(&format!("Twin {}: parent is now {parent}", twin.name));
                }
                // Before tidying: the dev branches Neon moved to the backup hang below the
                // twin again once reset, so pruning sees the backup as it really is.
                if let Some(opts) = &self.s.refresh_dev_branches {
                    match crate::modes::dev::refresh::refresh_all(rt, neon, opts).await {
                        Ok(rows) if !rows.is_empty() => {
                            rt.summary(&crate::modes::dev::refresh::render(&rows))
                        }
                        Ok(_) => {}
                        Err(e) => rt.warning(&format!(
                            "The twin is refreshed, but refreshing the dev branches failed: {}",
                            rt.scrub(&e.to_string())
                        )),
                    }
                }
                let tidy = neon_tidy(rt, neon, twin, branch, &outcome, self.s.keep_backups).await;
                match (&outcome.preserved, &tidy.previous) {
                    (Some(b), _) => rt.info(&format!(
                        "Twin {} now holds the new copy; its previous state is branch {b}",
                        twin.name
                    )),
                    (None, Some(p)) => rt.info(&format!(
                        "Twin {} now holds the new copy; the previous sync's copy is branch {p}",
                        twin.name
                    )),
                    (None, None) => rt.info(&format!("Twin {} now holds the new copy", twin.name)),
                }
                self.report.backup = outcome.preserved.clone().or(tidy.previous);
                self.report.notes.extend(tidy.notes);
            }
            Staging::Database { maintenance, name } => {
                let twin_db = self.report.twin.clone();
                // Two syncs within one second would name the same backup: take the next
                // free second (the name keeps the exact stamp pattern pruning relies on).
                let existing = query(
                    rt,
                    self.client(),
                    maintenance,
                    &["SELECT datname FROM pg_catalog.pg_database"],
                )
                .await?;
                let taken: Vec<&str> = existing.lines().map(str::trim).collect();
                let mut at = now;
                let mut backup = backup_name(&twin_db, at);
                while taken.contains(&backup.as_str()) {
                    at += 1000.0;
                    backup = backup_name(&twin_db, at);
                }
                database_swap(rt, self.client(), maintenance, &twin_db, name, &backup).await?;
                self.swapped = true;
                self.report.backup = Some(backup);
                let notes = database_prune(
                    rt,
                    self.client(),
                    maintenance,
                    &twin_db,
                    self.s.keep_backups,
                )
                .await;
                self.report.notes.extend(notes);
            }
        }
        // Staging is the twin (or its parent) now: the post step must not delete it.
        rt.host.save_state(STATE_NAME, "");
        rt.host.save_state(STATE_ID, "");
        Ok(())
    }
}

pub fn backup_name(twin: &str, now_ms: f64) -> String {
    format!("{twin}_old_{}", crate::time::compact_stamp(now_ms))
}

/// Backups (by name) beyond the newest `keep`, oldest first: those to delete.
pub fn backups_to_delete<'a>(names: &[&'a str], twin: &str, keep: usize) -> Vec<&'a str> {
    let mut backups: Vec<(&str, &str)> = names
        .iter()
        .filter_map(|n| our_stamp(n, twin).map(|s| (s, *n)))
        .collect();
    // Newest first by stamp; the same stamp orders `_sync_` (the copy) before `_old_`.
    backups.sort_by(|a, b| b.cmp(a));
    let mut doomed: Vec<&str> = backups.into_iter().skip(keep).map(|(_, n)| n).collect();
    doomed.reverse();
    doomed
}

/// What the restore did.
pub struct SwapOutcome {
    /// The backup branch Neon made (only when the twin had children).
    pub preserved: Option<String>,
    /// Branches that hung below the twin and now hang below `preserved`.
    pub moved_children: Vec<String>,
}

/// Restore the twin from staging. A lost response is resolved by looking at what the
/// restore leaves behind, once the twin has no operation running: the backup branch when
/// one was asked for, else the twin's `last_reset_at` having moved (spec: "when the branch
/// was last reset"; what becomes its parent is not documented, so it is not relied on).
/// Present means it happened; absent means it did not, and it is sent again, once.
pub async fn neon_swap<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    twin: &Branch,
    staging: &Branch,
    backup: &str,
) -> Result<SwapOutcome> {
    // A branch that may get a child may not expire (Neon: "Cannot expire branches that have
    // children or create children from expiring branches"): staging loses its safety net
    // now, and the answer is checked, not assumed.
    let cleared = neon
        .update_branch(&staging.id, serde_json::json!({ "expires_at": null }))
        .await?;
    if cleared.expires_at.is_some() {
        return Err(Error::Failed(format!(
            "Neon kept the expiry of staging branch {} after it was cleared; the twin is unchanged, re-run the job",
            staging.name
        )));
    }
    let branches = neon.list_branches(None).await?;
    let children: Vec<String> = children(&branches, &twin.id)
        .map(|b| b.name.clone())
        .collect();
    let reset_before = branches
        .iter()
        .find(|b| b.id == twin.id)
        .and_then(|b| b.last_reset_at.clone());
    // Neon requires a backup when the twin has children, and moves them into it.
    let preserve = (!children.is_empty()).then_some(backup);
    for attempt in 1..=2 {
        match neon.restore_branch(&twin.id, &staging.id, preserve).await {
            Ok(_) => {
                return Ok(SwapOutcome {
                    preserved: preserve.map(String::from),
                    moved_children: children,
                })
            }
            Err(Error::Http(HttpError::Uncertain { cause, .. })) => {
                rt.info(&format!("Neon API: the answer to the restore was lost ({cause}); checking whether it happened"));
                neon.wait_for_branch_idle(&twin.id).await?;
                let happened = match preserve {
                    Some(name) => match neon.find_branch_by_name(name).await? {
                        Some(preserved) => {
                            neon.wait_for_branch_idle(&preserved.id).await?;
                            true
                        }
                        None => false,
                    },
                    None => neon.get_branch(&twin.id).await?.last_reset_at != reset_before,
                };
                if happened {
                    return Ok(SwapOutcome {
                        preserved: preserve.map(String::from),
                        moved_children: children,
                    });
                }
                if attempt == 2 {
                    return Err(Error::Failed(format!(
                        "restoring branch {} from staging got no answer twice and did not happen; the twin is unchanged, re-run the job",
                        twin.name
                    )));
                }
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// What tidying found.
pub struct Tidy {
    /// The newest earlier sync's copy that is kept: the twin's previous synced state.
    pub previous: Option<String>,
    pub notes: Vec<String>,
}

/// After a successful swap: keep the newest `keep` backups, delete older ones (and stale
/// staging branches of failed runs) when nothing hangs below them, and say in the summary
/// which ones Neon's rules keep and why. Never fails the sync: the twin is refreshed.
pub async fn neon_tidy<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    twin: &Branch,
    staging: &Branch,
    outcome: &SwapOutcome,
    keep: usize,
) -> Tidy {
    let mut tidy = Tidy {
        previous: None,
        notes: Vec::new(),
    };
    if let Some(backup) = &outcome.preserved {
        tidy.notes.push(format!(
            "The twin had branches below it ({}): Neon moves them to the backup `{backup}` on restore, so they keep the data of before this sync until they are reset (preview branches follow the twin again at their next push).",
            outcome.moved_children.join(", ")
        ));
    }
    // One listing: ours are found in it by name, and every branch's children too.
    let all = match neon.list_branches(None).await {
        Ok(b) => b,
        Err(e) => {
            tidy.notes.push(format!(
                "Could not list branches to prune backups: {}",
                rt.scrub(&e.to_string())
            ));
            return tidy;
        }
    };
    // Ours: this twin's copies and backups, by exact name; this run's staging is the
    // twin's source and stays. A staging that still has its expiry is a failed run's,
    // never verified: never a backup.
    let ours: Vec<&Branch> = all
        .iter()
        .filter(|b| b.id != staging.id && our_stamp(&b.name, &twin.name).is_some())
        .collect();
    let (stale, backups): (Vec<&Branch>, Vec<&Branch>) =
        ours.into_iter().partition(|b| b.expires_at.is_some());
    let names: Vec<&str> = backups.iter().map(|b| b.name.as_str()).collect();
    let doomed = backups_to_delete(&names, &twin.name, keep);
    tidy.previous = names
        .iter()
        .filter(|n| !doomed.contains(n) && n.contains("_sync_"))
        .max_by_key(|n| our_stamp(n, &twin.name))
        .map(|n| n.to_string());
    let doomed: Vec<&Branch> = stale
        .into_iter()
        .chain(
            backups
                .into_iter()
                .filter(|b| doomed.contains(&b.name.as_str())),
        )
        .collect();
    for branch in doomed {
        let children: Vec<String> = children(&all, &branch.id).map(|b| b.name.clone()).collect();
        if !children.is_empty() {
            let note = format!(
                "Kept `{}` beyond `keep-backups`: branches hang below it ({}), and Neon cannot delete a branch that has children. It is deleted by a later sync once they are gone or reset.",
                branch.name,
                children.join(", ")
            );
            rt.warning(&note);
            tidy.notes.push(note);
            continue;
        }
        match neon.delete_branch(&branch.id).await {
            Ok(_) => rt.info(&format!("Deleted {}", branch.name)),
            Err(e) => tidy.notes.push(format!(
                "Could not delete `{}`: {}",
                branch.name,
                rt.scrub(&e.to_string())
            )),
        }
    }
    tidy
}

/// Plain Postgres: rename staging into place, keeping the old database as the backup.
pub async fn database_swap<H: Host>(
    rt: &Runtime<H>,
    client: &Client,
    maintenance: &Conn,
    twin_db: &str,
    staging_db: &str,
    backup: &str,
) -> Result<()> {
    let kick = format!(
        "SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_catalog.pg_stat_activity WHERE datname IN ({}, {}) AND pid <> pg_catalog.pg_backend_pid()",
        quote_literal(twin_db),
        quote_literal(staging_db)
    );
    let rename_old = format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(twin_db),
        quote_ident(backup)
    );
    let rename_new = format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(staging_db),
        quote_ident(twin_db)
    );
    let mut last = None;
    // Sessions reconnecting between the kick and the rename make it fail: try a few times.
    for attempt in 1..=5u64 {
        match query(
            rt,
            client,
            maintenance,
            &[&kick, "BEGIN", &rename_old, &rename_new, "COMMIT"],
        )
        .await
        {
            Ok(_) => return Ok(()),
            Err(e) => {
                last = Some(e);
                rt.host.sleep(500 * attempt).await;
            }
        }
    }
    Err(last.expect("at least one attempt"))
}

/// Plain Postgres: drop backup databases beyond `keep`.
pub async fn database_prune<H: Host>(
    rt: &Runtime<H>,
    client: &Client,
    maintenance: &Conn,
    twin_db: &str,
    keep: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    let list = match query(
        rt,
        client,
        maintenance,
        &["SELECT datname FROM pg_catalog.pg_database"],
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return vec![e.to_string()],
    };
    // Backups are the renamed databases; `_sync_` ones are stale stagings of failed runs.
    let names: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|n| n.contains("_old_"))
        .collect();
    for name in backups_to_delete(&names, twin_db, keep) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
        match query(rt, client, maintenance, &[&drop]).await {
            Ok(_) => rt.info(&format!("Dropped old backup database {name}")),
            Err(e) => notes.push(format!("Could not drop `{name}`: {e}")),
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::super::staging::staging_name;
    use super::*;

    #[test]
    fn prunes_oldest_backups_beyond_keep() {
        let names = [
            "twin",
            "twin_old_20260103T000000Z",
            "twin_sync_20260101T000000Z",
            "twin_sync_20260102T000000Z",
            "twin-other_old_20260101T000000Z",
            "twin_old_notes",
            "twin_sync_2026",
            "main",
        ];
        assert_eq!(
            backups_to_delete(&names, "twin", 1),
            vec!["twin_sync_20260101T000000Z", "twin_sync_20260102T000000Z"]
        );
        assert_eq!(backups_to_delete(&names, "twin", 5), Vec::<&str>::new());
        assert_eq!(backups_to_delete(&names, "twin", 0).len(), 3);
    }

    #[test]
    fn names() {
        assert_eq!(
            backup_name("twin", 784_111_777_000.0),
            "twin_old_19941106T084937Z"
        );
        assert_eq!(
            staging_name("twin", 784_111_777_000.0),
            "twin_sync_19941106T084937Z"
        );
    }
}
