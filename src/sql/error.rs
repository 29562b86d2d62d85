//! Errors of the SQL engine. Each message says what is wrong and what to do,
//! because it ends up verbatim in a PR comment read by someone who did not
//! write this code.

use serde::Serialize;
use thiserror::Error;

/// A problem that makes a whole file unreadable (nothing is analysed).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FileError {
    #[error("file is empty: a migration with no statements is almost always a mistake (delete it or add SQL)")]
    Empty,
    #[error("file is {} ({size} bytes), over the {} limit; if this is intended, raise it with `max-file-size=<size>` in the `lint-rules` input (e.g. `max-file-size={}MB`)", size_text(*size), size_text(*max), size.div_ceil(1024 * 1024))]
    TooLarge { size: usize, max: usize },
    #[error("file is not valid UTF-8 (invalid byte at offset {offset}, line {line}); Postgres migrations must be UTF-8, re-save the file as UTF-8")]
    NotUtf8 { offset: usize, line: u32 },
    #[error("file contains a NUL byte (offset {offset}, line {line}): it is binary, not SQL, and Postgres would reject it; commit the SQL text instead")]
    Binary { offset: usize, line: u32 },
    #[error("dbmate migration has no `-- migrate:up` marker, so dbmate would refuse it; add `-- migrate:up` before the SQL")]
    DbmateNoUp,
}

/// `52428800` → `50.0 MB`, `2048` → `2.0 KB`.
fn size_text(bytes: usize) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// A validation error inside a file: Postgres would reject the file here.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{line}:{col}: {message}")]
pub struct SqlError {
    pub message: String,
    pub line: u32,
    pub col: u32,
    /// Byte offset in the file.
    pub offset: usize,
}

/// A problem in the user's lint configuration input.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
pub enum ConfigError {
    #[error("unknown rule id `{id}` in the lint config; known rules: {known}")]
    UnknownRule { id: String, known: String },
    #[error("invalid severity `{value}` for rule `{id}`: use error, warning or off")]
    BadSeverity { id: String, value: String },
    #[error("cannot read `{entry}` in the lint config: write `rule-id=error|warning|off`, `exclude=glob` or `max-file-size=10MB`, separated by commas or new lines")]
    BadEntry { entry: String },
    #[error("invalid max-file-size `{value}`: use a number of bytes, optionally with KB or MB")]
    BadSize { value: String },
}
