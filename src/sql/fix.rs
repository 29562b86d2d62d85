//! Mechanical fixes for lint findings, as whole-line replacements a reviewer can apply
//! with one click (a GitHub ` ```suggestion ` block). Pure: text in, text out.
//!
//! A fix is offered only when it is safe to apply as written: the fixed file is analysed
//! again with the same configuration and must be free of the finding it fixes, of every
//! other finding of that statement's rules that the fix could cause, and of validation
//! errors. Fixes that need judgment (which table to split, how long a timeout) are not
//! offered: the finding's help says what to do.

use super::analyze::{analyze, analyze_judged, FileAnalysis, Finding};
use super::catalog::Catalog;
use super::config::LintConfig;
use super::split::Statement;
use super::{Severity, SourceFile};

/// One fix: replace lines `start_line..=end_line` of `path` with `replacement`.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// The new text of those lines, without the final newline.
    pub replacement: String,
    pub rule: &'static str,
    /// What the fix does, in a few words.
    pub title: String,
}

/// Fixes for `file`'s findings (`text`: its contents; `cfg` and `catalog`: what it was
/// analysed with), at most one per statement, each verified by analysing the fixed file.
pub fn suggestions(
    file: &FileAnalysis,
    text: &str,
    cfg: &LintConfig,
    catalog: Option<&Catalog>,
) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = Vec::new();
    for finding in &file.findings {
        if finding.severity == Severity::Off {
            continue;
        }
        let Some(stmt) = file.statements.iter().find(|s| {
            s.span.start <= finding.span.start
                && finding.span.start < s.span.end.max(s.span.start + 1)
        }) else {
            continue;
        };
        if out
            .iter()
            .any(|s| s.start_line <= stmt.span.line && stmt.span.line <= s.end_line)
        {
            continue;
        }
        let Some((fixed_stmt, title)) = fix(finding, stmt, text) else {
            continue;
        };
        let fixed_file = format!(
            "{}{}{}",
            &text[..stmt.span.start],
            fixed_stmt,
            &text[stmt.span.end..]
        );
        if !passes(
            file,
            &fixed_file,
            cfg,
            catalog,
            finding.rule,
            stmt.span.line,
        ) {
            continue;
        }
        // Whole lines: from the start of the statement's first line to the end of its last.
        let line_start = text[..stmt.span.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[stmt.span.end..]
            .find('\n')
            .map_or(text.len(), |i| stmt.span.end + i);
        let replacement = format!(
            "{}{}{}",
            &text[line_start..stmt.span.start],
            fixed_stmt,
            &text[stmt.span.end..line_end]
        );
        out.push(Suggestion {
            path: file.path.clone(),
            start_line: stmt.span.line,
            end_line: stmt.span.end_line.max(stmt.span.line),
            replacement: replacement.trim_end_matches('\r').to_string(),
            rule: finding.rule,
            title,
        });
    }
    out
}

/// The fixed file still parses, has no finding of `rule`, and no new finding at or after
/// the fixed statement's line that the original did not have.
fn passes(
    original: &FileAnalysis,
    fixed: &str,
    cfg: &LintConfig,
    catalog: Option<&Catalog>,
    rule: &str,
    line: u32,
) -> bool {
    let files = [SourceFile::new(&original.path, fixed)];
    let again = match catalog {
        Some(c) => analyze_judged(&files, cfg, c),
        None => analyze(&files, cfg),
    };
    let Some(f) = again.files.first() else {
        return false;
    };
    let before = |r: &str| original.findings.iter().filter(|x| x.rule == r).count();
    f.errors.is_empty()
        && f.file_error.is_none()
        && !f
            .findings
            .iter()
            .any(|x| x.rule == rule && x.span.line >= line)
        && f.findings
            .iter()
            .filter(|x| x.severity != Severity::Off)
            .all(|x| before(x.rule) >= f.findings.iter().filter(|y| y.rule == x.rule).count())
}

/// The statement's text with the fix applied, and its title.
fn fix(finding: &Finding, stmt: &Statement, text: &str) -> Option<(String, String)> {
    let sql = &text[stmt.span.start..stmt.span.end];
    match finding.rule {
        "require-concurrent-index-creation" => {
            let at = after_words(sql, &["CREATE", "UNIQUE?", "INDEX"])?;
            Some((
                insert(sql, at, " CONCURRENTLY"),
                "build the index concurrently".into(),
            ))
        }
        "require-concurrent-index-deletion" => {
            let at = after_words(sql, &["DROP", "INDEX"])?;
            Some((
                insert(sql, at, " CONCURRENTLY"),
                "drop the index concurrently".into(),
            ))
        }
        "prefer-robust-stmts" => robust(sql),
        // The first statement that may wait is where the file needs the setting; 5 s is
        // the value the rule's help suggests, a reviewer can change it in the suggestion.
        "require-lock-timeout" => Some((
            format!("SET lock_timeout = '5s';\n{sql}"),
            "set lock_timeout before the first statement that may wait for a lock".into(),
        )),
        _ => None,
    }
}

