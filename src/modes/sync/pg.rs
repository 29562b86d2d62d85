//! Connections and the client commands that use them. A password travels in `PGPASSWORD`
//! (the process environment), never in argv, where `ps` would show it.

use super::clients::Client;
use crate::error::{Error, Result};
use crate::host::{Command, Host, ProcessStatus};
use crate::runtime::Runtime;
use crate::url::PgUrl;

#[derive(Debug, Clone)]
pub struct Conn {
    /// What to call it in messages: "production", "staging", "the twin".
    pub label: String,
    /// The input the URL came from (`source-url`, `target-url`, `twin-branch`): named
    /// when the connection fails.
    pub input: String,
    /// The URL without its password: safe for argv.
    pub dsn: String,
    pub password: Option<String>,
    pub database: String,
    url: PgUrl,
}

impl Conn {
    pub fn parse(label: &str, input: &str, url: &str) -> Result<Conn> {
        let parsed = PgUrl::parse(url).filter(|u| !u.host.is_empty()).ok_or_else(|| {
            Error::input(
                input,
                "is not a connection URL: use postgresql://user:password@host[:port]/database[?sslmode=require]",
            )
        })?;
        Ok(Conn::from_parts(label, input, parsed))
    }

    fn from_parts(label: &str, input: &str, url: PgUrl) -> Conn {
        Conn {
            label: label.to_string(),
            input: input.to_string(),
            dsn: url.without_password(),
            password: url.password.clone().filter(|p| !p.is_empty()),
            database: url.database.clone(),
            url,
        }
    }

    /// The same server and credentials, another database.
    pub fn with_database(&self, label: &str, database: &str) -> Conn {
        let mut url = self.url.clone();
        url.database = database.to_string();
        Conn::from_parts(label, &self.input, url)
    }

    /// Add the connection's environment to a command.
    pub fn env(&self, mut command: Command) -> Command {
        if let Some(p) = &self.password {
            command = command.env("PGPASSWORD", p);
        }
        command
            .env("PGAPPNAME", "neon-gitops sync")
            .env("PGCONNECT_TIMEOUT", "30")
            .env("PGOPTIONS", self.session_options())
            // One explicit encoding on both ends of every COPY pipe: left to the runner's
            // locale (SQL_ASCII under LC_ALL=C), a LATIN1 production's bytes would reach
            // the twin unconverted, and be refused or reinterpreted. Every server encoding
            // converts to and from UTF8; pg_dump's archives carry their own.
            .env("PGCLIENTENCODING", "UTF8")
    }

    /// What pg_dump sets in its own sessions, set in every session the sync opens (snapshot
    /// holder, COPY pipes, counts), so role-level settings common on production roles
    /// cannot break them: a `statement_timeout` cancelling a long COPY, an
    /// `idle_in_transaction_session_timeout` killing the snapshot holder while the copy
    /// runs ("invalid snapshot identifier"), a `lock_timeout`. On production also
    /// `row_security=off`, as pg_dump: with FORCE ROW LEVEL SECURITY a read would silently
    /// return only the rows the policies show; off, a role that cannot bypass RLS gets an
    /// error instead of a short copy. A URL's own `options` parameter takes precedence.
    fn session_options(&self) -> String {
        let mut o = String::from(
            "-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0",
        );
        if self.input == "source-url" {
            o.push_str(" -c row_security=off");
        }
        o
    }

    /// psql, quiet, unaligned, tab-separated, stopping at the first error; one `-c` each.
    pub fn psql<S: AsRef<str>>(&self, client: &Client, commands: &[S]) -> Command {
        let mut cmd = Command::new(client.bin("psql")).args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-F",
            "\t",
            "-d",
            &self.dsn,
        ]);
        for c in commands {
            cmd = cmd.arg("-c").arg(c.as_ref());
        }
        self.env(cmd)
    }
}

