//! One file per rule (squawk's layout): id, default severity, why, help,
//! the check and its own bad/good tests.

pub mod adding_field_with_volatile_default;
pub mod adding_foreign_key_constraint;
pub mod adding_required_field;
pub mod adding_serial_primary_key;
pub mod ban_concurrent_index_in_transaction;
pub mod ban_drop_column;
pub mod ban_drop_database;
pub mod ban_drop_table;
pub mod ban_truncate_cascade;
pub mod ban_uncommitted_transaction;
pub mod changing_column_type;
pub mod constraint_missing_not_valid;
pub mod disallowed_unique_constraint;
pub mod identifier_too_long;
pub mod prefer_robust_stmts;
pub mod renaming_column;
pub mod renaming_table;
pub mod require_concurrent_index_creation;
pub mod require_concurrent_index_deletion;
pub mod require_lock_timeout;
pub mod setting_not_null_on_existing_column;
pub mod transaction_nesting;
pub mod unused_ignore;

use super::Rule;

pub static ALL: &[&Rule] = &[
    &require_concurrent_index_creation::RULE,
    &require_concurrent_index_deletion::RULE,
    &ban_concurrent_index_in_transaction::RULE,
    &constraint_missing_not_valid::RULE,
    &adding_foreign_key_constraint::RULE,
    &adding_field_with_volatile_default::RULE,
    &adding_required_field::RULE,
    &setting_not_null_on_existing_column::RULE,
    &changing_column_type::RULE,
    &disallowed_unique_constraint::RULE,
    &adding_serial_primary_key::RULE,
    &renaming_column::RULE,
    &renaming_table::RULE,
    &ban_drop_column::RULE,
    &ban_drop_table::RULE,
    &ban_drop_database::RULE,
    &ban_truncate_cascade::RULE,
    &transaction_nesting::RULE,
    &ban_uncommitted_transaction::RULE,
    &identifier_too_long::RULE,
    &require_lock_timeout::RULE,
    &prefer_robust_stmts::RULE,
    &unused_ignore::RULE,
];
