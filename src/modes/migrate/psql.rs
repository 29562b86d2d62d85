//! The psql session driver: find a client at least as new as the server, build the one
//! script a run feeds to one psql process (lock → files by plan → tracking rows →
//! unlock, with `\echo` markers), and read psql's output back: which files finished,
//! and where an error happened, mapped from the script's line to the file's own line.
//!
//! Over 600 lines, about half of it tests: the script builder and the output parser
//! share the marker protocol and the line mapping, and are tested against each other.

use super::tracking::{quote_literal, Row, TrackingTable};
use crate::error::{Error, Result};
use crate::host::{Command, EntryKind, Host};
use crate::runtime::Runtime;
use crate::sql::{ExecutionPlan, Statement, StatementKind};
use crate::url::PgUrl;

use crate::pg::{parse_client_version, CLIENT_ROOT as DEFAULT_ROOT};

/// A psql binary and its major version.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub path: String,
    pub major: u32,
    pub version: String,
}

/// The psql to run: the newest under `/usr/lib/postgresql/<N>/bin` (its directory names
/// the major), else the `psql` on PATH (macOS and self-hosted runners), or the one in
/// `pg-bin-dir` (asked for its version). `None`: no psql on this runner.
pub async fn locate<H: Host>(rt: &Runtime<H>, bin_dir: Option<&str>) -> Result<Option<Client>> {
    let Some(dir) = bin_dir else {
        // No `psql --version` run needed: the inspection session checks the major
        // against the server's.
        if let Some((major, dir)) = crate::pg::find_installed(&rt.host, "psql")
            .into_iter()
            .next()
        {
            return Ok(Some(Client {
                path: format!("{dir}/psql"),
                major,
                version: major.to_string(),
            }));
        }
        return Ok(
            match rt.host.run(&Command::new("psql").arg("--version")).await {
                Ok(out) if out.success() => {
                    parse_client_version(&out.stdout).map(|(version, major)| Client {
                        path: "psql".into(),
                        major,
                        version,
                    })
                }
                _ => None,
            },
        );
    };
    let dir = dir.trim_end_matches('/');
    let has_psql = rt.host.walk(dir).map(|entries| {
        entries
            .iter()
            .any(|e| e.path == "psql" && e.kind != EntryKind::Dir)
    });
    match has_psql {
        Ok(true) => {}
        Ok(false) => return Err(Error::input(
            "pg-bin-dir",
            format!("`{dir}` has no psql in it: set it to the directory holding the PostgreSQL client (e.g. {DEFAULT_ROOT}/16/bin), or leave it empty to use the newest under {DEFAULT_ROOT}"),
        )),
        Err(_) => return Err(Error::input(
            "pg-bin-dir",
            format!("`{dir}` is not a directory on the runner: set it to the directory holding the PostgreSQL client (e.g. {DEFAULT_ROOT}/16/bin), or leave it empty to use the newest under {DEFAULT_ROOT}"),
        )),
    }
    let path = format!("{dir}/psql");
    let out = rt
        .host
        .run(&Command::new(&path).arg("--version"))
        .await
        .map_err(|e| {
            Error::Failed(format!(
                "cannot run {path} ({e}); set `pg-bin-dir:` to a directory that holds a working psql"
            ))
        })?;
    let (version, major) = parse_client_version(&out.stdout).ok_or_else(|| {
        Error::Failed(format!(
            "{path} --version printed `{}`, which is not a psql version; set `pg-bin-dir:` to a PostgreSQL client directory",
            out.stdout.trim()
        ))
    })?;
    Ok(Some(Client {
        path,
        major,
        version,
    }))
}

/// No psql anywhere: what to do about it.
pub fn missing() -> Error {
    Error::Failed(format!(
        "no psql client found under {DEFAULT_ROOT}/*/bin or on PATH: set `install-client: true`, install one before this step (`sudo apt-get install -y postgresql-client`), or set `pg-bin-dir:` to the directory holding psql"
    ))
}

/// Where to connect: the URL without its password (psql's argv is visible to `ps`), the
/// password for PGPASSWORD.
#[derive(Debug, Clone)]
pub struct Conn {
    pub url: String,
    pub password: Option<String>,
}

impl Conn {
    pub fn parse(url: &str, input: &str) -> Result<Conn> {
        let parsed = PgUrl::parse(url).ok_or_else(|| {
            Error::input(
                input,
                "is not a postgres:// or postgresql:// connection URL",
            )
        })?;
        Ok(Conn {
            url: parsed.without_password(),
            password: parsed.password.clone().filter(|p| !p.is_empty()),
        })
    }

