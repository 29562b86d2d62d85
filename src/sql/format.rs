//! Migration formats: which tool a file belongs to, which part of it is the
//! UP migration, how the tool wraps it in a transaction, and the order the
//! tool applies files in (so migrate mode can sort a PR's files the same way).

use serde::Serialize;

use super::error::FileError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationFormat {
    /// Any `.sql` applied as a whole (psql scripts, CI-applied files).
    PlainSql,
    /// `-- migrate:up` / `-- migrate:down` sections.
    Dbmate,
    /// `migrations/<dir>/migration.sql`.
    Prisma,
    /// `V<version>__<desc>.sql`, `R__<desc>.sql`.
    Flyway,
    /// `migrations/<version>_<name>/up.sql` (+ `metadata.toml`).
    Diesel,
    /// Atlas: `<version>_<name>.sql` in a directory with an `atlas.sum` (recognised by the
    /// directory, so only discovery can say; `detect` never answers it).
    Atlas,
    /// sqitch: `deploy/<change>.sql`, in `sqitch.plan` order (recognised by the plan).
    Sqitch,
    /// Liquibase formatted SQL: `--liquibase formatted sql`, then `--changeset author:id`
    /// units, each applied and tracked on its own.
    Liquibase,
}

/// Whether the tool itself runs the file inside a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxDeclaration {
    /// The format says nothing; the plan decides from the SQL.
    None,
    /// The tool wraps the file in a transaction (dbmate, diesel defaults).
    Transaction,
    /// The file opts out (`transaction:false`, `run_in_transaction = false`).
    NoTransaction,
}

/// The part of a file to analyse and how its tool runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Byte range of the UP migration; `start` is at a line start.
    pub start: usize,
    pub end: usize,
    /// 1-based line number of `start`.
    pub line: u32,
    pub tx: TxDeclaration,
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn parent_dir(path: &str) -> &str {
    let mut it = path.rsplit(['/', '\\']);
    it.next();
    it.next().unwrap_or("")
}

/// Detect the format from the path and, for dbmate, the file's markers.
pub fn detect(path: &str, text: &str) -> MigrationFormat {
    let name = file_name(path);
    if name == "migration.sql" && !parent_dir(path).is_empty() {
        return MigrationFormat::Prisma;
    }
    if name == "up.sql" || name == "down.sql" {
        return MigrationFormat::Diesel;
    }
    if flyway_version(name).is_some() || name.starts_with("R__") {
        return MigrationFormat::Flyway;
    }
    if dbmate_marker(text, "up").is_some() {
        return MigrationFormat::Dbmate;
    }
    if is_liquibase(text) {
        return MigrationFormat::Liquibase;
    }
    MigrationFormat::PlainSql
}

/// `V1.2_3__desc.sql` → [1, 2, 3]. Flyway compares versions part by part as
/// integers, so "10" sorts after "9".
pub fn flyway_version(name: &str) -> Option<Vec<u128>> {
    let rest = name.strip_prefix('V')?;
    let (ver, _) = rest.split_once("__")?;
    if ver.is_empty() {
        return None;
    }
    ver.split(['.', '_'])
        .map(|p| p.parse::<u128>().ok())
        .collect()
}

/// Finds a dbmate marker line `-- migrate:<which> [options]` (dbmate's regex
/// `^--\s*migrate:<which>(.*)$`). Returns (line start, line end, options).
fn dbmate_marker<'a>(text: &'a str, which: &str) -> Option<(usize, usize, &'a str)> {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if let Some(rest) = l.strip_prefix("--") {
            if let Some(opts) = rest.trim_start().strip_prefix("migrate:") {
                if let Some(opts) = opts.strip_prefix(which) {
                    if opts.is_empty() || opts.starts_with(char::is_whitespace) {
                        return Some((start, pos, opts));
                    }
                }
            }
        }
    }
    None
}

