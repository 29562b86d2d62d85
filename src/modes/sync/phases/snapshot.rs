//! Phase 2, snapshot: one consistent view of production for everything that reads it.
//! (A little over 600 lines: the table selection and mask resolution read the same
//! catalog in the same snapshot, and are kept with it.)
//!
//! A psql session runs `pg_export_snapshot()` and is kept open (the action holds its
//! stdin) until the copy is done; every later reader adopts that snapshot with `SET
//! TRANSACTION SNAPSHOT` (pg_dump: `--snapshot`). So the catalog read here, the exact row
//! counts, the dumps and the masked-table copies all see the same rows, and verification
//! can demand equality instead of "roughly the same".
//!
//! Also here, because they read the catalog: which tables are copied (the `tables` /
//! `exclude-*` patterns expanded to exact names) and the mask rules resolved to columns.
//! The exact counts start in the background now and run alongside staging and the copy.

use super::super::catalog::{self, quote_literal, Table};
use super::super::clients::Client;
use super::super::definitions::{self, Definitions};
use super::super::dump::{MaskedTable, Selection};
use super::super::fingerprint::{self, Hash, LargeObjects, Side, Spec};
use super::super::job::Job;
use super::super::mask;
use super::super::patterns::{any_matches, Pattern};
use super::super::pg::{in_snapshot, pipeline_error, query, Conn};
use super::super::settings::{Settings, Verify};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::runtime::Runtime;
use std::collections::BTreeSet;

/// Production as seen in the exported snapshot, and what the sync takes from it.
pub struct Snapshot {
    /// `pg_export_snapshot()`'s id: valid while the holder session lives.
    pub id: String,
    pub source: Conn,
    /// Tables copied (schema at least), in catalog order: the verification's rows.
    pub tables: Vec<Table>,
    /// Each table's size on disk, as `tables`: spreads the data over parallel streams.
    pub sizes: Vec<u64>,
    /// What pg_dump is told to take and leave (masked tables' data included in "leave").
    pub selection: Selection,
    pub masked: Vec<MaskedTable>,
    /// `(schema.sequence, last_value)` in the snapshot.
    pub sequences: Vec<(String, Option<i64>)>,
    /// The background psql fingerprinting `tables` in the snapshot (None when there are none).
    pub counts: Option<u32>,
    /// How each of `tables` is verified (same order), and how rows are hashed.
    pub specs: Vec<Spec>,
    pub hash: Hash,
    /// Per run: masked values hash alike within a sync (joins, uniqueness) and differently
    /// across syncs. The copy and production's fingerprints use it.
    pub salt: String,
    /// Production's table definitions, and the tables (`schema.table`, partitioned parents
    /// included) whose definitions the twin must have.
    pub definitions: Definitions,
    pub compared: BTreeSet<String>,
    /// How large objects are verified (`large-objects: skip`: counted, none expected).
    pub large_objects: LargeObjects,
}

impl Snapshot {
    /// Leave relations out of the copy after the fact (`skip-missing-extensions`): no
    /// schema, no rows, no verification; their dependent objects are dropped from the
    /// TOC by id.
    pub fn leave_out(&mut self, relations: &BTreeSet<(String, String)>) {
        let gone = |t: &Table| relations.contains(&(t.schema.clone(), t.name.clone()));
        for spec in self.specs.iter_mut().filter(|s| gone(&s.table)) {
            spec.left_out = true;
        }
        let left: Vec<Table> = self.tables.iter().filter(|t| gone(t)).cloned().collect();
        self.selection.only.retain(|t| !gone(t));
        if self.selection.only.is_empty() {
            for t in &left {
                if !self.selection.exclude.contains(t) {
                    self.selection.exclude.push(t.clone());
                }
            }
        }
        for t in &left {
            if !self.selection.exclude_data.contains(t) {
                self.selection.exclude_data.push(t.clone());
            }
        }
        self.masked.retain(|m| !gone(&m.table));
        self.compared
            .retain(|name| !relations.iter().any(|(s, n)| *name == format!("{s}.{n}")));
    }
}

