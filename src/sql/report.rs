//! One data model ([`Analysis`]), three renderings: GitHub workflow-command
//! annotations, Markdown (PR comment / job summary), JSON (action output).
//!
//! Everything user-controlled (SQL, comments, paths, messages quoting them)
//! is rendered inertly: annotation properties and data use the toolkit's
//! escaping, Markdown cells escape HTML and Markdown syntax (and `@`, so a
//! comment in SQL cannot mention people), and SQL goes in code fences longer
//! than any backtick run inside it.

use std::fmt::Write;

use super::analyze::{Analysis, FileAnalysis};
use super::lint::Severity;
use super::Span;

/// Escaping of `::command` data (actions/toolkit `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of `::command key=value` properties (toolkit `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn annotation(level: &str, path: &str, span: Option<&Span>, title: &str, msg: &str) -> String {
    let mut props = format!("file={}", escape_property(path));
    if let Some(s) = span {
        let _ = write!(
            props,
            ",line={},col={},endLine={}",
            s.line,
            s.col,
            s.end_line.max(s.line)
        );
    }
    let _ = write!(props, ",title={}", escape_property(title));
    format!("::{level} {props}::{}", escape_data(msg))
}

/// GitHub annotations, one workflow command per string.
pub fn annotations(a: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    for f in &a.files {
        if let Some(e) = &f.file_error {
            out.push(annotation(
                "error",
                &f.path,
                None,
                "sql-file",
                &e.to_string(),
            ));
        }
        for e in &f.errors {
            let span = Span {
                start: e.offset,
                end: e.offset,
                line: e.line,
                col: e.col,
                end_line: e.line,
                end_col: e.col,
            };
            out.push(annotation(
                "error",
                &f.path,
                Some(&span),
                "sql-syntax",
                &e.message,
            ));
        }
        for x in &f.findings {
            let level = match x.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Off => continue,
            };
            let msg = format!("{}\nWhy: {}\nFix: {}", x.message, x.why, x.help);
            out.push(annotation(level, &f.path, Some(&x.span), x.rule, &msg));
        }
    }
    out
}

/// The whole analysis as JSON.
pub fn json(a: &Analysis) -> String {
    serde_json::to_string(a).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[derive(Debug, Clone)]
pub struct MarkdownOptions {
    /// Where docs/lint-rules.md is published; rule ids link to `#rule-id`.
    pub docs_url: String,
    /// Lists longer than this are folded in `<details>`.
    pub fold_after: usize,
    /// Heading of the section.
    pub title: String,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            docs_url: "https://github.com/neon-gitops/neon-gitops/blob/main/docs/lint-rules.md"
                .into(),
            fold_after: 10,
            title: "SQL analysis".into(),
        }
    }
}

/// Escape untrusted text for a Markdown table cell (one line, no HTML, no
/// Markdown syntax, no mentions).
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '@' => out.push_str("&#64;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '\\' | '*' | '_' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A fenced code block that no content can close early.
pub fn fence(lang: &str, code: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in code.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let f = "`".repeat(longest.max(2) + 1);
    format!("{f}{lang}\n{}\n{f}\n", code.trim_end_matches(['\n', '\r']))
}

/// At most `max` bytes of `s`, cut at a char boundary, with an ellipsis.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n…", &s[..end])
}

fn fold(out: &mut String, summary: &str, rows: &str, count: usize, opts: &MarkdownOptions) {
    if count > opts.fold_after {
        let _ = write!(
            out,
            "<details><summary>{summary}</summary>\n\n{rows}\n</details>\n\n"
        );
    } else {
        let _ = writeln!(out, "{rows}");
    }
}

fn location(f: &FileAnalysis, line: u32) -> String {
    format!("{}:{line}", cell(&f.path))
}

