//! The single error type of the web layer, answered as
//! `application/problem+json` (RFC 9457).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use ebr_db::DbError;
use ebr_domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document. `code` is a stable machine-readable name of
/// the rule or condition; `type` is the same code as a URN.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:ebr:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened and what to do, in one sentence.
    pub detail: String,
    /// The stable rule or condition code, e.g. `self_approval_forbidden`.
    pub code: String,
    /// Every individual problem, where there are several (e.g. MBR validation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemItem>,
}

/// One located problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemItem {
    /// The finding's code, where it has one (e.g. `deviation_open`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Where, e.g. `stages[3].steps[2].fields[1].action`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A domain rule refused the action.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The persistence layer failed or refused.
    #[error(transparent)]
    Db(DbError),
    /// Not authenticated, or the credentials are wrong (401).
    #[error("{detail}")]
    Unauthorized {
        /// Stable code.
        code: &'static str,
        /// What to do.
        detail: String,
    },
    /// Authenticated but not allowed (403).
    #[error("{detail}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Why not.
        detail: String,
    },
    /// The request is well-formed but its content is refused (422).
    #[error("{detail}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        detail: String,
        /// Each located problem.
        problems: Vec<ProblemItem>,
    },
    /// The request cannot be read (400).
    #[error("{detail}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// No such resource or route.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The request body is larger than the server accepts; nothing was read or stored.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The database is down or the schema is not current.
    #[error("{0}")]
    NotReady(String),
    /// A bug or an unexpected condition; logged once, here, at the boundary.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The one status table of refusals: a forbidden actor (segregation of
