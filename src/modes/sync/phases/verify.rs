//! Phase 5, verification, before the swap: exact row counts and content fingerprints
//! taken in the dump's snapshot against the restored staging database (fingerprint.rs),
//! sequences, and the tables' definitions (definitions.rs). Any difference fails the sync,
//! so the twin never becomes a copy that lost, gained or changed a row, a constraint or a
//! policy on the way.
//!
//! Both sides are counted in the background, so verification mostly waits for results
//! that are already there: production's counts start in the snapshot phase and run during
//! the copy; staging's start once every row is loaded and run while indexes are built
//! (building indexes, constraints and triggers adds and removes no rows).

use super::super::catalog::{self, Table};
use super::super::definitions;
use super::super::dump::Transfer;
use super::super::fingerprint::{self, Side};
use super::super::job::Job;
use super::super::pg::{self, pipeline_error, query, Conn};
use super::snapshot::Snapshot;
use crate::error::{Error, Result};
use crate::host::Host;

/// The background psql counting staging's rows (None when there are no tables).
pub struct StagingCounts(Option<u32>);

impl<H: Host> Job<'_, H> {
    /// Start counting staging's rows: call when every row is loaded.
    pub async fn start_staging_counts(
        &mut self,
        snap: &Snapshot,
        staging: &Conn,
    ) -> Result<StagingCounts> {
        let rt = self.rt;
        if let Some(sql) = rt
            .host
            .env("NEON_GITOPS_TEST_STAGING_SQL")
            .filter(|s| !s.is_empty())
        {
            // Test bed only: simulates someone writing to staging behind our back.
            query(rt, self.client(), staging, &[&sql]).await?;
        }
        Ok(StagingCounts(
            match fingerprint::sql(
                &snap.specs,
                Side::Staging,
                snap.hash,
                Some(snap.large_objects),
            ) {
                Some(sql) => {
                    let mut statements: Vec<&str> = fingerprint::SESSION_SETTINGS.to_vec();
                    statements.push(&sql);
                    let h = rt.host.spawn(&[staging.psql(self.client(), &statements)])?;
                    self.processes.push(h);
                    Some(h)
                }
                None => None,
            },
        ))
    }

    pub async fn verify(
        &mut self,
        snap: &Snapshot,
        staging: &Conn,
        staging_counts: StagingCounts,
    ) -> Result<()> {
        let rt = self.rt;
        // One line per table, and one for large objects.
        let n = snap.tables.len() + 1;
        let source_counts =
            background_counts(rt, snap.counts, "counting rows in production's snapshot", n).await?;
        let staging_counts =
            background_counts(rt, staging_counts.0, "counting rows in staging", n).await?;
        // Every reader of the snapshot is done: end the session that holds it open.
        self.kill_background();
        self.report.tables = table_rows(snap, &source_counts, &staging_counts);
        let staging_sequences = catalog::parse_sequences(
            &query(rt, self.client(), staging, &[catalog::SEQUENCES_SQL]).await?,
        );
        let mut problems = count_mismatches(&self.report.tables);
        problems.extend(content_mismatches(&self.report.tables));
        problems.extend(sequence_mismatches(&snap.sequences, &staging_sequences));
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
            staging,
            &["SELECT pg_catalog.pg_database_size(pg_catalog.current_database())"],
        )
        .await?;
        // The directory path reported the dump's size already.
        if self.s.transfer == Transfer::Stream {
            self.report.bytes = size.trim().parse().unwrap_or(0);
        }
        let compared = self
            .report
            .tables
            .iter()
            .filter(|t| t.content != Content::NotCompared)
            .count();
        rt.info(&format!(
            "verified: {} tables, {} rows match the snapshot{}",
            self.report.tables.len(),
            self.report.rows(),
            if compared > 0 {
                format!("; the content of {compared} tables too")
            } else {
                String::new()
            }
        ));
        Ok(())
    }

    /// The tables' definitions in staging against production's: call once row security is
    /// switched on (it is part of what is compared).
    pub async fn verify_definitions(&mut self, snap: &Snapshot, staging: &Conn) -> Result<()> {
        let mut statements: Vec<&str> = definitions::SESSION_SETTINGS.to_vec();
        statements.push(definitions::SQL);
        let out = query(self.rt, self.client(), staging, &statements).await?;
        let problems =
            definitions::differences(&snap.definitions, &definitions::parse(&out), &snap.compared);
        if !problems.is_empty() {
            return Err(Error::Failed(format!(
                "verification found {} difference(s) between production's table definitions and staging's: {}",
                problems.len(),
                problems.join("; ")
            )));
        }
        let n = snap
            .definitions
            .keys()
            .filter(|(t, _, _)| snap.compared.contains(t))
            .count();
        self.report.definitions_compared = n;
        self.rt.info(&format!(
            "verified: {n} definitions (columns, constraints, indexes, triggers, row security, policies) match production's"
        ));
        Ok(())
    }
}

