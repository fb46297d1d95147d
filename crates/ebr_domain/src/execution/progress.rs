//! Step progress, sequencing (R6), completeness (R36), second-person
//! verification (R42, R45) and hold times.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::mbr::{HoldTimeReference, MasterBatchRecord, Step};
use crate::DomainError;

/// A current (not superseded) signature on a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureFact {
    /// The signer.
    pub signer: Uuid,
    /// When.
    pub at: DateTime<Utc>,
}

/// What has happened in one step of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepFacts {
    /// Time of the step's first entry.
    pub first_entry_at: Option<DateTime<Utc>>,
    /// The fields with a current value.
    pub recorded_fields: HashSet<String>,
    /// The current `performed` signature.
    pub performed: Option<SignatureFact>,
    /// The current `verified` signature.
    pub verified: Option<SignatureFact>,
    /// Everyone who recorded an entry of the step (corrected entries
    /// included) or signed it (superseded signatures included): none of them
    /// may verify it (R20, R42).
    pub participants: BTreeSet<Uuid>,
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Nothing recorded.
    NotStarted,
    /// Entries recorded, not signed.
    InProgress,
    /// Signed as performed; a critical step awaits verification.
    AwaitingVerification,
    /// Performed (and verified where critical).
    Complete,
}

/// The state of `step` given its facts.
pub fn step_state(step: &Step, facts: Option<&StepFacts>) -> StepState {
    let Some(f) = facts else {
        return StepState::NotStarted;
    };
    match (f.performed, f.verified) {
        (Some(_), Some(_)) => StepState::Complete,
        (Some(_), None) if !step.critical => StepState::Complete,
        (Some(_), None) => StepState::AwaitingVerification,
        (None, _) if f.recorded_fields.is_empty() => StepState::NotStarted,
        (None, _) => StepState::InProgress,
    }
}

/// The first step, in MBR order, that is not complete (`None`: all complete).
pub fn current_step<'a>(
    mbr: &'a MasterBatchRecord,
    facts: &HashMap<String, StepFacts>,
) -> Option<&'a Step> {
    mbr.steps()
        .map(|(_, s)| s)
        .find(|s| step_state(s, facts.get(&s.key)) != StepState::Complete)
}

/// R6: entries and the `performed` signature are allowed only on the current
/// step: every earlier step must be complete (signed, and verified if critical).
pub fn check_sequence(
    mbr: &MasterBatchRecord,
    facts: &HashMap<String, StepFacts>,
    step_key: &str,
) -> Result<(), DomainError> {
    if mbr.step(step_key).is_none() {
        return Err(DomainError::UnknownStep(step_key.to_string()));
    }
    match current_step(mbr, facts) {
        Some(current) if current.key == step_key => Ok(()),
        Some(current) => Err(DomainError::StepOutOfSequence {
            step: step_key.to_string(),
            expected: current.key.clone(),
        }),
        None => Err(DomainError::StepOutOfSequence {
            step: step_key.to_string(),
            expected: "none (every step is complete)".into(),
        }),
    }
}

/// R36: a step is signed as performed only when every required field has a
/// value, and only once.
pub fn check_can_perform(step: &Step, facts: Option<&StepFacts>) -> Result<(), DomainError> {
    let empty = StepFacts::default();
    let f = facts.unwrap_or(&empty);
    if f.performed.is_some() {
        return Err(DomainError::StepAlreadySigned {
            step: step.key.clone(),
            meaning: "performed".into(),
        });
    }
    let missing: Vec<String> = step
        .fields
        .iter()
        .filter(|field| field.required && !f.recorded_fields.contains(&field.key))
        .map(|field| field.key.clone())
        .collect();
    if !missing.is_empty() {
        return Err(DomainError::MissingRequiredFields {
            step: step.key.clone(),
            fields: missing,
        });
    }
    Ok(())
}

/// R20, R42, R45: a critical step is verified once, after it was performed,
/// by someone who took no part in it (see [`crate::duties::check_step_verifier`]).
pub fn check_can_verify(
    step: &Step,
    facts: Option<&StepFacts>,
    verifier: Uuid,
) -> Result<(), DomainError> {
    if !step.critical {
        return Err(DomainError::VerificationNotRequired(step.key.clone()));
    }
    let Some(performed) = facts.and_then(|f| f.performed) else {
        return Err(DomainError::StepNotPerformed(step.key.clone()));
    };
    if facts.is_some_and(|f| f.verified.is_some()) {
        return Err(DomainError::StepAlreadySigned {
            step: step.key.clone(),
            meaning: "verified".into(),
        });
    }
    let empty = BTreeSet::new();
    let participants = facts.map_or(&empty, |f| &f.participants);
    crate::duties::check_step_verifier(performed.signer, participants, verifier)
}

/// A hold-time limit exceeded when a step started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldTimeBreach {
    /// The earlier step the time is measured from.
    pub after: String,
    /// The limit in minutes.
    pub max_minutes: u32,
    /// The time that actually passed, in whole minutes.
    pub elapsed_minutes: i64,
}

