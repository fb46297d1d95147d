//! Steps shared by recording and correcting: resolving a raw value against its
//! field (lots and equipment included), inserting the entry, raising what
//! follows from its evaluation, and recording refused attempts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::exception::ExceptionKind;
use ebr_domain::execution::{check_equipment, check_lot, evaluate, parse_value, RecordedValue};
use ebr_domain::limits::Evaluation;
use ebr_domain::mbr::{FieldKind, Step};
use ebr_domain::DomainError;
use serde_json::Value;
use uuid::Uuid;

use super::state::{BatchState, EntryRow};
use super::Recorded;
use crate::repo::audit::batch_chain;
use crate::repo::exceptions::{self, ExceptionDraft};
use crate::repo::{audit, canonical, canonical_hash, registry};
use crate::schema::entries;
use crate::DbError;

/// A value ready to be stored.
pub(super) struct Prepared {
    pub field_key: String,
    pub label: String,
    pub value: RecordedValue,
    pub evaluation: Option<Evaluation>,
    pub lot: Option<Uuid>,
    pub equipment: Option<Uuid>,
}

fn refused(
    error: DomainError,
    kind: ExceptionKind,
    step: &Step,
    field: &str,
    actor: &str,
) -> DbError {
    DbError::RefusedAttempt {
        exception: Box::new(ExceptionDraft {
            kind,
            step_key: Some(step.key.clone()),
            field_key: Some(field.to_string()),
            entry_id: None,
            detail: format!("refused at entry: {error}"),
            actor: actor.to_string(),
        }),
        error,
    }
}

/// Parses, evaluates and resolves one raw value for `field_key` of `step`.
/// A lot or equipment that may not be used is a refused attempt (R8, R37).
pub(super) fn prepare(
    conn: &mut PgConnection,
    step: &Step,
    field_key: &str,
    raw: &Value,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, DbError> {
    let field = step
        .fields
        .iter()
        .find(|f| f.key == field_key)
        .ok_or_else(|| DomainError::UnknownField {
            step: step.key.clone(),
            field: field_key.to_string(),
        })?;
    let value = parse_value(field, raw)?;
    let evaluation = evaluate(field, &value)?;
    let (mut lot, mut equipment) = (None, None);
    match (&field.kind, &value) {
        (FieldKind::Material { material }, RecordedValue::Material { lot_number }) => {
            let found = registry::find_lot(conn, material, lot_number)?.ok_or_else(|| {
                refused(
                    DomainError::LotUnknown(lot_number.clone()),
                    ExceptionKind::MaterialRefused,
                    step,
                    field_key,
                    actor,
                )
            })?;
            check_lot(material, &found.facts(), now)
                .map_err(|e| refused(e, ExceptionKind::MaterialRefused, step, field_key, actor))?;
            lot = Some(found.row.id);
        }
        (FieldKind::Equipment { equipment_type }, RecordedValue::Equipment { code }) => {
            let found = registry::find_equipment(conn, code)?.ok_or_else(|| {
                refused(
                    DomainError::EquipmentUnknown(code.clone()),
                    ExceptionKind::EquipmentRefused,
                    step,
                    field_key,
                    actor,
                )
            })?;
            check_equipment(equipment_type, &found.facts(), now)
                .map_err(|e| refused(e, ExceptionKind::EquipmentRefused, step, field_key, actor))?;
            equipment = Some(found.row.id);
        }
        _ => {}
    }
    Ok(Prepared {
        field_key: field_key.to_string(),
        label: field.label.clone(),
        value,
        evaluation,
        lot,
        equipment,
    })
}

/// What distinguishes a correction from a first entry.
pub(super) struct CorrectionOf<'a> {
    pub entry: &'a EntryRow,
    pub reason: &'a str,
}

