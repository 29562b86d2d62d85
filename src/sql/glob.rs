//! A tiny path glob: `*` (within one path segment), `**` (any number of
//! segments, including none), `?` (one character except `/`). Enough for
//! `exclude=` and no dependency.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    /// squawk's `excluded_paths` semantics (the `glob` crate's defaults): `*`
    /// and `?` also match `/`, and a pattern without `/` also matches the
    /// file name alone (squawk matches paths as given on its command line,
    /// often from inside the migrations folder).
    squawk: bool,
}

impl Glob {
    pub fn new(p: &str) -> Glob {
        Glob {
            pattern: p.trim().trim_start_matches("./").replace('\\', "/"),
            squawk: false,
        }
    }

    /// A `.squawk.toml` `excluded_paths` entry.
    pub fn squawk(p: &str) -> Glob {
        Glob {
            squawk: true,
            ..Glob::new(p)
        }
    }

    /// A glob of files inside the repository (`migrations-path`), checked: relative,
    /// never leaving the checkout, and only the syntax [`Glob::matches`] understands (a
    /// `[0-9]` or `{a,b}` would otherwise match nothing, silently). The error says what
    /// to write instead.
    pub fn repository_path(p: &str) -> Result<Glob, String> {
        let g = Glob::new(p);
        let pattern = g.pattern.as_str();
        let example = "e.g. `migrations/**/*.sql`";
        if pattern.is_empty() {
            return Err(format!(
                "is empty: give a glob of migration files, {example}"
            ));
        }
        if pattern.starts_with('/') || pattern.as_bytes().get(1) == Some(&b':') {
            return Err(format!(
                "is an absolute path: write it relative to the repository root, {example}"
            ));
        }
        if pattern.split('/').any(|s| s == "..") {
            return Err(format!(
                "leaves the repository (`..`): migrations must live in the checkout, {example}"
            ));
        }
        if pattern.contains(['[', ']', '{', '}']) {
            return Err(format!("uses `[…]` or `{{…}}`, which are not supported: use `*` (any name within a folder), `**` (any number of folders) and `?` (one character), {example}"));
        }
        if pattern.split('/').any(|s| s.contains("**") && s != "**") {
            return Err(format!(
                "has `**` inside a name: `**` must be a whole path segment, {example}"
            ));
        }
        if pattern.ends_with('/') || pattern.split('/').any(str::is_empty) {
            return Err(format!(
                "names a folder (or has an empty segment): add the files' pattern, {example}"
            ));
        }
        Ok(g)
    }

    pub fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./").replace('\\', "/");
        // `**` would match `..` segments: a path that climbs out never matches.
        if path.split('/').any(|s| s == "..") {
            return false;
        }
        let p = self.pattern.as_bytes();
        if self.squawk && !self.pattern.contains('/') {
            let name = path.rsplit('/').next().unwrap_or(&path);
            if m(p, name.as_bytes(), true) {
                return true;
            }
        }
        m(p, path.as_bytes(), self.squawk)
    }
}

/// `cross`: `*` and `?` match `/` too (squawk's patterns).
fn m(p: &[u8], s: &[u8], cross: bool) -> bool {
    if p.starts_with(b"**") {
        let rest = &p[2..];
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        // `**/` matches zero or more whole segments.
        if m(rest, s, cross) {
            return true;
        }
        return (0..s.len())
            .any(|i| (s[i] == b'/' || rest.is_empty()) && m(rest, &s[i + 1..], cross));
    }
    match (p.first(), s.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some(b'*'), _) => {
            // Any run of non-separator characters.
            let mut i = 0;
            loop {
                if m(&p[1..], &s[i..], cross) {
                    return true;
                }
                if i >= s.len() || (s[i] == b'/' && !cross) {
                    return false;
                }
                i += 1;
            }
        }
        (Some(b'?'), Some(c)) if *c != b'/' || cross => m(&p[1..], &s[1..], cross),
        (Some(a), Some(b)) if a == b => m(&p[1..], &s[1..], cross),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = |p: &str, s: &str| Glob::new(p).matches(s);
        assert!(g("migrations/legacy/**", "migrations/legacy/a/b.sql"));
        assert!(g("**/*.sql", "a.sql"));
        assert!(g("**/*.sql", "x/y/a.sql"));
        assert!(g("m/*.sql", "m/a.sql"));
        assert!(!g("m/*.sql", "m/x/a.sql"));
        assert!(g("m/**/a.sql", "m/a.sql"));
        assert!(g("m/?.sql", "m/a.sql"));
        assert!(!g("m/?.sql", "m/ab.sql"));
        assert!(g("./m/a.sql", "m/a.sql"));
        assert!(!g("m/**/*.sql", "m/../../etc/x.sql"));
    }

    #[test]
    fn squawk_globs_cross_folders_and_match_names() {
        let g = |p: &str, s: &str| Glob::squawk(p).matches(s);
        assert!(g("*user_ids.sql", "migrations/005_user_ids.sql"));
        assert!(g("005_user_ids.sql", "migrations/005_user_ids.sql"));
        assert!(g("migrations/*", "migrations/a/b.sql"));
        assert!(!g("other/*", "migrations/a.sql"));
        assert!(!g("*.sql", "m/../x.sql"));
    }

    #[test]
    fn repository_paths() {
        for ok in [
            "migrations/**/*.sql",
            "./db/migrate/*.sql",
            "prisma/migrations/*/migration.sql",
            "*.sql",
            "m/**",
        ] {
            assert!(Glob::repository_path(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("", "empty"),
            ("/etc/**/*.sql", "absolute"),
            ("C:/db/*.sql", "absolute"),
            ("../x/**", "leaves the repository"),
            ("migrations/../../x/*.sql", "leaves the repository"),
            ("migrations/[0-9]*.sql", "not supported"),
            ("migrations/{a,b}/*.sql", "not supported"),
            ("migrations/a**/*.sql", "whole path segment"),
            ("migrations/", "names a folder"),
            ("migrations//x.sql", "empty segment"),
        ] {
            let e = Glob::repository_path(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
