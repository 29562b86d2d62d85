//! The one retry policy for every HTTP call, Neon's and GitHub's: pure arithmetic, so the
//! schedule is unit-tested without a clock.

/// Statuses that mean "try again later": Neon answers 423 while a branch has a running
/// operation; 429 is rate limiting; 502/503/504 are gateway and overload errors.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 423 | 429 | 502 | 503 | 504)
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// A `Retry-After` longer than this is not waited for: the call fails with the status.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay_ms: 500,
            max_delay_ms: 20_000,
            max_retry_after_ms: 120_000,
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempt + 1` (attempt counts from 1), or None to give up.
    /// Exponential backoff with "equal jitter" (half fixed, half random: spreads concurrent
    /// clients without ever retrying immediately); a server's `Retry-After` is a floor.
    pub fn delay_ms(&self, attempt: u32, retry_after_ms: Option<u64>, random: f64) -> Option<u64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exp = self
            .base_delay_ms
            .saturating_mul(1u64 << (attempt - 1).min(20))
            .min(self.max_delay_ms);
        let jittered = exp / 2 + ((exp / 2) as f64 * random.clamp(0.0, 1.0)) as u64;
        match retry_after_ms {
            Some(ra) if ra > self.max_retry_after_ms => None,
            Some(ra) => Some(ra.max(jittered)),
            None => Some(jittered),
        }
    }
}

/// `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds >= 0.0).then_some((seconds * 1000.0) as u64);
    }
    let at = parse_http_date(value)?;
    Some((at - now_ms).max(0.0) as u64)
}

/// IMF-fixdate only (`Sun, 06 Nov 1994 08:49:37 GMT`), the form servers must send.
fn parse_http_date(value: &str) -> Option<f64> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    let day: i64 = parts[1].parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[2])? as i64
        + 1;
    let year: i64 = parts[3].parse().ok()?;
    let hms: Vec<i64> = parts[4]
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if hms.len() != 3 {
        return None;
    }
    let days = crate::time::days_from_civil(year, month, day);
    Some(((days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]) * 1000) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_bounded_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ms(1, None, 0.0), Some(250));
        assert_eq!(p.delay_ms(1, None, 1.0), Some(500));
        assert_eq!(p.delay_ms(2, None, 1.0), Some(1000));
        assert_eq!(p.delay_ms(3, None, 0.5), Some(1500));
        assert_eq!(p.delay_ms(7, None, 1.0), Some(20_000));
        assert_eq!(p.delay_ms(8, None, 1.0), None);
    }

    #[test]
    fn retry_after_is_a_floor_and_too_long_gives_up() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ms(1, Some(3000), 1.0), Some(3000));
        assert_eq!(p.delay_ms(4, Some(100), 1.0), Some(4000));
        assert_eq!(p.delay_ms(1, Some(600_000), 1.0), None);
    }

    #[test]
    fn parses_both_retry_after_forms() {
        assert_eq!(parse_retry_after("2", 0.0), Some(2000));
        let now = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(10_000)
        );
        assert_eq!(parse_retry_after("soon", 0.0), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [423, 429, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [200, 400, 401, 404, 409, 412, 422, 500] {
            assert!(!is_retryable_status(s));
        }
    }
}
