//! pg_dump invocations, all reading the one exported snapshot, and the masked-table copies.
//!
//! Two fast paths (no gzip for what is not kept):
//! - `stream`: pre/post-data into a small custom archive, data as
//!   `pg_dump -Fc -Z0 --section=data | pg_restore` (dump and load overlap);
//! - `directory`: `pg_dump -Fd -Z0 -j N` into `RUNNER_TEMP`, then `pg_restore -j N`.

use super::catalog::{quote_ident, Column, Table};
use super::clients::Client;
use super::mask::{expression, MaskKind};
use super::pg::{in_snapshot, Conn};
use crate::host::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    Stream,
    Directory,
}

impl Transfer {
    pub fn name(self) -> &'static str {
        match self {
            Transfer::Stream => "stream",
            Transfer::Directory => "directory",
        }
    }
}

/// A table whose data travels masked, with its columns and the rule per column.
#[derive(Debug, Clone)]
pub struct MaskedTable {
    pub table: Table,
    pub columns: Vec<Column>,
    pub rules: Vec<(String, MaskKind)>,
}

/// What pg_dump is told to take and leave.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Non-empty only when `tables` was given: exactly these tables.
    pub only: Vec<Table>,
    pub exclude: Vec<Table>,
    /// Schema without rows (`exclude-table-data`) — masked tables too, whose rows we copy.
    pub exclude_data: Vec<Table>,
    /// `large-objects: copy`: pg_dump leaves them out when `--table` selects tables, so
    /// they are asked for (`-b`); `skip` leaves them out always (`-B`).
    pub large_objects: bool,
}

/// `"schema"."table"` as a pg_dump pattern: quoted, so it matches exactly that table.
fn pattern(t: &Table) -> String {
    t.qualified()
}

pub fn selection_args(sel: &Selection) -> Vec<String> {
    let mut args = Vec::new();
    for t in &sel.only {
        args.push(format!("--table={}", pattern(t)));
    }
    for t in &sel.exclude {
        args.push(format!("--exclude-table={}", pattern(t)));
    }
    for t in &sel.exclude_data {
        args.push(format!("--exclude-table-data={}", pattern(t)));
    }
    // The short forms: `--blobs` became `--large-objects` in pg_dump 16.
    if !sel.large_objects {
        args.push("-B".to_string());
    } else if !sel.only.is_empty() {
        args.push("-b".to_string());
    }
    args
}

fn base(client: &Client, snapshot: &str) -> Command {
    Command::new(client.bin("pg_dump")).args([
        format!("--snapshot={snapshot}"),
        "--no-sync".to_string(),
        "--compress=0".to_string(),
    ])
}

/// Everything, as a directory archive, `jobs` tables at a time.
pub fn directory(
    client: &Client,
    source: &Conn,
    snapshot: &str,
    sel: &Selection,
    dir: &str,
    jobs: u64,
) -> Command {
    source.env(
        base(client, snapshot)
            .args([
                "--format=directory".to_string(),
                format!("--jobs={jobs}"),
                format!("--file={dir}"),
            ])
            .args(selection_args(sel))
            .args(["--dbname".to_string(), source.dsn.clone()]),
    )
}

/// Schema only (pre- and post-data) into a custom archive: small, restored with -L and -j.
pub fn schema_archive(
    client: &Client,
    source: &Conn,
    snapshot: &str,
    sel: &Selection,
    file: &str,
) -> Command {
    source.env(
        base(client, snapshot)
            .args([
                "--format=custom",
                "--section=pre-data",
                "--section=post-data",
            ])
            .arg(format!("--file={file}"))
            .args(selection_args(sel))
            .args(["--dbname".to_string(), source.dsn.clone()]),
    )
}

/// Tables smaller than this stay in the main stream: a stream of its own costs a pg_dump
/// start (it reads the whole catalog) and two more connections, about what copying this
/// much data takes.
pub const OWN_STREAM_MIN_BYTES: u64 = 16 << 20;

/// One unit of the data copy (`stream`). Units run `jobs` at a time, largest first, each
/// started as soon as a slot is free: one unit loads one table at a time into one backend
/// on the target, which is the bottleneck, so the work is cut into units that keep every
/// slot busy until the end.
#[derive(Debug, Clone, PartialEq)]
pub enum DataUnit {
    /// `pg_dump --section=data | pg_restore` of everything no other unit carries: the
    /// small tables, sequence values, large objects.
    Rest { bytes: u64 },
    /// `pg_dump --table | pg_restore` of one big table.
    Table { table: Table, bytes: u64 },
    /// One of `parts` page ranges of a table bigger than a slot's share, as
    /// `COPY (SELECT … WHERE ctid in range) | COPY … FROM STDIN`: a table that dominates
    /// the copy would otherwise leave the other slots idle while one backend loads it.
    Slice {
        table: Table,
        part: u32,
        parts: u32,
        bytes: u64,
    },
}

