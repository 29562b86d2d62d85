//! The pipeline for one run: per file, bytes → format → UP section → tokens
//! → statements → parse → transaction plan → lint (with the run's context
//! of new objects) → ignores. Pure: no I/O, no clock.

use serde::Serialize;

use super::catalog::Catalog;
use super::config::LintConfig;
use super::context::Context;
use super::error::{FileError, SqlError};
use super::format::{self, MigrationFormat, TxDeclaration};
use super::lexer;
use super::lint::{self, FileCtx, Hit, Rule, Severity, StmtInfo};
use super::split::{self, Statement, StatementKind};
use super::transaction::{self, ExecutionPlan};
use super::words::View;
use super::{ignore, parse, squawk, Span};

/// One input file; the caller reads it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SourceFile {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    pub bytes: Vec<u8>,
    /// Diesel's `metadata.toml` next to `up.sql`, when there is one.
    pub metadata: Option<String>,
    /// The tool, when the caller knows it from more than the file (an Atlas directory is
    /// recognised by its `atlas.sum`); detected from the path and text otherwise.
    #[serde(skip)]
    pub format: Option<MigrationFormat>,
}

impl SourceFile {
    /// A file known only by its path and text (the format is detected from them).
    pub fn new(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.to_string(),
            bytes: text.as_bytes().to_vec(),
            metadata: None,
            format: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub why: &'static str,
    pub help: &'static str,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileAnalysis {
    pub path: String,
    pub format: MigrationFormat,
    pub tx_declaration: TxDeclaration,
    /// `None` when the file could not be read at all.
    pub plan: Option<ExecutionPlan>,
    /// The file has psql meta-commands: only psql can run it as written.
    pub needs_psql: bool,
    /// Not linted (config `exclude=`); still split and validated.
    pub excluded: bool,
    pub bytes: usize,
    pub file_error: Option<FileError>,
    /// Validation errors: Postgres would reject the file here.
    pub errors: Vec<SqlError>,
    pub findings: Vec<Finding>,
    /// SQL statements sqlparser could not read (lint used tokens only).
    pub not_analysed: Vec<Span>,
    /// SQL statements (psql meta-commands not counted).
    pub statement_count: usize,
    pub parsed_count: usize,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub files: usize,
    pub bytes: usize,
    pub statements: usize,
    pub parsed: usize,
    pub not_analysed: usize,
    /// Files with a file error plus validation errors.
    pub errors: usize,
    pub error_findings: usize,
    pub warning_findings: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Analysis {
    pub files: Vec<FileAnalysis>,
    pub totals: Totals,
}

impl Analysis {
    /// Anything that should fail a check run: unreadable files, validation
    /// errors, error-severity findings.
    pub fn has_errors(&self) -> bool {
        self.totals.errors > 0 || self.totals.error_findings > 0
    }
}

/// Analyse files in apply order (objects created by an earlier file are
/// "new" for later ones).
pub fn analyze(files: &[SourceFile], config: &LintConfig) -> Analysis {
    analyze_with(files, config, Parse::Yes)
}

/// Whether sqlparser reads each statement. Its only product is the "not analysed"
/// list of the reports (the rules read tokens); the migration engine, which reports
/// none, skips it: it is about half the analysis time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse {
    Yes,
    /// `not_analysed` stays empty and `parsed_count` 0.
    No,
}

pub fn analyze_with(files: &[SourceFile], config: &LintConfig, parse: Parse) -> Analysis {
    analyze_full(files, config, parse, None)
}

/// [`analyze`], judged with a database's catalog: a default's volatility is what
/// `pg_proc` says (not our list of built-ins), and findings about rewriting or
/// locking a table say how big the table is.
pub fn analyze_judged(files: &[SourceFile], config: &LintConfig, catalog: &Catalog) -> Analysis {
    analyze_full(files, config, Parse::Yes, Some(catalog))
}

/// Everything said: whether sqlparser reads each statement, and the catalog to
/// judge with when there is one.
pub fn analyze_full(
    files: &[SourceFile],
    config: &LintConfig,
    parse: Parse,
    catalog: Option<&Catalog>,
) -> Analysis {
    let mut ctx = Context::default();
    let files: Vec<FileAnalysis> = files
        .iter()
        .map(|f| analyze_file(f, config, &mut ctx, parse, catalog))
        .collect();
    let mut t = Totals {
        files: files.len(),
        ..Default::default()
    };
    for f in &files {
        t.bytes += f.bytes;
        t.statements += f.statement_count;
        t.parsed += f.parsed_count;
        t.not_analysed += f.not_analysed.len();
        t.errors += f.errors.len() + usize::from(f.file_error.is_some());
        for x in &f.findings {
            match x.severity {
                Severity::Error => t.error_findings += 1,
                Severity::Warning => t.warning_findings += 1,
                Severity::Off => {}
            }
        }
    }
    Analysis { files, totals: t }
}

fn empty(path: &str, bytes: usize) -> FileAnalysis {
    FileAnalysis {
        path: path.to_string(),
        format: MigrationFormat::PlainSql,
        tx_declaration: TxDeclaration::None,
        plan: None,
        needs_psql: false,
        excluded: false,
        bytes,
        file_error: None,
        errors: Vec::new(),
        findings: Vec::new(),
        not_analysed: Vec::new(),
        statement_count: 0,
        parsed_count: 0,
        statements: Vec::new(),
    }
}

/// Bytes → text, or why not.
pub fn decode(bytes: &[u8], max: usize) -> Result<&str, FileError> {
    if bytes.len() > max {
        return Err(FileError::TooLarge {
            size: bytes.len(),
            max,
        });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    let line_at =
        |offset: usize| 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u32;
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        offset: e.valid_up_to(),
        line: line_at(e.valid_up_to()),
    })?;
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(FileError::Binary {
            offset,
            line: line_at(offset),
        });
    }
    Ok(text)
}

