//! The migration files under `migrations-path`: found by walking the checkout through the
//! Host, matched against the glob, read, checksummed and put in their tool's apply order.

use super::atlas;
use super::sqitch;
use crate::error::{Error, Result};
use crate::host::{EntryKind, Host};
use crate::runtime::Runtime;
use crate::sql::format::{self, MigrationFormat, OrderKey};
use crate::sql::glob::Glob;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// The tracking version: the path relative to the migrations directory (the glob's
    /// literal prefix), e.g. `2024/08/08-01-2024-add-flag-to-users.sql`.
    pub version: String,
    /// Path relative to the repository root (annotations, the SQL engine).
    pub path: String,
    pub bytes: Vec<u8>,
    /// Diesel's `metadata.toml` next to `up.sql`.
    pub metadata: Option<String>,
    pub checksum: String,
    pub format: MigrationFormat,
    pub key: OrderKey,
}

/// SHA-256 of the file with line endings and a BOM normalised, so a checkout with
/// `core.autocrlf` does not look like an edit.
pub fn checksum(bytes: &[u8]) -> String {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut normalised = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\r' && body.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        normalised.push(body[i]);
        i += 1;
    }
    super::tracking::hex(&Sha256::digest(&normalised))
}

/// The glob's directory part without wildcards: `migrations/**/*.sql` → `migrations`.
pub fn base_dir(glob: &str) -> String {
    let glob = glob.trim().trim_start_matches("./");
    let mut parts = Vec::new();
    let segments: Vec<&str> = glob.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        if i == segments.len() - 1 || seg.contains(['*', '?', '[']) {
            break;
        }
        parts.push(*seg);
    }
    parts.join("/")
}

/// Files a tool never applies as an UP migration (rollbacks): never applied, planned or
/// linted, in migrate and preview alike.
pub fn is_down_or_undo(path: &str, format: MigrationFormat) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    (format == MigrationFormat::Diesel && name == "down.sql")
        || (name.starts_with('U')
            && name.contains("__")
            && name[1..].starts_with(|c: char| c.is_ascii_digit()))
        || name.ends_with(".down.sql")
}

/// Why the symbolic link at `rel` (resolved by the host to `target`) must not be read as
/// a migration, or `None` when it stays inside the checkout. Reading through it would put
/// someone else's file (another checkout, `/proc/self/environ`, `.git/config` with the
/// checkout's token) into psql, the log and the PR comment.
pub fn symlink_problem(rel: &str, target: Option<&str>, workspace: &str) -> Option<String> {
    let workspace = workspace.trim_end_matches('/');
    let git = format!("{workspace}/.git");
    match target {
        Some(t) if t == git || t.starts_with(&format!("{git}/")) => Some(format!(
            "{rel} is a symbolic link into .git/ ({t}), the repository's metadata (it can hold the checkout's credentials); migrations must be files in the repository (replace the link with the file)"
        )),
        Some(t) if t.starts_with(&format!("{workspace}/")) => None,
        Some(t) => Some(format!(
            "{rel} is a symbolic link to {t}, outside the repository checkout; migrations must live in the repository (replace the link with the file)"
        )),
        None => Some(format!(
            "{rel} is a symbolic link that points nowhere (dangling or a loop); fix or delete it"
        )),
    }
}

pub fn discover<H: Host>(
    rt: &Runtime<H>,
    workspace: &str,
    glob: &str,
) -> Result<Vec<MigrationFile>> {
    discover_as(rt, workspace, glob, None)
}

