//! What the phases of one sync share: the runtime and settings, the report being filled in,
//! the phase clock, and everything that must be undone if the sync stops early (background
//! processes, temporary files, the staging branch or database).

use super::clients::Client;
use super::pg::{query, Conn};
use super::report::Report;
use super::settings::Settings;
use super::slack::notify_slack;
use crate::error::{Error, Result};
use crate::host::{Command, Host};
use crate::neon::types::Branch;
use crate::neon::NeonClient;
use crate::runtime::Runtime;

/// Saved state (`core.saveState`) the `post:` step reads to delete a staging branch or
/// database that a cancelled job left behind. Names are saved *before* the create, so a
/// cancel while it is in flight is still cleaned up (by name).
pub const STATE_KIND: &str = "sync_staging_kind";
pub const STATE_ID: &str = "sync_staging_id";
pub const STATE_NAME: &str = "sync_staging_name";
/// The client directory, so the post step drops a staging database with the same psql.
pub const STATE_CLIENT: &str = "sync_client_dir";
/// The phase the main step is in, cleared when it finishes: the post step reads a
/// leftover value as "cancelled during <phase>".
pub const STATE_PHASE: &str = "sync_phase";

/// How often long steps print progress.
pub const PROGRESS_MS: u64 = 5000;

/// Where staging lives, once created: what the swap promotes and a failure deletes.
pub enum Staging {
    Neon { branch: Branch },
    Database { maintenance: Conn, name: String },
}

pub struct Job<'a, H: Host> {
    pub rt: &'a Runtime<H>,
    pub s: Settings,
    pub report: Report,
    /// The phase running now: named in the error and the Slack message if it fails.
    pub phase: &'static str,
    pub phase_started: f64,
    /// pg_dump/pg_restore/psql, chosen in preparation.
    pub client: Option<Client>,
    /// Neon API client (Neon targets), made in preparation.
    pub neon: Option<NeonClient<'a, H>>,
    pub staging: Option<Staging>,
    /// Processes to kill on the way out (the snapshot holder, background counts, pipelines).
    pub processes: Vec<u32>,
    /// Temporary files and directories, removed on the way out.
    pub temp: Vec<String>,
    /// `$RUNNER_TEMP/neon-gitops-sync-<stamp>`: every temporary path starts with it.
    pub prefix: String,
    /// Set once the twin holds the new copy: from then on a failure deletes nothing.
    pub swapped: bool,
    /// The twin branch, when this sync created it (a first sync): a failure deletes it
    /// again, so a failed first sync leaves the project as it was.
    pub created_twin: Option<Branch>,
    /// Production's and the target's major versions, read in preparation.
    pub majors: (u32, u32),
    /// A log group is open (the current phase's).
    pub in_group: bool,
}

impl<'a, H: Host> Job<'a, H> {
    pub fn new(rt: &'a Runtime<H>, s: Settings) -> Self {
        let started = rt.host.now_ms();
        let prefix = format!(
            "{}/neon-gitops-sync-{}",
            s.temp_dir.trim_end_matches('/'),
            crate::time::compact_stamp(started)
        );
        Job {
            rt,
            report: Report {
                twin: s.target.twin_name(),
                transfer: s.transfer.name().to_string(),
                ..Default::default()
            },
            s,
            phase: "preparation",
            phase_started: started,
            client: None,
            neon: None,
            staging: None,
            processes: Vec::new(),
            temp: Vec::new(),
            prefix,
            swapped: false,
            created_twin: None,
            majors: (0, 0),
            in_group: false,
        }
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("client chosen in preparation")
    }

    /// Start a phase: the previous one's time goes into the report, the new name into the
    /// saved state (for the post step) and the log.
    pub fn enter(&mut self, phase: &'static str) {
        self.end_phase();
        self.phase = phase;
        self.rt.host.save_state(STATE_PHASE, phase);
        self.open_group(phase);
    }

