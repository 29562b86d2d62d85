//! The "What production will feel" section (PR comment and job summary share it), the
//! `trace` output, and the `max-blocking` gate.

use super::model::{Blocks, Trace};
use crate::host::{Annotation, Host, Level};
use crate::runtime::Runtime;
use std::fmt::Write;

/// `24 MB`, `512 kB`.
pub fn bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    match n {
        n if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        n if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        n if n >= 1e3 => format!("{:.0} kB", n / 1e3),
        n => format!("{n:.0} B"),
    }
}

/// `500,000`: a row estimate a reader takes in at a glance.
fn count(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.24 s`, `38 ms`.
pub fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.0} ms")
    }
}

/// Text safe in a table cell: no pipes, no newlines, no backticks to close the code span.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r', '`'], " ")
}

/// Prose from file paths and table names: no HTML, no @mentions, no code spans.
fn inert(s: &str) -> String {
    cell(s)
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('@', "@\u{200b}")
}

/// The section, with the measured figures (the PR comment keeps it out of its digest:
/// a re-measurement alone must not rewrite the comment).
pub fn markdown(t: &Trace, target: &str) -> String {
    let mut out = String::from("#### What production will feel\n\n");
    let _ = writeln!(
        out,
        "Measured while applying on {target}, a copy-on-write copy of production's data. Its compute may differ from production's: the times are estimates.\n"
    );
    let unseen: Vec<_> = t.statements.iter().filter(|s| s.locks_unseen).collect();
    if t.blockers.is_empty() && unseen.is_empty() && t.untraced.is_empty() {
        let _ = writeln!(
            out,
            "✅ No statement blocks reads or writes ({} statement{} traced).",
            t.statements.len(),
            if t.statements.len() == 1 { "" } else { "s" }
        );
    } else if t.blockers.is_empty() {
        let _ = writeln!(
            out,
            "No statement was seen blocking reads or writes ({} statement{} traced), but see below.",
            t.statements.len(),
            if t.statements.len() == 1 { "" } else { "s" }
        );
    } else {
        out.push_str("| Statement | Lock | Table | Rewrite | Blocks | Window | Lint |\n|---|---|---|---|---|---|---|\n");
        // Worst first (the model sorts them).
        for b in &t.blockers {
            let size = match (b.bytes, b.rows) {
                (Some(s), Some(r)) => format!(" ({}, ~{} rows)", bytes(s), count(r)),
                (Some(s), None) => format!(" ({})", bytes(s)),
                _ => String::new(),
            };
            let icon = if b.blocks == Blocks::ReadsAndWrites {
                "🔴"
            } else {
                "🟠"
            };
            let lint = if b.lint.is_empty() {
                "not predicted by lint".to_string()
            } else {
                b.lint
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let window = format!(" {} |", ms(b.window_ms));
            let _ = writeln!(
                out,
                "| `{}:{}` `{}` | {} | `{}`{} | {} | {icon} {} |{window} {lint} |",
                cell(&b.file),
                b.line,
                cell(&b.sql),
                b.mode,
                cell(&b.table),
                size,
                if b.rewrite { "yes" } else { "no" },
                b.blocks.words(),
            );
        }
        let blocking: std::collections::HashSet<(&str, u32)> = t
            .blockers
            .iter()
            .map(|b| (b.file.as_str(), b.line))
            .collect();
        let others = t
            .statements
            .iter()
            .filter(|s| !s.locks_unseen && !blocking.contains(&(s.file.as_str(), s.line)))
            .count();
        if others > 0 {
            let _ = writeln!(
                out,
                "\n{others} other statement{} block{} no reads or writes.",
                if others == 1 { "" } else { "s" },
                if others == 1 { "s" } else { "" }
            );
        }
    }
    if !unseen.is_empty() {
        out.push_str("\n⚠️ Ran outside a transaction, so their locks end with them and cannot be seen here (they may block reads and writes while they run: VACUUM FULL and CLUSTER do):\n");
        for s in &unseen {
            let took = format!(", took {}", ms(s.ms));
            let _ = writeln!(
                out,
                "- `{}:{}` `{}`{took}",
                cell(&s.file),
                s.line,
                cell(&s.sql)
            );
        }
    }
    if !t.untraced.is_empty() {
        let _ = writeln!(
            out,
            "\n⚠️ Not traced, so not measured (psql meta-commands, `COPY … FROM stdin` or `DISCARD` in the file): {}.",
            t.untraced
                .iter()
                .map(|f| format!("`{}`", cell(f)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !t.disagreements.is_empty() {
        out.push_str("\nTrace and lint disagree:\n");
        for d in &t.disagreements {
            let _ = writeln!(out, "- {}", inert(d));
        }
    }
    out
}

/// The `trace` output.
pub fn json(t: &Trace) -> String {
    serde_json::to_string(t).unwrap_or_else(|_| "{}".into())
}

/// `max-blocking`: the statements whose window exceeds it, as one message; None when
/// all are within.
pub fn over_limit(t: &Trace, max_ms: u64, target: &str) -> Option<String> {
    let over: Vec<String> = t
        .blockers
        .iter()
        .filter(|b| b.window_ms > max_ms as f64)
        .map(|b| {
            format!(
                "{}:{} holds {} on {} for {} (blocks {}{})",
                b.file,
                b.line,
                b.mode,
                b.table,
                ms(b.window_ms),
                b.blocks.words(),
                if b.rewrite {
                    ", rewrites the table"
                } else {
                    ""
                }
            )
        })
        .collect();
    (!over.is_empty()).then(|| {
        format!(
            "{} exceed{} `max-blocking: {}` on {target}: {}. The branch's compute may differ from production's, so the figure is an estimate; make the migration non-blocking (e.g. CONCURRENTLY, NOT VALID then VALIDATE, batches) or raise `max-blocking`",
            if over.len() == 1 {
                "1 statement".to_string()
            } else {
                format!("{} statements", over.len())
            },
            if over.len() == 1 { "s" } else { "" },
            ms(max_ms as f64),
            over.join("; ")
        )
    })
}

/// An error annotation at each statement over `max-blocking`, on its file and line.
pub fn annotate_over<H: Host>(rt: &Runtime<H>, t: &Trace, max_ms: u64, target: &str) {
    for b in t.blockers.iter().filter(|b| b.window_ms > max_ms as f64) {
        rt.annotate(
            Level::Error,
            &Annotation {
                message: format!(
                    "Blocks {} on {} for {} ({} held from this statement until COMMIT{}), measured on {target}; max-blocking is {}. The branch's compute may differ from production's: the figure is an estimate.",
                    b.blocks.words(),
                    b.table,
                    ms(b.window_ms),
                    b.mode,
                    if b.rewrite { "; the table is rewritten" } else { "" },
                    ms(max_ms as f64)
                ),
                title: Some("max-blocking exceeded".into()),
                file: Some(b.file.clone()),
                line: Some(b.line),
                ..Default::default()
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{StatementTrace, Trace};
    use super::*;

    fn stmt(sql: &str, unseen: bool) -> StatementTrace {
        StatementTrace {
            file: "migrations/3.sql".into(),
            line: 1,
            sql: sql.into(),
            ms: 1500.0,
            locks: vec![],
            rewrites: vec![],
            created: vec![],
            dropped: vec![],
            lint: vec![],
            locks_unseen: unseen,
        }
    }

    #[test]
    fn a_statement_whose_locks_cannot_be_seen_is_never_called_harmless() {
        let t = Trace {
            statements: vec![stmt("VACUUM FULL orders", true)],
            ..Default::default()
        };
        let md = markdown(&t, "the preview branch");
        assert!(!md.contains("✅"), "{md}");
        assert!(md.contains("cannot be seen here"), "{md}");
        assert!(
            md.contains("`migrations/3.sql:1` `VACUUM FULL orders`, took 1.50 s"),
            "{md}"
        );
        let fine = Trace {
            statements: vec![stmt("CREATE INDEX CONCURRENTLY i ON t (a)", false)],
            ..Default::default()
        };
        assert!(markdown(&fine, "x").contains("✅ No statement blocks reads or writes"));
        let partly = Trace {
            statements: vec![stmt("CREATE INDEX CONCURRENTLY i ON t (a)", false)],
            untraced: vec!["migrations/4_seed.sql".into()],
            ..Default::default()
        };
        let md = markdown(&partly, "x");
        assert!(!md.contains("✅"), "{md}");
        assert!(md.contains("Not traced, so not measured"), "{md}");
        assert!(md.contains("`migrations/4_seed.sql`"), "{md}");
    }
}
