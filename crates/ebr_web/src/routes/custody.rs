//! The chain of identity and custody (R47–R50): donors and their signed
//! eligibility, signed cell-bank decisions, labels (print, scan back,
//! destroy), the storage map, shipments (pack, hand over, receive, sign)
//! and administration to a subject, and the chain of a vial, subject or
//! donor both ways. Handlers parse and render; `ebr_db::repo::custody`
//! applies what `ebr_domain::custody` decides.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use ebr_db::repo::custody::{bank, chain, labels, shipments, storage};
use ebr_db::repo::person_actor;
use ebr_domain::custody::bank::{BankDecision, BankLevel, Eligibility};
use ebr_domain::custody::labels::PrintRequest;
use ebr_domain::custody::storage::{LocationKind, StorageAction};
use ebr_domain::signature::SignatureMeaning;
use ebr_domain::signing::SignedRecordKind;
use ebr_domain::DomainError;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::{sign as ceremony, SignatureRequest, SigningTarget};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::views::SignatureView;
use crate::state::AppState;

fn actor(who: &Authenticated) -> String {
    person_actor(who.person.person.id)
}

fn invalid(field: &str, allowed: &str) -> ApiError {
    ApiError::Domain(DomainError::StorageInvalid(format!(
        "{field} must be one of: {allowed}"
    )))
}

/// A donor to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDonor {
    /// The ISBT 128 DIN as keyed: 13 characters and the check character
    /// (spaces allowed), e.g. `G1234 98 654321 H`.
    pub din: String,
}

