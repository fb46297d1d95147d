//! The storage map: locations (system chain) and vial storage events (the
//! vial's batch chain, under the batch lock; a box's positions are guarded
//! by a lock of their own, so two vials never land in one position).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_domain::audit::{to_stored_precision, SYSTEM_CHAIN};
use ebr_domain::custody::storage::{
    check_location, check_position, check_storage_action, parse_position, LocationKind,
    StorageAction, VialPlace,
};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use crate::repo::audit::batch_chain;
use crate::repo::release::lineage::VialRow;
use crate::repo::{audit, batches, vouch};
use crate::schema::{storage_locations, vial_storage_events, vials};
use crate::DbError;

/// The audit entity type of a storage location.
pub const LOCATION_KIND: &str = "storage_location";
/// The audit entity type of a vial storage event.
pub const STORAGE_EVENT_KIND: &str = "vial_storage_event";

/// A freezer, rack or box.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = storage_locations)]
pub struct LocationRow {
    /// Id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// freezer, rack or box.
    pub kind: String,
    /// Parent.
    pub parent_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Rows (box).
    pub box_rows: Option<i32>,
    /// Columns (box).
    pub box_columns: Option<i32>,
    /// Time.
    pub recorded_at: DateTime<Utc>,
    /// Who.
    pub recorded_by: String,
}

/// A vial placed, moved, thawed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = vial_storage_events)]
pub struct StorageEventRow {
    /// Id.
    pub id: Uuid,
    /// Vial.
    pub vial_id: Uuid,
    /// placed, moved, thawed or removed.
    pub kind: String,
    /// Box.
    pub box_id: Option<Uuid>,
    /// Position.
    pub position: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub occurred_by: String,
}

