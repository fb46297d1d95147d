//! Exactly what each kind of batch signature signs (R13), as pure functions
//! of the stored rows: the server builds the record it signs with them, and
//! `ebr audit verify` and the offline verifier rebuild it from the rows to
//! check each signature's binding.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::audit::to_stored_precision;
use crate::signature::SignedRecord;

/// The record type of a step signature.
pub const STEP_RECORD_TYPE: &str = "batch_step";
/// The record type of a batch-level signature (review, release, rejection).
pub const BATCH_RECORD_TYPE: &str = "batch";
/// The record type of a deviation signature.
pub const DEVIATION_RECORD_TYPE: &str = "deviation";
/// The record type of a QC result review.
pub const QC_RECORD_TYPE: &str = "qc_result";

/// The part of a stored entry a step signature covers (deserializes from the
/// entry row as stored, ignoring its other columns).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignedEntry {
    /// Entry id.
    pub id: Uuid,
    /// The field.
    pub field_key: String,
    /// The value as stored (JSON text).
    pub value: String,
    /// Its evaluation against the limits.
    pub evaluation: Option<String>,
    /// The lot it names.
    pub material_lot_id: Option<Uuid>,
    /// The equipment it names.
    pub equipment_id: Option<Uuid>,
    /// When the activity happened.
    pub activity_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: Uuid,
    /// The entry it corrects, if any.
    pub corrects_entry_id: Option<Uuid>,
}

/// The batch a batch or step signature names.
#[derive(Debug, Clone, Copy)]
pub struct BatchIdentity<'a> {
    /// Batch id.
    pub id: Uuid,
    /// Batch number.
    pub number: &'a str,
    /// The pinned MBR version's content hash.
    pub mbr_content_sha256: &'a str,
}

/// What a step signature signs: the step's current entries (those no later
/// entry corrects), in field order, with the batch and its pinned MBR hash;
/// the version is the number of entries the step ever had. `step_entries`
/// are every entry of the step, corrected ones included.
pub fn step_record(
    batch: BatchIdentity<'_>,
    step: &str,
    step_entries: &[SignedEntry],
) -> SignedRecord {
    let corrected = |id: Uuid| step_entries.iter().any(|e| e.corrects_entry_id == Some(id));
    let mut current: Vec<&SignedEntry> = step_entries.iter().filter(|e| !corrected(e.id)).collect();
    current.sort_by(|a, b| a.field_key.cmp(&b.field_key));
    let entries: Vec<Value> = current
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "field": e.field_key,
                "value": serde_json::from_str::<Value>(&e.value).unwrap_or(Value::Null),
                "evaluation": e.evaluation, "material_lot_id": e.material_lot_id, "equipment_id": e.equipment_id,
                "activity_at": to_stored_precision(e.activity_at), "recorded_by": e.recorded_by,
            })
        })
        .collect();
    SignedRecord {
        record_type: STEP_RECORD_TYPE.into(),
        record_id: format!("{}/{step}", batch.id),
        record_version: i64::try_from(step_entries.len()).unwrap_or(i64::MAX),
        content: json!({
            "batch_id": batch.id,
            "batch_number": batch.number,
            "mbr_content_sha256": batch.mbr_content_sha256,
            "step": step,
            "entries": entries,
        }),
    }
}

/// What a batch-level signature signs: the batch and the head of its audit
/// chain at signing, which covers everything recorded before it.
pub fn batch_record(batch: BatchIdentity<'_>, head_seq: i64, head_hash: &str) -> SignedRecord {
    SignedRecord {
        record_type: BATCH_RECORD_TYPE.into(),
        record_id: batch.id.to_string(),
        record_version: head_seq,
        content: json!({
            "batch_id": batch.id,
            "batch_number": batch.number,
            "mbr_content_sha256": batch.mbr_content_sha256,
            "audit_head_seq": head_seq,
            "audit_head_hash": head_hash,
        }),
    }
}

/// What a deviation signature signs: the deviation as opened and the
/// revision it closes (its number is the version).
pub fn deviation_record(
    id: Uuid,
    deviation: &Value,
    revision: &Value,
    version: i64,
) -> SignedRecord {
    SignedRecord {
        record_type: DEVIATION_RECORD_TYPE.into(),
        record_id: id.to_string(),
        record_version: version,
        content: json!({ "deviation": deviation, "revision": revision }),
    }
}

/// What a QC review signs: the result as recorded.
pub fn qc_record(id: Uuid, result: &Value) -> SignedRecord {
    SignedRecord {
        record_type: QC_RECORD_TYPE.into(),
        record_id: id.to_string(),
        record_version: 1,
        content: result.clone(),
    }
}
