//! Inline ignore directives in SQL comments:
//!
//! - `-- neon-gitops-ignore: rule-id[, rule-id…]` ignores those rules for the
//!   next statement;
//! - `-- neon-gitops-ignore-file: rule-id[, …]` for the whole file.
//!
//! Anything after the ids (a reason) is allowed: `-- neon-gitops-ignore:
//! ban-drop-column dropped in v2 by agreement`. A directive that suppresses
//! nothing is reported, so stale ignores do not pile up.
//!
//! squawk's own directives are honoured with squawk's syntax and placement
//! (its `ignore.rs` / `ignore_index.rs`), so a squawk user's files keep
//! meaning what they meant:
//!
//! - `-- squawk-ignore a, b` covers findings on the comment's line and the
//!   next one. Findings here belong to statements, so it covers the
//!   statements on those lines (the one after the comment, or the one the
//!   comment trails or sits inside).
//! - `-- squawk-ignore-file [a, b]` the whole file; without ids, every rule.
//! - Ids are comma-separated; a reason goes after a second `--`
//!   (`-- squawk-ignore ban-drop-column -- agreed in #12`).

use super::lexer::Tok;
use super::split::{comment_body, Statement};
use super::{squawk, Span};

const STMT: &str = "neon-gitops-ignore:";
const FILE: &str = "neon-gitops-ignore-file:";
const SQUAWK_STMT: &str = "squawk-ignore";
const SQUAWK_FILE: &str = "squawk-ignore-file";
const SQUAWK_NO_TX: &str = "squawk-disable-assume-in-transaction";

#[derive(Debug, Clone)]
pub struct Directive {
    /// The ids as written (a squawk id may stand for one of ours).
    pub ids: Vec<String>,
    pub span: Span,
    /// The statements (indices into the file's statements) it applies to, or
    /// `None` for a file-wide directive.
    pub stmts: Option<Vec<usize>>,
    /// `squawk-ignore-file` without ids: every rule.
    pub all: bool,
    /// Per id (or, for `all`, the one entry): did it suppress something?
    pub used: Vec<bool>,
    /// The marker as written, for messages (`squawk-ignore`, …).
    pub marker: &'static str,
}

