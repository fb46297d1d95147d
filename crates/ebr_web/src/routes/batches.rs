//! `/api/v1/batches`: issuing batch records, reading them and their audit trail.

use actix_web::{web, HttpResponse};
use ebr_db::repo::audit::batch_chain;
use ebr_db::repo::exceptions::{DeviationRow, ExceptionRow};
use ebr_db::repo::execution::{self, BatchState, EntryRow, StepSignature};
use ebr_db::repo::{audit, batches, person_actor, registry};
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::batch_state::BatchStatus;
use ebr_domain::execution::{current_step, step_state};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;

/// A batch in a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchSummary {
    /// Batch id.
    pub id: Uuid,
    /// Batch number.
    pub batch_number: String,
    /// Product code.
    pub product_code: String,
    /// Lifecycle status.
    pub status: String,
    /// Issuance time (UTC).
    pub created_at: String,
}

impl BatchSummary {
    /// The summary of a batch row in `status`.
    pub fn of(b: &ebr_db::repo::batches::BatchRow, status: BatchStatus) -> Self {
        Self {
            id: b.id,
            batch_number: b.batch_number.clone(),
            product_code: b.product_code.clone(),
            status: status.as_str().into(),
            created_at: utc(b.created_at),
        }
    }
}

/// Every batch, newest first.
#[utoipa::path(get, path = "/api/v1/batches", tag = "batches", responses((status = 200, body = Vec<BatchSummary>)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = blocking::db(&state.pool, batches::list).await?;
    let out: Vec<BatchSummary> = rows
        .into_iter()
        .map(|(b, s)| BatchSummary::of(&b, s))
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// A batch record to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// Unique batch number.
    pub batch_number: String,
    /// An effective MBR version.
    pub mbr_version_id: Uuid,
    /// The starting-material (WCB) lot number.
    pub wcb_lot_number: String,
    /// The WCB vial thawed.
    pub wcb_vial: String,
}

/// Issue a batch record from an effective MBR version (R35).
#[utoipa::path(post, path = "/api/v1/batches", tag = "batches", request_body = NewBatch, responses(
    (status = 201, body = BatchDetail),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "batch_number_taken, mbr_not_effective, cell_bank_not_qualified (every finding in problems[])"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "batch_identity_required, lot_unknown, lot_not_released, lot_expired, material_not_on_bom"),
))]
pub async fn issue(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewBatch>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let number = b.batch_number.clone();
    let a = actor.clone();
    let result = blocking::db(&state.pool, move |conn| {
        let row = batches::issue(
            conn,
            &b.batch_number,
            b.mbr_version_id,
            &b.wcb_lot_number,
            &b.wcb_vial,
            &a,
            now,
        )?;
        execution::load(conn, row.id)
    })
    .await;
    let loaded = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "batch.issue",
        "batch_number",
        &number,
        result,
    )
    .await?;
    let detail = detail_of(&state, loaded).await?;
    Ok(HttpResponse::Created().json(detail))
}

/// An entry, with its correction history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    /// Entry id.
    pub id: Uuid,
    /// Field key.
    pub field: String,
    /// The value as recorded.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// Unit as entered.
    pub unit: Option<String>,
    /// within_specification, alert or out_of_specification.
    pub evaluation: Option<String>,
    /// When the activity happened (UTC).
    pub activity_at: String,
    /// When it was recorded (server UTC).
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: Uuid,
    /// Why it was entered late.
    pub late_reason: Option<String>,
    /// The entry this one corrects.
    pub corrects_entry_id: Option<Uuid>,
    /// Why.
    pub correction_reason: Option<String>,
    /// A later entry corrects this one (it stays visible, struck through).
    pub corrected: bool,
}

/// A step signature, shown as superseded where a correction superseded it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepSignatureView {
    /// The signature.
    #[serde(flatten)]
    pub signature: SignatureView,
    /// When and why it was superseded, if it was.
    pub superseded_at: Option<String>,
    /// The correction reason that superseded it.
    pub superseded_reason: Option<String>,
}

