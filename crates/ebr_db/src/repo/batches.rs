//! Issuing batches and moving them through their lifecycle.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::batch_identity::{batch_number_key, check_new_batch_number};
use ebr_domain::batch_state::{BatchLifecycle, BatchStatus};
use ebr_domain::execution::check_lot;
use ebr_domain::mbr::MbrStatus;
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::audit::batch_chain;
use super::rows::BatchStatusRow;
use super::{canonical, canonical_hash, vouch};
use crate::repo::{audit, mbr, registry};
use crate::schema::{batch_status_events, batches};
use crate::DbError;

/// A batch record as issued (immutable).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = batches)]
pub struct BatchRow {
    /// Batch id.
    pub id: Uuid,
    /// Unique batch number.
    pub batch_number: String,
    /// MBR version executed.
    pub mbr_version_id: Uuid,
    /// Its content hash at issuance.
    pub mbr_content_sha256: String,
    /// Product code.
    pub product_code: String,
    /// WCB lot.
    pub wcb_lot_id: Uuid,
    /// WCB vial.
    pub wcb_vial: String,
    /// Issuance time.
    pub created_at: DateTime<Utc>,
    /// Issuer.
    pub created_by: String,
}

/// The audit entity type of a batch status change.
pub const BATCH_STATUS_KIND: &str = "batch_status";

