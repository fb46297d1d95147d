//! What may be signed with which meaning, and by whom (R7, R12, R26, R44):
//! one table for every kind of signed record, so every signing route runs
//! the same ceremony and asks the same question.

use crate::identity::Role;
use crate::signature::SignatureMeaning;
use crate::DomainError;

/// Every role that holds GMP duties (a trainee may hold any of them).
const GMP_ROLES: &[Role] = &[
    Role::Operator,
    Role::QcAnalyst,
    Role::QaReviewer,
    Role::ReleaseAuthority,
    Role::MbrAuthor,
    Role::Auditor,
    Role::Trainer,
];

/// The kinds of record a person signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedRecordKind {
    /// A step of a batch: performed, then (critical steps) verified.
    BatchStep,
    /// A QC result: verified by a second analyst.
    QcResult,
    /// A deviation: closed by QA.
    Deviation,
    /// A batch: reviewed by QA, released or rejected by the release authority.
    Batch,
    /// A master batch record version: approved by QA.
    MbrVersion,
    /// A training record: signed `trained` by the trainee, or a
    /// read-and-understood record signed by the reader (R9).
    TrainingRecord,
    /// A periodic access review: signed `reviewed` by QA.
    AccessReview,
    /// A donor eligibility determination: approved by the responsible
    /// person (QA), 21 CFR 1271 subpart C.
    DonorEligibility,
    /// A cell-bank decision: signed `released` or `rejected` by QA.
    CellBankRelease,
    /// A shipment's hand-over (`performed`) or receipt (`verified`), by the
    /// person at that end (R48).
    ShipmentEvent,
}

impl SignedRecordKind {
    /// The record in words, for refusals ("a deviation cannot be signed …").
    pub fn name(self) -> &'static str {
        match self {
            Self::BatchStep => "batch step",
            Self::QcResult => "QC result",
            Self::Deviation => "deviation",
            Self::Batch => "batch",
            Self::MbrVersion => "master batch record",
            Self::TrainingRecord => "training record",
            Self::AccessReview => "access review",
            Self::DonorEligibility => "donor eligibility determination",
            Self::CellBankRelease => "cell-bank decision",
            Self::ShipmentEvent => "shipment hand-over or receipt",
        }
    }

    /// The meanings this record takes, each with the roles that sign with it
    /// (a critical step is verified by a second operator or by QA).
    pub fn meanings(self) -> &'static [(SignatureMeaning, &'static [Role])] {
        use SignatureMeaning as M;
        match self {
            Self::BatchStep => &[
                (M::Performed, &[Role::Operator]),
                (M::Verified, &[Role::Operator, Role::QaReviewer]),
            ],
            Self::QcResult => &[(M::Verified, &[Role::QcAnalyst])],
            Self::Deviation => &[(M::Closed, &[Role::QaReviewer])],
            Self::Batch => &[
                (M::Reviewed, &[Role::QaReviewer]),
                (M::Released, &[Role::ReleaseAuthority]),
                (M::Rejected, &[Role::ReleaseAuthority]),
            ],
            Self::MbrVersion => &[(M::Approved, &[Role::QaReviewer])],
            Self::TrainingRecord => &[(M::Trained, GMP_ROLES), (M::ReadAndUnderstood, GMP_ROLES)],
            Self::AccessReview => &[(M::Reviewed, &[Role::QaReviewer])],
            Self::DonorEligibility => &[(M::Approved, &[Role::QaReviewer])],
            Self::CellBankRelease => &[
                (M::Released, &[Role::QaReviewer]),
                (M::Rejected, &[Role::QaReviewer]),
            ],
            Self::ShipmentEvent => &[
                (M::Performed, &[Role::Operator, Role::QaReviewer]),
                (M::Verified, &[Role::Operator, Role::QaReviewer]),
            ],
        }
    }
}

/// R7, R26: `meaning` applies to this kind of record and the signer holds
/// the role that signs with it (a QA reviewer reviews a batch but does not
/// release it). Checked before anyone is asked for a password.
pub fn check_meaning(
    kind: SignedRecordKind,
    meaning: SignatureMeaning,
    roles: &[Role],
) -> Result<(), DomainError> {
    let Some((_, signers)) = kind.meanings().iter().find(|(m, _)| *m == meaning) else {
        return Err(DomainError::MeaningNotAllowed {
            meaning: meaning.as_str().into(),
            record: kind.name().into(),
        });
    };
    if !signers.iter().any(|r| roles.contains(r)) {
        let names: Vec<&str> = signers.iter().map(|r| r.as_str()).collect();
        return Err(DomainError::SigningRoleMissing {
            meaning: meaning.as_str().into(),
            role: names.join(" or "),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R26, R7: only the release authority releases, only QA reviews; a
    /// meaning the record does not take is refused naming both.
    #[test]
    fn r26_r7_each_meaning_needs_its_record_and_role() {
        use SignatureMeaning as M;
        assert!(check_meaning(SignedRecordKind::Batch, M::Reviewed, &[Role::QaReviewer]).is_ok());
        assert_eq!(
            check_meaning(SignedRecordKind::Batch, M::Released, &[Role::QaReviewer])
                .unwrap_err()
                .rule(),
            "role_forbidden"
        );
        assert!(check_meaning(
            SignedRecordKind::Batch,
            M::Released,
            &[Role::ReleaseAuthority]
        )
        .is_ok());
        let err = check_meaning(
            SignedRecordKind::Deviation,
            M::Approved,
            &[Role::QaReviewer],
        )
        .unwrap_err();
        assert_eq!(err.rule(), "meaning_not_allowed");
        assert!(err.to_string().contains("deviation"));
        assert!(check_meaning(SignedRecordKind::BatchStep, M::Verified, &[Role::Operator]).is_ok());
        assert!(check_meaning(
            SignedRecordKind::BatchStep,
            M::Verified,
            &[Role::QaReviewer]
        )
        .is_ok());
        assert_eq!(
            check_meaning(
                SignedRecordKind::BatchStep,
                M::Performed,
                &[Role::QcAnalyst]
            )
            .unwrap_err()
            .rule(),
            "role_forbidden"
        );
    }
}
