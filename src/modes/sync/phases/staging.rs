//! Phase 3, staging: an empty database the copy goes into, next to the twin, which stays
//! untouched until the swap. On Neon a new branch `<twin>_sync_<stamp>` (a child of the
//! default branch, emptied); on a plain server a new database `<db>_sync_<stamp>`.
//!
//! Its name is saved before it is created and its id right after, so a failure (here or
//! later) or a cancelled job deletes it: see `Job::clean_up` and the post step.

use super::super::catalog::quote_ident;
use super::super::clients::Client;
use super::super::job::{Job, Staging, STATE_ID, STATE_KIND, STATE_NAME};
use super::super::pg::{query, Conn};
use super::super::settings::Target;
use super::preparation::Prepared;
use crate::error::Result;
use crate::host::Host;
use crate::neon::connect::branch_connection;
use crate::neon::types::NewBranch;
use crate::runtime::Runtime;
use std::collections::BTreeSet;

/// The staging database, ready for the copy.
pub struct Staged {
    pub conn: Conn,
    /// `pg_available_extensions` there: the schema filter leaves out the others.
    pub extensions: BTreeSet<String>,
    /// What the copy leaves out because staging lacks an extension (phases/fit.rs).
    pub skipped: super::fit::Skipped,
}

pub fn staging_name(twin: &str, now_ms: f64) -> String {
    format!("{twin}_sync_{}", crate::time::compact_stamp(now_ms))
}

impl<H: Host> Job<'_, H> {
    pub async fn create_staging(&mut self, prepared: &Prepared) -> Result<Staged> {
        let rt = self.rt;
        let now = rt.host.now_ms();
        let conn = match &self.s.target {
            Target::Neon {
                twin_branch,
                role,
                database,
                ..
            } => {
                let neon = self.neon.as_ref().expect("neon client made in preparation");
                let twin = prepared
                    .twin
                    .as_ref()
                    .expect("twin resolved in preparation");
                let name = staging_name(twin_branch, now);
                rt.host.save_state(STATE_KIND, "neon");
                rt.host.save_state(STATE_NAME, &name);
                // A child of the default branch (where the twin itself is created from),
                // not of the twin: its data would only be copied to be emptied again.
                let parent = neon
                    .list_branches(None)
                    .await?
                    .into_iter()
                    .find(|b| b.default)
                    .map(|b| b.id);
                let created = neon
                    .create_branch(&NewBranch {
                        name: name.clone(),
                        parent_id: parent.or_else(|| Some(twin.id.clone())),
                        // A safety net: Neon deletes it by itself if nothing else does.
                        expires_at: Some(crate::time::rfc3339(now + 86_400_000.0)),
                        annotations: vec![("created-by".into(), "neon-gitops sync".into())],
                        ..Default::default()
                    })
                    .await?;
                rt.host.save_state(STATE_ID, &created.branch.id);
                rt.info(&format!(
                    "Created staging branch {name} ({})",
                    created.branch.id
                ));
                let url = branch_connection(neon, &created.branch, None, role, database).await?;
                self.staging = Some(Staging::Neon {
                    branch: created.branch,
                });
                let conn = Conn::parse("staging", "twin-branch", &url.url)?;
                empty_database(rt, self.client(), &conn).await?;
                conn
            }
            Target::Url(_) => {
                let twin_db = prepared.target.database.clone();
                let name = staging_name(&twin_db, now);
                let maintenance = prepared
                    .target
                    .with_database("the target server", "postgres");
                rt.host.save_state(STATE_KIND, "database");
                rt.host.save_state(STATE_NAME, &name);
                query(
                    rt,
                    self.client(),
                    &maintenance,
                    &[&format!("CREATE DATABASE {}", quote_ident(&name))],
                )
                .await?;
                self.staging = Some(Staging::Database {
                    maintenance: maintenance.clone(),
                    name: name.clone(),
                });
                // A new database is already empty; public is the template's.
                prepared.target.with_database("staging", &name)
            }
        };
        let extensions = query(
            rt,
            self.client(),
            &conn,
            &["SELECT name FROM pg_catalog.pg_available_extensions"],
        )
        .await?
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
        Ok(Staged {
            conn,
            extensions,
            skipped: Default::default(),
        })
    }
}

/// Make a fresh Neon branch's database empty: a branch starts as a copy of its parent.
/// Extensions and schemas go; `public` is recreated as a new database has it, because
/// pg_dump's archive does not create it (the TOC filter drops `SCHEMA public`).
async fn empty_database<H: Host>(rt: &Runtime<H>, client: &Client, conn: &Conn) -> Result<()> {
    const EMPTY: &str = r#"DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);
  END LOOP;
  FOR r IN SELECT nspname FROM pg_catalog.pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname !~ '^pg_' LOOP
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);
  END LOOP;
END $$"#;
    // Before PostgreSQL 15 `public` belongs to the bootstrap superuser, not to the
    // database's owner, who then cannot drop it: its contents are dropped one by one.
    const PUBLIC: &str = r#"DO $$
DECLARE r record;
BEGIN
  BEGIN
    DROP SCHEMA IF EXISTS public CASCADE;
    CREATE SCHEMA public;
    BEGIN
      ALTER SCHEMA public OWNER TO pg_database_owner;
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    GRANT USAGE ON SCHEMA public TO PUBLIC;
    COMMENT ON SCHEMA public IS 'standard public schema';
  EXCEPTION WHEN insufficient_privilege THEN
    -- Every statement is written before the first runs: a CASCADE may drop later objects,
    -- hence IF EXISTS on names, never OIDs.
    FOR r IN SELECT unnest(array_cat(array_cat(
        ARRAY(SELECT format('DROP %s IF EXISTS public.%I CASCADE',
                            CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                           WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                            c.relname)
              FROM pg_catalog.pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                AND NOT c.relispartition),
        ARRAY(SELECT format('DROP %s IF EXISTS public.%I(%s) CASCADE',
                            CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                            p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
              FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'public'::regnamespace)),
        ARRAY(SELECT format('DROP TYPE IF EXISTS public.%I CASCADE', t.typname)
              FROM pg_catalog.pg_type t
              WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('c', 'd', 'e', 'r', 'm')
                AND (t.typrelid = 0 OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')
                AND t.typelem = 0))) AS statement LOOP
      EXECUTE r.statement;
    END LOOP;
  END;
END $$"#;
    query(rt, client, conn, &[EMPTY, PUBLIC]).await.map(|_| ())
}