    pub fn command(&self, client: &Client, script: String) -> Command {
        let mut cmd = Command::new(&client.path)
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-f",
                "-",
                "-d",
            ])
            .arg(&self.url)
            .env("PGAPPNAME", "neon-gitops")
            .env("PGCONNECT_TIMEOUT", "30")
            .stdin(script);
        if let Some(p) = &self.password {
            cmd = cmd.env("PGPASSWORD", p);
        }
        cmd
    }
}

/// One file of the run, as the script needs it.
pub struct ScriptFile<'a> {
    pub text: &'a str,
    /// Byte range and first line of the part psql runs (dbmate: the UP section).
    pub start: usize,
    pub end: usize,
    pub plan: ExecutionPlan,
    pub statements: &'a [Statement],
    pub row: Row,
    /// Send the file, its tracking row and its COMMIT as one query (see `one_query`),
    /// when it is eligible. The engine turns it off for a file whose failure in that
    /// form could not be pinned to a statement.
    pub one_query: bool,
}

/// A region of the script copied verbatim from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Index of the file in the script's file list.
    pub file: usize,
    pub script_line: u32,
    pub script_end_line: u32,
    pub file_line: u32,
}

/// A file sent as one query: psql reports its errors at `last_line` (where the query
/// ends), and the server's `LINE n:` counts from `first_line`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub file: usize,
    pub first_line: u32,
    pub last_line: u32,
}

pub struct Script {
    pub text: String,
    pub marker: String,
    pub blocks: Vec<Block>,
    pub queries: Vec<Query>,
    /// Traced runs: what each probe (`<marker> P <site> …`) was printed after.
    pub sites: Vec<super::trace::Site>,
}

pub(super) struct Writer {
    pub(super) text: String,
    pub(super) line: u32,
}

impl Writer {
    pub(super) fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.line += s.bytes().filter(|&b| b == b'\n').count() as u32;
    }
    pub(super) fn line(&mut self, s: &str) {
        self.push(s);
        self.push("\n");
    }
}

pub struct ScriptSettings<'a> {
    pub tracking: &'a TrackingTable,
    pub lock_timeout_ms: u64,
    pub create_table: bool,
    pub expected_fingerprint: &'a str,
    pub baseline: Vec<Row>,
    pub marker: String,
    /// Probe locks, rewrites and timings after every statement (preview and rehearsal
    /// branches only: production keeps the untraced script).
    pub trace: bool,
    /// psql 15+ prints every result of a multi-statement query: a traced file can then go
    /// to the server as one query, probes included (one round trip, as untraced).
    pub show_all_results: bool,
}

