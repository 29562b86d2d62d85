//! Which pg_dump/pg_restore/psql to run. The `pg_dump` on PATH of an Ubuntu runner is a
//! wrapper that picks a version on its own; we pick by absolute path instead: the client of
//! the highest installed major, which must be at least the source server's major (pg_dump
//! refuses newer servers; pg_restore and psql work against newer ones).

use crate::error::{Error, Result};
use crate::host::{Command, Host};
use crate::pg::install::package_for;
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

/// The error when no client is new enough, naming the package that is.
pub fn too_old(needed: u32, servers: &str, best: Option<&Client>) -> Error {
    let have = match best {
        Some(c) => format!("the newest client found is {} ({})", c.major, c.dir),
        None => format!("no PostgreSQL client was found under {CLIENT_ROOT}/<N>/bin"),
    };
    Error::Failed(format!(
        "pg_dump {needed} or newer is needed ({servers}), but {have}. Install the Debian package `{}` (from the PostgreSQL project's apt repository where the distribution lacks it), set `install-client: true`, or point `pg-bin-dir` at a client of major {needed} or newer",
        package_for(needed)
    ))
}

/// The client in `pg-bin-dir`, or the highest installed one.
pub async fn discover<H: Host>(
    rt: &Runtime<H>,
    pg_bin_dir: &Option<String>,
) -> Result<Option<Client>> {
    Ok(candidates(rt, pg_bin_dir).await?.into_iter().next())
}

/// Every client to choose from, highest first: the one in `pg-bin-dir` (the user's choice,
/// alone), else every major installed under /usr/lib/postgresql.
pub async fn candidates<H: Host>(
    rt: &Runtime<H>,
    pg_bin_dir: &Option<String>,
) -> Result<Vec<Client>> {
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
        return Ok(vec![Client { major, dir }]);
    }
    Ok(crate::pg::find_installed(&rt.host, "pg_dump")
        .into_iter()
        .map(|(major, dir)| Client { major, dir })
        .collect())
}

/// pg_restore 17 and newer open every session with `SET transaction_timeout = 0`, a
/// setting servers before 17 reject, so with `--exit-on-error` they restore nothing there.
pub const TRANSACTION_TIMEOUT_MAJOR: u32 = 17;

/// Why no candidate fits, and the client major that would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit {
    /// No pg_dump can dump the source: it refuses servers newer than itself.
    TooOld { needed: u32 },
    /// Every pg_dump new enough for the source comes with a pg_restore that cannot load
    /// into the target (see [`TRANSACTION_TIMEOUT_MAJOR`]): a client of `needed` can.
    RestoreTooNew { needed: u32, best: u32 },
}

/// The client to run once both majors are known: the oldest that can dump the source.
/// pg_dump needs ≥ the source; pg_restore loads into newer servers but not always into
/// older ones, so the oldest fitting client is also the one that best matches the target.
pub fn choose(
    candidates: &[Client],
    source: u32,
    target: u32,
) -> std::result::Result<Client, Unfit> {
    let fitting = candidates
        .iter()
        .filter(|c| c.major >= source)
        .min_by_key(|c| c.major)
        .ok_or(Unfit::TooOld { needed: source })?;
    if fitting.major >= TRANSACTION_TIMEOUT_MAJOR && target < TRANSACTION_TIMEOUT_MAJOR {
        return Err(Unfit::RestoreTooNew {
            needed: target.max(source),
            best: fitting.major,
        });
    }
    Ok(fitting.clone())
}

/// The error for [`Unfit::RestoreTooNew`].
pub fn restore_too_new(best: u32, target: u32, source: u32, chosen_by_user: bool) -> Error {
    let range = if source == target {
        format!("{target}")
    } else {
        format!("{source} to {target}")
    };
    let fix = if chosen_by_user {
        format!("point `pg-bin-dir` at a client of major {range}")
    } else {
        format!("install `{}` (or set `install-client: true`), or point `pg-bin-dir` at a client of major {range}", package_for(target))
    };
    Error::Failed(format!(
        "pg_restore {best} cannot restore into the target's PostgreSQL {target}: pg_restore {TRANSACTION_TIMEOUT_MAJOR} and newer start with `SET transaction_timeout = 0`, which PostgreSQL {target} rejects. Nothing was changed. A client of major {range} dumps production and restores into the target: {fix}"
    ))
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

    fn client(major: u32) -> Client {
        Client {
            major,
            dir: format!("/usr/lib/postgresql/{major}/bin"),
        }
    }

    #[test]
    fn chooses_the_oldest_client_that_can_dump_the_source() {
        let all = [client(18), client(16), client(15)];
        assert_eq!(choose(&all, 14, 16), Ok(client(15)));
        assert_eq!(choose(&all, 16, 17), Ok(client(16)));
        assert_eq!(choose(&all, 17, 17), Ok(client(18)));
        assert_eq!(choose(&all, 18, 18), Ok(client(18)));
        assert_eq!(
            choose(&[client(15)], 16, 16),
            Err(Unfit::TooOld { needed: 16 })
        );
        // pg_restore 17+ cannot load into a server before 17.
        assert_eq!(
            choose(&[client(18), client(15)], 16, 16),
            Err(Unfit::RestoreTooNew {
                needed: 16,
                best: 18
            })
        );
        assert_eq!(
            choose(&[client(17)], 14, 15),
            Err(Unfit::RestoreTooNew {
                needed: 15,
                best: 17
            })
        );
        let e = restore_too_new(18, 16, 15, false).to_string();
        assert!(
            e.contains("pg_restore 18 cannot restore into the target's PostgreSQL 16"),
            "{e}"
        );
        assert!(
            e.contains("major 15 to 16") && e.contains("`postgresql-client-16`"),
            "{e}"
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
