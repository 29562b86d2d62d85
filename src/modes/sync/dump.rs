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

/// The data section as a custom archive on stdout, for `| pg_restore`.
pub fn data_stream(client: &Client, source: &Conn, snapshot: &str, sel: &Selection) -> Command {
    source.env(
        base(client, snapshot)
            .args(["--format=custom", "--section=data"])
            .args(selection_args(sel))
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