fn first_word(s: &str) -> String {
    s.trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

fn is_control(s: &Statement) -> bool {
    s.kind == StatementKind::Sql
        && matches!(
            first_word(&s.text).as_str(),
            "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "PREPARE"
        )
}

/// A file that is exactly `BEGIN; …; COMMIT;`: its tracking row can go inside its own
/// transaction, just before the COMMIT, so the file and its record are all-or-nothing.
/// Returns the index of the COMMIT statement.
pub fn single_transaction(statements: &[Statement]) -> Option<usize> {
    let sql: Vec<usize> = (0..statements.len())
        .filter(|&i| statements[i].kind == StatementKind::Sql)
        .collect();
    let (&first, &last) = (sql.first()?, sql.last()?);
    if first == last {
        return None;
    }
    let begin = first_word(&statements[first].text);
    let begins = begin == "BEGIN"
        || (begin == "START"
            && statements[first]
                .text
                .to_ascii_uppercase()
                .contains("TRANSACTION"));
    let end_text = statements[last].text.to_ascii_uppercase();
    let ends = matches!(first_word(&end_text).as_str(), "COMMIT" | "END")
        && !end_text.contains("PREPARED")
        && !end_text.contains("CHAIN");
    let inner_control = sql[1..sql.len() - 1]
        .iter()
        .any(|&i| is_control(&statements[i]));
    (begins && ends && !inner_control).then_some(last)
}

/// Does the part end inside an unterminated SQL statement (psql -f would send it at EOF)?
pub(super) fn needs_terminator(statements: &[Statement]) -> bool {
    match statements.last() {
        Some(s) if s.kind == StatementKind::Sql => {
            let t = s.text.trim_end();
            !t.ends_with(';') && !t.ends_with("\\.")
        }
        _ => false,
    }
}

/// Elapsed ms of a file that ran in one transaction: `now()` is when it began.
pub(super) const ELAPSED_TX: &str =
    "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint";
/// Elapsed ms of any other file, from the time taken before it.
pub(super) const ELAPSED: &str =
    "(extract(epoch FROM clock_timestamp() - :'ng_t0'::timestamptz) * 1000)::bigint";

/// Might the file change session state (settings, role) that must not leak into the
/// next file? Only then is the state reset after it: every reset is a round trip.
pub fn changes_session(statements: &[Statement]) -> (bool, bool) {
    let mut settings = false;
    let mut role = false;
    for s in statements.iter().filter(|s| s.kind == StatementKind::Sql) {
        let upper = s.text.to_ascii_uppercase();
        let first = first_word(&upper);
        if first == "SET" || first == "RESET" || upper.contains("SET_CONFIG") {
            settings = true;
            let words: Vec<&str> = upper.split_whitespace().take(3).collect();
            if words.contains(&"ROLE") || words.contains(&"SESSION") {
                role = true;
            }
        }
    }
    (settings, role)
}

/// Can the file go to the server as one query (`stmt \; stmt \; … COMMIT;`)? That is
/// one round trip per file instead of one per statement (dbmate and golang-migrate send
/// a migration the same way), and it needs a file psql would not treat specially:
/// plain SQL statements only (no meta-commands, no `COPY … FROM stdin` data), each
/// ending in its own `;`, in one transaction (ours, or the file's own BEGIN … COMMIT).
pub fn one_query_eligible(text: &str, plan: ExecutionPlan, statements: &[Statement]) -> bool {
    let transactional = plan == ExecutionPlan::WrapInTransaction
        || (plan == ExecutionPlan::RunAsIs && single_transaction(statements).is_some());
    transactional
        && !statements.is_empty()
        && statements.iter().all(|s| {
            s.kind == StatementKind::Sql
                && s.span.end > s.span.start
                && text.get(s.span.start..s.span.end) == Some(s.text.as_str())
                && s.text.trim_end().ends_with(';')
        })
}

/// `text[a..b]` with each statement's terminating `;` written as psql's `\;` (keep
/// collecting, send nothing yet). Lines do not move.
fn chain_terminators(text: &str, a: usize, b: usize, statements: &[Statement]) -> String {
    let mut out = String::with_capacity(b - a + statements.len());
    let mut at = a;
    for s in statements {
        if s.span.start < a || s.span.end > b {
            continue;
        }
        let semi = s.span.start + s.text.trim_end().len() - 1;
        out.push_str(&text[at..semi]);
        out.push_str("\\;");
        at = semi + 1;
    }
    out.push_str(&text[at..b]);
    out
}

pub(super) fn session_settings(w: &mut Writer, lock_timeout_ms: u64) {
    w.line("\\set ON_ERROR_STOP 1");
    w.line("\\set VERBOSITY verbose");
    w.line(&format!("SET lock_timeout = '{lock_timeout_ms}ms';"));
}

fn line_of(text: &str, offset: usize) -> u32 {
    1 + text[..offset].bytes().filter(|&b| b == b'\n').count() as u32
}

/// How a verbatim region reaches psql.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Terminators {
    /// As written: psql sends each statement when it reads its `;`.
    AsWritten,
    /// Chained with `\;`: psql keeps collecting until a plain `;` outside the region.
    Chained,
}

pub(super) fn verbatim(
    w: &mut Writer,
    blocks: &mut Vec<Block>,
    file: usize,
    f: &ScriptFile,
    (a, b): (usize, usize),
    terminators: Terminators,
) {
    // A UTF-8 BOM at the start of a file is not SQL.
    let a = if a == 0 && f.text.starts_with('\u{feff}') {
        3
    } else {
        a
    };
    if a >= b {
        return;
    }
    let chained;
    let region = match terminators {
        Terminators::AsWritten => &f.text[a..b],
        Terminators::Chained => {
            chained = chain_terminators(f.text, a, b, f.statements);
            chained.as_str()
        }
    };
    let script_line = w.line;
    w.push(region);
    if !region.ends_with('\n') {
        w.push("\n");
    }
    blocks.push(Block {
        file,
        script_line,
        script_end_line: w.line - 1,
        file_line: line_of(f.text, a),
    });
}

