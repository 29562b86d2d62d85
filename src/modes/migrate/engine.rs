//! The engine: one database, one plan, one psql session per attempt. Inspect the tracking
//! table, plan, and apply the pending files in one script; retry what lock_timeout
//! cancelled, wait for another run's advisory lock, re-plan when the table changed
//! under us. Used for production, the rehearsal branch, and preview branches.
//!
//! Over 600 lines because the attempt loop (inspect, plan, apply, retry, re-plan) and the
//! bookkeeping of what each attempt left recorded are one state machine; split, each
//! half would need the other's private state. The pure parts live in pending.rs,
//! tracking.rs and psql.rs.

use super::discover::MigrationFile;
use super::pending::{self, Local, Plan, PlanError, Recorded};
use super::psql::{self, Client, Conn, Outcome, PsqlError, ScriptFile, ScriptSettings};
use super::settings::ApplySettings;
use super::tracking::{quote_literal, Row, TrackingTable};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::runtime::Runtime;
use crate::sql::format::MigrationFormat;
use crate::sql::{
    analyze_full, Analysis, ExecutionPlan, FileAnalysis, Parse, SourceFile, StatementKind,
};
use serde::Serialize;

/// What the database says before a run.
#[derive(Debug, Clone, Default)]
pub struct DbState {
    pub server_version_num: u32,
    pub table_exists: bool,
    pub recorded: Vec<Recorded>,
    pub fingerprint: String,
    /// `schema.index` of every index left INVALID (e.g. by a failed CONCURRENTLY).
    pub invalid_indexes: Vec<String>,
    /// Prisma's own history: whether `_prisma_migrations` exists, and its finished,
    /// not rolled back migrations as `(migration name, checksum)`.
    pub prisma_table: bool,
    pub prisma: Vec<(String, String)>,
}

/// A plan with its SQL analysis (the pending files only, in apply order).
pub struct Prepared {
    pub state: DbState,
    pub plan: Plan,
    pub analysis: Analysis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    Applied,
    Failed,
    NotRun,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    pub version: String,
    pub path: String,
    pub plan: Option<ExecutionPlan>,
    pub status: FileStatus,
    pub ms: u64,
    pub lock_retries: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub version: String,
    pub path: String,
    pub line: Option<u32>,
    pub sqlstate: Option<String>,
    pub message: String,
    pub details: Vec<String>,
    /// The failing file left nothing behind (its transaction rolled back).
    pub rolled_back: bool,
    /// Indexes this failure left INVALID, with the statement that removes each.
    pub invalid_indexes: Vec<String>,
}

impl Failure {
    /// What Postgres said: `SQLSTATE: message`, then its DETAIL/HINT/CONTEXT lines.
    pub fn postgres_message(&self) -> String {
        let mut message = format!(
            "{}{}",
            self.sqlstate
                .as_ref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default(),
            self.message
        );
        for d in &self.details {
            message.push('\n');
            message.push_str(d);
        }
        message
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplyReport {
    pub pending_before: usize,
    pub skipped: usize,
    pub baselined: Vec<String>,
    /// Every file that was pending when the run started, in order.
    pub files: Vec<FileResult>,
    pub failure: Option<Failure>,
    pub server_version_num: u32,
    pub client_version: String,
    /// Applied files the checkout changed, when the engine runs on a copy whose history
    /// came from production (a preview branch): reported, not applied, not stopping the
    /// new files. Elsewhere an edit stops the run.
    pub edited: Vec<EditedFile>,
    /// Traced runs: what production will feel (the last attempt's session).
    pub trace: Option<super::trace::Trace>,
}

/// An applied migration whose file changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditedFile {
    pub path: String,
    /// The UTC date production recorded it, when known.
    pub applied_on: Option<String>,
}

impl ApplyReport {
    pub fn applied(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| f.status == FileStatus::Applied)
            .map(|f| f.version.as_str())
            .collect()
    }
}

pub struct Engine<'a, H: Host> {
    rt: &'a Runtime<H>,
    pub client: Client,
    conn: Conn,
    files: &'a [MigrationFile],
    pub settings: &'a ApplySettings,
    /// Name of the database in messages ("production", "the rehearsal branch").
    pub target: String,
    /// The input the URL came from, named when it cannot be used.
    url_input: String,
    /// The tracking table was inherited from production (a preview branch): an edited
    /// applied file is reported (`ApplyReport::edited`) instead of stopping the run.
    pub inherited_history: bool,
    /// The catalog the lint judges with (see `read_catalog`); `None`: without one.
    pub catalog: Option<crate::sql::Catalog>,
    /// Trace locks and timings per statement (branches only, never production).
    pub trace: bool,
}

