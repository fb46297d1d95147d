//! Shipments (R48) and administrations (R47): packing released vials, the
//! signed hand-over and receipt (a receipt's discrepancies quarantine the
//! shipment and raise an exception on every batch shipped, under each
//! batch's lock), and the subject each vial went to.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, SYSTEM_CHAIN};
use ebr_domain::canonical::sha256_hex;
use ebr_domain::custody::shipment::{
    assess_receipt, check_administration, check_event, check_packing, parse_logger_csv,
    AdministrationFacts, Receipt, ReceiptFinding, ShipmentStatus, ShippableVial,
};
use ebr_domain::custody::storage::StorageAction;
use ebr_domain::exception::ExceptionKind;
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use crate::repo::exceptions::{self, ExceptionDraft};
use crate::repo::release::lineage::VialRow;
use crate::repo::{audit, batches, signatures, vouch};
use crate::schema::{administrations, shipment_events, shipment_vials, shipments, vials};
use crate::DbError;

/// The audit entity type of a shipment.
pub const SHIPMENT_KIND: &str = "shipment";
/// The audit entity type of a vial packed in a shipment.
pub const SHIPMENT_VIAL_KIND: &str = "shipment_vial";
/// The audit entity type (and signed record type) of a hand-over or receipt.
pub const SHIPMENT_EVENT_KIND: &str = "shipment_event";
/// The audit entity type of an administration.
pub const ADMINISTRATION_KIND: &str = "administration";

/// A shipment as packed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = shipments)]
pub struct ShipmentRow {
    /// Id.
    pub id: Uuid,
    /// Number.
    pub shipment_number: String,
    /// From.
    pub from_site: String,
    /// To.
    pub to_site: String,
    /// Courier.
    pub shipper: String,
    /// Dry shipper.
    pub dry_shipper_id: String,
    /// Seal applied.
    pub seal_id: String,
    /// Time.
    pub created_at: DateTime<Utc>,
    /// Who.
    pub created_by: String,
}

/// A vial packed in a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = shipment_vials)]
pub struct ShipmentVialRow {
    /// Vial.
    pub vial_id: Uuid,
    /// Shipment.
    pub shipment_id: Uuid,
}

/// A hand-over or receipt.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = shipment_events)]
pub struct ShipmentEventRow {
    /// Id.
    pub id: Uuid,
    /// Shipment.
    pub shipment_id: Uuid,
    /// handed_over or received.
    pub kind: String,
    /// Seal as read.
    pub seal_id: String,
    /// Seal intact.
    pub seal_intact: bool,
    /// Scanned serials (JSON array).
    pub scanned: String,
    /// Logger file name.
    pub logger_file_name: Option<String>,
    /// Logger file SHA-256.
    pub logger_sha256: Option<String>,
    /// Coldest reading.
    pub logger_min_c: Option<String>,
    /// Warmest reading.
    pub logger_max_c: Option<String>,
    /// Readings.
    pub logger_readings: Option<i32>,
    /// Findings (JSON array).
    pub findings: String,
    /// Time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub occurred_by: String,
}

impl ShipmentEventRow {
    /// Exactly what the person at this end signs: the event as recorded.
    pub fn signed_record(&self) -> SignedRecord {
        SignedRecord {
            record_type: SHIPMENT_EVENT_KIND.into(),
            record_id: self.id.to_string(),
            record_version: 1,
            content: serde_json::to_value(self).unwrap_or_default(),
        }
    }

    /// The discrepancies found.
    pub fn findings(&self) -> Vec<ReceiptFinding> {
        serde_json::from_str(&self.findings).unwrap_or_default()
    }
}

/// A vial administered to a subject.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = administrations)]
pub struct AdministrationRow {
    /// Id.
    pub id: Uuid,
    /// Vial.
    pub vial_id: Uuid,
    /// Subject.
    pub subject_id: String,
    /// Site.
    pub site: String,
    /// When.
    pub administered_at: DateTime<Utc>,
    /// Recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who.
    pub recorded_by: String,
}

