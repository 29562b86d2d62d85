//! SQL analysis engine (issue 3).
pub mod error;
pub mod lexer;
pub mod split;

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
