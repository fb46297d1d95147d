//! Correcting an entry (R13, R23, R24, R34): a new entry naming the one it
//! replaces, with a reason; the original stays; the step's signatures are
//! superseded.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::record::{consequences, describe, prepare_entry};
use super::{Batch, PlannedDeviation, PlannedEntry, PlannedException, Refusal, Registry};
use crate::batch_state::BatchStatus;
use crate::exception::ExceptionKind;
use crate::execution::RecordedValue;
use crate::signature::SignatureMeaning;
use crate::DomainError;

/// The entry being corrected, as stored.
#[derive(Debug, Clone)]
pub struct OriginalEntry {
    /// Its id.
    pub id: Uuid,
    /// Its step.
    pub step_key: String,
    /// Its field.
    pub field_key: String,
    /// Its value as stored (`None` if it no longer reads as a value).
    pub value: Option<RecordedValue>,
    /// Its stored canonical JSON, shown when the value does not read.
    pub stored: String,
    /// When the activity happened (the correction keeps it).
    pub activity_at: DateTime<Utc>,
    /// Whether a later entry already corrects it.
    pub corrected: bool,
}

/// A current (not superseded) signature on the step being corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSignatureRef {
    /// The signature's id.
    pub id: Uuid,
    /// Its meaning.
    pub meaning: SignatureMeaning,
    /// The signer's printed name.
    pub printed_name: String,
}

/// A request to correct an entry.
#[derive(Debug, Clone)]
pub struct CorrectCommand<'a> {
    /// The entry corrected.
    pub original: &'a OriginalEntry,
    /// The new raw value.
    pub raw: &'a Value,
    /// Why (required, R24).
    pub reason: &'a str,
    /// Who corrects.
    pub person: Uuid,
}

/// What a correction writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectPlan {
    /// The correcting entry (it names the original).
    pub entry: PlannedEntry,
    /// The entry it corrects.
    pub corrects: Uuid,
    /// The reason, trimmed.
    pub reason: String,
    /// The original's activity time, kept.
    pub activity_at: DateTime<Utc>,
    /// The step.
    pub step_key: String,
    /// The exceptions: the correction, what the new value calls for, one
    /// per superseded signature.
    pub exceptions: Vec<PlannedException>,
    /// A deviation when the new value is out of specification.
    pub deviations: Vec<PlannedDeviation>,
    /// The signatures the correction supersedes (R13): the step must be
    /// signed, and verified, again; so must every step whose computed
    /// values were recomputed.
    pub supersedes: Vec<Uuid>,
    /// The computed values that read the corrected value, recomputed
    /// (issue 16), each correcting the computed entry it replaces.
    pub recomputed: Vec<super::compute::Recomputed>,
}

