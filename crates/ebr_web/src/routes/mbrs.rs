//! `/api/v1/mbrs`: master batch records, their import and approval.

use actix_web::{web, HttpRequest, HttpResponse};
use ebr_db::repo::mbr::{self, ImportOutcome, MbrVersionRow};
use ebr_db::repo::{person_actor, signatures};
use ebr_domain::mbr::{parse_toml, validate, MasterBatchRecord, MbrStatus};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::SignatureRequest;
use crate::auth::signature::{sign as ceremony, SigningTarget};
use crate::blocking;
use crate::error::{ApiError, Problem, ProblemItem};
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;
use ebr_domain::signing::SignedRecordKind;

/// An MBR version in a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct MbrSummary {
    /// Version id.
    pub id: Uuid,
    /// MBR code.
    pub code: String,
    /// Version number.
    pub version: i32,
    /// Title.
    pub title: String,
    /// Product code.
    pub product_code: String,
    /// draft, effective, superseded or retired.
    pub status: String,
    /// SHA-256 of the canonical content.
    pub content_sha256: String,
    /// Import time (UTC).
    pub created_at: String,
    /// Author (actor).
    pub created_by: String,
}

fn summary(row: MbrVersionRow, status: MbrStatus) -> MbrSummary {
    MbrSummary {
        id: row.id,
        code: row.code,
        version: row.version,
        title: row.title,
        product_code: row.product_code,
        status: status.as_str().into(),
        content_sha256: row.content_sha256,
        created_at: utc(row.created_at),
        created_by: row.created_by,
    }
}

/// Every MBR version with its status.
#[utoipa::path(get, path = "/api/v1/mbrs", tag = "mbrs", responses((status = 200, body = Vec<MbrSummary>)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(summaries(&state).await?))
}

/// Every MBR version with its status.
pub async fn summaries(state: &AppState) -> Result<Vec<MbrSummary>, ApiError> {
    let rows = blocking::db(&state.pool, mbr::list).await?;
    Ok(rows.into_iter().map(|(r, s)| summary(r, s)).collect())
}

/// One MBR version, its content and its signatures.
#[derive(Debug, Serialize, ToSchema)]
pub struct MbrDetail {
    /// The version.
    #[serde(flatten)]
    pub summary: MbrSummary,
    /// The whole MBR (stages, steps, fields, release panel).
    #[schema(value_type = Object)]
    pub content: MasterBatchRecord,
    /// Signatures on this version (the approval).
    pub signatures: Vec<SignatureView>,
}

/// One MBR version with content and signatures.
#[utoipa::path(get, path = "/api/v1/mbrs/{id}", tag = "mbrs", params(("id" = Uuid, Path, description = "MBR version id")),
    responses((status = 200, body = MbrDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_detail(&state, id.into_inner()).await?))
}

/// One MBR version with its content and signatures (404 when unknown).
pub async fn load_detail(state: &AppState, id: Uuid) -> Result<MbrDetail, ApiError> {
    let (row, content, status, sigs) = blocking::db(&state.pool, move |conn| {
        let (row, content) = mbr::load(conn, id)?;
        let status = mbr::current_status(conn, id)?;
        let sigs = signatures::for_record(conn, mbr::MBR_RECORD_TYPE, &id.to_string())?;
        Ok((row, content, status, sigs))
    })
    .await?;
    Ok(MbrDetail {
        summary: summary(row, status),
        content,
        signatures: sigs.into_iter().map(SignatureView::from).collect(),
    })
}

fn parse_body(req: &HttpRequest, body: &[u8]) -> Result<MasterBatchRecord, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::BadRequest {
        code: "invalid_encoding",
        detail: "the MBR must be UTF-8 text".into(),
    })?;
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let parsed = if content_type.starts_with("application/json") {
        serde_json::from_str::<MasterBatchRecord>(text)
            .map_err(|e| {
                vec![ebr_domain::mbr::Problem {
                    path: format!("line {}, column {}", e.line(), e.column()),
                    message: e.to_string(),
                }]
            })
            .and_then(|m| {
                let problems = validate(&m);
                if problems.is_empty() {
                    Ok(m)
                } else {
                    Err(problems)
                }
            })
    } else {
        parse_toml(text)
    };
    parsed.map_err(|problems| ApiError::Invalid {
        code: "mbr_invalid",
        detail: format!(
            "the MBR has {} problem(s); nothing was stored",
            problems.len()
        ),
        problems: problems
            .into_iter()
            .map(|p| ProblemItem {
                code: None,
                path: p.path,
                message: p.message,
            })
            .collect(),
    })
}

/// Import an MBR (TOML as in `fixtures/`, or the same structure as JSON with
/// `Content-Type: application/json`) as a new draft version. Every problem is
/// listed; a refused MBR stores nothing.
#[utoipa::path(post, path = "/api/v1/mbrs", tag = "mbrs",
    request_body(content = String, content_type = "application/toml", description = "the MBR file"),
    responses(
        (status = 201, body = MbrSummary, description = "stored as a new draft version"),
        (status = 200, body = MbrSummary, description = "identical content already stored; nothing new"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "mbr_invalid, with every problem and its path"),
    ))]
pub async fn import(
    state: web::Data<AppState>,
    author: Authenticated,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let mbr = parse_body(&req, &body)?;
    let actor = person_actor(author.person.person.id);
    let now = state.clock.now();
    let outcome = blocking::db(&state.pool, move |conn| {
        let outcome = mbr::import_draft(conn, &mbr, &actor, now)?;
        let id = match &outcome {
            ImportOutcome::Created(r) | ImportOutcome::AlreadyPresent(r) => r.id,
        };
        Ok((outcome, mbr::current_status(conn, id)?))
    })
    .await?;
    Ok(match outcome {
        (ImportOutcome::Created(row), status) => HttpResponse::Created().json(summary(row, status)),
        (ImportOutcome::AlreadyPresent(row), status) => {
            HttpResponse::Ok().json(summary(row, status))
        }
    })
}

/// The outcome of an approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalView {
    /// The `approved` signature.
    pub signature: SignatureView,
    /// Earlier effective versions now superseded.
    pub superseded: Vec<Uuid>,
}

/// Sign an MBR version. Meaning `approved`, by a qa_reviewer who is not its
/// author, makes it effective and supersedes the previous effective version
/// of the same code (R28, R44); the approval is the signature itself.
#[utoipa::path(post, path = "/api/v1/mbrs/{id}/signatures", tag = "mbrs", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "MBR version id")),
    responses(
        (status = 201, body = ApprovalView),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "password_incorrect, two_components_required, account_locked"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "self_approval_forbidden, signer_not_session_user, signature_acknowledgment_required, identity_not_verified"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_mbr_transition (not a draft)"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "meaning_not_allowed"),
    ))]
pub async fn sign(
    state: web::Data<AppState>,
    signer: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // The version must exist before anyone is asked for a password.
    blocking::db(&state.pool, move |conn| mbr::current_status(conn, id)).await?;
    let target = SigningTarget::on_system_chain(
        SignedRecordKind::MbrVersion,
        "mbr.approve",
        "mbr_version",
        mbr::MBR_RECORD_TYPE,
        id.to_string(),
    );
    let approval = ceremony(
        &state,
        &signer,
        body.into_inner(),
        target,
        move |conn, s| mbr::approve(conn, id, &s.signatory),
    )
    .await?;
    Ok(HttpResponse::Created().json(ApprovalView {
        signature: approval.signature.into(),
        superseded: approval.superseded,
    }))
}
