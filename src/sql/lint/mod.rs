//! The migration safety linter: one rule per file under `rules/`, each with
//! its id, default severity, one-line why, help, check and tests.
//!
//! Rules read statements through [`View`] (tokens), so they behave the same
//! when sqlparser could not parse a statement: the safety rules keep working
//! on exactly the statements (`DROP INDEX`, `REINDEX`, …) it rejects.

pub mod alter;
pub mod rules;
pub mod types;
pub mod volatility;

use serde::Serialize;

use super::catalog::Catalog;
use super::context::Target;
use super::format::{MigrationFormat, TxDeclaration};
use super::transaction::TxAnalysis;
use super::words::View;
use super::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Off,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "off" | "none" | "ignore" => Some(Severity::Off),
            _ => None,
        }
    }
}

/// What a rule sees of one SQL statement.
pub struct StmtInfo<'a> {
    /// Index among the file's SQL statements.
    pub index: usize,
    pub view: View<'a>,
    /// The table it acts on and whether this run created it.
    pub target: Target,
    /// Runs inside a transaction block (the file's own or the runner's).
    pub in_tx: bool,
    pub span: Span,
    /// The database's catalog, when the caller could ask one (preview's branch).
    pub catalog: Option<&'a Catalog>,
}

/// What a file-level rule sees.
pub struct FileCtx<'a> {
    pub stmts: &'a [StmtInfo<'a>],
    pub tx: &'a TxAnalysis,
    pub format: MigrationFormat,
    pub decl: TxDeclaration,
}

/// One rule violation, before severity and ignores are applied.
#[derive(Debug, Clone)]
pub struct Hit {
    pub stmt: usize,
    /// The precise place; the statement's span when `None`.
    pub span: Option<Span>,
    pub message: String,
}

pub enum Check {
    Stmt(fn(&StmtInfo, &mut Vec<Hit>)),
    File(fn(&FileCtx, &mut Vec<Hit>)),
}

pub struct Rule {
    pub id: &'static str,
    pub default: Severity,
    /// One line: why this is dangerous.
    pub why: &'static str,
    /// One line: what to do instead.
    pub help: &'static str,
    pub check: Check,
}

/// Every rule, in documentation order.
pub fn all() -> &'static [&'static Rule] {
    rules::ALL
}

pub fn find(id: &str) -> Option<&'static Rule> {
    all().iter().copied().find(|r| r.id == id)
}

/// Run the enabled rules over a file.
pub fn run(file: &FileCtx, enabled: impl Fn(&Rule) -> bool, out: &mut Vec<(&'static Rule, Hit)>) {
    let mut hits = Vec::new();
    for rule in all().iter().copied().filter(|r| enabled(r)) {
        match rule.check {
            Check::Stmt(f) => file.stmts.iter().for_each(|s| f(s, &mut hits)),
            Check::File(f) => f(file, &mut hits),
        }
        out.extend(hits.drain(..).map(|h| (rule, h)));
    }
}

/// Helpers for the rules' own tests: run the whole engine on a snippet with
/// only the rule under test enabled.
#[cfg(test)]
pub mod testing {
    use super::Rule;
    use crate::sql::{analyze, LintConfig, SourceFile};

    pub fn findings_at(rule: &Rule, path: &str, sql: &str) -> Vec<String> {
        findings_cfg(rule, &LintConfig::only(rule.id), path, sql)
    }

    pub fn findings_cfg(rule: &Rule, cfg: &LintConfig, path: &str, sql: &str) -> Vec<String> {
        let a = analyze(&[SourceFile::new(path, sql)], cfg);
        let f = &a.files[0];
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        f.findings
            .iter()
            .filter(|x| x.rule == rule.id)
            .map(|x| x.message.clone())
            .collect()
    }

    pub fn findings(rule: &Rule, sql: &str) -> Vec<String> {
        findings_at(rule, "migrations/1.sql", sql)
    }

    #[track_caller]
    pub fn fires(rule: &Rule, sql: &str) {
        assert!(
            !findings(rule, sql).is_empty(),
            "{} should fire on: {sql}",
            rule.id
        );
    }

    #[track_caller]
    pub fn quiet(rule: &Rule, sql: &str) {
        let f = findings(rule, sql);
        assert!(f.is_empty(), "{} should not fire on: {sql}\n{f:?}", rule.id);
    }
}

#[cfg(test)]
mod docs_tests {
    /// Every rule has a doc section the reports can link to.
    #[test]
    fn every_rule_is_documented() {
        let docs = include_str!("../../../docs/lint-rules.md");
        for r in super::all() {
            assert!(
                docs.contains(&format!("\n### {}\n", r.id)),
                "docs/lint-rules.md lacks ### {}",
                r.id
            );
            assert!(
                docs.contains(r.why),
                "docs/lint-rules.md: stale why for {}",
                r.id
            );
        }
    }
}
