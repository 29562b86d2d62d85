//! mode: sync — refresh the Neon Twin from production (issue 6), all or nothing.
//!
//! 1. preparation: inputs, client of the right major (before anything changes anywhere);
//! 2. snapshot: a psql session on production exports a snapshot and stays open (held
//!    stdin) until the copy is done; the catalog, the row counts, every pg_dump and the
//!    masked-table copies read that one snapshot;
//! 3. staging: a fresh Neon branch (or a new database on a plain target), emptied;
//! 4. copy: schema (filtered TOC), data (fast path), masked tables, indexes/constraints;
//! 5. verify: exact counts and sequences, staging vs the snapshot;
//! 6. swap: the twin becomes staging in one step (Neon restore / database rename).
//!
//! Any failure before the swap deletes staging and leaves the twin untouched; a cancelled
//! job's staging is deleted by the `post:` step from the saved state.

pub mod catalog;
pub mod clients;
pub mod dump;
pub mod mask;
pub mod patterns;
pub mod pg;
pub mod plan;
pub mod report;
pub mod restore;
pub mod settings;
pub mod swap;
pub mod verify;

use crate::error::{Error, Result};
use crate::host::{Command, Host};
use crate::http::{HttpClient, Method, Request, ReqwestTransport};
use crate::neon::connect::branch_connection;
use crate::neon::types::{Branch, NewBranch};
use crate::neon::NeonClient;
use crate::runtime::Runtime;
use catalog::{quote_ident, quote_literal, Table};
use clients::Client;
use dump::{MaskedTable, Selection, Transfer};
use patterns::any_matches;
use pg::{pipeline_error, query, Conn};
use report::{human_bytes, Report};
use restore::Section;
use settings::{Settings, Target};
use std::collections::BTreeSet;
use verify::TableRows;

const STATE_KIND: &str = "sync_staging_kind";
const STATE_ID: &str = "sync_staging_id";
const STATE_NAME: &str = "sync_staging_name";
const STATE_CLIENT: &str = "sync_client_dir";
/// The phase the main step is in, cleared when it finishes: the post step reads a
/// leftover value as "cancelled during <phase>".
const STATE_PHASE: &str = "sync_phase";
const PROGRESS_MS: u64 = 5000;

/// Where staging lives, once created.
enum Staging {
    Neon { branch: Branch },
    Database { maintenance: Conn, name: String },
}

struct Job<'a, H: Host> {
    rt: &'a Runtime<H>,
    s: Settings,
    report: Report,
    phase: &'static str,
    phase_started: f64,
    client: Option<Client>,
    neon: Option<NeonClient<'a, H>>,
    staging: Option<Staging>,
    /// Processes to kill on the way out (the snapshot holder, background counts).
    processes: Vec<u32>,
    temp: Vec<String>,
    prefix: String,
    swapped: bool,
}

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let s = settings::read(&rt.host)?;
    let started = rt.host.now_ms();
    let prefix = format!(
        "{}/neon-gitops-sync-{}",
        s.temp_dir.trim_end_matches('/'),
        crate::time::compact_stamp(started)
    );
    let mut job = Job {
        rt,
        report: Report {
            twin: match &s.target {
                Target::Neon { twin_branch, .. } => twin_branch.clone(),
                Target::Url(url) => crate::url::PgUrl::parse(url)
                    .map(|u| u.database)
                    .unwrap_or_default(),
            },
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
    };
    let result = job.sync().await;
    job.report.duration_ms = rt.host.now_ms() - started;
    job.clean_up(result.is_err()).await;
    if let Err(e) = &result {
        job.report.failure = Some((job.phase.to_string(), rt.scrub(&e.to_string())));
    }
    job.publish().await;
    rt.host.save_state(STATE_PHASE, "");
    result.map_err(|e| match e {
        Error::Input { .. } => e,
        other => Error::Failed(format!(
            "sync failed during {}: {other}. The twin was left unchanged.",
            job.phase
        )),
    })
}

impl<'a, H: Host> Job<'a, H> {
    fn client(&self) -> &Client {
        self.client.as_ref().expect("client chosen in preparation")
    }

