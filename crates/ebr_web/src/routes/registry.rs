//! `/api/v1/materials` and `/api/v1/equipment`: the material-lot and equipment
//! registries (R8, R37). Every change is a new event, audited.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use ebr_db::repo::person_actor;
use ebr_db::repo::registry::{self, Equipment, Lot};
use ebr_domain::execution::{EquipmentStatus, LotStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::views::utc;
use crate::state::AppState;

/// A material lot with its current status and expiry.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotView {
    /// Lot id.
    pub id: Uuid,
    /// Material code.
    pub material_code: String,
    /// Lot number (what a scanner types).
    pub lot_number: String,
    /// Supplier.
    pub supplier: String,
    /// quarantine, released or rejected.
    pub status: String,
    /// Expiry (UTC).
    pub expires_at: String,
}

impl From<Lot> for LotView {
    fn from(l: Lot) -> Self {
        Self {
            id: l.row.id,
            material_code: l.row.material_code,
            lot_number: l.row.lot_number,
            supplier: l.row.supplier,
            status: l.status.as_str().into(),
            expires_at: utc(l.expires_at),
        }
    }
}

/// A lot to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLot {
    /// Material code (as in MBR bills of materials).
    pub material_code: String,
    /// Lot number.
    pub lot_number: String,
    /// Supplier.
    pub supplier: String,
    /// quarantine (default), released or rejected.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub status: Option<LotStatus>,
    /// Expiry, RFC 3339.
    pub expires_at: DateTime<Utc>,
}

/// A change of status and/or expiry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotChange {
    /// New status.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub status: Option<LotStatus>,
    /// New expiry.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Why (required).
    pub reason: String,
}

fn reason_required(reason: &str) -> Result<(), ApiError> {
    ebr_domain::identity::check_reason("a registry change", reason)?;
    Ok(())
}

/// Every material lot.
#[utoipa::path(get, path = "/api/v1/materials", tag = "registries", responses((status = 200, body = Vec<LotView>)))]
pub async fn list_lots(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let lots = blocking::db(&state.pool, registry::lots).await?;
    Ok(HttpResponse::Ok().json(lots.into_iter().map(LotView::from).collect::<Vec<_>>()))
}

/// Register a material lot.
#[utoipa::path(post, path = "/api/v1/materials", tag = "registries", request_body = NewLot, responses(
    (status = 201, body = LotView), (status = 409, body = Problem, content_type = "application/problem+json", description = "lot_exists"), (status = 422, body = Problem, content_type = "application/problem+json", description = "lot_identity_required")))]
pub async fn register_lot(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewLot>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let lot = blocking::db(&state.pool, move |conn| {
        registry::register_lot(
            conn,
            &b.material_code,
            &b.lot_number,
            &b.supplier,
            b.status.unwrap_or(LotStatus::Quarantine),
            b.expires_at,
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(LotView::from(lot)))
}

/// Change a lot's status or expiry (e.g. QA release from quarantine).
#[utoipa::path(post, path = "/api/v1/materials/{id}/status", tag = "registries", request_body = LotChange,
    params(("id" = Uuid, Path, description = "lot id")), responses((status = 200, body = LotView), (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required")))]
pub async fn update_lot(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<LotChange>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    reason_required(&b.reason)?;
    let id = id.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let lot = blocking::db(&state.pool, move |conn| {
        registry::update_lot(
            conn,
            id,
            b.status,
            b.expires_at,
            b.reason.trim(),
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(LotView::from(lot)))
}

/// Equipment with its current status and calibration due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct EquipmentView {
    /// Equipment id.
    pub id: Uuid,
    /// Asset code (what a scanner types).
    pub code: String,
    /// Type.
    pub equipment_type: String,
    /// Description.
    pub name: String,
    /// in_service or out_of_service.
    pub status: String,
    /// Calibration due (UTC).
    pub calibration_due: String,
}

impl From<Equipment> for EquipmentView {
    fn from(e: Equipment) -> Self {
        Self {
            id: e.row.id,
            code: e.row.code,
            equipment_type: e.row.equipment_type,
            name: e.row.name,
            status: e.status.as_str().into(),
            calibration_due: utc(e.calibration_due),
        }
    }
}

/// Equipment to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEquipment {
    /// Asset code.
    pub code: String,
    /// Type (as in MBR steps).
    pub equipment_type: String,
    /// Description.
    pub name: String,
    /// in_service (default) or out_of_service.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub status: Option<EquipmentStatus>,
    /// Calibration due, RFC 3339.
    pub calibration_due: DateTime<Utc>,
}

/// A change of status and/or calibration due date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentChange {
    /// New status.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub status: Option<EquipmentStatus>,
    /// New calibration due date (after a calibration).
    #[serde(default)]
    pub calibration_due: Option<DateTime<Utc>>,
    /// Why (required).
    pub reason: String,
}

/// Every piece of equipment.
#[utoipa::path(get, path = "/api/v1/equipment", tag = "registries", responses((status = 200, body = Vec<EquipmentView>)))]
pub async fn list_equipment(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = blocking::db(&state.pool, registry::all_equipment).await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(EquipmentView::from).collect::<Vec<_>>()))
}

/// Register equipment.
#[utoipa::path(post, path = "/api/v1/equipment", tag = "registries", request_body = NewEquipment, responses(
    (status = 201, body = EquipmentView), (status = 409, body = Problem, content_type = "application/problem+json", description = "equipment_exists"), (status = 422, body = Problem, content_type = "application/problem+json", description = "equipment_identity_required")))]
pub async fn register_equipment(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewEquipment>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let eq = blocking::db(&state.pool, move |conn| {
        registry::register_equipment(
            conn,
            &b.code,
            &b.equipment_type,
            &b.name,
            b.status.unwrap_or(EquipmentStatus::InService),
            b.calibration_due,
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(EquipmentView::from(eq)))
}

/// Change equipment status or calibration due date.
#[utoipa::path(post, path = "/api/v1/equipment/{id}/status", tag = "registries", request_body = EquipmentChange,
    params(("id" = Uuid, Path, description = "equipment id")), responses((status = 200, body = EquipmentView), (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required")))]
pub async fn update_equipment(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<EquipmentChange>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    reason_required(&b.reason)?;
    let id = id.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let eq = blocking::db(&state.pool, move |conn| {
        registry::update_equipment(
            conn,
            id,
            b.status,
            b.calibration_due,
            b.reason.trim(),
            &actor,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(EquipmentView::from(eq)))
}
