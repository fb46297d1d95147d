//! Segregation of duties (R20, R31, R42, R43, R44): every rule about who may
//! not act on a record because of what they did to it before. Each refusal
//! names its rule.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::DomainError;

/// R42: the verifier of a step is not its performer.
pub fn check_verifier(performer: Uuid, verifier: Uuid) -> Result<(), DomainError> {
    if performer == verifier {
        return Err(DomainError::PerformerCannotVerify);
    }
    Ok(())
}

/// R44: the approver of an MBR version is not its author.
pub fn check_approver(author: Uuid, approver: Uuid) -> Result<(), DomainError> {
    if author == approver {
        return Err(DomainError::SelfApprovalForbidden);
    }
    Ok(())
}

/// R43: the QA reviewer took no part in executing or verifying the batch.
pub fn check_reviewer(participants: &[Uuid], reviewer: Uuid) -> Result<(), DomainError> {
    if participants.contains(&reviewer) {
        return Err(DomainError::ParticipantCannotReview);
    }
    Ok(())
}

/// R43: the release authority took no part in executing, verifying or
/// reviewing the batch.
pub fn check_releaser(
    participants_and_reviewers: &[Uuid],
    releaser: Uuid,
) -> Result<(), DomainError> {
    if participants_and_reviewers.contains(&releaser) {
        return Err(DomainError::ParticipantCannotRelease);
    }
    Ok(())
}

/// R20, R42: the verifier of a step is independent of it: neither its
/// performer nor anyone who recorded an entry of the step (corrected entries
/// included) or signed it (superseded signatures included).
pub fn check_step_verifier(
    performer: Uuid,
    participants: &BTreeSet<Uuid>,
    verifier: Uuid,
) -> Result<(), DomainError> {
    check_verifier(performer, verifier)?;
    if participants.contains(&verifier) {
        return Err(DomainError::StepParticipantCannotVerify);
    }
    Ok(())
}

/// R44: a deviation is closed by someone who never owned, opened or
/// investigated it (`involved` holds all of them, over every revision).
pub fn check_deviation_closer(involved: &BTreeSet<Uuid>, closer: Uuid) -> Result<(), DomainError> {
    if involved.contains(&closer) {
        return Err(DomainError::DeviationOwnerCannotClose);
    }
    Ok(())
}

/// R32, R42: the second analyst who reviews a QC result is not the analyst
/// who entered it.
pub fn check_qc_reviewer(analyst: Uuid, reviewer: Uuid) -> Result<(), DomainError> {
    if analyst == reviewer {
        return Err(DomainError::AnalystCannotReview);
    }
    Ok(())
}

/// R31: a person's identity is verified by an active administrator who is
/// neither that person nor the administrator who created the account.
pub fn check_identity_verifier(
    verifier_is_active_admin: bool,
    person: Uuid,
    created_by: Option<Uuid>,
    verifier: Uuid,
) -> Result<(), DomainError> {
    if !verifier_is_active_admin {
        return Err(DomainError::IdentityVerifierNotAdmin);
    }
    if verifier == person || created_by == Some(verifier) {
        return Err(DomainError::IdentityVerifierNotIndependent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Uuid = Uuid::from_u128(1);
    const B: Uuid = Uuid::from_u128(2);

    /// R42, R43, R44: every segregation rule refuses the same person and names itself.
    #[test]
    fn r42_r43_r44_segregation_rules_name_themselves() {
        assert_eq!(
            check_verifier(A, A).unwrap_err().rule(),
            "performer_cannot_verify"
        );
        assert!(check_verifier(A, B).is_ok());
        assert_eq!(
            check_approver(A, A).unwrap_err().rule(),
            "self_approval_forbidden"
        );
        assert!(check_approver(A, B).is_ok());
        assert_eq!(
            check_reviewer(&[A, B], A).unwrap_err().rule(),
            "participant_cannot_review"
        );
        assert!(check_reviewer(&[B], A).is_ok());
        assert_eq!(
            check_releaser(&[A], A).unwrap_err().rule(),
            "participant_cannot_release"
        );
        assert!(check_releaser(&[B], A).is_ok());
        assert_eq!(
            check_deviation_closer(&[A].into(), A).unwrap_err().rule(),
            "deviation_owner_cannot_close"
        );
        assert!(check_deviation_closer(&[A].into(), B).is_ok());
    }

    const C: Uuid = Uuid::from_u128(3);

    /// R20, R42: whoever recorded an entry of a step or signed it cannot
    /// verify it, even when someone else signed it as performed.
    #[test]
    fn r20_r42_a_step_participant_cannot_verify() {
        let participants: BTreeSet<Uuid> = [A, B].into();
        assert_eq!(
            check_step_verifier(A, &participants, A).unwrap_err().rule(),
            "performer_cannot_verify"
        );
        assert_eq!(
            check_step_verifier(A, &participants, B).unwrap_err().rule(),
            "step_participant_cannot_verify"
        );
        assert!(check_step_verifier(A, &participants, C).is_ok());
    }

    /// R44: an earlier owner, the opener or an investigator cannot close.
    #[test]
    fn r44_anyone_ever_involved_cannot_close_a_deviation() {
        let involved: BTreeSet<Uuid> = [A, B].into();
        for person in [A, B] {
            assert_eq!(
                check_deviation_closer(&involved, person)
                    .unwrap_err()
                    .rule(),
                "deviation_owner_cannot_close"
            );
        }
        assert!(check_deviation_closer(&involved, C).is_ok());
    }

    /// R42: the analyst cannot review their own QC result.
    #[test]
    fn r42_qc_analyst_cannot_review_own_result() {
        assert_eq!(
            check_qc_reviewer(A, A).unwrap_err().rule(),
            "analyst_cannot_review"
        );
        assert!(check_qc_reviewer(A, B).is_ok());
    }

    /// R31: identity is verified by a second, independent, active administrator.
    #[test]
    fn r31_identity_verifier_is_an_independent_admin() {
        assert_eq!(
            check_identity_verifier(false, A, Some(B), C)
                .unwrap_err()
                .rule(),
            "identity_verifier_not_admin"
        );
        assert_eq!(
            check_identity_verifier(true, A, Some(B), A)
                .unwrap_err()
                .rule(),
            "identity_verifier_not_independent"
        );
        assert_eq!(
            check_identity_verifier(true, A, Some(B), B)
                .unwrap_err()
                .rule(),
            "identity_verifier_not_independent"
        );
        assert!(check_identity_verifier(true, A, Some(B), C).is_ok());
    }
}
