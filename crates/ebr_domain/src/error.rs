//! The single error type of the domain layer.

use thiserror::Error;

/// Every refusal of a domain rule. Each variant names the rule it enforces, and
/// [`DomainError::rule`] gives a stable machine-readable code for it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A unit symbol that is not in the unit table.
    #[error("unknown unit `{0}`")]
    UnknownUnit(String),
    /// A quantity in one dimension compared with a limit in another.
    #[error("unit `{given}` cannot be converted to `{expected}`")]
    UnitMismatch {
        /// The unit the value was given in.
        given: String,
        /// The unit the field or specification is defined in.
        expected: String,
    },
    /// Text that is not a decimal number.
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// A batch lifecycle transition that the state machine does not allow.
    #[error("a batch cannot go from {from} to {to}")]
    IllegalBatchTransition {
        /// The state the batch is in.
        from: crate::batch_state::BatchStatus,
        /// The state that was requested.
        to: crate::batch_state::BatchStatus,
    },
    /// An MBR lifecycle transition that is not allowed.
    #[error("a master batch record cannot go from {from} to {to}")]
    IllegalMbrTransition {
        /// The current status of the MBR version.
        from: crate::mbr::MbrStatus,
        /// The requested status.
        to: crate::mbr::MbrStatus,
    },
    /// R28/R44: the author of an MBR version may not approve it.
    #[error("the author of a master batch record cannot approve it")]
    SelfApprovalForbidden,
}

impl DomainError {
    /// A stable, machine-readable name of the rule that refused the action
    /// (used as the problem `type` at the HTTP edge).
    pub fn rule(&self) -> &'static str {
        match self {
            Self::UnknownUnit(_) => "unknown_unit",
            Self::UnitMismatch { .. } => "unit_mismatch",
            Self::NotANumber(_) => "not_a_number",
            Self::IllegalBatchTransition { .. } => "illegal_batch_transition",
            Self::IllegalMbrTransition { .. } => "illegal_mbr_transition",
            Self::SelfApprovalForbidden => "self_approval_forbidden",
        }
    }
}
