//! Release: deviations, QC results, review and disposition, vials and
//! lineage, and what each batch waits for (the worklist).

pub mod deviations;
pub mod disposition;
pub mod lineage;
pub mod qc;
pub mod worklist;
