//! A tiny path glob: `*` (within one path segment), `**` (any number of
//! segments, including none), `?` (one character except `/`). Enough for
//! `exclude=` and no dependency.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
}

impl Glob {
    pub fn new(p: &str) -> Glob {
        Glob {
            pattern: p.trim().trim_start_matches("./").replace('\\', "/"),
        }
    }

    pub fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./").replace('\\', "/");
        m(self.pattern.as_bytes(), path.as_bytes())
    }
}

fn m(p: &[u8], s: &[u8]) -> bool {
    if p.starts_with(b"**") {
        let rest = &p[2..];
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        // `**/` matches zero or more whole segments.
        if m(rest, s) {
            return true;
        }
        return (0..s.len()).any(|i| (s[i] == b'/' || rest.is_empty()) && m(rest, &s[i + 1..]));
    }
    match (p.first(), s.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some(b'*'), _) => {
            // Any run of non-separator characters.
            let mut i = 0;
            loop {
                if m(&p[1..], &s[i..]) {
                    return true;
                }
                if i >= s.len() || s[i] == b'/' {
                    return false;
                }
                i += 1;
            }
        }
        (Some(b'?'), Some(c)) if *c != b'/' => m(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => m(&p[1..], &s[1..]),
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
    }
}
