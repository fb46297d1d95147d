//! Applying what a domain command decided ([`Plan`]): every row and its audit
//! event, under the batch lock the caller holds, in the caller's transaction.
//! Nothing here decides: the plan is written as it is.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft, ChainHead};
use ebr_domain::batch::{CorrectPlan, Plan, PlannedEntry, PlannedException, Refusal};
use ebr_domain::execution::RecordedValue;
use uuid::Uuid;

use super::record::Recorded;
use super::state::EntryRow;
use crate::repo::audit::{self, batch_chain};
use crate::repo::exceptions::{self, ExceptionDraft};
use crate::repo::rows::SupersessionRow;
use crate::repo::{batches, canonical, canonical_hash};
use crate::schema::{entries, signature_supersessions};
use crate::DbError;

/// The audit entity type of a step signature superseded by a correction
/// (its id is the signature's).
pub const SUPERSESSION_KIND: &str = "signature_supersession";

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

/// Writes what a refused command leaves (a refused scan's exception, R8,
/// R37; nothing for any other refusal) and returns the rule that refused.
pub(super) fn refused(
    conn: &mut PgConnection,
    batch_id: Uuid,
    refusal: Refusal,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ebr_domain::DomainError, DbError> {
    if let Some(exception) = refusal.exception {
        exceptions::raise(conn, batch_id, &exception_draft(*exception, actor), now)?;
    }
    Ok(refusal.error)
}

/// The row of a planned entry (not late, not a correction).
fn entry_row(
    batch_id: Uuid,
    step_key: &str,
    e: &PlannedEntry,
    activity_at: DateTime<Utc>,
    person: Uuid,
    now: DateTime<Utc>,
) -> EntryRow {
    EntryRow {
        id: e.id,
        batch_id,
        step_key: step_key.to_string(),
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
        activity_at: to_stored_precision(activity_at),
        recorded_at: to_stored_precision(now),
        recorded_by: person,
        late_reason: None,
        corrects_entry_id: None,
        correction_reason: None,
    }
}

/// Writes the exceptions and deviations a plan raises, in order, each with
/// its audit event.
fn raise_all(
    conn: &mut PgConnection,
    batch_id: Uuid,
    planned: Vec<PlannedException>,
    deviations: Vec<ebr_domain::batch::PlannedDeviation>,
    actor: &str,
    now: DateTime<Utc>,
    out: &mut Recorded,
) -> Result<(), DbError> {
    for e in planned {
        out.exceptions.push(exceptions::raise(
            conn,
            batch_id,
            &exception_draft(e, actor),
            now,
        )?);
    }
    for d in deviations {
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
    Ok(())
}

/// Writes a correction's plan: the correcting entry (naming the original,
/// with the reason) and its audit event (old and new value), the
/// exceptions and deviations, and each superseded signature with its audit
/// event.
pub(super) fn correct(
    conn: &mut PgConnection,
    batch_id: Uuid,
    plan: CorrectPlan,
    original: &EntryRow,
    person: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Recorded, DbError> {
    let row = EntryRow {
        corrects_entry_id: Some(plan.corrects),
        correction_reason: Some(plan.reason.clone()),
        ..entry_row(
            batch_id,
            &plan.step_key,
            &plan.entry,
            plan.activity_at,
            person,
            now,
        )
    };
    diesel::insert_into(entries::table)
        .values(&row)
        .execute(conn)?;
    let chain = batch_chain(batch_id);
    audit::append_all_locked(
        conn,
        &chain,
        vec![AuditDraft {
            actor: actor.to_string(),
            action: "entry.corrected".into(),
            entity_type: "entry".into(),
            entity_id: row.id.to_string(),
            old_value: Some(original.value.clone()),
            new_value: Some(row.value.clone()),
            reason: Some(plan.reason.clone()),
            record_hash: Some(canonical_hash(&row)),
        }],
        now,
    )?;
    let mut out = Recorded::default();
    // The computed values that read the corrected one, recomputed: each a
    // new entry correcting the computed entry it replaces (issue 16).
    for r in plan.recomputed {
        let recomputed = EntryRow {
            corrects_entry_id: Some(r.corrects),
            correction_reason: Some(format!(
                "recomputed: {} corrected ({})",
                original.field_key, plan.reason
            )),
            ..entry_row(
                batch_id,
                &r.step_key,
                &r.entry,
                plan.activity_at,
                person,
                now,
            )
        };
        diesel::insert_into(entries::table)
            .values(&recomputed)
            .execute(conn)?;
        audit::append_all_locked(
            conn,
            &chain,
            vec![AuditDraft {
                actor: actor.to_string(),
                action: "entry.recomputed".into(),
                entity_type: "entry".into(),
                entity_id: recomputed.id.to_string(),
                old_value: Some(r.was.clone()),
                new_value: Some(recomputed.value.clone()),
                reason: recomputed.correction_reason.clone(),
                record_hash: Some(canonical_hash(&recomputed)),
            }],
            now,
        )?;
        out.entries.push(recomputed);
    }
    raise_all(
        conn,
        batch_id,
        plan.exceptions,
        plan.deviations,
        actor,
        now,
        &mut out,
    )?;
    for signature in plan.supersedes {
        let superseded: SupersessionRow = diesel::insert_into(signature_supersessions::table)
            .values((
                signature_supersessions::signature_id.eq(signature),
                signature_supersessions::superseded_at.eq(to_stored_precision(now)),
                signature_supersessions::by_entry_id.eq(row.id),
                signature_supersessions::reason.eq(&plan.reason),
            ))
            .returning(SupersessionRow::as_returning())
            .get_result(conn)?;
        let mut draft = crate::repo::vouch(
            actor,
            "signature.superseded",
            SUPERSESSION_KIND,
            &signature.to_string(),
            &superseded,
            None,
        );
        draft.reason = Some(format!("entry {} corrected: {}", original.id, plan.reason));
        audit::append_all_locked(conn, &chain, vec![draft], now)?;
    }
    out.entries.insert(0, row);
    Ok(out)
}

/// Writes a recording's plan: the entries in one insert and their audit
/// events in one append (each carrying its entry's hash), then the
/// exceptions, the deviations and the batch's status move, each with its
/// audit event. `head` is the batch chain's head read with the batch under
/// the lock the caller holds.
pub(super) fn record(
    conn: &mut PgConnection,
    batch_id: Uuid,
    head: &mut ChainHead,
    plan: Plan,
    person: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Recorded, DbError> {
    let rows: Vec<EntryRow> = plan
        .entries
        .iter()
        .map(|e| EntryRow {
            late_reason: plan.late_reason.clone(),
            ..entry_row(batch_id, &plan.step_key, e, plan.activity_at, person, now)
        })
        .collect();
    // One prepared statement per number of entries (a handful of shapes).
    crate::prepared::Prepared(diesel::insert_into(entries::table).values(&rows)).execute(conn)?;
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
    audit::append_after(conn, &batch_chain(batch_id), head, drafts, now)?;
    let mut out = Recorded {
        entries: rows,
        ..Recorded::default()
    };
    raise_all(
        conn,
        batch_id,
        plan.exceptions,
        plan.deviations,
        actor,
        now,
        &mut out,
    )?;
    if let Some((to, reason)) = plan.transition {
        batches::transition(conn, batch_id, to, actor, Some(&reason), now)?;
    }
    Ok(out)
}
