//! What every mode that talks to Postgres through psql/pg_dump shares: turning a failed
//! connection into one actionable line that names the input the URL came from.

use crate::error::Error;

/// psql could not connect: its message on one line (it repeats itself per address tried),
/// and what to do about the usual causes, naming the input the URL came from.
pub fn connect_error(target: &str, input: &str, shown_url: &str, stderr: &str) -> Error {
    let mut lines: Vec<String> = Vec::new();
    for line in stderr.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = line
            .strip_prefix("psql: error: ")
            .unwrap_or(line)
            .to_string();
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let said = lines.join(" ");
    let lower = said.to_ascii_lowercase();
    let setting = if input.ends_with("-url") {
        format!("`{input}`")
    } else {
        "the connection URL".to_string()
    };
    let hint = if lower.contains("password authentication failed") {
        format!("The user or password in {setting} is wrong: update the secret")
    } else if lower.contains("could not translate host name") {
        format!("The host name in {setting} does not resolve on the runner: check it for typos, and that the database is reachable from GitHub-hosted runners")
    } else if lower.contains("connection refused")
        || lower.contains("timeout expired")
        || lower.contains("no route to host")
        || lower.contains("network is unreachable")
    {
        format!("Nothing accepted the connection: check the host and port in {setting}, that the server is running, and that its firewall or IP allow-list admits the runner")
    } else if lower.contains("does not exist") {
        format!("Check the database and user names in {setting}")
    } else {
        format!("Check {setting} and that the database is reachable from the runner")
    };
    let said = if said.is_empty() {
        "psql exited without a message".to_string()
    } else {
        said
    };
    let stop = if said.ends_with(['.', '?', '!']) {
        ""
    } else {
        "."
    };
    let source = if input.ends_with("-url") {
        format!("`{input}`: {shown_url}")
    } else {
        shown_url.to_string()
    };
    Error::Failed(format!(
        "cannot connect to {target} ({source}): {said}{stop} {hint}"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn connect_errors_name_the_input_and_the_cause() {
        let e = super::connect_error(
            "production",
            "database-url",
            "postgresql://app@db:1/prod",
            "psql: error: connection to server at \"db\", port 1 failed: FATAL:  password authentication failed for user \"app\"\nconnection to server at \"db\", port 1 failed: FATAL:  password authentication failed for user \"app\"\n",
        )
        .to_string();
        assert_eq!(
            e.matches("password authentication failed").count(),
            1,
            "{e}"
        );
        assert!(
            e.contains("(`database-url`: postgresql://app@db:1/prod)"),
            "{e}"
        );
        assert!(
            e.ends_with("The user or password in `database-url` is wrong: update the secret"),
            "{e}"
        );
        let e = super::connect_error("production", "database-url", "u", "psql: error: connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n").to_string();
        assert!(e.contains("connections? Nothing accepted the connection: check the host and port in `database-url`"), "{e}");
        let e = super::connect_error("the preview branch", "migrations-path", "u", "").to_string();
        assert!(
            e.contains("(u): psql exited without a message. Check the connection URL"),
            "{e}"
        );
    }
}
