//! Signing a step as performed or verified (R36, R42, R45).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::batch_state::BatchStatus;
use ebr_domain::execution::{check_can_perform, check_can_verify, check_sequence, current_step};
use ebr_domain::signature::{SignatureManifest, SignatureMeaning};
use ebr_domain::DomainError;
use uuid::Uuid;

use super::record::ensure_open;
use super::state::load;
use crate::repo::audit::batch_chain;
use crate::repo::{batches, person_actor, signatures};
use crate::DbError;

/// Signs a step. `performed` needs the step to be current (R6) with every
/// required field recorded (R36); `verified` needs a critical step performed
/// by someone else (R42, R45). Concurrent signers are serialized by the batch
/// lock: the second gets `step_already_signed`. The last step completing
/// moves the batch to manufacturing complete (quarantine). The caller has
/// verified the signer's credentials.
#[allow(clippy::too_many_arguments)]
pub fn sign_step(
    conn: &mut PgConnection,
    batch_id: Uuid,
    step_key: &str,
    meaning: SignatureMeaning,
    signer: Uuid,
    printed_name: &str,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<SignatureManifest, DbError> {
    conn.transaction(|conn| {
        batches::lock(conn, batch_id)?;
        let state = load(conn, batch_id)?;
        ensure_open(
            &state,
            &[
                BatchStatus::Planned,
                BatchStatus::InProgress,
                BatchStatus::ManufacturingComplete,
            ],
        )?;
        let facts = state.step_facts();
        let step = state
            .mbr
            .step(step_key)
            .ok_or_else(|| DomainError::UnknownStep(step_key.to_string()))?;
        match meaning {
            SignatureMeaning::Performed => {
                check_sequence(&state.mbr, &facts, step_key)?;
                check_can_perform(step, facts.get(step_key))?;
            }
            SignatureMeaning::Verified => check_can_verify(step, facts.get(step_key), signer)?,
            other => {
                return Err(DomainError::MeaningNotAllowed {
                    meaning: other.as_str().into(),
                    record: "batch step".into(),
                }
                .into());
            }
        }
        let record = state.step_record(step_key);
        let manifest = SignatureManifest::new(
            crate::ids::at(now),
            signer,
            printed_name,
            meaning,
            comment,
            &record,
            now,
        );
        signatures::insert(conn, &batch_chain(batch_id), &manifest, now)?;
        if meaning == SignatureMeaning::Performed {
            if let Some(field) = &step.issues_vials {
                crate::repo::release::lineage::issue_vials(conn, &state, step_key, field, now)?;
            }
        }
        let after = load(conn, batch_id)?;
        if after.lifecycle.status() == BatchStatus::InProgress
            && current_step(&after.mbr, &after.step_facts()).is_none()
        {
            batches::transition(
                conn,
                batch_id,
                BatchStatus::ManufacturingComplete,
                &person_actor(signer),
                Some("every step signed; product in quarantine"),
                now,
            )?;
        }
        Ok(manifest)
    })
}
