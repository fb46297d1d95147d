//! `/api/v1/curricula`, `/api/v1/training-records`, `/api/v1/training/matrix`:
//! curricula, training records signed by their trainees, read-and-understood
//! records of new MBR versions, revocations, and the qualification matrix
//! (R9). The gate itself runs in every batch route (`training::require`).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use ebr_db::repo::person_actor;
use ebr_db::repo::training::{self as repo, NewCurriculum, NewTraining};
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::identity::Role;
use ebr_domain::signing::SignedRecordKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::signature::{sign as ceremony, SignatureRequest, SigningTarget};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::views::{utc, SignatureView};
use crate::state::AppState;

/// A curriculum.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurriculumView {
    /// Id.
    pub id: Uuid,
    /// Unique code.
    pub code: String,
    /// Title.
    pub title: String,
    /// The role whose activities it gates.
    pub role: String,
    /// The MBR it is about, if any.
    pub mbr_code: Option<String>,
    /// One MBR version, if any (otherwise any version).
    pub mbr_version: Option<i32>,
    /// The skill it teaches, if any.
    pub skill: Option<String>,
}

impl From<repo::CurriculumRow> for CurriculumView {
    fn from(c: repo::CurriculumRow) -> Self {
        Self {
            id: c.id,
            code: c.code,
            title: c.title,
            role: c.role,
            mbr_code: c.mbr_code,
            mbr_version: c.mbr_version,
            skill: c.skill,
        }
    }
}

/// Every curriculum.
#[utoipa::path(get, path = "/api/v1/curricula", tag = "training", responses((status = 200, body = Vec<CurriculumView>)))]
pub async fn list_curricula(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = blocking::db(&state.pool, repo::curricula).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(CurriculumView::from)
            .collect::<Vec<_>>(),
    ))
}

/// A curriculum to define.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCurriculum {
    /// Unique code, 2-32 of A-Z 0-9 . _ - (e.g. `TRN-MNP-OPS`).
    pub code: String,
    /// Title.
    pub title: String,
    /// The role it gates.
    #[schema(value_type = String, example = "operator")]
    pub role: Role,
    /// The MBR code it is about, if any.
    #[serde(default)]
    pub mbr_code: Option<String>,
    /// One version of that MBR only (otherwise any version).
    #[serde(default)]
    pub mbr_version: Option<i32>,
    /// The skill it teaches (steps declare skills), e.g. `aseptic_fill`.
    #[serde(default)]
    pub skill: Option<String>,
}

/// Define a curriculum (R9); never edited afterwards.
#[utoipa::path(post, path = "/api/v1/curricula", tag = "training", request_body = CreateCurriculum, responses(
    (status = 201, body = CurriculumView),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "curriculum_code_taken"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "curriculum_invalid"),
))]
pub async fn create_curriculum(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<CreateCurriculum>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let code = body.code.clone();
    let new = NewCurriculum {
        code: body.code,
        title: body.title,
        role: body.role,
        mbr_code: body.mbr_code.filter(|c| !c.trim().is_empty()),
        mbr_version: body.mbr_version,
        skill: body.skill.filter(|s| !s.trim().is_empty()),
    };
    let a = actor.clone();
    let result = blocking::db(&state.pool, move |conn| {
        repo::create_curriculum(conn, &new, &a, now)
    })
    .await;
    let row = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "curriculum.create",
        "curriculum",
        &code,
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(CurriculumView::from(row)))
}

/// A training record.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingRecordView {
    /// Id.
    pub id: Uuid,
    /// The trainee.
    pub person_id: Uuid,
    /// The curriculum.
    pub curriculum_id: Uuid,
    /// trained, read_and_understood or revoked.
    pub kind: String,
    /// The MBR version trained on or read.
    pub mbr_version: Option<i32>,
    /// When it took place (UTC).
    pub trained_at: String,
    /// End of validity (UTC), if it ends.
    pub valid_until: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
    /// Note or reason.
    pub note: Option<String>,
    /// Whether the trainee signed it (training counts only then).
    pub signed: bool,
}

impl From<repo::HeldRecord> for TrainingRecordView {
    fn from(h: repo::HeldRecord) -> Self {
        Self {
            id: h.row.id,
            person_id: h.row.person_id,
            curriculum_id: h.row.curriculum_id,
            kind: h.row.kind,
            mbr_version: h.row.mbr_version,
            trained_at: utc(h.row.trained_at),
            valid_until: h.row.valid_until.map(utc),
            recorded_by: h.row.recorded_by,
            note: h.row.note,
            signed: h.signed,
        }
    }
}

