//! The TOML subset `.squawk.toml` uses, read by hand: squawk's configuration
//! is a handful of keys (strings, booleans, arrays of strings, one table), and
//! a TOML crate with serde would add its size to the wasm every runner
//! downloads for that. Anything outside the subset is an error with its line,
//! never a silent misreading.
//!
//! Supported: `# comments`, bare or quoted keys, `[table]` headers, basic
//! (`"…"` with escapes) and literal (`'…'`) strings, booleans, numbers (kept
//! as text), arrays (over several lines, trailing comma) and inline tables.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    /// Integers, floats and dates, as written (nothing here needs their value).
    Other(String),
    Array(Vec<Value>),
    Table(Vec<(String, Value)>),
}

/// One `key = value`, with the `[table]` it is under and its 1-based line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub table: Option<String>,
    pub key: String,
    pub value: Value,
    pub line: u32,
}

/// A problem and the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError {
    pub line: u32,
    pub message: String,
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    line: u32,
}

type R<T> = Result<T, TomlError>;

impl P<'_> {
    fn err<T>(&self, message: impl Into<String>) -> R<T> {
        Err(TomlError {
            line: self.line,
            message: message.into(),
        })
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }
    /// Spaces and tabs on this line.
    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    /// Blanks, new lines and comments (between array items, between entries).
    fn gaps(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump();
                }
                Some(b'#') => self.comment(),
                _ => return,
            }
        }
    }
    fn comment(&mut self) {
        while !matches!(self.peek(), None | Some(b'\n')) {
            self.i += 1;
        }
    }
    /// After a header or a value: only blanks and a comment before the line ends.
    fn end_of_line(&mut self, after: &str) -> R<()> {
        self.blanks();
        if self.peek() == Some(b'#') {
            self.comment();
        }
        if self.peek() == Some(b'\r') {
            self.i += 1;
        }
        match self.peek() {
            None | Some(b'\n') => Ok(()),
            Some(_) => self.err(format!(
                "unexpected text after {after}; put one `key = value` per line"
            )),
        }
    }

    fn key(&mut self) -> R<String> {
        match self.peek() {
            Some(b'"') => self.basic_string(),
            Some(b'\'') => self.literal_string(),
            _ => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                {
                    self.i += 1;
                }
                if start == self.i {
                    return self.err("expected a key (`name = value`)");
                }
                let key = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.blanks();
                if self.peek() == Some(b'.') {
                    return self.err(format!(
                        "dotted keys (`{key}.…`) are not supported here: use a `[{key}]` table"
                    ));
                }
                Ok(key)
            }
        }
    }

    fn basic_string(&mut self) -> R<String> {
        self.i += 1;
        if self.s[self.i..].starts_with(b"\"\"") {
            return self.err("multi-line strings (`\"\"\"`) are not supported here");
        }
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => return self.err("unterminated string: add the closing `\"`"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().unwrap_or(b'\n');
                    self.i += 1;
                    match c {
                        b'"' | b'\\' | b'/' => out.push(c),
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' | b'U' => {
                            let n = if c == b'u' { 4 } else { 8 };
                            let hex = self.s.get(self.i..self.i + n).unwrap_or(b"");
                            let ch = std::str::from_utf8(hex)
                                .ok()
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32);
                            let Some(ch) = ch else {
                                return self.err("invalid \\u escape in a string");
                            };
                            self.i += n;
                            out.extend(ch.to_string().as_bytes());
                        }
                        _ => {
                            return self.err(format!(
                                "invalid escape `\\{}` in a string (use '…' for backslashes)",
                                c as char
                            ))
                        }
                    }
                }
                Some(c) => {
                    self.i += 1;
                    out.push(c);
                }
            }
        }
    }

    fn literal_string(&mut self) -> R<String> {
        self.i += 1;
        let start = self.i;
        loop {
            match self.peek() {
                None | Some(b'\n') => return self.err("unterminated string: add the closing `'`"),
                Some(b'\'') => {
                    let s = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                    self.i += 1;
                    return Ok(s);
                }
                Some(_) => self.i += 1,
            }
        }
    }

    fn value(&mut self) -> R<Value> {
        match self.peek() {
            Some(b'"') => self.basic_string().map(Value::Str),
            Some(b'\'') => self.literal_string().map(Value::Str),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.gaps();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        return Ok(Value::Array(items));
                    }
                    items.push(self.value()?);
                    self.gaps();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {}
                        None => return self.err("unterminated array: add the closing `]`"),
                        Some(_) => return self.err("expected `,` or `]` in an array"),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                loop {
                    self.blanks();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        return Ok(Value::Table(fields));
                    }
                    let k = self.key()?;
                    self.blanks();
                    if self.peek() != Some(b'=') {
                        return self.err(format!("expected `=` after `{k}`"));
                    }
                    self.i += 1;
                    self.blanks();
                    fields.push((k, self.value()?));
                    self.blanks();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        _ => return self.err("expected `,` or `}` in an inline table"),
                    }
                }
            }
            _ => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || b"+-_.:".contains(&c))
                {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"true" => Ok(Value::Bool(true)),
                    b"false" => Ok(Value::Bool(false)),
                    w if !w.is_empty() && (w[0].is_ascii_digit() || b"+-".contains(&w[0])) => {
                        Ok(Value::Other(String::from_utf8_lossy(w).into_owned()))
                    }
                    _ => self
                        .err("expected a value: a \"string\", true/false, a number or [an, array]"),
                }
            }
        }
    }
}

