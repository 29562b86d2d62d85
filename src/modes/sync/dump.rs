//! pg_dump invocations, all reading the one exported snapshot, and the masked-table copies.
//!
//! Two fast paths (no gzip for what is not kept):
//! - `stream`: pre/post-data into a small custom archive, data as
//!   `pg_dump -Fc -Z0 --section=data | pg_restore` (dump and load overlap);
//! - `directory`: `pg_dump -Fd -Z0 -j N` into `RUNNER_TEMP`, then `pg_restore -j N`.

use super::catalog::{quote_ident, Column, Table};
use super::clients::Client;
use super::mask::{expression, MaskKind};
use super::pg::Conn;
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

/// How the data is spread over `jobs` parallel `pg_dump | pg_restore` streams: returns the
/// tables of each extra stream (empty: one stream). A single stream loads one table at a
/// time into one backend on the target, which then is the bottleneck; streams of their own
/// for the biggest tables load them side by side. Largest first, each to the least loaded
/// stream; the main stream starts with the small tables' total, as it carries them and
/// everything that is not a table's rows (sequence values, large objects).
pub fn plan_streams(data_tables: &[(Table, u64)], jobs: u64, min_bytes: u64) -> Vec<Vec<Table>> {
    let n = jobs.max(1) as usize;
    let mut big: Vec<&(Table, u64)> = data_tables
        .iter()
        .filter(|(_, b)| *b >= min_bytes)
        .collect();
    if n < 2 || big.is_empty() {
        return vec![];
    }
    big.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.display().cmp(&b.0.display()))
    });
    let mut loads = vec![0u64; n];
    loads[0] = data_tables
        .iter()
        .filter(|(_, b)| *b < min_bytes)
        .map(|(_, b)| *b)
        .sum();
    let mut streams: Vec<Vec<Table>> = vec![Vec::new(); n];
    for (table, bytes) in big {
        let lightest = (0..n).min_by_key(|i| loads[*i]).unwrap_or(0);
        streams[lightest].push(table.clone());
        loads[lightest] += bytes;
    }
    // Stream 0 is the main stream, whose tables need no list of their own.
    streams
        .into_iter()
        .skip(1)
        .filter(|s| !s.is_empty())
        .collect()
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
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let out = format!(
        "COPY (SELECT {} FROM ONLY {}) TO STDOUT",
        select.join(", "),
        m.table.qualified()
    );
    let set_snapshot = format!(
        "SET TRANSACTION SNAPSHOT {}",
        super::catalog::quote_literal(snapshot)
    );
    let input = format!(
        "COPY {} ({}) FROM STDIN",
        m.table.qualified(),
        names.join(", ")
    );
    vec![
        source.psql(
            client,
            &[
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                &set_snapshot,
                &out,
                "COMMIT",
            ],
        ),
        staging.psql(client, &[&input]),
    ]
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
    fn streams_balance_the_big_tables_and_leave_small_ones_to_the_main_stream() {
        let mb = 1u64 << 20;
        let tables = vec![
            (t("public", "accounts"), 640 * mb),
            (t("public", "wide"), 244 * mb),
            (t("public", "events"), 200 * mb),
            (t("public", "tellers"), mb / 10),
            (t("app", "users"), 20 * mb),
        ];
        // One job, or nothing big: one stream.
        assert!(plan_streams(&tables, 1, 16 * mb).is_empty());
        assert!(plan_streams(&tables, 4, 1024 * mb).is_empty());
        // Two jobs: the biggest goes to the other stream, the rest balances the main one.
        let two = plan_streams(&tables, 2, 16 * mb);
        assert_eq!(two, vec![vec![t("public", "accounts")]]);
        // Three jobs: accounts and wide get streams; events (lightest: main) stays; then users.
        let three = plan_streams(&tables, 3, 16 * mb);
        assert_eq!(
            three,
            vec![vec![t("public", "accounts")], vec![t("public", "wide")]]
        );
        // More jobs than big tables: no empty streams.
        assert_eq!(plan_streams(&tables, 16, 16 * mb).len(), 4);
        // Every big table is in at most one extra stream.
        let all: Vec<Table> = plan_streams(&tables, 16, 0).into_iter().flatten().collect();
        for (table, _) in &tables {
            assert!(all.iter().filter(|x| *x == table).count() <= 1);
        }
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
}
