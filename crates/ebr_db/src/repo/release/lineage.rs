//! Chain of identity (R47): donor → iPSC line → MCB → WCB lot and vial →
//! batch → final-product vials, queried both ways.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft, SYSTEM_CHAIN};
use serde::Serialize;
use uuid::Uuid;

use crate::repo::audit::batch_chain;
use crate::repo::execution::BatchState;
use crate::repo::{audit, batches, canonical, canonical_hash, registry};
use crate::schema::{batches as batches_table, cell_bank_lineage, vials};
use crate::DbError;
use ebr_domain::DomainError;

/// The lineage of a WCB lot above the batch.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = cell_bank_lineage)]
pub struct CellBankLineage {
    /// The WCB lot.
    pub wcb_lot_id: Uuid,
    /// Donor.
    pub donor_id: String,
    /// iPSC line.
    pub ipsc_line: String,
    /// MCB lot.
    pub mcb_lot: String,
    /// Time.
    pub recorded_at: DateTime<Utc>,
    /// Who.
    pub recorded_by: String,
}

/// The audit entity type of a serialised vial.
pub const VIAL_KIND: &str = "vial";

/// A serialised vial.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = vials)]
pub struct VialRow {
    /// Id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Serial.
    pub serial: String,
    /// Time.
    pub created_at: DateTime<Utc>,
}

/// Records the lineage of a WCB lot (once; lineage never changes): the
/// donor is named by the DIN of a registered donor (R50).
pub fn record(
    conn: &mut PgConnection,
    lot_id: Uuid,
    donor_id: &str,
    ipsc_line: &str,
    mcb_lot: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<CellBankLineage, DbError> {
    conn.transaction(|conn| {
        registry::lot(conn, lot_id)?;
        let recorded = cell_bank_lineage::table
            .find(lot_id)
            .count()
            .get_result::<i64>(conn)?
            > 0;
        ebr_domain::batch::check_lineage(donor_id, ipsc_line, mcb_lot, recorded)?;
        let din = ebr_domain::isbt128::Din::parse_keyed(donor_id)?.keyed();
        if crate::repo::custody::bank::find_donor(conn, &din)?.is_none() {
            return Err(DomainError::DonorUnknown(din).into());
        }
        let row = CellBankLineage {
            wcb_lot_id: lot_id,
            donor_id: din,
            ipsc_line: ipsc_line.trim().into(),
            mcb_lot: mcb_lot.trim().into(),
            recorded_at: to_stored_precision(now),
            recorded_by: actor.into(),
        };
        diesel::insert_into(cell_bank_lineage::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            AuditDraft {
                actor: actor.into(),
                action: "lineage.recorded".into(),
                entity_type: "cell_bank_lineage".into(),
                entity_id: lot_id.to_string(),
                old_value: None,
                new_value: canonical(&row),
                reason: None,
                record_hash: Some(canonical_hash(&row)),
            },
            now,
        )?;
        Ok(row)
    })
}

/// Serialises the batch's vials from the count recorded in `field` (called
/// when the fill step is signed as performed); does nothing if already done.
pub fn issue_vials(
    conn: &mut PgConnection,
    state: &BatchState,
    step: &str,
    field: &str,
    now: DateTime<Utc>,
) -> Result<Vec<VialRow>, DbError> {
    if vials::table
        .filter(vials::batch_id.eq(state.batch.id))
        .count()
        .get_result::<i64>(conn)?
        > 0
    {
        return Ok(vec![]);
    }
    let count = state
        .current_entry(step, field)
        .and_then(|e| serde_json::from_str::<ebr_domain::execution::RecordedValue>(&e.value).ok());
    let rows: Vec<VialRow> =
        ebr_domain::batch::vial_serials(&state.batch.batch_number, count.as_ref())
            .into_iter()
            .map(|serial| VialRow {
                id: crate::ids::at(now),
                batch_id: state.batch.id,
                serial,
                created_at: to_stored_precision(now),
            })
            .collect();
    diesel::insert_into(vials::table)
        .values(&rows)
        .execute(conn)?;
    let drafts = rows
        .iter()
        .map(|vial| {
            crate::repo::vouch(
                "system:ebr",
                "vial.issued",
                VIAL_KIND,
                &vial.id.to_string(),
                vial,
                None,
            )
        })
        .collect();
    audit::append_all(conn, &batch_chain(state.batch.id), drafts, now)?;
    Ok(rows)
}

/// A vial's chain of identity, up to the donor.
#[derive(Debug, Clone, Serialize)]
pub struct VialLineage {
    /// The vial serial.
    pub serial: String,
    /// Its batch.
    pub batch_id: Uuid,
    /// Batch number.
    pub batch_number: String,
    /// Batch status.
    pub batch_status: String,
    /// WCB lot number.
    pub wcb_lot: String,
    /// WCB vial.
    pub wcb_vial: String,
    /// Above the WCB, if recorded.
    pub cell_bank: Option<CellBankLineage>,
}

/// From a vial to its donor.
pub fn vial_lineage(conn: &mut PgConnection, serial: &str) -> Result<VialLineage, DbError> {
    let vial = vials::table
        .filter(vials::serial.eq(serial.trim()))
        .select(VialRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("vial {serial}")))?;
    let batch = batches::find(conn, vial.batch_id)?;
    let status = batches::lifecycle(conn, batch.id)?.status();
    let lot = registry::lot(conn, batch.wcb_lot_id)?;
    let cell_bank = cell_bank_lineage::table
        .find(lot.row.id)
        .select(CellBankLineage::as_select())
        .first(conn)
        .optional()?;
    Ok(VialLineage {
        serial: vial.serial,
        batch_id: batch.id,
        batch_number: batch.batch_number,
        batch_status: status.as_str().into(),
        wcb_lot: lot.row.lot_number,
        wcb_vial: batch.wcb_vial,
        cell_bank,
    })
}

