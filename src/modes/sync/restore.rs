//! pg_restore into staging: always `--no-owner --no-acl --exit-on-error` with the filtered
//! TOC list (`-L`), one section at a time so masked rows land before constraints and
//! indexes are built.

use super::clients::Client;
use super::pg::Conn;
use crate::host::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    PreData,
    Data,
    PostData,
}

impl Section {
    pub fn flag(self) -> &'static str {
        match self {
            Section::PreData => "--section=pre-data",
            Section::Data => "--section=data",
            Section::PostData => "--section=post-data",
        }
    }
}

/// `archive` None = read the archive from stdin (then `jobs` must be 1: pg_restore can
/// only run parallel jobs on a seekable archive).
pub fn restore(
    client: &Client,
    staging: &Conn,
    archive: Option<&str>,
    list: Option<&str>,
    section: Section,
    jobs: u64,
) -> Command {
    let mut cmd = Command::new(client.bin("pg_restore")).args([
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        section.flag(),
    ]);
    if let Some(list) = list {
        cmd = cmd.arg(format!("--use-list={list}"));
    }
    if jobs > 1 && archive.is_some() {
        cmd = cmd.arg(format!("--jobs={jobs}"));
    }
    cmd = cmd.args(["--dbname".to_string(), staging.dsn.clone()]);
    if let Some(a) = archive {
        cmd = cmd.arg(a);
    }
    staging.env(cmd)
}

/// `pg_restore --list`: the archive's table of contents.
pub fn list(client: &Client, archive: &str) -> Command {
    Command::new(client.bin("pg_restore")).args(["--list", archive])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_flags() {
        let client = Client {
            major: 16,
            dir: "/pg/bin".into(),
        };
        let staging = Conn::parse("staging", "x", "postgresql://o:pw@s/neondb").unwrap();
        let c = restore(
            &client,
            &staging,
            Some("/tmp/d"),
            Some("/tmp/l"),
            Section::PostData,
            4,
        );
        assert_eq!(
            c.args,
            vec![
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--section=post-data",
                "--use-list=/tmp/l",
                "--jobs=4",
                "--dbname",
                "postgresql://o@s/neondb",
                "/tmp/d"
            ]
        );
        let c = restore(&client, &staging, None, None, Section::Data, 4);
        assert!(!c.args.iter().any(|a| a.starts_with("--jobs")));
    }
}