impl DataUnit {
    pub fn bytes(&self) -> u64 {
        match self {
            DataUnit::Rest { bytes }
            | DataUnit::Table { bytes, .. }
            | DataUnit::Slice { bytes, .. } => *bytes,
        }
    }
}

/// The data copy's units for `jobs` slots, largest first. Tables of `min_bytes` or more
/// get units of their own; a table bigger than half a slot's share of the total is cut in
/// slices of about that size (when `can_slice`: TID range scans, PostgreSQL 14+), so that
/// largest-first scheduling can balance the slots.
pub fn plan_data(
    data_tables: &[(Table, u64)],
    jobs: u64,
    min_bytes: u64,
    can_slice: bool,
) -> Vec<DataUnit> {
    let n = jobs.max(1);
    let total: u64 = data_tables.iter().map(|(_, b)| *b).sum();
    if n < 2 {
        return vec![DataUnit::Rest { bytes: total }];
    }
    let slice_bytes = (total / n / 2).max(min_bytes).max(1);
    let mut units = Vec::new();
    let mut rest = 0;
    for (table, bytes) in data_tables {
        if *bytes < min_bytes || *bytes == 0 {
            rest += bytes;
        } else if can_slice && *bytes > slice_bytes * 3 / 2 {
            let parts = bytes.div_ceil(slice_bytes).min(4 * n) as u32;
            for part in 0..parts {
                units.push(DataUnit::Slice {
                    table: table.clone(),
                    part,
                    parts,
                    bytes: bytes / parts as u64,
                });
            }
        } else {
            units.push(DataUnit::Table {
                table: table.clone(),
                bytes: *bytes,
            });
        }
    }
    units.push(DataUnit::Rest { bytes: rest });
    // Largest first; ties in a stable order (the Rest unit last among equals).
    units.sort_by_key(|u| std::cmp::Reverse(u.bytes()));
    units
}

/// Tables whose rows travel in units other than `Rest`.
pub fn elsewhere(units: &[DataUnit]) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for u in units {
        if let DataUnit::Table { table, .. } | DataUnit::Slice { table, .. } = u {
            if !tables.contains(table) {
                tables.push(table.clone());
            }
        }
    }
    tables
}

/// `ctid` bounds of slice `part` of `parts` over `pages` pages: the first has no lower
/// bound and the last no upper one, so rows on pages added since the size was read are
/// still copied exactly once.
pub fn slice_condition(part: u32, parts: u32, pages: u64) -> String {
    let bound = |k: u32| pages * k as u64 / parts as u64;
    let mut c = Vec::new();
    if part > 0 {
        c.push(format!("ctid >= '({},0)'::pg_catalog.tid", bound(part)));
    }
    if part + 1 < parts {
        c.push(format!("ctid < '({},0)'::pg_catalog.tid", bound(part + 1)));
    }
    if c.is_empty() {
        "true".into()
    } else {
        c.join(" AND ")
    }
}

/// One slice: production's rows in a page range, read in the snapshot, piped into staging.
pub fn slice_copy(
    client: &Client,
    from: (&Conn, &str),
    staging: &Conn,
    table: &Table,
    columns: &[Column],
    condition: &str,
) -> Vec<Command> {
    let columns: Vec<&Column> = columns.iter().filter(|c| !c.generated).collect();
    let select: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    copy_pipe(client, from, staging, table, &columns, &select, condition)
}

/// `COPY (SELECT <select> FROM ONLY t WHERE <condition>) TO STDOUT` on production in the
/// snapshot | `COPY t (<columns>) FROM STDIN` on staging: the rows go from one server to
/// the other through an OS pipe, never through this process or the disk.
fn copy_pipe(
    client: &Client,
    (source, snapshot): (&Conn, &str),
    staging: &Conn,
    table: &Table,
    columns: &[&Column],
    select: &[String],
    condition: &str,
) -> Vec<Command> {
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let out = format!(
        "COPY (SELECT {} FROM ONLY {} WHERE {condition}) TO STDOUT",
        select.join(", "),
        table.qualified()
    );
    let input = format!(
        "COPY {} ({}) FROM STDIN",
        table.qualified(),
        names.join(", ")
    );
    vec![
        source.psql(client, &in_snapshot(snapshot, &[&out])),
        staging.psql(client, &[&input]),
    ]
}

