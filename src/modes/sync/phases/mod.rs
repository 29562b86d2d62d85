//! The six phases of a sync, one file each, in the order `Job::sync` (../mod.rs) runs them.
//! Each is an `impl Job` block: it takes what earlier phases produced and returns what
//! later ones need, so the flow of data between phases is visible in `Job::sync`.

pub mod copy;
pub mod fit;
pub mod preparation;
pub mod snapshot;
pub mod staging;
pub mod swap;
pub mod verify;
