//! The deviation lifecycle (R38, R44): every change is a new revision.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::release::{
    check_openable, involved_people, Classification, DeviationFacts, DeviationStatus, RevisionFacts,
};
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use serde::Serialize;
use uuid::Uuid;

use crate::repo::audit::batch_chain;
use crate::repo::exceptions::DeviationRow;
use crate::repo::{audit, batches, canonical, canonical_hash, person_actor, signatures};
use crate::schema::{deviation_revisions, deviations};
use crate::DbError;

/// The record type of deviations in signatures.
pub use ebr_domain::signed_records::DEVIATION_RECORD_TYPE;

/// One revision of a deviation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = deviation_revisions)]
pub struct RevisionRow {
    /// Id.
    pub id: Uuid,
    /// Deviation.
    pub deviation_id: Uuid,
    /// Revision number.
    pub revision: i32,
    /// Status.
    pub status: String,
    /// Classification.
    pub classification: Option<String>,
    /// Owner.
    pub owner_id: Option<Uuid>,
    /// Investigation.
    pub investigation: String,
    /// Root cause.
    pub root_cause: String,
    /// Impact.
    pub impact: String,
    /// CAPA reference.
    pub capa_ref: String,
    /// Time.
    pub revised_at: DateTime<Utc>,
    /// Who.
    pub revised_by: String,
}

/// The changes a revision makes (unset fields keep their value).
#[derive(Debug, Clone, Default)]
pub struct RevisionDraft {
    /// Classification.
    pub classification: Option<Classification>,
    /// Owner.
    pub owner: Option<Uuid>,
    /// Investigation.
    pub investigation: Option<String>,
    /// Root cause.
    pub root_cause: Option<String>,
    /// Impact.
    pub impact: Option<String>,
    /// CAPA reference.
    pub capa_ref: Option<String>,
    /// The revision this change was based on; when set, the change applies
    /// only while it is still the newest (otherwise
    /// `deviation_revision_stale`).
    pub base_revision: Option<i32>,
}

/// A deviation with its current revision and history.
#[derive(Debug, Clone, Serialize)]
pub struct DeviationState {
    /// The deviation as opened.
    pub row: DeviationRow,
    /// Every revision, oldest first (the last is current).
    pub revisions: Vec<RevisionRow>,
}

impl DeviationState {
    /// The current revision.
    pub fn current(&self) -> Option<&RevisionRow> {
        self.revisions.last()
    }

    /// The current status.
    pub fn status(&self) -> DeviationStatus {
        self.current()
            .and_then(|r| DeviationStatus::parse(&r.status))
            .unwrap_or(DeviationStatus::Open)
    }

    /// The facts the rules check.
    pub fn facts(&self) -> DeviationFacts {
        let c = self.current();
        DeviationFacts {
            revision: c.map_or(0, |r| r.revision),
            status: self.status(),
            owner: c.and_then(|r| r.owner_id),
            classification: c
                .and_then(|r| r.classification.as_deref())
                .and_then(|s| serde_json::from_value(serde_json::Value::String(s.into())).ok()),
            investigation: c.map(|r| r.investigation.clone()).unwrap_or_default(),
            root_cause: c.map(|r| r.root_cause.clone()).unwrap_or_default(),
            impact: c.map(|r| r.impact.clone()).unwrap_or_default(),
            involved: involved_people(
                person_of(&self.row.opened_by),
                &self
                    .revisions
                    .iter()
                    .map(|r| RevisionFacts {
                        by: person_of(&r.revised_by),
                        owner: r.owner_id,
                        status: DeviationStatus::parse(&r.status).unwrap_or(DeviationStatus::Open),
                        investigation: r.investigation.clone(),
                        root_cause: r.root_cause.clone(),
                        impact: r.impact.clone(),
                    })
                    .collect::<Vec<_>>(),
            ),
        }
    }

    /// Exactly what a closing signature signs: the deviation and its current revision.
    pub fn signed_record(&self) -> SignedRecord {
        ebr_domain::signed_records::deviation_record(
            self.row.id,
            &serde_json::to_value(&self.row).unwrap_or_default(),
            &serde_json::to_value(self.current()).unwrap_or_default(),
            i64::from(self.current().map_or(0, |r| r.revision)),
        )
    }
}

/// The person behind an actor string (`person:<uuid>`); `None` for the system.
fn person_of(actor: &str) -> Option<Uuid> {
    actor
        .strip_prefix("person:")
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// Takes the lock of the batch a deviation belongs to (its batch never
/// changes), so that what follows reads the deviation after every earlier
/// writer committed: two concurrent revisions are serialized, never decided
/// on the same stale read.
fn lock_batch_of(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    let batch_id: Uuid = deviations::table
        .find(id)
        .select(deviations::batch_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("deviation {id}")))?;
    batches::lock(conn, batch_id)
}

