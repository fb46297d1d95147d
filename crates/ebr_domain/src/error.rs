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
    /// R42: a step's performer may not verify it.
    #[error("the person who performed a step cannot verify it")]
    PerformerCannotVerify,
    /// R43: a QA reviewer took part in the batch.
    #[error("a person who executed or verified any step of the batch cannot review it")]
    ParticipantCannotReview,
    /// R43: a release authority took part in the batch.
    #[error("a person who executed, verified or reviewed the batch cannot release or reject it")]
    ParticipantCannotRelease,
    /// R44: a deviation's owner may not close it.
    #[error("the owner of a deviation cannot close it")]
    DeviationOwnerCannotClose,
    /// A role name that does not exist.
    #[error("unknown role `{0}`; roles are operator, qc_analyst, qa_reviewer, release_authority, mbr_author, auditor, admin")]
    UnknownRole(String),
    /// R31: administrators hold no GMP role.
    #[error(
        "an administrator cannot hold a GMP role (operator, QC, QA, release, author, auditor)"
    )]
    AdminCannotHoldGmpRole,
    /// A person needs at least one role.
    #[error("a person needs at least one role")]
    NoRoles,
    /// A malformed username.
    #[error("username `{0}` is invalid: use 3-32 characters a-z, 0-9, '.', '_' or '-', starting with a letter")]
    InvalidUsername(String),
    /// R30: shared or generic accounts are not allowed.
    #[error(
        "`{0}` looks like a shared or generic account; every account belongs to one named person"
    )]
    GenericAccountForbidden(String),
    /// Password shorter than the minimum.
    #[error("the password must have at least {min} characters")]
    PasswordTooShort {
        /// Minimum length.
        min: usize,
    },
    /// Password containing the username.
    #[error("the password must not contain the username")]
    PasswordContainsUsername,
    /// R16: the first signature of a session period needs username and password.
    #[error("this signature needs both your username and your password (first signature of the session, or after an idle lock)")]
    TwoComponentsRequired,
    /// R17: a person signs only as themselves.
    #[error("you can only sign as yourself: the username does not match the logged-in person")]
    SignerNotSessionUser,
    /// A value that does not fit its field.
    #[error("invalid value for field `{field}`: {reason}")]
    InvalidValue {
        /// The field key.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A step key that is not in the MBR.
    #[error("the MBR has no step `{0}`")]
    UnknownStep(String),
    /// A field key that is not in the step.
    #[error("step `{step}` has no field `{field}`")]
    UnknownField {
        /// The step.
        step: String,
        /// The field.
        field: String,
    },
    /// R6: work on a step before the earlier steps are complete.
    #[error("step `{step}` is out of sequence: the current step is `{expected}`")]
    StepOutOfSequence {
        /// The step attempted.
        step: String,
        /// The step that must be completed first.
        expected: String,
    },
    /// R36: required fields missing at signing.
    #[error("step `{step}` cannot be signed: required field(s) without a value: {}", fields.join(", "))]
    MissingRequiredFields {
        /// The step.
        step: String,
        /// The missing field keys.
        fields: Vec<String>,
    },
    /// A step already carries this signature.
    #[error("step `{step}` is already signed as {meaning}")]
    StepAlreadySigned {
        /// The step.
        step: String,
        /// The meaning.
        meaning: String,
    },
    /// Verification before the step was performed.
    #[error("step `{0}` has not been signed as performed yet")]
    StepNotPerformed(String),
    /// Verification of a non-critical step.
    #[error("step `{0}` is not critical and takes no verification")]
    VerificationNotRequired(String),
    /// A field that already has a value (change it with a correction).
    #[error("field `{field}` of step `{step}` already has a value; change it with a correction (with a reason)")]
    FieldAlreadyRecorded {
        /// The step.
        step: String,
        /// The field.
        field: String,
    },
    /// R24: a correction needs a reason.
    #[error("a correction needs a reason")]
    CorrectionReasonRequired,
    /// An entry that was already corrected.
    #[error("this entry was already corrected; correct the newest value instead")]
    EntryAlreadyCorrected,
    /// R33: a late entry needs a reason.
    #[error(
        "the activity is {minutes} minutes before the time of entry: a late entry needs a reason"
    )]
    LateEntryReasonRequired {
        /// How late, in minutes.
        minutes: i64,
    },
    /// A declared activity time in the future.
    #[error("the activity time is in the future")]
    ActivityInFuture,
    /// R37: a lot of another material than the field's.
    #[error(
        "lot {lot} is {material}, not {expected} (the material on this step's bill of materials)"
    )]
    MaterialNotOnBom {
        /// The lot number.
        lot: String,
        /// Its material.
        material: String,
        /// The material the field needs.
        expected: String,
    },
    /// R37: a lot that is not released.
    #[error("lot {lot} is {status}, not released")]
    LotNotReleased {
        /// The lot number.
        lot: String,
        /// Its status.
        status: String,
    },
    /// R37: an expired lot.
    #[error("lot {lot} expired at {expired_at}")]
    LotExpired {
        /// The lot number.
        lot: String,
        /// Its expiry.
        expired_at: chrono::DateTime<chrono::Utc>,
    },
    /// R37: a lot number that is not registered.
    #[error("lot {0} is not registered")]
    LotUnknown(String),
    /// R8: equipment that is not registered.
    #[error("equipment {0} is not registered")]
    EquipmentUnknown(String),
    /// R8: equipment of another type.
    #[error("equipment {code} is a {actual}, not a {expected}")]
    WrongEquipmentType {
        /// Asset code.
        code: String,
        /// Its type.
        actual: String,
        /// The type required.
        expected: String,
    },
    /// R8: equipment out of service.
    #[error("equipment {0} is out of service")]
    EquipmentOutOfService(String),
    /// R8: overdue calibration.
    #[error("equipment {code} is overdue for calibration (due {due})")]
    CalibrationOverdue {
        /// Asset code.
        code: String,
        /// When calibration was due.
        due: chrono::DateTime<chrono::Utc>,
    },
    /// R39: the batch no longer accepts changes.
    #[error("the batch is {status}: it accepts no further changes")]
    BatchClosed {
        /// The batch status.
        status: String,
    },
    /// R35: batches come only from effective MBR versions.
    #[error("a batch can only be issued from an effective MBR version; this version is {status}")]
    MbrNotEffective {
        /// The version's status.
        status: String,
    },
    /// The analyst who entered a QC result may not review it.
    #[error("the analyst who entered a QC result cannot review it")]
    AnalystCannotReview,
    /// A closed deviation never changes.
    #[error("the deviation is closed; it cannot change")]
    DeviationClosed,
    /// A deviation closed before its investigation is complete.
    #[error("the deviation cannot be closed yet: missing {0}")]
    DeviationIncomplete(String),
    /// A meaning that does not apply to the record.
    #[error("a {record} cannot be signed with the meaning `{meaning}`")]
    MeaningNotAllowed {
        /// The meaning requested.
        meaning: String,
        /// The record type.
        record: String,
    },
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
            Self::PerformerCannotVerify => "performer_cannot_verify",
            Self::ParticipantCannotReview => "participant_cannot_review",
            Self::ParticipantCannotRelease => "participant_cannot_release",
            Self::DeviationOwnerCannotClose => "deviation_owner_cannot_close",
            Self::UnknownRole(_) => "unknown_role",
            Self::AdminCannotHoldGmpRole => "admin_cannot_hold_gmp_role",
            Self::NoRoles => "no_roles",
            Self::InvalidUsername(_) => "invalid_username",
            Self::GenericAccountForbidden(_) => "generic_account_forbidden",
            Self::PasswordTooShort { .. } => "password_too_short",
            Self::PasswordContainsUsername => "password_contains_username",
            Self::TwoComponentsRequired => "two_components_required",
            Self::SignerNotSessionUser => "signer_not_session_user",
            Self::MeaningNotAllowed { .. } => "meaning_not_allowed",
            Self::DeviationClosed => "deviation_closed",
            Self::AnalystCannotReview => "analyst_cannot_review",
            Self::DeviationIncomplete(_) => "deviation_incomplete",
            Self::InvalidValue { .. } => "invalid_value",
            Self::UnknownStep(_) => "unknown_step",
            Self::UnknownField { .. } => "unknown_field",
            Self::StepOutOfSequence { .. } => "step_out_of_sequence",
            Self::MissingRequiredFields { .. } => "missing_required_fields",
            Self::StepAlreadySigned { .. } => "step_already_signed",
            Self::StepNotPerformed(_) => "step_not_performed",
            Self::VerificationNotRequired(_) => "verification_not_required",
            Self::FieldAlreadyRecorded { .. } => "field_already_recorded",
            Self::CorrectionReasonRequired => "correction_reason_required",
            Self::EntryAlreadyCorrected => "entry_already_corrected",
            Self::LateEntryReasonRequired { .. } => "late_entry_reason_required",
            Self::ActivityInFuture => "activity_in_future",
            Self::MaterialNotOnBom { .. } => "material_not_on_bom",
            Self::LotNotReleased { .. } => "lot_not_released",
            Self::LotExpired { .. } => "lot_expired",
            Self::LotUnknown(_) => "lot_unknown",
            Self::EquipmentUnknown(_) => "equipment_unknown",
            Self::WrongEquipmentType { .. } => "wrong_equipment_type",
            Self::EquipmentOutOfService(_) => "equipment_out_of_service",
            Self::CalibrationOverdue { .. } => "calibration_overdue",
            Self::BatchClosed { .. } => "batch_closed",
            Self::MbrNotEffective { .. } => "mbr_not_effective",
        }
    }
}