/// duties, identity) is 403, a state that does not allow the action is 409,
/// a missing or invalid input is 422. Exhaustive: a new rule does not
/// compile until it has its status.
fn domain_status(e: &DomainError) -> StatusCode {
    use DomainError::*;
    match e {
        SelfApprovalForbidden
        | PerformerCannotVerify
        | ParticipantCannotReview
        | ParticipantCannotRelease
        | DeviationOwnerCannotClose
        | StepParticipantCannotVerify
        | SignerNotSessionUser
        | AnalystCannotReview
        | IdentityVerifierNotAdmin
        | IdentityVerifierNotIndependent
        | SigningRoleMissing { .. }
        | TrainingNotCurrent { .. }
        | TrainingNotYours
        | TrainerCannotTrainSelf
        | SecondFactorNotEnrolled
        | FactorResetNeedsSecondAdmin => StatusCode::FORBIDDEN,
        CurriculumCodeTaken(_) | TrainingAlreadySigned | SecondFactorAlreadyEnrolled => {
            StatusCode::CONFLICT
        }
        CurriculumInvalid(_) | TrainingDatesInvalid(_) | AccessReviewPeriodInvalid(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        TwoComponentsRequired
        | SessionExpired { .. }
        | SessionAccountInactive
        | AccountLocked
        | SecondFactorRequired
        | SecondFactorInvalid
        | SecondFactorReused => StatusCode::UNAUTHORIZED,
        PasswordChangeRequired | SignatureAcknowledgmentRequired | IdentityNotVerified => {
            StatusCode::FORBIDDEN
        }
        StatementMismatch | PasswordReused => StatusCode::UNPROCESSABLE_ENTITY,
        IllegalBatchTransition { .. }
        | IllegalMbrTransition { .. }
        | StepOutOfSequence { .. }
        | StepAlreadySigned { .. }
        | FieldAlreadyRecorded { .. }
        | EntryAlreadyCorrected
        | BatchClosed { .. }
        | ReleaseBlocked { .. }
        | StepNotPerformed(_)
        | MbrNotEffective { .. }
        | DeviationClosed
        | QcResultInvalidated
        | QcResultAlreadyReviewed
        | QcResultAlreadyInvalidated
        | BatchNumberTaken { .. }
        | LotExists { .. }
        | EquipmentExists(_)
        | LineageExists
        | DonorExists(_)
        | ContingencyFormTranscribed(_)
        | RetentionPeriodRunning { .. }
        | PurgeNotPermitted(_)
        | CellBankNotQualified { .. }
        | AlreadySigned(_)
        | LabelTemplateNotEffective { .. }
        | LabelsNotPrintable(_)
        | LabelAlreadyUsed { .. }
        | LabelsUnreconciled { .. }
        | PositionOccupied { .. }
        | VialStorageState { .. }
        | VialNotShippable { .. }
        | ShipmentState { .. }
        | VialNotAdministrable { .. }
        | UsernameTaken(_)
        | AccountDeactivated(_)
        | AlreadyDeactivated(_)
        | DeviationRevisionStale { .. } => StatusCode::CONFLICT,
        UnknownStep(_) | UnknownQcTest(_) => StatusCode::NOT_FOUND,
        InvalidValue { .. }
        | UnknownField { .. }
        | MissingRequiredFields { .. }
        | CorrectionReasonRequired
        | LateEntryReasonRequired { .. }
        | ActivityInFuture
        | MaterialNotOnBom { .. }
        | LotNotReleased { .. }
        | LotExpired { .. }
        | LotUnknown(_)
        | EquipmentUnknown(_)
        | WrongEquipmentType { .. }
        | EquipmentOutOfService(_)
        | CalibrationOverdue { .. }
        | VerificationNotRequired(_)
        | DeviationIncomplete(_)
        | QcTestedInFuture { .. }
        | RetestMismatch
        | ReasonRequired(_)
        | BatchIdentityRequired
        | DeviationTextRequired
        | NoValues
        | RejectionReasonRequired
        | LotIdentityRequired
        | EquipmentIdentityRequired
        | LineageIncomplete
        | DinInvalid { .. }
        | DinCheckCharacterWrong(_)
        | DonorUnknown(_)
        | ContingencyFormUnknown(_)
        | EligibilityIncomplete(_)
        | LabelUnknown(_)
        | LabelVialMismatch { .. }
        | StorageInvalid(_)
        | LoggerFileInvalid { .. }
        | VialUnknown(_)
        | FullNameRequired
        | IdentityMethodRequired
        | NumberTooPrecise { .. }
        | ComputedByServer(_)
        | ComputationFailed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        UnknownUnit(_)
        | UnitMismatch { .. }
        | NotANumber(_)
        | UnknownRole(_)
        | AdminCannotHoldGmpRole
        | NoRoles
        | InvalidUsername(_)
        | GenericAccountForbidden(_)
        | PasswordTooShort { .. }
        | PasswordContainsUsername
        | MeaningNotAllowed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<DbError> for ApiError {
    /// PostgreSQL cannot store a NUL character in text; a request carrying
    /// one (in a name, a reason, a lot number…) is the client's mistake, so it
    /// becomes a 400 that says so, not a 500. A reference to a record that
    /// does not exist (a foreign key refused it) is a 404. A connection lost mid-request
    /// (PostgreSQL restarting) becomes a 503, like a pool that cannot
    /// connect. Either way the transaction rolled back.
    fn from(e: DbError) -> Self {
        if e.is_nul_character() {
            ApiError::BadRequest {
                code: "invalid_character",
                detail: "the request contains a NUL character (U+0000), which cannot be stored; remove it and send again. Nothing was stored.".into(),
            }
        } else if let Some(missing) = e.missing_reference() {
            ApiError::NotFound(format!(
                "the request refers to a {missing} that does not exist; nothing was stored"
            ))
        } else if e.is_connection_lost() {
            ApiError::Db(DbError::Unavailable(e.to_string()))
        } else {
            ApiError::Db(e)
        }
    }
}

impl ApiError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Domain(e) | ApiError::Db(DbError::Domain(e)) => e.rule(),
            ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::Invalid { code, .. }
            | ApiError::BadRequest { code, .. } => code,
            ApiError::Db(DbError::Unavailable(_)) | ApiError::NotReady(_) => "service_unavailable",
            ApiError::Db(DbError::NotFound(_)) | ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Db(_) | ApiError::Internal(_) => "internal_error",
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            ApiError::Db(DbError::Unavailable(_)) => {
                "The database is unavailable; retry in a moment. Nothing was stored.".to_string()
            }
            ApiError::Db(DbError::Query(_) | DbError::Migration(_) | DbError::Integrity(_))
            | ApiError::Internal(_) => {
                "An unexpected error occurred; nothing was stored. The server log has the details."
                    .to_string()
            }
            other => other.to_string(),
        };
        let problems = match self {
            ApiError::Invalid { problems, .. } => problems.clone(),
            ApiError::Domain(
                DomainError::ReleaseBlocked { findings }
                | DomainError::CellBankNotQualified { findings },
            )
            | ApiError::Db(DbError::Domain(
                DomainError::ReleaseBlocked { findings }
                | DomainError::CellBankNotQualified { findings },
            )) => findings
                .iter()
                .map(|f| ProblemItem {
                    code: Some(f.code.to_string()),
                    path: f.subject.clone(),
                    message: f.detail.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:ebr:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: self.code().to_string(),
            problems,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Domain(e) | ApiError::Db(DbError::Domain(e)) => domain_status(e),
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Db(DbError::NotFound(_)) | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Db(DbError::Unavailable(_)) | ApiError::NotReady(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Db(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let mut response = HttpResponse::build(status)
            .content_type("application/problem+json")
            .json(self.problem());
        if status.is_client_error() {
            response
                .extensions_mut()
                .insert(crate::refusals::RefusedWith {
                    rule: self.code(),
                    detail: self.to_string(),
                });
        }
        response
    }
}
