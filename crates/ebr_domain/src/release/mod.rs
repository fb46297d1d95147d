//! Release: QC results against the release panel, the deviation lifecycle,
//! and the release gate that lists every finding that blocks release (R38).

mod deviation;
mod gate;
mod qc;

pub use deviation::{
    check_base_revision, check_openable, involved_people, Classification, DeviationFacts,
    DeviationStatus, RevisionFacts, RevisionPlan,
};
pub use gate::{release_findings, Finding, GateInput, QcFacts, ReviewFacts};
pub use qc::{
    check_qc_invalidatable, check_qc_reviewable, check_retest, check_tested_at, evaluate_qc,
    QcOutcome, QcResultFacts,
};