/// A shipment with everything recorded about it.
#[derive(Debug, Clone, Serialize)]
pub struct ShipmentView {
    /// As packed.
    pub shipment: ShipmentRow,
    /// Status.
    pub status: ShipmentStatus,
    /// The vials packed (serials).
    pub vials: Vec<String>,
    /// Hand-over and receipt, each with its signatures.
    pub events: Vec<(ShipmentEventRow, Vec<SignatureManifest>)>,
}

/// The fields a shipment is packed with.
#[derive(Debug, Clone)]
pub struct Packing<'a> {
    /// Number.
    pub shipment_number: &'a str,
    /// From.
    pub from_site: &'a str,
    /// To.
    pub to_site: &'a str,
    /// Courier.
    pub shipper: &'a str,
    /// Dry shipper.
    pub dry_shipper_id: &'a str,
    /// Seal.
    pub seal_id: &'a str,
    /// Vial serials.
    pub vials: &'a [String],
}

fn vial_by_serial(conn: &mut PgConnection, serial: &str) -> Result<VialRow, DbError> {
    vials::table
        .filter(vials::serial.eq(serial.trim()))
        .select(VialRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::VialUnknown(serial.trim().to_string()).into())
}

/// Packs released vials into a shipment; vials still in the storage map
/// are removed from it (a storage event on their batch's chain).
pub fn pack(
    conn: &mut PgConnection,
    packing: &Packing<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ShipmentView, DbError> {
    crate::tx::atomic(conn, |conn| {
        let mut rows = Vec::new();
        let mut facts = Vec::new();
        for serial in packing.vials {
            let vial = vial_by_serial(conn, serial)?;
            let status = batches::lifecycle(conn, vial.batch_id)?.status();
            let shipped = shipment_vials::table
                .find(vial.id)
                .count()
                .get_result::<i64>(conn)?
                > 0;
            facts.push(ShippableVial {
                serial: vial.serial.clone(),
                batch_status: status,
                shipped,
            });
            rows.push(vial);
        }
        check_packing(
            &facts,
            &[
                ("a shipment number", packing.shipment_number),
                ("the receiving site", packing.to_site),
                ("the shipping site", packing.from_site),
                ("a courier", packing.shipper),
                ("a dry shipper", packing.dry_shipper_id),
                ("a seal", packing.seal_id),
            ],
        )?;
        let number_taken = shipments::table
            .filter(shipments::shipment_number.eq(packing.shipment_number.trim()))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if number_taken {
            return Err(DomainError::ShipmentState {
                status: "registered".into(),
                action: format!("reuse shipment number {}", packing.shipment_number.trim()),
            }
            .into());
        }
        let shipment = ShipmentRow {
            id: crate::ids::at(now),
            shipment_number: packing.shipment_number.trim().into(),
            from_site: packing.from_site.trim().into(),
            to_site: packing.to_site.trim().into(),
            shipper: packing.shipper.trim().into(),
            dry_shipper_id: packing.dry_shipper_id.trim().into(),
            seal_id: packing.seal_id.trim().into(),
            created_at: to_stored_precision(now),
            created_by: actor.into(),
        };
        diesel::insert_into(shipments::table)
            .values(&shipment)
            .execute(conn)?;
        let links: Vec<ShipmentVialRow> = rows
            .iter()
            .map(|v| ShipmentVialRow {
                vial_id: v.id,
                shipment_id: shipment.id,
            })
            .collect();
        diesel::insert_into(shipment_vials::table)
            .values(&links)
            .execute(conn)?;
        let mut drafts = vec![vouch(
            actor,
            "shipment.packed",
            SHIPMENT_KIND,
            &shipment.id.to_string(),
            &shipment,
            None,
        )];
        drafts.extend(links.iter().map(|l| {
            vouch(
                actor,
                "shipment.vial_packed",
                SHIPMENT_VIAL_KIND,
                &l.vial_id.to_string(),
                l,
                None,
            )
        }));
        audit::append_all(conn, SYSTEM_CHAIN, drafts, now)?;
        for vial in &rows {
            if super::storage::is_stored(conn, vial.id)? {
                super::storage::act(
                    conn,
                    &vial.serial,
                    StorageAction::Remove,
                    None,
                    Some(&format!("packed in shipment {}", shipment.shipment_number)),
                    actor,
                    now,
                )?;
            }
        }
        view(conn, shipment.id)
    })
}

/// A shipment with its vials, events and signatures.
pub fn view(conn: &mut PgConnection, id: Uuid) -> Result<ShipmentView, DbError> {
    let shipment: ShipmentRow = shipments::table
        .find(id)
        .select(ShipmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("shipment {id}")))?;
    let serials: Vec<String> = shipment_vials::table
        .inner_join(vials::table)
        .filter(shipment_vials::shipment_id.eq(id))
        .order(vials::serial.asc())
        .select(vials::serial)
        .load(conn)?;
    let rows: Vec<ShipmentEventRow> = shipment_events::table
        .filter(shipment_events::shipment_id.eq(id))
        .order((
            shipment_events::occurred_at.asc(),
            shipment_events::id.asc(),
        ))
        .select(ShipmentEventRow::as_select())
        .load(conn)?;
    let mut events = Vec::new();
    for e in rows {
        let s = signatures::for_record(conn, SHIPMENT_EVENT_KIND, &e.id.to_string())?;
        events.push((e, s));
    }
    let handed_over = events.iter().any(|(e, _)| e.kind == "handed_over");
    let received = events
        .iter()
        .find(|(e, _)| e.kind == "received")
        .map(|(e, _)| e.findings().len());
    Ok(ShipmentView {
        status: ShipmentStatus::from_events(handed_over, received),
        shipment,
        vials: serials,
        events,
    })
}

