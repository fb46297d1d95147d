//! QC release results (R38, R40): entered, evaluated, reviewed by a second
//! analyst, invalidated with a reason, retested as new results.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::batch::{invalidate_qc_result, record_qc_result, QcBatchFacts, RecordQcCommand};
use ebr_domain::limits::Evaluation;
use ebr_domain::release::{check_qc_reviewable, QcFacts, QcOutcome, QcResultFacts};
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use serde::Serialize;
use uuid::Uuid;

use super::deviations::{self, DeviationState};
use crate::repo::audit::batch_chain;
use crate::repo::exceptions::{self, ExceptionDraft, ExceptionRow};
use crate::repo::rows::QcDeviationLinkRow;
use crate::repo::{audit, batches, canonical, canonical_hash, mbr, person_actor, signatures};
use crate::schema::{qc_invalidations, qc_result_deviations, qc_results, vials};
use crate::DbError;

/// The record type of QC results in signatures.
pub use ebr_domain::signed_records::QC_RECORD_TYPE;

/// A stored QC result.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = qc_results)]
pub struct QcResultRow {
    /// Id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Test key.
    pub test_key: String,
    /// Outcome (canonical JSON).
    pub outcome: String,
    /// Evaluation.
    pub evaluation: String,
    /// Method.
    pub method: String,
    /// When tested.
    pub tested_at: DateTime<Utc>,
    /// Instrument.
    pub instrument_id: String,
    /// Sample.
    pub sample_id: String,
    /// Retest of.
    pub retest_of: Option<Uuid>,
    /// Entry time.
    pub recorded_at: DateTime<Utc>,
    /// Analyst.
    pub recorded_by: Uuid,
}

/// The audit entity type of a QC result's invalidation (its id is the result's).
pub const QC_INVALIDATION_KIND: &str = "qc_invalidation";
/// The audit entity type of the link from an out-of-specification QC result
/// to the deviation it opened (its id is the deviation's).
pub const QC_DEVIATION_LINK_KIND: &str = "qc_result_deviation";

/// An invalidation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = qc_invalidations)]
pub struct InvalidationRow {
    /// Result.
    pub result_id: Uuid,
    /// Why.
    pub reason: String,
    /// When.
    pub invalidated_at: DateTime<Utc>,
    /// Who.
    pub invalidated_by: Uuid,
}

/// Takes the lock of the batch a QC result belongs to (its batch never
/// changes) before the result is read, so two reviewers are serialized and
/// the second sees the first one's review.
fn lock_batch_of(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    let batch_id: Uuid = qc_results::table
        .find(id)
        .select(qc_results::batch_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("QC result {id}")))?;
    batches::lock(conn, batch_id)
}

/// A result with its invalidation and reviews.
#[derive(Debug, Clone, Serialize)]
pub struct QcResultState {
    /// The result.
    pub row: QcResultRow,
    /// Its invalidation, if any.
    pub invalidation: Option<InvalidationRow>,
    /// Its `verified` review signatures.
    pub reviews: Vec<SignatureManifest>,
}

impl QcResultState {
    /// What the review and invalidation rules need to know.
    pub fn facts(&self) -> QcResultFacts {
        QcResultFacts {
            analyst: self.row.recorded_by,
            invalidated: self.invalidation.is_some(),
            reviewed: !self.reviews.is_empty(),
        }
    }

    /// Exactly what a review signs: the result as entered.
    pub fn signed_record(&self) -> SignedRecord {
        ebr_domain::signed_records::qc_record(
            self.row.id,
            &serde_json::to_value(&self.row).unwrap_or_default(),
        )
    }
}

/// What a recording stored and raised.
#[derive(Debug, Clone, Serialize)]
pub struct QcRecorded {
    /// The result.
    pub result: QcResultState,
    /// Exceptions raised.
    pub exceptions: Vec<ExceptionRow>,
    /// Deviations opened.
    pub deviations: Vec<DeviationState>,
}

/// A result to record.
#[derive(Debug, Clone)]
pub struct NewResult {
    /// Test key of the release panel.
    pub test_key: String,
    /// The outcome.
    pub outcome: QcOutcome,
    /// Method (defaults to the panel's).
    pub method: Option<String>,
    /// When tested.
    pub tested_at: DateTime<Utc>,
    /// Instrument.
    pub instrument_id: String,
    /// Sample.
    pub sample_id: String,
    /// The result this retests.
    pub retest_of: Option<Uuid>,
}

