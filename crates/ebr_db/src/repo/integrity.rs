//! Integrity checks over stored records (R1, R13): every audit event's record
//! hash against the record as stored now, and every signature against what it
//! signed and against its own audit event.

use std::collections::HashMap;

use diesel::prelude::*;
use ebr_domain::canonical::sha256_hex;
use ebr_domain::signature::SignedRecord;
use serde::Serialize;
use uuid::Uuid;

use super::canonical_hash;
use crate::repo::access_review::{self, ACCESS_REVIEW_KIND, ACCESS_REVIEW_RECORD_TYPE};
use crate::repo::batches::BatchRow;
use crate::repo::batches::BATCH_STATUS_KIND;
use crate::repo::exceptions::{DeviationRow, ExceptionRow};
use crate::repo::execution::SUPERSESSION_KIND;
use crate::repo::execution::{self, EntryRow, STEP_RECORD_TYPE};
use crate::repo::mbr::MBR_STATUS_KIND;
use crate::repo::people::PersonRow;
use crate::repo::people::{
    ACCOUNT_EVENT_KIND, ACKNOWLEDGMENT_KIND, AUTH_ATTEMPT_KIND, CREDENTIAL_KIND,
    IDENTITY_VERIFICATION_KIND, ROLE_CHANGE_KIND,
};
use crate::repo::registry::{EquipmentRow, LotRow};
use crate::repo::registry::{EQUIPMENT_EVENT_KIND, LOT_EVENT_KIND};
use crate::repo::release::deviations::{
    self as deviation_repo, RevisionRow, DEVIATION_RECORD_TYPE,
};
use crate::repo::release::disposition::{batch_record_at, BATCH_RECORD_TYPE};
use crate::repo::release::lineage::CellBankLineage;
use crate::repo::release::lineage::{VialRow, VIAL_KIND};
use crate::repo::release::qc::{self as qc_repo, QcResultRow, QC_RECORD_TYPE};
use crate::repo::release::qc::{InvalidationRow, QC_DEVIATION_LINK_KIND, QC_INVALIDATION_KIND};
use crate::repo::rows::{
    AccountEventRow, AcknowledgmentRow, AuthAttemptRow, BatchStatusRow, CredentialRow,
    EquipmentEventRow, IdentityVerificationRow, LotEventRow, MbrStatusRow, QcDeviationLinkRow,
    RoleChangeRow, SessionOpenedRow, SupersessionRow,
};
use crate::repo::second_factor::{self, FACTOR_EVENT_KIND, FACTOR_USE_KIND};
use crate::repo::training::{self, CURRICULUM_KIND, TRAINING_RECORD_KIND, TRAINING_RECORD_TYPE};
use crate::repo::{mbr, signatures};
use crate::schema::{
    account_events, audit_events, auth_attempts, batch_exceptions, batch_status_events, batches,
    cell_bank_lineage, deviation_revisions, deviations, entries, equipment, equipment_events,
    identity_verifications, material_lot_events, material_lots, mbr_status_events, mbr_versions,
    password_credentials, people, qc_invalidations, qc_result_deviations, qc_results, role_changes,
    sessions, signature_acknowledgments, signature_supersessions, vials,
};
use crate::DbError;

/// A signature that no longer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureProblem {
    /// The signature.
    pub signature_id: Uuid,
    /// Type of the signed record.
    pub record_type: String,
    /// Id of the signed record.
    pub record_id: String,
    /// What is wrong.
    pub problem: String,
}

/// A record that no longer matches the hash its audit event carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordProblem {
    /// The chain of the audit event.
    pub chain: String,
    /// Its sequence number.
    pub seq: i64,
    /// The record's type.
    pub entity_type: String,
    /// The record's id.
    pub entity_id: String,
    /// What is wrong.
    pub problem: String,
}

