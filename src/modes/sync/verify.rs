//! Verification before the swap: exact row counts taken in the dump's snapshot against the
//! restored staging database, and sequences. Pure comparison; the counting is in mod.rs.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// `schema.table`
    pub table: String,
    /// Rows in production, in the dump's snapshot.
    pub source: i64,
    /// Rows staging must have: `source`, or 0 when the table's data is excluded.
    pub expected: i64,
    pub staging: Option<i64>,
    pub masked: bool,
    pub data_excluded: bool,
}

/// One line per table whose staging count is not what it must be.
pub fn count_mismatches(rows: &[TableRows]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.staging != Some(r.expected))
        .map(|r| match r.staging {
            Some(n) => format!(
                "{}: production had {} rows in the snapshot, staging has {n}",
                r.table, r.expected
            ),
            None => format!("{}: missing from staging", r.table),
        })
        .collect()
}

/// Sequences restored into staging must not be behind production's value at the snapshot
/// (pg_dump reads sequences after the snapshot is taken, and sequences only move forward).
/// Sequences not restored (filtered tables) are not compared.
pub fn sequence_mismatches(
    source: &[(String, Option<i64>)],
    staging: &[(String, Option<i64>)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in source {
        let Some(v) = value else { continue };
        match staging.iter().find(|(n, _)| n == name) {
            Some((_, Some(w))) if w >= v => {}
            Some((_, w)) => out.push(format!(
                "sequence {name}: production is at {v}, staging at {}",
                w.map(|w| w.to_string())
                    .unwrap_or_else(|| "its start (never used)".into())
            )),
            None => {}
        }
    }
    out
}

/// Sequences staging must move forward to production's value (data copied outside pg_dump,
/// e.g. masked tables, carries no `setval`).
pub fn sequences_to_advance(
    source: &[(String, Option<i64>)],
    staging: &[(String, Option<i64>)],
) -> Vec<(String, i64)> {
    source
        .iter()
        .filter_map(|(name, value)| {
            let v = (*value)?;
            let (_, w) = staging.iter().find(|(n, _)| n == name)?;
            (w.is_none_or(|w| w < v)).then(|| (name.clone(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(table: &str, expected: i64, staging: Option<i64>) -> TableRows {
        TableRows {
            table: table.into(),
            source: expected,
            expected,
            staging,
            masked: false,
            data_excluded: false,
        }
    }

    #[test]
    fn counts_must_match_exactly() {
        let rows = vec![
            row("a.x", 3, Some(3)),
            row("a.y", 5, Some(4)),
            row("a.z", 1, None),
            row("a.e", 0, Some(0)),
        ];
        let m = count_mismatches(&rows);
        assert_eq!(m.len(), 2);
        assert!(
            m[0].contains("a.y") && m[0].contains("5") && m[0].contains("4"),
            "{m:?}"
        );
        assert!(m[1].contains("missing"), "{m:?}");
    }

    #[test]
    fn sequences_must_not_be_behind() {
        let source = vec![
            ("s.a".to_string(), Some(10)),
            ("s.b".to_string(), Some(5)),
            ("s.c".to_string(), None),
            ("s.gone".to_string(), Some(1)),
        ];
        let staging = vec![
            ("s.a".to_string(), Some(12)),
            ("s.b".to_string(), Some(4)),
            ("s.c".to_string(), None),
        ];
        let m = sequence_mismatches(&source, &staging);
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("s.b"), "{m:?}");
        assert_eq!(
            sequences_to_advance(&source, &staging),
            vec![("s.b".to_string(), 5)]
        );
        let fresh = vec![("s.a".to_string(), None)];
        assert_eq!(
            sequences_to_advance(&source, &fresh),
            vec![("s.a".to_string(), 10)]
        );
    }
}
