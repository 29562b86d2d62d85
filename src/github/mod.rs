//! GitHub REST client: PR comments (the living preview comment), changed files, and
//! review comments (`reviews.rs`).
//! Base URL from `GITHUB_API_URL`, so GitHub Enterprise Server works unchanged.

use crate::error::Result;
use crate::host::Host;
use crate::http::{HttpClient, HttpError, Method, Request, ReqwestTransport, Transport};
use crate::runtime::Runtime;
use serde::Deserialize;
use serde_json::{json, Value};

mod reviews;
pub use reviews::{NewReviewComment, ReviewComment};

const PER_PAGE: u32 = 100;
/// GitHub stops listing a pull request's files at 3000.
const MAX_FILE_PAGES: u32 = 30;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub html_url: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ChangedFile {
    pub filename: String,
    pub status: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
    /// The unified diff of the file (GitHub leaves it out for binary and very large
    /// files): which lines a review comment may be on.
    #[serde(default)]
    pub patch: Option<String>,
}

pub struct GitHubClient<'a, H: Host, T: Transport = ReqwestTransport> {
    rt: &'a Runtime<H>,
    http: HttpClient<T>,
    /// `owner/name`
    pub repository: String,
}

impl<'a, H: Host> GitHubClient<'a, H> {
    pub fn new(rt: &'a Runtime<H>, api_url: &str, token: &str, repository: &str) -> Self {
        let headers = vec![
            ("authorization".to_string(), format!("Bearer {token}")),
            (
                "accept".to_string(),
                "application/vnd.github+json".to_string(),
            ),
            ("x-github-api-version".to_string(), "2022-11-28".to_string()),
            ("user-agent".to_string(), crate::USER_AGENT.to_string()),
        ];
        GitHubClient {
            rt,
            http: HttpClient {
                service: "GitHub API",
                transport: ReqwestTransport::new(api_url, headers, crate::http_timeout_ms(rt)),
                policy: Default::default(),
            },
            repository: repository.to_string(),
        }
    }
}

impl<'a, H: Host, T: Transport> GitHubClient<'a, H, T> {
    async fn call(&self, method: Method, path: String, body: Option<Value>) -> Result<Value> {
        let response = self
            .http
            .send(self.rt, &Request { method, path, body })
            .await?;
        if response.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        Ok(response.json("GitHub API")?)
    }

    fn decode<D: serde::de::DeserializeOwned>(v: Value) -> Result<D> {
        serde_json::from_value(v).map_err(|e| {
            HttpError::Decode {
                service: "GitHub API".into(),
                message: e.to_string(),
            }
            .into()
        })
    }

    /// Every comment on an issue or PR, oldest first (all pages).
    pub async fn list_comments(&self, issue: u64) -> Result<Vec<Comment>> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = format!(
                "/repos/{}/issues/{issue}/comments?per_page={PER_PAGE}&page={page}",
                self.repository
            );
            let batch: Vec<Comment> = Self::decode(self.call(Method::Get, path, None).await?)?;
            let last = batch.len() < PER_PAGE as usize;
            all.extend(batch);
            if last {
                break;
            }
        }
        Ok(all)
    }

    pub async fn create_comment(&self, issue: u64, body: &str) -> Result<Comment> {
        let path = format!("/repos/{}/issues/{issue}/comments", self.repository);
        Self::decode(
            self.call(Method::Post, path, Some(json!({ "body": body })))
                .await?,
        )
    }

    pub async fn update_comment(&self, comment_id: u64, body: &str) -> Result<Comment> {
        let path = format!("/repos/{}/issues/comments/{comment_id}", self.repository);
        Self::decode(
            self.call(Method::Patch, path, Some(json!({ "body": body })))
                .await?,
        )
    }

    pub async fn delete_comment(&self, comment_id: u64) -> Result<()> {
        let path = format!("/repos/{}/issues/comments/{comment_id}", self.repository);
        match self.call(Method::Delete, path, None).await {
            Err(crate::error::Error::Http(e)) if e.status() == Some(404) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The files a pull request changes (works with a shallow checkout).
    pub async fn pull_request_files(&self, number: u64) -> Result<Vec<ChangedFile>> {
        let mut all = Vec::new();
        for page in 1..=MAX_FILE_PAGES {
            let path = format!(
                "/repos/{}/pulls/{number}/files?per_page={PER_PAGE}&page={page}",
                self.repository
            );
            let batch: Vec<ChangedFile> = Self::decode(self.call(Method::Get, path, None).await?)?;
            let last = batch.len() < PER_PAGE as usize;
            all.extend(batch);
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// Files changed between two commits (push events without local history).
    pub async fn compare_files(&self, base: &str, head: &str) -> Result<Vec<ChangedFile>> {
        let path = format!(
            "/repos/{}/compare/{}...{}?per_page={PER_PAGE}",
            self.repository,
            crate::url::encode_component(base),
            crate::url::encode_component(head)
        );
        let v = self.call(Method::Get, path, None).await?;
        Self::decode(v.get("files").cloned().unwrap_or(json!([])))
    }
}