/// Whose records.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordsQuery {
    /// The person (every person's records when absent).
    #[serde(default)]
    pub person: Option<Uuid>,
}

/// A person's training records (or everyone's), oldest first.
#[utoipa::path(get, path = "/api/v1/training-records", tag = "training", params(RecordsQuery), responses((status = 200, body = Vec<TrainingRecordView>)))]
pub async fn list_records(
    state: web::Data<AppState>,
    query: web::Query<RecordsQuery>,
) -> Result<HttpResponse, ApiError> {
    let person = query.person;
    let all = blocking::db(&state.pool, move |conn| repo::records(conn, person)).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(TrainingRecordView::from)
            .collect::<Vec<_>>(),
    ))
}

/// Your own training records, oldest first.
#[utoipa::path(get, path = "/api/v1/session/training", tag = "training", responses((status = 200, body = Vec<TrainingRecordView>)))]
pub async fn my_records(
    state: web::Data<AppState>,
    who: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let person = who.person.person.id;
    let all = blocking::db(&state.pool, move |conn| repo::records(conn, Some(person))).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(TrainingRecordView::from)
            .collect::<Vec<_>>(),
    ))
}

/// A training a trainer records.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTraining {
    /// The trainee.
    pub person_id: Uuid,
    /// The curriculum.
    pub curriculum_id: Uuid,
    /// When the training took place (default: now).
    #[serde(default)]
    pub trained_at: Option<DateTime<Utc>>,
    /// End of validity (none: does not expire).
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    /// The MBR version trained on (MBR curricula; default: the effective one).
    #[serde(default)]
    pub mbr_version: Option<i32>,
    /// Trainer's note.
    #[serde(default)]
    pub note: Option<String>,
}

/// Record a training (a trainer, never about themselves); it counts once
/// the trainee signed it (`POST /api/v1/training-records/{id}/signatures`).
#[utoipa::path(post, path = "/api/v1/training-records", tag = "training", request_body = RecordTraining, responses(
    (status = 201, body = TrainingRecordView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "trainer_cannot_train_self"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "training_dates_invalid"),
))]
pub async fn record_training(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<RecordTraining>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let trainer = who.person.person.id;
    let actor = person_actor(trainer);
    let now = state.clock.now();
    let new = NewTraining {
        person: body.person_id,
        curriculum: body.curriculum_id,
        trained_at: body.trained_at.unwrap_or(now),
        valid_until: body.valid_until,
        mbr_version: body.mbr_version,
        note: body.note,
    };
    let result = blocking::db(&state.pool, move |conn| {
        let row = repo::record_training(conn, &new, trainer, now)?;
        Ok(repo::HeldRecord { row, signed: false })
    })
    .await;
    let held = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "training.record",
        "person",
        &body.person_id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(TrainingRecordView::from(held)))
}

/// Sign your training record (meaning `trained`): only your own, once.
#[utoipa::path(post, path = "/api/v1/training-records/{id}/signatures", tag = "training", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "training record id")),
    responses(
        (status = 201, body = SignatureView),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "training_not_yours"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "training_already_signed"),
    ))]
pub async fn sign_training(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    blocking::db(&state.pool, move |conn| repo::record(conn, id)).await?;
    let target = SigningTarget::on_system_chain(
        SignedRecordKind::TrainingRecord,
        "training.sign",
        "training_record",
        "training_record",
        id.to_string(),
    );
    let manifest = ceremony(&state, &who, body.into_inner(), target, move |conn, s| {
        repo::sign_training(conn, id, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// Sign that you read and understood version `version` of the curriculum's
/// MBR (meaning `read_and_understood`): required before you perform or
/// verify steps of a new version whose MBR asks for it.
#[utoipa::path(post, path = "/api/v1/curricula/{id}/versions/{version}/signatures", tag = "training", request_body = SignatureRequest,
    params(("id" = Uuid, Path, description = "curriculum id"), ("version" = i32, Path, description = "MBR version number")),
    responses(
        (status = 201, body = SignatureView),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "curriculum_invalid"),
    ))]
pub async fn read_and_understood(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(Uuid, i32)>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let target = SigningTarget::on_system_chain(
        SignedRecordKind::TrainingRecord,
        "training.read_and_understood",
        "curriculum",
        "curriculum",
        format!("{id}@{version}"),
    );
    let manifest = ceremony(&state, &who, body.into_inner(), target, move |conn, s| {
        repo::read_and_understood(conn, id, version, &s.signatory)
    })
    .await?;
    Ok(HttpResponse::Created().json(SignatureView::from(manifest)))
}

/// A revocation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeTraining {
    /// The person.
    pub person_id: Uuid,
    /// The curriculum.
    pub curriculum_id: Uuid,
    /// Why.
    pub reason: String,
}

