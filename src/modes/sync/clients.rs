//! Which pg_dump/pg_restore/psql to run. The `pg_dump` on PATH of an Ubuntu runner is a
//! wrapper that picks a version on its own; we pick by absolute path instead: the client of
//! the highest installed major, which must be at least the newer server's major.

use crate::error::{Error, Result};
use crate::host::{Command, DirEntry, Host};
use crate::runtime::Runtime;

pub const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub major: u32,
    pub dir: String,
}

impl Client {
    pub fn bin(&self, name: &str) -> String {
        format!("{}/{name}", self.dir.trim_end_matches('/'))
    }
}

/// `pg_dump (PostgreSQL) 16.4 (Ubuntu 16.4-1.pgdg24.04+1)` → 16; `pg_dump (PostgreSQL) 9.6.24` → 9.
pub fn parse_client_version(out: &str) -> Option<u32> {
    let after = out.split(")").nth(1).unwrap_or(out).trim_start();
    let number: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
    number.parse().ok()
}

/// `server_version_num` (`150008`, `90624`) → major (15, 9).
pub fn parse_server_version_num(out: &str) -> Option<u32> {
    let n: u32 = out.trim().parse().ok()?;
    Some(n / 10_000)
}

/// Majors with a `pg_dump` under `/usr/lib/postgresql/<N>/bin`, highest first.
pub fn installed(entries: &[DirEntry]) -> Vec<Client> {
    let mut found: Vec<Client> = entries
        .iter()
        .filter_map(|e| {
            let mut parts = e.path.split('/');
            let (major, bin, file) = (parts.next()?, parts.next()?, parts.next()?);
            (bin == "bin" && file == "pg_dump" && parts.next().is_none())
                .then(|| major.parse().ok())
                .flatten()
                .map(|m| Client {
                    major: m,
                    dir: format!("{DEBIAN_ROOT}/{major}/bin"),
                })
        })
        .collect();
    found.sort_by_key(|c| std::cmp::Reverse(c.major));
    found
}

pub fn package_for(major: u32) -> String {
    format!("postgresql-client-{major}")
}

/// The error when no client is new enough, naming the package that is.
pub fn too_old(needed: u32, servers: &str, best: Option<&Client>) -> Error {
    let have = match best {
        Some(c) => format!("the newest client found is {} ({})", c.major, c.dir),
        None => format!("no PostgreSQL client was found under {DEBIAN_ROOT}/<N>/bin"),
    };
    Error::Failed(format!(
        "pg_dump {needed} or newer is needed ({servers}), but {have}. Install the Debian package `{}` (from apt.postgresql.org on ubuntu runners), set `install-client: true`, or point `pg-bin-dir` at a client of major {needed} or newer",
        package_for(needed)
    ))
}

/// The client in `pg-bin-dir`, or the highest installed one.
pub async fn discover<H: Host>(
    rt: &Runtime<H>,
    pg_bin_dir: &Option<String>,
) -> Result<Option<Client>> {
    if let Some(dir) = pg_bin_dir {
        let dir = dir.trim_end_matches('/').to_string();
        let out = rt
            .host
            .run(&Command::new(format!("{dir}/pg_dump")).arg("--version"))
            .await
            .map_err(|e| Error::input("pg-bin-dir", format!("cannot run pg_dump there: {e}")))?;
        let major = parse_client_version(&out.stdout).ok_or_else(|| {
            Error::input(
                "pg-bin-dir",
                format!(
                    "`{dir}/pg_dump --version` printed `{}`, not a PostgreSQL version",
                    out.stdout.trim()
                ),
            )
        })?;
        return Ok(Some(Client { major, dir }));
    }
    let entries = rt.host.walk(DEBIAN_ROOT).unwrap_or_default();
    Ok(installed(&entries).into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::EntryKind;

    fn entry(path: &str) -> DirEntry {
        DirEntry {
            path: path.into(),
            kind: EntryKind::File,
            size: 1,
            target: None,
        }
    }

    #[test]
    fn versions() {
        assert_eq!(
            parse_client_version("pg_dump (PostgreSQL) 16.4 (Ubuntu 16.4-1.pgdg24.04+1)\n"),
            Some(16)
        );
        assert_eq!(parse_client_version("pg_dump (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_client_version("garbage"), None);
        assert_eq!(parse_server_version_num("150008\n"), Some(15));
        assert_eq!(parse_server_version_num("170000"), Some(17));
        assert_eq!(parse_server_version_num("90624"), Some(9));
    }

    #[test]
    fn picks_highest_installed_major() {
        let found = installed(&[
            entry("14/bin/pg_dump"),
            entry("16/bin/pg_dump"),
            entry("16/bin/psql"),
            entry("15/lib/pg_dump"),
            entry("17/bin/psql"),
        ]);
        assert_eq!(
            found.iter().map(|c| c.major).collect::<Vec<_>>(),
            vec![16, 14]
        );
        assert_eq!(
            found[0].bin("pg_restore"),
            "/usr/lib/postgresql/16/bin/pg_restore"
        );
    }

    #[test]
    fn error_names_the_package() {
        let best = Client {
            major: 15,
            dir: "/usr/lib/postgresql/15/bin".into(),
        };
        let e = too_old(17, "source is PostgreSQL 17", Some(&best)).to_string();
        assert!(
            e.contains("`postgresql-client-17`") && e.contains("15"),
            "{e}"
        );
    }
}
