//! Contingency forms (R27): serial-numbered paper forms of a step, issued
//! under the batch lock on the batch's chain, and their one transcription
//! back into the record, in the recording's own transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::to_stored_precision;
use ebr_domain::contingency::{check_issue, check_transcription, form_serial, FormFacts};
use serde::Serialize;
use uuid::Uuid;

use crate::repo::audit::batch_chain;
use crate::repo::execution::EntryRow;
use crate::repo::{audit, batches, mbr, vouch};
use crate::schema::{contingency_forms, form_transcriptions};
use crate::DbError;

/// The audit entity type of a form.
pub const FORM_KIND: &str = "contingency_form";
/// The audit entity type of a transcription.
pub const TRANSCRIPTION_KIND: &str = "form_transcription";

/// A printed form.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = contingency_forms)]
pub struct FormRow {
    /// Id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Step.
    pub step_key: String,
    /// Serial.
    pub serial: String,
    /// Time.
    pub issued_at: DateTime<Utc>,
    /// Who.
    pub issued_by: String,
}

/// A form re-entered.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = form_transcriptions)]
pub struct TranscriptionRow {
    /// Id.
    pub id: Uuid,
    /// Form.
    pub form_id: Uuid,
    /// Entries (JSON array of ids).
    pub entry_ids: String,
    /// Time.
    pub transcribed_at: DateTime<Utc>,
    /// Who.
    pub transcribed_by: String,
}

/// Issues the next serial-numbered form of `step_key` for the batch.
pub fn issue(
    conn: &mut PgConnection,
    batch_id: Uuid,
    step_key: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<FormRow, DbError> {
    crate::tx::atomic(conn, |conn| {
        batches::lock(conn, batch_id)?;
        let batch = batches::find(conn, batch_id)?;
        let status = batches::lifecycle(conn, batch_id)?.status();
        let (_, content) = mbr::load(conn, batch.mbr_version_id)?;
        check_issue(status, content.step(step_key).is_some(), step_key)?;
        let issued = contingency_forms::table
            .filter(contingency_forms::batch_id.eq(batch_id))
            .count()
            .get_result::<i64>(conn)?;
        let row = FormRow {
            id: crate::ids::at(now),
            batch_id,
            step_key: step_key.into(),
            serial: form_serial(
                &batch.batch_number,
                usize::try_from(issued).unwrap_or(0) + 1,
            ),
            issued_at: to_stored_precision(now),
            issued_by: actor.into(),
        };
        diesel::insert_into(contingency_forms::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            &batch_chain(batch_id),
            vouch(
                actor,
                "contingency_form.issued",
                FORM_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(row)
    })
}

/// R27: checks, under the batch lock, that `serial` is a form of this batch
/// and step not transcribed yet; returns it. Call inside the recording's
/// transaction, then [`mark_transcribed`].
pub fn claim(
    conn: &mut PgConnection,
    batch_id: Uuid,
    serial: &str,
    step_key: &str,
) -> Result<FormRow, DbError> {
    batches::lock(conn, batch_id)?;
    let form: Option<FormRow> = contingency_forms::table
        .filter(contingency_forms::batch_id.eq(batch_id))
        .filter(contingency_forms::serial.eq(serial.trim()))
        .select(FormRow::as_select())
        .first(conn)
        .optional()?;
    let transcribed = match &form {
        Some(f) => {
            form_transcriptions::table
                .filter(form_transcriptions::form_id.eq(f.id))
                .count()
                .get_result::<i64>(conn)?
                > 0
        }
        None => false,
    };
    let facts = form.as_ref().map(|f| FormFacts {
        step_key: f.step_key.clone(),
        transcribed,
    });
    check_transcription(serial, facts.as_ref(), step_key)?;
    form.ok_or_else(|| DbError::Integrity(format!("form {serial} vanished")))
}

/// Records that `entries` were transcribed from `form`.
pub fn mark_transcribed(
    conn: &mut PgConnection,
    form: &FormRow,
    entries: &[EntryRow],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TranscriptionRow, DbError> {
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let row = TranscriptionRow {
        id: crate::ids::at(now),
        form_id: form.id,
        entry_ids: serde_json::to_string(&ids).unwrap_or_default(),
        transcribed_at: to_stored_precision(now),
        transcribed_by: actor.into(),
    };
    diesel::insert_into(form_transcriptions::table)
        .values(&row)
        .execute(conn)?;
    audit::append(
        conn,
        &batch_chain(form.batch_id),
        vouch(
            actor,
            "contingency_form.transcribed",
            TRANSCRIPTION_KIND,
            &row.id.to_string(),
            &row,
            None,
        ),
        now,
    )?;
    Ok(row)
}

/// The form serial each transcribed entry of a batch came from.
pub fn transcribed_entries(
    conn: &mut PgConnection,
    batch_id: Uuid,
) -> Result<Vec<(Uuid, String)>, DbError> {
    let rows: Vec<(String, String)> = form_transcriptions::table
        .inner_join(contingency_forms::table)
        .filter(contingency_forms::batch_id.eq(batch_id))
        .select((form_transcriptions::entry_ids, contingency_forms::serial))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .flat_map(|(ids, serial)| {
            serde_json::from_str::<Vec<Uuid>>(&ids)
                .unwrap_or_default()
                .into_iter()
                .map(move |id| (id, serial.clone()))
        })
        .collect())
}

/// Every form and transcription row (integrity checks).
pub fn all_rows(conn: &mut PgConnection) -> Result<(Vec<FormRow>, Vec<TranscriptionRow>), DbError> {
    Ok((
        contingency_forms::table
            .select(FormRow::as_select())
            .load(conn)?,
        form_transcriptions::table
            .select(TranscriptionRow::as_select())
            .load(conn)?,
    ))
}
