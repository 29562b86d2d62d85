//! Tokens with byte spans and line:col, from sqlparser's tokenizer.
//!
//! sqlparser's tokenizer knows Postgres quoting (`$tag$` bodies, E'' strings,
//! nested block comments), but it knows nothing about psql: a meta-command
//! line (`\set x 'it''s'`) or the data lines after `COPY … FROM stdin` are not
//! SQL and may not even tokenize. So this module drives the tokenizer segment
//! by segment: when it meets a meta-command or COPY data it records that region
//! as one opaque token and restarts the tokenizer after it.
//!
//! sqlparser locations count characters; spans here are bytes, computed by a
//! cursor that walks the text once (linear in the file size).
//!
//! Tokenizer errors are not trusted as verdicts: on any error, `skip_construct`
//! rescans the construct at that point with Postgres' own rules. Only a quote,
//! dollar quote or block comment that really never ends is a [`SqlError`];
//! anything else becomes a `Char` token and lexing goes on (the parser will
//! then mark the statement "not analysed", which is never an error).
//!
//! Over 600 lines with its tests (a sixth of it): segmenting, the byte cursor and the
//! error recovery share one walk over the text and are tested on it as one.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::error::SqlError;

/// What a token is, for the splitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// A SQL token (including whitespace and comments).
    Sql,
    /// A whole psql meta-command, from `\` to the end of its line.
    PsqlMeta,
    /// The data lines after `COPY … FROM stdin`, up to and including `\.`.
    CopyData,
}

/// One token with its exact place in the file.
#[derive(Debug, Clone)]
pub struct Tok {
    pub kind: TokKind,
    /// The sqlparser token (`Token::EOF` for `PsqlMeta` / `CopyData`).
    pub token: Token,
    /// Byte range in the file.
    pub start: usize,
    pub end: usize,
    /// 1-based line and character column of the first character.
    pub line: u32,
    pub col: u32,
    /// Line and column just after the last character.
    pub end_line: u32,
    pub end_col: u32,
}

impl Tok {
    /// Whitespace or a comment: never significant for analysis.
    pub fn is_trivia(&self) -> bool {
        self.kind == TokKind::Sql && matches!(self.token, Token::Whitespace(_))
    }

    pub fn is_comment(&self) -> bool {
        use sqlparser::tokenizer::Whitespace as W;
        matches!(
            self.token,
            Token::Whitespace(W::SingleLineComment { .. } | W::MultiLineComment(_))
        )
    }
}

/// The result of lexing one region: all tokens before the first real error.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Tok>,
    pub error: Option<SqlError>,
}

/// A position in the text: byte offset and 1-based line / char column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    byte: usize,
    line: u32,
    col: u32,
}

/// Lex `text[start..end]`, where `start` is the beginning of a line numbered
/// `line` (dbmate's UP section starts mid-file). Spans are file-relative.
pub fn lex(text: &str, start: usize, end: usize, line: u32) -> Lexed {
    // A UTF-8 byte-order mark (editors on Windows write one) is not SQL: the runner
    // strips it before psql sees the file, and analysis starts after it too.
    let start = if start == 0 && text[..end].starts_with('\u{feff}') {
        3
    } else {
        start
    };
    let mut lx = Lexer {
        text: &text[..end],
        out: Vec::with_capacity((end - start) / 5 + 8),
        copy: CopyTracker::default(),
    };
    let error = lx.run(Cursor {
        byte: start,
        line,
        col: 1,
    });
    Lexed {
        tokens: lx.out,
        error,
    }
}

struct Lexer<'a> {
    text: &'a str,
    out: Vec<Tok>,
    copy: CopyTracker,
}