fn analyze_file(
    f: &SourceFile,
    config: &LintConfig,
    ctx: &mut Context,
    parse: Parse,
    catalog: Option<&Catalog>,
) -> FileAnalysis {
    let mut out = empty(&f.path, f.bytes.len());
    out.excluded = config.is_excluded(&f.path);
    let text = match decode(&f.bytes, config.max_file_bytes) {
        Ok(t) => t,
        Err(e) => {
            out.file_error = Some(e);
            return out;
        }
    };
    out.format = f.format.unwrap_or_else(|| format::detect(&f.path, text));
    let section = match format::section(out.format, text, f.metadata.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            out.file_error = Some(e);
            return out;
        }
    };
    let lexed = lexer::lex(text, section.start, section.end, section.line);
    out.errors.extend(lexed.error);
    let toks = &lexed.tokens;
    for t in toks.iter().filter(|t| t.kind == lexer::TokKind::PsqlMeta) {
        if let Some(message) = super::meta::refused(&text[t.start..t.end]) {
            out.errors.push(SqlError {
                message,
                line: t.line,
                col: t.col,
                offset: t.start,
            });
        }
    }
    // `.squawk.toml`'s assume_in_transaction: the user's tool wraps each file
    // whose format does not say otherwise, so plan and lint it that way.
    let decl = if config.assume_in_transaction
        && section.tx == TxDeclaration::None
        && !ignore::disables_assume_in_transaction(toks)
    {
        TxDeclaration::Transaction
    } else {
        section.tx
    };
    out.tx_declaration = decl;
    let stmts = split::split(text, toks);
    out.needs_psql = stmts.iter().any(|s| s.kind == StatementKind::PsqlMeta);

    // SQL statements: index into `stmts`, token view, AST.
    let sql: Vec<usize> = (0..stmts.len())
        .filter(|&i| stmts[i].kind == StatementKind::Sql)
        .collect();
    let views: Vec<View> = sql
        .iter()
        .map(|&i| View::new(&toks[stmts[i].toks.clone()]))
        .collect();
    let tx = transaction::analyze(&views, decl);
    out.plan = tx.plan;

    let mut infos = Vec::with_capacity(sql.len());
    for (k, view) in views.into_iter().enumerate() {
        // Always observed, even when excluded: the objects still get created.
        let target = ctx.observe(&view);
        infos.push(StmtInfo {
            index: k,
            view,
            target,
            in_tx: tx.in_tx.get(k).copied().unwrap_or(false),
            span: stmts[sql[k]].span,
            catalog,
        });
    }
    out.statement_count = infos.len();

    if !out.excluded {
        let fctx = FileCtx {
            stmts: &infos,
            tx: &tx,
            format: out.format,
            decl,
        };
        let mut hits: Vec<(&'static Rule, Hit)> = Vec::new();
        lint::run(&fctx, |r| config.severity(r) != Severity::Off, &mut hits);
        if let Some(c) = catalog {
            hits.iter_mut()
                .for_each(|(rule, hit)| add_table_size(c, rule, hit, &infos));
        }
        out.findings = apply_ignores(hits, toks, &stmts, &sql, &infos, config);
    }
    drop(infos);
    // Last, as it takes the tokens: which statements sqlparser reads ("not analysed" in
    // the reports when it does not; the rules above read tokens, not its AST).
    if parse == Parse::Yes {
        let mut tokens = lexed.tokens;
        for &i in &sql {
            if !parse::parses(&mut tokens[stmts[i].toks.clone()]) {
                out.not_analysed.push(stmts[i].span);
            }
        }
        out.parsed_count = sql.len() - out.not_analysed.len();
    }
    out.statements = stmts;
    out
}