/// Runs queries on production in the snapshot (one short psql session each).
struct Reader<'r, H: Host> {
    rt: &'r Runtime<H>,
    client: &'r Client,
    source: &'r Conn,
    id: &'r str,
}

impl<H: Host> Reader<'_, H> {
    /// `sql` after session settings (which follow the snapshot's adoption).
    async fn query_with(&self, settings: &[&str], sql: &str) -> Result<String> {
        let mut statements = settings.to_vec();
        statements.push(sql);
        query(
            self.rt,
            self.client,
            self.source,
            &in_snapshot(self.id, &statements),
        )
        .await
    }

    async fn query(&self, sql: &str) -> Result<String> {
        query(
            self.rt,
            self.client,
            self.source,
            &in_snapshot(self.id, &[sql]),
        )
        .await
    }
}

impl<H: Host> Job<'_, H> {
    pub async fn take_snapshot(&mut self, source: &Conn) -> Result<Snapshot> {
        let rt = self.rt;
        let id = self.export_snapshot(source).await?;
        let client = self.client().clone();
        let read = Reader {
            rt,
            client: &client,
            source,
            id: &id,
        };
        let catalog_out = read.query(catalog::TABLES_SQL).await?;
        let all = catalog::parse_tables(&catalog_out);
        let all_sizes = catalog::parse_table_sizes(&catalog_out);
        let roots = catalog::parse_partition_roots(&catalog_out);
        // Fail closed: a pattern that matches nothing (a typo, a partitioned parent) must
        // not turn into "copy everything", raw data of excluded tables included.
        let unmatched = unmatched_patterns(&self.s, &all, &roots);
        if !unmatched.is_empty() {
            return Err(Error::Failed(format!(
                "{}. Nothing was copied: fix the pattern (`schema.table` or `table`, `*` and `?` wildcards; partitioned tables are matched by their partitions' names)",
                unmatched.join("; ")
            )));
        }
        let (tables, mut selection) = select_tables(&self.s, &all, &roots);
        for note in partial_partitions(&tables, &all, &roots) {
            rt.notice_once(&note);
            self.report.notes.push(note);
        }
        let sizes = tables
            .iter()
            .map(|t| {
                let i = all.iter().position(|a| a == t);
                i.and_then(|i| all_sizes.get(i).copied()).unwrap_or(0)
            })
            .collect();
        // Each copied table's partitioned root: a mask rule on the root covers them all.
        let table_roots: Vec<Option<Table>> = tables
            .iter()
            .map(|t| {
                let i = all.iter().position(|a| a == t)?;
                roots.get(i).cloned().flatten()
            })
            .collect();
        let masked = resolve_masks(&self.s, &tables, &table_roots, &mut selection, &read).await?;
        self.report.masked = masked
            .iter()
            .flat_map(|m| {
                m.rules
                    .iter()
                    .map(move |(c, _)| format!("{}.{c}", m.table.display()))
            })
            .collect();
        self.report.excluded = selection.exclude.iter().map(Table::display).collect();
        let sequences = catalog::parse_sequences(&read.query(catalog::SEQUENCES_SQL).await?);
        let salt = format!(
            "{:016x}{:016x}",
            (rt.host.random() * 1e16) as u64,
            (rt.host.random() * 1e16) as u64
        );
        rt.secret(&salt);
        let hash = Hash::choose(
            &read.query("SHOW server_encoding").await?,
            self.majors.0,
            self.majors.1,
        );
        let specs = self
            .verification_specs(&tables, &selection, &masked, &read)
            .await?;
        let definitions = definitions::parse(
            &read
                .query_with(definitions::SESSION_SETTINGS, definitions::SQL)
                .await?,
        );
        let mut compared: BTreeSet<String> = tables.iter().map(Table::display).collect();
        for (i, t) in all.iter().enumerate() {
            if let Some(root) = roots.get(i).and_then(Option::as_ref) {
                if tables.contains(t) {
                    compared.insert(root.display());
                }
            }
        }
        rt.info(&format!(
            "{} tables to copy ({} with data excluded, {} masked) from snapshot {id}",
            tables.len(),
            selection.exclude_data.len() - masked.len(),
            masked.len()
        ));
        // Exact counts and fingerprints take as long as a scan of every table: start them
        // now, in the background, so they run while staging is made and the copy runs.
        let large_objects = if self.s.verify == Verify::Content && self.s.large_objects {
            LargeObjects::Content
        } else {
            LargeObjects::Count
        };
        let counts = match fingerprint::sql(
            &specs,
            Side::Production { salt: &salt },
            hash,
            Some(large_objects),
        ) {
            Some(sql) => {
                let mut statements: Vec<&str> = fingerprint::SESSION_SETTINGS.to_vec();
                statements.push(&sql);
                let h = rt
                    .host
                    .spawn(&[source.psql(&client, &in_snapshot(&id, &statements))])?;
                self.processes.push(h);
                Some(h)
            }
            None => None,
        };
        Ok(Snapshot {
            id,
            source: source.clone(),
            tables,
            sizes,
            selection,
            masked,
            sequences,
            counts,
            specs,
            hash,
            salt,
            definitions,
            compared,
            large_objects,
        })
    }

    /// What verification reads of each copied table: with `verify: content`, every column
    /// of tables whose rows are copied (masked ones after masking); counts otherwise.
    async fn verification_specs(
        &self,
        tables: &[Table],
        selection: &Selection,
        masked: &[MaskedTable],
        read: &Reader<'_, H>,
    ) -> Result<Vec<Spec>> {
        let columns = match self.s.verify {
            Verify::Content => {
                fingerprint::parse_all_columns(&read.query(fingerprint::ALL_COLUMNS_SQL).await?)
            }
            Verify::Counts => vec![],
        };
        Ok(tables
            .iter()
            .map(|t| {
                let rules = masked
                    .iter()
                    .find(|m| m.table == *t)
                    .map(|m| m.rules.clone())
                    .unwrap_or_default();
                let data_excluded = selection.exclude_data.contains(t) && rules.is_empty();
                let cols = columns
                    .iter()
                    .find(|(x, _)| x == t)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default();
                Spec {
                    table: t.clone(),
                    content: self.s.verify == Verify::Content && !data_excluded,
                    columns: cols,
                    rules,
                    left_out: false,
                }
            })
            .collect())
    }

    /// Start the session that holds the snapshot open; returns the snapshot id. psql
    /// writes the id to a file (`\g file`) and then waits on its held stdin, keeping the
    /// transaction — and so the snapshot — alive until `kill_background`.
    async fn export_snapshot(&mut self, source: &Conn) -> Result<String> {
        let rt = self.rt;
        let file = self.temp_path("snapshot");
        let script = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_catalog.pg_export_snapshot() \\g {}\n",
            quote_literal(&file)
        );
        let holder = rt.host.spawn(&[source
            .psql::<&str>(self.client(), &[])
            .stdin(script)
            .hold_stdin()])?;
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
}

