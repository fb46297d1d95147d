//! The chain of identity and custody from donor to recipient (R47–R50):
//! donor eligibility and cell-bank release inherited by every batch
//! (`bank`), labels printed from approved data and reconciled (`labels`),
//! the storage map (`storage`), shipments with their temperature logger and
//! administration to a subject (`shipment`). Pure rules over loaded facts.

pub mod bank;
pub mod labels;
pub mod shipment;
pub mod storage;