/// [`discover`] with the tool named by `format:`. Forcing plain SQL reads every file as
/// plain (a stray `-- migrate:up` or `V1__` name means nothing); forcing a tool makes a
/// file that is not one of that tool's an error naming it, instead of a silent mix.
pub fn discover_as<H: Host>(
    rt: &Runtime<H>,
    workspace: &str,
    glob: &str,
    forced: Option<MigrationFormat>,
) -> Result<Vec<MigrationFile>> {
    let workspace = workspace.trim_end_matches('/');
    let base = base_dir(glob);
    let root = if base.is_empty() {
        workspace.to_string()
    } else {
        format!("{workspace}/{base}")
    };
    let matcher = Glob::new(glob);
    let entries = rt.host.walk(&root).map_err(|e| {
        Error::input(
            "migrations-path",
            format!("`{glob}`: cannot read the directory `{base}` in the checkout ({e}); is actions/checkout before this step, and is the path relative to the repository root?"),
        )
    })?;
    // Directories holding an atlas.sum are Atlas migration directories.
    let atlas_dirs: Vec<&str> = entries
        .iter()
        .filter(|e| e.kind != EntryKind::Dir)
        .filter_map(|e| match e.path.rsplit_once('/') {
            Some((dir, atlas::SUM_FILE)) => Some(dir),
            None if e.path == atlas::SUM_FILE => Some(""),
            _ => None,
        })
        .collect();
    let mut files = Vec::new();
    for entry in &entries {
        let rel = if base.is_empty() {
            entry.path.clone()
        } else {
            format!("{base}/{}", entry.path)
        };
        if entry.kind == EntryKind::Dir || !matcher.matches(&rel) {
            continue;
        }
        if entry.kind == EntryKind::Symlink {
            if let Some(problem) = symlink_problem(&rel, entry.target.as_deref(), workspace) {
                return Err(Error::Failed(problem));
            }
        }
        let bytes = rt.host.read_file(&format!("{workspace}/{rel}"))?;
        let text = String::from_utf8_lossy(&bytes);
        let dir = entry.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let detected = match format::detect(&rel, &text) {
            MigrationFormat::PlainSql if atlas_dirs.contains(&dir) => MigrationFormat::Atlas,
            other => other,
        };
        let fmt = match forced {
            None => detected,
            Some(MigrationFormat::PlainSql) => MigrationFormat::PlainSql,
            // sqitch's scripts are whatever its plan names: checked after this loop.
            Some(MigrationFormat::Sqitch) => MigrationFormat::PlainSql,
            Some(f) if f == detected => f,
            Some(f) => {
                return Err(Error::input(
                    "format",
                    format!("`{}`: {rel} is not a {} migration ({}); fix the file, narrow `migrations-path`, or set `format: auto`", format_name(f), format_name(f), format_rule(f)),
                ))
            }
        };
        if is_down_or_undo(&rel, fmt) {
            continue;
        }
        let metadata = if fmt == MigrationFormat::Diesel {
            let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            rt.host
                .read_file(&format!("{workspace}/{dir}/metadata.toml"))
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        } else {
            None
        };
        let version = entry.path.clone();
        if fmt == MigrationFormat::Liquibase {
            files.extend(liquibase_units(&rel, &version, &bytes, &text)?);
            continue;
        }
        files.push(MigrationFile {
            key: format::order_key(fmt, &version),
            version,
            path: rel,
            checksum: checksum(&bytes),
            bytes,
            metadata,
            format: fmt,
        });
    }
    for dir in atlas_dirs {
        verify_atlas_sum(rt, &root, &base, dir, &entries)?;
    }
    match sqitch_plan(rt, workspace, &base) {
        Some(plan) => order_by_sqitch_plan(&mut files, &plan, &base)?,
        None if forced == Some(MigrationFormat::Sqitch) => {
            return Err(Error::input(
                "format",
                format!("`sqitch`: no sqitch.plan beside `{base}` (its parent directory) or at the repository root; `migrations-path` must point into the project's deploy/ directory"),
            ))
        }
        None => {}
    }
    files.sort_by(|a, b| a.key.cmp(&b.key));
    if let Some(note) = natural_order_note(&files) {
        rt.notice_once(&note);
    }
    Ok(files)
}

fn format_name(f: MigrationFormat) -> &'static str {
    match f {
        MigrationFormat::PlainSql => "plain",
        MigrationFormat::Dbmate => "dbmate",
        MigrationFormat::Flyway => "flyway",
        MigrationFormat::Prisma => "prisma",
        MigrationFormat::Diesel => "diesel",
        MigrationFormat::Atlas => "atlas",
        MigrationFormat::Sqitch => "sqitch",
        MigrationFormat::Liquibase => "liquibase",
    }
}

/// How a tool's files are recognised, for the error when one is not.
fn format_rule(f: MigrationFormat) -> &'static str {
    match f {
        MigrationFormat::PlainSql => "any .sql file",
        MigrationFormat::Dbmate => "a `-- migrate:up` line",
        MigrationFormat::Flyway => {
            "named V<version>__<description>.sql, R__<description>.sql or U<version>__…"
        }
        MigrationFormat::Prisma => "<directory>/migration.sql",
        MigrationFormat::Diesel => "<version>_<name>/up.sql",
        MigrationFormat::Atlas => "in a directory with an atlas.sum",
        MigrationFormat::Sqitch => "deploy/<change>.sql of a sqitch.plan",
        MigrationFormat::Liquibase => "first line `--liquibase formatted sql`",
    }
}

