//! The whole state of a batch, loaded in one place, and what follows from it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::batch_state::BatchLifecycle;
use ebr_domain::execution::{SignatureFact, StepFacts};
use ebr_domain::mbr::MasterBatchRecord;
use ebr_domain::signature::{SignatureManifest, SignatureMeaning, SignedRecord};
use serde::Serialize;
use uuid::Uuid;

use crate::repo::batches::{self, BatchRow};
use crate::repo::exceptions::{DeviationRow, ExceptionRow};
use crate::repo::{mbr, signatures};
use crate::schema::{
    batch_exceptions, deviations, entries, signature_supersessions, signatures as signatures_table,
};
use crate::DbError;
use ebr_domain::signed_records::{BatchIdentity, SignedEntry};

/// The record type of batch steps in signatures.
pub use ebr_domain::signed_records::STEP_RECORD_TYPE;

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = entries)]
pub struct EntryRow {
    /// Entry id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Step.
    pub step_key: String,
    /// Field.
    pub field_key: String,
    /// Canonical JSON value.
    pub value: String,
    /// Unit as entered.
    pub unit: Option<String>,
    /// Evaluation.
    pub evaluation: Option<String>,
    /// Lot used.
    pub material_lot_id: Option<Uuid>,
    /// Equipment used.
    pub equipment_id: Option<Uuid>,
    /// Activity time.
    pub activity_at: DateTime<Utc>,
    /// Recording time.
    pub recorded_at: DateTime<Utc>,
    /// Recorder.
    pub recorded_by: Uuid,
    /// Late-entry reason.
    pub late_reason: Option<String>,
    /// The entry this corrects.
    pub corrects_entry_id: Option<Uuid>,
    /// Why.
    pub correction_reason: Option<String>,
}

/// A signature's supersession by a correction (R13).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = signature_supersessions)]
pub struct Supersession {
    /// The signature.
    pub signature_id: Uuid,
    /// When.
    pub superseded_at: DateTime<Utc>,
    /// The correcting entry.
    pub by_entry_id: Uuid,
    /// The correction reason.
    pub reason: String,
}

/// A signature on a step, with its supersession if any.
#[derive(Debug, Clone, Serialize)]
pub struct StepSignature {
    /// The step.
    pub step_key: String,
    /// The signature.
    pub manifest: SignatureManifest,
    /// Set when a later correction superseded it.
    pub superseded: Option<Supersession>,
}

/// Everything recorded about a batch.
#[derive(Debug, Clone)]
pub struct BatchState {
    /// The batch.
    pub batch: BatchRow,
    /// Its lifecycle.
    pub lifecycle: BatchLifecycle,
    /// Its MBR (hash-checked).
    pub mbr: MasterBatchRecord,
    /// Every entry, oldest first, corrected ones included.
    pub entries: Vec<EntryRow>,
    /// Every step signature, oldest first.
    pub signatures: Vec<StepSignature>,
    /// Every exception, oldest first.
    pub exceptions: Vec<ExceptionRow>,
    /// Every deviation, oldest first.
    pub deviations: Vec<DeviationRow>,
}

/// Loads a batch and everything recorded about it.
pub fn load(conn: &mut PgConnection, batch_id: Uuid) -> Result<BatchState, DbError> {
    let batch = batches::find(conn, batch_id)?;
    let lifecycle = batches::lifecycle(conn, batch_id)?;
    let (version, mbr) = mbr::load(conn, batch.mbr_version_id)?;
    if version.content_sha256 != batch.mbr_content_sha256 {
        return Err(DbError::Integrity(format!(
            "batch {} is pinned to an MBR content hash that no longer matches",
            batch.batch_number
        )));
    }
    let entries = entries::table
        .filter(entries::batch_id.eq(batch_id))
        .order((entries::recorded_at.asc(), entries::id.asc()))
        .select(EntryRow::as_select())
        .load(conn)?;
    let prefix = format!("{batch_id}/");
    let ids: Vec<Uuid> = signatures_table::table
        .filter(signatures_table::record_type.eq(STEP_RECORD_TYPE))
        .filter(signatures_table::record_id.like(format!("{prefix}%")))
        .select(signatures_table::id)
        .load(conn)?;
    let supersessions: Vec<Supersession> = signature_supersessions::table
        .filter(signature_supersessions::signature_id.eq_any(&ids))
        .select(Supersession::as_select())
        .load(conn)?;
    let mut step_signatures = Vec::new();
    for manifest in signatures::by_ids(conn, &ids)? {
        let step_key = manifest
            .record_id
            .strip_prefix(&prefix)
            .unwrap_or_default()
            .to_string();
        let superseded = supersessions
            .iter()
            .find(|s| s.signature_id == manifest.id)
            .cloned();
        step_signatures.push(StepSignature {
            step_key,
            manifest,
            superseded,
        });
    }
    let exceptions = batch_exceptions::table
        .filter(batch_exceptions::batch_id.eq(batch_id))
        .order((
            batch_exceptions::occurred_at.asc(),
            batch_exceptions::id.asc(),
        ))
        .select(ExceptionRow::as_select())
        .load(conn)?;
    let deviations = deviations::table
        .filter(deviations::batch_id.eq(batch_id))
        .order((deviations::opened_at.asc(), deviations::id.asc()))
        .select(DeviationRow::as_select())
        .load(conn)?;
    Ok(BatchState {
        batch,
        lifecycle,
        mbr,
        entries,
        signatures: step_signatures,
        exceptions,
        deviations,
    })
}

