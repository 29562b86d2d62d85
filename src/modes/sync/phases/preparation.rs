//! Phase 1, preparation: settle what can be settled without changing anything — the
//! client binaries, both servers' major versions, the twin branch, the number of jobs.
//!
//! pg_dump refuses a server newer than itself, and a dump restored by an older pg_restore
//! can fail halfway; so the client's major must be ≥ both servers'. Checking that here,
//! before staging exists, is what lets "client too old" fail with nothing to undo.

use super::super::clients::{self, Client};
use super::super::job::{Job, STATE_CLIENT};
use super::super::pg::{self, Conn};
use super::super::settings::Target;
use crate::error::{Error, Result};
use crate::host::{Command, Host};
use crate::neon::connect::branch_connection;
use crate::neon::types::{Branch, NewBranch};
use crate::neon::NeonClient;
use crate::runtime::Runtime;

/// What the later phases need from preparation.
pub struct Prepared {
    pub source: Conn,
    /// The twin's connection (Neon) or `target-url`: where staging is made next to.
    pub target: Conn,
    /// The twin branch (Neon targets only).
    pub twin: Option<Branch>,
    /// Parallel jobs for pg_dump/pg_restore (`jobs`, default the runner's cores).
    pub jobs: u64,
    /// Production's major version (slicing a table by pages needs 14+).
    pub source_major: u32,
}

impl<H: Host> Job<'_, H> {
    pub async fn prepare(&mut self) -> Result<Prepared> {
        let rt = self.rt;
        let source = Conn::parse("production", "source-url", &self.s.source_url)?;
        // A client of any version first, just to ask the servers theirs.
        let mut client = clients::discover(rt, &self.s.pg_bin_dir).await?;
        if client.is_none() {
            if !self.s.install_client {
                return Err(clients::too_old(
                    17,
                    "no client to ask the servers with",
                    None,
                ));
            }
            client = install_client(rt, None).await?;
        }
        self.client = client;
        let source_major = server_major(rt, self.client(), &source).await?;
        // Production alone can already rule the client out: say so before anything is
        // created on the target (on a first sync, the twin branch itself).
        if self.client().major < source_major
            && (!self.s.install_client || self.s.pg_bin_dir.is_some())
        {
            let servers = format!("production is PostgreSQL {source_major}");
            return Err(clients::too_old(
                source_major,
                &servers,
                self.client.as_ref(),
            ));
        }
        let (target, twin) = self.target_connection().await?;
        let target_major = server_major(rt, self.client(), &target).await?;
        let needed = source_major.max(target_major);
        if self.client().major < needed {
            let servers =
                format!("production is PostgreSQL {source_major}, the target {target_major}");
            // An explicit `pg-bin-dir` is the user's choice: never install over it.
            if !self.s.install_client || self.s.pg_bin_dir.is_some() {
                return Err(clients::too_old(needed, &servers, self.client.as_ref()));
            }
            self.client = install_client(rt, Some(needed)).await?;
        }
        rt.info(&format!(
            "production: PostgreSQL {source_major}; target: PostgreSQL {target_major}; client: {} ({})",
            self.client().major,
            self.client().dir
        ));
        rt.host.save_state(STATE_CLIENT, &self.client().dir);
        let jobs = match self.s.jobs {
            Some(j) => j,
            None => cores(rt).await,
        };
        self.report.jobs = jobs;
        Ok(Prepared {
            source,
            target,
            twin,
            jobs,
            source_major,
        })
    }

    /// The connection used to learn the target's version, and the twin branch (Neon),
    /// created from the default branch on the very first sync.
    async fn target_connection(&mut self) -> Result<(Conn, Option<Branch>)> {
        match self.s.target.clone() {
            Target::Url(url) => Ok((Conn::parse("the target", "target-url", &url)?, None)),
            Target::Neon {
                api_key,
                api_host,
                project_id,
                twin_branch,
                role,
                database,
            } => {
                let neon = NeonClient::new(self.rt, &api_host, &api_key, &project_id);
                let twin = match neon.find_branch_by_name(&twin_branch).await? {
                    Some(b) => b,
                    None => {
                        self.rt.info(&format!("Twin branch {twin_branch} does not exist yet: creating it from the default branch"));
                        neon.create_branch(&NewBranch {
                            name: twin_branch.clone(),
                            ..Default::default()
                        })
                        .await?
                        .branch
                    }
                };
                let conn = branch_connection(&neon, &twin, None, &role, &database).await?;
                self.neon = Some(neon);
                Ok((
                    Conn::parse("the twin", "twin-branch", &conn.url)?,
                    Some(twin),
                ))
            }
        }
    }
}

/// The server's major version. This is the first contact with each server, so a failure
/// here is a connection problem: reported against the input the URL came from.
async fn server_major<H: Host>(rt: &Runtime<H>, client: &Client, conn: &Conn) -> Result<u32> {
    let out = rt
        .host
        .run(&conn.psql(client, &["SHOW server_version_num"]))
        .await?;
    if !out.success() {
        return Err(crate::pg::connect_error(
            &conn.label,
            &conn.input,
            &rt.scrub(&conn.dsn),
            &rt.scrub(&out.stderr),
        ));
    }
    let out = out.stdout;
    clients::parse_server_version_num(&out).ok_or_else(|| {
        Error::Failed(format!(
            "{} reported server_version_num `{}`",
            conn.label,
            out.trim()
        ))
    })
}

async fn cores<H: Host>(rt: &Runtime<H>) -> u64 {
    match rt.host.run(&Command::new("nproc")).await {
        Ok(out) if out.success() => out.stdout.trim().parse().unwrap_or(2).clamp(1, 64),
        _ => 2,
    }
}

/// `install-client: true`: apt-get the client package (sudo when not root). A failed
/// install is retried once after `apt-get update`: runners' package lists are often stale.
async fn install_client<H: Host>(rt: &Runtime<H>, major: Option<u32>) -> Result<Option<Client>> {
    let package = major
        .map(clients::package_for)
        .unwrap_or_else(|| "postgresql-client".into());
    rt.info(&format!("Installing {package} (install-client: true)"));
    let root = rt
        .host
        .run(&Command::new("id").arg("-u"))
        .await
        .map(|o| o.stdout.trim() == "0")
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut c = if root {
            Command::new("apt-get")
        } else {
            Command::new("sudo").args(["-n", "apt-get"])
        };
        c = c
            .args(args.iter().copied())
            .env("DEBIAN_FRONTEND", "noninteractive")
            .streamed();
        c
    };
    let install = ["install", "-y", "--no-install-recommends", &package];
    let mut out = rt.host.run(&apt(&install)).await?;
    if !out.success() {
        let _ = rt.host.run(&apt(&["update"])).await;
        out = rt.host.run(&apt(&install)).await?;
    }
    if !out.success() {
        return Err(Error::Failed(format!(
            "installing {package} failed: {}. On ubuntu runners add the PostgreSQL apt repository first (`sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y`)",
            pg::error_text(&out.stderr)
        )));
    }
    let client = clients::discover(rt, &None).await?;
    match (client, major) {
        (Some(c), Some(m)) if c.major < m => Err(clients::too_old(m, "after installing", Some(&c))),
        (c, _) => Ok(c),
    }
}
