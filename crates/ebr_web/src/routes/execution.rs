//! Recording, correcting and signing the steps of a batch.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use ebr_db::repo::audit::batch_chain;
use ebr_db::repo::execution::{self, EntryInput, RecordRequest, Recorded};
use ebr_db::repo::{contingency, person_actor, training};
use ebr_domain::signature::SignatureMeaning;
use ebr_domain::training::Activity;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::SignatureRequest;
use crate::auth::signature::{sign as ceremony, SigningTarget, TrainingGate};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::batches::{deviation_views, exception_views, DeviationView, ExceptionView};
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;
use ebr_domain::signing::SignedRecordKind;

/// Values of one step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// Field key → value: numbers as `"92.5"`, `92.5` or `{"value": "0.5", "unit": "h"}`;
    /// checks `true`/`false`; materials the scanned lot number; equipment the
    /// scanned asset code; date-times RFC 3339.
    #[schema(value_type = Object)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// When the activity happened, if earlier than now. Client clocks never
    /// set the recording time (R32).
    #[serde(default)]
    pub activity_at: Option<DateTime<Utc>>,
    /// Why the entry is late (required beyond the late-entry window, R33).
    #[serde(default)]
    pub late_reason: Option<String>,
    /// The serial of the paper contingency form these values are
    /// transcribed from (R27): each form is transcribed once, into its
    /// step, and the entries are flagged as transcribed in the record.
    #[serde(default)]
    pub transcribed_from: Option<String>,
}

/// What a recording stored and raised.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedView {
    /// The entries stored.
    pub entries: Vec<StoredEntry>,
    /// The exceptions raised.
    pub exceptions: Vec<ExceptionView>,
    /// The deviations opened.
    pub deviations: Vec<DeviationView>,
}

/// A stored entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredEntry {
    /// Entry id.
    pub id: Uuid,
    /// Field.
    pub field: String,
    /// Evaluation.
    pub evaluation: Option<String>,
    /// Server UTC time of recording.
    pub recorded_at: String,
}

fn recorded_view(r: Recorded) -> RecordedView {
    RecordedView {
        entries: r
            .entries
            .iter()
            .map(|e| StoredEntry {
                id: e.id,
                field: e.field_key.clone(),
                evaluation: e.evaluation.clone(),
                recorded_at: utc(e.recorded_at),
            })
            .collect(),
        exceptions: exception_views(&r.exceptions),
        deviations: deviation_views(&r.deviations),
    }
}

/// Record values of the current step (R6). Out-of-specification values are
/// recorded, flagged and open a deviation; refused lots or equipment store
/// only the attempt and an exception.
#[utoipa::path(post, path = "/api/v1/batches/{id}/steps/{step}/entries", tag = "execution", request_body = EntryRequest,
    params(("id" = Uuid, Path, description = "batch id"), ("step" = String, Path, description = "step key")),
    responses(
        (status = 201, body = RecordedView),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "training_not_current"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "step_out_of_sequence, step_already_signed, field_already_recorded, batch_closed, contingency_form_transcribed"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found, unknown_step"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "contingency_form_unknown, no_values, unknown_field, computed_by_server, computation_failed, invalid_value, not_a_number, unknown_unit, unit_mismatch, number_too_precise, activity_in_future, late_entry_reason_required, lot_unknown, lot_expired, lot_not_released, material_not_on_bom, equipment_unknown, wrong_equipment_type, equipment_out_of_service, calibration_overdue"),
    ))]
