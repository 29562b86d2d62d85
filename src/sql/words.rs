//! A statement's significant tokens and small matchers over them.
//!
//! Transaction analysis, context tracking and the lint rules all read
//! statements through this view, so they work the same whether or not
//! sqlparser could parse the statement (it rejects a lot of valid Postgres).

use sqlparser::tokenizer::Token;

use super::lexer::{Tok, TokKind};
use super::Span;

/// Significant SQL tokens of one statement (no whitespace, comments or the
/// final `;`).
#[derive(Debug, Clone, Default)]
pub struct View<'a> {
    pub toks: Vec<&'a Tok>,
}

impl<'a> View<'a> {
    pub fn new(toks: &'a [Tok]) -> View<'a> {
        let mut v: Vec<&Tok> = toks
            .iter()
            .filter(|t| t.kind == TokKind::Sql && !t.is_trivia())
            .collect();
        if matches!(v.last().map(|t| &t.token), Some(Token::SemiColon)) {
            v.pop();
        }
        View { toks: v }
    }

    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// The unquoted word at `i` (keywords are never quoted).
    pub fn kw(&self, i: usize) -> Option<&'a str> {
        match &self.toks.get(i)?.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.as_str()),
            _ => None,
        }
    }

    /// Is the token at `i` the keyword `k` (case-insensitive)?
    pub fn is(&self, i: usize, k: &str) -> bool {
        self.kw(i).is_some_and(|w| w.eq_ignore_ascii_case(k))
    }

    /// Does the statement start with these keywords?
    pub fn starts(&self, kws: &[&str]) -> bool {
        self.seq_at(0, kws)
    }

    pub fn seq_at(&self, i: usize, kws: &[&str]) -> bool {
        kws.iter().enumerate().all(|(k, w)| self.is(i + k, w))
    }

    /// First index >= `from` where the keyword sequence occurs.
    pub fn find_seq(&self, from: usize, kws: &[&str]) -> Option<usize> {
        (from..self.len()).find(|&i| self.seq_at(i, kws))
    }

    pub fn has(&self, k: &str) -> bool {
        self.find_seq(0, &[k]).is_some()
    }

    pub fn tok(&self, i: usize) -> Option<&'a Token> {
        self.toks.get(i).map(|t| &t.token)
    }

    /// Span from token `a` to token `b` (inclusive), clamped.
    pub fn span(&self, a: usize, b: usize) -> Option<Span> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let (a, b) = (a.min(n - 1), b.min(n - 1).max(a.min(n - 1)));
        let (s, e) = (self.toks[a], self.toks[b]);
        Some(Span {
            start: s.start,
            end: e.end,
            line: s.line,
            col: s.col,
            end_line: e.end_line,
            end_col: e.end_col,
        })
    }

    /// Skip optional keyword sequences at `i` (e.g. `IF NOT EXISTS`).
    pub fn skip(&self, mut i: usize, opts: &[&[&str]]) -> usize {
        loop {
            let before = i;
            for o in opts {
                if self.seq_at(i, o) {
                    i += o.len();
                }
            }
            if i == before {
                return i;
            }
        }
    }

    /// A possibly qualified object name at `i`: returns it and the index after.
    pub fn name_at(&self, i: usize) -> Option<(ObjName, usize)> {
        let mut parts = Vec::new();
        let mut j = i;
        loop {
            match self.tok(j)? {
                Token::Word(w) => parts.push(ObjName::norm(&w.value, w.quote_style.is_some())),
                _ => return None,
            }
            j += 1;
            if matches!(self.tok(j), Some(Token::Period)) {
                j += 1;
            } else {
                break;
            }
        }
        let name = parts.pop()?;
        Some((
            ObjName {
                schema: parts.pop(),
                name,
            },
            j,
        ))
    }

    /// Comma-separated items at parenthesis depth 0 from `from` to the end.
    pub fn top_level_items(&self, from: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut depth = 0i32;
        let mut start = from;
        for i in from..self.len() {
            match self.toks[i].token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth -= 1,
                Token::Comma if depth == 0 => {
                    out.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        if start < self.len() {
            out.push((start, self.len()));
        }
        out
    }
}

/// A table / index name as Postgres resolves it: unquoted folds to lower
/// case, quoted is exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjName {
    pub schema: Option<String>,
    pub name: String,
}

impl ObjName {
    pub fn norm(s: &str, quoted: bool) -> String {
        if quoted {
            s.replace("\"\"", "\"")
        } else {
            s.to_lowercase()
        }
    }

    /// Same object, when a missing schema matches any (search_path).
    pub fn matches(&self, o: &ObjName) -> bool {
        self.name == o.name
            && match (&self.schema, &o.schema) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl std::fmt::Display for ObjName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}