/// The UP section to analyse and the tool's transaction declaration.
/// `metadata` is Diesel's `metadata.toml` next to `up.sql`, when present.
pub fn section(
    format: MigrationFormat,
    text: &str,
    metadata: Option<&str>,
) -> Result<Section, FileError> {
    let whole = |tx| Section {
        start: 0,
        end: text.len(),
        line: 1,
        tx,
    };
    match format {
        MigrationFormat::Dbmate => {
            let (_, up_end, opts) = dbmate_marker(text, "up").ok_or(FileError::DbmateNoUp)?;
            let end = match dbmate_marker(text, "down") {
                Some((s, _, _)) if s >= up_end => s,
                _ => text.len(),
            };
            let tx = if opts.split_whitespace().any(|o| o == "transaction:false") {
                TxDeclaration::NoTransaction
            } else {
                TxDeclaration::Transaction
            };
            let line = 1 + text[..up_end].bytes().filter(|&b| b == b'\n').count() as u32;
            Ok(Section {
                start: up_end,
                end,
                line,
                tx,
            })
        }
        MigrationFormat::Diesel => Ok(whole(match metadata.and_then(diesel_run_in_transaction) {
            Some(false) => TxDeclaration::NoTransaction,
            _ => TxDeclaration::Transaction,
        })),
        // One changeset (`metadata` names it), or every changeset (the lint of a whole file).
        MigrationFormat::Liquibase => {
            let sets = liquibase_changesets(text);
            let chosen: Vec<&Changeset> = match metadata {
                Some(id) => sets.iter().filter(|c| c.id == id).collect(),
                None => sets.iter().collect(),
            };
            let (Some(first), Some(last)) = (chosen.first(), chosen.last()) else {
                return Ok(whole(TxDeclaration::Transaction));
            };
            Ok(Section {
                start: first.start,
                end: last.end,
                line: first.line,
                tx: if chosen.iter().all(|c| c.run_in_transaction) {
                    TxDeclaration::Transaction
                } else {
                    TxDeclaration::NoTransaction
                },
            })
        }
        // Atlas runs each file in a transaction (`--tx-mode file`) unless the file says
        // `-- atlas:txmode none`.
        MigrationFormat::Atlas => Ok(whole(if atlas_directive(text, "txmode") == Some("none") {
            TxDeclaration::NoTransaction
        } else {
            TxDeclaration::Transaction
        })),
        _ => Ok(whole(TxDeclaration::None)),
    }
}

/// `run_in_transaction = false` in Diesel's metadata.toml, read by hand (the
/// file has one meaningful key; a TOML parser would be a dependency for it).
pub fn diesel_run_in_transaction(metadata: &str) -> Option<bool> {
    for line in metadata.lines() {
        let line = line.split('#').next().unwrap_or("");
        if let Some((k, v)) = line.split_once('=') {
            if k.trim() == "run_in_transaction" {
                return match v.trim() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                };
            }
        }
    }
    None
}

/// `--liquibase formatted sql` on the first non-empty line.
fn is_liquibase(text: &str) -> bool {
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    first
        .strip_prefix("--")
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .is_some_and(|r| r.eq_ignore_ascii_case("liquibase formatted sql"))
}

/// One `--changeset author:id [attributes]` of a Liquibase formatted SQL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changeset {
    /// `author:id`, as Liquibase identifies it (with the file).
    pub id: String,
    /// The changeset's SQL: from after its `--changeset` line to the next one.
    pub start: usize,
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// `runInTransaction:false` opts out of Liquibase's transaction.
    pub run_in_transaction: bool,
}

/// The changesets of a Liquibase formatted SQL file, in order. `--rollback` lines are
/// comments to Postgres: they stay in the range and are never run.
pub fn liquibase_changesets(text: &str) -> Vec<Changeset> {
    let mut out: Vec<Changeset> = Vec::new();
    let mut pos = 0;
    let mut line_no = 0u32;
    for line in text.split_inclusive('\n') {
        line_no += 1;
        let start = pos;
        pos += line.len();
        let l = line.trim();
        let Some(rest) = l.strip_prefix("--") else {
            continue;
        };
        let Some(decl) = rest.trim_start().strip_prefix("changeset") else {
            continue;
        };
        if !decl.starts_with(char::is_whitespace) {
            continue;
        }
        let mut words = decl.split_whitespace();
        let id = words.next().unwrap_or_default().to_string();
        let run_in_transaction = !words.any(|w| w.eq_ignore_ascii_case("runInTransaction:false"));
        if let Some(prev) = out.last_mut() {
            prev.end = start;
        }
        out.push(Changeset {
            id,
            start: pos,
            end: text.len(),
            line: line_no + 1,
            run_in_transaction,
        });
    }
    out
}