/// Prisma's history table, when there is one (on the search path, as Prisma puts it):
/// `NG_PRISMA []` for the table itself, then one line per finished migration.
const PRISMA_HISTORY_SQL: &str = "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS ng_prisma \\gset\n\\if :ng_prisma\nSELECT 'NG_PRISMA []';\nSELECT 'NG_PRISMA ' || json_build_array(migration_name, checksum)::text FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY started_at;\n\\endif";

fn invalid_indexes_sql() -> &'static str {
    "SELECT 'NG_INVALID ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid ORDER BY 1;"
}

/// A Prisma migration's name: its directory (`prisma/migrations/20240101_init/migration.sql`).
fn prisma_name(path: &str) -> String {
    let mut parts = path.rsplit('/');
    parts.next();
    parts.next().unwrap_or("").to_string()
}

/// Prisma's checksum of a migration file: SHA-256 of its bytes, hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    super::tracking::hex(&Sha256::digest(bytes))
}

/// Parse the inspection output (one `NG_*` line per fact).
pub fn parse_state(stdout: &str) -> DbState {
    let mut s = DbState {
        fingerprint: TrackingTable::empty_fingerprint(),
        ..Default::default()
    };
    for line in stdout.lines() {
        if let Some(v) = line.strip_prefix("NG_VERSION ") {
            s.server_version_num = v.trim().parse().unwrap_or(0);
        } else if let Some(j) = line.strip_prefix("NG_ROW ") {
            s.table_exists = true;
            if let Ok(serde_json::Value::Array(a)) = serde_json::from_str(j) {
                let t = |i: usize| a.get(i).and_then(|v| v.as_str()).unwrap_or("").to_string();
                s.recorded.push(Recorded {
                    version: t(0),
                    checksum: t(1),
                    status: t(2),
                    ms: a.get(3).and_then(|v| v.as_u64()),
                    applied_on: a.get(4).and_then(|v| v.as_str()).map(str::to_string),
                });
            }
        } else if let Some(f) = line.strip_prefix("NG_FP ") {
            s.table_exists = true;
            s.fingerprint = f.trim().to_string();
        } else if let Some(j) = line.strip_prefix("NG_PRISMA ") {
            s.prisma_table = true;
            if let Ok(serde_json::Value::Array(a)) = serde_json::from_str(j) {
                let t = |i: usize| a.get(i).and_then(|v| v.as_str()).unwrap_or("").to_string();
                if !t(0).is_empty() {
                    s.prisma.push((t(0), t(1)));
                }
            }
        } else if let Some(i) = line.strip_prefix("NG_INVALID ") {
            s.invalid_indexes.push(i.trim().to_string());
        }
    }
    s
}

/// Execution times the sessions did not print, from the rows they wrote.
fn fill_ms(report: &mut ApplyReport, state: &DbState) {
    for f in report
        .files
        .iter_mut()
        .filter(|f| f.status == FileStatus::Applied)
    {
        if let Some(ms) = state
            .recorded
            .iter()
            .find(|r| r.version == f.version)
            .and_then(|r| r.ms)
        {
            f.ms = ms;
        }
    }
}

/// Is the file all-or-nothing when it fails?
pub fn transactional(fa: &FileAnalysis) -> bool {
    match fa.plan {
        Some(ExecutionPlan::WrapInTransaction) => true,
        Some(ExecutionPlan::RunAsIs) => psql::single_transaction(&fa.statements).is_some(),
        _ => false,
    }
}

/// The line of the failing statement in the file: psql's line mapped back, refined by the
/// server's `LINE n:` position when psql quoted it.
pub fn failing_line(
    fa: &FileAnalysis,
    text: &str,
    mapped: Option<u32>,
    e: &PsqlError,
) -> Option<u32> {
    let mapped = mapped?;
    let stmt = fa
        .statements
        .iter()
        .filter(|s| s.kind == StatementKind::Sql)
        .find(|s| s.span.line <= mapped && mapped <= s.span.end_line);
    let (Some(stmt), Some(n)) = (stmt, e.position_line) else {
        return Some(mapped);
    };
    let guess = stmt.span.line + n - 1;
    if e.position_text.as_deref().is_none_or(str::is_empty) {
        return Some(guess.min(stmt.span.end_line));
    }
    let from = stmt.span.line.saturating_sub(50).max(1);
    near_quoted(
        text,
        guess,
        e.position_text.as_deref(),
        from..=stmt.span.end_line,
    )
    .or(Some(mapped))
}

/// The line psql quoted (possibly shortened with "...") at `guess`, else the nearest
/// one in `within`; None when it is nowhere there.
pub fn near_quoted(
    text: &str,
    guess: u32,
    quoted: Option<&str>,
    within: std::ops::RangeInclusive<u32>,
) -> Option<u32> {
    let Some(want) = quoted.filter(|t| !t.is_empty()) else {
        return Some(guess);
    };
    let lines: Vec<&str> = text.lines().collect();
    let matches = |l: u32| {
        l > 0
            && lines.get(l as usize - 1).is_some_and(|x| {
                x.contains(want) || want.contains(x.trim()) && !x.trim().is_empty()
            })
    };
    if matches(guess) {
        return Some(guess);
    }
    within
        .filter(|&l| matches(l))
        .min_by_key(|&l| (l as i64 - guess as i64).abs())
}