/// The whole run as one psql script.
pub fn build(files: &[ScriptFile], s: &ScriptSettings) -> Script {
    let m = &s.marker;
    let key = s.tracking.lock_key();
    let (hi, lo) = (
        ((key as u64) >> 32) as u32,
        (key as u64 & 0xffff_ffff) as u32,
    );
    let mut w = Writer {
        text: String::new(),
        line: 1,
    };
    let mut blocks = Vec::new();
    session_settings(&mut w, s.lock_timeout_ms);
    w.line(&format!(
        "SELECT pg_try_advisory_lock({key}) AS ng_locked, pg_backend_pid() AS ng_pid \\gset"
    ));
    // The session's pid, for the runner to ask who blocks it while a statement waits
    // (an echo costs no round trip).
    w.line(&format!("\\echo {m} PID :ng_pid"));
    w.line("\\if :ng_locked");
    w.line("\\else");
    w.line(&format!("\\echo {m} LOCK_BUSY"));
    w.line(&format!(
        "SELECT '{m} HOLDER ' || coalesce(string_agg('pid ' || a.pid || ' (' || coalesce(nullif(a.application_name, ''), 'no application_name') || ', ' || coalesce(a.client_addr::text, 'local') || ', connected since ' || date_trunc('second', a.backend_start)::text || ')', '; '), 'unknown') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {hi} AND l.objid = {lo} AND l.objsubid = 1;"
    ));
    w.line("\\quit");
    w.line("\\endif");
    if s.create_table {
        w.push(&s.tracking.create_sql());
    }
    w.line(&format!(
        "SELECT ({}) = {} AS ng_same \\gset",
        s.tracking.fingerprint_sql(),
        quote_literal(s.expected_fingerprint)
    ));
    w.line("\\if :ng_same");
    w.line("\\else");
    w.line(&format!("\\echo {m} STALE"));
    w.line("\\quit");
    w.line("\\endif");
    for row in &s.baseline {
        w.line(&s.tracking.insert_sql(row, "0"));
    }
    let mut queries = Vec::new();
    let mut sites = Vec::new();
    if s.trace {
        super::trace::script::snapshot(&mut w, m);
    }
    for (i, f) in files.iter().enumerate() {
        w.line(&format!("\\echo {m} START {i}"));
        if s.trace && super::trace::script::traceable(f) {
            match super::trace::script::emit(&mut w, &mut blocks, &mut sites, i, f, s) {
                Some(q) => {
                    queries.push(q);
                    w.line(&format!("\\echo {m} DONE {i}"));
                }
                None => w.line(&format!("\\echo {m} DONE {i} :ng_ms")),
            }
            reset_session(&mut w, f, s);
            continue;
        }
        let single = single_transaction(f.statements);
        let region = (f.start, f.end);
        if f.one_query && one_query_eligible(f.text, f.plan, f.statements) {
            // One query: the file, its tracking row and the COMMIT are applied or
            // rolled back together, and cost one round trip.
            let insert = format!(
                "{} \\;",
                s.tracking
                    .insert_sql(&f.row, ELAPSED_TX)
                    .trim_end_matches(';')
            );
            let first_line = match (f.plan, single) {
                (ExecutionPlan::WrapInTransaction, _) | (_, None) => {
                    let first_line = w.line;
                    w.line("BEGIN \\;");
                    verbatim(&mut w, &mut blocks, i, f, region, Terminators::Chained);
                    w.line(&insert);
                    w.line("COMMIT;");
                    first_line
                }
                (_, Some(commit)) => {
                    // psql drops the whitespace and `--` comments before a query: the
                    // server's lines count from the file's BEGIN.
                    let at = f.statements[commit].span.start;
                    let start_line = w.line;
                    verbatim(
                        &mut w,
                        &mut blocks,
                        i,
                        f,
                        (f.start, at),
                        Terminators::Chained,
                    );
                    let begin_line = f.statements[0].span.line;
                    let region_line = line_of(f.text, f.start);
                    w.line(&insert);
                    verbatim(
                        &mut w,
                        &mut blocks,
                        i,
                        f,
                        (at, f.end),
                        Terminators::AsWritten,
                    );
                    start_line + begin_line.saturating_sub(region_line)
                }
            };
            queries.push(Query {
                file: i,
                first_line,
                last_line: w.line - 1,
            });
            w.line(&format!("\\echo {m} DONE {i}"));
        } else {
            let one_tx = f.plan == ExecutionPlan::WrapInTransaction
                || (f.plan == ExecutionPlan::RunAsIs && single.is_some());
            if !one_tx {
                w.line("SELECT clock_timestamp() AS ng_t0 \\gset");
            }
            // The row's execution_ms comes back in a psql variable for the DONE marker.
            // A file may have `\\unset ON_ERROR_STOP`: the record must still never follow
            // a failure, so the setting is back on before it.
            let insert = format!(
                "\\set ON_ERROR_STOP 1\n{} RETURNING execution_ms AS ng_ms \\gset",
                s.tracking
                    .insert_sql(&f.row, if one_tx { ELAPSED_TX } else { ELAPSED })
                    .trim_end_matches(';')
            );
            let terminate = |w: &mut Writer| {
                if needs_terminator(f.statements) {
                    w.line(";");
                }
            };
            let as_written = Terminators::AsWritten;
            match (f.plan, single) {
                // As the tool runs it; the file's own COMMIT … BEGIN breaks run between.
                (ExecutionPlan::WrapInTransaction | ExecutionPlan::WrapWithBreaks, _) => {
                    w.line("BEGIN;");
                    verbatim(&mut w, &mut blocks, i, f, region, as_written);
                    terminate(&mut w);
                    w.line(&insert);
                    w.line("COMMIT;");
                }
                (ExecutionPlan::RunAsIs, Some(commit)) => {
                    let at = f.statements[commit].span.start;
                    verbatim(&mut w, &mut blocks, i, f, (f.start, at), as_written);
                    w.line(&insert);
                    verbatim(&mut w, &mut blocks, i, f, (at, f.end), as_written);
                    terminate(&mut w);
                }
                _ => {
                    // Runs as psql -f would run it (autocommit: statement by statement,
                    // or the file's own transactions), then recorded.
                    verbatim(&mut w, &mut blocks, i, f, region, as_written);
                    terminate(&mut w);
                    w.line(&insert);
                }
            }
            w.line(&format!("\\echo {m} DONE {i} :ng_ms"));
        }
        reset_session(&mut w, f, s);
    }
    if !queries.is_empty() {
        // The execution times of the files sent as one query, read once at the end.
        let keys: Vec<String> = queries
            .iter()
            .map(|q| {
                format!(
                    "({}, {})",
                    q.file,
                    quote_literal(&files[q.file].row.version)
                )
            })
            .collect();
        w.line(&format!(
            "SELECT '{m} MS ' || v.k || ' ' || t.execution_ms FROM (VALUES {}) AS v(k, version) JOIN {} t ON t.version = v.version;",
            keys.join(", "),
            s.tracking.qualified()
        ));
    }
    w.line(&format!(
        "SELECT pg_advisory_unlock({key}) AS ng_unlocked \\gset"
    ));
    w.line(&format!("\\echo {m} END"));
    Script {
        text: w.text,
        marker: m.clone(),
        blocks,
        queries,
        sites,
    }
}