/// Whether a pattern list covers table `i`: by its own name, or, for a partition, by its
/// top partitioned table's.
fn covers(patterns: &[Pattern], all: &[Table], roots: &[Option<Table>], i: usize) -> bool {
    let t = &all[i];
    any_matches(patterns, &t.schema, &t.name)
        || roots
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|r| any_matches(patterns, &r.schema, &r.name))
}

/// Partitioned tables copied with only some of their partitions (a pattern naming a
/// partition, or excluding one): said once, so nobody expects the parent's other rows.
fn partial_partitions(tables: &[Table], all: &[Table], roots: &[Option<Table>]) -> Vec<String> {
    let mut seen: Vec<&Table> = Vec::new();
    let mut out = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        let Some(root) = root else { continue };
        if seen.contains(&root) || !tables.contains(&all[i]) {
            continue;
        }
        seen.push(root);
        let parts: Vec<&Table> = (0..all.len())
            .filter(|&j| roots[j].as_ref() == Some(root))
            .map(|j| &all[j])
            .collect();
        let copied: Vec<String> = parts
            .iter()
            .filter(|t| tables.contains(t))
            .map(|t| format!("`{}`", t.display()))
            .collect();
        if copied.len() < parts.len() {
            out.push(format!(
                "`{}` is copied with {} of its {} partitions ({}): the others are not created, and its rows in them are not in the twin",
                root.display(),
                copied.len(),
                parts.len(),
                copied.join(", ")
            ));
        }
    }
    out
}

