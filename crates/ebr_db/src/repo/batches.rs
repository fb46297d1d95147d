//! Issuing batches and moving them through their lifecycle.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::batch_state::{BatchLifecycle, BatchStatus};
use ebr_domain::execution::check_lot;
use ebr_domain::mbr::MbrStatus;
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::exceptions::batch_chain;
use super::{canonical, canonical_hash};
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

/// Serializes writes to one batch (the same key its audit chain uses), so
/// concurrent writers on one batch never interleave; other batches never wait.
pub fn lock(conn: &mut PgConnection, batch_id: Uuid) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
        .bind::<Text, _>(batch_chain(batch_id))
        .execute(conn)?;
    Ok(())
}

/// Issues a batch record from an effective MBR version (R35), pinning the
/// version and its content hash, starting from a released, unexpired lot of
/// the MBR's starting material.
pub fn issue(
    conn: &mut PgConnection,
    batch_number: &str,
    mbr_version_id: Uuid,
    wcb_lot_number: &str,
    wcb_vial: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<BatchRow, DbError> {
    let batch_number = batch_number.trim();
    if batch_number.is_empty() || wcb_vial.trim().is_empty() {
        return Err(DbError::Refused {
            code: "batch_identity_required",
            message: "a batch needs a batch number and the WCB vial it is thawed from".into(),
        });
    }
    conn.transaction(|conn| {
        let status = mbr::current_status(conn, mbr_version_id)?;
        if status != MbrStatus::Effective {
            return Err(DomainError::MbrNotEffective { status: status.as_str().into() }.into());
        }
        let (version, content) = mbr::load(conn, mbr_version_id)?;
        let material = content.starting_material.clone().unwrap_or_default();
        let lot = registry::find_lot(conn, &material, wcb_lot_number)?.ok_or_else(|| DomainError::LotUnknown(wcb_lot_number.trim().into()))?;
        check_lot(&material, &lot.facts(), now)?;
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 13))")
            .bind::<Text, _>(batch_number)
            .execute(conn)?;
        if batches::table.filter(batches::batch_number.eq(batch_number)).count().get_result::<i64>(conn)? > 0 {
            return Err(DbError::Conflict {
                code: "batch_number_taken",
                message: format!("batch {batch_number} already has a batch record; one record per batch number (R35)"),
            });
        }
        let row = BatchRow {
            id: Uuid::now_v7(),
            batch_number: batch_number.into(),
            mbr_version_id,
            mbr_content_sha256: version.content_sha256,
            product_code: content.product.code.clone(),
            wcb_lot_id: lot.row.id,
            wcb_vial: wcb_vial.trim().into(),
            created_at: to_stored_precision(now),
            created_by: actor.into(),
        };
        diesel::insert_into(batches::table).values(&row).execute(conn)?;
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
    diesel::insert_into(batch_status_events::table)
        .values((
            batch_status_events::id.eq(Uuid::now_v7()),
            batch_status_events::batch_id.eq(batch_id),
            batch_status_events::status.eq(to.as_str()),
            batch_status_events::occurred_at.eq(now),
            batch_status_events::actor.eq(actor),
            batch_status_events::reason.eq(reason),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        &batch_chain(batch_id),
        AuditDraft {
            actor: actor.into(),
            action: format!("batch.{}", to.as_str()),
            entity_type: "batch".into(),
            entity_id: batch_id.to_string(),
            old_value: from.and_then(|f| canonical(&serde_json::json!({ "status": f.as_str() }))),
            new_value: canonical(&serde_json::json!({ "status": to.as_str() })),
            reason: reason.map(str::to_string),
            record_hash: None,
        },
        now,
    )?;
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

/// The batch with this number.
pub fn find_by_number(conn: &mut PgConnection, number: &str) -> Result<BatchRow, DbError> {
    batches::table
        .filter(batches::batch_number.eq(number.trim()))
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("batch {number}")))
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