/// What a file SETs must not leak into the next one (one psql per file would not leak
/// it either).
fn reset_session(w: &mut Writer, f: &ScriptFile, s: &ScriptSettings) {
    let (settings, role) = changes_session(f.statements);
    if role {
        w.line("RESET SESSION AUTHORIZATION;");
        w.line("RESET ROLE;");
    }
    if settings {
        w.line("RESET ALL;");
        session_settings(w, s.lock_timeout_ms);
    } else {
        w.line("\\set ON_ERROR_STOP 1");
        w.line("\\set VERBOSITY verbose");
    }
}

/// An error psql reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PsqlError {
    /// Line of the script psql was reading.
    pub script_line: Option<u32>,
    pub sqlstate: Option<String>,
    pub message: String,
    /// `LINE n:` of the server's error position, within the statement.
    pub position_line: Option<u32>,
    /// The statement text psql quoted on that LINE.
    pub position_text: Option<String>,
    /// DETAIL/HINT/CONTEXT lines as psql printed them.
    pub details: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Another session holds the advisory lock.
    LockBusy { holder: Option<String> },
    /// The tracking table changed between planning and taking the lock.
    Stale,
    /// (file index, execution ms when psql printed it) of every file that finished.
    Finished { done: Vec<(usize, Option<u64>)> },
    Failed {
        done: Vec<(usize, Option<u64>)>,
        error: PsqlError,
    },
    /// psql could not connect or start the session.
    NoSession(String),
}

