//! Phase 6, swap: staging becomes the twin in one step, so users never see a half-copied
//! twin, and the previous state stays as a backup; then tidying up.
//!
//! Neon: `restore` the twin branch from the verified staging branch (copy-on-write, instant;
//! the twin keeps its id, endpoint and connection string) with `preserve_under_name`, so
//! the previous state stays as `<twin>_old_<stamp>`. Backups beyond `keep-backups` are
//! deleted, oldest first. Staging is then deleted; when Neon keeps it as the twin's parent
//! (a branch with children cannot be deleted) it stays, without expiry, and is deleted by
//! a later run once nothing depends on it.
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
use crate::neon::types::Branch;
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
                neon_swap(rt, neon, twin, branch, &backup).await?;
                // From here on the twin is refreshed: nothing may undo it.
                self.swapped = true;
                rt.info(&format!(
                    "Twin {} now holds the new copy; its previous state is branch {backup}",
                    twin.name
                ));
                self.report.backup = Some(backup);
                let notes = neon_tidy(rt, neon, &twin.name, branch, self.s.keep_backups).await;
                self.report.notes.extend(notes);
            }
            Staging::Database { maintenance, name } => {
                let twin_db = self.report.twin.clone();
                let backup = backup_name(&twin_db, now);
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

/// Backups (`<twin>_old_…`, ours and Neon's own) beyond the newest `keep`, oldest last.
pub fn backups_to_delete<'a>(names: &[&'a str], twin: &str, keep: usize) -> Vec<&'a str> {
    let prefix = format!("{twin}_old_");
    let mut backups: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with(&prefix))
        .collect();
    // The stamp sorts chronologically; newest first.
    backups.sort_by(|a, b| b.cmp(a));
    backups.into_iter().skip(keep).collect()
}

/// Staging branches of earlier runs (`<twin>_sync_…`), other than `current`.
pub fn stale_staging<'a>(names: &[&'a str], twin: &str, current: &str) -> Vec<&'a str> {
    let prefix = format!("{twin}_sync_");
    names
        .iter()
        .copied()
        .filter(|n| n.starts_with(&prefix) && *n != current)
        .collect()
}

/// Restore the twin from staging. A lost response is resolved by looking for the backup
/// branch the restore creates, once the twin has no operation running (a restore whose
/// answer was lost may still be in progress): present means the restore happened; absent
/// means it did not, and it is sent again, once, knowing it cannot apply twice.
pub async fn neon_swap<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    twin: &Branch,
    staging: &Branch,
    backup: &str,
) -> Result<()> {
    for attempt in 1..=2 {
        match neon
            .restore_branch(&twin.id, &staging.id, Some(backup))
            .await
        {
            Ok(_) => return Ok(()),
            Err(Error::Http(HttpError::Uncertain { cause, .. })) => {
                rt.info(&format!("Neon API: the answer to the restore was lost ({cause}); checking whether it happened"));
                neon.wait_for_branch_idle(&twin.id).await?;
                if let Some(preserved) = neon.find_branch_by_name(backup).await? {
                    neon.wait_for_branch_idle(&preserved.id).await?;
                    return Ok(());
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

fn has_children(e: &Error) -> bool {
    matches!(e, Error::Http(h) if matches!(h.status(), Some(409) | Some(422)))
}

/// After a successful swap: delete staging (or keep it as the twin's parent), prune old
/// backups, delete earlier runs' staging branches nothing depends on any more. Never fails
/// the sync: the twin is already refreshed. Returns notes for the summary.
pub async fn neon_tidy<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    twin_name: &str,
    staging: &Branch,
    keep: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    match neon.delete_branch(&staging.id).await {
        Ok(_) => rt.info(&format!("Deleted staging branch {}", staging.name)),
        Err(e) if has_children(&e) => {
            let _ = neon
                .update_branch(&staging.id, serde_json::json!({ "expires_at": null }))
                .await;
            notes.push(format!(
                "Staging branch `{}` is now the twin's parent in Neon, which cannot delete a branch with children; it is kept and a later run deletes it once nothing depends on it.",
                staging.name
            ));
        }
        Err(e) => notes.push(format!(
            "Could not delete staging branch `{}`: {}",
            staging.name,
            rt.scrub(&e.to_string())
        )),
    }
    let branches = match neon.list_branches(Some(twin_name)).await {
        Ok(b) => b,
        Err(e) => {
            notes.push(format!(
                "Could not list branches to prune backups: {}",
                rt.scrub(&e.to_string())
            ));
            return notes;
        }
    };
    let names: Vec<&str> = branches.iter().map(|b| b.name.as_str()).collect();
    let doomed: Vec<String> = backups_to_delete(&names, twin_name, keep)
        .into_iter()
        .map(String::from)
        .chain(
            stale_staging(&names, twin_name, &staging.name)
                .into_iter()
                .map(String::from),
        )
        .collect();
    for name in doomed {
        let Some(branch) = branches.iter().find(|b| b.name == name) else {
            continue;
        };
        match neon.delete_branch(&branch.id).await {
            Ok(_) => rt.info(&format!("Deleted {name}")),
            Err(e) if has_children(&e) => {
                rt.info(&format!("Kept {name}: other branches depend on it"))
            }
            Err(e) => notes.push(format!(
                "Could not delete `{name}`: {}",
                rt.scrub(&e.to_string())
            )),
        }
    }
    notes
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
    let names: Vec<&str> = list.lines().map(str::trim).collect();
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
            "twin_old_20260101T000000Z",
            "twin_old_20260102T000000Z",
            "twin-other_old_20260101T000000Z",
            "main",
        ];
        assert_eq!(
            backups_to_delete(&names, "twin", 1),
            vec!["twin_old_20260102T000000Z", "twin_old_20260101T000000Z"]
        );
        assert_eq!(backups_to_delete(&names, "twin", 5), Vec::<&str>::new());
        assert_eq!(backups_to_delete(&names, "twin", 0).len(), 3);
    }

    #[test]
    fn names_and_stale_staging() {
        assert_eq!(
            backup_name("twin", 784_111_777_000.0),
            "twin_old_19941106T084937Z"
        );
        assert_eq!(
            staging_name("twin", 784_111_777_000.0),
            "twin_sync_19941106T084937Z"
        );
        let names = ["twin_sync_1", "twin_sync_2", "twin"];
        assert_eq!(
            stale_staging(&names, "twin", "twin_sync_2"),
            vec!["twin_sync_1"]
        );
    }
}