impl<'a> Lexer<'a> {
    /// Tokenize in chunks, each ending before the next line that starts with
    /// a backslash (a psql meta-command or the `\.` after COPY data). So the
    /// tokenizer never sees psql syntax at a line start, and restarts never
    /// re-read text: the whole file is tokenized about once.
    fn run(&mut self, mut at: Cursor) -> Option<SqlError> {
        let dialect = PostgreSqlDialect {};
        let mut buf: Vec<TokenWithSpan> = Vec::new();
        let mut cut = 0usize;
        while at.byte < self.text.len() {
            if at.col == 1 && is_meta_line(self.text, at.byte) {
                at = self.meta(at);
                continue;
            }
            if cut <= at.byte {
                cut = next_meta_line(self.text, at.byte);
            }
            buf.clear();
            let (l0, c0) = (at.line as u64, at.col as u64);
            // Shift chunk-relative locations to file-relative ones.
            let res = Tokenizer::new(&dialect, &self.text[at.byte..cut])
                .with_unescape(false)
                .tokenize_with_location_into_buf_with_mapper(&mut buf, |mut t| {
                    for loc in [&mut t.span.start, &mut t.span.end] {
                        if loc.line == 1 {
                            loc.column += c0 - 1;
                        }
                        loc.line += l0 - 1;
                    }
                    t
                });
            match self.chunk(&mut buf, at, cut) {
                Some(next) => at = next,
                None if res.is_err() => {
                    let c = self.cursor_after_last(at);
                    match self.recover(c) {
                        Ok(next) => at = next,
                        Err(e) => return Some(e),
                    }
                }
                None => at = self.cursor_after_last(at),
            }
        }
        None
    }

    /// Push the tokens of one chunk. Returns where to restart when the chunk
    /// had to be cut short (meta-command mid-line, COPY data).
    fn chunk(&mut self, buf: &mut [TokenWithSpan], mut cur: Cursor, cut: usize) -> Option<Cursor> {
        let mut i = 0;
        while i < buf.len() {
            let start = cur;
            let tw = &buf[i];
            advance(
                self.text,
                &mut cur,
                tw.span.end.line as u32,
                tw.span.end.column as u32,
            );
            let token = std::mem::replace(&mut buf[i].token, Token::EOF);
            i += 1;
            if matches!(token, Token::Backslash) && !is_literal_backslash(self.text, start.byte) {
                // A meta-command after SQL on the same line (`select 1 \gset`).
                let next = self.meta(start);
                // Keep the following tokens when they start exactly at the
                // next line; otherwise the meta line's arguments confused the
                // tokenizer (quotes): restart there.
                while i < buf.len() && cur.byte < next.byte {
                    let tw = &buf[i];
                    advance(
                        self.text,
                        &mut cur,
                        tw.span.end.line as u32,
                        tw.span.end.column as u32,
                    );
                    i += 1;
                }
                // Also restart when nothing follows in this run: the tokenizer
                // may have failed right there, and recovery needs a cursor at
                // the failing token, not at the end of the meta line.
                if cur.byte != next.byte || self.copy.data_pending || i == buf.len() {
                    return Some(next);
                }
                continue;
            }
            if !matches!(token, Token::Whitespace(_)) {
                self.copy.on_token(&token);
            }
            let semi = matches!(token, Token::SemiColon);
            self.push(TokKind::Sql, token, start, cur);
            if semi && self.copy.data_pending {
                return Some(self.copy_data(cur));
            }
        }
        let _ = cut;
        None
    }

    /// A psql meta-command from `at` (its backslash) to the end of the line.
    /// Returns the start of the next line (or after COPY data it announces).
    fn meta(&mut self, at: Cursor) -> Cursor {
        let eol = line_end(self.text, at.byte);
        let mut end = at;
        advance_to_byte(self.text, &mut end, eol);
        self.push(TokKind::PsqlMeta, Token::EOF, at, end);
        self.copy.on_meta(&self.text[at.byte..eol]);
        if self.copy.data_pending {
            return self.copy_data(end);
        }
        let mut next = end;
        advance_to_byte(self.text, &mut next, next_line(self.text, eol));
        next
    }

    /// COPY data: from the line after `at` to the line `\.` (or end of file,
    /// as psql does). Pushes it and returns the start of the line after.
    fn copy_data(&mut self, at: Cursor) -> Cursor {
        self.copy.data_pending = false;
        let first = next_line(self.text, at.byte);
        let mut s = at;
        advance_to_byte(self.text, &mut s, first);
        let (data_end, after) = copy_data_end(self.text, first);
        let mut e = s;
        advance_to_byte(self.text, &mut e, data_end);
        if data_end > first {
            self.push(TokKind::CopyData, Token::EOF, s, e);
        }
        advance_to_byte(self.text, &mut e, after);
        e
    }

    fn cursor_after_last(&self, chunk_start: Cursor) -> Cursor {
        match self.out.last() {
            Some(t) if t.end >= chunk_start.byte => Cursor {
                byte: t.end,
                line: t.end_line,
                col: t.end_col,
            },
            _ => chunk_start,
        }
    }