pub fn parse_error(stderr: &str) -> Option<PsqlError> {
    let lines: Vec<&str> = stderr.lines().collect();
    let is_error = |l: &str| {
        l.contains(": ERROR:  ")
            || l.contains(": FATAL:  ")
            || l.contains(": PANIC:  ")
            || l.contains(": error: ")
    };
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("psql:") && is_error(l))?;
    let head = lines[start];
    let rest = head.strip_prefix("psql:<stdin>:").unwrap_or(head);
    let (script_line, rest) = match rest.split_once(": ") {
        Some((n, r)) if n.parse::<u32>().is_ok() => (n.parse().ok(), r),
        _ => (None, rest),
    };
    let message = rest
        .split_once(":  ")
        .or_else(|| rest.split_once(": "))
        .map(|(_, m)| m)
        .unwrap_or(rest);
    // VERBOSITY verbose: `ERROR:  55P03: canceling statement due to lock timeout`.
    let (sqlstate, message) = match message.split_once(": ") {
        Some((code, m))
            if code.len() == 5
                && code.chars().all(|c| c.is_ascii_alphanumeric())
                && code.chars().any(|c| c.is_ascii_digit()) =>
        {
            (Some(code.to_string()), m.to_string())
        }
        _ => (None, message.to_string()),
    };
    let mut e = PsqlError {
        script_line,
        sqlstate,
        message,
        ..Default::default()
    };
    for l in &lines[start + 1..] {
        if l.starts_with("psql:") {
            break;
        }
        if let Some(r) = l.strip_prefix("LINE ") {
            if let Some((n, text)) = r.split_once(": ") {
                e.position_line = n.parse().ok();
                e.position_text = Some(text.trim_end_matches("...").trim().to_string());
            }
        } else if l.starts_with("LOCATION:") || l.trim_start().starts_with('^') {
        } else if !l.trim().is_empty() {
            e.details.push(l.to_string());
        }
    }
    Some(e)
}

pub fn parse_outcome(marker: &str, code: Option<i32>, stdout: &str, stderr: &str) -> Outcome {
    let mut done = Vec::new();
    let mut busy = false;
    let mut holder = None;
    let mut stale = false;
    let mut end = false;
    let mut started = false;
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix(marker).map(str::trim) else {
            continue;
        };
        started = true;
        if let Some(i) = rest.strip_prefix("DONE ") {
            let mut parts = i.split_whitespace();
            if let Some(Ok(i)) = parts.next().map(str::parse) {
                done.push((i, parts.next().and_then(|m| m.parse().ok())));
            }
        } else if let Some(i) = rest.strip_prefix("MS ") {
            let mut parts = i.split_whitespace().map(str::parse::<u64>);
            if let (Some(Ok(k)), Some(Ok(ms))) = (parts.next(), parts.next()) {
                if let Some(d) = done.iter_mut().find(|d| d.0 as u64 == k) {
                    d.1 = Some(ms);
                }
            }
        } else if rest == "LOCK_BUSY" {
            busy = true;
        } else if let Some(h) = rest.strip_prefix("HOLDER ") {
            holder = Some(h.to_string());
        } else if rest == "STALE" {
            stale = true;
        } else if rest == "END" {
            end = true;
        }
    }
    if busy && code == Some(0) {
        return Outcome::LockBusy { holder };
    }
    if stale && code == Some(0) {
        return Outcome::Stale;
    }
    if end && code == Some(0) {
        return Outcome::Finished { done };
    }
    match parse_error(stderr) {
        Some(error) if started || error.script_line.is_some() => Outcome::Failed { done, error },
        _ => {
            let text = stderr.trim();
            Outcome::NoSession(if text.is_empty() {
                format!("psql exited with {code:?} and no message")
            } else {
                text.to_string()
            })
        }
    }
}