/// A batch made from a lot, with its vials.
#[derive(Debug, Clone, Serialize)]
pub struct Descendant {
    /// Batch id.
    pub batch_id: Uuid,
    /// Batch number.
    pub batch_number: String,
    /// Status.
    pub status: String,
    /// WCB vial used.
    pub wcb_vial: String,
    /// Vial serials.
    pub vials: Vec<String>,
}

/// From a WCB lot to every batch and vial made from it.
pub fn descendants(
    conn: &mut PgConnection,
    lot_id: Uuid,
) -> Result<(Option<CellBankLineage>, Vec<Descendant>), DbError> {
    registry::lot(conn, lot_id)?;
    let cell_bank = cell_bank_lineage::table
        .find(lot_id)
        .select(CellBankLineage::as_select())
        .first(conn)
        .optional()?;
    let made: Vec<(Uuid, String, String)> = batches_table::table
        .filter(batches_table::wcb_lot_id.eq(lot_id))
        .order(batches_table::batch_number.asc())
        .select((
            batches_table::id,
            batches_table::batch_number,
            batches_table::wcb_vial,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, number, wcb_vial) in made {
        let status = batches::lifecycle(conn, id)?.status();
        let serials = vials::table
            .filter(vials::batch_id.eq(id))
            .order(vials::serial.asc())
            .select(vials::serial)
            .load(conn)?;
        out.push(Descendant {
            batch_id: id,
            batch_number: number,
            status: status.as_str().into(),
            wcb_vial,
            vials: serials,
        });
    }
    Ok((cell_bank, out))
}

/// The vials of a batch.
pub fn vials_of(conn: &mut PgConnection, batch_id: Uuid) -> Result<Vec<VialRow>, DbError> {
    Ok(vials::table
        .filter(vials::batch_id.eq(batch_id))
        .order(vials::serial.asc())
        .select(VialRow::as_select())
        .load(conn)?)
}
