//! require-enum-value-ordering (squawk's id)

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "require-enum-value-ordering",
    default: Severity::Warning,
    why: "ALTER TYPE … ADD VALUE without BEFORE or AFTER appends the value at the end of the enum, so comparisons and ORDER BY on the enum may put it where nobody meant.",
    help: "Say where the value goes: ADD VALUE 'x' BEFORE 'y' or AFTER 'y' (appending is fine when the last place is meant: say so in an ignore comment).",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    if !v.starts(&["ALTER", "TYPE"]) {
        return;
    }
    // Like squawk, a type created earlier in the file counts too: its
    // CREATE TYPE is where the order should have been written.
    let Some((name, j)) = v.name_at(2) else {
        return;
    };
    if v.seq_at(j, &["ADD", "VALUE"]) && !v.has("BEFORE") && !v.has("AFTER") {
        out.push(Hit {
            stmt: s.index,
            span: v.span(j, v.len()),
            message: format!("ADD VALUE without BEFORE/AFTER appends to the end of enum `{name}`, which changes how it sorts"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    const SETUP: &str =
        "CREATE TYPE status AS ENUM ('draft', 'submitted', 'approved', 'rejected');\n";

    #[test]
    fn bad() {
        fires(
            &RULE,
            &format!("{SETUP}ALTER TYPE status ADD VALUE 'pending_review';"),
        );
        fires(
            &RULE,
            "ALTER TYPE my_enum ADD VALUE IF NOT EXISTS 'new_value';",
        );
    }

    #[test]
    fn good() {
        quiet(
            &RULE,
            &format!("{SETUP}ALTER TYPE status ADD VALUE 'pending_review' BEFORE 'approved';"),
        );
        quiet(
            &RULE,
            "ALTER TYPE status ADD VALUE IF NOT EXISTS 'pending_review' AFTER 'submitted';",
        );
        quiet(
            &RULE,
            "ALTER TYPE status RENAME VALUE 'draft' TO 'new'; ALTER TYPE status ADD ATTRIBUTE a int;",
        );
    }
}
