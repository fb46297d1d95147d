//! Signing a step as performed or verified (R6, R20, R36, R42, R45): lock,
//! load the batch once, let the domain decide ([`ebr_domain::batch::sign_step`]),
//! apply its plan.

use diesel::prelude::*;
use ebr_domain::batch::SignStepCommand;
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning};
use uuid::Uuid;

use super::facts;
use super::state::{load, step_signed_record, EntryRow};
use crate::repo::audit::batch_chain;
use crate::repo::{batches, person_actor, signatures};
use crate::schema::entries;
use crate::DbError;

/// Signs a step. The domain decides (`performed`: current step, every
/// required field recorded; `verified`: a critical step performed, by
/// someone who took no part in it); concurrent signers are serialized by the
/// batch lock, so the second gets `step_already_signed`. The signature binds
/// to exactly the step's current entries. The fill step's performed
/// signature serialises the vials; the last step completing moves the batch
/// to manufacturing complete (quarantine). The caller has verified the
/// signer's credentials.
pub fn sign_step(
    conn: &mut PgConnection,
    batch_id: Uuid,
    step_key: &str,
    meaning: SignatureMeaning,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let (signer, now) = (signatory.id, signatory.at);
    crate::tx::atomic(conn, |conn| {
        batches::lock(conn, batch_id)?;
        let batch = facts::load_batch(conn, batch_id, &facts::Focus::AllSteps)?;
        let step_entries: Vec<EntryRow> = entries::table
            .filter(entries::batch_id.eq(batch_id))
            .filter(entries::step_key.eq(step_key))
            .order((entries::recorded_at.asc(), entries::id.asc()))
            .select(EntryRow::as_select())
            .load(conn)?;
        let record = step_signed_record(
            batch_id,
            &batch.number,
            &batch.mbr_content_sha256,
            step_key,
            &step_entries,
        );
        let labels = match batch.mbr.step(step_key) {
            Some(step)
                if !step.prints_labels.is_empty() && meaning == SignatureMeaning::Performed =>
            {
                Some(crate::repo::custody::labels::reconciliation(
                    conn, batch_id,
                )?)
            }
            _ => None,
        };
        let command = SignStepCommand {
            step_key,
            meaning,
            signatory,
            labels: labels.as_ref(),
        };
        let plan = ebr_domain::batch::sign_step(&batch, &command, &record, crate::ids::at(now))?;
        let mut head = batch.audit_head.clone();
        signatures::insert_after(conn, &batch_chain(batch_id), &mut head, &plan.manifest, now)?;
        if let Some(field) = &plan.issue_vials_from {
            let state = load(conn, batch_id)?;
            crate::repo::release::lineage::issue_vials(conn, &state, step_key, field, now)?;
        }
        if let Some((to, reason)) = &plan.transition {
            batches::transition(
                conn,
                batch_id,
                *to,
                &person_actor(signer),
                Some(reason),
                now,
            )?;
        }
        Ok(plan.manifest)
    })
}