/// Register a donor by ISBT 128 DIN (R50: the ISO 7064 Mod 37-2 check
/// character is validated; a wrong one is refused).
#[utoipa::path(post, path = "/api/v1/donors", tag = "custody", request_body = NewDonor, responses(
    (status = 201, description = "the donor", content_type = "application/json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "donor_exists"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "din_check_character, din_invalid"),
))]
pub async fn register_donor(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewDonor>,
) -> Result<HttpResponse, ApiError> {
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        bank::register_donor(conn, &body.din, &actor, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// Every donor with its current signed determination.
#[utoipa::path(get, path = "/api/v1/donors", tag = "custody", responses(
    (status = 200, description = "donors", content_type = "application/json"),
))]
pub async fn donors(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = blocking::db(&state.pool, move |conn| {
        bank::donors_all(conn)?
            .into_iter()
            .map(|d| {
                let current = bank::current_eligibility(conn, d.id)?;
                Ok(serde_json::json!({ "donor": d, "eligibility": current }))
            })
            .collect::<Result<Vec<_>, ebr_db::DbError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// A donor down to every recipient: determinations, WCB lots, batches,
/// vials and the subjects they were administered to (R47).
#[utoipa::path(get, path = "/api/v1/donors/{id}/chain", tag = "custody",
    params(("id" = Uuid, Path, description = "donor id")), responses(
    (status = 200, description = "the chain", content_type = "application/json"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
))]
pub async fn donor_chain(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let c = blocking::db(&state.pool, move |conn| chain::of_donor(conn, id)).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// An eligibility determination.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDetermination {
    /// eligible, ineligible or pending.
    pub determination: String,
    /// Donor screening complete.
    pub screening_complete: bool,
    /// Donor testing complete.
    pub testing_complete: bool,
    /// The records it rests on.
    pub basis: String,
}

/// Record a donor eligibility determination; it counts once the
/// responsible person (QA) signed it (meaning `approved`).
#[utoipa::path(post, path = "/api/v1/donors/{id}/eligibility", tag = "custody", request_body = NewDetermination,
    params(("id" = Uuid, Path, description = "donor id")), responses(
    (status = 201, description = "the determination (unsigned)", content_type = "application/json"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "eligibility_incomplete, storage_invalid"),
))]
pub async fn record_determination(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<NewDetermination>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let determination = Eligibility::parse(&b.determination)
        .ok_or_else(|| invalid("determination", "eligible, ineligible, pending"))?;
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        bank::record_determination(
            conn,
            id,
            determination,
            b.screening_complete,
            b.testing_complete,
            &b.basis,
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// The responsible person signs a determination (meaning `approved`).
#[utoipa::path(post, path = "/api/v1/donor-eligibility/{id}/signatures", tag = "custody", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "determination id")), responses(
    (status = 201, body = SignatureView),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "already_signed"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "meaning_not_allowed"),
))]
pub async fn sign_determination(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    blocking::db(&state.pool, move |conn| bank::determination(conn, id)).await?;
    let target = SigningTarget::on_system_chain(
        SignedRecordKind::DonorEligibility,
        "donor_eligibility.sign",
        bank::ELIGIBILITY_KIND,
        bank::ELIGIBILITY_KIND,
        id.to_string(),
    );
    let manifest = ceremony(&state, &who, body.into_inner(), target, move |conn, s| {
        bank::sign_determination(conn, id, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// A QA decision on a cell-bank lot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBankDecision {
    /// mcb or wcb.
    pub level: String,
    /// The bank lot number (the MCB lot of the lineage, or the WCB lot).
    pub lot_number: String,
    /// released or rejected.
    pub decision: String,
    /// Comment.
    #[serde(default)]
    pub comment: String,
}

/// Record a QA decision on a master or working cell bank lot; it counts
/// once QA signed it with the decision's meaning (`released`/`rejected`).
#[utoipa::path(post, path = "/api/v1/cell-bank-releases", tag = "custody", request_body = NewBankDecision, responses(
    (status = 201, description = "the decision (unsigned)", content_type = "application/json"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "storage_invalid, lot_identity_required"),
))]
pub async fn record_bank_decision(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewBankDecision>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let level = BankLevel::parse(&b.level).ok_or_else(|| invalid("level", "mcb, wcb"))?;
    let decision = BankDecision::parse(&b.decision)
        .ok_or_else(|| invalid("decision", "released, rejected"))?;
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        bank::record_decision(
            conn,
            level,
            &b.lot_number,
            decision,
            &b.comment,
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// Every cell-bank decision with its signatures, newest first.
#[utoipa::path(get, path = "/api/v1/cell-bank-releases", tag = "custody", responses(
    (status = 200, description = "decisions", content_type = "application/json"),
))]
pub async fn bank_decisions(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = blocking::db(&state.pool, bank::all_decisions).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// QA signs a cell-bank decision with its meaning (`released` or `rejected`).
#[utoipa::path(post, path = "/api/v1/cell-bank-releases/{id}/signatures", tag = "custody", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "decision id")), responses(
    (status = 201, body = SignatureView),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "already_signed"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "meaning_not_allowed"),
))]
pub async fn sign_bank_decision(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    blocking::db(&state.pool, move |conn| bank::decision(conn, id)).await?;
    let target = SigningTarget::on_system_chain(
        SignedRecordKind::CellBankRelease,
        "cell_bank_release.sign",
        bank::BANK_RELEASE_KIND,
        bank::BANK_RELEASE_KIND,
        id.to_string(),
    );
    let request = body.into_inner();
    let meaning = request.meaning;
    let manifest = ceremony(&state, &who, request, target, move |conn, s| {
        bank::sign_decision(conn, id, meaning, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// What to print.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintLabels {
    /// Label numbers to reprint (each destroyed first); empty for the
    /// first sheet.
    #[serde(default)]
    pub reprint: Vec<i32>,
    /// Why they are reprinted.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Print labels from the effective MBR's template (R49): the first sheet
/// (one numbered label per vial) or reprints of destroyed labels with a
/// reason. Answers the label sheet as a PDF.
#[utoipa::path(post, path = "/api/v1/batches/{id}/labels", tag = "custody", request_body = PrintLabels,
    params(("id" = Uuid, Path, description = "batch id")), responses(
    (status = 201, content_type = "application/pdf", description = "the label sheet"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "labels_not_printable, label_template_not_effective"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required, label_unknown"),
))]
pub async fn print_labels(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<PrintLabels>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let request = if b.reprint.is_empty() {
        PrintRequest::All
    } else {
        PrintRequest::Reprint {
            numbers: b.reprint,
            reason: b.reason.unwrap_or_default(),
        }
    };
    let reason = match &request {
        PrintRequest::Reprint { reason, .. } => Some(reason.clone()),
        PrintRequest::All => None,
    };
    let (actor, now) = (actor(&who), state.clock.now());
    let printed_by = who.person.person.full_name.clone();
    let printed = blocking::db(&state.pool, move |conn| {
        labels::print(conn, id, &request, &actor, now)
    })
    .await?;
    let number = printed
        .first()
        .map(|(_, c)| c.batch_number.clone())
        .unwrap_or_default();
    let contents: Vec<_> = printed.into_iter().map(|(_, c)| c).collect();
    let file = format!(
        "labels-{number}-{}.pdf",
        contents.first().map_or(0, |c| c.label_number)
    );
    let bytes = web::block(move || {
        ebr_record::pdf::labels::render(&number, &contents, now, &printed_by, reason.as_deref())
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("label rendering failed: {e}")))?
    .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    Ok(HttpResponse::Created()
        .content_type("application/pdf")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes))
}

/// Every label of a batch with what became of it, and the reconciliation.
#[utoipa::path(get, path = "/api/v1/batches/{id}/labels", tag = "custody",
    params(("id" = Uuid, Path, description = "batch id")), responses(
    (status = 200, description = "labels and reconciliation", content_type = "application/json"),
))]
pub async fn labels_of(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (all, rec) = blocking::db(&state.pool, move |conn| labels::reconciled(conn, id)).await?;
    Ok(HttpResponse::Ok().json(
        serde_json::json!({ "labels": all, "reconciliation": rec, "balanced": rec.balanced() }),
    ))
}

