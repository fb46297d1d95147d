//! Signing a step as performed or verified (R6, R20, R36, R42, R45).

use uuid::Uuid;

use super::Batch;
use crate::batch_state::BatchStatus;
use crate::custody::labels::{check_reconciled, reconcile, Reconciliation};
use crate::execution::{
    check_can_perform, check_can_verify, check_sequence, current_step, SignatureFact,
};
use crate::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use crate::DomainError;

/// A request to sign a step.
#[derive(Debug, Clone)]
pub struct SignStepCommand<'a> {
    /// The step.
    pub step_key: &'a str,
    /// Performed or verified.
    pub meaning: SignatureMeaning,
    /// Who signs, as the ceremony established it.
    pub signatory: &'a Signatory,
    /// The batch's label reconciliation, loaded when the step prints
    /// labels (`None`: none loaded, which counts as nothing printed).
    pub labels: Option<&'a Reconciliation>,
}

/// What signing a step writes.
#[derive(Debug, Clone, PartialEq)]
pub struct SignStepPlan {
    /// The signature, bound to exactly the step's current entries.
    pub manifest: SignatureManifest,
    /// The field whose value serialises the batch's vials, when this
    /// performed signature is on the step that fills them.
    pub issue_vials_from: Option<String>,
    /// The batch's status move when this signature completes the last step
    /// (in progress → manufacturing complete: the product is in quarantine).
    pub transition: Option<(BatchStatus, String)>,
}

/// Decides a step signature (made at the signatory's time): the batch accepts signatures, the step
/// exists; `performed` needs the step current (R6) with every required field
/// recorded (R36), once; `verified` needs a critical step performed, verified
/// once, by someone who took no part in it (R20, R42, R45); no other meaning
/// applies to a step; a labelling step is performed only once its labels
/// reconcile (R49). `record` is exactly what the signature signs (the
/// step's current entries).
pub fn sign_step(
    batch: &Batch,
    command: &SignStepCommand<'_>,
    record: &SignedRecord,
    id: Uuid,
) -> Result<SignStepPlan, DomainError> {
    if !matches!(
        batch.status,
        BatchStatus::Planned | BatchStatus::InProgress | BatchStatus::ManufacturingComplete
    ) {
        return Err(DomainError::BatchClosed {
            status: batch.status.as_str().into(),
        });
    }
    let step = batch
        .mbr
        .step(command.step_key)
        .ok_or_else(|| DomainError::UnknownStep(command.step_key.to_string()))?;
    let facts = batch.steps.get(command.step_key);
    match command.meaning {
        SignatureMeaning::Performed => {
            check_sequence(&batch.mbr, &batch.steps, command.step_key)?;
            check_can_perform(step, facts)?;
            if !step.prints_labels.is_empty() {
                match command.labels {
                    Some(labels) => check_reconciled(labels)?,
                    None => check_reconciled(&reconcile(&[], &[]))?,
                }
            }
        }
        SignatureMeaning::Verified => check_can_verify(step, facts, command.signatory.id)?,
        other => {
            return Err(DomainError::MeaningNotAllowed {
                meaning: other.as_str().into(),
                record: "batch step".into(),
            })
        }
    }
    let manifest = command.signatory.sign(id, command.meaning, record);
    let mut after = batch.steps.clone();
    let signed = after.entry(step.key.clone()).or_default();
    let fact = Some(SignatureFact {
        signer: command.signatory.id,
        at: manifest.signed_at,
    });
    match command.meaning {
        SignatureMeaning::Performed => signed.performed = fact,
        _ => signed.verified = fact,
    }
    let completes =
        batch.status == BatchStatus::InProgress && current_step(&batch.mbr, &after).is_none();
    Ok(SignStepPlan {
        issue_vials_from: (command.meaning == SignatureMeaning::Performed)
            .then(|| step.issues_vials.clone())
            .flatten(),
        transition: completes.then(|| {
            (
                BatchStatus::ManufacturingComplete,
                "every step signed; product in quarantine".to_string(),
            )
        }),
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::execution::StepFacts;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn record() -> SignedRecord {
        SignedRecord {
            record_type: "batch_step".into(),
            record_id: "b/s".into(),
            record_version: 1,
            content: json!({}),
        }
    }

    fn batch_with(steps: HashMap<String, StepFacts>) -> Batch {
        Batch {
            id: Uuid::from_u128(1),
            number: "BR-T".into(),
            mbr_content_sha256: "0".into(),
            status: BatchStatus::InProgress,
            mbr: Arc::new(
                crate::mbr::parse_toml(include_str!("../../../../fixtures/mbr/mnp-als-v1.toml"))
                    .unwrap(),
            ),
            steps,
            audit_head: crate::audit::ChainHead::genesis(),
            values: HashMap::new(),
        }
    }

    fn command(meaning: SignatureMeaning, signer: u128) -> SignStepCommand<'static> {
        // Leaked: a test's command lives as long as the test.
        let signatory = Box::leak(Box::new(crate::signature::Signatory {
            id: Uuid::from_u128(signer),
            printed_name: "Signer".into(),
            factors: crate::signature::Factors::Password,
            comment: None,
            at: now(),
        }));
        SignStepCommand {
            step_key: "s0-line-clearance",
            meaning,
            signatory,
            labels: None,
        }
    }

    /// R20, R42, R45: a critical step is verified by someone who took no
    /// part in it; the signature binds to the record it was given; a
    /// meaning a step does not take is refused.
    #[test]
    fn r42_r45_verification_by_an_independent_person_binds_to_the_record() {
        let mut steps = HashMap::new();
        let done = |signer: u128| StepFacts {
            first_entry_at: Some(now()),
            recorded_fields: ["room_status", "previous_materials_removed", "bsc"]
                .map(String::from)
                .into(),
            performed: Some(SignatureFact {
                signer: Uuid::from_u128(signer),
                at: now(),
            }),
            verified: None,
            participants: [Uuid::from_u128(signer), Uuid::from_u128(3)].into(),
        };
        let mut issue = done(1);
        issue.verified = Some(SignatureFact {
            signer: Uuid::from_u128(2),
            at: now(),
        });
        steps.insert("s0-issue-record".to_string(), issue);
        steps.insert("s0-line-clearance".to_string(), done(1));
        let b = batch_with(steps);
        let id = Uuid::from_u128(77);
        for (signer, rule) in [
            (1, "performer_cannot_verify"),
            (3, "step_participant_cannot_verify"),
        ] {
            let err = sign_step(
                &b,
                &command(SignatureMeaning::Verified, signer),
                &record(),
                id,
            )
            .unwrap_err();
            assert_eq!(err.rule(), rule);
        }
        let plan = sign_step(&b, &command(SignatureMeaning::Verified, 9), &record(), id).unwrap();
        assert_eq!(plan.manifest.record_hash, record().hash());
        assert_eq!(plan.manifest.signer_id, Uuid::from_u128(9));
        assert!(plan.transition.is_none(), "more steps follow");
        let err =
            sign_step(&b, &command(SignatureMeaning::Released, 9), &record(), id).unwrap_err();
        assert_eq!(err.rule(), "meaning_not_allowed");
    }
}
