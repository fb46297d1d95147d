//! The ebr domain: master batch records for iPSC-derived neural progenitor
//! manufacturing, their validation, limit evaluation and lifecycles.
//!
//! **Architecture invariant:** this crate is pure. It performs no I/O, reads no
//! clock and knows nothing of databases, HTTP or PDF. Time is always passed in as
//! an argument, so every rule here is deterministic and testable in isolation.

pub mod access_review;
pub mod audit;
pub mod batch;
pub mod batch_identity;
pub mod batch_state;
pub mod canonical;
pub mod contingency;
pub mod custody;
pub mod duties;
pub mod error;
pub mod exception;
pub mod execution;
pub mod formula;
pub mod identity;
pub mod isbt128;
pub mod limits;
pub mod mbr;
pub mod number;
pub mod release;
pub mod retention;
pub mod second_factor;
pub mod session;
pub mod signature;
pub mod signed_records;
pub mod signing;
pub mod training;
pub mod trend;
pub mod units;

pub use error::DomainError;
