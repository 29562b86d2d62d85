//! neon-gitops core: every decision the action makes lives here; the JS shim in `js/` only does I/O.
pub mod sql;
