//! Dev branch names. The engineer comes from a dispatch input or the actor's login: text
//! anyone with dispatch rights chooses, so it is reduced to one inert path segment before
//! it reaches a branch name (and from there logs, Markdown and the neonctl hint).

use crate::error::{Error, Result};
use crate::modes::preview::naming::{sanitize, MAX_BRANCH_NAME};

/// Room for the engineer in a name: long enough for any GitHub login (39), short enough
/// that the template around it still fits Neon's 256.
const MAX_ENGINEER: usize = 63;

/// The engineer as one segment: lower case (GitHub logins are case-insensitive, so
/// `Alice` and `alice` are one person and one branch), no `/`, no dot-segments, no
/// leading `-` (never read as an option by neonctl or anything else).
pub fn engineer_slug(raw: &str) -> Result<String> {
    let flat = raw.to_ascii_lowercase().replace('/', "-");
    let mut slug = String::new();
    // Runs of separators collapse: `a - -b` reads as `a-b`.
    for c in sanitize(&flat).chars() {
        if c == '-' && slug.ends_with('-') {
            continue;
        }
        slug.push(c);
    }
    slug.truncate(MAX_ENGINEER);
    let slug = slug
        .trim_matches(|c| c == '-' || c == '.' || c == '_')
        .to_string();
    if slug.is_empty() {
        return Err(Error::input(
            "engineer",
            format!(
                "`{}` has no letters or digits to name a branch after: give the engineer's GitHub login",
                raw.chars()
                    .take(40)
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect::<String>()
            ),
        ));
    }
    Ok(slug)
}

/// The branch for `slug` under `template` (`{engineer}` replaced), sanitised like a head
/// ref and within Neon's limit.
pub fn branch_name(template: &str, slug: &str) -> Result<String> {
    let name = sanitize(&template.replace("{engineer}", slug));
    if name.is_empty() || !name.contains(slug) || name.len() > MAX_BRANCH_NAME {
        return Err(Error::input(
            "dev-branch-name",
            format!("`{template}` does not make a valid Neon branch name for engineer {slug}"),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_engineers_become_one_inert_segment_or_a_clear_error() {
        for (raw, want) in [
            ("alice", "alice"),
            ("Alice", "alice"),
            ("--delete-all", "delete-all"),
            ("../../main", "main"),
            ("..", ""),
            ("a\nb", "a-b"),
            ("$(rm -rf /)", "rm-rf"),
            ("dependabot[bot]", "dependabot-bot"),
            ("team/alice", "team-alice"),
        ] {
            match engineer_slug(raw) {
                Ok(slug) => {
                    assert_eq!(slug, want, "{raw:?}");
                    let name =
                        branch_name(crate::modes::dev::settings::DEFAULT_TEMPLATE, &slug).unwrap();
                    assert_eq!(name, format!("dev/{want}"));
                }
                Err(e) => {
                    assert_eq!(want, "", "{raw:?}: {e}");
                    assert!(e.to_string().contains("`engineer`"), "{e}");
                }
            }
        }
        let long = engineer_slug(&"x".repeat(300)).unwrap();
        assert_eq!(long.len(), MAX_ENGINEER);
        assert!(engineer_slug("\n\n").is_err());
        assert!(engineer_slug("---").is_err());
    }
}
