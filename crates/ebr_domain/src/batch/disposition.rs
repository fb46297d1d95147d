//! Signing the batch itself: QA's review of the record (R29, R46) and the
//! release authority's release or rejection (R26, R39, R43).

use uuid::Uuid;

use crate::batch_state::{BatchLifecycle, BatchStatus};
use crate::duties::{check_releaser, check_reviewer};
use crate::release::Finding;
use crate::signature::SignatureMeaning;
use crate::DomainError;

/// What the disposition rules need to know about the batch, loaded under
/// its lock.
#[derive(Debug, Clone)]
pub struct DispositionFacts {
    /// Where its lifecycle stands now (replayed from its status events).
    pub lifecycle: BatchLifecycle,
    /// Everyone who executed or verified anything in it (entries, step
    /// signatures): none of them reviews or disposes of it.
    pub participants: Vec<Uuid>,
    /// Everyone who signed it as reviewed: none of them disposes of it.
    pub reviewers: Vec<Uuid>,
    /// Every finding that blocks release now (the release gate).
    pub findings: Vec<Finding>,
}

/// A batch-level signature to decide.
#[derive(Debug, Clone, Copy)]
pub struct DispositionCommand<'a> {
    /// `reviewed`, `released` or `rejected`.
    pub meaning: SignatureMeaning,
    /// Who signs.
    pub signer: Uuid,
    /// The signature's comment (a rejection's reason).
    pub comment: Option<&'a str>,
}

/// What a batch-level signature changes besides the signature itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispositionPlan {
    /// The status moves, in order, each with its reason.
    pub transitions: Vec<(BatchStatus, Option<String>)>,
    /// The audited action, e.g. `batch.disposition.released`.
    pub action: String,
}

