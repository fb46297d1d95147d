//! Training and qualification gates (R9; 21 CFR 211.25, Part 11 §11.10(i)).
//!
//! A [`Curriculum`] names what a person acting in a role must be trained on:
//! the role alone, or the role on one MBR (any version or one version),
//! and/or a named skill that MBR steps declare. A person's training is a
//! list of append-only [`TrainingEvent`]s per curriculum (trained,
//! read-and-understood of a new MBR version, revoked); [`standing`] folds
//! them at the server's time, and [`check_training`] is the gate every
//! recording and signing activity on a batch passes. Pure: time and the
//! loaded facts are arguments.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::batch::{PlannedException, Refusal};
use crate::exception::ExceptionKind;
use crate::identity::Role;
use crate::DomainError;

/// Training that ends within this many days shows as a warning (worklist,
/// qualification matrix).
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Whether `name` is a well-formed skill name: 2-32 of `a-z`, `0-9` and `_`,
/// starting with a letter (`aseptic_fill`).
pub fn is_skill_name(name: &str) -> bool {
    let mut chars = name.chars();
    (2..=32).contains(&name.len())
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What a person does on a batch; each activity is gated by training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Recording or correcting values of a step.
    Record,
    /// Signing a step as performed.
    Perform,
    /// Signing a critical step as verified.
    Verify,
    /// Entering a QC release result.
    QcEntry,
    /// Reviewing a QC result (second analyst).
    QcReview,
    /// Closing a deviation.
    DeviationClose,
    /// QA's review of the batch.
    BatchReview,
    /// Releasing or rejecting the batch.
    Release,
}

impl Activity {
    /// The roles in which a person performs this activity; the curricula of
    /// those roles the person holds apply.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Self::Record | Self::Perform => &[Role::Operator],
            Self::Verify => &[Role::Operator, Role::QaReviewer],
            Self::QcEntry | Self::QcReview => &[Role::QcAnalyst],
            Self::DeviationClose | Self::BatchReview => &[Role::QaReviewer],
            Self::Release => &[Role::ReleaseAuthority],
        }
    }

    /// The activity in words, for refusals.
    pub fn name(self) -> &'static str {
        match self {
            Self::Record => "recording",
            Self::Perform => "performing",
            Self::Verify => "verifying",
            Self::QcEntry => "entering QC results",
            Self::QcReview => "reviewing QC results",
            Self::DeviationClose => "closing deviations",
            Self::BatchReview => "reviewing the batch",
            Self::Release => "releasing or rejecting the batch",
        }
    }

    /// Whether the step's declared skills apply (steps are recorded,
    /// performed and verified; the other activities are on the batch).
    pub fn uses_step_skills(self) -> bool {
        matches!(self, Self::Record | Self::Perform | Self::Verify)
    }
}

/// What a person must be trained on to act in a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Curriculum {
    /// Its id.
    pub id: Uuid,
    /// Its code, e.g. `TRN-NPC-OPS`.
    pub code: String,
    /// Its title.
    pub title: String,
    /// The role it applies to.
    pub role: Role,
    /// The MBR it is about (its code), if any.
    pub mbr_code: Option<String>,
    /// One version of that MBR only; `None`: any version.
    pub mbr_version: Option<i32>,
    /// The skill it teaches, if any (steps declare the skills they need).
    pub skill: Option<String>,
}

impl Curriculum {
    /// The curriculum in words: `TRN-NPC-OPS (Motor-neuron process, operators)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.code, self.title)
    }
}

/// The kind of a training event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingKind {
    /// Trained (recorded by a trainer, signed `trained` by the trainee).
    Trained,
    /// Read and understood a new MBR version (signed by the person).
    ReadAndUnderstood,
    /// Training revoked: earlier events no longer count.
    Revoked,
}

