//! [`Runtime`]: the host plus the secret registry. Every line the core shows a user goes
//! through here, so a secret registered once is masked with the runner *and* scrubbed from
//! our own text (error messages that echo a connection string, psql output, API bodies).

use crate::host::{Annotation, Host, Level};
use std::cell::RefCell;

pub struct Runtime<H: Host> {
    pub host: H,
    secrets: RefCell<Vec<String>>,
    /// Notices already shown: a fact about the run (an old client, say) is told once even
    /// when several phases run into it.
    told: RefCell<Vec<String>>,
    /// Bytes written to the job summary so far (GitHub refuses a step's summary over 1 MiB).
    summary_bytes: std::cell::Cell<usize>,
}

/// What a step's job summary may hold: GitHub refuses more than 1 MiB per step; the rest
/// of the budget is for the note that says where the text was cut.
pub const SUMMARY_LIMIT: usize = 1024 * 1024 - 4096;

impl<H: Host> Runtime<H> {
    pub fn new(host: H) -> Self {
        Runtime {
            host,
            secrets: RefCell::new(Vec::new()),
            told: RefCell::new(Vec::new()),
            summary_bytes: std::cell::Cell::new(0),
        }
    }

    /// Register a secret: masked with the runner before anything else can print it, and
    /// scrubbed from everything we print ourselves. URL-encoded forms are registered too,
    /// because a password inside a connection URL appears percent-encoded.
    pub fn secret(&self, value: &str) {
        if value.is_empty() || self.secrets.borrow().iter().any(|s| s == value) {
            return;
        }
        let mut forms = vec![value.to_string()];
        let encoded = crate::url::encode_component(value);
        if encoded != value {
            forms.push(encoded);
        }
        for form in forms {
            self.host.mask(&form);
            self.secrets.borrow_mut().push(form);
        }
        // Longest first, so a secret that contains another is replaced whole.
        self.secrets
            .borrow_mut()
            .sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Register a connection URL: its password and the whole URL.
    pub fn secret_url(&self, url: &str) {
        if let Some(password) = crate::url::password_of(url) {
            self.secret(&password);
        }
        self.secret(url);
    }

    /// Remove every registered secret and any `scheme://user:password@` credentials.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets.borrow().iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        crate::url::scrub_credentials(&out)
    }

    pub fn log(&self, level: Level, message: &str) {
        self.host.log(level, &self.scrub(message));
    }
    pub fn info(&self, message: &str) {
        self.log(Level::Info, message)
    }
    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message)
    }
    pub fn notice(&self, message: &str) {
        self.log(Level::Notice, message)
    }
    /// A notice shown the first time only.
    pub fn notice_once(&self, message: &str) {
        if self.told.borrow().iter().any(|m| m == message) {
            return;
        }
        self.told.borrow_mut().push(message.to_string());
        self.notice(message);
    }
    pub fn warning(&self, message: &str) {
        self.log(Level::Warning, message)
    }

    pub fn annotate(&self, level: Level, annotation: &Annotation) {
        let mut clean = annotation.clone();
        clean.message = self.scrub(&clean.message);
        clean.title = clean.title.map(|t| self.scrub(&t));
        self.host.annotate(level, &clean);
    }

    /// A non-secret output: scrubbed like any other text.
    pub fn output(&self, name: &str, value: &str) {
        self.host.set_output(name, &self.scrub(value));
    }

    /// A secret output (password, URL with credentials): masked first, then set verbatim.
    pub fn secret_output(&self, name: &str, value: &str) {
        self.secret(value);
        self.host.set_output(name, value);
    }

    /// Append to the job summary, scrubbed, and cut (with a note saying so) before it
    /// reaches GitHub's limit: a summary over the limit is refused whole.
    pub fn summary(&self, markdown: &str) {
        let text = self.scrub(markdown);
        let used = self.summary_bytes.get();
        if used >= SUMMARY_LIMIT {
            return;
        }
        let room = SUMMARY_LIMIT - used;
        let text = if text.len() > room {
            let cut = text.floor_char_boundary(room);
            format!(
                "{}\n\n> … the summary is cut here ({} bytes left out): GitHub refuses a step summary over 1 MiB. The log has everything.\n",
                &text[..cut],
                text.len() - cut
            )
        } else {
            text
        };
        self.summary_bytes.set(used + text.len());
        self.host.append_summary(&text);
    }

    pub fn group(&self, name: &str) {
        self.host.start_group(&self.scrub(name));
    }
    pub fn end_group(&self) {
        self.host.end_group();
    }
}

