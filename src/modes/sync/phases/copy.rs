//! Phase 4, copy: production's snapshot into staging, in the order that keeps it fast and
//! keeps raw masked values out:
//!
//! 1. schema: the archive's table of contents filtered for a managed target (plan.rs),
//!    then pre-data (tables, types, functions) restored;
//! 2. data through the fast path (dump.rs: `stream` or `directory`), without indexes or
//!    constraints yet: loading into bare tables is what makes a restore fast. `stream`
//!    runs up to `jobs` `pg_dump | pg_restore` pipelines side by side (the biggest tables
//!    get their own), since one pipeline loads one table at a time into one backend;
//! 3. masked tables, row by row through `COPY (SELECT masked…)`;
//! 4. sequences moved forward where rows were copied outside pg_dump;
//! 5. post-data (indexes, constraints, triggers, matview refreshes), `jobs` at a time.
//!
//! `Job::sync` runs 1–4 (`copy_rows`), starts verification's staging counts, then 5
//! (`build_indexes`): the rows are final once loaded, so they are counted while the
//! indexes are built instead of after.
//!
//! Every pg_restore runs with `--exit-on-error`: an error fails the sync and shows the
//! statement, instead of the seed script's "exit 1 whatever happened".

use super::super::catalog::{self, quote_ident, quote_literal, Table};
use super::super::dump::{self, Transfer};
use super::super::job::{Job, PROGRESS_MS};
use super::super::pg::{self, pipeline_error, query, Conn};
use super::super::plan;
use super::super::report::human_bytes;
use super::super::restore::{self, Section};
use super::snapshot::Snapshot;
use super::staging::Staged;
use super::verify;
use crate::error::{Error, Result};
use crate::host::{Host, ProcessStatus};

/// The schema archive and the filtered list of its entries to restore.
pub struct Archive {
    /// A custom-format file (`stream`) or a dump directory (`directory`).
    path: String,
    /// `pg_restore -L` list: the TOC minus what a managed target refuses.
    list: String,
}

