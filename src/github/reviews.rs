//! Pull-request reviews: the one-click fixes are review comments on the lines they change,
//! posted together as one review per push, and found again by their hidden key.

use super::{GitHubClient, PER_PAGE};
use crate::error::Result;
use crate::host::Host;
use crate::http::{Method, Transport};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ReviewComment {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub html_url: String,
}

/// A comment of a review to create: on `line` (and from `start_line` for several lines)
/// of the PR's version of `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReviewComment {
    pub path: String,
    pub start_line: Option<u32>,
    pub line: u32,
    pub body: String,
}

impl<'a, H: Host, T: Transport> GitHubClient<'a, H, T> {
    /// Every review comment of a pull request (all pages).
    pub async fn list_review_comments(&self, pr: u64) -> Result<Vec<ReviewComment>> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = format!(
                "/repos/{}/pulls/{pr}/comments?per_page={PER_PAGE}&page={page}",
                self.repository
            );
            let batch: Vec<ReviewComment> =
                Self::decode(self.call(Method::Get, path, None).await?)?;
            let last = batch.len() < PER_PAGE as usize;
            all.extend(batch);
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// One review (`COMMENT`, no verdict) with `comments`, on commit `commit_id`.
    pub async fn create_review(
        &self,
        pr: u64,
        commit_id: &str,
        body: &str,
        comments: &[NewReviewComment],
    ) -> Result<()> {
        let comments: Vec<_> = comments
            .iter()
            .map(|c| {
                let mut v =
                    json!({ "path": c.path, "line": c.line, "side": "RIGHT", "body": c.body });
                if let Some(start) = c.start_line.filter(|s| *s < c.line) {
                    v["start_line"] = json!(start);
                    v["start_side"] = json!("RIGHT");
                }
                v
            })
            .collect();
        let mut review = json!({ "event": "COMMENT", "body": body, "comments": comments });
        if !commit_id.is_empty() {
            review["commit_id"] = json!(commit_id);
        }
        let path = format!("/repos/{}/pulls/{pr}/reviews", self.repository);
        self.call(Method::Post, path, Some(review)).await?;
        Ok(())
    }

    pub async fn update_review_comment(&self, comment_id: u64, body: &str) -> Result<()> {
        let path = format!("/repos/{}/pulls/comments/{comment_id}", self.repository);
        self.call(Method::Patch, path, Some(json!({ "body": body })))
            .await?;
        Ok(())
    }
}