/// A step of the batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// Stage key.
    pub stage: String,
    /// Step key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Critical (needs verification).
    pub critical: bool,
    /// not_started, in_progress, awaiting_verification or complete.
    pub state: String,
    /// Every entry, corrected ones included.
    pub entries: Vec<EntryView>,
    /// Every signature, superseded ones included.
    pub signatures: Vec<StepSignatureView>,
}

/// An exception for review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionView {
    /// Exception id.
    pub id: Uuid,
    /// Kind.
    pub kind: String,
    /// Severity.
    pub severity: String,
    /// Step.
    pub step: Option<String>,
    /// Field.
    pub field: Option<String>,
    /// Entry.
    pub entry_id: Option<Uuid>,
    /// What happened.
    pub detail: String,
    /// When (UTC).
    pub occurred_at: String,
}

/// A deviation.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviationView {
    /// Deviation id.
    pub id: Uuid,
    /// The entry that opened it.
    pub source_entry_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// When (UTC).
    pub opened_at: String,
    /// Status (open until its lifecycle closes it).
    pub status: String,
}

/// A batch record: header, steps with entries and signatures, exceptions and deviations.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDetail {
    /// Summary.
    #[serde(flatten)]
    pub summary: BatchSummary,
    /// MBR version id.
    pub mbr_version_id: Uuid,
    /// MBR content hash pinned at issuance.
    pub mbr_content_sha256: String,
    /// Starting-material lot number.
    pub wcb_lot_number: String,
    /// WCB vial.
    pub wcb_vial: String,
    /// The step that accepts work now (none when all are complete).
    pub current_step: Option<String>,
    /// Every step in order.
    pub steps: Vec<StepView>,
    /// Every exception.
    pub exceptions: Vec<ExceptionView>,
    /// Every deviation.
    pub deviations: Vec<DeviationView>,
}

fn entry_view(state: &BatchState, e: &EntryRow) -> EntryView {
    EntryView {
        id: e.id,
        field: e.field_key.clone(),
        value: serde_json::from_str(&e.value).unwrap_or(serde_json::Value::Null),
        unit: e.unit.clone(),
        evaluation: e.evaluation.clone(),
        activity_at: utc(e.activity_at),
        recorded_at: utc(e.recorded_at),
        recorded_by: e.recorded_by,
        late_reason: e.late_reason.clone(),
        corrects_entry_id: e.corrects_entry_id,
        correction_reason: e.correction_reason.clone(),
        corrected: state.is_corrected(e.id),
    }
}

fn signature_view(s: &StepSignature) -> StepSignatureView {
    StepSignatureView {
        signature: s.manifest.clone().into(),
        superseded_at: s.superseded.as_ref().map(|x| utc(x.superseded_at)),
        superseded_reason: s.superseded.as_ref().map(|x| x.reason.clone()),
    }
}

/// Views of exceptions.
pub fn exception_views(rows: &[ExceptionRow]) -> Vec<ExceptionView> {
    rows.iter()
        .map(|x| ExceptionView {
            id: x.id,
            kind: x.kind.clone(),
            severity: x.severity.clone(),
            step: x.step_key.clone(),
            field: x.field_key.clone(),
            entry_id: x.entry_id,
            detail: x.detail.clone(),
            occurred_at: utc(x.occurred_at),
        })
        .collect()
}

/// Views of deviations (status from their current revision, when known).
pub fn deviation_views(rows: &[DeviationRow]) -> Vec<DeviationView> {
    deviation_views_with(rows, &[])
}

fn deviation_views_with(rows: &[DeviationRow], statuses: &[(Uuid, String)]) -> Vec<DeviationView> {
    rows.iter()
        .map(|d| DeviationView {
            id: d.id,
            source_entry_id: d.source_entry_id,
            title: d.title.clone(),
            description: d.description.clone(),
            opened_at: utc(d.opened_at),
            status: statuses
                .iter()
                .find(|(id, _)| *id == d.id)
                .map_or_else(|| "open".to_string(), |(_, s)| s.clone()),
        })
        .collect()
}

