//! One file per rule (squawk's layout): id, default severity, why, help,
//! the check and its own bad/good tests.

pub mod adding_field_with_volatile_default;
pub mod adding_foreign_key_constraint;
pub mod adding_required_field;
pub mod adding_serial_primary_key;
pub mod ban_alter_domain_with_add_constraint;
pub mod ban_char_field;
pub mod ban_concurrent_index_in_transaction;
pub mod ban_create_domain_with_constraint;
pub mod ban_drop_column;
pub mod ban_drop_database;
pub mod ban_drop_not_null;
pub mod ban_drop_table;
pub mod ban_duplicate_column_assignments;
pub mod ban_truncate_cascade;
pub mod ban_uncommitted_transaction;
pub mod changing_column_type;
pub mod constraint_missing_not_valid;
pub mod disallowed_unique_constraint;
pub mod identifier_too_long;
pub mod prefer_bigint_over_int;
pub mod prefer_bigint_over_smallint;
pub mod prefer_identity;
pub mod prefer_repack;
pub mod prefer_robust_stmts;
pub mod prefer_text_field;
pub mod prefer_timestamptz;
pub mod renaming_column;
pub mod renaming_table;
pub mod require_concurrent_index_creation;
pub mod require_concurrent_index_deletion;
pub mod require_concurrent_partition_detach;
pub mod require_concurrent_reindex;
pub mod require_enum_value_ordering;
pub mod require_lock_timeout;
pub mod require_statement_timeout;
pub mod require_table_schema;
pub mod setting_not_null_on_existing_column;
pub mod transaction_nesting;
pub mod unused_ignore;

use super::Rule;

pub static ALL: &[&Rule] = &[
    &require_concurrent_index_creation::RULE,
    &require_concurrent_index_deletion::RULE,
    &require_concurrent_reindex::RULE,
    &require_concurrent_partition_detach::RULE,
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
    &ban_drop_not_null::RULE,
    &ban_truncate_cascade::RULE,
    &ban_alter_domain_with_add_constraint::RULE,
    &ban_create_domain_with_constraint::RULE,
    &prefer_repack::RULE,
    &require_enum_value_ordering::RULE,
    &ban_duplicate_column_assignments::RULE,
    &transaction_nesting::RULE,
    &ban_uncommitted_transaction::RULE,
    &identifier_too_long::RULE,
    &require_lock_timeout::RULE,
    &require_statement_timeout::RULE,
    &prefer_robust_stmts::RULE,
    &ban_char_field::RULE,
    &prefer_timestamptz::RULE,
    &prefer_text_field::RULE,
    &prefer_bigint_over_int::RULE,
    &prefer_bigint_over_smallint::RULE,
    &prefer_identity::RULE,
    &require_table_schema::RULE,
    &unused_ignore::RULE,
];
