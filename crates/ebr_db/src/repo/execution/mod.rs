//! Executing a batch: recording entries, correcting them and signing steps.
//! Each operation is one transaction under the batch's lock: the change, its
//! exceptions, deviations, status moves and audit events commit together.

mod apply;
mod correct;
mod facts;
mod record;
mod sign;
mod state;

pub use apply::SUPERSESSION_KIND;
pub use correct::correct;
pub(crate) use facts::pinned_mbr;
pub use record::{record, EntryInput, RecordRequest, Recorded};
pub use sign::sign_step;
pub use state::{
    load, step_signed_record, BatchState, EntryRow, StepSignature, Supersession, STEP_RECORD_TYPE,
};