/// Decides a batch-level signature: `reviewed` (by someone who took no part;
/// moves a completed batch under review), `released` (by someone who took no
/// part and did not review, only with no finding left; the batch passes
/// under review on its way) or `rejected` (by someone who took no part and
/// did not review, with a reason; possible before any disposition).
/// Released and rejected are terminal (R39).
pub fn sign_batch(
    facts: &DispositionFacts,
    command: &DispositionCommand<'_>,
) -> Result<DispositionPlan, DomainError> {
    let status = facts.lifecycle.status();
    if status.is_terminal() {
        return Err(DomainError::BatchClosed {
            status: status.as_str().into(),
        });
    }
    let not_reviewers = || {
        let mut excluded = facts.participants.clone();
        excluded.extend(facts.reviewers.iter().copied());
        check_releaser(&excluded, command.signer)
    };
    let transitions = match command.meaning {
        SignatureMeaning::Reviewed => {
            if !matches!(
                status,
                BatchStatus::ManufacturingComplete | BatchStatus::UnderReview
            ) {
                return Err(DomainError::IllegalBatchTransition {
                    from: status,
                    to: BatchStatus::UnderReview,
                });
            }
            check_reviewer(&facts.participants, command.signer)?;
            if status == BatchStatus::ManufacturingComplete {
                vec![(BatchStatus::UnderReview, Some("QA review signed".into()))]
            } else {
                vec![]
            }
        }
        SignatureMeaning::Released => {
            not_reviewers()?;
            if !facts.findings.is_empty() {
                return Err(DomainError::ReleaseBlocked {
                    findings: facts.findings.clone(),
                });
            }
            let mut moves = Vec::new();
            if status == BatchStatus::ManufacturingComplete {
                moves.push((BatchStatus::UnderReview, None));
            }
            moves.push((
                BatchStatus::Released,
                Some("released by the release authority".into()),
            ));
            moves
        }
        SignatureMeaning::Rejected => {
            let reason = command
                .comment
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .ok_or(DomainError::RejectionReasonRequired)?;
            not_reviewers()?;
            vec![(BatchStatus::Rejected, Some(reason.to_string()))]
        }
        other => {
            return Err(DomainError::MeaningNotAllowed {
                meaning: other.as_str().into(),
                record: "batch".into(),
            })
        }
    };
    // Every move must be one the lifecycle allows from where the batch is.
    let mut lifecycle = facts.lifecycle;
    for (to, _) in &transitions {
        lifecycle = lifecycle.transition_to(*to)?;
    }
    Ok(DispositionPlan {
        transitions,
        action: format!("batch.disposition.{}", command.meaning.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: BatchStatus) -> DispositionFacts {
        use BatchStatus::*;
        let path = [InProgress, ManufacturingComplete, UnderReview, Released];
        let history: Vec<BatchStatus> = path
            .iter()
            .copied()
            .take(path.iter().position(|s| *s == status).map_or(0, |i| i + 1))
            .collect();
        DispositionFacts {
            lifecycle: BatchLifecycle::replay(history).unwrap(),
            participants: vec![Uuid::from_u128(1)],
            reviewers: vec![Uuid::from_u128(2)],
            findings: vec![],
        }
    }

    fn command(meaning: SignatureMeaning, signer: u128) -> DispositionCommand<'static> {
        DispositionCommand {
            meaning,
            signer: Uuid::from_u128(signer),
            comment: None,
        }
    }

    /// R43: who took part neither reviews nor disposes; the reviewer does
    /// not release; R46: review moves a completed batch under review.
    #[test]
    fn r43_r46_reviewer_and_releaser_are_independent() {
        let complete = facts(BatchStatus::ManufacturingComplete);
        let err = sign_batch(&complete, &command(SignatureMeaning::Reviewed, 1)).unwrap_err();
        assert_eq!(err.rule(), "participant_cannot_review");
        let plan = sign_batch(&complete, &command(SignatureMeaning::Reviewed, 2)).unwrap();
        assert_eq!(plan.transitions[0].0, BatchStatus::UnderReview);
        let err = sign_batch(&complete, &command(SignatureMeaning::Released, 2)).unwrap_err();
        assert_eq!(err.rule(), "participant_cannot_release");
        let plan = sign_batch(&complete, &command(SignatureMeaning::Released, 3)).unwrap();
        assert_eq!(
            plan.transitions.iter().map(|t| t.0).collect::<Vec<_>>(),
            vec![BatchStatus::UnderReview, BatchStatus::Released]
        );
        assert_eq!(plan.action, "batch.disposition.released");
    }

    /// R38: any finding blocks release and all of them are named; R39: a
    /// rejection needs its reason and a disposed batch is closed.
    #[test]
    fn r38_r39_findings_block_release_and_rejection_needs_a_reason() {
        let mut blocked = facts(BatchStatus::UnderReview);
        blocked.findings.push(Finding {
            code: "deviation_open",
            subject: "d".into(),
            detail: "open".into(),
        });
        let err = sign_batch(&blocked, &command(SignatureMeaning::Released, 3)).unwrap_err();
        assert_eq!(err.rule(), "release_blocked");
        let err = sign_batch(&blocked, &command(SignatureMeaning::Rejected, 3)).unwrap_err();
        assert_eq!(err.rule(), "rejection_reason_required");
        let reject = DispositionCommand {
            comment: Some(" sterility failed "),
            ..command(SignatureMeaning::Rejected, 3)
        };
        let plan = sign_batch(&blocked, &reject).unwrap();
        assert_eq!(
            plan.transitions,
            vec![(BatchStatus::Rejected, Some("sterility failed".into()))]
        );
        let done = facts(BatchStatus::Released);
        let err = sign_batch(&done, &reject).unwrap_err();
        assert_eq!(err.rule(), "batch_closed");
        let performing = facts(BatchStatus::InProgress);
        let err = sign_batch(&performing, &command(SignatureMeaning::Reviewed, 3)).unwrap_err();
        assert_eq!(err.rule(), "illegal_batch_transition");
        let err = sign_batch(&performing, &command(SignatureMeaning::Verified, 3)).unwrap_err();
        assert_eq!(err.rule(), "meaning_not_allowed");
    }
}
