//! Donors (ISBT 128 DIN), signed eligibility determinations, signed
//! cell-bank decisions, and the facts that decide whether a WCB lot may
//! start a batch.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, SYSTEM_CHAIN};
use ebr_domain::custody::bank::{
    check_decision_signature, check_determination, BankDecision, BankLevel, CellBankFacts,
    Eligibility,
};
use ebr_domain::isbt128::Din;
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use crate::repo::{audit, registry, signatures, vouch};
use crate::schema::{
    cell_bank_lineage, cell_bank_releases, donor_eligibility, donors, signatures as sig,
};
use crate::DbError;

/// The audit entity type of a donor.
pub const DONOR_KIND: &str = "donor";
/// The audit entity type (and signed record type) of a determination.
pub const ELIGIBILITY_KIND: &str = "donor_eligibility";
/// The audit entity type (and signed record type) of a bank decision.
pub const BANK_RELEASE_KIND: &str = "cell_bank_release";

/// A registered donor.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = donors)]
pub struct DonorRow {
    /// Id.
    pub id: Uuid,
    /// The DIN as keyed, with its check character.
    pub din: String,
    /// Time.
    pub recorded_at: DateTime<Utc>,
    /// Who.
    pub recorded_by: String,
}

/// An eligibility determination as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = donor_eligibility)]
pub struct EligibilityRow {
    /// Id.
    pub id: Uuid,
    /// Donor.
    pub donor_id: Uuid,
    /// eligible, ineligible or pending.
    pub determination: String,
    /// Screening complete.
    pub screening_complete: bool,
    /// Testing complete.
    pub testing_complete: bool,
    /// Basis.
    pub basis: String,
    /// Time.
    pub recorded_at: DateTime<Utc>,
    /// Who.
    pub recorded_by: String,
}

