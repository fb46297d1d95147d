//! QC release results: entered against the MBR's panel, reviewed by a second
//! analyst, invalidated with a reason, retested as new results.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use ebr_db::repo::audit::batch_chain;
use ebr_db::repo::person_actor;
use ebr_db::repo::release::qc::{self, NewResult, QcResultState};
use ebr_domain::number::Number;
use ebr_domain::release::QcOutcome;
use ebr_domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::SignatureRequest;
use crate::auth::signature::{sign as ceremony, SigningTarget, TrainingGate};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::batches::{exception_views, ExceptionView};
use crate::routes::deviations::{detail, DeviationDetail};
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;
use ebr_domain::signing::SignedRecordKind;
use ebr_domain::training::Activity;

/// A QC result.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcResultView {
    /// Result id.
    pub id: Uuid,
    /// Test key.
    pub test_key: String,
    /// The result as entered.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    /// within_specification or out_of_specification.
    pub evaluation: String,
    /// Method.
    pub method: String,
    /// When tested (UTC).
    pub tested_at: String,
    /// Instrument.
    pub instrument_id: String,
    /// Sample.
    pub sample_id: String,
    /// The result this retests.
    pub retest_of: Option<Uuid>,
    /// When entered (server UTC).
    pub recorded_at: String,
    /// Analyst.
    pub recorded_by: Uuid,
    /// Invalidation reason, if invalidated (it stays visible).
    pub invalidated_reason: Option<String>,
    /// The second analyst's review signatures.
    pub reviews: Vec<SignatureView>,
}

/// The view of a result.
pub fn view(r: QcResultState) -> QcResultView {
    QcResultView {
        id: r.row.id,
        test_key: r.row.test_key.clone(),
        outcome: serde_json::from_str(&r.row.outcome).unwrap_or(serde_json::Value::Null),
        evaluation: r.row.evaluation.clone(),
        method: r.row.method.clone(),
        tested_at: utc(r.row.tested_at),
        instrument_id: r.row.instrument_id.clone(),
        sample_id: r.row.sample_id.clone(),
        retest_of: r.row.retest_of,
        recorded_at: utc(r.row.recorded_at),
        recorded_by: r.row.recorded_by,
        invalidated_reason: r.invalidation.map(|i| i.reason),
        reviews: r.reviews.into_iter().map(SignatureView::from).collect(),
    }
}

/// The batch's QC results, oldest first.
#[utoipa::path(get, path = "/api/v1/batches/{id}/qc-results", tag = "release", params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 200, body = Vec<QcResultView>)))]
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(for_batch(&state, id.into_inner()).await?))
}

/// Every QC result of batch `id`, oldest first.
pub async fn for_batch(state: &AppState, id: Uuid) -> Result<Vec<QcResultView>, ApiError> {
    let all = blocking::db(&state.pool, move |conn| {
        ebr_db::repo::batches::find(conn, id)?;
        qc::for_batch(conn, id)
    })
    .await?;
    Ok(all.into_iter().map(view).collect())
}

/// A result to enter.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQcResult {
    /// The release-panel test key (e.g. `sterility`).
    pub test_key: String,
    /// A numeric result (with `unit`)…
    #[serde(default)]
    pub value: Option<String>,
    /// …its unit (defaults to the specification's)…
    #[serde(default)]
    pub unit: Option<String>,
    /// …or a categorical outcome (e.g. "No growth").
    #[serde(default)]
    pub outcome: Option<String>,
    /// Method (defaults to the panel's).
    #[serde(default)]
    pub method: Option<String>,
    /// When the test was performed.
    pub tested_at: DateTime<Utc>,
    /// Instrument.
    #[serde(default)]
    pub instrument_id: String,
    /// Sample.
    #[serde(default)]
    pub sample_id: String,
    /// The result this retests.
    #[serde(default)]
    pub retest_of: Option<Uuid>,
}

/// What entering a result stored and raised.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcRecordedView {
    /// The result.
    pub result: QcResultView,
    /// Exceptions raised.
    pub exceptions: Vec<ExceptionView>,
    /// Deviations opened.
    pub deviations: Vec<DeviationDetail>,
}

