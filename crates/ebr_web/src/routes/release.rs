//! Review by exception (R46), the release gate (R38), disposition (R26, R29,
//! R39, R43), vials and lineage (R47).

use actix_web::{web, HttpResponse};
use ebr_db::repo::audit::batch_chain;
use ebr_db::repo::person_actor;
use ebr_db::repo::release::{deviations, disposition, lineage};
use ebr_domain::release::ReviewFacts;
use ebr_domain::signature::SignatureMeaning;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::SignatureRequest;
use crate::auth::signature::{sign as ceremony, SigningTarget, TrainingGate};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::batches::{exception_views, ExceptionView};
use crate::routes::deviations::{detail, DeviationDetail};
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;
use ebr_domain::signing::SignedRecordKind;
use ebr_domain::training::Activity;

/// The review-by-exception list of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionList {
    /// Every exception: alerts, out-of-specification values, corrections, late
    /// entries, refused lots and equipment, hold-time breaches, superseded
    /// signatures, QC out-of-specification and invalidated results.
    pub exceptions: Vec<ExceptionView>,
    /// Every deviation and its status.
    pub deviations: Vec<DeviationDetail>,
    /// missing, valid or voided (an exception raised after the review voids it).
    pub review: String,
    /// The QA review signatures.
    pub reviews: Vec<SignatureView>,
}

fn review_name(r: ReviewFacts) -> &'static str {
    match r {
        ReviewFacts::Missing => "missing",
        ReviewFacts::Valid => "valid",
        ReviewFacts::Voided => "voided",
    }
}

/// The review-by-exception list (R46).
#[utoipa::path(get, path = "/api/v1/batches/{id}/exceptions", tag = "release", params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 200, body = ExceptionList)))]
pub async fn exceptions(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(exception_list(&state, id.into_inner()).await?))
}

/// The review-by-exception list of batch `id`.
pub async fn exception_list(state: &AppState, id: Uuid) -> Result<ExceptionList, ApiError> {
    let (batch, devs, review, sigs) = blocking::db(&state.pool, move |conn| {
        let batch = ebr_db::repo::execution::load(conn, id)?;
        let devs = deviations::for_batch(conn, id)?;
        let review = disposition::review_facts(conn, id)?;
        let sigs = disposition::batch_signatures(conn, id)?;
        Ok((batch, devs, review, sigs))
    })
    .await?;
    Ok(ExceptionList {
        exceptions: exception_views(&batch.exceptions),
        deviations: devs.into_iter().map(detail).collect(),
        review: review_name(review).into(),
        reviews: sigs
            .into_iter()
            .filter(|s| s.meaning == SignatureMeaning::Reviewed)
            .map(SignatureView::from)
            .collect(),
    })
}

/// One finding that blocks release.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    /// Stable code (step_incomplete, step_unverified, deviation_open, qc_missing,
    /// qc_unreviewed, qc_out_of_specification, review_missing, review_voided, batch_not_ready).
    pub code: String,
    /// What it is about.
    pub subject: String,
    /// In words.
    pub detail: String,
}

/// The release gate.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateView {
    /// Batch status.
    pub status: String,
    /// True when there is no finding.
    pub releasable: bool,
    /// Every finding that blocks release.
    pub findings: Vec<FindingView>,
}

/// Every finding that blocks release, or none (R38).
#[utoipa::path(get, path = "/api/v1/batches/{id}/release-gate", tag = "release", params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 200, body = GateView)))]
pub async fn gate(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(gate_view(&state, id.into_inner()).await?))
}

/// The release gate of batch `id`: every finding that blocks release.
pub async fn gate_view(state: &AppState, id: Uuid) -> Result<GateView, ApiError> {
    let (s, findings) = blocking::db(&state.pool, move |conn| disposition::gate(conn, id)).await?;
    Ok(GateView {
        status: s.lifecycle.status().as_str().into(),
        releasable: findings.is_empty(),
        findings: findings
            .into_iter()
            .map(|f| FindingView {
                code: f.code.into(),
                subject: f.subject,
                detail: f.detail,
            })
            .collect(),
    })
}

/// Sign the batch: `reviewed` (QA, R29), `released` or `rejected` (release
/// authority, R26). Whoever executed, verified or reviewed the batch cannot
/// dispose of it (R43); release with findings is refused listing them all.
#[utoipa::path(post, path = "/api/v1/batches/{id}/signatures", tag = "release", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "batch id")),
    responses(
        (status = 201, body = SignatureView),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "participant_cannot_review, participant_cannot_release, role_forbidden"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "release_blocked (with every finding), batch_closed, illegal_batch_transition"), (status = 422, body = Problem, content_type = "application/problem+json", description = "rejection_reason_required, meaning_not_allowed"),
    ))]
