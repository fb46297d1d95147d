//! The batch record as a document: the machine-readable export (JSON with its
//! hash manifest).

use actix_web::{web, HttpResponse};
use ebr_db::repo::audit::batch_chain;
use ebr_db::repo::record;
use uuid::Uuid;

use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The response header naming where a heavy read was served from:
/// `replica` or `primary`.
pub const READ_FROM: &str = "x-ebr-read-from";

/// The generator string recorded in exports (R11).
pub fn generator() -> String {
    format!("ebr {}", env!("CARGO_PKG_VERSION"))
}

/// The batch's record as stored now, sealed with its manifest.
pub fn export_of(
    conn: &mut ebr_db::PgConnection,
    batch_id: Uuid,
) -> Result<ebr_record::RecordExport, ebr_db::DbError> {
    Ok(ebr_record::RecordExport::seal(
        &generator(),
        record::sections(conn, batch_id)?,
    ))
}

/// The complete batch record as JSON: every section, the batch's whole audit
/// chain and every signature's record hash, with a manifest of SHA-256 hashes
/// per section and for the whole. Deterministic for the same record.
#[utoipa::path(get, path = "/api/v1/batches/{id}/record.json", tag = "record", params(("id" = Uuid, Path, description = "batch id")),
    responses(
        (status = 200, description = "the export (canonical JSON)", content_type = "application/json", headers(("x-ebr-read-from" = String, description = "`replica` or `primary`: where the read was served (docs/SCALING.md)"))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (doc, from) = blocking::read(&state, move |conn| export_of(conn, id)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((READ_FROM, from.as_str()))
        .insert_header(("x-ebr-record-sha256", doc.manifest.record_sha256.clone()))
        .body(doc.to_canonical_json()))
}

/// The batch record as a PDF (A4, every page headed with the batch number,
/// "Page X of Y" and the record hash, NOT RELEASED until released): the same
/// bytes for the same record, and the same bytes as `ebr batch pdf`.
#[utoipa::path(get, path = "/api/v1/batches/{id}/record.pdf", tag = "record", params(("id" = Uuid, Path, description = "batch id")),
    responses(
        (status = 200, description = "the batch record PDF", content_type = "application/pdf", headers(("x-ebr-read-from" = String, description = "`replica` or `primary`: where the read was served (docs/SCALING.md)"))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn pdf(
    state: web::Data<AppState>,
    who: crate::auth::current::Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (doc, from) = blocking::read(&state, move |conn| export_of(conn, id)).await?;
    let number = doc
        .sections
        .get("batch")
        .and_then(|b| b["batch_number"].as_str())
        .unwrap_or("batch")
        .to_string();
    let json = doc.to_canonical_json();
    let bytes = web::block(move || ebr_record::pdf::render(&json))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("PDF task failed: {e}")))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    // Who downloaded which record is kept in the system trail (the batch's own
    // chain stays the record itself, so its hash does not change by reading it).
    // While the primary is down (the record came from a replica) the download
    // cannot be written down: it is logged instead.
    let actor = ebr_db::repo::person_actor(who.person.person.id);
    let (sha, now) = (doc.manifest.record_sha256.clone(), state.clock.now());
    if !state.reads.primary_up() {
        tracing::warn!(batch = %id, person = %actor, record_sha256 = %sha, "record PDF served from a replica while the primary is down: the download is not in the audit trail");
    } else if let Err(e) = blocking::db(&state.pool, move |conn| {
        ebr_db::repo::audit::append(
            conn,
            ebr_domain::audit::SYSTEM_CHAIN,
            ebr_domain::audit::AuditDraft {
                actor,
                action: "record.pdf_downloaded".into(),
                entity_type: "batch".into(),
                entity_id: id.to_string(),
                old_value: None,
                new_value: None,
                reason: Some(format!("record sha256 {sha}; chain {}", batch_chain(id))),
                record_hash: None,
            },
            now,
        )
    })
    .await
    {
        tracing::warn!(batch = %id, error = %e, "the record download could not be written to the audit trail");
    }
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((READ_FROM, from.as_str()))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{number}.pdf\""),
        ))
        .insert_header(("x-ebr-record-sha256", doc.manifest.record_sha256))
        .body(bytes))
}