/// Rules whose finding is about rewriting, scanning or locking an existing table: how
/// long that takes (and blocks) depends on the table's size, so the finding says it.
const SIZE_MATTERS: &[&str] = &[
    "adding-field-with-volatile-default",
    "adding-foreign-key-constraint",
    "adding-required-field",
    "adding-serial-primary-key",
    "changing-column-type",
    "constraint-missing-not-valid",
    "disallowed-unique-constraint",
    "prefer-repack",
    "require-concurrent-index-creation",
    "setting-not-null-on-existing-column",
];

fn add_table_size(catalog: &Catalog, rule: &Rule, hit: &mut Hit, infos: &[StmtInfo]) {
    let target = &infos[hit.stmt].target;
    if target.is_new || !SIZE_MATTERS.contains(&rule.id) {
        return;
    }
    if let Some((name, size)) = target.table.as_ref().and_then(|t| catalog.table(t)) {
        hit.message.push_str(&format!(
            " (table {name}: {} in {})",
            size.describe(),
            catalog.source
        ));
    }
}

/// Drop ignored hits, report unused directives, attach severity and spans.
fn apply_ignores(
    hits: Vec<(&'static Rule, Hit)>,
    toks: &[lexer::Tok],
    stmts: &[Statement],
    sql: &[usize],
    infos: &[StmtInfo],
    config: &LintConfig,
) -> Vec<Finding> {
    let mut directives = ignore::collect(toks, stmts);
    let mut findings = Vec::new();
    for (rule, hit) in hits {
        let stmt = sql[hit.stmt];
        if directives.iter_mut().any(|d| d.covers(rule.id, stmt)) {
            continue;
        }
        findings.push(Finding {
            rule: rule.id,
            severity: config.severity(rule),
            message: hit.message,
            why: rule.why,
            help: rule.help,
            span: hit.span.unwrap_or(infos[hit.stmt].span),
        });
    }
    let unused = &lint::rules::unused_ignore::RULE;
    let sev = config.severity(unused);
    if sev != Severity::Off {
        for d in &directives {
            let mut messages = Vec::new();
            if d.all && !d.used[0] {
                messages.push(format!("`{}` matched no finding; remove it", d.marker));
            } else if d.ids.is_empty() && !d.all {
                messages.push(format!(
                    "`{}` names no rule, so it ignores nothing",
                    d.marker
                ));
            }
            for (id, used) in d.ids.iter().zip(&d.used) {
                let rules = squawk::resolve(id);
                messages.push(if rules.is_empty() && squawk::is_squawk_id(id) {
                    format!("`{id}` is a squawk rule neon-gitops does not have, so this ignore does nothing")
                } else if rules.is_empty() {
                    format!("`{id}` is not a rule id, so this ignore does nothing")
                } else if !used && rules.iter().any(|r| config.severity(r) != Severity::Off) {
                    format!("ignore for `{id}` matched no finding; remove it")
                } else {
                    continue;
                });
            }
            for message in messages {
                findings.push(Finding {
                    rule: unused.id,
                    severity: sev,
                    message,
                    why: unused.why,
                    help: unused.help,
                    span: d.span,
                });
            }
        }
    }
    findings.sort_by_key(|f| (f.span.start, f.rule));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_parse_only_the_not_analysed_list_is_missing() {
        let files = [SourceFile {
            path: "migrations/1.sql".into(),
            bytes: b"CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN c int NOT NULL;\nCREATE STATISTICS s ON a, b FROM t WITH nonsense;\n"
                .to_vec(),
            metadata: None,
            format: None,
        }];
        let config = LintConfig::default();
        let full = analyze(&files, &config);
        let quick = analyze_with(&files, &config, Parse::No);
        assert_eq!(full.files[0].not_analysed.len(), 1, "{:?}", full.files[0]);
        assert_eq!(full.totals.parsed, 2);
        assert!(quick.files[0].not_analysed.is_empty());
        assert_eq!(quick.totals.parsed, 0);
        assert_eq!(quick.files[0].plan, full.files[0].plan);
        assert_eq!(
            quick.files[0].statements.len(),
            full.files[0].statements.len()
        );
        let rules = |a: &Analysis| {
            a.files[0]
                .findings
                .iter()
                .map(|f| f.rule)
                .collect::<Vec<_>>()
        };
        assert_eq!(rules(&quick), rules(&full));
    }
}