/// Registers a freezer, rack (in a freezer) or box (in a rack, with rows
/// and columns).
#[allow(clippy::too_many_arguments)]
pub fn register_location(
    conn: &mut PgConnection,
    code: &str,
    kind: LocationKind,
    parent_code: Option<&str>,
    name: &str,
    size: Option<(i32, i32)>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<LocationRow, DbError> {
    crate::tx::atomic(conn, |conn| {
        let parent = match parent_code {
            Some(code) => Some(location_by_code(conn, code)?),
            None => None,
        };
        check_location(
            kind,
            parent.as_ref().and_then(|p| LocationKind::parse(&p.kind)),
            size,
        )?;
        let code = code.trim().to_ascii_uppercase();
        if find_location(conn, &code)?.is_some() {
            return Err(
                DomainError::StorageInvalid(format!("location {code} exists already")).into(),
            );
        }
        let row = LocationRow {
            id: crate::ids::at(now),
            code,
            kind: kind.as_str().into(),
            parent_id: parent.map(|p| p.id),
            name: name.trim().into(),
            box_rows: size.map(|s| s.0),
            box_columns: size.map(|s| s.1),
            recorded_at: to_stored_precision(now),
            recorded_by: actor.into(),
        };
        diesel::insert_into(storage_locations::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "storage_location.registered",
                LOCATION_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(row)
    })
}

fn find_location(conn: &mut PgConnection, code: &str) -> Result<Option<LocationRow>, DbError> {
    Ok(storage_locations::table
        .filter(storage_locations::code.eq(code.trim().to_ascii_uppercase()))
        .select(LocationRow::as_select())
        .first(conn)
        .optional()?)
}

/// A location by its code, or a refusal naming it.
pub fn location_by_code(conn: &mut PgConnection, code: &str) -> Result<LocationRow, DbError> {
    find_location(conn, code)?.ok_or_else(|| {
        DomainError::StorageInvalid(format!("no storage location {}", code.trim())).into()
    })
}

/// Every location, by code.
pub fn locations(conn: &mut PgConnection) -> Result<Vec<LocationRow>, DbError> {
    Ok(storage_locations::table
        .order(storage_locations::code.asc())
        .select(LocationRow::as_select())
        .load(conn)?)
}

/// Every storage event of these vials, oldest first.
fn events_of(conn: &mut PgConnection, vial_ids: &[Uuid]) -> Result<Vec<StorageEventRow>, DbError> {
    Ok(vial_storage_events::table
        .filter(vial_storage_events::vial_id.eq_any(vial_ids))
        .order((
            vial_storage_events::occurred_at.asc(),
            vial_storage_events::id.asc(),
        ))
        .select(StorageEventRow::as_select())
        .load(conn)?)
}

/// Where a vial is now, from its events, with its thaw count.
pub fn place_of(events: &[StorageEventRow], boxes: &[LocationRow]) -> (VialPlace, usize) {
    let thaws = events.iter().filter(|e| e.kind == "thawed").count();
    let place = match events.last() {
        None => VialPlace::NotStored,
        Some(e) if e.kind == "thawed" => VialPlace::Thawed,
        Some(e) if e.kind == "removed" => VialPlace::Removed,
        Some(e) => VialPlace::Stored {
            box_code: boxes
                .iter()
                .find(|b| Some(b.id) == e.box_id)
                .map(|b| b.code.clone())
                .unwrap_or_default(),
            position: e.position.clone().unwrap_or_default(),
        },
    };
    (place, thaws)
}

/// Whether a vial is in a box position now.
pub fn is_stored(conn: &mut PgConnection, vial_id: Uuid) -> Result<bool, DbError> {
    let (place, _) = place_of(&events_of(conn, &[vial_id])?, &[]);
    Ok(matches!(place, VialPlace::Stored { .. }))
}

/// One occupied position of a box.
#[derive(Debug, Clone, Serialize)]
pub struct Occupant {
    /// Position, e.g. A3.
    pub position: String,
    /// The vial there.
    pub serial: String,
    /// Its batch.
    pub batch_id: Uuid,
}

/// The vials in a box now.
pub fn box_contents(conn: &mut PgConnection, box_id: Uuid) -> Result<Vec<Occupant>, DbError> {
    let candidates: Vec<Uuid> = vial_storage_events::table
        .filter(vial_storage_events::box_id.eq(box_id))
        .select(vial_storage_events::vial_id)
        .distinct()
        .load(conn)?;
    let events = events_of(conn, &candidates)?;
    let vial_rows: Vec<VialRow> = vials::table
        .filter(vials::id.eq_any(&candidates))
        .select(VialRow::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for vial in vial_rows {
        if let Some(last) = events.iter().rfind(|e| e.vial_id == vial.id) {
            if matches!(last.kind.as_str(), "placed" | "moved") && last.box_id == Some(box_id) {
                out.push(Occupant {
                    position: last.position.clone().unwrap_or_default(),
                    serial: vial.serial,
                    batch_id: vial.batch_id,
                });
            }
        }
    }
    out.sort_by(|a, b| a.position.cmp(&b.position));
    Ok(out)
}

/// Places, moves, thaws or removes a vial. A placement or move names the
/// position by its scanned label (`BOX:POS`) and the vial by its scanned
/// serial: both sides of the transfer are scanned.
pub fn act(
    conn: &mut PgConnection,
    vial_serial: &str,
    action: StorageAction,
    position_scan: Option<&str>,
    reason: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<StorageEventRow, DbError> {
    crate::tx::atomic(conn, |conn| {
        let vial: VialRow = vials::table
            .filter(vials::serial.eq(vial_serial.trim()))
            .select(VialRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| DomainError::VialUnknown(vial_serial.trim().to_string()))?;
        batches::lock(conn, vial.batch_id)?;
        let target = match (&action, position_scan) {
            (StorageAction::Place | StorageAction::Move, Some(scan)) => {
                let (code, position) = parse_position(scan)?;
                let b = location_by_code(conn, &code)?;
                let (Some(rows), Some(columns)) = (b.box_rows, b.box_columns) else {
                    return Err(DomainError::StorageInvalid(format!("{code} is not a box")).into());
                };
                check_position(&position, rows, columns)?;
                diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 17))")
                    .bind::<Text, _>(b.id.to_string())
                    .execute(conn)?;
                Some((b, position))
            }
            (StorageAction::Place | StorageAction::Move, None) => {
                return Err(DomainError::StorageInvalid(
                    "scan the position label as well as the vial".into(),
                )
                .into())
            }
            _ => None,
        };
        let boxes = locations(conn)?;
        let (place, _) = place_of(&events_of(conn, &[vial.id])?, &boxes);
        let occupant = match &target {
            Some((b, position)) => box_contents(conn, b.id)?
                .into_iter()
                .find(|o| &o.position == position)
                .map(|o| (format!("{}:{position}", b.code), o.serial)),
            None => None,
        };
        check_storage_action(
            &vial.serial,
            &place,
            &action,
            occupant.as_ref().map(|(p, s)| (p.as_str(), s.as_str())),
            reason,
        )?;
        let kind = match action {
            StorageAction::Place => "placed",
            StorageAction::Move => "moved",
            StorageAction::Thaw => "thawed",
            StorageAction::Remove => "removed",
        };
        let row = StorageEventRow {
            id: crate::ids::at(now),
            vial_id: vial.id,
            kind: kind.into(),
            box_id: target.as_ref().map(|(b, _)| b.id),
            position: target.map(|(_, p)| p),
            reason: reason.map(str::to_string),
            occurred_at: to_stored_precision(now),
            occurred_by: actor.into(),
        };
        diesel::insert_into(vial_storage_events::table)
            .values(&row)
            .execute(conn)?;
        let mut draft = vouch(
            actor,
            &format!("vial.{kind}"),
            STORAGE_EVENT_KIND,
            &row.id.to_string(),
            &row,
            None,
        );
        draft.reason = row.reason.clone();
        audit::append(conn, &batch_chain(vial.batch_id), draft, now)?;
        Ok(row)
    })
}

/// Where each vial of a batch is, with its thaw count and events.
#[derive(Debug, Clone, Serialize)]
pub struct VialStorage {
    /// Serial.
    pub serial: String,
    /// Box code and position, when stored.
    pub stored_at: Option<String>,
    /// stored, thawed, removed or not_stored.
    pub state: String,
    /// Thaws.
    pub thaws: usize,
    /// Every event, oldest first.
    pub events: Vec<StorageEventRow>,
}

/// The storage of every vial of a batch.
pub fn of_batch(conn: &mut PgConnection, batch_id: Uuid) -> Result<Vec<VialStorage>, DbError> {
    let vial_rows = crate::repo::release::lineage::vials_of(conn, batch_id)?;
    let ids: Vec<Uuid> = vial_rows.iter().map(|v| v.id).collect();
    let events = events_of(conn, &ids)?;
    let boxes = locations(conn)?;
    Ok(vial_rows
        .into_iter()
        .map(|v| {
            let mine: Vec<StorageEventRow> = events
                .iter()
                .filter(|e| e.vial_id == v.id)
                .cloned()
                .collect();
            let (place, thaws) = place_of(&mine, &boxes);
            let (stored_at, state) = match place {
                VialPlace::Stored { box_code, position } => {
                    (Some(format!("{box_code}:{position}")), "stored")
                }
                VialPlace::Thawed => (None, "thawed"),
                VialPlace::Removed => (None, "removed"),
                VialPlace::NotStored => (None, "not_stored"),
            };
            VialStorage {
                serial: v.serial,
                stored_at,
                state: state.into(),
                thaws,
                events: mine,
            }
        })
        .collect())
}

/// Every storage event row (integrity checks).
pub fn all_events(conn: &mut PgConnection) -> Result<Vec<StorageEventRow>, DbError> {
    Ok(vial_storage_events::table
        .select(StorageEventRow::as_select())
        .load(conn)?)
}