/// Every shipment, newest first.
pub fn list(conn: &mut PgConnection) -> Result<Vec<ShipmentView>, DbError> {
    let ids: Vec<Uuid> = shipments::table
        .order(shipments::created_at.desc())
        .select(shipments::id)
        .load(conn)?;
    ids.into_iter().map(|id| view(conn, id)).collect()
}

/// The shipments carrying any vial of a batch.
pub fn of_batch(conn: &mut PgConnection, batch_id: Uuid) -> Result<Vec<ShipmentView>, DbError> {
    let ids: Vec<Uuid> = shipment_vials::table
        .inner_join(vials::table)
        .filter(vials::batch_id.eq(batch_id))
        .select(shipment_vials::shipment_id)
        .distinct()
        .load(conn)?;
    let mut out: Vec<ShipmentView> = ids
        .into_iter()
        .map(|id| view(conn, id))
        .collect::<Result<_, _>>()?;
    out.sort_by(|a, b| a.shipment.shipment_number.cmp(&b.shipment.shipment_number));
    Ok(out)
}

/// What the receiving end reports.
#[derive(Debug, Clone)]
pub struct ReceiptInput<'a> {
    /// Seal as read.
    pub seal_id: &'a str,
    /// Seal intact.
    pub seal_intact: bool,
    /// Serials scanned.
    pub scanned: &'a [String],
    /// The logger file (name, content), if one came.
    pub logger: Option<(&'a str, &'a str)>,
}