/// A label scanned back against its vial.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelScan {
    /// The label's barcode as scanned.
    pub label: String,
    /// The vial it is on (its serial, scanned or read).
    pub vial: String,
}

/// Verify an applied label by scanning it against its vial (R49): a wrong
/// vial, an unknown code or a duplicate scan is refused.
#[utoipa::path(post, path = "/api/v1/batches/{id}/labels/scans", tag = "custody", request_body = LabelScan,
    params(("id" = Uuid, Path, description = "batch id")), responses(
    (status = 201, description = "the label, applied", content_type = "application/json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "label_already_used"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "label_vial_mismatch, label_unknown"),
))]
pub async fn scan_label(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<LabelScan>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (actor, now) = (actor(&who), state.clock.now());
    let view = blocking::db(&state.pool, move |conn| {
        labels::scan(conn, id, &body.label, &body.vial, &actor, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Why a label is destroyed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestroyLabel {
    /// The reason.
    pub reason: String,
}

/// Destroy a printed label that will not be applied, with a reason.
#[utoipa::path(post, path = "/api/v1/batches/{id}/labels/{number}/destructions", tag = "custody", request_body = DestroyLabel,
    params(("id" = Uuid, Path, description = "batch id"), ("number" = i32, Path, description = "label number")), responses(
    (status = 201, description = "the label, destroyed", content_type = "application/json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "label_already_used"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required, label_unknown"),
))]
pub async fn destroy_label(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(Uuid, i32)>,
    body: web::Json<DestroyLabel>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let (actor, now) = (actor(&who), state.clock.now());
    let view = blocking::db(&state.pool, move |conn| {
        labels::destroy(conn, id, number, &body.reason, &actor, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// A storage location to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    /// Unique code, e.g. `LN2-01-R1-B01`.
    pub code: String,
    /// freezer, rack or box.
    pub kind: String,
    /// The freezer of a rack or the rack of a box.
    #[serde(default)]
    pub parent: Option<String>,
    /// Name.
    pub name: String,
    /// Rows of a box.
    #[serde(default)]
    pub rows: Option<i32>,
    /// Columns of a box.
    #[serde(default)]
    pub columns: Option<i32>,
}

/// Register a freezer, a rack in it, or a box of positions in a rack.
#[utoipa::path(post, path = "/api/v1/storage/locations", tag = "custody", request_body = NewLocation, responses(
    (status = 201, description = "the location", content_type = "application/json"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "storage_invalid"),
))]
pub async fn register_location(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewLocation>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let kind = LocationKind::parse(&b.kind).ok_or_else(|| invalid("kind", "freezer, rack, box"))?;
    let size = b.rows.zip(b.columns);
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        storage::register_location(
            conn,
            &b.code,
            kind,
            b.parent.as_deref(),
            &b.name,
            size,
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// Every storage location.
#[utoipa::path(get, path = "/api/v1/storage/locations", tag = "custody", responses(
    (status = 200, description = "locations", content_type = "application/json"),
))]
pub async fn locations(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = blocking::db(&state.pool, storage::locations).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// The vials in a box now, by position.
#[utoipa::path(get, path = "/api/v1/storage/boxes/{code}", tag = "custody",
    params(("code" = String, Path, description = "box code")), responses(
    (status = 200, description = "the box and its vials", content_type = "application/json"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "storage_invalid"),
))]
pub async fn box_contents(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let (b, vials) = blocking::db(&state.pool, move |conn| {
        let b = storage::location_by_code(conn, &code)?;
        let v = storage::box_contents(conn, b.id)?;
        Ok((b, v))
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "box": b, "vials": vials })))
}

