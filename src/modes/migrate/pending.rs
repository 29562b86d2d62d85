//! The pure plan: given the files on disk (already in apply order) and what the tracking
//! table records, which files are pending, which are out of order, edited after apply,
//! disappeared, or to be recorded by a baseline. No I/O; unit-tested below.

/// A migration file as planning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// The tracking version: the path relative to the migrations directory.
    pub version: String,
    pub checksum: String,
    /// Flyway's `R__` files: applied again whenever their checksum changes, after every
    /// versioned file, and never "edited after apply" or out of order.
    pub repeatable: bool,
}

/// A row of the tracking table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub version: String,
    pub checksum: String,
    pub status: String,
    /// `execution_ms` as recorded (for the report of files this run applied).
    pub ms: Option<u64>,
    /// When it was applied (UTC date), for messages.
    pub applied_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub index: usize,
    pub recorded_checksum: String,
    pub checksum: String,
    pub applied_on: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Indices (into the local files) to apply, in order.
    pub pending: Vec<usize>,
    /// Pending files that sort before the last recorded one.
    pub out_of_order: Vec<usize>,
    /// Files to record as applied without running them (`baseline:`).
    pub baseline: Vec<usize>,
    /// Recorded files whose bytes changed since they were applied.
    pub edited: Vec<Edited>,
    /// Recorded versions with no file any more.
    pub disappeared: Vec<String>,
    /// Local files already recorded.
    pub skipped: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// `baseline:` names no migration file.
    UnknownBaseline(String),
}

/// Plan a run. `local` must be in apply order. `only`, when given, restricts pending
/// files to those versions (the rehearsal applies exactly production's pending set).
pub fn plan(
    local: &[Local],
    recorded: &[Recorded],
    baseline: Option<&str>,
    only: Option<&[String]>,
) -> Result<Plan, PlanError> {
    let mut out = Plan::default();
    let find = |v: &str| recorded.iter().find(|r| r.version == v);
    let baseline_index = match baseline {
        Some(b) => Some(
            local
                .iter()
                .position(|l| l.version == b || l.version.trim_end_matches(".sql") == b)
                .ok_or_else(|| PlanError::UnknownBaseline(b.to_string()))?,
        ),
        None => None,
    };
    // The last file (in apply order) that is recorded, or will be by the baseline.
    let mut last_recorded: Option<usize> = None;
    for (i, l) in local.iter().enumerate() {
        match find(&l.version) {
            Some(r) if l.repeatable => {
                if r.checksum == l.checksum {
                    out.skipped += 1;
                } else if only.is_none_or(|o| o.contains(&l.version)) {
                    out.pending.push(i);
                }
            }
            Some(r) => {
                out.skipped += 1;
                last_recorded = Some(i);
                if r.checksum != l.checksum {
                    out.edited.push(Edited {
                        index: i,
                        recorded_checksum: r.checksum.clone(),
                        checksum: l.checksum.clone(),
                        applied_on: r.applied_on.clone(),
                    });
                }
            }
            None if baseline_index.is_some_and(|b| i <= b) => {
                out.baseline.push(i);
                last_recorded = Some(i);
            }
            None => {
                if only.is_none_or(|o| o.contains(&l.version)) {
                    out.pending.push(i);
                }
            }
        }
    }
    if let Some(last) = last_recorded {
        out.out_of_order = out
            .pending
            .iter()
            .copied()
            .filter(|&i| i < last && !local[i].repeatable)
            .collect();
    }
    out.disappeared = recorded
        .iter()
        .filter(|r| !local.iter().any(|l| l.version == r.version))
        .map(|r| r.version.clone())
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(names: &[&str]) -> Vec<Local> {
        names
            .iter()
            .map(|n| Local {
                version: n.to_string(),
                checksum: format!("c-{n}"),
                repeatable: n.starts_with("R__"),
            })
            .collect()
    }
    fn rec(name: &str, checksum: &str) -> Recorded {
        Recorded {
            ms: None,
            applied_on: None,
            version: name.into(),
            checksum: checksum.into(),
            status: "applied".into(),
        }
    }

    #[test]
    fn pending_are_the_unrecorded_files_in_order() {
        let l = local(&["001.sql", "002.sql", "003.sql"]);
        let p = plan(&l, &[rec("001.sql", "c-001.sql")], None, None).unwrap();
        assert_eq!(p.pending, [1, 2]);
        assert_eq!(p.skipped, 1);
        assert!(p.out_of_order.is_empty() && p.edited.is_empty() && p.disappeared.is_empty());
        let all = plan(&l, &[], None, None).unwrap();
        assert_eq!(all.pending, [0, 1, 2]);
    }

    #[test]
    fn out_of_order_edited_and_disappeared() {
        let l = local(&["001.sql", "002.sql", "003.sql"]);
        let r = [
            rec("001.sql", "c-001.sql"),
            rec("003.sql", "old"),
            rec("000.sql", "x"),
        ];
        let p = plan(&l, &r, None, None).unwrap();
        assert_eq!(p.pending, [1]);
        assert_eq!(p.out_of_order, [1]);
        assert_eq!(
            p.edited,
            [Edited {
                index: 2,
                recorded_checksum: "old".into(),
                checksum: "c-003.sql".into(),
                applied_on: None,
            }]
        );
        assert_eq!(p.disappeared, ["000.sql"]);
    }

    #[test]
    fn baseline_records_up_to_the_file_without_running_it() {
        let l = local(&["001.sql", "002.sql", "003.sql"]);
        let p = plan(&l, &[], Some("002.sql"), None).unwrap();
        assert_eq!(
            (p.baseline.as_slice(), p.pending.as_slice()),
            (&[0, 1][..], &[2][..])
        );
        assert!(p.out_of_order.is_empty());
        // Already recorded: the baseline changes nothing.
        let r = [rec("001.sql", "c-001.sql"), rec("002.sql", "c-002.sql")];
        let again = plan(&l, &r, Some("002"), None).unwrap();
        assert!(again.baseline.is_empty());
        assert_eq!(again.pending, [2]);
        assert_eq!(
            plan(&l, &[], Some("nope.sql"), None),
            Err(PlanError::UnknownBaseline("nope.sql".into()))
        );
    }

    #[test]
    fn repeatables_run_again_when_changed_and_are_never_out_of_order() {
        let l = local(&["V1__a.sql", "V2__b.sql", "V3__c.sql", "R__view.sql"]);
        let r = [
            rec("V1__a.sql", "c-V1__a.sql"),
            rec("V2__b.sql", "c-V2__b.sql"),
            rec("R__view.sql", "c-R__view.sql"),
        ];
        let p = plan(&l, &r, None, None).unwrap();
        assert_eq!(p.pending, [2], "unchanged repeatable: skipped");
        assert!(p.out_of_order.is_empty(), "{p:?}");
        let edited = [
            rec("V1__a.sql", "c-V1__a.sql"),
            rec("V2__b.sql", "c-V2__b.sql"),
            rec("V3__c.sql", "c-V3__c.sql"),
            rec("R__view.sql", "older"),
        ];
        let p = plan(&l, &edited, None, None).unwrap();
        assert_eq!(p.pending, [3]);
        assert!(p.edited.is_empty() && p.out_of_order.is_empty(), "{p:?}");
    }

    #[test]
    fn only_restricts_the_pending_set() {
        let l = local(&["001.sql", "002.sql", "003.sql"]);
        let only = vec!["003.sql".to_string()];
        let p = plan(&l, &[], None, Some(&only)).unwrap();
        assert_eq!(p.pending, [2]);
    }
}