/// psql 10 brought `\\if`, which the inspection script uses.
const MIN_PSQL_MAJOR: u32 = 10;

/// `install-client: true`: the psql of `major` (`None`: the distribution's), installed now.
async fn installed_psql<H: Host>(rt: &Runtime<H>, major: Option<u32>) -> Result<Client> {
    let c = crate::pg::install::install(rt, major, "psql").await?;
    Ok(Client {
        path: format!("{}/psql", c.dir),
        major: c.major,
        version: c.major.to_string(),
    })
}

impl<'a, H: Host> Engine<'a, H> {
    pub async fn new(
        rt: &'a Runtime<H>,
        url: &str,
        url_input: &str,
        target: &str,
        files: &'a [MigrationFile],
        settings: &'a ApplySettings,
    ) -> Result<Engine<'a, H>> {
        rt.secret_url(url);
        let conn = Conn::parse(url, url_input)?;
        // `install-client` never overrides a client the user chose with `pg-bin-dir`.
        let install = settings.install_client && settings.pg_bin_dir.is_none();
        let client = match psql::locate(rt, settings.pg_bin_dir.as_deref()).await? {
            Some(c) => c,
            None if install => installed_psql(rt, None).await?,
            None => return Err(psql::missing()),
        };
        let mut engine = Engine {
            rt,
            client,
            conn,
            files,
            settings,
            target: target.to_string(),
            url_input: url_input.to_string(),
            inherited_history: false,
            catalog: None,
            trace: false,
        };
        if install {
            // Only here is the server asked before the inspection: a psql older than the
            // server works, but a user who asked for the client gets the server's major.
            let server_major = engine.server_major().await?;
            if engine.client.major < server_major {
                engine.client = installed_psql(rt, Some(server_major)).await?;
            }
        }
        Ok(engine)
    }

    async fn server_major(&self) -> Result<u32> {
        let out = self
            .psql("SELECT 'NG_VERSION ' || current_setting('server_version_num');\n".into())
            .await?;
        if !out.success() {
            return Err(self.no_session(&out.stderr));
        }
        Ok(crate::pg::server_major(
            parse_state(&out.stdout).server_version_num,
        ))
    }

    async fn psql(&self, script: String) -> Result<crate::host::ProcessOutput> {
        self.rt
            .host
            .run(&self.conn.command(&self.client, script))
            .await
            .map_err(|e| {
                Error::Failed(format!(
                    "{e}; install a working PostgreSQL client, or set `pg-bin-dir:` to a directory that holds one"
                ))
            })
    }

    /// The apply session, watched as it runs: a line per file as psql finishes it, and a
    /// heartbeat while one runs long (an index build can take minutes), so the log shows
    /// progress instead of a silence between the plan and the result.
    async fn psql_watched(
        &self,
        script: String,
        marker: &str,
        names: &[&str],
    ) -> Result<crate::host::ProcessOutput> {
        let rt = self.rt;
        let h = rt
            .host
            .spawn(&[self.conn.command(&self.client, script)])
            .map_err(|e| {
                Error::Failed(format!(
                    "{e}; install a working PostgreSQL client, or set `pg-bin-dir:` to a directory that holds one"
                ))
            })?;
        let mut told = vec![false; names.len()];
        let mut running: Option<(usize, f64, crate::runtime::Heartbeat)> = None;
        let mut looker = super::lockwait::Looker::new(self.settings.lock_timeout_ms);
        loop {
            let status = rt.host.wait(h, looker.tick_ms()).await;
            let complete = match status.stdout.rfind('\n') {
                Some(i) => &status.stdout[..=i],
                None => "",
            };
            for line in complete.lines() {
                let Some(rest) = line.strip_prefix(marker) else {
                    continue;
                };
                let mut words = rest.split_whitespace();
                let (Some(what), Some(Ok(i))) =
                    (words.next(), words.next().map(str::parse::<usize>))
                else {
                    continue;
                };
                match what {
                    "PID" => looker.pid = u32::try_from(i).ok(),
                    "START"
                        if running.as_ref().is_none_or(|r| r.0 != i)
                            && !told.get(i).copied().unwrap_or(true) =>
                    {
                        running = Some((i, rt.host.now_ms(), crate::runtime::Heartbeat::start(rt)));
                    }
                    "DONE" if i < told.len() && !told[i] => {
                        told[i] = true;
                        let took = running
                            .as_ref()
                            .filter(|r| r.0 == i)
                            .map(|r| format!(" in {:.1} s", (rt.host.now_ms() - r.1) / 1000.0))
                            .unwrap_or_default();
                        rt.info(&format!("applied {}{took}", names[i]));
                        running = None;
                    }
                    _ => {}
                }
            }
            if let (Some((i, since, _)), false) = (&running, status.done) {
                let i = *i;
                if let Some(sql) = looker.due(i, *since, rt.host.now_ms()) {
                    if let Ok(out) = self.psql(sql).await {
                        if let Some((what, who)) = looker.found(i, &out.stdout) {
                            rt.info(&rt.scrub(&format!(
                                "{}: waiting for a lock on {what} on {}, held by {who}",
                                names.get(i).copied().unwrap_or(""),
                                self.target
                            )));
                        }
                    }
                }
            }
            if let Some((i, _, beat)) = running.as_mut() {
                beat.tick(
                    rt,
                    &format!("{} to finish", names.get(*i).copied().unwrap_or("")),
                );
            }
            if status.done {
                return Ok(crate::host::ProcessOutput {
                    code: status.codes.first().copied().flatten(),
                    stdout: status.stdout,
                    stderr: status.stderr.join(""),
                });
            }
        }
    }

    fn no_session(&self, message: &str) -> Error {
        crate::pg::connect_error(
            &self.target,
            &self.url_input,
            &self.conn.url,
            &self.rt.scrub(message),
        )
    }

    /// Read-only look at the database: server version, tracking rows, invalid indexes.
    pub async fn inspect(&self) -> Result<DbState> {
        let t = &self.settings.tracking;
        let script = format!(
            "\\set ON_ERROR_STOP 1\nSELECT 'NG_VERSION ' || current_setting('server_version_num');\nSELECT to_regclass({}) IS NOT NULL AS ng_has \\gset\n\\if :ng_has\n{};\nSELECT 'NG_FP ' || ({});\n\\endif\n{}\n{}\n",
            quote_literal(&t.qualified()),
            t.rows_sql(),
            t.fingerprint_sql(),
            invalid_indexes_sql(),
            PRISMA_HISTORY_SQL
        );
        let out = self.psql(script).await?;
        if !out.success() {
            return Err(self.no_session(&out.stderr));
        }
        let state = parse_state(&out.stdout);
        if state.server_version_num == 0 {
            return Err(Error::Failed(format!(
                "{} did not answer like psql (no server version in its output); set `pg-bin-dir:` to a PostgreSQL client directory",
                self.client.path
            )));
        }
        let server_major = crate::pg::server_major(state.server_version_num);
        self.check_client(server_major)?;
        Ok(state)
    }

    /// psql talks to newer servers: the plain SQL, `\gset`, `\if` and `\;` this action
    /// sends work on every server since 10; only `\d`-style describe commands may not. So
    /// an older psql gets a notice, and only one without `\if` (before 10) is refused.
    fn check_client(&self, server_major: u32) -> Result<()> {
        let c = &self.client;
        if c.major < MIN_PSQL_MAJOR {
            return Err(Error::Failed(format!(
                "psql {} ({}) cannot run this action's scripts: they use `\\if`, which psql has since version {MIN_PSQL_MAJOR}. Install a newer client (`install-client: true`, or postgresql-client-{server_major}) or set `pg-bin-dir:` to one",
                c.version, c.path
            )));
        }
        if c.major < server_major {
            self.rt.notice_once(&format!(
                "psql {} ({}) is older than the {} server (PostgreSQL {server_major}). That works for SQL migrations: psql speaks to newer servers, only its describe commands (\\d) may not. For the matching client set `install-client: true` (installs postgresql-client-{server_major}) or `pg-bin-dir:`",
                c.major, c.path, self.target
            ));
        }
        Ok(())
    }

    /// Prisma migrations that Prisma's own table records and ours does not (a database
    /// Prisma migrated until now): applied, so adopting needs no `baseline`. A file whose
    /// bytes no longer match Prisma's checksum shows as edited after apply, as Prisma
    /// itself would refuse it.
    fn recorded_by_prisma(&self, state: &DbState) -> Vec<Recorded> {
        self.files
            .iter()
            .filter(|f| f.format == MigrationFormat::Prisma)
            .filter(|f| !state.recorded.iter().any(|r| r.version == f.version))
            .filter_map(|f| {
                let name = prisma_name(&f.path);
                let (_, checksum) = state.prisma.iter().rev().find(|(n, _)| *n == name)?;
                Some(Recorded {
                    version: f.version.clone(),
                    checksum: if *checksum == sha256_hex(&f.bytes) {
                        f.checksum.clone()
                    } else {
                        checksum.clone()
                    },
                    status: "prisma".into(),
                    ms: None,
                    applied_on: None,
                })
            })
            .collect()
    }

    fn locals(&self) -> Vec<Local> {
        self.files
            .iter()
            .map(|f| Local {
                version: f.version.clone(),
                checksum: f.checksum.clone(),
                repeatable: matches!(f.key, crate::sql::format::OrderKey::Repeatable(..)),
            })
            .collect()
    }

    pub fn analyze(&self, indices: &[usize]) -> Analysis {
        let sources: Vec<SourceFile> = indices
            .iter()
            .map(|&i| SourceFile {
                path: self.files[i].path.clone(),
                bytes: self.files[i].bytes.clone(),
                metadata: self.files[i].metadata.clone(),
                format: Some(self.files[i].format),
            })
            .collect();
        // The engine reports no "not analysed" statements: no sqlparser pass.
        analyze_full(
            &sources,
            &self.settings.lint,
            Parse::No,
            self.catalog.as_ref(),
        )
    }

    /// The database's catalog for the lint (`sql::catalog::CATALOG_SQL`), labelled
    /// `source` in the findings. `None`, and why in the log, when it cannot be read.
    pub async fn read_catalog(&self, source: &str) -> Option<crate::sql::Catalog> {
        let out = match self.psql(crate::sql::catalog::CATALOG_SQL.into()).await {
            Ok(out) if out.success() => out,
            Ok(out) => {
                let first = out.stderr.lines().find(|l| !l.trim().is_empty());
                self.rt.info(&format!(
                    "Lint judged without a catalog ({})",
                    self.rt.scrub(first.unwrap_or("psql failed"))
                ));
                return None;
            }
            Err(e) => {
                self.rt
                    .info(&format!("Lint judged without a catalog ({e})"));
                return None;
            }
        };
        Some(crate::sql::Catalog::parse(source, &out.stdout))
    }

    pub async fn prepare(&self, only: Option<&[String]>) -> Result<Prepared> {
        let t0 = self.rt.host.now_ms();
        let state = self.inspect().await?;
        let t1 = self.rt.host.now_ms();
        let mut recorded = state.recorded.clone();
        recorded.extend(self.recorded_by_prisma(&state));
        let plan = pending::plan(
            &self.locals(),
            &recorded,
            self.settings.baseline.as_deref(),
            only,
        )
        .map_err(|e| match e {
            PlanError::UnknownBaseline(b) => Error::input(
                "baseline",
                format!("`{b}` is not one of the migration files (give its path relative to the migrations directory, as the tracking table records it)"),
            ),
        })?;
        let analysis = self.analyze(&plan.pending);
        self.rt.debug(&format!(
            "migrate: inspected {} in {:.0} ms, analysed {} pending file(s) in {:.0} ms",
            self.target,
            t1 - t0,
            plan.pending.len(),
            self.rt.host.now_ms() - t1
        ));
        Ok(Prepared {
            state,
            plan,
            analysis,
        })
    }

    /// Errors that stop the run before anything is applied: edited files, out-of-order
    /// files (unless allowed). The rehearsal (`only`) applies a fixed set and skips them.
    pub fn plan_errors(&self, plan: &Plan) -> Vec<(usize, String)> {
        let mut errs = Vec::new();
        for e in plan.edited.iter().filter(|_| !self.inherited_history) {
            errs.push((
                e.index,
                format!(
                    "{} was edited after it was applied to {}: the tracking table has checksum {} but the file now has {}. Applied migrations must not change: revert the edit and put the change in a new migration file",
                    self.files[e.index].version, self.target, e.recorded_checksum, e.checksum
                ),
            ));
        }
        if !self.settings.allow_out_of_order {
            for &i in &plan.out_of_order {
                errs.push((
                    i,
                    format!(
                        "{} is pending but sorts before migrations already applied to {}: it was probably merged late. Rename it so it sorts after the last applied file, or set `allow-out-of-order: true` if it does not depend on order",
                        self.files[i].version, self.target
                    ),
                ));
            }
        }
        errs
    }

    /// The tracking row of file `i`; with `prisma_table`, a Prisma migration's row in
    /// `_prisma_migrations` too.
    fn row(&self, i: usize, status: &'static str, prisma_table: bool) -> Row {
        let f = &self.files[i];
        let prisma = (prisma_table && status == "applied" && f.format == MigrationFormat::Prisma)
            .then(|| (prisma_name(&f.path), sha256_hex(&f.bytes)));
        Row {
            prisma,
            version: self.files[i].version.clone(),
            checksum: self.files[i].checksum.clone(),
            applied_by: self.settings.applied_by.clone(),
            run_url: self.settings.run_url.clone(),
            status,
        }
    }

    /// Apply everything pending (or exactly `only`). A failing migration is reported in
    /// the returned report; `Err` is for what stops the engine itself (no psql, no
    /// connection, the lock never came free, edited files).
    pub async fn apply(&self, only: Option<&[String]>) -> Result<ApplyReport> {
        self.apply_from(only, None).await
    }

    /// [`Engine::apply`] starting from a plan the caller already made (and reported):
    /// the first attempt does not inspect and analyse again.
    pub async fn apply_from(
        &self,
        only: Option<&[String]>,
        mut prepared: Option<Prepared>,
    ) -> Result<ApplyReport> {
        let rt = self.rt;
        let mut report = ApplyReport {
            client_version: self.client.version.clone(),
            ..Default::default()
        };
        let started = rt.host.now_ms();
        let mut retries: std::collections::HashMap<usize, u32> = Default::default();
        // Files sent statement by statement after their one-query form failed without
        // saying where (see below).
        let mut precise: std::collections::HashSet<usize> = Default::default();
        // A session did not print some applied file's execution time (one-query files of
        // a session that ended in an error): read them from the tracking table at the end.
        let mut ms_missing = false;
        let mut stale = 0;
        let mut waiting_logged = false;
        let mut first = true;
        loop {
            let p = match prepared.take() {
                Some(p) => p,
                None => self.prepare(only).await?,
            };
            if first {
                first = false;
                report.pending_before = p.plan.pending.len();
                report.skipped = p.plan.skipped;
                report.server_version_num = p.state.server_version_num;
                report.files = p
                    .plan
                    .pending
                    .iter()
                    .zip(&p.analysis.files)
                    .map(|(&i, fa)| FileResult {
                        version: self.files[i].version.clone(),
                        path: self.files[i].path.clone(),
                        plan: fa.plan,
                        status: FileStatus::NotRun,
                        ms: 0,
                        lock_retries: 0,
                    })
                    .collect();
            }
            if only.is_none() {
                if let Some((_, msg)) = self.plan_errors(&p.plan).into_iter().next() {
                    return Err(Error::Failed(msg));
                }
            }
            if self.inherited_history {
                report.edited = p
                    .plan
                    .edited
                    .iter()
                    .map(|e| EditedFile {
                        path: self.files[e.index].path.clone(),
                        applied_on: e.applied_on.clone(),
                    })
                    .collect();
            }
            if p.plan.pending.is_empty() && p.plan.baseline.is_empty() {
                return Ok(report);
            }
            let texts: Vec<String> = p
                .plan
                .pending
                .iter()
                .map(|&i| String::from_utf8_lossy(&self.files[i].bytes).into_owned())
                .collect();
            let mut script_files = Vec::new();
            for (k, &i) in p.plan.pending.iter().enumerate() {
                let fa = &p.analysis.files[k];
                let f = &self.files[i];
                let (Some(plan), None) = (fa.plan, &fa.file_error) else {
                    return Err(Error::Failed(format!(
                        "{} cannot be applied: {}",
                        f.path,
                        fa.file_error
                            .as_ref()
                            .map(|e| e.to_string())
                            .unwrap_or_default()
                    )));
                };
                // Validation errors stop the run before psql sees anything, whoever the
                // caller is (migrate reports them first; preview and rehearsals rely on
                // this): a refused psql meta-command must never reach psql.
                if let Some(e) = fa.errors.first() {
                    return Err(Error::Failed(format!(
                        "{}:{}:{}: {}; nothing was applied to {}",
                        f.path, e.line, e.col, e.message, self.target
                    )));
                }
                let section =
                    crate::sql::format::section(f.format, &texts[k], f.metadata.as_deref())
                        .map_err(|e| Error::Failed(format!("{}: {e}", f.path)))?;
                script_files.push(ScriptFile {
                    text: &texts[k],
                    start: section.start,
                    end: section.end,
                    plan,
                    statements: &fa.statements,
                    row: self.row(i, "applied", p.state.prisma_table),
                    one_query: !precise.contains(&i),
                });
            }
            let marker = format!("NG_{:08x}", (rt.host.random() * 4_294_967_295.0) as u64);
            let script = psql::build(
                &script_files,
                &ScriptSettings {
                    tracking: &self.settings.tracking,
                    lock_timeout_ms: self.settings.lock_timeout_ms,
                    create_table: !p.state.table_exists,
                    expected_fingerprint: &p.state.fingerprint,
                    baseline: p
                        .plan
                        .baseline
                        .iter()
                        .map(|&i| self.row(i, "baseline", false))
                        .collect(),
                    marker,
                    trace: self.trace,
                    show_all_results: self.client.major >= 15,
                },
            );
            let t_run = rt.host.now_ms();
            let names: Vec<&str> = p
                .plan
                .pending
                .iter()
                .map(|&i| self.files[i].version.as_str())
                .collect();
            let out = self
                .psql_watched(script.text.clone(), &script.marker, &names)
                .await?;
            rt.debug(&format!(
                "migrate: psql session on {} ({} file(s), {} script bytes) took {:.0} ms",
                self.target,
                script_files.len(),
                script.text.len(),
                rt.host.now_ms() - t_run
            ));
            let outcome = psql::parse_outcome(&script.marker, out.code, &out.stdout, &out.stderr);
            if self.trace {
                let infos: Vec<super::trace::model::FileInfo> = p
                    .plan
                    .pending
                    .iter()
                    .zip(&p.analysis.files)
                    .map(|(&i, fa)| super::trace::model::FileInfo {
                        path: &self.files[i].path,
                        statements: &fa.statements,
                        findings: &fa.findings,
                    })
                    .collect();
                report.trace = Some(super::trace::model::analyse(
                    &script.marker,
                    &out.stdout,
                    &script.sites,
                    &infos,
                ));
            }
            // What a session that ran (to the end or to an error) left recorded: the
            // files it finished and the baseline rows it wrote first.
            let mut record_session = |report: &mut ApplyReport, done: &[(usize, Option<u64>)]| {
                for &(k, ms) in done {
                    let version = &self.files[p.plan.pending[k]].version;
                    if let Some(r) = report.files.iter_mut().find(|r| &r.version == version) {
                        r.status = FileStatus::Applied;
                        match ms {
                            Some(ms) => r.ms = ms,
                            None => ms_missing = true,
                        }
                    }
                }
                report.baselined.extend(
                    p.plan
                        .baseline
                        .iter()
                        .map(|&i| self.files[i].version.clone()),
                );
            };
            match outcome {
                Outcome::LockBusy { holder } => {
                    let waited = rt.host.now_ms() - started;
                    if waited >= self.settings.lock_wait_ms as f64 {
                        return Err(Error::Failed(format!(
                            "another neon-gitops migrate run holds the migration lock on {} (advisory lock {} for {}; held by {}) and did not release it within lock-wait ({} s). Nothing was applied by this run. If no other run is active, find the session with `SELECT * FROM pg_locks WHERE locktype = 'advisory'` and end it, then re-run; or raise `lock-wait`",
                            self.target,
                            self.settings.tracking.lock_key(),
                            self.settings.tracking.qualified(),
                            holder.unwrap_or_else(|| "an unknown session".into()),
                            self.settings.lock_wait_ms / 1000
                        )));
                    }
                    if !waiting_logged {
                        waiting_logged = true;
                        rt.info(&format!(
                            "Another migrate run holds the migration lock on {} ({}); waiting up to {} s for it to finish",
                            self.target,
                            holder.unwrap_or_else(|| "holder unknown".into()),
                            self.settings.lock_wait_ms / 1000
                        ));
                    }
                    // What is pending may change while we wait: report the plan the
                    // run finally executes.
                    first = true;
                    let left = self.settings.lock_wait_ms as f64 - waited;
                    rt.host.sleep(left.clamp(50.0, 1000.0) as u64).await;
                }
                Outcome::Stale => {
                    stale += 1;
                    if stale > 20 {
                        return Err(Error::Failed(format!("the tracking table on {} keeps changing while this run plans; is another tool writing to it?", self.target)));
                    }
                    rt.info("The tracking table changed since planning (another run applied migrations); planning again");
                    first = true;
                }
                Outcome::Finished { done } => {
                    record_session(&mut report, &done);
                    if ms_missing {
                        if let Ok(state) = self.inspect().await {
                            fill_ms(&mut report, &state);
                        }
                    }
                    return Ok(report);
                }
                Outcome::NoSession(msg) => return Err(self.no_session(&msg)),
                Outcome::Failed { done, error } => {
                    record_session(&mut report, &done);
                    // A file sent as one query: psql names the line where the query
                    // ends, the server's `LINE n:` counts from where it begins.
                    let query = error.script_line.and_then(|l| {
                        script
                            .queries
                            .iter()
                            .find(|q| q.first_line <= l && l <= q.last_line)
                    });
                    let mapped = match query {
                        Some(q) => error
                            .position_line
                            .and_then(|n| psql::map_line(&script.blocks, q.first_line + n - 1))
                            .or(Some((q.file, 0))),
                        None => error
                            .script_line
                            .and_then(|l| psql::map_line(&script.blocks, l)),
                    };
                    let k = mapped.map(|(f, _)| f).unwrap_or(done.len());
                    let Some(&i) = p.plan.pending.get(k) else {
                        return Err(Error::Failed(format!(
                            "psql failed on {} outside any migration file: {}",
                            self.target,
                            rt.scrub(&error.message)
                        )));
                    };
                    let fa = &p.analysis.files[k];
                    let rolled_back = transactional(fa);
                    let version = self.files[i].version.clone();
                    let is_lock_timeout = error.sqlstate.as_deref() == Some("55P03");
                    let pinned = query.is_none() || error.position_line.is_some();
                    if !pinned {
                        // Postgres names no position for errors like "relation already
                        // exists" and cannot say which statement of a multi-statement
                        // query failed. The file's transaction rolled back, so it runs
                        // again the precise way, statement by statement: that attempt
                        // either succeeds (the error was transient) or fails at a line.
                        // Not for a cancel or a statement_timeout: those would only cost
                        // the same wait twice.
                        let slow = matches!(error.sqlstate.as_deref(), Some("57014"));
                        if precise.insert(i) && !slow && !is_lock_timeout {
                            rt.info(&format!(
                                "{}: failed as one query ({}); running it again statement by statement to find the failing line (its transaction was rolled back)",
                                self.files[i].version,
                                rt.scrub(&error.message)
                            ));
                            continue;
                        }
                    }
                    let tries = retries.entry(i).or_insert(0);
                    if is_lock_timeout
                        && rolled_back
                        && (*tries as u64) < self.settings.lock_retries
                    {
                        *tries += 1;
                        let attempt = *tries;
                        if let Some(r) = report.files.iter_mut().find(|r| r.version == version) {
                            r.lock_retries = attempt;
                        }
                        let backoff = (1000.0 * 2f64.powi(attempt as i32 - 1)).min(30_000.0)
                            * (0.8 + 0.4 * rt.host.random());
                        rt.warning(&format!(
                            "{version}: lock_timeout ({} ms) expired waiting for a lock ({}); the file's transaction was rolled back. Retry {attempt} of {} in {:.1} s",
                            self.settings.lock_timeout_ms,
                            error.message,
                            self.settings.lock_retries,
                            backoff / 1000.0
                        ));
                        rt.host.sleep(backoff as u64).await;
                        continue;
                    }
                    if let Some(r) = report.files.iter_mut().find(|r| r.version == version) {
                        r.status = FileStatus::Failed;
                    }
                    let line = match query {
                        Some(_) if pinned => mapped.map(|(_, l)| {
                            let within = l.saturating_sub(50).max(1)..=l + 50;
                            near_quoted(&texts[k], l, error.position_text.as_deref(), within)
                                .unwrap_or(l)
                        }),
                        Some(_) => None,
                        None => failing_line(fa, &texts[k], mapped.map(|(_, l)| l), &error),
                    };
                    let after = self.inspect().await.ok();
                    if let Some(state) = &after {
                        fill_ms(&mut report, state);
                    }
                    let invalid: Vec<String> = after
                        .map(|s| s.invalid_indexes)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|x| !p.state.invalid_indexes.contains(x))
                        .collect();
                    let mut details = error.details.clone();
                    if is_lock_timeout {
                        details.push(if rolled_back {
                            format!("gave up after {} lock_timeout retries", self.settings.lock_retries)
                        } else {
                            "not retried: the file is not transactional, so a retry could re-run statements that already succeeded".to_string()
                        });
                    }
                    report.failure = Some(Failure {
                        version,
                        path: self.files[i].path.clone(),
                        line,
                        sqlstate: error.sqlstate.clone(),
                        message: rt.scrub(&error.message),
                        details: details.iter().map(|d| rt.scrub(d)).collect(),
                        rolled_back,
                        invalid_indexes: invalid,
                    });
                    return Ok(report);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::analyze;

    #[test]
    fn parses_inspection() {
        let s = parse_state("NG_VERSION 150018\nNG_ROW [\"a.sql\", \"abc\", \"applied\"]\nNG_FP ff\nNG_INVALID public.i\n");
        assert_eq!(s.server_version_num, 150018);
        assert!(s.table_exists);
        assert_eq!(s.recorded[0].version, "a.sql");
        assert_eq!(s.fingerprint, "ff");
        assert_eq!(s.invalid_indexes, ["public.i"]);
        let empty = parse_state("NG_VERSION 160000\n");
        assert!(!empty.table_exists);
        assert_eq!(empty.fingerprint, TrackingTable::empty_fingerprint());
    }

    #[test]
    fn failing_line_uses_the_server_position() {
        let text = "create table a (id int);\n\nalter table a\n  add column b int,\n  add column nosuch_type_col nosuch;\n";
        let a = analyze(&[SourceFile::new("m/1.sql", text)], &Default::default());
        let e = PsqlError {
            position_line: Some(3),
            position_text: Some("add column nosuch_type_col nosuch;".into()),
            ..Default::default()
        };
        // psql reports the line the statement ended on (5); the server says its 3rd line.
        assert_eq!(failing_line(&a.files[0], text, Some(5), &e), Some(5));
        let e2 = PsqlError {
            position_line: Some(1),
            position_text: Some("alter table a".into()),
            ..Default::default()
        };
        assert_eq!(failing_line(&a.files[0], text, Some(5), &e2), Some(3));
        assert_eq!(
            failing_line(&a.files[0], text, Some(1), &PsqlError::default()),
            Some(1)
        );
    }
}