/// Records a result against the MBR's release panel: lock, load what the
/// domain needs once, let it decide ([`ebr_domain::batch::record_qc_result`]),
/// then write the result, and for a gating out-of-specification result its
/// deviation (linked to the result) and exception, each with its audit
/// event.
pub fn record(
    conn: &mut PgConnection,
    batch_id: Uuid,
    new: &NewResult,
    analyst: Uuid,
    now: DateTime<Utc>,
) -> Result<QcRecorded, DbError> {
    conn.transaction(|conn| {
        batches::lock(conn, batch_id)?;
        let batch = batches::find(conn, batch_id)?;
        let status = batches::lifecycle(conn, batch_id)?.status();
        let (_, mbr_content) = mbr::load(conn, batch.mbr_version_id)?;
        let vials: Vec<String> = vials::table
            .filter(vials::batch_id.eq(batch_id))
            .order(vials::serial.asc())
            .select(vials::serial)
            .load(conn)?;
        let shipments: Vec<String> = crate::repo::custody::shipments::of_batch(conn, batch_id)?
            .into_iter()
            .map(|s| {
                format!(
                    "{} to {} ({})",
                    s.shipment.shipment_number,
                    s.shipment.to_site,
                    s.status.as_str()
                )
            })
            .collect();
        let prior = match new.retest_of {
            Some(previous) => Some(result(conn, previous)?.row),
            None => None,
        };
        let facts = QcBatchFacts {
            batch_id,
            status,
            mbr: &mbr_content,
            vials: &vials,
            shipments: &shipments,
        };
        let command = RecordQcCommand {
            test_key: &new.test_key,
            outcome: &new.outcome,
            method: new.method.as_deref(),
            tested_at: new.tested_at,
            retest_of: prior.as_ref().map(|p| (p.batch_id, p.test_key.as_str())),
            analyst,
        };
        let plan = record_qc_result(&facts, &command, now)?;
        let actor = person_actor(analyst);
        let row = QcResultRow {
            id: crate::ids::at(now),
            batch_id,
            test_key: new.test_key.clone(),
            outcome: canonical(&new.outcome).unwrap_or_default(),
            evaluation: evaluation_name(plan.evaluation).into(),
            method: plan.method,
            tested_at: to_stored_precision(new.tested_at),
            instrument_id: new.instrument_id.clone(),
            sample_id: new.sample_id.clone(),
            retest_of: new.retest_of,
            recorded_at: to_stored_precision(now),
            recorded_by: analyst,
        };
        diesel::insert_into(qc_results::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            &batch_chain(batch_id),
            AuditDraft {
                actor: actor.clone(),
                action: "qc_result.recorded".into(),
                entity_type: "qc_result".into(),
                entity_id: row.id.to_string(),
                old_value: None,
                new_value: canonical(&row),
                reason: None,
                record_hash: Some(canonical_hash(&row)),
            },
            now,
        )?;
        let mut out = QcRecorded {
            result: result(conn, row.id)?,
            exceptions: vec![],
            deviations: vec![],
        };
        if let Some((exception, deviation)) = plan.out_of_specification {
            let dev = exceptions::open_deviation(
                conn,
                batch_id,
                None,
                &deviation.title,
                &deviation.description,
                Some(deviation.owner),
                &actor,
                now,
            )?;
            let link: QcDeviationLinkRow = diesel::insert_into(qc_result_deviations::table)
                .values((
                    qc_result_deviations::deviation_id.eq(dev.id),
                    qc_result_deviations::qc_result_id.eq(row.id),
                ))
                .returning(QcDeviationLinkRow::as_returning())
                .get_result(conn)?;
            audit::append(
                conn,
                &batch_chain(batch_id),
                crate::repo::vouch(
                    &actor,
                    "qc_result.deviation_linked",
                    QC_DEVIATION_LINK_KIND,
                    &dev.id.to_string(),
                    &link,
                    None,
                ),
                now,
            )?;
            out.exceptions.push(exceptions::raise(
                conn,
                batch_id,
                &ExceptionDraft {
                    kind: exception.kind,
                    step_key: exception.step_key,
                    field_key: exception.field_key,
                    entry_id: exception.entry_id,
                    detail: exception.detail,
                    actor,
                },
                now,
            )?);
            out.deviations.push(deviations::state(conn, dev.id)?);
        }
        Ok(out)
    })
}

/// The stored name of an evaluation.
fn evaluation_name(evaluation: Evaluation) -> &'static str {
    match evaluation {
        Evaluation::OutOfSpecification => "out_of_specification",
        _ => "within_specification",
    }
}