/// A storage event of a vial.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageRequest {
    /// place, move, thaw or remove.
    pub action: String,
    /// The position label as scanned (`BOX:POS`), for place and move.
    #[serde(default)]
    pub position: Option<String>,
    /// Why it is thawed or removed.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Place a vial (vial and position both scanned), move, thaw or remove it.
#[utoipa::path(post, path = "/api/v1/vials/{serial}/storage", tag = "custody", request_body = StorageRequest,
    params(("serial" = String, Path, description = "vial serial as scanned")), responses(
    (status = 201, description = "the storage event", content_type = "application/json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "position_occupied, vial_storage_state"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "storage_invalid, vial_unknown, reason_required"),
))]
pub async fn vial_storage(
    state: web::Data<AppState>,
    who: Authenticated,
    serial: web::Path<String>,
    body: web::Json<StorageRequest>,
) -> Result<HttpResponse, ApiError> {
    let serial = serial.into_inner();
    let b = body.into_inner();
    let action = match b.action.trim() {
        "place" => StorageAction::Place,
        "move" => StorageAction::Move,
        "thaw" => StorageAction::Thaw,
        "remove" => StorageAction::Remove,
        _ => return Err(invalid("action", "place, move, thaw, remove")),
    };
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        storage::act(
            conn,
            &serial,
            action,
            b.position.as_deref(),
            b.reason.as_deref(),
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// A shipment to pack.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    /// Unique shipment number.
    pub shipment_number: String,
    /// Shipping site.
    pub from_site: String,
    /// Receiving clinical site.
    pub to_site: String,
    /// Courier.
    pub shipper: String,
    /// The LN₂ dry shipper.
    pub dry_shipper_id: String,
    /// The seal applied.
    pub seal_id: String,
    /// The vial serials packed.
    pub vials: Vec<String>,
}

/// Pack released vials into a shipment (R48).
#[utoipa::path(post, path = "/api/v1/shipments", tag = "custody", request_body = NewShipment, responses(
    (status = 201, description = "the shipment", content_type = "application/json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "vial_not_shippable, shipment_state"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "vial_unknown"),
))]
pub async fn pack(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewShipment>,
) -> Result<HttpResponse, ApiError> {
    let (actor, now) = (actor(&who), state.clock.now());
    let view = blocking::db(&state.pool, move |conn| {
        shipments::pack(
            conn,
            &shipments::Packing {
                shipment_number: &body.shipment_number,
                from_site: &body.from_site,
                to_site: &body.to_site,
                shipper: &body.shipper,
                dry_shipper_id: &body.dry_shipper_id,
                seal_id: &body.seal_id,
                vials: &body.vials,
            },
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Every shipment, newest first.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "custody", responses(
    (status = 200, description = "shipments", content_type = "application/json"),
))]
pub async fn shipment_list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = blocking::db(&state.pool, shipments::list).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// A shipment with its vials, hand-over, receipt and signatures.
#[utoipa::path(get, path = "/api/v1/shipments/{id}", tag = "custody",
    params(("id" = Uuid, Path, description = "shipment id")), responses(
    (status = 200, description = "the shipment", content_type = "application/json"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
))]
pub async fn shipment(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = blocking::db(&state.pool, move |conn| shipments::view(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Record the hand-over to the courier (the packed vials, the seal); it is
/// signed next (meaning `performed`).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/handover", tag = "custody",
    params(("id" = Uuid, Path, description = "shipment id")), responses(
    (status = 201, description = "the hand-over", content_type = "application/json"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "shipment_state"),
))]
pub async fn hand_over(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        shipments::record_event(conn, id, None, &actor, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// What the receiving site checked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The seal as read.
    pub seal_id: String,
    /// Whether it was intact.
    pub seal_intact: bool,
    /// The vial serials scanned on arrival (none: every packed vial is
    /// missing).
    #[serde(default)]
    pub scanned: Vec<String>,
    /// The temperature-logger file's name, if one came.
    #[serde(default)]
    pub logger_file_name: Option<String>,
    /// The logger file's content (CSV with a `temp…` column), as uploaded.
    #[serde(default)]
    pub logger_csv: Option<String>,
}

/// Record the receipt (R48): the seal, the vials scanned and the logger
/// file checked; any discrepancy (missing or extra vial, broken seal, no
/// logger data, above −150 °C) quarantines the shipment and raises an
/// exception on each batch shipped. Signed next (meaning `verified`).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/receipt", tag = "custody", request_body = ReceiptRequest,
    params(("id" = Uuid, Path, description = "shipment id")), responses(
    (status = 201, description = "the receipt with its findings", content_type = "application/json"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "shipment_state"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "logger_file_invalid"),
))]
pub async fn receive(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<ReceiptRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        let name = body
            .logger_file_name
            .clone()
            .unwrap_or_else(|| "logger.csv".into());
        let logger = body.logger_csv.as_deref().map(|text| (name.as_str(), text));
        shipments::record_event(
            conn,
            id,
            Some(&shipments::ReceiptInput {
                seal_id: &body.seal_id,
                seal_intact: body.seal_intact,
                scanned: &body.scanned,
                logger,
            }),
            &actor,
            now,
        )
    })
    .await?;
    let findings = row.findings();
    Ok(HttpResponse::Created().json(serde_json::json!({ "event": row, "findings": findings, "quarantined": !findings.is_empty() })))
}

