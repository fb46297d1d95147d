//! Material lots and equipment registries (R8, R37). Registrations and every
//! change of status, expiry or calibration are new rows, audited on the system chain.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_domain::audit::{to_stored_precision, AuditDraft, SYSTEM_CHAIN};
use ebr_domain::execution::{EquipmentFacts, EquipmentStatus, LotFacts, LotStatus};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::rows::{EquipmentEventRow, LotEventRow};
use super::{canonical, canonical_hash, vouch};

/// The audit entity type of a material lot status change.
pub const LOT_EVENT_KIND: &str = "material_lot_event";
/// The audit entity type of an equipment status change.
pub const EQUIPMENT_EVENT_KIND: &str = "equipment_event";
use crate::repo::audit;
use crate::schema::{equipment, equipment_events, material_lot_events, material_lots};
use crate::DbError;

/// A registered lot (immutable part).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = material_lots)]
pub struct LotRow {
    /// Lot id.
    pub id: Uuid,
    /// Material code.
    pub material_code: String,
    /// Lot number.
    pub lot_number: String,
    /// Supplier.
    pub supplier: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Who registered it.
    pub created_by: String,
}

/// A lot with its current status and expiry.
#[derive(Debug, Clone, Serialize)]
pub struct Lot {
    /// The registration.
    #[serde(flatten)]
    pub row: LotRow,
    /// Current status.
    pub status: LotStatus,
    /// Current expiry.
    pub expires_at: DateTime<Utc>,
}

impl Lot {
    /// The facts the domain checks.
    pub fn facts(&self) -> LotFacts {
        LotFacts {
            material_code: self.row.material_code.clone(),
            lot_number: self.row.lot_number.clone(),
            status: self.status,
            expires_at: self.expires_at,
        }
    }
}

fn registry_event(
    actor: &str,
    action: &str,
    entity_type: &str,
    id: Uuid,
    value: serde_json::Value,
    hash: Option<String>,
    reason: Option<&str>,
) -> AuditDraft {
    AuditDraft {
        actor: actor.into(),
        action: action.into(),
        entity_type: entity_type.into(),
        entity_id: id.to_string(),
        old_value: None,
        new_value: canonical(&value),
        reason: reason.map(str::to_string),
        record_hash: hash,
    }
}

/// Appends the audit event for a newly registered lot or instrument, in the
/// caller's transaction: the row as its new value, and its canonical hash.
fn audit_registration<T: serde::Serialize>(
    conn: &mut PgConnection,
    actor: &str,
    action: &str,
    entity_type: &str,
    id: Uuid,
    row: &T,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let event = registry_event(
        actor,
        action,
        entity_type,
        id,
        serde_json::to_value(row).unwrap_or_default(),
        Some(canonical_hash(row)),
        None,
    );
    audit::append(conn, SYSTEM_CHAIN, event, now).map(|_| ())
}

