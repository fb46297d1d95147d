//! Release: deviations, QC results, review and disposition, vials and lineage.

pub mod deviations;
pub mod disposition;
pub mod lineage;
pub mod qc;
