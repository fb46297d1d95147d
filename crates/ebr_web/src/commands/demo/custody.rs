//! The demo's chain of identity and custody: the donor (DIN
//! `G123498654321H`) determined eligible and the MCB and WCB released by QA
//! before any batch is issued; labels printed and scanned back at the
//! labelling step; the released batch's vials placed in the LN₂ storage map,
//! two of them shipped to a clinical site and received clean, one
//! administered to a trial subject. Idempotent, like the rest of the demo.

use chrono::{DateTime, Duration, Utc};
use ebr_db::repo::custody::{bank, labels, shipments, storage};
use ebr_db::repo::people::PersonState;
use ebr_db::repo::person_actor;
use ebr_db::repo::release::lineage;
use ebr_db::{DbError, PgConnection};
use ebr_domain::custody::bank::{BankDecision, BankLevel, Eligibility};
use ebr_domain::custody::labels::PrintRequest;
use ebr_domain::custody::storage::{LocationKind, StorageAction};
use ebr_domain::signature::SignatureMeaning;
use uuid::Uuid;

/// The demo donor's ISBT 128 DIN (the standard's own example).
pub const DONOR_DIN: &str = "G123498654321H";
/// The demo master cell bank lot.
pub const MCB_LOT: &str = "MCB-2024-003";
/// The demo iPSC line.
pub const IPSC_LINE: &str = "XS-iPSC-07 (HLA-homozygous)";
/// The reference MBR's transfer-to-storage step, after which the demo
/// places the vials in the storage map.
pub const STORE_STEP: &str = "s8-transfer";
/// The box the demo batches' vials are stored in.
pub const STORAGE_BOX: &str = "LN2-01-R1-B01";
/// The demo shipment.
pub const SHIPMENT: &str = "SH-2026-0001";
/// The clinical site it goes to.
pub const CLINICAL_SITE: &str = "Site 01 — Neurology, University Hospital";
/// The trial subject the first vial is administered to.
pub const SUBJECT: &str = "ALS-01-004";

/// Registers the donor, records and signs the eligibility determination,
/// the WCB lot's lineage and both bank releases (QA), so batches may be
/// issued from `wcb_lot_id`. Idempotent.
pub fn qualify_bank(
    conn: &mut PgConnection,
    wcb_lot_id: Uuid,
    qa: &PersonState,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let actor = person_actor(qa.person.id);
    let donor = match bank::find_donor(conn, DONOR_DIN)? {
        Some(d) => d,
        None => bank::register_donor(conn, DONOR_DIN, &actor, at)?,
    };
    if bank::current_eligibility(conn, donor.id)?.is_none() {
        let d = bank::record_determination(
            conn,
            donor.id,
            Eligibility::Eligible,
            true,
            true,
            "Donor screening questionnaire DSQ-0007 and infectious-disease panel IDT-2023-118 (HIV-1/2, HBV, HCV, HTLV-I/II, syphilis, CMV; NAT and serology), all negative",
            &actor,
            at + Duration::minutes(1),
        )?;
        bank::sign_determination(conn, d.id, &qa.signatory(None, at + Duration::minutes(2)))?;
    }
    let qualification = bank::qualification(conn, wcb_lot_id)?;
    if qualification.lineage.is_none() {
        lineage::record(
            conn,
            wcb_lot_id,
            DONOR_DIN,
            IPSC_LINE,
            MCB_LOT,
            &actor,
            at + Duration::minutes(3),
        )?;
    }
    for (level, lot, minutes) in [
        (BankLevel::Mcb, MCB_LOT.to_string(), 4),
        (BankLevel::Wcb, qualification.wcb_lot.clone(), 6),
    ] {
        if bank::current_decision(conn, level, &lot)?.is_none() {
            let d = bank::record_decision(
                conn,
                level,
                &lot,
                BankDecision::Released,
                "identity, sterility, mycoplasma, karyotype and pluripotency within specification",
                &actor,
                at + Duration::minutes(minutes),
            )?;
            bank::sign_decision(
                conn,
                d.id,
                SignatureMeaning::Released,
                &qa.signatory(None, at + Duration::minutes(minutes + 1)),
            )?;
        }
    }
    Ok(())
}

/// The storage map: freezer LN2-01, its rack R1 and a 9 × 9 box. Idempotent.
pub fn storage_map(conn: &mut PgConnection, actor: &str, at: DateTime<Utc>) -> Result<(), DbError> {
    let known: Vec<String> = storage::locations(conn)?
        .into_iter()
        .map(|l| l.code)
        .collect();
    for (code, kind, parent, name, size) in [
        (
            "LN2-01",
            LocationKind::Freezer,
            None,
            "LN₂ vapour-phase freezer 1 (cleanroom B, store 2)",
            None,
        ),
        (
            "LN2-01-R1",
            LocationKind::Rack,
            Some("LN2-01"),
            "Rack 1",
            None,
        ),
        (
            STORAGE_BOX,
            LocationKind::Box,
            Some("LN2-01-R1"),
            "Box 1 (drug product, quarantine and released)",
            Some((9, 9)),
        ),
    ] {
        if !known.iter().any(|k| k == code) {
            storage::register_location(conn, code, kind, parent, name, size, actor, at)?;
        }
    }
    Ok(())
}

