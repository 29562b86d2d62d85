//! Neon API v2 client: the endpoints the three modes need, each with Neon's semantics
//! spelled out where they are easy to get wrong (exact-name lookup, 404-on-delete,
//! waiting for operations, never creating a branch twice).

pub mod connect;
mod errors;
mod services;
pub mod twin;
pub mod types;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::http::{HttpClient, HttpError, Method, Request, ReqwestTransport, Transport};
use crate::runtime::Runtime;
use crate::url::encode_component as enc;
use errors::{explain, is_branch_limit, operation_failed};
use serde::Deserialize;
use serde_json::{json, Value};
use types::*;

pub const DEFAULT_API_HOST: &str = "https://console.neon.tech/api/v2";
const PAGE_SIZE: u32 = 100;
/// Neon: "Maximum expiration is 30 days from the current time", Neon's clock, not the
/// runner's.
pub const MAX_EXPIRY_MS: f64 = 30.0 * 86_400_000.0;
/// How far a runner's clock may run ahead of Neon's before a 30-day expiry is refused.
const CLOCK_SKEW_MS: f64 = 3_600_000.0;
/// Branch names: `minLength: 1, maxLength: 256` (spec: BranchCreateRequest.branch.name).
pub const MAX_BRANCH_NAME: usize = 256;

/// `expires_at` for a branch that should live `ttl_ms` from `now_ms` (the runner's
/// clock), never past what Neon accepts when the runner's clock runs up to an hour ahead.
pub fn expires_at(now_ms: f64, ttl_ms: f64) -> String {
    crate::time::rfc3339(now_ms + ttl_ms.min(MAX_EXPIRY_MS - CLOCK_SKEW_MS))
}

/// How long a mutating call's operations may take before we give up waiting.
const OPERATIONS_DEADLINE_MS: f64 = 15.0 * 60.0 * 1000.0;

pub struct NeonClient<'a, H: Host, T: Transport = ReqwestTransport> {
    rt: &'a Runtime<H>,
    http: HttpClient<T>,
    pub project_id: String,
}

