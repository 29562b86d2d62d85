//! Which pg_dump/pg_restore/psql to run. The `pg_dump` on PATH of an Ubuntu runner is a
//! wrapper that picks a version on its own; we pick by absolute path instead: the client of
//! the highest installed major, which must be at least the newer server's major.

use crate::error::{Error, Result};
use crate::host::{Command, Host};
use crate::pg::{parse_client_version, CLIENT_ROOT};
use crate::runtime::Runtime;

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

/// `server_version_num` (`150008`, `90624`) → major (15, 9).
pub fn parse_server_version_num(out: &str) -> Option<u32> {
    Some(crate::pg::server_major(out.trim().parse().ok()?))
}

pub fn package_for(major: u32) -> String {
    format!("postgresql-client-{major}")
}

/// The error when no client is new enough, naming the package that is.
pub fn too_old(needed: u32, servers: &str, best: Option<&Client>) -> Error {
    let have = match best {
        Some(c) => format!("the newest client found is {} ({})", c.major, c.dir),
        None => format!("no PostgreSQL client was found under {CLIENT_ROOT}/<N>/bin"),
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
        let (_, major) = parse_client_version(&out.stdout).ok_or_else(|| {
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
    Ok(crate::pg::find_installed(&rt.host, "pg_dump")
        .into_iter()
        .next()
        .map(|(major, dir)| Client { major, dir }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_versions() {
        assert_eq!(parse_server_version_num("150008\n"), Some(15));
        assert_eq!(parse_server_version_num("170000"), Some(17));
        assert_eq!(parse_server_version_num("90624"), Some(9));
        assert_eq!(parse_server_version_num("x"), None);
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