/// `IF [NOT] EXISTS` where squawk's prefer-robust-stmts wants it.
fn robust(sql: &str) -> Option<(String, String)> {
    let title = |w: &str| format!("add `{w}` so a retried migration does not fail here");
    for (words, add) in [
        (
            &["CREATE", "UNIQUE?", "INDEX", "CONCURRENTLY?"][..],
            " IF NOT EXISTS",
        ),
        (&["CREATE", "TABLE"][..], " IF NOT EXISTS"),
        (&["DROP", "INDEX", "CONCURRENTLY?"][..], " IF EXISTS"),
        (&["DROP", "TABLE"][..], " IF EXISTS"),
    ] {
        if let Some(at) = after_words(sql, words) {
            if word_at(sql, at).eq_ignore_ascii_case("IF") {
                return None;
            }
            return Some((insert(sql, at, add), title(add.trim())));
        }
    }
    // One-action ALTER TABLE: ADD COLUMN / DROP COLUMN / DROP CONSTRAINT.
    let at = after_words(sql, &["ALTER", "TABLE"])?;
    let upper = sql.to_ascii_uppercase();
    if upper.matches(',').count() > 0 {
        return None;
    }
    for (action, add) in [
        ("ADD COLUMN", " IF NOT EXISTS"),
        ("DROP COLUMN", " IF EXISTS"),
        ("DROP CONSTRAINT", " IF EXISTS"),
    ] {
        if let Some(i) = find_words(&upper[at..], action) {
            let after = at + i + action.len();
            if word_at(sql, after).eq_ignore_ascii_case("IF") {
                return None;
            }
            return Some((insert(sql, after, add), title(add.trim())));
        }
    }
    None
}

fn insert(sql: &str, at: usize, what: &str) -> String {
    format!("{}{what}{}", &sql[..at], &sql[at..])
}

/// The byte offset just after `words` at the start of `sql` (a word ending in `?` is
/// optional), skipping whitespace and `--` comments; `None` when they are not there.
fn after_words(sql: &str, words: &[&str]) -> Option<usize> {
    let mut at = 0;
    for w in words {
        let (w, optional) = match w.strip_suffix('?') {
            Some(w) => (w, true),
            None => (*w, false),
        };
        let start = skip_space(sql, at);
        let word = word_at(sql, start);
        if word.eq_ignore_ascii_case(w) {
            at = start + word.len();
        } else if !optional {
            return None;
        }
    }
    Some(at)
}

fn skip_space(sql: &str, mut at: usize) -> usize {
    loop {
        let rest = &sql[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.starts_with("--") {
            at += trimmed.find('\n').unwrap_or(trimmed.len());
        } else {
            return at;
        }
    }
}

/// The identifier-like word starting at (or after whitespace from) `at`.
fn word_at(sql: &str, at: usize) -> &str {
    let start = skip_space(sql, at);
    let rest = &sql[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Where `words` (upper case, single spaces) occur in `upper` as whole words, allowing
/// any whitespace between them.
fn find_words(upper: &str, words: &str) -> Option<usize> {
    let parts: Vec<&str> = words.split(' ').collect();
    let mut from = 0;
    while let Some(i) = upper[from..].find(parts[0]) {
        let start = from + i;
        let boundary = start == 0 || !upper.as_bytes()[start - 1].is_ascii_alphanumeric();
        let mut at = start + parts[0].len();
        let mut ok = boundary;
        for p in &parts[1..] {
            let next = skip_space(upper, at);
            if ok && next > at && upper[next..].starts_with(p) {
                at = next + p.len();
            } else {
                ok = false;
            }
        }
        if ok && !upper[at..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixes(path: &str, sql: &str, cfg: &LintConfig) -> Vec<Suggestion> {
        let a = analyze(&[SourceFile::new(path, sql)], cfg);
        suggestions(&a.files[0], sql, cfg, None)
    }

    #[test]
    fn index_built_concurrently_and_verified() {
        let s = fixes(
            "migrations/2_idx.sql",
            "-- speed up logins\nCREATE INDEX idx ON users (email);\n",
            &LintConfig::default(),
        );
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].start_line, 2);
        assert_eq!(s[0].end_line, 2);
        assert_eq!(
            s[0].replacement,
            "CREATE INDEX CONCURRENTLY idx ON users (email);"
        );
        assert_eq!(s[0].rule, "require-concurrent-index-creation");
        let unique = fixes(
            "migrations/2_idx.sql",
            "create unique index\n  idx on users (email);",
            &LintConfig::default(),
        );
        assert_eq!(
            unique[0].replacement,
            "create unique index CONCURRENTLY\n  idx on users (email);"
        );
        assert_eq!((unique[0].start_line, unique[0].end_line), (1, 2));
    }

    #[test]
    fn no_fix_when_the_fixed_file_would_still_fail() {
        // Inside an explicit transaction block CONCURRENTLY cannot run: the fix would trade
        // one finding for an error, so none is offered.
        let s = fixes(
            "migrations/2_idx.sql",
            "BEGIN;\nCREATE INDEX idx ON users (email);\nCOMMIT;\n",
            &LintConfig::default(),
        );
        assert!(
            s.iter()
                .all(|x| x.rule != "require-concurrent-index-creation"),
            "{s:?}"
        );
    }

    #[test]
    fn robust_statements() {
        let cfg = LintConfig::only("prefer-robust-stmts");
        for (sql, want) in [
            (
                "CREATE TABLE t (a int);",
                "CREATE TABLE IF NOT EXISTS t (a int);",
            ),
            (
                "ALTER TABLE users ADD COLUMN c int;",
                "ALTER TABLE users ADD COLUMN IF NOT EXISTS c int;",
            ),
            (
                "ALTER TABLE users DROP CONSTRAINT c;",
                "ALTER TABLE users DROP CONSTRAINT IF EXISTS c;",
            ),
        ] {
            let s = fixes("migrations/1.sql", sql, &cfg);
            assert!(s.iter().all(|x| x.replacement == want), "{sql}: {s:?}");
        }
        assert_eq!(
            find_words("ALTER TABLE T ADD  COLUMN X", "ADD COLUMN"),
            Some(14)
        );
        assert_eq!(
            find_words("ALTER TABLE T PADD COLUMN X", "ADD COLUMN"),
            None
        );
    }
}