/// The Markdown section for a PR comment or the job summary.
pub fn markdown(a: &Analysis, opts: &MarkdownOptions) -> String {
    let t = &a.totals;
    let mut out = format!("### {}\n\n", cell(&opts.title));
    // Plain counts: errors are errors, whether the SQL is invalid or a rule says so.
    let errors = t.errors + t.error_findings;
    let _ = writeln!(
        out,
        "{} file{}, {} statement{}: {} error{}, {} warning{}{}\n",
        t.files,
        plural(t.files),
        t.statements,
        plural(t.statements),
        errors,
        plural(errors),
        t.warning_findings,
        plural(t.warning_findings),
        if t.not_analysed > 0 {
            format!(
                " ({} statement{} the parser does not know, checked by the safety rules anyway)",
                t.not_analysed,
                plural(t.not_analysed)
            )
        } else {
            String::new()
        }
    );

    // Validation and file errors: never folded, they block.
    let mut rows = String::new();
    let mut n = 0;
    for f in &a.files {
        if let Some(e) = &f.file_error {
            let _ = writeln!(rows, "| {} | {} |", cell(&f.path), cell(&e.to_string()));
            n += 1;
        }
        for e in &f.errors {
            let _ = writeln!(rows, "| {} | {} |", location(f, e.line), cell(&e.message));
            n += 1;
        }
    }
    if n > 0 {
        let _ = write!(out, "#### ❌ Errors (Postgres would reject these files)\n\n| Location | Problem |\n|---|---|\n{rows}\n");
    }

    let mut rows = String::new();
    let mut n = 0;
    for f in &a.files {
        for x in &f.findings {
            let icon = if x.severity == Severity::Error {
                "🔴 error"
            } else {
                "🟡 warning"
            };
            let _ = writeln!(
                rows,
                "| {icon} | [{}]({}#{}) | {} | {} |",
                x.rule,
                opts.docs_url,
                x.rule,
                location(f, x.span.line),
                cell(&x.message)
            );
            n += 1;
        }
    }
    if n > 0 {
        let table = format!("| | Rule | Location | Finding |\n|---|---|---|---|\n{rows}");
        out.push_str("#### Findings\n\n");
        fold(
            &mut out,
            &format!("{n} finding{}", plural(n)),
            &table,
            n,
            opts,
        );
    } else if t.errors == 0 {
        out.push_str("No findings.\n\n");
    }

    // Execution plans (what migrate mode will do with each file).
    let mut rows = String::new();
    for f in &a.files {
        let plan = match f.plan {
            Some(p) => serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            None => "—".into(),
        };
        let psql = if f.needs_psql {
            " (psql meta-commands)"
        } else {
            ""
        };
        let fmt = serde_json::to_value(f.format)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let _ = writeln!(
            rows,
            "| {} | {fmt} | {plan}{psql} | {}/{} |",
            cell(&f.path),
            f.parsed_count,
            f.statement_count
        );
    }
    if !a.files.is_empty() {
        let table =
            format!("| File | Format | Plan | Parsed/statements |\n|---|---|---|---|\n{rows}");
        let _ = write!(
            out,
            "<details><summary>Execution plan per file</summary>\n\n{table}\n</details>\n\n"
        );
    }

    // Statements the parser could not read: listed, folded.
    if t.not_analysed > 0 {
        let mut body = String::new();
        for f in &a.files {
            for s in &f.not_analysed {
                let text = f
                    .statements
                    .iter()
                    .find(|st| st.span.start == s.start)
                    .map_or("", |st| st.text.as_str());
                let _ = write!(
                    body,
                    "{}\n\n{}\n",
                    location(f, s.line),
                    fence("sql", &truncate(text, 400))
                );
            }
        }
        let _ = write!(
            out,
            "<details><summary>{} statement{} not analysed by the parser (valid SQL it does not know; safety rules still ran on tokens)</summary>\n\n{body}</details>\n",
            t.not_analysed,
            plural(t.not_analysed)
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{analyze, LintConfig, SourceFile};

    fn run(path: &str, sql: &str) -> Analysis {
        analyze(&[SourceFile::new(path, sql)], &LintConfig::default())
    }

    #[test]
    fn annotations_escape_like_the_toolkit() {
        let a = run("m/a,b:c.sql", "DROP TABLE users;\n");
        let ann = annotations(&a);
        assert_eq!(ann.len(), 1);
        assert!(
            ann[0].starts_with(
                "::warning file=m/a%2Cb%3Ac.sql,line=1,col=1,endLine=1,title=ban-drop-table::"
            ),
            "{}",
            ann[0]
        );
        assert!(ann[0].contains("%0AWhy: "));
        let e = annotations(&run("x.sql", "select 'oops"));
        assert!(
            e[0].starts_with("::error file=x.sql,line=1,col=8,endLine=1,title=sql-syntax::"),
            "{e:?}"
        );
    }

    #[test]
    fn markdown_is_inert() {
        assert_eq!(
            cell("a|b<i>`x`@me\n[l](u)"),
            "a&#124;b&lt;i&gt;&#96;x&#96;&#64;me<br>&#91;l&#93;(u)"
        );
        assert_eq!(
            fence("sql", "select '```'"),
            "````sql\nselect '```'\n````\n"
        );
        let a = run(
            "<b>.sql",
            "DO $$ begin raise notice '``` @x'; end $$;\nDROP TABLE t;",
        );
        let md = markdown(&a, &MarkdownOptions::default());
        assert!(md.contains("&lt;b&gt;.sql:2"), "{md}");
        assert!(!md.contains("<b>"));
        assert!(md.contains("[ban-drop-table]("));
    }

    #[test]
    fn long_lists_fold() {
        let sql = "DROP TABLE a;\n".repeat(12);
        let md = markdown(&run("m.sql", &sql), &MarkdownOptions::default());
        assert!(
            md.contains("<details><summary>12 findings</summary>"),
            "{md}"
        );
    }

    #[test]
    fn json_round_trips() {
        let v: serde_json::Value =
            serde_json::from_str(&json(&run("m.sql", "DROP TABLE a;"))).unwrap();
        assert_eq!(v["files"][0]["findings"][0]["rule"], "ban-drop-table");
        assert_eq!(v["files"][0]["plan"], "wrap-in-transaction");
    }
}