/// Map a script line to (file index, line in that file).
pub fn map_line(blocks: &[Block], script_line: u32) -> Option<(usize, u32)> {
    blocks
        .iter()
        .find(|b| b.script_line <= script_line && script_line <= b.script_end_line)
        .map(|b| (b.file, b.file_line + (script_line - b.script_line)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{analyze, LintConfig, SourceFile};

    fn statements(sql: &str) -> Vec<Statement> {
        let a = analyze(&[SourceFile::new("m/1.sql", sql)], &LintConfig::default());
        a.files[0].statements.clone()
    }

    fn row(v: &str) -> Row {
        Row {
            version: v.into(),
            checksum: "c".into(),
            applied_by: "sha".into(),
            run_url: "url".into(),
            status: "applied",
            prisma: None,
        }
    }

    #[test]
    fn seed_file_records_inside_its_own_transaction() {
        let sql = "BEGIN;\n\nALTER TABLE users\nADD COLUMN flag VARCHAR(255);\n\nCOMMIT;\n";
        let st = statements(sql);
        assert_eq!(single_transaction(&st), Some(2));
        assert_eq!(
            single_transaction(&statements("create table a (b int);")),
            None
        );
        assert_eq!(
            single_transaction(&statements(
                "begin; select 1; commit; begin; select 2; commit;"
            )),
            None
        );
    }

    #[test]
    fn script_lines_map_back_to_file_lines() {
        let f1 = "create table a (id int);\n";
        let f2 = "-- second\ncreate table b (id int);\nselect\n  nosuch;\n";
        let s1 = statements(f1);
        let s2 = statements(f2);
        let files = [
            ScriptFile {
                text: f1,
                start: 0,
                end: f1.len(),
                plan: ExecutionPlan::WrapInTransaction,
                statements: &s1,
                row: row("1.sql"),
                one_query: false,
            },
            ScriptFile {
                text: f2,
                start: 0,
                end: f2.len(),
                plan: ExecutionPlan::WrapInTransaction,
                statements: &s2,
                row: row("2.sql"),
                one_query: false,
            },
        ];
        let t = TrackingTable::parse("public.t").unwrap();
        let script = build(
            &files,
            &ScriptSettings {
                tracking: &t,
                lock_timeout_ms: 5000,
                create_table: true,
                expected_fingerprint: "x",
                baseline: vec![],
                marker: "NG_abc".into(),
                trace: false,
                show_all_results: true,
            },
        );
        let lines: Vec<&str> = script.text.lines().collect();
        let nosuch = lines.iter().position(|l| l.contains("nosuch")).unwrap() as u32 + 1;
        assert_eq!(map_line(&script.blocks, nosuch), Some((1, 4)));
        let create_a = lines
            .iter()
            .position(|l| l.contains("create table a"))
            .unwrap() as u32
            + 1;
        assert_eq!(map_line(&script.blocks, create_a), Some((0, 1)));
        assert_eq!(map_line(&script.blocks, 1), None);
        assert!(
            script.text.contains("\\echo NG_abc DONE 1 :ng_ms"),
            "{}",
            script.text
        );
    }

    fn one_query_script(
        texts: &[&str],
        statements: &[Vec<Statement>],
        plans: &[ExecutionPlan],
    ) -> Script {
        let files: Vec<ScriptFile> = texts
            .iter()
            .zip(statements)
            .zip(plans)
            .enumerate()
            .map(|(k, ((t, st), &plan))| ScriptFile {
                text: t,
                start: 0,
                end: t.len(),
                plan,
                statements: st,
                row: row(&format!("{k}.sql")),
                one_query: true,
            })
            .collect();
        let t = TrackingTable::parse("public.t").unwrap();
        build(
            &files,
            &ScriptSettings {
                tracking: &t,
                lock_timeout_ms: 5000,
                create_table: false,
                expected_fingerprint: "x",
                baseline: vec![],
                marker: "NG_abc".into(),
                trace: false,
                show_all_results: true,
            },
        )
    }

    #[test]
    fn a_plain_file_is_one_query_with_its_record_and_commit() {
        let f = "-- add a\ncreate table a (id int);\ncreate index on a (id); -- why\ninsert into a values (';');\n";
        let st = statements(f);
        assert!(one_query_eligible(f, ExecutionPlan::WrapInTransaction, &st));
        let script = one_query_script(&[f], &[st], &[ExecutionPlan::WrapInTransaction]);
        let text = &script.text;
        let body = "BEGIN \\;\n-- add a\ncreate table a (id int)\\;\ncreate index on a (id)\\; -- why\ninsert into a values (';')\\;\nINSERT INTO \"public\".\"t\"";
        assert!(text.contains(body), "{text}");
        assert!(
            text.contains("applied_at = now() \\;\nCOMMIT;\n\\echo NG_abc DONE 0\n"),
            "{text}"
        );
        assert!(text.contains("SELECT 'NG_abc MS ' || v.k"), "{text}");
        // The server's LINE 4 of the query is the file's line 3.
        let q = &script.queries[0];
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[q.first_line as usize - 1], "BEGIN \\;");
        assert_eq!(lines[q.last_line as usize - 1], "COMMIT;");
        assert_eq!(map_line(&script.blocks, q.first_line + 4 - 1), Some((0, 3)));
    }

    #[test]
    fn a_file_with_its_own_transaction_is_one_query_ending_at_its_commit() {
        let f = "\u{feff}-- seed layout\nBEGIN;\n\nALTER TABLE users\nADD COLUMN flag VARCHAR(255);\n\nCOMMIT;\n";
        let st = statements(f);
        assert!(one_query_eligible(f, ExecutionPlan::RunAsIs, &st));
        let script = one_query_script(&[f], &[st], &[ExecutionPlan::RunAsIs]);
        let text = &script.text;
        assert!(
            text.contains("BEGIN\\;\n\nALTER TABLE users\nADD COLUMN flag VARCHAR(255)\\;\n\n"),
            "{text}"
        );
        assert!(
            text.contains("applied_at = now() \\;\nCOMMIT;\n\\echo NG_abc DONE 0\n"),
            "{text}"
        );
        assert!(!text.contains("BEGIN \\;"), "{text}");
        let q = &script.queries[0];
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[q.first_line as usize - 1], "BEGIN\\;");
        assert_eq!(lines[q.last_line as usize - 1], "COMMIT;");
        // LINE 4 of the query (counted from BEGIN) is the file's line 5.
        assert_eq!(map_line(&script.blocks, q.first_line + 4 - 1), Some((0, 5)));
    }

    #[test]
    fn files_psql_must_read_itself_are_not_one_query() {
        let wrap = ExecutionPlan::WrapInTransaction;
        for f in [
            "create table a (id int);\n\\set x 1\nselect :x;\n",
            "copy a from stdin;\n1\n\\.\n",
            "create table a (id int)",
            "begin; create table a (id int); commit; begin; select 1; commit;",
        ] {
            let st = statements(f);
            let plan = if f.starts_with("begin") {
                ExecutionPlan::RunAsIs
            } else {
                wrap
            };
            assert!(!one_query_eligible(f, plan, &st), "{f}");
        }
        let f = "create index concurrently i on a (id);";
        assert!(!one_query_eligible(
            f,
            ExecutionPlan::StatementByStatement,
            &statements(f)
        ));
    }

    #[test]
    fn execution_times_of_one_query_files_are_read_at_the_end() {
        let out =
            "NG_x START 0\nNG_x DONE 0\nNG_x START 1\nNG_x DONE 1 7\nNG_x MS 0 42\nNG_x END\n";
        assert_eq!(
            parse_outcome("NG_x", Some(0), out, ""),
            Outcome::Finished {
                done: vec![(0, Some(42)), (1, Some(7))]
            }
        );
    }

    #[test]
    fn session_changes_are_detected() {
        assert_eq!(
            changes_session(&statements("create table a (id int);")),
            (false, false)
        );
        assert_eq!(
            changes_session(&statements("alter table a alter column b set default 1;")),
            (false, false)
        );
        assert_eq!(
            changes_session(&statements("SET search_path = x; create table a (id int);")),
            (true, false)
        );
        assert_eq!(
            changes_session(&statements("select set_config('search_path', 'x', false);")),
            (true, false)
        );
        assert_eq!(
            changes_session(&statements("SET ROLE app; create table a (id int);")),
            (true, true)
        );
    }

    #[test]
    fn unterminated_last_statement_is_terminated() {
        let f = "create table a (id int)";
        let s = statements(f);
        assert!(needs_terminator(&s));
        assert!(!needs_terminator(&statements("select 1;")));
    }

    #[test]
    fn parses_errors_and_outcomes() {
        let stderr = "psql:<stdin>:7: NOTICE:  00000: x\npsql:<stdin>:12: ERROR:  42703: column \"nosuch\" does not exist\nLINE 3:   nosuch;\n          ^\nLOCATION:  errorMissingColumn, parse_relation.c:3665\n";
        let e = parse_error(stderr).unwrap();
        assert_eq!(e.script_line, Some(12));
        assert_eq!(e.sqlstate.as_deref(), Some("42703"));
        assert_eq!(e.message, "column \"nosuch\" does not exist");
        assert_eq!(
            (e.position_line, e.position_text.as_deref()),
            (Some(3), Some("nosuch;"))
        );
        let lock = parse_error(
            "psql:<stdin>:30: ERROR:  55P03: canceling statement due to lock timeout\n",
        )
        .unwrap();
        assert_eq!(lock.sqlstate.as_deref(), Some("55P03"));

        let out = "NG_x START 0\nNG_x DONE 0 12\nNG_x START 1\n";
        match parse_outcome("NG_x", Some(3), out, stderr) {
            Outcome::Failed { done, error } => {
                assert_eq!(done, [(0, Some(12))]);
                assert_eq!(error.script_line, Some(12));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_outcome("NG_x", Some(0), "NG_x LOCK_BUSY\nNG_x HOLDER pid 7\n", ""),
            Outcome::LockBusy {
                holder: Some("pid 7".into())
            }
        );
        assert_eq!(
            parse_outcome("NG_x", Some(0), "NG_x STALE\n", ""),
            Outcome::Stale
        );
        assert_eq!(
            parse_outcome("NG_x", Some(0), "NG_x DONE 0 5\nNG_x END\n", ""),
            Outcome::Finished {
                done: vec![(0, Some(5))]
            }
        );
        assert!(matches!(
            parse_outcome("NG_x", Some(2), "", "psql: error: connection to server at \"h\" failed: FATAL:  password authentication failed\n"),
            Outcome::NoSession(m) if m.contains("password authentication failed")
        ));
    }
}
