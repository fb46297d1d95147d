//! Deviations: opened automatically or by hand, revised, closed by QA with a
//! signature (R38, R44).

use actix_web::{web, HttpResponse};
use ebr_db::repo::audit::batch_chain;
use ebr_db::repo::person_actor;
use ebr_db::repo::release::deviations::{self, DeviationState, RevisionDraft};
use ebr_domain::release::Classification;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::SignatureRequest;
use crate::auth::signature::{sign as ceremony, SigningTarget, TrainingGate};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;
use ebr_domain::signing::SignedRecordKind;
use ebr_domain::training::Activity;

/// A deviation with its current revision and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviationDetail {
    /// Deviation id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// The entry that opened it, if any.
    pub source_entry_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// When opened (UTC).
    pub opened_at: String,
    /// Who opened it.
    pub opened_by: String,
    /// open, under_investigation or closed.
    pub status: String,
    /// minor, major or critical.
    pub classification: Option<String>,
    /// Owner.
    pub owner_id: Option<Uuid>,
    /// Investigation.
    pub investigation: String,
    /// Root cause.
    pub root_cause: String,
    /// Impact on the batch.
    pub impact: String,
    /// CAPA reference.
    pub capa_ref: String,
    /// Number of revisions (every change is kept).
    pub revisions: usize,
}

/// The view of a deviation.
pub fn detail(d: DeviationState) -> DeviationDetail {
    let status = d.status().as_str().to_string();
    let c = d.current().cloned();
    DeviationDetail {
        id: d.row.id,
        batch_id: d.row.batch_id,
        source_entry_id: d.row.source_entry_id,
        title: d.row.title.clone(),
        description: d.row.description.clone(),
        opened_at: utc(d.row.opened_at),
        opened_by: d.row.opened_by.clone(),
        status,
        classification: c.as_ref().and_then(|r| r.classification.clone()),
        owner_id: c.as_ref().and_then(|r| r.owner_id),
        investigation: c
            .as_ref()
            .map(|r| r.investigation.clone())
            .unwrap_or_default(),
        root_cause: c.as_ref().map(|r| r.root_cause.clone()).unwrap_or_default(),
        impact: c.as_ref().map(|r| r.impact.clone()).unwrap_or_default(),
        capa_ref: c.as_ref().map(|r| r.capa_ref.clone()).unwrap_or_default(),
        revisions: d.revisions.len(),
    }
}

/// The batch's deviations.
#[utoipa::path(get, path = "/api/v1/batches/{id}/deviations", tag = "release", params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 200, body = Vec<DeviationDetail>)))]
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(for_batch(&state, id.into_inner()).await?))
}

/// Every deviation of batch `id` with its current revision.
pub async fn for_batch(state: &AppState, id: Uuid) -> Result<Vec<DeviationDetail>, ApiError> {
    let all = blocking::db(&state.pool, move |conn| {
        ebr_db::repo::batches::find(conn, id)?;
        deviations::for_batch(conn, id)
    })
    .await?;
    Ok(all.into_iter().map(detail).collect())
}

/// A deviation opened by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeviation {
    /// Short title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// minor, major or critical, if already known.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub classification: Option<Classification>,
}

/// Open a deviation by hand (you become its owner).
#[utoipa::path(post, path = "/api/v1/batches/{id}/deviations", tag = "release", request_body = NewDeviation,
    params(("id" = Uuid, Path, description = "batch id")), responses((status = 201, body = DeviationDetail), (status = 409, body = Problem, content_type = "application/problem+json", description = "batch_closed"), (status = 422, body = Problem, content_type = "application/problem+json", description = "deviation_text_required")))]
pub async fn open(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<NewDeviation>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let owner = who.person.person.id;
    let now = state.clock.now();
    let result = blocking::db(&state.pool, move |conn| {
        deviations::open(
            conn,
            id,
            &b.title,
            &b.description,
            b.classification,
            owner,
            now,
        )
    })
    .await;
    let d = audited(
        &state,
        &batch_chain(id),
        &person_actor(owner),
        "deviation.open",
        "batch",
        &id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(detail(d)))
}

/// A revision: the fields to change, and optionally start the investigation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviationRevision {
    /// minor, major or critical.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub classification: Option<Classification>,
    /// New owner.
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// Investigation summary.
    #[serde(default)]
    pub investigation: Option<String>,
    /// Root cause.
    #[serde(default)]
    pub root_cause: Option<String>,
    /// Impact on the batch.
    #[serde(default)]
    pub impact: Option<String>,
    /// CAPA reference.
    #[serde(default)]
    pub capa_ref: Option<String>,
    /// Move open → under investigation.
    #[serde(default)]
    pub start_investigation: bool,
    /// The revision number this change was made on (as read). When given,
    /// the change is refused with 409 `deviation_revision_stale` if a
    /// colleague revised the deviation meanwhile, instead of applying over
    /// a revision the author never saw.
    #[serde(default)]
    pub base_revision: Option<i32>,
}

/// Revise a deviation; nothing is overwritten, each change is a new revision.
#[utoipa::path(post, path = "/api/v1/deviations/{id}/revisions", tag = "release", request_body = DeviationRevision,
    params(("id" = Uuid, Path, description = "deviation id")),
    responses((status = 200, body = DeviationDetail), (status = 409, body = Problem, content_type = "application/problem+json", description = "deviation_closed, deviation_revision_stale")))]
pub async fn revise(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<DeviationRevision>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let person = who.person.person.id;
    let now = state.clock.now();
    let draft = RevisionDraft {
        classification: b.classification,
        owner: b.owner_id,
        investigation: b.investigation,
        root_cause: b.root_cause,
        impact: b.impact,
        capa_ref: b.capa_ref,
        base_revision: b.base_revision,
    };
    let d = blocking::db(&state.pool, move |conn| {
        deviations::revise(conn, id, &draft, b.start_investigation, person, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail(d)))
}

/// The outcome of closing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedView {
    /// The deviation, now closed.
    pub deviation: DeviationDetail,
    /// The `closed` signature.
    pub signature: SignatureView,
}

/// Close a deviation with a `closed` signature: a QA reviewer who is not its
/// owner, once it is classified and investigated (R44).
#[utoipa::path(post, path = "/api/v1/deviations/{id}/signatures", tag = "release", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "deviation id")),
    responses(
        (status = 201, body = ClosedView),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "deviation_owner_cannot_close (anyone who owned, opened or investigated it), signer_not_session_user, signature_acknowledgment_required, identity_not_verified"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "deviation_closed"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "deviation_incomplete, meaning_not_allowed"),
    ))]
pub async fn close(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let current = blocking::db(&state.pool, move |conn| deviations::state(conn, id)).await?;
    let target = SigningTarget {
        kind: SignedRecordKind::Deviation,
        chain: batch_chain(current.row.batch_id),
        action: "deviation.close",
        entity_type: "deviation",
        entity_id: id.to_string(),
        record: format!("deviation:{id}"),
        training: Some(TrainingGate {
            batch_id: current.row.batch_id,
            activity: Activity::DeviationClose,
            step_key: None,
        }),
    };
    let (d, manifest) = ceremony(&state, &who, body.into_inner(), target, move |conn, s| {
        deviations::close(conn, id, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(ClosedView {
        deviation: detail(d),
        signature: manifest.into(),
    }))
}
