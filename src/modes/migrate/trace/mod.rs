//! Lock tracing on a branch with production's data (preview and rehearsal, never
//! production): the applying psql session probes `pg_locks` and `pg_class` for its own
//! backend after every statement, and the runner turns the probes into what production
//! will feel — per statement its duration, the locks it took, rewrites, and per table
//! the window during which reads or writes queue behind it.
//!
//! - `script` the traced form of a file (statements one by one, a probe after each)
//! - `model`  probe lines → per-statement facts and blocking windows (pure)
//! - `render` the Markdown table (PR comment, job summary) and the `max-blocking` gate

pub mod model;
pub mod render;
pub mod script;

pub use model::{Blocker, Trace};

/// What a probe was printed after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Index of the file in the script's file list.
    pub file: usize,
    pub what: SiteKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// Before the file's first statement: the clock starts here.
    Start,
    /// After statement `n` of the file's statement list.
    Statement(usize),
    /// After a COMMIT the runner added (the file's own COMMITs are statements).
    Commit,
}