/// Sign the hand-over (`performed`) or the receipt (`verified`).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/signatures", tag = "custody", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "shipment id")), responses(
    (status = 201, body = SignatureView),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "already_signed, shipment_state"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "meaning_not_allowed"),
))]
pub async fn sign_shipment(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    blocking::db(&state.pool, move |conn| shipments::view(conn, id)).await?;
    let target = SigningTarget::on_system_chain(
        SignedRecordKind::ShipmentEvent,
        "shipment.sign",
        shipments::SHIPMENT_KIND,
        shipments::SHIPMENT_KIND,
        id.to_string(),
    );
    let request = body.into_inner();
    let meaning: SignatureMeaning = request.meaning;
    let manifest = ceremony(&state, &who, request, target, move |conn, s| {
        shipments::sign_event(conn, id, meaning, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// An administration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdministration {
    /// The trial subject ID (no name).
    pub subject_id: String,
    /// The clinical site.
    pub site: String,
    /// When it was administered (UTC).
    pub administered_at: DateTime<Utc>,
}

/// The site records the subject a vial was administered to (R47).
#[utoipa::path(post, path = "/api/v1/vials/{serial}/administrations", tag = "custody", request_body = NewAdministration,
    params(("serial" = String, Path, description = "vial serial as scanned")), responses(
    (status = 201, description = "the administration", content_type = "application/json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "vial_not_administrable"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "vial_unknown"),
))]
pub async fn administer(
    state: web::Data<AppState>,
    who: Authenticated,
    serial: web::Path<String>,
    body: web::Json<NewAdministration>,
) -> Result<HttpResponse, ApiError> {
    let serial = serial.into_inner();
    let (actor, now) = (actor(&who), state.clock.now());
    let row = blocking::db(&state.pool, move |conn| {
        shipments::administer(
            conn,
            &serial,
            &body.subject_id,
            &body.site,
            body.administered_at,
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// A vial's whole chain, from its donor to its recipient (R47).
#[utoipa::path(get, path = "/api/v1/vials/{serial}/chain", tag = "custody",
    params(("serial" = String, Path, description = "vial serial")), responses(
    (status = 200, description = "the chain", content_type = "application/json"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
))]
pub async fn vial_chain(
    state: web::Data<AppState>,
    serial: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let serial = serial.into_inner();
    let c = blocking::db(&state.pool, move |conn| chain::of_vial(conn, &serial)).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Every vial administered to a subject, each traced back to its donor.
#[utoipa::path(get, path = "/api/v1/subjects/{id}/chain", tag = "custody",
    params(("id" = String, Path, description = "trial subject ID")), responses(
    (status = 200, description = "the chains", content_type = "application/json"),
))]
pub async fn subject_chain(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let c = blocking::db(&state.pool, move |conn| chain::of_subject(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(c))
}