/// How often a long wait says it is still waiting.
pub const HEARTBEAT_MS: f64 = 15_000.0;

/// A line every 15 s while something is awaited (a Neon operation, a compute): a job that
/// prints nothing for minutes looks hung, and people cancel it.
pub struct Heartbeat {
    started: f64,
    next: f64,
}

impl Heartbeat {
    pub fn start<H: Host>(rt: &Runtime<H>) -> Heartbeat {
        let now = rt.host.now_ms();
        Heartbeat {
            started: now,
            next: now + HEARTBEAT_MS,
        }
    }

    /// Call on every poll; prints when 15 s have passed since the last line.
    pub fn tick<H: Host>(&mut self, rt: &Runtime<H>, what: &str) {
        let now = rt.host.now_ms();
        if now >= self.next {
            rt.info(&format!(
                "still waiting for {what}: {:.0} s so far",
                (now - self.started) / 1000.0
            ));
            self.next = now + HEARTBEAT_MS;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;

    #[test]
    fn a_long_wait_says_so_every_15_seconds() {
        let rt = Runtime::new(TestHost::new());
        let mut beat = Heartbeat::start(&rt);
        for _ in 0..40 {
            rt.host.clock.set(rt.host.clock.get() + 1000.0);
            beat.tick(&rt, "the compute to start");
        }
        let lines: Vec<String> = rt
            .host
            .logs
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .filter(|l| l.starts_with("still waiting"))
            .collect();
        assert_eq!(
            lines,
            vec![
                "still waiting for the compute to start: 15 s so far",
                "still waiting for the compute to start: 30 s so far"
            ]
        );
    }

    #[test]
    fn the_summary_is_cut_before_githubs_limit_and_says_so() {
        let rt = Runtime::new(TestHost::new());
        rt.summary(&"x".repeat(SUMMARY_LIMIT - 10));
        rt.summary(&"é".repeat(100));
        rt.summary("more");
        let all = rt.host.summary.borrow().clone();
        assert!(all.len() < 1024 * 1024, "{}", all.len());
        assert!(all.contains("the summary is cut here"));
        assert!(!all.ends_with("more"));
    }

    #[test]
    fn secrets_are_masked_before_use_and_scrubbed_from_text() {
        let rt = Runtime::new(TestHost::new());
        rt.secret("p@ss/word");
        assert_eq!(
            rt.host.masks.borrow().as_slice(),
            ["p@ss/word", "p%40ss%2Fword"]
        );
        rt.info("connecting with p@ss/word and p%40ss%2Fword");
        assert_eq!(rt.host.logs.borrow()[0].1, "connecting with *** and ***");
    }

    #[test]
    fn credentials_in_urls_are_scrubbed_even_when_unregistered() {
        let rt = Runtime::new(TestHost::new());
        rt.warning("psql: could not connect to postgresql://alice:hunter2@db.example.com/app");
        let line = &rt.host.logs.borrow()[0].1;
        assert!(!line.contains("hunter2"), "{line}");
        assert!(line.contains("postgresql://alice:***@db.example.com/app"));
    }

    #[test]
    fn secret_outputs_are_masked_before_they_are_set() {
        let rt = Runtime::new(TestHost::new());
        rt.secret_output("password", "s3cr3t");
        assert_eq!(rt.host.masks.borrow()[0], "s3cr3t");
        assert_eq!(rt.host.output("password").as_deref(), Some("s3cr3t"));
    }
}
