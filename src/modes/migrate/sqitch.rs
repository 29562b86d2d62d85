//! sqitch projects: `sqitch.plan` decides which deploy scripts exist and their order.
//! The built-in runner applies `deploy/<change>.sql` in plan order (sqitch runs each
//! script with psql as it is, so the scripts' own `BEGIN … COMMIT` apply); `revert/` and
//! `verify/` scripts are never applied. The plan is found beside `deploy/` (the usual
//! layout) or at the repository root.

pub const PLAN_FILE: &str = "sqitch.plan";

/// The change names of a plan, in order. Pragmas (`%…`), comments, blank lines and tags
/// (`@…`) are skipped. A change listed twice is a rework, whose earlier versions live in
/// `deploy/<change>@<tag>.sql`: not supported (an error naming it).
pub fn changes(plan: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for (i, line) in plan.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('%') || l.starts_with('#') || l.starts_with('@') {
            continue;
        }
        let name = l.split_whitespace().next().unwrap_or_default().to_string();
        if out.contains(&name) {
            return Err(format!(
                "sqitch.plan line {}: `{name}` is reworked (listed twice); the built-in runner does not apply reworked changes: use `migrate-command: sqitch deploy`",
                i + 1
            ));
        }
        out.push(name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_in_plan_order() {
        let plan = "%syntax-version=1.0.0\n%project=flipr\n%uri=https://example.com/\n\nappschema 2024-01-01T00:00:00Z Ann <ann@example.com> # App schema\nusers [appschema] 2024-01-02T00:00:00Z Ann <ann@example.com> # Users\n@v1.0 2024-01-03T00:00:00Z Ann <ann@example.com> # Tag\n\n# a comment\nflips [users] 2024-01-04T00:00:00Z Ann <ann@example.com>\n";
        assert_eq!(changes(plan).unwrap(), vec!["appschema", "users", "flips"]);
        let rework = "a 2024-01-01T00:00:00Z A <a@b>\n@v1 2024-01-02T00:00:00Z A <a@b>\na [a@v1] 2024-01-03T00:00:00Z A <a@b>\n";
        assert!(changes(rework)
            .unwrap_err()
            .contains("line 3: `a` is reworked"));
    }
}
