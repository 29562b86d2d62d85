//! Preview branch names. The head ref is attacker-controlled on fork PRs, so it is reduced
//! to characters Neon accepts and that read safely anywhere (logs, Markdown, URLs).

/// Neon's limit on branch names.
pub const MAX_BRANCH_NAME: usize = 256;
pub const DEFAULT_TEMPLATE: &str = "preview/pr-{pr}-{ref}";

/// Expand `{pr}`, `{ref}`, `{sha}` (short) and sanitise the result. Stable across pushes
/// unless the template asks for `{sha}`.
pub fn branch_name(template: &str, pr: u64, head_ref: &str, head_sha: &str) -> String {
    let short_sha: String = head_sha.chars().take(7).collect();
    let expanded = template
        .replace("{pr}", &pr.to_string())
        .replace("{ref}", &sanitize(head_ref))
        .replace("{sha}", &sanitize(&short_sha));
    let mut name = sanitize(&expanded);
    if name.is_empty() {
        name = format!("preview/pr-{pr}");
    }
    name
}

/// Keep `[A-Za-z0-9._/-]`, turn every other run of characters into one `-`, drop leading
/// and trailing separators, cap at Neon's 256 bytes (all ASCII after this, so bytes = chars).
pub fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_BRANCH_NAME));
    let mut pending_dash = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-') {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c);
        } else {
            pending_dash = true;
        }
        if out.len() >= MAX_BRANCH_NAME {
            break;
        }
    }
    out.truncate(MAX_BRANCH_NAME);
    // No empty path segments or dot-segments: `a//b`, `../x`.
    let segments: Vec<&str> = out
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    segments
        .join("/")
        .trim_matches(|c| c == '-' || c == '.' || c == '/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_is_stable_and_readable() {
        assert_eq!(
            branch_name(DEFAULT_TEMPLATE, 42, "feature/add-flag", "abcdef123456"),
            "preview/pr-42-feature/add-flag"
        );
        assert_eq!(
            branch_name("pr-{pr}-{sha}", 7, "x", "abcdef123456"),
            "pr-7-abcdef1"
        );
    }

    #[test]
    fn hostile_refs_become_inert_names() {
        for hostile in [
            "$(touch x)",
            "`id`",
            "a;rm -rf /",
            "quote\"'s",
            "new\nline",
            "--option",
            "ünïcødé-名前",
            "../../etc",
            "nul\0byte",
        ] {
            let name = branch_name(DEFAULT_TEMPLATE, 1, hostile, "");
            assert!(name.starts_with("preview/pr-1"), "{hostile:?} -> {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c)),
                "{hostile:?} -> {name}"
            );
            assert!(!name.contains(".."), "{name}");
        }
        let long = "x".repeat(300);
        assert_eq!(
            branch_name(DEFAULT_TEMPLATE, 1, &long, "").len(),
            MAX_BRANCH_NAME
        );
    }
}
