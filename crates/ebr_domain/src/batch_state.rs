//! The batch lifecycle state machine (R39).
//!
//! planned → in progress → manufacturing complete (quarantine) → under review →
//! released or rejected; any non-terminal state may be put on hold (and resumed
//! to where it was) or aborted before disposition. Released, rejected and aborted
//! are terminal: nothing leaves them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Issued from an effective MBR; nothing recorded yet.
    Planned,
    /// The first entry has been recorded.
    InProgress,
    /// Every step is signed; the product is in quarantine.
    ManufacturingComplete,
    /// QA is reviewing the record.
    UnderReview,
    /// Certified for use (terminal).
    Released,
    /// Rejected by the release authority (terminal).
    Rejected,
    /// Stopped pending a decision; resumes to the state it was held from.
    OnHold,
    /// Abandoned before disposition (terminal).
    Aborted,
}

impl BatchStatus {
    /// All states, for exhaustive tests.
    pub const ALL: [BatchStatus; 8] = [
        Self::Planned,
        Self::InProgress,
        Self::ManufacturingComplete,
        Self::UnderReview,
        Self::Released,
        Self::Rejected,
        Self::OnHold,
        Self::Aborted,
    ];

    /// The stable snake_case name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::ManufacturingComplete => "manufacturing_complete",
            Self::UnderReview => "under_review",
            Self::Released => "released",
            Self::Rejected => "rejected",
            Self::OnHold => "on_hold",
            Self::Aborted => "aborted",
        }
    }

    /// Parses the stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Released, rejected and aborted batches never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Released | Self::Rejected | Self::Aborted)
    }
}

impl fmt::Display for BatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A batch's lifecycle position: its status and, while on hold, where it was
/// held from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchLifecycle {
    status: BatchStatus,
    held_from: Option<BatchStatus>,
}

impl Default for BatchLifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchLifecycle {
    /// A newly issued batch.
    pub fn new() -> Self {
        Self {
            status: BatchStatus::Planned,
            held_from: None,
        }
    }

    /// Rebuilds the lifecycle by replaying stored transitions from `planned`;
    /// fails on the first transition the state machine does not allow.
    pub fn replay(history: impl IntoIterator<Item = BatchStatus>) -> Result<Self, DomainError> {
        history
            .into_iter()
            .try_fold(Self::new(), |lc, to| lc.transition_to(to))
    }

    /// The current status.
    pub fn status(self) -> BatchStatus {
        self.status
    }

    /// While on hold, the status the batch resumes to.
    pub fn held_from(self) -> Option<BatchStatus> {
        self.held_from
    }