/// Records the hand-over (the seal as applied, every packed vial scanned)
/// or the receipt (the seal, the vials and the logger file checked; each
/// discrepancy quarantines the shipment and raises an exception on every
/// batch shipped). It is signed next, by the person at that end.
pub fn record_event(
    conn: &mut PgConnection,
    id: Uuid,
    receipt: Option<&ReceiptInput<'_>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ShipmentEventRow, DbError> {
    let logger = match receipt.and_then(|r| r.logger) {
        Some((_, text)) => Some(parse_logger_csv(text)?),
        None => None,
    };
    crate::tx::atomic(conn, |conn| {
        let current = view(conn, id)?;
        check_event(current.status, receipt.is_some())?;
        let (kind, seal, intact, scanned, findings) = match receipt {
            None => (
                "handed_over",
                current.shipment.seal_id.clone(),
                true,
                current.vials.clone(),
                Vec::new(),
            ),
            Some(r) => {
                let scanned: Vec<String> = r.scanned.iter().map(|s| s.trim().to_string()).collect();
                let findings = assess_receipt(&Receipt {
                    packed: &current.vials,
                    scanned: &scanned,
                    seal_applied: &current.shipment.seal_id,
                    seal_read: r.seal_id,
                    seal_intact: r.seal_intact,
                    logger: logger.as_ref(),
                });
                (
                    "received",
                    r.seal_id.trim().to_string(),
                    r.seal_intact,
                    scanned,
                    findings,
                )
            }
        };
        let file = receipt.and_then(|r| r.logger);
        let row = ShipmentEventRow {
            id: crate::ids::at(now),
            shipment_id: id,
            kind: kind.into(),
            seal_id: seal,
            seal_intact: intact,
            scanned: serde_json::to_string(&scanned).unwrap_or_default(),
            logger_file_name: file.map(|(name, _)| name.to_string()),
            logger_sha256: file.map(|(_, text)| sha256_hex(text.as_bytes())),
            logger_min_c: logger.as_ref().and_then(|l| l.min_c.clone()),
            logger_max_c: logger.as_ref().and_then(|l| l.max_c.clone()),
            logger_readings: logger
                .as_ref()
                .map(|l| i32::try_from(l.readings).unwrap_or(i32::MAX)),
            findings: serde_json::to_string(&findings).unwrap_or_default(),
            occurred_at: to_stored_precision(now),
            occurred_by: actor.into(),
        };
        diesel::insert_into(shipment_events::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                &format!("shipment.{kind}"),
                SHIPMENT_EVENT_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        if !findings.is_empty() {
            let batch_ids: BTreeSet<Uuid> = shipment_vials::table
                .inner_join(vials::table)
                .filter(shipment_vials::shipment_id.eq(id))
                .select(vials::batch_id)
                .load::<Uuid>(conn)?
                .into_iter()
                .collect();
            let detail = format!(
                "Shipment {} to {} quarantined at receipt: {}",
                current.shipment.shipment_number,
                current.shipment.to_site,
                findings
                    .iter()
                    .map(|f| f.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            for batch_id in batch_ids {
                batches::lock(conn, batch_id)?;
                exceptions::raise(
                    conn,
                    batch_id,
                    &ExceptionDraft {
                        kind: ExceptionKind::CustodyDiscrepancy,
                        step_key: None,
                        field_key: None,
                        entry_id: None,
                        detail: detail.clone(),
                        actor: actor.into(),
                    },
                    now,
                )?;
            }
        }
        Ok(row)
    })
}

/// The person at this end signs the hand-over (performed) or the receipt
/// (verified), once.
pub fn sign_event(
    conn: &mut PgConnection,
    id: Uuid,
    meaning: SignatureMeaning,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let now = signatory.at;
    crate::tx::atomic(conn, |conn| {
        let current = view(conn, id)?;
        let kind = match meaning {
            SignatureMeaning::Performed => "handed_over",
            _ => "received",
        };
        let (event, signed) = current
            .events
            .iter()
            .find(|(e, _)| e.kind == kind)
            .ok_or_else(|| DomainError::ShipmentState {
                status: current.status.as_str().into(),
                action: format!("sign a {} that is not recorded", kind.replace('_', " ")),
            })?;
        if !signed.is_empty() {
            return Err(
                DomainError::AlreadySigned(format!("the {}", kind.replace('_', "-"))).into(),
            );
        }
        let manifest = signatory.sign(crate::ids::at(now), meaning, &event.signed_record());
        signatures::insert(conn, SYSTEM_CHAIN, &manifest, now)?;
        Ok(manifest)
    })
}

/// An event by id (for signature checks).
pub fn event(conn: &mut PgConnection, id: Uuid) -> Result<ShipmentEventRow, DbError> {
    shipment_events::table
        .find(id)
        .select(ShipmentEventRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("shipment event {id}")))
}

/// R47: the site records the subject a vial was administered to (a vial
/// received without discrepancy, once).
pub fn administer(
    conn: &mut PgConnection,
    serial: &str,
    subject_id: &str,
    site: &str,
    administered_at: DateTime<Utc>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<AdministrationRow, DbError> {
    crate::tx::atomic(conn, |conn| {
        let vial = vial_by_serial(conn, serial)?;
        let shipment_id: Option<Uuid> = shipment_vials::table
            .find(vial.id)
            .select(shipment_vials::shipment_id)
            .first(conn)
            .optional()?;
        let shipment = match shipment_id {
            Some(id) => Some(view(conn, id)?),
            None => None,
        };
        let administered = administrations::table
            .filter(administrations::vial_id.eq(vial.id))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        check_administration(
            &AdministrationFacts {
                serial: &vial.serial,
                shipment: shipment
                    .as_ref()
                    .map(|s| (s.status, s.shipment.to_site.as_str())),
                administered,
                received_at: shipment.as_ref().and_then(|s| {
                    s.events
                        .iter()
                        .find(|(e, _)| e.kind == "received")
                        .map(|(e, _)| e.occurred_at)
                }),
            },
            site,
            subject_id,
            administered_at,
            now,
        )?;
        let row = AdministrationRow {
            id: crate::ids::at(now),
            vial_id: vial.id,
            subject_id: subject_id.trim().into(),
            site: site.trim().into(),
            administered_at: to_stored_precision(administered_at),
            recorded_at: to_stored_precision(now),
            recorded_by: actor.into(),
        };
        diesel::insert_into(administrations::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "vial.administered",
                ADMINISTRATION_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(row)
    })
}

/// The administration of a vial, if recorded.
pub fn administration_of(
    conn: &mut PgConnection,
    vial_id: Uuid,
) -> Result<Option<AdministrationRow>, DbError> {
    Ok(administrations::table
        .filter(administrations::vial_id.eq(vial_id))
        .select(AdministrationRow::as_select())
        .first(conn)
        .optional()?)
}

/// The vials of a shipment administered so far, with their serials.
pub fn administered_from(
    conn: &mut PgConnection,
    shipment_id: Uuid,
) -> Result<Vec<(String, AdministrationRow)>, DbError> {
    let rows: Vec<(AdministrationRow, String)> = administrations::table
        .inner_join(vials::table)
        .inner_join(shipment_vials::table.on(shipment_vials::vial_id.eq(administrations::vial_id)))
        .filter(shipment_vials::shipment_id.eq(shipment_id))
        .select((AdministrationRow::as_select(), vials::serial))
        .load(conn)?;
    Ok(rows.into_iter().map(|(a, s)| (s, a)).collect())
}

/// The vial administered to a subject, if any (newest first).
pub fn by_subject(
    conn: &mut PgConnection,
    subject_id: &str,
) -> Result<Vec<(AdministrationRow, String)>, DbError> {
    Ok(administrations::table
        .inner_join(vials::table)
        .filter(administrations::subject_id.eq(subject_id.trim()))
        .order(administrations::administered_at.desc())
        .select((AdministrationRow::as_select(), vials::serial))
        .load(conn)?)
}

/// Every row of each custody table: shipments, packed vials, hand-overs
/// and receipts, administrations (integrity checks).
pub type CustodyRows = (
    Vec<ShipmentRow>,
    Vec<ShipmentVialRow>,
    Vec<ShipmentEventRow>,
    Vec<AdministrationRow>,
);

/// Every row of each custody table (integrity checks).
pub fn all_rows(conn: &mut PgConnection) -> Result<CustodyRows, DbError> {
    Ok((
        shipments::table
            .select(ShipmentRow::as_select())
            .load(conn)?,
        shipment_vials::table
            .select(ShipmentVialRow::as_select())
            .load(conn)?,
        shipment_events::table
            .select(ShipmentEventRow::as_select())
            .load(conn)?,
        administrations::table
            .select(AdministrationRow::as_select())
            .load(conn)?,
    ))
}
