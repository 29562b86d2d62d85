//! neon-gitops core: every decision the action makes lives here; the JS shim in `js/` only
//! does I/O on the core's behalf through [`host::Host`].
//!
//! - `host`     — the machine boundary (processes, files, workflow commands, clock)
//! - `runtime`  — host + secret registry: everything printed is scrubbed here
//! - `inputs`, `event` — what the workflow gave us, validated
//! - `http`     — one transport and retry policy for both APIs
//! - `neon`, `github` — API clients
//! - `sql`      — migration analysis: split, validate, plan, lint, report (pure)
//! - `modes`    — preview, migrate, sync, dev
//! - `pg`       — shared Postgres client concerns (connection errors)
//! - `url`, `time` — small pure helpers

pub mod error;
pub mod event;
pub mod github;
pub mod host;
pub mod http;
pub mod inputs;
pub mod modes;
pub mod neon;
pub mod pg;
pub mod runtime;
pub mod sql;
pub mod time;
pub mod url;

#[cfg(target_arch = "wasm32")]
mod entry;

pub const USER_AGENT: &str = concat!(
    "neon-gitops/",
    env!("CARGO_PKG_VERSION"),
    " (GitHub Action; +https://github.com/neon-gitops/neon-gitops)"
);

/// Inputs that hold secrets: masked before anything is printed.
pub const SECRET_INPUTS: [&str; 6] = [
    "neon-api-key",
    "github-token",
    "database-url",
    "source-url",
    "target-url",
    "slack-webhook-url",
];

/// Per-request HTTP timeout. `NEON_GITOPS_HTTP_TIMEOUT_MS` exists for the test bed, which
/// must prove a stalled request is abandoned without waiting a full minute.
pub fn http_timeout_ms<H: host::Host>(rt: &runtime::Runtime<H>) -> u64 {
    rt.host
        .env("NEON_GITOPS_HTTP_TIMEOUT_MS")
        .and_then(|v| v.parse().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(http::DEFAULT_TIMEOUT_MS)
}
