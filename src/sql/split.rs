//! Statements from tokens, splitting exactly where psql does.
//!
//! psql (not the server) decides what one statement is when a migration is
//! applied with `psql -f`, so this mirrors psqlscan.l: a `;` ends a statement
//! only outside parentheses and outside the `BEGIN … END` body of a
//! `CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN ATOMIC` (psql's own
//! heuristic, copied including its quirks so the split agrees with it).
//! A psql meta-command line is a statement of its own kind; the send-style
//! commands (`\g`, `\gset`, …) also end the SQL statement before them.

use serde::Serialize;
use sqlparser::tokenizer::{Token, Whitespace};

use super::lexer::{Tok, TokKind};
use super::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementKind {
    Sql,
    PsqlMeta,
}

/// A comment before a statement (where ignore directives live).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub kind: StatementKind,
    /// The statement as psql sends it (for COPY … FROM stdin, followed by its
    /// data lines). Meta-command lines that interrupt a statement are removed.
    pub text: String,
    pub span: Span,
    pub leading_comments: Vec<Comment>,
    /// Index range of the statement's tokens in the file's token list.
    #[serde(skip)]
    pub toks: std::ops::Range<usize>,
}

/// psql's state for one statement (psqlscan.l's PsqlScanStateData subset).
#[derive(Default)]
struct Psql {
    paren_depth: u32,
    begin_depth: u32,
    identifiers: [u8; 4],
    identifier_count: usize,
}

impl Psql {
    /// psqlscan.l's `{identifier}` rule, which tracks BEGIN ATOMIC bodies.
    fn identifier(&mut self, w: &str) {
        if self.identifier_count == 0 {
            self.identifiers = [0; 4];
        }
        let tracked = ["create", "function", "procedure", "or", "replace"];
        if tracked.iter().any(|t| w.eq_ignore_ascii_case(t)) && self.identifier_count < 4 {
            self.identifiers[self.identifier_count] = w.as_bytes()[0].to_ascii_lowercase();
        }
        self.identifier_count += 1;
        let id = self.identifiers;
        let in_routine = id[0] == b'c'
            && (id[1] == b'f'
                || id[1] == b'p'
                || (id[1] == b'o' && id[2] == b'r' && (id[3] == b'f' || id[3] == b'p')));
        if in_routine && self.paren_depth == 0 {
            if w.eq_ignore_ascii_case("begin") {
                self.begin_depth += 1;
            } else if w.eq_ignore_ascii_case("case") {
                if self.begin_depth >= 1 {
                    self.begin_depth += 1;
                }
            } else if w.eq_ignore_ascii_case("end") && self.begin_depth > 0 {
                self.begin_depth -= 1;
            }
        }
    }
}

/// psql meta-commands that send the query buffer (so they end a statement).
fn sends_buffer(meta: &str) -> bool {
    let cmd = meta[1..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    matches!(
        cmd,
        "g" | "gx" | "gset" | "gexec" | "gdesc" | "crosstabview" | "watch"
    ) || cmd.starts_with("gset")
}

struct Splitter<'a> {
    text: &'a str,
    toks: &'a [Tok],
    out: Vec<Statement>,
    /// First and last significant token of the pending SQL statement.
    pending: Option<(usize, usize)>,
    /// Comments since the last statement, before `pending` started.
    comments: Vec<usize>,
    /// Meta-command tokens inside the pending statement.
    interrupts: Vec<usize>,
    psql: Psql,
}

/// Split a file's tokens into statements.
pub fn split(text: &str, toks: &[Tok]) -> Vec<Statement> {
    let mut s = Splitter {
        text,
        toks,
        out: Vec::new(),
        pending: None,
        comments: Vec::new(),
        interrupts: Vec::new(),
        psql: Psql::default(),
    };
    let mut literal_backslash = false;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            TokKind::PsqlMeta => {
                let meta = &text[t.start..t.end];
                s.psql.identifier_count = 0;
                if s.pending.is_some() {
                    if sends_buffer(meta) {
                        s.finish();
                        s.emit_meta(i);
                    } else {
                        // psql runs it now and keeps the buffer for later.
                        s.interrupts.push(i);
                        let saved = std::mem::take(&mut s.comments);
                        s.emit_meta(i);
                        s.comments = saved;
                    }
                } else {
                    s.emit_meta(i);
                }
            }
            TokKind::CopyData => {
                // The data belongs to the COPY statement just ended by `;`.
                if let Some(last) = s.out.last_mut() {
                    last.toks.end = i + 1;
                    last.span.end = t.end;
                    last.span.end_line = t.end_line;
                    last.span.end_col = t.end_col;
                    last.text = text[last.span.start..t.end].to_string();
                }
            }
            TokKind::Sql => {
                if t.is_trivia() {
                    if s.pending.is_none() && t.is_comment() {
                        s.comments.push(i);
                    }
                    continue;
                }
                let first = s.pending.map_or(i, |p| p.0);
                s.pending = Some((first, i));
                match &t.token {
                    Token::Word(w) if w.quote_style.is_none() => s.psql.identifier(&w.value),
                    Token::LParen => s.psql.paren_depth += 1,
                    Token::RParen => s.psql.paren_depth = s.psql.paren_depth.saturating_sub(1),
                    Token::SemiColon if literal_backslash => s.psql.identifier_count = 0,
                    Token::SemiColon if s.psql.paren_depth == 0 && s.psql.begin_depth == 0 => {
                        s.finish()
                    }
                    _ => {}
                }
                literal_backslash = matches!(t.token, Token::Backslash);
            }
        }
    }
    if s.pending.is_some() {
        s.finish();
    }
    s.out
}