/// Registers a lot with its initial status and expiry.
#[allow(clippy::too_many_arguments)]
pub fn register_lot(
    conn: &mut PgConnection,
    material_code: &str,
    lot_number: &str,
    supplier: &str,
    status: LotStatus,
    expires_at: DateTime<Utc>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Lot, DbError> {
    if material_code.trim().is_empty() || lot_number.trim().is_empty() {
        return Err(DomainError::LotIdentityRequired.into());
    }
    conn.transaction(|conn| {
        let exists = material_lots::table
            .filter(material_lots::material_code.eq(material_code))
            .filter(material_lots::lot_number.eq(lot_number))
            .count()
            .get_result::<i64>(conn)?;
        if exists > 0 {
            return Err(DomainError::LotExists {
                material: material_code.into(),
                lot: lot_number.into(),
            }
            .into());
        }
        let row = LotRow {
            id: crate::ids::at(now),
            material_code: material_code.trim().into(),
            lot_number: lot_number.trim().into(),
            supplier: supplier.trim().into(),
            created_at: to_stored_precision(now),
            created_by: actor.into(),
        };
        diesel::insert_into(material_lots::table)
            .values(&row)
            .execute(conn)?;
        audit_registration(
            conn,
            actor,
            "material_lot.registered",
            "material_lot",
            row.id,
            &row,
            now,
        )?;
        lot_event(conn, row.id, status, expires_at, actor, None, now)?;
        lot(conn, row.id)
    })
}

fn lot_event(
    conn: &mut PgConnection,
    lot_id: Uuid,
    status: LotStatus,
    expires_at: DateTime<Utc>,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let row = diesel::insert_into(material_lot_events::table)
        .values((
            material_lot_events::id.eq(crate::ids::at(now)),
            material_lot_events::lot_id.eq(lot_id),
            material_lot_events::status.eq(status.as_str()),
            material_lot_events::expires_at.eq(to_stored_precision(expires_at)),
            material_lot_events::occurred_at.eq(now),
            material_lot_events::actor.eq(actor),
            material_lot_events::reason.eq(reason),
        ))
        .returning(LotEventRow::as_returning())
        .get_result::<LotEventRow>(conn)?;
    let mut draft = vouch(
        actor,
        "material_lot.status_set",
        LOT_EVENT_KIND,
        &row.id.to_string(),
        &row,
        None,
    );
    draft.reason = reason.map(str::to_string);
    audit::append(conn, SYSTEM_CHAIN, draft, now).map(|_| ())
}

/// Changes a lot's status and/or expiry (a new event; the old one stays).
pub fn update_lot(
    conn: &mut PgConnection,
    lot_id: Uuid,
    status: Option<LotStatus>,
    expires_at: Option<DateTime<Utc>>,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Lot, DbError> {
    conn.transaction(|conn| {
        let current = lot(conn, lot_id)?;
        lot_event(
            conn,
            lot_id,
            status.unwrap_or(current.status),
            expires_at.unwrap_or(current.expires_at),
            actor,
            Some(reason),
            now,
        )?;
        lot(conn, lot_id)
    })
}

/// A lot with its current status.
pub fn lot(conn: &mut PgConnection, id: Uuid) -> Result<Lot, DbError> {
    let row = material_lots::table
        .find(id)
        .select(LotRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("material lot {id}")))?;
    let (status, expires_at): (String, DateTime<Utc>) = material_lot_events::table
        .filter(material_lot_events::lot_id.eq(id))
        .order((
            material_lot_events::occurred_at.desc(),
            material_lot_events::id.desc(),
        ))
        .select((material_lot_events::status, material_lot_events::expires_at))
        .first(conn)?;
    let status = LotStatus::parse(&status)
        .ok_or_else(|| DbError::Integrity(format!("unknown lot status {status}")))?;
    Ok(Lot {
        row,
        status,
        expires_at,
    })
}

/// The lot with this number: of `material` if such a lot exists, else of any
/// material (so a wrong scan is reported as the wrong material, not unknown).
pub fn find_lot(
    conn: &mut PgConnection,
    material: &str,
    lot_number: &str,
) -> Result<Option<Lot>, DbError> {
    let ids: Vec<(Uuid, String)> = material_lots::table
        .filter(material_lots::lot_number.eq(lot_number.trim()))
        .select((material_lots::id, material_lots::material_code))
        .load(conn)?;
    let chosen = ids
        .iter()
        .find(|(_, m)| m == material)
        .or(ids.first())
        .map(|(id, _)| *id);
    chosen.map(|id| lot(conn, id)).transpose()
}

/// Every lot.
pub fn lots(conn: &mut PgConnection) -> Result<Vec<Lot>, DbError> {
    let ids: Vec<Uuid> = material_lots::table
        .order((
            material_lots::material_code.asc(),
            material_lots::lot_number.asc(),
        ))
        .select(material_lots::id)
        .load(conn)?;
    ids.into_iter().map(|id| lot(conn, id)).collect()
}

/// Registered equipment (immutable part).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = equipment)]
pub struct EquipmentRow {
    /// Equipment id.
    pub id: Uuid,
    /// Asset code.
    pub code: String,
    /// Type.
    pub equipment_type: String,
    /// Description.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Who registered it.
    pub created_by: String,
}

/// Equipment with its current status and calibration due date.
#[derive(Debug, Clone, Serialize)]
pub struct Equipment {
    /// The registration.
    #[serde(flatten)]
    pub row: EquipmentRow,
    /// Current status.
    pub status: EquipmentStatus,
    /// Current calibration due date.
    pub calibration_due: DateTime<Utc>,
}

impl Equipment {
    /// The facts the domain checks.
    pub fn facts(&self) -> EquipmentFacts {
        EquipmentFacts {
            code: self.row.code.clone(),
            equipment_type: self.row.equipment_type.clone(),
            status: self.status,
            calibration_due: self.calibration_due,
        }
    }
}

/// Registers equipment with its status and calibration due date.
#[allow(clippy::too_many_arguments)]
pub fn register_equipment(
    conn: &mut PgConnection,
    code: &str,
    equipment_type: &str,
    name: &str,
    status: EquipmentStatus,
    calibration_due: DateTime<Utc>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Equipment, DbError> {
    if code.trim().is_empty() || equipment_type.trim().is_empty() {
        return Err(DomainError::EquipmentIdentityRequired.into());
    }
    conn.transaction(|conn| {
        if equipment::table
            .filter(equipment::code.eq(code.trim()))
            .count()
            .get_result::<i64>(conn)?
            > 0
        {
            return Err(DomainError::EquipmentExists(code.trim().into()).into());
        }
        let row = EquipmentRow {
            id: crate::ids::at(now),
            code: code.trim().into(),
            equipment_type: equipment_type.trim().into(),
            name: name.trim().into(),
            created_at: to_stored_precision(now),
            created_by: actor.into(),
        };
        diesel::insert_into(equipment::table)
            .values(&row)
            .execute(conn)?;
        audit_registration(
            conn,
            actor,
            "equipment.registered",
            "equipment",
            row.id,
            &row,
            now,
        )?;
        equipment_event(conn, row.id, status, calibration_due, actor, None, now)?;
        equipment_by_id(conn, row.id)
    })
}

fn equipment_event(
    conn: &mut PgConnection,
    id: Uuid,
    status: EquipmentStatus,
    due: DateTime<Utc>,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let row = diesel::insert_into(equipment_events::table)
        .values((
            equipment_events::id.eq(crate::ids::at(now)),
            equipment_events::equipment_id.eq(id),
            equipment_events::status.eq(status.as_str()),
            equipment_events::calibration_due.eq(to_stored_precision(due)),
            equipment_events::occurred_at.eq(now),
            equipment_events::actor.eq(actor),
            equipment_events::reason.eq(reason),
        ))
        .returning(EquipmentEventRow::as_returning())
        .get_result::<EquipmentEventRow>(conn)?;
    let mut draft = vouch(
        actor,
        "equipment.status_set",
        EQUIPMENT_EVENT_KIND,
        &row.id.to_string(),
        &row,
        None,
    );
    draft.reason = reason.map(str::to_string);
    audit::append(conn, SYSTEM_CHAIN, draft, now).map(|_| ())
}

/// Changes status and/or calibration due date (a new event).
pub fn update_equipment(
    conn: &mut PgConnection,
    id: Uuid,
    status: Option<EquipmentStatus>,
    calibration_due: Option<DateTime<Utc>>,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Equipment, DbError> {
    conn.transaction(|conn| {
        let current = equipment_by_id(conn, id)?;
        equipment_event(
            conn,
            id,
            status.unwrap_or(current.status),
            calibration_due.unwrap_or(current.calibration_due),
            actor,
            Some(reason),
            now,
        )?;
        equipment_by_id(conn, id)
    })
}

/// Equipment with its current status.
pub fn equipment_by_id(conn: &mut PgConnection, id: Uuid) -> Result<Equipment, DbError> {
    let row = equipment::table
        .find(id)
        .select(EquipmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("equipment {id}")))?;
    let (status, calibration_due): (String, DateTime<Utc>) = equipment_events::table
        .filter(equipment_events::equipment_id.eq(id))
        .order((
            equipment_events::occurred_at.desc(),
            equipment_events::id.desc(),
        ))
        .select((equipment_events::status, equipment_events::calibration_due))
        .first(conn)?;
    let status = EquipmentStatus::parse(&status)
        .ok_or_else(|| DbError::Integrity(format!("unknown equipment status {status}")))?;
    Ok(Equipment {
        row,
        status,
        calibration_due,
    })
}

/// The equipment with this asset code.
pub fn find_equipment(conn: &mut PgConnection, code: &str) -> Result<Option<Equipment>, DbError> {
    let id: Option<Uuid> = equipment::table
        .filter(equipment::code.eq(code.trim()))
        .select(equipment::id)
        .first(conn)
        .optional()?;
    id.map(|id| equipment_by_id(conn, id)).transpose()
}

/// Every piece of equipment.
pub fn all_equipment(conn: &mut PgConnection) -> Result<Vec<Equipment>, DbError> {
    let ids: Vec<Uuid> = equipment::table
        .order(equipment::code.asc())
        .select(equipment::id)
        .load(conn)?;
    ids.into_iter()
        .map(|id| equipment_by_id(conn, id))
        .collect()
}

/// A lot's id and facts, as a recording needs them, in one statement: the lot
/// with this number (of `material` when such a lot exists, else of any
/// material, so a wrong scan is reported as the wrong material) and its
/// newest status event.
pub fn lot_facts(
    conn: &mut PgConnection,
    material: &str,
    lot_number: &str,
) -> Result<Option<(Uuid, LotFacts)>, DbError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        material_code: String,
        #[diesel(sql_type = Text)]
        lot_number: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        expires_at: DateTime<Utc>,
    }
    let found: Option<Found> = diesel::sql_query(
        "SELECT l.id, l.material_code, l.lot_number, e.status, e.expires_at
         FROM material_lots l
         JOIN LATERAL (SELECT status, expires_at FROM material_lot_events
                       WHERE lot_id = l.id ORDER BY occurred_at DESC, id DESC LIMIT 1) e ON true
         WHERE l.lot_number = btrim($2)
         ORDER BY (l.material_code = $1) DESC, l.id LIMIT 1",
    )
    .bind::<Text, _>(material)
    .bind::<Text, _>(lot_number)
    .get_result(conn)
    .optional()?;
    found
        .map(|f| {
            let status = LotStatus::parse(&f.status)
                .ok_or_else(|| DbError::Integrity(format!("unknown lot status {}", f.status)))?;
            Ok((
                f.id,
                LotFacts {
                    material_code: f.material_code,
                    lot_number: f.lot_number,
                    status,
                    expires_at: f.expires_at,
                },
            ))
        })
        .transpose()
}

/// Equipment's id and facts, as a recording needs them, in one statement:
/// the registration with this asset code and its newest status event.
pub fn equipment_facts(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<(Uuid, EquipmentFacts)>, DbError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Text)]
        equipment_type: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        calibration_due: DateTime<Utc>,
    }
    let found: Option<Found> = diesel::sql_query(
        "SELECT q.id, q.code, q.equipment_type, e.status, e.calibration_due
         FROM equipment q
         JOIN LATERAL (SELECT status, calibration_due FROM equipment_events
                       WHERE equipment_id = q.id ORDER BY occurred_at DESC, id DESC LIMIT 1) e ON true
         WHERE q.code = btrim($1) LIMIT 1",
    )
    .bind::<Text, _>(code)
    .get_result(conn)
    .optional()?;
    found
        .map(|f| {
            let status = EquipmentStatus::parse(&f.status).ok_or_else(|| {
                DbError::Integrity(format!("unknown equipment status {}", f.status))
            })?;
            Ok((
                f.id,
                EquipmentFacts {
                    code: f.code,
                    equipment_type: f.equipment_type,
                    status,
                    calibration_due: f.calibration_due,
                },
            ))
        })
        .transpose()
}