impl TrainingKind {
    /// The stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trained => "trained",
            Self::ReadAndUnderstood => "read_and_understood",
            Self::Revoked => "revoked",
        }
    }

    /// Parses the stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Trained, Self::ReadAndUnderstood, Self::Revoked]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// One training event of one person on one curriculum, as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingEvent {
    /// The curriculum.
    pub curriculum_id: Uuid,
    /// What happened.
    pub kind: TrainingKind,
    /// The MBR version trained on or read (MBR curricula).
    pub mbr_version: Option<i32>,
    /// When it was recorded (events apply in this order).
    pub recorded_at: DateTime<Utc>,
    /// The end of its validity, if it ends.
    pub valid_until: Option<DateTime<Utc>>,
    /// Whether the person signed it (unsigned training does not count yet;
    /// a revocation needs no signature of the person).
    pub signed: bool,
}

/// The MBR version a batch is pinned to, as far as training is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    /// MBR code.
    pub code: String,
    /// Version number.
    pub version: i32,
    /// Whether people qualified on an earlier version must sign a
    /// read-and-understood record for this one before acting.
    pub requires_read_and_understood: bool,
}

/// Where a person stands on one curriculum now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Standing {
    /// Trained and valid beyond the warning period.
    Current {
        /// End of validity, if it ends.
        until: Option<DateTime<Utc>>,
    },
    /// Trained, but the training ends within [`EXPIRY_WARNING_DAYS`].
    Expiring {
        /// End of validity.
        until: DateTime<Utc>,
    },
    /// The training ended.
    Expired {
        /// When.
        since: DateTime<Utc>,
    },
    /// Trained on an earlier MBR version; the read-and-understood record
    /// for this version is missing.
    ReadAndUnderstoodMissing {
        /// The version trained on.
        trained_on: Option<i32>,
        /// The version to read.
        version: i32,
    },
    /// No signed training (never trained, unsigned, or revoked).
    Missing,
}

impl Standing {
    /// Whether the person may act on it now.
    pub fn allows(&self) -> bool {
        matches!(self, Self::Current { .. } | Self::Expiring { .. })
    }

    /// The stable name of the status (`current`, `expiring`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Current { .. } => "current",
            Self::Expiring { .. } => "expiring",
            Self::Expired { .. } => "expired",
            Self::ReadAndUnderstoodMissing { .. } => "read_and_understood_missing",
            Self::Missing => "missing",
        }
    }
}

/// Folds a person's events on `curriculum` at `now`: the newest signed
/// training after the last revocation counts; its validity decides current,
/// expiring or expired; for an MBR curriculum of any version whose batch MBR
/// requires it, training on another version needs a signed
/// read-and-understood record of this version.
pub fn standing(
    curriculum: &Curriculum,
    events: &[TrainingEvent],
    procedure: Option<&Procedure>,
    now: DateTime<Utc>,
) -> Standing {
    let mut mine: Vec<&TrainingEvent> = events
        .iter()
        .filter(|e| e.curriculum_id == curriculum.id)
        .collect();
    mine.sort_by_key(|e| e.recorded_at);
    let since_revocation: Vec<&TrainingEvent> =
        match mine.iter().rposition(|e| e.kind == TrainingKind::Revoked) {
            Some(at) => mine.iter().skip(at + 1).copied().collect(),
            None => mine,
        };
    let Some(trained) = since_revocation
        .iter()
        .rev()
        .find(|e| e.kind == TrainingKind::Trained && e.signed)
    else {
        return Standing::Missing;
    };
    if let Some(until) = trained.valid_until {
        if until <= now {
            return Standing::Expired { since: until };
        }
    }
    if let Some(procedure) = procedure {
        let about_this_mbr = curriculum.mbr_code.as_deref() == Some(procedure.code.as_str());
        if about_this_mbr
            && curriculum.mbr_version.is_none()
            && procedure.requires_read_and_understood
            && trained.mbr_version != Some(procedure.version)
        {
            let read = since_revocation.iter().any(|e| {
                e.kind == TrainingKind::ReadAndUnderstood
                    && e.signed
                    && e.mbr_version == Some(procedure.version)
            });
            if !read {
                return Standing::ReadAndUnderstoodMissing {
                    trained_on: trained.mbr_version,
                    version: procedure.version,
                };
            }
        }
    }
    match trained.valid_until {
        Some(until) if until <= now + Duration::days(EXPIRY_WARNING_DAYS) => {
            Standing::Expiring { until }
        }
        until => Standing::Current { until },
    }
}

