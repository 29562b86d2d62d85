//! How to reach a branch's database: its read_write endpoint, the role and database to use,
//! the revealed password and the URLs built from them. Shared by preview and sync.

use super::types::{Branch, Endpoint};
use super::NeonClient;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::url::build_pg_url;

/// A branch's connection, password already registered as a secret.
#[derive(Debug, Clone)]
pub struct BranchConnection {
    pub role: String,
    pub database: String,
    pub password: String,
    pub host: String,
    pub pooled_host: String,
    pub url: String,
    pub url_pooled: String,
}

/// The pooled host is the endpoint's host with `-pooler` after its first DNS label.
pub fn pooled_host(host: &str) -> String {
    match host.find('.') {
        Some(i) => format!("{}-pooler{}", &host[..i], &host[i..]),
        None => format!("{host}-pooler"),
    }
}

/// Pick the only role/database, or the one the input names.
pub fn pick(
    input: &str,
    given: &Option<String>,
    available: Vec<String>,
    what: &str,
) -> Result<String> {
    match given {
        Some(name) if available.contains(name) => Ok(name.clone()),
        Some(name) => Err(Error::input(
            input,
            format!(
                "{what} `{name}` does not exist on the branch; available: {}",
                available.join(", ")
            ),
        )),
        None if available.len() == 1 => Ok(available[0].clone()),
        // Several: Neon's own default names, as create-branch-action picks them.
        None if available.iter().any(|a| a == neon_default(what)) => {
            Ok(neon_default(what).to_string())
        }
        None => Err(Error::input(
            input,
            format!(
                "is required because the branch has {} {what}s ({}); set `{input}:` to one of them",
                available.len(),
                available.join(", ")
            ),
        )),
    }
}

/// The role and database a new Neon project has (create-branch-action's defaults).
fn neon_default(what: &str) -> &'static str {
    if what == "role" {
        "neondb_owner"
    } else {
        "neondb"
    }
}

pub async fn read_write_endpoint<H: Host>(
    neon: &NeonClient<'_, H>,
    branch: &Branch,
) -> Result<Endpoint> {
    let endpoints = neon.branch_endpoints(&branch.id).await?;
    endpoints
        .into_iter()
        .find(|e| e.kind == "read_write")
        .ok_or_else(|| {
            Error::Failed(format!(
                "branch {} has no read_write compute endpoint; add one in the Neon console or delete the branch so the action recreates it",
                branch.name
            ))
        })
}

/// Endpoint host + role + database + revealed password → URLs. `role`/`database` name the
/// `role` and `database` inputs' values (None: the branch's only one). `endpoint`: the
/// branch's read_write endpoint when the caller already has it (preview waited for it).
pub async fn branch_connection<H: Host>(
    neon: &NeonClient<'_, H>,
    branch: &Branch,
    endpoint: Option<&Endpoint>,
    role: &Option<String>,
    database: &Option<String>,
) -> Result<BranchConnection> {
    // Three independent lookups: one round trip's wait instead of three.
    let endpoint = async {
        match endpoint {
            Some(e) => Ok(e.clone()),
            None => read_write_endpoint(neon, branch).await,
        }
    };
    let (endpoint, roles, databases) = futures_util::future::try_join3(
        endpoint,
        neon.roles(&branch.id),
        neon.databases(&branch.id),
    )
    .await?;
    let roles: Vec<String> = roles
        .into_iter()
        .filter(|r| r.protected != Some(true))
        .map(|r| r.name)
        .collect();
    let role = pick("role", role, roles, "role")?;
    let databases: Vec<String> = databases.into_iter().map(|d| d.name).collect();
    let database = pick("database", database, databases, "database")?;
    let password = neon.reveal_password(&branch.id, &role).await?;
    let pooled = pooled_host(&endpoint.host);
    Ok(BranchConnection {
        url: build_pg_url(&role, &password, &endpoint.host, &database),
        url_pooled: build_pg_url(&role, &password, &pooled, &database),
        role,
        database,
        password,
        host: endpoint.host,
        pooled_host: pooled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_host_inserts_suffix_after_first_label() {
        assert_eq!(
            pooled_host("ep-cool-1.us-east-2.aws.neon.tech"),
            "ep-cool-1-pooler.us-east-2.aws.neon.tech"
        );
        assert_eq!(
            pooled_host("ep-x.emulator.localhost:6543"),
            "ep-x-pooler.emulator.localhost:6543"
        );
    }

    #[test]
    fn role_choice_lists_what_exists() {
        let err = pick("role", &None, vec!["a".into(), "b".into()], "role").unwrap_err();
        assert!(err.to_string().contains("a, b"), "{err}");
        assert_eq!(
            pick("role", &None, vec!["only".into()], "role").unwrap(),
            "only"
        );
    }
}
