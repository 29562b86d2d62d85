//! Phase 1, preparation: settle what can be settled without changing anything — the
//! client binaries, both servers' major versions, the twin branch, the number of jobs.
//!
//! pg_dump refuses a server newer than itself, and a dump restored by an older pg_restore
//! can fail halfway; so the client's major must be ≥ both servers'. Checking that here,
//! before staging exists, is what lets "client too old" fail with nothing to undo.

use super::super::clients::{self, Client, Unfit};
use super::super::job::{Job, STATE_CLIENT};
use super::super::pg::Conn;
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
        // An explicit `pg-bin-dir` is the user's choice: never install over it.
        let install = self.s.install_client && self.s.pg_bin_dir.is_none();
        let mut candidates = clients::candidates(rt, &self.s.pg_bin_dir).await?;
        if candidates.is_empty() {
            if !install {
                return Err(clients::too_old(
                    17,
                    "no client to ask the servers with",
                    None,
                ));
            }
            candidates.push(install_client(rt, None).await?);
        }
        // Any client asks the servers their versions (psql talks to newer servers).
        let asker = candidates[0].clone();
        // pg_dump refuses a server newer than itself: settled before anything is created
        // on the target (on a first sync, the twin branch itself).
        let source_major = server_major(rt, &asker, &source).await?;
        if !candidates.iter().any(|c| c.major >= source_major) {
            if !install {
                let servers = format!("production is PostgreSQL {source_major}");
                return Err(clients::too_old(source_major, &servers, candidates.first()));
            }
            candidates.push(install_client(rt, Some(source_major)).await?);
        }
        let (target, twin) = self
            .target_connection(source_major, &candidates, install)
            .await?;
        let target_major = server_major(rt, &asker, &target).await?;
        self.majors = (source_major, target_major);
        if source_major > target_major && !self.s.allow_older_target {
            return Err(older_target(source_major, target_major, twin.is_some()));
        }
        let client = match clients::choose(&candidates, source_major, target_major) {
            Ok(c) => c,
            Err(Unfit::RestoreTooNew { needed, .. }) if install => {
                install_client(rt, Some(needed)).await?
            }
            Err(unfit) => return Err(self.unfit(unfit, source_major, target_major)),
        };
        self.client = Some(client);
        rt.info(&format!(
            "production: PostgreSQL {source_major}; target: PostgreSQL {target_major}; client: {} ({})",
            self.client().major,
            self.client().dir
        ));
        if source_major > target_major {
            rt.warning(&format!(
                "allow-older-target: true: restoring a PostgreSQL {source_major} dump into PostgreSQL {target_major}, which pg_dump does not promise to work"
            ));
        }
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

    fn unfit(&self, unfit: Unfit, source: u32, target: u32) -> Error {
        match unfit {
            Unfit::TooOld { needed } => {
                clients::too_old(needed, &format!("production is PostgreSQL {source}"), None)
            }
            Unfit::RestoreTooNew { best, .. } => {
                clients::restore_too_new(best, target, source, self.s.pg_bin_dir.is_some())
            }
        }
    }

    /// The connection used to learn the target's version, and the twin branch (Neon),
    /// created from the default branch on the very first sync, once the project's major
    /// is known to fit production's and the clients.
    async fn target_connection(
        &mut self,
        source_major: u32,
        candidates: &[Client],
        install: bool,
    ) -> Result<(Conn, Option<Branch>)> {
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
                        // The project's major is the twin's: refuse an older one before
                        // the first branch is made, not after.
                        let project = neon.project().await?;
                        if let Some(v) = project.pg_version {
                            if source_major > v && !self.s.allow_older_target {
                                return Err(older_target(source_major, v, true));
                            }
                            match clients::choose(candidates, source_major, v) {
                                Err(Unfit::RestoreTooNew { .. }) if install => {}
                                Err(unfit) => return Err(self.unfit(unfit, source_major, v)),
                                Ok(_) => {}
                            }
                        }
                        self.rt.info(&format!("Twin branch {twin_branch} does not exist yet: creating it from the default branch"));
                        let created = neon
                            .create_branch(&NewBranch {
                                name: twin_branch.clone(),
                                ..Default::default()
                            })
                            .await?
                            .branch;
                        self.created_twin = Some(created.clone());
                        created
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

/// `install-client: true`: the client of `major` (`None`: the distribution's), installed now.
async fn install_client<H: Host>(rt: &Runtime<H>, major: Option<u32>) -> Result<Client> {
    let c = crate::pg::install::install(rt, major, "pg_dump").await?;
    Ok(Client {
        major: c.major,
        dir: c.dir,
    })
}

/// A dump of a newer major loaded into an older server: pg_dump documents no such promise
/// ("loading a dump file into an older server may require manual editing"), and new syntax
/// or catalog features fail halfway. Refused before anything is created.
fn older_target(source: u32, target: u32, neon: bool) -> Error {
    let fix = if neon {
        format!("create the twin on PostgreSQL {source} (a Neon project's branches share its `pg_version`: sync into a project created with Postgres {source})")
    } else {
        format!("point `target-url` at a PostgreSQL {source} (or newer) server")
    };
    Error::Failed(format!(
        "production runs PostgreSQL {source}, but the target runs PostgreSQL {target}: a dump of a newer major is not promised to load into an older one. Nothing was changed. Fix: {fix}; or set `allow-older-target: true` to try anyway"
    ))
}