impl<H: Host> Job<'_, H> {
    /// Schema, data, masked tables, sequences: every row staging will hold.
    pub async fn copy_rows(
        &mut self,
        snap: &Snapshot,
        staging: &Staged,
        jobs: u64,
    ) -> Result<Archive> {
        self.enter("schema");
        // Per run, so equal values hash equally within a sync but not across syncs.
        let salt = format!(
            "{:016x}{:016x}",
            (self.rt.host.random() * 1e16) as u64,
            (self.rt.host.random() * 1e16) as u64
        );
        self.rt.secret(&salt);
        let archive = self.dump_schema(snap, staging, jobs).await?;
        self.run_step(
            "pg_restore (schema)",
            restore::restore(
                self.client(),
                &staging.conn,
                Some(&archive.path),
                Some(&archive.list),
                Section::PreData,
                1,
            ),
        )
        .await?;

        self.enter("data");
        self.copy_data(snap, &staging.conn, &archive, jobs).await?;
        if !snap.masked.is_empty() {
            self.enter("masked tables");
            self.copy_masked(snap, &staging.conn, &salt).await?;
        }
        self.advance_sequences(snap, &staging.conn).await?;
        Ok(archive)
    }

    /// Post-data: indexes, constraints (validated), triggers, matview refreshes.
    pub async fn build_indexes(
        &mut self,
        archive: &Archive,
        staging: &Staged,
        jobs: u64,
    ) -> Result<()> {
        self.enter("indexes and constraints");
        self.run_step(
            "pg_restore (post-data)",
            restore::restore(
                self.client(),
                &staging.conn,
                Some(&archive.path),
                Some(&archive.list),
                Section::PostData,
                jobs,
            ),
        )
        .await
    }

    /// The archive the schema (and, for `directory`, the data) is restored from, and its
    /// table of contents filtered against what staging offers.
    async fn dump_schema(
        &mut self,
        snap: &Snapshot,
        staging: &Staged,
        jobs: u64,
    ) -> Result<Archive> {
        let rt = self.rt;
        let path = match self.s.transfer {
            Transfer::Stream => {
                // Schema only: the data travels later, straight from pg_dump to pg_restore.
                let file = self.temp_path("schema.dump");
                self.run_step(
                    "pg_dump (schema)",
                    dump::schema_archive(
                        self.client(),
                        &snap.source,
                        &snap.id,
                        &snap.selection,
                        &file,
                    ),
                )
                .await?;
                file
            }
            Transfer::Directory => {
                let dir = self.temp_path("dump");
                self.enter("dump");
                let cmd = dump::directory(
                    self.client(),
                    &snap.source,
                    &snap.id,
                    &snap.selection,
                    &dir,
                    jobs,
                );
                let h = rt.host.spawn(&[cmd])?;
                let written = || -> u64 {
                    rt.host
                        .walk(&dir)
                        .map(|e| e.iter().map(|x| x.size).sum())
                        .unwrap_or(0)
                };
                let status = pg::wait_with(rt, h, PROGRESS_MS, |_| {
                    rt.info(&format!("dump: {} written", human_bytes(written())));
                })
                .await;
                if !status.success() {
                    return Err(pipeline_error(
                        rt,
                        "dumping production",
                        &["pg_dump"],
                        &status,
                    ));
                }
                self.report.bytes = written();
                self.enter("schema");
                dir
            }
        };
        let toc = rt.host.run(&restore::list(self.client(), &path)).await?;
        if !toc.success() {
            return Err(Error::Failed(format!(
                "pg_restore --list failed: {}",
                pg::error_text(&toc.stderr)
            )));
        }
        let plan = plan::filter_toc(&toc.stdout, &staging.extensions);
        if !plan.missing_extensions.is_empty() {
            rt.warning(&format!(
                "the target does not offer these extensions production uses; they are not created: {}",
                plan.missing_extensions.join(", ")
            ));
        }
        let list = self.temp_path("toc.list");
        rt.host.write_file(&list, plan.list.as_bytes())?;
        self.report.dropped = plan.dropped;
        self.report.missing_extensions = plan.missing_extensions;
        Ok(Archive { path, list })
    }

    /// Table data: `pg_dump | pg_restore` streams (stream) or `pg_restore -j` from the
    /// directory.
    async fn copy_data(
        &mut self,
        snap: &Snapshot,
        staging: &Conn,
        archive: &Archive,
        jobs: u64,
    ) -> Result<()> {
        let rt = self.rt;
        let data_tables: Vec<(Table, u64)> = snap
            .tables
            .iter()
            .zip(&snap.sizes)
            .filter(|(t, _)| !snap.selection.exclude_data.contains(t))
            .map(|(t, b)| (t.clone(), *b))
            .collect();
        let pipelines: Vec<Vec<_>> = match self.s.transfer {
            Transfer::Stream => {
                let min = self.s.own_stream_min_bytes;
                let extra = dump::plan_streams(&data_tables, jobs, min);
                let elsewhere: Vec<Table> = extra.iter().flatten().cloned().collect();
                if !extra.is_empty() {
                    rt.info(&format!(
                        "data: {} streams; own streams for {}",
                        extra.len() + 1,
                        elsewhere
                            .iter()
                            .map(Table::display)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                // From stdin: pg_restore cannot run parallel jobs on a pipe; hence streams.
                let restore =
                    || restore::restore(self.client(), staging, None, None, Section::Data, 1);
                let c = self.client();
                let mut p = vec![vec![
                    dump::data_stream(c, &snap.source, &snap.id, &snap.selection, &elsewhere),
                    restore(),
                ]];
                for tables in &extra {
                    p.push(vec![
                        dump::tables_stream(c, &snap.source, &snap.id, tables),
                        restore(),
                    ]);
                }
                p
            }
            Transfer::Directory => vec![vec![restore::restore(
                self.client(),
                staging,
                Some(&archive.path),
                Some(&archive.list),
                Section::Data,
                jobs,
            )]],
        };
        let names: &[&str] = match self.s.transfer {
            Transfer::Stream => &["pg_dump", "pg_restore"],
            Transfer::Directory => &["pg_restore"],
        };
        let mut handles = Vec::new();
        for p in &pipelines {
            let h = rt.host.spawn(p)?;
            self.processes.push(h);
            handles.push(h);
        }
        match self.wait_data(&handles, staging, data_tables.len()).await {
            None => Ok(()),
            Some(failed) => Err(pipeline_error(rt, "copying data", names, &failed)),
        }
    }

    /// Wait for every data pipeline, printing progress (tables started, staging's size)
    /// every few seconds. The first pipeline that fails ends the wait (the caller's error
    /// path kills the others); None when all succeeded.
    async fn wait_data(
        &self,
        handles: &[u32],
        staging: &Conn,
        total: usize,
    ) -> Option<ProcessStatus> {
        let rt = self.rt;
        let mut running: Vec<u32> = handles.to_vec();
        let mut started_tables = vec![0usize; handles.len()];
        let mut last_progress = rt.host.now_ms();
        // One pipeline: wait on it alone; several: take turns, briefly, so that a failure
        // in any of them is seen at once.
        let slice = if handles.len() == 1 { PROGRESS_MS } else { 100 };
        while !running.is_empty() {
            let mut i = 0;
            while i < running.len() {
                let h = running[i];
                let status = rt.host.wait(h, slice).await;
                let k = handles.iter().position(|x| *x == h).unwrap_or(0);
                if let Some(s) = status.stderr.last() {
                    started_tables[k] = restore::tables_started(s);
                }
                if status.done {
                    if !status.success() {
                        return Some(status);
                    }
                    running.remove(i);
                } else {
                    i += 1;
                }
            }
            if !running.is_empty() && rt.host.now_ms() - last_progress >= PROGRESS_MS as f64 {
                last_progress = rt.host.now_ms();
                let size = query(rt, self.client(), staging, &["SELECT pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(pg_catalog.current_database()))"])
                    .await
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|_| "?".into());
                let started: usize = started_tables.iter().sum();
                rt.info(&format!(
                    "data: {}/{total} tables started, staging holds {size}",
                    started.min(total)
                ));
            }
        }
        None
    }

    /// Masked tables, one at a time: production's `COPY (SELECT masked…) TO STDOUT` in the
    /// snapshot, piped into `COPY … FROM STDIN` on staging. Raw values never touch disk.
    async fn copy_masked(&mut self, snap: &Snapshot, staging: &Conn, salt: &str) -> Result<()> {
        let rt = self.rt;
        for m in &snap.masked {
            rt.info(&format!(
                "copying {} with {} masked column(s)",
                m.table.display(),
                m.rules.len()
            ));
            let h = rt.host.spawn(&dump::masked_copy(
                self.client(),
                &snap.source,
                staging,
                &snap.id,
                m,
                salt,
            ))?;
            let status = pg::wait_with(rt, h, 60_000, |_| {}).await;
            if !status.success() {
                return Err(pipeline_error(
                    rt,
                    &format!("copying masked table {}", m.table.display()),
                    &["psql (production)", "psql (staging)"],
                    &status,
                ));
            }
        }
        Ok(())
    }

    /// pg_dump's `SEQUENCE SET` only covers what it dumped; rows copied outside it (masked
    /// tables) carry no `setval`, so staging's sequences are moved up to production's.
    async fn advance_sequences(&mut self, snap: &Snapshot, staging: &Conn) -> Result<()> {
        let rt = self.rt;
        let staging_sequences = catalog::parse_sequences(
            &query(rt, self.client(), staging, &[catalog::SEQUENCES_SQL]).await?,
        );
        let advance = verify::sequences_to_advance(&snap.sequences, &staging_sequences);
        if advance.is_empty() {
            return Ok(());
        }
        let sql: Vec<String> = advance
            .iter()
            .map(|(name, v)| {
                let (schema, seq) = name.split_once('.').unwrap_or(("public", name));
                format!(
                    "SELECT pg_catalog.setval({}, {v}, true)",
                    quote_literal(&format!("{}.{}", quote_ident(schema), quote_ident(seq)))
                )
            })
            .collect();
        let refs: Vec<&str> = sql.iter().map(String::as_str).collect();
        query(rt, self.client(), staging, &refs).await?;
        self.report.sequences_advanced = advance.len();
        Ok(())
    }
}