/// Appends a revision and its audit event.
pub(crate) fn insert_revision(
    conn: &mut PgConnection,
    deviation: &DeviationRow,
    draft: &RevisionDraft,
    revision: i32,
    status: DeviationStatus,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<RevisionRow, DbError> {
    let previous: Option<RevisionRow> = deviation_revisions::table
        .filter(deviation_revisions::deviation_id.eq(deviation.id))
        .order(deviation_revisions::revision.desc())
        .select(RevisionRow::as_select())
        .first(conn)
        .optional()?;
    let keep = |new: &Option<String>, old: Option<&String>| {
        new.clone().or_else(|| old.cloned()).unwrap_or_default()
    };
    let p = previous.as_ref();
    let row = RevisionRow {
        id: crate::ids::at(now),
        deviation_id: deviation.id,
        revision,
        status: status.as_str().into(),
        classification: draft
            .classification
            .and_then(|c| {
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
            })
            .or_else(|| p.and_then(|r| r.classification.clone())),
        owner_id: draft.owner.or_else(|| p.and_then(|r| r.owner_id)),
        investigation: keep(&draft.investigation, p.map(|r| &r.investigation)),
        root_cause: keep(&draft.root_cause, p.map(|r| &r.root_cause)),
        impact: keep(&draft.impact, p.map(|r| &r.impact)),
        capa_ref: keep(&draft.capa_ref, p.map(|r| &r.capa_ref)),
        revised_at: to_stored_precision(now),
        revised_by: actor.into(),
    };
    diesel::insert_into(deviation_revisions::table)
        .values(&row)
        .execute(conn)?;
    audit::append(
        conn,
        &batch_chain(deviation.batch_id),
        AuditDraft {
            actor: actor.into(),
            action: format!("deviation.revised.{}", status.as_str()),
            entity_type: "deviation_revision".into(),
            entity_id: row.id.to_string(),
            old_value: previous.as_ref().and_then(canonical),
            new_value: canonical(&row),
            reason: None,
            record_hash: Some(canonical_hash(&row)),
        },
        now,
    )?;
    Ok(row)
}

/// A deviation and its revisions.
pub fn state(conn: &mut PgConnection, id: Uuid) -> Result<DeviationState, DbError> {
    let row = deviations::table
        .find(id)
        .select(DeviationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("deviation {id}")))?;
    let revisions = deviation_revisions::table
        .filter(deviation_revisions::deviation_id.eq(id))
        .order(deviation_revisions::revision.asc())
        .select(RevisionRow::as_select())
        .load(conn)?;
    Ok(DeviationState { row, revisions })
}

/// Every deviation of a batch, oldest first.
pub fn for_batch(conn: &mut PgConnection, batch_id: Uuid) -> Result<Vec<DeviationState>, DbError> {
    let ids: Vec<Uuid> = deviations::table
        .filter(deviations::batch_id.eq(batch_id))
        .order((deviations::opened_at.asc(), deviations::id.asc()))
        .select(deviations::id)
        .load(conn)?;
    ids.into_iter().map(|id| state(conn, id)).collect()
}

/// Opens a deviation by hand (allowed on any batch that is not aborted, also
/// after release: a deviation is an annotation, R40).
pub fn open(
    conn: &mut PgConnection,
    batch_id: Uuid,
    title: &str,
    description: &str,
    classification: Option<Classification>,
    owner: Uuid,
    now: DateTime<Utc>,
) -> Result<DeviationState, DbError> {
    conn.transaction(|conn| {
        batches::lock(conn, batch_id)?;
        let status = batches::lifecycle(conn, batch_id)?.status();
        check_openable(status, title, description)?;
        let actor = person_actor(owner);
        let row = crate::repo::exceptions::open_deviation(
            conn,
            batch_id,
            None,
            title.trim(),
            description.trim(),
            Some(owner),
            &actor,
            now,
        )?;
        if classification.is_some() {
            let d = state(conn, row.id)?;
            insert_revision(
                conn,
                &row,
                &RevisionDraft {
                    classification,
                    ..Default::default()
                },
                2,
                d.status(),
                &actor,
                now,
            )?;
        }
        state(conn, row.id)
    })
}

/// Revises a deviation: new values and, optionally, open → under investigation.
pub fn revise(
    conn: &mut PgConnection,
    id: Uuid,
    draft: &RevisionDraft,
    start_investigation: bool,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<DeviationState, DbError> {
    conn.transaction(|conn| {
        lock_batch_of(conn, id)?;
        let current = state(conn, id)?;
        let plan = current
            .facts()
            .revise(draft.base_revision, start_investigation)?;
        insert_revision(
            conn,
            &current.row,
            draft,
            plan.revision,
            plan.status,
            &person_actor(person),
            now,
        )?;
        state(conn, id)
    })
}

/// Closes a deviation with the closer's `closed` signature: not the owner,
/// investigation complete (R44). The caller verified the credentials.
pub fn close(
    conn: &mut PgConnection,
    id: Uuid,
    signatory: &Signatory,
) -> Result<(DeviationState, SignatureManifest), DbError> {
    let (closer, now) = (signatory.id, signatory.at);
    crate::tx::atomic(conn, |conn| {
        lock_batch_of(conn, id)?;
        let current = state(conn, id)?;
        let plan = current.facts().close(closer)?;
        let record = current.signed_record();
        let manifest = signatory.sign(crate::ids::at(now), SignatureMeaning::Closed, &record);
        signatures::insert(conn, &batch_chain(current.row.batch_id), &manifest, now)?;
        insert_revision(
            conn,
            &current.row,
            &RevisionDraft::default(),
            plan.revision,
            plan.status,
            &person_actor(closer),
            now,
        )?;
        Ok((state(conn, id)?, manifest))
    })
}

/// The deviation as it was when a closing signature signed it (revision `version`).
pub fn signed_record_at(
    conn: &mut PgConnection,
    id: Uuid,
    version: i64,
) -> Result<Option<SignedRecord>, DbError> {
    let Ok(mut d) = state(conn, id) else {
        return Ok(None);
    };
    d.revisions.retain(|r| i64::from(r.revision) <= version);
    Ok(Some(d.signed_record()))
}