/// What an activity needs: the batch's pinned MBR and the step's skills.
#[derive(Debug, Clone, Copy)]
pub struct Need<'a> {
    /// The activity.
    pub activity: Activity,
    /// The batch's pinned MBR version.
    pub procedure: &'a Procedure,
    /// The step, when the activity is on a step.
    pub step_key: Option<&'a str>,
    /// The skills the step declares (empty for batch-level activities).
    pub skills: &'a [String],
}

/// The curricula that apply to `need` for a person holding `roles`: those of
/// a role the activity is done in and the person holds, about no MBR or
/// about this MBR (any version or this one), teaching no skill or a skill
/// the step needs.
pub fn applicable<'c>(
    curricula: &'c [Curriculum],
    roles: &[Role],
    need: &Need<'_>,
) -> Vec<&'c Curriculum> {
    let acting: Vec<Role> = need
        .activity
        .roles()
        .iter()
        .copied()
        .filter(|r| roles.contains(r))
        .collect();
    curricula
        .iter()
        .filter(|c| acting.contains(&c.role))
        .filter(|c| match (&c.mbr_code, c.mbr_version) {
            (None, _) => true,
            (Some(code), None) => *code == need.procedure.code,
            (Some(code), Some(v)) => *code == need.procedure.code && v == need.procedure.version,
        })
        .filter(|c| match &c.skill {
            None => true,
            Some(skill) => need.activity.uses_step_skills() && need.skills.contains(skill),
        })
        .collect()
}

/// R9: the gate. Every applicable curriculum must stand current (or
/// expiring) for the person at `now`, and every skill the step declares
/// must be taught by an applicable curriculum (a skill no curriculum of the
/// acting role teaches cannot be held, so it is missing). A refusal names
/// every gap.
pub fn check_training(
    curricula: &[Curriculum],
    events: &[TrainingEvent],
    roles: &[Role],
    need: &Need<'_>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let relevant = applicable(curricula, roles, need);
    let mut gaps: Vec<String> = Vec::new();
    for curriculum in &relevant {
        let stand = standing(curriculum, events, Some(need.procedure), now);
        match stand {
            Standing::Current { .. } | Standing::Expiring { .. } => {}
            Standing::Expired { since } => gaps.push(format!(
                "{} expired on {}",
                curriculum.label(),
                since.format("%Y-%m-%d")
            )),
            Standing::ReadAndUnderstoodMissing { version, .. } => gaps.push(format!(
                "{}: read-and-understood of {} version {version} not signed",
                curriculum.label(),
                need.procedure.code
            )),
            Standing::Missing => gaps.push(format!("{} missing", curriculum.label())),
        }
    }
    if need.activity.uses_step_skills() {
        let taught: BTreeSet<&str> = relevant.iter().filter_map(|c| c.skill.as_deref()).collect();
        for skill in need.skills {
            if !taught.contains(skill.as_str()) {
                gaps.push(format!(
                    "skill `{skill}` missing (no curriculum teaches it to the role acting)"
                ));
            }
        }
    }
    if gaps.is_empty() {
        return Ok(());
    }
    Err(DomainError::TrainingNotCurrent {
        activity: need.activity.name().into(),
        gaps: gaps.join("; "),
    })
}

/// The gate as a batch command's refusal: the rule and the exception the
/// attempt leaves on the batch for QA's review.
pub fn gate(
    curricula: &[Curriculum],
    events: &[TrainingEvent],
    roles: &[Role],
    need: &Need<'_>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    check_training(curricula, events, roles, need, now).map_err(|error| Refusal {
        exception: Some(Box::new(PlannedException {
            kind: ExceptionKind::TrainingNotCurrent,
            step_key: need.step_key.map(str::to_string),
            field_key: None,
            entry_id: None,
            detail: format!("refused: {error}"),
        })),
        error,
    })
}