/// The whole record of a loaded batch, as the API and the pages show it.
pub async fn detail_of(state: &AppState, s: BatchState) -> Result<BatchDetail, ApiError> {
    let lot_id = s.batch.wcb_lot_id;
    let batch_id = s.batch.id;
    let (lot, statuses) = blocking::db(&state.pool, move |conn| {
        let lot = registry::lot(conn, lot_id)?;
        let devs = ebr_db::repo::release::deviations::for_batch(conn, batch_id)?;
        Ok((
            lot,
            devs.iter()
                .map(|d| (d.row.id, d.status().as_str().to_string()))
                .collect::<Vec<_>>(),
        ))
    })
    .await?;
    let facts = s.step_facts();
    let current = current_step(&s.mbr, &facts).map(|st| st.key.clone());
    let steps = s
        .mbr
        .steps()
        .map(|(stage, step)| StepView {
            stage: stage.key.clone(),
            key: step.key.clone(),
            name: step.name.clone(),
            critical: step.critical,
            state: serde_json::to_value(step_state(step, facts.get(&step.key)))
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            entries: s
                .entries
                .iter()
                .filter(|e| e.step_key == step.key)
                .map(|e| entry_view(&s, e))
                .collect(),
            signatures: s
                .signatures
                .iter()
                .filter(|x| x.step_key == step.key)
                .map(signature_view)
                .collect(),
        })
        .collect();
    Ok(BatchDetail {
        summary: BatchSummary::of(&s.batch, s.lifecycle.status()),
        mbr_version_id: s.batch.mbr_version_id,
        mbr_content_sha256: s.batch.mbr_content_sha256.clone(),
        wcb_lot_number: lot.row.lot_number,
        wcb_vial: s.batch.wcb_vial.clone(),
        current_step: current,
        steps,
        exceptions: exception_views(&s.exceptions),
        deviations: deviation_views_with(&s.deviations, &statuses),
    })
}

/// The whole batch record.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "batches", params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 200, body = BatchDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_detail(&state, id.into_inner()).await?))
}

/// The whole record of batch `id` (404 for an unknown batch).
pub async fn load_detail(state: &AppState, id: Uuid) -> Result<BatchDetail, ApiError> {
    let loaded = blocking::db(&state.pool, move |conn| execution::load(conn, id)).await?;
    detail_of(state, loaded).await
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    /// Sequence number in the batch's chain.
    pub seq: i64,
    /// Server UTC time.
    pub occurred_at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Record type.
    pub entity_type: String,
    /// Record id.
    pub entity_id: String,
    /// Value before (canonical JSON).
    pub old_value: Option<String>,
    /// Value after (canonical JSON).
    pub new_value: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Hash of the record created.
    pub record_hash: Option<String>,
    /// Previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// The batch's audit events, in order (its own hash chain).
#[utoipa::path(get, path = "/api/v1/batches/{id}/audit-trail", tag = "batches", params(("id" = Uuid, Path, description = "batch id")),
    responses((status = 200, body = Vec<AuditEventView>, headers(("x-ebr-read-from" = String, description = "`replica` or `primary`: where the read was served (docs/SCALING.md)")))))]
pub async fn audit_trail(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (events, from) = audit_events(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((crate::routes::record::READ_FROM, from.as_str()))
        .json(events))
}

/// The batch's audit events in chain order (404 for an unknown batch), read
/// from a replica when one is usable; and where they were read.
pub async fn audit_events(
    state: &AppState,
    id: Uuid,
) -> Result<(Vec<AuditEventView>, ebr_db::replicas::ReadTarget), ApiError> {
    let (events, from) = blocking::read(state, move |conn| {
        batches::find(conn, id)?;
        audit::chain_events(conn, &batch_chain(id))
    })
    .await?;
    let events = events
        .into_iter()
        .map(|e| AuditEventView {
            seq: e.seq,
            occurred_at: utc(e.occurred_at),
            actor: e.actor,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            old_value: e.old_value,
            new_value: e.new_value,
            reason: e.reason,
            record_hash: e.record_hash,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
        .collect();
    Ok((events, from))
}
