//! Correcting an entry (R23, R24, R34, R13).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::batch_state::BatchStatus;
use ebr_domain::exception::ExceptionKind;
use ebr_domain::DomainError;
use uuid::Uuid;

use super::common::{
    consequences, describe, insert_entry, prepare, raise, with_refusals, CorrectionOf,
};
use super::record::ensure_open;
use super::state::load;
use super::Recorded;
use crate::repo::audit::batch_chain;
use crate::repo::{audit, batches, person_actor};
use crate::schema::signature_supersessions;
use crate::DbError;

/// Corrects an entry: a new entry naming the one it replaces, with a
/// mandatory reason; the original stays. Correcting an entry of a signed step
/// supersedes the step's signatures: it must be signed (and verified) again.
pub fn correct(
    conn: &mut PgConnection,
    batch_id: Uuid,
    entry_id: Uuid,
    raw: &serde_json::Value,
    reason: &str,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<Recorded, DbError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::CorrectionReasonRequired.into());
    }
    with_refusals(conn, batch_id, now, |conn| {
        batches::lock(conn, batch_id)?;
        let state = load(conn, batch_id)?;
        ensure_open(
            &state,
            &[
                BatchStatus::InProgress,
                BatchStatus::ManufacturingComplete,
                BatchStatus::OnHold,
            ],
        )?;
        let original = state
            .entries
            .iter()
            .find(|e| e.id == entry_id)
            .ok_or_else(|| DbError::NotFound(format!("entry {entry_id} of this batch")))?
            .clone();
        if state.is_corrected(original.id) {
            return Err(DomainError::EntryAlreadyCorrected.into());
        }
        let step = state
            .mbr
            .step(&original.step_key)
            .cloned()
            .ok_or_else(|| DomainError::UnknownStep(original.step_key.clone()))?;
        let actor = person_actor(person);
        let p = prepare(conn, &step, &original.field_key, raw, &actor, now)?;
        let correction = CorrectionOf {
            entry: &original,
            reason,
        };
        let row = insert_entry(
            conn,
            &state,
            &step.key,
            &p,
            original.activity_at,
            None,
            Some(&correction),
            person,
            &actor,
            now,
        )?;
        let mut out = Recorded::default();
        let detail = format!(
            "{} corrected from {} to {}; reason: {reason}",
            p.label,
            shown(&original.value),
            describe(&p.value)
        );
        out.exceptions.push(raise(
            conn,
            &state,
            ExceptionKind::Correction,
            &row,
            &detail,
            &actor,
            now,
        )?);
        consequences(conn, &state, &row, &p, &actor, now, &mut out)?;
        for signature in state
            .signatures
            .iter()
            .filter(|s| s.step_key == step.key && s.superseded.is_none())
        {
            diesel::insert_into(signature_supersessions::table)
                .values((
                    signature_supersessions::signature_id.eq(signature.manifest.id),
                    signature_supersessions::superseded_at.eq(to_stored_precision(now)),
                    signature_supersessions::by_entry_id.eq(row.id),
                    signature_supersessions::reason.eq(reason),
                ))
                .execute(conn)?;
            audit::append(
                conn,
                &batch_chain(batch_id),
                AuditDraft {
                    actor: actor.clone(),
                    action: "signature.superseded".into(),
                    entity_type: "signature".into(),
                    entity_id: signature.manifest.id.to_string(),
                    old_value: None,
                    new_value: None,
                    reason: Some(format!("entry {} corrected: {reason}", original.id)),
                    record_hash: None,
                },
                now,
            )?;
            let detail = format!(
                "the {} signature of {} on step {} is superseded by a correction; the step must be signed again",
                signature.manifest.meaning, signature.manifest.printed_name, step.key
            );
            out.exceptions.push(raise(
                conn,
                &state,
                ExceptionKind::SignatureSuperseded,
                &row,
                &detail,
                &actor,
                now,
            )?);
        }
        out.entries.push(row);
        Ok(out)
    })
}

fn shown(canonical_value: &str) -> String {
    serde_json::from_str::<ebr_domain::execution::RecordedValue>(canonical_value)
        .map(|v| describe(&v))
        .unwrap_or_else(|_| canonical_value.to_string())
}