/// The per-table counts a background psql (started by the snapshot or the copy phase)
/// printed; an empty list when none was started (no tables).
async fn background_counts<H: Host>(
    rt: &crate::runtime::Runtime<H>,
    handle: Option<u32>,
    what: &str,
    tables: usize,
) -> Result<Vec<Option<(i64, Option<String>)>>> {
    let Some(h) = handle else {
        return Ok(vec![]);
    };
    let status = pg::wait_with(rt, h, 60_000, |_| {}).await;
    if !status.success() {
        return Err(pipeline_error(rt, what, &["psql"], &status));
    }
    Ok(fingerprint::parse(&status.stdout, tables))
}

/// One row per copied table: what production had, what staging must have, what it has.
fn table_rows(
    snap: &Snapshot,
    source_counts: &[Option<(i64, Option<String>)>],
    staging_counts: &[Option<(i64, Option<String>)>],
) -> Vec<TableRows> {
    let masked: Vec<String> = snap.masked.iter().map(|m| m.table.display()).collect();
    let large_objects = Table {
        schema: String::new(),
        name: String::new(),
    };
    snap.tables
        .iter()
        .chain(std::iter::once(&large_objects))
        .enumerate()
        .filter(|(i, _)| snap.specs.get(*i).is_none_or(|s| !s.left_out))
        .filter_map(|(i, t)| {
            let is_lo = i == snap.tables.len();
            let is_masked = !is_lo && masked.contains(&t.display());
            // Masked tables are in `exclude_data` too, but their rows are copied.
            let data_excluded = if is_lo {
                !snap.selection.large_objects
            } else {
                snap.selection.exclude_data.contains(t) && !is_masked
            };
            let source = source_counts.get(i).cloned().flatten();
            let staging = staging_counts.get(i).cloned().flatten();
            let rows = source.as_ref().map(|s| s.0).unwrap_or(-1);
            let content = match (
                source.as_ref().and_then(|s| s.1.as_ref()),
                staging.as_ref().and_then(|s| s.1.as_ref()),
            ) {
                (Some(a), Some(b)) if a == b => Content::Same,
                (Some(_), _) => Content::Differs,
                _ => Content::NotCompared,
            };
            // Large objects are reported only where production has some.
            if is_lo && rows <= 0 && staging.as_ref().is_none_or(|s| s.0 == 0) {
                return None;
            }
            Some(TableRows {
                table: if is_lo {
                    "(large objects)".to_string()
                } else {
                    t.display()
                },
                source: rows,
                expected: if data_excluded { 0 } else { rows },
                staging: staging.map(|s| s.0),
                masked: is_masked,
                data_excluded,
                content,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// `schema.table`
    pub table: String,
    /// Rows in production, in the dump's snapshot.
    pub source: i64,
    /// Rows staging must have: `source`, or 0 when the table's data is excluded.
    pub expected: i64,
    pub staging: Option<i64>,
    pub masked: bool,
    pub data_excluded: bool,
    pub content: Content,
}

/// The content fingerprint's verdict for one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Data excluded, or `verify: counts`.
    NotCompared,
    Same,
    Differs,
}

/// One line per table whose rows are as many as production's but not the same: the
/// values themselves never appear (they may be masked ones), only the table.
pub fn content_mismatches(rows: &[TableRows]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.content == Content::Differs && r.staging == Some(r.expected))
        .map(|r| {
            format!(
                "{}: the same {} rows, but not the same content{} (a value changed on the way: an encoding, a type's text form, a write to staging)",
                r.table,
                r.expected,
                if r.masked { " after masking" } else { "" }
            )
        })
        .collect()
}

/// One line per table whose staging count is not what it must be.
pub fn count_mismatches(rows: &[TableRows]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.staging != Some(r.expected))
        .map(|r| match r.staging {
            Some(n) => format!(
                "{}: production had {} rows in the snapshot, staging has {n}",
                r.table, r.expected
            ),
            None => format!("{}: missing from staging", r.table),
        })
        .collect()
}

/// Sequences restored into staging must not be behind production's value at the snapshot
/// (pg_dump reads sequences after the snapshot is taken, and sequences only move forward).
/// Sequences not restored (filtered tables) are not compared.
pub fn sequence_mismatches(
    source: &[(String, Option<i64>)],
    staging: &[(String, Option<i64>)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in source {
        let Some(v) = value else { continue };
        match staging.iter().find(|(n, _)| n == name) {
            Some((_, Some(w))) if w >= v => {}
            Some((_, w)) => out.push(format!(
                "sequence {name}: production is at {v}, staging at {}",
                w.map(|w| w.to_string())
                    .unwrap_or_else(|| "its start (never used)".into())
            )),
            None => {}
        }
    }
    out
}

/// Sequences staging must move forward to production's value (data copied outside pg_dump,
/// e.g. masked tables, carries no `setval`).
pub fn sequences_to_advance(
    source: &[(String, Option<i64>)],
    staging: &[(String, Option<i64>)],
) -> Vec<(String, i64)> {
    source
        .iter()
        .filter_map(|(name, value)| {
            let v = (*value)?;
            let (_, w) = staging.iter().find(|(n, _)| n == name)?;
            (w.is_none_or(|w| w < v)).then(|| (name.clone(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(table: &str, expected: i64, staging: Option<i64>) -> TableRows {
        TableRows {
            table: table.into(),
            source: expected,
            expected,
            staging,
            masked: false,
            data_excluded: false,
            content: Content::NotCompared,
        }
    }

    #[test]
    fn counts_must_match_exactly() {
        let rows = vec![
            row("a.x", 3, Some(3)),
            row("a.y", 5, Some(4)),
            row("a.z", 1, None),
            row("a.e", 0, Some(0)),
        ];
        let m = count_mismatches(&rows);
        assert_eq!(m.len(), 2);
        assert!(
            m[0].contains("a.y") && m[0].contains("5") && m[0].contains("4"),
            "{m:?}"
        );
        assert!(m[1].contains("missing"), "{m:?}");
    }

    #[test]
    fn sequences_must_not_be_behind() {
        let source = vec![
            ("s.a".to_string(), Some(10)),
            ("s.b".to_string(), Some(5)),
            ("s.c".to_string(), None),
            ("s.gone".to_string(), Some(1)),
        ];
        let staging = vec![
            ("s.a".to_string(), Some(12)),
            ("s.b".to_string(), Some(4)),
            ("s.c".to_string(), None),
        ];
        let m = sequence_mismatches(&source, &staging);
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("s.b"), "{m:?}");
        assert_eq!(
            sequences_to_advance(&source, &staging),
            vec![("s.b".to_string(), 5)]
        );
        let fresh = vec![("s.a".to_string(), None)];
        assert_eq!(
            sequences_to_advance(&source, &fresh),
            vec![("s.a".to_string(), 10)]
        );
    }
}