/// An Atlas file directive, `-- atlas:<name> <value>`, from the file's leading comments.
pub fn atlas_directive<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let rest = l.strip_prefix("--")?.trim_start();
        if let Some(v) = rest
            .strip_prefix("atlas:")
            .and_then(|r| r.strip_prefix(name))
        {
            if v.starts_with(char::is_whitespace) {
                return Some(v.trim());
            }
        }
    }
    None
}

/// Sort key reproducing each tool's apply order for files of one format.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrderKey {
    /// Flyway versioned migrations, by numeric version parts.
    Versioned(Vec<u128>, String),
    /// Everything ordered by a string (dir name, diesel version, file name),
    /// then the path to make the order total.
    Named(String, String),
    /// Plain files in natural order: runs of digits compared as numbers, so `2_x.sql`
    /// comes before `10_x.sql` as golang-migrate's integer versions do; zero-padded names
    /// keep their byte order.
    Natural(Vec<NaturalPart>, String),
    /// Flyway repeatables run after all versioned ones, by description.
    Repeatable(String, String),
}

/// One run of a path for [`OrderKey::Natural`]: text, or a number (leading zeros and all,
/// so `01` and `1` stay distinct and ordered).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum NaturalPart {
    Number(u128, usize),
    Text(String),
}

/// `migrations/10_idx.up.sql` → [Text("migrations/"), Number(10), Text("_idx.up.sql")].
pub fn natural_parts(path: &str) -> Vec<NaturalPart> {
    let mut parts = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            let (num, tail) = rest.split_at(digits);
            match num.parse::<u128>() {
                Ok(n) => parts.push(NaturalPart::Number(n, digits)),
                Err(_) => parts.push(NaturalPart::Text(num.to_string())),
            }
            rest = tail;
        } else {
            let text = rest.len() - rest.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
            let (t, tail) = rest.split_at(text);
            parts.push(NaturalPart::Text(t.to_string()));
            rest = tail;
        }
    }
    parts
}

