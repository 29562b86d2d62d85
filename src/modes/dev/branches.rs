//! Dev branches as found on Neon: the branch, its annotations and its compute, and the
//! facts the commands decide by (who it belongs to, which parent it follows by name, when
//! its compute was last used).

use crate::error::Result;
use crate::host::Host;
use crate::neon::twin::our_stamp;
use crate::neon::types::{Branch, Endpoint};
use crate::neon::NeonClient;
use crate::sql::glob::Glob;
use std::collections::BTreeMap;

/// Annotations a dev branch is created with (shown in the console, read back by `list`,
/// `refresh` and `prune`).
pub const ENGINEER: &str = "neon-gitops-engineer";
pub const PARENT: &str = "neon-gitops-parent";
pub const KIND: &str = "neon-gitops-kind";

#[derive(Debug, Clone)]
pub struct DevBranch {
    pub branch: Branch,
    pub annotations: BTreeMap<String, String>,
    /// Its read_write compute, if it has one.
    pub endpoint: Option<Endpoint>,
}

/// The whole project as dev mode sees it: every branch (to resolve parents and find
/// children) and the dev branches among them.
pub struct Listing {
    pub all: Vec<Branch>,
    pub dev: Vec<DevBranch>,
}

impl DevBranch {
    /// Whose branch it is: the annotation, else the name's last segment (branches made by
    /// hand with `neonctl branches create --name dev/<engineer>`).
    pub fn engineer(&self) -> String {
        self.annotations.get(ENGINEER).cloned().unwrap_or_else(|| {
            self.branch
                .name
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string()
        })
    }

    /// The parent it follows, by name: the annotation it was created with, else its current
    /// parent's name. After a twin sync Neon has moved it below the twin's backup
    /// (`<twin>_old_<stamp>`), so a backup's name stands for the twin it was taken from.
    pub fn parent_name(&self, all: &[Branch]) -> Option<String> {
        if let Some(p) = self.annotations.get(PARENT).filter(|p| !p.is_empty()) {
            return Some(p.clone());
        }
        let id = self.branch.parent_id.as_deref()?;
        let parent = all.iter().find(|b| b.id == id)?;
        Some(twin_of(&parent.name).unwrap_or(&parent.name).to_string())
    }

    /// When its compute was last used, in ms since the epoch.
    pub fn last_active_ms(&self) -> Option<f64> {
        self.endpoint
            .as_ref()
            .and_then(|e| e.last_active.as_deref())
            .and_then(crate::time::parse_rfc3339)
    }

    /// Someone may be working on it: the compute is running now, or ran within `window_ms`.
    pub fn active_within(&self, now_ms: f64, window_ms: u64) -> bool {
        let running = self
            .endpoint
            .as_ref()
            .is_some_and(|e| e.current_state == "active");
        running
            || self
                .last_active_ms()
                .is_some_and(|t| now_ms - t < window_ms as f64)
    }

    /// Since when nobody used it: the compute's last activity, or its creation if later
    /// (a branch nobody ever connected to has been idle since it was made).
    pub fn idle_since_ms(&self) -> Option<f64> {
        let created = crate::time::parse_rfc3339(&self.branch.created_at);
        match (self.last_active_ms(), created) {
            (Some(a), Some(c)) => Some(a.max(c)),
            (a, c) => a.or(c),
        }
    }
}

/// `<twin>` for `<twin>_old_<stamp>` / `<twin>_sync_<stamp>` (names the sync gives).
pub fn twin_of(name: &str) -> Option<&str> {
    ["_old_", "_sync_"].iter().find_map(|marker| {
        let at = name.rfind(marker)?;
        let twin = &name[..at];
        our_stamp(name, twin).map(|_| twin)
    })
}

/// The branches `pattern` matches, never the default branch nor a protected one (a
/// pattern like `*` must not reset production), with their computes.
pub async fn list<H: Host>(neon: &NeonClient<'_, H>, pattern: &str) -> Result<Listing> {
    let glob = Glob::new(pattern);
    let (annotated, endpoints) =
        futures_util::future::try_join(neon.list_branches_annotated(None), neon.list_endpoints())
            .await?;
    let all: Vec<Branch> = annotated.iter().map(|(b, _)| b.clone()).collect();
    let mut dev: Vec<DevBranch> = annotated
        .into_iter()
        .filter(|(b, _)| !b.default && !b.protected && glob.matches(&b.name))
        .map(|(branch, annotations)| DevBranch {
            endpoint: endpoints
                .iter()
                .find(|e| e.branch_id == branch.id && e.kind == "read_write")
                .cloned(),
            branch,
            annotations,
        })
        .collect();
    dev.sort_by(|a, b| a.branch.name.cmp(&b.branch.name));
    Ok(Listing { all, dev })
}

/// "3 min", "2 h", "15 d": how long ago, for logs and tables.
pub fn span(ms: f64) -> String {
    let s = (ms.max(0.0) / 1000.0) as u64;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_stand_for_their_twin() {
        assert_eq!(twin_of("twin_old_20260101T000000Z"), Some("twin"));
        assert_eq!(twin_of("my_twin_sync_20260101T000000Z"), Some("my_twin"));
        assert_eq!(twin_of("twin_old_notes"), None);
        assert_eq!(twin_of("main"), None);
    }

    #[test]
    fn activity_and_idleness() {
        let now = crate::time::parse_rfc3339("2026-03-01T12:00:00Z").unwrap();
        let dev = |state: &str, last: Option<&str>| DevBranch {
            branch: Branch {
                name: "dev/alice".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                ..Default::default()
            },
            annotations: BTreeMap::new(),
            endpoint: Some(Endpoint {
                current_state: state.into(),
                last_active: last.map(String::from),
                ..Default::default()
            }),
        };
        let d = dev("idle", Some("2026-03-01T11:59:00Z"));
        assert!(d.active_within(now, 15 * 60_000));
        assert_eq!(d.engineer(), "alice");
        assert!(!dev("idle", Some("2026-03-01T11:00:00Z")).active_within(now, 15 * 60_000));
        assert!(dev("active", None).active_within(now, 15 * 60_000));
        assert_eq!(
            dev("idle", None).idle_since_ms(),
            crate::time::parse_rfc3339("2026-01-01T00:00:00Z")
        );
        assert!(Glob::new("dev/*").matches("dev/alice"));
        assert!(!Glob::new("dev/*").matches("devx/alice"));
        assert_eq!(span(90_000.0), "90 s");
        assert_eq!(span(15.0 * 86_400_000.0), "15 d");
    }
}
