//! Neon's error answers turned into instructions a user can act on.

use super::types::Operation;
use crate::error::Error;
use crate::http::HttpError;

/// Neon's answer when the plan's branch limit is reached: 422 with `BRANCHES_LIMIT_EXCEEDED`
/// ("branches limit of N exceeded"); the text is matched, as the client keeps only it.
pub(super) fn is_branch_limit(e: &HttpError) -> bool {
    matches!(e, HttpError::Status { status: 422, message, .. }
        if message.to_ascii_lowercase().contains("limit") && message.to_ascii_lowercase().contains("branch"))
}

pub(super) fn operation_failed(op: &Operation) -> Error {
    Error::Failed(format!(
        "Neon operation {} ({}) ended with status `{}`{}; see the project's Operations page in the Neon console",
        op.id,
        op.action,
        op.status,
        op.error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default()
    ))
}

/// Turn the statuses users hit most into instructions.
pub(super) fn explain(error: HttpError, project_id: &str) -> Error {
    // A wrong project id answers 404 on every path below it; callers read a 404 as "that
    // branch is gone" (success on delete), so it must not stay a plain 404.
    if let HttpError::Status {
        status: 404,
        message,
        ..
    } = &error
    {
        if message.to_ascii_lowercase().contains("project not found") {
            return Error::Failed(format!(
                "Neon API answered 404: project `{project_id}` not found; check the `neon-project-id` input (Neon console → Project settings → General → Project ID) and that `neon-api-key` belongs to the organization that owns it"
            ));
        }
    }
    match error.status() {
        Some(401) => Error::Failed(
            "Neon API rejected the API key (401): check the `neon-api-key` secret (Neon console → Account settings → API keys)".into(),
        ),
        Some(403) => Error::Failed(format!(
            "Neon API refused access (403): the API key cannot use this project. {error}"
        )),
        _ => Error::Http(error),
    }
}
