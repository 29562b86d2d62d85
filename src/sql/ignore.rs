//! Inline ignore directives in SQL comments:
//!
//! - `-- neon-gitops-ignore: rule-id[, rule-id…]` ignores those rules for the
//!   next statement;
//! - `-- neon-gitops-ignore-file: rule-id[, …]` for the whole file.
//!
//! Anything after the ids (a reason) is allowed: `-- neon-gitops-ignore:
//! ban-drop-column dropped in v2 by agreement`. A directive that suppresses
//! nothing is reported, so stale ignores do not pile up.

use super::lexer::Tok;
use super::split::{comment_body, Statement};
use super::Span;

const STMT: &str = "neon-gitops-ignore:";
const FILE: &str = "neon-gitops-ignore-file:";

#[derive(Debug, Clone)]
pub struct Directive {
    pub ids: Vec<String>,
    pub span: Span,
    /// The statement (index into the file's statements) it applies to, or
    /// `None` for a file-wide directive.
    pub stmt: Option<usize>,
    /// Per id: did it suppress something?
    pub used: Vec<bool>,
}

impl Directive {
    /// Does this directive cover `rule` on statement `stmt`? Marks it used.
    pub fn covers(&mut self, rule: &str, stmt: usize) -> bool {
        if self.stmt.is_some_and(|s| s != stmt) {
            return false;
        }
        match self.ids.iter().position(|i| i == rule) {
            Some(k) => {
                self.used[k] = true;
                true
            }
            None => false,
        }
    }
}

/// Rule ids after the marker: comma-separated, each the first word of its
/// piece (so a trailing reason is ignored).
fn ids(rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in rest.split(',') {
        let mut words = piece.split_whitespace();
        if let Some(w) = words.next() {
            let id = w.trim_end_matches("*/");
            if !id.is_empty() {
                out.push(id.to_string());
            }
        }
        // `a, b because reason` → stop after a piece with trailing words.
        if words.next().is_some() {
            break;
        }
    }
    out
}

fn directive_in(body: &str) -> Option<(bool, &str)> {
    let b = body.trim_start_matches(|c: char| c.is_whitespace() || c == '*' || c == '-');
    if let Some(r) = b.strip_prefix(FILE) {
        Some((true, r))
    } else {
        b.strip_prefix(STMT).map(|r| (false, r))
    }
}

/// Collect directives: file-wide ones from every comment token, statement
/// ones from each statement's leading comments.
pub fn collect(toks: &[Tok], stmts: &[Statement]) -> Vec<Directive> {
    let mut out = Vec::new();
    for t in toks.iter().filter(|t| t.is_comment()) {
        if let Some((true, rest)) = directive_in(comment_body(&t.token)) {
            let ids = ids(rest);
            out.push(Directive {
                used: vec![false; ids.len()],
                ids,
                span: Span::of_tok(t),
                stmt: None,
            });
        }
    }
    for (i, s) in stmts.iter().enumerate() {
        for c in &s.leading_comments {
            if let Some((false, rest)) = directive_in(&c.text) {
                let ids = ids(rest);
                out.push(Directive {
                    used: vec![false; ids.len()],
                    ids,
                    span: c.span,
                    stmt: Some(i),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_and_reasons() {
        assert_eq!(ids(" a, b"), ["a", "b"]);
        assert_eq!(ids(" a, b because we said so, c"), ["a", "b"]);
        assert_eq!(ids(" a */"), ["a"]);
        assert_eq!(
            directive_in(" neon-gitops-ignore-file: x"),
            Some((true, " x"))
        );
        assert_eq!(directive_in("* neon-gitops-ignore: x"), Some((false, " x")));
        assert_eq!(directive_in(" plain comment"), None);
    }
}
