//! What a sync tells people: step outputs, the job summary and a Slack message. Built from
//! names and numbers only: never a URL or a password (and everything still goes through
//! the runtime's scrubber on the way out).

use super::phases::verify::{Content, TableRows};
use serde_json::{json, Value};

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The twin, as people know it: branch name or database name.
    pub twin: String,
    pub transfer: String,
    pub jobs: u64,
    pub phases: Vec<(String, f64)>,
    pub tables: Vec<TableRows>,
    pub excluded: Vec<String>,
    pub masked: Vec<String>,
    pub dropped: Vec<(String, String)>,
    pub missing_extensions: Vec<String>,
    pub sequences_advanced: usize,
    /// Definitions (columns, constraints, indexes, …) found equal in staging.
    pub definitions_compared: usize,
    pub backup: Option<String>,
    pub bytes: u64,
    pub duration_ms: f64,
    pub notes: Vec<String>,
    /// `(phase, message)` when the sync failed.
    pub failure: Option<(String, String)>,
    pub run_url: Option<String>,
}

pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

pub fn seconds(ms: f64) -> String {
    format!("{:.1} s", ms / 1000.0)
}

/// Slack's `section` text is limited to 3000 characters; keep well under.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Lines of a COPY error's CONTEXT can quote a row of production data: never sent to Slack.
fn without_row_data(message: &str) -> String {
    message
        .lines()
        .filter(|l| !(l.contains("CONTEXT:") && l.contains("COPY")))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Report {
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|t| t.staging.unwrap_or(0)).sum()
    }

    pub fn headline(&self) -> String {
        match &self.failure {
            None => format!(
                "Neon Twin `{}` refreshed from production: {} tables, {} rows, {} in {}{}",
                self.twin,
                self.tables.len(),
                self.rows(),
                human_bytes(self.bytes),
                seconds(self.duration_ms),
                self.backup
                    .as_ref()
                    .map(|b| format!(" (previous state kept as `{b}`)"))
                    .unwrap_or_default()
            ),
            Some((phase, _)) => format!(
                "Neon Twin `{}` sync failed during {phase}; the twin was left unchanged",
                self.twin
            ),
        }
    }

    pub fn summary_markdown(&self) -> String {
        let mut md = String::new();
        let icon = if self.failure.is_some() { "❌" } else { "✅" };
        md.push_str(&format!(
            "## {icon} neon-gitops sync\n\n{}\n\n",
            self.headline()
        ));
        if let Some((_, message)) = &self.failure {
            md.push_str(&format!("```\n{}\n```\n\n", message.replace("```", "'''")));
        }
        if !self.phases.is_empty() {
            md.push_str(&format!(
                "Fast path: `{}`, {} jobs\n\n| Phase | Time |\n| --- | ---: |\n",
                self.transfer, self.jobs
            ));
            for (name, ms) in &self.phases {
                md.push_str(&format!("| {name} | {} |\n", seconds(*ms)));
            }
            md.push('\n');
        }
        if !self.tables.is_empty() {
            let compared = self
                .tables
                .iter()
                .filter(|t| t.content != Content::NotCompared)
                .count();
            md.push_str(&format!(
                "<details><summary>Verification: {} tables' rows counted{}{} in the dump's snapshot and in staging</summary>\n\n| Table | Production | Twin | Content | |\n| --- | ---: | ---: | --- | --- |\n",
                self.tables.len(),
                if compared > 0 { format!(", {compared} fingerprinted") } else { String::new() },
                if self.definitions_compared > 0 {
                    format!(", {} definitions compared", self.definitions_compared)
                } else {
                    String::new()
                }
            ));
            for t in &self.tables {
                let note = match (t.masked, t.data_excluded, t.staging == Some(t.expected)) {
                    (_, _, false) => "**mismatch**",
                    (true, _, _) => "masked",
                    (_, true, _) => "data excluded",
                    _ => "",
                };
                let content = match (t.content, t.masked) {
                    (Content::Same, true) => "same after masking",
                    (Content::Same, false) => "same",
                    (Content::Differs, _) => "**differs**",
                    (Content::NotCompared, _) => "—",
                };
                md.push_str(&format!(
                    "| `{}` | {} | {} | {content} | {note} |\n",
                    t.table,
                    t.source,
                    t.staging
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "—".into())
                ));
            }
            md.push_str("\n</details>\n\n");
        }
        if !self.masked.is_empty() {
            md.push_str(&format!(
                "Masked: {}\n\n",
                self.masked
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.excluded.is_empty() {
            md.push_str(&format!("Excluded: {}\n\n", self.excluded.join(", ")));
        }
        if !self.missing_extensions.is_empty() {
            md.push_str(&format!(
                "⚠️ Extensions production uses that the target does not offer (not created): {}\n\n",
                self.missing_extensions.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        if !self.dropped.is_empty() {
            // Counted by reason, so what was left out reads at a glance.
            let mut reasons: Vec<(&str, usize)> = Vec::new();
            for (_, why) in &self.dropped {
                match reasons.iter_mut().find(|(r, _)| r == why) {
                    Some((_, n)) => *n += 1,
                    None => reasons.push((why, 1)),
                }
            }
            md.push_str(&format!(
                "<details><summary>Left out of the copy: {}</summary>\n\n",
                reasons
                    .iter()
                    .map(|(why, n)| format!("{n} × {why}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            for (what, why) in &self.dropped {
                md.push_str(&format!("- `{what}`: {why}\n"));
            }
            md.push_str("\n</details>\n\n");
        }
        if self.sequences_advanced > 0 {
            md.push_str(&format!("{} sequences advanced to production's values (masked tables' rows carry no setval).\n\n", self.sequences_advanced));
        }
        for note in &self.notes {
            md.push_str(&format!("> {note}\n\n"));
        }
        md
    }

    /// Slack incoming-webhook payload: `text` (notifications) + `blocks` (the message).
    pub fn slack_payload(&self) -> Value {
        let mut blocks = vec![json!({
            "type": "header",
            "text": { "type": "plain_text", "text": clip(if self.failure.is_some() { "❌ Neon Twin sync failed" } else { "✅ Neon Twin refreshed" }, 140) }
        })];
        blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": clip(&self.headline(), 2900) } }));
        if let Some((_, message)) = &self.failure {
            blocks.push(json!({
                "type": "section",
                "text": { "type": "mrkdwn", "text": clip(&format!("```{}```", without_row_data(message)), 2900) }
            }));
        }
        let mut context = vec![format!(
            "{} tables · {} rows · {}",
            self.tables.len(),
            self.rows(),
            seconds(self.duration_ms)
        )];
        if let Some(url) = &self.run_url {
            context.push(format!("<{url}|workflow run>"));
        }
        blocks.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": clip(&context.join(" · "), 2900) }] }));
        json!({ "text": self.headline(), "blocks": blocks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            twin: "twin".into(),
            transfer: "stream".into(),
            jobs: 2,
            phases: vec![("dump + restore".into(), 1500.0)],
            tables: vec![TableRows {
                table: "public.users".into(),
                source: 3,
                expected: 3,
                staging: Some(3),
                masked: true,
                data_excluded: false,
                content: Content::Same,
            }],
            masked: vec!["users.email".into()],
            backup: Some("twin_old_1".into()),
            bytes: 2_500_000,
            duration_ms: 4200.0,
            ..Default::default()
        }
    }

    #[test]
    fn success_summary_and_slack() {
        let r = report();
        let md = r.summary_markdown();
        assert!(
            md.contains("✅")
                && md.contains("twin_old_1")
                && md.contains("| `public.users` | 3 | 3 | same after masking | masked |"),
            "{md}"
        );
        let slack = r.slack_payload();
        assert!(slack["text"]
            .as_str()
            .unwrap()
            .contains("1 tables, 3 rows, 2.5 MB in 4.2 s"));
        assert_eq!(slack["blocks"][0]["type"], "header");
    }

    #[test]
    fn failure_message_never_quotes_copied_rows() {
        let mut r = report();
        r.failure = Some((
            "restore".into(),
            "ERROR: duplicate key\nCONTEXT:  COPY users, line 1: \"alice@example.com\"".into(),
        ));
        let slack = r.slack_payload().to_string();
        assert!(slack.contains("failed during restore") && slack.contains("duplicate key"));
        assert!(!slack.contains("alice@example.com"), "{slack}");
    }
}
