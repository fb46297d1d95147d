//! Segregation of duties (R42, R43, R44). Each refusal names its rule.

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

/// R44: a deviation is closed by someone other than its owner.
pub fn check_deviation_closer(owner: Uuid, closer: Uuid) -> Result<(), DomainError> {
    if owner == closer {
        return Err(DomainError::DeviationOwnerCannotClose);
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
            check_deviation_closer(A, A).unwrap_err().rule(),
            "deviation_owner_cannot_close"
        );
        assert!(check_deviation_closer(A, B).is_ok());
    }
}