/// The hold-time limits of `step` exceeded if it starts at `now`.
pub fn hold_time_breaches(
    step: &Step,
    facts: &HashMap<String, StepFacts>,
    now: DateTime<Utc>,
) -> Vec<HoldTimeBreach> {
    step.hold_times
        .iter()
        .filter_map(|h| {
            let f = facts.get(&h.after)?;
            let reference = match h.measured_from {
                HoldTimeReference::Start => f.first_entry_at,
                HoldTimeReference::End => f.performed.map(|p| p.at),
            }?;
            let elapsed = now - reference;
            (elapsed > Duration::minutes(i64::from(h.max_minutes))).then(|| HoldTimeBreach {
                after: h.after.clone(),
                max_minutes: h.max_minutes,
                elapsed_minutes: elapsed.num_minutes(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mbr() -> MasterBatchRecord {
        crate::mbr::parse_toml(include_str!("../../../../fixtures/mbr/mnp-als-v1.toml")).unwrap()
    }

    fn t(m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + m * 60, 0).unwrap()
    }

    fn done(signer: u128) -> StepFacts {
        StepFacts {
            first_entry_at: Some(t(0)),
            recorded_fields: ["x".to_string()].into(),
            performed: Some(SignatureFact {
                signer: Uuid::from_u128(signer),
                at: t(1),
            }),
            verified: Some(SignatureFact {
                signer: Uuid::from_u128(signer + 1),
                at: t(2),
            }),
            participants: [Uuid::from_u128(signer), Uuid::from_u128(signer + 1)].into(),
        }
    }

    /// R6: only the current step accepts work; the error names the expected step.
    #[test]
    fn r6_steps_run_in_order() {
        let m = mbr();
        let mut facts = HashMap::new();
        assert!(check_sequence(&m, &facts, "s0-issue-record").is_ok());
        let err = check_sequence(&m, &facts, "s0-line-clearance").unwrap_err();
        assert_eq!(
            err,
            DomainError::StepOutOfSequence {
                step: "s0-line-clearance".into(),
                expected: "s0-issue-record".into()
            }
        );
        facts.insert("s0-issue-record".to_string(), done(1));
        assert!(check_sequence(&m, &facts, "s0-line-clearance").is_ok());
        assert_eq!(
            check_sequence(&m, &facts, "no-such").unwrap_err().rule(),
            "unknown_step"
        );
    }

    /// R45: a critical step performed but not verified blocks the next step.
    #[test]
    fn r45_unverified_critical_step_blocks_the_next() {
        let m = mbr();
        let mut facts = HashMap::new();
        facts.insert("s0-issue-record".to_string(), done(1));
        let mut clearance = done(1);
        clearance.verified = None;
        facts.insert("s0-line-clearance".to_string(), clearance);
        assert_eq!(
            step_state(
                m.step("s0-line-clearance").unwrap(),
                facts.get("s0-line-clearance")
            ),
            StepState::AwaitingVerification
        );
        assert_eq!(
            check_sequence(&m, &facts, "s0-em-setup")
                .unwrap_err()
                .rule(),
            "step_out_of_sequence"
        );
    }

    /// R36: performing needs every required field.
    #[test]
    fn r36_missing_required_fields_block_performing() {
        let m = mbr();
        let step = m.step("s1-thaw").unwrap();
        let facts = StepFacts {
            recorded_fields: ["thawer".to_string()].into(),
            ..StepFacts::default()
        };
        let err = check_can_perform(step, Some(&facts)).unwrap_err();
        assert_eq!(
            err,
            DomainError::MissingRequiredFields {
                step: "s1-thaw".into(),
                fields: vec!["thaw_time".into(), "thaw_temperature".into()]
            }
        );
    }

    /// R42: the performer cannot verify; verification needs a performed critical step.
    #[test]
    fn r42_performer_cannot_verify() {
        let m = mbr();
        let step = m.step("s0-line-clearance").unwrap();
        let mut f = done(1);
        f.verified = None;
        f.participants = [Uuid::from_u128(1)].into();
        assert_eq!(
            check_can_verify(step, Some(&f), Uuid::from_u128(1))
                .unwrap_err()
                .rule(),
            "performer_cannot_verify"
        );
        assert!(check_can_verify(step, Some(&f), Uuid::from_u128(9)).is_ok());
        assert_eq!(
            check_can_verify(step, None, Uuid::from_u128(9))
                .unwrap_err()
                .rule(),
            "step_not_performed"
        );
        assert_eq!(
            check_can_verify(
                m.step("s0-issue-record").unwrap(),
                Some(&f),
                Uuid::from_u128(9)
            )
            .unwrap_err()
            .rule(),
            "verification_not_required"
        );
    }

    /// R20, R42: someone who recorded an entry of a critical step (e.g.
    /// scanned the seed vial) cannot verify it, though another person
    /// signed it as performed.
    #[test]
    fn r42_a_person_who_recorded_in_the_step_cannot_verify_it() {
        let m = mbr();
        let step = m.step("s0-line-clearance").unwrap();
        let mut f = done(1);
        f.verified = None;
        f.participants = [Uuid::from_u128(1), Uuid::from_u128(7)].into();
        assert_eq!(
            check_can_verify(step, Some(&f), Uuid::from_u128(7))
                .unwrap_err()
                .rule(),
            "step_participant_cannot_verify"
        );
        assert!(check_can_verify(step, Some(&f), Uuid::from_u128(9)).is_ok());
    }

    #[test]
    fn hold_time_is_measured_from_start_or_end() {
        let m = mbr();
        let mut facts = HashMap::new();
        facts.insert(
            "s7-formulate".to_string(),
            StepFacts {
                first_entry_at: Some(t(0)),
                ..StepFacts::default()
            },
        );
        let crf = m.step("s8-crf-load").unwrap();
        assert!(hold_time_breaches(crf, &facts, t(45)).is_empty());
        let breach = hold_time_breaches(crf, &facts, t(46));
        assert_eq!(
            breach,
            vec![HoldTimeBreach {
                after: "s7-formulate".into(),
                max_minutes: 45,
                elapsed_minutes: 46
            }]
        );
    }
}