    /// Each phase is a collapsible group of the log (`::group::sync: <phase>`).
    pub fn open_group(&mut self, phase: &str) {
        self.close_group();
        self.rt.group(&format!("sync: {phase}"));
        self.in_group = true;
    }

    pub fn close_group(&mut self) {
        if self.in_group {
            self.rt.end_group();
            self.in_group = false;
        }
    }

    pub fn end_phase(&mut self) {
        let now = self.rt.host.now_ms();
        self.report
            .phases
            .push((self.phase.to_string(), now - self.phase_started));
        self.phase_started = now;
    }

    /// A path under `$RUNNER_TEMP` that `clean_up` removes whatever happens.
    pub fn temp_path(&mut self, name: &str) -> String {
        let path = format!("{}-{name}", self.prefix);
        self.temp.push(path.clone());
        path
    }

    /// Run a client command to completion; its error text (scrubbed) on failure.
    pub async fn run_step(&mut self, what: &str, command: Command) -> Result<()> {
        let out = self.rt.host.run(&command).await?;
        if out.success() {
            Ok(())
        } else {
            Err(Error::Failed(format!(
                "{what} failed: {}",
                self.rt.scrub(&super::pg::error_text(&out.stderr))
            )))
        }
    }

    /// Kill every background process still running; this ends the snapshot session too.
    pub fn kill_background(&mut self) {
        for h in self.processes.drain(..) {
            self.rt.host.kill(h);
        }
    }

    /// Kill what still runs, remove temporary files; on failure before the swap, delete
    /// staging so the twin's project is exactly as it was.
    pub async fn clean_up(&mut self, failed: bool) {
        let rt = self.rt;
        self.kill_background();
        for path in self.temp.drain(..) {
            let _ = rt.host.run(&Command::new("rm").args(["-rf", &path])).await;
        }
        if !failed || self.swapped {
            return;
        }
        match self.staging.take() {
            Some(Staging::Neon { branch }) => {
                let neon = self.neon.as_ref().expect("neon client");
                match neon.delete_branch(&branch.id).await {
                    Ok(_) => rt.info(&format!("Deleted staging branch {}", branch.name)),
                    Err(e) => rt.warning(&format!(
                        "could not delete staging branch {} ({e}); the post step tries again",
                        branch.name
                    )),
                }
            }
            Some(Staging::Database { maintenance, name }) => {
                let drop = format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    super::catalog::quote_ident(&name)
                );
                match query(rt, self.client(), &maintenance, &[&drop]).await {
                    Ok(_) => rt.info(&format!("Dropped staging database {name}")),
                    Err(e) => rt.warning(&format!(
                        "could not drop staging database {name} ({e}); the post step tries again"
                    )),
                }
            }
            None => {}
        }
        if let (Some(twin), Some(neon)) = (self.created_twin.take(), self.neon.as_ref()) {
            match neon.delete_branch(&twin.id).await {
                Ok(_) => rt.info(&format!(
                    "Deleted twin branch {}, which this failed first sync had created",
                    twin.name
                )),
                Err(e) => rt.warning(&format!(
                    "could not delete the twin branch {} this sync created ({e}); delete it, or the next sync uses it",
                    twin.name
                )),
            }
        }
        rt.host.save_state(STATE_NAME, "");
        rt.host.save_state(STATE_ID, "");
    }

    /// Outputs, job summary, Slack: after success and failure alike.
    pub async fn publish(&mut self) {
        let rt = self.rt;
        let r = &self.report;
        rt.output("duration_ms", &format!("{}", r.duration_ms.round() as u64));
        rt.output("bytes", &r.bytes.to_string());
        rt.output("tables", &r.tables.len().to_string());
        rt.output("rows", &r.rows().to_string());
        rt.output("backup_branch", r.backup.as_deref().unwrap_or(""));
        rt.summary(&r.summary_markdown());
        if let Some(url) = &self.s.slack_webhook_url {
            notify_slack(rt, url, r.slack_payload()).await;
        }
    }
}