/// Inserts an entry and its audit event (carrying the entry's hash).
#[allow(clippy::too_many_arguments)]
pub(super) fn insert_entry(
    conn: &mut PgConnection,
    state: &BatchState,
    step_key: &str,
    p: &Prepared,
    activity_at: DateTime<Utc>,
    late_reason: Option<&str>,
    correction: Option<&CorrectionOf<'_>>,
    person: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<EntryRow, DbError> {
    let unit = match &p.value {
        RecordedValue::Number { unit, .. } => Some(unit.clone()),
        _ => None,
    };
    let row = EntryRow {
        id: crate::ids::at(now),
        batch_id: state.batch.id,
        step_key: step_key.to_string(),
        field_key: p.field_key.clone(),
        value: canonical(&p.value).unwrap_or_default(),
        unit,
        evaluation: p.evaluation.map(|e| {
            serde_json::to_value(e)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        }),
        material_lot_id: p.lot,
        equipment_id: p.equipment,
        activity_at: to_stored_precision(activity_at),
        recorded_at: to_stored_precision(now),
        recorded_by: person,
        late_reason: late_reason.map(str::to_string),
        corrects_entry_id: correction.map(|c| c.entry.id),
        correction_reason: correction.map(|c| c.reason.to_string()),
    };
    diesel::insert_into(entries::table)
        .values(&row)
        .execute(conn)?;
    audit::append(
        conn,
        &batch_chain(state.batch.id),
        AuditDraft {
            actor: actor.to_string(),
            action: if correction.is_some() {
                "entry.corrected"
            } else {
                "entry.recorded"
            }
            .into(),
            entity_type: "entry".into(),
            entity_id: row.id.to_string(),
            old_value: correction.map(|c| c.entry.value.clone()),
            new_value: Some(row.value.clone()),
            reason: correction
                .map(|c| c.reason.to_string())
                .or_else(|| late_reason.map(str::to_string)),
            record_hash: Some(canonical_hash(&row)),
        },
        now,
    )?;
    Ok(row)
}

/// Raises what an entry's evaluation calls for: an alert exception, or an
/// out-of-specification exception and a deviation linked to the entry (the
/// value itself is always kept).
pub(super) fn consequences(
    conn: &mut PgConnection,
    state: &BatchState,
    row: &EntryRow,
    p: &Prepared,
    actor: &str,
    now: DateTime<Utc>,
    out: &mut Recorded,
) -> Result<(), DbError> {
    let shown = describe(&p.value);
    match p.evaluation {
        Some(Evaluation::Alert) => {
            let detail = format!(
                "{} = {shown}: outside the alert range, within specification",
                p.label
            );
            out.exceptions.push(raise(
                conn,
                state,
                ExceptionKind::Alert,
                row,
                &detail,
                actor,
                now,
            )?);
        }
        Some(Evaluation::OutOfSpecification) => {
            let detail = format!("{} = {shown}: out of specification", p.label);
            out.exceptions.push(raise(
                conn,
                state,
                ExceptionKind::OutOfSpecification,
                row,
                &detail,
                actor,
                now,
            )?);
            let title = format!("Out of specification: {} ({})", p.label, row.step_key);
            let description = format!(
                "{detail}. Opened automatically for entry {} of step {}.",
                row.id, row.step_key
            );
            out.deviations.push(exceptions::open_deviation(
                conn,
                state.batch.id,
                Some(row.id),
                &title,
                &description,
                Some(row.recorded_by),
                "system:ebr",
                now,
            )?);
        }
        _ => {}
    }
    Ok(())
}

/// Raises an exception about an entry.
#[allow(clippy::too_many_arguments)]
pub(super) fn raise(
    conn: &mut PgConnection,
    state: &BatchState,
    kind: ExceptionKind,
    row: &EntryRow,
    detail: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<exceptions::ExceptionRow, DbError> {
    exceptions::raise(
        conn,
        state.batch.id,
        &ExceptionDraft {
            kind,
            step_key: Some(row.step_key.clone()),
            field_key: Some(row.field_key.clone()),
            entry_id: Some(row.id),
            detail: detail.to_string(),
            actor: actor.to_string(),
        },
        now,
    )
}

/// A value in words, for exception texts: as the operator typed it, a lot
/// prefixed with "lot".
pub(super) fn describe(value: &RecordedValue) -> String {
    match value {
        RecordedValue::Material { lot_number } => format!("lot {lot_number}"),
        other => other.as_recorded(),
    }
}

/// Runs `work` in a transaction; a refused attempt rolls it back and then
/// records its exception (and audit event) on its own, so the refusal stores
/// nothing but the attempt.
pub(super) fn with_refusals<T>(
    conn: &mut PgConnection,
    batch_id: Uuid,
    now: DateTime<Utc>,
    work: impl FnOnce(&mut PgConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    match conn.transaction(work) {
        Err(DbError::RefusedAttempt { error, exception }) => {
            conn.transaction(|conn| exceptions::raise(conn, batch_id, &exception, now))?;
            Err(DbError::Domain(error))
        }
        other => other,
    }
}