pub async fn record(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(Uuid, String)>,
    body: web::Json<EntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let (batch_id, step_key) = path.into_inner();
    let body = body.into_inner();
    let person = who.person.person.id;
    let actor = person_actor(person);
    let now = state.clock.now();
    let window = Duration::minutes(i64::from(state.execution.late_entry_window_minutes));
    let request = RecordRequest {
        step_key: step_key.clone(),
        inputs: body
            .values
            .into_iter()
            .map(|(field_key, value)| EntryInput { field_key, value })
            .collect(),
        activity_at: body.activity_at,
        late_reason: body.late_reason,
    };
    let roles = who.person.roles.clone();
    let transcribed_from = body.transcribed_from;
    let transcriber = actor.clone();
    let result = blocking::db(&state.pool, move |conn| {
        training::require(
            conn,
            batch_id,
            person,
            &roles,
            Activity::Record,
            Some(&request.step_key),
            now,
        )?;
        match transcribed_from {
            None => execution::record(conn, batch_id, &request, person, window, now),
            Some(serial) => ebr_db::tx::atomic(conn, |conn| {
                let form = contingency::claim(conn, batch_id, &serial, &request.step_key)?;
                let recorded = execution::record(conn, batch_id, &request, person, window, now)?;
                contingency::mark_transcribed(conn, &form, &recorded.entries, &transcriber, now)?;
                Ok(recorded)
            }),
        }
    })
    .await;
    let recorded = audited(
        &state,
        &batch_chain(batch_id),
        &actor,
        "entry.record",
        "batch_step",
        &format!("{batch_id}/{step_key}"),
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(recorded_view(recorded)))
}

/// A correction.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// The new value (same forms as for entries).
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// Why (mandatory, R24).
    #[serde(default)]
    pub reason: String,
}

/// Correct an entry: a new entry naming the one it replaces, with a reason;
/// the original stays visible (R23, R24, R34). Correcting a signed step
/// supersedes its signatures (R13).
#[utoipa::path(post, path = "/api/v1/batches/{id}/entries/{entry}/corrections", tag = "execution", request_body = CorrectionRequest,
    params(("id" = Uuid, Path, description = "batch id"), ("entry" = Uuid, Path, description = "entry id")),
    responses(
        (status = 201, body = RecordedView),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "training_not_current"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "entry_already_corrected, batch_closed"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found, unknown_step"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "correction_reason_required, invalid_value, not_a_number, unknown_unit, unit_mismatch, number_too_precise, activity_in_future, lot_unknown, lot_expired, lot_not_released, material_not_on_bom, equipment_unknown, wrong_equipment_type, equipment_out_of_service, calibration_overdue"),
    ))]
pub async fn correct(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<CorrectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (batch_id, entry_id) = path.into_inner();
    let body = body.into_inner();
    let person = who.person.person.id;
    let actor = person_actor(person);
    let now = state.clock.now();
    let roles = who.person.roles.clone();
    let result = blocking::db(&state.pool, move |conn| {
        let step = training::entry_step(conn, entry_id)?;
        training::require(
            conn,
            batch_id,
            person,
            &roles,
            Activity::Record,
            step.as_deref(),
            now,
        )?;
        execution::correct(
            conn,
            batch_id,
            entry_id,
            &body.value,
            &body.reason,
            person,
            now,
        )
    })
    .await;
    let recorded = audited(
        &state,
        &batch_chain(batch_id),
        &actor,
        "entry.correct",
        "entry",
        &entry_id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(recorded_view(recorded)))
}

/// Sign a step: `performed` (an operator, when every required field has a
/// value, R36) or `verified` (a second person on a critical step, R42, R45).
#[utoipa::path(post, path = "/api/v1/batches/{id}/steps/{step}/signatures", tag = "execution", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "batch id"), ("step" = String, Path, description = "step key")),
    responses(
        (status = 201, body = SignatureView),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "password_incorrect, two_components_required"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "performer_cannot_verify, step_participant_cannot_verify, signer_not_session_user, signature_acknowledgment_required, identity_not_verified"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "step_out_of_sequence, step_already_signed, step_not_performed, batch_closed, labels_unreconciled"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found, unknown_step"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "missing_required_fields, meaning_not_allowed, verification_not_required"),
    ))]