/// A Liquibase formatted SQL file as its changesets: each applied, tracked
/// (`<file>::<author>:<id>`) and checksummed on its own, as Liquibase does, in file order.
fn liquibase_units(
    rel: &str,
    version: &str,
    bytes: &[u8],
    text: &str,
) -> Result<Vec<MigrationFile>> {
    let sets = format::liquibase_changesets(text);
    if sets.is_empty() {
        return Err(Error::input(
            "migrations-path",
            format!("{rel} says `--liquibase formatted sql` but has no `--changeset author:id` line: nothing in it would run"),
        ));
    }
    let mut out: Vec<MigrationFile> = Vec::new();
    for (i, c) in sets.iter().enumerate() {
        let unit_version = format!("{version}::{}", c.id);
        if out.iter().any(|f| f.version == unit_version) {
            return Err(Error::input(
                "migrations-path",
                format!("{rel}:{}: changeset `{}` appears twice in the file; Liquibase identifies changesets by author:id, so each must be unique", c.line - 1, c.id),
            ));
        }
        out.push(MigrationFile {
            key: OrderKey::Named(format!("{version}\u{1}{i:06}"), rel.to_string()),
            version: unit_version,
            path: rel.to_string(),
            // Blank lines around a changeset are not part of it (Liquibase's checksum
            // ignores them too): appending a changeset must not "edit" the one before.
            checksum: checksum(text[c.start..c.end].trim().as_bytes()),
            bytes: bytes.to_vec(),
            metadata: Some(c.id.clone()),
            format: MigrationFormat::Liquibase,
        });
    }
    Ok(out)
}

/// A sqitch project's plan, when `migrations-path` points into its `deploy/` directory:
/// `sqitch.plan` beside `deploy/`, or at the repository root.
fn sqitch_plan<H: Host>(rt: &Runtime<H>, workspace: &str, base: &str) -> Option<(String, String)> {
    let parent = match base.rsplit_once('/') {
        Some((p, "deploy")) => p,
        None if base == "deploy" => "",
        _ => return None,
    };
    [parent, ""].iter().find_map(|dir| {
        let rel = if dir.is_empty() {
            sqitch::PLAN_FILE.to_string()
        } else {
            format!("{dir}/{}", sqitch::PLAN_FILE)
        };
        rt.host
            .read_file(&format!("{workspace}/{rel}"))
            .ok()
            .map(|b| (rel, String::from_utf8_lossy(&b).into_owned()))
    })
}

/// Deploy scripts as sqitch deploys them: in plan order, every change with a script, no
/// script without a change.
fn order_by_sqitch_plan(
    files: &mut [MigrationFile],
    (plan_path, plan): &(String, String),
    base: &str,
) -> Result<()> {
    let changes = sqitch::changes(plan).map_err(|e| Error::input("migrations-path", e))?;
    for f in files.iter_mut() {
        let change = f.version.strip_suffix(".sql").unwrap_or(&f.version);
        let Some(i) = changes.iter().position(|c| c == change) else {
            return Err(Error::input(
                "migrations-path",
                format!(
                    "{} is not a change in {plan_path}: sqitch would never deploy it. Add it with `sqitch add {change}`, or move it out of {base}/",
                    f.path
                ),
            ));
        };
        f.format = MigrationFormat::Sqitch;
        f.key = OrderKey::Versioned(vec![i as u128], f.path.clone());
    }
    if let Some(missing) = changes.iter().find(|c| {
        !files
            .iter()
            .any(|f| f.version.strip_suffix(".sql") == Some(c.as_str()))
    }) {
        return Err(Error::input(
            "migrations-path",
            format!("{plan_path} lists the change `{missing}`, but {base}/{missing}.sql is not there (or `migrations-path` does not match it)"),
        ));
    }
    Ok(())
}

/// An Atlas directory's files against its atlas.sum, as `atlas migrate apply` checks them.
fn verify_atlas_sum<H: Host>(
    rt: &Runtime<H>,
    root: &str,
    base: &str,
    dir: &str,
    entries: &[crate::host::DirEntry],
) -> Result<()> {
    let at = |rel: &str| {
        if dir.is_empty() {
            format!("{root}/{rel}")
        } else {
            format!("{root}/{dir}/{rel}")
        }
    };
    let mut sql = Vec::new();
    for e in entries.iter().filter(|e| e.kind != EntryKind::Dir) {
        let (d, name) = e.path.rsplit_once('/').unwrap_or(("", e.path.as_str()));
        if d == dir && name.ends_with(".sql") {
            sql.push((name.to_string(), rt.host.read_file(&at(name))?));
        }
    }
    let sum = rt.host.read_file(&at(atlas::SUM_FILE))?;
    let shown = [base, dir]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    match atlas::verify(&shown, &String::from_utf8_lossy(&sum), &sql) {
        Some(problem) => Err(Error::input("migrations-path", problem)),
        None => Ok(()),
    }
}

