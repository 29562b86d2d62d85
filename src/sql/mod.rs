//! SQL analysis engine (issue 3): split, validate, plan and lint migration
//! files. Pure: it takes bytes and paths and returns data; the caller does
//! all I/O. Compiles for wasm32 (no threads, no fs, no clock).
//!
//! Module map:
//! - `lexer`       sqlparser tokens with byte spans; psql meta-commands and
//!   COPY data as opaque tokens; real lexical errors only.
//! - `split`       statements exactly where psql splits them.
//! - `meta`        psql meta-commands a migration may use (none that reach the
//!   runner's shell, files or environment).
//! - `format`      plain / dbmate / Prisma / Flyway / Diesel: UP section,
//!   transaction declaration, apply order (`order_key`).
//! - `parse`       per-statement sqlparser parse; failure = "not analysed".
//! - `words`       token view and matchers shared by everything below.
//! - `transaction` BEGIN/COMMIT structure, non-transactional statements and
//!   the file's `ExecutionPlan`.
//! - `context`     objects created earlier in the run (rules skip them).
//! - `catalog`     a real database's facts (volatility, table sizes), when the
//!   caller has one to ask.
//! - `lint`        the rules, one per file in `lint/rules/`.
//! - `ignore`      `-- neon-gitops-ignore[-file]:` (and squawk's) directives.
//! - `config`      the user's lint input; `glob` for `exclude=`.
//! - `squawk`      squawk's rule ids and `.squawk.toml` (read by `toml`).
//! - `analyze`     the pipeline and the result types.
//! - `report`      annotations, Markdown and JSON from one data model.

pub mod analyze;
pub mod api;
pub mod catalog;
pub mod config;
pub mod context;
pub mod error;
pub mod fix;
pub mod format;
pub mod glob;
pub mod ignore;
pub mod lexer;
pub mod lint;
pub mod meta;
pub mod parse;
pub mod report;
pub mod split;
pub mod squawk;
pub mod toml;
pub mod transaction;
pub mod words;

pub use analyze::{
    analyze, analyze_full, analyze_judged, analyze_with, Analysis, FileAnalysis, Finding, Parse,
    SourceFile, Totals,
};
pub use api::analyze_json;
pub use catalog::Catalog;
pub use config::LintConfig;
pub use error::{ConfigError, FileError, SqlError};
pub use format::{order_key, MigrationFormat, OrderKey};
pub use lint::Severity;
pub use split::{Statement, StatementKind};
pub use transaction::ExecutionPlan;

use serde::Serialize;

/// A place in a file: byte range plus 1-based line / character column of the
/// first character and of the position just after the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl Span {
    pub fn of_tok(t: &lexer::Tok) -> Span {
        Span {
            start: t.start,
            end: t.end,
            line: t.line,
            col: t.col,
            end_line: t.end_line,
            end_col: t.end_col,
        }
    }
}