    fn enter(&mut self, phase: &'static str) {
        self.end_phase();
        self.phase = phase;
        self.rt.host.save_state(STATE_PHASE, phase);
        self.rt.info(&format!("── {phase}"));
    }

    fn end_phase(&mut self) {
        let now = self.rt.host.now_ms();
        self.report
            .phases
            .push((self.phase.to_string(), now - self.phase_started));
        self.phase_started = now;
    }

    async fn sync(&mut self) -> Result<()> {
        let rt = self.rt;
        let source = Conn::parse("production", "source-url", &self.s.source_url)?;

        // ── preparation: nothing is changed anywhere until the client is known to fit.
        self.rt.info("── preparation");
        let mut client = clients::discover(rt, &self.s.pg_bin_dir).await?;
        if client.is_none() {
            if !self.s.install_client {
                return Err(clients::too_old(
                    17,
                    "no client to ask the servers with",
                    None,
                ));
            }
            client = install_client(rt, None).await?;
        }
        self.client = client;
        let source_major = server_major(rt, self.client(), &source).await?;
        let (target_conn, twin) = self.target_connection().await?;
        let target_major = server_major(rt, self.client(), &target_conn).await?;
        let needed = source_major.max(target_major);
        if self.client().major < needed {
            let servers =
                format!("production is PostgreSQL {source_major}, the target {target_major}");
            if !self.s.install_client || self.s.pg_bin_dir.is_some() {
                return Err(clients::too_old(needed, &servers, self.client.as_ref()));
            }
            self.client = install_client(rt, Some(needed)).await?;
        }
        rt.info(&format!(
            "production: PostgreSQL {source_major}; target: PostgreSQL {target_major}; client: {} ({})",
            self.client().major,
            self.client().dir
        ));
        rt.host.save_state(STATE_CLIENT, &self.client().dir);
        let jobs = match self.s.jobs {
            Some(j) => j,
            None => cores(rt).await,
        };
        self.report.jobs = jobs;

        // ── snapshot
        self.enter("snapshot");
        let snapshot = self.export_snapshot(&source).await?;
        let in_snapshot = |sql: &str| -> Vec<String> {
            vec![
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string(),
                format!("SET TRANSACTION SNAPSHOT {}", quote_literal(&snapshot)),
                sql.to_string(),
                "COMMIT".to_string(),
            ]
        };
        let client = self.client().clone();
        let (client_ref, source_ref) = (&client, &source);
        let run_in_snapshot = |sql: &str| {
            let cmds = in_snapshot(sql);
            async move {
                let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
                query(rt, client_ref, source_ref, &refs).await
            }
        };
        let all_tables = catalog::parse_tables(&run_in_snapshot(catalog::TABLES_SQL).await?);
        let (tables, selection, masked) = self.select(&all_tables, &run_in_snapshot).await?;
        self.report.masked = masked
            .iter()
            .flat_map(|m| {
                m.rules
                    .iter()
                    .map(move |(c, _)| format!("{}.{c}", m.table.display()))
            })
            .collect();
        self.report.excluded = selection.exclude.iter().map(Table::display).collect();
        let source_sequences =
            catalog::parse_sequences(&run_in_snapshot(catalog::SEQUENCES_SQL).await?);
        rt.info(&format!(
            "{} tables to copy ({} with data excluded, {} masked) from snapshot {snapshot}",
            tables.len(),
            selection.exclude_data.len() - masked.len(),
            masked.len()
        ));
        let counts = match catalog::count_sql(&tables) {
            Some(sql) => {
                let cmds = in_snapshot(&sql);
                let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
                let h = rt.host.spawn(&[source.psql(self.client(), &refs)])?;
                self.processes.push(h);
                Some(h)
            }
            None => None,
        };

        // ── staging
        self.enter("staging");
        let staging = self.create_staging(twin.as_ref(), &target_conn).await?;
        let available: BTreeSet<String> = query(
            rt,
            self.client(),
            &staging,
            &["SELECT name FROM pg_catalog.pg_available_extensions"],
        )
        .await?
        .lines()
        .map(|l| l.trim().to_string())
        .collect();

        // ── copy
        self.enter("schema");
        let salt = format!(
            "{:016x}{:016x}",
            (rt.host.random() * 1e16) as u64,
            (rt.host.random() * 1e16) as u64
        );
        rt.secret(&salt);
        let (archive, list) = match self.s.transfer {
            Transfer::Stream => {
                let file = self.temp_path("schema.dump");
                self.run_step(
                    "pg_dump (schema)",
                    dump::schema_archive(self.client(), &source, &snapshot, &selection, &file),
                )
                .await?;
                (file, None)
            }
            Transfer::Directory => {
                let dir = self.temp_path("dump");
                self.enter("dump");
                let cmd =
                    dump::directory(self.client(), &source, &snapshot, &selection, &dir, jobs);
                let h = rt.host.spawn(&[cmd])?;
                let status = pg::wait_with(rt, h, PROGRESS_MS, |_| {
                    let size: u64 = rt
                        .host
                        .walk(&dir)
                        .map(|e| e.iter().map(|x| x.size).sum())
                        .unwrap_or(0);
                    rt.info(&format!("dump: {} written", human_bytes(size)));
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
                self.report.bytes = rt
                    .host
                    .walk(&dir)
                    .map(|e| e.iter().map(|x| x.size).sum())
                    .unwrap_or(0);
                self.enter("schema");
                (dir.clone(), Some(dir))
            }
        };
        let toc = rt.host.run(&restore::list(self.client(), &archive)).await?;
        if !toc.success() {
            return Err(Error::Failed(format!(
                "pg_restore --list failed: {}",
                pg::error_text(&toc.stderr)
            )));
        }
        let plan = plan::filter_toc(&toc.stdout, &available);
        if !plan.missing_extensions.is_empty() {
            rt.warning(&format!(
                "the target does not offer these extensions production uses; they are not created: {}",
                plan.missing_extensions.join(", ")
            ));
        }
        let list_file = self.temp_path("toc.list");
        rt.host.write_file(&list_file, plan.list.as_bytes())?;
        self.report.dropped = plan.dropped.clone();
        self.report.missing_extensions = plan.missing_extensions.clone();
        self.run_step(
            "pg_restore (schema)",
            restore::restore(
                self.client(),
                &staging,
                Some(&archive),
                Some(&list_file),
                Section::PreData,
                1,
            ),
        )
        .await?;

        self.enter("data");
        let data_tables = tables.len() - selection.exclude_data.len();
        let status = match &list {
            None => {
                let pipeline = [
                    dump::data_stream(self.client(), &source, &snapshot, &selection),
                    restore::restore(self.client(), &staging, None, None, Section::Data, 1),
                ];
                let h = rt.host.spawn(&pipeline)?;
                self.processes.push(h);
                self.wait_data(h, &staging, data_tables).await
            }
            Some(dir) => {
                let cmd = restore::restore(
                    self.client(),
                    &staging,
                    Some(dir),
                    Some(&list_file),
                    Section::Data,
                    jobs,
                );
                let h = rt.host.spawn(&[cmd])?;
                self.processes.push(h);
                self.wait_data(h, &staging, data_tables).await
            }
        };
        if !status.success() {
            let names: &[&str] = if list.is_none() {
                &["pg_dump", "pg_restore"]
            } else {
                &["pg_restore"]
            };
            return Err(pipeline_error(rt, "copying data", names, &status));
        }
        if !masked.is_empty() {
            self.enter("masked tables");
            for m in &masked {
                rt.info(&format!(
                    "copying {} with {} masked column(s)",
                    m.table.display(),
                    m.rules.len()
                ));
                let h = rt.host.spawn(&dump::masked_copy(
                    self.client(),
                    &source,
                    &staging,
                    &snapshot,
                    m,
                    &salt,
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
        }
        let staging_sequences = catalog::parse_sequences(
            &query(rt, self.client(), &staging, &[catalog::SEQUENCES_SQL]).await?,
        );
        let advance = verify::sequences_to_advance(&source_sequences, &staging_sequences);
        if !advance.is_empty() {
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
            query(rt, self.client(), &staging, &refs).await?;
            self.report.sequences_advanced = advance.len();
        }

        self.enter("indexes and constraints");
        self.run_step(
            "pg_restore (post-data)",
            restore::restore(
                self.client(),
                &staging,
                Some(&archive),
                Some(&list_file),
                Section::PostData,
                jobs,
            ),
        )
        .await?;

        // ── verify
        self.enter("verification");
        if let Some(sql) = rt
            .host
            .env("NEON_GITOPS_TEST_STAGING_SQL")
            .filter(|s| !s.is_empty())
        {
            // Test bed only: simulates someone writing to staging behind our back.
            query(rt, self.client(), &staging, &[&sql]).await?;
        }
        let source_counts = match counts {
            Some(h) => {
                let status = pg::wait_with(rt, h, 60_000, |_| {}).await;
                if !status.success() {
                    return Err(pipeline_error(
                        rt,
                        "counting rows in production's snapshot",
                        &["psql"],
                        &status,
                    ));
                }
                catalog::parse_counts(&status.stdout, tables.len())
            }
            None => vec![],
        };
        self.release_snapshot();
        let staging_counts = match catalog::count_sql(&tables) {
            Some(sql) => catalog::parse_counts(
                &query(rt, self.client(), &staging, &[&sql]).await?,
                tables.len(),
            ),
            None => vec![],
        };
        let masked_names: Vec<String> = masked.iter().map(|m| m.table.display()).collect();
        self.report.tables = tables
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let data_excluded =
                    selection.exclude_data.contains(t) && !masked_names.contains(&t.display());
                let source = source_counts.get(i).copied().flatten().unwrap_or(-1);
                TableRows {
                    table: t.display(),
                    source,
                    expected: if data_excluded { 0 } else { source },
                    staging: staging_counts.get(i).copied().flatten(),
                    masked: masked_names.contains(&t.display()),
                    data_excluded,
                }
            })
            .collect();
        let staging_sequences = catalog::parse_sequences(
            &query(rt, self.client(), &staging, &[catalog::SEQUENCES_SQL]).await?,
        );
        let mut problems = verify::count_mismatches(&self.report.tables);
        problems.extend(verify::sequence_mismatches(
            &source_sequences,
            &staging_sequences,
        ));
        if !problems.is_empty() {
            return Err(Error::Failed(format!(
                "verification found {} difference(s) between production's snapshot and staging: {}",
                problems.len(),
                problems.join("; ")
            )));
        }
        let size = query(
            rt,
            self.client(),
            &staging,
            &["SELECT pg_catalog.pg_database_size(pg_catalog.current_database())"],
        )
        .await?;
        if self.s.transfer == Transfer::Stream {
            self.report.bytes = size.trim().parse().unwrap_or(0);
        }
        rt.info(&format!(
            "verified: {} tables, {} rows match the snapshot",
            self.report.tables.len(),
            self.report.rows()
        ));

        // ── swap
        self.enter("swap");
        self.swap(twin.as_ref()).await?;
        self.end_phase();
        Ok(())
    }

    /// The connection used to learn the target's version, and the twin branch (Neon).
    async fn target_connection(&mut self) -> Result<(Conn, Option<Branch>)> {
        match self.s.target.clone() {
            Target::Url(url) => Ok((Conn::parse("the target", "target-url", &url)?, None)),
            Target::Neon {
                api_key,
                api_host,
                project_id,
                twin_branch,
                role,
                database,
            } => {
                let neon = NeonClient::new(self.rt, &api_host, &api_key, &project_id);
                let twin = match neon.find_branch_by_name(&twin_branch).await? {
                    Some(b) => b,
                    None => {
                        self.rt.info(&format!("Twin branch {twin_branch} does not exist yet: creating it from the default branch"));
                        neon.create_branch(&NewBranch {
                            name: twin_branch.clone(),
                            ..Default::default()
                        })
                        .await?
                        .branch
                    }
                };
                let conn = branch_connection(&neon, &twin, &role, &database).await?;
                self.neon = Some(neon);
                Ok((
                    Conn::parse("the twin", "twin-branch", &conn.url)?,
                    Some(twin),
                ))
            }
        }
    }

    fn temp_path(&mut self, name: &str) -> String {
        let path = format!("{}-{name}", self.prefix);
        self.temp.push(path.clone());
        path
    }

    /// Start the session that holds the snapshot open; returns the snapshot id.
    async fn export_snapshot(&mut self, source: &Conn) -> Result<String> {
        let rt = self.rt;
        let file = self.temp_path("snapshot");
        let script = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_catalog.pg_export_snapshot() \\g {}\n",
            quote_literal(&file)
        );
        let holder = rt
            .host
            .spawn(&[source.psql(self.client(), &[]).stdin(script).hold_stdin()])?;
        self.processes.push(holder);
        let started = rt.host.now_ms();
        loop {
            let status = rt.host.wait(holder, 50).await;
            if let Ok(bytes) = rt.host.read_file(&file) {
                let id = String::from_utf8_lossy(&bytes).trim().to_string();
                if !id.is_empty() {
                    return Ok(id);
                }
            }
            if status.done {
                return Err(pipeline_error(
                    rt,
                    "exporting a snapshot on production",
                    &["psql"],
                    &status,
                ));
            }
            if rt.host.now_ms() - started > 120_000.0 {
                return Err(Error::Failed(
                    "production did not export a snapshot within 2 minutes".into(),
                ));
            }
        }
    }

    /// End the snapshot session (and anything else still running).
    fn release_snapshot(&mut self) {
        for h in self.processes.drain(..) {
            self.rt.host.kill(h);
        }
    }

    /// Expand the patterns against the catalog; resolve mask rules to tables and columns.
    async fn select<F, Fut>(
        &self,
        all: &[Table],
        run_in_snapshot: &F,
    ) -> Result<(Vec<Table>, Selection, Vec<MaskedTable>)>
    where
        F: Fn(&str) -> Fut,
        Fut: std::future::Future<Output = Result<String>>,
    {
        let s = &self.s;
        let tables: Vec<Table> = all
            .iter()
            .filter(|t| s.tables.is_empty() || any_matches(&s.tables, &t.schema, &t.name))
            .filter(|t| !any_matches(&s.exclude_tables, &t.schema, &t.name))
            .cloned()
            .collect();
        for (input, patterns) in [
            ("tables", &s.tables),
            ("exclude-tables", &s.exclude_tables),
            ("exclude-table-data", &s.exclude_table_data),
        ] {
            for p in patterns.iter() {
                if !all.iter().any(|t| p.matches(&t.schema, &t.name)) {
                    self.rt.warning(&format!(
                        "input `{input}`: `{}` matches no table in production",
                        p.raw
                    ));
                }
            }
        }
        let mut selection = Selection {
            only: if s.tables.is_empty() {
                vec![]
            } else {
                tables.clone()
            },
            exclude: all
                .iter()
                .filter(|t| !tables.contains(t))
                .cloned()
                .collect(),
            exclude_data: tables
                .iter()
                .filter(|t| any_matches(&s.exclude_table_data, &t.schema, &t.name))
                .cloned()
                .collect(),
        };
        if !s.tables.is_empty() {
            selection.exclude.clear();
        }
        let mut masked: Vec<MaskedTable> = Vec::new();
        for rule in &s.mask {
            let candidates: Vec<&Table> = tables
                .iter()
                .filter(|t| {
                    t.name == rule.table && rule.schema.as_ref().is_none_or(|sc| *sc == t.schema)
                })
                .collect();
            let table = match candidates.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(Error::input(
                        "mask",
                        format!(
                            "line {}: no table `{}` among the tables being copied",
                            rule.line,
                            rule.target().rsplit_once('.').map(|x| x.0).unwrap_or("")
                        ),
                    ))
                }
                many => {
                    return Err(Error::input(
                        "mask",
                        format!(
                        "line {}: `{}` exists in several schemas ({}); write `schema.table.column`",
                        rule.line,
                        rule.table,
                        many.iter()
                            .map(|t| t.schema.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ))
                }
            };
            if selection.exclude_data.contains(&table) {
                continue; // no rows copied: nothing to mask
            }
            let entry = match masked.iter_mut().position(|m| m.table == table) {
                Some(i) => &mut masked[i],
                None => {
                    let columns = catalog::parse_columns(
                        &run_in_snapshot(&catalog::columns_sql(&table)).await?,
                    );
                    masked.push(MaskedTable {
                        table: table.clone(),
                        columns,
                        rules: vec![],
                    });
                    masked.last_mut().expect("just pushed")
                }
            };
            let column = entry
                .columns
                .iter()
                .find(|c| c.name == rule.column)
                .ok_or_else(|| {
                    Error::input(
                        "mask",
                        format!(
                            "line {}: table {} has no column `{}` (columns: {})",
                            rule.line,
                            table.display(),
                            rule.column,
                            entry
                                .columns
                                .iter()
                                .map(|c| c.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            mask::check_rule(rule, column)?;
            entry.rules.push((rule.column.clone(), rule.kind.clone()));
        }
        for m in &masked {
            selection.exclude_data.push(m.table.clone());
        }
        Ok((tables, selection, masked))
    }

    async fn create_staging(&mut self, twin: Option<&Branch>, target: &Conn) -> Result<Conn> {
        let rt = self.rt;
        let now = rt.host.now_ms();
        match &self.s.target {
            Target::Neon {
                twin_branch,
                role,
                database,
                ..
            } => {
                let neon = self.neon.as_ref().expect("neon client made in preparation");
                let twin = twin.expect("twin resolved in preparation");
                let name = swap::staging_name(twin_branch, now);
                // Saved before the create, so a cancel during it is still cleaned up by name.
                rt.host.save_state(STATE_KIND, "neon");
                rt.host.save_state(STATE_NAME, &name);
                let parent = neon
                    .list_branches(None)
                    .await?
                    .into_iter()
                    .find(|b| b.default)
                    .map(|b| b.id);
                let created = neon
                    .create_branch(&NewBranch {
                        name: name.clone(),
                        parent_id: parent.or_else(|| Some(twin.id.clone())),
                        // A safety net: Neon deletes it by itself if nothing else does.
                        expires_at: Some(crate::time::rfc3339(now + 86_400_000.0)),
                        annotations: vec![("created-by".into(), "neon-gitops sync".into())],
                        ..Default::default()
                    })
                    .await?;
                rt.host.save_state(STATE_ID, &created.branch.id);
                rt.info(&format!(
                    "Created staging branch {name} ({})",
                    created.branch.id
                ));
                let conn = branch_connection(neon, &created.branch, role, database).await?;
                self.staging = Some(Staging::Neon {
                    branch: created.branch,
                });
                let staging = Conn::parse("staging", "twin-branch", &conn.url)?;
                empty_database(rt, self.client(), &staging).await?;
                Ok(staging)
            }
            Target::Url(_) => {
                let twin_db = target.database.clone();
                let name = swap::staging_name(&twin_db, now);
                let maintenance = target.with_database("the target server", "postgres");
                rt.host.save_state(STATE_KIND, "database");
                rt.host.save_state(STATE_NAME, &name);
                query(
                    rt,
                    self.client(),
                    &maintenance,
                    &[&format!("CREATE DATABASE {}", quote_ident(&name))],
                )
                .await?;
                self.staging = Some(Staging::Database {
                    maintenance: maintenance.clone(),
                    name: name.clone(),
                });
                let staging = target.with_database("staging", &name);
                // A new database is already empty; public is the template's.
                Ok(staging)
            }
        }
    }

    async fn run_step(&mut self, what: &str, command: Command) -> Result<()> {
        let out = self.rt.host.run(&command).await?;
        if out.success() {
            Ok(())
        } else {
            Err(Error::Failed(format!(
                "{what} failed: {}",
                self.rt.scrub(&pg::error_text(&out.stderr))
            )))
        }
    }

    async fn wait_data(
        &self,
        handle: u32,
        staging: &Conn,
        total: usize,
    ) -> crate::host::ProcessStatus {
        let rt = self.rt;
        loop {
            let status = rt.host.wait(handle, PROGRESS_MS).await;
            if status.done {
                return status;
            }
            let started = status
                .stderr
                .last()
                .map(|s| restore::tables_started(s))
                .unwrap_or(0);
            let size = query(rt, self.client(), staging, &["SELECT pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(pg_catalog.current_database()))"])
                .await
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "?".into());
            rt.info(&format!(
                "data: {}/{total} tables started, staging holds {size}",
                started.min(total)
            ));
        }
    }

    async fn swap(&mut self, twin: Option<&Branch>) -> Result<()> {
        let rt = self.rt;
        let now = rt.host.now_ms();
        match self.staging.as_ref().expect("staging exists") {
            Staging::Neon { branch } => {
                let neon = self.neon.as_ref().expect("neon client");
                let twin = twin.expect("twin");
                let backup = swap::backup_name(&twin.name, now);
                swap::neon_swap(rt, neon, twin, branch, &backup).await?;
                self.swapped = true;
                rt.info(&format!(
                    "Twin {} now holds the new copy; its previous state is branch {backup}",
                    twin.name
                ));
                self.report.backup = Some(backup);
                let notes =
                    swap::neon_tidy(rt, neon, &twin.name, branch, self.s.keep_backups).await;
                self.report.notes.extend(notes);
            }
            Staging::Database { maintenance, name } => {
                let twin_db = self.report.twin.clone();
                let backup = swap::backup_name(&twin_db, now);
                swap::database_swap(rt, self.client(), maintenance, &twin_db, name, &backup)
                    .await?;
                self.swapped = true;
                self.report.backup = Some(backup);
                let notes = swap::database_prune(
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
        rt.host.save_state(STATE_NAME, "");
        rt.host.save_state(STATE_ID, "");
        Ok(())
    }

    /// Kill what still runs, remove temporary files; on failure delete staging.
    async fn clean_up(&mut self, failed: bool) {
        let rt = self.rt;
        self.release_snapshot();
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
                    quote_ident(&name)
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
        rt.host.save_state(STATE_NAME, "");
        rt.host.save_state(STATE_ID, "");
    }

    /// Outputs, job summary, Slack.
    async fn publish(&mut self) {
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

/// Post a message to the Slack webhook; a failure is a warning, never a failed step.
async fn notify_slack<H: Host>(rt: &Runtime<H>, url: &str, payload: serde_json::Value) {
    let http = HttpClient {
        service: "Slack webhook",
        transport: ReqwestTransport::new(
            url,
            vec![("user-agent".into(), crate::USER_AGENT.into())],
            crate::http_timeout_ms(rt),
        ),
        policy: Default::default(),
    };
    let request = Request {
        method: Method::Post,
        path: String::new(),
        body: Some(payload),
    };
    match http.send(rt, &request).await {
        Ok(_) => rt.info("Slack notified"),
        Err(e) => rt.warning(&format!("could not notify Slack: {e}")),
    }
}

async fn server_major<H: Host>(rt: &Runtime<H>, client: &Client, conn: &Conn) -> Result<u32> {
    let out = query(rt, client, conn, &["SHOW server_version_num"]).await?;
    clients::parse_server_version_num(&out).ok_or_else(|| {
        Error::Failed(format!(
            "{} reported server_version_num `{}`",
            conn.label,
            out.trim()
        ))
    })
}

async fn cores<H: Host>(rt: &Runtime<H>) -> u64 {
    match rt.host.run(&Command::new("nproc")).await {
        Ok(out) if out.success() => out.stdout.trim().parse().unwrap_or(2).clamp(1, 64),
        _ => 2,
    }
}

/// `install-client: true`: apt-get the client package (sudo when not root).
async fn install_client<H: Host>(rt: &Runtime<H>, major: Option<u32>) -> Result<Option<Client>> {
    let package = major
        .map(clients::package_for)
        .unwrap_or_else(|| "postgresql-client".into());
    rt.info(&format!("Installing {package} (install-client: true)"));
    let root = rt
        .host
        .run(&Command::new("id").arg("-u"))
        .await
        .map(|o| o.stdout.trim() == "0")
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut c = if root {
            Command::new("apt-get")
        } else {
            Command::new("sudo").args(["-n", "apt-get"])
        };
        c = c
            .args(args.iter().copied())
            .env("DEBIAN_FRONTEND", "noninteractive")
            .streamed();
        c
    };
    let mut out = rt
        .host
        .run(&apt(&[
            "install",
            "-y",
            "--no-install-recommends",
            &package,
        ]))
        .await?;
    if !out.success() {
        let _ = rt.host.run(&apt(&["update"])).await;
        out = rt
            .host
            .run(&apt(&[
                "install",
                "-y",
                "--no-install-recommends",
                &package,
            ]))
            .await?;
    }
    if !out.success() {
        return Err(Error::Failed(format!(
            "installing {package} failed: {}. On ubuntu runners add the PostgreSQL apt repository first (`sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y`)",
            pg::error_text(&out.stderr)
        )));
    }
    let client = clients::discover(rt, &None).await?;
    match (client, major) {
        (Some(c), Some(m)) if c.major < m => Err(clients::too_old(m, "after installing", Some(&c))),
        (c, _) => Ok(c),
    }
}

/// Make a fresh Neon branch's database empty: staging starts as a copy of its parent.
async fn empty_database<H: Host>(rt: &Runtime<H>, client: &Client, conn: &Conn) -> Result<()> {
    const EMPTY: &str = r#"DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);
  END LOOP;
  FOR r IN SELECT nspname FROM pg_catalog.pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname !~ '^pg_' LOOP
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);
  END LOOP;
END $$"#;
    const PUBLIC: &str = r#"DO $$
BEGIN
  DROP SCHEMA IF EXISTS public CASCADE;
  CREATE SCHEMA public;
  BEGIN
    ALTER SCHEMA public OWNER TO pg_database_owner;
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  GRANT USAGE ON SCHEMA public TO PUBLIC;
  COMMENT ON SCHEMA public IS 'standard public schema';
END $$"#;
    query(rt, client, conn, &[EMPTY, PUBLIC]).await.map(|_| ())
}

/// The `post:` step: delete a staging branch/database a cancelled run left behind.
pub async fn post<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let name = rt.host.state(STATE_NAME);
    let phase = rt.host.state(STATE_PHASE);
    if name.is_empty() && phase.is_empty() {
        return Ok(());
    }
    let s = settings::read(&rt.host)?;
    let cleaned = clean_up_after_cancel(rt, &s, &name).await;
    if !phase.is_empty() {
        if let Some(url) = &s.slack_webhook_url {
            let report = Report {
                twin: match &s.target {
                    Target::Neon { twin_branch, .. } => twin_branch.clone(),
                    Target::Url(url) => crate::url::PgUrl::parse(url)
                        .map(|u| u.database)
                        .unwrap_or_default(),
                },
                failure: Some((
                    phase.clone(),
                    format!(
                        "The job was cancelled during {phase}.{}",
                        match &cleaned {
                            Ok(()) => " Staging was removed.",
                            Err(_) => " Staging could not be removed: see the job log.",
                        }
                    ),
                )),
                ..Default::default()
            };
            notify_slack(rt, url, report.slack_payload()).await;
        }
    }
    cleaned
}

async fn clean_up_after_cancel<H: Host>(rt: &Runtime<H>, s: &Settings, name: &str) -> Result<()> {
    if name.is_empty() {
        return Ok(());
    }
    rt.info(&format!(
        "The sync did not finish: removing its staging {name}"
    ));
    match (rt.host.state(STATE_KIND).as_str(), &s.target) {
        (
            "neon",
            Target::Neon {
                api_key,
                api_host,
                project_id,
                ..
            },
        ) => {
            let neon = NeonClient::new(rt, api_host, api_key, project_id);
            let id = rt.host.state(STATE_ID);
            let branch = if id.is_empty() {
                neon.find_branch_by_name(name).await?.map(|b| b.id)
            } else {
                Some(id)
            };
            match branch {
                Some(id) => {
                    // A branch still being created answers 423: delete_branch retries it.
                    neon.delete_branch(&id).await?;
                    rt.info(&format!("Deleted staging branch {name}"));
                }
                None => rt.info(&format!("Staging branch {name} was never created")),
            }
        }
        ("database", Target::Url(url)) => {
            let dir = rt.host.state(STATE_CLIENT);
            let client = match clients::discover(rt, &Some(dir).filter(|d| !d.is_empty())).await? {
                Some(c) => c,
                None => {
                    return Err(Error::Failed(format!(
                        "no psql to drop staging database {name} with; drop it by hand"
                    )))
                }
            };
            let maintenance = Conn::parse("the target server", "target-url", url)?
                .with_database("the target server", "postgres");
            query(
                rt,
                &client,
                &maintenance,
                &[&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(name)
                )],
            )
            .await?;
            rt.info(&format!("Dropped staging database {name}"));
        }
        _ => {}
    }
    Ok(())
}