/// One line per pattern that matches no table in production (likely a typo).
fn unmatched_patterns(s: &Settings, all: &[Table], roots: &[Option<Table>]) -> Vec<String> {
    let mut out = Vec::new();
    for (input, patterns) in [
        ("tables", &s.tables),
        ("exclude-tables", &s.exclude_tables),
        ("exclude-table-data", &s.exclude_table_data),
    ] {
        for p in patterns.iter() {
            let one = std::slice::from_ref(p);
            if !(0..all.len()).any(|i| covers(one, all, roots, i)) {
                out.push(format!(
                    "input `{input}`: `{}` matches no table in production",
                    p.raw
                ));
            }
        }
    }
    out
}

/// The tables copied and the pg_dump selection, from the patterns. pg_dump gets exact
/// names, never our patterns: its own pattern language differs from ours. A partitioned
/// table selected through its partitions is selected too (it holds no rows, but its
/// partitions attach to it).
fn select_tables(s: &Settings, all: &[Table], roots: &[Option<Table>]) -> (Vec<Table>, Selection) {
    let picked: Vec<usize> = (0..all.len())
        .filter(|&i| s.tables.is_empty() || covers(&s.tables, all, roots, i))
        .filter(|&i| !covers(&s.exclude_tables, all, roots, i))
        .collect();
    let tables: Vec<Table> = picked.iter().map(|&i| all[i].clone()).collect();
    let mut only: Vec<Table> = Vec::new();
    if !s.tables.is_empty() {
        for &i in &picked {
            if let Some(root) = roots.get(i).and_then(Option::as_ref) {
                if !only.contains(root) {
                    only.push(root.clone());
                }
            }
        }
        only.extend(tables.iter().cloned());
    }
    let selection = Selection {
        only,
        // With `tables`, `--table` alone decides: pg_dump then needs no exclusions.
        exclude: if s.tables.is_empty() {
            let mut exclude: Vec<Table> = all
                .iter()
                .filter(|t| !tables.contains(t))
                .cloned()
                .collect();
            // A partitioned table none of whose partitions is copied goes too.
            for (i, root) in roots.iter().enumerate() {
                let Some(root) = root else { continue };
                let kept =
                    (0..all.len()).any(|j| roots[j].as_ref() == Some(root) && picked.contains(&j));
                if !kept && !picked.contains(&i) && !exclude.contains(root) {
                    exclude.push(root.clone());
                }
            }
            exclude
        } else {
            vec![]
        },
        exclude_data: picked
            .iter()
            .filter(|&&i| covers(&s.exclude_table_data, all, roots, i))
            .map(|&i| all[i].clone())
            .collect(),
        large_objects: s.large_objects,
    };
    (tables, selection)
}

