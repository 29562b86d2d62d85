//! What every mode that talks to Postgres through psql/pg_dump shares: finding the client
//! programs by absolute path, reading their versions, and turning a failed connection into
//! one actionable line that names the input the URL came from.

pub mod install;

use crate::error::Error;
use crate::host::{DirEntry, EntryKind, Host};

/// Where Debian and Ubuntu (and so GitHub's runners) install each major's client programs:
/// `/usr/lib/postgresql/<major>/bin`. The `psql`/`pg_dump` on PATH there is a wrapper that
/// picks a version on its own, so the modes pick by absolute path instead.
pub const CLIENT_ROOT: &str = "/usr/lib/postgresql";

/// `(major, bin directory)` of every installed client that has `program`, highest first.
pub fn installed(entries: &[DirEntry], program: &str) -> Vec<(u32, String)> {
    let mut found: Vec<(u32, String)> = entries
        .iter()
        .filter(|e| e.kind != EntryKind::Dir)
        .filter_map(|e| {
            let mut parts = e.path.split('/');
            let (major, bin, file) = (parts.next()?, parts.next()?, parts.next()?);
            (bin == "bin" && file == program && parts.next().is_none()).then_some(())?;
            Some((major.parse().ok()?, format!("{CLIENT_ROOT}/{major}/bin")))
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found
}

/// [`installed`] on this machine (none when the directory is missing).
pub fn find_installed<H: Host>(host: &H, program: &str) -> Vec<(u32, String)> {
    installed(&host.walk(CLIENT_ROOT).unwrap_or_default(), program)
}

/// `psql (PostgreSQL) 16.4 (Ubuntu 16.4-1)` → ("16.4", 16); `pg_dump (PostgreSQL) 9.6.24`
/// → ("9.6.24", 9); `17beta1` → ("17beta1", 17).
pub fn parse_client_version(out: &str) -> Option<(String, u32)> {
    let v = out
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let v = v.trim_end_matches(|c: char| !c.is_ascii_digit());
    let major = v.split(['.', 'b', 'r', 'd']).next()?.parse().ok()?;
    Some((v.to_string(), major))
}

/// `server_version_num` (150018, 90624) → major (15, 9).
pub fn server_major(num: u32) -> u32 {
    num / 10_000
}

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
    use super::*;

    fn file(path: &str) -> DirEntry {
        DirEntry {
            path: path.into(),
            kind: EntryKind::File,
            size: 1,
            target: None,
        }
    }

    #[test]
    fn finds_the_newest_client_that_has_the_program() {
        let entries = [
            file("9.6/bin/psql"),
            file("14/bin/pg_dump"),
            file("16/bin/psql"),
            file("16/bin/pg_dump"),
            file("15/lib/pg_dump"),
            file("17/bin/psql"),
            DirEntry {
                kind: EntryKind::Dir,
                ..file("18/bin/pg_dump")
            },
        ];
        assert_eq!(
            installed(&entries, "pg_dump"),
            [
                (16, "/usr/lib/postgresql/16/bin".to_string()),
                (14, "/usr/lib/postgresql/14/bin".to_string())
            ]
        );
        let psql: Vec<u32> = installed(&entries, "psql").iter().map(|c| c.0).collect();
        assert_eq!(psql, [17, 16]);
    }

    #[test]
    fn versions() {
        assert_eq!(
            parse_client_version("psql (PostgreSQL) 16.4 (Ubuntu 16.4-1.pgdg24.04+1)\n"),
            Some(("16.4".into(), 16))
        );
        assert_eq!(
            parse_client_version("pg_dump (PostgreSQL) 9.6.24"),
            Some(("9.6.24".into(), 9))
        );
        assert_eq!(
            parse_client_version("psql (PostgreSQL) 17beta1"),
            Some(("17beta1".into(), 17))
        );
        assert_eq!(parse_client_version("garbage"), None);
        assert_eq!(server_major(150018), 15);
        assert_eq!(server_major(90624), 9);
    }

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
