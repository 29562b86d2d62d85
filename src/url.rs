//! Connection-URL helpers: building Postgres URLs and keeping their credentials out of text.
//!
//! Percent-encoding is the `percent-encoding` crate's (the `url` crate's own, linked through
//! reqwest). Postgres URLs are split here rather than by `url::Url`: libpq accepts several
//! hosts in one URL (`postgresql://u@h1:5432,h2:5432/db`, for failover), which `url::Url`
//! rejects as an invalid port; the split below keeps them as written.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything outside RFC 3986's unreserved set is encoded (for userinfo and paths).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

pub fn decode_component(value: &str) -> String {
    percent_decode_str(value).decode_utf8_lossy().into_owned()
}

/// The parts of a `postgres://` / `postgresql://` URL the action needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    pub user: String,
    pub password: Option<String>,
    /// host or host:port as written.
    pub host: String,
    pub database: String,
    pub query: String,
}

impl PgUrl {
    pub fn parse(url: &str) -> Option<PgUrl> {
        let rest = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (userinfo, host) = match authority.rfind('@') {
            Some(i) => (&authority[..i], &authority[i + 1..]),
            None => ("", authority),
        };
        let (user, password) = match userinfo.find(':') {
            Some(i) => (&userinfo[..i], Some(decode_component(&userinfo[i + 1..]))),
            None => (userinfo, None),
        };
        let (db, query) = match path.find('?') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (path, ""),
        };
        Some(PgUrl {
            user: decode_component(user),
            password,
            host: host.to_string(),
            database: decode_component(db.trim_start_matches('/')),
            query: query.to_string(),
        })
    }

    /// The URL without its password: what psql gets on its command line (the password
    /// travels in PGPASSWORD, where `ps` cannot see it).
    pub fn without_password(&self) -> String {
        let mut url = format!(
            "postgresql://{}@{}/{}",
            encode_component(&self.user),
            self.host,
            encode_component(&self.database)
        );
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url
    }
}

pub fn password_of(url: &str) -> Option<String> {
    PgUrl::parse(url)
        .and_then(|u| u.password)
        .filter(|p| !p.is_empty())
}

/// Build `postgresql://user:password@host/db?sslmode=require`.
pub fn build_pg_url(user: &str, password: &str, host: &str, database: &str) -> String {
    format!(
        "postgresql://{}:{}@{}/{}?sslmode=require",
        encode_component(user),
        encode_component(password),
        host,
        encode_component(database)
    )
}

/// Replace the password of every `scheme://user:password@` in free text with `***`.
pub fn scrub_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // userinfo ends at '@' before any '/', whitespace or quote.
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                let userinfo = &tail[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rebuilds_without_password() {
        let u = PgUrl::parse(
            "postgresql://neondb_owner:p%40ss@ep-x.localhost:5433/neondb?sslmode=require",
        )
        .unwrap();
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(u.host, "ep-x.localhost:5433");
        assert_eq!(u.database, "neondb");
        assert_eq!(
            u.without_password(),
            "postgresql://neondb_owner@ep-x.localhost:5433/neondb?sslmode=require"
        );
    }

    #[test]
    fn build_encodes_credentials() {
        assert_eq!(
            build_pg_url("a b", "p@ss:/", "h", "d"),
            "postgresql://a%20b:p%40ss%3A%2F@h/d?sslmode=require"
        );
    }

    #[test]
    fn scrubs_credentials_in_free_text() {
        assert_eq!(
            scrub_credentials("x postgres://u:pw@h/db and https://tok@github y"),
            "x postgres://u:***@h/db and https://tok@github y"
        );
        assert_eq!(scrub_credentials("no urls here"), "no urls here");
    }

    #[test]
    fn keeps_several_hosts_as_libpq_reads_them() {
        let u = PgUrl::parse("postgresql://u:p%25w@h1:5432,h2:5433/app%20db").unwrap();
        assert_eq!(u.host, "h1:5432,h2:5433");
        assert_eq!(u.password.as_deref(), Some("p%w"));
        assert_eq!(u.database, "app db");
        assert_eq!(decode_component("%zz%41"), "%zzA");
        assert_eq!(encode_component("é/~"), "%C3%A9%2F~");
    }
}
