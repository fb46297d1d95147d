//! Release: QC results against the release panel, the deviation lifecycle,
//! and the release gate that lists every finding that blocks release (R38).

mod deviation;
mod gate;
mod qc;

pub use deviation::{Classification, DeviationFacts, DeviationStatus};
pub use gate::{release_findings, Finding, GateInput, QcFacts, ReviewFacts};
pub use qc::{evaluate_qc, QcOutcome};