    /// The tokenizer failed at `cur` (the start of the token it could not
    /// read). Decide with Postgres' rules whether that is a real error.
    fn recover(&mut self, cur: Cursor) -> Result<Cursor, SqlError> {
        match skip_construct(self.text, cur.byte) {
            Skip::To(end, token) => {
                let mut e = cur;
                advance_to_byte(self.text, &mut e, end);
                self.copy.on_token(&token);
                self.push(TokKind::Sql, token, cur, e);
                Ok(e)
            }
            Skip::Unterminated(what) => Err(SqlError {
                message: format!(
                    "{what} starting here is never closed, so Postgres would reject the rest of the file"
                ),
                line: cur.line,
                col: cur.col,
                offset: cur.byte,
            }),
        }
    }

    fn push(&mut self, kind: TokKind, token: Token, s: Cursor, e: Cursor) {
        self.out.push(Tok {
            kind,
            token,
            start: s.byte,
            end: e.byte,
            line: s.line,
            col: s.col,
            end_line: e.line,
            end_col: e.col,
        });
    }
}

/// psql: `\;` and `\:` put a literal `;` / `:` into the query buffer.
fn is_literal_backslash(text: &str, pos: usize) -> bool {
    matches!(text.as_bytes().get(pos + 1), Some(b';') | Some(b':'))
}

/// Does the line starting at `pos` hold a meta-command (first non-blank
/// character a backslash)?
fn is_meta_line(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    let mut i = pos;
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i < b.len() && b[i] == b'\\' && !is_literal_backslash(text, i)
}

/// Start of the next line after `pos` whose first non-blank character is a
/// backslash, or the end of the text.
fn next_meta_line(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let mut from = pos;
    while let Some(i) = memchr(b'\\', &b[from..]) {
        let k = from + i;
        // Walk back over the indentation only (never a whole long line).
        let mut ls = k;
        while ls > 0 && (b[ls - 1] == b' ' || b[ls - 1] == b'\t') {
            ls -= 1;
        }
        if ls > pos && b[ls - 1] == b'\n' && !is_literal_backslash(text, k) {
            return ls;
        }
        from = k + 1;
    }
    text.len()
}

/// Start of the line after the one containing `pos` (or end of text).
fn next_line(text: &str, pos: usize) -> usize {
    memchr(b'\n', &text.as_bytes()[pos..]).map_or(text.len(), |i| pos + i + 1)
}

/// Move the cursor forward to the character location (line, col).
fn advance(text: &str, c: &mut Cursor, line: u32, col: u32) {
    let bytes = text.as_bytes();
    while (c.line, c.col) < (line, col) && c.byte < bytes.len() {
        let b = bytes[c.byte];
        if b == b'\n' {
            c.line += 1;
            c.col = 1;
            c.byte += 1;
        } else {
            c.col += 1;
            c.byte += utf8_len(b);
        }
    }
}

/// Move the cursor forward to byte `pos` (a char boundary).
fn advance_to_byte(text: &str, c: &mut Cursor, pos: usize) {
    let bytes = text.as_bytes();
    while c.byte < pos && c.byte < bytes.len() {
        let b = bytes[c.byte];
        if b == b'\n' {
            c.line += 1;
            c.col = 1;
            c.byte += 1;
        } else {
            c.col += 1;
            c.byte += utf8_len(b);
        }
    }
}

fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Byte offset of the end of the line containing `pos`, excluding `\r\n`.
fn line_end(text: &str, pos: usize) -> usize {
    let nl = memchr(b'\n', &text.as_bytes()[pos..]).map_or(text.len(), |i| pos + i);
    if nl > pos && text.as_bytes()[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// COPY data runs from `first` to a line `\.`. Returns (end of the data
/// including `\.`, start of the next line); without `\.`, the end of text.
fn copy_data_end(text: &str, first: usize) -> (usize, usize) {
    let mut p = first;
    while p < text.len() {
        let e = line_end(text, p);
        let next = next_line(text, e);
        if &text[p..e] == "\\." {
            return (e, next);
        }
        p = next;
    }
    (text.len(), text.len())
}

/// Tracks `COPY … FROM stdin` (and psql's `\copy … from stdin`), after which
/// the input holds data lines, not SQL.
#[derive(Default)]
struct CopyTracker {
    /// Significant tokens seen in the current statement (capped).
    n: u32,
    is_copy: bool,
    saw_from: bool,
    stdin: bool,
    data_pending: bool,
}

impl CopyTracker {
    fn on_token(&mut self, t: &Token) {
        match t {
            Token::SemiColon => {
                self.data_pending = self.is_copy && self.stdin;
                self.n = 0;
                self.is_copy = false;
                self.saw_from = false;
                self.stdin = false;
                return;
            }
            Token::Word(w) if w.quote_style.is_none() => {
                let v = w.value.as_str();
                if self.n == 0 {
                    self.is_copy = v.eq_ignore_ascii_case("copy");
                } else if self.is_copy {
                    if v.eq_ignore_ascii_case("from") {
                        self.saw_from = true;
                    } else if self.saw_from && v.eq_ignore_ascii_case("stdin") {
                        self.stdin = true;
                    } else {
                        self.saw_from = false;
                    }
                }
            }
            _ => {
                if self.is_copy {
                    self.saw_from = false;
                }
            }
        }
        self.n = self.n.saturating_add(1);
    }

    fn on_meta(&mut self, line: &str) {
        let lower = line.to_ascii_lowercase();
        let mut words = lower.split_whitespace();
        if words.next() == Some("\\copy") {
            let w: Vec<&str> = words.collect();
            self.data_pending = w.windows(2).any(|p| p[0] == "from" && p[1] == "stdin");
        }
    }
}

enum Skip {
    /// The construct ends at this byte; here is a token standing for it.
    To(usize, Token),
    /// A quote / dollar quote / comment that never ends (what it is).
    Unterminated(&'static str),
}

/// Postgres' lexical rules for the construct starting at `p`, used only where
/// sqlparser's tokenizer gave up.
fn skip_construct(text: &str, p: usize) -> Skip {
    let b = text.as_bytes();
    let rest = &b[p..];
    let at = |i: usize| rest.get(i).copied();
    let c0 = at(0).unwrap_or(0);
    let quoted = |q: u8, from: usize, backslash: bool, what| match find_quote_end(
        rest, from, q, backslash,
    ) {
        Some(e) => Skip::To(p + e, Token::SingleQuotedString(text[p..p + e].to_string())),
        None => Skip::Unterminated(what),
    };
    match c0 {
        b'\'' => quoted(b'\'', 1, false, "a quoted string"),
        b'"' => match find_quote_end(rest, 1, b'"', false) {
            Some(e) => Skip::To(p + e, Token::make_word(&text[p + 1..p + e - 1], Some('"'))),
            None => Skip::Unterminated("a quoted identifier"),
        },
        b'e' | b'E' if at(1) == Some(b'\'') => quoted(b'\'', 2, true, "an escape string (E'…')"),
        b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if at(1) == Some(b'\'') => {
            quoted(b'\'', 2, false, "a quoted string")
        }
        b'u' | b'U' if at(1) == Some(b'&') && at(2) == Some(b'\'') => {
            quoted(b'\'', 3, false, "a Unicode string (U&'…')")
        }
        b'/' if at(1) == Some(b'*') => {
            let mut depth = 0usize;
            let mut i = 0;
            while i + 1 < rest.len() {
                if rest[i] == b'/' && rest[i + 1] == b'*' {
                    depth += 1;
                    i += 2;
                } else if rest[i] == b'*' && rest[i + 1] == b'/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Skip::To(
                            p + i,
                            Token::Whitespace(sqlparser::tokenizer::Whitespace::MultiLineComment(
                                String::new(),
                            )),
                        );
                    }
                } else {
                    i += 1;
                }
            }
            Skip::Unterminated("a /* block comment")
        }
        b'$' => {
            // $tag$ where tag is an identifier without `$`, or empty.
            let mut i = 1;
            while i < rest.len()
                && (rest[i] == b'_' || rest[i].is_ascii_alphanumeric() || rest[i] >= 0x80)
            {
                i += 1;
            }
            let tag_ok = i == 1 || !rest[1].is_ascii_digit();
            if tag_ok && at(i) == Some(b'$') {
                let delim = &rest[..=i];
                let body = &rest[i + 1..];
                match body.windows(delim.len()).position(|w| w == delim) {
                    Some(k) => {
                        let end = p + i + 1 + k + delim.len();
                        Skip::To(end, Token::SingleQuotedString(text[p..end].to_string()))
                    }
                    None => Skip::Unterminated("a dollar-quoted string"),
                }
            } else {
                Skip::To(p + 1, Token::Char('$'))
            }
        }
        _ => {
            let ch = text[p..].chars().next().unwrap_or(' ');
            Skip::To(p + ch.len_utf8(), Token::Char(ch))
        }
    }
}