pub async fn sign(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(Uuid, String)>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let (batch_id, step_key) = path.into_inner();
    let record = format!("{batch_id}/{step_key}");
    let body = body.into_inner();
    let activity = if body.meaning == SignatureMeaning::Verified {
        Activity::Verify
    } else {
        Activity::Perform
    };
    let target = SigningTarget {
        kind: SignedRecordKind::BatchStep,
        chain: batch_chain(batch_id),
        action: "step.sign",
        entity_type: "batch_step",
        entity_id: record.clone(),
        record,
        training: Some(TrainingGate {
            batch_id,
            activity,
            step_key: Some(step_key.clone()),
        }),
    };
    let manifest = ceremony(&state, &who, body, target, move |conn, s| {
        execution::sign_step(conn, batch_id, &step_key, s.meaning, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// A value to check before it is recorded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The field key.
    pub field: String,
    /// The value, in the same forms as for entries.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

/// How a value would be evaluated if recorded now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    /// within_specification, alert or out_of_specification; absent for
    /// kinds without limits (text, material, equipment, date-time).
    pub evaluation: Option<String>,
}

/// Evaluate a value against its field's unit and limits without storing
/// anything (the same rules recording applies), so a person sees an alert
/// or out-of-specification value before saving it.
#[utoipa::path(post, path = "/api/v1/batches/{id}/steps/{step}/preview", tag = "execution", request_body = PreviewRequest,
    params(("id" = Uuid, Path, description = "batch id"), ("step" = String, Path, description = "step key")),
    responses(
        (status = 200, body = PreviewView),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown batch, step or field"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid_value"),
    ))]
pub async fn preview(
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
    body: web::Json<PreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let (batch_id, step_key) = path.into_inner();
    let PreviewRequest { field, value } = body.into_inner();
    let (_, mbr) = blocking::db(&state.pool, move |conn| {
        let batch = ebr_db::repo::batches::find(conn, batch_id)?;
        ebr_db::repo::mbr::load(conn, batch.mbr_version_id)
    })
    .await?;
    let step = mbr
        .step(&step_key)
        .ok_or_else(|| ApiError::NotFound(format!("no step {step_key} in this batch's MBR")))?;
    let field = step
        .fields
        .iter()
        .find(|f| f.key == field)
        .ok_or_else(|| ApiError::NotFound(format!("no field {field} in step {step_key}")))?;
    let parsed = ebr_domain::execution::parse_value(field, &value)?;
    let evaluation = ebr_domain::execution::evaluate(field, &parsed)?;
    Ok(HttpResponse::Ok().json(PreviewView {
        evaluation: evaluation.and_then(|e| {
            serde_json::to_value(e)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
        }),
    }))
}

/// The step of a contingency form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormRequest {
    /// The step the paper form records.
    pub step: String,
}

/// Print a serial-numbered paper form of a step for use while ebr is
/// unavailable (R27): the step's instructions and fields with their limits,
/// blanks and signature lines, the serial on every page. Answers the PDF;
/// re-enter it later with `transcribed_from` = the serial.
#[utoipa::path(post, path = "/api/v1/batches/{id}/contingency-forms", tag = "execution", request_body = FormRequest,
    params(("id" = Uuid, Path, description = "batch id")),
    responses(
        (status = 201, content_type = "application/pdf", description = "the form, headed with its serial"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found, unknown_step"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "batch_closed"),
    ))]
pub async fn contingency_form(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<Uuid>,
    body: web::Json<FormRequest>,
) -> Result<HttpResponse, ApiError> {
    let batch_id = path.into_inner();
    let step_key = body.into_inner().step;
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let (form, batch_number, mbr) = blocking::db(&state.pool, move |conn| {
        let form = contingency::issue(conn, batch_id, &step_key, &actor, now)?;
        let batch = ebr_db::repo::batches::find(conn, batch_id)?;
        let (_, mbr) = ebr_db::repo::mbr::load(conn, batch.mbr_version_id)?;
        Ok((form, batch.batch_number, mbr))
    })
    .await?;
    let step = mbr
        .step(&form.step_key)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("step {}", form.step_key)))?;
    let serial = form.serial.clone();
    let bytes = web::block(move || {
        ebr_record::pdf::contingency::render(&serial, &batch_number, &mbr.product.code, &step, now)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("form rendering failed: {e}")))?
    .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    Ok(HttpResponse::Created()
        .content_type("application/pdf")
        .insert_header(("x-ebr-form-serial", form.serial.clone()))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}.pdf\"", form.serial),
        ))
        .body(bytes))
}