/// The interesting part of a client's stderr: its ERROR/FATAL lines and what follows them.
/// Postgres puts row values into some error lines (`DETAIL:  Key (email)=(alice@…)
/// already exists`, `Failing row contains (…)`, `CONTEXT:  COPY t, line 3: "…"`); in a
/// sync they may be values of masked columns, and the error goes to the log, the summary
/// and Slack. The values are cut, the rest of the line (which constraint, which column,
/// which line) is kept.
fn redact_values(line: &str) -> String {
    if let Some(i) = line.find(")=(") {
        return format!("{}=(…)", &line[..i + 1]);
    }
    for marker in ["Failing row contains ", ": \""] {
        if let Some(i) = line.find(marker) {
            if marker == "Failing row contains " || line.contains("COPY ") {
                return format!("{}…", &line[..i + marker.len()]);
            }
        }
    }
    line.to_string()
}

pub fn error_text(stderr: &str) -> String {
    let redacted: Vec<String> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(redact_values)
        .collect();
    let lines: Vec<&str> = redacted.iter().map(String::as_str).collect();
    let first = lines
        .iter()
        .position(|l| l.contains("ERROR") || l.contains("FATAL") || l.contains("error:"))
        .unwrap_or(0);
    let text = lines[first..]
        .iter()
        .take(12)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let text = if text.len() > 2000 {
        format!("{}…", &text[..text.floor_char_boundary(2000)])
    } else {
        text
    };
    if text.contains("row-level security policy") {
        // Reading with row_security=off (as pg_dump does) refuses instead of copying only
        // the rows the policies show: say how to get every row.
        return format!("{text}\nThe role in `source-url` cannot bypass row-level security on that table (it has FORCE ROW LEVEL SECURITY, or the role does not own it), so a copy would miss rows. Use a role with BYPASSRLS (a superuser grants it: `ALTER ROLE <role> BYPASSRLS`), as pg_dump itself needs");
    }
    text
}

/// `statements` as psql commands that first adopt production's exported snapshot `id`,
/// so that they read exactly what the dump reads.
pub fn in_snapshot(id: &str, statements: &[&str]) -> Vec<String> {
    let mut commands = vec![
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string(),
        format!(
            "SET TRANSACTION SNAPSHOT {}",
            super::catalog::quote_literal(id)
        ),
    ];
    commands.extend(statements.iter().map(|s| s.to_string()));
    commands.push("COMMIT".to_string());
    commands
}

/// Run SQL on a connection; stdout on success, the client's error otherwise.
pub async fn query<H: Host, S: AsRef<str>>(
    rt: &Runtime<H>,
    client: &Client,
    conn: &Conn,
    commands: &[S],
) -> Result<String> {
    let out = rt.host.run(&conn.psql(client, commands)).await?;
    if out.success() {
        Ok(out.stdout)
    } else {
        Err(Error::Failed(format!(
            "query on {} failed: {}",
            conn.label,
            rt.scrub(&error_text(&out.stderr))
        )))
    }
}

/// Wait for a background pipeline, calling `tick` every `every_ms` while it runs.
pub async fn wait_with<H: Host>(
    rt: &Runtime<H>,
    handle: u32,
    every_ms: u64,
    mut tick: impl FnMut(&ProcessStatus),
) -> ProcessStatus {
    loop {
        let status = rt.host.wait(handle, every_ms).await;
        if status.done {
            return status;
        }
        tick(&status);
    }
}