/// End (exclusive) of a quoted literal whose body starts at `from`: doubled
/// quotes continue it; with `backslash`, `\x` escapes any byte.
fn find_quote_end(s: &[u8], from: usize, q: u8, backslash: bool) -> Option<usize> {
    let mut i = from;
    while i < s.len() {
        let c = s[i];
        if backslash && c == b'\\' {
            i += 2;
        } else if c == q {
            if s.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return Some(i + 1);
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lx(s: &str) -> Lexed {
        lex(s, 0, s.len(), 1)
    }

    fn kinds(s: &str) -> Vec<(TokKind, String)> {
        lx(s)
            .tokens
            .iter()
            .filter(|t| !t.is_trivia())
            .map(|t| (t.kind, s[t.start..t.end].to_string()))
            .collect()
    }

    #[test]
    fn byte_spans_cover_the_text_exactly() {
        let s = "select 'é', \"ü\" -- ç\n/* a /* b */ */ $f$ x; $f$;\r\nselect 1";
        let l = lx(s);
        assert!(l.error.is_none());
        let mut pos = 0;
        for t in &l.tokens {
            assert_eq!(t.start, pos, "{t:?}");
            pos = t.end;
        }
        assert_eq!(pos, s.len());
        let last = l.tokens.last().unwrap();
        assert_eq!((last.line, last.col), (3, 8));
    }

    #[test]
    fn meta_commands_are_opaque() {
        let s = "\\set ON_ERROR_STOP 1\n\\echo it's fine\nselect 1;";
        let k = kinds(s);
        assert_eq!(k[0], (TokKind::PsqlMeta, "\\set ON_ERROR_STOP 1".into()));
        assert_eq!(k[1], (TokKind::PsqlMeta, "\\echo it's fine".into()));
        assert_eq!(k[2], (TokKind::Sql, "select".into()));
        let l = lx(s);
        let sel = l
            .tokens
            .iter()
            .find(|t| s[t.start..t.end] == *"select")
            .unwrap();
        assert_eq!((sel.line, sel.col), (3, 1));
    }

    #[test]
    fn copy_from_stdin_data_is_opaque() {
        let s = "COPY t (a) FROM stdin;\nit's\t1\n\\.\nselect 'x';\n";
        let k = kinds(s);
        assert!(
            k.contains(&(TokKind::CopyData, "it's\t1\n\\.".into())),
            "{k:?}"
        );
        assert_eq!(k.last().unwrap().1, ";");
        assert!(lx(s).error.is_none());
    }

    #[test]
    fn unterminated_constructs_are_errors_with_position() {
        for (s, what, line, col) in [
            ("select 1;\nselect 'abc", "quoted string", 2, 8),
            ("select $x$ abc $y$", "dollar-quoted", 1, 8),
            ("select 1; /* a /* b */", "block comment", 1, 11),
            ("select \"abc", "quoted identifier", 1, 8),
        ] {
            let e = lx(s).error.unwrap_or_else(|| panic!("no error for {s}"));
            assert!(e.message.contains(what), "{e:?}");
            assert_eq!((e.line, e.col), (line, col), "{s}");
        }
    }

    #[test]
    fn backslash_lines_inside_quotes_are_not_meta_commands() {
        // The chunk ends before the `\d` line; the dollar body spans it.
        let s = "CREATE FUNCTION f() RETURNS text AS $$\n\\d+ is not a command\n$$ LANGUAGE sql;\nselect E'a\n\\'';\n\\echo done\n";
        let l = lx(s);
        assert!(l.error.is_none(), "{:?}", l.error);
        let metas: Vec<&str> = l
            .tokens
            .iter()
            .filter(|t| t.kind == TokKind::PsqlMeta)
            .map(|t| &s[t.start..t.end])
            .collect();
        assert_eq!(metas, ["\\echo done"]);
        let mut pos = 0;
        for t in &l.tokens {
            assert!(t.start >= pos);
            pos = t.end;
        }
    }

    #[test]
    fn postgres_lexemes_that_are_valid() {
        for s in [
            "select E'\\x'; select E'\\400';",
            "select 1_;",
            "select U&'\\0041';",
            "select b'101', x'ff', $1, a$b;",
            "select 'a\\'; select 2;",
        ] {
            assert!(lx(s).error.is_none(), "{s}: {:?}", lx(s).error);
        }
    }
}