    /// Moves to `to`, or refuses with an error naming both states.
    pub fn transition_to(self, to: BatchStatus) -> Result<Self, DomainError> {
        use BatchStatus::*;
        let from = self.status;
        let refuse = Err(DomainError::IllegalBatchTransition { from, to });
        let allowed = match (from, to) {
            (Planned, InProgress) => true,
            (InProgress, ManufacturingComplete) => true,
            (ManufacturingComplete, UnderReview) => true,
            (UnderReview, Released) => true,
            (ManufacturingComplete | UnderReview, Rejected) => true,
            (Planned | InProgress | ManufacturingComplete | UnderReview, OnHold) => true,
            (Planned | InProgress | ManufacturingComplete, Aborted) => true,
            (OnHold, Aborted) => self.held_from.is_some_and(|h| h != UnderReview),
            (OnHold, Rejected) => self
                .held_from
                .is_some_and(|h| matches!(h, ManufacturingComplete | UnderReview)),
            (OnHold, resumed) => self.held_from == Some(resumed),
            _ => false,
        };
        if !allowed {
            return refuse;
        }
        Ok(Self {
            status: to,
            held_from: (to == OnHold).then_some(from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::BatchStatus::*;
    use super::*;
    use proptest::prelude::*;

    /// The allowed transitions from a state that was reached without a hold.
    fn allowed_direct(from: BatchStatus) -> &'static [BatchStatus] {
        match from {
            Planned => &[InProgress, OnHold, Aborted],
            InProgress => &[ManufacturingComplete, OnHold, Aborted],
            ManufacturingComplete => &[UnderReview, Rejected, OnHold, Aborted],
            UnderReview => &[Released, Rejected, OnHold],
            Released | Rejected | Aborted | OnHold => &[],
        }
    }

    fn reach(status: BatchStatus) -> BatchLifecycle {
        let path: &[BatchStatus] = match status {
            Planned => &[],
            InProgress => &[InProgress],
            ManufacturingComplete => &[InProgress, ManufacturingComplete],
            UnderReview => &[InProgress, ManufacturingComplete, UnderReview],
            Released => &[InProgress, ManufacturingComplete, UnderReview, Released],
            Rejected => &[InProgress, ManufacturingComplete, Rejected],
            OnHold => &[InProgress, OnHold],
            Aborted => &[Aborted],
        };
        BatchLifecycle::replay(path.iter().copied()).unwrap()
    }

    /// R39: every pair of states is tested; illegal ones name both states.
    #[test]
    fn r39_every_pair_of_states_is_allowed_or_refused_naming_both() {
        for from in BatchStatus::ALL.into_iter().filter(|s| *s != OnHold) {
            for to in BatchStatus::ALL {
                let result = reach(from).transition_to(to);
                if allowed_direct(from).contains(&to) {
                    assert_eq!(result.unwrap().status(), to, "{from} -> {to}");
                } else {
                    let err = result.unwrap_err();
                    assert_eq!(err, DomainError::IllegalBatchTransition { from, to });
                    let text = err.to_string();
                    assert!(
                        text.contains(from.as_str()) && text.contains(to.as_str()),
                        "{text}"
                    );
                }
            }
        }
    }

    /// R39: a hold resumes only to the state it was held from.
    #[test]
    fn r39_on_hold_resumes_only_where_it_was_held_from() {
        for held_from in [Planned, InProgress, ManufacturingComplete, UnderReview] {
            let held = reach(held_from).transition_to(OnHold).unwrap();
            assert_eq!(held.held_from(), Some(held_from));
            for to in BatchStatus::ALL {
                let ok = held.transition_to(to).is_ok();
                let expected = to == held_from
                    || (to == Aborted && held_from != UnderReview)
                    || (to == Rejected && matches!(held_from, ManufacturingComplete | UnderReview));
                assert_eq!(ok, expected, "on_hold (from {held_from}) -> {to}");
            }
        }
    }

    /// R39: released → in progress is impossible; terminal states accept nothing.
    #[test]
    fn r39_terminal_states_are_immutable() {
        for terminal in [Released, Rejected, Aborted] {
            assert!(terminal.is_terminal());
            for to in BatchStatus::ALL {
                assert!(reach(terminal).transition_to(to).is_err());
            }
        }
        assert!(reach(Released).transition_to(InProgress).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in BatchStatus::ALL {
            assert_eq!(BatchStatus::parse(s.as_str()), Some(s));
        }
    }

    proptest! {
        /// Whatever sequence of requests arrives, the machine never leaves a
        /// terminal state and never reaches `released` without passing review.
        #[test]
        fn r39_random_walks_respect_terminal_states(steps in proptest::collection::vec(0usize..8, 0..40)) {
            let mut lc = BatchLifecycle::new();
            let mut reviewed = false;
            for i in steps {
                let to = BatchStatus::ALL[i];
                let before = lc.status();
                match lc.transition_to(to) {
                    Ok(next) => {
                        prop_assert!(!before.is_terminal());
                        if next.status() == UnderReview { reviewed = true; }
                        if next.status() == Released { prop_assert!(reviewed); }
                        lc = next;
                    }
                    Err(_) => prop_assert_eq!(lc.status(), before),
                }
            }
        }
    }
}