/// Serializes writes to one batch (the same key its audit chain uses), so
/// concurrent writers on one batch never interleave; other batches never wait.
pub fn lock(conn: &mut PgConnection, batch_id: Uuid) -> Result<(), DbError> {
    crate::prepared::Prepared(
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind::<Text, _>(batch_chain(batch_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Issues a batch record from an effective MBR version (R35), pinning the
/// version and its content hash, starting from a released, unexpired lot of
/// the MBR's starting material whose bank is qualified: lineage recorded,
/// donor eligible, MCB and WCB released by QA with signatures (R47).
pub fn issue(
    conn: &mut PgConnection,
    batch_number: &str,
    mbr_version_id: Uuid,
    wcb_lot_number: &str,
    wcb_vial: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<BatchRow, DbError> {
    check_new_batch_number(batch_number, wcb_vial, None)?;
    conn.transaction(|conn| {
        let status = mbr::current_status(conn, mbr_version_id)?;
        if status != MbrStatus::Effective {
            return Err(DomainError::MbrNotEffective {
                status: status.as_str().into(),
            }
            .into());
        }
        let (version, content) = mbr::load(conn, mbr_version_id)?;
        let material = content.starting_material.clone().unwrap_or_default();
        let lot = registry::find_lot(conn, &material, wcb_lot_number)?
            .ok_or_else(|| DomainError::LotUnknown(wcb_lot_number.trim().into()))?;
        check_lot(&material, &lot.facts(), now)?;
        let qualification = super::custody::bank::qualification(conn, lot.row.id)?;
        ebr_domain::custody::bank::check_qualified(&qualification.facts())?;
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 13))")
            .bind::<Text, _>(batch_number_key(batch_number))
            .execute(conn)?;
        let existing = number_taken(conn, batch_number)?;
        let batch_number = check_new_batch_number(batch_number, wcb_vial, existing.as_deref())?;
        let batch_number = batch_number.as_str();
        let row = BatchRow {
            id: crate::ids::at(now),
            batch_number: batch_number.into(),
            mbr_version_id,
            mbr_content_sha256: version.content_sha256,
            product_code: content.product.code.clone(),
            wcb_lot_id: lot.row.id,
            wcb_vial: wcb_vial.trim().into(),
            created_at: to_stored_precision(now),
            created_by: actor.into(),
        };
        diesel::insert_into(batches::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            &batch_chain(row.id),
            AuditDraft {
                actor: actor.into(),
                action: "batch.issued".into(),
                entity_type: "batch".into(),
                entity_id: row.id.to_string(),
                old_value: None,
                new_value: canonical(&row),
                reason: None,
                record_hash: Some(canonical_hash(&row)),
            },
            now,
        )?;
        insert_status(conn, row.id, BatchStatus::Planned, None, actor, None, now)?;
        Ok(row)
    })
}

fn insert_status(
    conn: &mut PgConnection,
    batch_id: Uuid,
    to: BatchStatus,
    from: Option<BatchStatus>,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let row: BatchStatusRow = diesel::insert_into(batch_status_events::table)
        .values((
            batch_status_events::id.eq(crate::ids::at(now)),
            batch_status_events::batch_id.eq(batch_id),
            batch_status_events::status.eq(to.as_str()),
            batch_status_events::occurred_at.eq(now),
            batch_status_events::actor.eq(actor),
            batch_status_events::reason.eq(reason),
        ))
        .returning(BatchStatusRow::as_returning())
        .get_result(conn)?;
    let mut draft = vouch(
        actor,
        &format!("batch.{}", to.as_str()),
        BATCH_STATUS_KIND,
        &row.id.to_string(),
        &row,
        None,
    );
    draft.old_value = from.and_then(|f| canonical(&serde_json::json!({ "status": f.as_str() })));
    draft.reason = reason.map(str::to_string);
    audit::append(conn, &batch_chain(batch_id), draft, now)?;
    Ok(())
}

/// The batch's lifecycle, replayed from its status events.
pub fn lifecycle(conn: &mut PgConnection, batch_id: Uuid) -> Result<BatchLifecycle, DbError> {
    let names: Vec<String> = batch_status_events::table
        .filter(batch_status_events::batch_id.eq(batch_id))
        .order((
            batch_status_events::occurred_at.asc(),
            batch_status_events::id.asc(),
        ))
        .select(batch_status_events::status)
        .load(conn)?;
    let statuses = names
        .iter()
        .skip(1) // the first event is `planned`, where every lifecycle starts
        .map(|n| {
            BatchStatus::parse(n)
                .ok_or_else(|| DbError::Integrity(format!("unknown batch status {n}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BatchLifecycle::replay(statuses)?)
}

/// Moves the batch to `to` if its lifecycle allows it (R39).
pub fn transition(
    conn: &mut PgConnection,
    batch_id: Uuid,
    to: BatchStatus,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<BatchLifecycle, DbError> {
    let current = lifecycle(conn, batch_id)?;
    let next = current.transition_to(to)?;
    insert_status(
        conn,
        batch_id,
        to,
        Some(current.status()),
        actor,
        reason,
        now,
    )?;
    Ok(next)
}

/// One batch.
pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<BatchRow, DbError> {
    batches::table
        .find(id)
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("batch {id}")))
}

/// A batch's id and number, as the R35 comparison finds it.
#[derive(QueryableByName)]
struct NumberedBatch {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    batch_number: String,
}

/// The batch whose number equals `number` regardless of case and
/// surrounding spaces (`lower(btrim(…))`, served by the unique index
/// `batches_batch_number_folded_key` that enforces R35 in the database too).
fn by_number_key(conn: &mut PgConnection, number: &str) -> Result<Option<NumberedBatch>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, batch_number FROM batches WHERE lower(btrim(batch_number)) = lower(btrim($1)) LIMIT 1",
    )
    .bind::<Text, _>(number)
    .get_result(conn)
    .optional()?)
}

/// The number of the batch record already issued under `number` in any case
/// or spacing, if there is one.
fn number_taken(conn: &mut PgConnection, number: &str) -> Result<Option<String>, DbError> {
    Ok(by_number_key(conn, number)?.map(|b| b.batch_number))
}

/// The batch with this number, in any case and spacing (R35: there is at
/// most one).
pub fn find_by_number(conn: &mut PgConnection, number: &str) -> Result<BatchRow, DbError> {
    match by_number_key(conn, number)? {
        Some(b) => find(conn, b.id),
        None => Err(DbError::NotFound(format!("batch {number}"))),
    }
}

/// Every batch with its status, newest first.
pub fn list(conn: &mut PgConnection) -> Result<Vec<(BatchRow, BatchStatus)>, DbError> {
    let rows: Vec<BatchRow> = batches::table
        .order(batches::created_at.desc())
        .select(BatchRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let status = lifecycle(conn, row.id)?.status();
            Ok((row, status))
        })
        .collect()
}
