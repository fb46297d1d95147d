//! The batch record as a document that proves itself (R2, R11, R12, R13):
//! the export model and its manifest of hashes, the archival PDF/A-3b that
//! carries the export it prints, and the checks an outsider runs on them.
//!
//! No database, no web server, no async runtime: `ebr_db` loads the rows,
//! this crate turns them into the record and back into verdicts, so a
//! verifier can be built from it alone.

pub mod checkpoint;
pub mod checkpoint_log;
pub mod export;
pub mod pdf;
pub mod verify;

pub use export::{Manifest, RecordExport, FORMAT};
