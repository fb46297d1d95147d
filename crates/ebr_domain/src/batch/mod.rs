//! The batch as a domain object: the facts a command needs, loaded once under
//! the batch lock, and pure commands that decide and return a plan of what to
//! write. `ebr_db` locks, loads a [`Batch`], calls a command and applies its
//! plan (every row with its audit event); it decides nothing itself.
//!
//! Recording a step's values ([`record`]), correcting an entry
//! ([`correct`]) and signing a step ([`sign_step`]) take the loaded
//! [`Batch`]; the release commands take the facts they need, loaded under
//! the same lock: recording and invalidating a QC result
//! ([`record_qc_result`], [`invalidate_qc_result`]), signing the batch
//! ([`sign_batch`]), issuing vials ([`vial_serials`]); the deviation
//! lifecycle decides in [`crate::release::DeviationFacts::revise`] and
//! [`crate::release::DeviationFacts::close`].

mod compute;
pub use compute::Recomputed;
mod correct;
mod disposition;
mod qc;
mod record;
mod sign;
mod vials;
mod worklist;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::ChainHead;
use crate::batch_state::BatchStatus;
use crate::exception::ExceptionKind;
use crate::execution::{EquipmentFacts, LotFacts, RecordedValue, StepFacts};
use crate::limits::Evaluation;
use crate::mbr::MasterBatchRecord;
use crate::DomainError;

pub use correct::{correct, CorrectCommand, CorrectPlan, OriginalEntry, StepSignatureRef};
pub use disposition::{sign_batch, DispositionCommand, DispositionFacts, DispositionPlan};
pub use qc::{
    invalidate_qc_result, record_qc_result, InvalidationPlan, QcBatchFacts, QcDeviation,
    RecordQcCommand, RecordQcPlan,
};
pub use record::{record, registry_references, RecordCommand, RegistryReferences};
pub use sign::{sign_step, SignStepCommand, SignStepPlan};
pub use vials::{check_lineage, vial_serials};
pub use worklist::{batch_work, BatchWork, WorklistFacts};

/// What is known about a batch when a command is decided: its status, its
/// pinned MBR, and the facts of every step that has anything recorded.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The batch id.
    pub id: Uuid,
    /// The batch number (signed records name it).
    pub number: String,
    /// The content hash of the pinned MBR version (signed records carry it).
    pub mbr_content_sha256: String,
    /// Its status now (replayed from its status events).
    pub status: BatchStatus,
    /// The MBR version it is pinned to (content hash checked at load).
    pub mbr: Arc<MasterBatchRecord>,
    /// The facts of each step with anything recorded, by step key.
    pub steps: HashMap<String, StepFacts>,
    /// The newest event of the batch's audit chain when it was loaded (under
    /// the batch lock): what a batch signature covers, and where the
    /// command's own events are chained on.
    pub audit_head: ChainHead,
    /// The current value of each field the formulas of the recorded step
    /// read, by (step key, field key), with its entry id (loaded only for a
    /// step with computed fields, issue 16).
    pub values: CurrentValues,
}

/// Current values by (step key, field key), each with its entry id.
pub type CurrentValues = HashMap<(String, String), (Uuid, RecordedValue)>;

/// The registry items a command's values name, as found at the time of use
/// (`None`: not registered).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Lots by (material code, lot number as scanned).
    pub lots: HashMap<(String, String), (Uuid, LotFacts)>,
    /// Equipment by asset code as scanned.
    pub equipment: HashMap<String, (Uuid, EquipmentFacts)>,
}

/// An entry to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEntry {
    /// Its id (given to the command, so the plan can refer to it).
    pub id: Uuid,
    /// The field.
    pub field_key: String,
    /// The value as parsed (numbers keep what was typed).
    pub value: RecordedValue,
    /// The evaluation against the field's limits, for numbers and choices.
    pub evaluation: Option<Evaluation>,
    /// The lot used, resolved at the time of use.
    pub lot: Option<Uuid>,
    /// The equipment used, resolved at the time of use.
    pub equipment: Option<Uuid>,
}

/// An exception to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedException {
    /// What happened (its severity follows from it).
    pub kind: ExceptionKind,
    /// The step.
    pub step_key: Option<String>,
    /// The field.
    pub field_key: Option<String>,
    /// The entry it is about.
    pub entry_id: Option<Uuid>,
    /// What happened, in words.
    pub detail: String,
}

/// A deviation to open (owned by the person whose entry opened it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDeviation {
    /// The entry that opened it.
    pub source_entry_id: Uuid,
    /// Its owner.
    pub owner: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

/// Everything a command decided to write, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The step the entries belong to.
    pub step_key: String,
    /// When the activity happened (R33).
    pub activity_at: DateTime<Utc>,
    /// Why the entry is late, when it is (stored with each entry).
    pub late_reason: Option<String>,
    /// The entries.
    pub entries: Vec<PlannedEntry>,
    /// The exceptions, in the order they are raised.
    pub exceptions: Vec<PlannedException>,
    /// The deviations to open.
    pub deviations: Vec<PlannedDeviation>,
    /// A status transition of the batch, with its reason.
    pub transition: Option<(BatchStatus, String)>,
}

/// Why a command was refused. A refused attempt may still leave an
/// exception for QA's review (R8, R37: a refused lot or instrument scan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule that refused it.
    pub error: DomainError,
    /// The exception the attempt leaves, if any.
    pub exception: Option<Box<PlannedException>>,
}

impl From<DomainError> for Refusal {
    fn from(error: DomainError) -> Self {
        Self {
            error,
            exception: None,
        }
    }
}
