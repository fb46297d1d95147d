//! The MBR version lifecycle: draft → effective → superseded or retired.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;

/// The status of one MBR version. Only an effective version can be used to
/// issue batches; an effective version's content never changes (a change is a
/// new draft version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MbrStatus {
    /// Imported, not yet approved.
    Draft,
    /// Approved; batches may be issued from it.
    Effective,
    /// Replaced by a later effective version of the same code.
    Superseded,
    /// Withdrawn without a replacement.
    Retired,
}

impl MbrStatus {
    /// All statuses, for exhaustive tests and listings.
    pub const ALL: [MbrStatus; 4] = [
        Self::Draft,
        Self::Effective,
        Self::Superseded,
        Self::Retired,
    ];

    /// The stable snake_case name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Effective => "effective",
            Self::Superseded => "superseded",
            Self::Retired => "retired",
        }
    }

    /// Parses the stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the lifecycle allows going from `self` to `to`.
    pub fn can_become(self, to: MbrStatus) -> bool {
        matches!(
            (self, to),
            (Self::Draft, Self::Effective)
                | (Self::Draft, Self::Retired)
                | (Self::Effective, Self::Superseded)
                | (Self::Effective, Self::Retired)
        )
    }

    /// The transition to `to`, or the error naming both states.
    pub fn transition(self, to: MbrStatus) -> Result<MbrStatus, DomainError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(DomainError::IllegalMbrTransition { from: self, to })
        }
    }
}

impl fmt::Display for MbrStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Approval of a draft version (R28, R44): the approver must not be its author.
/// Returns the new status. The approval signature itself is recorded by the
/// caller in the same transaction.
pub fn approve(current: MbrStatus, author: Uuid, approver: Uuid) -> Result<MbrStatus, DomainError> {
    crate::duties::check_approver(author, approver)?;
    current.transition(MbrStatus::Effective)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R28: an MBR version moves draft → effective → superseded only.
    #[test]
    fn r28_every_pair_of_statuses_is_allowed_or_refused_by_name() {
        let allowed = [
            (MbrStatus::Draft, MbrStatus::Effective),
            (MbrStatus::Draft, MbrStatus::Retired),
            (MbrStatus::Effective, MbrStatus::Superseded),
            (MbrStatus::Effective, MbrStatus::Retired),
        ];
        for from in MbrStatus::ALL {
            for to in MbrStatus::ALL {
                let result = from.transition(to);
                if allowed.contains(&(from, to)) {
                    assert_eq!(result, Ok(to));
                } else {
                    let err = result.unwrap_err();
                    assert_eq!(err, DomainError::IllegalMbrTransition { from, to });
                    let text = err.to_string();
                    assert!(
                        text.contains(from.as_str()) && text.contains(to.as_str()),
                        "{text}"
                    );
                }
            }
        }
    }

    /// R44 / R28: the author cannot approve their own MBR.
    #[test]
    fn r44_author_cannot_approve_own_mbr() {
        let author = Uuid::from_u128(1);
        let qa = Uuid::from_u128(2);
        assert_eq!(
            approve(MbrStatus::Draft, author, author),
            Err(DomainError::SelfApprovalForbidden)
        );
        assert_eq!(
            approve(MbrStatus::Draft, author, qa),
            Ok(MbrStatus::Effective)
        );
        assert!(approve(MbrStatus::Effective, author, qa).is_err());
    }
}
