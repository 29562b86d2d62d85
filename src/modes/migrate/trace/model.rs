//! From probe lines to what production will feel. Pure: the session's stdout and the
//! script's sites in, per-statement facts and per-table blocking windows out.
//!
//! Locks are held until the transaction ends, so a table's blocking window opens when
//! the probe after a statement first shows a lock that conflicts with ordinary DML, and
//! closes at the first probe that no longer shows it (the one after COMMIT). The window
//! is charged to the statement that took the strongest such lock.

use super::{Site, SiteKind};
use crate::sql::{Finding, Statement};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What a lock mode held by a migration does to the application's queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Blocks {
    Nothing,
    /// INSERT, UPDATE, DELETE queue; SELECTs run.
    Writes,
    /// Everything queues, SELECTs included.
    ReadsAndWrites,
}

impl Blocks {
    pub fn of(mode: &str) -> Blocks {
        match mode {
            "AccessExclusiveLock" => Blocks::ReadsAndWrites,
            "ExclusiveLock" | "ShareRowExclusiveLock" | "ShareLock" => Blocks::Writes,
            _ => Blocks::Nothing,
        }
    }
    pub fn words(self) -> &'static str {
        match self {
            Blocks::Nothing => "nothing",
            Blocks::Writes => "writes",
            Blocks::ReadsAndWrites => "reads and writes",
        }
    }
}

