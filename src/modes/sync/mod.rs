//! mode: sync — refresh the Neon Twin from production (issue 6), all or nothing.
//!
//! 1. preparation: inputs, client of the right major (before anything changes anywhere);
//! 2. snapshot: a psql session on production exports a snapshot and stays open (held
//!    stdin) until the copy is done; the catalog, the row counts, every pg_dump and the
//!    masked-table copies read that one snapshot;
//! 3. staging: a fresh Neon branch (or a new database on a plain target), emptied;
//! 4. copy: schema (filtered TOC), data (fast path), masked tables, indexes/constraints;
//! 5. verify: exact counts, content fingerprints, sequences and table definitions,
//!    staging vs the snapshot;
//! 6. swap: the twin becomes staging in one step (Neon restore / database rename).
//!
//! Any failure before the swap deletes staging and leaves the twin untouched; a cancelled
//! job's staging is deleted by the `post:` step from the saved state.

pub mod catalog;
pub mod clients;
pub mod definitions;
pub mod dump;
pub mod fingerprint;
mod job;
pub mod mask;
pub mod patterns;
pub mod pg;
pub mod phases;
pub mod plan;
mod post;
pub mod report;
pub mod restore;
pub mod settings;
mod slack;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::runtime::Runtime;
use job::{Job, STATE_PHASE};
pub use post::post;

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let s = settings::read(&rt.host)?;
    let started = rt.host.now_ms();
    let mut job = Job::new(rt, s);
    let result = job.sync().await;
    job.close_group();
    job.report.duration_ms = rt.host.now_ms() - started;
    job.clean_up(result.is_err()).await;
    if let Err(e) = &result {
        job.report.failure = Some((job.phase.to_string(), rt.scrub(&e.to_string())));
    }
    job.publish().await;
    // Finished, one way or the other: the post step has nothing to report.
    rt.host.save_state(STATE_PHASE, "");
    result.map_err(|e| match e {
        Error::Input { .. } => e,
        other => Error::Failed(format!(
            "sync failed during {}: {other}. The twin was left unchanged.",
            job.phase
        )),
    })
}

impl<H: Host> Job<'_, H> {
    /// The phases in order (the module doc above says what each does). `enter` names the
    /// phase a failure is reported in.
    async fn sync(&mut self) -> Result<()> {
        self.open_group("preparation"); // the phase a new Job starts in
        let prepared = self.prepare().await?;

        self.enter("snapshot");
        let mut snapshot = self.take_snapshot(&prepared.source).await?;

        self.enter("staging");
        let mut staging = self.create_staging(&prepared).await?;
        // Roles and extensions the target lacks: all of them named, before the copy.
        staging.skipped = self.check_fit(&snapshot, &staging).await?;
        snapshot.leave_out(&staging.skipped.relations);

        // The copy enters its own steps (schema, data, …, indexes and constraints).
        // Staging's rows are final once loaded: they are counted while indexes are built.
        let jobs = prepared.jobs;
        let archive = self
            .copy_rows(&snapshot, &staging, jobs, prepared.source_major)
            .await?;
        let counting = self.start_staging_counts(&snapshot, &staging.conn).await?;
        self.build_indexes(&archive, &staging, jobs).await?;

        self.enter("verification");
        self.verify(&snapshot, &staging.conn, counting).await?;
        self.enable_row_security(&archive, &staging).await?;
        self.verify_definitions(&snapshot, &staging.conn).await?;
        if matches!(self.s.target, settings::Target::Neon { .. }) {
            self.log_unlogged_tables(&staging).await?;
        }

        self.enter("swap");
        self.swap(prepared.twin.as_ref()).await?;
        self.end_phase();
        Ok(())
    }
}
