//! The batch record as a document: the machine-readable export (JSON with its
//! hash manifest).

use actix_web::{web, HttpResponse};
use ebr_db::repo::record;
use uuid::Uuid;

use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// The generator string recorded in exports (R11).
pub fn generator() -> String {
    format!("ebr {}", env!("CARGO_PKG_VERSION"))
}

/// The complete batch record as JSON: every section, the batch's whole audit
/// chain and every signature's record hash, with a manifest of SHA-256 hashes
/// per section and for the whole. Deterministic for the same record.
#[utoipa::path(get, path = "/api/v1/batches/{id}/record.json", tag = "record", params(("id" = Uuid, Path, description = "batch id")),
    responses(
        (status = 200, description = "the export (canonical JSON)", content_type = "application/json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let doc = blocking::db(&state.pool, move |conn| {
        record::export(conn, id, &generator())
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("x-ebr-record-sha256", doc.manifest.record_sha256.clone()))
        .body(doc.to_canonical_json()))
}