impl Directive {
    /// Does this directive cover `rule` on statement `stmt`? Marks it used.
    pub fn covers(&mut self, rule: &str, stmt: usize) -> bool {
        if self.stmts.as_ref().is_some_and(|s| !s.contains(&stmt)) {
            return false;
        }
        if self.all {
            self.used[0] = true;
            return true;
        }
        match self.ids.iter().position(|i| squawk::names(i, rule)) {
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

/// squawk's id list: the text before a `--` reason, split on commas, each
/// piece trimmed (a piece with spaces in it is one unknown name, as squawk
/// reports it).
fn squawk_ids(rest: &str) -> Vec<String> {
    let rest = rest.find("--").map_or(rest, |i| &rest[..i]);
    rest.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[derive(Debug, PartialEq)]
enum Kind {
    Stmt,
    File,
    SquawkStmt,
    SquawkFile,
}

fn strip_lead(body: &str) -> &str {
    body.trim_start_matches(|c: char| c.is_whitespace() || c == '*' || c == '-')
}

fn directive_in(body: &str) -> Option<(Kind, &str)> {
    let b = strip_lead(body);
    if let Some(r) = b.strip_prefix(FILE) {
        return Some((Kind::File, r));
    }
    if let Some(r) = b.strip_prefix(STMT) {
        return Some((Kind::Stmt, r));
    }
    // The squawk markers must end at a space or the comment's end, so
    // `squawk-ignore-file` is not read as `squawk-ignore` with id `-file`.
    let word = |m: &str| {
        b.strip_prefix(m)
            .filter(|r| r.is_empty() || r.starts_with(char::is_whitespace))
    };
    if let Some(r) = word(SQUAWK_FILE) {
        return Some((Kind::SquawkFile, r));
    }
    word(SQUAWK_STMT).map(|r| (Kind::SquawkStmt, r))
}

/// Does the file opt out of `.squawk.toml`'s `assume_in_transaction`?
pub fn disables_assume_in_transaction(toks: &[Tok]) -> bool {
    toks.iter().filter(|t| t.is_comment()).any(|t| {
        let b = strip_lead(comment_body(&t.token));
        let b = b.find("--").map_or(b, |i| &b[..i]);
        b.trim().trim_end_matches("*/").trim() == SQUAWK_NO_TX
    })
}

/// Collect directives: file-wide and squawk ones from every comment token,
/// our statement ones from each statement's leading comments.
pub fn collect(toks: &[Tok], stmts: &[Statement]) -> Vec<Directive> {
    let mut out = Vec::new();
    let directive = |ids: Vec<String>, all, span, stmts, marker| Directive {
        used: vec![false; if all { 1 } else { ids.len() }],
        ids,
        span,
        stmts,
        all,
        marker,
    };
    for t in toks.iter().filter(|t| t.is_comment()) {
        let body = comment_body(&t.token);
        let body = body.trim_end().strip_suffix("*/").unwrap_or(body);
        let span = Span::of_tok(t);
        match directive_in(body) {
            Some((Kind::File, rest)) => out.push(directive(ids(rest), false, span, None, FILE)),
            Some((Kind::SquawkFile, rest)) => {
                let ids = squawk_ids(rest);
                out.push(directive(
                    ids.clone(),
                    ids.is_empty(),
                    span,
                    None,
                    SQUAWK_FILE,
                ));
            }
            Some((Kind::SquawkStmt, rest)) => {
                let line = t.line;
                let on: Vec<usize> = (0..stmts.len())
                    .filter(|&i| stmts[i].span.line <= line + 1 && stmts[i].span.end_line >= line)
                    .collect();
                out.push(directive(
                    squawk_ids(rest),
                    false,
                    span,
                    Some(on),
                    SQUAWK_STMT,
                ));
            }
            _ => {}
        }
    }
    for (i, s) in stmts.iter().enumerate() {
        for c in &s.leading_comments {
            if let Some((Kind::Stmt, rest)) = directive_in(&c.text) {
                out.push(directive(ids(rest), false, c.span, Some(vec![i]), STMT));
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
            Some((Kind::File, " x"))
        );
        assert_eq!(
            directive_in("* neon-gitops-ignore: x"),
            Some((Kind::Stmt, " x"))
        );
        assert_eq!(directive_in(" plain comment"), None);
    }

    #[test]
    fn parses_squawk_syntax() {
        assert_eq!(
            directive_in(" squawk-ignore ban-drop-column, renaming-column,ban-drop-database"),
            Some((
                Kind::SquawkStmt,
                " ban-drop-column, renaming-column,ban-drop-database"
            ))
        );
        assert_eq!(
            directive_in(" squawk-ignore-file"),
            Some((Kind::SquawkFile, ""))
        );
        assert_eq!(directive_in(" squawk-ignored"), None);
        assert_eq!(squawk_ids(" a,b , c -- because, reasons"), ["a", "b", "c"]);
        // squawk reads this as one (unknown) name, and so do we.
        assert_eq!(squawk_ids(" a b"), ["a b"]);
    }
}

/// squawk's directives through the whole engine, as a squawk user's files
/// would meet them.
#[cfg(test)]
mod squawk_tests {
    use crate::sql::{analyze, Analysis, LintConfig, SourceFile};

    fn run(sql: &str, cfg: &LintConfig) -> Analysis {
        let f = SourceFile {
            path: "migrations/1.sql".into(),
            bytes: sql.into(),
            metadata: None,
            format: None,
        };
        analyze(&[f], cfg)
    }

    /// (rule, message) of every finding, with the default config.
    fn found(sql: &str) -> Vec<(&'static str, String)> {
        run(sql, &LintConfig::default()).files[0]
            .findings
            .iter()
            .map(|f| (f.rule, f.message.clone()))
            .collect()
    }

    fn rules(sql: &str) -> Vec<&'static str> {
        found(sql).into_iter().map(|f| f.0).collect()
    }

    #[test]
    fn statement_ignores_cover_the_next_line() {
        assert!(!rules("-- squawk-ignore ban-drop-table\nDROP TABLE users;")
            .contains(&"ban-drop-table"));
        // Several comments before, a reason after `--`, C-style comments.
        let r = rules("-- a\n-- squawk-ignore ban-drop-table, ban-drop-column -- agreed\nDROP TABLE users;\n/* squawk-ignore ban-drop-column */\nALTER TABLE t DROP COLUMN c;");
        assert!(
            !r.contains(&"ban-drop-table") && !r.contains(&"ban-drop-column"),
            "{r:?}"
        );
        // Same line (trailing) and inside a statement count, as in squawk.
        assert!(
            !rules("DROP TABLE users; -- squawk-ignore ban-drop-table").contains(&"ban-drop-table")
        );
        assert!(
            !rules("ALTER TABLE t\n-- squawk-ignore ban-drop-column\nDROP COLUMN c;")
                .contains(&"ban-drop-column")
        );
        // Only the next statement; a blank line in between breaks the link.
        let r = rules("-- squawk-ignore ban-drop-table\nDROP TABLE a;\nDROP TABLE b;");
        assert_eq!(
            r.iter().filter(|r| **r == "ban-drop-table").count(),
            1,
            "{r:?}"
        );
        let r = rules("-- squawk-ignore ban-drop-table\n\nDROP TABLE a;");
        assert!(
            r.contains(&"ban-drop-table") && r.contains(&"unused-ignore"),
            "{r:?}"
        );
    }

    #[test]
    fn file_ignores_with_and_without_ids() {
        let sql = "DROP TABLE a;\n-- squawk-ignore-file ban-drop-table\nDROP TABLE b;";
        assert!(!rules(sql).contains(&"ban-drop-table"));
        let sql = "-- squawk-ignore-file\nDROP TABLE a;\nALTER TABLE t DROP COLUMN c;";
        assert!(found(sql).is_empty(), "{:?}", found(sql));
        let unused = found("-- squawk-ignore-file\nSELECT 1;");
        assert_eq!(unused.len(), 1, "{unused:?}");
        assert!(unused[0]
            .1
            .contains("`squawk-ignore-file` matched no finding"));
    }

    #[test]
    fn unused_and_unknown_are_reported_like_ours() {
        let ours = found("-- neon-gitops-ignore: ban-drop-table\nSELECT 1;");
        let theirs = found("-- squawk-ignore ban-drop-table\nSELECT 1;");
        assert_eq!(ours, theirs);
        assert_eq!(theirs[0].0, "unused-ignore");
        let f = found("-- squawk-ignore ban-drop-colum\nSELECT 1;");
        assert!(
            f[0].1.contains("`ban-drop-colum` is not a rule id"),
            "{f:?}"
        );
        if crate::sql::lint::find("prefer-repack").is_none() {
            let f = found("-- squawk-ignore prefer-repack\nSELECT 1;");
            assert!(
                f[0].1.contains("squawk rule neon-gitops does not have"),
                "{f:?}"
            );
        }
        let f = found("-- squawk-ignore\nSELECT 1;");
        assert!(f[0].1.contains("names no rule"), "{f:?}");
    }

    #[test]
    fn squawk_ids_cover_our_rules() {
        let sql = "-- squawk-ignore adding-not-nullable-field\nALTER TABLE t ALTER COLUMN c SET NOT NULL;";
        assert!(!rules(sql).contains(&"setting-not-null-on-existing-column"));
        let sql = "-- neon-gitops-ignore: adding-not-nullable-field\nALTER TABLE t ALTER COLUMN c SET NOT NULL;";
        assert!(!rules(sql).contains(&"setting-not-null-on-existing-column"));
    }

    #[test]
    fn assume_in_transaction_and_the_file_opt_out() {
        use crate::sql::ExecutionPlan;
        let cfg = LintConfig {
            assume_in_transaction: true,
            ..LintConfig::default()
        };
        let sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);";
        let plain = run(sql, &LintConfig::default());
        assert_eq!(
            plain.files[0].plan,
            Some(ExecutionPlan::StatementByStatement)
        );
        let a = run(sql, &cfg);
        assert_eq!(a.files[0].plan, Some(ExecutionPlan::WrapInTransaction));
        assert!(a.files[0]
            .findings
            .iter()
            .any(|f| f.rule == "ban-concurrent-index-in-transaction"));
        let opted_out = format!("-- squawk-disable-assume-in-transaction\n{sql}");
        let a = run(&opted_out, &cfg);
        assert_eq!(a.files[0].plan, Some(ExecutionPlan::StatementByStatement));
    }
}