pub async fn sign(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // The batch must exist before anyone is asked for a password.
    let batch = blocking::db(&state.pool, move |conn| {
        ebr_db::repo::batches::find(conn, id)
    })
    .await?;
    let body = body.into_inner();
    let activity = if body.meaning == SignatureMeaning::Reviewed {
        Activity::BatchReview
    } else {
        Activity::Release
    };
    let target = SigningTarget {
        kind: SignedRecordKind::Batch,
        chain: batch_chain(id),
        action: "batch.sign",
        entity_type: "batch",
        entity_id: id.to_string(),
        record: format!("batch:{id}"),
        training: Some(TrainingGate {
            batch_id: id,
            activity,
            step_key: None,
        }),
    };
    let manifest = ceremony(&state, &who, body, target, move |conn, s| {
        disposition::sign(conn, id, s.meaning, &s.signatory)
    })
    .await?;
    crate::checkpoints::after_batch_signature(
        state.checkpoints.clone(),
        &state.pool,
        manifest.signed_at,
        format!("batch.{} {}", manifest.meaning.as_str(), batch.batch_number),
        id,
    )
    .await;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// A final-product vial.
#[derive(Debug, Serialize, ToSchema)]
pub struct VialView {
    /// Serial number.
    pub serial: String,
    /// Serialised at (UTC).
    pub created_at: String,
}

/// The batch's vials, serialised at fill.
#[utoipa::path(get, path = "/api/v1/batches/{id}/vials", tag = "lineage", params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 200, body = Vec<VialView>)))]
pub async fn vials(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rows = blocking::db(&state.pool, move |conn| {
        ebr_db::repo::batches::find(conn, id)?;
        lineage::vials_of(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|v| VialView {
                serial: v.serial,
                created_at: utc(v.created_at),
            })
            .collect::<Vec<_>>(),
    ))
}

/// A cell bank's lineage above the WCB.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CellBankView {
    /// Donor identification.
    pub donor_id: String,
    /// iPSC line.
    pub ipsc_line: String,
    /// Master cell bank lot.
    pub mcb_lot: String,
}

/// A vial's chain of identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct VialLineageView {
    /// Vial serial.
    pub serial: String,
    /// Batch number.
    pub batch_number: String,
    /// Batch status.
    pub batch_status: String,
    /// WCB lot.
    pub wcb_lot: String,
    /// WCB vial.
    pub wcb_vial: String,
    /// Above the WCB.
    pub cell_bank: Option<CellBankView>,
}

/// From a vial up to its donor (R47).
#[utoipa::path(get, path = "/api/v1/vials/{serial}/lineage", tag = "lineage", params(("serial" = String, Path, description = "vial serial")),
    responses((status = 200, body = VialLineageView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn vial_lineage(
    state: web::Data<AppState>,
    serial: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let serial = serial.into_inner();
    let l = blocking::db(&state.pool, move |conn| {
        lineage::vial_lineage(conn, &serial)
    })
    .await?;
    Ok(HttpResponse::Ok().json(VialLineageView {
        serial: l.serial,
        batch_number: l.batch_number,
        batch_status: l.batch_status,
        wcb_lot: l.wcb_lot,
        wcb_vial: l.wcb_vial,
        cell_bank: l.cell_bank.map(|c| CellBankView {
            donor_id: c.donor_id,
            ipsc_line: c.ipsc_line,
            mcb_lot: c.mcb_lot,
        }),
    }))
}

/// Record the lineage of a WCB lot (donor, iPSC line, MCB).
#[utoipa::path(post, path = "/api/v1/materials/{id}/lineage", tag = "lineage", request_body = CellBankView,
    params(("id" = Uuid, Path, description = "WCB lot id")), responses((status = 201, body = CellBankView), (status = 409, body = Problem, content_type = "application/problem+json", description = "lineage_exists"), (status = 422, body = Problem, content_type = "application/problem+json", description = "lineage_incomplete")))]
pub async fn record_lineage(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<CellBankView>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let row = blocking::db(&state.pool, move |conn| {
        lineage::record(conn, id, &b.donor_id, &b.ipsc_line, &b.mcb_lot, &actor, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(CellBankView {
        donor_id: row.donor_id,
        ipsc_line: row.ipsc_line,
        mcb_lot: row.mcb_lot,
    }))
}

/// A batch made from a lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct DescendantView {
    /// Batch id.
    pub batch_id: Uuid,
    /// Batch number.
    pub batch_number: String,
    /// Status.
    pub status: String,
    /// WCB vial used.
    pub wcb_vial: String,
    /// Vial serials.
    pub vials: Vec<String>,
}

/// Everything made from a lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct DescendantsView {
    /// The lot's lineage above.
    pub cell_bank: Option<CellBankView>,
    /// Batches and their vials.
    pub batches: Vec<DescendantView>,
}

/// From a WCB lot to every batch and vial made from it (R47).
#[utoipa::path(get, path = "/api/v1/materials/{id}/descendants", tag = "lineage", params(("id" = Uuid, Path, description = "lot id")),
    responses((status = 200, body = DescendantsView)))]
pub async fn descendants(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (cb, list) = blocking::db(&state.pool, move |conn| lineage::descendants(conn, id)).await?;
    Ok(HttpResponse::Ok().json(DescendantsView {
        cell_bank: cb.map(|c| CellBankView {
            donor_id: c.donor_id,
            ipsc_line: c.ipsc_line,
            mcb_lot: c.mcb_lot,
        }),
        batches: list
            .into_iter()
            .map(|d| DescendantView {
                batch_id: d.batch_id,
                batch_number: d.batch_number,
                status: d.status,
                wcb_vial: d.wcb_vial,
                vials: d.vials,
            })
            .collect(),
    }))
}
