//! ban-alter-domain-with-add-constraint (squawk's id)

use crate::sql::lint::{Check, Hit, Rule, Severity, StmtInfo};

pub static RULE: Rule = Rule {
    id: "ban-alter-domain-with-add-constraint",
    default: Severity::Warning,
    why: "ALTER DOMAIN … ADD CONSTRAINT re-checks every column of every table that uses the domain, and Postgres handles domain constraints poorly in online migrations.",
    help: "Put the constraint on the columns themselves (ADD CONSTRAINT … NOT VALID, then VALIDATE), not on the domain.",
    check: Check::Stmt(check),
};

fn check(s: &StmtInfo, out: &mut Vec<Hit>) {
    let v = &s.view;
    if !v.starts(&["ALTER", "DOMAIN"]) {
        return;
    }
    let Some((name, j)) = v.name_at(2) else {
        return;
    };
    if v.is(j, "ADD") {
        out.push(Hit {
            stmt: s.index,
            span: v.span(j, v.len()),
            message: format!(
                "adding a constraint to domain `{name}` re-validates every column that uses it"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{fires, quiet};

    #[test]
    fn bad() {
        fires(
            &RULE,
            "ALTER DOMAIN domain_name ADD CONSTRAINT constraint_name CHECK (value > 0);",
        );
        fires(&RULE, "alter domain s.d add check (value <> '') not valid;");
    }

    #[test]
    fn good() {
        for sql in [
            "ALTER DOMAIN domain_name_2 SET NOT NULL;",
            "ALTER DOMAIN domain_name_3 DROP CONSTRAINT other_domain_name;",
            "ALTER DOMAIN domain_name_4 RENAME CONSTRAINT constraint_name TO other_constraint_name;",
            "ALTER DOMAIN domain_name_5 RENAME TO other_domain_name;",
            "ALTER DOMAIN domain_name_6 VALIDATE CONSTRAINT constraint_name;",
            "ALTER DOMAIN domain_name_7 OWNER TO you;",
            "ALTER DOMAIN domain_name_8 SET SCHEMA foo;",
        ] {
            quiet(&RULE, sql);
        }
    }
}