/// At the labelling step: prints every vial's label and scans each back
/// against its vial.
pub fn label_vials(
    conn: &mut PgConnection,
    batch_id: Uuid,
    operator: &PersonState,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let actor = person_actor(operator.person.id);
    let printed = labels::print(conn, batch_id, &PrintRequest::All, &actor, at)?;
    for (i, (row, content)) in printed.iter().enumerate() {
        let when = at + Duration::seconds(20 * (1 + i64::try_from(i).unwrap_or(0)));
        labels::scan(
            conn,
            batch_id,
            &row.barcode,
            if content.vials_in_box.is_some() {
                &content.batch_number
            } else {
                &content.vial_serial
            },
            &actor,
            when,
        )?;
    }
    Ok(())
}

/// At the transfer to storage: each vial placed in the box (vial and
/// position scanned), in the first free positions from A1.
pub fn store_vials(
    conn: &mut PgConnection,
    batch_id: Uuid,
    operator: &PersonState,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let actor = person_actor(operator.person.id);
    let the_box = storage::location_by_code(conn, STORAGE_BOX)?;
    let taken: Vec<String> = storage::box_contents(conn, the_box.id)?
        .into_iter()
        .map(|o| o.position)
        .collect();
    let mut free = (0..81)
        .map(|i| {
            format!(
                "{}{}",
                char::from(b'A' + u8::try_from(i / 9).unwrap_or(0)),
                i % 9 + 1
            )
        })
        .filter(|p| !taken.contains(p));
    for (i, vial) in lineage::vials_of(conn, batch_id)?.iter().enumerate() {
        let Some(slot) = free.next() else {
            return Err(DbError::Domain(ebr_domain::DomainError::StorageInvalid(
                format!("box {STORAGE_BOX} is full"),
            )));
        };
        let position = format!("{STORAGE_BOX}:{slot}");
        let when = at + Duration::seconds(15 * i64::try_from(i).unwrap_or(0));
        storage::act(
            conn,
            &vial.serial,
            StorageAction::Place,
            Some(&position),
            None,
            &actor,
            when,
        )?;
    }
    Ok(())
}

/// After release: two vials shipped to the clinical site, handed over and
/// received clean (logger at −190 to −178 °C), both ends signed; the first
/// administered to a subject. Idempotent.
pub fn ship_and_administer(
    conn: &mut PgConnection,
    batch_number: &str,
    packer: &PersonState,
    receiver: &PersonState,
    released_at: DateTime<Utc>,
) -> Result<(), DbError> {
    if shipments::list(conn)?
        .iter()
        .any(|s| s.shipment.shipment_number == SHIPMENT)
    {
        return Ok(());
    }
    let packed_at = released_at + Duration::days(2);
    let administered_vial = format!("{batch_number}-V001");
    let vials = vec![administered_vial.clone(), format!("{batch_number}-V002")];
    let shipment = shipments::pack(
        conn,
        &shipments::Packing {
            shipment_number: SHIPMENT,
            from_site: "ebr demo manufacturing site, cleanroom B",
            to_site: CLINICAL_SITE,
            shipper: "CryoCourier GmbH",
            dry_shipper_id: "DS-0417",
            seal_id: "SEAL-88213",
            vials: &vials,
        },
        &person_actor(packer.person.id),
        packed_at,
    )?;
    let id = shipment.shipment.id;
    let handed_over = packed_at + Duration::minutes(30);
    shipments::record_event(conn, id, None, &person_actor(packer.person.id), handed_over)?;
    shipments::sign_event(
        conn,
        id,
        SignatureMeaning::Performed,
        &packer.signatory(None, handed_over + Duration::minutes(1)),
    )?;
    let received = handed_over + Duration::hours(26);
    let mut csv = String::from("timestamp,temperature_c\n");
    for h in 0..=26 {
        let t = handed_over + Duration::hours(h);
        let reading = -190.0 + f64::from(u8::try_from(h % 13).unwrap_or(0));
        csv.push_str(&format!(
            "{},{reading:.1}\n",
            t.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    shipments::record_event(
        conn,
        id,
        Some(&shipments::ReceiptInput {
            seal_id: "SEAL-88213",
            seal_intact: true,
            scanned: &vials,
            logger: Some(("DS-0417-logger.csv", &csv)),
        }),
        &person_actor(receiver.person.id),
        received,
    )?;
    shipments::sign_event(
        conn,
        id,
        SignatureMeaning::Verified,
        &receiver.signatory(None, received + Duration::minutes(2)),
    )?;
    let administered = received + Duration::days(2);
    shipments::administer(
        conn,
        &administered_vial,
        SUBJECT,
        CLINICAL_SITE,
        administered,
        &person_actor(receiver.person.id),
        administered + Duration::hours(1),
    )?;
    Ok(())
}
