//! Helpers shared by the Rust integration tests (a folder, so cargo does not run it as a
//! test of its own).
pub mod corpus;