/// Enter a QC result; it is evaluated against the specification, and an
/// out-of-specification result opens a deviation (after release: a
/// post-release deviation listing the affected vials, R40).
#[utoipa::path(post, path = "/api/v1/batches/{id}/qc-results", tag = "release", request_body = NewQcResult,
    params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 201, body = QcRecordedView), (status = 403, body = Problem, content_type = "application/problem+json", description = "training_not_current"), (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_qc_test"), (status = 409, body = Problem, content_type = "application/problem+json", description = "batch_closed"), (status = 422, body = Problem, content_type = "application/problem+json", description = "qc_tested_in_future, invalid_value, unit_mismatch, unknown_unit, not_a_number, number_too_precise, retest_mismatch")))]
pub async fn record(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<NewQcResult>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let outcome = match (&b.value, &b.outcome) {
        (Some(v), None) => QcOutcome::Numeric {
            value: Number::parse(v).map_err(|_| DomainError::InvalidValue {
                field: b.test_key.clone(),
                reason: format!("`{v}` is not a number"),
            })?,
            unit: b.unit.clone().unwrap_or_default(),
        },
        (None, Some(o)) => QcOutcome::Categorical {
            outcome: o.trim().to_string(),
        },
        _ => {
            return Err(ApiError::Invalid {
                code: "invalid_value",
                detail: "give either `value` (with `unit`) or `outcome`".into(),
                problems: vec![],
            });
        }
    };
    let analyst = who.person.person.id;
    let now = state.clock.now();
    let test_key = b.test_key.clone();
    let roles = who.person.roles.clone();
    let result = blocking::db(&state.pool, move |conn| {
        ebr_db::repo::training::require(conn, id, analyst, &roles, Activity::QcEntry, None, now)?;
        let mut outcome = outcome;
        if let QcOutcome::Numeric { unit, .. } = &mut outcome {
            if unit.is_empty() {
                let batch = ebr_db::repo::batches::find(conn, id)?;
                let (_, m) = ebr_db::repo::mbr::load(conn, batch.mbr_version_id)?;
                if let Some(ebr_domain::mbr::QcSpecification::Numeric {
                    unit: spec_unit, ..
                }) = m
                    .release_panel
                    .iter()
                    .find(|t| t.key == b.test_key)
                    .map(|t| &t.spec)
                {
                    *unit = spec_unit.clone();
                }
            }
        }
        let new = NewResult {
            test_key: b.test_key,
            outcome,
            method: b.method,
            tested_at: b.tested_at,
            instrument_id: b.instrument_id,
            sample_id: b.sample_id,
            retest_of: b.retest_of,
        };
        qc::record(conn, id, &new, analyst, now)
    })
    .await;
    let recorded = audited(
        &state,
        &batch_chain(id),
        &person_actor(analyst),
        "qc_result.record",
        "qc_test",
        &test_key,
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(QcRecordedView {
        result: view(recorded.result),
        exceptions: exception_views(&recorded.exceptions),
        deviations: recorded.deviations.into_iter().map(detail).collect(),
    }))
}

/// Review a result with a `verified` signature: a second analyst, not the one
/// who entered it.
#[utoipa::path(post, path = "/api/v1/qc-results/{id}/signatures", tag = "release", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "QC result id")),
    responses((status = 201, body = SignatureView), (status = 401, body = Problem, content_type = "application/problem+json", description = "password_incorrect, two_components_required, account_locked"), (status = 403, body = Problem, content_type = "application/problem+json", description = "analyst_cannot_review, signer_not_session_user, signature_acknowledgment_required, identity_not_verified"), (status = 409, body = Problem, content_type = "application/problem+json", description = "qc_result_already_reviewed, qc_result_invalidated"), (status = 422, body = Problem, content_type = "application/problem+json", description = "meaning_not_allowed")))]
pub async fn review(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let current = blocking::db(&state.pool, move |conn| qc::result(conn, id)).await?;
    let target = SigningTarget {
        kind: SignedRecordKind::QcResult,
        chain: batch_chain(current.row.batch_id),
        action: "qc_result.review",
        entity_type: "qc_result",
        entity_id: id.to_string(),
        record: format!("qc_result:{id}"),
        training: Some(TrainingGate {
            batch_id: current.row.batch_id,
            activity: Activity::QcReview,
            step_key: None,
        }),
    };
    let manifest = ceremony(&state, &who, body.into_inner(), target, move |conn, s| {
        qc::review(conn, id, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// Why a result is invalid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invalidation {
    /// The reason (required); the result stays visible with it.
    pub reason: String,
}

/// Invalidate a result (e.g. an assay failure); a retest is a new result.
#[utoipa::path(post, path = "/api/v1/qc-results/{id}/invalidations", tag = "release", request_body = Invalidation,
    params(("id" = Uuid, Path, description = "QC result id")), responses((status = 201, body = QcResultView), (status = 409, body = Problem, content_type = "application/problem+json", description = "qc_result_already_invalidated"), (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required")))]
pub async fn invalidate(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<Invalidation>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body.into_inner().reason;
    let person = who.person.person.id;
    let now = state.clock.now();
    let r = blocking::db(&state.pool, move |conn| {
        qc::invalidate(conn, id, &reason, person, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(view(r)))
}