impl EligibilityRow {
    /// Exactly what the responsible person signs: the determination row.
    pub fn signed_record(&self) -> SignedRecord {
        SignedRecord {
            record_type: ELIGIBILITY_KIND.into(),
            record_id: self.id.to_string(),
            record_version: 1,
            content: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// A cell-bank decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = cell_bank_releases)]
pub struct BankReleaseRow {
    /// Id.
    pub id: Uuid,
    /// mcb or wcb.
    pub level: String,
    /// Lot number.
    pub lot_number: String,
    /// released or rejected.
    pub decision: String,
    /// Comment.
    pub comment: String,
    /// Time.
    pub recorded_at: DateTime<Utc>,
    /// Who.
    pub recorded_by: String,
}

impl BankReleaseRow {
    /// Exactly what QA signs: the decision row.
    pub fn signed_record(&self) -> SignedRecord {
        SignedRecord {
            record_type: BANK_RELEASE_KIND.into(),
            record_id: self.id.to_string(),
            record_version: 1,
            content: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// Registers a donor under a validated DIN (R50: the check character is
/// checked; the keyed form is stored), once.
pub fn register_donor(
    conn: &mut PgConnection,
    din: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<DonorRow, DbError> {
    let din = Din::parse_keyed(din)?.keyed();
    crate::tx::atomic(conn, |conn| {
        if find_donor(conn, &din)?.is_some() {
            return Err(DomainError::DonorExists(din.clone()).into());
        }
        let row = DonorRow {
            id: crate::ids::at(now),
            din: din.clone(),
            recorded_at: to_stored_precision(now),
            recorded_by: actor.into(),
        };
        diesel::insert_into(donors::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "donor.registered",
                DONOR_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(row)
    })
}

/// The donor with this DIN (keyed form), if registered.
pub fn find_donor(conn: &mut PgConnection, din: &str) -> Result<Option<DonorRow>, DbError> {
    Ok(donors::table
        .filter(donors::din.eq(din))
        .select(DonorRow::as_select())
        .first(conn)
        .optional()?)
}

/// A donor by id.
pub fn donor(conn: &mut PgConnection, id: Uuid) -> Result<DonorRow, DbError> {
    donors::table
        .find(id)
        .select(DonorRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("donor {id}")))
}

/// Every donor, by DIN.
pub fn donors_all(conn: &mut PgConnection) -> Result<Vec<DonorRow>, DbError> {
    Ok(donors::table
        .order(donors::din.asc())
        .select(DonorRow::as_select())
        .load(conn)?)
}

/// Records a determination (it counts once signed).
#[allow(clippy::too_many_arguments)]
pub fn record_determination(
    conn: &mut PgConnection,
    donor_id: Uuid,
    determination: Eligibility,
    screening_complete: bool,
    testing_complete: bool,
    basis: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<EligibilityRow, DbError> {
    check_determination(determination, screening_complete, testing_complete, basis)?;
    crate::tx::atomic(conn, |conn| {
        donor(conn, donor_id)?;
        let row = EligibilityRow {
            id: crate::ids::at(now),
            donor_id,
            determination: determination.as_str().into(),
            screening_complete,
            testing_complete,
            basis: basis.into(),
            recorded_at: to_stored_precision(now),
            recorded_by: actor.into(),
        };
        diesel::insert_into(donor_eligibility::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "donor_eligibility.recorded",
                ELIGIBILITY_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(row)
    })
}

/// A determination by id.
pub fn determination(conn: &mut PgConnection, id: Uuid) -> Result<EligibilityRow, DbError> {
    donor_eligibility::table
        .find(id)
        .select(EligibilityRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("eligibility determination {id}")))
}

fn signed(conn: &mut PgConnection, record_type: &str, id: Uuid) -> Result<bool, DbError> {
    Ok(sig::table
        .filter(sig::record_type.eq(record_type))
        .filter(sig::record_id.eq(id.to_string()))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// The responsible person signs a determination (meaning approved), once.
pub fn sign_determination(
    conn: &mut PgConnection,
    id: Uuid,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let now = signatory.at;
    crate::tx::atomic(conn, |conn| {
        let row = determination(conn, id)?;
        if signed(conn, ELIGIBILITY_KIND, id)? {
            return Err(DomainError::AlreadySigned("this determination".into()).into());
        }
        let manifest = signatory.sign(
            crate::ids::at(now),
            SignatureMeaning::Approved,
            &row.signed_record(),
        );
        signatures::insert(conn, SYSTEM_CHAIN, &manifest, now)?;
        Ok(manifest)
    })
}

/// Each row with the signatures on it (record type `kind`), in the rows'
/// order.
fn with_signatures<R>(
    conn: &mut PgConnection,
    kind: &str,
    rows: Vec<R>,
    id: impl Fn(&R) -> Uuid,
) -> Result<Vec<(R, Vec<SignatureManifest>)>, DbError> {
    rows.into_iter()
        .map(|r| {
            let s = signatures::for_record(conn, kind, &id(&r).to_string())?;
            Ok((r, s))
        })
        .collect()
}

/// The row that counts among determinations or decisions: the one signed
/// last, with its signature (unsigned rows never count).
pub fn newest_signed<R: Clone>(
    rows: &[(R, Vec<SignatureManifest>)],
) -> Option<(R, SignatureManifest)> {
    rows.iter()
        .filter_map(|(r, s)| s.first().map(|s| (r.clone(), s.clone())))
        .max_by_key(|(_, s)| (s.signed_at, s.id))
}

/// Every determination of a donor with its signatures, oldest first.
pub fn determinations(
    conn: &mut PgConnection,
    donor_id: Uuid,
) -> Result<Vec<(EligibilityRow, Vec<SignatureManifest>)>, DbError> {
    let rows: Vec<EligibilityRow> = donor_eligibility::table
        .filter(donor_eligibility::donor_id.eq(donor_id))
        .order((
            donor_eligibility::recorded_at.asc(),
            donor_eligibility::id.asc(),
        ))
        .select(EligibilityRow::as_select())
        .load(conn)?;
    with_signatures(conn, ELIGIBILITY_KIND, rows, |r| r.id)
}

/// The donor's current determination: the newest signed one.
pub fn current_eligibility(
    conn: &mut PgConnection,
    donor_id: Uuid,
) -> Result<Option<(EligibilityRow, SignatureManifest)>, DbError> {
    Ok(newest_signed(&determinations(conn, donor_id)?))
}

/// Records a QA decision on a bank lot (it counts once signed).
pub fn record_decision(
    conn: &mut PgConnection,
    level: BankLevel,
    lot_number: &str,
    decision: BankDecision,
    comment: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<BankReleaseRow, DbError> {
    if lot_number.trim().is_empty() {
        return Err(DomainError::LotIdentityRequired.into());
    }
    crate::tx::atomic(conn, |conn| {
        let row = BankReleaseRow {
            id: crate::ids::at(now),
            level: level.as_str().into(),
            lot_number: lot_number.trim().into(),
            decision: decision.as_str().into(),
            comment: comment.into(),
            recorded_at: to_stored_precision(now),
            recorded_by: actor.into(),
        };
        diesel::insert_into(cell_bank_releases::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "cell_bank_release.recorded",
                BANK_RELEASE_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(row)
    })
}

/// A decision by id.
pub fn decision(conn: &mut PgConnection, id: Uuid) -> Result<BankReleaseRow, DbError> {
    cell_bank_releases::table
        .find(id)
        .select(BankReleaseRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("cell-bank decision {id}")))
}

/// QA signs a decision with its own meaning (released or rejected), once.
pub fn sign_decision(
    conn: &mut PgConnection,
    id: Uuid,
    meaning: SignatureMeaning,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let now = signatory.at;
    crate::tx::atomic(conn, |conn| {
        let row = decision(conn, id)?;
        let decided = BankDecision::parse(&row.decision)
            .ok_or_else(|| DbError::Integrity(format!("decision {id}: {}", row.decision)))?;
        check_decision_signature(decided, meaning, signed(conn, BANK_RELEASE_KIND, id)?)?;
        let manifest = signatory.sign(crate::ids::at(now), meaning, &row.signed_record());
        signatures::insert(conn, SYSTEM_CHAIN, &manifest, now)?;
        Ok(manifest)
    })
}

/// Every decision on a bank lot with its signatures, oldest first.
pub fn decisions(
    conn: &mut PgConnection,
    level: BankLevel,
    lot_number: &str,
) -> Result<Vec<(BankReleaseRow, Vec<SignatureManifest>)>, DbError> {
    let rows: Vec<BankReleaseRow> = cell_bank_releases::table
        .filter(cell_bank_releases::level.eq(level.as_str()))
        .filter(cell_bank_releases::lot_number.eq(lot_number))
        .order((
            cell_bank_releases::recorded_at.asc(),
            cell_bank_releases::id.asc(),
        ))
        .select(BankReleaseRow::as_select())
        .load(conn)?;
    with_signatures(conn, BANK_RELEASE_KIND, rows, |r| r.id)
}

/// Every decision, newest first, with its signatures.
pub fn all_decisions(
    conn: &mut PgConnection,
) -> Result<Vec<(BankReleaseRow, Vec<SignatureManifest>)>, DbError> {
    let rows: Vec<BankReleaseRow> = cell_bank_releases::table
        .order((
            cell_bank_releases::recorded_at.desc(),
            cell_bank_releases::id.desc(),
        ))
        .select(BankReleaseRow::as_select())
        .load(conn)?;
    with_signatures(conn, BANK_RELEASE_KIND, rows, |r| r.id)
}

/// A bank lot's current decision: the newest signed one, with its signature.
pub fn current_decision(
    conn: &mut PgConnection,
    level: BankLevel,
    lot_number: &str,
) -> Result<Option<(BankReleaseRow, SignatureManifest)>, DbError> {
    Ok(newest_signed(&decisions(conn, level, lot_number)?))
}

/// The qualification of a WCB lot as it stands: its lineage, donor,
/// eligibility and both bank decisions, for the domain to decide on and
/// for the record to state.
#[derive(Debug, Clone, Serialize)]
pub struct Qualification {
    /// WCB lot number.
    pub wcb_lot: String,
    /// The lineage's donor DIN and MCB lot, iPSC line.
    pub lineage: Option<crate::repo::release::lineage::CellBankLineage>,
    /// The donor, if registered.
    pub donor: Option<DonorRow>,
    /// Current signed determination.
    pub eligibility: Option<(EligibilityRow, SignatureManifest)>,
    /// Current signed MCB decision.
    pub mcb: Option<(BankReleaseRow, SignatureManifest)>,
    /// Current signed WCB decision.
    pub wcb: Option<(BankReleaseRow, SignatureManifest)>,
}

impl Qualification {
    /// The facts the domain decides on.
    pub fn facts(&self) -> CellBankFacts {
        CellBankFacts {
            wcb_lot: self.wcb_lot.clone(),
            lineage: self
                .lineage
                .as_ref()
                .map(|l| (l.donor_id.clone(), l.mcb_lot.clone())),
            donor_registered: self.donor.is_some(),
            eligibility: self
                .eligibility
                .as_ref()
                .and_then(|(r, _)| Eligibility::parse(&r.determination)),
            mcb: self
                .mcb
                .as_ref()
                .and_then(|(r, _)| BankDecision::parse(&r.decision)),
            wcb: self
                .wcb
                .as_ref()
                .and_then(|(r, _)| BankDecision::parse(&r.decision)),
        }
    }
}

/// Loads the qualification of WCB lot `wcb_lot_id`.
pub fn qualification(conn: &mut PgConnection, wcb_lot_id: Uuid) -> Result<Qualification, DbError> {
    let lot = registry::lot(conn, wcb_lot_id)?;
    let lineage = cell_bank_lineage::table
        .find(wcb_lot_id)
        .select(crate::repo::release::lineage::CellBankLineage::as_select())
        .first(conn)
        .optional()?;
    let donor = match &lineage {
        Some(l) => find_donor(conn, &l.donor_id)?,
        None => None,
    };
    let eligibility = match &donor {
        Some(d) => current_eligibility(conn, d.id)?,
        None => None,
    };
    let mcb = match &lineage {
        Some(l) => current_decision(conn, BankLevel::Mcb, &l.mcb_lot)?,
        None => None,
    };
    let wcb = current_decision(conn, BankLevel::Wcb, &lot.row.lot_number)?;
    Ok(Qualification {
        wcb_lot: lot.row.lot_number,
        lineage,
        donor,
        eligibility,
        mcb,
        wcb,
    })
}

/// Every determination row (for integrity checks).
pub fn all_determinations(conn: &mut PgConnection) -> Result<Vec<EligibilityRow>, DbError> {
    Ok(donor_eligibility::table
        .select(EligibilityRow::as_select())
        .load(conn)?)
}

/// Every decision row (for integrity checks).
pub fn all_decision_rows(conn: &mut PgConnection) -> Result<Vec<BankReleaseRow>, DbError> {
    Ok(cell_bank_releases::table
        .select(BankReleaseRow::as_select())
        .load(conn)?)
}