/// Resolve each mask rule to one copied table and an existing column, checking the rule
/// fits the column's type. Masked tables' data is then excluded from pg_dump: their rows
/// travel through `COPY (SELECT masked…)` instead (see dump::masked_copy).
async fn resolve_masks<H: Host>(
    s: &Settings,
    tables: &[Table],
    roots: &[Option<Table>],
    selection: &mut Selection,
    read: &Reader<'_, H>,
) -> Result<Vec<MaskedTable>> {
    let mut masked: Vec<MaskedTable> = Vec::new();
    for rule in &s.mask {
        let named = |t: &Table| {
            t.name == rule.table && rule.schema.as_ref().is_none_or(|sc| *sc == t.schema)
        };
        // A rule names a table, or a partitioned table: then every partition of it.
        let mut owners: Vec<&Table> = Vec::new();
        let mut targets: Vec<&Table> = Vec::new();
        for (i, t) in tables.iter().enumerate() {
            let owner = match roots.get(i).and_then(Option::as_ref) {
                Some(root) if named(root) => root,
                _ if named(t) => t,
                _ => continue,
            };
            if !owners.contains(&owner) {
                owners.push(owner);
            }
            targets.push(t);
        }
        let candidates = owners;
        match candidates.as_slice() {
            [_] => {}
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
        for table in targets {
            resolve_rule(rule, table, selection, &mut masked, read).await?;
        }
    }
    // Only pairs whose both tables' rows are copied can break.
    let fks: Vec<_> = catalog::parse_foreign_keys(&read.query(catalog::FOREIGN_KEYS_SQL).await?)
        .into_iter()
        .filter(|(a, b)| {
            [a, b].iter().all(|(s, t, _)| {
                tables.iter().any(|x| x.schema == *s && x.name == *t)
                    && !selection
                        .exclude_data
                        .iter()
                        .any(|x| x.schema == *s && x.name == *t)
            })
        })
        .collect();
    check_foreign_keys(&masked, &fks)?;
    for m in &masked {
        selection.exclude_data.push(m.table.clone());
    }
    Ok(masked)
}

/// One mask rule on one copied table: the column exists, the rule fits its type and, on a
/// unique column, keeps values unique.
async fn resolve_rule<H: Host>(
    rule: &mask::MaskRule,
    table: &Table,
    selection: &Selection,
    masked: &mut Vec<MaskedTable>,
    read: &Reader<'_, H>,
) -> Result<()> {
    if selection.exclude_data.contains(table) {
        return Ok(()); // no rows copied: nothing to mask
    }
    let entry = match masked.iter_mut().position(|m| m.table == *table) {
        Some(i) => &mut masked[i],
        None => {
            let columns = catalog::parse_columns(&read.query(&catalog::columns_sql(table)).await?);
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
    if !matches!(rule.kind, mask::MaskKind::Null) {
        let unique = read.query(&catalog::unique_columns_sql(table)).await?;
        if unique.lines().any(|l| l.trim() == rule.column) {
            mask::check_unique(rule, column)?;
        }
    }
    entry.rules.push((rule.column.clone(), rule.kind.clone()));
    Ok(())
}

/// A masked column on one side of a foreign key needs the same rule on the other side:
/// the same input then gives the same output (`hash`, `fake-email` are deterministic within
/// a sync), so joins keep working. One side alone would break the restore, whose error
/// would carry a raw value; it is refused before anything runs, naming the other side.
fn check_foreign_keys(
    masked: &[MaskedTable],
    fks: &[(catalog::ColumnRef, catalog::ColumnRef)],
) -> Result<()> {
    let rule_for = |(s, t, c): &catalog::ColumnRef| {
        masked
            .iter()
            .find(|m| m.table.schema == *s && m.table.name == *t)
            .and_then(|m| m.rules.iter().find(|(col, _)| col == c))
            .map(|(_, k)| k)
    };
    for (child, parent) in fks {
        let (a, b) = (rule_for(child), rule_for(parent));
        if a == b {
            continue;
        }
        let show = |(s, t, c): &catalog::ColumnRef| format!("{s}.{t}.{c}");
        let (masked_side, other) = if a.is_some() {
            (child, parent)
        } else {
            (parent, child)
        };
        let why = match (a, b) {
            (Some(_), Some(_)) => "with another rule".to_string(),
            _ => "without a rule".to_string(),
        };
        return Err(Error::input(
            "mask",
            format!(
                "`{}` is masked, but the foreign key between it and `{}` has the other side {why}: the copy's join would break and the restore fail. Give `{}` the same rule (the same value masks the same way on both sides)",
                show(masked_side),
                show(other),
                show(other)
            ),
        ));
    }
    Ok(())
}
