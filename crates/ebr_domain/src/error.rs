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
    /// R20, R42: a person who recorded an entry of a step or signed it may
    /// not verify it.
    #[error("a person who recorded an entry of this step or signed it cannot verify it")]
    StepParticipantCannotVerify,
    /// R44: a person who ever owned, opened or investigated a deviation may
    /// not close it.
    #[error("a person who owned, opened or investigated a deviation cannot close it")]
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
    /// R19: the session ended (absolute lifetime, or idle too long).
    #[error("{}", if *idle { "your session timed out after inactivity; log in again" } else { "your session reached its maximum lifetime; log in again" })]
    SessionExpired {
        /// Ended by inactivity (otherwise by its absolute lifetime).
        idle: bool,
    },
    /// R18: the session's person was deactivated.
    #[error("this account is deactivated")]
    SessionAccountInactive,
    /// R18: the account is locked after repeated failed password checks.
    #[error("this account is locked after repeated failed password checks; an administrator must unlock it")]
    AccountLocked,
    /// R17, R18: a temporary or expired password is changed before anything else.
    #[error("change your temporary or expired password first: POST /api/v1/session/password")]
    PasswordChangeRequired,
    /// R10: signing waits for the acknowledged accountability statement.
    #[error("acknowledge the signature-accountability statement first: POST /api/v1/session/acknowledgment")]
    SignatureAcknowledgmentRequired,
    /// R15: signing waits for a second administrator's identity verification.
    #[error("your electronic signature is not enabled yet: a second administrator must record that your identity was verified")]
    IdentityNotVerified,
    /// R10: the acknowledgment names another statement than the current one.
    #[error("statement_sha256 does not match the current accountability statement; read it again from GET /api/v1/session")]
    StatementMismatch,
    /// R18: a new password equal to the current one.
    #[error("the new password must differ from the current one")]
    PasswordReused,
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
    /// R32: a QC result dated after the time it is recorded.
    #[error("the test time {tested_at} is after the time of entry: a result is recorded when it is known, never in advance")]
    QcTestedInFuture {
        /// The declared test time.
        tested_at: chrono::DateTime<chrono::Utc>,
    },
    /// A QC test key that is not on the batch's release panel.
    #[error("the release panel has no test `{0}`")]
    UnknownQcTest(String),
    /// A retest of another test or another batch.
    #[error("a retest must be of the same test of the same batch")]
    RetestMismatch,
    /// An invalidated QC result is not reviewed; its retest is.
    #[error("this result was invalidated; review its retest")]
    QcResultInvalidated,
    /// A QC result carries one second-analyst review.
    #[error("this result is already reviewed")]
    QcResultAlreadyReviewed,
    /// A QC result is invalidated once.
    #[error("this result is already invalidated")]
    QcResultAlreadyInvalidated,
    /// A change that must say why (invalidation, status change, reset…).
    #[error("{0} needs a reason")]
    ReasonRequired(String),
    /// R35: one batch record per batch number, whatever its case or spacing.
    #[error("batch {existing} already has a batch record; batch numbers are unique regardless of case and spacing (R35)")]
    BatchNumberTaken {
        /// The batch number already recorded.
        existing: String,
    },
    /// A batch needs its number and the WCB vial it is thawed from.
    #[error("a batch needs a batch number and the WCB vial it is thawed from")]
    BatchIdentityRequired,
    /// A manual deviation needs a title and a description.
    #[error("a deviation needs a title and a description")]
    DeviationTextRequired,
    /// A recording request without any value.
    #[error("send at least one field value")]
    NoValues,
    /// A computed field's value comes from its formula, never from a person.
    #[error("`{0}` is computed by the server from the values it reads; record those instead")]
    ComputedByServer(String),
    /// A computed field's formula cannot be evaluated with the values recorded.
    #[error(
        "`{field}` cannot be computed: {reason}. Nothing was stored; correct the value it reads"
    )]
    ComputationFailed {
        /// The computed field.
        field: String,
        /// Why (a division by zero, a result too large…).
        reason: String,
    },
    /// A rejection needs its reason.
    #[error("a rejection needs a reason (the signature comment)")]
    RejectionReasonRequired,
    /// Release is blocked by these findings (all of them, R38).
    #[error("release is blocked by {} finding(s): {}", findings.len(), findings.iter().map(|f| f.code).collect::<Vec<_>>().join(", "))]
    ReleaseBlocked {
        /// Every finding that blocks release.
        findings: Vec<crate::release::Finding>,
    },
    /// A lot needs its material code and lot number.
    #[error("a lot needs a material code and a lot number")]
    LotIdentityRequired,
    /// A lot is registered once.
    #[error("lot {lot} of {material} is already registered")]
    LotExists {
        /// The material code.
        material: String,
        /// The lot number.
        lot: String,
    },
    /// Equipment needs its asset code and type.
    #[error("equipment needs an asset code and a type")]
    EquipmentIdentityRequired,
    /// Equipment is registered once.
    #[error("equipment {0} is already registered")]
    EquipmentExists(String),
    /// Cell-bank lineage needs donor, iPSC line and MCB lot.
    #[error("lineage needs the donor, the iPSC line and the MCB lot")]
    LineageIncomplete,
    /// Not an ISBT 128 Donation Identification Number (R50).
    #[error("{din} is not an ISBT 128 Donation Identification Number: {why}")]
    DinInvalid {
        /// What was given.
        din: String,
        /// What is wrong with it.
        why: String,
    },
    /// The DIN's check character (ISO 7064 Mod 37-2) does not match its
    /// characters: one of them was misread or mistyped (R50).
    #[error("the check character of DIN {0} does not match its characters: read the label again and key the DIN with its boxed check character")]
    DinCheckCharacterWrong(String),
    /// A lot's lineage is recorded once.
    #[error("this lot's lineage is already recorded")]
    LineageExists,
    /// A person needs a full name.
    #[error("a person needs a full name (it is printed in every signature)")]
    FullNameRequired,
    /// R30: usernames are never reissued.
    #[error("username `{0}` has been used before and is never reissued (even after deactivation); choose another")]
    UsernameTaken(String),
    /// A deactivated account changes no further.
    #[error("{0} is deactivated; deactivated accounts keep their roles for the record")]
    AccountDeactivated(String),
    /// An account is deactivated once.
    #[error("{0} is already deactivated")]
    AlreadyDeactivated(String),
    /// R31: only an active administrator verifies identity.
    #[error("only an active administrator can record an identity verification")]
    IdentityVerifierNotAdmin,
    /// R31: identity is verified by a second administrator.
    #[error("identity must be verified by a second administrator: not the person, not the one who created the account")]
    IdentityVerifierNotIndependent,
    /// R31: an identity verification says how it was done.
    #[error("say how the identity was verified (e.g. \"passport checked in person\")")]
    IdentityMethodRequired,
    /// A deviation revision written against a revision that is no longer
    /// the newest (a colleague revised it in between).
    #[error("the deviation is at revision {current}, not {base}: a colleague revised it meanwhile; reload it and apply your change again")]
    DeviationRevisionStale {
        /// The newest revision.
        current: i32,
        /// The revision the change was based on.
        base: i32,
    },
    /// R7, R26: a signature meaning needs its role (QA reviews, the release
    /// authority releases).
    #[error("signing as {meaning} needs the {role} role")]
    SigningRoleMissing {
        /// The meaning requested.
        meaning: String,
        /// The role that signs with it.
        role: String,
    },
    /// R9: the actor is not trained (or no longer) for what they do.
    #[error("training not current for {activity}: {gaps}. Ask your trainer to record the training (or sign the read-and-understood record of the new MBR version) before you go on")]
    TrainingNotCurrent {
        /// The activity, in words.
        activity: String,
        /// Every gap: curricula missing, expired or waiting for a
        /// read-and-understood signature, skills no curriculum teaches.
        gaps: String,
    },
    /// A curriculum definition that cannot be used.
    #[error("curriculum invalid: {0}")]
    CurriculumInvalid(String),
    /// Curriculum codes are unique forever.
    #[error("a curriculum with code {0} already exists; curricula are never edited, give the new one its own code")]
    CurriculumCodeTaken(String),
    /// A training record is signed by the person it is about.
    #[error("this training record is about someone else; only the trainee signs it")]
    TrainingNotYours,
    /// A training record is signed once.
    #[error("this training record is already signed")]
    TrainingAlreadySigned,
    /// Nobody records their own training.
    #[error("a trainer cannot record their own training; another trainer records it")]
    TrainerCannotTrainSelf,
    /// A training record's dates must make sense.
    #[error("training dates invalid: {0}")]
    TrainingDatesInvalid(String),
    /// The site requires a second factor and the request carried no code.
    #[error("this site requires a second factor: send the 6-digit code of your authenticator app (`otp`) with your password")]
    SecondFactorRequired,
    /// The code did not match the enrolled authenticator.
    #[error("the authenticator code is wrong or out of date; nothing was signed")]
    SecondFactorInvalid,
    /// A code already used (no replay within its window).
    #[error("this authenticator code was already used; wait for the next code")]
    SecondFactorReused,
    /// The site requires a second factor and the person has none enrolled.
    #[error("this site requires a second factor and you have none enrolled: enrol an authenticator on your account page first")]
    SecondFactorNotEnrolled,
    /// A person has one active second factor; reset it first.
    #[error("a second factor is already enrolled; an administrator resets a lost one")]
    SecondFactorAlreadyEnrolled,
    /// A factor reset is asked for by one administrator and confirmed by
    /// another.
    #[error(
        "a second-factor reset needs a second administrator: one requests it, another confirms it"
    )]
    FactorResetNeedsSecondAdmin,
    /// An access-review period that does not make sense.
    #[error("access review period invalid: {0}")]
    AccessReviewPeriodInvalid(String),
    /// A donor is registered once per DIN.
    #[error("donor {0} is already registered")]
    DonorExists(String),
    /// A DIN that no registered donor carries.
    #[error("no donor with DIN {0} is registered; register the donor (Chain of identity → Donors) first")]
    DonorUnknown(String),
    /// An eligibility determination that is not complete enough to record.
    #[error("eligibility determination incomplete: {0}")]
    EligibilityIncomplete(String),
    /// A batch issued from a cell bank that is not qualified: every finding
    /// (lineage, donor eligibility, MCB and WCB release).
    #[error("the working cell bank is not qualified for manufacture: {}", findings.iter().map(|f| f.detail.as_str()).collect::<Vec<_>>().join("; "))]
    CellBankNotQualified {
        /// Every finding.
        findings: Vec<crate::release::Finding>,
    },
    /// A determination, decision or hand-over that is signed already.
    #[error("{0} is signed already; record a new one instead")]
    AlreadySigned(String),
    /// Labels come only from an effective MBR version's template (R49).
    #[error(
        "labels are printed only from an effective MBR version; this batch's version is {status}"
    )]
    LabelTemplateNotEffective {
        /// The MBR version's status.
        status: String,
    },
    /// Labels cannot be printed now.
    #[error("labels cannot be printed: {0}")]
    LabelsNotPrintable(String),
    /// A scanned code that is no label printed for this batch.
    #[error("{0} is not a label printed for this batch")]
    LabelUnknown(String),
    /// A label scanned against a vial it was not printed for.
    #[error("label {label} was printed for vial {expected}, not for {vial}: take the label off and destroy it")]
    LabelVialMismatch {
        /// The label number.
        label: i32,
        /// The vial it was printed for.
        expected: String,
        /// The vial it was scanned against.
        vial: String,
    },
    /// A label already applied or destroyed (a duplicate scan).
    #[error("label {label} is already {state}")]
    LabelAlreadyUsed {
        /// The label number.
        label: i32,
        /// applied or destroyed.
        state: String,
    },
    /// The labelling step is signed only when every label is accounted for.
    #[error("labels not reconciled: {printed} printed, {applied} applied, {destroyed} destroyed, {open} unaccounted for, {unlabelled} vial(s) without an applied label")]
    LabelsUnreconciled {
        /// Labels printed.
        printed: usize,
        /// Applied and verified.
        applied: usize,
        /// Destroyed with a reason.
        destroyed: usize,
        /// Neither.
        open: usize,
        /// Vials without an applied label.
        unlabelled: usize,
    },
    /// A storage location or position that does not exist or is malformed.
    #[error("storage: {0}")]
    StorageInvalid(String),
    /// A storage position holds one vial.
    #[error("position {position} already holds vial {serial}")]
    PositionOccupied {
        /// The position.
        position: String,
        /// The vial there.
        serial: String,
    },
    /// A storage event the vial's current place does not allow.
    #[error("vial {serial}: {why}")]
    VialStorageState {
        /// The vial.
        serial: String,
        /// Why not.
        why: String,
    },
    /// A vial that cannot be shipped.
    #[error("vial {serial} cannot be shipped: {why}")]
    VialNotShippable {
        /// The vial.
        serial: String,
        /// Why not.
        why: String,
    },
    /// A shipment action its state does not allow.
    #[error("shipment is {status}: cannot {action}")]
    ShipmentState {
        /// Its status.
        status: String,
        /// The action refused.
        action: String,
    },
    /// A temperature-logger file refused as a whole.
    #[error("temperature-logger file refused, line {line}: {why}; nothing was stored")]
    LoggerFileInvalid {
        /// The first wrong line (1-based).
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A vial that cannot be recorded as administered.
    #[error("vial {serial} cannot be administered: {why}")]
    VialNotAdministrable {
        /// The vial.
        serial: String,
        /// Why not.
        why: String,
    },
    /// R41: a batch record within its retention period is not purged.
    #[error("batch record {batch} is retained until {until} (R41); ebr keeps records append-only and never deletes them: archive its PDF/A record instead")]
    RetentionPeriodRunning {
        /// The batch number.
        batch: String,
        /// When the retention period ends, in words or as a date.
        until: String,
    },
    /// R41: ebr never deletes a record, even after its retention period.
    #[error("batch record {0} is past its retention period, but ebr keeps records append-only and never deletes them: archive its PDF/A record and retire the database under change control")]
    PurgeNotPermitted(String),
    /// R27: a serial that is no paper form of this batch and step.
    #[error("{0} is not a contingency form of this batch and step")]
    ContingencyFormUnknown(String),
    /// R27: a paper form is re-entered once.
    #[error("contingency form {0} was transcribed already; its values are in the record")]
    ContingencyFormTranscribed(String),
    /// A vial serial that no vial carries.
    #[error("no vial {0}")]
    VialUnknown(String),
    /// A number with more significant digits than the exact type keeps.
    #[error("`{text}` has more digits than can be kept exactly (at most {max_digits} significant digits and {max_scale} decimal places); round it as the instrument reports it")]
    NumberTooPrecise {
        /// The text as typed.
        text: String,
        /// The most significant digits kept.
        max_digits: u32,
        /// The most decimal places kept.
        max_scale: u32,
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
            Self::SessionExpired { .. } => "session_expired",
            Self::SessionAccountInactive => "account_deactivated",
            Self::AccountLocked => "account_locked",
            Self::PasswordChangeRequired => "password_change_required",
            Self::SignatureAcknowledgmentRequired => "signature_acknowledgment_required",
            Self::IdentityNotVerified => "identity_not_verified",
            Self::StatementMismatch => "statement_mismatch",
            Self::PasswordReused => "password_reused",
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
            Self::StepParticipantCannotVerify => "step_participant_cannot_verify",
            Self::QcTestedInFuture { .. } => "qc_tested_in_future",
            Self::UnknownQcTest(_) => "unknown_qc_test",
            Self::RetestMismatch => "retest_mismatch",
            Self::QcResultInvalidated => "qc_result_invalidated",
            Self::QcResultAlreadyReviewed => "qc_result_already_reviewed",
            Self::QcResultAlreadyInvalidated => "qc_result_already_invalidated",
            Self::ReasonRequired(_) => "reason_required",
            Self::BatchNumberTaken { .. } => "batch_number_taken",
            Self::BatchIdentityRequired => "batch_identity_required",
            Self::DeviationTextRequired => "deviation_text_required",
            Self::NoValues => "no_values",
            Self::RejectionReasonRequired => "rejection_reason_required",
            Self::ComputedByServer(_) => "computed_by_server",
            Self::ComputationFailed { .. } => "computation_failed",
            Self::ReleaseBlocked { .. } => "release_blocked",
            Self::LotIdentityRequired => "lot_identity_required",
            Self::LotExists { .. } => "lot_exists",
            Self::EquipmentIdentityRequired => "equipment_identity_required",
            Self::EquipmentExists(_) => "equipment_exists",
            Self::LineageIncomplete => "lineage_incomplete",
            Self::LineageExists => "lineage_exists",
            Self::DinInvalid { .. } => "din_invalid",
            Self::DinCheckCharacterWrong(_) => "din_check_character",
            Self::FullNameRequired => "full_name_required",
            Self::UsernameTaken(_) => "username_taken",
            Self::AccountDeactivated(_) => "deactivated_account_frozen",
            Self::AlreadyDeactivated(_) => "already_deactivated",
            Self::IdentityVerifierNotAdmin => "identity_verifier_not_admin",
            Self::IdentityVerifierNotIndependent => "identity_verifier_not_independent",
            Self::IdentityMethodRequired => "identity_method_required",
            Self::NumberTooPrecise { .. } => "number_too_precise",
            Self::DeviationRevisionStale { .. } => "deviation_revision_stale",
            Self::SigningRoleMissing { .. } => "role_forbidden",
            Self::TrainingNotCurrent { .. } => "training_not_current",
            Self::CurriculumInvalid(_) => "curriculum_invalid",
            Self::CurriculumCodeTaken(_) => "curriculum_code_taken",
            Self::TrainingNotYours => "training_not_yours",
            Self::TrainingAlreadySigned => "training_already_signed",
            Self::TrainerCannotTrainSelf => "trainer_cannot_train_self",
            Self::TrainingDatesInvalid(_) => "training_dates_invalid",
            Self::SecondFactorRequired => "second_factor_required",
            Self::SecondFactorInvalid => "second_factor_invalid",
            Self::SecondFactorReused => "second_factor_reused",
            Self::SecondFactorNotEnrolled => "second_factor_not_enrolled",
            Self::SecondFactorAlreadyEnrolled => "second_factor_already_enrolled",
            Self::FactorResetNeedsSecondAdmin => "factor_reset_needs_second_admin",
            Self::AccessReviewPeriodInvalid(_) => "access_review_period_invalid",
            Self::DonorExists(_) => "donor_exists",
            Self::DonorUnknown(_) => "donor_unknown",
            Self::EligibilityIncomplete(_) => "eligibility_incomplete",
            Self::CellBankNotQualified { .. } => "cell_bank_not_qualified",
            Self::AlreadySigned(_) => "already_signed",
            Self::LabelTemplateNotEffective { .. } => "label_template_not_effective",
            Self::LabelsNotPrintable(_) => "labels_not_printable",
            Self::LabelUnknown(_) => "label_unknown",
            Self::LabelVialMismatch { .. } => "label_vial_mismatch",
            Self::LabelAlreadyUsed { .. } => "label_already_used",
            Self::LabelsUnreconciled { .. } => "labels_unreconciled",
            Self::StorageInvalid(_) => "storage_invalid",
            Self::PositionOccupied { .. } => "position_occupied",
            Self::VialStorageState { .. } => "vial_storage_state",
            Self::VialNotShippable { .. } => "vial_not_shippable",
            Self::ShipmentState { .. } => "shipment_state",
            Self::LoggerFileInvalid { .. } => "logger_file_invalid",
            Self::VialNotAdministrable { .. } => "vial_not_administrable",
            Self::VialUnknown(_) => "vial_unknown",
            Self::ContingencyFormUnknown(_) => "contingency_form_unknown",
            Self::ContingencyFormTranscribed(_) => "contingency_form_transcribed",
            Self::RetentionPeriodRunning { .. } => "retention_period_running",
            Self::PurgeNotPermitted(_) => "purge_not_permitted",
        }
    }
}
