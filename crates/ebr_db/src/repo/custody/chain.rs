//! The whole chain of identity of a vial, from its donor to its recipient,
//! and of a donor down to every recipient (R47): one query each way for the
//! lineage page, the API and the record.

use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::bank::{self, DonorRow, EligibilityRow, Qualification};
use super::labels::{self, LabelView};
use super::shipments::{self, AdministrationRow, ShipmentView};
use super::storage::{self, VialStorage};
use crate::repo::release::lineage::{self, Descendant, VialLineage};
use crate::schema::{cell_bank_lineage, vials};
use crate::DbError;
use ebr_domain::signature::SignatureManifest;

/// Everything between a vial's donor and its recipient.
#[derive(Debug, Clone, Serialize)]
pub struct VialChain {
    /// Vial → batch → WCB lot → MCB → iPSC line → donor DIN.
    pub lineage: VialLineage,
    /// The donor's eligibility and the banks' release, as they stand.
    pub qualification: Qualification,
    /// The label applied to it.
    pub label: Option<LabelView>,
    /// Where it is or was stored.
    pub storage: Option<VialStorage>,
    /// The shipment it left in.
    pub shipment: Option<ShipmentView>,
    /// The subject it was administered to.
    pub administration: Option<AdministrationRow>,
}

/// The chain of the vial with this serial.
pub fn of_vial(conn: &mut PgConnection, serial: &str) -> Result<VialChain, DbError> {
    let lineage = lineage::vial_lineage(conn, serial)?;
    let batch = crate::repo::batches::find(conn, lineage.batch_id)?;
    let qualification = bank::qualification(conn, batch.wcb_lot_id)?;
    let label = labels::list(conn, lineage.batch_id)?
        .into_iter()
        .filter(|l| l.applied_to == lineage.serial)
        .find(|l| l.state == ebr_domain::custody::labels::LabelState::Applied);
    let storage = storage::of_batch(conn, lineage.batch_id)?
        .into_iter()
        .find(|s| s.serial == lineage.serial);
    let shipment = shipments::of_batch(conn, lineage.batch_id)?
        .into_iter()
        .find(|s| s.vials.contains(&lineage.serial));
    let vial_id: Uuid = vials::table
        .filter(vials::serial.eq(&lineage.serial))
        .select(vials::id)
        .first(conn)?;
    let administration = shipments::administration_of(conn, vial_id)?;
    Ok(VialChain {
        lineage,
        qualification,
        label,
        storage,
        shipment,
        administration,
    })
}

/// The chains of every vial administered to a subject.
pub fn of_subject(conn: &mut PgConnection, subject_id: &str) -> Result<Vec<VialChain>, DbError> {
    shipments::by_subject(conn, subject_id)?
        .into_iter()
        .map(|(_, serial)| of_vial(conn, &serial))
        .collect()
}

/// One WCB lot made from a donor's cells, with everything made from it.
#[derive(Debug, Clone, Serialize)]
pub struct DonorLot {
    /// The lineage record (iPSC line, MCB lot).
    pub lineage: lineage::CellBankLineage,
    /// WCB lot number.
    pub wcb_lot: String,
    /// The batches and their vials.
    pub batches: Vec<Descendant>,
    /// Each administered vial: serial, subject, site.
    pub recipients: Vec<(String, AdministrationRow)>,
}

/// A donor down to every recipient.
#[derive(Debug, Clone, Serialize)]
pub struct DonorChain {
    /// The donor.
    pub donor: DonorRow,
    /// Every determination with its signatures.
    pub determinations: Vec<(EligibilityRow, Vec<SignatureManifest>)>,
    /// Every WCB lot made from the donor.
    pub lots: Vec<DonorLot>,
}

/// The chain down from a donor.
pub fn of_donor(conn: &mut PgConnection, donor_id: Uuid) -> Result<DonorChain, DbError> {
    let donor = bank::donor(conn, donor_id)?;
    let determinations = bank::determinations(conn, donor_id)?;
    let made: Vec<lineage::CellBankLineage> = cell_bank_lineage::table
        .filter(cell_bank_lineage::donor_id.eq(&donor.din))
        .select(lineage::CellBankLineage::as_select())
        .load(conn)?;
    let mut lots = Vec::new();
    for l in made {
        let lot = crate::repo::registry::lot(conn, l.wcb_lot_id)?;
        let (_, batches) = lineage::descendants(conn, l.wcb_lot_id)?;
        let mut recipients = Vec::new();
        for b in &batches {
            for serial in &b.vials {
                let id: Uuid = vials::table
                    .filter(vials::serial.eq(serial))
                    .select(vials::id)
                    .first(conn)?;
                if let Some(a) = shipments::administration_of(conn, id)? {
                    recipients.push((serial.clone(), a));
                }
            }
        }
        lots.push(DonorLot {
            lineage: l,
            wcb_lot: lot.row.lot_number,
            batches,
            recipients,
        });
    }
    Ok(DonorChain {
        donor,
        determinations,
        lots,
    })
}