/// Revoke a person's training on a curriculum: a new record; the earlier
/// training stops counting at once.
#[utoipa::path(post, path = "/api/v1/training-records/revocations", tag = "training", request_body = RevokeTraining, responses(
    (status = 201, body = TrainingRecordView),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required"),
))]
pub async fn revoke(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<RevokeTraining>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let actor = person_actor(who.person.person.id);
    let now = state.clock.now();
    let a = actor.clone();
    let result = blocking::db(&state.pool, move |conn| {
        let row = repo::revoke_training(
            conn,
            body.person_id,
            body.curriculum_id,
            &body.reason,
            &a,
            now,
        )?;
        Ok(repo::HeldRecord { row, signed: false })
    })
    .await;
    let held = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "training.revoke",
        "person",
        &body.person_id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(TrainingRecordView::from(held)))
}

/// One cell of the qualification matrix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatrixCell {
    /// The person's username.
    pub username: String,
    /// The person's printed name.
    pub full_name: String,
    /// The curriculum code.
    pub curriculum: String,
    /// current, expiring, expired, read_and_understood_missing, missing.
    pub status: String,
    /// End of validity (UTC), if known.
    pub valid_until: Option<String>,
}

/// Filters of the matrix.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MatrixQuery {
    /// Only this status (e.g. `expired`).
    #[serde(default)]
    pub status: Option<String>,
    /// Only this curriculum code.
    #[serde(default)]
    pub curriculum: Option<String>,
    /// Only people holding this role.
    #[serde(default)]
    pub role: Option<String>,
    /// `csv` for a CSV download.
    #[serde(default)]
    pub format: Option<String>,
}

/// The matrix cells of every active person × every curriculum of a role
/// they hold, at `now`, filtered.
pub fn matrix(
    conn: &mut ebr_db::PgConnection,
    query: &MatrixQuery,
    now: DateTime<Utc>,
) -> Result<Vec<MatrixCell>, ebr_db::DbError> {
    use ebr_domain::training::Standing;
    Ok(repo::standings(conn, now, None)?
        .into_iter()
        .filter(|s| {
            query
                .role
                .as_deref()
                .is_none_or(|r| s.roles.iter().any(|h| h.as_str() == r))
        })
        .map(|s| {
            let valid_until = match &s.standing {
                Standing::Current { until } => until.map(utc),
                Standing::Expiring { until } => Some(utc(*until)),
                Standing::Expired { since } => Some(utc(*since)),
                _ => None,
            };
            MatrixCell {
                username: s.username,
                full_name: s.full_name,
                curriculum: s.curriculum,
                status: s.standing.as_str().into(),
                valid_until,
            }
        })
        .filter(|cell| {
            query.status.as_deref().is_none_or(|st| st == cell.status)
                && query
                    .curriculum
                    .as_deref()
                    .is_none_or(|k| k == cell.curriculum)
        })
        .collect())
}

/// A CSV field, quoted when it holds a separator, quote or line break, and
/// with a leading `'` when a spreadsheet would read it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The matrix as CSV (header line first).
pub fn matrix_csv(cells: &[MatrixCell]) -> String {
    let mut out = String::from("username,full_name,curriculum,status,valid_until\n");
    for c in cells {
        let fields = [
            c.username.as_str(),
            c.full_name.as_str(),
            c.curriculum.as_str(),
            c.status.as_str(),
            c.valid_until.as_deref().unwrap_or(""),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// The qualification matrix: every active person × every curriculum of
/// their roles, with current / expiring / expired / missing; `?format=csv`
/// downloads it.
#[utoipa::path(get, path = "/api/v1/training/matrix", tag = "training", params(MatrixQuery), responses(
    (status = 200, body = Vec<MatrixCell>, description = "JSON, or text/csv with `format=csv`"),
))]
pub async fn qualification_matrix(
    state: web::Data<AppState>,
    query: web::Query<MatrixQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let now = state.clock.now();
    let csv = query.format.as_deref() == Some("csv");
    let cells = blocking::db(&state.pool, move |conn| matrix(conn, &query, now)).await?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "content-disposition",
                "attachment; filename=\"qualification-matrix.csv\"",
            ))
            .body(matrix_csv(&cells)));
    }
    Ok(HttpResponse::Ok().json(cells))
}
