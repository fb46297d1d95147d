//! Recording the values of a step.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use ebr_domain::batch_state::BatchStatus;
use ebr_domain::exception::ExceptionKind;
use ebr_domain::execution::{check_sequence, hold_time_breaches, is_late};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::common::{consequences, insert_entry, prepare, with_refusals};
use super::state::{load, BatchState, EntryRow};
use crate::repo::exceptions::{self, DeviationRow, ExceptionDraft, ExceptionRow};
use crate::repo::{batches, person_actor};
use crate::DbError;

/// One value for one field.
#[derive(Debug, Clone)]
pub struct EntryInput {
    /// The field key.
    pub field_key: String,
    /// The raw value (see `ebr_domain::execution::parse_value`).
    pub value: serde_json::Value,
}

/// The values of one step, recorded together.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    /// The step.
    pub step_key: String,
    /// The values.
    pub inputs: Vec<EntryInput>,
    /// When the activity happened, if earlier than now (R33).
    pub activity_at: Option<DateTime<Utc>>,
    /// Why the entry is late, when it is.
    pub late_reason: Option<String>,
}

/// What a recording stored and raised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recorded {
    /// The entries stored.
    pub entries: Vec<EntryRow>,
    /// The exceptions raised.
    pub exceptions: Vec<ExceptionRow>,
    /// The deviations opened.
    pub deviations: Vec<DeviationRow>,
}

pub(super) fn ensure_open(state: &BatchState, allowed: &[BatchStatus]) -> Result<(), DbError> {
    let status = state.lifecycle.status();
    if !allowed.contains(&status) {
        return Err(DomainError::BatchClosed {
            status: status.as_str().into(),
        }
        .into());
    }
    Ok(())
}

/// Records values of the current step (R6). Numbers are evaluated: an alert
/// raises an exception; an out-of-specification value is kept, flagged, and
/// opens a deviation. Lots and equipment are checked at the time of use (R8,
/// R37); a refused one stores only the attempt and its exception. A late
/// activity needs a reason and raises an exception (R33); the first entry of
/// a step checks its hold times; the first entry of the batch starts it.
pub fn record(
    conn: &mut PgConnection,
    batch_id: Uuid,
    req: &RecordRequest,
    person: Uuid,
    late_window: Duration,
    now: DateTime<Utc>,
) -> Result<Recorded, DbError> {
    with_refusals(conn, batch_id, now, |conn| {
        batches::lock(conn, batch_id)?;
        let state = load(conn, batch_id)?;
        ensure_open(&state, &[BatchStatus::Planned, BatchStatus::InProgress])?;
        let facts = state.step_facts();
        check_sequence(&state.mbr, &facts, &req.step_key)?;
        let step = state
            .mbr
            .step(&req.step_key)
            .cloned()
            .ok_or_else(|| DomainError::UnknownStep(req.step_key.clone()))?;
        if req.inputs.is_empty() {
            return Err(DomainError::NoValues.into());
        }
        let activity_at = req.activity_at.unwrap_or(now);
        if activity_at > now + Duration::minutes(1) {
            return Err(DomainError::ActivityInFuture.into());
        }
        let late_reason = req
            .late_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let late = is_late(activity_at, now, late_window);
        if late && late_reason.is_none() {
            return Err(DomainError::LateEntryReasonRequired {
                minutes: (now - activity_at).num_minutes(),
            }
            .into());
        }
        let actor = person_actor(person);
        let mut seen = HashSet::new();
        let mut prepared = Vec::new();
        for input in &req.inputs {
            if !seen.insert(input.field_key.as_str())
                || state.current_entry(&step.key, &input.field_key).is_some()
            {
                return Err(DomainError::FieldAlreadyRecorded {
                    step: step.key.clone(),
                    field: input.field_key.clone(),
                }
                .into());
            }
            prepared.push(prepare(
                conn,
                &step,
                &input.field_key,
                &input.value,
                &actor,
                now,
            )?);
        }
        let started = facts
            .get(&step.key)
            .is_some_and(|f| f.first_entry_at.is_some());
        let mut out = Recorded::default();
        for p in &prepared {
            let row = insert_entry(
                conn,
                &state,
                &step.key,
                p,
                activity_at,
                if late { late_reason } else { None },
                None,
                person,
                &actor,
                now,
            )?;
            consequences(conn, &state, &row, p, &actor, now, &mut out)?;
            out.entries.push(row);
        }
        if late {
            let detail = format!(
                "late entry: activity at {} recorded {} minutes later; reason: {}",
                activity_at.to_rfc3339(),
                (now - activity_at).num_minutes(),
                late_reason.unwrap_or_default()
            );
            out.exceptions.push(exceptions::raise(
                conn,
                batch_id,
                &draft(ExceptionKind::LateEntry, &step.key, &detail, &actor),
                now,
            )?);
        }
        if !started {
            for breach in hold_time_breaches(&step, &facts, now) {
                let detail = format!(
                    "hold time exceeded: step {} started {} min after {} (limit {} min)",
                    step.key, breach.elapsed_minutes, breach.after, breach.max_minutes
                );
                out.exceptions.push(exceptions::raise(
                    conn,
                    batch_id,
                    &draft(ExceptionKind::HoldTimeBreach, &step.key, &detail, &actor),
                    now,
                )?);
            }
        }
        if state.lifecycle.status() == BatchStatus::Planned {
            batches::transition(
                conn,
                batch_id,
                BatchStatus::InProgress,
                &actor,
                Some("first entry recorded"),
                now,
            )?;
        }
        Ok(out)
    })
}

fn draft(kind: ExceptionKind, step: &str, detail: &str, actor: &str) -> ExceptionDraft {
    ExceptionDraft {
        kind,
        step_key: Some(step.to_string()),
        field_key: None,
        entry_id: None,
        detail: detail.to_string(),
        actor: actor.to_string(),
    }
}
