//! The schema diff as reviewers read it: without the action's own tracking table (every
//! preview branch has rows in it, so every diff showed it), with branch names instead of
//! ids in its header, and with a one-line summary in plain words on top. Pure text in,
//! text out: `compare_schema`'s unified diff of two `pg_dump --schema-only` texts.

/// `diff` without the statements (and `-- Name:` comment headers) that mention `table`,
/// hunks left with no change dropped; "" when nothing else differs. `names`: `(id, name)`
/// pairs replaced in the `---`/`+++` header lines.
pub fn clean(diff: &str, table: &str, names: &[(&str, &str)]) -> String {
    let mut header: Vec<String> = Vec::new();
    let mut hunks: Vec<Vec<String>> = Vec::new();
    for line in diff.lines() {
        if (line.starts_with("--- ") || line.starts_with("+++ ")) && hunks.is_empty() {
            let mut l = line.to_string();
            for (id, name) in names {
                l = l.replace(id, name);
            }
            header.push(l);
        } else if line.starts_with("@@") {
            hunks.push(vec![line.to_string()]);
        } else if let Some(h) = hunks.last_mut() {
            h.push(line.to_string());
        } else {
            header.push(line.to_string());
        }
    }
    let mut kept_hunks = Vec::new();
    for hunk in hunks {
        let kept = without_statements_on(&hunk[1..], table);
        if kept
            .iter()
            .any(|l| l.starts_with('+') || l.starts_with('-'))
        {
            let mut h = vec![hunk[0].clone()];
            h.extend(kept);
            kept_hunks.push(h);
        }
    }
    if kept_hunks.is_empty() {
        return String::new();
    }
    let mut out = header;
    for h in kept_hunks {
        out.extend(h);
    }
    out.join("\n")
}

/// Lines of a hunk grouped into SQL statements (ending at `;`) and comment lines; the
/// groups that mention `table` are left out.
fn without_statements_on(lines: &[String], table: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut group: Vec<String> = Vec::new();
    let flush = |group: &mut Vec<String>, out: &mut Vec<String>| {
        if !group.iter().any(|l| l.contains(table)) {
            out.append(group);
        }
        group.clear();
    };
    for line in lines {
        let sql = line.get(1..).unwrap_or("").trim();
        if sql.starts_with("--") || sql.is_empty() {
            flush(&mut group, &mut out);
            if !sql.contains(table) {
                out.push(line.clone());
            }
            continue;
        }
        group.push(line.clone());
        if sql.ends_with(';') {
            flush(&mut group, &mut out);
        }
    }
    flush(&mut group, &mut out);
    out
}

/// "2 tables added, 1 column added, 1 index removed": what the diff's added (`+`) and
/// removed (`-`) statements create, in plain words; None when it reads none.
pub fn summary(diff: &str) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut bump = |what: &str, how: &str| {
        let key = format!("{what} {how}");
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    };
    for line in diff.lines() {
        let (how, sql) = match line.as_bytes().first() {
            Some(b'+') if !line.starts_with("+++") => ("added", &line[1..]),
            Some(b'-') if !line.starts_with("---") => ("removed", &line[1..]),
            _ => continue,
        };
        let s = sql.trim_start().to_ascii_uppercase();
        let what = if s.starts_with("CREATE TABLE") {
            "table"
        } else if s.starts_with("CREATE UNIQUE INDEX") || s.starts_with("CREATE INDEX") {
            "index"
        } else if s.starts_with("CREATE VIEW") || s.starts_with("CREATE MATERIALIZED VIEW") {
            "view"
        } else if s.starts_with("CREATE FUNCTION") || s.starts_with("CREATE OR REPLACE FUNCTION") {
            "function"
        } else if s.starts_with("CREATE SEQUENCE") {
            "sequence"
        } else if s.starts_with("CREATE TYPE") {
            "type"
        } else if s.starts_with("ADD CONSTRAINT") {
            "constraint"
        } else if s.starts_with("CREATE TRIGGER") {
            "trigger"
        } else if s.starts_with("CREATE POLICY") {
            "policy"
        } else {
            continue;
        };
        bump(what, how);
    }
    if counts.is_empty() {
        return None;
    }
    Some(
        counts
            .iter()
            .map(|(k, n)| {
                let (what, how) = k.split_once(' ').unwrap_or((k, ""));
                format!("{n} {} {how}", plural(what, *n))
            })
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn plural(what: &str, n: usize) -> String {
    match (what, n) {
        (_, 1) => what.to_string(),
        ("index", _) => "indexes".into(),
        ("policy", _) => "policies".into(),
        _ => format!("{what}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "--- a/neondb\t(Branch: br-parent-1)
+++ b/neondb\t(Branch: br-preview-2)
@@ -10,6 +10,40 @@
 SET default_table_access_method = heap;
 
+--
+-- Name: neon_gitops_migrations; Type: TABLE; Schema: public; Owner: neondb_owner
+--
+
+CREATE TABLE public.neon_gitops_migrations (
+    id bigint NOT NULL,
+    version text NOT NULL
+);
+
+CREATE TABLE public.orders (
+    id bigint NOT NULL
+);
+
+CREATE INDEX users_email_idx ON public.users USING btree (email);
+ALTER TABLE ONLY public.neon_gitops_migrations
+    ADD CONSTRAINT neon_gitops_migrations_pkey PRIMARY KEY (id);
@@ -80,3 +114,6 @@
+ALTER TABLE public.neon_gitops_migrations ALTER COLUMN id SET DEFAULT nextval('public.neon_gitops_migrations_id_seq'::regclass);
";

    #[test]
    fn the_tracking_table_and_empty_hunks_are_left_out_and_branches_named() {
        let c = clean(
            DIFF,
            "neon_gitops_migrations",
            &[("br-parent-1", "main"), ("br-preview-2", "preview/pr-7")],
        );
        assert!(!c.contains("neon_gitops_migrations"), "{c}");
        assert!(
            c.contains("+CREATE TABLE public.orders (")
                && c.contains("+CREATE INDEX users_email_idx"),
            "{c}"
        );
        assert!(
            c.contains("(Branch: main)") && c.contains("(Branch: preview/pr-7)"),
            "{c}"
        );
        assert_eq!(
            c.matches("@@").count(),
            2,
            "the second hunk had only the tracking table: {c}"
        );
        let only_tracking = "--- a\n+++ b\n@@ -1 +1,3 @@\n+CREATE TABLE public.neon_gitops_migrations (\n+    id bigint\n+);\n";
        assert_eq!(clean(only_tracking, "neon_gitops_migrations", &[]), "");
    }

    #[test]
    fn summary_in_plain_words() {
        let c = clean(DIFF, "neon_gitops_migrations", &[]);
        assert_eq!(summary(&c).as_deref(), Some("1 table added, 1 index added"));
        assert_eq!(
            summary(
                "--- a\n+++ b\n@@ -1 +1 @@\n-CREATE INDEX a ON t (x);\n-CREATE INDEX b ON t (y);\n"
            )
            .as_deref(),
            Some("2 indexes removed")
        );
        assert_eq!(summary(""), None);
    }
}