/// Describe a failed pipeline: the first process that failed and its error.
pub fn pipeline_error<H: Host>(
    rt: &Runtime<H>,
    what: &str,
    names: &[&str],
    status: &ProcessStatus,
) -> Error {
    let failed = status.codes.iter().position(|c| *c != Some(0)).unwrap_or(0);
    let said: Vec<usize> = (0..status.codes.len())
        .filter(|i| {
            status.codes[*i] != Some(0)
                && !status.stderr.get(*i).is_none_or(|s| s.trim().is_empty())
        })
        .collect();
    // With `a | b`: when b fails, a dies of a broken pipe, so b's error is the real one;
    // when a fails, b only sees its input end early ("could not read from input file"),
    // so a's is. The cause is the first process that failed for a reason of its own.
    let broken_pipe = |i: &usize| {
        let e = status.stderr[*i].to_ascii_lowercase();
        e.contains("broken pipe") || e.contains("could not write to output")
    };
    let culprit = said
        .iter()
        .copied()
        .find(|i| !broken_pipe(i))
        .or_else(|| said.last().copied())
        .unwrap_or(failed);
    let name = names.get(culprit).copied().unwrap_or("process");
    let stderr = status.stderr.get(culprit).cloned().unwrap_or_default();
    let code = match status.codes.get(culprit).copied().flatten() {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".to_string(),
    };
    Error::Failed(format!(
        "{what} failed: {name} ended with {code}: {}",
        rt.scrub(&error_text(&stderr))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_values_never_reach_an_error() {
        let t = error_text("psql: ERROR:  duplicate key value violates unique constraint \"users_email_key\"\nDETAIL:  Key (email)=(alice@prod-mail.com) already exists.\nCONTEXT:  COPY users, line 3: \"3\talice@prod-mail.com\tAlice\"\n");
        assert!(!t.contains("alice"), "{t}");
        assert!(t.contains("DETAIL:  Key (email)=(…)"), "{t}");
        assert!(t.contains("CONTEXT:  COPY users, line 3: \"…"), "{t}");
        let t = error_text("ERROR:  new row for relation \"orders\" violates check constraint \"c\"\nDETAIL:  Failing row contains (7, secret-value).\n");
        assert!(
            !t.contains("secret-value") && t.contains("Failing row contains …"),
            "{t}"
        );
        let t = error_text("ERROR:  insert or update on table \"orders\" violates foreign key constraint \"fk\"\nDETAIL:  Key (user_email)=(bob@prod-mail.com) is not present in table \"users\".\n");
        assert!(!t.contains("bob@"), "{t}");
    }

    #[test]
    fn a_pipeline_error_is_the_process_that_caused_it() {
        let rt = Runtime::new(crate::host::testing::TestHost::new());
        // Both processes of `pg_dump | pg_restore` failed, with these messages.
        let both_failed = |dump: &str, restore: &str| {
            let status = ProcessStatus {
                done: true,
                codes: vec![Some(1), Some(1)],
                stdout: String::new(),
                stderr: vec![dump.to_string(), restore.to_string()],
            };
            pipeline_error(&rt, "copying data", &["pg_dump", "pg_restore"], &status).to_string()
        };
        // pg_dump fails: pg_restore only sees its input end.
        let e = both_failed(
            "pg_dump: error: query would be affected by row-level security policy for table \"orders\"",
            "pg_restore: error: could not read from input file: end of file",
        );
        assert!(
            e.contains("pg_dump ended with exit code 1") && e.contains("row-level security"),
            "{e}"
        );
        // pg_restore fails: pg_dump dies of the broken pipe.
        let e = both_failed(
            "pg_dump: error: could not write to output file: Broken pipe",
            "pg_restore: error: could not execute query: ERROR:  boom",
        );
        assert!(
            e.contains("pg_restore ended with exit code 1") && e.contains("boom"),
            "{e}"
        );
    }

    #[test]
    fn password_travels_in_the_environment() {
        let conn = Conn::parse(
            "production",
            "source-url",
            "postgresql://app:s3cret@db.example.com:5432/prod?sslmode=require",
        )
        .unwrap();
        let client = Client {
            major: 16,
            dir: "/usr/lib/postgresql/16/bin".into(),
        };
        let cmd = conn.psql(&client, &["SELECT 1"]);
        assert!(
            cmd.args.iter().all(|a| !a.contains("s3cret")),
            "{:?}",
            cmd.args
        );
        assert!(cmd
            .args
            .contains(&"postgresql://app@db.example.com:5432/prod?sslmode=require".to_string()));
        assert!(cmd.env.contains(&("PGPASSWORD".into(), "s3cret".into())));
        let other = conn.with_database("maintenance", "postgres");
        assert_eq!(
            other.dsn,
            "postgresql://app@db.example.com:5432/postgres?sslmode=require"
        );
        assert!(Conn::parse("x", "target-url", "host=db user=x").is_err());
    }

    #[test]
    fn error_text_starts_at_the_error() {
        let t = error_text("pg_restore: processing item 5\npg_restore: error: could not execute query: ERROR:  boom\nCommand was: CREATE TABLE x ();\n");
        assert!(
            t.starts_with("pg_restore: error") && t.contains("Command was"),
            "{t}"
        );
    }
}