fn hashes<T: Serialize>(rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> HashMap<String, String> {
    rows.into_iter()
        .map(|r| (id(&r).to_string(), canonical_hash(&r)))
        .collect()
}

/// The current hash of every record that audit events carry a hash of, by
/// entity type and id.
fn current_hashes(
    conn: &mut PgConnection,
) -> Result<HashMap<&'static str, HashMap<String, String>>, DbError> {
    let mut all = HashMap::new();
    let mbrs: Vec<(Uuid, String)> = mbr_versions::table
        .select((mbr_versions::id, mbr_versions::content))
        .load(conn)?;
    all.insert(
        "mbr_version",
        mbrs.into_iter()
            .map(|(id, c)| (id.to_string(), sha256_hex(c.as_bytes())))
            .collect(),
    );
    all.insert(
        "signature",
        signatures::all(conn)?
            .into_iter()
            .map(|s| (s.id.to_string(), s.hash()))
            .collect(),
    );
    all.insert(
        "person",
        hashes(
            people::table.select(PersonRow::as_select()).load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "material_lot",
        hashes(
            material_lots::table
                .select(LotRow::as_select())
                .load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "equipment",
        hashes(
            equipment::table
                .select(EquipmentRow::as_select())
                .load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "batch",
        hashes(
            batches::table.select(BatchRow::as_select()).load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "entry",
        hashes(
            entries::table.select(EntryRow::as_select()).load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "batch_exception",
        hashes(
            batch_exceptions::table
                .select(ExceptionRow::as_select())
                .load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "deviation",
        hashes(
            deviations::table
                .select(DeviationRow::as_select())
                .load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "deviation_revision",
        hashes(
            deviation_revisions::table
                .select(RevisionRow::as_select())
                .load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "qc_result",
        hashes(
            qc_results::table
                .select(QcResultRow::as_select())
                .load(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        BATCH_STATUS_KIND,
        hashes(
            batch_status_events::table
                .select(BatchStatusRow::as_select())
                .load::<BatchStatusRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        MBR_STATUS_KIND,
        hashes(
            mbr_status_events::table
                .select(MbrStatusRow::as_select())
                .load::<MbrStatusRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        ROLE_CHANGE_KIND,
        hashes(
            role_changes::table
                .select(RoleChangeRow::as_select())
                .load::<RoleChangeRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        CREDENTIAL_KIND,
        hashes(
            password_credentials::table
                .select(CredentialRow::as_select())
                .load::<CredentialRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        ACCOUNT_EVENT_KIND,
        hashes(
            account_events::table
                .select(AccountEventRow::as_select())
                .load::<AccountEventRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        ACKNOWLEDGMENT_KIND,
        hashes(
            signature_acknowledgments::table
                .select(AcknowledgmentRow::as_select())
                .load::<AcknowledgmentRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        IDENTITY_VERIFICATION_KIND,
        hashes(
            identity_verifications::table
                .select(IdentityVerificationRow::as_select())
                .load::<IdentityVerificationRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        AUTH_ATTEMPT_KIND,
        hashes(
            auth_attempts::table
                .select(AuthAttemptRow::as_select())
                .load::<AuthAttemptRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        "session",
        hashes(
            sessions::table
                .select(SessionOpenedRow::as_select())
                .load::<SessionOpenedRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        LOT_EVENT_KIND,
        hashes(
            material_lot_events::table
                .select(LotEventRow::as_select())
                .load::<LotEventRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        EQUIPMENT_EVENT_KIND,
        hashes(
            equipment_events::table
                .select(EquipmentEventRow::as_select())
                .load::<EquipmentEventRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        SUPERSESSION_KIND,
        hashes(
            signature_supersessions::table
                .select(SupersessionRow::as_select())
                .load::<SupersessionRow>(conn)?,
            |r| r.signature_id,
        ),
    );
    all.insert(
        QC_INVALIDATION_KIND,
        hashes(
            qc_invalidations::table
                .select(InvalidationRow::as_select())
                .load::<InvalidationRow>(conn)?,
            |r| r.result_id,
        ),
    );
    all.insert(
        QC_DEVIATION_LINK_KIND,
        hashes(
            qc_result_deviations::table
                .select(QcDeviationLinkRow::as_select())
                .load::<QcDeviationLinkRow>(conn)?,
            |r| r.deviation_id,
        ),
    );
    all.insert(
        VIAL_KIND,
        hashes(
            vials::table
                .select(VialRow::as_select())
                .load::<VialRow>(conn)?,
            |r| r.id,
        ),
    );
    all.insert(
        ACCESS_REVIEW_KIND,
        hashes(access_review::all(conn)?, |r| r.id),
    );
    {
        use crate::repo::custody::{bank, labels, shipments, storage};
        all.insert(bank::DONOR_KIND, hashes(bank::donors_all(conn)?, |r| r.id));
        all.insert(
            bank::ELIGIBILITY_KIND,
            hashes(bank::all_determinations(conn)?, |r| r.id),
        );
        all.insert(
            bank::BANK_RELEASE_KIND,
            hashes(bank::all_decision_rows(conn)?, |r| r.id),
        );
        all.insert(
            labels::LABEL_KIND,
            hashes(labels::all_labels(conn)?, |r| r.id),
        );
        all.insert(
            labels::LABEL_EVENT_KIND,
            hashes(labels::all_events(conn)?, |r| r.id),
        );
        all.insert(
            storage::LOCATION_KIND,
            hashes(storage::locations(conn)?, |r| r.id),
        );
        all.insert(
            storage::STORAGE_EVENT_KIND,
            hashes(storage::all_events(conn)?, |r| r.id),
        );
        let (forms, transcriptions) = crate::repo::contingency::all_rows(conn)?;
        all.insert(crate::repo::contingency::FORM_KIND, hashes(forms, |r| r.id));
        all.insert(
            crate::repo::contingency::TRANSCRIPTION_KIND,
            hashes(transcriptions, |r| r.id),
        );
        let (shipped, packed, events, administered) = shipments::all_rows(conn)?;
        all.insert(shipments::SHIPMENT_KIND, hashes(shipped, |r| r.id));
        all.insert(shipments::SHIPMENT_VIAL_KIND, hashes(packed, |r| r.vial_id));
        all.insert(shipments::SHIPMENT_EVENT_KIND, hashes(events, |r| r.id));
        all.insert(
            shipments::ADMINISTRATION_KIND,
            hashes(administered, |r| r.id),
        );
    }
    all.insert(
        FACTOR_EVENT_KIND,
        hashes(second_factor::all_events(conn)?, |r| r.id),
    );
    all.insert(
        FACTOR_USE_KIND,
        hashes(second_factor::all_uses(conn)?, |r| r.id),
    );
    all.insert(
        CURRICULUM_KIND,
        hashes(training::curricula(conn)?, |r| r.id),
    );
    all.insert(
        TRAINING_RECORD_KIND,
        hashes(
            training::records(conn, None)?
                .into_iter()
                .map(|h| h.row)
                .collect(),
            |r| r.id,
        ),
    );
    all.insert(
        "cell_bank_lineage",
        hashes(
            cell_bank_lineage::table
                .select(CellBankLineage::as_select())
                .load(conn)?,
            |r| r.wcb_lot_id,
        ),
    );
    Ok(all)
}

/// A stored row that no audit event vouches for (written out of band).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnvouchedRow {
    /// The row's kind (its audit entity type), e.g. `role_change`.
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// The result of checking every recorded row against the audit trail, both
/// ways: how many rows were checked, per kind, and what is wrong.
#[derive(Debug, Clone, Default)]
pub struct RecordCheck {
    /// Rows checked, by kind (every kind, even with none).
    pub rows_by_kind: Vec<(String, usize)>,
    /// Events whose record was altered or removed.
    pub altered: Vec<RecordProblem>,
    /// Rows without an event.
    pub unvouched: Vec<UnvouchedRow>,
}

/// Checks every recorded row against the audit trail both ways: each event's
/// record hash against the row as stored now (an altered or removed row is
/// named with its event), and each row of every recorded table against the
/// events (a row without one, inserted out of band, is named by kind and id).
pub fn check_records(conn: &mut PgConnection) -> Result<RecordCheck, DbError> {
    let current = current_hashes(conn)?;
    let altered = verify_against(conn, &current)?;
    let vouched: Vec<(String, String)> = audit_events::table
        .filter(audit_events::record_hash.is_not_null())
        .select((audit_events::entity_type, audit_events::entity_id))
        .load(conn)?;
    let vouched: std::collections::HashSet<(String, String)> = vouched.into_iter().collect();
    let mut kinds: Vec<(&&str, &HashMap<String, String>)> = current.iter().collect();
    kinds.sort_by_key(|(k, _)| **k);
    let mut unvouched = Vec::new();
    let mut rows_by_kind = Vec::new();
    for (kind, rows) in kinds {
        rows_by_kind.push(((*kind).to_string(), rows.len()));
        let mut missing: Vec<&String> = rows
            .keys()
            .filter(|id| !vouched.contains(&((*kind).to_string(), (*id).clone())))
            .collect();
        missing.sort();
        unvouched.extend(missing.into_iter().map(|id| UnvouchedRow {
            kind: (*kind).to_string(),
            id: id.clone(),
        }));
    }
    Ok(RecordCheck {
        rows_by_kind,
        altered,
        unvouched,
    })
}

/// Recomputes the hash of every record an audit event vouches for and reports
/// every record that was altered or removed since (an empty list: all hold).
pub fn verify_record_hashes(conn: &mut PgConnection) -> Result<Vec<RecordProblem>, DbError> {
    let current = current_hashes(conn)?;
    verify_against(conn, &current)
}

fn verify_against(
    conn: &mut PgConnection,
    current: &HashMap<&'static str, HashMap<String, String>>,
) -> Result<Vec<RecordProblem>, DbError> {
    let vouched: Vec<(String, i64, String, String, Option<String>)> = audit_events::table
        .filter(audit_events::record_hash.is_not_null())
        .order((audit_events::chain.asc(), audit_events::seq.asc()))
        .select((
            audit_events::chain,
            audit_events::seq,
            audit_events::entity_type,
            audit_events::entity_id,
            audit_events::record_hash,
        ))
        .load(conn)?;
    let mut problems = Vec::new();
    for (chain, seq, entity_type, entity_id, hash) in vouched {
        let problem = match current.get(entity_type.as_str()).map(|m| m.get(&entity_id)) {
            None => Some(format!("unknown record type `{entity_type}`")),
            Some(None) => Some("the record is missing (deleted out of band)".to_string()),
            Some(Some(now)) if Some(now) != hash.as_ref() => Some("the record was altered after it was written: its hash no longer matches its audit event".to_string()),
            Some(Some(_)) => None,
        };
        if let Some(problem) = problem {
            problems.push(RecordProblem {
                chain,
                seq,
                entity_type,
                entity_id,
                problem,
            });
        }
    }
    Ok(problems)
}

/// The current state of a signed record, rebuilt the way it was signed
/// (records that grow, such as deviations and batches, as of the signed version).
/// Step records come from [`RecordCache`], which loads each batch once.
fn current_record(
    conn: &mut PgConnection,
    record_type: &str,
    record_id: &str,
    version: i64,
) -> Result<Option<SignedRecord>, DbError> {
    let id = Uuid::parse_str(record_id).ok();
    match (record_type, id) {
        (QC_RECORD_TYPE, Some(id)) => match qc_repo::result(conn, id) {
            Ok(r) => Ok(Some(r.signed_record())),
            Err(DbError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        },
        (DEVIATION_RECORD_TYPE, Some(id)) => deviation_repo::signed_record_at(conn, id, version),
        (BATCH_RECORD_TYPE, Some(id)) => batch_record_at(conn, id, version),
        _ => current_record_of_kind(conn, record_type, record_id),
    }
}

fn current_record_of_kind(
    conn: &mut PgConnection,
    record_type: &str,
    record_id: &str,
) -> Result<Option<SignedRecord>, DbError> {
    match record_type {
        mbr::MBR_RECORD_TYPE => {
            let Ok(id) = Uuid::parse_str(record_id) else {
                return Ok(None);
            };
            match mbr::signed_record(conn, id) {
                Ok(record) => Ok(Some(record)),
                Err(DbError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        ACCESS_REVIEW_RECORD_TYPE => {
            let Ok(id) = Uuid::parse_str(record_id) else {
                return Ok(None);
            };
            match access_review::find(conn, id) {
                Ok(row) => Ok(Some(row.signed_record())),
                Err(DbError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        crate::repo::custody::bank::ELIGIBILITY_KIND => {
            let Ok(id) = Uuid::parse_str(record_id) else {
                return Ok(None);
            };
            match crate::repo::custody::bank::determination(conn, id) {
                Ok(row) => Ok(Some(row.signed_record())),
                Err(DbError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        crate::repo::custody::bank::BANK_RELEASE_KIND => {
            let Ok(id) = Uuid::parse_str(record_id) else {
                return Ok(None);
            };
            match crate::repo::custody::bank::decision(conn, id) {
                Ok(row) => Ok(Some(row.signed_record())),
                Err(DbError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        crate::repo::custody::shipments::SHIPMENT_EVENT_KIND => {
            let Ok(id) = Uuid::parse_str(record_id) else {
                return Ok(None);
            };
            match crate::repo::custody::shipments::event(conn, id) {
                Ok(row) => Ok(Some(row.signed_record())),
                Err(DbError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        TRAINING_RECORD_TYPE => {
            let Ok(id) = Uuid::parse_str(record_id) else {
                return Ok(None);
            };
            match training::record(conn, id) {
                Ok(row) => Ok(Some(row.signed_record())),
                Err(DbError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        _ => Ok(None),
    }
}

/// The signed record last rebuilt, and the batch last loaded for its steps.
#[derive(Default)]
struct RecordCache {
    key: Option<(String, String, i64)>,
    record: Option<SignedRecord>,
    batch: Option<(Uuid, Option<execution::BatchState>)>,
}

impl RecordCache {
    /// The record as stored now (`None`: it cannot be found), rebuilt only
    /// when it is not the one asked for last.
    fn get(
        &mut self,
        conn: &mut PgConnection,
        record_type: &str,
        record_id: &str,
        version: i64,
    ) -> Result<Option<&SignedRecord>, DbError> {
        let key = (record_type.to_string(), record_id.to_string(), version);
        if self.key.as_ref() != Some(&key) {
            self.record = match (record_type, record_id.split_once('/')) {
                (STEP_RECORD_TYPE, Some((batch, step))) => match Uuid::parse_str(batch) {
                    Ok(batch) => self.step_record(conn, batch, step)?,
                    Err(_) => None,
                },
                _ => current_record(conn, record_type, record_id, version)?,
            };
            self.key = Some(key);
        }
        Ok(self.record.as_ref())
    }

    fn step_record(
        &mut self,
        conn: &mut PgConnection,
        batch: Uuid,
        step: &str,
    ) -> Result<Option<SignedRecord>, DbError> {
        if self.batch.as_ref().map(|(id, _)| *id) != Some(batch) {
            let state = match execution::load(conn, batch) {
                Ok(state) => Some(state),
                Err(DbError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            self.batch = Some((batch, state));
        }
        Ok(self
            .batch
            .as_ref()
            .and_then(|(_, state)| state.as_ref())
            .map(|state| state.step_record(step)))
    }
}

/// Recomputes every signature's record hash from the record as stored now
/// (except signatures explicitly superseded by a correction, which are
/// expected to differ), and every signature's own hash against its audit
/// event. Reports every signature that no longer holds.
pub fn verify_signatures(conn: &mut PgConnection) -> Result<Vec<SignatureProblem>, DbError> {
    let superseded: std::collections::HashSet<Uuid> = signature_supersessions::table
        .select(signature_supersessions::signature_id)
        .load::<Uuid>(conn)?
        .into_iter()
        .collect();
    let audited: HashMap<String, Option<String>> = audit_events::table
        .filter(audit_events::entity_type.eq("signature"))
        .filter(audit_events::action.eq("signature.created"))
        .select((audit_events::entity_id, audit_events::record_hash))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .collect();
    // The signatures of one record, and the steps of one batch, side by
    // side: each record is rebuilt once and each batch loaded once (not once
    // per signed step), and only the current one is held in memory.
    let mut all = signatures::all(conn)?;
    all.sort_by(|a, b| {
        (
            a.record_type.as_str(),
            a.record_id.as_str(),
            a.record_version,
        )
            .cmp(&(
                b.record_type.as_str(),
                b.record_id.as_str(),
                b.record_version,
            ))
    });
    let mut records = RecordCache::default();
    let mut problems = Vec::new();
    for signature in all {
        let problem = |text: &str| SignatureProblem {
            signature_id: signature.id,
            record_type: signature.record_type.clone(),
            record_id: signature.record_id.clone(),
            problem: text.to_string(),
        };
        match audited.get(&signature.id.to_string()) {
            None => problems.push(problem("the signature has no audit event")),
            Some(hash) if hash.as_deref() != Some(signature.hash().as_str()) => problems.push(problem(
                "the signature row was altered after signing (its name, time, meaning or record link no longer match its audit event)",
            )),
            Some(_) => {}
        }
        if superseded.contains(&signature.id) {
            continue;
        }
        let record = records.get(
            conn,
            &signature.record_type,
            &signature.record_id,
            signature.record_version,
        )?;
        match record {
            None => problems.push(problem("the signed record cannot be found")),
            Some(record) if !signature.matches(record) => problems.push(problem(
                "the signed record changed after signing: its hash no longer matches the signature",
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}

/// The stored rows a batch's audit chain vouches for, by kind and id, as the
/// JSON their record hashes were computed over (signatures as their
/// manifests): what a record export carries so that anyone can recompute
/// every record hash without the database. `vouched` lists (kind, id) pairs.
pub fn vouched_rows(
    conn: &mut PgConnection,
    vouched: &[(String, String)],
) -> Result<
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, serde_json::Value>>,
    DbError,
> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut wanted: BTreeMap<&str, BTreeSet<Uuid>> = BTreeMap::new();
    for (kind, id) in vouched {
        if let Ok(id) = Uuid::parse_str(id) {
            wanted.entry(kind.as_str()).or_default().insert(id);
        }
    }
    let mut out: BTreeMap<String, BTreeMap<String, serde_json::Value>> = BTreeMap::new();
    fn put<T: Serialize>(
        out: &mut BTreeMap<String, BTreeMap<String, serde_json::Value>>,
        kind: &str,
        rows: Vec<T>,
        id: impl Fn(&T) -> Uuid,
    ) {
        let slot = out.entry(kind.to_string()).or_default();
        for row in rows {
            slot.insert(
                id(&row).to_string(),
                serde_json::to_value(&row).unwrap_or_default(),
            );
        }
    }
    for (kind, ids) in wanted {
        let ids: Vec<Uuid> = ids.into_iter().collect();
        match kind {
            "batch" => put(
                &mut out,
                kind,
                batches::table
                    .filter(batches::id.eq_any(&ids))
                    .select(BatchRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            BATCH_STATUS_KIND => put(
                &mut out,
                kind,
                batch_status_events::table
                    .filter(batch_status_events::id.eq_any(&ids))
                    .select(BatchStatusRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            "entry" => put(
                &mut out,
                kind,
                entries::table
                    .filter(entries::id.eq_any(&ids))
                    .select(EntryRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            "batch_exception" => put(
                &mut out,
                kind,
                batch_exceptions::table
                    .filter(batch_exceptions::id.eq_any(&ids))
                    .select(ExceptionRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            "deviation" => put(
                &mut out,
                kind,
                deviations::table
                    .filter(deviations::id.eq_any(&ids))
                    .select(DeviationRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            "deviation_revision" => put(
                &mut out,
                kind,
                deviation_revisions::table
                    .filter(deviation_revisions::id.eq_any(&ids))
                    .select(RevisionRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            "qc_result" => put(
                &mut out,
                kind,
                qc_results::table
                    .filter(qc_results::id.eq_any(&ids))
                    .select(QcResultRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            QC_INVALIDATION_KIND => put(
                &mut out,
                kind,
                qc_invalidations::table
                    .filter(qc_invalidations::result_id.eq_any(&ids))
                    .select(InvalidationRow::as_select())
                    .load(conn)?,
                |r| r.result_id,
            ),
            QC_DEVIATION_LINK_KIND => put(
                &mut out,
                kind,
                qc_result_deviations::table
                    .filter(qc_result_deviations::deviation_id.eq_any(&ids))
                    .select(QcDeviationLinkRow::as_select())
                    .load(conn)?,
                |r| r.deviation_id,
            ),
            SUPERSESSION_KIND => put(
                &mut out,
                kind,
                signature_supersessions::table
                    .filter(signature_supersessions::signature_id.eq_any(&ids))
                    .select(SupersessionRow::as_select())
                    .load(conn)?,
                |r| r.signature_id,
            ),
            VIAL_KIND => put(
                &mut out,
                kind,
                vials::table
                    .filter(vials::id.eq_any(&ids))
                    .select(VialRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            AUTH_ATTEMPT_KIND => put(
                &mut out,
                kind,
                auth_attempts::table
                    .filter(auth_attempts::id.eq_any(&ids))
                    .select(AuthAttemptRow::as_select())
                    .load(conn)?,
                |r| r.id,
            ),
            "signature" => put(&mut out, kind, signatures::by_ids(conn, &ids)?, |r| r.id),
            _ => {}
        }
    }
    Ok(out)
}
