//! `install-client: true`, in every mode: put the PostgreSQL client of a given major on a
//! Debian/Ubuntu runner with apt-get, as the seed workflows do by hand. The distribution's
//! package first (fast, and already trusted); when the distribution has no such major
//! (Ubuntu 24.04 carries 16 only), the PostgreSQL project's own apt repository, added with
//! the script and signing key that Debian's `postgresql-common` package ships.

use crate::error::{Error, Result};
use crate::host::{Command, Host, ProcessOutput};
use crate::runtime::Runtime;

/// The script `postgresql-common` ships to add the PostgreSQL project's apt repository
/// (with its signing key, also from the package); `-y` runs it without asking.
pub const PGDG_SCRIPT: &str = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh";

/// The Debian package of one major's client programs (psql, pg_dump, pg_restore).
pub fn package_for(major: u32) -> String {
    format!("postgresql-client-{major}")
}

/// A client found or installed: its major and the directory holding its programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub major: u32,
    pub dir: String,
}

/// Install the client of `major` (`None`: the distribution's default client) and return
/// the newest installed client that has `program`. Nothing is installed over a user's
/// `pg-bin-dir`: callers only come here without one.
pub async fn install<H: Host>(
    rt: &Runtime<H>,
    major: Option<u32>,
    program: &str,
) -> Result<Installed> {
    let package = major
        .map(package_for)
        .unwrap_or_else(|| "postgresql-client".into());
    rt.info(&format!("Installing {package} (install-client: true)"));
    let apt = Apt::new(rt).await;
    let mut from = "the distribution";
    let mut out = apt
        .run(rt, &["install", "-y", "--no-install-recommends", &package])
        .await?;
    if !out.success() {
        // Runners' package lists are often stale: refresh them, try again.
        apt.run(rt, &["update"]).await?;
        out = apt
            .run(rt, &["install", "-y", "--no-install-recommends", &package])
            .await?;
    }
    if !out.success() && major.is_some() {
        // The distribution has no such major: the PostgreSQL project's repository has all.
        from = "the PostgreSQL project's apt repository";
        rt.info(&format!(
            "{package} is not in the distribution's repositories: adding the PostgreSQL project's apt repository ({PGDG_SCRIPT})"
        ));
        if rt
            .host
            .walk(PGDG_SCRIPT.rsplit_once('/').map_or("", |p| p.0))
            .is_err()
        {
            apt.run(
                rt,
                &[
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "postgresql-common",
                ],
            )
            .await?;
        }
        let added = apt.sudo(rt, PGDG_SCRIPT, &["-y"]).await?;
        if !added.success() {
            return Err(failed(
                &package,
                "adding the PostgreSQL project's apt repository",
                &added,
            ));
        }
        out = apt
            .run(rt, &["install", "-y", "--no-install-recommends", &package])
            .await?;
    }
    if !out.success() {
        return Err(failed(&package, "apt-get install", &out));
    }
    let found = super::find_installed(&rt.host, program);
    let client = match major {
        Some(m) => found.into_iter().find(|c| c.0 == m),
        None => found.into_iter().next(),
    };
    let Some((major, dir)) = client else {
        return Err(Error::Failed(format!(
            "{package} was installed from {from}, but no {program} appeared under {}/<major>/bin; install the client before this step and set `pg-bin-dir:` to its directory",
            super::CLIENT_ROOT
        )));
    };
    rt.info(&format!(
        "Installed {package} from {from}: PostgreSQL {major} client programs in {dir}"
    ));
    Ok(Installed { major, dir })
}

fn failed(package: &str, step: &str, out: &ProcessOutput) -> Error {
    let said: Vec<&str> = out
        .stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("WARNING: apt does not have a stable CLI"))
        .take(6)
        .collect();
    Error::Failed(format!(
        "install-client: {step} failed for {package}: {}. Install the client before this step (Debian/Ubuntu: `sudo apt-get install -y {package}`, after `sudo {PGDG_SCRIPT} -y` when the distribution lacks that major) and set `pg-bin-dir:` to its bin directory",
        if said.is_empty() { "no message".to_string() } else { said.join(" ") }
    ))
}

