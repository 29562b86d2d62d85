//! The services beside Postgres on a branch that create-branch-action reports: Neon Auth
//! and the Data API. Each is optional: a branch without it answers 404, which is `None`.

use super::NeonClient;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::http::{Method, Transport};
use crate::url::encode_component as enc;

impl<'a, H: Host, T: Transport> NeonClient<'a, H, T> {
    /// The branch's Neon Auth base URL; `None` where Neon Auth is not enabled (404).
    pub async fn auth_url(&self, branch_id: &str) -> Result<Option<String>> {
        let path = self.project_path(&format!("/branches/{}/auth", enc(branch_id)));
        self.optional_url(path, "base_url").await
    }

    /// The URL of the Data API serving `database`; `None` where it has none (404).
    pub async fn data_api_url(&self, branch_id: &str, database: &str) -> Result<Option<String>> {
        let path = self.project_path(&format!(
            "/branches/{}/data-api/{}",
            enc(branch_id),
            enc(database)
        ));
        self.optional_url(path, "url").await
    }

    async fn optional_url(&self, path: String, field: &str) -> Result<Option<String>> {
        match self.call(Method::Get, path, None).await {
            Ok(v) => Ok(Self::field::<Option<String>>(&v, field)?.filter(|u| !u.is_empty())),
            Err(Error::Http(e)) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
