//! The shapes rules care about in `ALTER TABLE` (read from tokens).

use sqlparser::tokenizer::Token;

use crate::sql::words::View;
use crate::sql::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    Check,
    ForeignKey,
    Unique,
    PrimaryKey,
    Exclude,
}

/// A column definition in `ADD COLUMN`, reduced to what matters for locks.
#[derive(Debug, Clone, Default)]
pub struct ColumnDef {
    pub not_null: bool,
    /// Index range of the DEFAULT expression in the view.
    pub default: Option<(usize, usize)>,
    pub generated: bool,
    pub serial: bool,
    pub primary_key: bool,
    pub unique: bool,
    pub references: bool,
    pub check: bool,
}

#[derive(Debug, Clone)]
pub enum Action {
    AddColumn(ColumnDef),
    AddConstraint {
        kind: ConstraintKind,
        not_valid: bool,
        using_index: bool,
    },
    AlterColumnType,
    SetNotNull,
    DropNotNull,
    DropColumn,
    /// `DROP CONSTRAINT [IF EXISTS] name`.
    DropConstraint,
    RenameColumn,
    RenameTable,
    ValidateConstraint,
    Other,
}

#[derive(Debug, Clone)]
pub struct ActionAt {
    pub action: Action,
    pub span: Option<Span>,
    /// Token range of the action in the view.
    pub range: (usize, usize),
}

/// Words that start a column constraint (and so end the column's type).
pub const COLUMN_CONSTRAINT_START: &[&str] = &[
    "CONSTRAINT",
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY",
    "UNIQUE",
    "CHECK",
    "REFERENCES",
    "GENERATED",
    "COLLATE",
    "DEFERRABLE",
    "INITIALLY",
];

const SERIAL_TYPES: &[&str] = &[
    "SERIAL",
    "BIGSERIAL",
    "SMALLSERIAL",
    "SERIAL2",
    "SERIAL4",
    "SERIAL8",
];

/// The actions of `ALTER TABLE [IF EXISTS] [ONLY] name [*] action, …`;
/// empty for any other statement.
pub fn actions(v: &View) -> Vec<ActionAt> {
    if !v.starts(&["ALTER", "TABLE"]) {
        return Vec::new();
    }
    let i = v.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]);
    let Some((_, mut j)) = v.name_at(i) else {
        return Vec::new();
    };
    if matches!(v.tok(j), Some(Token::Mul)) {
        j += 1;
    }
    v.top_level_items(j)
        .into_iter()
        .map(|(a, b)| ActionAt {
            action: action(v, a, b),
            span: v.span(a, b.saturating_sub(1)),
            range: (a, b),
        })
        .collect()
}

fn constraint_kind(v: &View, i: usize) -> Option<ConstraintKind> {
    Some(if v.is(i, "CHECK") {
        ConstraintKind::Check
    } else if v.seq_at(i, &["FOREIGN", "KEY"]) {
        ConstraintKind::ForeignKey
    } else if v.is(i, "UNIQUE") {
        ConstraintKind::Unique
    } else if v.seq_at(i, &["PRIMARY", "KEY"]) {
        ConstraintKind::PrimaryKey
    } else if v.is(i, "EXCLUDE") {
        ConstraintKind::Exclude
    } else {
        return None;
    })
}

fn has_in(v: &View, a: usize, b: usize, seq: &[&str]) -> bool {
    (a..b).any(|i| v.seq_at(i, seq))
}

fn action(v: &View, a: usize, b: usize) -> Action {
    if v.is(a, "ADD") {
        let mut i = a + 1;
        if v.is(i, "CONSTRAINT") {
            i += 2;
        }
        if let Some(kind) = constraint_kind(v, i) {
            return Action::AddConstraint {
                kind,
                not_valid: has_in(v, i, b, &["NOT", "VALID"]),
                using_index: has_in(v, i, b, &["USING", "INDEX"]),
            };
        }
        let i = v.skip(a + 1, &[&["COLUMN"], &["IF", "NOT", "EXISTS"]]);
        return Action::AddColumn(column_def(v, i + 1, b));
    }
    if v.is(a, "ALTER") {
        let i = v.skip(a + 1, &[&["COLUMN"]]) + 1;
        if v.is(i, "TYPE") || v.seq_at(i, &["SET", "DATA", "TYPE"]) {
            return Action::AlterColumnType;
        }
        if v.seq_at(i, &["SET", "NOT", "NULL"]) {
            return Action::SetNotNull;
        }
        if v.seq_at(i, &["DROP", "NOT", "NULL"]) {
            return Action::DropNotNull;
        }
        return Action::Other;
    }
    if v.seq_at(a, &["DROP", "CONSTRAINT"]) {
        return Action::DropConstraint;
    }
    if v.is(a, "DROP") {
        // DROP [COLUMN] [IF EXISTS] name — but not DROP CONSTRAINT etc.
        let other = ["CONSTRAINT", "DEFAULT", "NOT", "IDENTITY", "EXPRESSION"];
        if v.is(a + 1, "COLUMN") || !other.iter().any(|k| v.is(a + 1, k)) {
            return Action::DropColumn;
        }
    }
    if v.is(a, "RENAME") {
        if v.is(a + 1, "TO") {
            return Action::RenameTable;
        }
        if !v.is(a + 1, "CONSTRAINT") {
            return Action::RenameColumn;
        }
    }
    if v.seq_at(a, &["VALIDATE", "CONSTRAINT"]) {
        return Action::ValidateConstraint;
    }
    Action::Other
}

/// Column definition from the type (index `i`) to `b`.
fn column_def(v: &View, i: usize, b: usize) -> ColumnDef {
    let mut c = ColumnDef {
        serial: SERIAL_TYPES.iter().any(|t| v.is(i, t)),
        ..Default::default()
    };
    let mut depth = 0i32;
    let mut k = i;
    while k < b {
        match v.tok(k) {
            Some(Token::LParen) => depth += 1,
            Some(Token::RParen) => depth -= 1,
            _ if depth == 0 => {
                if v.seq_at(k, &["NOT", "NULL"]) {
                    c.not_null = true;
                } else if v.is(k, "DEFAULT") {
                    let s = k + 1;
                    let mut e = s;
                    let mut d = 0i32;
                    while e < b {
                        match v.tok(e) {
                            Some(Token::LParen) => d += 1,
                            Some(Token::RParen) => d -= 1,
                            _ if d == 0
                                && e > s
                                && COLUMN_CONSTRAINT_START.iter().any(|w| v.is(e, w)) =>
                            {
                                break
                            }
                            _ => {}
                        }
                        e += 1;
                    }
                    c.default = Some((s, e));
                    k = e;
                    continue;
                } else if v.is(k, "GENERATED") {
                    c.generated = true;
                } else if v.seq_at(k, &["PRIMARY", "KEY"]) {
                    c.primary_key = true;
                } else if v.is(k, "UNIQUE") {
                    c.unique = true;
                } else if v.is(k, "REFERENCES") {
                    c.references = true;
                } else if v.is(k, "CHECK") {
                    c.check = true;
                }
            }
            _ => {}
        }
        k += 1;
    }
    c
}