/// The key migrate mode sorts a format's files by.
pub fn order_key(format: MigrationFormat, relative_path: &str) -> OrderKey {
    let name = file_name(relative_path);
    let p = relative_path.to_string();
    match format {
        MigrationFormat::Flyway => match flyway_version(name) {
            Some(v) => OrderKey::Versioned(v, p),
            None => OrderKey::Repeatable(name.trim_start_matches("R__").to_string(), p),
        },
        // Prisma: the migration directory name, in byte order.
        MigrationFormat::Prisma => OrderKey::Named(parent_dir(relative_path).to_string(), p),
        // Diesel: the directory name up to the first `_`, without `-`.
        MigrationFormat::Diesel => {
            let dir = parent_dir(relative_path);
            let v = dir.split('_').next().unwrap_or(dir).replace('-', "");
            OrderKey::Named(v, p)
        }
        // dbmate and Atlas sort by file name (its version prefix). sqitch's order is its
        // plan's, which discovery puts in the key instead.
        MigrationFormat::Dbmate
        | MigrationFormat::Atlas
        | MigrationFormat::Sqitch
        | MigrationFormat::Liquibase => OrderKey::Named(name.to_string(), p),
        MigrationFormat::PlainSql => OrderKey::Natural(natural_parts(&p), p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MigrationFormat::*;

    #[test]
    fn plain_files_sort_naturally() {
        let mut v = vec![
            "migrations/10_idx.up.sql",
            "migrations/2_email.up.sql",
            "migrations/1_init.up.sql",
        ];
        v.sort_by_key(|p| order_key(PlainSql, p));
        assert_eq!(
            v,
            [
                "migrations/1_init.up.sql",
                "migrations/2_email.up.sql",
                "migrations/10_idx.up.sql"
            ]
        );
        // Zero-padded names keep their byte order.
        let mut v = vec![
            "m/010_c.sql",
            "m/002_b.sql",
            "m/001_a.sql",
            "m/2024/08/08-01-x.sql",
        ];
        let mut bytes = v.clone();
        bytes.sort();
        v.sort_by_key(|p| order_key(PlainSql, p));
        assert_eq!(v, bytes);
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect("prisma/migrations/0_init/migration.sql", ""), Prisma);
        assert_eq!(detect("migrations/2019-02-26-002946_x/up.sql", ""), Diesel);
        assert_eq!(detect("db/migration/V2.1__x.sql", ""), Flyway);
        assert_eq!(detect("db/migration/R__views.sql", ""), Flyway);
        assert_eq!(detect("db/1_x.sql", "-- migrate:up\nselect 1;"), Dbmate);
        assert_eq!(detect("admin/sql/CreateTables.sql", "select 1;"), PlainSql);
        assert_eq!(detect("Vfoo.sql", ""), PlainSql);
    }

    #[test]
    fn liquibase_changesets_are_units() {
        let t = "--liquibase formatted sql\n\n--changeset ann:1\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n\n--changeset bob:idx runInTransaction:false\nCREATE INDEX CONCURRENTLY i ON t (id);\n";
        assert_eq!(detect("db/changelog/001.sql", t), Liquibase);
        let sets = liquibase_changesets(t);
        assert_eq!(sets.len(), 2);
        assert_eq!(
            &t[sets[0].start..sets[0].end],
            "CREATE TABLE t (id int);\n--rollback DROP TABLE t;\n\n"
        );
        assert_eq!(
            (
                sets[0].id.as_str(),
                sets[0].line,
                sets[0].run_in_transaction
            ),
            ("ann:1", 4, true)
        );
        let s = section(Liquibase, t, Some("bob:idx")).unwrap();
        assert_eq!(
            &t[s.start..s.end],
            "CREATE INDEX CONCURRENTLY i ON t (id);\n"
        );
        assert_eq!((s.line, s.tx), (8, TxDeclaration::NoTransaction));
        assert!(!is_liquibase("select 1;\n--liquibase formatted sql\n"));
    }

    #[test]
    fn atlas_files_run_in_a_transaction_unless_they_say_none() {
        let t = "-- atlas:txmode none\n\ncreate index concurrently i on t (a);\n";
        assert_eq!(
            section(Atlas, t, None).unwrap().tx,
            TxDeclaration::NoTransaction
        );
        let t = "-- add t\ncreate table t (a int);\n-- atlas:txmode none\n";
        assert_eq!(
            section(Atlas, t, None).unwrap().tx,
            TxDeclaration::Transaction
        );
        assert_eq!(
            atlas_directive("-- atlas:sum ignore\n", "sum"),
            Some("ignore")
        );
    }

    #[test]
    fn dbmate_up_section_and_options() {
        let t = "-- comment\n-- migrate:up transaction:false\ncreate index concurrently i on t(a);\n-- migrate:down\ndrop index i;\n";
        let s = section(Dbmate, t, None).unwrap();
        assert_eq!(&t[s.start..s.end], "create index concurrently i on t(a);\n");
        assert_eq!((s.line, s.tx), (3, TxDeclaration::NoTransaction));
        let s = section(Dbmate, "--migrate:up\nselect 1;", None).unwrap();
        assert_eq!(s.tx, TxDeclaration::Transaction);
        assert_eq!(
            section(Dbmate, "select 1;", None),
            Err(FileError::DbmateNoUp)
        );
    }

    #[test]
    fn diesel_metadata() {
        let s = section(Diesel, "", Some("# x\nrun_in_transaction = false\n")).unwrap();
        assert_eq!(s.tx, TxDeclaration::NoTransaction);
        assert_eq!(
            section(Diesel, "", None).unwrap().tx,
            TxDeclaration::Transaction
        );
    }

    #[test]
    fn flyway_order() {
        let mut v = vec![
            "R__b.sql",
            "V10__x.sql",
            "V2.1__x.sql",
            "R__a.sql",
            "V2__x.sql",
            "V1__x.sql",
        ];
        v.sort_by_key(|p| order_key(Flyway, p));
        assert_eq!(
            v,
            [
                "V1__x.sql",
                "V2__x.sql",
                "V2.1__x.sql",
                "V10__x.sql",
                "R__a.sql",
                "R__b.sql"
            ]
        );
    }

    #[test]
    fn diesel_and_prisma_order() {
        let mut v = [
            "m/2019-02-27-170003_b/up.sql",
            "m/00000000000000_diesel_initial_setup/up.sql",
            "m/2019-02-26-002946_a/up.sql",
        ];
        v.sort_by_key(|p| order_key(Diesel, p));
        assert_eq!(v[0], "m/00000000000000_diesel_initial_setup/up.sql");
        assert_eq!(v[2], "m/2019-02-27-170003_b/up.sql");
        let mut p = ["m/20230411_b/migration.sql", "m/01_init/migration.sql"];
        p.sort_by_key(|x| order_key(Prisma, x));
        assert_eq!(p[0], "m/01_init/migration.sql");
    }
}
