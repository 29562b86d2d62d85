//! Transaction structure of a file and the plan the runner follows.
//!
//! Everything here reads tokens (through [`View`]), never the AST, so it also
//! works for the statements sqlparser cannot parse (`DROP INDEX
//! CONCURRENTLY`, `REINDEX … CONCURRENTLY` are among them).

use serde::Serialize;

use super::format::TxDeclaration;
use super::words::View;

/// How migrate mode must run a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecutionPlan {
    /// Send BEGIN, the statements, COMMIT: the file applies atomically.
    WrapInTransaction,
    /// The file manages its own transactions (or its tool says not to wrap
    /// it): run its statements in order, adding nothing.
    RunAsIs,
    /// The file holds statements that cannot run in a transaction block and
    /// no BEGIN of its own: run each statement on its own (autocommit). Not
    /// atomic: a failure leaves the earlier statements applied.
    StatementByStatement,
    /// As its tool runs it (BEGIN, the statements, COMMIT), in a file that leaves
    /// the tool's transaction on purpose: `COMMIT; CREATE INDEX CONCURRENTLY …;
    /// BEGIN;` (the dbmate / Diesel idiom for what cannot run in a transaction).
    /// Never sent as one query, and not atomic: a failure after a break leaves
    /// what came before it applied.
    WrapWithBreaks,
}

/// A statement's role in transaction control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxClass {
    Begin,
    /// COMMIT / END / ROLLBACK / ABORT / PREPARE TRANSACTION.
    End,
    /// Cannot run inside a transaction block; the text names it.
    NonTransactional(&'static str),
    Other,
}

/// Classify a statement from its tokens.
pub fn classify(v: &View) -> TxClass {
    let k0 = v.kw(0).unwrap_or("").to_ascii_uppercase();
    let concurrently = || v.has("CONCURRENTLY");
    match k0.as_str() {
        "BEGIN" => TxClass::Begin,
        "START" if v.is(1, "TRANSACTION") => TxClass::Begin,
        "COMMIT" | "ROLLBACK" if v.is(1, "PREPARED") => {
            TxClass::NonTransactional(if k0 == "COMMIT" {
                "COMMIT PREPARED"
            } else {
                "ROLLBACK PREPARED"
            })
        }
        "ROLLBACK" if v.find_seq(1, &["TO"]).is_some() => TxClass::Other,
        "COMMIT" | "END" | "ROLLBACK" | "ABORT" => TxClass::End,
        "PREPARE" if v.is(1, "TRANSACTION") => TxClass::End,
        "VACUUM" => TxClass::NonTransactional("VACUUM"),
        "CREATE" => {
            let i = v.skip(1, &[&["UNIQUE"]]);
            if v.is(i, "INDEX") && v.is(i + 1, "CONCURRENTLY") {
                TxClass::NonTransactional("CREATE INDEX CONCURRENTLY")
            } else if v.is(1, "DATABASE") {
                TxClass::NonTransactional("CREATE DATABASE")
            } else if v.is(1, "TABLESPACE") {
                TxClass::NonTransactional("CREATE TABLESPACE")
            } else if v.is(1, "SUBSCRIPTION") {
                TxClass::NonTransactional("CREATE SUBSCRIPTION")
            } else {
                TxClass::Other
            }
        }
        "DROP" => {
            if v.seq_at(1, &["INDEX", "CONCURRENTLY"]) {
                TxClass::NonTransactional("DROP INDEX CONCURRENTLY")
            } else if v.is(1, "DATABASE") {
                TxClass::NonTransactional("DROP DATABASE")
            } else if v.is(1, "TABLESPACE") {
                TxClass::NonTransactional("DROP TABLESPACE")
            } else if v.is(1, "SUBSCRIPTION") {
                TxClass::NonTransactional("DROP SUBSCRIPTION")
            } else {
                TxClass::Other
            }
        }
        "REINDEX" => {
            if concurrently() {
                TxClass::NonTransactional("REINDEX CONCURRENTLY")
            } else if ["SCHEMA", "DATABASE", "SYSTEM"].iter().any(|k| v.has(k)) {
                TxClass::NonTransactional("REINDEX SCHEMA/DATABASE/SYSTEM")
            } else {
                TxClass::Other
            }
        }
        "ALTER" => {
            if v.is(1, "SYSTEM") {
                TxClass::NonTransactional("ALTER SYSTEM")
            } else if v.is(1, "DATABASE") && v.find_seq(2, &["SET", "TABLESPACE"]).is_some() {
                TxClass::NonTransactional("ALTER DATABASE … SET TABLESPACE")
            } else if v.is(1, "TABLE")
                && v.find_seq(2, &["DETACH", "PARTITION"]).is_some()
                && concurrently()
            {
                TxClass::NonTransactional("DETACH PARTITION … CONCURRENTLY")
            } else {
                TxClass::Other
            }
        }
        // CLUSTER without a table name reclusters the whole database.
        "CLUSTER" if v.len() == 1 || (v.len() == 2 && v.is(1, "VERBOSE")) => {
            TxClass::NonTransactional("CLUSTER without a table")
        }
        "DISCARD" if v.is(1, "ALL") => TxClass::NonTransactional("DISCARD ALL"),
        _ => TxClass::Other,
    }
}