/// The data section as a custom archive on stdout, for `| pg_restore`: everything selected
/// except the rows that travel in other streams (`elsewhere`).
pub fn data_stream(
    client: &Client,
    source: &Conn,
    snapshot: &str,
    sel: &Selection,
    elsewhere: &[Table],
) -> Command {
    source.env(
        base(client, snapshot)
            .args(["--format=custom", "--section=data"])
            .args(selection_args(sel))
            .args(
                elsewhere
                    .iter()
                    .map(|t| format!("--exclude-table-data={}", pattern(t))),
            )
            .args(["--dbname".to_string(), source.dsn.clone()]),
    )
}

/// The rows of exactly these tables (and their owned sequences' values, which pg_dump
/// brings along with a `--table`; setting them twice to the snapshot's value is harmless).
pub fn tables_stream(client: &Client, source: &Conn, snapshot: &str, tables: &[Table]) -> Command {
    source.env(
        base(client, snapshot)
            .args(["--format=custom", "--section=data"])
            .args(tables.iter().map(|t| format!("--table={}", pattern(t))))
            .args(["--dbname".to_string(), source.dsn.clone()]),
    )
}

/// `COPY (SELECT masked…) TO STDOUT` in the snapshot | `COPY t (cols) FROM STDIN` on staging.
pub fn masked_copy(
    client: &Client,
    source: &Conn,
    staging: &Conn,
    snapshot: &str,
    m: &MaskedTable,
    salt: &str,
) -> Vec<Command> {
    let columns: Vec<&Column> = m.columns.iter().filter(|c| !c.generated).collect();
    let select: Vec<String> = columns
        .iter()
        .map(|c| match m.rules.iter().find(|(name, _)| *name == c.name) {
            Some((_, kind)) => format!("{} AS {}", expression(kind, c, salt), quote_ident(&c.name)),
            None => quote_ident(&c.name),
        })
        .collect();
    copy_pipe(
        client,
        (source, snapshot),
        staging,
        &m.table,
        &columns,
        &select,
        "true",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str, n: &str) -> Table {
        Table {
            schema: s.into(),
            name: n.into(),
        }
    }

    #[test]
    fn selection_is_exact_and_quoted() {
        let sel = Selection {
            only: vec![],
            exclude: vec![t("app", "Audit")],
            exclude_data: vec![t("public", "events")],
            large_objects: true,
        };
        assert_eq!(
            selection_args(&sel),
            vec![
                "--exclude-table=\"app\".\"Audit\"",
                "--exclude-table-data=\"public\".\"events\""
            ]
        );
    }

    #[test]
    fn data_units_keep_every_slot_busy() {
        let mb = 1u64 << 20;
        let tables = vec![
            (t("public", "accounts"), 640 * mb),
            (t("public", "wide"), 244 * mb),
            (t("public", "events"), 100 * mb),
            (t("public", "tellers"), mb / 10),
            (t("app", "users"), 20 * mb),
        ];
        let total: u64 = tables.iter().map(|x| x.1).sum();
        // One job: one unit with everything.
        assert_eq!(
            plan_data(&tables, 1, 16 * mb, true),
            vec![DataUnit::Rest { bytes: total }]
        );
        // Nothing big: one unit too.
        assert_eq!(plan_data(&tables, 4, 1024 * mb, true).len(), 1);
        // Two jobs: accounts dominates (640 of 1,004 MB), so it is sliced; wide, events
        // and users get units; tellers rides in the rest. Largest first.
        let two = plan_data(&tables, 2, 16 * mb, true);
        let slices: Vec<_> = two
            .iter()
            .filter(|u| matches!(u, DataUnit::Slice { .. }))
            .collect();
        assert_eq!(slices.len(), 3);
        assert!(two.windows(2).all(|w| w[0].bytes() >= w[1].bytes()));
        assert!(two.contains(&DataUnit::Table {
            table: t("public", "wide"),
            bytes: 244 * mb
        }));
        assert!(two.contains(&DataUnit::Rest { bytes: mb / 10 }));
        assert_eq!(elsewhere(&two).len(), 4);
        // Largest-first over 2 slots ends within a slice of balance.
        let mut slots = [0u64; 2];
        for u in &two {
            let i = if slots[0] <= slots[1] { 0 } else { 1 };
            slots[i] += u.bytes();
        }
        assert!(slots[0].abs_diff(slots[1]) <= 250 * mb, "{slots:?}");
        // Without TID range scans (before PostgreSQL 14): whole tables only.
        let old = plan_data(&tables, 2, 16 * mb, false);
        assert!(old.contains(&DataUnit::Table {
            table: t("public", "accounts"),
            bytes: 640 * mb
        }));
    }

    #[test]
    fn slices_cover_every_page_once() {
        assert_eq!(slice_condition(0, 1, 100), "true");
        assert_eq!(
            slice_condition(0, 3, 100),
            "ctid < '(33,0)'::pg_catalog.tid"
        );
        assert_eq!(
            slice_condition(1, 3, 100),
            "ctid >= '(33,0)'::pg_catalog.tid AND ctid < '(66,0)'::pg_catalog.tid"
        );
        assert_eq!(
            slice_condition(2, 3, 100),
            "ctid >= '(66,0)'::pg_catalog.tid"
        );
        // An empty table (0 pages) still has one unbounded slice at each end.
        assert_eq!(slice_condition(0, 2, 0), "ctid < '(0,0)'::pg_catalog.tid");
        assert_eq!(slice_condition(1, 2, 0), "ctid >= '(0,0)'::pg_catalog.tid");
    }

    #[test]
    fn streams_split_rows_without_overlap() {
        let client = Client {
            major: 16,
            dir: "/pg/bin".into(),
        };
        let source = Conn::parse("production", "source-url", "postgresql://u:pw@h/prod").unwrap();
        let sel = Selection {
            only: vec![],
            exclude: vec![],
            exclude_data: vec![t("app", "audit")],
            large_objects: true,
        };
        let main = data_stream(&client, &source, "s-1", &sel, &[t("public", "big")]).args;
        assert!(main.contains(&"--exclude-table-data=\"app\".\"audit\"".to_string()));
        assert!(main.contains(&"--exclude-table-data=\"public\".\"big\"".to_string()));
        assert!(main.contains(&"--snapshot=s-1".to_string()));
        let own = tables_stream(&client, &source, "s-1", &[t("public", "big")]).args;
        assert!(own.contains(&"--table=\"public\".\"big\"".to_string()));
        assert!(
            own.contains(&"--section=data".to_string())
                && own.contains(&"--snapshot=s-1".to_string())
        );
    }

    #[test]
    fn masked_copy_reads_in_the_snapshot_and_never_selects_raw_masked_columns() {
        let client = Client {
            major: 16,
            dir: "/pg/bin".into(),
        };
        let source = Conn::parse("production", "source-url", "postgresql://u:pw@h/prod").unwrap();
        let staging = Conn::parse("staging", "x", "postgresql://o:pw2@s/neondb").unwrap();
        let m = MaskedTable {
            table: t("public", "users"),
            columns: vec![
                Column {
                    name: "id".into(),
                    type_sql: "bigint".into(),
                    not_null: true,
                    generated: false,
                },
                Column {
                    name: "email".into(),
                    type_sql: "text".into(),
                    not_null: true,
                    generated: false,
                },
                Column {
                    name: "upper_email".into(),
                    type_sql: "text".into(),
                    not_null: false,
                    generated: true,
                },
            ],
            rules: vec![("email".into(), MaskKind::FakeEmail)],
        };
        let p = masked_copy(&client, &source, &staging, "00000003-1", &m, "salt");
        let sql = p[0].args.join(" ");
        assert!(
            sql.contains("SET TRANSACTION SNAPSHOT '00000003-1'"),
            "{sql}"
        );
        assert!(
            sql.contains("COPY (SELECT \"id\", CASE WHEN \"email\" IS NULL"),
            "{sql}"
        );
        assert!(!sql.contains("upper_email"), "{sql}");
        assert!(p[1]
            .args
            .join(" ")
            .contains("COPY \"public\".\"users\" (\"id\", \"email\") FROM STDIN"));
    }

    #[test]
    fn a_slice_copies_its_page_range_in_the_snapshot_without_generated_columns() {
        let client = Client {
            major: 16,
            dir: "/pg/bin".into(),
        };
        let source = Conn::parse("production", "source-url", "postgresql://u:pw@h/prod").unwrap();
        let staging = Conn::parse("staging", "x", "postgresql://o:pw2@s/neondb").unwrap();
        let column = |name: &str, generated| Column {
            name: name.into(),
            type_sql: "int".into(),
            not_null: false,
            generated,
        };
        let columns = [
            column("aid", false),
            column("Total", false),
            column("g", true),
        ];
        let condition = slice_condition(1, 3, 300);
        let p = slice_copy(
            &client,
            (&source, "00000003-1"),
            &staging,
            &t("public", "accounts"),
            &columns,
            &condition,
        );
        let out = p[0].args.join(" ");
        assert!(
            out.contains("SET TRANSACTION SNAPSHOT '00000003-1'"),
            "{out}"
        );
        assert!(
            out.contains("COPY (SELECT \"aid\", \"Total\" FROM ONLY \"public\".\"accounts\" WHERE ctid >= '(100,0)'::pg_catalog.tid AND ctid < '(200,0)'::pg_catalog.tid) TO STDOUT"),
            "{out}"
        );
        let input = p[1].args.join(" ");
        assert!(
            input.contains("COPY \"public\".\"accounts\" (\"aid\", \"Total\") FROM STDIN"),
            "{input}"
        );
    }
}
