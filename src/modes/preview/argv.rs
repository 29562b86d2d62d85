//! `migrate-command` → argument array: the same quote-aware splitter as mode: migrate
//! (no shell, shell syntax refused with a message).

pub use crate::modes::migrate::argv::*;