/// A curriculum definition: a code of 2-32 of `A-Z 0-9 . _ -`, a title, a
/// GMP role, a version only with an MBR code, a well-formed skill name.
pub fn check_curriculum(
    code: &str,
    title: &str,
    role: Role,
    mbr_code: Option<&str>,
    mbr_version: Option<i32>,
    skill: Option<&str>,
) -> Result<(), DomainError> {
    let invalid = |why: &str| Err(DomainError::CurriculumInvalid(why.into()));
    let code_ok = (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        && code
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !code_ok {
        return invalid("the code is 2-32 of A-Z, 0-9, '.', '_' and '-', e.g. TRN-MNP-OPS");
    }
    if title.trim().is_empty() {
        return invalid("a title is required");
    }
    if !role.is_gmp() {
        return invalid("administrators hold no GMP role, so no curriculum gates them");
    }
    if mbr_version.is_some() && mbr_code.is_none() {
        return invalid("an MBR version needs the MBR code");
    }
    if mbr_version.is_some_and(|v| v < 1) {
        return invalid("MBR versions start at 1");
    }
    if mbr_code.is_some_and(|c| c.trim().is_empty()) {
        return invalid("the MBR code is empty");
    }
    if let Some(skill) = skill {
        if !is_skill_name(skill) {
            return invalid("a skill is 2-32 of a-z, 0-9 and _, starting with a letter");
        }
    }
    Ok(())
}

/// A training record a trainer records: not about themselves, not in the
/// future, and valid until after it took place.
pub fn check_training_record(
    trainer: Uuid,
    trainee: Uuid,
    trained_at: DateTime<Utc>,
    valid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if trainer == trainee {
        return Err(DomainError::TrainerCannotTrainSelf);
    }
    if trained_at > now {
        return Err(DomainError::TrainingDatesInvalid(
            "the training cannot have taken place in the future".into(),
        ));
    }
    if valid_until.is_some_and(|until| until <= trained_at) {
        return Err(DomainError::TrainingDatesInvalid(
            "valid_until must be after the training".into(),
        ));
    }
    Ok(())
}

/// A trainee's `trained` signature on a training record: only on their own
/// record, only once, and never on a revocation.
pub fn check_trainee_signature(
    record_person: Uuid,
    kind: TrainingKind,
    already_signed: bool,
    signer: Uuid,
) -> Result<(), DomainError> {
    if record_person != signer {
        return Err(DomainError::TrainingNotYours);
    }
    if already_signed || kind != TrainingKind::Trained {
        return Err(DomainError::TrainingAlreadySigned);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T08:00:00Z"))
            .unwrap()
            .to_utc()
    }

    fn curriculum(code: &str, role: Role, mbr: Option<&str>, skill: Option<&str>) -> Curriculum {
        Curriculum {
            id: Uuid::from_u128(code.len() as u128 * 7 + code.as_bytes()[code.len() - 1] as u128),
            code: code.into(),
            title: code.to_lowercase(),
            role,
            mbr_code: mbr.map(str::to_string),
            mbr_version: None,
            skill: skill.map(str::to_string),
        }
    }

    fn trained(
        c: &Curriculum,
        day: u32,
        version: Option<i32>,
        until: Option<u32>,
    ) -> TrainingEvent {
        TrainingEvent {
            curriculum_id: c.id,
            kind: TrainingKind::Trained,
            mbr_version: version,
            recorded_at: at(day),
            valid_until: until.map(at),
            signed: true,
        }
    }

    fn procedure(version: i32, read: bool) -> Procedure {
        Procedure {
            code: "MBR-1".into(),
            version,
            requires_read_and_understood: read,
        }
    }

    /// R9: an untrained operator is refused naming the curriculum and the
    /// skill; trained, they pass; revoked, they are refused again.
    #[test]
    fn r9_the_gate_names_missing_training_and_revocation_blocks_again() {
        let process = curriculum("TRN-PROC", Role::Operator, Some("MBR-1"), None);
        let fill = curriculum("TRN-FILL", Role::Operator, None, Some("aseptic_fill"));
        let all = [process.clone(), fill.clone()];
        let skills = vec!["aseptic_fill".to_string()];
        let p = procedure(1, false);
        let need = Need {
            activity: Activity::Perform,
            procedure: &p,
            step_key: Some("fill"),
            skills: &skills,
        };
        let err = check_training(&all, &[], &[Role::Operator], &need, at(20)).unwrap_err();
        assert_eq!(err.rule(), "training_not_current");
        let text = err.to_string();
        assert!(
            text.contains("TRN-PROC") && text.contains("TRN-FILL"),
            "{text}"
        );
        let mut events = vec![
            trained(&process, 1, Some(1), None),
            trained(&fill, 1, None, Some(28)),
        ];
        assert!(check_training(&all, &events, &[Role::Operator], &need, at(20)).is_ok());
        events.push(TrainingEvent {
            kind: TrainingKind::Revoked,
            recorded_at: at(21),
            valid_until: None,
            signed: false,
            ..events[1].clone()
        });
        let err = check_training(&all, &events, &[Role::Operator], &need, at(22)).unwrap_err();
        assert!(err.to_string().contains("TRN-FILL"));
        assert!(!err.to_string().contains("TRN-PROC"));
    }

    /// R9: an expired skill refuses, naming the date; training that ends
    /// within 30 days still allows but stands as expiring; an unsigned
    /// training record does not count.
    #[test]
    fn r9_expired_expiring_and_unsigned_training() {
        let fill = curriculum("TRN-FILL", Role::Operator, None, Some("aseptic_fill"));
        let p = procedure(1, false);
        assert_eq!(
            standing(
                &fill,
                &[trained(&fill, 1, None, Some(10))],
                Some(&p),
                at(12)
            ),
            Standing::Expired { since: at(10) }
        );
        assert!(matches!(
            standing(
                &fill,
                &[trained(&fill, 1, None, Some(20))],
                Some(&p),
                at(12)
            ),
            Standing::Expiring { .. }
        ));
        let mut unsigned = trained(&fill, 1, None, None);
        unsigned.signed = false;
        assert_eq!(
            standing(&fill, &[unsigned], Some(&p), at(12)),
            Standing::Missing
        );
    }

    /// R9: trained on version 1 of an MBR that requires read-and-understood,
    /// a person may not act on version 2 until they signed it; a skill the
    /// step needs that no curriculum teaches is a gap; batch-level
    /// activities ignore step skills and other roles' curricula.
    #[test]
    fn r9_read_and_understood_and_skills_without_curriculum() {
        let process = curriculum("TRN-PROC", Role::Operator, Some("MBR-1"), None);
        let all = [process.clone()];
        let v2 = procedure(2, true);
        let skills = vec!["cell_count".to_string()];
        let need = Need {
            activity: Activity::Record,
            procedure: &v2,
            step_key: Some("count"),
            skills: &[],
        };
        let mut events = vec![trained(&process, 1, Some(1), None)];
        let err = check_training(&all, &events, &[Role::Operator], &need, at(5)).unwrap_err();
        assert!(err.to_string().contains("read-and-understood"), "{err}");
        events.push(TrainingEvent {
            kind: TrainingKind::ReadAndUnderstood,
            mbr_version: Some(2),
            recorded_at: at(3),
            ..events[0].clone()
        });
        assert!(check_training(&all, &events, &[Role::Operator], &need, at(5)).is_ok());
        let v2_no_read = procedure(2, false);
        let plain = Need {
            procedure: &v2_no_read,
            ..need
        };
        assert!(check_training(&all, &events[..1], &[Role::Operator], &plain, at(5)).is_ok());
        let counting = Need {
            skills: &skills,
            ..need
        };
        let err = check_training(&all, &events, &[Role::Operator], &counting, at(5)).unwrap_err();
        assert!(err.to_string().contains("cell_count"), "{err}");
        let release = Need {
            activity: Activity::Release,
            skills: &skills,
            ..need
        };
        assert!(check_training(&all, &[], &[Role::ReleaseAuthority], &release, at(5)).is_ok());
    }
}