/// `AccessExclusiveLock` → `ACCESS EXCLUSIVE`, as the Postgres docs name the modes.
pub fn mode_name(mode: &str) -> String {
    let base = mode.strip_suffix("Lock").unwrap_or(mode);
    let mut out = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
struct Lock {
    oid: u64,
    mode: String,
    granted: bool,
    /// `None`: the relation is gone (dropped by this transaction).
    name: Option<String>,
    kind: String,
    filenode: Option<u64>,
    rows: Option<i64>,
    bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
struct Probe {
    site: usize,
    t: f64,
    /// Every lock held on a relation that existed before the run.
    locks: Vec<Lock>,
    /// Relations created since the previous probe.
    created: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Rel {
    filenode: u64,
    rows: Option<i64>,
    bytes: Option<i64>,
    created: bool,
}

fn name_of(schema: Option<&str>, name: &str) -> String {
    match schema {
        None | Some("public") => name.to_string(),
        Some(s) => format!("{s}.{name}"),
    }
}

fn parse_lock(v: &serde_json::Value) -> Option<Lock> {
    let a = v.as_array()?;
    let s = |i: usize| a.get(i).and_then(|v| v.as_str());
    let n = |i: usize| a.get(i).and_then(|v| v.as_i64());
    Some(Lock {
        oid: a.first()?.as_u64()?,
        mode: s(1)?.to_string(),
        granted: a.get(2).and_then(|v| v.as_bool()).unwrap_or(true),
        name: s(4).map(|name| name_of(s(3), name)),
        kind: s(5).unwrap_or("").to_string(),
        filenode: n(6).map(|x| x as u64),
        rows: n(7).filter(|&r| r >= 0),
        bytes: n(8),
    })
}

/// The snapshot and the probes, in the order psql printed them.
fn parse(marker: &str, stdout: &str) -> (HashMap<u64, Rel>, Vec<Probe>) {
    let mut known = HashMap::new();
    let mut probes = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix(marker) else {
            continue;
        };
        if let Some(j) = rest.strip_prefix(" S ") {
            if let Ok(serde_json::Value::Array(rels)) = serde_json::from_str(j) {
                for r in rels {
                    let n = |i: usize| r.get(i).and_then(|v| v.as_i64());
                    if let (Some(oid), Some(node)) = (n(0), n(1)) {
                        known.insert(
                            oid as u64,
                            Rel {
                                filenode: node as u64,
                                rows: n(2).filter(|&r| r >= 0),
                                bytes: n(3),
                                created: false,
                            },
                        );
                    }
                }
            }
        } else if let Some(p) = rest.strip_prefix(" P ") {
            let mut parts = p.splitn(3, ' ');
            let (Some(Ok(site)), Some(Ok(t)), Some(j)) = (
                parts.next().map(str::parse::<usize>),
                parts.next().map(str::parse::<f64>),
                parts.next(),
            ) else {
                continue;
            };
            let v: serde_json::Value = serde_json::from_str(j).unwrap_or_default();
            let list = |i: usize| {
                v.get(i)
                    .and_then(|a| a.as_array())
                    .cloned()
                    .unwrap_or_default()
            };
            probes.push(Probe {
                site,
                t,
                locks: list(0).iter().filter_map(parse_lock).collect(),
                created: list(1)
                    .iter()
                    .filter_map(|c| {
                        let name = c.get(1)?.as_str()?;
                        Some(name_of(c.get(0).and_then(|s| s.as_str()), name))
                    })
                    .collect(),
            });
        }
    }
    (known, probes)
}

/// A file of the run, as the model needs it.
pub struct FileInfo<'a> {
    pub path: &'a str,
    pub statements: &'a [Statement],
    /// Lint findings of the file (rules that predicted a lock are matched by line).
    pub findings: &'a [Finding],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockTaken {
    pub table: String,
    pub mode: String,
    pub granted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementTrace {
    pub file: String,
    pub line: u32,
    pub sql: String,
    pub ms: f64,
    /// Relation locks first seen after this statement.
    pub locks: Vec<LockTaken>,
    pub rewrites: Vec<String>,
    pub created: Vec<String>,
    pub dropped: Vec<String>,
    /// Lock-related lint rules that flagged this statement.
    pub lint: Vec<String>,
    /// Ran outside a transaction and is not CONCURRENTLY (VACUUM FULL, …): its locks end
    /// with it, before any probe can see them, so "blocks nothing" cannot be claimed.
    pub locks_unseen: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocker {
    pub file: String,
    pub line: u32,
    pub sql: String,
    pub table: String,
    pub mode: String,
    pub blocks: Blocks,
    /// The table's size and row estimate before the statement.
    pub bytes: Option<i64>,
    pub rows: Option<i64>,
    pub rewrite: bool,
    /// From the start of the statement that took the lock until its transaction ended.
    pub window_ms: f64,
    pub statement_ms: f64,
    /// The lint rules that predicted it (empty: not predicted by lint).
    pub lint: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    /// Worst first.
    pub blockers: Vec<Blocker>,
    pub statements: Vec<StatementTrace>,
    /// Where lint and the measurement disagree, in words.
    pub disagreements: Vec<String>,
    /// Files run without probes (psql meta-commands, COPY … FROM stdin, DISCARD): nothing
    /// is known of their locks, which the report must say rather than imply "none".
    pub untraced: Vec<String>,
}

/// Rules whose finding means "this statement takes a lock that blocks the application".
const LOCK_RULES: &[&str] = &[
    "adding-field-with-volatile-default",
    "adding-foreign-key-constraint",
    "adding-serial-primary-key",
    "ban-alter-domain-with-add-constraint",
    "changing-column-type",
    "constraint-missing-not-valid",
    "disallowed-unique-constraint",
    "prefer-repack",
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-partition-detach",
    "require-concurrent-reindex",
    "setting-not-null-on-existing-column",
    "adding-required-field",
    "ban-drop-not-null",
];

/// The statement's first line, shortened, for a table cell.
fn headline(sql: &str) -> String {
    let one: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

struct Open {
    start: f64,
    stmt: usize,
    blocks: Blocks,
    mode: String,
    name: String,
    rewrite: bool,
    rel: Rel,
}

pub fn analyse(marker: &str, stdout: &str, sites: &[Site], files: &[FileInfo]) -> Trace {
    let (mut known, probes) = parse(marker, stdout);
    let mut trace = Trace::default();
    let mut prev_t: Option<f64> = None;
    // The locks the previous probe listed.
    let mut held: HashMap<(u64, String), Lock> = HashMap::new();
    let mut open: HashMap<u64, Open> = HashMap::new();
    let mut closed: Vec<(usize, Open, f64)> = Vec::new();
    let mut dropped_seen: HashSet<u64> = HashSet::new();
    for p in &probes {
        let Some(site) = sites.get(p.site) else {
            continue;
        };
        let t_prev = prev_t.unwrap_or(p.t);
        let stmt = match (site.what, files.get(site.file)) {
            (SiteKind::Statement(n), Some(f)) if n < f.statements.len() => {
                let st = &f.statements[n];
                let lint = f
                    .findings
                    .iter()
                    .filter(|x| st.span.line <= x.span.line && x.span.line <= st.span.end_line)
                    .filter(|x| LOCK_RULES.contains(&x.rule))
                    .map(|x| x.rule.to_string())
                    .collect();
                trace.statements.push(StatementTrace {
                    file: f.path.to_string(),
                    line: st.span.line,
                    sql: headline(&st.text),
                    ms: (p.t - t_prev).max(0.0),
                    locks: vec![],
                    rewrites: vec![],
                    created: vec![],
                    dropped: vec![],
                    lint,
                    locks_unseen: super::script::non_transactional(st)
                        && !st.text.to_ascii_uppercase().contains("CONCURRENTLY"),
                });
                Some(trace.statements.len() - 1)
            }
            _ => None,
        };
        // The probe after a COMMIT shows nothing new: charge late sightings to the last
        // statement.
        let charge = stmt.or(trace.statements.len().checked_sub(1));
        if let Some(k) = charge {
            trace.statements[k]
                .created
                .extend(p.created.iter().cloned());
        }
        let before = std::mem::take(&mut held);
        let mut rewritten: HashSet<u64> = HashSet::new();
        for l in &p.locks {
            let new = !before.contains_key(&(l.oid, l.mode.clone()));
            let display = l.name.clone().unwrap_or_else(|| format!("oid {}", l.oid));
            if let Some(k) = stmt.filter(|_| new) {
                trace.statements[k].locks.push(LockTaken {
                    table: display.clone(),
                    mode: mode_name(&l.mode),
                    granted: l.granted,
                });
            }
            match (&l.name, l.filenode, known.get_mut(&l.oid)) {
                (None, _, Some(_)) if dropped_seen.insert(l.oid) => {
                    if let Some(k) = charge {
                        trace.statements[k].dropped.push(display.clone());
                    }
                }
                // A sequence or view (the snapshot has tables and indexes only).
                (Some(_), Some(node), None) => {
                    known.insert(
                        l.oid,
                        Rel {
                            filenode: node,
                            ..Default::default()
                        },
                    );
                }
                (Some(_), Some(node), Some(rel)) if rel.filenode != node => {
                    rel.filenode = node;
                    if !rel.created && matches!(l.kind.as_str(), "r" | "m") {
                        rewritten.insert(l.oid);
                        if let Some(k) = charge {
                            trace.statements[k].rewrites.push(display.clone());
                        }
                    }
                }
                _ => {}
            }
            held.insert((l.oid, l.mode.clone()), l.clone());
        }
        let mut current: HashMap<u64, (Blocks, String, String)> = HashMap::new();
        for l in held.values() {
            let display = l.name.clone().unwrap_or_else(|| format!("oid {}", l.oid));
            let created = known.get(&l.oid).is_some_and(|r| r.created);
            let blocks = Blocks::of(&l.mode);
            // Nobody else can see a table this run created: its locks block no one.
            if l.granted
                && !created
                && matches!(l.kind.as_str(), "r" | "p" | "m")
                && blocks > Blocks::Nothing
            {
                let e = current
                    .entry(l.oid)
                    .or_insert((blocks, l.mode.clone(), display.clone()));
                if blocks > e.0 {
                    *e = (blocks, l.mode.clone(), display);
                }
            }
        }
        for (oid, (blocks, mode, name)) in &current {
            let rewrite = rewritten.contains(oid);
            match open.get_mut(oid) {
                Some(o) => {
                    o.rewrite |= rewrite;
                    if *blocks > o.blocks {
                        o.blocks = *blocks;
                        o.mode = mode.clone();
                        if let Some(k) = stmt {
                            o.stmt = k;
                        }
                    }
                }
                None => {
                    if let Some(k) = charge {
                        open.insert(
                            *oid,
                            Open {
                                start: t_prev,
                                stmt: k,
                                blocks: *blocks,
                                mode: mode.clone(),
                                name: name.clone(),
                                rewrite,
                                rel: known.get(oid).copied().unwrap_or_default(),
                            },
                        );
                    }
                }
            }
        }
        let ended: Vec<u64> = open
            .keys()
            .filter(|o| !current.contains_key(o))
            .copied()
            .collect();
        for oid in ended {
            if let Some(o) = open.remove(&oid) {
                closed.push((o.stmt, o, p.t));
            }
        }
        // Sizes for later windows: what the table is now.
        for l in &p.locks {
            if let Some(rel) = known.get_mut(&l.oid) {
                if l.bytes.is_some() {
                    rel.bytes = l.bytes;
                }
                if l.rows.is_some() {
                    rel.rows = l.rows;
                }
            }
        }
        prev_t = Some(p.t);
    }
    // A session that stopped mid-transaction: its windows end at the last probe.
    let last = prev_t.unwrap_or(0.0);
    closed.extend(open.into_values().map(|o| (o.stmt, o, last)));
    for (k, o, end) in closed {
        let st = &trace.statements[k];
        trace.blockers.push(Blocker {
            file: st.file.clone(),
            line: st.line,
            sql: st.sql.clone(),
            table: o.name,
            mode: mode_name(&o.mode),
            blocks: o.blocks,
            bytes: o.rel.bytes,
            rows: o.rel.rows,
            rewrite: o.rewrite,
            window_ms: (end - o.start).max(0.0),
            statement_ms: st.ms,
            lint: st.lint.clone(),
        });
    }
    trace.blockers.sort_by(|a, b| {
        b.window_ms
            .total_cmp(&a.window_ms)
            .then((&a.file, a.line).cmp(&(&b.file, b.line)))
    });
    for st in &trace.statements {
        let blocked = trace
            .blockers
            .iter()
            .any(|b| b.file == st.file && b.line == st.line);
        if !blocked && !st.lint.is_empty() {
            trace.disagreements.push(format!(
                "{}:{}: lint ({}) predicts a blocking lock, but the trace measured none that blocks reads or writes (the table may be new, or the statement a no-op on this data)",
                st.file,
                st.line,
                st.lint.join(", ")
            ));
        }
    }
    for b in trace.blockers.iter().filter(|b| b.lint.is_empty()) {
        trace.disagreements.push(format!(
            "{}:{}: blocks {} on {} ({}), not predicted by lint",
            b.file,
            b.line,
            b.blocks.words(),
            b.table,
            b.mode
        ));
    }
    let probed: HashSet<usize> = sites.iter().map(|s| s.file).collect();
    trace.untraced = files
        .iter()
        .enumerate()
        .filter(|(i, f)| !probed.contains(i) && !f.statements.is_empty())
        .map(|(_, f)| f.path.to_string())
        .collect();
    trace
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
