//! unused-ignore: reported by the engine itself (see `sql::ignore`), listed
//! here so it has a severity, a doc section and can be configured.

use crate::sql::lint::{Check, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "unused-ignore",
    default: Severity::Warning,
    why: "An ignore directive that matches no finding (or names an unknown rule) hides nothing today and may hide a real problem tomorrow.",
    help: "Remove the directive, or fix the rule id it names.",
    check: Check::File(|_, _| {}),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lint::testing::{findings_cfg, fires, quiet};
    use crate::sql::LintConfig;

    #[test]
    fn bad() {
        let f = findings_cfg(
            &RULE,
            &LintConfig::default(),
            "m/1.sql",
            "-- neon-gitops-ignore: ban-drop-table\nSELECT 1;",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        fires(&RULE, "-- neon-gitops-ignore: no-such-rule\nSELECT 1;");
    }

    #[test]
    fn good() {
        quiet(&RULE, "SELECT 1;");
        let used = "-- neon-gitops-ignore: ban-drop-table\nDROP TABLE users;\n-- neon-gitops-ignore-file: ban-drop-column\nALTER TABLE users DROP COLUMN a;";
        assert!(findings_cfg(&RULE, &LintConfig::default(), "m/1.sql", used).is_empty());
        // The directives really suppress: nothing else is reported either.
        let a = crate::sql::analyze(
            &[crate::sql::SourceFile {
                path: "m/1.sql".into(),
                bytes: used.into(),
                metadata: None,
                format: None,
            }],
            &LintConfig::default(),
        );
        assert!(a.files[0].findings.is_empty(), "{:?}", a.files[0].findings);
    }
}