/// apt-get as root: directly when the step runs as root, else through passwordless sudo
/// (GitHub's hosted runners have it); never a shell.
struct Apt {
    root: bool,
}

impl Apt {
    async fn new<H: Host>(rt: &Runtime<H>) -> Apt {
        let root = rt
            .host
            .run(&Command::new("id").arg("-u"))
            .await
            .map(|o| o.stdout.trim() == "0")
            .unwrap_or(false);
        Apt { root }
    }

    async fn run<H: Host>(&self, rt: &Runtime<H>, args: &[&str]) -> Result<ProcessOutput> {
        self.sudo(rt, "apt-get", args).await
    }

    async fn sudo<H: Host>(
        &self,
        rt: &Runtime<H>,
        program: &str,
        args: &[&str],
    ) -> Result<ProcessOutput> {
        let command = if self.root {
            Command::new(program)
        } else {
            Command::new("sudo").args(["-n", program])
        };
        let command = command
            .args(args.iter().copied())
            .env("DEBIAN_FRONTEND", "noninteractive")
            .streamed();
        rt.host.run(&command).await.map_err(|e| {
            Error::Failed(format!(
                "install-client needs apt-get (Debian or Ubuntu runners): {e}. On other runners install the PostgreSQL client before this step and set `pg-bin-dir:` to its bin directory"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;

    fn out(code: i32, stdout: &str) -> ProcessOutput {
        ProcessOutput {
            code: Some(code),
            stdout: stdout.into(),
            ..Default::default()
        }
    }
    fn ok() -> ProcessOutput {
        out(0, "")
    }
    fn err(stderr: &str) -> ProcessOutput {
        ProcessOutput {
            code: Some(100),
            stderr: stderr.into(),
            ..Default::default()
        }
    }
    fn argv(c: &Command) -> String {
        std::iter::once(c.program.as_str())
            .chain(c.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[tokio::test]
    async fn falls_back_to_the_postgresql_repository_when_the_distribution_lacks_the_major() {
        let host = TestHost::new()
            .with_file("/usr/lib/postgresql/16/bin/pg_dump", b"")
            .with_file("/usr/lib/postgresql/18/bin/pg_dump", b"")
            .with_file(PGDG_SCRIPT, b"");
        host.scripted.borrow_mut().extend([
            out(0, "1001\n"),
            err("E: Unable to locate package postgresql-client-18"),
            ok(),
            err("E: Unable to locate package postgresql-client-18"),
            ok(),
            ok(),
        ]);
        let rt = Runtime::new(host);
        let got = install(&rt, Some(18), "pg_dump").await.unwrap();
        assert_eq!(got.major, 18);
        assert_eq!(got.dir, "/usr/lib/postgresql/18/bin");
        let commands: Vec<String> = rt.host.commands.borrow().iter().map(argv).collect();
        assert_eq!(
            commands,
            [
                "id -u",
                "sudo -n apt-get install -y --no-install-recommends postgresql-client-18",
                "sudo -n apt-get update",
                "sudo -n apt-get install -y --no-install-recommends postgresql-client-18",
                &format!("sudo -n {PGDG_SCRIPT} -y"),
                "sudo -n apt-get install -y --no-install-recommends postgresql-client-18",
            ]
        );
        let log = rt.host.log_text();
        assert!(
            log.contains("Installed postgresql-client-18 from the PostgreSQL project's apt repository: PostgreSQL 18 client programs in /usr/lib/postgresql/18/bin"),
            "{log}"
        );
    }

    #[tokio::test]
    async fn a_failed_install_names_the_package_and_the_way_out() {
        let host = TestHost::new();
        host.scripted.borrow_mut().extend([
            out(0, "0\n"),
            err("E: Could not open lock file"),
            ok(),
            err("E: Could not open lock file"),
        ]);
        let rt = Runtime::new(host);
        let e = install(&rt, None, "psql").await.unwrap_err().to_string();
        assert!(
            e.contains("apt-get install failed for postgresql-client: E: Could not open lock file"),
            "{e}"
        );
        assert!(e.contains("set `pg-bin-dir:`"), "{e}");
        // As root: no sudo.
        assert_eq!(rt.host.commands.borrow()[1].program, "apt-get");
    }
}
