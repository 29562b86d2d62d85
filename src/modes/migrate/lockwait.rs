//! Who a migration statement is waiting for. While a file runs longer than a moment, the
//! engine asks Postgres (from a second session) whether the applying backend waits on a
//! lock, and logs the sessions holding it once per attempt, so a user reading the log
//! sees why lock_timeout fired and whom to talk to. No query text is logged: another
//! application's SQL may carry its data.

/// One line `NG_HOLD <relations> | <holders>` when `pid` waits on a lock, nothing else.
pub fn holders_sql(pid: u32) -> String {
    format!(
        "SELECT 'NG_HOLD ' || coalesce((SELECT string_agg(DISTINCT l.relation::regclass::text, ', ') FROM pg_locks l WHERE l.pid = {pid} AND NOT l.granted AND l.relation IS NOT NULL), 'a lock') || ' | ' || string_agg('pid ' || b.pid || ' (application ' || coalesce(nullif(b.application_name, ''), 'not set') || ', ' || coalesce(b.state, 'unknown state') || coalesce(', query started ' || date_trunc('second', b.query_start)::text, '') || coalesce(', transaction started ' || date_trunc('second', b.xact_start)::text, '') || ')', '; ' ORDER BY b.pid) FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids({pid})) HAVING count(*) > 0;\n"
    )
}

/// `(what it waits for, who holds it)` from the query's output.
pub fn parse_holders(stdout: &str) -> Option<(String, String)> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("NG_HOLD "))?;
    let (what, who) = line.split_once(" | ")?;
    Some((what.trim().to_string(), who.trim().to_string()))
}

/// How long a file runs before the first look, and the wait between looks: early enough
/// to catch a wait that lock_timeout will cut short, rarer as a long statement goes on.
pub fn first_look_ms(lock_timeout_ms: u64) -> f64 {
    (lock_timeout_ms as f64 / 2.0).clamp(100.0, 1000.0)
}

pub fn next_look_ms(previous_gap_ms: f64) -> f64 {
    (previous_gap_ms * 2.0).min(30_000.0)
}

/// One apply session's looks: the session's pid (echoed by the script), when to look
/// next at the running file, and the files whose holders were logged (once per attempt).
pub struct Looker {
    pub pid: Option<u32>,
    first: f64,
    /// (file, next look at, gap before it)
    next: Option<(usize, f64, f64)>,
    logged: std::collections::HashSet<usize>,
}

impl Looker {
    pub fn new(lock_timeout_ms: u64) -> Looker {
        Looker {
            pid: None,
            first: first_look_ms(lock_timeout_ms),
            next: None,
            logged: Default::default(),
        }
    }

    /// How long to wait on psql between checks: often enough to see a file start soon
    /// and look before lock_timeout cuts a wait short (waiting costs nothing).
    pub fn tick_ms(&self) -> u64 {
        (self.first / 2.0).clamp(100.0, 1000.0) as u64
    }

    /// The query to run now for `file`, running since `since`, if a look is due.
    pub fn due(&mut self, file: usize, since: f64, now: f64) -> Option<String> {
        let pid = self.pid?;
        if self.logged.contains(&file) {
            return None;
        }
        if self.next.is_none_or(|n| n.0 != file) {
            self.next = Some((file, since + self.first, self.first));
        }
        let (_, at, gap) = self.next.as_mut()?;
        if now < *at {
            return None;
        }
        *gap = next_look_ms(*gap);
        *at = now + *gap;
        Some(holders_sql(pid))
    }

    /// What the look found; a file is logged once.
    pub fn found(&mut self, file: usize, stdout: &str) -> Option<(String, String)> {
        let found = parse_holders(stdout)?;
        self.logged.insert(file);
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_holders_line() {
        assert_eq!(
            parse_holders("NG_HOLD accounts | pid 42 (application psql, idle in transaction, query started 2026-01-01 00:00:00+00)\n"),
            Some((
                "accounts".into(),
                "pid 42 (application psql, idle in transaction, query started 2026-01-01 00:00:00+00)".into()
            ))
        );
        assert_eq!(parse_holders(""), None);
        assert!(holders_sql(7).contains("pg_blocking_pids(7)"));
        assert_eq!(first_look_ms(1000), 500.0);
        assert_eq!(first_look_ms(5000), 1000.0);
    }

    #[test]
    fn looks_at_half_the_lock_timeout_then_less_often_and_logs_once() {
        let mut l = Looker::new(1000);
        assert_eq!(l.tick_ms(), 250);
        assert_eq!(l.due(0, 0.0, 600.0), None, "no pid yet");
        l.pid = Some(9);
        assert_eq!(l.due(0, 0.0, 400.0), None);
        assert!(l.due(0, 0.0, 500.0).is_some());
        assert_eq!(l.due(0, 0.0, 600.0), None, "next look 1 s later");
        assert!(l.due(0, 0.0, 1500.0).is_some());
        assert!(l.found(0, "").is_none());
        assert!(l.found(0, "NG_HOLD t | pid 1 (x)\n").is_some());
        assert_eq!(l.due(0, 0.0, 99_999.0), None, "logged once");
        assert!(
            l.due(1, 2000.0, 2500.0).is_some(),
            "the next file is looked at"
        );
    }
}
