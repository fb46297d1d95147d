//! Applying what a domain command decided ([`Plan`]): every row and its audit
//! event, under the batch lock the caller holds, in the caller's transaction.
//! Nothing here decides: the plan is written as it is.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::batch::{Plan, PlannedException};
use ebr_domain::execution::RecordedValue;
use uuid::Uuid;

use super::record::Recorded;
use super::state::EntryRow;
use crate::repo::audit::{self, batch_chain};
use crate::repo::exceptions::{self, ExceptionDraft};
use crate::repo::{batches, canonical, canonical_hash};
use crate::schema::entries;
use crate::DbError;

/// The exception draft of a planned exception, raised by `actor`.
pub(super) fn exception_draft(e: PlannedException, actor: &str) -> ExceptionDraft {
    ExceptionDraft {
        kind: e.kind,
        step_key: e.step_key,
        field_key: e.field_key,
        entry_id: e.entry_id,
        detail: e.detail,
        actor: actor.to_string(),
    }
}

/// Writes a recording's plan: the entries in one insert and their audit
/// events in one append (each carrying its entry's hash), then the
/// exceptions, the deviations and the batch's status move, each with its
/// audit event.
pub(super) fn record(
    conn: &mut PgConnection,
    batch_id: Uuid,
    plan: Plan,
    person: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Recorded, DbError> {
    let rows: Vec<EntryRow> = plan
        .entries
        .iter()
        .map(|e| EntryRow {
            id: e.id,
            batch_id,
            step_key: plan.step_key.clone(),
            field_key: e.field_key.clone(),
            value: canonical(&e.value).unwrap_or_default(),
            unit: match &e.value {
                RecordedValue::Number { unit, .. } => Some(unit.clone()),
                _ => None,
            },
            evaluation: e.evaluation.map(|ev| {
                serde_json::to_value(ev)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            }),
            material_lot_id: e.lot,
            equipment_id: e.equipment,
            activity_at: to_stored_precision(plan.activity_at),
            recorded_at: to_stored_precision(now),
            recorded_by: person,
            late_reason: plan.late_reason.clone(),
            corrects_entry_id: None,
            correction_reason: None,
        })
        .collect();
    diesel::insert_into(entries::table)
        .values(&rows)
        .execute(conn)?;
    let drafts = rows
        .iter()
        .map(|row| AuditDraft {
            actor: actor.to_string(),
            action: "entry.recorded".into(),
            entity_type: "entry".into(),
            entity_id: row.id.to_string(),
            old_value: None,
            new_value: Some(row.value.clone()),
            reason: row.late_reason.clone(),
            record_hash: Some(canonical_hash(row)),
        })
        .collect();
    // The caller holds the batch lock, the same key as the chain's.
    audit::append_all_locked(conn, &batch_chain(batch_id), drafts, now)?;
    let mut out = Recorded {
        entries: rows,
        ..Recorded::default()
    };
    for e in plan.exceptions {
        out.exceptions.push(exceptions::raise(
            conn,
            batch_id,
            &exception_draft(e, actor),
            now,
        )?);
    }
    for d in plan.deviations {
        out.deviations.push(exceptions::open_deviation(
            conn,
            batch_id,
            Some(d.source_entry_id),
            &d.title,
            &d.description,
            Some(d.owner),
            "system:ebr",
            now,
        )?);
    }
    if let Some((to, reason)) = plan.transition {
        batches::transition(conn, batch_id, to, actor, Some(&reason), now)?;
    }
    Ok(out)
}