/// Plain files run in natural order (`2_x` before `10_x`, as golang-migrate and people
/// number them); when that differs from a byte sort, which some tools and `ls` use, say
/// so once with the first place they part.
fn natural_order_note(files: &[MigrationFile]) -> Option<String> {
    let natural: Vec<&str> = files
        .iter()
        .filter(|f| f.format == MigrationFormat::PlainSql)
        .map(|f| f.path.as_str())
        .collect();
    let mut bytes = natural.clone();
    bytes.sort_unstable();
    let i = natural.iter().zip(&bytes).position(|(a, b)| a != b)?;
    Some(format!(
        "Migrations run in natural order, numbers compared as numbers: `{}` runs before `{}`, which a plain byte sort would put first",
        natural[i], bytes[i]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;

    #[test]
    fn checksum_ignores_crlf_and_bom() {
        let a = checksum(b"select 1;\nselect 2;\n");
        assert_eq!(a, checksum(b"\xEF\xBB\xBFselect 1;\r\nselect 2;\r\n"));
        assert_ne!(a, checksum(b"select 1;\nselect 3;\n"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn symlinks_must_stay_in_the_checkout_and_out_of_git() {
        let p = |t: Option<&str>| symlink_problem("migrations/x.sql", t, "/ws/");
        assert_eq!(p(Some("/ws/shared/x.sql")), None);
        assert!(p(Some("/etc/passwd"))
            .unwrap()
            .contains("outside the repository"));
        assert!(p(Some("/ws-other/x.sql"))
            .unwrap()
            .contains("outside the repository"));
        assert!(p(Some("/ws/.git/config")).unwrap().contains(".git/"));
        assert!(p(None).unwrap().contains("dangling or a loop"));
    }

    #[test]
    fn format_forces_plain_or_refuses_files_of_another_tool() {
        let host = TestHost::new()
            .with_file("/ws/migrations/V1__init.sql", b"-- migrate:up\nselect 1;")
            .with_file("/ws/migrations/2_more.sql", b"select 2;");
        let rt = Runtime::new(host);
        let auto = discover(&rt, "/ws", "migrations/*.sql").unwrap();
        assert!(auto.iter().any(|f| f.format == MigrationFormat::Flyway));
        let plain = discover_as(
            &rt,
            "/ws",
            "migrations/*.sql",
            Some(MigrationFormat::PlainSql),
        )
        .unwrap();
        assert!(plain.iter().all(|f| f.format == MigrationFormat::PlainSql));
        let e = discover_as(
            &rt,
            "/ws",
            "migrations/*.sql",
            Some(MigrationFormat::Flyway),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`format`") && e.contains("migrations/2_more.sql is not a flyway migration"),
            "{e}"
        );
        let e = discover_as(
            &rt,
            "/ws",
            "migrations/*.sql",
            Some(MigrationFormat::Sqitch),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no sqitch.plan"), "{e}");
    }

    #[test]
    fn base_dirs() {
        assert_eq!(base_dir("migrations/**/*.sql"), "migrations");
        assert_eq!(base_dir("./db/migrate/*.sql"), "db/migrate");
        assert_eq!(
            base_dir("prisma/migrations/*/migration.sql"),
            "prisma/migrations"
        );
        assert_eq!(base_dir("*.sql"), "");
    }

    #[test]
    fn discovers_in_tool_order_and_skips_down_files() {
        let host = TestHost::new()
            .with_file(
                "/ws/migrations/2024/08/08-01-2024-add-flag-to-users.sql",
                b"BEGIN; select 1; COMMIT;",
            )
            .with_file("/ws/migrations/2023/01/a.sql", b"select 1;")
            .with_file("/ws/other/x.sql", b"select 1;");
        let rt = Runtime::new(host);
        let files = discover(&rt, "/ws", "migrations/**/*.sql").unwrap();
        let v: Vec<&str> = files.iter().map(|f| f.version.as_str()).collect();
        assert_eq!(
            v,
            ["2023/01/a.sql", "2024/08/08-01-2024-add-flag-to-users.sql"]
        );
        assert_eq!(
            files[1].path,
            "migrations/2024/08/08-01-2024-add-flag-to-users.sql"
        );

        let host = TestHost::new()
            .with_file("/ws/migrations/V10__b.sql", b"select 1;")
            .with_file("/ws/migrations/V2__a.sql", b"select 1;")
            .with_file("/ws/migrations/U2__a.sql", b"select 1;")
            .with_file("/ws/d/2019-01-01-000000_x/up.sql", b"select 1;")
            .with_file("/ws/d/2019-01-01-000000_x/down.sql", b"select 1;");
        let rt = Runtime::new(host);
        let fly: Vec<String> = discover(&rt, "/ws", "migrations/*.sql")
            .unwrap()
            .into_iter()
            .map(|f| f.version)
            .collect();
        assert_eq!(fly, ["V2__a.sql", "V10__b.sql"]);
        let diesel = discover(&rt, "/ws", "d/**/*.sql").unwrap();
        assert_eq!(diesel.len(), 1);
        assert!(discover(&rt, "/ws", "nope/*.sql")
            .unwrap_err()
            .to_string()
            .contains("migrations-path"));
    }
}
