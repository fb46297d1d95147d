//! Batch execution rules: what may be recorded, when, and what it means.
//!
//! Everything here is pure: the persistence layer gathers the facts (entries,
//! signatures, lots, equipment, the server time) and these functions decide.

mod checks;
mod progress;
mod value;

pub use checks::{
    check_equipment, check_lot, is_late, EquipmentFacts, EquipmentStatus, LotFacts, LotStatus,
};
pub use progress::{
    check_can_perform, check_can_verify, check_sequence, current_step, hold_time_breaches,
    step_state, HoldTimeBreach, SignatureFact, StepFacts, StepState,
};
pub use value::{evaluate, parse_value, RecordedValue};
