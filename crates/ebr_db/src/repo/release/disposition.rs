//! QA review of the record (R29, R46) and disposition by the release
//! authority (R26, R39, R43), gated by every finding that blocks release.

use diesel::prelude::*;
use ebr_domain::audit::AuditDraft;
use ebr_domain::batch::{sign_batch, DispositionCommand, DispositionFacts};
use ebr_domain::release::{release_findings, Finding, GateInput, ReviewFacts};
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use uuid::Uuid;

use super::{deviations, qc};
use crate::repo::audit::batch_chain;
use crate::repo::execution::{self, BatchState};
use crate::repo::{audit, batches, person_actor, signatures};
use crate::schema::audit_events;
use crate::DbError;

/// The record type of batch-level signatures (reviewed, released, rejected).
pub use ebr_domain::signed_records::BATCH_RECORD_TYPE;

/// Everyone who executed or verified anything in the batch (entries, step
/// signatures): they may not review or dispose of it (R43).
pub fn participants(state: &BatchState) -> Vec<Uuid> {
    let mut people: Vec<Uuid> = state.entries.iter().map(|e| e.recorded_by).collect();
    people.extend(state.signatures.iter().map(|s| s.manifest.signer_id));
    people.sort();
    people.dedup();
    people
}

/// Batch-level signatures, oldest first.
pub fn batch_signatures(
    conn: &mut PgConnection,
    batch_id: Uuid,
) -> Result<Vec<SignatureManifest>, DbError> {
    signatures::for_record(conn, BATCH_RECORD_TYPE, &batch_id.to_string())
}

fn signature_seq(conn: &mut PgConnection, chain: &str, signature: Uuid) -> Result<i64, DbError> {
    Ok(audit_events::table
        .filter(audit_events::chain.eq(chain))
        .filter(audit_events::entity_type.eq("signature"))
        .filter(audit_events::entity_id.eq(signature.to_string()))
        .select(audit_events::seq)
        .first(conn)?)
}

/// Whether QA reviewed the record and nothing was raised since (R29, R46).
pub fn review_facts(conn: &mut PgConnection, batch_id: Uuid) -> Result<ReviewFacts, DbError> {
    let chain = batch_chain(batch_id);
    let Some(review) = batch_signatures(conn, batch_id)?
        .into_iter()
        .rev()
        .find(|s| s.meaning == SignatureMeaning::Reviewed)
    else {
        return Ok(ReviewFacts::Missing);
    };
    let seq = signature_seq(conn, &chain, review.id)?;
    let raised_after: i64 = audit_events::table
        .filter(audit_events::chain.eq(&chain))
        .filter(audit_events::seq.gt(seq))
        .filter(
            audit_events::action
                .like("exception.%")
                .or(audit_events::action.eq("deviation.opened")),
        )
        .count()
        .get_result(conn)?;
    Ok(if raised_after > 0 {
        ReviewFacts::Voided
    } else {
        ReviewFacts::Valid
    })
}

/// Every finding that blocks release of the batch now.
pub fn gate(
    conn: &mut PgConnection,
    batch_id: Uuid,
) -> Result<(BatchState, Vec<Finding>), DbError> {
    let state = execution::load(conn, batch_id)?;
    let devs = deviations::for_batch(conn, batch_id)?;
    let results = qc::for_batch(conn, batch_id)?;
    let qc_facts = qc::gate_facts(conn, &results)?;
    let review = review_facts(conn, batch_id)?;
    let steps = state.step_facts();
    let findings = release_findings(&GateInput {
        mbr: &state.mbr,
        steps: &steps,
        status: state.lifecycle.status(),
        deviations: devs
            .iter()
            .map(|d| (d.row.id, d.status(), d.row.title.clone()))
            .collect(),
        qc: qc_facts,
        review,
    });
    Ok((state, findings))
}

/// Exactly what a batch-level signature signs: the batch and the head of its
/// audit chain at signing, which covers everything recorded before it.
pub fn batch_record_at(
    conn: &mut PgConnection,
    batch_id: Uuid,
    head_seq: i64,
) -> Result<Option<SignedRecord>, DbError> {
    let Ok(batch) = batches::find(conn, batch_id) else {
        return Ok(None);
    };
    let head: Option<String> = audit_events::table
        .filter(audit_events::chain.eq(batch_chain(batch_id)))
        .filter(audit_events::seq.eq(head_seq))
        .select(audit_events::hash)
        .first(conn)
        .optional()?;
    Ok(Some(ebr_domain::signed_records::batch_record(
        ebr_domain::signed_records::BatchIdentity {
            id: batch.id,
            number: &batch.batch_number,
            mbr_content_sha256: &batch.mbr_content_sha256,
        },
        head_seq,
        &head.unwrap_or_default(),
    )))
}

/// Signs the batch (`reviewed`, `released` or `rejected`): lock, load the
/// gate's facts once, let the domain decide
/// ([`ebr_domain::batch::sign_batch`]), then store the signature over the
/// audit head, the status moves and the disposition event. The caller
/// checked the role and verified the credentials.
pub fn sign(
    conn: &mut PgConnection,
    batch_id: Uuid,
    meaning: SignatureMeaning,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let (signer, now) = (signatory.id, signatory.at);
    crate::tx::atomic(conn, |conn| {
        batches::lock(conn, batch_id)?;
        let (state, findings) = gate(conn, batch_id)?;
        // The gate as it stands at the decision, kept with the decision.
        let gate_at_decision =
            crate::repo::canonical(&serde_json::json!({ "release_gate": findings }));
        let facts = DispositionFacts {
            lifecycle: state.lifecycle,
            participants: participants(&state),
            reviewers: batch_signatures(conn, batch_id)?
                .iter()
                .filter(|s| s.meaning == SignatureMeaning::Reviewed)
                .map(|s| s.signer_id)
                .collect(),
            findings,
        };
        let command = DispositionCommand {
            meaning,
            signer,
            comment: signatory.comment.as_deref(),
        };
        let plan = sign_batch(&facts, &command)?;
        let chain = batch_chain(batch_id);
        let head: i64 = audit_events::table
            .filter(audit_events::chain.eq(&chain))
            .select(diesel::dsl::max(audit_events::seq))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0);
        let record = batch_record_at(conn, batch_id, head)?
            .ok_or_else(|| DbError::NotFound(format!("batch {batch_id}")))?;
        let manifest = signatory.sign(crate::ids::at(now), meaning, &record);
        signatures::insert(conn, &chain, &manifest, now)?;
        let actor = person_actor(signer);
        for (to, reason) in &plan.transitions {
            batches::transition(conn, batch_id, *to, &actor, reason.as_deref(), now)?;
        }
        audit::append(
            conn,
            &chain,
            AuditDraft {
                actor,
                action: plan.action,
                entity_type: "batch".into(),
                entity_id: batch_id.to_string(),
                old_value: None,
                new_value: gate_at_decision,
                reason: signatory.comment.clone(),
                record_hash: None,
            },
            now,
        )?;
        Ok(manifest)
    })
}
