//! The parts of Neon's API objects the action reads. Unknown fields are ignored, missing
//! optional ones default: the API grows, the action keeps working.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Branch {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub parent_id: Option<String>,
    pub default: bool,
    pub protected: bool,
    pub current_state: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// "A timestamp indicating when the branch was last reset" (spec: Branch.last_reset_at):
    /// set by every restore onto the branch.
    pub last_reset_at: Option<String>,
    /// "The logical size of the branch, in bytes" (spec: Branch.logical_size).
    pub logical_size: Option<u64>,
}

/// The branches whose parent is `id`.
pub fn children<'a>(branches: &'a [Branch], id: &'a str) -> impl Iterator<Item = &'a Branch> {
    branches
        .iter()
        .filter(move |b| b.parent_id.as_deref() == Some(id))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Endpoint {
    pub id: String,
    pub branch_id: String,
    pub host: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub current_state: String,
    /// "When the compute endpoint was last active" (spec: Endpoint.last_active): how dev
    /// mode tells a compute someone is using from an idle one.
    pub last_active: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Operation {
    pub id: String,
    pub action: String,
    pub status: String,
    pub branch_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub error: Option<String>,
    pub failures_count: u32,
}

impl Operation {
    /// Neon's terminal statuses: "Terminal statuses are `finished`, `skipped`, and
    /// `cancelled`. A `failed` operation is not terminal and may be retried" (Neon's API
    /// reference, operations). `error` is in the spec's enum but in no doc: an end, and a
    /// failure.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.status.as_str(),
            "finished" | "error" | "cancelled" | "skipped"
        )
    }
    /// Ended without doing its work.
    pub fn failed(&self) -> bool {
        self.status == "error"
    }
    /// Failed this time; Neon retries it.
    pub fn retrying(&self) -> bool {
        self.status == "failed"
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Database {
    pub id: serde_json::Value,
    pub name: String,
    pub owner_name: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Role {
    pub name: String,
    pub protected: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub default_branch_id: Option<String>,
    /// The project's Postgres major (every branch of it runs this one).
    pub pg_version: Option<u32>,
    /// How far back branches and restores can reach (Neon's "history retention").
    pub history_retention_seconds: Option<u64>,
}

/// What a mutating call returns: the object plus the operations to wait for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BranchOperations {
    pub branch: Branch,
    pub endpoints: Vec<Endpoint>,
    pub operations: Vec<Operation>,
}

/// Options for a new branch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewBranch {
    pub name: String,
    pub parent_id: Option<String>,
    pub parent_lsn: Option<String>,
    pub parent_timestamp: Option<String>,
    pub expires_at: Option<String>,
    pub suspend_timeout_seconds: Option<i64>,
    /// `annotation_value`: links the branch to its repo/PR in the console.
    pub annotations: Vec<(String, String)>,
}
