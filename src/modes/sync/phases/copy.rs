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

use super::super::catalog::{self, quote_ident, quote_literal, Column, Table};
use super::super::dump::{self, DataUnit, Transfer};
use super::super::job::{Job, PROGRESS_MS};
use super::super::pg::{self, in_snapshot, pipeline_error, query, Conn};
use super::super::plan;
use super::super::report::human_bytes;
use super::super::restore::{self, Section};
use super::snapshot::Snapshot;
use super::staging::Staged;
use super::verify;
use crate::error::{Error, Result};
use crate::host::{Command, Host};

/// A data unit ready to start: its pipeline and the names of its processes (for errors).
type Unit<'a> = (Vec<Command>, &'a [&'a str]);

/// The schema archive and the filtered list of its entries to restore.
pub struct Archive {
    /// A custom-format file (`stream`) or a dump directory (`directory`).
    path: String,
    /// `pg_restore -L` list: the TOC minus what a managed target refuses.
    list: String,
    /// `pg_restore -L` list of the row-security switches, restored after verification.
    row_security: Option<String>,
}

impl<H: Host> Job<'_, H> {
    /// Schema, data, masked tables, sequences: every row staging will hold.
    pub async fn copy_rows(
        &mut self,
        snap: &Snapshot,
        staging: &Staged,
        jobs: u64,
        source_major: u32,
    ) -> Result<Archive> {
        self.enter("schema");
        // With `tables`, pg_dump dumps the tables and nothing they live in: their schemas
        // are made here (`public` exists).
        let mut schemas: Vec<&str> = snap
            .selection
            .only
            .iter()
            .map(|t| t.schema.as_str())
            .filter(|s| *s != "public")
            .collect();
        schemas.sort_unstable();
        schemas.dedup();
        if !schemas.is_empty() {
            let create: Vec<String> = schemas
                .iter()
                .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(s)))
                .collect();
            query(self.rt, self.client(), &staging.conn, &create).await?;
        }
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
        self.copy_data(snap, &staging.conn, &archive, jobs, source_major)
            .await?;
        if !snap.masked.is_empty() {
            self.enter("masked tables");
            self.copy_masked(snap, &staging.conn).await?;
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

    /// Row security switched on as production has it, once every row is in and counted.
    pub async fn enable_row_security(&mut self, archive: &Archive, staging: &Staged) -> Result<()> {
        let Some(list) = &archive.row_security else {
            return Ok(());
        };
        self.run_step(
            "pg_restore (row security)",
            restore::restore(
                self.client(),
                &staging.conn,
                Some(&archive.path),
                Some(list),
                Section::PostData,
                1,
            ),
        )
        .await
    }

    /// Neon only: unlogged tables become logged. Neon keeps an unlogged table's rows on the
    /// compute's local disk, not in its storage, so after the swap (a restore onto the
    /// twin's compute) the twin's copy would be empty, though verified. Tables are switched
    /// in dependency order (a logged table may not reference an unlogged one): passes
    /// until none is left; any that cannot be switched stop the sync, named.
    pub async fn log_unlogged_tables(&mut self, staging: &Staged) -> Result<()> {
        const LIST: &str = "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relpersistence = 'u' AND c.relkind IN ('r', 'p') ORDER BY 1";
        const SWITCH: &str = r#"DO $$
DECLARE r record; switched int;
BEGIN
  LOOP
    switched := 0;
    FOR r IN SELECT c.oid::regclass AS t FROM pg_catalog.pg_class c
             WHERE c.relpersistence = 'u' AND c.relkind IN ('r', 'p') LOOP
      BEGIN
        EXECUTE format('ALTER TABLE %s SET LOGGED', r.t);
        switched := switched + 1;
      EXCEPTION WHEN others THEN NULL;
      END;
    END LOOP;
    EXIT WHEN switched = 0;
  END LOOP;
END $$"#;
        let rt = self.rt;
        let before = pg::query(rt, self.client(), &staging.conn, &[LIST]).await?;
        let tables: Vec<String> = before
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if tables.is_empty() {
            return Ok(());
        }
        pg::query(rt, self.client(), &staging.conn, &[SWITCH]).await?;
        let left = pg::query(rt, self.client(), &staging.conn, &[LIST]).await?;
        let left: Vec<&str> = left
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if !left.is_empty() {
            return Err(Error::Failed(format!(
                "these unlogged tables could not be made logged for the twin: {}. On Neon an unlogged table's rows do not survive the swap; make them logged on production, or exclude them (`exclude-tables`)",
                left.join(", ")
            )));
        }
        let note = format!(
            "Unlogged on production, logged in the twin (Neon keeps unlogged tables' rows on the compute's local disk, so they would not survive the swap): {}",
            tables.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
        );
        rt.info(&note);
        self.report.notes.push(note);
        Ok(())
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
        let plan = plan::filter_toc(
            &toc.stdout,
            &plan::Filter {
                available_extensions: staging.extensions.clone(),
                skip_objects: staging.skipped.objects.clone(),
                skip_relations: staging.skipped.relations.clone(),
                large_objects: self.s.large_objects,
            },
        );
        if !plan.missing_extensions.is_empty() {
            rt.warning(&format!(
                "the target does not offer these extensions production uses; they are not created: {}",
                plan.missing_extensions.join(", ")
            ));
        }
        let list = self.temp_path("toc.list");
        rt.host.write_file(&list, plan.list.as_bytes())?;
        let row_security = if plan.row_security.is_empty() {
            None
        } else {
            let rls = self.temp_path("row-security.list");
            rt.host.write_file(&rls, plan.row_security.as_bytes())?;
            Some(rls)
        };
        self.report.dropped = plan.dropped;
        self.report.missing_extensions = plan.missing_extensions;
        Ok(Archive {
            path,
            list,
            row_security,
        })
    }

    /// Table data: units of `pg_dump | pg_restore` or slice copies, `jobs` at a time
    /// (stream), or `pg_restore -j` from the directory.
    async fn copy_data(
        &mut self,
        snap: &Snapshot,
        staging: &Conn,
        archive: &Archive,
        jobs: u64,
        source_major: u32,
    ) -> Result<()> {
        let data_tables: Vec<(Table, u64)> = snap
            .tables
            .iter()
            .zip(&snap.sizes)
            .filter(|(t, _)| !snap.selection.exclude_data.contains(t))
            .map(|(t, b)| (t.clone(), *b))
            .collect();
        const DUMP: &[&str] = &["pg_dump", "pg_restore"];
        const SLICE: &[&str] = &["psql (production)", "psql (staging)"];
        let (units, slots): (Vec<Unit>, usize) = match self.s.transfer {
            Transfer::Stream => {
                let min = self.s.own_stream_min_bytes;
                let plan = dump::plan_data(&data_tables, jobs, min, source_major >= 14);
                let elsewhere = dump::elsewhere(&plan);
                if plan.len() > 1 {
                    self.log_data_plan(&plan, jobs);
                }
                // From stdin: pg_restore cannot run parallel jobs on a pipe; hence units.
                let restore =
                    || restore::restore(self.client(), staging, None, None, Section::Data, 1);
                let c = self.client();
                let mut sliced: Vec<(Table, u64, Vec<Column>)> = Vec::new();
                let mut units = Vec::new();
                for unit in &plan {
                    match unit {
                        DataUnit::Rest { .. } => units.push((
                            vec![
                                dump::data_stream(
                                    c,
                                    &snap.source,
                                    &snap.id,
                                    &snap.selection,
                                    &elsewhere,
                                ),
                                restore(),
                            ],
                            DUMP,
                        )),
                        DataUnit::Table { table, .. } => units.push((
                            vec![
                                dump::tables_stream(
                                    c,
                                    &snap.source,
                                    &snap.id,
                                    std::slice::from_ref(table),
                                ),
                                restore(),
                            ],
                            DUMP,
                        )),
                        DataUnit::Slice {
                            table, part, parts, ..
                        } => {
                            if !sliced.iter().any(|(t, _, _)| t == table) {
                                let (pages, columns) = self.slice_facts(snap, table).await?;
                                sliced.push((table.clone(), pages, columns));
                            }
                            let (_, pages, columns) = sliced
                                .iter()
                                .find(|(t, _, _)| t == table)
                                .expect("just added");
                            let condition = dump::slice_condition(*part, *parts, *pages);
                            units.push((
                                dump::slice_copy(
                                    c,
                                    (&snap.source, &snap.id),
                                    staging,
                                    table,
                                    columns,
                                    &condition,
                                ),
                                SLICE,
                            ));
                        }
                    }
                }
                (units, jobs.max(1) as usize)
            }
            Transfer::Directory => (
                vec![(
                    vec![restore::restore(
                        self.client(),
                        staging,
                        Some(&archive.path),
                        Some(&archive.list),
                        Section::Data,
                        jobs,
                    )],
                    &["pg_restore"][..],
                )],
                1,
            ),
        };
        self.run_units(units, slots, staging).await
    }

    fn log_data_plan(&self, plan: &[DataUnit], jobs: u64) {
        let mut sliced: Vec<String> = Vec::new();
        let mut own: Vec<String> = Vec::new();
        for u in plan {
            match u {
                DataUnit::Slice {
                    table,
                    part: 0,
                    parts,
                    ..
                } => sliced.push(format!("{} ({parts} parts)", table.display())),
                DataUnit::Table { table, .. } => own.push(table.display()),
                _ => {}
            }
        }
        let mut line = format!("data: {} units on {jobs} slots", plan.len());
        if !sliced.is_empty() {
            line.push_str(&format!("; sliced by pages: {}", sliced.join(", ")));
        }
        if !own.is_empty() {
            line.push_str(&format!("; own units: {}", own.join(", ")));
        }
        self.rt.info(&line);
    }

    /// A sliced table's page count and copied columns, as the snapshot sees them.
    async fn slice_facts(&self, snap: &Snapshot, table: &Table) -> Result<(u64, Vec<Column>)> {
        let rt = self.rt;
        let pages_sql = format!(
            "SELECT pg_catalog.pg_relation_size({}::pg_catalog.regclass) / pg_catalog.current_setting('block_size')::bigint",
            quote_literal(&table.qualified())
        );
        let columns_sql = catalog::columns_sql(table);
        // One session: the page count's line, then a row per column.
        let out = query(
            rt,
            self.client(),
            &snap.source,
            &in_snapshot(&snap.id, &[&pages_sql, &columns_sql]),
        )
        .await?;
        let pages = out
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        Ok((pages, catalog::parse_columns(&out)))
    }

    /// Run the units `slots` at a time, in order (largest first), each started as soon
    /// as a slot frees up; print progress (units done, staging's size) every few seconds.
    /// The first unit that fails ends the copy (the caller's error path kills the rest).
    async fn run_units(
        &mut self,
        units: Vec<Unit<'_>>,
        slots: usize,
        staging: &Conn,
    ) -> Result<()> {
        let rt = self.rt;
        let total = units.len();
        let mut queue = units.into_iter();
        let mut running: Vec<(u32, &[&str])> = Vec::new();
        let mut done = 0usize;
        let mut last_progress = rt.host.now_ms();
        loop {
            while running.len() < slots.max(1) {
                let Some((pipeline, names)) = queue.next() else {
                    break;
                };
                let h = rt.host.spawn(&pipeline)?;
                self.processes.push(h);
                running.push((h, names));
            }
            if running.is_empty() {
                return Ok(());
            }
            // One unit: wait on it alone; several: take turns, briefly, so that a failure
            // in any of them is seen at once and a free slot is filled at once.
            let slice = if running.len() == 1 { PROGRESS_MS } else { 100 };
            let mut i = 0;
            while i < running.len() {
                let (h, names) = running[i];
                let status = rt.host.wait(h, slice).await;
                if status.done {
                    if !status.success() {
                        return Err(pipeline_error(rt, "copying data", names, &status));
                    }
                    running.remove(i);
                    done += 1;
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
                rt.info(&format!(
                    "data: {done}/{total} units done, {} running, staging holds {size}",
                    running.len()
                ));
            }
        }
    }

    /// Masked tables, one at a time: production's `COPY (SELECT masked…) TO STDOUT` in the
    /// snapshot, piped into `COPY … FROM STDIN` on staging. Raw values never touch disk.
    async fn copy_masked(&mut self, snap: &Snapshot, staging: &Conn) -> Result<()> {
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
                &snap.salt,
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
