//! Training on the pages (R9): a person's own standing on every curriculum
//! of their roles (account page, worklist warnings), and the qualification
//! matrix for QA, trainers, auditors and administrators.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use ebr_db::repo::people::PersonState;
use ebr_db::repo::training as repo;
use ebr_domain::training::Standing;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::routes::training::{matrix, MatrixCell, MatrixQuery};
use crate::routes::views::utc;
use crate::state::AppState;
use crate::ui::page::{page, render, Ctx};

/// Where a person stands on one curriculum of their roles.
#[derive(Debug, Clone)]
pub struct TrainingLine {
    /// Curriculum id.
    pub curriculum_id: Uuid,
    /// Curriculum code and title.
    pub label: String,
    /// current, expiring, expired, read_and_understood_missing, missing.
    pub status: &'static str,
    /// End of validity (UTC), if known.
    pub until: String,
    /// The MBR version whose read-and-understood record is to be signed.
    pub read_version: Option<i32>,
}

impl TrainingLine {
    /// Whether the line needs the person's attention (a worklist warning).
    pub fn needs_attention(&self) -> bool {
        self.status != "current"
    }
}

/// One of the person's training records, as their account page lists it.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    /// Curriculum code and title.
    pub label: String,
    /// trained, read_and_understood or revoked.
    pub kind: String,
    /// The MBR version trained on or read, if any.
    pub mbr_version: Option<i32>,
    /// When it took place (UTC).
    pub trained_at: String,
    /// End of validity (UTC), if it ends.
    pub valid_until: String,
    /// Whether the person signed it.
    pub signed: bool,
}

/// A training record waiting for its trainee's signature.
#[derive(Debug, Clone)]
pub struct UnsignedRecord {
    /// Record id.
    pub id: Uuid,
    /// Curriculum code and title.
    pub label: String,
    /// When the training took place (UTC).
    pub trained_at: String,
}

/// Every training record of the person, oldest first, with its curriculum.
pub fn history(
    conn: &mut ebr_db::PgConnection,
    person: &PersonState,
) -> Result<Vec<HistoryLine>, ebr_db::DbError> {
    let curricula = repo::curricula(conn)?;
    Ok(repo::records(conn, Some(person.person.id))?
        .into_iter()
        .map(|r| HistoryLine {
            label: curricula
                .iter()
                .find(|c| c.id == r.row.curriculum_id)
                .map(|c| format!("{} ({})", c.code, c.title))
                .unwrap_or_default(),
            kind: r.row.kind.clone(),
            mbr_version: r.row.mbr_version,
            trained_at: utc(r.row.trained_at),
            valid_until: r.row.valid_until.map(utc).unwrap_or_default(),
            signed: r.signed,
        })
        .collect())
}

/// The person's standing on every curriculum of their roles, and their
/// training records still to sign, at `now`.
pub fn my_training(
    conn: &mut ebr_db::PgConnection,
    person: &PersonState,
    now: DateTime<Utc>,
) -> Result<(Vec<TrainingLine>, Vec<UnsignedRecord>), ebr_db::DbError> {
    let lines = repo::standings(conn, now, Some(person.person.id))?
        .into_iter()
        .map(|s| {
            let (until, read_version) = match &s.standing {
                Standing::Current { until } => (until.map(utc).unwrap_or_default(), None),
                Standing::Expiring { until } => (utc(*until), None),
                Standing::Expired { since } => (utc(*since), None),
                Standing::ReadAndUnderstoodMissing { version, .. } => {
                    (String::new(), Some(*version))
                }
                Standing::Missing => (String::new(), None),
            };
            TrainingLine {
                curriculum_id: s.curriculum_id,
                label: s.label,
                status: s.standing.as_str(),
                until,
                read_version,
            }
        })
        .collect();
    let curricula = repo::curricula(conn)?;
    let unsigned = repo::records(conn, Some(person.person.id))?
        .into_iter()
        .filter(|r| !r.signed && r.row.kind == "trained")
        .map(|r| UnsignedRecord {
            id: r.row.id,
            label: curricula
                .iter()
                .find(|c| c.id == r.row.curriculum_id)
                .map(|c| format!("{} ({})", c.code, c.title))
                .unwrap_or_default(),
            trained_at: utc(r.row.trained_at),
        })
        .collect();
    Ok((lines, unsigned))
}

#[derive(Template)]
#[template(path = "training.html")]
struct MatrixPage<'a> {
    ctx: &'a Ctx,
    cells: Vec<MatrixCell>,
    curricula: Vec<String>,
    status: String,
    curriculum: String,
    csv_href: String,
}

/// `GET /training`: the qualification matrix, filterable by status and
/// curriculum, with its CSV download.
pub async fn qualification_matrix(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    query: web::Query<MatrixQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let now = state.clock.now();
    page(&req, &state, &who, async |ctx| {
        let status = query.status.clone().unwrap_or_default();
        let curriculum = query.curriculum.clone().unwrap_or_default();
        let filter = MatrixQuery {
            status: query.status.clone().filter(|s| !s.is_empty()),
            curriculum: query.curriculum.clone().filter(|s| !s.is_empty()),
            role: query.role.clone().filter(|s| !s.is_empty()),
            format: None,
        };
        let mut csv_href = String::from("/api/v1/training/matrix?format=csv");
        for (name, value) in [
            ("status", &filter.status),
            ("curriculum", &filter.curriculum),
        ] {
            if let Some(value) = value {
                csv_href.push_str(&format!("&{name}={value}"));
            }
        }
        let (cells, curricula) = blocking::db(&state.pool, move |conn| {
            let cells = matrix(conn, &filter, now)?;
            let codes = repo::curricula(conn)?.into_iter().map(|c| c.code).collect();
            Ok((cells, codes))
        })
        .await?;
        render(&MatrixPage {
            ctx,
            cells,
            curricula,
            status,
            curriculum,
            csv_href,
        })
    })
    .await
}