/// A result with its invalidation and reviews.
pub fn result(conn: &mut PgConnection, id: Uuid) -> Result<QcResultState, DbError> {
    let row = qc_results::table
        .find(id)
        .select(QcResultRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("QC result {id}")))?;
    let invalidation = qc_invalidations::table
        .find(id)
        .select(InvalidationRow::as_select())
        .first(conn)
        .optional()?;
    let reviews = signatures::for_record(conn, QC_RECORD_TYPE, &id.to_string())?;
    Ok(QcResultState {
        row,
        invalidation,
        reviews,
    })
}

/// Every result of a batch, oldest first.
pub fn for_batch(conn: &mut PgConnection, batch_id: Uuid) -> Result<Vec<QcResultState>, DbError> {
    let ids: Vec<Uuid> = qc_results::table
        .filter(qc_results::batch_id.eq(batch_id))
        .order((qc_results::recorded_at.asc(), qc_results::id.asc()))
        .select(qc_results::id)
        .load(conn)?;
    ids.into_iter().map(|id| result(conn, id)).collect()
}

/// A second analyst reviews a result with a `verified` signature (the analyst
/// who entered it cannot). The caller verified the credentials.
pub fn review(
    conn: &mut PgConnection,
    id: Uuid,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let (reviewer, now) = (signatory.id, signatory.at);
    crate::tx::atomic(conn, |conn| {
        lock_batch_of(conn, id)?;
        let current = result(conn, id)?;
        check_qc_reviewable(current.facts(), reviewer)?;
        let record = current.signed_record();
        let manifest = signatory.sign(crate::ids::at(now), SignatureMeaning::Verified, &record);
        signatures::insert(conn, &batch_chain(current.row.batch_id), &manifest, now)?;
        Ok(manifest)
    })
}

/// Invalidates a result with a reason; it stays visible; a retest is a new result.
pub fn invalidate(
    conn: &mut PgConnection,
    id: Uuid,
    reason: &str,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<QcResultState, DbError> {
    conn.transaction(|conn| {
        lock_batch_of(conn, id)?;
        let current = result(conn, id)?;
        let plan = invalidate_qc_result(current.facts(), &current.row.test_key, reason)?;
        let invalidation: InvalidationRow = diesel::insert_into(qc_invalidations::table)
            .values((
                qc_invalidations::result_id.eq(id),
                qc_invalidations::reason.eq(&plan.reason),
                qc_invalidations::invalidated_at.eq(to_stored_precision(now)),
                qc_invalidations::invalidated_by.eq(person),
            ))
            .returning(InvalidationRow::as_returning())
            .get_result(conn)?;
        let actor = person_actor(person);
        let mut draft = crate::repo::vouch(
            &actor,
            "qc_result.invalidated",
            QC_INVALIDATION_KIND,
            &id.to_string(),
            &invalidation,
            None,
        );
        draft.reason = Some(plan.reason.clone());
        audit::append(conn, &batch_chain(current.row.batch_id), draft, now)?;
        let e = plan.exception;
        exceptions::raise(
            conn,
            current.row.batch_id,
            &ExceptionDraft {
                kind: e.kind,
                step_key: e.step_key,
                field_key: e.field_key,
                entry_id: e.entry_id,
                detail: e.detail,
                actor,
            },
            now,
        )?;
        result(conn, id)
    })
}

/// The current valid result of each test (the newest not invalidated) as the
/// release gate needs it.
pub fn gate_facts(
    conn: &mut PgConnection,
    results: &[QcResultState],
) -> Result<Vec<QcFacts>, DbError> {
    let mut facts: Vec<QcFacts> = Vec::new();
    for r in results.iter().rev().filter(|r| r.invalidation.is_none()) {
        if facts.iter().any(|f| f.test_key == r.row.test_key) {
            continue;
        }
        let linked: Vec<Uuid> = qc_result_deviations::table
            .filter(qc_result_deviations::qc_result_id.eq(r.row.id))
            .select(qc_result_deviations::deviation_id)
            .load(conn)?;
        let mut justified = false;
        for d in linked {
            justified |= deviations::state(conn, d)?.status()
                == ebr_domain::release::DeviationStatus::Closed;
        }
        facts.push(QcFacts {
            test_key: r.row.test_key.clone(),
            evaluation: if r.row.evaluation == evaluation_name(Evaluation::OutOfSpecification) {
                Evaluation::OutOfSpecification
            } else {
                Evaluation::WithinSpecification
            },
            reviewed: !r.reviews.is_empty(),
            justified_by_closed_deviation: justified,
        });
    }
    Ok(facts)
}