/// Something about transactions worth a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxEvent {
    /// BEGIN while the file's own transaction is open.
    NestedBegin,
    /// COMMIT/ROLLBACK with no transaction of the file's open (Postgres only
    /// warns; usually a copy-paste leftover).
    EndWithoutBegin,
    /// BEGIN/COMMIT in a file its tool already wraps in a transaction.
    ControlInsideToolTx,
    /// A non-transactional statement inside the file's own BEGIN.
    NonTxInOwnTx(&'static str),
    /// A non-transactional statement in a file its tool wraps.
    NonTxInToolTx(&'static str),
    /// A BEGIN never committed by the end of the file.
    Uncommitted,
}

#[derive(Debug, Clone, Default)]
pub struct TxAnalysis {
    pub plan: Option<ExecutionPlan>,
    /// (statement index in the file's SQL statements, event).
    pub events: Vec<(usize, TxEvent)>,
    /// Per statement: does it run inside a transaction block?
    pub in_tx: Vec<bool>,
    pub classes: Vec<TxClass>,
}

/// Does a file its tool wraps leave the tool's transaction on purpose? Every COMMIT
/// ends the tool's transaction (open at that point), every BEGIN opens the next one
/// (none open), at least one break, and a transaction open again at the end for the
/// tool's COMMIT. Anything else is the nesting it looks like.
fn breaks_tool_tx(classes: &[TxClass]) -> bool {
    let mut open = true;
    let mut breaks = 0;
    for c in classes {
        match c {
            TxClass::End if open => {
                open = false;
                breaks += 1;
            }
            TxClass::Begin if !open => open = true,
            TxClass::Begin | TxClass::End => return false,
            _ => {}
        }
    }
    open && breaks > 0
}

/// A file its tool wraps that leaves the tool's transaction on purpose (see
/// [`breaks_tool_tx`]): statements between a COMMIT and the next BEGIN run outside
/// any transaction, which is what they are there for.
fn analyze_breaks(classes: Vec<TxClass>) -> TxAnalysis {
    let mut events = Vec::new();
    let mut in_tx = Vec::with_capacity(classes.len());
    let mut open = true;
    for (i, c) in classes.iter().enumerate() {
        match c {
            TxClass::Begin => {
                open = true;
                in_tx.push(true);
            }
            TxClass::End => {
                open = false;
                in_tx.push(true);
            }
            TxClass::NonTransactional(what) => {
                if open {
                    events.push((i, TxEvent::NonTxInToolTx(what)));
                }
                in_tx.push(open);
            }
            TxClass::Other => in_tx.push(open),
        }
    }
    TxAnalysis {
        plan: Some(ExecutionPlan::WrapWithBreaks),
        events,
        in_tx,
        classes,
    }
}

/// Analyse a file's SQL statements (in order) under its tool's declaration.
pub fn analyze(views: &[View], decl: TxDeclaration) -> TxAnalysis {
    let classes: Vec<TxClass> = views.iter().map(classify).collect();
    if decl == TxDeclaration::Transaction && breaks_tool_tx(&classes) {
        return analyze_breaks(classes);
    }
    let has_control = classes
        .iter()
        .any(|c| matches!(c, TxClass::Begin | TxClass::End));
    let has_non_tx = classes
        .iter()
        .any(|c| matches!(c, TxClass::NonTransactional(_)));
    let plan = match decl {
        TxDeclaration::Transaction => ExecutionPlan::WrapInTransaction,
        TxDeclaration::NoTransaction if has_non_tx && !has_control => {
            ExecutionPlan::StatementByStatement
        }
        TxDeclaration::NoTransaction => ExecutionPlan::RunAsIs,
        TxDeclaration::None if has_control => ExecutionPlan::RunAsIs,
        TxDeclaration::None if has_non_tx => ExecutionPlan::StatementByStatement,
        TxDeclaration::None => ExecutionPlan::WrapInTransaction,
    };
    let wrapped = plan == ExecutionPlan::WrapInTransaction;
    let tool_wraps = decl == TxDeclaration::Transaction;
    let mut events = Vec::new();
    let mut in_tx = Vec::with_capacity(views.len());
    let mut open: Option<usize> = None;
    for (i, c) in classes.iter().enumerate() {
        match c {
            TxClass::Begin => {
                if tool_wraps {
                    events.push((i, TxEvent::ControlInsideToolTx));
                } else if open.is_some() {
                    events.push((i, TxEvent::NestedBegin));
                } else {
                    open = Some(i);
                }
                in_tx.push(true);
            }
            TxClass::End => {
                if tool_wraps {
                    events.push((i, TxEvent::ControlInsideToolTx));
                } else if open.take().is_none() {
                    events.push((i, TxEvent::EndWithoutBegin));
                }
                in_tx.push(true);
            }
            TxClass::NonTransactional(what) => {
                if tool_wraps {
                    events.push((i, TxEvent::NonTxInToolTx(what)));
                } else if open.is_some() {
                    events.push((i, TxEvent::NonTxInOwnTx(what)));
                }
                in_tx.push(wrapped || open.is_some());
            }
            TxClass::Other => in_tx.push(wrapped || open.is_some()),
        }
    }
    if let Some(b) = open {
        events.push((b, TxEvent::Uncommitted));
    }
    TxAnalysis {
        plan: Some(plan),
        events,
        in_tx,
        classes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::{lex, Tok};
    use super::super::split::split;
    use super::*;

    fn run(sql: &str, decl: TxDeclaration) -> TxAnalysis {
        let l = lex(sql, 0, sql.len(), 1);
        let toks: &[Tok] = &l.tokens;
        let st = split(sql, toks);
        let views: Vec<View> = st
            .iter()
            .map(|s| View::new(&toks[s.toks.clone()]))
            .collect();
        analyze(&views, decl)
    }

    #[test]
    fn plans() {
        use ExecutionPlan::*;
        let n = TxDeclaration::None;
        assert_eq!(
            run("create table t (a int);", n).plan,
            Some(WrapInTransaction)
        );
        assert_eq!(
            run("begin; create table t (a int); commit;", n).plan,
            Some(RunAsIs)
        );
        assert_eq!(
            run("create index concurrently i on t (a);", n).plan,
            Some(StatementByStatement)
        );
        assert_eq!(
            run("drop index concurrently i;", n).plan,
            Some(StatementByStatement)
        );
        assert_eq!(
            run("reindex (verbose) index concurrently i;", n).plan,
            Some(StatementByStatement)
        );
        assert_eq!(
            run("vacuum (analyze) t;", n).plan,
            Some(StatementByStatement)
        );
        let no = TxDeclaration::NoTransaction;
        assert_eq!(run("create table t (a int);", no).plan, Some(RunAsIs));
        assert_eq!(
            run("create table t (a int);", TxDeclaration::Transaction).plan,
            Some(WrapInTransaction)
        );
    }

    #[test]
    fn leaving_the_tools_transaction_on_purpose() {
        let t = TxDeclaration::Transaction;
        let sql = "create table t (a int); commit; create index concurrently i on t (a); begin; insert into t values (1);";
        let r = run(sql, t);
        assert_eq!(r.plan, Some(ExecutionPlan::WrapWithBreaks));
        assert!(r.events.is_empty(), "{:?}", r.events);
        assert_eq!(r.in_tx, [true, true, false, true, true]);
        // Two breaks, and one at the very start.
        let r = run("commit; create index concurrently i on t (a); begin; commit; drop index concurrently j; begin;", t);
        assert_eq!(r.plan, Some(ExecutionPlan::WrapWithBreaks));
        assert!(r.events.is_empty());
        // Not reopened: the tool's COMMIT would find nothing to end. Still the old findings.
        let r = run("commit; create index concurrently i on t (a);", t);
        assert_eq!(r.plan, Some(ExecutionPlan::WrapInTransaction));
        assert!(!r.events.is_empty());
        // A BEGIN … COMMIT pair inside the tool's transaction is nesting, not a break.
        let r = run("begin; select 1; commit;", t);
        assert_eq!(r.events.len(), 2);
        // The same text in a file nobody wraps is a stray COMMIT.
        let r = run(sql, TxDeclaration::None);
        assert!(r.events.contains(&(1, TxEvent::EndWithoutBegin)));
    }

    #[test]
    fn events() {
        let n = TxDeclaration::None;
        let e = run("begin; create index concurrently i on t(a); commit;", n).events;
        assert_eq!(e, [(1, TxEvent::NonTxInOwnTx("CREATE INDEX CONCURRENTLY"))]);
        assert_eq!(
            run("begin; begin; commit;", n).events,
            [(1, TxEvent::NestedBegin)]
        );
        assert_eq!(
            run("begin; select 1;", n).events,
            [(0, TxEvent::Uncommitted)]
        );
        assert_eq!(run("commit;", n).events, [(0, TxEvent::EndWithoutBegin)]);
        let t = TxDeclaration::Transaction;
        assert_eq!(run("begin; select 1; commit;", t).events.len(), 2);
        assert_eq!(
            run("create index concurrently i on t(a);", t).events,
            [(0, TxEvent::NonTxInToolTx("CREATE INDEX CONCURRENTLY"))]
        );
        // BEGIN ATOMIC inside a routine is not transaction control.
        let r = run(
            "create function f() returns int language sql begin atomic select 1; end;",
            n,
        );
        assert!(r.events.is_empty());
        // ROLLBACK TO SAVEPOINT does not end the transaction.
        assert!(
            run("begin; savepoint a; rollback to savepoint a; commit;", n)
                .events
                .is_empty()
        );
    }
}