impl<'a, H: Host> NeonClient<'a, H> {
    pub fn new(rt: &'a Runtime<H>, api_host: &str, api_key: &str, project_id: &str) -> Self {
        let headers = vec![
            ("authorization".to_string(), format!("Bearer {api_key}")),
            ("accept".to_string(), "application/json".to_string()),
            ("user-agent".to_string(), crate::USER_AGENT.to_string()),
        ];
        NeonClient {
            rt,
            http: HttpClient {
                service: "Neon API",
                transport: ReqwestTransport::new(api_host, headers, crate::http_timeout_ms(rt)),
                policy: Default::default(),
            },
            project_id: project_id.to_string(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AnnotationData {
    value: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Pagination {
    next: Option<String>,
}

impl<'a, H: Host, T: Transport> NeonClient<'a, H, T> {
    fn project_path(&self, rest: &str) -> String {
        format!("/projects/{}{}", enc(&self.project_id), rest)
    }

    async fn call(&self, method: Method, path: String, body: Option<Value>) -> Result<Value> {
        let response = self
            .http
            .send(self.rt, &Request { method, path, body })
            .await
            .map_err(|e| explain(e, &self.project_id))?;
        if response.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        Ok(response.json("Neon API")?)
    }

    fn field<D: serde::de::DeserializeOwned>(value: &Value, key: &str) -> Result<D> {
        serde_json::from_value(value.get(key).cloned().unwrap_or(Value::Null)).map_err(|e| {
            HttpError::Decode {
                service: "Neon API".into(),
                message: format!("`{key}`: {e}"),
            }
            .into()
        })
    }

    pub async fn project(&self) -> Result<Project> {
        let v = self.call(Method::Get, self.project_path(""), None).await?;
        Self::field(&v, "project")
    }

    /// Every branch, following the cursor. `search` narrows the listing server-side but
    /// is a *partial* match, so callers compare names exactly themselves.
    pub async fn list_branches(&self, search: Option<&str>) -> Result<Vec<Branch>> {
        Ok(self
            .list_branches_annotated(search)
            .await?
            .into_iter()
            .map(|(b, _)| b)
            .collect())
    }

    /// Every branch with its annotation values (the list's `annotations` map, keyed by
    /// branch id; spec: AnnotationsMapResponse).
    pub async fn list_branches_annotated(
        &self,
        search: Option<&str>,
    ) -> Result<Vec<(Branch, std::collections::BTreeMap<String, String>)>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = self.project_path(&format!("/branches?limit={PAGE_SIZE}"));
            if let Some(s) = search {
                path.push_str(&format!("&search={}", enc(s)));
            }
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", enc(c)));
            }
            let v = self.call(Method::Get, path, None).await?;
            let page: Vec<Branch> = Self::field(&v, "branches")?;
            let annotations: std::collections::BTreeMap<String, AnnotationData> =
                Self::field(&v, "annotations").unwrap_or_default();
            let pagination: Pagination = Self::field(&v, "pagination").unwrap_or_default();
            let done = page.is_empty() || pagination.next.is_none() || pagination.next == cursor;
            all.extend(page.into_iter().map(|b| {
                let values = annotations
                    .get(&b.id)
                    .map(|a| a.value.clone())
                    .unwrap_or_default();
                (b, values)
            }));
            if done {
                return Ok(all);
            }
            cursor = pagination.next;
        }
    }

    /// The branch whose name is exactly `name`, if any.
    pub async fn find_branch_by_name(&self, name: &str) -> Result<Option<Branch>> {
        let branches = self.list_branches(Some(name)).await?;
        Ok(branches.into_iter().find(|b| b.name == name))
    }

    /// A branch given as id (`br-…`) or name.
    pub async fn resolve_branch(&self, id_or_name: &str) -> Result<Option<Branch>> {
        if id_or_name.starts_with("br-") {
            match self.get_branch(id_or_name).await {
                Ok(b) => return Ok(Some(b)),
                Err(Error::Http(e)) if e.status() == Some(404) => {}
                Err(e) => return Err(e),
            }
        }
        self.find_branch_by_name(id_or_name).await
    }

    pub async fn get_branch(&self, branch_id: &str) -> Result<Branch> {
        let v = self
            .call(
                Method::Get,
                self.project_path(&format!("/branches/{}", enc(branch_id))),
                None,
            )
            .await?;
        Self::field(&v, "branch")
    }

    /// Create a branch with one `read_write` endpoint and wait for its operations.
    ///
    /// A POST whose response was lost may still have created the branch. Repeating it
    /// blindly could create a second one, so we look the name up first and only retry
    /// the create when the branch really does not exist.
    pub async fn create_branch(&self, new: &NewBranch) -> Result<BranchOperations> {
        let created = self.start_branch(new).await?;
        self.wait_for_operations(&created.operations).await?;
        Ok(created)
    }

    /// Create a branch and return as soon as Neon has accepted it, with the operations
    /// (timeline, compute start) still running: the caller waits for them with
    /// `wait_for_operations`, doing what does not need them meanwhile.
    pub async fn start_branch(&self, new: &NewBranch) -> Result<BranchOperations> {
        let mut branch = json!({ "name": new.name });
        let fields = [
            ("parent_id", &new.parent_id),
            ("parent_lsn", &new.parent_lsn),
            ("parent_timestamp", &new.parent_timestamp),
            ("expires_at", &new.expires_at),
        ];
        for (key, value) in fields {
            if let Some(v) = value {
                branch[key] = json!(v);
            }
        }
        let mut endpoint = json!({ "type": "read_write" });
        if let Some(s) = new.suspend_timeout_seconds {
            endpoint["suspend_timeout_seconds"] = json!(s);
        }
        let mut body = json!({ "branch": branch, "endpoints": [endpoint] });
        if !new.annotations.is_empty() {
            let map: serde_json::Map<String, Value> = new
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            body["annotation_value"] = Value::Object(map);
        }
        for attempt in 1..=3 {
            match self
                .call(
                    Method::Post,
                    self.project_path("/branches"),
                    Some(body.clone()),
                )
                .await
            {
                Ok(v) => {
                    let created: BranchOperations =
                        serde_json::from_value(v).map_err(|e| HttpError::Decode {
                            service: "Neon API".into(),
                            message: e.to_string(),
                        })?;
                    return Ok(created);
                }
                Err(Error::Http(HttpError::Uncertain { cause, .. })) => {
                    self.rt.info(&format!(
                        "Neon API: the response to creating branch {} was lost ({cause}); checking whether it was created",
                        new.name
                    ));
                    if let Some(existing) = self.find_branch_by_name(&new.name).await? {
                        self.wait_for_branch_idle(&existing.id).await?;
                        let endpoints = self.branch_endpoints(&existing.id).await?;
                        return Ok(BranchOperations {
                            branch: existing,
                            endpoints,
                            operations: vec![],
                        });
                    }
                    if attempt < 3 {
                        self.rt.host.sleep(1000 * attempt).await;
                    }
                }
                Err(Error::Http(e)) if is_branch_limit(&e) => {
                    return Err(self.branch_limit(&new.name, &e).await)
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Failed(format!(
            "Neon API: creating branch {} failed three times without an answer; check https://neonstatus.com and re-run the job",
            new.name
        )))
    }

    /// The plan's branch limit is reached: say so, with what holds the branches.
    async fn branch_limit(&self, wanted: &str, error: &HttpError) -> Error {
        let said = match error {
            HttpError::Status { message, .. } => message.clone(),
            other => other.to_string(),
        };
        let branches = self.list_branches(None).await.unwrap_or_default();
        let mut names: Vec<String> = branches
            .iter()
            .map(|b| {
                let age = b.created_at.get(..10).unwrap_or("");
                format!("{} ({age})", b.name)
            })
            .collect();
        names.sort();
        Error::Failed(format!(
            "Neon refused to create branch {wanted}: the project's branch limit is reached ({said}). Its {} branches: {}. Delete branches that are no longer needed (closed pull requests' previews, old `*_sync_*` copies beyond `keep-backups`) in the Neon console or with `neonctl branches delete`, or move to a plan with more branches",
            branches.len(),
            names.join(", ")
        ))
    }

    pub async fn update_branch(&self, branch_id: &str, fields: Value) -> Result<Branch> {
        let v = self
            .call(
                Method::Patch,
                self.project_path(&format!("/branches/{}", enc(branch_id))),
                Some(json!({ "branch": fields })),
            )
            .await?;
        let ops: Vec<Operation> = Self::field(&v, "operations").unwrap_or_default();
        self.wait_for_operations(&ops).await?;
        Self::field(&v, "branch")
    }

    /// Delete a branch and wait until it is gone. Already gone (404) is success: the
    /// caller wanted it not to exist, and it does not.
    pub async fn delete_branch(&self, branch_id: &str) -> Result<bool> {
        match self
            .call(
                Method::Delete,
                self.project_path(&format!("/branches/{}", enc(branch_id))),
                None,
            )
            .await
        {
            Ok(v) => {
                let ops: Vec<Operation> = Self::field(&v, "operations").unwrap_or_default();
                self.wait_for_operations(&ops).await?;
                Ok(true)
            }
            Err(Error::Http(e)) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Make `branch_id`'s data a fresh copy of `source_branch_id` (head). The previous state
    /// is kept as a new branch named `preserve_under_name` when given.
    pub async fn restore_branch(
        &self,
        branch_id: &str,
        source_branch_id: &str,
        preserve_under_name: Option<&str>,
    ) -> Result<Branch> {
        let mut body = json!({ "source_branch_id": source_branch_id });
        if let Some(name) = preserve_under_name {
            body["preserve_under_name"] = json!(name);
        }
        self.restore(branch_id, body).await
    }

    /// Make `branch_id`'s data `source_branch_id`'s state at a point of its history (`lsn`
    /// or `timestamp`, Neon's `source_lsn`/`source_timestamp`).
    pub async fn restore_branch_at(
        &self,
        branch_id: &str,
        source_branch_id: &str,
        lsn: Option<&str>,
        timestamp: Option<&str>,
    ) -> Result<Branch> {
        let mut body = json!({ "source_branch_id": source_branch_id });
        if let Some(l) = lsn {
            body["source_lsn"] = json!(l);
        }
        if let Some(t) = timestamp {
            body["source_timestamp"] = json!(t);
        }
        self.restore(branch_id, body).await
    }

    async fn restore(&self, branch_id: &str, body: Value) -> Result<Branch> {
        let v = self
            .call(
                Method::Post,
                self.project_path(&format!("/branches/{}/restore", enc(branch_id))),
                Some(body),
            )
            .await?;
        let ops: Vec<Operation> = Self::field(&v, "operations").unwrap_or_default();
        self.wait_for_operations(&ops).await?;
        Self::field(&v, "branch")
    }

    pub async fn branch_endpoints(&self, branch_id: &str) -> Result<Vec<Endpoint>> {
        let v = self
            .call(
                Method::Get,
                self.project_path(&format!("/branches/{}/endpoints", enc(branch_id))),
                None,
            )
            .await?;
        Self::field(&v, "endpoints")
    }

    /// Every endpoint of the project (one call instead of one per branch).
    pub async fn list_endpoints(&self) -> Result<Vec<Endpoint>> {
        let v = self
            .call(Method::Get, self.project_path("/endpoints"), None)
            .await?;
        Self::field(&v, "endpoints")
    }

    pub async fn databases(&self, branch_id: &str) -> Result<Vec<Database>> {
        let v = self
            .call(
                Method::Get,
                self.project_path(&format!("/branches/{}/databases", enc(branch_id))),
                None,
            )
            .await?;
        Self::field(&v, "databases")
    }

    pub async fn roles(&self, branch_id: &str) -> Result<Vec<Role>> {
        let v = self
            .call(
                Method::Get,
                self.project_path(&format!("/branches/{}/roles", enc(branch_id))),
                None,
            )
            .await?;
        Self::field(&v, "roles")
    }

    /// The role's password, registered as a secret before it is returned. Neon answers
    /// 412 when the project does not store passwords.
    pub async fn reveal_password(&self, branch_id: &str, role: &str) -> Result<String> {
        let path = self.project_path(&format!(
            "/branches/{}/roles/{}/reveal_password",
            enc(branch_id),
            enc(role)
        ));
        match self.call(Method::Get, path, None).await {
            Ok(v) => {
                let password: String = Self::field(&v, "password")?;
                self.rt.secret(&password);
                Ok(password)
            }
            Err(Error::Http(e)) if e.status() == Some(412) => Err(Error::Failed(format!(
                "Neon cannot reveal the password of role `{role}`: this project does not store passwords (412). Reset the role's password in the Neon console (or with `neonctl roles reset-password`), or enable password storage, then re-run"
            ))),
            Err(e) => Err(e),
        }
    }

    pub async fn connection_uri(
        &self,
        branch_id: &str,
        endpoint_id: &str,
        database: &str,
        role: &str,
        pooled: bool,
    ) -> Result<String> {
        let path = self.project_path(&format!(
            "/connection_uri?branch_id={}&endpoint_id={}&database_name={}&role_name={}&pooled={pooled}",
            enc(branch_id),
            enc(endpoint_id),
            enc(database),
            enc(role)
        ));
        let v = self.call(Method::Get, path, None).await?;
        let uri: String = Self::field(&v, "uri")?;
        self.rt.secret_url(&uri);
        Ok(uri)
    }

    pub async fn operation(&self, operation_id: &str) -> Result<Operation> {
        let v = self
            .call(
                Method::Get,
                self.project_path(&format!("/operations/{}", enc(operation_id))),
                None,
            )
            .await?;
        Self::field(&v, "operation")
    }

    /// Poll until every operation is terminal. Neither official action does this, and
    /// their users get URLs to computes that are not ready yet. A `failed` operation is
    /// retried by Neon: it is waited for like a running one, and said once.
    pub async fn wait_for_operations(&self, operations: &[Operation]) -> Result<()> {
        let started = self.rt.host.now_ms();
        if let Some(failed) = operations.iter().find(|op| op.failed()) {
            return Err(operation_failed(failed));
        }
        let mut pending: Vec<Operation> = operations
            .iter()
            .filter(|op| !op.is_terminal())
            .cloned()
            .collect();
        let mut told: Vec<String> = Vec::new();
        let mut interval = 200;
        let mut beat = crate::runtime::Heartbeat::start(self.rt);
        while !pending.is_empty() {
            beat.tick(
                self.rt,
                &format!(
                    "Neon operation(s) {}",
                    pending
                        .iter()
                        .map(|o| format!("{} ({})", o.id, o.action))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            if self.rt.host.now_ms() - started > OPERATIONS_DEADLINE_MS {
                let ids: Vec<&str> = pending.iter().map(|o| o.id.as_str()).collect();
                return Err(Error::Failed(format!(
                    "Neon operations {} did not finish within 15 minutes; check the project's Operations page in the Neon console",
                    ids.join(", ")
                )));
            }
            self.rt.host.sleep(interval).await;
            // Most operations (a branch's timeline, a compute start) end within seconds:
            // poll every 200 ms for the first 10 s, then back off to every 2 s.
            if self.rt.host.now_ms() - started > 10_000.0 {
                interval = (interval * 3 / 2).min(2000);
            }
            // Every pending operation at once: one round trip per poll, not one per op.
            let polled =
                futures_util::future::join_all(pending.iter().map(|op| self.operation(&op.id)))
                    .await;
            let mut still = Vec::new();
            for current in polled {
                let current = current?;
                if current.failed() {
                    return Err(operation_failed(&current));
                }
                if current.retrying() && !told.contains(&current.id) {
                    told.push(current.id.clone());
                    self.rt.info(&format!(
                        "Neon operation {} ({}) failed{} and is being retried by Neon; waiting for it",
                        current.id,
                        current.action,
                        current
                            .error
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    ));
                }
                if !current.is_terminal() {
                    still.push(current);
                }
            }
            pending = still;
        }
        Ok(())
    }

    /// Wait until the branch has no unfinished operation (after a lost create response,
    /// the branch exists but its compute may still be starting). Only unfinished ones
    /// count: an operation that ended badly long ago is history, not this run's failure.
    pub async fn wait_for_branch_idle(&self, branch_id: &str) -> Result<()> {
        // The operations list has no branch filter: take the newest page and filter here.
        let path = self.project_path("/operations?limit=50");
        let v = self.call(Method::Get, path, None).await?;
        let ops: Vec<Operation> = Self::field(&v, "operations").unwrap_or_default();
        let mine: Vec<Operation> = ops
            .into_iter()
            .filter(|o| o.branch_id.as_deref() == Some(branch_id) && !o.is_terminal())
            .collect();
        self.wait_for_operations(&mine).await
    }

    /// `pg_dump --schema-only`-style DDL of a branch's database.
    pub async fn schema(&self, branch_id: &str, database: &str) -> Result<String> {
        let path = self.project_path(&format!(
            "/branches/{}/schema?db_name={}",
            enc(branch_id),
            enc(database)
        ));
        let v = self.call(Method::Get, path, None).await?;
        Ok(Self::field::<Option<String>>(&v, "sql")?.unwrap_or_default())
    }

    /// Unified diff of `branch_id`'s schema against `base_branch_id`'s.
    pub async fn compare_schema(
        &self,
        branch_id: &str,
        base_branch_id: &str,
        database: &str,
    ) -> Result<String> {
        let path = self.project_path(&format!(
            "/branches/{}/compare_schema?base_branch_id={}&db_name={}",
            enc(branch_id),
            enc(base_branch_id),
            enc(database)
        ));
        let v = self.call(Method::Get, path, None).await?;
        Ok(Self::field::<Option<String>>(&v, "diff")?.unwrap_or_default())
    }
}

#[cfg(test)]
mod expiry_tests {
    #[test]
    fn a_30_day_ttl_stays_inside_neons_cap_despite_clock_skew() {
        let now = 1_700_000_000_000.0;
        let cap = super::expires_at(now, 30.0 * 86_400_000.0);
        assert_eq!(
            cap,
            crate::time::rfc3339(now + 30.0 * 86_400_000.0 - 3_600_000.0)
        );
        assert_eq!(
            super::expires_at(now, 7.0 * 86_400_000.0),
            crate::time::rfc3339(now + 7.0 * 86_400_000.0)
        );
    }
}
