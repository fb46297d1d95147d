//! The chain of identity and custody (R47–R50), stored: donors and their
//! signed eligibility, signed cell-bank decisions and the qualification
//! facts a batch issue is decided on (`bank`), labels (`labels`), the
//! storage map (`storage`), shipments and administrations (`shipments`),
//! and the chain of one vial or donor both ways (`chain`). Every row is
//! vouched for by its audit event in the same transaction; the domain
//! (`ebr_domain::custody`) decides.

pub mod bank;
pub mod chain;
pub mod labels;
pub mod shipments;
pub mod storage;