/// Every `key = value` of the document, in order. A key given twice is an
/// error, as in TOML.
pub fn parse(text: &str) -> Result<Vec<Entry>, TomlError> {
    let mut p = P {
        s: text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes(),
        i: 0,
        line: 1,
    };
    let mut out: Vec<Entry> = Vec::new();
    let mut table: Option<String> = None;
    loop {
        p.gaps();
        let Some(c) = p.peek() else {
            return Ok(out);
        };
        let line = p.line;
        if c == b'[' {
            p.i += 1;
            if p.peek() == Some(b'[') {
                return p.err("arrays of tables (`[[…]]`) are not supported here");
            }
            p.blanks();
            let name = p.key()?;
            p.blanks();
            if p.peek() != Some(b']') {
                return p.err("expected `]` to close the table header");
            }
            p.i += 1;
            p.end_of_line("the table header")?;
            table = Some(name);
            continue;
        }
        let key = p.key()?;
        p.blanks();
        if p.peek() != Some(b'=') {
            return p.err(format!("expected `=` after `{key}`"));
        }
        p.i += 1;
        p.blanks();
        let value = p.value()?;
        p.end_of_line("the value")?;
        if out.iter().any(|e| e.table == table && e.key == key) {
            return Err(TomlError {
                line,
                message: format!("`{key}` is set twice"),
            });
        }
        out.push(Entry {
            table: table.clone(),
            key,
            value,
            line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_squawks_documented_example() {
        let doc = "# .squawk.toml\npg_version = \"11.0\"\nexcluded_rules = [\n    \"require-concurrent-index-creation\",\n    'require-concurrent-index-deletion', # why\n]\nassume_in_transaction = true\n[upload_to_github]\nfail_on_violations = true\n";
        let e = parse(doc).unwrap();
        assert_eq!(e[0].key, "pg_version");
        assert_eq!(e[0].value, Value::Str("11.0".into()));
        assert_eq!(e[1].line, 3);
        assert_eq!(
            e[1].value,
            Value::Array(vec![
                Value::Str("require-concurrent-index-creation".into()),
                Value::Str("require-concurrent-index-deletion".into()),
            ])
        );
        assert_eq!(e[2].value, Value::Bool(true));
        assert_eq!(e[3].table.as_deref(), Some("upload_to_github"));
        assert_eq!(e[3].line, 9);
        let t = parse("t = { a = 1, b = \"x\\u00e9\" }\r\nn = -1.5\n").unwrap();
        assert_eq!(
            t[0].value,
            Value::Table(vec![
                ("a".into(), Value::Other("1".into())),
                ("b".into(), Value::Str("xé".into()))
            ])
        );
    }

    #[test]
    fn errors_have_lines() {
        for (doc, line, says) in [
            ("a = 1\nexcluded_rules = [\"x\"", 2, "unterminated array"),
            ("a = \"x", 1, "unterminated string"),
            ("\n\nrules = yes", 3, "expected a value"),
            ("a = 1 b = 2", 1, "unexpected text"),
            ("a = 1\na = 2", 2, "set twice"),
            ("a.b = 1", 1, "dotted keys"),
            ("[[x]]", 1, "arrays of tables"),
            ("x", 1, "expected `=`"),
            ("a = [\"x\" \"y\"]", 1, "expected `,`"),
        ] {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.line, line, "{doc}: {e:?}");
            assert!(e.message.contains(says), "{doc}: {e:?}");
        }
    }
}