/// Decides a correction at `now`: a reason is given (R24), the batch takes
/// corrections (in progress, manufacturing complete or on hold), the entry is
/// the newest of its field, the new value fits the field and any lot or
/// instrument may be used now. The correction is an exception for QA; the
/// new value's evaluation raises what it calls for; every computed value
/// that reads it is computed again (an exception each, and what its new
/// evaluation calls for); every current signature (`signatures`, by step)
/// of the step and of each step with a recomputed value is superseded.
pub fn correct(
    batch: &Batch,
    command: &CorrectCommand<'_>,
    signatures: &std::collections::HashMap<String, Vec<StepSignatureRef>>,
    registry: &Registry,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<CorrectPlan, Refusal> {
    let reason = command.reason.trim();
    if reason.is_empty() {
        return Err(DomainError::CorrectionReasonRequired.into());
    }
    if !matches!(
        batch.status,
        BatchStatus::InProgress | BatchStatus::ManufacturingComplete | BatchStatus::OnHold
    ) {
        return Err(DomainError::BatchClosed {
            status: batch.status.as_str().into(),
        }
        .into());
    }
    let original = command.original;
    if original.corrected {
        return Err(DomainError::EntryAlreadyCorrected.into());
    }
    let step = batch
        .mbr
        .step(&original.step_key)
        .ok_or_else(|| DomainError::UnknownStep(original.step_key.clone()))?;
    let (entry, label) = prepare_entry(
        step,
        &original.field_key,
        command.raw,
        registry,
        now,
        new_id,
    )?;
    let was = original
        .value
        .as_ref()
        .map_or_else(|| original.stored.clone(), describe);
    let mut exceptions = vec![PlannedException {
        kind: ExceptionKind::Correction,
        step_key: Some(step.key.clone()),
        field_key: Some(entry.field_key.clone()),
        entry_id: Some(entry.id),
        detail: format!(
            "{label} corrected from {was} to {}; reason: {reason}",
            describe(&entry.value)
        ),
    }];
    let mut deviations = Vec::new();
    consequences(
        step,
        &entry,
        &label,
        command.person,
        &mut exceptions,
        &mut deviations,
    );
    exceptions.extend(super::compute::missed_aims(
        batch,
        step,
        std::slice::from_ref(&entry),
    ));
    let recomputed = super::compute::recompute_dependents(batch, &step.key, &entry, new_id)?;
    let mut touched = vec![step.key.clone()];
    for r in &recomputed {
        let dependent = batch.mbr.step(&r.step_key).unwrap_or(step);
        exceptions.push(PlannedException {
            kind: ExceptionKind::Correction,
            step_key: Some(r.step_key.clone()),
            field_key: Some(r.entry.field_key.clone()),
            entry_id: Some(r.entry.id),
            detail: format!(
                "{} recomputed from {} to {} because {label} was corrected; reason: {reason}",
                r.label,
                r.was,
                describe(&r.entry.value)
            ),
        });
        consequences(
            dependent,
            &r.entry,
            &r.label,
            command.person,
            &mut exceptions,
            &mut deviations,
        );
        if !touched.contains(&r.step_key) {
            touched.push(r.step_key.clone());
        }
    }
    let mut supersedes = Vec::new();
    for step_key in &touched {
        for s in signatures.get(step_key).into_iter().flatten() {
            exceptions.push(PlannedException {
                kind: ExceptionKind::SignatureSuperseded,
                step_key: Some(step_key.clone()),
                field_key: Some(entry.field_key.clone()),
                entry_id: Some(entry.id),
                detail: format!(
                    "the {} signature of {} on step {step_key} is superseded by a correction; the step must be signed again",
                    s.meaning, s.printed_name
                ),
            });
            supersedes.push(s.id);
        }
    }
    Ok(CorrectPlan {
        corrects: original.id,
        reason: reason.to_string(),
        activity_at: original.activity_at,
        step_key: step.key.clone(),
        exceptions,
        deviations,
        supersedes,
        recomputed,
        entry,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    /// R24, R13, R34: a correction needs a reason, keeps the original (it
    /// names it), supersedes the step's signatures with an exception each,
    /// and an already corrected entry is corrected at its newest value only.
    #[test]
    fn r24_r13_a_correction_names_the_original_and_supersedes_signatures() {
        let batch = Batch {
            id: Uuid::from_u128(1),
            number: "BR-T".into(),
            mbr_content_sha256: "0".into(),
            status: BatchStatus::InProgress,
            mbr: Arc::new(
                crate::mbr::parse_toml(include_str!("../../../../fixtures/mbr/mnp-als-v1.toml"))
                    .unwrap(),
            ),
            steps: HashMap::new(),
            audit_head: crate::audit::ChainHead::genesis(),
            values: HashMap::new(),
        };
        let original = OriginalEntry {
            id: Uuid::from_u128(5),
            step_key: "s1-seed".into(),
            field_key: "seeding_density".into(),
            value: None,
            stored: "{}".into(),
            activity_at: now(),
            corrected: false,
        };
        let raw = json!("15500");
        let signatures: HashMap<String, Vec<StepSignatureRef>> = [(
            "s1-seed".to_string(),
            vec![StepSignatureRef {
                id: Uuid::from_u128(9),
                meaning: SignatureMeaning::Performed,
                printed_name: "Zhang Wei".into(),
            }],
        )]
        .into();
        let mut n = 100u128;
        let mut ids = move || {
            n += 1;
            Uuid::from_u128(n)
        };
        let command = |original, reason| CorrectCommand {
            original,
            raw: &raw,
            reason,
            person: Uuid::from_u128(7),
        };
        let err = correct(
            &batch,
            &command(&original, " "),
            &signatures,
            &Registry::default(),
            now(),
            &mut ids,
        )
        .unwrap_err();
        assert_eq!(err.error.rule(), "correction_reason_required");
        let plan = correct(
            &batch,
            &command(&original, "transcription error"),
            &signatures,
            &Registry::default(),
            now(),
            &mut ids,
        )
        .unwrap();
        assert_eq!(plan.corrects, original.id);
        assert_eq!(plan.supersedes, vec![Uuid::from_u128(9)]);
        assert_eq!(plan.exceptions[0].kind, ExceptionKind::Correction);
        assert!(plan
            .exceptions
            .iter()
            .any(|e| e.kind == ExceptionKind::SignatureSuperseded));
        let corrected = OriginalEntry {
            corrected: true,
            ..original.clone()
        };
        let err = correct(
            &batch,
            &command(&corrected, "again"),
            &signatures,
            &Registry::default(),
            now(),
            &mut ids,
        )
        .unwrap_err();
        assert_eq!(err.error.rule(), "entry_already_corrected");
    }
}
