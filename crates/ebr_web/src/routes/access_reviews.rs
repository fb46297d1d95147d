//! `/api/v1/access-reviews`: QA generates the periodic access review of a
//! period (stored with its report), signs it (meaning `reviewed`), and
//! anyone reviewing access downloads it as a PDF.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use ebr_db::repo::access_review as repo;
use ebr_db::repo::person_actor;
use ebr_domain::access_review::DEFAULT_DORMANT_DAYS;
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::signing::SignedRecordKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::{sign as ceremony, SignatureRequest, SigningTarget};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;

/// A stored access review.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewView {
    /// Id.
    pub id: Uuid,
    /// First day of the period (UTC).
    pub period_from: String,
    /// Last day of the period (UTC).
    pub period_to: String,
    /// When it was generated (UTC).
    pub generated_at: String,
    /// SHA-256 of the report.
    pub report_sha256: String,
    /// How many findings it flags.
    pub findings: usize,
    /// The report.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    /// QA's signatures on it.
    pub signatures: Vec<SignatureView>,
}

/// The view of a stored review and its signatures.
pub fn view(
    row: repo::AccessReviewRow,
    signatures: Vec<ebr_domain::signature::SignatureManifest>,
) -> AccessReviewView {
    let report: serde_json::Value = serde_json::from_str(&row.report).unwrap_or_default();
    AccessReviewView {
        id: row.id,
        period_from: row.period_from.to_string(),
        period_to: row.period_to.to_string(),
        generated_at: utc(row.generated_at),
        report_sha256: row.report_sha256,
        findings: report
            .get("findings")
            .and_then(serde_json::Value::as_array)
            .map_or(0, Vec::len),
        report,
        signatures: signatures.into_iter().map(SignatureView::from).collect(),
    }
}

/// Every stored access review, newest first.
#[utoipa::path(get, path = "/api/v1/access-reviews", tag = "access", responses((status = 200, body = Vec<AccessReviewView>)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = blocking::db(&state.pool, repo::list).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(|(row, sigs)| view(row, sigs))
            .collect::<Vec<_>>(),
    ))
}

/// The period to review.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateReview {
    /// First day (UTC), e.g. `2026-10-01`.
    #[schema(value_type = String)]
    pub from: NaiveDate,
    /// Last day (UTC).
    #[schema(value_type = String)]
    pub to: NaiveDate,
    /// Dormant after this many days without a login (default 60).
    #[serde(default)]
    pub dormant_days: Option<i64>,
}

/// Generate and store the access review of a period, for QA to sign.
#[utoipa::path(post, path = "/api/v1/access-reviews", tag = "access", request_body = GenerateReview, responses(
    (status = 201, body = AccessReviewView),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "access_review_period_invalid"),
))]
pub async fn generate(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<GenerateReview>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let second_factor = state.security.second_factor.at_signing();
    let a = actor.clone();
    let result = blocking::db(&state.pool, move |conn| {
        let report = repo::report(
            conn,
            body.from,
            body.to,
            body.dormant_days.unwrap_or(DEFAULT_DORMANT_DAYS).max(1),
            second_factor,
            now,
        )?;
        repo::store(conn, &report, &a, now)
    })
    .await;
    let row = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "access_review.generate",
        "access_review",
        "new",
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(view(row, Vec::new())))
}

/// The review as an archival PDF (PDF/A-3b, the report embedded), with
/// QA's signatures.
#[utoipa::path(get, path = "/api/v1/access-reviews/{id}/pdf", tag = "access",
    params(("id" = Uuid, Path, description = "access review id")),
    responses((status = 200, content_type = "application/pdf", description = "the PDF"), (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found")))]
pub async fn pdf(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (row, sigs) = blocking::db(&state.pool, move |conn| {
        let row = repo::find(conn, id)?;
        let sigs = ebr_db::repo::signatures::for_record(
            conn,
            repo::ACCESS_REVIEW_RECORD_TYPE,
            &id.to_string(),
        )?;
        Ok((row, sigs))
    })
    .await?;
    let bytes = web::block(move || ebr_record::pdf::access_review::render(&row.report, &sigs))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("PDF rendering failed: {e}")))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"access-review-{id}.pdf\""),
        ))
        .body(bytes))
}

/// QA signs the review (meaning `reviewed`): listed with its period.
#[utoipa::path(post, path = "/api/v1/access-reviews/{id}/signatures", tag = "access", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "access review id")),
    responses(
        (status = 201, body = SignatureView),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    ))]
pub async fn sign(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    blocking::db(&state.pool, move |conn| repo::find(conn, id)).await?;
    let target = SigningTarget::on_system_chain(
        SignedRecordKind::AccessReview,
        "access_review.sign",
        "access_review",
        "access_review",
        id.to_string(),
    );
    let manifest = ceremony(&state, &who, body.into_inner(), target, move |conn, s| {
        repo::sign(conn, id, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}
