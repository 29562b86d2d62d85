//! The workflow event (`GITHUB_EVENT_NAME` + the JSON at `GITHUB_EVENT_PATH`), read once
//! and queried by the modes. A missing or malformed payload is a clear error, not a panic.

use crate::error::{Error, Result};
use crate::host::Host;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub payload: Value,
}

/// What the modes need to know about a pull request.
#[derive(Debug, Clone, PartialEq)]
pub struct PullRequest {
    pub number: u64,
    pub action: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    /// Opened from another repository: no secrets, untrusted code.
    pub from_fork: bool,
}

impl Event {
    pub fn load<H: Host>(host: &H) -> Result<Event> {
        let name = host.env("GITHUB_EVENT_NAME").unwrap_or_default();
        let path = host.env("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()).ok_or_else(|| {
            Error::Event(
                "GITHUB_EVENT_PATH is not set: this action must run inside a GitHub Actions workflow".into(),
            )
        })?;
        let bytes = host.read_file(&path).map_err(|e| {
            Error::Event(format!(
                "cannot read the event payload at GITHUB_EVENT_PATH ({e})"
            ))
        })?;
        let payload: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Event(format!(
                "the event payload at GITHUB_EVENT_PATH is not valid JSON ({e}); is the runner's disk full?"
            ))
        })?;
        if !payload.is_object() {
            return Err(Error::Event(
                "the event payload at GITHUB_EVENT_PATH is not a JSON object".into(),
            ));
        }
        Ok(Event { name, payload })
    }

    fn str_at(&self, pointer: &str) -> Option<String> {
        self.payload
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub fn pull_request(&self) -> Option<PullRequest> {
        let pr = self.payload.get("pull_request")?;
        let number = pr
            .get("number")
            .or_else(|| self.payload.get("number"))
            .and_then(Value::as_u64)?;
        let head_repo = self.str_at("/pull_request/head/repo/full_name");
        let base_repo = self.str_at("/pull_request/base/repo/full_name");
        Some(PullRequest {
            number,
            action: self.str_at("/action").unwrap_or_default(),
            head_ref: self.str_at("/pull_request/head/ref").unwrap_or_default(),
            head_sha: self.str_at("/pull_request/head/sha").unwrap_or_default(),
            base_ref: self.str_at("/pull_request/base/ref").unwrap_or_default(),
            base_sha: self.str_at("/pull_request/base/sha").unwrap_or_default(),
            merged: pr.get("merged").and_then(Value::as_bool).unwrap_or(false),
            merge_commit_sha: self.str_at("/pull_request/merge_commit_sha"),
            from_fork: head_repo.is_some() && head_repo != base_repo,
        })
    }

    /// `owner/name` of the repository the workflow runs in.
    pub fn repository(&self) -> Option<String> {
        self.str_at("/repository/full_name")
    }
}
