//! Correcting an entry (R13, R23, R24, R34): lock, load the batch and the
//! entry once, let the domain decide ([`ebr_domain::batch::correct`]), apply
//! its plan.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::batch::{
    correct as decide, registry_references, CorrectCommand, OriginalEntry, RecordCommand,
    StepSignatureRef,
};
use ebr_domain::execution::RecordedValue;
use ebr_domain::signature::SignatureMeaning;
use uuid::Uuid;

use super::state::{EntryRow, STEP_RECORD_TYPE};
use super::{apply, facts, Recorded};
use crate::repo::{batches, person_actor};
use crate::schema::{entries, signature_supersessions, signatures};
use crate::DbError;

/// Corrects an entry: a new entry naming the one it replaces, with a
/// mandatory reason; the original stays. Correcting an entry of a signed step
/// supersedes the step's signatures: it must be signed (and verified) again.
/// A refused lot or instrument leaves only its exception.
pub fn correct(
    conn: &mut PgConnection,
    batch_id: Uuid,
    entry_id: Uuid,
    raw: &serde_json::Value,
    reason: &str,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<Recorded, DbError> {
    let actor = person_actor(person);
    let outcome = conn.transaction(|conn| {
        batches::lock(conn, batch_id)?;
        let row: EntryRow = entries::table
            .filter(entries::id.eq(entry_id))
            .filter(entries::batch_id.eq(batch_id))
            .select(EntryRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| DbError::NotFound(format!("entry {entry_id} of this batch")))?;
        let corrected: bool = diesel::select(diesel::dsl::exists(
            entries::table.filter(entries::corrects_entry_id.eq(entry_id)),
        ))
        .get_result(conn)?;
        let fields = vec![row.field_key.clone()];
        let focus = facts::Focus::Recording {
            step: &row.step_key,
            fields: &fields,
        };
        let mut batch = facts::load_batch(conn, batch_id, &focus)?;
        // What recomputing the computed values that read this field needs
        // (issue 16); a batch whose MBR computes nothing reads nothing more.
        batch.values = facts::all_formula_values(conn, batch_id, &batch.mbr)?;
        let prefix = format!("{batch_id}/");
        let current: Vec<(Uuid, String, String, String)> = signatures::table
            .left_join(
                signature_supersessions::table
                    .on(signature_supersessions::signature_id.eq(signatures::id)),
            )
            .filter(signatures::record_type.eq(STEP_RECORD_TYPE))
            .filter(signatures::record_id.like(format!("{prefix}%")))
            .filter(signature_supersessions::signature_id.is_null())
            .order((signatures::signed_at.asc(), signatures::id.asc()))
            .select((
                signatures::id,
                signatures::record_id,
                signatures::meaning,
                signatures::printed_name,
            ))
            .load(conn)?;
        let mut by_step: HashMap<String, Vec<StepSignatureRef>> = HashMap::new();
        for (id, record_id, meaning, printed_name) in current {
            let Some(meaning) = SignatureMeaning::ALL
                .into_iter()
                .find(|m| m.as_str() == meaning)
            else {
                continue;
            };
            let step = record_id
                .strip_prefix(&prefix)
                .unwrap_or_default()
                .to_string();
            by_step.entry(step).or_default().push(StepSignatureRef {
                id,
                meaning,
                printed_name,
            });
        }
        let original = OriginalEntry {
            id: row.id,
            step_key: row.step_key.clone(),
            field_key: row.field_key.clone(),
            value: serde_json::from_str::<RecordedValue>(&row.value).ok(),
            stored: row.value.clone(),
            activity_at: row.activity_at,
            corrected,
        };
        let inputs = [(row.field_key.clone(), raw.clone())];
        let as_recording = RecordCommand {
            step_key: &row.step_key,
            inputs: &inputs,
            activity_at: None,
            late_reason: None,
            late_window: chrono::Duration::zero(),
            person,
        };
        let registry = facts::registry_for(conn, &registry_references(&batch, &as_recording))?;
        let command = CorrectCommand {
            original: &original,
            raw,
            reason,
            person,
        };
        let mut new_id = || crate::ids::at(now);
        match decide(&batch, &command, &by_step, &registry, now, &mut new_id) {
            Ok(plan) => apply::correct(conn, batch_id, plan, &row, person, &actor, now).map(Ok),
            Err(refusal) => apply::refused(conn, batch_id, refusal, &actor, now).map(Err),
        }
    })?;
    outcome.map_err(DbError::Domain)
}