impl Splitter<'_> {
    fn leading(&mut self) -> Vec<Comment> {
        self.comments
            .drain(..)
            .map(|c| {
                let t = &self.toks[c];
                Comment {
                    text: comment_body(&t.token).to_string(),
                    span: Span::of_tok(t),
                }
            })
            .collect()
    }

    fn emit_meta(&mut self, i: usize) {
        let t = &self.toks[i];
        let leading_comments = self.leading();
        self.out.push(Statement {
            kind: StatementKind::PsqlMeta,
            text: self.text[t.start..t.end].to_string(),
            span: Span::of_tok(t),
            leading_comments,
            toks: i..i + 1,
        });
    }

    fn finish(&mut self) {
        let Some((first, last)) = self.pending.take() else {
            return;
        };
        self.psql = Psql::default();
        let (a, b) = (&self.toks[first], &self.toks[last]);
        let span = Span {
            start: a.start,
            end: b.end,
            line: a.line,
            col: a.col,
            end_line: b.end_line,
            end_col: b.end_col,
        };
        let text = if self.interrupts.is_empty() {
            self.text[a.start..b.end].to_string()
        } else {
            // Leave out the meta lines psql executed while reading it.
            let mut out = String::new();
            let mut from = a.start;
            for &m in &self.interrupts {
                out.push_str(&self.text[from..self.toks[m].start]);
                from = self.toks[m].end;
            }
            out.push_str(&self.text[from..b.end]);
            self.interrupts.clear();
            out
        };
        let leading_comments = self.leading();
        self.out.push(Statement {
            kind: StatementKind::Sql,
            text,
            span,
            leading_comments,
            toks: first..last + 1,
        });
    }
}

/// The inside of a comment token, without `--` or `/* */`.
pub fn comment_body(t: &Token) -> &str {
    match t {
        Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => comment,
        Token::Whitespace(Whitespace::MultiLineComment(c)) => c,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn texts(sql: &str) -> Vec<(StatementKind, String)> {
        let l = lex(sql, 0, sql.len(), 1);
        assert!(l.error.is_none(), "{:?}", l.error);
        split(sql, &l.tokens)
            .into_iter()
            .map(|s| (s.kind, s.text))
            .collect()
    }

    fn sql_only(sql: &str) -> Vec<String> {
        texts(sql).into_iter().map(|s| s.1).collect()
    }

    #[test]
    fn splits_on_top_level_semicolons() {
        assert_eq!(
            sql_only("select 1; select (2;3);\n-- c\nselect 4"),
            ["select 1;", "select (2;3);", "select 4"]
        );
    }

    #[test]
    fn dollar_bodies_and_begin_atomic_stay_whole() {
        let f = "CREATE FUNCTION f() RETURNS int AS $$ begin; return 1; end $$ LANGUAGE plpgsql;";
        assert_eq!(sql_only(f), [f]);
        let a = "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC insert into t values (1); select case when true then 1 end; END;";
        assert_eq!(sql_only(&format!("{a}\nselect 2;")), [a, "select 2;"]);
        // Not a routine: BEGIN is a transaction statement.
        assert_eq!(
            sql_only("BEGIN; select 1; END;"),
            ["BEGIN;", "select 1;", "END;"]
        );
    }

    #[test]
    fn meta_commands_are_statements() {
        let t = texts("\\set ON_ERROR_STOP 1\nBEGIN;\n\\i foo.sql\nselect 1 \\gset\nCOMMIT;");
        assert_eq!(
            t,
            [
                (StatementKind::PsqlMeta, "\\set ON_ERROR_STOP 1".into()),
                (StatementKind::Sql, "BEGIN;".into()),
                (StatementKind::PsqlMeta, "\\i foo.sql".into()),
                (StatementKind::Sql, "select 1".into()),
                (StatementKind::PsqlMeta, "\\gset".into()),
                (StatementKind::Sql, "COMMIT;".into()),
            ]
        );
    }

    #[test]
    fn meta_inside_a_statement_is_left_out_of_its_text() {
        let t = texts("select\n\\echo hi\n1;");
        assert_eq!(t[0], (StatementKind::PsqlMeta, "\\echo hi".into()));
        assert_eq!(t[1], (StatementKind::Sql, "select\n\n1;".into()));
    }

    #[test]
    fn copy_data_belongs_to_its_statement() {
        let t = sql_only("COPY t FROM stdin;\na\tb\n\\.\nselect 1;");
        assert_eq!(t, ["COPY t FROM stdin;\na\tb\n\\.", "select 1;"]);
    }

    #[test]
    fn comments_lead_the_next_statement() {
        let sql = "select 1; -- trailing\n/* a */\n-- b\nselect 2;";
        let l = lex(sql, 0, sql.len(), 1);
        let st = split(sql, &l.tokens);
        let c: Vec<&str> = st[1]
            .leading_comments
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(c, [" trailing", " a ", " b"]);
        assert_eq!((st[1].span.line, st[1].span.col), (4, 1));
    }
}