impl BatchState {
    /// Whether `entry` was corrected by a later entry.
    pub fn is_corrected(&self, entry: Uuid) -> bool {
        self.entries
            .iter()
            .any(|e| e.corrects_entry_id == Some(entry))
    }

    /// The current (not corrected) entries.
    pub fn current_entries(&self) -> impl Iterator<Item = &EntryRow> {
        self.entries.iter().filter(|e| !self.is_corrected(e.id))
    }

    /// The current entry of a field, if any.
    pub fn current_entry(&self, step: &str, field: &str) -> Option<&EntryRow> {
        self.current_entries()
            .find(|e| e.step_key == step && e.field_key == field)
    }

    /// The current signature of a step with a meaning.
    pub fn current_signature(
        &self,
        step: &str,
        meaning: SignatureMeaning,
    ) -> Option<&StepSignature> {
        self.signatures.iter().rfind(|s| {
            s.step_key == step && s.manifest.meaning == meaning && s.superseded.is_none()
        })
    }

    /// The facts of every step that has anything recorded.
    pub fn step_facts(&self) -> HashMap<String, StepFacts> {
        let mut facts: HashMap<String, StepFacts> = HashMap::new();
        for e in &self.entries {
            let f = facts.entry(e.step_key.clone()).or_default();
            f.first_entry_at = Some(
                f.first_entry_at
                    .map_or(e.recorded_at, |t| t.min(e.recorded_at)),
            );
            f.participants.insert(e.recorded_by);
        }
        for s in &self.signatures {
            facts
                .entry(s.step_key.clone())
                .or_default()
                .participants
                .insert(s.manifest.signer_id);
        }
        for e in self.current_entries() {
            facts
                .entry(e.step_key.clone())
                .or_default()
                .recorded_fields
                .insert(e.field_key.clone());
        }
        for s in self.signatures.iter().filter(|s| s.superseded.is_none()) {
            let fact = SignatureFact {
                signer: s.manifest.signer_id,
                at: s.manifest.signed_at,
            };
            let f = facts.entry(s.step_key.clone()).or_default();
            match s.manifest.meaning {
                SignatureMeaning::Performed => f.performed = Some(fact),
                SignatureMeaning::Verified => f.verified = Some(fact),
                _ => {}
            }
        }
        facts
    }

    /// Exactly what a step signature signs: see [`step_signed_record`].
    pub fn step_record(&self, step: &str) -> SignedRecord {
        let entries: Vec<EntryRow> = self
            .entries
            .iter()
            .filter(|e| e.step_key == step)
            .cloned()
            .collect();
        step_signed_record(
            self.batch.id,
            &self.batch.batch_number,
            &self.batch.mbr_content_sha256,
            step,
            &entries,
        )
    }
}

/// Exactly what a step signature signs
/// ([`ebr_domain::signed_records::step_record`]) from the step's stored
/// entries, corrected ones included.
pub fn step_signed_record(
    batch_id: Uuid,
    batch_number: &str,
    mbr_content_sha256: &str,
    step: &str,
    step_entries: &[EntryRow],
) -> SignedRecord {
    let entries: Vec<SignedEntry> = step_entries
        .iter()
        .map(|e| SignedEntry {
            id: e.id,
            field_key: e.field_key.clone(),
            value: e.value.clone(),
            evaluation: e.evaluation.clone(),
            material_lot_id: e.material_lot_id,
            equipment_id: e.equipment_id,
            activity_at: e.activity_at,
            recorded_by: e.recorded_by,
            corrects_entry_id: e.corrects_entry_id,
        })
        .collect();
    ebr_domain::signed_records::step_record(
        BatchIdentity {
            id: batch_id,
            number: batch_number,
            mbr_content_sha256,
        },
        step,
        &entries,
    )
}
